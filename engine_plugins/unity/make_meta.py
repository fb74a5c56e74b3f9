#!/usr/bin/env python3
"""Write the Unity ``.meta`` files of ``com.anymole.bridge`` with stable GUIDs.

A package installed from git or a registry is immutable: Unity ignores assets without a
``.meta`` there, so every file and folder ships one. GUIDs are the md5 of the package path
(``com.anymole.bridge/Editor/BakeCommand.cs``), so they never change unless a file moves.
Hidden names and folders ending in ``~`` are skipped, as Unity skips them.
``tools/gen_csharp.py`` writes the metas of the generated code with the same rule.

Usage: python engine_plugins/unity/make_meta.py [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Dict, List

PACKAGE_NAME = "com.anymole.bridge"
PACKAGE = Path(__file__).resolve().parent / PACKAGE_NAME

_TAIL = "  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"


def guid(relative: str) -> str:
    return hashlib.md5(f"{PACKAGE_NAME}/{relative}".encode()).hexdigest()


def meta_text(path: Path) -> str:
    rel = path.relative_to(PACKAGE).as_posix()
    head = f"fileFormatVersion: 2\nguid: {guid(rel)}\n"
    if path.is_dir():
        return head + "folderAsset: yes\nDefaultImporter:\n" + _TAIL
    suffix = path.suffix.lower()
    if suffix == ".cs":
        return head + (
            "MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
            "  executionOrder: 0\n  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"
        )
    if suffix == ".asmdef":
        return head + "AssemblyDefinitionImporter:\n" + _TAIL
    if path.name == "package.json":
        return head + "PackageManifestImporter:\n" + _TAIL
    if suffix in (".md", ".json", ".txt", ".xml"):
        return head + "TextScriptImporter:\n" + _TAIL
    return head + "DefaultImporter:\n" + _TAIL


def assets() -> List[Path]:
    """Files and folders Unity imports (everything but hidden names, ``~`` folders, metas)."""
    out: List[Path] = []

    def walk(d: Path) -> None:
        for p in sorted(d.iterdir()):
            if p.name.startswith(".") or p.name.endswith("~") or p.suffix == ".meta":
                continue
            out.append(p)
            if p.is_dir():
                walk(p)

    walk(PACKAGE)
    return out


def expected() -> Dict[Path, str]:
    return {p.with_name(p.name + ".meta"): meta_text(p) for p in assets()}


def problems() -> List[str]:
    want = expected()
    found = []
    for meta, text in want.items():
        if not meta.exists():
            found.append(f"missing {meta.relative_to(PACKAGE)}")
        elif meta.read_text() != text:
            found.append(f"differs {meta.relative_to(PACKAGE)}")
    for meta in PACKAGE.rglob("*.meta"):
        if any(part.endswith("~") for part in meta.relative_to(PACKAGE).parts):
            continue
        if meta not in want:
            found.append(f"orphan {meta.relative_to(PACKAGE)}")
    return found


def write() -> int:
    n = 0
    for meta, text in expected().items():
        if not meta.exists() or meta.read_text() != text:
            meta.write_text(text)
            n += 1
    for meta in PACKAGE.rglob("*.meta"):
        if meta not in expected() and not any(part.endswith("~") for part in meta.relative_to(PACKAGE).parts):
            meta.unlink()
            n += 1
    return n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a .meta is missing, wrong or orphaned")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for p in found:
            print(p)
        return 1 if found else 0
    print(f"make_meta: {write()} .meta file(s) written or removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
