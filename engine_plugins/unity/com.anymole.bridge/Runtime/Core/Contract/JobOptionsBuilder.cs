using System;
using System.Globalization;
using AnyMoLe.Bridge.Core.Json;

namespace AnyMoLe.Bridge.Core.Contract
{
    /// <summary>
    /// Builds the proto3 JSON of anymole.v1.JobOptions. Method-specific options are set by the
    /// JSON path the server lists in OptionInfo.field ("anymole.denoiseSteps"), so an editor UI
    /// built from GetServerInfo needs no per-method code.
    /// </summary>
    public static class JobOptionsBuilder
    {
        /// <summary>JobOptions with a method, a seed and preview settings. Zero sizes and counts
        /// mean the server's defaults; <paramref name="format"/> an ImageFormat name or "".</summary>
        public static JsonValue Create(string method, ulong seed, int previewWidth, int previewHeight, int previewMaxFrames, string format, bool previewsDisabled, bool posesDisabled, float poseMaxRateHz)
        {
            var o = JsonValue.NewObject();
            ProtoJson.SetString(o, "method", method);
            if (seed != 0) o.Set("seed", JsonValue.Str(seed.ToString(CultureInfo.InvariantCulture)));
            var p = JsonValue.NewObject();
            if (previewsDisabled) p.Set("disabled", JsonValue.True);
            ProtoJson.SetUInt(p, "width", previewWidth);
            ProtoJson.SetUInt(p, "height", previewHeight);
            ProtoJson.SetUInt(p, "maxFrames", previewMaxFrames);
            if (!string.IsNullOrEmpty(format) && format != "IMAGE_FORMAT_UNSPECIFIED") p.Set("format", JsonValue.Str(format));
            if (posesDisabled) p.Set("posesDisabled", JsonValue.True);
            if (poseMaxRateHz > 0f) p.Set("poseMaxRateHz", JsonValue.Float(poseMaxRateHz));
            if (p.Count > 0) o.Set("preview", p);
            return o;
        }

        /// <summary>
        /// Sets one typed option from the text a user typed; "" removes it (the server's
        /// default). Throws <see cref="ContractException"/> naming the option for a value of the
        /// wrong type or outside [minimum, maximum].
        /// </summary>
        public static void SetOption(JsonValue jobOptions, OptionInfoData info, string text)
        {
            if (string.IsNullOrEmpty(info.Field)) throw new ContractException("options." + info.Name, "the server gave no JSON field for this option");
            string field = "options." + info.Field;
            string[] path = info.Field.Split('.');
            JsonValue parent = jobOptions;
            for (int i = 0; i < path.Length - 1; i++)
            {
                var child = parent.Get(path[i]);
                if (child == null || child.Kind != JsonKind.Object)
                {
                    child = JsonValue.NewObject();
                    parent.Set(path[i], child);
                }
                parent = child;
            }
            string leaf = path[path.Length - 1];
            text = text == null ? "" : text.Trim();
            if (text.Length == 0)
            {
                parent.Remove(leaf);
                return;
            }
            parent.Set(leaf, Parse(info, text, field));
        }

        static JsonValue Parse(OptionInfoData info, string text, string field)
        {
            switch (info.Type)
            {
                case "OPTION_TYPE_BOOL":
                    if (text == "true" || text == "True" || text == "1") return JsonValue.True;
                    if (text == "false" || text == "False" || text == "0") return JsonValue.False;
                    throw new ContractException(field, "expected true or false, got \"" + text + "\"");
                case "OPTION_TYPE_INT":
                {
                    long n;
                    if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n))
                        throw new ContractException(field, "expected a whole number, got \"" + text + "\"");
                    CheckRange(info, n, field);
                    return JsonValue.Int(n);
                }
                case "OPTION_TYPE_FLOAT":
                {
                    double d;
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out d) || double.IsNaN(d) || double.IsInfinity(d))
                        throw new ContractException(field, "expected a number, got \"" + text + "\"");
                    CheckRange(info, d, field);
                    return JsonValue.Double(d);
                }
                default:
                    return JsonValue.Str(text);
            }
        }

        static void CheckRange(OptionInfoData info, double value, string field)
        {
            if (info.Minimum.HasValue && value < info.Minimum.Value)
                throw new ContractException(field, "must be at least " + info.Minimum.Value.ToString(CultureInfo.InvariantCulture) + ", got " + value.ToString(CultureInfo.InvariantCulture));
            if (info.Maximum.HasValue && value > info.Maximum.Value)
                throw new ContractException(field, "must be at most " + info.Maximum.Value.ToString(CultureInfo.InvariantCulture) + ", got " + value.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>The text to show for an option's default ("" when none): JSON strings
        /// unquoted, other JSON as is.</summary>
        public static string DefaultText(OptionInfoData info)
        {
            if (string.IsNullOrEmpty(info.DefaultJson)) return "";
            try
            {
                var v = JsonReader.Parse(info.DefaultJson);
                return v.Kind == JsonKind.String ? v.AsString() : v.ToString();
            }
            catch (FormatException)
            {
                return info.DefaultJson;
            }
        }
    }
}
