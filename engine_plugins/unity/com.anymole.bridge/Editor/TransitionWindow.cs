// Window > AnyMoLe > Transition (UI Toolkit): clip and character, the gap with "from playhead",
// method and typed options from GetServerInfo, Generate / Cancel, preview frames in one reused
// Texture2D, a live pose on the character, UnityEditor.Progress with cancel, and the write-back
// report. All decisions live in Runtime/Core; this class only wires them to the editor.
using System;
using System.Collections.Generic;
using System.Threading;
using AnyMoLe.Bridge.Core;
using AnyMoLe.Bridge.Core.Contract;
using AnyMoLe.Bridge.Core.Follow;
using AnyMoLe.Bridge.Core.Json;
using AnyMoLe.Bridge.Grpc;
using UnityEditor;
using UnityEditor.UIElements;
using UnityEngine;
using UnityEngine.UIElements;

namespace AnyMoLe.Bridge.Editor
{
    public sealed class TransitionWindow : EditorWindow, ITransitionObserver
    {
        const string SessionJobKey = "AnyMoLe.Bridge.RunningJob";

        [SerializeField] AnimationClip clip;
        [SerializeField] GameObject character;
        [SerializeField] int startFrame;
        [SerializeField] int endFrame = 30;
        [SerializeField] bool interiorKeysAsTargets;
        [SerializeField] string method = "";
        [SerializeField] ulong seed;

        ObjectField clipField, characterField;
        IntegerField startField, endField, contextField;
        DropdownField methodField;
        VisualElement optionsBox;
        Button generateButton, cancelButton, duplicateButton, refreshButton;
        HelpBox messageBox;
        Label statusLabel, methodInfoLabel;
        UnityEngine.UIElements.ProgressBar progressBar;
        Image previewImage;
        Toggle liveToggle;

        Texture2D previewTexture;
        readonly JobViewState view = new JobViewState();
        readonly PosePreview posePreview = new PosePreview();
        readonly Dictionary<string, string> optionValues = new Dictionary<string, string>();
        ServerInfoData serverInfo;
        PreparedTransition prepared;
        TransitionJobRunner runner;
        CancellationTokenSource cts;
        int progressId = -1;

        [MenuItem("Window/AnyMoLe/Transition")]
        public static TransitionWindow Open()
        {
            var w = GetWindow<TransitionWindow>();
            w.titleContent = new GUIContent("AnyMoLe Transition");
            w.minSize = new Vector2(360, 480);
            w.Show();
            return w;
        }

        /// <summary>Opens the window on a clip (and a character and range when known).</summary>
        public static void OpenFor(AnimationClip c, GameObject root, int start, int end)
        {
            var w = Open();
            if (c != null) w.clip = c;
            if (root != null) w.character = root;
            if (start >= 0) w.startFrame = start;
            if (end > 0) w.endFrame = end;
            w.SyncFields();
        }

        void OnEnable()
        {
            if (previewTexture == null)
            {
                previewTexture = new Texture2D(2, 2, TextureFormat.RGB24, false);
                previewTexture.hideFlags = HideFlags.HideAndDontSave;
            }
        }

        void OnDisable()
        {
            posePreview.Stop();
            if (cts != null) cts.Cancel(); // the job goes on on the server; see SessionState
            FinishProgress(Progress.Status.Canceled);
            if (prepared != null) prepared.Dispose();
            prepared = null;
            if (previewTexture != null) DestroyImmediate(previewTexture);
            previewTexture = null;
        }

