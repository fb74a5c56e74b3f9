"""An AnimSequence as plain data, the request built from it, and the result written back as
whole bone tracks — everything between the adapter and ``anymole_client``, engine-free.

Terms (Unreal's): an AnimSequence of ``F`` frames has ``F + 1`` keys, key ``k`` at ``k / fps``
seconds. The adapter samples every key (RAW, no retargeting, no root-motion extraction) into an
:class:`UnrealClip`: local bone transforms in Unreal's frame and units (left-handed, +Z up,
+X forward, centimetres), quaternions ``(x, y, z, w)``. "Clip frame" below means key index.

- :func:`plan_transition`: checks the sequence and the selection, builds the request with
  ``anymole_client.clip.build_transition_input`` (convention ``unreal`` declared, never
  converted here), and checks it against the server's limits before anything is sent.
- :func:`splice_result`: the result mapped back with ``anymole_client.clip.read_result`` and
  spliced into each bone's full track with ``anymole_client.splice.splice_track`` (the
  hemisphere rule against the authored neighbours), one key per clip frame: what the adapter
  hands to ``AnimationDataController.set_bone_track_keys``.
- :func:`pose_playback`: a pose preview (``MotionPreview``) as full local poses per frame, for
  the preview actor.

Every bone whose translation leaves its reference position is sent with a translation track
(``anymole_client`` decides: roots, and a pelvis under a static root as in the Mannequin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from anymole_client.clip import EngineClip, Layout, Selection, build_transition_input, check_selection, read_result
from anymole_client.splice import Key, splice_track

from anymole_unreal.errors import UserError

Vec = Tuple[float, ...]

# Sampling the reference implementation's scenes: 61 context frames at 30 fps (two seconds).
DEFAULT_CONTEXT_FRAMES = 61
# A written key differs from the sampled one when a component moves by more than this
# (quaternion components; centimetres for positions).
CHANGE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class UnrealClip:
    """An AnimSequence sampled by the adapter.

    ``clip``: the engine-neutral clip (convention ``"unreal"``; one frame per key);
    ``scales[k][j]``: local scale of joint ``j`` at key ``k`` (kept as authored: scale is not
    solved); ``tracked``: bones that have a bone track in the sequence's data model;
    ``frame_rate``: the sequence's rational frame rate ``(numerator, denominator)``.
    """

    asset_path: str
    clip: EngineClip
    scales: Sequence[Sequence[Vec]]
    tracked: FrozenSet[str] = frozenset()
    skeleton_path: str = ""
    frame_rate: Tuple[int, int] = (30, 1)

    @property
    def num_keys(self) -> int:
        return self.clip.num_frames

    @property
    def number_of_frames(self) -> int:
        """Unreal's frame count (keys - 1)."""
        return self.clip.num_frames - 1

    @property
    def bone_names(self) -> List[str]:
        return [j.name for j in self.clip.joints]


def check_sequence(uclip: UnrealClip) -> None:
    """:class:`UserError` naming ``sequence`` for an asset no transition can be made on."""
    c = uclip.clip
    name = uclip.asset_path or "the AnimSequence"
    if c.convention != "unreal":
        raise UserError("sequence", f"{name} was sampled with convention {c.convention!r}; the Unreal plugin declares 'unreal'")
    if not c.joints:
        raise UserError("sequence", f"{name} has no bones")
    if not (c.fps > 0):
        raise UserError("sequence", f"{name} has no valid frame rate ({c.fps!r})")
    if uclip.num_keys < 3:
        raise UserError(
            "sequence",
            f"{name} has {uclip.num_keys} key{'s' if uclip.num_keys != 1 else ''}; a transition needs at least 3 "
            "(a context frame, a frame to generate, a target keyframe)",
        )
    if len(uclip.scales) != uclip.num_keys or any(len(s) != len(c.joints) for s in uclip.scales):
        raise UserError("sequence", f"{name}: scales were not sampled for every key and bone")


