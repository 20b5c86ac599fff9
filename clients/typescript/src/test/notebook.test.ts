// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// End to end over gRPC (HTTP/2): NotebookService, the new notebook API,
// through the TypeScript client against the real facade and its embedded
// ModelArts emulator (whose notebooks take a few seconds to create, stop
// and delete).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { toJson } from "@bufbuild/protobuf";
import {
  Code,
  createNotebookClient,
  facadeError,
  NotebookSchema,
  type FacadeError,
  type NotebookClient,
} from "../index.js";
import {
  sampleImage,
  sampleProject,
  sampleRunningNotebook,
  sampleStoppedNotebook,
  startFacade,
  unique,
  type Facade,
} from "../harness/facade.js";

let facade: Facade;
let client: NotebookClient;

/** Long enough for any wait on the embedded emulator (seconds each). */
const waitTimeoutMs = 60_000;

before(async () => {
  facade = await startFacade();
  client = createNotebookClient({ baseUrl: facade.grpcUrl });
});

after(async () => {
  assert.equal(await facade.stop(), 0, `the facade did not stop cleanly:\n${facade.log()}`);
});

/** Runs a call that must fail and returns what the facade said. */
async function failure(call: Promise<unknown>): Promise<FacadeError> {
  try {
    await call;
  } catch (e) {
    return facadeError(e);
  }
  assert.fail("the call succeeded");
}

describe("a notebook's life", () => {
  it("create and wait, get, renew the lease, stop and wait, delete and wait; then it is not found", async () => {
    const name = unique("ts-nb");
    const created = await client.createNotebook(
      {
        projectId: sampleProject,
        name,
        description: "TypeScript client end-to-end test",
        flavor: "modelarts.vm.cpu.2u",
        imageId: sampleImage,
        volume: { category: "EVS", ownership: "MANAGED", capacity: 5 },
        lease: { duration: 3_600_000n, type: "timing" },
        wait: true,
      },
      { timeoutMs: waitTimeoutMs },
    );
    const id = created.notebook?.id;
    assert.ok(id, "no notebook ID");
    assert.equal(created.notebook?.status, "RUNNING", `after the wait: ${created.notebook?.status}`);
    assert.equal(created.notebook?.name, name);

    const { notebook } = await client.getNotebook({ projectId: sampleProject, notebookId: id });
    assert.ok(notebook);
    assert.equal(notebook.id, id);
    assert.equal(notebook.status, "RUNNING");
    assert.equal(notebook.flavor, "modelarts.vm.cpu.2u");
    assert.equal(notebook.image?.id, sampleImage);
    assert.equal(notebook.volume?.category?.toUpperCase(), "EVS");
    assert.equal(notebook.lease?.enable, true);
    // The lease's duration counts from its create_at, which arming it
    // again (as the notebook starts running) does not move.
    assert.ok((notebook.lease?.duration ?? 0n) >= 3_600_000n, `lease duration ${notebook.lease?.duration}`);
    // The notebook's token (it opens its JupyterLab) is never passed on.
    assert.doesNotMatch(JSON.stringify(toJson(NotebookSchema, notebook)), /token/i);

    // Renewing resets the deadline to now + the duration: it does not add
    // to what was left.
    const sentAt = BigInt(Date.now());
    const renewed = await client.renewLease({
      projectId: sampleProject,
      notebookId: id,
      lease: { duration: 7_200_000n, type: "timing" },
    });
    const answeredAt = BigInt(Date.now());
    assert.equal(renewed.lease?.enable, true);
    const createAt = renewed.lease?.createAt;
    const duration = renewed.lease?.duration;
    assert.ok(createAt !== undefined && duration !== undefined, "the renewed lease has no create_at or duration");
    assert.equal(renewed.stopAt, createAt + duration, "stop_at is not create_at + duration");
    // The emulator's clock and this process's may differ by a few
    // milliseconds in where they round; a second either side is plenty.
    assert.ok(
      renewed.stopAt! >= sentAt + 7_200_000n - 1000n && renewed.stopAt! <= answeredAt + 7_200_000n + 1000n,
      `stop_at ${renewed.stopAt} is not now + 2h (${sentAt + 7_200_000n})`,
    );
    const lease = await client.getLease({ projectId: sampleProject, notebookId: id });
    assert.equal(lease.lease?.duration, duration);
    assert.equal(lease.stopAt, renewed.stopAt);

    const stopped = await client.stopNotebook({ projectId: sampleProject, notebookId: id, wait: true }, { timeoutMs: waitTimeoutMs });
    assert.equal(stopped.notebook?.status, "STOPPED");

    await client.deleteNotebook({ projectId: sampleProject, notebookId: id, wait: true }, { timeoutMs: waitTimeoutMs });
    const gone = await failure(client.getNotebook({ projectId: sampleProject, notebookId: id }));
    assert.equal(gone.code, Code.NotFound, `${gone.codeName}: ${gone.message}`);
    assert.equal(gone.errorCode, "ModelArts.6309");
    assert.equal(gone.httpStatus, "400");
  });
});

