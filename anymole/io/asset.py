"""What a file reader returns: a skeleton and its named clips, in the canonical frame.

Canonical frame (see :mod:`anymole.geometry.frames`): right-handed, +Y up, +Z forward, metres,
seconds; quaternions (x, y, z, w). ``Clip.motion.rotations`` are full local rotations and its
translations hold the rest offset for joints that do not translate.
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from anymole.errors import AnymoleError, FormatError
from anymole.motion import Motion
from anymole.skeleton import Skeleton


@dataclass(frozen=True)
class Clip:
    """One named animation of an :class:`Asset`'s skeleton (``motion`` has its joint count)."""

    name: str
    motion: Motion


@dataclass(frozen=True)
class Asset:
    """A character as read from a file.

    Attributes:
        skeleton: joints, rest pose and optional skinned mesh, canonical frame, metres.
        clips: every animation in the file, in file order (may be empty).
        source: the path the asset was read from.
    """

    skeleton: Skeleton
    clips: tuple[Clip, ...]
    source: str

    def clip(self, name: str) -> Clip:
        """The clip called ``name``; :class:`KeyError` naming the clips there are if absent."""
        for c in self.clips:
            if c.name == name:
                return c
        raise KeyError(f"{self.source}: no clip named {name!r}; clips: {[c.name for c in self.clips]}")


def load_asset(path: str | Path, **opts) -> Asset:
    """Read a BVH, glTF/GLB or FBX file by its extension (case-insensitive).

    ``opts`` go to the reader (:func:`~anymole.io.bvh.read_bvh`,
    :func:`~anymole.io.gltf.read_gltf`, :func:`~anymole.io.fbx.read_fbx`).
    Raises :class:`FormatError` for an unknown extension or a malformed file.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".bvh":
        from anymole.io.bvh import read_bvh

        return read_bvh(p, **opts)
    if ext in (".gltf", ".glb"):
        from anymole.io.gltf import read_gltf

        return read_gltf(p, **opts)
    if ext == ".fbx":
        from anymole.io.fbx import read_fbx

        return read_fbx(p, **opts)
    raise FormatError(p, f"unknown file type {p.suffix!r}; expected .bvh, .gltf, .glb or .fbx")


# Low-level exceptions a parser can leak on a malformed file; readers turn them into FormatError.
LOW_LEVEL_ERRORS = (
    IndexError,
    KeyError,
    ValueError,
    TypeError,
    AttributeError,
    struct.error,
    UnicodeDecodeError,
    OverflowError,
    RuntimeError,
    AssertionError,
)


@contextlib.contextmanager
def wrap_errors(path: str | Path, what: str) -> Iterator[None]:
    """Re-raise low-level parser exceptions (and domain ValidationErrors) as :class:`FormatError`
    naming ``path`` and ``what`` was being done. FormatError passes through unchanged."""
    try:
        yield
    except FormatError:
        raise
    except OSError as exc:
        raise FormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    except (AnymoleError, *LOW_LEVEL_ERRORS) as exc:
        msg = str(exc) or type(exc).__name__
        raise FormatError(path, f"{what}: {msg}") from exc
