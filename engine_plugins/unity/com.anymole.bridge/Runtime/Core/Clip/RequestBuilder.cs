using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Clip
{
    /// <summary>
    /// A built request and everything needed to map its result back onto the clip
    /// (engine_plugins/conformance/README.md §1).
    /// </summary>
    public sealed class TransitionPlan
    {
        /// <summary>The proto3 JSON of anymole.v1.TransitionInput.</summary>
        public JsonValue Input;
        /// <summary>Request joint index → clip joint index.</summary>
        public int[] Order;
        /// <summary>Joint names in request order.</summary>
        public string[] JointNames;
        /// <summary>Request joint indices with a translation track, ascending.</summary>
        public int[] TranslatedJoints;
        public Selection Selection;
        public double Fps;
        /// <summary>C: context frames.</summary>
        public int ContextCount;
        /// <summary>Timeline frame indices of the keyframes.</summary>
        public int[] KeyframeIndices;

        public int JointCount { get { return Order.Length; } }

        /// <summary>Clip frame of timeline frame <paramref name="t"/>.</summary>
        public int ClipFrame(int t) { return t + Selection.ContextFirst; }

        /// <summary>Slot of request joint <paramref name="joint"/> in TranslatedJoints, or -1.</summary>
        public int TranslationSlot(int joint)
        {
            int slot = Array.BinarySearch(TranslatedJoints, joint);
            return slot >= 0 ? slot : -1;
        }

        public string ToJson(bool indent)
        {
            return JsonWriter.Write(Input, indent);
        }
    }

    /// <summary>Builds anymole.v1.TransitionInput from a sampled clip (conformance README §1).</summary>
    public static class RequestBuilder
    {
        /// <summary>Rest scale components further than this from 1 make restScales present.</summary>
        public const float ScaleEpsilon = 1e-6f;
        /// <summary>A joint translates when a sampled position leaves its rest position by more
        /// than this (caller units, any component).</summary>
        public const float TranslationEpsilon = 1e-5f;

        /// <summary>
        /// Builds the request. <paramref name="options"/>: JobOptions as proto3 JSON (copied as
        /// given; null for none). Throws <see cref="ContractException"/> naming the field of the
        /// clip or the selection that is wrong.
        /// </summary>
        public static TransitionPlan Build(ClipSample clip, Selection sel, JsonValue options)
        {
            Validate(clip, sel);
            int J = clip.Joints.Count;

            // 1. Order: keep a sorted hierarchy, else depth-first pre-order.
            int[] order = SortedOrder(clip);
            var newIndex = new int[J];
            for (int i = 0; i < J; i++) newIndex[order[i]] = i;
            var parents = new int[J];
            var names = new string[J];
            for (int i = 0; i < J; i++)
            {
                var joint = clip.Joints[order[i]];
                names[i] = joint.Name;
                parents[i] = joint.Parent < 0 ? -1 : newIndex[joint.Parent];
            }

            // 2. Skeleton.
            var skeleton = JsonValue.NewObject();
            skeleton.Set("jointNames", ProtoJson.StringArray(names));
            skeleton.Set("parents", ProtoJson.IntArray(parents));
            var offsets = new float[J * 3];
            var restRot = new float[J * 4];
            var scales = new float[J * 3];
            bool anyScale = false;
            for (int i = 0; i < J; i++)
            {
                var joint = clip.Joints[order[i]];
                Put3(offsets, i, joint.RestPosition);
                Put4(restRot, i, joint.RestRotation);
                Put3(scales, i, joint.RestScale);
                for (int c = 0; c < 3; c++)
                    if (Math.Abs(joint.RestScale[c] - 1f) > ScaleEpsilon) anyScale = true;
            }
            skeleton.Set("restOffsets", new FloatTensor(new[] { J, 3 }, offsets).ToJson());
            skeleton.Set("restRotations", new FloatTensor(new[] { J, 4 }, restRot).ToJson());
            if (anyScale) skeleton.Set("restScales", new FloatTensor(new[] { J, 3 }, scales).ToJson());

            // 3. Translated joints: roots, and joints leaving their rest position at a used frame.
            int C = sel.ContextLast - sel.ContextFirst + 1;
            var used = new List<int>();
            for (int f = sel.ContextFirst; f <= sel.ContextLast; f++) used.Add(f);
            used.AddRange(sel.Keyframes);
            var translated = new List<int>();
            for (int i = 0; i < J; i++)
            {
                int cj = order[i];
                bool moves = clip.Joints[cj].Parent < 0;
                for (int u = 0; !moves && u < used.Count; u++)
                    moves = Vec3.MaxAbsDiff(clip.Frames[used[u]].Positions[cj], clip.Joints[cj].RestPosition) > TranslationEpsilon;
                if (moves) translated.Add(i);
            }

            // 4.-5. Timeline and motion packing.
            var keyIdx = new int[sel.Keyframes.Length];
            for (int k = 0; k < keyIdx.Length; k++) keyIdx[k] = sel.Keyframes[k] - sel.ContextFirst;
            var contextFrames = new List<int>();
            for (int f = sel.ContextFirst; f <= sel.ContextLast; f++) contextFrames.Add(f);

            var input = JsonValue.NewObject();
            input.Set("skeleton", skeleton);
            input.Set("fps", JsonValue.Double(clip.Fps));
            input.Set("context", PackMotion(clip, order, translated, contextFrames));
            input.Set("keyframeIndices", ProtoJson.IntArray(keyIdx));
            input.Set("keyframes", PackMotion(clip, order, translated, new List<int>(sel.Keyframes)));

            // 6. Convention, declared.
            var conv = ConventionJson(clip.Convention);
            if (conv != null) input.Set("convention", conv);

            // 7. Output: the last context frame through the last keyframe.
            var range = JsonValue.NewObject();
            ProtoJson.SetUInt(range, "first", C - 1);
            ProtoJson.SetUInt(range, "last", keyIdx[keyIdx.Length - 1]);
            var output = JsonValue.NewObject();
            output.Set("range", range);
            input.Set("output", output);

            // 8. Options as given.
            if (options != null && options.Kind == JsonKind.Object && options.Count > 0) input.Set("options", options.Clone());

            return new TransitionPlan
            {
                Input = input,
                Order = order,
                JointNames = names,
                TranslatedJoints = translated.ToArray(),
                Selection = sel,
                Fps = clip.Fps,
                ContextCount = C,
                KeyframeIndices = keyIdx,
            };
        }

        /// <summary>The declared convention for "unity", "unreal"; null for "gltf" (canonical).</summary>
        public static JsonValue ConventionJson(string convention)
        {
            switch (convention)
            {
                case "unity": return Convention("HANDEDNESS_LEFT", "AXIS_POS_Y", "AXIS_POS_Z", 1.0);
                case "unreal": return Convention("HANDEDNESS_LEFT", "AXIS_POS_Z", "AXIS_POS_X", 0.01);
                case "gltf": return null;
                default: throw new ContractException("clip.convention", "expected \"unity\", \"unreal\" or \"gltf\", got \"" + convention + "\"");
            }
        }

        static JsonValue Convention(string handedness, string up, string forward, double unitM)
        {
            var c = JsonValue.NewObject();
            c.Set("handedness", JsonValue.Str(handedness));
            c.Set("up", JsonValue.Str(up));
            c.Set("forward", JsonValue.Str(forward));
            c.Set("unitM", JsonValue.Double(unitM));
            return c;
        }

        static JsonValue PackMotion(ClipSample clip, int[] order, List<int> translated, List<int> frames)
        {
            int J = order.Length, M = translated.Count, N = frames.Count;
            var rot = new float[N * J * 4];
            var tr = new float[N * M * 3];
            for (int n = 0; n < N; n++)
            {
                var frame = clip.Frames[frames[n]];
                for (int i = 0; i < J; i++) Put4(rot, n * J + i, frame.Rotations[order[i]]);
                for (int m = 0; m < M; m++) Put3(tr, n * M + m, frame.Positions[order[translated[m]]]);
            }
            var motion = JsonValue.NewObject();
            motion.Set("rotations", new FloatTensor(new[] { N, J, 4 }, rot).ToJson());
            if (M > 0) motion.Set("translatedJoints", ProtoJson.IntArray(translated));
            motion.Set("translations", new FloatTensor(new[] { N, M, 3 }, tr).ToJson());
            return motion;
        }

        static void Put3(float[] a, int i, Vec3 v)
        {
            a[i * 3] = v.X; a[i * 3 + 1] = v.Y; a[i * 3 + 2] = v.Z;
        }

        static void Put4(float[] a, int i, Quat q)
        {
            a[i * 4] = q.X; a[i * 4 + 1] = q.Y; a[i * 4 + 2] = q.Z; a[i * 4 + 3] = q.W;
        }

        /// <summary>
        /// Request order → clip index: the identity when every parent precedes its child, else
        /// a depth-first pre-order walk (roots in clip order, children in clip order).
        /// </summary>
        public static int[] SortedOrder(ClipSample clip)
        {
            int J = clip.Joints.Count;
            bool sorted = true;
            for (int i = 0; i < J && sorted; i++) sorted = clip.Joints[i].Parent < i;
            var order = new int[J];
            if (sorted)
            {
                for (int i = 0; i < J; i++) order[i] = i;
                return order;
            }
            var children = new List<int>[J];
            for (int i = 0; i < J; i++) children[i] = new List<int>();
            var roots = new List<int>();
            for (int i = 0; i < J; i++)
            {
                if (clip.Joints[i].Parent < 0) roots.Add(i);
                else children[clip.Joints[i].Parent].Add(i);
            }
            int n = 0;
            var stack = new Stack<int>();
            for (int r = roots.Count - 1; r >= 0; r--) stack.Push(roots[r]);
            while (stack.Count > 0)
            {
                int j = stack.Pop();
                order[n++] = j;
                var ch = children[j];
                for (int c = ch.Count - 1; c >= 0; c--) stack.Push(ch[c]);
            }
            if (n != J) throw new ContractException("clip.joints", "the parents form a cycle");
            return order;
        }

        static void Validate(ClipSample clip, Selection sel)
        {
            if (clip == null) throw new ContractException("clip", "missing");
            if (sel == null) throw new ContractException("selection", "missing");
            if (!(clip.Fps > 0.0) || double.IsInfinity(clip.Fps)) throw new ContractException("clip.fps", "must be > 0, got " + clip.Fps);
            ConventionJson(clip.Convention);
            int J = clip.Joints.Count;
            if (J == 0) throw new ContractException("clip.joints", "the character has no joints");
            var seen = new Dictionary<string, int>();
            for (int i = 0; i < J; i++)
            {
                var joint = clip.Joints[i];
                string p = "clip.joints[" + i + "]";
                if (string.IsNullOrEmpty(joint.Name)) throw new ContractException(p + ".name", "empty joint name");
                int other;
                if (seen.TryGetValue(joint.Name, out other))
                    throw new ContractException(p + ".name", "\"" + joint.Name + "\" is also joint " + other + "; joint names must be unique");
                seen[joint.Name] = i;
                if (joint.Parent < -1 || joint.Parent >= J || joint.Parent == i)
                    throw new ContractException(p + ".parent", "must be -1 or another joint's index, got " + joint.Parent);
            }
            SortedOrder(clip); // cycles

            if (sel.ContextFirst < 0) throw new ContractException("selection.contextFirst", "must be >= 0, got " + sel.ContextFirst);
            if (sel.ContextLast < sel.ContextFirst)
                throw new ContractException("selection.contextLast", "the context ends (frame " + sel.ContextLast + ") before it starts (frame " + sel.ContextFirst + ")");
            if (sel.Keyframes == null || sel.Keyframes.Length == 0)
                throw new ContractException("selection.keyframes", "no target keyframe after the context: key the pose the transition should reach");
            for (int k = 0; k < sel.Keyframes.Length; k++)
            {
                int f = sel.Keyframes[k];
                string p = "selection.keyframes[" + k + "]";
                if (f <= sel.ContextLast)
                    throw new ContractException(p, "frame " + f + " is inside the context (which ends at frame " + sel.ContextLast + "); a target must come after it");
                if (k > 0 && f <= sel.Keyframes[k - 1])
                    throw new ContractException(p, "keyframes must be strictly increasing (" + sel.Keyframes[k - 1] + ", then " + f + ")");
            }
            var needed = new List<int>();
            for (int f = sel.ContextFirst; f <= sel.ContextLast; f++) needed.Add(f);
            needed.AddRange(sel.Keyframes);
            foreach (int f in needed)
            {
                if (f >= clip.Frames.Count || clip.Frames[f] == null)
                    throw new ContractException("clip.frames[" + f + "]", "frame " + f + " was not sampled (the clip has " + clip.Frames.Count + " sampled frames)");
                var frame = clip.Frames[f];
                if (frame.Positions == null || frame.Positions.Length != J || frame.Rotations == null || frame.Rotations.Length != J)
                    throw new ContractException("clip.frames[" + f + "]", "expected " + J + " positions and rotations (one per joint)");
                for (int j = 0; j < J; j++)
                {
                    if (frame.Rotations[j].Norm() < 1e-6f)
                        throw new ContractException("clip.frames[" + f + "].rotations[" + j + "]", "zero quaternion for joint \"" + clip.Joints[j].Name + "\"");
                }
            }
        }
    }
}
