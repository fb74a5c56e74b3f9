"""In-engine tests of :mod:`anymole_unreal.adapter` — what only a real editor can tell: that the
engine calls exist and behave as the adapter assumes (bone order and parents, RAW sampling,
keys = frames + 1, whole-track writes in one bracket, duplicates, RAW vs COMPRESSED, the
preview actor, the menus). Tests import ``unreal`` themselves; the plugin's own code does so
only in the adapter. Every asset they create is deleted again.
"""

import os
import unittest

import unreal

from anymole_unreal import adapter
from anymole_unreal.transition import BoneTrack, SplicedClip, check_sequence

SUFFIX = "_AnyMoLeTest"


def find_sequence():
    path = os.environ.get("ANYMOLE_TEST_SEQUENCE")
    if path:
        return adapter.load_sequence(path)
    registry = unreal.AssetRegistryHelpers.get_asset_registry()
    for data in registry.get_assets_by_class(unreal.TopLevelAssetPath("/Script/Engine", "AnimSequence")) or []:
        if str(data.package_name).startswith("/Game/"):
            seq = data.get_asset()
            if isinstance(seq, unreal.AnimSequence) and seq.get_editor_property("additive_anim_type") == unreal.AdditiveAnimationType.AAT_NONE:
                return seq
    return None


