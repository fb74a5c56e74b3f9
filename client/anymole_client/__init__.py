"""``anymole_client``: the torch-free client of AnyMoLe Bridge (``anymole serve``).

Dependencies: ``grpcio`` and ``protobuf`` (numpy optional). Python 3.9+, so that it runs inside
Unreal's embedded Python as well as in scripts and CI.

- :class:`Client` (blocking) and :class:`AsyncClient` (``grpc.aio``): server info with the
  protocol-version rule, jobs (submit, watch with reattach, cancel, get, list), ``run`` /
  ``follow`` through the one :class:`JobFollower`; bearer token, TLS, message limits.
- :mod:`anymole_client.codec`: THE wire codec (tensors, conventions, image formats, events,
  the ``anymole-field`` trailer). :mod:`anymole_client.version`: the protocol version and rule.
- :mod:`anymole_client.clip`: a sampled engine clip → request, result → clip frames;
  :mod:`anymole_client.splice`: results spliced into authored tracks.
- :mod:`anymole_client.v1`: the generated messages and stubs.

``import anymole_client`` loads neither torch nor numpy, nor grpc until a client is made.
"""

from __future__ import annotations

from anymole_client.errors import (
    ClientError,
    CodecError,
    IncompatibleServerError,
    JobFailedError,
    ProtocolVersionWarning,
    ServerError,
)
from anymole_client.version import PROTOCOL_VERSION, check_protocol_version, compatibility

__version__ = "0.2.0"

_LAZY = {
    "Client": ("anymole_client.sync", "Client"),
    "AsyncClient": ("anymole_client.aio", "AsyncClient"),
    "JobFollower": ("anymole_client.follower", "JobFollower"),
    "server_error": ("anymole_client.transport", "server_error"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'anymole_client' has no attribute {name!r}")


__all__ = [
    "PROTOCOL_VERSION",
    "AsyncClient",
    "Client",
    "ClientError",
    "CodecError",
    "IncompatibleServerError",
    "JobFailedError",
    "JobFollower",
    "ProtocolVersionWarning",
    "ServerError",
    "check_protocol_version",
    "compatibility",
    "server_error",
]
