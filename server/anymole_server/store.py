"""SQLite persistence of jobs, their events and their results.

One file; one connection shared by the event loop and the worker threads behind a lock. Events
are stored as serialized ``JobEvent`` bytes with a per-job ``seq`` assigned here, in one
transaction with the job row's state, so ``seq`` is gap-free and a terminal event is always the
last: :meth:`Store.append_event` refuses to write after it. On open, jobs left QUEUED or
RUNNING by a previous process are the caller's to interrupt (:meth:`Store.unfinished_jobs`,
then a terminal event each).

Bulky parts are kept apart from the durable event log: a result is stored once (in
``results``; its event row carries none), and preview images and pose previews live in
``blobs`` beside their event row, which :meth:`Store.prune_blobs` trims after the job ends
(default: the last of each kind per stage). The caller splices them back on read.

Durability. ``journal_mode=WAL`` (readers never block the writer; a crashed process leaves a
consistent database) with ``synchronous=NORMAL`` for ordinary events: in WAL mode NORMAL never
corrupts the database and loses nothing when the *process* dies (kill -9), but a power cut or
an OS crash may roll back the last commits — progress and preview events, which a client
re-asks for anyway. The transaction that writes a job's terminal event (and its result) runs
with ``synchronous=FULL`` (the WAL is fsynced at its commit), so a finished result survives a
power cut too; that is one fsync per job, not one per event.

Failures are loud. Every SQLite error (a read-only file or file system, a full disk, corrupt
pages, I/O errors) becomes :class:`StoreUnavailable` (UNAVAILABLE on the wire), the store
records what failed (:attr:`Store.failure`) and tells its listeners
(:meth:`Store.add_listener`: the server turns health NOT_SERVING). :meth:`Store.check` — run
every second by the server — notices a database file deleted or replaced under the open
connection (its inode is compared with the one opened) and, while failed, probes with a write: a read-only or full store that works again (the disk has space again, the file system
is writable again; the probe writes and deletes :data:`PROBE_BYTES`) is healthy again, and the
listeners are told. A deleted, replaced or
corrupt database needs a restart: a deleted one is first copied from the open connection to
``<path>.recovered`` (see :meth:`Store.check`). A failed COMMIT's ROLLBACK never hides the
COMMIT's error.

Opening is checked: a file that cannot be opened or written, is not an SQLite database, fails
``PRAGMA quick_check`` or has a newer schema raises :class:`StoreOpenError`, one line naming
the path and what to do.

Retention: :meth:`Store.delete_finished` drops whole finished jobs (their events, blobs and
result) by age and count, in bounded batches; new databases use ``auto_vacuum=INCREMENTAL``
so :meth:`Store.reclaim` gives freed pages back to the file system a bounded number at a time;
:meth:`Store.vacuum` rewrites the whole file (``anymole serve --vacuum``; it also turns
incremental auto-vacuum on for a database made before it).

Tenants: every job belongs to one (``''`` when authentication has none); idempotency keys are
unique per tenant.

This module knows states as integers (the ``JobState`` proto values) and payloads as bytes; it
does not import the generated code.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from anymole.errors import AnymoleError

log = logging.getLogger("anymole_server.store")

SCHEMA_VERSION = 3

# JobState values (anymole.v1.JobState)
QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = 1, 2, 3, 4, 5, 6
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED, INTERRUPTED})

BUSY_TIMEOUT_S = 5.0  # another process holding the write lock: fail after this, do not hang
PROBE_INTERVAL_S = 0.5  # least time between two recovery probes of a failed store
PROBE_BYTES = 256 * 1024  # what a recovery probe writes (and deletes): about one job's worth
DELETE_BATCH = 200  # jobs deleted per transaction by retention

_JOBS_V3 = """
CREATE TABLE IF NOT EXISTS {name} (
    job_id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    state INTEGER NOT NULL,
    method TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    request_sha256 TEXT NOT NULL DEFAULT '',
    request BLOB,
    stage TEXT NOT NULL DEFAULT '',
    progress REAL NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    error_code INTEGER,
    error_message TEXT,
    tenant TEXT NOT NULL DEFAULT '',
    blobs_pruned INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant, idempotency_key)
);
"""

_SCHEMA = _JOBS_V3.format(name="jobs") + """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
"""

_INDEXES = """
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished) WHERE finished IS NOT NULL;
"""

_V2_COLUMNS = "job_id, created, started, finished, state, method, idempotency_key, request_sha256, request, stage, progress, last_seq, error_code, error_message"


class JobNotFound(AnymoleError):
    """No job with that id (NOT_FOUND)."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        shown = job_id if len(job_id) <= 64 else job_id[:64] + "…"  # never echo an unbounded id
        super().__init__(f"no job {shown!r}")


