"""Stages wired together: the one entry point the server, the CLI and the benchmarks call.

``run_transition`` takes a :class:`TransitionRequest` (canonical frame, metres), runs the
requested method, reports what it is doing through ``emit`` (stage, progress, preview, log
events) and checks ``cancel`` between steps. It returns a :class:`TransitionResult` whose known
frames equal the request's exactly.

Methods: ``spline`` (default), ``interpolation``, ``zero_velocity``; ``anymole`` (the video-prior
method, :mod:`anymole.video_transition`) runs when a :class:`~anymole.video.registry.PriorRegistry`
with a loadable prior is passed, and is refused with :class:`UnsupportedError` saying how to
configure one otherwise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from anymole.errors import AnymoleError, UnsupportedError, ValidationError
from anymole.inbetween import METHODS, InbetweenProblem
from anymole.metrics import keyframe_error
from anymole.motion import Motion

CLASSICAL_METHODS = tuple(METHODS)
VIDEO_METHODS = ("anymole",)


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageEvent:
    """The pipeline entered ``stage`` (e.g. ``"validate"``, ``"inbetween"``, ``"preview"``)."""

    stage: str


@dataclass(frozen=True)
class ProgressEvent:
    """Overall progress ``fraction`` in [0, 1] with a human-readable ``message``."""

    fraction: float
    message: str = ""


@dataclass(frozen=True)
class PreviewEvent:
    """One encoded preview image (``image_format`` ``"png"`` or ``"jpeg"``), ``width`` × ``height``
    pixels, showing output frame ``frame_index`` as it stands during ``stage`` at ``step``."""

    image: bytes
    image_format: str
    width: int
    height: int
    frame_index: int
    stage: str
    step: int = 0


@dataclass(frozen=True)
class LogEvent:
    level: str
    message: str


Event = StageEvent | ProgressEvent | PreviewEvent | LogEvent
Emit = Callable[[Event], None]


class Cancelled(AnymoleError):
    """The caller cancelled the job; raised from a cancellation check between steps."""


class CancelToken:
    """Thread-safe cancellation flag. ``cancel()`` from any thread; the pipeline calls
    ``check()`` between steps, which raises :class:`Cancelled` once cancelled."""

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


# -- request and result ---------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewOptions:
    """Preview images: ``size`` (width, height) in pixels; at most ``max_frames`` frames per
    stage (spread over the gap); ``image_format`` ``"png"`` or ``"jpeg"``; ``enabled``."""

    size: tuple[int, int] = (256, 256)
    max_frames: int = 8
    image_format: str = "jpeg"
    enabled: bool = True


@dataclass(frozen=True, eq=False)
class TransitionRequest:
    """What to in-between: ``problem`` (skeleton, motion with known/unknown frames), the
    ``method`` name, a ``seed`` for stochastic methods, preview options, and
    ``prior``/``options`` for the video method."""

    problem: InbetweenProblem
    method: str = "spline"
    seed: int = 0
    preview: PreviewOptions = field(default_factory=PreviewOptions)
    prior: str = ""
    options: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class TransitionResult:
    """``motion`` ``(T, J)`` with every frame filled (known frames exact); ``method`` used;
    ``keyframe_error`` the largest global joint position error at known frames divided by the
    character size (0 for exact methods); ``warnings``; ``timings_s`` per stage."""

    motion: Motion
    method: str
    keyframe_error: float
    warnings: tuple[str, ...] = ()
    timings_s: dict[str, float] = field(default_factory=dict)


# -- running --------------------------------------------------------------------------------


def available_methods(video_prior_ready: bool = False) -> tuple[str, ...]:
    """Methods this installation can run right now."""
    return CLASSICAL_METHODS + (VIDEO_METHODS if video_prior_ready else ())


def _noop(_: Event) -> None:
    pass


def run_transition(
    request: TransitionRequest,
    emit: Emit | None = None,
    cancel: CancelToken | None = None,
    render_preview: Callable[..., bytes] | None = None,
    priors=None,
) -> TransitionResult:
    """Run ``request``; see the module docstring. ``render_preview`` overrides the preview
    renderer (``(skeleton, motion, frame_index, options) -> bytes``); ``priors`` is the
    :class:`~anymole.video.registry.PriorRegistry` the ``anymole`` method draws its prior from."""
    emit = emit or _noop
    cancel = cancel or CancelToken()
    timings: dict[str, float] = {}
    problem = request.problem

    # 1. Check the method
    emit(StageEvent("validate"))
    if request.method in VIDEO_METHODS:
        from anymole.video.registry import PriorRegistry
        from anymole.video_transition import run_anymole

        return run_anymole(request, emit, cancel, priors if priors is not None else PriorRegistry(), render_preview)
    if request.method not in METHODS:
        raise ValidationError("options.method", f"unknown method {request.method!r}; available: {sorted(available_methods())}")
    cancel.check()
    torch.manual_seed(request.seed)

    # 2. In-between
    emit(StageEvent("inbetween"))
    emit(ProgressEvent(0.05, f"solving {len(problem.gaps())} gap(s) with {request.method}"))
    t0 = time.perf_counter()
    motion = METHODS[request.method](problem)
    timings["inbetween"] = time.perf_counter() - t0
    cancel.check()
    emit(ProgressEvent(0.5, "in-between solved"))

    # 3. Previews of the result, frame by frame over the gaps
    if request.preview.enabled:
        emit(StageEvent("preview"))
        t0 = time.perf_counter()
        emit_result_previews(problem, motion, request.preview, emit, cancel, render_preview)
        timings["preview"] = time.perf_counter() - t0

    # 4. Result
    err = keyframe_error(problem.skeleton, motion, problem.motion, problem.known)
    emit(ProgressEvent(1.0, "done"))
    return TransitionResult(motion=motion, method=request.method, keyframe_error=err, timings_s=timings)


def preview_frames(problem: InbetweenProblem, max_frames: int) -> list[int]:
    """Up to ``max_frames`` frame indices spread evenly over the unknown frames."""
    unknown = (~problem.known).nonzero().flatten().tolist()
    if not unknown or max_frames <= 0:
        return []
    if len(unknown) <= max_frames:
        return unknown
    step = len(unknown) / max_frames
    return [unknown[int(i * step)] for i in range(max_frames)]


def emit_result_previews(
    problem, motion, options, emit, cancel, render_preview=None, *, stage: str = "inbetween", band: tuple[float, float] = (0.5, 1.0),
) -> None:
    """Render and emit previews of ``motion`` at up to ``options.max_frames`` gap frames, with
    progress moving through ``band``."""
    if render_preview is None:
        from anymole.render.preview import render_preview
    frames = preview_frames(problem, options.max_frames)
    lo, hi = band
    for step, f in enumerate(frames):
        cancel.check()
        image = render_preview(problem.skeleton, motion, f, options)
        w, h = options.size
        emit(PreviewEvent(image, options.image_format, w, h, f, stage, step))
        emit(ProgressEvent(lo + (hi - lo) * (step + 1) / len(frames), f"preview {step + 1}/{len(frames)}"))
