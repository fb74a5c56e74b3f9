"""The Khronos glTF validator (npm ``gltf-validator`` in ``tools/node``, run with node) on the
GLB files the tests write: 0 errors and 0 warnings required. ``tests/conftest.py`` applies it
to every test (:func:`record_and_validate`); a test whose GLBs come from another process
adds them with ``khronos_validator.add(path)``.

Install it with ``npm ci --prefix tools/node``. Where node or the validator is missing the
check skips with a message saying so, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import hashlib
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


class Recorder:
    """The GLB files a test wrote, by content hash at the time they were written (or added)."""

    def __init__(self) -> None:
        self.written: dict[Path, str] = {}

    def add(self, *paths: str | Path) -> None:
        """Validate ``paths`` too at the end of the test: for GLBs another process wrote (a
        subprocess), which the in-process recording cannot see."""
        for path in map(Path, paths):
            assert path.is_file(), f"no GLB to validate at {path}"
            self.written[path] = _sha256(path)

    def unchanged(self) -> list[Path]:
        """The recorded files whose content is still what was written. A file renamed into
        place (the bake's atomic writes) is found beside its temporary name."""
        keep: list[Path] = []
        for p, h in self.written.items():
            candidates = [p] if p.is_file() else sorted(p.parent.glob("*.glb")) if p.parent.is_dir() else []
            keep += [c for c in candidates if c not in keep and _sha256(c) == h]
        return keep


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_and_validate(monkeypatch):
    """Generator for the autouse fixture of ``tests/conftest.py``: record every GLB
    :func:`anymole.io.write_gltf` writes during a test (in any thread of the test's process)
    and validate those still unchanged (by content hash) at its end, so files a test corrupts
    on purpose are left out. Yields the :class:`Recorder`. A test that writes no GLB runs no
    validator (and never skips for want of one); one that does has its own assertions run
    first, then only the validation skips where the validator is missing."""
    import anymole.io.gltf_write as gltf_write

    recorder = Recorder()
    real = gltf_write.write_container

    def recording(path, doc, binary, *a, **k):
        out = real(path, doc, binary, *a, **k)
        p = Path(path)
        if p.suffix.lower() == ".glb" and p.is_file():
            recorder.written[p] = _sha256(p)
        return out

    monkeypatch.setattr(gltf_write, "write_container", recording)
    yield recorder
    keep = recorder.unchanged()
    if keep:
        validate(*keep)
