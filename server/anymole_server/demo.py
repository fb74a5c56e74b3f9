"""``anymole demo --out DIR``: the whole bridge on one shipped sample, in seconds on a CPU.

1. Start a server in this process on a free loopback port, its SQLite store in ``DIR``.
2. Connect with the Python client (:class:`anymole_client.Client`, protocol check included).
3. Send the sample transition (:mod:`anymole_server.sample_job`: a CMU clip, 40 context frames,
   a 30-frame gap, the target keyframe at frame 70) and follow its events; every preview image
   is written to ``DIR/previews/NNN_<stage>_<frame>.jpg`` as it arrives.
4. Write the returned motion as ``DIR/transition.glb``, ``.bvh`` (centimetres, like the
   sample), ``.mp4`` (the preview renderer, every frame) — and ``.fbx`` where bpy is installed —
   with the same writers as ``anymole bake``.
5. Write ``DIR/report.json``: method, timings, keyframe error, error against the clip's own
   frames, preview count, server address and versions, files.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

EXIT_OK = 0
HELP = "Start a server, run one job on a shipped sample, write the outputs."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("demo_out"), help="output directory (default demo_out)")
    parser.add_argument("--method", default="spline", help="in-betweening method (default spline)")
    parser.add_argument("--preview-size", type=int, default=256, help="preview width and height in pixels (default 256)")
    parser.add_argument("--max-previews", type=int, default=8, help="preview frames the server sends (default 8)")


def _say(message: str) -> None:
    print(f"anymole demo: {message}", flush=True)


def run(args: argparse.Namespace) -> int:
    import torch

    from anymole.bake import write_motion_files
    from anymole.wire import motion_from_result
    from anymole.metrics import keyframe_error, l2p
    from anymole_server.background import BackgroundServer
    from anymole_server.config import ServerConfig
    from anymole_server.sample_job import SAMPLE_UNIT_M, load_sample_transition, sample_input, sample_path

    t_start = time.perf_counter()
    out: Path = args.out
    previews_dir = out / "previews"
    previews_dir.mkdir(parents=True, exist_ok=True)
    for old in previews_dir.glob("*.jpg"):  # previews of an earlier run would be miscounted
        old.unlink()
    timings: dict[str, float] = {}

    # 1. Sample and server.
    sample = load_sample_transition()
    _say(f"sample {sample_path().name}: {sample.skeleton.num_joints} joints, context frames 0-{sample.context.num_frames - 1}, "
         f"keyframe at frame {sample.keyframe_indices[-1]} ({sample.truth.fps:g} fps)")
    t0 = time.perf_counter()
    server = BackgroundServer(ServerConfig(host="127.0.0.1", port=0, db_path=out / "jobs.sqlite3")).start()
    timings["server_start_s"] = time.perf_counter() - t0
    try:
        with server.client() as client:
            info = client.server_info()
            caps = info.capabilities
            _say(f"server {info.server_version} (protocol {info.protocol_version}) listening on {server.address}; "
                 f"device {caps.device}, renderer {caps.renderer}, methods {', '.join(caps.methods)}")

            # 2. The job, previews streamed to disk.
            request = sample_input(sample, method=args.method, preview_size=(args.preview_size, args.preview_size), preview_max_frames=args.max_previews)
            previews: list[str] = []
            first: dict[str, float] = {}
            t_submit = time.perf_counter()

            def on_event(event) -> None:
                now = time.perf_counter()
                first.setdefault("event", now)
                kind = event.WhichOneof("kind")
                if kind == "stage":
                    _say(f"  stage {event.stage.stage}")
                elif kind == "preview":
                    first.setdefault("preview", now)
                    p = event.preview
                    path = previews_dir / f"{len(previews):03d}_{p.stage}_{p.frame_index:03d}.jpg"
                    path.write_bytes(p.image)
                    previews.append(str(path.relative_to(out)))
                    _say(f"  preview {len(previews)}: frame {p.frame_index} ({p.width}x{p.height}) -> {path}")
                elif kind == "error":
                    _say(f"  error: {event.error.message}")

            _say(f"submitting the job (method {args.method})")
            result = client.run(request, on_event=on_event)
            t_done = time.perf_counter()
            timings["job_s"] = t_done - t_submit
            timings["first_event_ms"] = 1e3 * (first["event"] - t_submit) if "event" in first else float("nan")
            timings["first_preview_ms"] = 1e3 * (first["preview"] - t_submit) if "preview" in first else float("nan")
            timings.update({f"server_{k}_s": float(v) for k, v in result.timings_s.items()})
    finally:
        server.stop()

    # 3. Outputs, with bake's writers.
    motion = motion_from_result(result, sample.skeleton)
    _say(f"result: {motion.num_frames} frames at {motion.fps:g} fps, method {result.method}, keyframe error {result.keyframe_error:.2e}")
    t0 = time.perf_counter()
    paths, notes = write_motion_files(out / "transition", "transition", sample.skeleton, motion, unit_m=SAMPLE_UNIT_M)
    timings["write_s"] = time.perf_counter() - t0
    for note in notes:
        _say(note)

    # 4. Report.
    with torch.no_grad():
        local_kf_error = keyframe_error(sample.skeleton, motion, sample.truth, sample.known)
        gap = ~sample.known
        pos, true_pos = motion.global_positions(sample.skeleton), sample.truth.global_positions(sample.skeleton)
        gap_l2p = float(l2p(pos[gap], true_pos[gap], sample.skeleton.size))
    timings["total_s"] = time.perf_counter() - t_start
    report_path = out / "report.json"
    files = {ext.lstrip("."): str(p.relative_to(out)) for ext, p in paths.items()}
    report = {
        "method": result.method,
        "sample": sample_path().name,
        "frames": motion.num_frames,
        "fps": motion.fps,
        "context_frames": sample.context.num_frames,
        "keyframe_indices": list(sample.keyframe_indices),
        "keyframe_error": result.keyframe_error,
        "keyframe_error_client": local_kf_error,
        "gap_l2p_vs_clip": gap_l2p,
        "warnings": list(result.warnings),
        "previews": len(previews),
        "preview_files": previews,
        "server": {"address": server.address, "server_version": info.server_version, "protocol_version": info.protocol_version, "device": caps.device, "renderer": caps.renderer},
        "timings": timings,
        "files": {**files, "report": report_path.name},
        "notes": notes,
    }
    report_path.write_text(json.dumps(report, indent=2))
    _say(f"wrote {', '.join(str(p) for p in paths.values())}, {report_path} and {len(previews)} previews in {previews_dir}")
    _say(f"done in {timings['total_s']:.1f} s (job {timings['job_s']:.2f} s, first preview after {timings['first_preview_ms']:.0f} ms)")
    return EXIT_OK
