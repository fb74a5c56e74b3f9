"""FBX export through Blender's ``bpy`` module: a GLB (as :func:`anymole.io.write_gltf` writes
it) converted to FBX — armature, skinned mesh when there is one, and the baked animation.

No Python FBX writer is worth trusting, so Blender does it: its glTF importer reads the GLB
(converting glTF's +Y-up metres to Blender's +Z-up), its FBX exporter writes the armature and
mesh with the active action baked to keys, converting back to +Y up, −Z forward axes (FBX's
usual, what Unity and Unreal expect) and metres (``apply_unit_scale``). Leaf bones are not
added, so the FBX has exactly the GLB's joints.

``bpy`` is an optional extra (``pip install '.[fbx]'``, about 950 MB) and runs in a child
process with the same interpreter: Blender keeps global state and can crash on bad input, and
neither may take the caller (a server, a CI bake) down with it. A failure there becomes a
:class:`~anymole.errors.FormatError` naming the file.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from anymole.errors import FormatError, UnsupportedError

__all__ = ["INSTALL_HINT", "animation_fps", "bpy_available", "glb_to_fbx"]

INSTALL_HINT = "pip install '.[fbx]' (or 'anymole[fbx]' from a package index)"
_TIMEOUT_S = 600

# Runs in the child: argv = [glb, fbx, fps]. Prints nothing on success; exits non-zero with the
# reason on its last stderr line on failure.
_SCRIPT = r"""
import math
import sys
import bpy

glb, fbx, fps = sys.argv[-3], sys.argv[-2], float(sys.argv[-1])
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
# Blender's frame rate is fps / fps_base with an integer fps; the glTF importer turns key times
# into frames at this rate, so set it first.
scene.render.fps = max(1, round(fps))
scene.render.fps_base = scene.render.fps / fps
result = bpy.ops.import_scene.gltf(filepath=glb)
if "FINISHED" not in result:
    raise SystemExit(f"Blender's glTF importer failed on {glb}: {result}")
armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
if not armatures:
    raise SystemExit(f"{glb} has no armature after import")
# The FBX take spans the scene's frame range: make it the animation's.
actions = [o.animation_data.action for o in armatures if o.animation_data and o.animation_data.action]
if actions:
    start = min(a.frame_range[0] for a in actions)
    end = max(a.frame_range[1] for a in actions)
    scene.frame_start, scene.frame_end = math.floor(start + 1e-6), math.ceil(end - 1e-6)
result = bpy.ops.export_scene.fbx(
    filepath=fbx,
    use_selection=False,
    object_types={"ARMATURE", "MESH"},
    axis_forward="-Z",
    axis_up="Y",
    apply_unit_scale=True,
    add_leaf_bones=False,
    bake_anim=True,
    bake_anim_use_all_bones=True,
    bake_anim_use_all_actions=False,
    bake_anim_use_nla_strips=False,
    bake_anim_force_startend_keying=True,
    bake_anim_simplify_factor=0.0,
)
if "FINISHED" not in result:
    raise SystemExit(f"Blender's FBX exporter failed on {fbx}: {result}")
"""


def bpy_available() -> bool:
    """Whether Blender's ``bpy`` module is installed (found without importing it: importing
    bpy takes seconds and a lot of memory)."""
    try:
        return importlib.util.find_spec("bpy") is not None
    except (ImportError, ValueError):
        return False


def animation_fps(glb_path: str | Path, default: float = 30.0) -> float:
    """Sampling rate of the first animation of a glTF/GLB written by
    :func:`anymole.io.write_gltf` (evenly spaced keys): ``(keys - 1) / duration`` of its first
    sampler's input, ``default`` when there is no animation or a single key."""
    from anymole.io.gltf_container import GltfFile

    doc = GltfFile(glb_path).doc
    try:
        accessor = doc["accessors"][doc["animations"][0]["samplers"][0]["input"]]
        count, duration = int(accessor["count"]), float(accessor["max"][0]) - float(accessor["min"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return default
    if count < 2 or duration <= 0:
        return default
    rate = (count - 1) / duration
    return float(round(rate)) if abs(rate - round(rate)) < 1e-4 * rate else rate  # float32 times


def glb_to_fbx(glb_path: str | Path, fbx_path: str | Path, *, fps: float | None = None) -> None:
    """Convert ``glb_path`` (a ``.glb``/``.gltf`` with one skin and its animation, canonical
    frame, metres) to ``fbx_path`` (binary FBX, +Y up, −Z forward, metres, keys baked at
    ``fps`` frames per second — default: the GLB's own key rate, see :func:`animation_fps` —
    over the animation's time range).

    Raises:
        UnsupportedError: bpy is not installed (the message says how to install it).
        FormatError: the input is missing, or Blender failed (naming the file and the reason).
    """
    glb_path, fbx_path = Path(glb_path), Path(fbx_path)
    if not bpy_available():
        raise UnsupportedError(f"FBX export needs Blender's Python module bpy, which is not installed; {INSTALL_HINT}")
    if not glb_path.is_file():
        raise FormatError(glb_path, "cannot convert to FBX: no such file")
    rate = float(fps) if fps is not None else animation_fps(glb_path)
    if not (rate > 0 and rate < 1e4):
        raise FormatError(fbx_path, f"frame rate must be positive, got {rate!r}")
    fbx_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(glb_path.resolve()), str(fbx_path.resolve()), repr(rate)],
            capture_output=True,
            timeout=_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise FormatError(fbx_path, f"Blender took longer than {_TIMEOUT_S} s to write the FBX") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"Blender exited with status {proc.returncode}"
        if proc.returncode < 0:
            detail = f"Blender crashed (signal {-proc.returncode})"
        raise FormatError(fbx_path, f"cannot write FBX from {glb_path.name}: {detail}")
    if not fbx_path.is_file() or fbx_path.stat().st_size == 0:
        raise FormatError(fbx_path, "Blender reported success but wrote no FBX file")
