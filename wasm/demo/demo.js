// The evmatch demo: a stream of generated events filtered live, in the page, by the WebAssembly
// build of the engine (../pkg/web/). No framework, no bundler.
//
// URL parameters:
//   seed=N        the event generator's seed (default: random); the same seed gives the same events
//   rate=R        events per second: slow (2), normal (8, the default), fast (200) or a number
//   keep=N        how many events the stream keeps on screen (default 150)
//   rules=none    start without the example rules
//
// For tests, the DOM carries the state: every event <li> has data-seq, data-event (the exact JSON
// text the engine matched) and data-matches (the rule names, JSON); every rule <li> has data-rule,
// data-pattern, data-added-at (the seq of the first event matched with it) and a .count with
// data-count; the activity log's entries have data-action, data-rule and data-seq; <body> has
// data-ready="true" once the WebAssembly module is running, and #pattern-status has data-state
// (empty, valid or invalid).

import init, { Matcher } from "../pkg/web/evmatch.js";
import { createGenerator, summarize } from "./events.js";

const EXAMPLE_RULES = [
  {
    name: "ec2-stopped",
    pattern: { source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
      detail: { state: [{ "anything-but": ["running", "pending"] }] } },
  },
  {
    name: "big-uploads",
    pattern: { source: ["aws.s3"], "detail-type": ["Object Created"],
      detail: { object: { size: [{ numeric: [">=", 10_000_000] }] } } },
  },
  {
    name: "incidents",
    pattern: { source: ["com.example.chat"],
      $or: [{ detail: { room: ["#incidents"] } }, { detail: { text: [{ wildcard: "*urgent*" }] } }] },
  },
];

const EXAMPLE_PATTERNS = {
  "Console sign-in without MFA from outside 10.0.0.0/8": {
    source: ["aws.signin"],
    detail: { additionalEventData: { MFAUsed: ["No"] }, sourceIPAddress: [{ "anything-but": { prefix: "10." } }] },
  },
  "Sign-ins from the office network (cidr)": {
    source: ["aws.signin"], detail: { sourceIPAddress: [{ cidr: "10.0.0.0/16" }] },
  },
  "Images uploaded (suffix, ignoring case)": {
    source: ["aws.s3"], "detail-type": ["Object Created"],
    detail: { object: { key: [{ suffix: { "equals-ignore-case": ".png" } }, { suffix: ".jpg" }] } },
  },
  "Big EUR or GBP orders from pro/enterprise customers": {
    source: ["com.example.orders"],
    detail: { total: [{ numeric: [">", 500] }], currency: ["EUR", "GBP"], customer: { tier: ["pro", "enterprise"] } },
  },
  "Chat messages with a PDF attachment (array of objects)": {
    source: ["com.example.chat"], detail: { attachments: { type: ["application/pdf"] } },
  },
  "Someone mentions Ada, or Ada posts (\"$or\")": {
    source: ["com.example.chat"], $or: [{ detail: { mentions: ["Ada"] } }, { detail: { user: { name: ["Ada"] } } }],
  },
  "Presence: went offline, no bots (exists)": {
    source: ["com.example.presence"], detail: { status: ["offline"], previous: [{ "anything-but": "offline" }],
      devices: { kind: [{ exists: true }] } },
  },
  "Invalid: source must be an array": { source: "aws.ec2" },
  "Invalid: numeric range upside down": { detail: { total: [{ numeric: [">", 100, "<", 10] }] } },
};

const RATES = { slow: 2, normal: 8, fast: 200 };

const params = new URLSearchParams(location.search);
const seed = params.has("seed") ? Number(params.get("seed")) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const rateParam = params.get("rate") ?? "normal";
const rate = RATES[rateParam] ?? (Number(rateParam) > 0 ? Number(rateParam) : RATES.normal);
const keep = Math.max(1, Number(params.get("keep")) || 150);

