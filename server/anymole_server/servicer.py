"""The RPC handlers: thin — unpack, delegate to the job manager, pack. Exceptions are mapped to
status codes by :mod:`anymole_server.interceptors`."""

from __future__ import annotations

from anymole_client.v1 import job_pb2, service_pb2, service_pb2_grpc
from anymole_server.jobs import JobManager


class AnymoleServicer(service_pb2_grpc.AnymoleServiceServicer):
    def __init__(self, manager: JobManager, info: service_pb2.GetServerInfoResponse):
        self._jobs = manager
        self._info = info

    async def GetServerInfo(self, request, context):
        return self._info

    async def SubmitJob(self, request, context):
        return await self._jobs.submit(request.input, request.idempotency_key)

    async def WatchJob(self, request, context):
        async for event in self._jobs.watch(request.job_id, request.after_event):
            yield event

    async def CancelJob(self, request, context):
        return service_pb2.CancelJobResponse(job=self._jobs.cancel(request.job_id))

    async def GetJob(self, request, context):
        return service_pb2.GetJobResponse(job=self._jobs.get(request.job_id))

    async def ListJobs(self, request, context):
        return self._jobs.list(request)

    async def Transition(self, request, context):
        """Submit + watch; the job is cancelled when the caller cancels this call."""
        submitted = await self._jobs.submit(request.input, request.idempotency_key)
        finished = False
        try:
            async for event in self._jobs.watch(submitted.job_id, 0):
                if event.WhichOneof("kind") in ("result", "error"):
                    finished = True
                yield event
        finally:
            if not finished:
                self._jobs.cancel(submitted.job_id)


__all__ = ["AnymoleServicer", "job_pb2"]
