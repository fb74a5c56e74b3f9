"""What only the server does with the wire contract (``anymole.v1``): validation with field
paths, canonicalisation, and answering in the caller's terms. The mechanical part (tensor
packing, convention and format tables) is THE codec, :mod:`anymole_client.codec`.

Inbound: a ``TransitionInput`` is validated field by field (every problem is a
:class:`ValidationError` whose ``field`` is the proto path, e.g. ``input.skeleton.parents``),
converted from the caller's convention to the canonical frame with
:mod:`anymole.geometry.frames`, and laid out on the timeline as an :class:`InbetweenProblem`:

    frames 0 .. C-1            context (known)
    keyframe_indices[k]        keyframes (known), strictly increasing, > C-1
    T = keyframe_indices[-1] + 1; every other frame unknown.

Outbound: a :class:`TransitionResult` (canonical) becomes the caller's frame and units again,
restricted to the requested output range and frame rate, with translation tracks for the
request's translated joints. Known frames come back bit-identical to what the caller sent
(when no resampling is asked for), so keyframes survive the unit round trip exactly. Pose
previews are packed exactly like results.

Also here: pipeline events to their proto messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from anymole_client import codec
from anymole_client.errors import CodecError
from anymole_client.v1 import job_pb2, motion_pb2
from torch import Tensor

from anymole.checks import check_quaternions
from anymole.errors import UnsupportedError, ValidationError
from anymole.geometry import frames
from anymole.geometry.frames import Convention
from anymole.inbetween import InbetweenProblem
from anymole.job import LogEvent, PoseEvent, PreviewEvent, PreviewOptions, ProgressEvent, StageEvent, TransitionRequest, TransitionResult
from anymole.methods.catalogue import CATALOGUE, DEFAULT_METHOD, availability, available_methods
from anymole.motion import Motion
from anymole.skeleton import Skeleton, SkinnedMesh
from anymole.wire import convention_from_codec
from anymole.wire import convention_to_proto as convention_to_proto
from anymole_server.config import Limits

DEFAULT_PREVIEW_SIZE = 256
DEFAULT_PREVIEW_FRAMES = 8
DEFAULT_POSE_RATE_HZ = 4.0
MIN_PREVIEW_SIZE = 16
MAX_IDEMPOTENCY_KEY = 128
MAX_NAME_LENGTH = 256
MAX_SCALE = 1e4


def default_method() -> str:
    """The catalogue's default method (``spline``)."""
    return DEFAULT_METHOD


def short(text: str, limit: int = 64) -> str:
    """``repr`` of a client-supplied string, cut to ``limit`` characters: errors never echo an
    unbounded client string."""
    text = str(text)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def _invalid(exc: CodecError) -> ValidationError:
    return ValidationError(exc.field, exc.problem)


# -- tensors --------------------------------------------------------------------------------


def tensor_to_proto(values: Tensor | np.ndarray) -> motion_pb2.FloatTensor:
    """Any float array → ``FloatTensor`` (float32, row-major), through the codec."""
    arr = values.detach().cpu().numpy() if isinstance(values, Tensor) else np.asarray(values)
    return codec.pack_tensor(np.ascontiguousarray(arr, dtype=np.float32))


def tensor_from_proto(msg: motion_pb2.FloatTensor, expected: tuple[int, ...], field: str) -> Tensor:
    """``FloatTensor`` → float32 tensor of shape ``expected`` (``-1``: any size): the codec
    checks rank, sizes and value count; here every value must also be finite."""
    try:
        arr = codec.unpack_array(msg, expected, field)
    except CodecError as exc:
        raise _invalid(exc) from None
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = [int(i) for i in np.argwhere(bad)[0]]
        kind = "NaN" if np.isnan(arr[tuple(idx)]) else "infinity"
        raise ValidationError(field, f"contains {kind} at index {idx}")
    return torch.from_numpy(arr.copy())


_is_empty = codec.is_empty


def check_extent(values: Tensor, conv: Convention, limits: Limits, field: str) -> None:
    """Positions (caller units) must lie within ``limits.max_extent_m`` metres of the origin,
    so that no later step overflows float32 (values near 3.4e38 are finite but unusable)."""
    if values.numel():
        m = float(values.abs().max()) * conv.unit_m
        if not m <= limits.max_extent_m:
            raise ValidationError(field, f"a value lies {m:.3g} m from the origin; this server accepts up to {limits.max_extent_m:g} m (check convention.unit_m)")