const $ = (selector) => document.querySelector(selector);
const els = {
  toggle: $("#toggle"), onlyMatching: $("#only-matching"), stats: $("#stats"),
  name: $("#rule-name"), pattern: $("#pattern"), status: $("#pattern-status"), add: $("#add-rule"),
  examples: $("#examples"), rules: $("#rules"), rulesEmpty: $("#rules-empty"), ruleTotal: $("#rule-total"),
  log: $("#log"), stream: $("#stream"),
};

await init();

const matcher = new Matcher();
/** name → { pattern (text), count, addedAt, li } in insertion order. */
const rules = new Map();
const next = createGenerator(seed);
let seq = 0;
let matchedEvents = 0;
let matchNanos = 0;
let matchCalls = 0;
let running = true;

// ---- rules ---------------------------------------------------------------------------------

const PALETTE = ["#b7791f", "#6b46c1", "#c53030", "#2b6cb0", "#2f855a", "#b83280", "#2c7a7b", "#4a5568", "#dd6b20"];
let colors = 0;
const ruleColors = new Map();
/** A colour per rule name, in the order names first appear. */
function ruleColor(name) {
  if (!ruleColors.has(name)) ruleColors.set(name, PALETTE[colors++ % PALETTE.length]);
  return ruleColors.get(name);
}

function addRule(name, patternText) {
  matcher.addRule(name, patternText); // throws PatternError / PatternSyntaxError
  const li = document.createElement("li");
  li.dataset.rule = name;
  li.dataset.pattern = patternText;
  li.dataset.addedAt = String(seq);
  li.style.setProperty("--rule-color", ruleColor(name));
  const head = document.createElement("div");
  head.className = "head";
  const label = document.createElement("span");
  label.className = "name";
  label.textContent = name;
  const count = document.createElement("span");
  count.className = "count";
  count.dataset.count = "0";
  count.textContent = "0";
  const del = document.createElement("button");
  del.type = "button";
  del.className = "delete";
  del.textContent = "✕";
  del.title = `Delete rule ${name}`;
  del.setAttribute("aria-label", `Delete rule ${name}`);
  del.addEventListener("click", () => deleteRule(name));
  head.append(label, count, del);
  const code = document.createElement("code");
  code.textContent = compact(patternText);
  code.title = patternText;
  li.append(head, code);
  els.rules.append(li);
  rules.set(name, { pattern: patternText, count: 0, addedAt: seq, li, countEl: count });
  log("add", name);
  renderRuleTotal();
}

function deleteRule(name) {
  const rule = rules.get(name);
  if (!rule) return;
  matcher.deleteRule(name);
  rules.delete(name);
  rule.li.remove();
  log("delete", name, `(${rule.count} matches)`);
  renderRuleTotal();
  validateEditor();
}

function renderRuleTotal() {
  els.ruleTotal.textContent = `(${rules.size})`;
  els.rulesEmpty.hidden = rules.size > 0;
}

function log(action, name, extra = "") {
  const li = document.createElement("li");
  li.dataset.action = action;
  li.dataset.rule = name;
  li.dataset.seq = String(seq);
  li.textContent = `${action === "add" ? "added" : "deleted"} ${name} before event #${seq} ${extra}`.trim();
  els.log.prepend(li);
}

