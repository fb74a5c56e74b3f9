"""THE wire codec: the mechanical mapping between plain values and the contract's messages.

Used by the blocking and async clients, the library's adapter, the server and the Unreal core,
so that it exists once. Pure Python (numpy optional, imported only when an array is asked
for); protobuf is the only dependency.

- Tensors: :func:`pack_tensor` (nested sequences, a flat sequence with a shape, or a numpy
  array → ``FloatTensor``, float32, row-major) and :func:`unpack_tensor` (→ shape and flat
  values) / :func:`unpack_array` (→ numpy), with the shape checked against what the caller
  expects (:class:`~anymole_client.errors.CodecError` naming the field).
- Conventions: :data:`CONVENTIONS` (``unity``, ``unreal``, ``gltf``) as plain
  :class:`Convention` tuples, and their proto form. The client declares; the server converts.
- Image formats, job states and event kinds by name.
- Errors: the ``anymole-field`` trailing metadata that names a request field.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from anymole_client.errors import CodecError
from anymole_client.v1 import job_pb2, motion_pb2

FIELD_METADATA_KEY = "anymole-field"

# -- tensors --------------------------------------------------------------------------------


def _numpy():
    return sys.modules.get("numpy")


def _flatten(values: Any, shape: List[int], depth: int, out: List[float], field: str) -> None:
    if isinstance(values, (int, float)):
        raise CodecError(field, f"expected a sequence at depth {depth}, got a number")
    n = len(values)
    if depth == len(shape):
        shape.append(n)
    elif shape[depth] != n:
        raise CodecError(field, f"ragged array: length {n} at depth {depth}, expected {shape[depth]}")
    if n and isinstance(values[0], (int, float)):
        if depth != len(shape) - 1:
            raise CodecError(field, f"ragged array: numbers at depth {depth}")
        out.extend(float(v) for v in values)
        return
    for v in values:
        _flatten(v, shape, depth + 1, out, field)


def pack_tensor(values: Any, shape: Optional[Sequence[int]] = None, field: str = "tensor") -> motion_pb2.FloatTensor:
    """``FloatTensor`` from ``values``.

    ``values`` is a numpy array (its shape is used), nested sequences of numbers (rectangular),
    or — with ``shape`` — a flat sequence of ``prod(shape)`` numbers. Values are stored as
    float32, row-major, last index fastest."""
    np = _numpy()
    if np is not None and isinstance(values, np.ndarray):
        arr = np.ascontiguousarray(values, dtype=np.float32)
        msg = motion_pb2.FloatTensor(shape=[int(s) for s in arr.shape])
        msg.data.extend(arr.reshape(-1).tolist())
        return msg
    if shape is not None:
        flat = [float(v) for v in values]
        n = math.prod(int(s) for s in shape) if shape else 0
        if len(flat) != n:
            raise CodecError(field, f"shape {list(shape)} needs {n} values, got {len(flat)}")
        msg = motion_pb2.FloatTensor(shape=[int(s) for s in shape])
        msg.data.extend(flat)
        return msg
    dims: List[int] = []
    flat: List[float] = []
    _flatten(values, dims, 0, flat, field)
    msg = motion_pb2.FloatTensor(shape=dims)
    msg.data.extend(flat)
    return msg


def is_empty(msg: motion_pb2.FloatTensor) -> bool:
    """True for a tensor with no shape and no data (an optional tensor left out)."""
    return not msg.shape and not msg.data


def check_shape(msg: motion_pb2.FloatTensor, expected: Sequence[int], field: str) -> Tuple[int, ...]:
    """The tensor's shape, checked: rank and every size of ``expected`` (``-1``: any), and
    ``len(data) == prod(shape)``; :class:`CodecError` naming ``field.shape`` / ``field.data``."""
    shape = tuple(int(s) for s in msg.shape)
    want = "[" + ", ".join("*" if s < 0 else str(s) for s in expected) + "]"
    if len(shape) != len(expected) or any(e >= 0 and s != e for s, e in zip(shape, expected)):
        raise CodecError(f"{field}.shape", f"expected shape {want}, got {list(shape)}")
    n = math.prod(shape)
    if len(msg.data) != n:
        raise CodecError(f"{field}.data", f"shape {list(shape)} needs {n} values, got {len(msg.data)}")
    return shape


def unpack_tensor(msg: motion_pb2.FloatTensor, expected: Optional[Sequence[int]] = None, field: str = "tensor") -> Tuple[Tuple[int, ...], List[float]]:
    """``(shape, flat values)``; with ``expected`` the shape is checked (:func:`check_shape`)."""
    shape = check_shape(msg, expected, field) if expected is not None else tuple(int(s) for s in msg.shape)
    return shape, list(msg.data)


def unpack_array(msg: motion_pb2.FloatTensor, expected: Optional[Sequence[int]] = None, field: str = "tensor"):
    """A float32 numpy array of the tensor's shape (needs numpy); shape checked as above."""
    import numpy as np

    shape = check_shape(msg, expected, field) if expected is not None else tuple(int(s) for s in msg.shape)
    if not math.prod(shape):
        return np.zeros(shape, dtype=np.float32)
    return np.asarray(msg.data, dtype=np.float32).reshape(shape)


