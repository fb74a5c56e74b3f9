"""FBX reader through ufbx: skeleton, bind pose, skinned mesh and every animation stack.

* Skeleton: the bone (limb) nodes and the bone nodes of skin clusters, closed into one tree
  and with the ancestors above the top bone baked into the root, exactly as for glTF
  (:mod:`anymole.io.node_tree`): Fox.fbx's Blender armature object (−90° about X, ×100) ends
  up in the root joint. ``*_end`` leaf bones that exporters add are ordinary joints here.
* Axes and units: the file's declared axis system (``GlobalSettings``: up, front, and right
  axes, giving the handedness) and unit scale make a
  :func:`~anymole.geometry.frames.convention_from_axes` convention; world matrices go to the
  canonical frame through :func:`~anymole.geometry.frames.matrices_to_canonical`, mesh points
  through :func:`~anymole.geometry.frames.positions_to_canonical`. ufbx is asked for no
  conversion of its own. FBX's "front" axis is taken as the character's forward (+Z in
  canonical), which is where Maya, MotionBuilder and Blender exports face.
* Rest pose: the nodes' default transforms; scale is dropped from the joints' frames with
  world positions kept exact (as for glTF).
* Mesh: every mesh instance, polygons fan-triangulated; skin-deformed meshes (first skin
  deformer) map cluster bones to joints, weights normalised; inverse bind matrices from the
  clusters' ``geometry_to_bone``, re-based so that vertices are the bind pose in the canonical
  model frame; rigid meshes under a bone are bound to it with weight 1 (bind pose = rest
  pose). Per-vertex UVs when present (one of them where a vertex has several). Blend shapes
  are ignored.
* Animation: one clip per animation stack (named after the stack, e.g. ``root|Survey_root``),
  sampled at ``fps`` (default: the scene's frame rate, 30 when it has none) from the stack's
  begin to end time, ``round(duration · fps) + 1`` frames, ufbx evaluating each node's local
  transform (one native call per node and frame: ufbx exposes no bulk API). World matrices
  are composed assuming normal (``RSrs``) transform inheritance.

ufbx 0.0.5's Python binding corrupts memory when it frees element wrappers, which crashes
the interpreter sooner or later. So ufbx runs in a child process
(:mod:`anymole.io._fbx_extract`) that hands back plain arrays and exits without freeing
anything; a crash there becomes a :class:`FormatError`, not a dead server.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from anymole.errors import FormatError
from anymole.geometry.frames import convention_from_axes, matrices_to_canonical, positions_to_canonical
from anymole.geometry.rotations import quat_to_matrix
from anymole.io.asset import Asset, Clip
from anymole.io.format_errors import wrap_errors
from anymole.io.node_tree import ancestor_in, joint_locals, joint_parents, select_joint_nodes, unique_names
from anymole.motion import Motion
from anymole.skeleton import SkinnedMesh, Skeleton

__all__ = ["read_fbx"]

_F64 = torch.float64
_AXIS_NAMES = ["+x", "-x", "+y", "-y", "+z", "-z"]
_EXTRACT = Path(__file__).with_name("_fbx_extract.py")
_TIMEOUT_S = 300


def read_fbx(path: str | Path, *, fps: float | None = None) -> Asset:
    """Read an ``.fbx`` file (binary or ASCII).

    Args:
        fps: sampling rate of the clips; default the scene's frame rate (30 if unset).

    Returns:
        An :class:`Asset` in the canonical frame (metres): skeleton (J joints, optional
        skinned mesh) and one clip per animation stack (rotations ``(T, J, 4)``,
        translations ``(T, J, 3)``).
    """
    path = Path(path)
    if fps is not None and not (fps > 0 and np.isfinite(fps)):
        raise FormatError(path, f"sampling fps must be positive, got {fps!r}")
    if not path.is_file():
        raise FormatError(path, "cannot read file: no such file")
    with wrap_errors(path, "cannot read FBX"):
        arrays = _extract(path, float(fps or 0.0))
        return _FbxReader(path, arrays).asset()


def _extract(path: Path, fps: float) -> dict[str, np.ndarray]:
    try:
        proc = subprocess.run(
            [sys.executable, str(_EXTRACT), str(path), repr(fps)], capture_output=True, timeout=_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise FormatError(path, f"ufbx took longer than {_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = msg[-1] if msg else f"ufbx exited with status {proc.returncode}"
        if proc.returncode < 0:
            detail = f"ufbx crashed (signal {-proc.returncode})"
        raise FormatError(path, f"not a readable FBX file: {detail}")
    with np.load(io.BytesIO(proc.stdout), allow_pickle=False) as z:
        return {key: z[key] for key in z.files}


class _FbxReader:
    def __init__(self, path: Path, a: dict[str, np.ndarray]):
        self.path = path
        self.a = a
        right, up, front, unit_m, fps = a["settings"].tolist()
        self.conv = _convention(path, (int(right), int(up), int(front)), unit_m)
        self.fps = float(fps)
        self.parent = a["node_parent"].tolist()
        self.is_root = a["node_is_root"].tolist()
        N = len(self.parent)
        depth = [0] * N
        for i in range(N):
            j, d = i, 0
            while self.parent[j] >= 0:
                j, d = self.parent[j], d + 1
            depth[i] = d
        self.order = sorted(range(N), key=lambda i: depth[i])

    def _members(self) -> list[int]:
        members = [i for i, b in enumerate(self.a["node_is_bone"].tolist()) if b and not self.is_root[i]]
        for mi in range(int(self.a["num_meshes"])):
            for b in self.a.get(f"mesh{mi}_cluster_bone", np.zeros(0, np.int64)).tolist():
                if b >= 0 and not self.is_root[b] and b not in members:
                    members.append(b)
        if not members:
            raise FormatError(self.path, "the file has no bones (no skeleton to read)")
        return members

    def _world_from_trs(self, trs: torch.Tensor) -> torch.Tensor:
        """World matrices ``(T, N, 4, 4)`` from local TRS ``(T, N, 10)`` (file frame)."""
        T, N = trs.shape[:2]
        local = torch.zeros(T, N, 4, 4, dtype=_F64)
        local[..., :3, :3] = quat_to_matrix(trs[..., 3:7]) * trs[..., None, 7:10]
        local[..., :3, 3] = trs[..., :3]
        local[..., 3, 3] = 1
        world = local.clone()
        for n in self.order:
            p = self.parent[n]
            if p >= 0:
                world[:, n] = world[:, p] @ local[:, n]
        return world

    def asset(self) -> Asset:
        self.joints = select_joint_nodes(self.parent, self._members())
        self.jparents = joint_parents(self.parent, self.joints)
        self.rest_world = matrices_to_canonical(torch.from_numpy(self.a["node_to_world"]), self.conv)
        rot, trans, g_rot, g_pos = joint_locals(self.rest_world[None], self.joints, self.jparents)
        raw = self.a["node_names"].tolist()
        names = unique_names([raw[n] for n in self.joints], [f"node{n}" for n in self.joints])
        sk = Skeleton(tuple(names), torch.tensor(self.jparents), trans[0].float(), rot[0].float())
        G = torch.zeros(len(self.joints), 4, 4, dtype=_F64)
        G[:, :3, :3] = quat_to_matrix(g_rot[0])
        G[:, :3, 3] = g_pos[0]
        G[:, 3, 3] = 1
        self.G_rest = G
        mesh = self._mesh()
        if mesh is not None:
            sk = sk.with_mesh(mesh)
        return Asset(sk, tuple(self._clips()), str(self.path))

    # -- mesh ----------------------------------------------------------------------------------

    def _mesh(self) -> SkinnedMesh | None:
        a = self.a
        J = len(self.joints)
        jindex = {n: j for j, n in enumerate(self.joints)}
        D = torch.eye(4, dtype=_F64)
        D[:3, :3] = positions_to_canonical(torch.eye(3, dtype=_F64), self.conv).T  # file → canonical points
        scale_fix = torch.linalg.inv(self.G_rest) @ self.rest_world[self.joints]
        ibm = torch.eye(4, dtype=_F64).repeat(J, 1, 1)
        ibm_set = [False] * J
        parts, rigid = [], []
        for mi in range(int(a["num_meshes"])):
            verts, faces, uv = self._geometry(mi)
            n = len(verts)
            if f"mesh{mi}_cluster_bone" in a:
                bones = a[f"mesh{mi}_cluster_bone"].tolist()
                splits = np.cumsum(a[f"mesh{mi}_cluster_count"])[:-1]
                vlists = np.split(a[f"mesh{mi}_cluster_vertices"], splits)
                wlists = np.split(a[f"mesh{mi}_cluster_weights"], splits)
                g2b = torch.from_numpy(a[f"mesh{mi}_cluster_g2b"])
                keep = [c for c, b in enumerate(bones) if b in jindex]
                if not keep:
                    continue
                for c in keep:
                    if vlists[c].size and (vlists[c].min() < 0 or vlists[c].max() >= n):
                        raise FormatError(self.path, f"skin cluster {c} names vertex {int(vlists[c].max())} of {n}")
                joints = [jindex[bones[c]] for c in keep]
                mats = scale_fix[joints] @ matrices_to_canonical(g2b[keep], self.conv) @ D
                ji, jw = _dense_weights(n, [vlists[c] for c in keep], [wlists[c] for c in keep])
                total = np.zeros(len(joints))
                np.add.at(total, ji.ravel(), jw.ravel())
                kbest = int(total.argmax())
                X = self.G_rest[joints[kbest]] @ mats[kbest]
                mats = mats @ torch.linalg.inv(X)
                v = _affine(X, verts)
                for local in np.flatnonzero(total > 0):
                    if not ibm_set[joints[local]]:
                        ibm[joints[local]] = mats[local]
                        ibm_set[joints[local]] = True
                sj = np.asarray(joints)[ji]
                diff = torch.linalg.inv(ibm[torch.from_numpy(sj)]) @ mats[torch.from_numpy(ji)]
                if (diff - torch.eye(4, dtype=_F64)).abs().max() > 1e-6:
                    vh = torch.cat([torch.from_numpy(v), torch.ones(len(v), 1, dtype=_F64)], 1)
                    v = ((diff @ vh[:, None, :, None])[..., :3, 0] * torch.from_numpy(jw)[..., None]).sum(1).numpy()
                parts.append((v, faces, sj, jw, uv))
            else:
                for node, g2w in zip(a[f"mesh{mi}_instances"].tolist(), a[f"mesh{mi}_geo_to_world"]):
                    anc = node if node in jindex else ancestor_in(self.parent, node, jindex)
                    if anc >= 0:
                        geo = matrices_to_canonical(torch.from_numpy(g2w), self.conv) @ D
                        rigid.append((jindex[anc], _affine(geo, verts), faces, uv))
        for j, v, f, uv in rigid:
            if not ibm_set[j]:
                ibm[j] = torch.linalg.inv(self.G_rest[j])
                ibm_set[j] = True
            to_bind = torch.linalg.inv(ibm[j]) @ torch.linalg.inv(self.G_rest[j])
            parts.append((_affine(to_bind, v), f, np.full((len(v), 1), j), np.ones((len(v), 1)), uv))
        if not parts:
            return None
        K = max(p[2].shape[1] for p in parts)
        base, V, F, JI, JW, UV = 0, [], [], [], [], []
        for v, f, ji, jw, uv in parts:
            V.append(v)
            F.append(f + base)
            JI.append(np.pad(ji, ((0, 0), (0, K - ji.shape[1]))))
            JW.append(np.pad(jw, ((0, 0), (0, K - jw.shape[1]))))
            UV.append(uv)
            base += len(v)
        uvs = None if any(u is None for u in UV) else torch.from_numpy(np.concatenate(UV)).float()
        return SkinnedMesh(
            torch.from_numpy(np.concatenate(V)).float(),
            torch.from_numpy(np.concatenate(F)).long(),
            torch.from_numpy(np.concatenate(JI)).long(),
            torch.from_numpy(np.concatenate(JW)).float(),
            ibm.float(),
            uvs=uvs,
        )

    def _geometry(self, mi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Vertex positions ``(n, 3)`` (file frame), triangles ``(f, 3)``, per-vertex UVs."""
        a = self.a
        verts = a[f"mesh{mi}_verts"]
        corner = a[f"mesh{mi}_corners"]
        begin, count = a[f"mesh{mi}_faces"].T if len(a[f"mesh{mi}_faces"]) else (np.zeros(0, np.int64),) * 2
        if count.size and (begin.min() < 0 or (begin + count).max() > len(corner)):
            raise FormatError(self.path, f"mesh {mi}: a face runs past the index list")
        if corner.size and (corner.min() < 0 or corner.max() >= len(verts)):
            raise FormatError(self.path, f"mesh {mi}: vertex index out of range")
        tris = []
        for kc in np.unique(count[count >= 3]).tolist():  # fan-triangulate faces of kc corners
            b = begin[count == kc]
            for t in range(kc - 2):
                tris.append(np.stack([b, b + t + 1, b + t + 2], 1))
        faces = corner[np.concatenate(tris)] if tris else np.zeros((0, 3), np.int64)
        uv = None
        if f"mesh{mi}_uv" in a:
            per_vertex = np.zeros((len(verts), 2))
            per_vertex[corner] = a[f"mesh{mi}_uv"][a[f"mesh{mi}_uv_idx"]]
            uv = per_vertex
        return verts, faces, uv

    # -- animation -----------------------------------------------------------------------------

    def _clips(self):
        for si, name in enumerate(self.a["stack_names"].tolist()):
            trs = torch.from_numpy(self.a[f"stack{si}_trs"])
            world = matrices_to_canonical(self._world_from_trs(trs), self.conv)
            rot, trans, _, _ = joint_locals(world, self.joints, self.jparents)
            yield Clip(name, Motion(rot.float(), trans.float(), self.fps))


