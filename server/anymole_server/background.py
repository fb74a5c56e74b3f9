"""A real server on its own event loop in a background thread, for in-process callers.

    with BackgroundServer(ServerConfig(port=0, db_path=tmp / "jobs.sqlite3")) as srv:
        client = srv.client()

``anymole demo`` and ``anymole bench server`` start their server this way, and the tests through
:mod:`anymole_server.testing`. ``anymole serve`` does not: it owns the main thread's loop.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from anymole_server.config import ServerConfig

START_TIMEOUT_S = 60.0


class BackgroundServer:
    """Runs ``serve(config)`` on a new event loop in a daemon thread (``config.port`` 0 lets the
    OS pick a free port; :attr:`port` is the bound one after :meth:`start`)."""

    def __init__(self, config: ServerConfig):
        self.config = config
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.server = None
        self.port = 0

    def start(self) -> "BackgroundServer":
        from anymole_server.app import serve

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="anymole-server", daemon=True)
        self.thread.start()
        try:
            self.server, self.port = asyncio.run_coroutine_threadsafe(serve(self.config), self.loop).result(START_TIMEOUT_S)
        except BaseException:
            self._stop_loop()
            raise
        return self

    def stop(self, grace: float | None = 0.5) -> None:
        """Stop the server (interrupting unfinished jobs) and its loop. Idempotent."""
        if self.server is not None:
            asyncio.run_coroutine_threadsafe(self.server.stop(grace), self.loop).result(START_TIMEOUT_S)
            self.server = None
        self._stop_loop()

    def _stop_loop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)
            self.loop.close()
            self.loop = None

    @property
    def address(self) -> str:
        """``host:port`` of the bound server."""
        return f"{self.config.host}:{self.port}"

    def client(self, **kwargs):
        """A blocking :class:`anymole_client.Client` for this server (with its token)."""
        from anymole_client.sync import Client

        kwargs.setdefault("token", self.config.token)
        return Client(self.address, **kwargs)

    def restarted(self) -> "BackgroundServer":
        """A new (unstarted) server on the same database, on a fresh port."""
        return type(self)(replace(self.config, port=0))

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
