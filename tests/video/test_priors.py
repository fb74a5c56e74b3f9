"""The video priors on tiny random pipelines: generation contract, previews, cancellation,
offline loading from saved folders, and ``loadable_priors``."""

from __future__ import annotations

import json

import pytest
import torch

from anymole.errors import UnsupportedError, ValidationError
from anymole.video.base import known_runs, padded_length, trimmed_length
from anymole.video.loading import PRIOR_NAMES, load_prior, loadable_priors
from anymole.video.ltx import LTXPrior
from anymole.video.tiny import TinyPrior, tiny_ltx_pipeline, tiny_wan_vace_pipeline
from anymole.video.wan_vace import WanVACEPrior


@pytest.fixture(scope="module")
def tiny_prior() -> TinyPrior:
    return TinyPrior(0)


@pytest.fixture(scope="module")
def ltx_prior() -> LTXPrior:
    return LTXPrior(tiny_ltx_pipeline(1), model_id="tiny-ltx")


@pytest.fixture(scope="module")
def wan_prior() -> WanVACEPrior:
    return WanVACEPrior(tiny_wan_vace_pipeline(0), model_id="tiny-wan")


def clip(num_frames: int, known_idx, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    frames = torch.rand(num_frames, 32, 32, 3, generator=g)
    known = torch.zeros(num_frames, dtype=torch.bool)
    known[list(known_idx)] = True
    frames[~known] = 0.5
    return frames, known


PRIORS = ["tiny_prior", "ltx_prior", "wan_prior"]


def test_frame_count_helpers():
    assert padded_length(17, 8) == 17 and padded_length(18, 8) == 25 and padded_length(1, 8) == 1
    assert trimmed_length(24, 8) == 17 and trimmed_length(8, 8) == 1 and trimmed_length(13, 4) == 13
    assert known_runs(torch.tensor([1, 1, 0, 1, 0, 0, 1], dtype=torch.bool)) == [(0, 2), (3, 4), (6, 7)]


@pytest.mark.parametrize("prior_name", PRIORS)
@pytest.mark.parametrize("num_frames", [17, 14])  # valid length and one that needs padding
def test_generate_contract(prior_name, num_frames, request):
    prior = request.getfixturevalue(prior_name)
    frames, known = clip(num_frames, [*range(9), num_frames - 1])
    out = prior.generate(frames, known, num_inference_steps=2, seed=3)
    assert out.shape == frames.shape and out.dtype == torch.float32
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    assert torch.equal(out[known], frames[known])
    # generated frames are not the grey input
    assert not torch.allclose(out[~known], frames[~known])
    again = prior.generate(frames, known, num_inference_steps=2, seed=3)
    assert torch.equal(out, again)


def test_ltx_conditions_layout(ltx_prior):
    frames, known = clip(25, [*range(11), 14, 24])
    conds = ltx_prior.build_conditions(frames, known)
    kinds = [("video" if c.video is not None else "image", c.frame_index) for c in conds]
    # run 0..10 (11 frames) -> 9-frame video at 0 + images 9, 10; isolated 14 and 24 -> images
    assert kinds == [("video", 0), ("image", 9), ("image", 10), ("image", 14), ("image", 24)]
    assert conds[0].video.shape == (9, 3, 32, 32)


def test_wan_video_and_mask():
    frames, known = clip(5, [0, 4])
    video, mask = WanVACEPrior.video_and_mask(frames, known)
    assert video.shape == mask.shape == (5, 3, 32, 32)
    assert torch.all(mask[0] == 0) and torch.all(mask[4] == 0) and torch.all(mask[1:4] == 1)
    assert torch.all(video[2] == 0.5) and torch.equal(video[0], frames[0].permute(2, 0, 1))


@pytest.mark.parametrize("prior_name", PRIORS)
def test_previews_during_denoising(prior_name, request):
    prior = request.getfixturevalue(prior_name)
    frames, known = clip(17, [*range(9), 16])
    seen = []
    prior.generate(
        frames, known, num_inference_steps=4, preview_every=2, on_preview=lambda step, f: seen.append((step, f))
    )
    assert [s for s, _ in seen] == [2, 4]
    for _, f in seen:
        assert f.shape == frames.shape
        assert float(f.min()) >= 0.0 and float(f.max()) <= 1.0
        assert torch.equal(f[known], frames[known])


class Cancelled(Exception):
    pass


@pytest.mark.parametrize("prior_name", PRIORS)
def test_cancel_aborts_after_first_step(prior_name, request):
    prior = request.getfixturevalue(prior_name)
    frames, known = clip(17, range(9))
    calls = []

    def check_cancel():
        calls.append(1)
        raise Cancelled()

    steps_seen = []
    with pytest.raises(Cancelled):
        prior.generate(
            frames,
            known,
            num_inference_steps=4,
            preview_every=1,
            on_preview=lambda s, f: steps_seen.append(s),
            check_cancel=check_cancel,
        )
    assert len(calls) == 1 and steps_seen == []
    # the prior still works afterwards (hooks removed)
    out = prior.generate(frames, known, num_inference_steps=2)
    assert torch.equal(out[known], frames[known])


def test_tiny_is_placeholder_and_fast(tiny_prior):
    import time

    assert tiny_prior.name == "tiny" and tiny_prior.placeholder and tiny_prior.identity() == "tiny:0"
    frames, known = clip(17, [*range(9), 16])
    start = time.perf_counter()
    tiny_prior.generate(frames, known, num_inference_steps=3)
    assert time.perf_counter() - start < 1.0


def test_generate_validates(tiny_prior):
    frames, known = clip(17, range(9))
    with pytest.raises(ValidationError):
        tiny_prior.generate(frames, torch.zeros(17, dtype=torch.bool))
    with pytest.raises(ValidationError):
        tiny_prior.generate(frames[:, :20, :20], known)  # not a multiple of the VAE factor
    with pytest.raises(ValidationError):
        tiny_prior.generate(frames * 2.0, known)


# ------------------------------------------------------------------------------- loading


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    tiny_ltx_pipeline(5).save_pretrained(root / "ltx")
    tiny_wan_vace_pipeline(5).save_pretrained(root / "wan")
    return root


@pytest.mark.parametrize("name,folder,cls", [("ltx", "ltx", LTXPrior), ("wan-vace", "wan", WanVACEPrior)])
def test_load_prior_from_folder(saved_models, name, folder, cls):
    prior = load_prior(name, str(saved_models / folder))
    assert isinstance(prior, cls) and prior.name == name and not prior.placeholder
    assert str(saved_models / folder) in prior.identity()
    frames, known = clip(17, [*range(9), 16])
    out = prior.generate(frames, known, num_inference_steps=2)
    assert out.shape == frames.shape and torch.equal(out[known], frames[known])


def test_loaded_pipeline_matches_original(saved_models, tmp_path):
    pipe = tiny_ltx_pipeline(7)
    pipe.save_pretrained(tmp_path / "m")
    frames, known = clip(17, range(9))
    a = LTXPrior(pipe).generate(frames, known, num_inference_steps=2)
    b = load_prior("ltx", str(tmp_path / "m")).generate(frames, known, num_inference_steps=2)
    assert torch.allclose(a, b, atol=1e-5)


def test_load_prior_errors(tmp_path):
    with pytest.raises(UnsupportedError, match="--video-model ltx="):
        load_prior("ltx", str(tmp_path / "missing"))
    with pytest.raises(UnsupportedError, match="--video-model wan-vace="):
        load_prior("wan-vace", None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnsupportedError, match="model_index.json"):
        load_prior("ltx", str(tmp_path / "empty"))
    with pytest.raises(UnsupportedError, match="unknown video prior"):
        load_prior("sora", str(tmp_path))
    # a repo id that is not in the (offline) cache
    with pytest.raises(UnsupportedError, match="--video-model ltx="):
        load_prior("ltx", "nobody-anymole-test/not-a-model")


def test_load_tiny_needs_no_path():
    prior = load_prior("tiny", None)
    assert prior.name == "tiny" and prior.placeholder
    assert set(PRIOR_NAMES) == {"ltx", "wan-vace", "tiny"}


def test_loadable_priors(tmp_path):
    (tmp_path / "ltx").mkdir()
    (tmp_path / "ltx" / "model_index.json").write_text(json.dumps({"_class_name": "LTXConditionPipeline"}))
    (tmp_path / "wan").mkdir()  # no model_index.json
    configured = {"ltx": str(tmp_path / "ltx"), "wan-vace": str(tmp_path / "wan")}
    assert loadable_priors(configured) == {"ltx": ""}
    assert loadable_priors({"wan-vace": str(tmp_path / "nope")}) == {}
    assert loadable_priors({**configured, "tiny": ""}) == {"ltx": "", "tiny": ""}
    assert "tiny" not in loadable_priors({})
