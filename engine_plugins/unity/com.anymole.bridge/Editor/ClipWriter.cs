// Writing generated tracks back into an AnimationClip: the Core splices keys (boundary keys
// kept, one key per generated frame, hemisphere continuity, Euler unwrap, tangents); this file
// only moves keys between AnimationCurves and the Core and commits everything in one
// AnimationUtility.SetEditorCurves call with Undo, reloads locked.
using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Curves;
using AnyMoLe.Bridge.Core.Humanoid;
using UnityEditor;
using UnityEngine;

namespace AnyMoLe.Bridge.Editor
{
    /// <summary>What a write did.</summary>
    public sealed class WriteReport
    {
        public int CurvesWritten;
        public int KeysWritten;
        public AngularErrorReport ResampleError;
        /// <summary>Humanoid only: generated pose → muscles → pose.</summary>
        public AngularErrorReport HumanoidRoundTrip;
        public List<string> Warnings = new List<string>();

        public string Summary()
        {
            var s = "Wrote " + KeysWritten + " keys on " + CurvesWritten + " curves. ";
            if (ResampleError != null) s += ResampleError.Summary() + ".";
            if (HumanoidRoundTrip != null) s += " Humanoid muscle round trip: max " + HumanoidRoundTrip.MaxDeg.ToString("0.##") + "°.";
            return s;
        }
    }

    public static class ClipWriter
    {
        sealed class PendingCurve
        {
            public EditorCurveBinding Binding;
            public AnimationCurve Curve;
        }

        /// <summary>
        /// Writes <paramref name="tracks"/> into <paramref name="clip"/>. <paramref name="undo"/>
        /// false for temporary preview clips. Nothing is written when an exception escapes
        /// before the SetEditorCurves call.
        /// </summary>
        public static WriteReport Write(AnimationClip clip, CharacterRig rig, ClipTracks tracks, bool undo, bool resample)
        {
            var report = new WriteReport();
            var pending = clip.isHumanMotion ? HumanoidCurves(clip, rig, tracks, report) : GenericCurves(clip, rig, tracks, report);
            if (pending.Count == 0) return report;
            var bindings = new EditorCurveBinding[pending.Count];
            var curves = new AnimationCurve[pending.Count];
            for (int i = 0; i < pending.Count; i++)
            {
                bindings[i] = pending[i].Binding;
                curves[i] = pending[i].Curve;
                report.KeysWritten += pending[i].Curve.length;
            }
            report.CurvesWritten = pending.Count;

            EditorApplication.LockReloadAssemblies();
            try
            {
                if (undo) Undo.RegisterCompleteObjectUndo(clip, "Generate Transition (AnyMoLe)");
                AnimationUtility.SetEditorCurves(clip, bindings, curves);
                clip.EnsureQuaternionContinuity();
                if (undo)
                {
                    EditorUtility.SetDirty(clip);
                    AssetDatabase.SaveAssetIfDirty(clip);
                }
            }
            finally
            {
                EditorApplication.UnlockReloadAssemblies();
            }
            if (resample) report.ResampleError = Resample(clip, rig, tracks);
            return report;
        }

        // ---- Generic ------------------------------------------------------------------------

