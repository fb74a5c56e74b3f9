"""The conformance kit (engine_plugins/conformance): the vectors are fresh (regenerated from a
real loopback server and compared), and the Python client agrees with every one of them."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest
from compare import compare_json
from google.protobuf import json_format

from anymole_client.clip import build_transition_input, clip_from_json, read_result, selection_from_json
from anymole_client.follower import JobFollower
from anymole_client.splice import Key, splice_track
from anymole_client.v1 import job_pb2
from anymole_client.version import compatibility

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "engine_plugins" / "conformance"
MANIFEST = json.loads((KIT / "manifest.json").read_text())
TOL = MANIFEST["tolerance"]
REQUESTS = sorted(f for f in MANIFEST["files"] if f.startswith("requests/"))


def _load(rel: str):
    return json.loads((KIT / rel).read_text())


def test_vectors_are_fresh():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_conformance
    finally:
        sys.path.pop(0)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = make_conformance.build(Path(tmp))
    assert sorted(fresh) == sorted(MANIFEST["files"] + ["manifest.json"])
    for rel, value in fresh.items():
        diffs = compare_json(_load(rel), value, TOL)
        assert not diffs, f"{rel} is stale (run .venv/bin/python tools/make_conformance.py): {diffs[:5]}"


def test_manifest_names_the_protocol():
    from anymole_client import PROTOCOL_VERSION

    assert MANIFEST["protocolVersion"] == PROTOCOL_VERSION
    assert len(REQUESTS) >= 3 and {"unity", "unreal"} <= {_load(r)["clip"]["convention"] for r in REQUESTS}


@pytest.mark.parametrize("rel", REQUESTS)
def test_python_builds_the_same_request(rel):
    v = _load(rel)
    request, _ = build_transition_input(clip_from_json(v["clip"]), selection_from_json(v["selection"]), v["options"])
    assert compare_json(json_format.MessageToDict(request), v["request"]) == []  # exact in float32
    json_format.ParseDict(v["request"], job_pb2.TransitionInput())  # strict: no unknown fields


@pytest.mark.parametrize("rel", REQUESTS)
def test_python_splices_the_same_tracks(rel):
    v = _load(rel)
    clip = clip_from_json(v["clip"])
    sel = selection_from_json(v["selection"])
    _, layout = build_transition_input(clip, sel, v["options"])
    result = json_format.ParseDict(v["result"], job_pb2.TransitionResult())
    tracks = read_result(result, layout)
    for j, joint in enumerate(clip.joints):
        want = v["spliced"][joint.name]
        authored = [Key(f, tuple(fr.rotations[j])) for f, fr in enumerate(clip.frames)]
        got = splice_track(authored, tracks.frames[0], tracks.rotations[j], sel.context_last, sel.keyframes, True)
        assert compare_json([{"frame": k.frame, "value": list(k.value)} for k in got], want["rotation"], {"float32Abs": TOL["spliceAbs"]}) == []
        assert ("translation" in want) == (j in tracks.translations)


@pytest.mark.parametrize("rel", REQUESTS)
def test_known_frames_come_back_exactly(rel):
    v = _load(rel)
    clip = clip_from_json(v["clip"])
    sel = selection_from_json(v["selection"])
    _, layout = build_transition_input(clip, sel, v["options"])
    tracks = read_result(json_format.ParseDict(v["result"], job_pb2.TransitionResult()), layout)
    for frame in [sel.context_last, *sel.keyframes]:
        i = tracks.frames.index(frame)
        for j in range(len(clip.joints)):
            assert list(tracks.rotations[j][i]) == [float(x) for x in clip.frames[frame].rotations[j]]


def test_follower_matches_the_transcript():
    t = _load("transcript.json")
    follower = JobFollower()
    got = []
    for step in t["script"]:
        if "disconnect" in step:
            got += [u.to_dict() for u in follower.disconnected()]
        else:
            got += [u.to_dict() for u in follower.feed(json_format.ParseDict(step["event"], job_pb2.JobEvent()))]
    assert compare_json(got, t["expected"]) == []
    kinds = [u["kind"] for u in t["expected"]]
    assert "reattach" in kinds and kinds[-1] == "result" and kinds.index("pose") < kinds.index("preview")


def test_version_rule_table():
    for case in _load("version_rule.json")["cases"]:
        assert compatibility(case["server"], case["client"])[0] == case["outcome"], case
    outcomes = {c["outcome"] for c in _load("version_rule.json")["cases"]}
    assert outcomes == {"ok", "warn", "refuse"}


def test_splice_cases():
    cases = _load("splice.json")["cases"]
    assert any(c["name"].startswith("other_hemisphere") for c in cases)
    for c in cases:
        got = splice_track([Key(k["frame"], tuple(k["value"])) for k in c["authored"]], c["resultFirstFrame"], [tuple(v) for v in c["result"]],
                           c["contextLast"], c["keyframes"], c["kind"] == "rotation")
        assert compare_json([{"frame": k.frame, "value": list(k.value)} for k in got], c["expected"], {"float32Abs": TOL["spliceAbs"]}) == [], c["name"]


def test_hemisphere_case_really_flips():
    c = next(c for c in _load("splice.json")["cases"] if c["name"] == "other_hemisphere_after")
    authored = {k["frame"]: k["value"] for k in c["authored"]}
    expected = {k["frame"]: k["value"] for k in c["expected"]}
    assert all(abs(expected[f][i] + authored[f][i]) < 1e-7 for f in range(20, 26) for i in range(4))  # negated
    assert all(expected[f] == authored[f] for f in range(0, 11))  # before the gap: untouched


def test_compare_can_fail():
    assert compare_json({"a": [1.0, 2.0]}, {"a": [1.0, 2.5]}) and compare_json({"a": 1}, {"b": 1})
    assert compare_json({"a": 0.1}, {"a": 0.10000000149011612}) == [] and compare_json({"x": 0}, {}) == []
