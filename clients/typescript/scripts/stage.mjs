// Copyright 2026 The devenv-facade Authors.
// SPDX-License-Identifier: Apache-2.0

// Empties dist/ (tsc writes over it but never deletes from it), then
// copies into this package what it needs from the repository: the
// generated messages (the repository's gen/ts, into gen/, where
// src/index.ts imports them from) and the LICENSE. The package then holds
// everything it uses, and `npm pack` makes a tarball that installs into
// any project. Both copies are build outputs (not in git): `make generate`
// rewrites gen/ts, and the next build copies it again.

import { copyFileSync, cpSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(pkg, "..", "..");
const from = join(repo, "gen", "ts");

if (!existsSync(join(from, "modelarts", "devenv", "v1", "devenv_pb.js"))) {
  console.error(`stage: no generated TypeScript in ${from}; build the package inside the devenv-facade repository`);
  process.exit(1);
}
// What an earlier build left in dist/ (a test since removed, say) goes.
rmSync(join(pkg, "dist"), { recursive: true, force: true });
rmSync(join(pkg, "gen"), { recursive: true, force: true });
cpSync(from, join(pkg, "gen"), { recursive: true });
copyFileSync(join(repo, "LICENSE"), join(pkg, "LICENSE"));
