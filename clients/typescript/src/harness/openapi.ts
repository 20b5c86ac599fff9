// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// An OpenAPI (Swagger 2.0) document of the mirror, as a client without
// gRPC would use it: requests built from the document alone (path, method,
// parameters, security header), and answers checked against the schemas it
// gives.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv, type ValidateFunction } from "ajv";
import { repoRoot } from "./facade.js";

/** The parts of a Swagger 2.0 document these tests read. */
export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "body";
  required?: boolean;
}
export interface Operation {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { schema?: object }>;
  security?: Record<string, string[]>[];
}
export interface SwaggerDocument {
  swagger: string;
  schemes: string[];
  produces: string[];
  paths: Record<string, Record<string, Operation>>;
  securityDefinitions: Record<string, { type: string; in: string; name: string }>;
}

/** The documents gen/openapiv2 holds of the mirror, by service. */
export const documents = {
  devenv: "gen/openapiv2/modelarts/devenv/v1/devenv.swagger.json",
  notebook: "gen/openapiv2/modelarts/notebook/v1/notebook.swagger.json",
} as const;

/** Reads a committed document afresh (path relative to the repository): the parser changes what it is given. */
export function loadDocument(path: string): SwaggerDocument {
  return JSON.parse(readFileSync(join(repoRoot, path), "utf8")) as SwaggerDocument;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

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

/** A dereferenced document (schemas inline) and the mirror it describes. */
export class OpenAPIDocument {
  private readonly validators = new Map<object, ValidateFunction>();

  private constructor(
    /** The document, dereferenced. */
    readonly api: SwaggerDocument,
    private readonly baseUrl: string,
  ) {}

  /** Loads and dereferences the document at path, for the mirror at baseUrl. */
  static async load(path: string, baseUrl: string): Promise<OpenAPIDocument> {
    const api = (await SwaggerParser.dereference(loadDocument(path) as never)) as unknown as SwaggerDocument;
    return new OpenAPIDocument(api, baseUrl);
  }

  /** The operations' IDs, sorted. */
  operationIds(): string[] {
    return Object.values(this.api.paths)
      .flatMap((methods) => Object.values(methods).map((op) => op.operationId))
      .sort();
  }

  /** The path, method and definition of an operation of the document. */
  operation(operationId: string): { path: string; method: string; op: Operation } {
    for (const [path, methods] of Object.entries(this.api.paths)) {
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
  request(
    operationId: string,
    params: Record<string, string>,
    authToken?: string,
  ): { url: string; init: RequestInit; op: Operation } {
    const { path, method, op } = this.operation(operationId);
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
    const headers: Record<string, string> = { Accept: this.api.produces[0]! };
    const scheme = Object.keys(op.security?.[0] ?? {})[0];
    if (authToken !== undefined) {
      assert.ok(scheme, `${operationId} declares no security scheme`);
      const def = this.api.securityDefinitions[scheme];
      assert.equal(def?.in, "header");
      headers[def.name] = authToken;
    }
    assert.ok(this.api.schemes.includes("http"));
    const qs = query.size > 0 ? `?${query}` : "";
    return { url: `${this.baseUrl}${filled}${qs}`, init: { method, headers }, op };
  }

  /** Checks a body against the schema the document gives for that status. */
  assertMatches(op: Operation, status: number, body: unknown): void {
    const schema = (op.responses[String(status)] ?? op.responses["default"])?.schema;
    assert.ok(schema, `${op.operationId} documents no answer for ${status}`);
    let validate = this.validators.get(schema);
    if (!validate) this.validators.set(schema, (validate = ajv.compile(withNullable(schema) as object)));
    assert.ok(validate(body), `${op.operationId} ${status} answer does not match the document: ${ajv.errorsText(validate.errors)}`);
  }
}
