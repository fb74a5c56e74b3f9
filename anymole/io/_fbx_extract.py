"""Child-process half of the FBX reader: ufbx → plain numpy arrays (an ``.npz`` on stdout).

Run as a script (``python _fbx_extract.py FILE FPS``; it imports only ufbx and numpy). ufbx
0.0.5's Python binding corrupts memory when element wrappers are freed (``root_node.parent``
crashes outright; freeing wrappers of sub-lists such as ``Node.children`` or
``SkinDeformer.clusters`` crashes later), so this process keeps every wrapper alive and ends
with ``os._exit`` — nothing is ever freed, and a crash cannot take the caller down.

Output arrays (file frame and units, float64): see :func:`extract`. FPS ``0`` means the
scene's frame rate (30 when unset). Errors: exit status 2 with the message on stderr.
"""

from __future__ import annotations

import io
import os
import sys

import numpy as np

KEEP: list = []


def k(x):
    KEEP.append(x)
    return x


def _mat(m) -> list:
    return [[m.c0.x, m.c1.x, m.c2.x, m.c3.x], [m.c0.y, m.c1.y, m.c2.y, m.c3.y], [m.c0.z, m.c1.z, m.c2.z, m.c3.z], [0, 0, 0, 1]]


def extract(path: str, fps: float) -> dict[str, np.ndarray]:
    import ufbx

    scene = k(ufbx.load_file(path))
    settings = k(scene.settings)
    axes = k(settings.axes)
    out: dict[str, np.ndarray] = {}
    scene_fps = float(settings.frames_per_second or 0.0)
    fps = fps if fps > 0 else (scene_fps if scene_fps > 0 else 30.0)
    out["settings"] = np.array([int(axes.right), int(axes.up), int(axes.front), float(settings.unit_meters), fps])
    nodes = k([k(n) for n in k(scene.nodes)])
    N = len(nodes)
    is_root = [bool(n.is_root) for n in nodes]
    parent = []
    for i, n in enumerate(nodes):
        p = None if is_root[i] else k(n.parent)
        parent.append(-1 if p is None or is_root[p.typed_id] else p.typed_id)
    out["node_names"] = np.array([n.name for n in nodes], dtype=str)
    out["node_parent"] = np.array(parent, np.int64)
    out["node_is_root"] = np.array(is_root)
    out["node_is_bone"] = np.array([n.attrib_type == ufbx.ElementType.BONE for n in nodes])
    out["node_to_world"] = np.array([_mat(k(n.node_to_world)) for n in nodes], np.float64).reshape(N, 4, 4)
    trs = []
    for n in nodes:
        t = k(n.local_transform)
        trs.append([*t.translation, *t.rotation, *t.scale])
    out["node_trs"] = np.array(trs, np.float64).reshape(N, 10)

    meshes = k([k(m) for m in k(scene.meshes)])
    for mi, m in enumerate(meshes):
        vp = k(m.vertex_position)
        out[f"mesh{mi}_verts"] = np.array([tuple(v) for v in k(vp.values)], np.float64).reshape(-1, 3)
        out[f"mesh{mi}_corners"] = np.array(list(k(vp.indices)), np.int64)
        faces = k([k(f) for f in k(m.faces)])
        out[f"mesh{mi}_faces"] = np.array([(f.index_begin, f.num_indices) for f in faces], np.int64).reshape(-1, 2)
        uv = k(m.vertex_uv)
        if uv.exists:
            out[f"mesh{mi}_uv"] = np.array([tuple(v) for v in k(uv.values)], np.float64).reshape(-1, 2)
            out[f"mesh{mi}_uv_idx"] = np.array(list(k(uv.indices)), np.int64)
        insts = k([k(i) for i in k(m.instances)])
        out[f"mesh{mi}_instances"] = np.array([i.typed_id for i in insts], np.int64)
        out[f"mesh{mi}_geo_to_world"] = np.array([_mat(k(i.geometry_to_world)) for i in insts], np.float64).reshape(-1, 4, 4)
        sds = k([k(s) for s in k(m.skin_deformers)])
        if sds:
            clusters = k([k(c) for c in k(sds[0].clusters)])
            bones, g2b, vidx, wts, counts = [], [], [], [], []
            for c in clusters:
                b = k(c.bone_node)
                bones.append(-1 if b is None else b.typed_id)
                g2b.append(_mat(k(c.geometry_to_bone)))
                v = list(k(c.vertices))
                vidx.extend(v)
                wts.extend(list(k(c.weights)))
                counts.append(len(v))
            out[f"mesh{mi}_cluster_bone"] = np.array(bones, np.int64)
            out[f"mesh{mi}_cluster_g2b"] = np.array(g2b, np.float64).reshape(-1, 4, 4)
            out[f"mesh{mi}_cluster_count"] = np.array(counts, np.int64)
            out[f"mesh{mi}_cluster_vertices"] = np.array(vidx, np.int64)
            out[f"mesh{mi}_cluster_weights"] = np.array(wts, np.float64)
    out["num_meshes"] = np.array(len(meshes))

    stacks = k([k(s) for s in k(scene.anim_stacks)])
    out["stack_names"] = np.array([s.name for s in stacks], dtype=str)
    for si, s in enumerate(stacks):
        anim = k(s.anim)
        t0, t1 = float(s.time_begin), float(s.time_end)
        T = int(round(max(t1 - t0, 0.0) * fps)) + 1
        times = np.minimum(t0 + np.arange(T) / fps, max(t0, t1)).tolist()
        vals = np.zeros((T, N, 10))
        for i, n in enumerate(nodes):
            if is_root[i]:
                vals[:, i] = out["node_trs"][i]
                continue
            vals[:, i] = [[*tr.translation, *tr.rotation, *tr.scale] for tr in (n.evaluate_transform(anim, t) for t in times)]
        out[f"stack{si}_trs"] = vals
    return out


def main() -> None:
    path, fps = sys.argv[1], float(sys.argv[2])
    try:
        arrays = extract(path, fps)
    except Exception as exc:  # reported to the parent, which raises FormatError
        sys.stderr.write(f"{type(exc).__name__}: {exc}")
        sys.stderr.flush()
        os._exit(2)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    sys.stdout.buffer.write(buf.getvalue())
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
