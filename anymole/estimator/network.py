"""Networks of the joint estimator: image → per-joint heatmap logits and depth maps.

Both networks map images ``(B, 3, H, W)`` (RGB in [0, 1], channels first) to ``(B, 2J, h, w)``:
``J`` heatmap logits, then ``J`` depth maps, on a grid of ``h × w`` cells covering the image.
:func:`soft_argmax` turns them into joints ``(B, J, 2)`` in image pixels and a depth ``(B, J)``
(the depth map averaged under each joint's softmax heatmap — "integral regression", Sun et al.
2018), so the whole estimator is trained end to end on coordinates.

* :class:`HeatmapNet` — a small encoder–decoder trained from scratch: the default.
* :class:`FeatureHeadNet` — a convolutional head on a frozen pretrained ViT backbone (DINOv2
  through transformers, as the reference implementation did), used when its weights are on disk.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["HeatmapNet", "FeatureHeadNet", "soft_argmax", "load_dinov2_backbone"]


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class HeatmapNet(nn.Module):
    """A small U-Net from scratch. The image is average-pooled by ``input_stride`` first, then
    encoded down to 1/32 of its size (wide enough a view to tell left limbs from right ones) and
    decoded with skip connections to a grid of ``H / (2 · input_stride)`` cells — with the
    defaults, 64 × 64 cells for a 256 × 256 image (a cell is 4 pixels; soft-argmax is
    sub-cell)."""

    def __init__(self, num_joints: int, width: int = 32, input_stride: int = 2):
        super().__init__()
        c = width
        self.num_joints = num_joints
        self.input_stride = input_stride
        self.stem = _block(3, 16, 2)  # /2
        self.enc = nn.ModuleList([
            nn.Sequential(_block(16, c, 2), _block(c, c)),  # /4
            nn.Sequential(_block(c, 2 * c, 2), _block(2 * c, 2 * c)),  # /8
            nn.Sequential(_block(2 * c, 4 * c, 2), _block(4 * c, 4 * c)),  # /16
            nn.Sequential(_block(4 * c, 4 * c, 2), _block(4 * c, 4 * c)),  # /32
        ])
        self.dec = nn.ModuleList([
            _block(8 * c, 4 * c),  # /16: up(/32) + /16
            _block(6 * c, 2 * c),  # /8
            _block(3 * c, c),  # /4
            _block(c + 16, c),  # /2
        ])
        self.head = nn.Conv2d(c, 2 * num_joints, 1)

    def forward(self, images: Tensor) -> Tensor:
        """``images (B, 3, H, W)`` → ``(B, 2J, H / (2 · input_stride), W / (2 · input_stride))``."""
        x = F.avg_pool2d(images, self.input_stride) if self.input_stride > 1 else images
        skips = [self.stem(x - 0.5)]
        for enc in self.enc:
            skips.append(enc(skips[-1]))
        u = skips.pop()
        for dec in self.dec:
            skip = skips.pop()
            u = dec(torch.cat([F.interpolate(u, size=skip.shape[-2:], mode="bilinear", align_corners=False), skip], 1))
        return self.head(u)


class FeatureHeadNet(nn.Module):
    """A frozen ViT backbone (``backbone(pixel_values).last_hidden_state``, patch size ``P``)
    followed by a trained convolutional head upsampling its ``H/P × W/P`` patch features ×4.

    The image is resized to ``image_size`` (multiples of ``P``) and normalised with ImageNet
    statistics, as DINOv2 expects."""

    MEAN = (0.485, 0.456, 0.406)
    STD = (0.229, 0.224, 0.225)

    def __init__(self, backbone: nn.Module, num_joints: int, image_size: tuple[int, int] = (224, 224), width: int = 64):
        super().__init__()
        self.backbone = backbone.eval()
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        self.patch = int(backbone.config.patch_size)
        self.image_size = image_size
        hidden = int(backbone.config.hidden_size)
        self.num_joints = num_joints
        self.head = nn.Sequential(
            _block(hidden, width), nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            _block(width, width), nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            _block(width, width), nn.Conv2d(width, 2 * num_joints, 1),
        )
        self.register_buffer("mean", torch.tensor(self.MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(self.STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> "FeatureHeadNet":
        super().train(mode)
        self.backbone.eval()  # frozen: keep dropout/normalisation in inference mode
        return self

    def forward(self, images: Tensor) -> Tensor:
        """``images (B, 3, H, W)`` → ``(B, 2J, 4 · h_p, 4 · w_p)`` with ``h_p = image_size[0] / P``."""
        x = F.interpolate(images, size=self.image_size, mode="bilinear", align_corners=False)
        x = (x - self.mean) / self.std
        with torch.no_grad():
            tokens = self.backbone(pixel_values=x).last_hidden_state  # (B, 1 + [registers] + h·w, C)
        h, w = self.image_size[0] // self.patch, self.image_size[1] // self.patch
        feats = tokens[:, -h * w:, :].transpose(1, 2).reshape(tokens.shape[0], -1, h, w)
        return self.head(feats)


def load_dinov2_backbone(path: str) -> nn.Module:
    """A DINOv2 model from a local folder (transformers format), offline. Raises
    :class:`anymole.errors.UnsupportedError` when it cannot be loaded."""
    from anymole.errors import UnsupportedError

    try:
        from transformers import AutoModel

        return AutoModel.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # missing folder, missing weights, wrong architecture
        raise UnsupportedError(f"cannot load a DINOv2 backbone from {path!r}: {exc}") from exc


def soft_argmax(maps: Tensor, image_size: tuple[int, int], beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """Joints from network output.

    Args:
        maps: ``(B, 2J, h, w)``: ``J`` heatmap logits then ``J`` depth maps.
        image_size: ``(H, W)`` pixels the grid covers; cell ``(i, j)`` has its centre at pixel
            ``((j + 0.5) · W / w, (i + 0.5) · H / h)``.
        beta: softmax temperature multiplier.

    Returns:
        ``joints (B, J, 2)`` pixels, ``depth (B, J)`` in the units of the depth maps, and the
        normalised heatmaps ``(B, J, h, w)``.
    """
    B, C, h, w = maps.shape
    J = C // 2
    H, W = image_size
    prob = torch.softmax(maps[:, :J].reshape(B, J, h * w) * beta, dim=-1).reshape(B, J, h, w)
    xs = (torch.arange(w, device=maps.device, dtype=maps.dtype) + 0.5) * (W / w)
    ys = (torch.arange(h, device=maps.device, dtype=maps.dtype) + 0.5) * (H / h)
    x = (prob.sum(2) * xs).sum(-1)
    y = (prob.sum(3) * ys).sum(-1)
    depth = (prob * maps[:, J:]).sum((2, 3))
    return torch.stack([x, y], -1), depth, prob
