"""Engine-free AnimSequence stand-ins, made in code: what the adapter's ``read_clip`` returns for
a sequence (``UnrealClip``: Unreal units — centimetres, left-handed, +Z up, +X forward — one
frame per key, local transforms, quaternions (x, y, z, w)).

- :func:`mannequin`: a Mannequin-like rig: ``root`` static at the origin, ``pelvis`` under it
  moving (bob, sway and a forward drift), spine, neck, head, legs and arms swinging.
- :func:`quadruped`: a four-legged rig whose root walks forward along +X, listed in an order
  where children come before their parents (the builder re-orders; results map back).
"""

from __future__ import annotations

import math
from typing import List, Sequence, Tuple

from anymole_client.clip import EngineClip, Frame, Joint

from anymole_unreal.transition import UnrealClip

Vec = Tuple[float, ...]


def axis_angle(axis: str, angle: float) -> Vec:
    """Quaternion (x, y, z, w) of ``angle`` radians about a principal axis."""
    s, c = math.sin(angle / 2), math.cos(angle / 2)
    return {"x": (s, 0.0, 0.0, c), "y": (0.0, s, 0.0, c), "z": (0.0, 0.0, s, c)}[axis]


def qmul(a: Vec, b: Vec) -> Vec:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )


def _clip(name: str, joints: Sequence[Joint], positions, rotations, fps: float = 30.0) -> UnrealClip:
    frames = [Frame(p, r) for p, r in zip(positions, rotations)]
    scales = [[tuple(j.rest_scale) for j in joints] for _ in frames]
    tracked = frozenset(j.name for j in joints)
    return UnrealClip(name, EngineClip(fps, "unreal", list(joints), frames), scales, tracked, "/Game/Test/Skeleton")


MANNEQUIN = [
    ("root", -1, (0.0, 0.0, 0.0)),
    ("pelvis", 0, (0.0, 0.0, 96.0)),
    ("spine_01", 1, (0.0, 0.0, 12.0)),
    ("spine_02", 2, (0.0, 0.0, 14.0)),
    ("spine_03", 3, (0.0, 0.0, 14.0)),
    ("neck_01", 4, (0.0, 0.0, 16.0)),
    ("head", 5, (0.0, 0.0, 10.0)),
    ("thigh_l", 1, (0.0, 9.0, -4.0)),
    ("calf_l", 7, (0.0, 0.0, -44.0)),
    ("foot_l", 8, (0.0, 0.0, -42.0)),
    ("ball_l", 9, (12.0, 0.0, -6.0)),
    ("thigh_r", 1, (0.0, -9.0, -4.0)),
    ("calf_r", 11, (0.0, 0.0, -44.0)),
    ("foot_r", 12, (0.0, 0.0, -42.0)),
    ("ball_r", 13, (12.0, 0.0, -6.0)),
    ("clavicle_l", 4, (0.0, 6.0, 10.0)),
    ("upperarm_l", 15, (0.0, 14.0, 0.0)),
    ("lowerarm_l", 16, (0.0, 28.0, 0.0)),
    ("clavicle_r", 4, (0.0, -6.0, 10.0)),
    ("upperarm_r", 18, (0.0, -14.0, 0.0)),
    ("lowerarm_r", 19, (0.0, -28.0, 0.0)),
]


def mannequin(num_keys: int = 91, fps: float = 30.0, name: str = "/Game/Test/Manny_Walk") -> UnrealClip:
    """A walk in place: static root, moving pelvis (cm), swinging limbs."""
    joints = [Joint(n, p, off, axis_angle("z", 0.02 * i), (1.0, 1.0, 1.0)) for i, (n, p, off) in enumerate(MANNEQUIN)]
    positions: List[List[Vec]] = []
    rotations: List[List[Vec]] = []
    for k in range(num_keys):
        t = k / fps
        ph = 2 * math.pi * 1.1 * t
        pos = [tuple(j.rest_position) for j in joints]
        pos[1] = (0.6 * t + 1.5 * math.sin(ph), 2.0 * math.sin(ph / 2), 96.0 + 2.5 * math.cos(2 * ph))  # pelvis moves
        rot = []
        for i, j in enumerate(joints):
            if j.name.startswith(("thigh", "calf")):
                a = 0.5 * math.sin(ph + (math.pi if j.name.endswith("_r") else 0.0)) * (0.6 if j.name.startswith("calf") else 1.0)
                wiggle = axis_angle("y", a)
            elif j.name.startswith(("upperarm", "lowerarm")):
                wiggle = axis_angle("y", 0.3 * math.sin(ph + (0.0 if j.name.endswith("_r") else math.pi)))
            elif j.name == "root":
                wiggle = (0.0, 0.0, 0.0, 1.0)
            else:
                wiggle = qmul(axis_angle("x", 0.05 * math.sin(ph + i)), axis_angle("z", 0.04 * math.cos(ph)))
            rot.append(qmul(tuple(j.rest_rotation), wiggle))
        positions.append(pos)
        rotations.append(rot)
    return _clip(name, joints, positions, rotations, fps)