def default_selection(uclip: UnrealClip, keyframe: Optional[int] = None, context_frames: int = DEFAULT_CONTEXT_FRAMES) -> Selection:
    """A first guess for the dialog: the target key is ``keyframe`` (default the last key),
    the context ends a third of the way before it and spans up to ``context_frames`` keys."""
    check_sequence(uclip)
    last = uclip.num_keys - 1 if keyframe is None else int(keyframe)
    if not 2 <= last <= uclip.num_keys - 1:
        raise UserError("selection.keyframes", f"keyframe {last} is not a key of the sequence (2..{uclip.num_keys - 1})")
    gap = max(1, last // 3)
    context_last = last - gap - 1
    context_first = max(0, context_last - context_frames + 1)
    return Selection(context_first, context_last, [last])


def check_limits(request: Any, info: Any, asset: str = "") -> None:
    """What the server would refuse, said before sending: ``Limits`` of its capabilities
    (joints, timeline length, preview size and count, message size)."""
    if info is None or not info.HasField("capabilities"):
        return
    lim = info.capabilities.limits
    J = len(request.skeleton.joint_names)
    if lim.max_joints and J > lim.max_joints:
        raise UserError(
            "input.skeleton.joint_names",
            f"{asset or 'the skeleton'} has {J} bones; this server accepts at most {lim.max_joints} (Limits.max_joints). "
            "Ask the server's operator to raise --max-joints, or use a skeleton with fewer bones",
        )
    T = int(request.keyframe_indices[-1]) + 1 if request.keyframe_indices else 0
    if lim.max_frames and T > lim.max_frames:
        raise UserError(
            "selection",
            f"the transition spans {T} frames from the first context frame to the last keyframe; this server "
            f"accepts at most {lim.max_frames} (Limits.max_frames): shorten the context",
        )
    p = request.options.preview
    if not p.disabled:
        for name in ("width", "height"):
            v = getattr(p, name)
            if lim.max_preview_size and v > lim.max_preview_size:
                raise UserError(f"options.preview.{name}", f"{v} px is above this server's {lim.max_preview_size} (Limits.max_preview_size)")
        if lim.max_preview_frames and p.max_frames > lim.max_preview_frames:
            raise UserError("options.preview.maxFrames", f"{p.max_frames} is above this server's {lim.max_preview_frames} (Limits.max_preview_frames)")
    if lim.max_message_bytes and request.ByteSize() > lim.max_message_bytes:
        raise UserError("input", f"the request is {request.ByteSize()} bytes; this server accepts at most {lim.max_message_bytes} (Limits.max_message_bytes)")


@dataclass(frozen=True)
class TransitionPlan:
    """A request ready to send and how to read its result."""

    uclip: UnrealClip
    selection: Selection
    request: Any  # anymole_client.v1.job_pb2.TransitionInput
    layout: Layout

    @property
    def generated_frames(self) -> List[int]:
        """Clip frames the result replaces (strictly inside the gap, not keyframes)."""
        keys = set(int(k) for k in self.selection.keyframes)
        a, b = self.selection.context_last, int(self.selection.keyframes[-1])
        return [f for f in range(a + 1, b) if f not in keys]

    @property
    def translated_bones(self) -> List[str]:
        return [self.uclip.clip.joints[self.layout.order[j]].name for j in self.layout.translated]


def build_request(uclip: UnrealClip, selection: Selection, options: Optional[Mapping[str, Any]] = None) -> TransitionPlan:
    """The request for any sampled clip (any convention; no engine or server checks):
    ``anymole_client.clip.build_transition_input``, errors as :class:`UserError`."""
    try:
        check_selection(uclip.clip, selection)
        request, layout = build_transition_input(uclip.clip, selection, dict(options or {}))
    except UserError:
        raise
    except Exception as exc:  # CodecError names the field; anything else is the plugin's fault
        from anymole_unreal.errors import explain

        raise explain(exc) from exc
    return TransitionPlan(uclip, selection, request, layout)


def plan_transition(uclip: UnrealClip, selection: Selection, options: Optional[Mapping[str, Any]] = None, info: Any = None) -> TransitionPlan:
    """Check the sequence, the selection and the server's limits (``info``: its
    ``GetServerInfoResponse``, None to skip); build the request (``options``: proto3-JSON
    ``JobOptions``, see :func:`anymole_unreal.options.job_options`)."""
    check_sequence(uclip)
    plan = build_request(uclip, selection, options)
    check_limits(plan.request, info, uclip.asset_path)
    return plan


# -- writing back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BoneTrack:
    """One bone's full track, one key per clip frame (``len == num_keys``), Unreal units."""

    name: str
    positions: List[Vec]
    rotations: List[Vec]
    scales: List[Vec]
    has_track: bool  # False: the adapter adds the bone curve first
    changed: bool  # differs from what was sampled


@dataclass(frozen=True)
class SplicedClip:
    """What to write: ``tracks`` (bones that have a track or changed), the frames replaced."""

    tracks: List[BoneTrack]
    generated_frames: List[int]
    num_keys: int
    method: str = ""
    keyframe_error: float = 0.0
    warnings: List[str] = field(default_factory=list)

    @property
    def changed_bones(self) -> List[str]:
        return [t.name for t in self.tracks if t.changed]


def _differs(a: Sequence[Vec], b: Sequence[Vec]) -> bool:
    return any(abs(float(x) - float(y)) > CHANGE_TOLERANCE for u, v in zip(a, b) for x, y in zip(u, v))


def splice_result(plan: TransitionPlan, result: Any) -> SplicedClip:
    """The result (``TransitionResult``) spliced into every bone's authored track."""
    uclip, sel = plan.uclip, plan.selection
    tracks = read_result(result, plan.layout)
    clip, F = uclip.clip, uclip.num_keys
    out: List[BoneTrack] = []
    for j, joint in enumerate(clip.joints):
        rot_authored = [Key(f, tuple(clip.frames[f].rotations[j])) for f in range(F)]
        pos_authored = [Key(f, tuple(clip.frames[f].positions[j])) for f in range(F)]
        rot = splice_track(rot_authored, tracks.frames[0], tracks.rotations[j], sel.context_last, sel.keyframes, rotation=True)
        if j in tracks.translations:
            pos = splice_track(pos_authored, tracks.frames[0], tracks.translations[j], sel.context_last, sel.keyframes, rotation=False)
        else:
            pos = pos_authored
        if len(rot) != F or len(pos) != F:
            raise UserError("result", f"splicing {joint.name} gave {len(rot)} rotation and {len(pos)} position keys for {F} keys")
        rotations = [k.value for k in rot]
        positions = [k.value for k in pos]
        changed = _differs(rotations, [k.value for k in rot_authored]) or _differs(positions, [k.value for k in pos_authored])
        has_track = joint.name in uclip.tracked
        if has_track or changed:
            out.append(BoneTrack(joint.name, positions, rotations, [tuple(uclip.scales[f][j]) for f in range(F)], has_track, changed))
    return SplicedClip(
        out, plan.generated_frames, F, getattr(result, "method", ""), float(getattr(result, "keyframe_error", 0.0)), list(getattr(result, "warnings", []))
    )


# -- pose previews --------------------------------------------------------------------------

JointPose = Tuple[Vec, Vec, Vec]  # (position, rotation (x, y, z, w), scale), local, Unreal units


@dataclass(frozen=True)
class PosePlayback:
    """A pose preview as full local poses: ``poses[i][j]`` for clip frame ``frames[i]`` and
    joint ``j`` (clip order); ``fps`` of the frames; ``stage`` / ``step`` / ``final`` as sent."""

    frames: List[int]
    poses: List[List[JointPose]]
    fps: float
    stage: str = ""
    step: int = 0
    final: bool = False

    def at_time(self, t_s: float) -> Tuple[int, List[JointPose]]:
        """The frame shown ``t_s`` seconds into a looping playback, and its pose."""
        n = len(self.frames)
        i = int(t_s * self.fps) % n if n else 0
        return self.frames[i], self.poses[i]


def pose_playback(plan: TransitionPlan, preview: Any) -> PosePlayback:
    """Full local poses of a ``MotionPreview`` (or a ``TransitionResult``): solved rotations
    and translations, the rest as sampled at that frame."""
    tracks = read_result(preview, plan.layout)
    clip = plan.uclip.clip
    poses: List[List[JointPose]] = []
    for i, f in enumerate(tracks.frames):
        src = clip.frames[f] if 0 <= f < clip.num_frames else clip.frames[-1]
        scales = plan.uclip.scales[f] if 0 <= f < len(plan.uclip.scales) else plan.uclip.scales[-1]
        pose = []
        for j in range(len(clip.joints)):
            pos = tracks.translations[j][i] if j in tracks.translations else tuple(src.positions[j])
            pose.append((tuple(pos), tuple(tracks.rotations[j][i]), tuple(scales[j])))
        poses.append(pose)
    fps = float(getattr(preview, "fps", 0.0) or clip.fps)
    return PosePlayback(
        tracks.frames, poses, fps, str(getattr(preview, "stage", "")), int(getattr(preview, "step", 0)), bool(getattr(preview, "final", False))
    )


def clip_summary(uclip: UnrealClip) -> Dict[str, Any]:
    """A few facts for logs and the bake report."""
    return {"asset": uclip.asset_path, "bones": len(uclip.clip.joints), "keys": uclip.num_keys, "fps": uclip.clip.fps}
