"""The spline method: exact keyframes, C1 at both ends of a gap, every joint, any gap layout."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.geometry.rotations import axis_angle_quat, quat_angle, quat_conjugate, quat_identity, quat_mul, quat_to_rotvec
from anymole.inbetween import METHODS, InbetweenProblem, interpolation, zero_velocity
from anymole.inbetween.spline import spline
from anymole.motion import Motion
from anymole.skeleton import Skeleton
from anymole.testing.procedural import make_character


def _known(T: int, unknown: list[tuple[int, int]]) -> torch.Tensor:
    k = torch.ones(T, dtype=torch.bool)
    for a, b in unknown:
        k[a:b] = False
    return k


def _garbage(problem_motion: Motion, known: torch.Tensor) -> Motion:
    """The motion with its unknown frames replaced by the rest pose (methods must ignore them)."""
    rot = problem_motion.rotations.clone()
    trans = problem_motion.translations.clone()
    rot[~known] = torch.tensor([0.0, 0.0, 0.0, 1.0])
    trans[~known] = 0.0
    return Motion(rot, trans, problem_motion.fps)


def test_registered():
    assert METHODS["spline"] is spline


LAYOUTS = {
    "one gap": [(40, 55)],
    "one frame": [(40, 41)],
    "several gaps and keyframes": [(20, 21), (23, 30), (31, 60), (61, 62), (70, 140)],
    "gap after the first frame": [(1, 30)],
    "long gap": [(2, 148)],
}


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_known_frames_exact_and_output_valid(character, layout):
    skeleton, motion = character
    known = _known(motion.num_frames, layout)
    problem = InbetweenProblem(skeleton, _garbage(motion, known), known)
    out = spline(problem)
    assert out.rotations.shape == motion.rotations.shape
    assert torch.equal(out.rotations[known], problem.motion.rotations[known])
    assert torch.equal(out.translations[known], problem.motion.translations[known])
    assert torch.isfinite(out.rotations).all() and torch.isfinite(out.translations).all()
    assert torch.allclose(out.rotations.norm(dim=-1), torch.ones(()), atol=1e-5)
    # Joints that never leave their rest offset keep it in the gaps too.
    static = [j for j in range(skeleton.num_joints) if j not in motion.translating_joints(skeleton)]
    assert torch.allclose(out.translations[:, static], skeleton.offsets[static].expand(motion.num_frames, -1, -1))


def _quadratic_motion(T: int, fps: float = 30.0) -> tuple[Skeleton, Motion, torch.Tensor]:
    """Two joints: the root translates along a parabola; the child turns about a fixed axis
    with an angle quadratic in time. Returns the skeleton, motion and the child's angle (T,)."""
    skeleton = Skeleton(("root", "arm"), torch.tensor([-1, 0]), torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.0]]))
    t = torch.arange(T, dtype=torch.float64) * (30.0 / fps)  # time in 1/30 s
    root = torch.stack([0.02 * t, 1.0 + 0.001 * (t - 20) ** 2, -0.01 * t + 0.0005 * t**2], dim=-1)
    angle = 0.3 + 0.02 * t - 0.0004 * t**2
    axis = torch.tensor([1.0, 2.0, 2.0], dtype=torch.float64) / 3
    half = angle[:, None] / 2
    arm = torch.cat([axis * torch.sin(half), torch.cos(half)], dim=-1)
    rot = quat_identity((T, 2), dtype=torch.float64)
    rot[:, 1] = arm
    trans = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.0]], dtype=torch.float64).expand(T, 2, 3).clone()
    trans[:, 0] = root
    return skeleton, Motion(rot, trans, fps), angle


@pytest.mark.parametrize("after", [True, False], ids=["frames after the target", "target last"])
def test_c1_at_both_ends(after):
    # At a high frame rate one frame step approximates the derivative: a C1 join has matching
    # steps on both sides of each end of the gap (up to O(dt²)); a C0 join (interpolation)
    # does not. Without frames after the target the curve arrives with the chord's velocity.
    skeleton, motion, _ = _quadratic_motion(800, fps=600.0)
    layout = [(100, 700)] if after else [(100, 799)]
    known = _known(800, layout)
    problem = InbetweenProblem(skeleton, motion, known)
    k0, k1 = 99, layout[0][1]
    for method, expect_c1 in ((spline, True), (interpolation, False)):
        out = method(problem)
        x = out.translations[:, 0].double()
        step_in, step_out = x[k0] - x[k0 - 1], x[k0 + 1] - x[k0]
        mismatch = float((step_out - step_in).norm() / step_in.norm())
        q = out.rotations[:, 1].double()
        angle = quat_to_rotvec(quat_mul(quat_conjugate(q[:-1]), q[1:])).norm(dim=-1)  # (T - 1,) steps
        mismatch_rot = float((angle[k0] - angle[k0 - 1]).abs() / angle[k0 - 1])
        assert (mismatch < 0.02 and mismatch_rot < 0.02) == expect_c1, (method.__name__, mismatch, mismatch_rot)
        if after and expect_c1:
            step_in, step_out = x[k1] - x[k1 - 1], x[k1 + 1] - x[k1]
            assert float((step_out - step_in).norm() / step_out.norm()) < 0.02
            assert float((angle[k1] - angle[k1 - 1]).abs() / angle[k1]) < 0.02
        if not after and expect_c1:
            chord = (x[k1] - x[k0]) / (k1 - k0)
            assert float(((x[k1] - x[k1 - 1]) - chord).norm() / chord.norm()) < 0.02


