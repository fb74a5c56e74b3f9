"""Server previews: the rasterised character (default) and the skeleton drawing (fallback) —
size, format, content, fixed framing over the motion, the view (front, or the side for long
low characters) and the ground plane."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from anymole.motion import Motion
from anymole.pipeline import PreviewOptions
from anymole.render.bone_mesh import bone_mesh
from anymole.render.preview import (
    BACKGROUND,
    preview_background,
    preview_cameras,
    preview_view,
    render_preview,
    render_preview_frames,
    render_skeleton_preview,
)

RENDERERS = {"raster": render_preview, "skeleton": render_skeleton_preview}


def _img(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def _mask(img: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
    """Pixels that are not background (or not ``background (H, W, 3)``, the raster preview's
    ground plane), ``(H, W)`` bool."""
    bg = np.array(BACKGROUND) if background is None else background.astype(int)
    return np.abs(img - bg).sum(-1) > 30


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("jpeg", b"\xff\xd8")])
def test_encodes_requested_format_and_size(character, renderer, fmt, magic):
    skeleton, motion = character
    data = RENDERERS[renderer](skeleton, motion, 3, PreviewOptions(size=(96, 64), image_format=fmt))
    assert data.startswith(magic) and Image.open(io.BytesIO(data)).size == (96, 64)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_framing_is_fixed_over_the_motion(character, renderer):
    skeleton, motion = character
    # A static pose translated over time: the drawing must move across the image, not be
    # re-centred per frame.
    still = Motion(motion.rotations[:1].expand(10, -1, -1).clone(), motion.translations[:1].expand(10, -1, -1).clone(), 30.0)
    trans = still.translations.clone()
    # Along the image's horizontal: canonical +X for the skeleton drawing (a front view); the
    # raster camera's own right axis (the side view for these long, low characters).
    right = torch.tensor([1.0, 0.0, 0.0])
    if renderer == "raster":
        right = preview_cameras(skeleton, still, (128, 128)).rotation[0, 0].float()
    trans[:, 0] += torch.linspace(0.0, 1.0, 10)[:, None] * right * skeleton.size
    moving = Motion(still.rotations, trans, 30.0)
    opts = PreviewOptions(size=(128, 128), image_format="png")
    bg = preview_background(skeleton, moving, (128, 128)) if renderer == "raster" else None

    def centroid(frame):
        ys, xs = np.nonzero(_mask(_img(RENDERERS[renderer](skeleton, moving, frame, opts)), bg))
        return xs.mean()

    left, right_x = centroid(0), centroid(9)
    assert right_x - left > 30


def test_raster_preview_draws_the_character_and_follows_the_pose(character):
    skeleton, motion = character
    opts = PreviewOptions(size=(128, 128), image_format="png")
    a, b = _img(render_preview(skeleton, motion, 0, opts)), _img(render_preview(skeleton, motion, 20, opts))
    bg = preview_background(skeleton, motion, (128, 128))
    ma, mb = _mask(a, bg), _mask(b, bg)
    # Not blank, not a full frame: the character covers part of the image.
    assert 0.003 < ma.mean() < 0.6 and 0.003 < mb.mean() < 0.6
    # Frames 0 and 20 differ in pose and root position: the character's pixels move.
    assert (ma ^ mb).sum() > 0.2 * ma.sum()
    # The same frame twice is the same image (the camera is fixed per motion).
    assert np.array_equal(a, _img(render_preview(skeleton, motion, 0, opts)))


def test_raster_preview_draws_a_skinned_mesh(character):
    skeleton, motion = character
    skinned = skeleton.with_mesh(bone_mesh(skeleton, bone_radius=0.08, joint_radius=0.06))  # a fat mesh of its own
    opts = PreviewOptions(size=(64, 64), image_format="png")
    thin = _mask(_img(render_preview(skeleton, motion, 5, opts)), preview_background(skeleton, motion, (64, 64))).sum()
    fat = _mask(_img(render_preview(skinned, motion, 5, opts)), preview_background(skinned, motion, (64, 64))).sum()
    assert fat > 1.5 * thin


def test_frames_match_single_previews_and_cameras_are_cached(character):
    skeleton, motion = character
    frames = render_preview_frames(skeleton, motion, [2, 7], size=(80, 48))
    assert frames.shape == (2, 48, 80, 3) and frames.dtype == np.uint8
    png = _img(render_preview(skeleton, motion, 7, PreviewOptions(size=(80, 48), image_format="png")))
    assert np.array_equal(frames[1].astype(int), png)
    cams = preview_cameras(skeleton, motion, (48, 80))
    assert len(cams) == 1 and cams.image_size == (48, 80)
    assert preview_cameras(skeleton, motion, (48, 80)) is cams


@pytest.mark.parametrize("renderer", RENDERERS)
def test_rejects_bad_frame(character, renderer):
    skeleton, motion = character
    with pytest.raises(ValueError, match="frame_index"):
        RENDERERS[renderer](skeleton, motion, motion.num_frames, PreviewOptions())


def test_long_low_characters_are_seen_from_the_side_over_a_ground_plane(character):
    skeleton, motion = character
    g_pos = motion.global_positions(skeleton)
    yaw = preview_view(g_pos)
    rel = (g_pos - g_pos[:, :1]).reshape(-1, 3)
    height = float(rel[:, 1].max() - rel[:, 1].min())
    length = float((rel[:, [0, 2]].amax(0) - rel[:, [0, 2]].amin(0)).max())
    if length > 1.3 * height:
        assert yaw != 0.0
    # A tall character (a chain standing up) keeps the front view.
    tall = g_pos.clone()
    tall[..., 1] *= 50.0
    assert preview_view(tall) == 0.0
    # The ground plane is drawn below the character: the bottom rows are not plain background.
    bg = preview_background(skeleton, motion, (96, 96))
    assert (np.abs(bg[-5:].astype(int) - np.array(BACKGROUND)).sum(-1) > 10).mean() > 0.5
    assert (np.abs(bg[:5].astype(int) - np.array(BACKGROUND)).sum(-1) > 10).mean() < 0.5
