"""The settings dialog's logic, engine-free: what it shows first, when pressing OK must reconnect
or refill it, and how its values become a request. The adapter only copies
:class:`DialogValues` to and from the ``AnyMoLeTransitionSettings`` object the editor shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional

from anymole_client.clip import Selection

from anymole_unreal.options import MethodSpec, default_method, default_option_texts, describe_methods, job_options
from anymole_unreal.settings import Connection
from anymole_unreal.transition import TransitionPlan, UnrealClip, default_selection, plan_transition


@dataclass
class DialogValues:
    """Everything the dialog edits (never the token)."""

    context_first: int
    context_last: int
    keyframes: List[int]
    method: str
    options: Dict[str, str] = field(default_factory=dict)
    seed: int = 0
    write_in_place: bool = False
    duplicate_suffix: str = "_AnyMoLe"
    live_pose: bool = True
    preview_images: bool = True
    preview_size: int = 256
    modal_progress: bool = False
    server_address: str = ""
    use_tls: bool = False
    methods_available: str = ""
    server_status: str = ""

    @property
    def selection(self) -> Selection:
        return Selection(int(self.context_first), int(self.context_last), [int(k) for k in self.keyframes])


def server_note(info: Any, error: Optional[BaseException] = None, address: str = "") -> str:
    """The dialog's status line for a server (connected or not)."""
    if info is None:
        from anymole_unreal.errors import explain

        return f"NOT CONNECTED — {explain(error, address) if error is not None else 'no answer'}"
    return f"server {info.server_version}, protocol {info.protocol_version}, device {info.capabilities.device}"


def initial_values(
    uclip: UnrealClip,
    connection: Connection,
    methods: Mapping[str, MethodSpec],
    defaults: Mapping[str, Any],
    note: str,
    previous: Optional[DialogValues] = None,
) -> DialogValues:
    """The values shown: the previous ones (after a reconnect) or a first guess, with the
    method's options pre-filled from the server's defaults and the project's / last used."""
    if previous is not None:
        sel = previous.selection
        method = default_method(methods, previous.method)
    else:
        sel = default_selection(uclip)
        method = default_method(methods, str(defaults.get("method") or ""))
    texts = default_option_texts(methods[method]) if method in methods else {}
    remembered = (previous.options if previous is not None and previous.method == method else None) or (
        defaults.get("options") if defaults.get("method") == method else None
    )
    for k, v in (remembered or {}).items():
        if k in texts:
            texts[k] = str(v)
    base = previous or DialogValues(0, 0, [], method, duplicate_suffix=str(defaults.get("suffix") or "_AnyMoLe"))
    status = f"{connection.describe()}\n{note}\n{uclip.asset_path}: {len(uclip.clip.joints)} bones, {uclip.num_keys} keys at {uclip.clip.fps:g} fps"
    return replace(
        base,
        context_first=sel.context_first,
        context_last=sel.context_last,
        keyframes=list(sel.keyframes),
        method=method,
        options=texts,
        server_address=connection.address,
        use_tls=bool(connection.tls),
        methods_available=describe_methods(methods) or "(server unreachable: no methods)",
        server_status=status,
    )


def needs_refresh(values: DialogValues, connection: Connection, connected: bool, shown_method: str, methods: Mapping[str, MethodSpec]) -> bool:
    """True when OK must reconnect and show the dialog again: not connected, another address
    or TLS setting, or another (known) method whose options are not shown yet."""
    if not connected:
        return True
    if values.server_address.strip() != connection.address or bool(values.use_tls) != bool(connection.tls):
        return True
    return values.method.strip() != shown_method and values.method.strip() in methods


def preview_options(values: DialogValues) -> Dict[str, Any]:
    size = int(values.preview_size)
    return {"disabled": not values.preview_images, "width": size, "height": size, "format": "IMAGE_FORMAT_JPEG", "posesDisabled": not values.live_pose}


def plan_from_values(uclip: UnrealClip, values: DialogValues, methods: Mapping[str, MethodSpec], info: Any) -> TransitionPlan:
    """The request for the dialog's values; :class:`~anymole_unreal.errors.UserError` naming
    the field otherwise (nothing is sent)."""
    opts = job_options(methods, values.method.strip(), values.options, seed=int(values.seed), preview=preview_options(values))
    return plan_transition(uclip, values.selection, opts, info)


def remembered(values: DialogValues) -> Dict[str, Any]:
    """What ``Saved/AnyMoLe/last_settings.json`` keeps (no secret)."""
    return {"address": values.server_address.strip(), "method": values.method.strip(), "options": dict(values.options), "suffix": values.duplicate_suffix}
