"""Preview images of a motion: the character rendered by the rasteriser, or a skeleton drawing.

* :func:`render_preview` (the default: server previews, ``anymole bake``'s MP4) renders the
  character — its skinned mesh, or the bone mesh built from its skeleton
  (:func:`anymole.render.bone_mesh.mesh_for`) — with :func:`anymole.render.renderer.render` from
  the *front* camera of the rig (:mod:`anymole.render.rig`: on the canonical +Z side looking
  toward −Z, +Y up on screen, canonical +X — the character's left — to the right of the
  image), flat Lambert shading under a headlight on a dark background.
  :func:`render_preview_frames` renders many frames at once as ``uint8`` arrays.
* :func:`render_skeleton_preview` (fallback, no mesh): bones as lines and joints as dots drawn
  with PIL, orthographic front view with the same axes.

Either way the framing — camera or centre and scale — is computed once per motion over *all*
its frames (never per frame), so successive previews of one motion do not jump, and it is
cached per motion object (weakly: it goes when the motion does).

View (:func:`preview_view`): characters taller than they are long get the front view; long,
low ones (quadrupeds, snakes: the longest horizontal extent of the root-relative joints over the
motion is more than :data:`LONG_LOW_RATIO` × their height) are seen from the side, the camera on
the horizontal perpendicular to that longest axis. The rasterised preview looks down by
:data:`ELEVATION_DEG` and draws a ground plane with a grid at the lowest point of the motion.
"""

from __future__ import annotations

import io
import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image, ImageDraw

from anymole.errors import ValidationError
from anymole.motion import Motion
from anymole.skeleton import Skeleton

__all__ = [
    "BACKGROUND",
    "RENDERER_NAME",
    "preview_background",
    "preview_cameras",
    "preview_view",
    "render_preview",
    "render_preview_frames",
    "render_skeleton_preview",
]

RENDERER_NAME = "raster-torch"  # what the server reports as its preview renderer
BACKGROUND = (32, 34, 40)
BONE = (220, 224, 232)
JOINT = (255, 170, 60)
ROOT = (90, 200, 255)
MARGIN = 0.08  # fraction of the image kept free on each side
FRAMING_FRAMES = 32  # frames whose skinned vertices frame the camera (joints: every frame)
LONG_LOW_RATIO = 1.0  # longest horizontal extent / height above which the side view is used
ELEVATION_DEG = 12.0  # the preview camera looks down this much, so the ground plane shows
GROUND = (58, 62, 72)
GRID = (84, 90, 104)


# -- shared -----------------------------------------------------------------------------------


def _check_options(options) -> tuple[int, int, str]:
    """``(width, height, format)`` from :class:`anymole.pipeline.PreviewOptions`."""
    width, height = (int(s) for s in options.size)
    if width < 1 or height < 1:
        raise ValidationError("preview.size", f"must be positive, got {options.size!r}")
    fmt = str(options.image_format).lower()
    if fmt not in ("jpeg", "jpg", "png"):
        raise ValidationError("preview.image_format", f"must be 'jpeg' or 'png', got {options.image_format!r}")
    return width, height, fmt


def _check_frame(skeleton: Skeleton, motion: Motion, frame_index: int) -> None:
    motion.check_skeleton(skeleton)
    T = motion.num_frames
    if not 0 <= frame_index < T:
        raise ValidationError("frame_index", f"{frame_index} outside [0, {T})")


