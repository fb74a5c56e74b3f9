"""Forward kinematics: local joint transforms to global ones, batched and differentiable.

Shapes: ``(..., J, 4)`` local rotations (x, y, z, w) and ``(..., J, 3)`` local translations in
the parent's frame, any leading batch dims (typically ``(T, J)`` or ``(B, T, J)``). Joints are
processed level by level (all joints at depth d at once), so the cost grows with the depth of
the tree, not with J.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

from anymole.geometry.rotations import quat_apply, quat_conjugate, quat_mul


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


def forward_kinematics(parents, local_rotations: Tensor, local_translations: Tensor) -> tuple[Tensor, Tensor]:
    """Global rotations ``(..., J, 4)`` and positions ``(..., J, 3)`` from local ones.

    Args:
        parents: ``(J,)`` parent indices, ``-1`` for roots, ``parents[i] < i``.
        local_rotations: ``(..., J, 4)`` unit quaternions (x, y, z, w), joint frame relative to
            the parent's frame.
        local_translations: ``(..., J, 3)`` joint origin in the parent's frame (for a root: in
            the model frame), same units as the result.
    """
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


def global_to_local_rotations(parents, global_rotations: Tensor) -> Tensor:
    """Inverse of the rotation part of FK: ``(..., J, 4)`` global to local rotations."""
    key = _parents_key(parents)
    local = global_rotations.clone()
    nonroot = [i for i, p in enumerate(key) if p >= 0]
    if nonroot:
        i = torch.tensor(nonroot, device=global_rotations.device)
        p = torch.tensor([key[j] for j in nonroot], device=global_rotations.device)
        rel = quat_mul(quat_conjugate(global_rotations.index_select(-2, p)), global_rotations.index_select(-2, i))
        local = local.index_copy(-2, i, rel)
    return local
