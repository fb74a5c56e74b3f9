"""The ``anymole`` method in-process with the ``tiny`` prior (random weights built in code):
stage order, previews while generating, exact keyframes, the adapter cache, cancellation,
configuration errors, and ``anymole bench pipeline``."""

from __future__ import annotations

import argparse
import json
import threading

import pytest
import torch

from anymole.bench import pipeline as bench_pipeline
from anymole.errors import UnsupportedError, ValidationError
from anymole.inbetween import InbetweenProblem
from anymole.pipeline import Cancelled, CancelToken, LogEvent, PreviewEvent, PreviewOptions, StageEvent, TransitionRequest, run_transition
from anymole.testing.procedural import make_character
from anymole.video.registry import PriorRegistry, parse_video_models
from anymole.methods.video import VideoMethodConfig


@pytest.fixture(scope="module")
def problem() -> InbetweenProblem:
    sk, motion = make_character("bird", num_frames=30)
    known = torch.zeros(30, dtype=torch.bool)
    known[:14] = True
    known[[21, 29]] = True  # two keyframes, two gaps
    return InbetweenProblem(sk, motion, known)


@pytest.fixture
def registry(tmp_path) -> PriorRegistry:
    return PriorRegistry({"tiny": ""}, adapter_cache=tmp_path / "adapters")


def _request(problem, **kw):
    return TransitionRequest(problem, method="anymole", preview=PreviewOptions(size=(32, 32), max_frames=3), **kw)


def test_stages_previews_exact_keyframes_and_adapter_cache(problem, registry):
    first = []
    result = run_transition(_request(problem), first.append, priors=registry)
    stages = [e.stage for e in first if isinstance(e, StageEvent)]
    # adapt and estimator run concurrently, so their order may vary.
    assert set(stages) == {"validate", "render", "adapt", "estimator", "generate", "mimic", "preview"} and len(stages) == 7
    assert stages[:2] == ["validate", "render"] and stages[4:] == ["generate", "mimic", "preview"]
    gen = [i for i, e in enumerate(first) if isinstance(e, PreviewEvent) and e.stage.startswith("generate")]
    mimic_at = next(i for i, e in enumerate(first) if isinstance(e, StageEvent) and e.stage == "mimic")
    assert gen and max(gen) < mimic_at
    assert {first[i].stage for i in gen} >= {"generate:fine", "generate:final"}
    k = problem.known
    assert torch.equal(result.motion.rotations[k], problem.motion.rotations[k])
    assert torch.equal(result.motion.translations[k], problem.motion.translations[k])
    assert result.motion.rotations.shape == problem.motion.rotations.shape
    assert torch.isfinite(result.motion.rotations).all()
    assert result.method == "anymole" and any("plumbing test" in w for w in result.warnings)
    assert not any(isinstance(e, LogEvent) and "cache" in e.message for e in first)

    # The same scene again: the adapter comes from the cache and no ICAdapt step runs.
    second = []
    run_transition(_request(problem), second.append, priors=registry)
    assert any(isinstance(e, LogEvent) and "found in the cache" in e.message for e in second)
    assert not any("ICAdapt step" in getattr(e, "message", "") for e in second)
    assert len(list(registry.adapter_cache.glob("*.safetensors"))) == 1
    # The shared prior is left without the scene's LoRA for the next transition.
    assert not registry.get("tiny").has_adapter()


def test_cancel_during_generation(problem, registry):
    token = CancelToken()
    events = []

    def emit(event):
        events.append(event)
        if isinstance(event, PreviewEvent) and event.stage.startswith("generate"):
            token.cancel()

    with pytest.raises(Cancelled):
        run_transition(_request(problem), emit, token, priors=registry)
    assert not any(isinstance(e, StageEvent) and e.stage == "mimic" for e in events)
    assert not registry.get("tiny").has_adapter()


def test_cancel_during_adaptation_stops_the_estimator_too(problem, registry):
    token = CancelToken()
    timer = threading.Timer(0.05, token.cancel)
    timer.start()
    with pytest.raises(Cancelled):
        run_transition(_request(problem, options={"adapt_steps": 500, "estimator_steps": 5000}), None, token, priors=registry)
    timer.cancel()


def test_no_prior_says_how_to_configure_one(problem):
    with pytest.raises(UnsupportedError, match="--video-model"):
        run_transition(_request(problem), priors=PriorRegistry({}))
    with pytest.raises(UnsupportedError, match="not configured"):
        run_transition(_request(problem, prior="ltx"), priors=PriorRegistry({"tiny": ""}))


def test_options_and_model_flags_are_checked(registry):
    prior = registry.get("tiny")
    c = VideoMethodConfig.for_prior(prior, {"image_height": 96, "image_width": 64, "denoise_steps": 3, "prompt": "a bird", "parallel_adaptation": False})
    assert c.image_size == (96, 64) and c.denoise_steps == 3 and c.prompt == "a bird" and c.parallel is False
    with pytest.raises(ValidationError, match="unknown option"):
        VideoMethodConfig.for_prior(prior, {"colour": 1})
    with pytest.raises(ValidationError, match=r"options\.anymole\.image_width: image_width must be >= 32"):
        VideoMethodConfig.for_prior(prior, {"image_width": 8})
    assert parse_video_models(["ltx=/m/ltx", "tiny"]) == {"ltx": "/m/ltx", "tiny": ""}
    for bad, problem_text in (["sora=/x"], "unknown prior"), (["ltx"], "ltx=PATH"), (["tiny", "tiny"], "twice"):
        with pytest.raises(ValidationError, match=problem_text):
            parse_video_models(bad)
    assert PriorRegistry({"ltx": "/no/such/folder"}).names() == ()


def test_bench_pipeline_reports_stages_and_a_cache_hit(problem, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_pipeline, "sample_problem", lambda: problem)
    parser = argparse.ArgumentParser()
    bench_pipeline.add_arguments(parser)
    out = tmp_path / "bench.json"
    assert bench_pipeline.run(parser.parse_args(["--prior", "tiny", "--json", str(out)])) == 0
    report = json.loads(out.read_text())
    assert set(report["stages"]) == {"render", "adapt", "estimator", "generate", "mimic"}
    assert all(v > 0 for v in report["stages"].values())
    assert report["previews"] > 0 and report["placeholder"] is True
    assert report["adapter_cache_hit_speedup"] > 1
    assert "speedup" in capsys.readouterr().out
    with pytest.raises(ValidationError, match="video-model"):
        bench_pipeline.run(parser.parse_args(["--prior", "ltx"]))
