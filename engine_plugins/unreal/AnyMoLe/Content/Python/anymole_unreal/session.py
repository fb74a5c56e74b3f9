"""One job, followed on a worker thread and drained on the editor's tick.

The editor does not tick while Python runs, and UObjects and Slate belong to the game thread.
So a :class:`JobSession` owns a ``threading.Thread`` that makes the blocking gRPC calls (the
sync ``anymole_client.Client``; never ``grpc.aio`` inside the editor) — submit, then
``WatchJob`` through one ``anymole_client.follower.JobFollower``, reattaching after a dropped
stream — and puts the follower's updates on a ``queue.Queue``. The game thread calls
:meth:`JobSession.drain` from ``unreal.register_slate_post_tick_callback`` and acts on them.

Cancelling (:meth:`JobSession.cancel`, from any thread) sets a flag and cancels the current
stream (``call.cancel()``); the worker then sends ``CancelJob`` and watches on to the job's
terminal event (CANCELLED), with a deadline. Threads are never killed. :meth:`close` (also
called by :class:`SessionRegistry.close_all` from ``unreal.register_python_shutdown_callback``)
cancels, joins briefly and closes the channel, so no gRPC object outlives the interpreter.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

from anymole_client.follower import FailedUpdate, JobFollower, ReattachUpdate, Update

from anymole_unreal.errors import UserError, explain

CANCEL_GRACE_S = 10.0  # after CancelJob, how long to wait for the terminal event


@dataclass(frozen=True)
class SubmittedUpdate(Update):
    """The server accepted the job (local to this plugin: the follower starts after it)."""

    job_id: str
    kind = "submitted"

    def to_dict(self):
        return {"kind": self.kind, "jobId": self.job_id}


@dataclass(frozen=True)
class SessionErrorUpdate(Update):
    """The session ended without a terminal event from the server: the call failed (server
    down, token refused, request rejected, another protocol version …). Terminal."""

    error: UserError
    kind = "session-error"

    def to_dict(self):
        return {"kind": self.kind, "field": self.error.field, "message": str(self.error)}


@dataclass(frozen=True)
class CancelledUpdate(Update):
    """Cancelled before the server confirmed it (no job yet, or no terminal event within the
    grace period). Terminal."""

    job_id: str
    kind = "cancelled"


TERMINAL_KINDS = ("result", "error", "session-error", "cancelled")


class JobSession:
    """Submit ``request`` with ``client`` (an ``anymole_client.Client``) and follow it on a
    worker thread. ``state``: ``idle`` → ``running`` → ``done``. ``close_client``: close the
    client's channel when the session ends."""

    def __init__(
        self,
        client: Any,
        request: Any,
        *,
        idempotency_key: str = "",
        reconnect_s: float = 30.0,
        close_client: bool = True,
        address: str = "",
        on_update: Optional[Callable[[Update], None]] = None,
    ):
        self.client = client
        self.request = request
        self.idempotency_key = idempotency_key
        self.reconnect_s = reconnect_s
        self.close_client = close_client
        self.address = address or getattr(client, "address", "")
        self.job_id = ""
        self.state = "idle"
        self._queue: "queue.Queue[Update]" = queue.Queue()
        self._cancel = threading.Event()
        self._call_lock = threading.Lock()
        self._call: Any = None
        self._thread: Optional[threading.Thread] = None
        self._on_update = on_update  # test seam: called on the worker thread too
        self._closed = False

    # -- game thread ----------------------------------------------------------------------

    def start(self) -> "JobSession":
        if self._thread is not None:
            raise RuntimeError("session already started")
        self.state = "running"
        self._thread = threading.Thread(target=self._run, name="anymole-job", daemon=True)
        self._thread.start()
        return self

    def drain(self, max_updates: int = 0) -> List[Update]:
        """Every update queued since the last call (at most ``max_updates`` if > 0)."""
        out: List[Update] = []
        while not max_updates or len(out) < max_updates:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out

    def wait(self, timeout_s: Optional[float] = None) -> bool:
        """Block until the worker has finished (for scripts and tests); True if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask for cancellation: cancel the current stream now; the worker sends CancelJob."""
        self._cancel.set()
        with self._call_lock:
            call = self._call
        if call is not None:
            try:
                call.cancel()
            except Exception:  # noqa: BLE001 - a finished call may refuse
                pass

    def close(self, timeout_s: float = 2.0) -> None:
        """Cancel if still running, join the worker briefly, close the channel. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.state == "running":
            self.cancel()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self.close_client and (self._thread is None or not self._thread.is_alive()):
            try:
                self.client.close()
            except Exception:  # noqa: BLE001
                pass

    # -- worker thread --------------------------------------------------------------------

    def _put(self, update: Update) -> None:
        if self._on_update is not None:
            self._on_update(update)
        self._queue.put(update)

    def _set_call(self, call: Any) -> None:
        with self._call_lock:
            self._call = call
        if call is not None and self._cancel.is_set():
            call.cancel()

    def _run(self) -> None:
        try:
            self._follow()
        except BaseException as exc:  # noqa: BLE001 - everything becomes a message
            self._put(SessionErrorUpdate(explain(exc, self.address)))
        finally:
            self._set_call(None)
            self.state = "done"
            if self.close_client and self._closed:
                try:
                    self.client.close()
                except Exception:  # noqa: BLE001
                    pass

    def _follow(self) -> None:
        import grpc

        from anymole_client.transport import is_retryable

        client = self.client
        client.server_info()  # the version rule first: another major is refused here
        if self._cancel.is_set():
            self._put(CancelledUpdate(""))
            return
        self.job_id = client.submit(self.request, self.idempotency_key).job_id
        self._put(SubmittedUpdate(self.job_id))
        follower = JobFollower(self.job_id)
        cancel_sent_at: Optional[float] = None
        drop_deadline: Optional[float] = None
        while not follower.done:
            if self._cancel.is_set() and cancel_sent_at is None:
                cancel_sent_at = time.monotonic()
                try:
                    client.cancel(self.job_id)
                except grpc.RpcError:
                    pass
            if cancel_sent_at is not None and time.monotonic() - cancel_sent_at > CANCEL_GRACE_S:
                self._put(CancelledUpdate(self.job_id))
                return
            timer = None
            try:
                call = client.watch(self.job_id, follower.last_seq)
                if cancel_sent_at is None:
                    self._set_call(call)
                else:  # cancelling: watch for the terminal event, but not past the grace period
                    with self._call_lock:
                        self._call = call
                    timer = threading.Timer(max(0.05, CANCEL_GRACE_S - (time.monotonic() - cancel_sent_at)), call.cancel)
                    timer.daemon = True
                    timer.start()
                for event in call:
                    drop_deadline = None
                    for update in follower.feed(event):
                        self._put(update)
                    if follower.done:
                        break
                self._set_call(None)
                if not follower.done:
                    for update in follower.job_finished(client.get_job(self.job_id)):
                        self._put(update)
                    if not follower.done and cancel_sent_at is None and not self._cancel.is_set():
                        time.sleep(0.2)  # the stream closed early: watch again
            except grpc.RpcError as exc:
                self._set_call(None)
                if self._cancel.is_set():
                    time.sleep(0.05)
                    continue  # our own call.cancel(): send CancelJob, watch to the end
                if not is_retryable(exc):
                    raise
                drop_deadline = drop_deadline or time.monotonic() + self.reconnect_s
                if time.monotonic() > drop_deadline:
                    raise
                for update in follower.disconnected():
                    if isinstance(update, ReattachUpdate):
                        self._put(update)
                time.sleep(0.2)
            finally:
                if timer is not None:
                    timer.cancel()


def is_terminal(update: Update) -> bool:
    return update.kind in TERMINAL_KINDS


def failure_of(update: Update, address: str = "") -> Optional[UserError]:
    """The :class:`UserError` of a terminal failure update, else None."""
    if isinstance(update, SessionErrorUpdate):
        return update.error
    if isinstance(update, FailedUpdate):
        from anymole_unreal.errors import from_status

        return from_status(update.code, update.message, None, address)
    if isinstance(update, CancelledUpdate):
        return UserError("job", "cancelled", "CANCELLED")
    return None


class SessionRegistry:
    """The sessions alive in this editor, closed together at Python shutdown."""

    def __init__(self) -> None:
        self._sessions: List[JobSession] = []
        self._lock = threading.Lock()

    def add(self, session: JobSession) -> JobSession:
        with self._lock:
            self._sessions = [s for s in self._sessions if s.state != "done"] + [session]
        return session

    def running(self) -> List[JobSession]:
        with self._lock:
            return [s for s in self._sessions if s.state == "running"]

    def close_all(self, timeout_s: float = 2.0) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for s in sessions:
            s.close(timeout_s)


REGISTRY = SessionRegistry()
