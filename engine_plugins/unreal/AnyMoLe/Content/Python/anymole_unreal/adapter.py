"""The engine layer: the one module of the plugin that imports ``unreal``. Kept thin — every
decision lives in the engine-free core (:mod:`anymole_unreal.transition`, ``.controller``,
``.session``, ``.options``, ``.settings``, ``.bake``), tested outside the engine.

- Reading: :func:`read_clip` samples every key of an AnimSequence with ``AnimPoseExtensions``
  (``RAW`` evaluation, ``should_retarget`` False, ``extract_root_motion`` False — set
  explicitly, since the defaults changed between engine versions) into an engine-free
  :class:`~anymole_unreal.transition.UnrealClip`: bone names and parents (reference skeleton,
  ``AnimationLibrary.find_bone_path_to_root``), the reference pose, local transforms in
  Unreal's units, the frame rate. No coordinate is converted: the request declares the Unreal
  convention and the server converts.
- Writing: :func:`write_tracks` writes whole bone tracks (``keys = frames + 1``) into a
  duplicate by default (or in place, undoable), in one ``AnimationDataController`` bracket,
  saves, and :func:`verify` compares RAW with COMPRESSED evaluation at the written frames.
- Live preview: :class:`PreviewStage` — an actor with a ``PoseableMeshComponent`` posed from
  each pose preview (local poses composed to component space by the engine's
  ``AnimPoseExtensions``, not by Python maths), a ``TextRenderComponent`` with the status, and
  the preview images on a plane in the level: transient ``Texture2D`` from
  ``RenderingLibrary.import_buffer_as_texture2d`` on a transient unlit material built here in
  code. Chosen because everything ships as source: an Editor Utility Widget would be a binary
  ``.uasset`` that must be authored in the oldest supported engine and cannot be made or
  reviewed from this repository; no asset is created or dirtied per frame. Each image is also
  written to ``Saved/AnyMoLe/Previews/<job>/``.
- UI: the menu entries (:func:`register_menus`), the settings dialog
  (``EditorDialog.show_object_details_view`` on :class:`AnyMoLeTransitionSettings`),
  progress in the level (non-modal; "Cancel AnyMoLe transition" entry) or in a
  ``ScopedSlowTask`` with a cancel button, errors in a message box naming the field.
- The tick: ``register_slate_post_tick_callback`` drains the job; channels close in
  ``register_python_shutdown_callback``.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import unreal

from anymole_unreal.bake import BakeEngine
from anymole_unreal.controller import EditorView, TransitionController
from anymole_unreal.errors import UserError, explain
from anymole_unreal.transition import JointPose, SplicedClip, UnrealClip

OWNER = "AnyMoLe"
CONTENT_MENU = "ContentBrowser.AssetContextMenu.AnimSequence"
ANIMATION_TOOLBAR = "AssetEditor.AnimationEditor.ToolBar"
LABEL = "Generate transition…"
DIALOG_TITLE = "AnyMoLe: generate transition"


# -- small conversions between engine structs and plain tuples (no coordinate change) -----


def _vec(v: unreal.Vector) -> Tuple[float, float, float]:
    return (float(v.x), float(v.y), float(v.z))


def _quat(q: unreal.Quat) -> Tuple[float, float, float, float]:
    return (float(q.x), float(q.y), float(q.z), float(q.w))


def _transform(pose: JointPose) -> unreal.Transform:
    t = unreal.Transform()
    p, r, s = pose
    t.translation = unreal.Vector(p[0], p[1], p[2])
    t.rotation = unreal.Quat(r[0], r[1], r[2], r[3])
    t.scale3d = unreal.Vector(s[0], s[1], s[2])
    return t


def _offset(v: unreal.Vector, dx: float, dy: float, dz: float) -> unreal.Vector:
    return unreal.Vector(v.x + dx, v.y + dy, v.z + dz)


def project_dir() -> str:
    return unreal.Paths.convert_relative_path_to_full(unreal.Paths.project_dir())


# -- reading ---------------------------------------------------------------------------------


def evaluation_options(evaluation: unreal.AnimDataEvalType = unreal.AnimDataEvalType.RAW) -> unreal.AnimPoseEvaluationOptions:
    """Explicit options: defaults differ between engine versions (``should_retarget`` was True
    in 5.0)."""
    opts = unreal.AnimPoseEvaluationOptions()
    opts.evaluation_type = evaluation
    opts.should_retarget = False
    opts.extract_root_motion = False
    # the root track stays in the pose (as Epic's IK-retarget batch export evaluates: root motion
    # applied to the pose, not to a component), also for sequences with root motion enabled
    opts.incorporate_root_motion_into_pose = True
    opts.retrieve_additive_as_full_pose = False
    opts.evaluate_curves = False
    return opts


def load_sequence(asset_path: str) -> unreal.AnimSequence:
    asset = unreal.EditorAssetLibrary.load_asset(asset_path)
    if asset is None:
        raise UserError("sequence", f"{asset_path} does not exist")
    if not isinstance(asset, unreal.AnimSequence):
        raise UserError("sequence", f"{asset_path} is a {type(asset).__name__}, not an AnimSequence")
    return asset


def _asset_path(asset: unreal.Object) -> str:
    return asset.get_outermost().get_name()


def read_clip(seq: unreal.AnimSequence) -> UnrealClip:
    """Sample every key of ``seq`` (see the module docstring)."""
    from anymole_client.clip import EngineClip, Frame, Joint

    path = _asset_path(seq)
    additive = seq.get_editor_property("additive_anim_type")
    if additive != unreal.AdditiveAnimationType.AAT_NONE:
        raise UserError("sequence", f"{path} is an additive animation; generate transitions on full-pose sequences")
    skeleton = seq.get_skeleton()
    if skeleton is None:
        raise UserError("sequence", f"{path} has no skeleton")
    ref = unreal.AnimPoseExtensions.get_reference_pose(skeleton)
    names = [str(n) for n in unreal.AnimPoseExtensions.get_bone_names(ref)]
    index = {n: i for i, n in enumerate(names)}
    joints = []
    for n in names:
        chain = [str(b) for b in unreal.AnimationLibrary.find_bone_path_to_root(seq, unreal.Name(n))]
        if chain and chain[0] == n:
            chain = chain[1:]
        parent = index.get(chain[0], -1) if chain else -1
        t = unreal.AnimPoseExtensions.get_ref_bone_pose(ref, unreal.Name(n), unreal.AnimPoseSpaces.LOCAL)
        joints.append(Joint(n, parent, _vec(t.translation), _quat(t.rotation), _vec(t.scale3d)))

    model = seq.data_model_interface
    rate = model.get_frame_rate()
    fps = float(rate.numerator) / float(rate.denominator or 1)
    num_keys = int(model.get_number_of_keys())
    tracked = frozenset(str(n) for n in model.get_bone_track_names())
    opts = evaluation_options(unreal.AnimDataEvalType.RAW)
    frames, scales = [], []
    for k in range(num_keys):
        pose = unreal.AnimPoseExtensions.get_anim_pose_at_frame(seq, k, opts)
        ps, rs, ss = [], [], []
        for n in names:
            t = unreal.AnimPoseExtensions.get_bone_pose(pose, unreal.Name(n), unreal.AnimPoseSpaces.LOCAL)
            ps.append(_vec(t.translation))
            rs.append(_quat(t.rotation))
            ss.append(_vec(t.scale3d))
        frames.append(Frame(ps, rs))
        scales.append(ss)
    clip = EngineClip(fps, "unreal", joints, frames)
    return UnrealClip(path, clip, scales, tracked, _asset_path(skeleton), (int(rate.numerator), int(rate.denominator or 1)))


# -- writing ---------------------------------------------------------------------------------


def unique_duplicate_path(seq: unreal.AnimSequence, suffix: str) -> str:
    package, _name = unreal.AssetToolsHelpers.get_asset_tools().create_unique_asset_name(_asset_path(seq), suffix)
    return package


def write_tracks(
    seq: unreal.AnimSequence,
    spliced: SplicedClip,
    *,
    in_place: bool = False,
    output: Optional[str] = None,
    suffix: str = "_AnyMoLe",
    transact: bool = True,
) -> Dict[str, Any]:
    """Write ``spliced`` into a duplicate of ``seq`` (default), ``output`` or ``seq`` itself.
    Whole tracks, one bracket, saved; returns the asset path and the RAW/COMPRESSED check."""
    target = seq
    if not in_place:
        dest = output or unique_duplicate_path(seq, suffix)
        if unreal.EditorAssetLibrary.does_asset_exist(dest):
            raise UserError("output", f"{dest} already exists; choose another name or delete it")
        duplicate = unreal.EditorAssetLibrary.duplicate_asset(_asset_path(seq), dest)
        if not isinstance(duplicate, unreal.AnimSequence):
            raise UserError("output", f"could not duplicate {_asset_path(seq)} to {dest}")
        target = duplicate
    model = target.data_model_interface
    if int(model.get_number_of_keys()) != spliced.num_keys:
        raise UserError("sequence", f"{_asset_path(target)} has {model.get_number_of_keys()} keys, the result {spliced.num_keys}: it changed since it was read")
    controller = target.controller
    controller.open_bracket(unreal.Text("AnyMoLe in-between"), transact)
    try:
        for track in spliced.tracks:
            name = unreal.Name(track.name)
            if not track.has_track and not model.is_valid_bone_track_name(name):
                controller.add_bone_curve(name, transact)
            ok = controller.set_bone_track_keys(
                name,
                unreal.Array.cast(unreal.Vector, [unreal.Vector(*p) for p in track.positions]),
                unreal.Array.cast(unreal.Quat, [unreal.Quat(*q) for q in track.rotations]),
                unreal.Array.cast(unreal.Vector, [unreal.Vector(*s) for s in track.scales]),
                transact,
            )
            if not ok:
                raise UserError("tracks", f"the engine refused the keys of bone {track.name} in {_asset_path(target)}")
    finally:
        controller.close_bracket(transact)
    unreal.EditorAssetLibrary.save_loaded_asset(target, False)
    report: Dict[str, Any] = {"asset": _asset_path(target), "inPlace": target is seq, "bones": len(spliced.tracks)}
    report.update(verify(target, spliced))
    return report


def _angle_deg(a: Tuple[float, ...], b: Tuple[float, ...]) -> float:
    d = min(1.0, abs(sum(x * y for x, y in zip(a, b))))
    return math.degrees(2.0 * math.acos(d))


def verify(seq: unreal.AnimSequence, spliced: SplicedClip) -> Dict[str, float]:
    """Largest local rotation (degrees) and translation (cm) differences at the written frames:
    RAW against what was written (did the keys land?) and COMPRESSED against RAW (what a cooked
    game plays). A COMPRESSED error of exactly 0 can mean compression has not run yet."""
    raw_opts = evaluation_options(unreal.AnimDataEvalType.RAW)
    cmp_opts = evaluation_options(unreal.AnimDataEvalType.COMPRESSED)
    frames = sorted(set(spliced.generated_frames) | {spliced.generated_frames[0] - 1, spliced.generated_frames[-1] + 1}) if spliced.generated_frames else []
    worst = {"writtenVsRawDeg": 0.0, "writtenVsRawCm": 0.0, "rawVsCompressedDeg": 0.0, "rawVsCompressedCm": 0.0}
    for f in frames:
        if not 0 <= f < spliced.num_keys:
            continue
        raw = unreal.AnimPoseExtensions.get_anim_pose_at_frame(seq, f, raw_opts)
        cmp = unreal.AnimPoseExtensions.get_anim_pose_at_frame(seq, f, cmp_opts)
        for track in spliced.tracks:
            name = unreal.Name(track.name)
            r = unreal.AnimPoseExtensions.get_bone_pose(raw, name, unreal.AnimPoseSpaces.LOCAL)
            c = unreal.AnimPoseExtensions.get_bone_pose(cmp, name, unreal.AnimPoseSpaces.LOCAL)
            rq, rp = _quat(r.rotation), _vec(r.translation)
            worst["writtenVsRawDeg"] = max(worst["writtenVsRawDeg"], _angle_deg(rq, track.rotations[f]))
            worst["writtenVsRawCm"] = max(worst["writtenVsRawCm"], max(abs(x - y) for x, y in zip(rp, track.positions[f])))
            worst["rawVsCompressedDeg"] = max(worst["rawVsCompressedDeg"], _angle_deg(rq, _quat(c.rotation)))
            worst["rawVsCompressedCm"] = max(worst["rawVsCompressedCm"], max(abs(x - y) for x, y in zip(rp, _vec(c.translation))))
    return {k: round(v, 6) for k, v in worst.items()}


# -- live preview in the level -------------------------------------------------------------


def find_preview_mesh(seq: unreal.AnimSequence) -> Optional[unreal.SkeletalMesh]:
    """A skeletal mesh of the sequence's skeleton (the first the asset registry lists)."""
    skeleton = seq.get_skeleton()
    if skeleton is None:
        return None
    want = skeleton.get_path_name()
    registry = unreal.AssetRegistryHelpers.get_asset_registry()
    assets = registry.get_assets_by_class(unreal.TopLevelAssetPath("/Script/Engine", "SkeletalMesh")) or []
    for data in assets:
        tag = data.get_tag_value(unreal.Name("Skeleton")) or ""
        if want in tag:
            mesh = data.get_asset()
            if isinstance(mesh, unreal.SkeletalMesh):
                return mesh
    return None


