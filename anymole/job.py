"""The job vocabulary: what a method reports while it runs, how it is cancelled, what it is
asked and what it returns. A leaf: it imports nothing of the library at run time, so every
stage, the pipeline, the server and the bake can share it without import circles.

Events (all frozen dataclasses; ``Emit`` receives them):
- :class:`StageEvent` — a stage began (names in the method's catalogue entry, in order);
- :class:`ProgressEvent` — overall progress in [0, 1], never decreasing within a job;
- :class:`PreviewEvent` — one encoded preview image;
- :class:`PoseEvent` — the motion as it stands (the whole timeline, canonical frame), at stage
  ends and during long optimisation, so an editor can pose its own character;
- :class:`LogEvent` — a log line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:  # types only: this module stays a leaf
    from anymole.inbetween.problem import InbetweenProblem
    from anymole.motion import Motion

from anymole.errors import AnymoleError

# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageEvent:
    """The job entered ``stage`` (e.g. ``"validate"``, ``"inbetween"``, ``"preview"``)."""

    stage: str


@dataclass(frozen=True)
class ProgressEvent:
    """Overall progress ``fraction`` in [0, 1] with a human-readable ``message``."""

    fraction: float
    message: str = ""


@dataclass(frozen=True)
class PreviewEvent:
    """One encoded preview image (``image_format`` ``"png"`` or ``"jpeg"``), ``width`` × ``height``
    pixels, showing timeline frame ``frame_index`` as it stands during ``stage`` at ``step``."""

    image: bytes
    image_format: str
    width: int
    height: int
    frame_index: int
    stage: str
    step: int = 0


@dataclass(frozen=True)
class PoseEvent:
    """The motion as it stands: ``motion`` ``(T, J)`` over the whole timeline, canonical frame
    and metres, known frames exact; produced by ``stage`` at ``step``; ``final`` when it is the
    result's motion."""

    motion: "Motion"
    stage: str
    step: int = 0
    final: bool = False


@dataclass(frozen=True)
class LogEvent:
    level: str  # "debug", "info", "warning", "error"
    message: str


Event = Union[StageEvent, ProgressEvent, PreviewEvent, PoseEvent, LogEvent]
Emit = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An ``Emit`` that drops everything."""


# -- cancellation ---------------------------------------------------------------------------


class Cancelled(AnymoleError):
    """The caller cancelled the job; raised from a cancellation check between steps."""


class CancelToken:
    """Thread-safe cancellation flag. ``cancel()`` from any thread; long loops call
    ``check()``, which raises :class:`Cancelled` once cancelled."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to ``timeout_s`` seconds; True when cancelled meanwhile."""
        return self._event.wait(timeout_s)


_current = threading.local()


class cancellable:
    """``with cancellable(token):`` makes ``token`` this thread's current one, so that deep
    loops with no token of their own (a rasteriser's chunks) can stop: :func:`checkpoint`."""

    def __init__(self, token: CancelToken):
        self._token = token

    def __enter__(self) -> CancelToken:
        self._previous = getattr(_current, "token", None)
        _current.token = self._token
        return self._token

    def __exit__(self, *exc) -> None:
        _current.token = self._previous


def checkpoint() -> None:
    """Raise :class:`Cancelled` when this thread's current token (see :class:`cancellable`) is
    cancelled; a no-op otherwise. Cheap: call it in every long loop."""
    token = getattr(_current, "token", None)
    if token is not None:
        token.check()


# -- request and result ---------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewOptions:
    """Previews while a job runs.

    Images: ``size`` (width, height) in pixels; at most ``max_frames`` frames per stage, spread
    over the gap; ``image_format`` ``"png"`` or ``"jpeg"``; ``enabled``; ``max_rate_hz`` at most
    this many images per second of wall time (0: unlimited) — a method skips rendering images it
    would drop. Poses: ``poses`` on/off and ``pose_rate_hz`` at most this many intermediate pose
    events per second (stage-end and final poses always go out)."""

    size: tuple[int, int] = (256, 256)
    max_frames: int = 8
    image_format: str = "jpeg"
    enabled: bool = True
    max_rate_hz: float = 0.0
    poses: bool = True
    pose_rate_hz: float = 4.0


@dataclass(frozen=True, eq=False)
class TransitionRequest:
    """What to in-between: ``problem`` (skeleton, timeline with known/unknown frames, canonical
    frame), the ``method`` name (see :mod:`anymole.methods.catalogue`), a ``seed``, preview
    options, and for video methods the ``prior`` name and typed ``options`` (name → value, as
    listed in the method's catalogue entry)."""

    problem: "InbetweenProblem"
    method: str = "spline"
    seed: int = 0
    preview: PreviewOptions = field(default_factory=PreviewOptions)
    prior: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class TransitionResult:
    """``motion`` ``(T, J)`` with every frame filled (known frames exact); ``method`` used;
    ``keyframe_error`` the largest global joint position error at known frames divided by the
    character size (0 for exact methods); ``warnings``; ``timings_s`` per stage."""

    motion: "Motion"
    method: str
    keyframe_error: float
    warnings: tuple[str, ...] = ()
    timings_s: dict[str, float] = field(default_factory=dict)
