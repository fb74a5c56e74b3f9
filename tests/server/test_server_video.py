"""The ``anymole`` method over real loopback gRPC with the ``tiny`` video prior (random weights,
built in code: the plumbing is real, the in-between is not meaningful)."""

from __future__ import annotations

import time

import grpc
import pytest
import torch

from anymole.wire import motion_from_result
from anymole_client.v1 import job_pb2
from anymole_server.testing import CONTEXT, KEYFRAMES, ServerThread, make_config, make_input


def kinds(events):
    return [e.WhichOneof("kind") for e in events]


@pytest.fixture
def tiny_server(tmp_path):
    cfg = make_config(tmp_path, video_models={"tiny": ""}, adapter_cache=tmp_path / "adapters")
    with ServerThread(cfg) as srv:
        yield srv


def test_capabilities_list_the_loadable_prior(tiny_server):
    with tiny_server.client() as client:
        caps = client.server_info().capabilities
    assert list(caps.video_priors) == ["tiny"] and "anymole" in caps.methods


def test_previews_during_generation_then_an_exact_result(tiny_server, character):
    events = []
    with tiny_server.client() as client:
        result = client.run(make_input(character, method="anymole", preview_max_frames=4), on_event=events.append)
    k = kinds(events)
    assert k[-1] == "result" and k.count("result") == 1
    stages = [e.stage.stage for e in events if e.WhichOneof("kind") == "stage"]
    assert stages.index("render") < stages.index("generate") < stages.index("mimic")
    generate_previews = [i for i, e in enumerate(events) if e.WhichOneof("kind") == "preview" and e.preview.stage.startswith("generate")]
    mimic_stage = next(i for i, e in enumerate(events) if e.WhichOneof("kind") == "stage" and e.stage.stage == "mimic")
    assert generate_previews and generate_previews[0] < mimic_stage  # while generating, not after
    assert result.method == "anymole"
    assert any("plumbing test" in w for w in result.warnings)  # the tiny prior's output is labelled
    skeleton, motion = character
    got = motion_from_result(result, skeleton)
    assert got.rotations.shape == motion.rotations.shape and got.translations.shape == motion.translations.shape
    assert torch.equal(got.rotations[:CONTEXT], motion.rotations[:CONTEXT])
    assert torch.equal(got.rotations[list(KEYFRAMES)], motion.rotations[list(KEYFRAMES)])
    assert result.keyframe_error == 0.0
    assert {"render", "adapt", "estimator", "generate", "mimic"} <= set(result.timings_s)


def test_cancel_during_denoising_ends_within_two_seconds(tiny_server, character):
    with tiny_server.client() as client:
        job_id = client.submit(make_input(character, method="anymole")).job_id
        cancelled_at = None
        events = []
        for event in client.watch(job_id):
            events.append(event)
            if cancelled_at is None and event.WhichOneof("kind") == "preview" and event.preview.stage.startswith("generate"):
                client.cancel(job_id)
                cancelled_at = time.monotonic()
        ended = time.monotonic()
    assert cancelled_at is not None, "no preview during generation"
    assert events[-1].WhichOneof("kind") == "error"
    assert events[-1].error.code == grpc.StatusCode.CANCELLED.value[0]
    assert events[-1].job_state == job_pb2.JOB_STATE_CANCELLED
    assert ended - cancelled_at < 2.0


def test_anymole_without_a_prior_is_failed_precondition_saying_how(server, character):
    with server.client() as client:
        with pytest.raises(grpc.RpcError) as err:
            client.submit(make_input(character, method="anymole"))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "--video-model" in err.value.details()