class PreviewStage:
    """Transient actors in the editor world: the posed character, a status text, an image
    plane. Nothing is saved; :meth:`destroy` removes them."""

    def __init__(self, seq: unreal.AnimSequence, mesh: Optional[unreal.SkeletalMesh], location: unreal.Vector, job_dir: str):
        self.job_dir = job_dir
        self.actors = unreal.get_editor_subsystem(unreal.EditorActorSubsystem)
        editor = unreal.get_editor_subsystem(unreal.UnrealEditorSubsystem)
        self.world = editor.get_editor_world() if editor is not None else None
        self.poseable: Optional[unreal.PoseableMeshComponent] = None
        self.ref_pose: Optional[unreal.AnimPose] = None
        self.bones: List[str] = []
        self.actor = None
        self.text = None
        self.plane = None
        self.material = None
        self.mid = None
        self.texture = None  # the current preview image (a reference keeps it alive)
        skeleton = seq.get_skeleton()
        if mesh is not None and skeleton is not None and self.actors is not None:
            self.actor = self.actors.spawn_actor_from_class(unreal.Actor.static_class(), location, unreal.Rotator(0, 0, 0), True)
            self.actor.set_actor_label("AnyMoLe preview", False)
            self.poseable = self._add_poseable(self.actor)
            if self.poseable is not None:
                self.poseable.set_skinned_asset_and_update(mesh, True)
                self.ref_pose = unreal.AnimPoseExtensions.get_reference_pose(skeleton)
                self.bones = [str(n) for n in unreal.AnimPoseExtensions.get_bone_names(self.ref_pose)]
        if self.actors is not None:
            text_actor = self.actors.spawn_actor_from_class(unreal.TextRenderActor.static_class(), _offset(location, 0, 0, 220), unreal.Rotator(0, 0, 0), True)
            if isinstance(text_actor, unreal.TextRenderActor):
                text_actor.set_actor_label("AnyMoLe status", False)
                text_actor.text_render.set_world_size(12.0)
                self.text = text_actor
            plane = self.actors.spawn_actor_from_class(unreal.StaticMeshActor.static_class(), _offset(location, 0, 160, 110), unreal.Rotator(90, 0, 0), True)
            if isinstance(plane, unreal.StaticMeshActor):
                plane.set_actor_label("AnyMoLe preview image", False)
                mesh_asset = unreal.EditorAssetLibrary.load_asset("/Engine/BasicShapes/Plane")
                if isinstance(mesh_asset, unreal.StaticMesh):
                    plane.static_mesh_component.set_static_mesh(mesh_asset)
                plane.set_actor_scale3d(unreal.Vector(1.6, 1.6, 1.0))
                self.plane = plane

    @staticmethod
    def _add_poseable(actor: unreal.Actor) -> Optional[unreal.PoseableMeshComponent]:
        subsystem = unreal.get_engine_subsystem(unreal.SubobjectDataSubsystem)
        if subsystem is None:
            return None
        handles = subsystem.k2_gather_subobject_data_for_instance(actor)
        if not handles:
            return None
        params = unreal.AddNewSubobjectParams(parent_handle=handles[0], new_class=unreal.PoseableMeshComponent.static_class())
        handle, _fail = subsystem.add_new_subobject(params)
        data = unreal.SubobjectDataBlueprintFunctionLibrary.get_data(handle)
        component = unreal.SubobjectDataBlueprintFunctionLibrary.get_object(data)
        return component if isinstance(component, unreal.PoseableMeshComponent) else None

    def status(self, message: str) -> None:
        if self.text is not None:
            self.text.text_render.set_text(unreal.Text(message))

    def pose(self, names: Sequence[str], pose: List[JointPose]) -> None:
        """Local poses (clip order, ``names``) → component space by ``AnimPoseExtensions``."""
        if self.poseable is None or self.ref_pose is None:
            return
        p = self.ref_pose
        known = set(self.bones)
        for name, jp in zip(names, pose):
            if name in known:
                p = unreal.AnimPoseExtensions.set_bone_pose(p, _transform(jp), unreal.Name(name), unreal.AnimPoseSpaces.LOCAL)
        for name in names:
            if name in known:
                world = unreal.AnimPoseExtensions.get_bone_pose(p, unreal.Name(name), unreal.AnimPoseSpaces.WORLD)
                self.poseable.set_bone_transform_by_name(unreal.Name(name), world, unreal.BoneSpaces.COMPONENT_SPACE)

    def image(self, data: bytes, image_format: str, frame_index: int) -> None:
        os.makedirs(self.job_dir, exist_ok=True)
        path = os.path.join(self.job_dir, "frame_%05d.%s" % (frame_index, "png" if image_format == "png" else "jpg"))
        with open(path, "wb") as f:
            f.write(data)
        if self.plane is None or self.world is None:
            return
        texture = unreal.RenderingLibrary.import_buffer_as_texture2d(self.world, unreal.Array.cast(int, list(data)))
        if texture is None:  # fallback: the file just written
            texture = unreal.RenderingLibrary.import_file_as_texture2d(self.world, path)
        if texture is None:
            return
        if self.material is None:
            self.material = self._make_material(texture)
            self.mid = self.plane.static_mesh_component.create_dynamic_material_instance(0, self.material, unreal.Name("AnyMoLePreview"))
        if self.mid is not None:
            self.mid.set_texture_parameter_value(unreal.Name("Preview"), texture)
        self.texture = texture  # drop the previous image

    @staticmethod
    def _make_material(texture: unreal.Texture2D) -> unreal.Material:
        """A transient unlit material showing the ``Preview`` texture parameter (built in code,
        so the plugin ships no binary asset)."""
        material = unreal.new_object(unreal.Material)  # transient package, a unique name
        material.set_editor_property("shading_model", unreal.MaterialShadingModel.MSM_UNLIT)
        sample = unreal.MaterialEditingLibrary.create_material_expression(material, unreal.MaterialExpressionTextureSampleParameter2D.static_class(), -300, 0)
        sample.set_editor_property("parameter_name", unreal.Name("Preview"))
        sample.set_editor_property("texture", texture)
        unreal.MaterialEditingLibrary.connect_material_property(sample, "RGB", unreal.MaterialProperty.MP_EMISSIVE_COLOR)
        unreal.MaterialEditingLibrary.recompile_material(material)
        return material

    def destroy(self) -> None:
        for actor in (self.actor, self.text, self.plane):
            if actor is not None and self.actors is not None:
                self.actors.destroy_actor(actor)
        self.actor = self.text = self.plane = None
        self.poseable = self.mid = self.material = self.texture = None


