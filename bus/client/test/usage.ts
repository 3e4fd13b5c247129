// Compiled (never run) by test/types.test.mjs: what an application writes must type-check, and
// what it must not write must not (each @ts-expect-error line is a mistake the types catch).
import {
  AckError,
  ClientCloseCode,
  EventBusClient,
  PatternError,
  TimeoutError,
  apiKeyFor,
  type BusEvent,
  type CloseInfo,
  type ConnectionState,
  type EventBusClientOptions,
  type ResumeFailedInfo,
  type View,
} from "evmatch-bus-client";
import { Matcher } from "../../../wasm/pkg/node/evmatch.js";

const options: EventBusClientOptions = {
  url: "wss://bus.example.com/ws",
  apiKey: apiKeyFor("stack-id", "app-version"),
  id: crypto.randomUUID(),
  WebSocket, // the DOM's constructor fits the option
  engine: { Matcher }, // and so does the evmatch package's Matcher class
  keepAliveTimeoutMs: 150_000,
  reconnectBaseDelayMs: 500,
  reconnectMaxDelayMs: 30_000,
  history: 500,
  resumeFrom: 1234, // say, lastSequence saved by the page before it was reloaded
};
const client = new EventBusClient(options);
// Several nodes, taken in turn on each reconnect (a readonly array fits).
const nodes = ["wss://a.bus.example.com/ws", "wss://b.bus.example.com/ws"] as const;
const many = new EventBusClient({ url: nodes, apiKey: "k", id: "i" });
const current: string = many.url;
const opened: string = many.connectionUrl;
const last: number | undefined = many.lastSequence;
void [current, opened, last];
// @ts-expect-error: lastSequence is read-only
many.lastSequence = 3;
// @ts-expect-error: url is a string or strings
void new EventBusClient({ url: [1], apiKey: "k", id: "i" });
// @ts-expect-error: resumeFrom is a number
void new EventBusClient({ url: "ws://x/ws", apiKey: "k", id: "i", resumeFrom: "7" });

const stop: () => void = client.onEvent((event: BusEvent) => {
  const rules: string[] = event.rules;
  const source: string = event.source;
  const type: string = event.type;
  const raw: string = event.raw;
  const sequence: number | undefined = event.sequence;
  void sequence;
  const detailType: string = event.event["detail-type"];
  const detail: unknown = event.event.detail;
  void [rules, source, type, raw, detailType, detail];
});
stop();
client.on("close", (info: CloseInfo) => {
  const code: number = info.code;
  const again: boolean = info.willReconnect;
  void [code, again, code === ClientCloseCode.KeepAliveTimeout];
});
client.on("reconnecting", ({ attempt, delayMs, url }) => void [attempt + delayMs, url satisfies string]);
client.on("resumefailed", (info: ResumeFailedInfo) => {
  const message: string = info.message;
  const from: number = info.lastSequence;
  void [message, from];
});
client.on("close", ({ code }) => void (code === ClientCloseCode.ResumeFailed));
client.on("open", ({ reconnected }) => void (reconnected satisfies boolean));
client.on("error", (error) => void (error.message satisfies string));
// @ts-expect-error: no such event
client.on("message", () => {});
// @ts-expect-error: the open event carries OpenInfo, not a BusEvent
client.on("open", (event: BusEvent) => void event);

async function actions(): Promise<void> {
  await client.ready();
  await client.subscribe("orders", { source: ["app.orders"] });
  await client.subscribe("text", '{"source": ["app.text"]}');
  await client.unsubscribe("orders");
  try {
    await client.subscribe("bad", { source: "app.orders" });
  } catch (error) {
    if (error instanceof AckError) void (error.message + error.action + (error.rule ?? ""));
    if (error instanceof TimeoutError) void error.message;
  }
  // @ts-expect-error: a rule name is a string
  await client.subscribe(1, {});
}
void actions;

const state: ConnectionState = client.state;
const rules: ReadonlyMap<string, string> = client.rules;
void [state, rules];

const view: View = client.view({ detail: { amount: [{ numeric: [">", 100] }] } }, { limit: 50 });
const matching: BusEvent[] = view.events;
const unsubscribeView: () => void = view.onEvent((event) => void event.raw);
try {
  view.setPattern({ source: "not-a-list" });
} catch (error) {
  if (error instanceof PatternError) void (error.reason satisfies string);
}
// @ts-expect-error: events is read-only
view.events = [];
void [matching, unsubscribeView];
view.close();
client.close();
