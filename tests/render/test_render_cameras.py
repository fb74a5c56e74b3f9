"""Camera conventions: known projections, look-at frames, NDC and OpenCV round trips."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.render.cameras import (
    PerspectiveCameras,
    depth_to_ndc,
    focal_from_fov,
    look_at_cameras,
    look_at_rotation,
    ndc_to_pixel,
    pixel_to_ndc,
)


def front_camera(H=64, W=80, f=100.0, dist=5.0) -> PerspectiveCameras:
    """At (0, 0, dist) looking at the origin: camera axes equal the world's."""
    cam = look_at_cameras(torch.tensor([[0.0, 0.0, dist]], dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64), (H, W))
    return PerspectiveCameras(cam.rotation, cam.translation, torch.tensor([[f, f]], dtype=torch.float64), cam.principal_point, (H, W))


def test_front_camera_axes_and_centre():
    cam = front_camera()
    assert torch.allclose(cam.rotation[0], torch.eye(3, dtype=torch.float64))
    assert torch.allclose(cam.centers()[0], torch.tensor([0.0, 0.0, 5.0], dtype=torch.float64))
    assert torch.allclose(cam.view_matrix()[0, :3, 3], torch.tensor([0.0, 0.0, -5.0], dtype=torch.float64))


def test_point_on_axis_projects_to_principal_point():
    cam = front_camera()
    pix, depth = cam.project(torch.tensor([[[0.0, 0.0, 1.0], [0.0, 0.0, -3.0]]], dtype=torch.float64))
    assert torch.allclose(pix, torch.tensor([[[40.0, 32.0], [40.0, 32.0]]], dtype=torch.float64))
    assert torch.allclose(depth, torch.tensor([[4.0, 8.0]], dtype=torch.float64))


def test_offset_point_projects_to_known_pixel():
    # x right, y up in the world (front view): u = cx + f x / d, v = cy - f y / d.
    cam = front_camera()
    pix, depth = cam.project(torch.tensor([[[1.0, 0.5, 0.0]]], dtype=torch.float64))
    assert torch.allclose(pix[0, 0], torch.tensor([40.0 + 100 / 5, 32.0 - 100 * 0.5 / 5], dtype=torch.float64))
    assert depth.item() == pytest.approx(5.0)


def test_camera_batch_aligns_with_first_dim():
    eyes = torch.tensor([[0.0, 0.0, 4.0], [4.0, 0.0, 0.0]])
    cams = look_at_cameras(eyes, torch.zeros(2, 3), (32, 32), fov_y_deg=60.0)
    # The world point (0, 0, 1) is straight ahead for camera 0 and 1 m to the left for camera 1.
    pix, depth = cams.project(torch.tensor([[[0.0, 0.0, 1.0]], [[0.0, 0.0, 1.0]]]))
    assert torch.allclose(pix[0, 0], torch.tensor([16.0, 16.0]))
    assert depth[0, 0].item() == pytest.approx(3.0) and depth[1, 0].item() == pytest.approx(4.0)
    f = focal_from_fov(60.0, 32)
    assert pix[1, 0, 0].item() == pytest.approx(16.0 - f * 1.0 / 4.0, abs=1e-4)
    # A single camera broadcasts.
    p1, _ = cams[0].project(torch.zeros(3, 5, 3))
    assert p1.shape == (3, 5, 2)


def test_look_at_rotation_is_proper():
    eye = torch.tensor([[1.0, 2.0, 3.0], [-2.0, 0.5, -1.0]], dtype=torch.float64)
    R = look_at_rotation(eye, torch.zeros_like(eye))
    assert torch.allclose(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(2, 3, 3), atol=1e-12)
    assert torch.allclose(torch.linalg.det(R), torch.ones(2, dtype=torch.float64))
    # The camera looks along its -Z: the target is at camera-space (0, 0, -|eye|).
    cams = look_at_cameras(eye, torch.zeros_like(eye), (10, 10))
    pc = cams.transform_points(torch.zeros(2, 1, 3, dtype=torch.float64))
    assert torch.allclose(pc[:, 0], torch.stack([torch.zeros(2), torch.zeros(2), -eye.norm(dim=-1)], -1).double())


def test_ndc_and_pixels():
    size = (20, 40)
    corners = torch.tensor([[0.0, 0.0], [40.0, 20.0], [20.0, 10.0]])
    ndc = pixel_to_ndc(corners, size)
    assert torch.allclose(ndc, torch.tensor([[-1.0, 1.0], [1.0, -1.0], [0.0, 0.0]]))
    assert torch.allclose(ndc_to_pixel(ndc, size), corners)
    assert depth_to_ndc(torch.tensor([1.0, 10.0]), 1.0, 10.0).tolist() == pytest.approx([-1.0, 1.0])


def test_opencv_conversion_matches_projection():
    g = torch.Generator().manual_seed(0)
    cams = look_at_cameras(torch.tensor([[1.0, 1.5, 4.0]], dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64), (48, 64))
    pts = torch.randn(1, 7, 3, generator=g, dtype=torch.float64) * 0.5
    pix, depth = cams.project(pts)
    R, t, K = cams.to_opencv()
    pc = pts[0] @ R[0].T + t[0]
    uvw = pc @ K[0].T
    assert torch.allclose(uvw[:, :2] / uvw[:, 2:] + 0.5, pix[0])
    assert torch.allclose(pc[:, 2], depth[0])


def test_with_image_size_keeps_relative_position():
    cams = look_at_cameras(torch.tensor([[0.5, 1.0, 3.0]]), torch.zeros(1, 3), (40, 60))
    small = cams.with_image_size((20, 30))
    pts = torch.tensor([[[0.2, 0.3, -0.1]]])
    a, _ = cams.project(pts)
    b, _ = small.project(pts)
    assert torch.allclose(a / torch.tensor([60.0, 40.0]), b / torch.tensor([30.0, 20.0]), atol=1e-6)


def test_focal_from_fov():
    assert focal_from_fov(90.0, 100) == pytest.approx(50.0)
    with pytest.raises(ValueError):
        focal_from_fov(180.0, 100)
    assert math.isfinite(focal_from_fov(1.0, 100))
