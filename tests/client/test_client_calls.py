"""The client against a real server: sync and async calls, request helpers, the remote
executor (what ``anymole bake --server`` uses)."""

from __future__ import annotations

import asyncio
import threading
import time

import grpc
import pytest
import torch

from anymole.remote import remote_executor, to_domain_error
from anymole.wire import build_transition_input, input_from_problem, motion_from_result, motion_to_proto
from anymole_client import AsyncClient, JobFailedError, server_error
from anymole.errors import UnsupportedError, ValidationError
from anymole.geometry import frames
from anymole.inbetween import InbetweenProblem
from anymole.motion import Motion
from anymole.pipeline import Cancelled, CancelToken, PreviewEvent, PreviewOptions, ProgressEvent, TransitionRequest, run_transition
from anymole.render.preview import render_skeleton_preview
from anymole_client.v1 import job_pb2
from anymole_server.testing import CONTEXT, KEYFRAMES, ServerThread, make_config, make_input, preferred_method, split


def _problem(character) -> InbetweenProblem:
    skeleton, motion = character
    known = torch.zeros(motion.num_frames, dtype=torch.bool)
    known[:CONTEXT] = True
    known[list(KEYFRAMES)] = True
    return InbetweenProblem(skeleton, motion, known)


def test_build_transition_input_layout(character):
    skeleton, motion = character
    context, keys = split(motion)
    msg = build_transition_input(skeleton, context, keys, KEYFRAMES, convention=frames.UNITY, method="interpolation", seed=3,
                                 preview_size=(80, 60), preview_format="png", output_range=(19, 39), output_fps=60)
    assert list(msg.skeleton.joint_names) == list(skeleton.names) and list(msg.skeleton.parents) == [-1, 0, 1, 2, 3]
    assert list(msg.context.rotations.shape) == [CONTEXT, 5, 4] and list(msg.keyframes.rotations.shape) == [2, 5, 4]
    assert list(msg.context.translated_joints) == [0, 1] and list(msg.keyframe_indices) == list(KEYFRAMES)
    assert msg.fps == 30.0 and msg.convention.unit_m == 1.0 and msg.convention.handedness == 2
    assert (msg.output.range.first, msg.output.range.last, msg.output.fps) == (19, 39, 60.0)
    assert msg.options.preview.format == job_pb2.IMAGE_FORMAT_PNG and msg.options.seed == 3
    with pytest.raises(ValidationError):
        build_transition_input(skeleton, context, keys, KEYFRAMES, preview_format="gif")


def test_input_from_problem_splits_context_and_keyframes(character):
    msg = input_from_problem(_problem(character))
    assert list(msg.keyframe_indices) == list(KEYFRAMES) and msg.context.rotations.shape[0] == CONTEXT


def test_motion_from_result_fills_untracked_joints(client, character):
    skeleton = character[0]
    result = client.run(make_input(character, output_range=(25, 35)))
    motion = motion_from_result(result, skeleton)
    assert motion.num_frames == 11 and result.first_frame == 25
    assert torch.equal(motion.translations[:, 2:], skeleton.offsets[2:].expand(11, -1, -1))


def test_remote_executor_matches_in_process(server, character):
    problem = _problem(character)
    request = TransitionRequest(problem, method=preferred_method(), preview=PreviewOptions(size=(32, 32), max_frames=2))
    events = []
    executor, close = remote_executor(server.address)
    try:
        remote = executor(request, events.append, CancelToken())
    finally:
        close()
    local = run_transition(TransitionRequest(problem, method=preferred_method(), preview=PreviewOptions(enabled=False)))
    torch.testing.assert_close(remote.motion.rotations, local.motion.rotations, atol=1e-6, rtol=0)
    torch.testing.assert_close(remote.motion.translations, local.motion.translations, atol=1e-6, rtol=0)
    assert remote.method == local.method
    assert any(isinstance(e, PreviewEvent) for e in events) and isinstance(events[-1], ProgressEvent)


def test_remote_executor_errors_are_library_errors(server, character):
    executor, close = remote_executor(server.address)
    try:
        with pytest.raises(UnsupportedError, match="video prior"):
            executor(TransitionRequest(_problem(character), method="anymole"), None, CancelToken())
        with pytest.raises(ValidationError) as err:
            executor(TransitionRequest(_problem(character), method="nope"), None, CancelToken())
        assert err.value.field == "input.options.method"
    finally:
        close()


