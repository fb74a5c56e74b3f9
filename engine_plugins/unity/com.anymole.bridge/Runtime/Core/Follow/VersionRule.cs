using System.Globalization;
using System.Text.RegularExpressions;

namespace AnyMoLe.Bridge.Core.Follow
{
    /// <summary>The outcome of comparing protocol versions.</summary>
    public enum VersionOutcome
    {
        Ok,
        Warn,
        Refuse,
    }

    /// <summary>
    /// The protocol version this package speaks and the rule every client applies to
    /// GetServerInfo.protocol_version (conformance README §5): another major version, or a
    /// version that does not parse: refuse; same major, another minor: warn; patch only: ok.
    /// </summary>
    public static class VersionRule
    {
        /// <summary>The contract version of proto/anymole/v1 this package was built against.</summary>
        public const string ClientProtocolVersion = "1.1.0";

        static readonly Regex Semver = new Regex(@"^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$", RegexOptions.CultureInvariant);

        /// <summary>(major, minor, patch) or false when the text is not MAJOR.MINOR.PATCH.</summary>
        public static bool TryParse(string version, out int major, out int minor, out int patch)
        {
            major = minor = patch = 0;
            if (version == null) return false;
            var m = Semver.Match(version);
            if (!m.Success) return false;
            return int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out major)
                && int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out minor)
                && int.TryParse(m.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out patch);
        }

        public static VersionOutcome Check(string server, string client, out string message)
        {
            int sM, sm, sp, cM, cm, cp;
            if (!TryParse(server, out sM, out sm, out sp))
            {
                message = "the server reported protocol version \"" + server + "\", which is not MAJOR.MINOR.PATCH; this client speaks " + client;
                return VersionOutcome.Refuse;
            }
            if (!TryParse(client, out cM, out cm, out cp))
            {
                message = "this client's protocol version \"" + client + "\" is not MAJOR.MINOR.PATCH";
                return VersionOutcome.Refuse;
            }
            if (sM != cM)
            {
                string side = sM > cM ? "the AnyMoLe Bridge package" : "the server";
                message = "the server speaks protocol " + server + " and this client " + client + ": major versions differ, so they cannot talk; upgrade " + side;
                return VersionOutcome.Refuse;
            }
            if (sm != cm)
            {
                string older = sm < cm ? server : client;
                message = "the server speaks protocol " + server + " and this client " + client + ": minor versions differ; features newer than " + older + " are unavailable";
                return VersionOutcome.Warn;
            }
            message = "";
            return VersionOutcome.Ok;
        }

        public static VersionOutcome Check(string server, out string message)
        {
            return Check(server, ClientProtocolVersion, out message);
        }

        /// <summary>"ok", "warn" or "refuse", as the conformance kit spells outcomes.</summary>
        public static string Name(VersionOutcome o)
        {
            switch (o)
            {
                case VersionOutcome.Ok: return "ok";
                case VersionOutcome.Warn: return "warn";
                default: return "refuse";
            }
        }
    }
}