describe("reads", () => {
  it("GetNotebook returns the sample notebook", async () => {
    const { notebook } = await client.getNotebook({ projectId: sampleProject, notebookId: sampleRunningNotebook });
    assert.equal(notebook?.id, sampleRunningNotebook);
    assert.equal(notebook?.name, "notebooks_test");
    assert.equal(notebook?.status, "RUNNING");
    assert.equal(typeof notebook?.createAt, "bigint");
  });

  it("ListNotebooks pages with page_size and page_token", async () => {
    const first = await client.listNotebooks({ projectId: sampleProject, pageSize: 2 });
    assert.equal(first.data.length, 2);
    assert.ok(first.total !== undefined && first.total >= 3n, `total ${first.total}`);
    assert.notEqual(first.nextPageToken, "");
    const second = await client.listNotebooks({ projectId: sampleProject, pageSize: 2, pageToken: first.nextPageToken });
    const ids = [...first.data, ...second.data].map((n) => n.id);
    assert.equal(new Set(ids).size, ids.length, `a notebook came twice: ${ids}`);
  });
});

describe("errors", () => {
  it("NOT_FOUND carries ModelArts.6309 and HTTP 400 in ErrorInfo", async () => {
    const err = await failure(client.getNotebook({ projectId: sampleProject, notebookId: "ts-no-such-notebook" }));
    assert.equal(err.code, Code.NotFound);
    assert.equal(err.codeName, "NOT_FOUND");
    assert.equal(err.domain, "modelarts");
    assert.equal(err.errorCode, "ModelArts.6309");
    assert.equal(err.httpStatus, "400");
    assert.ok(err.errorMessage, "no error_message");
  });

  it("a state conflict carries its ModelArts code: stopping a stopped notebook", async () => {
    const err = await failure(client.stopNotebook({ projectId: sampleProject, notebookId: sampleStoppedNotebook }));
    assert.equal(err.code, Code.Aborted, `${err.codeName}: ${err.message}`);
    assert.equal(err.domain, "modelarts");
    assert.equal(err.errorCode, "ModelArts.6357");
    assert.equal(err.httpStatus, "400");
  });

  it("INVALID_ARGUMENT names each bad field, and ModelArts is not called", async () => {
    const err = await failure(client.getNotebook({ projectId: "not-a-project", notebookId: "../admin" }));
    assert.equal(err.code, Code.InvalidArgument);
    assert.equal(err.errorCode, "Facade.INVALID_ARGUMENT");
    assert.equal(err.httpStatus, undefined, "ModelArts answered a request it should never have seen");
    assert.deepEqual(err.fieldViolations.map((v) => v.field).sort(), ["notebook_id", "project_id"]);
  });
});
