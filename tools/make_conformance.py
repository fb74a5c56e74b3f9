#!/usr/bin/env python3
"""Write the conformance kit (``engine_plugins/conformance/``) from a real loopback server
running ``spline``. See that folder's README for the format and the rules.

- ``requests/*.json``: engine clips in the Unity and Unreal conventions (made here from
  procedural characters), the request the Python client builds from each, the server's result,
  and the clip's tracks after splicing the result in;
- ``transcript.json``: a real event stream with a disconnect and a reattach in the middle (and
  one repeated event after the reattach, marked, to test that followers drop repeats);
- ``version_rule.json`` and ``splice.json``: the version rule and splice cases, from the
  client's own functions.

Deterministic apart from the last bits of the server's floating point (the staleness test
compares numbers as float32 with a small tolerance). ``--check`` writes nothing and exits 1
when the committed files differ.

Usage: python tools/make_conformance.py [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "server", ROOT / "client"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

OUT = ROOT / "engine_plugins" / "conformance"
TOLERANCE = {"float32Rel": 1e-5, "float32Abs": 1e-6, "spliceAbs": 1e-6}
PREVIEW = {"width": 16, "height": 16, "maxFrames": 1, "format": "IMAGE_FORMAT_PNG"}


# -- clips ------------------------------------------------------------------------------------


def _r(values, nd: int = 6) -> list[float]:
    """Rounded to ``nd`` decimals then to float32, so the JSON is short and exact in float32."""
    import numpy as np

    return [float(np.float32(round(float(v), nd))) for v in values]


def unity_quadruped():
    """The procedural quadruped in Unity's convention (left-handed, +Y up, +Z forward, metres)."""
    from anymole.geometry import frames
    from anymole.testing.procedural import make_character
    from anymole_client.clip import EngineClip, Frame, Joint

    sk, motion = make_character("quadruped", num_frames=40)
    conv = frames.UNITY
    offs = frames.positions_from_canonical(sk.offsets, conv)
    rest = frames.quaternions_from_canonical(sk.rest_rotations, conv)
    pos = frames.positions_from_canonical(motion.translations, conv)
    rot = frames.quaternions_from_canonical(motion.rotations, conv)
    joints = [Joint(n, int(p), tuple(_r(offs[j])), tuple(_r(rest[j])), (1.0, 1.0, 1.0)) for j, (n, p) in enumerate(zip(sk.names, sk.parents.tolist()))]
    fr = [Frame([tuple(_r(pos[t, j])) for j in range(sk.num_joints)], [tuple(_r(rot[t, j])) for j in range(sk.num_joints)]) for t in range(motion.num_frames)]
    return EngineClip(30.0, "unity", joints, fr)


def unreal_mannequin():
    """A Mannequin-like rig as Unreal holds it (left-handed, +Z up, +X forward, centimetres):
    ``root`` stays at the origin, ``pelvis`` moves (an in-place clip with hip bob and sway)."""
    from anymole_client.clip import EngineClip, Frame, Joint

    spec = [  # name, parent, rest position (cm)
        ("root", -1, (0, 0, 0)), ("pelvis", 0, (0, 0, 96)), ("spine_01", 1, (0, 0, 12)), ("spine_02", 2, (0, 0, 14)),
        ("neck_01", 3, (0, 0, 30)), ("head", 4, (0, 0, 10)),
        ("thigh_l", 1, (0, 9, -4)), ("calf_l", 6, (0, 0, -44)), ("foot_l", 7, (0, 0, -42)),
        ("thigh_r", 1, (0, -9, -4)), ("calf_r", 9, (0, 0, -44)), ("foot_r", 10, (0, 0, -42)),
        ("upperarm_l", 3, (0, 18, 24)), ("lowerarm_l", 12, (0, 28, 0)), ("upperarm_r", 3, (0, -18, 24)), ("lowerarm_r", 14, (0, -28, 0)),
    ]
    joints = [Joint(n, p, tuple(float(c) for c in pos), (0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0)) for n, p, pos in spec]
    frames = []
    for t in range(60):
        s = t / 30.0
        positions, rotations = [], []
        for j, (name, parent, rest) in enumerate(spec):
            p = list(rest)
            if name == "pelvis":
                p = [4.0 * math.sin(2 * math.pi * 0.5 * s), 2.0 * math.sin(2 * math.pi * 1.0 * s), 96.0 + 3.0 * math.sin(2 * math.pi * 2.0 * s)]
            angle = 0.35 * math.sin(2 * math.pi * 1.0 * s + 0.7 * j) * (1.0 if "thigh" in name or "calf" in name or "arm" in name else 0.3)
            axis = (0.0, 1.0, 0.0) if "thigh" in name or "calf" in name else (1.0, 0.0, 0.0) if "arm" in name else (0.0, 0.0, 1.0)
            h = angle / 2
            q = [axis[0] * math.sin(h), axis[1] * math.sin(h), axis[2] * math.sin(h), math.cos(h)]
            if name == "root":
                q = [0.0, 0.0, 0.0, 1.0]
            positions.append(tuple(_r(p, 4)))
            rotations.append(tuple(_r(q)))
        frames.append(Frame(positions, rotations))
    return EngineClip(30.0, "unreal", joints, frames)


