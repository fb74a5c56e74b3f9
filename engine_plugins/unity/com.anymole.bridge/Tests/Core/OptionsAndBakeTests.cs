using AnyMoLe.Bridge.Core.Bake;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    [TestFixture]
    public class ServerInfoTests
    {
        const string Info = "{\"protocolVersion\":\"1.1.0\",\"serverVersion\":\"0.1.0\",\"capabilities\":{\"methods\":[\"spline\",\"interpolation\"],\"defaultMethod\":\"spline\"," +
            "\"renderer\":\"raster-torch\",\"device\":\"cpu\",\"limits\":{\"maxJoints\":256,\"maxFrames\":2000,\"maxPreviewSize\":1024,\"maxPreviewFrames\":64}," +
            "\"previewFormats\":[\"IMAGE_FORMAT_JPEG\"],\"methodInfo\":[{\"name\":\"spline\",\"runnable\":true,\"isDefault\":true,\"stages\":[\"validate\",\"inbetween\",\"preview\"]}," +
            "{\"name\":\"anymole\",\"runnable\":false,\"unavailableReason\":\"needs a video prior\",\"needsPrior\":true,\"options\":[" +
            "{\"name\":\"denoise_steps\",\"field\":\"anymole.denoiseSteps\",\"type\":\"OPTION_TYPE_INT\",\"defaultJson\":\"50\",\"minimum\":1,\"maximum\":500}," +
            "{\"name\":\"prompt\",\"field\":\"anymole.prompt\",\"type\":\"OPTION_TYPE_STRING\",\"defaultJson\":\"\\\"a character\\\"\"}," +
            "{\"name\":\"parallel_adaptation\",\"field\":\"anymole.parallelAdaptation\",\"type\":\"OPTION_TYPE_BOOL\"}]}]},\"somethingNewer\":1}";

        [Test]
        public void ReadsCapabilitiesAndTheCatalogue()
        {
            var s = ServerInfoData.FromJson(Info);
            Assert.AreEqual("1.1.0", s.ProtocolVersion);
            Assert.AreEqual(2000, s.MaxFrames);
            Assert.AreEqual(2, s.MethodsForUi().Count);
            var any = s.FindMethod("anymole");
            Assert.IsFalse(any.Runnable);
            Assert.AreEqual("needs a video prior", any.UnavailableReason);
            Assert.AreEqual(3, any.Options.Count);
            Assert.AreEqual(500.0, any.Options[0].Maximum.Value);
            Assert.IsFalse(any.Options[1].Minimum.HasValue);
            Assert.AreEqual("a character", JobOptionsBuilder.DefaultText(any.Options[1]));
            Assert.AreEqual("50", JobOptionsBuilder.DefaultText(any.Options[0]));
        }

        [Test]
        public void OlderServersListOnlyMethodNames()
        {
            var s = ServerInfoData.FromJson("{\"protocolVersion\":\"1.0.0\",\"capabilities\":{\"methods\":[\"spline\",\"zero_velocity\"],\"defaultMethod\":\"spline\"}}");
            Assert.AreEqual(2, s.MethodsForUi().Count);
            Assert.IsTrue(s.FindMethod("spline").IsDefault);
            Assert.IsTrue(s.FindMethod("zero_velocity").Runnable);
        }

        [Test]
        public void SetsTypedOptionsByTheirJsonPath()
        {
            var any = ServerInfoData.FromJson(Info).FindMethod("anymole");
            var o = JobOptionsBuilder.Create("anymole", 7, 128, 96, 4, "IMAGE_FORMAT_PNG", false, false, 2f);
            JobOptionsBuilder.SetOption(o, any.Options[0], "30");
            JobOptionsBuilder.SetOption(o, any.Options[1], "a fox jumping");
            JobOptionsBuilder.SetOption(o, any.Options[2], "true");
            Assert.AreEqual("{\"method\":\"anymole\",\"seed\":\"7\",\"preview\":{\"width\":128,\"height\":96,\"maxFrames\":4,\"format\":\"IMAGE_FORMAT_PNG\",\"poseMaxRateHz\":2}," +
                "\"anymole\":{\"denoiseSteps\":30,\"prompt\":\"a fox jumping\",\"parallelAdaptation\":true}}", o.ToString());
            JobOptionsBuilder.SetOption(o, any.Options[1], " ");
            Assert.IsFalse(o.Get("anymole").Has("prompt"), "blank: the server's default");
            var e = Assert.Throws<ContractException>(() => JobOptionsBuilder.SetOption(o, any.Options[0], "0"));
            Assert.AreEqual("options.anymole.denoiseSteps", e.Field);
            StringAssert.Contains("at least 1", e.Message);
            Assert.Throws<ContractException>(() => JobOptionsBuilder.SetOption(o, any.Options[0], "many"));
            Assert.Throws<ContractException>(() => JobOptionsBuilder.SetOption(o, any.Options[2], "yes please"));
        }

        [Test]
        public void DefaultsAreLeftOut()
        {
            Assert.AreEqual("{\"method\":\"spline\"}", JobOptionsBuilder.Create("spline", 0, 0, 0, 0, "", false, false, 0f).ToString());
            Assert.AreEqual("{\"preview\":{\"disabled\":true,\"posesDisabled\":true}}", JobOptionsBuilder.Create("", 0, 0, 0, 0, "IMAGE_FORMAT_UNSPECIFIED", true, true, 0f).ToString());
        }
    }

    [TestFixture]
    public class BakeTests
    {
        const string Manifest = "{\"server\":\"127.0.0.1:50051\",\"report\":\"Logs/bake.json\",\"defaults\":{\"method\":\"spline\",\"contextFrames\":30,\"options\":{\"seed\":\"3\",\"preview\":{\"disabled\":true}}}," +
            "\"jobs\":[{\"clip\":\"Assets/Walk.anim\",\"character\":\"Assets/Robot.prefab\",\"start\":40,\"end\":70}," +
            "{\"name\":\"fancy\",\"clip\":\"Assets/Run.anim\",\"character\":\"Assets/Robot.prefab\",\"start\":10,\"end\":50,\"method\":\"anymole\",\"output\":\"Assets/Run_baked.anim\",\"contextFrames\":61," +
            "\"options\":{\"preview\":{\"width\":64},\"anymole\":{\"denoiseSteps\":10}}}]}";

        [Test]
        public void ReadsJobsWithDefaults()
        {
            var m = BakeManifest.Parse(Manifest);
            Assert.AreEqual("127.0.0.1:50051", m.Server);
            Assert.AreEqual(2, m.Jobs.Count);
            var a = m.Jobs[0];
            Assert.AreEqual("Assets/Walk.anim [40..70]", a.Name);
            Assert.AreEqual(30, a.ContextFrames);
            Assert.AreEqual("", a.Output);
            Assert.AreEqual("{\"seed\":\"3\",\"preview\":{\"disabled\":true},\"method\":\"spline\"}", a.Options.ToString());
            var b = m.Jobs[1];
            Assert.AreEqual(61, b.ContextFrames);
            Assert.AreEqual("{\"seed\":\"3\",\"preview\":{\"disabled\":true,\"width\":64},\"method\":\"anymole\",\"anymole\":{\"denoiseSteps\":10}}", b.Options.ToString());
        }

        [TestCase("{\"jobs\":[]}", "manifest.jobs")]
        [TestCase("{\"jobs\":[{\"clip\":\"a\",\"character\":\"c\",\"end\":3}]}", "manifest.jobs[0].start")]
        [TestCase("{\"jobs\":[{\"character\":\"c\",\"start\":1,\"end\":3}]}", "manifest.jobs[0].clip")]
        [TestCase("{\"token\":\"s3cret\",\"jobs\":[]}", "manifest.token")]
        [TestCase("{\"jobs\":[1]}", "manifest.jobs[0]")]
        [TestCase("not json", "manifest")]
        public void BadManifestsNameTheField(string json, string field)
        {
            var e = Assert.Throws<ContractException>(() => BakeManifest.Parse(json));
            Assert.AreEqual(field, e.Field);
        }

        [Test]
        public void ReportAndExitCode()
        {
            var r = new BakeReport { Server = "127.0.0.1:1" };
            r.Jobs.Add(new BakeJobResult { Name = "a", Succeeded = true, Seconds = 1.23456, KeysWritten = 40 });
            Assert.AreEqual(BakeReport.ExitOk, r.ExitCode);
            r.Jobs.Add(new BakeJobResult { Name = "b", Succeeded = false, Error = "range.end: the clip has no keys at or after frame 90" });
            Assert.AreEqual(BakeReport.ExitJobFailed, r.ExitCode);
            Assert.AreEqual("anymole bake: 1 succeeded, 1 failed", r.SummaryLine());
            var json = JsonReader.Parse(r.ToJson().ToString());
            Assert.IsFalse(json.Get("ok").AsBool());
            Assert.AreEqual(1, json.Get("summary").Get("failed").AsInt());
            Assert.AreEqual("failed", json.Get("jobs")[1].Get("status").AsString());
            Assert.AreEqual(1.235, json.Get("jobs")[0].Get("seconds").AsDouble());
            r.ManifestError = "manifest.jobs: no jobs";
            Assert.AreEqual(BakeReport.ExitBadManifest, r.ExitCode);
            Assert.AreEqual("[1/3] walk: inbetween 50%", BakeReport.ProgressLine(1, 3, "walk", "inbetween", 0.5f));
        }
    }
}
