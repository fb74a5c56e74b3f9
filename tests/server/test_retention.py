"""Retention: finished jobs are deleted by age and count (unfinished ones never), results of
the jobs kept stay, free pages go back to the file system, ``anymole serve --vacuum`` compacts
the database; a finished job leaves no per-job state in the job manager."""

from __future__ import annotations

import time

from anymole.cli import main
from anymole_client.v1 import job_pb2
from anymole_server import store as st
from anymole_server.testing import ServerThread, make_config, make_input


def _ev(seq: int, state: int):
    return job_pb2.JobEvent(seq=seq, job_state=state).SerializeToString(), ("preview", "s", b"p" * 2000)


def _finished_jobs(store: st.Store, n: int, prefix: str = "j") -> list[str]:
    ids = []
    for i in range(n):
        job_id = f"{prefix}{i:03d}"
        store.create_job(job_id, method="m", idempotency_key=f"k{job_id}", request_sha256="", request=b"r" * 4000)
        store.append_event(job_id, _ev, state=st.RUNNING)
        store.append_event(job_id, lambda seq, state: b"done", state=st.SUCCEEDED, result=b"result" * 100)
        ids.append(job_id)
    return ids


def test_delete_finished_by_age_and_count_keeps_unfinished_and_results(tmp_path):
    store = st.Store(tmp_path / "jobs.sqlite3")
    ids = _finished_jobs(store, 30)
    store.create_job("running", method="m", idempotency_key=None, request_sha256="", request=None)
    store.append_event("running", _ev, state=st.RUNNING)
    now = time.time()
    for i, job_id in enumerate(ids):  # j000 finished 30 days ago, j029 one day ago
        store._db.execute("UPDATE jobs SET finished = ? WHERE job_id = ?", (now - (30 - i) * 86400.0, job_id))
    assert store.delete_finished(older_than_s=10.5 * 86400, now=now) == 20
    left = {r.job_id for r in store.list_jobs(limit=100)}
    assert left == {*ids[20:], "running"}
    assert store.delete_finished(keep_max=4, now=now) == 6
    left = sorted(r.job_id for r in store.list_jobs(limit=100))
    assert left == sorted([*ids[26:], "running"])
    for job_id in ids[26:]:
        assert store.get_result(job_id) == b"result" * 100 and len(store.events_after(job_id, 0)) == 2
    counts = [store._db.execute(f"SELECT COUNT(*) FROM {t} WHERE job_id = ?", (ids[0],)).fetchone()[0] for t in ("events", "blobs", "results", "jobs")]
    assert counts == [0, 0, 0, 0]
    assert store.find_by_key(f"k{ids[0]}") is None  # its key is free again
    free, _ = store.free_pages()
    assert free > 0 and store.reclaim(10_000) == free and store.free_pages()[0] == 0
    store.close()


def test_housekeeping_applies_retention_while_serving(tmp_path, character):
    config = make_config(tmp_path, retain_jobs_max=3, housekeeping_interval_s=0.1, store_check_interval_s=0.05, keep_previews_for_s=0.0)
    with ServerThread(config) as srv, srv.client() as client:
        results = {}
        for _ in range(6):
            job_id = client.submit(make_input(character)).job_id
            results[job_id] = client.follow(job_id).SerializeToString(deterministic=True)
        deadline = time.monotonic() + 5
        while len(client.list_jobs().jobs) > 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        kept = [j.job_id for j in client.list_jobs().jobs]
        assert kept == list(results)[-3:][::-1]
        for job_id in kept:
            assert client.get_job(job_id).result.SerializeToString(deterministic=True) == results[job_id]
        # Previews were pruned to the last per stage by housekeeping or the timer (soon after).
        deadline = time.monotonic() + 5
        while srv.server.store.jobs_with_blobs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.server.store.jobs_with_blobs() == []


def test_finished_jobs_leave_no_per_job_state(tmp_path, character):
    with ServerThread(make_config(tmp_path)) as srv, srv.client() as client:
        jobs = srv.server.jobs
        ids = [client.submit(make_input(character, preview_max_frames=1)).job_id for _ in range(12)]
        for job_id in ids:
            client.follow(job_id)
            list(client.watch(job_id))  # watching a finished job, twice
            list(client.watch(job_id, after_event=1))
        client.cancel(ids[0])  # cancelling a finished job changes nothing
        deadline = time.monotonic() + 5
        while (jobs._live or jobs._wakers or jobs._pending) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (len(jobs._live), len(jobs._wakers), len(jobs._pending), len(jobs._unrecorded)) == (0, 0, 0, 0)


def test_serve_vacuum_applies_retention_and_compacts(tmp_path, capsys):
    db = tmp_path / "jobs.sqlite3"
    store = st.Store(db)
    ids = _finished_jobs(store, 40)
    store._db.execute("PRAGMA auto_vacuum = NONE")  # as a database made before incremental vacuum
    store._db.execute("VACUUM")
    store.close()
    size_before = db.stat().st_size
    assert main(["serve", "--db", str(db), "--retain-jobs", "5", "--vacuum"]) == 0
    out = capsys.readouterr().out
    assert "deleted 35 finished jobs" in out and "5 jobs kept" in out and "MiB" in out
    store = st.Store(db)
    assert sorted(r.job_id for r in store.list_jobs(limit=100)) == ids[-5:]
    assert store._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental from now on
    store.close()
    assert db.stat().st_size < size_before / 3
