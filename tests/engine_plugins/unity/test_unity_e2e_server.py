"""End to end: the C# Core (under mono, through the Tests~/CoreCli front end) builds a request
from a sampled Unity clip, Python parses its JSON strictly into the generated message and runs
it on a real loopback server (spline), and the C# Core splices the result JSON back into the
clip. Checks: the request equals the Python client's, the authored keys outside the gap and the
keyframes are exact, every generated frame is the result's, and the rotation curves are
continuous (no hemisphere flips)."""

from __future__ import annotations

import json
import math

import pytest

import unity_build


def _quat(axis, angle):
    n = math.sqrt(sum(a * a for a in axis))
    s = math.sin(angle / 2) / n
    return [axis[0] * s, axis[1] * s, axis[2] * s, math.cos(angle / 2)]


def _mul(a, b):
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return [
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ]


def sampled_clip(frames: int = 50) -> dict:
    """A little quadruped as Unity samples it (left-handed, metres): joints listed children
    before parents (the builder sorts), a scaled spine, the root walking +Z, the pelvis sliding,
    and one leg whose sampled quaternions sit on the other hemisphere half the time (as FBX
    imports often do)."""
    names = ["LegFL", "Spine", "Root", "Pelvis", "LegBL", "Head", "Tail"]
    parent_names = {"LegFL": "Spine", "Spine": "Pelvis", "Root": None, "Pelvis": "Root", "LegBL": "Pelvis", "Head": "Spine", "Tail": "Pelvis"}
    rest = {"LegFL": [0.1, -0.05, 0.0], "Spine": [0.0, 0.05, 0.3], "Root": [0.0, 0.0, 0.0], "Pelvis": [0.0, 0.5, 0.0], "LegBL": [0.1, -0.05, 0.0], "Head": [0.0, 0.1, 0.25], "Tail": [0.0, 0.0, -0.2]}
    index = {n: i for i, n in enumerate(names)}
    joints = []
    for n in names:
        joints.append(
            {
                "name": n,
                "parent": -1 if parent_names[n] is None else index[parent_names[n]],
                "restPosition": rest[n],
                "restRotation": _quat([0, 1, 0], 0.1 * index[n]),
                "restScale": [1.2, 1.2, 1.2] if n == "Spine" else [1.0, 1.0, 1.0],
            }
        )
    out = []
    for f in range(frames):
        t = f / 30.0
        positions, rotations = [], []
        for n in names:
            i = index[n]
            p = list(rest[n])
            if n == "Root":
                p = [0.0, 0.0, 0.9 * t]
            if n == "Pelvis":
                p = [0.02 * math.sin(5 * t), 0.5 + 0.03 * math.sin(9 * t), 0.0]
            q = _mul(joints[i]["restRotation"], _mul(_quat([1, 0, 0], 0.5 * math.sin(4 * t + i)), _quat([0, 0, 1], 0.2 * math.cos(3 * t + i))))
            if n == "LegFL" and f % 2 == 1:
                q = [-c for c in q]
            positions.append(p)
            rotations.append(q)
        out.append({"positions": positions, "rotations": rotations})
    return {"fps": 30.0, "convention": "unity", "joints": joints, "frames": out}


SELECTION = {"contextFirst": 5, "contextLast": 24, "keyframes": [34, 44]}
OPTIONS = {"method": "spline", "seed": 0, "preview": {"width": 32, "height": 32, "maxFrames": 1, "format": "IMAGE_FORMAT_PNG"}}


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def _f32(x):
    import struct

    return struct.unpack("f", struct.pack("f", x))[0]


@pytest.fixture
def server(tmp_path):
    from anymole_server.testing import ServerThread, make_config

    with ServerThread(make_config(tmp_path)) as srv:
        yield srv


