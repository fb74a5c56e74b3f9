"""Headless AnyMoLe bake inside the editor's commandlet:

    UnrealEditor-Cmd Project.uproject -run=pythonscript \
        -script="anymole_bake.py --manifest M.json" -unattended -nullrhi -nosplash -stdout

Nothing ticks in a commandlet after the script starts, so every job blocks on its event stream
on the main thread. Progress goes to stdout; the JSON report is written next to the manifest
(or where its ``report`` says); a failing job is recorded and the others still run; when any
job failed the script raises, so the commandlet exits non-zero. The manifest format is in
``anymole_unreal/bake.py``. The server address comes from the manifest, ``ANYMOLE_SERVER`` or
``Config/AnyMoLe.json``; the token from ``ANYMOLE_TOKEN`` (never from the manifest).
"""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="anymole_bake.py", description="Bake AnyMoLe transitions from a manifest")
    parser.add_argument("--manifest", required=True, help="path of the manifest JSON")
    parser.add_argument("--report", default=None, help="override the report path")
    args = parser.parse_args(argv)

    from anymole_unreal import paths

    paths.add_vendored_site_packages()
    from anymole_unreal import adapter
    from anymole_unreal.bake import load_manifest, raise_if_failed, run_bake

    manifest = load_manifest(args.manifest)
    if args.report:
        manifest.report = args.report
    report = run_bake(manifest, adapter.UnrealBakeEngine(), project_dir=adapter.project_dir())
    raise_if_failed(report)
    return report


# The commandlet runs this file with sys.argv = ["anymole_bake.py", "--manifest", ...]; whether
# __name__ is "__main__" there has varied, so the script name decides.
if __name__ == "__main__" or (sys.argv and sys.argv[0].replace("\\", "/").endswith("anymole_bake.py")):
    main(sys.argv[1:])
