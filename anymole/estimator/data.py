"""Training data for the joint estimator: renders of the character with its joints as labels.

Images are ``(N, H, W, 3)`` float RGB in [0, 1]; ``joints_2d`` are ``(N, J, 2)`` pixels in the
conventions of :mod:`anymole.render.cameras` (top-left origin, x right, y down, pixel ``(i, j)``
covers ``[j, j+1) × [i, i+1)``); ``depth`` is ``(N, J)`` along each camera's optical axis in world
units. ``N`` flattens (view, frame) pairs view-major: sample ``n`` is view ``n // T``, frame
``n % T`` of the frames rendered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.motion import Motion
from anymole.render.cameras import PerspectiveCameras
from anymole.skeleton import Skeleton

__all__ = [
    "EstimatorData", "render_training_set", "render_transition_training_set", "limb_joints", "perturb_poses",
    "augment", "AugmentConfig",
]


@dataclass(frozen=True, eq=False)
class EstimatorData:
    """Labelled images. ``images (N, H, W, 3)`` in [0, 1]; ``joints_2d (N, J, 2)`` pixels;
    ``depth (N, J)`` world units along the optical axis."""

    images: Tensor
    joints_2d: Tensor
    depth: Tensor

    def __post_init__(self) -> None:
        N = self.images.shape[0]
        if self.images.dim() != 4 or self.images.shape[-1] != 3:
            raise ValidationError("images", f"expected (N, H, W, 3), got {tuple(self.images.shape)}")
        if self.joints_2d.dim() != 3 or self.joints_2d.shape[0] != N or self.joints_2d.shape[-1] != 2:
            raise ValidationError("joints_2d", f"expected ({N}, J, 2), got {tuple(self.joints_2d.shape)}")
        if tuple(self.depth.shape) != tuple(self.joints_2d.shape[:2]):
            raise ValidationError("depth", f"expected {tuple(self.joints_2d.shape[:2])}, got {tuple(self.depth.shape)}")

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def image_size(self) -> tuple[int, int]:
        """``(H, W)`` pixels."""
        return int(self.images.shape[1]), int(self.images.shape[2])

    @property
    def num_joints(self) -> int:
        return int(self.joints_2d.shape[1])

    def subset(self, index: Tensor | Sequence[int]) -> "EstimatorData":
        index = torch.as_tensor(index, dtype=torch.long)
        return EstimatorData(self.images[index], self.joints_2d[index], self.depth[index])

    @staticmethod
    def cat(parts: Sequence["EstimatorData"]) -> "EstimatorData":
        return EstimatorData(
            torch.cat([p.images for p in parts]),
            torch.cat([p.joints_2d for p in parts]),
            torch.cat([p.depth for p in parts]),
        )


def render_training_set(
    skeleton: Skeleton,
    motion: Motion,
    frames: Sequence[int] | Tensor,
    cameras: PerspectiveCameras,
    *,
    backend: str = "torch",
) -> EstimatorData:
    """Render ``frames`` of ``motion`` from every camera: ``N = V · len(frames)`` samples.

    ``cameras`` should be the scene's rig (the same cameras the video frames are seen from), so
    that the estimator learns this character in this scene.
    """
    from anymole.render.renderer import render

    idx = torch.as_tensor(frames, dtype=torch.long).flatten()
    if idx.numel() == 0:
        raise ValidationError("frames", "no frames to render")
    if int(idx.min()) < 0 or int(idx.max()) >= motion.num_frames:
        raise ValidationError("frames", f"indices must lie in [0, {motion.num_frames}), got {idx.min().item()}..{idx.max().item()}")
    sub = Motion(motion.rotations[idx], motion.translations[idx], motion.fps)
    with torch.no_grad():
        out = render(skeleton, sub, cameras, mode="image", backend=backend)
    V, T, H, W, _ = out.images.shape
    return EstimatorData(
        out.images.reshape(V * T, H, W, 3).float(),
        out.joints_2d.reshape(V * T, -1, 2).float(),
        out.joints_depth.reshape(V * T, -1).float(),
    )


def limb_joints(skeleton: Skeleton, reach: float = 0.1) -> Tensor:
    """``(J,)`` bool: the joints whose rotation visibly moves the character — some descendant
    lies farther than ``reach × size`` from them in the rest pose (shoulders, elbows, hips,
    knees, spine, neck; not fingers, twist bones or leaves). The root is excluded."""
    rest = skeleton.rest_positions.double()
    J = skeleton.num_joints
    far = torch.zeros(J, dtype=torch.float64)  # longest chain below each joint
    for j in reversed(range(J)):  # parents precede children
        p = int(skeleton.parents[j])
        if p >= 0:
            far[p] = torch.maximum(far[p], (rest[j] - rest[p]).norm() + far[j])
    out = far > reach * skeleton.size
    out[skeleton.parents < 0] = False
    return out


def perturb_poses(
    skeleton: Skeleton, motion: Motion, frames: Tensor, sigma: float, generator: torch.Generator | None = None,
) -> Motion:
    """Poses ``motion[frames]`` with every :func:`limb_joints` rotation turned by a random
    rotation vector of ``sigma`` radians per axis (normal); translations kept. New poses of the
    same character around known ones: they teach the estimator limbs in places the context
    never showed them."""
    from anymole.geometry.rotations import quat_mul, rotvec_to_quat

    idx = torch.as_tensor(frames, dtype=torch.long).flatten()
    mask = limb_joints(skeleton).to(motion.rotations.dtype)
    rotvec = torch.randn(idx.numel(), skeleton.num_joints, 3, generator=generator).to(motion.rotations.dtype)
    noise = rotvec_to_quat(rotvec * sigma * mask[None, :, None])
    return Motion(quat_mul(motion.rotations[idx], noise), motion.translations[idx], motion.fps)


def render_transition_training_set(
    skeleton: Skeleton,
    motion: Motion,
    known: Tensor,
    reference: Motion,
    cameras: PerspectiveCameras,
    *,
    perturbed: int = 90,
    sigma: float = 0.3,
    seed: int = 0,
    backend: str = "torch",
) -> EstimatorData:
    """The estimator's training set for one transition, every pose rendered from every camera.

    * the known frames of ``motion`` (context and keyframes, ``known (T,)`` bool);
    * ``reference`` (the keyframe interpolation, ``(T, J)``) at the unknown frames: poses on
      the way between the keyframes;
    * ``perturbed`` poses around random unknown frames of ``reference``
      (:func:`perturb_poses`, ``sigma`` radians).

    Every label is exact — each image is a render of the character in a known pose — and no
    pose outside the scene is used. Without the last two, an estimator trained on the context
    alone misplaces limbs wherever the gap moves them somewhere new (measured on CMU windows,
    gap 30 at 128²: 4.6 → 2.8 px on the worst window).
    """
    known = torch.as_tensor(known, dtype=torch.bool)
    known_idx, gap_idx = known.nonzero().flatten(), (~known).nonzero().flatten()
    parts = [render_training_set(skeleton, motion, known_idx, cameras, backend=backend)]
    if gap_idx.numel():
        parts.append(render_training_set(skeleton, reference, gap_idx, cameras, backend=backend))
        if perturbed > 0:
            gen = torch.Generator().manual_seed(seed)
            pick = gap_idx[torch.randint(gap_idx.numel(), (perturbed,), generator=gen)]
            poses = perturb_poses(skeleton, reference, pick, sigma, gen)
            parts.append(render_training_set(skeleton, poses, torch.arange(perturbed), cameras, backend=backend))
    return EstimatorData.cat(parts)


@dataclass(frozen=True)
class AugmentConfig:
    """Random similarity transforms about the image centre and photometric jitter.

    ``scale``: log-uniform in ``[1/(1+scale), 1+scale]``; ``shift``: uniform, as a fraction of
    the image size; ``rotation_deg``: uniform in ``±rotation_deg``; ``brightness`` and
    ``contrast``: uniform multiplicative/additive jitter amplitudes.
    """

    scale: float = 0.12
    shift: float = 0.08
    rotation_deg: float = 12.0
    brightness: float = 0.1
    contrast: float = 0.15


def augment(
    images: Tensor, joints_2d: Tensor, config: AugmentConfig = AugmentConfig(), generator: torch.Generator | None = None,
    background: float = 1.0,
) -> tuple[Tensor, Tensor]:
    """Apply one random similarity transform per image to the image and its joints.

    Args:
        images: ``(B, H, W, 3)`` in [0, 1].
        joints_2d: ``(B, J, 2)`` pixels.
        background: grey level of pixels brought in from outside the image.

    Returns:
        ``(images (B, H, W, 3), joints_2d (B, J, 2))`` transformed alike. Depth is unchanged
        (a small 2D similarity approximates a camera zoom/roll, not a move in depth).
    """
    B, H, W, _ = images.shape
    dev, dt = images.device, images.dtype

    def uniform(lo: float, hi: float) -> Tensor:
        return torch.rand(B, generator=generator, device=dev if generator is None else generator.device).to(dev, dt) * (hi - lo) + lo

    s = torch.exp(uniform(-math.log1p(config.scale), math.log1p(config.scale)))
    a = uniform(-config.rotation_deg, config.rotation_deg) * (math.pi / 180.0)
    tx, ty = uniform(-config.shift, config.shift) * 2, uniform(-config.shift, config.shift) * 2
    cos, sin = torch.cos(a), torch.sin(a)

    # Forward map on normalised coordinates (x, y in [-1, 1], aspect-corrected so rotations are
    # rigid in pixels): p_out = s R p_in + t. affine_grid needs the inverse: p_in = R^T (p_out - t) / s.
    aspect = W / H  # x_n · aspect and y_n share pixel units
    R = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)  # (B, 2, 2) in aspect-corrected units
    D = torch.diag(torch.tensor([aspect, 1.0], device=dev, dtype=dt))
    Dinv = torch.diag(torch.tensor([1.0 / aspect, 1.0], device=dev, dtype=dt))
    t = torch.stack([tx, ty], -1)  # (B, 2) normalised units
    inv_lin = Dinv @ R.transpose(-1, -2) @ D / s[:, None, None]  # (B, 2, 2)
    theta = torch.cat([inv_lin, (-inv_lin @ t.unsqueeze(-1))], dim=-1)  # (B, 2, 3)
    grid = torch.nn.functional.affine_grid(theta, (B, 3, H, W), align_corners=False)
    x = images.permute(0, 3, 1, 2) - background
    out = torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + background

    # Photometric jitter.
    gain = 1 + uniform(-config.contrast, config.contrast)
    bias = uniform(-config.brightness, config.brightness)
    out = (out * gain[:, None, None, None] + bias[:, None, None, None]).clamp(0, 1)

    # Labels: pixels → normalised → forward map → pixels.
    size = torch.tensor([W, H], device=dev, dtype=dt)
    pn = joints_2d / size * 2 - 1  # (B, J, 2)
    lin = D.inverse() @ (s[:, None, None] * R) @ D  # forward linear part on normalised coordinates
    pn_out = (lin.unsqueeze(1) @ pn.unsqueeze(-1)).squeeze(-1) + t[:, None, :]
    return out.permute(0, 2, 3, 1), (pn_out + 1) / 2 * size
