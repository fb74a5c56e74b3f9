// Project Settings > AnyMoLe Bridge: the server address and options live in
// ProjectSettings/AnyMoLeBridgeSettings.json (shared with the team, outside the asset
// database); the token never goes there: it comes from the ANYMOLE_TOKEN environment variable
// or from EditorPrefs (this user, this machine), and is never logged.
using System;
using System.Collections.Generic;
using System.IO;
using AnyMoLe.Bridge.Grpc;
using UnityEditor;
using UnityEngine;
using UnityEngine.UIElements;

namespace AnyMoLe.Bridge.Editor
{
    [Serializable]
    public sealed class BridgeProjectSettings
    {
        const string FilePath = "ProjectSettings/AnyMoLeBridgeSettings.json";
        public const string TokenEnvironmentVariable = "ANYMOLE_TOKEN";
        public const string AddressEnvironmentVariable = "ANYMOLE_SERVER";

        public string address = "127.0.0.1:50051";
        public bool useTls;
        /// <summary>Path of a PEM file with root certificates (self-signed servers), or "".</summary>
        public string rootCertificatesPath = "";
        public int unaryTimeoutSeconds = 30;
        public int contextFrames = 61;
        public int previewSize = 256;
        public int previewMaxFrames = 8;
        public bool livePosePreview = true;

        static BridgeProjectSettings instance;

        public static BridgeProjectSettings Instance
        {
            get
            {
                if (instance != null) return instance;
                instance = new BridgeProjectSettings();
                try
                {
                    if (File.Exists(FilePath)) JsonUtility.FromJsonOverwrite(File.ReadAllText(FilePath), instance);
                }
                catch (Exception e)
                {
                    Debug.LogWarning("AnyMoLe Bridge: could not read " + FilePath + ": " + e.Message);
                }
                return instance;
            }
        }

        public void Save()
        {
            File.WriteAllText(FilePath, JsonUtility.ToJson(this, true));
        }

        static string TokenKey
        {
            get { return "AnyMoLe.Bridge.Token." + PlayerSettings.productGUID; }
        }

        /// <summary>The token: ANYMOLE_TOKEN when set, else this user's EditorPrefs entry.</summary>
        public static string Token
        {
            get
            {
                var env = Environment.GetEnvironmentVariable(TokenEnvironmentVariable);
                if (!string.IsNullOrEmpty(env)) return env;
                return EditorPrefs.GetString(TokenKey, "");
            }
        }

        public static bool TokenFromEnvironment
        {
            get { return !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(TokenEnvironmentVariable)); }
        }

        public static void SetStoredToken(string token)
        {
            if (string.IsNullOrEmpty(token)) EditorPrefs.DeleteKey(TokenKey);
            else EditorPrefs.SetString(TokenKey, token);
        }

