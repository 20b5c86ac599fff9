# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""End to end over gRPC: the generated Python stub, on Debian's grpcio and
protobuf, against the real facade and its embedded ModelArts emulator."""

from __future__ import annotations

import re
import unittest

import grpc
from google.rpc import error_details_pb2

import devenv_client
from modelarts.devenv.v1 import devenv_pb2, devenv_pb2_grpc
from tests.facade import SAMPLE_INSTANCE, SAMPLE_PROJECT, Facade, unique

MISSING_INSTANCE = "py-no-such-instance"

facade: Facade
channel: grpc.Channel
stub: devenv_pb2_grpc.DevEnvServiceStub


def setUpModule() -> None:
    global facade, channel, stub
    facade = Facade.start()
    channel = grpc.insecure_channel(facade.grpc_addr)
    stub = devenv_pb2_grpc.DevEnvServiceStub(channel)


def tearDownModule() -> None:
    channel.close()
    status = facade.stop()
    if status != 0:
        raise AssertionError(f"the facade exited with status {status}:\n{facade.log()}")


def get(instance_id: str, **kwargs) -> devenv_pb2.GetInstanceResponse:
    request = devenv_pb2.GetInstanceRequest(project_id=SAMPLE_PROJECT, instance_id=instance_id)
    return stub.GetInstance(request, timeout=kwargs.pop("timeout", 10), **kwargs)


class FacadeTestCase(unittest.TestCase):
    def failure(self, call, *args, **kwargs) -> devenv_client.FacadeError:
        """Runs a call that must fail and returns what the facade said."""
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        return devenv_client.facade_error(raised.exception)


class SuccessTest(FacadeTestCase):
    def test_get_instance(self) -> None:
        instance = get(SAMPLE_INSTANCE).instance
        self.assertEqual(instance.id, SAMPLE_INSTANCE)
        self.assertEqual(instance.name, "notebook-d115")
        self.assertEqual(instance.status, "RUNNING")
        self.assertEqual(instance.flavor, "modelarts.kat1.xlarge")
        # Fields with presence: sent by ModelArts, so set.
        self.assertTrue(instance.spec.auto_stop.HasField("stop_timestamp"))

    def test_list_instances_pages(self) -> None:
        request = devenv_pb2.ListInstancesRequest(project_id=SAMPLE_PROJECT, status="STOPPED", page_size=2)
        first = stub.ListInstances(request, timeout=10)
        self.assertEqual(len(first.instances), 2)
        self.assertGreaterEqual(first.total_count, 3)
        self.assertNotEqual(first.next_page_token, "")
        request.page_token = first.next_page_token
        second = stub.ListInstances(request, timeout=10)
        ids = [i.id for i in list(first.instances) + list(second.instances)]
        self.assertEqual(len(ids), len(set(ids)), f"an instance came twice: {ids}")
        self.assertTrue(all(i.status == "STOPPED" for i in list(first.instances) + list(second.instances)))

        everything = stub.ListInstances(devenv_pb2.ListInstancesRequest(project_id=SAMPLE_PROJECT), timeout=10)
        self.assertIn(SAMPLE_INSTANCE, [i.id for i in everything.instances])

    def test_create_then_get(self) -> None:
        name = unique("py-e2e")
        created = stub.CreateInstance(
            devenv_pb2.CreateInstanceRequest(
                project_id=SAMPLE_PROJECT,
                name=name,
                profile_id="Multi-Engine 1.0 (python3)-cpu",
                flavor="modelarts.vm.cpu.2u",
                spec=devenv_pb2.CreateInstanceSpec(
                    storage=devenv_pb2.Storage(type="obs", location=devenv_pb2.StorageLocation(path="/my-bucket/py-e2e/")),
                    auto_stop=devenv_pb2.AutoStop(enable=True, duration=3600),
                ),
            ),
            timeout=10,
        )
        self.assertEqual(created.instance.status, "CREATING")
        self.assertNotEqual(created.instance.id, "")

        instance = get(created.instance.id).instance
        self.assertEqual(instance.name, name)
        self.assertEqual(instance.flavor, "modelarts.vm.cpu.2u")
        self.assertEqual(instance.spec.storage.location.path, "/my-bucket/py-e2e/")
        self.assertIn(instance.status, ("CREATING", "RUNNING"))


class ErrorTest(FacadeTestCase):
    def test_not_found_carries_the_modelarts_code(self) -> None:
        err = self.failure(get, MISSING_INSTANCE)
        self.assertEqual(err.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(err.domain, "modelarts")
        self.assertEqual(err.reason, "INSTANCE_NOT_FOUND")
        self.assertEqual(err.error_code, "ModelArts.6309")
        self.assertEqual(err.http_status, "400")
        self.assertEqual(err.error_message, "The instance does not exist.")

    def test_status_details_decode_into_error_info(self) -> None:
        # What facade_error does, step by step: the trailer is a
        # google.rpc.Status whose details are Any-packed messages.
        with self.assertRaises(grpc.RpcError) as raised:
            get(MISSING_INSTANCE)
        details = dict(raised.exception.trailing_metadata())[devenv_client.STATUS_DETAILS_KEY]
        status = devenv_client.rpc_status(raised.exception)
        self.assertIsInstance(details, bytes)
        self.assertIsNotNone(status)
        self.assertEqual(status.code, grpc.StatusCode.NOT_FOUND.value[0])
        self.assertEqual([d.type_url for d in status.details], ["type.googleapis.com/google.rpc.ErrorInfo"])
        info = error_details_pb2.ErrorInfo()
        self.assertTrue(status.details[0].Unpack(info))
        self.assertEqual(info.metadata["error_code"], "ModelArts.6309")

    def test_invalid_argument_names_each_bad_field(self) -> None:
        request = devenv_pb2.GetInstanceRequest(project_id="not-a-project", instance_id="../admin")
        err = self.failure(stub.GetInstance, request, timeout=10)
        self.assertEqual(err.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(err.domain, "devenv-facade")
        self.assertEqual(err.error_code, "Facade.INVALID_ARGUMENT")
        self.assertIsNone(err.http_status, "ModelArts answered a request it should never have seen")
        self.assertEqual(sorted(v.field for v in err.field_violations), ["instance_id", "project_id"])
        for violation in err.field_violations:
            self.assertNotEqual(violation.description, "", f"{violation.field} has no description")

    def test_deadline_exceeded_against_a_slow_instance(self) -> None:
        # The emulator answers for instance "fault-lat5s" after 5 seconds: an
        # answer before it can only be the deadline's.
        err = self.failure(get, "fault-lat5s", timeout=0.3)
        self.assertEqual(err.code, grpc.StatusCode.DEADLINE_EXCEEDED, err.message)


class MetadataTest(FacadeTestCase):
    def test_request_id_echoed_in_response_headers(self) -> None:
        request_id = unique("py-request")
        request = devenv_pb2.GetInstanceRequest(project_id=SAMPLE_PROJECT, instance_id=SAMPLE_INSTANCE)
        _, call = stub.GetInstance.with_call(
            request, timeout=10, metadata=devenv_client.call_metadata(request_id=request_id)
        )
        self.assertIn((devenv_client.REQUEST_ID_KEY, request_id), call.initial_metadata())

    def test_request_id_in_error_info(self) -> None:
        request_id = unique("py-request")
        err = self.failure(get, MISSING_INSTANCE, metadata=devenv_client.call_metadata(request_id=request_id))
        self.assertEqual(err.request_id, request_id)

    def test_request_id_made_when_absent(self) -> None:
        request = devenv_pb2.GetInstanceRequest(project_id=SAMPLE_PROJECT, instance_id=SAMPLE_INSTANCE)
        _, call = stub.GetInstance.with_call(request, timeout=10)
        made = dict(call.initial_metadata()).get(devenv_client.REQUEST_ID_KEY, "")
        self.assertRegex(made, re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"))

    def test_auth_token_passed_through(self) -> None:
        # ErrorInfo says whose credentials ModelArts judged.
        err = self.failure(get, MISSING_INSTANCE, metadata=devenv_client.call_metadata(auth_token="caller-iam-token-py"))
        self.assertEqual(err.error_code, "ModelArts.6309")
        self.assertEqual(err.credentials, "caller")
        self.assertEqual(self.failure(get, MISSING_INSTANCE).credentials, "facade")

    def test_malformed_auth_token_refused(self) -> None:
        err = self.failure(get, SAMPLE_INSTANCE, metadata=devenv_client.call_metadata(auth_token="token with spaces"))
        self.assertEqual(err.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual([v.field for v in err.field_violations], ["x-auth-token"])

