"""Rotation maths on quaternions stored as (x, y, z, w).

Conventions, stated once:

* A quaternion is a tensor ``(..., 4)`` in (x, y, z, w) order — the order of roma, glTF,
  Unity and Unreal. Functions that take a *unit* quaternion say so; they do not renormalise.
* ``quat_mul(a, b)`` composes rotations so that ``quat_apply(quat_mul(a, b), v) ==
  quat_apply(a, quat_apply(b, v))`` (apply ``b`` first), the same as matrix product ``A @ B``.
* Rotation vectors ``(..., 3)`` are axis × angle in radians.
* Euler angles follow BVH: an ``order`` string such as ``"ZYX"`` lists the axes of the
  channels in file order, and the rotation is ``R = R_Z @ R_Y @ R_X`` (intrinsic rotations).
* Rotation matrices ``(..., 3, 3)`` act on column vectors.
* The 6D representation ``(..., 6)`` is the first two columns of the matrix (Zhou et al. 2019).

Every function is batch-agnostic and differentiable unless its docstring says otherwise.
"""

from __future__ import annotations

import math

import roma
import torch
from torch import Tensor

_EPS = 1e-12


def quat_identity(shape: tuple[int, ...] = (), *, dtype=torch.float32, device=None) -> Tensor:
    """The identity rotation, ``(*shape, 4)``."""
    q = torch.zeros(*shape, 4, dtype=dtype, device=device)
    q[..., 3] = 1.0
    return q


def quat_normalize(q: Tensor) -> Tensor:
    """Scale ``(..., 4)`` quaternions to unit length (zero-norm input gives NaN-free output only
    if the caller has validated it; see :func:`anymole.checks.check_quaternions`)."""
    return q / q.norm(dim=-1, keepdim=True).clamp_min(_EPS)


def quat_conjugate(q: Tensor) -> Tensor:
    """Conjugate ``(..., 4)``; the inverse of a unit quaternion."""
    return torch.cat([-q[..., :3], q[..., 3:]], dim=-1)


quat_inverse = quat_conjugate


def quat_mul(a: Tensor, b: Tensor) -> Tensor:
    """Hamilton product ``a ⊗ b`` of ``(..., 4)`` quaternions (broadcasting). Applies ``b`` first."""
    ax, ay, az, aw = a.unbind(-1)
    bx, by, bz, bw = b.unbind(-1)
    return torch.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        dim=-1,
    )


def quat_apply(q: Tensor, v: Tensor) -> Tensor:
    """Rotate vectors ``v (..., 3)`` by unit quaternions ``q (..., 4)`` (broadcasting)."""
    shape = torch.broadcast_shapes(q.shape[:-1], v.shape[:-1])
    xyz = q[..., :3].expand(*shape, 3)
    w = q[..., 3:].expand(*shape, 1)
    v = v.expand(*shape, 3)
    t = 2.0 * torch.linalg.cross(xyz, v)
    return v + w * t + torch.linalg.cross(xyz, t)


def quat_to_matrix(q: Tensor) -> Tensor:
    """Unit quaternions ``(..., 4)`` to rotation matrices ``(..., 3, 3)``."""
    return roma.unitquat_to_rotmat(q)


def matrix_to_quat(m: Tensor) -> Tensor:
    """Rotation matrices ``(..., 3, 3)`` to unit quaternions ``(..., 4)`` with w ≥ 0."""
    return quat_positive_w(roma.rotmat_to_unitquat(m))


def quat_to_rotvec(q: Tensor) -> Tensor:
    """Unit quaternions ``(..., 4)`` to rotation vectors ``(..., 3)``, angle in [0, π]."""
    return roma.unitquat_to_rotvec(q, shortest_arc=True)


def rotvec_to_quat(r: Tensor) -> Tensor:
    """Rotation vectors ``(..., 3)`` (radians) to unit quaternions ``(..., 4)``."""
    return roma.rotvec_to_unitquat(r)


def quat_positive_w(q: Tensor) -> Tensor:
    """Flip ``(..., 4)`` quaternions to the hemisphere w ≥ 0 (same rotation)."""
    return torch.where(q[..., 3:] < 0, -q, q)


def quat_align(q: Tensor, ref: Tensor) -> Tensor:
    """Flip each ``q (..., 4)`` so that its dot product with ``ref`` (broadcast) is ≥ 0."""
    dot = (q * ref).sum(-1, keepdim=True)
    return torch.where(dot < 0, -q, q)


