"""What a method runner is handed besides its request: where events go, the cancel token, the
progress plan, the preview renderer and rate gates, and the video priors."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anymole.job import CancelToken, Emit, Event, LogEvent, PoseEvent, StageEvent, TransitionRequest
from anymole.methods.catalogue import MethodSpec
from anymole.methods.progress import ProgressReporter, RateGate


@dataclass
class RunContext:
    """``emit`` is made thread-safe (a runner may report from a second thread). ``priors`` is
    the :class:`~anymole.video.registry.PriorRegistry` video methods draw from;
    ``render_preview`` overrides the preview renderer (``(skeleton, motion, frame_index,
    options) -> bytes``). ``slot`` is the executor's compute slot (a context manager such as a
    semaphore, or None): runners hold it around heavy work — rendering a preview image — so
    that light work (solving a classical transition, sending its pose) never queues behind
    other jobs' renders. ``artefacts_dir``: where a method writes large outputs (a shared
    folder on a cluster) instead of sending them anywhere; only their paths are reported."""

    spec: MethodSpec
    request: TransitionRequest
    emit: Emit
    cancel: CancelToken = field(default_factory=CancelToken)
    render_preview: Callable[..., bytes] | None = None
    priors: Any = None
    slot: Any = None
    artefacts_dir: Any = None  # a folder for large outputs (the generated video), or None

    def __post_init__(self) -> None:
        raw, lock = self.emit, threading.Lock()

        def emit(event: Event) -> None:
            with lock:
                raw(event)

        self.emit = emit
        self.progress = ProgressReporter(self.spec, emit)
        p = self.request.preview
        self.image_gate = RateGate(p.max_rate_hz)
        self.pose_gate = RateGate(p.pose_rate_hz)

    def heavy(self):
        """The compute slot as a context manager (a no-op without one)."""
        return self.slot if self.slot is not None else contextlib.nullcontext()

    def stage(self, name: str) -> None:
        self.emit(StageEvent(name))

    def log(self, level: str, message: str) -> None:
        self.emit(LogEvent(level, message))

    def pose(self, motion_or_factory, stage: str, step: int = 0, *, final: bool = False, stage_end: bool = False) -> bool:
        """Emit a :class:`PoseEvent` when pose previews are on and the rate gate lets it
        through (``final`` and ``stage_end`` poses always go out). ``motion_or_factory`` may be
        a zero-argument callable, called only when the pose is sent. Returns whether it was."""
        if not self.request.preview.poses or not self.pose_gate.open(force=final or stage_end):
            return False
        motion = motion_or_factory() if callable(motion_or_factory) else motion_or_factory
        self.emit(PoseEvent(motion, stage, step, final))
        return True
