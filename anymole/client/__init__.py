"""``anymole.client``: talk to an AnyMoLe Bridge server (``anymole serve``) over gRPC.

- :class:`Client` (blocking, ``grpc``) and :class:`AsyncClient` (``grpc.aio``): server info
  with a protocol-version check, jobs (submit, watch with reattach, cancel, get, list), the
  one-call ``transition``, bearer token and TLS options, explicit message-size limits.
- :func:`build_transition_input` / :func:`input_from_problem`: a request from a
  :class:`~anymole.skeleton.Skeleton`, :class:`~anymole.motion.Motion` context, keyframes and
  a :class:`~anymole.geometry.frames.Convention`; :func:`motion_from_result`: the result back as a
  :class:`~anymole.motion.Motion`.
- :func:`remote_executor`: ``run_transition``'s signature, executed on a server.

With ``anymole.v1`` (the generated code) this package is the only part of ``anymole`` that
imports gRPC; nothing else in the library imports it.
"""

from anymole.client._common import JobFailedError, to_domain_error
from anymole.client.aio import AsyncClient
from anymole.client.compat import (
    PROTOCOL_VERSION,
    IncompatibleServerError,
    ProtocolVersionWarning,
    check_protocol_version,
    check_server_info,
)
from anymole.client.sync import Client
from anymole.client.wire import (
    build_transition_input,
    convention_to_proto,
    default_translated_joints,
    input_from_problem,
    motion_from_result,
    motion_to_proto,
    pack_tensor,
    skeleton_to_proto,
    unpack_tensor,
)

__all__ = [
    "PROTOCOL_VERSION",
    "AsyncClient",
    "Client",
    "IncompatibleServerError",
    "JobFailedError",
    "ProtocolVersionWarning",
    "build_transition_input",
    "check_protocol_version",
    "check_server_info",
    "convention_to_proto",
    "default_translated_joints",
    "input_from_problem",
    "motion_from_result",
    "motion_to_proto",
    "pack_tensor",
    "skeleton_to_proto",
    "to_domain_error",
    "unpack_tensor",
]
