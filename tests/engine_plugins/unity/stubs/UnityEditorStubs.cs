// Minimal hand-written stand-ins for the engine / gRPC APIs the package's Unity-only code uses,
// declared with the real names and signatures, bodies empty. Only for test_unity_layer_stubs.py:
// compiling Runtime/Grpc, Editor and Tests/Editor against them catches typos and type errors
// outside Unity. They are not the real assemblies; passing here does not prove Unity compiles it.

using System; using System.Collections.Generic; using UnityEngine; using UnityEngine.UIElements;
namespace UnityEditor {
  public struct EditorCurveBinding { public string path; public string propertyName; public Type type; public static EditorCurveBinding FloatCurve(string p, Type t, string n) { return default(EditorCurveBinding); } }
  public static class AnimationUtility { public enum TangentMode { Free = 0 } public static EditorCurveBinding[] GetCurveBindings(AnimationClip c) { return null; } public static AnimationCurve GetEditorCurve(AnimationClip c, EditorCurveBinding b) { return null; }
    public static void SetEditorCurve(AnimationClip c, EditorCurveBinding b, AnimationCurve a) {} public static void SetEditorCurves(AnimationClip c, EditorCurveBinding[] b, AnimationCurve[] a) {}
    public static string CalculateTransformPath(Transform t, Transform r) { return ""; } public static void SetKeyLeftTangentMode(AnimationCurve c, int i, TangentMode m) {} public static void SetKeyRightTangentMode(AnimationCurve c, int i, TangentMode m) {} }
  public static class Undo { public static void RegisterCompleteObjectUndo(UnityEngine.Object o, string n) {} public static void RegisterCreatedObjectUndo(UnityEngine.Object o, string n) {} public static void IncrementCurrentGroup() {} public static void PerformUndo() {} }
  public static class EditorUtility { public static void SetDirty(UnityEngine.Object o) {} public static void CopySerialized(UnityEngine.Object a, UnityEngine.Object b) {} }
  public static class AssetDatabase { public static string GetAssetPath(UnityEngine.Object o) { return ""; } public static bool IsOpenForEdit(string p) { return true; } public static string GenerateUniqueAssetPath(string p) { return p; }
    public static T LoadAssetAtPath<T>(string p) where T : UnityEngine.Object { return null; } public static UnityEngine.Object[] LoadAllAssetsAtPath(string p) { return null; } public static void CreateAsset(UnityEngine.Object o, string p) {} public static void SaveAssets() {} public static void SaveAssetIfDirty(UnityEngine.Object o) {} }
  public enum PlayModeStateChange { EnteredEditMode, ExitingEditMode }
  public static class EditorApplication { public delegate void CallbackFunction(); public static CallbackFunction update; public static event Action quitting; public static event Action<PlayModeStateChange> playModeStateChanged;
    public static double timeSinceStartup { get { return 0; } } public static void LockReloadAssemblies() {} public static void UnlockReloadAssemblies() {} public static void Exit(int c) {} }
  public static class AssemblyReloadEvents { public delegate void AssemblyReloadCallback(); public static event AssemblyReloadCallback beforeAssemblyReload; }
  public static class AnimationMode { public static bool InAnimationMode() { return false; } public static void StartAnimationMode() {} public static void StopAnimationMode() {} public static void BeginSampling() {} public static void EndSampling() {} public static void SampleAnimationClip(GameObject g, AnimationClip c, float t) {} }
  public class SceneView { public static void RepaintAll() {} }
  public class EditorWindow : ScriptableObject { public static T GetWindow<T>() where T : EditorWindow { return null; } public static T GetWindow<T>(bool u, string t, bool f) where T : EditorWindow { return null; } public static bool HasOpenInstances<T>() where T : EditorWindow { return false; }
    public GUIContent titleContent { get; set; } public Vector2 minSize { get; set; } public void Show() {} public void Close() {} public VisualElement rootVisualElement { get { return null; } } }
  public sealed class AnimationWindow : EditorWindow { public AnimationClip animationClip { get; set; } public int frame { get; set; } }
  public class MenuItem : Attribute { public MenuItem(string p) {} public MenuItem(string p, bool v) {} public MenuItem(string p, bool v, int pr) {} }
  public class InitializeOnLoadAttribute : Attribute {}
  public enum SettingsScope { User, Project }
  public class SettingsProviderAttribute : Attribute {}
  public class SettingsProvider { public SettingsProvider(string p, SettingsScope s) {} public string label { get; set; } public HashSet<string> keywords { get; set; } public Action<string, VisualElement> activateHandler { get; set; } }
  public static class EditorPrefs { public static string GetString(string k, string d) { return d; } public static void SetString(string k, string v) {} public static void DeleteKey(string k) {} }
  public static class PlayerSettings { public static Guid productGUID { get { return Guid.Empty; } } }
  public static class SessionState { public static string GetString(string k, string d) { return d; } public static void SetString(string k, string v) {} public static void EraseString(string k) {} }
  public static class Progress { public enum Status { Running, Succeeded, Failed, Canceled } public static int Start(string n, string d) { return 0; } public static void RegisterCancelCallback(int id, Func<bool> c) {} public static void Report(int id, float p, string d) {} public static void Finish(int id, Status s) {} public static bool Exists(int id) { return true; } }
  public static class ObjectNames { public static string NicifyVariableName(string n) { return n; } }
  public static class EditorGUIUtility { public static void PingObject(UnityEngine.Object o) {} }
  public static class Selection { public static UnityEngine.Object activeObject { get; set; } public static GameObject activeGameObject { get; set; } public static UnityEngine.Object[] objects { get; set; } }
}
namespace UnityEditor.UIElements { public class ObjectField : BaseField<UnityEngine.Object> { public ObjectField(string l) {} public Type objectType { get; set; } public bool allowSceneObjects { get; set; } } }
namespace UnityEditor.ShortcutManagement { [Flags] public enum ShortcutModifiers { None = 0, Alt = 1 } public struct ShortcutArguments { public object context; }
  public class ShortcutAttribute : Attribute { public ShortcutAttribute(string id, Type context, UnityEngine.KeyCode k, ShortcutModifiers m) {} } }
