"""Real characters from ../shared/data render sensibly (skipped when the corpus is absent)."""

from __future__ import annotations

import pytest

from anymole.render.renderer import render

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("name", ["Fox.glb", "CesiumMan.glb"])
def test_character_renders_one_frame(corpus, name):
    path = corpus / "characters" / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    io = pytest.importorskip("anymole.io")
    asset = io.load_asset(path)
    motion = asset.clips[0].motion.slice(0, 1) if asset.clips else None
    g = motion.global_transforms(asset.skeleton) if motion else (asset.skeleton.rest_rotations, asset.skeleton.rest_positions)
    H, W = 96, 144
    out = render(asset.skeleton, g, image_size=(H, W), sigma=0.5)
    assert asset.skeleton.mesh is not None
    fg = (out.images != 1).any(-1).float().mean(dim=(-1, -2))  # (V, T)
    assert ((fg > 0.04) & (fg < 0.6)).all(), fg
    # Soft coverage exceeds hard coverage on dense meshes (see anymole.render.rasterize).
    cover = out.silhouettes.mean(dim=(-1, -2))
    assert ((cover > 0.9 * fg) & (cover < 1.6 * fg + 0.01)).all(), (cover, fg)
    j = out.joints_2d
    assert (j[..., 0] >= 0).all() and (j[..., 0] <= W).all() and (j[..., 1] >= 0).all() and (j[..., 1] <= H).all()
    assert (out.joints_depth > 0).all()
