"""The RPC handlers: thin — unpack, find the caller's tenant, delegate to the job manager, pack.
Exceptions are mapped to status codes by :mod:`anymole_server.interceptors`."""

from __future__ import annotations

from anymole_client.v1 import job_pb2, service_pb2, service_pb2_grpc
from anymole_server.auth import bearer, match_tenant
from anymole_server.jobs import JobManager


class AnymoleServicer(service_pb2_grpc.AnymoleServiceServicer):
    """``tenants``: token → tenant; empty (no authentication): every caller sees every job."""

    def __init__(self, manager: JobManager, info: service_pb2.GetServerInfoResponse, tenants: dict[str, str] | None = None):
        self._jobs = manager
        self._info = info
        self._tenants = dict(tenants or {})

    def _tenant(self, context) -> str | None:
        """The caller's tenant; None when the server has no tokens. (The interceptor already
        refused calls without a valid token.)"""
        if not self._tenants:
            return None
        return match_tenant(bearer(context.invocation_metadata()), self._tenants) or ""

    async def GetServerInfo(self, request, context):
        return self._info

    async def SubmitJob(self, request, context):
        return await self._jobs.submit(request.input, request.idempotency_key, tenant=self._tenant(context))

    async def WatchJob(self, request, context):
        async for event in self._jobs.watch(request.job_id, request.after_event, tenant=self._tenant(context)):
            yield event

    async def CancelJob(self, request, context):
        return service_pb2.CancelJobResponse(job=self._jobs.cancel(request.job_id, tenant=self._tenant(context)))

    async def GetJob(self, request, context):
        return service_pb2.GetJobResponse(job=self._jobs.get(request.job_id, tenant=self._tenant(context)))

    async def ListJobs(self, request, context):
        return self._jobs.list(request, tenant=self._tenant(context))

    async def Transition(self, request, context):
        """Submit + watch; the job is cancelled when the caller cancels this call."""
        tenant = self._tenant(context)
        submitted = await self._jobs.submit(request.input, request.idempotency_key, tenant=tenant)
        finished = False
        try:
            async for event in self._jobs.watch(submitted.job_id, 0, tenant=tenant):
                if event.WhichOneof("kind") in ("result", "error"):
                    finished = True
                yield event
        finally:
            if not finished:
                self._jobs.cancel(submitted.job_id, tenant=tenant)


__all__ = ["AnymoleServicer", "job_pb2"]