        public void CreateGUI()
        {
            var root = rootVisualElement;
            root.style.paddingLeft = root.style.paddingRight = 6;
            root.style.paddingTop = 4;

            clipField = new ObjectField("Clip") { objectType = typeof(AnimationClip), allowSceneObjects = false, value = clip };
            clipField.RegisterValueChangedCallback(e => { clip = (AnimationClip)e.newValue; Validate(); });
            root.Add(clipField);
            characterField = new ObjectField("Character") { objectType = typeof(GameObject), allowSceneObjects = true, value = character };
            characterField.tooltip = "The object with the Animator the clip plays on (a scene object also gets the live pose preview)";
            characterField.RegisterValueChangedCallback(e => { character = (GameObject)e.newValue; Validate(); });
            root.Add(characterField);
            var fromAnimation = new Button(UseAnimationWindow) { text = "Use the Animation window's clip and object" };
            root.Add(fromAnimation);

            var range = new Foldout { text = "Range (clip frames)", value = true };
            startField = new IntegerField("Last context frame") { value = startFrame };
            startField.RegisterValueChangedCallback(e => { startFrame = e.newValue; Validate(); });
            endField = new IntegerField("Target key frame") { value = endFrame };
            endField.RegisterValueChangedCallback(e => { endFrame = e.newValue; Validate(); });
            range.Add(Row(startField, new Button(() => { startField.value = Playhead(); }) { text = "From playhead" }));
            range.Add(Row(endField, new Button(() => { endField.value = Playhead(); }) { text = "From playhead" }));
            contextField = new IntegerField("Context frames") { value = BridgeProjectSettings.Instance.contextFrames };
            range.Add(contextField);
            var interior = new Toggle("Keys inside the gap are targets") { value = interiorKeysAsTargets };
            interior.RegisterValueChangedCallback(e => { interiorKeysAsTargets = e.newValue; Validate(); });
            range.Add(interior);
            root.Add(range);

            var methodBox = new Foldout { text = "Method", value = true };
            methodField = new DropdownField("Method", new List<string> { "(connect to list methods)" }, 0);
            methodField.RegisterValueChangedCallback(e => { method = e.newValue; BuildOptions(); Validate(); });
            refreshButton = new Button(() => RefreshServerInfo()) { text = "Connect" };
            methodBox.Add(Row(methodField, refreshButton));
            methodInfoLabel = new Label { style = { whiteSpace = WhiteSpace.Normal, unityFontStyleAndWeight = FontStyle.Italic } };
            methodBox.Add(methodInfoLabel);
            var seedField = new TextField("Seed") { value = seed.ToString() };
            seedField.RegisterValueChangedCallback(e => { ulong s; if (ulong.TryParse(e.newValue, out s)) seed = s; });
            methodBox.Add(seedField);
            optionsBox = new VisualElement();
            methodBox.Add(optionsBox);
            root.Add(methodBox);

            messageBox = new HelpBox("", HelpBoxMessageType.None) { style = { display = DisplayStyle.None } };
            root.Add(messageBox);
            duplicateButton = new Button(DuplicateClip) { text = "Duplicate to .anim", style = { display = DisplayStyle.None } };
            root.Add(duplicateButton);

            generateButton = new Button(Generate) { text = "Generate transition" };
            generateButton.style.height = 28;
            cancelButton = new Button(Cancel) { text = "Cancel" };
            cancelButton.SetEnabled(false);
            root.Add(Row(generateButton, cancelButton));

            progressBar = new UnityEngine.UIElements.ProgressBar { lowValue = 0, highValue = 1, title = "" };
            root.Add(progressBar);
            statusLabel = new Label("Idle") { style = { whiteSpace = WhiteSpace.Normal } };
            root.Add(statusLabel);
            liveToggle = new Toggle("Live pose preview") { value = BridgeProjectSettings.Instance.livePosePreview };
            liveToggle.RegisterValueChangedCallback(e => { if (!e.newValue) posePreview.Stop(); });
            root.Add(liveToggle);
            previewImage = new Image { image = previewTexture, scaleMode = ScaleMode.ScaleToFit };
            previewImage.style.flexGrow = 1;
            previewImage.style.minHeight = 160;
            root.Add(previewImage);

            Validate();
            ResumeNotice();
        }

        static VisualElement Row(VisualElement a, VisualElement b)
        {
            var row = new VisualElement { style = { flexDirection = FlexDirection.Row } };
            a.style.flexGrow = 1;
            row.Add(a);
            row.Add(b);
            return row;
        }

        void SyncFields()
        {
            if (clipField == null) return;
            clipField.SetValueWithoutNotify(clip);
            characterField.SetValueWithoutNotify(character);
            startField.SetValueWithoutNotify(startFrame);
            endField.SetValueWithoutNotify(endFrame);
            Validate();
        }

        // ---- Animation window -------------------------------------------------------------

