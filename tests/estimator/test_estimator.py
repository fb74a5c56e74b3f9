"""Joint estimator: training data, augmentation, soft-argmax, training and the DINOv2 head.

Speed and the 3 px accuracy target are measured by ``anymole bench mimic`` (held-out error on
oracle renders), not here; these tests check behaviour on tiny renders."""

from __future__ import annotations

import math

import pytest
import torch

from anymole.errors import UnsupportedError, ValidationError
from anymole.estimator import (
    EstimatorConfig,
    EstimatorData,
    augment,
    evaluate_2d_error,
    render_training_set,
    train_estimator,
)
from anymole.estimator.data import AugmentConfig
from anymole.estimator.network import FeatureHeadNet, HeatmapNet, load_dinov2_backbone, soft_argmax
from anymole.render.renderer import project_joints
from anymole.render.rig import frame_points, orbit_cameras
from anymole.testing.procedural import make_character

SIZE = (64, 64)


@pytest.fixture(scope="module")
def scene():
    sk, motion = make_character("quadruped", num_frames=40)
    cams = orbit_cameras(frame_points(motion.global_positions(sk)), SIZE)
    return sk, motion, cams


def test_training_set_labels_are_the_projected_joints(scene):
    sk, motion, cams = scene
    data = render_training_set(sk, motion, [0, 5, 9], cams)
    V = len(cams)
    assert data.images.shape == (V * 3, *SIZE, 3)
    j2d, depth = project_joints(motion.global_positions(sk)[[0, 5, 9]], cams)
    torch.testing.assert_close(data.joints_2d, j2d.reshape(V * 3, -1, 2).float())
    torch.testing.assert_close(data.depth, depth.reshape(V * 3, -1).float())
    # View-major order: sample 3 is view 1, frame 0.
    torch.testing.assert_close(data.joints_2d[3], j2d[1, 0].float())
    with pytest.raises(ValidationError, match="frames"):
        render_training_set(sk, motion, [0, 40], cams)


def test_data_checks_shapes():
    with pytest.raises(ValidationError, match="joints_2d"):
        EstimatorData(torch.zeros(2, 8, 8, 3), torch.zeros(3, 4, 2), torch.zeros(3, 4))
    with pytest.raises(ValidationError, match="depth"):
        EstimatorData(torch.zeros(2, 8, 8, 3), torch.zeros(2, 4, 2), torch.zeros(2, 5))


def _dot_image(points: torch.Tensor, H: int, W: int) -> torch.Tensor:
    """White images with a black 3×3 dot at each point ``(B, 2)`` (pixel coordinates)."""
    img = torch.ones(points.shape[0], H, W, 3)
    for b, (x, y) in enumerate(points.tolist()):
        i, j = int(math.floor(y)), int(math.floor(x))
        img[b, i - 1:i + 2, j - 1:j + 2] = 0.0
    return img


def test_augment_moves_labels_with_the_image():
    H, W = 96, 128  # non-square, so aspect handling is exercised
    pts = torch.tensor([[40.5, 30.5], [90.5, 60.5], [64.5, 48.5], [70.5, 20.5]])
    img = _dot_image(pts, H, W)
    cfg = AugmentConfig(scale=0.2, shift=0.1, rotation_deg=25.0, brightness=0.0, contrast=0.0)
    out, labels = augment(img, pts[:, None, :], cfg, torch.Generator().manual_seed(3))
    assert out.shape == img.shape and labels.shape == (4, 1, 2)
    moved = (labels[:, 0] - pts).norm(dim=-1)
    assert moved.max() > 3.0  # the transform is not the identity
    for b in range(4):
        dark = (1.0 - out[b].mean(-1)).clamp_min(0)
        ys, xs = torch.meshgrid(torch.arange(H) + 0.5, torch.arange(W) + 0.5, indexing="ij")
        centre = torch.stack([(dark * xs).sum(), (dark * ys).sum()]) / dark.sum()
        assert (centre - labels[b, 0]).norm() < 0.75, (b, centre, labels[b, 0])


