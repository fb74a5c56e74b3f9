"""Render a character's motion from several views: shaded images, soft silhouettes, 2D joints.

``render`` skins the character's mesh (its own, or one built from its bones by
:mod:`anymole.render.bone_mesh`), frames it with the camera rig (:mod:`anymole.render.rig`)
unless cameras are given, and rasterises every (view, frame) pair with a backend:

* ``"torch"`` (default) — :mod:`anymole.render.rasterize`, pure PyTorch, CPU or GPU.
* ``"pytorch3d"`` — :mod:`anymole.render.pytorch3d_backend`, where ``import pytorch3d`` works.

Both implement :class:`RasterBackend` and are interchangeable. ``project_joints`` gives 2D
joints and depths without rasterising (cheap; for the joint estimator and mimicking).
Everything is differentiable with respect to the global joint transforms (and so the local
rotations that produced them): images inside faces, silhouettes everywhere, joints exactly.

Conventions are those of :mod:`anymole.render.cameras` (pixels from the top-left corner, depth
along the optical axis in world units); letters: ``V`` views, ``T`` frames, ``J`` joints,
``N`` vertices, ``F`` faces, ``B`` flattened (view, frame) pairs, ``H, W`` pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import torch
from torch import Tensor

from anymole.errors import UnsupportedError, ValidationError
from anymole.motion import Motion
from anymole.render.bone_mesh import joint_colors, mesh_for
from anymole.render.cameras import PerspectiveCameras
from anymole.render.rasterize import rasterize, shade_lambert, soft_silhouette
from anymole.render.rig import PAPER_IMAGE_SIZE, frame_points, orbit_cameras
from anymole.render.skinning import skin_vertices
from anymole.skeleton import Skeleton, SkinnedMesh

__all__ = ["RenderOutput", "RasterBackend", "TorchBackend", "get_backend", "render", "project_joints", "MODES"]

MODES = ("image", "silhouette")


@dataclass(frozen=True, eq=False)
class RenderOutput:
    """What :func:`render` returns.

    Attributes:
        images: ``(V, T, H, W, 3)`` shaded RGB in [0, 1], or ``None`` if not asked for.
        silhouettes: ``(V, T, H, W)`` soft coverage in [0, 1], or ``None``.
        joints_2d: ``(V, T, J, 2)`` joint positions in pixels (top-left origin, x right, y down).
        joints_depth: ``(V, T, J)`` joint depth along each camera's optical axis, world units.
        cameras: the ``V`` cameras used.
    """

    images: Tensor | None
    silhouettes: Tensor | None
    joints_2d: Tensor
    joints_depth: Tensor
    cameras: PerspectiveCameras


class RasterBackend(Protocol):
    """A rasteriser behind :func:`render`. ``verts`` are world-space ``(B, N, 3)``; ``cameras``
    has ``B`` cameras (or 1, shared); ``faces (F, 3)`` are shared by the batch."""

    name: str

    def images(
        self, verts: Tensor, faces: Tensor, colors: Tensor, cameras: PerspectiveCameras, *,
        background: Sequence[float], ambient: float, smooth: bool,
    ) -> Tensor:
        """``(B, H, W, 3)`` z-buffered, Lambert-shaded images; ``colors (1 or B, N, 3)``."""
        ...

    def silhouettes(self, verts: Tensor, faces: Tensor, cameras: PerspectiveCameras, *, sigma: float) -> Tensor:
        """``(B, H, W)`` soft silhouettes, edge width ``sigma`` pixels."""
        ...


class TorchBackend:
    """The pure-PyTorch rasteriser (:mod:`anymole.render.rasterize`)."""

    name = "torch"

    def __init__(self, max_candidates: int | None = None):
        self._kw = {} if max_candidates is None else {"max_candidates": int(max_candidates)}

    def _screen(self, verts: Tensor, cameras: PerspectiveCameras) -> tuple[Tensor, Tensor]:
        cam = cameras.transform_points(verts)
        pix, depth = cameras.camera_to_pixels(cam)
        return cam, torch.cat([pix, depth.unsqueeze(-1)], dim=-1)

    def images(self, verts, faces, colors, cameras, *, background=(1.0, 1.0, 1.0), ambient=0.35, smooth=False):
        cam, screen = self._screen(verts, cameras)
        frags = rasterize(screen, faces, cameras.image_size, **self._kw)
        return shade_lambert(frags, cam, faces, colors, background=background, ambient=ambient, smooth=smooth)

    def silhouettes(self, verts, faces, cameras, *, sigma=0.5):
        _, screen = self._screen(verts, cameras)
        return soft_silhouette(screen, faces, cameras.image_size, sigma=sigma, **self._kw)


def get_backend(name: str | RasterBackend = "torch") -> RasterBackend:
    """The backend called ``name`` (``"torch"`` or ``"pytorch3d"``); an object is returned as is.
    Raises :class:`UnsupportedError` when pytorch3d is asked for but not importable."""
    if not isinstance(name, str):
        return name
    if name == "torch":
        return TorchBackend()
    if name == "pytorch3d":
        from anymole.render.pytorch3d_backend import Pytorch3DBackend, available

        if not available():
            raise UnsupportedError("renderer backend 'pytorch3d' needs pytorch3d, which is not installed")
        return Pytorch3DBackend()
    raise ValidationError("backend", f"unknown renderer backend {name!r}; expected 'torch' or 'pytorch3d'")


def _globals(skeleton: Skeleton, motion) -> tuple[Tensor, Tensor]:
    """Global rotations ``(T, J, 4)`` and positions ``(T, J, 3)`` from a Motion or a pair."""
    if isinstance(motion, Motion):
        g_rot, g_pos = motion.global_transforms(skeleton)
    else:
        try:
            g_rot, g_pos = motion
        except (TypeError, ValueError):
            raise ValidationError("motion", "expected a Motion or (global_rot, global_pos)") from None
    if g_rot.dim() == 2:
        g_rot, g_pos = g_rot.unsqueeze(0), g_pos.unsqueeze(0)
    J = skeleton.num_joints
    if g_rot.dim() != 3 or tuple(g_rot.shape[1:]) != (J, 4) or tuple(g_pos.shape) != (g_rot.shape[0], J, 3):
        raise ValidationError(
            "motion", f"expected global_rot (T, {J}, 4) and global_pos (T, {J}, 3), got {tuple(g_rot.shape)}, {tuple(g_pos.shape)}"
        )
    return g_rot, g_pos


def project_joints(global_pos: Tensor, cameras: PerspectiveCameras) -> tuple[Tensor, Tensor]:
    """Project ``(..., J, 3)`` world joint positions into every camera, without rasterising.

    Returns ``joints_2d (V, ..., J, 2)`` in pixels and ``joints_depth (V, ..., J)`` in world
    units along each optical axis (``V = len(cameras)``; ``...`` is typically ``T``).
    Differentiable."""
    V = len(cameras)
    pts = global_pos.unsqueeze(0).expand(V, *global_pos.shape)
    return cameras.to(device=global_pos.device, dtype=global_pos.dtype).project(pts)


def render(
    skeleton: Skeleton,
    motion: Motion | tuple[Tensor, Tensor],
    cameras: PerspectiveCameras | None = None,
    image_size: tuple[int, int] = PAPER_IMAGE_SIZE,
    mode: str | Sequence[str] = MODES,
    backend: str | RasterBackend = "torch",
    *,
    mesh: SkinnedMesh | None = None,
    colors: Tensor | None = None,
    background: Sequence[float] = (1.0, 1.0, 1.0),
    ambient: float = 0.35,
    smooth: bool = False,
    sigma: float = 0.5,
    batch_size: int = 16,
) -> RenderOutput:
    """Render ``motion`` of ``skeleton`` from ``cameras``.

    Args:
        skeleton: the character; its mesh is used, or a bone mesh when it has none.
        motion: a :class:`Motion` ``(T, J)``, or ``(global_rot (T, J, 4), global_pos (T, J, 3))``
            world transforms (a single ``(J, ·)`` frame is taken as ``T = 1``). Gradients flow
            back to whatever produced them.
        cameras: ``V`` cameras; ``None`` frames the motion with
            :func:`anymole.render.rig.orbit_cameras` (the paper's four views) at ``image_size``.
        image_size: ``(H, W)``, used only when ``cameras`` is ``None`` (cameras carry their own).
        mode: ``"image"``, ``"silhouette"`` or both.
        backend: ``"torch"``, ``"pytorch3d"`` or a :class:`RasterBackend`.
        mesh: overrides the skeleton's mesh (same joints).
        colors: ``(N, 3)`` per-vertex or ``(F, 3)`` per-face RGB; default the mesh's colours, else
            joint-palette colours blended by the skinning weights.
        background: RGB of empty pixels.
        ambient: ambient share of the Lambert shading.
        smooth: smooth (interpolated vertex normals) instead of flat shading.
        sigma: soft silhouette edge width in pixels.
        batch_size: (view, frame) pairs rasterised at once (bounds memory).

    Returns:
        :class:`RenderOutput` with ``V × T`` images and/or silhouettes, joints and the cameras.
    """
    # 1. Check inputs.
    modes = (mode,) if isinstance(mode, str) else tuple(mode)
    for m in modes:
        if m not in MODES:
            raise ValidationError("mode", f"unknown render mode {m!r}; expected one of {MODES}")
    if batch_size < 1:
        raise ValidationError("batch_size", f"must be at least 1, got {batch_size}")
    g_rot, g_pos = _globals(skeleton, motion)
    mesh = mesh if mesh is not None else mesh_for(skeleton)
    if mesh.inverse_bind_matrices.shape[0] != skeleton.num_joints:
        raise ValidationError("mesh", f"binds {mesh.inverse_bind_matrices.shape[0]} joints, the skeleton has {skeleton.num_joints}")
    raster = get_backend(backend)

    # 2. Skin and frame.
    verts = skin_vertices(mesh, g_rot, g_pos)  # (T, N, 3)
    if cameras is None:
        cameras = orbit_cameras(frame_points(g_pos, verts), image_size)
    cameras = cameras.to(device=g_pos.device, dtype=g_pos.dtype)
    V, T = len(cameras), g_pos.shape[0]

    # 3. Joints.
    joints_2d, joints_depth = project_joints(g_pos, cameras)

    # 4. Rasterise (view, frame) pairs in batches; pair b is view b // T, frame b % T.
    faces = mesh.faces.to(g_pos.device)
    if colors is None:
        colors = mesh.colors if mesh.colors is not None else joint_colors(mesh)
    colors = colors.to(device=g_pos.device, dtype=g_pos.dtype)
    if colors.dim() == 2 and colors.shape[0] == mesh.num_vertices:
        colors = colors.unsqueeze(0)
    images, sils = [], []
    for start in range(0, V * T, batch_size):
        pairs = torch.arange(start, min(start + batch_size, V * T), device=g_pos.device)
        v_idx, t_idx = pairs // T, pairs % T
        cams = PerspectiveCameras(
            cameras.rotation[v_idx], cameras.translation[v_idx], cameras.focal[v_idx],
            cameras.principal_point[v_idx], cameras.image_size,
        )
        vb = verts[t_idx]
        if "image" in modes:
            images.append(raster.images(vb, faces, colors, cams, background=background, ambient=ambient, smooth=smooth))
        if "silhouette" in modes:
            sils.append(raster.silhouettes(vb, faces, cams, sigma=sigma))
    H, W = cameras.image_size
    return RenderOutput(
        images=torch.cat(images).reshape(V, T, H, W, 3) if images else None,
        silhouettes=torch.cat(sils).reshape(V, T, H, W) if sils else None,
        joints_2d=joints_2d,
        joints_depth=joints_depth,
        cameras=cameras,
    )
