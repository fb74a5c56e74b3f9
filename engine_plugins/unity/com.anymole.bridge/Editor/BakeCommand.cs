// Batch mode:
//   Unity -batchmode -quit -projectPath P -executeMethod AnyMoLe.Bridge.Editor.BakeCommand.Run
//         -anymoleManifest M.json [-anymoleReport R.json] [-anymoleServer host:port]
// Every job of the manifest (Core/Bake/BakeManifest.cs documents it) runs in order; a failing
// job is reported and the next one runs; progress goes to stdout; the JSON report is written;
// the exit code is 0 when every job succeeded, 1 when one failed, 2 for a bad manifest or an
// unusable server. The token comes from ANYMOLE_TOKEN (or this user's stored token).
using System;
using System.Diagnostics;
using System.IO;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Bake;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Follow;
using AnyMoLe.Bridge.Core.Json;
using AnyMoLe.Bridge.Grpc;
using UnityEditor;
using UnityEngine;
using Debug = UnityEngine.Debug;
using Object = UnityEngine.Object;

namespace AnyMoLe.Bridge.Editor
{
    public static class BakeCommand
    {
        sealed class ConsoleObserver : ITransitionObserver
        {
            readonly int index, count;
            readonly string name;
            string stage = "";
            int lastPercent = -1;

            public ConsoleObserver(int index, int count, string name)
            {
                this.index = index;
                this.count = count;
                this.name = name;
            }

            public void OnServerInfo(ServerInfoData info, string versionWarning)
            {
                if (!string.IsNullOrEmpty(versionWarning)) Out("warning: " + versionWarning);
            }

            public void OnSubmitted(string jobId)
            {
                Out(string.Format("[{0}/{1}] {2}: job {3}", index, count, name, jobId));
            }

            public void OnUpdate(FollowerUpdate u)
            {
                if (u.Kind == "stage") stage = u.Stage;
                if (u.Kind == "progress")
                {
                    int p = (int)(u.Fraction * 100f);
                    if (p / 10 == lastPercent / 10) return; // every 10 %
                    lastPercent = p;
                    Out(BakeReport.ProgressLine(index, count, name, stage, u.Fraction));
                }
                else if (u.Kind == "reattach") Out(string.Format("[{0}/{1}] {2}: stream dropped, reattaching after event {3}", index, count, name, u.AfterEvent));
                else if (u.Kind == "log" && (u.Level == "warning" || u.Level == "error")) Out(string.Format("[{0}/{1}] {2}: {3}: {4}", index, count, name, u.Level, u.Message));
            }
        }

        static readonly object ConsoleLock = new object();

        static void Out(string line)
        {
            lock (ConsoleLock) Console.WriteLine(line);
        }

        static string Arg(string[] args, string name)
        {
            for (int i = 0; i < args.Length - 1; i++)
                if (args[i] == name) return args[i + 1];
            return null;
        }

        /// <summary>The -executeMethod entry point; exits the editor with the report's code.</summary>
        public static void Run()
        {
            var args = Environment.GetCommandLineArgs();
            int code = RunWith(Arg(args, "-anymoleManifest"), Arg(args, "-anymoleReport"), Arg(args, "-anymoleServer"));
            EditorApplication.Exit(code);
        }

        /// <summary>Bakes a manifest; returns the exit code (also usable from editor scripts).</summary>
        public static int RunWith(string manifestPath, string reportPath, string serverOverride)
        {
            var report = new BakeReport();
            BakeManifest manifest = null;
            try
            {
                if (string.IsNullOrEmpty(manifestPath)) throw new ContractException("-anymoleManifest", "missing: pass the path of the bake manifest (JSON)");
                if (!File.Exists(manifestPath)) throw new ContractException("-anymoleManifest", "no such file: " + manifestPath);
                manifest = BakeManifest.Parse(File.ReadAllText(manifestPath));
                if (string.IsNullOrEmpty(reportPath)) reportPath = manifest.ReportPath;
            }
            catch (ContractException e)
            {
                report.ManifestError = e.Message;
                return Finish(report, reportPath);
            }

            BridgeSettings settings;
            try
            {
                settings = BridgeProjectSettings.Instance.ToBridgeSettings(!string.IsNullOrEmpty(serverOverride) ? serverOverride : manifest.Server);
                report.Server = settings.ToString();
                var info = new TransitionJobRunner(settings, null).GetServerInfoAsync(BridgeChannel.Lifetime).GetAwaiter().GetResult();
                report.ProtocolVersion = info.ProtocolVersion;
                Out("anymole bake: server " + report.Server + " (protocol " + info.ProtocolVersion + ", " + info.ServerVersion + ", " + info.Device + "), " + manifest.Jobs.Count + " job(s)");
            }
            catch (Exception e)
            {
                report.ManifestError = e.Message;
                return Finish(report, reportPath);
            }

            for (int i = 0; i < manifest.Jobs.Count; i++)
                report.Jobs.Add(BakeOne(manifest.Jobs[i], i + 1, manifest.Jobs.Count, settings, manifest.TimeoutSeconds));
            BridgeChannel.Shutdown();
            return Finish(report, reportPath);
        }

