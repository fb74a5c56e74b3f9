"""Linear blend skinning: stateless and differentiable, like smplx's ``lbs``.

A vertex ``v`` (bind pose, model space) moves to ``Σ_k w_k · G_{j_k} · IBM_{j_k} · v`` where
``G_j`` is joint ``j``'s world matrix (from :func:`anymole.kinematics.forward_kinematics`) and
``IBM_j`` its inverse bind matrix (:class:`anymole.skeleton.SkinnedMesh`). Shapes: ``J``
joints, ``N`` vertices, ``K`` influences per vertex, any leading batch ``...`` (e.g. ``T`` or
``V, T``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from anymole.geometry.rotations import quat_to_matrix
from anymole.skeleton import SkinnedMesh

__all__ = ["joint_matrices", "skinning_matrices", "skin_vertices"]


def joint_matrices(global_rot: Tensor, global_pos: Tensor) -> Tensor:
    """World matrices ``(..., J, 4, 4)`` of joints with global rotations ``(..., J, 4)``
    (x, y, z, w) and positions ``(..., J, 3)``."""
    shape = torch.broadcast_shapes(global_rot.shape[:-1], global_pos.shape[:-1])
    m = torch.zeros(*shape, 4, 4, dtype=global_pos.dtype, device=global_pos.device)
    m[..., :3, :3] = quat_to_matrix(global_rot).expand(*shape, 3, 3)
    m[..., :3, 3] = global_pos.expand(*shape, 3)
    m[..., 3, 3] = 1.0
    return m


def skinning_matrices(mesh: SkinnedMesh, global_rot: Tensor, global_pos: Tensor) -> Tensor:
    """``(..., J, 3, 4)``: each joint's world matrix times its inverse bind matrix, top 3 rows."""
    world = joint_matrices(global_rot, global_pos)
    ibm = mesh.inverse_bind_matrices.to(dtype=world.dtype, device=world.device)
    return (world @ ibm)[..., :3, :]


def skin_vertices(mesh: SkinnedMesh, global_rot: Tensor, global_pos: Tensor) -> Tensor:
    """Skinned vertex positions ``(..., N, 3)`` (world frame, skeleton units).

    Args:
        mesh: the skinned mesh; its tensors are moved to the dtype and device of ``global_pos``.
        global_rot: ``(..., J, 4)`` global joint rotations (x, y, z, w), unit length.
        global_pos: ``(..., J, 3)`` global joint positions.

    Differentiable w.r.t. ``global_rot`` and ``global_pos``.
    """
    A = skinning_matrices(mesh, global_rot, global_pos)  # (..., J, 3, 4)
    batch = A.shape[:-3]
    J = A.shape[-3]
    dev, dt = A.device, A.dtype
    idx = mesh.joint_indices.to(dev)  # (N, K)
    w = mesh.joint_weights.to(device=dev, dtype=dt)  # (N, K)
    N, K = idx.shape
    flat = A.reshape(*batch, J, 12).index_select(-2, idx.reshape(-1)).reshape(*batch, N, K, 12)
    blended = (flat * w.unsqueeze(-1)).sum(-2).reshape(*batch, N, 3, 4)
    v = mesh.vertices.to(device=dev, dtype=dt)
    return (blended[..., :3] @ v.unsqueeze(-1)).squeeze(-1) + blended[..., 3]
