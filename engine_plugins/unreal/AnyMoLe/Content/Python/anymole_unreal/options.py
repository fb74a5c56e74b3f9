"""The server's method catalogue (``GetServerInfo`` → ``Capabilities.method_info``) and typed
method options, so that the dialog is built from the server, not hard-coded.

The dialog shows each option of the chosen method as text (its default pre-filled); the user's
text is parsed by the option's type and range here, and the values are laid into the proto3-JSON
form of ``JobOptions`` at the option's ``field`` path (``anymole.denoiseSteps``). A bad value is
a :class:`~anymole_unreal.errors.UserError` naming ``options.<field>``.

A protocol 1.0 server has no ``method_info``: its ``methods`` are listed without options.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

from anymole_unreal.errors import UserError

# OptionType numbers of service.proto.
_TYPES = {1: "bool", 2: "int", 3: "float", 4: "string"}


@dataclass(frozen=True)
class OptionSpec:
    """One typed option: ``field`` is its JSON path within ``JobOptions``."""

    name: str
    field: str
    type: str  # "bool" | "int" | "float" | "string"
    description: str = ""
    default_json: str = ""
    minimum: Optional[float] = None
    maximum: Optional[float] = None

    def default_text(self) -> str:
        """The default as the dialog shows it (strings without quotes); "" for none."""
        if not self.default_json:
            return ""
        try:
            value = json.loads(self.default_json)
        except ValueError:
            return self.default_json
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value)

    def describe(self) -> str:
        """``denoise_steps (int, 1..200, default 30): Denoising steps per stage``."""
        bits = [self.type]
        if self.minimum is not None or self.maximum is not None:
            lo = "" if self.minimum is None else _num(self.minimum)
            hi = "" if self.maximum is None else _num(self.maximum)
            bits.append(f"{lo}..{hi}")
        if self.default_json:
            bits.append(f"default {self.default_text()}")
        return f"{self.field} ({', '.join(bits)}){': ' + self.description if self.description else ''}"

    def parse(self, text: Any) -> Any:
        """The typed value of the dialog's ``text``; :class:`UserError` naming
        ``options.<field>`` when it is not one."""
        where = f"options.{self.field}"
        s = text.strip() if isinstance(text, str) else text
        if self.type == "string":
            return "" if s is None else str(s)
        if self.type == "bool":
            if isinstance(s, bool):
                return s
            low = str(s).lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise UserError(where, f"must be true or false, got {text!r}")
        try:
            value = float(s)
        except (TypeError, ValueError):
            raise UserError(where, f"must be {'an integer' if self.type == 'int' else 'a number'}{self._range()}, got {text!r}") from None
        if not math.isfinite(value):
            raise UserError(where, f"must be a finite number{self._range()}, got {text!r}")
        if self.type == "int":
            if value != int(value):
                raise UserError(where, f"must be an integer{self._range()}, got {text!r}")
            value = int(value)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise UserError(where, f"{_num(value)} is out of range{self._range()}")
        return value

    def _range(self) -> str:
        if self.minimum is None and self.maximum is None:
            return ""
        if self.maximum is None:
            return f" (at least {_num(self.minimum)})"
        if self.minimum is None:
            return f" (at most {_num(self.maximum)})"
        return f" in [{_num(self.minimum)}, {_num(self.maximum)}]"


def _num(v: Optional[float]) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v) == int(v) else repr(float(v))


@dataclass(frozen=True)
class MethodSpec:
    name: str
    description: str = ""
    runnable: bool = True
    unavailable_reason: str = ""
    is_default: bool = False
    stages: Sequence[str] = ()
    options: Sequence[OptionSpec] = field(default_factory=tuple)

    def option(self, key: str) -> Optional[OptionSpec]:
        """The option named by its ``field`` (``anymole.denoiseSteps``) or ``name``."""
        for o in self.options:
            if key in (o.field, o.name):
                return o
        return None


def catalogue(info: Any) -> Dict[str, MethodSpec]:
    """Method name → :class:`MethodSpec` from a ``GetServerInfoResponse``."""
    caps = info.capabilities
    out: Dict[str, MethodSpec] = {}
    for m in getattr(caps, "method_info", ()):
        opts = tuple(
            OptionSpec(
                o.name,
                o.field,
                _TYPES.get(int(o.type), "string"),
                o.description,
                o.default_json,
                o.minimum if o.HasField("minimum") else None,
                o.maximum if o.HasField("maximum") else None,
            )
            for o in m.options
        )
        out[m.name] = MethodSpec(m.name, m.description, m.runnable, m.unavailable_reason, m.is_default, tuple(m.stages), opts)
    for name in caps.methods:  # protocol 1.0: names only
        if name not in out:
            out[name] = MethodSpec(name, is_default=(name == caps.default_method))
    return out


def default_method(methods: Mapping[str, MethodSpec], preferred: str = "") -> str:
    if preferred and preferred in methods:
        return preferred
    for m in methods.values():
        if m.is_default:
            return m.name
    for m in methods.values():
        if m.runnable:
            return m.name
    return next(iter(methods), "")


def describe_methods(methods: Mapping[str, MethodSpec]) -> str:
    """A few lines for the dialog: each method, runnable or why not, and its options."""
    lines: List[str] = []
    for m in methods.values():
        state = "" if m.runnable else f" — not runnable: {m.unavailable_reason or 'unavailable'}"
        lines.append(f"{m.name}{' (default)' if m.is_default else ''}{state}")
        lines.extend("    " + o.describe() for o in m.options)
    return "\n".join(lines)


def default_option_texts(method: MethodSpec) -> Dict[str, str]:
    """``field`` → default text, for pre-filling the dialog."""
    return {o.field: o.default_text() for o in method.options}


def _set_path(doc: Dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        doc = doc.setdefault(k, {})
    doc[keys[-1]] = value


def job_options(
    methods: Mapping[str, MethodSpec],
    method: str,
    option_texts: Optional[Mapping[str, Any]] = None,
    *,
    seed: int = 0,
    preview: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """The proto3-JSON ``JobOptions`` for ``method`` with the dialog's option texts (empty
    text: the server's default, left out). :class:`UserError` for an unknown or unrunnable
    method, an unknown option, or a bad value."""
    if methods and method not in methods:
        raise UserError("options.method", f"{method!r} is not a method of this server; it offers {', '.join(sorted(methods)) or 'none'}")
    spec = methods.get(method) if methods else None
    if spec is not None and not spec.runnable:
        raise UserError("options.method", f"{method!r} cannot run on this server: {spec.unavailable_reason or 'unavailable'}")
    doc: Dict[str, Any] = {"method": method}
    if seed:
        doc["seed"] = str(int(seed))  # uint64: a string in proto3 JSON
    for key, text in (option_texts or {}).items():
        opt = spec.option(key) if spec is not None else None
        if opt is None:
            known = ", ".join(o.field for o in spec.options) if spec is not None and spec.options else "none"
            raise UserError(f"options.{key}", f"is not an option of {method!r} (its options: {known})")
        if isinstance(text, str) and not text.strip() and opt.type != "string":
            continue
        if isinstance(text, str) and not text and opt.type == "string":
            continue
        _set_path(doc, opt.field, opt.parse(text))
    if preview:
        doc["preview"] = dict(preview)
    return doc
