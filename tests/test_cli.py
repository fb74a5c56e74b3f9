"""The ``anymole`` command line: commands from entry points, and light start-up (``--help``,
``info`` and an up-to-date ``bake`` never import torch — checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import anymole.cli as cli
from anymole.bake_manifest import load_manifest
from anymole.io import write_bvh
from anymole.testing import make_character

# Runs `anymole ARGS…` in a fresh interpreter; at exit, fails with code 3 naming any heavy
# module that got imported.
PROBE = """
import atexit, os, runpy, sys

def _check():
    heavy = [m for m in sys.argv_heavy if m in sys.modules]
    if heavy:
        sys.stderr.write("HEAVY IMPORTS: " + " ".join(heavy) + "\\n")
        sys.stderr.flush()
        os._exit(3)

sys.argv_heavy = os.environ["PROBE_HEAVY"].split(",")
atexit.register(_check)
sys.argv = ["anymole", *sys.argv[1:]]
runpy.run_module("anymole.cli", run_name="__main__", alter_sys=True)
"""


def _run_fresh(*args, heavy=("torch",), cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "PROBE_HEAVY": ",".join(heavy)}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def test_help_imports_no_torch_numpy_or_grpc():
    out = _run_fresh("--help", heavy=("torch", "numpy", "grpc"))
    assert out.returncode == 0, out.stderr
    for name in ("bake", "info", "bench", "serve", "demo"):
        assert name in out.stdout
    out = _run_fresh("bench", "--help", heavy=("torch", "numpy", "grpc"))
    assert out.returncode == 0, out.stderr
    for name in ("inbetween", "render", "mimic", "pipeline", "server"):
        assert name in out.stdout


def test_info_imports_no_torch():
    out = _run_fresh("info", heavy=("torch", "numpy", "grpc"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("anymole ")
    assert "methods: " in out.stdout and "spline" in out.stdout
    assert "--devices" in out.stdout


def test_info_devices_lists_cuda(capsys):
    assert cli.main(["info", "--devices"]) == 0
    assert "cuda: " in capsys.readouterr().out


def test_an_up_to_date_bake_imports_no_torch(tmp_path, khronos_validator):
    skeleton, walk = make_character("quadruped", num_frames=40)
    write_bvh(tmp_path / "walk.bvh", skeleton, walk, unit_m=0.01)
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[job]]\nname = "a"\nsource = "walk.bvh"\ncontext = [0, 20]\ngap = 8\nkeyframes = [{ frame = 35 }]\nunit_m = 0.01\n')
    assert cli.main(["bake", str(manifest), "--no-progress"]) == 0
    out = _run_fresh("bake", manifest, "--no-progress", heavy=("torch",))
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "manifest.report.json").read_text())
    assert (summary["ok"], summary["skipped"]) == (0, 1)
    # A stale job does import torch (the probe notices it): the check is real.
    (load_manifest(manifest)[0].output.with_name("a.mp4")).unlink()
    out = _run_fresh("bake", manifest, "--no-progress", heavy=("torch",))
    assert out.returncode == 3 and "HEAVY IMPORTS: torch" in out.stderr
    khronos_validator.add(tmp_path / "a.glb")  # rewritten by that process


def test_server_commands_come_from_entry_points():
    names = {c.name for c in cli.discover(cli.COMMAND_GROUP, cli.COMMANDS)}
    assert {"bake", "info", "serve", "demo"} <= names
    assert "server" in {c.name for c in cli.discover(cli.BENCH_GROUP, cli.BENCHES)}
    # The library names no server module: serve, demo and bench server are entry points.
    assert "anymole_server" not in Path(cli.__file__).read_text()
    assert not {"serve", "demo"} & set(cli.COMMANDS) and "server" not in cli.BENCHES


def test_a_registered_command_is_parsed_and_run(monkeypatch, capsys):
    plugin = types.ModuleType("anymole_test_plugin")
    plugin.HELP = "Say hello."
    plugin.add_arguments = lambda p: p.add_argument("--who", default="world")
    plugin.run = lambda args: print(f"hello {args.who}") or 0
    monkeypatch.setitem(sys.modules, "anymole_test_plugin", plugin)

    def fake_entry_points(group):
        if group == cli.COMMAND_GROUP:
            return [EntryPoint("hello", "anymole_test_plugin", group), EntryPoint("bake", "anymole_test_plugin", group)]
        return []

    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)  # cli looks it up per call
    assert cli.main(["hello", "--who", "editor"]) == 0
    assert capsys.readouterr().out == "hello editor\n"
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "Say hello." in out
    assert "Bake the transitions" in out  # a registered name the library uses is ignored


def test_a_command_whose_package_is_missing_says_so(monkeypatch, capsys):
    import importlib.metadata

    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda group: [EntryPoint("ghost", "no_such_package.cmd", group)] if group == cli.COMMAND_GROUP else []
    )
    assert cli.main(["ghost"]) == 2
    assert "not available in this installation" in capsys.readouterr().err
