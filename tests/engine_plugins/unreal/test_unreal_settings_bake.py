"""Connection settings (the token from the environment or the project, never shown or stored)
and the headless bake (blocking per job, a failing job does not stop the others, JSON report,
raise at the end) against a real server with in-memory sequences."""

from __future__ import annotations

import io
import json

import pytest
from unreal_support import make_client
from unreal_fixtures import mannequin, quadruped

from anymole_unreal.bake import BakeEngine, BakeFailed, load_manifest, raise_if_failed, run_bake
from anymole_unreal.errors import UserError
from anymole_unreal.settings import Connection, project_defaults, remember, resolve_connection


def test_defaults_without_anything(tmp_path):
    c = resolve_connection(str(tmp_path), environ={})
    assert (c.address, c.tls, c.token, c.token_source) == ("127.0.0.1:50051", False, None, "none")


def test_token_from_the_environment_is_never_shown(tmp_path):
    c = resolve_connection(str(tmp_path), environ={"ANYMOLE_TOKEN": "s3cr3t-value", "ANYMOLE_SERVER": "farm:6000"})
    assert c.address == "farm:6000" and c.token == "s3cr3t-value" and c.token_source == "$ANYMOLE_TOKEN (set)"
    assert "s3cr3t-value" not in repr(c) and "s3cr3t-value" not in c.describe()


def test_project_settings_and_token_file(tmp_path):
    (tmp_path / "Config").mkdir()
    (tmp_path / "Saved").mkdir()
    (tmp_path / "Saved" / "tok.txt").write_text("file-token\n")
    (tmp_path / "Config" / "AnyMoLe.json").write_text(json.dumps({
        "server": {"address": "anymole.lan:50051", "tls": True, "tokenFile": "Saved/tok.txt"},
        "defaults": {"method": "spline", "suffix": "_T"},
    }))
    c = resolve_connection(str(tmp_path), environ={})
    assert (c.address, c.tls, c.token) == ("anymole.lan:50051", True, "file-token")
    assert "file-token" not in c.describe()
    assert resolve_connection(str(tmp_path), environ={}, address="other:1", tls=False).address == "other:1"
    assert project_defaults(str(tmp_path))["suffix"] == "_T"


def test_user_token_file_in_saved(tmp_path):
    (tmp_path / "Saved" / "AnyMoLe").mkdir(parents=True)
    (tmp_path / "Saved" / "AnyMoLe" / "token").write_text("user-token")
    assert resolve_connection(str(tmp_path), environ={}).token == "user-token"


def test_a_token_in_the_committed_project_settings_is_refused(tmp_path):
    (tmp_path / "Config").mkdir()
    (tmp_path / "Config" / "AnyMoLe.json").write_text(json.dumps({"server": {"token": "oops"}}))
    with pytest.raises(UserError) as err:
        resolve_connection(str(tmp_path), environ={})
    assert err.value.field == "settings.server.token" and "oops" not in str(err.value)


def test_remember_never_stores_a_token(tmp_path):
    path = remember(str(tmp_path), {"address": "a:1", "token": "x", "options": {"anymole.prompt": "p", "authorizationHeader": "y"}})
    stored = json.loads(open(path).read())
    assert stored == {"address": "a:1", "options": {"anymole.prompt": "p"}}


def test_bad_address_names_the_field(tmp_path):
    with pytest.raises(UserError) as err:
        resolve_connection(str(tmp_path), environ={}, address="nohostport")
    assert err.value.field == "server.address"


class MemoryEngine(BakeEngine):
    """Sequences held in memory; writes recorded."""

    def __init__(self, clips):
        self.clips = {c.asset_path: c for c in clips}
        self.writes = []

    def read(self, asset_path):
        if asset_path not in self.clips:
            raise UserError("sequence", f"{asset_path} does not exist")
        return self.clips[asset_path]

    def write(self, uclip, spliced, output, in_place, suffix):
        self.writes.append((uclip.asset_path, output, in_place, suffix, spliced))
        return {"asset": output or uclip.asset_path + suffix, "rawVsCompressedDeg": 0.0, "rawVsCompressedCm": 0.0}


