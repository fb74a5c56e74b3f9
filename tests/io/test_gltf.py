"""glTF/GLB reader and writer: round trips (motion and skinned mesh), hand-made files for
the sampler, clip merging, ancestor baking and accessor types, and malformed files."""

from __future__ import annotations

import base64
import json
import math
import struct

import numpy as np
import pytest
import torch

from anymole.errors import FormatError
from anymole.io import Clip, load_asset, read_gltf, write_gltf
from anymole.io.gltf_container import BufferBuilder


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".glb", ".gltf"])
def test_round_trip_skinned_mesh_and_clips(tmp_path, skinned_skeleton, make_motion, ext):
    sk = skinned_skeleton
    clips = [Clip("walk", make_motion(sk, frames=31, fps=30.0, seed=1)), Clip("wave", make_motion(sk, frames=16, fps=30.0, seed=2, translating=(0, 3)))]
    out = tmp_path / f"char{ext}"
    write_gltf(out, sk, clips)
    back = read_gltf(out)
    assert back.skeleton.names == sk.names
    assert back.skeleton.parents.tolist() == sk.parents.tolist()
    torch.testing.assert_close(back.skeleton.offsets, sk.offsets)
    torch.testing.assert_close(back.skeleton.rest_rotations, sk.rest_rotations)
    assert [c.name for c in back.clips] == ["walk", "wave"]
    for a, b in zip(clips, back.clips):
        assert b.motion.num_frames == a.motion.num_frames
        err = (b.motion.global_positions(back.skeleton) - a.motion.global_positions(sk)).abs().max()
        assert err <= 1e-5 * sk.size
    m0, m1 = sk.mesh, back.skeleton.mesh
    torch.testing.assert_close(m1.vertices, m0.vertices)
    assert torch.equal(m1.faces, m0.faces)
    # K = 3 influences are padded to 4 on write; the padding has weight 0. The fixture's
    # influences name a joint twice in some vertices and do not sum to 1: glTF requires
    # neither, so the writer merges and normalises them (the skinning is the same).
    assert (m1.joint_weights[:, 3] == 0).all()

    def dense(m):
        d = torch.zeros(m.num_vertices, sk.num_joints, dtype=torch.float64)
        d.scatter_add_(1, m.joint_indices.long(), m.joint_weights.double())
        return d / d.sum(1, keepdim=True)

    torch.testing.assert_close(dense(m1), dense(m0), atol=1e-6, rtol=0)
    torch.testing.assert_close(m1.joint_weights.sum(1), torch.ones(m1.num_vertices), atol=1e-7, rtol=0)
    torch.testing.assert_close(m1.inverse_bind_matrices, m0.inverse_bind_matrices)
    torch.testing.assert_close(m1.uvs, m0.uvs)


def _scaled(sk):
    from dataclasses import replace

    scales = torch.tensor([[2.0, 2, 2], [1, 1.5, 1], [0.5, 1, 3], [1, 1, 1], [1.2, 0.8, 1]])
    return replace(sk, rest_scales=scales)


def test_rest_scales_round_trip_when_kept(tmp_path, skeleton, make_motion):
    sk = _scaled(skeleton)
    motion = make_motion(sk, frames=9, translating=(0, 2))
    out = tmp_path / "scaled.gltf"
    write_gltf(out, sk, motion)
    nodes = json.loads(out.read_text())["nodes"]
    assert nodes[0]["scale"] == [2.0, 2.0, 2.0] and "scale" not in nodes[3]
    back = read_gltf(out, keep_scale=True)
    torch.testing.assert_close(back.skeleton.rest_scales, sk.rest_scales)
    torch.testing.assert_close(back.skeleton.offsets, sk.offsets)
    torch.testing.assert_close(back.skeleton.rest_rotations, sk.rest_rotations)
    m = back.clips[0].motion
    torch.testing.assert_close(m.translations, motion.translations, atol=1e-5, rtol=1e-5)
    assert ((m.rotations * motion.rotations).sum(-1).abs() - 1).abs().max() < 1e-5
    # Read baked (the default): unit scales, the same world positions as the scaled skeleton's.
    baked = read_gltf(out)
    assert not baked.skeleton.has_scales
    err = (baked.clips[0].motion.global_positions(baked.skeleton) - motion.global_positions(sk)).abs().max()
    assert err <= 1e-5 * sk.size
    torch.testing.assert_close(baked.skeleton.rest_positions, sk.rest_positions)


