"""BVH (Biovision hierarchy) read and write.

Reading
    * Every joint's ``CHANNELS`` line is read as written: any rotation order per joint, 0, 3 or
      6 channels on any joint (3 rotations, 3 positions, or both, in any order).
    * A joint with position channels takes its local translation from them. By default they
      are *absolute* (they replace the ``OFFSET``, as Blender, MotionBuilder and most exporters,
      e.g. LAFAN1, mean them); ``position_channels="relative"`` adds them to the ``OFFSET``
      instead, which is what iClone / Character Creator exports mean (the corpus' ``*_cc.bvh``:
      root ``OFFSET`` 105 cm up, channels near zero). The rest offset (``Skeleton.offsets``) is
      the ``OFFSET`` either way.
    * Euler angles are degrees; ``XrotationYrotationZrotation`` in file order is the intrinsic
      rotation ``R = R_X @ R_Y @ R_Z`` (see :func:`anymole.geometry.rotations.euler_to_quat`).
    * ``End Site`` blocks are dropped by default, so the skeleton has exactly the file's
      ``ROOT``/``JOINT`` entries. With ``end_sites=True`` each becomes a leaf joint named
      ``<parent>_end`` (a numeric suffix if that name is taken), rest rotation identity,
      translation its ``OFFSET``, never animated.
    * The caller declares the file's unit and axes (``unit_m``, ``up``, ``forward``,
      ``handedness``); offsets, translations and rotations go to the canonical frame through
      :mod:`anymole.geometry.frames`. Default: as written, metres, +Y up, +Z forward.
    * ``fps`` is ``1 / Frame Time``, snapped to the nearest integer when the written frame time
      equals that integer's reciprocal to the precision written (``.0083333`` → 120 fps).
    * ``Skeleton.rest_rotations`` are identity (BVH has no rest rotation).

Writing
    * Joints that translate (``Motion.translating_joints``, roots always) get 6 channels:
      ``OFFSET`` = rest offset, positions = the absolute local translation, then the rotation;
      others get 3 rotation channels in ``rotation_order``.
    * A leaf joint is closed with a zero-length ``End Site`` — except a static leaf whose name is
      ``<parent>_end`` (what ``end_sites=True`` reads), which is written back as that parent's
      ``End Site``. Either way ``read_bvh(write_bvh(...))`` returns the same joints.
    * Numbers: offsets with 7 significant digits (float32 precision), positions with 9,
      angles to 1e-6 degree.

Malformed files raise :class:`~anymole.errors.FormatError` naming the file and the problem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from anymole.errors import FormatError
from anymole.geometry.frames import (
    convention_from_axes,
    positions_from_canonical,
    positions_to_canonical,
    quaternions_from_canonical,
    quaternions_to_canonical,
)
from anymole.geometry.rotations import euler_to_quat, quat_to_euler
from anymole.io.asset import Asset, Clip
from anymole.io.format_errors import wrap_errors
from anymole.motion import Motion
from anymole.skeleton import Skeleton

__all__ = ["read_bvh", "write_bvh", "END_SUFFIX"]

END_SUFFIX = "_end"
_CHANNEL_NAMES = {
    "xposition": ("p", 0), "yposition": ("p", 1), "zposition": ("p", 2),
    "xrotation": ("r", "X"), "yrotation": ("r", "Y"), "zrotation": ("r", "Z"),
}


@dataclass
class _Node:
    name: str
    parent: int
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    channels: list[str] = field(default_factory=list)
    end_site: bool = False
    first_column: int = 0


class _Tokens:
    """Whitespace tokens of the HIERARCHY section with line numbers for messages."""

    def __init__(self, path, text: str):
        self.path = path
        self.items: list[tuple[str, int]] = []
        for lineno, line in enumerate(text.splitlines(), 1):
            self.items.extend((tok, lineno) for tok in line.split())
        self.i = 0

    def peek(self) -> str | None:
        return self.items[self.i][0] if self.i < len(self.items) else None

    def line(self) -> int:
        return self.items[min(self.i, len(self.items) - 1)][1] if self.items else 1

    def next(self, what: str) -> str:
        if self.i >= len(self.items):
            raise FormatError(self.path, f"unexpected end of file while reading {what}")
        tok = self.items[self.i][0]
        self.i += 1
        return tok

    def expect(self, want: str) -> None:
        line = self.line()
        tok = self.next(repr(want))
        if tok != want:
            raise FormatError(self.path, f"line {line}: expected {want!r}, found {tok!r}")

    def number(self, what: str) -> float:
        line = self.line()
        tok = self.next(what)
        try:
            v = float(tok)
        except ValueError:
            raise FormatError(self.path, f"line {line}: bad number {tok!r} in {what}") from None
        if not math.isfinite(v):
            raise FormatError(self.path, f"line {line}: non-finite number {tok!r} in {what}")
        return v


def _parse_hierarchy(path, text: str) -> list[_Node]:
    toks = _Tokens(path, text)
    if toks.peek() != "HIERARCHY":
        raise FormatError(path, "not a BVH file: it does not start with HIERARCHY")
    toks.next("HIERARCHY")
    nodes: list[_Node] = []
    stack: list[int] = []  # indices of open joints and End Sites
    column = 0
    while True:
        tok = toks.peek()
        if tok is None:
            if stack:
                raise FormatError(path, "unexpected end of file inside the HIERARCHY (missing '}')")
            break
        line = toks.line()
        toks.next("HIERARCHY")
        if tok in ("ROOT", "JOINT"):
            if tok == "ROOT" and stack:
                raise FormatError(path, f"line {line}: ROOT inside another joint")
            if tok == "JOINT" and not stack:
                raise FormatError(path, f"line {line}: JOINT outside any ROOT")
            if stack and nodes[stack[-1]].end_site:
                raise FormatError(path, f"line {line}: JOINT inside an End Site")
            name = toks.next("a joint name")
            if name == "{":
                raise FormatError(path, f"line {line}: {tok} without a name")
            nodes.append(_Node(name, stack[-1] if stack else -1))
            toks.expect("{")
            stack.append(len(nodes) - 1)
        elif tok == "End":
            toks.expect("Site")
            if not stack or nodes[stack[-1]].end_site:
                raise FormatError(path, f"line {line}: End Site outside a joint")
            nodes.append(_Node("", stack[-1], end_site=True))
            toks.expect("{")
            stack.append(len(nodes) - 1)
        elif tok == "OFFSET":
            if not stack:
                raise FormatError(path, f"line {line}: OFFSET outside a joint")
            nodes[stack[-1]].offset = tuple(toks.number("OFFSET") for _ in range(3))
        elif tok == "CHANNELS":
            if not stack or nodes[stack[-1]].end_site:
                raise FormatError(path, f"line {line}: CHANNELS outside a joint")
            node = nodes[stack[-1]]
            n_tok = toks.next("the channel count")
            try:
                n = int(n_tok)
            except ValueError:
                raise FormatError(path, f"line {line}: bad channel count {n_tok!r} for joint {node.name!r}") from None
            if n < 0 or n > 6:
                raise FormatError(path, f"line {line}: joint {node.name!r} has {n} channels; expected 0 to 6")
            chans = [toks.next(f"the channels of joint {node.name!r}") for _ in range(n)]
            _check_channels(path, line, node.name, chans)
            node.channels = chans
            node.first_column = column
            column += n
        elif tok == "}":
            if not stack:
                raise FormatError(path, f"line {line}: unmatched '}}'")
            stack.pop()
        else:
            raise FormatError(path, f"line {line}: unexpected {tok!r} in HIERARCHY")
    if not any(not n.end_site for n in nodes):
        raise FormatError(path, "the HIERARCHY has no ROOT joint")
    return nodes


def _check_channels(path, line: int, joint: str, chans: list[str]) -> None:
    kinds = []
    for c in chans:
        key = c.lower()
        if key not in _CHANNEL_NAMES:
            raise FormatError(path, f"line {line}: unknown channel {c!r} for joint {joint!r}")
        kinds.append(_CHANNEL_NAMES[key])
    rot = [k[1] for k in kinds if k[0] == "r"]
    pos = [k[1] for k in kinds if k[0] == "p"]
    if len(rot) not in (0, 3) or len(set(rot)) != len(rot):
        raise FormatError(path, f"line {line}: joint {joint!r} needs 0 or 3 distinct rotation channels, got {chans}")
    if rot and (rot[0] == rot[1] or rot[1] == rot[2]):
        raise FormatError(path, f"line {line}: joint {joint!r} has an invalid rotation order {chans}")
    if len(pos) not in (0, 3) or len(set(pos)) != len(pos):
        raise FormatError(path, f"line {line}: joint {joint!r} needs 0 or 3 distinct position channels, got {chans}")


_FRAMES_RE = re.compile(r"\AFrames:\s*(\S+)\s*\n?\s*Frame\s+Time:\s*(\S+)", re.IGNORECASE)


def _parse_motion_header(path, text: str) -> tuple[int, float, str, str]:
    """``(frames, frame_time_s, frame_time_text, rest_of_text)`` of the MOTION section."""
    m = _FRAMES_RE.match(text.lstrip())
    if not m:
        raise FormatError(path, "MOTION section lacks 'Frames:' and 'Frame Time:' lines")
    try:
        frames = int(m.group(1))
    except ValueError:
        raise FormatError(path, f"bad frame count {m.group(1)!r}") from None
    try:
        dt = float(m.group(2))
    except ValueError:
        raise FormatError(path, f"bad frame time {m.group(2)!r}") from None
    if frames < 1:
        raise FormatError(path, f"the file declares {frames} frames; at least one is required")
    if not (math.isfinite(dt) and dt > 0):
        raise FormatError(path, f"frame time must be a positive number of seconds, got {m.group(2)!r}")
    return frames, dt, m.group(2), text.lstrip()[m.end():]


def _fps_from_frame_time(dt: float, written: str) -> float:
    fps = 1.0 / dt
    n = round(fps)
    digits = len(written.split(".", 1)[1]) if "." in written and "e" not in written.lower() else 12
    if n > 0 and abs(1.0 / n - dt) <= 0.5 * 10.0 ** (-digits) + 1e-15:
        return float(n)
    return fps


def _parse_values(path, block: str, frames: int, columns: int) -> np.ndarray:
    """``(frames, columns)`` float64 from the MOTION data block (one vectorised parse)."""
    tokens = block.split()
    expected = frames * columns
    if len(tokens) != expected:
        if columns and len(tokens) % columns == 0:
            got = f"{len(tokens)} values = {len(tokens) // columns} frames"
        else:
            got = f"{len(tokens)} values"
        raise FormatError(
            path, f"MOTION data has {got}; expected {frames} frames × {columns} channels = {expected} values"
        )
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        for i, tok in enumerate(tokens):
            try:
                float(tok)
            except ValueError:
                raise FormatError(
                    path, f"bad number {tok!r} in MOTION data at frame {i // max(columns, 1)}, channel {i % max(columns, 1)}"
                ) from None
        raise
    if not np.isfinite(values).all():
        i = int(np.flatnonzero(~np.isfinite(values))[0])
        raise FormatError(path, f"non-finite number in MOTION data at frame {i // columns}, channel {i % columns}")
    return values.reshape(frames, columns)


def _unique_end_name(parent: str, taken: set[str]) -> str:
    name = parent + END_SUFFIX
    k = 2
    while name in taken:
        name = f"{parent}{END_SUFFIX}{k}"
        k += 1
    return name


def read_bvh(
    path: str | Path,
    *,
    unit_m: float = 1.0,
    up: str = "+y",
    forward: str = "+z",
    handedness: str = "right",
    end_sites: bool = False,
    position_channels: str = "absolute",
) -> Asset:
    """Read a BVH file into an :class:`Asset` with one clip named after the file stem.

    Args:
        unit_m: length of one file unit in metres (0.01 for centimetres).
        up, forward, handedness: the file's axes (``"+y"``, ``"-z"``, …); see
            :func:`anymole.geometry.frames.convention_from_axes`.
        end_sites: keep ``End Site`` blocks as leaf joints named ``<parent>_end``.
        position_channels: ``"absolute"`` (translation = channels) or ``"relative"``
            (translation = ``OFFSET`` + channels).

    Returns:
        An asset whose skeleton (J joints, identity rest rotations, offsets ``(J, 3)`` in
        canonical metres) has one clip: rotations ``(T, J, 4)``, translations ``(T, J, 3)``.
    """
    path = Path(path)
    if position_channels not in ("absolute", "relative"):
        raise ValueError(f"position_channels must be 'absolute' or 'relative', got {position_channels!r}")
    with wrap_errors(path, "cannot read BVH"):
        conv = convention_from_axes(up, forward, handedness, unit_m)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        if "\x00" in text:
            raise FormatError(path, "not a BVH file: it contains binary data")
        m = re.search(r"^\s*MOTION\s*$", text, re.MULTILINE)
        if not m:
            if not text.lstrip().startswith("HIERARCHY"):
                raise FormatError(path, "not a BVH file: it does not start with HIERARCHY")
            raise FormatError(path, "no MOTION section")
        nodes = _parse_hierarchy(path, text[: m.start()])
        frames, dt, dt_text, block = _parse_motion_header(path, text[m.end():])
        columns = sum(len(n.channels) for n in nodes)
        values = _parse_values(path, block, frames, columns)
        fps = _fps_from_frame_time(dt, dt_text)
        skeleton, motion = _build(nodes, values, fps, end_sites, position_channels == "relative")
        skeleton, motion = _to_canonical(skeleton, motion, conv)
        return Asset(skeleton, (Clip(path.stem, motion),), str(path))


def _build(
    nodes: list[_Node], values: np.ndarray, fps: float, end_sites: bool, relative: bool
) -> tuple[Skeleton, Motion]:
    """Skeleton and motion in the file's own frame and units."""
    keep = [i for i, n in enumerate(nodes) if not n.end_site or end_sites]
    new_index = {old: new for new, old in enumerate(keep)}
    taken = {n.name for n in nodes if not n.end_site}
    names, parents = [], []
    for old in keep:
        n = nodes[old]
        name = n.name
        if n.end_site:
            name = _unique_end_name(nodes[n.parent].name, taken)
            taken.add(name)
        names.append(name)
        parents.append(-1 if n.parent < 0 else new_index[n.parent])
    T, J = values.shape[0], len(keep)
    offsets = np.array([nodes[o].offset for o in keep], dtype=np.float64)
    trans = np.broadcast_to(offsets, (T, J, 3)).copy()
    rot = np.zeros((T, J, 4), dtype=np.float64)
    rot[..., 3] = 1.0
    by_order: dict[str, tuple[list[int], list[list[int]]]] = {}
    for j, old in enumerate(keep):
        n = nodes[old]
        if not n.channels:
            continue
        pos_cols = [0, 0, 0]
        rot_cols, order = [], ""
        for k, c in enumerate(n.channels):
            kind, what = _CHANNEL_NAMES[c.lower()]
            if kind == "p":
                pos_cols[what] = n.first_column + k
            else:
                rot_cols.append(n.first_column + k)
                order += what
        if len(rot_cols) < len(n.channels):
            trans[:, j] = values[:, pos_cols] + (offsets[j] if relative else 0.0)
        if order:
            joints, cols = by_order.setdefault(order, ([], []))
            joints.append(j)
            cols.append(rot_cols)
    for order, (joints, cols) in by_order.items():
        angles = torch.from_numpy(values[:, np.array(cols)])  # (T, Jo, 3) in channel order
        rot[:, joints] = euler_to_quat(angles, order, degrees=True).numpy()
    skeleton = Skeleton(tuple(names), torch.tensor(parents), torch.from_numpy(offsets).float())
    motion = Motion(torch.from_numpy(rot).float(), torch.from_numpy(trans).float(), fps)
    return skeleton, motion


