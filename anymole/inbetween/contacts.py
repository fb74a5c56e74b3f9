"""Foot contacts for any skeleton: feet planted at the known frames stay planted through a gap.

No names are used. The rule (the metric's, :func:`anymole.metrics.foot_skate`):

* **Feet** are the end joints (joints without children) whose lowest height over the known
  frames is within ``CONTACT_HEIGHT`` character sizes of the floor, the lowest height of any
  joint over the known frames (+Y up, the canonical frame).
* A foot is **planted at a known frame** next to a gap when it is within ``CONTACT_HEIGHT`` of
  the floor there and over the known frames beyond it, up to ``PLANT_FRAMES`` in all, moving
  slower than ``CONTACT_SPEED`` character sizes per second between them (a foot merely
  passing low and slow for an instant, as in a swing, is not planted). At a keyframe with no
  known frame after it the speed is unknown: there the foot counts as planted only when it is
  also planted at ``k0`` at the same place (within ``CONTACT_HEIGHT``).
* Planted at ``k0`` (the last frame before the gap), it is **held** at its position there for
  the run of gap frames, from the first, where the filled motion keeps it low (within
  ``HOLD_HEIGHT`` × ``CONTACT_HEIGHT`` of the floor) and near (within ``HOLD_DISTANCE``
  character sizes, horizontally); likewise back from ``k1`` (the first
  frame after). Where the two runs meet, a foot whose two positions agree (within
  ``CONTACT_HEIGHT``) is held at both, interpolated; otherwise each run ends halfway. The hold
  fades out over ``FADE_FRAMES`` frames after a run (smoothstep), so the foot leaves the ground
  smoothly; it is full inside the run and never applied at a known frame.
* A contact the filled motion **makes inside the gap** (a step of the context's cycle or of a
  matched segment: the foot within ``CONTACT_HEIGHT`` of the floor for ``NEW_CONTACT_FRAMES``
  frames or more, outside any hold, travelling at most ``NEW_CONTACT_REACH`` character sizes)
  is held at its mean position over those frames, height unchanged, with the same fades.
* **Limb chains**: for a foot ``f``, ``C`` is the first joint from ``f`` up whose bone (the
  rest offset from its parent) is at least ``LIMB_FRACTION`` of the character size, ``B`` its
  parent, ``A`` the parent of ``B`` (hip, knee, ankle for a leg). Two-bone IK turns ``A`` and
  ``B`` (in the plane of the limb, so the knee bends the way it does) so that ``C`` moves by the
  foot's correction, and ``C`` keeps its world rotation, so the foot below it moves rigidly
  with it. Feet sharing a chain are solved once, for the first of them.

Everything is vectorised over frames; a gap costs one forward kinematics pass and a few
quaternion products per foot.
"""

from __future__ import annotations

import torch
from torch import Tensor

from anymole.geometry.rotations import quat_conjugate, quat_mul, quat_normalize
from anymole.inbetween.problem import InbetweenProblem
from anymole.kinematics import forward_kinematics
from anymole.metrics import CONTACT_HEIGHT, CONTACT_SPEED, contact_feet, end_joints
from anymole.motion import Motion

HOLD_HEIGHT = 1.5
"""A held foot's run lasts while the filled motion keeps it within this × ``CONTACT_HEIGHT``."""

HOLD_DISTANCE = 0.15
"""A hold lasts while the filled motion keeps the foot within this many character sizes
(horizontally) of where it is held: farther, the motion is taken to have lifted it."""

PLANT_FRAMES = 3
"""A foot is planted at a known frame when it stays low and slow over this many known frames
(those beyond the gap that exist)."""

FADE_FRAMES = 4
"""Frames over which a hold fades out after its run."""

LIMB_FRACTION = 0.12
"""A limb bone is at least this fraction of the character size."""

NEW_CONTACT_FRAMES = 3
"""A contact the filled motion makes inside a gap is held when it lasts this many frames."""

NEW_CONTACT_REACH = 0.09
"""... and its foot travels at most this many character sizes from where it is held (a foot
sliding farther is taken to be meant to slide)."""
"""A limb bone is at least this fraction of the character size."""


def _chain(parents: list[int], offsets: Tensor, foot: int, size: float) -> tuple[int, int, int] | None:
    j = foot
    while j >= 0:
        p = parents[j]
        if p < 0:
            return None
        if float(offsets[j].norm()) >= LIMB_FRACTION * size:
            b, a = p, parents[p]
            if a < 0 or float(offsets[b].norm()) < 0.25 * LIMB_FRACTION * size:
                return None
            return a, b, j
        j = p
    return None


def _axis_angle(axis: Tensor, angle: Tensor) -> Tensor:
    half = 0.5 * angle.unsqueeze(-1)
    return torch.cat([axis * torch.sin(half), torch.cos(half)], -1)


def _unit(v: Tensor) -> Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def _safe_acos(x: Tensor) -> Tensor:
    return torch.acos(x.clamp(-1.0 + 1e-7, 1.0 - 1e-7))


