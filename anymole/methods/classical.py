"""The runner of the classical methods (``spline``, ``interpolation``, ``zero_velocity``):
solve, send the result as the first pose preview, then image previews."""

from __future__ import annotations

import time

from anymole.job import TransitionRequest, TransitionResult
from anymole.methods.context import RunContext
from anymole.methods.previews import emit_result_previews


def run_classical(request: TransitionRequest, ctx: RunContext) -> TransitionResult:
    import torch

    from anymole.inbetween import METHODS
    from anymole.metrics import keyframe_error

    problem = request.problem
    timings: dict[str, float] = {}
    torch.manual_seed(request.seed)

    ctx.stage("inbetween")
    ctx.progress.report("inbetween", 0.1, f"solving {len(problem.gaps())} gap(s) with {request.method}")
    t0 = time.perf_counter()
    motion = METHODS[request.method](problem)
    timings["inbetween"] = time.perf_counter() - t0
    ctx.cancel.check()
    ctx.progress.report("inbetween", 1.0, "in-between solved")
    ctx.pose(motion, "inbetween", final=True)  # the result itself, before any image

    if request.preview.enabled:
        ctx.stage("preview")
        t0 = time.perf_counter()
        emit_result_previews(ctx, problem, motion, image_stage="inbetween")
        timings["preview"] = time.perf_counter() - t0
    err = keyframe_error(problem.skeleton, motion, problem.motion, problem.known)
    ctx.progress.report("preview", 1.0, "done")
    return TransitionResult(motion=motion, method=request.method, keyframe_error=err, timings_s=timings)
