"""SQLite persistence of jobs, their events and their results.

One file (WAL mode); one connection shared by the event loop and the worker threads behind a
lock. Events are stored as serialized ``JobEvent`` bytes with a per-job ``seq`` assigned here,
in one transaction with the job row's state, so ``seq`` is gap-free and a terminal event is
always the last: :meth:`Store.append_event` refuses to write after it. On open, jobs left
QUEUED or RUNNING by a previous process are the caller's to interrupt
(:meth:`Store.unfinished_jobs`, then a terminal event each).

Bulky parts are kept apart from the durable event log: a result is stored once (in
``results``; its event row carries none), and preview images and pose previews live in
``blobs`` beside their event row, which :meth:`Store.prune_blobs` trims after the job ends
(default: the last of each kind per stage). The caller splices them back on read.

This module knows states as integers (the ``JobState`` proto values) and payloads as bytes; it
does not import the generated code.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from anymole.errors import AnymoleError

SCHEMA_VERSION = 2

# JobState values (anymole.v1.JobState)
QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = 1, 2, 3, 4, 5, 6
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED, INTERRUPTED})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    state INTEGER NOT NULL,
    method TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT UNIQUE,
    request_sha256 TEXT NOT NULL DEFAULT '',
    request BLOB,
    stage TEXT NOT NULL DEFAULT '',
    progress REAL NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    error_code INTEGER,
    error_message TEXT
);
CREATE TABLE IF NOT EXISTS events (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    terminal INTEGER NOT NULL DEFAULT 0,
    payload BLOB NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (job_id TEXT PRIMARY KEY, payload BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
"""


