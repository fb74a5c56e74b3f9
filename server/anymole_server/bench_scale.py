"""``anymole bench scale --executor local --workers N --jobs M [--json FILE]``: throughput and
latency as compute slots are added on one machine.

For ``w`` = 1, 2, … N a server runs in this process with ``w`` compute slots (``--workers``)
and the chosen executor, exactly as ``anymole bench server`` starts it
(:func:`anymole_server.bench_server.bench_server`: loopback, a free port, a temporary SQLite
store, a queue long enough that RESOURCE_EXHAUSTED is not what gets measured); ``--clients``
client threads in a second process (as editors are) share the ``M`` sample jobs
(:mod:`anymole_server.sample_job`), each submitting and following its jobs one after another.
Each round runs once untimed first (a warm-up) unless ``--no-warmup``.

JSON: ``executor``, ``method``, ``workers`` (N), ``jobs`` (M), ``clients``, ``device``,
``rows`` — one per ``w``: ``workers``, ``jobs_per_s`` (jobs finished with a result per second of
the round's wall time), ``latency_ms_p50`` and ``latency_ms_p95`` (a job's submit call to its
result, client clock), ``first_pose_ms_p50``, ``errors``, ``wall_s`` — and ``speedup``
(``jobs_per_s`` at N slots over that at 1).

``--executor ray`` runs the jobs on Ray actors (one per slot; a local Ray cluster is started
per round); without the ``ray`` extra it is refused with the same one line as ``anymole serve
--executor ray`` (exit code 2). The per-job overhead of Ray is the difference of the two
executors' ``latency_ms_p50`` at the same slot count (run the bench once with each).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

HELP = "Jobs per second and latency for 1, 2, ... N compute slots (executor local or ray)."
ROW_KEYS = ("workers", "jobs_per_s", "latency_ms_p50", "latency_ms_p95", "first_pose_ms_p50", "errors", "wall_s")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=("local", "ray"), default="local", help="what runs the jobs (default local; ray needs the ray extra)")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1), help="largest number of compute slots (default min(4, CPUs))")
    parser.add_argument("--jobs", type=int, default=32, help="jobs per round (default 32)")
    parser.add_argument("--clients", type=int, default=0, help="concurrent clients (default: twice --workers, at least 4)")
    parser.add_argument("--method", default="spline", help="in-betweening method (default spline)")
    parser.add_argument("--preview-size", type=int, default=256, help="preview width and height, pixels (default 256)")
    parser.add_argument("--max-previews", type=int, default=8, help="previews per job (default 8)")
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up round before each measured one")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch intra-op threads per job thread (default 1)")
    parser.add_argument("--json", type=Path, help="write the figures here")


def bench_scale(
    workers: int,
    jobs: int,
    *,
    executor: str = "local",
    clients: int = 0,
    method: str = "spline",
    preview_size: int = 256,
    max_previews: int = 8,
    warmup: bool = True,
) -> dict:
    """One round per slot count 1..``workers``; the figures (module docstring).
    :class:`~anymole_server.config.ConfigError` for an executor that cannot run here."""
    from anymole_server.bench_server import bench_server, summarize
    from anymole_server.executors import check_executor

    check_executor(executor)
    if workers < 1 or jobs < 1:
        raise ValueError(f"--workers and --jobs must be at least 1, got {workers} and {jobs}")
    clients = clients or max(4, 2 * workers)
    rows, device = [], ""
    for w in range(1, workers + 1):
        print(f"anymole bench scale: {w} compute slot(s), {jobs} jobs over {clients} clients", file=sys.stderr, flush=True)
        result, device = bench_server(
            clients, jobs, method=method, workers=w, preview_size=preview_size, max_previews=max_previews, warmup=warmup, executor=executor,
        )
        s = summarize(result, device)
        rows.append(
            {
                "workers": w, "jobs_per_s": s["jobs_per_s"], "latency_ms_p50": s["job_ms_p50"], "latency_ms_p95": s["job_ms_p95"],
                "first_pose_ms_p50": s["first_pose_ms_p50"], "errors": s["errors"], "wall_s": s["wall_s"],
                "error_messages": s["error_messages"],
            }
        )
    first, last = rows[0]["jobs_per_s"], rows[-1]["jobs_per_s"]
    return {
        "executor": executor, "method": method, "workers": workers, "jobs": jobs, "clients": clients, "device": device,
        "rows": rows, "speedup": last / first if first > 0 else math.nan,
    }


def _json_safe(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    return obj


def run(args: argparse.Namespace) -> int:
    import logging

    import torch

    from anymole_server.config import ConfigError

    try:
        from anymole_server.executors import check_executor

        check_executor(args.executor)
    except ConfigError as exc:
        print(f"anymole bench scale: error: {exc}", file=sys.stderr)
        return 2
    torch.set_num_threads(max(1, args.torch_threads))
    if not getattr(args, "verbose", False):
        logging.getLogger("anymole_server").setLevel(logging.WARNING)  # no line per job
    figures = bench_scale(
        args.workers, args.jobs, executor=args.executor, clients=args.clients, method=args.method,
        preview_size=args.preview_size, max_previews=args.max_previews, warmup=not args.no_warmup,
    )
    print(f"{'slots':>5} {'jobs/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    for row in figures["rows"]:
        print(f"{row['workers']:>5} {row['jobs_per_s']:>8.2f} {row['latency_ms_p50']:>8.1f} {row['latency_ms_p95']:>8.1f} {row['errors']:>6}")
        for message in row["error_messages"]:
            print(f"error: {message}", file=sys.stderr)
    print(f"{figures['device']}; executor {figures['executor']}, {figures['clients']} clients, {figures['jobs']} jobs per round; speedup {figures['speedup']:.2f}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(_json_safe(figures), indent=2))
        print(f"wrote {args.json}")
    return 1 if any(row["errors"] for row in figures["rows"]) else 0
