"""``anymole serve``: run the gRPC server until interrupted.

Binds 127.0.0.1:50051 by default. Any non-loopback address needs ``--token-file`` (exit code 2
otherwise). TLS with ``--tls-cert``/``--tls-key`` (PEM files). The listening address is logged;
the token never is.

A database that cannot be used (unreadable, read-only, corrupt, not a database, a newer schema)
is one line on stderr naming the path and what to do, and exit code 2. SIGTERM or SIGINT stops
the server within ``--shutdown-grace-s`` whatever is running: jobs still running then are
marked INTERRUPTED and the process exits without waiting for their threads; a second signal
exits at once. Finished jobs are deleted after ``--retain-days`` or beyond ``--retain-jobs``
(housekeeping, every minute, bounded); ``--vacuum`` applies retention and VACUUMs the database,
then exits (the running server gives free pages back by itself through incremental
auto-vacuum, on databases made by this version or vacuumed once). ``--executor`` chooses what
runs the jobs (:mod:`anymole_server.executors`): ``local`` (the default) or ``ray`` (Ray actors;
``--ray-address`` joins a cluster, none starts a local one), refused at start with one line
saying how to install the extra where Ray is missing.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from anymole_server.config import MIB, ConfigError, Limits, ServerConfig, default_db_path, is_loopback
from anymole_server.executors import EXECUTORS, check_executor

log = logging.getLogger("anymole_server")

EXIT_CONFIG = 2
EXIT_SIGNAL = 130
HELP = "Run the gRPC server."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = Limits()
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything but loopback needs --token-file)")
    parser.add_argument("--port", type=int, default=50051, help="port (default 50051; 0 picks a free one)")
    parser.add_argument(
        "--token-file", type=Path,
        help="bearer tokens clients must send: one per line, 'TOKEN' or 'TENANT TOKEN' (each tenant sees only its own jobs)",
    )
    parser.add_argument(
        "--insecure-token-over-plaintext", action="store_true",
        help="allow a token on a non-loopback address without TLS (it then travels in clear text)",
    )
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate chain (with --tls-key)")
    parser.add_argument("--tls-key", type=Path, help="PEM private key (with --tls-cert)")
    parser.add_argument("--db", type=Path, help=f"SQLite job store (default {default_db_path()})")
    parser.add_argument("--max-queue", type=int, default=d.max_queue, help=f"jobs that may wait for a job thread (default {d.max_queue})")
    parser.add_argument("--workers", type=int, default=d.workers, help=f"compute slots: jobs that render or run a video method at once (default {d.workers})")
    parser.add_argument("--max-joints", type=int, default=d.max_joints, help=f"default {d.max_joints}")
    parser.add_argument("--max-frames", type=int, default=d.max_frames, help=f"longest timeline/output in frames (default {d.max_frames})")
    parser.add_argument(
        "--video-model", action="append", default=[], metavar="NAME=PATH",
        help="a video prior for method 'anymole': ltx=FOLDER or wan-vace=FOLDER (local diffusers folders, loaded offline), "
        "or 'tiny' (random weights, for plumbing tests); repeatable",
    )
    parser.add_argument("--adapter-cache", type=Path, help="folder for ICAdapt LoRA adapters (default ~/.cache/anymole/adapters)")
    parser.add_argument(
        "--keep-previews", choices=("last", "all", "none"), default="last",
        help="preview images and pose previews a finished job keeps (default: the last of each per stage; results are always kept)",
    )
    parser.add_argument("--max-message-mb", type=float, default=d.max_message_bytes / MIB, help=f"largest gRPC message either way, MiB (default {d.max_message_bytes // MIB})")
    c = ServerConfig
    parser.add_argument(
        "--retain-days", type=float, default=c.retain_jobs_days, metavar="DAYS",
        help=f"delete finished jobs (events, previews, result) this many days after they end; 0 keeps them (default {c.retain_jobs_days:g})",
    )
    parser.add_argument(
        "--retain-jobs", type=int, default=c.retain_jobs_max, metavar="N",
        help=f"keep at most the newest N finished jobs; 0: no limit (default {c.retain_jobs_max})",
    )
    parser.add_argument(
        "--vacuum", action="store_true",
        help="apply retention to the database, VACUUM it (rewrite it compactly), print the sizes and exit; run it while no server uses the database",
    )
    parser.add_argument(
        "--executor", choices=EXECUTORS, default=c.executor,
        help=f"what runs the jobs: local (this process's job threads) or ray (Ray actors, one per --workers slot; needs the ray extra) (default {c.executor})",
    )
    parser.add_argument("--ray-address", default=None, help="with --executor ray: the Ray cluster to join (default: start a local one)")
    parser.add_argument("--artefacts-dir", type=Path, default=None, help="folder for large outputs of the anymole method (the generated video; shared storage on a cluster)")
    parser.add_argument(
        "--shutdown-grace-s", type=float, default=c.shutdown_grace_s, metavar="S",
        help=f"on SIGTERM/SIGINT, seconds to let running jobs stop before they are marked interrupted and the server exits (default {c.shutdown_grace_s:g})",
    )


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Build the configuration; :class:`ConfigError` for anything that must not start."""
    from anymole_server.auth import load_tokens, token_file_is_private

    executor = getattr(args, "executor", "local")
    check_executor(executor)  # before anything is read: one line saying how to get it
    if not is_loopback(args.host) and args.token_file is None:
        raise ConfigError(
            f"refusing to bind {args.host!r} without --token-file: only loopback addresses "
            "(127.0.0.1, ::1, localhost) may serve without authentication"
        )
    token, tenants = None, {}
    if args.token_file is not None:
        tenants = load_tokens(args.token_file)
        token = next(iter(tenants))
        if not token_file_is_private(args.token_file):
            log.warning("token file %s is readable by other users; chmod 600 it", args.token_file)
    cert = key = None
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ConfigError("--tls-cert and --tls-key go together")
    if args.tls_cert is not None:
        try:
            cert, key = args.tls_cert.read_bytes(), args.tls_key.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read TLS files: {exc}") from None
    limits = Limits(
        max_joints=args.max_joints,
        max_frames=args.max_frames,
        max_message_bytes=int(args.max_message_mb * MIB),
        max_queue=args.max_queue,
        workers=args.workers,
    )
    from anymole.errors import ValidationError
    from anymole.video.registry import parse_video_models

    try:
        models = parse_video_models(args.video_model)
    except ValidationError as exc:
        raise ConfigError(f"--video-model: {exc.problem}") from None
    config = ServerConfig(
        host=args.host, port=args.port, token=token, tenants=tenants, tls_cert=cert, tls_key=key, db_path=args.db, limits=limits,
        insecure_token_over_plaintext=args.insecure_token_over_plaintext,
        video_models=models, adapter_cache=args.adapter_cache, keep_previews=args.keep_previews,
    )
    if args.retain_days < 0 or args.retain_jobs < 0 or args.shutdown_grace_s < 0:
        raise ConfigError("--retain-days, --retain-jobs and --shutdown-grace-s must not be negative")
    config.retain_jobs_days, config.retain_jobs_max, config.shutdown_grace_s = args.retain_days, args.retain_jobs, args.shutdown_grace_s
    config.executor = executor
    config.ray_address = getattr(args, "ray_address", None)
    config.artefacts_dir = getattr(args, "artefacts_dir", None)
    for name in models:
        if name not in config.video_priors:
            log.warning("video prior %r is configured but not loadable (%s has no model_index.json)", name, models[name])
    config.check()
    return config


