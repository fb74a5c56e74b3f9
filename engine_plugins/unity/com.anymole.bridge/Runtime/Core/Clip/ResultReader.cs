using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Contract;

namespace AnyMoLe.Bridge.Core.Clip
{
    /// <summary>
    /// A result mapped back onto the clip (conformance README §2): per clip joint, the local
    /// rotation and (for translated joints) position at every clip frame a..b, where a is the
    /// last context frame and b the last keyframe.
    /// </summary>
    public sealed class ClipTracks
    {
        /// <summary>a: clip frame of the first frame held (the last context frame).</summary>
        public int FirstFrame;
        /// <summary>b: clip frame of the last keyframe.</summary>
        public int LastFrame;
        /// <summary>Clip frames of the keyframes.</summary>
        public int[] Keyframes;
        /// <summary>[clip joint][clip frame - FirstFrame].</summary>
        public Quat[][] Rotations;
        /// <summary>[clip joint][clip frame - FirstFrame]; null for a joint without a translation
        /// track (its position keys stay untouched).</summary>
        public Vec3[][] Positions;
        public string[] JointNames;
        public List<string> Warnings = new List<string>();

        public int FrameCount { get { return LastFrame - FirstFrame + 1; } }

        public Quat Rotation(int clipJoint, int clipFrame)
        {
            return Rotations[clipJoint][clipFrame - FirstFrame];
        }

        public bool HasPositions(int clipJoint)
        {
            return Positions[clipJoint] != null;
        }

        public Vec3 Position(int clipJoint, int clipFrame)
        {
            return Positions[clipJoint][clipFrame - FirstFrame];
        }

        public bool IsKeyframe(int clipFrame)
        {
            return Array.IndexOf(Keyframes, clipFrame) >= 0;
        }

        public int JointIndex(string name)
        {
            return Array.IndexOf(JointNames, name);
        }
    }

    /// <summary>Reads a TransitionResult (or a MotionPreview) against the plan that asked for it.</summary>
    public static class ResultReader
    {
        /// <summary>
        /// Maps <paramref name="result"/> onto clip frames. Checks that it covers the requested
        /// range at the timeline's frame rate with every joint; throws
        /// <see cref="ContractException"/> naming the field otherwise.
        /// </summary>
        public static ClipTracks Read(TransitionPlan plan, TransitionResultData result)
        {
            const string path = "result";
            var motion = result.Motion;
            if (motion == null) throw new ContractException(path + ".motion", "missing");
            if (motion.JointCount != plan.JointCount)
                throw new ContractException(path + ".motion.rotations", "expected " + plan.JointCount + " joints, got " + motion.JointCount);
            if (result.Fps > 0 && Math.Abs(result.Fps - plan.Fps) > 1e-6 * plan.Fps)
                throw new ContractException(path + ".fps", "expected the timeline's " + plan.Fps + " fps, got " + result.Fps);
            if (!SameInts(motion.TranslatedJoints, plan.TranslatedJoints))
                throw new ContractException(path + ".motion.translatedJoints", "expected the request's [" + string.Join(", ", Array.ConvertAll(plan.TranslatedJoints, x => x.ToString())) + "]");

            int a = plan.Selection.ContextLast, b = plan.Selection.LastKeyframe;
            int firstClip = result.FirstFrame + plan.Selection.ContextFirst;
            int lastClip = firstClip + motion.FrameCount - 1;
            if (firstClip > a || lastClip < b)
                throw new ContractException(path + ".firstFrame", "the result covers clip frames " + firstClip + ".." + lastClip + " but " + a + ".." + b + " were asked for");

            int J = plan.JointCount, n = b - a + 1;
            var tracks = new ClipTracks
            {
                FirstFrame = a,
                LastFrame = b,
                Keyframes = (int[])plan.Selection.Keyframes.Clone(),
                Rotations = new Quat[J][],
                Positions = new Vec3[J][],
                JointNames = new string[J],
            };
            for (int i = 0; i < J; i++)
            {
                int cj = plan.Order[i];
                tracks.JointNames[cj] = plan.JointNames[i];
                var rot = new Quat[n];
                for (int f = 0; f < n; f++) rot[f] = motion.Rotation(a + f - firstClip, i);
                tracks.Rotations[cj] = rot;
                int slot = plan.TranslationSlot(i);
                if (slot >= 0)
                {
                    var pos = new Vec3[n];
                    for (int f = 0; f < n; f++) pos[f] = motion.Translation(a + f - firstClip, slot);
                    tracks.Positions[cj] = pos;
                }
            }
            tracks.Warnings.AddRange(result.Warnings);
            return tracks;
        }

        static bool SameInts(int[] x, int[] y)
        {
            if (x.Length != y.Length) return false;
            for (int i = 0; i < x.Length; i++)
                if (x[i] != y[i]) return false;
            return true;
        }

        /// <summary>
        /// Largest difference between what was sampled and what came back at the known frames
        /// (the last context frame and the keyframes): rotation in degrees, position in caller
        /// units. The contract says they come back bit-identical; editors warn otherwise.
        /// </summary>
        public static void KnownFrameError(ClipSample clip, ClipTracks tracks, out float maxAngleDeg, out float maxPositionDiff)
        {
            maxAngleDeg = 0f;
            maxPositionDiff = 0f;
            var known = new List<int>(tracks.Keyframes);
            known.Add(tracks.FirstFrame);
            foreach (int f in known)
            {
                var frame = clip.Frames[f];
                for (int j = 0; j < clip.Joints.Count; j++)
                {
                    maxAngleDeg = Math.Max(maxAngleDeg, Quat.AngleDeg(frame.Rotations[j], tracks.Rotation(j, f)));
                    if (tracks.HasPositions(j)) maxPositionDiff = Math.Max(maxPositionDiff, Vec3.MaxAbsDiff(frame.Positions[j], tracks.Position(j, f)));
                }
            }
        }
    }
}
