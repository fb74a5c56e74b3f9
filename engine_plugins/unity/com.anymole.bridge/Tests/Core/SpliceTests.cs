using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Curves;
using AnyMoLe.Bridge.Core.Json;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    [TestFixture]
    public class SpliceTests
    {
        static TrackKey K(double frame, params float[] v)
        {
            return new TrackKey(frame, v, true);
        }

        static Func<int, float[]> Const(params float[] v)
        {
            return f => v;
        }

        static double[] Frames(List<TrackKey> keys)
        {
            var r = new double[keys.Count];
            for (int i = 0; i < r.Length; i++) r[i] = keys[i].Frame;
            return r;
        }

        [Test]
        public void ReplacesTheInsideAndKeepsTheBoundaries()
        {
            var authored = new List<TrackKey> { K(0, 1), K(5, 2), K(7, 3), K(8.5, 4), K(12, 5), K(15, 6) };
            var keys = TrackSplicer.Splice(authored, 5, 12, new[] { 12 }, f => new[] { (float)f * 10 }, false);
            CollectionAssert.AreEqual(new double[] { 0, 5, 6, 7, 8, 9, 10, 11, 12, 15 }, Frames(keys));
            Assert.AreEqual(2f, keys[1].Value[0], "authored key at a kept");
            Assert.AreEqual(70f, keys[3].Value[0], "authored key inside replaced");
            Assert.AreEqual(5f, keys[8].Value[0], "authored key at b kept");
            Assert.IsTrue(keys[8].Authored);
            Assert.IsFalse(keys[3].Authored);
        }

        [Test]
        public void InsertsMissingKnownKeysAndKeepsInteriorKeyframes()
        {
            var authored = new List<TrackKey> { K(0, 1), K(9, 9), K(14, 14) };
            var keys = TrackSplicer.Splice(authored, 4, 12, new[] { 9, 12 }, f => new[] { (float)f * 10 }, false);
            CollectionAssert.AreEqual(new double[] { 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14 }, Frames(keys));
            Assert.AreEqual(40f, keys[1].Value[0], "no key at a: the result's value");
            Assert.AreEqual(9f, keys[6].Value[0], "authored keyframe kept");
            Assert.AreEqual(120f, keys[9].Value[0], "no key at b: the result's value");
        }

        [Test]
        public void EmptyTrackGetsTheWholeRange()
        {
            var keys = TrackSplicer.Splice(new List<TrackKey>(), 2, 5, new[] { 5 }, Const(1f), false);
            CollectionAssert.AreEqual(new double[] { 2, 3, 4, 5 }, Frames(keys));
        }

        [Test]
        public void DoesNotModifyTheInput()
        {
            var authored = new List<TrackKey> { K(0, 0, 0, 0, 1), K(10, 0, 0, 0, -1) };
            TrackSplicer.Splice(authored, 0, 10, new[] { 10 }, Const(0, 0, 0, 1), true);
            Assert.AreEqual(-1f, authored[1].Value[3]);
        }

        [Test]
        public void HemisphereFollowsTheAuthoredKeyAtA()
        {
            // a = 2 authored (w > 0); the result comes on the other hemisphere; b authored on the other too.
            var authored = new List<TrackKey> { K(0, 0, 0, 0, 1), K(2, 0, 0, 0.1f, 0.995f), K(6, 0, 0, -0.2f, -0.98f), K(9, 0, 0, 0.3f, 0.95f) };
            var keys = TrackSplicer.Splice(authored, 2, 6, new[] { 6 }, f => new[] { 0f, 0f, -0.15f, -0.99f }, true);
            CollectionAssert.AreEqual(new double[] { 0, 2, 3, 4, 5, 6, 9 }, Frames(keys));
            Assert.AreEqual(0.995f, keys[1].Value[3], "authored at a never changes");
            for (int i = 2; i <= 4; i++) Assert.AreEqual(0.99f, keys[i].Value[3], "generated keys flipped next to a");
            Assert.AreEqual(0.98f, keys[5].Value[3], "authored keyframe negated: same rotation");
            Assert.AreEqual(0.2f, keys[5].Value[2]);
            Assert.AreEqual(0.95f, keys[6].Value[3], "authored after b: already continuous");
        }

        [Test]
        public void KeysBeforeAAreNeverChanged()
        {
            var authored = new List<TrackKey> { K(0, 0, 0, 0, 1), K(1, 0, 0, 0, -1) };
            var keys = TrackSplicer.Splice(authored, 3, 5, new[] { 5 }, Const(0, 0, 0, 1), true);
            Assert.AreEqual(-1f, keys[1].Value[3], "frame 1 < a stays");
            // the inserted key at a follows the authored key before it
            Assert.AreEqual(3.0, keys[2].Frame);
            Assert.AreEqual(-1f, keys[2].Value[3]);
            Assert.AreEqual(-1f, keys[4].Value[3]);
        }

        [Test]
        public void HemisphereWalksAuthoredKeysAfterB()
        {
            var authored = new List<TrackKey> { K(0, 0, 0, 0, 1), K(4, 0, 0, 0, -1), K(6, 0, 0, 0, 1), K(8, 0, 0, 0, -1) };
            var keys = TrackSplicer.Splice(authored, 0, 4, new[] { 4 }, Const(0, 0, 0, 1), true);
            foreach (var k in keys) Assert.AreEqual(1f, k.Value[3], "key at " + k.Frame);
        }

        [Test]
        public void RotationSpliceAgainstAMappedResult()
        {
            var clip = Fixtures.Chain(40, true);
            var plan = RequestBuilder.Build(clip, new Selection { ContextFirst = 0, ContextLast = 9, Keyframes = new[] { 20, 25 } }, null);
            var result = FakeResult(plan, clip, true);
            var joints = SampledClipSplice.Splice(clip, plan, result);
            Assert.AreEqual("Head", joints[0].Name);
            Assert.IsNull(joints[0].Translation);
            int hips = 3;
            Assert.IsNotNull(joints[hips].Translation);
            Assert.AreEqual(40, joints[hips].Rotation.Count, "one key per frame, as sampled");
            // keyframes and boundaries exact, the rest what the result said
            foreach (var k in joints[hips].Rotation)
            {
                int f = (int)k.Frame;
                var q = k.AsQuat();
                if (f <= 9 || f == 20 || f >= 25) Assert.AreEqual(clip.Frames[f].Rotations[hips], q, "frame " + f);
                else Assert.AreEqual(1f, Math.Abs(q.W), 1e-6, "generated identity at " + f);
                Assert.AreEqual(f <= 9 || f == 20 || f >= 25, k.Authored);
            }
            var json = SampledClipSplice.ToJson(joints);
            Assert.AreEqual(4, json.Count);
            Assert.IsTrue(json.Get("Hips").Has("translation"));
            Assert.IsFalse(json.Get("Head").Has("translation"));
        }

        /// <summary>A result with identity rotations and zero translations between the known frames
        /// (negated when <paramref name="flip"/>) and exact known frames.</summary>
        internal static TransitionResultData FakeResult(TransitionPlan plan, ClipSample clip, bool flip)
        {
            int first = plan.ContextCount - 1, last = plan.KeyframeIndices[plan.KeyframeIndices.Length - 1];
            int n = last - first + 1, J = plan.JointCount, M = plan.TranslatedJoints.Length;
            var rot = new float[n * J * 4];
            var tr = new float[n * M * 3];
            for (int i = 0; i < n; i++)
            {
                int clipFrame = plan.ClipFrame(first + i);
                bool known = i == 0 || Array.IndexOf(plan.Selection.Keyframes, clipFrame) >= 0;
                for (int j = 0; j < J; j++)
                {
                    var q = known ? clip.Frames[clipFrame].Rotations[plan.Order[j]] : (flip ? new Quat(0, 0, 0, -1) : Quat.Identity);
                    rot[(i * J + j) * 4] = q.X; rot[(i * J + j) * 4 + 1] = q.Y; rot[(i * J + j) * 4 + 2] = q.Z; rot[(i * J + j) * 4 + 3] = q.W;
                }
                for (int m = 0; m < M; m++)
                {
                    var p = known ? clip.Frames[clipFrame].Positions[plan.Order[plan.TranslatedJoints[m]]] : Vec3.Zero;
                    tr[(i * M + m) * 3] = p.X; tr[(i * M + m) * 3 + 1] = p.Y; tr[(i * M + m) * 3 + 2] = p.Z;
                }
            }
            return new TransitionResultData
            {
                Fps = plan.Fps,
                FirstFrame = first,
                Method = "fake",
                Motion = new PackedMotion { FrameCount = n, JointCount = J, Rotations = rot, TranslatedJoints = plan.TranslatedJoints, Translations = tr },
            };
        }
    }

    [TestFixture]
    public class ResultReaderTests
    {
        static TransitionPlan Plan(out ClipSample clip)
        {
            clip = Fixtures.Chain(40, true);
            return RequestBuilder.Build(clip, new Selection { ContextFirst = 2, ContextLast = 11, Keyframes = new[] { 20, 25 } }, null);
        }

        [Test]
        public void MapsFramesAndJointsBackToTheClip()
        {
            ClipSample clip;
            var plan = Plan(out clip);
            var result = SpliceTests.FakeResult(plan, clip, false);
            var tracks = ResultReader.Read(plan, result);
            Assert.AreEqual(11, tracks.FirstFrame);
            Assert.AreEqual(25, tracks.LastFrame);
            Assert.AreEqual(15, tracks.FrameCount);
            for (int j = 0; j < 4; j++)
            {
                Assert.AreEqual(clip.Frames[20].Rotations[j], tracks.Rotation(j, 20));
                Assert.AreEqual(clip.Joints[j].Name, tracks.JointNames[j]);
            }
            Assert.IsTrue(tracks.HasPositions(3), "Hips");
            Assert.IsFalse(tracks.HasPositions(0), "Head");
            Assert.AreEqual(clip.Frames[25].Positions[3], tracks.Position(3, 25));
            float angle, pos;
            ResultReader.KnownFrameError(clip, tracks, out angle, out pos);
            Assert.AreEqual(0f, angle);
            Assert.AreEqual(0f, pos);
        }

        [Test]
        public void ReadsTheResultJson()
        {
            ClipSample clip;
            var plan = Plan(out clip);
            var result = SpliceTests.FakeResult(plan, clip, false);
            var json = JsonValue.NewObject();
            var motion = JsonValue.NewObject();
            motion.Set("rotations", new FloatTensor(new[] { result.Motion.FrameCount, 4, 4 }, result.Motion.Rotations).ToJson());
            motion.Set("translatedJoints", ProtoJson.IntArray(result.Motion.TranslatedJoints));
            motion.Set("translations", new FloatTensor(new[] { result.Motion.FrameCount, result.Motion.TranslatedJoints.Length, 3 }, result.Motion.Translations).ToJson());
            json.Set("motion", motion).Set("fps", JsonValue.Double(30)).Set("firstFrame", JsonValue.Int(9)).Set("method", JsonValue.Str("spline"));
            var parsed = TransitionResultData.FromJson(JsonReader.Parse(json.ToString()), 4, "result");
            var tracks = ResultReader.Read(plan, parsed);
            Assert.AreEqual(clip.Frames[25].Rotations[1], tracks.Rotation(1, 25));
        }

        [Test]
        public void RejectsResultsThatDoNotFit()
        {
            ClipSample clip;
            var plan = Plan(out clip);
            var r = SpliceTests.FakeResult(plan, clip, false);
            r.FirstFrame = 10;
            Assert.AreEqual("result.firstFrame", Assert.Throws<ContractException>(() => ResultReader.Read(plan, r)).Field);
            r = SpliceTests.FakeResult(plan, clip, false);
            r.Fps = 60;
            Assert.AreEqual("result.fps", Assert.Throws<ContractException>(() => ResultReader.Read(plan, r)).Field);
            r = SpliceTests.FakeResult(plan, clip, false);
            r.Motion.TranslatedJoints = new[] { 0 };
            Assert.AreEqual("result.motion.translatedJoints", Assert.Throws<ContractException>(() => ResultReader.Read(plan, r)).Field);
            r = SpliceTests.FakeResult(plan, clip, false);
            r.Motion.JointCount = 3;
            Assert.AreEqual("result.motion.rotations", Assert.Throws<ContractException>(() => ResultReader.Read(plan, r)).Field);
        }
    }
}
