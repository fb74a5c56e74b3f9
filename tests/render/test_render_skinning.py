"""Linear blend skinning and the skeleton-built bone mesh."""

from __future__ import annotations

import math

import torch

from anymole.geometry.rotations import axis_angle_quat, quat_to_matrix
from anymole.kinematics import forward_kinematics
from anymole.motion import Motion
from anymole.render.bone_mesh import bone_mesh, joint_palette, mesh_for
from anymole.render.skinning import joint_matrices, skin_vertices
from anymole.skeleton import SkinnedMesh


def random_skin(skeleton, n=40, k=3, seed=0) -> SkinnedMesh:
    g = torch.Generator().manual_seed(seed)
    g_rot, g_pos = forward_kinematics(skeleton.parents, skeleton.rest_rotations, skeleton.offsets)
    verts = torch.randn(n, 3, generator=g) * 0.3 + torch.tensor([0.0, 1.0, 0.0])
    ji = torch.randint(0, skeleton.num_joints, (n, k), generator=g)
    jw = torch.rand(n, k, generator=g) + 0.05
    faces = torch.arange(n - n % 3).reshape(-1, 3)
    return SkinnedMesh(verts, faces, ji, jw, torch.linalg.inv(joint_matrices(g_rot, g_pos)))


def test_rest_pose_reproduces_bind_vertices(stick):
    mesh = random_skin(stick)
    g_rot, g_pos = forward_kinematics(stick.parents, stick.rest_rotations.double(), stick.offsets.double())
    out = skin_vertices(mesh, g_rot, g_pos)
    assert out.dtype == torch.float64
    assert torch.allclose(out, mesh.vertices.double(), atol=1e-6)


def test_rigid_root_rotation_moves_every_vertex_rigidly(stick):
    mesh = random_skin(stick)
    m = Motion.rest(stick, 2)
    rot = m.rotations.clone()
    rot[1, 0] = axis_angle_quat("Y", torch.tensor(math.pi / 2))
    trans = m.translations.clone()
    trans[1, 0] += torch.tensor([0.5, 0.0, 0.0])
    g_rot, g_pos = forward_kinematics(stick.parents, rot, trans)
    out = skin_vertices(mesh, g_rot, g_pos)  # (2, N, 3), batched over frames
    hips = stick.offsets[0]
    R = quat_to_matrix(axis_angle_quat("Y", torch.tensor(math.pi / 2)))
    want = (mesh.vertices - hips) @ R.T + hips + torch.tensor([0.5, 0.0, 0.0])
    assert torch.allclose(out[1], want, atol=1e-5)
    assert torch.allclose(out[0], mesh.vertices, atol=1e-5)


def test_bone_mesh_rest_pose_and_colours(stick):
    mesh = bone_mesh(stick)
    assert mesh.colors is not None and mesh.colors.shape == (mesh.num_vertices, 3)
    assert mesh.joint_indices.shape == (mesh.num_vertices, 1)
    g_rot, g_pos = forward_kinematics(stick.parents, stick.rest_rotations, stick.offsets)
    assert torch.allclose(skin_vertices(mesh, g_rot, g_pos), mesh.vertices, atol=1e-5)
    # Closed, outward-facing pieces: positive total signed volume.
    tri = mesh.vertices.double()[mesh.faces]
    volume = (tri[:, 0] * torch.linalg.cross(tri[:, 1], tri[:, 2])).sum() / 6
    assert volume > 0
    pal = joint_palette(stick.num_joints)
    assert torch.cdist(pal, pal).add(torch.eye(stick.num_joints)).min() > 0.05  # distinct
    assert mesh_for(stick) is mesh_for(stick)


def test_bone_mesh_moves_rigidly_with_its_bone(stick):
    mesh = bone_mesh(stick)
    arm = stick.index("l_arm")
    m = Motion.rest(stick, 2)
    rot = m.rotations.clone()
    rot[1, arm] = axis_angle_quat("Z", torch.tensor(0.8))
    g_rot, g_pos = forward_kinematics(stick.parents, rot, m.translations)
    out = skin_vertices(mesh, g_rot, g_pos)
    bound = mesh.joint_indices[:, 0]
    # Vertices bound to the arm (the l_arm → l_hand bone) follow the arm's rigid motion ...
    sel = bound == arm
    assert sel.sum() >= 6
    delta = joint_matrices(g_rot[1, arm], g_pos[1, arm]) @ torch.linalg.inv(joint_matrices(g_rot[0, arm], g_pos[0, arm]))
    want = mesh.vertices[sel] @ delta[:3, :3].T + delta[:3, 3]
    assert torch.allclose(out[1, sel], want, atol=1e-5)
    assert not torch.allclose(out[1, sel], out[0, sel], atol=1e-3)
    # ... and the other side's bones stay put.
    still = bound == stick.index("r_arm")
    assert torch.allclose(out[1, still], out[0, still], atol=1e-6)


def test_single_joint_skeleton_gets_a_sphere():
    from anymole.skeleton import Skeleton

    sk = Skeleton(("only",), torch.tensor([-1]), torch.zeros(1, 3))
    mesh = bone_mesh(sk)
    assert mesh.faces.shape[0] == 20
