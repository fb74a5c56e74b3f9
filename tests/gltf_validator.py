"""The Khronos glTF validator (npm ``gltf-validator`` in ``tools/node``, run with node) on the
GLB files the tests write: 0 errors and 0 warnings required.

Install it with ``npm ci --prefix tools/node``. Where node or the validator is missing the
check skips with a message saying so, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent.parent / "tools" / "node"
SCRIPT = NODE_DIR / "validate_gltf.mjs"


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_DIR / "node_modules" / "gltf-validator").is_dir():
        return f"the glTF validator is not installed (run: npm ci --prefix {NODE_DIR})"
    return None


def validate(*paths: str | Path) -> list[dict]:
    """Validate ``paths``; skip (or fail under CI=true) when the validator is unavailable;
    fail when any file has an error or a warning. Returns the reports."""
    why = _missing()
    if why is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"glTF validator required under CI=true: {why}")
        pytest.skip(f"glTF validator not run: {why}")
    proc = subprocess.run(
        ["node", str(SCRIPT), *map(str, paths)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(reports) == len(paths)
    for r in reports:
        bad = [m for m in r["messages"] if m["severity"] in (0, 1)]
        assert r["errors"] == 0 and r["warnings"] == 0, f"{r['path']}: {json.dumps(bad, indent=1)}"
    return reports


def record_and_validate(monkeypatch):
    """Generator for an autouse fixture: record every file :func:`anymole.io.write_gltf`
    writes during a test and validate those still unchanged (by content hash) at its end, so
    files a test corrupts on purpose are left out."""
    import hashlib

    import anymole.io.gltf_write as gltf_write

    written: dict[Path, str] = {}
    real = gltf_write.write_container

    def recording(path, doc, binary, *a, **k):
        out = real(path, doc, binary, *a, **k)
        p = Path(path)
        if p.suffix.lower() == ".glb" and p.is_file():
            written[p] = hashlib.sha256(p.read_bytes()).hexdigest()
        return out

    monkeypatch.setattr(gltf_write, "write_container", recording)
    yield written
    # A file renamed into place (the bake's atomic writes) is found beside its temporary name.
    keep: list[Path] = []
    for p, h in written.items():
        candidates = [p] if p.is_file() else sorted(p.parent.glob("*.glb")) if p.parent.is_dir() else []
        keep += [c for c in candidates if c not in keep and hashlib.sha256(c.read_bytes()).hexdigest() == h]
    if keep:
        validate(*keep)
