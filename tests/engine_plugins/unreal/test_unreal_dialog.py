"""The settings dialog's logic (engine-free): first values from the server's catalogue, when OK
reconnects, and the request built from what the user typed — with a real server."""

from __future__ import annotations

import pytest
from unreal_fixtures import mannequin
from unreal_support import make_client

from anymole_unreal import dialog
from anymole_unreal.errors import UserError
from anymole_unreal.options import catalogue
from anymole_unreal.settings import Connection


def test_first_values_come_from_the_server(server):
    client = make_client(server)
    info = client.server_info()
    client.close()
    methods = catalogue(info)
    uclip = mannequin()
    conn = Connection(server.address, token="tok", token_source="$ANYMOLE_TOKEN (set)")
    v = dialog.initial_values(uclip, conn, methods, {"method": "spline", "suffix": "_X"}, dialog.server_note(info))
    assert v.method == "spline" and v.duplicate_suffix == "_X" and v.server_address == server.address
    assert v.keyframes == [uclip.num_keys - 1] and v.context_last < v.keyframes[0] - 1
    assert "spline" in v.methods_available and "protocol" in v.server_status
    assert "tok" not in v.server_status.replace("token: $ANYMOLE_TOKEN", "")  # where it came from, not the value
    plan = dialog.plan_from_values(uclip, v, methods, info)
    assert plan.request.options.method == "spline" and plan.request.options.preview.width == 256
    assert dialog.remembered(v) == {"address": server.address, "method": "spline", "options": v.options, "suffix": "_X"}


def test_refresh_rules():
    conn = Connection("h:1")
    methods = {"spline": None, "anymole": None}
    v = dialog.DialogValues(0, 10, [20], "spline", server_address="h:1")
    assert not dialog.needs_refresh(v, conn, True, "spline", methods)
    assert dialog.needs_refresh(v, conn, False, "spline", methods)  # not connected: retry
    assert dialog.needs_refresh(dialog.DialogValues(0, 10, [20], "spline", server_address="h:2"), conn, True, "spline", methods)
    assert dialog.needs_refresh(dialog.DialogValues(0, 10, [20], "anymole", server_address="h:1"), conn, True, "spline", methods)
    assert not dialog.needs_refresh(dialog.DialogValues(0, 10, [20], "magic", server_address="h:1"), conn, True, "spline", methods)


def test_not_connected_dialog_still_opens():
    uclip = mannequin()
    v = dialog.initial_values(uclip, Connection("h:1"), {}, {}, dialog.server_note(None, ConnectionError("refused"), "h:1"))
    assert v.method == "" and "NOT CONNECTED" in v.server_status and "no methods" in v.methods_available


def test_previous_values_survive_a_reconnect(server):
    client = make_client(server)
    info = client.server_info()
    client.close()
    methods = catalogue(info)
    uclip = mannequin()
    conn = Connection(server.address)
    first = dialog.initial_values(uclip, conn, methods, {}, "")
    typed = dialog.DialogValues(5, 40, [60, 80], "spline", seed=3, write_in_place=True, server_address=server.address)
    again = dialog.initial_values(uclip, conn, methods, {}, "", typed)
    assert (again.context_first, again.context_last, again.keyframes, again.seed, again.write_in_place) == (5, 40, [60, 80], 3, True)
    assert first.keyframes != again.keyframes


def test_bad_values_name_the_field(server):
    client = make_client(server)
    info = client.server_info()
    client.close()
    methods = catalogue(info)
    uclip = mannequin()
    for values, field in (
        (dialog.DialogValues(0, 40, [30], "spline"), "selection.keyframes"),
        (dialog.DialogValues(0, 40, [60], "magic"), "options.method"),
        (dialog.DialogValues(0, 40, [60], "spline", options={"nope": "1"}), "options.nope"),
        (dialog.DialogValues(0, 40, [60], "spline", preview_size=100000), "options.preview.width"),
    ):
        with pytest.raises(UserError) as err:
            dialog.plan_from_values(uclip, values, methods, info)
        assert err.value.field == field, (field, str(err.value))
