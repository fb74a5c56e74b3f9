"""Shared by the sync and async clients: channel options, credentials, metadata, errors."""

from __future__ import annotations

from pathlib import Path

import grpc

from anymole.errors import AnymoleError, UnsupportedError, ValidationError

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
FIELD_METADATA_KEY = "anymole-field"


class JobFailedError(AnymoleError):
    """A job ended with an error event. ``code`` is the :class:`grpc.StatusCode`,
    ``job_id`` the job."""

    def __init__(self, job_id: str, code: grpc.StatusCode, message: str):
        self.job_id = job_id
        self.code = code
        self.message = message
        super().__init__(f"job {job_id} failed with {code.name}: {message}")


def status_code_from_number(number: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def read_token(token: str | None, token_file: str | Path | None) -> str | None:
    if token is not None and token_file is not None:
        raise ValueError("pass token or token_file, not both")
    if token_file is not None:
        text = Path(token_file).read_text(encoding="utf-8").strip()
        token = text.splitlines()[0].strip() if text else ""
    return token or None


def channel_options(max_message_bytes: int) -> list[tuple[str, int]]:
    return [
        ("grpc.max_send_message_length", int(max_message_bytes)),
        ("grpc.max_receive_message_length", int(max_message_bytes)),
    ]


def channel_credentials(tls: bool, root_certificates: bytes | str | Path | None) -> grpc.ChannelCredentials | None:
    """None for plaintext; TLS when ``tls`` or a CA is given (``root_certificates``: PEM bytes
    or a path; None with ``tls``: the system roots)."""
    if root_certificates is None and not tls:
        return None
    if isinstance(root_certificates, (str, Path)):
        root_certificates = Path(root_certificates).read_bytes()
    return grpc.ssl_channel_credentials(root_certificates=root_certificates)


def auth_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


def field_of(error: grpc.RpcError) -> str | None:
    """The ``anymole-field`` trailing metadata of an INVALID_ARGUMENT error, if any."""
    try:
        for key, value in error.trailing_metadata() or ():
            if key == FIELD_METADATA_KEY:
                return value
    except Exception:  # noqa: BLE001 - not every RpcError carries metadata
        pass
    return None


def to_domain_error(error: grpc.RpcError) -> Exception:
    """Map a gRPC error to the library's exceptions (for callers that speak those, e.g. bake):
    INVALID_ARGUMENT → ValidationError, FAILED_PRECONDITION → UnsupportedError, CANCELLED →
    Cancelled, anything else → AnymoleError with the status name."""
    from anymole.pipeline import Cancelled

    code, details = error.code(), error.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        field = field_of(error) or "request"
        problem = details[len(field) + 2 :] if details.startswith(field + ": ") else details
        return ValidationError(field, problem)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return UnsupportedError(details)
    if code == grpc.StatusCode.CANCELLED:
        return Cancelled(details or "cancelled")
    return AnymoleError(f"server error {code.name}: {details}")