        /// <summary>Settings for the channel; <paramref name="addressOverride"/> (a bake
        /// manifest's "server") wins over ANYMOLE_SERVER, which wins over the project's.</summary>
        public BridgeSettings ToBridgeSettings(string addressOverride)
        {
            string a = address;
            var env = Environment.GetEnvironmentVariable(AddressEnvironmentVariable);
            if (!string.IsNullOrEmpty(env)) a = env;
            if (!string.IsNullOrEmpty(addressOverride)) a = addressOverride;
            string pem = "";
            if (!string.IsNullOrEmpty(rootCertificatesPath))
            {
                if (!File.Exists(rootCertificatesPath)) throw new ArgumentException("root certificates file not found: " + rootCertificatesPath);
                pem = File.ReadAllText(rootCertificatesPath);
            }
            return new BridgeSettings
            {
                Address = a,
                Token = Token,
                UseTls = useTls,
                RootCertificatesPem = pem,
                UnaryTimeout = TimeSpan.FromSeconds(Math.Max(1, unaryTimeoutSeconds)),
            };
        }
    }

    static class BridgeSettingsProvider
    {
        [SettingsProvider]
        static SettingsProvider Create()
        {
            return new SettingsProvider("Project/AnyMoLe Bridge", SettingsScope.Project)
            {
                label = "AnyMoLe Bridge",
                keywords = new HashSet<string>(new[] { "AnyMoLe", "server", "token", "transition", "gRPC" }),
                activateHandler = (search, root) => Build(root),
            };
        }

        static void Build(VisualElement root)
        {
            var s = BridgeProjectSettings.Instance;
            var box = new VisualElement();
            box.style.paddingLeft = 10;
            box.style.paddingTop = 6;
            box.Add(new Label("AnyMoLe Bridge") { style = { unityFontStyleAndWeight = FontStyle.Bold, fontSize = 19 } });
            box.Add(new HelpBox("The server is `anymole serve` (127.0.0.1:50051 by default). Plaintext is for loopback; a shared server needs TLS and a token.", HelpBoxMessageType.Info));

            var address = new TextField("Server address") { value = s.address, tooltip = "host:port; ANYMOLE_SERVER overrides it" };
            address.RegisterValueChangedCallback(e => { s.address = e.newValue.Trim(); s.Save(); });
            box.Add(address);
            var tls = new Toggle("Use TLS (https)") { value = s.useTls };
            tls.RegisterValueChangedCallback(e => { s.useTls = e.newValue; s.Save(); });
            box.Add(tls);
            var pem = new TextField("Root certificates (PEM path)") { value = s.rootCertificatesPath, tooltip = "For a self-signed server; empty: Mozilla's roots" };
            pem.RegisterValueChangedCallback(e => { s.rootCertificatesPath = e.newValue.Trim(); s.Save(); });
            box.Add(pem);
            var timeout = new IntegerField("Call timeout (s)") { value = s.unaryTimeoutSeconds };
            timeout.RegisterValueChangedCallback(e => { s.unaryTimeoutSeconds = Math.Max(1, e.newValue); s.Save(); });
            box.Add(timeout);

            var token = new TextField("Token") { isPasswordField = true, value = BridgeProjectSettings.TokenFromEnvironment ? "" : (string.IsNullOrEmpty(BridgeProjectSettings.Token) ? "" : "********") };
            token.tooltip = "Stored in EditorPrefs for this user only (never in the project); ANYMOLE_TOKEN overrides it.";
            token.SetEnabled(!BridgeProjectSettings.TokenFromEnvironment);
            token.RegisterCallback<FocusInEvent>(e => { if (token.value == "********") token.SetValueWithoutNotify(""); });
            token.RegisterValueChangedCallback(e =>
            {
                if (e.newValue != "********") BridgeProjectSettings.SetStoredToken(e.newValue);
                BridgeChannel.Shutdown(); // the next call reconnects with the new token
            });
            box.Add(token);
            if (BridgeProjectSettings.TokenFromEnvironment)
                box.Add(new HelpBox("The token comes from the ANYMOLE_TOKEN environment variable.", HelpBoxMessageType.None));

            box.Add(new Label("Defaults") { style = { unityFontStyleAndWeight = FontStyle.Bold, marginTop = 10 } });
            var context = new IntegerField("Context frames") { value = s.contextFrames, tooltip = "Frames before the gap sent as context (61 ≈ 2 s at 30 fps)" };
            context.RegisterValueChangedCallback(e => { s.contextFrames = Math.Max(1, e.newValue); s.Save(); });
            box.Add(context);
            var size = new IntegerField("Preview size (px)") { value = s.previewSize };
            size.RegisterValueChangedCallback(e => { s.previewSize = Mathf.Clamp(e.newValue, 16, 2048); s.Save(); });
            box.Add(size);
            var frames = new IntegerField("Preview frames per stage") { value = s.previewMaxFrames };
            frames.RegisterValueChangedCallback(e => { s.previewMaxFrames = Math.Max(0, e.newValue); s.Save(); });
            box.Add(frames);
            var live = new Toggle("Live pose preview") { value = s.livePosePreview, tooltip = "Pose the character in the Scene view from the streamed pose previews" };
            live.RegisterValueChangedCallback(e => { s.livePosePreview = e.newValue; s.Save(); });
            box.Add(live);
            root.Add(box);
        }
    }
}
