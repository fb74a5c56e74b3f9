"""In-betweening quality metrics: L2Q, L2P, NPSS (LAFAN1's benchmark), foot skate and the
keyframe error.

Shapes: ``(..., T, J, K)`` — any leading batch dims (typically ``B`` windows), ``T`` frames (the
gap frames only, as in LAFAN1: neither the context nor the target keyframe), ``J`` joints, ``K``
= 4 for quaternions (x, y, z, w) or 3 for positions. Every tensor is in the canonical frame;
positions in the skeleton's units.

Definitions, and how each relates to Harvey et al. 2020 ("Robust motion in-betweening",
LAFAN1; reference code ``ubisoft-laforge-animation-dataset/lafan1/benchmarks.py``):

* **L2Q** — for each frame, the Euclidean norm of the difference between the predicted and true
  *global* quaternions of all joints concatenated (a ``4J`` vector), averaged over frames and
  windows::

      L2Q = mean_{b,t} sqrt( sum_j || align(q̂_btj, q_btj) - q_btj ||² )

  ``align`` flips each predicted quaternion to the hemisphere of the true one (q and -q are the
  same rotation), so a sign flip costs nothing. LAFAN1 instead makes each sequence's quaternions
  continuous in time (``remove_quat_discontinuities``) and compares them as they come; for
  predictions near the truth the two agree, and ours never charges a pure sign difference.

* **L2P** — the same norm on *global positions* (a ``3J`` vector per frame), but divided by the
  character's size (:attr:`anymole.skeleton.Skeleton.size`, the largest rest-pose distance
  between two joints) instead of LAFAN1's normalisation by the training set's per-coordinate
  mean and standard deviation::

      L2P = mean_{b,t} sqrt( sum_j || p̂_btj - p_btj ||² ) / size

  Dividing by the size makes the number scale-free, so a fox in centimetres and a human in
  metres compare, and keeps it invariant to translating or rotating the whole scene (LAFAN1's
  per-axis standard deviations are not rotation-invariant). Numbers are therefore not equal to
  LAFAN1's published L2P; compare methods with each other on the same corpus. The norm still
  grows like ``sqrt(J)`` with the joint count, as LAFAN1's does.

* **NPSS** — normalised power spectrum similarity (Gopalakrishnan et al. 2019) on the global
  quaternions, computed exactly as LAFAN1's ``fast_npss``. Each feature ``d`` (a quaternion
  component of a joint, ``D = 4J`` per window) is a signal over the ``T`` gap frames; its power
  spectrum is ``P_d(f) = Re(FFT(x_d))(f)²`` (LAFAN1 squares the real part of the FFT, not the
  magnitude — kept for comparability), normalised to sum 1 over ``f``. The distance of a
  feature is the earth mover's distance between the two normalised spectra, the L1 norm of the
  difference of their cumulative sums; NPSS is the average of these distances over every
  feature of every window, weighted by the true signal's total power ``sum_f P_d(f)``::

      NPSS = sum_{b,d} w_bd · || cumsum(P̂_bd) - cumsum(P_bd) ||₁ / sum_{b,d} w_bd

  Each quaternion track (prediction and truth separately) is first made **sign-continuous in
  time** (:func:`anymole.geometry.rotations.quat_make_continuous`: each frame's quaternion is
  flipped into the hemisphere of the previous frame's), as LAFAN1's
  ``remove_quat_discontinuities`` does before its ``fast_npss``. Without it a track that
  crosses w = 0 has a spurious jump whose spectrum swamps the motion's. A sign flip of a whole
  track leaves its power spectrum unchanged, so no alignment between the two is needed.
  Identical signals give 0.

* **foot skate** — how fast planted feet slide (:func:`foot_skate`). Contact rule: the
  *end joints* (joints without children) whose lowest height over the known frames is within
  ``CONTACT_HEIGHT`` (0.05) character sizes of the floor are the feet; the floor is the lowest
  height of any joint over the known frames (up is +Y, the canonical frame), so a foot is
  among the lowest points of the body. A foot is *planted*
  at a gap frame when its height is within ``CONTACT_HEIGHT`` sizes of the floor. The figure
  is the mean horizontal (XZ) speed of planted feet over planted (foot, frame) pairs, speeds
  by central differences over the gap frames with their neighbours, in character sizes per
  second. Computed the same way on the truth, it gives the ground truth's own value (feet
  that roll or pivot in real capture move a little).

* **keyframe error** — the largest global joint position error at the known frames, divided by
  the character's size: 0 for a method that holds its keyframes exactly.
"""

