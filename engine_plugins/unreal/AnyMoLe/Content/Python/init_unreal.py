"""AnyMoLe Bridge: editor start-up (run by the Python Editor Script Plugin for every enabled
plugin's ``Content/Python/init_unreal.py``).

Menus only: a "Generate transition…" entry on the AnimSequence context menu and on the
Animation editor toolbar. Nothing heavy is imported here — grpc is loaded when the first job
starts. On Python 3.9 (UE 5.2–5.3) the version-keyed dependency folder goes on ``sys.path``
first (UE 5.4+ installs grpcio and protobuf from the ``.uplugin``'s ``PythonRequirements``).
A failure here is logged and never stops the editor from starting.
"""


def _start_anymole() -> None:
    try:
        from anymole_unreal import paths

        paths.add_vendored_site_packages()
        from anymole_unreal import adapter

        adapter.register_menus()
    except Exception as exc:  # noqa: BLE001 - the editor must start regardless
        import traceback

        print("AnyMoLe: the plugin's menus could not be registered: %s: %s" % (type(exc).__name__, exc))
        traceback.print_exc()


_start_anymole()