def check_budget(msg: job_pb2.TransitionInput, limits: Limits, field: str = "input") -> None:
    """Counts only, before anything is decoded: every tensor and index array of the request
    against ``limits.max_decoded_bytes`` (float32 at 4 bytes, indices at 8), the keyframe count
    against ``max_frames``."""
    if len(msg.keyframe_indices) > limits.max_frames:
        raise ValidationError(f"{field}.keyframe_indices", f"{len(msg.keyframe_indices)} keyframes exceed this server's limit of {limits.max_frames} frames")
    sk, mesh = msg.skeleton, msg.skeleton.mesh
    tensors = [sk.rest_offsets, sk.rest_rotations, sk.rest_scales, mesh.vertices, mesh.joint_weights, mesh.inverse_bind_matrices,
               msg.context.rotations, msg.context.translations, msg.keyframes.rotations, msg.keyframes.translations]
    floats = sum(len(t.data) for t in tensors)
    indices = (len(sk.parents) + len(mesh.faces) + len(mesh.joint_indices) + len(msg.keyframe_indices)
               + len(msg.context.translated_joints) + len(msg.keyframes.translated_joints))
    total = 4 * floats + 8 * indices
    if total > limits.max_decoded_bytes:
        raise ValidationError(field, f"decodes to {total / 2**20:.1f} MiB; this server's limit is {limits.max_decoded_bytes / 2**20:.0f} MiB")


def check_fps(value: float, limits: Limits, field: str) -> float:
    fps = float(value)
    if not (math.isfinite(fps) and limits.min_fps <= fps <= limits.max_fps):
        raise ValidationError(field, f"must be a frame rate in [{limits.min_fps:g}, {limits.max_fps:g}] frames per second, got {value!r}")
    return fps


# -- conventions ----------------------------------------------------------------------------


def convention_from_proto(msg: motion_pb2.CoordinateConvention, field: str = "input.convention", limits: Limits | None = None) -> Convention:
    """Proto convention → :class:`Convention`; every field required, axes not parallel, unit
    within the limits' plausible range."""
    limits = limits or Limits()
    if math.isfinite(msg.unit_m) and msg.unit_m > 0 and not limits.min_unit_m <= msg.unit_m <= limits.max_unit_m:
        raise ValidationError(f"{field}.unit_m", f"{msg.unit_m!r} m per unit is outside [{limits.min_unit_m:g}, {limits.max_unit_m:g}] (1.0 for m, 0.01 for cm)")
    try:
        conv = codec.convention_from_proto(msg, field)
    except CodecError as exc:
        raise _invalid(exc) from None
    try:
        return convention_from_codec(conv)
    except ValidationError as exc:  # parallel axes
        raise ValidationError(f"{field}.{exc.field.split('.')[-1]}", exc.problem) from None


# -- skeleton -------------------------------------------------------------------------------

_SKELETON_FIELDS = {"names": "joint_names", "parents": "parents", "offsets": "rest_offsets", "rest_rotations": "rest_rotations"}


