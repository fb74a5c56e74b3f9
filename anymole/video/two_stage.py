"""Two-stage generation over any :class:`~anymole.video.base.VideoPrior` (AnyMoLe, sec. 3).

Stage 1 (``"coarse"``) generates a sparse clip: the known frames, subsampled at ``coarse_stride``
in long known runs (context), plus every ``coarse_stride``-th frame of each gap, counted from
the gap's left known frame (from its right one for a leading gap), e.g. 5 fps over a 30 fps
clip with ``coarse_stride=6``. Stage 2 (``"fine"``) generates the full-rate clip with the
known and the coarse frames all held, so it only fills the frames in between.

Shapes: frames ``(T, H, W, 3)`` float in ``[0, 1]``, known ``(T,)`` bool. Any number of
keyframes and gaps; known frames are returned exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from anymole.errors import ValidationError
from anymole.video.base import DEFAULT_PROMPT, CancelFn, VideoPrior, known_runs, validate_clip

StagePreviewFn = Callable[[str, int, Tensor], None]
"""``(stage, step, frames (T, H, W, 3))`` with ``stage`` in ``{"coarse", "fine"}``."""

FrameFn = Callable[[int, Tensor], None]
"""``(frame_index, frame (H, W, 3))``, called once per generated frame when it is final."""


def coarse_indices(known: Tensor, coarse_stride: int) -> list[int]:
    """Sorted frame indices of the stage-1 clip for ``known (T,)`` (see module docstring)."""
    if coarse_stride < 1:
        raise ValidationError("coarse_stride", "must be >= 1")
    t = int(known.shape[0])
    runs = known_runs(known)
    chosen: set[int] = set()
    for n, (start, stop) in enumerate(runs):
        if n == 0:  # the leading run (context): aligned to its last frame, next to the first gap
            chosen.update(range(stop - 1, start - 1, -coarse_stride))
        else:  # later runs: aligned to their first frame, plus their last one
            chosen.update(range(start, stop, coarse_stride))
            chosen.add(stop - 1)
    # gaps
    bounds = [(None, runs[0][0])] if runs[0][0] > 0 else []
    bounds += [(runs[i][1] - 1, runs[i + 1][0]) for i in range(len(runs) - 1)]
    if runs[-1][1] < t:
        bounds.append((runs[-1][1] - 1, None))
    for left, right in bounds:
        if left is not None:
            end = right if right is not None else t
            chosen.update(range(left + coarse_stride, end, coarse_stride))
        else:
            chosen.update(range(right - coarse_stride, -1, -coarse_stride))
    return sorted(chosen)


def _spread(sparse: Tensor, indices: list[int], t: int) -> Tensor:
    """Nearest-in-time fill of a full ``(t, H, W, 3)`` clip from ``sparse (len(indices), H, W, 3)``."""
    idx = torch.tensor(indices, dtype=torch.float32)
    nearest = (torch.arange(t, dtype=torch.float32)[:, None] - idx[None]).abs().argmin(dim=1)
    return sparse[nearest]


def generate_two_stage(
    prior: VideoPrior,
    frames: Tensor,
    known: Tensor,
    *,
    keyframe_spacing: int,
    coarse_stride: int,
    prompt: str = DEFAULT_PROMPT,
    steps: int = 30,
    seed: int = 0,
    guidance_scale: float = 3.0,
    preview_every: int = 2,
    on_preview: StagePreviewFn | None = None,
    on_frame: FrameFn | None = None,
    check_cancel: CancelFn | None = None,
) -> Tensor:
    """Fill the unknown frames of ``frames (T, H, W, 3)`` in two stages; returns ``(T, H, W, 3)``.

    Args:
        prior: the video prior (with its ICAdapt LoRA loaded, if any).
        frames, known: the clip and its ``(T,)`` known mask (context frames and keyframes).
        keyframe_spacing: frames between consecutive keyframes as laid out by the caller; must be
            ``>= 1``. When ``coarse_stride >= keyframe_spacing`` there is nothing for the coarse
            stage to add between keyframes and stage 1 is skipped.
        coarse_stride: stage-1 frame stride (30 fps / 5 fps = 6 in the paper).
        prompt, steps, seed, guidance_scale, preview_every: passed to ``prior.generate``
            (stage 2 uses ``seed + 1``).
        on_preview: ``(stage, step, frames (T, H, W, 3))``; coarse-stage previews are spread to
            the full ``T`` frames by nearest-in-time fill, known frames exact.
        on_frame: ``(index, frame (H, W, 3))`` for every generated frame once final (coarse
            frames after stage 1, the others after stage 2).
        check_cancel: raises to abort; called every denoising step and between stages.
    """
    frames, known = validate_clip(frames, known)
    if keyframe_spacing < 1:
        raise ValidationError("keyframe_spacing", "must be >= 1")
    if coarse_stride < 1:
        raise ValidationError("coarse_stride", "must be >= 1")
    t = int(frames.shape[0])
    work = frames.clone()
    held = known.clone()

    # 1. Coarse stage: a sparse clip at 1/coarse_stride of the frame rate.
    indices = coarse_indices(known, coarse_stride)
    sub_known = known[indices]
    if coarse_stride < keyframe_spacing and not bool(sub_known.all()):

        def coarse_preview(step: int, sparse: Tensor) -> None:
            full = _spread(sparse, indices, t)
            full[known] = frames[known]
            on_preview("coarse", step, full)

        sparse = prior.generate(
            frames[indices],
            sub_known,
            prompt=prompt,
            num_inference_steps=steps,
            guidance_scale=guidance_scale,
            seed=seed,
            on_preview=coarse_preview if on_preview is not None else None,
            preview_every=preview_every,
            check_cancel=check_cancel,
        )
        new = [i for i, k in zip(indices, sub_known.tolist()) if not k]
        work[indices] = sparse
        work[known] = frames[known]
        held[new] = True
        if on_frame is not None:
            for i in new:
                on_frame(i, work[i])
        if check_cancel is not None:
            check_cancel()

    # 2. Fine stage: every remaining frame, with known and coarse frames held.
    if not bool(held.all()):
        fine_preview = None
        if on_preview is not None:

            def fine_preview(step: int, full: Tensor) -> None:
                on_preview("fine", step, full)

        out = prior.generate(
            work,
            held,
            prompt=prompt,
            num_inference_steps=steps,
            guidance_scale=guidance_scale,
            seed=seed + 1,
            on_preview=fine_preview,
            preview_every=preview_every,
            check_cancel=check_cancel,
        )
        remaining = (~held).nonzero().flatten().tolist()
        work[remaining] = out[remaining]
        if on_frame is not None:
            for i in remaining:
                on_frame(i, work[i])
    work[known] = frames[known]
    return work
