using System.Globalization;

namespace AnyMoLe.Bridge.Core.Contract
{
    /// <summary>gRPC status codes the contract uses (google.rpc.Code numbers).</summary>
    public static class StatusCodes
    {
        public const int Ok = 0;
        public const int Cancelled = 1;
        public const int Unknown = 2;
        public const int InvalidArgument = 3;
        public const int DeadlineExceeded = 4;
        public const int NotFound = 5;
        public const int ResourceExhausted = 8;
        public const int FailedPrecondition = 9;
        public const int Aborted = 10;
        public const int Internal = 13;
        public const int Unavailable = 14;
        public const int Unauthenticated = 16;

        public static string Name(int code)
        {
            switch (code)
            {
                case Ok: return "OK";
                case Cancelled: return "CANCELLED";
                case Unknown: return "UNKNOWN";
                case InvalidArgument: return "INVALID_ARGUMENT";
                case DeadlineExceeded: return "DEADLINE_EXCEEDED";
                case NotFound: return "NOT_FOUND";
                case ResourceExhausted: return "RESOURCE_EXHAUSTED";
                case FailedPrecondition: return "FAILED_PRECONDITION";
                case Aborted: return "ABORTED";
                case Internal: return "INTERNAL";
                case Unavailable: return "UNAVAILABLE";
                case Unauthenticated: return "UNAUTHENTICATED";
                default: return "STATUS_" + code.ToString(CultureInfo.InvariantCulture);
            }
        }

        /// <summary>A dropped stream worth watching again (the job goes on on the server).</summary>
        public static bool IsTransient(int code)
        {
            return code == Unavailable || code == Internal || code == Unknown || code == Aborted;
        }
    }

    /// <summary>
    /// What the user reads when a call fails: the server's words, the field it named, and what to
    /// do. Tokens never appear in these messages.
    /// </summary>
    public static class StatusMessages
    {
        /// <summary>
        /// <paramref name="field"/>: the "anymole-field" trailer of an INVALID_ARGUMENT, or "".
        /// <paramref name="address"/>: the server address, for connection problems.
        /// </summary>
        public static string ForStatus(int code, string detail, string field, string address)
        {
            detail = detail ?? "";
            switch (code)
            {
                case StatusCodes.Unavailable:
                    return "Cannot reach the AnyMoLe server at " + address + " (" + Trim(detail) + "). Is `anymole serve` running there? Check the address in Project Settings > AnyMoLe Bridge.";
                case StatusCodes.Unauthenticated:
                    return "The AnyMoLe server at " + address + " refused the token (" + Trim(detail) + "). Set the token in Project Settings > AnyMoLe Bridge or the ANYMOLE_TOKEN environment variable.";
                case StatusCodes.InvalidArgument:
                    if (!string.IsNullOrEmpty(field) && !detail.StartsWith(field))
                        return "The server rejected the request: " + field + ": " + detail;
                    return "The server rejected the request: " + detail;
                case StatusCodes.FailedPrecondition:
                    return "The server cannot run this: " + detail;
                case StatusCodes.ResourceExhausted:
                    return "The server's job queue is full (" + Trim(detail) + "); try again in a moment.";
                case StatusCodes.DeadlineExceeded:
                    return "The AnyMoLe server at " + address + " did not answer in time (" + Trim(detail) + ").";
                case StatusCodes.Cancelled:
                    return "Cancelled.";
                case StatusCodes.NotFound:
                    return "The server does not know this job (" + Trim(detail) + "); it may have been restarted with another database.";
                default:
                    return "The AnyMoLe server failed with " + StatusCodes.Name(code) + ": " + detail;
            }
        }

        static string Trim(string s)
        {
            return s.Length > 200 ? s.Substring(0, 200) + "…" : s;
        }
    }
}
