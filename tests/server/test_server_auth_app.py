"""Bearer token, bind policy, TLS, health and reflection, info."""

from __future__ import annotations

import shutil
import subprocess

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from anymole.cli import main as anymole_main
from anymole.pipeline import available_methods
from anymole_server.cli_serve import add_arguments, config_from_args, run as serve_run
from anymole_server.config import ConfigError, ServerConfig, is_loopback
from anymole_server.testing import ServerThread, make_config, make_input
from anymole_server.version import PROTOCOL_VERSION, SERVER_VERSION

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def secured(tmp_path):
    with ServerThread(make_config(tmp_path, token=TOKEN)) as srv:
        yield srv


@pytest.mark.parametrize("token", [None, "wrong-token-xyz"])
def test_missing_or_wrong_token_is_unauthenticated(secured, character, token):
    with secured.client(token=token, check_version=False) as client:
        for call in (client.server_info, lambda: client.submit(make_input(character)), lambda: list(client.watch("x"))):
            with pytest.raises(grpc.RpcError) as err:
                call()
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert client.health() == health_pb2.HealthCheckResponse.SERVING  # health needs no token


def test_right_token_works(secured, character):
    with secured.client() as client:
        assert client.run(make_input(character)).method


def test_reflection_needs_the_token(secured):
    channel = grpc.insecure_channel(secured.address)
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    req = reflection_pb2.ServerReflectionRequest(list_services="")
    with pytest.raises(grpc.RpcError) as err:
        list(stub.ServerReflectionInfo(iter([req])))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    responses = list(stub.ServerReflectionInfo(iter([req]), metadata=(("authorization", f"Bearer {TOKEN}"),)))
    names = {s.name for s in responses[0].list_services_response.service}
    assert {"anymole.v1.AnymoleService", "grpc.health.v1.Health"} <= names
    channel.close()


def test_server_info(client):
    info = client.server_info()
    assert info.protocol_version == PROTOCOL_VERSION and info.server_version == SERVER_VERSION
    caps = info.capabilities
    assert list(caps.methods) == list(available_methods()) and "anymole" not in caps.methods
    assert caps.default_method in caps.methods and list(caps.video_priors) == []
    assert caps.renderer == "raster-torch" and caps.device.startswith(("cpu", "cuda"))
    assert caps.limits.max_joints == 64 and caps.limits.max_frames == 400 and caps.limits.max_queue == 16
    assert caps.limits.max_message_bytes == 64 * 1024 * 1024


def test_health_via_plain_stub(server):
    channel = grpc.insecure_channel(server.address)
    resp = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="anymole.v1.AnymoleService"))
    assert resp.status == health_pb2.HealthCheckResponse.SERVING
    channel.close()


def test_message_size_limit_is_enforced(tmp_path, character):
    from anymole_server.config import Limits

    cfg = make_config(tmp_path, limits=Limits(max_message_bytes=2048))
    with ServerThread(cfg) as srv, srv.client() as client:
        with pytest.raises(grpc.RpcError) as err:
            client.submit(make_input(character))
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def _args(*argv):
    import argparse

    p = argparse.ArgumentParser()
    add_arguments(p)
    return p.parse_args(list(argv))


def test_refuses_public_bind_without_token(tmp_path, capsys):
    assert serve_run(_args("--host", "0.0.0.0", "--port", "0", "--db", str(tmp_path / "x.db"))) == 2
    err = capsys.readouterr().err
    assert "refusing to bind '0.0.0.0'" in err and "--token-file" in err
    assert anymole_main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    with pytest.raises(ConfigError):
        ServerConfig(host="0.0.0.0").check()
    with pytest.raises(ConfigError):
        ServerConfig(host="::").check()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and not is_loopback("10.0.0.1")


def test_public_bind_config_with_token_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    with pytest.raises(ConfigError, match="without TLS"):  # the token would travel in clear text
        config_from_args(_args("--host", "0.0.0.0", "--token-file", str(token_file)))
    cfg = config_from_args(_args("--host", "0.0.0.0", "--token-file", str(token_file), "--insecure-token-over-plaintext", "--max-message-mb", "8", "--workers", "3"))
    assert cfg.token == TOKEN and cfg.limits.max_message_bytes == 8 * 1024 * 1024 and cfg.limits.workers == 3
    assert TOKEN not in repr(cfg) and cfg.tenants == {TOKEN: "default"}
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError):
        config_from_args(_args("--token-file", str(tmp_path / "empty")))


def test_listening_address_logged_but_never_the_token(tmp_path, caplog, character):
    caplog.set_level("INFO", logger="anymole_server")
    with ServerThread(make_config(tmp_path, token=TOKEN)) as srv, srv.client() as client:
        client.run(make_input(character))
        with srv.client(token="bad-token-000", check_version=False) as bad, pytest.raises(grpc.RpcError):
            bad.server_info()
    text = caplog.text
    assert f"listening on 127.0.0.1:{srv.port}" in text
    assert TOKEN not in text and "bad-token-000" not in text


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_tls_with_self_signed_certificate(tmp_path, character):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    cfg = make_config(tmp_path, token=TOKEN, tls_cert=cert.read_bytes(), tls_key=key.read_bytes())
    with ServerThread(cfg) as srv:
        with srv.client(root_certificates=cert) as client:
            assert client.run(make_input(character)).method
        with srv.client(timeout_s=5) as plaintext, pytest.raises(grpc.RpcError) as err:  # plaintext to a TLS port
            plaintext.server_info()
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
