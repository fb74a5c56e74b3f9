"""The Unity package's Runtime/Core, compiled with mono ``mcs`` (C# 7.2 subset) and tested with
NUnit 2.6 (``Tests/Core``, the same files Unity's Test Framework runs), conformance vectors
included. Writes ``build/unity/csharp-results.txt`` ("N passed, N failed"), which ``.ci/run``
prints."""

from __future__ import annotations

import unity_build


def test_core_nunit_suite(toolchain, built, tmp_path):
    xml = tmp_path / "TestResult.xml"
    rc, output = unity_build.run_nunit(toolchain, built, xml)
    assert xml.exists(), f"nunit-console wrote no results (exit {rc}):\n{output[-4000:]}"
    results = unity_build.parse_results(xml)
    unity_build.write_results_line(f"csharp: {results.line()}")  # CI reads "word: N passed, N failed"
    print(f"C# Core: {results.line()}")
    assert results.total > 100, f"only {results.total} C# tests found"
    assert results.failed == 0, f"{results.failed} C# test(s) failed:\n" + "\n".join(results.failures)
    conformance = [n for n in results.names if ".ConformanceTests." in n]
    assert conformance, "no conformance tests ran"
    if unity_build.CONFORMANCE.joinpath("manifest.json").exists():
        skipped = [n for n in conformance if results.names[n] in ("Ignored", "Skipped")]
        assert not skipped, f"conformance vectors present but skipped: {skipped}"


def test_conformance_missing_fails_under_ci(toolchain, built, tmp_path):
    """Without vectors the conformance tests are ignored locally and fail under CI=true."""
    empty = tmp_path / "none"
    empty.mkdir()
    for ci, expect_failed in (("false", False), ("true", True)):
        xml = tmp_path / f"TestResult-{ci}.xml"
        unity_build.run_nunit(toolchain, built, xml, env={"ANYMOLE_CONFORMANCE_DIR": str(empty), "CI": ci})
        results = unity_build.parse_results(xml)
        conformance = {n: r for n, r in results.names.items() if ".ConformanceTests." in n}
        failed = [n for n, r in conformance.items() if r in ("Failure", "Error")]
        assert bool(failed) == expect_failed, (ci, conformance)
        others_failed = [f for f in results.failures if ".ConformanceTests." not in f]
        assert not others_failed, others_failed


def test_cli_reports_contract_errors(toolchain, built, tmp_path):
    """A bad selection gives a message naming the field and a non-zero exit."""
    case = tmp_path / "case.json"
    case.write_text(
        '{"clip": {"fps": 30, "convention": "unity", "joints": [{"name": "a", "parent": -1, "restPosition": [0, 0, 0]}],'
        ' "frames": [{"positions": [[0, 0, 0]], "rotations": [[0, 0, 0, 1]]}, {"positions": [[0, 0, 0]], "rotations": [[0, 0, 0, 1]]}]},'
        ' "selection": {"contextFirst": 0, "contextLast": 1, "keyframes": [1]}}'
    )
    res = unity_build.run_cli(toolchain, built, "build-request", str(case), str(tmp_path / "out.json"))
    assert res.returncode == 2
    assert res.stderr.startswith("selection.keyframes[0]: frame 1 is inside the context"), res.stderr
