// A console front end to Runtime/Core for tests outside Unity (mono here): the end-to-end test
// drives the same request builder and splice the editor uses, through files.
//
//   mono AnyMoLe.Bridge.CoreCli.exe build-request CASE.json REQUEST.json
//   mono AnyMoLe.Bridge.CoreCli.exe splice CASE.json RESULT.json SPLICED.json
//   mono AnyMoLe.Bridge.CoreCli.exe follow EVENTS.json UPDATES.json
//
// CASE.json: {"clip": …, "selection": …, "options": …} as in the conformance kit. RESULT.json:
// a TransitionResult in proto3 JSON. EVENTS.json: {"script": [{"event": …} | {"disconnect": {}}]}.
// Exit code 0 on success, 2 with "field: problem" on stderr for a contract error.
using System;
using System.IO;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Follow;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.CoreCli
{
    public static class Program
    {
        static TransitionPlan Plan(JsonValue c, out ClipSample clip)
        {
            clip = ClipSample.FromJson(c.Field("clip"));
            return RequestBuilder.Build(clip, Selection.FromJson(c.Field("selection")), c.Field("options"));
        }

        public static int Main(string[] args)
        {
            try
            {
                if (args.Length == 3 && args[0] == "build-request")
                {
                    ClipSample clip;
                    var plan = Plan(JsonReader.Parse(File.ReadAllText(args[1])), out clip);
                    File.WriteAllText(args[2], plan.ToJson(false));
                    return 0;
                }
                if (args.Length == 4 && args[0] == "splice")
                {
                    ClipSample clip;
                    var plan = Plan(JsonReader.Parse(File.ReadAllText(args[1])), out clip);
                    var result = TransitionResultData.FromJson(ProtoJson.Parse(File.ReadAllText(args[2]), "result"), plan.JointCount, "result");
                    var joints = SampledClipSplice.Splice(clip, plan, result);
                    File.WriteAllText(args[3], JsonWriter.Write(SampledClipSplice.ToJson(joints), false));
                    return 0;
                }
                if (args.Length == 3 && args[0] == "follow")
                {
                    var script = JsonReader.Parse(File.ReadAllText(args[1]));
                    var follower = new JobFollower();
                    var updates = JsonValue.NewArray();
                    foreach (var step in ProtoJson.GetArray(script, "script", "script"))
                    {
                        var list = step.Field("disconnect") != null ? follower.Disconnected() : follower.Feed(JobEventData.FromJson(step.Field("event"), -1));
                        foreach (var u in list) updates.Add(u.ToJson());
                    }
                    File.WriteAllText(args[2], JsonWriter.Write(updates, false));
                    return 0;
                }
                Console.Error.WriteLine("usage: build-request CASE REQUEST | splice CASE RESULT SPLICED | follow EVENTS UPDATES");
                return 64;
            }
            catch (ContractException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            catch (JsonParseException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
        }
    }
}
