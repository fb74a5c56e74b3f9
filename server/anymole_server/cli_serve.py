"""``anymole serve``: run the gRPC server until interrupted.

Binds 127.0.0.1:50051 by default. Any non-loopback address needs ``--token-file`` (exit code 2
otherwise). TLS with ``--tls-cert``/``--tls-key`` (PEM files). The listening address is logged;
the token never is.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from anymole_server.config import MIB, ConfigError, Limits, ServerConfig, default_db_path, is_loopback

log = logging.getLogger("anymole_server")

EXIT_CONFIG = 2
HELP = "Run the gRPC server."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = Limits()
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything but loopback needs --token-file)")
    parser.add_argument("--port", type=int, default=50051, help="port (default 50051; 0 picks a free one)")
    parser.add_argument("--token-file", type=Path, help="file holding the bearer token clients must send")
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


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """Build the configuration; :class:`ConfigError` for anything that must not start."""
    from anymole_server.auth import load_token, token_file_is_private

    if not is_loopback(args.host) and args.token_file is None:
        raise ConfigError(
            f"refusing to bind {args.host!r} without --token-file: only loopback addresses "
            "(127.0.0.1, ::1, localhost) may serve without authentication"
        )
    token = None
    if args.token_file is not None:
        token = load_token(args.token_file)
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
        host=args.host, port=args.port, token=token, tls_cert=cert, tls_key=key, db_path=args.db, limits=limits,
        video_models=models, adapter_cache=args.adapter_cache, keep_previews=args.keep_previews,
    )
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
        await server.stop(grace=2.0)


def run(args: argparse.Namespace) -> int:
    import asyncio

    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"anymole serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        asyncio.run(_main(config))
    except ConfigError as exc:
        print(f"anymole serve: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return 0
