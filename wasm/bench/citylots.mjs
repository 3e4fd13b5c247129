// The citylots2 workload through the WebAssembly build (Node) and through the native engine, in
// the same run: events/s per rule category for both, and their ratio.
//
//   node wasm/bench/citylots.mjs [--events N] [--passes P] [--categories A,B] [--events-file FILE]
//                                [--validation full|structural] [--json OUT]
//
// Generates N citylots2 events (default 20000) with `evmatch-bench generate` into a temporary file
// (or uses --events-file), loads each category's rules from benches/rules/*.json into a WASM
// `Matcher` (Full validation unless --validation structural), runs one warm-up pass (counting matches) and P timed passes
// (default 5) of `matcher.matches(line)` over the events as JSON text, and takes the median rate.
// Then runs the native runner on the same file: `evmatch-bench citylots --events-file FILE
// --no-baselines --quiet --validation V --json OUT`, and checks both found the same number of
// matches per category. Needs wasm/pkg/ (scripts/build-wasm.sh) and cargo; scripts/bench-wasm.sh
// does both.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "20000" },
    passes: { type: "string", default: "5" },
    categories: { type: "string" },
    "events-file": { type: "string" },
    json: { type: "string" },
    validation: { type: "string", default: "full" },
  },
});
const passes = Math.max(1, Number(args.passes));
if (!["full", "structural"].includes(args.validation)) throw new Error("--validation is full or structural");

// The Node build (synchronous .wasm load), as the package's `exports` give it to Node.
const { Matcher } = await import(new URL("../pkg/node/evmatch.js", import.meta.url));

const cargo = (...cargoArgs) =>
  execFileSync("cargo", ["run", "--release", "--locked", "--quiet", "-p", "evmatch-bench", "--", ...cargoArgs], {
    cwd: repo,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 28,
  }).toString();

const work = mkdtempSync(join(tmpdir(), "evmatch-wasm-bench-"));
try {
  let eventsFile = args["events-file"];
  if (!eventsFile) {
    eventsFile = join(work, "citylots.jsonl");
    console.error(`== generating ${args.events} citylots2 events (evmatch-bench generate)`);
    cargo("generate", "--events", args.events, "--out", eventsFile);
  }
  const lines = readFileSync(eventsFile, "utf8").split("\n").filter((l) => l.trim() !== "");
  const bytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l), 0);

  const categories = cargo("categories")
    .trim()
    .split("\n")
    .map((line) => {
      const [name, path] = line.trim().split(/\s+/, 2);
      return { name, path };
    })
    .filter((c) => !args.categories || args.categories.split(",").includes(c.name));

  console.error(`== WASM (Node ${process.version}): ${lines.length} events, ${passes} timed passes per category`);
  const wasm = new Map();
  for (const { name, path } of categories) {
    const rules = Object.entries(JSON.parse(readFileSync(path, "utf8")));
    const matcher = new Matcher({ validation: args.validation });
    const t0 = process.hrtime.bigint();
    for (const [rule, pattern] of rules) matcher.addRule(rule, JSON.stringify(pattern));
    const compileSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let totalMatches = 0;
    let errors = 0;
    for (const line of lines) {
      try {
        totalMatches += matcher.matches(line).length;
      } catch {
        errors++;
      }
    }
    const rates = [];
    for (let p = 0; p < passes; p++) {
      const start = process.hrtime.bigint();
      for (const line of lines) {
        try {
          matcher.matches(line);
        } catch {}
      }
      rates.push(lines.length / (Number(process.hrtime.bigint() - start) / 1e9));
    }
    matcher.free();
    rates.sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)];
    wasm.set(name, { rules: rules.length, compileSeconds, totalMatches, errors, eventsPerSec: median, rates });
    console.error(`   ${name}: ${Math.round(median).toLocaleString("en-US")} events/s`);
  }

  console.error(`== native (evmatch-bench citylots --validation ${args.validation})`);
  const nativeJson = join(work, "native.json");
  cargo("citylots", "--events-file", eventsFile, "--no-baselines", "--quiet", "--validation", args.validation,
    "--passes", String(passes), "--json", nativeJson,
    ...(args.categories ? ["--categories", args.categories] : []));
  const native = new Map(JSON.parse(readFileSync(nativeJson, "utf8")).categories.map((c) => [c.name, c]));

  const rows = [];
  for (const [name, w] of wasm) {
    const n = native.get(name);
    if (!n) throw new Error(`the native run has no category ${name}`);
    if (n.total_matches !== w.totalMatches || n.event_errors !== w.errors) {
      throw new Error(`${name}: native found ${n.total_matches} matches (${n.event_errors} errors), `
        + `WASM ${w.totalMatches} (${w.errors} errors)`);
    }
    rows.push({ name, rules: w.rules, matches: w.totalMatches, native: n.events_per_sec.median, wasm: w.eventsPerSec,
      ratio: n.events_per_sec.median / w.eventsPerSec, wasmCompileSeconds: w.compileSeconds });
  }

  const fmt = (x) => Math.round(x).toLocaleString("en-US");
  const header = ["category", "rules", "matches", "native ev/s", "wasm ev/s", "native/wasm"];
  const table = [header, ...rows.map((r) => [r.name, String(r.rules), String(r.matches), fmt(r.native), fmt(r.wasm),
    `${r.ratio.toFixed(2)}×`])];
  const geo = Math.exp(rows.reduce((s, r) => s + Math.log(r.ratio), 0) / rows.length);
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  console.log(`citylots2: ${lines.length} events (${(bytes / 1e6).toFixed(1)} MB), median of ${passes} passes, `
    + `${args.validation} validation, string input`);
  console.log(line(table[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table.slice(1)) console.log(line(row));
  console.log(`geometric mean native/wasm: ${geo.toFixed(2)}×; worst ${Math.max(...rows.map((r) => r.ratio)).toFixed(2)}× `
    + `(goal: within 2×)`);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ events: lines.length, bytes, passes, validation: args.validation, node: process.version, rows,
      geometricMeanRatio: geo }, null, 2) + "\n");
    console.error(`wrote ${args.json}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
