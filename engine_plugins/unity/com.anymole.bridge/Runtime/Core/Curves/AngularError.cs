using System;
using System.Globalization;

namespace AnyMoLe.Bridge.Core.Curves
{
    /// <summary>
    /// Rotation error between what was meant to be written and what the clip plays back after
    /// writing (re-sampled), per joint and frame: guards against non-default Transform rotation
    /// orders on Euler curves, and measures Humanoid muscle-space loss.
    /// </summary>
    public sealed class AngularErrorReport
    {
        public float MaxDeg;
        public double MeanDeg;
        public int WorstJoint = -1;
        public string WorstJointName = "";
        public int WorstFrame = -1;
        public int Samples;

        /// <summary>Warn above this (degrees).</summary>
        public const float WarnDeg = 1.0f;

        /// <summary>
        /// <paramref name="expected"/> and <paramref name="actual"/>: [joint][frame]; frames are
        /// clip frames <paramref name="firstFrame"/> onwards. Null rows are skipped.
        /// </summary>
        public static AngularErrorReport Compute(Quat[][] expected, Quat[][] actual, string[] jointNames, int firstFrame)
        {
            var r = new AngularErrorReport();
            double sum = 0;
            for (int j = 0; j < expected.Length; j++)
            {
                if (expected[j] == null || actual[j] == null) continue;
                int n = Math.Min(expected[j].Length, actual[j].Length);
                for (int f = 0; f < n; f++)
                {
                    float e = Quat.AngleDeg(expected[j][f], actual[j][f]);
                    sum += e;
                    r.Samples++;
                    if (e > r.MaxDeg)
                    {
                        r.MaxDeg = e;
                        r.WorstJoint = j;
                        r.WorstJointName = jointNames != null && j < jointNames.Length ? jointNames[j] : j.ToString(CultureInfo.InvariantCulture);
                        r.WorstFrame = firstFrame + f;
                    }
                }
            }
            r.MeanDeg = r.Samples > 0 ? sum / r.Samples : 0;
            return r;
        }

        public bool IsLarge { get { return MaxDeg > WarnDeg; } }

        public string Summary()
        {
            if (Samples == 0) return "no rotations compared";
            string s = string.Format(CultureInfo.InvariantCulture, "re-sampled rotation error: max {0:0.###}°, mean {1:0.###}°", MaxDeg, MeanDeg);
            if (WorstJoint >= 0 && MaxDeg > 0)
                s += string.Format(CultureInfo.InvariantCulture, " (worst: {0} at frame {1})", WorstJointName, WorstFrame);
            return s;
        }
    }
}
