"""Versions. ``PROTOCOL_VERSION`` is the wire contract's semantic version, defined once in the
client (:mod:`anymole_client.version`, with the compatibility rule): bump MAJOR for
incompatible changes (clients refuse another major), MINOR for additions (clients warn),
PATCH for clarifications. ``SERVER_VERSION`` is the software's."""

from anymole_client.version import PROTOCOL_VERSION

import anymole

SERVER_VERSION = anymole.__version__

__all__ = ["PROTOCOL_VERSION", "SERVER_VERSION"]
