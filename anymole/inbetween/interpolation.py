"""Interpolation baseline (LAFAN1's): lerp the translations, slerp the local rotations between
the known frames on each side of a gap."""

from __future__ import annotations

import torch

from anymole.geometry.rotations import quat_slerp
from anymole.inbetween.problem import InbetweenProblem
from anymole.motion import Motion


def interpolation(problem: InbetweenProblem) -> Motion:
    """Unknown frame ``t`` in gap ``[s, e)`` gets ``a = (t - s + 1) / (e - s + 1)`` of the way from
    frame ``s - 1`` to frame ``e``: translations (every joint, so pelvis tracks on a static root
    also move) linearly, local rotations by slerp."""
    rot = problem.motion.rotations.clone()
    trans = problem.motion.translations.clone()
    for start, stop in problem.gaps():
        n = stop - start
        a = torch.arange(1, n + 1, dtype=rot.dtype) / (n + 1)
        q0, q1 = rot[start - 1], rot[stop]
        rot[start:stop] = quat_slerp(q0.expand(n, -1, -1), q1.expand(n, -1, -1), a[:, None])
        p0, p1 = trans[start - 1], trans[stop]
        trans[start:stop] = p0 + (p1 - p0) * a[:, None, None]
    return problem.keep_known(Motion(rot, trans, problem.motion.fps))
