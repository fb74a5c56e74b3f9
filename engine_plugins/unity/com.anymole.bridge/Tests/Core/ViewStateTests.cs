using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Follow;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    [TestFixture]
    public class ViewStateTests
    {
        static List<FollowerUpdate> Feed(JobFollower f, string json)
        {
            return f.Feed(JobEventData.FromJson(json, -1));
        }

        [Test]
        public void FoldsAJobIntoWhatTheWindowShows()
        {
            var view = new JobViewState { };
            view.Start("Preparing…");
            view.KnownStages = new List<string> { "validate", "inbetween", "preview" };
            view.Submitted("j9");
            var f = new JobFollower("j9");
            bool visual = false;
            foreach (var json in new[]
            {
                "{\"seq\":\"1\",\"state\":{\"state\":\"JOB_STATE_RUNNING\"}}",
                "{\"seq\":\"2\",\"stage\":{\"stage\":\"inbetween\"}}",
                "{\"seq\":\"3\",\"progress\":{\"fraction\":0.25,\"message\":\"solving\"}}",
                "{\"seq\":\"4\",\"log\":{\"level\":\"info\",\"message\":\"hi\"}}",
            })
                foreach (var u in Feed(f, json)) visual |= view.Apply(u);
            Assert.IsFalse(visual);
            Assert.AreEqual("inbetween (2/3): solving", view.Status);
            Assert.AreEqual(0.25f, view.Fraction);
            Assert.AreEqual("[info] hi", view.Log[0]);
            foreach (var u in Feed(f, "{\"seq\":\"5\",\"preview\":{\"frameIndex\":3,\"image\":\"AQ==\"}}")) visual |= view.Apply(u);
            Assert.IsTrue(visual);
            Assert.AreEqual(1, view.PreviewCount);
            foreach (var u in f.Disconnected()) view.Apply(u);
            StringAssert.Contains("reattaching after event 5", view.Status);
            foreach (var u in Feed(f, "{\"seq\":\"6\",\"result\":{\"motion\":{\"rotations\":{\"shape\":[1,1,4],\"data\":[0,0,0,1]}},\"method\":\"spline\"}}")) view.Apply(u);
            Assert.IsTrue(view.Finished && view.Succeeded && !view.Running);
            Assert.AreEqual(1f, view.Fraction);
            Assert.AreEqual("spline", view.Result.Method);
        }

        [Test]
        public void CancelAndFailureMessages()
        {
            var view = new JobViewState();
            view.Start("x");
            view.Apply(new FollowerUpdate { Kind = "error", Code = StatusCodes.Cancelled, Message = "cancelled by CancelJob" });
            Assert.AreEqual("Cancelled", view.Status);
            StringAssert.Contains("unchanged", view.Error);
            view.Start("y");
            view.Apply(new FollowerUpdate { Kind = "error", Code = StatusCodes.InvalidArgument, Message = "input.fps: must be > 0" });
            Assert.AreEqual("INVALID_ARGUMENT: input.fps: must be > 0", view.Error);
            view.Fail("Cannot reach", StatusCodes.Unavailable);
            Assert.AreEqual("Failed", view.Status);
        }

        [Test]
        public void LogIsBounded()
        {
            var view = new JobViewState();
            for (int i = 0; i < JobViewState.LogLines + 10; i++) view.Apply(new FollowerUpdate { Kind = "log", Level = "debug", Message = i.ToString() });
            Assert.AreEqual(JobViewState.LogLines, view.Log.Count);
            Assert.AreEqual("[debug] 10", view.Log[0]);
        }
    }

    [TestFixture]
    public class StatusMessageTests
    {
        [Test]
        public void MessagesSayWhatToDo()
        {
            StringAssert.Contains("Is `anymole serve` running", StatusMessages.ForStatus(StatusCodes.Unavailable, "failed to connect", "", "http://127.0.0.1:50051/"));
            StringAssert.Contains("ANYMOLE_TOKEN", StatusMessages.ForStatus(StatusCodes.Unauthenticated, "bad token", "", "a"));
            Assert.AreEqual("The server rejected the request: input.skeleton.parents: parents[3] = 5 is not < 3",
                StatusMessages.ForStatus(StatusCodes.InvalidArgument, "input.skeleton.parents: parents[3] = 5 is not < 3", "input.skeleton.parents", "a"));
            Assert.AreEqual("The server rejected the request: input.fps: must be > 0",
                StatusMessages.ForStatus(StatusCodes.InvalidArgument, "must be > 0", "input.fps", "a"));
            StringAssert.Contains("cannot run this", StatusMessages.ForStatus(StatusCodes.FailedPrecondition, "needs a video prior", "", "a"));
            StringAssert.Contains("queue is full", StatusMessages.ForStatus(StatusCodes.ResourceExhausted, "", "", "a"));
            StringAssert.Contains("UNKNOWN", StatusMessages.ForStatus(2, "boom", "", "a"));
            Assert.IsTrue(StatusCodes.IsTransient(StatusCodes.Unavailable));
            Assert.IsFalse(StatusCodes.IsTransient(StatusCodes.Unauthenticated));
        }

        [Test]
        public void TokensAreNotInMessages()
        {
            // The token travels only in call metadata; messages are built from status details.
            var m = StatusMessages.ForStatus(StatusCodes.Unauthenticated, "missing or wrong bearer token", "", "https://farm:443/");
            Assert.IsFalse(m.Contains("Bearer "));
        }
    }
}
