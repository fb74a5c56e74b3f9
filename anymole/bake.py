"""`anymole bake MANIFEST`: bake the transitions a TOML manifest lists (CI).

For each job: load the source clip (and keyframe sources), build the in-betweening problem on
the job's timeline, run it in-process (default) or on a server (``--server``), and write the
formats the manifest (or ``--formats``) selects: ``<output>.glb`` (a skeleton-only character
gets the renderer's bone mesh, skinned), ``<output>.bvh`` (each joint in its source rotation
order where the source is a BVH, Euler angles unwrapped), ``<output>.usda`` (UsdSkel),
``<output>.mp4`` (the preview renderer), ``<output>.fbx`` (only where bpy is installed), and
always ``<output>.json`` (the job's report). The manifest's schema is in
:mod:`anymole.bake_manifest`; ``anymole bake --example`` prints a full example.

Containment: every output path must resolve, symlinks included, inside the manifest's
``out_dir``; a bake checks every job's paths before it writes anything and fails otherwise.
Each file is written to a temporary file in its folder and renamed into place
(:func:`atomic_path`), so no existing file is opened for writing, a symlink in the way is
replaced rather than followed, and an interrupted bake leaves no half-written output.
A job whose outputs exist and whose inputs (manifest entry, file contents, library version)
have not changed is skipped. A failing job does not stop the others; the exit code is 1 when
any job failed, and a summary is printed and written to the report file.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import anymole
from anymole.bake_manifest import EXAMPLE, FORMATS, SIZE_RANGE_M, UNIT_RULE, BakeJob, load_manifest, parse_formats
from anymole.errors import AnymoleError, UnsupportedError, ValidationError

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
        self._cache: dict[tuple[str, float | None], object] = {}
        self.notes: dict[str, str] = {}
        self.units: dict[str, float] = {}

    def get(self, path: Path, unit_m: float | None, field_name: str = "source"):
        """The asset at ``path``; a BVH is read in ``unit_m`` metres per unit, or by
        :data:`~anymole.bake_manifest.UNIT_RULE` when ``unit_m`` is None (the choice is kept in
        :attr:`notes`). Refuses a character size outside
        :data:`~anymole.bake_manifest.SIZE_RANGE_M` unless ``unit_m`` was stated."""
        from anymole.io import load_asset

        key = (str(path), unit_m)
        if key not in self._cache:
            if not path.is_file():
                raise ValidationError(field_name, f"{path} does not exist")
            unit_field = field_name.rsplit(".", 1)[0] + ".unit_m" if "." in field_name else "unit_m"
            if path.suffix.lower() == ".bvh":
                asset = load_asset(path, unit_m=1.0 if unit_m is None else unit_m)
                if unit_m is None:
                    size_units = asset.skeleton.size
                    chosen = 1.0 if size_units <= 10.0 else 0.01
                    if chosen != 1.0:
                        asset = load_asset(path, unit_m=chosen)
                    self.units[str(path)] = chosen
                    self.notes[str(path)] = (
                        f"{path.name}: unit_m not stated; read as {'metres' if chosen == 1.0 else 'centimetres'} "
                        f"(unit_m = {chosen:g}; rest-pose size {size_units:.4g} file units -> {asset.skeleton.size:.3g} m; "
                        f"rule: {UNIT_RULE})"
                    )
            else:
                asset = load_asset(path)  # glTF: metres by definition; FBX: its declared unit
                if unit_m is not None and unit_m != 1.0:
                    asset = scale_asset(asset, unit_m)
                    self.notes[str(path)] = f"{path.name}: scaled by unit_m = {unit_m:g} (one file metre is {unit_m:g} m)"
            size_m = asset.skeleton.size
            lo, hi = SIZE_RANGE_M
            if unit_m is None and not (lo <= size_m <= hi):
                raise ValidationError(
                    unit_field,
                    f"{path.name}: the character would be {size_m:.4g} m across, outside the plausible {lo:g} m - {hi:g} m; "
                    "state the file's unit with unit_m (e.g. unit_m = 0.01 for centimetres)",
                )
            self._cache[key] = asset
        return self._cache[key]


def scale_asset(asset, k: float):
    """``asset`` with every length multiplied by ``k`` (offsets, translations, mesh vertices,
    the inverse bind matrices' translations); rotations are unchanged."""
    from dataclasses import replace

    from anymole.io import Clip

    sk = asset.skeleton
    mesh = sk.mesh
    if mesh is not None:
        ibm = mesh.inverse_bind_matrices.clone()
        ibm[..., :3, 3] *= k
        mesh = replace(mesh, vertices=mesh.vertices * k, inverse_bind_matrices=ibm)
    skeleton = replace(sk, offsets=sk.offsets * k, mesh=mesh)
    clips = tuple(Clip(c.name, c.motion.with_frames(c.motion.rotations, c.motion.translations * k)) for c in asset.clips)
    return replace(asset, skeleton=skeleton, clips=clips)


def _clip_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[|:._\-\s]+", name.lower()) if t]


def _pick_clip(asset, clip: str | None, field_name: str):
    """The clip named ``clip`` (default the first): matched exactly, then ignoring case, then
    as the name's parts (``Survey`` finds ``root|Survey_root``, ``survey root`` too); a name
    that matches none, or several, is an error listing the clips."""
    if not asset.clips:
        raise ValidationError(field_name, f"{asset.source} has no animation clip")
    if clip is None:
        return asset.clips[0]
    names = [c.name for c in asset.clips]
    for rule in (
        lambda n: n == clip,
        lambda n: n.lower() == clip.lower(),
        lambda n: _contains_run(_clip_tokens(n), _clip_tokens(clip)),
    ):
        hits = [c for c in asset.clips if rule(c.name)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ValidationError(field_name, f"clip {clip!r} matches several clips in {asset.source}: {[c.name for c in hits]}")
    raise ValidationError(field_name, f"no clip named {clip!r} in {asset.source}; clips: {names}")


def _contains_run(tokens: list[str], query: list[str]) -> bool:
    n = len(query)
    return n > 0 and any(tokens[i : i + n] == query for i in range(len(tokens) - n + 1))


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
        foreign = spec.source is not None or spec.clip is not None
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
        align = job.align if job.align is not None else ("root+heading" if foreign else "none")
        if align != "none":
            at = job.timeline()[i]
            r, t = align_keyframe(skeleton, motion.slice(c0, c1), r, t, at, heading=align == "root+heading")
        rots.append(r)
        transs.append(t)
    keyframes = Motion(torch.stack(rots), torch.stack(transs), job.fps)
    return InbetweenProblem.from_timeline(skeleton, motion.slice(c0, c1), keyframes, job.timeline(), field=f"{job.name}.keyframes")


def align_root_joint(skeleton: Skeleton, context: Motion) -> int:
    """The joint whose global position travels farthest horizontally over ``context`` (the one
    that carries the character's travel: the root, or a pelvis under a static root)."""
    import torch

    _, pos = context.global_transforms(skeleton)
    flat = pos[..., [0, 2]]
    travel = (flat - flat[-1:]).norm(dim=-1).amax(0)  # (J,)
    return int(torch.argmax(travel)) if float(travel.max()) > 0 else 0


def align_keyframe(skeleton: Skeleton, context: Motion, rot: torch.Tensor, trans: torch.Tensor, at: int, *, heading: bool):
    """Place one keyframe pose (``rot (J, 4)``, ``trans (J, 3)``, canonical frame) in the
    context's frame of reference, by :data:`~anymole.bake_manifest.ALIGN_RULE`; ``at`` is the
    keyframe's timeline frame (the context is frames ``0 .. C-1``).

    The pose moves rigidly in the world (joint 0's transform changes): horizontally so that
    the travelling joint (:func:`align_root_joint`) lands where the context's last position
    would be after ``at - (C-1)`` frames at its final velocity, its height kept; with
    ``heading`` also turned about the vertical (+Y) through that joint so that its heading (the
    twist of its world rotation about +Y) is the context's last one."""
    import torch

    from anymole.geometry.rotations import quat_apply, quat_conjugate, quat_mul, quat_normalize
    from anymole.kinematics import forward_kinematics

    j = align_root_joint(skeleton, context)
    c_rot, c_pos = context.global_transforms(skeleton)
    k_rot, k_pos = forward_kinematics(skeleton.parents, rot[None], trans[None])
    last = c_pos[-1, j]
    vel = c_pos[-1, j] - c_pos[-2, j] if context.num_frames >= 2 else torch.zeros_like(last)
    target = last + vel * (at - (context.num_frames - 1))
    pivot = k_pos[0, j]

    def yaw(q):
        t = torch.stack([q[..., 1] * 0, q[..., 1], q[..., 1] * 0, q[..., 3]], -1)
        n = t.norm(dim=-1, keepdim=True)
        return torch.where(n > 1e-9, t / n.clamp_min(1e-12), torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=q.dtype))

    delta = quat_mul(yaw(c_rot[-1, j]), quat_conjugate(yaw(k_rot[0, j]))) if heading else torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=rot.dtype)
    shift = target - pivot
    shift[1] = 0.0
    rot, trans = rot.clone(), trans.clone()
    rot[0] = quat_normalize(quat_mul(delta, rot[0]))
    trans[0] = quat_apply(delta, trans[0] - pivot) + pivot + shift
    return rot, trans


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
    h.update(",".join(job.formats).encode())
    files = {job.source} | {k.source for k in job.keyframes if k.source is not None}
    for p in sorted(files, key=str):
        h.update(str(p).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest() if p.exists() else b"missing")
    return h.hexdigest()


