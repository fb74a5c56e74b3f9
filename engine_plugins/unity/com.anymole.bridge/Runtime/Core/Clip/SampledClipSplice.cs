using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Curves;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Clip
{
    /// <summary>The spliced keys of one joint.</summary>
    public sealed class JointSplice
    {
        public string Name;
        public List<TrackKey> Rotation;
        /// <summary>Null when the joint has no translation track (its position keys unchanged).</summary>
        public List<TrackKey> Translation;
    }

    /// <summary>
    /// Splices a result into a clip whose every sampled frame is an authored key — the
    /// engine-neutral form of the conformance kit's requests/*.json ("spliced") and of the
    /// end-to-end test. Editors splice real curves with <see cref="TrackSplicer"/> directly.
    /// </summary>
    public static class SampledClipSplice
    {
        public static List<JointSplice> Splice(ClipSample clip, TransitionPlan plan, TransitionResultData result)
        {
            var tracks = ResultReader.Read(plan, result);
            var joints = new List<JointSplice>();
            for (int j = 0; j < clip.Joints.Count; j++)
            {
                var rot = new List<TrackKey>();
                var pos = new List<TrackKey>();
                for (int f = 0; f < clip.Frames.Count; f++)
                {
                    var frame = clip.Frames[f];
                    if (frame == null) continue;
                    rot.Add(TrackKey.Of(f, frame.Rotations[j], true));
                    pos.Add(TrackKey.Of(f, frame.Positions[j], true));
                }
                joints.Add(new JointSplice
                {
                    Name = clip.Joints[j].Name,
                    Rotation = TrackSplicer.SpliceRotation(rot, tracks, j),
                    Translation = tracks.HasPositions(j) ? TrackSplicer.SplicePosition(pos, tracks, j) : null,
                });
            }
            return joints;
        }

        /// <summary>{"&lt;joint name&gt;": {"rotation": [{"frame", "value"}], "translation": [...]}}
        /// in clip joint order (the conformance kit's "spliced"); "translation" only for joints
        /// with a translation track.</summary>
        public static JsonValue ToJson(List<JointSplice> joints)
        {
            var root = JsonValue.NewObject();
            foreach (var j in joints)
            {
                var o = JsonValue.NewObject();
                o.Set("rotation", KeysToJson(j.Rotation));
                if (j.Translation != null) o.Set("translation", KeysToJson(j.Translation));
                root.Set(j.Name, o);
            }
            return root;
        }

        public static JsonValue KeysToJson(List<TrackKey> keys)
        {
            var a = JsonValue.NewArray();
            foreach (var k in keys)
            {
                var o = JsonValue.NewObject();
                o.Set("frame", JsonValue.Double(k.Frame));
                var v = JsonValue.NewArray();
                foreach (var c in k.Value) v.Add(JsonValue.Float(c));
                o.Set("value", v);
                a.Add(o);
            }
            return a;
        }

        /// <summary>Reads [{"frame", "value"}] keys (marked authored).</summary>
        public static List<TrackKey> KeysFromJson(JsonValue keys, string path)
        {
            var list = new List<TrackKey>();
            int i = 0;
            foreach (var k in ProtoJsonArray(keys, path))
            {
                string p = path + "[" + i++ + "]";
                var vals = ProtoJson.GetArray(k, "value", p);
                var value = new float[vals.Count];
                for (int c = 0; c < value.Length; c++) value[c] = vals[c].AsFloat();
                list.Add(new TrackKey(ProtoJson.GetDouble(k, "frame", p), value, true));
            }
            return list;
        }

        static List<JsonValue> ProtoJsonArray(JsonValue v, string path)
        {
            if (v == null) return new List<JsonValue>();
            if (v.Kind != JsonKind.Array) throw new ContractException(path, "expected an array of keys");
            return v.AsArray();
        }
    }
}
