"""Foot contacts: planted end joints found without names, held through a gap by two-bone IK,
keyframes untouched; the foot skate metric on the same rule."""

from __future__ import annotations

import torch

from anymole.geometry.rotations import axis_angle_quat, quat_identity
from anymole.inbetween import InbetweenProblem
from anymole.inbetween.contacts import _chain, plant_feet, two_bone_ik
from anymole.kinematics import forward_kinematics
from anymole.metrics import contact_feet, end_joints, foot_skate
from anymole.motion import Motion
from anymole.skeleton import Skeleton


def _leg() -> Skeleton:
    """pelvis (root) → hip → knee → ankle → toe (an end joint), plus a head above the pelvis;
    a leg of 0.45 + 0.45 m standing on the floor (y = 0) with the knee slightly bent."""
    names = ("pelvis", "hip", "knee", "ankle", "toe", "head")
    parents = torch.tensor([-1, 0, 1, 2, 3, 0])
    offsets = torch.tensor([[0.0, 0.9, 0.0], [0.1, 0.0, 0.0], [0.0, -0.45, 0.02], [0.0, -0.45, -0.02], [0.0, -0.02, 0.12], [0.0, 0.7, 0.0]])
    return Skeleton(names, parents, offsets)


def test_feet_and_chains_are_found_without_names():
    sk = _leg()
    assert end_joints(sk.parents.tolist()) == [4, 5]
    T = 5
    rot, trans = quat_identity((T, 6)), sk.offsets.expand(T, 6, 3).clone()
    _, pos = forward_kinematics(sk.parents, rot, trans)
    feet, floor = contact_feet(pos, [4, 5], sk.size)
    assert feet == [4] and abs(floor - float(pos[0, 4, 1])) < 1e-6
    assert _chain(sk.parents.tolist(), sk.offsets, 4, sk.size) == (1, 2, 3)  # hip, knee, ankle


def test_two_bone_ik_reaches_and_keeps_the_ankle_rotation():
    sk = _leg()
    rot, trans = quat_identity((1, 6)), sk.offsets.expand(1, 6, 3).clone()
    g_rot, g_pos = forward_kinematics(sk.parents, rot, trans)
    goal = g_pos[:, 3] + torch.tensor([[0.05, 0.08, 0.04]])
    la, lb, lc = two_bone_ik(g_rot, g_pos, g_rot[:, 0], 1, 2, 3, goal)
    rot2 = rot.clone()
    rot2[:, 1], rot2[:, 2], rot2[:, 3] = la, lb, lc
    g2, p2 = forward_kinematics(sk.parents, rot2, trans)
    assert (p2[:, 3] - goal).norm() < 1e-5
    assert torch.allclose(g2[:, 3], g_rot[:, 3], atol=1e-5) or torch.allclose(g2[:, 3], -g_rot[:, 3], atol=1e-5)
    assert ((p2[:, 4] - p2[:, 3]) - (g_pos[:, 4] - g_pos[:, 3])).norm() < 1e-5  # the foot moved rigidly


def test_a_planted_foot_is_held_through_the_gap_and_keyframes_are_exact():
    sk = _leg()
    T, C = 31, 15
    rot = quat_identity((T, 6))
    trans = sk.offsets.expand(T, 6, 3).clone()
    # The known frames stand still on a planted foot; the filled gap sways the pelvis sideways
    # and turns the hip, so the foot slides (what an in-betweener without contacts may do).
    known = torch.zeros(T, dtype=torch.bool)
    known[:C] = True
    known[-1] = True
    problem = InbetweenProblem(sk, Motion(rot, trans, 30.0), known)
    filled_t = trans.clone()
    sway = torch.sin(torch.linspace(0, torch.pi, T - C + 1))[1:-1]
    filled_t[C : T - 1, 0, 0] += 0.06 * sway
    filled_r = rot.clone()
    filled_r[C : T - 1, 1] = axis_angle_quat("X", 0.15 * sway)
    filled = Motion(filled_r, filled_t, 30.0)
    _, before = forward_kinematics(sk.parents, filled.rotations, filled.translations)
    out = plant_feet(problem, filled)
    _, after = forward_kinematics(sk.parents, out.rotations, out.translations)
    toe0 = before[C - 1, 4]
    slide_before = (before[C : T - 1, 4] - toe0)[:, [0, 2]].norm(dim=-1).max()
    slide_after = (after[C : T - 1, 4] - toe0)[:, [0, 2]].norm(dim=-1).max()
    assert slide_before > 0.04 and slide_after < 1e-3
    assert torch.equal(out.rotations[known], filled.rotations[known])
    assert torch.equal(out.translations, filled.translations)  # only limb rotations change
    assert torch.allclose(after[:, 5], before[:, 5])  # the head (not a limb of that foot) is untouched
    feet, floor = contact_feet(before[known], end_joints(sk.parents.tolist()), sk.size)
    assert float(foot_skate(after, feet, floor, sk.size, 30.0, slice(C, T - 1))) < 0.1 * float(
        foot_skate(before, feet, floor, sk.size, 30.0, slice(C, T - 1))
    )


def test_spline_plants_feet_on_the_leg():
    from anymole.inbetween.spline import spline

    sk = _leg()
    T, C = 31, 15
    rot, trans = quat_identity((T, 6)), sk.offsets.expand(T, 6, 3).clone()
    # The context sways the pelvis on a planted foot; the keyframe stands where it started.
    t = torch.arange(T, dtype=torch.float32)
    trans[:, 0, 0] += 0.03 * torch.sin(t / 4)
    known = torch.zeros(T, dtype=torch.bool)
    known[:C] = True
    known[-1] = True
    g_rot, g_pos = forward_kinematics(sk.parents, rot, trans)
    planted = g_pos[C - 1, 3] - (g_pos[C - 1, 4] - g_pos[0, 4])  # ankle goal keeping toe at frame 0's spot
    for f in range(T):
        goal = g_pos[f, 3] - (g_pos[f, 4] - g_pos[0, 4])
        la, lb, lc = two_bone_ik(g_rot[f : f + 1], g_pos[f : f + 1], g_rot[f : f + 1, 0], 1, 2, 3, goal[None])
        rot[f, 1], rot[f, 2], rot[f, 3] = la[0], lb[0], lc[0]
    del planted
    problem = InbetweenProblem(sk, Motion(rot, trans, 30.0), known)
    out = spline(problem)
    _, p = forward_kinematics(sk.parents, out.rotations, out.translations)
    assert (p[C:T - 1, 4] - p[C - 1, 4])[:, [0, 2]].norm(dim=-1).max() < 2e-3
    assert torch.equal(out.rotations[known], problem.motion.rotations[known])
