"""Protocol-version compatibility: refuse another major version, warn on another minor.

The same rule the server documents; ``PROTOCOL_VERSION`` is the contract this client was
generated from (it must equal ``anymole_server.version.PROTOCOL_VERSION`` in this repository).
"""

from __future__ import annotations

import re
import warnings

from anymole.errors import AnymoleError

PROTOCOL_VERSION = "1.0.0"

_SEMVER = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?\s*$")


class IncompatibleServerError(AnymoleError):
    """The server speaks another major protocol version (or none we can parse)."""


class ProtocolVersionWarning(UserWarning):
    """The server speaks another minor protocol version: most things work; new fields may be
    ignored by one side."""


def parse_semver(version: str) -> tuple[int, int, int]:
    m = _SEMVER.match(version or "")
    if not m:
        raise IncompatibleServerError(f"server reported protocol version {version!r}, not MAJOR.MINOR.PATCH")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def check_protocol_version(server: str, client: str = PROTOCOL_VERSION) -> None:
    """Raise :class:`IncompatibleServerError` on a major mismatch; warn
    (:class:`ProtocolVersionWarning`) on a minor mismatch; accept a patch difference."""
    s, c = parse_semver(server), parse_semver(client)
    if s[0] != c[0]:
        raise IncompatibleServerError(
            f"server speaks protocol {server}, this client {client}: major versions differ, so they cannot talk; "
            f"upgrade the {'client' if s[0] > c[0] else 'server'}"
        )
    if s[1] != c[1]:
        warnings.warn(
            f"server speaks protocol {server}, this client {client}: minor versions differ; "
            f"features newer than {min(server, client, key=parse_semver)} may be missing",
            ProtocolVersionWarning,
            stacklevel=3,
        )


def check_server_info(info) -> None:
    """:func:`check_protocol_version` on a ``GetServerInfoResponse``."""
    check_protocol_version(info.protocol_version)
