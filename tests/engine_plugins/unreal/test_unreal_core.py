"""The Unreal plugin's engine-free core against a real loopback server: clip → request → job
followed on a worker thread and drained like the editor's tick → result spliced into whole bone
tracks; pose and image previews; cancellation; shutdown."""

from __future__ import annotations

import math
import threading

import pytest
from unreal_support import RecordingView, drive, make_client, snapshot
from unreal_fixtures import mannequin, quadruped

from anymole_client.clip import Selection
from anymole_unreal.controller import TransitionController
from anymole_unreal.options import catalogue, job_options
from anymole_unreal.session import REGISTRY, JobSession, SessionRegistry
from anymole_unreal.transition import pose_playback, plan_transition

PREVIEW = {"width": 32, "height": 32, "maxFrames": 2, "format": "IMAGE_FORMAT_PNG"}


def run_job(srv, uclip, sel, options=None, view=None):
    client = make_client(srv)
    info = client.server_info()
    opts = job_options(catalogue(info), options or "spline", {}, preview=PREVIEW)
    plan = plan_transition(uclip, sel, opts, info)
    view = view or RecordingView()
    controller = TransitionController(plan, JobSession(client, plan.request), view).start()
    drive(controller)
    return plan, controller, view


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def test_mannequin_pelvis_translation_round_trips(server):
    uclip = mannequin()
    before = snapshot(uclip)
    sel = Selection(10, 50, [75])
    plan, controller, view = run_job(server, uclip, sel)
    assert controller.state == "succeeded", controller.error
    assert view.finished_count == 1 and not view.errors
    # the static root and the moving pelvis both carry translation tracks
    assert plan.translated_bones[:2] == ["root", "pelvis"]
    assert plan.request.convention.unit_m == pytest.approx(0.01)  # declared, not converted
    spliced = view.applied[0]
    assert spliced.num_keys == uclip.num_keys and spliced.generated_frames == list(range(51, 75))
    tracks = {t.name: t for t in spliced.tracks}
    assert set(tracks) == set(uclip.bone_names)  # every bone had a track in the sequence
    pelvis, root = tracks["pelvis"], tracks["root"]
    j = uclip.bone_names.index("pelvis")
    for t in (pelvis, root):
        assert len(t.positions) == len(t.rotations) == len(t.scales) == uclip.num_keys
    # known frames exact, frames outside the gap untouched, generated frames on the way
    for f in list(range(0, 51)) + list(range(75, uclip.num_keys)):
        assert pelvis.positions[f] == pytest.approx(uclip.clip.frames[f].positions[j], abs=1e-4)
    a, b = uclip.clip.frames[50].positions[j], uclip.clip.frames[75].positions[j]
    mid = pelvis.positions[62]
    assert all(min(x, y) - 5.0 <= m <= max(x, y) + 5.0 for m, x, y in zip(mid, a, b))
    assert any(abs(pelvis.positions[62][c] - uclip.clip.joints[j].rest_position[c]) > 0.1 for c in range(3))  # not the rest pose
    assert all(p == pytest.approx((0.0, 0.0, 0.0), abs=1e-3) for p in root.positions)  # the root stays put
    # rotations: unit length, continuous hemisphere from the context on
    for t in spliced.tracks:
        assert all(abs(math.sqrt(dot(q, q)) - 1.0) < 1e-4 for q in t.rotations)
        assert all(dot(t.rotations[f - 1], t.rotations[f]) >= 0.0 for f in range(51, uclip.num_keys))
    assert snapshot(uclip) == before  # the sampled source was never modified