def test_keep_scale_refuses_shear_and_animated_scale(tmp_path, skeleton):
    # A non-joint ancestor with a non-uniform scale above a rotated root joint is baked into
    # the root: S·R is sheared, so no rest scale can hold it.
    doc = {
        "asset": {"version": "2.0"},
        "nodes": [
            {"name": "holder", "children": [1], "scale": [2.0, 1.0, 1.0]},
            {"name": "a", "children": [2], "rotation": [0.0, 0.0, 0.3826834, 0.9238795]},
            {"name": "c", "translation": [0.0, 1.0, 0.0]},
        ],
        "skins": [{"joints": [1, 2]}],
        "scenes": [{"nodes": [0]}],
    }
    path = _write(tmp_path, "shear.gltf", doc)
    with pytest.raises(FormatError, match=r"node 1 \(a\).*shear.*keep_scale=False"):
        read_gltf(path, keep_scale=True)
    baked = read_gltf(path)
    assert baked.skeleton.num_joints == 2 and not baked.skeleton.has_scales

    buf = BufferBuilder()
    t_acc = buf.add(np.array([[0.0], [1.0]], np.float32), "SCALAR", minmax=True)
    s_acc = buf.add(np.array([[1, 1, 1], [2, 2, 2]], np.float32), "VEC3")
    doc = _doc_with_buffer(
        buf,
        nodes=[{"name": "a", "children": [1]}, {"name": "b", "translation": [0.0, 1.0, 0.0]}],
        scenes=[{"nodes": [0]}],
        animations=[{"name": "grow", "samplers": [{"input": t_acc, "output": s_acc}], "channels": [{"sampler": 0, "target": {"node": 0, "path": "scale"}}]}],
    )
    path = _write(tmp_path, "grow.gltf", doc)
    with pytest.raises(FormatError, match=r"clip 'grow' animates the scale of node 0 \(a\)"):
        read_gltf(path, keep_scale=True)
    grow = read_gltf(path).clips[0].motion  # baked: the child's offset follows the scale
    torch.testing.assert_close(grow.translations[-1, 1], torch.tensor([0.0, 2.0, 0.0]))


def test_written_file_is_valid_for_a_third_party_parser(tmp_path, skinned_skeleton, make_motion):
    pygltflib = pytest.importorskip("pygltflib")
    out = tmp_path / "char.glb"
    write_gltf(out, skinned_skeleton, make_motion(skinned_skeleton, frames=10))
    g = pygltflib.GLTF2().load(str(out))
    assert len(g.nodes) == 6 and len(g.skins) == 1 and len(g.animations) == 1
    prim = g.meshes[0].primitives[0]
    pos = g.accessors[prim.attributes.POSITION]
    assert pos.min is not None and pos.max is not None
    inp = g.accessors[g.animations[0].samplers[0].input]
    assert inp.min == [0.0] and math.isclose(inp.max[0], 9 / 30, rel_tol=1e-6)
    for v in g.bufferViews:
        assert v.byteOffset % 4 == 0
    targets = {g.bufferViews[g.accessors[i].bufferView].target for i in (prim.attributes.POSITION, prim.indices)}
    assert targets == {34962, 34963}


def test_motion_without_mesh_and_fps(tmp_path, skeleton, make_motion):
    motion = make_motion(skeleton, frames=13, fps=24.0)
    out = tmp_path / "bare.gltf"
    write_gltf(out, skeleton, motion)
    assert (tmp_path / "bare.bin").is_file()
    back = read_gltf(out, fps=24.0)
    assert back.skeleton.mesh is None
    assert [c.name for c in back.clips] == ["motion"]
    err = (back.clips[0].motion.global_positions(back.skeleton) - motion.global_positions(skeleton)).abs().max()
    assert err <= 1e-5 * skeleton.size
    assert load_asset(out).clips[0].motion.fps == 30.0  # resampled at the default 30 fps
    assert load_asset(out).clips[0].motion.num_frames == round(12 / 24 * 30) + 1


# -- hand-made files -------------------------------------------------------------------------------


