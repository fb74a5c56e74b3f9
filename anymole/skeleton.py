"""The character: joint hierarchy, rest pose and optional skinned mesh.

Frame and units: the canonical frame (glTF's: right-handed, +Y up, +Z forward, metres) unless
a reader says otherwise. Quaternions are (x, y, z, w).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import torch
from torch import Tensor

from anymole.checks import as_float_tensor, check_finite, check_quaternions, check_shape
from anymole.errors import ValidationError


@dataclass(frozen=True, eq=False)
class SkinnedMesh:
    """A mesh bound to a skeleton by linear blend skinning.

    Attributes:
        vertices: ``(N, 3)`` bind-pose positions, skeleton frame and units.
        faces: ``(F, 3)`` int64 vertex indices, counter-clockwise seen from outside.
        joint_indices: ``(N, K)`` int64 indices into the skeleton's joints.
        joint_weights: ``(N, K)`` non-negative weights, each row summing to 1.
        inverse_bind_matrices: ``(J, 4, 4)`` per skeleton joint; maps bind-pose model space to
            the joint's local space (identity for joints that bind no vertex).
        uvs: optional ``(N, 2)`` texture coordinates.
        colors: optional ``(N, 3)`` linear RGB in [0, 1].
    """

    vertices: Tensor
    faces: Tensor
    joint_indices: Tensor
    joint_weights: Tensor
    inverse_bind_matrices: Tensor
    uvs: Tensor | None = None
    colors: Tensor | None = None

    def __post_init__(self) -> None:
        v = as_float_tensor("mesh.vertices", self.vertices, (-1, 3))
        check_finite("mesh.vertices", v)
        f = torch.as_tensor(self.faces, dtype=torch.int64)
        check_shape("mesh.faces", f, (-1, 3))
        n = v.shape[0]
        if f.numel() and (f.min() < 0 or f.max() >= n):
            raise ValidationError("mesh.faces", f"vertex index out of range [0, {n})")
        ji = torch.as_tensor(self.joint_indices, dtype=torch.int64)
        check_shape("mesh.joint_indices", ji, (n, -1))
        jw = as_float_tensor("mesh.joint_weights", self.joint_weights, tuple(ji.shape))
        check_finite("mesh.joint_weights", jw)
        if (jw < 0).any():
            raise ValidationError("mesh.joint_weights", "negative weight")
        sums = jw.sum(-1, keepdim=True)
        if (sums <= 0).any():
            raise ValidationError("mesh.joint_weights", "a vertex has all weights zero")
        jw = jw / sums
        ibm = as_float_tensor("mesh.inverse_bind_matrices", self.inverse_bind_matrices, (-1, 4, 4))
        check_finite("mesh.inverse_bind_matrices", ibm)
        if ji.numel() and (ji.min() < 0 or ji.max() >= ibm.shape[0]):
            raise ValidationError("mesh.joint_indices", f"joint index out of range [0, {ibm.shape[0]})")
        object.__setattr__(self, "vertices", v)
        object.__setattr__(self, "faces", f)
        object.__setattr__(self, "joint_indices", ji)
        object.__setattr__(self, "joint_weights", jw)
        object.__setattr__(self, "inverse_bind_matrices", ibm)
        if self.uvs is not None:
            object.__setattr__(self, "uvs", as_float_tensor("mesh.uvs", self.uvs, (n, 2)))
        if self.colors is not None:
            object.__setattr__(self, "colors", as_float_tensor("mesh.colors", self.colors, (n, 3)))

    @property
    def num_vertices(self) -> int:
        return int(self.vertices.shape[0])


@dataclass(frozen=True, eq=False)
class Skeleton:
    """A joint hierarchy with a rest pose.

    Attributes:
        names: ``J`` unique joint names.
        parents: ``(J,)`` int64; ``-1`` for a root, otherwise ``parents[i] < i`` (sorted so that
            a parent comes before its children; :meth:`from_unsorted` sorts any tree).
        offsets: ``(J, 3)`` rest local translation of each joint in its parent's frame.
        rest_rotations: ``(J, 4)`` rest local rotation (x, y, z, w), unit length.
        mesh: optional skinned mesh whose joint indices refer to these joints.
        rest_scales: ``(J, 3)`` local scale of each joint's frame, dimensionless, positive
            (default ones; ``None`` means ones). A joint's local transform is
            ``T(offset or translation) · R(rotation) · S(rest_scale)``, so a joint's scale
            stretches its children's offsets (see :mod:`anymole.kinematics` for the
            composition). Motions do not animate scale: it is a property of the rig (FBX and
            engine rigs often carry non-unit parent scales).
    """

    names: tuple[str, ...]
    parents: Tensor
    offsets: Tensor
    rest_rotations: Tensor | None = None
    mesh: SkinnedMesh | None = field(default=None)
    rest_scales: Tensor | None = None

    def __post_init__(self) -> None:
        names = tuple(self.names)
        if not names:
            raise ValidationError("skeleton.names", "empty skeleton: at least one joint is required")
        seen: dict[str, int] = {}
        for i, n in enumerate(names):
            if not isinstance(n, str) or not n:
                raise ValidationError("skeleton.names", f"joint {i} has an empty or non-string name")
            if n in seen:
                raise ValidationError("skeleton.names", f"duplicate joint name {n!r} (joints {seen[n]} and {i})")
            seen[n] = i
        J = len(names)
        try:
            parents = torch.as_tensor(self.parents, dtype=torch.int64)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValidationError("skeleton.parents", f"not an integer array ({exc})") from None
        check_shape("skeleton.parents", parents, (J,))
        for i, p in enumerate(parents.tolist()):
            if p == i:
                raise ValidationError("skeleton.parents", f"joint {i} ({names[i]!r}) is its own parent (cycle)")
            if p < -1 or p >= J:
                raise ValidationError("skeleton.parents", f"joint {i} ({names[i]!r}) has parent {p} outside [-1, {J})")
            if p >= i:
                raise ValidationError(
                    "skeleton.parents",
                    f"parents are not sorted: joint {i} ({names[i]!r}) has parent {p}; a parent must "
                    "come before its children (Skeleton.from_unsorted sorts a tree)",
                )
        offsets = as_float_tensor("skeleton.offsets", self.offsets, (J, 3))
        check_finite("skeleton.offsets", offsets)
        if self.rest_rotations is None:
            rest = torch.zeros(J, 4)
            rest[:, 3] = 1.0
        else:
            rest = as_float_tensor("skeleton.rest_rotations", self.rest_rotations, (J, 4))
            rest = check_quaternions("skeleton.rest_rotations", rest)
        if self.rest_scales is None:
            scales = torch.ones(J, 3)
        else:
            scales = as_float_tensor("skeleton.rest_scales", self.rest_scales, (J, 3))
            check_finite("skeleton.rest_scales", scales)
            if (scales <= 0).any():
                idx = [int(i) for i in (scales <= 0).nonzero()[0]]
                raise ValidationError(
                    "skeleton.rest_scales", f"scale {float(scales[tuple(idx)])} at index {idx} is not positive (mirroring scales are not supported)"
                )
        if self.mesh is not None and self.mesh.inverse_bind_matrices.shape[0] != J:
            raise ValidationError(
                "mesh.inverse_bind_matrices",
                f"has {self.mesh.inverse_bind_matrices.shape[0]} matrices for {J} joints",
            )
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "parents", parents)
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "rest_rotations", rest)
        object.__setattr__(self, "rest_scales", scales)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_unsorted(
        cls,
        names: list[str],
        parents: list[int],
        offsets,
        rest_rotations=None,
        rest_scales=None,
    ) -> tuple["Skeleton", list[int]]:
        """Build a skeleton from joints in any order (parents given as indices into that order).

        Returns the sorted skeleton and ``order``: ``order[new_index] = old_index``. Raises
        :class:`ValidationError` on cycles or out-of-range parents.
        """
        J = len(names)
        if len(parents) != J:
            raise ValidationError("skeleton.parents", f"{len(parents)} parents for {J} joints")
        for i, p in enumerate(parents):
            if p < -1 or p >= J:
                raise ValidationError("skeleton.parents", f"joint {i} ({names[i]!r}) has parent {p} outside [-1, {J})")
        children: list[list[int]] = [[] for _ in range(J)]
        roots = []
        for i, p in enumerate(parents):
            (roots if p == -1 else children[p]).append(i)
        order: list[int] = []
        stack = list(reversed(roots))
        while stack:
            i = stack.pop()
            order.append(i)
            stack.extend(reversed(children[i]))
        if len(order) != J:
            missing = sorted(set(range(J)) - set(order))
            raise ValidationError(
                "skeleton.parents",
                f"cycle in parents: joints {[names[i] for i in missing[:5]]} never reach a root",
            )
        new_index = {old: new for new, old in enumerate(order)}
        new_parents = [-1 if parents[o] == -1 else new_index[parents[o]] for o in order]
        offsets = torch.as_tensor(offsets, dtype=torch.float32)[order]
        rest = None if rest_rotations is None else torch.as_tensor(rest_rotations, dtype=torch.float32)[order]
        scales = None if rest_scales is None else torch.as_tensor(rest_scales, dtype=torch.float32)[order]
        return cls(tuple(names[o] for o in order), torch.tensor(new_parents), offsets, rest, rest_scales=scales), order

    def with_mesh(self, mesh: SkinnedMesh | None) -> "Skeleton":
        return replace(self, mesh=mesh)

    # -- queries ------------------------------------------------------------------------------

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Index of joint ``name``; :class:`ValidationError` if absent."""
        try:
            return self._index[name]
        except KeyError:
            raise ValidationError("joint", f"no joint named {name!r}") from None

    @cached_property
    def _index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.names)}

    @cached_property
    def has_scales(self) -> bool:
        """True when some rest scale differs from 1 (forward kinematics then composes full
        T·R·S matrices; otherwise it takes the unscaled path)."""
        return bool((self.rest_scales != 1).any())

    @property
    def fk_scales(self) -> Tensor | None:
        """``rest_scales`` ``(J, 3)`` to pass to :func:`~anymole.kinematics.forward_kinematics`,
        or None when every scale is 1 (so callers skip the scaled path without a check)."""
        return self.rest_scales if self.has_scales else None

    def children(self, i: int) -> list[int]:
        return [j for j, p in enumerate(self.parents.tolist()) if p == i]

    @cached_property
    def rest_positions(self) -> Tensor:
        """``(J, 3)`` global joint positions in the rest pose."""
        from anymole.kinematics import forward_kinematics

        _, pos = forward_kinematics(self.parents, self.rest_rotations, self.offsets, self.fk_scales)
        return pos

    @cached_property
    def size(self) -> float:
        """Character size: the largest distance between two joints in the rest pose, in the
        skeleton's units. Rotation-invariant; the scale used to make position errors comparable
        between characters (see :mod:`anymole.metrics`). Falls back to 1 for a single joint."""
        pos = self.rest_positions.double()
        d = torch.cdist(pos, pos).max().item() if pos.shape[0] > 1 else 0.0
        return float(d) if d > 1e-9 else 1.0
