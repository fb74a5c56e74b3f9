"""``anymole demo``: a server, one job on the shipped sample, previews and outputs on disk; as
a process, it ends without a traceback, whether it finishes or is interrupted by Ctrl+C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import numpy as np
import pytest

from anymole.cli import main
from anymole.io import read_bvh, read_gltf
from anymole_server.sample_job import KEYFRAME_INDEX, SAMPLE_UNIT_M, load_sample_transition


def test_demo_writes_previews_outputs_and_a_consistent_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--preview-size", "64", "--max-previews", "3"]) == 0
    printed = capsys.readouterr().out
    assert "listening on 127.0.0.1:" in printed and "preview 1:" in printed

    report = json.loads((out / "report.json").read_text())
    for ext in ("glb", "bvh", "mp4"):
        path = out / report["files"][ext]
        assert path == out / f"transition.{ext}" and path.is_file() and path.stat().st_size > 0
    previews = sorted((out / "previews").glob("*.jpg"))
    assert 1 <= len(previews) == report["previews"] <= 3
    assert [p.relative_to(out).as_posix() for p in previews] == report["preview_files"]
    first = previews[0].name  # NNN_stage_frame.jpg, a frame of the gap
    assert first.startswith("000_inbetween_") and 40 <= int(first[-7:-4]) < KEYFRAME_INDEX
    assert previews[0].read_bytes()[:2] == b"\xff\xd8"

    assert report["method"] == "spline" and report["frames"] == KEYFRAME_INDEX + 1
    assert report["keyframe_error"] < 1e-5 and report["keyframe_error_client"] < 1e-4
    assert report["server"]["address"].startswith("127.0.0.1:") and report["server"]["renderer"] == "raster-torch"
    t = report["timings"]
    assert 0 < t["first_event_ms"] <= t["first_preview_ms"] <= 1e3 * t["job_s"] and t["total_s"] < 60

    # The written motion: 71 frames whose context and keyframe are the sample's own.
    sample = load_sample_transition()
    bvh = read_bvh(out / "transition.bvh", unit_m=SAMPLE_UNIT_M).clips[0].motion
    glb = read_gltf(out / "transition.glb").clips[0].motion
    assert bvh.num_frames == glb.num_frames == KEYFRAME_INDEX + 1
    got = bvh.global_positions(sample.skeleton).numpy()
    want = sample.truth.global_positions(sample.skeleton).numpy()
    known = sample.known.numpy()
    np.testing.assert_allclose(got[known], want[known], atol=1e-3)
    assert np.abs(got[~known] - want[~known]).max() > 1e-3  # the gap was in-betweened, not copied


# `anymole demo` in a fresh interpreter, SIGINT raising KeyboardInterrupt as in a terminal (even
# where the test runner was started with SIGINT ignored, which the child would inherit).
DEMO = [
    sys.executable, "-c",
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); from anymole.cli import main; sys.exit(main())",
    "demo", "--preview-size", "32", "--max-previews", "4",
]
SHUTDOWN_NOISE = ("Traceback", "Task was destroyed", "Event loop is closed", "Exception ignored", "unclosed")


def _assert_quiet(stderr: str) -> None:
    for noise in SHUTDOWN_NOISE:
        assert noise not in stderr, stderr[-4000:]


def test_demo_process_finishes_without_a_traceback(tmp_path, khronos_validator):
    out = tmp_path / "demo"
    proc = subprocess.run([*DEMO, "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "anymole demo: done in" in proc.stdout
    _assert_quiet(proc.stderr)
    khronos_validator.add(out / "transition.glb")  # written by the child process


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT cannot be sent to a child process on Windows")
def test_demo_interrupted_by_ctrl_c_exits_130_without_a_traceback(tmp_path):
    """Ctrl+C while previews stream in (the client reading the job's events): exit 130, one
    line, no traceback from grpc's threads or the server's event loop."""
    proc = subprocess.Popen([*DEMO, "--out", str(tmp_path / "demo")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if "preview 1:" in line:
                proc.send_signal(signal.SIGINT)
                break
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert any("preview 1:" in line for line in seen), "".join(seen)[-2000:] + stderr[-2000:]
    assert proc.returncode == 130, stderr[-4000:]
    assert "anymole: interrupted" in stderr
    _assert_quiet(stderr)
