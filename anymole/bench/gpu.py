"""`anymole bench gpu --json out.json`: a prepared GPU measurement of the ``anymole`` method.

Designed to finish within 8 minutes on one H100/H200-class GPU with **no weights on disk**:
every component is built in code from its configuration and randomly initialised (nothing is
ever downloaded), so only speed and memory mean anything here, never the output.

What is built (full size, ``--device cuda``, bfloat16):

- the default prior's denoiser and VAE at their published configuration: LTX-Video 2B 0.9.5
  (the model ``LTXConditionPipeline`` is documented with) — ``LTXVideoTransformer3DModel``
  (28 layers, 32 heads × 64, 128 latent channels, caption channels 4096) and
  ``AutoencoderKLLTXVideo`` (spatial compression 32, temporal 8, timestep-conditioned
  decoder); see :data:`LTX_2B_095_TRANSFORMER` and :data:`LTX_2B_095_VAE`;
- a **small random text encoder** in place of T5-XXL (one T5 layer with ``d_model`` 4096, so the
  denoiser's caption projection is the real one) and a word-level tokenizer built in code: text
  encoding runs once per prompt and is cached, so it does not enter the per-step figures;
- the estimator (:class:`~anymole.estimator.network.HeatmapNet`, trained from scratch as the
  method does), the mimicking solver and the differentiable rasteriser, as they are.

Layout: the method's for a 1-second transition — ``context`` = 61 known frames at 30 fps, a gap
of 30 unknown frames, one target keyframe (``T = 92`` frames), 4 views at 320×512; ICAdapt
clips of 17 frames; two-stage generation with the coarse stride 6 (stage 1 on the coarse
frames, stage 2 on all ``T`` frames with known and coarse frames held), CFG 3.0.

``--dry-run`` runs the same code with tiny configurations on the CPU (the ``tiny`` random
LTX pipeline, 32×64 frames, a short window, a few steps) in well under a minute: it shows the
harness works before anyone spends GPU time on it. Its figures mean nothing.

Every measurement is bounded by a number of steps (``--steps``: denoising steps per measured
generation, ICAdapt steps, …) and by ``--section-time-s`` seconds (a section that runs out of
time stops and reports from the steps it timed). A section that fails records its error in
``errors`` and its figures as null; the others still run.

JSON keys (seconds, GiB, per-second rates; null where a section failed):

- ``device``, ``dry_run``, ``dtype``, ``torch``, ``diffusers``: where and with what it ran;
- ``components``: what was built: ``transformer``, ``vae``, ``text_encoder`` (parameter
  counts), ``transformer_config``, ``text_encoder_note``;
- ``layout``: ``image_size`` ``[H, W]``, ``views``, ``context_frames``, ``gap_frames``,
  ``frames`` (T), ``coarse_frames`` (stage-1 clip), ``coarse_stride``, ``adapt_clip_frames``;
- ``denoise_step_s_coarse``, ``denoise_step_s_fine``: one denoising step (CFG: two denoiser
  passes in one batch) of stage 1 / stage 2, median over the timed steps after the first;
- ``generate_overhead_s_coarse``, ``generate_overhead_s_fine``: the rest of one ``generate``
  call (prompt, conditioning latents, the final VAE decode): total − steps × step time;
- ``preview_decode_s``: one preview (a full VAE decode of the current estimate, stage 2);
- ``adapt_step_s``: one ICAdapt LoRA training step (17-frame clip, rank 16, AdamW);
- ``adapter_load_s``: loading a cached adapter onto the denoiser (what a cache hit costs);
- ``peak_mem_gib_generate``: peak GPU memory of a stage-2 ``generate``, weights resident;
- ``peak_mem_gib_generate_offload_tiling``: the same with ``enable_model_cpu_offload()`` and
  VAE tiling (on the CPU there is no offload: VAE tiling only);
- ``peak_mem_gib_adapt``: peak GPU memory of ICAdapt training steps;
  on the CPU (dry run) the three ``peak_mem_gib_*`` are the process's peak resident set,
  which never decreases, so they are not comparable with one another there;
- ``denoise_step_s_fine_offload``: a stage-2 step with CPU offload (= the plain one on CPU);
- ``estimator_steps_per_s``: estimator training steps (batch 16, crops) on the device;
- ``mimic_iterations_per_s``: mimicking optimiser iterations on the device (``mimic_device``
  says where it ran: the CPU when the solver cannot run on the device, with the reason in
  ``errors``);
- ``render_fps``: frames per second of the rasteriser on the device (one view, shaded image,
  batch of the gap's frames);
- ``method``: the method's default step counts used below (``denoise_steps``, ``adapt_steps``,
  ``estimator_steps``, ``mimic_iterations`` in all, ``render_images``, ``previews``,
  ``parallel``);
- ``transition_1s_cold_s``, ``transition_1s_cached_s``: the estimated wall time of one
  1-second transition, cold (ICAdapt trains) and with its adapter cached, and
  ``estimate_terms``: ``render``, ``adapt``, ``adapt_cached``, ``estimator``, ``generate``,
  ``mimic`` (seconds, the terms below). The formula::

      render    = render_images / render_fps          (render_images = V × (context + 1 + gap + 90 perturbed poses))
      adapt     = adapt_steps × adapt_step_s           (cached: adapter_load_s)
      estimator = estimator_steps / estimator_steps_per_s
      generate  = Σ_stage (denoise_steps × denoise_step_s_stage + generate_overhead_s_stage)
                  + previews × preview_decode_s        (previews = 2 × denoise_steps / preview_every)
      mimic     = mimic_iterations / mimic_iterations_per_s
      cold      = render + max(adapt, estimator) + generate + mimic
      cached    = render + max(adapter_load_s, estimator) + generate + mimic

  The max: the method runs ICAdapt and estimator training on two threads (``parallel``); on one
  GPU they compete, so ``transition_1s_cold_sequential_s`` (a sum instead) bounds it above.
  Loading the prior (once per server) is not included.
- ``errors``: one line per failed section; ``wall_s``: this run's wall time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

HELP = "A prepared GPU measurement of the anymole method (random full-size LTX-Video 2B, no weights)."

# LTX-Video 2B 0.9.5 at its published configuration (as converted to diffusers).
LTX_2B_095_TRANSFORMER = dict(
    in_channels=128, out_channels=128, patch_size=1, patch_size_t=1, num_attention_heads=32, attention_head_dim=64,
    cross_attention_dim=2048, num_layers=28, activation_fn="gelu-approximate", qk_norm="rms_norm_across_heads",
    norm_elementwise_affine=False, norm_eps=1e-6, caption_channels=4096, attention_bias=True, attention_out_bias=True,
)
LTX_2B_095_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=128, block_out_channels=(128, 256, 512, 1024, 2048),
    down_block_types=("LTXVideo095DownBlock3D",) * 4, decoder_block_out_channels=(256, 512, 1024),
    layers_per_block=(4, 6, 6, 2, 2), decoder_layers_per_block=(5, 5, 5, 5), spatio_temporal_scaling=(True, True, True, True),
    decoder_spatio_temporal_scaling=(True, True, True), decoder_inject_noise=(False, False, False, False),
    downsample_type=("spatial", "temporal", "spatiotemporal", "spatiotemporal"), upsample_residual=(True, True, True),
    upsample_factor=(2, 2, 2), timestep_conditioning=True, patch_size=4, patch_size_t=1, resnet_norm_eps=1e-6,
    scaling_factor=1.0, encoder_causal=True, decoder_causal=False, spatial_compression_ratio=32, temporal_compression_ratio=8,
)
TEXT_ENCODER_NOTE = "random 1-layer T5 encoder (d_model 4096, 4 heads) in place of T5-XXL; prompt embeddings are cached per prompt"

SCALAR_KEYS = (
    "denoise_step_s_coarse", "denoise_step_s_fine", "generate_overhead_s_coarse", "generate_overhead_s_fine",
    "preview_decode_s", "adapt_step_s", "adapter_load_s", "peak_mem_gib_generate", "peak_mem_gib_generate_offload_tiling",
    "peak_mem_gib_adapt", "denoise_step_s_fine_offload", "estimator_steps_per_s", "mimic_iterations_per_s", "render_fps",
    "transition_1s_cold_s", "transition_1s_cached_s", "transition_1s_cold_sequential_s",
)
"""The measured and estimated figures: numbers, null only where a section failed."""
ESTIMATE_TERMS = ("render", "adapt", "adapt_cached", "estimator", "generate", "mimic")


@dataclass(frozen=True)
class Scale:
    """The sizes of one run: the method's for a GPU, tiny ones for ``--dry-run``."""

    image_size: tuple[int, int]
    views: int
    context_frames: int
    gap_frames: int
    coarse_stride: int
    adapt_clip_frames: int
    adapt_rank: int
    estimator_images: int
    perturbed_poses: int

    @property
    def frames(self) -> int:
        return self.context_frames + self.gap_frames + 1