class AdapterTest(unittest.TestCase):
    created: list = []
    seq: unreal.AnimSequence

    @classmethod
    def setUpClass(cls):
        seq = find_sequence()
        if seq is None:
            raise unittest.SkipTest("no AnimSequence under /Game (set ANYMOLE_TEST_SEQUENCE)")
        cls.seq = seq
        cls.uclip = adapter.read_clip(seq)

    @classmethod
    def tearDownClass(cls):
        for path in cls.created:
            if unreal.EditorAssetLibrary.does_asset_exist(path):
                unreal.EditorAssetLibrary.delete_asset(path)

    def test_evaluation_options_are_explicit(self):
        o = adapter.evaluation_options()
        self.assertEqual(o.evaluation_type, unreal.AnimDataEvalType.RAW)
        self.assertFalse(o.should_retarget)
        self.assertFalse(o.extract_root_motion)

    def test_keys_are_frames_plus_one(self):
        model = self.seq.data_model_interface
        self.assertEqual(self.uclip.num_keys, model.get_number_of_frames() + 1)
        self.assertEqual(self.uclip.num_keys, model.get_number_of_keys())
        check_sequence(self.uclip)

    def test_bones_parents_and_reference_pose(self):
        ref = unreal.AnimPoseExtensions.get_reference_pose(self.seq.get_skeleton())
        names = [str(n) for n in unreal.AnimPoseExtensions.get_bone_names(ref)]
        self.assertEqual(self.uclip.bone_names, names)
        joints = self.uclip.clip.joints
        self.assertEqual(joints[0].parent, -1)
        for i, j in enumerate(joints):
            self.assertLess(j.parent, i, "the reference skeleton lists parents first")
            path = [str(b) for b in unreal.AnimationLibrary.find_bone_path_to_root(self.seq, unreal.Name(j.name))]
            if j.parent >= 0:
                self.assertIn(joints[j.parent].name, path)

    def test_raw_sampling_matches_the_bone_tracks(self):
        model = self.seq.data_model_interface
        tracked = [str(n) for n in model.get_bone_track_names()]
        self.assertTrue(tracked)
        name = tracked[min(1, len(tracked) - 1)]
        j = self.uclip.bone_names.index(name)
        positions, rotations, _scales = unreal.AnimationLibrary.get_raw_track_data(self.seq, unreal.Name(name))
        if len(rotations) == self.uclip.num_keys:
            for k in (0, self.uclip.num_keys // 2, self.uclip.num_keys - 1):
                q = rotations[k]
                got = self.uclip.clip.frames[k].rotations[j]
                dot = abs(got[0] * q.x + got[1] * q.y + got[2] * q.z + got[3] * q.w)
                self.assertGreater(dot, 1 - 1e-5)

    def _spliced(self, frames):
        """The sampled tracks, with ``frames`` of every rotation negated (the same rotation):
        a write that must land and compare equal."""
        tracks = []
        c = self.uclip.clip
        for j, joint in enumerate(c.joints):
            rot = [tuple(-x for x in f.rotations[j]) if k in frames else tuple(f.rotations[j]) for k, f in enumerate(c.frames)]
            tracks.append(BoneTrack(joint.name, [tuple(f.positions[j]) for f in c.frames], rot, [tuple(s[j]) for s in self.uclip.scales],
                                    joint.name in self.uclip.tracked, True))
        return SplicedClip(tracks, sorted(frames), self.uclip.num_keys)

    def test_write_into_a_duplicate_and_verify(self):
        mid = self.uclip.num_keys // 2
        spliced = self._spliced({mid - 1, mid, mid + 1})
        before = adapter.read_clip(self.seq)
        report = adapter.write_tracks(self.seq, spliced, suffix=SUFFIX, transact=False)
        self.created.append(report["asset"])
        self.assertNotEqual(report["asset"], adapter._asset_path(self.seq))
        self.assertLess(report["writtenVsRawDeg"], 1e-2)
        self.assertLess(report["writtenVsRawCm"], 1e-3)
        self.assertLess(report["rawVsCompressedDeg"], 5.0)
        dup = adapter.load_sequence(report["asset"])
        self.assertEqual(dup.data_model_interface.get_number_of_keys(), self.uclip.num_keys)
        after = adapter.read_clip(self.seq)  # the source is untouched
        self.assertEqual([f.rotations for f in before.clip.frames], [f.rotations for f in after.clip.frames])

    def test_write_in_place_is_one_undoable_transaction(self):
        path = adapter.unique_duplicate_path(self.seq, SUFFIX)
        unreal.EditorAssetLibrary.duplicate_asset(adapter._asset_path(self.seq), path)
        self.created.append(path)
        copy = adapter.load_sequence(path)
        spliced = self._spliced({1})
        adapter.write_tracks(copy, spliced, in_place=True, transact=True)
        editor = unreal.get_editor_subsystem(unreal.UnrealEditorSubsystem)
        world = editor.get_editor_world() if editor is not None else None
        if world is None:
            self.skipTest("no editor world for TRANSACTION UNDO")
        unreal.SystemLibrary.execute_console_command(world, "TRANSACTION UNDO")
        # after one undo the keys are back (negated quaternions compare as the same rotation,
        # so compare the raw sign of one component at frame 1)
        name = self.uclip.bone_names[0]
        _p, rotations, _s = unreal.AnimationLibrary.get_raw_track_data(copy, unreal.Name(name))
        want = self.uclip.clip.frames[1].rotations[0]
        if len(rotations) > 1 and abs(want[3]) > 1e-3:
            self.assertEqual(rotations[1].w > 0, want[3] > 0, "TRANSACTION UNDO did not revert the bracket")

    def test_preview_stage_poses_and_shows_an_image(self):
        mesh = adapter.find_preview_mesh(self.seq)
        if mesh is None:
            self.skipTest("no skeletal mesh of this skeleton")
        stage = adapter.PreviewStage(self.seq, mesh, unreal.Vector(0, 0, 0), os.path.join(adapter.project_dir(), "Saved", "AnyMoLe", "Previews", "test"))
        try:
            self.assertIsNotNone(stage.poseable, "PoseableMeshComponent could not be added")
            pose = [(tuple(f), tuple(r), tuple(s)) for f, r, s in zip(self.uclip.clip.frames[0].positions, self.uclip.clip.frames[0].rotations, self.uclip.scales[0])]
            stage.pose(self.uclip.bone_names, pose)
            stage.status("AnyMoLe test")
            stage.image(_png(), "png", 0)
            self.assertIsNotNone(stage.texture, "import_buffer_as_texture2d gave no texture")
        finally:
            stage.destroy()
        self.assertIsNone(stage.actor)

    def test_menus_register_twice(self):
        adapter.register_menus()
        adapter.register_menus()
        self.assertEqual(len(adapter._ENTRIES), 4)

    def test_bake_against_a_server(self):
        if not os.environ.get("ANYMOLE_SERVER"):
            self.skipTest("set ANYMOLE_SERVER (and ANYMOLE_TOKEN) to run a bake against a server")
        import json
        import tempfile

        from anymole_unreal.bake import load_manifest, run_bake

        n = self.uclip.num_keys
        if n < 12:
            self.skipTest("sequence too short")
        doc = {"jobs": [{"name": "test", "sequence": adapter._asset_path(self.seq), "contextFirst": 0, "contextLast": n // 2 - 1,
                         "keyframes": [n - 1], "suffix": SUFFIX}]}
        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "m.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        report = run_bake(load_manifest(path), adapter.UnrealBakeEngine(), project_dir=adapter.project_dir())
        for job in report["jobs"]:
            if job.get("asset"):
                self.created.append(job["asset"])
        self.assertEqual(report["failed"], 0, report)


def _png():
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x80\x00" * 4 for _ in range(4))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