_EXT = {"glb": ".glb", "bvh": ".bvh", "usd": ".usda", "mp4": ".mp4", "fbx": ".fbx"}


def output_paths(job: BakeJob, formats: tuple[str, ...] | None = None) -> dict[str, Path]:
    """The outputs a bake writes, by extension: one per selected format except FBX (see
    :func:`fbx_path`), and ``.json`` (the job's report) always."""
    formats = job.formats if formats is None else formats
    base = job.output
    exts = [_EXT[f] for f in FORMATS if f in formats and f != "fbx"] + [".json"]
    return {ext: base.with_name(base.name + ext) for ext in exts}


def fbx_path(job: BakeJob) -> Path:
    """``<output>.fbx``, written only where bpy is installed."""
    return job.output.with_name(job.output.name + ".fbx")


def check_contained(job: BakeJob, formats: tuple[str, ...] | None = None) -> None:
    """Raise :class:`ValidationError` (``<job>.output``) unless every output path of ``job``
    resolves, symlinks included, inside its ``out_dir``."""
    if job.out_dir is None:
        return
    root = Path(os.path.realpath(job.out_dir))
    for p in [*output_paths(job, formats).values(), fbx_path(job)]:
        real = Path(os.path.realpath(p))
        if real != root and root not in real.parents:
            raise ValidationError(
                f"{job.name}.output", f"{p} resolves to {real}, outside the output folder {root}; nothing was written"
            )


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder (same suffix) to write to; on success it is
    renamed onto ``path`` (a symlink at ``path`` is replaced, never followed); on failure it
    is removed."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def is_up_to_date(job: BakeJob, digest: str) -> bool:
    """True when the outputs exist, the report's fingerprint is ``digest``, every output the
    report lists still exists, and — where bpy is installed now — the FBX was written too
    (so deleting the FBX, or installing bpy after a bake without it, bakes again)."""
    from anymole.io import fbx_write  # stdlib only: bpy is looked up, not imported

    paths = output_paths(job)
    if not all(p.exists() for p in paths.values()):
        return False
    if "fbx" not in job.formats:
        return _report_matches(paths[".json"], digest)
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


