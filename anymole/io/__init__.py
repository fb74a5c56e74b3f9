"""File formats: BVH, glTF/GLB and FBX read into (and written from) the canonical frame.

Parsing and writing only; maths comes from :mod:`anymole.geometry` and
:mod:`anymole.kinematics`, and every axis or unit change goes through
:mod:`anymole.geometry.frames`.

Modules: :mod:`~anymole.io.asset` (what a reader returns: a leaf), the readers and writers
(:mod:`~anymole.io.bvh`, :mod:`~anymole.io.gltf_read` / :mod:`~anymole.io.gltf_write`,
:mod:`~anymole.io.fbx`, :mod:`~anymole.io.fbx_write`), :mod:`~anymole.io.load` (dispatch by
extension, above the readers) and :mod:`~anymole.io.format_errors`. The names below load on
first use, so importing one light module of the package (``fbx_write``'s bpy probe, say)
imports no reader and no torch.
"""

from __future__ import annotations

import importlib

# Public name -> the module that defines it (PEP 562 lazy attributes).
_EXPORTS = {
    "Asset": "anymole.io.asset",
    "Clip": "anymole.io.asset",
    "load_asset": "anymole.io.load",
    "read_bvh": "anymole.io.bvh",
    "write_bvh": "anymole.io.bvh",
    "read_gltf": "anymole.io.gltf_read",
    "write_gltf": "anymole.io.gltf_write",
    "read_fbx": "anymole.io.fbx",
}

__all__ = ["Asset", "Clip", "load_asset", "read_bvh", "write_bvh", "read_gltf", "write_gltf", "read_fbx"]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'anymole.io' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
