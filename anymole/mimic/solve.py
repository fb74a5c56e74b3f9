"""The mimicking solver: known frames held, gaps solved from both ends toward the middle.

As in AnyMoLe, each gap ``[s, e)`` is solved frame by frame from its two ends — ``s`` and
``e − 1`` first, then ``s + 1`` and ``e − 2``, … — each frame initialised from its already solved
neighbour (the known frame ``s − 1`` or ``e`` for the first two) moved on by the reference
motion's change between the two frames, and regularised toward that initialisation, so the solution grows continuously out of the keyframes. The two ends of every
gap are optimised together as one batch per round. A final pass optimises all gap frames jointly
with an acceleration penalty (smoothing); known frames are never parameters, so they stay exact.

Translations: only the joints that translate (:meth:`Motion.translating_joints`, roots always)
are free, initialised as the neighbour's plus the keyframe interpolation's change, and
regularised toward that interpolation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.geometry.rotations import quat_align, quat_conjugate, quat_mul
from anymole.inbetween import InbetweenProblem, interpolation
from anymole.mimic.objective import (
    MimicWeights,
    acceleration_loss,
    compose_translations,
    depth_loss,
    init_loss,
    keypoint_loss,
    pose_globals,
    reference_depth_loss,
    reference_loss,
    silhouette_loss,
    to_quat,
    to_sixd,
)
from anymole.mimic.targets import MimicTargets
from anymole.motion import Motion
from anymole.skeleton import Skeleton

__all__ = ["MimicConfig", "mimic", "sweep_rounds"]

# Adam divides by the gradient's running RMS, so rounding-level gradients (~1e-9, e.g. at an
# optimum of the regularisers) would still move parameters by ~lr; this floor keeps them still.
ADAM_EPS = 1e-6

Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


@dataclass(frozen=True)
class MimicConfig:
    """``iterations`` Adam steps per sweep round (two frames per gap), ``smooth_iterations`` for
    the joint smoothing pass (0 skips it), learning rates ``lr`` and ``smooth_lr`` (6D units;
    translations are optimised in character sizes; the smoothing pass refines, so its steps are
    finer), and the loss ``weights``."""

    iterations: int = 60
    smooth_iterations: int = 150
    lr: float = 0.01
    smooth_lr: float = 0.001
    weights: MimicWeights = field(default_factory=MimicWeights)


def sweep_rounds(gaps: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The solving order: round ``r`` holds ``(frame, neighbour)`` pairs — frame ``s + r`` from
    ``s + r − 1`` and frame ``e − 1 − r`` from ``e − r`` for every gap ``[s, e)`` still open;
    the middle frame of an odd gap is solved once, from its left neighbour."""
    rounds: list[list[tuple[int, int]]] = []
    r = 0
    while True:
        pairs = []
        for s, e in gaps:
            left, right = s + r, e - 1 - r
            if left < right:
                pairs += [(left, left - 1), (right, right + 1)]
            elif left == right:
                pairs.append((left, left - 1))
        if not pairs:
            return rounds
        rounds.append(pairs)
        r += 1


def _optimizer(params: list[Tensor], lr: float, steps: int):
    """Adam with a cosine decay to 5 % of ``lr`` over ``steps``: Adam's steps are about ``lr``
    whatever the gradient's size, so without decay a parameter at its optimum keeps jittering
    by ``lr``."""
    opt = torch.optim.Adam(params, lr=lr, eps=ADAM_EPS)
    return opt, torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1), eta_min=0.05 * lr)


def _check(problem: InbetweenProblem, targets: MimicTargets) -> None:
    if targets.num_frames != problem.num_frames:
        raise ValidationError("targets", f"cover {targets.num_frames} frames, the problem has {problem.num_frames}")
    if targets.num_joints != problem.skeleton.num_joints:
        raise ValidationError("targets", f"have {targets.num_joints} joints, the skeleton has {problem.skeleton.num_joints}")


def _data_loss(
    skeleton: Skeleton, sixd: Tensor, translations: Tensor, frames: Tensor, targets: MimicTargets,
    cameras, weights: MimicWeights,
) -> tuple[Tensor, Tensor]:
    """Data terms for the pose batch at ``frames (F,)``; also returns global positions ``(F, J, 3)``."""
    g_rot, g_pos = pose_globals(skeleton, sixd, translations)
    wt = targets.weight[:, frames]
    loss = weights.keypoints * keypoint_loss(g_pos, cameras, targets.joints_2d[:, frames], wt)
    if targets.depth is not None and weights.depth > 0:
        loss = loss + weights.depth * depth_loss(g_pos, cameras, targets.depth[:, frames], wt, skeleton.size)
    if targets.silhouettes is not None and weights.silhouette > 0:
        loss = loss + weights.silhouette * silhouette_loss(skeleton, g_rot, g_pos, cameras, targets.silhouettes[:, frames])
    return loss, g_pos


def _reference(w: MimicWeights, free: Tensor, reference: Tensor, size: float, cameras) -> Tensor:
    loss = w.reference * reference_loss(free, reference, size)
    if w.reference_depth > 0:
        loss = loss + w.reference_depth * reference_depth_loss(free, reference, size, cameras)
    return loss