def skeleton_from_proto(msg: motion_pb2.Skeleton, conv: Convention, limits: Limits, field: str = "input.skeleton") -> Skeleton:
    """Proto skeleton (caller frame) → canonical :class:`Skeleton`."""
    J = len(msg.joint_names)
    if J == 0:
        raise ValidationError(f"{field}.joint_names", "empty skeleton: at least one joint is required")
    if J > limits.max_joints:
        raise ValidationError(f"{field}.joint_names", f"{J} joints exceed this server's limit of {limits.max_joints}")
    names = list(msg.joint_names)
    for i, n in enumerate(names):
        if not n or len(n) > MAX_NAME_LENGTH:
            raise ValidationError(f"{field}.joint_names", f"joint {i}'s name is empty or longer than {MAX_NAME_LENGTH} characters")
    if len(set(names)) != J:
        dup = next(n for k, n in enumerate(names) if n in names[:k])
        raise ValidationError(f"{field}.joint_names", f"duplicate joint name {short(dup)}")
    parents = list(msg.parents)
    if len(parents) != J:
        raise ValidationError(f"{field}.parents", f"{len(parents)} parents for {J} joint names")
    for i, p in enumerate(parents):
        if p < -1 or p >= J:
            raise ValidationError(f"{field}.parents", f"joint {i} ({short(names[i])}) has parent {p} outside [-1, {J})")
        if p >= i:
            raise ValidationError(
                f"{field}.parents",
                f"parents are not sorted: joint {i} ({short(names[i])}) has parent {p}; every parent must come before its children",
            )
    offsets = tensor_from_proto(msg.rest_offsets, (J, 3), f"{field}.rest_offsets")
    check_extent(offsets, conv, limits, f"{field}.rest_offsets")
    rest = None
    if not _is_empty(msg.rest_rotations):
        rest = tensor_from_proto(msg.rest_rotations, (J, 4), f"{field}.rest_rotations")
        rest = frames.quaternions_to_canonical(check_quaternions(f"{field}.rest_rotations", rest), conv)
    scales = None
    if not _is_empty(msg.rest_scales):
        scales = tensor_from_proto(msg.rest_scales, (J, 3), f"{field}.rest_scales")
        bad = (scales < 1.0 / MAX_SCALE) | (scales > MAX_SCALE)
        if bool(bad.any()):
            j = int(bad.any(dim=1).nonzero()[0])
            raise ValidationError(f"{field}.rest_scales", f"joint {j} ({short(names[j])}) has scale {scales[j].tolist()}; scales must lie in [{1 / MAX_SCALE:g}, {MAX_SCALE:g}] (mirroring is not supported)")
        scales = frames.scales_to_canonical(scales, conv)
    mesh = mesh_from_proto(msg.mesh, J, conv, f"{field}.mesh", limits) if msg.HasField("mesh") else None
    try:
        return Skeleton(tuple(names), torch.tensor(parents, dtype=torch.int64), frames.positions_to_canonical(offsets, conv), rest, mesh, rest_scales=scales)
    except ValidationError as exc:
        head, _, tail = exc.field.partition(".")
        sub = _SKELETON_FIELDS.get(tail, tail) if head == "skeleton" else exc.field
        raise ValidationError(f"{field}.{sub}", exc.problem) from None


def mesh_from_proto(msg: motion_pb2.SkinnedMesh, num_joints: int, conv: Convention, field: str, limits: Limits | None = None) -> SkinnedMesh:
    limits = limits or Limits()
    n_vertices = len(msg.vertices.data) // 3
    if n_vertices > limits.max_vertices:
        raise ValidationError(f"{field}.vertices", f"{n_vertices} vertices exceed this server's limit of {limits.max_vertices}")
    if len(msg.faces) // 3 > limits.max_faces:
        raise ValidationError(f"{field}.faces", f"{len(msg.faces) // 3} triangles exceed this server's limit of {limits.max_faces}")
    vertices = tensor_from_proto(msg.vertices, (-1, 3), f"{field}.vertices")
    check_extent(vertices, conv, limits, f"{field}.vertices")
    N = vertices.shape[0]
    if len(msg.faces) % 3:
        raise ValidationError(f"{field}.faces", f"length {len(msg.faces)} is not a multiple of 3")
    faces = torch.from_numpy(np.asarray(msg.faces, dtype=np.int64)).reshape(-1, 3)
    if faces.numel() and int(faces.max()) >= N:
        raise ValidationError(f"{field}.faces", f"vertex index {int(faces.max())} out of range [0, {N})")
    weights = tensor_from_proto(msg.joint_weights, (N, -1), f"{field}.joint_weights")
    influences = weights.shape[1]
    if influences > limits.max_influences:
        raise ValidationError(f"{field}.joint_weights", f"{influences} influences per vertex exceed this server's limit of {limits.max_influences}")
    if bool((weights < 0).any()):
        raise ValidationError(f"{field}.joint_weights", "weights must be non-negative")
    if len(msg.joint_indices) != N * influences:
        raise ValidationError(f"{field}.joint_indices", f"expected {N}*{influences} = {N * influences} indices, got {len(msg.joint_indices)}")
    joint_indices = torch.from_numpy(np.asarray(msg.joint_indices, dtype=np.int64)).reshape(N, influences)
    if joint_indices.numel() and int(joint_indices.max()) >= num_joints:
        raise ValidationError(f"{field}.joint_indices", f"joint index {int(joint_indices.max())} out of range [0, {num_joints})")
    ibm = tensor_from_proto(msg.inverse_bind_matrices, (num_joints, 4, 4), f"{field}.inverse_bind_matrices")
    if float(ibm.abs().max()) * conv.unit_m > limits.max_extent_m * MAX_SCALE:
        raise ValidationError(f"{field}.inverse_bind_matrices", "has values far beyond any character's size")
    if conv.det < 0:  # a reflection turns counter-clockwise winding clockwise
        faces = faces[:, [0, 2, 1]]
    try:
        return SkinnedMesh(
            frames.positions_to_canonical(vertices, conv),
            faces,
            joint_indices,
            weights,
            frames.matrices_to_canonical(ibm, conv),
        )
    except ValidationError as exc:
        raise ValidationError(f"{field}.{exc.field.split('.', 1)[-1]}", exc.problem) from None