def rows(shape: Sequence[int], flat: Sequence[float]) -> List[Any]:
    """Nested lists of ``flat`` in ``shape`` (the inverse of packing nested sequences)."""
    if not shape:
        return list(flat)
    if len(shape) == 1:
        return list(flat[: shape[0]])
    step = math.prod(shape[1:])
    return [rows(shape[1:], flat[i * step : (i + 1) * step]) for i in range(shape[0])]


# -- conventions ----------------------------------------------------------------------------


class Convention(NamedTuple):
    """A coordinate convention by name: ``handedness`` ``"left"``/``"right"``, ``up`` and
    ``forward`` signed axes (``"+x"`` … ``"-z"``), ``unit_m`` metres per unit."""

    handedness: str
    up: str
    forward: str
    unit_m: float


UNITY = Convention("left", "+y", "+z", 1.0)
UNREAL = Convention("left", "+z", "+x", 0.01)
GLTF = Convention("right", "+y", "+z", 1.0)  # the canonical frame
CONVENTIONS = {"unity": UNITY, "unreal": UNREAL, "gltf": GLTF}

AXES = {
    "+x": motion_pb2.AXIS_POS_X, "-x": motion_pb2.AXIS_NEG_X,
    "+y": motion_pb2.AXIS_POS_Y, "-y": motion_pb2.AXIS_NEG_Y,
    "+z": motion_pb2.AXIS_POS_Z, "-z": motion_pb2.AXIS_NEG_Z,
}
AXIS_NAMES = {v: k for k, v in AXES.items()}
HANDEDNESS = {"right": motion_pb2.HANDEDNESS_RIGHT, "left": motion_pb2.HANDEDNESS_LEFT}
HANDEDNESS_NAMES = {v: k for k, v in HANDEDNESS.items()}


def axis_name(name: str) -> str:
    """``"y"``, ``"+Y"``, ``" -z "`` → ``"+y"``, ``"+y"``, ``"-z"``."""
    key = name.strip().lower()
    key = "+" + key if key in ("x", "y", "z") else key
    if key not in AXES:
        raise CodecError("axis", f"{name!r} is not one of +x, -x, +y, -y, +z, -z")
    return key


def convention_to_proto(conv: Convention) -> motion_pb2.CoordinateConvention:
    if conv.handedness not in HANDEDNESS:
        raise CodecError("convention.handedness", f"must be 'left' or 'right', got {conv.handedness!r}")
    return motion_pb2.CoordinateConvention(
        handedness=HANDEDNESS[conv.handedness], up=AXES[axis_name(conv.up)], forward=AXES[axis_name(conv.forward)], unit_m=float(conv.unit_m)
    )


def convention_from_proto(msg: motion_pb2.CoordinateConvention, field: str = "convention") -> Convention:
    """Every field required; :class:`CodecError` naming the one that is missing or bad. (The
    server also checks plausibility and that up and forward are not parallel.)"""
    if msg.handedness not in HANDEDNESS_NAMES:
        raise CodecError(f"{field}.handedness", f"must be HANDEDNESS_RIGHT or HANDEDNESS_LEFT, got {msg.handedness}")
    for name in ("up", "forward"):
        if getattr(msg, name) not in AXIS_NAMES:
            raise CodecError(f"{field}.{name}", f"must be one of AXIS_POS_X .. AXIS_NEG_Z, got {getattr(msg, name)}")
    if not (math.isfinite(msg.unit_m) and msg.unit_m > 0):
        raise CodecError(f"{field}.unit_m", f"must be a positive length in metres (1.0 for m, 0.01 for cm), got {msg.unit_m!r}")
    return Convention(HANDEDNESS_NAMES[msg.handedness], AXIS_NAMES[msg.up], AXIS_NAMES[msg.forward], float(msg.unit_m))


