"""``anymole bench server --clients N --jobs M [--json FILE]``: load-test a server it starts.

A server runs in this process (:class:`~anymole_server.background.BackgroundServer`, loopback,
free port, SQLite store in a temporary directory) with ``--workers`` job threads and a queue of
at least ``M`` jobs, so that a full queue (RESOURCE_EXHAUSTED) is not what gets measured. ``N``
client threads, each with its own blocking :class:`anymole_client.Client` and channel, share the
``M`` jobs (job ``i`` goes to client ``i mod N``) and run theirs one after another: submit, then
follow the events to the result. Every job is the sample transition of
:mod:`anymole_server.sample_job` (31 joints, 71 frames, 8 previews at 256×256 by default).

Should a submit still be refused with RESOURCE_EXHAUSTED (a smaller ``--max-queue``), the client
backs off (50 ms doubling to 1 s) and retries; retries are counted in ``queue_full_retries``
and are not errors. ``errors`` counts jobs that did not end with a result.

Measured from each job's submit call (client clock): time to its first event, to its first pose
preview (the motion an editor poses its character with) and to its first image preview (p50
and p95 in milliseconds over jobs), and the job's duration. Rates over the wall
time of the whole run: ``preview_fps`` (preview frames received per second, all clients
together) and ``jobs_per_s`` (jobs finished with a result per second).

Before the measured round the same jobs run once untimed (a warm-up); the server process's
resident memory after each round (``rss_mb_after_warmup``, ``rss_mb_after``, ``rss_growth``)
shows whether memory keeps growing with jobs, and ``db_bytes`` the job store's size.

The clients run in a second process (as editors do), so the server's figures do not include
the clients' own Python work; both processes share this machine's cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HELP = "Load test a server with concurrent clients."
KEYS = (
    "errors", "first_event_ms_p50", "first_event_ms_p95", "first_pose_ms_p50", "first_pose_ms_p95",
    "first_preview_ms_p50", "first_preview_ms_p95", "preview_fps", "jobs_per_s",
)


@dataclass
class JobTiming:
    """One job as a client saw it; times in seconds from the submit call (NaN: never seen)."""

    first_event_s: float = math.nan
    first_pose_s: float = math.nan
    first_preview_s: float = math.nan
    done_s: float = math.nan
    previews: int = 0
    queue_full_retries: int = 0
    error: str = ""


@dataclass
class BenchResult:
    clients: int
    jobs: int
    wall_s: float
    timings: list[JobTiming] = field(default_factory=list)
    rss_mb_after_warmup: float | None = None  # the server process, after the warm-up round
    rss_mb_after: float | None = None  # ... and after the measured round
    db_bytes: int = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--jobs", type=int, default=32, help="jobs in all, spread over the clients (default 32)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--method", default="spline", help="in-betweening method (default spline)")
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1), help="server job threads (default min(4, CPUs))")
    parser.add_argument("--max-queue", type=int, default=0, help="server queue length (default: the number of jobs)")
    parser.add_argument("--preview-size", type=int, default=256, help="preview width and height, pixels (default 256)")
    parser.add_argument("--max-previews", type=int, default=8, help="previews per job (default 8)")
    parser.add_argument("--torch-threads", type=int, default=1, help="torch intra-op threads per job thread (default 1)")


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    finite = [v for v in values if math.isfinite(v)]
    return float(np.percentile(finite, q)) if finite else math.nan


def _client_process(address: str, payloads: list[list[bytes]], conn) -> None:
    """In the client process: one thread per client, each running its serialized requests;
    sends back ``(ready, timings)``: the timings as dicts, per client."""
    from anymole_client.v1 import job_pb2

    clients = len(payloads)
    outs: list[list[JobTiming]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    threads = [
        threading.Thread(target=_run_client, args=(address, [job_pb2.TransitionInput.FromString(p) for p in payloads[c]], outs[c], start), name=f"bench-client-{c}")
        for c in range(clients)
    ]
    for t in threads:
        t.start()
    start.wait()
    conn.send("started")
    for t in threads:
        t.join()
    conn.send([[t.__dict__ for t in out] for out in outs])
    conn.close()


def _run_client(address: str, inputs: list, out: list[JobTiming], start: threading.Barrier) -> None:
    import grpc

    from anymole_client.sync import Client

    with Client(address, timeout_s=60.0) as client:
        try:
            client.server_info()  # protocol check and connection set-up, outside the timings
        finally:
            start.wait()  # the run starts even if this client could not connect
        for msg in inputs:
            timing = JobTiming()
            out.append(timing)
            t0 = time.perf_counter()

            def on_event(event, timing=timing, t0=t0) -> None:
                now = time.perf_counter() - t0
                if math.isnan(timing.first_event_s):
                    timing.first_event_s = now
                kind = event.WhichOneof("kind")
                if kind == "preview":
                    timing.previews += 1
                    if math.isnan(timing.first_preview_s):
                        timing.first_preview_s = now
                elif kind == "pose" and math.isnan(timing.first_pose_s):
                    timing.first_pose_s = now

            backoff = 0.05
            try:
                while True:
                    try:
                        job_id = client.submit(msg).job_id
                        break
                    except grpc.RpcError as exc:
                        if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                            raise
                        timing.queue_full_retries += 1
                        time.sleep(backoff)
                        backoff = min(1.0, 2 * backoff)
                client.follow(job_id, on_event=on_event)
                timing.done_s = time.perf_counter() - t0
            except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
                timing.error = f"{type(exc).__name__}: {exc}"


def bench_server(
    clients: int,
    jobs: int,
    *,
    method: str = "spline",
    workers: int = 2,
    max_queue: int = 0,
    preview_size: int = 256,
    max_previews: int = 8,
    db_dir: Path | None = None,
    warmup: bool = True,
    executor: str = "local",
) -> tuple[BenchResult, str]:
    """Start a server, run ``jobs`` sample jobs over ``clients`` client threads (after an
    untimed warm-up round of the same jobs, with ``warmup``), stop it. Returns the per-job
    timings, memory and store size, and the server's device name."""
    from anymole_server.background import BackgroundServer
    from anymole_server.config import Limits, ServerConfig
    from anymole_server.sample_job import load_sample_transition, sample_input

    if clients < 1 or jobs < 1:
        raise ValueError(f"--clients and --jobs must be at least 1, got {clients} and {jobs}")
    sample = load_sample_transition()
    msg = sample_input(sample, method=method, preview_size=(preview_size, preview_size), preview_max_frames=max_previews)
    per_client = [[msg for _ in range(c, jobs, clients)] for c in range(clients)]
    limits = Limits(workers=workers, max_queue=max_queue or max(jobs, Limits().max_queue))
    with tempfile.TemporaryDirectory(prefix="anymole-bench-", dir=db_dir) as tmp:
        config = ServerConfig(host="127.0.0.1", port=0, db_path=Path(tmp) / "jobs.sqlite3", limits=limits, executor=executor)
        with BackgroundServer(config) as server:
            with server.client() as client:
                device = client.server_info().capabilities.device
            payloads = [[msg.SerializeToString()] * len(p) for p in per_client]
            rss_warm = None
            if warmup:  # the same jobs once, untimed: caches, pools and the store warm up
                _client_round(server.address, payloads)
                rss_warm = _rss_mb()
            outs, wall = _client_round(server.address, payloads)
            rss_after = _rss_mb()
            db_bytes = server.server.store.size_bytes() if hasattr(server.server.store, "size_bytes") else 0
    timings = [t for out in outs for t in out]
    missing = jobs - len(timings)  # a client that died before its jobs (e.g. could not connect)
    timings.extend(JobTiming(error="client thread ended before running this job") for _ in range(missing))
    return BenchResult(clients, jobs, wall, timings, rss_mb_after_warmup=rss_warm, rss_mb_after=rss_after, db_bytes=db_bytes), device


