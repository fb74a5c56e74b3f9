"""Tenants over real loopback gRPC: each token sees and cancels only its own jobs; idempotency
keys are per tenant and never reveal another tenant's job; a key naming a failed, cancelled or
interrupted job can be retried; a token without TLS off loopback is refused."""

from __future__ import annotations

import grpc
import pytest

from anymole_client.v1 import job_pb2
from anymole_server.auth import load_tokens, match_tenant
from anymole_server.config import ConfigError, ServerConfig
from anymole_server.testing import ServerThread, make_config, make_input

TOKENS = {"alice-token-0001": "alice", "bobby-token-0002": "bob"}


@pytest.fixture
def tenant_server(tmp_path):
    with ServerThread(make_config(tmp_path, tenants=dict(TOKENS))) as srv:
        yield srv


def test_each_tenant_sees_and_cancels_only_its_own_jobs(tenant_server, character):
    with tenant_server.client(token="alice-token-0001") as alice, tenant_server.client(token="bobby-token-0002") as bob:
        a = alice.submit(make_input(character)).job_id
        alice.follow(a)
        b = bob.submit(make_input(character)).job_id
        assert [j.job_id for j in alice.list_jobs().jobs] == [a]
        assert [j.job_id for j in bob.list_jobs().jobs] == [b]
        for call in (lambda: bob.get_job(a), lambda: bob.cancel(a), lambda: list(bob.watch(a))):
            with pytest.raises(grpc.RpcError) as err:
                call()
            assert err.value.code() == grpc.StatusCode.NOT_FOUND and a in err.value.details()
        assert alice.get_job(a).state == job_pb2.JOB_STATE_SUCCEEDED


def test_idempotency_keys_are_per_tenant_and_reveal_nothing(tenant_server, character):
    with tenant_server.client(token="alice-token-0001") as alice, tenant_server.client(token="bobby-token-0002") as bob:
        a = alice.submit(make_input(character), idempotency_key="clip-1").job_id
        b = bob.submit(make_input(character, seed=5), idempotency_key="clip-1")  # same key, other tenant
        assert b.job_id != a and not b.existing
        assert alice.submit(make_input(character), idempotency_key="clip-1").job_id == a
        with pytest.raises(grpc.RpcError) as err:
            alice.submit(make_input(character, seed=9), idempotency_key="clip-1")
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and a not in err.value.details() and b.job_id not in err.value.details()


def test_a_key_naming_a_cancelled_job_can_be_retried(tenant_server, character):
    with tenant_server.client(token="alice-token-0001") as alice:
        first = alice.submit(make_input(character), idempotency_key="retry-me").job_id
        alice.cancel(first)
        try:
            alice.follow(first)
        except Exception:  # noqa: BLE001 - cancelled or already done
            pass
        state = alice.get_job(first).state
        again = alice.submit(make_input(character), idempotency_key="retry-me")
        if state == job_pb2.JOB_STATE_CANCELLED:
            assert again.job_id != first and not again.existing
        else:  # it finished before the cancel arrived: the key still names it
            assert again.job_id == first and again.existing


def test_unknown_or_missing_token_is_unauthenticated(tenant_server, character):
    with tenant_server.client(token="mallory-000000", check_version=False) as bad, pytest.raises(grpc.RpcError) as err:
        bad.submit(make_input(character))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED and "mallory" not in err.value.details()


def test_token_file_with_tenants(tmp_path):
    path = tmp_path / "tokens"
    path.write_text("# team tokens\nalice alice-token-0001\n\nbobby-token-0002\n")
    assert load_tokens(path) == {"alice-token-0001": "alice", "bobby-token-0002": "default"}
    assert match_tenant("Bearer bobby-token-0002", load_tokens(path)) == "default" and match_tenant("Bearer nope", load_tokens(path)) is None
    for bad, why in (("alice short\n", "at least 8"), ("a b c\n", "TENANT TOKEN"), ("bad/name tok-tok-tok\n", "tenant names"), ("x tokentoken\ny tokentoken\n", "twice")):
        path.write_text(bad)
        with pytest.raises(ConfigError, match=why) as err:
            load_tokens(path)
        assert "tokentoken" not in str(err.value) and "tok-tok-tok" not in str(err.value)


def test_token_over_plaintext_off_loopback_is_refused():
    with pytest.raises(ConfigError, match="without TLS"):
        ServerConfig(host="0.0.0.0", token="a-long-token-123").check()
    ServerConfig(host="0.0.0.0", token="a-long-token-123", insecure_token_over_plaintext=True).check()
    ServerConfig(host="0.0.0.0", token="a-long-token-123", tls_cert=b"c", tls_key=b"k").check()
