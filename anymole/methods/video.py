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
of every stage (denoising steps included); progress follows the catalogue's plan and never
goes backwards; pose previews go out at stage ends and, rate-limited, while mimicking. The
pipeline dispatches here through :mod:`anymole.methods.catalogue`; nothing here imports gRPC.
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
from anymole.job import Cancelled, LogEvent, PreviewEvent, TransitionRequest, TransitionResult
from anymole.methods.catalogue import CATALOGUE
from anymole.methods.context import RunContext
from anymole.methods.previews import emit_result_previews
from anymole.metrics import keyframe_error
from anymole.mimic import MimicConfig, mimic, targets_from_frames
from anymole.render.renderer import render
from anymole.render.rig import PAPER_IMAGE_SIZE, PAPER_YAWS_DEG, rig_for_motion
from anymole.skeleton import Skeleton
from anymole.video.adapt import AdaptConfig, AdapterCache, adapt, adapter_key
from anymole.video.base import DEFAULT_PROMPT, VideoPrior
from anymole.video.registry import PriorRegistry
from anymole.video.two_stage import generate_two_stage

__all__ = ["VideoMethodConfig", "run_anymole"]

SPEC = CATALOGUE["anymole"]
# Request options that override the configuration: the catalogue's typed options.
OPTION_KEYS = tuple(o.name for o in SPEC.options)


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
        """This configuration with ``options`` (catalogue names, typed values) applied; a
        :class:`ValidationError` names ``options.anymole.<name>`` for an unknown or
        out-of-range one."""
        unknown = sorted(set(options) - set(OPTION_KEYS))
        if unknown:
            raise ValidationError("options.anymole", f"unknown option(s) {unknown} for method 'anymole'; known: {list(OPTION_KEYS)}")
        values = {}
        for name, value in options.items():
            try:
                values[name] = SPEC.option(name).check(value)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"options.anymole.{name}", str(exc)) from None
        c = self
        h, w = c.image_size
        if "image_height" in values or "image_width" in values:
            c = dataclasses.replace(c, image_size=(values.get("image_height", h), values.get("image_width", w)))
        if "adapt_steps" in values:
            c = dataclasses.replace(c, adapt=dataclasses.replace(c.adapt, steps=values["adapt_steps"]))
        if "denoise_steps" in values:
            c = dataclasses.replace(c, denoise_steps=values["denoise_steps"])
        if "estimator_steps" in values:
            c = dataclasses.replace(c, estimator=dataclasses.replace(c.estimator, steps=values["estimator_steps"]))
        if "mimic_iterations" in values:
            c = dataclasses.replace(c, mimic=dataclasses.replace(c.mimic, iterations=values["mimic_iterations"]))
        if values.get("prompt"):
            c = dataclasses.replace(c, prompt=values["prompt"])
        if "parallel_adaptation" in values:
            c = dataclasses.replace(c, parallel=values["parallel_adaptation"])
        return c


def skeleton_bytes(skeleton: Skeleton) -> bytes:
    """The skeleton's content (names, parents, rest offsets and rotations) for cache keys."""
    parts = ["\0".join(skeleton.names).encode()]
    for t in (skeleton.parents, skeleton.offsets, skeleton.rest_rotations):
        parts.append(t.detach().cpu().contiguous().numpy().tobytes())
    return b"\1".join(parts)


def run_anymole(request: TransitionRequest, ctx: RunContext) -> TransitionResult:
    """Run the five stages on ``request`` with the prior ``request.prior`` (or the registry's
    preferred one). Raises :class:`UnsupportedError` when no prior is loadable,
    :class:`Cancelled` when cancelled."""
    priors: PriorRegistry = ctx.priors if ctx.priors is not None else PriorRegistry()
    cancel = ctx.cancel
    problem = request.problem
    sk = problem.skeleton
    timings: dict[str, float] = {}
    warnings: list[str] = []

    name = priors.resolve(request.prior)
    ctx.log("info", f"loading video prior {name!r}")
    prior = priors.get(name)
    config = VideoMethodConfig.for_prior(prior, request.options)
    if prior.placeholder:
        warnings.append(
            f"video prior {name!r} has random weights: this in-between is a plumbing test, not a real result"
        )
    torch.manual_seed(request.seed)

    # 1. Render the known frames from every view.
    ctx.stage("render")
    t0 = time.perf_counter()
    reference = interpolation(problem)
    ctx.pose(reference, "render", stage_end=True)  # the starting point: the keyframe interpolation
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
    ctx.progress.report(
        "render", 1.0, f"rendered {len(known_idx)} known frames and {len(train_set) // V - len(known_idx)} poses between them from {V} views at {W}×{H}"
    )
    cancel.check()

    with priors.lock(name):
        try:
            # 2 ∥ 3. Adapt the prior and train the estimator.
            adapter, estimator = _adapt_and_train(prior, priors, config, sk, context_renders, train_set, ctx, timings)
            if adapter.cache_hit:
                ctx.log("info", "ICAdapt: adapter found in the cache; adaptation skipped")

            # 4. Generate the in-between video from the front view.
            ctx.stage("generate")
            t0 = time.perf_counter()
            video = _generate(prior, problem, renders[0], known_idx, config, request, ctx)
            timings["generate"] = time.perf_counter() - t0
            if ctx.artefacts_dir is not None:
                _write_video_artefact(ctx, video, problem.motion.fps)
        finally:
            prior.unload_adapter()

    # 5. Mimic the video; pose previews of the motion as it is solved.
    ctx.stage("mimic")
    t0 = time.perf_counter()
    targets = targets_from_frames(estimator, video[None], cams[0:1], problem.known)

    def mimic_progress(step: int, total: int, loss: float) -> None:
        ctx.progress.report("mimic", step / max(total, 1), f"mimic {step}/{total} (loss {loss:.4f})")

    def mimic_pose(step: int, total: int, current) -> None:
        ctx.pose(current, "mimic", step)

    motion = mimic(problem, targets, config.mimic, init=reference, progress=mimic_progress, check_cancel=cancel.check, on_pose=mimic_pose)
    timings["mimic"] = time.perf_counter() - t0
    cancel.check()
    ctx.pose(motion, "mimic", final=True)

    # Previews of the result, then the result.
    if request.preview.enabled:
        ctx.stage("preview")
        t0 = time.perf_counter()
        emit_result_previews(ctx, problem, motion, image_stage="mimic")
        timings["preview"] = time.perf_counter() - t0
    err = keyframe_error(sk, motion, problem.motion, problem.known)
    ctx.progress.report("preview", 1.0, "done")
    return TransitionResult(motion=motion, method="anymole", keyframe_error=err, warnings=tuple(warnings), timings_s=timings)


