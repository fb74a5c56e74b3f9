"""Server fixtures (see tests/server_fixtures.py)."""

from server_fixtures import character, client, server  # noqa: F401
