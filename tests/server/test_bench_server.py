"""``anymole bench server``: a small run reports every figure, finite, with no errors."""

from __future__ import annotations

import json
import math

from anymole.cli import main
from anymole_server.bench_server import KEYS, BenchResult, JobTiming, bench_server, summarize


def test_bench_server_small_run(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "server", "--clients", "2", "--jobs", "4", "--json", str(out), "--preview-size", "64", "--max-previews", "2", "--workers", "2"])
    assert code == 0
    figures = json.loads(out.read_text())
    assert set(KEYS) <= set(figures)
    assert figures["errors"] == 0 and figures["clients"] == 2 and figures["jobs"] == 4
    for key in KEYS[1:]:
        assert isinstance(figures[key], float) and math.isfinite(figures[key]) and figures[key] > 0, key
    assert figures["first_event_ms_p50"] <= figures["first_event_ms_p95"]
    assert figures["first_preview_ms_p50"] <= figures["first_preview_ms_p95"]
    assert figures["first_event_ms_p50"] <= figures["first_pose_ms_p50"] <= figures["first_preview_ms_p50"]
    assert figures["previews"] == 4 * 2 and figures["queue_full_retries"] == 0
    assert "first_preview_ms_p95" in capsys.readouterr().out


def test_summary_counts_errors_and_rates():
    timings = [
        JobTiming(0.01, 0.02, 0.05, 0.1, previews=3),
        JobTiming(0.02, 0.03, 0.07, 0.2, previews=3),
        JobTiming(error="boom"),
    ]
    s = summarize(BenchResult(clients=2, jobs=3, wall_s=2.0, timings=timings))
    assert s["errors"] == 1 and s["error_messages"] == ["boom"]
    assert s["jobs_per_s"] == 1.0 and s["preview_fps"] == 3.0
    assert math.isclose(s["first_event_ms_p50"], 15.0) and math.isclose(s["first_preview_ms_p50"], 60.0)
    assert math.isclose(s["first_pose_ms_p50"], 25.0)


def test_a_full_queue_is_retried_not_counted_as_an_error():
    # One worker and a queue of one: four clients keep hitting RESOURCE_EXHAUSTED and back off.
    result, _ = bench_server(4, 8, workers=1, max_queue=1, preview_size=32, max_previews=1)
    s = summarize(result)
    assert s["errors"] == 0, s["error_messages"]
    assert s["jobs"] == 8 and s["previews"] == 8
