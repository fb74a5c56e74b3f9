"""`anymole bake MANIFEST`: bake the transitions a TOML manifest lists (CI).

For each job: load the source clip (and keyframe sources), build the in-betweening problem on
the job's timeline, run it in-process (default) or on a server (``--server``), and write
``<output>.glb``, ``<output>.bvh``, ``<output>.fbx`` (only where bpy is installed),
``<output>.mp4`` (the preview renderer's front view) and ``<output>.json`` (the job's report).
A job whose outputs exist and whose inputs (manifest entry, file contents, library version)
have not changed is skipped. A failing job does not stop the others; the exit code is 1 when
any job failed, and a summary is printed and written to the report file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import anymole
from anymole.bake_manifest import BakeJob, load_manifest
from anymole.errors import AnymoleError, ValidationError

# Light at import: a bake whose outputs are all up to date parses the manifest, hashes the
# inputs and exits without importing torch. Everything heavy is imported where it is used.
if TYPE_CHECKING:
    import numpy as np
    import torch

    from anymole.inbetween import InbetweenProblem
    from anymole.job import CancelToken, Emit, TransitionRequest, TransitionResult
    from anymole.motion import Motion
    from anymole.skeleton import Skeleton

    Executor = Callable[[TransitionRequest, Emit, CancelToken], TransitionResult]

HELP = "Bake the transitions listed in a TOML manifest (CI)."
PREVIEW_SIZE = (256, 256)  # (width, height) of the preview MP4, pixels


@dataclass
class JobOutcome:
    """What happened to one job: ``status`` is ``"ok"``, ``"skipped"`` or ``"failed"``."""

    name: str
    status: str
    outputs: list[str] = field(default_factory=list)
    error: str = ""
    keyframe_error: float | None = None
    method: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# -- building the problem -------------------------------------------------------------------


class _Assets:
    """Loads each file once per bake run."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, float], object] = {}

    def get(self, path: Path, unit_m: float, field_name: str = "source"):
        from anymole.io import load_asset

        key = (str(path), unit_m)
        if key not in self._cache:
            if not path.is_file():
                raise ValidationError(field_name, f"{path} does not exist")
            opts = {"unit_m": unit_m} if path.suffix.lower() == ".bvh" else {}
            self._cache[key] = load_asset(path, **opts)
        return self._cache[key]


def _pick_clip(asset, clip: str | None, field_name: str):
    if not asset.clips:
        raise ValidationError(field_name, f"{asset.source} has no animation clip")
    if clip is None:
        return asset.clips[0]
    for c in asset.clips:
        if c.name == clip:
            return c
    raise ValidationError(field_name, f"no clip named {clip!r} in {asset.source}; clips: {[c.name for c in asset.clips]}")


def build_problem(job: BakeJob, assets: _Assets | None = None) -> InbetweenProblem:
    """The job's timeline as an :class:`InbetweenProblem` (context known, keyframes known),
    laid out by :meth:`InbetweenProblem.from_timeline`. Errors name the job's field
    (``<job>.context``, ``<job>.keyframes[i].frame`` …)."""
    import torch

    from anymole.inbetween import InbetweenProblem
    from anymole.motion import Motion

    assets = assets or _Assets()
    asset = assets.get(job.source, job.unit_m, f"{job.name}.source")
    skeleton: Skeleton = asset.skeleton
    motion = _pick_clip(asset, job.clip, f"{job.name}.clip").motion.resample(job.fps)
    c0, c1 = job.context
    if c1 > motion.num_frames:
        raise ValidationError(f"{job.name}.context", f"[{c0}, {c1}) is outside the clip's {motion.num_frames} frames at {job.fps:g} fps")
    rots, transs = [], []
    for i, spec in enumerate(job.keyframes):
        f = f"{job.name}.keyframes[{i}]"
        if spec.source is None:
            src_motion, index = (motion if spec.clip is None else _pick_clip(asset, spec.clip, f"{f}.clip").motion.resample(job.fps)), None
        else:
            other = assets.get(spec.source, job.unit_m, f"{f}.source")
            src_motion = _pick_clip(other, spec.clip, f"{f}.clip").motion.resample(job.fps)
            index = _joint_map(skeleton, other.skeleton, f"{f}.source")
        if spec.frame >= src_motion.num_frames:
            raise ValidationError(f"{f}.frame", f"frame {spec.frame} is outside the clip's {src_motion.num_frames} frames at {job.fps:g} fps")
        r, t = src_motion.rotations[spec.frame], src_motion.translations[spec.frame]
        if index is not None:
            r, t = r[index], t[index]
        rots.append(r)
        transs.append(t)
    keyframes = Motion(torch.stack(rots), torch.stack(transs), job.fps)
    return InbetweenProblem.from_timeline(skeleton, motion.slice(c0, c1), keyframes, job.timeline(), field=f"{job.name}.keyframes")


