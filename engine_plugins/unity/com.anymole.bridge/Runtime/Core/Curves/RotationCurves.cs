using System;
using System.Collections.Generic;

namespace AnyMoLe.Bridge.Core.Curves
{
    /// <summary>
    /// How a clip spells a Transform's rotation curves. Unity keeps one family per path and
    /// removes the others when it converts (RotationCurveInterpolation.SetInterpolation), so a
    /// writer keeps the family it finds.
    /// </summary>
    public enum RotationSpelling
    {
        /// <summary>No rotation curves on this path.</summary>
        None,
        /// <summary>m_LocalRotation.x/y/z/w: raw quaternions (FBX imports).</summary>
        Quaternion,
        /// <summary>localEulerAnglesRaw.x/y/z: the Animation window's default for non-legacy clips.</summary>
        EulerRaw,
        /// <summary>localEulerAngles.x/y/z.</summary>
        Euler,
        /// <summary>localEulerAnglesBaked.x/y/z (legacy clips).</summary>
        EulerBaked,
    }

    /// <summary>Transform curve property names and the rotation spelling of a path.</summary>
    public static class TransformCurveNames
    {
        public const string Position = "m_LocalPosition";
        public const string Scale = "m_LocalScale";
        public static readonly string[] Xyz = { "x", "y", "z" };
        public static readonly string[] Xyzw = { "x", "y", "z", "w" };

        public static string Prefix(RotationSpelling s)
        {
            switch (s)
            {
                case RotationSpelling.Quaternion: return "m_LocalRotation";
                case RotationSpelling.EulerRaw: return "localEulerAnglesRaw";
                case RotationSpelling.Euler: return "localEulerAngles";
                case RotationSpelling.EulerBaked: return "localEulerAnglesBaked";
                default: throw new ArgumentException("no property for " + s);
            }
        }

        public static bool IsEuler(RotationSpelling s)
        {
            return s == RotationSpelling.EulerRaw || s == RotationSpelling.Euler || s == RotationSpelling.EulerBaked;
        }

        /// <summary>The property names ("m_LocalRotation.x", …) of a spelling, in component order.</summary>
        public static string[] RotationProperties(RotationSpelling s)
        {
            string p = Prefix(s);
            var comps = s == RotationSpelling.Quaternion ? Xyzw : Xyz;
            var names = new string[comps.Length];
            for (int i = 0; i < comps.Length; i++) names[i] = p + "." + comps[i];
            return names;
        }

        public static string[] PositionProperties()
        {
            return new[] { Position + ".x", Position + ".y", Position + ".z" };
        }

        /// <summary>The spelling of one property name, or None when it is not a rotation curve.</summary>
        public static RotationSpelling SpellingOf(string propertyName)
        {
            int dot = propertyName.LastIndexOf('.');
            string prefix = dot < 0 ? propertyName : propertyName.Substring(0, dot);
            switch (prefix)
            {
                case "m_LocalRotation": return RotationSpelling.Quaternion;
                case "localEulerAnglesRaw": return RotationSpelling.EulerRaw;
                case "localEulerAngles": return RotationSpelling.Euler;
                case "localEulerAnglesBaked": return RotationSpelling.EulerBaked;
                default: return RotationSpelling.None;
            }
        }

        /// <summary>
        /// The spelling a path uses, from all its property names. Several families on one path
        /// (which Unity itself does not produce) pick the first found in the order Quaternion,
        /// EulerRaw, Euler, EulerBaked.
        /// </summary>
        public static RotationSpelling SpellingOfPath(IEnumerable<string> propertyNames)
        {
            var found = new HashSet<RotationSpelling>();
            foreach (var n in propertyNames) found.Add(SpellingOf(n));
            foreach (var s in new[] { RotationSpelling.Quaternion, RotationSpelling.EulerRaw, RotationSpelling.Euler, RotationSpelling.EulerBaked })
                if (found.Contains(s)) return s;
            return RotationSpelling.None;
        }

