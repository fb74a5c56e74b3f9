"""The `anymole bake` manifest (TOML): a list of transitions to bake.

Schema (every key; any other key is an error naming the closest known one):

top level
    ``fps`` (number, default 30): working and output frame rate.
    ``method`` (string, default ``"spline"``): default method for every job.
    ``out_dir`` (string, default ``"."``): the output folder, relative to the manifest. Every
    output must resolve, symlinks included, inside it.
    ``formats`` (list of strings, default every format): outputs written, among
    :data:`FORMATS` (``glb``, ``bvh``, ``usd``, ``mp4``, ``fbx``); the per-job ``.json``
    report is always written. ``fbx`` is written only where Blender's bpy is installed.
    ``unit_m``, ``align``: defaults for the jobs' keys of the same names.
    ``[[job]]``: one table per transition.

``[[job]]``
    ``name`` (string, default ``job<i>``): names the outputs and the clip in them.
    ``source`` (string, required): BVH, glTF/GLB or FBX, relative to the manifest.
    ``clip`` (string): which clip of a multi-clip file (default the first). Matched exactly,
    then ignoring case, then as a part of the file's names (``Survey`` finds
    ``root|Survey_root``).
    ``context`` (``[start, stop]``, required): frames of the source clip at ``fps``.
    ``gap`` (integer, default 30): unknown frames before a keyframe without ``at``.
    ``keyframes`` (list, required): ``{ frame, source, clip, at }`` tables (or bare frame
    numbers); ``source``/``clip`` default to the job's.
    ``method``, ``fps``, ``seed`` (integer, default 0): per-job overrides.
    ``output`` (string, default the name): output path without extension, inside ``out_dir``.
    ``unit_m`` (number): the length of one file unit in metres. BVH: without it the unit is
    inferred (:data:`UNIT_RULE`) and the choice is reported. glTF (metres by definition) and
    FBX (its declared unit, read by the loader): lengths are multiplied by it when stated (a
    glTF modelled in centimetres: ``unit_m = 0.01``). A character size outside
    :data:`SIZE_RANGE_M` fails the job, naming ``unit_m``, unless ``unit_m`` is stated.
    ``align`` (``"none"``, ``"root"`` or ``"root+heading"``): how a keyframe taken from
    another clip or file is placed in the context's frame of reference (:data:`ALIGN_RULE`).
    Default ``"root+heading"`` for keyframes from another clip or file; keyframes from the
    job's own clip are never moved unless ``align`` is given.

A full example is :data:`EXAMPLE`, printed by ``anymole bake --example`` and shown in the README.

Timeline: the context occupies frames ``0 .. C-1``; a keyframe's ``at`` is its frame on that
timeline; without ``at`` it sits ``gap`` unknown frames after the previous known frame.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from anymole.errors import ValidationError

EXAMPLE = """\
# anymole bake manifest: every key, with its default where it has one.
fps = 30                      # working and output frame rate
method = "spline"             # default method for every job
out_dir = "baked"             # output folder (relative to this file); outputs stay inside it
formats = ["glb", "bvh", "usd", "mp4", "fbx"]   # outputs to write (fbx only where bpy is installed)

[[job]]
name = "walk_to_idle"
source = "clips/walk.bvh"     # BVH, glTF/GLB or FBX; relative to this file
clip = "Walk"                 # optional: which clip of a multi-clip file (default: the first)
context = [0, 60]             # frames [start, stop) of the source clip at `fps`
gap = 30                      # unknown frames before each keyframe without an explicit `at`
keyframes = [
  { frame = 95 },                                     # a frame of the same clip
  { source = "clips/idle.bvh", frame = 0, at = 130 }, # or of another file (same joint names)
]
method = "spline"             # optional per-job override
seed = 0
output = "walk_to_idle"       # writes baked/walk_to_idle.glb, .bvh, .usda, .mp4 and .json
unit_m = 0.01                 # one file unit in metres (BVH default: inferred and reported)
align = "root+heading"        # none | root | root+heading (default root+heading for keyframes
                              # from another clip or file; own-clip keyframes are not moved)
