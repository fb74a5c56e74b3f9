"""The trained estimator: a network plus the normalisation of its depth labels."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from anymole.errors import ValidationError
from anymole.estimator.crop import crop_images, fit_crops, foreground_boxes, from_crop
from anymole.estimator.network import soft_argmax

__all__ = ["JointEstimator"]


@dataclass(eq=False)
class JointEstimator:
    """Predicts joints from images of the character it was trained on.

    Attributes:
        network: maps ``(B, 3, H, W)`` to ``(B, 2J, h, w)`` (see :mod:`anymole.estimator.network`).
        image_size: ``(H, W)`` of the images it was trained on; inputs must match.
        depth_mean, depth_scale: depth labels were ``(depth − mean) / scale`` (world units).
        backbone: ``"scratch"`` or the pretrained backbone's path, for reports.
        relative_depth: labels were each image's depths minus their mean over its joints;
            :meth:`predict` then returns that relative depth plus ``depth_mean`` (only depth
            differences between the joints of one image are meaningful).
        crop_size: ``(h, w)`` of the crop around the character the network sees
            (:mod:`anymole.estimator.crop`), or ``None`` to feed it the whole image.
        crop_margin: margin of the crop around the foreground box, a fraction of its extent.
        background: RGB of the scene's empty pixels (what is not the character).
    """

    network: nn.Module
    image_size: tuple[int, int]
    depth_mean: float
    depth_scale: float
    backbone: str = "scratch"
    relative_depth: bool = False
    crop_size: tuple[int, int] | None = None
    crop_margin: float = 0.15
    background: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @property
    def num_joints(self) -> int:
        return int(self.network.num_joints)

    @property
    def input_size(self) -> tuple[int, int]:
        """``(h, w)`` of what the network sees: the crop, or the whole image."""
        return tuple(self.crop_size) if self.crop_size is not None else tuple(self.image_size)

    def crops(self, images: Tensor) -> Tensor:
        """``(B, 3)`` crops ``(cx, cy, s)`` around the character in ``images (B, H, W, 3)``."""
        return fit_crops(foreground_boxes(images, self.background), self.crop_size, self.crop_margin)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Differentiable prediction: ``images (B, H, W, 3)`` in [0, 1] → ``joints (B, J, 2)``
        image pixels and normalised depth ``(B, J)`` (the training target's units)."""
        if self.crop_size is None:
            joints, depth_n, _ = self.forward_with_heatmaps(images)
            return joints, depth_n
        crops = self.crops(images)
        joints, depth_n, _ = self.forward_with_heatmaps(crop_images(images, crops, self.crop_size, self.background))
        return from_crop(joints, crops, self.crop_size), depth_n

    def forward_with_heatmaps(self, inputs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The network on its inputs ``(B, h, w, 3)`` (crops, or whole images without
        cropping): joints in *input* pixels ``(B, J, 2)``, normalised depth ``(B, J)`` and each
        joint's normalised heatmap ``(B, J, h', w')``."""
        maps = self.network(inputs.permute(0, 3, 1, 2))
        return soft_argmax(maps, self.input_size)

    @torch.no_grad()
    def predict(self, images: Tensor, batch_size: int = 32) -> tuple[Tensor, Tensor]:
        """``images (N, H, W, 3)`` RGB in [0, 1] → ``joints_2d (N, J, 2)`` pixels (top-left
        origin) and ``depth (N, J)`` along the optical axis in world units (relative: see
        ``relative_depth``)."""
        if images.dim() != 4 or tuple(images.shape[1:3]) != tuple(self.image_size) or images.shape[-1] != 3:
            raise ValidationError("images", f"expected (N, {self.image_size[0]}, {self.image_size[1]}, 3), got {tuple(images.shape)}")
        was_training = self.network.training
        self.network.eval()
        try:
            param = next(self.network.parameters())
            joints, depth = [], []
            for start in range(0, images.shape[0], batch_size):
                j, d = self.forward(images[start:start + batch_size].to(param.device, param.dtype))
                joints.append(j)
                depth.append(d * self.depth_scale + self.depth_mean)
        finally:
            self.network.train(was_training)
        return torch.cat(joints), torch.cat(depth)
