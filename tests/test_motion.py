"""Motion validation, slicing and resampling."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.errors import ValidationError
from anymole.geometry.rotations import axis_angle_quat, quat_conjugate, quat_mul, quat_to_rotvec


def quat_angle(a, b):
    """Angle between rotations, accurate for tiny angles (float32 acos is not)."""
    return quat_to_rotvec(quat_mul(quat_conjugate(a.double()), b.double())).norm(dim=-1)
from anymole.motion import Motion
from anymole.skeleton import Skeleton


def _turning(T: int = 31, fps: float = 30.0) -> Motion:
    """Two joints; the root turns about Y at 1 rad/s and moves along +X at 2 units/s."""
    t = torch.arange(T, dtype=torch.float64) / fps
    rot = torch.zeros(T, 2, 4)
    rot[..., 3] = 1
    rot[:, 0] = axis_angle_quat("Y", t).float()
    trans = torch.zeros(T, 2, 3)
    trans[:, 0, 0] = 2 * t.float()
    trans[:, 1, 1] = 1.0
    return Motion(rot, trans, fps)


@pytest.mark.parametrize(
    ("rot", "trans", "fps", "field", "message"),
    [
        (torch.zeros(2, 3, 4), torch.zeros(2, 3, 3), 30, "motion.rotations", "zero-length quaternion"),
        (torch.ones(2, 3, 4), torch.zeros(2, 2, 3), 30, "motion.translations", "does not match rotations"),
        (torch.ones(0, 3, 4), torch.zeros(0, 3, 3), 30, "motion.rotations", "no frames"),
        (torch.ones(2, 3, 3), torch.zeros(2, 3, 3), 30, "motion.rotations", "expected shape"),
        (torch.ones(2, 3, 4), torch.full((2, 3, 3), math.nan), 30, "motion.translations", "NaN"),
        (torch.ones(2, 3, 4), torch.zeros(2, 3, 3), 0, "motion.fps", "positive"),
        (torch.ones(2, 3, 4), torch.zeros(2, 3, 3), math.inf, "motion.fps", "positive"),
    ],
)
def test_validation(rot, trans, fps, field, message):
    with pytest.raises(ValidationError, match=message) as exc:
        Motion(rot, trans, fps)
    assert exc.value.field == field


def test_normalises_and_keeps_unit_quaternions_bit_exact():
    q = torch.tensor([[[0.0, 0.6, 0.0, 0.8]]])
    m = Motion(q, torch.zeros(1, 1, 3), 30)
    assert torch.equal(m.rotations, q)
    m2 = Motion(2 * q, torch.zeros(1, 1, 3), 30)
    assert torch.allclose(m2.rotations, q)


def test_queries_and_skeleton_check():
    m = _turning()
    assert (m.num_frames, m.num_joints, m.duration_s) == (31, 2, pytest.approx(1.0))
    sk = Skeleton(("r", "c"), [-1, 0], torch.tensor([[0.0, 0, 0], [0, 1, 0]]))
    assert m.translating_joints(sk) == [0]
    with pytest.raises(ValidationError, match="has 2 joints, the skeleton has 1"):
        m.check_skeleton(Skeleton(("r",), [-1], torch.zeros(1, 3)))
    pos = m.global_positions(sk)
    # The child sits 1 above the root, which turns about Y: its position is root + (0, 1, 0).
    assert torch.allclose(pos[:, 1] - pos[:, 0], torch.tensor([0.0, 1.0, 0.0]).expand(31, 3), atol=1e-6)


def test_slice_and_concat():
    m = _turning()
    s = m.slice(10, 20)
    assert s.num_frames == 10 and torch.equal(s.rotations, m.rotations[10:20])
    assert m.slice(-5).num_frames == 5
    with pytest.raises(ValidationError, match="empty"):
        m.slice(40, 50)
    both = Motion.concat([m.slice(0, 10), m.slice(10)])
    assert torch.equal(both.rotations, m.rotations) and torch.equal(both.translations, m.translations)
    with pytest.raises(ValidationError, match="fps differ"):
        Motion.concat([m, Motion(m.rotations, m.translations, 60)])


def test_resample_keeps_duration():
    m = _turning(T=31, fps=30.0)  # 1 s
    assert m.resample(30.0) is m
    up = m.resample(60.0)
    assert up.fps == 60.0 and up.num_frames == 61 and up.duration_s == pytest.approx(m.duration_s)
    down = m.resample(10.0)
    assert down.num_frames == 11
    assert torch.equal(down.rotations, m.rotations[::3])  # frames that line up are copied
    # 24 fps: floor(1 s · 24) + 1 frames.
    assert m.resample(24.0).num_frames == 25
    with pytest.raises(ValidationError, match="positive"):
        m.resample(-1)


def test_resample_midpoints_are_slerp_and_lerp():
    up = _turning(T=31, fps=30.0).resample(60.0)
    t = torch.arange(61, dtype=torch.float64) / 60
    # Constant angular speed about Y: the slerp midpoint is the rotation at the mid time.
    assert quat_angle(up.rotations[:, 0], axis_angle_quat("Y", t).float()).max() < 1e-5
    assert torch.allclose(up.translations[:, 0, 0], 2 * t.float(), atol=1e-6)


def test_resample_takes_the_short_way_across_a_sign_flip():
    # Two frames whose quaternions are in opposite hemispheres but 20° apart.
    a = axis_angle_quat("X", torch.tensor(0.0))
    b = -axis_angle_quat("X", torch.tensor(math.radians(20)))
    m = Motion(torch.stack([a, b])[:, None], torch.zeros(2, 1, 3), 1.0)
    mid = m.resample(2.0).rotations[1, 0]
    assert quat_angle(mid, axis_angle_quat("X", torch.tensor(math.radians(10)))) < 1e-5


def test_resample_round_trip_30_60_30():
    m = _turning()
    back = m.resample(60.0).resample(30.0)
    assert back.num_frames == m.num_frames
    assert quat_angle(back.rotations, m.rotations).max() < 1e-5
    assert torch.allclose(back.translations, m.translations, atol=1e-6)


def test_rest_and_to():
    sk = Skeleton(("r", "c"), [-1, 0], torch.tensor([[0.0, 0, 0], [0, 1, 0]]))
    rest = Motion.rest(sk, 3, fps=24)
    assert rest.num_frames == 3 and rest.fps == 24
    assert torch.equal(rest.translations[2], sk.offsets)
    assert rest.to(torch.float64).rotations.dtype == torch.float32  # Motion stores float32
