"""Preview images of a solved motion, frame by frame over the gaps."""

from __future__ import annotations

from anymole.job import PreviewEvent
from anymole.methods.context import RunContext


def preview_frames(problem, max_frames: int) -> list[int]:
    """Up to ``max_frames`` timeline frame indices spread evenly over the unknown frames."""
    unknown = (~problem.known).nonzero().flatten().tolist()
    if not unknown or max_frames <= 0:
        return []
    if len(unknown) <= max_frames:
        return unknown
    step = len(unknown) / max_frames
    return [unknown[int(i * step)] for i in range(max_frames)]


def emit_result_previews(ctx: RunContext, problem, motion, *, image_stage: str, progress_stage: str = "preview") -> None:
    """Render and emit images of ``motion`` at up to ``max_frames`` gap frames, reporting
    progress through ``progress_stage``. Frames the rate gate would drop are not rendered."""
    options = ctx.request.preview
    render_preview = ctx.render_preview
    if render_preview is None:
        from anymole.render.preview import render_preview
    frames = preview_frames(problem, options.max_frames)
    w, h = options.size
    for step, f in enumerate(frames):
        ctx.cancel.check()
        if ctx.image_gate.open(force=step == len(frames) - 1):
            with ctx.heavy():
                image = render_preview(problem.skeleton, motion, f, options)
            ctx.emit(PreviewEvent(image, options.image_format, w, h, f, image_stage, step))
        ctx.progress.report(progress_stage, (step + 1) / len(frames), f"preview {step + 1}/{len(frames)}")
