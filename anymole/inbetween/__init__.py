"""Classical in-betweening: ``zero_velocity`` and ``interpolation`` (baselines) and ``spline``
(the method the product runs where no video model is configured).

Every method is a function ``(InbetweenProblem) -> Motion`` that keeps known frames exact.
"""

from __future__ import annotations

from collections.abc import Callable

from anymole.errors import ValidationError
from anymole.inbetween.interpolation import interpolation
from anymole.inbetween.problem import InbetweenProblem
from anymole.inbetween.zero_velocity import zero_velocity
from anymole.motion import Motion

Method = Callable[[InbetweenProblem], Motion]

METHODS: dict[str, Method] = {
    "zero_velocity": zero_velocity,
    "interpolation": interpolation,
}

try:  # spline lands in its own module
    from anymole.inbetween.spline import spline

    METHODS["spline"] = spline
except ImportError:  # pragma: no cover - transitional
    pass


def solve(method: str, problem: InbetweenProblem) -> Motion:
    """Run the classical method ``method`` on ``problem``."""
    try:
        fn = METHODS[method]
    except KeyError:
        raise ValidationError("method", f"unknown classical method {method!r}; known: {sorted(METHODS)}") from None
    return fn(problem)


__all__ = ["METHODS", "InbetweenProblem", "Method", "interpolation", "solve", "zero_velocity"]
