"""Forward kinematics on hand-checkable chains; batching; gradients; the rotation inverse;
rest scales composed as T·R·S matrices."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.geometry.rotations import axis_angle_quat, quat_identity, quat_normalize
from anymole.geometry.rotations import quat_to_matrix
from anymole.kinematics import forward_kinematics, global_matrices, global_to_local_rotations
from anymole.skeleton import Skeleton
from anymole.testing.procedural import make_character


def _z(deg: float, dtype=torch.float32) -> torch.Tensor:
    return axis_angle_quat("Z", torch.tensor(math.radians(deg), dtype=dtype))


def test_chain_rest_pose(chain4):
    rot = quat_identity((4,))
    g_rot, g_pos = forward_kinematics(chain4.parents, rot, chain4.offsets)
    assert torch.allclose(g_pos, torch.tensor([[0.0, 0, 0], [0, 1, 0], [0, 3, 0], [0, 6, 0]]))
    assert torch.equal(g_rot, rot)


def test_chain_known_answers(chain4):
    # Bones along +Y of length 1, 2, 3. Root turns 90° about Z (+Y → -X); joint b turns a
    # further 90° (-X → -Y); joint c turns back -90° (→ -X). Root moved to (5, 0, 0).
    rot = torch.stack([_z(90), _z(90), _z(-90), _z(30)])
    trans = chain4.offsets.clone()
    trans[0] = torch.tensor([5.0, 0, 0])
    g_rot, g_pos = forward_kinematics(chain4.parents, rot, trans)
    # a at (5,0,0); b = a + R(90)(0,1,0) = (4,0,0); c = b + R(180)(0,2,0) = (4,-2,0);
    # d = c + R(90)(0,3,0) = (1,-2,0).
    assert torch.allclose(g_pos, torch.tensor([[5.0, 0, 0], [4, 0, 0], [4, -2, 0], [1, -2, 0]]), atol=1e-5)
    # Global rotations accumulate: 90, 180, 90, 120 degrees about Z.
    for j, deg in enumerate([90, 180, 90, 120]):
        assert torch.allclose(g_rot[j], _z(deg), atol=1e-6) or torch.allclose(g_rot[j], -_z(deg), atol=1e-6)


def test_sinusoid_chain_known_answer(chain4):
    # The 4-joint sinusoid: every joint bends θ(t) = 0.5 sin(t) about Z. The end effector is at
    # 1·(−sin θ, cos θ) + 2·(−sin 2θ, cos 2θ) + 3·(−sin 3θ, cos 3θ) relative to the root.
    t = torch.linspace(0, 2 * math.pi, 9, dtype=torch.float64)
    theta = 0.5 * torch.sin(t)
    rot = axis_angle_quat("Z", theta[:, None].expand(9, 4))
    _, g_pos = forward_kinematics(chain4.parents, rot, chain4.offsets.double())
    expect_x = -(torch.sin(theta) + 2 * torch.sin(2 * theta) + 3 * torch.sin(3 * theta))
    expect_y = torch.cos(theta) + 2 * torch.cos(2 * theta) + 3 * torch.cos(3 * theta)
    assert torch.allclose(g_pos[:, 3, 0], expect_x) and torch.allclose(g_pos[:, 3, 1], expect_y)


def test_batched_equals_per_item():
    skeleton, motion = make_character("spider", num_frames=12)
    B = 3
    g = torch.Generator().manual_seed(0)
    rot = quat_normalize(motion.rotations + 0.1 * torch.randn(B, 12, skeleton.num_joints, 4, generator=g))
    trans = motion.translations + 0.01 * torch.randn(B, 12, skeleton.num_joints, 3, generator=g)
    g_rot, g_pos = forward_kinematics(skeleton.parents, rot, trans)
    assert g_rot.shape == (B, 12, skeleton.num_joints, 4)
    for b in range(B):
        for t in (0, 11):
            r, p = forward_kinematics(skeleton.parents, rot[b, t], trans[b, t])
            assert torch.allclose(g_rot[b, t], r, atol=1e-6) and torch.allclose(g_pos[b, t], p, atol=1e-6)
    # Broadcasting: one set of offsets for every frame.
    _, p_bc = forward_kinematics(skeleton.parents, rot[0], skeleton.offsets)
    _, p_full = forward_kinematics(skeleton.parents, rot[0], skeleton.offsets.expand(12, -1, -1))
    assert torch.allclose(p_bc, p_full)


def test_gradcheck_tiny_chain():
    parents = torch.tensor([-1, 0, 1])
    g = torch.Generator().manual_seed(1)
    rot = quat_normalize(torch.randn(2, 3, 4, generator=g, dtype=torch.float64)).requires_grad_()
    trans = torch.randn(2, 3, 3, generator=g, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda r, t: forward_kinematics(parents, r, t), (rot, trans))


def test_global_to_local_inverts_fk(character):
    skeleton, motion = character
    g_rot, _ = forward_kinematics(skeleton.parents, motion.rotations, motion.translations)
    local = global_to_local_rotations(skeleton.parents, g_rot)
    dots = (local * motion.rotations).sum(-1).abs()
    assert torch.allclose(dots, torch.ones(()), atol=1e-5)


def test_fk_needs_no_sorted_batch_order():
    # A tree with two roots and branches: each root's subtree is placed from its own origin.
    parents = torch.tensor([-1, 0, -1, 2, 0])
    offsets = torch.tensor([[0.0, 0, 0], [1, 0, 0], [10, 0, 0], [0, 1, 0], [0, 0, 1]])
    _, pos = forward_kinematics(parents, quat_identity((5,)), offsets)
    assert torch.allclose(pos, torch.tensor([[0.0, 0, 0], [1, 0, 0], [10, 0, 0], [10, 1, 0], [0, 0, 1]]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_is_kept(chain4, dtype):
    g_rot, g_pos = forward_kinematics(chain4.parents, quat_identity((4,), dtype=dtype), chain4.offsets.to(dtype))
    assert g_rot.dtype == dtype and g_pos.dtype == dtype


# -- rest scales ------------------------------------------------------------------------------


def _reference_matrices(parents, rot, trans, scales):
    """Full 4×4 T·R·S products, parent first, one joint at a time (float64, unbatched)."""
    J = len(parents)
    out = []
    for j in range(J):
        local = torch.eye(4, dtype=torch.float64)
        local[:3, :3] = quat_to_matrix(rot[j]) @ torch.diag(scales[j])
        local[:3, 3] = trans[j]
        out.append(local if parents[j] < 0 else out[parents[j]] @ local)
    return torch.stack(out)


def test_parent_scale_two_doubles_the_child_position():
    parents = [-1, 0]
    offsets = torch.tensor([[0.0, 0, 0], [0, 1, 0]])
    scales = torch.tensor([[2.0, 2, 2], [1, 1, 1]])
    g_rot, pos = forward_kinematics(parents, quat_identity((2,)), offsets, scales)
    assert torch.allclose(pos, torch.tensor([[0.0, 0, 0], [0, 2, 0]]))
    assert torch.equal(g_rot, quat_identity((2,)))
    # A joint's own scale stretches its children, not its own offset.
    _, pos = forward_kinematics(parents, quat_identity((2,)), offsets, torch.tensor([[1.0, 1, 1], [5, 5, 5]]))
    assert torch.allclose(pos, torch.tensor([[0.0, 0, 0], [0, 1, 0]]))


def test_uniform_scale_equals_scaled_offsets(chain4):
    # Uniform scales are a length change: the unscaled chain with each offset multiplied by
    # the product of its ancestors' scales, and the same global rotations.
    g = torch.Generator().manual_seed(5)
    rot = quat_normalize(torch.randn(7, 4, 4, dtype=torch.float64, generator=g))
    s = torch.tensor([2.0, 0.5, 3.0, 7.0], dtype=torch.float64)
    scales = s[:, None].expand(4, 3)
    acc = torch.cumprod(torch.cat([torch.ones(1, dtype=torch.float64), s[:-1]]), 0)  # ancestors' product
    r1, p1 = forward_kinematics(chain4.parents, rot, chain4.offsets.double(), scales)
    r0, p0 = forward_kinematics(chain4.parents, rot, chain4.offsets.double() * acc[:, None])
    assert torch.allclose(p1, p0) and torch.allclose(r1, r0)


def test_non_uniform_parent_scale_under_a_rotated_child():
    # Root scaled (2, 1, 1); the child turns 90° about Z, so its bone (0, 1, 0) points along
    # the parent's -X and is stretched ×2: the grandchild lands at (-2, 0.5, 0). (Scaling in
    # the child's own axes, Unreal's FTransform way, would give (-1, 0.5, 0).)
    parents = [-1, 0, 1]
    rot = torch.stack([quat_identity(()), _z(90), quat_identity(())])
    offsets = torch.tensor([[0.0, 0, 0], [0, 0.5, 0], [0, 1, 0]])
    scales = torch.tensor([[2.0, 1, 1], [1, 1, 1], [1, 1, 1]])
    _, pos = forward_kinematics(parents, rot, offsets, scales)
    assert torch.allclose(pos, torch.tensor([[0.0, 0, 0], [0, 0.5, 0], [-2, 0.5, 0]]), atol=1e-6)


def test_scaled_positions_match_full_matrix_products():
    skeleton, motion = make_character("spider", num_frames=3)
    g = torch.Generator().manual_seed(6)
    J = skeleton.num_joints
    rot = motion.rotations.double()
    trans = motion.translations.double()
    scales = torch.rand(J, 3, dtype=torch.float64, generator=g) * 1.5 + 0.5
    parents = skeleton.parents.tolist()
    _, pos = forward_kinematics(parents, rot, trans, scales)
    G = global_matrices(parents, rot, trans, scales)
    for t in range(3):
        ref = _reference_matrices(parents, rot[t], trans[t], scales)
        assert torch.allclose(G[t], ref, atol=1e-10)
        assert torch.allclose(pos[t], ref[:, :3, 3], atol=1e-10)
    # Rotations are the chain of local rotations, so the rotation inverse is still exact.
    g_rot, _ = forward_kinematics(parents, rot, trans, scales)
    local = global_to_local_rotations(parents, g_rot)
    assert torch.allclose((local * rot).sum(-1).abs(), torch.ones((), dtype=torch.float64))


def test_unit_scales_take_the_unscaled_path_bit_for_bit():
    skeleton, motion = make_character("quadruped", num_frames=5)
    r0, p0 = forward_kinematics(skeleton.parents, motion.rotations, motion.translations)
    r1, p1 = forward_kinematics(skeleton.parents, motion.rotations, motion.translations, torch.ones(skeleton.num_joints, 3))
    assert torch.equal(r0, r1) and torch.equal(p0, p1)
    sk1 = Skeleton(skeleton.names, skeleton.parents, skeleton.offsets, skeleton.rest_rotations, rest_scales=torch.ones(skeleton.num_joints, 3))
    assert torch.equal(motion.global_positions(sk1), p0)
    assert torch.equal(sk1.rest_positions, skeleton.rest_positions)
    G = global_matrices(skeleton.parents, motion.rotations, motion.translations)
    assert torch.equal(G[..., :3, 3], p0)


def test_scaled_fk_is_batched_and_differentiable():
    parents = torch.tensor([-1, 0, 1])
    g = torch.Generator().manual_seed(7)
    rot = quat_normalize(torch.randn(2, 3, 4, generator=g, dtype=torch.float64)).requires_grad_()
    trans = torch.randn(2, 3, 3, generator=g, dtype=torch.float64).requires_grad_()
    scales = (torch.rand(3, 3, generator=g, dtype=torch.float64) + 0.5).requires_grad_()
    assert torch.autograd.gradcheck(lambda r, t, s: forward_kinematics(parents, r, t, s), (rot, trans, scales))
    # Gradients reach the scales even where they are exactly 1.
    ones = torch.ones(3, 3, dtype=torch.float64, requires_grad=True)
    forward_kinematics(parents, rot, trans, ones)[1].sum().backward()
    assert ones.grad is not None and ones.grad[:2].abs().sum() > 0
    # Per-frame (T, J, 3) scales broadcast like the rest.
    _, p = forward_kinematics(parents, rot.detach(), trans.detach(), scales.detach().expand(2, 3, 3))
    _, p_ref = forward_kinematics(parents, rot.detach(), trans.detach(), scales.detach())
    assert torch.allclose(p, p_ref)
