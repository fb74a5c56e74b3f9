"""Bearer-token authentication and tenants: every RPC except grpc.health.v1.Health must carry
``authorization: Bearer <token>`` when the server has tokens, else UNAUTHENTICATED. Each token
belongs to a tenant (a client or a team); a tenant sees and cancels only its own jobs, and its
idempotency keys are its own. Tokens are compared in constant time and never logged.

Token file: one token per line, ``TOKEN`` (tenant ``default``) or ``TENANT TOKEN``; blank lines
and lines starting with ``#`` are ignored. Tenant names: letters, digits, ``._-``, at most 64."""

from __future__ import annotations

import hmac
import os
import re
import stat
from pathlib import Path

import grpc
from grpc import aio

from anymole_server.config import ConfigError

EXEMPT_PREFIXES = ("/grpc.health.v1.Health/",)


DEFAULT_TENANT = "default"
MIN_TOKEN_LENGTH = 8
_TENANT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def load_tokens(path: str | Path) -> dict[str, str]:
    """Read a token file: token → tenant (see the module docstring). Refuses an empty file, a
    short token, a bad tenant name and a token listed twice (naming the line, never the
    token)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read token file {p}: {exc.strerror or exc}") from None
    tokens: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 2:
            raise ConfigError(f"token file {p}, line {n}: expected 'TOKEN' or 'TENANT TOKEN'")
        tenant, token = (DEFAULT_TENANT, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        if not _TENANT.match(tenant):
            raise ConfigError(f"token file {p}, line {n}: tenant names are letters, digits and ._- (at most 64)")
        if len(token) < MIN_TOKEN_LENGTH:
            raise ConfigError(f"token file {p}, line {n}: a token must have at least {MIN_TOKEN_LENGTH} characters")
        if token in tokens:
            raise ConfigError(f"token file {p}, line {n}: this token is listed twice")
        tokens[token] = tenant
    if not tokens:
        raise ConfigError(f"token file {p} must hold a token of at least {MIN_TOKEN_LENGTH} characters")
    return tokens


def load_token(path: str | Path) -> str:
    """The first token of a token file (see :func:`load_tokens`)."""
    return next(iter(load_tokens(path)))


def bearer(metadata) -> str:
    """The ``authorization`` metadata value, or ``""``."""
    for key, v in metadata or ():
        if key == "authorization":
            return v if isinstance(v, str) else v.decode("latin-1")
    return ""


def match_tenant(value: str, tenants: dict[str, str]) -> str | None:
    """The tenant whose token ``value`` (``"Bearer <token>"``) carries, or None. Every token is
    compared, in constant time each, so timing tells nothing about which one nearly matched."""
    found = None
    given = value.encode()
    for token, tenant in tenants.items():
        if hmac.compare_digest(given, f"Bearer {token}".encode()):
            found = tenant
    return found


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
    """``tenants``: token → tenant (a single token string is tenant ``default``)."""

    def __init__(self, tenants: dict[str, str] | str):
        self._tenants = {tenants: DEFAULT_TENANT} if isinstance(tenants, str) else dict(tenants)

    async def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        if method.startswith(EXEMPT_PREFIXES):
            return await continuation(handler_call_details)
        value = bearer(handler_call_details.invocation_metadata)
        if value and match_tenant(value, self._tenants) is not None:
            return await continuation(handler_call_details)
        message = "missing bearer token (metadata 'authorization: Bearer <token>')" if not value else "invalid bearer token"
        handler = await continuation(handler_call_details)
        kind = "stream" if handler is not None and handler.unary_stream is not None else "unary"
        return _deny(kind, message)
