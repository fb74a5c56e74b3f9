"""A request in Unity's convention (left-handed, Y-up, m) and one in Unreal's (left-handed,
Z-up, cm) give results that map to the same canonical motion as a canonical request."""

from __future__ import annotations

import pytest
import torch

from anymole.wire import motion_from_result
from anymole.geometry import frames
from anymole.motion import Motion
from anymole.skeleton import Skeleton
from anymole_server.testing import KEYFRAMES, make_input


def skeleton_in(skeleton: Skeleton, conv) -> Skeleton:
    return Skeleton(
        skeleton.names,
        skeleton.parents,
        frames.positions_from_canonical(skeleton.offsets, conv),
        frames.quaternions_from_canonical(skeleton.rest_rotations, conv),
    )


def motion_in(motion: Motion, conv) -> Motion:
    return Motion(frames.quaternions_from_canonical(motion.rotations, conv), frames.positions_from_canonical(motion.translations, conv), motion.fps)


def motion_to_canonical(motion: Motion, conv) -> Motion:
    return Motion(frames.quaternions_to_canonical(motion.rotations, conv), frames.positions_to_canonical(motion.translations, conv), motion.fps)


@pytest.mark.parametrize("conv", [frames.UNITY, frames.UNREAL], ids=["unity", "unreal"])
def test_engine_conventions_map_to_the_same_canonical_motion(client, character, conv):
    skeleton, motion = character
    reference = motion_from_result(client.run(make_input(character)), skeleton)

    engine = (skeleton_in(skeleton, conv), motion_in(motion, conv))
    result = client.run(make_input(engine, convention=conv, translated_joints=[0, 1]))
    got_engine = motion_from_result(result, engine[0])
    got = motion_to_canonical(got_engine, conv)

    torch.testing.assert_close(got.rotations, reference.rotations, atol=2e-6, rtol=0)
    torch.testing.assert_close(got.translations, reference.translations, atol=2e-6, rtol=0)
    # keyframes come back exactly as the engine sent them, in its own units
    k = list(KEYFRAMES)
    assert torch.equal(got_engine.rotations[k], engine[1].rotations[k])
    assert torch.equal(got_engine.translations[k][:, :2], engine[1].translations[k][:, :2])


def test_unity_and_unreal_agree_with_each_other(client, character):
    skeleton, motion = character
    out = []
    for conv in (frames.UNITY, frames.UNREAL):
        engine = (skeleton_in(skeleton, conv), motion_in(motion, conv))
        result = client.run(make_input(engine, convention=conv, translated_joints=[0, 1], output_range=(18, 39)))
        assert result.first_frame == 18
        out.append(motion_to_canonical(motion_from_result(result, engine[0]), conv))
    torch.testing.assert_close(out[0].rotations, out[1].rotations, atol=2e-6, rtol=0)
    torch.testing.assert_close(out[0].translations, out[1].translations, atol=2e-6, rtol=0)
    # Unreal positions are centimetres: the root is ~100 units up, not ~1.
    assert abs(float(frames.positions_from_canonical(out[1].translations, frames.UNREAL)[0, 0, 2]) - 100.0) < 5
