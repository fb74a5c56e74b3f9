"""Helpers of the Unreal plugin's tests (a uniquely named module: test files import it, not
``conftest``, which several test folders define): paths, CI-aware skips, clients, a recording
editor view, a tick driver."""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path
from typing import Any, List

import pytest

ROOT = Path(__file__).resolve().parents[3]
PLUGIN = ROOT / "engine_plugins" / "unreal" / "AnyMoLe"
PLUGIN_PY = PLUGIN / "Content" / "Python"
for _p in (ROOT, ROOT / "server", ROOT / "client", PLUGIN_PY):
    if str(_p) not in sys.path:
        sys.path.append(str(_p))

from anymole_unreal.controller import EditorView  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail under CI=true (a missing tool must not pass CI silently)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this check must run)")
    pytest.skip(reason)


def make_client(srv, **kwargs):
    from anymole_client import Client

    kwargs.setdefault("token", srv.config.token)
    return Client(srv.address, **kwargs)


def _tiny_png() -> bytes:
    """A valid 2x2 PNG (for the slow test renderer)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80\x40\x20" * 2 for _ in range(2))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class RecordingView(EditorView):
    """An editor view that records every call (and can refuse to write)."""

    def __init__(self, fail_apply: bool = False):
        self.calls: List[tuple] = []
        self.statuses: List[tuple] = []
        self.images: List[tuple] = []
        self.poses: List[tuple] = []
        self.applied: List[Any] = []
        self.errors: List[Any] = []
        self.finished_count = 0
        self.fail_apply = fail_apply

    def status(self, message, fraction):
        self.statuses.append((message, fraction))

    def preview_image(self, image, image_format, frame_index, stage, step):
        self.images.append((image, image_format, frame_index, stage, step))

    def pose(self, frame, pose):
        self.poses.append((frame, pose))

    def log(self, level, message):
        self.calls.append(("log", level, message))

    def apply(self, spliced):
        if self.fail_apply:
            raise RuntimeError("refused by the test")
        self.applied.append(spliced)
        return f"{len(spliced.tracks)} tracks"

    def failed(self, error):
        self.errors.append(error)

    def finished(self):
        self.finished_count += 1


def drive(controller, timeout_s: float = 25.0, dt: float = 1 / 60, on_tick=None) -> None:
    """Tick ``controller`` like the editor's Slate post-tick until it is done."""
    deadline = time.monotonic() + timeout_s
    while controller.tick(dt):
        if on_tick is not None:
            on_tick(controller)
        if time.monotonic() > deadline:
            controller.cancel()
            raise AssertionError(f"controller still {controller.state} after {timeout_s} s")
        time.sleep(0.005)


def snapshot(uclip) -> Any:
    """A deep copy of a clip's data, to prove the source was never modified."""
    c = uclip.clip
    return copy.deepcopy(([j for j in c.joints], [(list(f.positions), list(f.rotations)) for f in c.frames], [list(s) for s in uclip.scales]))