def _convention(path, axes: tuple[int, int, int], unit_m: float):
    """The file's declared axes (ufbx axis codes 0..5 = +x, -x, +y, -y, +z, -z) and unit.
    Undeclared axes (no GlobalSettings) default to FBX's own default, right-handed +Y up,
    +Z front; an undeclared unit to the centimetre."""
    if any(a not in range(6) for a in axes):
        axes = (0, 2, 4)
    right, up, front = (_AXIS_NAMES[a] for a in axes)
    vec = {"+x": (1, 0, 0), "-x": (-1, 0, 0), "+y": (0, 1, 0), "-y": (0, -1, 0), "+z": (0, 0, 1), "-z": (0, 0, -1)}
    if np.allclose(np.cross(vec[right], vec[up]), vec[front]):
        handed = "right"
    elif np.allclose(np.cross(vec[right], vec[up]), -np.asarray(vec[front])):
        handed = "left"
    else:
        raise FormatError(path, f"invalid FBX axis system: right {right}, up {up}, front {front}")
    if not unit_m > 0:
        unit_m = 0.01
    return convention_from_axes(up, front, handed, unit_m)


def _affine(m: torch.Tensor, v: np.ndarray) -> np.ndarray:
    a = m.numpy()
    return v @ a[:3, :3].T + a[:3, 3]