def unity_unsorted_scaled():
    """Joints listed children-first (the builder re-orders them) with a non-unit parent scale,
    as FBX imports into Unity often carry."""
    from anymole_client.clip import EngineClip, Frame, Joint

    # clip order: tip, mid, root, side (parents point forward in the list)
    joints = [
        Joint("tip", 1, (0.0, 0.25, 0.0)),
        Joint("mid", 2, (0.0, 0.5, 0.0), (0.0, 0.0, 0.0, 1.0), (2.0, 2.0, 2.0)),
        Joint("root", -1, (0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0)),
        Joint("side", 2, (0.3, 0.0, 0.0)),
    ]
    frames = []
    for t in range(30):
        s = t / 30.0
        a = 0.6 * math.sin(2 * math.pi * 0.8 * s)
        qz = (0.0, 0.0, math.sin(a / 2), math.cos(a / 2))
        qx = (math.sin(a / 3), 0.0, 0.0, math.cos(a / 3))
        positions = [(0.0, 0.25, 0.0), (0.0, 0.5, 0.0), (0.0, 1.0, 0.5 * s), (0.3, 0.0, 0.0)]
        frames.append(Frame([tuple(_r(p)) for p in positions], [tuple(_r(q)) for q in (qz, qx, (0.0, 0.0, 0.0, 1.0), qz)]))
    return EngineClip(30.0, "unity", joints, frames)


CASES = [
    ("unity_quadruped", unity_quadruped, {"contextFirst": 0, "contextLast": 19, "keyframes": [32]}),
    ("unreal_mannequin", unreal_mannequin, {"contextFirst": 5, "contextLast": 24, "keyframes": [36, 47]}),
    ("unity_unsorted_scaled", unity_unsorted_scaled, {"contextFirst": 0, "contextLast": 11, "keyframes": [23]}),
]


# -- splicing a clip ----------------------------------------------------------------------------


def authored_keys(clip, joint: int, kind: str):
    """The clip's keys of one joint: every sampled frame (what a baked mocap clip holds)."""
    from anymole_client.splice import Key

    if kind == "rotation":
        return [Key(f, tuple(fr.rotations[joint])) for f, fr in enumerate(clip.frames)]
    return [Key(f, tuple(fr.positions[joint])) for f, fr in enumerate(clip.frames)]


def splice_clip(clip, selection, layout, result):
    """Per clip joint (by name): spliced rotation keys, and translation keys where the request
    has a translation track."""
    from anymole_client.clip import read_result
    from anymole_client.splice import splice_track

    tracks = read_result(result, layout)
    out = {}
    for j, joint in enumerate(clip.joints):
        entry = {}
        rot = splice_track(authored_keys(clip, j, "rotation"), tracks.frames[0], tracks.rotations[j], selection.context_last, selection.keyframes, True)
        entry["rotation"] = [{"frame": k.frame, "value": list(k.value)} for k in rot]
        if j in tracks.translations:
            tr = splice_track(authored_keys(clip, j, "translation"), tracks.frames[0], tracks.translations[j], selection.context_last, selection.keyframes, False)
            entry["translation"] = [{"frame": k.frame, "value": list(k.value)} for k in tr]
        out[joint.name] = entry
    return out


def _strip_result(d: dict) -> dict:
    d = dict(d)
    d.pop("timingsS", None)  # wall times: not part of the contract's values
    return d


