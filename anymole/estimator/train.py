"""Training and evaluating the joint estimator on renders of one character.

Loss per sample: the mean L1 distance between predicted and true joints in units of the image
width, plus ``depth_weight`` × the mean L1 error of the normalised depth, plus
``heatmap_weight`` × each heatmap's mean squared distance from the true joint (in image widths²;
it equals the squared error of the soft-argmax plus the heatmap's spread, so it pulls every
heatmap into a tight peak on its joint and gives useful gradients from the first step, where the
L1 term alone trains slowly). Adam with a one-cycle
learning rate (as the reference implementation), augmentation from
:func:`anymole.estimator.data.augment` on every batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from anymole.errors import ValidationError
from anymole.threads import MODULE_CONSTRUCTION_LOCK
from anymole.estimator.crop import crop_aspect, crop_images, crop_size, fit_crops, foreground_boxes, to_crop
from anymole.estimator.data import AugmentConfig, EstimatorData, augment
from anymole.estimator.estimator import JointEstimator
from anymole.estimator.network import FeatureHeadNet, HeatmapNet, load_dinov2_backbone

__all__ = ["EstimatorConfig", "train_estimator", "evaluate_2d_error"]

Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


@dataclass(frozen=True)
class EstimatorConfig:
    """``steps`` optimiser steps of ``batch_size`` images at peak learning rate ``lr``;
    ``width`` channels of :class:`HeatmapNet`; ``relative_depth`` trains on each image's
    depths minus their mean over its joints (the pose's depth structure; a monocular network
    learns it far better than the absolute distance, whose error is shared by every joint);
    ``crop`` the longer side in pixels of the crop around the character that the network sees
    (:mod:`anymole.estimator.crop`; its aspect is the scene's, the shorter side a multiple of
    32, and never longer than the image's longer side; 0 feeds the whole image),
    ``crop_margin`` its margin; ``input_stride`` the network's average-pooling of its input
    (default: 1 on crops, 2 on whole images); ``perturbed_poses`` and ``perturb_sigma`` the
    pose augmentation of a transition's training set
    (:func:`anymole.estimator.data.render_transition_training_set`, read by its callers);
    ``backbone_path`` a local DINOv2 folder
    (transformers format) to use :class:`FeatureHeadNet` instead; ``seed`` fixes
    initialisation, batches and augmentation."""

    steps: int = 4000
    batch_size: int = 16
    lr: float = 1e-2
    width: int = 32
    crop: int = 96
    crop_margin: float = 0.15
    input_stride: int | None = None
    perturbed_poses: int = 90
    perturb_sigma: float = 0.3
    depth_weight: float = 0.5
    relative_depth: bool = True
    heatmap_weight: float = 1.0
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    backbone_path: str | None = None
    seed: int = 0
    device: str = "cpu"


def _input_stride(config: EstimatorConfig) -> int:
    return config.input_stride if config.input_stride is not None else (1 if config.crop else 2)


def _network(config: EstimatorConfig, num_joints: int) -> tuple[torch.nn.Module, str]:
    if config.backbone_path:
        return FeatureHeadNet(load_dinov2_backbone(config.backbone_path), num_joints), config.backbone_path
    return HeatmapNet(num_joints, config.width, _input_stride(config)), "scratch"


def _network_inputs(data: EstimatorData, config: EstimatorConfig) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int] | None]:
    """The images and 2D labels the network trains on: crops around the character (and the crop
    size), or the whole images (and ``None``) when ``config.crop`` is 0."""
    if not config.crop:
        return data.images, data.joints_2d, None
    boxes = foreground_boxes(data.images)  # once: they set both the aspect and the crops
    multiple = 32 * _input_stride(config)
    longest = -(-max(data.image_size) // multiple) * multiple  # no point magnifying past the image
    size = crop_size(min(config.crop, longest), crop_aspect(boxes), multiple)
    crops = fit_crops(boxes, size, config.crop_margin)
    return crop_images(data.images, crops, size), to_crop(data.joints_2d, crops, size), size


def train_estimator(
    data: EstimatorData,
    config: EstimatorConfig = EstimatorConfig(),
    *,
    network: torch.nn.Module | None = None,
    progress: Progress | None = None,
    check_cancel: Callable[[], None] | None = None,
    progress_every: int = 50,
) -> JointEstimator:
    """Train an estimator on ``data`` (renders of one character).

    ``network`` overrides the one ``config`` would build (it must take ``(B, 3, H, W)`` and
    return ``(B, 2J, h, w)``). ``progress(step, steps, loss)`` is called every
    ``progress_every`` steps and at the end; ``check_cancel()`` is called as often and aborts
    training by raising.
    """
    if len(data) == 0:
        raise ValidationError("data", "no training images")
    if config.steps < 1 or config.batch_size < 1:
        raise ValidationError("config", f"steps and batch_size must be positive, got {config.steps}, {config.batch_size}")
    if config.crop and config.crop < 32:
        raise ValidationError("config", f"crop must be 0 or at least 32 pixels, got {config.crop}")
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    J = data.num_joints
    if network is None:
        with MODULE_CONSTRUCTION_LOCK:
            network, backbone = _network(config, J)
    else:
        backbone = type(network).__name__
    device = torch.device(config.device)
    network = network.to(device).train()

    depth_mean = float(data.depth.mean())
    labels = data.depth - data.depth.mean(-1, keepdim=True) if config.relative_depth else data.depth - depth_mean
    depth_scale = float(labels.std().clamp_min(1e-6)) if labels.numel() > 1 else 1.0
    images, joints, crop = _network_inputs(data, config)
    estimator = JointEstimator(
        network, data.image_size, depth_mean, depth_scale, backbone, config.relative_depth, crop, config.crop_margin,
    )
    H, W = estimator.input_size

    params = [p for p in network.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=config.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps, pct_start=0.15)
    depth = labels / depth_scale
    size = float(W)
    running = None
    for step in range(1, config.steps + 1):
        idx = torch.randint(len(data), (config.batch_size,), generator=gen)
        img, j2d = augment(images[idx], joints[idx], config.augment, gen)
        img, j2d, dep = img.to(device), j2d.to(device), depth[idx].to(device)
        pred_j, pred_d, heat = estimator.forward_with_heatmaps(img)
        loss = (pred_j - j2d).abs().sum(-1).mean() / size + config.depth_weight * (pred_d - dep).abs().mean()
        if config.heatmap_weight > 0:
            loss = loss + config.heatmap_weight * heatmap_spread(heat, j2d, (H, W))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if step % progress_every == 0 or step == config.steps:
            if check_cancel is not None:
                check_cancel()
            if progress is not None:
                progress(step, config.steps, running)
    network.eval()
    return estimator


def heatmap_spread(heat: torch.Tensor, joints: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """Mean over joints of ``E_heat[|cell centre − joint|²]`` in image widths².

    ``heat (B, J, h, w)`` normalised heatmaps covering ``image_size (H, W)``; ``joints (B, J, 2)``
    true pixels."""
    B, J, h, w = heat.shape
    H, W = image_size
    xs = (torch.arange(w, device=heat.device, dtype=heat.dtype) + 0.5) * (W / w)
    ys = (torch.arange(h, device=heat.device, dtype=heat.dtype) + 0.5) * (H / h)
    dx2 = (xs.view(1, 1, w) - joints[..., 0:1]).square()  # (B, J, w)
    dy2 = (ys.view(1, 1, h) - joints[..., 1:2]).square()  # (B, J, h)
    spread = (heat.sum(2) * dx2).sum(-1) + (heat.sum(3) * dy2).sum(-1)
    return spread.mean() / (W * W)


def evaluate_2d_error(estimator: JointEstimator, data: EstimatorData) -> float:
    """Mean Euclidean distance in pixels between predicted and true joints over every joint of
    every image of ``data`` (renders the estimator was not trained on, for a held-out score)."""
    pred, _ = estimator.predict(data.images)
    return float((pred - data.joints_2d.to(pred.device)).norm(dim=-1).mean())
