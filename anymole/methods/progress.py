"""Progress that never goes backwards, and rate gates for previews.

:class:`ProgressReporter` maps a stage's own fraction onto its band of the method's progress
plan (:mod:`anymole.methods.catalogue`), combines concurrent stages (their mean, so either one
moving moves the bar) and never emits a fraction below the last one.
"""

from __future__ import annotations

import threading
import time

from anymole.job import Emit, ProgressEvent
from anymole.methods.catalogue import PARALLEL, MethodSpec


class ProgressReporter:
    """Thread-safe; ``report(stage, done, message)`` with ``done`` in [0, 1] of that stage."""

    def __init__(self, spec: MethodSpec, emit: Emit):
        self._spec, self._emit = spec, emit
        self._lock = threading.Lock()
        self._last = 0.0
        self._parts: dict[str, float] = {}
        self._group_of = {member: group for group, members in PARALLEL.items() for member in members}

    @property
    def fraction(self) -> float:
        return self._last

    def report(self, stage: str, done: float, message: str = "") -> None:
        done = min(max(float(done), 0.0), 1.0)
        with self._lock:
            group = self._group_of.get(stage)
            if group is not None and any(name == group for name, _ in self._spec.plan):
                self._parts[stage] = max(self._parts.get(stage, 0.0), done)
                members = PARALLEL[group]
                done = sum(self._parts.get(m, 0.0) for m in members) / len(members)
                stage = group
            lo, hi = self._spec.band(stage)
            value = max(self._last, lo + (hi - lo) * done)
            self._last = value
            self._emit(ProgressEvent(value, message))


class RateGate:
    """At most ``rate_hz`` openings per second (0: always open); ``force`` opens regardless.
    Used so a method does not render or pack what the caller would drop."""

    def __init__(self, rate_hz: float):
        self._period = 1.0 / rate_hz if rate_hz and rate_hz > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def open(self, force: bool = False) -> bool:
        now = time.monotonic()
        with self._lock:
            if force or self._period == 0.0 or now >= self._next:
                self._next = now + self._period
                return True
            return False
