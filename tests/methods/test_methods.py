"""The method catalogue and its runners: every method's progress never decreases, its stages
arrive in catalogue order, and classical methods send the result as a pose before any image."""

from __future__ import annotations

import pytest
import torch

from anymole.errors import ValidationError
from anymole.inbetween import InbetweenProblem
from anymole.job import PoseEvent, PreviewEvent, PreviewOptions, ProgressEvent, StageEvent, TransitionRequest
from anymole.methods.catalogue import CATALOGUE, DEFAULT_METHOD, availability, available_methods
from anymole.methods.progress import ProgressReporter, RateGate
from anymole.pipeline import run_transition
from anymole.testing.procedural import make_character


@pytest.fixture(scope="module")
def problem() -> InbetweenProblem:
    sk, motion = make_character("bird", num_frames=30)
    known = torch.zeros(30, dtype=torch.bool)
    known[:14] = True
    known[[21, 29]] = True
    return InbetweenProblem(sk, motion, known)


def _run(problem, method, tmp_path, **kw):
    from anymole.video.registry import PriorRegistry

    events = []
    priors = PriorRegistry({"tiny": ""}, adapter_cache=tmp_path / "adapters") if CATALOGUE[method].needs_prior else None
    request = TransitionRequest(problem, method=method, preview=PreviewOptions(size=(32, 32), max_frames=3, **kw))
    result = run_transition(request, events.append, priors=priors)
    return result, events


@pytest.mark.parametrize("method", list(CATALOGUE))
def test_progress_never_decreases_and_stages_follow_the_catalogue(problem, method, tmp_path):
    result, events = _run(problem, method, tmp_path)
    fractions = [e.fraction for e in events if isinstance(e, ProgressEvent)]
    assert fractions and all(b >= a for a, b in zip(fractions, fractions[1:])), fractions
    assert fractions[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in fractions)
    stages = [e.stage for e in events if isinstance(e, StageEvent)]
    assert stages == list(CATALOGUE[method].stages)
    poses = [e for e in events if isinstance(e, PoseEvent)]
    assert poses and poses[-1].final and torch.equal(poses[-1].motion.rotations, result.motion.rotations)


@pytest.mark.parametrize("method", [m for m, s in CATALOGUE.items() if not s.needs_prior])
def test_classical_first_pose_before_first_image(problem, method, tmp_path):
    _, events = _run(problem, method, tmp_path)
    first_pose = next(i for i, e in enumerate(events) if isinstance(e, PoseEvent))
    first_image = next(i for i, e in enumerate(events) if isinstance(e, PreviewEvent))
    assert first_pose < first_image


def test_anymole_poses_while_mimicking_are_rate_limited(problem, tmp_path):
    _, fast = _run(problem, "anymole", tmp_path, pose_rate_hz=1000.0)
    _, off = _run(problem, "anymole", tmp_path, poses=False)
    mimic_poses = [e for e in fast if isinstance(e, PoseEvent) and e.stage == "mimic" and not e.final]
    assert mimic_poses and all(e.motion.rotations.shape == problem.motion.rotations.shape for e in mimic_poses)
    k = problem.known
    assert all(torch.equal(e.motion.rotations[k], problem.motion.rotations[k]) for e in mimic_poses)  # known frames exact
    assert not any(isinstance(e, PoseEvent) for e in off)


def test_catalogue_defaults_match_the_method_config():
    from anymole.methods.video import VideoMethodConfig

    c = VideoMethodConfig()
    spec = CATALOGUE["anymole"]
    got = {o.name: o.default for o in spec.options}
    assert (got["adapt_steps"], got["denoise_steps"], got["estimator_steps"], got["mimic_iterations"], got["parallel_adaptation"]) == (
        c.adapt.steps, c.denoise_steps, c.estimator.steps, c.mimic.iterations, c.parallel)
    assert (got["image_height"], got["image_width"]) == c.image_size


def test_availability_and_default():
    assert DEFAULT_METHOD == "spline" and availability("spline") == (True, "")
    runnable, reason = availability("anymole")
    assert not runnable and "--video-model" in reason
    assert "anymole" not in available_methods() and "anymole" in available_methods(True)


def test_unknown_method_and_options_are_refused(problem):
    with pytest.raises(ValidationError, match="unknown method"):
        run_transition(TransitionRequest(problem, method="warp"))
    with pytest.raises(ValidationError, match=r"options: unknown option"):
        run_transition(TransitionRequest(problem, method="spline", options={"denoise_steps": 3}))


def test_progress_reporter_combines_concurrent_stages():
    out = []
    r = ProgressReporter(CATALOGUE["anymole"], out.append)
    r.report("render", 1.0)
    r.report("adapt", 1.0)  # adapt done, estimator not started: half the shared band
    r.report("estimator", 0.2)
    r.report("adapt", 0.1)  # a late, lower report from the other thread never moves back
    lo, hi = CATALOGUE["anymole"].band("adapt+estimator")
    assert [round(e.fraction, 6) for e in out] == [0.05, round(lo + (hi - lo) * 0.5, 6), round(lo + (hi - lo) * 0.6, 6), round(lo + (hi - lo) * 0.6, 6)]


def test_rate_gate():
    gate = RateGate(1.0)
    assert gate.open() and not gate.open() and gate.open(force=True)
    assert all(RateGate(0).open() for _ in range(5))
