"""Bearer-token authentication: every RPC except grpc.health.v1.Health must carry
``authorization: Bearer <token>`` when the server has a token, else UNAUTHENTICATED.
The token is never logged."""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path

import grpc
from grpc import aio

from anymole_server.config import ConfigError

EXEMPT_PREFIXES = ("/grpc.health.v1.Health/",)


def load_token(path: str | Path) -> str:
    """Read a token file (first line, stripped). Refuses an empty file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read token file {p}: {exc.strerror or exc}") from None
    token = text.strip().splitlines()[0].strip() if text.strip() else ""
    if len(token) < 8:
        raise ConfigError(f"token file {p} must hold a token of at least 8 characters")
    return token


def token_file_is_private(path: str | Path) -> bool:
    """False when group or others may read the token file (POSIX only)."""
    if os.name != "posix":
        return True
    return not (Path(path).stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))


def _deny(kind: str, message: str) -> grpc.RpcMethodHandler:
    async def unary(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def stream(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover - makes this an async generator

    if kind == "stream":
        return grpc.unary_stream_rpc_method_handler(stream)
    return grpc.unary_unary_rpc_method_handler(unary)


class BearerTokenInterceptor(aio.ServerInterceptor):
    def __init__(self, token: str):
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        if method.startswith(EXEMPT_PREFIXES):
            return await continuation(handler_call_details)
        value = ""
        for key, v in handler_call_details.invocation_metadata or ():
            if key == "authorization":
                value = v if isinstance(v, str) else v.decode("latin-1")
                break
        if value and hmac.compare_digest(value.encode(), self._expected):
            return await continuation(handler_call_details)
        message = "missing bearer token (metadata 'authorization: Bearer <token>')" if not value else "invalid bearer token"
        handler = await continuation(handler_call_details)
        kind = "stream" if handler is not None and handler.unary_stream is not None else "unary"
        return _deny(kind, message)