# -- image formats, states, events ------------------------------------------------------------

IMAGE_FORMATS = {"jpeg": job_pb2.IMAGE_FORMAT_JPEG, "jpg": job_pb2.IMAGE_FORMAT_JPEG, "png": job_pb2.IMAGE_FORMAT_PNG}
IMAGE_FORMAT_NAMES = {job_pb2.IMAGE_FORMAT_UNSPECIFIED: "jpeg", job_pb2.IMAGE_FORMAT_JPEG: "jpeg", job_pb2.IMAGE_FORMAT_PNG: "png"}


def image_format_to_proto(name: str, field: str = "preview.format") -> int:
    try:
        return IMAGE_FORMATS[name.strip().lower()]
    except KeyError:
        raise CodecError(field, f"must be 'jpeg' or 'png', got {name!r}") from None


def image_format_name(value: int, field: str = "preview.format") -> str:
    """``"jpeg"`` or ``"png"`` (UNSPECIFIED is the server's default, JPEG)."""
    try:
        return IMAGE_FORMAT_NAMES[value]
    except KeyError:
        raise CodecError(field, f"unknown image format {value}") from None


TERMINAL_STATES = frozenset({job_pb2.JOB_STATE_SUCCEEDED, job_pb2.JOB_STATE_FAILED, job_pb2.JOB_STATE_CANCELLED, job_pb2.JOB_STATE_INTERRUPTED})


def state_name(value: int) -> str:
    """``"JOB_STATE_RUNNING"`` etc."""
    try:
        return job_pb2.JobState.Name(value)
    except ValueError:
        return f"JOB_STATE_{value}"


def event_kind(event: job_pb2.JobEvent) -> str:
    """``"state"``, ``"stage"``, ``"progress"``, ``"preview"``, ``"pose"``, ``"log"``,
    ``"result"``, ``"error"``, or ``""`` for an event kind newer than this client."""
    return event.WhichOneof("kind") or ""


# -- motion ---------------------------------------------------------------------------------


def pack_motion(rotations: Any, translated_joints: Iterable[int], translations: Any, field: str = "motion") -> motion_pb2.Motion:
    """``Motion`` from rotations ``(N, J, 4)`` and translations ``(N, M, 3)`` of
    ``translated_joints`` (strictly increasing). Arrays as for :func:`pack_tensor`."""
    joints = [int(j) for j in translated_joints]
    msg = motion_pb2.Motion(translated_joints=joints)
    msg.rotations.CopyFrom(pack_tensor(rotations, field=f"{field}.rotations"))
    if joints:
        msg.translations.CopyFrom(pack_tensor(translations, field=f"{field}.translations"))
    else:  # no translated joints: shape [N, 0, 3]
        msg.translations.shape.extend([int(msg.rotations.shape[0]) if msg.rotations.shape else 0, 0, 3])
    return msg


def unpack_motion(msg: motion_pb2.Motion, num_joints: Optional[int] = None, field: str = "motion") -> Tuple[List[Any], List[int], List[Any]]:
    """``(rotations [N][J][4], translated_joints, translations [N][M][3])`` as nested lists,
    shapes checked (``num_joints``: the expected J)."""
    rshape, rflat = unpack_tensor(msg.rotations, (-1, -1 if num_joints is None else num_joints, 4), f"{field}.rotations")
    joints = [int(j) for j in msg.translated_joints]
    if joints or not is_empty(msg.translations):
        tshape, tflat = unpack_tensor(msg.translations, (rshape[0], len(joints), 3), f"{field}.translations")
        trans = rows(tshape, tflat)
    else:
        trans = [[] for _ in range(rshape[0])]
    return rows(rshape, rflat), joints, trans


# -- errors ---------------------------------------------------------------------------------


def field_from_metadata(metadata: Optional[Iterable[Tuple[str, Any]]]) -> Optional[str]:
    """The ``anymole-field`` entry of trailing metadata (the request field an INVALID_ARGUMENT
    names), or None."""
    for key, value in metadata or ():
        if key == FIELD_METADATA_KEY:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None
