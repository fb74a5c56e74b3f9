"""Server previews: the rasterised character (default) and the skeleton drawing (fallback) —
size, format, content, fixed framing over the motion, front view."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from anymole.motion import Motion
from anymole.pipeline import PreviewOptions
from anymole.render.bone_mesh import bone_mesh
from anymole.render.preview import BACKGROUND, preview_cameras, render_preview, render_preview_frames, render_skeleton_preview

RENDERERS = {"raster": render_preview, "skeleton": render_skeleton_preview}


def _img(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def _mask(img: np.ndarray) -> np.ndarray:
    """Pixels that are not background, ``(H, W)`` bool."""
    return np.abs(img - np.array(BACKGROUND)).sum(-1) > 30


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
    trans[:, 0, 0] += torch.linspace(0.0, 1.0, 10)
    moving = Motion(still.rotations, trans, 30.0)
    opts = PreviewOptions(size=(128, 128), image_format="png")

    def centroid(frame):
        ys, xs = np.nonzero(_mask(_img(RENDERERS[renderer](skeleton, moving, frame, opts))))
        return xs.mean()

    left, right = centroid(0), centroid(9)
    assert right - left > 30  # canonical +X (the character's left) is image right in a front view


def test_raster_preview_draws_the_character_and_follows_the_pose(character):
    skeleton, motion = character
    opts = PreviewOptions(size=(128, 128), image_format="png")
    a, b = _img(render_preview(skeleton, motion, 0, opts)), _img(render_preview(skeleton, motion, 20, opts))
    ma, mb = _mask(a), _mask(b)
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
    thin = _mask(_img(render_preview(skeleton, motion, 5, opts))).sum()
    fat = _mask(_img(render_preview(skinned, motion, 5, opts))).sum()
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