def _doc_with_buffer(buf: BufferBuilder, **doc) -> dict:
    data = buf.data()
    doc.setdefault("asset", {"version": "2.0"})
    doc["buffers"] = [{"byteLength": len(data), "uri": "data:application/octet-stream;base64," + base64.b64encode(data).decode()}]
    doc["bufferViews"] = buf.views
    doc["accessors"] = buf.accessors
    return doc


def _write(tmp_path, name, doc) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


def _scene(buf, animations, *, parent_scale=1.0):
    """Non-joint parent 'holder' (translation, 90° about Y, uniform scale) → joints a → b."""
    ibm = np.tile(np.eye(4, dtype=np.float32).reshape(1, 16), (2, 1))
    s = math.sqrt(0.5)
    return _doc_with_buffer(
        buf,
        scene=0,
        scenes=[{"nodes": [0]}],
        nodes=[
            {"name": "holder", "children": [1], "translation": [0, 0, 5], "rotation": [0, s, 0, s], "scale": [parent_scale] * 3},
            {"name": "a", "children": [2], "translation": [1, 0, 0]},
            {"name": "b", "translation": [0, 1, 0]},
        ],
        skins=[{"joints": [1, 2], "inverseBindMatrices": buf.add(ibm, "MAT4")}],
        animations=animations,
    )


def _rot_z(deg):
    h = math.radians(deg) / 2
    return [0.0, 0.0, math.sin(h), math.cos(h)]


def test_ancestors_baked_into_root_and_scale_into_offsets(tmp_path):
    buf = BufferBuilder()
    doc = _scene(buf, [], parent_scale=2.0)
    asset = read_gltf(_write(tmp_path, "baked.gltf", doc))
    sk = asset.skeleton
    assert sk.names == ("a", "b")  # the holder is baked, not a joint
    # holder: T (0,0,5), Ry 90 (x → -z), scale 2: a at (0,0,5) + 2·Ry(1,0,0) = (0,0,3); b one scaled unit above
    torch.testing.assert_close(sk.rest_positions, torch.tensor([[0.0, 0.0, 3.0], [0.0, 2.0, 3.0]]), atol=1e-6, rtol=0)
    torch.testing.assert_close(sk.offsets[1], torch.tensor([0.0, 2.0, 0.0]))
    assert asset.clips == ()


def test_interpolation_modes(tmp_path):
    buf = BufferBuilder()
    times = buf.add(np.array([[0.0], [1.0]], np.float32), "SCALAR", minmax=True)
    step = buf.add(np.array([[0, 0, 0], [3, 0, 0]], np.float32), "VEC3")
    lin_rot = buf.add(np.array([_rot_z(0), _rot_z(90)], np.float32), "VEC4")
    # CUBICSPLINE: (in-tangent, value, out-tangent) per key; tangents 0 → smoothstep between values
    cubic = buf.add(np.array([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 4, 0], [0, 0, 0]], np.float32), "VEC3")
    anim = {
        "name": "mix",
        "samplers": [
            {"input": times, "output": step, "interpolation": "STEP"},
            {"input": times, "output": lin_rot},
            {"input": times, "output": cubic, "interpolation": "CUBICSPLINE"},
        ],
        "channels": [
            {"sampler": 0, "target": {"node": 1, "path": "translation"}},
            {"sampler": 1, "target": {"node": 1, "path": "rotation"}},
            {"sampler": 2, "target": {"node": 2, "path": "translation"}},
        ],
    }
    asset = read_gltf(_write(tmp_path, "interp.gltf", _scene(buf, [anim])), fps=4.0)
    m = asset.clips[0].motion
    assert m.num_frames == 5
    # STEP: the previous key until t = 1
    # (the holder is baked into the root: a's world = (0, 0, 5) + Ry90 · (x, 0, 0) = (0, 0, 5 − x))
    root_pos = m.global_positions(asset.skeleton)[:, 0]
    want = torch.tensor([[0.0, 0.0, 5.0]] * 4 + [[0.0, 0.0, 2.0]])
    torch.testing.assert_close(root_pos, want, atol=1e-6, rtol=0)
    # LINEAR slerp: 45° about Z at t = 0.5 (local to the baked holder's frame)
    from anymole.geometry.rotations import quat_angle, quat_mul

    local = quat_mul(torch.tensor([0.0, -math.sqrt(0.5), 0.0, math.sqrt(0.5)]), m.rotations[2, 0])
    torch.testing.assert_close(quat_angle(local, torch.tensor(_rot_z(45))), torch.tensor(0.0), atol=1e-5, rtol=0)
    # CUBICSPLINE with zero tangents: 4 · (3u² − 2u³)
    want = [4 * (3 * u * u - 2 * u**3) for u in (0, 0.25, 0.5, 0.75, 1.0)]
    assert m.translations[:, 1, 1].tolist() == pytest.approx(want, abs=1e-5)