def _report_matches(report_path: Path, digest: str) -> bool:
    try:
        report = json.loads(report_path.read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(report, dict) or report.get("fingerprint") != digest:
        return False
    return all(Path(p).exists() for p in report.get("outputs", []) if isinstance(p, str))


def _existing_outputs(job: BakeJob) -> list[str]:
    return [str(p) for p in [*output_paths(job).values(), fbx_path(job)] if p.exists()]


def preview_frames_rgb(skeleton: Skeleton, motion: Motion, size: tuple[int, int] = PREVIEW_SIZE) -> np.ndarray:
    """Every frame of ``motion`` rendered by the preview renderer
    (:func:`anymole.render.preview.render_preview_frames`, front view, framed over the whole
    motion): ``(T, H, W, 3)`` uint8 RGB; ``size`` is ``(width, height)`` pixels."""
    from anymole.render.preview import render_preview_frames

    return render_preview_frames(skeleton, motion, size=size)


def write_motion_files(
    base: Path,
    name: str,
    skeleton: Skeleton,
    motion: Motion,
    *,
    unit_m: float = 1.0,
    formats: tuple[str, ...] = FORMATS,
    bvh_orders: list[str] | None = None,
) -> tuple[dict[str, Path], list[str]]:
    """Write ``motion`` ``(T, J)`` of ``skeleton`` (canonical frame, metres) beside ``base`` in
    the selected ``formats``: ``<base>.glb`` (one clip called ``name``; a skeleton without a
    mesh gets its bone mesh), ``<base>.bvh`` (lengths in units of ``unit_m`` metres, joints in
    ``bvh_orders`` rotation orders), ``<base>.usda`` (UsdSkel), ``<base>.mp4`` (the preview
    renderer, every frame, at the motion's fps) and ``<base>.fbx`` where bpy is installed.
    Every file goes through :func:`atomic_path`. Returns the paths written by extension and
    notes (e.g. why there is no FBX)."""
    from anymole.io import Clip, write_bvh, write_gltf

    base.parent.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    notes: list[str] = []
    glb = base.with_name(base.name + ".glb")
    wants_glb = "glb" in formats or ("fbx" in formats and _bpy_available())
    if wants_glb:
        from anymole.render.bone_mesh import mesh_for

        shown = skeleton if skeleton.mesh is not None else skeleton.with_mesh(mesh_for(skeleton))
        with atomic_path(glb) as tmp:
            write_gltf(tmp, shown, [Clip(name, motion)])
        paths[".glb"] = glb
    if "bvh" in formats:
        bvh = base.with_name(base.name + ".bvh")
        with atomic_path(bvh) as tmp:
            write_bvh(tmp, skeleton, motion, unit_m=unit_m, rotation_orders=bvh_orders)
        paths[".bvh"] = bvh
    if "usd" in formats:
        from anymole.io.usd_write import write_usd

        usd = base.with_name(base.name + ".usda")
        with atomic_path(usd) as tmp:
            write_usd(tmp, skeleton, motion, clip_name=name)
        paths[".usda"] = usd
    if "mp4" in formats:
        from anymole.render.mp4 import write_mp4

        mp4 = base.with_name(base.name + ".mp4")
        with atomic_path(mp4) as tmp:
            write_mp4(tmp, preview_frames_rgb(skeleton, motion), motion.fps)
        paths[".mp4"] = mp4
    if "fbx" in formats:
        fbx_out = base.with_name(base.name + ".fbx")
        if _bpy_available():
            with atomic_path(fbx_out) as tmp:
                _write_fbx_if_possible(glb, tmp)
            paths[".fbx"] = fbx_out
        else:
            from anymole.io.fbx_write import INSTALL_HINT

            notes.append(f"FBX not written: Blender's bpy is not installed; {INSTALL_HINT}")
    if wants_glb and "glb" not in formats:
        glb.unlink()
        del paths[".glb"]
    return paths, notes


def _bpy_available() -> bool:
    from anymole.io.fbx_write import bpy_available

    return bpy_available()


def write_outputs(
    job: BakeJob,
    problem: InbetweenProblem,
    result: TransitionResult,
    digest: str,
    seconds: float,
    *,
    unit_m_used: float | None = None,
    bvh_orders: list[str] | None = None,
    notes_in: list[str] = (),
) -> JobOutcome:
    """Write the job's motion files (:func:`write_motion_files`) and its JSON report."""
    paths = output_paths(job)
    skeleton, motion = problem.skeleton, result.motion
    check_contained(job)  # again, just before writing: a symlink may have appeared
    written, notes = write_motion_files(
        job.output, job.name, skeleton, motion, unit_m=job.unit_m or unit_m_used or 1.0, formats=job.formats, bvh_orders=bvh_orders
    )
    outputs = [str(p) for p in written.values()] + [str(paths[".json"])]
    outcome = JobOutcome(job.name, "ok", outputs, keyframe_error=result.keyframe_error, method=result.method, seconds=seconds)
    outcome.notes.extend(notes_in)
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
        "notes": outcome.notes,
        "unit_m": job.unit_m or unit_m_used,
        "seconds": seconds,
        "outputs": outcome.outputs,
        "anymole_version": anymole.__version__,
    }
    with atomic_path(paths[".json"]) as tmp:
        tmp.write_text(json.dumps(report, indent=2))
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