from __future__ import annotations

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.geometry.rotations import quat_align, quat_make_continuous
from anymole.kinematics import forward_kinematics
from anymole.motion import Motion
from anymole.skeleton import Skeleton

_EPS = 1e-12


def _check_pair(name: str, pred: Tensor, true: Tensor, k: int) -> None:
    if pred.shape != true.shape:
        raise ValidationError(name, f"prediction shape {tuple(pred.shape)} differs from truth {tuple(true.shape)}")
    if pred.dim() < 3 or pred.shape[-1] != k:
        raise ValidationError(name, f"expected shape (..., T, J, {k}), got {tuple(pred.shape)}")


def _reduce(per_item: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_item.mean()
    if reduction == "none":
        return per_item
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def l2q(pred_global_rot: Tensor, true_global_rot: Tensor, reduction: str = "mean") -> Tensor:
    """L2Q: mean over frames of the norm of the concatenated global-quaternion difference.

    Args:
        pred_global_rot, true_global_rot: ``(..., T, J, 4)`` unit global quaternions (x, y, z, w).
        reduction: ``"mean"`` → a 0-dim tensor averaged over ``(..., T)``; ``"none"`` → ``(...)``,
            each item averaged over its ``T`` frames.
    """
    _check_pair("l2q", pred_global_rot, true_global_rot, 4)
    pred = quat_align(pred_global_rot, true_global_rot)
    per_frame = (pred - true_global_rot).square().sum(dim=(-1, -2)).sqrt()  # (..., T)
    return _reduce(per_frame.mean(-1), reduction)


def l2p(pred_pos: Tensor, true_pos: Tensor, size: float | Tensor, reduction: str = "mean") -> Tensor:
    """L2P: mean over frames of the norm of the concatenated global-position difference,
    divided by the character ``size`` (same units as the positions).

    Args:
        pred_pos, true_pos: ``(..., T, J, 3)`` global joint positions.
        size: a float, or a tensor broadcasting against ``(...)`` (one size per window).
        reduction: as for :func:`l2q`.
    """
    _check_pair("l2p", pred_pos, true_pos, 3)
    size = torch.as_tensor(size, dtype=pred_pos.dtype, device=pred_pos.device)
    if (size <= 0).any():
        raise ValidationError("size", "character size must be positive")
    per_frame = (pred_pos - true_pos).square().sum(dim=(-1, -2)).sqrt()  # (..., T)
    return _reduce(per_frame.mean(-1) / size, reduction)


def npss_terms(pred_global_rot: Tensor, true_global_rot: Tensor) -> tuple[Tensor, Tensor]:
    """Per-feature NPSS pieces: ``(emd, weight)``, each ``(..., 4J)``.

    ``emd`` is the earth mover's distance between the normalised power spectra of prediction and
    truth of each feature; ``weight`` is the truth's total power. NPSS is
    ``(emd * weight).sum() / weight.sum()`` over whatever set of windows is being scored, which
    lets a benchmark pool windows of skeletons with different ``J``.
    """
    _check_pair("npss", pred_global_rot, true_global_rot, 4)
    pred = quat_make_continuous(pred_global_rot, dim=-3)
    true_global_rot = quat_make_continuous(true_global_rot, dim=-3)
    lead = pred.shape[:-3]
    T = pred.shape[-3]
    x_pred = pred.reshape(*lead, T, -1)  # (..., T, D)
    x_true = true_global_rot.reshape(*lead, T, -1)
    p_pred = torch.fft.fft(x_pred, dim=-2).real.square()
    p_true = torch.fft.fft(x_true, dim=-2).real.square()
    tot_pred = p_pred.sum(-2, keepdim=True)
    tot_true = p_true.sum(-2, keepdim=True)
    cdf_pred = torch.cumsum(p_pred / tot_pred.clamp_min(_EPS), dim=-2)
    cdf_true = torch.cumsum(p_true / tot_true.clamp_min(_EPS), dim=-2)
    emd = (cdf_pred - cdf_true).abs().sum(-2)  # (..., D)
    return emd, tot_true.squeeze(-2)


def npss(pred_global_rot: Tensor, true_global_rot: Tensor) -> Tensor:
    """NPSS of ``(..., T, J, 4)`` global quaternions: the power-weighted mean of
    :func:`npss_terms` over every feature of every window; a 0-dim tensor (0 when identical)."""
    emd, w = npss_terms(pred_global_rot, true_global_rot)
    return (emd * w).sum() / w.sum().clamp_min(_EPS)


CONTACT_HEIGHT = 0.05
"""Contact threshold: a foot within this many character sizes of the floor is planted."""

CONTACT_SPEED = 0.25
"""Contact speed threshold at known frames (character sizes per second), used by the
in-betweener to decide which feet are planted where the motion is known."""


def end_joints(parents) -> list[int]:
    """Joints without children, in order."""
    parents = [int(p) for p in parents]
    has_child = set(p for p in parents if p >= 0)
    return [j for j in range(len(parents)) if j not in has_child]


def contact_feet(known_pos: Tensor, ends: list[int], size: float) -> tuple[list[int], float]:
    """Which end joints are feet, and the floor height, from known global positions
    ``(F, J, 3)`` of every joint (skeleton units, +Y up): ``(feet, floor_y)`` by the rule of
    the module docstring."""
    floor = float(known_pos[..., 1].min())
    h = known_pos[..., ends, 1]  # (F, E)
    low = (h.min(dim=0).values - floor) <= CONTACT_HEIGHT * size
    return [e for e, ok in zip(ends, low.tolist()) if ok], floor


def foot_skate(
    pos: Tensor, feet: list[int], floor_y: float, size: float, fps: float, frames: slice | None = None, reduction: str = "mean"
) -> Tensor | tuple[Tensor, Tensor]:
    """Foot skate: mean horizontal speed of planted feet, character sizes per second.

    Args:
        pos: ``(..., T, J, 3)`` global joint positions, skeleton units, +Y up.
        feet: the foot joints (:func:`contact_feet`).
        floor_y: the floor height, skeleton units.
        size: the character size (skeleton units).
        fps: frames per second of ``pos``.
        frames: the frames scored (default all but the first and last); speeds are central
            differences, so the scored frames need a neighbour on each side.
        reduction: ``"mean"`` → a 0-dim tensor (0 when nothing is planted); ``"sum"`` →
            ``(sum of planted speeds, planted count)`` for pooling windows.
    """
    T = pos.shape[-3]
    frames = frames if frames is not None else slice(1, T - 1)
    idx = torch.arange(T)[frames]
    if idx.numel() == 0 or not feet or int(idx.min()) < 1 or int(idx.max()) > T - 2:
        if idx.numel() and feet and (int(idx.min()) < 1 or int(idx.max()) > T - 2):
            raise ValidationError("frames", "scored frames need a neighbour on each side")
        z = pos.new_zeros(())
        return (z, z) if reduction == "sum" else z
    p = pos[..., feet, :]
    v = (p[..., idx + 1, :, :] - p[..., idx - 1, :, :]) * (0.5 * fps / size)
    speed = v[..., [0, 2]].norm(dim=-1)  # (..., F, E)
    planted = (p[..., idx, :, 1] - floor_y) <= CONTACT_HEIGHT * size
    total = (speed * planted).sum()
    count = planted.sum().to(pos.dtype)
    if reduction == "sum":
        return total, count
    return total / count.clamp_min(1)


def keyframe_error(skeleton: Skeleton, motion: Motion, reference: Motion, known: Tensor) -> float:
    """Largest global joint position error at the ``known`` frames, divided by ``skeleton.size``.

    Args:
        motion, reference: ``(T, J)`` motions of ``skeleton``.
        known: ``(T,)`` bool; the frames where ``motion`` should equal ``reference``.

    Returns 0.0 when no frame is known (or the known frames match exactly).
    """
    known = torch.as_tensor(known, dtype=torch.bool)
    if known.shape != (motion.num_frames,) or reference.num_frames != motion.num_frames:
        raise ValidationError(
            "known", f"expected ({motion.num_frames},) for motions of {motion.num_frames} and {reference.num_frames} frames"
        )
    if not bool(known.any()):
        return 0.0
    motion.check_skeleton(skeleton)
    reference.check_skeleton(skeleton, "reference")
    _, p = forward_kinematics(skeleton.parents, motion.rotations[known], motion.translations[known], skeleton.fk_scales)
    _, p_ref = forward_kinematics(skeleton.parents, reference.rotations[known], reference.translations[known], skeleton.fk_scales)
    return float((p - p_ref).norm(dim=-1).max()) / skeleton.size
