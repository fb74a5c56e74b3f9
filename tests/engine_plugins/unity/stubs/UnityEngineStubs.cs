// Minimal hand-written stand-ins for the engine / gRPC APIs the package's Unity-only code uses,
// declared with the real names and signatures, bodies empty. Only for test_unity_layer_stubs.py:
// compiling Runtime/Grpc, Editor and Tests/Editor against them catches typos and type errors
// outside Unity. They are not the real assemblies; passing here does not prove Unity compiles it.

using System; using System.Collections.Generic;
namespace UnityEngine {
  public class Object { public string name { get; set; } public HideFlags hideFlags { get; set; } public static T Instantiate<T>(T o) where T : Object { return o; }
    public static void DestroyImmediate(Object o) {} public static bool operator ==(Object a, Object b) { return ReferenceEquals(a, b); } public static bool operator !=(Object a, Object b) { return !ReferenceEquals(a, b); }
    public override bool Equals(object o) { return base.Equals(o); } public override int GetHashCode() { return 0; } }
  [Flags] public enum HideFlags { None = 0, NotEditable = 8, DontSave = 52, HideAndDontSave = 61 }
  public class ScriptableObject : Object {}
  public struct Scene { public bool IsValid() { return true; } }
  public class Component : Object { public GameObject gameObject { get { return null; } } public Transform transform { get { return null; } } public T GetComponentInParent<T>() { return default(T); } }
  public class Behaviour : Component {}
  public class GameObject : Object { public GameObject(string n) {} public Transform transform { get { return null; } } public T GetComponent<T>() { return default(T); } public T AddComponent<T>() where T : Component { return null; }
    public T[] GetComponentsInChildren<T>(bool b = false) { return null; } public T GetComponentInParent<T>() { return default(T); } public Scene scene { get { return default(Scene); } } }
  public class Transform : Component, System.Collections.IEnumerable { public Vector3 localPosition { get; set; } public Quaternion localRotation { get; set; } public Vector3 localScale { get; set; } public Transform parent { get { return null; } }
    public int childCount { get { return 0; } } public Transform GetChild(int i) { return null; } public Transform Find(string p) { return null; } public void SetParent(Transform p, bool w) {} public void SetPositionAndRotation(Vector3 p, Quaternion q) {}
    public System.Collections.IEnumerator GetEnumerator() { return null; } public T[] GetComponentsInChildren<T>(bool b = false) { return null; } }
  public struct Vector3 { public float x, y, z; public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; } public static Vector3 zero { get { return default(Vector3); } } public static Vector3 one { get { return default(Vector3); } } }
  public struct Vector2 { public Vector2(float x, float y) {} }
  public struct Quaternion { public float x, y, z, w; public Quaternion(float x, float y, float z, float w) { this.x = x; this.y = y; this.z = z; this.w = w; } public static Quaternion identity { get { return default(Quaternion); } }
    public Quaternion normalized { get { return this; } } public Vector3 eulerAngles { get { return default(Vector3); } } public static Quaternion Euler(float x, float y, float z) { return default(Quaternion); }
    public static Quaternion Slerp(Quaternion a, Quaternion b, float t) { return a; } public static float Angle(Quaternion a, Quaternion b) { return 0; } }
  public static class Mathf { public static float Abs(float f) { return f; } public static int RoundToInt(float f) { return 0; } public static float Max(float a, float b) { return a; } public static int Clamp(int v, int a, int b) { return v; } public static float Round(float f) { return f; } }
  public class Avatar : Object { public bool isHuman { get { return true; } } public bool isValid { get { return true; } } }
  public class Animator : Behaviour { public Avatar avatar { get; set; } public bool applyRootMotion { get; set; } public Transform GetBoneTransform(HumanBodyBones b) { return null; } }
  public enum HumanBodyBones { Hips = 0, Spine = 7 }
  public struct HumanPose { public Vector3 bodyPosition; public Quaternion bodyRotation; public float[] muscles; }
  public class HumanPoseHandler : IDisposable { public HumanPoseHandler(Avatar a, Transform t) {} public void GetHumanPose(ref HumanPose p) {} public void SetHumanPose(ref HumanPose p) {} public void Dispose() {} }
  public static class HumanTrait { public static int MuscleCount { get { return 0; } } public static string[] MuscleName { get { return null; } } public static int BoneCount { get { return 0; } } public static string[] BoneName { get { return null; } } }
  public struct HumanBone { public string humanName; public string boneName; public HumanLimit limit; } public struct HumanLimit { public bool useDefaultValues; }
  public struct SkeletonBone { public string name; public Vector3 position; public Quaternion rotation; public Vector3 scale; }
  public struct HumanDescription { public HumanBone[] human; public SkeletonBone[] skeleton; public float upperArmTwist, lowerArmTwist, upperLegTwist, lowerLegTwist, armStretch, legStretch, feetSpacing; public bool hasTranslationDoF; }
  public static class AvatarBuilder { public static Avatar BuildHumanAvatar(GameObject g, HumanDescription d) { return null; } }
  public class SkinnedMeshRenderer : Component { public Transform[] bones { get { return null; } } }
  public class AnimationClip : Object { public float frameRate { get; set; } public float length { get { return 0; } } public bool isHumanMotion { get { return false; } } public bool legacy { get; set; }
    public void SampleAnimation(GameObject g, float t) {} public void EnsureQuaternionContinuity() {} }
  public enum WeightedMode { None = 0 }
  public struct Keyframe { public Keyframe(float t, float v) { time = t; value = v; inTangent = outTangent = 0; weightedMode = 0; } public float time; public float value; public float inTangent; public float outTangent; public WeightedMode weightedMode; }
  public enum WrapMode { Default = 0 }
  public class AnimationCurve { public AnimationCurve(params Keyframe[] k) {} public Keyframe[] keys { get { return null; } } public int length { get { return 0; } } public Keyframe this[int i] { get { return default(Keyframe); } }
    public float Evaluate(float t) { return 0; } public WrapMode preWrapMode { get; set; } public WrapMode postWrapMode { get; set; } public int MoveKey(int i, Keyframe k) { return i; } public static AnimationCurve Constant(float a, float b, float v) { return null; } }
  public static class Debug { public static void Log(object o) {} public static void LogWarning(object o) {} public static void LogException(Exception e) {} }
  public static class JsonUtility { public static string ToJson(object o, bool p) { return ""; } public static void FromJsonOverwrite(string j, object o) {} }
  public enum TextureFormat { RGB24 = 3 }
  public class Texture : Object {} public class Texture2D : Texture { public Texture2D(int w, int h, TextureFormat f, bool m) {} public Texture2D(int w, int h) {} public byte[] EncodeToPNG() { return null; } }
  public static class ImageConversion { public static bool LoadImage(Texture2D t, byte[] d, bool r) { return true; } public static byte[] EncodeToPNG(this Texture2D t) { return null; } }
  public enum ScaleMode { ScaleToFit = 2 } public enum FontStyle { Normal, Bold, Italic }
  public class GUIContent { public GUIContent(string t) {} }
  public class SerializeField : Attribute {}
  public enum KeyCode { G = 103 }
}
namespace UnityEngine.UIElements {
  public struct StyleLength { public static implicit operator StyleLength(float f) { return default(StyleLength); } }
  public struct StyleFloat { public static implicit operator StyleFloat(float f) { return default(StyleFloat); } }
  public struct StyleInt { public static implicit operator StyleInt(int f) { return default(StyleInt); } }
  public enum FlexDirection { Column, Row } public enum DisplayStyle { Flex, None } public enum WhiteSpace { Normal, NoWrap }
  public struct StyleEnum<T> { public static implicit operator StyleEnum<T>(T v) { return default(StyleEnum<T>); } }
  public interface IStyle { StyleLength paddingLeft { get; set; } StyleLength paddingRight { get; set; } StyleLength paddingTop { get; set; } StyleLength height { get; set; } StyleLength minHeight { get; set; } StyleLength marginTop { get; set; } StyleLength fontSize { get; set; }
    StyleFloat flexGrow { get; set; } StyleEnum<FlexDirection> flexDirection { get; set; } StyleEnum<DisplayStyle> display { get; set; } StyleEnum<WhiteSpace> whiteSpace { get; set; } StyleEnum<UnityEngine.FontStyle> unityFontStyleAndWeight { get; set; } }
  public class EventBase {} public class FocusInEvent : EventBase {}
  public class ChangeEvent<T> : EventBase { public T newValue { get { return default(T); } } }
  public delegate void EventCallback<T>(T e);
  public class VisualElement { public IStyle style { get { return null; } } public void Add(VisualElement e) {} public void Clear() {} public void SetEnabled(bool b) {} public string tooltip { get; set; } public void MarkDirtyRepaint() {}
    public void RegisterCallback<T>(EventCallback<T> c) where T : EventBase {} }
  public class BaseField<T> : VisualElement { public T value { get; set; } public void SetValueWithoutNotify(T v) {} }
  public static class INotifyValueChangedExtensions { public static bool RegisterValueChangedCallback<T>(this BaseField<T> f, EventCallback<ChangeEvent<T>> c) { return true; } }
  public class TextElement : VisualElement { public string text { get; set; } }
  public class Label : TextElement { public Label() {} public Label(string t) {} }
  public class Button : TextElement { public Button(Action a) {} }
  public class Toggle : BaseField<bool> { public Toggle(string l) {} }
  public class TextField : BaseField<string> { public TextField(string l) {} public bool isPasswordField { get; set; } }
  public class IntegerField : BaseField<int> { public IntegerField(string l) {} }
  public class DropdownField : BaseField<string> { public DropdownField(string l, List<string> c, int i) {} public List<string> choices { get; set; } }
  public class Foldout : BaseField<bool> { public string text { get; set; } }
  public enum HelpBoxMessageType { None, Info, Warning, Error }
  public class HelpBox : VisualElement { public HelpBox(string t, HelpBoxMessageType m) {} public string text { get; set; } public HelpBoxMessageType messageType { get; set; } }
  public class Image : VisualElement { public UnityEngine.Texture image { get; set; } public UnityEngine.ScaleMode scaleMode { get; set; } }
  public class ProgressBar : VisualElement { public float lowValue { get; set; } public float highValue { get; set; } public string title { get; set; } public float value { get; set; } }
}
