"""Forward kinematics: local joint transforms to global ones, batched and differentiable.

Shapes: ``(..., J, 4)`` local rotations (x, y, z, w) and ``(..., J, 3)`` local translations in
the parent's frame, any leading batch dims (typically ``(T, J)`` or ``(B, T, J)``); optional
``(J, 3)`` (or broadcastable ``(..., J, 3)``) local scales, dimensionless. Joints are processed
level by level (all joints at depth d at once), so the cost grows with the depth of the tree,
not with J.

Composition (glTF's, Unity's and every full-matrix engine's): a joint's local transform is
``L_j = T(t_j) · R(r_j) · S(s_j)`` and its global one ``G_j = G_parent · L_j``, composed as
full 4×4 matrices. So a joint's scale stretches its own children's offsets, not its own
offset, and a non-uniform parent scale under a rotated child gives shear in ``G_j``: the
global position ``p_j = p_parent + A_parent · t_j`` (``A`` the 3×3 linear part of ``G``) is
exact for that composition. :func:`global_matrices` returns the full ``G`` ``(..., J, 4, 4)``.

Global *rotations* returned by :func:`forward_kinematics` are the product of the local
rotations along the chain, scales ignored (``q_j = q_parent · r_j``). That is the rotation of
``G_j`` exactly when every scale above ``j`` is uniform; with non-uniform scales ``G_j`` is
not a rotation times a scale, and this product is the rotation an engine's "world rotation"
without shear reports (Unreal's ``FTransform``). It keeps :func:`global_to_local_rotations`
an exact inverse whatever the scales. When no scales are given (or all are exactly 1) the
unscaled path runs and results are bit-for-bit those of the scale-free code.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

from anymole.geometry.rotations import quat_apply, quat_conjugate, quat_mul, quat_to_matrix


@lru_cache(maxsize=256)
def _levels(parents: tuple[int, ...]) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    """Group joints by depth: ``((joints, their parents), ...)`` from depth 1 down."""
    depth = [0] * len(parents)
    for i, p in enumerate(parents):
        depth[i] = 0 if p < 0 else depth[p] + 1
    levels = []
    for d in range(1, max(depth, default=0) + 1):
        idx = tuple(i for i in range(len(parents)) if depth[i] == d)
        levels.append((idx, tuple(parents[i] for i in idx)))
    return tuple(levels)


def _parents_key(parents: Tensor | list[int] | tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(parents, Tensor):
        return tuple(parents.tolist())
    return tuple(int(p) for p in parents)


def _is_unscaled(scales: Tensor | None) -> bool:
    """True when ``scales`` is None or exactly 1 everywhere (the unscaled fast path applies)."""
    if scales is None:
        return True
    if scales.requires_grad:  # a gradient must flow into the scales, even at 1
        return False
    return bool((scales == 1).all())


def forward_kinematics(
    parents, local_rotations: Tensor, local_translations: Tensor, scales: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Global rotations ``(..., J, 4)`` and positions ``(..., J, 3)`` from local ones.

    Args:
        parents: ``(J,)`` parent indices, ``-1`` for roots, ``parents[i] < i``.
        local_rotations: ``(..., J, 4)`` unit quaternions (x, y, z, w), joint frame relative to
            the parent's frame.
        local_translations: ``(..., J, 3)`` joint origin in the parent's (scaled) frame (for a
            root: in the model frame), same units as the result.
        scales: optional ``(J, 3)`` or ``(..., J, 3)`` local scale of each joint's frame
            (``Skeleton.rest_scales``); None means 1. See the module docstring for the
            composition and for what the returned rotations mean when scales are non-uniform.

    Returns:
        ``(global_rotations, global_positions)``: ``(..., J, 4)`` (x, y, z, w), the product of
        local rotations along the chain; ``(..., J, 3)`` positions, exact for T·R·S matrices.
    """
    if not _is_unscaled(scales):
        return _forward_kinematics_scaled(parents, local_rotations, local_translations, scales)
    key = _parents_key(parents)
    batch = torch.broadcast_shapes(local_rotations.shape[:-1], local_translations.shape[:-1])
    rot = local_rotations.expand(*batch, 4)
    trans = local_translations.expand(*batch, 3)
    g_rot, g_pos = rot, trans
    device = rot.device
    for idx, par in _levels(key):
        i = torch.tensor(idx, device=device)
        p = torch.tensor(par, device=device)
        pr = g_rot.index_select(-2, p)
        pp = g_pos.index_select(-2, p)
        new_rot = quat_mul(pr, rot.index_select(-2, i))
        new_pos = pp + quat_apply(pr, trans.index_select(-2, i))
        g_rot = g_rot.index_copy(-2, i, new_rot)
        g_pos = g_pos.index_copy(-2, i, new_pos)
    return g_rot, g_pos


