"""Bounded cost per request, over real loopback gRPC: every limit is reported in
GetServerInfo.limits and enforced at submit with INVALID_ARGUMENT naming the request's field;
implausible values are refused before they can turn into NaN; admission comes before decoding."""

from __future__ import annotations

import threading

import grpc
import pytest

from anymole_client.v1 import job_pb2, service_pb2
from anymole_server.config import Limits
from anymole_server.testing import ServerThread, make_config, make_input

SMALL = Limits(workers=1, max_queue=4, max_joints=64, max_frames=400, max_vertices=10, max_faces=10, max_influences=2,
               max_preview_pixels=64 * 64 * 4, max_decoded_bytes=64 * 1024)


@pytest.fixture
def small(tmp_path):
    with ServerThread(make_config(tmp_path, limits=SMALL)) as srv, srv.client() as client:
        yield client


def _refused(client, msg, field: str) -> str:
    with pytest.raises(grpc.RpcError) as err:
        client.submit(msg)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert err.value.details().startswith(field + ":"), err.value.details()
    assert dict(err.value.trailing_metadata()).get("anymole-field") == field
    return err.value.details()


def _mesh(msg, vertices: int, faces: int, influences: int) -> None:
    m = msg.skeleton.mesh
    m.vertices.shape.extend([vertices, 3])
    m.vertices.data.extend([0.1] * vertices * 3)
    m.faces.extend([0, 1, 2] * faces)
    m.joint_indices.extend([0] * vertices * influences)
    m.joint_weights.shape.extend([vertices, influences])
    m.joint_weights.data.extend([1.0] * vertices * influences)
    J = len(msg.skeleton.joint_names)
    m.inverse_bind_matrices.shape.extend([J, 4, 4])
    m.inverse_bind_matrices.data.extend([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] * J)


def test_limits_are_reported(small):
    lim = small.server_info().capabilities.limits
    assert (lim.max_vertices, lim.max_faces, lim.max_influences, lim.max_preview_pixels, lim.max_decoded_bytes) == (10, 10, 2, 64 * 64 * 4, 64 * 1024)
    assert lim.min_fps > 0 and lim.max_fps > lim.min_fps and lim.max_extent_m > 0 and lim.max_concurrent_validations >= 1


def test_mesh_limits(small, character):
    msg = make_input(character)
    _mesh(msg, 11, 1, 1)
    _refused(small, msg, "input.skeleton.mesh.vertices")
    msg = make_input(character)
    _mesh(msg, 3, 11, 1)
    _refused(small, msg, "input.skeleton.mesh.faces")
    msg = make_input(character)
    _mesh(msg, 3, 1, 3)
    _refused(small, msg, "input.skeleton.mesh.joint_weights")
    msg = make_input(character)
    _mesh(msg, 3, 1, 2)
    small.run(msg)  # within every limit: it runs


def test_preview_budget_and_decoded_bytes(small, character):
    _refused(small, make_input(character, preview_size=(64, 64), preview_max_frames=5), "input.options.preview.max_frames")
    small.run(make_input(character, preview_size=(64, 64), preview_max_frames=4))
    big = make_input(character, preview=False)
    big.skeleton.mesh.vertices.data.extend([0.0] * 20000)  # 80 kB of floats: over 64 KiB
    assert "MiB" in _refused(small, big, "input")


def test_keyframe_count_is_checked_before_decoding(small, character):
    msg = make_input(character)
    msg.keyframe_indices.extend(range(1000, 1500))
    _refused(small, msg, "input.keyframe_indices")


@pytest.mark.parametrize("fps", [1e-308, 5e-324, 1e300, 0.0, -30.0, float("nan")])
def test_implausible_fps(client, character, fps):
    msg = make_input(character)
    msg.fps = fps
    _refused(client, msg, "input.fps")
    msg = make_input(character, output_fps=30.0)
    msg.output.fps = fps if fps else 1e300
    _refused(client, msg, "input.output.fps")


def test_implausible_units_and_magnitudes(client, character):
    from anymole.geometry import frames

    msg = make_input(character, convention=frames.UNITY)
    msg.convention.unit_m = 1e-300
    _refused(client, msg, "input.convention.unit_m")
    msg = make_input(character)
    msg.context.translations.data[0] = 3.0e38
    _refused(client, msg, "input.context.translations")
    msg = make_input(character)
    msg.skeleton.rest_offsets.data[1] = -1e30
    _refused(client, msg, "input.skeleton.rest_offsets")


