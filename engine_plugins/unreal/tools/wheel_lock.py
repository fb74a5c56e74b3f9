#!/usr/bin/env python3
"""Pin the Unreal plugin's Python dependencies (grpcio, protobuf) to the real wheels' hashes.

The editor installs ``PythonRequirements`` of every enabled plugin with ``pip install
--only-binary=:all: --require-hashes`` (UE 5.4+, Python 3.11). Every requirement line must
therefore carry the sha256 of each wheel a platform's pip may choose. This tool downloads those
wheels from the package index with the ordinary pip client (``pip download --only-binary :all:
--platform TAG --python-version V --no-deps``) into a temporary folder, hashes them, and writes:

- ``engine_plugins/unreal/wheels.lock.json``: filename + sha256 of every wheel, per Python
  (cp311 for UE 5.4+, cp39 for the UE 5.2–5.3 stretch) and per Unreal platform (Win64, Linux,
  Mac). Committed; the offline test ``tests/engine_plugins/unreal/test_unreal_uplugin.py``
  checks the ``.uplugin`` against it.
- with ``--write``: the ``PythonRequirements`` block of ``AnyMoLe/AnyMoLe.uplugin`` (cp311) and
  the hashed requirement files ``AnyMoLe/Requirements/<cp311|cp39>-<Platform>.txt`` (cp311: the
  same lines, for offline wheelhouses; cp39: installed into the plugin's version-keyed folder
  by ``Requirements/install_cp39.py``, see the plugin README).

``--check`` (needs the package index) downloads again and fails when a committed hash differs
from the wheel the index serves today. No option: print what would be written.

Usage: python engine_plugins/unreal/tools/wheel_lock.py [--write | --check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNREAL_DIR = HERE.parent
PLUGIN_DIR = UNREAL_DIR / "AnyMoLe"
UPLUGIN = PLUGIN_DIR / "AnyMoLe.uplugin"
LOCK = UNREAL_DIR / "wheels.lock.json"
REQUIREMENTS_DIR = PLUGIN_DIR / "Requirements"

# Per Python of the engine: the pins (newest wheels published for that interpreter). grpcio
# requires typing-extensions (~=4.12); hash-checking mode needs every dependency pinned too.
PYTHONS = OrderedDict(
    [
        ("cp311", {"python": "3.11", "engines": "UE 5.4+", "pins": OrderedDict([("grpcio", "1.85.1"), ("protobuf", "7.36.2"), ("typing-extensions", "4.16.0")])}),
        ("cp39", {"python": "3.9", "engines": "UE 5.2-5.3", "pins": OrderedDict([("grpcio", "1.80.1"), ("protobuf", "6.33.6"), ("typing-extensions", "4.16.0")])}),
    ]
)
# Unreal platform name (FPlatformMisc::GetUBTPlatform) -> pip platform tags whose choices we pin.
# Linux: pip picks the abi3 manylinux protobuf wheel; the pure-Python one is listed too so that
# an older pip that only knows the legacy tag still finds a hashed candidate.
PLATFORMS = OrderedDict(
    [
        ("Win64", ["win_amd64"]),
        ("Linux", ["manylinux2014_x86_64", "manylinux_2_17_x86_64"]),
        ("Mac", ["macosx_11_0_arm64", "macosx_11_0_x86_64"]),
    ]
)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(python: str, pip_platform: str, pins: dict, dest: Path) -> list[Path]:
    """``pip download`` the pinned wheels for one interpreter and platform tag into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary", ":all:",
           "--platform", pip_platform, "--python-version", python, "--no-deps", "-d", str(dest)]
    cmd += [f"{name}=={version}" for name, version in pins.items()]
    subprocess.run(cmd, check=True)
    return sorted(dest.glob("*.whl"))


def gather() -> dict:
    """Download every wheel and return the lock document."""
    lock: dict = OrderedDict(
        [
            ("about", "sha256 of the wheels pip chooses per Unreal platform; written by engine_plugins/unreal/tools/wheel_lock.py"),
            ("pythons", OrderedDict()),
        ]
    )
    with tempfile.TemporaryDirectory(prefix="anymole-wheels-") as tmp:
        for key, spec in PYTHONS.items():
            platforms: dict = OrderedDict()
            for platform, tags in PLATFORMS.items():
                wheels: dict = {}
                for tag in tags:
                    for wheel in download(spec["python"], tag, spec["pins"], Path(tmp) / key / tag):
                        name = wheel.name.split("-")[0].lower().replace("_", "-")
                        wheels[wheel.name] = {"name": name, "filename": wheel.name, "sha256": sha256_of(wheel)}
                for name in spec["pins"]:
                    if not any(w["name"] == name for w in wheels.values()):
                        raise SystemExit(f"wheel_lock: no {name} wheel for {key} on {platform} ({tags})")
                platforms[platform] = OrderedDict([("pipPlatforms", tags), ("wheels", [wheels[k] for k in sorted(wheels)])])
            lock["pythons"][key] = OrderedDict(
                [("python", spec["python"]), ("engines", spec["engines"]), ("pins", spec["pins"]), ("platforms", platforms)]
            )
    return lock


