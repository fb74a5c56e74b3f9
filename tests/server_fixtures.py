"""Fixtures for tests that talk to a real server: a server on 127.0.0.1, port 0, with a tmp
SQLite db, its client, and a tiny procedural character (5-joint chain, sinusoidal motion).
Imported by the conftests of tests/server and tests/client; helpers live in
``anymole_server.testing``."""

from __future__ import annotations

import pytest

from anymole_server.testing import ServerThread, make_config, tiny_character


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
