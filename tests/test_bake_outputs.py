"""`anymole bake`: containment (issue 13 item 5), manifest schema, units, align, formats,
summary lines, clip-name matching, validated GLBs (issue 14 item 4)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from anymole.bake import _pick_clip, bake, build_problem, output_paths
from anymole.bake_manifest import EXAMPLE, load_manifest
from anymole.cli import main
from anymole.errors import ValidationError
from anymole.io import read_bvh, write_bvh
from anymole.motion import Motion
from anymole.testing import make_character

JOB = """
[[job]]
name = "{name}"
source = "walk.bvh"
context = [0, 20]
gap = 10
keyframes = [{{ frame = 35 }}]
unit_m = 0.01
"""


@pytest.fixture(scope="module")
def clips():
    skeleton, walk = make_character("quadruped", num_frames=60)
    _, idle = make_character("quadruped", num_frames=10, seed=11)
    return skeleton, walk, idle


@pytest.fixture
def folder(tmp_path, clips):
    skeleton, walk, idle = clips
    write_bvh(tmp_path / "walk.bvh", skeleton, walk, unit_m=0.01)
    write_bvh(tmp_path / "idle.bvh", skeleton, idle, unit_m=0.01)
    return tmp_path


def _manifest(folder: Path, body: str, head: str = 'out_dir = "baked"\n', name: str = "m.toml") -> Path:
    p = folder / name
    p.write_text(head + body)
    return p


def _cli(*args) -> int:
    return main(["bake", *map(str, args)])


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


# -- issue 13 item 5: bake stays in its folder ------------------------------------------------


@pytest.mark.parametrize(
    "extra,field",
    [
        ('output = "../escaped"\n', r"job\[0\]\.output.*'\.\.'"),
        ('output = "sub/../../escaped"\n', r"job\[0\]\.output.*'\.\.'"),
        ('output = "/tmp/anymole_escaped_abs"\n', r"job\[0\]\.output.*absolute"),
    ],
)
def test_output_paths_with_dotdot_or_absolute_are_refused(folder, extra, field):
    m = _manifest(folder, JOB.format(name="a") + extra)
    with pytest.raises(ValidationError, match=field):
        load_manifest(m)
    before = _tree(folder.parent)
    assert _cli(m, "--no-progress") == 1
    assert not Path("/tmp/anymole_escaped_abs.glb").exists()
    assert not (folder.parent / "escaped.glb").exists()
    assert _tree(folder.parent) == before | {k: v for k, v in _tree(folder.parent).items() if k not in before}


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", "x\\\\y"])
def test_job_names_that_are_paths_are_refused(folder, name):
    m = _manifest(folder, JOB.format(name=name))
    with pytest.raises(ValidationError, match=r"job\[0\]\.name"):
        load_manifest(m)


def test_a_symlinked_folder_out_of_out_dir_is_refused_before_writing(folder, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (folder / "baked").mkdir()
    os.symlink(outside, folder / "baked" / "sub")
    m = _manifest(folder, JOB.format(name="good") + JOB.format(name="a") + 'output = "sub/a"\n')
    assert _cli(m, "--no-progress") == 1
    assert list(outside.iterdir()) == []
    # Nothing at all was written: the check runs for every job before the first one bakes.
    assert not (folder / "baked" / "good.glb").exists()


def test_a_symlinked_file_is_not_followed(folder, tmp_path_factory, capsys):
    outside = tmp_path_factory.mktemp("outside") / "precious.bvh"
    outside.write_text("do not overwrite")
    (folder / "baked").mkdir()
    os.symlink(outside, folder / "baked" / "a.bvh")
    m = _manifest(folder, JOB.format(name="a"))
    assert _cli(m, "--no-progress") == 1
    assert outside.read_text() == "do not overwrite"
    err = capsys.readouterr().err
    assert "outside the output folder" in err and "a.output" in err


def test_writes_are_atomic_and_leave_no_temporaries(folder, monkeypatch):
    import anymole.io.bvh as bvh

    m = _manifest(folder, JOB.format(name="a"))
    (job,) = load_manifest(m)
    (ok,) = bake([job])
    assert ok.status == "ok"
    before = output_paths(job)[".bvh"].read_bytes()

    def boom(path, *a, **k):
        Path(path).write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(bvh, "write_bvh", boom)
    import anymole.io as io_pkg

    monkeypatch.setattr(io_pkg, "write_bvh", boom, raising=False)
    (failed,) = bake([job], force=True)
    assert failed.status == "failed" and "disk full" in failed.error
    assert output_paths(job)[".bvh"].read_bytes() == before  # the old file is intact
    assert not [p for p in (folder / "baked").iterdir() if ".tmp" in p.name]


# -- issue 14 item 4: the manifest --------------------------------------------------------------


@pytest.mark.parametrize(
    "text,match",
    [
        ('metod = "spline"\n' + JOB.format(name="a"), r"^metod: unknown key 'metod'; did you mean 'method'"),
        (JOB.format(name="a") + "unitm = 0.01\n", r"job\[0\]\.unitm: unknown key 'unitm'; did you mean 'unit_m'"),
        (JOB.format(name="a").replace("frame = 35", "frame = 35, att = 3"), r"keyframes\[0\]\.att.*did you mean 'at'"),
        ('formats = ["glb", "bhv"]\n' + JOB.format(name="a"), r"formats.*'bhv'.*did you mean 'bvh'"),
        (JOB.format(name="a") + 'align = "heading"\n', r"job\[0\]\.align.*did you mean"),
    ],
)
def test_unknown_keys_name_the_closest_known_one(folder, text, match):
    m = _manifest(folder, text, head="")
    with pytest.raises(ValidationError, match=match):
        load_manifest(m)


def test_example_is_printed_and_parses(folder, capsys):
    assert _cli("--example") == 0
    out = capsys.readouterr().out
    assert out == EXAMPLE
    p = folder / "example.toml"
    p.write_text(out)
    (job,) = load_manifest(p)
    assert job.name == "walk_to_idle" and job.align == "root+heading" and job.unit_m == 0.01
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert EXAMPLE.strip() in readme, "README shows the full example manifest"


def test_formats_report_path_and_plain_summary(folder, capsys):
    m = _manifest(folder, JOB.format(name="a") + JOB.format(name="b").replace("frame = 35", "frame = 999"), name="ci.toml")
    assert _cli(m, "--formats", "bvh") == 1
    files = sorted(p.name for p in (folder / "baked").iterdir())
    assert files == ["a.bvh", "a.json"]
    report = json.loads((folder / "ci.report.json").read_text())
    assert (report["ok"], report["failed"]) == (1, 1)
    out, err = capsys.readouterr()
    # Not a terminal: plain lines with the whole error text; errors on stderr too.
    line = next(x for x in out.splitlines() if x.startswith("FAILED"))
    full = report["jobs"][1]["error"]
    assert full in line and "999" in full
    assert f"error: b: {full}" in err
    assert "anymole bake: 1 ok, 0 skipped, 1 failed" in out


# -- units ----------------------------------------------------------------------------------------


def test_bvh_units_are_inferred_reported_and_refused_when_implausible(folder, clips):
    skeleton, walk, _ = clips
    m = _manifest(folder, JOB.format(name="a").replace("unit_m = 0.01\n", ""))
    (job,) = load_manifest(m)
    assert job.unit_m is None
    (o,) = bake([job])
    assert o.status == "ok", o.error
    assert any("centimetres" in n and "unit_m = 0.01" in n for n in o.notes)
    baked = read_bvh(output_paths(job)[".bvh"], unit_m=0.01)
    assert baked.skeleton.size == pytest.approx(skeleton.size, rel=1e-4)
    # Written in units of 10 µm, the rule would make it ~100 times too big: refused, naming unit_m.
    write_bvh(folder / "tiny_units.bvh", skeleton, walk, unit_m=1e-5)
    m2 = _manifest(folder, JOB.format(name="b").replace("walk.bvh", "tiny_units.bvh").replace("unit_m = 0.01\n", ""), name="m2.toml")
    (o,) = bake(load_manifest(m2))
    assert o.status == "failed" and "b.unit_m" in o.error and "100 m" in o.error
    # Stated, it is taken as given.
    m3 = _manifest(folder, JOB.format(name="c").replace("walk.bvh", "tiny_units.bvh").replace("0.01", "1e-5"), name="m3.toml")
    (o,) = bake(load_manifest(m3))
    assert o.status == "ok", o.error


# -- align ----------------------------------------------------------------------------------------


def test_align_moves_a_foreign_keyframe_into_the_context_frame(folder, clips):
    skeleton, walk, idle = clips
    moved = idle.with_frames(idle.rotations.clone(), idle.translations.clone())
    moved.translations[:, 0, 0] += 3.0  # 3 m to the side: another clip's origin
    write_bvh(folder / "idle_far.bvh", skeleton, moved, unit_m=0.01)
    body = JOB.format(name="{}").replace("keyframes = [{ frame = 35 }]", 'keyframes = [{ source = "idle_far.bvh", frame = 3, at = 30 }]')
    probs = {}
    for align in ("none", "root", "root+heading", None):
        text = body.replace("{}", "a") + (f'align = "{align}"\n' if align else "")
        (job,) = load_manifest(_manifest(folder, text, name=f"align_{align}.toml"))
        probs[align] = build_problem(job)
    from anymole.bake import align_root_joint
    from anymole.geometry.rotations import quat_apply

    context = walk.slice(0, 20)
    j = align_root_joint(skeleton, context)
    ctx = context.global_positions(skeleton)[:, j].double()
    expect = ctx[-1] + (ctx[-1] - ctx[-2]) * (30 - 19)
    key_h = Motion(moved.rotations[3:4], moved.translations[3:4], 30.0).global_positions(skeleton)[0, j, 1]
    for align in ("root", "root+heading", None):  # default: root+heading for another file
        pk = probs[align].motion.slice(30, 31).global_positions(skeleton)[0, j].double()
        assert pk[[0, 2]].tolist() == pytest.approx(expect[[0, 2]].tolist(), abs=1e-3)
        assert pk[1].item() == pytest.approx(key_h.item(), abs=1e-3)  # height kept
    raw = probs["none"].motion.translations[30, 0]
    assert raw[0].item() == pytest.approx(moved.translations[3, 0, 0].item(), abs=1e-3)
    # root+heading: the travelling joint faces the way it does at the context's last frame.
    fwd = torch.tensor([0.0, 0.0, 1.0])
    g_key, _ = probs["root+heading"].motion.slice(30, 31).global_transforms(skeleton)
    g_ctx, _ = context.global_transforms(skeleton)
    ang = lambda v: torch.atan2(v[0], v[2])  # noqa: E731
    assert float(ang(quat_apply(g_key[0, j], fwd))) == pytest.approx(float(ang(quat_apply(g_ctx[-1, j], fwd))), abs=2e-3)


# -- clip names -------------------------------------------------------------------------------------


def test_clip_names_are_matched_the_way_users_write_them():
    asset = SimpleNamespace(source="Fox.fbx", clips=[SimpleNamespace(name=n) for n in ("root|Survey_root", "root|Walk_root", "root|Run_root")])
    assert _pick_clip(asset, "Survey", "j.clip").name == "root|Survey_root"
    assert _pick_clip(asset, "walk", "j.clip").name == "root|Walk_root"
    assert _pick_clip(asset, "root|Run_root", "j.clip").name == "root|Run_root"
    with pytest.raises(ValidationError, match=r"j\.clip.*'Jump'.*root\|Survey_root.*root\|Run_root"):
        _pick_clip(asset, "Jump", "j.clip")
    with pytest.raises(ValidationError, match="several"):
        _pick_clip(asset, "root", "j.clip")


# -- outputs artists use ------------------------------------------------------------------------------


def test_baked_glb_has_a_skinned_bone_mesh_and_passes_the_validator(folder, khronos_validator):
    from anymole.io import read_gltf

    m = _manifest(folder, JOB.format(name="a"))
    (job,) = load_manifest(m)
    (o,) = bake([job])
    assert o.status == "ok", o.error
    glb = output_paths(job)[".glb"]
    asset = read_gltf(glb)
    assert asset.skeleton.mesh is not None and asset.skeleton.mesh.num_vertices > 0
    assert output_paths(job)[".usda"].is_file()
    khronos_validator.add(glb)  # validated when the test ends
