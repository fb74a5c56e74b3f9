"""Headless bake of a manifest: every job read, sent, followed, spliced and written in turn.

``anymole_bake.py`` runs this inside ``UnrealEditor-Cmd … -run=pythonscript``, where nothing
ticks after the script starts: each job blocks on its stream on the main thread
(``anymole_client.Client.follow``, which reattaches after a drop), progress goes to stdout, a
failing job is recorded and the next one runs, and the JSON report is written before
:class:`BakeFailed` is raised (the commandlet then exits non-zero).

Manifest (JSON; paths relative to the manifest's folder)::

    {
      "server": {"address": "127.0.0.1:50051", "tls": false},    // token: $ANYMOLE_TOKEN
      "defaults": {"method": "spline", "options": {"anymole.denoiseSteps": "30"}, "seed": 0,
                   "inPlace": false, "suffix": "_AnyMoLe"},
      "report": "anymole_bake_report.json",
      "jobs": [
        {"name": "walk_to_run", "sequence": "/Game/Anims/Walk", "contextFirst": 0,
         "contextLast": 60, "keyframes": [90], "output": "/Game/Anims/Walk_to_Run"}
      ]
    }

The engine side is the :class:`BakeEngine` interface (the adapter implements it with
``unreal``; tests with plain data).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, TextIO

from anymole_client.clip import Selection
from anymole_client.follower import ProgressUpdate, StageUpdate, Update

from anymole_unreal.errors import UserError, explain
from anymole_unreal.options import catalogue, job_options
from anymole_unreal.settings import Connection, resolve_connection
from anymole_unreal.transition import SplicedClip, UnrealClip, plan_transition, splice_result


class BakeFailed(RuntimeError):
    """At least one job failed (the report says which and why)."""


class BakeEngine:
    """What the bake needs from the engine."""

    def read(self, asset_path: str) -> UnrealClip:
        raise NotImplementedError

    def write(self, uclip: UnrealClip, spliced: SplicedClip, output: Optional[str], in_place: bool, suffix: str) -> Dict[str, Any]:
        """Write the tracks into ``output`` (a new asset path), the source (``in_place``) or a
        duplicate named with ``suffix``; returns at least ``{"asset": path}`` plus the
        verification (``rawVsCompressedDeg``, ``rawVsCompressedCm``)."""
        raise NotImplementedError


@dataclass
class BakeJob:
    name: str
    sequence: str
    selection: Selection
    method: str = ""
    options: Dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    output: Optional[str] = None
    in_place: bool = False
    suffix: str = "_AnyMoLe"


@dataclass
class Manifest:
    jobs: List[BakeJob]
    server: Dict[str, Any]
    report: str


def _job_from(data: Mapping[str, Any], defaults: Mapping[str, Any], n: int) -> BakeJob:
    where = f"jobs[{n}]"
    for key in ("sequence", "contextFirst", "contextLast", "keyframes"):
        if key not in data:
            raise UserError(f"manifest.{where}.{key}", "is required")
    keys = data["keyframes"]
    if not isinstance(keys, list) or not keys:
        raise UserError(f"manifest.{where}.keyframes", "must be a non-empty list of frame indices")
    options = dict(defaults.get("options") or {})
    options.update(data.get("options") or {})
    return BakeJob(
        name=str(data.get("name") or os.path.basename(str(data["sequence"]))),
        sequence=str(data["sequence"]),
        selection=Selection(int(data["contextFirst"]), int(data["contextLast"]), [int(k) for k in keys]),
        method=str(data.get("method", defaults.get("method", ""))),
        options=options,
        seed=int(data.get("seed", defaults.get("seed", 0))),
        output=data.get("output"),
        in_place=bool(data.get("inPlace", defaults.get("inPlace", False))),
        suffix=str(data.get("suffix", defaults.get("suffix", "_AnyMoLe"))),
    )


def load_manifest(path: str) -> Manifest:
    """Parse and check a manifest; :class:`UserError` naming ``manifest.<field>``."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise UserError("manifest", f"{path} does not exist") from None
    except ValueError as exc:
        raise UserError("manifest", f"{path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list):
        raise UserError("manifest.jobs", f"{path} must be an object with a 'jobs' list")
    defaults = doc.get("defaults") or {}
    jobs = [_job_from(j, defaults, n) for n, j in enumerate(doc["jobs"])]
    report = doc.get("report") or (os.path.splitext(path)[0] + "_report.json")
    if not os.path.isabs(report):
        report = os.path.join(os.path.dirname(os.path.abspath(path)), report)
    return Manifest(jobs, dict(doc.get("server") or {}), report)


class _Progress:
    """Progress lines on stdout (the commandlet's log), at most one per 5 % or stage."""

    def __init__(self, name: str, out: TextIO):
        self.name, self.out, self.last = name, out, -1.0

    def __call__(self, update: Update) -> None:
        if isinstance(update, StageUpdate):
            self.out.write(f"[anymole] {self.name}: stage {update.stage}\n")
        elif isinstance(update, ProgressUpdate) and update.fraction - self.last >= 0.05:
            self.last = update.fraction
            self.out.write(f"[anymole] {self.name}: {100 * update.fraction:5.1f}% {update.message}\n")
        else:
            return
        self.out.flush()


def run_bake(
    manifest: Manifest,
    engine: BakeEngine,
    connection: Optional[Connection] = None,
    *,
    client_factory: Optional[Callable[[Connection], Any]] = None,
    out: TextIO = sys.stdout,
    project_dir: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Dict[str, Any]:
    """Run every job; write and return the report. Never raises for a failing job (see
    :func:`raise_if_failed`)."""
    if connection is None:
        s = manifest.server
        connection = resolve_connection(project_dir, environ, address=s.get("address"), tls=s.get("tls"))
    if client_factory is None:
        from anymole_client import Client

        def default_factory(conn: Connection) -> Any:
            return Client(conn.address, **conn.client_kwargs())

        client_factory = default_factory

    report: Dict[str, Any] = {"server": connection.describe(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "jobs": []}
    client = None
    info = None
    server_error: Optional[UserError] = None
    try:
        client = client_factory(connection)
        try:
            info = client.server_info()
            report["protocolVersion"] = info.protocol_version
            report["serverVersion"] = info.server_version
        except Exception as exc:  # noqa: BLE001 - every job then fails with this message
            server_error = explain(exc, connection.address)
            report["serverError"] = str(server_error)
        methods = catalogue(info) if info is not None else {}
        for job in manifest.jobs:
            entry: Dict[str, Any] = {"name": job.name, "sequence": job.sequence, "ok": False}
            t0 = time.monotonic()
            out.write(f"[anymole] {job.name}: {job.sequence} context {job.selection.context_first}..{job.selection.context_last} keys {list(job.selection.keyframes)}\n")
            out.flush()
            try:
                if info is None:
                    raise server_error or UserError("server", "no server information")
                uclip = engine.read(job.sequence)
                method = job.method or info.capabilities.default_method
                opts = job_options(methods, method, job.options, seed=job.seed, preview={"disabled": True, "posesDisabled": True})
                plan = plan_transition(uclip, job.selection, opts, info)
                job_id = client.submit(plan.request).job_id
                entry["jobId"] = job_id
                result = client.follow(job_id, _Progress(job.name, out))
                spliced = splice_result(plan, result)
                written = engine.write(uclip, spliced, job.output, job.in_place, job.suffix)
                entry.update(written)
                entry.update({"ok": True, "method": result.method, "generatedFrames": len(spliced.generated_frames),
                              "changedBones": len(spliced.changed_bones), "keyframeError": result.keyframe_error,
                              "warnings": list(result.warnings)})
                out.write(f"[anymole] {job.name}: wrote {entry.get('asset')}\n")
            except KeyboardInterrupt:
                entry["error"] = "job: interrupted"
                report["jobs"].append(entry)
                raise
            except Exception as exc:  # noqa: BLE001 - the next job still runs
                err = explain(exc, connection.address)
                entry["error"] = str(err)
                entry["field"] = err.field
                out.write(f"[anymole] {job.name}: FAILED {err}\n")
            entry["seconds"] = round(time.monotonic() - t0, 3)
            out.flush()
            report["jobs"].append(entry)
    finally:
        if client is not None:
            client.close()
        report["failed"] = sum(1 for j in report["jobs"] if not j["ok"])
        report["succeeded"] = sum(1 for j in report["jobs"] if j["ok"])
        os.makedirs(os.path.dirname(os.path.abspath(manifest.report)), exist_ok=True)
        with open(manifest.report, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
        out.write(f"[anymole] {report['succeeded']} passed, {report['failed']} failed; report: {manifest.report}\n")
        out.flush()
    return report


def raise_if_failed(report: Mapping[str, Any]) -> None:
    failed = [j for j in report["jobs"] if not j["ok"]]
    if failed:
        lines = "; ".join(f"{j['name']}: {j.get('error', 'failed')}" for j in failed)
        raise BakeFailed(f"{len(failed)} of {len(report['jobs'])} AnyMoLe bake job(s) failed: {lines}")
