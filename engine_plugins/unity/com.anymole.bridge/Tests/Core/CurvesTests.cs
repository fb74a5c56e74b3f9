using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Curves;
using AnyMoLe.Bridge.Core.Humanoid;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    [TestFixture]
    public class EulerTests
    {
        [TestCase(10f, 20f, 30f)]
        [TestCase(-80f, 170f, -5f)]
        [TestCase(89.9f, 45f, 45f)]
        [TestCase(0f, 0f, 0f)]
        [TestCase(45f, -135f, 179f)]
        public void ZxyRoundTrip(float x, float y, float z)
        {
            var q = Quat.FromEulerZxyDeg(new Vec3(x, y, z));
            var back = Quat.FromEulerZxyDeg(q.ToEulerZxyDeg());
            Assert.Less(Quat.AngleDeg(q, back), 0.01f);
        }

        [Test]
        public void ZxyOrderIsUnitys()
        {
            // Quaternion.Euler(90, 0, 0) * Vector3.forward = down; Euler(0, 0, 90) then X: rotate Z first.
            var q = Quat.FromEulerZxyDeg(new Vec3(30f, 40f, 50f));
            var expected = Fixtures.AxisAngle(0, 1, 0, 40) * Fixtures.AxisAngle(1, 0, 0, 30) * Fixtures.AxisAngle(0, 0, 1, 50);
            Assert.Less(Quat.AngleDeg(q, expected), 1e-3f);
        }

        [Test]
        public void EquivalentTripleIsTheSameRotation()
        {
            var e = new Vec3(25f, 60f, -40f);
            var alt = new Vec3(180f - e.X, e.Y + 180f, e.Z + 180f);
            Assert.Less(Quat.AngleDeg(Quat.FromEulerZxyDeg(e), Quat.FromEulerZxyDeg(alt)), 1e-3f);
        }

        [Test]
        public void ClosestUnwrapsAgainstThePreviousKey()
        {
            Assert.AreEqual(361f, EulerUnwrap.NearAngle(350f, 1f), 1e-4);
            Assert.AreEqual(-179f, EulerUnwrap.NearAngle(-170f, 181f), 1e-4);
            var prev = new Vec3(10f, 350f, -170f);
            var next = EulerUnwrap.Closest(prev, new Vec3(12f, 5f, 185f));
            Assert.AreEqual(12f, next.X, 1e-4);
            Assert.AreEqual(365f, next.Y, 1e-4);
            Assert.AreEqual(-175f, next.Z, 1e-4);
            // the flipped triple when it is nearer
            var flipped = EulerUnwrap.Closest(new Vec3(170f, 0f, 0f), new Vec3(10f, 180f, 180f));
            Assert.AreEqual(170f, flipped.X, 1e-3);
            Assert.AreEqual(0f, flipped.Y, 1e-3);
            Assert.AreEqual(0f, flipped.Z, 1e-3);
        }

        [Test]
        public void EulerSpliceStaysContinuousAndExact()
        {
            var clip = Fixtures.Chain(40, false);
            var plan = RequestBuilder.Build(clip, new Selection { ContextFirst = 0, ContextLast = 9, Keyframes = new[] { 25 } }, null);
            // the result: joint 1 spins past 180 degrees about Y
            var result = SpliceTests.FakeResult(plan, clip, false);
            for (int i = 1; i < result.Motion.FrameCount - 1; i++)
            {
                var q = Fixtures.AxisAngle(0, 1, 0, 150 + 4 * i);
                int o = (i * 4 + 1) * 4;
                result.Motion.Rotations[o] = q.X; result.Motion.Rotations[o + 1] = q.Y; result.Motion.Rotations[o + 2] = q.Z; result.Motion.Rotations[o + 3] = q.W;
            }
            var tracks = ResultReader.Read(plan, result);
            var authored = new List<TrackKey> { TrackKey.Of(0, new Vec3(0f, 140f, 0f), true), TrackKey.Of(9, new Vec3(0f, 146f, 0f), true), TrackKey.Of(25, new Vec3(0f, 214f, 0f), true) };
            var keys = EulerUnwrap.SpliceEuler(authored, tracks, 1, q => q.ToEulerZxyDeg());
            Assert.AreEqual(146f, keys[1].Value[1], "authored key at a kept");
            Assert.AreEqual(214f, keys[keys.Count - 1].Value[1], "authored target kept");
            for (int i = 2; i < keys.Count - 1; i++)
            {
                Assert.Less(Math.Abs(keys[i].Value[1] - keys[i - 1].Value[1]), 10f, "no 360° jump at frame " + keys[i].Frame);
                Assert.AreEqual(150f + 4 * (keys[i].Frame - 9), keys[i].Value[1], 1e-3);
            }
        }
    }

    [TestFixture]
    public class TangentTests
    {
        static List<TrackKey> Keys(params float[] values)
        {
            var keys = new List<TrackKey>();
            for (int i = 0; i < values.Length; i++) keys.Add(new TrackKey(i, new[] { values[i] }, false));
            return keys;
        }

        [Test]
        public void CentralDifferenceInUnitsPerSecond()
        {
            var keys = Keys(0f, 1f, 2f, 3f);
            Assert.AreEqual(30f, Tangents.Slope(keys, 1, 0, 30.0), 1e-4);
            Assert.AreEqual(30f, Tangents.Slope(keys, 0, 0, 30.0), 1e-4);
            Assert.AreEqual(30f, Tangents.Slope(keys, 3, 0, 30.0), 1e-4);
        }

        [Test]
        public void ExtremaAreFlatAndSlopesClamped()
        {
            var keys = Keys(0f, 1f, 0f);
            Assert.AreEqual(0f, Tangents.Slope(keys, 1, 0, 30.0));
            var step = Keys(0f, 0.01f, 10f);
            // the central slope (150/s) would overshoot the small left segment; clamped to 3 * 0.01 * 30
            Assert.AreEqual(0.9f, Tangents.Slope(step, 1, 0, 30.0), 1e-4);
        }

        [Test]
        public void OnlyTheSplicedRangeChanges()
        {
            var keys = Keys(0f, 1f, 2f, 3f, 4f, 5f, 6f);
            var t = Tangents.ForRange(keys, 0, 30.0, 2, 5);
            Assert.IsFalse(t[1].SetIn || t[1].SetOut);
            Assert.IsFalse(t[2].SetIn);
            Assert.IsTrue(t[2].SetOut);
            Assert.IsTrue(t[3].SetIn && t[3].SetOut);
            Assert.IsTrue(t[5].SetIn);
            Assert.IsFalse(t[5].SetOut);
            Assert.IsFalse(t[6].SetIn || t[6].SetOut);
        }

        [Test]
        public void AngularErrorReport()
        {
            var a = new[] { new[] { Quat.Identity, Quat.Identity }, null };
            var b = new[] { new[] { Quat.Identity, Fixtures.AxisAngle(0, 1, 0, 3) }, new[] { Quat.Identity } };
            var r = Curves.AngularErrorReport.Compute(a, b, new[] { "Hips", "Spine" }, 10);
            Assert.AreEqual(3f, r.MaxDeg, 1e-3);
            Assert.AreEqual("Hips", r.WorstJointName);
            Assert.AreEqual(11, r.WorstFrame);
            Assert.AreEqual(2, r.Samples);
            Assert.IsTrue(r.IsLarge);
            StringAssert.Contains("worst: Hips at frame 11", r.Summary());
            Assert.AreEqual(0f, Quat.AngleDeg(Quat.Identity, new Quat(0, 0, 0, -1)), "sign-insensitive");
        }
    }

    [TestFixture]
    public class CurveNameTests
    {
        [Test]
        public void DetectsTheRotationSpellingOfAPath()
        {
            Assert.AreEqual(RotationSpelling.Quaternion, TransformCurveNames.SpellingOfPath(new[] { "m_LocalPosition.x", "m_LocalRotation.w" }));
            Assert.AreEqual(RotationSpelling.EulerRaw, TransformCurveNames.SpellingOfPath(new[] { "localEulerAnglesRaw.y" }));
            Assert.AreEqual(RotationSpelling.EulerBaked, TransformCurveNames.SpellingOfPath(new[] { "localEulerAnglesBaked.z" }));
            Assert.AreEqual(RotationSpelling.Euler, TransformCurveNames.SpellingOfPath(new[] { "localEulerAngles.x" }));
            Assert.AreEqual(RotationSpelling.None, TransformCurveNames.SpellingOfPath(new[] { "m_LocalScale.x", "m_IsActive" }));
            CollectionAssert.AreEqual(new[] { "localEulerAnglesRaw.x", "localEulerAnglesRaw.y", "localEulerAnglesRaw.z" }, TransformCurveNames.RotationProperties(RotationSpelling.EulerRaw));
            CollectionAssert.AreEqual(new[] { "m_LocalRotation.x", "m_LocalRotation.y", "m_LocalRotation.z", "m_LocalRotation.w" }, TransformCurveNames.RotationProperties(RotationSpelling.Quaternion));
        }

        [Test]
        public void NewPathsFollowTheClipsMajority()
        {
            Assert.AreEqual(RotationSpelling.Quaternion, TransformCurveNames.DefaultForNewPaths(new RotationSpelling[0]));
            Assert.AreEqual(RotationSpelling.EulerRaw, TransformCurveNames.DefaultForNewPaths(new[] { RotationSpelling.EulerRaw, RotationSpelling.EulerRaw, RotationSpelling.Quaternion, RotationSpelling.None }));
        }

        [TestCase("Left Thumb 1 Stretched", "LeftHand.Thumb.1 Stretched")]
        [TestCase("Right Little 3 Stretched", "RightHand.Little.3 Stretched")]
        [TestCase("Left Index Spread", "LeftHand.Index.Spread")]
        [TestCase("Spine Front-Back", "Spine Front-Back")]
        [TestCase("Left Arm Down-Up", "Left Arm Down-Up")]
        public void MuscleCurveNames(string muscle, string curve)
        {
            Assert.AreEqual(curve, MuscleNames.CurveName(muscle));
            Assert.AreEqual(muscle, MuscleNames.MuscleName(curve));
        }

        [Test]
        public void HumanoidCurves()
        {
            var muscles = new List<string> { "Spine Front-Back", "Left Thumb 1 Stretched" };
            Assert.IsTrue(MuscleNames.IsHumanoidCurve("RootQ.w", muscles));
            Assert.IsTrue(MuscleNames.IsHumanoidCurve("LeftFootT.x", muscles));
            Assert.IsTrue(MuscleNames.IsHumanoidCurve("LeftHand.Thumb.1 Stretched", muscles));
            Assert.IsFalse(MuscleNames.IsHumanoidCurve("m_Enabled", muscles));
        }
    }
}
