"""Motion: per-frame local joint transforms at a fixed frame rate.

``rotations`` ``(T, J, 4)`` are local rotations (x, y, z, w) — the full local rotation, not a
delta from the rest pose; ``translations`` ``(T, J, 3)`` are local translations in the parent's
frame, equal to the skeleton's rest offset for joints that do not translate. Frame ``t`` is at
time ``t / fps`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from anymole.checks import as_float_tensor, check_finite, check_quaternions
from anymole.errors import ValidationError
from anymole.geometry.rotations import quat_make_continuous, quat_slerp
from anymole.kinematics import forward_kinematics
from anymole.skeleton import Skeleton


@dataclass(frozen=True, eq=False)
class Motion:
    """Local joint rotations ``(T, J, 4)`` and translations ``(T, J, 3)`` sampled at ``fps``.

    Quaternions are validated (finite, non-zero) and normalised on construction.
    """

    rotations: Tensor
    translations: Tensor
    fps: float

    def __post_init__(self) -> None:
        rot = as_float_tensor("motion.rotations", self.rotations, (-1, -1, 4))
        trans = as_float_tensor("motion.translations", self.translations, (-1, -1, 3))
        if rot.shape[:2] != trans.shape[:2]:
            raise ValidationError(
                "motion.translations",
                f"shape {tuple(trans.shape)} does not match rotations {tuple(rot.shape)} in (T, J)",
            )
        if rot.shape[0] < 1:
            raise ValidationError("motion.rotations", "motion has no frames")
        rot = check_quaternions("motion.rotations", rot)
        check_finite("motion.translations", trans)
        fps = float(self.fps)
        if not math.isfinite(fps) or fps <= 0:
            raise ValidationError("motion.fps", f"must be a positive number, got {self.fps!r}")
        object.__setattr__(self, "rotations", rot)
        object.__setattr__(self, "translations", trans)
        object.__setattr__(self, "fps", fps)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def rest(cls, skeleton: Skeleton, num_frames: int = 1, fps: float = 30.0) -> "Motion":
        """The rest pose held for ``num_frames`` frames."""
        rot = skeleton.rest_rotations.expand(num_frames, -1, -1).clone()
        trans = skeleton.offsets.expand(num_frames, -1, -1).clone()
        return cls(rot, trans, fps)

    @classmethod
    def concat(cls, motions: list["Motion"]) -> "Motion":
        """Join motions of the same skeleton and fps end to end."""
        if not motions:
            raise ValidationError("motions", "nothing to concatenate")
        fps = motions[0].fps
        if any(abs(m.fps - fps) > 1e-6 for m in motions):
            raise ValidationError("motions", "fps differ")
        return cls(
            torch.cat([m.rotations for m in motions]), torch.cat([m.translations for m in motions]), fps
        )

    # -- queries ------------------------------------------------------------------------------

    @property
    def num_frames(self) -> int:
        return int(self.rotations.shape[0])

    @property
    def num_joints(self) -> int:
        return int(self.rotations.shape[1])

    @property
    def duration_s(self) -> float:
        """Time from the first to the last frame, in seconds."""
        return (self.num_frames - 1) / self.fps

    def check_skeleton(self, skeleton: Skeleton, field: str = "motion") -> None:
        """Raise :class:`ValidationError` unless this motion has ``skeleton``'s joint count."""
        if self.num_joints != skeleton.num_joints:
            raise ValidationError(
                f"{field}.rotations", f"has {self.num_joints} joints, the skeleton has {skeleton.num_joints}"
            )

    def translating_joints(self, skeleton: Skeleton, rel_tol: float = 1e-5) -> list[int]:
        """Joints whose translation leaves the rest offset at some frame (roots always count)."""
        tol = rel_tol * skeleton.size
        moved = (self.translations - skeleton.offsets).abs().amax(dim=(0, 2)) > tol
        roots = skeleton.parents < 0
        return [int(i) for i in (moved | roots).nonzero().flatten()]

    def global_transforms(self, skeleton: Skeleton) -> tuple[Tensor, Tensor]:
        """Global rotations ``(T, J, 4)`` and positions ``(T, J, 3)`` (skeleton units), the
        skeleton's rest scales applied (see :mod:`anymole.kinematics` for what the rotations
        mean under non-uniform scale)."""
        self.check_skeleton(skeleton)
        return forward_kinematics(skeleton.parents, self.rotations, self.translations, skeleton.fk_scales)

    def global_positions(self, skeleton: Skeleton) -> Tensor:
        """Global joint positions ``(T, J, 3)`` in the skeleton's frame and units."""
        return self.global_transforms(skeleton)[1]

    # -- editing ------------------------------------------------------------------------------

    def slice(self, start: int, stop: int | None = None) -> "Motion":
        """Frames ``[start, stop)`` as a new motion (Python slice semantics)."""
        rot = self.rotations[start:stop]
        if rot.shape[0] == 0:
            raise ValidationError("frames", f"range [{start}, {stop}) of a {self.num_frames}-frame motion is empty")
        return Motion(rot, self.translations[start:stop], self.fps)

    def with_frames(self, rotations: Tensor, translations: Tensor) -> "Motion":
        return Motion(rotations, translations, self.fps)

    def to(self, dtype: torch.dtype | None = None, device=None) -> "Motion":
        """The same motion on ``device``. Motions are stored in float32 (the construction
        converts), so ``dtype`` only matters to tensors taken out of it; it is accepted for
        symmetry with ``Tensor.to``."""
        return Motion(self.rotations.to(dtype=dtype, device=device), self.translations.to(dtype=dtype, device=device), self.fps)

    def resample(self, fps: float) -> "Motion":
        """Resample to ``fps``: slerp for rotations, lerp for translations.

        The result covers the same time span; its frame count is ``floor(duration_s * fps) + 1``
        (the last source frame is kept when the durations line up to within 1e-6 s).
        """
        fps = float(fps)
        if not math.isfinite(fps) or fps <= 0:
            raise ValidationError("fps", f"must be a positive number, got {fps!r}")
        if abs(fps - self.fps) < 1e-9:
            return self
        n = int(math.floor(self.duration_s * fps + 1e-6)) + 1
        src = torch.arange(n, dtype=torch.float64) * (self.fps / fps)
        src = src.clamp(max=self.num_frames - 1)
        i0 = src.floor().long().clamp(max=max(self.num_frames - 2, 0))
        i1 = (i0 + 1).clamp(max=self.num_frames - 1)
        a = (src - i0.double()).to(self.rotations.dtype)
        rot = quat_make_continuous(self.rotations, dim=0)
        r = quat_slerp(rot[i0], rot[i1], a[:, None].expand(-1, self.num_joints))
        a3 = a[:, None, None]
        t = self.translations[i0] * (1 - a3) + self.translations[i1] * a3
        return Motion(r, t, fps)
