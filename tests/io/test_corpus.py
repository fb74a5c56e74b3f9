"""Every file in ../shared/data loads, with the frame and joint counts its SOURCES.md states;
every corpus BVH survives a write → read round trip; the Fox agrees across BVH, glTF and FBX.

Joint counts exclude BVH End Sites (``read_bvh`` drops them by default). Skipped when the
corpus folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from anymole.io import load_asset, read_bvh, read_fbx, read_gltf, write_bvh
from anymole.motion import Motion

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# From SOURCES.md: frames, joints, fps, root joint.
CC_FRAMES = {
    "01_08": 1305, "02_04": 241, "02_05": 927, "02_09": 517, "05_01": 299, "05_02": 562, "05_05": 458,
    "05_06": 443, "05_08": 361, "05_10": 409, "05_11": 296, "05_14": 321, "05_15": 270, "05_16": 263,
    "06_01": 246, "06_02": 361, "06_03": 264, "06_07": 288, "06_10": 557, "06_11": 573, "06_15": 273,
}
BVH_FACTS = {f"humanoid/cmu_{k}_cc.bvh": (n, 100, 60.0, "CC_Base_Hip") for k, n in CC_FRAMES.items()}
BVH_FACTS |= {
    "humanoid/cmu_01_01_mb.bvh": (2752, 31, 120.0, "Hips"),
    "humanoid/cmu_01_14_mb.bvh": (2339, 31, 120.0, "Hips"),
    "humanoid/cmu_05_06_mb.bvh": (885, 31, 120.0, "Hips"),
    "creatures/fox/Fox_Run.bvh": (36, 24, 30.0, "_rootJoint"),
    "creatures/fox/Fox_Survey.bvh": (104, 24, 30.0, "_rootJoint"),
    "creatures/fox/Fox_Walk.bvh": (22, 24, 30.0, "_rootJoint"),
}
ROBOT_CLIPS = ["Dance", "Death", "Idle", "Jump", "No", "Punch", "Running", "Sitting", "Standing", "ThumbsUp", "Walking", "WalkJump", "Wave", "Yes"]
# joints, clip names (None: do not check), duration of named clips in seconds
CHARACTER_FACTS = {
    "characters/Fox.glb": (24, ["Survey", "Walk", "Run"], {"Survey": 3.42, "Walk": 0.71, "Run": 1.16}),
    "characters/CesiumMan.glb": (19, ["animation_0"], {"animation_0": 2.0}),
    "characters/RobotExpressive.glb": (43, ROBOT_CLIPS, {"Dance": 3.33, "Idle": 3.33}),
    "characters/Fox.fbx": (24, ["root|Run_root", "root|Survey_root", "root|Walk_root"], {"root|Survey_root": 3.42}),
    "characters/cmu_01_01_isaacgym.fbx": (38, ["01_01|01_01"], {"01_01|01_01": 22.925}),
}


def _corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.suffix.lower() in (".bvh", ".glb", ".gltf", ".fbx")
    )


FILES = _corpus_files()


def _need_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")


def test_every_corpus_file_has_facts():
    _need_corpus()
    assert set(FILES) == set(BVH_FACTS) | set(CHARACTER_FACTS), "a corpus file is missing from the facts above"


@pytest.mark.parametrize("rel", FILES or ["<no corpus>"])
def test_corpus_file_loads(rel):
    _need_corpus()
    asset = load_asset(CORPUS / rel)
    sk = asset.skeleton
    assert asset.source == str(CORPUS / rel)
    if rel in BVH_FACTS:
        frames, joints, fps, root = BVH_FACTS[rel]
        assert sk.num_joints == joints and sk.names[0] == root
        (clip,) = asset.clips
        assert clip.name == Path(rel).stem
        assert clip.motion.num_frames == frames
        assert clip.motion.fps == fps
    else:
        joints, names, durations = CHARACTER_FACTS[rel]
        assert sk.num_joints == joints
        assert [c.name for c in asset.clips] == names
        for name, duration in durations.items():
            assert asset.clip(name).motion.duration_s == pytest.approx(duration, abs=0.05)
    for clip in asset.clips:
        assert clip.motion.num_joints == sk.num_joints
        assert torch.isfinite(clip.motion.global_positions(sk)).all()


@pytest.mark.parametrize("rel", [f for f in FILES if f.endswith(".bvh")] or ["<no corpus>"])
def test_corpus_bvh_round_trip(tmp_path, rel):
    _need_corpus()
    asset = read_bvh(CORPUS / rel)
    sk = asset.skeleton
    motion = asset.clips[0].motion.slice(0, 40)
    out = tmp_path / "rt.bvh"
    write_bvh(out, sk, motion, rotation_order="XZY")
    back = read_bvh(out)
    assert back.skeleton.names == sk.names
    err = (back.clips[0].motion.global_positions(back.skeleton) - motion.global_positions(sk)).abs().max()
    assert err <= 1e-5 * sk.size


def test_cc_rig_relative_root_channels_stand_on_the_floor():
    """iClone exports add the root position channels to the root OFFSET (105 cm up)."""
    _need_corpus()
    rel = read_bvh(CORPUS / "humanoid/cmu_05_01_cc.bvh", position_channels="relative", unit_m=0.01)
    pos = rel.clips[0].motion.global_positions(rel.skeleton)
    assert 0.0 < pos[..., 1].min() < 0.1 and 1.5 < pos[..., 1].max() < 1.9  # metres


def _positions(asset, name, order_names):
    m = asset.clip(name).motion
    idx = [asset.skeleton.index(n) for n in order_names]
    return m.global_positions(asset.skeleton)[:, idx]


def test_fox_bvh_matches_gltf_sampling():
    """The BVH clips were converted from Fox.glb at 30 fps (FK error < 3e-6 of extent)."""
    _need_corpus()
    gltf = read_gltf(CORPUS / "characters/Fox.glb", fps=30.0)
    names = gltf.skeleton.names
    for clip in ("Survey", "Walk", "Run"):
        bvh = read_bvh(CORPUS / f"creatures/fox/Fox_{clip}.bvh")
        assert set(bvh.skeleton.names) == set(names)
        a = _positions(gltf, clip, names)
        b = _positions(bvh, f"Fox_{clip}", names)
        assert a.shape == b.shape
        assert (a - b).abs().max() <= 3e-6 * gltf.skeleton.size


def test_fox_fbx_matches_gltf():
    """Fox.fbx is Blender's re-export of Fox.glb (24 fps takes): same joints and, at 24 fps,
    the same first frame; later frames differ by the exporter's curve simplification."""
    _need_corpus()
    gltf = read_gltf(CORPUS / "characters/Fox.glb", fps=24.0)
    fbx = read_fbx(CORPUS / "characters/Fox.fbx")
    names = gltf.skeleton.names
    assert set(fbx.skeleton.names) == set(names)
    for clip in ("Survey", "Walk", "Run"):
        a = _positions(gltf, clip, names)
        b = _positions(fbx, f"root|{clip}_root", names)
        assert a.shape == b.shape
        err = (a - b).norm(dim=-1).amax(-1) / gltf.skeleton.size
        assert err[0] < 1e-5 and err.median() < 1e-3
    assert fbx.skeleton.mesh is not None and fbx.skeleton.mesh.num_vertices == gltf.skeleton.mesh.num_vertices


