/**
 * The demo page (wasm/demo/) in real headless Chromium: Debian's /usr/bin/chromium
 * (scripts/install-chromium.sh) driven by playwright-core. Types an invalid then a valid pattern
 * into the editor, adds it as a rule, and checks what the page shows against the Node build of the
 * package: the validation message is AWS's reason, every rendered event carries exactly the rule
 * names the Node build matches (and is highlighted iff it has any), the rule's count is the number
 * of its matches, and once deleted the rule matches nothing more.
 *
 * scripts/test-wasm.sh runs this file on its own, after the other tests. Output (screenshots, and
 * on failure the page's events and log) goes to $EVMATCH_TEST_OUTPUT, default
 * target/wasm-browser-test/. wasm/demo/screenshot.png is written when missing or when
 * EVMATCH_UPDATE_SCREENSHOT=1, so that ordinary runs leave the working tree alone.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { startServer } from "../demo/server.mjs";
import { linkPackage } from "../test-support/builds.mjs";
import { toIndexedPng } from "../test-support/png.mjs";

const CHROMIUM = "/usr/bin/chromium";
const repo = fileURLToPath(new URL("../../", import.meta.url));
const outputDir = process.env.EVMATCH_TEST_OUTPUT || join(repo, "target", "wasm-browser-test");
const demoScreenshot = fileURLToPath(new URL("../demo/screenshot.png", import.meta.url));

const RULE = "test-rule";
const INVALID = '{"source": "aws.ec2"}';
const INVALID_REASON = '"source" must be an object or an array';
const VALID = '{"source": ["aws.s3", "com.example.orders"], "$or": ['
  + '{"detail": {"object": {"key": [{"suffix": {"equals-ignore-case": ".png"}}]}}}, '
  + '{"detail": {"total": [{"numeric": [">", 300]}], "customer": {"tier": ["pro", "enterprise"]}}}]}';

linkPackage();
const { Matcher } = await import("evmatch");

let server;
let context;
let page;
let userDataDir;
const pageProblems = [];

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run ./scripts/install-chromium.sh (as root)`);
  }
  mkdirSync(outputDir, { recursive: true });
  server = await startServer({ port: 0 });
  userDataDir = mkdtempSync(join(tmpdir(), "evmatch-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => pageProblems.push(`pageerror: ${error.stack ?? error}`));
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") pageProblems.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on("requestfailed", (request) => pageProblems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
});

after(async () => {
  // Each step on its own: a failure in one must not leave the others undone.
  try {
    await context?.close();
  } catch (error) {
    console.error("closing chromium:", error);
  }
  try {
    await server?.close();
  } catch (error) {
    console.error("closing the server:", error);
  }
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** What the page shows: the rendered events (oldest first), the rules, the activity log. */
async function pageState() {
  return page.evaluate(() => ({
    events: [...document.querySelectorAll("#stream li.event")].reverse().map((li) => ({
      seq: Number(li.dataset.seq),
      event: li.dataset.event,
      matches: JSON.parse(li.dataset.matches),
      highlighted: li.classList.contains("matched"),
      labels: [...li.querySelectorAll(".label")].map((l) => l.textContent),
    })),
    rules: [...document.querySelectorAll("#rules li")].map((li) => ({
      name: li.dataset.rule,
      pattern: li.dataset.pattern,
      addedAt: Number(li.dataset.addedAt),
      count: Number(li.querySelector(".count").dataset.count),
    })),
    log: [...document.querySelectorAll("#log li")].reverse().map((li) => ({
      action: li.dataset.action,
      rule: li.dataset.rule,
      seq: Number(li.dataset.seq),
      text: li.textContent,
    })),
  }));
}

/** Polls `pageState()` until `done(state)` holds. */
async function waitForState(done, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await pageState();
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await page.waitForTimeout(100);
  }
}

async function setRunning(running) {
  const toggle = page.locator("#toggle");
  if ((await toggle.getAttribute("data-running")) !== String(running)) await toggle.click();
  await page.locator(`#toggle[data-running="${running}"]`).waitFor();
}

/**
 * Checks every rendered event against the Node build: a matcher holding every rule the page ever
 * had, each counted only for the events between its addition and deletion (`windows`: name →
 * [from, to) in event numbers).
 */
function checkEvents(state, patterns, windows) {
  const node = new Matcher();
  try {
    for (const [name, pattern] of patterns) node.addRule(name, pattern);
    const seqs = state.events.map((e) => e.seq);
    assert.equal(seqs[0], 0, "the stream kept every event since the start");
    assert.deepEqual(seqs, seqs.map((_, i) => i), "events are numbered 0, 1, 2, … without gaps");
    for (const shown of state.events) {
      const expected = node.matches(shown.event).filter((name) => {
        const [from, to] = windows.get(name);
        return from <= shown.seq && shown.seq < to;
      });
      const where = `event #${shown.seq} ${shown.event}`;
      assert.deepEqual(shown.matches, expected, `rule names of ${where}`);
      assert.deepEqual(shown.labels, expected, `labels of ${where}`);
      assert.equal(shown.highlighted, expected.length > 0, `highlighting of ${where}`);
    }
  } finally {
    node.free();
  }
}

function countMatches(state, name, from, to = Infinity) {
  return state.events.filter((e) => e.seq >= from && e.seq < to && e.matches.includes(name)).length;
}

