// The published types: test/usage.ts must type-check (tsc, test/tsconfig.json) against dist/*.d.ts,
// the DOM's WebSocket and the evmatch package's .d.ts.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

test("test/usage.ts type-checks against the published .d.ts", { timeout: 120_000 }, () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  let output = "";
  try {
    output = execFileSync(process.execPath, [tsc, "-p", join(here, "tsconfig.json")], { encoding: "utf8", timeout: 110_000 });
  } catch (error) {
    assert.fail(`tsc failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  }
  assert.equal(output.trim(), "");
});
