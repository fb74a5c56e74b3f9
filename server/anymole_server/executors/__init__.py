"""Executors: what runs a job's pipeline method for the job runner (see :mod:`.base`).

``local`` (:class:`~anymole_server.executors.local.LocalExecutor`, the default) runs it in the
job thread. ``ray`` (scale-out over a Ray cluster, issue 15) is not implemented yet:
:func:`make_executor` and :func:`check_executor` refuse it with one line — how to install the
extra when Ray is missing, and that it is not implemented when Ray is there.
"""

from __future__ import annotations

import importlib.util

from anymole_server.config import ConfigError
from anymole_server.executors.base import EXECUTORS, Executor

__all__ = ["EXECUTORS", "Executor", "check_executor", "make_executor", "RAY_MISSING_MESSAGE", "RAY_NOT_IMPLEMENTED_MESSAGE"]

RAY_MISSING_MESSAGE = "the ray executor needs the ray extra: pip install '.[ray]'"
RAY_NOT_IMPLEMENTED_MESSAGE = (
    "the ray executor is not implemented in this version yet (ray is installed, but jobs cannot run on it); "
    "use --executor local (the default)"
)


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
        raise ConfigError(RAY_NOT_IMPLEMENTED_MESSAGE if ray_importable() else RAY_MISSING_MESSAGE)
    raise ConfigError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")


def make_executor(config) -> Executor:
    """The executor ``config.executor`` names (a :class:`~anymole_server.config.ServerConfig`);
    :class:`ConfigError` when it cannot run here (see :func:`check_executor`)."""
    name = getattr(config, "executor", "local") or "local"
    check_executor(name)
    from anymole_server.executors.local import LocalExecutor

    return LocalExecutor(render_preview=config.render_preview, priors=config.priors)
