"""Engine coordinate conventions: known vectors, round trips, rotation/position consistency."""

from __future__ import annotations

import pytest
import torch

from anymole.errors import ValidationError
from anymole.geometry.frames import (
    BLENDER,
    GLTF,
    UNITY,
    UNREAL,
    Convention,
    convention_from_axes,
    matrices_from_canonical,
    matrices_to_canonical,
    named_convention,
    positions_from_canonical,
    positions_to_canonical,
    quaternions_from_canonical,
    quaternions_to_canonical,
    scales_from_canonical,
    scales_to_canonical,
)
from anymole.geometry.rotations import quat_align, quat_apply, quat_normalize, quat_to_matrix

CUSTOM = Convention("-x", "+y", "left", 0.0254)  # an odd one: X down, Y forward, inches
CONVENTIONS = {"gltf": GLTF, "unity": UNITY, "unreal": UNREAL, "blender": BLENDER, "custom": CUSTOM}

F64 = torch.float64


def _v(*xs):
    return torch.tensor(xs, dtype=F64)


@pytest.mark.parametrize(
    ("conv", "canonical", "expected"),
    [
        (UNITY, (0, 0, 1), (0, 0, 1)),  # forward
        (UNITY, (0, 1, 0), (0, 1, 0)),  # up
        (UNITY, (1, 0, 0), (-1, 0, 0)),  # canonical left is Unity's -X (Unity's +X is right)
        (UNREAL, (0, 0, 1), (100, 0, 0)),  # forward is Unreal +X, centimetres
        (UNREAL, (0, 1, 0), (0, 0, 100)),  # up is Unreal +Z
        (UNREAL, (1, 0, 0), (0, -100, 0)),  # left is Unreal -Y (Unreal +Y is right)
        (BLENDER, (0, 1, 0), (0, 0, 1)),  # Blender is Z-up
        (BLENDER, (0, 0, 1), (0, -1, 0)),  # and its characters face -Y
        (BLENDER, (1, 0, 0), (1, 0, 0)),
        (GLTF, (1, 2, 3), (1, 2, 3)),
    ],
)
def test_known_vectors(conv, canonical, expected):
    assert torch.allclose(positions_from_canonical(_v(*canonical), conv), _v(*expected))
    assert torch.allclose(positions_to_canonical(_v(*expected), conv), _v(*canonical))


def test_handedness_of_the_bases():
    for name, conv in CONVENTIONS.items():
        assert conv.det == (1.0 if conv.handedness == "right" else -1.0), name
        b = conv.basis
        assert torch.allclose(b @ b.T, torch.eye(3, dtype=F64))


@pytest.mark.parametrize("name", CONVENTIONS)
def test_round_trips(name):
    conv = CONVENTIONS[name]
    g = torch.Generator().manual_seed(0)
    p = torch.randn(10, 3, dtype=F64, generator=g)
    q = quat_normalize(torch.randn(10, 4, dtype=F64, generator=g))
    assert torch.allclose(positions_to_canonical(positions_from_canonical(p, conv), conv), p)
    assert torch.allclose(quaternions_to_canonical(quaternions_from_canonical(q, conv), conv), q)
    m = torch.eye(4, dtype=F64).repeat(10, 1, 1)
    m[:, :3, :3] = quat_to_matrix(q)
    m[:, :3, 3] = p
    assert torch.allclose(matrices_to_canonical(matrices_from_canonical(m, conv), conv), m)


@pytest.mark.parametrize("name", CONVENTIONS)
def test_rotating_then_converting_equals_converting_then_rotating(name):
    conv = CONVENTIONS[name]
    g = torch.Generator().manual_seed(1)
    v = torch.randn(20, 3, dtype=F64, generator=g)
    q = quat_normalize(torch.randn(20, 4, dtype=F64, generator=g))
    lhs = positions_from_canonical(quat_apply(q, v), conv)
    rhs = quat_apply(quaternions_from_canonical(q, conv), positions_from_canonical(v, conv))
    assert torch.allclose(lhs, rhs)
    # Converted quaternions stay unit quaternions (a proper rotation, even for a reflection).
    assert torch.allclose(quaternions_from_canonical(q, conv).norm(dim=-1), torch.ones(20, dtype=F64))


