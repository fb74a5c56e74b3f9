"""The scene-specific joint estimator: images of one character → its joints' 2D positions and depths.

Trained only on renders of this character (the context frames and keyframes, every view, with
augmentation), as AnyMoLe does, so that it needs no motion or pose data beyond the scene.

- ``data``: training sets rendered from a motion (images with 2D joints and depths) — for a
  transition, the context and keyframes plus poses on the way between them — and the
  augmentation (random similarity transforms of image and labels, brightness/contrast).
- ``crop``: crops around the character, so the network's pixels are spent on it.
- ``network``: the heatmap network trained from scratch (default) and the soft-argmax; a head on
  frozen pretrained features (DINOv2 through transformers) when their weights are on disk.
- ``estimator``: :class:`JointEstimator` — the network plus the label normalisation, ``predict``.
- ``train``: :func:`train_estimator` (progress, cancellation) and :func:`evaluate_2d_error`.
"""

from anymole.estimator.data import (
    EstimatorData,
    augment,
    limb_joints,
    perturb_poses,
    render_training_set,
    render_transition_training_set,
)
from anymole.estimator.estimator import JointEstimator
from anymole.estimator.train import EstimatorConfig, evaluate_2d_error, train_estimator

__all__ = [
    "EstimatorConfig",
    "EstimatorData",
    "JointEstimator",
    "augment",
    "evaluate_2d_error",
    "limb_joints",
    "perturb_poses",
    "render_training_set",
    "render_transition_training_set",
    "train_estimator",
]
