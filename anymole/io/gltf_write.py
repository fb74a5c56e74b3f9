"""glTF 2.0 / GLB writer: a skeleton (as a skin), its skinned mesh and animation clips.

What is written (canonical frame = glTF's, so no axis change):
    * one node per joint (``translation`` = rest offset, ``rotation`` = rest rotation,
      ``scale`` = rest scale where it is not 1 — glTF composes node transforms as T·R·S matrices,
      as :mod:`anymole.kinematics` does), parents before children, the roots in the scene;
    * a skin over all joints, ``inverseBindMatrices`` = the mesh's, or ``inv(rest world)``
      (scale included) when the skeleton has no mesh (the skin is still written so that importers build an
      armature);
    * when the skeleton has a mesh: one mesh node with one triangle primitive — ``POSITION``
      (with min/max), ``JOINTS_n`` (unsigned byte/short) and ``WEIGHTS_n`` (float) in sets of
      four, ``TEXCOORD_0`` and ``COLOR_0`` when present, ``indices`` (unsigned short/int);
    * one animation per clip, named after it, sampled at its fps (input min/max set):
      a LINEAR rotation channel for every joint and a LINEAR translation channel for the
      joints that translate (``Motion.translating_joints``); quaternions made sign-continuous.
All buffer views are 4-byte aligned; vertex data views target ARRAY_BUFFER, indices
ELEMENT_ARRAY_BUFFER. ``.glb`` writes one binary file; ``.gltf`` writes JSON plus
``<stem>.bin`` beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from anymole.errors import FormatError
from anymole.geometry.rotations import quat_make_continuous
from anymole.io.asset import Clip
from anymole.io.format_errors import wrap_errors
from anymole.io.gltf_container import ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER, BufferBuilder, write_container
from anymole.kinematics import global_matrices
from anymole.motion import Motion
from anymole.skeleton import Skeleton

__all__ = ["write_gltf"]


def write_gltf(
    path: str | Path,
    skeleton: Skeleton,
    clips: Sequence[Clip] | Motion = (),
    *,
    clip_name: str = "motion",
    generator: str = "anymole",
) -> None:
    """Write ``skeleton`` (canonical frame, metres) and its ``clips`` as ``.glb`` or ``.gltf``.

    Args:
        clips: clips to write as animations, or a single :class:`Motion` (named
            ``clip_name``). Every motion must have the skeleton's joint count.

    Raises :class:`FormatError` naming ``path`` for a bad extension, a motion that does not fit
    the skeleton, or a file that cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() not in (".glb", ".gltf"):
        raise FormatError(path, f"unknown glTF extension {path.suffix!r}; expected .glb or .gltf")
    if isinstance(clips, Motion):
        clips = (Clip(clip_name, clips),)
    with wrap_errors(path, "cannot write glTF"):
        doc, binary = _build(skeleton, list(clips), generator)
        write_container(path, doc, binary)


