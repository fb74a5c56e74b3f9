"""Asyncio client (``grpc.aio``): the same calls as :class:`anymole.client.sync.Client`, awaitable.

    async with AsyncClient("127.0.0.1:50051") as client:
        job = await client.submit(input)
        async for event in client.watch(job.job_id):
            ...
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

import grpc
from grpc import aio
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


class AsyncClient:
    """See :class:`anymole.client.sync.Client` for the arguments."""

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
            self._channel = aio.insecure_channel(address, options=options)
        else:
            if server_name:
                options.append(("grpc.ssl_target_name_override", server_name))
            self._channel = aio.secure_channel(address, creds, options=options)
        self._stub = service_pb2_grpc.AnymoleServiceStub(self._channel)
        self._check_version = check_version
        self._info: service_pb2.GetServerInfoResponse | None = None
        self.timeout_s = timeout_s

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def server_info(self, refresh: bool = False) -> service_pb2.GetServerInfoResponse:
        if self._info is None or refresh:
            info = await self._stub.GetServerInfo(service_pb2.GetServerInfoRequest(), metadata=self._metadata, timeout=self.timeout_s)
            check_server_info(info)
            self._info = info
        return self._info

    async def _ensure_compatible(self) -> None:
        if self._check_version and self._info is None:
            await self.server_info()

    async def health(self, service: str = "") -> int:
        stub = health_pb2_grpc.HealthStub(self._channel)
        return (await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout_s)).status

    async def submit(self, input: job_pb2.TransitionInput, idempotency_key: str = "") -> service_pb2.SubmitJobResponse:
        await self._ensure_compatible()
        req = service_pb2.SubmitJobRequest(input=input, idempotency_key=idempotency_key)
        return await self._stub.SubmitJob(req, metadata=self._metadata, timeout=self.timeout_s)

    async def watch(self, job_id: str, after_event: int = 0) -> AsyncIterator[job_pb2.JobEvent]:
        """Events with seq > after_event until the terminal one. Breaking out of the loop (or
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
        on_event: Callable[[job_pb2.JobEvent], None] | None = None,
        *,
        idempotency_key: str = "",
        reconnect_s: float = 30.0,
    ) -> job_pb2.TransitionResult:
        """Submit, follow (reattaching after a dropped connection) and return the result;
        :class:`JobFailedError` if the job fails."""
        job_id = (await self.submit(input, idempotency_key)).job_id
        last, deadline = 0, None
        while True:
            try:
                async for event in self.watch(job_id, last):
                    deadline = None
                    last = event.seq
                    if on_event is not None:
                        on_event(event)
                    kind = event.WhichOneof("kind")
                    if kind == "result":
                        return event.result
                    if kind == "error":
                        raise JobFailedError(job_id, status_code_from_number(event.error.code), event.error.message)
                job = await self.get_job(job_id)
                if job.HasField("result"):
                    return job.result
                raise JobFailedError(job_id, status_code_from_number(job.error.code), job.error.message or "stream ended")
            except aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
                deadline = deadline or time.monotonic() + reconnect_s
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
