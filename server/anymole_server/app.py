"""Server assembly: ``serve(config)`` starts a grpc.aio server with the AnyMoLe service, health
checking and reflection, explicit message-size limits, the bearer-token and error-mapping
interceptors, and the job runner over the SQLite store.

    server, port = await serve(ServerConfig(port=0, db_path=tmp / "jobs.sqlite3"))
    ...
    await server.stop()
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time

import grpc
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from anymole.methods.catalogue import CATALOGUE, DEFAULT_METHOD, MethodSpec, availability, available_methods
from anymole.render.preview import RENDERER_NAME
from anymole_client.v1 import job_pb2, service_pb2, service_pb2_grpc
from anymole_server.auth import BearerTokenInterceptor
from anymole_server.config import ConfigError, ServerConfig
from anymole_server.interceptors import ErrorMappingInterceptor
from anymole_server.jobs import JobManager
from anymole_server.servicer import AnymoleServicer
from anymole_server.store import Store, StoreOpenError
from anymole_server.version import PROTOCOL_VERSION, SERVER_VERSION

log = logging.getLogger("anymole_server")

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["AnymoleService"].full_name
RENDERER = RENDERER_NAME  # the mesh rasteriser (anymole.render.preview.render_preview)


def device_name() -> str:
    """``"cuda:<name>"`` when a GPU is visible to torch, else ``"cpu"``."""
    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(0)}"
    return "cpu"


_OPTION_TYPES = {
    "bool": service_pb2.OPTION_TYPE_BOOL,
    "int": service_pb2.OPTION_TYPE_INT,
    "float": service_pb2.OPTION_TYPE_FLOAT,
    "string": service_pb2.OPTION_TYPE_STRING,
}


def _json_path(field: str, name: str) -> str:
    head, *rest = name.split("_")
    return f"{field}.{head}{''.join(w.title() for w in rest)}"


def method_info(spec: MethodSpec, video_priors: tuple[str, ...]) -> service_pb2.MethodInfo:
    """A catalogue entry as ``MethodInfo``: runnable now (or why not), stages, typed options."""
    runnable, reason = availability(spec.name, video_priors)
    info = service_pb2.MethodInfo(
        name=spec.name, description=spec.description, runnable=runnable, unavailable_reason=reason,
        needs_prior=spec.needs_prior, is_default=spec.name == DEFAULT_METHOD, stages=list(spec.stages),
    )
    for o in spec.options:
        opt = info.options.add(name=o.name, field=_json_path(spec.options_field, o.name), type=_OPTION_TYPES[o.type], description=o.description)
        opt.default_json = json.dumps(o.default)
        if o.minimum is not None:
            opt.minimum = float(o.minimum)
        if o.maximum is not None:
            opt.maximum = float(o.maximum)
    return info


def server_info(config: ServerConfig) -> service_pb2.GetServerInfoResponse:
    lim = config.limits
    priors = tuple(config.video_priors)
    methods = list(available_methods(video_prior_ready=bool(priors)))
    return service_pb2.GetServerInfoResponse(
        protocol_version=PROTOCOL_VERSION,
        server_version=SERVER_VERSION,
        capabilities=service_pb2.Capabilities(
            methods=methods,
            method_info=[method_info(spec, priors) for spec in CATALOGUE.values()],
            default_method=DEFAULT_METHOD,
            video_priors=list(config.video_priors),
            renderer=RENDERER,
            device=device_name(),
            limits=service_pb2.Limits(**{f.name: getattr(lim, f.name) for f in service_pb2.Limits.DESCRIPTOR.fields}),
            preview_formats=[job_pb2.IMAGE_FORMAT_JPEG, job_pb2.IMAGE_FORMAT_PNG],
        ),
    )


def format_address(host: str, port: int) -> str:
    h = host.strip()
    if ":" in h and not h.startswith("["):
        h = f"[{h}]"
    return f"{h}:{port}"


class RunningServer:
    """A started server: the grpc.aio server, the job manager and the health servicer."""

    def __init__(self, grpc_server: aio.Server, jobs: JobManager, health_servicer, store: Store, address: str, port: int):
        self.grpc_server = grpc_server
        self.jobs = jobs
        self.health = health_servicer
        self.store = store
        self.address = address
        self.port = port
        self._stopped = False

    async def stop(self, grace: float | None = 1.0) -> None:
        """Stop serving within about ``grace`` seconds (None: wait for every job): health
        NOT_SERVING, interrupt jobs (one still running after ``grace`` is marked INTERRUPTED
        and left behind), stop the gRPC server (calls still open after the rest of ``grace``
        are cancelled), close the store. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        t0 = time.monotonic()
        await self.health.enter_graceful_shutdown()
        await self.jobs.shutdown(timeout_s=grace)
        left = None if grace is None else max(0.1, grace - (time.monotonic() - t0))
        await self.grpc_server.stop(left)
        self.store.close()
        log.info("server on %s stopped", self.address)

    async def _sync_health(self) -> None:
        """Health follows the store: NOT_SERVING while it fails (submit answers UNAVAILABLE),
        SERVING when it works again. The store's state is read when this runs, so updates
        that arrive out of order still end on the current one."""
        if self._stopped:
            return
        status = health_pb2.HealthCheckResponse.SERVING if self.store.healthy else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", SERVICE_NAME):
            await self.health.set(name, status)

    def _on_store_change(self, loop: asyncio.AbstractEventLoop, failure: str | None) -> None:  # any thread
        del failure
        try:
            loop.call_soon_threadsafe(lambda: loop.create_task(self._sync_health()))
        except RuntimeError:  # loop closed: stopping
            pass

    async def wait_for_termination(self) -> None:
        await self.grpc_server.wait_for_termination()


