"""The UPM package's shape: package.json, docs, licence, a stable-GUID .meta for every asset,
the Core free of engine and transport references, and the entry points the issue names."""

from __future__ import annotations

import importlib.util
import json
import re
import sys

from unity_build import PACKAGE, ROOT

CORE = PACKAGE / "Runtime" / "Core"


def _make_meta():
    spec = importlib.util.spec_from_file_location("unity_make_meta", PACKAGE.parent / "make_meta.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["unity_make_meta"] = module
    spec.loader.exec_module(module)
    return module


def test_package_json():
    data = json.loads((PACKAGE / "package.json").read_text())
    assert data["name"] == "com.anymole.bridge"
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", data["version"])
    assert data["unity"] == "2022.3"
    assert data["displayName"] and len(data["description"]) > 40
    assert data["license"] == "MIT"
    # Git dependencies are not allowed in package.json; the NuGet ones come from scoped registries.
    for name, version in data.get("dependencies", {}).items():
        assert not version.startswith(("http", "git", "file:")), name


def test_docs_and_licence():
    assert (PACKAGE / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    readme = (PACKAGE / "README.md").read_text()
    for needle in ("scopedRegistries", "org.nuget.grpc.net.client", "com.cysharp.yetanotherhttphandler", "com.unity.nuget.newtonsoft-json", "Http2Only",
                   "Tier 2", "testables", "-runTests", "BakeCommand.Run", "compiled and ran here", "first check"):
        assert needle in readme, needle
    assert (PACKAGE / "CHANGELOG.md").read_text().startswith("# Changelog")
    assert (PACKAGE / "Documentation~" / "index.md").exists()


def test_every_asset_has_a_stable_meta():
    problems = _make_meta().problems()
    assert not problems, "run `python engine_plugins/unity/make_meta.py`:\n" + "\n".join(problems)
    guids = [re.search(r"guid: ([0-9a-f]{32})", m.read_text()).group(1) for m in PACKAGE.rglob("*.meta")]
    assert len(guids) == len(set(guids))


def test_core_has_no_engine_or_transport_references():
    bad = re.compile(r"^\s*using\s+(UnityEngine|UnityEditor|Google\.Protobuf|Grpc|Newtonsoft|Cysharp)\b", re.M)
    for path in CORE.rglob("*.cs"):
        text = path.read_text()
        assert not bad.search(text), f"{path.relative_to(PACKAGE)} references an engine or transport namespace"
        code = re.sub(r"//.*", "", text)  # comments may name Unity types
        assert "UnityEngine." not in code and "UnityEditor." not in code, path


def test_core_stays_in_the_mcs_subset():
    """What mcs 6.8 accepts (it compiles the Core in the C# tests); these patterns catch C# 8/9
    that could slip into files mcs does not compile (Tests~ excluded)."""
    patterns = {
        "switch expression": re.compile(r"\bswitch\s*\{"),
        "??= ": re.compile(r"\?\?="),
        "using declaration": re.compile(r"^\s*using\s+var\b", re.M),
        "target-typed new": re.compile(r"=\s*new\s*\(\s*\)\s*;"),
        "record": re.compile(r"\brecord\s+(class|struct)?\s*[A-Z]"),
        "init accessor": re.compile(r"\binit\s*;"),
        "#nullable": re.compile(r"#nullable"),
        "range operator": re.compile(r"\[\s*\^|\.\.\s*\]"),
    }
    for folder in (CORE, PACKAGE / "Tests" / "Core"):
        for path in folder.rglob("*.cs"):
            text = re.sub(r"//.*", "", path.read_text())
            for what, pattern in patterns.items():
                assert not pattern.search(text), f"{path.relative_to(PACKAGE)}: {what}"


def test_entry_points_exist():
    editor = {p.name: p.read_text() for p in (PACKAGE / "Editor").glob("*.cs")}
    joined = "\n".join(editor.values())
    assert '[MenuItem("Window/AnyMoLe/Transition")]' in joined
    assert '[Shortcut("AnyMoLe/Generate Transition", typeof(AnimationWindow)' in joined
    assert '[MenuItem("Assets/AnyMoLe/Generate Transition…"' in joined
    assert "namespace AnyMoLe.Bridge.Editor" in editor["BakeCommand.cs"] and "public static void Run()" in editor["BakeCommand.cs"]
    assert '[SettingsProvider]' in joined and '"Project/AnyMoLe Bridge"' in joined
    # write-back rules
    writer = editor["ClipWriter.cs"]
    assert writer.count("AnimationUtility.SetEditorCurves(") == 1
    for needle in ("Undo.RegisterCompleteObjectUndo", "EnsureQuaternionContinuity", "LockReloadAssemblies", "UnlockReloadAssemblies", "HumanPoseHandler"):
        assert needle in writer, needle
    window = editor["TransitionWindow.cs"]
    for needle in ("Progress.Start", "Progress.RegisterCancelCallback", "ImageConversion.LoadImage", "CreateGUI"):
        assert needle in window, needle
    lifecycle = editor["BridgeLifecycle.cs"]
    for needle in ("beforeAssemblyReload", "quitting", "ExitingEditMode"):
        assert needle in lifecycle, needle


def test_token_never_reaches_assets_or_logs():
    settings = (PACKAGE / "Editor" / "BridgeProjectSettings.cs").read_text()
    assert "EditorPrefs" in settings and "ANYMOLE_TOKEN" in settings
    # The serialised project settings have no token field.
    fields = re.findall(r"^\s*public\s+(?:string|bool|int)\s+(\w+)\s*=", settings, re.M)
    assert fields and not any("token" in f.lower() for f in fields), fields
    for path in list((PACKAGE / "Editor").glob("*.cs")) + list((PACKAGE / "Runtime").rglob("*.cs")):
        for line in path.read_text().splitlines():
            if re.search(r"Debug\.Log|Console\.Write|Out\(", line):
                assert "Token" not in line and "token" not in line.replace("tokens never", ""), f"{path.name}: {line.strip()}"
