"""Perspective cameras: the renderer's coordinate conventions, stated once.

World frame
    The canonical frame (glTF's): right-handed, +Y up, +Z forward (the character faces +Z),
    skeleton units (metres for the canonical readers).

Camera frame (view space)
    Right-handed, +X right on the image, +Y up on the image, and the camera **looks along its
    −Z axis** (the OpenGL / glTF camera convention). A world point ``p_w`` goes to
    ``p_c = R @ p_w + t``; ``R (3, 3)`` and ``t (3,)`` form the world→camera *view matrix*
    ``[[R, t], [0, 0, 0, 1]]``. The camera centre in world coordinates is ``-R.T @ t``.

Depth
    ``depth = -z_c``: distance along the optical axis in front of the camera, in world units
    (metres). Points with ``depth <= 0`` are behind the camera.

Intrinsics and pixels
    ``focal = (fx, fy)`` in pixels, ``principal_point = (cx, cy)`` in pixels. Pixel coordinates
    have their origin at the **top-left corner** of the image, ``u`` to the right, ``v`` down;
    pixel ``(row i, column j)`` covers ``[j, j+1) × [i, i+1)`` and its centre is
    ``(j + 0.5, i + 0.5)``. Projection::

        u = cx + fx * x_c / depth
        v = cy - fy * y_c / depth        (image v grows downward, camera y grows upward)

    A centred camera has ``(cx, cy) = (W / 2, H / 2)``. From a vertical field of view:
    ``fy = (H / 2) / tan(fov_y / 2)``; pixels are square (``fx = fy``) unless given otherwise.
    ``image_size`` is always ``(H, W)``: height first, like tensors ``(..., H, W, C)``.

NDC
    ``x_ndc = 2 u / W - 1`` (−1 at the left edge, +1 at the right edge) and
    ``y_ndc = 1 - 2 v / H`` (−1 at the bottom, +1 at the top), i.e. OpenGL's, +Y up. Depth in
    NDC (for losses that want a bounded depth, e.g. the joint estimator's ``160 · z_ndc``) is
    OpenGL's: :func:`depth_to_ndc` maps ``near → −1`` and ``far → +1``.

Shapes
    A :class:`PerspectiveCameras` holds ``C`` cameras sharing one ``image_size``. Functions that
    take points align the camera batch with the **first** dimension of the points:
    ``(C, ..., 3)``; a single camera (``C == 1``) broadcasts over any first dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from anymole.errors import ValidationError

__all__ = [
    "PerspectiveCameras",
    "look_at_rotation",
    "look_at_cameras",
    "focal_from_fov",
    "pixel_to_ndc",
    "ndc_to_pixel",
    "depth_to_ndc",
]


@dataclass(frozen=True, eq=False)
class PerspectiveCameras:
    """``C`` pinhole cameras sharing one image size.

    Attributes:
        rotation: ``(C, 3, 3)`` world→camera rotation ``R``.
        translation: ``(C, 3)`` world→camera translation ``t`` (world units).
        focal: ``(C, 2)`` ``(fx, fy)`` in pixels.
        principal_point: ``(C, 2)`` ``(cx, cy)`` in pixels (top-left origin).
        image_size: ``(H, W)`` in pixels.
    """

    rotation: Tensor
    translation: Tensor
    focal: Tensor
    principal_point: Tensor
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        C = self.rotation.shape[0] if self.rotation.dim() == 3 else -1
        for name, t, tail in (
            ("rotation", self.rotation, (3, 3)),
            ("translation", self.translation, (3,)),
            ("focal", self.focal, (2,)),
            ("principal_point", self.principal_point, (2,)),
        ):
            if t.dim() != len(tail) + 1 or tuple(t.shape[1:]) != tail or t.shape[0] != C:
                raise ValidationError(f"cameras.{name}", f"expected shape ({C}, {', '.join(map(str, tail))}), got {tuple(t.shape)}")
        H, W = (int(s) for s in self.image_size)
        if H < 1 or W < 1:
            raise ValidationError("cameras.image_size", f"must be positive (H, W), got {self.image_size}")
        object.__setattr__(self, "image_size", (H, W))

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def concat(cls, cameras: list["PerspectiveCameras"]) -> "PerspectiveCameras":
        """Stack camera sets with the same image size along the camera dimension."""
        if not cameras or any(c.image_size != cameras[0].image_size for c in cameras):
            raise ValidationError("cameras", "nothing to concatenate, or image sizes differ")
        return cls(
            torch.cat([c.rotation for c in cameras]),
            torch.cat([c.translation for c in cameras]),
            torch.cat([c.focal for c in cameras]),
            torch.cat([c.principal_point for c in cameras]),
            cameras[0].image_size,
        )

    # -- queries ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.rotation.shape[0])

    @property
    def height(self) -> int:
        return self.image_size[0]

    @property
    def width(self) -> int:
        return self.image_size[1]

    @property
    def device(self) -> torch.device:
        return self.rotation.device

    @property
    def dtype(self) -> torch.dtype:
        return self.rotation.dtype

    def __getitem__(self, index) -> "PerspectiveCameras":
        """A subset of cameras (an int keeps the camera dimension: ``C == 1``)."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return PerspectiveCameras(
            self.rotation[index], self.translation[index], self.focal[index], self.principal_point[index], self.image_size
        )

    def repeat_interleave(self, repeats: int) -> "PerspectiveCameras":
        """Each camera ``repeats`` times in a row: ``(C,) → (C * repeats,)`` (views × frames)."""
        r = lambda t: t.repeat_interleave(repeats, dim=0)  # noqa: E731
        return PerspectiveCameras(r(self.rotation), r(self.translation), r(self.focal), r(self.principal_point), self.image_size)

    def to(self, device=None, dtype: torch.dtype | None = None) -> "PerspectiveCameras":
        f = lambda t: t.to(device=device, dtype=dtype)  # noqa: E731
        return PerspectiveCameras(f(self.rotation), f(self.translation), f(self.focal), f(self.principal_point), self.image_size)

    def with_image_size(self, image_size: tuple[int, int]) -> "PerspectiveCameras":
        """The same cameras for another resolution ``(H, W)``: focal lengths and principal
        points scale with the image, so every world point lands on the same relative spot
        (for rendering soft silhouettes at a lower resolution)."""
        H, W = (int(s) for s in image_size)
        scale = torch.tensor([W / self.width, H / self.height], dtype=self.dtype, device=self.device)
        return PerspectiveCameras(self.rotation, self.translation, self.focal * scale, self.principal_point * scale, (H, W))

    def view_matrix(self) -> Tensor:
        """``(C, 4, 4)`` world→camera matrices."""
        m = torch.zeros(len(self), 4, 4, dtype=self.dtype, device=self.device)
        m[:, :3, :3] = self.rotation
        m[:, :3, 3] = self.translation
        m[:, 3, 3] = 1.0
        return m

    def centers(self) -> Tensor:
        """``(C, 3)`` camera centres in world coordinates."""
        return -(self.rotation.transpose(-1, -2) @ self.translation.unsqueeze(-1)).squeeze(-1)

    def to_opencv(self) -> tuple[Tensor, Tensor, Tensor]:
        """The same cameras in OpenCV's convention: ``R_cv (C, 3, 3)``, ``t_cv (C, 3)``,
        ``K (C, 3, 3)`` (camera looks along +Z, +Y down; pixel centres at integers, so
        ``cx_cv = cx - 0.5``). Used by the pytorch3d adapter and by external tools."""
        flip = torch.tensor([1.0, -1.0, -1.0], dtype=self.dtype, device=self.device)
        R = self.rotation * flip[:, None]
        t = self.translation * flip
        K = torch.zeros(len(self), 3, 3, dtype=self.dtype, device=self.device)
        K[:, 0, 0] = self.focal[:, 0]
        K[:, 1, 1] = self.focal[:, 1]
        K[:, 0, 2] = self.principal_point[:, 0] - 0.5
        K[:, 1, 2] = self.principal_point[:, 1] - 0.5
        K[:, 2, 2] = 1.0
        return R, t, K

    # -- maths --------------------------------------------------------------------------------

    def _per_camera(self, t: Tensor, points: Tensor, tail: int) -> Tensor:
        """Reshape a ``(C, *tail)`` camera tensor to broadcast against ``(C, ..., 3)`` points."""
        C = len(self)
        if points.dim() < 2:
            raise ValidationError("points", f"expected (C, ..., 3), got {tuple(points.shape)}")
        if C != 1 and points.shape[0] != C:
            raise ValidationError("points", f"first dimension {points.shape[0]} does not match {C} cameras")
        t = t.to(dtype=points.dtype, device=points.device)
        return t.reshape(C, *([1] * (points.dim() - 2)), *t.shape[1:]) if tail else t

    def transform_points(self, points: Tensor) -> Tensor:
        """World points ``(C, ..., 3)`` to camera-space points ``(C, ..., 3)`` (``p_c = R p + t``)."""
        R = self._per_camera(self.rotation, points, 2)
        t = self._per_camera(self.translation, points, 1)
        return (R @ points.unsqueeze(-1)).squeeze(-1) + t

    def camera_to_pixels(self, points_cam: Tensor) -> tuple[Tensor, Tensor]:
        """Camera-space points ``(C, ..., 3)`` to pixels ``(C, ..., 2)`` and depth ``(C, ...)``.

        No clipping: points behind the camera (``depth <= 0``) give meaningless pixels; callers
        that care mask them with the returned depth."""
        f = self._per_camera(self.focal, points_cam, 1)
        c = self._per_camera(self.principal_point, points_cam, 1)
        depth = -points_cam[..., 2]
        safe = torch.where(depth.abs() > 1e-12, depth, torch.full_like(depth, 1e-12))
        u = c[..., 0] + f[..., 0] * points_cam[..., 0] / safe
        v = c[..., 1] - f[..., 1] * points_cam[..., 1] / safe
        return torch.stack([u, v], dim=-1), depth

    def project(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """World points ``(C, ..., 3)`` to pixel coordinates ``(C, ..., 2)`` and depth
        ``(C, ...)`` in world units along the optical axis. Differentiable."""
        return self.camera_to_pixels(self.transform_points(points))


def look_at_rotation(eye: Tensor, target: Tensor, up=(0.0, 1.0, 0.0)) -> Tensor:
    """World→camera rotations ``(C, 3, 3)`` for cameras at ``eye (C, 3)`` looking at
    ``target (C, 3)`` with world ``up (3,)`` projecting to image-up. The rows of ``R`` are the
    camera's X (right), Y (up) and Z (pointing from the target back to the eye) axes in world
    coordinates. ``up`` must not be parallel to the viewing direction."""
    up = torch.as_tensor(up, dtype=eye.dtype, device=eye.device).expand_as(eye)
    z = torch.nn.functional.normalize(eye - target, dim=-1)
    x = torch.linalg.cross(up, z)
    if (x.norm(dim=-1) < 1e-9).any():
        raise ValidationError("cameras.up", "the up vector is parallel to the viewing direction")
    x = torch.nn.functional.normalize(x, dim=-1)
    y = torch.linalg.cross(z, x)
    return torch.stack([x, y, z], dim=-2)


def focal_from_fov(fov_deg: float, size_px: int) -> float:
    """Focal length in pixels for a field of view of ``fov_deg`` degrees across ``size_px``
    pixels (``fy`` from the vertical FOV and ``H``; ``fx`` from the horizontal FOV and ``W``)."""
    if not 0.0 < fov_deg < 180.0:
        raise ValidationError("fov_deg", f"must be in (0, 180), got {fov_deg}")
    return 0.5 * size_px / math.tan(math.radians(fov_deg) / 2.0)


def look_at_cameras(
    eye: Tensor,
    target: Tensor,
    image_size: tuple[int, int],
    *,
    fov_y_deg: float = 30.0,
    up=(0.0, 1.0, 0.0),
) -> PerspectiveCameras:
    """Centred, square-pixel cameras at ``eye (C, 3)`` looking at ``target (C, 3)`` with a
    vertical field of view of ``fov_y_deg`` degrees over ``image_size = (H, W)``."""
    eye = torch.as_tensor(eye)
    target = torch.as_tensor(target, dtype=eye.dtype, device=eye.device)
    if eye.dim() == 1:
        eye = eye.unsqueeze(0)
    target = target.expand_as(eye)
    R = look_at_rotation(eye, target, up)
    t = -(R @ eye.unsqueeze(-1)).squeeze(-1)
    H, W = image_size
    f = focal_from_fov(fov_y_deg, H)
    C = eye.shape[0]
    focal = torch.full((C, 2), f, dtype=eye.dtype, device=eye.device)
    pp = torch.tensor([W / 2.0, H / 2.0], dtype=eye.dtype, device=eye.device).expand(C, 2).clone()
    return PerspectiveCameras(R, t, focal, pp, (H, W))


def pixel_to_ndc(pixels: Tensor, image_size: tuple[int, int]) -> Tensor:
    """Pixel coordinates ``(..., 2)`` (top-left origin, y down) to NDC ``(..., 2)`` (y up)."""
    H, W = image_size
    return torch.stack([2.0 * pixels[..., 0] / W - 1.0, 1.0 - 2.0 * pixels[..., 1] / H], dim=-1)


def ndc_to_pixel(ndc: Tensor, image_size: tuple[int, int]) -> Tensor:
    """Inverse of :func:`pixel_to_ndc`."""
    H, W = image_size
    return torch.stack([(ndc[..., 0] + 1.0) * (W / 2.0), (1.0 - ndc[..., 1]) * (H / 2.0)], dim=-1)


def depth_to_ndc(depth: Tensor, near: float, far: float) -> Tensor:
    """Depth along the optical axis ``(...)`` (world units) to OpenGL NDC depth: −1 at ``near``,
    +1 at ``far``, ``(f + n) / (f − n) − 2 f n / ((f − n) · depth)``."""
    if not 0.0 < near < far:
        raise ValidationError("near/far", f"need 0 < near < far, got {near}, {far}")
    return (far + near) / (far - near) - 2.0 * far * near / ((far - near) * depth)