def test_soft_argmax_of_a_peak_is_its_cell_centre():
    J, h, w = 2, 16, 16
    maps = torch.full((1, 2 * J, h, w), -1e4)
    maps[0, 0, 3, 5] = 0.0
    maps[0, 1, 10, 12] = 0.0
    maps[0, J:] = 0.0
    maps[0, J, 3, 5] = 2.5  # depth read where joint 0's heat is
    joints, depth, prob = soft_argmax(maps, (64, 64))
    torch.testing.assert_close(joints[0], torch.tensor([[(5 + 0.5) * 4, (3 + 0.5) * 4], [(12 + 0.5) * 4, (10 + 0.5) * 4]]))
    assert float(depth[0, 0]) == pytest.approx(2.5)
    torch.testing.assert_close(prob.sum((2, 3)), torch.ones(1, J))


def test_heatmap_net_output_shape():
    net = HeatmapNet(num_joints=5, width=8)
    assert net(torch.rand(2, 3, 64, 64)).shape == (2, 10, 16, 16)


def test_training_learns_this_character_and_generalises():
    """On held-out frames the trained estimator beats predicting the training set's mean pose
    by a wide margin (a network that learnt nothing cannot)."""
    sk, motion = make_character("spider", num_frames=40)  # legs swing widely: a mean pose is far off
    cams = orbit_cameras(frame_points(motion.global_positions(sk)), SIZE)
    torch.manual_seed(0)
    train = render_training_set(sk, motion, list(range(0, 40, 2)), cams)
    test = render_training_set(sk, motion, list(range(1, 40, 4)), cams[0:1])
    calls = []
    est = train_estimator(
        train, EstimatorConfig(steps=400, batch_size=16, width=16, lr=1e-2),
        progress=lambda s, n, loss: calls.append((s, n, loss)), progress_every=100,
    )
    err = evaluate_2d_error(est, test)
    mean_pose = train.joints_2d.mean(0)
    baseline = float((test.joints_2d - mean_pose).norm(dim=-1).mean())
    assert err < 0.5 * baseline, (err, baseline)
    assert [c[0] for c in calls] == [100, 200, 300, 400] and calls[-1][2] < calls[0][2]
    joints, depth = est.predict(test.images)
    assert joints.shape == test.joints_2d.shape and depth.shape == test.depth.shape
    # Relative depth (each image's depths about their mean over the joints, the default
    # training target) is learnt: well below the spread of the true relative depths.
    rel_pred = depth - depth.mean(-1, keepdim=True)
    rel_true = test.depth - test.depth.mean(-1, keepdim=True)
    assert float((rel_pred - rel_true).abs().mean()) < 0.5 * float(rel_true.abs().mean())
    assert est.relative_depth and abs(float(depth.mean()) - float(train.depth.mean())) < 1e-3 * float(train.depth.mean().abs()) + 1e-4
    with pytest.raises(ValidationError, match="images"):
        est.predict(torch.zeros(1, 32, 32, 3))


def test_training_can_be_cancelled(scene):
    sk, motion, cams = scene
    data = render_training_set(sk, motion, [0, 1], cams[0:1])

    class Stop(Exception):
        pass

    def cancel():
        raise Stop

    with pytest.raises(Stop):
        train_estimator(data, EstimatorConfig(steps=100, batch_size=2, width=8), check_cancel=cancel, progress_every=10)
    with pytest.raises(ValidationError, match="data"):
        train_estimator(data.subset([]), EstimatorConfig(steps=1))


def _tiny_dinov2(tmp_path):
    from transformers import Dinov2Config, Dinov2Model

    config = Dinov2Config(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        patch_size=14, image_size=56,
    )
    torch.manual_seed(0)
    Dinov2Model(config).save_pretrained(tmp_path)
    return tmp_path


def test_pretrained_backbone_head_trains_with_frozen_features(scene, tmp_path):
    """A tiny DINOv2 built in code, saved and loaded offline from a folder, as a user's real
    weights would be; only the head learns."""
    sk, motion, cams = scene
    backbone = load_dinov2_backbone(str(_tiny_dinov2(tmp_path)))
    net = FeatureHeadNet(backbone, sk.num_joints, image_size=(56, 56), width=16)
    maps = net(torch.rand(2, 3, *SIZE))
    assert maps.shape[:2] == (2, 2 * sk.num_joints)
    frozen = {k: v.clone() for k, v in backbone.state_dict().items()}
    data = render_training_set(sk, motion, [0, 10, 20], cams[0:1])
    est = train_estimator(data, EstimatorConfig(steps=3, batch_size=2), network=net)
    assert all(torch.equal(v, backbone.state_dict()[k]) for k, v in frozen.items())
    assert all(not p.requires_grad for p in backbone.parameters())
    assert est.predict(data.images)[0].shape == data.joints_2d.shape
    # The config path loads the same way.
    est2 = train_estimator(data, EstimatorConfig(steps=1, batch_size=2, backbone_path=str(tmp_path)))
    assert est2.backbone == str(tmp_path)


