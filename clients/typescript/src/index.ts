// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

/**
 * A client of devenv-facade for Node: the stubs of its two services over
 * gRPC (HTTP/2), NotebookService (the new notebook API, /notebooks) and
 * DevEnvService (the old one, /demanager/instances), built on the messages
 * generated into gen/ts, and the facade's error details
 * (google.rpc.ErrorInfo, BadRequest, RetryInfo) read into one plain object.
 *
 * ```ts
 * const notebooks = createNotebookClient({ baseUrl: "http://127.0.0.1:9090" });
 * try {
 *   const { notebook } = await notebooks.getNotebook({ projectId, notebookId });
 * } catch (e) {
 *   const err = facadeError(e);
 *   console.log(err.codeName, err.errorCode); // NOT_FOUND ModelArts.6309
 * }
 * ```
 *
 * The watches are server-streaming calls, read with `for await`; each
 * event carries a resume token to watch again from (see docs/watch.md):
 *
 * ```ts
 * for await (const ev of notebooks.watchNotebooks({ projectId, status: "RUNNING" })) {
 *   console.log(EventType[ev.type], ev.notebook?.name, ev.resumeToken);
 * }
 * ```
 */

import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DevEnvService } from "../gen/modelarts/devenv/v1/devenv_pb.js";
import { NotebookService } from "../gen/modelarts/notebook/v1/notebook_pb.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
  type BadRequest_FieldViolation,
  type ErrorInfo,
} from "../gen/google/rpc/error_details_pb.js";

export { Code, ConnectError } from "@connectrpc/connect";
export * from "../gen/modelarts/devenv/v1/devenv_pb.js";
export * from "../gen/modelarts/notebook/v1/notebook_pb.js";
export * from "../gen/modelarts/notebook/v1/resources_pb.js";
// The watches' event types (WatchNotebooks, WatchInstances): EventType.ADDED, ...
export * from "../gen/devenvfacade/watch/v1/watch_pb.js";
// Both services' files declare ErrorBody, the REST mirror's error body: the
// old API's ({error_code, error_message}) keeps its name, the new API's
// ({error_code, error_msg}) is NotebookErrorBody.
export { ErrorBodySchema, type ErrorBody } from "../gen/modelarts/devenv/v1/devenv_pb.js";
export {
  ErrorBodySchema as NotebookErrorBodySchema,
  type ErrorBody as NotebookErrorBody,
} from "../gen/modelarts/notebook/v1/notebook_pb.js";
export {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
  type BadRequest,
  type BadRequest_FieldViolation,
  type ErrorInfo,
  type RetryInfo,
} from "../gen/google/rpc/error_details_pb.js";
export { StatusSchema, type Status } from "../gen/google/rpc/status_pb.js";

/** The metadata keys the facade reads and writes. */
export const metadataKeys = {
  /** The caller's own IAM token; ModelArts judges it instead of the facade's credentials. */
  authToken: "x-auth-token",
  /** A request ID, forwarded to ModelArts and echoed in the response headers and in ErrorInfo. */
  requestId: "x-request-id",
} as const;

/** How to reach the facade, and as whom (for either service). */
export interface FacadeClientOptions {
  /**
   * The facade's gRPC listener as a URL: "http://127.0.0.1:9090" for
   * plaintext HTTP/2, "https://facade.example:9090" for TLS.
   */
  baseUrl: string;
  /**
   * The caller's own IAM token, sent as x-auth-token on every call. The
   * facade forwards it to ModelArts, which then judges the caller's
   * credentials rather than the facade's (ErrorInfo says which:
   * metadata "credentials" is "caller" or "facade").
   */
  authToken?: string;
  /**
   * The bearer token of the facade's caller authentication, sent as
   * "authorization: Bearer ..."; the facade checks it and never forwards it.
   */
  bearerToken?: string;
  /** Further interceptors, run after the ones that set the tokens. */
  interceptors?: Interceptor[];
}

/** How to reach the facade, and as whom: the options of createDevEnvClient. */
export type DevEnvClientOptions = FacadeClientOptions;

/** A DevEnvService client (the old API): one async method per RPC. */
export type DevEnvClient = Client<typeof DevEnvService>;

/** A NotebookService client (the new notebook API): one async method per RPC. */
export type NotebookClient = Client<typeof NotebookService>;

/**
 * Returns a DevEnvService client (the old API, /demanager/instances)
 * speaking gRPC over HTTP/2 to the facade. Per-call options go in each
 * method's second argument: `timeoutMs` (the deadline, sent as
 * grpc-timeout; the facade passes it on to ModelArts), `headers`
 * (x-request-id, say) and `onHeader`.
 */
export function createDevEnvClient(options: FacadeClientOptions): DevEnvClient {
  return createClient(DevEnvService, createFacadeTransport(options));
}

/**
 * Returns a NotebookService client (the new notebook API: notebooks, their
 * leases, flavors, storage mounts and images) speaking gRPC over HTTP/2 to
 * the facade, with the same per-call options as createDevEnvClient. The
 * calls that change a notebook's state (createNotebook, startNotebook,
 * stopNotebook, deleteNotebook, the mounts, createImage) return at once
 * unless the request sets `wait: true`; then give them a deadline
 * (`timeoutMs`) long enough for the change, minutes on ModelArts.
 */
