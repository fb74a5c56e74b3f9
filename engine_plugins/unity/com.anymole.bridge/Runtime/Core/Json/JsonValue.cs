// A small JSON document model for the proto3 JSON mapping of the AnyMoLe contract.
//
// Why not Newtonsoft.Json or Google.Protobuf here: Runtime/Core has no package references
// (noEngineReferences, no precompiled assemblies), so that the very same files compile under
// Unity's Roslyn and under Debian's mono mcs for the NUnit tests. The Core needs only a tree,
// exact float32 round-trips and 64-bit integers as strings, which fit in a few hundred lines.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace AnyMoLe.Bridge.Core.Json
{
    /// <summary>The type of a <see cref="JsonValue"/>.</summary>
    public enum JsonKind
    {
        Null,
        Bool,
        Number,
        String,
        Array,
        Object,
    }

    /// <summary>
    /// One JSON value. Numbers keep their source text (so 64-bit integers and float32 values
    /// survive exactly); objects keep insertion order.
    /// </summary>
    public sealed class JsonValue
    {
        public static readonly JsonValue Null = new JsonValue(JsonKind.Null);
        public static readonly JsonValue True = new JsonValue(JsonKind.Bool) { boolValue = true };
        public static readonly JsonValue False = new JsonValue(JsonKind.Bool) { boolValue = false };

        readonly JsonKind kind;
        bool boolValue;
        string text; // number text or string value
        List<JsonValue> items;
        List<string> keys;
        Dictionary<string, JsonValue> members;

        JsonValue(JsonKind kind)
        {
            this.kind = kind;
        }

        public JsonKind Kind { get { return kind; } }

        // ---- construction ---------------------------------------------------------------

        public static JsonValue NewObject()
        {
            var v = new JsonValue(JsonKind.Object);
            v.keys = new List<string>();
            v.members = new Dictionary<string, JsonValue>(StringComparer.Ordinal);
            return v;
        }

        public static JsonValue NewArray()
        {
            var v = new JsonValue(JsonKind.Array);
            v.items = new List<JsonValue>();
            return v;
        }

        public static JsonValue Bool(bool b)
        {
            return b ? True : False;
        }

        public static JsonValue Str(string s)
        {
            if (s == null) throw new ArgumentNullException("s");
            var v = new JsonValue(JsonKind.String);
            v.text = s;
            return v;
        }

        /// <summary>A number from its JSON text (validated by the caller).</summary>
        public static JsonValue NumberText(string jsonNumber)
        {
            var v = new JsonValue(JsonKind.Number);
            v.text = jsonNumber;
            return v;
        }

        public static JsonValue Int(long n)
        {
            return NumberText(n.ToString(CultureInfo.InvariantCulture));
        }

        public static JsonValue UInt(ulong n)
        {
            return NumberText(n.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>A float32 written with the shortest text that parses back to the same float.
        /// NaN and infinities are written as the proto3 JSON strings.</summary>
        public static JsonValue Float(float f)
        {
            if (float.IsNaN(f)) return Str("NaN");
            if (float.IsPositiveInfinity(f)) return Str("Infinity");
            if (float.IsNegativeInfinity(f)) return Str("-Infinity");
            return NumberText(JsonNumbers.FormatFloat(f));
        }

        /// <summary>A float64 written so that it parses back to the same double.</summary>
        public static JsonValue Double(double d)
        {
            if (double.IsNaN(d)) return Str("NaN");
            if (double.IsPositiveInfinity(d)) return Str("Infinity");
            if (double.IsNegativeInfinity(d)) return Str("-Infinity");
            return NumberText(JsonNumbers.FormatDouble(d));
        }

        // ---- arrays ---------------------------------------------------------------------

        public int Count
        {
            get
            {
                if (kind == JsonKind.Array) return items.Count;
                if (kind == JsonKind.Object) return keys.Count;
                return 0;
            }
        }

        public JsonValue this[int index]
        {
            get { return AsArray()[index]; }
        }

        public JsonValue Add(JsonValue item)
        {
            AsArray().Add(item ?? Null);
            return this;
        }

        public List<JsonValue> AsArray()
        {
            if (kind != JsonKind.Array) throw new InvalidOperationException("not a JSON array but " + kind);
            return items;
        }

        // ---- objects --------------------------------------------------------------------

        public IList<string> Keys
        {
            get
            {
                if (kind != JsonKind.Object) throw new InvalidOperationException("not a JSON object but " + kind);
                return keys.AsReadOnly();
            }
        }

        /// <summary>Sets a member (replacing an earlier one in place, keeping its position).</summary>
        public JsonValue Set(string key, JsonValue value)
        {
            if (kind != JsonKind.Object) throw new InvalidOperationException("not a JSON object but " + kind);
            if (!members.ContainsKey(key)) keys.Add(key);
            members[key] = value ?? Null;
            return this;
        }

        public bool Remove(string key)
        {
            if (kind != JsonKind.Object) throw new InvalidOperationException("not a JSON object but " + kind);
            if (!members.Remove(key)) return false;
            keys.Remove(key);
            return true;
        }

        public bool Has(string key)
        {
            return kind == JsonKind.Object && members.ContainsKey(key);
        }

        /// <summary>The member or null (absent). Not an object: null.</summary>
        public JsonValue Get(string key)
        {
            if (kind != JsonKind.Object) return null;
            JsonValue v;
            return members.TryGetValue(key, out v) ? v : null;
        }

        // ---- scalars --------------------------------------------------------------------

        public bool IsNull { get { return kind == JsonKind.Null; } }

        public bool AsBool()
        {
            if (kind != JsonKind.Bool) throw new FormatException("expected true or false, got " + Describe());
            return boolValue;
        }

        public string AsString()
        {
            if (kind != JsonKind.String) throw new FormatException("expected a string, got " + Describe());
            return text;
        }

        /// <summary>The number text (numbers only).</summary>
        public string NumberTextValue
        {
            get
            {
                if (kind != JsonKind.Number) throw new FormatException("expected a number, got " + Describe());
                return text;
            }
        }

        /// <summary>A double from a number or from a proto3 JSON numeric string ("1.5", "NaN").</summary>
        public double AsDouble()
        {
            if (kind == JsonKind.Number || kind == JsonKind.String)
            {
                double d;
                if (JsonNumbers.TryParseDouble(text, out d)) return d;
            }
            throw new FormatException("expected a number, got " + Describe());
        }

        public float AsFloat()
        {
            return (float)AsDouble();
        }

        /// <summary>An integer from a number or a numeric string ("12", "12.0", "1e2").</summary>
        public long AsLong()
        {
            if (kind == JsonKind.Number || kind == JsonKind.String)
            {
                long n;
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
                double d;
                if (JsonNumbers.TryParseDouble(text, out d) && Math.Floor(d) == d && Math.Abs(d) < 9.2e18) return (long)d;
            }
            throw new FormatException("expected an integer, got " + Describe());
        }

        public ulong AsULong()
        {
            if (kind == JsonKind.Number || kind == JsonKind.String)
            {
                ulong n;
                if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n)) return n;
                long s = AsLong();
                if (s >= 0) return (ulong)s;
            }
            throw new FormatException("expected a non-negative integer, got " + Describe());
        }

        public int AsInt()
        {
            long n = AsLong();
            if (n < int.MinValue || n > int.MaxValue) throw new FormatException("integer out of range: " + n);
            return (int)n;
        }

        public string Describe()
        {
            switch (kind)
            {
                case JsonKind.Null: return "null";
                case JsonKind.Bool: return boolValue ? "true" : "false";
                case JsonKind.Number: return text;
                case JsonKind.String: return "\"" + (text.Length > 40 ? text.Substring(0, 40) + "…" : text) + "\"";
                case JsonKind.Array: return "an array";
                default: return "an object";
            }
        }

        public override string ToString()
        {
            return JsonWriter.Write(this, false);
        }

        // ---- helpers for proto3 JSON ----------------------------------------------------

        /// <summary>
        /// The member named <paramref name="camelName"/> or its original proto field name
        /// (snake_case); proto3 JSON parsers accept both. Null when absent or JSON null.
        /// </summary>
        public JsonValue Field(string camelName)
        {
            var v = Get(camelName);
            if (v == null)
            {
                string snake = JsonNumbers.CamelToSnake(camelName);
                if (snake != camelName) v = Get(snake);
            }
            if (v != null && v.IsNull) return null;
            return v;
        }

        public JsonValue Clone()
        {
            switch (kind)
            {
                case JsonKind.Array:
                    var a = NewArray();
                    foreach (var x in items) a.Add(x.Clone());
                    return a;
                case JsonKind.Object:
                    var o = NewObject();
                    foreach (var k in keys) o.Set(k, members[k].Clone());
                    return o;
                default:
                    return this; // scalars are immutable
            }
        }
    }

    /// <summary>Number formatting and parsing, invariant culture.</summary>
    public static class JsonNumbers
    {
        public static string FormatFloat(float f)
        {
            if (f == 0f) return (1f / f) < 0 ? "-0" : "0";
            string s = f.ToString("R", CultureInfo.InvariantCulture);
            float back;
            if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out back) || back != f)
                s = f.ToString("G9", CultureInfo.InvariantCulture);
            return Normalise(s);
        }

        public static string FormatDouble(double d)
        {
            if (d == 0d) return (1d / d) < 0 ? "-0" : "0";
            string s = d.ToString("R", CultureInfo.InvariantCulture);
            double back;
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out back) || back != d)
                s = d.ToString("G17", CultureInfo.InvariantCulture);
            return Normalise(s);
        }

        // "1E-05" -> "1e-05": valid JSON either way; lower case matches other writers.
        static string Normalise(string s)
        {
            return s.Replace("E+", "e+").Replace("E-", "e-").Replace("E", "e");
        }

        public static bool TryParseDouble(string s, out double d)
        {
            if (s == "NaN") { d = double.NaN; return true; }
            if (s == "Infinity") { d = double.PositiveInfinity; return true; }
            if (s == "-Infinity") { d = double.NegativeInfinity; return true; }
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d);
        }

        /// <summary>"firstFrame" -> "first_frame" (the protoc rule reversed).</summary>
        public static string CamelToSnake(string camel)
        {
            var sb = new System.Text.StringBuilder(camel.Length + 4);
            foreach (char c in camel)
            {
                if (c >= 'A' && c <= 'Z')
                {
                    sb.Append('_');
                    sb.Append((char)(c - 'A' + 'a'));
                }
                else
                {
                    sb.Append(c);
                }
            }
            return sb.ToString();
        }
    }
}