# -- the settings dialog ---------------------------------------------------------------------


@unreal.uclass()
class AnyMoLeTransitionSettings(unreal.Object):
    """Shown by ``EditorDialog.show_object_details_view``. Never holds the token."""

    context_first = unreal.uproperty(int, meta={"Category": "Transition", "ToolTip": "First key of the context motion"})
    context_last = unreal.uproperty(int, meta={"Category": "Transition", "ToolTip": "Last key of the context; the generated frames start after it"})
    # The engine's documented container spelling; the stub declares Array and Map abstract.
    keyframes = unreal.uproperty(unreal.Array(int), meta={"Category": "Transition", "ToolTip": "Target keys after the context, increasing; the last one ends the transition"})  # pyright: ignore[reportAbstractUsage]
    method = unreal.uproperty(str, meta={"Category": "Method", "ToolTip": "One of the server's methods (listed below)"})
    options = unreal.uproperty(unreal.Map(str, str), meta={"Category": "Method", "ToolTip": "Typed options of the method by field; empty: the server's default"})  # pyright: ignore[reportAbstractUsage]
    seed = unreal.uproperty(int, meta={"Category": "Method"})
    methods_available = unreal.uproperty(str, meta={"Category": "Method", "MultiLine": "true", "ToolTip": "From GetServerInfo (read only)"})
    write_in_place = unreal.uproperty(bool, meta={"Category": "Output", "ToolTip": "Write into this sequence (undoable) instead of a duplicate"})
    duplicate_suffix = unreal.uproperty(str, meta={"Category": "Output"})
    live_pose = unreal.uproperty(bool, meta={"Category": "Preview", "ToolTip": "Pose a preview character in the level from the pose previews"})
    preview_images = unreal.uproperty(bool, meta={"Category": "Preview"})
    preview_size = unreal.uproperty(int, meta={"Category": "Preview", "ClampMin": "16"})
    preview_mesh = unreal.uproperty(unreal.SkeletalMesh, meta={"Category": "Preview"})
    modal_progress = unreal.uproperty(bool, meta={"Category": "Preview", "ToolTip": "Progress in a modal dialog with Cancel (the level view may not redraw)"})
    server_address = unreal.uproperty(str, meta={"Category": "Server", "ToolTip": "host:port of `anymole serve`"})
    use_tls = unreal.uproperty(bool, meta={"Category": "Server"})
    server_status = unreal.uproperty(str, meta={"Category": "Server", "MultiLine": "true", "ToolTip": "Read only; the token comes from ANYMOLE_TOKEN or the project settings and is never shown"})


