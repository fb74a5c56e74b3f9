"""The ``anymole`` method: AnyMoLe's five stages wired together for one transition.

1. **render** the context and keyframes from the paper's four views (front, back, front ±5°),
   framed on the keyframe interpolation;
2. **adapt** the video prior to this character and scene (ICAdapt, LoRA; cached by content) —
   concurrently with 3. where ``parallel`` is set;
3. **estimator**: train the scene-specific joint estimator on the same renders;
4. **generate** the in-between video from the front view in two stages (coarse frames at the
   prior's stride, then the frames between), streaming previews while denoising and each frame
   once final;
5. **mimic**: optimise the joints so that the character follows the generated video.

Events go through ``emit`` (stage, progress, preview, log); ``cancel`` is checked between steps
of every stage (denoising steps included). :func:`anymole.pipeline.run_transition` calls
:func:`run_anymole`; nothing here imports gRPC.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.estimator import EstimatorConfig, render_transition_training_set, train_estimator
from anymole.inbetween import InbetweenProblem, interpolation
from anymole.metrics import keyframe_error
from anymole.mimic import MimicConfig, mimic, targets_from_frames
from anymole.pipeline import (
    Cancelled,
    CancelToken,
    Emit,
    LogEvent,
    PreviewEvent,
    ProgressEvent,
    StageEvent,
    TransitionRequest,
    TransitionResult,
    emit_result_previews,
)
from anymole.render.renderer import render
from anymole.render.rig import PAPER_IMAGE_SIZE, PAPER_YAWS_DEG, rig_for_motion
from anymole.skeleton import Skeleton
from anymole.video.adapt import AdaptConfig, AdapterCache, adapt, adapter_key
from anymole.video.base import DEFAULT_PROMPT, VideoPrior
from anymole.video.registry import PriorRegistry
from anymole.video.two_stage import generate_two_stage

__all__ = ["VideoMethodConfig", "run_anymole"]

# Request options that override the configuration (name → parser); anything else is refused.
OPTION_KEYS = ("image_size", "adapt_steps", "denoise_steps", "estimator_steps", "mimic_iterations", "prompt", "parallel")


@dataclass(frozen=True)
class VideoMethodConfig:
    """Settings of one ``anymole`` transition.

    ``image_size`` ``(H, W)`` of every render and of the generated video (multiples of 32 for
    the real priors; the paper's 320×512 by default); ``yaws_deg`` the rig's views;
    ``denoise_steps``/``guidance_scale`` per generation stage; ``coarse_stride`` the stage-1
    frame stride (30 fps → 5 fps: 6); ``parallel`` adapts on a second thread while the
    estimator trains.
    """

    image_size: tuple[int, int] = PAPER_IMAGE_SIZE
    yaws_deg: tuple[float, ...] = PAPER_YAWS_DEG
    adapt: AdaptConfig = field(default_factory=AdaptConfig)
    denoise_steps: int = 30
    guidance_scale: float = 3.0
    coarse_stride: int = 6
    preview_every: int = 2
    estimator: EstimatorConfig = field(default_factory=EstimatorConfig)
    mimic: MimicConfig = field(default_factory=MimicConfig)
    prompt: str = DEFAULT_PROMPT
    parallel: bool = True

    @classmethod
    def for_prior(cls, prior: VideoPrior, options: dict | None = None) -> "VideoMethodConfig":
        """Defaults for ``prior`` (tiny sizes for the ``tiny`` placeholder, so a plumbing run
        takes seconds on a CPU) with ``options`` (keys :data:`OPTION_KEYS`) applied."""
        if prior.placeholder:
            config = cls(
                image_size=(64, 64),
                adapt=AdaptConfig(steps=6, clip_frames=9, rank=4),
                denoise_steps=6,
                guidance_scale=1.0,
                coarse_stride=4,
                preview_every=1,
                estimator=EstimatorConfig(steps=40, width=8, batch_size=8),
                mimic=MimicConfig(iterations=10, smooth_iterations=20),
            )
        else:
            config = cls()
        return config.with_options(options or {})

    def with_options(self, options: dict) -> "VideoMethodConfig":
        unknown = sorted(set(options) - set(OPTION_KEYS))
        if unknown:
            raise ValidationError("options", f"unknown option(s) {unknown} for method 'anymole'; known: {list(OPTION_KEYS)}")
        c = self
        try:
            if "image_size" in options:
                h, w = (int(v) for v in options["image_size"])
                if h < 32 or w < 32:
                    raise ValueError("image_size must be at least 32×32")
                c = dataclasses.replace(c, image_size=(h, w))
            if "adapt_steps" in options:
                c = dataclasses.replace(c, adapt=dataclasses.replace(c.adapt, steps=int(options["adapt_steps"])))
            if "denoise_steps" in options:
                c = dataclasses.replace(c, denoise_steps=max(1, int(options["denoise_steps"])))
            if "estimator_steps" in options:
                c = dataclasses.replace(c, estimator=dataclasses.replace(c.estimator, steps=max(1, int(options["estimator_steps"]))))
            if "mimic_iterations" in options:
                c = dataclasses.replace(c, mimic=dataclasses.replace(c.mimic, iterations=max(1, int(options["mimic_iterations"]))))
            if "prompt" in options:
                c = dataclasses.replace(c, prompt=str(options["prompt"]) or DEFAULT_PROMPT)
            if "parallel" in options:
                c = dataclasses.replace(c, parallel=bool(options["parallel"]))
        except (TypeError, ValueError) as exc:
            raise ValidationError("options", f"bad option for method 'anymole': {exc}") from None
        return c


def skeleton_bytes(skeleton: Skeleton) -> bytes:
    """The skeleton's content (names, parents, rest offsets and rotations) for cache keys."""
    parts = ["\0".join(skeleton.names).encode()]
    for t in (skeleton.parents, skeleton.offsets, skeleton.rest_rotations):
        parts.append(t.detach().cpu().contiguous().numpy().tobytes())
    return b"\1".join(parts)


class _Events:
    """Thread-safe ``emit`` (adaptation reports from a second thread) with a progress band."""

    def __init__(self, emit: Emit):
        self._emit, self._lock = emit, threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            self._emit(event)

    def progress(self, lo: float, hi: float, done: float, message: str) -> None:
        self(ProgressEvent(lo + (hi - lo) * min(max(done, 0.0), 1.0), message))


def run_anymole(
    request: TransitionRequest,
    emit: Emit,
    cancel: CancelToken,
    priors: PriorRegistry,
    render_preview=None,
) -> TransitionResult:
    """Run the five stages on ``request`` with the prior ``request.prior`` (or the registry's
    preferred one). Raises :class:`UnsupportedError` when no prior is loadable,
    :class:`Cancelled` when cancelled."""
    events = _Events(emit)
    problem = request.problem
    sk = problem.skeleton
    timings: dict[str, float] = {}
    warnings: list[str] = []

    name = priors.resolve(request.prior)
    events(LogEvent("info", f"loading video prior {name!r}"))
    prior = priors.get(name)
    config = VideoMethodConfig.for_prior(prior, request.options)
    if prior.placeholder:
        warnings.append(
            f"video prior {name!r} has random weights: this in-between is a plumbing test, not a real result"
        )
    torch.manual_seed(request.seed)

    # 1. Render the known frames from every view.
    events(StageEvent("render"))
    t0 = time.perf_counter()
    reference = interpolation(problem)
    cams = rig_for_motion(sk, reference, config.image_size, yaws_deg=config.yaws_deg)
    known_idx = problem.known.nonzero().flatten()
    est_cfg = config.estimator
    train_set = render_transition_training_set(
        sk, problem.motion, problem.known, reference, cams,
        perturbed=est_cfg.perturbed_poses, sigma=est_cfg.perturb_sigma, seed=request.seed,
    )
    context_stop = problem.gaps()[0][0]
    V = len(cams)
    H, W = config.image_size
    # The set starts with the known frames, view-major: (V, T_known, H, W, 3).
    renders = train_set.images[: V * len(known_idx)].reshape(V, -1, H, W, 3)
    context_renders = renders[:, :context_stop]  # the leading known run: ICAdapt's clips
    timings["render"] = time.perf_counter() - t0
    events.progress(
        0.0, 0.05, 1.0, f"rendered {len(known_idx)} known frames and {len(train_set) // V - len(known_idx)} poses between them from {V} views at {W}×{H}"
    )
    cancel.check()

    with priors.lock(name):
        try:
            # 2 ∥ 3. Adapt the prior and train the estimator.
            adapter, estimator = _adapt_and_train(prior, name, priors, config, sk, context_renders, train_set, events, cancel, timings)
            if adapter.cache_hit:
                events(LogEvent("info", "ICAdapt: adapter found in the cache; adaptation skipped"))

            # 4. Generate the in-between video from the front view.
            events(StageEvent("generate"))
            t0 = time.perf_counter()
            video = _generate(prior, problem, renders[0], known_idx, config, request, events, cancel)
            timings["generate"] = time.perf_counter() - t0
        finally:
            prior.unload_adapter()

    # 5. Mimic the video.
    events(StageEvent("mimic"))
    t0 = time.perf_counter()
    targets = targets_from_frames(estimator, video[None], cams[0:1], problem.known)
    n_steps = [0]

    def mimic_progress(step: int, total: int, loss: float) -> None:
        n_steps[0] = total
        events.progress(0.8, 0.95, step / max(total, 1), f"mimic {step}/{total} (loss {loss:.4f})")

    motion = mimic(problem, targets, config.mimic, init=reference, progress=mimic_progress, check_cancel=cancel.check)
    timings["mimic"] = time.perf_counter() - t0
    cancel.check()

    # Previews of the result, then the result.
    if request.preview.enabled:
        events(StageEvent("preview"))
        t0 = time.perf_counter()
        emit_result_previews(problem, motion, request.preview, events, cancel, render_preview, stage="mimic", band=(0.95, 1.0))
        timings["preview"] = time.perf_counter() - t0
    err = keyframe_error(sk, motion, problem.motion, problem.known)
    events(ProgressEvent(1.0, "done"))
    return TransitionResult(motion=motion, method="anymole", keyframe_error=err, warnings=tuple(warnings), timings_s=timings)


def _adapt_and_train(prior, name, priors, config, sk, context_renders, train_set, events, cancel, timings):
    """ICAdapt and estimator training, on two threads when ``config.parallel``; either failing
    (or a cancel) stops the other."""
    abort = threading.Event()

    def check() -> None:
        cancel.check()
        if abort.is_set():
            raise Cancelled("stopped: a concurrent stage failed")

    key = adapter_key(prior.identity(), skeleton_bytes(sk), context_renders, config.prompt, config.adapt)
    cache = AdapterCache(priors.adapter_cache)

    def run_adapt():
        t0 = time.perf_counter()
        try:
            events(StageEvent("adapt"))
            result = adapt(
                prior, context_renders, prompt=config.prompt, config=config.adapt, cache=cache, key=key,
                progress=lambda s, n, loss: events.progress(0.05, 0.3, s / max(n, 1), f"ICAdapt step {s}/{n} (loss {loss:.4f})"),
                check_cancel=check,
            )
        except BaseException:
            abort.set()
            raise
        timings["adapt"] = time.perf_counter() - t0
        return result

    def run_estimator():
        t0 = time.perf_counter()
        try:
            events(StageEvent("estimator"))
            est = train_estimator(
                train_set, config.estimator,
                progress=lambda s, n, loss: events.progress(0.3, 0.45, s / max(n, 1), f"estimator step {s}/{n} (loss {loss:.4f})"),
                check_cancel=check, progress_every=max(1, config.estimator.steps // 20),
            )
        except BaseException:
            abort.set()
            raise
        timings["estimator"] = time.perf_counter() - t0
        return est

    if not config.parallel:
        return run_adapt(), run_estimator()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="anymole-adapt") as pool:
        future = pool.submit(run_adapt)
        try:
            estimator = run_estimator()
        finally:
            adapter = future.result()  # re-raises adaptation's error (after the estimator stopped)
    return adapter, estimator


def _generate(prior, problem: InbetweenProblem, front: Tensor, known_idx: Tensor, config, request, events, cancel) -> Tensor:
    """The front view's clip ``(T, H, W, 3)`` with the known frames rendered and the rest
    generated; previews of the current estimate while denoising, then of each final frame."""
    T = problem.num_frames
    H, W = config.image_size
    frames = torch.full((T, H, W, 3), 0.5)
    frames[known_idx] = front.float()
    gaps = problem.gaps()
    unknown = (~problem.known).nonzero().flatten().tolist()
    spacing = max(e - s for s, e in gaps) + 1
    size, fmt = request.preview.size, request.preview.image_format
    stage_share = {"coarse": (0.45, 0.6), "fine": (0.6, 0.8)}
    state = {"n": 0}

    def on_preview(stage: str, step: int, estimate: Tensor) -> None:
        lo, hi = stage_share.get(stage, (0.45, 0.8))
        events.progress(lo, hi, step / config.denoise_steps, f"generate ({stage}) step {step}/{config.denoise_steps}")
        if request.preview.enabled:
            from anymole.render.preview import encode_frame

            f = unknown[state["n"] % len(unknown)]  # walk through the gap's frames, one per preview
            state["n"] += 1
            events(PreviewEvent(encode_frame(estimate[f], size, fmt), fmt, size[0], size[1], f, f"generate:{stage}", step))

    def on_frame(index: int, frame: Tensor) -> None:
        if request.preview.enabled:
            from anymole.render.preview import encode_frame

            events(PreviewEvent(encode_frame(frame, size, fmt), fmt, size[0], size[1], index, "generate:final", config.denoise_steps))

    return generate_two_stage(
        prior, frames, problem.known, keyframe_spacing=spacing, coarse_stride=config.coarse_stride,
        prompt=config.prompt, steps=config.denoise_steps, seed=request.seed, guidance_scale=config.guidance_scale,
        preview_every=config.preview_every, on_preview=on_preview, on_frame=on_frame, check_cancel=cancel.check,
    )