        static int Playhead()
        {
            if (!HasOpenInstances<AnimationWindow>()) return 0;
            return GetWindow<AnimationWindow>(false, null, false).frame;
        }

        void UseAnimationWindow()
        {
            if (!HasOpenInstances<AnimationWindow>())
            {
                Show("Open the Animation window on the character first (Window > Animation > Animation).", HelpBoxMessageType.Warning);
                return;
            }
            var aw = GetWindow<AnimationWindow>(false, null, false);
            clip = aw.animationClip;
            character = AnimationWindowRoot();
            startFrame = aw.frame;
            SyncFields();
        }

        /// <summary>The root the Animation window animates: the selected object's Animator.</summary>
        internal static GameObject AnimationWindowRoot()
        {
            var go = UnityEditor.Selection.activeGameObject;
            if (go == null) return null;
            var animator = go.GetComponentInParent<Animator>();
            return animator != null ? animator.gameObject : go;
        }

        // ---- validation -------------------------------------------------------------------

        void Validate()
        {
            if (generateButton == null) return;
            duplicateButton.style.display = DisplayStyle.None;
            string problem = "";
            string why;
            if (clip == null) problem = "Pick a clip (or press the button to take the Animation window's).";
            else if (!TransitionPipeline.IsEditable(clip, out why))
            {
                problem = why;
                duplicateButton.style.display = DisplayStyle.Flex;
            }
            else if (character == null) problem = "Pick the character the clip plays on.";
            else
            {
                try
                {
                    AnyMoLe.Bridge.Core.Clip.SelectionPlanner.ForGap(startFrame, endFrame, Math.Max(1, contextField.value), TransitionPipeline.FrameCount(clip),
                        TransitionPipeline.KeyFrames(clip), interiorKeysAsTargets, serverInfo != null ? serverInfo.MaxFrames : 0);
                }
                catch (ContractException e)
                {
                    problem = e.Message;
                }
            }
            var m = serverInfo != null ? serverInfo.FindMethod(method) : null;
            if (problem.Length == 0 && m != null && !m.Runnable) problem = "\"" + m.Name + "\" cannot run on this server: " + m.UnavailableReason;
            bool running = view.Running;
            generateButton.SetEnabled(!running && problem.Length == 0);
            if (!running)
            {
                if (problem.Length > 0) Show(problem, HelpBoxMessageType.Warning);
                else if (!view.Finished) Hide();
            }
        }

        void Show(string text, HelpBoxMessageType type)
        {
            messageBox.text = text;
            messageBox.messageType = type;
            messageBox.style.display = DisplayStyle.Flex;
        }

        void Hide()
        {
            messageBox.style.display = DisplayStyle.None;
        }

        void DuplicateClip()
        {
            var copy = TransitionPipeline.DuplicateToAnim(clip, null);
            clip = copy;
            EditorGUIUtility.PingObject(copy);
            SyncFields();
            Show("Editing the copy " + AssetDatabase.GetAssetPath(copy) + ". Point your Animator states at it to use the result.", HelpBoxMessageType.Info);
        }

        // ---- server info and options ------------------------------------------------------

        BridgeSettings Settings()
        {
            return BridgeProjectSettings.Instance.ToBridgeSettings(null);
        }

        async void RefreshServerInfo()
        {
            refreshButton.SetEnabled(false);
            statusLabel.text = "Connecting…";
            try
            {
                var r = new TransitionJobRunner(Settings(), null);
                serverInfo = await r.GetServerInfoAsync(BridgeChannel.Lifetime);
                string warning;
                VersionRule.Check(serverInfo.ProtocolVersion, out warning);
                var names = new List<string>();
                foreach (var mi in serverInfo.MethodsForUi()) names.Add(mi.Name);
                methodField.choices = names;
                if (!names.Contains(method)) method = serverInfo.DefaultMethod.Length > 0 ? serverInfo.DefaultMethod : (names.Count > 0 ? names[0] : "");
                methodField.SetValueWithoutNotify(method);
                BuildOptions();
                statusLabel.text = "Connected: server " + serverInfo.ServerVersion + ", protocol " + serverInfo.ProtocolVersion + ", " + serverInfo.Device;
                if (warning.Length > 0) Show(warning, HelpBoxMessageType.Warning);
                else Validate();
            }
            catch (BridgeException e)
            {
                serverInfo = null;
                statusLabel.text = "Not connected";
                Show(e.Message, HelpBoxMessageType.Error);
            }
            catch (Exception e)
            {
                serverInfo = null;
                statusLabel.text = "Not connected";
                Show(e.Message, HelpBoxMessageType.Error);
            }
            finally
            {
                if (refreshButton != null) refreshButton.SetEnabled(true);
            }
        }

