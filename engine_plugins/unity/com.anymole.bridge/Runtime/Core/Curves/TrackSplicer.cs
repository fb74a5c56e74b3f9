using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Clip;

namespace AnyMoLe.Bridge.Core.Curves
{
    /// <summary>One key of a vector-valued track: a clip frame (fractional for keys that sit
    /// between frames) and its components.</summary>
    public sealed class TrackKey
    {
        public double Frame;
        public float[] Value;
        /// <summary>True for a key the user authored (kept as is where the splice keeps it).</summary>
        public bool Authored;

        public TrackKey(double frame, float[] value, bool authored)
        {
            Frame = frame;
            Value = value;
            Authored = authored;
        }

        public static TrackKey Of(double frame, Quat q, bool authored)
        {
            return new TrackKey(frame, new[] { q.X, q.Y, q.Z, q.W }, authored);
        }

        public static TrackKey Of(double frame, Vec3 v, bool authored)
        {
            return new TrackKey(frame, new[] { v.X, v.Y, v.Z }, authored);
        }

        public Quat AsQuat() { return new Quat(Value[0], Value[1], Value[2], Value[3]); }

        public Vec3 AsVec3() { return new Vec3(Value[0], Value[1], Value[2]); }

        public override string ToString()
        {
            return Frame + ": [" + string.Join(", ", Array.ConvertAll(Value, x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]" + (Authored ? " (authored)" : "");
        }
    }

    /// <summary>
    /// Splices generated frames into a track's authored keys (conformance README §3): keep the
    /// keys at and before the last context frame a, at the keyframes and from the last keyframe
    /// b on; replace everything strictly inside (a, b) with one key per generated frame; for
    /// rotations, keep quaternion hemisphere continuity without touching keys at or before a.
    /// </summary>
    public static class TrackSplicer
    {
        /// <summary>Two key frames closer than this are the same frame.</summary>
        public const double FrameEpsilon = 1e-4;

        /// <summary>
        /// The spliced keys in frame order. <paramref name="resultAt"/> gives the result's value
        /// at an integer clip frame in [a, b]; <paramref name="hemisphere"/>: rotations (4
        /// components) get the continuity walk. <paramref name="authored"/> is not modified.
        /// </summary>
        public static List<TrackKey> Splice(IList<TrackKey> authored, int a, int b, int[] keyframes, Func<int, float[]> resultAt, bool hemisphere)
        {
            if (b <= a) throw new ContractException("splice", "the last keyframe (" + b + ") must come after the last context frame (" + a + ")");
            var keys = new List<TrackKey>();
            // 2. Keep authored keys at frames <= a, >= b and at keyframes.
            foreach (var k in authored)
            {
                bool inside = k.Frame > a + FrameEpsilon && k.Frame < b - FrameEpsilon;
                if (inside && !IsKeyframe(k.Frame, keyframes)) continue;
                keys.Add(new TrackKey(k.Frame, (float[])k.Value.Clone(), true));
            }
            // 3. One key per generated frame; a and keyframes only where nothing was authored.
            for (int f = a; f <= b; f++)
            {
                bool known = f == a || IsKeyframe(f, keyframes);
                if (known && Find(keys, f) >= 0) continue;
                keys.Add(new TrackKey(f, (float[])resultAt(f).Clone(), false));
            }
            keys.Sort(CompareFrames);
            // 4. Hemisphere continuity.
            if (hemisphere) FixHemispheres(keys, a);
            return keys;
        }

        /// <summary>Splice of one joint's rotation from mapped result tracks.</summary>
        public static List<TrackKey> SpliceRotation(IList<TrackKey> authored, ClipTracks tracks, int clipJoint)
        {
            return Splice(authored, tracks.FirstFrame, tracks.LastFrame, tracks.Keyframes, f =>
            {
                var q = tracks.Rotation(clipJoint, f);
                return new[] { q.X, q.Y, q.Z, q.W };
            }, true);
        }

        /// <summary>Splice of one joint's position; the authored keys unchanged when the joint has
        /// no translation track.</summary>
        public static List<TrackKey> SplicePosition(IList<TrackKey> authored, ClipTracks tracks, int clipJoint)
        {
            if (!tracks.HasPositions(clipJoint))
            {
                var same = new List<TrackKey>();
                foreach (var k in authored) same.Add(new TrackKey(k.Frame, (float[])k.Value.Clone(), true));
                return same;
            }
            return Splice(authored, tracks.FirstFrame, tracks.LastFrame, tracks.Keyframes, f =>
            {
                var p = tracks.Position(clipJoint, f);
                return new[] { p.X, p.Y, p.Z };
            }, false);
        }

        /// <summary>
        /// Walks keys from the first at frame >= a; every key except authored ones at frames
        /// &lt;= a is negated when its dot product with the previous key is negative.
        /// </summary>
        public static void FixHemispheres(List<TrackKey> keys, int a)
        {
            int start = 0;
            while (start < keys.Count && keys[start].Frame < a - FrameEpsilon) start++;
            for (int i = Math.Max(start, 1); i < keys.Count; i++)
            {
                var k = keys[i];
                if (k.Authored && k.Frame <= a + FrameEpsilon) continue;
                var prev = keys[i - 1].Value;
                float dot = 0f;
                for (int c = 0; c < 4; c++) dot += k.Value[c] * prev[c];
                if (dot < 0f)
                    for (int c = 0; c < 4; c++) k.Value[c] = -k.Value[c];
            }
        }

        static bool IsKeyframe(double frame, int[] keyframes)
        {
            foreach (int k in keyframes)
                if (Math.Abs(frame - k) <= FrameEpsilon) return true;
            return false;
        }

        static int Find(List<TrackKey> keys, int frame)
        {
            for (int i = 0; i < keys.Count; i++)
                if (Math.Abs(keys[i].Frame - frame) <= FrameEpsilon) return i;
            return -1;
        }

        static int CompareFrames(TrackKey x, TrackKey y)
        {
            return x.Frame.CompareTo(y.Frame);
        }
    }
}
