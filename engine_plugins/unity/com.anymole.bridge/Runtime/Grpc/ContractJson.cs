// The boundary between the generated messages and Runtime/Core: proto3 JSON both ways, with
// Google.Protobuf's own formatter and parser (the same mapping the Python client and the
// conformance vectors use).
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Json;
using AnyMoLe.Bridge.V1;
using Google.Protobuf;

namespace AnyMoLe.Bridge.Grpc
{
    public static class ContractJson
    {
        // Defaults omitted, enums as names, int64 as strings: what the Core reads.
        static readonly JsonFormatter Formatter = new JsonFormatter(JsonFormatter.Settings.Default);
        // Strict: a field the Core spelt wrong is a bug, not something to drop silently.
        static readonly JsonParser Strict = new JsonParser(JsonParser.Settings.Default);

        /// <summary>The Core's request JSON as a message (InvalidProtocolBufferException on a
        /// field the contract does not have).</summary>
        public static TransitionInput ToInput(JsonValue input)
        {
            return Strict.Parse<TransitionInput>(JsonWriter.Write(input, false));
        }

        public static JobEventData ToCore(JobEvent e, int jointCount)
        {
            return JobEventData.FromJson(Formatter.Format(e), jointCount);
        }

        public static ServerInfoData ToCore(GetServerInfoResponse info)
        {
            return ServerInfoData.FromJson(Formatter.Format(info));
        }

        public static TransitionResultData ToCore(TransitionResult result, int jointCount)
        {
            return TransitionResultData.FromJson(ProtoJson.Parse(Formatter.Format(result), "result"), jointCount, "result");
        }
    }
}