SCALE_OUT_GROUP = "anymole.executors"


def parse_video_models_arg(values) -> dict:
    if not values:
        return {}
    from anymole.video.registry import parse_video_models

    return parse_video_models(values)


def scale_out_executor(name: str, workers: int, address: str | None, video_models: dict):
    """``(executor, close, parallel)`` for ``bake --executor NAME``, found through the
    ``anymole.executors`` entry points (the server package registers ``ray``; the library names
    no server module)."""
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=SCALE_OUT_GROUP) if ep.name == name]
    if not found:
        raise UnsupportedError(f"--executor {name} needs the server package with the {name} extra: pip install '.[{name}]'")
    return found[0].load()(workers=workers, address=address, video_models=video_models)


def bake(jobs: list[BakeJob], executor: Executor = in_process_executor, *, force: bool = False, progress=None, parallel: int = 1) -> list[JobOutcome]:
    """Run every job; never raises for a job's failure (it is recorded in its outcome).

    ``progress``: a ``rich.progress.Progress`` to show one bar per job and, with ``parallel``
    > 1, one for all of them (None: quiet). ``parallel``: how many jobs the executor runs at
    once (a Ray cluster's workers); jobs are prepared and their outputs written one at a time,
    in manifest order, either way."""
    from concurrent.futures import ThreadPoolExecutor

    from rich.markup import escape

    assets = _Assets()
    for job in jobs:  # 0. every output stays in its folder, checked before anything is written
        check_contained(job)
    outcomes: list[JobOutcome | None] = [None] * len(jobs)
    pending = []  # (index, job, label, task, t0, digest, problem, request)
    overall = progress.add_task("all jobs", total=len(jobs)) if progress is not None and parallel > 1 else None

    def done(i: int, outcome: JobOutcome) -> None:
        outcomes[i] = outcome
        if overall is not None:
            progress.update(overall, completed=sum(o is not None for o in outcomes), description=f"all jobs: {sum(o is not None and o.status == 'failed' for o in outcomes)} failed")

    def failed(exc: BaseException, name: str, t0: float) -> JobOutcome:
        message = str(exc) if isinstance(exc, (AnymoleError, OSError, ValueError)) else f"{type(exc).__name__}: {exc}"
        return JobOutcome(name, "failed", error=message, seconds=time.perf_counter() - t0)

    # 1. Prepare each job (one at a time: assets load once): skip the up-to-date ones.
    for i, job in enumerate(jobs):
        label = escape(job.name)  # names and messages are text, not rich markup
        task = progress.add_task(label, total=1.0) if progress is not None else None
        t0 = time.perf_counter()
        try:
            digest = fingerprint(job)
            if not force and is_up_to_date(job, digest):
                done(i, JobOutcome(job.name, "skipped", _existing_outputs(job), notes=["outputs up to date"]))
                if task is not None:
                    progress.update(task, completed=1.0, description=f"{label} (up to date)")
                continue
            from anymole.job import PreviewOptions, TransitionRequest

            problem = build_problem(job, assets)
            request = TransitionRequest(problem=problem, method=job.method, seed=job.seed, preview=PreviewOptions(enabled=False))
            pending.append((i, job, label, task, t0, digest, problem, request))
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            done(i, failed(exc, job.name, t0))
            if task is not None:
                progress.update(task, completed=1.0, description=f"{label} FAILED")

    # 2. Run them (``parallel`` at a time).
    def solve(item):
        from anymole.job import CancelToken, ProgressEvent

        i, job, label, task, t0, digest, problem, request = item

        def emit(event):
            if task is not None and isinstance(event, ProgressEvent):
                progress.update(task, completed=0.9 * event.fraction, description=f"{label}: {escape(event.message)}")

        try:
            return executor(request, emit, CancelToken()), None
        except Exception as exc:  # noqa: BLE001 - recorded below
            return None, exc

    if parallel > 1 and len(pending) > 1:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="anymole-bake") as pool:
            solved = list(pool.map(solve, pending))
    else:
        solved = [solve(item) for item in pending]

    # 3. Write the outputs, in manifest order.
    for (i, job, label, task, t0, digest, problem, request), (result, error) in zip(pending, solved):
        try:
            if error is not None:
                raise error
            src = str(job.source)
            orders = None
            if job.source.suffix.lower() == ".bvh":
                from anymole.io.bvh import bvh_rotation_orders

                orders = bvh_rotation_orders(job.source)
            notes = [n for p, n in assets.notes.items() if p in {src, *(str(k.source) for k in job.keyframes if k.source)}]
            done(i, write_outputs(
                job, problem, result, digest, time.perf_counter() - t0,
                unit_m_used=assets.units.get(src), bvh_orders=orders, notes_in=notes,
            ))
            if task is not None:
                progress.update(task, completed=1.0, description=f"{label} ok")
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
            done(i, failed(exc, job.name, t0))
            if task is not None:
                progress.update(task, completed=1.0, description=f"{label} FAILED")
    return [o for o in outcomes if o is not None]