        void BuildOptions()
        {
            optionsBox.Clear();
            var m = serverInfo != null ? serverInfo.FindMethod(method) : null;
            methodInfoLabel.text = m == null ? "" : m.Description + (m.Stages.Count > 0 ? "  Stages: " + string.Join(" → ", m.Stages) : "");
            if (m == null) return;
            foreach (var o in m.Options)
            {
                var info = o;
                string current;
                optionValues.TryGetValue(info.Field, out current);
                string placeholder = JobOptionsBuilder.DefaultText(info);
                VisualElement field;
                if (info.Type == "OPTION_TYPE_BOOL")
                {
                    var t = new Toggle(Label(info)) { value = (current ?? placeholder) == "true" };
                    t.RegisterValueChangedCallback(e => optionValues[info.Field] = e.newValue ? "true" : "false");
                    field = t;
                }
                else
                {
                    var t = new TextField(Label(info)) { value = current ?? "" };
                    t.tooltip = info.Description + (placeholder.Length > 0 ? " (default " + placeholder + ")" : "") + Range(info);
                    t.RegisterValueChangedCallback(e => optionValues[info.Field] = e.newValue);
                    field = t;
                }
                if (field.tooltip == null || field.tooltip.Length == 0) field.tooltip = info.Description;
                optionsBox.Add(field);
            }
        }

        static string Label(OptionInfoData o)
        {
            return ObjectNames.NicifyVariableName(o.Name);
        }

        static string Range(OptionInfoData o)
        {
            if (!o.Minimum.HasValue && !o.Maximum.HasValue) return "";
            return " [" + (o.Minimum.HasValue ? o.Minimum.Value.ToString() : "") + ", " + (o.Maximum.HasValue ? o.Maximum.Value.ToString() : "") + "]";
        }

        JsonValue BuildJobOptions()
        {
            var s = BridgeProjectSettings.Instance;
            var options = JobOptionsBuilder.Create(method, seed, s.previewSize, s.previewSize, s.previewMaxFrames, "IMAGE_FORMAT_JPEG", s.previewMaxFrames == 0, !liveToggle.value, 0f);
            var m = serverInfo != null ? serverInfo.FindMethod(method) : null;
            if (m != null)
                foreach (var o in m.Options)
                {
                    string v;
                    if (optionValues.TryGetValue(o.Field, out v)) JobOptionsBuilder.SetOption(options, o, v);
                }
            return options;
        }

        // ---- the job ----------------------------------------------------------------------

        async void Generate()
        {
            if (view.Running) return;
            view.Start("Preparing…");
            generateButton.SetEnabled(false);
            cancelButton.SetEnabled(true);
            Hide();
            try
            {
                if (prepared != null) prepared.Dispose();
                prepared = null;
                var options = BuildJobOptions();
                prepared = TransitionPipeline.Prepare(clip, character, startFrame, endFrame, Math.Max(1, contextField.value), interiorKeysAsTargets, options,
                    serverInfo != null ? serverInfo.MaxFrames : 0, true);
                var m = serverInfo != null ? serverInfo.FindMethod(method) : null;
                view.KnownStages = m != null ? m.Stages : new List<string>();
                progressId = Progress.Start("AnyMoLe transition", clip.name + " " + startFrame + "→" + endFrame);
                Progress.RegisterCancelCallback(progressId, () => { Cancel(); return true; });
                cts = CancellationTokenSource.CreateLinkedTokenSource(BridgeChannel.Lifetime);
                var ctx = SynchronizationContext.Current;
                runner = new TransitionJobRunner(Settings(), a => ctx.Post(_ => a(), null));
                Refresh();
                var result = await runner.RunAsync(prepared.Plan, this, cts.Token);
                SessionState.EraseString(SessionJobKey);
                posePreview.Stop();
                var report = TransitionPipeline.Apply(prepared, result, clip, true);
                FinishProgress(Progress.Status.Succeeded);
                view.Status = report.Summary();
                Show(report.Warnings.Count > 0 ? string.Join("\n", report.Warnings) : report.Summary(), report.Warnings.Count > 0 ? HelpBoxMessageType.Warning : HelpBoxMessageType.Info);
            }
            catch (ContractException e)
            {
                Fail(e.Message, 0);
            }
            catch (BridgeException e)
            {
                Fail(e.Message, e.StatusCode);
            }
            catch (OperationCanceledException)
            {
                Fail("Stopped: the editor is reloading or the window closed. The job goes on on the server.", StatusCodes.Cancelled);
            }
            catch (ArgumentException e)
            {
                Fail(e.Message, 0); // settings: no address, unreadable root certificates
            }
            catch (Exception e)
            {
                Debug.LogException(e);
                Fail("Unexpected error: " + e.Message, StatusCodes.Unknown);
            }
            finally
            {
                view.Running = false;
                if (cancelButton != null) cancelButton.SetEnabled(false);
                Refresh();
                Validate();
            }
        }

