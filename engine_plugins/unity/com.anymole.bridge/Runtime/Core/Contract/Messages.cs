using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Contract
{
    /// <summary>anymole.v1.FloatTensor: a row-major float32 array with an explicit shape.</summary>
    public sealed class FloatTensor
    {
        public int[] Shape;
        public float[] Data;

        public FloatTensor(int[] shape, float[] data)
        {
            Shape = shape;
            Data = data;
        }

        public bool IsEmpty { get { return Shape.Length == 0 && Data.Length == 0; } }

        public JsonValue ToJson()
        {
            var o = JsonValue.NewObject();
            if (Shape.Length > 0) o.Set("shape", ProtoJson.IntArray(Shape));
            if (Data.Length > 0)
            {
                var a = JsonValue.NewArray();
                foreach (var f in Data) a.Add(JsonValue.Float(f));
                o.Set("data", a);
            }
            return o;
        }

        public static FloatTensor FromJson(JsonValue v, string path)
        {
            if (v == null) return new FloatTensor(new int[0], new float[0]);
            var shapeList = ProtoJson.GetInts(v, "shape", path);
            var dataList = ProtoJson.GetArray(v, "data", path);
            var shape = new int[shapeList.Count];
            long count = 1;
            for (int i = 0; i < shape.Length; i++)
            {
                if (shapeList[i] < 0) throw new ContractException(path + ".shape", "negative dimension");
                shape[i] = (int)shapeList[i];
                count *= shape[i];
            }
            var data = new float[dataList.Count];
            for (int i = 0; i < data.Length; i++)
            {
                try
                {
                    data[i] = dataList[i].AsFloat();
                }
                catch (FormatException e)
                {
                    throw new ContractException(path + ".data[" + i + "]", e.Message);
                }
            }
            if (shape.Length == 0 && data.Length > 0)
                throw new ContractException(path + ".shape", "missing for " + data.Length + " values");
            if (shape.Length > 0 && count != data.Length)
                throw new ContractException(path, "shape [" + string.Join(", ", shapeList) + "] needs " + count + " values, got " + data.Length);
            return new FloatTensor(shape, data);
        }

        /// <summary>Throws unless the shape is exactly <paramref name="expected"/>.</summary>
        public void CheckShape(string path, params int[] expected)
        {
            bool ok = Shape.Length == expected.Length;
            for (int i = 0; ok && i < expected.Length; i++) ok = Shape[i] == expected[i];
            if (!ok)
                throw new ContractException(path, "expected shape [" + string.Join(", ", Array.ConvertAll(expected, x => x.ToString())) + "], got [" + string.Join(", ", Array.ConvertAll(Shape, x => x.ToString())) + "]");
        }
    }

    /// <summary>
    /// anymole.v1.Motion unpacked: N frames of J rotations and M translations (caller frame and
    /// units). Shared by TransitionResult and MotionPreview.
    /// </summary>
    public sealed class PackedMotion
    {
        public int FrameCount;
        public int JointCount;
        /// <summary>[N, J, 4] row-major.</summary>
        public float[] Rotations;
        /// <summary>M joint indices (request order), strictly increasing.</summary>
        public int[] TranslatedJoints;
        /// <summary>[N, M, 3] row-major.</summary>
        public float[] Translations;

        public Quat Rotation(int frame, int joint)
        {
            int o = (frame * JointCount + joint) * 4;
            return new Quat(Rotations[o], Rotations[o + 1], Rotations[o + 2], Rotations[o + 3]);
        }

        /// <summary>Translation of the <paramref name="slot"/>-th translated joint.</summary>
        public Vec3 Translation(int frame, int slot)
        {
            int o = (frame * TranslatedJoints.Length + slot) * 3;
            return new Vec3(Translations[o], Translations[o + 1], Translations[o + 2]);
        }

        /// <summary>
        /// Reads a Motion, checking rotations [N, J, 4] and translations [N, M, 3] (an empty
        /// translations tensor is accepted when M = 0). <paramref name="jointCount"/>: J known
        /// from the request, or -1 to take it from the shape.
        /// </summary>
        public static PackedMotion FromJson(JsonValue v, int jointCount, string path)
        {
            if (v == null) throw new ContractException(path, "missing");
            var rot = FloatTensor.FromJson(ProtoJson.GetObject(v, "rotations", path), path + ".rotations");
            if (rot.Shape.Length != 3 || rot.Shape[2] != 4)
                throw new ContractException(path + ".rotations", "expected shape [N, J, 4], got [" + string.Join(", ", Array.ConvertAll(rot.Shape, x => x.ToString())) + "]");
            int n = rot.Shape[0];
            int j = rot.Shape[1];
            if (jointCount >= 0 && j != jointCount)
                throw new ContractException(path + ".rotations", "expected " + jointCount + " joints, got " + j);
            var tj = ProtoJson.GetInts(v, "translatedJoints", path);
            var joints = new int[tj.Count];
            for (int i = 0; i < joints.Length; i++)
            {
                if (tj[i] < 0 || tj[i] >= j || (i > 0 && tj[i] <= tj[i - 1]))
                    throw new ContractException(path + ".translatedJoints[" + i + "]", "must be strictly increasing joint indices below " + j);
                joints[i] = (int)tj[i];
            }
            var tr = FloatTensor.FromJson(ProtoJson.GetObject(v, "translations", path), path + ".translations");
            if (!(joints.Length == 0 && tr.IsEmpty)) tr.CheckShape(path + ".translations", n, joints.Length, 3);
            return new PackedMotion
            {
                FrameCount = n,
                JointCount = j,
                Rotations = rot.Data,
                TranslatedJoints = joints,
                Translations = tr.Data,
            };
        }
    }

    /// <summary>anymole.v1.TransitionResult.</summary>
    public sealed class TransitionResultData
    {
        public PackedMotion Motion;
        public double Fps;
        public int FirstFrame;
        public string Method = "";
        public double KeyframeError;
        public List<string> Warnings = new List<string>();
        public Dictionary<string, double> TimingsS = new Dictionary<string, double>();

        public static TransitionResultData FromJson(JsonValue v, int jointCount, string path)
        {
            if (v == null) throw new ContractException(path, "missing");
            var r = new TransitionResultData
            {
                Motion = PackedMotion.FromJson(ProtoJson.GetObject(v, "motion", path), jointCount, path + ".motion"),
                Fps = ProtoJson.GetDouble(v, "fps", path),
                FirstFrame = (int)ProtoJson.GetLong(v, "firstFrame", path),
                Method = ProtoJson.GetString(v, "method", path),
                KeyframeError = ProtoJson.GetDouble(v, "keyframeError", path),
                Warnings = ProtoJson.GetStrings(v, "warnings", path),
            };
            var timings = ProtoJson.GetObject(v, "timingsS", path);
            if (timings != null)
                foreach (var k in timings.Keys) r.TimingsS[k] = ProtoJson.GetDouble(timings, k, path + ".timingsS");
            return r;
        }
    }

    /// <summary>anymole.v1.MotionPreview (protocol 1.1): the gap's motion as it stands.</summary>
    public sealed class MotionPreviewData
    {
        public PackedMotion Motion;
        public double Fps;
        public int FirstFrame;
        public string Stage = "";
        public int Step;
        public bool Final;

        public static MotionPreviewData FromJson(JsonValue v, int jointCount, string path)
        {
            return new MotionPreviewData
            {
                Motion = PackedMotion.FromJson(ProtoJson.GetObject(v, "motion", path), jointCount, path + ".motion"),
                Fps = ProtoJson.GetDouble(v, "fps", path),
                FirstFrame = (int)ProtoJson.GetLong(v, "firstFrame", path),
                Stage = ProtoJson.GetString(v, "stage", path),
                Step = (int)ProtoJson.GetLong(v, "step", path),
                Final = ProtoJson.GetBool(v, "final", path),
            };
        }

        /// <summary>The same motion as a result, so previews and results share one splice path.</summary>
        public TransitionResultData AsResult()
        {
            return new TransitionResultData { Motion = Motion, Fps = Fps, FirstFrame = FirstFrame, Method = "preview" };
        }
    }

    /// <summary>anymole.v1.PreviewFrame: one encoded image.</summary>
    public sealed class PreviewFrameData
    {
        public string Format = "IMAGE_FORMAT_UNSPECIFIED";
        public byte[] Image = new byte[0];
        public int Width;
        public int Height;
        public int FrameIndex;
        public string Stage = "";
        public int Step;

        public static PreviewFrameData FromJson(JsonValue v, string path)
        {
            return new PreviewFrameData
            {
                Format = ProtoJson.GetEnum(v, "format", path, ContractEnums.ImageFormat),
                Image = ProtoJson.GetBytes(v, "image", path),
                Width = (int)ProtoJson.GetLong(v, "width", path),
                Height = (int)ProtoJson.GetLong(v, "height", path),
                FrameIndex = (int)ProtoJson.GetLong(v, "frameIndex", path),
                Stage = ProtoJson.GetString(v, "stage", path),
                Step = (int)ProtoJson.GetLong(v, "step", path),
            };
        }
    }

    /// <summary>anymole.v1.JobEvent; <see cref="Kind"/> names the oneof ("" for a kind newer
    /// than this client).</summary>
    public sealed class JobEventData
    {
        static readonly string[] Kinds = { "state", "stage", "progress", "preview", "log", "result", "error", "pose" };

        public string JobId = "";
        public ulong Seq;
        public string Kind = "";
        public string JobState = "JOB_STATE_UNSPECIFIED";

        public string State = "";               // state
        public string Stage = "";               // stage
        public float Fraction;                  // progress
        public string Message = "";             // progress, log, error
        public PreviewFrameData Preview;        // preview
        public string Level = "";               // log
        public TransitionResultData Result;     // result
        public int Code;                        // error
        public MotionPreviewData Pose;          // pose

        /// <summary>Parses one event. <paramref name="jointCount"/>: J of the request (checks
        /// result and pose shapes), or -1.</summary>
        public static JobEventData FromJson(JsonValue v, int jointCount)
        {
            const string path = "event";
            if (v == null || v.Kind != JsonKind.Object) throw new ContractException(path, "expected a JSON object");
            var e = new JobEventData
            {
                JobId = ProtoJson.GetString(v, "jobId", path),
                Seq = ProtoJson.GetULong(v, "seq", path),
                JobState = ProtoJson.GetEnum(v, "jobState", path, ContractEnums.JobState),
            };
            foreach (var k in Kinds)
            {
                var body = v.Field(k);
                if (body == null) continue;
                if (e.Kind != "") throw new ContractException(path, "more than one of the oneof kind: " + e.Kind + ", " + k);
                e.Kind = k;
                string p = path + "." + k;
                if (body.Kind != JsonKind.Object) throw new ContractException(p, "expected an object");
                switch (k)
                {
                    case "state": e.State = ProtoJson.GetEnum(body, "state", p, ContractEnums.JobState); break;
                    case "stage": e.Stage = ProtoJson.GetString(body, "stage", p); break;
                    case "progress":
                        e.Fraction = (float)ProtoJson.GetDouble(body, "fraction", p);
                        e.Message = ProtoJson.GetString(body, "message", p);
                        break;
                    case "preview": e.Preview = PreviewFrameData.FromJson(body, p); break;
                    case "log":
                        e.Level = ProtoJson.GetString(body, "level", p);
                        e.Message = ProtoJson.GetString(body, "message", p);
                        break;
                    case "result": e.Result = TransitionResultData.FromJson(body, jointCount, p); break;
                    case "error":
                        e.Code = (int)ProtoJson.GetLong(body, "code", p);
                        e.Message = ProtoJson.GetString(body, "message", p);
                        break;
                    case "pose": e.Pose = MotionPreviewData.FromJson(body, jointCount, p); break;
                }
            }
            return e;
        }

        public static JobEventData FromJson(string json, int jointCount)
        {
            return FromJson(ProtoJson.Parse(json, "event"), jointCount);
        }
    }
}
