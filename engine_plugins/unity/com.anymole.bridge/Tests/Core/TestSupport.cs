// Helpers shared by the Core tests. NUnit 2.6 (Debian's nunit-console, run by pytest here) and
// NUnit 3 (Unity Test Framework) both accept everything used in this folder.
using System;
using System.Collections.Generic;
using System.IO;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Json;
using NUnit.Framework;

namespace AnyMoLe.Bridge.Core.Tests
{
    /// <summary>Structural comparison of proto3 JSON: numbers as float32 (or within a tolerance),
    /// absent fields equal to their defaults, numeric strings equal to numbers.</summary>
    public static class JsonAssert
    {
        public static void Equivalent(JsonValue expected, JsonValue actual, double tolerance, string path)
        {
            var problems = new List<string>();
            Compare(expected, actual, tolerance, path, problems);
            if (problems.Count > 0)
            {
                int shown = Math.Min(problems.Count, 12);
                Assert.Fail(problems.Count + " difference(s):\n  " + string.Join("\n  ", problems.GetRange(0, shown).ToArray()) + (problems.Count > shown ? "\n  …" : ""));
            }
        }

        public static List<string> Differences(JsonValue expected, JsonValue actual, double tolerance, string path)
        {
            var problems = new List<string>();
            Compare(expected, actual, tolerance, path, problems);
            return problems;
        }

        public static bool IsDefault(JsonValue v)
        {
            if (v == null) return true;
            switch (v.Kind)
            {
                case JsonKind.Null: return true;
                case JsonKind.Bool: return !v.AsBool();
                case JsonKind.Number: return v.AsDouble() == 0.0;
                case JsonKind.String:
                {
                    string s = v.AsString();
                    double d;
                    return s.Length == 0 || s.EndsWith("_UNSPECIFIED") || (JsonNumbers.TryParseDouble(s, out d) && d == 0.0);
                }
                case JsonKind.Array: return v.Count == 0;
                default:
                    foreach (var k in v.Keys)
                        if (!IsDefault(v.Get(k))) return false;
                    return true;
            }
        }

        static bool TryNumber(JsonValue v, out double d)
        {
            d = 0;
            if (v.Kind == JsonKind.Number) { d = v.AsDouble(); return true; }
            if (v.Kind == JsonKind.String) return JsonNumbers.TryParseDouble(v.AsString(), out d);
            return false;
        }

        static void Compare(JsonValue e, JsonValue a, double tol, string path, List<string> problems)
        {
            if (e == null || e.IsNull || a == null || a.IsNull)
            {
                var other = (e == null || e.IsNull) ? a : e;
                if (!IsDefault(other)) problems.Add(path + ": " + (e == null || e.IsNull ? "unexpected " + other.Describe() : "missing (expected " + other.Describe() + ")"));
                return;
            }
            double de, da;
            if ((e.Kind == JsonKind.Number || a.Kind == JsonKind.Number) && TryNumber(e, out de) && TryNumber(a, out da))
            {
                // float32 equality always; a tolerance (spliceAbs) widens it for computed values.
                bool equal = (float)de == (float)da || (double.IsNaN(de) && double.IsNaN(da)) || (tol > 0 && Math.Abs(de - da) <= tol);
                if (!equal) problems.Add(path + ": expected " + e.Describe() + ", got " + a.Describe());
                return;
            }
            if (e.Kind != a.Kind)
            {
                problems.Add(path + ": expected " + e.Describe() + ", got " + a.Describe());
                return;
            }
            switch (e.Kind)
            {
                case JsonKind.Array:
                    if (e.Count != a.Count)
                    {
                        problems.Add(path + ": expected " + e.Count + " items, got " + a.Count);
                        return;
                    }
                    for (int i = 0; i < e.Count; i++) Compare(e[i], a[i], tol, path + "[" + i + "]", problems);
                    return;
                case JsonKind.Object:
                {
                    var keys = new List<string>(e.Keys);
                    foreach (var k in a.Keys)
                        if (!keys.Contains(k)) keys.Add(k);
                    foreach (var k in keys) Compare(e.Get(k), a.Get(k), tol, path + "." + k, problems);
                    return;
                }
                default:
                    if (e.ToString() != a.ToString()) problems.Add(path + ": expected " + e.Describe() + ", got " + a.Describe());
                    return;
            }
        }
    }

    /// <summary>Small procedural clips with known answers.</summary>
    public static class Fixtures
    {
        public static Quat AxisAngle(float ax, float ay, float az, double deg)
        {
            double n = Math.Sqrt(ax * ax + ay * ay + az * az);
            double h = deg * Math.PI / 360.0;
            float s = (float)(Math.Sin(h) / n);
            return new Quat(ax * s, ay * s, az * s, (float)Math.Cos(h));
        }

