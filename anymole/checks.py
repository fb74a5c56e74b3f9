"""Validation helpers shared by the core types. Each raises :class:`ValidationError` naming the
field and the problem, so that callers (the server, the CLI) can report it verbatim."""

from __future__ import annotations

import torch
from torch import Tensor

from anymole.errors import ValidationError

QUAT_MIN_NORM = 1e-6


def as_float_tensor(field: str, value, shape_tail: tuple[int, ...], dtype=torch.float32) -> Tensor:
    """Convert ``value`` to a float tensor whose trailing dims are ``shape_tail`` (``-1`` = any)."""
    try:
        t = torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValidationError(field, f"not a numeric array ({exc})") from None
    check_shape(field, t, shape_tail)
    return t


def check_shape(field: str, t: Tensor, shape_tail: tuple[int, ...]) -> None:
    """Require ``t.shape`` to end with ``shape_tail`` and to have exactly that many dims."""
    if t.dim() != len(shape_tail) or any(
        want != -1 and got != want for got, want in zip(t.shape, shape_tail)
    ):
        want = "(" + ", ".join("*" if s == -1 else str(s) for s in shape_tail) + ")"
        raise ValidationError(field, f"expected shape {want}, got {tuple(t.shape)}")


def check_finite(field: str, t: Tensor) -> None:
    """Reject NaN and infinity, naming the first offending index."""
    bad = ~torch.isfinite(t)
    if bad.any():
        idx = tuple(int(i) for i in bad.nonzero()[0])
        kind = "NaN" if torch.isnan(t[idx]) else "infinity"
        raise ValidationError(field, f"contains {kind} at index {list(idx)}")


def check_quaternions(field: str, q: Tensor) -> Tensor:
    """Check ``(..., 4)`` quaternions are finite and non-zero; return them normalised.

    Quaternions already within 1e-6 of unit length are returned unchanged (bit-exact), so that
    re-validating a motion never moves its keyframes."""
    check_finite(field, q)
    norms = q.norm(dim=-1)
    bad = norms < QUAT_MIN_NORM
    if bad.any():
        idx = [int(i) for i in bad.nonzero()[0]]
        raise ValidationError(field, f"zero-length quaternion at index {idx} (expected x, y, z, w of unit length)")
    norms = norms.unsqueeze(-1)
    return torch.where((norms - 1.0).abs() < 1e-6, q, q / norms)
