"""`anymole bench inbetween`: classical in-betweening quality and speed on a motion corpus.

LAFAN1's protocol (Harvey et al. 2020) on any skeleton: each clip is resampled to ``--fps``;
windows start every 40 frames; each is ``--context`` known frames, a gap of ``L`` frames and one
target keyframe. Every method of :data:`anymole.inbetween.METHODS` fills the gap; L2Q, L2P and
NPSS (:mod:`anymole.metrics`) are computed on the gap frames only. L2Q and L2P are averaged over
windows (each window weighs the same); NPSS pools every feature of every window, weighted by the
truth's power, as LAFAN1 does, on quaternion tracks made sign-continuous in time.
``foot_skate`` (:func:`anymole.metrics.foot_skate`) pools every planted (foot, frame) pair of
the gap frames; ``foot_skate_truth`` is the same figure of the ground truth on the same windows.
``ms_per_transition`` is the method's mean wall time per window (one process, one thread).

Output: a table, and with ``--json FILE``::

    {"data": [files],
     "protocol": {"fps", "context", "stride", "lengths", "window", "size", "l2p", "l2q",
                  "npss", "foot_skate", "timing"},
     "results": [{"method", "length", "l2q", "l2p", "npss", "foot_skate", "foot_skate_truth",
                  "windows", "ms_per_transition"}],
     "windows": [{"method", "length", "source", "clip", "start", "l2q", "l2p", "npss",
                  "npss_weight", "foot_skate", "foot_skate_truth", "ms"}]}

A window row's ``npss`` is that window's own power-weighted EMD and ``npss_weight`` its truth's
total power: the pooled NPSS is ``sum(npss · weight) / sum(weight)`` over the rows.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch import Tensor

from anymole.bench.windows import CorpusClip, Window, find_motion_files, load_corpus, spread, windows
from anymole.errors import ValidationError
from anymole.inbetween import METHODS, InbetweenProblem
from anymole.kinematics import forward_kinematics
from anymole.metrics import CONTACT_HEIGHT, contact_feet, end_joints, foot_skate, l2p, l2q, npss_terms

STRIDE = 40


def protocol(fps: float, context: int, lengths: list[int]) -> dict:
    """The benchmark's protocol, written into the JSON so an outside scorer can line up."""
    return {
        "fps": fps,
        "context": context,
        "stride": STRIDE,
        "lengths": lengths,
        "window": "frames [start, start + context + length + 1) of a clip resampled to fps; the first "
        "`context` frames and the last frame known; starts every `stride` frames from 0; metrics on the "
        "`length` gap frames only",
        "size": "Skeleton.size: the largest distance between two joints in the rest pose (skeleton units)",
        "l2p": "mean over windows of mean over gap frames of ||global positions (J x 3) - truth|| / size",
        "l2q": "mean over windows of mean over gap frames of ||global quaternions (J x 4), each flipped to the "
        "truth's hemisphere, - truth||",
        "npss": "LAFAN1 fast_npss on global quaternions made sign-continuous in time (prediction and truth "
        "separately), every feature of every window pooled, weighted by the truth's power",
        "foot_skate": f"feet = end joints whose lowest height over the known frames is within {CONTACT_HEIGHT} "
        "sizes of the floor (the lowest joint height over the known frames, +Y up); planted = height within "
        f"{CONTACT_HEIGHT} sizes of the floor; mean horizontal speed (central differences) of planted feet over "
        "planted (foot, gap frame) pairs, sizes per second, pooled over windows",
        "timing": "wall time of the method alone per window, one process, torch threads as configured",
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", nargs="+", required=True, metavar="PATH", help="motion files or folders (.bvh .glb .gltf .fbx)")
    parser.add_argument("--lengths", default="15,30,45", help="gap lengths in frames, comma-separated (default 15,30,45)")
    parser.add_argument("--context", type=int, default=60, help="known frames before each gap (default 60)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate clips are resampled to (default 30)")
    parser.add_argument("--max-windows", type=int, default=None, metavar="N", help="at most N windows per length, spread evenly over the corpus")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated methods (default {','.join(METHODS)})")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the results as JSON")


def _parse_lengths(text: str) -> list[int]:
    try:
        lengths = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValidationError("lengths", f"expected comma-separated integers, got {text!r}") from None
    if not lengths or min(lengths) < 1:
        raise ValidationError("lengths", f"expected positive gap lengths, got {text!r}")
    return lengths


