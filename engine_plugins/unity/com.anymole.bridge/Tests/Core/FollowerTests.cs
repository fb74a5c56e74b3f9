using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Follow;
using AnyMoLe.Bridge.Core.Json;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    [TestFixture]
    public class FollowerTests
    {
        static JobEventData E(string json)
        {
            return JobEventData.FromJson(json, -1);
        }

        static List<string> Run(JobFollower f, params string[] script)
        {
            var updates = new List<string>();
            foreach (var step in script)
            {
                var list = step == "disconnect" ? f.Disconnected() : f.Feed(E(step));
                foreach (var u in list) updates.Add(u.ToString());
            }
            return updates;
        }

        const string Queued = "{\"jobId\":\"j1\",\"seq\":\"1\",\"state\":{\"state\":\"JOB_STATE_QUEUED\"},\"jobState\":\"JOB_STATE_QUEUED\"}";
        const string Running = "{\"jobId\":\"j1\",\"seq\":\"2\",\"state\":{\"state\":\"JOB_STATE_RUNNING\"},\"jobState\":\"JOB_STATE_RUNNING\"}";
        const string Stage = "{\"jobId\":\"j1\",\"seq\":\"3\",\"stage\":{\"stage\":\"inbetween\"},\"jobState\":\"JOB_STATE_RUNNING\"}";
        const string P50 = "{\"jobId\":\"j1\",\"seq\":\"4\",\"progress\":{\"fraction\":0.5,\"message\":\"half\"}}";
        const string P30 = "{\"jobId\":\"j1\",\"seq\":\"5\",\"progress\":{\"fraction\":0.3,\"message\":\"back\"}}";
        const string Preview = "{\"jobId\":\"j1\",\"seq\":\"6\",\"preview\":{\"format\":\"IMAGE_FORMAT_PNG\",\"image\":\"iVBORw==\",\"width\":64,\"height\":64,\"frameIndex\":12,\"stage\":\"preview\",\"step\":1}}";
        const string Log = "{\"jobId\":\"j1\",\"seq\":\"7\",\"log\":{\"level\":\"info\",\"message\":\"hello\"}}";
        const string Pose = "{\"jobId\":\"j1\",\"seq\":\"8\",\"pose\":{\"motion\":{\"rotations\":{\"shape\":[1,1,4],\"data\":[0,0,0,1]},\"translations\":{\"shape\":[1,0,3]}},\"fps\":30,\"firstFrame\":4,\"stage\":\"inbetween\",\"final\":true}}";
        const string Result = "{\"jobId\":\"j1\",\"seq\":\"9\",\"result\":{\"motion\":{\"rotations\":{\"shape\":[1,1,4],\"data\":[0,0,0,1]}},\"fps\":30,\"firstFrame\":4,\"method\":\"spline\"},\"jobState\":\"JOB_STATE_SUCCEEDED\"}";
        const string Error = "{\"jobId\":\"j1\",\"seq\":\"9\",\"error\":{\"code\":1,\"message\":\"cancelled\"},\"jobState\":\"JOB_STATE_CANCELLED\"}";

        [Test]
        public void FollowsAJobWithAReattach()
        {
            var f = new JobFollower();
            var updates = Run(f, Queued, Running, Stage, "disconnect", Running, Stage, P50, P30, Preview, Log, Pose, Result, "disconnect", Log);
            var expected = new List<string>
            {
                "{\"kind\":\"state\",\"state\":\"JOB_STATE_QUEUED\"}",
                "{\"kind\":\"state\",\"state\":\"JOB_STATE_RUNNING\"}",
                "{\"kind\":\"stage\",\"stage\":\"inbetween\"}",
                "{\"kind\":\"reattach\",\"afterEvent\":3}",
                "{\"kind\":\"progress\",\"fraction\":0.5,\"message\":\"half\"}",
                "{\"kind\":\"progress\",\"fraction\":0.5,\"message\":\"back\"}",
                "{\"kind\":\"preview\",\"frameIndex\":12,\"stage\":\"preview\",\"step\":1}",
                "{\"kind\":\"log\",\"level\":\"info\",\"message\":\"hello\"}",
                "{\"kind\":\"pose\",\"stage\":\"inbetween\",\"step\":0,\"final\":true}",
                "{\"kind\":\"result\"}",
            };
            CollectionAssert.AreEqual(expected, updates);
            Assert.IsTrue(f.Done);
            Assert.AreEqual("j1", f.JobId);
            Assert.AreEqual(9UL, f.LastSeq);
            Assert.AreEqual("spline", f.Result.Method);
            Assert.AreEqual("JOB_STATE_SUCCEEDED", f.State);
            Assert.AreEqual(1, f.Reattaches);
            Assert.AreEqual(4, f.LastPose.FirstFrame);
        }

        [Test]
        public void ErrorsAreTerminal()
        {
            var f = new JobFollower("j1");
            var updates = Run(f, Queued, Error, Result, "disconnect");
            Assert.AreEqual(2, updates.Count);
            Assert.AreEqual("{\"kind\":\"error\",\"code\":1,\"message\":\"cancelled\"}", updates[1]);
            Assert.AreEqual(1, f.Error.Code);
        }

        [Test]
        public void ReattachFromTheStartAndUnknownKinds()
        {
            var f = new JobFollower("j1", 0);
            CollectionAssert.AreEqual(new[] { "{\"kind\":\"reattach\",\"afterEvent\":0}" }, Run(f, "disconnect"));
            var newer = "{\"jobId\":\"j1\",\"seq\":\"1\",\"somethingNew\":{}}";
            Assert.AreEqual(0, Run(f, newer).Count);
            Assert.AreEqual(1UL, f.LastSeq, "a newer kind still advances seq");
        }

        [Test]
        public void PreviewBytesAreDecoded()
        {
            var e = E(Preview);
            Assert.AreEqual("preview", e.Kind);
            CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4e, 0x47 }, e.Preview.Image);
            Assert.AreEqual("IMAGE_FORMAT_PNG", e.Preview.Format);
        }

        [Test]
        public void EventShapesAreChecked()
        {
            var bad = "{\"seq\":\"1\",\"result\":{\"motion\":{\"rotations\":{\"shape\":[1,2,4],\"data\":[0,0,0,1,0,0,0,1]}}}}";
            var e = Assert.Throws<ContractException>(() => JobEventData.FromJson(bad, 3));
            StringAssert.StartsWith("event.result.motion.rotations", e.Message);
            var two = "{\"seq\":\"1\",\"log\":{},\"stage\":{}}";
            Assert.Throws<ContractException>(() => JobEventData.FromJson(two, -1));
            var num = JobEventData.FromJson("{\"seq\":2,\"jobState\":3,\"state\":{\"state\":2}}", -1);
            Assert.AreEqual("JOB_STATE_SUCCEEDED", num.JobState);
            Assert.AreEqual("JOB_STATE_RUNNING", num.State);
        }
    }

    [TestFixture]
    public class VersionRuleTests
    {
        [TestCase("1.1.0", "1.1.0", "ok")]
        [TestCase("1.1.7", "1.1.0", "ok")]
        [TestCase("v1.1.2-rc.1", "1.1.0", "ok")]
        [TestCase("1.1.0+build.5", "1.1.0", "ok")]
        [TestCase("1.0.0", "1.1.0", "warn")]
        [TestCase("1.3.0", "1.1.0", "warn")]
        [TestCase("2.0.0", "1.1.0", "refuse")]
        [TestCase("0.9.0", "1.1.0", "refuse")]
        [TestCase("", "1.1.0", "refuse")]
        [TestCase("one.two.three", "1.1.0", "refuse")]
        [TestCase("1.1", "1.1.0", "refuse")]
        public void Outcome(string server, string client, string outcome)
        {
            string message;
            var o = VersionRule.Check(server, client, out message);
            Assert.AreEqual(outcome, VersionRule.Name(o));
            if (o != VersionOutcome.Ok) StringAssert.Contains(client, message);
        }

        [Test]
        public void RefusalSaysWhatToUpgrade()
        {
            string message;
            VersionRule.Check("2.0.0", "1.1.0", out message);
            StringAssert.Contains("upgrade the AnyMoLe Bridge package", message);
            VersionRule.Check("0.3.0", "1.1.0", out message);
            StringAssert.Contains("upgrade the server", message);
        }
    }
}
