"""``load_asset``: read any supported file by its extension (BVH, glTF/GLB, FBX).

The dispatcher sits above the readers (it imports them; none imports it), so the readers and
:mod:`anymole.io.asset` form no import circle. Each reader is imported only when its extension
is asked for.
"""

from __future__ import annotations

from pathlib import Path

from anymole.errors import FormatError
from anymole.io.asset import Asset


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
