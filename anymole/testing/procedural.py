"""Procedural characters with procedural motion: a snake, a spider, a quadruped and a bird.

Each builder returns ``(Skeleton, Motion)`` in the canonical frame (right-handed, +Y up, +Z
forward, metres); the motion is ``num_frames`` frames at ``fps``, local rotations ``(T, J, 4)``
(x, y, z, w) and translations ``(T, J, 3)``. Motions are smooth sums of sinusoids whose
amplitudes and frequencies drift slowly (seeded by ``seed``), so that they are not exactly
periodic, plus a travelling root. Identity rest rotations, so every character can be written to
BVH as is.

* ``snake``: a 16-joint chain slithering forward (a travelling wave of yaw along the body).
* ``spider``: a body and 8 legs of 3 segments and a tip (33 joints), alternating tetrapod gait.
* ``quadruped``: a static ``root`` on the ground with a translating ``hips`` under it (the
  way some exporters write a pelvis track), spine, neck, head, tail, 4 legs of 3 segments.
* ``bird``: a flying body, neck and head, two 3-segment flapping wings, tucked legs, a tail.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from anymole.geometry.rotations import rotvec_to_quat
from anymole.motion import Motion
from anymole.skeleton import Skeleton


class _Rig:
    """Accumulates joints (name, parent, rest offset) and per-joint rotation-vector tracks."""

    def __init__(self, num_frames: int, fps: float, seed: int) -> None:
        self.names: list[str] = []
        self.parents: list[int] = []
        self.offsets: list[tuple[float, float, float]] = []
        self.t = torch.arange(num_frames, dtype=torch.float64) / fps  # (T,) seconds
        self.gen = torch.Generator().manual_seed(seed)
        self.rotvec: dict[int, Tensor] = {}
        self.translation: dict[int, Tensor] = {}

    def add(self, name: str, parent: str | None, offset: tuple[float, float, float]) -> int:
        self.names.append(name)
        self.parents.append(-1 if parent is None else self.names.index(parent))
        self.offsets.append(offset)
        return len(self.names) - 1

    def rand(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * float(torch.rand((), generator=self.gen, dtype=torch.float64))

    def wave(self, freq_hz: float, amp: float, phase: float = 0.0) -> Tensor:
        """``(T,)`` a sinusoid whose amplitude (±25 %) and frequency (±10 %) drift slowly."""
        t = self.t
        drift = self.rand(0, 2 * math.pi)
        f_mod = self.rand(0.08, 0.2)
        # Phase = 2π ∫ f(t) dt with f(t) = freq_hz (1 + 0.1 sin(2π f_mod t + drift)).
        ph = 2 * math.pi * freq_hz * (t - 0.1 / (2 * math.pi * f_mod) * (torch.cos(2 * math.pi * f_mod * t + drift) - math.cos(drift)))
        a = amp * (1 + 0.25 * torch.sin(2 * math.pi * f_mod * 1.3 * t + 2 * drift))
        return a * torch.sin(ph + phase)

    def rotate(self, j: int, axis: tuple[float, float, float], angle: Tensor) -> None:
        """Add ``angle (T,)`` radians about ``axis`` (parent frame) to joint ``j``'s rotation."""
        r = angle[:, None] * torch.tensor(axis, dtype=torch.float64)
        self.rotvec[j] = self.rotvec.get(j, torch.zeros_like(r)) + r

    def build(self, fps: float) -> tuple[Skeleton, Motion]:
        J, T = len(self.names), self.t.shape[0]
        offsets = torch.tensor(self.offsets, dtype=torch.float64)
        rot = torch.zeros(T, J, 4, dtype=torch.float64)
        rot[..., 3] = 1.0
        for j, r in self.rotvec.items():
            rot[:, j] = rotvec_to_quat(r)
        trans = offsets.expand(T, J, 3).clone()
        for j, p in self.translation.items():
            trans[:, j] = p
        skeleton = Skeleton(tuple(self.names), torch.tensor(self.parents), offsets.float())
        return skeleton, Motion(rot.float(), trans.float(), fps)


def _travel(rig: _Rig, speed: float, height: float, yaw_amp: float = 0.3) -> tuple[Tensor, Tensor]:
    """A root path on the ground plane: ``(T, 3)`` positions and ``(T,)`` yaw (radians), heading
    along +Z at about ``speed`` m/s and turning slowly."""
    dt = float(rig.t[1] - rig.t[0]) if rig.t.shape[0] > 1 else 1.0
    yaw = rig.wave(rig.rand(0.05, 0.12), yaw_amp)
    v = speed * (1 + 0.3 * torch.sin(2 * math.pi * rig.rand(0.1, 0.2) * rig.t))
    step = torch.stack([v * torch.sin(yaw), torch.zeros_like(v), v * torch.cos(yaw)], dim=-1) * dt
    pos = torch.cumsum(step, dim=0) - step[:1]
    pos[:, 1] = height
    return pos, yaw


