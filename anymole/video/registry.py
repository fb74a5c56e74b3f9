"""The priors a process is configured with: names → local model folders, loaded on first use.

The server, ``anymole bake`` and the benchmarks hold one :class:`PriorRegistry`. A prior is
loaded once (thread-safe) and shared; because ICAdapt loads a LoRA onto the shared model, a
transition holds :meth:`PriorRegistry.lock` for its prior from adaptation to the end of
generation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import torch

from anymole.errors import UnsupportedError, ValidationError
from anymole.threads import MODULE_CONSTRUCTION_LOCK
from anymole.video.base import VideoPrior
from anymole.video.loading import PRIOR_NAMES, load_prior, loadable_priors

__all__ = ["PriorRegistry", "parse_video_models", "default_adapter_cache"]

# Preference order when a request names no prior: the real models first; ``tiny`` only when it
# is the only one configured (it is never chosen over a real model).
PREFERENCE = ("ltx", "wan-vace", "tiny")


def default_adapter_cache() -> Path:
    """``$XDG_CACHE_HOME/anymole/adapters`` (``~/.cache/anymole/adapters``)."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "anymole" / "adapters"


def parse_video_models(items: Iterable[str]) -> dict[str, str]:
    """``["ltx=/models/LTX-Video", "tiny"]`` → ``{"ltx": "/models/LTX-Video", "tiny": ""}``.

    Raises :class:`ValidationError` (field ``video-model``) for an unknown name, a real prior
    without a path, or a name given twice."""
    models: dict[str, str] = {}
    for item in items:
        name, _, path = item.partition("=")
        name, path = name.strip(), path.strip()
        if name not in PRIOR_NAMES:
            raise ValidationError("video-model", f"unknown prior {name!r} in {item!r}; expected one of {', '.join(PRIOR_NAMES)} as NAME=PATH")
        if name != "tiny" and not path:
            raise ValidationError("video-model", f"{item!r}: give the model folder as {name}=PATH")
        if name in models:
            raise ValidationError("video-model", f"prior {name!r} given twice")
        models[name] = path
    return models


class PriorRegistry:
    """Configured priors, loaded lazily.

    Args:
        models: name → diffusers folder (``""`` for ``tiny``), e.g. from :func:`parse_video_models`.
        device, dtype: where and how real priors load (``tiny`` always loads in float32).
        adapter_cache: folder for ICAdapt adapters (default :func:`default_adapter_cache`).
    """

    def __init__(
        self,
        models: dict[str, str] | None = None,
        *,
        device: str = "cpu",
        dtype: torch.dtype = torch.float32,
        adapter_cache: Path | str | None = None,
        max_adapters: int | None = None,
    ):
        self.models = dict(models or {})
        self.max_adapters = max_adapters  # the adapter cache keeps this many (LRU); None: all
        self.device = device
        self.dtype = dtype
        self.adapter_cache = Path(adapter_cache) if adapter_cache is not None else default_adapter_cache()
        self._loaded: dict[str, VideoPrior] = {}
        self._locks = {name: threading.Lock() for name in PRIOR_NAMES}
        self._load_lock = threading.Lock()

    def names(self) -> tuple[str, ...]:
        """The configured priors that look loadable (cheap: nothing is loaded), in preference order."""
        ok = loadable_priors(self.models)
        return tuple(n for n in PREFERENCE if n in ok)

    def resolve(self, name: str = "") -> str:
        """``name``, or the preferred loadable prior when empty; :class:`UnsupportedError` saying
        how to configure one when none is loadable or ``name`` is not."""
        names = self.names()
        if not names:
            raise UnsupportedError(
                "method 'anymole' needs a video prior and none is configured: start the server (or pass to "
                "bake/bench) --video-model ltx=/path/to/LTX-Video or --video-model wan-vace=/path/to/Wan2.1-VACE-1.3B-diffusers "
                "(a diffusers folder on this machine; nothing is downloaded), or --video-model tiny for a plumbing test"
            )
        if not name:
            return names[0]
        if name not in names:
            raise UnsupportedError(f"video prior {name!r} is not configured or its folder is missing; loadable here: {list(names)}")
        return name

    def get(self, name: str = "") -> VideoPrior:
        """The loaded prior ``name`` (see :meth:`resolve`), loading it on first use."""
        name = self.resolve(name)
        with self._load_lock:
            if name not in self._loaded:
                dtype = torch.float32 if name == "tiny" else self.dtype
                with MODULE_CONSTRUCTION_LOCK:
                    self._loaded[name] = load_prior(name, self.models.get(name) or None, device=self.device, dtype=dtype)
            return self._loaded[name]

    def lock(self, name: str) -> threading.Lock:
        """Held by a transition while it adapts and generates with prior ``name``."""
        return self._locks[self.resolve(name)]
