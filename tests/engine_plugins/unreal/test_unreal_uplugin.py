"""The ``.uplugin`` against our small schema, and every ``PythonRequirements`` hash against the
wheels the package index serves, offline: ``engine_plugins/unreal/wheels.lock.json`` records
filename + sha256 of each wheel (written by ``engine_plugins/unreal/tools/wheel_lock.py``, which
downloads them with ``pip download --only-binary :all: --platform … --python-version …``;
``wheel_lock.py --check`` repeats that against the live index). Also the vendored client: fresh,
self-contained, and generated for a protobuf runtime the pins provide."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest
from unreal_support import PLUGIN, PLUGIN_PY, ROOT

UNREAL_DIR = ROOT / "engine_plugins" / "unreal"
UPLUGIN = json.loads((PLUGIN / "AnyMoLe.uplugin").read_text(encoding="utf-8"))
LOCK = json.loads((UNREAL_DIR / "wheels.lock.json").read_text(encoding="utf-8"))
SCHEMA = json.loads((UNREAL_DIR / "uplugin.schema.json").read_text(encoding="utf-8"))
PLATFORM_TAGS = {"Win64": ("win_amd64",), "Linux": ("manylinux", "-none-any"), "Mac": ("macosx",)}
LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<hashes>( --hash=sha256:[0-9a-f]{64})+)$")


def validator():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def test_uplugin_matches_the_schema():
    errors = sorted(validator().iter_errors(UPLUGIN), key=str)
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.__setitem__("EnabledByDefault", "false"),  # the engine reads a bool
        lambda d: d.__setitem__("EnabledByDefualt", False),  # a typo is not ignored
        lambda d: d["PythonRequirements"][0]["Requirements"].__setitem__(0, "grpcio==1.85.1"),  # no hash
        lambda d: d["PythonRequirements"][0]["Requirements"].__setitem__(0, "grpcio>=1.85 --hash=sha256:" + "0" * 64),  # not exact
        lambda d: d["PythonRequirements"][0].__setitem__("Platform", "Windows"),
        lambda d: d.__setitem__("Modules", [{"Name": "AnyMoLe", "Type": "Editor"}]),
    ],
)
def test_schema_rejects_what_the_engine_would_not_take(mutate):
    doc = copy.deepcopy(UPLUGIN)
    mutate(doc)
    assert list(validator().iter_errors(doc))


def test_plugin_dependencies_and_no_module():
    plugins = {p["Name"]: p["Enabled"] for p in UPLUGIN["Plugins"]}
    assert plugins == {"PythonScriptPlugin": True, "EditorScriptingUtilities": True}
    assert not UPLUGIN.get("Modules") and UPLUGIN["CanContainContent"] is True


def _parse(lines):
    out = {}
    for line in lines:
        m = LINE.match(line)
        assert m, f"not an exact, hashed pin: {line!r}"
        out[m["name"].lower()] = (m["version"], sorted(h.split(":")[1] for h in m["hashes"].split()))
    return out


def _expected(key, platform):
    entry = LOCK["pythons"][key]
    wheels = entry["platforms"][platform]["wheels"]
    return {name: (version, sorted(w["sha256"] for w in wheels if w["name"] == name)) for name, version in entry["pins"].items()}


def test_every_uplugin_hash_is_a_recorded_wheel():
    by_platform = {r["Platform"]: r["Requirements"] for r in UPLUGIN["PythonRequirements"]}
    assert set(by_platform) == {"Win64", "Linux", "Mac"}
    for platform, lines in by_platform.items():
        assert _parse(lines) == _expected("cp311", platform), platform


def test_recorded_wheels_fit_their_platform_and_python():
    for key, entry in LOCK["pythons"].items():
        tag = "cp" + entry["python"].replace(".", "")
        assert set(entry["pins"]) == {"grpcio", "protobuf", "typing-extensions"}  # grpcio needs typing-extensions
        for platform, info in entry["platforms"].items():
            for w in info["wheels"]:
                fn = w["filename"]
                assert fn.endswith(".whl") and re.fullmatch(r"[0-9a-f]{64}", w["sha256"]), fn
                assert fn.lower().replace("_", "-").startswith(f"{w['name']}-{entry['pins'][w['name']]}-"), fn
                if w["name"] == "grpcio":
                    assert f"-{tag}-{tag}-" in fn, fn  # a compiled wheel for this interpreter
                assert any(t in fn for t in PLATFORM_TAGS[platform]) or fn.endswith("-py3-none-any.whl"), (platform, fn)


@pytest.mark.parametrize("key", ["cp311", "cp39"])
def test_requirement_files_match_the_record(key):
    for platform in ("Win64", "Linux", "Mac"):
        text = (PLUGIN / "Requirements" / f"{key}-{platform}.txt").read_text(encoding="utf-8")
        lines = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
        assert _parse(lines) == _expected(key, platform), platform


def test_pins_are_the_documented_ones():
    assert LOCK["pythons"]["cp311"]["pins"]["grpcio"] == "1.85.1" and LOCK["pythons"]["cp311"]["pins"]["protobuf"] == "7.36.2"
    assert LOCK["pythons"]["cp39"]["pins"]["grpcio"] == "1.80.1" and LOCK["pythons"]["cp39"]["pins"]["protobuf"] == "6.33.6"


# -- the vendored client -------------------------------------------------------------------------


def _vendor_tool():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import vendor_unreal_client
    finally:
        sys.path.pop(0)
    return vendor_unreal_client


def test_vendored_client_is_fresh():
    reason = _vendor_tool().stale_reason()
    assert reason is None, reason


def test_vendored_client_is_self_contained(tmp_path):
    site = PLUGIN_PY / "Lib" / "site-packages"
    code = (
        "import sys; sys.path[:0] = [%r, %r]; import anymole_client, anymole_client.clip, anymole_client.sync, anymole_client.splice;"
        "import anymole_unreal.session, anymole_unreal.bake, anymole_unreal.controller;"
        "assert anymole_client.__file__.startswith(%r), anymole_client.__file__; print('ok')" % (str(site), str(PLUGIN_PY), str(site))
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-1500:]


def _gencode_versions():
    out = set()
    for p in (PLUGIN_PY / "Lib" / "site-packages" / "anymole_client" / "v1").glob("*_pb2.py"):
        m = re.search(r"^# Protobuf Python Version: (\d+)\.(\d+)\.(\d+)", p.read_text(encoding="utf-8"), re.MULTILINE)
        if m:
            out.add(tuple(int(x) for x in m.groups()))
    return out


def _version(v: str):
    return tuple(int(x) for x in v.split("."))


def test_generated_code_runs_on_the_ue54_runtime():
    runtime = _version(LOCK["pythons"]["cp311"]["pins"]["protobuf"])
    versions = _gencode_versions()
    assert versions, "no generated _pb2 modules in the vendored client"
    for g in versions:  # "new gencode + old runtime = never allowed"; majors must agree
        assert g[0] == runtime[0] and g <= runtime, (g, runtime)


def test_generated_code_runs_on_the_ue53_runtime():
    runtime = _version(LOCK["pythons"]["cp39"]["pins"]["protobuf"])
    bad = [g for g in _gencode_versions() if g[0] != runtime[0] or g > runtime]
    if bad:
        pytest.xfail(
            f"the vendored client's gencode {sorted(bad)} is newer than protobuf {runtime} (the newest for Python 3.9): the UE 5.2-5.3 "
            "stretch needs the client generated by a protoc of protobuf <= 6.33 (see the plugin README)"
        )
