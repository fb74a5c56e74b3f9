"""Metrics against values computed by hand (see anymole/metrics.py for the definitions)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from anymole.errors import ValidationError
from anymole.geometry.rotations import axis_angle_quat, quat_apply, quat_identity, quat_mul, quat_normalize
from anymole.metrics import keyframe_error, l2p, l2q, npss, npss_terms
from anymole.motion import Motion


def test_l2q_identical_and_sign_flipped_are_zero():
    q = quat_normalize(torch.randn(2, 5, 3, 4, generator=torch.Generator().manual_seed(0)))
    assert l2q(q, q).item() == 0.0
    assert l2q(-q, q).item() == pytest.approx(0.0, abs=1e-7)


def test_l2q_of_a_90_degree_turn():
    # One joint turned 90° about X: q = (sin 45°, 0, 0, cos 45°) against the identity, so
    # ||q - 1||² = sin²45° + (cos 45° - 1)² = 2 - √2.
    true = quat_identity((1, 2, 1), dtype=torch.float64)  # (B=1, T=2, J=1, 4)
    pred = true.clone()
    pred[0, 1, 0] = axis_angle_quat("X", torch.tensor(math.pi / 2, dtype=torch.float64))
    # Frame 0 exact, frame 1 off by sqrt(2 - √2): mean over frames is half of that.
    assert l2q(pred, true).item() == pytest.approx(math.sqrt(2 - math.sqrt(2)) / 2)
    # Two joints turned: the per-frame norm concatenates the joints.
    true2 = quat_identity((1, 1, 2), dtype=torch.float64)
    pred2 = axis_angle_quat("X", torch.full((1, 1, 2), math.pi / 2, dtype=torch.float64))
    assert l2q(pred2, true2).item() == pytest.approx(math.sqrt(2 * (2 - math.sqrt(2))))


def test_l2q_reduction_none_keeps_windows():
    true = quat_identity((3, 4, 2), dtype=torch.float64)
    pred = true.clone()
    pred[1] = axis_angle_quat("Y", torch.full((4, 2), math.pi, dtype=torch.float64))  # (0, 1, 0, 0)
    per_window = l2q(pred, true, reduction="none")
    assert per_window.shape == (3,)
    # (0,1,0,0) - (0,0,0,1) has norm √2 per joint, √(2·2) = 2 for two joints.
    assert per_window.tolist() == pytest.approx([0.0, 2.0, 0.0])


def test_l2p_constant_offset_is_offset_over_size():
    true = torch.randn(2, 6, 1, 3, dtype=torch.float64)
    pred = true + torch.tensor([3.0, 4.0, 0.0], dtype=torch.float64)  # |offset| = 5
    assert l2p(pred, true, size=10.0).item() == pytest.approx(0.5)
    # Four joints all off by 5: the per-frame norm is sqrt(4 · 25) = 10.
    true4 = torch.zeros(1, 3, 4, 3, dtype=torch.float64)
    assert l2p(true4 + torch.tensor([0.0, 0.0, 5.0], dtype=torch.float64), true4, size=2.0).item() == pytest.approx(5.0)


def test_l2p_is_scale_free_and_rigid_invariant():
    g = torch.Generator().manual_seed(1)
    true = torch.randn(2, 5, 7, 3, generator=g, dtype=torch.float64)
    pred = true + 0.1 * torch.randn(2, 5, 7, 3, generator=g, dtype=torch.float64)
    base = l2p(pred, true, size=1.7).item()
    assert l2p(100 * pred, 100 * true, size=170.0).item() == pytest.approx(base)  # metres → centimetres
    q = quat_normalize(torch.tensor([0.3, -0.2, 0.5, 0.8], dtype=torch.float64))
    move = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert l2p(quat_apply(q, pred) + move, quat_apply(q, true) + move, size=1.7).item() == pytest.approx(base)


def test_l2p_rejects_bad_input():
    x = torch.zeros(2, 3, 3)
    with pytest.raises(ValidationError, match="size"):
        l2p(x, x, size=0.0)
    with pytest.raises(ValidationError, match="differs"):
        l2p(x, torch.zeros(2, 4, 3), size=1.0)
    with pytest.raises(ValidationError, match="expected shape"):
        l2q(torch.zeros(2, 3, 3), torch.zeros(2, 3, 3))


def test_npss_identical_is_zero():
    q = quat_normalize(torch.randn(3, 8, 5, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64))
    assert npss(q, q).item() == pytest.approx(0.0, abs=1e-12)


def test_npss_of_a_moved_spectrum():
    # T = 4, one joint. Truth: the constant (a, 0, 0, b). Prediction: x alternates ±a.
    # x: truth spectrum all at DC (cdf 1,1,1,1), prediction all at f = 2 (cdf 0,0,1,1):
    #    EMD = 2, weight = (4a)² = 8. w: identical, EMD 0, weight (4b)² = 8. y, z: zero power.
    # NPSS = (2·8 + 0·8) / (8 + 8) = 1.
    a = b = math.sqrt(0.5)
    true = torch.tensor([[a, 0.0, 0.0, b]] * 4, dtype=torch.float64)[None, :, None, :]
    pred = true.clone()
    pred[0, 1::2, 0, 0] = -a
    emd, w = npss_terms(pred, true)
    assert emd[0].tolist() == pytest.approx([2.0, 0.0, 0.0, 0.0])
    assert w[0].tolist() == pytest.approx([8.0, 0.0, 0.0, 8.0])
    assert npss(pred, true).item() == pytest.approx(1.0)


def _lafan_fast_npss(gt_seq: np.ndarray, pred_seq: np.ndarray) -> float:
    """LAFAN1's benchmarks.fast_npss, (B, T, D), transcribed."""
    gt_power = np.square(np.real(np.fft.fft(gt_seq, axis=1)))
    pred_power = np.square(np.real(np.fft.fft(pred_seq, axis=1)))
    gt_total = np.sum(gt_power, axis=1)
    pred_total = np.sum(pred_power, axis=1)
    cdf_gt = np.cumsum(gt_power / gt_total[:, np.newaxis, :], axis=1)
    cdf_pred = np.cumsum(pred_power / pred_total[:, np.newaxis, :], axis=1)
    emd = np.linalg.norm(cdf_pred - cdf_gt, ord=1, axis=1)
    return float(np.average(emd, weights=gt_total))


