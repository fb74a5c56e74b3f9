"""convert.py: proto <-> library, both directions, without a server."""

from __future__ import annotations

import pytest
import torch

from anymole.errors import UnsupportedError, ValidationError
from anymole.geometry import frames
from anymole.motion import Motion
from anymole.pipeline import LogEvent, PreviewEvent, ProgressEvent, StageEvent, TransitionResult
from anymole.skeleton import Skeleton, SkinnedMesh
from anymole_client.v1 import job_pb2, motion_pb2
from anymole_server import convert
from anymole_server.config import Limits
from anymole_server.testing import CONTEXT, KEYFRAMES, make_input, sine_motion

CONVENTIONS = [frames.GLTF, frames.UNITY, frames.UNREAL, frames.BLENDER]
IDS = ["gltf", "unity", "unreal", "blender"]


def test_tensor_round_trip_and_errors():
    x = torch.randn(3, 4, 2)
    msg = convert.tensor_to_proto(x)
    assert list(msg.shape) == [3, 4, 2]
    assert torch.equal(convert.tensor_from_proto(msg, (-1, 4, 2), "f"), x)
    with pytest.raises(ValidationError, match=r"f\.shape: expected shape \[\*, 5, 2\]"):
        convert.tensor_from_proto(msg, (-1, 5, 2), "f")
    msg.data.append(1.0)
    with pytest.raises(ValidationError, match=r"f\.data: shape \[3, 4, 2\] needs 24 values, got 25"):
        convert.tensor_from_proto(msg, (-1, 4, 2), "f")
    empty = convert.tensor_to_proto(torch.zeros(0, 3))
    assert convert.tensor_from_proto(empty, (-1, 3), "e").shape == (0, 3)


@pytest.mark.parametrize("conv", CONVENTIONS, ids=IDS)
def test_convention_round_trip(conv):
    assert convert.convention_from_proto(convert.convention_to_proto(conv)) == conv


def test_convention_proto_values():
    msg = convert.convention_to_proto(frames.UNREAL)
    assert (msg.handedness, msg.up, msg.forward, msg.unit_m) == (motion_pb2.HANDEDNESS_LEFT, motion_pb2.AXIS_POS_Z, motion_pb2.AXIS_POS_X, 0.01)


def _mesh_skeleton(character) -> Skeleton:
    skeleton = character[0]
    J = skeleton.num_joints
    vertices = torch.tensor([[0.1, 1.0, 0.0], [-0.1, 1.0, 0.0], [0.0, 1.3, 0.05]])
    ibm = torch.eye(4).repeat(J, 1, 1)
    ibm[:, 1, 3] = -torch.arange(J, dtype=torch.float32) * 0.2 - 1.0
    mesh = SkinnedMesh(vertices, torch.tensor([[0, 1, 2]]), torch.tensor([[0, 1], [0, 1], [2, 1]]), torch.tensor([[0.5, 0.5], [1.0, 0.0], [0.7, 0.3]]), ibm)
    return skeleton.with_mesh(mesh)


@pytest.mark.parametrize("conv", CONVENTIONS, ids=IDS)
def test_skeleton_round_trip(character, conv):
    skeleton = _mesh_skeleton(character)
    msg = convert.skeleton_to_proto(skeleton, conv)
    back = convert.skeleton_from_proto(msg, conv, Limits())
    assert back.names == skeleton.names and torch.equal(back.parents, skeleton.parents)
    torch.testing.assert_close(back.offsets, skeleton.offsets, atol=1e-6, rtol=0)
    torch.testing.assert_close(back.rest_rotations, skeleton.rest_rotations, atol=1e-7, rtol=0)
    torch.testing.assert_close(back.mesh.vertices, skeleton.mesh.vertices, atol=1e-6, rtol=0)
    torch.testing.assert_close(back.mesh.inverse_bind_matrices, skeleton.mesh.inverse_bind_matrices, atol=1e-6, rtol=0)
    assert torch.equal(back.mesh.faces, skeleton.mesh.faces)
    wire_faces = list(msg.mesh.faces)
    assert wire_faces == ([0, 2, 1] if conv.det < 0 else [0, 1, 2])  # winding flips with handedness


def test_skeleton_in_unreal_units(character):
    skeleton = character[0]
    msg = convert.skeleton_to_proto(skeleton, frames.UNREAL)
    root = list(msg.rest_offsets.data[:3])
    assert root == pytest.approx([0.0, 0.0, 100.0])  # 1 m up (canonical +Y) = 100 cm along Unreal +Z
    empty_rest = motion_pb2.Skeleton()
    empty_rest.CopyFrom(msg)
    empty_rest.ClearField("rest_rotations")
    back = convert.skeleton_from_proto(empty_rest, frames.UNREAL, Limits())
    assert torch.equal(back.rest_rotations, torch.tensor([[0.0, 0.0, 0.0, 1.0]]).repeat(5, 1))


@pytest.mark.parametrize("conv", CONVENTIONS, ids=IDS)
def test_motion_round_trip(character, conv):
    skeleton, motion = character
    msg = convert.motion_to_proto(motion, [0, 1], conv)
    assert list(msg.rotations.shape) == [40, 5, 4] and list(msg.translations.shape) == [40, 2, 3]
    back = convert.motion_from_proto(msg, skeleton, motion.fps, conv)
    torch.testing.assert_close(back.rotations, motion.rotations, atol=1e-7, rtol=0)
    torch.testing.assert_close(back.translations, motion.translations, atol=2e-6, rtol=0)


def test_motion_without_translation_tracks_uses_rest_offsets(character):
    skeleton, motion = character
    msg = convert.motion_to_proto(motion, [])
    back = convert.motion_from_proto(msg, skeleton, 30.0)
    assert torch.equal(back.translations, skeleton.offsets.expand(40, -1, -1))


