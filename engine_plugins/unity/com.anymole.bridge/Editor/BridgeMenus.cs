// Entry points besides the Window menu: a shortcut in the Animation window (Alt+G: from the
// playhead to the next key) and Assets context-menu items for selected clips.
using UnityEditor;
using UnityEditor.ShortcutManagement;
using UnityEngine;

namespace AnyMoLe.Bridge.Editor
{
    static class BridgeMenus
    {
        /// <summary>In the Animation window: the playhead is the last context frame, the next
        /// key after it the target.</summary>
        [Shortcut("AnyMoLe/Generate Transition", typeof(AnimationWindow), KeyCode.G, ShortcutModifiers.Alt)]
        static void GenerateFromAnimationWindow(ShortcutArguments args)
        {
            var aw = args.context as AnimationWindow;
            if (aw == null || aw.animationClip == null)
            {
                TransitionWindow.Open();
                return;
            }
            var clip = aw.animationClip;
            int start = aw.frame;
            int end = -1;
            foreach (var f in TransitionPipeline.KeyFrames(clip))
            {
                if (f > start + 1 + 1e-3)
                {
                    end = (int)System.Math.Round(f);
                    break;
                }
            }
            TransitionWindow.OpenFor(clip, TransitionWindow.AnimationWindowRoot(), start, end);
        }

        [MenuItem("Assets/AnyMoLe/Generate Transition…", false, 1900)]
        static void GenerateForSelectedClip()
        {
            var clip = Selection.activeObject as AnimationClip;
            TransitionWindow.OpenFor(clip, null, -1, -1);
        }

        [MenuItem("Assets/AnyMoLe/Generate Transition…", true)]
        static bool GenerateForSelectedClipValid()
        {
            return Selection.activeObject is AnimationClip;
        }

        [MenuItem("Assets/AnyMoLe/Duplicate Clip to .anim", false, 1901)]
        static void DuplicateSelected()
        {
            foreach (var o in Selection.objects)
            {
                var clip = o as AnimationClip;
                if (clip == null) continue;
                var copy = TransitionPipeline.DuplicateToAnim(clip, null);
                Debug.Log("AnyMoLe Bridge: duplicated " + clip.name + " to " + AssetDatabase.GetAssetPath(copy));
                EditorGUIUtility.PingObject(copy);
            }
        }

        [MenuItem("Assets/AnyMoLe/Duplicate Clip to .anim", true)]
        static bool DuplicateSelectedValid()
        {
            foreach (var o in Selection.objects)
                if (o is AnimationClip) return true;
            return false;
        }
    }
}
