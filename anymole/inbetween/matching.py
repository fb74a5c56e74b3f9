"""The context's own motion, matched and warped into a gap: the third step of ``spline``.

Motion matching (Clavet 2016) without a database: the only motion at hand is the known run of
frames before the gap, so its segments are the candidates, and motion warping (Witkin &
Popović 1995) makes each one meet the gap's ends exactly. Per gap between known frames ``k0``
and ``k1 = k0 + N``:

1. **Candidates.** A segment starts at a known frame ``a`` and plays at a rate ``r`` of
   :data:`RATES`: source frames ``a + r t`` for ``t = 0 … N``, every one inside the known run
   before ``k0`` (``a - r`` too, for its velocity). The body joint (:func:`body_joint`: the
   hips, whether joint 0 or under a still root) is turned about world +Y and moved
   horizontally so the segment starts where and as ``k0`` faces.
2. **Warp.** Offsets make the segment start at ``k0`` and end at ``k1``: the start offset dies
   away like a critically damped spring (``(1 + t/τ) e^{-t/τ}``, ``τ`` =
   :data:`OFFSET_TIME_S`), the end offset comes in with ``h1(u) = 3u² - 2u³``, and the start's
   velocity mismatch fades like the curve's (``t e^{-t/τ}``). Every offset is zero at the other
   end, so the keyframes stay exact.
3. **Cost per joint.** Joint positions relative to the body joint with its heading removed
   (:func:`pose_features`), in character sizes, are compared at three instants: the segment's
   start against ``k0``, its start velocity (one source step) against ``k0 - 1 → k0``
   (× :data:`VELOCITY_WEIGHT`), and its end against ``k1``. A joint's cost is
   :data:`OWN_SHARE` of the RMS distance over its subtree (an arm is matched on the arm) plus
   the rest of the RMS distance over the whole body (the arm moves with the body).
4. **Mixture.** Per joint, the candidates and the spline's curve share weights
   ``softmax(-cost / σ)`` (``σ`` = :data:`TEMPERATURE`; the curve's cost is
   :data:`CURVE_COST`); the result is the curve plus the weighted sum of each warped
   candidate's difference from it. Where the context holds nothing like the gap's ends, every
   candidate costs much more than the curve and the curve stands.

Where the sums happen: rotations are warped and mixed in each joint's chart at ``k0``
(``q = q(k0) ⊗ exp(x)``, the curve's own chart), where steps 2 and 4 are linear, so all
candidates are read at once through one interpolation matrix (:func:`match_gap`); the body
joint, which turns, is warped on quaternions (offsets in its own frame, :func:`_warp`) and
mixed relative to the curve. Translations are plain sums. Candidates whose weight is below
:data:`MIN_WEIGHT` for every joint are left out.

Constants were chosen on the benchmark corpus with the curve of :mod:`anymole.inbetween.spline`
(see its docstring for the figures).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import Tensor

from anymole.geometry.rotations import quat_apply, quat_conjugate, quat_mul, quat_slerp, quat_to_rotvec, rotvec_to_quat
from anymole.kinematics import forward_kinematics

RATES = (0.8, 0.9, 1.0, 1.1, 1.25)
"""Playback rates of a candidate segment (source frames per gap frame)."""

TEMPERATURE = 0.03
"""``σ`` of the mixture weights, in the cost's units (character sizes, RMS per joint)."""

CURVE_COST = 0.1
"""The curve's cost in the mixture: a candidate this far off weighs ``1/e`` of it per ``σ``."""

VELOCITY_WEIGHT = 3.0
"""Weight of the start-velocity distance (per frame) against the pose distances."""

OWN_SHARE = 0.4
"""Share of a joint's cost from its own subtree; the rest is the whole body's."""

OFFSET_TIME_S = 0.3
"""``τ`` (seconds) of the start offset's and the start velocity mismatch's decay."""

MIN_WEIGHT = 1e-3
"""Candidates below this weight for every joint are left out."""


def yaw(q: Tensor) -> Tensor:
    """The twist of quaternions ``(..., 4)`` about +Y (the canonical up), unit."""
    z = torch.zeros_like(q[..., 0])
    y = torch.stack([z, q[..., 1], z, q[..., 3]], -1)
    return y / y.norm(dim=-1, keepdim=True).clamp_min(1e-9)


