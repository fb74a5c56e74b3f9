"""`anymole bench mimic` end to end on a procedural BVH (tiny renders and training; the quality
target is measured on the real corpus by the benchmark itself, not here)."""

from __future__ import annotations

import argparse
import json

import pytest

from anymole.bench import mimic as bench
from anymole.errors import ValidationError
from anymole.io import write_bvh
from anymole.testing.procedural import make_character


def _args(data, json_path, **kw):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    argv = ["--data", str(data), "--json", str(json_path)]
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    return parser.parse_args(argv)


def test_run_writes_the_documented_json(tmp_path, capsys):
    skeleton, motion = make_character("quadruped", num_frames=40)
    write_bvh(tmp_path / "quadruped.bvh", skeleton, motion)
    out = tmp_path / "out.json"
    args = _args(tmp_path / "quadruped.bvh", out, length=6, context=10, max_windows=1, size=48, estimator_steps=4)
    assert bench.run(args) == 0
    report = json.loads(out.read_text())
    methods = {r["method"]: r for r in report["results"]}
    assert set(methods) == {"mimic-oracle", "interpolation", "spline"}
    for r in methods.values():
        assert r["length"] == 6 and r["windows"] == 1
        assert {"l2p", "l2q", "npss"} <= set(r) and r["l2p"] >= 0
    assert report["s_per_transition"] > 0
    assert set(report["stages"]) == {"render", "estimator", "mimic"}
    assert report["estimator_px"] > 0 and report["image_size"] == [48, 48]
    assert "mimic-oracle" in capsys.readouterr().out


def test_bad_options_are_named(tmp_path):
    with pytest.raises(ValidationError, match="length"):
        bench.run(_args(tmp_path, tmp_path / "o.json", length=0))
    with pytest.raises(ValidationError, match="data"):
        bench.run(_args(tmp_path, tmp_path / "o.json"))