def _message(title: str, text: str) -> None:
    unreal.EditorDialog.show_message(unreal.Text(title), unreal.Text(text), unreal.AppMsgType.OK)


def _dialog_options() -> unreal.EditorDialogLibraryObjectDetailsViewOptions:
    opts = unreal.EditorDialogLibraryObjectDetailsViewOptions()
    opts.set_editor_property("allow_resizing", True)
    opts.set_editor_property("min_width", 560)
    opts.set_editor_property("value_column_width_ratio", 0.6)
    return opts


# -- one transition in the editor ----------------------------------------------------------


class EditorTransitionView(EditorView):
    """The controller's view in the editor: level preview, logs, writing, messages."""

    def __init__(self, seq: unreal.AnimSequence, uclip: UnrealClip, stage: Optional[PreviewStage], *, in_place: bool, suffix: str, images: bool):
        self.seq = seq
        self.uclip = uclip
        self.stage = stage
        self.in_place = in_place
        self.suffix = suffix
        self.images = images
        self.names = uclip.bone_names
        self.written: Optional[Dict[str, Any]] = None
        self._last_log = 0.0

    def status(self, message: str, fraction: float) -> None:
        line = f"AnyMoLe {100 * fraction:3.0f}% {message}"
        if self.stage is not None:
            self.stage.status(line)
        now = time.monotonic()
        if now - self._last_log > 1.0 or fraction >= 1.0:
            self._last_log = now
            unreal.log(line)

    def preview_image(self, image: bytes, image_format: str, frame_index: int, stage: str, step: int) -> None:
        if self.stage is not None and self.images:
            self.stage.image(image, image_format, frame_index)

    def pose(self, frame: int, pose: List[JointPose]) -> None:
        if self.stage is not None:
            self.stage.pose(self.names, pose)

    def log(self, level: str, message: str) -> None:
        (unreal.log_warning if level in ("warning", "error") else unreal.log)(f"AnyMoLe server: {message}")

    def apply(self, spliced: SplicedClip) -> Optional[str]:
        with unreal.ScopedSlowTask(2.0, unreal.Text("AnyMoLe: writing bone tracks")) as task:
            task.make_dialog(False)
            task.enter_progress_frame(1.0, unreal.Text(f"{len(spliced.tracks)} bone tracks"))
            w = write_tracks(self.seq, spliced, in_place=self.in_place, suffix=self.suffix, transact=True)
            task.enter_progress_frame(1.0, unreal.Text("verifying"))
        self.written = w
        summary = (
            f"wrote {len(spliced.generated_frames)} frames of {len(spliced.changed_bones)} bones into {w['asset']}; "
            f"RAW vs compressed: {w['rawVsCompressedDeg']:.3f} deg, {w['rawVsCompressedCm']:.3f} cm"
        )
        unreal.log(f"AnyMoLe: {summary}")
        for warning in spliced.warnings:
            unreal.log_warning(f"AnyMoLe: {warning}")
        return summary

    def failed(self, error: UserError) -> None:
        unreal.log_error(f"AnyMoLe: {error}")
        if error.code != "CANCELLED":
            _message(DIALOG_TITLE, f"{error}\n\n(field: {error.field}; the source asset was not modified)")

    def finished(self) -> None:
        if self.stage is not None:
            self.stage.destroy()


