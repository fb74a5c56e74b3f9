"""Skeleton preview: bones as lines, joints as dots, drawn with PIL.

A stand-in for the real renderer (a later issue): front view, orthographic, looking from
canonical +Z toward −Z (the character faces the camera), +Y up on screen, canonical +X (the
character's left) to the right of the image. The framing — centre and scale — is fixed over the
whole motion, so successive previews of one motion do not jump. Joints farther from the camera
are drawn first.
"""

from __future__ import annotations

import io
import weakref

import torch
from PIL import Image, ImageDraw

from anymole.errors import ValidationError
from anymole.motion import Motion
from anymole.skeleton import Skeleton

BACKGROUND = (32, 34, 40)
BONE = (220, 224, 232)
JOINT = (255, 170, 60)
ROOT = (90, 200, 255)
MARGIN = 0.08  # fraction of the image kept free on each side

# Global positions (T, J, 3) and framing per motion, computed once per motion object.
_cache: "weakref.WeakKeyDictionary[Motion, tuple[int, torch.Tensor, tuple[float, float, float]]]" = weakref.WeakKeyDictionary()


def _positions_and_framing(skeleton: Skeleton, motion: Motion) -> tuple[torch.Tensor, tuple[float, float, float]]:
    """``(T, J, 3)`` global positions and ``(centre_x, centre_y, half_extent)`` in skeleton units."""
    hit = _cache.get(motion)
    if hit is not None and hit[0] == id(skeleton):
        return hit[1], hit[2]
    with torch.no_grad():
        pos = motion.global_positions(skeleton).double()
    xy = pos[..., :2].reshape(-1, 2)
    lo, hi = xy.min(0).values, xy.max(0).values
    centre = (lo + hi) / 2
    half = float((hi - lo).max()) / 2
    if half < 1e-9:
        half = skeleton.size / 2
    framing = (float(centre[0]), float(centre[1]), half)
    _cache[motion] = (id(skeleton), pos, framing)
    return pos, framing


def render_skeleton_preview(skeleton: Skeleton, motion: Motion, frame_index: int, options) -> bytes:
    """Draw frame ``frame_index`` of ``motion`` (``(T, J)``, canonical frame) and encode it.

    Args:
        skeleton: the character (its mesh, if any, is ignored here).
        motion: local rotations/translations, any units (the framing is relative).
        frame_index: ``0 <= frame_index < T``.
        options: :class:`anymole.pipeline.PreviewOptions` — ``size`` (width, height) in pixels
            and ``image_format`` ``"jpeg"`` or ``"png"``.

    Returns:
        The encoded image, ``size`` pixels.
    """
    motion.check_skeleton(skeleton)
    T = motion.num_frames
    if not 0 <= frame_index < T:
        raise ValidationError("frame_index", f"{frame_index} outside [0, {T})")
    width, height = (int(s) for s in options.size)
    if width < 1 or height < 1:
        raise ValidationError("preview.size", f"must be positive, got {options.size!r}")
    fmt = str(options.image_format).lower()
    if fmt not in ("jpeg", "jpg", "png"):
        raise ValidationError("preview.image_format", f"must be 'jpeg' or 'png', got {options.image_format!r}")

    pos, (cx, cy, half) = _positions_and_framing(skeleton, motion)
    p = pos[frame_index]  # (J, 3)
    scale = (1 - 2 * MARGIN) * min(width, height) / (2 * half)
    u = (p[:, 0] - cx) * scale + width / 2
    v = height / 2 - (p[:, 1] - cy) * scale
    z = p[:, 2]
    uv = list(zip(u.tolist(), v.tolist(), strict=True))

    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    line_w = max(1, round(min(width, height) / 128))
    dot_r = max(1.5, min(width, height) / 96)
    parents = skeleton.parents.tolist()
    # Far to near: smaller z is farther from a camera on the +Z side.
    bones = sorted((j for j, q in enumerate(parents) if q >= 0), key=lambda j: float(z[j] + z[parents[j]]))
    for j in bones:
        draw.line([uv[parents[j]], uv[j]], fill=BONE, width=line_w)
    for j in sorted(range(len(parents)), key=lambda j: float(z[j])):
        x, y = uv[j]
        colour = ROOT if parents[j] < 0 else JOINT
        draw.ellipse([x - dot_r, y - dot_r, x + dot_r, y + dot_r], fill=colour)

    buf = io.BytesIO()
    if fmt == "png":
        image.save(buf, format="PNG", optimize=False, compress_level=1)
    else:
        image.save(buf, format="JPEG", quality=85)
    return buf.getvalue()
