"""``anymole bake --executor ray`` on a local Ray cluster: the manifest's jobs spread over the
workers, with the bake's guarantees kept — the same outputs as in-process, a failing job does
not stop the others, the report, the exit code, and up-to-date jobs skipped without starting
Ray. Skipped where the ``ray`` extra is not installed (required under CI=true)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

if os.environ.get("CI") == "true":
    import ray
else:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install '.[ray]'")

from anymole.bake import load_manifest, output_paths  # noqa: E402
from anymole.cli import main  # noqa: E402
from anymole.io import read_bvh, write_bvh  # noqa: E402
from anymole.testing import make_character  # noqa: E402

MANIFEST = """
fps = 30
out_dir = "baked"
formats = ["bvh", "glb"]

[[job]]
name = "first"
source = "walk.bvh"
context = [0, 20]
gap = 10
keyframes = [{ frame = 35 }]
unit_m = 0.01

[[job]]
name = "broken"
source = "missing.bvh"
context = [0, 20]
keyframes = [{ frame = 35 }]

[[job]]
name = "second"
source = "walk.bvh"
context = [5, 25]
gap = 12
keyframes = [{ frame = 50 }]
unit_m = 0.01
"""


@pytest.fixture
def project(tmp_path):
    skeleton, walk = make_character("quadruped", num_frames=60)
    write_bvh(tmp_path / "walk.bvh", skeleton, walk, unit_m=0.01)
    (tmp_path / "manifest.toml").write_text(MANIFEST)
    local = tmp_path / "local.toml"
    local.write_text(MANIFEST.replace('out_dir = "baked"', 'out_dir = "local"'))
    return tmp_path


def test_bake_on_ray_spreads_jobs_and_keeps_the_guarantees(project):
    manifest = project / "manifest.toml"
    try:
        assert main(["bake", str(manifest), "--executor", "ray", "--workers", "2", "--no-progress"]) == 1  # one job failed
    finally:
        if ray.is_initialized():
            ray.shutdown()
    report = json.loads((project / "manifest.report.json").read_text())
    assert (report["ok"], report["failed"], report["skipped"]) == (2, 1, 0)
    assert [j["name"] for j in report["jobs"]] == ["first", "broken", "second"]  # manifest order
    assert "missing.bvh" in report["jobs"][1]["error"]
    # The same outputs as in-process.
    assert main(["bake", str(project / "local.toml"), "--no-progress"]) == 1
    for ray_job, local_job in zip(load_manifest(manifest), load_manifest(project / "local.toml")):
        if ray_job.name == "broken":
            continue
        a = read_bvh(output_paths(ray_job)[".bvh"], unit_m=0.01).clips[0].motion
        b = read_bvh(output_paths(local_job)[".bvh"], unit_m=0.01).clips[0].motion
        assert a.rotations.shape == b.rotations.shape and float((a.rotations - b.rotations).abs().max()) < 1e-5
    # Up to date: skipped, and no Ray cluster is started for them.
    (project / "missing.bvh").write_bytes(Path(project / "walk.bvh").read_bytes())
    assert main(["bake", str(manifest), "--executor", "ray", "--workers", "1", "--no-progress"]) == 0
    report = json.loads((project / "manifest.report.json").read_text())
    assert (report["ok"], report["skipped"]) == (1, 2)
    if ray.is_initialized():
        ray.shutdown()
