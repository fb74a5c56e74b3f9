"""The camera rig: paper views, fixed framing that keeps a moving character in the image."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.errors import ValidationError
from anymole.render.bone_mesh import mesh_for
from anymole.render.renderer import project_joints
from anymole.render.rig import PAPER_IMAGE_SIZE, frame_points, orbit_cameras
from anymole.render.skinning import skin_vertices


def test_every_joint_stays_in_frame_for_all_frames_and_views(stick, walk):
    g_rot, g_pos = walk.global_transforms(stick)
    verts = skin_vertices(mesh_for(stick), g_rot, g_pos)
    cams = orbit_cameras(frame_points(g_pos, verts), PAPER_IMAGE_SIZE)
    assert len(cams) == 4 and cams.image_size == (320, 512)
    H, W = cams.image_size
    for pts in (g_pos, verts):
        pix, depth = project_joints(pts, cams)  # (V, T, ·, 2)
        assert (depth > 0).all()
        assert (pix[..., 0] >= 0).all() and (pix[..., 0] <= W).all()
        assert (pix[..., 1] >= 0).all() and (pix[..., 1] <= H).all()
    # Tight framing: in each view something reaches the margin (10 % of the half-height).
    pix, _ = project_joints(torch.cat([g_pos, verts], 1), cams)
    reach = ((pix[..., 1] - H / 2).abs() / (H / 2)).amax(dim=(1, 2))
    reach = torch.maximum(reach, ((pix[..., 0] - W / 2).abs() / (W / 2)).amax(dim=(1, 2)))
    assert torch.allclose(reach, torch.full_like(reach, 0.9), atol=1e-3)


def test_view_directions():
    pts = torch.tensor([[0.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.5, 1.0, 0.3]])
    cams = orbit_cameras(pts, (64, 64), yaws_deg=(0.0, 179.0, 90.0), elevation_deg=20.0)
    c = cams.centers()
    target = torch.tensor([0.25, 1.0, 0.15])
    d = torch.nn.functional.normalize(c - target, dim=-1)
    el = math.radians(20.0)
    assert torch.allclose(d[0], torch.tensor([0.0, math.sin(el), math.cos(el)]), atol=1e-5)  # front: +Z side
    assert d[1, 2] < -0.9 and d[1, 0] > 0  # back: 179° round, on the -Z side
    assert torch.allclose(d[2], torch.tensor([math.cos(el), math.sin(el), 0.0]), atol=1e-5)  # +90°: +X side
    # The front camera sees +X (the character's left) on the right of the image, +Y up.
    pix, _ = cams[0].project(torch.tensor([[[1.25, 1.0, 0.15], [0.25, 2.0, 0.15]]]))
    assert pix[0, 0, 0] > 32 and pix[0, 1, 1] < 32


def test_rig_rejects_bad_options():
    pts = torch.zeros(2, 3)
    with pytest.raises(ValidationError):
        orbit_cameras(pts, (8, 8), elevation_deg=90.0)
    with pytest.raises(ValidationError):
        orbit_cameras(pts, (8, 8), yaws_deg=())
