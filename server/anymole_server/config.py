"""Server configuration: bind address, credentials, storage, limits, and test seams."""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from anymole.errors import AnymoleError

MIB = 1024 * 1024


class ConfigError(AnymoleError):
    """The server configuration is not acceptable (e.g. a public bind without a token)."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def default_db_path() -> Path:
    """``jobs.sqlite3`` in the user data directory (XDG on Linux, Application Support on macOS,
    %LOCALAPPDATA% on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "anymole" / "jobs.sqlite3"


@dataclass(frozen=True)
class Limits:
    """Request limits, reported in capabilities. Sizes in joints, frames, bytes, pixels."""

    max_joints: int = 512
    max_frames: int = 4096
    max_message_bytes: int = 64 * MIB
    max_queue: int = 16
    max_preview_size: int = 1024
    max_preview_frames: int = 64
    workers: int = 1
    max_vertices: int = 100_000
    max_faces: int = 200_000
    max_influences: int = 8
    max_preview_pixels: int = 16 * MIB  # width * height * frames per stage (e.g. 64 frames at 512²)
    max_decoded_bytes: int = 256 * MIB
    min_fps: float = 0.1
    max_fps: float = 1000.0
    min_unit_m: float = 1e-6
    max_unit_m: float = 1e6
    max_extent_m: float = 1e4  # 10 km: anything farther from the origin is not a character
    max_concurrent_validations: int = 4


@dataclass
class ServerConfig:
    """Everything ``serve`` needs.

    ``token``: the bearer token (None: no authentication — allowed on loopback only);
    ``tenants``: token → tenant for several tokens (``token`` alone is tenant ``default``).
    A token on a non-loopback address needs TLS unless ``insecure_token_over_plaintext``.
    ``tls_cert`` / ``tls_key``: PEM bytes (both or neither). ``db_path``: SQLite file (None: the
    user data dir). ``render_preview``: test seam replacing the preview renderer
    (``(skeleton, motion, frame_index, options) -> bytes``). ``video_models``: prior name →
    local diffusers folder (``--video-model NAME=PATH``; ``tiny`` needs none and is opt-in);
    ``adapter_cache``: ICAdapt's adapter folder (None: the user cache dir). ``keep_previews``:
    which preview images a finished job keeps (``"last"`` of each stage, ``"all"``, ``"none"``;
    its pose previews and stored request go unless ``"all"`` — the result is the final pose), ``keep_previews_for_s`` seconds after it ends (so live and
    reattaching clients get every image); results and every event's metadata are always kept.
    """

    host: str = "127.0.0.1"
    port: int = 50051
    token: str | None = field(default=None, repr=False)
    tenants: dict[str, str] = field(default_factory=dict, repr=False)
    insecure_token_over_plaintext: bool = False
    tls_cert: bytes | None = field(default=None, repr=False)
    tls_key: bytes | None = field(default=None, repr=False)
    db_path: Path | None = None
    limits: Limits = field(default_factory=Limits)
    video_models: dict[str, str] = field(default_factory=dict)
    adapter_cache: Path | None = None
    render_preview: Callable[..., bytes] | None = None
    keep_previews: str = "last"
    keep_previews_for_s: float = 60.0
    # Retention and housekeeping (see anymole_server.store and JobManager.housekeeping):
    # finished jobs older than ``retain_jobs_days`` or beyond the newest ``retain_jobs_max`` are
    # deleted (0 disables either), every ``housekeeping_interval_s``; the store is checked
    # (deleted file, recovery from a full or read-only disk) every ``store_check_interval_s``.
    # ``shutdown_grace_s``: how long ``anymole serve`` waits for running jobs on SIGTERM.
    retain_jobs_days: float = 30.0
    retain_jobs_max: int = 10_000
    housekeeping_interval_s: float = 60.0
    store_check_interval_s: float = 1.0
    shutdown_grace_s: float = 5.0
    # What runs a job's pipeline method (anymole_server.executors): "local" (this process's job
    # threads, the default) or "ray" (Ray actors; refused at start without the ray extra).
    executor: str = "local"
    ray_address: str | None = None  # --executor ray: the cluster to join (None: start a local one)
    artefacts_dir: Path | None = None  # where methods write large outputs (the generated video); None: not kept

    def __post_init__(self) -> None:
        from anymole.video.registry import PriorRegistry

        if self.token and not self.tenants:
            self.tenants = {self.token: "default"}
        elif self.tenants and not self.token:
            self.token = next(iter(self.tenants))

        self.priors = PriorRegistry(self.video_models, adapter_cache=self.adapter_cache)

    @property
    def video_priors(self) -> tuple[str, ...]:
        """The configured priors that are loadable (``anymole`` runs only with one)."""
        return self.priors.names()

    def check(self) -> None:
        """Raise :class:`ConfigError` for a configuration that must not start."""
        if not is_loopback(self.host) and not self.tenants:
            raise ConfigError(
                f"refusing to bind {self.host!r} without a token: only loopback addresses "
                "(127.0.0.1, ::1, localhost) may run without authentication; pass --token-file"
            )
        if not is_loopback(self.host) and self.tls_cert is None and not self.insecure_token_over_plaintext:
            raise ConfigError(
                f"refusing to bind {self.host!r} with a token but without TLS: the token would travel in clear text. "
                "Pass --tls-cert and --tls-key, or --insecure-token-over-plaintext on a network you trust"
            )
        if self.keep_previews not in ("last", "all", "none"):
            raise ConfigError(f"keep_previews must be 'last', 'all' or 'none', got {self.keep_previews!r}")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("TLS needs both a certificate and a key (--tls-cert and --tls-key)")
        lim = self.limits
        for name in (
            "max_joints", "max_frames", "max_message_bytes", "max_queue", "max_preview_size", "max_preview_frames", "workers",
            "max_vertices", "max_faces", "max_influences", "max_preview_pixels", "max_decoded_bytes", "max_concurrent_validations",
        ):
            if getattr(lim, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(lim, name)}")
        if lim.max_preview_size < 16:
            raise ConfigError("max_preview_size must be at least 16")

    @property
    def resolved_db_path(self) -> Path:
        return Path(self.db_path) if self.db_path is not None else default_db_path()
