"""Where the plugin's files are, and the version-keyed dependency folder for Python 3.9.

The editor puts ``Content/Python/Lib/site-packages`` and
``Content/Python/<Platform>/Lib/site-packages`` of every enabled plugin on ``sys.path`` for
every engine version. Compiled wheels for UE 5.2–5.3 (Python 3.9) therefore live in a folder the
engine does not know, ``Content/Python/vendor/cp39/<Platform>``, which :func:`add_vendored_site_packages`
adds only when the interpreter is 3.9 (a 5.4+ editor must never import a cp39 ``grpc``).
UE 5.4+ installs grpcio and protobuf from the ``.uplugin``'s ``PythonRequirements``.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

CONTENT_PYTHON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN_DIR = os.path.dirname(os.path.dirname(CONTENT_PYTHON))


def unreal_platform(platform: Optional[str] = None) -> str:
    """The engine's platform name for ``sys.platform``: ``Win64``, ``Mac`` or ``Linux``."""
    p = platform or sys.platform
    if p.startswith("win"):
        return "Win64"
    if p == "darwin":
        return "Mac"
    return "Linux"


def vendored_site_packages(version=None, platform: Optional[str] = None) -> Optional[str]:
    """The folder of this interpreter's version-keyed wheels, or None when the engine's own
    mechanism (``PythonRequirements``, 5.4+) applies."""
    v = tuple(version or sys.version_info[:2])
    if v >= (3, 11):
        return None
    return os.path.join(CONTENT_PYTHON, "vendor", "cp%d%d" % (v[0], v[1]), unreal_platform(platform))


def add_vendored_site_packages() -> Optional[str]:
    """Put the version-keyed folder on ``sys.path`` (first) when it applies and exists."""
    folder = vendored_site_packages()
    if folder and os.path.isdir(folder) and folder not in sys.path:
        sys.path.insert(0, folder)
        return folder
    return None
