"""The skeleton preview the server streams: size, format, fixed framing, front view."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from anymole.motion import Motion
from anymole.pipeline import PreviewOptions
from anymole.render.preview import BACKGROUND, render_skeleton_preview


def _img(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


@pytest.mark.parametrize("fmt,magic", [("png", b"\x89PNG"), ("jpeg", b"\xff\xd8")])
def test_encodes_requested_format_and_size(character, fmt, magic):
    skeleton, motion = character
    data = render_skeleton_preview(skeleton, motion, 3, PreviewOptions(size=(96, 64), image_format=fmt))
    assert data.startswith(magic) and Image.open(io.BytesIO(data)).size == (96, 64)


def test_framing_is_fixed_over_the_motion(character):
    skeleton, motion = character
    # A static pose translated over time: the drawing must move across the image, not be
    # re-centred per frame.
    still = Motion(motion.rotations[:1].expand(10, -1, -1).clone(), motion.translations[:1].expand(10, -1, -1).clone(), 30.0)
    trans = still.translations.clone()
    trans[:, 0, 0] += torch.linspace(0.0, 1.0, 10)
    moving = Motion(still.rotations, trans, 30.0)
    opts = PreviewOptions(size=(128, 128), image_format="png")

    def centroid(frame):
        img = _img(render_skeleton_preview(skeleton, moving, frame, opts))
        ys, xs = np.nonzero(np.abs(img - np.array(BACKGROUND)).sum(-1) > 30)
        return xs.mean()

    left, right = centroid(0), centroid(9)
    assert right - left > 30  # canonical +X (the character's left) is image right in a front view


def test_rejects_bad_frame(character):
    skeleton, motion = character
    with pytest.raises(ValueError):
        render_skeleton_preview(skeleton, motion, motion.num_frames, PreviewOptions())
