// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// End to end over gRPC (HTTP/2): the TypeScript client against the real
// facade and its embedded ModelArts emulator.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { fromBinary } from "@bufbuild/protobuf";
import {
  Code,
  createDevEnvClient,
  ErrorInfoSchema,
  facadeError,
  StatusSchema,
  type DevEnvClient,
  type FacadeError,
} from "../index.js";
import { sampleInstance, sampleProject, startFacade, unique, type Facade } from "../harness/facade.js";

let facade: Facade;
let client: DevEnvClient;

before(async () => {
  facade = await startFacade();
  client = createDevEnvClient({ baseUrl: facade.grpcUrl });
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

describe("calls that succeed", () => {
  it("GetInstance returns the sample instance", async () => {
    const { instance } = await client.getInstance({ projectId: sampleProject, instanceId: sampleInstance });
    assert.ok(instance);
    assert.equal(instance.id, sampleInstance);
    assert.equal(instance.name, "notebook-d115");
    assert.equal(instance.status, "RUNNING");
    assert.equal(instance.flavor, "modelarts.kat1.xlarge");
  });

  it("ListInstances pages through the sample project", async () => {
    const first = await client.listInstances({ projectId: sampleProject, status: "STOPPED", pageSize: 2 });
    assert.equal(first.instances.length, 2);
    assert.ok(first.totalCount !== undefined && first.totalCount >= 3, `total_count ${first.totalCount}`);
    assert.notEqual(first.nextPageToken, "");
    const second = await client.listInstances({
      projectId: sampleProject,
      status: "STOPPED",
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    const ids = [...first.instances, ...second.instances].map((i) => i.id);
    assert.equal(new Set(ids).size, ids.length, `an instance came twice: ${ids}`);
    for (const i of [...first.instances, ...second.instances]) assert.equal(i.status, "STOPPED");

    const all = await client.listInstances({ projectId: sampleProject });
    assert.ok(all.instances.some((i) => i.id === sampleInstance && i.name === "notebook-d115"));
  });

  it("CreateInstance answers CREATING, and GetInstance then finds the instance", async () => {
    const name = unique("ts-e2e");
    const created = await client.createInstance({
      projectId: sampleProject,
      name,
      profileId: "Multi-Engine 1.0 (python3)-cpu",
      flavor: "modelarts.vm.cpu.2u",
      spec: {
        storage: { type: "obs", location: { path: "/my-bucket/ts-e2e/" } },
        autoStop: { enable: true, duration: 3600 },
      },
    });
    const id = created.instance?.id;
    assert.ok(id, "no instance ID");
    assert.equal(created.instance?.status, "CREATING");

    const { instance } = await client.getInstance({ projectId: sampleProject, instanceId: id });
    assert.equal(instance?.name, name);
    assert.equal(instance?.flavor, "modelarts.vm.cpu.2u");
    assert.equal(instance?.spec?.storage?.location?.path, "/my-bucket/ts-e2e/");
    assert.ok(["CREATING", "RUNNING"].includes(instance?.status ?? ""), `status ${instance?.status}`);
  });
});

describe("errors", () => {
  it("NOT_FOUND carries ModelArts.6309 and HTTP 400 in ErrorInfo", async () => {
    const err = await failure(client.getInstance({ projectId: sampleProject, instanceId: "ts-no-such-instance" }));
    assert.equal(err.code, Code.NotFound);
    assert.equal(err.codeName, "NOT_FOUND");
    assert.equal(err.domain, "modelarts");
    assert.equal(err.reason, "INSTANCE_NOT_FOUND");
    assert.equal(err.errorCode, "ModelArts.6309");
    assert.equal(err.httpStatus, "400");
    assert.equal(err.errorMessage, "The instance does not exist.");
  });

  it("grpc-status-details-bin decodes with the generated google.rpc.Status", async () => {
    const err = await failure(client.getInstance({ projectId: sampleProject, instanceId: "ts-no-such-instance" }));
    const raw = err.cause.metadata.get("grpc-status-details-bin");
    assert.ok(raw, "no grpc-status-details-bin trailer");
    const status = fromBinary(StatusSchema, Buffer.from(raw, "base64"));
    assert.equal(status.code, Code.NotFound);
    const any = status.details.find((d) => d.typeUrl === "type.googleapis.com/google.rpc.ErrorInfo");
    assert.ok(any, `details: ${status.details.map((d) => d.typeUrl)}`);
    const info = anyUnpack(any, ErrorInfoSchema);
    assert.equal(info?.metadata["error_code"], "ModelArts.6309");
  });

  it("INVALID_ARGUMENT names each bad field in BadRequest, and ModelArts is not called", async () => {
    const err = await failure(client.getInstance({ projectId: "not-a-project", instanceId: "../admin" }));
    assert.equal(err.code, Code.InvalidArgument);
    assert.equal(err.domain, "devenv-facade");
    assert.equal(err.errorCode, "Facade.INVALID_ARGUMENT");
    assert.equal(err.httpStatus, undefined, "ModelArts answered a request it should never have seen");
    assert.deepEqual(err.fieldViolations.map((v) => v.field).sort(), ["instance_id", "project_id"]);
    for (const v of err.fieldViolations) assert.notEqual(v.description, "", `${v.field} has no description`);
  });

  it("DEADLINE_EXCEEDED when the deadline passes before a slow instance answers", async () => {
    // The emulator answers for instance "fault-lat5s" after 5 seconds: an
    // answer before it can only be the deadline's.
    const err = await failure(
      client.getInstance({ projectId: sampleProject, instanceId: "fault-lat5s" }, { timeoutMs: 300 }),
    );
    assert.equal(err.code, Code.DeadlineExceeded, `${err.codeName}: ${err.message}`);
  });

  it("DEADLINE_EXCEEDED also when the facade's reset arrives before the client's own timer", async () => {
    // At the deadline the facade resets the stream (RST_STREAM CANCEL).
    // Holding the event loop past it lets that reset be read before the
    // client's timer fires, which a plain connect client reports as
    // CANCELED.
    const call = failure(
      client.getInstance({ projectId: sampleProject, instanceId: "fault-lat5s-x1" }, { timeoutMs: 300 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const until = performance.now() + 600;
    while (performance.now() < until) {
      // busy: no timer fires, the socket is read afterwards
    }
    const err = await call;
    assert.equal(err.code, Code.DeadlineExceeded, `${err.codeName}: ${err.message}`);
  });
});

describe("metadata", () => {
  it("echoes x-request-id in the response headers", async () => {
    const requestId = unique("ts-request");
    let echoed: string | null = null;
    await client.getInstance(
      { projectId: sampleProject, instanceId: sampleInstance },
      { headers: { "x-request-id": requestId }, onHeader: (h) => (echoed = h.get("x-request-id")) },
    );
    assert.equal(echoed, requestId);
  });

  it("puts x-request-id into ErrorInfo's request_id", async () => {
    const requestId = unique("ts-request");
    const err = await failure(
      client.getInstance(
        { projectId: sampleProject, instanceId: "ts-no-such-instance" },
        { headers: { "x-request-id": requestId } },
      ),
    );
    assert.equal(err.requestId, requestId);
  });

  it("makes up a request ID when the caller sends none", async () => {
    let echoed: string | null = null;
    await client.getInstance(
      { projectId: sampleProject, instanceId: sampleInstance },
      { onHeader: (h) => (echoed = h.get("x-request-id")) },
    );
    assert.match(echoed ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("passes the caller's x-auth-token through to ModelArts", async () => {
    // ErrorInfo says whose credentials ModelArts judged.
    const asCaller = createDevEnvClient({ baseUrl: facade.grpcUrl, authToken: "caller-iam-token-ts" });
    const withToken = await failure(asCaller.getInstance({ projectId: sampleProject, instanceId: "ts-no-such-instance" }));
    assert.equal(withToken.errorCode, "ModelArts.6309");
    assert.equal(withToken.credentials, "caller");

    const withoutToken = await failure(client.getInstance({ projectId: sampleProject, instanceId: "ts-no-such-instance" }));
    assert.equal(withoutToken.credentials, "facade");
  });

  it("refuses a malformed x-auth-token before calling ModelArts", async () => {
    const asCaller = createDevEnvClient({ baseUrl: facade.grpcUrl, authToken: "token with spaces" });
    const err = await failure(asCaller.getInstance({ projectId: sampleProject, instanceId: sampleInstance }));
    assert.equal(err.code, Code.InvalidArgument);
    assert.deepEqual(err.fieldViolations.map((v) => v.field), ["x-auth-token"]);
  });
});
