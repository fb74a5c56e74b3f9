using System;
using System.Collections.Generic;

namespace AnyMoLe.Bridge.Core.Clip
{
    /// <summary>
    /// Turns what a user picks in an editor — "generate from frame <c>start</c> to frame
    /// <c>end</c>" — into a <see cref="Selection"/>, with messages that name the problem before
    /// anything is sent or written.
    /// </summary>
    public static class SelectionPlanner
    {
        /// <summary>Context length of the reference method: 61 frames (about 2 s at 30 fps).</summary>
        public const int DefaultContextFrames = 61;

        /// <summary>
        /// The selection for a gap. <paramref name="start"/>: the last context frame (the gap
        /// opens after it); <paramref name="end"/>: the target key (the last keyframe).
        /// <paramref name="authoredKeyFrames"/>: the clip's key frames (any curve), for the
        /// "no keys after the range" check and, when <paramref name="interiorKeysAsTargets"/>,
        /// extra keyframes inside the gap. <paramref name="maxFrames"/>: the server's timeline
        /// limit (0: none).
        /// </summary>
        public static Selection ForGap(int start, int end, int contextFrames, int clipFrameCount, IEnumerable<double> authoredKeyFrames, bool interiorKeysAsTargets, int maxFrames)
        {
            if (contextFrames < 1) throw new ContractException("contextFrames", "must be at least 1, got " + contextFrames);
            if (start < 0) throw new ContractException("range.start", "must be frame 0 or later, got " + start);
            if (end <= start)
                throw new ContractException("range.end", "the range ends at frame " + end + ", not after its start (frame " + start + "): the target must come after the context");
            if (end >= clipFrameCount)
                throw new ContractException("range.end", "frame " + end + " is past the clip's last frame (" + (clipFrameCount - 1) + ")");
            if (end == start + 1)
                throw new ContractException("range.end", "frames " + start + " and " + end + " are adjacent: there is nothing to generate between them");
            var keys = new List<double>(authoredKeyFrames ?? new double[0]);
            bool keyAtEnd = false;
            foreach (var k in keys)
                if (Math.Abs(k - end) < 1e-3) keyAtEnd = true;
            bool keyAfter = false;
            foreach (var k in keys)
                if (k >= end - 1e-3) keyAfter = true;
            if (!keyAfter)
                throw new ContractException("range.end", "the clip has no keys at or after frame " + end + ": key the pose the transition should reach first");
            if (!keyAtEnd)
                throw new ContractException("range.end", "the clip has no key at frame " + end + ": the target must be an authored key (use the next key's frame)");
            var targets = new List<int>();
            if (interiorKeysAsTargets)
            {
                foreach (var k in keys)
                {
                    int f = (int)Math.Round(k);
                    if (Math.Abs(k - f) < 1e-3 && f > start + 1 && f < end && !targets.Contains(f)) targets.Add(f);
                }
                targets.Sort();
            }
            targets.Add(end);
            int first = Math.Max(0, start - contextFrames + 1);
            if (maxFrames > 0 && end - first + 1 > maxFrames)
            {
                first = end - maxFrames + 1;
                if (first > start)
                    throw new ContractException("range", "the gap (" + (end - start) + " frames) is longer than the server allows (" + maxFrames + " frames in all)");
            }
            return new Selection { ContextFirst = first, ContextLast = start, Keyframes = targets.ToArray() };
        }
    }

    /// <summary>Matching clip curve paths to a character's joints.</summary>
    public static class JointPaths
    {
        /// <summary>
        /// Paths animated by the clip (Transform curves) that no joint of the character has: a
        /// clip made for another rig or a renamed bone. Editors refuse with the list, since the
        /// generated motion could not be written there.
        /// </summary>
        public static List<string> Missing(IEnumerable<string> clipPaths, IEnumerable<string> characterPaths)
        {
            var have = new HashSet<string>(characterPaths);
            var missing = new List<string>();
            foreach (var p in clipPaths)
                if (!have.Contains(p) && !missing.Contains(p)) missing.Add(p);
            missing.Sort(StringComparer.Ordinal);
            return missing;
        }

        /// <summary>"a, b, c and 4 more" for messages.</summary>
        public static string Summarise(IList<string> items, int max)
        {
            if (items.Count <= max) return string.Join(", ", items);
            var head = new List<string>();
            for (int i = 0; i < max; i++) head.Add(items[i]);
            return string.Join(", ", head) + " and " + (items.Count - max) + " more";
        }

        /// <summary>The joint name for a Transform path ("Hips/Spine/Chest" → "Chest"); the root's
        /// empty path → <paramref name="rootName"/>. Names must be unique per rig, so duplicates
        /// get their full path instead.</summary>
        public static string[] UniqueNames(IList<string> paths, string rootName)
        {
            var names = new string[paths.Count];
            var counts = new Dictionary<string, int>();
            for (int i = 0; i < paths.Count; i++)
            {
                string p = paths[i];
                string leaf = p.Length == 0 ? rootName : p.Substring(p.LastIndexOf('/') + 1);
                names[i] = leaf;
                int c;
                counts.TryGetValue(leaf, out c);
                counts[leaf] = c + 1;
            }
            for (int i = 0; i < names.Length; i++)
                if (counts[names[i]] > 1) names[i] = paths[i].Length == 0 ? rootName : paths[i];
            return names;
        }
    }
}
