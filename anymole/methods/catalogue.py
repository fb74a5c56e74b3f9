"""THE method catalogue: one entry per method — its name, whether it needs a video prior,
whether it is the default, its typed options, its stages in order and its progress plan.

The server fills ``GetServerInfo.capabilities.method_info`` from it (so editor UIs build their
method dropdown, option fields and stage display from the server), validates options against
it, and the pipeline dispatches through it. Pure data: importing it loads no torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

# Progress plans: (stage, fraction of the job at which it ends), in order. A stage's band runs
# from the previous stage's end to its own. Stages that run concurrently share one band
# (``PARALLEL`` names them); their progress is the mean of theirs.
PARALLEL = {"adapt+estimator": ("adapt", "estimator")}


@dataclass(frozen=True)
class OptionSpec:
    """A typed option. ``name`` is its field in ``AnymoleOptions`` (snake case), ``type`` one
    of ``bool``, ``int``, ``float``, ``string``; ``minimum``/``maximum`` inclusive (None:
    unbounded)."""

    name: str
    type: str
    description: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None

    def check(self, value: Any) -> Any:
        """``value`` converted to the option's type; ValueError naming the bound it breaks."""
        if self.type == "bool":
            return bool(value)
        if self.type == "string":
            return str(value)
        v = int(value) if self.type == "int" else float(value)
        if self.minimum is not None and v < self.minimum:
            raise ValueError(f"{self.name} must be >= {self.minimum:g}, got {v}")
        if self.maximum is not None and v > self.maximum:
            raise ValueError(f"{self.name} must be <= {self.maximum:g}, got {v}")
        return v


@dataclass(frozen=True)
class MethodSpec:
    """One method. ``runner`` is ``"module:function"`` with the signature
    ``(request: TransitionRequest, context: RunContext) -> TransitionResult``, imported when a
    job runs. ``options_field`` names the ``JobOptions`` field that carries its options."""

    name: str
    description: str
    runner: str
    stages: tuple[str, ...]
    plan: tuple[tuple[str, float], ...]
    needs_prior: bool = False
    default: bool = False
    options: tuple[OptionSpec, ...] = ()
    options_field: str = ""

    def load_runner(self) -> Callable:
        module, func = self.runner.split(":")
        return getattr(importlib.import_module(module), func)

    def option(self, name: str) -> OptionSpec:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)

    def band(self, stage: str) -> tuple[float, float]:
        """``(start, end)`` fractions of ``stage`` (or of a :data:`PARALLEL` group)."""
        lo = 0.0
        for name, end in self.plan:
            if name == stage:
                return lo, end
            lo = end
        raise KeyError(f"stage {stage!r} is not in the progress plan of {self.name!r}")


_CLASSICAL_STAGES = ("validate", "inbetween", "preview")
_CLASSICAL_PLAN = (("validate", 0.02), ("inbetween", 0.5), ("preview", 1.0))
_CLASSICAL_RUNNER = "anymole.methods.classical:run_classical"

ANYMOLE_OPTIONS = (
    OptionSpec("prompt", "string", "text prompt of the video prior (empty: the prior's default)", ""),
    OptionSpec("image_width", "int", "render and video width in pixels (multiples of 32 for real priors)", 512, 32, 2048),
    OptionSpec("image_height", "int", "render and video height in pixels (multiples of 32 for real priors)", 320, 32, 2048),
    OptionSpec("adapt_steps", "int", "ICAdapt fine-tuning steps (0: skip adaptation)", 100, 0, 100000),
    OptionSpec("denoise_steps", "int", "denoising steps per generation stage", 30, 1, 1000),
    OptionSpec("estimator_steps", "int", "joint estimator training steps", 4000, 1, 1000000),
    OptionSpec("mimic_iterations", "int", "motion-mimicking optimiser iterations per sweep round", 60, 1, 100000),
    OptionSpec("parallel_adaptation", "bool", "adapt the prior on a second thread while the estimator trains", True),
)

CATALOGUE: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec(
            "spline", "classical in-betweening: velocity-aware, keyframes exact (CPU, no model)",
            _CLASSICAL_RUNNER, _CLASSICAL_STAGES, _CLASSICAL_PLAN, default=True,
        ),
        MethodSpec("interpolation", "baseline: slerp rotations, lerp translations between known frames", _CLASSICAL_RUNNER, _CLASSICAL_STAGES, _CLASSICAL_PLAN),
        MethodSpec("zero_velocity", "baseline: hold the last context pose until the keyframe", _CLASSICAL_RUNNER, _CLASSICAL_STAGES, _CLASSICAL_PLAN),
        MethodSpec(
            "anymole",
            "AnyMoLe (CVPR 2025): render, ICAdapt a video diffusion prior, generate the in-between video, mimic it",
            "anymole.methods.video:run_anymole",
            ("validate", "render", "adapt", "estimator", "generate", "mimic", "preview"),
            (("validate", 0.01), ("render", 0.05), ("adapt+estimator", 0.45), ("generate", 0.8), ("mimic", 0.95), ("preview", 1.0)),
            needs_prior=True,
            options=ANYMOLE_OPTIONS,
            options_field="anymole",
        ),
    )
}

DEFAULT_METHOD = next(name for name, spec in CATALOGUE.items() if spec.default)
CLASSICAL_METHODS = tuple(name for name, spec in CATALOGUE.items() if not spec.needs_prior)
VIDEO_METHODS = tuple(name for name, spec in CATALOGUE.items() if spec.needs_prior)

NO_PRIOR_REASON = (
    "needs a video prior (a video diffusion model on disk); this server has none configured. Start it with "
    "--video-model ltx=/path/to/LTX-Video or --video-model wan-vace=/path/to/Wan2.1-VACE-1.3B-diffusers "
    "(diffusers folders; nothing is downloaded)"
)


def availability(name: str, video_priors: tuple[str, ...] = ()) -> tuple[bool, str]:
    """``(runnable, reason)`` of method ``name`` on an installation with ``video_priors``."""
    spec = CATALOGUE[name]
    if spec.needs_prior and not video_priors:
        return False, NO_PRIOR_REASON
    return True, ""


def available_methods(video_prior_ready: bool = False) -> tuple[str, ...]:
    """Methods this installation can run right now, in catalogue order."""
    priors = ("any",) if video_prior_ready else ()
    return tuple(name for name in CATALOGUE if availability(name, priors)[0])
