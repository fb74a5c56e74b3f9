"""Mimicking targets: what each view shows of the character at each frame."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.render.cameras import PerspectiveCameras

__all__ = ["MimicTargets", "targets_from_frames"]


@dataclass(frozen=True, eq=False)
class MimicTargets:
    """Per-view, per-frame targets over the ``T`` frames of an in-betweening problem.

    Attributes:
        cameras: the ``V`` cameras the targets are seen from (the render rig's views).
        joints_2d: ``(V, T, J, 2)`` pixels (top-left origin, the conventions of
            :mod:`anymole.render.cameras`).
        weight: ``(V, T, J)`` confidence in [0, 1]; 0 where there is no target (known frames,
            frames or joints the video does not show).
        depth: ``(V, T, J)`` world units along each camera's optical axis, or ``None``.
        silhouettes: ``(V, T, H, W)`` in [0, 1], or ``None``.
    """

    cameras: PerspectiveCameras
    joints_2d: Tensor
    weight: Tensor
    depth: Tensor | None = None
    silhouettes: Tensor | None = None

    def __post_init__(self) -> None:
        V = len(self.cameras)
        if self.joints_2d.dim() != 4 or self.joints_2d.shape[0] != V or self.joints_2d.shape[-1] != 2:
            raise ValidationError("targets.joints_2d", f"expected ({V}, T, J, 2), got {tuple(self.joints_2d.shape)}")
        vtj = tuple(self.joints_2d.shape[:3])
        if tuple(self.weight.shape) != vtj:
            raise ValidationError("targets.weight", f"expected {vtj}, got {tuple(self.weight.shape)}")
        if self.depth is not None and tuple(self.depth.shape) != vtj:
            raise ValidationError("targets.depth", f"expected {vtj}, got {tuple(self.depth.shape)}")
        if self.silhouettes is not None:
            H, W = self.cameras.image_size
            if tuple(self.silhouettes.shape) != (V, vtj[1], H, W):
                raise ValidationError("targets.silhouettes", f"expected {(V, vtj[1], H, W)}, got {tuple(self.silhouettes.shape)}")
        for name in ("joints_2d", "weight", "depth"):
            t = getattr(self, name)
            if t is not None and not torch.isfinite(t).all():
                raise ValidationError(f"targets.{name}", "contains NaN or inf")

    @property
    def num_frames(self) -> int:
        return int(self.joints_2d.shape[1])

    @property
    def num_joints(self) -> int:
        return int(self.joints_2d.shape[2])


def targets_from_frames(
    estimator,
    frames: Tensor,
    cameras: PerspectiveCameras,
    known: Tensor,
    *,
    use_depth: bool = True,
) -> MimicTargets:
    """Targets from video frames through a trained :class:`anymole.estimator.JointEstimator`.

    Args:
        estimator: trained on renders of this character from ``cameras``.
        frames: ``(V, T, H, W, 3)`` RGB in [0, 1], one clip per view, covering the problem's
            ``T`` frames (frames at known indices are not used and may be anything).
        cameras: the ``V`` cameras the clips are seen from.
        known: ``(T,)`` bool, True where the pose is known; those frames get weight 0.
        use_depth: keep the estimator's depth as a target.

    Returns:
        :class:`MimicTargets` with unit weight on every unknown frame.
    """
    if frames.dim() != 5 or frames.shape[0] != len(cameras) or frames.shape[-1] != 3:
        raise ValidationError("frames", f"expected ({len(cameras)}, T, H, W, 3), got {tuple(frames.shape)}")
    V, T = frames.shape[:2]
    known = torch.as_tensor(known, dtype=torch.bool)
    if known.shape != (T,):
        raise ValidationError("known", f"expected ({T},), got {tuple(known.shape)}")
    J = estimator.num_joints
    joints = torch.zeros(V, T, J, 2)
    depth = torch.zeros(V, T, J)
    unknown = (~known).nonzero().flatten()
    if unknown.numel():
        j, d = estimator.predict(frames[:, unknown].reshape(-1, *frames.shape[2:]))
        joints[:, unknown] = j.float().cpu().reshape(V, -1, J, 2)
        depth[:, unknown] = d.float().cpu().reshape(V, -1, J)
    weight = (~known).float()[None, :, None].expand(V, T, J).contiguous()
    return MimicTargets(cameras, joints, weight, depth if use_depth else None)