        void Fail(string message, int code)
        {
            posePreview.Stop();
            SessionState.EraseString(SessionJobKey);
            view.Fail(message, code);
            FinishProgress(code == StatusCodes.Cancelled ? Progress.Status.Canceled : Progress.Status.Failed);
            Show(message + (code == StatusCodes.Cancelled ? "" : " The clip is unchanged."), code == StatusCodes.Cancelled ? HelpBoxMessageType.Info : HelpBoxMessageType.Error);
        }

        async void Cancel()
        {
            if (runner == null) return;
            cancelButton.SetEnabled(false);
            view.Status = "Cancelling…";
            Refresh();
            try
            {
                await runner.CancelAsync();
            }
            catch (BridgeException e)
            {
                Show(e.Message, HelpBoxMessageType.Error);
                if (cts != null) cts.Cancel();
            }
        }

        void FinishProgress(Progress.Status status)
        {
            if (progressId >= 0 && Progress.Exists(progressId)) Progress.Finish(progressId, status);
            progressId = -1;
        }

        // ITransitionObserver (called on the main thread through the SynchronizationContext)

        public void OnServerInfo(ServerInfoData info, string versionWarning)
        {
            serverInfo = info;
            if (!string.IsNullOrEmpty(versionWarning)) Debug.LogWarning("AnyMoLe Bridge: " + versionWarning);
        }

        public void OnSubmitted(string jobId)
        {
            view.Submitted(jobId);
            SessionState.SetString(SessionJobKey, jobId);
            Refresh();
        }

        public void OnUpdate(FollowerUpdate update)
        {
            bool visual = view.Apply(update);
            if (visual && update.Kind == "preview" && update.Preview.Image.Length > 0 && previewTexture != null)
            {
                // Replaces size and format (JPEG → RGB24) and uploads without Apply.
                ImageConversion.LoadImage(previewTexture, update.Preview.Image, false);
                if (previewImage != null) previewImage.MarkDirtyRepaint();
            }
            if (visual && update.Kind == "pose" && liveToggle != null && liveToggle.value)
            {
                try
                {
                    posePreview.Show(prepared, update.Pose, character);
                }
                catch (Exception e)
                {
                    Debug.LogWarning("AnyMoLe Bridge: live pose preview failed: " + e.Message);
                    posePreview.Stop();
                }
            }
            if (progressId >= 0) Progress.Report(progressId, view.Fraction, view.Status);
            Refresh();
        }

        void Refresh()
        {
            if (statusLabel == null) return;
            statusLabel.text = view.Status + (view.JobId.Length > 0 ? "  [job " + view.JobId + "]" : "");
            progressBar.value = view.Fraction;
            progressBar.title = view.Running ? (view.Fraction * 100f).ToString("0") + "%" : "";
        }

        void ResumeNotice()
        {
            var job = SessionState.GetString(SessionJobKey, "");
            if (job.Length > 0)
                Show("A job (" + job + ") was running when the editor reloaded; its result stays on the server. Press Generate to run the transition again.", HelpBoxMessageType.Info);
        }
    }
}