def _to_canonical(skeleton: Skeleton, motion: Motion, conv) -> tuple[Skeleton, Motion]:
    offsets = positions_to_canonical(skeleton.offsets.double(), conv).float()
    rot = quaternions_to_canonical(motion.rotations.double(), conv).float()
    trans = positions_to_canonical(motion.translations.double(), conv).float()
    return Skeleton(skeleton.names, skeleton.parents, offsets), Motion(rot, trans, motion.fps)


# -- writing -------------------------------------------------------------------------------------

_SAFE_NAME = re.compile(r"\s+")


def write_bvh(
    path: str | Path,
    skeleton: Skeleton,
    motion: Motion,
    *,
    rotation_order: str = "ZYX",
    rotation_orders: Sequence[str | None] | Mapping[str, str] | None = None,
    unit_m: float = 1.0,
    up: str = "+y",
    forward: str = "+z",
    handedness: str = "right",
) -> None:
    """Write ``motion`` of ``skeleton`` (canonical frame, metres) as a BVH file.

    Args:
        rotation_order: Euler axes of every joint's rotation channels, in file order.
        rotation_orders: per-joint orders that override ``rotation_order``: a sequence of J
            orders (None entries: the default) or a mapping from joint name to order (e.g.
            :func:`bvh_rotation_orders` of the source file, so each joint keeps its own).

    Euler angles are unwrapped along time (:func:`unwrap_euler`): each frame takes, of the two
    equivalent angle triples and their ±360° shifts, the one nearest the previous frame's, so
    curves have no ±360° jumps (a joint turning steadily reads 350°, 370°, … not 350°, 10°).
        unit_m, up, forward, handedness: the file's declared units and axes (as for
            :func:`read_bvh`); positions are divided by ``unit_m``.

    Raises :class:`FormatError` (naming ``path``) when the motion does not fit the skeleton or
    the file cannot be written. Whitespace in joint names becomes ``_``.
    """
    path = Path(path)
    with wrap_errors(path, "cannot write BVH"):
        order = rotation_order.upper()
        euler_to_quat(torch.zeros(3), order)  # validates the order
        motion.check_skeleton(skeleton)
        J0 = skeleton.num_joints
        if rotation_orders is None:
            orders = [order] * J0
        elif isinstance(rotation_orders, Mapping):
            orders = [str(rotation_orders.get(n, order)).upper() for n in skeleton.names]
        else:
            if len(rotation_orders) != J0:
                raise FormatError(path, f"rotation_orders has {len(rotation_orders)} entries for {J0} joints")
            orders = [order if o is None else str(o).upper() for o in rotation_orders]
        for o in set(orders):
            euler_to_quat(torch.zeros(3), o)
        conv = convention_from_axes(up, forward, handedness, unit_m)
        names = [_SAFE_NAME.sub("_", n) for n in skeleton.names]
        if len(set(names)) != len(names):
            raise FormatError(path, "joint names collide once whitespace is replaced by '_'")
        parents = skeleton.parents.tolist()
        J = len(names)
        children: list[list[int]] = [[] for _ in range(J)]
        for j, p in enumerate(parents):
            if p >= 0:
                children[p].append(j)
        offsets = positions_from_canonical(skeleton.offsets.double(), conv).numpy()
        trans = positions_from_canonical(motion.translations.double(), conv).numpy()
        quats = quaternions_from_canonical(motion.rotations.double(), conv)
        translating = set(motion.translating_joints(skeleton))
        ident = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64)
        static_rot = ((quats - ident).abs().amax(dim=(0, 2)) < 1e-7) | ((quats + ident).abs().amax(dim=(0, 2)) < 1e-7)
        as_end_site = [
            not children[j]
            and parents[j] >= 0
            and names[j] == names[parents[j]] + END_SUFFIX
            and j not in translating
            and bool(static_rot[j])
            for j in range(J)
        ]
        euler = np.zeros((motion.num_frames, J, 3))
        for o in sorted(set(orders)):
            js = [j for j in range(J) if orders[j] == o]
            euler[:, js] = unwrap_euler(quat_to_euler(quats[:, js], o, degrees=True).numpy())

        lines = ["HIERARCHY"]
        columns: list[np.ndarray] = []
        fmts: list[str] = []
        axis_names = {"X": "Xrotation", "Y": "Yrotation", "Z": "Zrotation"}

        def rot_channels(j: int) -> str:
            return " ".join(axis_names[a] for a in orders[j])

        def emit(j: int, depth: int) -> None:
            ind = "\t" * depth
            lines.append(f"{ind}{'ROOT' if parents[j] < 0 else 'JOINT'} {names[j]}")
            lines.append(ind + "{")
            lines.append(f"{ind}\tOFFSET {_fmt3(offsets[j])}")
            if j in translating:
                lines.append(f"{ind}\tCHANNELS 6 Xposition Yposition Zposition {rot_channels(j)}")
                columns.append(trans[:, j])
                fmts.extend(["%.9g"] * 3)
            else:
                lines.append(f"{ind}\tCHANNELS 3 {rot_channels(j)}")
            columns.append(euler[:, j])
            fmts.extend(["%.6f"] * 3)
            kids = [c for c in children[j] if not as_end_site[c]]
            ends = [c for c in children[j] if as_end_site[c]]
            for c in kids:
                emit(c, depth + 1)
            for c in ends:
                lines.append(f"{ind}\tEnd Site")
                lines.append(ind + "\t{")
                lines.append(f"{ind}\t\tOFFSET {_fmt3(offsets[c])}")
                lines.append(ind + "\t}")
            if not children[j]:
                lines.append(f"{ind}\tEnd Site")
                lines.append(ind + "\t{")
                lines.append(f"{ind}\t\tOFFSET 0 0 0")
                lines.append(ind + "\t}")
            lines.append(ind + "}")

        for r in (j for j in range(J) if parents[j] < 0):
            emit(r, 0)
        lines.append("MOTION")
        lines.append(f"Frames: {motion.num_frames}")
        lines.append(f"Frame Time: {1.0 / motion.fps:.9g}")
        data = np.concatenate(columns, axis=1)
        data = np.where(np.abs(data) < 1e-12, 0.0, data)  # no "-0" or "1e-17" noise
        fmt = " ".join(fmts)
        body = "\n".join(fmt % tuple(row) for row in data.tolist())
        path.write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")


