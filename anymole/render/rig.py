"""The camera rig: fixed views around a character, framed for a whole motion.

Views follow AnyMoLe: *front* looks at the character's face — the character faces +Z, so the
front camera sits on the +Z side looking toward −Z — then *back* (the front camera turned
179° about the vertical axis) and front ±5°. A view is a yaw offset in degrees about +Y
through the framing centre, counter-clockwise seen from above (right-handed about +Y: yaw +90°
puts the camera on the +X side, the character's left), and an elevation in degrees (positive:
the camera is above, looking down). Camera position for yaw ``ψ`` and elevation ``θ``::

    centre + distance · (sin ψ · cos θ, sin θ, cos ψ · cos θ)

Framing is fixed over the whole motion (never per frame): the target is the centre of the
bounding box of every given point over all frames (joint positions, and skinned vertices when
there are any), and each view's distance is the smallest that keeps every point inside the
image with a ``margin`` (fraction of the half-width/half-height kept free on each side).

Image size: ``(H, W)``. The paper rendered at 320×512 — ``H = 320`` rows by ``W = 512``
columns, landscape, DynamiCrafter-512's resolution: :data:`PAPER_IMAGE_SIZE`.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.render.cameras import PerspectiveCameras, focal_from_fov, look_at_rotation

__all__ = ["PAPER_IMAGE_SIZE", "PAPER_YAWS_DEG", "orbit_cameras", "frame_points", "rig_for_motion"]

PAPER_IMAGE_SIZE = (320, 512)
PAPER_YAWS_DEG = (0.0, 179.0, 5.0, -5.0)


def orbit_cameras(
    points: Tensor,
    image_size: tuple[int, int] = PAPER_IMAGE_SIZE,
    *,
    yaws_deg: Sequence[float] = PAPER_YAWS_DEG,
    elevation_deg: float = 0.0,
    fov_y_deg: float = 30.0,
    margin: float = 0.1,
) -> PerspectiveCameras:
    """One camera per yaw, all looking at the points' bounding-box centre, each as close as it
    can be while every point stays inside the image.

    Args:
        points: ``(..., 3)`` world points over the whole motion (e.g. ``(T, J, 3)`` joints and/or
            ``(T, N, 3)`` vertices, flattened or not).
        image_size: ``(H, W)`` pixels.
        yaws_deg: views as yaw offsets from the front (+Z) view, degrees.
        elevation_deg: in (−89, 89) degrees.
        fov_y_deg: vertical field of view, degrees (the horizontal one follows from ``W / H``).
        margin: fraction of each half-extent left empty, in [0, 0.9].

    Returns:
        ``V = len(yaws_deg)`` cameras, in the order of ``yaws_deg``.
    """
    if not -89.0 < elevation_deg < 89.0:
        raise ValidationError("elevation_deg", f"must be in (-89, 89), got {elevation_deg}")
    if not 0.0 <= margin <= 0.9:
        raise ValidationError("margin", f"must be in [0, 0.9], got {margin}")
    if len(yaws_deg) == 0:
        raise ValidationError("yaws_deg", "no views")
    pts = points.detach().reshape(-1, 3).to(device="cpu", dtype=torch.float64)
    if pts.shape[0] == 0 or not torch.isfinite(pts).all():
        raise ValidationError("points", "need at least one finite point to frame")
    H, W = image_size
    centre = (pts.amin(0) + pts.amax(0)) / 2
    yaw = torch.tensor([math.radians(y) for y in yaws_deg], dtype=torch.float64)
    el = math.radians(elevation_deg)
    dirs = torch.stack([torch.sin(yaw) * math.cos(el), torch.full_like(yaw, math.sin(el)), torch.cos(yaw) * math.cos(el)], -1)
    R = look_at_rotation(centre + dirs, centre.expand_as(dirs))  # (V, 3, 3); depends on direction only
    fy = focal_from_fov(fov_y_deg, H)
    # Tangents of the usable half-angles (square pixels, centred principal point).
    tan_x = (1.0 - margin) * (W / 2.0) / fy
    tan_y = (1.0 - margin) * (H / 2.0) / fy
    rel = (pts - centre) @ R.transpose(-1, -2)  # (V, P, 3) in camera axes, origin at the target
    # With the camera at distance d on +Z, a point's depth is d - z; it fits when
    # |x| <= tan_x (d - z) and |y| <= tan_y (d - z), i.e. d >= z + |x| / tan_x (and for y).
    need = torch.maximum(rel[..., 2] + rel[..., 0].abs() / tan_x, rel[..., 2] + rel[..., 1].abs() / tan_y)
    radius = (pts - centre).norm(dim=-1).max().clamp_min(1e-6)
    # Also keep every point at least 5% of the radius in front of the camera.
    need = torch.maximum(need, rel[..., 2] + 0.05 * radius)
    dist = need.amax(-1).clamp_min(1e-6)  # (V,)
    eye = centre + dist.unsqueeze(-1) * dirs
    t = -(R @ eye.unsqueeze(-1)).squeeze(-1)
    V = len(yaws_deg)
    focal = torch.full((V, 2), fy, dtype=torch.float64)
    pp = torch.tensor([W / 2.0, H / 2.0], dtype=torch.float64).expand(V, 2).clone()
    dtype = points.dtype if points.dtype.is_floating_point else torch.float32
    return PerspectiveCameras(R, t, focal, pp, (H, W)).to(device=points.device, dtype=dtype)


def frame_points(global_pos: Tensor, vertices: Tensor | None = None, max_frames: int = 64) -> Tensor:
    """Points to frame: ``(T, J, 3)`` joints plus optional ``(T, N, 3)`` skinned vertices,
    flattened to ``(P, 3)``. Vertices are taken from at most ``max_frames`` evenly spaced frames
    (joints from every frame) to keep the cost bounded; :func:`orbit_cameras` keeps joints in
    frame exactly and vertices on the sampled frames."""
    pts = [global_pos.detach().reshape(-1, 3)]
    if vertices is not None:
        v = vertices.detach()
        if v.dim() == 3 and v.shape[0] > max_frames:
            idx = torch.linspace(0, v.shape[0] - 1, max_frames).round().long().to(v.device)
            v = v[idx]
        pts.append(v.reshape(-1, 3).to(pts[0].dtype))
    return torch.cat(pts)


def rig_for_motion(skeleton, motion, image_size: tuple[int, int] = PAPER_IMAGE_SIZE, **kwargs) -> PerspectiveCameras:
    """:func:`orbit_cameras` framed on ``motion`` of ``skeleton`` — its joints and its skinned
    vertices (the skeleton's mesh, or its bone mesh). For a transition, pass the keyframe
    interpolation: the only motion known before the in-between exists. ``kwargs`` go to
    :func:`orbit_cameras`."""
    from anymole.render.bone_mesh import mesh_for
    from anymole.render.skinning import skin_vertices

    g_rot, g_pos = motion.global_transforms(skeleton)
    return orbit_cameras(frame_points(g_pos, skin_vertices(mesh_for(skeleton), g_rot, g_pos)), image_size, **kwargs)