def skeleton_to_proto(skeleton: Skeleton, conv: Convention = frames.CANONICAL) -> motion_pb2.Skeleton:
    """Canonical :class:`Skeleton` → proto in ``conv``."""
    msg = motion_pb2.Skeleton(joint_names=list(skeleton.names), parents=skeleton.parents.tolist())
    msg.rest_offsets.CopyFrom(tensor_to_proto(frames.positions_from_canonical(skeleton.offsets, conv)))
    msg.rest_rotations.CopyFrom(tensor_to_proto(frames.quaternions_from_canonical(skeleton.rest_rotations, conv)))
    if skeleton.has_scales:
        msg.rest_scales.CopyFrom(tensor_to_proto(frames.scales_from_canonical(skeleton.rest_scales, conv)))
    if skeleton.mesh is not None:
        m = skeleton.mesh
        faces = m.faces[:, [0, 2, 1]] if conv.det < 0 else m.faces
        msg.mesh.vertices.CopyFrom(tensor_to_proto(frames.positions_from_canonical(m.vertices, conv)))
        msg.mesh.faces.extend(faces.reshape(-1).tolist())
        msg.mesh.joint_indices.extend(m.joint_indices.reshape(-1).tolist())
        msg.mesh.joint_weights.CopyFrom(tensor_to_proto(m.joint_weights))
        msg.mesh.inverse_bind_matrices.CopyFrom(tensor_to_proto(frames.matrices_from_canonical(m.inverse_bind_matrices, conv)))
    return msg


# -- motion ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RawTracks:
    """A proto motion unpacked but still in the caller's frame: rotations ``(T, J, 4)``
    (validated, normalised), translations ``(T, M, 3)`` of ``translated_joints``."""

    rotations: Tensor
    translations: Tensor
    translated_joints: tuple[int, ...]

    @property
    def num_frames(self) -> int:
        return int(self.rotations.shape[0])


def motion_tracks_from_proto(msg: motion_pb2.Motion, num_joints: int, limits: Limits, field: str) -> RawTracks:
    """Validate and unpack a proto motion (caller frame, no conversion)."""
    rot = tensor_from_proto(msg.rotations, (-1, num_joints, 4), f"{field}.rotations")
    T = rot.shape[0]
    if T < 1:
        raise ValidationError(f"{field}.rotations", "has no frames")
    if T > limits.max_frames:
        raise ValidationError(f"{field}.rotations", f"{T} frames exceed this server's limit of {limits.max_frames}")
    rot = check_quaternions(f"{field}.rotations", rot)
    joints = [int(j) for j in msg.translated_joints]
    for k, j in enumerate(joints):
        if j >= num_joints:
            raise ValidationError(f"{field}.translated_joints", f"joint index {j} (entry {k}) out of range [0, {num_joints})")
        if k and j <= joints[k - 1]:
            raise ValidationError(f"{field}.translated_joints", f"must be strictly increasing; entry {k} is {j} after {joints[k - 1]}")
    M = len(joints)
    if M == 0 and _is_empty(msg.translations):
        trans = torch.zeros(T, 0, 3)
    else:
        trans = tensor_from_proto(msg.translations, (-1, M, 3), f"{field}.translations")
        if trans.shape[0] != T:
            raise ValidationError(f"{field}.translations", f"has {trans.shape[0]} frames, rotations have {T}")
    return RawTracks(rot, trans, tuple(joints))


