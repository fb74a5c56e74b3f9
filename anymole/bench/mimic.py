"""`anymole bench mimic`: motion video mimicking with an oracle video.

For each window (the in-betweening benchmark's: ``--context`` known frames, a gap of
``--length`` frames, one target keyframe; windows every 40 frames, at most ``--max-windows``
spread over the corpus):

1. frame the paper's four-view rig (front, back, front ±5°) on the keyframe interpolation — the
   only motion a real transition knows before generation;
2. render the context frames and the keyframe from every view — with the keyframe
   interpolation's poses and random poses around them (never the truth) — and train the
   scene-specific joint estimator on them (:mod:`anymole.estimator`);
3. render the true in-between from the front view — the *oracle* video a perfect video prior
   would produce — and predict its joints with the estimator;
4. mimic (:func:`anymole.mimic.mimic`) and score against the truth on the gap frames.

``interpolation`` and ``spline`` are scored on the same windows. Also reported: the
estimator's mean 2D error in pixels on the oracle frames (renders it never saw in training) and
the mean seconds per stage. Output: a table, and with ``--json FILE``
``{"results": [{"method", "length", "l2p", "l2q", "npss", "windows"}], "s_per_transition": s,
"stages": {...}, "estimator_px": px, ...}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import torch

from anymole.bench.inbetween import STRIDE, add_scores, new_sums, print_table, summarise
from anymole.bench.windows import CorpusClip, Window, find_motion_files, load_corpus, spread, windows
from anymole.errors import ValidationError
from anymole.estimator import EstimatorConfig, render_transition_training_set, train_estimator
from anymole.inbetween import METHODS, InbetweenProblem
from anymole.mimic import MimicConfig, mimic, targets_from_frames
from anymole.render.renderer import render
from anymole.render.rig import rig_for_motion

BASELINES = ("interpolation", "spline")
ORACLE = "mimic-oracle"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", nargs="+", required=True, metavar="PATH", help="motion files or folders (.bvh .glb .gltf .fbx)")
    parser.add_argument("--length", type=int, default=30, help="gap length in frames (default 30)")
    parser.add_argument("--context", type=int, default=60, help="known frames before the gap (default 60)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate clips are resampled to (default 30)")
    parser.add_argument("--max-windows", type=int, default=None, metavar="K", help="at most K windows, spread evenly over the corpus")
    parser.add_argument("--size", type=int, default=128, help="render height and width in pixels (default 128)")
    steps = EstimatorConfig().steps
    parser.add_argument("--estimator-steps", type=int, default=steps, help=f"estimator training steps per window (default {steps})")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (default: torch's choice)")
    parser.add_argument("--seed", type=int, default=0, help="seed of estimator training (default 0)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the results as JSON")


def frame_rig(problem: InbetweenProblem, size: int):
    """The four-view rig framed on the keyframe interpolation of ``problem``, at ``size``² pixels."""
    return rig_for_motion(problem.skeleton, METHODS["interpolation"](problem), (size, size))


def oracle_window(problem: InbetweenProblem, size: int, estimator_config: EstimatorConfig, mimic_config: MimicConfig = MimicConfig()):
    """Run the oracle pipeline on one window; returns ``(motion, stage seconds, estimator px)``."""
    sk, truth, known = problem.skeleton, problem.motion, problem.known
    stages: dict[str, float] = {}

    t0 = time.perf_counter()
    cams = frame_rig(problem, size)
    reference = METHODS["interpolation"](problem)
    train = render_transition_training_set(
        sk, truth, known, reference, cams, perturbed=estimator_config.perturbed_poses, sigma=estimator_config.perturb_sigma,
        seed=estimator_config.seed,
    )
    unknown = (~known).nonzero().flatten()
    with torch.no_grad():
        oracle = render(sk, truth.slice(int(unknown[0]), int(unknown[-1]) + 1), cams[0:1], mode="image")
    video = torch.zeros(1, problem.num_frames, size, size, 3)
    video[:, unknown] = oracle.images.float()
    stages["render"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    estimator = train_estimator(train, estimator_config)
    stages["estimator"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    targets = targets_from_frames(estimator, video, cams[0:1], known)
    px = float((targets.joints_2d[0, unknown] - oracle.joints_2d[0].float()).norm(dim=-1).mean())
    solved = mimic(problem, targets, mimic_config)
    stages["mimic"] = time.perf_counter() - t0
    return solved, stages, px


def evaluate(
    clips: list[CorpusClip], length: int, context: int, size: int, estimator_config: EstimatorConfig,
    max_windows: int | None = None, log=print,
) -> dict:
    """Score ``mimic-oracle``, ``interpolation`` and ``spline`` on the same windows."""
    if context < 2:
        raise ValidationError("context", f"needs at least 2 known frames, got {context}")
    wins: list[Window] = spread(windows(clips, context, length, STRIDE), max_windows)
    if not wins:
        raise ValidationError("data", f"no clip is long enough for context {context} + gap {length} + 1 frames")
    methods = (ORACLE, *BASELINES)
    sums = {m: new_sums() for m in methods}
    stage_sums: dict[str, float] = defaultdict(float)
    px_sum, per_window = 0.0, []
    gap = slice(context, context + length)
    for i, w in enumerate(wins):
        clip = clips[w.clip]
        sk = clip.skeleton
        problem = InbetweenProblem.from_window(sk, clip.motion.slice(w.start, w.start + context + length + 1), context, length)
        g_rot, g_pos = problem.motion.global_transforms(sk)
        row = {"source": clip.source, "clip": clip.name, "start": w.start}
        for m in methods:
            t0 = time.perf_counter()
            if m == ORACLE:
                solved, stages, px = oracle_window(problem, size, estimator_config)
                for k, v in stages.items():
                    stage_sums[k] += v
                px_sum += px
                row["estimator_px"] = px
            else:
                solved = METHODS[m](problem)
            sums[m]["s"] += time.perf_counter() - t0
            p_rot, p_pos = solved.global_transforms(sk)
            before = sums[m]["l2p"]
            add_scores(sums[m], sk.size, p_rot[None, gap], p_pos[None, gap], g_rot[None, gap], g_pos[None, gap])
            row[f"l2p_{m}"] = sums[m]["l2p"] - before
        per_window.append(row)
        log(
            f"window {i + 1}/{len(wins)} {Path(clip.source).name}@{w.start}: estimator {row['estimator_px']:.2f} px, "
            f"l2p mimic {row[f'l2p_{ORACLE}']:.3f} interpolation {row['l2p_interpolation']:.3f} spline {row['l2p_spline']:.3f}"
        )
    n = len(wins)
    results = []
    for m in methods:
        s = summarise(sums[m], n)
        results.append({"method": m, "length": length, "l2p": s["l2p"], "l2q": s["l2q"], "npss": s["npss"], "windows": n,
                        "ms_per_transition": 1000.0 * s["s_per_window"]})
    return {
        "results": results,
        "s_per_transition": sums[ORACLE]["s"] / n,
        "stages": {k: v / n for k, v in stage_sums.items()},
        "estimator_px": px_sum / n,
        "image_size": [size, size],
        "estimator_steps": estimator_config.steps,
        "windows": per_window,
    }


def run(args: argparse.Namespace) -> int:
    # 1. Check inputs
    if args.length < 1:
        raise ValidationError("length", f"must be at least 1, got {args.length}")
    if args.size < 32:
        raise ValidationError("size", f"must be at least 32 pixels, got {args.size}")
    if args.estimator_steps < 1:
        raise ValidationError("estimator-steps", f"must be at least 1, got {args.estimator_steps}")
    files = find_motion_files(args.data)
    if not files:
        raise ValidationError("data", f"no .bvh/.glb/.gltf/.fbx files under {args.data}")
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    # 2. Load, then run every window
    clips = load_corpus(files, args.fps)
    t0 = time.perf_counter()
    config = EstimatorConfig(steps=args.estimator_steps, seed=args.seed)
    out = evaluate(clips, args.length, args.context, args.size, config, args.max_windows)
    wall = time.perf_counter() - t0

    # 3. Report
    print_table(
        out["results"],
        f"mimicking (oracle video): {len(files)} files, gap {args.length}, context {args.context}, {args.size}² px, "
        f"estimator {out['estimator_px']:.2f} px held-out, {out['s_per_transition']:.1f} s per transition ({wall:.0f} s in all)",
    )
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in out["stages"].items())
    print(f"mean per transition: {stages}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"data": [str(f) for f in files], **out}, indent=2) + "\n")
    return 0
