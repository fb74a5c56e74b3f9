"""Rendering.

- ``cameras``: perspective pinhole cameras; the one place their conventions are written down.
- ``rasterize``: differentiable triangle rasteriser in PyTorch (depth-tested image, soft silhouette).
- ``pytorch3d_backend``: the same interface through pytorch3d, where it is importable.
- ``skinning``: linear blend skinning; ``bone_mesh``: a mesh built from the bones for
  skeleton-only characters; ``rig``: the camera rig that keeps the character in frame.
- ``renderer``: the character renderer (images, silhouettes, joints' 2D positions and depths).
- ``preview``: JPEG/PNG previews for the server and bake (the character through ``renderer`` from
  the front camera; a PIL skeleton drawing as fallback); ``mp4``: the MP4 writer.
"""
