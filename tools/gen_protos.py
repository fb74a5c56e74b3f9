#!/usr/bin/env python3
"""Generate the Python gRPC code for the wire contract.

``proto/anymole/v1/*.proto`` → ``anymole/v1/<name>_pb2.py`` (+ ``.pyi`` stubs) and
``<name>_pb2_grpc.py`` (+ ``.pyi`` when mypy-protobuf's ``protoc-gen-mypy_grpc`` is installed),
importable as ``anymole.v1.<name>_pb2``. The generated files are not committed.

Idempotent and fast: a stamp holding a hash of the protos, the generator versions and this
script skips the work when nothing changed (``--force`` regenerates). Runs from any directory.
Generation happens in a temporary directory and replaces ``anymole/v1`` only on success.

Usage: python tools/gen_protos.py [--force] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PACKAGE = Path("anymole") / "v1"
OUT_DIR = ROOT / PACKAGE
STAMP = OUT_DIR / ".generated"

INIT = '''"""Generated gRPC code for the AnyMoLe Bridge wire contract (package ``anymole.v1``).

Do not edit: produced by ``tools/gen_protos.py`` from ``proto/anymole/v1/*.proto``.
The only place besides ``anymole.client`` where gRPC/protobuf code lives in ``anymole``.
"""
'''


def _protos() -> list[Path]:
    return sorted((PROTO_ROOT / PACKAGE).glob("*.proto"))


def _fingerprint(protos: list[Path], mypy_grpc: str | None) -> str:
    import grpc_tools
    import google.protobuf

    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    h.update(getattr(grpc_tools, "__version__", "").encode())
    try:
        from importlib.metadata import version

        h.update(version("grpcio-tools").encode())
    except Exception:  # noqa: BLE001 - best effort
        pass
    h.update(google.protobuf.__version__.encode())
    h.update(str(bool(mypy_grpc)).encode())
    for p in protos:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _up_to_date(fingerprint: str, protos: list[Path]) -> bool:
    if not STAMP.exists() or STAMP.read_text().strip() != fingerprint:
        return False
    return all((OUT_DIR / f"{p.stem}_pb2.py").exists() for p in protos)


def _mypy_grpc_plugin() -> str | None:
    exe = Path(sys.executable).parent / "protoc-gen-mypy_grpc"
    if exe.exists():
        return str(exe)
    return shutil.which("protoc-gen-mypy_grpc")


def generate(force: bool = False) -> bool:
    """Generate into ``anymole/v1``; returns False when it was already up to date."""
    from importlib.resources import files

    from grpc_tools import protoc

    protos = _protos()
    if not protos:
        raise SystemExit(f"gen_protos: no .proto files under {PROTO_ROOT / PACKAGE}")
    mypy_grpc = _mypy_grpc_plugin()
    fingerprint = _fingerprint(protos, mypy_grpc)
    if not force and _up_to_date(fingerprint, protos):
        return False

    well_known = str(files("grpc_tools") / "_proto")
    with tempfile.TemporaryDirectory(prefix="anymole-protos-") as tmp:
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
        ]
        if mypy_grpc:
            args += [f"--plugin=protoc-gen-mypy_grpc={mypy_grpc}", f"--mypy_grpc_out={tmp}"]
        args += [str(p.relative_to(PROTO_ROOT)) for p in protos]
        rc = protoc.main(args)
        if rc != 0:
            raise SystemExit(f"gen_protos: protoc failed with exit code {rc}")
        out = Path(tmp) / PACKAGE
        (out / "__init__.py").write_text(INIT)
        (out / "py.typed").write_text("")
        (out / STAMP.name).write_text(fingerprint + "\n")
        # Replace the package directory in one step (rename within the same filesystem).
        OUT_DIR.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".v1-", dir=OUT_DIR.parent))
        shutil.rmtree(staging)
        shutil.copytree(out, staging)
        old = None
        if OUT_DIR.exists():
            old = OUT_DIR.with_name(f".v1-old-{os.getpid()}")
            OUT_DIR.rename(old)
        staging.rename(OUT_DIR)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated code is stale (no writes)")
    args = parser.parse_args(argv)
    if args.check:
        protos = _protos()
        ok = _up_to_date(_fingerprint(protos, _mypy_grpc_plugin()), protos)
        print("gen_protos: up to date" if ok else "gen_protos: stale (run tools/gen_protos.py)")
        return 0 if ok else 1
    changed = generate(force=args.force)
    rel = OUT_DIR.relative_to(ROOT)
    print(f"gen_protos: {'generated' if changed else 'up to date'}: {rel}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
