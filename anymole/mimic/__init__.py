"""Motion video mimicking: optimise a character's joints so that it follows target frames.

AnyMoLe's last stage. Targets are what a video shows of the character — each joint's 2D
position and depth in each view, predicted by the scene-specific joint estimator
(:mod:`anymole.estimator`), and optionally its silhouette — at the frames of the gaps. The
solver optimises local rotations (6D) and the translations of the joints that translate so that
the projected joints follow the targets, regularised toward each frame's initialisation and the
translation's keyframe interpolation, with the known frames held exactly.

- ``targets``: :class:`MimicTargets` and :func:`targets_from_frames` (estimator on frames).
- ``objective``: the stateless loss terms and the pose parameterisation.
- ``solve``: :func:`mimic` — from both ends of each gap toward the middle, then a joint
  smoothing pass over the gap frames.
"""

from anymole.mimic.objective import MimicWeights
from anymole.mimic.solve import MimicConfig, mimic, sweep_rounds
from anymole.mimic.targets import MimicTargets, targets_from_frames

__all__ = ["MimicConfig", "MimicTargets", "MimicWeights", "mimic", "sweep_rounds", "targets_from_frames"]