def _joint_map(ours: Skeleton, theirs: Skeleton, field_name: str) -> torch.Tensor:
    import torch

    missing = [n for n in ours.names if n not in theirs.names]
    if missing:
        raise ValidationError(field_name, f"skeleton lacks joints {missing[:5]} of the job's skeleton")
    return torch.tensor([theirs.index(n) for n in ours.names])


# -- outputs --------------------------------------------------------------------------------


def fingerprint(job: BakeJob) -> str:
    """Hash of everything the outputs depend on: the job entry, the input files' contents and
    the library version."""
    h = hashlib.sha256()
    h.update(json.dumps(asdict(job), default=str, sort_keys=True).encode())
    h.update(anymole.__version__.encode())
    files = {job.source} | {k.source for k in job.keyframes if k.source is not None}
    for p in sorted(files, key=str):
        h.update(str(p).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest() if p.exists() else b"missing")
    return h.hexdigest()


def output_paths(job: BakeJob) -> dict[str, Path]:
    """The outputs every bake writes: ``<output>.glb``, ``.bvh``, ``.mp4`` and ``.json``."""
    base = job.output
    return {ext: base.with_name(base.name + ext) for ext in (".glb", ".bvh", ".mp4", ".json")}


def fbx_path(job: BakeJob) -> Path:
    """``<output>.fbx``, written only where bpy is installed."""
    return job.output.with_name(job.output.name + ".fbx")


