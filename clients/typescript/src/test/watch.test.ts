// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// End to end over gRPC (HTTP/2): the watches (NotebookService.WatchNotebooks,
// DevEnvService.WatchInstances), server-streaming calls read with
// `for await`, against the real facade and its embedded ModelArts emulator.
// The facade polls the emulator every second here (--watch-poll-interval,
// --watch-steady-poll-interval), so that a change reaches the watch soon.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Code,
  createDevEnvClient,
  createNotebookClient,
  EventType,
  facadeError,
  type DevEnvClient,
  type NotebookClient,
  type WatchNotebooksResponse,
} from "../index.js";
import { sampleImage, sampleProject, sampleRunningNotebook, startFacade, unique, type Facade } from "../harness/facade.js";

let facade: Facade;
let notebooks: NotebookClient;
let instances: DevEnvClient;

/** Long enough for any change on the embedded emulator to be seen. */
const watchTimeoutMs = 60_000;

before(async () => {
  facade = await startFacade(["--watch-poll-interval", "1s", "--watch-steady-poll-interval", "1s"]);
  notebooks = createNotebookClient({ baseUrl: facade.grpcUrl });
  instances = createDevEnvClient({ baseUrl: facade.grpcUrl });
});

after(async () => {
  assert.equal(await facade.stop(), 0, `the facade did not stop cleanly:\n${facade.log()}`);
});

/** One event as the assertions read it: "ADDED RUNNING". */
function describeEvent(ev: WatchNotebooksResponse): string {
  return `${EventType[ev.type]} ${ev.notebook?.status ?? ""}`.trim();
}

describe("a watch of notebooks", () => {
  it("sends the snapshot and its end, then a new notebook's changes; resumed from a token, what came after it", async () => {
    const name = unique("ts-watch");
    const seen: string[] = [];
    let token = "";
    let id = "";
    // The watch ends (break) once the new notebook is RUNNING; the call's
    // deadline bounds it.
    for await (const ev of notebooks.watchNotebooks({ projectId: sampleProject, name }, { timeoutMs: watchTimeoutMs })) {
      if (ev.type === EventType.BOOKMARK) continue;
      seen.push(describeEvent(ev));
      token = ev.resumeToken;
      if (ev.type === EventType.SNAPSHOT_COMPLETE) {
        // Nothing was named so when the watch started: the snapshot is
        // empty. Now a notebook comes.
        const created = await notebooks.createNotebook({
          projectId: sampleProject,
          name,
          flavor: "modelarts.vm.cpu.2u",
          imageId: sampleImage,
          volume: { category: "EVS", ownership: "MANAGED", capacity: 5 },
        });
        id = created.notebook?.id ?? "";
        assert.ok(id, "no notebook ID");
        continue;
      }
      assert.equal(ev.notebook?.id, id, `an event of another notebook: ${describeEvent(ev)}`);
      if (ev.notebook?.status === "RUNNING") break;
    }
    assert.equal(seen[0], "SNAPSHOT_COMPLETE", `events: ${seen.join(", ")}`);
    assert.match(seen[1] ?? "", /^ADDED /, `events: ${seen.join(", ")}`);
    assert.ok(seen.slice(2).every((e) => e.startsWith("MODIFIED ")), `events: ${seen.join(", ")}`);
    assert.notEqual(token, "");

    // A watch resumed from the last token sends what came after it, and no
    // snapshot: the notebook's deletion.
    await notebooks.deleteNotebook({ projectId: sampleProject, notebookId: id });
    const after: string[] = [];
    for await (const ev of notebooks.watchNotebooks({ projectId: sampleProject, name, resumeToken: token }, { timeoutMs: watchTimeoutMs })) {
      if (ev.type === EventType.BOOKMARK) continue;
      after.push(describeEvent(ev));
      if (ev.type === EventType.DELETED) {
        assert.equal(ev.notebook?.id, id);
        break;
      }
    }
    assert.ok(
      after.slice(0, -1).every((e) => e.startsWith("MODIFIED ")),
      `resumed: ${after.join(", ")}; want MODIFIED events (DELETING) then DELETED`,
    );
  });

  it("filters by status: the running sample is in the snapshot, the stopped one is not", async () => {
    const ids: string[] = [];
    for await (const ev of notebooks.watchNotebooks({ projectId: sampleProject, status: "RUNNING" }, { timeoutMs: watchTimeoutMs })) {
      if (ev.type === EventType.SNAPSHOT_COMPLETE) break;
      assert.equal(ev.type, EventType.ADDED);
      assert.equal(ev.notebook?.status, "RUNNING");
      ids.push(ev.notebook?.id ?? "");
    }
    assert.ok(ids.includes(sampleRunningNotebook), `snapshot: ${ids.join(", ")}`);
  });

  it("refuses a malformed resume token with INVALID_ARGUMENT on resume_token", async () => {
    try {
      for await (const _ of notebooks.watchNotebooks({ projectId: sampleProject, resumeToken: "not a token" }, { timeoutMs: watchTimeoutMs })) {
        assert.fail("an event for a malformed token");
      }
      assert.fail("the watch ended without an error");
    } catch (e) {
      const err = facadeError(e);
      assert.equal(err.code, Code.InvalidArgument, `${err.codeName}: ${err.message}`);
      assert.deepEqual(
        err.fieldViolations.map((v) => v.field),
        ["resume_token"],
      );
    }
  });
});

describe("a watch of instances", () => {
  it("sends the project's instances, then SNAPSHOT_COMPLETE", async () => {
    let added = 0;
    let completeToken = "";
    for await (const ev of instances.watchInstances({ projectId: sampleProject }, { timeoutMs: watchTimeoutMs })) {
      if (ev.type === EventType.SNAPSHOT_COMPLETE) {
        completeToken = ev.resumeToken;
        break;
      }
      assert.equal(ev.type, EventType.ADDED);
      assert.match(ev.instance?.id ?? "", /./);
      added++;
    }
    assert.ok(added > 0, "an empty snapshot: the emulator has sample instances");
    assert.notEqual(completeToken, "");
  });
});
