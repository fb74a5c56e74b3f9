"""``anymole bake``: manifests of small BVH files written in code (a procedural quadruped whose
pelvis translates under a static root, stored in centimetres), baked in-process and on a real
loopback server; outputs read back and compared with ``run_transition``; up-to-date skipping;
failures that do not stop the other jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from anymole.bake import bake, build_problem, output_paths
from anymole.bake_manifest import load_manifest
from anymole.cli import main
from anymole.io import read_bvh, read_gltf, write_bvh
from anymole.motion import Motion
from anymole.pipeline import PreviewOptions, TransitionRequest, run_transition
from anymole.testing import make_character

UNIT_M = 0.01  # the test files are in centimetres
POS_ATOL_M = 2e-4  # BVH text (9 significant digits, 1e-6 degree) and float32 GLB round trips

MANIFEST = """
fps = 30
out_dir = "{out_dir}"

[[job]]
name = "same_clip"
source = "walk.bvh"
context = [0, 20]
gap = 10
keyframes = [{{ frame = 35 }}]
unit_m = 0.01

[[job]]
name = "other_file"
source = "walk.bvh"
context = [5, 25]
keyframes = [{{ source = "idle.bvh", frame = 3, at = 32 }}, {{ frame = 50, at = 41 }}]
unit_m = 0.01
align = "none"  # the keyframes exactly as in their files (the default aligns idle.bvh's)
"""


@pytest.fixture(scope="module")
def clips():
    """Two motions of one quadruped skeleton: ``walk`` and ``idle`` (different seeds)."""
    skeleton, walk = make_character("quadruped", num_frames=60)
    _, idle = make_character("quadruped", num_frames=10, seed=11)
    return skeleton, walk, idle


@pytest.fixture
def project(tmp_path, clips):
    """A folder with walk.bvh, idle.bvh and manifest.toml (outputs go to ``baked/``)."""
    skeleton, walk, idle = clips
    write_bvh(tmp_path / "walk.bvh", skeleton, walk, unit_m=UNIT_M)
    write_bvh(tmp_path / "idle.bvh", skeleton, idle, unit_m=UNIT_M)
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(MANIFEST.format(out_dir="baked"))
    return tmp_path, manifest


def _positions(skeleton, motion: Motion, names) -> torch.Tensor:
    """``(T, J, 3)`` global positions in metres, joints in the order of ``names``."""
    pos = motion.global_positions(skeleton).double()
    return pos[:, [skeleton.index(n) for n in names]]


def _expected(job) -> tuple:
    problem = build_problem(job)
    request = TransitionRequest(problem=problem, method=job.method, preview=PreviewOptions(enabled=False))
    return problem, run_transition(request).motion


def _bake_cli(*args) -> int:
    return main(["bake", *map(str, args)])


def test_bake_writes_outputs_that_match_run_transition(project, clips):
    folder, manifest = project
    skeleton, walk, idle = clips
    jobs = load_manifest(manifest)
    outcomes = bake(jobs)
    assert [o.status for o in outcomes] == ["ok", "ok"], [o.error for o in outcomes]
    names = skeleton.names
    for job in jobs:
        paths = output_paths(job)
        assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
        problem, expected = _expected(job)
        want = _positions(problem.skeleton, expected, names)

        # BVH, read back in its declared unit.
        bvh = read_bvh(paths[".bvh"], unit_m=UNIT_M)
        got = _positions(bvh.skeleton, bvh.clips[0].motion, names)
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, atol=POS_ATOL_M, rtol=0)

        # GLB, read back (metres); one clip named after the job.
        glb = read_gltf(paths[".glb"], fps=job.fps)
        assert [c.name for c in glb.clips] == [job.name]
        torch.testing.assert_close(_positions(glb.skeleton, glb.clips[0].motion, names), want, atol=POS_ATOL_M, rtol=0)

        report = json.loads(paths[".json"].read_text())
        assert report["method"] == "spline" and report["frames"] == expected.num_frames
        assert report["keyframe_error"] == pytest.approx(0.0, abs=1e-6)
        assert report["known_frames"] == problem.known.nonzero().flatten().tolist()

    # The known frames are the source frames the manifest names, not just what run_transition
    # returned: context from walk, keyframes from walk or from idle.bvh.
    j_other = jobs[1]
    baked = read_bvh(output_paths(j_other)[".bvh"], unit_m=UNIT_M)
    got = _positions(baked.skeleton, baked.clips[0].motion, names)
    src = _positions(skeleton, walk, names)
    torch.testing.assert_close(got[:20], src[5:25], atol=POS_ATOL_M, rtol=0)
    torch.testing.assert_close(got[32], _positions(skeleton, idle, names)[3], atol=POS_ATOL_M, rtol=0)
    torch.testing.assert_close(got[41], src[50], atol=POS_ATOL_M, rtol=0)
    # And the gap is filled, not left at the rest pose or a copy of a neighbour.
    assert (got[26] - got[25]).abs().max() > 1e-4 and (got[26] - got[32]).abs().max() > 1e-4


def test_second_run_skips_up_to_date_jobs_and_reruns_changed_ones(project, clips):
    folder, manifest = project
    skeleton, walk, idle = clips
    assert _bake_cli(manifest, "--no-progress") == 0
    jobs = load_manifest(manifest)
    mtimes = {job.name: output_paths(job)[".glb"].stat().st_mtime_ns for job in jobs}

    assert _bake_cli(manifest, "--no-progress") == 0
    summary = json.loads((folder / "manifest.report.json").read_text())
    assert (summary["ok"], summary["skipped"], summary["failed"]) == (0, 2, 0)
    assert {job.name: output_paths(job)[".glb"].stat().st_mtime_ns for job in jobs} == mtimes

    # Change the keyframe file only the second job reads: it reruns, the first stays skipped.
    _, idle2 = make_character("quadruped", num_frames=10, seed=12)
    write_bvh(folder / "idle.bvh", skeleton, idle2, unit_m=UNIT_M)
    assert _bake_cli(manifest, "--no-progress") == 0
    summary = json.loads((folder / "manifest.report.json").read_text())
    assert [(j["name"], j["status"]) for j in summary["jobs"]] == [("same_clip", "skipped"), ("other_file", "ok")]

    # --force bakes everything again.
    assert _bake_cli(manifest, "--no-progress", "--force") == 0
    assert json.loads((folder / "manifest.report.json").read_text())["ok"] == 2


def test_failing_jobs_do_not_stop_the_others(project, capsys):
    folder, _ = project
    manifest = folder / "mixed.toml"
    manifest.write_text(
        """
