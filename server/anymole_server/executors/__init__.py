"""Executors: what runs a job's pipeline method for the job runner (see :mod:`.base`).

``local`` (:class:`~anymole_server.executors.local.LocalExecutor`, the default) runs it in the
job thread. ``ray`` (:class:`~anymole_server.executors.ray_executor.RayExecutor`) runs it on Ray
actors; without the ``ray`` extra, :func:`make_executor` and :func:`check_executor` refuse it
with one line saying how to install it.
"""

from __future__ import annotations

import importlib.util

from anymole_server.config import ConfigError
from anymole_server.executors.base import EXECUTORS, Executor

__all__ = ["EXECUTORS", "Executor", "check_executor", "make_executor", "RAY_MISSING_MESSAGE"]

RAY_MISSING_MESSAGE = "the ray executor needs the ray extra: pip install '.[ray]'"


def ray_importable() -> bool:
    """Whether ``import ray`` would find a package (nothing is imported)."""
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        return False


def check_executor(name: str) -> None:
    """:class:`ConfigError` (one line) unless executor ``name`` can run here."""
    if name == "local":
        return
    if name == "ray":
        if not ray_importable():
            raise ConfigError(RAY_MISSING_MESSAGE)
        return
    raise ConfigError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")


def make_executor(config) -> Executor:
    """The executor ``config.executor`` names (a :class:`~anymole_server.config.ServerConfig`);
    :class:`ConfigError` when it cannot run here (see :func:`check_executor`)."""
    name = getattr(config, "executor", "local") or "local"
    check_executor(name)
    if name == "ray":
        from anymole_server.executors.ray_executor import RayExecutor

        return RayExecutor(
            config.limits.workers, address=getattr(config, "ray_address", None), video_models=config.video_models,
            adapter_cache=config.adapter_cache, render_preview=config.render_preview, artefacts_dir=getattr(config, "artefacts_dir", None),
        )
    from anymole_server.executors.local import LocalExecutor

    return LocalExecutor(render_preview=config.render_preview, priors=config.priors, artefacts_dir=getattr(config, "artefacts_dir", None))
