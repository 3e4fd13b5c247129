// The evmatch demo: a stream of generated events filtered live, in the page, by the WebAssembly
// build of the engine (../pkg/web/). No framework, no bundler. With `bus=1` the page is fed by
// evmatch-bus instead (bus-mode.js); the rest of this file is the page on its own.
//
// URL parameters:
//   seed=N        the event generator's seed (default: random); the same seed gives the same events
//   rate=R        events per second: slow (2), normal (8, the default), fast (200) or a number
//   keep=N        how many events the stream keeps on screen (default 150)
//   rules=none    start without the example rules
//   bus=1         bus mode: see bus-mode.js for its parameters
//
// For tests, the DOM carries the state: every event <li> has data-seq, data-event (the exact JSON
// text the engine matched) and data-matches (the rule names, JSON); every rule <li> has data-rule,
// data-pattern, data-added-at (the seq of the first event matched with it) and a .count with
// data-count; the activity log's entries have data-action, data-rule and data-seq; <body> has
// data-ready="true" once the WebAssembly module is running, and #pattern-status has data-state
// (empty, valid or invalid).

import init, { Matcher } from "../pkg/web/evmatch.js";
import { createGenerator } from "./events.js";
import {
  EXAMPLE_RULES, createEditor, els, eventItem, expandEventsOnClick, log, renderRuleTotal, ruleItem, setCount,
} from "./ui.js";

const RATES = { slow: 2, normal: 8, fast: 200 };

const params = new URLSearchParams(location.search);
const busMode = (params.get("bus") ?? "0") !== "0";
const seed = params.has("seed") ? Number(params.get("seed")) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const rateParam = params.get("rate") ?? "normal";
const rate = RATES[rateParam] ?? (Number(rateParam) > 0 ? Number(rateParam) : RATES.normal);
const keep = Math.max(1, Number(params.get("keep")) || 150);

await init();

if (busMode) {
  const { startBusMode } = await import("./bus-mode.js");
  await startBusMode(params);
} else {
  startStandalone();
}

function startStandalone() {
  const matcher = new Matcher();
  /** name → { pattern (text), count, addedAt, li, countEl } in insertion order. */
  const rules = new Map();
  const next = createGenerator(seed);
  let seq = 0;
  let matchedEvents = 0;
  let matchNanos = 0;
  let matchCalls = 0;
  let running = true;

  function addRule(name, patternText) {
    matcher.addRule(name, patternText); // throws PatternError / PatternSyntaxError
    const { li, countEl } = ruleItem(name, patternText, deleteRule);
    li.dataset.addedAt = String(seq);
    rules.set(name, { pattern: patternText, count: 0, addedAt: seq, li, countEl });
    log("add", name, seq, `added ${name} before event #${seq}`);
    renderRuleTotal(rules.size);
  }

  function deleteRule(name) {
    const rule = rules.get(name);
    if (!rule) return;
    matcher.deleteRule(name);
    rules.delete(name);
    rule.li.remove();
    log("delete", name, seq, `deleted ${name} before event #${seq} (${rule.count} matches)`);
    renderRuleTotal(rules.size);
    editor.validate();
  }

  const editor = createEditor({ hasRule: (name) => rules.has(name), submit: addRule });

  /** Generates and matches `n` events; returns their <li>s, oldest first. */
  function emitBatch(n) {
    const events = [];
    const texts = [];
    for (let i = 0; i < n; i++) {
      events.push(next());
      texts.push(JSON.stringify(events[i]));
    }
    // Timed as a batch: browsers coarsen performance.now() (to 5-100 µs) without cross-origin isolation.
    const t0 = performance.now();
    const results = texts.map((text) => matcher.matches(text));
    matchNanos += (performance.now() - t0) * 1e6;
    matchCalls += n;
    return events.map((event, i) => render(event, texts[i], results[i]));
  }

  function render(event, text, names) {
    for (const name of names) rules.get(name).count++;
    if (names.length) matchedEvents++;
    return eventItem(seq++, event, text, names);
  }

  const TICK_MS = 50;
  let budget = 1; // the first event at once
  let ticks = 0;
  function tick() {
    if (!running) return;
    budget += (rate * TICK_MS) / 1000;
    const n = Math.floor(budget);
    if (n === 0) return;
    budget -= n;
    const fragment = document.createDocumentFragment();
    const items = emitBatch(n);
    for (let i = items.length - 1; i >= 0; i--) fragment.append(items[i]); // newest first
    els.stream.prepend(fragment);
    while (els.stream.children.length > keep) els.stream.lastElementChild.remove();
    for (const rule of rules.values()) setCount(rule.countEl, rule.count);
    renderStats();
    if (++ticks % 10 === 0 && els.status.dataset.state === "valid") editor.validate(); // refresh the preview
  }

  function renderStats() {
    const perEvent = matchCalls ? matchNanos / matchCalls / 1000 : 0;
    els.stats.textContent = `${seq.toLocaleString("en-US")} events · ${matchedEvents.toLocaleString("en-US")} matched · `
      + `${perEvent.toFixed(1)} µs per match · seed ${seed}`;
  }

  els.toggle.addEventListener("click", () => {
    running = !running;
    els.toggle.dataset.running = String(running);
    els.toggle.textContent = running ? "Pause" : "Resume";
  });
  els.onlyMatching.addEventListener("change", () => {
    els.stream.classList.toggle("only-matching", els.onlyMatching.checked);
  });
  expandEventsOnClick();

  if (params.get("rules") !== "none") {
    for (const { name, pattern } of EXAMPLE_RULES) addRule(name, JSON.stringify(pattern));
  }
  renderRuleTotal(rules.size);
  els.pattern.value = JSON.stringify({ source: ["aws.ec2"], detail: { state: ["terminated"] } }, null, 2);
  editor.validate();
  renderStats();
  setInterval(tick, TICK_MS);
  tick();
  document.body.dataset.ready = "true";
}
