"""ICAdapt on the tiny priors: training changes the LoRA, adapters are cached by content and
reproduce the same generation when loaded back."""

from __future__ import annotations

import time

import pytest
import torch

from anymole.errors import ValidationError
from anymole.video.adapt import AdaptConfig, AdapterCache, adapt, adapter_key, sample_clip
from anymole.video.tiny import TinyPrior, tiny_wan_vace_pipeline
from anymole.video.wan_vace import WanVACEPrior

CONFIG = AdaptConfig(steps=4, lr=1e-2, rank=4, clip_frames=9, seed=0)


def renders(seed: int = 0) -> torch.Tensor:
    """Two views of 20 smooth-ish frames ``(V, T, H, W, 3)``."""
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(2, 1, 32, 32, 3, generator=g)
    drift = torch.linspace(0, 0.3, 20)[None, :, None, None, None]
    return (base * 0.7 + drift).clamp(0, 1)


def probe() -> tuple[torch.Tensor, torch.Tensor]:
    frames = renders(9)[0, :17]
    known = torch.zeros(17, dtype=torch.bool)
    known[:9] = True
    known[16] = True
    return frames, known


def lora_params(prior) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in prior.adapter_modules().named_parameters() if "lora_" in n}


def test_adapt_trains_and_caches(tmp_path):
    prior = TinyPrior(0)
    cache = AdapterCache(tmp_path / "adapters")
    ctx = renders()
    key = adapter_key(prior.identity(), b"character-file", ctx, "a walk", CONFIG)
    frames, known = probe()
    before = prior.generate(frames, known, num_inference_steps=2, guidance_scale=1.0)

    # 1. Train; capture the LoRA weights after the first step through the progress hook.
    initial = {}
    losses = []

    def progress(step, total, loss):
        if step == 1:
            initial.update(lora_params(prior))
        losses.append((step, total, loss))

    start = time.perf_counter()
    result = adapt(prior, ctx, prompt="a walk", config=CONFIG, cache=cache, key=key, progress=progress)
    trained_s = time.perf_counter() - start
    assert not result.cache_hit and result.steps_run == CONFIG.steps
    assert result.final_loss is not None and torch.isfinite(torch.tensor(result.final_loss))
    assert [s for s, _, _ in losses] == [1, 2, 3, 4] and all(t == 4 for _, t, _ in losses)
    assert result.path == cache.path(key) and result.path.is_file() and result.path.stat().st_size > 0
    trained = lora_params(prior)
    assert trained and set(trained) == set(initial)
    assert any(not torch.equal(trained[n], initial[n]) for n in trained)
    # LoRA B starts at zero (a no-op adapter); training made it non-zero
    assert any(bool(p.abs().sum() > 0) for n, p in trained.items() if "lora_B" in n)
    # base weights untouched, only LoRA trainable during training
    after = prior.generate(frames, known, num_inference_steps=2, guidance_scale=1.0)
    assert not torch.allclose(after, before)
    assert torch.equal(after[known], frames[known])

    # 2. Loaded back on a fresh prior, the adapter reproduces the same generation.
    fresh = TinyPrior(0)
    start = time.perf_counter()
    hit = adapt(fresh, ctx, prompt="a walk", config=CONFIG, cache=cache, key=key)
    hit_s = time.perf_counter() - start
    assert hit.cache_hit and hit.steps_run == 0 and hit.path == result.path
    assert hit.final_loss == pytest.approx(result.final_loss)
    assert hit_s < trained_s
    reloaded = fresh.generate(frames, known, num_inference_steps=2, guidance_scale=1.0)
    assert torch.allclose(reloaded, after, atol=1e-5)

    # 3. Unloading restores the base prior.
    fresh.unload_adapter()
    assert torch.allclose(fresh.generate(frames, known, num_inference_steps=2, guidance_scale=1.0), before, atol=1e-6)


def test_adapter_key_is_content_hash():
    ctx = renders()
    key = adapter_key("tiny:0", b"char", ctx, "p", CONFIG)
    assert key == adapter_key("tiny:0", b"char", ctx.clone(), "p", CONFIG) and len(key) == 64
    other_ctx = ctx.clone()
    other_ctx[0, 3, 5, 5, 0] += 0.01
    assert adapter_key("tiny:0", b"char", other_ctx, "p", CONFIG) != key
    assert adapter_key("tiny:1", b"char", ctx, "p", CONFIG) != key
    assert adapter_key("tiny:0", b"char2", ctx, "p", CONFIG) != key
    assert adapter_key("tiny:0", b"char", ctx, "q", CONFIG) != key
    assert adapter_key("tiny:0", b"char", ctx, "p", AdaptConfig(steps=5, lr=1e-2, rank=4, clip_frames=9)) != key


def test_sample_clip_strides():
    ctx = torch.arange(20, dtype=torch.float32)[None, :, None, None, None].expand(2, 20, 1, 1, 3)
    g = torch.Generator().manual_seed(0)
    for stride in (3, 2, 1):
        c = sample_clip(ctx, 9, stride, g)
        idx = c[:, 0, 0, 0]
        assert torch.all(idx.diff() == stride)
        assert len(idx) == min(9, (20 - 1) // stride + 1)


def test_cancel_removes_partial_adapter():
    prior = TinyPrior(0)

    class Stop(Exception):
        pass

    calls = []

    def check_cancel():
        calls.append(1)
        if len(calls) == 2:
            raise Stop()

    with pytest.raises(Stop):
        adapt(prior, renders(), config=CONFIG, check_cancel=check_cancel)
    assert not prior.has_adapter() and lora_params(prior) == {}


def test_config_validation():
    with pytest.raises(ValidationError):
        AdaptConfig(rank=0)
    with pytest.raises(ValidationError):
        AdaptConfig(fps_strides=())
    with pytest.raises(ValidationError):
        adapt(TinyPrior(0), torch.rand(20, 32, 32, 3), config=CONFIG)


def test_adapt_wan_vace(tmp_path):
    prior = WanVACEPrior(tiny_wan_vace_pipeline(0))
    result = adapt(prior, renders(), config=AdaptConfig(steps=2, lr=1e-2, rank=2, clip_frames=9))
    assert result.path.is_file() and torch.isfinite(torch.tensor(result.final_loss))
    frames, known = probe()
    a = prior.generate(frames, known, num_inference_steps=2)
    prior.load_adapter(result.path)
    assert torch.allclose(prior.generate(frames, known, num_inference_steps=2), a, atol=1e-5)


def test_adapter_cache_evicts_the_least_recently_used(tmp_path):
    import os
    import time

    from anymole.video.adapt import AdapterCache

    cache = AdapterCache(tmp_path, max_entries=2)
    for i, key in enumerate(("a", "b", "c")):
        cache.path(key).parent.mkdir(parents=True, exist_ok=True)
        cache.path(key).write_bytes(b"x")
        cache.write_info(key, {"i": i})
        os.utime(cache.path(key), (time.time() - 100 + i, time.time() - 100 + i))
    cache.touch("a")  # used just now: it stays
    assert sorted(cache.evict()) == ["b"]
    assert cache.has("a") and cache.has("c") and not cache.has("b") and not cache.info_path("b").exists()
    assert AdapterCache(tmp_path).evict() == []  # no bound: nothing goes