def summarize(outcomes: list[JobOutcome]) -> dict:
    counts = {s: sum(o.status == s for o in outcomes) for s in ("ok", "skipped", "failed")}
    return {**counts, "jobs": [asdict(o) for o in outcomes]}


# -- command line ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, nargs="?", help="TOML manifest listing the jobs (schema: anymole bake --example)")
    parser.add_argument("--example", action="store_true", help="print a full example manifest (every key) and exit")
    parser.add_argument("--formats", metavar="LIST", help=f"outputs to write, comma-separated among {','.join(FORMATS)} (default: the manifest's `formats`, else all)")
    parser.add_argument("--server", metavar="ADDRESS", help="run jobs on this server (host:port) instead of in-process")
    parser.add_argument(
        "--executor", choices=("local", "ray"), default="local",
        help="in-process only: local (this process) or ray (spread the jobs over a Ray cluster's workers; needs the ray extra)",
    )
    parser.add_argument("--workers", type=int, default=0, help="with --executor ray: workers (default: the cluster's CPUs, or GPUs where it has them)")
    parser.add_argument("--ray-address", default=None, help="with --executor ray: the cluster to join (default: start a local one)")
    parser.add_argument("--token-file", type=Path, help="bearer token for --server")
    parser.add_argument("--tls-ca", type=Path, help="CA certificate to verify a TLS --server")
    parser.add_argument("--force", action="store_true", help="bake even when outputs are up to date")
    parser.add_argument("--report", type=Path, help="summary JSON (default: <manifest stem>.report.json beside the manifest)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--video-model", action="append", default=[], metavar="NAME=PATH",
        help="in-process only: a video prior for method 'anymole' (ltx=FOLDER, wan-vace=FOLDER or tiny); repeatable",
    )


