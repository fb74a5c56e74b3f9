"""InbetweenProblem and the two baselines (zero_velocity, interpolation)."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.errors import ValidationError
from anymole.geometry.rotations import axis_angle_quat, quat_angle
from anymole.inbetween import METHODS, InbetweenProblem, interpolation, solve, zero_velocity
from anymole.motion import Motion
from anymole.skeleton import Skeleton


@pytest.fixture
def line() -> tuple[Skeleton, Motion]:
    """One root joint translating along +X by 1 per frame and turning about Y by 0.1 rad per frame."""
    T = 11
    sk = Skeleton(("root",), torch.tensor([-1]), torch.zeros(1, 3))
    t = torch.arange(T, dtype=torch.float32)
    rot = axis_angle_quat("Y", 0.1 * t)[:, None]
    trans = torch.stack([t, torch.zeros(T), torch.zeros(T)], dim=-1)[:, None]
    return sk, Motion(rot, trans, 30.0)


def test_problem_validation(line):
    sk, m = line
    with pytest.raises(ValidationError, match="first frame must be known"):
        InbetweenProblem(sk, m, torch.tensor([False] + [True] * 10))
    with pytest.raises(ValidationError, match="last frame must be known"):
        InbetweenProblem(sk, m, torch.tensor([True] * 10 + [False]))
    with pytest.raises(ValidationError, match=r"expected shape \(11,\)"):
        InbetweenProblem(sk, m, torch.ones(10, dtype=torch.bool))
    with pytest.raises(ValidationError, match="joints"):
        InbetweenProblem(Skeleton(("a", "b"), [-1, 0], torch.zeros(2, 3)), m, torch.ones(11, dtype=torch.bool))
    with pytest.raises(ValidationError, match="needs 12 frames"):
        InbetweenProblem.from_window(sk, m, context=5, gap=6)


def test_gaps_and_from_window(line):
    sk, m = line
    known = torch.tensor([1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1], dtype=torch.bool)
    assert InbetweenProblem(sk, m, known).gaps() == [(1, 3), (5, 6), (8, 10)]
    p = InbetweenProblem.from_window(sk, m, context=4, gap=3)
    assert p.num_frames == 8
    assert p.known.tolist() == [True] * 4 + [False] * 3 + [True]
    assert p.gaps() == [(4, 7)]


def test_zero_velocity_holds_the_last_known_pose(line):
    sk, m = line
    p = InbetweenProblem.from_window(sk, m, context=3, gap=6)
    out = zero_velocity(p)
    assert torch.equal(out.translations[3:9], m.translations[2].expand(6, 1, 3))
    assert torch.equal(out.rotations[3:9], m.rotations[2].expand(6, 1, 4))
    assert torch.equal(out.translations[9], m.translations[9])


def test_interpolation_is_lerp_and_slerp(line):
    sk, m = line
    p = InbetweenProblem.from_window(sk, m, context=2, gap=8)  # frames 2..9 unknown, 1 and 10 known
    out = interpolation(p)
    # Linear motion at constant angular speed: interpolation recovers it exactly.
    assert torch.allclose(out.translations, m.translations, atol=1e-5)
    assert quat_angle(out.rotations, m.rotations).max() < 1e-3
    assert torch.equal(out.rotations[:2], m.rotations[:2]) and torch.equal(out.rotations[10], m.rotations[10])


def test_interpolation_takes_the_short_way_and_every_joint():
    # A 270° turn about Y is the same as -90°: slerp goes the short way (midpoint at -45°).
    sk = Skeleton(("root", "pelvis"), [-1, 0], torch.tensor([[0.0, 0, 0], [0, 1, 0]]))
    rot = torch.zeros(3, 2, 4)
    rot[..., 3] = 1
    rot[2, 0] = axis_angle_quat("Y", torch.tensor(1.5 * math.pi))
    trans = torch.tensor([[0.0, 0, 0], [0, 1, 0]]).expand(3, 2, 3).clone()
    trans[2, 1] = torch.tensor([0.0, 1, 2])  # the pelvis moves under a static root
    p = InbetweenProblem(sk, Motion(rot, trans, 30.0), torch.tensor([True, False, True]))
    out = solve("interpolation", p)
    assert quat_angle(out.rotations[1, 0], axis_angle_quat("Y", torch.tensor(-0.25 * math.pi))) < 1e-5
    assert torch.allclose(out.translations[1, 1], torch.tensor([0.0, 1, 1]))


def test_solve_unknown_method(line):
    sk, m = line
    with pytest.raises(ValidationError, match="unknown classical method"):
        solve("nope", InbetweenProblem.from_window(sk, m, 2, 2))
    assert {"zero_velocity", "interpolation", "spline"} <= set(METHODS)
