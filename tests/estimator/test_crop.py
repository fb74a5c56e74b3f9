"""Crops around the character: boxes from the background, sampling, and the joint mapping."""

from __future__ import annotations

import torch

from anymole.estimator.crop import crop_aspect, crop_images, crop_size, fit_crops, foreground_boxes, from_crop, to_crop


def _scene() -> torch.Tensor:
    """Two white 64×96 images: a tall dark bar, and a wide grey bar touching the right edge."""
    img = torch.ones(2, 64, 96, 3)
    img[0, 10:50, 20:30] = 0.2
    img[1, 40:48, 60:96] = 0.5
    return img


def test_foreground_boxes_enclose_what_differs_from_the_background():
    img = torch.cat([_scene(), torch.ones(1, 64, 96, 3)])
    boxes = foreground_boxes(img)
    torch.testing.assert_close(boxes, torch.tensor([[20.0, 10, 30, 50], [60, 40, 96, 48], [0, 0, 96, 64]]))
    # Noise below the threshold is background; a coloured background is honoured.
    faint = torch.ones(1, 8, 8, 3) - 0.01
    torch.testing.assert_close(foreground_boxes(faint), torch.tensor([[0.0, 0, 8, 8]]))
    green = torch.zeros(1, 8, 8, 3)
    green[..., 1] = 1
    green[0, 2, 3] = 0.0
    torch.testing.assert_close(foreground_boxes(green, background=(0, 1, 0)), torch.tensor([[3.0, 2, 4, 3]]))


def test_crop_size_follows_the_aspect_in_multiples():
    assert crop_size(96, 3.0) == (96, 32)
    assert crop_size(96, 1.2) == (96, 96)
    assert crop_size(96, 0.4) == (64, 96)
    assert crop_size(128, 2.0, multiple=16) == (128, 64)
    assert crop_aspect(torch.tensor([[0.0, 0, 10, 40], [0, 0, 10, 20], [0, 0, 10, 30]])) == 3.0


def test_crops_hold_the_box_and_map_joints_both_ways():
    img = _scene()
    boxes = foreground_boxes(img)
    size = (64, 32)
    crops = fit_crops(boxes, size, margin=0.1)
    corners = torch.stack([boxes[:, :2], boxes[:, 2:]], 1)  # (N, 2, 2) pixel edges
    inside = to_crop(corners, crops, size)
    assert (inside >= 0).all() and (inside[..., 0] <= 32).all() and (inside[..., 1] <= 64).all()
    joints = torch.rand(2, 5, 2) * torch.tensor([96.0, 64.0])
    torch.testing.assert_close(from_crop(to_crop(joints, crops, size), crops, size), joints)


def test_crop_images_samples_the_pixels_the_mapping_names():
    img = torch.ones(1, 64, 96, 3)
    img[0, :, :, 0] = torch.arange(96.0)[None, :] / 96  # red encodes the column
    img[0, :, :, 1] = torch.arange(64.0)[:, None] / 64  # green the row
    img[0, 0, 0] = 0.0  # some foreground so the box is the whole image
    crops = torch.tensor([[40.0, 30.0, 0.5]])  # magnify ×2 around (40, 30)
    out = crop_images(img, crops, (16, 16))
    uv = torch.tensor([[[3.5, 5.5], [12.5, 9.5]]])  # crop pixel centres
    xy = from_crop(uv, crops, (16, 16))[0]
    for (u, v), (x, y) in zip(uv[0].tolist(), xy.tolist()):
        r, g = out[0, int(v), int(u), :2].tolist()
        assert abs(r * 96 - (x - 0.5)) < 1e-3 and abs(g * 64 - (y - 0.5)) < 1e-3
    # Outside the image is background; shrinking by 4 averages a thin line instead of missing it.
    far = crop_images(img, torch.tensor([[-100.0, -100.0, 1.0]]), (8, 8))
    torch.testing.assert_close(far, torch.ones(1, 8, 8, 3))
    line = torch.ones(1, 64, 64, 3)
    line[0, :, 33] = 0.0
    small = crop_images(line, torch.tensor([[32.0, 32.0, 4.0]]), (16, 16))
    assert float(small.min()) < 0.9  # a point sample between columns would give pure white