# name, parent name, rest offset (cm)
QUADRUPED = [
    ("tail_02", "tail_01", (-12.0, 0.0, 0.0)),
    ("root", None, (0.0, 0.0, 0.0)),
    ("hips", "root", (0.0, 0.0, 60.0)),
    ("tail_01", "hips", (-15.0, 0.0, 2.0)),
    ("spine", "hips", (25.0, 0.0, 2.0)),
    ("chest", "spine", (25.0, 0.0, 0.0)),
    ("neck", "chest", (15.0, 0.0, 10.0)),
    ("head", "neck", (12.0, 0.0, 8.0)),
]
for side, y in (("l", 10.0), ("r", -10.0)):
    QUADRUPED += [
        (f"front_upper_{side}", "chest", (5.0, y, -8.0)),
        (f"front_lower_{side}", f"front_upper_{side}", (0.0, 0.0, -25.0)),
        (f"front_paw_{side}", f"front_lower_{side}", (0.0, 0.0, -25.0)),
        (f"back_upper_{side}", "hips", (-5.0, y, -8.0)),
        (f"back_lower_{side}", f"back_upper_{side}", (0.0, 0.0, -25.0)),
        (f"back_paw_{side}", f"back_lower_{side}", (0.0, 0.0, -25.0)),
    ]


def quadruped(num_keys: int = 61, fps: float = 30.0, name: str = "/Game/Test/Dog_Trot") -> UnrealClip:
    """A trot: the root travels along +X (root motion authored in the root track)."""
    index = {n: i for i, (n, _, _) in enumerate(QUADRUPED)}
    joints = [Joint(n, -1 if p is None else index[p], off, (0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0)) for n, p, off in QUADRUPED]
    positions, rotations = [], []
    for k in range(num_keys):
        t = k / fps
        ph = 2 * math.pi * 2.0 * t
        pos = [tuple(j.rest_position) for j in joints]
        pos[index["root"]] = (150.0 * t, 0.0, 0.0)
        pos[index["hips"]] = (0.0, 0.0, 60.0 + 1.5 * math.sin(2 * ph))
        rot = []
        for n, _, _ in QUADRUPED:
            if "upper" in n or "lower" in n:
                lead = 0.0 if (n.startswith("front") == n.endswith("_l")) else math.pi
                rot.append(axis_angle("y", 0.45 * math.sin(ph + lead)))
            elif n.startswith("tail"):
                rot.append(axis_angle("z", 0.3 * math.sin(ph)))
            elif n == "root":
                rot.append(axis_angle("z", 0.05 * t))
            else:
                rot.append(qmul(axis_angle("x", 0.03 * math.sin(ph)), axis_angle("y", 0.02 * math.cos(ph))))
        positions.append(pos)
        rotations.append(rot)
    return _clip(name, joints, positions, rotations, fps)


def tiny(num_keys: int, name: str = "/Game/Test/Short") -> UnrealClip:
    """A 3-bone chain with ``num_keys`` keys (for "not enough frames")."""
    joints = [Joint("root", -1, (0.0, 0.0, 0.0)), Joint("a", 0, (0.0, 0.0, 10.0)), Joint("b", 1, (0.0, 0.0, 10.0))]
    pos = [[tuple(j.rest_position) for j in joints] for _ in range(num_keys)]
    rot = [[axis_angle("y", 0.1 * k) for _ in joints] for k in range(num_keys)]
    return _clip(name, joints, pos, rot)
