"""glTF 2.0 / GLB: :func:`read_gltf` (see :mod:`anymole.io.gltf_read`) and
:func:`write_gltf` (see :mod:`anymole.io.gltf_write`); containers and accessors live in
:mod:`anymole.io.gltf_container`."""

from anymole.io.gltf_read import read_gltf
from anymole.io.gltf_write import write_gltf

__all__ = ["read_gltf", "write_gltf"]
