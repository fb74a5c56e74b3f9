using System;
using System.Collections.Generic;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Contract
{
    /// <summary>
    /// Reading and writing the proto3 JSON mapping of contract messages (protobuf.dev's "JSON
    /// Mapping"): lowerCamelCase names (the original names are accepted too), enum names,
    /// 64-bit integers as strings, bytes as base64, defaults omitted on output. Reading ignores
    /// unknown fields, so a newer minor server can add fields; every error names the field.
    /// </summary>
    public static class ProtoJson
    {
        public static JsonValue Parse(string json, string what)
        {
            try
            {
                var v = JsonReader.Parse(json);
                if (v.Kind != JsonKind.Object) throw new ContractException(what, "expected a JSON object");
                return v;
            }
            catch (JsonParseException e)
            {
                throw new ContractException(what, e.Message);
            }
        }

        static T Wrap<T>(string field, Func<T> read)
        {
            try
            {
                return read();
            }
            catch (FormatException e)
            {
                throw new ContractException(field, e.Message);
            }
            catch (InvalidOperationException e)
            {
                throw new ContractException(field, e.Message);
            }
        }

        public static string GetString(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return "";
            return Wrap(path + "." + name, () => v.AsString());
        }

        public static bool GetBool(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return false;
            return Wrap(path + "." + name, () => v.AsBool());
        }

        public static double GetDouble(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return 0.0;
            return Wrap(path + "." + name, () => v.AsDouble());
        }

        public static double? GetOptionalDouble(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return null;
            return Wrap(path + "." + name, () => v.AsDouble());
        }

        public static long GetLong(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return 0;
            return Wrap(path + "." + name, () => v.AsLong());
        }

        public static ulong GetULong(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return 0;
            return Wrap(path + "." + name, () => v.AsULong());
        }

        public static JsonValue GetObject(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return null;
            if (v.Kind != JsonKind.Object) throw new ContractException(path + "." + name, "expected an object, got " + v.Describe());
            return v;
        }

        public static List<JsonValue> GetArray(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return new List<JsonValue>();
            if (v.Kind != JsonKind.Array) throw new ContractException(path + "." + name, "expected an array, got " + v.Describe());
            return v.AsArray();
        }

        public static List<string> GetStrings(JsonValue obj, string name, string path)
        {
            var result = new List<string>();
            int i = 0;
            foreach (var item in GetArray(obj, name, path))
            {
                var it = item;
                result.Add(Wrap(path + "." + name + "[" + i + "]", () => it.AsString()));
                i++;
            }
            return result;
        }

        public static List<long> GetInts(JsonValue obj, string name, string path)
        {
            var result = new List<long>();
            int i = 0;
            foreach (var item in GetArray(obj, name, path))
            {
                var it = item;
                result.Add(Wrap(path + "." + name + "[" + i + "]", () => it.AsLong()));
                i++;
            }
            return result;
        }

        /// <summary>An enum field as its name; numbers are mapped through <paramref name="names"/>
        /// (index = number). Absent: the first name (the proto3 default).</summary>
        public static string GetEnum(JsonValue obj, string name, string path, string[] names)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return names[0];
            if (v.Kind == JsonKind.String) return v.AsString();
            long n = Wrap(path + "." + name, () => v.AsLong());
            if (n >= 0 && n < names.Length) return names[n];
            return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public static byte[] GetBytes(JsonValue obj, string name, string path)
        {
            var v = obj == null ? null : obj.Field(name);
            if (v == null) return new byte[0];
            string s = Wrap(path + "." + name, () => v.AsString());
            // proto3 JSON accepts standard or URL-safe base64, with or without padding.
            s = s.Replace('-', '+').Replace('_', '/');
            while (s.Length % 4 != 0) s += "=";
            try
            {
                return Convert.FromBase64String(s);
            }
            catch (FormatException)
            {
                throw new ContractException(path + "." + name, "not base64");
            }
        }

        // ---- writing --------------------------------------------------------------------

        public static void SetString(JsonValue obj, string name, string value)
        {
            if (!string.IsNullOrEmpty(value)) obj.Set(name, JsonValue.Str(value));
        }

        public static void SetUInt(JsonValue obj, string name, long value)
        {
            if (value != 0) obj.Set(name, JsonValue.Int(value));
        }

        public static void SetDouble(JsonValue obj, string name, double value)
        {
            if (value != 0.0) obj.Set(name, JsonValue.Double(value));
        }

        public static JsonValue IntArray(IEnumerable<int> values)
        {
            var a = JsonValue.NewArray();
            foreach (var v in values) a.Add(JsonValue.Int(v));
            return a;
        }

        public static JsonValue StringArray(IEnumerable<string> values)
        {
            var a = JsonValue.NewArray();
            foreach (var v in values) a.Add(JsonValue.Str(v));
            return a;
        }
    }

    /// <summary>Names of the contract's enums, indexed by their number.</summary>
    public static class ContractEnums
    {
        public static readonly string[] JobState =
        {
            "JOB_STATE_UNSPECIFIED", "JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED",
            "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_INTERRUPTED",
        };

        public static readonly string[] ImageFormat = { "IMAGE_FORMAT_UNSPECIFIED", "IMAGE_FORMAT_JPEG", "IMAGE_FORMAT_PNG" };

        public static readonly string[] OptionType =
        {
            "OPTION_TYPE_UNSPECIFIED", "OPTION_TYPE_BOOL", "OPTION_TYPE_INT", "OPTION_TYPE_FLOAT", "OPTION_TYPE_STRING",
        };

        public static bool IsTerminal(string jobState)
        {
            return jobState == "JOB_STATE_SUCCEEDED" || jobState == "JOB_STATE_FAILED"
                || jobState == "JOB_STATE_CANCELLED" || jobState == "JOB_STATE_INTERRUPTED";
        }
    }
}
