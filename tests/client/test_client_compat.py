"""Protocol-version compatibility, unit-tested with fake server-info responses."""

from __future__ import annotations

import warnings

import pytest

from anymole_client import PROTOCOL_VERSION, Client, IncompatibleServerError, ProtocolVersionWarning, check_protocol_version
from anymole_client.v1 import service_pb2
from anymole_server.version import PROTOCOL_VERSION as SERVER_PROTOCOL_VERSION


def info(version: str) -> service_pb2.GetServerInfoResponse:
    return service_pb2.GetServerInfoResponse(protocol_version=version, server_version="9.9.9")


def test_client_and_server_speak_the_same_protocol():
    assert PROTOCOL_VERSION == SERVER_PROTOCOL_VERSION


def test_same_version_and_patch_difference_are_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_protocol_version(info(PROTOCOL_VERSION).protocol_version)
        check_protocol_version("1.0.7", "1.0.0")


def test_major_mismatch_is_refused():
    with pytest.raises(IncompatibleServerError, match="major versions differ"):
        check_protocol_version(info("2.0.0").protocol_version)
    with pytest.raises(IncompatibleServerError, match="upgrade the server"):
        check_protocol_version("0.9.0", "1.0.0")


def test_minor_mismatch_warns():
    with pytest.warns(ProtocolVersionWarning, match="minor versions differ"):
        check_protocol_version(info("1.3.0").protocol_version)
    with pytest.warns(ProtocolVersionWarning):
        check_protocol_version("1.0.0", "1.2.0")


@pytest.mark.parametrize("bad", ["", "one", "1", "v1.x"])
def test_unparseable_version_is_refused(bad):
    with pytest.raises(IncompatibleServerError):
        check_protocol_version(bad)


class _FakeStub:
    def __init__(self, version: str):
        self.version = version
        self.submitted = 0

    def GetServerInfo(self, request, metadata=None, timeout=None):
        return info(self.version)

    def SubmitJob(self, request, metadata=None, timeout=None):
        self.submitted += 1
        return service_pb2.SubmitJobResponse(job_id="j")


def _client_with(version: str) -> tuple[Client, _FakeStub]:
    client = Client("127.0.0.1:1")  # never dialled: the stub is replaced
    stub = _FakeStub(version)
    client._stub = stub
    return client, stub


def test_client_refuses_a_major_mismatch_before_any_call():
    client, stub = _client_with("2.1.0")
    with pytest.raises(IncompatibleServerError):
        client.submit(service_pb2.SubmitJobRequest().input)
    assert stub.submitted == 0
    client.close()


def test_client_warns_once_on_a_minor_mismatch():
    client, stub = _client_with("1.5.0")
    with pytest.warns(ProtocolVersionWarning):
        client.submit(service_pb2.SubmitJobRequest().input)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.submit(service_pb2.SubmitJobRequest().input)  # checked once, cached
    assert stub.submitted == 2
    client.close()


def test_version_check_can_be_disabled():
    client = Client("127.0.0.1:1", check_version=False)
    client._stub = _FakeStub("7.0.0")
    assert client.submit(service_pb2.SubmitJobRequest().input).job_id == "j"
    client.close()
