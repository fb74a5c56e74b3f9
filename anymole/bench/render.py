"""`anymole bench render`: renderer speed on real characters.

For each character — CesiumMan, Fox and RobotExpressive (skinned glTF meshes from
``../shared/data/characters``) and a skeleton-only CMU subject
(``../shared/data/humanoid/cmu_01_01_mb.bvh``, rendered as a bone mesh) — renders the first
``--frames`` frames of its first clip from the front camera at ``--size``² pixels and reports:

* ``fps``: frames per second of a forward render (skinning + projection + rasterisation +
  shading, or the soft silhouette), best of ``--repeats``;
* ``forward_backward_ms``: milliseconds per frame for forward + backward of a loss on the
  render (mean squared silhouette, or mean RGB) w.r.t. per-joint rotation vectors applied on
  top of the clip's local rotations (forward kinematics included).

Missing files are skipped with a note. Runs on ``--threads`` intra-op threads (default 1, the
target being "several frames per second on one CPU core" for images).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CHARACTERS = (
    ("CesiumMan", "characters/CesiumMan.glb"),
    ("Fox", "characters/Fox.glb"),
    ("RobotExpressive", "characters/RobotExpressive.glb"),
    ("CMU 01_01 (bone mesh)", "humanoid/cmu_01_01_mb.bvh"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, default=None, help="write the results here as JSON")
    parser.add_argument("--size", type=int, default=256, help="image height and width in pixels (default 256)")
    parser.add_argument("--frames", type=int, default=8, help="frames rendered per measurement (default 8)")
    parser.add_argument("--repeats", type=int, default=2, help="timed repetitions; the best counts (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--sigma", type=float, default=0.5, help="soft silhouette edge width in pixels (default 0.5)")
    parser.add_argument("--data", type=Path, default=DATA, help=f"corpus folder (default {DATA})")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _best(fn, repeats: int, device: torch.device) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(max(1, repeats)):
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return best


def _bench_character(name: str, path: Path, args, device: torch.device) -> list[dict]:
    from anymole.geometry.rotations import quat_mul, rotvec_to_quat
    from anymole.io import load_asset
    from anymole.kinematics import forward_kinematics
    from anymole.render.bone_mesh import mesh_for
    from anymole.render.renderer import render
    from anymole.render.rig import frame_points, orbit_cameras
    from anymole.render.skinning import skin_vertices

    asset = load_asset(path)
    sk = asset.skeleton
    if not asset.clips:
        raise ValueError("no animation clip")
    motion = asset.clips[0].motion
    stride = max(1, round(motion.fps / 30.0))  # ~30 fps sampling (the CMU clip is 120 fps)
    idx = torch.arange(0, motion.num_frames, stride)[: args.frames]
    rot0 = motion.rotations[idx].to(device)
    trans = motion.translations[idx].to(device)
    mesh = mesh_for(sk)
    with torch.no_grad():
        g_rot, g_pos = forward_kinematics(sk.parents, rot0, trans)
        verts = skin_vertices(mesh, g_rot, g_pos)
    cams = orbit_cameras(frame_points(g_pos, verts), (args.size, args.size), yaws_deg=(0.0,)).to(device=device)
    T = int(idx.numel())
    common = dict(cameras=cams, sigma=args.sigma, batch_size=T)

    def forward(mode):
        with torch.no_grad():
            render(sk, (g_rot, g_pos), mode=mode, **common)

    def forward_backward(mode):
        delta = torch.zeros(T, sk.num_joints, 3, device=device, requires_grad=True)
        rot = quat_mul(rotvec_to_quat(delta), rot0)
        out = render(sk, forward_kinematics(sk.parents, rot, trans), mode=mode, **common)
        loss = out.silhouettes.pow(2).mean() if mode == "silhouette" else out.images.mean()
        loss.backward()

    rows = []
    for mode in ("image", "silhouette"):
        fwd = _best(lambda: forward(mode), args.repeats, device)
        fb = _best(lambda: forward_backward(mode), args.repeats, device)
        rows.append(
            {
                "character": name,
                "triangles": int(mesh.faces.shape[0]),
                "mode": mode,
                "fps": round(T / fwd, 2),
                "forward_backward_ms": round(1000.0 * fb / T, 1),
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    torch.set_num_threads(max(1, args.threads))
    device = torch.device(args.device)
    results, notes = [], []
    for name, rel in CHARACTERS:
        path = Path(args.data) / rel
        if not path.is_file():
            notes.append(f"skipped {name}: {path} not found")
            continue
        try:
            rows = _bench_character(name, path, args, device)
        except (ImportError, ValueError) as exc:
            notes.append(f"skipped {name}: {exc}")
            continue
        results.extend(rows)
        for r in rows:
            print(
                f"{r['character']:<24} {r['triangles']:>6} tris  {r['mode']:<10} "
                f"{r['fps']:>8.2f} fps  fwd+bwd {r['forward_backward_ms']:>8.1f} ms/frame",
                flush=True,
            )
    for n in notes:
        print(n)
    dev = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({platform.processor() or platform.machine()})"
    report = {
        "results": results,
        "device": dev,
        "threads": torch.get_num_threads(),
        "size": [args.size, args.size],
        "frames": args.frames,
        "sigma_px": args.sigma,
        "torch": torch.__version__,
        "notes": notes,
    }
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0
