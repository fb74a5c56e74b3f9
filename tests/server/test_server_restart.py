"""Persistence: finished results survive a restart; a job running at shutdown (or left behind
by a crash) is INTERRUPTED."""

from __future__ import annotations

import time

import grpc

from anymole.render.preview import render_skeleton_preview
from anymole_client.v1 import job_pb2
from anymole_server import store as st
from anymole_server.config import ServerConfig
from anymole_server.testing import ServerThread, make_config, make_input


def _slow(skeleton, motion, frame_index, options):
    time.sleep(0.3)
    return render_skeleton_preview(skeleton, motion, frame_index, options)


def test_finished_result_survives_restart(tmp_path, character):
    srv = ServerThread(make_config(tmp_path)).start()
    try:
        with srv.client() as client:
            events = []
            job_id = client.submit(make_input(character), idempotency_key="k1").job_id
            result = client.follow(job_id, on_event=events.append)
    finally:
        srv.stop()
    with srv.restarted() as again, again.client() as client:
        job = client.get_job(job_id)
        assert job.state == job_pb2.JOB_STATE_SUCCEEDED
        assert job.result.SerializeToString(deterministic=True) == result.SerializeToString(deterministic=True)
        replay = list(client.watch(job_id))
        differ = [(a.seq, a.WhichOneof("kind"), str(a)[:300], str(b)[:300]) for a, b in zip(events, replay) if a.SerializeToString(deterministic=True) != b.SerializeToString(deterministic=True)]
        assert len(replay) == len(events) and not differ, differ[:1]
        assert client.submit(make_input(character), idempotency_key="k1").job_id == job_id


def test_job_running_at_shutdown_is_interrupted(tmp_path, character):
    srv = ServerThread(make_config(tmp_path, render_preview=_slow)).start()
    try:
        with srv.client() as client:
            job_id = client.submit(make_input(character, preview_max_frames=8)).job_id
            for event in client.watch(job_id):
                if event.WhichOneof("kind") == "preview":
                    break
    finally:
        srv.stop()
    with srv.restarted() as again, again.client() as client:
        job = client.get_job(job_id)
        assert job.state == job_pb2.JOB_STATE_INTERRUPTED
        assert job.error.code == grpc.StatusCode.ABORTED.value[0] and "submit it again" in job.error.message
        events = list(client.watch(job_id))
        assert events[-1].WhichOneof("kind") == "error" and events[-1].job_state == job_pb2.JOB_STATE_INTERRUPTED


def test_jobs_left_unfinished_by_a_crash_are_interrupted_on_startup(tmp_path, character):
    db = tmp_path / "jobs.sqlite3"
    store = st.Store(db)
    store.create_job("crashed", method="spline", idempotency_key=None, request_sha256="", request=None)
    store.append_event("crashed", lambda seq, state: job_pb2.JobEvent(job_id="crashed", seq=seq, job_state=state).SerializeToString(), state=st.RUNNING)
    store.close()  # no terminal event: the process "died" here
    with ServerThread(make_config(tmp_path)) as srv, srv.client() as client:
        job = client.get_job("crashed")
        assert job.state == job_pb2.JOB_STATE_INTERRUPTED and job.last_event_seq == 2
        assert [e.seq for e in client.watch("crashed", after_event=1)] == [2]


def test_store_refuses_events_after_the_terminal_one(tmp_path):
    store = st.Store(tmp_path / "s.sqlite3")
    store.create_job("j", method="m", idempotency_key="key", request_sha256="h", request=b"")
    build = lambda seq, state: b"x"  # noqa: E731
    assert store.append_event("j", build, state=st.RUNNING) == (1, st.RUNNING)
    assert store.append_event("j", build, state=st.SUCCEEDED, result=b"r") == (2, st.SUCCEEDED)
    assert store.append_event("j", build) is None
    assert [s for s, _, _, _ in store.events_after("j", 0)] == [1, 2]
    assert store.get_result("j") == b"r" and store.find_by_key("key").job_id == "j"
    assert ServerConfig().resolved_db_path.name == "jobs.sqlite3"
    store.close()
