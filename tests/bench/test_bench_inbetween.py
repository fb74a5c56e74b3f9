"""`anymole bench inbetween` on a procedural mini-corpus written as BVH (no shared data)."""

from __future__ import annotations

import argparse
import json

import pytest

from anymole.bench import inbetween as bench
from anymole.bench.windows import Window, find_motion_files, spread, windows
from anymole.errors import ValidationError
from anymole.testing.procedural import CHARACTERS, make_character

io = pytest.importorskip("anymole.io")
if not hasattr(io, "write_bvh"):  # pragma: no cover - depends on the io package's progress
    pytest.skip("anymole.io.write_bvh not available", allow_module_level=True)


@pytest.fixture
def mini_corpus(tmp_path):
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    for i, name in enumerate(CHARACTERS):
        skeleton, motion = make_character(name, num_frames=160, fps=60.0)  # resampled to 30 by the bench
        io.write_bvh((folder / "sub" if i % 2 else folder) / f"{name}.bvh", skeleton, motion)
    (folder / "notes.txt").write_text("not motion")
    return folder


def _args(data, json_path, **kw):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    argv = ["--data", *map(str, data), "--json", str(json_path), "--lengths", "10,20", "--context", "20"]
    for k, v in kw.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    return parser.parse_args(argv)


def test_run_writes_json_and_spline_beats_interpolation(mini_corpus, tmp_path):
    out = tmp_path / "res.json"
    assert bench.run(_args([mini_corpus], out)) == 0
    doc = json.loads(out.read_text())
    assert set(doc) == {"data", "protocol", "results", "windows"}
    assert doc["protocol"]["fps"] == 30.0 and doc["protocol"]["context"] == 20 and doc["protocol"]["stride"] == 40
    assert {"size", "npss", "foot_skate", "window"} <= set(doc["protocol"])
    assert sorted(p.rsplit("/", 1)[-1] for p in doc["data"]) == sorted(f"{n}.bvh" for n in CHARACTERS)
    assert {(r["method"], r["length"]) for r in doc["results"]} == {
        (m, L) for m in ("zero_velocity", "interpolation", "spline") for L in (10, 20)
    }
    for r in doc["results"]:
        assert set(r) == {"method", "length", "l2q", "l2p", "npss", "foot_skate", "foot_skate_truth", "windows", "ms_per_transition"}
        assert r["windows"] > 0 and r["l2p"] > 0 and r["l2q"] > 0 and r["npss"] > 0
        assert r["foot_skate"] >= 0 and r["foot_skate_truth"] >= 0
        # The per-window rows pool back to the summary.
        rows = [w for w in doc["windows"] if w["method"] == r["method"] and w["length"] == r["length"]]
        assert len(rows) == r["windows"]
        assert sum(w["l2p"] for w in rows) / len(rows) == pytest.approx(r["l2p"])
        pooled = sum(w["npss"] * w["npss_weight"] for w in rows) / sum(w["npss_weight"] for w in rows)
        assert pooled == pytest.approx(r["npss"])
        assert {"source", "clip", "start", "ms", "foot_skate_truth"} <= set(rows[0])
    by = {(r["method"], r["length"]): r for r in doc["results"]}
    for L in (10, 20):
        assert by["spline", L]["l2p"] < by["interpolation", L]["l2p"] < by["zero_velocity", L]["l2p"]
        # 80 frames at 30 fps per character: windows of 20 + L + 1 frames every 40 frames.
        assert by["spline", L]["windows"] == 4 * len(range(0, 80 - (21 + L) + 1, 40))


def test_max_windows_and_bad_arguments(mini_corpus, tmp_path):
    out = tmp_path / "res.json"
    assert bench.run(_args([mini_corpus / "snake.bvh", mini_corpus], out, max_windows=3, methods="spline")) == 0
    doc = json.loads(out.read_text())
    assert len(doc["data"]) == 4  # the file given twice is read once
    assert [r["windows"] for r in doc["results"]] == [3, 3]
    with pytest.raises(ValidationError, match="lengths"):
        bench.run(_args([mini_corpus], out, lengths="0"))
    with pytest.raises(ValidationError, match="methods"):
        bench.run(_args([mini_corpus], out, methods="magic"))
    with pytest.raises(ValidationError, match="no such file"):
        bench.run(_args([tmp_path / "missing"], out))


def test_windows_and_spread(mini_corpus):
    assert [f.name for f in find_motion_files([mini_corpus])] == ["quadruped.bvh", "snake.bvh", "bird.bvh", "spider.bvh"]  # sorted paths
    from anymole.bench.windows import load_corpus

    clips = load_corpus(find_motion_files([mini_corpus / "snake.bvh"]), fps=30.0)
    assert clips[0].motion.num_frames == 80  # 160 frames at 60 fps → 80 at 30 fps (duration kept)
    assert windows(clips, context=20, gap=10) == [Window(0, 0), Window(0, 40)]
    assert spread(list(range(10)), 3) == [0, 4, 9]
    assert spread(list(range(10)), 1) == [5]
    assert spread(list(range(5)), None) == list(range(5))
    assert spread(list(range(5)), 9) == list(range(5))
