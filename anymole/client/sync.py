"""Blocking client (``grpc``): for the CLI, CI baking, tests and the Unreal editor plugin.

    with Client("127.0.0.1:50051", token_file="token.txt") as client:
        result = client.run(build_transition_input(...), on_event=print)

The first call checks the server's protocol version (another major: refused with
:class:`IncompatibleServerError`; another minor: a :class:`ProtocolVersionWarning`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from anymole.client._common import (
    DEFAULT_ADDRESS,
    DEFAULT_MAX_MESSAGE_BYTES,
    JobFailedError,
    auth_metadata,
    channel_credentials,
    channel_options,
    read_token,
    status_code_from_number,
)
from anymole.client.compat import check_server_info
from anymole.v1 import job_pb2, service_pb2, service_pb2_grpc

_RETRYABLE = (grpc.StatusCode.UNAVAILABLE,)


class Client:
    """A connection to an AnyMoLe server.

    Args:
        address: ``host:port``.
        token / token_file: bearer token (or a file holding it) sent with every call.
        tls: use TLS with the system roots; ``root_certificates`` (PEM bytes or path) implies
            TLS with that CA. ``server_name``: override the TLS host name check.
        max_message_bytes: largest message either way.
        check_version: check the protocol version on the first call.
        timeout_s: deadline of unary calls (streams have none).
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        token: str | None = None,
        token_file: str | Path | None = None,
        tls: bool = False,
        root_certificates: bytes | str | Path | None = None,
        server_name: str | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        check_version: bool = True,
        timeout_s: float = 30.0,
    ):
        self.address = address
        self._metadata = auth_metadata(read_token(token, token_file))
        options = channel_options(max_message_bytes)
        creds = channel_credentials(tls, root_certificates)
        if creds is None:
            self._channel = grpc.insecure_channel(address, options=options)
        else:
            if server_name:
                options.append(("grpc.ssl_target_name_override", server_name))
            self._channel = grpc.secure_channel(address, creds, options=options)
        self._stub = service_pb2_grpc.AnymoleServiceStub(self._channel)
        self._check_version = check_version
        self._info: service_pb2.GetServerInfoResponse | None = None
        self.timeout_s = timeout_s

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- info -----------------------------------------------------------------------------

    def server_info(self, refresh: bool = False) -> service_pb2.GetServerInfoResponse:
        """Versions and capabilities (cached); checks protocol compatibility."""
        if self._info is None or refresh:
            info = self._stub.GetServerInfo(service_pb2.GetServerInfoRequest(), metadata=self._metadata, timeout=self.timeout_s)
            check_server_info(info)
            self._info = info
        return self._info

    def _ensure_compatible(self) -> None:
        if self._check_version and self._info is None:
            self.server_info()

    def health(self, service: str = "") -> int:
        """``HealthCheckResponse.ServingStatus`` of ``service`` ("" = the whole server)."""
        stub = health_pb2_grpc.HealthStub(self._channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout_s).status

    # -- jobs -----------------------------------------------------------------------------

    def submit(self, input: job_pb2.TransitionInput, idempotency_key: str = "") -> service_pb2.SubmitJobResponse:
        self._ensure_compatible()
        req = service_pb2.SubmitJobRequest(input=input, idempotency_key=idempotency_key)
        return self._stub.SubmitJob(req, metadata=self._metadata, timeout=self.timeout_s)

    def watch(self, job_id: str, after_event: int = 0):
        """Stream of ``JobEvent`` with seq > after_event until the terminal event. The returned
        call is iterable and has ``cancel()`` (cancelling does not cancel the job)."""
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
            yield from page.jobs
            if not page.next_page_token:
                return
            token = page.next_page_token

    def run(
        self,
        input: job_pb2.TransitionInput,
        on_event: Callable[[job_pb2.JobEvent], None] | None = None,
        *,
        idempotency_key: str = "",
        reconnect_s: float = 30.0,
    ) -> job_pb2.TransitionResult:
        """Submit, follow the events (reattaching after a dropped connection for up to
        ``reconnect_s``) and return the result; :class:`JobFailedError` if the job fails."""
        job_id = self.submit(input, idempotency_key).job_id
        return self.follow(job_id, on_event, reconnect_s=reconnect_s)

    def follow(self, job_id: str, on_event=None, *, after_event: int = 0, reconnect_s: float = 30.0) -> job_pb2.TransitionResult:
        """Watch ``job_id`` to its end; see :meth:`run`."""
        last = after_event
        deadline = None
        while True:
            try:
                for event in self.watch(job_id, last):
                    deadline = None
                    last = event.seq
                    if on_event is not None:
                        on_event(event)
                    kind = event.WhichOneof("kind")
                    if kind == "result":
                        return event.result
                    if kind == "error":
                        raise JobFailedError(job_id, status_code_from_number(event.error.code), event.error.message)
                job = self.get_job(job_id)  # stream ended without a terminal event
                if job.HasField("result"):
                    return job.result
                raise JobFailedError(job_id, status_code_from_number(job.error.code), job.error.message or "stream ended")
            except grpc.RpcError as exc:
                if exc.code() not in _RETRYABLE:
                    raise
                deadline = deadline or time.monotonic() + reconnect_s
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
