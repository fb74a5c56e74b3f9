#!/usr/bin/env python3
"""Vendor the torch-free client into the Unreal plugin.

Copies ``client/anymole_client`` (sources, generated ``v1`` code and its ``.pyi``/``py.typed``;
no ``__pycache__``) to ``engine_plugins/unreal/AnyMoLe/Content/Python/Lib/site-packages/
anymole_client`` — a folder the editor puts on ``sys.path`` for every enabled plugin — and
writes ``anymole_client.vendored.json`` beside it: the source version and a sha256 over every
copied file's relative path and bytes. ``tests/engine_plugins/unreal/test_unreal_vendored.py``
fails when the copy is stale.

Usage: python tools/vendor_unreal_client.py [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "client" / "anymole_client"
SITE = ROOT / "engine_plugins" / "unreal" / "AnyMoLe" / "Content" / "Python" / "Lib" / "site-packages"
TARGET = SITE / "anymole_client"
MARKER = SITE / "anymole_client.vendored.json"
SUFFIXES = (".py", ".pyi", ".typed")


def files_of(folder: Path) -> list[Path]:
    """The files that are vendored, relative to ``folder``, sorted."""
    out = []
    for p in folder.rglob("*"):
        if p.is_file() and "__pycache__" not in p.parts and (p.suffix in SUFFIXES or p.name == "py.typed"):
            out.append(p.relative_to(folder))
    return sorted(out, key=lambda p: p.as_posix())


def tree_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for rel in files_of(folder):
        h.update(rel.as_posix().encode() + b"\0")
        h.update((folder / rel).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def client_version(folder: Path) -> str:
    m = re.search(r'^__version__\s*=\s*"([^"]+)"', (folder / "__init__.py").read_text(encoding="utf-8"), re.MULTILINE)
    return m.group(1) if m else "unknown"


def marker_for(folder: Path) -> dict:
    return {
        "source": "client/anymole_client",
        "version": client_version(folder),
        "files": len(files_of(folder)),
        "sha256": tree_hash(folder),
        "writtenBy": "tools/vendor_unreal_client.py",
    }


def stale_reason() -> str | None:
    """None when the vendored copy equals the client; else why not."""
    if not SOURCE.is_dir():
        return f"{SOURCE.relative_to(ROOT)} does not exist"
    if not TARGET.is_dir() or not MARKER.is_file():
        return f"{TARGET.relative_to(ROOT)} is missing: run tools/vendor_unreal_client.py"
    want = marker_for(SOURCE)
    have = json.loads(MARKER.read_text(encoding="utf-8"))
    if have.get("sha256") != want["sha256"]:
        return "client/anymole_client changed since it was vendored: run tools/vendor_unreal_client.py"
    if tree_hash(TARGET) != want["sha256"]:
        return f"{TARGET.relative_to(ROOT)} was edited by hand: run tools/vendor_unreal_client.py"
    return None


def vendor() -> dict:
    if TARGET.exists():
        shutil.rmtree(TARGET)
    for rel in files_of(SOURCE):
        dest = TARGET / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SOURCE / rel, dest)
    marker = marker_for(SOURCE)
    MARKER.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return marker


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the vendored copy is stale")
    args = parser.parse_args(argv)
    if args.check:
        reason = stale_reason()
        if reason:
            print(f"vendor_unreal_client: {reason}", file=sys.stderr)
            return 1
        print("vendor_unreal_client: the vendored client is current")
        return 0
    marker = vendor()
    print(f"vendor_unreal_client: {marker['files']} files of anymole_client {marker['version']} -> {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
