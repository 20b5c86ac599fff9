# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""A Python client of devenv-facade.

The stubs of the facade's two services and their messages are generated
into gen/python (put it and this folder on sys.path): NotebookService (the
new notebook API, modelarts.notebook.v1) and DevEnvService (the old one,
modelarts.devenv.v1). This module adds what the generated code does not: a
channel to the facade, the metadata it reads, and its error details read
into one object::

    import grpc
    import devenv_client
    from modelarts.notebook.v1 import notebook_pb2

    stub = devenv_client.connect_notebooks("127.0.0.1:9090")
    try:
        stub.GetNotebook(notebook_pb2.GetNotebookRequest(
            project_id="0123456789abcdef0123456789abcdef",
            notebook_id="f9937afa-4451-42db-a76b-72d624749f66"), timeout=10)
    except grpc.RpcError as e:
        err = devenv_client.facade_error(e)
        print(err.code.name, err.error_code)  # NOT_FOUND ModelArts.6309

It runs on the grpcio and protobuf that gen/python is generated for
(Debian bookworm's python3-grpcio 1.51.1 and python3-protobuf 4.21.12).
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Optional, Sequence, Tuple

import grpc
from google.rpc import error_details_pb2, status_pb2

from modelarts.devenv.v1 import devenv_pb2_grpc
from modelarts.notebook.v1 import notebook_pb2_grpc

__all__ = [
    "AUTH_TOKEN_KEY",
    "REQUEST_ID_KEY",
    "STATUS_DETAILS_KEY",
    "FacadeError",
    "call_metadata",
    "channel",
    "connect",
    "connect_notebooks",
    "facade_error",
    "rpc_status",
]

#: The caller's own IAM token; ModelArts judges it instead of the facade's
#: credentials.
AUTH_TOKEN_KEY = "x-auth-token"
#: A request ID, forwarded to ModelArts and echoed in the response headers
#: and in ErrorInfo.
REQUEST_ID_KEY = "x-request-id"
#: The trailer holding the google.rpc.Status of a failed call, with its
#: details.
STATUS_DETAILS_KEY = "grpc-status-details-bin"

Metadata = Sequence[Tuple[str, str]]


def channel(target: str, credentials: Optional[grpc.ChannelCredentials] = None) -> grpc.Channel:
    """Returns a channel to the facade at target ("host:port"), on which
    the stubs of both services may run.

    Without credentials the channel is plaintext (HTTP/2 without TLS), as
    the facade serves on loopback; pass grpc.ssl_channel_credentials(...)
    for a facade serving TLS. Close it when done (or use it as a context
    manager).
    """
    if credentials is None:
        return grpc.insecure_channel(target)
    return grpc.secure_channel(target, credentials)


def connect(
    target: str, credentials: Optional[grpc.ChannelCredentials] = None
) -> devenv_pb2_grpc.DevEnvServiceStub:
    """Returns a DevEnvService stub (the old API, /demanager/instances) for
    the facade at target ("host:port"), on a channel of its own made as
    channel() makes it. The channel stays open for the process; use
    channel() and DevEnvServiceStub to close it yourself.
    """
    return devenv_pb2_grpc.DevEnvServiceStub(channel(target, credentials))


def connect_notebooks(
    target: str, credentials: Optional[grpc.ChannelCredentials] = None
) -> notebook_pb2_grpc.NotebookServiceStub:
    """Returns a NotebookService stub (the new notebook API: notebooks,
    their leases, flavors, storage mounts and images) for the facade at
    target ("host:port"), on a channel of its own made as channel() makes
    it. The channel stays open for the process; use channel() and
    NotebookServiceStub to close it yourself.

    The calls that change a notebook's state (CreateNotebook,
    StartNotebook, StopNotebook, DeleteNotebook, the mounts, CreateImage)
    return at once unless the request sets wait=True; give those a timeout
    long enough for the change (minutes on ModelArts).
    """
    return notebook_pb2_grpc.NotebookServiceStub(channel(target, credentials))


def call_metadata(
    *,
    auth_token: Optional[str] = None,
    request_id: Optional[str] = None,
    bearer_token: Optional[str] = None,
) -> Metadata:
    """Returns the metadata of a call: the caller's own IAM token
    (x-auth-token), a request ID (x-request-id), and the bearer token of
    the facade's caller authentication (authorization), each when given."""
    md = []
    if auth_token is not None:
        md.append((AUTH_TOKEN_KEY, auth_token))
    if request_id is not None:
        md.append((REQUEST_ID_KEY, request_id))
    if bearer_token is not None:
        md.append(("authorization", "Bearer " + bearer_token))
    return tuple(md)


@dataclasses.dataclass(frozen=True)
class FacadeError:
    """A failed call as the facade describes it: the gRPC status and what
    its google.rpc.ErrorInfo, BadRequest and RetryInfo details say."""

    code: grpc.StatusCode
    message: str
    #: "modelarts" for ModelArts' errors, "devenv-facade" for the facade's own.
    domain: Optional[str] = None
    #: ErrorInfo's reason, such as "INSTANCE_NOT_FOUND".
    reason: Optional[str] = None
    #: All of ErrorInfo's metadata; the fields below are read from it.
    metadata: dict = dataclasses.field(default_factory=dict)
    #: One violation per invalid field (google.rpc.BadRequest).
    field_violations: Tuple[error_details_pb2.BadRequest.FieldViolation, ...] = ()
    #: How long to wait before trying again (google.rpc.RetryInfo), in seconds.
    retry_delay: Optional[float] = None

    @property
    def error_code(self) -> Optional[str]:
        """The ModelArts code ("ModelArts.6309") or the facade's
        ("Facade.INVALID_ARGUMENT")."""
        return self.metadata.get("error_code")

    @property
    def error_message(self) -> Optional[str]:
        """ModelArts' (or the facade's) message."""
        return self.metadata.get("error_message")

    @property
    def http_status(self) -> Optional[str]:
        """The HTTP status ModelArts answered with, such as "400"."""
        return self.metadata.get("http_status")

    @property
    def request_id(self) -> Optional[str]:
        """The call's request ID: the caller's x-request-id, or one the
        facade made."""
        return self.metadata.get("request_id")

    @property
    def credentials(self) -> Optional[str]:
        """Whose credentials ModelArts judged: "caller" (x-auth-token) or
        "facade"."""
        return self.metadata.get("credentials")


def rpc_status(err: grpc.RpcError) -> Optional[status_pb2.Status]:
    """Returns the google.rpc.Status a failed call carried in its
    grpc-status-details-bin trailer, or None if it carried none (an error
    raised by the client library or a proxy rather than the facade)."""
    trailers: Iterable[Tuple[str, object]] = err.trailing_metadata() or ()
    for key, value in trailers:
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            return status_pb2.Status.FromString(value)
    return None


def facade_error(err: grpc.RpcError) -> FacadeError:
    """Reads what the facade said about a failed call."""
    info = None
    violations = []
    retry_delay = None
    status = rpc_status(err)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR) and info is None:
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.extend(bad.field_violations)
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            retry_delay = retry.retry_delay.ToTimedelta().total_seconds()
    return FacadeError(
        code=err.code(),
        message=err.details() or "",
        domain=info.domain if info is not None else None,
        reason=info.reason if info is not None else None,
        metadata=dict(info.metadata) if info is not None else {},
        field_violations=tuple(violations),
        retry_delay=retry_delay,
    )
