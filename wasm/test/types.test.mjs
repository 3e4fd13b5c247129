/**
 * `tsc --noEmit` over test/usage.ts: the generated .d.ts files describe the JS API (string | object
 * inputs, string[] results, `string | null` from validate, the web build's init functions), and the
 * package's `exports` map resolves them. TypeScript comes from wasm/package.json (`npm ci`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { linkPackage } from "../test-support/builds.mjs";

const wasmDir = fileURLToPath(new URL("../", import.meta.url));
const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));

test("usage.ts type-checks against the generated .d.ts (tsc --noEmit)", () => {
  assert.ok(existsSync(tsc), "TypeScript is not installed: run `npm ci` in wasm/");
  linkPackage();
  const run = spawnSync(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: wasmDir, encoding: "utf8" });
  assert.equal(run.status, 0, `tsc failed:\n${run.stdout}${run.stderr}`);
});