async def _main(config: ServerConfig) -> None:
    import asyncio
    import signal

    from anymole_server.app import serve

    server, _ = await serve(config)
    print(f"anymole serve: listening on {server.address}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows
            pass
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second signal ends the process at once
            try:
                loop.add_signal_handler(sig, _exit_now)
            except (NotImplementedError, RuntimeError):
                pass
        print("anymole serve: stopping", file=sys.stderr, flush=True)
        await server.stop(grace=config.shutdown_grace_s)


def _exit_now() -> None:
    print("anymole serve: second signal: exiting now", file=sys.stderr, flush=True)
    logging.shutdown()
    os._exit(EXIT_SIGNAL)


def serve_until_signal(config: ServerConfig) -> int:
    """Serve ``config`` until SIGTERM or SIGINT, then stop within ``config.shutdown_grace_s``
    (jobs still running are marked INTERRUPTED) — and exit even when a job thread is stuck in
    code that never checks for cancellation (the process does not wait for it). Returns the
    exit code (2 for a configuration or database that cannot start)."""
    import asyncio

    try:
        asyncio.run(_main(config))
    except ConfigError as exc:
        print(f"anymole serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    stuck = [t.name for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon and t.is_alive()]
    if stuck:  # the interpreter would join them at exit: do not wait for a stuck renderer
        log.warning("exiting with %d job thread(s) still busy (%s); their jobs are marked interrupted", len(stuck), ", ".join(stuck[:4]))
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(0)
    return 0


def vacuum(config: ServerConfig) -> int:
    """``anymole serve --vacuum``: retention, then VACUUM, on ``config``'s database; prints
    what it did. Exit code 2 when the database cannot be opened or is in use."""
    from anymole_server.store import Store, StoreUnavailable

    try:
        store = Store(config.resolved_db_path)
    except StoreUnavailable as exc:
        print(f"anymole serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        days, most = config.retain_jobs_days, config.retain_jobs_max
        deleted = store.delete_finished(older_than_s=days * 86400.0 if days > 0 else None, keep_max=most if most > 0 else None, max_jobs=2**62)
        before, after = store.vacuum()
        jobs = store.count_jobs()
    except StoreUnavailable as exc:
        print(f"anymole serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        store.close()
    print(f"anymole serve --vacuum: {store.path}: deleted {deleted} finished jobs past retention, {jobs} jobs kept; {before / MIB:.2f} MiB -> {after / MIB:.2f} MiB")
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"anymole serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.vacuum:
        return vacuum(config)
    return serve_until_signal(config)
