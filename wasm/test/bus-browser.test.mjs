/**
 * The demo page in bus mode (wasm/demo/bus-mode.js), fed by the real evmatch-bus, in headless
 * Chromium (Debian's /usr/bin/chromium driven by playwright-core, as browser.test.mjs does).
 *
 * The bus (target/debug/evmatch-bus, or $EVMATCH_BUS_BIN) serves the page, the WASM package and
 * the client (bus/client/dist/). Two pages subscribe different rules: page A through `rule=` URL
 * parameters (one of them a pattern the bus refuses: the page shows the reason from the Ack), page
 * B with the example rules, one more added through the editor, one deleted (unsubscribed), and one
 * the bus refuses for its size (--max-pattern-bytes). The publisher (wasm/demo/publish.mjs, fixed
 * seed and count, PutEvents) publishes; each page must show exactly the published events its
 * rules match according to the Node build of the engine, in order, each labelled with exactly the
 * rules that matched, byte for byte as the bus built it. Then page B's filter box (a view of the
 * client) must narrow the shown events to those the filter matches, refuse an invalid filter
 * with AWS's reason, keep filtering events that arrive later, and give everything back when
 * cleared.
 *
 * Run by scripts/test-bus-browser.sh, which builds what it needs. Output (screenshots, and on
 * failure the pages' state) goes to $EVMATCH_TEST_OUTPUT, default target/bus-browser-test/.
 * wasm/demo/bus-screenshot.png is written when missing or when EVMATCH_UPDATE_SCREENSHOT=1.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { linkPackage } from "../test-support/builds.mjs";
import { toIndexedPng } from "../test-support/png.mjs";

const CHROMIUM = "/usr/bin/chromium";
const repo = fileURLToPath(new URL("../../", import.meta.url));
const busBinary = process.env.EVMATCH_BUS_BIN || join(repo, "target", "debug", "evmatch-bus");
const publisher = join(repo, "wasm", "demo", "publish.mjs");
const outputDir = process.env.EVMATCH_TEST_OUTPUT || join(repo, "target", "bus-browser-test");
const committedScreenshot = join(repo, "wasm", "demo", "bus-screenshot.png");

const PUBLISH_KEY = "test-publish-key";
const API_KEY = Buffer.from("V:D").toString("base64"); // --app-version-id V --deployment-id D
const MAX_PATTERN_BYTES = 400;

const RULES_A = {
  "no-mfa": '{"source": ["aws.signin"], "detail": {"additionalEventData": {"MFAUsed": ["No"]}}}',
  images: '{"source": ["aws.s3"], "detail": {"object": {"key": [{"suffix": {"equals-ignore-case": ".png"}}]}}}',
  "ec2-any": '{"source": ["aws.ec2"]}',
  "big-orders": '{"source": ["com.example.orders"], "detail": {"total": [{"numeric": [">", 400]}]}}',
  terminated: '{"detail": {"state": ["terminated"]}}', // with ec2-any: events with two rules
};
const REFUSED_A = ["broken", '{"source": "aws.ec2"}'];
const ADDED_B = ["went-offline", '{"source": ["com.example.presence"], "detail": {"status": ["offline"]}}'];
const DELETED_B = "incidents";
const TOO_BIG_B = ["too-big", JSON.stringify({ source: ["com.example.chat"],
  detail: { room: Array.from({ length: 40 }, (_, i) => `#room-${i}`) } })]; // 481 bytes
const FILTER = '{"$or": [{"detail": {"state": ["terminated", "stopped"]}}, {"detail": {"name": ["Ada", "Grace"]}}]}';
const INVALID_FILTER = '{"detail": {"state": "terminated"}}';

linkPackage();
const { Matcher } = await import("evmatch");

let bus;
let context;
let userDataDir;
const pages = {};
const pageProblems = [];

/** Rejects after `ms` unless `promise` settles first. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts the bus on a free port; resolves with { child, base, stderr() } once it printed its address. */
async function startBus() {
  const child = spawn(busBinary, [
    "--listen", "127.0.0.1:0", "--publish-key", PUBLISH_KEY, "--deployment-id", "D", "--app-version-id", "V",
    "--max-pattern-bytes", String(MAX_PATTERN_BYTES), "--static-root", repo,
  ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" } });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-20_000)));
  child.stdout.setEncoding("utf8");
  const base = await withTimeout(new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const first = stdout.split("\n")[0];
      const match = /^evmatch-bus listening on (http:\/\/\S+)$/.exec(first);
      if (stdout.includes("\n")) match ? resolve(match[1]) : reject(new Error(`unexpected first line: ${first}`));
    });
    child.on("exit", (code, signal) => reject(new Error(`evmatch-bus exited (${code ?? signal}):\n${stderr}`)));
    child.on("error", reject);
  }), 20_000, "evmatch-bus to print its address").catch((error) => {
    child.kill("SIGKILL");
    throw error;
  });
  return { child, base, stderr: () => stderr };
}