def tracks_to_canonical(tracks: RawTracks, skeleton: Skeleton, conv: Convention) -> tuple[Tensor, Tensor]:
    """Canonical local rotations ``(T, J, 4)`` and translations ``(T, J, 3)`` (rest offsets for
    joints without a track)."""
    rot = frames.quaternions_to_canonical(tracks.rotations, conv)
    trans = skeleton.offsets.expand(tracks.num_frames, -1, -1).clone()
    if tracks.translated_joints:
        trans[:, list(tracks.translated_joints)] = frames.positions_to_canonical(tracks.translations, conv)
    return rot, trans


def motion_from_proto(msg: motion_pb2.Motion, skeleton: Skeleton, fps: float, conv: Convention = frames.CANONICAL, limits: Limits | None = None, field: str = "motion") -> Motion:
    """Proto motion in ``conv`` → canonical :class:`Motion` of ``skeleton`` (canonical)."""
    tracks = motion_tracks_from_proto(msg, skeleton.num_joints, limits or Limits(), field)
    rot, trans = tracks_to_canonical(tracks, skeleton, conv)
    return Motion(rot, trans, fps)


def motion_to_proto(motion: Motion, translated_joints, conv: Convention = frames.CANONICAL) -> motion_pb2.Motion:
    """Canonical :class:`Motion` → proto in ``conv`` with translation tracks for
    ``translated_joints`` (strictly increasing joint indices)."""
    joints = [int(j) for j in translated_joints]
    msg = motion_pb2.Motion(translated_joints=joints)
    msg.rotations.CopyFrom(tensor_to_proto(frames.quaternions_from_canonical(motion.rotations, conv)))
    msg.translations.CopyFrom(tensor_to_proto(frames.positions_from_canonical(motion.translations[:, joints], conv)))
    return msg


# -- the job --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class JobSpec:
    """A validated job: the canonical pipeline request plus what is needed to answer in the
    caller's terms.

    ``known_rotations`` ``(T, J, 4)`` / ``known_translations`` ``(T, M, 3)``: the caller's own
    values (caller frame) at the known frames, so that they come back exactly."""

    request: TransitionRequest
    convention: Convention
    fps: float
    translated_joints: tuple[int, ...]
    output_first: int
    output_last: int
    output_fps: float
    known_rotations: Tensor
    known_translations: Tensor
    warnings: tuple[str, ...] = field(default=())

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def num_frames(self) -> int:
        return self.request.problem.num_frames


def check_method(options: job_pb2.JobOptions, video_priors: tuple[str, ...], field: str = "input.options") -> tuple[str, list[str]]:
    """The method to run (default filled in) and warnings, from the catalogue: unknown →
    ValidationError, known but not runnable here → UnsupportedError (FAILED_PRECONDITION)."""
    method = options.method or DEFAULT_METHOD
    spec = CATALOGUE.get(method)
    warnings: list[str] = []
    if spec is None:
        raise ValidationError(f"{field}.method", f"unknown method {short(method)}; known: {list(CATALOGUE)}")
    runnable, reason = availability(method, video_priors)
    if not runnable:
        raise UnsupportedError(f"method {short(method)} {reason}. Runnable here: {list(available_methods(bool(video_priors)))}")
    if spec.needs_prior:
        if options.prior and options.prior not in video_priors:
            raise UnsupportedError(f"video prior {short(options.prior)} is not configured on this server; configured: {list(video_priors)}")
    elif options.prior:
        warnings.append(f"options.prior {short(options.prior)} ignored: method {method!r} uses no video prior")
    return method, warnings


