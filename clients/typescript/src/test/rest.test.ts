// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// The REST mirror for clients without gRPC: the OpenAPI document in gen/ is
// valid Swagger 2.0, and plain fetch calls built from it alone (path,
// method, parameters, security header) get the answers it describes, in
// ModelArts' own shape.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv, type ValidateFunction } from "ajv";
import { repoRoot, sampleInstance, sampleProject, startFacade, unique, type Facade } from "../harness/facade.js";

const documentPath = join(repoRoot, "gen/openapiv2/modelarts/devenv/v1/devenv.swagger.json");

/** The parts of a Swagger 2.0 document these tests read. */
interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "body";
  required?: boolean;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { schema?: object }>;
  security?: Record<string, string[]>[];
}
interface SwaggerDocument {
  swagger: string;
  schemes: string[];
  produces: string[];
  paths: Record<string, Record<string, Operation>>;
  securityDefinitions: Record<string, { type: string; in: string; name: string }>;
}

/** Reads the committed document afresh: the parser changes what it is given. */
function loadDocument(): SwaggerDocument {
  return JSON.parse(readFileSync(documentPath, "utf8")) as SwaggerDocument;
}

let facade: Facade;
let api: SwaggerDocument; // dereferenced: schemas inline

before(async () => {
  facade = await startFacade();
  api = (await SwaggerParser.dereference(loadDocument() as never)) as unknown as SwaggerDocument;
});

after(async () => {
  assert.equal(await facade.stop(), 0, `the facade did not stop cleanly:\n${facade.log()}`);
});

/** The path, method and definition of an operation of the document. */
function operation(operationId: string): { path: string; method: string; op: Operation } {
  for (const [path, methods] of Object.entries(api.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op.operationId === operationId) return { path, method: method.toUpperCase(), op };
    }
  }
  throw new Error(`the document has no operation ${operationId}`);
}

/**
 * A request for an operation as the document describes it: each path
 * parameter it declares filled in, query parameters only if it declares
 * them, and the header of its security scheme.
 */
function request(
  operationId: string,
  params: Record<string, string>,
  authToken?: string,
): { url: string; init: RequestInit; op: Operation } {
  const { path, method, op } = operation(operationId);
  const declared = new Map((op.parameters ?? []).map((p) => [p.name, p]));
  let filled = path;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    const p = declared.get(name);
    assert.ok(p, `${operationId} declares no parameter ${name}`);
    if (p.in === "path") filled = filled.replace(`{${name}}`, encodeURIComponent(value));
    else if (p.in === "query") query.set(name, value);
    else assert.fail(`parameter ${name} is in ${p.in}`);
  }
  for (const p of declared.values()) {
    if (p.in === "path" || p.required) assert.ok(p.name in params, `${operationId} requires ${p.name}`);
  }
  const headers: Record<string, string> = { Accept: api.produces[0]! };
  const scheme = Object.keys(op.security?.[0] ?? {})[0];
  if (authToken !== undefined) {
    assert.ok(scheme, `${operationId} declares no security scheme`);
    const def = api.securityDefinitions[scheme];
    assert.equal(def?.in, "header");
    headers[def.name] = authToken;
  }
  assert.ok(api.schemes.includes("http"));
  const qs = query.size > 0 ? `?${query}` : "";
  return { url: `${facade.restUrl}${filled}${qs}`, init: { method, headers }, op };
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<object, ValidateFunction>();

/**
 * A copy of a schema of the document in which Swagger 2.0's `x-nullable`
 * (members ModelArts sends as null, such as spec.repository) is the
 * `nullable` Ajv knows.
 */
function withNullable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withNullable);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "x-nullable") out["nullable"] = v;
    else out[k] = withNullable(v);
  }
  if (out["nullable"] === true && out["type"] === undefined) out["type"] = "object";
  return out;
}

/** Checks a body against the schema the document gives for that status. */
function assertMatchesDocument(op: Operation, status: number, body: unknown): void {
  const schema = (op.responses[String(status)] ?? op.responses["default"])?.schema;
  assert.ok(schema, `${op.operationId} documents no answer for ${status}`);
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(withNullable(schema) as object)));
  assert.ok(validate(body), `${op.operationId} ${status} answer does not match the document: ${ajv.errorsText(validate.errors)}`);
}

describe("the OpenAPI document", () => {
  it("is valid Swagger 2.0", async () => {
    await SwaggerParser.validate(loadDocument() as never);
  });

  it("is checked by the validator: a broken copy is refused", async () => {
    const broken = loadDocument();
    // Drop GetInstance's instance_id parameter: its path template then
    // names a parameter the operation does not declare.
    const get = broken.paths["/v1/{project_id}/demanager/instances/{instance_id}"]!["get"]!;
    get.parameters = get.parameters!.filter((p) => p.name !== "instance_id");
    await assert.rejects(SwaggerParser.validate(broken as never), /instance_id/);
  });

  it("documents the operations of the mirror", () => {
    const ids = Object.values(api.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    assert.deepEqual(ids.sort(), [
      "DevEnvService_ActOnInstance",
      "DevEnvService_CreateInstance",
      "DevEnvService_DeleteInstance",
      "DevEnvService_GetInstance",
      "DevEnvService_ListInstances",
      "DevEnvService_UpdateInstance",
    ]);
  });
});

describe("the mirror, called as the document says", () => {
  it("GetInstance: 200 and the instance in the vendor's JSON", async () => {
    const requestId = unique("ts-rest");
    const { url, init, op } = request("DevEnvService_GetInstance", { project_id: sampleProject, instance_id: sampleInstance }, "caller-iam-token-ts");
    const res = await fetch(url, { ...init, headers: { ...init.headers, "X-Request-Id": requestId } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal(res.headers.get("x-request-id"), requestId);
    const body = (await res.json()) as Record<string, unknown> & { spec: { auto_stop: Record<string, unknown> } };
    assertMatchesDocument(op, res.status, body);
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
    const { url, init, op } = request("DevEnvService_GetInstance", { project_id: sampleProject, instance_id: "ts-no-such-instance" });
    const res = await fetch(url, init);
    assert.equal(res.status, 400);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.ok(res.headers.get("x-request-id"), "no X-Request-Id");
    const body: unknown = await res.json();
    assertMatchesDocument(op, res.status, body);
    assert.deepEqual(body, { error_code: "ModelArts.6309", error_message: "The instance does not exist." });
  });

  it("GetInstance with a malformed ID: 400 and Facade.INVALID_ARGUMENT", async () => {
    const { url, init, op } = request("DevEnvService_GetInstance", { project_id: sampleProject, instance_id: "bad id!" });
    const res = await fetch(url, init);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error_code: string; error_message: string };
    assertMatchesDocument(op, res.status, body);
    assert.equal(body.error_code, "Facade.INVALID_ARGUMENT");
    assert.match(body.error_message, /instance_id/);
  });

  it("ListInstances with the vendor's paging: 200 and total_count", async () => {
    const { url, init, op } = request("DevEnvService_ListInstances", {
      project_id: sampleProject,
      de_type: "Notebook",
      sortby: "name",
      offset: "0",
      limit: "2",
    });
    const res = await fetch(url, init);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { total_count: number; instances: { name: string }[] };
    assertMatchesDocument(op, res.status, body);
    assert.equal(body.instances.length, 2);
    assert.ok(body.total_count >= 6, `total_count ${body.total_count}`);
    const names = body.instances.map((i) => i.name);
    assert.deepEqual(names, [...names].sort());
  });
});
