"""The mimicking objective: stateless functions of explicit inputs.

A pose batch is ``F`` frames of one character: local rotations as 6D ``(F, J, 6)`` (the first
two columns of each rotation matrix, Zhou et al. 2019 — continuous, so the optimiser never meets
a quaternion's sign flip or norm constraint) and translations ``(F, J, 3)`` in skeleton units,
of which only the translating joints' rows are free. Losses are scale-free: pixels are divided
by the image width and lengths by the character's size (:attr:`Skeleton.size`), so one set of
weights serves a fox and a human at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from anymole.geometry.rotations import matrix_to_quat, matrix_to_sixd, quat_to_matrix, sixd_to_matrix
from anymole.kinematics import forward_kinematics
from anymole.render.renderer import project_joints
from anymole.skeleton import Skeleton

__all__ = [
    "MimicWeights",
    "to_sixd",
    "to_quat",
    "compose_translations",
    "pose_globals",
    "keypoint_loss",
    "depth_loss",
    "silhouette_loss",
    "init_loss",
    "reference_loss",
    "reference_depth_loss",
    "acceleration_loss",
]


@dataclass(frozen=True)
class MimicWeights:
    """Weights of the loss terms (every term is already scale-free, see the module docstring).

    ``keypoints``: projected joints vs targets; ``depth``: joint depth vs targets;
    ``silhouette``: soft silhouette vs targets (0 disables rendering); ``init``: 6D rotations
    toward the frame's initialisation; ``reference``: translations toward the keyframe
    interpolation; ``reference_depth``: the same along the target views' optical axes, where
    one view barely sees a move (it only rescales the character) while the keyframes pin the
    distance down — measured on CMU windows with an oracle front view, the solved root drifted
    0.09–0.12 sizes in depth against 0.02 for the interpolation without this term;
    ``smooth``: global joint acceleration in the smoothing pass.
    """

    keypoints: float = 1.0
    depth: float = 0.05
    silhouette: float = 0.0
    init: float = 0.002
    reference: float = 0.01
    reference_depth: float = 1.0
    smooth: float = 1.0


def to_sixd(quat: Tensor) -> Tensor:
    """Unit quaternions ``(..., 4)`` (x, y, z, w) → 6D ``(..., 6)``."""
    return matrix_to_sixd(quat_to_matrix(quat))


def to_quat(sixd: Tensor) -> Tensor:
    """6D ``(..., 6)`` → unit quaternions ``(..., 4)`` (x, y, z, w)."""
    return matrix_to_quat(sixd_to_matrix(sixd))


def compose_translations(base: Tensor, free: Tensor, joints: Tensor) -> Tensor:
    """``base (F, J, 3)`` with rows ``joints (K,)`` replaced by ``free (F, K, 3)`` (differentiable
    in ``free``)."""
    return base.index_copy(1, joints, free)


def pose_globals(skeleton: Skeleton, sixd: Tensor, translations: Tensor) -> tuple[Tensor, Tensor]:
    """Global rotations ``(F, J, 4)`` and positions ``(F, J, 3)`` of a 6D pose batch."""
    return forward_kinematics(skeleton.parents, to_quat(sixd), translations, skeleton.fk_scales)


def _robust(sq: Tensor, eps: float = 1e-3) -> Tensor:
    """Charbonnier penalty of squared distances: ``sqrt(sq + eps²) − eps``."""
    return (sq + eps * eps).sqrt() - eps


def _weighted_mean(values: Tensor, weight: Tensor) -> Tensor:
    return (values * weight).sum() / weight.sum().clamp_min(1e-8)


def keypoint_loss(global_pos: Tensor, cameras, target_2d: Tensor, weight: Tensor) -> Tensor:
    """Weighted mean robust distance between projected and target joints, in image widths.

    ``global_pos (F, J, 3)``; ``target_2d (V, F, J, 2)`` pixels; ``weight (V, F, J)``."""
    pred, _ = project_joints(global_pos, cameras)
    W = float(cameras.image_size[1])
    return _weighted_mean(_robust(((pred - target_2d) / W).square().sum(-1)), weight)


def depth_loss(global_pos: Tensor, cameras, target_depth: Tensor, weight: Tensor, size: float) -> Tensor:
    """Weighted mean robust error of *relative* depth in character sizes; ``target_depth (V, F, J)``.

    Each view's depths are compared after subtracting their weighted mean over the frame's
    joints: the joints' order in depth (which arm is in front) is what a monocular estimator
    gets right, while its absolute depth carries a bias shared by all joints (measured at about
    0.25 character sizes against 0.05 for the relative part on CMU renders) that would pull the
    whole character along the optical axis. The character's distance comes from the 2D scale
    and the translation reference instead."""
    _, depth = project_joints(global_pos, cameras)
    w = weight.clamp_min(0)
    norm = w.sum(-1, keepdim=True).clamp_min(1e-8)
    rel = depth - (depth * w).sum(-1, keepdim=True) / norm
    rel_t = target_depth - (target_depth * w).sum(-1, keepdim=True) / norm
    return _weighted_mean(_robust(((rel - rel_t) / size).square()), weight)


def silhouette_loss(skeleton: Skeleton, global_rot: Tensor, global_pos: Tensor, cameras, target: Tensor) -> Tensor:
    """Mean squared difference between the soft silhouette rendered through the differentiable
    rasteriser and ``target (V, F, H, W)``."""
    from anymole.render.renderer import render

    sil = render(skeleton, (global_rot, global_pos), cameras, mode="silhouette").silhouettes
    return (sil - target).square().mean()


def init_loss(sixd: Tensor, init_sixd: Tensor) -> Tensor:
    """Mean squared 6D distance to the initialisation (≈ squared angle for small rotations)."""
    return (sixd - init_sixd).square().sum(-1).mean()


def reference_loss(free: Tensor, reference: Tensor, size: float) -> Tensor:
    """Mean squared distance of the free translations ``(F, K, 3)`` to ``reference (F, K, 3)``
    (the keyframe interpolation), in character sizes."""
    return ((free - reference) / size).square().sum(-1).mean()


def reference_depth_loss(free: Tensor, reference: Tensor, size: float, cameras) -> Tensor:
    """Mean squared distance of the free translations ``(F, K, 3)`` to ``reference (F, K, 3)``
    along each camera's optical axis, in character sizes (mean over the ``V`` cameras)."""
    axes = cameras.rotation[:, 2, :].to(free.dtype)  # (V, 3): world → camera's third row
    return (((free - reference) / size) @ axes.T).square().mean()


def acceleration_loss(global_pos: Tensor, size: float) -> Tensor:
    """Mean robust norm of the second difference over frames of ``global_pos (F, J, 3)``, in
    character sizes per frame²; ``F >= 3``. (A norm, not its square: accelerations are ~1e-3
    sizes per frame², so a squared term would vanish next to the data terms.)"""
    acc = global_pos[2:] - 2 * global_pos[1:-1] + global_pos[:-2]
    return _robust((acc / size).square().sum(-1), eps=1e-5).mean()
