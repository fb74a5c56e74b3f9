"""Scene-graph helpers shared by the glTF and FBX readers: which nodes make the skeleton, and
joint-local transforms from node world matrices.

Rule (documented once, used by both readers): the joints are the given member nodes (skin
joints, bones); a non-member node lying between two members joins, and when the members have
several tops under one common ancestor, that ancestor and the paths to it join so that the
skeleton is one tree. Ancestors above the top are *baked* into the root joint (its local
transform is its world transform). Scale is dropped from the joints' frames but world
positions are kept exactly: local translations are ``R_parentᵀ (p_joint − p_parent)`` in the
unscaled parent frame. :func:`joint_locals_scaled` is the other choice, for readers asked to
keep scale: joint-local T·R·S transforms whose scales go to ``Skeleton.rest_scales``.
"""

from __future__ import annotations

from collections import defaultdict

import torch
from torch import Tensor

from anymole.geometry.rotations import matrix_to_quat, quat_apply, quat_conjugate
from anymole.kinematics import global_to_local_rotations


def ancestors(parent: list[int], n: int) -> list[int]:
    """Ancestors of node ``n``, nearest first."""
    out, k = [], parent[n]
    while k >= 0:
        out.append(k)
        k = parent[k]
    return out


def ancestor_in(parent: list[int], n: int, group) -> int:
    """Nearest ancestor of ``n`` that is in ``group``, or -1."""
    k = parent[n]
    while k >= 0 and k not in group:
        k = parent[k]
    return k


def select_joint_nodes(parent: list[int], members: list[int]) -> list[int]:
    """Close ``members`` into one tree (see the module docstring) and order it so that parents
    come first: the given order where it already does, depth-first order otherwise."""
    members = list(dict.fromkeys(members))
    seen = set(members)
    for n in list(members):
        path, k = [], parent[n]
        while k >= 0 and k not in seen:
            path.append(k)
            k = parent[k]
        if k >= 0:
            for p in path:
                seen.add(p)
                members.append(p)
    tops = [n for n in members if ancestor_in(parent, n, seen) < 0]
    if len(tops) > 1:
        chains = [ancestors(parent, t) for t in tops]
        common = set(chains[0]).intersection(*map(set, chains[1:]))
        if common:
            lca = next(a for a in chains[0] if a in common)
            for chain in chains:
                for a in chain:
                    if a == lca:
                        break
                    if a not in seen:
                        seen.add(a)
                        members.append(a)
            seen.add(lca)
            members.append(lca)
    pos = {n: i for i, n in enumerate(members)}
    if all(ancestor_in(parent, n, seen) < 0 or pos[ancestor_in(parent, n, seen)] < pos[n] for n in members):
        return members
    children = defaultdict(list)
    roots = []
    for n in members:
        a = ancestor_in(parent, n, seen)
        (roots if a < 0 else children[a]).append(n)
    out, stack = [], list(reversed(roots))
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(children[n]))
    return out


def joint_parents(parent: list[int], joints: list[int]) -> list[int]:
    """Parent index of each joint within ``joints`` (-1 for roots)."""
    index = {n: j for j, n in enumerate(joints)}
    out = []
    for n in joints:
        a = ancestor_in(parent, n, index)
        out.append(-1 if a < 0 else index[a])
    return out


def joint_locals(world: Tensor, joints: list[int], parents: list[int]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Joint-local transforms from node world matrices.

    Args:
        world: ``(T, N, 4, 4)`` float64 world matrices of every node (may contain scale).
        joints: the N-indices of the J joints; ``parents``: ``(J,)`` joint parents.

    Returns:
        local rotations ``(T, J, 4)``, local translations ``(T, J, 3)`` (in the unscaled parent
        frame, so world positions are exact), world rotations ``(T, J, 4)`` and world positions
        ``(T, J, 3)``.
    """
    w = world[:, joints]
    pos = w[..., :3, 3]
    rot3 = w[..., :3, :3]
    rot3 = rot3 / rot3.norm(dim=-2, keepdim=True).clamp_min(1e-12)
    det = torch.linalg.det(rot3)
    if (det < 0).any():  # a mirrored frame cannot be a rotation: flip it to the proper one
        rot3 = rot3 * torch.where(det < 0, -1.0, 1.0).to(rot3.dtype)[..., None, None]
    g_rot = matrix_to_quat(rot3)
    local_rot = global_to_local_rotations(parents, g_rot)
    local_t = pos.clone()
    nonroot = [j for j, p in enumerate(parents) if p >= 0]
    if nonroot:
        pj = [parents[j] for j in nonroot]
        local_t[:, nonroot] = quat_apply(quat_conjugate(g_rot[:, pj]), pos[:, nonroot] - pos[:, pj])
    return local_rot, local_t, g_rot, pos


class JointTransformError(ValueError):
    """A joint-local transform that a T·R·S transform cannot hold: ``joint`` is its index in
    the ``joints`` list, ``problem`` says why."""

    def __init__(self, joint: int, problem: str):
        self.joint = joint
        self.problem = problem
        super().__init__(f"joint {joint}: {problem}")


def joint_locals_scaled(world: Tensor, joints: list[int], parents: list[int], tol: float = 1e-6) -> tuple[Tensor, Tensor, Tensor]:
    """Joint-local T·R·S transforms from node world matrices, scale kept.

    ``L_j = inv(W_parent) @ W_j`` (the root's is its world matrix), split into translation,
    rotation and a positive per-axis scale; :func:`anymole.kinematics.forward_kinematics` with
    these scales gives the world positions back.

    Args:
        world: ``(T, N, 4, 4)`` float64 world matrices of every node.
        joints: the N-indices of the J joints; ``parents``: ``(J,)`` joint parents.
        tol: largest allowed deviation of the rotation part from orthonormal.

    Returns:
        local rotations ``(T, J, 4)`` (x, y, z, w), translations ``(T, J, 3)`` in the scaled
        parent frame, scales ``(T, J, 3)``.

    Raises:
        JointTransformError naming the joint (by its index in ``joints``) whose local
        transform has a zero scale, shear or a mirroring, which a T·R·S transform cannot hold.
    """
    w = world[:, joints]
    local = w.clone()
    nonroot = [j for j, p in enumerate(parents) if p >= 0]
    if nonroot:
        pj = [parents[j] for j in nonroot]
        local[:, nonroot] = torch.linalg.inv(w[:, pj]) @ w[:, nonroot]
    a = local[..., :3, :3]
    scales = a.norm(dim=-2)
    if (scales < 1e-12).any():
        raise JointTransformError(int((scales < 1e-12).nonzero()[0, 1]), "a zero scale")
    rot3 = a / scales[..., None, :]
    eye = torch.eye(3, dtype=rot3.dtype)
    bad = ((rot3.transpose(-1, -2) @ rot3 - eye).abs().amax(dim=(-1, -2)) > tol) | (torch.linalg.det(rot3) < 0)
    if bad.any():
        raise JointTransformError(int(bad.nonzero()[0, 1]), "its local transform has shear or a mirroring, which a rest scale cannot hold")
    return matrix_to_quat(rot3), local[..., :3, 3].clone(), scales


def unique_names(raw: list[str], fallback: list[str]) -> list[str]:
    """Joint names: ``raw[i]`` or ``fallback[i]`` when empty, ``_<k>`` appended on repeats."""
    names, used = [], set()
    for r, f in zip(raw, fallback):
        base = r or f
        name, k = base, 2
        while name in used:
            name = f"{base}_{k}"
            k += 1
        used.add(name)
        names.append(name)
    return names
