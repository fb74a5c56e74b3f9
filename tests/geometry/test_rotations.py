"""Rotation maths in float64: round trips, identity and π edge cases, slerp, continuity."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.geometry.rotations import (
    axis_angle_quat,
    euler_to_quat,
    matrix_to_quat,
    matrix_to_sixd,
    quat_align,
    quat_angle,
    quat_apply,
    quat_conjugate,
    quat_identity,
    quat_make_continuous,
    quat_mul,
    quat_normalize,
    quat_positive_w,
    quat_slerp,
    quat_to_euler,
    quat_to_matrix,
    quat_to_rotvec,
    rotvec_to_quat,
    sixd_to_matrix,
)

TAIT_BRYAN = ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"]
PROPER = ["XYX", "XZX", "YXY", "YZY", "ZXZ", "ZYZ"]


@pytest.fixture
def quats() -> torch.Tensor:
    q = quat_normalize(torch.randn(64, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    return quat_positive_w(q)


def _same_rotation(a, b, atol=1e-9):
    return torch.allclose(quat_align(a, b), b, atol=atol)


def test_mul_order_and_apply(quats):
    a, b = quats[:32], quats[32:]
    v = torch.randn(32, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(quat_apply(quat_mul(a, b), v), quat_apply(a, quat_apply(b, v)))
    assert torch.allclose(quat_to_matrix(quat_mul(a, b)), quat_to_matrix(a) @ quat_to_matrix(b))
    assert torch.allclose((quat_to_matrix(a) @ v[..., None])[..., 0], quat_apply(a, v))
    assert _same_rotation(quat_mul(a, quat_conjugate(a)), quat_identity((32,), dtype=torch.float64))
    # 90° about Z takes +X to +Y (right-handed).
    q = axis_angle_quat("Z", torch.tensor(math.pi / 2, dtype=torch.float64))
    assert torch.allclose(quat_apply(q, torch.tensor([1.0, 0, 0], dtype=torch.float64)), torch.tensor([0.0, 1, 0], dtype=torch.float64))


def test_matrix_round_trip(quats):
    m = quat_to_matrix(quats)
    assert torch.allclose(m @ m.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(64, 3, 3), atol=1e-12)
    assert torch.allclose(torch.linalg.det(m), torch.ones(64, dtype=torch.float64))
    back = matrix_to_quat(m)
    assert (back[..., 3] >= 0).all()
    assert torch.allclose(back, quats, atol=1e-12)
    assert torch.allclose(sixd_to_matrix(matrix_to_sixd(m)), m, atol=1e-12)


def test_rotvec_round_trip(quats):
    r = quat_to_rotvec(quats)
    assert (r.norm(dim=-1) <= math.pi + 1e-12).all()
    assert _same_rotation(rotvec_to_quat(r), quats)


def test_identity_and_half_turn_edge_cases():
    ident = quat_identity((2,), dtype=torch.float64)
    assert torch.equal(quat_to_rotvec(ident), torch.zeros(2, 3, dtype=torch.float64))
    assert torch.allclose(rotvec_to_quat(torch.zeros(3, dtype=torch.float64)), ident[0])
    assert torch.allclose(quat_to_matrix(ident), torch.eye(3, dtype=torch.float64).expand(2, 3, 3))
    # π about each axis: w = 0; the rotation vector has length π, the matrix is diag with two -1.
    for i, axis in enumerate("XYZ"):
        q = axis_angle_quat(axis, torch.tensor(math.pi, dtype=torch.float64))
        assert abs(float(q[3])) < 1e-15
        r = quat_to_rotvec(q)
        assert float(r.norm()) == pytest.approx(math.pi) and float(r[i].abs()) == pytest.approx(math.pi)
        d = -torch.ones(3, dtype=torch.float64)
        d[i] = 1
        assert torch.allclose(quat_to_matrix(q), torch.diag(d), atol=1e-12)
        assert _same_rotation(matrix_to_quat(torch.diag(d)), q)
        assert _same_rotation(rotvec_to_quat(r), q)
    # Tiny angles stay accurate.
    r = torch.tensor([1e-9, 0.0, 0.0], dtype=torch.float64)
    assert torch.allclose(quat_to_rotvec(rotvec_to_quat(r)), r, atol=1e-18, rtol=1e-6)


@pytest.mark.parametrize("order", TAIT_BRYAN + PROPER)
def test_euler_round_trip(order, quats):
    assert _same_rotation(euler_to_quat(quat_to_euler(quats, order), order), quats)
    assert _same_rotation(euler_to_quat(quat_to_euler(quats, order, degrees=False), order, degrees=False), quats)


@pytest.mark.parametrize("order", TAIT_BRYAN + PROPER)
def test_euler_is_intrinsic_product(order):
    # R = R_order[0] @ R_order[1] @ R_order[2] (BVH: channels in file order, intrinsic).
    angles = torch.tensor([30.0, 50.0, -70.0], dtype=torch.float64)  # middle angle principal for both kinds
    q = euler_to_quat(angles, order)
    m = torch.eye(3, dtype=torch.float64)
    for axis, a in zip(order, angles):
        m = m @ quat_to_matrix(axis_angle_quat(axis, torch.deg2rad(a)))
    assert torch.allclose(quat_to_matrix(q), m, atol=1e-12)
    # Inside the principal range the angles themselves come back.
    assert torch.allclose(quat_to_euler(q, order), angles, atol=1e-9)


@pytest.mark.parametrize("order", ["XX", "XXY", "XYY", "ABC", "XYZX", ""])
def test_invalid_euler_orders(order):
    with pytest.raises(ValueError, match="invalid Euler order"):
        euler_to_quat(torch.zeros(3), order)


def test_lowercase_order_is_accepted():
    q = euler_to_quat(torch.tensor([10.0, 20.0, 30.0]), "zyx")
    assert torch.allclose(q, euler_to_quat(torch.tensor([10.0, 20.0, 30.0]), "ZYX"))


def test_slerp_endpoints_midpoint_and_short_way(quats):
    a, b = quats[:32], quats[32:]
    assert _same_rotation(quat_slerp(a, b, 0.0), a)
    assert _same_rotation(quat_slerp(a, b, 1.0), b)
    mid = quat_slerp(a, b, 0.5)
    assert torch.allclose(quat_angle(a, mid), quat_angle(mid, b), atol=1e-9)
    assert torch.allclose(2 * quat_angle(a, mid), quat_angle(a, b), atol=1e-9)
    # Opposite-sign input: still the short way (-b is the same rotation as b).
    assert _same_rotation(quat_slerp(a, -b, 0.5), mid)
    # A known value: halfway from 0° to 120° about Y is 60°.
    q0 = quat_identity(dtype=torch.float64)
    q1 = axis_angle_quat("Y", torch.tensor(math.radians(120), dtype=torch.float64))
    assert _same_rotation(quat_slerp(q0, q1, 0.5), axis_angle_quat("Y", torch.tensor(math.radians(60), dtype=torch.float64)))
    # Equal inputs (sin θ = 0) and per-item t.
    assert torch.allclose(quat_slerp(a, a, torch.rand(32, dtype=torch.float64)), a)


def test_quat_angle():
    q0 = quat_identity(dtype=torch.float64)
    q1 = axis_angle_quat("X", torch.tensor(1.0, dtype=torch.float64))
    assert float(quat_angle(q0, q1)) == pytest.approx(1.0)
    assert float(quat_angle(q0, -q1)) == pytest.approx(1.0)
    q = quat_normalize(torch.randn(100, 4, generator=torch.Generator().manual_seed(5)))
    assert float(quat_angle(q, q).max()) < 1e-6  # float32, identical: accurate near zero
    assert float(quat_angle(q, -q).max()) < 1e-6


def test_make_continuous():
    angles = torch.linspace(0, 4 * math.pi, 50, dtype=torch.float64)
    q = axis_angle_quat("Z", angles)  # wraps through w < 0 twice
    flipped = torch.where(torch.arange(50)[:, None] % 3 == 0, -q, q)
    c = quat_make_continuous(flipped[:, None, :], dim=0)[:, 0]
    assert ((c[1:] * c[:-1]).sum(-1) > 0).all()
    assert _same_rotation(c, q)
    assert torch.equal(c[0], flipped[0])  # the first frame keeps its sign
    with pytest.raises(ValueError):
        quat_make_continuous(q, dim=-1)