def _encode(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "png":
        image.save(buf, format="PNG", optimize=False, compress_level=1)
    else:
        image.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def encode_frame(frame: torch.Tensor, size: tuple[int, int], image_format: str = "jpeg") -> bytes:
    """Encode one RGB frame ``(H, W, 3)`` in [0, 1] (e.g. a generated video frame), resized to
    ``size`` (width, height), as ``"jpeg"`` or ``"png"`` bytes."""
    if image_format not in ("jpeg", "png"):
        raise ValidationError("image_format", f"expected 'jpeg' or 'png', got {image_format!r}")
    arr = (frame.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    image = Image.fromarray(arr, mode="RGB")
    if image.size != tuple(size):
        image = image.resize(tuple(size), Image.BILINEAR)
    return _encode(image, image_format)


# -- the rasterised character (default) ---------------------------------------------------------


@dataclass(eq=False)
class _Scene:
    """What every preview of one motion shares: world transforms and framing points, and the
    front camera per image size ``(H, W)``."""

    skeleton_id: int
    global_rot: torch.Tensor  # (T, J, 4) float32, (x, y, z, w)
    global_pos: torch.Tensor  # (T, J, 3) float32, skeleton units
    points: torch.Tensor  # (P, 3) points the camera keeps in view over the whole motion
    yaw_deg: float = 0.0  # the view (preview_view)
    cameras: dict = field(default_factory=dict)


_scenes: "weakref.WeakKeyDictionary[Motion, _Scene]" = weakref.WeakKeyDictionary()
_scenes_lock = threading.Lock()


def _scene(skeleton: Skeleton, motion: Motion) -> _Scene:
    from anymole.render.bone_mesh import mesh_for
    from anymole.render.rig import frame_points
    from anymole.render.skinning import skin_vertices

    with _scenes_lock:
        hit = _scenes.get(motion)
    if hit is not None and hit.skeleton_id == id(skeleton):
        return hit
    with torch.no_grad():
        g_rot, g_pos = motion.global_transforms(skeleton)
        g_rot, g_pos = g_rot.float(), g_pos.float()
        T = g_pos.shape[0]
        idx = torch.linspace(0, T - 1, min(T, FRAMING_FRAMES)).round().long()
        verts = skin_vertices(mesh_for(skeleton), g_rot[idx], g_pos[idx])  # (T', N, 3)
        points = frame_points(g_pos, verts, max_frames=FRAMING_FRAMES)
    scene = _Scene(id(skeleton), g_rot, g_pos, points, preview_view(g_pos))
    with _scenes_lock:
        _scenes[motion] = scene
    return scene


def preview_view(global_pos: torch.Tensor) -> float:
    """The preview's yaw in degrees (0: the front, +Z, view) for joints ``(T, J, 3)`` (+Y up):
    0 unless the character is long and low (module docstring), then the side perpendicular to
    its longest horizontal axis, on the +X side of it."""
    rel = (global_pos - global_pos[:, :1]).reshape(-1, 3).double()
    height = float(rel[:, 1].max() - rel[:, 1].min())
    xz = rel[:, [0, 2]] - rel[:, [0, 2]].mean(0)
    if xz.shape[0] < 2:
        return 0.0
    cov = xz.T @ xz / xz.shape[0]
    evals, evecs = torch.linalg.eigh(cov)
    axis = evecs[:, -1]  # (x, z) of the longest horizontal axis
    proj = xz @ axis
    length = float(proj.max() - proj.min())
    if length <= LONG_LOW_RATIO * max(height, 1e-12):
        return 0.0
    side = torch.tensor([axis[1], -axis[0]], dtype=axis.dtype)  # perpendicular, in (x, z)
    if side[0] < 0:
        side = -side
    return float(torch.rad2deg(torch.atan2(side[0], side[1])))


def preview_cameras(skeleton: Skeleton, motion: Motion, image_size: tuple[int, int]):
    """The preview camera framing ``motion`` over all its frames (the view of
    :func:`preview_view`, looking down :data:`ELEVATION_DEG`), for images of ``image_size``
    ``(H, W)`` pixels: a :class:`~anymole.render.cameras.PerspectiveCameras` with one camera.
    Computed once per (motion object, size) and cached."""
    from anymole.render.rig import orbit_cameras

    scene = _scene(skeleton, motion)
    key = (int(image_size[0]), int(image_size[1]))
    cams = scene.cameras.get(key)
    if cams is None:
        cams = scene.cameras[key] = orbit_cameras(scene.points, key, yaws_deg=(scene.yaw_deg,), elevation_deg=ELEVATION_DEG)
    return cams


def preview_background(skeleton: Skeleton, motion: Motion, size: tuple[int, int] = (256, 256)) -> np.ndarray:
    """What :func:`render_preview_frames` draws behind the character: ``(H, W, 3)`` uint8, the
    background and the ground plane; ``size`` is ``(width, height)``."""
    width, height = (int(v) for v in size)
    return _ground_image(_scene(skeleton, motion), preview_cameras(skeleton, motion, (height, width)), width, height)


def _ground_image(scene: _Scene, cams, width: int, height: int) -> np.ndarray:
    """``(H, W, 3)`` uint8: the background with the ground plane (a grid on the floor, the
    lowest framed point) as the preview camera sees it. Cached per image size."""
    key = ("ground", height, width)
    hit = scene.cameras.get(key)
    if hit is not None:
        return hit
    pts = scene.points.double()
    floor = float(pts[:, 1].min())
    lo, hi = pts[:, [0, 2]].amin(0), pts[:, [0, 2]].amax(0)
    centre = (lo + hi) / 2
    half = float((hi - lo).max()) / 2 * 1.6 + 1e-6
    n = 8
    ticks = torch.linspace(-half, half, n + 1, dtype=torch.float64)
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)

    def project(xz: torch.Tensor):
        p3 = torch.stack([xz[:, 0] + centre[0], torch.full_like(xz[:, 0], floor), xz[:, 1] + centre[1]], -1)
        uv, depth = cams.to(dtype=torch.float64).project(p3[None])
        return uv[0], depth[0]

    corners = torch.tensor([[-half, -half], [half, -half], [half, half], [-half, half]], dtype=torch.float64)
    uv, depth = project(corners)
    if bool((depth > 0).all()):
        draw.polygon([tuple(map(float, p)) for p in uv], fill=GROUND)
        for t in ticks:
            for seg in (torch.tensor([[t, -half], [t, half]]), torch.tensor([[-half, t], [half, t]])):
                suv, sd = project(seg.double())
                if bool((sd > 0).all()):
                    draw.line([tuple(map(float, p)) for p in suv], fill=GRID, width=1)
    out = np.asarray(image, dtype=np.uint8).copy()
    scene.cameras[key] = out
    return out


def render_preview_frames(
    skeleton: Skeleton,
    motion: Motion,
    frames=None,
    size: tuple[int, int] = (256, 256),
    *,
    batch_size: int = 8,
) -> np.ndarray:
    """Render ``frames`` of ``motion`` with the rasteriser from the front camera.

    Args:
        skeleton: the character; its skinned mesh is drawn, or its bone mesh when it has none.
        motion: ``(T, J)`` local rotations/translations, canonical frame, any length unit (the
            framing is relative).
        frames: indices into ``0..T-1`` (default: every frame).
        size: ``(width, height)`` in pixels (the order of ``PreviewOptions.size``).
        batch_size: frames rasterised at once (bounds memory).

    Returns:
        ``(N, H, W, 3)`` uint8 RGB, one image per entry of ``frames``.
    """
    from anymole.render.renderer import render

    motion.check_skeleton(skeleton)
    T = motion.num_frames
    idx = list(range(T)) if frames is None else [int(f) for f in frames]
    for f in idx:
        if not 0 <= f < T:
            raise ValidationError("frame_index", f"{f} outside [0, {T})")
    width, height = (int(s) for s in size)
    if width < 1 or height < 1:
        raise ValidationError("preview.size", f"must be positive, got {size!r}")
    scene = _scene(skeleton, motion)
    cams = preview_cameras(skeleton, motion, (height, width))
    background = tuple(c / 255.0 for c in BACKGROUND)
    ground = _ground_image(scene, cams, width, height)
    bg = np.array(BACKGROUND, dtype=np.uint8)
    out = np.empty((len(idx), height, width, 3), dtype=np.uint8)
    with torch.no_grad():
        for s in range(0, len(idx), batch_size):
            sel = torch.tensor(idx[s : s + batch_size], dtype=torch.long)
            r = render(skeleton, (scene.global_rot[sel], scene.global_pos[sel]), cams, mode="image", background=background, batch_size=batch_size)
            img = (r.images[0].clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8)  # (n, H, W, 3)
            img = img.numpy()
            empty = (img == bg).all(-1, keepdims=True)  # untouched background pixels
            out[s : s + len(sel)] = np.where(empty, ground[None], img)
    return out


def render_preview(skeleton: Skeleton, motion: Motion, frame_index: int, options) -> bytes:
    """Render frame ``frame_index`` of ``motion`` (``(T, J)``, canonical frame) with the
    rasteriser from the front camera, framed over the whole motion, and encode it.

    Args:
        skeleton: the character (skinned mesh, or bones when it has none).
        motion: local rotations/translations, any units (the framing is relative).
        frame_index: ``0 <= frame_index < T``.
        options: :class:`anymole.pipeline.PreviewOptions` — ``size`` (width, height) in pixels
            and ``image_format`` ``"jpeg"`` or ``"png"``.

    Returns:
        The encoded image, ``size`` pixels.
    """
    _check_frame(skeleton, motion, frame_index)
    width, height, fmt = _check_options(options)
    rgb = render_preview_frames(skeleton, motion, [frame_index], (width, height))[0]
    return _encode(Image.fromarray(rgb, "RGB"), fmt)


# -- the skeleton drawing (fallback) --------------------------------------------------------------

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
    """Fallback preview without the rasteriser: draw frame ``frame_index`` of ``motion``
    (``(T, J)``, canonical frame) as bones and joints, orthographic front view, and encode it.

    Args:
        skeleton: the character (its mesh, if any, is ignored here).
        motion: local rotations/translations, any units (the framing is relative).
        frame_index: ``0 <= frame_index < T``.
        options: :class:`anymole.pipeline.PreviewOptions` — ``size`` (width, height) in pixels
            and ``image_format`` ``"jpeg"`` or ``"png"``.

    Returns:
        The encoded image, ``size`` pixels.
    """
    _check_frame(skeleton, motion, frame_index)
    width, height, fmt = _check_options(options)

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
    return _encode(image, fmt)
