"""The `anymole bake` manifest (TOML): a list of transitions to bake.

Example::

    fps = 30                    # working and output frame rate (default 30)
    method = "spline"           # default method for every job
    out_dir = "baked"           # outputs go here unless a job's `output` is absolute

    [[job]]
    name = "walk_to_idle"
    source = "clips/walk.bvh"   # BVH, glTF/GLB or FBX; relative to the manifest
    clip = "Walk"               # optional: which clip of a multi-clip file (default: the first)
    context = [0, 60]           # frames [start, stop) of the source clip at `fps`
    gap = 30                    # unknown frames before each keyframe without an explicit `at`
    keyframes = [
      { frame = 95 },                                     # a frame of the same clip
      { source = "clips/idle.bvh", frame = 0, at = 130 }, # or of another file (same joint names)
    ]
    method = "spline"           # optional per-job override
    output = "walk_to_idle"     # writes walk_to_idle.glb, .bvh, .mp4 and .json
    unit_m = 0.01               # BVH only: length of one file unit in metres (default 1)

Timeline: the context occupies frames ``0 .. C-1``; a keyframe's ``at`` is its frame on that
timeline; without ``at`` it sits ``gap`` unknown frames after the previous known frame.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from anymole.errors import ValidationError


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
    unit_m: float

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
    fps = _positive("fps", data.get("fps", 30))
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
        name = str(e.get("name", f"job{i}"))
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
            src = kf.get("source")
            specs.append(
                KeyframeSpec(
                    frame=_int(f"{f}.keyframes[{k}].frame", kf["frame"], 0),
                    source=(base / src) if src else None,
                    clip=kf.get("clip"),
                    at=_int(f"{f}.keyframes[{k}].at", kf["at"], 1) if "at" in kf else None,
                )
            )
        output = Path(str(e.get("output", name)))
        output = output if output.is_absolute() else out_dir / output
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
            unit_m=_positive(f"{f}.unit_m", e.get("unit_m", 1.0)),
        )
        job.timeline()  # checks ordering
        jobs.append(job)
    return jobs