def test_leaves_with_the_context_velocity_and_arrives_without_popping():
    skeleton, motion, _ = _quadratic_motion(60)
    problem = InbetweenProblem.from_window(skeleton, motion, context=20, gap=25)
    out = spline(problem)
    x = out.translations[:, 0]
    # Start: the first gap step continues the context's steps (the second difference stays at
    # the motion's own acceleration); interpolation turns abruptly onto the chord.
    acc = (motion.translations[2, 0] - 2 * motion.translations[1, 0] + motion.translations[0, 0]).norm()
    jerk = (x[20] - 2 * x[19] + x[18]).norm()
    interp = interpolation(problem).translations[:, 0]
    assert jerk < 3 * acc
    assert (interp[20] - 2 * interp[19] + interp[18]).norm() > 5 * jerk
    # End: no frame after the target, so the motion arrives along the chord, without a jump:
    # the last gap step is close to the chord's step.
    chord = (x[45] - x[19]) / 26
    assert ((x[45] - x[44]) - chord).norm() < 0.1 * chord.norm()


def test_every_joint_translation_moves(character):
    # Under a static root, the quadruped's hips carry the travel: they move through the gap.
    skeleton, motion = character
    problem = InbetweenProblem.from_window(skeleton, motion, context=30, gap=30)
    out = spline(problem)
    for j in motion.translating_joints(skeleton):
        if (motion.translations[29, j] - motion.translations[60, j]).norm() > 1e-3:
            assert (out.translations[45, j] - out.translations[29, j]).norm() > 1e-4
    if "hips" in skeleton.names:
        h = skeleton.index("hips")
        assert (out.translations[45, h] - zero_velocity(problem).translations[45, h]).norm() > 0.05


@pytest.mark.parametrize("gap", [10, 20])
def test_beats_interpolation_on_procedural_characters(gap):
    from anymole.kinematics import forward_kinematics

    err = {"spline": 0.0, "interpolation": 0.0}
    for name in ("snake", "spider", "quadruped", "bird"):
        skeleton, motion = make_character(name, num_frames=120)
        for start in (0, 40, 80 - gap):
            window = motion.slice(start, start + 30 + gap + 1)
            problem = InbetweenProblem.from_window(skeleton, window, context=30, gap=gap)
            _, truth = forward_kinematics(skeleton.parents, window.rotations, window.translations)
            for method in err:
                out = METHODS[method](problem)
                _, pos = forward_kinematics(skeleton.parents, out.rotations, out.translations)
                err[method] += float((pos - truth)[30:-1].norm(dim=-1).mean()) / skeleton.size
    # The curve trades a little L2P at longer gaps for L2Q and NPSS (see the spline module).
    assert err["spline"] < {10: 0.75, 20: 0.95}[gap] * err["interpolation"]


def test_handles_rotations_near_half_turn():
    # A joint spinning steadily past 180° relative to the gap start: still unit, finite, exact
    # at the keys, and monotone in angle through the gap (no flip back).
    T = 40
    skeleton = Skeleton(("root",), torch.tensor([-1]), torch.zeros(1, 3))
    angle = torch.linspace(0, 1.6 * math.pi, T)
    rot = axis_angle_quat("Y", angle)[:, None, :]
    motion = Motion(rot, torch.zeros(T, 1, 3), 30.0)
    problem = InbetweenProblem(skeleton, motion, _known(T, [(10, 30)]))
    out = spline(problem, world_weight=0.0)
    assert torch.isfinite(out.rotations).all()
    steps = quat_angle(out.rotations[1:], out.rotations[:-1])[:, 0]
    assert steps.max() < 0.5  # no jump anywhere
