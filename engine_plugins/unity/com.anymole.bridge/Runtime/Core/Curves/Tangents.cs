using System;
using System.Collections.Generic;

namespace AnyMoLe.Bridge.Core.Curves
{
    /// <summary>Tangents of one scalar curve key (value units per second), as Unity's Keyframe.</summary>
    public struct KeyTangents
    {
        public float In;
        public float Out;
        /// <summary>False: leave the key's existing tangent on that side as authored.</summary>
        public bool SetIn;
        public bool SetOut;
    }

    /// <summary>
    /// Tangents for dense generated keys, computed here so the editor layer only copies them
    /// (Unity's ClampedAuto does the same in spirit: a central difference, flattened at local
    /// extrema so dense keys never overshoot). Only keys in the spliced range [a, b] change:
    /// the inner sides of the boundary keys a and b, and both sides of every key between.
    /// </summary>
    public static class Tangents
    {
        /// <summary>
        /// Tangents of component <paramref name="component"/> of <paramref name="keys"/> (frames at
        /// <paramref name="fps"/>), for the range [a, b].
        /// </summary>
        public static KeyTangents[] ForRange(IList<TrackKey> keys, int component, double fps, int a, int b)
        {
            int n = keys.Count;
            var result = new KeyTangents[n];
            for (int i = 0; i < n; i++)
            {
                double f = keys[i].Frame;
                bool setIn = f > a + TrackSplicer.FrameEpsilon && f <= b + TrackSplicer.FrameEpsilon;
                bool setOut = f >= a - TrackSplicer.FrameEpsilon && f < b - TrackSplicer.FrameEpsilon;
                if (!setIn && !setOut) continue;
                float slope = Slope(keys, i, component, fps);
                result[i] = new KeyTangents { In = slope, Out = slope, SetIn = setIn, SetOut = setOut };
            }
            return result;
        }

        /// <summary>Clamped central-difference slope at key i (value per second).</summary>
        public static float Slope(IList<TrackKey> keys, int i, int component, double fps)
        {
            int n = keys.Count;
            if (n < 2) return 0f;
            double t = keys[i].Frame / fps;
            double v = keys[i].Value[component];
            if (i == 0 || i == n - 1)
            {
                int j = i == 0 ? 1 : n - 2;
                double dt = keys[j].Frame / fps - t;
                return dt == 0 ? 0f : (float)((keys[j].Value[component] - v) / dt);
            }
            double tp = keys[i - 1].Frame / fps, tn = keys[i + 1].Frame / fps;
            double vp = keys[i - 1].Value[component], vn = keys[i + 1].Value[component];
            if ((v >= vp && v >= vn) || (v <= vp && v <= vn)) return 0f; // local extremum: flat
            double slope = (vn - vp) / (tn - tp);
            // Clamp so neither neighbouring segment's Hermite curve leaves [vp, v] or [v, vn].
            double maxLeft = 3.0 * Math.Abs(v - vp) / (t - tp);
            double maxRight = 3.0 * Math.Abs(vn - v) / (tn - t);
            double limit = Math.Min(maxLeft, maxRight);
            if (Math.Abs(slope) > limit) slope = Math.Sign(slope) * limit;
            return (float)slope;
        }
    }
}