class DuplicateKey(AnymoleError):
    """A job with this idempotency key exists already (for this tenant)."""


class StoreUnavailable(AnymoleError):
    """The job store cannot be used now (UNAVAILABLE): read-only, full, corrupt, deleted, or
    an I/O error. The message says which and what the operator can do."""


class StoreOpenError(StoreUnavailable):
    """The job store cannot be opened (``serve`` turns it into a ConfigError: exit code 2)."""


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
    tenant: str = ""

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


_COLUMNS = "job_id, created, started, finished, state, method, idempotency_key, request_sha256, stage, progress, last_seq, error_code, error_message, rowid, tenant"

# What the operator can do, by SQLite primary error name (sqlite3 exceptions carry it since 3.11).
_ADVICE = {
    "SQLITE_FULL": "the disk (or the database's size cap) is full: free space; the server recovers by itself",
    "SQLITE_READONLY": "the database or its folder is read-only: make both writable; the server recovers by itself",
    "SQLITE_CORRUPT": "the database is corrupt: restart the server with the file moved aside (or recovered with `sqlite3 FILE .recover`)",
    "SQLITE_NOTADB": "the file is not an SQLite database: move it aside or pass another --db",
    "SQLITE_IOERR": "an I/O error: check the disk; the server retries",
    "SQLITE_CANTOPEN": "the database cannot be opened: check the path and its permissions",
    "SQLITE_BUSY": "another process holds the database's write lock: run one server per database",
    "SQLITE_LOCKED": "another process holds the database's write lock: run one server per database",
    "SQLITE_PERM": "permission denied: check the file's permissions",
}
_PERMANENT = ("SQLITE_CORRUPT", "SQLITE_NOTADB")  # no probe clears these: restart


def _error_name(exc: BaseException) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    primary = "_".join(name.split("_")[:2]) if name.startswith("SQLITE_") else ""
    if not primary:
        text = str(exc).lower()
        if "malformed" in text:
            primary = "SQLITE_CORRUPT"
        elif "not a database" in text:
            primary = "SQLITE_NOTADB"
        elif "disk is full" in text:
            primary = "SQLITE_FULL"
        elif "readonly" in text or "read-only" in text:
            primary = "SQLITE_READONLY"
    return primary


