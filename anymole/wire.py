"""The library's adapter to the wire: :class:`Skeleton` / :class:`Motion` ↔ contract messages,
through THE codec (:mod:`anymole_client.codec`). Tensors go through numpy; nothing here imports
gRPC.

Values are packed as they are: the objects given hold data in the ``convention`` the request
declares (canonical by default); the server converts. Results come back in that convention.
The timeline is laid out by :meth:`~anymole.inbetween.InbetweenProblem.from_timeline` and read
back by :meth:`~anymole.inbetween.InbetweenProblem.to_timeline`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from anymole_client import codec
from anymole_client.errors import CodecError
from anymole_client.v1 import job_pb2, motion_pb2

from anymole.errors import ValidationError
from anymole.geometry.frames import Convention
from anymole.motion import Motion
from anymole.skeleton import Skeleton


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def pack_tensor(values) -> motion_pb2.FloatTensor:
    """A torch tensor or array-like → ``FloatTensor`` (float32, row-major, shape kept)."""
    return codec.pack_tensor(np.ascontiguousarray(_np(values), dtype=np.float32))


def unpack_tensor(msg: motion_pb2.FloatTensor) -> np.ndarray:
    """``FloatTensor`` → float32 array of its shape."""
    return codec.unpack_array(msg)


def convention_to_proto(conv: Convention) -> motion_pb2.CoordinateConvention:
    return codec.convention_to_proto(codec.Convention(conv.handedness, conv.up, conv.forward, conv.unit_m))


def convention_from_codec(conv: codec.Convention) -> Convention:
    """The library's :class:`Convention` of a codec convention (axes spelled canonically)."""
    return Convention(conv.up, conv.forward, conv.handedness, conv.unit_m)


def skeleton_to_proto(skeleton: Skeleton) -> motion_pb2.Skeleton:
    """Pack a skeleton (values as they are, in the request's convention)."""
    msg = motion_pb2.Skeleton(joint_names=list(skeleton.names), parents=[int(p) for p in skeleton.parents.tolist()])
    msg.rest_offsets.CopyFrom(pack_tensor(skeleton.offsets))
    msg.rest_rotations.CopyFrom(pack_tensor(skeleton.rest_rotations))
    if skeleton.has_scales:  # otherwise left out: (1, 1, 1) for every joint
        msg.rest_scales.CopyFrom(pack_tensor(skeleton.rest_scales))
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
    return codec.pack_motion(_np(motion.rotations), joints, _np(motion.translations[:, joints]))


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
    poses: bool = True,
    pose_max_rate_hz: float = 0.0,
    output_range: tuple[int, int] | None = None,
    output_fps: float = 0.0,
    anymole_options: dict | None = None,
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
        preview_format ("jpeg"/"png"), preview_max_rate_hz: preview images; poses,
        pose_max_rate_hz: pose previews.
        output_range: inclusive (first, last) timeline frames to return (None: all).
        output_fps: frame rate of the returned tracks (0: the timeline's).
        anymole_options: typed options of the ``anymole`` method (``AnymoleOptions`` field
            names, e.g. ``{"denoise_steps": 4}``).
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
    o.preview.poses_disabled = not poses
    o.preview.pose_max_rate_hz = float(pose_max_rate_hz)
    try:
        o.preview.format = codec.image_format_to_proto(preview_format)
    except CodecError as exc:
        raise ValidationError("preview_format", exc.problem) from None
    for name, value in (anymole_options or {}).items():
        if not hasattr(o.anymole, name):
            raise ValidationError("anymole_options", f"unknown option {name!r}")
        setattr(o.anymole, name, value)
    return msg


def input_from_problem(problem, *, convention: Convention | None = None, **options) -> job_pb2.TransitionInput:
    """A ``TransitionInput`` from an :class:`~anymole.inbetween.InbetweenProblem` (its
    :meth:`~anymole.inbetween.InbetweenProblem.to_timeline`). ``options`` as for
    :func:`build_transition_input`."""
    context, keys, kf = problem.to_timeline()
    return build_transition_input(problem.skeleton, context, keys, kf, convention=convention, **options)


def motion_from_result(result, skeleton: Skeleton) -> Motion:
    """A ``TransitionResult`` or ``MotionPreview``'s tracks as a :class:`Motion` ``(N, J)`` in
    the request's convention; joints without a translation track get the rest offset."""
    rot = torch.from_numpy(codec.unpack_array(result.motion.rotations).copy())
    N = rot.shape[0]
    trans = skeleton.offsets.expand(N, -1, -1).clone()
    joints = list(result.motion.translated_joints)
    if joints:
        trans[:, joints] = torch.from_numpy(codec.unpack_array(result.motion.translations).copy())
    return Motion(rot, trans, result.fps)