        static List<PendingCurve> GenericCurves(AnimationClip clip, CharacterRig rig, ClipTracks tracks, WriteReport report)
        {
            var byPath = new Dictionary<string, List<EditorCurveBinding>>();
            foreach (var b in AnimationUtility.GetCurveBindings(clip))
            {
                if (b.type != typeof(Transform)) continue;
                List<EditorCurveBinding> list;
                if (!byPath.TryGetValue(b.path, out list)) byPath[b.path] = list = new List<EditorCurveBinding>();
                list.Add(b);
            }
            var spellings = new List<RotationSpelling>();
            foreach (var kv in byPath) spellings.Add(TransformCurveNames.SpellingOfPath(Names(kv.Value)));
            var newPathSpelling = TransformCurveNames.DefaultForNewPaths(spellings);

            var pending = new List<PendingCurve>();
            double fps = clip.frameRate;
            for (int j = 0; j < rig.Joints.Length; j++)
            {
                string path = rig.Paths[j];
                List<EditorCurveBinding> existing;
                byPath.TryGetValue(path, out existing);
                if (existing == null && IsStatic(tracks, j)) continue; // nothing animated, nothing generated
                var spelling = existing != null ? TransformCurveNames.SpellingOfPath(Names(existing)) : RotationSpelling.None;
                if (spelling == RotationSpelling.None) spelling = newPathSpelling;

                var rotProps = TransformCurveNames.RotationProperties(spelling);
                var rotCurves = Curves(clip, path, rotProps);
                var authored = AuthoredKeys(rotCurves, fps);
                List<TrackKey> keys;
                if (spelling == RotationSpelling.Quaternion)
                {
                    keys = TrackSplicer.SpliceRotation(authored, tracks, j);
                }
                else
                {
                    // Quaternion.eulerAngles is Unity's own Z-X-Y conversion.
                    keys = EulerUnwrap.SpliceEuler(authored, tracks, j, q => UnityConvert.ToCore(UnityConvert.ToUnity(q).eulerAngles));
                }
                AddCurves(pending, path, typeof(Transform), rotProps, rotCurves, keys, fps, tracks);

                if (tracks.HasPositions(j))
                {
                    var posProps = TransformCurveNames.PositionProperties();
                    var posCurves = Curves(clip, path, posProps);
                    bool hasPositionCurves = posCurves[0] != null || posCurves[1] != null || posCurves[2] != null;
                    if (!hasPositionCurves && IsStaticPosition(tracks, j)) continue; // a root that does not move
                    var posKeys = TrackSplicer.SplicePosition(AuthoredKeys(posCurves, fps), tracks, j);
                    AddCurves(pending, path, typeof(Transform), posProps, posCurves, posKeys, fps, tracks);
                }
            }
            return pending;
        }

        static bool IsStatic(ClipTracks tracks, int j)
        {
            var q0 = tracks.Rotations[j][0];
            foreach (var q in tracks.Rotations[j])
                if (Quat.AngleDeg(q, q0) > 1e-4f) return false;
            return IsStaticPosition(tracks, j);
        }

        static bool IsStaticPosition(ClipTracks tracks, int j)
        {
            if (!tracks.HasPositions(j)) return true;
            var p0 = tracks.Positions[j][0];
            foreach (var p in tracks.Positions[j])
                if (Vec3.MaxAbsDiff(p, p0) > 1e-6f) return false;
            return true;
        }

        static IEnumerable<string> Names(List<EditorCurveBinding> bindings)
        {
            foreach (var b in bindings) yield return b.propertyName;
        }

        static AnimationCurve[] Curves(AnimationClip clip, string path, string[] props)
        {
            var curves = new AnimationCurve[props.Length];
            for (int c = 0; c < props.Length; c++)
                curves[c] = AnimationUtility.GetEditorCurve(clip, EditorCurveBinding.FloatCurve(path, typeof(Transform), props[c]));
            return curves;
        }

        static AnimationCurve[] AnimatorCurves(AnimationClip clip, string[] props)
        {
            var curves = new AnimationCurve[props.Length];
            for (int c = 0; c < props.Length; c++)
                curves[c] = AnimationUtility.GetEditorCurve(clip, EditorCurveBinding.FloatCurve("", typeof(Animator), props[c]));
            return curves;
        }

        /// <summary>Authored keys at the union of the components' key times (missing components
        /// evaluated there, as Unity itself combines Transform curves).</summary>
        static List<TrackKey> AuthoredKeys(AnimationCurve[] curves, double fps)
        {
            var times = new SortedDictionary<double, bool>();
            foreach (var c in curves)
                if (c != null)
                    foreach (var k in c.keys) times[Math.Round(k.time * fps, 4)] = true;
            var keys = new List<TrackKey>();
            foreach (var frame in times.Keys)
            {
                var v = new float[curves.Length];
                for (int c = 0; c < curves.Length; c++) v[c] = curves[c] != null ? curves[c].Evaluate((float)(frame / fps)) : 0f;
                keys.Add(new TrackKey(frame, v, true));
            }
            return keys;
        }

