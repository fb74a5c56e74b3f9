using System;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    [TestFixture]
    public class JsonTests
    {
        [Test]
        public void ParsesAndWritesNestedDocuments()
        {
            const string text = "{\"a\":[1,-2.5,3e-7,true,false,null],\"b\":{\"c\":\"x\\\"y\\u00e9\\n\"},\"d\":\"18446744073709551615\"}";
            var v = JsonReader.Parse(text);
            Assert.AreEqual(JsonKind.Object, v.Kind);
            Assert.AreEqual(6, v.Get("a").Count);
            Assert.AreEqual(-2.5, v.Get("a")[1].AsDouble());
            Assert.AreEqual("x\"y\u00e9\n", v.Get("b").Get("c").AsString());
            Assert.AreEqual(ulong.MaxValue, v.Get("d").AsULong());
            string compact = JsonWriter.Write(v, false);
            Assert.AreEqual(text.Replace("\\u00e9", "\u00e9"), compact, "only the \\u escape of a printable character is written plainly");
            Assert.AreEqual(compact, JsonWriter.Write(JsonReader.Parse(JsonWriter.Write(v, true)), false));
        }

        [Test]
        public void KeepsMemberOrder()
        {
            var o = JsonValue.NewObject().Set("z", JsonValue.Int(1)).Set("a", JsonValue.Int(2)).Set("z", JsonValue.Int(3));
            Assert.AreEqual("{\"z\":3,\"a\":2}", o.ToString());
        }

        [TestCase("{\"a\":1,}")]
        [TestCase("[1 2]")]
        [TestCase("{\"a\":1} x")]
        [TestCase("{'a':1}")]
        [TestCase("[01]")]
        [TestCase("{\"a\":1,\"a\":2}")]
        [TestCase("\"unterminated")]
        [TestCase("")]
        public void RejectsMalformedText(string text)
        {
            Assert.Throws<JsonParseException>(() => JsonReader.Parse(text));
        }

        [Test]
        public void ErrorsGiveLineAndColumn()
        {
            var e = Assert.Throws<JsonParseException>(() => JsonReader.Parse("{\n  \"a\": tru\n}"));
            StringAssert.Contains("line 2", e.Message);
        }

        [Test]
        public void Float32RoundTripsExactly()
        {
            var rng = new Random(7);
            var bytes = new byte[4];
            int checkedCount = 0;
            for (int i = 0; i < 20000; i++)
            {
                rng.NextBytes(bytes);
                float f = BitConverter.ToSingle(bytes, 0);
                if (float.IsNaN(f) || float.IsInfinity(f)) continue;
                var text = JsonNumbers.FormatFloat(f);
                Assert.AreEqual(f, (float)JsonReader.Parse(text).AsDouble(), text);
                checkedCount++;
            }
            foreach (float f in new[] { 0.1f, 1e-5f, -3.4028235e38f, 1.401298e-45f, 0.70710677f, 1f, -1f })
                Assert.AreEqual(f, (float)JsonReader.Parse(JsonValue.Float(f).ToString()).AsDouble());
            Assert.Greater(checkedCount, 19000);
        }

        [Test]
        public void FloatTextIsShort()
        {
            Assert.AreEqual("0.1", JsonValue.Float(0.1f).ToString());
            Assert.AreEqual("1", JsonValue.Float(1f).ToString());
            Assert.AreEqual("0.01", JsonValue.Double(0.01).ToString());
        }

        [Test]
        public void NonFiniteFloatsAreProto3Strings()
        {
            Assert.AreEqual("\"NaN\"", JsonValue.Float(float.NaN).ToString());
            Assert.AreEqual("\"-Infinity\"", JsonValue.Float(float.NegativeInfinity).ToString());
            Assert.IsTrue(float.IsPositiveInfinity(JsonValue.Str("Infinity").AsFloat()));
        }

        [Test]
        public void FieldAcceptsCamelAndOriginalNames()
        {
            var v = JsonReader.Parse("{\"first_frame\": 3, \"jobState\": \"JOB_STATE_RUNNING\"}");
            Assert.AreEqual(3, v.Field("firstFrame").AsInt());
            Assert.AreEqual("JOB_STATE_RUNNING", v.Field("jobState").AsString());
            Assert.IsNull(v.Field("missing"));
        }

        [Test]
        public void TensorShapeMismatchNamesTheField()
        {
            var v = JsonReader.Parse("{\"shape\": [2, 3], \"data\": [1, 2, 3]}");
            var e = Assert.Throws<ContractException>(() => FloatTensor.FromJson(v, "result.motion.rotations"));
            StringAssert.StartsWith("result.motion.rotations", e.Message);
        }

        [Test]
        public void BytesAreBase64()
        {
            var v = JsonReader.Parse("{\"image\": \"AQID/w==\"}");
            CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 255 }, ProtoJson.GetBytes(v, "image", "p"));
            var url = JsonReader.Parse("{\"image\": \"AQID_w\"}");
            CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 255 }, ProtoJson.GetBytes(url, "image", "p"));
        }

        [Test]
        public void ComparatorTreatsAbsentAsDefault()
        {
            var e = JsonReader.Parse("{\"a\": {\"first\": 0, \"last\": 5}, \"b\": [], \"c\": \"X_UNSPECIFIED\", \"s\": \"7\"}");
            var a = JsonReader.Parse("{\"a\": {\"last\": 5.0}, \"s\": 7}");
            Assert.AreEqual(0, JsonAssert.Differences(e, a, 0, "$").Count);
            var bad = JsonReader.Parse("{\"a\": {\"last\": 6}}");
            Assert.IsNotEmpty(JsonAssert.Differences(e, bad, 0, "$"));
        }
    }
}
