"""End to end over real loopback sockets: results, previews, cancellation, reattach,
concurrency, idempotency, queue limits, listing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
import torch

from anymole.wire import motion_from_result
from anymole.inbetween import InbetweenProblem
from anymole.pipeline import PreviewOptions, TransitionRequest, run_transition
from anymole.render.preview import render_skeleton_preview
from anymole_client.v1 import job_pb2
from anymole_server.config import Limits
from anymole_server.jobs import JOB_THREADS_PER_WORKER
from anymole_server.testing import CONTEXT, KEYFRAMES, ServerThread, make_config, make_input, preferred_method


def slow_renderer(delay_s: float):
    def render(skeleton, motion, frame_index, options):
        time.sleep(delay_s)
        return render_skeleton_preview(skeleton, motion, frame_index, options)

    return render


def kinds(events):
    return [e.WhichOneof("kind") for e in events]


def library_result(character, method):
    skeleton, motion = character
    known = torch.zeros(motion.num_frames, dtype=torch.bool)
    known[:CONTEXT] = True
    known[list(KEYFRAMES)] = True
    problem = InbetweenProblem(skeleton, motion, known)
    return run_transition(TransitionRequest(problem, method=method, preview=PreviewOptions(enabled=False)))


def test_result_equals_library(client, character):
    method = preferred_method()
    result = client.run(make_input(character, method=method))
    expected = library_result(character, method)
    got = motion_from_result(result, character[0])
    assert result.method == method
    assert result.first_frame == 0 and result.fps == 30.0
    assert list(result.motion.translated_joints) == [0, 1]  # root and the "pelvis"
    torch.testing.assert_close(got.rotations, expected.motion.rotations, atol=1e-6, rtol=0)
    torch.testing.assert_close(got.translations, expected.motion.translations, atol=1e-6, rtol=0)
    assert result.keyframe_error == pytest.approx(expected.keyframe_error, abs=1e-6)
    # Known frames are handed back exactly as sent.
    _, motion = character
    assert torch.equal(got.rotations[:CONTEXT], motion.rotations[:CONTEXT])
    assert torch.equal(got.rotations[list(KEYFRAMES)], motion.rotations[list(KEYFRAMES)])


def test_previews_arrive_before_the_result(client, character):
    events = []
    client.run(make_input(character, preview_max_frames=4, preview_format="png"), on_event=events.append)
    k = kinds(events)
    assert k[-1] == "result" and k.count("result") == 1
    previews = [e.preview for e in events if e.WhichOneof("kind") == "preview"]
    assert len(previews) == 4 and k.index("preview") < k.index("result")
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    from io import BytesIO

    from PIL import Image

    for p in previews:
        assert p.format == job_pb2.IMAGE_FORMAT_PNG and (p.width, p.height) == (64, 48)
        assert Image.open(BytesIO(p.image)).size == (64, 48)
        assert CONTEXT <= p.frame_index < KEYFRAMES[-1] and p.frame_index not in KEYFRAMES
    progress = [e.progress.fraction for e in events if e.WhichOneof("kind") == "progress"]
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_cancel_mid_job(tmp_path, character):
    with ServerThread(make_config(tmp_path, render_preview=slow_renderer(0.3))) as srv, srv.client() as client:
        job_id = client.submit(make_input(character, preview_max_frames=8)).job_id
        events = []
        for event in client.watch(job_id):
            events.append(event)
            if event.WhichOneof("kind") == "preview" and len([e for e in events if e.WhichOneof("kind") == "preview"]) == 1:
                job = client.cancel(job_id)
                assert job.state in (job_pb2.JOB_STATE_RUNNING, job_pb2.JOB_STATE_CANCELLED)
        last = events[-1]
        assert last.WhichOneof("kind") == "error"
        assert last.error.code == grpc.StatusCode.CANCELLED.value[0]
        assert last.job_state == job_pb2.JOB_STATE_CANCELLED
        assert kinds(events).count("preview") < 8
        job = client.get_job(job_id)
        assert job.state == job_pb2.JOB_STATE_CANCELLED and not job.HasField("result")
        assert client.cancel(job_id).state == job_pb2.JOB_STATE_CANCELLED  # idempotent


def test_cancel_queued_job(tmp_path, character):
    cfg = make_config(tmp_path, render_preview=slow_renderer(0.2), limits=Limits(workers=1, max_queue=4))
    with ServerThread(cfg) as srv, srv.client() as client:
        # One compute slot, JOB_THREADS_PER_WORKER job threads: the jobs after those wait.
        running = [client.submit(make_input(character, preview_max_frames=5)).job_id for _ in range(JOB_THREADS_PER_WORKER)]
        queued = client.submit(make_input(character)).job_id
        assert client.cancel(queued).state == job_pb2.JOB_STATE_CANCELLED
        events = list(client.watch(queued))
        assert kinds(events) == ["state", "error"] and events[-1].error.code == grpc.StatusCode.CANCELLED.value[0]
        # a job waiting for the compute slot (running, blocked behind the first's renders) ends promptly too
        t0 = time.monotonic()
        client.cancel(running[-1])
        assert list(client.watch(running[-1]))[-1].job_state == job_pb2.JOB_STATE_CANCELLED and time.monotonic() - t0 < 2.0
        for job_id in running:
            client.cancel(job_id)


def test_reattach_loses_and_repeats_nothing(tmp_path, character):
    with ServerThread(make_config(tmp_path, render_preview=slow_renderer(0.05))) as srv, srv.client() as client:
        job_id = client.submit(make_input(character, preview_max_frames=8)).job_id
        call = client.watch(job_id)
        head = []
        for event in call:
            head.append(event)
            if len(head) == 5:
                call.cancel()  # disconnect mid-stream
                break
        with pytest.raises(grpc.RpcError):
            next(iter(call))
        tail = list(client.watch(job_id, after_event=head[-1].seq))
        full = list(client.watch(job_id))
        seqs = [e.seq for e in head + tail]
        assert seqs == list(range(1, len(full) + 1))
        assert [e.SerializeToString(deterministic=True) for e in head + tail] == [e.SerializeToString(deterministic=True) for e in full]
        assert full[-1].WhichOneof("kind") == "result"
        assert list(client.watch(job_id, after_event=full[-1].seq)) == []  # nothing after the end


def test_eight_concurrent_clients(server, character):
    def one(i: int):
        with server.client() as c:
            events = []
            result = c.run(make_input(character, seed=i), on_event=events.append)
            return result, events

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(one, range(8)))
    first = outcomes[0][0].motion.rotations.data
    for result, events in outcomes:
        assert events[-1].WhichOneof("kind") == "result"
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert result.motion.rotations.data == first
    with server.client() as c:
        jobs = list(c.iter_jobs(states=[job_pb2.JOB_STATE_SUCCEEDED], page_size=3))
        assert len(jobs) == 8 and len({j.job_id for j in jobs}) == 8


def test_transition_streams_and_cancels_on_disconnect(tmp_path, character):
    with ServerThread(make_config(tmp_path, render_preview=slow_renderer(0.2))) as srv, srv.client() as client:
        events = list(client.transition(make_input(character, preview_max_frames=2)))
        assert events[0].job_id and events[-1].WhichOneof("kind") == "result"
        call = client.transition(make_input(character, preview_max_frames=8))
        job_id = ""
        for event in call:
            job_id = event.job_id
            if event.WhichOneof("kind") == "preview":
                call.cancel()
                break
        deadline = time.monotonic() + 10
        while client.get_job(job_id).state != job_pb2.JOB_STATE_CANCELLED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get_job(job_id).state == job_pb2.JOB_STATE_CANCELLED


def test_idempotency_key(client, character):
    inp = make_input(character)
    a = client.submit(inp, idempotency_key="clip-42")
    b = client.submit(inp, idempotency_key="clip-42")
    assert a.job_id == b.job_id and b.existing and not a.existing
    other = make_input(character, seed=7)
    with pytest.raises(grpc.RpcError) as err:
        client.submit(other, idempotency_key="clip-42")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "idempotency_key" in err.value.details()


def test_queue_full_is_resource_exhausted(tmp_path, character):
    cfg = make_config(tmp_path, render_preview=slow_renderer(0.3), limits=Limits(workers=1, max_queue=1))
    with ServerThread(cfg) as srv, srv.client() as client:
        running = [client.submit(make_input(character, preview_max_frames=6)).job_id for _ in range(JOB_THREADS_PER_WORKER)]
        for job_id in running:
            for event in client.watch(job_id):
                if event.job_state == job_pb2.JOB_STATE_RUNNING:
                    break
        queued = client.submit(make_input(character)).job_id
        with pytest.raises(grpc.RpcError) as err:
            client.submit(make_input(character))
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        for job_id in (queued, *running):
            client.cancel(job_id)
        assert client.health() == 1  # SERVING


def test_get_and_list_jobs(client, character):
    job_id = client.submit(make_input(character)).job_id
    client.follow(job_id)
    job = client.get_job(job_id)
    assert job.state == job_pb2.JOB_STATE_SUCCEEDED and job.HasField("result")
    assert job.created.seconds > 0 and job.finished.ToNanoseconds() >= job.started.ToNanoseconds() > 0
    assert job.progress == 1.0 and job.method == preferred_method()
    listed = client.list_jobs().jobs
    assert [j.job_id for j in listed] == [job_id] and not listed[0].HasField("result")
    assert client.list_jobs(states=[job_pb2.JOB_STATE_FAILED]).jobs == []
    with pytest.raises(grpc.RpcError) as err:
        client.get_job("nope")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        list(client.watch("nope"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_unrunnable_method_is_failed_precondition_at_submit(client, character):
    with pytest.raises(grpc.RpcError) as err:
        client.submit(make_input(character, method="anymole"))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "video prior" in err.value.details()
