"""Where the server is and how to authenticate: environment, project settings, last use.

Sources, first match wins for each value:

1. the environment: ``ANYMOLE_SERVER`` (``host:port``), ``ANYMOLE_TOKEN`` (the bearer token),
   ``ANYMOLE_TOKEN_FILE`` (a file whose first line is the token), ``ANYMOLE_TLS`` (``1``),
   ``ANYMOLE_ROOT_CERTIFICATES`` (a PEM file);
2. the project's ``Config/AnyMoLe.json`` (committed with the project, shared by the team)::

       {"server": {"address": "anymole.studio.lan:50051", "tls": true,
                   "rootCertificates": "Config/anymole-ca.pem",
                   "tokenEnv": "ANYMOLE_TOKEN", "tokenFile": "~/.anymole/token"},
        "defaults": {"method": "spline", "options": {}, "suffix": "_AnyMoLe"}}

   It never holds the token itself (:func:`load_project_settings` refuses a ``token`` key);
   ``tokenFile`` points at a file outside source control;
3. ``Saved/AnyMoLe/token`` (per user, never in source control) for the token;
4. ``Saved/AnyMoLe/last_settings.json``: what the dialog last used (address, method, options —
   :func:`remember` drops anything named like a token);
5. defaults: ``127.0.0.1:50051``, plaintext, no token.

:class:`Connection` hides the token from ``repr`` and every message; ``token_source`` says
where it came from, for the dialog ("ANYMOLE_TOKEN (set)"), without the value.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from anymole_unreal.errors import UserError

DEFAULT_ADDRESS = "127.0.0.1:50051"
PROJECT_SETTINGS = os.path.join("Config", "AnyMoLe.json")
USER_TOKEN_FILE = os.path.join("Saved", "AnyMoLe", "token")
LAST_SETTINGS = os.path.join("Saved", "AnyMoLe", "last_settings.json")
_SECRET_WORDS = ("token", "secret", "password", "authorization")


@dataclass(frozen=True)
class Connection:
    """How to reach the server. ``token`` never shows in ``repr``; ``token_source`` describes
    where it came from (``"none"`` when there is none)."""

    address: str = DEFAULT_ADDRESS
    tls: bool = False
    root_certificates: Optional[str] = None
    token: Optional[str] = field(default=None, repr=False, compare=False)
    token_source: str = "none"

    def client_kwargs(self) -> Dict[str, Any]:
        """Keyword arguments of ``anymole_client.Client``."""
        return {"token": self.token, "tls": self.tls, "root_certificates": self.root_certificates}

    def describe(self) -> str:
        """One line for the dialog and the logs, without the token."""
        scheme = "TLS" if self.tls or self.root_certificates else "plaintext"
        return f"{self.address} ({scheme}; token: {self.token_source})"


def _read_json(path: str) -> Dict[str, Any]:
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise UserError("settings", f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UserError("settings", f"{path} must hold a JSON object")
    return data


def load_project_settings(project_dir: str) -> Dict[str, Any]:
    """``Config/AnyMoLe.json`` of the project ({} when absent). A token in it is an error: the
    file is committed with the project."""
    path = os.path.join(project_dir, PROJECT_SETTINGS)
    data = _read_json(path)
    server = data.get("server") or {}
    if not isinstance(server, dict):
        raise UserError("settings.server", f"{path}: 'server' must be an object")
    if "token" in server:
        raise UserError(
            "settings.server.token",
            f"{path} holds a token; it is committed with the project. Remove it and set ANYMOLE_TOKEN "
            "or point 'tokenFile' at a file outside source control",
        )
    return data


def load_last_settings(project_dir: str) -> Dict[str, Any]:
    return _read_json(os.path.join(project_dir, LAST_SETTINGS))


def remember(project_dir: str, values: Mapping[str, Any]) -> str:
    """Store the dialog's last values (no secret: keys naming a token are dropped) in
    ``Saved/AnyMoLe/last_settings.json``; returns the path."""

    def clean(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: clean(x) for k, x in v.items() if not any(w in str(k).lower() for w in _SECRET_WORDS)}
        return v

    path = os.path.join(project_dir, LAST_SETTINGS)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(clean(dict(values)), f, indent=2, sort_keys=True)
    return path


def _read_token_file(path: str, what: str) -> str:
    try:
        with open(os.path.expanduser(path), "r", encoding="utf-8") as f:
            text = f.read().strip()
    except OSError as exc:
        raise UserError("server.token", f"cannot read the token file named by {what}: {exc.strerror or exc}") from None
    return text.splitlines()[0].strip() if text else ""


def resolve_connection(
    project_dir: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
    address: Optional[str] = None,
    tls: Optional[bool] = None,
) -> Connection:
    """The :class:`Connection` from the sources above; ``address`` / ``tls`` (the dialog's
    values) override them."""
    env = os.environ if environ is None else environ
    project = load_project_settings(project_dir) if project_dir else {}
    last = load_last_settings(project_dir) if project_dir else {}
    server = project.get("server") or {}

    def project_path(p: Optional[str]) -> Optional[str]:
        if not p:
            return None
        p = os.path.expanduser(p)
        return p if os.path.isabs(p) or not project_dir else os.path.join(project_dir, p)

    addr = (address or env.get("ANYMOLE_SERVER") or server.get("address") or last.get("address") or DEFAULT_ADDRESS).strip()
    if not addr or ":" not in addr:
        raise UserError("server.address", f"{addr!r} is not host:port (for example {DEFAULT_ADDRESS})")
    use_tls = bool(tls) if tls is not None else (env.get("ANYMOLE_TLS", "").lower() in ("1", "true", "yes") or bool(server.get("tls", False)))
    roots = env.get("ANYMOLE_ROOT_CERTIFICATES") or project_path(server.get("rootCertificates"))

    token_env = str(server.get("tokenEnv") or "ANYMOLE_TOKEN")
    token: Optional[str] = None
    source = "none"
    if env.get(token_env):
        token, source = env[token_env].strip(), f"${token_env} (set)"
    elif env.get("ANYMOLE_TOKEN_FILE"):
        token, source = _read_token_file(env["ANYMOLE_TOKEN_FILE"], "$ANYMOLE_TOKEN_FILE"), "$ANYMOLE_TOKEN_FILE"
    elif server.get("tokenFile"):
        path = project_path(server["tokenFile"]) or ""
        token, source = _read_token_file(path, f"{PROJECT_SETTINGS} tokenFile"), f"tokenFile of {PROJECT_SETTINGS}"
    elif project_dir and os.path.isfile(os.path.join(project_dir, USER_TOKEN_FILE)):
        token, source = _read_token_file(os.path.join(project_dir, USER_TOKEN_FILE), USER_TOKEN_FILE), USER_TOKEN_FILE
    return Connection(addr, use_tls, roots, token or None, source if token else "none")


def project_defaults(project_dir: Optional[str]) -> Dict[str, Any]:
    """``defaults`` of ``Config/AnyMoLe.json`` overlaid by the last used values."""
    out: Dict[str, Any] = {"method": "", "options": {}, "suffix": "_AnyMoLe"}
    if project_dir:
        out.update(load_project_settings(project_dir).get("defaults") or {})
        last = load_last_settings(project_dir)
        for key in ("method", "options", "suffix"):
            if key in last:
                out[key] = last[key]
    return out
