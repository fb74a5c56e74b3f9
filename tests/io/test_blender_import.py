"""Blender (bpy, the optional ``fbx`` extra) imports what ``anymole bake`` writes: the GLB
(armature, skinned bone mesh, action), the BVH and the FBX. Slow lane; skipped without bpy."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from anymole.io import fbx_write

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not fbx_write.bpy_available(), reason="needs Blender's bpy (pip install '.[fbx]')"),
]

_SCRIPT = r"""
import json, sys
import bpy

def load(kind, path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if kind == "glb":
        bpy.ops.import_scene.gltf(filepath=path)
    elif kind == "bvh":
        bpy.ops.import_anim.bvh(filepath=path)
    else:
        bpy.ops.import_scene.fbx(filepath=path)
    arm = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    skinned = [m for m in meshes if any(md.type == "ARMATURE" and md.object in arm for md in m.modifiers) or m.parent in arm]
    actions = [(a.name, list(a.frame_range)) for a in bpy.data.actions]
    return {"armatures": len(arm), "bones": sum(len(a.data.bones) for a in arm), "meshes": len(meshes),
            "skinned": len(skinned), "actions": actions}

out = {k: load(k, p) for k, p in json.loads(sys.argv[1]).items()}
print("RESULT " + json.dumps(out))
"""


def test_blender_imports_glb_bvh_and_fbx(tmp_path):
    from anymole.bake import write_motion_files
    from anymole.testing import make_character

    skeleton, motion = make_character("quadruped", num_frames=24)
    paths, notes = write_motion_files(tmp_path / "q", "walk", skeleton, motion, formats=("glb", "bvh", "fbx"))
    assert {".glb", ".bvh", ".fbx"} <= set(paths), notes
    files = {k: str(paths["." + k]) for k in ("glb", "bvh", "fbx")}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(files)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    got = json.loads(line[len("RESULT ") :])
    for kind in ("glb", "bvh", "fbx"):
        assert got[kind]["armatures"] == 1 and got[kind]["bones"] >= skeleton.num_joints - 1, (kind, got[kind])
        assert got[kind]["actions"], (kind, got[kind])
    # A skeleton-only character still shows a character: the bone mesh, bound to the skin.
    assert got["glb"]["skinned"] >= 1 and got["fbx"]["skinned"] >= 1
