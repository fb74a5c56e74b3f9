"""Static checks of the plugin's Python that need no engine:

- the adapter (and ``init_unreal.py``, ``anymole_bake.py``) type-checked by pyright against
  the pinned ``unreal-stub`` (the UE 5.6 Developer-Mode stub from PyPI, installed as a dev tool,
  never vendored), and proof that a misspelt engine call fails that check;
- ``import unreal`` only in the adapter;
- Python 3.9 and 3.11 syntax of everything the editor loads (ast), and vermin's 3.9 verdict.

Missing tools skip locally with the reason and fail under CI=true.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from unreal_support import PLUGIN_PY, ROOT, skip_or_fail

UNREAL_STUB_VERSION = "0.3"  # UE 5.6.0 stub; pin it in the dev dependencies too
VENDORED = PLUGIN_PY / "Lib" / "site-packages"
ADAPTER = PLUGIN_PY / "anymole_unreal" / "adapter.py"
IN_ENGINE_TESTS = PLUGIN_PY / "anymole_unreal_tests"
# the adapter and everything that runs in the editor (the core too: it is cheap to include)
ENGINE_FILES = [
    PLUGIN_PY / "init_unreal.py", PLUGIN_PY / "anymole_bake.py",
    *sorted((PLUGIN_PY / "anymole_unreal").glob("*.py")), *sorted(IN_ENGINE_TESTS.glob("*.py")),
]


def plugin_sources(include_vendored: bool = True):
    for p in sorted(PLUGIN_PY.rglob("*.py")):
        if "__pycache__" in p.parts or "vendor" in p.relative_to(PLUGIN_PY).parts[:1]:
            continue
        if not include_vendored and VENDORED in p.parents:
            continue
        yield p


# -- pyright against unreal-stub ----------------------------------------------------------------


def _typecheck_tool():
    sys.path.insert(0, str(ROOT / "engine_plugins" / "unreal" / "tools"))
    try:
        import typecheck
    finally:
        sys.path.pop(0)
    return typecheck


@pytest.fixture(scope="module")
def pyright_env(tmp_path_factory):
    """(pyright command, stub folder): see ``engine_plugins/unreal/tools/typecheck.py``."""
    tool = _typecheck_tool()
    assert tool.UNREAL_STUB_VERSION == UNREAL_STUB_VERSION
    try:
        exe = tool.pyright_executable()
        typings = tool.make_typings(tmp_path_factory.mktemp("typings"))
    except tool.Unavailable as exc:
        skip_or_fail(str(exc))
    return exe, typings


def run_pyright(env, files, workdir: Path) -> dict:
    exe, typings = env
    proc = _typecheck_tool().run(files, typings, workdir, exe)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"pyright gave no JSON (rc {proc.returncode}): {proc.stdout[-500:]} {proc.stderr[-500:]}")


def _errors(out: dict):
    return [d for d in out.get("generalDiagnostics", []) if d.get("severity") == "error"]


def test_adapter_type_checks_against_unreal_stub(pyright_env, tmp_path):
    assert ADAPTER in ENGINE_FILES and set(ENGINE_FILES) == set(_typecheck_tool().default_files())
    out = run_pyright(pyright_env, ENGINE_FILES, tmp_path)
    errors = _errors(out)
    assert out["summary"]["filesAnalyzed"] >= len(ENGINE_FILES) >= 5
    assert not errors, "\n".join(f"{Path(d['file']).name}:{d['range']['start']['line'] + 1}: {d['message']}" for d in errors[:20])


def test_a_misspelt_engine_call_fails_the_check(pyright_env, tmp_path):
    text = ADAPTER.read_text(encoding="utf-8")
    typos = {
        "controller.set_bone_track_keys(": "controller.set_bone_track_keyz(",
        "unreal.AnimPoseExtensions.get_anim_pose_at_frame(": "unreal.AnimPoseExtensions.get_anim_pose_at_frames(",
        "opts.should_retarget = False": "opts.should_retargget = False",
    }
    for good, bad in typos.items():
        assert good in text, good
        text = text.replace(good, bad)
    broken = tmp_path / "adapter_with_typos.py"
    broken.write_text(text, encoding="utf-8")
    errors = _errors(run_pyright(pyright_env, [broken], tmp_path))
    messages = " ".join(d["message"] for d in errors)
    for name in ("set_bone_track_keyz", "get_anim_pose_at_frames", "should_retargget"):
        assert name in messages, f"pyright did not flag {name}: {messages[:500]}"


# -- one adapter -------------------------------------------------------------------------------


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_only_the_adapter_imports_unreal():
    importers = sorted(
        p.relative_to(PLUGIN_PY).as_posix()
        for p in plugin_sources()
        if IN_ENGINE_TESTS not in p.parents and "unreal" in set(_imports(p))
    )
    assert importers == ["anymole_unreal/adapter.py"]


def test_core_imports_no_grpc_aio_and_no_torch():
    for p in plugin_sources(include_vendored=False):
        text = p.read_text(encoding="utf-8")
        assert "grpc.aio" not in text.replace("no ``grpc.aio``", "").replace("never ``grpc.aio``", "").replace("(no ``grpc.aio``", ""), p
        assert "torch" not in set(_imports(p)) and "numpy" not in set(_imports(p)), p


def test_init_unreal_is_menus_only():
    tree = ast.parse((PLUGIN_PY / "init_unreal.py").read_text(encoding="utf-8"))
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert top == []  # every import is lazy, inside the start-up function
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert {"register_menus", "add_vendored_site_packages"} <= calls


# -- Python versions ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", [(3, 9), (3, 11)])
def test_syntax_for_the_engines_pythons(version):
    checked = 0
    for p in [*plugin_sources(), PLUGIN_PY.parents[1] / "Requirements" / "install_cp39.py"]:
        ast.parse(p.read_text(encoding="utf-8"), filename=str(p), feature_version=version)
        checked += 1
    assert checked >= 15


def _vermin():
    exe = shutil.which("vermin", path=str(Path(sys.executable).parent)) or shutil.which("vermin")
    if exe is None:
        skip_or_fail("vermin is not installed (pip install vermin==1.9.2)")
    return exe


def test_vermin_says_python_3_9():
    exe = _vermin()
    files = [str(p) for p in plugin_sources() if IN_ENGINE_TESTS not in p.parents]
    proc = subprocess.run([exe, "-t=3.9-", "--violations", "--no-tips", "--eval-annotations", *files], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-500:]


def test_vermin_catches_newer_syntax(tmp_path):
    exe = _vermin()
    bad = tmp_path / "newer.py"
    bad.write_text("def f(x):\n    match x:\n        case 1:\n            return int | None\n")
    proc = subprocess.run([exe, "-t=3.9-", "--violations", "--no-tips", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0


def test_plugin_tree_has_no_stub_and_no_binaries():
    for p in PLUGIN_PY.parents[1].rglob("*"):
        rel = p.relative_to(ROOT).as_posix()
        if "__pycache__" in p.parts or (PLUGIN_PY / "vendor") in p.parents:  # both ignored by git
            continue
        assert not (p.is_file() and p.suffix in (".whl", ".so", ".pyd", ".dll", ".pyc")), rel
        assert "unreal_stub" not in rel and not rel.endswith("unreal/__init__.pyi"), rel


def test_version_keyed_dependency_folder():
    from anymole_unreal import paths

    assert paths.vendored_site_packages((3, 11)) is None  # 5.4+: PythonRequirements
    folder = paths.vendored_site_packages((3, 9), "win32")
    assert folder is not None and Path(folder) == PLUGIN_PY / "vendor" / "cp39" / "Win64"
    assert paths.unreal_platform("darwin") == "Mac" and paths.unreal_platform("linux") == "Linux"
    assert "vendor" not in str(PLUGIN_PY / "Lib" / "site-packages")  # never on the engine's automatic paths
