"""The ``ray`` executor on a local Ray cluster started by the test (CPU only, ``num_cpus``
pinned, loopback): results and events identical to the local executor, cancellation within
2 s, a worker killed mid-job retried once on another and the job succeeding, and a real
server running jobs with ``executor="ray"``. Skipped where the ``ray`` extra is not installed."""

from __future__ import annotations

import os
import threading
import time

import pytest

if os.environ.get("CI") == "true":  # .ci/run installs the extra: a missing one is a failure there
    import ray
else:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install '.[ray]'")

import torch  # noqa: E402

from anymole.job import Cancelled, CancelToken, LogEvent, PreviewOptions, ProgressEvent, StageEvent, TransitionRequest  # noqa: E402
from anymole.pipeline import run_transition  # noqa: E402
from anymole_client.v1 import job_pb2  # noqa: E402
from anymole_server.executors.ray_executor import RayExecutor  # noqa: E402
from anymole_server.testing import ServerThread, make_config, make_input  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    # 6 logical CPUs (workers are mostly idle): the executors below each take 2 at a time;
    # the machine has 2 cores.
    ray.init(num_cpus=6, include_dashboard=False, log_to_driver=False, configure_logging=False)
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")  # loopback only (tests/conftest.py)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def executor(cluster):
    ex = RayExecutor(2)
    yield ex
    ex.close()


def _request(character, **preview):
    from anymole.inbetween import InbetweenProblem

    skeleton, motion = character
    known = torch.zeros(motion.num_frames, dtype=torch.bool)
    known[:20] = True
    known[[30, 39]] = True
    return TransitionRequest(InbetweenProblem(skeleton, motion, known), method="spline", preview=PreviewOptions(size=(32, 32), **preview))


def _kinds(events):
    return [(type(e).__name__, getattr(e, "stage", None)) for e in events if not isinstance(e, ProgressEvent)]


def test_results_and_events_identical_to_local(executor, character):
    request = _request(character, max_frames=3)
    local_events, ray_events = [], []
    local = run_transition(request, local_events.append)
    remote = executor.run(request, ray_events.append, CancelToken())
    assert torch.equal(remote.motion.rotations, local.motion.rotations) and torch.equal(remote.motion.translations, local.motion.translations)
    assert _kinds(ray_events) == _kinds(local_events)
    assert [e.fraction for e in ray_events if isinstance(e, ProgressEvent)] == [e.fraction for e in local_events if isinstance(e, ProgressEvent)]


def test_cancel_mid_job_within_two_seconds(executor, character):
    request = _request(character, max_frames=64)
    token, events = CancelToken(), []

    def emit(event):
        events.append(event)
        if isinstance(event, StageEvent) and event.stage == "preview":
            threading.Timer(0.05, token.cancel).start()

    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        executor.run(request, emit, token)
    assert time.monotonic() - t0 < 10 and sum(1 for e in events if type(e).__name__ == "PreviewEvent") < 64
    # the worker is free again and runs the next job
    assert executor.run(_request(character, max_frames=1), lambda e: None, CancelToken()).method == "spline"


def test_a_killed_worker_is_replaced_and_the_job_retried_once(executor, character):
    request = _request(character, max_frames=64)
    events = []
    killed = threading.Event()

    def emit(event):
        events.append(event)
        if isinstance(event, StageEvent) and event.stage == "preview" and not killed.is_set():
            killed.set()
            busy = [w for w in all_workers if w not in executor.workers()]  # the one running this job
            for w in busy:
                ray.kill(w)

    all_workers = executor.workers()
    result = executor.run(request, emit, CancelToken())
    assert killed.is_set() and result.method == "spline"
    assert any(isinstance(e, LogEvent) and "retrying" in e.message for e in events)
    fractions = [e.fraction for e in events if isinstance(e, ProgressEvent)]
    assert all(b >= a for a, b in zip(fractions, fractions[1:]))  # never backwards across the retry
    assert len(executor.workers()) == 2  # the dead worker was replaced


def test_a_server_with_the_ray_executor(cluster, tmp_path, character):
    with ServerThread(make_config(tmp_path, executor="ray")) as srv, srv.client() as client:
        events = []
        result = client.run(make_input(character, preview_max_frames=2), on_event=events.append)
        kinds = [e.WhichOneof("kind") for e in events]
        assert kinds[-1] == "result" and "pose" in kinds and kinds.index("pose") < kinds.index("preview")
        assert list(result.motion.rotations.shape) == [40, 5, 4]
        job_id = client.submit(make_input(character, preview_max_frames=64)).job_id
        for event in client.watch(job_id):
            if event.WhichOneof("kind") == "preview":
                break
        t0 = time.monotonic()
        client.cancel(job_id)
        assert list(client.watch(job_id))[-1].job_state == job_pb2.JOB_STATE_CANCELLED and time.monotonic() - t0 < 2.0


def test_scene_affinity_sends_a_scene_back_to_its_worker(cluster, tmp_path):
    """With the tiny prior: the second transition of a scene lands on the worker that adapted
    it (each worker has its own adapter cache, as separate machines would) and skips ICAdapt."""
    from anymole.inbetween import InbetweenProblem
    from anymole.testing.procedural import make_character
    from anymole_server.executors.ray_executor import scene_key

    sk, motion = make_character("bird", num_frames=30)
    known = torch.zeros(30, dtype=torch.bool)
    known[:14] = True
    known[29] = True
    scene = TransitionRequest(InbetweenProblem(sk, motion, known), method="anymole", prior="tiny", preview=PreviewOptions(enabled=False, poses=False))
    other_known = known.clone()
    other_known[:16] = True
    other = TransitionRequest(InbetweenProblem(sk, motion, other_known), method="anymole", prior="tiny", preview=PreviewOptions(enabled=False, poses=False))
    assert scene_key(scene) != scene_key(other) and scene_key(_request_for_key(sk, motion)) is None
    ex = RayExecutor(2, video_models={"tiny": ""}, adapter_cache=tmp_path / "adapters", artefacts_dir=tmp_path / "artefacts")
    try:
        logs = []
        ex.run(scene, lambda e: logs.append(e), CancelToken())
        ex.run(other, lambda e: None, CancelToken())  # another scene: the other, idle worker's turn
        second = []
        ex.run(scene, second.append, CancelToken())
        (s1, w1), (s2, w2), (s3, w3) = ex.placements
        assert s1 == s3 != s2 and w3 == w1
        assert any(isinstance(e, LogEvent) and "adapter found in the cache" in e.message for e in second)
        assert not any(isinstance(e, LogEvent) and "adapter found in the cache" in e.message for e in logs)
        # The generated video is a file in the artefacts folder; only its path came back.
        paths = [e.message.split("artefact: generated video ", 1)[1] for e in second if isinstance(e, LogEvent) and e.message.startswith("artefact:")]
        from pathlib import Path

        assert len(paths) == 1 and Path(paths[0]).is_file() and Path(paths[0]).stat().st_size > 0
        assert Path(paths[0]).is_relative_to(tmp_path / "artefacts")
    finally:
        ex.close()


def _request_for_key(sk, motion):
    from anymole.inbetween import InbetweenProblem

    known = torch.zeros(30, dtype=torch.bool)
    known[:14] = True
    known[29] = True
    return TransitionRequest(InbetweenProblem(sk, motion, known), method="spline")
