"""Shared fixtures: tiny hand-made skeletons and the procedural characters of
:mod:`anymole.testing.procedural` (a snake, a spider, a quadruped, a bird)."""

from __future__ import annotations

import os

import pytest

# Local Ray clusters started by tests listen on loopback only. Ray reads this when it is first
# imported (ray_constants.ENABLE_RAY_CLUSTER), so it is set here, before any test imports ray.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
import torch

from anymole.motion import Motion
from anymole.skeleton import Skeleton
from anymole.testing.procedural import CHARACTERS, make_character
from tests import gltf_validator

CHARACTER_NAMES = tuple(CHARACTERS)


@pytest.fixture(autouse=True)
def khronos_validator(monkeypatch):
    """Every GLB a test writes passes the Khronos glTF validator, 0 errors and 0 warnings
    (:mod:`tests.gltf_validator`: checked at the end of the test; files the test changed
    afterwards, e.g. corrupted on purpose, are left out). GLBs another process wrote are
    added with ``khronos_validator.add(path)``."""
    yield from gltf_validator.record_and_validate(monkeypatch)


@pytest.fixture(params=CHARACTER_NAMES)
def character(request) -> tuple[Skeleton, Motion]:
    """Each procedural character in turn: ``(skeleton, motion)``, 150 frames at 30 fps."""
    return make_character(request.param)


@pytest.fixture
def chain4() -> Skeleton:
    """A 4-joint chain along +Y, bones of length 1, 2, 3 (root at the origin)."""
    return Skeleton(("a", "b", "c", "d"), torch.tensor([-1, 0, 1, 2]), torch.tensor([[0.0, 0, 0], [0, 1, 0], [0, 2, 0], [0, 3, 0]]))
