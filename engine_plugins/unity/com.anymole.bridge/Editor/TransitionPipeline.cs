// The steps the window and the batch bake share: check the clip and the range, sample, build the
// request (Core), and after the job, read the result (Core) and write it (ClipWriter).
using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;
using UnityEditor;
using UnityEngine;
using Object = UnityEngine.Object;

namespace AnyMoLe.Bridge.Editor
{
    /// <summary>A sampled clip and its request, ready to send.</summary>
    public sealed class PreparedTransition : IDisposable
    {
        public AnimationClip Clip;
        public CharacterRig Rig;
        public ClipSample Sample;
        public TransitionPlan Plan;

        public void Dispose()
        {
            if (Rig != null) Rig.Dispose();
            Rig = null;
        }
    }

    public static class TransitionPipeline
    {
        /// <summary>Whether the clip can be written in place (not a read-only sub-asset of a
        /// model, not locked by version control), and why not.</summary>
        public static bool IsEditable(AnimationClip clip, out string why)
        {
            why = "";
            if (clip == null) { why = "no clip"; return false; }
            if ((clip.hideFlags & HideFlags.NotEditable) != 0)
            {
                why = "\"" + clip.name + "\" is read-only (a clip inside an imported model). Duplicate it to an .anim first.";
                return false;
            }
            string path = AssetDatabase.GetAssetPath(clip);
            if (!string.IsNullOrEmpty(path) && !AssetDatabase.IsOpenForEdit(path))
            {
                why = "\"" + path + "\" is not open for edit (version control): check it out first.";
                return false;
            }
            return true;
        }

        /// <summary>"Duplicate to .anim": an editable copy next to the model (or at
        /// <paramref name="targetPath"/>), selected and returned.</summary>
        public static AnimationClip DuplicateToAnim(AnimationClip source, string targetPath)
        {
            if (string.IsNullOrEmpty(targetPath))
            {
                string src = AssetDatabase.GetAssetPath(source);
                string dir = string.IsNullOrEmpty(src) ? "Assets" : System.IO.Path.GetDirectoryName(src).Replace('\\', '/');
                targetPath = AssetDatabase.GenerateUniqueAssetPath(dir + "/" + source.name + ".anim");
            }
            var copy = new AnimationClip();
            EditorUtility.CopySerialized(source, copy);
            copy.hideFlags = HideFlags.None;
            var existing = AssetDatabase.LoadAssetAtPath<AnimationClip>(targetPath);
            if (existing != null)
            {
                Undo.RegisterCompleteObjectUndo(existing, "Overwrite clip (AnyMoLe)");
                EditorUtility.CopySerialized(copy, existing);
                Object.DestroyImmediate(copy);
                EditorUtility.SetDirty(existing);
                AssetDatabase.SaveAssetIfDirty(existing);
                return existing;
            }
            AssetDatabase.CreateAsset(copy, targetPath);
            AssetDatabase.SaveAssets();
            Undo.RegisterCreatedObjectUndo(copy, "Duplicate clip (AnyMoLe)");
            return copy;
        }

        /// <summary>Frames of every key of every curve of the clip (fractional where keys sit
        /// between frames).</summary>
        public static List<double> KeyFrames(AnimationClip clip)
        {
            var frames = new SortedDictionary<double, bool>();
            foreach (var b in AnimationUtility.GetCurveBindings(clip))
            {
                var curve = AnimationUtility.GetEditorCurve(clip, b);
                if (curve == null) continue;
                foreach (var k in curve.keys) frames[Math.Round(k.time * clip.frameRate, 4)] = true;
            }
            return new List<double>(frames.Keys);
        }

        public static int FrameCount(AnimationClip clip)
        {
            return Mathf.RoundToInt(clip.length * clip.frameRate) + 1;
        }

        /// <summary>
        /// Checks and samples. Throws <see cref="ContractException"/> naming the problem (no
        /// clip, read-only clip, joints missing from the character, a bad range); nothing is
        /// changed when it throws.
        /// </summary>
        public static PreparedTransition Prepare(AnimationClip clip, GameObject character, int start, int end, int contextFrames, bool interiorKeysAsTargets, JsonValue options, int maxFrames, bool requireEditable)
        {
            if (clip == null) throw new ContractException("clip", "pick an AnimationClip");
            string why;
            if (requireEditable && !IsEditable(clip, out why)) throw new ContractException("clip", why);
            if (clip.legacy) throw new ContractException("clip", "\"" + clip.name + "\" is a Legacy clip; only Mecanim (Generic or Humanoid) clips are supported");
            var selection = SelectionPlanner.ForGap(start, end, contextFrames, FrameCount(clip), KeyFrames(clip), interiorKeysAsTargets, maxFrames);
            var rig = CharacterRig.Create(character, clip);
            try
            {
                if (rig.MissingPaths.Count > 0)
                    throw new ContractException("character", "the clip animates " + rig.MissingPaths.Count + " joint(s) the character does not have: "
                        + JointPaths.Summarise(rig.MissingPaths, 5) + ". Pick the character this clip was made for.");
                if (clip.isHumanMotion && !rig.IsHuman)
                    throw new ContractException("character", "\"" + clip.name + "\" is a Humanoid clip but \"" + character.name + "\" has no humanoid Avatar");
                var frames = new List<int>();
                for (int f = selection.ContextFirst; f <= selection.ContextLast; f++) frames.Add(f);
                frames.AddRange(selection.Keyframes);
                var sample = rig.Sample(clip, frames, FrameCount(clip));
                var plan = RequestBuilder.Build(sample, selection, options);
                return new PreparedTransition { Clip = clip, Rig = rig, Sample = sample, Plan = plan };
            }
            catch
            {
                rig.Dispose();
                throw;
            }
        }

        /// <summary>Reads the result against the plan and writes it into <paramref name="target"/>
        /// (the prepared clip, or a copy of it).</summary>
        public static WriteReport Apply(PreparedTransition p, TransitionResultData result, AnimationClip target, bool undo)
        {
            var tracks = ResultReader.Read(p.Plan, result);
            float angle, pos;
            ResultReader.KnownFrameError(p.Sample, tracks, out angle, out pos);
            var report = ClipWriter.Write(target ?? p.Clip, p.Rig, tracks, undo, true);
            if (angle > 1e-3f || pos > 1e-5f)
                report.Warnings.Add("The server changed known frames (max " + angle.ToString("0.###") + "°, " + pos.ToString("0.#####") + " units); authored keys were kept.");
            report.Warnings.AddRange(tracks.Warnings);
            if (report.ResampleError != null && report.ResampleError.IsLarge)
                report.Warnings.Add(report.ResampleError.Summary() + ": check the Transform's rotation order or the Euler curves of " + report.ResampleError.WorstJointName + ".");
            if (report.HumanoidRoundTrip != null && report.HumanoidRoundTrip.IsLarge)
                report.Warnings.Add("Humanoid muscle space loses up to " + report.HumanoidRoundTrip.MaxDeg.ToString("0.#") + "° (" + report.HumanoidRoundTrip.WorstJointName + "): muscle limits or twist distribution differ from the generated pose.");
            return report;
        }
    }
}
