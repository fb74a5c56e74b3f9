"""Structural JSON comparison with the conformance kit's number rule: two numbers are equal when
they are equal as float32 (within the manifest's relative/absolute tolerance); absent fields
equal their proto3 default. Shared by the staleness check and the Python conformance test."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

DEFAULTS = (0, 0.0, "", False, None)


def _num_equal(a: float, b: float, tol: dict) -> bool:
    fa, fb = float(np.float32(a)), float(np.float32(b))
    if fa == fb:
        return True
    return math.isclose(fa, fb, rel_tol=tol.get("float32Rel", 0.0), abs_tol=tol.get("float32Abs", 0.0))


def _is_default(v: Any) -> bool:
    return v in DEFAULTS or v == [] or v == {} or (isinstance(v, str) and v.endswith("_UNSPECIFIED"))


def compare_json(a: Any, b: Any, tol: dict | None = None, path: str = "$") -> list[str]:
    """Differences between ``a`` and ``b`` as readable lines (empty when they agree)."""
    tol = tol or {}
    if isinstance(a, bool) or isinstance(b, bool):
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return [] if _num_equal(a, b, tol) else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, str) and isinstance(b, (int, float)) or isinstance(b, str) and isinstance(a, (int, float)):
        try:  # proto3 JSON writes 64-bit integers as strings
            return [] if _num_equal(float(a), float(b), tol) else [f"{path}: {a!r} != {b!r}"]
        except ValueError:
            return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                if not _is_default(b[k]):
                    out.append(f"{path}.{k}: missing on the left")
            elif k not in b:
                if not _is_default(a[k]):
                    out.append(f"{path}.{k}: missing on the right")
            else:
                out += compare_json(a[k], b[k], tol, f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)} items"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += compare_json(x, y, tol, f"{path}[{i}]")
            if len(out) > 20:
                break
        return out
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]
