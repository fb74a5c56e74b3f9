"""The rasteriser: exact coverage, z-buffering, perspective-correct depth, soft silhouettes."""

from __future__ import annotations

import pytest
import torch

from anymole.render.cameras import look_at_cameras
from anymole.render.rasterize import interpolate, rasterize, shade_lambert, soft_silhouette


def quad(x0, y0, x1, y1, depth=1.0, dtype=torch.float64):
    """Screen-space quad (two triangles) with corners at pixel coordinates."""
    v = torch.tensor([[x0, y0, depth], [x1, y0, depth], [x1, y1, depth], [x0, y1, depth]], dtype=dtype)
    return v, torch.tensor([[0, 1, 2], [0, 2, 3]])


def test_quad_covers_expected_pixels():
    v, f = quad(8, 4, 24, 20)
    frags = rasterize(v[None], f, (24, 32))
    want = torch.zeros(24, 32, dtype=torch.bool)
    want[4:20, 8:24] = True  # pixel centres 8.5 … 23.5 lie inside [8, 24]
    assert torch.equal(frags.mask[0], want)
    assert torch.allclose(frags.depth[0][want], torch.ones(int(want.sum()), dtype=torch.float64))
    assert (frags.depth[0][~want] == -1).all()
    # Barycentrics sum to one and reproduce the pixel centre.
    assert torch.allclose(frags.bary[0][want].sum(-1), torch.ones(int(want.sum()), dtype=torch.float64))
    pos = interpolate(frags, f, v[None, :, :2])
    ys, xs = torch.nonzero(want, as_tuple=True)
    assert torch.allclose(pos[0][want], torch.stack([xs + 0.5, ys + 0.5], -1).double())


def test_nearer_triangle_wins_in_any_order():
    near_v, _ = quad(4, 4, 20, 20, depth=2.0)
    far_v, _ = quad(10, 10, 28, 28, depth=5.0)
    verts = torch.cat([far_v, near_v])[None]
    f_far = torch.tensor([[0, 1, 2], [0, 2, 3]])
    for faces, near_ids in ((torch.cat([f_far, f_far + 4]), {2, 3}), (torch.cat([f_far + 4, f_far]), {0, 1})):
        frags = rasterize(verts, faces, (32, 32))
        assert int(frags.face_index[0, 15, 15]) in near_ids  # overlap: the nearer quad
        assert int(frags.face_index[0, 25, 25]) not in near_ids  # only the far quad
        assert frags.depth[0, 15, 15].item() == pytest.approx(2.0)
        assert frags.depth[0, 25, 25].item() == pytest.approx(5.0)


def test_behind_camera_and_offscreen_are_dropped():
    v, f = quad(-50, -50, 100, 100, depth=-1.0)
    assert not rasterize(v[None], f, (16, 16)).mask.any()
    v, f = quad(40, 40, 60, 60)
    assert not rasterize(v[None], f, (16, 16)).mask.any()
    # A quad larger than the image covers all of it.
    v, f = quad(-50, -50, 100, 100)
    assert rasterize(v[None], f, (16, 16), max_candidates=64).mask.all()


def test_cube_through_camera_covers_its_projected_front_face():
    # Unit cube centred at the origin, camera on +Z: only the front face (z = 0.5) is visible.
    c = torch.tensor([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)], dtype=torch.float64)
    quads = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]]
    faces = torch.tensor([[q[0], q[1], q[2]] for q in quads] + [[q[0], q[2], q[3]] for q in quads])
    cams = look_at_cameras(torch.tensor([[0.0, 0.0, 4.0]], dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64), (64, 64), fov_y_deg=40.0)
    pix, depth = cams.project(c[None])
    frags = rasterize(torch.cat([pix, depth[..., None]], -1), faces, (64, 64))
    f = cams.focal[0, 0].item()
    half = f * 0.5 / 3.5  # front face at depth 3.5
    expected = (2 * half) ** 2
    assert abs(frags.mask.sum().item() - expected) < 4 * 2 * half  # within the perimeter's pixels
    assert frags.depth[0, 32, 32].item() == pytest.approx(3.5)
    img = shade_lambert(frags, cams.transform_points(c[None]), faces, torch.tensor([[[1.0, 0.5, 0.25]]], dtype=torch.float64).expand(1, 8, 3))
    # Headlight straight on the front face: full Lambert at the centre; white background.
    assert torch.allclose(img[0, 32, 32], torch.tensor([1.0, 0.5, 0.25], dtype=torch.float64), atol=0.02)
    assert torch.allclose(img[0, 0, 0], torch.ones(3, dtype=torch.float64))


