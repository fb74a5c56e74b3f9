"""A bounded fuzz test of request decoding over a real loopback server: mutated and random
SubmitJob requests may only be accepted or refused with a client-error status, never INTERNAL
or UNKNOWN (which would mean a server bug). A few seconds here; longer runs in
``anymole bench faults``."""

from __future__ import annotations


import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anymole_client.v1 import job_pb2, service_pb2
from anymole_server.config import Limits
from anymole_server.testing import ServerThread, make_config, make_input, tiny_character

CLIENT_ERRORS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.RESOURCE_EXHAUSTED}
FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.0, -1.0, 1e-308, 5e-324, 1e300, 3.4e38, -3.4e38, float("nan"), float("inf")]),
)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    cfg = make_config(tmp_path_factory.mktemp("fuzz"), limits=Limits(workers=1, max_queue=400, max_joints=64, max_frames=400))
    with ServerThread(cfg) as srv:
        yield srv


@pytest.fixture(scope="module")
def submit_bytes(fuzz_server):
    channel = grpc.insecure_channel(fuzz_server.address)
    call = channel.unary_unary("/anymole.v1.AnymoleService/SubmitJob", request_serializer=lambda b: b, response_deserializer=service_pb2.SubmitJobResponse.FromString)
    yield call
    channel.close()


BASE = make_input(tiny_character(), method="interpolation", preview=False, poses=False)


def _mutate(msg: job_pb2.TransitionInput, data) -> None:
    """One to four random edits of fields that validation must check."""
    for _ in range(data.draw(st.integers(1, 4))):
        which = data.draw(st.sampled_from([
            "fps", "unit", "axis", "kf", "shape", "values", "trans_joints", "parents", "names", "output", "preview", "method", "scales", "mesh",
        ]))
        if which == "fps":
            msg.fps = data.draw(FLOATS)
        elif which == "unit":
            msg.convention.handedness = data.draw(st.integers(0, 3))
            msg.convention.unit_m = data.draw(FLOATS)
        elif which == "axis":
            msg.convention.up, msg.convention.forward = data.draw(st.integers(-1, 8)) % 2**31, data.draw(st.integers(0, 8))
        elif which == "kf":
            msg.ClearField("keyframe_indices")
            msg.keyframe_indices.extend(data.draw(st.lists(st.integers(0, 2**32 - 1), max_size=6)))
        elif which == "shape":
            t = data.draw(st.sampled_from([msg.context.rotations, msg.keyframes.translations, msg.skeleton.rest_offsets]))
            t.ClearField("shape")
            t.shape.extend(data.draw(st.lists(st.integers(0, 2**32 - 1), max_size=4)))
        elif which == "values":
            t = data.draw(st.sampled_from([msg.context.rotations, msg.context.translations, msg.skeleton.rest_rotations]))
            if t.data:
                t.data[data.draw(st.integers(0, len(t.data) - 1))] = data.draw(FLOATS)
        elif which == "trans_joints":
            msg.context.ClearField("translated_joints")
            msg.context.translated_joints.extend(data.draw(st.lists(st.integers(0, 2**32 - 1), max_size=4)))
        elif which == "parents":
            msg.skeleton.parents[data.draw(st.integers(0, len(msg.skeleton.parents) - 1))] = data.draw(st.integers(-(2**31), 2**31 - 1))
        elif which == "names":
            msg.skeleton.joint_names[data.draw(st.integers(0, len(msg.skeleton.joint_names) - 1))] = data.draw(st.text(max_size=300))
        elif which == "output":
            msg.output.range.first, msg.output.range.last = data.draw(st.integers(0, 2**32 - 1)), data.draw(st.integers(0, 2**32 - 1))
            msg.output.fps = data.draw(FLOATS)
        elif which == "preview":
            p = msg.options.preview
            p.disabled = data.draw(st.booleans())
            p.width, p.height, p.max_frames = (data.draw(st.integers(0, 2**32 - 1)) for _ in range(3))
            p.max_rate_hz, p.pose_max_rate_hz = data.draw(FLOATS), data.draw(FLOATS)
            p.format = data.draw(st.integers(0, 5))
        elif which == "method":
            msg.options.method = data.draw(st.sampled_from(["", "spline", "anymole", "zero_velocity", "x" * 5000]))
            msg.options.anymole.denoise_steps = data.draw(st.integers(0, 2**32 - 1))
        elif which == "scales":
            msg.skeleton.rest_scales.ClearField("shape")
            msg.skeleton.rest_scales.shape.extend([5, 3])
            msg.skeleton.rest_scales.ClearField("data")
            msg.skeleton.rest_scales.data.extend(data.draw(st.lists(FLOATS, min_size=15, max_size=15)))
        elif which == "mesh":
            m = msg.skeleton.mesh
            m.vertices.shape.extend([3, 3])
            m.vertices.data.extend(data.draw(st.lists(FLOATS, min_size=9, max_size=9)))
            m.faces.extend(data.draw(st.lists(st.integers(0, 2**32 - 1), max_size=6)))
            m.joint_indices.extend(data.draw(st.lists(st.integers(0, 2**32 - 1), max_size=6)))


def _outcome(call, payload: bytes) -> grpc.StatusCode:
    try:
        call(payload, timeout=30)
        return grpc.StatusCode.OK
    except grpc.RpcError as exc:
        return exc.code()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], derandomize=True)
@given(data=st.data())
def test_mutated_requests_get_client_errors_only(submit_bytes, data):
    msg = job_pb2.TransitionInput()
    msg.CopyFrom(BASE)
    _mutate(msg, data)
    code = _outcome(submit_bytes, service_pb2.SubmitJobRequest(input=msg).SerializeToString())
    assert code == grpc.StatusCode.OK or code in CLIENT_ERRORS, (code, str(msg)[:2000])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True)
@given(raw=st.one_of(st.binary(max_size=200), st.builds(lambda b, cut: b[:cut], st.just(service_pb2.SubmitJobRequest(input=BASE).SerializeToString()), st.integers(0, 400))))
def test_random_bytes_get_client_errors_only(submit_bytes, raw):
    code = _outcome(submit_bytes, raw)
    assert code == grpc.StatusCode.OK or code in CLIENT_ERRORS, code


def test_not_a_protobuf_is_invalid_argument_naming_the_request(submit_bytes):
    with pytest.raises(grpc.RpcError) as err:
        submit_bytes(b"\xff\xff\xff\xff not a protobuf", timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not a valid anymole.v1.SubmitJobRequest" in err.value.details()
