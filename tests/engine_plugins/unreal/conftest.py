"""Fixtures for the Unreal plugin's engine-free core: the plugin's ``Content/Python`` on the
path (see ``unreal_support``), and a real AnyMoLe server on 127.0.0.1 (port 0, tmp SQLite; see
``anymole_server.testing``). ``CI=true`` turns "tool missing" skips into failures."""

from __future__ import annotations

import sys
import time
from typing import Any, List

import pytest
from unreal_support import _tiny_png


@pytest.fixture
def start_server(tmp_path, monkeypatch):
    """``start_server(token=None, max_joints=64, protocol_version=None, slow_preview_s=0)``: a
    started ``ServerThread`` (stopped at the end of the test)."""
    from anymole_server.config import Limits
    from anymole_server.testing import ServerThread, make_config

    started: List[Any] = []

    def start(token=None, max_joints=64, protocol_version=None, slow_preview_s=0.0, workers=2):
        if protocol_version is not None:
            import anymole_server.app  # noqa: F401 - loaded, so that its copy of the constant is patched too

            for name, module in list(sys.modules.items()):
                if name.startswith("anymole_server") and hasattr(module, "PROTOCOL_VERSION"):
                    monkeypatch.setattr(module, "PROTOCOL_VERSION", protocol_version)
        kwargs = {}
        if slow_preview_s:
            png = _tiny_png()

            def slow_render(*args, **kw):
                time.sleep(slow_preview_s)
                return png

            kwargs["render_preview"] = slow_render
        limits = Limits(workers=workers, max_queue=16, max_joints=max_joints, max_frames=400)
        folder = tmp_path / f"srv{len(started)}"
        folder.mkdir()
        cfg = make_config(folder, token=token, limits=limits, **kwargs)
        srv = ServerThread(cfg).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def server(start_server):
    return start_server()
