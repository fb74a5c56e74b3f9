"""AnyMoLe Bridge: motion in-betweening for any 3D character.

The library: motion core, file formats, metrics, classical and video-prior in-betweening.
Nothing here imports gRPC or the server package.
"""

from anymole.errors import AnymoleError, FormatError, ValidationError
from anymole.motion import Motion
from anymole.skeleton import Skeleton, SkinnedMesh

__version__ = "0.1.0"

__all__ = [
    "AnymoleError",
    "FormatError",
    "Motion",
    "Skeleton",
    "SkinnedMesh",
    "ValidationError",
    "__version__",
]
