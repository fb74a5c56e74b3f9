// Sampling a clip on its character: a hidden clone posed with AnimationClip.SampleAnimation
// (never AnimationMode: that shares state with the Animation window and reverts on stop). The
// clone's root stays at the origin; joints are listed parents first.
using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Clip;
using UnityEditor;
using UnityEngine;
using Object = UnityEngine.Object;

namespace AnyMoLe.Bridge.Editor
{
    /// <summary>Conversions between UnityEngine and Core structs (same frame: no maths).</summary>
    public static class UnityConvert
    {
        public static Vec3 ToCore(Vector3 v) { return new Vec3(v.x, v.y, v.z); }
        public static Quat ToCore(Quaternion q) { return new Quat(q.x, q.y, q.z, q.w); }
        public static Vector3 ToUnity(Vec3 v) { return new Vector3(v.X, v.Y, v.Z); }
        public static Quaternion ToUnity(Quat q) { return new Quaternion(q.X, q.Y, q.Z, q.W); }
    }

    /// <summary>
    /// A hidden clone of a character and the joints the request is about: the root, every
    /// Transform the clip animates, every bone of its skinned meshes, and their ancestors.
    /// Dispose it (DestroyImmediate of the clone) when done.
    /// </summary>
    public sealed class CharacterRig : IDisposable
    {
        public GameObject Clone { get; private set; }
        /// <summary>Joints, parents first; Joints[0] is the root.</summary>
        public Transform[] Joints { get; private set; }
        /// <summary>Binding paths relative to the root ("" for the root).</summary>
        public string[] Paths { get; private set; }
        public string[] Names { get; private set; }
        public int[] Parents { get; private set; }
        public Animator Animator { get; private set; }
        /// <summary>Paths the clip animates that the character does not have.</summary>
        public List<string> MissingPaths { get; private set; }

        Vector3[] restPositions;
        Quaternion[] restRotations;
        Vector3[] restScales;

        public bool IsHuman { get { return Animator != null && Animator.avatar != null && Animator.avatar.isHuman; } }

        public static CharacterRig Create(GameObject character, AnimationClip clip)
        {
            if (character == null) throw new ContractException("character", "pick the character (a prefab, model or scene object) the clip plays on");
            var rig = new CharacterRig();
            rig.Clone = Object.Instantiate(character);
            rig.Clone.name = character.name;
            rig.Clone.hideFlags = HideFlags.HideAndDontSave;
            rig.Clone.transform.SetParent(null, false);
            rig.Clone.transform.localPosition = Vector3.zero;
            rig.Clone.transform.localRotation = Quaternion.identity;
            rig.Clone.transform.localScale = Vector3.one;
            rig.Animator = rig.Clone.GetComponent<Animator>();
            if (rig.Animator != null) rig.Animator.applyRootMotion = false;
            try
            {
                rig.Collect(clip);
            }
            catch
            {
                rig.Dispose();
                throw;
            }
            return rig;
        }

        void Collect(AnimationClip clip)
        {
            var root = Clone.transform;
            var wanted = new HashSet<Transform> { root };
            var clipPaths = new List<string>();
            foreach (var b in AnimationUtility.GetCurveBindings(clip))
            {
                if (b.type != typeof(Transform)) continue;
                clipPaths.Add(b.path);
                var t = b.path.Length == 0 ? root : root.Find(b.path);
                if (t != null) wanted.Add(t);
            }
            foreach (var smr in Clone.GetComponentsInChildren<SkinnedMeshRenderer>(true))
                foreach (var bone in smr.bones)
                    if (bone != null) wanted.Add(bone);
            if (IsHuman)
            {
                for (int i = 0; i < HumanTrait.BoneCount; i++)
                {
                    var t = Animator.GetBoneTransform((HumanBodyBones)i);
                    if (t != null) wanted.Add(t);
                }
            }
            foreach (var t in new List<Transform>(wanted))
                for (var p = t.parent; p != null && p != root.parent; p = p.parent) wanted.Add(p);

            var joints = new List<Transform>();
            var parents = new List<int>();
            var stack = new Stack<KeyValuePair<Transform, int>>();
            stack.Push(new KeyValuePair<Transform, int>(root, -1));
            while (stack.Count > 0)
            {
                var top = stack.Pop();
                int index = -1;
                if (wanted.Contains(top.Key))
                {
                    index = joints.Count;
                    joints.Add(top.Key);
                    parents.Add(top.Value);
                }
                int parentForChildren = index >= 0 ? index : top.Value;
                for (int c = top.Key.childCount - 1; c >= 0; c--)
                    stack.Push(new KeyValuePair<Transform, int>(top.Key.GetChild(c), parentForChildren));
            }
            Joints = joints.ToArray();
            Parents = parents.ToArray();
            Paths = new string[Joints.Length];
            for (int i = 0; i < Joints.Length; i++) Paths[i] = AnimationUtility.CalculateTransformPath(Joints[i], root);
            Names = JointPaths.UniqueNames(Paths, root.name);
            var have = new List<string>(Paths);
            foreach (var t in root.GetComponentsInChildren<Transform>(true)) have.Add(AnimationUtility.CalculateTransformPath(t, root));
            MissingPaths = JointPaths.Missing(clipPaths, have);
            restPositions = new Vector3[Joints.Length];
            restRotations = new Quaternion[Joints.Length];
            restScales = new Vector3[Joints.Length];
            for (int i = 0; i < Joints.Length; i++)
            {
                restPositions[i] = Joints[i].localPosition;
                restRotations[i] = Joints[i].localRotation;
                restScales[i] = Joints[i].localScale;
            }
        }

