"""Building and running the Unity package's C# Core outside Unity: Debian's mono ``mcs`` (a C# 7.2
subset) compiles ``Runtime/Core`` and ``Tests/Core`` (NUnit 2.6) and the ``Tests~/CoreCli``
console front end; ``nunit-console`` runs the tests. Needs the apt packages ``mono-mcs``,
``nunit-console`` and ``libnunit-framework2.6.3-cil`` (``.ci/run`` installs them).

``CI=true`` turns a missing tool into a failure instead of a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "engine_plugins" / "unity" / "com.anymole.bridge"
CONFORMANCE = ROOT / "engine_plugins" / "conformance"
RESULTS_FILE = ROOT / "build" / "unity" / "csharp-results.txt"
APT_PACKAGES = "mono-mcs nunit-console libnunit-framework2.6.3-cil"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MCS_FLAGS = ["-langversion:7.2", "-warnaserror+", "-debug-", "-optimize+", "-nologo"]


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail under CI=true (a missing tool must not pass CI silently)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the C# build must run)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Toolchain:
    mcs: str
    mono: str
    nunit_console: str
    nunit_framework: str


def find_toolchain() -> Optional[Toolchain]:
    mcs, mono, console = shutil.which("mcs"), shutil.which("mono"), shutil.which("nunit-console")
    frameworks = sorted(glob.glob("/usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll")) + sorted(
        glob.glob("/usr/lib/mono/gac/nunit.framework/2.6*/nunit.framework.dll")
    )
    if not (mcs and mono and console and frameworks):
        return None
    return Toolchain(mcs, mono, console, frameworks[0])


def require_toolchain() -> Toolchain:
    tc = find_toolchain()
    if tc is None:
        skip_or_fail(f"mono mcs / nunit-console not installed (apt-get install {APT_PACKAGES})")
    return tc


def _sources(*parts: str) -> List[str]:
    return sorted(str(p) for p in PACKAGE.joinpath(*parts).rglob("*.cs"))


def _mcs(tc: Toolchain, args: List[str]) -> None:
    res = subprocess.run([tc.mcs, *MCS_FLAGS, *args], capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        pytest.fail("mcs failed:\n" + (res.stdout + res.stderr)[-6000:])


@dataclass(frozen=True)
class Built:
    core: Path
    tests: Path
    cli: Path


def build(tc: Toolchain, out: Path) -> Built:
    """Compiles the Core library, its NUnit tests and the console runner into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    core = out / "AnyMoLe.Bridge.Core.dll"
    tests = out / "AnyMoLe.Bridge.Core.Tests.dll"
    cli = out / "AnyMoLe.Bridge.CoreCli.exe"
    _mcs(tc, ["-target:library", f"-out:{core}", *_sources("Runtime", "Core")])
    _mcs(tc, ["-target:library", f"-out:{tests}", f"-r:{core}", f"-r:{tc.nunit_framework}", *_sources("Tests", "Core")])
    _mcs(tc, ["-target:exe", f"-out:{cli}", f"-r:{core}", *_sources("Tests~", "CoreCli")])
    shutil.copy(tc.nunit_framework, out / "nunit.framework.dll")
    return Built(core, tests, cli)


@dataclass
class NUnitResults:
    total: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: List[str] = field(default_factory=list)
    names: Dict[str, str] = field(default_factory=dict)  # test name -> result

    def line(self) -> str:
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def parse_results(xml_path: Path) -> NUnitResults:
    """NUnit 2.x TestResult.xml: every <test-case> with executed/success/result."""
    r = NUnitResults()
    for case in ET.parse(xml_path).getroot().iter("test-case"):
        name = case.get("name", "?")
        result = case.get("result", "")
        executed = case.get("executed", "False") == "True"
        r.total += 1
        r.names[name] = result
        if not executed or result in ("Ignored", "Skipped", "NotRunnable", "Inconclusive"):
            r.skipped += 1
        elif case.get("success", "False") == "True":
            r.passed += 1
        else:
            r.failed += 1
            msg = case.find("./failure/message")
            r.failures.append(f"{name}: {(msg.text or '').strip() if msg is not None else result}")
    return r


def run_nunit(tc: Toolchain, built: Built, xml_path: Path, env: Optional[dict] = None) -> tuple[int, str]:
    e = dict(os.environ)
    e.setdefault("ANYMOLE_CONFORMANCE_DIR", str(CONFORMANCE))
    if env:
        e.update(env)
    res = subprocess.run(
        [tc.nunit_console, "-nologo", "-noshadow", str(built.tests), f"-xml={xml_path}"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(built.tests.parent),
        env=e,
    )
    return res.returncode, res.stdout + res.stderr


def run_cli(tc: Toolchain, built: Built, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tc.mono, str(built.cli), *args], capture_output=True, text=True, timeout=60)


def write_results_line(line: str) -> None:
    """The line ``.ci/run`` prints so CI counts the C# tests."""
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(line + "\n")
