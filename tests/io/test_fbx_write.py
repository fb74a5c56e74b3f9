"""FBX export through Blender (``anymole.io.fbx_write``): a real conversion where bpy is
installed (the ``fbx`` extra), and a clear error where it is not."""

from __future__ import annotations

import pytest

from anymole.errors import FormatError, UnsupportedError
from anymole.io import fbx_write, read_fbx, write_gltf
from anymole.render.bone_mesh import bone_mesh
from anymole.testing import make_character


def test_missing_bpy_raises_a_clear_unsupported_error(tmp_path, monkeypatch):
    monkeypatch.setattr(fbx_write, "bpy_available", lambda: False)
    skeleton, motion = make_character("snake", num_frames=5)
    write_gltf(tmp_path / "a.glb", skeleton, motion)
    with pytest.raises(UnsupportedError, match=r"bpy.*pip install '\.\[fbx\]'"):
        fbx_write.glb_to_fbx(tmp_path / "a.glb", tmp_path / "a.fbx")
    assert not (tmp_path / "a.fbx").exists()


def test_missing_input_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(fbx_write, "bpy_available", lambda: True)  # fails before Blender starts
    with pytest.raises(FormatError, match="nothere.glb"):
        fbx_write.glb_to_fbx(tmp_path / "nothere.glb", tmp_path / "a.fbx")


@pytest.mark.slow
@pytest.mark.skipif(not fbx_write.bpy_available(), reason="needs Blender's bpy (pip install '.[fbx]')")
def test_glb_to_fbx_keeps_joints_mesh_and_animation(tmp_path):
    skeleton, motion = make_character("quadruped", num_frames=20)
    skeleton = skeleton.with_mesh(bone_mesh(skeleton))  # a skinned mesh to carry over
    write_gltf(tmp_path / "q.glb", skeleton, motion)
    assert fbx_write.animation_fps(tmp_path / "q.glb") == motion.fps
    fbx_write.glb_to_fbx(tmp_path / "q.glb", tmp_path / "q.fbx")
    asset = read_fbx(tmp_path / "q.fbx", fps=motion.fps)
    assert set(skeleton.names) <= set(asset.skeleton.names)
    assert asset.skeleton.mesh is not None and asset.skeleton.mesh.num_vertices == skeleton.mesh.num_vertices
    assert asset.clips and asset.clips[0].motion.num_frames == motion.num_frames
    # Global joint positions survive the Blender round trip (metres, canonical frame).
    want = motion.global_positions(skeleton)
    got = asset.clips[0].motion.global_positions(asset.skeleton)[:, [asset.skeleton.index(n) for n in skeleton.names]]
    assert (got - want).abs().max() < 1e-3