def evaluate(
    clips: list[CorpusClip],
    lengths: list[int],
    context: int,
    methods: list[str],
    max_windows: int | None = None,
    rows: list[dict] | None = None,
) -> list[dict]:
    """Score ``methods`` on every window of ``clips`` for each gap length; one result dict per
    (method, length), in the JSON's format. ``rows``: a list the per-window rows are appended
    to (the JSON's ``windows``)."""
    if context < 2:
        raise ValidationError("context", f"needs at least 2 known frames, got {context}")
    results = []
    for gap in lengths:
        wins = spread(windows(clips, context, gap, STRIDE), max_windows)
        by_clip: dict[int, list[Window]] = defaultdict(list)
        for w in wins:
            by_clip[w.clip].append(w)
        sums = {m: new_sums() for m in methods}
        for ci, ws in by_clip.items():
            _score_clip(clips[ci], ws, context, gap, methods, sums, rows)
        n = len(wins)
        for m in methods:
            summary = summarise(sums[m], n)
            results.append(
                {
                    "method": m,
                    "length": gap,
                    "l2q": summary["l2q"],
                    "l2p": summary["l2p"],
                    "npss": summary["npss"],
                    "foot_skate": summary["foot_skate"],
                    "foot_skate_truth": summary["foot_skate_truth"],
                    "windows": n,
                    "ms_per_transition": 1000.0 * summary["s_per_window"],
                }
            )
    return results


def _score_clip(
    clip: CorpusClip, ws: list[Window], context: int, gap: int, methods: list[str], sums: dict, rows: list[dict] | None = None
) -> None:
    """Add the windows ``ws`` of one clip to the running sums (FK batched over windows)."""
    sk = clip.skeleton
    T = context + gap + 1
    problems = [InbetweenProblem.from_window(sk, clip.motion.slice(w.start, w.start + T), context, gap) for w in ws]
    gap_frames = slice(context, context + gap)
    around = slice(context - 1, context + gap + 1)  # the gap with its two known neighbours
    true_rot = torch.stack([p.motion.rotations for p in problems])  # (B, T, J, 4)
    true_trans = torch.stack([p.motion.translations for p in problems])
    t_rot, t_pos = forward_kinematics(sk.parents, true_rot, true_trans)  # (B, T, J, ·)
    g_rot, g_pos = t_rot[:, gap_frames], t_pos[:, gap_frames]
    ends = end_joints(sk.parents)
    known_idx = [*range(context), T - 1]
    contacts = [contact_feet(t_pos[b, known_idx], ends, sk.size) for b in range(len(ws))]
    fps = clip.motion.fps
    inner = slice(1, gap + 1)
    truth_skate = [foot_skate(t_pos[b, around], f, fl, sk.size, fps, inner, reduction="sum") for b, (f, fl) in enumerate(contacts)]
    for m in methods:
        fn = METHODS[m]
        seconds = []
        solved = []
        for p in problems:
            t0 = time.perf_counter()
            solved.append(fn(p))
            seconds.append(time.perf_counter() - t0)
        sums[m]["s"] += sum(seconds)
        rot = torch.stack([s.rotations[around] for s in solved])
        trans = torch.stack([s.translations[around] for s in solved])
        a_rot, a_pos = forward_kinematics(sk.parents, rot, trans)
        p_rot, p_pos = a_rot[:, inner], a_pos[:, inner]
        per = add_scores(sums[m], sk.size, p_rot, p_pos, g_rot, g_pos)
        for b, (f, fl) in enumerate(contacts):
            tot, cnt = foot_skate(a_pos[b], f, fl, sk.size, fps, inner, reduction="sum")
            sums[m]["skate"] += float(tot)
            sums[m]["skate_n"] += float(cnt)
            sums[m]["skate_true"] += float(truth_skate[b][0])
            sums[m]["skate_true_n"] += float(truth_skate[b][1])
            if rows is not None:
                rows.append(
                    {
                        "method": m,
                        "length": gap,
                        "source": clip.source,
                        "clip": clip.name,
                        "start": ws[b].start,
                        "l2q": per["l2q"][b],
                        "l2p": per["l2p"][b],
                        "npss": per["npss"][b],
                        "npss_weight": per["npss_weight"][b],
                        "foot_skate": float(tot / cnt) if cnt > 0 else 0.0,
                        "foot_skate_truth": float(truth_skate[b][0] / truth_skate[b][1]) if truth_skate[b][1] > 0 else 0.0,
                        "ms": 1000.0 * seconds[b],
                    }
                )


