"""Engine coordinate conventions — the ONLY module that converts between them.

Canonical frame (what every other module uses): glTF's — right-handed, +Y up, +Z forward
(the way a character faces), +X to the character's left, metres.

A :class:`Convention` names a caller's frame by its up axis, its forward axis, its handedness
and the length of one unit in metres. From those three axes the basis change ``M`` (3×3, a
signed permutation, det = ±1) is built so that for a vector ``v`` in canonical coordinates the
caller's coordinates are ``M @ v / unit_m``:

* canonical +Y (up)      → the convention's up axis
* canonical +Z (forward) → the convention's forward axis
* canonical +X (left)    → left = up × forward in a right-handed frame, −(up × forward) in a
  left-handed one (in a left-handed frame up × forward, computed with the usual formula, is
  the character's right).

Rotations change as ``R' = M R Mᵀ``; for a unit quaternion (v, w) that is
``(det(M) · M v, w)`` — the axis is a pseudo-vector and flips with a reflection.

Named conventions:

======== =========== ======= ========= ========
name     handedness  up      forward   unit
======== =========== ======= ========= ========
gltf     right       +Y      +Z        1 m
unity    left        +Y      +Z        1 m      (Unity's +X is right; canonical x is negated)
unreal   left        +Z      +X        1 cm     (Unreal: X forward, Y right, Z up)
blender  right       +Z      −Y        1 m      (Blender's front view looks along +Y)
======== =========== ======= ========= ========

BVH and FBX files declare their axes in the file or by convention of the exporter; readers
build a :class:`Convention` for them (:func:`convention_from_axes`) and call the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch
from torch import Tensor

from anymole.errors import ValidationError

_AXES = {"+x": (0, 1.0), "-x": (0, -1.0), "+y": (1, 1.0), "-y": (1, -1.0), "+z": (2, 1.0), "-z": (2, -1.0)}


def _axis_key(name: str, field: str) -> str:
    """``name`` (``"Y"``, ``"+y"``, ``" -Z "`` …) as its canonical spelling (``"+y"``, ``"-z"``)."""
    key = str(name).strip().lower()
    if key in ("x", "y", "z"):
        key = "+" + key
    if key not in _AXES:
        raise ValidationError(field, f"unknown axis {name!r}; expected one of +x, -x, +y, -y, +z, -z")
    return key


def _axis_vector(name: str, field: str) -> Tensor:
    i, s = _AXES[_axis_key(name, field)]
    v = torch.zeros(3, dtype=torch.float64)
    v[i] = s
    return v


@dataclass(frozen=True)
class Convention:
    """A coordinate convention: ``up`` and ``forward`` axes (``"+y"``, ``"-z"``, …),
    ``handedness`` (``"right"`` or ``"left"``) and ``unit_m``, the length of one unit in metres
    (0.01 for centimetres)."""

    up: str = "+y"
    forward: str = "+z"
    handedness: str = "right"
    unit_m: float = 1.0

    def __post_init__(self) -> None:
        if self.handedness not in ("right", "left"):
            raise ValidationError("convention.handedness", f"must be 'right' or 'left', got {self.handedness!r}")
        if not (self.unit_m > 0 and self.unit_m < float("inf")):
            raise ValidationError("convention.unit_m", f"must be a positive length in metres, got {self.unit_m!r}")
        # Spell axes canonically so that equal conventions compare (and hash) equal.
        object.__setattr__(self, "up", _axis_key(self.up, "convention.up"))
        object.__setattr__(self, "forward", _axis_key(self.forward, "convention.forward"))
        object.__setattr__(self, "unit_m", float(self.unit_m))
        up = _axis_vector(self.up, "convention.up")
        fwd = _axis_vector(self.forward, "convention.forward")
        if abs(float(up @ fwd)) > 0.5:
            raise ValidationError("convention.forward", f"forward {self.forward!r} is parallel to up {self.up!r}")

    @cached_property
    def basis(self) -> Tensor:
        """``M`` (3, 3) float64: caller coordinates = ``M @ canonical / unit_m``."""
        up = _axis_vector(self.up, "convention.up")
        fwd = _axis_vector(self.forward, "convention.forward")
        cross = torch.linalg.cross(up, fwd)
        left = cross if self.handedness == "right" else -cross
        # Columns are the images of canonical +X (left), +Y (up), +Z (forward).
        return torch.stack([left, up, fwd], dim=1)

    @cached_property
    def det(self) -> float:
        return float(torch.linalg.det(self.basis).round())


CANONICAL = Convention()
GLTF = Convention("+y", "+z", "right", 1.0)
UNITY = Convention("+y", "+z", "left", 1.0)
UNREAL = Convention("+z", "+x", "left", 0.01)
BLENDER = Convention("+z", "-y", "right", 1.0)

NAMED: dict[str, Convention] = {"gltf": GLTF, "canonical": CANONICAL, "unity": UNITY, "unreal": UNREAL, "blender": BLENDER}


def named_convention(name: str) -> Convention:
    try:
        return NAMED[name.lower()]
    except KeyError:
        raise ValidationError("convention", f"unknown convention {name!r}; known: {sorted(NAMED)}") from None


def convention_from_axes(up: str, forward: str, handedness: str = "right", unit_m: float = 1.0) -> Convention:
    """Hook for file formats that declare their axes (FBX ``GlobalSettings``, a BVH's
    declared up axis): the same :class:`Convention` built from what the file says."""
    return Convention(up, forward, handedness, unit_m)


def _m(conv: Convention, like: Tensor) -> Tensor:
    return conv.basis.to(dtype=like.dtype, device=like.device)


def positions_to_canonical(p: Tensor, conv: Convention) -> Tensor:
    """Points or offsets ``(..., 3)`` in ``conv`` to canonical metres."""
    return (p @ _m(conv, p)) * conv.unit_m  # Mᵀ p, since M is orthogonal


def positions_from_canonical(p: Tensor, conv: Convention) -> Tensor:
    """Canonical points ``(..., 3)`` in metres to ``conv``'s coordinates and units."""
    return (p @ _m(conv, p).T) / conv.unit_m


