"""Versions. ``PROTOCOL_VERSION`` is the wire contract's semantic version (proto/anymole/v1):
bump MAJOR for incompatible changes (clients refuse another major), MINOR for additions
(clients warn), PATCH for clarifications. ``SERVER_VERSION`` is the software's."""

import anymole

PROTOCOL_VERSION = "1.0.0"
SERVER_VERSION = anymole.__version__