def _rss_mb() -> float:
    """This process's resident memory (the server's: the clients run in another), MiB."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):  # not Linux: the peak instead
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _client_round(address: str, payloads: list[list[bytes]]) -> tuple[list[list[JobTiming]], float]:
    """Run one round of jobs from a client process; per-client timings and the wall time."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_client_process, args=(address, payloads, child), name="bench-clients")
    proc.start()
    try:
        if not parent.poll(120) or parent.recv() != "started":
            raise RuntimeError("the client process did not start")
        t0 = time.perf_counter()
        raw = parent.recv()
        wall = time.perf_counter() - t0
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.kill()
    return [[JobTiming(**d) for d in out] for out in raw], wall


def summarize(result: BenchResult, device: str = "") -> dict:
    """The figures: the keys of :data:`KEYS` plus context (clients, jobs, wall_s, …)."""
    t = result.timings
    ok = [x for x in t if not x.error]
    previews = sum(x.previews for x in t)
    wall = max(result.wall_s, 1e-9)
    return {
        "errors": sum(1 for x in t if x.error),
        "first_event_ms_p50": 1e3 * _percentile([x.first_event_s for x in t], 50),
        "first_event_ms_p95": 1e3 * _percentile([x.first_event_s for x in t], 95),
        "first_pose_ms_p50": 1e3 * _percentile([x.first_pose_s for x in t], 50),
        "first_pose_ms_p95": 1e3 * _percentile([x.first_pose_s for x in t], 95),
        "first_preview_ms_p50": 1e3 * _percentile([x.first_preview_s for x in t], 50),
        "first_preview_ms_p95": 1e3 * _percentile([x.first_preview_s for x in t], 95),
        "preview_fps": previews / wall,
        "jobs_per_s": len(ok) / wall,
        "clients": result.clients,
        "jobs": result.jobs,
        "wall_s": result.wall_s,
        "previews": previews,
        "job_ms_p50": 1e3 * _percentile([x.done_s for x in t], 50),
        "job_ms_p95": 1e3 * _percentile([x.done_s for x in t], 95),
        "queue_full_retries": sum(x.queue_full_retries for x in t),
        "device": device,
        "rss_mb_after_warmup": result.rss_mb_after_warmup,
        "rss_mb_after": result.rss_mb_after,
        "rss_growth": (result.rss_mb_after / result.rss_mb_after_warmup - 1.0) if result.rss_mb_after and result.rss_mb_after_warmup else None,
        "db_bytes": result.db_bytes,
        "error_messages": sorted({x.error for x in t if x.error})[:10],
    }