def _dense_weights(n: int, idx_lists, w_lists) -> tuple[np.ndarray, np.ndarray]:
    """Per-vertex (joint, weight) lists ``(n, K)`` from per-cluster vertex/weight lists; local
    joint indices are the cluster order. Vertices bound to nothing follow cluster 0."""
    counts = np.zeros(n, np.int64)
    for vi in idx_lists:
        np.add.at(counts, vi, 1)
    K = max(int(counts.max(initial=1)), 1)
    ji = np.zeros((n, K), np.int64)
    jw = np.zeros((n, K), np.float64)
    fill = np.zeros(n, np.int64)
    for c, (vi, wi) in enumerate(zip(idx_lists, w_lists)):
        order = np.argsort(vi, kind="stable")
        vi, wi = vi[order], wi[order]
        # position of each entry among the same vertex's entries of this cluster
        first = np.r_[0, np.flatnonzero(np.diff(vi)) + 1]
        rank = np.arange(len(vi)) - np.repeat(first, np.diff(np.r_[first, len(vi)]))
        slot = fill[vi] + rank
        ji[vi, slot] = c
        jw[vi, slot] = np.clip(wi, 0.0, None)
        np.add.at(fill, vi, 1)
    zero = jw.sum(1) <= 0
    jw[zero, 0] = 1.0
    return ji, jw / jw.sum(1, keepdims=True)