def snake(num_frames: int = 150, fps: float = 30.0, seed: int = 0) -> tuple[Skeleton, Motion]:
    """A 16-joint chain (``seg00`` head … ``seg15`` tail tip) slithering forward."""
    rig = _Rig(num_frames, fps, seed)
    rig.add("seg00", None, (0.0, 0.05, 0.0))
    for i in range(1, 16):
        rig.add(f"seg{i:02d}", f"seg{i - 1:02d}", (0.0, 0.0, -0.12))
    pos, yaw = _travel(rig, 0.4, 0.05)
    rig.translation[0] = pos
    rig.rotate(0, (0, 1, 0), yaw)
    freq = rig.rand(0.5, 0.8)
    for i in range(1, 16):
        rig.rotate(i, (0, 1, 0), rig.wave(freq, 0.35, -0.6 * i))
        rig.rotate(i, (1, 0, 0), rig.wave(freq * 0.5, 0.02, 0.3 * i))
    return rig.build(fps)


def spider(num_frames: int = 150, fps: float = 30.0, seed: int = 1) -> tuple[Skeleton, Motion]:
    """A body with 8 legs (coxa, femur, tibia each), walking with an alternating tetrapod gait."""
    rig = _Rig(num_frames, fps, seed)
    body = rig.add("body", None, (0.0, 0.15, 0.0))
    pos, yaw = _travel(rig, 0.25, 0.15)
    freq = rig.rand(0.6, 0.9)
    pos[:, 1] = 0.15 + 0.01 * rig.wave(2 * freq, 1.0)
    rig.translation[body] = pos
    rig.rotate(body, (0, 1, 0), yaw)
    rig.rotate(body, (0, 0, 1), rig.wave(freq, 0.05))
    for k in range(8):
        side = 1.0 if k < 4 else -1.0
        a = math.radians([-50, -15, 15, 50][k % 4])  # angle from the side axis towards forward
        d = (side * math.cos(a), 0.0, math.sin(a))
        name = f"leg{k}"
        c = rig.add(f"{name}_coxa", "body", (0.05 * d[0], 0.0, 0.05 * d[2]))
        f = rig.add(f"{name}_femur", f"{name}_coxa", (0.08 * d[0], 0.06, 0.08 * d[2]))
        t = rig.add(f"{name}_tibia", f"{name}_femur", (0.1 * d[0], -0.16, 0.1 * d[2]))
        rig.add(f"{name}_tip", f"{name}_tibia", (0.02 * d[0], -0.04, 0.02 * d[2]))
        phase = (k % 2) * math.pi + (math.pi if side < 0 else 0.0)
        hinge = (-d[2], 0.0, d[0])  # horizontal, perpendicular to the leg
        rig.rotate(c, (0, 1, 0), rig.wave(freq, 0.35, phase))
        rig.rotate(f, hinge, (rig.wave(freq, 0.3, phase + math.pi / 2)).clamp(min=-0.05) * side)
        rig.rotate(t, hinge, rig.wave(freq, 0.15, phase + math.pi / 2) * side)
    return rig.build(fps)


def quadruped(num_frames: int = 150, fps: float = 30.0, seed: int = 2) -> tuple[Skeleton, Motion]:
    """A four-legged walker. ``root`` stays on the ground at the origin; ``hips`` (its child)
    carries the travel and the bob, as a pelvis track under a static root does."""
    rig = _Rig(num_frames, fps, seed)
    rig.add("root", None, (0.0, 0.0, 0.0))
    hips = rig.add("hips", "root", (0.0, 0.6, 0.0))
    rig.add("spine1", "hips", (0.0, 0.02, 0.25))
    rig.add("spine2", "spine1", (0.0, 0.02, 0.25))
    neck = rig.add("neck", "spine2", (0.0, 0.15, 0.15))
    head = rig.add("head", "neck", (0.0, 0.1, 0.15))
    t1 = rig.add("tail1", "hips", (0.0, 0.05, -0.15))
    t2 = rig.add("tail2", "tail1", (0.0, 0.0, -0.2))
    freq = rig.rand(0.7, 1.0)
    pos, yaw = _travel(rig, 0.8, 0.6)
    pos[:, 1] = 0.6 + 0.02 * rig.wave(2 * freq, 1.0)
    rig.translation[hips] = pos
    rig.rotate(hips, (0, 1, 0), yaw)
    rig.rotate(hips, (0, 0, 1), rig.wave(freq, 0.06))
    rig.rotate(neck, (1, 0, 0), rig.wave(2 * freq, 0.08) + rig.wave(0.2, 0.3))
    rig.rotate(head, (0, 1, 0), rig.wave(0.3, 0.4))
    rig.rotate(t1, (0, 1, 0), rig.wave(freq, 0.3))
    rig.rotate(t2, (0, 1, 0), rig.wave(freq, 0.4, -0.8))
    legs = {"fl": ("spine2", 0.1, 0.0), "fr": ("spine2", -0.1, math.pi), "hl": ("hips", 0.1, math.pi), "hr": ("hips", -0.1, 0.0)}
    for leg, (parent, x, phase) in legs.items():
        up = rig.add(f"{leg}_upper", parent, (x, -0.05, 0.0))
        lo = rig.add(f"{leg}_lower", f"{leg}_upper", (0.0, -0.25, 0.0))
        rig.add(f"{leg}_foot", f"{leg}_lower", (0.0, -0.25, 0.02))
        rig.rotate(up, (1, 0, 0), rig.wave(freq, 0.45, phase))
        rig.rotate(lo, (1, 0, 0), (rig.wave(freq, 0.5, phase - math.pi / 2)).clamp(min=0.0))
    return rig.build(fps)


