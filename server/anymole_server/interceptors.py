"""The one place that maps domain exceptions to gRPC status codes.

``status_for_exception`` is used by :class:`ErrorMappingInterceptor` (for RPCs) and by the job
runner (for a job's terminal error event), so a failure reads the same either way:

====================================== =====================
exception                              status
====================================== =====================
ValidationError (field, problem)       INVALID_ARGUMENT, "field: problem"; trailing metadata
                                       ``anymole-field: field``
FormatError                            INVALID_ARGUMENT
UnsupportedError                       FAILED_PRECONDITION
StoreUnavailable                       UNAVAILABLE (the job store failed; health NOT_SERVING)
QueueFull                              RESOURCE_EXHAUSTED
JobNotFound                            NOT_FOUND
Cancelled                              CANCELLED
Interrupted                            ABORTED
anything else                          INTERNAL (details in the server log only)
====================================== =====================
"""

from __future__ import annotations

import logging

import grpc
from grpc import aio

from anymole.errors import FormatError, UnsupportedError, ValidationError
from anymole.job import Cancelled
from anymole_server.store import JobNotFound, StoreUnavailable

log = logging.getLogger("anymole_server")

FIELD_METADATA_KEY = "anymole-field"


class QueueFull(Exception):
    """The job queue is full (RESOURCE_EXHAUSTED); retry later."""


class Interrupted(Exception):
    """The server stopped before the job finished (ABORTED)."""


def status_for_exception(exc: BaseException) -> tuple[grpc.StatusCode, str, str | None]:
    """``(code, message, field)`` for ``exc``; ``field`` only for validation errors."""
    if isinstance(exc, ValidationError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc), exc.field
    if isinstance(exc, FormatError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc), None
    if isinstance(exc, UnsupportedError):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc), None
    if isinstance(exc, QueueFull):
        return grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc), None
    if isinstance(exc, JobNotFound):
        return grpc.StatusCode.NOT_FOUND, str(exc), None
    if isinstance(exc, Cancelled):
        return grpc.StatusCode.CANCELLED, str(exc) or "cancelled", None
    if isinstance(exc, Interrupted):
        return grpc.StatusCode.ABORTED, str(exc), None
    if isinstance(exc, StoreUnavailable):  # logged once by the store, with what to do
        return grpc.StatusCode.UNAVAILABLE, str(exc), None
    log.error("internal error", exc_info=exc)
    return grpc.StatusCode.INTERNAL, f"internal error ({type(exc).__name__}); see the server log", None


def code_number(code: grpc.StatusCode) -> int:
    """The numeric google.rpc.Code of ``code``."""
    return int(code.value[0])


async def _abort(context: aio.ServicerContext, exc: Exception) -> None:
    code, message, field = status_for_exception(exc)
    if field:
        context.set_trailing_metadata(((FIELD_METADATA_KEY, field),))
    await context.abort(code, message)


class _Undecodable:
    """Stands in for a request whose bytes are not the expected message."""

    def __init__(self, type_name: str):
        self.type_name = type_name


def _tolerant(deserializer):
    """A request deserializer that never raises: bytes that are not a protobuf of the right
    type become :class:`_Undecodable`, answered INVALID_ARGUMENT (not INTERNAL)."""
    if deserializer is None:
        return None
    name = getattr(getattr(deserializer, "__self__", None), "DESCRIPTOR", None)
    type_name = name.full_name if name is not None else "request"

    def deserialize(data: bytes):
        try:
            return deserializer(data)
        except Exception:  # noqa: BLE001 - DecodeError and friends: the client's bytes
            return _Undecodable(type_name)

    return deserialize


def _check_decoded(request) -> None:
    if isinstance(request, _Undecodable):
        raise ValidationError("request", f"the bytes received are not a valid {request.type_name} message")


def _wrap(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    kw = {"request_deserializer": _tolerant(handler.request_deserializer), "response_serializer": handler.response_serializer}
    if handler.unary_unary is not None:
        behaviour = handler.unary_unary

        async def unary_unary(request, context):
            try:
                _check_decoded(request)
                return await behaviour(request, context)
            except aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001 - mapped to a status here, in one place
                await _abort(context, exc)

        return grpc.unary_unary_rpc_method_handler(unary_unary, **kw)
    if handler.unary_stream is not None:
        stream = handler.unary_stream

        async def unary_stream(request, context):
            try:
                _check_decoded(request)
                async for item in stream(request, context):
                    yield item
            except aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001
                await _abort(context, exc)

        return grpc.unary_stream_rpc_method_handler(unary_stream, **kw)
    return handler  # client/bidi streaming: not in this contract


class ErrorMappingInterceptor(aio.ServerInterceptor):
    """Turns exceptions escaping a handler into the status codes above."""

    def __init__(self, services: tuple[str, ...] = ("/anymole.v1.",)):
        self._prefixes = services

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or not handler_call_details.method.startswith(self._prefixes):
            return handler
        return _wrap(handler)