def _scaled_linear_parts(key, rot: Tensor, scales: Tensor) -> Tensor:
    """Global 3×3 linear parts ``A_j = A_parent · R(r_j) · diag(s_j)``, ``(..., J, 3, 3)``."""
    local = quat_to_matrix(rot) * scales.unsqueeze(-2)  # R · diag(s): scales the columns
    g = local
    for idx, par in _levels(key):
        i = torch.tensor(idx, device=rot.device)
        p = torch.tensor(par, device=rot.device)
        g = g.index_copy(-3, i, g.index_select(-3, p) @ local.index_select(-3, i))
    return g


def _forward_kinematics_scaled(parents, local_rotations: Tensor, local_translations: Tensor, scales: Tensor) -> tuple[Tensor, Tensor]:
    key = _parents_key(parents)
    scales = scales.to(dtype=local_rotations.dtype, device=local_rotations.device)
    batch = torch.broadcast_shapes(local_rotations.shape[:-1], local_translations.shape[:-1], scales.shape[:-1])
    rot = local_rotations.expand(*batch, 4)
    trans = local_translations.expand(*batch, 3)
    lin = _scaled_linear_parts(key, rot, scales.expand(*batch, 3))
    g_rot, g_pos = rot, trans
    for idx, par in _levels(key):
        i = torch.tensor(idx, device=rot.device)
        p = torch.tensor(par, device=rot.device)
        new_rot = quat_mul(g_rot.index_select(-2, p), rot.index_select(-2, i))
        step = (lin.index_select(-3, p) @ trans.index_select(-2, i).unsqueeze(-1)).squeeze(-1)
        g_rot = g_rot.index_copy(-2, i, new_rot)
        g_pos = g_pos.index_copy(-2, i, g_pos.index_select(-2, p) + step)
    return g_rot, g_pos


def global_matrices(
    parents, local_rotations: Tensor, local_translations: Tensor, scales: Tensor | None = None
) -> Tensor:
    """Full global transforms ``G_j = G_parent · T(t_j) R(r_j) S(s_j)``, ``(..., J, 4, 4)``.

    Same arguments as :func:`forward_kinematics`. The linear part includes scale (and the shear
    a non-uniform parent scale gives a rotated child); the translation column is the global
    position, equal to :func:`forward_kinematics`'s. Model frame and units of the inputs.
    """
    key = _parents_key(parents)
    g_rot, g_pos = forward_kinematics(parents, local_rotations, local_translations, scales)
    if _is_unscaled(scales):
        lin = quat_to_matrix(g_rot)
    else:
        scales = scales.to(dtype=local_rotations.dtype, device=local_rotations.device)
        batch = g_pos.shape[:-1]
        lin = _scaled_linear_parts(key, local_rotations.expand(*batch, 4), scales.expand(*batch, 3))
    out = torch.zeros(*g_pos.shape[:-1], 4, 4, dtype=g_pos.dtype, device=g_pos.device)
    out[..., :3, :3] = lin
    out[..., :3, 3] = g_pos
    out[..., 3, 3] = 1
    return out


def global_to_local_rotations(parents, global_rotations: Tensor) -> Tensor:
    """Inverse of the rotation part of FK: ``(..., J, 4)`` global to local rotations (exact
    whatever the scales, since FK's global rotations ignore them)."""
    key = _parents_key(parents)
    local = global_rotations.clone()
    nonroot = [i for i, p in enumerate(key) if p >= 0]
    if nonroot:
        i = torch.tensor(nonroot, device=global_rotations.device)
        p = torch.tensor([key[j] for j in nonroot], device=global_rotations.device)
        rel = quat_mul(quat_conjugate(global_rotations.index_select(-2, p)), global_rotations.index_select(-2, i))
        local = local.index_copy(-2, i, rel)
    return local
