"""The dispatcher: the one entry point the server, the CLI and the benchmarks call.

``run_transition`` takes a :class:`~anymole.job.TransitionRequest` (canonical frame, metres),
finds the method in the catalogue (:mod:`anymole.methods.catalogue`), and runs its runner with
a :class:`~anymole.methods.context.RunContext`: events go to ``emit`` (stage, progress that
never decreases, image and pose previews, logs) and ``cancel`` is checked between steps. The
result's known frames equal the request's exactly.

The job vocabulary lives in :mod:`anymole.job`; its names are re-exported here for callers
that import them with the dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable

from anymole.errors import ValidationError
from anymole.job import (
    Cancelled,
    CancelToken,
    Emit,
    Event,
    LogEvent,
    PoseEvent,
    PreviewEvent,
    PreviewOptions,
    ProgressEvent,
    StageEvent,
    TransitionRequest,
    TransitionResult,
    cancellable,
    ignore,
)
from anymole.methods.catalogue import CATALOGUE, CLASSICAL_METHODS, VIDEO_METHODS, available_methods
from anymole.methods.context import RunContext

__all__ = [
    "CLASSICAL_METHODS",
    "VIDEO_METHODS",
    "Cancelled",
    "CancelToken",
    "Emit",
    "Event",
    "LogEvent",
    "PoseEvent",
    "PreviewEvent",
    "PreviewOptions",
    "ProgressEvent",
    "StageEvent",
    "TransitionRequest",
    "TransitionResult",
    "available_methods",
    "run_transition",
]


def run_transition(
    request: TransitionRequest,
    emit: Emit | None = None,
    cancel: CancelToken | None = None,
    render_preview: Callable[..., bytes] | None = None,
    priors=None,
    slot=None,
    artefacts_dir=None,
) -> TransitionResult:
    """Run ``request``; see the module docstring. ``render_preview`` overrides the preview
    renderer (``(skeleton, motion, frame_index, options) -> bytes``); ``priors`` is the
    :class:`~anymole.video.registry.PriorRegistry` video methods draw their prior from (None:
    an empty one, so ``anymole`` is refused with how to configure a prior); ``slot`` the
    executor's compute slot and ``artefacts_dir`` a folder for large outputs (see
    :class:`~anymole.methods.context.RunContext`)."""
    spec = CATALOGUE.get(request.method)
    if spec is None:
        raise ValidationError("options.method", f"unknown method {request.method!r}; known: {list(CATALOGUE)}")
    ctx = RunContext(spec, request, emit or ignore, cancel or CancelToken(), render_preview, priors, slot, artefacts_dir)
    ctx.stage("validate")
    unknown = sorted(set(request.options) - {o.name for o in spec.options})
    if unknown:
        where = f"options.{spec.options_field}" if spec.options_field else "options"
        raise ValidationError(where, f"unknown option(s) {unknown} for method {spec.name!r}; known: {[o.name for o in spec.options]}")
    ctx.cancel.check()
    ctx.progress.report("validate", 1.0, "request accepted")
    with cancellable(ctx.cancel):  # deep loops (the rasteriser) check it too
        return spec.load_runner()(request, ctx)
