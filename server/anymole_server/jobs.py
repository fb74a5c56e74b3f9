"""The job runner: validates and queues jobs, runs the pipeline off the event loop, records
every event in the store and wakes the watchers.

- ``submit`` converts the request (``convert.job_from_proto``, in a thread) — validation errors
  and unrunnable methods surface here, at submit time — then queues it. At most
  ``limits.max_queue`` jobs wait for a worker; one more is :class:`QueueFull`
  (RESOURCE_EXHAUSTED).
- Jobs run on a thread pool of ``JOB_THREADS_PER_WORKER × limits.workers`` threads, and
  ``limits.workers`` compute slots bound the heavy work: a video method holds a slot for the
  whole job, a classical one for each preview image it renders. So a classical job is solved
  and its pose preview sent as soon as it is submitted, whatever other jobs are rendering;
  ``anymole.pipeline.run_transition`` checks the job's :class:`CancelToken` between steps.
- Events are appended to the :class:`Store` from whichever thread produces them (seq assigned
  there, gap-free), then the loop is told; watchers read the store from ``after_event`` and
  sleep on a per-job ``asyncio.Event`` until something newer exists. A watcher therefore never
  misses or repeats an event, and reattaching after a disconnect is just another read.
- Results are stored once (the result event's row carries none; it is filled from the results
  table on read); preview images and pose previews are stored beside their events and pruned
  when the job ends (``ServerConfig.keep_previews``: by default the last of each per stage).
- On startup, jobs a previous process left QUEUED/RUNNING become INTERRUPTED; on shutdown,
  queued and running jobs are cancelled and marked INTERRUPTED.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from google.protobuf.timestamp_pb2 import Timestamp

from anymole.errors import FormatError, UnsupportedError, ValidationError
from anymole.job import Cancelled, CancelToken, PoseEvent, PreviewEvent, ProgressEvent, StageEvent
from anymole.methods.catalogue import CATALOGUE
from anymole_client.v1 import job_pb2, service_pb2
from anymole_server import convert, store as st
from anymole_server.config import ServerConfig
from anymole_server.executors import make_executor
from anymole_server.interceptors import Interrupted, QueueFull, code_number, status_for_exception
from anymole_server.store import DuplicateKey, JobNotFound, JobRow, Store, StoreUnavailable

log = logging.getLogger("anymole_server.jobs")

JOB_THREADS_PER_WORKER = 4
VALIDATION_WAIT_S = 10.0
HOUSEKEEPING_MAX_DELETE = 2000  # finished jobs deleted per housekeeping round
HOUSEKEEPING_MAX_PRUNE = 2000  # finished jobs whose previews are pruned per round
HOUSEKEEPING_RECLAIM_PAGES = 4096  # free pages returned to the file system per round
INTERRUPTED_MESSAGE = "the server stopped before this job finished (restart or shutdown); submit it again"


def _timestamp(t: float | None) -> Timestamp | None:
    if t is None:
        return None
    ts = Timestamp()
    ts.FromNanoseconds(int(t * 1e9))
    return ts


def _event(job_id: str, seq: int, state: int) -> job_pb2.JobEvent:
    ev = job_pb2.JobEvent(job_id=job_id, seq=seq, job_state=state)
    ev.time.FromNanoseconds(time.time_ns())
    return ev


def job_row_to_proto(row: JobRow, result: bytes | None = None) -> job_pb2.Job:
    job = job_pb2.Job(
        job_id=row.job_id,
        state=row.state,
        method=row.method,
        idempotency_key=row.idempotency_key or "",
        last_event_seq=row.last_seq,
        stage=row.stage,
        progress=row.progress,
    )
    for name in ("created", "started", "finished"):
        ts = _timestamp(getattr(row, name))
        if ts is not None:
            getattr(job, name).CopyFrom(ts)
    if row.error_code is not None:
        job.error.code = row.error_code
        job.error.message = row.error_message or ""
    if result is not None:
        job.result.ParseFromString(result)
    return job


LIGHT_PRIORITY_MAX_WAIT_S = 0.25


class _LightWork:
    """Counts jobs in their light phase (started, first pose not yet sent). Heavy work yields
    to them: on two cores a classical solve that competes with renders for the GIL takes
    several times longer, and its pose is what an editor is waiting for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._n = 0

    def enter(self) -> None:
        with self._lock:
            self._n += 1

    def leave(self) -> None:
        with self._lock:
            self._n -= 1

    @property
    def busy(self) -> bool:
        return self._n > 0


