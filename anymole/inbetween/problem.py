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