def _manifest(tmp_path, srv):
    doc = {
        "server": {"address": srv.address},
        "defaults": {"method": "spline", "suffix": "_Baked"},
        "report": "out/report.json",
        "jobs": [
            {"name": "walk", "sequence": "/Game/Test/Manny_Walk", "contextFirst": 0, "contextLast": 50, "keyframes": [80]},
            {"name": "inside", "sequence": "/Game/Test/Manny_Walk", "contextFirst": 0, "contextLast": 50, "keyframes": [40]},
            {"name": "missing", "sequence": "/Game/Nope", "contextFirst": 0, "contextLast": 10, "keyframes": [20]},
            {"name": "dog", "sequence": "/Game/Test/Dog_Trot", "contextFirst": 0, "contextLast": 30, "keyframes": [55], "output": "/Game/Out/Dog"},
        ],
    }
    path = tmp_path / "bake.json"
    path.write_text(json.dumps(doc))
    return path


def test_bake_runs_every_job_and_reports(server, tmp_path):
    engine = MemoryEngine([mannequin(), quadruped()])
    out = io.StringIO()
    manifest = load_manifest(str(_manifest(tmp_path, server)))
    report = run_bake(manifest, engine, environ={}, out=out)
    assert [j["name"] for j in report["jobs"]] == ["walk", "inside", "missing", "dog"]
    assert [j["ok"] for j in report["jobs"]] == [True, False, False, True]  # failures do not stop the others
    assert report["jobs"][1]["field"] == "selection.keyframes" and "inside the context" in report["jobs"][1]["error"]
    assert report["jobs"][2]["field"] == "sequence"
    assert report["jobs"][0]["asset"] == "/Game/Test/Manny_Walk_Baked" and report["jobs"][3]["asset"] == "/Game/Out/Dog"
    assert [w[0] for w in engine.writes] == ["/Game/Test/Manny_Walk", "/Game/Test/Dog_Trot"]  # failed jobs wrote nothing
    on_disk = json.loads((tmp_path / "out" / "report.json").read_text())
    assert on_disk["succeeded"] == 2 and on_disk["failed"] == 2
    text = out.getvalue()
    assert "[anymole] walk:" in text and "FAILED" in text and "2 passed, 2 failed" in text
    with pytest.raises(BakeFailed) as err:
        raise_if_failed(report)
    assert "2 of 4" in str(err.value) and "missing" in str(err.value)


def test_bake_with_the_server_down(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"server": {"address": f"127.0.0.1:{port}"}, "jobs": [
        {"sequence": "/Game/Test/Manny_Walk", "contextFirst": 0, "contextLast": 50, "keyframes": [80]}]}))
    report = run_bake(load_manifest(str(path)), MemoryEngine([mannequin()]), environ={}, out=io.StringIO())
    assert report["failed"] == 1 and report["jobs"][0]["field"] == "server.address"
    assert (tmp_path / "m_report.json").is_file()


def test_bake_token_comes_from_the_environment(start_server, tmp_path):
    srv = start_server(token="bake-token")
    path = _manifest(tmp_path, srv)
    engine = MemoryEngine([mannequin(), quadruped()])
    bad = run_bake(load_manifest(str(path)), engine, environ={"ANYMOLE_TOKEN": "wrong"}, out=io.StringIO())
    assert all(not j["ok"] for j in bad["jobs"]) and bad["jobs"][0]["field"] == "server.token"
    assert "wrong" not in json.dumps(bad) and "bake-token" not in json.dumps(bad)
    good = run_bake(load_manifest(str(path)), engine, environ={"ANYMOLE_TOKEN": "bake-token"}, out=io.StringIO())
    assert good["succeeded"] == 2


@pytest.mark.parametrize("doc, field", [
    ({"jobs": [{"sequence": "/Game/A", "contextFirst": 0, "contextLast": 5}]}, "manifest.jobs[0].keyframes"),
    ({"jobs": [{"sequence": "/Game/A", "contextFirst": 0, "contextLast": 5, "keyframes": []}]}, "manifest.jobs[0].keyframes"),
    ({"nojobs": []}, "manifest.jobs"),
])
def test_manifest_errors_name_the_field(tmp_path, doc, field):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UserError) as err:
        load_manifest(str(path))
    assert err.value.field == field


def test_connection_client_kwargs_carry_the_token():
    c = Connection("h:1", token="t", token_source="x")
    assert c.client_kwargs() == {"token": "t", "tls": False, "root_certificates": None}


def test_make_client_helper(server):
    client = make_client(server)
    assert client.server_info().protocol_version.startswith("1.")
    client.close()