class _Ticker:
    """Drives a controller from the Slate post-tick until it is done."""

    live: List["_Ticker"] = []

    def __init__(self, controller: TransitionController):
        self.controller = controller
        self.handle = unreal.register_slate_post_tick_callback(self.tick)
        _Ticker.live.append(self)

    def tick(self, delta_s: float) -> None:
        try:
            running = self.controller.tick(delta_s)
        except Exception as exc:  # noqa: BLE001 - never leave a callback raising every frame
            unreal.log_error(f"AnyMoLe: {explain(exc)}")
            self.controller.cancel()
            running = False
        if not running:
            self.stop()

    def stop(self) -> None:
        if self.handle is not None:
            unreal.unregister_slate_post_tick_callback(self.handle)
            self.handle = None
        if self in _Ticker.live:
            _Ticker.live.remove(self)


def _run_modal(controller: TransitionController) -> None:
    """Follow the job in a modal progress dialog with Cancel (the short alternative)."""
    with unreal.ScopedSlowTask(100.0, unreal.Text("AnyMoLe: generating the transition")) as task:
        task.make_dialog(True)
        done, last = 0.0, time.monotonic()
        while True:
            now = time.monotonic()
            running = controller.tick(now - last)
            last = now
            if not running:
                break
            if task.should_cancel():
                controller.cancel()
            target = 100.0 * controller.fraction
            task.enter_progress_frame(max(0.0, target - done), unreal.Text(controller.message))
            done = max(done, target)
            time.sleep(0.05)


