"""What a file reader returns: a skeleton and its named clips, in the canonical frame.

A leaf of :mod:`anymole.io`: the readers import these types; :func:`anymole.io.load.load_asset`
picks a reader by extension; :mod:`anymole.io.format_errors` wraps parser errors.

Canonical frame (see :mod:`anymole.geometry.frames`): right-handed, +Y up, +Z forward, metres,
seconds; quaternions (x, y, z, w). ``Clip.motion.rotations`` are full local rotations and its
translations hold the rest offset for joints that do not translate.
"""

from __future__ import annotations

from dataclasses import dataclass

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
