"""AnyMoLe Bridge: motion in-betweening for any 3D character.

The library: motion core, file formats, metrics, classical and video-prior in-betweening.
Nothing here imports gRPC or the server package.

``import anymole`` is cheap (no torch): :class:`Motion`, :class:`Skeleton` and
:class:`SkinnedMesh` load on first use, so that ``anymole --help`` and other light commands
start without importing torch.
"""

from __future__ import annotations

import importlib

from anymole.errors import AnymoleError, FormatError, ValidationError

__version__ = "0.1.0"

# Public names that need torch: name -> module, imported on first access (PEP 562).
_LAZY = {"Motion": "anymole.motion", "Skeleton": "anymole.skeleton", "SkinnedMesh": "anymole.skeleton"}

__all__ = [
    "AnymoleError",
    "FormatError",
    "Motion",
    "Skeleton",
    "SkinnedMesh",
    "ValidationError",
    "__version__",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'anymole' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