class JobNotFound(AnymoleError):
    """No job with that id (NOT_FOUND)."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        super().__init__(f"no job {job_id!r}")


class DuplicateKey(AnymoleError):
    """A job with this idempotency key exists already."""


@dataclass(frozen=True)
class JobRow:
    job_id: str
    created: float
    started: float | None
    finished: float | None
    state: int
    method: str
    idempotency_key: str | None
    request_sha256: str
    stage: str
    progress: float
    last_seq: int
    error_code: int | None
    error_message: str | None
    rowid: int

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


_COLUMNS = "job_id, created, started, finished, state, method, idempotency_key, request_sha256, stage, progress, last_seq, error_code, error_message, rowid"


class Store:
    """Jobs, events and results in one SQLite file (``":memory:"`` works too)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) == 1:  # version 2 only added the blobs table (created above)
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
            elif int(row[0]) != SCHEMA_VERSION:
                raise AnymoleError(f"{self.path}: job store schema {row[0]}, this server expects {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- jobs -----------------------------------------------------------------------------

    def create_job(self, job_id: str, *, method: str, idempotency_key: str | None, request_sha256: str, request: bytes | None) -> JobRow:
        """Insert a QUEUED job; :class:`DuplicateKey` if the idempotency key is taken."""
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO jobs (job_id, created, state, method, idempotency_key, request_sha256, request) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (job_id, time.time(), QUEUED, method, idempotency_key or None, request_sha256, request),
                )
            except sqlite3.IntegrityError:
                raise DuplicateKey(idempotency_key or job_id) from None
            return self.get_job(job_id)

    def get_job(self, job_id: str) -> JobRow:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        return JobRow(*row)

    def find_by_key(self, idempotency_key: str) -> JobRow | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
        return None if row is None else JobRow(*row)

    def list_jobs(self, states: Iterable[int] = (), limit: int = 50, before_rowid: int | None = None) -> list[JobRow]:
        """Newest first; ``before_rowid`` pages on."""
        where, args = [], []
        states = list(states)
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args += states
        if before_rowid is not None:
            where.append("rowid < ?")
            args.append(before_rowid)
        sql = f"SELECT {_COLUMNS} FROM jobs {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY rowid DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit)).fetchall()
        return [JobRow(*r) for r in rows]

    def unfinished_jobs(self) -> list[JobRow]:
        """Jobs left QUEUED or RUNNING (after a restart: by a previous process)."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE state IN (?, ?) ORDER BY rowid", (QUEUED, RUNNING)).fetchall()
        return [JobRow(*r) for r in rows]

    # -- events ---------------------------------------------------------------------------

    def append_event(
        self,
        job_id: str,
        build: Callable[[int, int], bytes],
        *,
        state: int | None = None,
        stage: str | None = None,
        progress: float | None = None,
        error: tuple[int, str] | None = None,
        result: bytes | None = None,
    ) -> tuple[int, int] | None:
        """Append one event and update the job row, atomically.

        ``build(seq, state)`` returns the serialized event given its sequence number and the
        job's state after it — or ``(event, blob)`` with ``blob`` ``(kind, stage, bytes)`` to
        store beside it (or None). A terminal ``state`` makes this the job's last event; nothing can
        be appended after that (returns None). ``result`` is stored once, in ``results``;
        blobs beside their event (see :meth:`prune_blobs`). Returns
        ``(seq, state)``.
        """
        with self._lock:
            row = self._db.execute("SELECT state, last_seq FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise JobNotFound(job_id)
            cur_state, last_seq = row
            if cur_state in TERMINAL:
                return None
            seq = last_seq + 1
            new_state = cur_state if state is None else state
            terminal = new_state in TERMINAL
            payload = build(seq, new_state)
            blob = None
            if isinstance(payload, tuple):
                payload, blob = payload
            now = time.time()
            sets, args = ["last_seq = ?", "state = ?"], [seq, new_state]
            if new_state == RUNNING and cur_state != RUNNING:
                sets.append("started = ?")
                args.append(now)
            if terminal:
                sets.append("finished = ?")
                args.append(now)
            if stage is not None:
                sets.append("stage = ?")
                args.append(stage)
            if progress is not None:
                sets.append("progress = ?")
                args.append(progress)
            if error is not None:
                sets += ["error_code = ?", "error_message = ?"]
                args += [int(error[0]), error[1]]
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO events (job_id, seq, terminal, payload) VALUES (?, ?, ?, ?)", (job_id, seq, int(terminal), payload))
                if result is not None:
                    self._db.execute("INSERT OR REPLACE INTO results (job_id, payload) VALUES (?, ?)", (job_id, result))
                if blob is not None:
                    self._db.execute("INSERT INTO blobs (job_id, seq, kind, stage, payload) VALUES (?, ?, ?, ?, ?)", (job_id, seq, *blob))
                self._db.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE job_id = ?", (*args, job_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return seq, new_state

    def events_after(self, job_id: str, after_seq: int, limit: int = 256) -> list[tuple[int, bool, bytes, bytes | None]]:
        """``(seq, terminal, payload, blob)`` of events with ``seq > after_seq``, in order;
        ``blob`` is None where there is none (or it was pruned)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT e.seq, e.terminal, e.payload, b.payload FROM events e LEFT JOIN blobs b ON b.job_id = e.job_id AND b.seq = e.seq "
                "WHERE e.job_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
                (job_id, after_seq, limit),
            ).fetchall()
        return [(int(s), bool(t), bytes(p), None if b is None else bytes(b)) for s, t, p, b in rows]

    def prune_blobs(self, job_id: str, keep: str = "last") -> int:
        """Drop a finished job's preview blobs: ``keep`` ``"last"`` keeps the last of each kind
        per stage, ``"none"`` drops all, ``"all"`` keeps everything. Returns how many went."""
        if keep == "all":
            return 0
        with self._lock:
            if keep == "none":
                cur = self._db.execute("DELETE FROM blobs WHERE job_id = ?", (job_id,))
            else:
                cur = self._db.execute(
                    "DELETE FROM blobs WHERE job_id = ? AND seq NOT IN "
                    "(SELECT MAX(seq) FROM blobs WHERE job_id = ? GROUP BY kind, stage)",
                    (job_id, job_id),
                )
            return cur.rowcount

    def jobs_with_blobs(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT job_id FROM blobs").fetchall()]

    def size_bytes(self) -> int:
        """Pages in use times page size (the database file, WAL excluded)."""
        with self._lock:
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
            size = self._db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def get_result(self, job_id: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT payload FROM results WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else bytes(row[0])