def _build(skeleton: Skeleton, clips: list[Clip], generator: str) -> tuple[dict, bytes]:
    J = skeleton.num_joints
    parents = skeleton.parents.tolist()
    buf = BufferBuilder()
    nodes = []
    for j in range(J):
        node = {"name": skeleton.names[j]}
        off = [float(x) for x in skeleton.offsets[j]]
        rot = [float(x) for x in skeleton.rest_rotations[j]]
        if any(off):
            node["translation"] = off
        if rot != [0.0, 0.0, 0.0, 1.0]:
            node["rotation"] = rot
        scale = [float(x) for x in skeleton.rest_scales[j]]
        if scale != [1.0, 1.0, 1.0]:
            node["scale"] = scale
        kids = [c for c in range(J) if parents[c] == j]
        if kids:
            node["children"] = kids
        nodes.append(node)
    roots = [j for j in range(J) if parents[j] < 0]

    mesh = skeleton.mesh
    if mesh is not None:
        ibm = mesh.inverse_bind_matrices.double()
    else:
        scales = skeleton.fk_scales
        world = global_matrices(
            skeleton.parents, skeleton.rest_rotations.double(), skeleton.offsets.double(), None if scales is None else scales.double()
        )
        ibm = torch.linalg.inv(world)
    ibm_acc = buf.add(ibm.transpose(-1, -2).reshape(J, 16).numpy().astype(np.float32), "MAT4")
    skin = {"joints": list(range(J)), "inverseBindMatrices": ibm_acc, "name": "skin"}
    if len(roots) == 1:
        skin["skeleton"] = roots[0]
    doc: dict = {
        "asset": {"version": "2.0", "generator": generator},
        "scene": 0,
        "scenes": [{"nodes": roots}],
        "nodes": nodes,
        "skins": [skin],
    }
    if mesh is not None and mesh.num_vertices:
        attrs = {"POSITION": buf.add(mesh.vertices.numpy().astype(np.float32), "VEC3", target=ARRAY_BUFFER, minmax=True)}
        ji, jw = _skin_weights(mesh.joint_indices.numpy(), mesh.joint_weights.numpy())
        K = ji.shape[1]
        pad = -K % 4
        ji = np.pad(ji, ((0, 0), (0, pad)))
        jw = np.pad(jw, ((0, 0), (0, pad)))
        if J > 65536:
            raise ValueError(f"{J} joints do not fit glTF's 16-bit joint indices")
        jdtype = np.uint8 if J <= 256 else np.uint16
        for s in range(ji.shape[1] // 4):
            attrs[f"JOINTS_{s}"] = buf.add(ji[:, 4 * s : 4 * s + 4].astype(jdtype), "VEC4", target=ARRAY_BUFFER)
            attrs[f"WEIGHTS_{s}"] = buf.add(jw[:, 4 * s : 4 * s + 4], "VEC4", target=ARRAY_BUFFER)
        if mesh.uvs is not None:
            attrs["TEXCOORD_0"] = buf.add(mesh.uvs.numpy().astype(np.float32), "VEC2", target=ARRAY_BUFFER)
        if mesh.colors is not None:
            attrs["COLOR_0"] = buf.add(mesh.colors.numpy().astype(np.float32), "VEC3", target=ARRAY_BUFFER)
        faces = mesh.faces.numpy().reshape(-1, 1)
        idtype = np.uint16 if mesh.num_vertices < 65535 else np.uint32
        prim = {"attributes": attrs, "mode": 4}
        if faces.size:
            prim["indices"] = buf.add(faces.astype(idtype), "SCALAR", target=ELEMENT_ARRAY_BUFFER)
        doc["meshes"] = [{"name": "mesh", "primitives": [prim]}]
        nodes.append({"name": "mesh", "mesh": 0, "skin": 0})
        doc["scenes"][0]["nodes"] = roots + [len(nodes) - 1]

    animations = []
    for clip in clips:
        m = clip.motion
        m.check_skeleton(skeleton, f"clip {clip.name!r}")
        times = (np.arange(m.num_frames, dtype=np.float64) / m.fps).astype(np.float32)[:, None]
        t_acc = buf.add(times, "SCALAR", minmax=True)
        rot = quat_make_continuous(m.rotations.double(), dim=0).numpy().astype(np.float32)
        samplers, channels = [], []
        for j in range(J):
            samplers.append({"input": t_acc, "output": buf.add(rot[:, j], "VEC4"), "interpolation": "LINEAR"})
            channels.append({"sampler": len(samplers) - 1, "target": {"node": j, "path": "rotation"}})
        for j in m.translating_joints(skeleton):
            tr = m.translations[:, j].numpy().astype(np.float32)
            samplers.append({"input": t_acc, "output": buf.add(tr, "VEC3"), "interpolation": "LINEAR"})
            channels.append({"sampler": len(samplers) - 1, "target": {"node": j, "path": "translation"}})
        animations.append({"name": clip.name, "samplers": samplers, "channels": channels})
    if animations:
        doc["animations"] = animations
    doc["bufferViews"] = buf.views
    doc["accessors"] = buf.accessors
    return doc, buf.data()


def _skin_weights(ji: np.ndarray, jw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Influences ``(V, K)`` as glTF requires them: a joint named twice in a vertex is merged
    into its first slot, negative weights are dropped, each vertex's weights sum to 1 in
    float32 (the largest absorbs the rounding), and unused slots are joint 0 with weight 0.
    A vertex without any positive weight goes to joint 0 with weight 1."""
    ji = ji.astype(np.int64).copy()
    jw = np.clip(jw.astype(np.float64), 0.0, None)
    K = ji.shape[1]
    for a in range(K):
        for b in range(a + 1, K):
            dup = ji[:, b] == ji[:, a]
            jw[dup, a] += jw[dup, b]
            jw[dup, b] = 0.0
    ji = np.where(jw > 0, ji, 0)
    total = jw.sum(1, keepdims=True)
    empty = total[:, 0] <= 0
    jw = np.where(total > 0, jw / np.where(total > 0, total, 1.0), 0.0)
    jw[empty, 0] = 1.0
    jw = jw.astype(np.float32)
    top = jw.argmax(1)
    rows = np.arange(jw.shape[0])
    rest = jw.sum(1, dtype=np.float32) - jw[rows, top]
    jw[rows, top] = np.float32(1.0) - rest
    return ji, jw