def _unnamed(buf, node, t_end):
    times = buf.add(np.array([[0.0], [t_end]], np.float32), "SCALAR", minmax=True)
    vals = buf.add(np.array([_rot_z(0), _rot_z(30)], np.float32), "VEC4")
    return {"samplers": [{"input": times, "output": vals}], "channels": [{"sampler": 0, "target": {"node": node, "path": "rotation"}}]}


def test_clip_merging_rule(tmp_path):
    buf = BufferBuilder()
    anims = [_unnamed(buf, 1, 2.0), _unnamed(buf, 2, 2.0), _unnamed(buf, 1, 1.0)]
    named = _unnamed(buf, 1, 2.0)
    named["name"] = "Idle"
    named2 = _unnamed(buf, 2, 2.0)
    named2["name"] = "Idle"
    other = _unnamed(buf, 2, 2.0)
    other["name"] = "Wave"
    doc = _scene(buf, anims + [named, named2, other])
    asset = read_gltf(_write(tmp_path, "merge.gltf", doc))
    # unnamed 0 and 1: same span, different targets → one clip; unnamed 2 (other span) alone;
    # the two "Idle" merge; "Wave" stays apart even though its span matches.
    assert [(c.name, c.motion.num_frames) for c in asset.clips] == [("animation_0", 61), ("animation_2", 31), ("Idle", 61), ("Wave", 61)]
    m = asset.clips[0].motion
    assert not torch.allclose(m.rotations[-1, 1], m.rotations[0, 1])  # both joints animated in the merged clip


def test_normalized_sparse_and_matrix_nodes(tmp_path):
    buf = BufferBuilder()
    pos = buf.add(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32), "VEC3", target=34962, minmax=True)
    joints = buf.add(np.array([[0, 1, 0, 0]] * 3, np.uint8), "VEC4", target=34962)
    weights = buf.add(np.array([[255, 0, 0, 0], [128, 127, 0, 0], [0, 255, 0, 0]], np.uint8), "VEC4", target=34962)
    idx = buf.add(np.array([[0], [1], [2]], np.uint16), "SCALAR", target=34963)
    # sparse: replace vertex 2 of an all-zero base by (0, 2, 0)
    sp_idx = buf.add(np.array([[2]], np.uint32), "SCALAR")
    sp_val = buf.add(np.array([[0, 2, 0]], np.float32), "VEC3")
    doc = _scene(buf, [])
    doc["accessors"].append(
        {
            "componentType": 5126,
            "count": 3,
            "type": "VEC3",
            "sparse": {"count": 1, "indices": {"bufferView": doc["accessors"][sp_idx]["bufferView"], "componentType": 5125}, "values": {"bufferView": doc["accessors"][sp_val]["bufferView"]}},
        }
    )
    sparse_acc = len(doc["accessors"]) - 1
    weights_acc = weights
    doc["meshes"] = [{"primitives": [{"attributes": {"POSITION": sparse_acc, "JOINTS_0": joints, "WEIGHTS_0": weights_acc}, "indices": idx}]}]
    doc["nodes"][0]["children"].append(3)
    doc["nodes"].append({"name": "skin", "mesh": 0, "skin": 0})
    # the holder as a column-major matrix instead of TRS: translation (0, 0, 5) only
    del doc["nodes"][0]["translation"], doc["nodes"][0]["rotation"], doc["nodes"][0]["scale"]
    doc["nodes"][0]["matrix"] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 5, 1]
    del pos
    asset = read_gltf(_write(tmp_path, "types.gltf", doc))
    mesh = asset.skeleton.mesh
    torch.testing.assert_close(mesh.joint_weights[1, :2], torch.tensor([128 / 255, 127 / 255]))
    torch.testing.assert_close(mesh.joint_weights.sum(1), torch.ones(3))
    # identity inverse bind matrices in a file whose joints sit elsewhere: vertices are re-based
    # to the bind pose in model space (X = G_rest @ IBM of the most-weighted joint)
    # (joint a carries the most weight, so X = G_rest(a), a translation by (1, 0, 5)); the sparse
    # accessor (no bufferView: zeros) put vertex 2 at (0, 2, 0)
    torch.testing.assert_close(mesh.vertices, torch.tensor([[1.0, 0, 5], [1, 0, 5], [1, 2, 5]]))
    torch.testing.assert_close(asset.skeleton.rest_positions[0], torch.tensor([1.0, 0.0, 5.0]))