def _skinned(skeleton, motion, t):
    from anymole.geometry.rotations import quat_to_matrix

    g_rot, g_pos = motion.global_transforms(skeleton)
    G = torch.zeros(skeleton.num_joints, 4, 4)
    G[:, :3, :3] = quat_to_matrix(g_rot[t])
    G[:, :3, 3] = g_pos[t]
    G[:, 3, 3] = 1
    mesh = skeleton.mesh
    M = (G @ mesh.inverse_bind_matrices)[mesh.joint_indices]  # (N, K, 4, 4)
    v = torch.cat([mesh.vertices, torch.ones(mesh.num_vertices, 1)], 1)
    return ((M @ v[:, None, :, None])[..., :3, 0] * mesh.joint_weights[..., None]).sum(1)


@pytest.mark.parametrize("rel, vertices", [("Fox.glb", 1728), ("CesiumMan.glb", 3273), ("RobotExpressive.glb", 7214)])
def test_gltf_meshes(rel, vertices):
    _need_corpus()
    sk = read_gltf(CORPUS / "characters" / rel).skeleton
    assert sk.mesh.num_vertices == vertices
    rest = _skinned(sk, Motion.rest(sk), 0)
    lo, hi = rest.min(0).values, rest.max(0).values
    assert hi[1] - lo[1] == max(hi - lo) or rel == "Fox.glb"  # standing characters are tallest along +Y
    if rel != "RobotExpressive.glb":  # bind pose = rest pose: the vertices are the rest-pose skin
        assert (rest - sk.mesh.vertices).abs().max() <= 1e-5 * sk.size
    if rel == "CesiumMan.glb":  # a Z-up mesh under a rotated ancestor comes out Y-up, feet at 0
        assert abs(lo[1]) < 1e-3 and 1.4 < hi[1] < 1.6