def bird(num_frames: int = 150, fps: float = 30.0, seed: int = 3) -> tuple[Skeleton, Motion]:
    """A bird flying forward, rising and sinking, with flapping wings."""
    rig = _Rig(num_frames, fps, seed)
    body = rig.add("body", None, (0.0, 1.0, 0.0))
    neck = rig.add("neck", "body", (0.0, 0.05, 0.12))
    head = rig.add("head", "neck", (0.0, 0.06, 0.05))
    tail = rig.add("tail", "body", (0.0, 0.0, -0.15))
    freq = rig.rand(0.8, 1.2)
    pos, yaw = _travel(rig, 1.5, 1.0, yaw_amp=0.5)
    pos[:, 1] = 1.0 + 0.3 * rig.wave(0.15, 1.0) + 0.03 * rig.wave(freq, 1.0, math.pi)
    rig.translation[body] = pos
    rig.rotate(body, (0, 1, 0), yaw)
    rig.rotate(body, (1, 0, 0), rig.wave(0.15, 0.2))
    rig.rotate(neck, (1, 0, 0), rig.wave(freq, 0.1, 0.5))
    rig.rotate(head, (0, 1, 0), rig.wave(0.4, 0.5))
    rig.rotate(tail, (1, 0, 0), rig.wave(freq, 0.15, 1.0))
    for side, sgn in (("l", 1.0), ("r", -1.0)):
        s = rig.add(f"wing_{side}1", "body", (sgn * 0.06, 0.03, 0.02))
        e = rig.add(f"wing_{side}2", f"wing_{side}1", (sgn * 0.18, 0.0, 0.0))
        h = rig.add(f"wing_{side}3", f"wing_{side}2", (sgn * 0.16, 0.0, -0.03))
        rig.add(f"wing_{side}tip", f"wing_{side}3", (sgn * 0.14, 0.0, -0.05))
        rig.rotate(s, (0, 0, 1), sgn * rig.wave(freq, 0.7))
        rig.rotate(e, (0, 0, 1), sgn * rig.wave(freq, 0.3, -0.5))
        rig.rotate(h, (0, 0, 1), sgn * rig.wave(freq, 0.2, -1.0))
        rig.rotate(e, (0, 1, 0), sgn * rig.wave(freq, 0.1, 0.5))
        thigh = rig.add(f"leg_{side}1", "body", (sgn * 0.04, -0.05, 0.0))
        rig.add(f"leg_{side}2", f"leg_{side}1", (0.0, -0.06, -0.03))
        rig.rotate(thigh, (1, 0, 0), rig.wave(0.3, 0.1) + 0.8)
    return rig.build(fps)


CHARACTERS: dict[str, Callable[..., tuple[Skeleton, Motion]]] = {
    "snake": snake,
    "spider": spider,
    "quadruped": quadruped,
    "bird": bird,
}


def make_character(name: str, num_frames: int = 150, fps: float = 30.0, seed: int | None = None) -> tuple[Skeleton, Motion]:
    """``CHARACTERS[name](num_frames, fps, seed)``; the builder's own seed when ``seed`` is None."""
    try:
        fn = CHARACTERS[name]
    except KeyError:
        raise KeyError(f"unknown procedural character {name!r}; known: {sorted(CHARACTERS)}") from None
    return fn(num_frames, fps) if seed is None else fn(num_frames, fps, seed)


__all__ = ["CHARACTERS", "bird", "make_character", "quadruped", "snake", "spider"]
