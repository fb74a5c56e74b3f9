using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Clip
{
    /// <summary>One joint of a sampled character, in the engine's own frame and units.</summary>
    public sealed class ClipJoint
    {
        public string Name;
        /// <summary>Index into <see cref="ClipSample.Joints"/>, -1 for a root. Need not precede
        /// the child: the request builder sorts.</summary>
        public int Parent = -1;
        /// <summary>Rest local position in the parent's frame (Transform.localPosition of the
        /// bind pose).</summary>
        public Vec3 RestPosition;
        public Quat RestRotation = Quat.Identity;
        public Vec3 RestScale = Vec3.One;
    }

    /// <summary>The local transforms of every joint at one clip frame (joints order).</summary>
    public sealed class ClipFrame
    {
        public Vec3[] Positions;
        public Quat[] Rotations;
    }

    /// <summary>
    /// What an editor samples from a clip on its character: joints and per-frame local poses.
    /// <see cref="Frames"/>[i] is clip frame i (time i / fps); entries the request does not need
    /// may be null (an editor samples only the context and the keyframes).
    /// </summary>
    public sealed class ClipSample
    {
        public double Fps = 30.0;
        /// <summary>"unity", "unreal" or "gltf": declared to the server, never converted here.</summary>
        public string Convention = "unity";
        public List<ClipJoint> Joints = new List<ClipJoint>();
        public List<ClipFrame> Frames = new List<ClipFrame>();

        /// <summary>Reads the conformance kit's "clip" object.</summary>
        public static ClipSample FromJson(JsonValue v)
        {
            const string path = "clip";
            if (v == null || v.Kind != JsonKind.Object) throw new ContractException(path, "expected an object");
            var clip = new ClipSample
            {
                Fps = ProtoJson.GetDouble(v, "fps", path),
                Convention = ProtoJson.GetString(v, "convention", path),
            };
            int i = 0;
            foreach (var j in ProtoJson.GetArray(v, "joints", path))
            {
                string jp = path + ".joints[" + i++ + "]";
                var joint = new ClipJoint
                {
                    Name = ProtoJson.GetString(j, "name", jp),
                    Parent = j.Field("parent") == null ? -1 : (int)ProtoJson.GetLong(j, "parent", jp),
                    RestPosition = j.Field("restPosition") == null ? Vec3.Zero : ReadVec3(j.Field("restPosition"), jp + ".restPosition"),
                    RestRotation = j.Field("restRotation") == null ? Quat.Identity : ReadQuat(j.Field("restRotation"), jp + ".restRotation"),
                    RestScale = j.Field("restScale") == null ? Vec3.One : ReadVec3(j.Field("restScale"), jp + ".restScale"),
                };
                clip.Joints.Add(joint);
            }
            int f = 0;
            foreach (var fr in ProtoJson.GetArray(v, "frames", path))
            {
                string fp = path + ".frames[" + f++ + "]";
                if (fr.IsNull) { clip.Frames.Add(null); continue; }
                var pos = ProtoJson.GetArray(fr, "positions", fp);
                var rot = ProtoJson.GetArray(fr, "rotations", fp);
                var frame = new ClipFrame { Positions = new Vec3[pos.Count], Rotations = new Quat[rot.Count] };
                for (int k = 0; k < pos.Count; k++) frame.Positions[k] = ReadVec3(pos[k], fp + ".positions[" + k + "]");
                for (int k = 0; k < rot.Count; k++) frame.Rotations[k] = ReadQuat(rot[k], fp + ".rotations[" + k + "]");
                clip.Frames.Add(frame);
            }
            return clip;
        }

        static float[] ReadFloats(JsonValue v, int n, string path)
        {
            if (v.Kind != JsonKind.Array || v.Count != n) throw new ContractException(path, "expected " + n + " numbers");
            var r = new float[n];
            for (int i = 0; i < n; i++)
            {
                try
                {
                    r[i] = v[i].AsFloat();
                }
                catch (System.FormatException e)
                {
                    throw new ContractException(path + "[" + i + "]", e.Message);
                }
            }
            return r;
        }

        public static Vec3 ReadVec3(JsonValue v, string path)
        {
            var a = ReadFloats(v, 3, path);
            return new Vec3(a[0], a[1], a[2]);
        }

        public static Quat ReadQuat(JsonValue v, string path)
        {
            var a = ReadFloats(v, 4, path);
            return new Quat(a[0], a[1], a[2], a[3]);
        }
    }

    /// <summary>Which clip frames are context and which are keyframes (clip frame indices).</summary>
    public sealed class Selection
    {
        /// <summary>First and last clip frame of the context (inclusive).</summary>
        public int ContextFirst;
        public int ContextLast;
        /// <summary>Clip frames of the target keys, strictly increasing, each after ContextLast.
        /// The last one ends the generated range.</summary>
        public int[] Keyframes = new int[0];

        public static Selection FromJson(JsonValue v)
        {
            const string path = "selection";
            var s = new Selection
            {
                ContextFirst = (int)ProtoJson.GetLong(v, "contextFirst", path),
                ContextLast = (int)ProtoJson.GetLong(v, "contextLast", path),
            };
            var k = ProtoJson.GetInts(v, "keyframes", path);
            s.Keyframes = new int[k.Count];
            for (int i = 0; i < k.Count; i++) s.Keyframes[i] = (int)k[i];
            return s;
        }

        public int LastKeyframe { get { return Keyframes[Keyframes.Length - 1]; } }
    }
}
