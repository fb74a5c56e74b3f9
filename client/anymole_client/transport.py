"""Channel set-up shared by the blocking and async clients: address, bearer token, TLS,
message-size limits, and the mapping of a ``grpc.RpcError`` to a :class:`ServerError`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional, Tuple, Union

import grpc

from anymole_client.codec import field_from_metadata
from anymole_client.errors import ServerError

DEFAULT_ADDRESS = "127.0.0.1:50051"
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
TOKEN_ENV = "ANYMOLE_TOKEN"

PathLike = Union[str, Path]


def read_token(token: Optional[str] = None, token_file: Optional[PathLike] = None) -> Optional[str]:
    """The bearer token: ``token``, else the first line of ``token_file``; None for none.
    (Callers may pass ``os.environ.get(TOKEN_ENV)``; nothing is read implicitly.)"""
    if token is not None and token_file is not None:
        raise ValueError("pass token or token_file, not both")
    if token_file is not None:
        text = Path(token_file).read_text(encoding="utf-8").strip()
        token = text.splitlines()[0].strip() if text else ""
    return token or None


def token_from_environment() -> Optional[str]:
    """``$ANYMOLE_TOKEN`` or None."""
    return os.environ.get(TOKEN_ENV) or None


def channel_options(max_message_bytes: int, server_name: Optional[str] = None) -> List[Tuple[str, Union[int, str]]]:
    options: List[Tuple[str, Union[int, str]]] = [
        ("grpc.max_send_message_length", int(max_message_bytes)),
        ("grpc.max_receive_message_length", int(max_message_bytes)),
    ]
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return options


def channel_credentials(tls: bool, root_certificates: Union[bytes, PathLike, None]) -> Optional[grpc.ChannelCredentials]:
    """None for plaintext; TLS when ``tls`` or a CA is given (``root_certificates``: PEM bytes
    or a path; None with ``tls``: the system roots)."""
    if root_certificates is None and not tls:
        return None
    if isinstance(root_certificates, (str, Path)):
        root_certificates = Path(root_certificates).read_bytes()
    return grpc.ssl_channel_credentials(root_certificates=root_certificates)


def connection(
    address: str,
    token: Optional[str],
    token_file: Optional[PathLike],
    tls: bool,
    root_certificates,
    server_name: Optional[str],
    max_message_bytes: int,
    grpc_module,
):
    """``(channel, metadata)`` for the blocking (``grpc``) or asyncio (``grpc.aio``) client:
    the bearer token read once, TLS when asked for, the message limits both ways."""
    metadata = auth_metadata(read_token(token, token_file))
    options = channel_options(max_message_bytes, server_name)
    creds = channel_credentials(tls, root_certificates)
    channel = grpc_module.insecure_channel(address, options=options) if creds is None else grpc_module.secure_channel(address, creds, options=options)
    return channel, metadata


def auth_metadata(token: Optional[str]) -> Tuple[Tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


def server_error(exc: grpc.RpcError) -> ServerError:
    """A :class:`ServerError` (status number, details, the field the server named) for a failed
    call."""
    try:
        code = exc.code()
        number = int(code.value[0]) if code is not None else 2
    except Exception:  # noqa: BLE001 - not every RpcError is a Call
        number = 2
    try:
        details = exc.details() or ""
    except Exception:  # noqa: BLE001
        details = str(exc)
    try:
        field = field_from_metadata(exc.trailing_metadata())
    except Exception:  # noqa: BLE001
        field = None
    return ServerError(number, details, field)


def is_retryable(exc: grpc.RpcError) -> bool:
    """A dropped or not-yet-reachable connection (UNAVAILABLE): reattach and go on."""
    try:
        return exc.code() == grpc.StatusCode.UNAVAILABLE
    except Exception:  # noqa: BLE001
        return False