        /// <summary>One AnimationCurve per component from spliced keys: authored keys keep their
        /// Keyframe (tangent modes, weights) except the inner tangents the Core recomputes.</summary>
        static void AddCurves(List<PendingCurve> pending, string path, Type type, string[] props, AnimationCurve[] original, List<TrackKey> keys, double fps, ClipTracks tracks)
        {
            for (int c = 0; c < props.Length; c++)
            {
                var tangents = Tangents.ForRange(keys, c, fps, tracks.FirstFrame, tracks.LastFrame);
                var frames = new Keyframe[keys.Count];
                for (int i = 0; i < keys.Count; i++)
                {
                    var k = keys[i];
                    float time = (float)(k.Frame / fps);
                    Keyframe kf;
                    int match = k.Authored && original[c] != null ? FindKey(original[c], time) : -1;
                    if (match >= 0)
                    {
                        kf = original[c][match];
                        kf.value = k.Value[c]; // may be negated (hemisphere) or unwrapped
                    }
                    else
                    {
                        kf = new Keyframe(time, k.Value[c]);
                    }
                    if (tangents[i].SetIn) kf.inTangent = tangents[i].In;
                    if (tangents[i].SetOut) kf.outTangent = tangents[i].Out;
                    if (tangents[i].SetIn || tangents[i].SetOut) kf.weightedMode = WeightedMode.None;
                    frames[i] = kf;
                }
                var curve = new AnimationCurve(frames);
                if (original[c] != null)
                {
                    curve.preWrapMode = original[c].preWrapMode;
                    curve.postWrapMode = original[c].postWrapMode;
                }
                for (int i = 0; i < keys.Count; i++)
                {
                    if (tangents[i].SetIn) AnimationUtility.SetKeyLeftTangentMode(curve, i, AnimationUtility.TangentMode.Free);
                    if (tangents[i].SetOut) AnimationUtility.SetKeyRightTangentMode(curve, i, AnimationUtility.TangentMode.Free);
                }
                // SetKey*TangentMode(Free) keeps the values we set; re-apply them in case a
                // Unity version recomputes.
                for (int i = 0; i < keys.Count; i++)
                {
                    if (!tangents[i].SetIn && !tangents[i].SetOut) continue;
                    var kf = curve[i];
                    if (tangents[i].SetIn) kf.inTangent = tangents[i].In;
                    if (tangents[i].SetOut) kf.outTangent = tangents[i].Out;
                    curve.MoveKey(i, kf);
                }
                pending.Add(new PendingCurve
                {
                    Binding = EditorCurveBinding.FloatCurve(path, type, props[c]),
                    Curve = curve,
                });
            }
        }

        static int FindKey(AnimationCurve curve, float time)
        {
            for (int i = 0; i < curve.length; i++)
                if (Mathf.Abs(curve[i].time - time) < 1e-4f) return i;
            return -1;
        }

        // ---- Humanoid -----------------------------------------------------------------------