"""

FORMATS = ("glb", "bvh", "usd", "mp4", "fbx")
"""Output formats, by the key ``formats`` and ``--formats`` use."""

ALIGNS = ("none", "root", "root+heading")

UNIT_RULE = (
    "a BVH without unit_m is read in metres when its rest-pose size (the largest distance between "
    "two joints) is at most 10 file units, else in centimetres (unit_m = 0.01)"
)
ALIGN_RULE = (
    "the keyframe pose moves rigidly (its root joint's transform): root - horizontally, so that the joint "
    "carrying the character's travel lands where the context's last position of it would be after the frames "
    "between them at its final velocity (its height kept); root+heading - also turned about the vertical "
    "through that joint so that it faces the way it does at the context's last frame"
)
SIZE_RANGE_M = (0.01, 100.0)
"""Plausible character sizes in metres; outside them a job fails unless ``unit_m`` is stated."""

TOP_KEYS = ("fps", "method", "out_dir", "formats", "unit_m", "align", "job")
JOB_KEYS = ("name", "source", "clip", "context", "gap", "keyframes", "method", "output", "fps", "seed", "unit_m", "align")
KEYFRAME_KEYS = ("frame", "source", "clip", "at")


def check_keys(field: str, table: dict, known: tuple[str, ...]) -> None:
    """Raise :class:`ValidationError` for the first key of ``table`` not in ``known``, naming
    it and the closest known key."""
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.0)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = f"{field}.{key}" if field else key
            raise ValidationError(where, f"unknown key {key!r}{hint} (known: {', '.join(known)})")


def parse_formats(field: str, value) -> tuple[str, ...]:
    """A list (or comma-separated string) of :data:`FORMATS`, checked."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValidationError(field, f"expected a list of formats among {list(FORMATS)}, got {value!r}")
    out = []
    for it in items:
        it = str(it).strip().lower().lstrip(".")
        it = {"gltf": "glb", "usda": "usd", "usdc": "usd"}.get(it, it)
        if it not in FORMATS:
            close = difflib.get_close_matches(it, FORMATS, n=1, cutoff=0.0)
            raise ValidationError(field, f"unknown format {it!r}; did you mean {close[0]!r}? (known: {', '.join(FORMATS)})")
        if it not in out:
            out.append(it)
    return tuple(out)


@dataclass(frozen=True)
class KeyframeSpec:
    """Pose ``frame`` (at the job's fps) of ``source``/``clip`` (default: the job's), placed at
    timeline frame ``at`` (``None``: ``gap`` frames after the previous known frame)."""

    frame: int
    source: Path | None = None
    clip: str | None = None
    at: int | None = None


@dataclass(frozen=True)
class BakeJob:
    name: str
    source: Path
    clip: str | None
    context: tuple[int, int]
    keyframes: tuple[KeyframeSpec, ...]
    gap: int
    method: str
    output: Path
    fps: float
    seed: int
    unit_m: float | None
    align: str | None = None
    formats: tuple[str, ...] = FORMATS
    out_dir: Path | None = None

    def timeline(self) -> list[int]:
        """Timeline frame of each keyframe (strictly increasing, after the context)."""
        c = self.context[1] - self.context[0]
        out, prev = [], c - 1
        for i, k in enumerate(self.keyframes):
            at = k.at if k.at is not None else prev + self.gap + 1
            if at <= prev:
                raise ValidationError(
                    f"{self.name}.keyframes[{i}].at", f"frame {at} is not after the previous known frame {prev}"
                )
            out.append(at)
            prev = at
        return out


