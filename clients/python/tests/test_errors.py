# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""devenv_client.facade_error on statuses built here: every detail the
facade sends, and errors that carry none (raised by grpcio or a proxy)."""

from __future__ import annotations

import unittest

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

import devenv_client


class FakeRpcError(grpc.RpcError, grpc.Call):
    """A failed call as grpcio raises it: code, details and trailers."""

    def __init__(self, code: grpc.StatusCode, message: str, trailers=()):
        self._code, self._message, self._trailers = code, message, tuple(trailers)

    def code(self):
        return self._code

    def details(self):
        return self._message

    def trailing_metadata(self):
        return self._trailers

    def initial_metadata(self):
        return ()

    def is_active(self):
        return False

    def time_remaining(self):
        return None

    def cancel(self):
        return False

    def add_callback(self, callback):
        return False


def packed(message) -> any_pb2.Any:
    out = any_pb2.Any()
    out.Pack(message)
    return out


def failed_with(code: grpc.StatusCode, message: str, *details) -> FakeRpcError:
    status = status_pb2.Status(code=code.value[0], message=message, details=[packed(d) for d in details])
    return FakeRpcError(code, message, [("x-request-id", "r1"), (devenv_client.STATUS_DETAILS_KEY, status.SerializeToString())])


class FacadeErrorTest(unittest.TestCase):
    def test_every_detail(self) -> None:
        err = devenv_client.facade_error(
            failed_with(
                grpc.StatusCode.UNAVAILABLE,
                "The resource is initializing. (ModelArts.6355)",
                error_details_pb2.ErrorInfo(
                    domain="modelarts",
                    reason="RESOURCE_INITIALIZING",
                    metadata={"error_code": "ModelArts.6355", "http_status": "400", "request_id": "r1", "credentials": "facade"},
                ),
                error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=60, nanos=500_000_000)),
                error_details_pb2.BadRequest(
                    field_violations=[error_details_pb2.BadRequest.FieldViolation(field="name", description="too long")]
                ),
            )
        )
        self.assertEqual(err.code, grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(err.message, "The resource is initializing. (ModelArts.6355)")
        self.assertEqual((err.domain, err.reason), ("modelarts", "RESOURCE_INITIALIZING"))
        self.assertEqual(err.error_code, "ModelArts.6355")
        self.assertEqual(err.http_status, "400")
        self.assertEqual(err.request_id, "r1")
        self.assertEqual(err.credentials, "facade")
        self.assertEqual(err.retry_delay, 60.5)
        self.assertEqual([(v.field, v.description) for v in err.field_violations], [("name", "too long")])

    def test_violations_of_several_bad_requests_are_joined(self) -> None:
        violation = error_details_pb2.BadRequest.FieldViolation
        err = devenv_client.facade_error(
            failed_with(
                grpc.StatusCode.INVALID_ARGUMENT,
                "bad",
                error_details_pb2.BadRequest(field_violations=[violation(field="project_id")]),
                error_details_pb2.BadRequest(field_violations=[violation(field="instance_id")]),
            )
        )
        self.assertEqual([v.field for v in err.field_violations], ["project_id", "instance_id"])
        self.assertIsNone(err.error_code)

    def test_no_details(self) -> None:
        # grpcio's own DEADLINE_EXCEEDED, or a proxy's UNAVAILABLE: a status
        # without a grpc-status-details-bin trailer.
        err = devenv_client.facade_error(FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"))
        self.assertEqual(err.code, grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(err.message, "Deadline Exceeded")
        self.assertIsNone(err.domain)
        self.assertIsNone(err.error_code)
        self.assertEqual(err.metadata, {})
        self.assertEqual(err.field_violations, ())
        self.assertIsNone(err.retry_delay)
        self.assertIsNone(devenv_client.rpc_status(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "down", [("x-request-id", "r2")])))

    def test_call_metadata(self) -> None:
        self.assertEqual(devenv_client.call_metadata(), ())
        self.assertEqual(
            devenv_client.call_metadata(auth_token="t", request_id="r", bearer_token="b"),
            (("x-auth-token", "t"), ("x-request-id", "r"), ("authorization", "Bearer b")),
        )