_SCALARS = ("context_first", "context_last", "method", "seed", "write_in_place", "duplicate_suffix", "live_pose", "preview_images",
            "preview_size", "modal_progress", "server_address", "use_tls", "methods_available", "server_status")


def _to_dialog(obj: AnyMoLeTransitionSettings, values: Any) -> None:
    """Copy :class:`anymole_unreal.dialog.DialogValues` onto the dialog's object."""
    for name in _SCALARS:
        obj.set_editor_property(name, getattr(values, name))
    obj.set_editor_property("keyframes", unreal.Array.cast(int, [int(k) for k in values.keyframes]))
    obj.set_editor_property("options", unreal.Map.cast(str, str, dict(values.options)))


def _from_dialog(obj: AnyMoLeTransitionSettings, values: Any) -> Any:
    from dataclasses import replace

    got = {name: obj.get_editor_property(name) for name in _SCALARS}
    got["keyframes"] = [int(k) for k in list(obj.get_editor_property("keyframes"))]  # type: ignore[call-overload]
    got["options"] = {str(k): str(v) for k, v in dict(obj.get_editor_property("options")).items()}  # type: ignore[call-overload]
    return replace(values, **got)


def generate_transition(seq: unreal.AnimSequence) -> Optional[TransitionController]:
    """The menu action: read, ask, send, follow (non-modal or modal), write. The decisions are
    the core's (:mod:`anymole_unreal.dialog`); every failure is a message naming its field; the
    source is modified only by a successful in-place write."""
    from anymole_client import Client

    from anymole_unreal import dialog
    from anymole_unreal.options import catalogue
    from anymole_unreal.session import REGISTRY
    from anymole_unreal.settings import project_defaults, remember, resolve_connection
    from anymole_unreal.transition import default_selection

    if REGISTRY.running():
        _message(DIALOG_TITLE, "job: a transition is already running; cancel it first (Cancel AnyMoLe transition)")
        return None
    proj = project_dir()
    try:
        uclip = read_clip(seq)
        connection = resolve_connection(proj)
        defaults = project_defaults(proj)
        default_selection(uclip)  # a sequence too short for any transition: say so now
    except Exception as exc:  # noqa: BLE001
        _message(DIALOG_TITLE, str(explain(exc)))
        return None
    obj = unreal.new_object(AnyMoLeTransitionSettings)
    mesh = find_preview_mesh(seq)
    if mesh is not None:
        obj.set_editor_property("preview_mesh", mesh)
    values: Any = None
    for _attempt in range(6):
        client = Client(connection.address, timeout_s=5.0, **connection.client_kwargs())
        info, error = None, None
        try:
            info = client.server_info()
        except Exception as exc:  # noqa: BLE001 - shown in the dialog; OK retries
            error = exc
        methods = catalogue(info) if info is not None else {}
        values = dialog.initial_values(uclip, connection, methods, defaults, dialog.server_note(info, error, connection.address), values)
        shown = values.method
        _to_dialog(obj, values)
        while True:
            if not unreal.EditorDialog.show_object_details_view(unreal.Text(DIALOG_TITLE), obj, _dialog_options()):
                client.close()
                return None
            values = _from_dialog(obj, values)
            if dialog.needs_refresh(values, connection, info is not None, shown, methods):
                break
            try:
                plan = dialog.plan_from_values(uclip, values, methods, info)
            except Exception as exc:  # noqa: BLE001 - say which field, then ask again
                _message(DIALOG_TITLE, f"{explain(exc)}\n\nNothing was sent; correct it and press OK again.")
                continue
            remember(proj, dialog.remembered(values))
            return _start(seq, uclip, plan, values, obj, client, connection.address, proj)
        client.close()
        try:
            connection = resolve_connection(proj, address=values.server_address, tls=values.use_tls)
        except Exception as exc:  # noqa: BLE001
            _message(DIALOG_TITLE, str(explain(exc)))
    return None


