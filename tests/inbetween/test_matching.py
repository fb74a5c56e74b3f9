"""The matching step of ``spline``: the context's own motion warped into the gap, mixed per
joint with the curve; keyframes exact, and the curve kept where the context has nothing alike."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.geometry.rotations import axis_angle_quat, quat_angle, rotvec_to_quat
from anymole.inbetween import InbetweenProblem
from anymole.inbetween.matching import RATES, _continuous, body_joint, match_gap, subtree_matrix
from anymole.inbetween.spline import spline
from anymole.kinematics import forward_kinematics
from anymole.motion import Motion
from anymole.skeleton import Skeleton
from anymole.testing.procedural import make_character


def _l2p(skeleton, out: Motion, truth: Motion, frames: slice) -> float:
    _, pos = forward_kinematics(skeleton.parents, out.rotations, out.translations)
    _, ref = forward_kinematics(skeleton.parents, truth.rotations, truth.translations)
    return float((pos - ref)[frames].flatten(-2).norm(dim=-1).mean()) / skeleton.size


def _periodic_walk(T: int = 100, period_s: float = 0.8) -> tuple[Skeleton, Motion]:
    """The procedural quadruped's rig (a still ``root``, ``hips`` carrying the travel) on an
    exactly periodic gait: every joint swings about X with its own phase, hips travel +Z."""
    skeleton, _ = make_character("quadruped", num_frames=2)
    t = torch.arange(T, dtype=torch.float64) / 30.0
    J = skeleton.num_joints
    gen = torch.Generator().manual_seed(0)
    amp = 0.2 + 0.4 * torch.rand(J, generator=gen, dtype=torch.float64)
    phase = 2 * math.pi * torch.rand(J, generator=gen, dtype=torch.float64)
    angle = amp * torch.sin(2 * math.pi * t[:, None] / period_s + phase)  # (T, J)
    angle[:, 0] = 0.0  # the root stays still
    rot = rotvec_to_quat(angle[..., None] * torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64))
    trans = skeleton.offsets.to(torch.float64).expand(T, J, 3).clone()
    hips = skeleton.index("hips")
    trans[:, hips, 2] += 1.2 * t
    trans[:, hips, 1] += 0.03 * torch.sin(4 * math.pi * t / period_s)
    return skeleton, Motion(rot, trans, 30.0)


def test_a_periodic_walk_under_a_still_root_is_followed():
    # The hips (not joint 0) carry the travel: candidates are moved with them, so the gait
    # is continued where it was going, not where an earlier step of it was.
    skeleton, motion = _periodic_walk()
    assert body_joint(skeleton.parents.tolist(), motion.rotations[:60], motion.translations[:60]) == skeleton.index("hips")
    problem = InbetweenProblem.from_window(skeleton, motion, context=60, gap=20)
    window = motion.slice(0, 81)
    err = {
        name: _l2p(skeleton, spline(problem, contacts=False, **kw), window, slice(60, 80))
        for name, kw in {
            "curve": dict(cycles=False, matching=False),
            "cycle": dict(matching=False),
            "matching": dict(cycles=False),
            "spline": {},
        }.items()
    }
    assert err["matching"] < 0.3 * err["curve"]
    assert err["cycle"] < 0.3 * err["curve"]  # the cycle step moves the hips on, too
    assert err["spline"] < 0.3 * err["curve"]


@pytest.mark.parametrize("name", ["spider", "snake"])
def test_a_repeating_context_is_followed_into_the_gap(name):
    # Procedural gaits nearly repeat: segments of the context predict the gap far better than
    # the curve.
    skeleton, motion = make_character(name, num_frames=120)
    with_m = without = 0.0
    for start in (0, 30):
        window = motion.slice(start, start + 60 + 20 + 1)
        problem = InbetweenProblem.from_window(skeleton, window, context=60, gap=20)
        with_m += _l2p(skeleton, spline(problem), window, slice(60, 80))
        without += _l2p(skeleton, spline(problem, matching=False), window, slice(60, 80))
    assert with_m < 0.6 * without


def test_keyframes_exact_and_no_pop_at_the_start():
    skeleton, motion = make_character("quadruped", num_frames=100)
    problem = InbetweenProblem.from_window(skeleton, motion, context=60, gap=25)
    out = spline(problem, contacts=False)
    known = problem.known
    assert torch.equal(out.rotations[known], motion.slice(0, 86).rotations[known])
    assert torch.equal(out.translations[known], motion.slice(0, 86).translations[known])
    # Leaving k0 = 59: the first gap step is like the context's last steps (rotation speed).
    step = quat_angle(out.rotations[1:], out.rotations[:-1])  # (T - 1, J)
    last, first = step[58], step[59]
    assert float((first - last).abs().max()) < 0.05 + 0.5 * float(last.abs().max())


def test_an_unrelated_context_leaves_the_curve():
    # A still context and a keyframe turned a quarter turn away: no segment resembles the
    # gap's ends, so the mixture returns (nearly) the curve itself.
    skeleton = Skeleton(("root", "arm"), torch.tensor([-1, 0]), torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
    T = 41
    rot = torch.tensor([0.0, 0.0, 0.0, 1.0]).expand(T, 2, 4).clone()
    rot[-1, 1] = axis_angle_quat("Z", torch.tensor(math.pi / 2))
    motion = Motion(rot, skeleton.offsets.expand(T, 2, 3).clone(), 30.0)
    known = torch.ones(T, dtype=torch.bool)
    known[30:40] = False
    curve = spline(InbetweenProblem(skeleton, motion, known), matching=False, contacts=False)
    mixed = match_gap([-1, 0], skeleton.size, motion.rotations, motion.translations, curve.rotations, curve.translations, 0, 29, 40, 30.0)
    assert mixed is not None
    assert float(quat_angle(mixed[0], curve.rotations[30:40]).max()) < 1e-3


def test_too_short_a_context_has_no_candidates():
    skeleton, motion = make_character("snake", num_frames=40)
    n = 30
    start, k0 = 0, 5  # 6 known frames cannot hold a 30-frame segment at any rate
    assert all(k0 - start < r * n for r in RATES)
    out = match_gap(skeleton.parents.tolist(), skeleton.size, motion.rotations, motion.translations,
                    motion.rotations, motion.translations, start, k0, k0 + n, 30.0)
    assert out is None


def test_subtree_matrix_and_continuous_charts():
    S = subtree_matrix([-1, 0, 1, 0])
    assert S.tolist() == [[1, 1, 1, 1], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    # A rotation vector track crossing θ = π comes out continuous (no 2π jump).
    angle = torch.linspace(-1.5 * math.pi, 0.0, 30)  # ends at the reference (0)
    r = torch.stack([torch.zeros(30), angle, torch.zeros(30)], -1)
    wrapped = torch.where(angle[:, None] < -math.pi, r + torch.tensor([0.0, 2 * math.pi, 0.0]), r)  # θ in [0, π]
    out = _continuous(wrapped[:, None, :])[:, 0]
    assert float((out[1:] - out[:-1]).norm(dim=-1).max()) < 0.2
    assert torch.allclose(out, r, atol=1e-5)