def test_csharp_core_against_a_real_server(toolchain, built, server, tmp_path):
    from google.protobuf import json_format

    from anymole_client.clip import build_transition_input, clip_from_json, selection_from_json
    from anymole_client.v1 import job_pb2

    clip = sampled_clip()
    case = {"clip": clip, "selection": SELECTION, "options": OPTIONS}
    case_path = tmp_path / "case.json"
    case_path.write_text(json.dumps(case))

    # 1. C# builds the request.
    request_path = tmp_path / "request.json"
    res = unity_build.run_cli(toolchain, built, "build-request", str(case_path), str(request_path))
    assert res.returncode == 0, res.stderr

    # 2. Python parses it strictly (a misspelt or unknown field is a ParseError).
    request = json_format.Parse(request_path.read_text(), job_pb2.TransitionInput(), ignore_unknown_fields=False)
    assert list(request.skeleton.joint_names) == ["Root", "Pelvis", "Spine", "LegFL", "Head", "LegBL", "Tail"]
    assert list(request.skeleton.rest_scales.shape) == [7, 3]
    assert list(request.context.translated_joints) == [0, 1]
    assert request.convention.unit_m == 1.0
    python_request, layout = build_transition_input(clip_from_json(clip), selection_from_json(SELECTION), OPTIONS)
    assert request == python_request, "the C# and Python clients build different requests"

    # 3. The real server solves it.
    with server.client() as client:
        result = client.run(request)
    assert result.method == "spline"
    result_path = tmp_path / "result.json"
    result_path.write_text(json_format.MessageToJson(result))

    # 4. C# splices the result JSON into the clip.
    spliced_path = tmp_path / "spliced.json"
    res = unity_build.run_cli(toolchain, built, "splice", str(case_path), str(result_path), str(spliced_path))
    assert res.returncode == 0, res.stderr
    spliced = json.loads(spliced_path.read_text())

    a, b = SELECTION["contextLast"], SELECTION["keyframes"][-1]
    keyframes = set(SELECTION["keyframes"])
    names = [j["name"] for j in clip["joints"]]
    assert set(spliced) == set(names)
    order = list(request.skeleton.joint_names)
    J = len(order)
    first = a - SELECTION["contextFirst"]
    assert result.first_frame == first
    rot = result.motion.rotations.data
    translated = list(result.motion.translated_joints)
    tr = result.motion.translations.data
    for cj, name in enumerate(names):
        rj = order.index(name)
        keys = spliced[name]["rotation"]
        assert [k["frame"] for k in keys] == list(range(len(clip["frames"]))), "one key per frame, in order"
        for k in keys:
            f = int(k["frame"])
            authored = [_f32(x) for x in clip["frames"][f]["rotations"][cj]]
            value = [_f32(x) for x in k["value"]]
            if f < a:
                assert value == pytest.approx(authored, abs=0), f"{name} frame {f}: keys before the gap are never changed"
            elif f == a or f in keyframes or f > b:
                # authored keys kept: the same rotation, possibly negated for continuity
                assert value == pytest.approx(authored, abs=0) or value == pytest.approx([-x for x in authored], abs=0), (name, f)
            else:
                i = f - a
                expected = [_f32(x) for x in rot[(i * J + rj) * 4 : (i * J + rj) * 4 + 4]]
                assert value == pytest.approx(expected, abs=0) or value == pytest.approx([-x for x in expected], abs=0), (name, f)
        # continuity from a on
        for prev, cur in zip(keys[a:], keys[a + 1 :]):
            assert _dot(prev["value"], cur["value"]) >= 0, f"{name}: hemisphere flip at frame {cur['frame']}"
        if rj in translated:
            m = translated.index(rj)
            tkeys = spliced[name]["translation"]
            for k in tkeys:
                f = int(k["frame"])
                value = [_f32(x) for x in k["value"]]
                if f <= a or f in keyframes or f >= b:
                    assert value == pytest.approx([_f32(x) for x in clip["frames"][f]["positions"][cj]], abs=0), (name, f)
                else:
                    i = f - a
                    M = len(translated)
                    assert value == pytest.approx(list(tr[(i * M + m) * 3 : (i * M + m) * 3 + 3]), abs=0), (name, f)
        else:
            assert "translation" not in spliced[name]

    # 5. The known frames came back bit-identical (the contract), so the keyframes are exact.
    for f in [a, *sorted(keyframes)]:
        i = f - a
        for name in names:
            rj, cj = order.index(name), names.index(name)
            sent = [_f32(x) for x in clip["frames"][f]["rotations"][cj]]
            assert list(rot[(i * J + rj) * 4 : (i * J + rj) * 4 + 4]) == sent, (name, f)