def test_one_frame_output_at_another_fps(client, character):
    result = client.run(make_input(character, output_range=(25, 25), output_fps=60.0))
    assert list(result.motion.rotations.shape) == [1, 5, 4] and result.fps == 60.0


def test_page_token_and_long_strings_are_bounded(client, character):
    for token in ("9" * 100, "9" * 10000, "-1", "abc"):
        with pytest.raises(grpc.RpcError) as err:
            client.list_jobs(page_token=token)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and err.value.details().startswith("page_token:")
    msg = make_input(character)
    msg.options.method = "m" * 100_000
    details = _refused(client, msg, "input.options.method")
    assert len(details) < 400
    msg = make_input(character)
    msg.skeleton.joint_names[0] = "n" * 100_000
    assert len(_refused(client, msg, "input.skeleton.joint_names")) < 400


def test_admission_comes_before_decoding(tmp_path, character):
    gate = threading.Event()

    def stuck(*args):
        gate.wait(20)
        return b"\x89PNG"

    limits = Limits(workers=1, max_queue=1, max_joints=64, max_frames=400)
    with ServerThread(make_config(tmp_path, limits=limits, render_preview=stuck)) as srv, srv.client() as client:
        from anymole_server.jobs import JOB_THREADS_PER_WORKER

        for _ in range(JOB_THREADS_PER_WORKER + 1):  # every job thread busy, the queue full
            client.submit(make_input(character))
        bad = make_input(character)
        bad.fps = float("nan")  # invalid, but refused for the queue before it is decoded
        with pytest.raises(grpc.RpcError) as err:
            client.submit(bad)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        gate.set()
        for job in client.list_jobs().jobs:
            client.cancel(job.job_id)


def test_not_a_protobuf_on_every_call(server):
    with grpc.insecure_channel(server.address) as channel:
        for name, resp in (("GetJob", service_pb2.GetJobResponse), ("ListJobs", service_pb2.ListJobsResponse)):
            call = channel.unary_unary(f"/anymole.v1.AnymoleService/{name}", request_serializer=lambda b: b, response_deserializer=resp.FromString)
            with pytest.raises(grpc.RpcError) as err:
                call(b"\x0a\xff\xff\xff\xff\x0f", timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, name
        watch = channel.unary_stream("/anymole.v1.AnymoleService/WatchJob", request_serializer=lambda b: b, response_deserializer=job_pb2.JobEvent.FromString)
        with pytest.raises(grpc.RpcError) as err:
            list(watch(b"\xff\xff", timeout=10))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_cancel_stops_a_job_inside_a_heavy_preview_frame(tmp_path, character):
    """A valid but expensive mesh (large random triangles) makes one 512² frame take many
    seconds; CancelJob still ends the job within 2 s, because the rasteriser checks it."""
    import time

    import torch

    from anymole.skeleton import SkinnedMesh
    from anymole.wire import build_transition_input
    from anymole_server.testing import CONTEXT, KEYFRAMES, split

    skeleton, motion = character
    g = torch.Generator().manual_seed(0)
    N, F = 20000, 40000
    pos = motion.global_positions(skeleton)[0]
    vertices = pos[torch.randint(0, skeleton.num_joints, (N,), generator=g)] + 0.3 * torch.randn(N, 3, generator=g)
    mesh = SkinnedMesh(vertices, torch.randint(0, N, (F, 3), generator=g), torch.randint(0, skeleton.num_joints, (N, 2), generator=g),
                       torch.rand(N, 2, generator=g) + 0.1, torch.eye(4).repeat(skeleton.num_joints, 1, 1))
    context, keys = split(motion)
    msg = build_transition_input(skeleton.with_mesh(mesh), context, keys, KEYFRAMES, method="interpolation", preview_size=(512, 512), preview_max_frames=2)
    with ServerThread(make_config(tmp_path)) as srv, srv.client() as client:
        job_id = client.submit(msg).job_id
        for event in client.watch(job_id):
            if event.WhichOneof("kind") == "stage" and event.stage.stage == "preview":
                break
        time.sleep(0.3)  # inside the first frame
        t0 = time.monotonic()
        client.cancel(job_id)
        last = list(client.watch(job_id))[-1]
        assert last.job_state == job_pb2.JOB_STATE_CANCELLED and time.monotonic() - t0 < 2.0