        static BakeJobResult BakeOne(BakeJob job, int index, int count, BridgeSettings settings, double timeoutSeconds)
        {
            var r = new BakeJobResult { Name = job.Name, Clip = job.Clip, Output = job.Output.Length > 0 ? job.Output : job.Clip };
            var watch = Stopwatch.StartNew();
            PreparedTransition prepared = null;
            try
            {
                var clip = LoadClip(job.Clip);
                var character = AssetDatabase.LoadAssetAtPath<GameObject>(job.Character);
                if (character == null) throw new ContractException("character", "no GameObject asset at " + job.Character);
                bool inPlace = job.Output.Length == 0 || job.Output == job.Clip;
                prepared = TransitionPipeline.Prepare(clip, character, job.Start, job.End, job.ContextFrames, job.InteriorKeysAsTargets, job.Options, 0, inPlace);
                var runner = new TransitionJobRunner(settings, null);
                var observer = new ConsoleObserver(index, count, job.Name);
                var task = runner.RunAsync(prepared.Plan, observer, BridgeChannel.Lifetime);
                if (!task.Wait(TimeSpan.FromSeconds(timeoutSeconds)))
                {
                    try
                    {
                        runner.CancelAsync().Wait(TimeSpan.FromSeconds(10));
                    }
                    catch (Exception)
                    {
                        // reported below
                    }
                    throw new ContractException("timeoutSeconds", "the job did not finish within " + timeoutSeconds + " s (cancelled)");
                }
                var result = task.GetAwaiter().GetResult();
                r.JobId = runner.JobId;
                var target = inPlace ? clip : TransitionPipeline.DuplicateToAnim(clip, job.Output);
                var written = TransitionPipeline.Apply(prepared, result, target, false);
                AssetDatabase.SaveAssetIfDirty(target);
                EditorUtility.SetDirty(target);
                AssetDatabase.SaveAssets();
                r.Succeeded = true;
                r.Method = result.Method;
                r.KeyframeError = result.KeyframeError;
                r.KeysWritten = written.KeysWritten;
                r.MaxAngleErrorDeg = written.ResampleError != null ? written.ResampleError.MaxDeg : 0f;
                r.Warnings.AddRange(written.Warnings);
                Out(string.Format("[{0}/{1}] {2}: ok, {3} keys → {4} ({5})", index, count, job.Name, written.KeysWritten, r.Output, written.ResampleError != null ? written.ResampleError.Summary() : ""));
            }
            catch (Exception e)
            {
                var inner = e is AggregateException && e.InnerException != null ? e.InnerException : e;
                r.Succeeded = false;
                r.Error = inner.Message;
                if (!(inner is ContractException) && !(inner is BridgeException)) Debug.LogException(inner);
                Out(string.Format("[{0}/{1}] {2}: FAILED: {3}", index, count, job.Name, inner.Message));
            }
            finally
            {
                if (prepared != null) prepared.Dispose();
                r.Seconds = watch.Elapsed.TotalSeconds;
            }
            return r;
        }

        /// <summary>"Assets/A.anim", or "Assets/Model.fbx#Take 001" for a clip inside a model.</summary>
        static AnimationClip LoadClip(string path)
        {
            string file = path, sub = null;
            int hash = path.IndexOf('#');
            if (hash >= 0)
            {
                file = path.Substring(0, hash);
                sub = path.Substring(hash + 1);
            }
            if (sub == null)
            {
                var clip = AssetDatabase.LoadAssetAtPath<AnimationClip>(file);
                if (clip == null) throw new ContractException("clip", "no AnimationClip at " + path);
                return clip;
            }
            foreach (var o in AssetDatabase.LoadAllAssetsAtPath(file))
            {
                var c = o as AnimationClip;
                if (c != null && c.name == sub && !c.name.StartsWith("__preview__")) return c;
            }
            throw new ContractException("clip", "no clip named \"" + sub + "\" in " + file);
        }

        static int Finish(BakeReport report, string reportPath)
        {
            if (!string.IsNullOrEmpty(reportPath))
            {
                try
                {
                    var dir = Path.GetDirectoryName(reportPath);
                    if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                    File.WriteAllText(reportPath, JsonWriter.Write(report.ToJson(), true) + "\n");
                }
                catch (Exception e)
                {
                    Out("anymole bake: could not write the report " + reportPath + ": " + e.Message);
                }
            }
            Out(report.SummaryLine());
            return report.ExitCode;
        }
    }
}
