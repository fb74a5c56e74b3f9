"""Build requests from library objects and read results back — the client side of the wire.

Values are packed as they are: the :class:`Skeleton` and :class:`Motion` objects given here
hold data in the ``convention`` the request declares (canonical by default); the server
converts. Results come back in that same convention, so :func:`motion_from_result` returns a
motion in the caller's frame and units.

Timeline (see ``TransitionInput`` in proto/anymole/v1/job.proto): context frames 0..C-1,
keyframes at absolute indices > C-1, the last frame is a keyframe.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from anymole.errors import ValidationError
from anymole.geometry.frames import Convention
from anymole.motion import Motion
from anymole.skeleton import Skeleton
from anymole.v1 import job_pb2, motion_pb2

_AXES = {"+x": motion_pb2.AXIS_POS_X, "-x": motion_pb2.AXIS_NEG_X, "+y": motion_pb2.AXIS_POS_Y,
         "-y": motion_pb2.AXIS_NEG_Y, "+z": motion_pb2.AXIS_POS_Z, "-z": motion_pb2.AXIS_NEG_Z}
_AXIS_NAMES = {v: k for k, v in _AXES.items()}
_FORMATS = {"jpeg": job_pb2.IMAGE_FORMAT_JPEG, "jpg": job_pb2.IMAGE_FORMAT_JPEG, "png": job_pb2.IMAGE_FORMAT_PNG}


def pack_tensor(values) -> motion_pb2.FloatTensor:
    """Array-like → ``FloatTensor`` (float32, row-major, shape kept)."""
    arr = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    msg = motion_pb2.FloatTensor(shape=list(arr.shape))
    msg.data.extend(arr.reshape(-1).tolist())
    return msg


def unpack_tensor(msg: motion_pb2.FloatTensor) -> np.ndarray:
    """``FloatTensor`` → float32 array of its shape."""
    shape = tuple(int(s) for s in msg.shape)
    return np.asarray(msg.data, dtype=np.float32).reshape(shape)


def convention_to_proto(conv: Convention) -> motion_pb2.CoordinateConvention:
    def axis(name: str) -> int:
        key = name.strip().lower()
        return _AXES["+" + key if key in ("x", "y", "z") else key]

    hand = motion_pb2.HANDEDNESS_RIGHT if conv.handedness == "right" else motion_pb2.HANDEDNESS_LEFT
    return motion_pb2.CoordinateConvention(handedness=hand, up=axis(conv.up), forward=axis(conv.forward), unit_m=conv.unit_m)


def convention_from_proto(msg: motion_pb2.CoordinateConvention) -> Convention:
    return Convention(_AXIS_NAMES[msg.up], _AXIS_NAMES[msg.forward], "right" if msg.handedness == motion_pb2.HANDEDNESS_RIGHT else "left", msg.unit_m)


def skeleton_to_proto(skeleton: Skeleton) -> motion_pb2.Skeleton:
    """Pack a skeleton (values as they are, in the request's convention)."""
    msg = motion_pb2.Skeleton(joint_names=list(skeleton.names), parents=[int(p) for p in skeleton.parents.tolist()])
    msg.rest_offsets.CopyFrom(pack_tensor(skeleton.offsets))
    msg.rest_rotations.CopyFrom(pack_tensor(skeleton.rest_rotations))
    if skeleton.mesh is not None:
        m = skeleton.mesh
        msg.mesh.vertices.CopyFrom(pack_tensor(m.vertices))
        msg.mesh.faces.extend(m.faces.reshape(-1).tolist())
        msg.mesh.joint_indices.extend(m.joint_indices.reshape(-1).tolist())
        msg.mesh.joint_weights.CopyFrom(pack_tensor(m.joint_weights))
        msg.mesh.inverse_bind_matrices.CopyFrom(pack_tensor(m.inverse_bind_matrices))
    return msg


def motion_to_proto(motion: Motion, translated_joints: Sequence[int]) -> motion_pb2.Motion:
    """Pack ``motion`` ``(T, J)``: all rotations, translations of ``translated_joints`` only."""
    joints = sorted({int(j) for j in translated_joints})
    msg = motion_pb2.Motion(translated_joints=joints)
    msg.rotations.CopyFrom(pack_tensor(motion.rotations))
    msg.translations.CopyFrom(pack_tensor(motion.translations[:, joints]))
    return msg


def default_translated_joints(skeleton: Skeleton, *motions: Motion) -> list[int]:
    """Roots plus every joint whose translation leaves its rest offset in any of ``motions``."""
    joints: set[int] = set()
    for m in motions:
        joints.update(m.translating_joints(skeleton))
    return sorted(joints)


def build_transition_input(
    skeleton: Skeleton,
    context: Motion,
    keyframes: Motion,
    keyframe_indices: Sequence[int],
    *,
    convention: Convention | None = None,
    translated_joints: Sequence[int] | None = None,
    method: str = "",
    prior: str = "",
    seed: int = 0,
    preview: bool = True,
    preview_size: tuple[int, int] = (0, 0),
    preview_max_frames: int = 0,
    preview_format: str = "jpeg",
    preview_max_rate_hz: float = 0.0,
    output_range: tuple[int, int] | None = None,
    output_fps: float = 0.0,
) -> job_pb2.TransitionInput:
    """A ``TransitionInput`` from library objects.

    Args:
        skeleton: the character, in ``convention``.
        context: ``(C, J)`` frames placed at timeline frames 0..C-1; its ``fps`` is the
            timeline's.
        keyframes: ``(K, J)`` poses at ``keyframe_indices`` (absolute timeline indices, strictly
            increasing, > C-1; the last one ends the timeline).
        convention: the frame and units of every value given (None: canonical); results come
            back in it.
        translated_joints: joints with translation tracks (default: roots and every joint whose
            translation moves in the context or keyframes).
        method, prior, seed: job options ("" = the server's default method).
        preview, preview_size (w, h; 0 = server default), preview_max_frames,
        preview_format ("jpeg"/"png"), preview_max_rate_hz: preview frames.
        output_range: inclusive (first, last) timeline frames to return (None: all).
        output_fps: frame rate of the returned tracks (0: the timeline's).
    """
    if translated_joints is None:
        translated_joints = default_translated_joints(skeleton, context, keyframes)
    msg = job_pb2.TransitionInput(fps=context.fps, keyframe_indices=[int(k) for k in keyframe_indices])
    msg.skeleton.CopyFrom(skeleton_to_proto(skeleton))
    msg.context.CopyFrom(motion_to_proto(context, translated_joints))
    msg.keyframes.CopyFrom(motion_to_proto(keyframes, translated_joints))
    if convention is not None:
        msg.convention.CopyFrom(convention_to_proto(convention))
    if output_range is not None:
        msg.output.range.first, msg.output.range.last = int(output_range[0]), int(output_range[1])
    msg.output.fps = float(output_fps)
    o = msg.options
    o.method, o.prior, o.seed = method, prior, int(seed)
    o.preview.disabled = not preview
    o.preview.width, o.preview.height = int(preview_size[0]), int(preview_size[1])
    o.preview.max_frames = int(preview_max_frames)
    o.preview.max_rate_hz = float(preview_max_rate_hz)
    try:
        o.preview.format = _FORMATS[preview_format.lower()]
    except KeyError:
        raise ValidationError("preview_format", f"must be 'jpeg' or 'png', got {preview_format!r}") from None
    return msg


def input_from_problem(problem, *, convention: Convention | None = None, **options) -> job_pb2.TransitionInput:
    """A ``TransitionInput`` from an :class:`~anymole.inbetween.InbetweenProblem`: the leading
    run of known frames is the context, every later known frame a keyframe. ``options`` as for
    :func:`build_transition_input`."""
    known = problem.known.tolist()
    C = 0
    while C < len(known) and known[C]:
        C += 1
    kf = [t for t in range(C, len(known)) if known[t]]
    if not kf:  # every frame known: the last context frame doubles as the keyframe
        C -= 1
        kf = [len(known) - 1]
    m = problem.motion
    idx = torch.tensor(kf)
    keys = Motion(m.rotations[idx], m.translations[idx], m.fps)
    return build_transition_input(problem.skeleton, m.slice(0, C), keys, kf, convention=convention, **options)


def motion_from_result(result: job_pb2.TransitionResult, skeleton: Skeleton) -> Motion:
    """The result's tracks as a :class:`Motion` ``(N, J)`` in the request's convention; joints
    without a translation track get the skeleton's rest offset."""
    rot = torch.from_numpy(unpack_tensor(result.motion.rotations).copy())
    N = rot.shape[0]
    trans = skeleton.offsets.expand(N, -1, -1).clone()
    joints = list(result.motion.translated_joints)
    if joints:
        trans[:, joints] = torch.from_numpy(unpack_tensor(result.motion.translations).copy())
    return Motion(rot, trans, result.fps)
