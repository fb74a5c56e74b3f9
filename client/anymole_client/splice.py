"""Splicing a result into an authored track (``engine_plugins/conformance/README.md`` §3; the
C# Core and the Unreal core follow the same rule, and the conformance vectors hold it).

A track is a list of :class:`Key` (clip frame, value) in frame order — rotations ``(x, y, z,
w)`` or translations ``(x, y, z)``. Given the result's values for clip frames ``a .. b`` (``a``
the last context frame, ``b`` the last keyframe) and the keyframe frames:

1. the generated frames are the result frames strictly between ``a`` and ``b`` that are not
   keyframes;
2. authored keys strictly inside ``(a, b)`` that are not at keyframes are removed; keys at
   frames ``<= a``, ``>= b`` and at keyframes are kept;
3. one key per generated frame is inserted; at ``a`` and at each keyframe the result's value is
   inserted only where no authored key exists (it equals what was sampled);
4. rotations: from the first key at frame ``>= a`` on, every key not authored at a frame
   ``<= a`` is negated when its dot product with the previous key is negative (the same
   rotation, a continuous curve).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

from anymole_client.errors import CodecError

Value = Tuple[float, ...]


@dataclass(frozen=True)
class Key:
    frame: int
    value: Value


def _dot(a: Value, b: Value) -> float:
    return sum(x * y for x, y in zip(a, b))


def align_hemisphere(previous: Value, q: Value) -> Value:
    """``q`` or ``-q``, whichever is closer to ``previous`` (dot product >= 0)."""
    return tuple(-c for c in q) if _dot(previous, q) < 0 else tuple(q)


def splice_track(
    authored: Sequence[Key],
    first_frame: int,
    values: Sequence[Value],
    context_last: int,
    keyframes: Sequence[int],
    rotation: bool,
) -> List[Key]:
    """The spliced track (see the module docstring).

    Args:
        authored: the clip's keys of this joint and property, any order, one per frame.
        first_frame: the clip frame of ``values[0]``; ``values`` cover ``a .. b`` at least.
        context_last: ``a``, the last context frame.
        keyframes: the keyframes' clip frames (strictly increasing; the last is ``b``).
        rotation: apply the hemisphere rule (quaternions).
    """
    a, keys = int(context_last), [int(k) for k in keyframes]
    if not keys:
        raise CodecError("keyframes", "at least one keyframe is required")
    b = keys[-1]
    if first_frame > a or first_frame + len(values) - 1 < b:
        raise CodecError("result", f"covers clip frames {first_frame}..{first_frame + len(values) - 1}, the splice needs {a}..{b}")
    by_frame = {}
    for k in authored:
        if k.frame in by_frame:
            raise CodecError("authored", f"two keys at frame {k.frame}")
        by_frame[int(k.frame)] = (tuple(float(v) for v in k.value), True)
    keyset = set(keys)
    out = {f: v for f, v in by_frame.items() if f <= a or f >= b or f in keyset}
    for f in range(a, b + 1):
        value = tuple(float(v) for v in values[f - first_frame])
        if f == a or f in keyset:
            out.setdefault(f, (value, False))
        else:
            out[f] = (value, False)
    track = [(f, out[f][0], out[f][1] and f <= a) for f in sorted(out)]
    if rotation:
        prev = None
        for i, (f, value, fixed) in enumerate(track):
            if f >= a and prev is not None and not fixed:
                value = align_hemisphere(prev, value)
                track[i] = (f, value, fixed)
            prev = value
    return [Key(f, v) for f, v, _ in track]
