"""The blocking client (``grpc``): for scripts, CI baking, the library's remote executor and the
Unreal editor (which must not use ``grpc.aio``).

    with Client("127.0.0.1:50051", token=os.environ.get("ANYMOLE_TOKEN")) as client:
        result = client.run(request, on_update=print)

Calls return the contract's messages and raise ``grpc.RpcError`` as gRPC does
(:func:`anymole_client.transport.server_error` turns one into a :class:`ServerError` naming the
field); :meth:`Client.run` / :meth:`Client.follow` raise :class:`JobFailedError` when the job
fails. The first call checks the protocol version (another major: refused with
:class:`IncompatibleServerError`; another minor: a :class:`ProtocolVersionWarning`).
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Iterable, Iterator, Optional, Union

import grpc

from anymole_client import transport
from anymole_client.errors import CANCELLED, JobFailedError
from anymole_client.follower import JobFollower, ReattachUpdate, Update
from anymole_client.v1 import job_pb2, service_pb2, service_pb2_grpc
from anymole_client.version import OK, check_protocol_version, compatibility

OnUpdate = Callable[[Update], None]


class Client:
    """A connection to an AnyMoLe server.

    Args:
        address: ``host:port`` (default ``127.0.0.1:50051``).
        token / token_file: bearer token (or a file holding it) sent with every call.
        tls: TLS with the system roots; ``root_certificates`` (PEM bytes or a path) implies TLS
            with that CA; ``server_name`` overrides the host name checked.
        max_message_bytes: largest message either way.
        check_version: apply the protocol-version rule on the first call.
        timeout_s: deadline of unary calls (streams have none; cancel them instead).
    """

    def __init__(
        self,
        address: str = transport.DEFAULT_ADDRESS,
        *,
        token: Optional[str] = None,
        token_file: Union[str, "transport.Path", None] = None,
        tls: bool = False,
        root_certificates=None,
        server_name: Optional[str] = None,
        max_message_bytes: int = transport.DEFAULT_MAX_MESSAGE_BYTES,
        check_version: bool = True,
        timeout_s: float = 30.0,
    ):
        self.address = address
        self._channel, self._metadata = transport.connection(address, token, token_file, tls, root_certificates, server_name, max_message_bytes, grpc)
        self._stub = service_pb2_grpc.AnymoleServiceStub(self._channel)
        self._check_version = check_version
        self._info: Optional[service_pb2.GetServerInfoResponse] = None
        self.timeout_s = timeout_s
        #: ``(outcome, message)`` of the version rule once the server answered (``"ok"``,
        #: ``"warn"``; ``"refuse"`` raises), so a UI can show the minor-version warning.
        self.compatibility = (OK, "")

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- calls ----------------------------------------------------------------------------

    def server_info(self, refresh: bool = False) -> service_pb2.GetServerInfoResponse:
        """Versions, capabilities, the method catalogue and limits (cached); applies the
        version rule."""
        if self._info is None or refresh:
            info = self._stub.GetServerInfo(service_pb2.GetServerInfoRequest(), metadata=self._metadata, timeout=self.timeout_s)
            self.compatibility = compatibility(info.protocol_version)
            check_protocol_version(info.protocol_version)
            self._info = info
        return self._info

    def _ensure_compatible(self) -> None:
        if self._check_version and self._info is None:
            self.server_info()

    def health(self, service: str = "") -> int:
        """``HealthCheckResponse.ServingStatus`` of ``service`` (``""``: the whole server):
        1 SERVING, 2 NOT_SERVING."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stub = health_pb2_grpc.HealthStub(self._channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout_s).status

    def submit(self, input: job_pb2.TransitionInput, idempotency_key: str = "") -> service_pb2.SubmitJobResponse:
        self._ensure_compatible()
        req = service_pb2.SubmitJobRequest(input=input, idempotency_key=idempotency_key)
        return self._stub.SubmitJob(req, metadata=self._metadata, timeout=self.timeout_s)

    def watch(self, job_id: str, after_event: int = 0):
        """The stream of ``JobEvent`` with seq > after_event until the terminal one: iterable,
        with ``cancel()`` (which does not cancel the job)."""
        self._ensure_compatible()
        return self._stub.WatchJob(service_pb2.WatchJobRequest(job_id=job_id, after_event=after_event), metadata=self._metadata)

    def transition(self, input: job_pb2.TransitionInput, idempotency_key: str = ""):
        """Submit and watch in one call; ``cancel()`` on the returned call cancels the job."""
        self._ensure_compatible()
        return self._stub.Transition(service_pb2.TransitionRequest(input=input, idempotency_key=idempotency_key), metadata=self._metadata)

    def cancel(self, job_id: str) -> job_pb2.Job:
        self._ensure_compatible()
        return self._stub.CancelJob(service_pb2.CancelJobRequest(job_id=job_id), metadata=self._metadata, timeout=self.timeout_s).job

    def get_job(self, job_id: str) -> job_pb2.Job:
        self._ensure_compatible()
        return self._stub.GetJob(service_pb2.GetJobRequest(job_id=job_id), metadata=self._metadata, timeout=self.timeout_s).job

    def list_jobs(self, states: Iterable[int] = (), page_size: int = 0, page_token: str = "") -> service_pb2.ListJobsResponse:
        self._ensure_compatible()
        req = service_pb2.ListJobsRequest(states=list(states), page_size=page_size, page_token=page_token)
        return self._stub.ListJobs(req, metadata=self._metadata, timeout=self.timeout_s)

    def iter_jobs(self, states: Iterable[int] = (), page_size: int = 0) -> Iterator[job_pb2.Job]:
        token = ""
        while True:
            page = self.list_jobs(states, page_size, token)
            for job in page.jobs:
                yield job
            if not page.next_page_token:
                return
            token = page.next_page_token

    # -- following a job ------------------------------------------------------------------

    def run(
        self,
        input: job_pb2.TransitionInput,
        on_update: Optional[OnUpdate] = None,
        *,
        on_event: Optional[Callable[[job_pb2.JobEvent], None]] = None,
        idempotency_key: str = "",
        reconnect_s: float = 30.0,
        cancel: Optional[threading.Event] = None,
    ) -> job_pb2.TransitionResult:
        """Submit, follow to the end (reattaching after a dropped connection for up to
        ``reconnect_s``) and return the result; :class:`JobFailedError` if the job fails.
        ``on_update`` gets the follower's updates, ``on_event`` every new raw ``JobEvent``
        (each once, in order). Setting ``cancel`` (from any thread) cancels the job."""
        job_id = self.submit(input, idempotency_key).job_id
        return self.follow(job_id, on_update, on_event=on_event, reconnect_s=reconnect_s, cancel=cancel)

    def follow(
        self,
        job_id: str,
        on_update: Optional[OnUpdate] = None,
        *,
        on_event: Optional[Callable[[job_pb2.JobEvent], None]] = None,
        after_event: int = 0,
        reconnect_s: float = 30.0,
        cancel: Optional[threading.Event] = None,
        cancel_grace_s: float = 10.0,
    ) -> job_pb2.TransitionResult:
        """Watch ``job_id`` to its end through a :class:`JobFollower`; see :meth:`run`.

        When ``cancel`` is set, the job is cancelled (CancelJob) and followed to its terminal
        event for up to ``cancel_grace_s`` seconds; after that the stream is dropped and
        :class:`JobFailedError` (CANCELLED) is raised without waiting further."""
        follower = JobFollower(job_id, after_event)
        deadline: Optional[float] = None
        stop = threading.Event()
        given_up = threading.Event()
        current = {"call": None}

        def watch_cancel() -> None:
            while not stop.wait(0.05):
                if cancel is not None and cancel.is_set():
                    try:
                        self.cancel(job_id)
                    except grpc.RpcError:
                        pass
                    if not stop.wait(cancel_grace_s):  # no terminal event in time: let go
                        given_up.set()
                        call = current["call"]
                        if call is not None:
                            call.cancel()
                    return

        watcher = None
        if cancel is not None:
            watcher = threading.Thread(target=watch_cancel, name="anymole-cancel", daemon=True)
            watcher.start()
        try:
            while not follower.done:
                try:
                    call = self.watch(job_id, follower.last_seq)
                    current["call"] = call
                    with _StreamReader(call) as events:
                        for event in events:
                            deadline = None
                            if follower.deliver(event, on_event, on_update):
                                break
                    if not follower.done:  # closed without a terminal event: ask for the job
                        follower.deliver_job(self.get_job(job_id), on_update)
                except grpc.RpcError as exc:
                    if given_up.is_set():
                        raise JobFailedError(job_id, CANCELLED, f"cancelled; no final event within {cancel_grace_s:g} s") from None
                    if not transport.is_retryable(exc):
                        raise
                    deadline = deadline or time.monotonic() + reconnect_s
                    if time.monotonic() > deadline:
                        raise
                    for update in follower.disconnected():
                        if on_update is not None and isinstance(update, ReattachUpdate):
                            on_update(update)
                    time.sleep(0.2)
        finally:
            stop.set()
        if follower.result is not None:
            return follower.result
        err = follower.error
        assert err is not None
        raise JobFailedError(job_id, err.code, err.message)