class Store:
    """Jobs, events and results in one SQLite file (``":memory:"`` works too)."""

    def __init__(self, path: str | Path, *, check_integrity: bool = True):
        self.path = str(path)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[str | None], None]] = []
        self.failure: str | None = None  # why the store is unavailable now; None: it works
        self._permanent = False  # a failure only a restart clears
        self._last_probe = 0.0
        self._identity: tuple[int, int] | None = None
        self._db: sqlite3.Connection | None = None
        try:
            self._open(check_integrity)
        except BaseException:
            if self._db is not None:
                self._db.close()
            raise

    # -- opening ----------------------------------------------------------------------------

    def _open_error(self, what: str, exc: BaseException | None = None) -> StoreOpenError:
        name = _error_name(exc) if exc is not None else ""
        detail = f" ({exc})" if exc is not None else ""
        advice = _ADVICE.get(name, "fix it or pass another --db")
        if name in ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR"):
            advice = advice.split(";")[0] + "; then start the server again"
        return StoreOpenError(f"job store {self.path}: {what}{detail}: {advice}")

    def _open(self, check_integrity: bool) -> None:
        memory = self.path == ":memory:"
        if not memory:
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreOpenError(f"job store {self.path}: cannot create its folder ({exc.strerror}): pass another --db") from None
            if Path(self.path).is_dir():
                raise StoreOpenError(f"job store {self.path}: is a folder, not a file: pass a file path to --db")
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S)
            # Fails with SQLITE_NOTADB on a file that is not a database.
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error as exc:
            raise self._open_error("cannot be opened as an SQLite database", exc) from None
        try:
            if not tables:
                self._db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # before the first table
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if not memory and str(mode).lower() != "wal":
                raise StoreOpenError(f"job store {self.path}: cannot use WAL journaling (got {mode!r}): put the database on a local file system")
            self._db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise self._open_error("cannot be set up", exc) from None
        if check_integrity and tables:
            try:
                problems = [r[0] for r in self._db.execute("PRAGMA quick_check(5)").fetchall()]
            except sqlite3.Error as exc:
                raise self._open_error("fails its integrity check", exc) from None
            if problems != ["ok"]:
                first = " ".join(" ".join(map(str, problems)).split())[:160]
                raise StoreOpenError(
                    f"job store {self.path}: is corrupt (quick_check: {first}): move it aside (or recover it with "
                    "`sqlite3 FILE .recover`) and start again"
                )
        try:
            self._migrate(tables)
            # A real write, so a read-only file, folder or file system is found now, not at
            # the first submit.
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('opened', ?)", (repr(time.time()),))
            self._db.execute("COMMIT")
        except StoreOpenError:
            raise
        except sqlite3.Error as exc:
            self._rollback_quietly()
            raise self._open_error("cannot be written", exc) from None
        if not memory:
            self._identity = self._file_identity()

    def _migrate(self, tables: set[str]) -> None:
        if "jobs" in tables and "meta" not in tables:
            raise StoreOpenError(f"job store {self.path}: is an SQLite database but not a job store: pass another --db")
        if not tables:
            self._db.execute("BEGIN IMMEDIATE")
            for statement in filter(str.strip, (_SCHEMA + _INDEXES).split(";")):
                self._db.execute(statement)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self._db.execute("COMMIT")
            return
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            version = int(row[0]) if row is not None else 0
        except ValueError:
            version = 0
        if version > SCHEMA_VERSION:
            raise StoreOpenError(
                f"job store {self.path}: schema {version} is newer than this server's ({SCHEMA_VERSION}): "
                "it was written by a newer anymole; run that version, or pass another --db"
            )
        if version < 1:
            raise StoreOpenError(f"job store {self.path}: has no readable schema version: move it aside or pass another --db")
        if version < SCHEMA_VERSION:
            log.warning("job store %s: migrating schema %d -> %d", self.path, version, SCHEMA_VERSION)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # Version 2 added the blobs table; version 3 the tenant column, with idempotency
                # keys unique per tenant (a table constraint: the table is rebuilt, rowids kept).
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    if "TABLE IF NOT EXISTS jobs" not in statement:
                        self._db.execute(statement)
                self._db.execute(_JOBS_V3.format(name="jobs_v3"))
                self._db.execute(f"INSERT INTO jobs_v3 (rowid, {_V2_COLUMNS}, tenant) SELECT rowid, {_V2_COLUMNS}, '' FROM jobs")
                self._db.execute("DROP TABLE jobs")
                self._db.execute("ALTER TABLE jobs_v3 RENAME TO jobs")
                for statement in filter(str.strip, _INDEXES.split(";")):
                    self._db.execute(statement)
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
                self._db.execute("COMMIT")
            except BaseException:
                self._rollback_quietly()
                raise

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()

    # -- failure and recovery ---------------------------------------------------------------

    def add_listener(self, listener: Callable[[str | None], None]) -> None:
        """``listener(failure)`` is called (from any thread) when the store fails (``failure``
        says why) and when it works again (``None``)."""
        self._listeners.append(listener)

    def _notify(self, failure: str | None) -> None:
        for listener in list(self._listeners):
            try:
                listener(failure)
            except Exception:  # noqa: BLE001 - a listener's bug must not mask the store's state
                log.exception("store listener failed")

    def _fail(self, message: str, permanent: bool = False) -> StoreUnavailable:
        with self._lock:
            first = self.failure is None
            self.failure = message
            self._permanent = self._permanent or permanent
        if first:
            log.error("job store unavailable: %s", message)
            self._notify(message)
        return StoreUnavailable(message)

    def _recovered(self) -> None:
        with self._lock:
            if self.failure is None or self._permanent:
                return
            self.failure = None
        log.warning("job store %s works again", self.path)
        self._notify(None)

    def _describe(self, exc: BaseException, doing: str) -> tuple[str, bool]:
        name = _error_name(exc)
        advice = _ADVICE.get(name, "see the server log")
        return f"the job store {self.path} failed while {doing}: {exc}; {advice}", name in _PERMANENT

    @contextmanager
    def _guard(self, doing: str, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; SQLite errors become :class:`StoreUnavailable`
        (and mark the store failed). Anything on a store that failed for good is refused; after
        a recoverable failure writes are still tried, but only :meth:`check`'s probe marks the
        store healthy again (one write that fits in a half-full page proves little)."""
        with self._lock:
            if self._permanent:
                raise StoreUnavailable(self.failure or "the job store is unavailable")
            if write and self._identity is not None:
                self._check_identity()
            try:
                yield self._db
            except sqlite3.IntegrityError:
                raise
            except sqlite3.ProgrammingError as exc:
                if "closed" in str(exc):  # the server is stopping
                    raise StoreUnavailable(f"the job store {self.path} is closed (the server is stopping)") from None
                raise  # a bug here: INTERNAL
            except sqlite3.Error as exc:
                message, permanent = self._describe(exc, doing)
                raise self._fail(message, permanent) from exc

    def _check_identity(self) -> None:
        """Fail for good when the file at ``path`` is not the one opened (deleted or replaced)."""
        now = self._file_identity()
        if now == self._identity:
            return
        what = "deleted" if now is None else "replaced by another file"
        rescued = self._rescue() if now is None else None
        hint = f"; its contents as this server knew them were saved to {rescued}: move that back to {self.path} before restarting to keep its jobs" if rescued else ""
        raise self._fail(f"the job store {self.path} was {what} while serving: restart the server{hint}", permanent=True)

    def _rescue(self) -> str | None:
        """Copy the open (deleted) database to ``<path>.recovered``; None when that fails."""
        target = self.path + ".recovered"
        if os.path.exists(target):
            return None
        try:
            dest = sqlite3.connect(target)
            try:
                self._db.backup(dest)
            finally:
                dest.close()
            return target
        except (sqlite3.Error, OSError) as exc:
            log.error("could not save the deleted job store to %s: %s", target, exc)
            return None

    def check(self) -> str | None:
        """Look at the store (any thread; the server runs it every second): a deleted or
        replaced file fails it for good; while failed, a tiny write probes (at most every
        :data:`PROBE_INTERVAL_S`) whether it works again. Returns :attr:`failure`."""
        with self._lock:
            if self._permanent:
                return self.failure
            if self._identity is not None:
                try:
                    self._check_identity()
                except StoreUnavailable:
                    return self.failure
            if self.failure is None:
                return None
            if time.monotonic() - self._last_probe < PROBE_INTERVAL_S:
                return self.failure
            self._last_probe = time.monotonic()
        try:
            # Room for a job's worth of pages, not just a row that fits in a page half full.
            with self._transaction("probing") as db:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('probe', zeroblob(?))", (PROBE_BYTES,))
            with self._transaction("probing") as db:
                db.execute("DELETE FROM meta WHERE key = 'probe'")
        except StoreUnavailable:
            return self.failure
        self._recovered()
        return self.failure

    @property
    def healthy(self) -> bool:
        return self.failure is None

    def _commit(self, db: sqlite3.Connection) -> None:
        db.execute("COMMIT")

    def _rollback_quietly(self) -> None:
        """Roll back an open transaction without hiding the error that led here (a failed
        COMMIT may have rolled back already; a second failure is only logged)."""
        db = self._db
        try:
            if db is not None and db.in_transaction:
                db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.warning("job store %s: ROLLBACK failed too: %s", self.path, exc)

    @contextmanager
    def _transaction(self, doing: str, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT); ``durable``: fsync at COMMIT."""
        with self._guard(doing, write=True) as db:
            if durable:
                db.execute("PRAGMA synchronous = FULL")
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    self._commit(db)
                except BaseException:
                    self._rollback_quietly()
                    raise
            finally:
                if durable:
                    try:
                        db.execute("PRAGMA synchronous = NORMAL")
                    except sqlite3.Error:
                        pass

    # -- fault seams (tests and `anymole bench faults`) -------------------------------------

    def limit_pages(self, pages: int | None) -> None:
        """Cap the database at ``pages`` pages (SQLite ``max_page_count``), as a full disk
        would; None lifts the cap. For fault tests."""
        with self._lock:
            self._db.execute(f"PRAGMA max_page_count = {int(pages) if pages is not None else 4294967294}")

    def set_query_only(self, on: bool) -> None:
        """Refuse every write (SQLITE_READONLY), as a file system remounted read-only would.
        For fault tests."""
        with self._lock:
            self._db.execute(f"PRAGMA query_only = {1 if on else 0}")

    def drop_cache(self) -> None:
        """Free the connection's page cache, so the next reads come from the file (a fault
        test's corrupted pages are then seen). For fault tests."""
        with self._lock:
            self._db.execute("PRAGMA shrink_memory")

    def page_count(self) -> int:
        with self._guard("reading its size") as db:
            return int(db.execute("PRAGMA page_count").fetchone()[0])

    # -- jobs -----------------------------------------------------------------------------

    def create_job(
        self, job_id: str, *, method: str, idempotency_key: str | None, request_sha256: str, request: bytes | None, tenant: str = ""
    ) -> JobRow:
        """Insert a QUEUED job; :class:`DuplicateKey` if the tenant's idempotency key is taken."""
        try:
            with self._transaction("creating a job") as db:
                db.execute(
                    "INSERT INTO jobs (job_id, created, state, method, idempotency_key, request_sha256, request, tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (job_id, time.time(), QUEUED, method, idempotency_key or None, request_sha256, request, tenant or ""),
                )
        except sqlite3.IntegrityError:
            raise DuplicateKey(idempotency_key or job_id) from None
        return self.get_job(job_id)

    def get_job(self, job_id: str, tenant: str | None = None) -> JobRow:
        """The job; :class:`JobNotFound` when there is none or (``tenant`` not None) it is
        another tenant's."""
        with self._guard("reading a job") as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(job_id)
        job = JobRow(*row)
        if tenant is not None and job.tenant != tenant:
            raise JobNotFound(job_id)
        return job

    def find_by_key(self, idempotency_key: str, tenant: str = "") -> JobRow | None:
        with self._guard("reading a job") as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE tenant = ? AND idempotency_key = ?", (tenant or "", idempotency_key)).fetchone()
        return None if row is None else JobRow(*row)

    def release_key(self, job_id: str) -> None:
        """Clear the job's idempotency key, so a retry with it creates a new job."""
        with self._transaction("releasing an idempotency key") as db:
            db.execute("UPDATE jobs SET idempotency_key = NULL WHERE job_id = ?", (job_id,))

    def list_jobs(self, states: Iterable[int] = (), limit: int = 50, before_rowid: int | None = None, tenant: str | None = None) -> list[JobRow]:
        """Newest first; ``before_rowid`` pages on; ``tenant`` None: every tenant's."""
        where, args = [], []
        states = list(states)
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args += states
        if before_rowid is not None:
            where.append("rowid < ?")
            args.append(before_rowid)
        if tenant is not None:
            where.append("tenant = ?")
            args.append(tenant)
        sql = f"SELECT {_COLUMNS} FROM jobs {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY rowid DESC LIMIT ?"
        with self._guard("listing jobs") as db:
            rows = db.execute(sql, (*args, limit)).fetchall()
        return [JobRow(*r) for r in rows]

    def unfinished_jobs(self) -> list[JobRow]:
        """Jobs left QUEUED or RUNNING (after a restart: by a previous process)."""
        with self._guard("listing unfinished jobs") as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE state IN (?, ?) ORDER BY rowid", (QUEUED, RUNNING)).fetchall()
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
        ``(seq, state)``. :class:`StoreUnavailable` when it cannot be written.
        """
        terminal_write = state is not None and state in TERMINAL
        with self._transaction("recording an event", durable=terminal_write) as db:
            row = db.execute("SELECT state, last_seq FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
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
            db.execute("INSERT INTO events (job_id, seq, terminal, payload) VALUES (?, ?, ?, ?)", (job_id, seq, int(terminal), payload))
            if result is not None:
                db.execute("INSERT OR REPLACE INTO results (job_id, payload) VALUES (?, ?)", (job_id, result))
            if blob is not None:
                db.execute("INSERT INTO blobs (job_id, seq, kind, stage, payload) VALUES (?, ?, ?, ?, ?)", (job_id, seq, *blob))
            db.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE job_id = ?", (*args, job_id))
        return seq, new_state

    def events_after(self, job_id: str, after_seq: int, limit: int = 256) -> list[tuple[int, bool, bytes, bytes | None]]:
        """``(seq, terminal, payload, blob)`` of events with ``seq > after_seq``, in order;
        ``blob`` is None where there is none (or it was pruned)."""
        with self._guard("reading events") as db:
            rows = db.execute(
                "SELECT e.seq, e.terminal, e.payload, b.payload FROM events e LEFT JOIN blobs b ON b.job_id = e.job_id AND b.seq = e.seq "
                "WHERE e.job_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
                (job_id, after_seq, limit),
            ).fetchall()
        return [(int(s), bool(t), bytes(p), None if b is None else bytes(b)) for s, t, p, b in rows]

    def prune_blobs(self, job_id: str, keep: str = "last") -> int:
        """Trim a finished job to what is worth keeping: ``keep`` ``"last"`` keeps the last
        preview image of each stage, ``"none"`` no image, ``"all"`` every image. Pose previews
        go in every case but ``"all"`` (the result is the final pose, and it is kept), and so
        does the stored request (its digest stays, for idempotency). Returns the blobs
        removed."""
        if keep == "all":
            return 0
        with self._transaction("pruning previews") as db:
            db.execute("UPDATE jobs SET blobs_pruned = 1, request = NULL WHERE job_id = ? AND finished IS NOT NULL", (job_id,))
            if keep == "none":
                cur = db.execute("DELETE FROM blobs WHERE job_id = ?", (job_id,))
            else:
                cur = db.execute(
                    "DELETE FROM blobs WHERE job_id = ? AND (kind != 'preview' OR seq NOT IN "
                    "(SELECT MAX(seq) FROM blobs WHERE job_id = ? AND kind = 'preview' GROUP BY stage))",
                    (job_id, job_id),
                )
            return cur.rowcount

    def jobs_with_blobs(self, finished_before: float | None = None, limit: int = 1_000_000) -> list[str]:
        """Finished jobs whose previews :meth:`prune_blobs` has not trimmed yet (those that
        finished before ``finished_before``, if given)."""
        cutoff = time.time() + 1e9 if finished_before is None else finished_before
        with self._guard("listing previews") as db:
            return [r[0] for r in db.execute(
                "SELECT job_id FROM jobs WHERE blobs_pruned = 0 AND finished IS NOT NULL AND finished < ? "
                "AND EXISTS (SELECT 1 FROM blobs b WHERE b.job_id = jobs.job_id) LIMIT ?", (cutoff, limit),
            ).fetchall()]

    def size_bytes(self) -> int:
        """Pages in use times page size (the database file, WAL excluded)."""
        with self._guard("reading its size") as db:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def get_result(self, job_id: str) -> bytes | None:
        with self._guard("reading a result") as db:
            row = db.execute("SELECT payload FROM results WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else bytes(row[0])

    # -- retention --------------------------------------------------------------------------

    def delete_finished(self, *, older_than_s: float | None = None, keep_max: int | None = None, max_jobs: int = 10_000, now: float | None = None) -> int:
        """Delete finished jobs (every event, blob and result of theirs) that finished more
        than ``older_than_s`` seconds ago, and those beyond the newest ``keep_max`` finished
        ones; unfinished jobs are never touched. At most ``max_jobs`` go per call, in
        transactions of :data:`DELETE_BATCH` (the lock is released between them). Returns how
        many went."""
        now = time.time() if now is None else now
        deleted = 0
        while deleted < max_jobs:
            batch = min(DELETE_BATCH, max_jobs - deleted)
            with self._guard("choosing jobs to delete") as db:
                ids: list[str] = []
                if older_than_s is not None:
                    ids = [r[0] for r in db.execute("SELECT job_id FROM jobs WHERE finished IS NOT NULL AND finished < ? LIMIT ?", (now - older_than_s, batch))]
                if keep_max is not None and len(ids) < batch:
                    extra = db.execute(
                        "SELECT job_id FROM jobs WHERE finished IS NOT NULL ORDER BY finished DESC LIMIT ? OFFSET ?", (batch - len(ids), max(0, keep_max))
                    ).fetchall()
                    ids = list(dict.fromkeys([*ids, *(r[0] for r in extra)]))[:batch]
            if not ids:
                break
            with self._transaction("deleting old jobs") as db:
                marks = ", ".join("?" * len(ids))
                for table in ("events", "blobs", "results", "jobs"):
                    db.execute(f"DELETE FROM {table} WHERE job_id IN ({marks})", ids)
            deleted += len(ids)
        return deleted

    def count_jobs(self) -> int:
        with self._guard("counting jobs") as db:
            return int(db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])

    def free_pages(self) -> tuple[int, int]:
        """``(free pages, all pages)`` of the database file."""
        with self._guard("reading its size") as db:
            return int(db.execute("PRAGMA freelist_count").fetchone()[0]), int(db.execute("PRAGMA page_count").fetchone()[0])

    def reclaim(self, max_pages: int = 2048) -> int:
        """Give up to ``max_pages`` free pages back to the file system (incremental
        auto-vacuum; a no-op on a database made without it, until :meth:`vacuum`). Returns
        how many free pages went."""
        with self._guard("reclaiming free pages", write=True) as db:
            if int(db.execute("PRAGMA auto_vacuum").fetchone()[0]) != 2:
                return 0
            before = int(db.execute("PRAGMA freelist_count").fetchone()[0])
            if before:  # executescript steps it to the end (execute() frees one page only)
                db.executescript(f"PRAGMA incremental_vacuum({int(max_pages)});")
            return before - int(db.execute("PRAGMA freelist_count").fetchone()[0])

    def vacuum(self) -> tuple[int, int]:
        """Rewrite the whole database (``VACUUM``: needs free disk space up to its size and
        holds the store for its duration — run it while not serving) and turn incremental
        auto-vacuum on. Returns the file size in bytes ``(before, after)``."""
        with self._guard("vacuuming", write=True) as db:
            before = self._file_bytes(db)
            db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            return before, self._file_bytes(db)

    @staticmethod
    def _file_bytes(db: sqlite3.Connection) -> int:
        return int(db.execute("PRAGMA page_count").fetchone()[0]) * int(db.execute("PRAGMA page_size").fetchone()[0])
