using System.Globalization;
using System.Text;

namespace AnyMoLe.Bridge.Core.Json
{
    /// <summary>Writes a <see cref="JsonValue"/> tree as compact or indented JSON text.</summary>
    public static class JsonWriter
    {
        public static string Write(JsonValue value, bool indent)
        {
            var sb = new StringBuilder();
            WriteValue(sb, value ?? JsonValue.Null, indent, 0);
            return sb.ToString();
        }

        static void NewLine(StringBuilder sb, bool indent, int depth)
        {
            if (!indent) return;
            sb.Append('\n');
            sb.Append(' ', depth * 2);
        }

        static bool AllScalars(JsonValue array)
        {
            foreach (var v in array.AsArray())
                if (v.Kind == JsonKind.Array || v.Kind == JsonKind.Object) return false;
            return true;
        }

        static void WriteValue(StringBuilder sb, JsonValue v, bool indent, int depth)
        {
            switch (v.Kind)
            {
                case JsonKind.Null: sb.Append("null"); break;
                case JsonKind.Bool: sb.Append(v.AsBool() ? "true" : "false"); break;
                case JsonKind.Number: sb.Append(v.NumberTextValue); break;
                case JsonKind.String: WriteString(sb, v.AsString()); break;
                case JsonKind.Array:
                {
                    var items = v.AsArray();
                    sb.Append('[');
                    bool flat = !indent || AllScalars(v);
                    for (int i = 0; i < items.Count; i++)
                    {
                        if (i > 0) sb.Append(flat && indent ? ", " : ",");
                        if (!flat) NewLine(sb, indent, depth + 1);
                        WriteValue(sb, items[i], indent, depth + 1);
                    }
                    if (!flat && items.Count > 0) NewLine(sb, indent, depth);
                    sb.Append(']');
                    break;
                }
                default:
                {
                    sb.Append('{');
                    var keys = v.Keys;
                    for (int i = 0; i < keys.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        NewLine(sb, indent, depth + 1);
                        WriteString(sb, keys[i]);
                        sb.Append(indent ? ": " : ":");
                        WriteValue(sb, v.Get(keys[i]), indent, depth + 1);
                    }
                    if (keys.Count > 0) NewLine(sb, indent, depth);
                    sb.Append('}');
                    break;
                }
            }
        }

        public static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
