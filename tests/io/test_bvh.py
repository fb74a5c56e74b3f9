"""BVH reader and writer: hand-made files with known FK answers, conventions, round trips,
and malformed files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from anymole.errors import FormatError
from anymole.geometry.frames import convention_from_axes, positions_to_canonical
from anymole.io import load_asset, read_bvh, write_bvh

# root: 6 channels; spine: XYZ; arm: ZYX with an End Site; slider: a 6-channel NON-root joint
# with OFFSET 0 and interleaved channels (rotation order YXZ); End Site under it.
TINY = """HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT spine
  {
    OFFSET 0 1 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    JOINT arm
    {
      OFFSET 1 0 0
      CHANNELS 3 Zrotation Yrotation Xrotation
      End Site
      {
        OFFSET 0.5 0 0
      }
    }
  }
  JOINT slider
  {
    OFFSET 0 0 0
    CHANNELS 6 Yrotation Xposition Yposition Zposition Xrotation Zrotation
    End Site
    {
      OFFSET 0 0 1
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.0333333
1 2 3 0 0 0   0 0 0   0 0 0   0 0 0 2 0 0
0 0 0 0 0 90  0 0 90  0 0 0   0 1 0 0 0 0
0 0 0 0 0 0   0 0 0   0 0 0   0 0 1 0 90 0
"""


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.bvh"
    p.write_text(TINY)
    return p


def test_tiny_structure_and_fk(tiny):
    asset = read_bvh(tiny)
    sk, clip = asset.skeleton, asset.clips[0]
    assert asset.source == str(tiny)
    assert clip.name == "tiny"
    assert sk.names == ("root", "spine", "arm", "slider")
    assert sk.parents.tolist() == [-1, 0, 1, 0]
    assert torch.equal(sk.rest_rotations, torch.tensor([[0.0, 0, 0, 1]] * 4))
    m = clip.motion
    assert m.num_frames == 3 and m.fps == 30.0  # 0.0333333 snaps to 30
    pos = m.global_positions(sk)
    expected = torch.tensor(
        [
            [[1, 2, 3], [1, 3, 3], [2, 3, 3], [1, 2, 5]],  # slider translated by its channels
            [[0, 0, 0], [0, 1, 0], [0, 2, 0], [0, 0, -1]],  # root Ry 90, spine Rz 90
            [[0, 0, 0], [0, 1, 0], [1, 1, 0], [0, 1, 0]],
        ],
        dtype=torch.float32,
    )
    torch.testing.assert_close(pos, expected, atol=1e-5, rtol=0)


def test_end_sites_as_joints(tiny):
    asset = read_bvh(tiny, end_sites=True)
    sk = asset.skeleton
    assert sk.names == ("root", "spine", "arm", "arm_end", "slider", "slider_end")
    pos = asset.clips[0].motion.global_positions(sk)
    torch.testing.assert_close(pos[0, 3], torch.tensor([2.5, 3.0, 3.0]))
    torch.testing.assert_close(pos[0, 5], torch.tensor([1.0, 2.0, 6.0]))
    # frame 2: slider rotated 90 deg about X (its channel order is Y X Z): +Z end goes to -Y
    torch.testing.assert_close(pos[2, 5], torch.tensor([0.0, 0.0, 0.0]), atol=1e-5, rtol=0)


def test_units_and_axes_go_through_frames(tiny):
    raw = read_bvh(tiny)
    conv = convention_from_axes("+z", "-y", "right", 0.01)
    conv_asset = read_bvh(tiny, unit_m=0.01, up="+z", forward="-y")
    want = positions_to_canonical(raw.clips[0].motion.global_positions(raw.skeleton).double(), conv).float()
    got = conv_asset.clips[0].motion.global_positions(conv_asset.skeleton)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=0)
    torch.testing.assert_close(conv_asset.skeleton.offsets[1], torch.tensor([0.0, 0.0, -0.01]))  # file +Y = back


def test_relative_position_channels(tmp_path):
    text = TINY.replace("ROOT root\n{\n  OFFSET 0 0 0", "ROOT root\n{\n  OFFSET 0 10 0")
    p = tmp_path / "rel.bvh"
    p.write_text(text)
    absolute = read_bvh(p).clips[0].motion.global_positions(read_bvh(p).skeleton)
    rel_asset = read_bvh(p, position_channels="relative")
    relative = rel_asset.clips[0].motion.global_positions(rel_asset.skeleton)
    torch.testing.assert_close(relative[:, 0], absolute[:, 0] + torch.tensor([0.0, 10.0, 0.0]))
    assert read_bvh(p).skeleton.offsets[0].tolist() == [0.0, 10.0, 0.0]


@pytest.mark.parametrize("order", ["ZYX", "XYZ", "YZX", "ZXY"])
def test_round_trip_positions(tmp_path, skeleton, make_motion, order):
    motion = make_motion(skeleton, frames=25, fps=24.0, translating=(0, 2))
    out = tmp_path / "rt.bvh"
    write_bvh(out, skeleton, motion, rotation_order=order)
    back = read_bvh(out)
    assert back.skeleton.names == skeleton.names
    assert back.clips[0].motion.fps == 24.0
    err = (back.clips[0].motion.global_positions(back.skeleton) - motion.global_positions(skeleton)).abs().max()
    assert err <= 1e-5 * skeleton.size
    text = out.read_text()
    assert f"JOINT arm\n\t\t{{\n\t\t\tOFFSET 0.3 0.2 0\n\t\t\tCHANNELS 6" in text  # translating non-root
    assert "JOINT tail\n\t{\n\t\tOFFSET 0 0 -0.6\n\t\tCHANNELS 3" in text
    assert text.count("End Site") == 2  # leaves: hand, tail


def test_round_trip_units_and_end_sites(tmp_path, tiny):
    asset = read_bvh(tiny, end_sites=True, unit_m=0.01, up="+z", forward="-y")
    out = tmp_path / "back.bvh"
    write_bvh(out, asset.skeleton, asset.clips[0].motion, unit_m=0.01, up="+z", forward="-y", rotation_order="YXZ")
    assert "OFFSET 0.5 0 0" in out.read_text()  # arm_end written back as arm's End Site, file units
    back = read_bvh(out, end_sites=True, unit_m=0.01, up="+z", forward="-y")
    assert back.skeleton.names == asset.skeleton.names
    a = asset.clips[0].motion.global_positions(asset.skeleton)
    b = back.clips[0].motion.global_positions(back.skeleton)
    assert (a - b).abs().max() <= 1e-5 * asset.skeleton.size


def test_load_asset_dispatch(tiny, tmp_path):
    upper = tmp_path / "TINY.BVH"
    upper.write_text(TINY)
    assert load_asset(upper).skeleton.num_joints == 4
    assert load_asset(tiny, end_sites=True).skeleton.num_joints == 6
    with pytest.raises(FormatError, match=r"unknown file type '\.obj'"):
        load_asset(tmp_path / "x.obj")


def test_write_rejects_mismatched_motion(tmp_path, skeleton, make_motion):
    motion = make_motion(skeleton)
    small = read_bvh_tiny_skeleton(tmp_path)
    with pytest.raises(FormatError, match="out.bvh.*joints"):
        write_bvh(tmp_path / "out.bvh", small, motion)


def read_bvh_tiny_skeleton(tmp_path):
    p = tmp_path / "t.bvh"
    p.write_text(TINY)
    return read_bvh(p).skeleton


MALFORMED = [
    ("no_motion", lambda t: t[: t.index("MOTION")], "no MOTION section"),
    ("bad_number", lambda t: t.replace("0 0 90  0 0 90", "0 0 9x0  0 0 90"), "bad number '9x0'.*frame 1"),
    ("too_few_values", lambda t: t.rstrip()[:-2], "MOTION data has 53 values.*expected 3 frames × 18 channels = 54"),
    ("unknown_channel", lambda t: t.replace("Xrotation Yrotation Zrotation", "Xrotation Yrotation Wrotation"), "unknown channel 'Wrotation'"),
    ("channel_count", lambda t: t.replace("CHANNELS 3 Xrotation", "CHANNELS three Xrotation"), "bad channel count 'three'"),
    ("repeated_axis", lambda t: t.replace("Zrotation Yrotation Xrotation", "Zrotation Zrotation Xrotation"), "joint 'arm' needs 0 or 3 distinct rotation"),
    ("unclosed", lambda t: t.replace("  }\n}\nMOTION", "  }\nMOTION"), "missing '}'"),
    ("not_bvh", lambda t: "hello world\n", "does not start with HIERARCHY"),
    ("zero_frame_time", lambda t: t.replace("Frame Time: 0.0333333", "Frame Time: 0"), "frame time must be a positive"),
    ("bad_offset", lambda t: t.replace("OFFSET 1 0 0", "OFFSET 1 nan 0"), "non-finite number 'nan' in OFFSET"),
    ("joint_outside_root", lambda t: t.replace("HIERARCHY\nROOT root", "HIERARCHY\nJOINT root"), "JOINT outside any ROOT"),
]


@pytest.mark.parametrize("name, mutate, problem", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_bvh(tmp_path, name, mutate, problem):
    p = tmp_path / f"{name}.bvh"
    p.write_text(mutate(TINY))
    with pytest.raises(FormatError, match=problem) as info:
        read_bvh(p)
    assert str(p) in str(info.value)
    assert info.value.path == str(p)


def test_garbage_bytes_and_missing_file(tmp_path):
    p = tmp_path / "garbage.bvh"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FormatError, match="garbage.bvh: not a BVH file"):
        read_bvh(p)
    with pytest.raises(FormatError, match="missing.bvh: cannot read file"):
        read_bvh(tmp_path / "missing.bvh")


def test_large_motion_block_is_fast(tmp_path, skeleton, make_motion):
    import time

    motion = make_motion(skeleton, frames=3000, fps=120.0)
    out = tmp_path / "big.bvh"
    write_bvh(out, skeleton, motion)
    t = time.perf_counter()
    back = read_bvh(out)
    assert back.clips[0].motion.num_frames == 3000
    assert time.perf_counter() - t < 5.0  # generous: a guard against per-frame Python parsing
    assert math.isclose(back.clips[0].motion.fps, 120.0)


def test_per_joint_rotation_orders_and_unwrapped_angles(tmp_path):
    """Each joint keeps the order asked for (e.g. the source file's), and a joint turning
    steadily past ±180° reads on without a 360° jump."""
    import numpy as np

    from anymole.geometry.rotations import axis_angle_quat, quat_angle
    from anymole.io.bvh import bvh_rotation_orders, unwrap_euler
    from anymole.testing import make_character

    sk, m = make_character("snake", num_frames=40)
    rot = m.rotations.clone()
    spin = torch.linspace(0, 3 * math.pi, 40)  # 540° about Y over the clip
    rot[:, 0] = axis_angle_quat("Y", spin)
    m = m.with_frames(rot, m.translations)
    orders = ["ZXY" if j % 2 else "YXZ" for j in range(sk.num_joints)]
    path = tmp_path / "spin.bvh"
    write_bvh(path, sk, m, rotation_orders=orders)
    got = bvh_rotation_orders(path)
    assert [got[n] for n in sk.names] == orders
    back = read_bvh(path).clips[0].motion
    assert float(quat_angle(back.rotations, m.rotations).max()) < 1e-4
    # The root's Y channel: continuous, reaching 540°.
    text = path.read_text().split("Frame Time:")[1].splitlines()[1:]
    values = np.array([[float(x) for x in line.split()] for line in text if line.strip()])
    y = values[:, 3 + orders[0].index("Y")]
    assert np.abs(np.diff(values[:, 3:6], axis=0)).max() < 30.0
    assert y[-1] == pytest.approx(540.0, abs=1e-3)
    # A mapping by name works too.
    write_bvh(tmp_path / "by_name.bvh", sk, m, rotation_orders=dict(zip(sk.names, orders)))
    assert bvh_rotation_orders(tmp_path / "by_name.bvh") == got
    # unwrap_euler: the two equivalent triples and whole turns.
    # Frame 2 is frame 1's rotation written as the other triple (a + 180, 180 - b, c + 180).
    e = np.array([[170.0, 10.0, 0.0], [-175.0, 12.0, 0.0], [5.0, 168.0, 180.0]])
    u = unwrap_euler(e)
    assert u[1].tolist() == pytest.approx([185.0, 12.0, 0.0])
    assert u[2].tolist() == pytest.approx([185.0, 12.0, 0.0])


def test_corpus_bvh_keeps_its_orders_and_has_no_jumps(tmp_path):
    import numpy as np

    from anymole.io.bvh import bvh_rotation_orders

    src = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "humanoid" / "cmu_01_01_mb.bvh"
    if not src.is_file():
        pytest.skip("corpus absent")
    a = read_bvh(src)
    m = a.clips[0].motion.slice(0, 91)
    out = tmp_path / "o.bvh"
    write_bvh(out, a.skeleton, m, rotation_orders=bvh_rotation_orders(src))
    assert bvh_rotation_orders(out) == bvh_rotation_orders(src)
    lines = out.read_text().split("Frame Time:")[1].splitlines()[1:]
    values = np.array([[float(x) for x in line.split()] for line in lines if line.strip()])
    assert np.abs(np.diff(values, axis=0)).max() < 180.0
