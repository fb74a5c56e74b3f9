using System;
using System.Globalization;
using System.Text;

namespace AnyMoLe.Bridge.Core.Json
{
    /// <summary>Raised for malformed JSON text; the message gives the line and column.</summary>
    public sealed class JsonParseException : FormatException
    {
        public JsonParseException(string message) : base(message) { }
    }

    /// <summary>A strict RFC 8259 parser (no comments, no trailing commas, one value per text).</summary>
    public sealed class JsonReader
    {
        const int MaxDepth = 128;

        readonly string s;
        int pos;

        JsonReader(string text)
        {
            s = text;
        }

        public static JsonValue Parse(string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var r = new JsonReader(text);
            r.SkipWhitespace();
            if (r.pos < r.s.Length && r.s[r.pos] == '\uFEFF') r.pos++;
            r.SkipWhitespace();
            var v = r.ReadValue(0);
            r.SkipWhitespace();
            if (r.pos != r.s.Length) throw r.Error("unexpected text after the JSON value");
            return v;
        }

        JsonParseException Error(string what)
        {
            int line = 1, col = 1;
            for (int i = 0; i < pos && i < s.Length; i++)
            {
                if (s[i] == '\n') { line++; col = 1; }
                else col++;
            }
            return new JsonParseException("JSON: " + what + " at line " + line + ", column " + col);
        }

        void SkipWhitespace()
        {
            while (pos < s.Length)
            {
                char c = s[pos];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
                else break;
            }
        }

        JsonValue ReadValue(int depth)
        {
            if (depth > MaxDepth) throw Error("nesting deeper than " + MaxDepth);
            if (pos >= s.Length) throw Error("unexpected end of text");
            char c = s[pos];
            switch (c)
            {
                case '{': return ReadObject(depth);
                case '[': return ReadArray(depth);
                case '"': return JsonValue.Str(ReadString());
                case 't': Expect("true"); return JsonValue.True;
                case 'f': Expect("false"); return JsonValue.False;
                case 'n': Expect("null"); return JsonValue.Null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                    throw Error("unexpected character '" + c + "'");
            }
        }

        void Expect(string word)
        {
            if (string.CompareOrdinal(s, pos, word, 0, word.Length) != 0) throw Error("expected " + word);
            pos += word.Length;
        }

        JsonValue ReadObject(int depth)
        {
            var o = JsonValue.NewObject();
            pos++; // {
            SkipWhitespace();
            if (pos < s.Length && s[pos] == '}') { pos++; return o; }
            while (true)
            {
                SkipWhitespace();
                if (pos >= s.Length || s[pos] != '"') throw Error("expected a member name");
                string key = ReadString();
                if (o.Has(key)) throw Error("duplicate member \"" + key + "\"");
                SkipWhitespace();
                if (pos >= s.Length || s[pos] != ':') throw Error("expected ':'");
                pos++;
                SkipWhitespace();
                o.Set(key, ReadValue(depth + 1));
                SkipWhitespace();
                if (pos >= s.Length) throw Error("unexpected end of text in an object");
                if (s[pos] == ',') { pos++; continue; }
                if (s[pos] == '}') { pos++; return o; }
                throw Error("expected ',' or '}'");
            }
        }

        JsonValue ReadArray(int depth)
        {
            var a = JsonValue.NewArray();
            pos++; // [
            SkipWhitespace();
            if (pos < s.Length && s[pos] == ']') { pos++; return a; }
            while (true)
            {
                SkipWhitespace();
                a.Add(ReadValue(depth + 1));
                SkipWhitespace();
                if (pos >= s.Length) throw Error("unexpected end of text in an array");
                if (s[pos] == ',') { pos++; continue; }
                if (s[pos] == ']') { pos++; return a; }
                throw Error("expected ',' or ']'");
            }
        }

        string ReadString()
        {
            pos++; // opening quote
            StringBuilder sb = null;
            int start = pos;
            while (true)
            {
                if (pos >= s.Length) throw Error("unterminated string");
                char c = s[pos];
                if (c == '"')
                {
                    string result = sb == null ? s.Substring(start, pos - start) : sb.Append(s, start, pos - start).ToString();
                    pos++;
                    return result;
                }
                if (c < ' ') throw Error("control character in a string");
                if (c != '\\') { pos++; continue; }
                if (sb == null) sb = new StringBuilder();
                sb.Append(s, start, pos - start);
                pos++;
                if (pos >= s.Length) throw Error("unterminated escape");
                char e = s[pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (pos + 4 > s.Length) throw Error("short \\u escape");
                        int code;
                        if (!int.TryParse(s.Substring(pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code))
                            throw Error("bad \\u escape");
                        sb.Append((char)code);
                        pos += 4;
                        break;
                    default:
                        throw Error("bad escape \\" + e);
                }
                start = pos;
            }
        }

        JsonValue ReadNumber()
        {
            int start = pos;
            if (s[pos] == '-') pos++;
            if (pos >= s.Length) throw Error("bad number");
            if (s[pos] == '0') pos++;
            else if (s[pos] >= '1' && s[pos] <= '9') { while (pos < s.Length && char.IsDigit(s[pos])) pos++; }
            else throw Error("bad number");
            if (pos < s.Length && s[pos] == '.')
            {
                pos++;
                int digits = pos;
                while (pos < s.Length && s[pos] >= '0' && s[pos] <= '9') pos++;
                if (pos == digits) throw Error("bad number: no digits after '.'");
            }
            if (pos < s.Length && (s[pos] == 'e' || s[pos] == 'E'))
            {
                pos++;
                if (pos < s.Length && (s[pos] == '+' || s[pos] == '-')) pos++;
                int digits = pos;
                while (pos < s.Length && s[pos] >= '0' && s[pos] <= '9') pos++;
                if (pos == digits) throw Error("bad number: no exponent digits");
            }
            return JsonValue.NumberText(s.Substring(start, pos - start));
        }
    }
}
