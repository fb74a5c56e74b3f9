using System;
using System.Collections.Generic;
using System.Globalization;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Bake
{
    /// <summary>One transition to bake.</summary>
    public sealed class BakeJob
    {
        /// <summary>Asset path of the source AnimationClip ("Assets/Anim/Walk.anim", or a clip
        /// inside a model: "Assets/Models/Robot.fbx#Walk").</summary>
        public string Clip = "";
        /// <summary>Asset path of the character (a prefab or model) the clip plays on.</summary>
        public string Character = "";
        /// <summary>Last context frame and target key frame (clip frames).</summary>
        public int Start;
        public int End;
        public int ContextFrames = global::AnyMoLe.Bridge.Core.Clip.SelectionPlanner.DefaultContextFrames;
        public bool InteriorKeysAsTargets;
        /// <summary>Where to write: "" writes into the source clip (must be editable); a new path
        /// writes a copy there (created or overwritten).</summary>
        public string Output = "";
        /// <summary>JobOptions as proto3 JSON (method, seed, preview, anymole…).</summary>
        public JsonValue Options;
        public string Name = "";
    }

    /// <summary>
    /// The JSON manifest of <c>-executeMethod AnyMoLe.Bridge.Editor.BakeCommand.Run
    /// -anymoleManifest M.json</c>:
    /// <code>
    /// {"server": "127.0.0.1:50051", "timeoutSeconds": 600,
    ///  "defaults": {"method": "spline", "contextFrames": 61, "options": {"seed": "1"}},
    ///  "jobs": [{"name": "walk-to-run", "clip": "Assets/Anim/Walk.anim",
    ///            "character": "Assets/Chars/Robot.prefab", "start": 40, "end": 70,
    ///            "output": "Assets/Anim/Walk_baked.anim", "method": "anymole",
    ///            "options": {"anymole": {"denoiseSteps": 30}}}],
    ///  "report": "Logs/anymole-bake.json"}
    /// </code>
    /// A job's "options" are merged over the defaults' (objects member by member); "method"
    /// is shorthand for options.method. The token comes from the environment
    /// (ANYMOLE_TOKEN), never from the manifest.
    /// </summary>
    public sealed class BakeManifest
    {
        public string Server = "";
        public double TimeoutSeconds = 600;
        public string ReportPath = "";
        public List<BakeJob> Jobs = new List<BakeJob>();

        public static BakeManifest Parse(string json)
        {
            var root = ProtoJson.Parse(json, "manifest");
            if (root.Has("token"))
                throw new ContractException("manifest.token", "tokens never go into files: set ANYMOLE_TOKEN in the environment");
            var m = new BakeManifest
            {
                Server = ProtoJson.GetString(root, "server", "manifest"),
                ReportPath = ProtoJson.GetString(root, "report", "manifest"),
            };
            if (root.Field("timeoutSeconds") != null) m.TimeoutSeconds = ProtoJson.GetDouble(root, "timeoutSeconds", "manifest");
            var defaults = ProtoJson.GetObject(root, "defaults", "manifest") ?? JsonValue.NewObject();
            var jobs = ProtoJson.GetArray(root, "jobs", "manifest");
            if (jobs.Count == 0) throw new ContractException("manifest.jobs", "no jobs");
            for (int i = 0; i < jobs.Count; i++)
            {
                string p = "manifest.jobs[" + i + "]";
                var j = jobs[i];
                if (j.Kind != JsonKind.Object) throw new ContractException(p, "expected an object");
                var job = new BakeJob
                {
                    Name = ProtoJson.GetString(j, "name", p),
                    Clip = ProtoJson.GetString(j, "clip", p),
                    Character = ProtoJson.GetString(j, "character", p),
                    Start = (int)Required(j, "start", p),
                    End = (int)Required(j, "end", p),
                    Output = ProtoJson.GetString(j, "output", p),
                    InteriorKeysAsTargets = j.Field("interiorKeysAsTargets") != null ? ProtoJson.GetBool(j, "interiorKeysAsTargets", p) : ProtoJson.GetBool(defaults, "interiorKeysAsTargets", "manifest.defaults"),
                };
                if (job.Clip.Length == 0) throw new ContractException(p + ".clip", "missing");
                if (job.Character.Length == 0) throw new ContractException(p + ".character", "missing");
                if (job.Name.Length == 0) job.Name = job.Clip + " [" + job.Start + ".." + job.End + "]";
                if (j.Field("contextFrames") != null) job.ContextFrames = (int)ProtoJson.GetLong(j, "contextFrames", p);
                else if (defaults.Field("contextFrames") != null) job.ContextFrames = (int)ProtoJson.GetLong(defaults, "contextFrames", "manifest.defaults");
                var options = (ProtoJson.GetObject(defaults, "options", "manifest.defaults") ?? JsonValue.NewObject()).Clone();
                string method = ProtoJson.GetString(defaults, "method", "manifest.defaults");
                if (method.Length > 0) options.Set("method", JsonValue.Str(method));
                var own = ProtoJson.GetObject(j, "options", p);
                if (own != null) Merge(options, own);
                string jobMethod = ProtoJson.GetString(j, "method", p);
                if (jobMethod.Length > 0) options.Set("method", JsonValue.Str(jobMethod));
                job.Options = options;
                m.Jobs.Add(job);
            }
            return m;
        }

        static long Required(JsonValue j, string name, string path)
        {
            if (j.Field(name) == null) throw new ContractException(path + "." + name, "missing");
            return ProtoJson.GetLong(j, name, path);
        }

        /// <summary>Deep merge: objects member by member, everything else replaced.</summary>
        public static void Merge(JsonValue into, JsonValue from)
        {
            foreach (var k in from.Keys)
            {
                var src = from.Get(k);
                var dst = into.Get(k);
                if (src.Kind == JsonKind.Object && dst != null && dst.Kind == JsonKind.Object) Merge(dst, src);
                else into.Set(k, src.Clone());
            }
        }
    }

    /// <summary>The outcome of one baked job.</summary>
    public sealed class BakeJobResult
    {
        public string Name = "";
        public string Clip = "";
        public string Output = "";
        public bool Succeeded;
        public string Error = "";
        public string JobId = "";
        public string Method = "";
        public double Seconds;
        public double KeyframeError;
        public float MaxAngleErrorDeg;
        public int KeysWritten;
        public List<string> Warnings = new List<string>();
    }

    /// <summary>The JSON report and the process exit code of a bake.</summary>
    public sealed class BakeReport
    {
        /// <summary>Every job succeeded.</summary>
        public const int ExitOk = 0;
        /// <summary>At least one job failed (the others still ran).</summary>
        public const int ExitJobFailed = 1;
        /// <summary>The manifest could not be read, or the server could not be used at all.</summary>
        public const int ExitBadManifest = 2;

        public string Server = "";
        public string ProtocolVersion = "";
        public string ManifestError = "";
        public List<BakeJobResult> Jobs = new List<BakeJobResult>();

        public int Succeeded
        {
            get
            {
                int n = 0;
                foreach (var j in Jobs) if (j.Succeeded) n++;
                return n;
            }
        }

        public int Failed { get { return Jobs.Count - Succeeded; } }

        public int ExitCode
        {
            get
            {
                if (ManifestError.Length > 0) return ExitBadManifest;
                return Failed > 0 ? ExitJobFailed : ExitOk;
            }
        }

        /// <summary>"3 succeeded, 1 failed" — the last line a bake prints.</summary>
        public string SummaryLine()
        {
            if (ManifestError.Length > 0) return "anymole bake: " + ManifestError;
            return "anymole bake: " + Succeeded + " succeeded, " + Failed + " failed";
        }

        public JsonValue ToJson()
        {
            var o = JsonValue.NewObject();
            o.Set("ok", JsonValue.Bool(ExitCode == ExitOk));
            o.Set("exitCode", JsonValue.Int(ExitCode));
            o.Set("server", JsonValue.Str(Server));
            o.Set("protocolVersion", JsonValue.Str(ProtocolVersion));
            if (ManifestError.Length > 0) o.Set("error", JsonValue.Str(ManifestError));
            var summary = JsonValue.NewObject();
            summary.Set("succeeded", JsonValue.Int(Succeeded));
            summary.Set("failed", JsonValue.Int(Failed));
            o.Set("summary", summary);
            var jobs = JsonValue.NewArray();
            foreach (var j in Jobs)
            {
                var r = JsonValue.NewObject();
                r.Set("name", JsonValue.Str(j.Name));
                r.Set("clip", JsonValue.Str(j.Clip));
                r.Set("output", JsonValue.Str(j.Output));
                r.Set("status", JsonValue.Str(j.Succeeded ? "succeeded" : "failed"));
                if (j.Error.Length > 0) r.Set("error", JsonValue.Str(j.Error));
                if (j.JobId.Length > 0) r.Set("jobId", JsonValue.Str(j.JobId));
                if (j.Method.Length > 0) r.Set("method", JsonValue.Str(j.Method));
                r.Set("seconds", JsonValue.Double(Math.Round(j.Seconds, 3)));
                if (j.Succeeded)
                {
                    r.Set("keyframeError", JsonValue.Double(j.KeyframeError));
                    r.Set("maxAngleErrorDeg", JsonValue.Float(j.MaxAngleErrorDeg));
                    r.Set("keysWritten", JsonValue.Int(j.KeysWritten));
                }
                r.Set("warnings", ProtoJson.StringArray(j.Warnings));
                jobs.Add(r);
            }
            o.Set("jobs", jobs);
            return o;
        }

        /// <summary>One progress line for stdout: "[2/5] walk-to-run: inbetween 40%".</summary>
        public static string ProgressLine(int index, int count, string name, string stage, float fraction)
        {
            return string.Format(CultureInfo.InvariantCulture, "[{0}/{1}] {2}: {3} {4:0}%", index, count, name, stage, fraction * 100f);
        }
    }
}