def method_options_from_proto(options: job_pb2.JobOptions, method: str, field: str = "input.options") -> dict:
    """The typed options of ``method`` that the request sets (catalogue names → values),
    checked against the catalogue's types and ranges."""
    spec = CATALOGUE[method]
    present = {}
    if options.HasField("anymole"):
        present = {f.name: v for f, v in options.anymole.ListFields()}
        if present and spec.options_field != "anymole":
            raise ValidationError(f"{field}.anymole", f"options of method 'anymole' set for method {method!r}, which takes none")
    out = {}
    for name, value in present.items():
        try:
            out[name] = spec.option(name).check(value)
        except ValueError as exc:
            raise ValidationError(f"{field}.{spec.options_field}.{name}", str(exc)) from None
    return out


def preview_from_proto(msg: job_pb2.PreviewOptions, limits: Limits, field: str = "input.options.preview") -> PreviewOptions:
    """Preview options (images and poses), checked against the limits."""
    width = msg.width or DEFAULT_PREVIEW_SIZE
    height = msg.height or DEFAULT_PREVIEW_SIZE
    for name, v in (("width", width), ("height", height)):
        if not MIN_PREVIEW_SIZE <= v <= limits.max_preview_size:
            raise ValidationError(f"{field}.{name}", f"{v} px outside [{MIN_PREVIEW_SIZE}, {limits.max_preview_size}]")
    max_frames = msg.max_frames or DEFAULT_PREVIEW_FRAMES
    if max_frames > limits.max_preview_frames:
        raise ValidationError(f"{field}.max_frames", f"{max_frames} exceeds this server's limit of {limits.max_preview_frames}")
    if not msg.disabled and width * height * max_frames > limits.max_preview_pixels:
        raise ValidationError(
            f"{field}.max_frames",
            f"{max_frames} frames of {width}×{height} exceed this server's preview budget of {limits.max_preview_pixels} pixels per stage",
        )
    try:
        image_format = codec.image_format_name(msg.format, f"{field}.format")
    except CodecError as exc:
        raise _invalid(exc) from None
    for name in ("max_rate_hz", "pose_max_rate_hz"):
        rate = float(getattr(msg, name))
        if not (math.isfinite(rate) and rate >= 0):
            raise ValidationError(f"{field}.{name}", f"must be >= 0 (0: the default), got {rate!r}")
    return PreviewOptions(
        size=(width, height), max_frames=max_frames, image_format=image_format, enabled=not msg.disabled,
        max_rate_hz=float(msg.max_rate_hz), poses=not msg.poses_disabled, pose_rate_hz=float(msg.pose_max_rate_hz) or DEFAULT_POSE_RATE_HZ,
    )


