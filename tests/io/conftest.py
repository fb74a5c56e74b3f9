"""Fixtures for the file-format tests: the shared corpus folder and tiny characters built in code."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from anymole.geometry.rotations import quat_normalize, quat_to_matrix
from anymole.kinematics import forward_kinematics
from anymole.motion import Motion
from anymole.skeleton import Skeleton, SkinnedMesh

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present at {CORPUS}")
    return CORPUS


def chain_skeleton(with_mesh: bool = False) -> Skeleton:
    """A 5-joint tree: root → spine → (arm → hand), root → tail; non-trivial rest rotations."""
    names = ("root", "spine", "arm", "hand", "tail")
    parents = torch.tensor([-1, 0, 1, 2, 0])
    offsets = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.5, 0.0], [0.3, 0.2, 0.0], [0.4, 0.0, 0.1], [0.0, 0.0, -0.6]])
    rest = quat_normalize(torch.tensor([[0, 0, 0, 1.0], [0.1, 0, 0, 1], [0, 0, 0.2, 1], [0, 0.1, 0, 1], [0.05, 0.05, 0, 1]]))
    sk = Skeleton(names, parents, offsets, rest)
    if not with_mesh:
        return sk
    g = torch.Generator().manual_seed(3)
    n = 12
    vertices = torch.randn(n, 3, generator=g) * 0.3 + torch.tensor([0.0, 1.4, 0.0])
    faces = torch.tensor([[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8], [8, 9, 10], [10, 11, 0]])
    ji = torch.randint(0, 5, (n, 3), generator=g)
    jw = torch.rand(n, 3, generator=g) + 0.1
    g_rot, g_pos = forward_kinematics(sk.parents, sk.rest_rotations, sk.offsets)
    world = torch.zeros(5, 4, 4)
    world[:, :3, :3] = quat_to_matrix(g_rot)
    world[:, :3, 3] = g_pos
    world[:, 3, 3] = 1
    mesh = SkinnedMesh(vertices, faces, ji, jw, torch.linalg.inv(world), uvs=torch.rand(n, 2, generator=g))
    return sk.with_mesh(mesh)


def random_motion(skeleton: Skeleton, frames: int = 20, fps: float = 30.0, seed: int = 0, translating=(0,)) -> Motion:
    """Smooth random motion; the joints in ``translating`` move away from their rest offset."""
    g = torch.Generator().manual_seed(seed)
    J = skeleton.num_joints
    t = torch.linspace(0, 1, frames)[:, None, None]
    a, b = torch.randn(1, J, 4, generator=g), torch.randn(1, J, 4, generator=g)
    rot = quat_normalize(skeleton.rest_rotations + 0.6 * torch.sin(3 * t * a + b))
    trans = skeleton.offsets.expand(frames, -1, -1).clone()
    for j in translating:
        trans[:, j] += 0.5 * torch.sin(2 * t[:, 0] + torch.randn(3, generator=g))
    return Motion(rot, trans, fps)


@pytest.fixture
def skeleton() -> Skeleton:
    return chain_skeleton()


@pytest.fixture
def skinned_skeleton() -> Skeleton:
    return chain_skeleton(with_mesh=True)


@pytest.fixture
def make_motion():
    """``make_motion(skeleton, frames=20, fps=30, seed=0, translating=(0,))`` → Motion."""
    return random_motion


@pytest.fixture
def make_skeleton():
    """``make_skeleton(with_mesh=False)`` → the 5-joint test skeleton."""
    return chain_skeleton
