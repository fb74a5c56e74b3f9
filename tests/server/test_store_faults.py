"""The job store fails loudly and recovers: a bad database at start-up is one line naming the
path (ConfigError from ``serve``, exit code 2 from ``anymole serve``); a full, read-only,
corrupt or deleted store while serving turns health NOT_SERVING, submit UNAVAILABLE and a
watcher's stream UNAVAILABLE (never a hang or a zombie QUEUED job); a full or read-only store
that works again turns health back to SERVING and records the ends it could not record."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from anymole.render.preview import render_skeleton_preview
from anymole_client.v1 import job_pb2
from anymole_server import store as st
from anymole_server.app import SERVICE_NAME
from anymole_server.config import ConfigError
from anymole_server.testing import ServerThread, make_config, make_input

ROOT = Path(__file__).resolve().parents[2]
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING

V2_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY, created REAL NOT NULL, started REAL, finished REAL, state INTEGER NOT NULL,
    method TEXT NOT NULL DEFAULT '', idempotency_key TEXT UNIQUE, request_sha256 TEXT NOT NULL DEFAULT '',
    request BLOB, stage TEXT NOT NULL DEFAULT '', progress REAL NOT NULL DEFAULT 0, last_seq INTEGER NOT NULL DEFAULT 0,
    error_code INTEGER, error_message TEXT
);
CREATE TABLE events (job_id TEXT NOT NULL, seq INTEGER NOT NULL, terminal INTEGER NOT NULL DEFAULT 0, payload BLOB NOT NULL, PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
CREATE TABLE results (job_id TEXT PRIMARY KEY, payload BLOB NOT NULL);
CREATE TABLE blobs (job_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, stage TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
CREATE INDEX jobs_state ON jobs (state);
INSERT INTO meta VALUES ('schema_version', '2');
"""


def _until(predicate, timeout_s: float = 5.0, step_s: float = 0.02):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    return predicate()


def _health(client) -> tuple[int, int]:
    return client.health(""), client.health(SERVICE_NAME)


def _config(tmp_path, **kw):
    kw.setdefault("store_check_interval_s", 0.05)
    return make_config(tmp_path, **kw)


def _event(seq: int, state: int) -> bytes:
    return job_pb2.JobEvent(seq=seq, job_state=state).SerializeToString()


# -- start-up on a bad database --------------------------------------------------------------


def _one_line(message: str, path: Path) -> None:
    assert "\n" not in message and str(path) in message, message


def test_not_a_database_is_one_line_with_the_path(tmp_path):
    bad = tmp_path / "jobs.sqlite3"
    bad.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(st.StoreOpenError) as err:
        st.Store(bad)
    _one_line(str(err.value), bad)
    assert "not an SQLite database" in str(err.value) and "another --db" in str(err.value)
    with pytest.raises(ConfigError) as cfg:
        ServerThread(make_config(tmp_path, db_path=bad)).start()
    _one_line(str(cfg.value), bad)


def test_corrupt_database_fails_its_integrity_check(tmp_path):
    from anymole_server.bench_faults import make_corrupt_database

    db = make_corrupt_database(tmp_path / "jobs.sqlite3", jobs=40)
    with pytest.raises(st.StoreOpenError) as err:
        st.Store(db)
    _one_line(str(err.value), db)
    assert "corrupt" in str(err.value) and ".recover" in str(err.value)