        public int IndexOfPath(string path)
        {
            return Array.IndexOf(Paths, path);
        }

        /// <summary>Back to the prefab's pose.</summary>
        public void ResetPose()
        {
            for (int i = 0; i < Joints.Length; i++)
            {
                Joints[i].localPosition = restPositions[i];
                Joints[i].localRotation = restRotations[i];
                Joints[i].localScale = restScales[i];
            }
        }

        /// <summary>Poses the clone from the clip at clip frame <paramref name="frame"/>.</summary>
        public void SampleFrame(AnimationClip clip, int frame)
        {
            ResetPose();
            clip.SampleAnimation(Clone, frame / clip.frameRate);
            if (clip.isHumanMotion || IsHuman)
            {
                // Humanoid sampling may move the root; the request's root is the model space.
                Clone.transform.localPosition = Vector3.zero;
                Clone.transform.localRotation = Quaternion.identity;
            }
        }

        /// <summary>
        /// The engine-neutral sample the Core builds requests from: joints with the prefab's
        /// rest pose, and the local pose at every frame in <paramref name="frames"/> (others null).
        /// </summary>
        public ClipSample Sample(AnimationClip clip, IEnumerable<int> frames, int frameCount)
        {
            var sample = new ClipSample { Fps = clip.frameRate, Convention = "unity" };
            for (int i = 0; i < Joints.Length; i++)
            {
                sample.Joints.Add(new ClipJoint
                {
                    Name = Names[i],
                    Parent = Parents[i],
                    RestPosition = UnityConvert.ToCore(restPositions[i]),
                    RestRotation = UnityConvert.ToCore(restRotations[i]),
                    RestScale = UnityConvert.ToCore(restScales[i]),
                });
            }
            for (int f = 0; f < frameCount; f++) sample.Frames.Add(null);
            foreach (int f in frames)
            {
                SampleFrame(clip, f);
                sample.Frames[f] = Capture();
            }
            ResetPose();
            return sample;
        }

        public ClipFrame Capture()
        {
            var frame = new ClipFrame { Positions = new Vec3[Joints.Length], Rotations = new Quat[Joints.Length] };
            for (int i = 0; i < Joints.Length; i++)
            {
                frame.Positions[i] = UnityConvert.ToCore(Joints[i].localPosition);
                frame.Rotations[i] = UnityConvert.ToCore(Joints[i].localRotation);
            }
            return frame;
        }

        /// <summary>Poses the clone from generated tracks at clip frame <paramref name="frame"/>.</summary>
        public void Apply(ClipTracks tracks, int frame)
        {
            ResetPose();
            for (int j = 0; j < Joints.Length; j++)
            {
                Joints[j].localRotation = UnityConvert.ToUnity(tracks.Rotation(j, frame)).normalized;
                if (tracks.HasPositions(j)) Joints[j].localPosition = UnityConvert.ToUnity(tracks.Position(j, frame));
            }
        }

        public void Dispose()
        {
            if (Clone != null) Object.DestroyImmediate(Clone);
            Clone = null;
        }
    }
}
