// Live pose preview: each MotionPreview from the server is written (same Core splice, no Undo)
// into a hidden in-memory copy of the clip, which AnimationMode samples onto the character in
// the Scene view, looping over the gap. AnimationMode reverts everything when it stops, so the
// scene is never dirtied; when the Animation window is already previewing, its mode is reused
// and left running.
using AnyMoLe.Bridge.Core.Clip;
using AnyMoLe.Bridge.Core.Contract;
using UnityEditor;
using UnityEngine;
using Object = UnityEngine.Object;

namespace AnyMoLe.Bridge.Editor
{
    public sealed class PosePreview
    {
        GameObject target;
        AnimationClip previewClip;
        bool ownsAnimationMode;
        double startTime;
        float firstTime, lastTime;

        public bool Active { get { return previewClip != null; } }

        /// <summary>Shows <paramref name="pose"/> on <paramref name="sceneCharacter"/> (a scene
        /// object; prefab assets are skipped).</summary>
        public void Show(PreparedTransition prepared, MotionPreviewData pose, GameObject sceneCharacter)
        {
            if (sceneCharacter == null || !sceneCharacter.scene.IsValid() || prepared == null) return;
            ClipTracks tracks;
            try
            {
                tracks = ResultReader.Read(prepared.Plan, pose.AsResult());
            }
            catch (AnyMoLe.Bridge.Core.ContractException)
            {
                return; // a partial preview that does not cover the gap: skip it
            }
            if (previewClip == null)
            {
                previewClip = Object.Instantiate(prepared.Clip);
                previewClip.hideFlags = HideFlags.HideAndDontSave;
                previewClip.name = prepared.Clip.name + " (AnyMoLe preview)";
            }
            else
            {
                EditorUtility.CopySerialized(prepared.Clip, previewClip);
                previewClip.hideFlags = HideFlags.HideAndDontSave;
            }
            ClipWriter.Write(previewClip, prepared.Rig, tracks, false, false);
            target = sceneCharacter;
            firstTime = tracks.FirstFrame / previewClip.frameRate;
            lastTime = tracks.LastFrame / previewClip.frameRate;
            if (!AnimationMode.InAnimationMode())
            {
                AnimationMode.StartAnimationMode();
                ownsAnimationMode = true;
            }
            if (startTime == 0) startTime = EditorApplication.timeSinceStartup;
            EditorApplication.update -= Tick;
            EditorApplication.update += Tick;
        }

        void Tick()
        {
            if (target == null || previewClip == null || !AnimationMode.InAnimationMode())
            {
                Stop();
                return;
            }
            float span = Mathf.Max(1e-3f, lastTime - firstTime);
            float t = firstTime + (float)((EditorApplication.timeSinceStartup - startTime) % (span + 0.5)); // hold 0.5 s at the end
            if (t > lastTime) t = lastTime;
            AnimationMode.BeginSampling();
            AnimationMode.SampleAnimationClip(target, previewClip, t);
            AnimationMode.EndSampling();
            SceneView.RepaintAll();
        }

        public void Stop()
        {
            EditorApplication.update -= Tick;
            if (ownsAnimationMode && AnimationMode.InAnimationMode()) AnimationMode.StopAnimationMode();
            ownsAnimationMode = false;
            if (previewClip != null) Object.DestroyImmediate(previewClip);
            previewClip = null;
            target = null;
            startTime = 0;
        }
    }
}