def job_from_proto(msg: job_pb2.TransitionInput, limits: Limits, video_priors: tuple[str, ...] = (), field: str = "input") -> JobSpec:
    """Validate a ``TransitionInput`` and build the canonical pipeline request.

    Raises :class:`ValidationError` (field = proto path) or :class:`UnsupportedError`."""
    # 1. Options first: cheap, and an unrunnable method is reported whatever the data.
    method, warnings = check_method(msg.options, video_priors, f"{field}.options")
    method_options = method_options_from_proto(msg.options, method, f"{field}.options")
    preview = preview_from_proto(msg.options.preview, limits, f"{field}.options.preview")

    # 2. Timeline shape, before unpacking any array
    check_budget(msg, limits, field)
    fps = check_fps(msg.fps, limits, f"{field}.fps")
    if not msg.HasField("skeleton"):
        raise ValidationError(f"{field}.skeleton", "is required")
    if not msg.HasField("context"):
        raise ValidationError(f"{field}.context", "is required (at least one frame of context)")
    kf = [int(k) for k in msg.keyframe_indices]  # at most max_frames of them (check_budget)
    if not kf:
        raise ValidationError(f"{field}.keyframe_indices", "at least one keyframe is required (the last frame of the timeline)")
    for k in range(1, len(kf)):
        if kf[k] == kf[k - 1]:
            raise ValidationError(f"{field}.keyframe_indices", f"duplicate keyframe index {kf[k]} (entries {k - 1} and {k})")
        if kf[k] < kf[k - 1]:
            raise ValidationError(f"{field}.keyframe_indices", f"must be strictly increasing; entry {k} is {kf[k]} after {kf[k - 1]}")
    T = kf[-1] + 1
    if T > limits.max_frames:
        raise ValidationError(f"{field}.keyframe_indices", f"timeline of {T} frames exceeds this server's limit of {limits.max_frames}")

    # 3. Convention and skeleton
    conv = convention_from_proto(msg.convention, f"{field}.convention", limits) if msg.HasField("convention") else frames.CANONICAL
    skeleton = skeleton_from_proto(msg.skeleton, conv, limits, f"{field}.skeleton")
    J = skeleton.num_joints

    # 4. Context and keyframes on the timeline
    ctx = motion_tracks_from_proto(msg.context, J, limits, f"{field}.context")
    C = ctx.num_frames
    if kf[0] <= C - 1:
        raise ValidationError(
            f"{field}.keyframe_indices", f"keyframe {kf[0]} lies inside the context (frames 0..{C - 1}); keyframes must be > {C - 1}"
        )
    if not msg.HasField("keyframes"):
        raise ValidationError(f"{field}.keyframes", f"is required ({len(kf)} frames, one per keyframe index)")
    keys = motion_tracks_from_proto(msg.keyframes, J, limits, f"{field}.keyframes")
    if keys.num_frames != len(kf):
        raise ValidationError(f"{field}.keyframes.rotations", f"has {keys.num_frames} frames for {len(kf)} keyframe indices")
    if keys.translated_joints != ctx.translated_joints:
        raise ValidationError(
            f"{field}.keyframes.translated_joints",
            f"must equal context.translated_joints {list(ctx.translated_joints)}, got {list(keys.translated_joints)}",
        )
    check_extent(ctx.translations, conv, limits, f"{field}.context.translations")
    check_extent(keys.translations, conv, limits, f"{field}.keyframes.translations")
    ctx_rot, ctx_trans = tracks_to_canonical(ctx, skeleton, conv)
    key_rot, key_trans = tracks_to_canonical(keys, skeleton, conv)
    problem = InbetweenProblem.from_timeline(skeleton, Motion(ctx_rot, ctx_trans, fps), Motion(key_rot, key_trans, fps), kf, field=f"{field}.keyframe_indices")
    # The caller's own values at the known frames, to hand back exactly.
    raw_rot = torch.zeros(T, J, 4)
    raw_trans = torch.zeros(T, len(ctx.translated_joints), 3)
    raw_rot[:C], raw_trans[:C] = ctx.rotations, ctx.translations
    raw_rot[kf], raw_trans[kf] = keys.rotations, keys.translations
    if bool(problem.known.all()):
        warnings.append("no unknown frames: every timeline frame is context or a keyframe")

    # 5. Output
    first, last = 0, T - 1
    if msg.output.HasField("range"):
        first, last = int(msg.output.range.first), int(msg.output.range.last)
        if last < first:
            raise ValidationError(f"{field}.output.range", f"last ({last}) is before first ({first})")
        if last > T - 1:
            raise ValidationError(f"{field}.output.range", f"last ({last}) is outside the timeline (frames 0..{T - 1})")
    out_fps = check_fps(msg.output.fps, limits, f"{field}.output.fps") if msg.output.fps else fps
    n_out = int(math.floor((last - first) / fps * out_fps + 1e-6)) + 1
    if n_out > limits.max_frames:
        raise ValidationError(f"{field}.output.fps", f"{n_out} output frames exceed this server's limit of {limits.max_frames}")

    request = TransitionRequest(problem=problem, method=method, seed=int(msg.options.seed), preview=preview, prior=msg.options.prior, options=method_options)
    return JobSpec(
        request=request,
        convention=conv,
        fps=fps,
        translated_joints=ctx.translated_joints,
        output_first=first,
        output_last=last,
        output_fps=out_fps,
        known_rotations=raw_rot,
        known_translations=raw_trans,
        warnings=tuple(warnings),
    )


class NonFiniteResult(RuntimeError):
    """A method returned NaN or infinity for validated input: a server bug (INTERNAL, logged)."""


