// Rigs and clips built in code for the EditMode tests (Unity only).
using System.Collections.Generic;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Clip;
using UnityEditor;
using UnityEngine;

namespace AnyMoLe.Bridge.Editor.Tests
{
    static class EditorFixtures
    {
        /// <summary>Root → Hips → Spine → Head, with an Animator (Generic).</summary>
        public static GameObject GenericRig()
        {
            var root = new GameObject("Rig");
            root.AddComponent<Animator>();
            var hips = Child(root.transform, "Hips", new Vector3(0, 1, 0));
            var spine = Child(hips, "Spine", new Vector3(0, 0.2f, 0));
            Child(spine, "Head", new Vector3(0, 0.3f, 0));
            return root;
        }

        public static Transform Child(Transform parent, string name, Vector3 local)
        {
            var t = new GameObject(name).transform;
            t.SetParent(parent, false);
            t.localPosition = local;
            return t;
        }

        static void Key(AnimationClip clip, string path, string prop, float[] frames, float[] values)
        {
            var keys = new Keyframe[frames.Length];
            for (int i = 0; i < frames.Length; i++) keys[i] = new Keyframe(frames[i] / clip.frameRate, values[i]);
            AnimationUtility.SetEditorCurve(clip, EditorCurveBinding.FloatCurve(path, typeof(Transform), prop), new AnimationCurve(keys));
        }

        /// <summary>Keys at frames 0, 10, 20, 30 on Hips (position + rotation) and Spine.</summary>
        public static AnimationClip GenericClip(bool euler)
        {
            var clip = new AnimationClip { frameRate = 30f };
            var frames = new[] { 0f, 10f, 20f, 30f };
            Key(clip, "Hips", "m_LocalPosition.x", frames, new[] { 0f, 0.1f, 0.2f, 0.3f });
            Key(clip, "Hips", "m_LocalPosition.y", frames, new[] { 1f, 1.05f, 1f, 1.05f });
            Key(clip, "Hips", "m_LocalPosition.z", frames, new[] { 0f, 0.3f, 0.6f, 0.9f });
            foreach (var path in new[] { "Hips", "Hips/Spine" })
            {
                if (euler)
                {
                    Key(clip, path, "localEulerAnglesRaw.x", frames, new[] { 0f, 20f, -10f, 30f });
                    Key(clip, path, "localEulerAnglesRaw.y", frames, new[] { 0f, 170f, 190f, 200f });
                    Key(clip, path, "localEulerAnglesRaw.z", frames, new[] { 0f, 0f, 5f, 0f });
                }
                else
                {
                    var qs = new[] { Quaternion.identity, Quaternion.Euler(20, 10, 0), Quaternion.Euler(-10, 30, 5), Quaternion.Euler(30, 0, 0) };
                    Key(clip, path, "m_LocalRotation.x", frames, new[] { qs[0].x, qs[1].x, qs[2].x, qs[3].x });
                    Key(clip, path, "m_LocalRotation.y", frames, new[] { qs[0].y, qs[1].y, qs[2].y, qs[3].y });
                    Key(clip, path, "m_LocalRotation.z", frames, new[] { qs[0].z, qs[1].z, qs[2].z, qs[3].z });
                    Key(clip, path, "m_LocalRotation.w", frames, new[] { qs[0].w, qs[1].w, qs[2].w, qs[3].w });
                }
            }
            return clip;
        }