def body_joint(parents: list[int], rot: Tensor, trans: Tensor) -> int:
    """The joint that carries the body through space in a motion ``(F, J, ·)``: the first whose
    local translation changes while every joint above it stays still (the hips under a static
    root), else joint 0."""
    moving_t = ((trans - trans[:1]).abs().amax(dim=(0, 2)) > 1e-6 * (1.0 + trans.abs().amax())).tolist()
    moving_r = ((rot - rot[:1]).abs().amax(dim=(0, 2)) > 1e-7).tolist()
    still = [True] * len(parents)  # the joint and everything above it are still
    for j, p in enumerate(parents):
        above = p < 0 or still[p]
        if moving_t[j] and above:
            return j
        still[j] = above and not moving_t[j] and not moving_r[j]
    return 0


def pose_features(parents, rot: Tensor, trans: Tensor, size: float, body: int = 0) -> Tensor:
    """``(F, J, 3)``: joint positions relative to joint ``body`` (:func:`body_joint`), its
    heading removed, in character sizes, from local rotations ``(F, J, 4)`` and translations
    ``(F, J, 3)``; zero for joints outside ``body``'s subtree (a still root the body walks
    away from says nothing about the pose)."""
    g_rot, g_pos = forward_kinematics(parents, rot, trans)
    rel = quat_apply(quat_conjugate(yaw(g_rot[:, body]))[:, None], g_pos - g_pos[:, body : body + 1])
    if body != 0:
        inside = subtree_matrix([int(p) for p in parents], rel.dtype)[body]  # (J,)
        rel = rel * inside[:, None]
    return rel / size


def still_parent(parents: list[int], rot: Tensor, trans: Tensor, body: int) -> tuple[Tensor, Tensor]:
    """World rotation ``(4,)`` and position ``(3,)`` of ``body``'s parent in the pose
    ``rot (J, 4)``, ``trans (J, 3)``; identity for a root. For :func:`body_joint`, whose
    ancestors are still, this is the parent's transform at every known frame."""
    p = parents[body]
    if p < 0:
        return torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=rot.dtype), torch.zeros(3, dtype=rot.dtype)
    g_rot, g_pos = forward_kinematics(parents, rot, trans)
    return g_rot[p], g_pos[p]


def subtree_matrix(parents: list[int], dtype=torch.float64) -> Tensor:
    """``(J, J)``: ``S[j, k] = 1`` where ``k`` is ``j`` or below it."""
    return _subtree(tuple(int(p) for p in parents)).to(dtype)


@lru_cache(maxsize=64)
def _subtree(parents: tuple[int, ...]) -> Tensor:
    dtype = torch.float64
    J = len(parents)
    S = torch.eye(J, dtype=dtype)
    for k in range(J):
        p = parents[k]
        while p >= 0:
            S[p, k] = 1.0
            p = parents[p]
    return S


def _lerp_frames(x: Tensor, s: Tensor) -> Tensor:
    """``x (F, ...)`` at fractional frames ``s (...)`` (inside ``[0, F - 1]``), linearly."""
    lo = torch.floor(s).long().clamp(0, x.shape[0] - 1)
    hi = (lo + 1).clamp(max=x.shape[0] - 1)
    a = (s - lo.to(s.dtype)).to(x.dtype).reshape(*s.shape, *([1] * (x.dim() - 1)))
    return x[lo] + a * (x[hi] - x[lo])


def _sample(rot: Tensor, trans: Tensor, s: Tensor) -> tuple[Tensor, Tensor]:
    """Local rotations ``(..., J, 4)`` (slerp) and translations ``(..., J, 3)`` at fractional
    frames ``s (...)`` of ``rot (T, J, 4)``, ``trans (T, J, 3)``."""
    lo = torch.floor(s).long()
    hi = torch.ceil(s).long()
    a = (s - lo.to(s.dtype)).to(rot.dtype)
    q = quat_slerp(rot[lo], rot[hi], a[..., None].expand(rot[lo].shape[:-1]))
    t = trans[lo] + a[..., None, None] * (trans[hi] - trans[lo])
    return q, t


