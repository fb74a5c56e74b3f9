"""The ``"pytorch3d"`` renderer backend: pytorch3d's CUDA/C++ rasteriser behind
:class:`anymole.render.renderer.RasterBackend`, used where ``import pytorch3d`` works.

UNTESTED in this project's CI: pytorch3d has no installable build for CPU Linux, so nothing
here runs where the tests run. It is kept small on purpose — camera conversion, rasterisation,
and the same shading code as the torch backend:

* Cameras go through OpenCV's convention (:meth:`PerspectiveCameras.to_opencv`) and pytorch3d's
  own ``cameras_from_opencv_projection``, which owns the axis flips and pixel-centre offsets.
* Images: ``MeshRasterizer`` (one face per pixel, perspective-correct barycentrics), then
  :func:`anymole.render.rasterize.shade_lambert` on its fragments, so shading matches exactly.
* Silhouettes: ``SoftSilhouetteShader`` (SoftRas' ``sigmoid(−d²/σ)`` in NDC, ``faces_per_pixel``
  nearest faces). The width is matched so that both backends give the same probability at a
  distance of ``sigma`` pixels; the profile differs (d² vs d), so the two agree closely but not
  bit for bit.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from anymole.render.cameras import PerspectiveCameras
from anymole.render.rasterize import Fragments, shade_lambert

__all__ = ["available", "Pytorch3DBackend"]


def available() -> bool:
    """Whether pytorch3d can be imported here."""
    try:
        import pytorch3d.renderer  # noqa: F401
    except ImportError:
        return False
    return True


def to_pytorch3d_cameras(cameras: PerspectiveCameras):
    """pytorch3d ``PerspectiveCameras`` (screen-space intrinsics) equal to ``cameras``."""
    from pytorch3d.utils import cameras_from_opencv_projection

    R, t, K = cameras.to_opencv()
    size = torch.tensor([cameras.image_size], dtype=R.dtype, device=R.device).expand(len(cameras), 2)
    return cameras_from_opencv_projection(R.float(), t.float(), K.float(), size.float())


class Pytorch3DBackend:
    """Rasterises with pytorch3d; shading shared with the torch backend."""

    name = "pytorch3d"

    def __init__(self, faces_per_pixel_soft: int = 32, eps: float = 1e-3):
        self.faces_per_pixel_soft = faces_per_pixel_soft
        self.eps = eps

    def _meshes(self, verts: Tensor, faces: Tensor):
        from pytorch3d.structures import Meshes

        f = faces.to(verts.device).expand(verts.shape[0], -1, -1)
        return Meshes(verts=verts.float(), faces=f)

    def images(self, verts, faces, colors, cameras, *, background=(1.0, 1.0, 1.0), ambient=0.35, smooth=False):
        from pytorch3d.renderer import MeshRasterizer, RasterizationSettings

        cams = cameras.repeat_interleave(verts.shape[0]) if len(cameras) == 1 < verts.shape[0] else cameras
        settings = RasterizationSettings(image_size=cams.image_size, blur_radius=0.0, faces_per_pixel=1, perspective_correct=True)
        frags = MeshRasterizer(cameras=to_pytorch3d_cameras(cams), raster_settings=settings)(self._meshes(verts, faces))
        B, F = verts.shape[0], faces.shape[0]
        p2f = frags.pix_to_face[..., 0]
        offset = (torch.arange(B, device=p2f.device) * F).view(B, 1, 1)
        face_index = torch.where(p2f >= 0, p2f - offset, p2f)
        ours = Fragments(face_index, frags.bary_coords[..., 0, :].to(verts.dtype), frags.zbuf[..., 0].to(verts.dtype))
        cam = cams.transform_points(verts)
        return shade_lambert(ours, cam, faces, colors, background=background, ambient=ambient, smooth=smooth)

    def silhouettes(self, verts, faces, cameras, *, sigma=0.5):
        from pytorch3d.renderer import BlendParams, MeshRasterizer, MeshRenderer, RasterizationSettings, SoftSilhouetteShader

        cams = cameras.repeat_interleave(verts.shape[0]) if len(cameras) == 1 < verts.shape[0] else cameras
        H, W = cams.image_size
        # pytorch3d's NDC spans the shorter side over [-1, 1]: 1 px = 2 / min(H, W).
        sigma_ndc2 = (sigma * 2.0 / min(H, W)) ** 2
        settings = RasterizationSettings(
            image_size=(H, W),
            blur_radius=math.log(1.0 / self.eps - 1.0) * sigma_ndc2,
            faces_per_pixel=self.faces_per_pixel_soft,
        )
        renderer = MeshRenderer(
            MeshRasterizer(cameras=to_pytorch3d_cameras(cams), raster_settings=settings),
            SoftSilhouetteShader(blend_params=BlendParams(sigma=sigma_ndc2)),
        )
        return renderer(self._meshes(verts, faces))[..., 3].to(verts.dtype)