def is_up_to_date(job: BakeJob, digest: str) -> bool:
    """True when the outputs exist, the report's fingerprint is ``digest``, every output the
    report lists still exists, and — where bpy is installed now — the FBX was written too
    (so deleting the FBX, or installing bpy after a bake without it, bakes again)."""
    from anymole.io import fbx_write  # stdlib only: bpy is looked up, not imported

    paths = output_paths(job)
    if not all(p.exists() for p in paths.values()):
        return False
    try:
        report = json.loads(paths[".json"].read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(report, dict) or report.get("fingerprint") != digest:
        return False
    listed = [Path(p) for p in report.get("outputs", []) if isinstance(p, str)]
    if not all(p.exists() for p in listed):
        return False
    fbx = fbx_path(job)
    return not fbx_write.bpy_available() or (fbx in listed and fbx.exists())


def _existing_outputs(job: BakeJob) -> list[str]:
    return [str(p) for p in [*output_paths(job).values(), fbx_path(job)] if p.exists()]


def preview_frames_rgb(skeleton: Skeleton, motion: Motion, size: tuple[int, int] = PREVIEW_SIZE) -> np.ndarray:
    """Every frame of ``motion`` rendered by the preview renderer
    (:func:`anymole.render.preview.render_preview_frames`, front view, framed over the whole
    motion): ``(T, H, W, 3)`` uint8 RGB; ``size`` is ``(width, height)`` pixels."""
    from anymole.render.preview import render_preview_frames

    return render_preview_frames(skeleton, motion, size=size)


def write_motion_files(base: Path, name: str, skeleton: Skeleton, motion: Motion, *, unit_m: float = 1.0) -> tuple[dict[str, Path], list[str]]:
    """Write ``motion`` ``(T, J)`` of ``skeleton`` (canonical frame, metres) beside ``base``:
    ``<base>.glb`` (one clip called ``name``), ``<base>.bvh`` (lengths in units of ``unit_m``
    metres), ``<base>.mp4`` (the preview renderer, every frame, at the motion's fps) and
    ``<base>.fbx`` where bpy is installed. Returns the paths written by extension and notes
    (e.g. why there is no FBX)."""
    from anymole.io import Clip, write_bvh, write_gltf
    from anymole.render.mp4 import write_mp4

    base.parent.mkdir(parents=True, exist_ok=True)
    paths = {ext: base.with_name(base.name + ext) for ext in (".glb", ".bvh", ".mp4")}
    write_gltf(paths[".glb"], skeleton, [Clip(name, motion)])
    write_bvh(paths[".bvh"], skeleton, motion, unit_m=unit_m)
    write_mp4(paths[".mp4"], preview_frames_rgb(skeleton, motion), motion.fps)
    notes = []
    fbx = _write_fbx_if_possible(paths[".glb"], base.with_name(base.name + ".fbx"))
    if fbx:
        paths[".fbx"] = Path(fbx)
    else:
        from anymole.io.fbx_write import INSTALL_HINT

        notes.append(f"FBX not written: Blender's bpy is not installed; {INSTALL_HINT}")
    return paths, notes


def write_outputs(job: BakeJob, problem: InbetweenProblem, result: TransitionResult, digest: str, seconds: float) -> JobOutcome:
    """Write the job's motion files (:func:`write_motion_files`) and its JSON report."""
    paths = output_paths(job)
    skeleton, motion = problem.skeleton, result.motion
    written, notes = write_motion_files(job.output, job.name, skeleton, motion, unit_m=job.unit_m)
    outputs = [str(p) for p in paths.values()] + ([str(written[".fbx"])] if ".fbx" in written else [])
    outcome = JobOutcome(job.name, "ok", outputs, keyframe_error=result.keyframe_error, method=result.method, seconds=seconds)
    outcome.notes.extend(result.warnings)
    outcome.notes.extend(notes)
    gaps = problem.gaps()
    report = {
        "name": job.name,
        "fingerprint": digest,
        "method": result.method,
        "fps": motion.fps,
        "frames": motion.num_frames,
        "known_frames": [int(i) for i in problem.known.nonzero().flatten()],
        "gaps": [list(g) for g in gaps],
        "keyframe_error": result.keyframe_error,
        "warnings": list(result.warnings),
        "seconds": seconds,
        "outputs": outcome.outputs,
        "anymole_version": anymole.__version__,
    }
    paths[".json"].write_text(json.dumps(report, indent=2))
    return outcome


def _write_fbx_if_possible(glb: Path, fbx: Path) -> str | None:
    """Convert ``glb`` to ``fbx`` when bpy is installed (None when it is not); a failed
    conversion raises :class:`~anymole.errors.FormatError` (the job fails)."""
    from anymole.io.fbx_write import bpy_available, glb_to_fbx

    if not bpy_available():
        return None
    glb_to_fbx(glb, fbx)
    return str(fbx)


# -- running --------------------------------------------------------------------------------


def in_process_executor(request: TransitionRequest, emit: Emit, cancel: CancelToken, priors=None) -> TransitionResult:
    """Run a job in this process; ``priors`` (a :class:`~anymole.video.registry.PriorRegistry`)
    serves method ``anymole``."""
    from anymole.pipeline import run_transition

    return run_transition(request, emit, cancel, priors=priors)


def bake(jobs: list[BakeJob], executor: Executor = in_process_executor, *, force: bool = False, progress=None) -> list[JobOutcome]:
    """Run every job; never raises for a job's failure (it is recorded in its outcome).
    ``progress``: a ``rich.progress.Progress`` to show one bar per job (None: quiet)."""
    from rich.markup import escape

    assets = _Assets()
    outcomes = []
    for job in jobs:
        label = escape(job.name)  # names and messages are text, not rich markup
        task = progress.add_task(label, total=1.0) if progress is not None else None
        t0 = time.perf_counter()
        try:
            digest = fingerprint(job)
            if not force and is_up_to_date(job, digest):
                outcomes.append(JobOutcome(job.name, "skipped", _existing_outputs(job), notes=["outputs up to date"]))
                if task is not None:
                    progress.update(task, completed=1.0, description=f"{label} (up to date)")
                continue
            from anymole.job import CancelToken, PreviewOptions, ProgressEvent, TransitionRequest

            problem = build_problem(job, assets)
            request = TransitionRequest(problem=problem, method=job.method, seed=job.seed, preview=PreviewOptions(enabled=False))

            def emit(event, task=task):
                if task is not None and isinstance(event, ProgressEvent):
                    progress.update(task, completed=0.9 * event.fraction, description=f"{label}: {escape(event.message)}")

            result = executor(request, emit, CancelToken())
            outcomes.append(write_outputs(job, problem, result, digest, time.perf_counter() - t0))
            if task is not None:
                progress.update(task, completed=1.0, description=f"{label} ok")
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            message = str(exc) if isinstance(exc, (AnymoleError, OSError, ValueError)) else f"{type(exc).__name__}: {exc}"
            outcomes.append(JobOutcome(job.name, "failed", error=message, seconds=time.perf_counter() - t0))
            if task is not None:
                progress.update(task, completed=1.0, description=f"{label} FAILED")
    return outcomes


def summarize(outcomes: list[JobOutcome]) -> dict:
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "failed")}
    return {**counts, "jobs": [asdict(o) for o in outcomes]}


