using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    [TestFixture]
    public class RequestBuilderTests
    {
        static Selection Sel(int first, int last, params int[] keys)
        {
            return new Selection { ContextFirst = first, ContextLast = last, Keyframes = keys };
        }

        static JsonValue Options()
        {
            return JsonReader.Parse("{\"method\": \"spline\", \"preview\": {\"width\": 64, \"height\": 64, \"maxFrames\": 2, \"format\": \"IMAGE_FORMAT_PNG\"}}");
        }

        [Test]
        public void BuildsTheTimelineAndSkeleton()
        {
            var clip = Fixtures.Chain(40, false);
            var plan = RequestBuilder.Build(clip, Sel(5, 14, 25, 30), Options());
            var input = plan.Input;
            var sk = input.Get("skeleton");
            Assert.AreEqual("[\"Hips\",\"Spine\",\"Head\",\"Tail\"]", sk.Get("jointNames").ToString());
            Assert.AreEqual("[-1,0,1,0]", sk.Get("parents").ToString());
            Assert.AreEqual("[4,3]", sk.Get("restOffsets").Get("shape").ToString());
            Assert.AreEqual("[4,4]", sk.Get("restRotations").Get("shape").ToString());
            Assert.IsFalse(sk.Has("restScales"), "unit scales are left out");
            Assert.IsFalse(sk.Has("mesh"));
            Assert.AreEqual(30.0, input.Get("fps").AsDouble());
            Assert.AreEqual("[20,25]", input.Get("keyframeIndices").ToString());
            Assert.AreEqual("[10,4,4]", input.Get("context").Get("rotations").Get("shape").ToString());
            Assert.AreEqual("[2,4,4]", input.Get("keyframes").Get("rotations").Get("shape").ToString());
            Assert.AreEqual(9, input.Get("output").Get("range").Get("first").AsInt());
            Assert.AreEqual(25, input.Get("output").Get("range").Get("last").AsInt());
            Assert.IsFalse(input.Get("output").Has("fps"));
            Assert.AreEqual("spline", input.Get("options").Get("method").AsString());
            var conv = input.Get("convention");
            Assert.AreEqual("HANDEDNESS_LEFT", conv.Get("handedness").AsString());
            Assert.AreEqual("AXIS_POS_Y", conv.Get("up").AsString());
            Assert.AreEqual("AXIS_POS_Z", conv.Get("forward").AsString());
            Assert.AreEqual(1.0, conv.Get("unitM").AsDouble());
        }

        [Test]
        public void PacksMotionRowMajor()
        {
            var clip = Fixtures.Chain(40, false);
            var plan = RequestBuilder.Build(clip, Sel(5, 14, 25), null);
            var data = plan.Input.Get("context").Get("rotations").Get("data");
            // frame 2 of the context = clip frame 7, joint 3, component w
            int idx = (2 * 4 + 3) * 4 + 3;
            Assert.AreEqual(clip.Frames[7].Rotations[3].W, data[idx].AsFloat());
            var tr = plan.Input.Get("keyframes").Get("translations");
            Assert.AreEqual(clip.Frames[25].Positions[0].Z, tr.Get("data")[2].AsFloat());
            Assert.IsFalse(plan.Input.Has("options"), "no options: the field is absent");
        }

        [Test]
        public void TranslatedJointsAreRootsAndMovers()
        {
            var clip = Fixtures.Chain(40, false);
            // Spine slides only in frames 10..20.
            var moving = RequestBuilder.Build(clip, Sel(5, 14, 25), null);
            CollectionAssert.AreEqual(new[] { 0, 1 }, moving.TranslatedJoints);
            Assert.AreEqual("[0,1]", moving.Input.Get("context").Get("translatedJoints").ToString());
            var still = RequestBuilder.Build(clip, Sel(25, 30, 35), null);
            CollectionAssert.AreEqual(new[] { 0 }, still.TranslatedJoints);
            // A keyframe alone can make a joint translate.
            var byKey = RequestBuilder.Build(clip, Sel(0, 5, 15), null);
            CollectionAssert.AreEqual(new[] { 0, 1 }, byKey.TranslatedJoints);
        }

        [Test]
        public void TranslationThresholdIsStrict()
        {
            var clip = Fixtures.Chain(12, false);
            var p = clip.Joints[2].RestPosition;
            clip.Frames[3].Positions[2] = new Vec3(p.X + 0.5e-5f, p.Y, p.Z);
            Assert.AreEqual(1, RequestBuilder.Build(clip, Sel(0, 5, 9), null).TranslatedJoints.Length);
            clip.Frames[3].Positions[2] = new Vec3(p.X + 2e-5f, p.Y, p.Z);
            CollectionAssert.AreEqual(new[] { 0, 2 }, RequestBuilder.Build(clip, Sel(0, 5, 9), null).TranslatedJoints);
        }

        [Test]
        public void NoTranslatedJointsGiveAnEmptyTrack()
        {
            var clip = Fixtures.Chain(12, false);
            clip.Joints[3].Parent = 0;
            clip.Joints[0].Parent = -1;
            foreach (var f in clip.Frames)
                for (int j = 0; j < 4; j++) f.Positions[j] = clip.Joints[j].RestPosition;
            var plan = RequestBuilder.Build(clip, Sel(0, 5, 10), null);
            // the root always translates
            CollectionAssert.AreEqual(new[] { 0 }, plan.TranslatedJoints);
        }

        [Test]
        public void SortsUnsortedHierarchiesDepthFirst()
        {
            var clip = Fixtures.Chain(30, true); // clip order: Head, Tail, Spine, Hips
            var plan = RequestBuilder.Build(clip, Sel(0, 9, 20), null);
            // pre-order from the root, Hips' children in clip order: Tail (1) before Spine (2)
            CollectionAssert.AreEqual(new[] { "Hips", "Tail", "Spine", "Head" }, plan.JointNames);
            Assert.AreEqual("[-1,0,0,2]", plan.Input.Get("skeleton").Get("parents").ToString());
            CollectionAssert.AreEqual(new[] { 3, 1, 2, 0 }, plan.Order);
            CollectionAssert.AreEqual(new[] { 0, 2 }, plan.TranslatedJoints, "Hips and Spine, in the new order");
            var rot = plan.Input.Get("context").Get("rotations").Get("data");
            Assert.AreEqual(clip.Frames[4].Rotations[0].Y, rot[(4 * 4 + 3) * 4 + 1].AsFloat(), "Head is request joint 3");
            var offsets = plan.Input.Get("skeleton").Get("restOffsets").Get("data");
            Assert.AreEqual(-0.2f, offsets[1 * 3 + 2].AsFloat(), "Tail's rest offset at request joint 1");
        }

        [Test]
        public void KeepsAnAlreadySortedOrderEvenIfNotDepthFirst()
        {
            var clip = new ClipSample();
            clip.Joints.Add(new ClipJoint { Name = "r", Parent = -1 });
            clip.Joints.Add(new ClipJoint { Name = "a", Parent = 0 });
            clip.Joints.Add(new ClipJoint { Name = "b", Parent = 0 });
            clip.Joints.Add(new ClipJoint { Name = "a1", Parent = 1 });
            CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, RequestBuilder.SortedOrder(clip));
            clip.Joints[1].Parent = 3;
            clip.Joints[3].Parent = 0; // a1 under r, a under a1: unsorted
            CollectionAssert.AreEqual(new[] { 0, 2, 3, 1 }, RequestBuilder.SortedOrder(clip));
        }

        [Test]
        public void RestScalesOnlyWhenNotUnit()
        {
            var clip = Fixtures.Chain(20, false);
            clip.Joints[1].RestScale = new Vec3(1f, 1f + 5e-7f, 1f);
            Assert.IsFalse(RequestBuilder.Build(clip, Sel(0, 5, 10), null).Input.Get("skeleton").Has("restScales"));
            clip.Joints[1].RestScale = new Vec3(100f, 100f, 100f);
            var sk = RequestBuilder.Build(clip, Sel(0, 5, 10), null).Input.Get("skeleton");
            Assert.AreEqual("[4,3]", sk.Get("restScales").Get("shape").ToString());
            Assert.AreEqual(100f, sk.Get("restScales").Get("data")[3].AsFloat());
        }

        [TestCase("unreal", "AXIS_POS_Z", "AXIS_POS_X", 0.01)]
        [TestCase("unity", "AXIS_POS_Y", "AXIS_POS_Z", 1.0)]
        public void DeclaresTheConvention(string convention, string up, string forward, double unitM)
        {
            var clip = Fixtures.Chain(20, false);
            clip.Convention = convention;
            var conv = RequestBuilder.Build(clip, Sel(0, 5, 10), null).Input.Get("convention");
            Assert.AreEqual(up, conv.Get("up").AsString());
            Assert.AreEqual(forward, conv.Get("forward").AsString());
            Assert.AreEqual(unitM, conv.Get("unitM").AsDouble());
        }

        [Test]
        public void GltfIsCanonicalWithoutConvention()
        {
            var clip = Fixtures.Chain(20, false);
            clip.Convention = "gltf";
            Assert.IsFalse(RequestBuilder.Build(clip, Sel(0, 5, 10), null).Input.Has("convention"));
        }

        [Test]
        public void OptionsAreCopiedNotShared()
        {
            var options = Options();
            var plan = RequestBuilder.Build(Fixtures.Chain(20, false), Sel(0, 5, 10), options);
            options.Set("method", JsonValue.Str("anymole"));
            Assert.AreEqual("spline", plan.Input.Get("options").Get("method").AsString());
        }

        [Test]
        public void ContextOfOneFrameOmitsTheZeroRangeStart()
        {
            var plan = RequestBuilder.Build(Fixtures.Chain(20, false), Sel(3, 3, 10), null);
            Assert.AreEqual("{\"last\":7}", plan.Input.Get("output").Get("range").ToString());
        }

        static void ExpectError(ClipSample clip, Selection sel, string field)
        {
            var e = Assert.Throws<ContractException>(() => RequestBuilder.Build(clip, sel, null));
            Assert.AreEqual(field, e.Field, e.Message);
        }

        [Test]
        public void RejectsBadSelections()
        {
            var clip = Fixtures.Chain(20, false);
            ExpectError(clip, Sel(0, 10, 10), "selection.keyframes[0]");   // a key inside the context
            ExpectError(clip, Sel(0, 10, 5), "selection.keyframes[0]");
            ExpectError(clip, Sel(0, 10), "selection.keyframes");          // nothing after the range
            ExpectError(clip, Sel(0, 5, 12, 12), "selection.keyframes[1]");
            ExpectError(clip, Sel(6, 5, 12), "selection.contextLast");
            ExpectError(clip, Sel(0, 5, 25), "clip.frames[25]");           // past the clip
            StringAssert.Contains("inside the context", Assert.Throws<ContractException>(() => RequestBuilder.Build(clip, Sel(0, 10, 8), null)).Message);
        }

        [Test]
        public void RejectsBadSkeletons()
        {
            var clip = Fixtures.Chain(20, false);
            clip.Joints[2].Name = "Spine";
            ExpectError(clip, Sel(0, 5, 10), "clip.joints[2].name");
            clip = Fixtures.Chain(20, false);
            clip.Joints[0].Parent = 2;
            ExpectError(clip, Sel(0, 5, 10), "clip.joints");
            clip = Fixtures.Chain(20, false);
            clip.Joints[1].Parent = 9;
            ExpectError(clip, Sel(0, 5, 10), "clip.joints[1].parent");
            clip = Fixtures.Chain(20, false);
            clip.Frames[4].Rotations[1] = new Quat(0, 0, 0, 0);
            ExpectError(clip, Sel(0, 5, 10), "clip.frames[4].rotations[1]");
            clip = Fixtures.Chain(20, false);
            clip.Fps = 0;
            ExpectError(clip, Sel(0, 5, 10), "clip.fps");
            clip = Fixtures.Chain(20, false);
            clip.Convention = "maya";
            ExpectError(clip, Sel(0, 5, 10), "clip.convention");
        }

        [Test]
        public void UnneededFramesMayBeUnsampled()
        {
            var clip = Fixtures.Chain(30, false);
            for (int f = 11; f < 25; f++) clip.Frames[f] = null;
            Assert.DoesNotThrow(() => RequestBuilder.Build(clip, Sel(0, 10, 25), null));
            clip.Frames[25] = null;
            ExpectError(clip, Sel(0, 10, 25), "clip.frames[25]");
        }

        [Test]
        public void ClipJsonRoundTripsThroughTheVectorFormat()
        {
            var clip = ClipSample.FromJson(JsonReader.Parse(
                "{\"fps\": 24, \"convention\": \"gltf\", \"joints\": [{\"name\": \"a\", \"parent\": -1, \"restPosition\": [0, 1, 0], \"restRotation\": [0, 0, 0, 1]}, {\"name\": \"b\", \"parent\": 0, \"restPosition\": [0, 0.5, 0]}]," +
                " \"frames\": [{\"positions\": [[0, 1, 0], [0, 0.5, 0]], \"rotations\": [[0, 0, 0, 1], [0, 0, 0, 1]]}, {\"positions\": [[0, 1, 1], [0, 0.5, 0]], \"rotations\": [[0, 0, 0, 1], [0, 0, 0, 1]]}," +
                " {\"positions\": [[0, 1, 2], [0, 0.5, 0]], \"rotations\": [[0, 0, 0, 1], [0, 0, 0, 1]]}]}"));
            Assert.AreEqual(24.0, clip.Fps);
            Assert.AreEqual(Vec3.One, clip.Joints[1].RestScale);
            Assert.AreEqual(Quat.Identity, clip.Joints[1].RestRotation);
            var plan = RequestBuilder.Build(clip, Sel(0, 0, 2), null);
            Assert.AreEqual("[2]", plan.Input.Get("keyframeIndices").ToString());
            Assert.IsFalse(plan.Input.Get("output").Get("range").Has("first"));
        }
    }

    [TestFixture]
    public class SelectionPlannerTests
    {
        static readonly List<double> Keys = new List<double> { 0, 10, 40, 70, 90 };

        [Test]
        public void ContextEndsAtTheStart()
        {
            var s = SelectionPlanner.ForGap(40, 70, 61, 100, Keys, false, 0);
            Assert.AreEqual(0, s.ContextFirst);
            Assert.AreEqual(40, s.ContextLast);
            CollectionAssert.AreEqual(new[] { 70 }, s.Keyframes);
            s = SelectionPlanner.ForGap(70, 90, 30, 100, Keys, false, 0);
            Assert.AreEqual(41, s.ContextFirst);
        }

        [Test]
        public void InteriorKeysCanBeTargets()
        {
            var keys = new List<double> { 0, 40, 50, 55.5, 70 };
            var s = SelectionPlanner.ForGap(40, 70, 61, 100, keys, true, 0);
            CollectionAssert.AreEqual(new[] { 50, 70 }, s.Keyframes);
        }

        [Test]
        public void ServerLimitShortensTheContext()
        {
            var s = SelectionPlanner.ForGap(40, 70, 61, 100, Keys, false, 50);
            Assert.AreEqual(21, s.ContextFirst);
            var e = Assert.Throws<ContractException>(() => SelectionPlanner.ForGap(40, 90, 61, 100, Keys, false, 40));
            StringAssert.Contains("longer than the server allows", e.Message);
        }

        [TestCase(40, 40, "not after its start")]
        [TestCase(40, 30, "not after its start")]
        [TestCase(40, 41, "adjacent")]
        [TestCase(40, 150, "past the clip's last frame")]
        [TestCase(40, 95, "no keys at or after frame 95")]
        [TestCase(40, 80, "no key at frame 80")]
        public void NamesTheProblem(int start, int end, string message)
        {
            var e = Assert.Throws<ContractException>(() => SelectionPlanner.ForGap(start, end, 61, 100, Keys, false, 0));
            StringAssert.Contains(message, e.Message);
            StringAssert.StartsWith("range", e.Field);
        }

        [Test]
        public void MissingJointsAreListed()
        {
            var missing = JointPaths.Missing(new[] { "Hips", "Hips/Spine", "Hips/Tail", "Hips/Tail" }, new[] { "", "Hips", "Hips/Spine" });
            CollectionAssert.AreEqual(new[] { "Hips/Tail" }, missing);
            Assert.AreEqual("a, b and 2 more", JointPaths.Summarise(new[] { "a", "b", "c", "d" }, 2));
            CollectionAssert.AreEqual(new[] { "Robot", "Hips", "Hips/L/Hand", "Hips/R/Hand" }, JointPaths.UniqueNames(new[] { "", "Hips", "Hips/L/Hand", "Hips/R/Hand" }, "Robot"));
        }
    }
}