def default_report_path(manifest: Path) -> Path:
    """``<manifest stem>.report.json`` beside the manifest."""
    m = manifest.resolve()
    return m.with_name(m.stem + ".report.json")


def summary_lines(summary: dict, outcomes: list[JobOutcome]) -> list[str]:
    """The summary as plain lines (for logs that are not a terminal): one per job, whole
    error text, then the totals."""
    lines = []
    for o in outcomes:
        kf = "" if o.keyframe_error is None else f" keyframe_error={o.keyframe_error:.2e}"
        detail = o.error or "; ".join(o.notes)
        lines.append(f"{o.status.upper():7s} {o.name} method={o.method or '-'}{kf} seconds={o.seconds:.2f}" + (f" :: {detail}" if detail else ""))
    lines.append(f"anymole bake: {summary['ok']} ok, {summary['skipped']} skipped, {summary['failed']} failed")
    return lines


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    if args.example:
        sys.stdout.write(EXAMPLE)
        return 0
    if args.manifest is None:
        raise ValidationError("manifest", "give a manifest file (anymole bake MANIFEST), or --example to print one")
    console = Console(stderr=True)
    jobs = load_manifest(args.manifest)
    if args.formats:
        formats = parse_formats("formats", args.formats)
        jobs = [dataclasses.replace(j, formats=formats) for j in jobs]
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
    parallel = 1
    if getattr(args, "executor", "local") == "ray":
        if args.server:
            raise ValidationError("executor", "--executor ray runs jobs on a Ray cluster from here; with --server the server's executor decides")
        if stale:
            executor, closer, parallel = scale_out_executor("ray", args.workers, args.ray_address, parse_video_models_arg(args.video_model))
    try:
        if args.no_progress or not console.is_terminal:
            outcomes = bake(jobs, executor, force=args.force, parallel=parallel)
        else:
            columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                outcomes = bake(jobs, executor, force=args.force, progress=progress, parallel=parallel)
    finally:
        if closer is not None:
            closer()
    summary = summarize(outcomes)
    report = args.report or default_report_path(args.manifest)
    report.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(report) as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    for o in outcomes:
        if o.status == "failed":
            print(f"error: {o.name}: {o.error}", file=sys.stderr)
    if sys.stdout.isatty():
        table = Table(title=f"anymole bake: {summary['ok']} ok, {summary['skipped']} skipped, {summary['failed']} failed")
        for col in ("job", "status", "method", "keyframe error", "seconds", "detail"):
            table.add_column(col, overflow="fold")
        for o in outcomes:
            kf = "" if o.keyframe_error is None else f"{o.keyframe_error:.2e}"
            table.add_row(escape(o.name), o.status, o.method, kf, f"{o.seconds:.2f}", escape(o.error or "; ".join(o.notes)))
        Console(file=sys.stdout).print(table)
    else:
        print("\n".join(summary_lines(summary, outcomes)))
    print(f"report: {report}")
    return 1 if summary["failed"] else 0
