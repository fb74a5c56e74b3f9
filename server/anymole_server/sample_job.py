"""The sample transition that ``anymole demo`` and ``anymole bench server`` send: the shipped
CMU clip (``anymole/samples/cmu_05_06_short.bvh``: 31 joints, 100 frames at 30 fps,
centimetres), context = its first 40 frames, then a gap of 30 unknown frames, then its frame 70
as the target keyframe; the whole 71-frame timeline comes back. The clip's own frames 40–69 are
the ground truth the in-between can be compared with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

import anymole
from anymole.motion import Motion
from anymole.skeleton import Skeleton

SAMPLE_NAME = "cmu_05_06_short.bvh"
SAMPLE_UNIT_M = 0.01  # the file is in centimetres
CONTEXT_FRAMES = 40
GAP_FRAMES = 30
KEYFRAME_INDEX = CONTEXT_FRAMES + GAP_FRAMES  # 70: the timeline's last frame


def sample_path() -> Path:
    """Path of the shipped sample BVH."""
    return Path(anymole.__file__).resolve().parent / "samples" / SAMPLE_NAME


@dataclass(frozen=True, eq=False)
class SampleTransition:
    """The sample, canonical frame, metres.

    Attributes:
        skeleton: J = 31 joints.
        truth: ``(KEYFRAME_INDEX + 1, J)`` the clip's own frames 0..70 at 30 fps.
        context: ``(CONTEXT_FRAMES, J)`` frames 0..39.
        keyframes: ``(1, J)`` frame 70.
        keyframe_indices: ``[70]``.
    """

    skeleton: Skeleton
    truth: Motion
    context: Motion
    keyframes: Motion
    keyframe_indices: tuple[int, ...]

    @property
    def known(self) -> torch.Tensor:
        """``(T,)`` bool: the context and keyframe frames of the timeline."""
        known = torch.zeros(self.truth.num_frames, dtype=torch.bool)
        known[: self.context.num_frames] = True
        known[list(self.keyframe_indices)] = True
        return known


@lru_cache(maxsize=1)
def load_sample_transition() -> SampleTransition:
    """Read the sample (once per process) and cut it into context, keyframe and truth."""
    from anymole.io import read_bvh

    asset = read_bvh(sample_path(), unit_m=SAMPLE_UNIT_M)
    motion = asset.clips[0].motion
    truth = motion.slice(0, KEYFRAME_INDEX + 1)
    idx = [KEYFRAME_INDEX]
    keys = Motion(motion.rotations[idx], motion.translations[idx], motion.fps)
    return SampleTransition(asset.skeleton, truth, motion.slice(0, CONTEXT_FRAMES), keys, tuple(idx))


def sample_input(
    sample: SampleTransition,
    *,
    method: str = "spline",
    preview_size: tuple[int, int] = (256, 256),
    preview_max_frames: int = 8,
    preview_format: str = "jpeg",
):
    """The sample as a ``TransitionInput`` (canonical convention, whole timeline back); preview
    ``preview_size`` is ``(width, height)`` pixels."""
    from anymole.wire import build_transition_input

    return build_transition_input(
        sample.skeleton,
        sample.context,
        sample.keyframes,
        sample.keyframe_indices,
        method=method,
        preview_size=preview_size,
        preview_max_frames=preview_max_frames,
        preview_format=preview_format,
        output_range=(0, KEYFRAME_INDEX),
    )