def _json_safe(figures: dict) -> dict:
    """NaN and infinities (e.g. no preview ever arrived) become null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in figures.items()}


def run(args: argparse.Namespace) -> int:
    import logging

    import torch
    from rich.console import Console
    from rich.table import Table

    torch.set_num_threads(max(1, args.torch_threads))
    if not getattr(args, "verbose", False):
        logging.getLogger("anymole_server").setLevel(logging.WARNING)  # no line per job
    print(f"anymole bench server: {args.jobs} jobs over {args.clients} clients, {args.workers} server workers, method {args.method}", file=sys.stderr, flush=True)
    result, device = bench_server(
        args.clients, args.jobs, method=args.method, workers=args.workers, max_queue=args.max_queue,
        preview_size=args.preview_size, max_previews=args.max_previews,
    )
    figures = summarize(result, device)
    figures.update(workers=args.workers, method=args.method, preview_size=args.preview_size, torch_threads=args.torch_threads)
    table = Table(title="anymole bench server")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in (*KEYS, "previews", "job_ms_p50", "job_ms_p95", "queue_full_retries", "rss_mb_after_warmup", "rss_mb_after", "rss_growth", "db_bytes"):
        value = figures[key]
        table.add_row(key, f"{value:.3f}" if key == "rss_growth" and value is not None else f"{value:.1f}" if isinstance(value, float) else str(value))
    Console(file=sys.stdout).print(table)
    print(f"{device}; {args.clients} clients, {args.jobs} jobs, {args.workers} server workers; wall {result.wall_s:.2f} s")
    for message in figures["error_messages"]:
        print(f"error: {message}", file=sys.stderr)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(_json_safe(figures), indent=2))
        print(f"wrote {args.json}")
    return 1 if figures["errors"] else 0
