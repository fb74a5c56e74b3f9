"""File formats: BVH, glTF/GLB and FBX read into (and written from) the canonical frame.

Parsing and writing only; maths comes from :mod:`anymole.geometry` and
:mod:`anymole.kinematics`, and every axis or unit change goes through
:mod:`anymole.geometry.frames`.
"""

from anymole.io.asset import Asset, Clip, load_asset
from anymole.io.bvh import read_bvh, write_bvh
from anymole.io.fbx import read_fbx
from anymole.io.gltf import read_gltf, write_gltf

__all__ = ["Asset", "Clip", "load_asset", "read_bvh", "write_bvh", "read_gltf", "write_gltf", "read_fbx"]
