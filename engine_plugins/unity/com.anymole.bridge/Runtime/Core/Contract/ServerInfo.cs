using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Contract
{
    /// <summary>anymole.v1.OptionInfo (protocol 1.1): one typed option of a method.</summary>
    public sealed class OptionInfoData
    {
        public string Name = "";
        /// <summary>JSON path within JobOptions, e.g. "anymole.denoiseSteps".</summary>
        public string Field = "";
        public string Type = "OPTION_TYPE_UNSPECIFIED";
        public string Description = "";
        /// <summary>The default as proto3 JSON text ("30", "true", "\"text\""); "" for none.</summary>
        public string DefaultJson = "";
        public double? Minimum;
        public double? Maximum;
    }

    /// <summary>anymole.v1.MethodInfo (protocol 1.1).</summary>
    public sealed class MethodInfoData
    {
        public string Name = "";
        public string Description = "";
        public bool Runnable;
        public string UnavailableReason = "";
        public bool NeedsPrior;
        public bool IsDefault;
        public List<string> Stages = new List<string>();
        public List<OptionInfoData> Options = new List<OptionInfoData>();
    }

    /// <summary>anymole.v1.GetServerInfoResponse, the parts an editor uses.</summary>
    public sealed class ServerInfoData
    {
        public string ProtocolVersion = "";
        public string ServerVersion = "";
        public List<string> Methods = new List<string>();
        public string DefaultMethod = "";
        public List<string> VideoPriors = new List<string>();
        public string Renderer = "";
        public string Device = "";
        public int MaxJoints;
        public int MaxFrames;
        public int MaxPreviewSize;
        public int MaxPreviewFrames;
        /// <summary>Every method of the server's catalogue (protocol 1.1). A 1.0 server sends
        /// none: <see cref="MethodsForUi"/> then falls back to <see cref="Methods"/>.</summary>
        public List<MethodInfoData> MethodInfo = new List<MethodInfoData>();

        public static ServerInfoData FromJson(JsonValue v)
        {
            const string path = "serverInfo";
            var s = new ServerInfoData
            {
                ProtocolVersion = ProtoJson.GetString(v, "protocolVersion", path),
                ServerVersion = ProtoJson.GetString(v, "serverVersion", path),
            };
            var caps = ProtoJson.GetObject(v, "capabilities", path);
            if (caps == null) return s;
            string cp = path + ".capabilities";
            s.Methods = ProtoJson.GetStrings(caps, "methods", cp);
            s.DefaultMethod = ProtoJson.GetString(caps, "defaultMethod", cp);
            s.VideoPriors = ProtoJson.GetStrings(caps, "videoPriors", cp);
            s.Renderer = ProtoJson.GetString(caps, "renderer", cp);
            s.Device = ProtoJson.GetString(caps, "device", cp);
            var limits = ProtoJson.GetObject(caps, "limits", cp);
            if (limits != null)
            {
                s.MaxJoints = (int)ProtoJson.GetLong(limits, "maxJoints", cp + ".limits");
                s.MaxFrames = (int)ProtoJson.GetLong(limits, "maxFrames", cp + ".limits");
                s.MaxPreviewSize = (int)ProtoJson.GetLong(limits, "maxPreviewSize", cp + ".limits");
                s.MaxPreviewFrames = (int)ProtoJson.GetLong(limits, "maxPreviewFrames", cp + ".limits");
            }
            int i = 0;
            foreach (var m in ProtoJson.GetArray(caps, "methodInfo", cp))
            {
                string mp = cp + ".methodInfo[" + i++ + "]";
                var info = new MethodInfoData
                {
                    Name = ProtoJson.GetString(m, "name", mp),
                    Description = ProtoJson.GetString(m, "description", mp),
                    Runnable = ProtoJson.GetBool(m, "runnable", mp),
                    UnavailableReason = ProtoJson.GetString(m, "unavailableReason", mp),
                    NeedsPrior = ProtoJson.GetBool(m, "needsPrior", mp),
                    IsDefault = ProtoJson.GetBool(m, "isDefault", mp),
                    Stages = ProtoJson.GetStrings(m, "stages", mp),
                };
                int k = 0;
                foreach (var o in ProtoJson.GetArray(m, "options", mp))
                {
                    string op = mp + ".options[" + k++ + "]";
                    info.Options.Add(new OptionInfoData
                    {
                        Name = ProtoJson.GetString(o, "name", op),
                        Field = ProtoJson.GetString(o, "field", op),
                        Type = ProtoJson.GetEnum(o, "type", op, ContractEnums.OptionType),
                        Description = ProtoJson.GetString(o, "description", op),
                        DefaultJson = ProtoJson.GetString(o, "defaultJson", op),
                        Minimum = ProtoJson.GetOptionalDouble(o, "minimum", op),
                        Maximum = ProtoJson.GetOptionalDouble(o, "maximum", op),
                    });
                }
                s.MethodInfo.Add(info);
            }
            return s;
        }

        public static ServerInfoData FromJson(string json)
        {
            return FromJson(ProtoJson.Parse(json, "serverInfo"));
        }

        /// <summary>The methods to offer in a UI: the catalogue when the server sends one
        /// (runnable or not, so the UI can say why), else the plain method names.</summary>
        public List<MethodInfoData> MethodsForUi()
        {
            if (MethodInfo.Count > 0) return MethodInfo;
            var list = new List<MethodInfoData>();
            foreach (var name in Methods)
                list.Add(new MethodInfoData { Name = name, Runnable = true, IsDefault = name == DefaultMethod });
            return list;
        }

        public MethodInfoData FindMethod(string name)
        {
            foreach (var m in MethodsForUi())
                if (m.Name == name) return m;
            return null;
        }
    }
}