def _fmt3(v) -> str:
    return " ".join(f"{0.0 if abs(x) < 1e-12 else x:.7g}" for x in v)  # float32 precision


def unwrap_euler(euler: np.ndarray) -> np.ndarray:
    """Euler angles ``(T, ..., 3)`` in degrees (any Tait–Bryan order) made continuous in time.

    Each frame is replaced by whichever of its two equivalent triples ``(a, b, c)`` and
    ``(a + 180, 180 - b, c + 180)``, each shifted by whole turns per angle, lies nearest (L1)
    the previous output frame. The rotations are unchanged; the first frame is kept as is.
    """
    out = np.array(euler, dtype=np.float64, copy=True)
    if out.shape[0] < 2:
        return out
    alt = out.copy()
    alt[..., 0] += 180.0
    alt[..., 1] = 180.0 - alt[..., 1]
    alt[..., 2] += 180.0
    for t in range(1, out.shape[0]):
        prev = out[t - 1]
        a = out[t] + 360.0 * np.round((prev - out[t]) / 360.0)
        b = alt[t] + 360.0 * np.round((prev - alt[t]) / 360.0)
        use_b = np.abs(b - prev).sum(-1, keepdims=True) < np.abs(a - prev).sum(-1, keepdims=True) - 1e-9
        out[t] = np.where(use_b, b, a)
    return out


def bvh_rotation_orders(path: str | Path) -> dict[str, str]:
    """Each joint's rotation order (e.g. ``"ZXY"``) as the BVH file at ``path`` declares it,
    by joint name (joints without rotation channels are left out)."""
    path = Path(path)
    with wrap_errors(path, "cannot read BVH"):
        raw = path.read_bytes()
        text = raw.decode("utf-8", errors="replace")
        m = re.search(r"^\s*MOTION\s*$", text, re.MULTILINE)
        nodes = _parse_hierarchy(path, text[: m.start()] if m else text)
        out = {}
        for n in nodes:
            order = "".join(_CHANNEL_NAMES[c.lower()][1] for c in n.channels if _CHANNEL_NAMES[c.lower()][0] != "p")
            if len(order) == 3 and not n.end_site:
                out[_SAFE_NAME.sub("_", n.name)] = order
        return out