def _warp(
    rot: Tensor, trans: Tensor, k0: int, k1: int, A: Tensor, R: Tensor, tau: float, parent_rot: Tensor, parent_pos: Tensor
) -> tuple[Tensor, Tensor]:
    """Candidates of one joint (the body joint; ``rot (T, 1, 4)``, ``trans (T, 1, 3)``)
    starting at source frames ``A (C,)`` at rates ``R (C,)``, aligned and warped onto the gap
    ``(k0, k1)`` (steps 1 and 2): local rotations ``(C, N + 1, 1, 4)`` and translations
    ``(C, N + 1, 1, 3)`` for ``t = 0 … N``; ``tau`` in frames. ``parent_rot (4,)``,
    ``parent_pos (3,)``: the still global transform of the joint's parent (identity for a root),
    so the turn about +Y and the horizontal move are made in the world."""
    n = k1 - k0
    t = torch.arange(0, n + 1, dtype=rot.dtype)
    q, tr = _sample(rot, trans, A[:, None] + R[:, None] * t)  # (C, N + 1, 1, ·)
    gq = quat_mul(parent_rot.expand_as(q[:, :, 0]), q[:, :, 0])  # world rotation (C, N + 1, 4)
    gp = quat_apply(parent_rot.expand_as(q[:, :, 0]), tr[:, :, 0]) + parent_pos
    g_k0 = quat_mul(parent_rot, rot[k0, 0])
    p_k0 = quat_apply(parent_rot, trans[k0, 0]) + parent_pos
    turn = quat_mul(yaw(g_k0).expand_as(gq[:, :1]), quat_conjugate(yaw(gq[:, :1]))).expand_as(gq)
    moved = quat_apply(turn, gp - gp[:, :1]) + p_k0
    moved[..., 1] = gp[..., 1]
    inv = quat_conjugate(parent_rot).expand_as(gq)
    q = quat_mul(inv, quat_mul(turn, gq))[:, :, None]
    tr = quat_apply(inv, moved - parent_pos)[:, :, None]
    u = (t / n)[None, :, None, None]
    h1 = 3 * u.square() - 2 * u.pow(3)
    d = t[None, :, None, None]
    decay = torch.exp(-d / tau)
    g0 = (1 + d / tau) * decay * (1 - h1)
    fade = d * decay * (1 - h1)
    e0r = quat_to_rotvec(quat_mul(quat_conjugate(q[:, 0]), rot[k0]))[:, None]
    e1r = quat_to_rotvec(quat_mul(quat_conjugate(q[:, -1]), rot[k1]))[:, None]
    v_ctx = quat_to_rotvec(quat_mul(quat_conjugate(rot[k0 - 1]), rot[k0]))
    v_seg = quat_to_rotvec(quat_mul(quat_conjugate(q[:, 0]), q[:, 1]))
    q = quat_mul(q, rotvec_to_quat(g0 * e0r + h1 * e1r + fade * (v_ctx - v_seg)[:, None]))
    e0t = (trans[k0] - tr[:, 0])[:, None]
    e1t = (trans[k1] - tr[:, -1])[:, None]
    vt = (trans[k0] - trans[k0 - 1]) - (tr[:, 1] - tr[:, 0])
    return q, tr + g0 * e0t + h1 * e1t + fade * vt[:, None]


def _continuous(r: Tensor) -> Tensor:
    """Rotation vectors ``(F, J, 3)`` (angle in ``[0, π]``, the last frame's near zero) made
    continuous in time back from the last frame: where a track crosses θ = π between two
    frames, every frame before the crossing takes its equivalent ``(θ - 2π) axis`` (an odd
    number of crossings after it flips it)."""
    theta = r.norm(dim=-1, keepdim=True)
    alt = r * (1.0 - 2.0 * math.pi / theta.clamp_min(1e-12))
    nxt = r[1:]
    cross = ((alt[:-1] - nxt).norm(dim=-1) < (r[:-1] - nxt).norm(dim=-1)) & (theta[:-1, ..., 0] > 1e-6)  # (F - 1, J)
    after = torch.flip(torch.cumsum(torch.flip(cross.long(), [0]), 0), [0])  # crossings at or after f
    odd = torch.cat([after % 2 == 1, torch.zeros_like(cross[:1])])[..., None]
    return torch.where(odd, alt, r)


