// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// The REST mirror for clients without gRPC: the OpenAPI documents in gen/
// are valid Swagger 2.0, and plain fetch calls built from them alone (path,
// method, parameters, security header) get the answers they describe, in
// ModelArts' own shape: DevEnvService's (the old API) here,
// NotebookService's in rest-notebook.test.ts.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import { sampleInstance, sampleProject, startFacade, unique, type Facade } from "../harness/facade.js";
import { documents, loadDocument, OpenAPIDocument } from "../harness/openapi.js";

let facade: Facade;
let doc: OpenAPIDocument;

before(async () => {
  facade = await startFacade();
  doc = await OpenAPIDocument.load(documents.devenv, facade.restUrl);
});

after(async () => {
  assert.equal(await facade.stop(), 0, `the facade did not stop cleanly:\n${facade.log()}`);
});

describe("the OpenAPI document", () => {
  it("is valid Swagger 2.0", async () => {
    await SwaggerParser.validate(loadDocument(documents.devenv) as never);
  });

  it("is checked by the validator: a broken copy is refused", async () => {
    const broken = loadDocument(documents.devenv);
    // Drop GetInstance's instance_id parameter: its path template then
    // names a parameter the operation does not declare.
    const get = broken.paths["/v1/{project_id}/demanager/instances/{instance_id}"]!["get"]!;
    get.parameters = get.parameters!.filter((p) => p.name !== "instance_id");
    await assert.rejects(SwaggerParser.validate(broken as never), /instance_id/);
  });

  it("documents the operations of the mirror", () => {
    assert.deepEqual(doc.operationIds(), [
      "DevEnvService_ActOnInstance",
      "DevEnvService_CreateInstance",
      "DevEnvService_DeleteInstance",
      "DevEnvService_GetInstance",
      "DevEnvService_ListInstances",
      "DevEnvService_UpdateInstance",
      "DevEnvService_WatchInstances",
    ]);
  });
});

describe("the mirror, called as the document says", () => {
  it("GetInstance: 200 and the instance in the vendor's JSON", async () => {
    const requestId = unique("ts-rest");
    const { url, init, op } = doc.request("DevEnvService_GetInstance", { project_id: sampleProject, instance_id: sampleInstance }, "caller-iam-token-ts");
    const res = await fetch(url, { ...init, headers: { ...init.headers, "X-Request-Id": requestId } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(res.headers.get("x-request-id"), requestId);
    const body = (await res.json()) as Record<string, unknown> & { spec: { auto_stop: Record<string, unknown> } };
    doc.assertMatches(op, res.status, body);
    assert.equal(body["id"], sampleInstance);
    assert.equal(body["name"], "notebook-d115");
    assert.equal(body["status"], "RUNNING");
    // The vendor's field names and JSON types: snake_case, a timestamp
    // string, the auto-stop time a number.
    assert.equal(typeof body["creation_timestamp"], "string");
    assert.equal(typeof body.spec.auto_stop["stop_timestamp"], "number");
    assert.equal(body.spec.auto_stop["enable"], true);
  });

  it("GetInstance of a missing instance: 400 and ModelArts' error body", async () => {
    const { url, init, op } = doc.request("DevEnvService_GetInstance", { project_id: sampleProject, instance_id: "ts-no-such-instance" });
    const res = await fetch(url, init);
    assert.equal(res.status, 400);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.ok(res.headers.get("x-request-id"), "no X-Request-Id");
    const body: unknown = await res.json();
    doc.assertMatches(op, res.status, body);
    assert.deepEqual(body, { error_code: "ModelArts.6309", error_message: "The instance does not exist." });
  });

  it("GetInstance with a malformed ID: 400 and Facade.INVALID_ARGUMENT", async () => {
    const { url, init, op } = doc.request("DevEnvService_GetInstance", { project_id: sampleProject, instance_id: "bad id!" });
    const res = await fetch(url, init);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error_code: string; error_message: string };
    doc.assertMatches(op, res.status, body);
    assert.equal(body.error_code, "Facade.INVALID_ARGUMENT");
    assert.match(body.error_message, /instance_id/);
  });

  it("ListInstances with the vendor's paging: 200 and total_count", async () => {
    const { url, init, op } = doc.request("DevEnvService_ListInstances", {
      project_id: sampleProject,
      de_type: "Notebook",
      sortby: "name",
      offset: "0",
      limit: "2",
    });
    const res = await fetch(url, init);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { total_count: number; instances: { name: string }[] };
    doc.assertMatches(op, res.status, body);
    assert.equal(body.instances.length, 2);
    assert.ok(body.total_count >= 6, `total_count ${body.total_count}`);
    const names = body.instances.map((i) => i.name);
    assert.deepEqual(names, [...names].sort());
  });
});