async function stopBus() {
  const child = bus?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  try {
    await withTimeout(exited, 5_000, "evmatch-bus to exit after SIGTERM");
  } catch {
    child.kill("SIGKILL");
    await withTimeout(exited, 5_000, "evmatch-bus to exit after SIGKILL");
  }
}

/** Runs the publisher (PutEvents, --jsonl) and resolves with the events it published, in order. */
async function publish(seed, count) {
  const child = spawn(process.execPath, [publisher, "--url", bus.base, "--key", PUBLISH_KEY, "--rate", "400",
    "--count", String(count), "--seed", String(seed), "--jsonl"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
  const code = await withTimeout(new Promise((resolve, reject) => {
    child.on("exit", resolve);
    child.on("error", reject);
  }), 60_000, "the publisher").catch((error) => {
    child.kill("SIGKILL");
    throw error;
  });
  assert.equal(code, 0, `the publisher failed:\n${stderr}`);
  const events = stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(events.length, count, `the publisher published ${count} events:\n${stderr}`);
  assert.match(stderr, new RegExp(`published ${count} events .* seed ${seed}`));
  return events;
}

before(async () => {
  for (const [path, hint] of [
    [CHROMIUM, "run ./scripts/install-chromium.sh (as root)"],
    [busBinary, "cargo build -p evmatch-bus"],
    [join(repo, "bus", "client", "dist", "index.js"), "build bus/client: npm ci && npm run build"],
  ]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: ${hint} (scripts/test-bus-browser.sh does it all)`);
  }
  mkdirSync(outputDir, { recursive: true });
  bus = await startBus();
  userDataDir = mkdtempSync(join(tmpdir(), "evmatch-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      // Two tabs: the one in the background must not be throttled.
      "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
    ],
    viewport: { width: 1280, height: 800 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  pages.A = context.pages()[0] ?? (await context.newPage());
  pages.B = await context.newPage();
  for (const [name, page] of Object.entries(pages)) {
    page.on("pageerror", (error) => pageProblems.push(`${name} pageerror: ${error.stack ?? error}`));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") pageProblems.push(`${name} console.${message.type()}: ${message.text()}`);
    });
    page.on("requestfailed", (request) => pageProblems.push(`${name} request failed: ${request.url()} ${request.failure()?.errorText}`));
  }
});

after(async () => {
  // Each step on its own: a failure in one must not leave the others undone.
  try {
    await context?.close();
  } catch (error) {
    console.error("closing chromium:", error);
  }
  try {
    await stopBus();
  } catch (error) {
    console.error("stopping evmatch-bus:", error);
  }
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** What a page shows: its events (oldest first), its rules, the filter's state. */
function pageState(page) {
  return page.evaluate(() => ({
    connection: document.querySelector("#connection").dataset.state,
    received: Number(document.querySelector("#stream").dataset.received ?? 0),
    filter: document.querySelector("#stream").dataset.filter,
    filterStatus: document.querySelector("#filter-status").dataset.state,
    events: [...document.querySelectorAll("#stream li.event")].reverse().map((li) => ({
      seq: Number(li.dataset.seq),
      raw: li.dataset.event,
      rules: JSON.parse(li.dataset.matches),
      labels: [...li.querySelectorAll(".label")].map((l) => l.textContent),
    })),
    rules: [...document.querySelectorAll("#rules li")].map((li) => ({
      name: li.dataset.rule,
      pattern: li.dataset.pattern,
      state: li.dataset.state,
      count: Number(li.querySelector(".count").dataset.count),
      refusal: li.querySelector(".refusal")?.textContent,
    })),
  }));
}

/** Polls `pageState(page)` until `done(state)` holds. */
async function waitForState(page, done, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await pageState(page);
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await page.waitForTimeout(100);
  }
}

/** The published events the rules (name → pattern) match, with the names, in order. */
function expectedFor(rules, published) {
  const node = new Matcher();
  try {
    for (const [name, pattern] of rules) node.addRule(name, pattern);
    return published
      .map((event) => ({ event, rules: node.matches(JSON.stringify(event)) }))
      .filter((e) => e.rules.length > 0);
  } finally {
    node.free();
  }
}

/**
 * Waits until the page received as many events as its rules match among `published`, then checks
 * it shows exactly them: in order, numbered 0, 1, …, each with the rules that matched (notification
 * and labels), the event as the bus built it from the entry, and each rule's count.
 */
async function checkPage(name, published) {
  const page = pages[name];
  const before = await pageState(page);
  const active = before.rules.filter((r) => r.state === "active");
  const expected = expectedFor(active.map((r) => [r.name, r.pattern]), published);
  await waitForState(page, (s) => s.received >= expected.length, `page ${name} to receive ${expected.length} events`);
  await page.waitForTimeout(300); // time for an event too many to show up
  const state = await pageState(page);
  assert.equal(state.received, expected.length, `page ${name}: events received`);
  assert.equal(state.events.length, expected.length, `page ${name}: events shown`);
  const node = new Matcher();
  for (const rule of active) node.addRule(rule.name, rule.pattern);
  state.events.forEach((shown, i) => {
    const want = expected[i];
    const where = `page ${name}, event #${i} ${shown.raw}`;
    assert.equal(shown.seq, i, `${where}: numbered in the order received`);
    const event = JSON.parse(shown.raw);
    assert.deepEqual({ ...event, account: undefined, region: undefined }, { ...want.event, account: undefined, region: undefined },
      `${where}: the published event`);
    assert.equal(event.account, "000000000000", `${where}: the bus's account`);
    assert.deepEqual(shown.rules, want.rules, `${where}: the notification's Rules`);
    assert.deepEqual(shown.labels, want.rules, `${where}: the labels`);
    assert.deepEqual(node.matches(shown.raw), want.rules, `${where}: the Node build on the bytes received`);
  });
  node.free();
  for (const rule of active) {
    assert.equal(rule.count, expected.filter((e) => e.rules.includes(rule.name)).length, `page ${name}: count of ${rule.name}`);
  }
  return { state, expected };
}

function save(page, file) {
  return page.screenshot({ path: join(outputDir, file) });
}

test("two bus-mode pages show exactly the events of their subscriptions; the filter box narrows them", { timeout: 180_000 }, async (t) => {
  const { A, B } = pages;
  try {
    // Page A: rules from the URL, one of them refused by the bus.
    const ruleParams = [...Object.entries(RULES_A), REFUSED_A].map(([n, p]) => `&rule=${encodeURIComponent(`${n}:${p}`)}`).join("");
    await A.goto(`${bus.base}/demo/?bus=1&apiKey=${encodeURIComponent(API_KEY)}&keep=100000&rules=none${ruleParams}`);
    // Page B: the example rules, then the editor.
    await B.goto(`${bus.base}/demo/?bus=1&apiKey=${encodeURIComponent(API_KEY)}&keep=100000`);
    for (const page of [A, B]) await page.locator('body[data-ready="true"][data-mode="bus"]').waitFor();
    const a0 = await waitForState(A, (s) => s.connection === "open" && s.rules.every((r) => r.state === "active" || r.state === "refused"),
      "page A to be connected with its rules settled");
    assert.deepEqual(a0.rules.map((r) => [r.name, r.state]),
      [...Object.keys(RULES_A).map((n) => [n, "active"]), [REFUSED_A[0], "refused"]]);
    assert.equal(a0.rules.at(-1).refusal, `Event pattern is not valid. Reason: ${Matcher.validate(REFUSED_A[1])}`,
      "the refused rule shows the bus's Ack: AWS's reason");
    assert.equal(await A.title(), "evmatch — EventBridge patterns in the browser (WebAssembly)");
    assert.ok(await A.locator("#toggle").isHidden(), "no pause button in bus mode");

    await waitForState(B, (s) => s.connection === "open" && s.rules.length === 3 && s.rules.every((r) => r.state === "active"),
      "page B to be connected with the example rules");
    await B.locator("#rule-name").fill(ADDED_B[0]);
    await B.locator("#pattern").fill(ADDED_B[1]);
    await B.locator('#pattern-status[data-state="valid"]').waitFor();
    await B.locator("#add-rule").click();
    await B.locator(`#rules li[data-rule="${ADDED_B[0]}"][data-state="active"]`).waitFor();
    const deletedPattern = await B.locator(`#rules li[data-rule="${DELETED_B}"]`).getAttribute("data-pattern");
    await B.locator(`#rules li[data-rule="${DELETED_B}"] button.delete`).click();
    await B.locator(`#rules li[data-rule="${DELETED_B}"]`).waitFor({ state: "detached" });
    // Valid for the engine, too big for this bus: the editor shows the bus's reason.
    await B.locator("#rule-name").fill(TOO_BIG_B[0]);
    await B.locator("#pattern").fill(TOO_BIG_B[1]);
    await B.locator('#pattern-status[data-state="valid"]').waitFor();
    await B.locator("#add-rule").click();
    await B.locator(`#rules li[data-rule="${TOO_BIG_B[0]}"][data-state="refused"]`).waitFor();
    const bigReason = `Pattern is ${TOO_BIG_B[1].length} bytes; at most ${MAX_PATTERN_BYTES} are allowed`;
    assert.equal(await B.locator("#pattern-status .reason").textContent(), bigReason);
    assert.equal(await B.locator('#pattern-status').getAttribute("data-state"), "invalid");
    const b0 = await pageState(B);
    assert.deepEqual(b0.rules.map((r) => [r.name, r.state]),
      [["ec2-stopped", "active"], ["big-uploads", "active"], [ADDED_B[0], "active"], [TOO_BIG_B[0], "refused"]]);
    assert.equal(b0.rules.at(-1).refusal, bigReason);

    // Publish; each page shows exactly its events.
    const first = await publish(7, 240);
    const a1 = await checkPage("A", first);
    const b1 = await checkPage("B", first);
    t.diagnostic(`published ${first.length} events: page A shows ${a1.expected.length}, page B ${b1.expected.length}`);
    assert.ok(a1.expected.some((e) => e.rules.length > 1), "some events carry two rules");
    assert.ok(a1.expected.length >= 20 && b1.expected.length >= 20, "both pages have events to show");
    const idsA = new Set(a1.expected.map((e) => e.event.id));
    const shared = b1.expected.filter((e) => idsA.has(e.event.id)).length;
    assert.ok(shared > 0 && shared < b1.expected.length && shared < a1.expected.length,
      `the pages' events overlap (${shared}) without being the same`);
    const deleted = expectedFor([[DELETED_B, deletedPattern]], first).length;
    assert.ok(deleted > 0, `${deleted} events would have matched the deleted rule; none was delivered for it`);
    assert.ok(!b1.state.events.some((e) => e.rules.includes(DELETED_B)));
    await save(A, "bus-page-a.png");

    // The filter box: a view of the client, instant, over what was received.
    const filterOf = (events) => expectedFor([["filter", FILTER]], events.map((e) => JSON.parse(e.raw))).map((e) => e.event.id);
    await B.locator("#filter").fill(FILTER);
    let b2 = await pageState(B);
    assert.equal(b2.filter, FILTER);
    assert.equal(b2.filterStatus, "valid");
    const wanted = filterOf(b1.state.events);
    assert.ok(wanted.length > 0 && wanted.length < b1.state.events.length, `the filter narrows ${b1.state.events.length} events to ${wanted.length}`);
    assert.deepEqual(b2.events.map((e) => JSON.parse(e.raw).id), wanted, "the filtered list, at once");
    assert.deepEqual(b2.events.map((e) => e.seq), b1.state.events.filter((e) => wanted.includes(JSON.parse(e.raw).id)).map((e) => e.seq));

    await B.bringToFront();
    await B.locator("#rule-name").fill("offline-no-bots");
    await B.locator("#examples").selectOption({ label: "Presence: went offline, no bots (exists)" });
    await B.locator('#pattern-status[data-state="valid"]').waitFor();
    const shot = await save(B, "bus-page-b-filtered.png"); // the committed screenshot
    if (!existsSync(committedScreenshot) || process.env.EVMATCH_UPDATE_SCREENSHOT === "1") {
      writeFileSync(committedScreenshot, toIndexedPng(shot));
    }

    await B.locator("#filter").fill(INVALID_FILTER);
    assert.equal(await B.locator("#filter-status").getAttribute("data-state"), "invalid");
    assert.equal(await B.locator("#filter-status .reason").textContent(), Matcher.validate(INVALID_FILTER));
    assert.deepEqual((await pageState(B)).events.map((e) => JSON.parse(e.raw).id), wanted, "an invalid filter changes nothing");
    await B.locator("#filter").fill(FILTER);

    // More events while filtered: the filter keeps up; page A gets its share.
    const second = await publish(8, 160);
    const both = [...first, ...second];
    const expectedB = expectedFor(b1.state.rules.filter((r) => r.state === "active").map((r) => [r.name, r.pattern]), both);
    b2 = await waitForState(B, (s) => s.received >= expectedB.length, `page B to receive ${expectedB.length} events`);
    await B.waitForTimeout(300);
    b2 = await pageState(B);
    assert.equal(b2.received, expectedB.length);
    const wantedNow = expectedFor([["filter", FILTER]], expectedB.map((e) => e.event)).map((e) => e.event.id);
    assert.ok(wantedNow.length > wanted.length, "later events pass the filter too");
    t.diagnostic(`page B's filter: ${wanted.length} of ${b1.state.events.length} events, then ${wantedNow.length} of ${expectedB.length}`);
    assert.deepEqual(b2.events.map((e) => JSON.parse(e.raw).id), wantedNow, "the filtered list after more events");
    await checkPage("A", both);
    await save(B, "bus-page-b-filtered-more.png");

    // Cleared: every received event again.
    await B.locator("#filter").fill("");
    assert.equal((await pageState(B)).filter, "none");
    await checkPage("B", both);
    assert.deepEqual(pageProblems, [], "no page errors, console errors or failed requests");
  } catch (error) {
    // Leave evidence for a failed run.
    for (const [name, page] of Object.entries(pages)) {
      try {
        await page.screenshot({ path: join(outputDir, `failure-${name}.png`) });
        writeFileSync(join(outputDir, `failure-${name}.json`), JSON.stringify({ state: await pageState(page), pageProblems }, null, 2));
      } catch {}
    }
    if (bus) writeFileSync(join(outputDir, "failure-bus-stderr.txt"), bus.stderr());
    throw error;
  }
});