def quaternions_to_canonical(q: Tensor, conv: Convention) -> Tensor:
    """Rotations ``(..., 4)`` (x, y, z, w) expressed in ``conv`` to the canonical frame."""
    v = (q[..., :3] @ _m(conv, q)) * conv.det
    return torch.cat([v, q[..., 3:]], dim=-1)


def quaternions_from_canonical(q: Tensor, conv: Convention) -> Tensor:
    """Canonical rotations ``(..., 4)`` (x, y, z, w) to ``conv``'s frame."""
    v = (q[..., :3] @ _m(conv, q).T) * conv.det
    return torch.cat([v, q[..., 3:]], dim=-1)


def matrices_to_canonical(m: Tensor, conv: Convention) -> Tensor:
    """Affine transforms ``(..., 4, 4)`` in ``conv`` (rotation part proper) to canonical."""
    b = _m(conv, m)
    out = m.clone()
    out[..., :3, :3] = b.T @ m[..., :3, :3] @ b
    out[..., :3, 3] = (m[..., :3, 3] @ b) * conv.unit_m
    return out


def matrices_from_canonical(m: Tensor, conv: Convention) -> Tensor:
    """Canonical affine transforms ``(..., 4, 4)`` to ``conv``."""
    b = _m(conv, m)
    out = m.clone()
    out[..., :3, :3] = b @ m[..., :3, :3] @ b.T
    out[..., :3, 3] = (m[..., :3, 3] @ b.T) / conv.unit_m
    return out


def scales_to_canonical(s: Tensor, conv: Convention) -> Tensor:
    """Local scale vectors ``(..., 3)`` (dimensionless, per axis of a joint's frame) in ``conv``
    to canonical. The basis change conjugates ``diag(s)`` (``Mᵀ diag(s) M``), which for a signed
    permutation only permutes the components: no sign flips and no unit change."""
    return s @ _m(conv, s).abs()


def scales_from_canonical(s: Tensor, conv: Convention) -> Tensor:
    """Canonical local scale vectors ``(..., 3)`` to ``conv``'s axis order (the inverse of
    :func:`scales_to_canonical`)."""
    return s @ _m(conv, s).abs().T