def request_vectors(client) -> dict[str, dict]:
    from google.protobuf import json_format

    from anymole_client.clip import build_transition_input, clip_to_json, selection_from_json

    out = {}
    for name, make, sel in CASES:
        clip = make()
        selection = selection_from_json(sel)
        options = {"method": "spline", "seed": 0, "preview": dict(PREVIEW)}
        request, layout = build_transition_input(clip, selection, options)
        result = client.run(request)
        out[name] = {
            "name": name,
            "clip": clip_to_json(clip),
            "selection": sel,
            "options": options,
            "request": json_format.MessageToDict(request),
            "result": _strip_result(json_format.MessageToDict(result)),
            "spliced": splice_clip(clip, selection, layout, result),
        }
    return out


# -- transcript ---------------------------------------------------------------------------------


def _event_json(event) -> dict:
    from google.protobuf import json_format

    d = json_format.MessageToDict(event)
    d.pop("time", None)
    d["jobId"] = "job-1"
    if "preview" in d:
        d["preview"].pop("image", None)  # image bytes are not part of what followers decide on
    if "result" in d:
        d["result"] = _strip_result(d["result"])
    return d


def transcript(client) -> dict:
    """Watch a real job, drop the stream after three events, reattach from the last seq; one
    event is repeated after the reattach (as a flaky proxy might) to test deduplication."""
    from google.protobuf import json_format

    from anymole_client.clip import build_transition_input, selection_from_json
    from anymole_client.follower import JobFollower
    from anymole_client.v1 import job_pb2

    clip = unreal_mannequin()
    request, _ = build_transition_input(clip, selection_from_json({"contextFirst": 0, "contextLast": 19, "keyframes": [30]}), {"method": "spline", "preview": dict(PREVIEW, maxFrames=2)})
    job_id = client.submit(request).job_id
    head = []
    call = client.watch(job_id)
    for event in call:
        head.append(event)
        if len(head) == 3:
            break
    call.cancel()
    tail = list(client.watch(job_id, after_event=head[-1].seq))
    script = [{"event": _event_json(e)} for e in head] + [{"disconnect": {}}]
    script += [{"event": _event_json(tail[0])}, {"event": _event_json(tail[0]), "repeated": True}] + [{"event": _event_json(e)} for e in tail[1:]]
    script += [{"disconnect": {}}]  # after the terminal event: nothing to do
    follower = JobFollower()
    expected = []
    for step in script:
        if "disconnect" in step:
            expected += [u.to_dict() for u in follower.disconnected()]
        else:
            event = json_format.ParseDict(step["event"], job_pb2.JobEvent())
            expected += [u.to_dict() for u in follower.feed(event)]
    return {"jobId": "job-1", "script": script, "expected": expected}


# -- version rule and splice cases --------------------------------------------------------------


VERSION_PAIRS = [
    ("1.1.0", "1.1.0"), ("1.1.7", "1.1.0"), ("v1.1.0", "1.1.0"), ("1.1.0-rc.1", "1.1.0"), ("1.1", "1.1.0"),
    ("1.0.0", "1.1.0"), ("1.4.2", "1.1.0"), ("2.0.0", "1.1.0"), ("0.9.0", "1.1.0"), ("", "1.1.0"),
    ("one", "1.1.0"), ("1", "1.1.0"), ("v1.x", "1.1.0"),
]


def version_rule() -> dict:
    from anymole_client.version import compatibility

    return {"cases": [{"server": s, "client": c, "outcome": compatibility(s, c)[0]} for s, c in VERSION_PAIRS]}


def _q(angle: float, axis=(0.0, 1.0, 0.0), sign: float = 1.0) -> list[float]:
    h = angle / 2
    return _r([sign * axis[0] * math.sin(h), sign * axis[1] * math.sin(h), sign * axis[2] * math.sin(h), sign * math.cos(h)])