export function createNotebookClient(options: FacadeClientOptions): NotebookClient {
  return createClient(NotebookService, createFacadeTransport(options));
}

/**
 * Returns the gRPC transport both clients use: HTTP/2 to the facade, with
 * the tokens of options set on every call and DEADLINE_EXCEEDED reported
 * as grpc-go reports it. One transport may serve clients of both services
 * (`createClient(NotebookService, transport)`), sharing its connection.
 */
export function createFacadeTransport(options: FacadeClientOptions): Transport {
  const setHeaders: Interceptor = (next) => (req) => {
    if (options.authToken !== undefined && !req.header.has(metadataKeys.authToken)) {
      req.header.set(metadataKeys.authToken, options.authToken);
    }
    if (options.bearerToken !== undefined && !req.header.has("authorization")) {
      req.header.set("authorization", `Bearer ${options.bearerToken}`);
    }
    return next(req);
  };
  return createGrpcTransport({
    baseUrl: options.baseUrl,
    interceptors: [deadlineExceeded, setHeaders, ...(options.interceptors ?? [])],
  });
}

/**
 * Reports a call that ended by its deadline as DEADLINE_EXCEEDED. A gRPC
 * server whose deadline for a call expires resets the stream with CANCEL
 * (grpc-go, which the facade uses, does), and connect-node reports a reset
 * that arrives before its own timer fires as CANCELED. gRPC's HTTP/2
 * mapping leaves it to the client to tell the two apart; grpc-go's client
 * turns a CANCEL after its deadline into DEADLINE_EXCEEDED, and so does this.
 */
const deadlineExceeded: Interceptor = (next) => async (req) => {
  const timeoutMs = parseGrpcTimeout(req.header.get("grpc-timeout"));
  const started = performance.now();
  try {
    return await next(req);
  } catch (e) {
    const err = ConnectError.from(e);
    if (err.code === Code.Canceled && timeoutMs !== undefined && performance.now() - started >= timeoutMs) {
      throw new ConnectError(`the call's deadline passed (${err.rawMessage})`, Code.DeadlineExceeded, err.metadata, undefined, err);
    }
    throw e;
  }
};

const grpcTimeoutUnitsMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** Returns a grpc-timeout header's value ("300m") in milliseconds. */
function parseGrpcTimeout(value: string | null): number | undefined {
  const m = value === null ? null : /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * grpcTimeoutUnitsMs[m[2]!]! : undefined;
}

/**
 * A failed call as the facade describes it: the gRPC status and what its
 * google.rpc.ErrorInfo, BadRequest and RetryInfo details say.
 */
export interface FacadeError {
  /** The gRPC status code. */
  code: Code;
  /** The code's canonical name, such as "NOT_FOUND". */
  codeName: string;
  /** The status message. */
  message: string;
  /** ErrorInfo's domain: "modelarts" for ModelArts' errors, "devenv-facade" for the facade's own. */
  domain?: string;
  /** ErrorInfo's reason, such as "INSTANCE_NOT_FOUND". */
  reason?: string;
  /** The ModelArts error code ("ModelArts.6309") or the facade's ("Facade.INVALID_ARGUMENT"). */
  errorCode?: string;
  /** ModelArts' (or the facade's) message. */
  errorMessage?: string;
  /** The HTTP status ModelArts answered with, such as "400". */
  httpStatus?: string;
  /** The call's request ID: the caller's x-request-id, or one the facade made. */
  requestId?: string;
  /** Whose credentials ModelArts judged: "caller" (x-auth-token) or "facade". */
  credentials?: string;
  /** All of ErrorInfo's metadata. */
  metadata: Record<string, string>;
  /** One violation per invalid field (google.rpc.BadRequest). */
  fieldViolations: BadRequest_FieldViolation[];
  /** How long to wait before trying again (google.rpc.RetryInfo), in milliseconds. */
  retryDelayMs?: number;
  /** The error as connect raised it. */
  cause: ConnectError;
}

/**
 * Reads what the facade said about a failed call. Any thrown value is
 * accepted; one that is not a ConnectError becomes UNKNOWN (or INTERNAL),
 * without details.
 */
export function facadeError(err: unknown): FacadeError {
  const cause = ConnectError.from(err);
  const info: ErrorInfo | undefined = cause.findDetails(ErrorInfoSchema)[0];
  const metadata = { ...(info?.metadata ?? {}) };
  const retry = cause.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return {
    code: cause.code,
    codeName: codeName(cause.code),
    message: cause.rawMessage,
    domain: info?.domain,
    reason: info?.reason,
    errorCode: metadata["error_code"],
    errorMessage: metadata["error_message"],
    httpStatus: metadata["http_status"],
    requestId: metadata["request_id"],
    credentials: metadata["credentials"],
    metadata,
    fieldViolations: cause.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations),
    retryDelayMs: retry === undefined ? undefined : Number(retry.seconds) * 1000 + Math.round(retry.nanos / 1e6),
    cause,
  };
}

/** Returns gRPC's name of a code: Code.NotFound is "NOT_FOUND". */
export function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}
