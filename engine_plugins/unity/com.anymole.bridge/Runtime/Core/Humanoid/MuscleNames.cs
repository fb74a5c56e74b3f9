using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace AnyMoLe.Bridge.Core.Humanoid
{
    /// <summary>
    /// Humanoid muscle names: HumanTrait.MuscleName spells finger muscles "Left Thumb 1
    /// Stretched", but the Animator curves of a humanoid clip are "LeftHand.Thumb.1 Stretched"
    /// (and "Left Index Spread" ↔ "LeftHand.Index.Spread"). Every other muscle has the same name
    /// in both places. Also the root and IK-goal curve names.
    /// </summary>
    public static class MuscleNames
    {
        static readonly Regex Finger = new Regex(@"^(Left|Right) (Thumb|Index|Middle|Ring|Little) (1 Stretched|2 Stretched|3 Stretched|Spread)$", RegexOptions.CultureInvariant);
        static readonly Regex FingerCurve = new Regex(@"^(Left|Right)Hand\.(Thumb|Index|Middle|Ring|Little)\.(1 Stretched|2 Stretched|3 Stretched|Spread)$", RegexOptions.CultureInvariant);

        /// <summary>The Animator curve attribute for a HumanTrait.MuscleName.</summary>
        public static string CurveName(string muscleName)
        {
            var m = Finger.Match(muscleName);
            if (!m.Success) return muscleName;
            return m.Groups[1].Value + "Hand." + m.Groups[2].Value + "." + m.Groups[3].Value;
        }

        /// <summary>The HumanTrait.MuscleName for an Animator curve attribute.</summary>
        public static string MuscleName(string curveName)
        {
            var m = FingerCurve.Match(curveName);
            if (!m.Success) return curveName;
            return m.Groups[1].Value + " " + m.Groups[2].Value + " " + m.Groups[3].Value;
        }

        /// <summary>Root motion curves: body position (RootT, normalised by the avatar's human
        /// scale) and rotation (RootQ, a quaternion).</summary>
        public static readonly string[] RootT = { "RootT.x", "RootT.y", "RootT.z" };
        public static readonly string[] RootQ = { "RootQ.x", "RootQ.y", "RootQ.z", "RootQ.w" };

        /// <summary>IK goals a humanoid clip may carry; regenerate them over the range, or Foot IK
        /// reads stale goals.</summary>
        public static readonly string[] IkGoals = { "LeftFoot", "RightFoot", "LeftHand", "RightHand" };

        public static string[] GoalT(string goal) { return new[] { goal + "T.x", goal + "T.y", goal + "T.z" }; }

        public static string[] GoalQ(string goal) { return new[] { goal + "Q.x", goal + "Q.y", goal + "Q.z", goal + "Q.w" }; }

        /// <summary>True for an Animator curve of a humanoid clip (root, goal or muscle), given the
        /// muscle names of HumanTrait.</summary>
        public static bool IsHumanoidCurve(string attribute, ICollection<string> muscleNames)
        {
            if (attribute.StartsWith("RootT.") || attribute.StartsWith("RootQ.")) return true;
            foreach (var g in IkGoals)
                if (attribute.StartsWith(g + "T.") || attribute.StartsWith(g + "Q.")) return true;
            return muscleNames.Contains(MuscleName(attribute));
        }
    }
}
