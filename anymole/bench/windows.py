"""Benchmark corpus: motion files found under paths, clips resampled, and LAFAN1-style windows.

A window is ``context`` known frames, a gap of ``gap`` unknown frames, then one target keyframe
(``context + gap + 1`` frames), cut from a clip at ``fps``; windows start every ``stride``
frames (LAFAN1 uses 40 for its test set).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from anymole.errors import ValidationError
from anymole.motion import Motion
from anymole.skeleton import Skeleton

MOTION_EXTENSIONS = (".bvh", ".glb", ".gltf", ".fbx")


@dataclass(frozen=True, eq=False)
class CorpusClip:
    """One clip of one file: ``motion`` ``(T, J)`` at the benchmark's fps."""

    source: str
    name: str
    skeleton: Skeleton
    motion: Motion


@dataclass(frozen=True)
class Window:
    """Frames ``[start, start + context + gap + 1)`` of clip ``clip`` (an index into the corpus)."""

    clip: int
    start: int


def find_motion_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files among ``paths`` (files, or folders searched recursively) with a motion extension,
    sorted within each folder; a missing path raises :class:`ValidationError`."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in MOTION_EXTENSIONS))
        elif p.is_file():
            files.append(p)
        else:
            raise ValidationError("data", f"no such file or folder: {p}")
    seen: set[Path] = set()
    return [f for f in files if not (f.resolve() in seen or seen.add(f.resolve()))]


def load_corpus(files: Iterable[Path], fps: float) -> list[CorpusClip]:
    """Every clip of every file, resampled to ``fps``; files without clips contribute nothing."""
    from anymole.io import load_asset

    clips = []
    for f in files:
        asset = load_asset(f)
        for clip in asset.clips:
            clips.append(CorpusClip(str(f), clip.name, asset.skeleton, clip.motion.resample(fps)))
    return clips


def windows(clips: list[CorpusClip], context: int, gap: int, stride: int = 40) -> list[Window]:
    """All windows of ``context + gap + 1`` frames starting every ``stride`` frames, clip by clip."""
    length = context + gap + 1
    return [
        Window(i, s)
        for i, c in enumerate(clips)
        for s in range(0, c.motion.num_frames - length + 1, stride)
    ]


def spread(items: list, n: int | None) -> list:
    """At most ``n`` items, evenly spread over ``items`` and in order (deterministic)."""
    if n is None or n >= len(items):
        return list(items)
    if n <= 0:
        return []
    if n == 1:
        return [items[len(items) // 2]]
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]
