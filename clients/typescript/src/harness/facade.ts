// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// The facade under test: bin/devenv-facade, started on free loopback ports
// with its embedded ModelArts emulator, and stopped as an operator would
// (SIGTERM).

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** The repository root: this file is clients/typescript/dist/harness/facade.js. */
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** The emulator's sample project and its running sample instance. */
export const sampleProject = "0123456789abcdef0123456789abcdef";
export const sampleInstance = "DE-7d558ef8-c73d-11ea-964c-0255ac100033";

/**
 * The emulator's sample notebooks of the new API (in the same project):
 * notebooks_test, RUNNING, and notebook-usecase, STOPPED; and the image
 * of the pages' samples, which new notebooks run.
 */
export const sampleRunningNotebook = "f9937afa-4451-42db-a76b-72d624749f66";
export const sampleStoppedNotebook = "936bea3e-d3df-435e-8b58-d817283284ae";
export const sampleImage = "e1a07296-22a8-4f05-8bc8-e936c8e54090";

export interface Facade {
  /** The gRPC listener, "http://127.0.0.1:PORT". */
  grpcUrl: string;
  /** The REST mirror, "http://127.0.0.1:PORT". */
  restUrl: string;
  /** The facade's log so far. */
  log(): string;
  /** Sends SIGTERM and resolves with the exit code once the process ended. */
  stop(): Promise<number | null>;
}

/**
 * The facade binary: $DEVENV_FACADE_BIN (make test-clients builds it once
 * for both suites), else bin/devenv-facade built here.
 */
function facadeBinary(): string {
  const fromEnv = process.env["DEVENV_FACADE_BIN"];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`DEVENV_FACADE_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  execFileSync("go", ["build", "-o", "bin/", "./cmd/devenv-facade"], { cwd: repoRoot, stdio: "inherit" });
  return join(repoRoot, "bin", "devenv-facade");
}

/** The environment without settings meant for another facade: flags decide. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("DEVENV_FACADE_") && !k.startsWith("OS_")),
  );
}

/**
 * Starts the facade and resolves once it logs its "serving" line, which
 * names the addresses it bound (port 0 picks free ones).
 */
export async function startFacade(extraArgs: string[] = []): Promise<Facade> {
  const args = [
    "--grpc-addr", "127.0.0.1:0",
    "--http-addr", "127.0.0.1:0",
    "--admin-addr", "",
    "--log-format", "text",
    ...extraArgs,
  ];
  const child: ChildProcess = spawn(facadeBinary(), args, { env: cleanEnv(), stdio: ["ignore", "ignore", "pipe"] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const serving = new Promise<{ grpc: string; rest: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the facade did not log "serving" within 30s:\n${lines.join("\n")}`)), 30_000);
    createInterface({ input: child.stderr! }).on("line", (line) => {
      lines.push(line);
      if (!/\bmsg=serving\b/.test(line)) return;
      const grpc = /\bgrpc_addr=(\S+)/.exec(line)?.[1];
      const rest = /\brest_addr=(\S+)/.exec(line)?.[1];
      clearTimeout(timer);
      if (grpc && rest) resolve({ grpc, rest });
      else reject(new Error(`no grpc_addr or rest_addr in the serving line: ${line}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the facade exited (${code}) before serving:\n${lines.join("\n")}`));
    });
  });
  let addrs: { grpc: string; rest: string };
  try {
    addrs = await serving;
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    grpcUrl: `http://${addrs.grpc}`,
    restUrl: `http://${addrs.rest}`,
    log: () => lines.join("\n"),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** A name or request ID no other test run uses. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
