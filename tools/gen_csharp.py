#!/usr/bin/env python3
"""Generate the C# messages of the wire contract for the Unity package.

``proto/anymole/v1/*.proto`` → ``engine_plugins/unity/com.anymole.bridge/Runtime/Grpc/Generated/``
(``Job.g.cs``, ``Motion.g.cs``, ``Service.g.cs``, each with a Unity ``.meta`` of a stable GUID),
namespace ``AnyMoLe.Bridge.V1``, by Debian's ``protoc --csharp_out`` (package
``protobuf-compiler``; no gRPC C# plugin is installable here, so the service client is the
hand-written ``AnymoleServiceClient.cs`` next to the folder). The output is committed, because
Unity does not run protoc; ``.generated`` in that folder records a fingerprint (SHA-256 of the
protos, the protoc options and every output file) and the protoc version used.

API (``tools/gen_protos.py`` calls :func:`generate`):

- ``generate()`` — regenerate when stale; returns **True when files were written**, False when
  they were already up to date. When ``protoc`` is not installed nothing is written, a warning
  goes to stderr and it returns False (``tests/engine_plugins/unity/test_generated_stale.py``
  then reports the staleness, and fails under ``CI=true``).
- ``generate(check=True)`` — writes nothing; returns **True when the committed code is up to
  date**, False when stale. Works without protoc (it compares fingerprints).

Usage: python tools/gen_csharp.py [--check] [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PROTO_DIR = PROTO_ROOT / "anymole" / "v1"
PACKAGE_DIR = ROOT / "engine_plugins" / "unity" / "com.anymole.bridge"
OUT_DIR = PACKAGE_DIR / "Runtime" / "Grpc" / "Generated"
STAMP = OUT_DIR / ".generated"
PACKAGE_NAME = "com.anymole.bridge"
# protoc --csharp_opt: one .g.cs per proto, namespace from `option csharp_namespace`.
CSHARP_OPTS = "file_extension=.g.cs"


def _protos() -> List[Path]:
    return sorted(PROTO_DIR.glob("*.proto"))


def find_protoc() -> Optional[str]:
    """Debian's protoc (grpcio-tools' bundled protoc has no C# generator)."""
    env = os.environ.get("PROTOC")
    if env and Path(env).exists():
        return env
    return shutil.which("protoc")


def _protoc_version(protoc: str) -> str:
    out = subprocess.run([protoc, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _well_known_include() -> Optional[str]:
    """A directory holding google/protobuf/timestamp.proto: grpcio-tools' copy, else Debian's."""
    try:
        from importlib.resources import files

        p = Path(str(files("grpc_tools") / "_proto"))
        if (p / "google" / "protobuf" / "timestamp.proto").exists():
            return str(p)
    except Exception:  # noqa: BLE001 - grpcio-tools absent
        pass
    for d in ("/usr/include", "/usr/local/include"):
        if (Path(d) / "google" / "protobuf" / "timestamp.proto").exists():
            return d
    return None


def meta_guid(relative: str) -> str:
    """The stable Unity GUID of a package file (md5 of its package path, 32 hex digits)."""
    return hashlib.md5(f"{PACKAGE_NAME}/{relative}".encode()).hexdigest()


def _cs_meta(relative: str) -> str:
    return (
        "fileFormatVersion: 2\n"
        f"guid: {meta_guid(relative)}\n"
        "MonoImporter:\n"
        "  externalObjects: {}\n"
        "  serializedVersion: 2\n"
        "  defaultReferences: []\n"
        "  executionOrder: 0\n"
        "  icon: {instanceID: 0}\n"
        "  userData: \n"
        "  assetBundleName: \n"
        "  assetBundleVariant: \n"
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inputs_fingerprint(protos: List[Path]) -> str:
    h = hashlib.sha256()
    h.update(CSHARP_OPTS.encode())
    for p in protos:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _read_stamp() -> Optional[dict]:
    try:
        return json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return None


def _outputs(directory: Path) -> Dict[str, str]:
    return {p.name: _sha(p.read_bytes()) for p in sorted(directory.glob("*.g.cs"))}


def up_to_date() -> bool:
    """True when the committed C# matches the protos (no protoc needed)."""
    stamp = _read_stamp()
    if not stamp:
        return False
    if stamp.get("inputs") != _inputs_fingerprint(_protos()):
        return False
    if stamp.get("files") != _outputs(OUT_DIR):
        return False
    for name in stamp["files"]:
        if not (OUT_DIR / f"{name}.meta").exists():
            return False
    return True


def stamped_protoc_version() -> str:
    stamp = _read_stamp() or {}
    return stamp.get("protoc", "")


def run_protoc(out_dir: Path, protoc: Optional[str] = None) -> str:
    """Runs protoc into ``out_dir``; returns the protoc version."""
    protoc = protoc or find_protoc()
    if not protoc:
        raise FileNotFoundError("protoc not found: apt-get install protobuf-compiler")
    protos = _protos()
    if not protos:
        raise SystemExit(f"gen_csharp: no .proto files under {PROTO_DIR}")
    args = [protoc, f"-I{PROTO_ROOT}"]
    wk = _well_known_include()
    if wk:
        args.append(f"-I{wk}")
    args += [f"--csharp_out={out_dir}", f"--csharp_opt={CSHARP_OPTS}"]
    args += [str(p.relative_to(PROTO_ROOT)) for p in protos]
    res = subprocess.run(args, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"gen_csharp: protoc failed ({res.returncode}): {res.stderr.strip()}")
    return _protoc_version(protoc)


def generate(check: bool = False, force: bool = False) -> bool:
    """Regenerate the C# messages; see the module docstring for the return value."""
    if check:
        return up_to_date()
    if not force and up_to_date():
        return False
    protoc = find_protoc()
    if not protoc:
        print("gen_csharp: protoc not found (apt-get install protobuf-compiler); the C# messages were not regenerated", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory(prefix="anymole-cs-") as tmp:
        version = run_protoc(Path(tmp), protoc)
        generated = sorted(Path(tmp).glob("*.g.cs"))
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        for old in OUT_DIR.glob("*.g.cs"):
            if not (Path(tmp) / old.name).exists():
                old.unlink()
                meta = old.with_name(old.name + ".meta")
                if meta.exists():
                    meta.unlink()
        for g in generated:
            target = OUT_DIR / g.name
            data = g.read_bytes()
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
            rel = target.relative_to(PACKAGE_DIR).as_posix()
            meta = target.with_name(target.name + ".meta")
            text = _cs_meta(rel)
            if not meta.exists() or meta.read_text() != text:
                meta.write_text(text)
    stamp = {
        "inputs": _inputs_fingerprint(_protos()),
        "protoc": version,
        "options": CSHARP_OPTS,
        "files": _outputs(OUT_DIR),
        "regenerate": "python tools/gen_csharp.py",
    }
    STAMP.write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    return True


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed C# is stale (no writes)")
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    args = parser.parse_args(argv)
    rel = OUT_DIR.relative_to(ROOT)
    if args.check:
        ok = generate(check=True)
        print(f"gen_csharp: {'up to date' if ok else 'stale (run tools/gen_csharp.py)'}: {rel}/")
        return 0 if ok else 1
    if not find_protoc():
        print("gen_csharp: protoc not found: apt-get install protobuf-compiler", file=sys.stderr)
        return 0 if up_to_date() else 1
    changed = generate(force=args.force)
    print(f"gen_csharp: {'generated' if changed else 'up to date'}: {rel}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
