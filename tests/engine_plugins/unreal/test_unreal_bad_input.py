"""Bad input from the editor side gives one clear message naming the problem, and the source
is never modified: a sequence without enough frames, a range inside the context, the server
down, a wrong token, another protocol major version, a skeleton above the joint limit, bad
method options."""

from __future__ import annotations

import socket

import pytest
from unreal_support import RecordingView, drive, make_client, snapshot
from unreal_fixtures import mannequin, tiny

from anymole_client.clip import Selection
from anymole_unreal.controller import TransitionController
from anymole_unreal.errors import UserError
from anymole_unreal.options import MethodSpec, OptionSpec, catalogue, job_options
from anymole_unreal.session import JobSession
from anymole_unreal.transition import default_selection, plan_transition


def run_to_failure(client, plan, address):
    view = RecordingView()
    controller = TransitionController(plan, JobSession(client, plan.request, address=address), view).start()
    drive(controller)
    assert controller.state == "failed", controller.state
    assert not view.applied and len(view.errors) == 1 and view.finished_count == 1
    return view.errors[0]


@pytest.mark.parametrize("keys", [1, 2])
def test_sequence_without_enough_frames(keys):
    uclip = tiny(keys)
    before = snapshot(uclip)
    with pytest.raises(UserError) as err:
        plan_transition(uclip, Selection(0, 0, [1]))
    assert err.value.field == "sequence" and f"has {keys} key" in str(err.value) and "at least 3" in str(err.value)
    with pytest.raises(UserError):
        default_selection(uclip)
    assert snapshot(uclip) == before


@pytest.mark.parametrize(
    "sel, field, words",
    [
        (Selection(0, 40, [30]), "selection.keyframes", "inside the context"),
        (Selection(0, 40, [40]), "selection.keyframes", "inside the context"),
        (Selection(0, 40, [41]), "selection.keyframes", "no frame to generate"),
        (Selection(0, 95, [99]), "selection.context", "clip has 91 frames"),
        (Selection(0, 40, [60, 55]), "selection.keyframes", "strictly increasing"),
        (Selection(0, 40, [120]), "selection.keyframes", "past the clip's last frame"),
        (Selection(0, 40, []), "selection.keyframes", "at least one keyframe"),
    ],
)
def test_selection_errors_name_the_field(sel, field, words):
    uclip = mannequin()
    before = snapshot(uclip)
    with pytest.raises(UserError) as err:
        plan_transition(uclip, sel)
    assert err.value.field == field and words in str(err.value)
    assert snapshot(uclip) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_down():
    from anymole_client import Client

    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    uclip = mannequin()
    before = snapshot(uclip)
    plan = plan_transition(uclip, Selection(10, 50, [75]), {"method": "spline"})
    err = run_to_failure(Client(address, timeout_s=5.0), plan, address)
    assert err.field == "server.address" and err.code == "UNAVAILABLE"
    assert f"cannot reach the AnyMoLe server at {address}" in str(err) and "anymole serve" in str(err)
    assert snapshot(uclip) == before


def test_wrong_token(start_server):
    srv = start_server(token="correct-horse-battery")
    uclip = mannequin()
    plan = plan_transition(uclip, Selection(10, 50, [75]), {"method": "spline"})
    err = run_to_failure(make_client(srv, token="not-the-token"), plan, srv.address)
    assert err.field == "server.token" and err.code == "UNAUTHENTICATED"
    assert "ANYMOLE_TOKEN" in str(err)
    assert "not-the-token" not in str(err) and "correct-horse-battery" not in str(err)  # never shown


def test_missing_token(start_server):
    srv = start_server(token="correct-horse-battery")
    plan = plan_transition(mannequin(), Selection(10, 50, [75]), {"method": "spline"})
    err = run_to_failure(make_client(srv, token=None), plan, srv.address)
    assert err.field == "server.token"


