"""Test support: a real server on a background event loop, and tiny procedural characters.

    with ServerThread(ServerConfig(port=0, db_path=tmp_path / "jobs.sqlite3")) as srv:
        client = srv.client()

Used by tests/server and tests/client; not imported by the server itself (``anymole demo`` and
``anymole bench server`` use :class:`~anymole_server.background.BackgroundServer` directly).
"""

from __future__ import annotations

import math

import torch

from anymole.geometry.rotations import axis_angle_quat, quat_mul
from anymole.motion import Motion
from anymole.skeleton import Skeleton
from anymole_server.background import BackgroundServer
from anymole_server.config import ServerConfig


class ServerThread(BackgroundServer):
    """:class:`~anymole_server.background.BackgroundServer` under the name the tests use."""


# -- tiny characters ------------------------------------------------------------------------


def chain_skeleton(num_joints: int = 5, bone_m: float = 0.2) -> Skeleton:
    """A vertical chain: the root 1 m above the origin, each joint ``bone_m`` above its parent,
    rest rotations a small twist so they are not all identity."""
    offsets = torch.zeros(num_joints, 3)
    offsets[0] = torch.tensor([0.0, 1.0, 0.0])
    offsets[1:, 1] = bone_m
    rest = axis_angle_quat("Y", torch.linspace(0.0, 0.3, num_joints))
    names = tuple(["root"] + [f"joint{i}" for i in range(1, num_joints)])
    return Skeleton(names, torch.tensor([-1] + list(range(num_joints - 1))), offsets, rest)


def sine_motion(skeleton: Skeleton, num_frames: int, fps: float = 30.0, phase: float = 0.0, translate_joint1: bool = True) -> Motion:
    """Sinusoidal local rotations about X and Z on every joint, a root moving forward (+Z) and
    bobbing, and (``translate_joint1``) joint 1 sliding sideways like a pelvis under a static
    root — so more than the root translates."""
    J = skeleton.num_joints
    t = torch.arange(num_frames, dtype=torch.float32)[:, None] / fps
    j = torch.arange(J, dtype=torch.float32)[None, :]
    ax = 0.4 * torch.sin(2 * math.pi * 0.7 * t + 0.5 * j + phase)
    az = 0.3 * torch.cos(2 * math.pi * 0.5 * t + 0.3 * j + phase)
    wiggle = quat_mul(axis_angle_quat("X", ax), axis_angle_quat("Z", az))
    rot = quat_mul(skeleton.rest_rotations.expand(num_frames, -1, -1), wiggle)
    trans = skeleton.offsets.expand(num_frames, -1, -1).clone()
    tt = t[:, 0]
    trans[:, 0, 2] += 0.8 * tt
    trans[:, 0, 1] += 0.05 * torch.sin(2 * math.pi * 1.3 * tt + phase)
    if translate_joint1 and J > 1:
        trans[:, 1, 0] += 0.03 * torch.sin(2 * math.pi * 0.9 * tt + phase)
    return Motion(rot, trans, fps)


# -- requests for tests ---------------------------------------------------------------------

CONTEXT = 20
KEYFRAMES = (30, 39)


def preferred_method() -> str:
    """``spline`` once it is registered, else ``interpolation``."""
    from anymole.inbetween import METHODS

    return "spline" if "spline" in METHODS else "interpolation"


def split(motion: Motion, context: int = CONTEXT, keyframes=KEYFRAMES) -> tuple[Motion, Motion]:
    """Context frames ``0..context-1`` and the poses at ``keyframes`` of a full-length motion."""
    idx = list(keyframes)
    return motion.slice(0, context), Motion(motion.rotations[idx], motion.translations[idx], motion.fps)


def tiny_character(num_joints: int = 5) -> tuple[Skeleton, Motion]:
    skeleton = chain_skeleton(num_joints)
    return skeleton, sine_motion(skeleton, KEYFRAMES[-1] + 1)


def make_input(character: tuple[Skeleton, Motion], **options):
    """A ``TransitionInput`` for ``character`` on the standard test timeline (context 0..19,
    keyframes 30 and 39), small previews."""
    from anymole.wire import build_transition_input

    skeleton, motion = character
    context, keys = split(motion)
    options.setdefault("method", preferred_method())
    options.setdefault("preview_size", (64, 48))
    options.setdefault("preview_max_frames", 3)
    return build_transition_input(skeleton, context, keys, KEYFRAMES, **options)


def make_config(tmp_path, **kwargs) -> ServerConfig:
    """Loopback, port 0, SQLite under ``tmp_path``, small limits, 2 workers."""
    from pathlib import Path

    from anymole_server.config import Limits

    limits = kwargs.pop("limits", Limits(workers=2, max_queue=16, max_joints=64, max_frames=400))
    kwargs.setdefault("db_path", Path(tmp_path) / "jobs.sqlite3")
    return ServerConfig(host="127.0.0.1", port=0, limits=limits, **kwargs)