FULL = Scale(image_size=(320, 512), views=4, context_frames=61, gap_frames=30, coarse_stride=6, adapt_clip_frames=17, adapt_rank=16, estimator_images=64, perturbed_poses=90)
TINY = Scale(image_size=(32, 64), views=4, context_frames=9, gap_frames=6, coarse_stride=3, adapt_clip_frames=9, adapt_rank=4, estimator_images=16, perturbed_poses=4)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures here")
    parser.add_argument("--device", default=None, help="torch device (default cuda; cpu with --dry-run)")
    parser.add_argument("--dry-run", action="store_true", help="tiny configurations on the CPU: checks the harness, figures mean nothing")
    parser.add_argument("--steps", type=int, default=0, help="timed steps per measurement (default 5; 3 with --dry-run)")
    parser.add_argument("--section-time-s", type=float, default=60.0, help="time limit of each measurement, seconds (default 60)")


# -- timing helpers -----------------------------------------------------------------------------


class _TimeUp(Exception):
    """A section ran out of its time; its figures come from the steps timed so far."""


class Ticker:
    """Timestamps of a loop's steps (device-synchronised); raises :class:`_TimeUp` past
    ``deadline`` once ``min_ticks`` were recorded."""

    def __init__(self, device, deadline: float, min_ticks: int = 3):
        self.device, self.deadline, self.min_ticks = device, deadline, min_ticks
        self.t: list[float] = []

    def __call__(self, *_args) -> None:
        _sync(self.device)
        now = time.perf_counter()
        self.t.append(now)
        if now > self.deadline and len(self.t) >= self.min_ticks:
            raise _TimeUp()

    def step_s(self) -> float:
        """Median interval between ticks, leaving out the first (warm-up) one when there are
        enough: NaN with fewer than two ticks."""
        d = [b - a for a, b in zip(self.t, self.t[1:])]
        if len(d) > 2:
            d = d[1:]
        return statistics.median(d) if d else math.nan