def mimic(
    problem: InbetweenProblem,
    targets: MimicTargets,
    config: MimicConfig = MimicConfig(),
    *,
    init: Motion | None = None,
    progress: Progress | None = None,
    check_cancel: Callable[[], None] | None = None,
    on_pose: Callable[[int, int, Callable[[], Motion]], None] | None = None,
) -> Motion:
    """Fill ``problem``'s gaps so that the character follows ``targets``.

    Args:
        problem: the skeleton, the known frames and which frames are known.
        targets: ``T = problem.num_frames`` frames of targets (weights 0 where known).
        config: iterations, learning rate, loss weights.
        init: a full ``(T, J)`` motion to take the translation reference from (default: the
            keyframe interpolation, :func:`anymole.inbetween.interpolation`).
        progress: ``progress(step, total, loss)`` after each round and smoothing block.
        check_cancel: called between rounds; raises to abort.
        on_pose: ``on_pose(step, total, current)`` after each round and smoothing block;
            ``current()`` builds the ``(T, J)`` motion as it stands (known frames exact) — call
            it only when the pose is wanted (pose previews are rate-limited by the caller).

    Returns:
        ``(T, J)`` motion, known frames equal to ``problem.motion``'s exactly.
    """
    _check(problem, targets)
    sk = problem.skeleton
    size = sk.size
    w = config.weights
    reference = (init if init is not None else interpolation(problem)).to(dtype=torch.float32)
    base = problem.keep_known(reference)
    cams = targets.cameras.to(dtype=torch.float32)
    targets = MimicTargets(
        cams, targets.joints_2d.float(), targets.weight.float(),
        None if targets.depth is None else targets.depth.float(),
        None if targets.silhouettes is None else targets.silhouettes.float(),
    )
    tj = torch.tensor(base.translating_joints(sk), dtype=torch.long)
    sixd = to_sixd(base.rotations).clone()  # (T, J, 6), solved in place round by round
    trans = base.translations.clone()  # (T, J, 3)
    ref_free = reference.translations[:, tj]  # (T, K, 3)
    ref_rot = reference.rotations  # (T, J, 4)
    gaps = problem.gaps()
    rounds = sweep_rounds(gaps)
    total = len(rounds) * config.iterations + config.smooth_iterations
    step = 0

    with torch.enable_grad():
        # 1. Sweep from both ends of every gap toward the middle.
        for pairs in rounds:
            if check_cancel is not None:
                check_cancel()
            f_idx = torch.tensor([f for f, _ in pairs])
            n_idx = torch.tensor([n for _, n in pairs])
            # The neighbour's solved pose, moved on by the reference's change from the neighbour's
            # frame to this one (local rotations and free translations alike).
            step_q = quat_mul(quat_conjugate(ref_rot[n_idx]), ref_rot[f_idx])
            init6 = to_sixd(quat_mul(to_quat(sixd[n_idx]), step_q))
            free0 = trans[n_idx][:, tj] + (ref_free[f_idx] - ref_free[n_idx])
            s = init6.clone().requires_grad_(True)
            u = (free0 / size).clone().requires_grad_(True)
            opt, sched = _optimizer([s, u], config.lr, config.iterations)
            for _ in range(config.iterations):
                full_t = compose_translations(trans[f_idx], u * size, tj)
                data, _ = _data_loss(sk, s, full_t, f_idx, targets, cams, w)
                loss = data + w.init * init_loss(s, init6) + _reference(w, u * size, ref_free[f_idx], size, cams)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
            sixd[f_idx] = s.detach()
            trans[f_idx[:, None], tj[None, :]] = (u * size).detach()
            step += config.iterations
            if progress is not None:
                progress(step, total, loss.item())
            if on_pose is not None:
                on_pose(step, total, lambda: problem.keep_known(Motion(quat_align(to_quat(sixd), base.rotations), trans.clone(), problem.motion.fps)))

        # 2. Smooth every gap jointly over the span from the first gap's left neighbour to the
        #    last gap's right neighbour; known frames in the span are constants.
        if config.smooth_iterations > 0 and gaps:
            lo, hi = gaps[0][0] - 1, gaps[-1][1] + 1
            span = torch.arange(lo, hi)
            unknown = (~problem.known[span]).nonzero().flatten()  # positions within the span
            frames = span[unknown]
            sweep6 = sixd[frames].clone()
            s = sweep6.clone().requires_grad_(True)
            u = (trans[frames][:, tj] / size).clone().requires_grad_(True)
            opt, sched = _optimizer([s, u], config.smooth_lr, config.smooth_iterations)
            for it in range(config.smooth_iterations):
                span6 = sixd[span].index_copy(0, unknown, s)
                span_t = trans[span].index_copy(0, unknown, compose_translations(trans[frames], u * size, tj))
                _, g_pos = pose_globals(sk, span6, span_t)
                data, _ = _data_loss(sk, s, span_t[unknown], frames, targets, cams, w)
                loss = (
                    data
                    + w.smooth * acceleration_loss(g_pos, size)
                    + w.init * init_loss(s, sweep6)
                    + _reference(w, u * size, ref_free[frames], size, cams)
                )
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                if check_cancel is not None and (it + 1) % 25 == 0:
                    check_cancel()
            sixd[frames] = s.detach()
            trans[frames[:, None], tj[None, :]] = (u * size).detach()
            step += config.smooth_iterations
            if progress is not None:
                progress(step, total, loss.item())

    rotations = quat_align(to_quat(sixd), base.rotations)
    return problem.keep_known(Motion(rotations, trans, problem.motion.fps))
