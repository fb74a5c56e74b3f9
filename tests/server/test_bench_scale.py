"""``anymole bench scale``: a small local run reports a row per slot count, finite, no errors;
``--executor ray`` is refused with the serve command's one line."""

from __future__ import annotations

import json
import math

from anymole.cli import main
from anymole_server import executors
from anymole_server.bench_scale import ROW_KEYS
from anymole_server.executors import RAY_MISSING_MESSAGE


def test_bench_scale_small_local_run(tmp_path):
    out = tmp_path / "scale.json"
    argv = ["bench", "scale", "--executor", "local", "--workers", "2", "--jobs", "4", "--clients", "2", "--no-warmup",
            "--preview-size", "32", "--max-previews", "1", "--json", str(out)]
    assert main(argv) == 0
    figures = json.loads(out.read_text())
    assert figures["executor"] == "local" and figures["workers"] == 2 and figures["jobs"] == 4
    assert [row["workers"] for row in figures["rows"]] == [1, 2]
    for row in figures["rows"]:
        assert set(ROW_KEYS) <= set(row) and row["errors"] == 0
        for key in ("jobs_per_s", "latency_ms_p50", "latency_ms_p95", "wall_s"):
            assert isinstance(row[key], float) and math.isfinite(row[key]) and row[key] > 0, key
        assert row["latency_ms_p50"] <= row["latency_ms_p95"]
    assert math.isclose(figures["speedup"], figures["rows"][1]["jobs_per_s"] / figures["rows"][0]["jobs_per_s"])


def test_bench_scale_ray_refused(monkeypatch, capsys):
    monkeypatch.setattr(executors, "ray_importable", lambda: False)
    assert main(["bench", "scale", "--executor", "ray", "--workers", "2", "--jobs", "32"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"anymole bench scale: error: {RAY_MISSING_MESSAGE}"]
