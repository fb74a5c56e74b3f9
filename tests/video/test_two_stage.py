"""Two-stage (coarse then fine) generation over the tiny prior."""

from __future__ import annotations

import pytest
import torch

from anymole.errors import ValidationError
from anymole.video.base import DEFAULT_PROMPT, VideoPrior
from anymole.video.tiny import TinyPrior
from anymole.video.two_stage import coarse_indices, generate_two_stage


@pytest.fixture(scope="module")
def prior() -> TinyPrior:
    return TinyPrior(0)


def layout(num_frames: int, context: int, keyframes: list[int], seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    frames = torch.rand(num_frames, 32, 32, 3, generator=g)
    known = torch.zeros(num_frames, dtype=torch.bool)
    known[:context] = True
    known[keyframes] = True
    frames[~known] = 0.5
    return frames, known


class Recorder(VideoPrior):
    """Wraps a prior and records what each ``generate`` call was given."""

    def __init__(self, inner: VideoPrior):
        self.inner, self.name, self.calls = inner, inner.name, []

    def identity(self):
        return self.inner.identity()

    def generate(self, frames, known, **kwargs):
        self.calls.append((frames.clone(), known.clone()))
        return self.inner.generate(frames, known, **kwargs)

    def adapter_modules(self):
        return self.inner.adapter_modules()

    def load_adapter(self, path):
        self.inner.load_adapter(path)

    def unload_adapter(self):
        self.inner.unload_adapter()

    def training_step_loss(self, clip, prompt=DEFAULT_PROMPT, generator=None):
        return self.inner.training_step_loss(clip, prompt, generator)


def test_coarse_indices():
    known = torch.zeros(40, dtype=torch.bool)
    known[:10] = True
    known[22] = True
    known[34] = True
    # context aligned to its last frame (9), gaps stepped from their left known frame, keyframes kept
    assert coarse_indices(known, 3) == [0, 3, 6, 9, 12, 15, 18, 21, 22, 25, 28, 31, 34, 37]
    known = torch.zeros(20, dtype=torch.bool)
    known[5] = True
    known[15:] = True
    assert coarse_indices(known, 4) == [1, 5, 9, 13, 15, 19]
    with pytest.raises(ValidationError):
        coarse_indices(known, 0)


def test_two_keyframe_gaps(prior):
    frames, known = layout(40, 10, [22, 34])
    rec = Recorder(prior)
    previews, finished = [], []
    out = generate_two_stage(
        rec,
        frames,
        known,
        keyframe_spacing=12,
        coarse_stride=3,
        steps=2,
        preview_every=1,
        on_preview=lambda stage, step, f: previews.append((stage, step, f)),
        on_frame=lambda i, f: finished.append((i, f)),
    )
    assert out.shape == frames.shape
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert torch.equal(out[known], frames[known])

    # stage 1 ran on the sparse clip, stage 2 on the full clip with coarse frames held
    (c_frames, c_known), (f_frames, f_known) = rec.calls
    idx = coarse_indices(known, 3)
    assert c_frames.shape[0] == len(idx) and torch.equal(c_known, known[idx])
    assert f_frames.shape[0] == 40 and torch.equal(f_known, known | torch.isin(torch.arange(40), torch.tensor(idx)))
    coarse_new = [i for i in idx if not known[i]]
    assert torch.equal(out[coarse_new], f_frames[coarse_new])  # coarse frames held exactly

    stages = {s for s, _, _ in previews}
    assert stages == {"coarse", "fine"}
    assert [s for s, _, _ in previews] == ["coarse", "coarse", "fine", "fine"]
    for _, _, f in previews:
        assert f.shape == frames.shape and torch.equal(f[known], frames[known])

    # every generated frame reported exactly once, coarse ones first, with its final value
    order = [i for i, _ in finished]
    assert sorted(order) == (~known).nonzero().flatten().tolist()
    assert set(order[: len(coarse_new)]) == set(coarse_new)
    for i, f in finished:
        assert torch.equal(f, out[i])


def test_trailing_gap_and_short_spacing(prior):
    # context then one keyframe then an open trailing gap; stride >= spacing skips stage 1
    frames, known = layout(20, 9, [13])
    rec = Recorder(prior)
    out = generate_two_stage(rec, frames, known, keyframe_spacing=4, coarse_stride=4, steps=2)
    assert len(rec.calls) == 1 and torch.equal(out[known], frames[known])
    rec.calls.clear()
    out = generate_two_stage(rec, frames, known, keyframe_spacing=8, coarse_stride=2, steps=2)
    assert len(rec.calls) == 2 and out.shape == frames.shape and torch.equal(out[known], frames[known])


def test_cancel_propagates(prior):
    frames, known = layout(33, 9, [20, 32])

    class Stop(Exception):
        pass

    def stop():
        raise Stop()

    with pytest.raises(Stop):
        generate_two_stage(prior, frames, known, keyframe_spacing=12, coarse_stride=3, steps=2, check_cancel=stop)


def test_validation(prior):
    frames, known = layout(20, 9, [19])
    with pytest.raises(ValidationError):
        generate_two_stage(prior, frames, known, keyframe_spacing=0, coarse_stride=3, steps=2)
    with pytest.raises(ValidationError):
        generate_two_stage(prior, frames, known, keyframe_spacing=10, coarse_stride=0, steps=2)
