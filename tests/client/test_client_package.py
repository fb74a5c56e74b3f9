"""The client distribution on its own: no torch or numpy on import, Python 3.9 syntax and
stdlib, generated code up to date, its own pyproject naming grpcio and protobuf only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client"


def _run(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(CLIENT))
    return subprocess.run([sys.executable, "-c", code], cwd=CLIENT, env=env, capture_output=True, text=True, timeout=60)


def test_import_loads_neither_torch_nor_numpy():
    out = _run(
        "import sys, anymole_client\n"
        "from anymole_client import codec, follower, clip, splice, version, sync, aio\n"
        "bad = [m for m in ('torch', 'numpy', 'anymole', 'anymole_server') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print(anymole_client.__file__)"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(CLIENT))


def test_plain_import_does_not_load_grpc_until_a_client_is_made():
    out = _run("import sys, anymole_client; assert 'grpc' not in sys.modules; anymole_client.Client; assert 'grpc' in sys.modules")
    assert out.returncode == 0, out.stderr


def test_python_39_compatible():
    vermin = shutil.which("vermin") or str(Path(sys.executable).parent / "vermin")
    if not Path(vermin).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("vermin is not installed (it is in the dev extra)")
        pytest.skip("vermin not installed: pip install vermin")
    files = [str(p) for p in (CLIENT / "anymole_client").rglob("*.py")]
    out = subprocess.run([vermin, "-t=3.9-", "--no-tips", "--violations", "--eval-annotations", *files], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    # and every file parses with the 3.9 grammar
    import ast

    for f in files:
        ast.parse(Path(f).read_text(), f, feature_version=(3, 9))


def test_own_distribution_needs_only_grpcio_and_protobuf():
    meta = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]
    names = sorted(d.split(">")[0].split("=")[0].split("<")[0].strip() for d in meta["dependencies"])
    assert names == ["grpcio", "protobuf"]
    assert meta["requires-python"] == ">=3.9"


def test_generated_code_is_up_to_date():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import gen_protos
    finally:
        sys.path.pop(0)
    assert gen_protos.python_stale() == [], "run: .venv/bin/python tools/gen_protos.py"


def test_server_reports_the_clients_protocol_version():
    from anymole_client.version import PROTOCOL_VERSION
    from anymole_server.version import PROTOCOL_VERSION as SERVER

    assert SERVER is PROTOCOL_VERSION and PROTOCOL_VERSION == "1.1.0"