def match_gap(
    parents: list[int], size: float, rot: Tensor, trans: Tensor, curve_rot: Tensor, curve_trans: Tensor,
    start: int, k0: int, k1: int, fps: float, subtree: Tensor | None = None,
    features: tuple[Tensor, Tensor, int] | None = None,
) -> tuple[Tensor, Tensor] | None:
    """The mixture of steps 1–4 for the gap ``(k0, k1)``.

    Rotations are warped and mixed in the curve's chart, each joint's rotation vector relative
    to its pose at ``k0`` (``q = q(k0) ⊗ exp(x)``), where the offsets of step 2 and the mixture
    of step 4 are sums; joint 0's alignment (step 1) is done on quaternions first.

    Args:
        parents: the skeleton's parent indices; ``size``: its size (skeleton units).
        rot, trans: ``(T, J, 4)``, ``(T, J, 3)`` the problem's local motion; frames
            ``start … k0`` (a contiguous known run) and ``k1`` are read.
        curve_rot, curve_trans: the curve's motion ``(T, J, ·)`` (the mixture's base).
        fps: frames per second; ``subtree``: :func:`subtree_matrix` of ``parents``, if at hand;
        ``features``: :func:`pose_features` of frames ``start … k0`` and of ``k1`` and the
        body joint they are relative to, if at hand.

    Returns the gap frames ``k0 + 1 … k1 - 1`` as local rotations ``(N - 1, J, 4)`` and
    translations ``(N - 1, J, 3)``, or None where the context is too short to hold a candidate.
    """
    n = k1 - k0
    pairs = [(a, r) for a in range(start + 1, k0) for r in RATES if a - r >= start and a + r * n <= k0]
    if not pairs:
        return None
    dtype = rot.dtype
    A = torch.tensor([a for a, _ in pairs], dtype=dtype)
    R = torch.tensor([r for _, r in pairs], dtype=dtype)
    J = rot.shape[1]
    ctx_r, ctx_t = rot[start : k0 + 1], trans[start : k0 + 1]  # (F, J, ·), F - 1 is k0

    # Step 3: the cost, from features of the known run read at fractional frames.
    if features is None:
        b = body_joint(parents, ctx_r, ctx_t)
        f = pose_features(parents, torch.cat([ctx_r, rot[k1 : k1 + 1]]), torch.cat([ctx_t, trans[k1 : k1 + 1]]), size, b)
        features = (f[:-1], f[-1], b)
    ctx, key, b = features  # (F, J, 3), (J, 3), the body joint
    at = _lerp_frames(ctx, torch.stack([A - R, A, A + R * n], 1) - start)  # (C, 3, J, 3)
    now, before = ctx[-1], ctx[-2]
    d2 = (
        (at[:, 1] - now).square().sum(-1)
        + VELOCITY_WEIGHT**2 * ((at[:, 1] - at[:, 0]) - (now - before)).square().sum(-1)
        + (at[:, 2] - key).square().sum(-1)
    )  # (C, J)
    S = (subtree if subtree is not None else subtree_matrix(parents, dtype)).to(dtype)
    cost = OWN_SHARE * (d2 @ S.T / S.sum(1)).sqrt() + (1 - OWN_SHARE) * d2.mean(-1, keepdim=True).sqrt()
    costs = torch.cat([cost, torch.full((1, J), CURVE_COST, dtype=dtype)])
    w = torch.softmax(-costs / TEMPERATURE, 0)[:-1]  # (C, J)
    keep = w.amax(1) >= MIN_WEIGHT
    if not bool(keep.any()):
        return None
    w, A, R = w[keep], A[keep], R[keep]

    # Step 1: the candidates' source frames, in frames of the known run.
    t = torch.arange(0, n + 1, dtype=dtype)
    src = A[:, None] + R[:, None] * t - start  # (C, N + 1)
    q0 = rot[k0]
    chart = _continuous(quat_to_rotvec(quat_mul(quat_conjugate(q0), ctx_r)))  # (F, J, 3)
    # Every candidate read at once: W[t, f, j] = sum_c w[c, j] (lerp weight of frame f at src[c, t]).
    F = ctx_r.shape[0]
    lo = torch.floor(src).long().clamp(0, F - 1)
    hi = (lo + 1).clamp(max=F - 1)
    a = (src - lo.to(dtype))[..., None]  # (C, N + 1, 1)
    rows = (torch.arange(n + 1)[None] * F).expand_as(lo)
    W = torch.zeros(((n + 1) * F, J), dtype=dtype)
    W.index_add_(0, (rows + lo).flatten(), ((1 - a) * w[:, None]).flatten(0, 1))
    W.index_add_(0, (rows + hi).flatten(), (a * w[:, None]).flatten(0, 1))
    W = W.reshape(n + 1, F, J)
    ends = src[:, [0, 1, n]]  # (C, 3): the frames the offsets read

    # Step 2: offsets meeting both ends, in the chart (x(k0) = 0) and on translations.
    x1 = quat_to_rotvec(quat_mul(quat_conjugate(q0), rot[k1]))  # (J, 3)
    x_prev = chart[-2]
    u = (t / n)[:, None, None]
    h1 = 3 * u.square() - 2 * u.pow(3)
    tau = OFFSET_TIME_S * fps
    decay = torch.exp(-t / tau)[:, None, None]
    g0 = (1 + t / tau)[:, None, None] * decay * (1 - h1)  # (N + 1, 1, 1)
    fade = t[:, None, None] * decay * (1 - h1)

    # Step 4: the mixture, linear in everything above: sum_c w_c (warped_c - curve).
    def mix(table: Tensor, v0: Tensor, v1: Tensor, v_prev: Tensor, curve: Tensor) -> Tensor:
        """``curve (N - 1, J, 3)`` plus the weighted warped candidates read from ``table (F, J, 3)``."""
        e = _lerp_frames(table, ends)  # (C, 3, J, 3): start, one step on, end
        e0 = v0 - e[:, 0]
        e1 = v1 - e[:, 2]
        dv = (v0 - v_prev) - (e[:, 1] - e[:, 0])
        wsum = w.sum(0)[:, None]  # (J, 1)
        we = lambda x: (w[..., None] * x).sum(0)  # noqa: E731 - (C, J, 3) -> (J, 3)
        played = torch.einsum("tfj,fjk->tjk", W, table)  # (N + 1, J, 3)
        warped = played + g0 * we(e0) + h1 * we(e1) + fade * we(dv)
        return curve + (warped[1:-1] - wsum * curve)

    curve_x = quat_to_rotvec(quat_mul(quat_conjugate(q0), curve_rot[k0 + 1 : k1]))
    mixed_x = mix(chart, torch.zeros_like(x1), x1, x_prev, curve_x)
    mixed_t = mix(ctx_t, trans[k0], trans[k1], trans[k0 - 1], curve_trans[k0 + 1 : k1])
    mixed_r = quat_mul(q0, rotvec_to_quat(mixed_x))
    # The body joint turns with its heading: warped on quaternions (offsets in its own frame).
    parent_rot, parent_pos = still_parent(parents, rot[k0], trans[k0], b)
    q, tr = _warp(rot[:, b : b + 1], trans[:, b : b + 1], k0, k1, A, R, tau, parent_rot, parent_pos)  # (C, N + 1, 1, ·)
    bq, bt = curve_rot[k0 + 1 : k1, b : b + 1], curve_trans[k0 + 1 : k1, b : b + 1]
    wb = w[:, None, b : b + 1, None]
    d = quat_to_rotvec(quat_mul(quat_conjugate(bq)[None], q[:, 1:-1]))
    mixed_r[:, b : b + 1] = quat_mul(bq, rotvec_to_quat((wb * d).sum(0)))
    mixed_t[:, b : b + 1] = bt + (wb * (tr[:, 1:-1] - bt[None])).sum(0)
    return mixed_r, mixed_t


__all__ = ["body_joint", "match_gap", "pose_features", "still_parent", "subtree_matrix", "yaw"]
