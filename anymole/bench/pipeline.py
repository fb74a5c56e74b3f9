"""`anymole bench pipeline`: the whole ``anymole`` method on the shipped sample transition, twice.

The sample is ``anymole/samples/cmu_05_06_short.bvh`` (31 joints, 30 fps): 40 context frames, a
30-frame gap, then the target keyframe. The method runs twice on the same request with a fresh
adapter cache; the second run should find its ICAdapt adapter in the cache and skip adaptation.

JSON: ``{"prior", "placeholder", "stages": {"render", "adapt", "estimator", "generate", "mimic":
seconds (first run)}, "stages_second": {...}, "previews": N (first run), "total_s": [first,
second], "adapter_cache_hit_speedup": first adapt / second adapt, "total_speedup": first total /
second total}``. The cache-hit speedup is the adaptation stage's: ICAdapt's training against
loading the cached adapter. The other stages run the same work both times, so the whole run's
speedup is that saving diluted by them (with ``tiny``, whose adaptation takes a second, it is
within timing noise; with a real prior adaptation takes minutes and dominates). With ``--prior tiny`` (random weights) only the plumbing and its speed mean
anything; the in-between is noise-driven and labelled so.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

import anymole
from anymole.errors import ValidationError
from anymole.inbetween import InbetweenProblem
from anymole.pipeline import PreviewEvent, PreviewOptions, TransitionRequest, run_transition
from anymole.video.loading import PRIOR_NAMES
from anymole.video.registry import PriorRegistry

SAMPLE = Path(anymole.__file__).resolve().parent / "samples" / "cmu_05_06_short.bvh"
SAMPLE_UNIT_M = 0.01
CONTEXT, GAP = 40, 30
STAGES = ("render", "adapt", "estimator", "generate", "mimic")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prior", choices=PRIOR_NAMES, default="tiny", help="video prior (default tiny: random weights, CPU)")
    parser.add_argument("--video-model", metavar="PATH", help="diffusers folder of the prior (needed for ltx and wan-vace)")
    parser.add_argument("--device", default="cpu", help="torch device for a real prior (default cpu)")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the results as JSON")


def sample_problem() -> InbetweenProblem:
    """The shipped sample as a 71-frame problem (context 40, gap 30, one keyframe), metres."""
    from anymole.io import read_bvh

    motion = read_bvh(SAMPLE, unit_m=SAMPLE_UNIT_M)
    return InbetweenProblem.from_window(motion.skeleton, motion.clips[0].motion.resample(30.0), CONTEXT, GAP)


def run(args: argparse.Namespace) -> int:
    # 1. Check inputs
    if args.prior != "tiny" and not args.video_model:
        raise ValidationError("video-model", f"--prior {args.prior} needs --video-model PATH (a local diffusers folder)")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    problem = sample_problem()
    dtype = torch.bfloat16 if args.device.startswith("cuda") else torch.float32

    with tempfile.TemporaryDirectory(prefix="anymole-bench-adapters-") as cache:
        registry = PriorRegistry({args.prior: args.video_model or ""}, device=args.device, dtype=dtype, adapter_cache=cache)
        registry.get(args.prior)  # load outside the timed runs
        request = TransitionRequest(problem, method="anymole", prior=args.prior, preview=PreviewOptions(size=(256, 256), max_frames=8))

        # 2. Run twice; the second run should hit the adapter cache.
        runs = []
        for _ in range(2):
            previews = []
            t0 = time.perf_counter()
            result = run_transition(request, lambda e: previews.append(e) if isinstance(e, PreviewEvent) else None, priors=registry)
            runs.append((time.perf_counter() - t0, result, len(previews)))

    # 3. Report
    (t1, r1, n1), (t2, r2, _) = runs
    out = {
        "prior": args.prior,
        "placeholder": registry.get(args.prior).placeholder,
        "stages": {s: r1.timings_s.get(s, 0.0) for s in STAGES},
        "stages_second": {s: r2.timings_s.get(s, 0.0) for s in STAGES},
        "previews": n1,
        "total_s": [t1, t2],
        "adapter_cache_hit_speedup": r1.timings_s["adapt"] / max(r2.timings_s["adapt"], 1e-9),
        "total_speedup": t1 / t2,
        "keyframe_error": r1.keyframe_error,
        "warnings": list(r1.warnings),
    }
    stages = "  ".join(f"{s} {out['stages'][s]:.2f}/{out['stages_second'][s]:.2f} s" for s in STAGES)
    print(f"anymole pipeline, prior {args.prior}{' (random weights: plumbing only)' if out['placeholder'] else ''}")
    print(f"stages (first/second run): {stages}")
    print(f"adapter cache hit speedup (adaptation) {out['adapter_cache_hit_speedup']:.1f}x; "
          f"whole run {t1:.2f} s then {t2:.2f} s ({out['total_speedup']:.2f}x); {n1} previews")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0
