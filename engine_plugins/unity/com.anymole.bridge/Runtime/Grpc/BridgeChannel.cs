// One process-wide gRPC channel over Cysharp's YetAnotherHttpHandler (Unity has no HTTP/2 of its
// own). Created lazily, replaced when the settings change, disposed once on domain reload, on
// quit and on leaving edit mode (Editor/BridgeLifecycle.cs wires those events): sharing one
// handler and disposing it once is what fixed YAHH's "stuck when reloading domain" (YAHH #45).
using System;
using System.Threading;
using AnyMoLe.Bridge.V1;
using Cysharp.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;

namespace AnyMoLe.Bridge.Grpc
{
    /// <summary>Where and how to reach the server. The token is held in memory only.</summary>
    public sealed class BridgeSettings : IEquatable<BridgeSettings>
    {
        /// <summary>"host:port", "http://host:port" or "https://host:port".</summary>
        public string Address = "127.0.0.1:50051";
        /// <summary>Bearer token, or "" for a server without one. Never logged.</summary>
        public string Token = "";
        /// <summary>TLS (https). Plaintext is meant for loopback (h2c needs Http2Only).</summary>
        public bool UseTls;
        /// <summary>PEM root certificates for a self-signed server, or "" for Mozilla's roots.</summary>
        public string RootCertificatesPem = "";
        /// <summary>Deadline of unary calls.</summary>
        public TimeSpan UnaryTimeout = TimeSpan.FromSeconds(30);
        /// <summary>Largest message either way (results of long clips are big).</summary>
        public int MaxMessageBytes = 64 * 1024 * 1024;

        public Uri ToUri()
        {
            string a = (Address ?? "").Trim();
            if (a.Length == 0) throw new ArgumentException("no server address: set it in Project Settings > AnyMoLe Bridge");
            if (!a.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !a.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                a = (UseTls ? "https://" : "http://") + a;
            Uri uri;
            if (!Uri.TryCreate(a, UriKind.Absolute, out uri)) throw new ArgumentException("not a server address: \"" + Address + "\" (expected host:port)");
            return uri;
        }

        public bool Equals(BridgeSettings o)
        {
            return o != null && Address == o.Address && Token == o.Token && UseTls == o.UseTls
                && RootCertificatesPem == o.RootCertificatesPem && UnaryTimeout == o.UnaryTimeout && MaxMessageBytes == o.MaxMessageBytes;
        }

        public override bool Equals(object obj) { return Equals(obj as BridgeSettings); }

        public override int GetHashCode() { return (Address ?? "").GetHashCode() ^ UseTls.GetHashCode(); }

        public BridgeSettings Clone() { return (BridgeSettings)MemberwiseClone(); }

        /// <summary>The address for messages (never the token).</summary>
        public override string ToString() { return ToUri().ToString(); }
    }

    /// <summary>The process-wide channel and client.</summary>
    public static class BridgeChannel
    {
        static readonly object Gate = new object();
        static GrpcChannel channel;
        static BridgeSettings current;
        static AnymoleServiceClient client;
        static CancellationTokenSource lifetime = new CancellationTokenSource();

        /// <summary>Cancelled on shutdown (domain reload, quit): every call passes it on.</summary>
        public static CancellationToken Lifetime
        {
            get
            {
                lock (Gate) return lifetime.Token;
            }
        }

        /// <summary>The client for <paramref name="settings"/>, reusing the channel when they did
        /// not change.</summary>
        public static AnymoleServiceClient Client(BridgeSettings settings)
        {
            lock (Gate)
            {
                if (client != null && settings.Equals(current)) return client;
                DisposeChannel();
                if (lifetime.IsCancellationRequested) lifetime = new CancellationTokenSource();
                var uri = settings.ToUri();
                bool tls = uri.Scheme == Uri.UriSchemeHttps;
                var handler = new YetAnotherHttpHandler
                {
                    // Plaintext gRPC is h2c: without Http2Only YAHH tries HTTP/1 and fails.
                    Http2Only = !tls,
                };
                if (tls && !string.IsNullOrEmpty(settings.RootCertificatesPem)) handler.RootCertificates = settings.RootCertificatesPem;
                channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
                {
                    HttpHandler = handler,
                    DisposeHttpClient = true,
                    MaxReceiveMessageSize = settings.MaxMessageBytes,
                    MaxSendMessageSize = settings.MaxMessageBytes,
                });
                current = settings.Clone();
                string token = settings.Token ?? "";
                client = new AnymoleServiceClient(channel.CreateCallInvoker(), () =>
                {
                    var md = new Metadata();
                    if (token.Length > 0) md.Add("authorization", "Bearer " + token);
                    return md;
                });
                return client;
            }
        }

        /// <summary>Cancels every call and disposes the channel. Idempotent; no file I/O (it runs
        /// in beforeAssemblyReload).</summary>
        public static void Shutdown()
        {
            lock (Gate)
            {
                try
                {
                    lifetime.Cancel();
                }
                catch (ObjectDisposedException)
                {
                }
                DisposeChannel();
            }
        }

        static void DisposeChannel()
        {
            var c = channel;
            channel = null;
            client = null;
            current = null;
            if (c == null) return;
            try
            {
                c.Dispose();
            }
            catch (Exception)
            {
                // a handler already torn down by the reload; nothing left to free
            }
        }
    }
}