def two_bone_ik(g_rot: Tensor, g_pos: Tensor, parent_rot: Tensor, a: int, b: int, c: int, target: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """New local rotations of ``a``, ``b``, ``c`` ``(F, 4)`` so that joint ``c`` reaches
    ``target (F, 3)`` (clamped to the limb's reach) and keeps its world rotation.

    Args:
        g_rot, g_pos: ``(F, J, 4)``, ``(F, J, 3)`` world rotations and positions.
        parent_rot: ``(F, 4)`` world rotation of ``a``'s parent.
    """
    pa, pb, pc = g_pos[:, a], g_pos[:, b], g_pos[:, c]
    lab = (pb - pa).norm(dim=-1)
    lcb = (pc - pb).norm(dim=-1)
    t = target - pa
    lat = t.norm(dim=-1).clamp(min=(lab - lcb).abs() + 1e-5, max=lab + lcb - 1e-5)
    ac, ab, ba, bc = _unit(pc - pa), _unit(pb - pa), _unit(pa - pb), _unit(pc - pb)
    ac_ab_0 = _safe_acos((ac * ab).sum(-1))
    ba_bc_0 = _safe_acos((ba * bc).sum(-1))
    ac_at_0 = _safe_acos((ac * _unit(t)).sum(-1))
    ac_ab_1 = _safe_acos((lcb.square() - lab.square() - lat.square()) / (-2 * lab * lat))
    ba_bc_1 = _safe_acos((lat.square() - lab.square() - lcb.square()) / (-2 * lab * lcb))
    axis0 = torch.linalg.cross(pc - pa, pb - pa)
    straight = axis0.norm(dim=-1, keepdim=True) < 1e-6 * (lab * lcb).unsqueeze(-1)
    side = torch.linalg.cross(pc - pa, torch.tensor([1.0, 0.0, 0.0], dtype=g_pos.dtype).expand_as(pa))
    axis0 = _unit(torch.where(straight, side, axis0))
    axis1 = torch.linalg.cross(pc - pa, t)
    no_turn = axis1.norm(dim=-1, keepdim=True) < 1e-12
    axis1 = _unit(torch.where(no_turn, axis0, axis1))
    r0 = _axis_angle(axis0, ac_ab_1 - ac_ab_0)
    r1 = _axis_angle(axis0, ba_bc_1 - ba_bc_0)
    r2 = _axis_angle(axis1, torch.where(no_turn[:, 0], torch.zeros_like(ac_at_0), ac_at_0))
    ga = quat_normalize(quat_mul(r2, quat_mul(r0, g_rot[:, a])))
    gb = quat_normalize(quat_mul(r2, quat_mul(r1, quat_mul(r0, g_rot[:, b]))))
    la = quat_mul(quat_conjugate(parent_rot), ga)
    lb = quat_mul(quat_conjugate(ga), gb)
    lc = quat_mul(quat_conjugate(gb), g_rot[:, c])
    return la, lb, lc


def _smoothstep(x: Tensor) -> Tensor:
    x = x.clamp(0.0, 1.0)
    return x * x * (3 - 2 * x)


def _runs(mask: list[bool]) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in ``mask``."""
    runs, start = [], None
    for i, m in enumerate([*mask, False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _hold_new_contacts(p: Tensor, targets: Tensor, weight: Tensor, floor: float, h_thr: float, reach: float) -> tuple[Tensor, Tensor]:
    """Contacts the filled motion makes inside a gap (a step of a followed cycle or a matched
    segment) held in place: each run of at least ``NEW_CONTACT_FRAMES`` gap frames, free of any other hold, where
    the foot ``p (F, 3)`` is within ``h_thr`` of the floor and travels at most ``reach``
    horizontally is held at its mean horizontal position there (height unchanged), fading
    out over ``FADE_FRAMES`` on both sides. Returns the updated ``targets (F, 3)`` and
    ``weight (F,)``."""
    free = ((p[:, 1] - floor) <= h_thr) & (weight <= 0)
    i = torch.arange(len(p), dtype=p.dtype)
    for s, e in _runs(free.tolist()):
        if e - s < NEW_CONTACT_FRAMES:
            continue
        xz = p[s:e][:, [0, 2]]
        if float((xz - xz.mean(0)).norm(dim=-1).max()) > reach:
            continue
        anchor = p[s:e].mean(0)
        dist = torch.clamp(torch.maximum(s - i, i - (e - 1)), min=0)
        w = torch.where(dist == 0, torch.ones_like(i), 1 - _smoothstep(dist / (FADE_FRAMES + 1)))
        take = w > weight
        held = torch.stack([anchor[0].expand_as(i), p[:, 1], anchor[2].expand_as(i)], -1)
        targets = torch.where(take[:, None], held, targets)
        weight = torch.where(take, w, weight)
    return targets, weight


def plant_feet(problem: InbetweenProblem, motion: Motion) -> Motion:
    """``motion (T, J)`` (a filled ``problem``) with planted feet held through each gap by the
    rule of the module docstring. Known frames are not changed."""
    sk = problem.skeleton
    parents = sk.parents.tolist()
    known = problem.known.tolist()
    T = motion.num_frames
    size = sk.size
    fps = motion.fps
    known_idx = [t for t in range(T) if known[t]]
    ends = end_joints(parents)
    with torch.no_grad():
        g_rot, g_pos = forward_kinematics(sk.parents, motion.rotations, motion.translations)
    feet, floor = contact_feet(g_pos[known_idx], ends, size)
    if not feet:
        return motion
    h_thr = CONTACT_HEIGHT * size
    v_thr = CONTACT_SPEED * size / fps  # per frame
    chains: dict[int, tuple[int, int, int]] = {}
    for f in feet:
        ch = _chain(parents, sk.offsets, f, size)
        if ch is not None and all(ch != other for other in chains.values()):
            chains[f] = ch
    if not chains:
        return motion
    rot = motion.rotations.clone()
    for start, stop in problem.gaps():
        k0, k1 = start - 1, stop
        n = k1 - k0
        frames = torch.arange(k0 + 1, k1)
        if frames.numel() == 0:
            continue
        for f, (a, b, c) in chains.items():
            p = g_pos[:, f]

            def planted(k: int, step: int) -> bool:
                """Low at ``k`` and slow over the known frames beyond it (up to PLANT_FRAMES)."""
                if float(p[k, 1]) - floor > h_thr:
                    return False
                for i in range(PLANT_FRAMES - 1):
                    a_, b_ = k + i * step, k + (i + 1) * step
                    if not (0 <= b_ < T and known[b_]):
                        break
                    if float((p[a_] - p[b_])[[0, 2]].norm()) >= v_thr or float(p[b_, 1]) - floor > h_thr:
                        return False
                return True

            low = (p[frames, 1] - floor) <= HOLD_HEIGHT * h_thr  # (n - 1,)
            reach = HOLD_DISTANCE * size
            near0 = (p[frames] - p[k0])[:, [0, 2]].norm(dim=-1) <= reach
            near1 = (p[frames] - p[k1])[:, [0, 2]].norm(dim=-1) <= reach
            run0 = 0
            if planted(k0, -1):
                while run0 < n - 1 and bool(low[run0]) and bool(near0[run0]):
                    run0 += 1
            run1 = 0
            speed_known = k1 + 1 < T and known[k1 + 1]
            same_spot = run0 > 0 and float((p[k1] - p[k0])[[0, 2]].norm()) <= h_thr
            if planted(k1, +1) and (speed_known or same_spot):
                while run1 < n - 1 and bool(low[n - 2 - run1]) and bool(near1[n - 2 - run1]):
                    run1 += 1
            targets = p[frames].clone()
            weight = torch.zeros(n - 1, dtype=p.dtype)
            i = torch.arange(n - 1, dtype=p.dtype)
            p0, p1 = p[k0], p[k1]
            if run0 + run1 >= n - 1 and run0 and run1:
                if float((p0 - p1)[[0, 2]].norm()) <= h_thr:  # one contact throughout
                    u = ((i + 1) / n)[:, None]
                    targets = p0 + u * (p1 - p0)
                    weight[:] = 1.0
                    run0 = run1 = 0
                else:  # two contacts: each holds to halfway
                    run0, run1 = (n - 1) // 2, (n - 1) - (n - 1) // 2
            if run0:
                w0 = torch.where(i < run0, torch.ones_like(i), 1 - _smoothstep((i - run0 + 1) / (FADE_FRAMES + 1)))
                targets = torch.where((w0 > weight)[:, None], p0.expand_as(targets), targets)
                weight = torch.maximum(weight, w0)
            if run1:
                j = (n - 2) - i  # frames back from k1 - 1
                w1 = torch.where(j < run1, torch.ones_like(i), 1 - _smoothstep((j - run1 + 1) / (FADE_FRAMES + 1)))
                targets = torch.where((w1 > weight)[:, None], p1.expand_as(targets), targets)
                weight = torch.maximum(weight, w1)
            targets, weight = _hold_new_contacts(p[frames], targets, weight, floor, h_thr, NEW_CONTACT_REACH * size)
            if not bool((weight > 0).any()):
                continue
            want = p[frames] + weight[:, None] * (targets - p[frames])
            delta = want - p[frames]
            goal = g_pos[frames, c] + delta
            pa = parents[a]
            parent_rot = g_rot[frames, pa] if pa >= 0 else torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=rot.dtype).expand(len(frames), 4)
            la, lb, lc = two_bone_ik(g_rot[frames], g_pos[frames], parent_rot, a, b, c, goal)
            rot[frames, a], rot[frames, b], rot[frames, c] = la, lb, lc
    return Motion(rot, motion.translations, motion.fps)