def _write_video_artefact(ctx: RunContext, video: Tensor, fps: float) -> None:
    """The generated front-view clip ``(T, H, W, 3)`` in [0, 1] as an MP4 in a new folder of
    ``ctx.artefacts_dir``; its path goes out as a log event (nothing large travels)."""
    import uuid
    from pathlib import Path

    from anymole.render.mp4 import write_mp4

    frames = (video.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
    T, H, W, _ = frames.shape
    frames = frames[:, : H - H % 2, : W - W % 2]  # H.264 wants even sizes
    path = Path(ctx.artefacts_dir) / uuid.uuid4().hex / "generated.mp4"
    write_mp4(path, list(frames), fps)
    ctx.log("info", f"artefact: generated video {path}")


def _adapt_and_train(prior, priors, config, sk, context_renders, train_set, ctx: RunContext, timings):
    """ICAdapt and estimator training, on two threads when ``config.parallel``; either failing
    (or a cancel) stops the other. Both stage events are sent from this thread, in catalogue
    order, before either starts."""
    abort = threading.Event()
    cancel = ctx.cancel

    def check() -> None:
        cancel.check()
        if abort.is_set():
            raise Cancelled("stopped: a concurrent stage failed")

    key = adapter_key(prior.identity(), skeleton_bytes(sk), context_renders, config.prompt, config.adapt)
    cache = AdapterCache(priors.adapter_cache, getattr(priors, "max_adapters", None))

    def run_adapt():
        t0 = time.perf_counter()
        try:
            result = adapt(
                prior, context_renders, prompt=config.prompt, config=config.adapt, cache=cache, key=key,
                progress=lambda s, n, loss: ctx.progress.report("adapt", s / max(n, 1), f"ICAdapt step {s}/{n} (loss {loss:.4f})"),
                check_cancel=check,
            )
        except BaseException:
            abort.set()
            raise
        ctx.progress.report("adapt", 1.0, "ICAdapt done")
        timings["adapt"] = time.perf_counter() - t0
        return result

    def run_estimator():
        t0 = time.perf_counter()
        try:
            est = train_estimator(
                train_set, config.estimator,
                progress=lambda s, n, loss: ctx.progress.report("estimator", s / max(n, 1), f"estimator step {s}/{n} (loss {loss:.4f})"),
                check_cancel=check, progress_every=max(1, config.estimator.steps // 20),
            )
        except BaseException:
            abort.set()
            raise
        ctx.progress.report("estimator", 1.0, "estimator trained")
        timings["estimator"] = time.perf_counter() - t0
        return est

    ctx.stage("adapt")
    ctx.stage("estimator")
    if not config.parallel:
        return run_adapt(), run_estimator()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="anymole-adapt") as pool:
        future = pool.submit(run_adapt)
        try:
            estimator = run_estimator()
        finally:
            adapter = future.result()  # re-raises adaptation's error (after the estimator stopped)
    return adapter, estimator


def _generate(prior, problem: InbetweenProblem, front: Tensor, known_idx: Tensor, config, request, ctx: RunContext) -> Tensor:
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
    share = {"coarse": (0.0, 0.4), "fine": (0.4, 1.0)}
    state = {"n": 0}

    def on_preview(stage: str, step: int, estimate: Tensor) -> None:
        lo, hi = share.get(stage, (0.0, 1.0))
        ctx.progress.report("generate", lo + (hi - lo) * step / config.denoise_steps, f"generate ({stage}) step {step}/{config.denoise_steps}")
        if request.preview.enabled and ctx.image_gate.open():
            from anymole.render.preview import encode_frame

            f = unknown[state["n"] % len(unknown)]  # walk through the gap's frames, one per preview
            state["n"] += 1
            ctx.emit(PreviewEvent(encode_frame(estimate[f], size, fmt), fmt, size[0], size[1], f, f"generate:{stage}", step))

    def on_frame(index: int, frame: Tensor) -> None:
        if request.preview.enabled and ctx.image_gate.open():
            from anymole.render.preview import encode_frame

            ctx.emit(PreviewEvent(encode_frame(frame, size, fmt), fmt, size[0], size[1], index, "generate:final", config.denoise_steps))

    return generate_two_stage(
        prior, frames, problem.known, keyframe_spacing=spacing, coarse_stride=config.coarse_stride,
        prompt=config.prompt, steps=config.denoise_steps, seed=request.seed, guidance_scale=config.guidance_scale,
        preview_every=config.preview_every, on_preview=on_preview, on_frame=on_frame, check_cancel=ctx.cancel.check,
    )
