"""Motion video mimicking: solving order, objective terms and recovery from exact targets."""

from __future__ import annotations

import pytest
import torch

from anymole.errors import ValidationError
from anymole.inbetween import InbetweenProblem, interpolation
from anymole.metrics import l2p
from anymole.mimic import MimicConfig, MimicTargets, MimicWeights, mimic, sweep_rounds
from anymole.mimic.objective import acceleration_loss, to_quat, to_sixd
from anymole.geometry.rotations import quat_angle
from anymole.render.renderer import project_joints, render
from anymole.render.rig import frame_points, orbit_cameras
from anymole.testing.procedural import make_character


def test_sweep_goes_from_both_ends_to_the_middle():
    assert sweep_rounds([(3, 8)]) == [[(3, 2), (7, 8)], [(4, 3), (6, 7)], [(5, 4)]]
    assert sweep_rounds([(1, 3), (5, 6)]) == [[(1, 0), (2, 3), (5, 4)]]
    assert sweep_rounds([]) == []
    # Every gap frame is solved exactly once, after its neighbour.
    gaps = [(2, 9), (12, 20)]
    solved = {0, 1, 9, 10, 11, 20}
    for pairs in sweep_rounds(gaps):
        for f, n in pairs:
            assert n in solved and f not in solved
        solved |= {f for f, _ in pairs}
    assert solved == set(range(21))


def test_sixd_round_trip_and_acceleration():
    q = torch.nn.functional.normalize(torch.randn(10, 4), dim=-1)
    assert float(quat_angle(to_quat(to_sixd(q)), q).max()) < 1e-3
    line = torch.linspace(0, 1, 6)[:, None, None] * torch.tensor([1.0, 2.0, 0.0])
    assert float(acceleration_loss(line.expand(6, 3, 3), 1.0)) < 1e-6
    bent = line.expand(6, 3, 3).clone()
    bent[3] += 0.1
    assert float(acceleration_loss(bent, 1.0)) > 1e-2


def _window(name: str = "quadruped", context: int = 12, gap: int = 10):
    sk, motion = make_character(name, num_frames=60)
    return InbetweenProblem.from_window(sk, motion.slice(20), context, gap)


def _exact_targets(problem: InbetweenProblem, views: int = 1, size: int = 128) -> MimicTargets:
    sk = problem.skeleton
    g_pos = problem.motion.global_positions(sk)
    cams = orbit_cameras(frame_points(g_pos), (size, size))[:views]
    j2d, depth = project_joints(g_pos, cams)
    weight = (~problem.known).float()[None, :, None].expand(views, problem.num_frames, sk.num_joints)
    return MimicTargets(cams, j2d, weight, depth)


@pytest.mark.parametrize("name", ["quadruped", "bird"])
def test_exact_targets_recover_the_motion(name):
    """From the truth's projections and depths in one view, mimicking lands far closer to the
    truth than the keyframe interpolation it starts from, and keyframes stay bit-exact."""
    problem = _window(name)
    targets = _exact_targets(problem)
    steps = []
    solved = mimic(problem, targets, MimicConfig(iterations=40, smooth_iterations=60),
                   progress=lambda s, n, loss: steps.append((s, n)))
    sk = problem.skeleton
    gap = ~problem.known
    truth = problem.motion.global_positions(sk)[gap]
    err = float(l2p(solved.global_positions(sk)[gap], truth, sk.size))
    base = float(l2p(interpolation(problem).global_positions(sk)[gap], truth, sk.size))
    assert err < 0.35 * base, (err, base)
    k = problem.known
    assert torch.equal(solved.rotations[k], problem.motion.rotations[k])
    assert torch.equal(solved.translations[k], problem.motion.translations[k])
    assert steps[-1] == (steps[-1][1], steps[-1][1])  # progress reaches the total
    assert torch.isfinite(solved.rotations).all()
    torch.testing.assert_close(solved.rotations.norm(dim=-1), torch.ones(solved.rotations.shape[:2]))