# -- malformed files -----------------------------------------------------------------------------


def test_malformed_json(tmp_path):
    p = tmp_path / "broken.gltf"
    p.write_text('{"asset": {"version": "2.0"}, "nodes": [')
    with pytest.raises(FormatError, match=r"broken.gltf: .*invalid glTF JSON"):
        read_gltf(p)


def test_truncated_glb(tmp_path, skinned_skeleton, make_motion):
    out = tmp_path / "full.glb"
    write_gltf(out, skinned_skeleton, make_motion(skinned_skeleton))
    cut = tmp_path / "cut.glb"
    cut.write_bytes(out.read_bytes()[:500])
    with pytest.raises(FormatError, match=r"cut.glb: .*truncated GLB"):
        read_gltf(cut)


def test_garbage_glb(tmp_path):
    p = tmp_path / "garbage.glb"
    p.write_bytes(b"\x00\x01garbage" * 10)
    with pytest.raises(FormatError, match="garbage.glb: .*missing the 'glTF' magic"):
        read_gltf(p)


def test_missing_buffer_file(tmp_path, skeleton, make_motion):
    out = tmp_path / "lonely.gltf"
    write_gltf(out, skeleton, make_motion(skeleton))
    (tmp_path / "lonely.bin").unlink()
    with pytest.raises(FormatError, match=r"lonely.gltf: .*missing buffer file 'lonely.bin'"):
        read_gltf(out)


def test_accessor_past_buffer_view(tmp_path, skeleton, make_motion):
    out = tmp_path / "short.gltf"
    write_gltf(out, skeleton, make_motion(skeleton))
    doc = json.loads(out.read_text())
    doc["accessors"][0]["count"] = 1000
    out.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"short.gltf: .*accessor 0: 1000 elements run past the end"):
        read_gltf(out)


def test_bad_references(tmp_path, skeleton, make_motion):
    out = tmp_path / "refs.gltf"
    write_gltf(out, skeleton, make_motion(skeleton))
    doc = json.loads(out.read_text())
    doc["nodes"][0]["children"].append(99)
    out.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"refs.gltf: .*node 0 has a child 99 that does not exist"):
        read_gltf(out)
    doc["nodes"][0]["children"].pop()
    doc["animations"][0]["samplers"][0]["interpolation"] = "BEZIER"
    out.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"refs.gltf: .*unknown interpolation 'BEZIER'"):
        read_gltf(out)
    doc["animations"][0]["samplers"][0]["interpolation"] = "LINEAR"
    doc["asset"]["version"] = "1.0"
    out.write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=r"refs.gltf: unsupported glTF version '1.0'"):
        read_gltf(out)


def test_write_errors(tmp_path, skeleton, make_motion):
    with pytest.raises(FormatError, match=r"x.obj: unknown glTF extension"):
        write_gltf(tmp_path / "x.obj", skeleton, ())
    wrong = make_motion(skeleton)
    other = read_gltf_tiny(tmp_path, skeleton, make_motion)
    with pytest.raises(FormatError, match=r"y.glb: .*has 5 joints, the skeleton has 2"):
        write_gltf(tmp_path / "y.glb", other, wrong)


def read_gltf_tiny(tmp_path, skeleton, make_motion):
    buf = BufferBuilder()
    return read_gltf(_write(tmp_path, "two.gltf", _scene(buf, []))).skeleton


def test_glb_header_struct(tmp_path, skeleton):
    out = tmp_path / "h.glb"
    write_gltf(out, skeleton, ())
    data = out.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data)) and length % 4 == 0