def test_job_from_proto_lays_out_the_timeline(character):
    skeleton, motion = character
    spec = convert.job_from_proto(make_input(character), Limits())
    problem = spec.request.problem
    assert problem.num_frames == KEYFRAMES[-1] + 1
    known = torch.zeros(40, dtype=torch.bool)
    known[:CONTEXT] = True
    known[list(KEYFRAMES)] = True
    assert torch.equal(problem.known, known)
    assert torch.equal(problem.motion.rotations[known], motion.rotations[known])
    assert torch.equal(problem.motion.translations[known], motion.translations[known])
    assert spec.translated_joints == (0, 1) and (spec.output_first, spec.output_last, spec.output_fps) == (0, 39, 30.0)
    assert spec.request.preview.size == (64, 48) and spec.request.preview.max_frames == 3
    assert spec.method == convert.default_method()


def test_job_defaults_and_method_checks(character):
    msg = make_input(character, method="", preview_size=(0, 0), preview_max_frames=0)
    spec = convert.job_from_proto(msg, Limits())
    assert spec.method == convert.default_method()
    assert spec.request.preview.size == (256, 256) and spec.request.preview.max_frames == 8
    with pytest.raises(UnsupportedError, match="video prior"):
        convert.job_from_proto(make_input(character, method="anymole"), Limits())
    with pytest.raises(ValidationError) as err:
        convert.job_from_proto(make_input(character, method="magic"), Limits())
    assert err.value.field == "input.options.method"
    spec = convert.job_from_proto(make_input(character, method="zero_velocity", prior="ltx"), Limits())
    assert any("prior" in w for w in spec.warnings)


def _solved(spec) -> TransitionResult:
    from anymole.inbetween import METHODS

    motion = METHODS["interpolation"](spec.request.problem)
    return TransitionResult(motion=motion, method="interpolation", keyframe_error=0.0, timings_s={"inbetween": 0.01})


@pytest.mark.parametrize("conv", [frames.UNITY, frames.UNREAL], ids=["unity", "unreal"])
def test_result_to_proto_in_caller_convention(character, conv):
    skeleton, motion = character
    msg = make_input(character, convention=conv, output_range=(15, 39))
    spec = convert.job_from_proto(msg, Limits())
    result = _solved(spec)
    out = convert.result_to_proto(result, spec)
    assert out.first_frame == 15 and out.fps == 30.0 and list(out.motion.rotations.shape) == [25, 5, 4]
    assert list(out.motion.translated_joints) == [0, 1] and list(out.motion.translations.shape) == [25, 2, 3]
    back = convert.motion_from_proto(out.motion, spec.request.problem.skeleton, out.fps, conv)
    torch.testing.assert_close(back.rotations, result.motion.rotations[15:], atol=1e-7, rtol=0)
    torch.testing.assert_close(back.translations, result.motion.translations[15:], atol=2e-6, rtol=0)
    # the caller's keyframe values come back bit-identical (frame 39 is row 24)
    rows = torch.tensor(list(out.motion.rotations.data)).reshape(25, 5, 4)
    sent = torch.tensor(list(msg.keyframes.rotations.data)).reshape(2, 5, 4)
    assert torch.equal(rows[24], sent[1]) and out.timings_s["inbetween"] == pytest.approx(0.01)


def test_result_resampled_to_output_fps(character):
    spec = convert.job_from_proto(make_input(character, output_fps=60.0, output_range=(20, 30)), Limits())
    out = convert.result_to_proto(_solved(spec), spec)
    assert out.fps == 60.0 and list(out.motion.rotations.shape) == [21, 5, 4]
    with pytest.raises(ValidationError) as err:
        convert.job_from_proto(make_input(character, output_fps=-1.0), Limits())
    assert err.value.field == "input.output.fps"


def test_result_warns_when_untracked_joints_move(character):
    skeleton = character[0]
    spec = convert.job_from_proto(make_input(character, translated_joints=[0]), Limits())
    moved = sine_motion(skeleton, 40)  # joint 1 translates, but has no track in this request
    result = TransitionResult(motion=moved, method="interpolation", keyframe_error=0.0)
    out = convert.result_to_proto(result, spec)
    assert any("translation track" in w for w in out.warnings)


def test_pipeline_events_to_proto():
    ev = convert.event_to_proto(StageEvent("inbetween"), job_pb2.JobEvent())
    assert ev.WhichOneof("kind") == "stage" and ev.stage.stage == "inbetween"
    ev = convert.event_to_proto(ProgressEvent(0.25, "a quarter"), job_pb2.JobEvent())
    assert ev.progress.fraction == 0.25 and ev.progress.message == "a quarter"
    ev = convert.event_to_proto(PreviewEvent(b"\x89PNG", "png", 32, 16, 25, "inbetween", 3), job_pb2.JobEvent())
    p = ev.preview
    assert (p.format, p.image, p.width, p.height, p.frame_index, p.stage, p.step) == (job_pb2.IMAGE_FORMAT_PNG, b"\x89PNG", 32, 16, 25, "inbetween", 3)
    ev = convert.event_to_proto(LogEvent("warning", "careful"), job_pb2.JobEvent())
    assert (ev.log.level, ev.log.message) == ("warning", "careful")


def test_motion_object_validation_names_the_field(character):
    skeleton, _ = character
    bad = convert.motion_to_proto(Motion.rest(skeleton, 3), [0])
    bad.rotations.data[3] = 0.0
    bad.rotations.data[0:3] = [0.0, 0.0, 0.0]
    with pytest.raises(ValidationError) as err:
        convert.motion_from_proto(bad, skeleton, 30.0, field="input.context")
    assert err.value.field == "input.context.rotations" and "zero-length quaternion" in err.value.problem
