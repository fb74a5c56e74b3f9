"""One runner per method and THE catalogue that lists them (:mod:`anymole.methods.catalogue`).

Every runner has the signature ``(request: TransitionRequest, context: RunContext) ->
TransitionResult``: ``classical.run_classical`` (``spline``, ``interpolation``,
``zero_velocity``) and ``video.run_anymole`` (``anymole``). Runners are imported when a job of
theirs runs, so importing this package loads no torch.
"""

from anymole.methods.catalogue import (
    CATALOGUE,
    CLASSICAL_METHODS,
    DEFAULT_METHOD,
    VIDEO_METHODS,
    MethodSpec,
    OptionSpec,
    availability,
    available_methods,
)

__all__ = [
    "CATALOGUE",
    "CLASSICAL_METHODS",
    "DEFAULT_METHOD",
    "VIDEO_METHODS",
    "MethodSpec",
    "OptionSpec",
    "availability",
    "available_methods",
]
