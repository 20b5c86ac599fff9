# Copyright 2026 The devenv-facade Authors.
# SPDX-License-Identifier: Apache-2.0

"""End to end over gRPC: the watches (NotebookService.WatchNotebooks,
DevEnvService.WatchInstances), server-streaming calls read by iterating
over what the stub returns, against the real facade and its embedded
ModelArts emulator. The facade polls the emulator every second here
(--watch-poll-interval, --watch-steady-poll-interval), so that a change
reaches the watch soon."""

from __future__ import annotations

import unittest

import grpc

import devenv_client
from devenvfacade.watch.v1 import watch_pb2
from modelarts.devenv.v1 import devenv_pb2, devenv_pb2_grpc
from modelarts.notebook.v1 import notebook_pb2, notebook_pb2_grpc
from tests.facade import SAMPLE_IMAGE, SAMPLE_PROJECT, SAMPLE_RUNNING_NOTEBOOK, Facade, unique

#: Seconds long enough for any change on the embedded emulator to be seen:
#: each watch's deadline.
WATCH_TIMEOUT = 60

facade: Facade
channel: grpc.Channel
notebooks: notebook_pb2_grpc.NotebookServiceStub
instances: devenv_pb2_grpc.DevEnvServiceStub


def setUpModule() -> None:
    global facade, channel, notebooks, instances
    facade = Facade.start(extra_args=["--watch-poll-interval", "1s", "--watch-steady-poll-interval", "1s"])
    channel = devenv_client.channel(facade.grpc_addr)
    notebooks = notebook_pb2_grpc.NotebookServiceStub(channel)
    instances = devenv_pb2_grpc.DevEnvServiceStub(channel)


def tearDownModule() -> None:
    channel.close()
    status = facade.stop()
    if status != 0:
        raise AssertionError(f"the facade exited with status {status}:\n{facade.log()}")


def describe(event: watch_pb2.EventType, status: str = "") -> str:
    """An event as the assertions read it: "ADDED RUNNING"."""
    return f"{watch_pb2.EventType.Name(event).removeprefix('EVENT_TYPE_')} {status}".strip()


class WatchNotebooksTest(unittest.TestCase):
    def test_snapshot_then_changes_then_resume(self) -> None:
        name = unique("py-watch")
        seen = []
        token = ""
        notebook_id = ""
        watch = notebooks.WatchNotebooks(
            notebook_pb2.WatchNotebooksRequest(project_id=SAMPLE_PROJECT, name=name), timeout=WATCH_TIMEOUT)
        try:
            for event in watch:
                if event.type == watch_pb2.EVENT_TYPE_BOOKMARK:
                    continue
                seen.append(describe(event.type, event.notebook.status))
                token = event.resume_token
                if event.type == watch_pb2.EVENT_TYPE_SNAPSHOT_COMPLETE:
                    # Nothing was named so when the watch started: the
                    # snapshot is empty. Now a notebook comes.
                    created = notebooks.CreateNotebook(notebook_pb2.CreateNotebookRequest(
                        project_id=SAMPLE_PROJECT, name=name, flavor="modelarts.vm.cpu.2u", image_id=SAMPLE_IMAGE,
                        volume=notebook_pb2.VolumeRequest(category="EVS", ownership="MANAGED", capacity=5)), timeout=10)
                    notebook_id = created.notebook.id
                    self.assertNotEqual(notebook_id, "")
                    continue
                self.assertEqual(event.notebook.id, notebook_id, f"an event of another notebook: {seen[-1]}")
                if event.notebook.status == "RUNNING":
                    break
        finally:
            watch.cancel()  # leaves the watch
        self.assertEqual(seen[0], "SNAPSHOT_COMPLETE", seen)
        self.assertTrue(seen[1].startswith("ADDED "), seen)
        self.assertTrue(all(e.startswith("MODIFIED ") for e in seen[2:]), seen)
        self.assertNotEqual(token, "")

        # A watch resumed from the last token sends what came after it, and
        # no snapshot: the notebook's deletion.
        notebooks.DeleteNotebook(notebook_pb2.DeleteNotebookRequest(project_id=SAMPLE_PROJECT, notebook_id=notebook_id), timeout=10)
        resumed = []
        watch = notebooks.WatchNotebooks(
            notebook_pb2.WatchNotebooksRequest(project_id=SAMPLE_PROJECT, name=name, resume_token=token), timeout=WATCH_TIMEOUT)
        try:
            for event in watch:
                if event.type == watch_pb2.EVENT_TYPE_BOOKMARK:
                    continue
                resumed.append(describe(event.type, event.notebook.status))
                if event.type == watch_pb2.EVENT_TYPE_DELETED:
                    self.assertEqual(event.notebook.id, notebook_id)
                    break
        finally:
            watch.cancel()
        self.assertEqual(resumed[-1].split()[0], "DELETED", resumed)
        self.assertTrue(all(e.startswith("MODIFIED ") for e in resumed[:-1]), resumed)

    def test_status_filter(self) -> None:
        ids = []
        watch = notebooks.WatchNotebooks(
            notebook_pb2.WatchNotebooksRequest(project_id=SAMPLE_PROJECT, status="RUNNING"), timeout=WATCH_TIMEOUT)
        try:
            for event in watch:
                if event.type == watch_pb2.EVENT_TYPE_SNAPSHOT_COMPLETE:
                    break
                self.assertEqual(event.type, watch_pb2.EVENT_TYPE_ADDED)
                self.assertEqual(event.notebook.status, "RUNNING")
                ids.append(event.notebook.id)
        finally:
            watch.cancel()
        self.assertIn(SAMPLE_RUNNING_NOTEBOOK, ids)

    def test_malformed_resume_token(self) -> None:
        watch = notebooks.WatchNotebooks(
            notebook_pb2.WatchNotebooksRequest(project_id=SAMPLE_PROJECT, resume_token="not a token"), timeout=WATCH_TIMEOUT)
        with self.assertRaises(grpc.RpcError) as raised:
            for _ in watch:
                self.fail("an event for a malformed token")
        err = devenv_client.facade_error(raised.exception)
        self.assertEqual(err.code, grpc.StatusCode.INVALID_ARGUMENT, err.message)
        self.assertEqual([v.field for v in err.field_violations], ["resume_token"])


class WatchInstancesTest(unittest.TestCase):
    def test_snapshot(self) -> None:
        added = 0
        token = ""
        watch = instances.WatchInstances(devenv_pb2.WatchInstancesRequest(project_id=SAMPLE_PROJECT), timeout=WATCH_TIMEOUT)
        try:
            for event in watch:
                if event.type == watch_pb2.EVENT_TYPE_SNAPSHOT_COMPLETE:
                    token = event.resume_token
                    break
                self.assertEqual(event.type, watch_pb2.EVENT_TYPE_ADDED)
                self.assertNotEqual(event.instance.id, "")
                added += 1
        finally:
            watch.cancel()
        self.assertGreater(added, 0, "an empty snapshot: the emulator has sample instances")
        self.assertNotEqual(token, "")


if __name__ == "__main__":
    unittest.main()
