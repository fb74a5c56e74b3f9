"""Malformed requests: each is INVALID_ARGUMENT naming the field (in the message and in the
``anymole-field`` trailing metadata); the server keeps serving."""

from __future__ import annotations

import math

import grpc
import pytest

from anymole_client.codec import field_from_metadata
from anymole_client.v1 import job_pb2, motion_pb2
from anymole_server.testing import make_input


def _field_of(err):
    return field_from_metadata(err.trailing_metadata())


def _set(path: str, value):
    def mutate(m):
        *head, last = path.split(".")
        for part in head:
            m = getattr(m, part)
        setattr(m, last, value)

    return mutate


def _data(path: str, index: int, value: float):
    def mutate(m):
        for part in path.split("."):
            m = getattr(m, part)
        m.data[index] = value

    return mutate


def _call(fn):
    return fn


def _replace_repeated(path: str, values):
    def mutate(m):
        *head, last = path.split(".")
        for part in head:
            m = getattr(m, part)
        del getattr(m, last)[:]
        getattr(m, last).extend(values)

    return mutate


def _too_many_joints(m):
    m.skeleton.joint_names.extend([f"extra{i}" for i in range(100)])


def _zero_quaternion(m):
    for c in range(4):
        m.context.rotations.data[4 * 7 + c] = 0.0


CASES = {
    "empty skeleton": (_replace_repeated("skeleton.joint_names", []), "input.skeleton.joint_names"),
    "duplicate joint name": (_replace_repeated("skeleton.joint_names", ["a", "b", "b", "c", "d"]), "input.skeleton.joint_names"),
    "unsorted parents": (_replace_repeated("skeleton.parents", [-1, 2, 0, 1, 3]), "input.skeleton.parents"),
    "parent out of range": (_replace_repeated("skeleton.parents", [-1, 0, 1, 2, 9]), "input.skeleton.parents"),
    "NaN rest offset": (_data("skeleton.rest_offsets", 4, math.nan), "input.skeleton.rest_offsets"),
    "infinite translation": (_data("context.translations", 2, math.inf), "input.context.translations"),
    "wrong packed size": (lambda m: m.context.rotations.data.pop(), "input.context.rotations.data"),
    "wrong shape": (_replace_repeated("skeleton.rest_offsets.shape", [5, 2]), "input.skeleton.rest_offsets.shape"),
    "zero quaternion": (_zero_quaternion, "input.context.rotations"),
    "track length mismatch": (
        lambda m: (m.context.translations.shape.__setitem__(0, 19), [m.context.translations.data.pop() for _ in range(6)]),
        "input.context.translations",
    ),
    "keyframes not increasing": (_replace_repeated("keyframe_indices", [39, 30]), "input.keyframe_indices"),
    "duplicate keyframe": (_replace_repeated("keyframe_indices", [30, 30]), "input.keyframe_indices"),
    "keyframe inside the context": (_replace_repeated("keyframe_indices", [10, 39]), "input.keyframe_indices"),
    "no keyframes": (_replace_repeated("keyframe_indices", []), "input.keyframe_indices"),
    "keyframe count mismatch": (_replace_repeated("keyframe_indices", [30, 35, 39]), "input.keyframes.rotations"),
    "too many joints": (_too_many_joints, "input.skeleton.joint_names"),
    "too many frames": (_replace_repeated("keyframe_indices", [30, 5000]), "input.keyframe_indices"),
    "unknown method": (_set("options.method", "telepathy"), "input.options.method"),
    "fps zero": (_set("fps", 0.0), "input.fps"),
    "fps negative": (_set("fps", -30.0), "input.fps"),
    "translated joint out of range": (
        lambda m: (_replace_repeated("context.translated_joints", [0, 7])(m), _replace_repeated("keyframes.translated_joints", [0, 7])(m)),
        "input.context.translated_joints",
    ),
    "translated joints differ": (_replace_repeated("keyframes.translated_joints", [0, 2]), "input.keyframes.translated_joints"),
    "preview too large": (_set("options.preview.width", 100000), "input.options.preview.width"),
    "preview too small": (_set("options.preview.height", 4), "input.options.preview.height"),
    "bad convention axis": (
        lambda m: m.convention.CopyFrom(motion_pb2.CoordinateConvention(handedness=1, up=motion_pb2.AXIS_POS_Y, forward=motion_pb2.AXIS_NEG_Y, unit_m=1.0)),
        "input.convention.forward",
    ),
    "unspecified convention axis": (
        lambda m: m.convention.CopyFrom(motion_pb2.CoordinateConvention(handedness=1, forward=motion_pb2.AXIS_POS_Z, unit_m=1.0)),
        "input.convention.up",
    ),
    "zero unit": (
        lambda m: m.convention.CopyFrom(motion_pb2.CoordinateConvention(handedness=2, up=3, forward=5, unit_m=0.0)),
        "input.convention.unit_m",
    ),
    "output range outside": (lambda m: m.output.range.MergeFrom(job_pb2.FrameRange(first=0, last=99)), "input.output.range"),
    "missing skeleton": (lambda m: m.ClearField("skeleton"), "input.skeleton"),
}


def test_there_are_at_least_15_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_request_is_invalid_argument(server, client, character, name):
    mutate, field = CASES[name]
    request = make_input(character)
    mutate(request)
    with pytest.raises(grpc.RpcError) as err:
        client.submit(request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
    assert err.value.details().startswith(field + ":"), err.value.details()
    assert _field_of(err.value) == field
    assert client.health() == 1  # SERVING


def test_server_keeps_serving_after_bad_requests(client, character):
    for mutate, _ in CASES.values():
        request = make_input(character)
        mutate(request)
        with pytest.raises(grpc.RpcError):
            client.submit(request)
    assert client.health() == 1 and client.health("anymole.v1.AnymoleService") == 1
    assert client.run(make_input(character)).motion.rotations.shape[0] == 40
