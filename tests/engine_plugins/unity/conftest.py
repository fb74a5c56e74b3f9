"""Fixtures for the Unity package: the C# Core built once per session with mono ``mcs`` (see
``unity_build``), and the repository paths on ``sys.path`` for the end-to-end server test."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
for _p in (ROOT, ROOT / "server", ROOT / "client", Path(__file__).resolve().parent):
    if str(_p) not in sys.path:
        sys.path.append(str(_p))

import unity_build  # noqa: E402


@pytest.fixture(scope="session")
def toolchain():
    return unity_build.require_toolchain()


@pytest.fixture(scope="session")
def built(toolchain, tmp_path_factory):
    return unity_build.build(toolchain, tmp_path_factory.mktemp("unity-csharp"))
