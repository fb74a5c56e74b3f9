"""Contract 1.1 over real loopback gRPC: the method catalogue in GetServerInfo, typed options,
pose previews (packed like the result, the first one before any image for classical methods),
previews kept apart and pruned, results stored once, and a frozen 1.0 client still working."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import grpc
import pytest
import torch
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from anymole.methods.catalogue import CATALOGUE
from anymole.wire import motion_from_result
from anymole_client.v1 import job_pb2, service_pb2
from anymole_server.testing import ServerThread, make_config, make_input

FROZEN_1_0 = Path(__file__).resolve().parents[1] / "fixtures" / "contract_1_0.binpb"


def kinds(events):
    return [e.WhichOneof("kind") for e in events]


def test_server_info_lists_every_method_with_stages_and_options(client):
    caps = client.server_info().capabilities
    info = {m.name: m for m in caps.method_info}
    assert list(info) == list(CATALOGUE)
    assert info["spline"].runnable and info["spline"].is_default and list(info["spline"].stages) == ["validate", "inbetween", "preview"]
    anymole = info["anymole"]
    assert not anymole.runnable and "--video-model" in anymole.unavailable_reason and anymole.needs_prior
    assert list(anymole.stages) == ["validate", "render", "adapt", "estimator", "generate", "mimic", "preview"]
    steps = {o.name: o for o in anymole.options}["denoise_steps"]
    assert steps.type == service_pb2.OPTION_TYPE_INT and steps.field == "anymole.denoiseSteps"
    assert json.loads(steps.default_json) == 30 and steps.HasField("minimum") and steps.minimum == 1
    assert {o.name for o in anymole.options} == {o.name for o in CATALOGUE["anymole"].options}


def test_server_info_with_tiny_prior_lists_anymole_runnable(tmp_path):
    with ServerThread(make_config(tmp_path, video_models={"tiny": ""})) as srv, srv.client() as client:
        info = {m.name: m for m in client.server_info().capabilities.method_info}
    assert info["anymole"].runnable and info["anymole"].unavailable_reason == ""
    assert len(info["anymole"].options) == 8


def test_spline_first_pose_is_the_result_and_comes_before_any_image(client, character):
    events = []
    result = client.run(make_input(character, preview_max_frames=3), on_event=events.append)
    k = kinds(events)
    assert "pose" in k and k.index("pose") < k.index("preview")
    pose = events[k.index("pose")].pose
    assert pose.final and pose.stage == "inbetween"
    assert pose.motion.SerializeToString(deterministic=True) == result.motion.SerializeToString(deterministic=True)
    assert (pose.fps, pose.first_frame) == (result.fps, result.first_frame)


def test_poses_can_be_turned_off_and_follow_the_output_range(client, character):
    events = []
    client.run(make_input(character, poses=False), on_event=events.append)
    assert "pose" not in kinds(events)
    events = []
    result = client.run(make_input(character, output_range=(19, 39)), on_event=events.append)
    pose = next(e.pose for e in events if e.WhichOneof("kind") == "pose")
    assert pose.first_frame == 19 and list(pose.motion.rotations.shape) == [21, 5, 4]
    back = motion_from_result(pose, character[0])
    assert torch.equal(back.rotations, motion_from_result(result, character[0]).rotations)


def test_typed_anymole_options_are_checked(client, character):
    msg = make_input(character, method="spline")
    msg.options.anymole.denoise_steps = 4
    with pytest.raises(grpc.RpcError) as err:
        client.submit(msg)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and err.value.details().startswith("input.options.anymole:")


def test_anymole_option_out_of_range_names_the_field(tmp_path, character):
    with ServerThread(make_config(tmp_path, video_models={"tiny": ""})) as srv, srv.client() as client:
        msg = make_input(character, method="anymole")
        msg.options.anymole.image_width = 8
        with pytest.raises(grpc.RpcError) as err:
            client.submit(msg)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("input.options.anymole.image_width: image_width must be >= 32")


def test_rest_scales_are_accepted_and_change_nothing_returned(client, character):
    skeleton, motion = character
    msg = make_input(character)
    msg.skeleton.rest_scales.shape.extend([skeleton.num_joints, 3])
    msg.skeleton.rest_scales.data.extend([1.0, 1.0, 1.0] + [2.0, 2.0, 2.0] * (skeleton.num_joints - 1))
    result = client.run(msg)
    assert list(result.motion.rotations.shape) == [40, 5, 4]
    bad = make_input(character)
    bad.skeleton.rest_scales.shape.extend([skeleton.num_joints, 3])
    bad.skeleton.rest_scales.data.extend([1.0, 0.0, 1.0] * skeleton.num_joints)
    with pytest.raises(grpc.RpcError) as err:
        client.submit(bad)
    assert err.value.details().startswith("input.skeleton.rest_scales:")


def test_previews_are_pruned_after_the_job_and_results_stored_once(tmp_path, character):
    cfg = make_config(tmp_path, keep_previews_for_s=0.0)
    with ServerThread(cfg) as srv, srv.client() as client:
        live = []
        client.run(make_input(character, preview_max_frames=6), on_event=live.append)
        job_id = live[0].job_id
        assert all(e.preview.image for e in live if e.WhichOneof("kind") == "preview")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            replay = list(client.watch(job_id))
            images = [e.preview.image for e in replay if e.WhichOneof("kind") == "preview"]
            if sum(1 for i in images if i) == 1:
                break
            time.sleep(0.05)
        assert len(images) == 6 and [bool(i) for i in images] == [False] * 5 + [True]  # the last per stage kept
        assert [e.seq for e in replay] == [e.seq for e in live]
        assert replay[-1].result.SerializeToString(deterministic=True) == live[-1].result.SerializeToString(deterministic=True)
    db = sqlite3.connect(cfg.db_path)
    sizes = db.execute("SELECT length(payload) FROM events WHERE terminal = 1").fetchall()
    assert sizes and max(s for (s,) in sizes) < 200  # the result lives in the results table only


def test_repeated_cancel_stores_one_event(tmp_path, character):
    import threading

    gate = threading.Event()

    def slow(*args):
        gate.wait(10)
        return b"\x89PNG"

    with ServerThread(make_config(tmp_path, render_preview=slow)) as srv, srv.client() as client:
        job_id = client.submit(make_input(character)).job_id
        deadline = time.monotonic() + 10
        while client.get_job(job_id).state != job_pb2.JOB_STATE_RUNNING and time.monotonic() < deadline:
            time.sleep(0.02)
        for _ in range(5):
            client.cancel(job_id)
        gate.set()
        events = list(client.watch(job_id))
    logs = [e.log.message for e in events if e.WhichOneof("kind") == "log"]
    assert logs.count("cancellation requested") == 1 and events[-1].error.code == grpc.StatusCode.CANCELLED.value[0]


def _frozen_1_0_classes():
    fds = descriptor_pb2.FileDescriptorSet.FromString(FROZEN_1_0.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    names = ("TransitionInput", "JobEvent", "SubmitJobRequest", "SubmitJobResponse", "WatchJobRequest", "GetServerInfoRequest", "GetServerInfoResponse")
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"anymole.v1.{n}")) for n in names}


def test_a_frozen_1_0_client_keeps_working(server, character):
    v10 = _frozen_1_0_classes()
    assert "pose" not in v10["JobEvent"].DESCRIPTOR.fields_by_name  # really the 1.0 contract
    request_1_0 = v10["TransitionInput"].FromString(make_input(character, preview_max_frames=2).SerializeToString())
    with grpc.insecure_channel(server.address) as channel:
        call = lambda name, req, resp: channel.unary_unary(f"/anymole.v1.AnymoleService/{name}", request_serializer=req.SerializeToString, response_deserializer=resp.FromString)
        info = call("GetServerInfo", v10["GetServerInfoRequest"], v10["GetServerInfoResponse"])(v10["GetServerInfoRequest"]())
        assert info.protocol_version.startswith("1.")
        sub = call("SubmitJob", v10["SubmitJobRequest"], v10["SubmitJobResponse"])(v10["SubmitJobRequest"](input=request_1_0))
        watch = channel.unary_stream("/anymole.v1.AnymoleService/WatchJob", request_serializer=v10["WatchJobRequest"].SerializeToString, response_deserializer=v10["JobEvent"].FromString)
        events = list(watch(v10["WatchJobRequest"](job_id=sub.job_id)))
    k = [e.WhichOneof("kind") for e in events]
    assert k[-1] == "result" and "preview" in k and None in k  # the pose events are unknown to 1.0
    assert list(events[-1].result.motion.rotations.shape) == [40, 5, 4]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