def test_server_with_another_major_protocol_version(start_server):
    srv = start_server(protocol_version="2.0.0")
    uclip = mannequin()
    before = snapshot(uclip)
    plan = plan_transition(uclip, Selection(10, 50, [75]), {"method": "spline"})
    err = run_to_failure(make_client(srv), plan, srv.address)
    assert err.field == "server.protocol"
    assert "2.0.0" in str(err) and "major" in str(err) and "upgrade the client" in str(err)
    assert snapshot(uclip) == before
    client = make_client(srv, check_version=False)  # and no job was submitted
    assert list(client.iter_jobs()) == []
    client.close()


def test_skeleton_above_the_joint_limit_is_refused_before_sending(start_server):
    srv = start_server(max_joints=8)
    uclip = mannequin()  # 21 bones
    client = make_client(srv)
    info = client.server_info()
    with pytest.raises(UserError) as err:
        plan_transition(uclip, Selection(10, 50, [75]), {"method": "spline"}, info)
    assert err.value.field == "input.skeleton.joint_names"
    assert "21 bones" in str(err.value) and "at most 8" in str(err.value)
    assert list(client.iter_jobs()) == []
    client.close()


def test_skeleton_above_the_joint_limit_names_the_servers_field(start_server):
    srv = start_server(max_joints=8)
    uclip = mannequin()
    plan = plan_transition(uclip, Selection(10, 50, [75]), {"method": "spline"})  # no pre-check
    err = run_to_failure(make_client(srv), plan, srv.address)
    assert err.code == "INVALID_ARGUMENT" and err.field.startswith("input.skeleton")
    assert "rejected the request" in str(err) and "8" in str(err)


def test_unknown_method_names_the_field(server):
    client = make_client(server)
    methods = catalogue(client.server_info())
    client.close()
    with pytest.raises(UserError) as err:
        job_options(methods, "magic", {})
    assert err.value.field == "options.method" and "spline" in str(err.value)


def test_method_catalogue_comes_from_the_server(server):
    client = make_client(server)
    methods = catalogue(client.server_info())
    client.close()
    assert "spline" in methods and methods["spline"].runnable
    if "anymole" in methods:  # listed with its typed options, runnable or not
        spec = methods["anymole"]
        assert spec.options and all(o.field.startswith("anymole.") for o in spec.options)
        if not spec.runnable:
            with pytest.raises(UserError) as err:
                job_options(methods, "anymole", {})
            assert err.value.field == "options.method" and "cannot run" in str(err.value)


def test_typed_option_errors_name_the_field():
    steps = OptionSpec("denoise_steps", "anymole.denoiseSteps", "int", "Denoising steps", "30", 1, 200)
    prompt = OptionSpec("prompt", "anymole.prompt", "string", "", '"a walking character"')
    par = OptionSpec("parallel_adaptation", "anymole.parallelAdaptation", "bool", "", "false")
    methods = {"anymole": MethodSpec("anymole", options=(steps, prompt, par))}
    doc = job_options(methods, "anymole", {"anymole.denoiseSteps": "12", "prompt": "a dog", "anymole.parallelAdaptation": "yes"}, seed=7)
    assert doc == {"method": "anymole", "seed": "7", "anymole": {"denoiseSteps": 12, "prompt": "a dog", "parallelAdaptation": True}}
    assert job_options(methods, "anymole", {"anymole.denoiseSteps": ""}) == {"method": "anymole"}  # empty: server default
    assert steps.default_text() == "30" and prompt.default_text() == "a walking character"
    for text, words in (("abc", "must be an integer in [1, 200]"), ("2.5", "must be an integer"), ("500", "500 is out of range in [1, 200]")):
        with pytest.raises(UserError) as err:
            job_options(methods, "anymole", {"anymole.denoiseSteps": text})
        assert err.value.field == "options.anymole.denoiseSteps" and words in str(err.value)
    with pytest.raises(UserError) as err:
        job_options(methods, "anymole", {"anymole.nope": "1"})
    assert err.value.field == "options.anymole.nope" and "anymole.denoiseSteps" in str(err.value)
    with pytest.raises(UserError):
        job_options(methods, "anymole", {"anymole.parallelAdaptation": "maybe"})
