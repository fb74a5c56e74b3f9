"""Zero-velocity baseline: hold the last known pose until the next known frame."""

from __future__ import annotations

from anymole.inbetween.problem import InbetweenProblem
from anymole.motion import Motion


def zero_velocity(problem: InbetweenProblem) -> Motion:
    """Every unknown frame copies the last known frame before it (LAFAN1's zero-velocity)."""
    rot = problem.motion.rotations.clone()
    trans = problem.motion.translations.clone()
    for start, stop in problem.gaps():
        rot[start:stop] = rot[start - 1]
        trans[start:stop] = trans[start - 1]
    return problem.keep_known(Motion(rot, trans, problem.motion.fps))