out_dir = "mixed"
[[job]]
name = "missing_file"
source = "nowhere.bvh"
context = [0, 20]
keyframes = [10]
[[job]]
name = "good"
source = "walk.bvh"
context = [0, 20]
gap = 10
keyframes = [{ frame = 35 }]
unit_m = 0.01
[[job]]
name = "bad_keyframe"
source = "walk.bvh"
context = [0, 20]
keyframes = [{ frame = 999 }]
unit_m = 0.01
[[job]]
name = "missing_keyframe_file"
source = "walk.bvh"
context = [0, 20]
keyframes = [{ source = "gone.bvh", frame = 0, at = 30 }]
unit_m = 0.01
"""
    )
    report = folder / "reports" / "mixed.json"
    code = _bake_cli(manifest, "--report", report)  # with progress bars
    assert code == 1
    summary = json.loads(report.read_text())
    assert (summary["ok"], summary["skipped"], summary["failed"]) == (1, 0, 3)
    by_name = {j["name"]: j for j in summary["jobs"]}
    assert by_name["good"]["status"] == "ok"
    assert "missing_file.source" in by_name["missing_file"]["error"] and "nowhere.bvh" in by_name["missing_file"]["error"]
    assert "bad_keyframe.keyframes[0].frame" in by_name["bad_keyframe"]["error"] and "999" in by_name["bad_keyframe"]["error"]
    assert "missing_keyframe_file.keyframes[0].source" in by_name["missing_keyframe_file"]["error"]
    assert (folder / "mixed" / "good.glb").is_file() and not (folder / "mixed" / "bad_keyframe.glb").exists()
    out = capsys.readouterr().out
    assert "1 ok, 0 skipped, 3 failed" in out and "missing_file" in out


def test_bake_on_a_server_gives_the_same_motion(project, clips, tmp_path):
    from anymole_server.testing import ServerThread, make_config

    folder, manifest = project
    skeleton = clips[0]
    remote_manifest = folder / "remote.toml"
    remote_manifest.write_text(MANIFEST.format(out_dir="remote"))
    assert _bake_cli(manifest, "--no-progress") == 0
    with ServerThread(make_config(tmp_path / "server")) as srv:
        assert _bake_cli(remote_manifest, "--no-progress", "--server", srv.address) == 0
        with srv.client() as client:  # the jobs really ran there
            assert len(list(client.iter_jobs())) == 2
    for local, remote in zip(load_manifest(manifest), load_manifest(remote_manifest)):
        a = read_bvh(output_paths(local)[".bvh"], unit_m=UNIT_M)
        b = read_bvh(output_paths(remote)[".bvh"], unit_m=UNIT_M)
        torch.testing.assert_close(
            _positions(b.skeleton, b.clips[0].motion, skeleton.names), _positions(a.skeleton, a.clips[0].motion, skeleton.names), atol=POS_ATOL_M, rtol=0
        )
        assert json.loads(output_paths(remote)[".json"].read_text())["method"] == "spline"


def test_fbx_is_written_where_bpy_is_available(project, monkeypatch):
    """The bake side of the FBX contract: with bpy (faked here) the GLB is handed to
    ``glb_to_fbx`` and the FBX is listed; without it, a note says how to install it."""
    import anymole.io.fbx_write as fbx_write

    folder, manifest = project
    job = load_manifest(manifest)[0]
    monkeypatch.setattr(fbx_write, "bpy_available", lambda: False)
    (outcome,) = bake([job])
    assert outcome.status == "ok" and not any(o.endswith(".fbx") for o in outcome.outputs)
    assert any("pip install '.[fbx]'" in n for n in outcome.notes)

    calls = []

    def fake_glb_to_fbx(glb, fbx):
        calls.append((Path(glb), Path(fbx)))
        Path(fbx).write_bytes(b"Kaydara FBX Binary  \x00")

    monkeypatch.setattr(fbx_write, "bpy_available", lambda: True)
    monkeypatch.setattr(fbx_write, "glb_to_fbx", fake_glb_to_fbx)
    (outcome,) = bake([job], force=True)
    fbx = job.output.with_name(job.output.name + ".fbx")
    # Written to a temporary file beside it, then renamed into place.
    assert len(calls) == 1 and calls[0][0] == output_paths(job)[".glb"] and calls[0][1].parent == fbx.parent
    assert not calls[0][1].exists() and fbx.read_bytes().startswith(b"Kaydara")
    assert outcome.status == "ok" and str(fbx) in outcome.outputs and fbx.is_file()


def test_up_to_date_check_counts_the_fbx(project, monkeypatch):
    """A deleted FBX, or bpy installed after a bake without it, makes the job stale."""
    import anymole.io.fbx_write as fbx_write

    from anymole.bake import fingerprint, is_up_to_date

    folder, manifest = project
    job = load_manifest(manifest)[0]
    fbx = job.output.with_name(job.output.name + ".fbx")
    monkeypatch.setattr(fbx_write, "glb_to_fbx", lambda glb, out: Path(out).write_bytes(b"Kaydara FBX Binary  \x00"))
    monkeypatch.setattr(fbx_write, "bpy_available", lambda: False)
    (outcome,) = bake([job])
    assert outcome.status == "ok" and is_up_to_date(job, fingerprint(job))
    monkeypatch.setattr(fbx_write, "bpy_available", lambda: True)  # bpy installed since
    assert not is_up_to_date(job, fingerprint(job))
    (outcome,) = bake([job])
    assert outcome.status == "ok" and fbx.is_file() and is_up_to_date(job, fingerprint(job))
    (outcome,) = bake([job])
    assert outcome.status == "skipped" and str(fbx) in outcome.outputs
    fbx.unlink()  # a deleted FBX is baked again
    assert not is_up_to_date(job, fingerprint(job))
    (outcome,) = bake([job])
    assert outcome.status == "ok" and fbx.is_file()


def test_build_problem_lays_out_the_timeline_with_from_timeline(project):
    from anymole.inbetween import InbetweenProblem

    _, manifest = project
    job = load_manifest(manifest)[1]  # context [5, 25), keyframes at 32 and 41
    problem = build_problem(job)
    context, keyframes, indices = problem.to_timeline()
    assert indices == job.timeline() == [32, 41]
    assert context.num_frames == 20 and keyframes.num_frames == 2
    again = InbetweenProblem.from_timeline(problem.skeleton, context, keyframes, indices)
    assert torch.equal(again.known, problem.known) and torch.equal(again.motion.rotations, problem.motion.rotations)


JOB = '[[job]]\nname = "{name}"\nsource = "a.bvh"\ncontext = [0, 20]\nkeyframes = [30]\n'


@pytest.mark.parametrize(
    "text,field",
    [
        ('[[job]]\nsource = "a.bvh"\ncontext = [0, 20]\nkeyframes = [{ frame = 5, at = 10 }]\n', r"job0\.keyframes\[0\]\.at"),
        (JOB.format(name="a") + "unit_m = 0\n", r"job\[0\]\.unit_m"),
        ("fps = -30\n" + JOB.format(name="a"), r"^fps"),
        (JOB.format(name="a") + "fps = 'fast'\n", r"job\[0\]\.fps"),
        (JOB.format(name="a") + 'output = "same"\n' + JOB.format(name="b") + 'output = "same"\n', r"job\[1\]\.output"),
        (JOB.format(name="a") + JOB.format(name="a"), r"job\[1\]\.name"),
        ('[[job]]\nsource = "a.bvh"\ncontext = [0, 1]\nkeyframes = [30]\n', r"job\[0\]\.context"),
        ("fps = 30\n", r"^job: "),
    ],
)
def test_manifest_errors_name_the_field(tmp_path, text, field):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(ValueError, match=field):
        load_manifest(bad)
    assert _bake_cli(bad, "--no-progress") == 1  # the CLI reports it, no traceback
    assert not (tmp_path / "bad.report.json").exists()
