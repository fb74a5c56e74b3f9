"""The Unity-only layers (Runtime/Grpc without the generated messages, Editor, Tests/Editor)
compile with mono ``mcs`` against hand-written stand-ins of the UnityEngine, UnityEditor,
Grpc.Core, Grpc.Net.Client, Google.Protobuf and YAHH APIs they call (``stubs/``).

This is a typo and type check, not proof that Unity compiles the package: the stubs only
declare the members our code uses, with the signatures the Unity and grpc-dotnet docs give.
It keeps the layers the C# tests cannot reach from rotting between Unity runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from unity_build import MCS_FLAGS, PACKAGE

STUBS = sorted((Path(__file__).resolve().parent / "stubs").glob("*.cs"))


def _mcs(toolchain, args):
    res = subprocess.run([toolchain.mcs, "-langversion:7.2", "-nologo", "-nowarn:67,169,414,649", *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]


def test_unity_layers_compile_against_stubs(toolchain, built, tmp_path):
    stubs = tmp_path / "Stubs.dll"
    _mcs(toolchain, ["-target:library", f"-out:{stubs}", *map(str, STUBS)])
    grpc = tmp_path / "AnyMoLe.Bridge.Grpc.dll"
    flags = [f for f in MCS_FLAGS if f not in ("-langversion:7.2", "-nologo")]
    _mcs(toolchain, [*flags, "-target:library", f"-out:{grpc}", f"-r:{built.core}", f"-r:{stubs}", *sorted(map(str, (PACKAGE / "Runtime" / "Grpc").glob("*.cs")))])
    editor = tmp_path / "AnyMoLe.Bridge.Editor.dll"
    _mcs(toolchain, [*flags, "-target:library", f"-out:{editor}", f"-r:{built.core}", f"-r:{stubs}", f"-r:{grpc}", *sorted(map(str, (PACKAGE / "Editor").glob("*.cs")))])
    nunit = built.tests.parent / "nunit.framework.dll"
    _mcs(toolchain, [*flags, "-target:library", f"-out:{tmp_path / 'AnyMoLe.Bridge.Editor.Tests.dll'}", f"-r:{built.core}", f"-r:{stubs}", f"-r:{grpc}", f"-r:{editor}", f"-r:{nunit}",
                     *sorted(map(str, (PACKAGE / "Tests" / "Editor").glob("*.cs")))])


@pytest.mark.parametrize("folder", ["Runtime/Grpc", "Editor", "Tests/Editor"])
def test_no_stub_names_leak_into_the_package(folder):
    for path in (PACKAGE / folder).glob("*.cs"):
        assert "Stubs" not in path.read_text(), path