        /// <summary>
        /// The spelling for a path that has no rotation curves yet: the one most paths of the
        /// clip use, Quaternion when none (no Euler conversion error).
        /// </summary>
        public static RotationSpelling DefaultForNewPaths(IEnumerable<RotationSpelling> pathSpellings)
        {
            var counts = new Dictionary<RotationSpelling, int>();
            foreach (var s in pathSpellings)
            {
                if (s == RotationSpelling.None) continue;
                int c;
                counts.TryGetValue(s, out c);
                counts[s] = c + 1;
            }
            var best = RotationSpelling.Quaternion;
            int bestCount = 0;
            foreach (var kv in counts)
                if (kv.Value > bestCount || (kv.Value == bestCount && kv.Key < best)) { best = kv.Key; bestCount = kv.Value; }
            return best;
        }
    }

    /// <summary>
    /// Euler angle continuity for Euler-spelled curves (degrees, Unity's Z-X-Y order). Unity's
    /// Quaternion.eulerAngles returns angles in [0, 360); written as is, a curve jumps by 360°
    /// or flips to the equivalent triple and the interpolation spins the joint. Every
    /// generated key is rewritten to the equivalent triple nearest its predecessor.
    /// </summary>
    public static class EulerUnwrap
    {
        /// <summary>The triple equivalent to <paramref name="euler"/> (same rotation in Z-X-Y
        /// order: (x, y, z) and (180 - x, y + 180, z + 180), each up to multiples of 360)
        /// closest to <paramref name="previous"/> in summed absolute degrees.</summary>
        public static Vec3 Closest(Vec3 previous, Vec3 euler)
        {
            var a = Near(previous, euler);
            var b = Near(previous, new Vec3(180f - euler.X, euler.Y + 180f, euler.Z + 180f));
            return Distance(previous, a) <= Distance(previous, b) ? a : b;
        }

        static Vec3 Near(Vec3 previous, Vec3 e)
        {
            return new Vec3(NearAngle(previous.X, e.X), NearAngle(previous.Y, e.Y), NearAngle(previous.Z, e.Z));
        }

        /// <summary><paramref name="angle"/> + k·360 closest to <paramref name="reference"/>.</summary>
        public static float NearAngle(float reference, float angle)
        {
            double d = angle - reference;
            d -= 360.0 * Math.Round(d / 360.0);
            return (float)(reference + d);
        }

        static float Distance(Vec3 x, Vec3 y)
        {
            return Math.Abs(x.X - y.X) + Math.Abs(x.Y - y.Y) + Math.Abs(x.Z - y.Z);
        }

        /// <summary>
        /// Rewrites every non-authored key from the first key at frame >= a on to the triple
        /// nearest the key before it. Authored keys keep their values (the user's spelling).
        /// </summary>
        public static void UnwrapSpliced(List<TrackKey> keys, int a)
        {
            for (int i = 1; i < keys.Count; i++)
            {
                var k = keys[i];
                if (k.Authored || k.Frame < a - TrackSplicer.FrameEpsilon) continue;
                var v = Closest(keys[i - 1].AsVec3(), k.AsVec3());
                k.Value[0] = v.X;
                k.Value[1] = v.Y;
                k.Value[2] = v.Z;
            }
        }

        /// <summary>
        /// Euler-spelled splice: the generated quaternions become Euler triples through
        /// <paramref name="toEuler"/> (the editor passes Unity's Quaternion.eulerAngles; tests
        /// pass <see cref="Quat.ToEulerZxyDeg"/>), spliced like a position, then unwrapped.
        /// </summary>
        public static List<TrackKey> SpliceEuler(IList<TrackKey> authoredEuler, Clip.ClipTracks tracks, int clipJoint, Func<Quat, Vec3> toEuler)
        {
            var keys = TrackSplicer.Splice(authoredEuler, tracks.FirstFrame, tracks.LastFrame, tracks.Keyframes, f =>
            {
                var e = toEuler(tracks.Rotation(clipJoint, f));
                return new[] { e.X, e.Y, e.Z };
            }, false);
            UnwrapSpliced(keys, tracks.FirstFrame);
            return keys;
        }
    }
}