def _pack_output(motion: Motion, spec: JobSpec, out: motion_pb2.Motion) -> float:
    """Fill ``out`` with ``motion`` ``(T, J)`` (canonical, the whole timeline) in the caller's
    frame, output range and frame rate, known frames bit-identical; returns the fps."""
    problem = spec.request.problem
    joints = list(spec.translated_joints)
    motion = motion.slice(spec.output_first, spec.output_last + 1)
    resampled = abs(spec.output_fps - spec.fps) > 1e-9 and motion.num_frames > 1
    if resampled:
        motion = motion.resample(spec.output_fps)
    elif motion.num_frames == 1:
        motion = Motion(motion.rotations, motion.translations, spec.output_fps)
    if not (bool(torch.isfinite(motion.rotations).all()) and bool(torch.isfinite(motion.translations).all())):
        raise NonFiniteResult("the method produced non-finite values; nothing is returned")
    rot = frames.quaternions_from_canonical(motion.rotations, spec.convention)
    trans = frames.positions_from_canonical(motion.translations[:, joints], spec.convention)
    if not resampled:  # hand the caller's own known frames back bit-identical
        sel = problem.known[spec.output_first : spec.output_last + 1]
        rot = torch.where(sel[:, None, None], spec.known_rotations[spec.output_first : spec.output_last + 1], rot)
        trans = torch.where(sel[:, None, None], spec.known_translations[spec.output_first : spec.output_last + 1], trans)
    out.translated_joints.extend(joints)
    out.rotations.CopyFrom(tensor_to_proto(rot))
    out.translations.CopyFrom(tensor_to_proto(trans))
    return motion.fps


def result_to_proto(result: TransitionResult, spec: JobSpec) -> job_pb2.TransitionResult:
    """Canonical pipeline result → the caller's frame, output range and frame rate."""
    skeleton = spec.request.problem.skeleton
    joints = list(spec.translated_joints)
    warnings = list(spec.warnings) + list(result.warnings)
    others = [j for j in range(skeleton.num_joints) if j not in set(joints)]
    if others:
        drift = (result.motion.translations[:, others] - skeleton.offsets[others]).abs().max().item()
        if drift > 1e-4 * skeleton.size:
            warnings.append(
                f"the method moved joints without a translation track by up to {drift:.3g} m; only the request's "
                "translated_joints are returned"
            )
    msg = job_pb2.TransitionResult(first_frame=spec.output_first, method=result.method, keyframe_error=float(result.keyframe_error), warnings=warnings)
    msg.fps = _pack_output(result.motion, spec, msg.motion)
    for k, v in result.timings_s.items():
        msg.timings_s[k] = float(v)
    return msg


def pose_to_proto(event: PoseEvent, spec: JobSpec, out: job_pb2.MotionPreview) -> job_pb2.MotionPreview:
    """A pose preview, packed exactly like the result."""
    out.fps = _pack_output(event.motion, spec, out.motion)
    out.first_frame = spec.output_first
    out.stage, out.step, out.final = event.stage, int(event.step), bool(event.final)
    return out


# -- events ---------------------------------------------------------------------------------


def event_to_proto(event, job_event: job_pb2.JobEvent, spec: JobSpec | None = None) -> job_pb2.JobEvent:
    """Fill ``job_event``'s kind from a pipeline event (Stage/Progress/Preview/Pose/Log);
    ``spec`` is needed for poses."""
    if isinstance(event, StageEvent):
        job_event.stage.stage = event.stage
    elif isinstance(event, ProgressEvent):
        job_event.progress.fraction = float(event.fraction)
        job_event.progress.message = event.message
    elif isinstance(event, PreviewEvent):
        p = job_event.preview
        p.format = codec.IMAGE_FORMATS.get(event.image_format.lower(), job_pb2.IMAGE_FORMAT_UNSPECIFIED)
        p.image = event.image
        p.width, p.height = int(event.width), int(event.height)
        p.frame_index = int(event.frame_index)
        p.stage = event.stage
        p.step = int(event.step)
    elif isinstance(event, PoseEvent):
        if spec is None:
            raise ValueError("a pose event needs the job's spec")
        pose_to_proto(event, spec, job_event.pose)
    elif isinstance(event, LogEvent):
        job_event.log.level = event.level
        job_event.log.message = event.message
    else:  # pragma: no cover - a new event type needs a proto message first
        raise TypeError(f"unknown pipeline event {type(event).__name__}")
    return job_event