        /// <summary>A fake result for a prepared transition: the clip's own sampled poses at the
        /// known frames, a slerp between them elsewhere (what a spline server would roughly do).</summary>
        public static AnyMoLe.Bridge.Core.Contract.TransitionResultData SlerpResult(PreparedTransition p)
        {
            var plan = p.Plan;
            int first = plan.ContextCount - 1, last = plan.KeyframeIndices[plan.KeyframeIndices.Length - 1];
            int n = last - first + 1, J = plan.JointCount, M = plan.TranslatedJoints.Length;
            var rot = new float[n * J * 4];
            var tr = new float[n * M * 3];
            var a = p.Sample.Frames[plan.ClipFrame(first)];
            var b = p.Sample.Frames[plan.ClipFrame(last)];
            for (int i = 0; i < n; i++)
            {
                float t = i / (float)(n - 1);
                for (int j = 0; j < J; j++)
                {
                    int cj = plan.Order[j];
                    var q = i == 0 ? a.Rotations[cj] : i == n - 1 ? b.Rotations[cj]
                        : UnityConvert.ToCore(Quaternion.Slerp(UnityConvert.ToUnity(a.Rotations[cj]), UnityConvert.ToUnity(b.Rotations[cj]), t));
                    rot[(i * J + j) * 4] = q.X; rot[(i * J + j) * 4 + 1] = q.Y; rot[(i * J + j) * 4 + 2] = q.Z; rot[(i * J + j) * 4 + 3] = q.W;
                }
                for (int m = 0; m < M; m++)
                {
                    int cj = plan.Order[plan.TranslatedJoints[m]];
                    var pa = a.Positions[cj];
                    var pb = b.Positions[cj];
                    var pos = i == 0 ? pa : i == n - 1 ? pb : new Vec3(pa.X + (pb.X - pa.X) * t, pa.Y + (pb.Y - pa.Y) * t, pa.Z + (pb.Z - pa.Z) * t);
                    tr[(i * M + m) * 3] = pos.X; tr[(i * M + m) * 3 + 1] = pos.Y; tr[(i * M + m) * 3 + 2] = pos.Z;
                }
            }
            return new AnyMoLe.Bridge.Core.Contract.TransitionResultData
            {
                Fps = plan.Fps,
                FirstFrame = first,
                Method = "test",
                Motion = new AnyMoLe.Bridge.Core.Contract.PackedMotion { FrameCount = n, JointCount = J, Rotations = rot, TranslatedJoints = plan.TranslatedJoints, Translations = tr },
            };
        }

        /// <summary>A minimal humanoid (the 15 required bones plus chest and neck) with a valid
        /// Avatar built by AvatarBuilder.</summary>
        public static GameObject HumanoidRig()
        {
            var root = new GameObject("Human");
            var bones = new Dictionary<string, Transform>();
            var hips = Child(root.transform, "Hips", new Vector3(0, 1, 0)); bones["Hips"] = hips;
            var spine = Child(hips, "Spine", new Vector3(0, 0.1f, 0)); bones["Spine"] = spine;
            var chest = Child(spine, "Chest", new Vector3(0, 0.15f, 0)); bones["Chest"] = chest;
            var neck = Child(chest, "Neck", new Vector3(0, 0.25f, 0)); bones["Neck"] = neck;
            bones["Head"] = Child(neck, "Head", new Vector3(0, 0.1f, 0));
            foreach (var side in new[] { "Left", "Right" })
            {
                float s = side == "Left" ? -1f : 1f;
                var ul = Child(hips, side + "UpperLeg", new Vector3(0.1f * s, -0.05f, 0)); bones[side + "UpperLeg"] = ul;
                var ll = Child(ul, side + "LowerLeg", new Vector3(0, -0.45f, 0)); bones[side + "LowerLeg"] = ll;
                bones[side + "Foot"] = Child(ll, side + "Foot", new Vector3(0, -0.45f, 0));
                var ua = Child(chest, side + "UpperArm", new Vector3(0.2f * s, 0.2f, 0)); bones[side + "UpperArm"] = ua;
                var la = Child(ua, side + "LowerArm", new Vector3(0.28f * s, 0, 0)); bones[side + "LowerArm"] = la;
                bones[side + "Hand"] = Child(la, side + "Hand", new Vector3(0.25f * s, 0, 0));
            }
            var human = new List<HumanBone>();
            foreach (var kv in bones)
                human.Add(new HumanBone { humanName = HumanName(kv.Key), boneName = kv.Key, limit = new HumanLimit { useDefaultValues = true } });
            var skeleton = new List<SkeletonBone>();
            foreach (var t in root.GetComponentsInChildren<Transform>())
                skeleton.Add(new SkeletonBone { name = t.name, position = t.localPosition, rotation = t.localRotation, scale = t.localScale });
            var description = new HumanDescription
            {
                human = human.ToArray(),
                skeleton = skeleton.ToArray(),
                upperArmTwist = 0.5f, lowerArmTwist = 0.5f, upperLegTwist = 0.5f, lowerLegTwist = 0.5f,
                armStretch = 0.05f, legStretch = 0.05f, feetSpacing = 0f, hasTranslationDoF = false,
            };
            var avatar = AvatarBuilder.BuildHumanAvatar(root, description);
            avatar.hideFlags = HideFlags.DontSave;
            var animator = root.AddComponent<Animator>();
            animator.avatar = avatar;
            return root;
        }

        static string HumanName(string bone)
        {
            // HumanTrait.BoneName spells them "Hips", "LeftUpperLeg", …; match ignoring spaces.
            foreach (var n in HumanTrait.BoneName)
                if (n.Replace(" ", "") == bone) return n;
            return bone;
        }
    }
}
