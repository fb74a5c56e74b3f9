"""Every conformance vector of ``engine_plugins/conformance`` through the Unreal core's own
paths: requests built by ``anymole_unreal.transition``, results spliced into whole tracks by
``splice_result``, the transcript replayed through a ``JobSession`` (worker thread, reattach
after the disconnect), the version rule as the session applies it. Absent vectors skip
locally and fail under CI=true."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from unreal_support import ROOT, skip_or_fail
from google.protobuf import json_format

from anymole_client.clip import clip_from_json, selection_from_json
from tests.conformance.compare import compare_json as compare  # the kit's one comparison rule
from anymole_client.v1 import job_pb2
from anymole_client.version import compatibility
from anymole_unreal.errors import explain
from anymole_unreal.session import JobSession
from anymole_unreal.transition import UnrealClip, build_request, plan_transition, splice_result
from anymole_unreal.transition import splice_track as core_splice_track

KIT = ROOT / "engine_plugins" / "conformance"


def _manifest():
    path = KIT / "manifest.json"
    if not path.is_file():
        skip_or_fail(f"no conformance vectors at {KIT} (tools/make_conformance.py writes them)")
    return json.loads(path.read_text())


def _load(rel: str):
    return json.loads((KIT / rel).read_text())


def _files(prefix: str):
    path = KIT / "manifest.json"
    if not path.is_file():
        return ["(absent)"]
    return sorted(f for f in json.loads(path.read_text())["files"] if f.startswith(prefix))


def _uclip(v) -> UnrealClip:
    clip = clip_from_json(v["clip"])
    scales = [[tuple(j.rest_scale) for j in clip.joints] for _ in clip.frames]
    return UnrealClip(v["name"], clip, scales, frozenset(j.name for j in clip.joints))


def _plan(v):
    uclip = _uclip(v)
    sel = selection_from_json(v["selection"])
    if uclip.clip.convention == "unreal":
        return plan_transition(uclip, sel, v["options"])  # the editor's path, with its checks
    return build_request(uclip, sel, v["options"])


def test_the_kit_speaks_our_protocol():
    from anymole_client import PROTOCOL_VERSION

    m = _manifest()
    assert m["protocolVersion"] == PROTOCOL_VERSION
    assert any(_load(r)["clip"]["convention"] == "unreal" for r in _files("requests/"))


@pytest.mark.parametrize("rel", _files("requests/"))
def test_request_is_built_the_same(rel):
    m = _manifest()
    v = _load(rel)
    plan = _plan(v)
    got = json_format.MessageToDict(plan.request)
    assert compare(got, v["request"], {}) == []  # exact in float32
    if v["clip"]["convention"] == "unreal":
        assert got["convention"] == {"handedness": "HANDEDNESS_LEFT", "up": "AXIS_POS_Z", "forward": "AXIS_POS_X", "unitM": 0.01}
    assert m["tolerance"]


@pytest.mark.parametrize("rel", _files("requests/"))
def test_result_is_spliced_the_same(rel):
    tol = {"float32Abs": _manifest()["tolerance"]["spliceAbs"]}
    v = _load(rel)
    plan = _plan(v)
    result = json_format.ParseDict(v["result"], job_pb2.TransitionResult())
    spliced = splice_result(plan, result)
    tracks = {t.name: t for t in spliced.tracks}
    clip = plan.uclip.clip
    for j, joint in enumerate(clip.joints):
        want = v["spliced"][joint.name]
        t = tracks[joint.name]
        got_rot = [{"frame": f, "value": list(q)} for f, q in enumerate(t.rotations)]
        assert compare(got_rot, want["rotation"], tol) == [], joint.name
        if "translation" in want:
            got_pos = [{"frame": f, "value": list(p)} for f, p in enumerate(t.positions)]
            assert compare(got_pos, want["translation"], tol) == [], joint.name
        else:  # no translation track: the authored positions stay
            assert t.positions == [tuple(fr.positions[j]) for fr in clip.frames]
        assert len(t.rotations) == plan.uclip.num_keys


@pytest.mark.parametrize("rel", _files("requests/"))
def test_known_frames_come_back_bit_identical(rel):
    v = _load(rel)
    plan = _plan(v)
    spliced = splice_result(plan, json_format.ParseDict(v["result"], job_pb2.TransitionResult()))
    tracks = {t.name: t for t in spliced.tracks}
    sel = plan.selection
    for f in [sel.context_last, *sel.keyframes]:
        for j, joint in enumerate(plan.uclip.clip.joints):
            want = [float(x) for x in plan.uclip.clip.frames[f].rotations[j]]
            got = list(tracks[joint.name].rotations[f])
            assert got == want or got == [-x for x in want]  # a key after the context may be negated


def test_splice_cases():
    tol = {"float32Abs": _manifest()["tolerance"]["spliceAbs"]}
    from anymole_client.splice import Key

    for c in _load("splice.json")["cases"]:
        got = core_splice_track(
            [Key(k["frame"], tuple(k["value"])) for k in c["authored"]], c["resultFirstFrame"], [tuple(x) for x in c["result"]],
            c["contextLast"], c["keyframes"], c["kind"] == "rotation",
        )
        assert compare([{"frame": k.frame, "value": list(k.value)} for k in got], c["expected"], tol) == [], c["name"]


class _Dropped(grpc.RpcError):
    def code(self):
        return grpc.StatusCode.UNAVAILABLE

    def details(self):
        return "the test dropped the stream"


class _Stream:
    def __init__(self, events, drop):
        self.events, self.drop = events, drop

    def __iter__(self):
        for e in self.events:
            yield e
        if self.drop:
            raise _Dropped()

    def cancel(self):
        pass


class _ReplayClient:
    """A client whose WatchJob streams replay the transcript, one segment per call."""

    address = "replay"

    def __init__(self, transcript):
        self.segments, current = [], []
        for step in transcript["script"]:
            if "disconnect" in step:
                self.segments.append((current, True))
                current = []
            else:
                current.append(json_format.ParseDict(step["event"], job_pb2.JobEvent()))
        self.segments.append((current, False))
        self.job_id = transcript["jobId"]
        self.watches = []

    def server_info(self):
        return None

    def submit(self, request, key=""):
        return job_pb2.Job(job_id=self.job_id)

    def watch(self, job_id, after_event=0):
        self.watches.append(after_event)
        events, drop = self.segments[len(self.watches) - 1]
        return _Stream(events, drop)

    def get_job(self, job_id):
        raise AssertionError("the transcript ends with a terminal event")

    def cancel(self, job_id):
        raise AssertionError("not cancelled")

    def close(self):
        pass


def test_transcript_through_the_session():
    t = _load("transcript.json")
    client = _ReplayClient(t)
    session = JobSession(client, job_pb2.TransitionInput()).start()
    assert session.wait(10.0)
    updates = session.drain()
    assert updates[0].kind == "submitted"
    got = [u.to_dict() for u in updates[1:]]
    assert compare(got, t["expected"], {}) == []
    reattach = [u["afterEvent"] for u in t["expected"] if u["kind"] == "reattach"]
    assert client.watches == [0] + reattach  # watched again after the last seq seen


def test_version_rule_as_the_session_applies_it():
    from anymole_client.errors import IncompatibleServerError
    from anymole_client.version import check_protocol_version

    for case in _load("version_rule.json")["cases"]:
        outcome, message = compatibility(case["server"], case["client"])
        assert outcome == case["outcome"], case
        if outcome == "refuse":
            with pytest.raises(IncompatibleServerError) as err:
                check_protocol_version(case["server"], case["client"])
            assert explain(err.value).field == "server.protocol"


def test_compare_can_fail():
    assert compare({"a": [1.0, 2.0]}, {"a": [1.0, 2.5]}, {}) and compare({"a": 1}, {"b": 1}, {})
    assert compare({"a": 0.1}, {"a": 0.10000000149011612}, {}) == [] and compare({"x": 0}, {}, {}) == []


def test_kit_path_is_the_repositorys():
    assert KIT == Path(__file__).resolve().parents[3] / "engine_plugins" / "conformance"