        static List<PendingCurve> HumanoidCurves(AnimationClip clip, CharacterRig rig, ClipTracks tracks, WriteReport report)
        {
            if (!rig.IsHuman)
                throw new ContractException("character", "the clip is a Humanoid clip but the character has no valid humanoid Avatar on its Animator");
            double fps = clip.frameRate;
            int a = tracks.FirstFrame, b = tracks.LastFrame, n = b - a + 1;
            int muscleCount = HumanTrait.MuscleCount;
            var bodyPos = new Vector3[n];
            var bodyRot = new Quaternion[n];
            var muscles = new float[n][];
            var expected = new Quat[rig.Joints.Length][];
            var actual = new Quat[rig.Joints.Length][];
            for (int j = 0; j < rig.Joints.Length; j++)
            {
                expected[j] = new Quat[n];
                actual[j] = new Quat[n];
            }
            using (var handler = new HumanPoseHandler(rig.Animator.avatar, rig.Clone.transform))
            {
                var pose = new HumanPose();
                for (int i = 0; i < n; i++)
                {
                    rig.Apply(tracks, a + i);
                    rig.Clone.transform.localPosition = Vector3.zero;
                    rig.Clone.transform.localRotation = Quaternion.identity;
                    handler.GetHumanPose(ref pose);
                    bodyPos[i] = pose.bodyPosition;
                    bodyRot[i] = pose.bodyRotation;
                    muscles[i] = (float[])pose.muscles.Clone();
                    // round trip: muscles back onto the skeleton
                    for (int j = 0; j < rig.Joints.Length; j++) expected[j][i] = UnityConvert.ToCore(rig.Joints[j].localRotation);
                    handler.SetHumanPose(ref pose);
                    for (int j = 0; j < rig.Joints.Length; j++) actual[j][i] = UnityConvert.ToCore(rig.Joints[j].localRotation);
                }
            }
            rig.ResetPose();
            report.HumanoidRoundTrip = AngularErrorReport.Compute(Humanoid(rig, expected), Humanoid(rig, actual), rig.Names, a);

            var pending = new List<PendingCurve>();
            Func<int, int> idx = f => f - a;
            SpliceAnimator(pending, clip, MuscleNames.RootT, fps, tracks, f => { var p = bodyPos[idx(f)]; return new[] { p.x, p.y, p.z }; }, false);
            SpliceAnimator(pending, clip, MuscleNames.RootQ, fps, tracks, f => { var q = bodyRot[idx(f)]; return new[] { q.x, q.y, q.z, q.w }; }, true);
            for (int m = 0; m < muscleCount; m++)
            {
                int mm = m;
                SpliceAnimator(pending, clip, new[] { MuscleNames.CurveName(HumanTrait.MuscleName[m]) }, fps, tracks, f => new[] { muscles[idx(f)][mm] }, false);
            }
            foreach (var goal in MuscleNames.IkGoals)
            {
                if (AnimationUtility.GetEditorCurve(clip, EditorCurveBinding.FloatCurve("", typeof(Animator), goal + "T.x")) != null)
                {
                    report.Warnings.Add("The clip carries IK-goal curves (" + goal + "T/Q); they keep their authored keys inside the gap. Turn Foot IK off on the state, or re-bake the goals.");
                    break;
                }
            }
            return pending;
        }

        static Quat[][] Humanoid(CharacterRig rig, Quat[][] rows)
        {
            // Compare only bones the avatar maps: the others are not driven by muscles.
            var mapped = new HashSet<Transform>();
            for (int i = 0; i < HumanTrait.BoneCount; i++)
            {
                var t = rig.Animator.GetBoneTransform((HumanBodyBones)i);
                if (t != null) mapped.Add(t);
            }
            var r = new Quat[rows.Length][];
            for (int j = 0; j < rows.Length; j++) r[j] = mapped.Contains(rig.Joints[j]) ? rows[j] : null;
            return r;
        }

        static void SpliceAnimator(List<PendingCurve> pending, AnimationClip clip, string[] props, double fps, ClipTracks tracks, Func<int, float[]> valueAt, bool rotation)
        {
            var curves = AnimatorCurves(clip, props);
            var keys = TrackSplicer.Splice(AuthoredKeys(curves, fps), tracks.FirstFrame, tracks.LastFrame, tracks.Keyframes, valueAt, rotation);
            // Humanoid curves are Animator curves on the root ("").
            AddCurves(pending, "", typeof(Animator), props, curves, keys, fps, tracks);
        }

        // ---- Verification -------------------------------------------------------------------

        /// <summary>Samples the written clip over [a, b] and compares with what was meant.</summary>
        public static AngularErrorReport Resample(AnimationClip clip, CharacterRig rig, ClipTracks tracks)
        {
            int n = tracks.FrameCount;
            var actual = new Quat[rig.Joints.Length][];
            for (int j = 0; j < actual.Length; j++) actual[j] = new Quat[n];
            for (int i = 0; i < n; i++)
            {
                rig.SampleFrame(clip, tracks.FirstFrame + i);
                for (int j = 0; j < rig.Joints.Length; j++) actual[j][i] = UnityConvert.ToCore(rig.Joints[j].localRotation);
            }
            rig.ResetPose();
            var expected = tracks.Rotations;
            if (clip.isHumanMotion)
            {
                expected = Humanoid(rig, expected);
                actual = Humanoid(rig, actual);
            }
            return AngularErrorReport.Compute(expected, actual, rig.Names, tracks.FirstFrame);
        }
    }
}