# Python hands the GIL between threads every 5 ms by default; the job threads, the event loop
# and the watchers' reads then wait behind each other's slices. 1 ms lets a new job's solve and
# pose preview through while others render (measured by ``anymole bench server``: first pose
# p50 110 -> 60-85 ms at 8 clients on 2 cores, with no loss of jobs per second).
SWITCH_INTERVAL_S = 0.001


async def serve(config: ServerConfig) -> tuple[RunningServer, int]:
    """Start serving ``config``; returns the running server and the bound port (use port 0 to
    let the OS choose). Raises :class:`ConfigError` for a configuration that must not start.
    Lowers the process's GIL switch interval to :data:`SWITCH_INTERVAL_S`."""
    config.check()
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    try:
        store = Store(config.resolved_db_path)
    except StoreOpenError as exc:  # one line: the path and what to do
        raise ConfigError(str(exc)) from None
    jobs = JobManager(store, config)
    await jobs.start()

    interceptors: list[aio.ServerInterceptor] = []
    if config.tenants:
        interceptors.append(BearerTokenInterceptor(config.tenants))
    interceptors.append(ErrorMappingInterceptor())
    size = int(config.limits.max_message_bytes)
    server = aio.server(
        interceptors=interceptors,
        options=[
            ("grpc.max_send_message_length", size),
            ("grpc.max_receive_message_length", size),
            ("grpc.so_reuseport", 0),
        ],
    )
    service_pb2_grpc.add_AnymoleServiceServicer_to_server(AnymoleServicer(jobs, server_info(config), config.tenants), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)

    address = format_address(config.host, config.port)
    try:
        if config.tls_cert is not None:
            creds = grpc.ssl_server_credentials([(config.tls_key, config.tls_cert)])
            port = server.add_secure_port(address, creds)
        else:
            port = server.add_insecure_port(address)
    except RuntimeError as exc:
        store.close()
        raise ConfigError(f"cannot bind {address}: {exc}") from None
    if not port:
        store.close()
        raise ConfigError(f"cannot bind {address}")
    await server.start()
    bound = format_address(config.host, port)
    running = RunningServer(server, jobs, health_servicer, store, bound, port)
    loop = asyncio.get_running_loop()
    store.add_listener(lambda failure: running._on_store_change(loop, failure))
    await running._sync_health()  # SERVING (unless the store failed already)
    log.info("listening on %s (%s, %s auth, db %s)", bound, "TLS" if config.tls_cert else "plaintext", "token" if config.token else "no", store.path)
    return running, port