def test_depth_is_perspective_correct():
    # A plane tilted away from the camera: z = -3 - x (world), camera at the origin looking -Z.
    cams = look_at_cameras(torch.zeros(1, 3, dtype=torch.float64), torch.tensor([[0.0, 0.0, -1.0]], dtype=torch.float64), (32, 32), fov_y_deg=60.0)
    w = torch.tensor([[-1.0, -1.0, -2.0], [1.0, -1.0, -4.0], [1.0, 1.0, -4.0], [-1.0, 1.0, -2.0]], dtype=torch.float64)
    faces = torch.tensor([[0, 1, 2], [0, 2, 3]])
    pix, depth = cams.project(w[None])
    frags = rasterize(torch.cat([pix, depth[..., None]], -1), faces, (32, 32))
    f = cams.focal[0, 0].item()
    ys, xs = torch.nonzero(frags.mask[0], as_tuple=True)
    rx = (xs.double() + 0.5 - 16.0) / f  # ray direction x / depth
    expected = 3.0 / (1.0 - rx)  # depth d: -d = -3 - rx d
    assert torch.allclose(frags.depth[0][frags.mask[0]], expected, rtol=1e-9)


def test_soft_silhouette_range_and_hard_limit():
    v, f = quad(5.3, 6.1, 25.7, 19.4)
    tri = torch.tensor([[20.2, 3.3, 1.0], [30.1, 28.6, 1.0], [12.4, 25.2, 1.0]], dtype=torch.float64)
    verts = torch.cat([v, tri])[None]
    faces = torch.cat([f, torch.tensor([[4, 5, 6]])])
    hard = rasterize(verts, faces, (32, 32)).mask.double()
    soft = soft_silhouette(verts, faces, (32, 32), sigma=1.0)
    assert soft.min() >= 0 and soft.max() <= 1
    assert (soft[0][hard[0] > 0] > 0.5).float().mean() > 0.9
    sharp = soft_silhouette(verts, faces, (32, 32), sigma=0.02)
    assert (sharp - hard).abs().mean() < 0.01
    # Batches render independently.
    both = soft_silhouette(torch.cat([verts, verts + torch.tensor([3.0, 0.0, 0.0], dtype=torch.float64)]), faces, (32, 32), sigma=1.0)
    assert torch.allclose(both[0], soft[0])
    assert not torch.allclose(both[1], soft[0])


def test_soft_silhouette_gradcheck_screen_space():
    verts = torch.tensor([[[3.2, 2.7, 1.0], [12.6, 4.1, 1.0], [6.3, 13.8, 1.0]]], dtype=torch.float64, requires_grad=True)
    faces = torch.tensor([[0, 1, 2]])
    fn = lambda v: soft_silhouette(v, faces, (16, 16), sigma=1.5, eps=1e-12)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (verts,), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_hard_image_has_vertex_gradients():
    v, f = quad(2.0, 2.0, 14.0, 14.0)
    v = v.clone()
    v[2, 2] = 2.0  # tilt in depth so shading varies
    v = v[None].requires_grad_(True)
    frags = rasterize(v, f, (16, 16))
    cam = torch.cat([v[..., :2] * v[..., 2:] / 16.0, -v[..., 2:]], -1)  # any camera-space positions
    img = shade_lambert(frags, cam, f, torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64).expand(2, 3))
    img[..., 0].sum().backward()
    assert v.grad.abs().sum() > 0 and torch.isfinite(v.grad).all()