def _int(field: str, value, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValidationError(field, f"must be >= {minimum}, got {value}")
    return value


def _positive(field: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
        raise ValidationError(field, f"expected a positive number, got {value!r}")
    return float(value)


def load_manifest(path: str | Path) -> list[BakeJob]:
    """Parse and check a manifest. Raises :class:`ValidationError` naming ``job[i].field``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError("manifest", f"{path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError("manifest", f"{path} is not valid TOML: {exc}") from None
    base = path.resolve().parent
    check_keys("", data, TOP_KEYS)
    fps = _positive("fps", data.get("fps", 30))
    formats = parse_formats("formats", data["formats"]) if "formats" in data else FORMATS
    top_unit = _positive("unit_m", data["unit_m"]) if "unit_m" in data else None
    top_align = _align("align", data["align"]) if "align" in data else None
    default_method = str(data.get("method", "spline"))
    out_dir = base / str(data.get("out_dir", "."))
    entries = data.get("job")
    if not isinstance(entries, list) or not entries:
        raise ValidationError("job", "the manifest lists no [[job]] tables")
    jobs, names, outputs = [], set(), {}
    for i, e in enumerate(entries):
        f = f"job[{i}]"
        if not isinstance(e, dict):
            raise ValidationError(f, "must be a table")
        check_keys(f, e, JOB_KEYS)
        name = str(e.get("name", f"job{i}"))
        _check_name(f"{f}.name", name)
        if name in names:
            raise ValidationError(f"{f}.name", f"duplicate job name {name!r}")
        names.add(name)
        if "source" not in e:
            raise ValidationError(f"{f}.source", "missing")
        ctx = e.get("context")
        if not (isinstance(ctx, list) and len(ctx) == 2):
            raise ValidationError(f"{f}.context", "expected [start, stop] frames")
        c0, c1 = _int(f"{f}.context[0]", ctx[0], 0), _int(f"{f}.context[1]", ctx[1], 0)
        if c1 - c0 < 2:
            raise ValidationError(f"{f}.context", f"needs at least 2 frames, got [{c0}, {c1})")
        kfs = e.get("keyframes")
        if not isinstance(kfs, list) or not kfs:
            raise ValidationError(f"{f}.keyframes", "expected a non-empty list of {frame = N} tables")
        specs = []
        for k, kf in enumerate(kfs):
            kf = {"frame": kf} if isinstance(kf, int) and not isinstance(kf, bool) else kf
            if not isinstance(kf, dict) or "frame" not in kf:
                raise ValidationError(f"{f}.keyframes[{k}]", "expected a table with a `frame`")
            check_keys(f"{f}.keyframes[{k}]", kf, KEYFRAME_KEYS)
            src = kf.get("source")
            specs.append(
                KeyframeSpec(
                    frame=_int(f"{f}.keyframes[{k}].frame", kf["frame"], 0),
                    source=(base / src) if src else None,
                    clip=kf.get("clip"),
                    at=_int(f"{f}.keyframes[{k}].at", kf["at"], 1) if "at" in kf else None,
                )
            )
        output = _output_path(f"{f}.output" if "output" in e else f"{f}.name", str(e.get("output", name)), out_dir)
        if output in outputs:
            raise ValidationError(f"{f}.output", f"{output} is also the output of job {outputs[output]!r}")
        outputs[output] = name
        job = BakeJob(
            name=name,
            source=base / str(e["source"]),
            clip=e.get("clip"),
            context=(c0, c1),
            keyframes=tuple(specs),
            gap=_int(f"{f}.gap", e.get("gap", 30), 0),
            method=str(e.get("method", default_method)),
            output=output,
            fps=_positive(f"{f}.fps", e.get("fps", fps)),
            seed=_int(f"{f}.seed", e.get("seed", 0)),
            unit_m=_positive(f"{f}.unit_m", e["unit_m"]) if "unit_m" in e else top_unit,
            align=_align(f"{f}.align", e["align"]) if "align" in e else top_align,
            formats=formats,
            out_dir=out_dir,
        )
        job.timeline()  # checks ordering
        jobs.append(job)
    return jobs


def _align(field: str, value) -> str:
    v = str(value).strip().lower()
    if v not in ALIGNS:
        close = difflib.get_close_matches(v, ALIGNS, n=1, cutoff=0.0)
        raise ValidationError(field, f"unknown align {value!r}; did you mean {close[0]!r}? (known: {', '.join(ALIGNS)})")
    return v


def _check_name(field: str, name: str) -> None:
    if not name or name in (".", "..") or any(c in name for c in "/\\\0") or name != name.strip():
        raise ValidationError(field, f"{name!r} is not a plain file name (no path separators, '..' or NUL)")


def _output_path(field: str, text: str, out_dir: Path) -> Path:
    """``out_dir / text``, refused unless it stays inside ``out_dir`` lexically (no absolute
    paths, no ``..``); symlinks are checked again before anything is written
    (:func:`anymole.bake.check_contained`)."""
    rel = Path(text)
    if "\0" in text or not text.strip():
        raise ValidationError(field, "empty or contains NUL")
    if rel.is_absolute() or rel.drive or rel.anchor:
        raise ValidationError(field, f"{text!r} is an absolute path; outputs stay inside out_dir {out_dir}")
    if ".." in rel.parts:
        raise ValidationError(field, f"{text!r} contains '..'; outputs stay inside out_dir {out_dir}")
    return out_dir / rel