        /// <summary>
        /// A chain Hips → Spine → Head → Tail of <paramref name="frames"/> frames at 30 fps in the
        /// Unity convention: Hips moves forward and bobs, Spine slides sideways between frames 10
        /// and 20 only, rotations are sinusoids about X and Y. <paramref name="shuffled"/>: the
        /// joints listed children first (parents after children) to exercise sorting.
        /// </summary>
        public static ClipSample Chain(int frames, bool shuffled)
        {
            var names = new[] { "Hips", "Spine", "Head", "Tail" };
            var parents = new[] { -1, 0, 1, 0 };
            var rest = new[] { new Vec3(0f, 1f, 0f), new Vec3(0f, 0.2f, 0f), new Vec3(0f, 0.3f, 0f), new Vec3(0f, -0.1f, -0.2f) };
            var clip = new ClipSample { Fps = 30.0, Convention = "unity" };
            // order[i] = original joint placed at clip index i
            int[] order = shuffled ? new[] { 2, 3, 1, 0 } : new[] { 0, 1, 2, 3 };
            var where = new int[4];
            for (int i = 0; i < 4; i++) where[order[i]] = i;
            for (int i = 0; i < 4; i++)
            {
                int o = order[i];
                clip.Joints.Add(new ClipJoint
                {
                    Name = names[o],
                    Parent = parents[o] < 0 ? -1 : where[parents[o]],
                    RestPosition = rest[o],
                    RestRotation = AxisAngle(0, 1, 0, 5 * o),
                    RestScale = Vec3.One,
                });
            }
            for (int f = 0; f < frames; f++)
            {
                var frame = new ClipFrame { Positions = new Vec3[4], Rotations = new Quat[4] };
                for (int i = 0; i < 4; i++)
                {
                    int o = order[i];
                    var p = rest[o];
                    if (o == 0) p = new Vec3(p.X, p.Y + 0.05f * (float)Math.Sin(f * 0.3), p.Z + 0.02f * f);
                    if (o == 1 && f >= 10 && f <= 20) p = new Vec3(p.X + 0.01f * (f - 9), p.Y, p.Z);
                    frame.Positions[i] = p;
                    frame.Rotations[i] = AxisAngle(0, 1, 0, 5 * o) * AxisAngle(1, 0, 0, 20 * Math.Sin(0.2 * f + o)) * AxisAngle(0, 0, 1, 10 * Math.Cos(0.15 * f));
                }
                clip.Frames.Add(frame);
            }
            return clip;
        }
    }

    /// <summary>Where the conformance vectors live.</summary>
    public static class ConformanceFiles
    {
        public static bool OnCi
        {
            get
            {
                var ci = Environment.GetEnvironmentVariable("CI");
                return ci != null && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");
            }
        }

        /// <summary>ANYMOLE_CONFORMANCE_DIR, else engine_plugins/conformance found walking up from
        /// the working directory and the test assembly; null when there is none with a
        /// manifest.json.</summary>
        public static string Directory()
        {
            var env = Environment.GetEnvironmentVariable("ANYMOLE_CONFORMANCE_DIR");
            if (!string.IsNullOrEmpty(env)) return File.Exists(Path.Combine(env, "manifest.json")) ? env : null;
            var starts = new List<string> { System.IO.Directory.GetCurrentDirectory() };
            try
            {
                starts.Add(Path.GetDirectoryName(typeof(ConformanceFiles).Assembly.Location));
            }
            catch (Exception)
            {
                // dynamic assemblies have no location
            }
            foreach (var start in starts)
            {
                var dir = start;
                for (int up = 0; up < 8 && !string.IsNullOrEmpty(dir); up++)
                {
                    var candidate = Path.Combine(Path.Combine(dir, "engine_plugins"), "conformance");
                    if (File.Exists(Path.Combine(candidate, "manifest.json"))) return candidate;
                    dir = Path.GetDirectoryName(dir);
                }
            }
            return null;
        }

        /// <summary>The directory, or Ignore (locally, in Unity) / Fail (CI=true) when absent.</summary>
        public static string Require()
        {
            var dir = Directory();
            if (dir != null) return dir;
            const string why = "conformance vectors not found: set ANYMOLE_CONFORMANCE_DIR or run tools/make_conformance.py (engine_plugins/conformance/manifest.json)";
            if (OnCi) Assert.Fail(why);
            Assert.Ignore(why);
            return null;
        }

        public static JsonValue Load(string path)
        {
            return JsonReader.Parse(File.ReadAllText(path));
        }
    }
}
