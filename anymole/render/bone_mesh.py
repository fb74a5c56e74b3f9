"""A renderable mesh built from a skeleton, for characters that have no skin of their own.

Every bone (parent ``p`` → child ``j``, skipped when shorter than ``1e-6 · size``) becomes an
octahedral "Blender bone": a point at each joint and a square ring a fifth of the way along;
every joint gets a small icosahedron. Bones are rigidly bound to their parent ``p`` (weight 1),
joint spheres to their own joint, and the inverse bind matrices are those of the rest pose, so
the mesh goes through the same :func:`anymole.render.skinning.skin_vertices` path as a real
skin. Bone ``p → j`` and the sphere at ``j`` are coloured ``joint_palette(J)[j]``, so each
joint's colour marks the limb it drives.

Sizes are fractions of :attr:`anymole.skeleton.Skeleton.size` (the largest rest-pose joint
distance); a bone's radius is also capped at ``0.3 ·`` its length so that short bones (fingers)
stay slender.
"""

from __future__ import annotations

import colorsys
import math
import weakref

import torch
from torch import Tensor

from anymole.render.skinning import joint_matrices
from anymole.kinematics import forward_kinematics
from anymole.skeleton import Skeleton, SkinnedMesh

__all__ = ["joint_palette", "bone_mesh", "mesh_for", "joint_colors"]

_GOLDEN = 0.618033988749895


def joint_palette(num_joints: int) -> Tensor:
    """``(J, 3)`` distinct RGB colours in [0, 1], fixed for a given ``J``: hues step by the
    golden ratio, saturation and value alternate so that neighbours differ in brightness too."""
    cols = []
    for i in range(num_joints):
        h = (0.05 + i * _GOLDEN) % 1.0
        s = (0.85, 0.55, 0.7)[i % 3]
        v = (0.95, 0.75, 0.6)[(i // 3) % 3]
        cols.append(colorsys.hsv_to_rgb(h, s, v))
    return torch.tensor(cols, dtype=torch.float32).reshape(num_joints, 3)


def joint_colors(mesh: SkinnedMesh) -> Tensor:
    """``(N, 3)`` per-vertex colours blended from the joint palette by the skinning weights (for
    meshes that carry no colours of their own)."""
    pal = joint_palette(int(mesh.inverse_bind_matrices.shape[0]))
    return (pal[mesh.joint_indices] * mesh.joint_weights.unsqueeze(-1)).sum(1).clamp(0.0, 1.0)


def _icosahedron() -> tuple[Tensor, Tensor]:
    t = (1.0 + math.sqrt(5.0)) / 2.0
    v = torch.tensor(
        [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
         [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]],
        dtype=torch.float64,
    )
    f = torch.tensor(
        [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4],
         [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8],
         [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
    )
    return v / v.norm(dim=-1, keepdim=True), f


def _perpendicular(d: Tensor) -> tuple[Tensor, Tensor]:
    """Two unit vectors perpendicular to unit ``d (3,)`` and to each other."""
    a = torch.tensor([1.0, 0.0, 0.0], dtype=d.dtype) if abs(float(d[0])) < 0.9 else torch.tensor([0.0, 1.0, 0.0], dtype=d.dtype)
    u = torch.linalg.cross(d, a)
    u = u / u.norm()
    return u, torch.linalg.cross(d, u)


def _orient_outward(v: Tensor, f: Tensor) -> Tensor:
    """Flip faces of the convex piece ``v (n, 3)``, ``f (m, 3)`` so that they wind
    counter-clockwise seen from outside."""
    c = v.mean(0)
    tri = v[f]
    n = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    out = ((tri.mean(1) - c) * n).sum(-1) < 0
    return torch.where(out.unsqueeze(-1), f[:, [0, 2, 1]], f)


def bone_mesh(skeleton: Skeleton, *, bone_radius: float = 0.025, joint_radius: float = 0.02) -> SkinnedMesh:
    """A :class:`SkinnedMesh` of octahedral bones and joint spheres in the rest pose.

    Args:
        skeleton: any skeleton (its own mesh, if any, is ignored).
        bone_radius: ring radius of a bone as a fraction of ``skeleton.size`` (capped at 0.3 ×
            the bone's length).
        joint_radius: sphere radius as a fraction of ``skeleton.size``.
    """
    J = skeleton.num_joints
    size = skeleton.size
    g_rot, g_pos = forward_kinematics(skeleton.parents, skeleton.rest_rotations.double(), skeleton.offsets.double())
    pos = g_pos
    palette = joint_palette(J).double()
    ico_v, ico_f = _icosahedron()
    verts, faces, joints, colors = [], [], [], []
    n = 0

    def add(v: Tensor, f: Tensor, joint: int, color_joint: int) -> None:
        nonlocal n
        verts.append(v)
        faces.append(_orient_outward(v, f) + n)
        joints.append(torch.full((v.shape[0],), joint, dtype=torch.int64))
        colors.append(palette[color_joint].expand(v.shape[0], 3))
        n += v.shape[0]

    ring_f = torch.tensor([[0, 2, 3], [0, 3, 4], [0, 4, 5], [0, 5, 2], [1, 3, 2], [1, 4, 3], [1, 5, 4], [1, 2, 5]])
    for j, p in enumerate(skeleton.parents.tolist()):
        if p >= 0:
            head, tail = pos[p], pos[j]
            length = float((tail - head).norm())
            if length > 1e-6 * size:
                d = (tail - head) / length
                u, w = _perpendicular(d)
                r = min(bone_radius * size, 0.3 * length)
                mid = head + 0.2 * length * d
                ring = torch.stack([mid + r * u, mid + r * w, mid - r * u, mid - r * w])
                add(torch.cat([head[None], tail[None], ring]), ring_f, p, j)
        add(pos[j] + joint_radius * size * ico_v, ico_f, j, j)

    vertices = torch.cat(verts)
    joint_idx = torch.cat(joints).unsqueeze(-1)
    ibm = torch.linalg.inv(joint_matrices(g_rot, g_pos))
    return SkinnedMesh(
        vertices.float(),
        torch.cat(faces),
        joint_idx,
        torch.ones(vertices.shape[0], 1),
        ibm.float(),
        colors=torch.cat(colors).float(),
    )


_cache: "weakref.WeakKeyDictionary[Skeleton, SkinnedMesh]" = weakref.WeakKeyDictionary()


def mesh_for(skeleton: Skeleton) -> SkinnedMesh:
    """The skeleton's own mesh, or its :func:`bone_mesh` (built once per skeleton object)."""
    if skeleton.mesh is not None:
        return skeleton.mesh
    mesh = _cache.get(skeleton)
    if mesh is None:
        mesh = _cache[skeleton] = bone_mesh(skeleton)
    return mesh