def requirement_lines(lock: dict, key: str, platform: str) -> list[str]:
    """requirements.txt lines with every hash, one line per package, in pin order."""
    entry = lock["pythons"][key]
    wheels = entry["platforms"][platform]["wheels"]
    lines = []
    for name, version in entry["pins"].items():
        hashes = sorted(w["sha256"] for w in wheels if w["name"] == name)
        lines.append(f"{name}=={version} " + " ".join(f"--hash=sha256:{h}" for h in hashes))
    return lines


def pip_accepts(lock: dict) -> list[str]:
    """Resolve each committed requirement set as the editor's pip would (``--require-hashes``,
    binary only, dependencies included) for every platform tag; return the failures."""
    failures = []
    with tempfile.TemporaryDirectory(prefix="anymole-reqs-") as tmp:
        for key, entry in lock["pythons"].items():
            for platform, info in entry["platforms"].items():
                reqs = Path(tmp) / f"{key}-{platform}.txt"
                reqs.write_text("\n".join(requirement_lines(lock, key, platform)) + "\n", encoding="utf-8")
                for tag in info["pipPlatforms"]:
                    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--require-hashes",
                           "--only-binary", ":all:", "--platform", tag, "--python-version", entry["python"],
                           "-d", str(Path(tmp) / key / tag), "-r", str(reqs)]
                    if subprocess.run(cmd).returncode != 0:
                        failures.append(f"{key} {platform} ({tag})")
    return failures


def python_requirements(lock: dict) -> list:
    """The ``.uplugin`` ``PythonRequirements`` block (cp311: the engines that read it)."""
    return [OrderedDict([("Platform", platform), ("Requirements", requirement_lines(lock, "cp311", platform))]) for platform in PLATFORMS]


def write(lock: dict) -> None:
    LOCK.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    doc = json.loads(UPLUGIN.read_text(encoding="utf-8"), object_pairs_hook=OrderedDict)
    doc["PythonRequirements"] = python_requirements(lock)
    UPLUGIN.write_text(json.dumps(doc, indent="\t") + "\n", encoding="utf-8")
    REQUIREMENTS_DIR.mkdir(exist_ok=True)
    headers = {
        "cp311": "# AnyMoLe for UE 5.4+ (Python 3.11): the .uplugin's PythonRequirements for {p}; for an offline wheelhouse see README.md\n",
        "cp39": "# AnyMoLe for UE 5.2-5.3 (Python 3.9) on {p}: install with Requirements/install_cp39.py\n",
    }
    for key, header in headers.items():
        for platform in PLATFORMS:
            text = header.format(p=platform) + "\n".join(requirement_lines(lock, key, platform)) + "\n"
            (REQUIREMENTS_DIR / f"{key}-{platform}.txt").write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the lock, the .uplugin block and the cp39 lock files")
    mode.add_argument("--check", action="store_true", help="compare the committed lock with the wheels the index serves now")
    args = parser.parse_args(argv)
    lock = gather()
    if args.check:
        committed = json.loads(LOCK.read_text(encoding="utf-8"))
        if committed.get("pythons") != json.loads(json.dumps(lock["pythons"])):
            print("wheel_lock: the committed wheels.lock.json differs from the index; run with --write", file=sys.stderr)
            return 1
        failures = pip_accepts(committed)
        if failures:
            print("wheel_lock: pip --require-hashes refused: " + ", ".join(failures), file=sys.stderr)
            return 1
        print("wheel_lock: every committed hash matches the wheels the index serves, and pip --require-hashes resolves each platform")
        return 0
    if args.write:
        write(lock)
        print(f"wheel_lock: wrote {LOCK.relative_to(UNREAL_DIR.parent.parent)}, the .uplugin and {REQUIREMENTS_DIR.name}/")
    else:
        print(json.dumps(lock, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