def test_quadruped_listed_children_first_maps_back(server):
    uclip = quadruped()
    sel = Selection(0, 30, [45, 60])
    plan, controller, view = run_job(server, uclip, sel)
    assert controller.state == "succeeded", controller.error
    assert plan.layout.order != list(range(len(uclip.clip.joints)))  # re-ordered parent-first
    spliced = view.applied[0]
    assert spliced.generated_frames == [f for f in range(31, 60) if f != 45]
    tracks = {t.name: t for t in spliced.tracks}
    root = uclip.bone_names.index("root")
    # the walking root: keyframes exact, generated frames between the context and the key
    assert tracks["root"].positions[45] == pytest.approx(uclip.clip.frames[45].positions[root], abs=1e-3)
    xs = [tracks["root"].positions[f][0] for f in range(30, 61)]
    assert xs[0] < xs[len(xs) // 2] < xs[-1]
    # a bone listed before its parent got its own track back (not its parent's)
    tail = uclip.bone_names.index("tail_02")
    assert tracks["tail_02"].rotations[45] == pytest.approx(uclip.clip.frames[45].rotations[tail], abs=1e-5)
    assert "translation" not in plan.translated_bones and "tail_02" not in plan.translated_bones


def test_pose_and_image_previews_reach_the_view(server):
    uclip = mannequin(61)
    sel = Selection(0, 30, [50])
    plan, controller, view = run_job(server, uclip, sel)
    assert controller.state == "succeeded"
    assert view.images and controller.previews_seen >= 1
    image, fmt, frame, _stage, _step = view.images[-1]
    assert fmt == "png" and image.startswith(b"\x89PNG")
    assert 0 <= frame  # a timeline frame of the gap
    assert controller.poses_seen >= 1 and view.poses
    shown, pose = view.poses[-1]
    assert 30 <= shown <= 50 and len(pose) == len(uclip.clip.joints)
    position, rotation, scale = pose[uclip.bone_names.index("pelvis")]
    assert len(position) == 3 and len(rotation) == 4 and scale == (1.0, 1.0, 1.0)
    # the playback of the final pose is the result itself
    playback = pose_playback(plan, controller.spliced and _result_of(server, controller))
    assert playback.frames[0] == 30 and playback.frames[-1] == 50


def _result_of(srv, controller):
    client = make_client(srv)
    try:
        return client.get_job(controller.job_id).result
    finally:
        client.close()


def test_failed_write_is_reported_and_nothing_else_happens(server):
    uclip = mannequin(61)
    plan, controller, view = run_job(server, uclip, Selection(0, 30, [50]), view=RecordingView(fail_apply=True))
    assert controller.state == "failed" and view.errors and view.errors[0].field == "plugin"
    assert "refused by the test" in str(view.errors[0])


def test_cancel_is_call_cancel_plus_cancel_job(start_server):
    srv = start_server(slow_preview_s=0.4)
    uclip = mannequin(61)
    client = make_client(srv)
    info = client.server_info()
    opts = job_options(catalogue(info), "spline", {}, preview={"width": 16, "height": 16, "maxFrames": 8})
    plan = plan_transition(uclip, Selection(0, 30, [55]), opts, info)
    session = JobSession(client, plan.request, close_client=False)
    view = RecordingView()
    controller = TransitionController(plan, session, view).start()
    cancelled = []

    def cancel_once_running(c):
        if not cancelled and c.job_id and c.stage in ("inbetween", "preview"):
            cancelled.append(True)
            c.cancel()

    drive(controller, on_tick=cancel_once_running)
    assert cancelled and controller.state == "cancelled", (controller.state, controller.error)
    assert view.errors and view.errors[0].code == "CANCELLED" and not view.applied
    assert session.wait(5.0)  # the worker ended by itself: no thread was killed
    job = client.get_job(session.job_id)
    from anymole_client.v1 import job_pb2

    assert job.state == job_pb2.JOB_STATE_CANCELLED  # CancelJob reached the server
    client.close()


def test_registry_closes_running_sessions_at_shutdown(start_server):
    srv = start_server(slow_preview_s=0.4)
    uclip = mannequin(61)
    client = make_client(srv)
    info = client.server_info()
    opts = job_options(catalogue(info), "spline", {}, preview={"width": 16, "height": 16, "maxFrames": 8})
    plan = plan_transition(uclip, Selection(0, 30, [55]), opts, info)
    registry = SessionRegistry()
    seen = threading.Event()
    session = registry.add(JobSession(client, plan.request, on_update=lambda u: u.kind == "stage" and seen.set()))
    session.start()
    assert seen.wait(10.0)
    assert registry.running() == [session]
    registry.close_all(timeout_s=12.0)  # what register_python_shutdown_callback runs
    assert session.state == "done" and not session._thread.is_alive()
    kinds = [u.kind for u in session.drain()]
    assert kinds[-1] in ("error", "cancelled")
    assert REGISTRY is not registry
