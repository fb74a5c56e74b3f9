"""Fixtures for the renderer tests: a small procedural stick character and a walking motion."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from anymole.geometry.rotations import axis_angle_quat, quat_mul
from anymole.motion import Motion
from anymole.skeleton import Skeleton

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# name, parent, offset (metres): an 11-joint biped facing +Z, hips 1 m above the ground.
STICK = [
    ("hips", -1, (0.0, 1.0, 0.0)),
    ("spine", 0, (0.0, 0.35, 0.0)),
    ("head", 1, (0.0, 0.3, 0.05)),
    ("l_arm", 1, (0.2, 0.25, 0.0)),
    ("l_hand", 3, (0.35, 0.0, 0.0)),
    ("r_arm", 1, (-0.2, 0.25, 0.0)),
    ("r_hand", 5, (-0.35, 0.0, 0.0)),
    ("l_leg", 0, (0.1, -0.05, 0.0)),
    ("l_foot", 7, (0.0, -0.9, 0.05)),
    ("r_leg", 0, (-0.1, -0.05, 0.0)),
    ("r_foot", 9, (0.0, -0.9, 0.05)),
]


def make_stick() -> Skeleton:
    names = tuple(n for n, _, _ in STICK)
    parents = torch.tensor([p for _, p, _ in STICK])
    offsets = torch.tensor([o for _, _, o in STICK])
    return Skeleton(names, parents, offsets)


def make_walk(skeleton: Skeleton, frames: int = 12, fps: float = 30.0, dtype=torch.float32) -> Motion:
    """Walk forward (+Z) with a sway and a turn; arms and legs swing about X."""
    t = torch.arange(frames, dtype=torch.float64) / fps
    phase = 2 * math.pi * 1.2 * t
    J = skeleton.num_joints
    rot = torch.zeros(frames, J, 4, dtype=torch.float64)
    rot[..., 3] = 1.0
    rot[:, 0] = axis_angle_quat("Y", 0.4 * torch.sin(0.5 * phase))
    swing = 0.6 * torch.sin(phase)
    for name, sign in (("l_leg", 1), ("r_leg", -1), ("l_arm", -1), ("r_arm", 1)):
        rot[:, skeleton.index(name)] = axis_angle_quat("X", sign * swing)
    rot[:, skeleton.index("l_hand")] = quat_mul(axis_angle_quat("Z", 0.3 + 0 * t), axis_angle_quat("Y", 0.5 * swing))
    trans = skeleton.offsets.double().expand(frames, J, 3).clone()
    trans[:, 0, 2] += 1.5 * t
    trans[:, 0, 0] += 0.1 * torch.sin(phase)
    return Motion(rot.to(dtype), trans.to(dtype), fps)


@pytest.fixture
def stick() -> Skeleton:
    return make_stick()


@pytest.fixture
def walk(stick) -> Motion:
    return make_walk(stick)


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    return CORPUS


@pytest.fixture(autouse=True)
def _one_thread():
    """Run each renderer test on one intra-op thread: the rasteriser issues many small ops, and
    on a shared, loaded machine two OpenMP threads wait on each other far longer than they
    save (measured 100x slower). Restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