function compact(text) {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

// ---- the editor ----------------------------------------------------------------------------

function validateEditor() {
  const text = els.pattern.value;
  const name = els.name.value.trim();
  let state;
  let message;
  if (text.trim() === "") {
    state = "empty";
    message = "Type an EventBridge pattern.";
  } else {
    const reason = Matcher.validate(text);
    if (reason !== null) {
      state = "invalid";
      message = reason;
    } else {
      state = "valid";
      message = `Valid pattern${preview(text)}.`;
    }
  }
  els.status.dataset.state = state;
  els.status.replaceChildren();
  if (state === "invalid") {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = message;
    els.status.append("✗ ", reason);
  } else {
    els.status.textContent = state === "valid" ? `✓ ${message}` : message;
  }
  els.pattern.setAttribute("aria-invalid", String(state === "invalid"));
  const nameProblem = name === "" ? "Give the rule a name." : rules.has(name) ? `A rule named “${name}” exists.` : null;
  els.add.disabled = state !== "valid" || nameProblem !== null;
  els.add.title = nameProblem ?? "";
}

/** ", would match N of the last M events" — through a scratch matcher. */
function preview(text) {
  const shown = els.stream.children;
  if (shown.length === 0) return "";
  const scratch = new Matcher();
  try {
    scratch.addRule("preview", text);
    let hits = 0;
    for (const li of shown) if (scratch.matches(li.dataset.event).length) hits++;
    return `; it would match ${hits} of the ${shown.length} events shown`;
  } finally {
    scratch.free();
  }
}

function submitRule() {
  validateEditor();
  if (els.add.disabled) return;
  const name = els.name.value.trim();
  try {
    addRule(name, els.pattern.value);
  } catch (error) {
    els.status.dataset.state = "invalid";
    els.status.textContent = `✗ ${error.message}`;
    return;
  }
  els.name.value = uniqueName(name);
  validateEditor();
}

function uniqueName(base) {
  const stem = base.replace(/-\d+$/, "");
  for (let i = 2; ; i++) if (!rules.has(`${stem}-${i}`)) return `${stem}-${i}`;
}

for (const label of Object.keys(EXAMPLE_PATTERNS)) {
  const option = document.createElement("option");
  option.value = option.textContent = label;
  els.examples.append(option);
}
els.examples.addEventListener("change", () => {
  const pattern = EXAMPLE_PATTERNS[els.examples.value];
  if (pattern) {
    els.pattern.value = JSON.stringify(pattern, null, 2);
    validateEditor();
  }
  els.examples.value = "";
});
els.pattern.addEventListener("input", validateEditor);
els.name.addEventListener("input", validateEditor);
els.add.addEventListener("click", submitRule);
els.pattern.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submitRule();
});

// ---- the stream ----------------------------------------------------------------------------

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

  const li = document.createElement("li");
  li.className = names.length ? "event matched" : "event";
  li.dataset.seq = String(seq);
  li.dataset.event = text;
  li.dataset.matches = JSON.stringify(names);
  const line = document.createElement("div");
  line.className = "line";
  const cells = [
    ["seq", `#${seq}`],
    ["time", event.time.slice(11, 19)],
    ["source", event.source],
    ["dtype", event["detail-type"]],
    ["summary", summarize(event)],
  ];
  for (const [cls, content] of cells) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = content;
    line.append(span);
  }
  if (names.length) {
    const labels = document.createElement("span");
    labels.className = "labels";
    for (const name of names) {
      const label = document.createElement("span");
      label.className = "label";
      label.dataset.rule = name;
      label.style.setProperty("--rule-color", ruleColor(name));
      label.textContent = name;
      labels.append(label);
    }
    line.append(labels);
  }
  li.append(line);
  seq++;
  return li;
}

els.stream.addEventListener("click", (e) => {
  const li = e.target.closest("li.event");
  if (!li || e.target.closest("pre")) return;
  const pre = li.querySelector("pre");
  if (pre) pre.remove();
  else {
    const json = document.createElement("pre");
    json.textContent = JSON.stringify(JSON.parse(li.dataset.event), null, 2);
    li.append(json);
  }
});

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
  for (const rule of rules.values()) {
    rule.countEl.dataset.count = String(rule.count);
    rule.countEl.textContent = rule.count.toLocaleString("en-US");
  }
  renderStats();
  if (++ticks % 10 === 0 && els.status.dataset.state === "valid") validateEditor(); // refresh the preview
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

// ---- start ---------------------------------------------------------------------------------

if (params.get("rules") !== "none") {
  for (const { name, pattern } of EXAMPLE_RULES) addRule(name, JSON.stringify(pattern));
}
renderRuleTotal();
els.pattern.value = JSON.stringify({ source: ["aws.ec2"], detail: { state: ["terminated"] } }, null, 2);
validateEditor();
renderStats();
setInterval(tick, TICK_MS);
tick();
document.body.dataset.ready = "true";
