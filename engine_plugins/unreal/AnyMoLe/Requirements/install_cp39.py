"""Install AnyMoLe's dependencies for UE 5.2-5.3 (Python 3.9) into the plugin's version-keyed
folder ``Content/Python/vendor/cp39/<Platform>`` (which ``init_unreal.py`` adds to ``sys.path``
only on Python 3.9, so a 5.4+ editor never sees these cp39 wheels).

Run it with the engine's own interpreter, from anywhere:

    <UE_5.3>/Engine/Binaries/ThirdParty/Python3/Win64/python.exe Requirements/install_cp39.py
    # offline, from a wheelhouse made with `pip download` (see README.md):
    ... python.exe Requirements/install_cp39.py --find-links //share/anymole-wheels

Every wheel is checked against the sha256 in ``cp39-<Platform>.txt`` (``--require-hashes``);
only binary wheels are accepted.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.dirname(HERE)


def platform_name():
    if sys.platform.startswith("win"):
        return "Win64"
    if sys.platform == "darwin":
        return "Mac"
    return "Linux"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Install AnyMoLe's cp39 wheels into the plugin")
    parser.add_argument("--find-links", help="a folder of wheels (offline install: no index is contacted)")
    parser.add_argument("--platform", default=platform_name(), choices=["Win64", "Linux", "Mac"])
    args = parser.parse_args(argv)
    if sys.version_info[:2] != (3, 9):
        print("install_cp39.py: run it with UE 5.2/5.3's Python 3.9 (this is %d.%d); UE 5.4+ installs "
              "the dependencies itself from the .uplugin" % sys.version_info[:2])
        return 2
    target = os.path.join(PLUGIN, "Content", "Python", "vendor", "cp39", args.platform)
    reqs = os.path.join(HERE, "cp39-%s.txt" % args.platform)
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--only-binary", ":all:", "--require-hashes",
           "--no-deps", "--upgrade", "--target", target, "-r", reqs]
    if args.find_links:
        cmd += ["--no-index", "--find-links", args.find_links]
    print(" ".join(cmd))
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
