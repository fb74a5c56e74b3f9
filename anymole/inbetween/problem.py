"""The in-betweening problem every method solves: fill the unknown frames of a motion.

A problem is a motion ``(T, J)`` whose frames are either *known* (the context before the gap,
keyframes, anything the caller fixes) or *unknown* (placeholders, ignored). Methods return a
motion of the same length whose known frames are bit-identical to the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.motion import Motion
from anymole.skeleton import Skeleton


@dataclass(frozen=True, eq=False)
class InbetweenProblem:
    """Attributes:
    skeleton: the character.
    motion: ``(T, J)`` local rotations and translations; values at unknown frames are ignored.
    known: ``(T,)`` bool; ``known[0]`` and ``known[-1]`` must be True (a gap always has a pose
        on each side).
    """

    skeleton: Skeleton
    motion: Motion
    known: Tensor

    def __post_init__(self) -> None:
        self.motion.check_skeleton(self.skeleton)
        known = torch.as_tensor(self.known, dtype=torch.bool)
        T = self.motion.num_frames
        if known.shape != (T,):
            raise ValidationError("known", f"expected shape ({T},), got {tuple(known.shape)}")
        if not bool(known[0]):
            raise ValidationError("known", "the first frame must be known (context or keyframe)")
        if not bool(known[-1]):
            raise ValidationError("known", "the last frame must be known (a target keyframe)")
        object.__setattr__(self, "known", known)

    @property
    def num_frames(self) -> int:
        return self.motion.num_frames

    def gaps(self) -> list[tuple[int, int]]:
        """Runs of unknown frames as ``[start, stop)`` pairs, in order."""
        gaps, start = [], None
        for t, k in enumerate(self.known.tolist()):
            if not k and start is None:
                start = t
            elif k and start is not None:
                gaps.append((start, t))
                start = None
        return gaps

    def keep_known(self, solved: Motion) -> Motion:
        """``solved`` with every known frame replaced by the input's, exactly."""
        k = self.known[:, None, None]
        rot = torch.where(k, self.motion.rotations, solved.rotations)
        trans = torch.where(k, self.motion.translations, solved.translations)
        return Motion(rot, trans, self.motion.fps)

    @classmethod
    def from_window(cls, skeleton: Skeleton, motion: Motion, context: int, gap: int) -> "InbetweenProblem":
        """The benchmark's window: ``context`` known frames, ``gap`` unknown, one target frame.

        ``motion`` must have at least ``context + gap + 1`` frames; the first that many are used.
        """
        T = context + gap + 1
        if motion.num_frames < T:
            raise ValidationError("motion", f"needs {T} frames for context {context} + gap {gap} + 1, has {motion.num_frames}")
        known = torch.zeros(T, dtype=torch.bool)
        known[:context] = True
        known[-1] = True
        return cls(skeleton, motion.slice(0, T), known)

    # -- the timeline (one constructor and its inverse) ------------------------------------

    @classmethod
    def from_timeline(
        cls,
        skeleton: Skeleton,
        context: Motion,
        keyframes: Motion,
        keyframe_indices,
        *,
        field: str = "keyframe_indices",
    ) -> "InbetweenProblem":
        """The timeline every request, bake job and client shares:

            frames 0 .. C-1            the context (known)
            keyframe_indices[k]        the keyframes (known), strictly increasing, each > C-1
            every other frame          unknown, filled with the rest pose
            T = keyframe_indices[-1] + 1 (the last frame is a keyframe)

        Args:
            context: ``(C, J)`` frames, ``C >= 1``; its ``fps`` is the timeline's.
            keyframes: ``(K, J)`` poses, one per index.
            keyframe_indices: ``K >= 1`` absolute timeline frame indices.
            field: the name errors about the indices carry.
        """
        kf = [int(k) for k in keyframe_indices]
        C = context.num_frames
        if C < 1:
            raise ValidationError("context", "at least one frame of context is required")
        if not kf:
            raise ValidationError(field, "at least one keyframe is required (the last frame of the timeline)")
        for k in range(1, len(kf)):
            if kf[k] <= kf[k - 1]:
                what = "duplicate keyframe index" if kf[k] == kf[k - 1] else "must be strictly increasing;"
                raise ValidationError(field, f"{what} entry {k} is {kf[k]} after {kf[k - 1]}")
        if kf[0] <= C - 1:
            raise ValidationError(field, f"keyframe {kf[0]} lies inside the context (frames 0..{C - 1}); keyframes must be > {C - 1}")
        if keyframes.num_frames != len(kf):
            raise ValidationError("keyframes", f"has {keyframes.num_frames} frames for {len(kf)} keyframe indices")
        T = kf[-1] + 1
        rot = skeleton.rest_rotations.expand(T, -1, -1).clone()
        trans = skeleton.offsets.expand(T, -1, -1).clone()
        rot[:C], trans[:C] = context.rotations, context.translations
        idx = torch.tensor(kf)
        rot[idx], trans[idx] = keyframes.rotations, keyframes.translations
        known = torch.zeros(T, dtype=torch.bool)
        known[:C] = True
        known[idx] = True
        return cls(skeleton, Motion(rot, trans, context.fps), known)

    def to_timeline(self) -> tuple[Motion, Motion, list[int]]:
        """The inverse of :meth:`from_timeline`: ``(context, keyframes, keyframe_indices)``.

        The context is the leading run of known frames; every later known frame is a keyframe.
        When every frame is known, the last one is the keyframe."""
        known = self.known.tolist()
        C = 0
        while C < len(known) and known[C]:
            C += 1
        kf = [t for t in range(C, len(known)) if known[t]]
        if not kf:
            C -= 1
            kf = [len(known) - 1]
        m = self.motion
        idx = torch.tensor(kf)
        return m.slice(0, C), Motion(m.rotations[idx], m.translations[idx], m.fps), kf
