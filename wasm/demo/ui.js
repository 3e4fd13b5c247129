// The parts of the demo page both modes share: the example rules and patterns, the page's
// elements, rule and event items, the activity log and the pattern editor. demo.js runs the page
// on its own (events generated and matched in the page); bus-mode.js runs it fed by evmatch-bus.

import { Matcher } from "../pkg/web/evmatch.js";
import { summarize } from "./events.js";

export const EXAMPLE_RULES = [
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

export const EXAMPLE_PATTERNS = {
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

const $ = (selector) => document.querySelector(selector);
export const els = {
  toggle: $("#toggle"), onlyMatching: $("#only-matching"), stats: $("#stats"), connection: $("#connection"),
  name: $("#rule-name"), pattern: $("#pattern"), status: $("#pattern-status"), add: $("#add-rule"),
  examples: $("#examples"), rules: $("#rules"), rulesEmpty: $("#rules-empty"), ruleTotal: $("#rule-total"),
  log: $("#log"), stream: $("#stream"), filterRow: $("#filter-row"), filter: $("#filter"),
  filterStatus: $("#filter-status"),
};

// ---- rules ---------------------------------------------------------------------------------

const PALETTE = ["#b7791f", "#6b46c1", "#c53030", "#2b6cb0", "#2f855a", "#b83280", "#2c7a7b", "#4a5568", "#dd6b20"];
let colors = 0;
const ruleColors = new Map();
/** A colour per rule name, in the order names first appear. */
export function ruleColor(name) {
  if (!ruleColors.has(name)) ruleColors.set(name, PALETTE[colors++ % PALETTE.length]);
  return ruleColors.get(name);
}

/**
 * A rule's <li> (data-rule, data-pattern; name, match count, delete button, the pattern on one
 * line), appended to the rule list. Returns { li, countEl }.
 */
export function ruleItem(name, patternText, onDelete) {
  const li = document.createElement("li");
  li.dataset.rule = name;
  li.dataset.pattern = patternText;
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
  del.addEventListener("click", () => onDelete(name));
  head.append(label, count, del);
  const code = document.createElement("code");
  code.textContent = compact(patternText);
  code.title = patternText;
  li.append(head, code);
  els.rules.append(li);
  return { li, countEl: count };
}

export function setCount(countEl, count) {
  countEl.dataset.count = String(count);
  countEl.textContent = count.toLocaleString("en-US");
}

export function renderRuleTotal(size) {
  els.ruleTotal.textContent = `(${size})`;
  els.rulesEmpty.hidden = size > 0;
}

/** An activity log entry (data-action, data-rule, data-seq), newest first. */
export function log(action, name, seq, text) {
  const li = document.createElement("li");
  li.dataset.action = action;
  li.dataset.rule = name;
  li.dataset.seq = String(seq);
  li.textContent = text;
  els.log.prepend(li);
  return li;
}

export function compact(text) {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

// ---- the stream ----------------------------------------------------------------------------

/**
 * An event's <li>: data-seq, data-event (the exact JSON text matched), data-matches (the rule
 * names, JSON), and a line with the number, time, source, detail-type, a summary and a label per
 * rule. `highlight`: the .matched class when there are rule names.
 */
export function eventItem(seq, event, text, names, highlight = true) {
  const li = document.createElement("li");
  li.className = highlight && names.length ? "event matched" : "event";
  li.dataset.seq = String(seq);
  li.dataset.event = text;
  li.dataset.matches = JSON.stringify(names);
  const line = document.createElement("div");
  line.className = "line";
  const cells = [
    ["seq", `#${seq}`],
    ["time", String(event.time ?? "").slice(11, 19)],
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
  return li;
}

/** Clicking an event shows (or hides) its JSON. */
export function expandEventsOnClick() {
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
}

// ---- the editor ----------------------------------------------------------------------------

/** Shows a refusal in a status element: "✗ <reason>", the reason in a .reason span, then `note`. */
export function showRefusal(statusEl, reason, note = "") {
  statusEl.dataset.state = "invalid";
  statusEl.replaceChildren();
  const span = document.createElement("span");
  span.className = "reason";
  span.textContent = reason;
  statusEl.append("✗ ", span);
  if (note) {
    const small = document.createElement("span");
    small.className = "note";
    small.textContent = ` ${note}`;
    statusEl.append(small);
  }
}

/**
 * The pattern editor: validates as you type (`Matcher.validate`: AWS's reason for an invalid
 * pattern), previews what the pattern would match among the events shown, loads examples, and
 * on "Add rule" (or Ctrl+Enter) calls `submit(name, patternText)`, which adds the rule and
 * returns nothing, or a promise settled once the rule is in place, or throws / rejects with an
 * Error (shown as the editor's status: its `reason`, else its message; its `note` after it).
 * `hasRule(name)` says whether a name is taken. Returns `validate`, to call when the rules or
 * the stream change.
 */
export function createEditor({ hasRule, submit }) {
  let busy = false;

  function validate() {
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
    if (state === "invalid") showRefusal(els.status, message);
    else els.status.textContent = state === "valid" ? `✓ ${message}` : message;
    els.pattern.setAttribute("aria-invalid", String(state === "invalid"));
    const nameProblem = name === "" ? "Give the rule a name." : hasRule(name) ? `A rule named “${name}” exists.` : null;
    els.add.disabled = busy || state !== "valid" || nameProblem !== null;
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

  function refused(error) {
    showRefusal(els.status, error.reason ?? error.message, error.note);
    els.pattern.setAttribute("aria-invalid", "true");
  }

  function added(name) {
    els.name.value = uniqueName(name);
    validate();
  }

  function submitRule() {
    validate();
    if (els.add.disabled) return;
    const name = els.name.value.trim();
    let result;
    try {
      result = submit(name, els.pattern.value);
    } catch (error) {
      refused(error);
      return;
    }
    if (typeof result?.then !== "function") {
      added(name);
      return;
    }
    busy = true;
    validate();
    result.then(
      () => {
        busy = false;
        added(name);
      },
      (error) => {
        busy = false;
        validate();
        refused(error);
      },
    );
  }

  function uniqueName(base) {
    const stem = base.replace(/-\d+$/, "");
    for (let i = 2; ; i++) if (!hasRule(`${stem}-${i}`)) return `${stem}-${i}`;
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
      validate();
    }
    els.examples.value = "";
  });
  els.pattern.addEventListener("input", validate);
  els.name.addEventListener("input", validate);
  els.add.addEventListener("click", submitRule);
  els.pattern.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submitRule();
  });
  return { validate };
}