def _sync(device) -> None:
    import torch

    if getattr(device, "type", str(device)) == "cuda" and torch.cuda.is_available():
        torch.cuda.synchronize(device)


class PeakMemory:
    """Peak memory over a block, GiB: the device allocator's peak on CUDA, else the process's
    peak resident set (which never decreases)."""

    def __init__(self, device):
        self.device = device
        self.gib = math.nan

    def __enter__(self) -> "PeakMemory":
        import torch

        if self.device.type == "cuda":
            _sync(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        return self

    def __exit__(self, *exc) -> None:
        import torch

        if self.device.type == "cuda":
            _sync(self.device)
            self.gib = torch.cuda.max_memory_allocated(self.device) / 2**30
        else:
            import resource

            kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.gib = kib / 2**20 if sys.platform != "darwin" else kib / 2**30


# -- components ---------------------------------------------------------------------------------


def full_ltx_pipeline(device, dtype):
    """LTX-Video 2B 0.9.5 denoiser and VAE at the published configuration, random weights,
    built on ``device`` (no download), with a small random text encoder; an
    ``LTXConditionPipeline``."""
    import torch
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXConditionPipeline, LTXVideoTransformer3DModel
    from transformers import T5Config, T5EncoderModel

    from anymole.video.tiny import TINY_VOCAB, tiny_tokenizer

    torch.manual_seed(0)
    with torch.device(device):
        transformer = LTXVideoTransformer3DModel(**LTX_2B_095_TRANSFORMER).to(dtype).eval()
        vae = AutoencoderKLLTXVideo(**LTX_2B_095_VAE).to(dtype).eval()
        text = T5EncoderModel(
            T5Config(vocab_size=TINY_VOCAB, d_model=4096, d_kv=64, d_ff=256, num_layers=1, num_heads=4, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
        ).to(dtype).eval()
    for module in (transformer, vae, text):
        module.requires_grad_(False)
    pipe = LTXConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False), vae=vae, text_encoder=text,
        tokenizer=tiny_tokenizer(), transformer=transformer,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _params(module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def _layout(scale: Scale):
    """The method's clips for a 1-second transition: ``(known (T,), coarse indices, held (T,))``."""
    import torch

    from anymole.video.two_stage import coarse_indices

    known = torch.zeros(scale.frames, dtype=torch.bool)
    known[: scale.context_frames] = True
    known[-1] = True
    indices = coarse_indices(known, scale.coarse_stride)
    held = known.clone()
    held[indices] = True
    return known, indices, held


# -- sections -----------------------------------------------------------------------------------


def _measure_generate(prior, frames, known, steps: int, device, deadline: float, preview: bool = False) -> dict:
    """Time one ``generate`` call of ``steps`` steps: per-step time, the rest (overhead) and,
    with ``preview``, one preview decode (after the last step)."""
    ticker = Ticker(device, deadline)
    decode_s = [math.nan]

    def on_preview(step: int, _frames) -> None:
        _sync(device)
        decode_s[0] = time.perf_counter() - ticker.t[-1]

    t0 = time.perf_counter()
    complete = True
    try:
        prior.generate(
            frames, known, num_inference_steps=steps, guidance_scale=3.0, seed=0, check_cancel=ticker,
            on_preview=on_preview if preview else None, preview_every=steps,
        )
    except _TimeUp:
        complete = False
    _sync(device)
    total = time.perf_counter() - t0
    step = ticker.step_s()
    overhead = total - len(ticker.t) * step - (decode_s[0] if preview and math.isfinite(decode_s[0]) else 0.0)
    return {"step_s": step, "overhead_s": max(0.0, overhead) if complete else math.nan, "preview_s": decode_s[0]}


def bench_prior(scale: Scale, steps: int, device, dtype, dry_run: bool, section_s: float, out: dict, errors: list[str]) -> None:
    """Denoising steps (both stages), preview decode, ICAdapt steps, adapter load, peak memory
    plain and with CPU offload / VAE tiling."""
    import torch

    from anymole.video.adapt import AdaptConfig, adapt
    from anymole.video.ltx import LTXPrior

    if dry_run:
        from anymole.video.tiny import tiny_ltx_pipeline

        pipe = tiny_ltx_pipeline(0).to(device)
        note = "tiny random LTX pipeline (dry run)"
    else:
        pipe = full_ltx_pipeline(device, dtype)
        note = TEXT_ENCODER_NOTE
    prior = LTXPrior(pipe, model_id="random:ltx-2b-0.9.5" if not dry_run else "random:tiny")
    out["components"] = {
        "transformer": _params(pipe.transformer), "vae": _params(pipe.vae),
        "text_encoder": _params(pipe.text_encoder), "text_encoder_note": note,
        "transformer_config": "LTX-Video 2B 0.9.5" if not dry_run else "tiny",
    }
    H, W = scale.image_size
    known, indices, held = _layout(scale)
    g = torch.Generator().manual_seed(0)
    frames = torch.rand(scale.frames, H, W, 3, generator=g)
    out["layout"].update(coarse_frames=len(indices))
    prior.prompt_embeds("a 3D character moving smoothly on a plain background, full body visible, static camera, consistent lighting")

    def section(name: str, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failing section must not stop the others
            errors.append(f"{name}: {type(exc).__name__}: {exc}".splitlines()[0][:500])
            traceback.print_exc(file=sys.stderr)

    def coarse() -> None:
        r = _measure_generate(prior, frames[indices], known[indices], steps, device, time.perf_counter() + section_s)
        out["denoise_step_s_coarse"], out["generate_overhead_s_coarse"] = r["step_s"], r["overhead_s"]

    def fine() -> None:
        with PeakMemory(device) as mem:
            r = _measure_generate(prior, frames, held, steps, device, time.perf_counter() + section_s, preview=True)
        out["denoise_step_s_fine"], out["generate_overhead_s_fine"], out["preview_decode_s"] = r["step_s"], r["overhead_s"], r["preview_s"]
        out["peak_mem_gib_generate"] = mem.gib

    def icadapt() -> None:
        renders = torch.rand(scale.views, scale.context_frames, H, W, 3, generator=g)
        ticker = Ticker(device, time.perf_counter() + section_s)
        config = AdaptConfig(steps=max(2, steps), clip_frames=scale.adapt_clip_frames, rank=scale.adapt_rank)
        result = None
        with PeakMemory(device) as mem:
            try:
                result = adapt(prior, renders, config=config, progress=ticker, check_cancel=None)
            except _TimeUp:  # out of time: the steps timed so far (no adapter saved to load)
                pass
        out["adapt_step_s"], out["peak_mem_gib_adapt"] = ticker.step_s(), mem.gib
        prior.unload_adapter()
        if result is not None and result.path is not None:
            _sync(device)
            t0 = time.perf_counter()
            prior.load_adapter(result.path)
            _sync(device)
            out["adapter_load_s"] = time.perf_counter() - t0
            prior.unload_adapter()

    def offload() -> None:
        if device.type == "cuda":
            pipe.enable_model_cpu_offload(device=device)
        if hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        with PeakMemory(device) as mem:
            r = _measure_generate(prior, frames, held, steps, device, time.perf_counter() + section_s)
        out["peak_mem_gib_generate_offload_tiling"], out["denoise_step_s_fine_offload"] = mem.gib, r["step_s"]

    section("generate (coarse)", coarse)
    section("generate (fine)", fine)
    section("ICAdapt", icadapt)
    section("cpu offload / vae tiling", offload)  # last: it moves the pipeline's modules
    del prior, pipe
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _sample(scale: Scale):
    """The shipped sample as a problem with the scale's window, metres (the 71-frame sample is
    played forwards then backwards where the window is longer)."""
    import torch

    from anymole.bench.pipeline import sample_problem
    from anymole.inbetween import InbetweenProblem
    from anymole.motion import Motion

    full = sample_problem()
    rot, trans = full.motion.rotations, full.motion.translations
    while rot.shape[0] < scale.frames:
        rot, trans = torch.cat([rot, rot.flip(0)]), torch.cat([trans, trans.flip(0)])
    return InbetweenProblem.from_window(full.skeleton, Motion(rot, trans, full.motion.fps), scale.context_frames, scale.gap_frames)


def _skeleton_to(skeleton, device):
    """The skeleton with its tensors on ``device`` (mesh included)."""
    import torch

    def move(obj):
        if not dataclasses.is_dataclass(obj):
            return obj
        changes = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if isinstance(v, torch.Tensor):
                changes[f.name] = v.to(device)
            elif dataclasses.is_dataclass(v):
                changes[f.name] = move(v)
        return dataclasses.replace(obj, **changes) if changes else obj

    return move(skeleton)


def bench_estimator(scale: Scale, steps: int, device, section_s: float) -> float:
    """Estimator training steps per second on ``device`` (synthetic renders: a coloured
    character-sized blob on white, labels inside it)."""
    import torch

    from anymole.estimator import EstimatorConfig, EstimatorData, train_estimator

    H, W = scale.image_size
    g = torch.Generator().manual_seed(0)
    n, J = scale.estimator_images, 31
    images = torch.ones(n, H, W, 3)
    y0, y1, x0, x1 = H // 8, H - H // 8, W // 3, W - W // 3
    images[:, y0:y1, x0:x1] = torch.rand(n, y1 - y0, x1 - x0, 3, generator=g) * 0.8
    joints = torch.stack([x0 + torch.rand(n, J, generator=g) * (x1 - x0), y0 + torch.rand(n, J, generator=g) * (y1 - y0)], -1)
    depth = 3.0 + torch.rand(n, J, generator=g)
    data = EstimatorData(images, joints, depth)
    total = max(3, steps * 4)
    ticker = Ticker(device, time.perf_counter() + section_s)
    try:
        train_estimator(data, EstimatorConfig(steps=total, device=str(device)), progress=ticker, progress_every=1)
    except _TimeUp:
        pass
    step = ticker.step_s()
    return 1.0 / step if step > 0 else math.nan


def bench_mimic(scale: Scale, steps: int, device, section_s: float) -> tuple[float, str, str]:
    """Mimicking iterations per second (oracle targets: the true motion's projected joints);
    ``(rate, device it ran on, error on the device or "")``."""
    import torch

    from anymole.inbetween import InbetweenProblem, interpolation
    from anymole.kinematics import forward_kinematics
    from anymole.mimic import MimicConfig, mimic
    from anymole.mimic.targets import MimicTargets
    from anymole.render.rig import rig_for_motion

    problem = _sample(scale)
    sk = problem.skeleton
    reference = interpolation(problem)
    cams = rig_for_motion(sk, reference, scale.image_size, yaws_deg=(0.0,))
    with torch.no_grad():
        _, g_pos = forward_kinematics(sk.parents, problem.motion.rotations, problem.motion.translations)
        xy, depth = cams.project(g_pos.unsqueeze(0))
    weight = (~problem.known).float().view(1, -1, 1).expand(1, problem.num_frames, sk.num_joints).contiguous()

    def run_on(dev) -> float:
        p = InbetweenProblem(_skeleton_to(sk, dev), problem.motion.to(device=dev), problem.known.to(dev))
        targets = MimicTargets(cams.to(device=dev), xy.to(dev), weight.to(dev), depth.to(dev))
        config = MimicConfig(iterations=max(2, steps), smooth_iterations=max(2, steps))
        deadline = time.perf_counter() + section_s

        def check() -> None:
            if time.perf_counter() > deadline:
                raise _TimeUp()

        done = [0]

        def progress(step: int, _total: int, _loss: float) -> None:
            done[0] = step

        _sync(dev)
        t0 = time.perf_counter()
        try:
            mimic(p, targets, config, init=reference.to(device=dev), progress=progress, check_cancel=check)
        except _TimeUp:
            pass
        _sync(dev)
        return done[0] / (time.perf_counter() - t0)

    if device.type == "cpu":
        return run_on(device), "cpu", ""
    try:
        return run_on(device), str(device), ""
    except Exception as exc:  # noqa: BLE001 - the solver may not run off the CPU: say so, measure there
        why = f"mimic on {device}: {type(exc).__name__}: {exc}".splitlines()[0][:500]
        return run_on(torch.device("cpu")), "cpu", why


def bench_render(scale: Scale, steps: int, device, section_s: float) -> float:
    """Rasteriser frames per second: the gap's frames from one view, shaded image."""
    import torch

    from anymole.kinematics import forward_kinematics
    from anymole.render.renderer import render
    from anymole.render.rig import rig_for_motion

    problem = _sample(scale)
    sk = problem.skeleton
    motion = problem.motion.slice(scale.context_frames, scale.frames)
    cams = rig_for_motion(sk, motion, scale.image_size, yaws_deg=(0.0,)).to(device=device)
    g_rot, g_pos = forward_kinematics(sk.parents, motion.rotations, motion.translations)
    g_rot, g_pos = g_rot.to(device), g_pos.to(device)
    n = int(g_pos.shape[0])
    best = math.inf
    deadline = time.perf_counter() + section_s
    with torch.no_grad():
        for i in range(max(2, steps)):
            _sync(device)
            t0 = time.perf_counter()
            render(sk, (g_rot, g_pos), cams, mode="image", batch_size=n)
            _sync(device)
            if i > 0 or steps <= 1:
                best = min(best, time.perf_counter() - t0)
            if time.perf_counter() > deadline and math.isfinite(best):
                break
    return n / best if math.isfinite(best) and best > 0 else math.nan


# -- the estimate ---------------------------------------------------------------------------------


def estimate(out: dict, scale: Scale) -> None:
    """The method's default step counts and the wall-time estimate (module docstring)."""
    from anymole.methods.video import VideoMethodConfig
    from anymole.mimic.solve import sweep_rounds

    c = VideoMethodConfig()
    rounds = len(sweep_rounds([(FULL.context_frames, FULL.context_frames + FULL.gap_frames)]))
    method = {
        "denoise_steps": c.denoise_steps,
        "adapt_steps": c.adapt.steps,
        "estimator_steps": c.estimator.steps,
        "mimic_iterations": rounds * c.mimic.iterations + c.mimic.smooth_iterations,
        "render_images": FULL.views * (FULL.context_frames + 1 + FULL.gap_frames + c.estimator.perturbed_poses),
        "previews": 2 * (c.denoise_steps // max(1, c.preview_every)),
        "parallel": c.parallel,
    }
    out["method"] = method
    f = out
    terms = {
        "render": method["render_images"] / f["render_fps"],
        "adapt": method["adapt_steps"] * f["adapt_step_s"],
        "adapt_cached": f["adapter_load_s"],
        "estimator": method["estimator_steps"] / f["estimator_steps_per_s"],
        "generate": method["denoise_steps"] * (f["denoise_step_s_coarse"] + f["denoise_step_s_fine"])
        + f["generate_overhead_s_coarse"] + f["generate_overhead_s_fine"] + method["previews"] * f["preview_decode_s"],
        "mimic": method["mimic_iterations"] / f["mimic_iterations_per_s"],
    }
    out["estimate_terms"] = terms
    rest = terms["render"] + terms["generate"] + terms["mimic"]
    out["transition_1s_cold_s"] = rest + max(terms["adapt"], terms["estimator"])
    out["transition_1s_cached_s"] = rest + max(terms["adapt_cached"], terms["estimator"])
    out["transition_1s_cold_sequential_s"] = rest + terms["adapt"] + terms["estimator"]


def _nan_to_none(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    return obj


def bench_gpu(*, dry_run: bool = False, device: str | None = None, steps: int = 0, section_time_s: float = 60.0) -> dict:
    """Run every section; returns the figures (module docstring), NaN where a section failed."""
    import diffusers
    import torch

    t_start = time.perf_counter()
    scale = TINY if dry_run else FULL
    dev = torch.device(device or ("cpu" if dry_run else "cuda"))
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("no CUDA device here: run with --dry-run (CPU, tiny configurations) or --device cpu")
    steps = steps or (3 if dry_run else 5)
    dtype = torch.bfloat16 if dev.type == "cuda" else torch.float32
    out: dict = {k: math.nan for k in SCALAR_KEYS}
    errors: list[str] = []
    out.update(
        device=torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({platform.machine()})",
        dry_run=dry_run, dtype=str(dtype).replace("torch.", ""), torch=torch.__version__, diffusers=diffusers.__version__,
        layout={
            "image_size": list(scale.image_size), "views": scale.views, "context_frames": scale.context_frames,
            "gap_frames": scale.gap_frames, "frames": scale.frames, "coarse_stride": scale.coarse_stride,
            "adapt_clip_frames": scale.adapt_clip_frames,
        },
        components={}, mimic_device="",
    )

    def section(name: str, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one failing section must not stop the others
            errors.append(f"{name}: {type(exc).__name__}: {exc}".splitlines()[0][:500])
            traceback.print_exc(file=sys.stderr)

    section("prior", lambda: bench_prior(scale, steps, dev, dtype, dry_run, section_time_s, out, errors))
    section("estimator", lambda: out.__setitem__("estimator_steps_per_s", bench_estimator(scale, steps, dev, section_time_s)))

    def mimic_section() -> None:
        rate, where, why = bench_mimic(scale, steps, dev, section_time_s)
        out["mimic_iterations_per_s"], out["mimic_device"] = rate, where
        if why:
            errors.append(why)

    section("mimic", mimic_section)
    section("render", lambda: out.__setitem__("render_fps", bench_render(scale, steps, dev, section_time_s)))
    section("estimate", lambda: estimate(out, scale))
    out["errors"] = errors
    out["wall_s"] = time.perf_counter() - t_start
    return out


def run(args: argparse.Namespace) -> int:
    print(f"anymole bench gpu: {'dry run (tiny, CPU)' if args.dry_run else 'random full-size LTX-Video 2B'}", file=sys.stderr, flush=True)
    figures = bench_gpu(dry_run=args.dry_run, device=args.device, steps=args.steps, section_time_s=args.section_time_s)
    safe = _nan_to_none(figures)
    for key in SCALAR_KEYS:
        value = figures.get(key)
        print(f"{key:40s} {value:.4g}" if isinstance(value, float) and math.isfinite(value) else f"{key:40s} -")
    print(f"{figures['device']}; wall {figures['wall_s']:.1f} s")
    for line in figures["errors"]:
        print(f"error: {line}", file=sys.stderr)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(safe, indent=2))
        print(f"wrote {args.json}")
    return 1 if figures["errors"] else 0
