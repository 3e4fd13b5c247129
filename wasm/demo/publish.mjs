#!/usr/bin/env node
// Publishes the demo's generated events (events.js: EC2 state changes, S3 object events, console
// sign-ins, chat messages, presence changes, orders) to an evmatch-bus, at a steady rate. Node.js
// >= 20, no dependencies.
//
//   node wasm/demo/publish.mjs --key PUBLISH_KEY [--url http://127.0.0.1:8787] [--rate 5]
//                              [--count N] [--seed N] [--raw] [--jsonl]
//
//   --key K      the bus's publish key (its --publish-key; printed at its start); default: $EVMATCH_BUS_PUBLISH_KEY
//   --url U      the bus (default http://127.0.0.1:8787)
//   --rate N     events per second (default 5; fractions allowed)
//   --count N    how many events, then stop (default: until interrupted)
//   --seed N     the generator's seed (default: random); the same seed gives the same events
//   --raw        publish through POST /events/raw (JSON Lines: each event byte for byte) instead
//                of PutEvents (POST /events: entries with Source, DetailType, Detail, Resources
//                and Time, up to 10 a request; the bus makes the event, with its own id, account
//                and region)
//   --jsonl      print each published event as one JSON line, instead of a readable line: with
//                --raw, the exact text published; with PutEvents, the event as built from the
//                entry (version, id: the EventId the bus answered, detail-type, source, time,
//                resources, detail; the bus adds its account and region)
//
// What was published goes to stdout, in order; the start and a summary go to stderr. A 503 (the
// bus's outbound queues are full) is retried after its Retry-After; any other failure ends the
// run with status 1 (an entry the bus refused is reported on stderr and not counted).

import { parseArgs } from "node:util";

import { createGenerator, summarize } from "./events.js";

const USAGE = "usage: node publish.mjs --key PUBLISH_KEY [--url http://127.0.0.1:8787] [--rate N] [--count N] [--seed N] [--raw] [--jsonl]";
const REQUEST_TIMEOUT_MS = 10_000;

function fail(message) {
  console.error(`publish.mjs: ${message}`);
  process.exit(1);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8787" },
      key: { type: "string", default: process.env.EVMATCH_BUS_PUBLISH_KEY },
      rate: { type: "string", default: "5" },
      count: { type: "string", default: "0" },
      seed: { type: "string" },
      raw: { type: "boolean", default: false },
      jsonl: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  }));
} catch (error) {
  fail(`${error.message}\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.key) fail(`--key is required (the bus prints its publish key when it starts)\n${USAGE}`);
const rate = Number(args.rate);
const count = Number(args.count);
if (!(rate > 0)) fail(`--rate must be a number > 0, not ${args.rate}`);
if (!Number.isInteger(count) || count < 0) fail(`--count must be an integer >= 0, not ${args.count}`);
if (args.seed !== undefined && !/^\d+$/.test(args.seed)) fail(`--seed must be a non-negative integer, not ${args.seed}`);
const seed = args.seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(args.seed) >>> 0;
const base = args.url.replace(/\/+$/, "");
const maxBatch = args.raw ? 500 : 10; // PutEvents takes at most 10 entries

const next = createGenerator(seed);
let published = 0;
let refused = 0;
let requests = 0;
let stopping = false;
process.on("SIGINT", () => {
  if (stopping) process.exit(130);
  stopping = true;
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs `body` to `path`; retries on 503 after Retry-After; returns the parsed JSON answer. */
async function post(path, body, contentType) {
  for (;;) {
    let response;
    try {
      response = await fetch(base + path, {
        method: "POST",
        headers: { authorization: `Bearer ${args.key}`, "content-type": contentType },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      fail(`POST ${base}${path}: ${error.cause?.message ?? error.message}`);
    }
    requests++;
    const text = await response.text();
    if (response.status === 503) {
      const wait = Math.max(0.05, Number(response.headers.get("retry-after")) || 1);
      console.error(`publish.mjs: the bus is busy (503); retrying in ${wait} s`);
      await sleep(wait * 1000);
      continue;
    }
    if (response.status !== 200) fail(`POST ${base}${path}: ${response.status} ${text.trim()}`);
    return JSON.parse(text);
  }
}

function print(event, text) {
  if (args.jsonl) console.log(text);
  else console.log(`#${published} ${event.source} · ${event["detail-type"]} · ${summarize(event)}${event.id ? ` · ${event.id}` : ""}`);
}

/** Publishes `events` with PutEvents: one entry each. */
async function putEvents(events) {
  const entries = events.map((event) => ({
    Source: event.source,
    DetailType: event["detail-type"],
    Detail: JSON.stringify(event.detail),
    Resources: event.resources,
    Time: event.time,
  }));
  const answer = await post("/events", JSON.stringify({ Entries: entries }), "application/json");
  answer.Entries.forEach((result, i) => {
    if (result.EventId === undefined) {
      refused++;
      console.error(`publish.mjs: entry refused: ${result.ErrorCode}: ${result.ErrorMessage} (${entries[i].Source})`);
      return;
    }
    const event = events[i];
    const built = { version: "0", id: result.EventId, "detail-type": event["detail-type"], source: event.source,
      time: event.time, resources: event.resources, detail: event.detail };
    print(built, JSON.stringify(built));
    published++;
  });
}

/** Publishes `events` through /events/raw, one JSON line each. */
async function putRaw(events) {
  const lines = events.map((event) => JSON.stringify(event));
  const answer = await post("/events/raw", lines.join("\n") + "\n", "application/x-ndjson");
  const refusedLines = new Map((answer.Refused ?? []).map((r) => [r.Line, r.Reason]));
  lines.forEach((line, i) => {
    const reason = refusedLines.get(i + 1);
    if (reason !== undefined) {
      refused++;
      console.error(`publish.mjs: line refused: ${reason}`);
      return;
    }
    print(events[i], line);
    published++;
  });
}

console.error(`publish.mjs: ${args.raw ? "POST /events/raw" : "PutEvents"} to ${base}, ${rate} events/s, `
  + `${count ? `${count} events` : "until interrupted"}, seed ${seed}`);
const started = performance.now();
let generated = 0;
while (!stopping && (count === 0 || generated < count)) {
  // Events due by now (the first at once), capped by the count and one request's size.
  const due = Math.floor((rate * (performance.now() - started)) / 1000) + 1;
  const n = Math.min(due - generated, maxBatch, count === 0 ? Infinity : count - generated);
  if (n <= 0) {
    await sleep(Math.max(1, ((generated) / rate) * 1000 - (performance.now() - started)));
    continue;
  }
  const events = Array.from({ length: n }, () => next());
  generated += n;
  await (args.raw ? putRaw(events) : putEvents(events));
}
const seconds = (performance.now() - started) / 1000;
console.error(`publish.mjs: published ${published} events${refused ? ` (${refused} refused)` : ""} in ${requests} requests, `
  + `${seconds.toFixed(1)} s, seed ${seed}`);
process.exitCode = refused ? 1 : 0;