def test_without_targets_the_sweep_reproduces_the_reference_and_smoothing_smooths():
    """With no target anywhere only the regularisers act: the sweep (each frame its neighbour
    moved on by the reference's change) reproduces the keyframe interpolation, and the smoothing
    pass then removes what jitter the sweep's steps left (acceleration well down)."""
    problem = _window()
    t = _exact_targets(problem)
    empty = MimicTargets(t.cameras, t.joints_2d, torch.zeros_like(t.weight), t.depth)
    sk = problem.skeleton
    ref = interpolation(problem).global_positions(sk)
    swept = mimic(problem, empty, MimicConfig(iterations=10, smooth_iterations=0)).global_positions(sk)
    assert float(l2p(swept, ref, sk.size)) < 1e-3
    smoothed = mimic(problem, empty, MimicConfig(iterations=10, smooth_iterations=100)).global_positions(sk)
    span = slice(11, 23)  # the gap and its two known neighbours
    assert float(acceleration_loss(smoothed[span], sk.size)) < 0.5 * float(acceleration_loss(swept[span], sk.size))
    assert float(l2p(smoothed, ref, sk.size)) < 2e-3


def test_silhouette_term_runs_through_the_rasteriser():
    problem = _window(gap=3)
    t = _exact_targets(problem, size=48)
    with torch.no_grad():
        sil = render(problem.skeleton, problem.motion, t.cameras, mode="silhouette").silhouettes
    targets = MimicTargets(t.cameras, t.joints_2d, t.weight, t.depth, sil)
    config = MimicConfig(iterations=3, smooth_iterations=2, weights=MimicWeights(silhouette=1.0))
    solved = mimic(problem, targets, config)
    assert torch.isfinite(solved.rotations).all()


def test_mimic_checks_targets_and_can_be_cancelled():
    problem = _window()
    t = _exact_targets(problem)
    with pytest.raises(ValidationError, match="targets"):
        mimic(InbetweenProblem.from_window(problem.skeleton, problem.motion, 10, 10), t)
    with pytest.raises(ValidationError, match="weight"):
        MimicTargets(t.cameras, t.joints_2d, t.weight[:, :3], t.depth)
    bad = t.joints_2d.clone()
    bad[0, 15, 0, 0] = float("nan")
    with pytest.raises(ValidationError, match="NaN"):
        MimicTargets(t.cameras, bad, t.weight, t.depth)

    class Stop(Exception):
        pass

    calls = []

    def cancel():
        calls.append(1)
        raise Stop

    with pytest.raises(Stop):
        mimic(problem, t, check_cancel=cancel)
    assert calls == [1]


def test_reference_depth_term_weighs_moves_along_the_optical_axis_only():
    from anymole.mimic.objective import reference_depth_loss

    sk, motion = make_character("quadruped", num_frames=4)
    cams = orbit_cameras(frame_points(motion.global_positions(sk)), (32, 32), yaws_deg=(0.0,))
    ref = torch.zeros(2, 1, 3)
    size = 2.0
    # The front camera looks along -Z: a move along X or Y costs nothing, along Z its square.
    assert float(reference_depth_loss(ref + torch.tensor([0.7, -0.4, 0.0]), ref, size, cams)) < 1e-10
    torch.testing.assert_close(reference_depth_loss(ref + torch.tensor([0.0, 0.0, 1.0]), ref, size, cams), torch.tensor(0.25))
    # A root drifting toward the camera is pulled back when the weight is on, left alone when off.
    problem = _window("quadruped")
    targets = _exact_targets(problem)
    shifted = MimicTargets(targets.cameras, targets.joints_2d, targets.weight, None)
    gap = ~problem.known
    drift = {}
    for w in (0.0, 1.0):
        out = mimic(problem, shifted, MimicConfig(iterations=20, smooth_iterations=0, weights=MimicWeights(reference_depth=w)))
        ref_root = interpolation(problem).translations[gap, 0]
        axis = targets.cameras.rotation[0, 2].float()
        drift[w] = float(((out.translations[gap, 0] - ref_root) @ axis).abs().mean())
    assert drift[1.0] < 0.8 * drift[0.0], drift  # measured 0.0089 vs 0.0144 character units
