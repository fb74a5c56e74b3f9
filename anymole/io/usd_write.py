"""USD writer (``.usda`` / ``.usdc``): a skeleton and one animation as UsdSkel, through Pixar's
``usd-core`` package (``pxr``).

Layout of the stage (Unity, Unreal and Omniverse import it)::

    /<Root>                 UsdSkelRoot, the default prim
    /<Root>/Skeleton        UsdSkelSkeleton: joints (paths like ``Hips/Spine/Chest``),
                            bindTransforms (rest pose, world), restTransforms (rest pose, local)
    /<Root>/Skeleton/Anim   UsdSkelAnimation: translations, rotations, scales per frame,
                            bound by ``skel:animationSource``

Stage metadata: ``upAxis = "Y"``, ``metersPerUnit = 1`` (the canonical frame: right-handed,
+Y up, metres), ``timeCodesPerSecond = framesPerSecond = fps``, time codes ``0 .. T-1``.
Rotations are ``quatf`` (USD stores ``(w, x, y, z)``; ours are ``(x, y, z, w)``). Joint names
that are not USD identifiers are made so (other characters become ``_``); the joint order is
the skeleton's.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from anymole.errors import FormatError
from anymole.io.format_errors import wrap_errors
from anymole.kinematics import global_matrices
from anymole.motion import Motion
from anymole.skeleton import Skeleton

INSTALL_HINT = "install it with: pip install usd-core==26.11"
_IDENT = re.compile(r"[^A-Za-z0-9_]")


def usd_available() -> bool:
    """True when ``pxr`` (usd-core) can be imported."""
    try:
        import pxr  # noqa: F401
    except ImportError:
        return False
    return True


def _identifier(name: str) -> str:
    s = _IDENT.sub("_", name) or "_"
    return "_" + s if s[0].isdigit() else s


def write_usd(path: str | Path, skeleton: Skeleton, motion: Motion, *, clip_name: str = "motion") -> None:
    """Write ``motion (T, J)`` of ``skeleton`` (canonical frame, metres) as UsdSkel.

    Args:
        path: ``.usda`` (text) or ``.usdc``/``.usd`` (binary crate).
        clip_name: the root prim's name (made an identifier) and the animation's
            documentation string.

    Raises :class:`FormatError` naming ``path`` for a bad extension, a motion that does not fit
    the skeleton, a file that cannot be written, or a missing ``usd-core``.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".usda", ".usdc", ".usd"):
        raise FormatError(path, f"unknown USD extension {path.suffix!r}; expected .usda, .usdc or .usd")
    try:
        from pxr import Gf, Sdf, Usd, UsdGeom, UsdSkel, Vt
    except ImportError:
        raise FormatError(path, f"USD output needs the usd-core package; {INSTALL_HINT}") from None
    with wrap_errors(path, "cannot write USD"):
        motion.check_skeleton(skeleton)
        names = [_identifier(n) for n in skeleton.names]
        parents = skeleton.parents.tolist()
        paths: list[str] = []
        for j, p in enumerate(parents):
            paths.append(names[j] if p < 0 else f"{paths[p]}/{names[j]}")
        if len(set(paths)) != len(paths):
            raise FormatError(path, "joint paths collide once names are made USD identifiers")
        # A temporary layer, exported in one go (the crate format needs an exported layer).
        stage = Usd.Stage.CreateInMemory()
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, 1.0)
        T = motion.num_frames
        stage.SetTimeCodesPerSecond(float(motion.fps))
        stage.SetFramesPerSecond(float(motion.fps))
        stage.SetStartTimeCode(0.0)
        stage.SetEndTimeCode(float(max(T - 1, 0)))
        root_path = Sdf.Path("/" + _identifier(clip_name))
        root = UsdSkel.Root.Define(stage, root_path)
        stage.SetDefaultPrim(root.GetPrim())
        skel = UsdSkel.Skeleton.Define(stage, root_path.AppendChild("Skeleton"))
        skel.CreateJointsAttr(Vt.TokenArray(paths))
        skel.CreateJointNamesAttr(Vt.TokenArray(names))

        J = skeleton.num_joints
        rest_rot = skeleton.rest_rotations.double()[None]
        rest_off = skeleton.offsets.double()[None]
        fk_scales = skeleton.fk_scales.double() if skeleton.fk_scales is not None else None
        g = global_matrices(skeleton.parents, rest_rot, rest_off, fk_scales)[0]  # (J, 4, 4)
        local = global_matrices(tuple([-1] * J), rest_rot, rest_off, fk_scales)[0]

        def mats(m: torch.Tensor):  # column-vector 4x4 -> USD row-vector Matrix4d
            return Vt.Matrix4dArray([Gf.Matrix4d(*[float(x) for x in mi.T.reshape(-1).tolist()]) for mi in m])

        skel.CreateBindTransformsAttr(mats(g))
        skel.CreateRestTransformsAttr(mats(local))
        anim = UsdSkel.Animation.Define(stage, skel.GetPath().AppendChild("Anim"))
        anim.CreateJointsAttr(Vt.TokenArray(paths))
        t_attr = anim.CreateTranslationsAttr()
        r_attr = anim.CreateRotationsAttr()
        s_attr = anim.CreateScalesAttr()
        scales = (skeleton.rest_scales if skeleton.rest_scales is not None else torch.ones(J, 3)).double().numpy()
        s_attr.Set(Vt.Vec3hArray([Gf.Vec3h(*map(float, s)) for s in scales]))
        rot = motion.rotations.double().numpy()
        trans = motion.translations.double().numpy()
        for t in range(T):
            tc = Usd.TimeCode(float(t))
            t_attr.Set(Vt.Vec3fArray.FromNumpy(trans[t].astype(np.float32)), tc)
            q = rot[t]
            r_attr.Set(Vt.QuatfArray([Gf.Quatf(float(w), float(x), float(y), float(z)) for x, y, z, w in q]), tc)
        binding = UsdSkel.BindingAPI.Apply(skel.GetPrim())
        binding.CreateAnimationSourceRel().SetTargets([anim.GetPath()])
        UsdSkel.BindingAPI.Apply(root.GetPrim())
        root.GetPrim().SetDocumentation(f"anymole clip {clip_name!r}: {T} frames at {motion.fps:g} fps")
        fmt = {".usda": "usda", ".usdc": "usdc", ".usd": "usdc"}[ext]
        if not stage.GetRootLayer().Export(str(path), args={"format": fmt}):
            raise FormatError(path, "USD export failed")
