using System;
using System.Collections.Generic;
using System.IO;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Curves;
using AnyMoLe.Bridge.Core.Follow;
using AnyMoLe.Bridge.Core.Json;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    /// <summary>
    /// The language-neutral vectors of engine_plugins/conformance (README there): every file the
    /// manifest lists runs here. Absent vectors: ignored locally and in Unity, a failure under
    /// CI=true.
    /// </summary>
    [TestFixture]
    public class ConformanceTests
    {
        const string Missing = "(vectors missing)";

        static JsonValue Manifest()
        {
            return ConformanceFiles.Load(Path.Combine(ConformanceFiles.Require(), "manifest.json"));
        }

        static double SpliceAbs()
        {
            var m = Manifest();
            var tol = m.Field("tolerance") ?? m.Field("tolerances");
            var abs = tol == null ? null : tol.Field("spliceAbs");
            return abs == null ? 0.0 : abs.AsDouble();
        }

        /// <summary>The files of the manifest (relative paths), "(vectors missing)" when absent.</summary>
        public static IEnumerable<string> ListedFiles()
        {
            var dir = ConformanceFiles.Directory();
            if (dir == null) return new[] { Missing };
            var files = new List<string>();
            foreach (var f in ProtoJson.GetStrings(ConformanceFiles.Load(Path.Combine(dir, "manifest.json")), "files", "manifest"))
                files.Add(f);
            return files;
        }

        public static IEnumerable<string> RequestFiles()
        {
            var list = new List<string>();
            foreach (var f in ListedFiles())
                if (f == Missing || f.Replace('\\', '/').StartsWith("requests/")) list.Add(f);
            if (list.Count == 0) list.Add("(no requests/*.json listed)");
            return list;
        }

        static JsonValue Load(string relative)
        {
            if (relative == Missing) ConformanceFiles.Require();
            var dir = ConformanceFiles.Require();
            var path = Path.Combine(dir, relative);
            if (!File.Exists(path)) Assert.Fail("the manifest lists " + relative + " but it does not exist");
            return ConformanceFiles.Load(path);
        }

        [Test]
        public void ManifestMatchesThisClient()
        {
            var m = Manifest();
            string version = ProtoJson.GetString(m, "protocolVersion", "manifest");
            string message;
            var outcome = VersionRule.Check(version, out message);
            Assert.AreEqual(VersionOutcome.Ok, outcome, "vectors for protocol " + version + ": " + message);
            foreach (var f in ListedFiles())
                Assert.IsTrue(File.Exists(Path.Combine(ConformanceFiles.Require(), f)), f);
        }

        [TestCaseSource("ListedFiles")]
        public void EveryListedFileIsUnderstood(string relative)
        {
            var v = Load(relative);
            Assert.AreEqual(JsonKind.Object, v.Kind, relative);
        }

        // ---- §1-§3: requests/*.json ---------------------------------------------------------

        [TestCaseSource("RequestFiles")]
        public void RequestIsBuiltFieldForField(string relative)
        {
            if (relative.StartsWith("(no ")) Assert.Fail("the manifest lists no requests/*.json");
            var v = Load(relative);
            var clip = ClipSample.FromJson(v.Field("clip"));
            var sel = Selection.FromJson(v.Field("selection"));
            var plan = RequestBuilder.Build(clip, sel, v.Field("options"));
            JsonAssert.Equivalent(v.Field("request"), plan.Input, 0, relative + ":request");
        }

        [TestCaseSource("RequestFiles")]
        public void ResultIsSplicedExactly(string relative)
        {
            if (relative.StartsWith("(no ")) Assert.Fail("the manifest lists no requests/*.json");
            var v = Load(relative);
            var clip = ClipSample.FromJson(v.Field("clip"));
            var sel = Selection.FromJson(v.Field("selection"));
            var plan = RequestBuilder.Build(clip, sel, v.Field("options"));
            var result = TransitionResultData.FromJson(v.Field("result"), plan.JointCount, "result");
            var joints = SampledClipSplice.Splice(clip, plan, result);
            var actual = SampledClipSplice.ToJson(joints);
            var expected = v.Field("spliced");
            Assert.IsNotNull(expected, relative + " has no \"spliced\"");
            JsonAssert.Equivalent(expected, actual, SpliceAbs(), relative + ":spliced");

            // Known frames come back bit-identical (README §2).
            var tracks = ResultReader.Read(plan, result);
            float angle, pos;
            ResultReader.KnownFrameError(clip, tracks, out angle, out pos);
            Assert.AreEqual(0f, angle, 1e-3, "known rotations");
            Assert.AreEqual(0f, pos, 1e-6, "known positions");
        }

        // ---- §3: splice.json ----------------------------------------------------------------

        [Test]
        public void SpliceCases()
        {
            var v = Load("splice.json");
            var cases = ProtoJson.GetArray(v, "cases", "splice.json");
            Assert.IsNotEmpty(cases);
            double tol = SpliceAbs();
            var failures = new List<string>();
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                string name = ProtoJson.GetString(c, "name", "case");
                if (name.Length == 0) name = "cases[" + i + "]";
                string kind = ProtoJson.GetString(c, "kind", name);
                bool rotation = kind != "translation";
                var authored = SampledClipSplice.KeysFromJson(c.Field("authored"), name + ".authored");
                int a = (int)ProtoJson.GetLong(c, "contextLast", name);
                var kf = ProtoJson.GetInts(c, "keyframes", name);
                var keyframes = new int[kf.Count];
                for (int k = 0; k < kf.Count; k++) keyframes[k] = (int)kf[k];
                int b = keyframes[keyframes.Length - 1];
                int first = (int)ProtoJson.GetLong(c, "resultFirstFrame", name);
                var byFrame = new Dictionary<int, float[]>();
                var rows = ProtoJson.GetArray(c, "result", name);
                for (int r = 0; r < rows.Count; r++)
                {
                    var row = new float[rows[r].Count];
                    for (int x = 0; x < row.Length; x++) row[x] = rows[r][x].AsFloat();
                    byFrame[first + r] = row;
                }
                List<TrackKey> keys;
                try
                {
                    keys = TrackSplicer.Splice(authored, a, b, keyframes, f =>
                    {
                        float[] val;
                        if (!byFrame.TryGetValue(f, out val)) throw new ContractException(name + ".result", "no value at frame " + f);
                        return val;
                    }, rotation);
                }
                catch (ContractException e)
                {
                    failures.Add(name + ": " + e.Message);
                    continue;
                }
                foreach (var d in JsonAssert.Differences(c.Field("expected"), SampledClipSplice.KeysToJson(keys), tol, name))
                    failures.Add(d);
            }
            if (failures.Count > 0) Assert.Fail(string.Join("\n", failures.ToArray()));
        }

        // ---- §4: transcript.json ------------------------------------------------------------

        [Test]
        public void TranscriptFollowsTheJob()
        {
            var v = Load("transcript.json");
            var follower = new JobFollower();
            var updates = JsonValue.NewArray();
            int step = 0;
            foreach (var s in ProtoJson.GetArray(v, "script", "transcript"))
            {
                List<Follow.FollowerUpdate> list;
                if (s.Field("disconnect") != null) list = follower.Disconnected();
                else if (s.Field("event") != null) list = follower.Feed(JobEventData.FromJson(s.Field("event"), -1));
                else
                {
                    Assert.Fail("transcript.script[" + step + "]: neither event nor disconnect");
                    return;
                }
                foreach (var u in list) updates.Add(u.ToJson());
                step++;
            }
            JsonAssert.Equivalent(v.Field("expected"), updates, 0, "transcript.expected");
        }

        // ---- §5: version_rule.json ----------------------------------------------------------

        [Test]
        public void VersionRuleCases()
        {
            var v = Load("version_rule.json");
            var cases = ProtoJson.GetArray(v, "cases", "version_rule");
            Assert.IsNotEmpty(cases);
            var failures = new List<string>();
            foreach (var c in cases)
            {
                string server = ProtoJson.GetString(c, "server", "case");
                string client = ProtoJson.GetString(c, "client", "case");
                string expected = ProtoJson.GetString(c, "outcome", "case");
                string message;
                string got = VersionRule.Name(VersionRule.Check(server, client, out message));
                if (got != expected) failures.Add("server \"" + server + "\", client \"" + client + "\": expected " + expected + ", got " + got);
            }
            if (failures.Count > 0) Assert.Fail(string.Join("\n", failures.ToArray()));
        }
    }
}