def quat_make_continuous(q: Tensor, dim: int = 0) -> Tensor:
    """Choose signs along axis ``dim`` (time) so that consecutive quaternions are in the same
    hemisphere. ``q`` is ``(..., 4)`` with ``dim`` not the last axis. Not differentiable through
    the sign choice (signs are constants)."""
    dim = dim % q.dim()
    if dim == q.dim() - 1:
        raise ValueError("dim must not be the quaternion axis")
    q = q.movedim(dim, 0)
    dots = (q[1:] * q[:-1]).sum(-1, keepdim=True)
    flips = (dots < 0).to(q.dtype)
    # The sign of frame t is the parity of the number of flips up to t.
    parity = torch.cumsum(flips, dim=0) % 2
    signs = torch.cat([torch.ones_like(parity[:1]), 1.0 - 2.0 * parity], dim=0)
    return (q * signs).movedim(0, dim)


def quat_slerp(q0: Tensor, q1: Tensor, t: Tensor | float) -> Tensor:
    """Spherical linear interpolation between unit quaternions along the shortest arc.

    ``q0, q1`` are ``(..., 4)``; ``t`` broadcasts against ``(...)`` (a float, or a tensor
    shaped like the batch, e.g. ``(T, 1)`` against ``(1, J)`` batches). Returns ``(..., 4)``.
    """
    q1 = quat_align(q1, q0)
    t = torch.as_tensor(t, dtype=q0.dtype, device=q0.device)
    if t.dim() == 0:
        t = t.reshape(1)
    t = t.unsqueeze(-1)
    dot = (q0 * q1).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    theta = torch.acos(dot)
    sin_theta = torch.sin(theta)
    small = sin_theta.abs() < 1e-6
    safe_sin = torch.where(small, torch.ones_like(sin_theta), sin_theta)
    w0 = torch.where(small, 1.0 - t, torch.sin((1.0 - t) * theta) / safe_sin)
    w1 = torch.where(small, t, torch.sin(t * theta) / safe_sin)
    return quat_normalize(w0 * q0 + w1 * q1)


def axis_angle_quat(axis: str, angle: Tensor) -> Tensor:
    """Quaternions ``(..., 4)`` of rotations by ``angle (...)`` radians about ``axis`` in
    ``"XYZ"``."""
    half = 0.5 * angle
    s, c = torch.sin(half), torch.cos(half)
    z = torch.zeros_like(half)
    i = "XYZ".index(axis.upper())
    parts = [z, z, z, c]
    parts[i] = s
    return torch.stack(parts, dim=-1)


def euler_to_quat(angles: Tensor, order: str, *, degrees: bool = True) -> Tensor:
    """Euler angles ``(..., 3)``, given in the axis order ``order`` (e.g. ``"ZYX"``: angle 0 is
    about Z), to unit quaternions ``(..., 4)`` of ``R = R_order[0] @ R_order[1] @ R_order[2]``."""
    order = _check_order(order)
    if degrees:
        angles = angles * (math.pi / 180.0)
    q = axis_angle_quat(order[0], angles[..., 0])
    q = quat_mul(q, axis_angle_quat(order[1], angles[..., 1]))
    return quat_mul(q, axis_angle_quat(order[2], angles[..., 2]))


def quat_to_euler(q: Tensor, order: str, *, degrees: bool = True) -> Tensor:
    """Unit quaternions ``(..., 4)`` to Euler angles ``(..., 3)`` in the axis order ``order``,
    the inverse of :func:`euler_to_quat` (intrinsic rotations, BVH's convention)."""
    order = _check_order(order)
    return roma.unitquat_to_euler(order, q, degrees=degrees)


def matrix_to_sixd(m: Tensor) -> Tensor:
    """Rotation matrices ``(..., 3, 3)`` to the continuous 6D representation ``(..., 6)``."""
    return torch.cat([m[..., :, 0], m[..., :, 1]], dim=-1)


def sixd_to_matrix(d6: Tensor) -> Tensor:
    """6D ``(..., 6)`` to rotation matrices ``(..., 3, 3)`` by Gram–Schmidt."""
    a1, a2 = d6[..., :3], d6[..., 3:]
    b1 = torch.nn.functional.normalize(a1, dim=-1)
    b2 = torch.nn.functional.normalize(a2 - (b1 * a2).sum(-1, keepdim=True) * b1, dim=-1)
    b3 = torch.linalg.cross(b1, b2)
    return torch.stack([b1, b2, b3], dim=-1)


def quat_angle(q0: Tensor, q1: Tensor) -> Tensor:
    """Geodesic angle in radians ``(...)`` between unit quaternions ``(..., 4)``, in [0, π].

    Computed as ``2 atan2(|v|, |w|)`` of ``q0⁻¹ ⊗ q1`` (``v`` its vector part): accurate for small
    angles, where ``acos`` of the dot product loses about 1e-3 rad in float32."""
    d = quat_mul(quat_conjugate(q0), q1)
    return 2.0 * torch.atan2(d[..., :3].norm(dim=-1), d[..., 3].abs())


def _check_order(order: str) -> str:
    order = order.upper()
    if len(order) != 3 or set(order) - set("XYZ") or order[0] == order[1] or order[1] == order[2]:
        raise ValueError(f"invalid Euler order {order!r}: expected three axes like 'ZYX'")
    return order
