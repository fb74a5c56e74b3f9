#!/usr/bin/env python3
"""Type-check the Unreal plugin's engine code with pyright against the ``unreal-stub`` package.

``unreal-stub`` (PyPI, pinned: 0.3 = the UE 5.6.0 Developer-Mode stub) installs one 25 MB
``unreal/unreal.py``. As a ``.py`` file pyright infers nothing about its classes' members, so
a misspelt engine call would pass; copied to a stub package (``unreal/__init__.pyi``) it is read
as declarations and every attribute is checked. The copy goes to a temporary folder (or
``--typings DIR``) and is never committed or vendored (the stub carries no licence).

Usage: python engine_plugins/unreal/tools/typecheck.py [FILE ...] [--typings DIR]
(no FILE: the adapter, init_unreal.py, anymole_bake.py, the core and the in-engine tests).
Exit status: pyright's. ``tests/engine_plugins/unreal/test_unreal_static.py`` uses these
functions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import List, Optional, Sequence

HERE = Path(__file__).resolve().parent
PLUGIN_PY = HERE.parent / "AnyMoLe" / "Content" / "Python"
VENDORED = PLUGIN_PY / "Lib" / "site-packages"
UNREAL_STUB_VERSION = "0.3"
PYRIGHT_VERSION = "1.1.414"


class Unavailable(RuntimeError):
    """A tool the check needs is missing (the message says which and how to install it)."""


def default_files() -> List[Path]:
    core = sorted((PLUGIN_PY / "anymole_unreal").glob("*.py"))
    tests = sorted((PLUGIN_PY / "anymole_unreal_tests").glob("*.py"))
    return [PLUGIN_PY / "init_unreal.py", PLUGIN_PY / "anymole_bake.py", *core, *tests]


def stub_source() -> Path:
    try:
        version = metadata.version("unreal-stub")
    except metadata.PackageNotFoundError:
        raise Unavailable(f"unreal-stub=={UNREAL_STUB_VERSION} is not installed (pip install unreal-stub=={UNREAL_STUB_VERSION})") from None
    if version != UNREAL_STUB_VERSION:
        raise RuntimeError(f"unreal-stub {version} is installed; the check is pinned to {UNREAL_STUB_VERSION} (UE 5.6)")
    for f in metadata.files("unreal-stub") or ():
        if str(f).replace("\\", "/").endswith("unreal/unreal.py"):
            path = Path(str(f.locate()))
            if path.is_file():
                return path
    raise Unavailable("unreal-stub is installed without unreal/unreal.py")


def make_typings(folder: Path) -> Path:
    """``folder/unreal/__init__.pyi``: the stub as declarations."""
    (folder / "unreal").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(stub_source(), folder / "unreal" / "__init__.pyi")
    return folder


def pyright_executable() -> str:
    exe = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    if exe is None:
        raise Unavailable(f"pyright is not installed (pip install pyright=={PYRIGHT_VERSION}; it fetches its npm package on first run)")
    probe = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=300)
    if probe.returncode != 0:
        raise Unavailable(f"pyright does not run here (node or its npm package unavailable): {(probe.stderr or probe.stdout).strip()[-300:]}")
    return exe


def run(files: Sequence[Path], typings: Path, workdir: Path, exe: Optional[str] = None, as_json: bool = True) -> subprocess.CompletedProcess:
    """pyright on ``files`` with the stub package at ``typings``."""
    config = {
        "stubPath": str(typings),
        "extraPaths": [str(PLUGIN_PY), str(VENDORED)],
        "pythonVersion": "3.11",
        "typeCheckingMode": "basic",
        "reportMissingModuleSource": "none",
    }
    cfg = workdir / "pyrightconfig.json"
    cfg.write_text(json.dumps(config), encoding="utf-8")
    cmd = [exe or pyright_executable(), *(["--outputjson"] if as_json else []), "-p", str(cfg), "--pythonpath", sys.executable, *[str(f) for f in files]]
    return subprocess.run(cmd, capture_output=as_json, text=True, timeout=300, cwd=workdir)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--typings", type=Path, help="where to put the stub copy (default: a temporary folder)")
    args = parser.parse_args(argv)
    files = args.files or default_files()
    try:
        with tempfile.TemporaryDirectory(prefix="anymole-pyright-") as tmp:
            typings = make_typings(args.typings or Path(tmp) / "typings")
            return run(files, typings, Path(tmp), as_json=False).returncode
    except Unavailable as exc:
        print(f"typecheck: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
