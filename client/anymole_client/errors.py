"""Exceptions of the client. Every one derives from :class:`ClientError`.

Status codes are numbers (``google.rpc.Code``), so this module needs neither grpc nor protobuf;
:data:`STATUS_NAMES` spells them.
"""

from __future__ import annotations

from typing import Optional

# google.rpc.Code / grpc.StatusCode numbers and names.
STATUS_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
    15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}
INVALID_ARGUMENT, FAILED_PRECONDITION, CANCELLED, UNAVAILABLE, UNAUTHENTICATED = 3, 9, 1, 14, 16


def status_name(code: int) -> str:
    return STATUS_NAMES.get(int(code), f"CODE_{int(code)}")


class ClientError(Exception):
    """Base class of the client's errors."""


class CodecError(ClientError, ValueError):
    """A value cannot be packed or unpacked. ``field`` names it (e.g. ``"skeleton.rest_offsets"``)."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class IncompatibleServerError(ClientError):
    """The server speaks another major protocol version (or none that parses)."""


class ProtocolVersionWarning(UserWarning):
    """The server speaks another minor protocol version: most things work; fields newer than the
    older side are ignored by it."""


class ServerError(ClientError):
    """A call failed with a gRPC status. ``code`` is the status number, ``code_name`` its name,
    ``field`` the request field the server named (INVALID_ARGUMENT), ``details`` its text."""

    def __init__(self, code: int, details: str, field: Optional[str] = None):
        self.code = int(code)
        self.code_name = status_name(code)
        self.details = details
        self.field = field
        super().__init__(f"{self.code_name}: {details}" if details else self.code_name)

    @property
    def problem(self) -> str:
        """``details`` without the leading ``"field: "``."""
        if self.field and self.details.startswith(self.field + ": "):
            return self.details[len(self.field) + 2 :]
        return self.details


class JobFailedError(ClientError):
    """A job ended with an error event (failed, cancelled or interrupted)."""

    def __init__(self, job_id: str, code: int, message: str):
        self.job_id = job_id
        self.code = int(code)
        self.code_name = status_name(code)
        self.message = message
        super().__init__(f"job {job_id} ended with {self.code_name}: {message}")