def test_newer_schema_and_foreign_database_are_refused(tmp_path):
    db = tmp_path / "jobs.sqlite3"
    st.Store(db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(st.StoreOpenError) as err:
        st.Store(db)
    _one_line(str(err.value), db)
    assert "newer" in str(err.value) and "99" in str(err.value)
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE jobs (x)")
    con.commit()
    con.close()
    with pytest.raises(st.StoreOpenError, match="not a job store"):
        st.Store(other)
    with pytest.raises(st.StoreOpenError, match="is a folder"):
        st.Store(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads and writes any file")
def test_unreadable_and_read_only_files_are_one_line(tmp_path):
    db = tmp_path / "jobs.sqlite3"
    st.Store(db).close()
    db.chmod(0o444)
    with pytest.raises(st.StoreOpenError) as err:
        st.Store(db)
    _one_line(str(err.value), db)
    assert "read-only" in str(err.value) or "written" in str(err.value)
    db.chmod(0)
    with pytest.raises(st.StoreOpenError):
        st.Store(db)
    db.chmod(0o644)


def test_anymole_serve_exits_2_with_one_line_on_a_bad_database(tmp_path):
    bad = tmp_path / "jobs.sqlite3"
    bad.write_bytes(b"\x00garbage" * 500)
    proc = subprocess.run(
        [sys.executable, "-m", "anymole.cli", "serve", "--port", "0", "--db", str(bad)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("anymole serve: error:")]
    assert len(errors) == 1 and str(bad) in errors[0] and "Traceback" not in proc.stderr, proc.stderr


# -- schema 3: migration and tenants -------------------------------------------------------


def test_migration_from_schema_2_keeps_jobs_rowids_and_keys(tmp_path):
    db = tmp_path / "jobs.sqlite3"
    con = sqlite3.connect(db)
    con.executescript(V2_SCHEMA)
    con.execute("INSERT INTO jobs (job_id, created, state, method, idempotency_key, last_seq) VALUES ('a', 1.0, 3, 'spline', 'k1', 1)")
    con.execute("INSERT INTO jobs (job_id, created, state, method, idempotency_key) VALUES ('b', 2.0, 1, 'spline', NULL)")
    con.execute("INSERT INTO events VALUES ('a', 1, 1, x'01')")
    con.execute("INSERT INTO results VALUES ('a', x'0203')")
    con.commit()
    rowids = dict(con.execute("SELECT job_id, rowid FROM jobs"))
    con.close()
    store = st.Store(db)
    a = store.get_job("a")
    assert (a.tenant, a.idempotency_key, a.rowid) == ("", "k1", rowids["a"]) and store.get_job("b").rowid == rowids["b"]
    assert store.get_result("a") == b"\x02\x03" and store.events_after("a", 0)[0][0] == 1
    assert store._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(st.SCHEMA_VERSION)
    # Keys are unique per tenant now.
    store.create_job("c", method="m", idempotency_key="k1", request_sha256="", request=None, tenant="team-b")
    with pytest.raises(st.DuplicateKey):
        store.create_job("d", method="m", idempotency_key="k1", request_sha256="", request=None)
    store.close()
    st.Store(db).close()  # opens again as schema 3


def test_tenant_scoping_in_the_store(tmp_path):
    store = st.Store(tmp_path / "jobs.sqlite3")
    store.create_job("a1", method="m", idempotency_key="same", request_sha256="", request=None, tenant="a")
    store.create_job("b1", method="m", idempotency_key="same", request_sha256="", request=None, tenant="b")
    assert store.get_job("a1").tenant == "a" and store.get_job("a1", "a").job_id == "a1"
    with pytest.raises(st.JobNotFound):
        store.get_job("a1", "b")
    assert store.find_by_key("same", "a").job_id == "a1" and store.find_by_key("same", "b").job_id == "b1"
    assert store.find_by_key("same") is None
    assert [r.job_id for r in store.list_jobs(tenant="b")] == ["b1"] and len(store.list_jobs()) == 2
    store.release_key("a1")
    assert store.find_by_key("same", "a") is None and store.get_job("a1").idempotency_key is None
    store.create_job("a2", method="m", idempotency_key="same", request_sha256="", request=None, tenant="a")
    store.close()


# -- failing writes ----------------------------------------------------------------------------


def test_a_failed_commit_is_reported_not_the_rollback(tmp_path, monkeypatch):
    store = st.Store(tmp_path / "jobs.sqlite3")
    store.create_job("j", method="m", idempotency_key=None, request_sha256="", request=None)

    def failing_commit(db):
        db.execute("ROLLBACK")  # as SQLite does itself on some COMMIT failures
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_commit", failing_commit)
    with pytest.raises(st.StoreUnavailable, match="disk I/O error") as err:
        store.append_event("j", _event, state=st.RUNNING)
    assert "rollback" not in str(err.value).lower() and store.failure is not None
    monkeypatch.undo()
    assert store.append_event("j", _event, state=st.RUNNING) == (1, st.RUNNING)
    assert store.failure is not None and store.check() is None  # the probe clears a recoverable failure
    store.close()


def test_full_store_recovers_when_space_comes_back(tmp_path):
    store = st.Store(tmp_path / "jobs.sqlite3")
    seen = []
    store.add_listener(seen.append)
    store.create_job("j", method="m", idempotency_key=None, request_sha256="", request=None)
    store.limit_pages(store.page_count())
    with pytest.raises(st.StoreUnavailable, match="full"):
        for _ in range(50):
            store.append_event("j", lambda seq, state: (b"e", ("preview", "s", b"p" * 8000)))
    assert store.check() is not None and seen and seen[-1] is not None
    store.limit_pages(None)
    assert _until(lambda: store.check() is None, 3.0)
    assert seen[-1] is None
    store.close()


# -- faults while serving ---------------------------------------------------------------------


def _slow(skeleton, motion, frame_index, options):
    time.sleep(0.15)
    return render_skeleton_preview(skeleton, motion, frame_index, options)


def _expect_unavailable(call):
    with pytest.raises(grpc.RpcError) as err:
        call()
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE, (err.value.code(), err.value.details())
    return err.value.details()


def test_read_only_store_while_serving_fails_loudly_and_recovers(tmp_path, character):
    with ServerThread(_config(tmp_path, render_preview=_slow)) as srv, srv.client() as client:
        store = srv.server.store
        job_id = client.submit(make_input(character, preview_max_frames=30)).job_id
        events, outcome = [], {}

        def watch():
            try:
                for ev in client.watch(job_id):
                    events.append(ev)
            except grpc.RpcError as exc:
                outcome["code"] = exc.code()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        assert _until(lambda: any(e.WhichOneof("kind") == "preview" for e in events))
        store.set_query_only(True)
        watcher.join(5.0)
        assert not watcher.is_alive() and outcome.get("code") == grpc.StatusCode.UNAVAILABLE
        assert _until(lambda: _health(client) == (NOT_SERVING, NOT_SERVING))
        details = _expect_unavailable(lambda: client.submit(make_input(character)))
        assert "read-only" in details and str(store.path) in details
        store.set_query_only(False)
        assert _until(lambda: _health(client) == (SERVING, SERVING))
        job = _until(lambda: (j := client.get_job(job_id)).state != job_pb2.JOB_STATE_RUNNING and j)
        assert job.state == job_pb2.JOB_STATE_FAILED and "job store" in job.error.message  # no zombie
        assert list(client.watch(job_id))[-1].job_state == job_pb2.JOB_STATE_FAILED
        assert client.follow(client.submit(make_input(character)).job_id) is not None


def test_full_disk_at_submit_leaves_no_zombie_job(tmp_path, character):
    with ServerThread(_config(tmp_path)) as srv, srv.client() as client:
        store = srv.server.store
        client.follow(client.submit(make_input(character)).job_id)
        store.limit_pages(store.page_count())
        for _ in range(20):  # a request needs new pages sooner or later
            try:
                client.submit(make_input(character, preview_max_frames=2))
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.UNAVAILABLE and "full" in exc.details(), exc.details()
                break
        else:
            pytest.fail("the capped store never filled up")
        assert _until(lambda: _health(client) == (NOT_SERVING, NOT_SERVING))
        store.limit_pages(None)
        assert _until(lambda: _health(client) == (SERVING, SERVING))
        states = _until(lambda: (s := [j.state for j in client.list_jobs().jobs]) and job_pb2.JOB_STATE_QUEUED not in s and job_pb2.JOB_STATE_RUNNING not in s and s)
        assert states and all(s in (job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED) for s in states), states


def test_deleted_database_is_noticed_and_saved(tmp_path, character):
    with ServerThread(_config(tmp_path)) as srv, srv.client() as client:
        done = client.submit(make_input(character)).job_id
        client.follow(done)
        path = Path(srv.server.store.path)
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        assert _until(lambda: _health(client) == (NOT_SERVING, NOT_SERVING))
        details = _expect_unavailable(lambda: client.submit(make_input(character)))
        assert "deleted" in details and "restart" in details
        recovered = Path(f"{path}.recovered")
        assert recovered.exists() and str(recovered) in details
    shutil.move(recovered, path)  # what the message says to do
    with ServerThread(_config(tmp_path)) as again, again.client() as client:
        assert client.get_job(done).state == job_pb2.JOB_STATE_SUCCEEDED


def test_corrupt_pages_while_serving_answer_unavailable_not_a_hang(tmp_path, character):
    with ServerThread(_config(tmp_path)) as srv, srv.client() as client:
        job_id = client.submit(make_input(character)).job_id
        client.follow(job_id)
        store = srv.server.store
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with open(store.path, "r+b") as f:
            f.seek(4096)
            f.write(b"\xde\xad" * 64 * 1024)
        store.drop_cache()
        t0 = time.monotonic()
        details = _expect_unavailable(lambda: list(client.watch(job_id)))
        assert "corrupt" in details and time.monotonic() - t0 < 5
        assert _until(lambda: _health(client) == (NOT_SERVING, NOT_SERVING))
        _expect_unavailable(lambda: client.submit(make_input(character)))
    with pytest.raises(ConfigError, match="corrupt"):
        ServerThread(_config(tmp_path)).start()
