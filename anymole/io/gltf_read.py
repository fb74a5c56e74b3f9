"""glTF 2.0 / GLB reader: skeleton, skinned mesh and every animation clip.

glTF's frame is the canonical frame (right-handed, +Y up, +Z forward, metres), so no axis
conversion happens here.

Skeleton
    The joints are the union of every skin's joints (first skin's order first), closed into
    one tree by :func:`anymole.io.node_tree.select_joint_nodes`: a non-joint node lying
    *between* two joints becomes a joint too, and if the joints have several tops under one
    common non-joint ancestor, that ancestor (and the path to it) joins. Without any skin,
    every node of the scene is a joint. Ancestors *above* the top joint are baked into it:
    the root's rest and animated local transform is its full world transform. Joints are named
    after their nodes (``node<i>`` when unnamed; ``<name>_2`` … when a name repeats).

Scale
    By default (``keep_scale=False``) scale is baked: the skeleton's ``rest_scales`` are ones and
    joint world *positions* are kept exactly: every local translation is re-expressed from the
    world transforms (``R_parentᵀ (p_joint − p_parent)``), so ancestor and joint scales
    (RobotExpressive's ×100 armature) end up in the offsets. Rotations are the world rotations
    with scale removed (exact for uniform scale). Animated scale is applied the same way,
    frame by frame. This suits every consumer, whether it applies rest scales or not.

    With ``keep_scale=True`` each joint's local transform relative to its parent joint
    (``inv(W_parent) @ W_joint``; the root's world transform) is split into translation,
    rotation and ``Skeleton.rest_scales``, as a ``write_gltf`` of a scaled skeleton wrote them:
    the file's T·R·S round-trips. A file whose joint-local transforms have shear or mirroring,
    or that animates a joint's scale, raises :class:`FormatError` (read it baked instead).
    Inverse bind matrices are then the file's (scale included).

Mesh
    Every mesh instance becomes part of one :class:`SkinnedMesh` (triangles; strips and fans
    are converted, points and lines dropped; morph targets ignored):
    * skinned nodes (their own transform is ignored, as glTF says): ``JOINTS_n``/``WEIGHTS_n``
      mapped to skeleton joints, weights normalised; ``POSITION`` taken from mesh space to model
      space by ``X = G_rest @ IBM`` of the skin's most-weighted joint (and the skin's inverse
      bind matrices by ``X⁻¹``), so that vertices are the bind pose in the skeleton frame —
      CesiumMan's Z-up mesh comes out Y-up — and skinning is unchanged;
    * rigid meshes under a joint (RobotExpressive's body parts): bound with weight 1 to the
      nearest ancestor joint, vertices placed where that joint's bind pose puts them; rigid
      meshes outside the skeleton are skipped.
    Inverse bind matrices (rescaled so that ``G_joint @ IBM`` is unchanged when the joint's
    scale is dropped): for a joint that skinned vertices use, the first such skin's; for a
    joint only rigid meshes use, ``inv(rest world)`` (bind pose = rest pose); for other skin
    joints, the first skin's; identity for joints in no skin. When two skins disagree about a
    joint both use, the first wins and the later skin's vertices are moved by the weighted
    difference (exact when the skins' bind poses differ by one mesh-space transform).

Animations → clips
    * Animations with a name form one clip per distinct name (same name → merged).
    * Unnamed animations (COLLADA2GLTF writes one per node: CesiumMan's walk is 19) are merged
      into one clip when they span the same time range (±1 ms) and do not target the same
      node property; the clip is named ``animation_<i>`` after its first animation's index.
    * A clip is sampled at ``fps`` (default 30) from its earliest to its latest key time:
      ``round(duration · fps) + 1`` frames at ``start + k / fps`` (clamped to the last key).
      LINEAR: lerp, slerp for rotations (shortest arc); STEP: the previous key; CUBICSPLINE:
      the Hermite spline with the file's tangents (rotations renormalised). Nodes a clip does
      not animate keep their rest transform. ``weights`` (morph) channels are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from anymole.errors import FormatError
from anymole.geometry.rotations import matrix_to_quat, quat_normalize, quat_slerp, quat_to_matrix
from anymole.io.asset import Asset, Clip
from anymole.io.format_errors import wrap_errors
from anymole.io.gltf_container import GltfFile
from anymole.io.node_tree import JointTransformError, ancestor_in, joint_locals, joint_locals_scaled, joint_parents, select_joint_nodes, unique_names
from anymole.motion import Motion
from anymole.skeleton import SkinnedMesh, Skeleton

__all__ = ["read_gltf"]

_TIME_TOL_S = 1e-3
_F64 = torch.float64


def read_gltf(path: str | Path, *, fps: float = 30.0, scene: int | None = None, keep_scale: bool = False) -> Asset:
    """Read a ``.gltf`` or ``.glb`` file.

    Args:
        fps: frame rate at which every animation is sampled.
        scene: index of the scene to read (default: the file's ``scene``, else 0).
        keep_scale: keep joint scales as ``Skeleton.rest_scales`` instead of baking them into
            the offsets (see the module docstring, "Scale").

    Returns:
        An :class:`Asset`: skeleton (J joints, canonical metres) with an optional skinned
        mesh, and one clip per animation group (rotations ``(T, J, 4)``, translations
        ``(T, J, 3)`` at ``fps``).
    """
    path = Path(path)
    with wrap_errors(path, "cannot read glTF"):
        g = GltfFile(path)
        reader = _Reader(g, scene, keep_scale)
        skeleton = reader.skeleton()
        clips = tuple(reader.clips(float(fps)))
        return Asset(skeleton, clips, str(path))


class _Reader:
    def __init__(self, g: GltfFile, scene: int | None, keep_scale: bool = False):
        self.keep_scale = keep_scale
        self.g = g
        self.doc = g.doc
        self.path = g.path
        self.nodes = self.doc.get("nodes", [])
        N = len(self.nodes)
        if N == 0:
            raise FormatError(self.path, "the file has no nodes, so no skeleton")
        self.parent = [-1] * N
        for i, n in enumerate(self.nodes):
            for c in n.get("children", []):
                if not isinstance(c, int) or not 0 <= c < N:
                    raise FormatError(self.path, f"node {i} has a child {c!r} that does not exist")
                if self.parent[c] != -1:
                    raise FormatError(self.path, f"node {c} has two parents ({self.parent[c]} and {i})")
                self.parent[c] = i
        self.order = self._topological_order()
        self.rest_t, self.rest_r, self.rest_s = self._rest_trs()
        scenes = self.doc.get("scenes", [])
        si = scene if scene is not None else self.doc.get("scene", 0)
        self.scene_roots = list(scenes[si].get("nodes", [])) if scenes else [i for i in range(N) if self.parent[i] < 0]
        self.joints = self._joint_nodes()
        self.joint_index = {n: j for j, n in enumerate(self.joints)}
        self.joint_parents = joint_parents(self.parent, self.joints)
        rest_world = self._world(self.rest_t[None], self.rest_r[None], self.rest_s[None])[0]
        self.rest_world = rest_world  # (N, 4, 4) float64

    # -- nodes ---------------------------------------------------------------------------------

    def _topological_order(self) -> list[int]:
        N = len(self.nodes)
        depth = [-1] * N
        for i in range(N):
            chain, k = [], i
            while k >= 0 and depth[k] < 0:
                chain.append(k)
                k = self.parent[k]
                if len(chain) > N:
                    raise FormatError(self.path, f"node hierarchy has a cycle through node {i}")
            base = depth[k] if k >= 0 else -1
            for c in reversed(chain):
                base += 1
                depth[c] = base
        return sorted(range(N), key=lambda i: depth[i])

    def _rest_trs(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        N = len(self.nodes)
        t = torch.zeros(N, 3, dtype=_F64)
        r = torch.zeros(N, 4, dtype=_F64)
        r[:, 3] = 1
        s = torch.ones(N, 3, dtype=_F64)
        for i, n in enumerate(self.nodes):
            if "matrix" in n:
                m = torch.tensor(n["matrix"], dtype=_F64)
                if m.shape != (16,):
                    raise FormatError(self.path, f"node {i}: matrix must have 16 numbers")
                m = m.reshape(4, 4).T  # column-major
                t[i], r[i], s[i] = _decompose(m)
            else:
                if "translation" in n:
                    t[i] = torch.tensor(n["translation"], dtype=_F64)
                if "rotation" in n:
                    q = torch.tensor(n["rotation"], dtype=_F64)
                    if q.norm() < 1e-9:
                        raise FormatError(self.path, f"node {i} has a zero rotation quaternion")
                    r[i] = q / q.norm()
                if "scale" in n:
                    s[i] = torch.tensor(n["scale"], dtype=_F64)
        return t, r, s

    def _joint_nodes(self) -> list[int]:
        skins = self.doc.get("skins", [])
        members: list[int] = []
        seen: set[int] = set()
        for si, skin in enumerate(skins):
            for n in skin.get("joints", []):
                if not isinstance(n, int) or not 0 <= n < len(self.nodes):
                    raise FormatError(self.path, f"skin {si} names joint node {n!r}, which does not exist")
                if n not in seen:
                    seen.add(n)
                    members.append(n)
        if not members:  # no skin: every node of the scene
            stack = list(reversed(self.scene_roots))
            while stack:
                n = stack.pop()
                if n not in seen:
                    seen.add(n)
                    members.append(n)
                    stack.extend(reversed(self.nodes[n].get("children", [])))
            return members
        return select_joint_nodes(self.parent, members)

    def _world(self, t: torch.Tensor, r: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        """World matrices ``(T, N, 4, 4)`` of every node from local TRS ``(T, N, ·)``."""
        T, N = t.shape[:2]
        local = torch.zeros(T, N, 4, 4, dtype=_F64)
        local[..., :3, :3] = quat_to_matrix(r) * s[..., None, :]
        local[..., :3, 3] = t
        local[..., 3, 3] = 1
        world = local.clone()
        for n in self.order:
            p = self.parent[n]
            if p >= 0:
                world[:, n] = world[:, p] @ local[:, n]
        return world

    def _joint_locals(self, world: torch.Tensor):
        return joint_locals(world, self.joints, self.joint_parents)

    def _scaled_locals(self, world: torch.Tensor, what: str):
        """T·R·S joint locals ``(T, J, ·)`` for ``keep_scale``; FormatError naming the node."""
        try:
            return joint_locals_scaled(world, self.joints, self.joint_parents)
        except JointTransformError as exc:
            n = self.joints[exc.joint]
            raise FormatError(
                self.path, f"{what}: node {n} ({self.nodes[n].get('name') or 'unnamed'}): {exc.problem}; read with keep_scale=False"
            ) from None

    def _ancestor_in(self, n: int, group) -> int:
        return ancestor_in(self.parent, n, group)

    # -- skeleton and mesh ---------------------------------------------------------------------

    def skeleton(self) -> Skeleton:
        names = unique_names([self.nodes[n].get("name") or "" for n in self.joints], [f"node{n}" for n in self.joints])
        if self.keep_scale:
            rot, trans, scales = self._scaled_locals(self.rest_world[None], "rest pose")
            self.rest_scales = scales[0]
            sk = Skeleton(tuple(names), torch.tensor(self.joint_parents), trans[0].float(), rot[0].float(), rest_scales=scales[0].float())
            # Rest world transforms of the joints as forward kinematics composes them, scale included.
            self.G_rest = self.rest_world[self.joints].clone()
        else:
            rot, trans, g_rot, g_pos = self._joint_locals(self.rest_world[None])
            sk = Skeleton(tuple(names), torch.tensor(self.joint_parents), trans[0].float(), rot[0].float())
            # Unscaled rest world transforms of the joints, (J, 4, 4).
            G = torch.zeros(len(self.joints), 4, 4, dtype=_F64)
            G[:, :3, :3] = quat_to_matrix(g_rot[0])
            G[:, :3, 3] = g_pos[0]
            G[:, 3, 3] = 1
            self.G_rest = G
        mesh = self._mesh()
        return sk.with_mesh(mesh) if mesh is not None else sk

    def _mesh(self) -> SkinnedMesh | None:
        J = len(self.joints)
        ibm = torch.eye(4, dtype=_F64).repeat(J, 1, 1)
        ibm_set = [False] * J
        skins = self.doc.get("skins", [])
        # 1. Skinned and rigid mesh instances.
        skinned: dict[int, list] = defaultdict(list)  # skin -> [(v, f, local joint idx, w, uv)]
        rigid = []  # (node, joint, v, f, uv)
        for n in self.order:
            node = self.nodes[n]
            if "mesh" not in node:
                continue
            if "skin" in node:
                si = node["skin"]
                if not isinstance(si, int) or not 0 <= si < len(skins):
                    raise FormatError(self.path, f"node {n} uses skin {si!r}, which does not exist")
                for v, f, ji, jw, uv in self._primitives(node["mesh"], skinned=True):
                    if ji.size and ji.max() >= len(skins[si]["joints"]):
                        raise FormatError(
                            self.path, f"mesh {node['mesh']}: JOINTS index {int(ji.max())} >= {len(skins[si]['joints'])} skin joints"
                        )
                    skinned[si].append((v, f, ji, jw, uv))
            else:
                a = n if n in self.joint_index else self._ancestor_in(n, self.joint_index)
                if a >= 0:  # rigid meshes outside the skeleton are skipped
                    for v, f, _, _, uv in self._primitives(node["mesh"], skinned=False):
                        rigid.append((n, self.joint_index[a], v, f, uv))
        # 2. Inverse bind matrices per skin: rescaled for the dropped joint scale
        #    (C_j = inv(G'_j) @ G_j), and re-based so that mesh space is model space, X being
        #    G_rest @ IBM of the skin's most-weighted joint (identity when bind pose = rest pose).
        scale_fix = torch.linalg.inv(self.G_rest) @ self.rest_world[self.joints]
        skin_ibms = {}
        for si, skin in enumerate(skins):
            joints = skin["joints"]
            if "inverseBindMatrices" in skin:
                m = torch.from_numpy(self.g.accessor(skin["inverseBindMatrices"])).reshape(-1, 4, 4).transpose(-1, -2)
                if m.shape[0] < len(joints):
                    raise FormatError(self.path, f"skin {si}: {m.shape[0]} inverse bind matrices for {len(joints)} joints")
            else:
                m = torch.eye(4, dtype=_F64).repeat(len(joints), 1, 1)
            idx = [self.joint_index[n] for n in joints]
            m = scale_fix[idx] @ m[: len(joints)]
            if skinned[si]:
                total = np.zeros(len(joints))
                for _, _, ji, jw, _ in skinned[si]:
                    np.add.at(total, ji.ravel(), jw.ravel())
                k = int(total.argmax())
                X = self.G_rest[idx[k]] @ m[k]
                m = m @ torch.linalg.inv(X)
                skinned[si] = [(_affine(X, v), f, ji, jw, uv) for v, f, ji, jw, uv in skinned[si]]
                for k in np.flatnonzero(total > 0):
                    if not ibm_set[idx[k]]:
                        ibm[idx[k]] = m[k]
                        ibm_set[idx[k]] = True
            skin_ibms[si] = (idx, m)
        # Joints only rigid meshes bind: bind pose = rest pose.
        for _, j, _, _, _ in rigid:
            if not ibm_set[j]:
                ibm[j] = torch.linalg.inv(self.G_rest[j])
                ibm_set[j] = True
        # Skin joints binding no vertex keep their skin's matrix (the first skin's).
        for si, (idx, m) in skin_ibms.items():
            for k, j in enumerate(idx):
                if not ibm_set[j]:
                    ibm[j] = m[k]
                    ibm_set[j] = True
        # 3. Parts: skinned vertices moved where a later skin disagrees; rigid ones bound to
        #    their joint's bind pose.
        parts = []
        for si, plist in skinned.items():
            idx, m = skin_ibms[si]
            for v, f, ji, jw, uv in plist:
                sj = np.asarray(idx)[ji]
                parts.append((self._fix_bind(v, sj, jw, ibm, m, ji), f, sj, jw, uv))
        for n, j, v, f, uv in rigid:
            to_bind = torch.linalg.inv(ibm[j]) @ torch.linalg.inv(self.G_rest[j]) @ self.rest_world[n]
            parts.append((_affine(to_bind, v), f, np.full((len(v), 1), j), np.ones((len(v), 1)), uv))
        if not parts:
            return None
        K = max(p[2].shape[1] for p in parts)
        verts, faces, jis, jws, uvs, base = [], [], [], [], [], 0
        for v, f, ji, jw, uv in parts:
            pad = K - ji.shape[1]
            jis.append(np.pad(ji, ((0, 0), (0, pad))))
            jws.append(np.pad(jw, ((0, 0), (0, pad))))
            verts.append(v)
            faces.append(f + base)
            uvs.append(uv)
            base += len(v)
        all_uv = None if any(u is None for u in uvs) else torch.from_numpy(np.concatenate(uvs)).float()
        return SkinnedMesh(
            torch.from_numpy(np.concatenate(verts)).float(),
            torch.from_numpy(np.concatenate(faces)).long(),
            torch.from_numpy(np.concatenate(jis)).long(),
            torch.from_numpy(np.concatenate(jws)).float(),
            ibm.float(),
            uvs=all_uv,
        )

    @staticmethod
    def _fix_bind(v, sj, jw, ibm, skin_ibm, ji) -> np.ndarray:
        """Move vertices of a skin whose inverse bind matrices differ from the kept ones."""
        diff = torch.linalg.inv(ibm[torch.from_numpy(sj)]) @ skin_ibm[torch.from_numpy(ji)]  # (n, k, 4, 4)
        if (diff - torch.eye(4, dtype=_F64)).abs().max() < 1e-6:
            return v
        vh = torch.cat([torch.from_numpy(v), torch.ones(len(v), 1, dtype=_F64)], 1)
        moved = (diff @ vh[:, None, :, None])[..., :3, 0]  # (n, k, 3)
        return (moved * torch.from_numpy(jw)[..., None]).sum(1).numpy()

    def _primitives(self, mesh_index, skinned: bool):
        meshes = self.doc.get("meshes", [])
        if not isinstance(mesh_index, int) or not 0 <= mesh_index < len(meshes):
            raise FormatError(self.path, f"mesh {mesh_index!r} does not exist")
        for pi, prim in enumerate(meshes[mesh_index].get("primitives", [])):
            mode = prim.get("mode", 4)
            if mode not in (4, 5, 6):
                continue
            attrs = prim.get("attributes", {})
            if "POSITION" not in attrs:
                raise FormatError(self.path, f"mesh {mesh_index} primitive {pi} has no POSITION")
            v = self.g.accessor(attrs["POSITION"])
            if v.shape[1] != 3:
                raise FormatError(self.path, f"mesh {mesh_index} primitive {pi}: POSITION is not VEC3")
            n = len(v)
            idx = self.g.accessor(prim["indices"])[:, 0] if "indices" in prim else np.arange(n)
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                raise FormatError(self.path, f"mesh {mesh_index} primitive {pi}: index out of range ({n} vertices)")
            faces = _triangles(idx, mode)
            uv = self.g.accessor(attrs["TEXCOORD_0"]) if "TEXCOORD_0" in attrs else None
            ji = jw = None
            if skinned:
                sets = sorted(int(k[7:]) for k in attrs if k.startswith("JOINTS_"))
                if not sets:
                    raise FormatError(self.path, f"mesh {mesh_index} primitive {pi} is skinned but has no JOINTS_0")
                ji = np.concatenate([self.g.accessor(attrs[f"JOINTS_{s}"]) for s in sets], 1)
                jw = np.concatenate([self.g.accessor(attrs[f"WEIGHTS_{s}"]) for s in sets], 1)
                if ji.shape != jw.shape or len(ji) != n:
                    raise FormatError(self.path, f"mesh {mesh_index} primitive {pi}: JOINTS/WEIGHTS do not match POSITION")
                jw = np.clip(jw, 0.0, None)
                zero = jw.sum(1) <= 0
                jw[zero, 0] = 1.0  # a vertex bound to nothing follows its first joint
                jw = jw / jw.sum(1, keepdims=True)
            yield v, faces, ji, jw, uv

    # -- animation -----------------------------------------------------------------------------

    def _groups(self) -> list[tuple[str, list[int]]]:
        anims = self.doc.get("animations", [])
        groups: list[tuple[str, list[int], tuple[float, float], set]] = []
        for ai, anim in enumerate(anims):
            span = self._span(ai, anim)
            targets = {(c.get("target", {}).get("node"), c.get("target", {}).get("path")) for c in anim.get("channels", [])}
            name = anim.get("name") or ""
            for gname, members, gspan, gtargets in groups:
                if name:
                    if gname == name:
                        members.append(ai)
                        gtargets |= targets
                        break
                elif (
                    gname.startswith("\x00")
                    and abs(gspan[0] - span[0]) <= _TIME_TOL_S
                    and abs(gspan[1] - span[1]) <= _TIME_TOL_S
                    and not (gtargets & targets)
                ):
                    members.append(ai)
                    gtargets |= targets
                    break
            else:
                groups.append((name or f"\x00animation_{ai}", [ai], span, set(targets)))
        return [(name.lstrip("\x00"), members) for name, members, _, _ in groups]

    def _span(self, ai: int, anim: dict) -> tuple[float, float]:
        lo, hi = float("inf"), float("-inf")
        for s in anim.get("samplers", []):
            acc = self.g._get("accessors", s["input"])
            if "min" in acc and "max" in acc:
                lo, hi = min(lo, float(acc["min"][0])), max(hi, float(acc["max"][0]))
            else:
                t = self.g.accessor(s["input"])
                if len(t):
                    lo, hi = min(lo, float(t.min())), max(hi, float(t.max()))
        return (lo, hi) if lo <= hi else (0.0, 0.0)

    def clips(self, fps: float):
        if not (fps > 0 and np.isfinite(fps)):
            raise FormatError(self.path, f"sampling fps must be positive, got {fps!r}")
        anims = self.doc.get("animations", [])
        for name, members in self._groups():
            channels = []
            lo, hi = float("inf"), float("-inf")
            for ai in members:
                anim = anims[ai]
                samplers = anim.get("samplers", [])
                for ci, ch in enumerate(anim.get("channels", [])):
                    tgt = ch.get("target", {})
                    node, prop = tgt.get("node"), tgt.get("path")
                    if prop not in ("translation", "rotation", "scale") or node is None:
                        continue
                    if not isinstance(node, int) or not 0 <= node < len(self.nodes):
                        raise FormatError(self.path, f"animation {ai} channel {ci} targets node {node!r}, which does not exist")
                    si = ch.get("sampler")
                    if not isinstance(si, int) or not 0 <= si < len(samplers):
                        raise FormatError(self.path, f"animation {ai} channel {ci} uses sampler {si!r}, which does not exist")
                    s = samplers[si]
                    times = self.g.accessor(s["input"])[:, 0]
                    values = self.g.accessor(s["output"])
                    interp = s.get("interpolation", "LINEAR")
                    width = {"translation": 3, "rotation": 4, "scale": 3}[prop]
                    per_key = 3 if interp == "CUBICSPLINE" else 1
                    if interp not in ("LINEAR", "STEP", "CUBICSPLINE"):
                        raise FormatError(self.path, f"animation {ai} sampler {si}: unknown interpolation {interp!r}")
                    if values.shape[1] != width or len(values) != per_key * len(times) or len(times) == 0:
                        raise FormatError(
                            self.path,
                            f"animation {ai} sampler {si}: {len(values)} {prop} values of width {values.shape[1]} "
                            f"for {len(times)} key times ({interp})",
                        )
                    if np.any(np.diff(times) < 0):
                        raise FormatError(self.path, f"animation {ai} sampler {si}: key times are not increasing")
                    lo, hi = min(lo, float(times[0])), max(hi, float(times[-1]))
                    channels.append((node, prop, interp, times, values))
            if not channels:
                continue
            T = int(round((hi - lo) * fps)) + 1
            t = np.minimum(lo + np.arange(T) / fps, hi)
            tr = self.rest_t[None].repeat(T, 1, 1)
            rr = self.rest_r[None].repeat(T, 1, 1)
            sr = self.rest_s[None].repeat(T, 1, 1)
            for node, prop, interp, times, values in channels:
                out = _sample(times, values, interp, t, prop == "rotation")
                {"translation": tr, "rotation": rr, "scale": sr}[prop][:, node] = out
            world = self._world(tr, rr, sr)
            if self.keep_scale:
                rot, trans, scales = self._scaled_locals(world, f"clip {name!r}")
                rest = getattr(self, "rest_scales", None)
                if rest is None:
                    rest = self._scaled_locals(self.rest_world[None], "rest pose")[2][0]
                moved = ((scales - rest).abs() > 1e-6 * rest).any(dim=(0, 2))
                if moved.any():
                    n = self.joints[int(moved.nonzero()[0])]
                    raise FormatError(
                        self.path,
                        f"clip {name!r} animates the scale of node {n} ({self.nodes[n].get('name') or 'unnamed'}); "
                        "a rest scale cannot follow it: read with keep_scale=False",
                    )
            else:
                rot, trans, _, _ = self._joint_locals(world)
            yield Clip(name, Motion(rot.float(), trans.float(), fps))


def _sample(times: np.ndarray, values: np.ndarray, interp: str, t: np.ndarray, is_rotation: bool) -> torch.Tensor:
    """Sample one channel at times ``t (T,)``; returns ``(T, C)`` float64."""
    n = len(times)
    if interp == "CUBICSPLINE":
        vals = values.reshape(n, 3, -1)
        a_in, v, b_out = vals[:, 0], vals[:, 1], vals[:, 2]
    else:
        v = values
    if n == 1:
        out = torch.from_numpy(np.repeat(v[:1], len(t), 0))
        return quat_normalize(out) if is_rotation else out
    i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, n - 2)
    dt = times[i + 1] - times[i]
    u = np.clip(np.where(dt > 0, (t - times[i]) / np.where(dt > 0, dt, 1.0), 1.0), 0.0, 1.0)
    if interp == "STEP":
        out = torch.from_numpy(np.where((u >= 1.0)[:, None], v[i + 1], v[i]))
        return quat_normalize(out) if is_rotation else out
    if interp == "CUBICSPLINE":
        u2, u3 = u * u, u * u * u
        h00, h10 = 2 * u3 - 3 * u2 + 1, (u3 - 2 * u2 + u) * dt
        h01, h11 = -2 * u3 + 3 * u2, (u3 - u2) * dt
        out = torch.from_numpy(h00[:, None] * v[i] + h10[:, None] * b_out[i] + h01[:, None] * v[i + 1] + h11[:, None] * a_in[i + 1])
        return quat_normalize(out) if is_rotation else out
    v0, v1 = torch.from_numpy(v[i]), torch.from_numpy(v[i + 1])
    uu = torch.from_numpy(u)
    if is_rotation:
        return quat_slerp(quat_normalize(v0), quat_normalize(v1), uu)
    return v0 + (v1 - v0) * uu[:, None]


def _affine(m: torch.Tensor, v: np.ndarray) -> np.ndarray:
    """Apply a ``(4, 4)`` affine transform to points ``(n, 3)``."""
    m = m.numpy()
    return v @ m[:3, :3].T + m[:3, 3]


def _triangles(idx: np.ndarray, mode: int) -> np.ndarray:
    idx = idx.astype(np.int64)
    if mode == 4:
        return idx[: len(idx) // 3 * 3].reshape(-1, 3)
    if len(idx) < 3:
        return np.zeros((0, 3), np.int64)
    k = np.arange(len(idx) - 2)
    if mode == 5:  # strip: flip every other triangle to keep the winding
        a, b, c = idx[k], idx[k + 1], idx[k + 2]
        odd = k % 2 == 1
        a, b = np.where(odd, b, a), np.where(odd, a, b)
        return np.stack([a, b, c], 1)
    return np.stack([np.full_like(k, idx[0]), idx[k + 1], idx[k + 2]], 1)  # fan


def _decompose(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """TRS of an affine ``(4, 4)`` matrix (a negative determinant flips the x scale)."""
    t = m[:3, 3].clone()
    a = m[:3, :3]
    s = a.norm(dim=0)
    if (s < 1e-12).any():
        raise ValueError("node matrix has a zero scale")
    r = a / s
    if torch.linalg.det(r) < 0:
        s[0] = -s[0]
        r[:, 0] = -r[:, 0]
    return t, matrix_to_quat(r), s
