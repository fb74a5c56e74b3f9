"""``anymole bench faults``: a small run reports every figure and stops by itself; the summary
counts a failed case as a failed scenario."""

from __future__ import annotations

import json
import math

from anymole.cli import main
from anymole_server.bench_faults import Scenario


def test_bench_faults_store_and_malformed_scenarios(tmp_path, capsys):
    out = tmp_path / "faults.json"
    code = main(["bench", "faults", "--scenario", "malformed", "--quick", "--time-limit-s", "60", "--json", str(out)])
    report = json.loads(out.read_text())
    (sc,) = report["scenarios"]
    assert sc["name"] == "malformed" and sc["count"] >= 30 and sc["passed"] + sc["failed"] == sc["count"]
    assert sc["rss_before_mb"] > 0 and sc["rss_after_mb"] > 0 and sc["p50_ms"] <= sc["max_ms"]
    assert (code == 0) == (sc["failed"] == 0) and report["failed_scenarios"] == ([] if code == 0 else ["malformed"]), sc["failures"]
    assert "anymole bench faults" in capsys.readouterr().out


def test_scenario_summary():
    sc = Scenario("x")
    sc.case(True, "a", 0.010)
    sc.case(False, "b went wrong", 0.030)
    sc.case(True, "c", 0.020)
    sc.finish()
    d = sc.as_dict()
    assert (d["count"], d["passed"], d["failed"], d["failures"]) == (3, 2, 1, ["b went wrong"])
    assert math.isclose(d["p50_ms"], 20.0) and math.isclose(d["max_ms"], 30.0) and d["rss_before_mb"] is None