test("the demo page filters its event stream exactly as the Node build does", { timeout: 120_000 }, async (t) => {
  try {
    await page.goto(`${server.url}demo/?seed=1&rate=fast&keep=100000`, { waitUntil: "load" });
    await page.locator('body[data-ready="true"]').waitFor();
    assert.equal(await page.title(), "evmatch — EventBridge patterns in the browser (WebAssembly)");
    const initial = await waitForState((s) => s.events.length >= 20, "the stream to start");
    assert.ok(initial.rules.length > 0, "the page starts with example rules");

    // An invalid pattern, typed: AWS's exact reason, and no way to add it.
    await page.locator("#rule-name").fill(RULE);
    const editor = page.locator("#pattern");
    await editor.fill("");
    await editor.pressSequentially(INVALID);
    await page.locator('#pattern-status[data-state="invalid"]').waitFor();
    const shownReason = await page.locator("#pattern-status .reason").textContent();
    assert.equal(shownReason, INVALID_REASON);
    assert.equal(shownReason, Matcher.validate(INVALID), "the page shows what Matcher.validate says in Node");
    assert.equal(await editor.getAttribute("aria-invalid"), "true");
    assert.ok(await page.locator("#add-rule").isDisabled(), "an invalid pattern cannot be added");

    // A valid one, typed: accepted, and added.
    await editor.fill("");
    await editor.pressSequentially(VALID);
    await page.locator('#pattern-status[data-state="valid"]').waitFor();
    assert.equal(Matcher.validate(VALID), null);
    assert.equal(await editor.getAttribute("aria-invalid"), "false");
    await page.locator("#add-rule").click();
    const ruleRow = page.locator(`#rules li[data-rule="${RULE}"]`);
    await ruleRow.waitFor();
    assert.equal(await ruleRow.getAttribute("data-pattern"), VALID);
    const addedAt = Number(await ruleRow.getAttribute("data-added-at"));

    // The stream runs on; the rule's count climbs.
    await waitForState((s) => {
      const rule = s.rules.find((r) => r.name === RULE);
      return rule.count >= 10 && s.events.length >= addedAt + 300;
    }, `${RULE} to match 10 events`);
    await setRunning(false);
    const paused = await pageState();
    const patterns = new Map(paused.rules.map((r) => [r.name, r.pattern]));
    const windows = new Map(paused.rules.map((r) => [r.name, [r.addedAt, Infinity]]));
    checkEvents(paused, patterns, windows);
    const rule = paused.rules.find((r) => r.name === RULE);
    assert.ok(rule.count > 0);
    assert.equal(rule.count, countMatches(paused, RULE, addedAt), "the count is the number of events labelled");
    for (const r of paused.rules) assert.equal(r.count, countMatches(paused, r.name, r.addedAt), `count of ${r.name}`);
    t.diagnostic(`${paused.events.length} events rendered, ${rule.count} matched ${RULE} (added before #${addedAt})`);

    const shot = await page.screenshot({ path: join(outputDir, "demo.png") });
    if (!existsSync(demoScreenshot) || process.env.EVMATCH_UPDATE_SCREENSHOT === "1") {
      writeFileSync(demoScreenshot, toIndexedPng(shot));
    }

    // Delete it: it matches nothing more, though the Node build says later events would match it.
    await setRunning(true);
    await page.locator(`#rules li[data-rule="${RULE}"] button.delete`).click();
    await ruleRow.waitFor({ state: "detached" });
    const probe = new Matcher();
    probe.addRule(RULE, VALID);
    let deletedAt;
    let wouldMatch = 0;
    const end = await waitForState((s) => {
      deletedAt ??= s.log.find((l) => l.action === "delete" && l.rule === RULE)?.seq;
      if (deletedAt === undefined) return false;
      wouldMatch = s.events.filter((e) => e.seq >= deletedAt && probe.matches(e.event).length > 0).length;
      return wouldMatch >= 10 && s.events.length >= deletedAt + 300;
    }, `events after deleting ${RULE}`);
    probe.free();
    await setRunning(false);
    const final = await pageState();
    assert.ok(!final.rules.some((r) => r.name === RULE), "the rule is gone from the list");
    windows.set(RULE, [addedAt, deletedAt]);
    checkEvents(final, patterns, windows);
    assert.equal(countMatches(final, RULE, deletedAt), 0, "no event after the deletion carries the rule");
    const counted = countMatches(final, RULE, addedAt, deletedAt);
    assert.ok(final.log.some((l) => l.action === "delete" && l.rule === RULE && l.text.includes(`(${counted} matches)`)),
      `the activity log records the deletion with the final count ${counted}`);
    t.diagnostic(`deleted before #${deletedAt} at ${counted} matches; ${wouldMatch} later events would have matched`);
    assert.ok(end.events.length > deletedAt);

    await page.screenshot({ path: join(outputDir, "demo-after-delete.png") });
    assert.deepEqual(pageProblems, [], "no page errors, console errors or failed requests");
  } catch (error) {
    // Leave evidence for a failed run.
    try {
      await page.screenshot({ path: join(outputDir, "failure.png") });
      writeFileSync(join(outputDir, "failure-state.json"), JSON.stringify({ state: await pageState(), pageProblems }, null, 2));
    } catch {}
    throw error;
  }
});