def _start(seq: unreal.AnimSequence, uclip: UnrealClip, plan: Any, values: Any, obj: AnyMoLeTransitionSettings, client: Any, address: str, proj: str) -> TransitionController:
    from anymole_unreal.session import REGISTRY, JobSession

    job_dir = os.path.join(proj, "Saved", "AnyMoLe", "Previews", time.strftime("%Y%m%d-%H%M%S"))
    chosen_mesh = obj.get_editor_property("preview_mesh")
    stage = None
    if values.live_pose or values.preview_images:
        editor = unreal.get_editor_subsystem(unreal.UnrealEditorSubsystem)
        camera = editor.get_level_viewport_camera_info() if editor is not None else None
        location = unreal.Vector(0, 0, 0)
        if camera:  # 4 m in front of the level viewport's camera
            eye, forward = camera[0], camera[1].get_forward_vector()
            location = _offset(eye, 400.0 * forward.x, 400.0 * forward.y, 400.0 * forward.z)
        stage = PreviewStage(seq, chosen_mesh if isinstance(chosen_mesh, unreal.SkeletalMesh) else None, location, job_dir)
    view = EditorTransitionView(seq, uclip, stage, in_place=bool(values.write_in_place), suffix=values.duplicate_suffix or "_AnyMoLe", images=bool(values.preview_images))
    session = REGISTRY.add(JobSession(client, plan.request, address=address))
    controller = TransitionController(plan, session, view, live_pose=bool(values.live_pose)).start()
    if values.modal_progress:
        _run_modal(controller)
    else:
        _Ticker(controller)
    return controller


