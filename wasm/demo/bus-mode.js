// Bus mode of the demo page (`?bus=1`): the page generates no events; it is a client of the
// evmatch-bus that serves it. Its rules are the connection's subscriptions (adding a rule
// subscribes it, deleting one unsubscribes it; a pattern the bus refuses shows the reason from its
// Ack), the stream shows the events the bus delivers with the rules that matched them (the
// notification's `Rules`), and the filter box narrows the received events in the page, instantly,
// through a view of the client (`client.view(pattern)`: the WebAssembly engine).
//
// The client is evmatch-bus-client (bus/client/, compiled to dist/), which the bus serves at
// /client/; the engine is the WebAssembly build the bus serves at /pkg/ (initialised by demo.js).
// Events come from a publisher: `node wasm/demo/publish.mjs --key <publish key>`.
//
// URL parameters:
//   bus=1               this mode
//   apiKey=KEY          the bus's API key (default: that of a bus with the default --deployment-id
//                       and --app-version-id, base64 of "dev:evmatch-local")
//   host=H              the header's Host, when the bus has a --public-host (default: this page's hostname)
//   keep=N              how many events the stream shows (default 150); the client keeps
//                       max(N, 1000) for the filter
//   rules=none          start without the example rules
//   rule=NAME:PATTERN   a rule to subscribe at start (repeatable); PATTERN is the pattern's JSON text
//   filter=PATTERN      an initial filter
//
// The DOM carries the state, as in the standalone page (see demo.js), and more: <body> has
// data-mode="bus"; #connection has data-state (connecting, open, reconnecting, closed); every rule
// <li> has data-state (pending, active, refused, removing) and, once refused, a .refusal with the
// bus's message; event <li>s have data-seq (the order received, from 0); #stream has
// data-received (how many events were received) and data-filter (the view's pattern, or none);
// #filter-status has data-state (empty, valid, invalid).

import { Matcher } from "../pkg/web/evmatch.js";
import {
  EXAMPLE_RULES, createEditor, els, eventItem, expandEventsOnClick, log, renderRuleTotal, ruleItem, setCount, showRefusal,
} from "./ui.js";

/** The API key of a bus run with the default --deployment-id and --app-version-id. */
const DEFAULT_API_KEY = btoa("dev:evmatch-local");
const INVALID_PREFIX = "Event pattern is not valid. Reason: ";

