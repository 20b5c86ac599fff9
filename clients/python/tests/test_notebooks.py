# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""End to end over gRPC: NotebookService, the new notebook API, through the
generated Python stub on Debian's grpcio and protobuf, against the real
facade and its embedded ModelArts emulator (whose notebooks take a few
seconds to create, stop and delete)."""

from __future__ import annotations

import time
import unittest

import grpc
from google.protobuf import json_format

import devenv_client
from modelarts.notebook.v1 import notebook_pb2, notebook_pb2_grpc
from tests.facade import (
    SAMPLE_IMAGE,
    SAMPLE_PROJECT,
    SAMPLE_RUNNING_NOTEBOOK,
    SAMPLE_STOPPED_NOTEBOOK,
    Facade,
    unique,
)

#: Seconds long enough for any wait on the embedded emulator.
WAIT_TIMEOUT = 60

facade: Facade
channel: grpc.Channel
stub: notebook_pb2_grpc.NotebookServiceStub


def setUpModule() -> None:
    global facade, channel, stub
    facade = Facade.start()
    channel = devenv_client.channel(facade.grpc_addr)
    stub = notebook_pb2_grpc.NotebookServiceStub(channel)


def tearDownModule() -> None:
    channel.close()
    status = facade.stop()
    if status != 0:
        raise AssertionError(f"the facade exited with status {status}:\n{facade.log()}")


def get(notebook_id: str, **kwargs) -> notebook_pb2.GetNotebookResponse:
    request = notebook_pb2.GetNotebookRequest(project_id=SAMPLE_PROJECT, notebook_id=notebook_id)
    return stub.GetNotebook(request, timeout=kwargs.pop("timeout", 10), **kwargs)


class NotebookTestCase(unittest.TestCase):
    def failure(self, call, *args, **kwargs) -> devenv_client.FacadeError:
        """Runs a call that must fail and returns what the facade said."""
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        return devenv_client.facade_error(raised.exception)


class LifecycleTest(NotebookTestCase):
    def test_create_wait_get_renew_stop_delete(self) -> None:
        name = unique("py-nb")
        created = stub.CreateNotebook(
            notebook_pb2.CreateNotebookRequest(
                project_id=SAMPLE_PROJECT,
                name=name,
                description="Python client end-to-end test",
                flavor="modelarts.vm.cpu.2u",
                image_id=SAMPLE_IMAGE,
                volume=notebook_pb2.VolumeRequest(category="EVS", ownership="MANAGED", capacity=5),
                lease=notebook_pb2.LeaseRequest(duration=3_600_000, type="timing"),
                wait=True,
            ),
            timeout=WAIT_TIMEOUT,
        )
        notebook_id = created.notebook.id
        self.assertNotEqual(notebook_id, "")
        self.assertEqual(created.notebook.status, "RUNNING")
        self.assertEqual(created.notebook.name, name)

        notebook = get(notebook_id).notebook
        self.assertEqual(notebook.id, notebook_id)
        self.assertEqual(notebook.status, "RUNNING")
        self.assertEqual(notebook.flavor, "modelarts.vm.cpu.2u")
        self.assertEqual(notebook.image.id, SAMPLE_IMAGE)
        self.assertEqual(notebook.volume.category.upper(), "EVS")
        self.assertTrue(notebook.lease.enable)
        # The lease's duration counts from its create_at, which arming it
        # again (as the notebook starts running) does not move.
        self.assertGreaterEqual(notebook.lease.duration, 3_600_000)
        # The notebook's token (it opens its JupyterLab) is never passed on.
        self.assertNotIn("token", json_format.MessageToJson(notebook).lower())

        # Renewing resets the deadline to now + the duration: it does not
        # add to what was left.
        sent_at = int(time.time() * 1000)
        renewed = stub.RenewLease(
            notebook_pb2.RenewLeaseRequest(
                project_id=SAMPLE_PROJECT,
                notebook_id=notebook_id,
                lease=notebook_pb2.LeaseRequest(duration=7_200_000, type="timing"),
            ),
            timeout=10,
        )
        answered_at = int(time.time() * 1000)
        self.assertTrue(renewed.lease.enable)
        self.assertTrue(renewed.lease.HasField("create_at"))
        self.assertTrue(renewed.HasField("stop_at"))
        self.assertEqual(renewed.stop_at, renewed.lease.create_at + renewed.lease.duration)
        # A second either side for the two clocks' rounding.
        self.assertGreaterEqual(renewed.stop_at, sent_at + 7_200_000 - 1000)
        self.assertLessEqual(renewed.stop_at, answered_at + 7_200_000 + 1000)
        lease = stub.GetLease(notebook_pb2.GetLeaseRequest(project_id=SAMPLE_PROJECT, notebook_id=notebook_id), timeout=10)
        self.assertEqual(lease.lease.duration, renewed.lease.duration)
        self.assertEqual(lease.stop_at, renewed.stop_at)

        stopped = stub.StopNotebook(
            notebook_pb2.StopNotebookRequest(project_id=SAMPLE_PROJECT, notebook_id=notebook_id, wait=True),
            timeout=WAIT_TIMEOUT,
        )
        self.assertEqual(stopped.notebook.status, "STOPPED")

        stub.DeleteNotebook(
            notebook_pb2.DeleteNotebookRequest(project_id=SAMPLE_PROJECT, notebook_id=notebook_id, wait=True),
            timeout=WAIT_TIMEOUT,
        )
        err = self.failure(get, notebook_id)
        self.assertEqual(err.code, grpc.StatusCode.NOT_FOUND, err.message)
        self.assertEqual(err.error_code, "ModelArts.6309")
        self.assertEqual(err.http_status, "400")


class ReadTest(NotebookTestCase):
    def test_get_notebook(self) -> None:
        notebook = get(SAMPLE_RUNNING_NOTEBOOK).notebook
        self.assertEqual(notebook.id, SAMPLE_RUNNING_NOTEBOOK)
        self.assertEqual(notebook.name, "notebooks_test")
        self.assertEqual(notebook.status, "RUNNING")
        self.assertTrue(notebook.HasField("create_at"))

    def test_list_notebooks_pages(self) -> None:
        request = notebook_pb2.ListNotebooksRequest(project_id=SAMPLE_PROJECT, page_size=2)
        first = stub.ListNotebooks(request, timeout=10)
        self.assertEqual(len(first.data), 2)
        self.assertGreaterEqual(first.total, 3)
        self.assertNotEqual(first.next_page_token, "")
        request.page_token = first.next_page_token
        second = stub.ListNotebooks(request, timeout=10)
        ids = [n.id for n in list(first.data) + list(second.data)]
        self.assertEqual(len(ids), len(set(ids)), f"a notebook came twice: {ids}")


class ErrorTest(NotebookTestCase):
    def test_not_found_carries_the_modelarts_code(self) -> None:
        err = self.failure(get, "py-no-such-notebook")
        self.assertEqual(err.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(err.domain, "modelarts")
        self.assertEqual(err.error_code, "ModelArts.6309")
        self.assertEqual(err.http_status, "400")
        self.assertTrue(err.error_message)

    def test_state_conflict_carries_the_modelarts_code(self) -> None:
        # Stopping a stopped notebook.
        request = notebook_pb2.StopNotebookRequest(project_id=SAMPLE_PROJECT, notebook_id=SAMPLE_STOPPED_NOTEBOOK)
        err = self.failure(stub.StopNotebook, request, timeout=10)
        self.assertEqual(err.code, grpc.StatusCode.ABORTED, err.message)
        self.assertEqual(err.domain, "modelarts")
        self.assertEqual(err.error_code, "ModelArts.6357")
        self.assertEqual(err.http_status, "400")

    def test_invalid_argument_names_each_bad_field(self) -> None:
        request = notebook_pb2.GetNotebookRequest(project_id="not-a-project", notebook_id="../admin")
        err = self.failure(stub.GetNotebook, request, timeout=10)
        self.assertEqual(err.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(err.error_code, "Facade.INVALID_ARGUMENT")
        self.assertIsNone(err.http_status, "ModelArts answered a request it should never have seen")
        self.assertEqual(sorted(v.field for v in err.field_violations), ["notebook_id", "project_id"])
