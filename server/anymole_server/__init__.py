"""AnyMoLe Bridge gRPC server: ``serve(config)`` in :mod:`anymole_server.app`.

Layout: ``app`` (server assembly), ``servicer`` (thin RPC handlers), ``convert`` (every
proto <-> library conversion), ``jobs`` (job runner), ``store`` (SQLite persistence),
``auth`` / ``interceptors`` (bearer token, exception -> status code), ``config``,
``version``, ``cli_serve`` (``anymole serve``).
"""

from anymole_server.version import PROTOCOL_VERSION, SERVER_VERSION

__all__ = ["PROTOCOL_VERSION", "SERVER_VERSION"]