def test_remote_executor_cancellation(tmp_path, character):
    def slow(skeleton, motion, frame_index, options):
        time.sleep(0.3)
        return render_skeleton_preview(skeleton, motion, frame_index, options)

    with ServerThread(make_config(tmp_path, render_preview=slow)) as srv:
        executor, close = remote_executor(srv.address)
        token = CancelToken()

        def emit(event):
            if isinstance(event, PreviewEvent):
                token.cancel()

        try:
            with pytest.raises(Cancelled):
                executor(TransitionRequest(_problem(character), method=preferred_method(), preview=PreviewOptions(size=(32, 32), max_frames=8)), emit, token)
        finally:
            close()
        with srv.client() as client:
            deadline = time.monotonic() + 10
            while client.list_jobs(states=[job_pb2.JOB_STATE_CANCELLED]).jobs == [] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(client.list_jobs(states=[job_pb2.JOB_STATE_CANCELLED]).jobs) == 1


def test_follow_reads_the_stream_off_the_callers_thread(client, character):
    """grpc's blocking stream iterator is not safe against an asynchronous KeyboardInterrupt:
    a Ctrl+C between two of its steps leaves the channel's polling thread behind, and closing
    the channel then prints a TypeError traceback from it (``anymole demo`` interrupted). So
    ``follow`` iterates the stream on a helper thread and calls back on the caller's; a Ctrl+C
    there cancels the stream and lets the helper finish."""
    real_watch = client.watch
    iterated_on: list[threading.Thread] = []

    class Recording:  # the watch call, noting which thread iterates it
        def __init__(self, call):
            self.call = call

        def __iter__(self):
            for event in self.call:
                iterated_on.append(threading.current_thread())
                yield event

        def cancel(self):
            return self.call.cancel()

    client.watch = lambda *a, **k: Recording(real_watch(*a, **k))
    called_on: list[threading.Thread] = []

    def on_event(event):
        called_on.append(threading.current_thread())
        raise KeyboardInterrupt  # Ctrl+C while an event is handled

    with pytest.raises(KeyboardInterrupt):
        client.run(make_input(character), on_event=on_event)
    assert called_on == [threading.current_thread()]
    assert iterated_on and threading.current_thread() not in iterated_on
    assert not [t for t in threading.enumerate() if t.name == "anymole-stream"]


def test_job_failed_error_from_run(tmp_path, character):
    def broken(*args):
        raise RuntimeError("renderer exploded")

    with ServerThread(make_config(tmp_path, render_preview=broken)) as srv, srv.client() as client:
        with pytest.raises(JobFailedError) as err:
            client.run(make_input(character))
        assert err.value.code_name == "INTERNAL" and "RuntimeError" in err.value.message
        assert "exploded" not in err.value.message  # internals stay in the server log
        job = client.get_job(err.value.job_id)
        assert job.state == job_pb2.JOB_STATE_FAILED and job.error.code == grpc.StatusCode.INTERNAL.value[0]


def test_async_client(server, character):
    async def main():
        async with AsyncClient(server.address) as client:
            info = await client.server_info()
            assert info.protocol_version
            assert await client.health() == 1
            result = await client.run(make_input(character))
            job_id = (await client.submit(make_input(character))).job_id
            seen = []
            async for event in client.watch(job_id):
                seen.append(event.seq)
                if len(seen) == 3:
                    break
            async for event in client.watch(job_id, after_event=seen[-1]):
                seen.append(event.seq)
            assert seen == list(range(1, len(seen) + 1))
            job = await client.get_job(job_id)
            assert job.result.SerializeToString(deterministic=True) == (await client.get_job(job_id)).result.SerializeToString(deterministic=True)
            events = [e async for e in client.transition(make_input(character))]
            assert events[-1].WhichOneof("kind") == "result"
            assert (await client.list_jobs()).jobs[0].state == job_pb2.JOB_STATE_SUCCEEDED
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await client.submit(make_input(character, method="anymole"))
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            return result

    result = asyncio.run(main())
    assert motion_from_result(result, character[0]).num_frames == 40


def test_to_domain_error_maps_codes(client, character):
    bad = make_input(character)
    bad.fps = -1
    with pytest.raises(grpc.RpcError) as err:
        client.submit(bad)
    exc = to_domain_error(server_error(err.value))
    assert isinstance(exc, ValidationError) and exc.field == "input.fps" and "frame rate" in exc.problem


def test_motion_round_trip_through_helpers(character):
    skeleton, motion = character
    msg = motion_to_proto(motion, [0, 1])
    result = job_pb2.TransitionResult(fps=30.0)
    result.motion.CopyFrom(msg)
    back = motion_from_result(result, skeleton)
    assert isinstance(back, Motion) and torch.equal(back.rotations, motion.rotations)
    assert torch.equal(back.translations, motion.translations)