def new_sums() -> dict[str, float]:
    """Running sums for :func:`add_scores` and :func:`summarise`."""
    return {"l2q": 0.0, "l2p": 0.0, "emd_w": 0.0, "w": 0.0, "s": 0.0, "skate": 0.0, "skate_n": 0.0, "skate_true": 0.0, "skate_true_n": 0.0}


def add_scores(sums: dict[str, float], size: float, p_rot: Tensor, p_pos: Tensor, g_rot: Tensor, g_pos: Tensor) -> dict[str, list[float]]:
    """Add ``B`` windows to ``sums``: predicted and true global rotations ``(B, L, J, 4)`` and
    positions ``(B, L, J, 3)`` of the ``L`` gap frames; ``size`` the character's size.
    Returns the per-window values: ``l2q``, ``l2p``, ``npss`` and ``npss_weight`` lists."""
    q = l2q(p_rot, g_rot, reduction="none")
    p = l2p(p_pos, g_pos, size, reduction="none")
    sums["l2q"] += float(q.sum())
    sums["l2p"] += float(p.sum())
    emd, w = npss_terms(p_rot.double(), g_rot.double())  # (B, D)
    sums["emd_w"] += float((emd * w).sum())
    sums["w"] += float(w.sum())
    wb = w.sum(-1)
    return {
        "l2q": q.tolist(),
        "l2p": p.tolist(),
        "npss": ((emd * w).sum(-1) / wb.clamp_min(1e-12)).tolist(),
        "npss_weight": wb.tolist(),
    }


def summarise(sums: dict[str, float], n: int) -> dict[str, float]:
    """Window-mean L2Q and L2P, power-weighted NPSS and mean seconds per window of ``n`` windows."""
    return {
        "l2q": sums["l2q"] / n if n else float("nan"),
        "l2p": sums["l2p"] / n if n else float("nan"),
        "npss": sums["emd_w"] / sums["w"] if sums["w"] > 0 else float("nan"),
        "s_per_window": sums["s"] / n if n else float("nan"),
        "foot_skate": sums.get("skate", 0.0) / sums["skate_n"] if sums.get("skate_n") else 0.0,
        "foot_skate_truth": sums.get("skate_true", 0.0) / sums["skate_true_n"] if sums.get("skate_true_n") else 0.0,
    }


def print_table(results: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    skate = any("foot_skate" in r for r in results)
    cols = ("method", "length", "L2Q", "L2P", "NPSS", *(("foot skate", "(truth)") if skate else ()), "windows", "ms/transition")
    for col in cols:
        table.add_column(col, justify="left" if col == "method" else "right")
    for r in sorted(results, key=lambda r: (r["length"], r["method"])):
        skates = (f"{r['foot_skate']:.4f}", f"{r['foot_skate_truth']:.4f}") if skate else ()
        table.add_row(
            r["method"], str(r["length"]), f"{r['l2q']:.4f}", f"{r['l2p']:.4f}", f"{r['npss']:.5f}",
            *skates, str(r["windows"]), f"{r['ms_per_transition']:.2f}",
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)


def run(args: argparse.Namespace) -> int:
    # 1. Check inputs
    lengths = _parse_lengths(args.lengths)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValidationError("methods", f"unknown {unknown}; known: {sorted(METHODS)}")
    files = find_motion_files(args.data)
    if not files:
        raise ValidationError("data", f"no .bvh/.glb/.gltf/.fbx files under {args.data}")

    # 2. Load and resample the corpus
    t0 = time.perf_counter()
    clips = load_corpus(files, args.fps)
    t_load = time.perf_counter() - t0

    # 3. Score every method at every length
    t0 = time.perf_counter()
    rows: list[dict] = []
    results = evaluate(clips, lengths, args.context, methods, args.max_windows, rows)
    t_eval = time.perf_counter() - t0

    # 4. Report
    print_table(
        results,
        f"in-betweening: {len(files)} files, {len(clips)} clips at {args.fps:g} fps, context {args.context} "
        f"(load {t_load:.1f} s, eval {t_eval:.1f} s)",
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
                {"data": [str(f) for f in files], "protocol": protocol(args.fps, args.context, lengths), "results": results, "windows": rows},
                indent=1,
            ) + "\n")
    return 0
