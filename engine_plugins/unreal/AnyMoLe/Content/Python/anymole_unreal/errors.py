"""Every failure the user sees, as one line that names the field it concerns.

:func:`explain` turns whatever went wrong (a bad selection, a server that is down, a refused
token, another protocol major version, a request the server rejected with the field it named,
a job that failed) into a :class:`UserError`. Dialogs, the Output Log and the bake report all
print ``str(UserError)``: ``"<field>: <problem>"``. Tokens never appear in a message.
"""

from __future__ import annotations

import sys
from typing import Optional

from anymole_client.errors import (
    CANCELLED,
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    UNAUTHENTICATED,
    UNAVAILABLE,
    ClientError,
    CodecError,
    IncompatibleServerError,
    JobFailedError,
    ServerError,
    status_name,
)

DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, NOT_FOUND, ABORTED = 4, 8, 5, 10


class UserError(Exception):
    """A problem the user can act on. ``field``: what it concerns, in the request's spelling
    (``input.skeleton.joint_names``), the selection's (``selection.keyframes``), the settings'
    (``server.address``, ``server.token``, ``options.anymole.denoiseSteps``) or the asset's
    (``sequence``). ``code``: the gRPC status name when the server said it."""

    def __init__(self, field: str, problem: str, code: str = ""):
        self.field = field
        self.problem = problem
        self.code = code
        super().__init__(f"{field}: {problem}")


def _server_error(exc: BaseException) -> Optional[ServerError]:
    """A :class:`ServerError` for a ``grpc.RpcError`` (grpc is imported only if loaded)."""
    if isinstance(exc, ServerError):
        return exc
    grpc = sys.modules.get("grpc")
    if grpc is not None and isinstance(exc, grpc.RpcError):
        from anymole_client.transport import server_error

        return server_error(exc)  # type: ignore[arg-type]  # an RpcError, checked above
    return None


def from_status(code: int, details: str, field: Optional[str], address: str) -> UserError:
    """The message for a status code (a failed call, or a job's error event)."""
    name = status_name(code)
    if code == UNAVAILABLE:
        return UserError(
            "server.address",
            f"cannot reach the AnyMoLe server at {address} ({details or 'unavailable'}); start it with "
            f"`anymole serve` or correct the address in the AnyMoLe settings",
            name,
        )
    if code == UNAUTHENTICATED:
        return UserError(
            "server.token",
            f"the server at {address} refused the bearer token ({details or 'unauthenticated'}); set ANYMOLE_TOKEN "
            "or the token file named in Config/AnyMoLe.json to the token the server was started with",
            name,
        )
    if code == DEADLINE_EXCEEDED:
        return UserError("server.address", f"the server at {address} did not answer in time ({details})", name)
    if code == INVALID_ARGUMENT:
        if field and details.startswith(field + ": "):
            details = details[len(field) + 2 :]
        return UserError(field or "request", f"the server rejected the request: {details}", name)
    if code == FAILED_PRECONDITION:
        return UserError(field or "options.method", f"the server cannot run this job: {details}", name)
    if code == RESOURCE_EXHAUSTED:
        return UserError("server.queue", f"the server's job queue is full ({details}); try again when a job has finished", name)
    if code == CANCELLED:
        return UserError("job", f"cancelled{': ' + details if details else ''}", name)
    if code == ABORTED:
        return UserError("job", f"the server stopped before the job finished ({details}); generate again", name)
    if code == NOT_FOUND:
        return UserError("job", f"the server does not know this job ({details})", name)
    return UserError(field or "server", f"{name}: {details}", name)


def explain(exc: BaseException, address: str = "") -> UserError:
    """A :class:`UserError` for any exception raised while planning, sending or following a
    job (``address``: the server's, for the messages that name it)."""
    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, CodecError):
        return UserError(exc.field, exc.problem)
    if isinstance(exc, IncompatibleServerError):
        return UserError("server.protocol", f"{exc} (server at {address})")
    if isinstance(exc, JobFailedError):
        return from_status(exc.code, exc.message, None, address)
    err = _server_error(exc)
    if err is not None:
        return from_status(err.code, err.details, err.field, address)
    if isinstance(exc, ClientError):
        return UserError("client", str(exc))
    if isinstance(exc, FileNotFoundError):
        return UserError("settings", f"file not found: {exc.filename}")
    return UserError("plugin", f"{type(exc).__name__}: {exc}")
