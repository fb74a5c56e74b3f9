// The process-wide channel is cancelled and disposed before a domain reload, on quit and when
// leaving edit mode (domain reload on play may be disabled, so reload alone is not enough).
// No file I/O here: it runs inside beforeAssemblyReload.
using AnyMoLe.Bridge.Grpc;
using UnityEditor;

namespace AnyMoLe.Bridge.Editor
{
    [InitializeOnLoad]
    static class BridgeLifecycle
    {
        static BridgeLifecycle()
        {
            AssemblyReloadEvents.beforeAssemblyReload += BridgeChannel.Shutdown;
            EditorApplication.quitting += BridgeChannel.Shutdown;
            EditorApplication.playModeStateChanged += state =>
            {
                if (state == PlayModeStateChange.ExitingEditMode) BridgeChannel.Shutdown();
            };
        }
    }
}