class _StreamReader:
    """Reads a server stream on a helper thread; iterating yields its messages in the caller's
    thread and re-raises the stream's error there. Leaving the ``with`` block cancels the call
    (a no-op once it ended) and waits for the reader.

    Why: grpc's blocking stream iterator is not safe against an asynchronous exception. A
    Ctrl+C (KeyboardInterrupt) that lands between two of its bookkeeping steps (it marks a
    receive as due, then starts it) leaves the channel's polling thread waiting for an
    operation that never started, and closing the channel then prints a ``TypeError``
    traceback from that thread. Here grpc's iterator only ever runs on the reader thread,
    which signals never interrupt; the caller waits on a queue in short steps (so Ctrl+C is
    seen promptly on every platform).
    """

    _END = object()
    _POLL_S = 0.1

    def __init__(self, call):
        self._call = call
        self._items: "queue.SimpleQueue" = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._read, name="anymole-stream", daemon=True)

    def _read(self) -> None:
        try:
            for message in self._call:
                self._items.put(message)
        except BaseException as exc:  # grpc.RpcError (or anything else): raised in the caller
            self._items.put(_Raised(exc))
        else:
            self._items.put(self._END)

    def __enter__(self) -> "_StreamReader":
        self._thread.start()
        return self

    def __iter__(self):
        while True:
            try:
                item = self._items.get(timeout=self._POLL_S)
            except queue.Empty:
                continue
            if item is self._END:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item

    def __exit__(self, *exc) -> None:
        if self._thread.is_alive():
            self._call.cancel()
            self._thread.join(10.0)


class _Raised:
    def __init__(self, exc: BaseException):
        self.exc = exc
