"""The codec: tensors, conventions, formats, motion packing, the field trailer."""

from __future__ import annotations

import numpy as np
import pytest
from anymole_client import codec
from anymole_client.errors import CodecError
from anymole_client.v1 import job_pb2, motion_pb2


def test_pack_nested_flat_and_numpy_agree():
    nested = [[[1, 2, 3], [4, 5, 6]]]
    a = codec.pack_tensor(nested)
    b = codec.pack_tensor([1, 2, 3, 4, 5, 6], shape=[1, 2, 3])
    c = codec.pack_tensor(np.arange(1, 7, dtype=np.float64).reshape(1, 2, 3))
    assert a == b == c and list(a.shape) == [1, 2, 3]
    shape, flat = codec.unpack_tensor(a, (1, -1, 3), "x")
    assert shape == (1, 2, 3) and codec.rows(shape, flat) == [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]
    assert np.array_equal(codec.unpack_array(a), np.arange(1, 7, dtype=np.float32).reshape(1, 2, 3))


def test_float32_storage():
    msg = codec.pack_tensor([0.1, 1e-8], shape=[2])
    assert msg.data[0] == np.float32(0.1) and msg.data[1] == np.float32(1e-8)


def test_shape_errors_name_the_field():
    with pytest.raises(CodecError, match=r"t: ragged array"):
        codec.pack_tensor([[1, 2], [3]], field="t")
    with pytest.raises(CodecError, match=r"t: shape \[2, 2\] needs 4 values, got 3"):
        codec.pack_tensor([1, 2, 3], shape=[2, 2], field="t")
    msg = codec.pack_tensor([[1, 2, 3]])
    with pytest.raises(CodecError, match=r"m\.shape: expected shape \[\*, 4\], got \[1, 3\]"):
        codec.unpack_tensor(msg, (-1, 4), "m")
    msg.data.append(9)
    with pytest.raises(CodecError, match=r"m\.data: shape \[1, 3\] needs 3 values, got 4"):
        codec.check_shape(msg, (-1, 3), "m")


@pytest.mark.parametrize("name", ["unity", "unreal", "gltf"])
def test_conventions_round_trip(name):
    conv = codec.CONVENTIONS[name]
    assert codec.convention_from_proto(codec.convention_to_proto(conv)) == conv


def test_unreal_convention_values_and_errors():
    msg = codec.convention_to_proto(codec.UNREAL)
    assert (msg.handedness, msg.up, msg.forward, msg.unit_m) == (motion_pb2.HANDEDNESS_LEFT, motion_pb2.AXIS_POS_Z, motion_pb2.AXIS_POS_X, 0.01)
    msg.unit_m = 0
    with pytest.raises(CodecError, match=r"input\.convention\.unit_m"):
        codec.convention_from_proto(msg, "input.convention")
    with pytest.raises(CodecError, match=r"convention\.up"):
        codec.convention_from_proto(motion_pb2.CoordinateConvention(handedness=1, forward=1, unit_m=1))
    assert codec.axis_name(" Y ") == "+y" and codec.axis_name("-z") == "-z"
    with pytest.raises(CodecError):
        codec.axis_name("w")


def test_formats_states_and_event_kinds():
    assert codec.image_format_to_proto("PNG") == job_pb2.IMAGE_FORMAT_PNG
    assert codec.image_format_name(job_pb2.IMAGE_FORMAT_UNSPECIFIED) == "jpeg"
    with pytest.raises(CodecError, match="'gif'"):
        codec.image_format_to_proto("gif")
    assert codec.state_name(job_pb2.JOB_STATE_RUNNING) == "JOB_STATE_RUNNING"
    ev = job_pb2.JobEvent()
    assert codec.event_kind(ev) == ""
    ev.pose.stage = "mimic"
    assert codec.event_kind(ev) == "pose"


def test_motion_pack_unpack_and_empty_translations():
    rot = [[[0, 0, 0, 1], [0, 0, 0, 1]]] * 3
    msg = codec.pack_motion(rot, [], [[] for _ in range(3)])
    assert list(msg.translations.shape) == [3, 0, 3]
    r, joints, t = codec.unpack_motion(msg, 2)
    assert len(r) == 3 and joints == [] and t == [[], [], []]
    msg = codec.pack_motion(rot, [1], [[[0.5, 1, 2]]] * 3)
    r, joints, t = codec.unpack_motion(msg, 2)
    assert joints == [1] and t[2][0] == [0.5, 1.0, 2.0]
    with pytest.raises(CodecError, match=r"motion\.rotations\.shape"):
        codec.unpack_motion(msg, 3)


def test_field_from_metadata():
    assert codec.field_from_metadata((("x", "1"), ("anymole-field", "input.fps"))) == "input.fps"
    assert codec.field_from_metadata(None) is None