def cancel_running() -> int:
    """Cancel every running transition (the "Cancel AnyMoLe transition" entry)."""
    from anymole_unreal.session import REGISTRY

    running = REGISTRY.running()
    for session in running:
        session.cancel()
    for ticker in list(_Ticker.live):
        ticker.controller.cancel()
    return len(running)


# -- menus -------------------------------------------------------------------------------------


def _sequences(context: unreal.ToolMenuContext) -> List[unreal.AnimSequence]:
    objs: List[Any] = []
    editor = context.find_by_class(unreal.AssetEditorToolkitMenuContext.static_class())
    if isinstance(editor, unreal.AssetEditorToolkitMenuContext):
        objs = list(editor.get_editing_objects())
    if not objs:
        browser = context.find_by_class(unreal.ContentBrowserAssetContextMenuContext.static_class())
        if isinstance(browser, unreal.ContentBrowserAssetContextMenuContext):
            objs = list(browser.get_selected_objects())
    if not objs:
        objs = list(unreal.EditorUtilityLibrary.get_selected_assets())
    return [o for o in objs if isinstance(o, unreal.AnimSequence)]


@unreal.uclass()
class AnyMoLeGenerateEntry(unreal.ToolMenuEntryScript):
    @unreal.ufunction(override=True)
    def execute(self, context: unreal.ToolMenuContext) -> None:
        sequences = _sequences(context)
        if not sequences:
            _message(DIALOG_TITLE, "sequence: select or open an AnimSequence first")
            return
        generate_transition(sequences[0])


@unreal.uclass()
class AnyMoLeCancelEntry(unreal.ToolMenuEntryScript):
    @unreal.ufunction(override=True)
    def execute(self, context: unreal.ToolMenuContext) -> None:
        n = cancel_running()
        unreal.log(f"AnyMoLe: cancelling {n} running transition(s)")


_ENTRIES: List[unreal.ToolMenuEntryScript] = []


def register_menus() -> None:
    """The AnimSequence context-menu entry and the Animation editor toolbar button (plus a
    Cancel entry beside each). Idempotent."""
    menus = unreal.ToolMenus.get()
    menus.unregister_owner_by_name(unreal.Name(OWNER))
    _ENTRIES.clear()
    places = (
        (CONTENT_MENU, "GetAssetActions", unreal.MultiBlockType.MENU_ENTRY),
        (ANIMATION_TOOLBAR, "AnyMoLe", unreal.MultiBlockType.TOOL_BAR_BUTTON),
    )
    for menu_name, section, kind in places:
        menu = menus.extend_menu(unreal.Name(menu_name))
        if section == "AnyMoLe":
            menu.add_section(unreal.Name(section), unreal.Text("AnyMoLe"))
        for cls, name, label, tip in (
            (AnyMoLeGenerateEntry, "AnyMoLeGenerate", LABEL, "Generate an in-between with the AnyMoLe Bridge server"),
            (AnyMoLeCancelEntry, "AnyMoLeCancel", "Cancel AnyMoLe transition", "Cancel the running AnyMoLe job"),
        ):
            entry = cls()
            entry.init_entry(unreal.Name(OWNER), unreal.Name(menu_name), unreal.Name(section), unreal.Name(name), unreal.Text(label), unreal.Text(tip))
            data = entry.data
            advanced = data.advanced
            advanced.entry_type = kind
            data.advanced = advanced
            entry.data = data
            menu.add_menu_entry_object(entry)
            _ENTRIES.append(entry)
    menus.refresh_all_widgets()


# -- headless bake -----------------------------------------------------------------------------


class UnrealBakeEngine(BakeEngine):
    """:class:`anymole_unreal.bake.BakeEngine` over the editor's assets (no transactions)."""

    def __init__(self) -> None:
        self._sequences: Dict[str, unreal.AnimSequence] = {}

    def read(self, asset_path: str) -> UnrealClip:
        seq = load_sequence(asset_path)
        self._sequences[asset_path] = seq
        uclip = read_clip(seq)
        return uclip

    def write(self, uclip: UnrealClip, spliced: SplicedClip, output: Optional[str], in_place: bool, suffix: str) -> Dict[str, Any]:
        seq = self._sequences.get(uclip.asset_path) or load_sequence(uclip.asset_path)
        return write_tracks(seq, spliced, in_place=in_place, output=output, suffix=suffix, transact=False)


# -- shutdown ----------------------------------------------------------------------------------


def _shutdown() -> None:
    from anymole_unreal.session import REGISTRY

    for ticker in list(_Ticker.live):
        ticker.stop()
        ticker.controller.view.finished()
    REGISTRY.close_all(timeout_s=1.0)


_SHUTDOWN_HANDLE = unreal.register_python_shutdown_callback(_shutdown)