class _Slot:
    """One of the server's compute slots, taken on behalf of one job: waiting for it stops as
    soon as the job is cancelled (:class:`Cancelled`); once taken, it lets jobs in their light
    phase run first (for at most :data:`LIGHT_PRIORITY_MAX_WAIT_S`)."""

    def __init__(self, slots: threading.BoundedSemaphore, token: CancelToken, light: _LightWork | None = None):
        self._slots, self._token, self._light = slots, token, light

    def __enter__(self) -> "_Slot":
        while not self._slots.acquire(timeout=0.05):
            self._token.check()
        if self._light is not None and self._light.busy:
            deadline = time.monotonic() + LIGHT_PRIORITY_MAX_WAIT_S
            while self._light.busy and time.monotonic() < deadline and not self._token.cancelled:
                time.sleep(0.002)
        return self

    def __exit__(self, *exc) -> None:
        self._slots.release()


class _Live:
    """In-memory state of a job this process runs: its cancel token and its wake-up event."""

    def __init__(self, spec: convert.JobSpec | None):
        self.spec = spec
        self.token = CancelToken()
        self.cancel_logged = False
        self.light = False  # in its light phase (see _LightWork)


class JobManager:
    def __init__(self, store: Store, config: ServerConfig):
        self._executor = make_executor(config)  # first: ConfigError (one line) for one that cannot run here
        self.store = store
        self.config = config
        self.limits = config.limits
        self._pool = ThreadPoolExecutor(max_workers=JOB_THREADS_PER_WORKER * self.limits.workers, thread_name_prefix="anymole-job")
        self._slots = threading.BoundedSemaphore(self.limits.workers)
        self._validations: asyncio.Semaphore | None = None  # made on the loop
        self._validation_waiters = 0
        self._light = _LightWork()
        self._lock = threading.Lock()
        self._pending: set[str] = set()  # queued, not yet started
        self._live: dict[str, _Live] = {}
        self._wakers: dict[str, asyncio.Event] = {}
        self._futures: set[asyncio.Future] = set()
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Interrupt what a previous process left unfinished, prune what it left unpruned, and
        start the housekeeping task (store checks every ``config.store_check_interval_s``,
        :meth:`housekeeping` every ``config.housekeeping_interval_s``)."""
        self._loop = asyncio.get_running_loop()
        self._unrecorded: dict[str, str] = {}  # job -> why its end could not be recorded
        for row in self.store.unfinished_jobs():
            log.warning("job %s was %s when the previous server stopped: marking it interrupted", row.job_id, job_pb2.JobState.Name(row.state))
            self._terminate(row.job_id, st.INTERRUPTED, Interrupted(INTERRUPTED_MESSAGE))
        if self.config.keep_previews != "all":
            for job_id in self.store.jobs_with_blobs(limit=HOUSEKEEPING_MAX_PRUNE):  # finished under a previous process
                self._schedule_prune(job_id)
        self.store.add_listener(self._on_store_change)
        self._housekeeper = asyncio.create_task(self._housekeeping_loop(), name="anymole-housekeeping")

    async def shutdown(self, timeout_s: float | None = None) -> None:
        """Interrupt queued and running jobs and wait up to ``timeout_s`` (None: for ever) for
        the workers to stop; a job still running then (stuck in code that does not check its
        cancel token) is marked INTERRUPTED now, and its thread is left behind."""
        self._closing = True
        housekeeper = getattr(self, "_housekeeper", None)
        if housekeeper is not None:
            housekeeper.cancel()
        with self._lock:
            pending = list(self._pending)
            self._pending.clear()
            live = list(self._live.values())
        for live_job in live:
            live_job.token.cancel()
        for job_id in pending:
            self._terminate(job_id, st.INTERRUPTED, Interrupted(INTERRUPTED_MESSAGE))
        self._pool.shutdown(wait=False, cancel_futures=True)
        futures = [f for f in self._futures if not f.done()]
        if futures:
            await asyncio.wait(futures, timeout=timeout_s)
        self._executor.close()
        with self._lock:
            stuck = list(self._live)
        for job_id in stuck:
            log.warning("job %s did not stop within %.1f s of shutdown: marking it interrupted", job_id, timeout_s or 0.0)
            self._terminate(job_id, st.INTERRUPTED, Interrupted(INTERRUPTED_MESSAGE))
            with self._lock:
                self._live.pop(job_id, None)
        if housekeeper is not None:
            try:
                await housekeeper
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping anyway
                pass

    # -- housekeeping ----------------------------------------------------------------------

    async def _housekeeping_loop(self) -> None:
        """Check the store every ``store_check_interval_s``; run :meth:`housekeeping` every
        ``housekeeping_interval_s`` (the first time one interval after start). Ends when
        cancelled (shutdown)."""
        check_s = max(0.05, float(self.config.store_check_interval_s))
        every_s = max(check_s, float(self.config.housekeeping_interval_s))
        next_housekeeping = time.monotonic() + every_s
        while not self._closing:
            await asyncio.sleep(check_s)
            try:
                await asyncio.to_thread(self.store.check)
                if self._unrecorded and self.store.healthy:
                    await asyncio.to_thread(self._flush_unrecorded)
                if time.monotonic() >= next_housekeeping:
                    next_housekeeping = time.monotonic() + every_s
                    await asyncio.to_thread(self.housekeeping)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - housekeeping must not stop; the store logged it
                log.debug("housekeeping step failed", exc_info=True)

    def housekeeping(self, max_delete: int = HOUSEKEEPING_MAX_DELETE) -> dict[str, int]:
        """One bounded round (any thread): record the ends of jobs the store could not record
        when they ended, delete finished jobs past retention (``config.retain_jobs_days``,
        ``config.retain_jobs_max``; at most ``max_delete``), prune previews a missed timer left,
        and give up to :data:`HOUSEKEEPING_RECLAIM_PAGES` free pages back to the file system.
        Returns what it did. :class:`~anymole_server.store.StoreUnavailable` if the store fails."""
        out = {"recorded": self._flush_unrecorded()}
        days, most = float(self.config.retain_jobs_days), int(self.config.retain_jobs_max)
        out["deleted"] = self.store.delete_finished(
            older_than_s=days * 86400.0 if days > 0 else None, keep_max=most if most > 0 else None, max_jobs=max_delete
        )
        pruned = 0
        if self.config.keep_previews != "all":
            for job_id in self.store.jobs_with_blobs(time.time() - self.config.keep_previews_for_s, limit=HOUSEKEEPING_MAX_PRUNE):
                self.store.prune_blobs(job_id, self.config.keep_previews)
                pruned += 1
        out["pruned"] = pruned
        out["reclaimed_pages"] = self.store.reclaim(HOUSEKEEPING_RECLAIM_PAGES)
        if out["deleted"] or out["recorded"]:
            log.info("housekeeping: %s", ", ".join(f"{k} {v}" for k, v in out.items()))
        return out

    def _on_store_change(self, failure: str | None) -> None:  # any thread
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._store_changed, failure)
        except RuntimeError:  # loop closed meanwhile
            pass

    def _store_changed(self, failure: str | None) -> None:  # on the loop
        if failure is not None:  # every watcher re-reads and gets UNAVAILABLE, not silence
            wakers, self._wakers = self._wakers, {}
            for ev in wakers.values():
                ev.set()

    def _lost(self, job_id: str, exc: BaseException, terminal: bool) -> None:
        """An event of ``job_id`` could not be stored: it will not run (if still queued), its
        end is recorded once the store works again (:meth:`_flush_unrecorded`; or at the next
        start, as INTERRUPTED), and its watchers are told."""
        with self._lock:
            if job_id in self._pending or terminal:
                self._pending.discard(job_id)
                self._live.pop(job_id, None)
            self._unrecorded[job_id] = str(exc)
        log.error("job %s: an event could not be stored: %s", job_id, exc)
        self._on_store_change(str(exc))

    def _flush_unrecorded(self) -> int:
        """Write a FAILED end for every job whose events the store lost (not those still
        running: they record their own). Returns how many were recorded."""
        done = 0
        for job_id, why in list(self._unrecorded.items()):
            with self._lock:
                if job_id in self._live:
                    continue
            try:
                row = self.store.get_job(job_id)
            except JobNotFound:
                row = None
            if row is not None and not row.terminal:
                exc = StoreUnavailable(f"the job store failed while this job ran ({why}); submit it again")
                self._terminate(job_id, st.FAILED, exc)
                row = self.store.get_job(job_id)
                if not row.terminal:
                    continue  # still failing: next round
                done += 1
            self._unrecorded.pop(job_id, None)
        return done

    # -- queries ----------------------------------------------------------------------------

    def get(self, job_id: str, with_result: bool = True, *, tenant: str | None = None) -> job_pb2.Job:
        """The job (NOT_FOUND for another tenant's). ``tenant`` None: any tenant."""
        row = self.store.get_job(job_id, tenant)
        result = self.store.get_result(job_id) if with_result and row.state == st.SUCCEEDED else None
        return job_row_to_proto(row, result)

    def list(self, request: service_pb2.ListJobsRequest, *, tenant: str | None = None) -> service_pb2.ListJobsResponse:
        size = request.page_size or 50
        if size > 500:
            raise ValidationError("page_size", f"{size} exceeds 500")
        before = None
        if request.page_token:
            token = request.page_token
            if len(token) > 19 or not token.isdigit() or int(token) >= 2**63:
                raise ValidationError("page_token", "not a token returned by ListJobs")
            before = int(token)
        for s in request.states:
            if s not in job_pb2.JobState.values() or s == job_pb2.JOB_STATE_UNSPECIFIED:
                raise ValidationError("states", f"unknown job state {s}")
        rows = self.store.list_jobs(request.states, size + 1, before, tenant=tenant)
        resp = service_pb2.ListJobsResponse(jobs=[job_row_to_proto(r) for r in rows[:size]])
        if len(rows) > size:
            resp.next_page_token = str(rows[size - 1].rowid)
        return resp

    # -- submit -----------------------------------------------------------------------------

    async def submit(self, input_msg: job_pb2.TransitionInput, idempotency_key: str = "", *, tenant: str | None = None) -> service_pb2.SubmitJobResponse:
        """Admission first (queue room, a validation slot) — both before anything is decoded —
        then validation in a thread, then the job. ``tenant`` owns the job and scopes its key."""
        if self._closing:
            raise Interrupted("the server is shutting down")
        if self.store.failure is not None:  # refuse before decoding anything
            raise st.StoreUnavailable(self.store.failure)
        if len(idempotency_key) > convert.MAX_IDEMPOTENCY_KEY:
            raise ValidationError("idempotency_key", f"longer than {convert.MAX_IDEMPOTENCY_KEY} characters")
        owner = tenant or ""
        raw = input_msg.SerializeToString(deterministic=True)
        digest = hashlib.sha256(raw).hexdigest()
        if idempotency_key:
            existing = self._existing(idempotency_key, digest, owner)
            if existing is not None:
                return existing
        self._check_queue()
        async with self._validation_slot():
            spec = await asyncio.to_thread(convert.job_from_proto, input_msg, self.limits, self.config.video_priors)
        with self._lock:
            self._check_queue()
            job_id = uuid.uuid4().hex
            try:
                self.store.create_job(job_id, method=spec.method, idempotency_key=idempotency_key or None, request_sha256=digest, request=raw, tenant=owner)
            except DuplicateKey:
                existing = self._existing(idempotency_key, digest, owner)
                assert existing is not None
                return existing
            self._pending.add(job_id)
            self._live[job_id] = _Live(spec)
        self._append(job_id, lambda ev: setattr(ev.state, "state", st.QUEUED), state=st.QUEUED)
        fut = asyncio.get_running_loop().run_in_executor(self._pool, self._execute, job_id)
        self._futures.add(fut)
        fut.add_done_callback(self._futures.discard)
        log.info("job %s queued (method %s, %d frames, %d joints)", job_id, spec.method, spec.num_frames, spec.request.problem.skeleton.num_joints)
        return service_pb2.SubmitJobResponse(job_id=job_id, state=st.QUEUED)

    @contextlib.asynccontextmanager
    async def _validation_slot(self):
        """One of ``max_concurrent_validations``. Up to ``max_queue`` submits wait for one (at
        most VALIDATION_WAIT_S); beyond that a submit is refused at once, before anything of
        it is decoded."""
        if self._validations is None:
            self._validations = asyncio.Semaphore(self.limits.max_concurrent_validations)
        if self._validations.locked() and self._validation_waiters >= self.limits.max_queue:
            raise QueueFull(f"the server is busy validating requests ({self._validation_waiters} waiting); retry later")
        self._validation_waiters += 1
        try:
            await asyncio.wait_for(self._validations.acquire(), VALIDATION_WAIT_S)
        except asyncio.TimeoutError:
            raise QueueFull("the server is busy validating requests; retry later") from None
        finally:
            self._validation_waiters -= 1
        try:
            yield
        finally:
            self._validations.release()

    def _check_queue(self) -> None:
        if len(self._pending) >= self.limits.max_queue:
            raise QueueFull(f"the job queue is full ({self.limits.max_queue} waiting); retry later")

    def _existing(self, key: str, digest: str, tenant: str) -> service_pb2.SubmitJobResponse | None:
        """The tenant's job under ``key``, if any. A key naming a job that failed, was cancelled
        or interrupted is released, so submitting again retries (a new job)."""
        row = self.store.find_by_key(key, tenant)
        if row is None:
            return None
        if row.state in (st.FAILED, st.CANCELLED, st.INTERRUPTED):
            self.store.release_key(row.job_id)
            return None
        if row.request_sha256 != digest:
            raise ValidationError("idempotency_key", "already used by another of your jobs with a different input")
        return service_pb2.SubmitJobResponse(job_id=row.job_id, state=row.state, existing=True)

    # -- cancel -----------------------------------------------------------------------------

    def cancel(self, job_id: str, *, tenant: str | None = None) -> job_pb2.Job:
        row = self.store.get_job(job_id, tenant)
        if row.terminal:
            return self.get(job_id)
        with self._lock:
            live = self._live.get(job_id)
            was_pending = job_id in self._pending
            self._pending.discard(job_id)
            if live is not None:
                live.token.cancel()
        if was_pending or live is None:
            # Not started (or not ours: a stale row): it ends now.
            self._terminate(job_id, st.CANCELLED, Cancelled("cancelled by the client before it started"))
        elif not live.cancel_logged:  # one event however often the client asks
            live.cancel_logged = True
            self._append(job_id, lambda ev: (setattr(ev.log, "level", "info"), setattr(ev.log, "message", "cancellation requested")))
        return self.get(job_id)

    # -- watch ------------------------------------------------------------------------------

    async def watch(self, job_id: str, after_event: int = 0, *, tenant: str | None = None) -> AsyncIterator[job_pb2.JobEvent]:
        """Events with seq > after_event, then live ones, until the terminal event (NOT_FOUND
        for another tenant's job)."""
        row = self.store.get_job(job_id, tenant)
        last = int(after_event)
        while True:
            waker = self._waker(job_id)
            rows = await asyncio.to_thread(self.store.events_after, job_id, last)
            for seq, terminal, payload, blob in rows:
                event = job_pb2.JobEvent.FromString(payload)
                kind = event.WhichOneof("kind")
                if kind == "result":
                    stored = await asyncio.to_thread(self.store.get_result, job_id)
                    if stored is not None:
                        event.result.ParseFromString(stored)
                elif blob is not None and kind == "preview":
                    event.preview.image = blob
                elif blob is not None and kind == "pose":
                    event.pose.motion.ParseFromString(blob)
                yield event
                last = seq
                if terminal:
                    self._done_watching(job_id)
                    return
            if rows:
                continue
            row = self.store.get_job(job_id)
            if row.terminal and last >= row.last_seq:
                self._done_watching(job_id)
                return
            failure = self.store.failure or self._unrecorded.get(job_id)
            if failure is not None:  # no event will come while the store fails: say so
                raise StoreUnavailable(failure)
            await waker.wait()

    def _done_watching(self, job_id: str) -> None:
        """A watcher saw the job's end: its waker goes (set, so another watcher waiting on it
        re-reads and sees the end too), keeping no per-job memory for a finished job."""
        ev = self._wakers.pop(job_id, None)
        if ev is not None:
            ev.set()

    def _waker(self, job_id: str) -> asyncio.Event:
        ev = self._wakers.get(job_id)
        if ev is None:
            ev = self._wakers[job_id] = asyncio.Event()
        return ev

    def _wake(self, job_id: str, terminal: bool) -> None:  # on the loop
        del terminal
        ev = self._wakers.pop(job_id, None)  # per-job memory goes with it
        if ev is not None:
            ev.set()

    # -- recording --------------------------------------------------------------------------

    def _append(self, job_id: str, fill, *, state: int | None = None, stage: str | None = None, progress: float | None = None, error=None, result: bytes | None = None) -> int | None:
        """Record one event (any thread) and wake the watchers. ``fill(event)`` sets its kind.
        A result, a preview image and a pose preview's motion are stored apart from the event
        row (see the module docstring)."""

        def build(seq: int, new_state: int) -> tuple[bytes, tuple[str, str, bytes] | None]:
            ev = _event(job_id, seq, new_state)
            fill(ev)
            blob = None
            kind = ev.WhichOneof("kind")
            if kind == "result":
                ev.result.Clear()
                ev.result.SetInParent()
            elif kind == "preview":
                blob = ("preview", ev.preview.stage, ev.preview.image)
                ev.preview.image = b""
            elif kind == "pose":
                blob = ("pose", ev.pose.stage, ev.pose.motion.SerializeToString())
                ev.pose.ClearField("motion")
            return ev.SerializeToString(), blob

        try:
            out = self.store.append_event(job_id, build, state=state, stage=stage, progress=progress, error=error, result=result)
        except StoreUnavailable as exc:
            # A job's end that cannot be stored is remembered and written when the store works
            # again; any other event stops the job (the caller's next step raises this).
            ending = state is not None and state in st.TERMINAL
            self._lost(job_id, exc, ending)
            if ending:
                return None
            raise
        if out is None:
            return None
        seq, new_state = out
        terminal = new_state in st.TERMINAL
        if terminal:
            with self._lock:
                self._live.pop(job_id, None)
                self._unrecorded.pop(job_id, None)
            self._schedule_prune(job_id)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake, job_id, terminal)
            except RuntimeError:  # loop closed meanwhile
                pass
        return seq

    def _schedule_prune(self, job_id: str) -> None:
        """Trim the finished job's preview blobs after ``config.keep_previews_for_s`` seconds,
        so clients that follow it live or reattach soon after get every image."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def later() -> None:
            if not self._closing:
                fut = loop.run_in_executor(None, self._prune, job_id)
                self._futures.add(fut)
                fut.add_done_callback(self._futures.discard)

        try:
            loop.call_soon_threadsafe(loop.call_later, self.config.keep_previews_for_s, later)
        except RuntimeError:  # loop closed meanwhile: pruned at the next start
            pass

    def _prune(self, job_id: str) -> None:
        try:
            self.store.prune_blobs(job_id, self.config.keep_previews)
        except StoreUnavailable:  # logged by the store; housekeeping prunes it later
            pass
        except Exception:  # noqa: BLE001 - housekeeping: the job's end is already recorded
            log.exception("job %s: pruning preview blobs failed", job_id)

    def _terminate(self, job_id: str, state: int, exc: BaseException) -> None:
        code, message, _ = status_for_exception(exc)

        def fill(ev: job_pb2.JobEvent) -> None:
            ev.error.code = code_number(code)
            ev.error.message = message

        self._append(job_id, fill, state=state, error=(code_number(code), message))

    # -- running (worker thread) ------------------------------------------------------------

    def _execute(self, job_id: str) -> None:
        with self._lock:
            live = self._live.get(job_id)
            if job_id not in self._pending or live is None or live.token.cancelled:
                return  # cancelled or interrupted while queued; its terminal event is written
            self._pending.discard(job_id)
        spec = live.spec
        assert spec is not None
        self._append(job_id, lambda ev: setattr(ev.state, "state", st.RUNNING), state=st.RUNNING)
        t0 = time.perf_counter()
        try:
            emit = lambda e: self._on_pipeline_event(job_id, live, e)  # noqa: E731
            slot = _Slot(self._slots, live.token, self._light)
            # A classical job is light until its first pose (the executor takes the slot per
            # preview image); a video job holds the slot throughout.
            if not CATALOGUE[spec.method].needs_prior:
                live.light = True
                self._light.enter()
            try:
                result = self._executor.run(spec.request, emit, live.token, slot)
            finally:
                self._end_light(live)
            payload = convert.result_to_proto(result, spec)
            data = payload.SerializeToString()
            self._append(job_id, lambda ev: ev.result.MergeFromString(data), state=st.SUCCEEDED, progress=1.0, result=data)
            log.info("job %s succeeded in %.2f s", job_id, time.perf_counter() - t0)
        except Cancelled as exc:
            if self._closing:
                self._terminate(job_id, st.INTERRUPTED, Interrupted(INTERRUPTED_MESSAGE))
            else:
                self._terminate(job_id, st.CANCELLED, exc)
                log.info("job %s cancelled", job_id)
        except ValidationError as exc:
            if not exc.field.startswith("input"):
                # A check deep in the pipeline refused something validation let through (a
                # degenerate pose, a camera that cannot frame it): the client's input, but the
                # field it names is internal — answer in the request's terms.
                log.info("job %s: input refused by the pipeline (%s)", job_id, exc)
                exc = ValidationError("input", f"the request cannot be solved: {exc.problem}")
            self._terminate(job_id, st.FAILED, exc)
        except (FormatError, UnsupportedError) as exc:
            self._terminate(job_id, st.FAILED, exc)
            log.info("job %s failed: %s", job_id, exc)
        except Exception as exc:  # noqa: BLE001 - a server bug: INTERNAL, logged with the job id
            log.error("job %s failed with an internal error", job_id, exc_info=exc)
            self._terminate(job_id, st.FAILED, exc)

    def _end_light(self, live: _Live) -> None:
        if live.light:
            live.light = False
            self._light.leave()

    def _on_pipeline_event(self, job_id: str, live: _Live, event) -> None:
        """Record a pipeline event. Preview and pose rates are the pipeline's (it does not make
        what would be dropped), so every event is kept. A job's first pose ends its light
        phase."""
        stage = event.stage if isinstance(event, StageEvent) else None
        progress = float(event.fraction) if isinstance(event, ProgressEvent) else None
        self._append(job_id, lambda ev: convert.event_to_proto(event, ev, live.spec), stage=stage, progress=progress)
        if isinstance(event, PoseEvent):
            self._end_light(live)

    # -- info -------------------------------------------------------------------------------

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._pending)