def splice_cases() -> dict:
    from anymole_client.splice import Key, splice_track

    cases = []

    def add(name, note, authored, first, values, a, keys, kind):
        out = splice_track([Key(f, tuple(v)) for f, v in authored], first, [tuple(v) for v in values], a, keys, kind == "rotation")
        cases.append({
            "name": name, "note": note, "kind": kind, "contextLast": a, "keyframes": keys,
            "authored": [{"frame": f, "value": list(v)} for f, v in authored],
            "resultFirstFrame": first, "result": [list(v) for v in values],
            "expected": [{"frame": k.frame, "value": list(k.value)} for k in out],
        })

    res = [_q(0.1 * i) for i in range(11)]  # frames 10..20
    add("dense", "every frame authored; the gap 11..19 replaced", [(f, _q(0.1 * (f - 10) + 0.05)) for f in range(0, 26)], 10, res, 10, [20], "rotation")
    add("sparse_inside", "authored keys at 12 and 17 inside the gap are removed; a key at 14 from another take too",
        [(0, _q(0.0)), (10, res[0]), (12, _q(1.0)), (14, _q(2.0)), (17, _q(-1.0)), (20, res[10]), (30, _q(0.5))], 10, res, 10, [20], "rotation")
    add("no_boundary_keys", "no authored key at the last context frame or the keyframe: both inserted from the result",
        [(0, _q(0.0)), (25, _q(0.3))], 10, res, 10, [20], "rotation")
    flipped_after = [(f, _q(0.05 * f, sign=-1.0)) for f in range(20, 26)]
    add("other_hemisphere_after", "authored keys from the keyframe on sit on the other hemisphere: they are negated (same rotation)",
        [(f, _q(0.05 * f)) for f in range(0, 11)] + flipped_after, 10, [_q(0.05 * (10 + i)) for i in range(11)], 10, [20], "rotation")
    add("other_hemisphere_result", "the result comes on the other hemisphere from the last context key: generated keys are negated; the authored key at 10 is not",
        [(f, _q(0.05 * f)) for f in range(0, 11)] + [(20, _q(1.0))], 10, [_q(0.05 * (10 + i), sign=-1.0) for i in range(11)], 10, [20], "rotation")
    add("two_keyframes", "keyframes at 15 and 20: the authored key at 15 is kept, 11..14 and 16..19 generated",
        [(f, _q(0.02 * f)) for f in range(0, 26)], 10, res, 10, [15, 20], "rotation")
    add("translation", "a translation track: the same keys, no hemisphere rule",
        [(f, _r([0.0, 1.0, 0.1 * f])) for f in range(0, 26)], 10, [_r([0.0, -1.0, 0.2 * (10 + i)]) for i in range(11)], 10, [20], "translation")
    add("result_wider", "the result covers more frames than a..b: only a..b is used", [(f, _q(0.0)) for f in (0, 10, 20)], 8, [_q(0.1 * i) for i in range(15)], 10, [20], "rotation")
    return {"cases": cases}


# -- writing --------------------------------------------------------------------------------------


def build(tmp: Path) -> dict[str, object]:
    """Every file of the kit (relative path → JSON value), from a server started here."""
    from anymole_client import PROTOCOL_VERSION
    from anymole_server.background import BackgroundServer
    from anymole_server.config import Limits, ServerConfig

    config = ServerConfig(host="127.0.0.1", port=0, db_path=tmp / "jobs.sqlite3", limits=Limits(workers=1))
    with BackgroundServer(config) as server, server.client() as client:
        requests = request_vectors(client)
        trans = transcript(client)
    files: dict[str, object] = {f"requests/{name}.json": v for name, v in requests.items()}
    files["transcript.json"] = trans
    files["version_rule.json"] = version_rule()
    files["splice.json"] = splice_cases()
    files["manifest.json"] = {
        "protocolVersion": PROTOCOL_VERSION,
        "generator": "tools/make_conformance.py",
        "server": "anymole serve (spline), loopback",
        "tolerance": TOLERANCE,
        "files": sorted(files),
    }
    return files


def dumps(value) -> str:
    return json.dumps(value, indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("anymole_server").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="anymole-conformance-") as tmp:
        files = build(Path(tmp))
    if args.check:
        sys.path.insert(0, str(ROOT / "tests" / "conformance"))
        from compare import compare_json

        problems = []
        for rel, value in files.items():
            path = args.out / rel
            if not path.exists():
                problems.append(f"{rel}: missing")
                continue
            problems += [f"{rel}: {p}" for p in compare_json(json.loads(path.read_text()), value, TOLERANCE)[:5]]
        print("\n".join(problems) if problems else "make_conformance: up to date")
        return 1 if problems else 0
    for rel, value in files.items():
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(value))
    print(f"make_conformance: wrote {len(files)} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
