"""Fixtures for server tests: a real server on 127.0.0.1, port 0, with a tmp SQLite db, and a
tiny procedural character (5-joint chain, sinusoidal motion). Helpers live in
``anymole_server.testing``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT, ROOT / "server", ROOT / "client"):
    if str(_p) not in sys.path:
        sys.path.append(str(_p))

from anymole_server.testing import ServerThread, make_config, tiny_character  # noqa: E402


@pytest.fixture(scope="session")
def character():
    return tiny_character()


@pytest.fixture
def server(tmp_path):
    with ServerThread(make_config(tmp_path)) as srv:
        yield srv


@pytest.fixture
def client(server):
    c = server.client()
    yield c
    c.close()
