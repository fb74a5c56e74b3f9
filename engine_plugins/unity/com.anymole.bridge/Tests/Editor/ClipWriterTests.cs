// EditMode tests (Unity Test Framework): the write-back path on clips and rigs built in code.
// Run: Unity -batchmode -projectPath P -runTests -testPlatform EditMode
//        -assemblyNames "AnyMoLe.Bridge.Editor.Tests" -testResults results.xml
using System.Collections.Generic;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Follow;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace AnyMoLe.Bridge.Editor.Tests
{
    public class ClipWriterTests
    {
        readonly List<Object> cleanup = new List<Object>();

        [TearDown]
        public void TearDown()
        {
            foreach (var o in cleanup)
                if (o != null) Object.DestroyImmediate(o);
            cleanup.Clear();
        }

        T Keep<T>(T o) where T : Object
        {
            cleanup.Add(o);
            return o;
        }

        static AnimationCurve Curve(AnimationClip clip, string path, string prop)
        {
            return AnimationUtility.GetEditorCurve(clip, EditorCurveBinding.FloatCurve(path, typeof(Transform), prop));
        }

        PreparedTransition Prepare(AnimationClip clip, GameObject rig, int start, int end)
        {
            return TransitionPipeline.Prepare(clip, rig, start, end, 10, false, null, 0, true);
        }

        [Test]
        public void SetEditorCurvesRoundTripKeepsBoundariesAndAddsOneKeyPerFrame()
        {
            var rig = Keep(EditorFixtures.GenericRig());
            var clip = Keep(EditorFixtures.GenericClip(false));
            using (var p = Prepare(clip, rig, 10, 20))
            {
                var report = TransitionPipeline.Apply(p, EditorFixtures.SlerpResult(p), clip, false);
                var w = Curve(clip, "Hips", "m_LocalRotation.w");
                var times = new List<float>();
                foreach (var k in w.keys) times.Add(Mathf.Round(k.time * 30f));
                CollectionAssert.AreEqual(new float[] { 0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 30 }, times);
                Assert.AreEqual(Quaternion.Euler(20, 10, 0).w, w.keys[1].value, 1e-6f, "authored key at the last context frame kept");
                Assert.Less(report.ResampleError.MaxDeg, 0.05f, report.Summary());
                Assert.Greater(report.KeysWritten, 0);
            }
        }

        [Test]
        public void EulerSpellingIsKept()
        {
            var rig = Keep(EditorFixtures.GenericRig());
            var clip = Keep(EditorFixtures.GenericClip(true));
            using (var p = Prepare(clip, rig, 10, 20))
            {
                var report = TransitionPipeline.Apply(p, EditorFixtures.SlerpResult(p), clip, false);
                foreach (var b in AnimationUtility.GetCurveBindings(clip))
                    Assert.IsFalse(b.propertyName.StartsWith("m_LocalRotation"), "no quaternion curves added to an Euler clip: " + b.path + " " + b.propertyName);
                var y = Curve(clip, "Hips", "localEulerAnglesRaw.y");
                for (int i = 1; i < y.length; i++)
                    Assert.Less(Mathf.Abs(y[i].value - y[i - 1].value), 90f, "unwrapped: no 360° jump at key " + i);
                Assert.Less(report.ResampleError.MaxDeg, 0.5f, report.Summary());
            }
        }

        [Test]
        public void UndoRestoresTheClip()
        {
            var rig = Keep(EditorFixtures.GenericRig());
            var clip = Keep(EditorFixtures.GenericClip(false));
            int before = Curve(clip, "Hips", "m_LocalRotation.x").length;
            using (var p = Prepare(clip, rig, 10, 20))
            {
                Undo.IncrementCurrentGroup();
                ClipWriter.Write(clip, p.Rig, AnyMoLe.Bridge.Core.Clip.ResultReader.Read(p.Plan, EditorFixtures.SlerpResult(p)), true, false);
                Assert.Greater(Curve(clip, "Hips", "m_LocalRotation.x").length, before);
                Undo.PerformUndo();
                Assert.AreEqual(before, Curve(clip, "Hips", "m_LocalRotation.x").length);
            }
        }

        [Test]
        public void BadInputNamesTheProblemAndChangesNothing()
        {
            var rig = Keep(EditorFixtures.GenericRig());
            var clip = Keep(EditorFixtures.GenericClip(false));
            int before = AnimationUtility.GetCurveBindings(clip).Length;
            var e = Assert.Throws<ContractException>(() => Prepare(clip, rig, 30, 40));
            StringAssert.Contains("past the clip's last frame", e.Message);
            e = Assert.Throws<ContractException>(() => Prepare(clip, rig, 20, 15));
            StringAssert.Contains("not after its start", e.Message);
            AnimationUtility.SetEditorCurve(clip, EditorCurveBinding.FloatCurve("Hips/Tail", typeof(Transform), "m_LocalPosition.x"), AnimationCurve.Constant(0, 1, 0));
            e = Assert.Throws<ContractException>(() => Prepare(clip, rig, 10, 20));
            StringAssert.Contains("Hips/Tail", e.Message);
            Assert.AreEqual(before + 1, AnimationUtility.GetCurveBindings(clip).Length);
        }

        [Test]
        public void HumanoidRoundTripOnABuiltAvatar()
        {
            var rig = Keep(EditorFixtures.HumanoidRig());
            var animator = rig.GetComponent<Animator>();
            Assert.IsTrue(animator.avatar.isValid && animator.avatar.isHuman, "AvatarBuilder built a valid humanoid");
            using (var handler = new HumanPoseHandler(animator.avatar, rig.transform))
            {
                var pose = new HumanPose();
                var spine = animator.GetBoneTransform(HumanBodyBones.Spine);
                spine.localRotation = Quaternion.Euler(10, 5, 0);
                var expected = spine.localRotation;
                handler.GetHumanPose(ref pose);
                spine.localRotation = Quaternion.identity;
                handler.SetHumanPose(ref pose);
                Assert.Less(Quaternion.Angle(expected, spine.localRotation), 3f, "muscle space is lossy but close");
            }
        }

        [Test]
        public void WindowTakesACannedEventStream()
        {
            var window = EditorWindow.GetWindow<TransitionWindow>();
            try
            {
                var follower = new JobFollower("job-1");
                var tex = new Texture2D(4, 4);
                var png = tex.EncodeToPNG();
                Object.DestroyImmediate(tex);
                var events = new[]
                {
                    "{\"jobId\":\"job-1\",\"seq\":\"1\",\"state\":{\"state\":\"JOB_STATE_RUNNING\"}}",
                    "{\"jobId\":\"job-1\",\"seq\":\"2\",\"stage\":{\"stage\":\"inbetween\"}}",
                    "{\"jobId\":\"job-1\",\"seq\":\"3\",\"progress\":{\"fraction\":0.5,\"message\":\"half\"}}",
                    "{\"jobId\":\"job-1\",\"seq\":\"4\",\"preview\":{\"format\":\"IMAGE_FORMAT_PNG\",\"image\":\"" + System.Convert.ToBase64String(png) + "\",\"width\":4,\"height\":4,\"frameIndex\":3}}",
                    "{\"jobId\":\"job-1\",\"seq\":\"5\",\"error\":{\"code\":1,\"message\":\"cancelled\"}}",
                };
                foreach (var json in events)
                    foreach (var u in follower.Feed(JobEventData.FromJson(json, -1)))
                        window.OnUpdate(u);
                Assert.IsTrue(follower.Done);
            }
            finally
            {
                window.Close();
            }
        }
    }
}
