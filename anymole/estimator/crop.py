"""Crops around the character: the estimator looks at the character, not at the empty frame.

A rig frames the whole motion, so one frame's character fills only part of the image (a tall
human in a square image uses about a third of its width) and the network would spend most of
its input pixels on background. Each image is therefore cropped to the box of its foreground —
pixels that differ from the known, uniform background colour, which a generated video keeps —
widened by a margin to the crop's fixed aspect, and resampled to the network's input size, as
top-down pose estimators do.

A crop is ``(cx, cy, s)`` per image: crop pixel ``(u, v)`` (top-left origin, pixel centres at
``+0.5``, as everywhere) shows image pixel ``(cx + (u − w/2)·s, cy + (v − h/2)·s)`` for a crop
of ``h × w`` pixels, so ``s`` is image pixels per crop pixel. Shapes: images ``(N, H, W, 3)``,
crops ``(N, 3)``, joints ``(N, J, 2)``.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["foreground_boxes", "crop_aspect", "crop_size", "fit_crops", "crop_images", "to_crop", "from_crop"]


def foreground_boxes(images: Tensor, background: Sequence[float] = (1.0, 1.0, 1.0), threshold: float = 0.08) -> Tensor:
    """``(N, 4)`` boxes ``(x0, y0, x1, y1)`` in pixels (pixel edges) around every pixel whose
    largest channel difference from ``background`` exceeds ``threshold``; an image without
    foreground gets the whole image."""
    N, H, W, _ = images.shape
    bg = torch.as_tensor(background, dtype=images.dtype, device=images.device)
    fg = (images - bg).abs().amax(-1) > threshold  # (N, H, W)
    rows, cols = fg.any(2), fg.any(1)  # (N, H), (N, W)
    ys = torch.arange(H, device=images.device)
    xs = torch.arange(W, device=images.device)
    big = torch.iinfo(torch.int64).max
    y0 = torch.where(rows, ys, big).amin(1)
    y1 = torch.where(rows, ys, -1).amax(1) + 1
    x0 = torch.where(cols, xs, big).amin(1)
    x1 = torch.where(cols, xs, -1).amax(1) + 1
    empty = ~rows.any(1)
    box = torch.stack([x0, y0, x1, y1], -1).to(images.dtype)
    full = torch.tensor([0.0, 0.0, W, H], dtype=images.dtype, device=images.device)
    return torch.where(empty[:, None], full, box)


def crop_aspect(boxes: Tensor) -> float:
    """A scene's crop aspect (height / width): the median of its boxes' aspects."""
    h = (boxes[:, 3] - boxes[:, 1]).clamp_min(1.0)
    w = (boxes[:, 2] - boxes[:, 0]).clamp_min(1.0)
    return float((h / w).median())


def crop_size(long_side: int, aspect: float, multiple: int = 32) -> tuple[int, int]:
    """``(h, w)`` of a crop with the longer side ``long_side`` and about ``aspect`` = h / w, the
    shorter side rounded up to ``multiple`` (the network's total stride) and at most the longer."""
    short = lambda n: int(min(long_side, max(multiple, -(-round(n) // multiple) * multiple)))
    return (long_side, short(long_side / aspect)) if aspect >= 1 else (short(long_side * aspect), long_side)


def fit_crops(boxes: Tensor, size: tuple[int, int], margin: float = 0.15) -> Tensor:
    """``(N, 3)`` crops ``(cx, cy, s)`` of ``size = (h, w)`` centred on ``boxes (N, 4)`` and
    large enough to hold each box widened by ``margin`` of its extent on every side."""
    h, w = size
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    bw = (boxes[:, 2] - boxes[:, 0]).clamp_min(1.0) * (1 + 2 * margin)
    bh = (boxes[:, 3] - boxes[:, 1]).clamp_min(1.0) * (1 + 2 * margin)
    return torch.stack([cx, cy, torch.maximum(bw / w, bh / h)], -1)


def crop_images(images: Tensor, crops: Tensor, size: tuple[int, int], background: Sequence[float] = (1.0, 1.0, 1.0)) -> Tensor:
    """Resample ``images (N, H, W, 3)`` to ``(N, h, w, 3)`` crops (bilinear; outside the image
    is ``background``). Where a crop shrinks the image by ``k ≥ 2``, the image is first
    box-filtered by ``k`` so that thin limbs are averaged, not skipped. Differentiable in the
    images."""
    N, H, W, _ = images.shape
    h, w = size
    bg = torch.as_tensor(background, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    x = images.permute(0, 3, 1, 2) - bg
    out = torch.empty(N, 3, h, w, dtype=images.dtype, device=images.device)
    pool = crops[:, 2].floor().clamp_min(1).long()
    for k in pool.unique().tolist():
        sel = (pool == k).nonzero().flatten()
        src = F.avg_pool2d(x[sel], k, ceil_mode=True) if k > 1 else x[sel]
        Hs, Ws = src.shape[-2:]
        c = crops[sel]
        # Output pixel centre (u, v) → image pixel → normalised coordinates of the pooled source.
        u = (torch.arange(w, device=images.device, dtype=images.dtype) + 0.5 - w / 2)
        v = (torch.arange(h, device=images.device, dtype=images.dtype) + 0.5 - h / 2)
        px = c[:, 0, None] + u[None] * c[:, 2, None]  # (n, w) image pixels
        py = c[:, 1, None] + v[None] * c[:, 2, None]  # (n, h)
        gx = px / (k * Ws) * 2 - 1
        gy = py / (k * Hs) * 2 - 1
        grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), -1)  # (n, h, w, 2)
        out[sel] = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return (out + bg).permute(0, 2, 3, 1)


def to_crop(joints: Tensor, crops: Tensor, size: tuple[int, int]) -> Tensor:
    """Image pixels ``(N, J, 2)`` → crop pixels."""
    h, w = size
    centre = torch.tensor([w / 2, h / 2], dtype=joints.dtype, device=joints.device)
    return (joints - crops[:, None, :2]) / crops[:, None, 2:] + centre


def from_crop(joints: Tensor, crops: Tensor, size: tuple[int, int]) -> Tensor:
    """Crop pixels ``(N, J, 2)`` → image pixels."""
    h, w = size
    centre = torch.tensor([w / 2, h / 2], dtype=joints.dtype, device=joints.device)
    return (joints - centre) * crops[:, None, 2:] + crops[:, None, :2]