export async function startBusMode(params) {
  document.body.dataset.mode = "bus";
  const keep = Math.max(1, Number(params.get("keep")) || 150);
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  setupPage();
  setConnection("connecting", `loading the client (/client/index.js)…`);

  let EventBusClient;
  try {
    ({ EventBusClient } = await import("../client/index.js"));
  } catch (error) {
    setConnection("closed", `cannot load the bus client from /client/index.js (${error.message}): build bus/client (npm ci && npm run build)`);
    document.body.dataset.ready = "true";
    return;
  }

  const client = new EventBusClient({
    url,
    apiKey: params.get("apiKey") ?? DEFAULT_API_KEY,
    host: params.get("host") ?? undefined,
    id: uuid(),
    engine: { Matcher },
    history: Math.max(keep, 1000),
  });

  /** name → { pattern (text), state, count, addedAt, li, countEl }, in the order added. */
  const rules = new Map();
  /** The number each received event got, in the order received. */
  const seqs = new WeakMap();
  let received = 0;
  /** The filter: a view of the client, or null for none. */
  let view = null;
  let lastClose = null;
  let everOpened = false;
  const editor = createEditor({
    hasRule: (name) => rules.has(name) && rules.get(name).state !== "refused",
    submit: subscribeRule,
  });

  const seqOf = (busEvent) => {
    let seq = seqs.get(busEvent);
    if (seq === undefined) seqs.set(busEvent, (seq = received++));
    return seq;
  };

  // ---- the connection ----------------------------------------------------------------------

  function setConnection(state, text) {
    els.connection.dataset.state = state;
    els.connection.textContent = text;
    els.connection.title = url;
  }

  function renderConnection(detail = "") {
    let last = lastClose ? ` · last close ${lastClose.code}${lastClose.reason ? ` ${lastClose.reason}` : ""}` : "";
    // A refused upgrade (403: wrong API key or Host) is only a 1006 to a WebSocket.
    if (!everOpened && lastClose?.code === 1006) last += ": refused or unreachable (check the apiKey and host parameters)";
    const text = {
      connecting: `connecting to ${url}…`,
      open: `connected to ${url}`,
      reconnecting: `reconnecting${detail}${last}`,
      closed: `closed${last}`,
    }[client.state];
    setConnection(client.state, text);
  }

  client.on("open", ({ reconnected }) => {
    everOpened = true;
    renderConnection();
    if (reconnected) log("reconnect", "", received, `reconnected after ${received} events; rules subscribed again`);
  });
  client.on("close", (info) => {
    lastClose = info;
    renderConnection();
  });
  client.on("reconnecting", ({ attempt, delayMs }) => {
    renderConnection(` (attempt ${attempt}, in ${(delayMs / 1000).toFixed(1)} s)`);
  });
  client.on("error", (error) => {
    // A kept rule the bus refused on a re-subscribe (the client dropped it), or a message the
    // client could not read.
    if (error.rule !== undefined && rules.get(error.rule)?.state === "active") {
      refuse(rules.get(error.rule), error.message);
    } else {
      log("error", error.rule ?? "", received, error.message);
    }
  });

  // ---- rules: subscriptions ----------------------------------------------------------------

  function subscribeRule(name, patternText) {
    const previous = rules.get(name);
    if (previous) previous.li.remove(); // a refused rule of that name
    const { li, countEl } = ruleItem(name, patternText, deleteRule);
    li.dataset.addedAt = String(received);
    li.dataset.state = "pending";
    const rule = { pattern: patternText, state: "pending", count: 0, addedAt: received, li, countEl };
    rules.set(name, rule);
    renderRuleTotal(rules.size);
    return client.subscribe(name, patternText).then(
      () => {
        if (rules.get(name) !== rule || rule.state !== "pending") return;
        rule.state = li.dataset.state = "active";
        log("add", name, received, `subscribed ${name} after ${received} events`);
        editor.validate();
      },
      (error) => {
        if (rules.get(name) === rule) refuse(rule, error.message);
        const refusal = new Error(error.message);
        refusal.reason = error.message.startsWith(INVALID_PREFIX) ? error.message.slice(INVALID_PREFIX.length) : error.message;
        refusal.note = "(refused by the bus)";
        throw refusal;
      },
    );
  }

  function refuse(rule, message) {
    const name = rule.li.dataset.rule;
    rule.state = rule.li.dataset.state = "refused";
    const refusal = document.createElement("p");
    refusal.className = "refusal";
    refusal.textContent = message;
    rule.li.append(refusal);
    log("refused", name, received, `the bus refused ${name}: ${message}`);
    editor.validate();
  }

  function deleteRule(name) {
    const rule = rules.get(name);
    if (!rule || rule.state === "removing") return;
    const forget = () => {
      rules.delete(name);
      rule.li.remove();
      renderRuleTotal(rules.size);
      editor.validate();
    };
    if (rule.state === "refused") {
      forget();
      return;
    }
    rule.state = rule.li.dataset.state = "removing";
    client.unsubscribe(name).then(
      () => {
        forget();
        log("delete", name, received, `unsubscribed ${name} after ${received} events (${rule.count} matches)`);
      },
      (error) => {
        // Still subscribed (unless its Subscribe was refused meanwhile: then it shows as refused).
        if (rule.state === "removing") rule.state = rule.li.dataset.state = "active";
        log("error", name, received, `unsubscribing ${name} failed: ${error.message}`);
      },
    );
  }

  // ---- the stream --------------------------------------------------------------------------

  function item(busEvent) {
    return eventItem(seqOf(busEvent), busEvent.event, busEvent.raw, busEvent.rules, false);
  }

  function show(busEvent) {
    els.stream.prepend(item(busEvent));
    while (els.stream.children.length > keep) els.stream.lastElementChild.remove();
  }

  function showAll(busEvents) {
    els.stream.replaceChildren(...busEvents.slice(-keep).reverse().map(item));
  }

  client.onEvent((busEvent) => {
    seqOf(busEvent);
    els.stream.dataset.received = String(received);
    for (const name of busEvent.rules) {
      const rule = rules.get(name);
      if (rule) setCount(rule.countEl, ++rule.count);
    }
    if (!view) show(busEvent); // else the view's listener shows it if it matches
    scheduleStats();
  });

  // ---- the filter: a view --------------------------------------------------------------------

  function applyFilter() {
    const text = els.filter.value;
    if (text.trim() === "") {
      view?.close();
      view = null;
      els.stream.dataset.filter = "none";
      els.filter.setAttribute("aria-invalid", "false");
      showAll(client.history);
      renderStats();
      return;
    }
    try {
      if (view) view.setPattern(text);
      else {
        view = client.view(text, { limit: keep });
        view.onEvent(show);
      }
    } catch (error) {
      if (error.name !== "PatternError") throw error;
      showRefusal(els.filterStatus, error.reason ?? error.message, view ? "(the previous filter stays)" : "");
      els.filter.setAttribute("aria-invalid", "true");
      return;
    }
    els.stream.dataset.filter = view.pattern;
    els.filter.setAttribute("aria-invalid", "false");
    showAll(view.events);
    renderStats();
  }

  function renderFilterStatus() {
    const status = els.filterStatus;
    if (els.filter.getAttribute("aria-invalid") === "true") return; // the refusal stays until the text changes
    if (!view) {
      status.dataset.state = "empty";
      status.textContent = "No filter: every received event is shown. Type a pattern to filter them here, in the page.";
    } else {
      status.dataset.state = "valid";
      const kept = client.history.length;
      status.textContent = `✓ ${view.events.length.toLocaleString("en-US")} of the ${kept < received ? "last " : ""}`
        + `${kept.toLocaleString("en-US")} events received match the filter.`;
    }
  }

  let statsTimer = null;
  let previewAt = 0;
  function scheduleStats() {
    statsTimer ??= setTimeout(renderStats, 100);
  }

  function renderStats() {
    clearTimeout(statsTimer);
    statsTimer = null;
    els.stats.textContent = `${received.toLocaleString("en-US")} events received · `
      + `${els.stream.children.length.toLocaleString("en-US")} shown`;
    renderFilterStatus();
    if (els.status.dataset.state === "valid" && performance.now() - previewAt > 500) {
      previewAt = performance.now();
      editor.validate(); // refresh the preview of what the pattern would match
    }
  }

  els.filter.addEventListener("input", applyFilter);
  expandEventsOnClick();

  // ---- start ---------------------------------------------------------------------------------

  const start = [];
  if (params.get("rules") !== "none") {
    for (const { name, pattern } of EXAMPLE_RULES) start.push([name, JSON.stringify(pattern)]);
  }
  for (const spec of params.getAll("rule")) {
    const colon = spec.indexOf(":");
    if (colon > 0) start.push([spec.slice(0, colon), spec.slice(colon + 1)]);
  }
  for (const [name, pattern] of start) subscribeRule(name, pattern).catch(() => {}); // refusals show on the rule
  renderRuleTotal(rules.size);
  els.pattern.value = JSON.stringify({ source: ["aws.ec2"], detail: { state: ["terminated"] } }, null, 2);
  editor.validate();
  if (params.has("filter")) els.filter.value = params.get("filter");
  applyFilter();
  renderConnection();
  document.body.dataset.ready = "true";
}

/** The page's static changes for bus mode: no pause, no "only matching" (every event matches a rule). */
function setupPage() {
  els.toggle.hidden = true;
  els.onlyMatching.closest("label").hidden = true;
  els.connection.hidden = false;
  els.filterRow.hidden = false;
  document.querySelector("h1 .sub").textContent =
    "fed by evmatch-bus: rules are subscriptions, the filter runs in the page (WebAssembly)";
  const rulesHeading = els.rules.closest(".panel").querySelector("h2").firstChild;
  rulesHeading.textContent = "Subscribed rules ";
  document.querySelector("#stream-panel h2").firstChild.textContent = "Events from the bus ";
  els.stats.textContent = "";
}

/** A random v4 UUID: crypto.randomUUID needs a secure context (http://127.0.0.1 is one, a LAN address is not). */
function uuid() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
