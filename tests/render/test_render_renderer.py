"""The high-level renderer: shapes, modes, backends, gradients w.r.t. joint rotations, CUDA."""

from __future__ import annotations

import pytest
import torch

from anymole.errors import UnsupportedError, ValidationError
from anymole.geometry.rotations import quat_mul, rotvec_to_quat
from anymole.kinematics import forward_kinematics
from anymole.render.cameras import look_at_cameras
from anymole.render.renderer import get_backend, project_joints, render
from anymole.render.rig import orbit_cameras


def test_render_shapes_and_ranges(stick, walk):
    motion = walk.slice(0, 3)
    out = render(stick, motion, image_size=(24, 32), batch_size=5)
    V, T, J = 4, 3, stick.num_joints
    assert out.images.shape == (V, T, 24, 32, 3) and out.silhouettes.shape == (V, T, 24, 32)
    assert out.joints_2d.shape == (V, T, J, 2) and out.joints_depth.shape == (V, T, J)
    assert 0 <= out.images.min() and out.images.max() <= 1
    assert 0 <= out.silhouettes.min() and out.silhouettes.max() <= 1
    assert torch.equal(out.images[:, :, 0, 0], torch.ones(V, T, 3))  # background corner
    covered = (out.images != 1).any(-1)
    assert 0.02 < covered.float().mean() < 0.6
    assert (out.silhouettes[covered] > 0.5).float().mean() > 0.9
    j2d, jd = project_joints(motion.global_positions(stick), out.cameras)
    assert torch.allclose(j2d, out.joints_2d) and torch.allclose(jd, out.joints_depth)
    # The same cameras give the same pictures, one mode at a time, from global transforms.
    g = motion.global_transforms(stick)
    only = render(stick, g, cameras=out.cameras, mode="silhouette")
    assert only.images is None and torch.allclose(only.silhouettes, out.silhouettes, atol=1e-6)


def test_render_checks_inputs(stick, walk):
    with pytest.raises(ValidationError):
        render(stick, walk, mode="depth")
    with pytest.raises(ValidationError):
        render(stick, (torch.zeros(2, 3, 4), torch.zeros(2, 3, 3)))
    with pytest.raises(ValidationError):
        get_backend("opengl")


def test_pytorch3d_backend_absent_or_usable():
    try:
        import pytorch3d  # noqa: F401
    except ImportError:
        with pytest.raises(UnsupportedError):
            get_backend("pytorch3d")
    else:  # pragma: no cover - only where pytorch3d is installed
        assert get_backend("pytorch3d").name == "pytorch3d"


def _posed(stick, rv, joint, base_rot, trans):
    """Global transforms with joint ``joint``'s local rotation premultiplied by rotvec ``rv``."""
    rot = base_rot.clone()
    rot[:, joint] = quat_mul(rotvec_to_quat(rv).expand(rot.shape[0], 4), base_rot[:, joint])
    return forward_kinematics(stick.parents, rot, trans)


def _numerical_jacobian(fn, x, h=1e-6):
    """Central differences: ``(numel(fn(x)), numel(x))``."""
    cols = []
    for i in range(x.numel()):
        dx = torch.zeros_like(x).flatten()
        dx[i] = h
        dx = dx.view_as(x)
        cols.append((fn(x + dx) - fn(x - dx)).flatten() / (2 * h))
    return torch.stack(cols, -1)


def test_gradients_wrt_joint_rotation_match_finite_differences(stick, walk):
    """REQUIRED gradient check, float64: d(soft silhouette)/d(rotation vector on the left arm) and
    d(joints_2d, joints_depth)/d(same).

    Silhouette: the numerical Jacobian (central differences, step 1e-6; truncation error ~1e-12)
    is projected on the all-ones vector and on 4 random per-pixel weight images, and each
    projection must match the autograd gradient to atol 1e-6 + rtol 1e-5 (each projection sums
    ~500 pixels of size <= 1). Full ``gradcheck`` would need one backward pass per pixel.
    The silhouette skips (triangle, pixel) pairs whose probability is below eps = 1e-3, so it is
    smooth only piecewise at that level; at this fixed pose no pair crosses the cut-off within
    the step (the test is deterministic). Joints: ``torch.autograd.gradcheck`` on the full
    Jacobian (atol 1e-5, rtol 1e-3)."""
    motion = walk.slice(2, 3)  # Motion stores float32; the test runs in float64
    arm = stick.index("l_arm")
    base, trans = motion.rotations.double(), motion.translations.double()
    cams = look_at_cameras(
        torch.tensor([[0.3, 1.2, 3.5]], dtype=torch.float64), torch.tensor([[0.1, 1.0, 0.0]], dtype=torch.float64), (20, 24)
    )
    rv0 = torch.tensor([0.1, -0.2, 0.15], dtype=torch.float64, requires_grad=True)

    def silhouette(rv):
        return render(stick, _posed(stick, rv, arm, base, trans), cameras=cams, mode="silhouette", sigma=1.0).silhouettes

    def joints(rv):
        out = render(stick, _posed(stick, rv, arm, base, trans), cameras=cams, mode=())
        return out.joints_2d, out.joints_depth

    sil = silhouette(rv0)
    assert sil.dtype == torch.float64
    with torch.no_grad():
        jac = _numerical_jacobian(silhouette, rv0.detach())  # (pixels, 3)
    assert jac.abs().sum() > 1e-2  # the arm is in view and its silhouette depends on rv
    g = torch.Generator().manual_seed(0)
    weights = [torch.ones_like(sil)] + [torch.rand(sil.shape, generator=g, dtype=torch.float64) for _ in range(4)]
    for w in weights:
        (analytic,) = torch.autograd.grad((sil * w).sum(), rv0, retain_graph=True)
        numeric = w.flatten() @ jac
        assert torch.allclose(analytic, numeric, atol=1e-6, rtol=1e-5), (analytic, numeric)
    assert torch.autograd.gradcheck(joints, (rv0,), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_image_mode_backpropagates_to_rotations(stick, walk):
    motion = walk.slice(0, 1)
    rv = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    g = _posed(stick, rv, stick.index("spine"), motion.rotations.double(), motion.translations.double())
    cams = orbit_cameras(g[1], (24, 24), yaws_deg=(20.0,))
    out = render(stick, g, cameras=cams, mode="image")
    out.images.mean().backward()
    assert torch.isfinite(rv.grad).all() and rv.grad.abs().sum() > 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_cuda_matches_cpu(stick, walk):
    motion = walk.slice(0, 2)
    cpu = render(stick, motion, image_size=(32, 48))
    gpu = render(stick, motion.to(device="cuda"), cameras=cpu.cameras.to(device="cuda"))
    assert gpu.images.device.type == "cuda"
    assert (gpu.images.cpu() - cpu.images).abs().gt(1e-3).float().mean() < 0.01
    assert torch.allclose(gpu.silhouettes.cpu(), cpu.silhouettes, atol=1e-4)
    assert torch.allclose(gpu.joints_2d.cpu(), cpu.joints_2d, atol=1e-3)
    rv = torch.zeros(3, device="cuda", requires_grad=True)
    g = _posed(stick, rv, stick.index("l_arm"), motion.rotations.cuda(), motion.translations.cuda())
    render(stick, g, cameras=gpu.cameras, mode="silhouette").silhouettes.sum().backward()
    assert torch.isfinite(rv.grad).all() and rv.grad.abs().sum() > 0