# -- command line ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="TOML manifest listing the jobs")
    parser.add_argument("--server", metavar="ADDRESS", help="run jobs on this server (host:port) instead of in-process")
    parser.add_argument("--token-file", type=Path, help="bearer token for --server")
    parser.add_argument("--tls-ca", type=Path, help="CA certificate to verify a TLS --server")
    parser.add_argument("--force", action="store_true", help="bake even when outputs are up to date")
    parser.add_argument("--report", type=Path, help="summary JSON (default: bake_report.json beside the manifest)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--video-model", action="append", default=[], metavar="NAME=PATH",
        help="in-process only: a video prior for method 'anymole' (ltx=FOLDER, wan-vace=FOLDER or tiny); repeatable",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=True)
    jobs = load_manifest(args.manifest)
    executor: Executor = in_process_executor
    closer = None
    # Executors (a gRPC client, video priors) load torch: only build them when a job will run.
    if args.video_model and args.server:
        raise ValidationError("video-model", "configure video priors on the server (anymole serve --video-model), not with --server")
    stale = args.force or any(not is_up_to_date(job, fingerprint(job)) for job in jobs)
    if args.video_model and stale:
        import functools

        from anymole.video.registry import PriorRegistry, parse_video_models

        executor = functools.partial(in_process_executor, priors=PriorRegistry(parse_video_models(args.video_model)))
    if args.server:
        from anymole.remote import remote_executor

        executor, closer = remote_executor(args.server, token_file=args.token_file, tls_ca=args.tls_ca)
    try:
        if args.no_progress:
            outcomes = bake(jobs, executor, force=args.force)
        else:
            columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                outcomes = bake(jobs, executor, force=args.force, progress=progress)
    finally:
        if closer is not None:
            closer()
    summary = summarize(outcomes)
    report = args.report or args.manifest.resolve().parent / "bake_report.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=2))
    table = Table(title=f"anymole bake: {summary['ok']} ok, {summary['skipped']} skipped, {summary['failed']} failed")
    for col in ("job", "status", "method", "keyframe error", "seconds", "detail"):
        table.add_column(col)
    for o in outcomes:
        kf = "" if o.keyframe_error is None else f"{o.keyframe_error:.2e}"
        table.add_row(escape(o.name), o.status, o.method, kf, f"{o.seconds:.2f}", escape(o.error or "; ".join(o.notes)))
    Console(file=sys.stdout).print(table)
    print(f"report: {report}")
    return 1 if summary["failed"] else 0