@pytest.mark.parametrize("name", CONVENTIONS)
def test_matrices_agree_with_positions_and_quaternions(name):
    conv = CONVENTIONS[name]
    g = torch.Generator().manual_seed(2)
    q = quat_normalize(torch.randn(5, 4, dtype=F64, generator=g))
    p = torch.randn(5, 3, dtype=F64, generator=g)
    m = torch.eye(4, dtype=F64).repeat(5, 1, 1)
    m[:, :3, :3] = quat_to_matrix(q)
    m[:, :3, 3] = p
    out = matrices_from_canonical(m, conv)
    assert torch.allclose(out[:, :3, :3], quat_to_matrix(quaternions_from_canonical(q, conv)))
    assert torch.allclose(out[:, :3, 3], positions_from_canonical(p, conv))
    assert torch.allclose(torch.linalg.det(out[:, :3, :3]), torch.ones(5, dtype=F64))
    # Transforming a point with the matrix commutes with the conversion.
    x = torch.randn(5, 3, dtype=F64, generator=g)
    world = (m[:, :3, :3] @ x[..., None])[..., 0] + m[:, :3, 3]
    conv_world = (out[:, :3, :3] @ positions_from_canonical(x, conv)[..., None])[..., 0] + out[:, :3, 3]
    assert torch.allclose(positions_from_canonical(world, conv), conv_world)


def test_unity_yaw_flips_sign():
    # A +90° turn about canonical up (+Y: forward +Z → left +X) is, seen in Unity's left-handed
    # frame, forward +Z → Unity -X: Unity reports it as -90° about its +Y.
    from anymole.geometry.rotations import axis_angle_quat

    q = axis_angle_quat("Y", torch.tensor(torch.pi / 2, dtype=F64))
    expected = axis_angle_quat("Y", torch.tensor(-torch.pi / 2, dtype=F64))
    assert torch.allclose(quat_align(quaternions_from_canonical(q, UNITY), expected), expected)


def test_named_and_from_axes():
    assert named_convention("Unity") is UNITY
    assert named_convention("canonical") == GLTF
    assert convention_from_axes("+z", "+x", "left", 0.01) == UNREAL
    assert torch.equal(convention_from_axes("y", "z").basis, GLTF.basis)  # bare axis names mean +


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(up="+w"), "convention.up"),
        (dict(forward="up"), "convention.forward"),
        (dict(up="+y", forward="-y"), "convention.forward"),
        (dict(handedness="ambi"), "convention.handedness"),
        (dict(unit_m=0.0), "convention.unit_m"),
        (dict(unit_m=float("inf")), "convention.unit_m"),
        (dict(unit_m=float("nan")), "convention.unit_m"),
    ],
)
def test_invalid_conventions(kwargs, field):
    with pytest.raises(ValidationError) as exc:
        Convention(**kwargs)
    assert exc.value.field == field


def test_unknown_name():
    with pytest.raises(ValidationError, match="unknown convention 'maya'"):
        named_convention("maya")


def test_convention_spellings_compare_equal():
    from anymole.geometry.frames import Convention

    assert Convention(up="Y", forward="z") == Convention(up="+y", forward="+z")
    assert hash(Convention(up=" -Z ", forward="+x", handedness="left")) == hash(Convention(up="-z", forward="+x", handedness="left"))
    assert Convention(up="+y", unit_m=1) != Convention(up="+y", unit_m=0.01)


@pytest.mark.parametrize("name", CONVENTIONS)
def test_scale_round_trips_and_permutes_without_signs(name):
    conv = CONVENTIONS[name]
    s = torch.rand(10, 3, dtype=F64, generator=torch.Generator().manual_seed(3)) + 0.5
    assert torch.allclose(scales_to_canonical(scales_from_canonical(s, conv), conv), s)
    out = scales_from_canonical(s, conv)
    assert (out > 0).all()  # no sign flips, no unit change: the same numbers, permuted
    assert torch.allclose(out.sort(dim=-1).values, s.sort(dim=-1).values)


def test_scale_known_axes():
    s = _v(2.0, 3.0, 4.0)  # canonical (left, up, forward)
    assert torch.equal(scales_from_canonical(s, UNREAL), _v(4.0, 2.0, 3.0))  # Unreal (X fwd, Y right, Z up)
    assert torch.equal(scales_from_canonical(s, UNITY), s)
    assert torch.equal(scales_from_canonical(s, BLENDER), _v(2.0, 4.0, 3.0))  # Blender (X, Y back, Z up)


@pytest.mark.parametrize("name", CONVENTIONS)
def test_scaled_forward_kinematics_commutes_with_the_conversion(name):
    # A scaled chain converted joint by joint (offsets as positions, rotations as rotations,
    # scales permuted) has the converted global positions of the original.
    from anymole.kinematics import forward_kinematics

    conv = CONVENTIONS[name]
    g = torch.Generator().manual_seed(4)
    parents = [-1, 0, 1, 2]
    rot = quat_normalize(torch.randn(4, 4, dtype=F64, generator=g))
    trans = torch.randn(4, 3, dtype=F64, generator=g)
    scales = torch.rand(4, 3, dtype=F64, generator=g) + 0.5
    _, pos = forward_kinematics(parents, rot, trans, scales)
    _, pos_conv = forward_kinematics(
        parents,
        quaternions_from_canonical(rot, conv),
        positions_from_canonical(trans, conv),
        scales_from_canonical(scales, conv),
    )
    assert torch.allclose(pos_conv, positions_from_canonical(pos, conv))
