"""USD output (UsdSkel through usd-core): the stage reads back, joint world transforms match FK."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anymole.errors import FormatError
from anymole.kinematics import global_matrices
from anymole.testing import make_character

pxr = pytest.importorskip("pxr", reason="usd-core is not installed")
from pxr import Usd, UsdGeom, UsdSkel  # noqa: E402

from anymole.io.usd_write import write_usd  # noqa: E402


@pytest.mark.parametrize("ext", [".usda", ".usdc"])
@pytest.mark.parametrize("character", ["spider", "quadruped"])
def test_usd_round_trips_world_transforms(tmp_path, ext, character):
    sk, m = make_character(character, num_frames=12)
    path = tmp_path / f"clip{ext}"
    write_usd(path, sk, m, clip_name="walk cycle")
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetTimeCodesPerSecond() == m.fps and stage.GetEndTimeCode() == 11
    assert stage.GetDefaultPrim().GetPath().pathString == "/walk_cycle"
    skel = UsdSkel.Skeleton(stage.GetPrimAtPath("/walk_cycle/Skeleton"))
    query = UsdSkel.Cache().GetSkelQuery(skel)
    assert query and len(query.GetJointOrder()) == sk.num_joints
    for t in (0, 7):
        xf = query.ComputeJointWorldTransforms(UsdGeom.XformCache(Usd.TimeCode(t)))
        ref = global_matrices(sk.parents, m.rotations[t : t + 1].double(), m.translations[t : t + 1].double())[0]
        got = np.stack([np.array(x).T for x in xf])
        assert np.abs(got - ref.numpy()).max() < 1e-5


def test_usd_rejects_bad_extension(tmp_path):
    sk, m = make_character("snake", num_frames=3)
    with pytest.raises(FormatError, match="extension"):
        write_usd(tmp_path / "x.txt", sk, m)