def _lafan_remove_quat_discontinuities(q: np.ndarray) -> np.ndarray:
    """LAFAN1's utils.remove_quat_discontinuities, (B, T, J, 4), transcribed: each frame is
    flipped to the side of the previous (already fixed) frame."""
    q = q.copy()
    for t in range(1, q.shape[1]):
        flip = np.sum(q[:, t] * q[:, t - 1], axis=-1, keepdims=True) < 0
        q[:, t] = np.where(flip, -q[:, t], q[:, t])
    return q


def test_npss_matches_lafan1_reference():
    g = torch.Generator().manual_seed(3)
    true = quat_normalize(torch.randn(4, 10, 3, 4, generator=g, dtype=torch.float64))
    pred = quat_normalize(true + 0.3 * torch.randn(4, 10, 3, 4, generator=g, dtype=torch.float64))
    t_np = _lafan_remove_quat_discontinuities(true.numpy())
    p_np = _lafan_remove_quat_discontinuities(pred.numpy())
    ref = _lafan_fast_npss(t_np.reshape(4, 10, 12), p_np.reshape(4, 10, 12))
    assert npss(pred, true).item() == pytest.approx(ref, rel=1e-10)


def test_npss_ignores_sign_flips_in_time():
    # A slow turn about Y through 180°+ : w crosses zero. The same track with every other
    # frame negated (the same rotations) must score 0 against it, and so must its negation.
    angle = torch.linspace(0.0, 1.5 * math.pi, 12, dtype=torch.float64)
    true = axis_angle_quat("Y", angle)[None, :, None, :]
    flipped = true.clone()
    flipped[:, 1::2] *= -1
    assert npss(flipped, true).item() == pytest.approx(0.0, abs=1e-12)
    assert npss(-true, flipped).item() == pytest.approx(0.0, abs=1e-12)


def test_foot_skate_counts_planted_feet_only():
    from anymole.metrics import contact_feet, end_joints, foot_skate

    # Joint 0 root, 1 foot (end joint), 2 hand (end joint, high). The foot slides along X at
    # 0.5 units per frame on the floor; at 10 fps and size 2 that is 2.5 sizes per second.
    T = 6
    pos = torch.zeros(T, 3, 3, dtype=torch.float64)
    pos[:, 0] = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    pos[:, 1, 0] = 0.5 * torch.arange(T, dtype=torch.float64)
    pos[:, 2] = torch.tensor([0.0, 1.5, 0.0], dtype=torch.float64)
    ends = end_joints([-1, 0, 0])
    assert ends == [1, 2]
    feet, floor = contact_feet(pos, ends, size=2.0)
    assert feet == [1] and floor == 0.0
    assert foot_skate(pos, feet, floor, size=2.0, fps=10.0).item() == pytest.approx(2.5)
    # Lifted off the floor: not planted, no skate.
    pos[:, 1, 1] = 0.5
    assert foot_skate(pos, feet, floor, size=2.0, fps=10.0).item() == 0.0


def test_keyframe_error(chain4):
    T = 5
    rot = quat_identity((T, 4))
    trans = chain4.offsets.expand(T, 4, 3).clone()
    ref = Motion(rot, trans, 30.0)
    known = torch.tensor([True, True, False, False, True])
    assert keyframe_error(chain4, ref, ref, known) == 0.0
    moved = trans.clone()
    moved[2, 0] += torch.tensor([0.0, 0.0, 1.0])  # an unknown frame: does not count
    assert keyframe_error(chain4, Motion(rot, moved, 30.0), ref, known) == 0.0
    moved[4, 0] += torch.tensor([0.0, 3.0, 0.0])  # a known frame, every joint moves by 3
    assert keyframe_error(chain4, Motion(rot, moved, 30.0), ref, known) == pytest.approx(3.0 / chain4.size)
    # A 90° turn of joint c about Z at frame 0 swings d (3 away) by 3√2.
    turned = rot.clone()
    turned[0, 2] = axis_angle_quat("Z", torch.tensor(math.pi / 2))
    err = keyframe_error(chain4, Motion(turned, trans, 30.0), ref, known)
    assert chain4.size == pytest.approx(6.0)
    assert err == pytest.approx(3 * math.sqrt(2) / 6.0, rel=1e-5)
    assert keyframe_error(chain4, Motion(turned, trans, 30.0), ref, torch.zeros(T, dtype=torch.bool)) == 0.0