def test_missing_backbone_is_unsupported(tmp_path):
    with pytest.raises(UnsupportedError, match="DINOv2"):
        load_dinov2_backbone(str(tmp_path / "nowhere"))


def test_limb_joints_are_the_ones_that_move_the_character():
    from anymole.estimator import limb_joints

    sk, _ = make_character("spider", num_frames=2)
    limbs = limb_joints(sk)
    assert not limbs[0]  # the root is never perturbed
    rest = sk.rest_positions
    for j in range(sk.num_joints):
        children = [c for c in range(sk.num_joints) if int(sk.parents[c]) == j]
        if not children:
            assert not limbs[j]  # a leaf moves nothing
    assert limbs.any()


def test_transition_training_set_adds_poses_between_the_keyframes(scene):
    from anymole.estimator import limb_joints, perturb_poses, render_transition_training_set
    from anymole.geometry.rotations import quat_angle
    from anymole.inbetween import InbetweenProblem, interpolation

    sk, motion, cams = scene
    problem = InbetweenProblem.from_window(sk, motion.slice(0, 12), 6, 5)
    reference = interpolation(problem)
    data = render_transition_training_set(sk, problem.motion, problem.known, reference, cams[0:2], perturbed=4, sigma=0.3)
    V, n_known, n_gap = 2, int(problem.known.sum()), int((~problem.known).sum())
    assert len(data) == V * (n_known + n_gap + 4)
    context = render_training_set(sk, problem.motion, problem.known.nonzero().flatten(), cams[0:2])
    torch.testing.assert_close(data.images[: V * n_known], context.images)  # the known frames come first
    gap = render_training_set(sk, reference, (~problem.known).nonzero().flatten(), cams[0:2])
    torch.testing.assert_close(data.joints_2d[V * n_known: V * (n_known + n_gap)], gap.joints_2d)
    # The truth of the gap is never rendered: its labels appear nowhere in the set.
    truth = render_training_set(sk, problem.motion, [8], cams[0:1]).joints_2d[0]
    assert float((data.joints_2d - truth).norm(dim=-1).mean(-1).min()) > 1e-3
    # Perturbation turns limb joints only, by about sigma.
    gen = torch.Generator().manual_seed(0)
    poses = perturb_poses(sk, reference, torch.tensor([7, 7, 8]), 0.3, gen)
    angle = quat_angle(poses.rotations, reference.rotations[[7, 7, 8]])
    limbs = limb_joints(sk)
    assert float(angle[:, ~limbs].max()) < 1e-5 and 0.1 < float(angle[:, limbs].mean()) < 1.0
    torch.testing.assert_close(poses.translations, reference.translations[[7, 7, 8]])


def test_cropping_estimator_predicts_in_image_pixels(scene):
    """With cropping on, training and prediction agree on where the character is: moving the
    character inside the image moves the predictions with it."""
    sk, motion, cams = scene
    data = render_training_set(sk, motion, list(range(0, 40, 4)), cams[0:1])
    est = train_estimator(data, EstimatorConfig(steps=30, batch_size=4, width=8, crop=64))
    assert est.crop_size is not None and max(est.crop_size) <= 64 and est.input_size == est.crop_size
    shift = 6
    moved = torch.ones_like(data.images)
    moved[:, :, shift:] = data.images[:, :, :-shift]
    a, _ = est.predict(data.images)
    b, _ = est.predict(moved)
    torch.testing.assert_close(b[..., 0] - a[..., 0], torch.full_like(a[..., 0], float(shift)), atol=0.5, rtol=0)
    full = train_estimator(data, EstimatorConfig(steps=2, batch_size=2, width=8, crop=0))
    assert full.crop_size is None and full.input_size == tuple(SIZE)
    with pytest.raises(ValidationError, match="crop"):
        train_estimator(data, EstimatorConfig(steps=1, crop=16))
