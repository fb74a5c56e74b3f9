"""The executor seam: the local executor through the interface (results, events, the compute
slot held as the job runner always held it, cancellation), and ``--executor ray`` refused at
start with one line."""

from __future__ import annotations

import argparse

import pytest
import torch

from anymole.errors import UnsupportedError
from anymole.inbetween import InbetweenProblem
from anymole.job import Cancelled, CancelToken, PoseEvent, PreviewEvent, PreviewOptions, StageEvent, TransitionRequest
from anymole.pipeline import run_transition
from anymole_server import cli_serve, executors
from anymole_server.config import ConfigError, ServerConfig
from anymole_server.executors import RAY_MISSING_MESSAGE, Executor, make_executor
from anymole_server.executors.local import LocalExecutor
from anymole_server.testing import CONTEXT, KEYFRAMES, tiny_character


class RecordingSlot:
    """A compute slot that records when it is held."""

    def __init__(self) -> None:
        self.held = False
        self.entered = 0

    def __enter__(self):
        assert not self.held, "the slot is not re-entrant"
        self.held, self.entered = True, self.entered + 1
        return self

    def __exit__(self, *exc) -> None:
        self.held = False


def request(method: str = "spline", previews: bool = True) -> TransitionRequest:
    skeleton, motion = tiny_character()
    known = torch.zeros(motion.num_frames, dtype=torch.bool)
    known[:CONTEXT] = True
    known[list(KEYFRAMES)] = True
    preview = PreviewOptions(size=(32, 32), max_frames=2, enabled=previews)
    return TransitionRequest(InbetweenProblem(skeleton, motion, known), method=method, preview=preview)


def test_make_executor_local_is_the_default():
    executor = make_executor(ServerConfig())
    assert isinstance(executor, Executor) and isinstance(executor, LocalExecutor)
    assert executor.name == "local"
    executor.close()


def test_local_executor_result_and_events_equal_run_transition():
    executor = make_executor(ServerConfig())
    events, expected_events = [], []
    slot = RecordingSlot()
    got = executor.run(request(), events.append, CancelToken(), slot)
    expected = run_transition(request(), expected_events.append)
    torch.testing.assert_close(got.motion.rotations, expected.motion.rotations, atol=0, rtol=0)
    torch.testing.assert_close(got.motion.translations, expected.motion.translations, atol=0, rtol=0)
    assert [type(e).__name__ for e in events] == [type(e).__name__ for e in expected_events]
    assert [e.stage for e in events if isinstance(e, StageEvent)] == [e.stage for e in expected_events if isinstance(e, StageEvent)]


def test_classical_method_takes_the_slot_per_preview_not_for_the_whole_job():
    slot = RecordingSlot()
    held_at_first_pose = []

    def emit(event) -> None:
        if isinstance(event, PoseEvent) and not held_at_first_pose:
            held_at_first_pose.append(slot.held)

    LocalExecutor().run(request(previews=True), emit, CancelToken(), slot)
    assert held_at_first_pose == [False]  # solved and posed without the slot
    assert slot.entered >= 1 and not slot.held  # taken for the preview images, then released


def test_video_method_holds_the_slot_for_the_whole_job():
    slot = RecordingSlot()
    held = []
    # No prior is configured: the method is refused, but only once it runs, inside the slot.
    with pytest.raises(UnsupportedError):
        LocalExecutor().run(request("anymole"), lambda e: held.append(slot.held), CancelToken(), slot)
    assert held and all(held)
    assert slot.entered == 1 and not slot.held
    assert LocalExecutor.holds_slot_for_whole_job("anymole") and not LocalExecutor.holds_slot_for_whole_job("spline")


def test_local_executor_cancelled():
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        LocalExecutor().run(request(), lambda e: None, token, RecordingSlot())


def test_local_executor_without_slot():
    events = []
    result = LocalExecutor().run(request(), events.append, CancelToken(), None)
    assert result.method == "spline" and any(isinstance(e, PreviewEvent) for e in events)


# -- --executor ray ---------------------------------------------------------------------------


def serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_serve.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_default_executor_is_local(tmp_path):
    config = cli_serve.config_from_args(serve_args("--db", str(tmp_path / "jobs.sqlite3")))
    assert config.executor == "local"


def test_ray_executor_refused_without_the_extra(monkeypatch):
    monkeypatch.setattr(executors, "ray_importable", lambda: False)
    with pytest.raises(ConfigError) as err:
        cli_serve.config_from_args(serve_args("--executor", "ray"))
    assert str(err.value) == RAY_MISSING_MESSAGE and "\n" not in RAY_MISSING_MESSAGE
    with pytest.raises(ConfigError, match="ray"):
        make_executor(ServerConfig(executor="ray"))


def test_ray_executor_accepted_with_the_extra(monkeypatch):
    monkeypatch.setattr(executors, "ray_importable", lambda: True)
    assert cli_serve.config_from_args(serve_args("--executor", "ray", "--ray-address", "127.0.0.1:6379")).ray_address == "127.0.0.1:6379"


def test_missing_ray_message_says_how_to_install():
    assert RAY_MISSING_MESSAGE == "the ray executor needs the ray extra: pip install '.[ray]'"


def test_unknown_executor_refused():
    with pytest.raises(ConfigError, match="unknown executor"):
        make_executor(ServerConfig(executor="dask"))


def test_anymole_serve_executor_ray_exits_2_with_one_line(monkeypatch, capsys):
    from anymole.cli import main

    monkeypatch.setattr(executors, "ray_importable", lambda: False)
    assert main(["serve", "--executor", "ray"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"anymole serve: error: {RAY_MISSING_MESSAGE}"]
