"""Engine clips: what an editor samples from an animation asset, and the request built from it.

The engine-neutral form of a sampled clip (``engine_plugins/conformance/README.md`` §1–2 is the
specification the C# Core and the Unreal core share):

- :class:`Joint`: name, parent index, rest local position / rotation (x, y, z, w) / scale;
- :class:`EngineClip`: frame rate, convention name (``unity``, ``unreal``, ``gltf``), joints, and
  per-frame local transforms of every joint in the engine's own units and frame;
- :class:`Selection`: the clip frames of the context and the keyframes.

:func:`build_transition_input` lays them out on the contract's timeline and declares the
convention; the client never converts coordinates (the server does). :func:`read_result` maps
a result back to clip frames and joints. Pure Python: no numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Union

from google.protobuf import json_format

from anymole_client.codec import CONVENTIONS, convention_to_proto, pack_motion, pack_tensor, unpack_motion
from anymole_client.errors import CodecError
from anymole_client.v1 import job_pb2

Vec = Tuple[float, ...]

TRANSLATION_TOLERANCE = 1e-5  # caller units: a joint "translates" when it leaves its rest position by more
SCALE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Joint:
    name: str
    parent: int  # index into EngineClip.joints, -1 for a root
    rest_position: Vec  # local, parent frame, engine units
    rest_rotation: Vec = (0.0, 0.0, 0.0, 1.0)  # local (x, y, z, w)
    rest_scale: Vec = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Frame:
    """Local transforms of every joint at one clip frame, in :attr:`EngineClip.joints` order."""

    positions: Sequence[Vec]
    rotations: Sequence[Vec]


@dataclass(frozen=True)
class EngineClip:
    fps: float
    convention: str  # "unity" | "unreal" | "gltf"
    joints: Sequence[Joint]
    frames: Sequence[Frame]

    @property
    def num_frames(self) -> int:
        return len(self.frames)


@dataclass(frozen=True)
class Selection:
    """Clip frames: the context ``context_first..context_last`` (inclusive) and the keyframes
    (strictly increasing, each after the context)."""

    context_first: int
    context_last: int
    keyframes: Sequence[int]


@dataclass(frozen=True)
class Layout:
    """How a request's joints map to the clip: ``order[i]`` is the clip joint at request index
    ``i``; ``translated`` the request indices with translation tracks."""

    order: List[int]
    translated: List[int]
    context_first: int
    selection: Selection = field(repr=False, default=None)  # type: ignore[assignment]


def joint_order(joints: Sequence[Joint]) -> List[int]:
    """Clip joint indices parent-first: the clip's order when every parent precedes its child,
    else depth first, pre-order, roots and children in clip order."""
    J = len(joints)
    for i, j in enumerate(joints):
        if j.parent < -1 or j.parent >= J or j.parent == i:
            raise CodecError(f"joints[{i}].parent", f"{j.parent} is not -1 or the index of another joint (0..{J - 1})")
    if all(j.parent < i for i, j in enumerate(joints)):
        return list(range(J))
    children: Dict[int, List[int]] = {i: [] for i in range(-1, J)}
    for i, j in enumerate(joints):
        children[j.parent].append(i)
    order: List[int] = []
    stack = list(reversed(children[-1]))
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(reversed(children[i]))
    if len(order) != J:
        cyclic = sorted(set(range(J)) - set(order))
        raise CodecError("joints", f"the parents of joints {[joints[i].name for i in cyclic[:5]]} form a cycle")
    return order


def check_selection(clip: EngineClip, sel: Selection) -> None:
    """:class:`CodecError` naming ``selection.*`` for a range an editor must refuse before
    sending anything."""
    F = clip.num_frames
    if not 0 <= sel.context_first <= sel.context_last:
        raise CodecError("selection.context", f"context frames {sel.context_first}..{sel.context_last} are not a range")
    if sel.context_last >= F:
        raise CodecError("selection.context", f"context ends at frame {sel.context_last} but the clip has {F} frames (0..{F - 1})")
    keys = [int(k) for k in sel.keyframes]
    if not keys:
        raise CodecError("selection.keyframes", "pick at least one keyframe after the context (the end of the transition)")
    for n, k in enumerate(keys):
        if k <= sel.context_last:
            raise CodecError("selection.keyframes", f"keyframe {k} lies inside the context (frames {sel.context_first}..{sel.context_last}); keyframes must come after it")
        if k >= F:
            raise CodecError("selection.keyframes", f"keyframe {k} is past the clip's last frame {F - 1}")
        if n and k <= keys[n - 1]:
            raise CodecError("selection.keyframes", f"keyframes must be strictly increasing; {k} follows {keys[n - 1]}")
    if keys[0] == sel.context_last + 1 and len(keys) == 1:
        raise CodecError("selection.keyframes", f"keyframe {keys[0]} directly follows the context: there is no frame to generate")


def build_transition_input(
    clip: EngineClip,
    selection: Selection,
    options: Union[Mapping[str, Any], job_pb2.JobOptions, None] = None,
) -> Tuple[job_pb2.TransitionInput, Layout]:
    """The request for ``selection`` of ``clip`` and the :class:`Layout` to read its result.

    ``options``: a ``JobOptions`` message or its proto3-JSON dict
    (``{"method": "spline", "preview": {"width": 128}}``)."""
    check_selection(clip, selection)
    if clip.convention not in CONVENTIONS:
        raise CodecError("clip.convention", f"unknown convention {clip.convention!r}; known: {sorted(CONVENTIONS)}")
    if not (clip.fps > 0):
        raise CodecError("clip.fps", f"must be a positive frame rate, got {clip.fps!r}")
    joints = list(clip.joints)
    if not joints:
        raise CodecError("clip.joints", "the clip has no joints")
    order = joint_order(joints)
    new_index = {old: new for new, old in enumerate(order)}
    for f, frame in enumerate(clip.frames):
        if len(frame.positions) != len(joints) or len(frame.rotations) != len(joints):
            raise CodecError(f"clip.frames[{f}]", f"has {len(frame.rotations)} rotations and {len(frame.positions)} positions for {len(joints)} joints")

    used = list(range(selection.context_first, selection.context_last + 1)) + [int(k) for k in selection.keyframes]
    translated = []
    for new, old in enumerate(order):
        rest = joints[old].rest_position
        moves = joints[old].parent < 0 or any(
            abs(float(clip.frames[f].positions[old][c]) - float(rest[c])) > TRANSLATION_TOLERANCE for f in used for c in range(3)
        )
        if moves:
            translated.append(new)

    msg = job_pb2.TransitionInput(fps=float(clip.fps))
    sk = msg.skeleton
    sk.joint_names.extend(joints[i].name for i in order)
    sk.parents.extend(-1 if joints[i].parent < 0 else new_index[joints[i].parent] for i in order)
    sk.rest_offsets.CopyFrom(pack_tensor([list(joints[i].rest_position) for i in order], field="skeleton.rest_offsets"))
    sk.rest_rotations.CopyFrom(pack_tensor([list(joints[i].rest_rotation) for i in order], field="skeleton.rest_rotations"))
    if any(abs(float(s) - 1.0) > SCALE_TOLERANCE for i in order for s in joints[i].rest_scale):
        sk.rest_scales.CopyFrom(pack_tensor([list(joints[i].rest_scale) for i in order], field="skeleton.rest_scales"))

    def motion(frames: Sequence[int], name: str):
        rot = [[list(clip.frames[f].rotations[i]) for i in order] for f in frames]
        trans = [[list(clip.frames[f].positions[order[j]]) for j in translated] for f in frames]
        return pack_motion(rot, translated, trans, field=name)

    C = selection.context_last - selection.context_first + 1
    keys = [int(k) - selection.context_first for k in selection.keyframes]
    msg.context.CopyFrom(motion(range(selection.context_first, selection.context_last + 1), "context"))
    msg.keyframe_indices.extend(keys)
    msg.keyframes.CopyFrom(motion([int(k) for k in selection.keyframes], "keyframes"))
    if clip.convention != "gltf":
        msg.convention.CopyFrom(convention_to_proto(CONVENTIONS[clip.convention]))
    msg.output.range.first = C - 1
    msg.output.range.last = keys[-1]
    if isinstance(options, job_pb2.JobOptions):
        msg.options.CopyFrom(options)
    elif options:
        json_format.ParseDict(dict(options), msg.options)
    return msg, Layout(order, translated, selection.context_first, selection)


@dataclass(frozen=True)
class ClipTracks:
    """A result (or pose preview) in clip terms: ``frames`` clip frame indices; per clip joint
    index, ``rotations[joint][i]`` at ``frames[i]``; ``translations`` only for joints with a
    translation track."""

    frames: List[int]
    rotations: Dict[int, List[Vec]]
    translations: Dict[int, List[Vec]]


def read_result(result: Union[job_pb2.TransitionResult, job_pb2.MotionPreview], layout: Layout) -> ClipTracks:
    """Map a ``TransitionResult`` or ``MotionPreview`` back to clip frames and clip joints."""
    rot, joints, trans = unpack_motion(result.motion, len(layout.order), "result.motion")
    if joints != list(layout.translated):
        raise CodecError("result.motion.translated_joints", f"{joints} differ from the request's {layout.translated}")
    frames = [int(result.first_frame) + i + layout.context_first for i in range(len(rot))]
    rotations = {layout.order[j]: [tuple(rot[i][j]) for i in range(len(rot))] for j in range(len(layout.order))}
    translations = {layout.order[j]: [tuple(trans[i][m]) for i in range(len(rot))] for m, j in enumerate(joints)}
    return ClipTracks(frames, rotations, translations)


# -- JSON form (the conformance kit's "clip" and "selection") ---------------------------------


def clip_from_json(data: Mapping[str, Any]) -> EngineClip:
    joints = [
        Joint(j["name"], int(j["parent"]), tuple(j["restPosition"]), tuple(j.get("restRotation", (0, 0, 0, 1))), tuple(j.get("restScale", (1, 1, 1))))
        for j in data["joints"]
    ]
    frames = [Frame([tuple(p) for p in f["positions"]], [tuple(q) for q in f["rotations"]]) for f in data["frames"]]
    return EngineClip(float(data["fps"]), str(data["convention"]), joints, frames)


def clip_to_json(clip: EngineClip) -> Dict[str, Any]:
    return {
        "fps": clip.fps,
        "convention": clip.convention,
        "joints": [
            {"name": j.name, "parent": j.parent, "restPosition": list(j.rest_position), "restRotation": list(j.rest_rotation), "restScale": list(j.rest_scale)}
            for j in clip.joints
        ],
        "frames": [{"positions": [list(p) for p in f.positions], "rotations": [list(q) for q in f.rotations]} for f in clip.frames],
    }


def selection_from_json(data: Mapping[str, Any]) -> Selection:
    return Selection(int(data["contextFirst"]), int(data["contextLast"]), [int(k) for k in data["keyframes"]])


def selection_to_json(sel: Selection) -> Dict[str, Any]:
    return {"contextFirst": sel.context_first, "contextLast": sel.context_last, "keyframes": list(sel.keyframes)}

