"""`anymole bench inbetween`: classical in-betweening quality and speed on a motion corpus.

LAFAN1's protocol (Harvey et al. 2020) on any skeleton: each clip is resampled to ``--fps``;
windows start every 40 frames; each is ``--context`` known frames, a gap of ``L`` frames and one
target keyframe. Every method of :data:`anymole.inbetween.METHODS` fills the gap; L2Q, L2P and
NPSS (:mod:`anymole.metrics`) are computed on the gap frames only. L2Q and L2P are averaged over
windows (each window weighs the same); NPSS pools every feature of every window, weighted by the
truth's power, as LAFAN1 does. ``ms_per_transition`` is the method's mean wall time per window.

Output: a table, and with ``--json FILE``
``{"data": [files], "results": [{"method", "length", "l2q", "l2p", "npss", "windows",
"ms_per_transition"}]}``.
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
from anymole.metrics import l2p, l2q, npss_terms

STRIDE = 40


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
) -> list[dict]:
    """Score ``methods`` on every window of ``clips`` for each gap length; one result dict per
    (method, length), in the JSON's format."""
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
            _score_clip(clips[ci], ws, context, gap, methods, sums)
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
                    "windows": n,
                    "ms_per_transition": 1000.0 * summary["s_per_window"],
                }
            )
    return results


def _score_clip(clip: CorpusClip, ws: list[Window], context: int, gap: int, methods: list[str], sums: dict) -> None:
    """Add the windows ``ws`` of one clip to the running sums (FK batched over windows)."""
    sk = clip.skeleton
    T = context + gap + 1
    problems = [InbetweenProblem.from_window(sk, clip.motion.slice(w.start, w.start + T), context, gap) for w in ws]
    gap_frames = slice(context, context + gap)
    true_rot = torch.stack([p.motion.rotations for p in problems])  # (B, T, J, 4)
    true_trans = torch.stack([p.motion.translations for p in problems])
    g_rot, g_pos = forward_kinematics(sk.parents, true_rot[:, gap_frames], true_trans[:, gap_frames])
    for m in methods:
        fn = METHODS[m]
        t0 = time.perf_counter()
        solved = [fn(p) for p in problems]
        sums[m]["s"] += time.perf_counter() - t0
        rot = torch.stack([s.rotations[gap_frames] for s in solved])
        trans = torch.stack([s.translations[gap_frames] for s in solved])
        p_rot, p_pos = forward_kinematics(sk.parents, rot, trans)
        add_scores(sums[m], sk.size, p_rot, p_pos, g_rot, g_pos)


def new_sums() -> dict[str, float]:
    """Running sums for :func:`add_scores` and :func:`summarise`."""
    return {"l2q": 0.0, "l2p": 0.0, "emd_w": 0.0, "w": 0.0, "s": 0.0}


def add_scores(sums: dict[str, float], size: float, p_rot: Tensor, p_pos: Tensor, g_rot: Tensor, g_pos: Tensor) -> None:
    """Add ``B`` windows to ``sums``: predicted and true global rotations ``(B, L, J, 4)`` and
    positions ``(B, L, J, 3)`` of the ``L`` gap frames; ``size`` the character's size."""
    sums["l2q"] += float(l2q(p_rot, g_rot, reduction="none").sum())
    sums["l2p"] += float(l2p(p_pos, g_pos, size, reduction="none").sum())
    emd, w = npss_terms(p_rot.double(), g_rot.double())
    sums["emd_w"] += float((emd * w).sum())
    sums["w"] += float(w.sum())


def summarise(sums: dict[str, float], n: int) -> dict[str, float]:
    """Window-mean L2Q and L2P, power-weighted NPSS and mean seconds per window of ``n`` windows."""
    return {
        "l2q": sums["l2q"] / n if n else float("nan"),
        "l2p": sums["l2p"] / n if n else float("nan"),
        "npss": sums["emd_w"] / sums["w"] if sums["w"] > 0 else float("nan"),
        "s_per_window": sums["s"] / n if n else float("nan"),
    }


def print_table(results: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("method", "length", "L2Q", "L2P", "NPSS", "windows", "ms/transition"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for r in sorted(results, key=lambda r: (r["length"], r["method"])):
        table.add_row(
            r["method"], str(r["length"]), f"{r['l2q']:.4f}", f"{r['l2p']:.4f}", f"{r['npss']:.5f}",
            str(r["windows"]), f"{r['ms_per_transition']:.2f}",
        )
    Console().print(table)


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
    results = evaluate(clips, lengths, args.context, methods, args.max_windows)
    t_eval = time.perf_counter() - t0

    # 4. Report
    print_table(
        results,
        f"in-betweening: {len(files)} files, {len(clips)} clips at {args.fps:g} fps, context {args.context} "
        f"(load {t_load:.1f} s, eval {t_eval:.1f} s)",
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"data": [str(f) for f in files], "results": results}, indent=2) + "\n")
    return 0
