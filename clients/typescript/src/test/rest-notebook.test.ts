// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// The REST mirror of NotebookService (the new notebook API) for clients
// without gRPC: its OpenAPI document in gen/ is valid Swagger 2.0, and
// plain fetch calls built from it alone get the answers it describes, in
// ModelArts' own shape: the vendor's keys and JSON types, no token, and
// the new API's error body {error_code, error_msg}.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import SwaggerParser from "@apidevtools/swagger-parser";
import { sampleProject, sampleRunningNotebook, startFacade, unique, type Facade } from "../harness/facade.js";
import { documents, loadDocument, OpenAPIDocument } from "../harness/openapi.js";

let facade: Facade;
let doc: OpenAPIDocument;

before(async () => {
  facade = await startFacade();
  doc = await OpenAPIDocument.load(documents.notebook, facade.restUrl);
});

after(async () => {
  assert.equal(await facade.stop(), 0, `the facade did not stop cleanly:\n${facade.log()}`);
});

describe("the notebook API's OpenAPI document", () => {
  it("is valid Swagger 2.0", async () => {
    await SwaggerParser.validate(loadDocument(documents.notebook) as never);
  });

  it("documents the 22 operations of the new API, and the facade's watch", () => {
    const ids = doc.operationIds();
    assert.equal(ids.length, 23, `${ids}`);
    for (const id of [
      "NotebookService_CreateNotebook",
      "NotebookService_GetNotebook",
      "NotebookService_ListAllNotebooks",
      "NotebookService_RenewLease",
      "NotebookService_WatchNotebooks",
    ]) {
      assert.ok(ids.includes(id), `no ${id} in ${ids}`);
    }
  });
});

describe("the notebook mirror, called as the document says", () => {
  it("GetNotebook: 200 and the notebook in the vendor's JSON, without its token", async () => {
    const requestId = unique("ts-rest");
    const { url, init, op } = doc.request(
      "NotebookService_GetNotebook",
      { project_id: sampleProject, notebook_id: sampleRunningNotebook },
      "caller-iam-token-ts",
    );
    const res = await fetch(url, { ...init, headers: { ...init.headers, "X-Request-Id": requestId } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(res.headers.get("x-request-id"), requestId);
    const body = (await res.json()) as Record<string, unknown> & { lease: Record<string, unknown> };
    doc.assertMatches(op, res.status, body);
    assert.equal(body["id"], sampleRunningNotebook);
    assert.equal(body["status"], "RUNNING");
    // The vendor's JSON types: timestamps and durations are numbers of
    // milliseconds.
    assert.equal(typeof body["create_at"], "number");
    assert.equal(typeof body.lease["duration"], "number");
    assert.equal(typeof body.lease["create_at"], "number");
    assert.equal(body["token"], undefined, "the notebook's token was passed on");
  });

  it("GetNotebook of a missing notebook: 400 and the new API's error body", async () => {
    const { url, init, op } = doc.request("NotebookService_GetNotebook", { project_id: sampleProject, notebook_id: "ts-no-such-notebook" });
    const res = await fetch(url, init);
    assert.equal(res.status, 400);
    const body = (await res.json()) as Record<string, unknown>;
    doc.assertMatches(op, res.status, body);
    assert.equal(body["error_code"], "ModelArts.6309");
    assert.equal(typeof body["error_msg"], "string");
    assert.equal(body["error_message"], undefined, "the old API's error_message on a notebook route");
  });

  it("ListNotebooks with the vendor's offset and limit: the vendor's envelope", async () => {
    const { url, init, op } = doc.request("NotebookService_ListNotebooks", { project_id: sampleProject, offset: "1", limit: "2" });
    const res = await fetch(url, init);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { current: number; data: Record<string, unknown>[]; pages: number; size: number; total: number };
    doc.assertMatches(op, res.status, body);
    assert.equal(body.data.length, 2);
    assert.equal(body.size, 2);
    assert.ok(body.total >= 3, `total ${body.total}`);
    assert.equal(typeof body.current, "number");
    assert.equal(typeof body.pages, "number");
    for (const nb of body.data) assert.equal(nb["token"], undefined, "a notebook's token was passed on");
  });
});
