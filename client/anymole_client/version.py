"""The protocol version of the contract this client was generated from, and the compatibility
rule every client applies to ``GetServerInfo.protocol_version``:

- another major version, or one that does not parse: **refuse** (:class:`IncompatibleServerError`);
- same major, another minor: **warn** (:class:`ProtocolVersionWarning`), then carry on;
- a patch difference: fine.

Versions are ``MAJOR.MINOR.PATCH`` (all three, no spaces); a leading ``v`` and a ``-pre`` /
``+build`` suffix are ignored. The server reports the same constant (``anymole_server`` imports it from here).
"""

from __future__ import annotations

import re
import warnings
from typing import Tuple

from anymole_client.errors import IncompatibleServerError, ProtocolVersionWarning

PROTOCOL_VERSION = "1.1.0"

OK, WARN, REFUSE = "ok", "warn", "refuse"

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


def parse_version(version: str) -> Tuple[int, int, int]:
    """``(major, minor, patch)``; :class:`IncompatibleServerError` when it does not parse."""
    m = _SEMVER.match(version or "")
    if not m:
        raise IncompatibleServerError(f"protocol version {version!r} is not MAJOR.MINOR.PATCH")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def compatibility(server: str, client: str = PROTOCOL_VERSION) -> Tuple[str, str]:
    """``(outcome, message)``: outcome is :data:`OK`, :data:`WARN` or :data:`REFUSE`."""
    try:
        s, c = parse_version(server), parse_version(client)
    except IncompatibleServerError as exc:
        return REFUSE, f"the server reported {exc}; this client speaks protocol {client}"
    if s[0] != c[0]:
        side = "client" if s[0] > c[0] else "server"
        return REFUSE, (
            f"the server speaks protocol {server} and this client {client}: major versions differ, "
            f"so they cannot talk; upgrade the {side}"
        )
    if s[1] != c[1]:
        older = server if s < c else client
        return WARN, (
            f"the server speaks protocol {server} and this client {client}: minor versions differ; "
            f"features newer than {older} are unavailable"
        )
    return OK, ""


def check_protocol_version(server: str, client: str = PROTOCOL_VERSION) -> str:
    """Apply the rule: raise on refuse, warn on warn; returns the outcome."""
    outcome, message = compatibility(server, client)
    if outcome == REFUSE:
        raise IncompatibleServerError(message)
    if outcome == WARN:
        warnings.warn(message, ProtocolVersionWarning, stacklevel=3)
    return outcome
