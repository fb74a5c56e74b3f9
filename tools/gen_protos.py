#!/usr/bin/env python3
"""Generate the code of the wire contract from ``proto/anymole/v1/*.proto``.

- Python: ``client/anymole_client/v1/<name>_pb2.py`` (+ ``.pyi``) and ``<name>_pb2_grpc.py``,
  importable as ``anymole_client.v1.<name>_pb2``. protoc writes imports for the proto path
  (``from anymole.v1 import ...``); they are rewritten to ``anymole_client.v1`` so the generated
  code lives in the torch-free client distribution and nowhere else. Committed: a fresh
  ``pip install ./client`` needs no code generator.
- C#: the Unity package's messages, through ``tools/gen_csharp.py`` (Debian's ``protoc
  --csharp_out``) when that tool and ``protoc`` are present.

Deterministic. ``--check`` regenerates into a temporary folder and compares byte for byte:
exit 1 when anything committed is stale. Runs from any directory.

Usage: python tools/gen_protos.py [--check]
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
PROTO_PACKAGE = Path("anymole") / "v1"
OUT_DIR = ROOT / "client" / "anymole_client" / "v1"
PY_PACKAGE = "anymole_client.v1"

INIT = '''"""Generated code of the AnyMoLe Bridge wire contract (proto package ``anymole.v1``).

Do not edit: produced by ``tools/gen_protos.py`` from ``proto/anymole/v1/*.proto``.
"""
'''

_IMPORT = re.compile(r"^(from )anymole\.v1( import )", re.MULTILINE)


def protos() -> list[Path]:
    return sorted((PROTO_ROOT / PROTO_PACKAGE).glob("*.proto"))


def _generate_python(out: Path) -> None:
    """Run protoc into ``out`` (the contents of the ``v1`` package)."""
    from importlib.resources import files

    from grpc_tools import protoc

    files_ = protos()
    if not files_:
        raise SystemExit(f"gen_protos: no .proto files under {PROTO_ROOT / PROTO_PACKAGE}")
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
        args += [str(p.relative_to(PROTO_ROOT)) for p in files_]
        rc = protoc.main(args)
        if rc != 0:
            raise SystemExit(f"gen_protos: protoc failed with exit code {rc}")
        src = Path(tmp) / PROTO_PACKAGE
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(src.iterdir()):
            if f.name.endswith("_pb2_grpc.py") and "class " not in f.read_text():
                continue  # motion/job define no service: their _grpc modules are empty
            text = _IMPORT.sub(rf"\g<1>{PY_PACKAGE}\g<2>", f.read_text())
            text = text.replace("anymole/v1/service_pb2_grpc.py", "anymole_client/v1/service_pb2_grpc.py")
            (out / f.name).write_text(text)
        (out / "__init__.py").write_text(INIT)
        (out / "py.typed").write_text("")


def _same_tree(a: Path, b: Path) -> list[str]:
    """Names that differ between folders ``a`` and ``b`` (missing on either side included)."""
    names = {p.name for p in a.iterdir() if p.is_file()} | {p.name for p in b.iterdir() if p.is_file()} if b.exists() else {p.name for p in a.iterdir()}
    names.discard("__pycache__")
    return sorted(n for n in names if not ((a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, shallow=False)))


def _csharp():
    path = ROOT / "tools" / "gen_csharp.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("gen_csharp", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def python_stale() -> list[str]:
    """Generated Python files that differ from what the protos give now."""
    with tempfile.TemporaryDirectory(prefix="anymole-protos-check-") as tmp:
        fresh = Path(tmp) / "v1"
        _generate_python(fresh)
        return _same_tree(fresh, OUT_DIR)


def generate() -> list[str]:
    """Regenerate the Python package (and C# when possible); returns the changed names."""
    with tempfile.TemporaryDirectory(prefix="anymole-protos-") as tmp:
        fresh = Path(tmp) / "v1"
        _generate_python(fresh)
        changed = _same_tree(fresh, OUT_DIR)
        if changed:
            if OUT_DIR.exists():
                shutil.rmtree(OUT_DIR)
            shutil.copytree(fresh, OUT_DIR)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed generated code is stale (no writes)")
    parser.add_argument("--python-only", action="store_true", help="skip the C# generation")
    args = parser.parse_args(argv)
    rel = OUT_DIR.relative_to(ROOT)
    csharp = None if args.python_only else _csharp()
    if args.check:
        stale = python_stale()
        print(f"gen_protos: {rel}/ " + (f"stale: {', '.join(stale)} (run tools/gen_protos.py)" if stale else "up to date"))
        ok = not stale
        if csharp is not None:
            ok = bool(csharp.main(["--check"]) == 0) and ok
        return 0 if ok else 1
    changed = generate()
    print(f"gen_protos: {rel}/ " + (f"regenerated: {', '.join(changed)}" if changed else "up to date"))
    if csharp is not None:
        csharp.main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
