"""The asyncio client (``grpc.aio``): the calls of :class:`anymole_client.sync.Client`,
awaitable, following jobs through the same :class:`~anymole_client.follower.JobFollower`.

    async with AsyncClient("127.0.0.1:50051") as client:
        result = await client.run(request, on_update=print)

Not for the Unreal editor (its Python has no running event loop to host ``grpc.aio``).
"""

from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator, Callable, Iterable, Optional

import grpc
from grpc import aio

from anymole_client import transport
from anymole_client.errors import JobFailedError
from anymole_client.follower import JobFollower, ReattachUpdate, Update
from anymole_client.v1 import job_pb2, service_pb2, service_pb2_grpc
from anymole_client.version import OK, check_protocol_version, compatibility


class AsyncClient:
    """See :class:`anymole_client.sync.Client` for the arguments."""

    def __init__(
        self,
        address: str = transport.DEFAULT_ADDRESS,
        *,
        token: Optional[str] = None,
        token_file=None,
        tls: bool = False,
        root_certificates=None,
        server_name: Optional[str] = None,
        max_message_bytes: int = transport.DEFAULT_MAX_MESSAGE_BYTES,
        check_version: bool = True,
        timeout_s: float = 30.0,
    ):
        self.address = address
        self._channel, self._metadata = transport.connection(address, token, token_file, tls, root_certificates, server_name, max_message_bytes, aio)
        self._stub = service_pb2_grpc.AnymoleServiceStub(self._channel)
        self._check_version = check_version
        self._info: Optional[service_pb2.GetServerInfoResponse] = None
        self.timeout_s = timeout_s
        self.compatibility = (OK, "")  # see Client.compatibility

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def server_info(self, refresh: bool = False) -> service_pb2.GetServerInfoResponse:
        if self._info is None or refresh:
            info = await self._stub.GetServerInfo(service_pb2.GetServerInfoRequest(), metadata=self._metadata, timeout=self.timeout_s)
            self.compatibility = compatibility(info.protocol_version)
            check_protocol_version(info.protocol_version)
            self._info = info
        return self._info

    async def _ensure_compatible(self) -> None:
        if self._check_version and self._info is None:
            await self.server_info()

    async def health(self, service: str = "") -> int:
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stub = health_pb2_grpc.HealthStub(self._channel)
        return (await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout_s)).status

    async def submit(self, input: job_pb2.TransitionInput, idempotency_key: str = "") -> service_pb2.SubmitJobResponse:
        await self._ensure_compatible()
        req = service_pb2.SubmitJobRequest(input=input, idempotency_key=idempotency_key)
        return await self._stub.SubmitJob(req, metadata=self._metadata, timeout=self.timeout_s)

    async def watch(self, job_id: str, after_event: int = 0) -> AsyncIterator[job_pb2.JobEvent]:
        """Events with seq > after_event until the terminal one. Leaving the loop (or
        cancelling the task) drops the stream; the job keeps running."""
        await self._ensure_compatible()
        call = self._stub.WatchJob(service_pb2.WatchJobRequest(job_id=job_id, after_event=after_event), metadata=self._metadata)
        try:
            async for event in call:
                yield event
        finally:
            call.cancel()

    async def transition(self, input: job_pb2.TransitionInput, idempotency_key: str = "") -> AsyncIterator[job_pb2.JobEvent]:
        """Submit and watch in one call; leaving the loop early cancels the job."""
        await self._ensure_compatible()
        call = self._stub.Transition(service_pb2.TransitionRequest(input=input, idempotency_key=idempotency_key), metadata=self._metadata)
        try:
            async for event in call:
                yield event
        finally:
            call.cancel()

    async def cancel(self, job_id: str) -> job_pb2.Job:
        await self._ensure_compatible()
        return (await self._stub.CancelJob(service_pb2.CancelJobRequest(job_id=job_id), metadata=self._metadata, timeout=self.timeout_s)).job

    async def get_job(self, job_id: str) -> job_pb2.Job:
        await self._ensure_compatible()
        return (await self._stub.GetJob(service_pb2.GetJobRequest(job_id=job_id), metadata=self._metadata, timeout=self.timeout_s)).job

    async def list_jobs(self, states: Iterable[int] = (), page_size: int = 0, page_token: str = "") -> service_pb2.ListJobsResponse:
        await self._ensure_compatible()
        req = service_pb2.ListJobsRequest(states=list(states), page_size=page_size, page_token=page_token)
        return await self._stub.ListJobs(req, metadata=self._metadata, timeout=self.timeout_s)

    async def run(
        self,
        input: job_pb2.TransitionInput,
        on_update: Optional[Callable[[Update], None]] = None,
        *,
        on_event: Optional[Callable[[job_pb2.JobEvent], None]] = None,
        idempotency_key: str = "",
        reconnect_s: float = 30.0,
    ) -> job_pb2.TransitionResult:
        """Submit, follow (reattaching after a dropped connection) and return the result;
        :class:`JobFailedError` if the job fails. Cancelling the task leaves the job running;
        call :meth:`cancel` to stop it."""
        job_id = (await self.submit(input, idempotency_key)).job_id
        return await self.follow(job_id, on_update, on_event=on_event, reconnect_s=reconnect_s)

    async def follow(self, job_id: str, on_update=None, *, on_event=None, after_event: int = 0, reconnect_s: float = 30.0) -> job_pb2.TransitionResult:
        """Watch ``job_id`` to its end through a :class:`JobFollower`; see :meth:`run`."""
        follower = JobFollower(job_id, after_event)
        deadline: Optional[float] = None
        while not follower.done:
            try:
                async for event in self.watch(job_id, follower.last_seq):
                    deadline = None
                    if follower.deliver(event, on_event, on_update):
                        break
                if not follower.done:
                    follower.deliver_job(await self.get_job(job_id), on_update)
            except grpc.RpcError as exc:
                if not transport.is_retryable(exc):
                    raise
                deadline = deadline or time.monotonic() + reconnect_s
                if time.monotonic() > deadline:
                    raise
                for update in follower.disconnected():
                    if on_update is not None and isinstance(update, ReattachUpdate):
                        on_update(update)
                await asyncio.sleep(0.2)
        if follower.result is not None:
            return follower.result
        err = follower.error
        assert err is not None
        raise JobFailedError(job_id, err.code, err.message)
