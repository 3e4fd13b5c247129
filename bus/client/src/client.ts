// EventBusClient: one logical connection to evmatch-bus (the LambdaSharp App EventBus protocol),
// kept up across reconnects, with the rules it subscribed.

import { AckError, ClosedError, TimeoutError } from "./errors.js";
import {
  base64Utf8,
  clearTimer,
  globalWebSocket,
  parseUrl,
  randomUUID,
  reportError,
  setTimer,
  type TimerHandle,
} from "./host.js";
import {
  ClientCloseCode,
  type BusEvent,
  type ConnectionState,
  type Engine,
  type EventBridgeEvent,
  type EventBusClientEventMap,
  type EventBusClientOptions,
  type Pattern,
  type ViewOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./types.js";
import { patternText, ViewSet, type View } from "./view.js";

/** The header document of the `header` query parameter. */
export interface HeaderDocument {
  Host: string;
  ApiKey: string;
  Id: string;
}

/** The `header` query parameter: base64 of the JSON header document `{"Host", "ApiKey", "Id"}`. */
export function encodeHeader(header: HeaderDocument): string {
  return base64Utf8(JSON.stringify({ Host: header.Host, ApiKey: header.ApiKey, Id: header.Id }));
}

/**
 * The API key: base64 of `<app version id>:<deployment id>`, or of the deployment id alone when
 * `appVersionId` is omitted (the bus's dev mode).
 */
export function apiKeyFor(deploymentId: string, appVersionId?: string): string {
  return base64Utf8(appVersionId === undefined ? deploymentId : `${appVersionId}:${deploymentId}`);
}

/** What {@link connectionUrl} needs: one URL, and the header's fields. */
export interface ConnectionUrlOptions {
  url: string;
  apiKey: string;
  id: string;
  host?: string;
}

/** The WebSocket URL the client opens: `url` (http(s) turned into ws(s)) with its `header` parameter. */
export function connectionUrl(options: ConnectionUrlOptions): string {
  const url = parseUrl(options.url);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  const host = options.host ?? url.hostname.replace(/^\[(.*)\]$/, "$1");
  url.searchParams.set("header", encodeHeader({ Host: host, ApiKey: options.apiKey, Id: options.id }));
  return url.toString();
}

type Listener<K extends keyof EventBusClientEventMap> = (value: EventBusClientEventMap[K]) => void;

/** An action awaiting its Ack. */
interface Request {
  id: string;
  action: string;
  fields: { Rule?: string; Pattern?: string; LastSequence?: number };
  /** Internal requests (Hello, re-subscribes) are not re-sent after a reconnect: they are redone. */
  internal: boolean;
  timer?: TimerHandle;
  ok(): void;
  fail(error: Error): void;
}

/** A `Resume` sent on the current connection and not yet acknowledged. */
interface Resuming {
  /** The `LastSequence` sent. */
  last: number;
  /**
   * The events received meanwhile (live ones that came before the replay, replayed ones, live
   * ones held during the replay), delivered in sequence order once the Ack says how.
   */
  buffer: BusEvent[];
}

/** How long after an `error` event the client waits for the `close` event before it gives up itself. */
const ERROR_CLOSE_GRACE_MS = 100;

const DEFAULTS = {
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  keepAliveTimeoutMs: 150_000,
  helloIntervalMs: 300_000,
  reconnect: true,
  reconnectBaseDelayMs: 500,
  reconnectMaxDelayMs: 30_000,
  history: 1000,
};

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new TypeError(`EventBusClient: option ${name} must be a number >= 0, not ${String(value)}`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A client of evmatch-bus. It connects at once, sends Hello, and keeps the connection up:
 * after a lost connection it reconnects with jittered exponential backoff, says Hello again and
 * re-subscribes every rule it holds. See the package README.
 */
export class EventBusClient {
  /** The header's `Id`. */
  readonly id: string;

  readonly #WebSocket: WebSocketConstructor;
  readonly #engine: Engine | undefined;
  readonly #requestTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #keepAliveTimeoutMs: number;
  readonly #helloIntervalMs: number;
  readonly #reconnect: boolean;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #historyLimit: number;
  /** The `url` option's URLs, and the same with their `header` parameter. */
  readonly #urls: string[];
  readonly #connectionUrls: string[];
  /** Which of them the current (or next) connection opens. */
  #urlIndex = 0;

  #state: ConnectionState = "connecting";
  #closed = false;
  #ws: WebSocketLike | null = null;
  /** Whether the current connection's Hello was acknowledged (actions may be sent). */
  #helloAcked = false;
  #everOpened = false;
  #attempt = 0;
  #connectTimer: TimerHandle | undefined;
  #watchdog: TimerHandle | undefined;
  #helloTimer: TimerHandle | undefined;
  #reconnectTimer: TimerHandle | undefined;
  /** The `Sequence` of the last event delivered (or `resumeFrom`); undefined: start afresh. */
  #lastSequence: number | undefined;
  #resuming: Resuming | null = null;

  /** Actions waiting for the connection's Hello to be acknowledged, in call order. */
  #queue: Request[] = [];
  /** Actions sent on the current connection, awaiting their Ack, in send order. */
  readonly #inflight = new Map<string, Request>();
  /** The rules the server acknowledged (name -> pattern text): re-subscribed on every reconnect. */
  readonly #rules = new Map<string, string>();
  readonly #listeners: { [K in keyof EventBusClientEventMap]: Set<Listener<K>> } = {
    event: new Set(),
    open: new Set(),
    close: new Set(),
    reconnecting: new Set(),
    resumefailed: new Set(),
    error: new Set(),
  };
  #readyWaiters: { resolve(): void; reject(error: Error): void }[] = [];
  readonly #history: BusEvent[] = [];
  #views: ViewSet | null = null;

  constructor(options: EventBusClientOptions) {
    if (!isObject(options)) throw new TypeError("EventBusClient: options must be an object");
    for (const name of ["apiKey", "id"] as const) {
      if (typeof options[name] !== "string") throw new TypeError(`EventBusClient: option ${name} must be a string`);
    }
    const urls: unknown = typeof options.url === "string" ? [options.url] : options.url;
    if (!Array.isArray(urls) || urls.length === 0 || !urls.every((url) => typeof url === "string")) {
      throw new TypeError("EventBusClient: option url must be a string or a non-empty array of strings");
    }
    const WebSocket = options.WebSocket ?? (globalWebSocket() as WebSocketConstructor | undefined);
    if (typeof WebSocket !== "function") {
      throw new TypeError(
        "EventBusClient: there is no global WebSocket (Node.js 20 needs --experimental-websocket; Node.js 22 has it): " +
          "pass a WebSocket constructor as the WebSocket option",
      );
    }
    this.#WebSocket = WebSocket;
    this.id = options.id;
    this.#urls = urls.slice();
    this.#connectionUrls = this.#urls.map((url) =>
      connectionUrl({ url, apiKey: options.apiKey, id: options.id, ...(options.host === undefined ? {} : { host: options.host }) }),
    );
    this.#engine = options.engine;
    this.#requestTimeoutMs = nonNegative("requestTimeoutMs", options.requestTimeoutMs, DEFAULTS.requestTimeoutMs);
    this.#connectTimeoutMs = nonNegative("connectTimeoutMs", options.connectTimeoutMs, DEFAULTS.connectTimeoutMs);
    this.#keepAliveTimeoutMs = nonNegative("keepAliveTimeoutMs", options.keepAliveTimeoutMs, DEFAULTS.keepAliveTimeoutMs);
    this.#helloIntervalMs = nonNegative("helloIntervalMs", options.helloIntervalMs, DEFAULTS.helloIntervalMs);
    this.#reconnect = options.reconnect ?? DEFAULTS.reconnect;
    this.#baseDelayMs = nonNegative("reconnectBaseDelayMs", options.reconnectBaseDelayMs, DEFAULTS.reconnectBaseDelayMs);
    this.#maxDelayMs = Math.max(
      this.#baseDelayMs,
      nonNegative("reconnectMaxDelayMs", options.reconnectMaxDelayMs, DEFAULTS.reconnectMaxDelayMs),
    );
    this.#historyLimit = Math.floor(nonNegative("history", options.history, DEFAULTS.history));
    if (options.resumeFrom !== undefined && !(Number.isSafeInteger(options.resumeFrom) && options.resumeFrom >= 0)) {
      throw new TypeError(`EventBusClient: option resumeFrom must be an integer >= 0, not ${String(options.resumeFrom)}`);
    }
    this.#lastSequence = options.resumeFrom;
    this.#connect();
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The URL (one of the `url` option's) of the current connection, or of the next one while reconnecting. */
  get url(): string {
    return this.#urls[this.#urlIndex]!;
  }

  /** The WebSocket URL of the current (or next) connection: {@link url} with its `header` parameter. */
  get connectionUrl(): string {
    return this.#connectionUrls[this.#urlIndex]!;
  }

  /**
   * The `Sequence` of the last event delivered (emitted as `event`), or `resumeFrom` before
   * the first; undefined before any (or after a failed resume, until the next event). A
   * reconnect resumes from it; a page may save it and pass it back as `resumeFrom`.
   */
  get lastSequence(): number | undefined {
    return this.#lastSequence;
  }

  /** The subscribed rules (name -> pattern JSON text), as acknowledged by the server: a copy. */
  get rules(): ReadonlyMap<string, string> {
    return new Map(this.#rules);
  }

  /** The events kept for views (at most `history`), oldest first: a copy. */
  get history(): BusEvent[] {
    return this.#history.slice();
  }

  /**
   * Creates the rule `rule` or replaces its pattern. Resolves on `Ack` `Ok` (the rule is then
   * kept, and re-subscribed after every reconnect); rejects with an {@link AckError} whose message
   * is the server's (`Event pattern is not valid. Reason: ...` for a pattern EventBridge refuses),
   * a {@link TimeoutError} after `requestTimeoutMs`, or a {@link ClosedError}.
   */
  subscribe(rule: string, pattern: Pattern): Promise<void> {
    let text: string;
    try {
      if (typeof rule !== "string") throw new TypeError("subscribe: the rule name must be a string");
      text = patternText(pattern);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#request("Subscribe", { Rule: rule, Pattern: text }, () => {
      this.#rules.set(rule, text);
    });
  }

  /** Deletes the rule `rule`. Resolves on `Ack` `Ok`, rejects as `subscribe` does. */
  unsubscribe(rule: string): Promise<void> {
    if (typeof rule !== "string") return Promise.reject(new TypeError("unsubscribe: the rule name must be a string"));
    return this.#request("Unsubscribe", { Rule: rule }, () => {
      this.#rules.delete(rule);
    });
  }

  /** Resolves once the client is `open` (at once if it is); rejects with a {@link ClosedError} once it is closed. */
  ready(): Promise<void> {
    if (this.#state === "open") return Promise.resolve();
    if (this.#closed) return Promise.reject(new ClosedError("EventBusClient is closed"));
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof EventBusClientEventMap>(type: K, listener: (value: EventBusClientEventMap[K]) => void): () => void {
    const set = this.#listeners[type] as Set<Listener<K>> | undefined;
    if (!set) throw new TypeError(`EventBusClient.on: unknown event type ${String(type)}`);
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Removes a listener added with `on`. */
  off<K extends keyof EventBusClientEventMap>(type: K, listener: (value: EventBusClientEventMap[K]) => void): void {
    (this.#listeners[type] as Set<Listener<K>> | undefined)?.delete(listener);
  }

  /** `on("event", listener)`: every event this connection receives. */
  onEvent(listener: (event: BusEvent) => void): () => void {
    return this.on("event", listener);
  }

  /**
   * A local filter over the events this client receives, matched by the evmatch engine (the
   * `engine` option): `events` holds the matching kept events at once, `onEvent` tells of new
   * ones. Throws a {@link PatternError} for a pattern EventBridge refuses, and an Error when the
   * client has no engine.
   */
  view(pattern: Pattern, options: ViewOptions = {}): View {
    if (!this.#engine) {
      throw new Error(
        "EventBusClient.view() needs the evmatch engine: pass `engine: { Matcher }` (import { Matcher } from \"evmatch\"; " +
          "in browsers, after `await init()`) to the EventBusClient constructor",
      );
    }
    const limit = Math.floor(nonNegative("limit", options.limit, 0));
    this.#views ??= new ViewSet(
      this.#engine,
      () => this.#history,
      (error) => this.#emit("error", error),
      (error) => this.#listenerError(error),
    );
    return this.#views.create(pattern, limit);
  }

  /**
   * Closes the connection for good: no reconnect; pending and queued actions are rejected with a
   * {@link ClosedError}; a last `close` event (code 1000, `willReconnect: false`) is emitted.
   * Views and `history` stay readable.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = "closed";
    clearTimer(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#resuming = null;
    const ws = this.#ws;
    this.#dropSocket();
    if (ws) {
      try {
        ws.close(ClientCloseCode.Closed, "closed by the client");
      } catch {
        // already closing
      }
    }
    this.#failAll(new ClosedError("EventBusClient was closed"));
    this.#emit("close", { code: ClientCloseCode.Closed, reason: "closed by the client", wasClean: true, willReconnect: false });
  }

  // --- connection ---------------------------------------------------------------------------

  #connect(): void {
    this.#reconnectTimer = undefined;
    if (this.#closed) return;
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(this.#connectionUrls[this.#urlIndex]!);
    } catch (error) {
      this.#emit("error", error instanceof Error ? error : new Error(String(error)));
      this.#lost(1006, `cannot open the WebSocket: ${error instanceof Error ? error.message : String(error)}`, false);
      return;
    }
    this.#ws = ws;
    if (this.#connectTimeoutMs > 0) {
      this.#connectTimer = setTimer(
        () => this.#abort(ClientCloseCode.ConnectTimeout, `not open with Hello acknowledged within ${this.#connectTimeoutMs} ms`),
        this.#connectTimeoutMs,
      );
    }
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#armWatchdog();
      this.#sendHello();
    };
    ws.onmessage = (event: { data?: unknown }) => {
      if (this.#ws !== ws) return;
      this.#armWatchdog();
      this.#receive(event.data);
    };
    ws.onclose = (event: { code?: number; reason?: string; wasClean?: boolean }) => {
      if (this.#ws !== ws) return;
      this.#lost(event.code ?? 1006, event.reason ?? "", event.wasClean ?? false);
    };
    ws.onerror = () => {
      // A close event normally follows at once and says what there is to say; but some
      // implementations (Node.js 20's, after a refused upgrade such as a 403) report only the
      // error and leave the socket CONNECTING forever. So: give the close event a moment.
      setTimer(() => {
        if (this.#ws !== ws) return;
        this.#dropSocket();
        try {
          ws.close();
        } catch {
          // not closable in its state
        }
        this.#lost(1006, "connection failed", false, true);
      }, ERROR_CLOSE_GRACE_MS);
    };
  }

  /** Gives up on the current connection (the client's own decision) and reconnects. */
  #abort(code: number, reason: string): void {
    const ws = this.#ws;
    if (!ws) return;
    this.#dropSocket();
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
    this.#lost(code, reason, false, true);
  }

  /** Detaches the current socket (its events are ignored from now on) and stops its timers. */
  #dropSocket(): void {
    const ws = this.#ws;
    this.#ws = null;
    this.#helloAcked = false;
    clearTimer(this.#connectTimer);
    clearTimer(this.#watchdog);
    clearTimer(this.#helloTimer);
    this.#connectTimer = this.#watchdog = this.#helloTimer = undefined;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => {};
    }
  }

  /** The connection ended: re-queue what was in flight, tell, and reconnect (or stop). */
  #lost(code: number, reason: string, wasClean: boolean, dropped = false): void {
    if (!dropped) this.#dropSocket();
    // A resume cut short: what it delivered so far is not known to be complete up to any
    // sequence, so none of it is delivered; the next connection resumes from the same point.
    this.#resuming = null;
    const resend: Request[] = [];
    for (const request of this.#inflight.values()) {
      if (request.internal) clearTimer(request.timer);
      else resend.push(request);
    }
    this.#inflight.clear();
    this.#queue = [...resend, ...this.#queue];

    const willReconnect = this.#reconnect && !this.#closed;
    if (!willReconnect) {
      this.#closed = true;
      this.#state = "closed";
      this.#failAll(new ClosedError(`the connection was closed (${code}${reason ? ` ${reason}` : ""}) and reconnect is off`));
    } else {
      this.#state = "reconnecting";
    }
    this.#emit("close", { code, reason, wasClean, willReconnect });
    if (!willReconnect || this.#closed) return;

    this.#attempt += 1;
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    const cap = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.min(this.#attempt - 1, 30));
    const delayMs = Math.round(cap / 2 + (Math.random() * cap) / 2);
    this.#emit("reconnecting", { attempt: this.#attempt, delayMs, url: this.url });
    if (this.#closed || this.#reconnectTimer !== undefined) return;
    this.#reconnectTimer = setTimer(() => this.#connect(), delayMs);
  }

  #armWatchdog(): void {
    clearTimer(this.#watchdog);
    this.#watchdog = undefined;
    if (this.#keepAliveTimeoutMs > 0) {
      this.#watchdog = setTimer(
        () => this.#abort(ClientCloseCode.KeepAliveTimeout, `nothing received for ${this.#keepAliveTimeoutMs} ms`),
        this.#keepAliveTimeoutMs,
      );
    }
  }

  /** After the client has sent nothing for `helloIntervalMs`, a Hello keeps the server's idle timeout away. */
  #armHelloTimer(): void {
    clearTimer(this.#helloTimer);
    this.#helloTimer = undefined;
    if (this.#helloIntervalMs > 0 && this.#helloAcked) {
      this.#helloTimer = setTimer(() => {
        this.#helloTimer = undefined;
        this.#send({
          id: randomUUID(),
          action: "Hello",
          fields: {},
          internal: true,
          ok: () => {},
          fail: (error) => this.#emit("error", error),
        });
      }, this.#helloIntervalMs);
    }
  }

  #sendHello(): void {
    const ws = this.#ws;
    this.#send({
      id: randomUUID(),
      action: "Hello",
      fields: {},
      internal: true,
      ok: () => {
        if (this.#ws === ws) this.#helloAcknowledged();
      },
      fail: (error) => {
        if (this.#ws !== ws) return;
        this.#emit("error", error);
        this.#abort(ClientCloseCode.HelloRefused, `Hello refused: ${error.message}`);
      },
    });
  }

  /**
   * Hello acknowledged: re-subscribe the kept rules, send the queued actions, then (if an event
   * was delivered before, or `resumeFrom` says where to start) `Resume`, in that order. The
   * server answers actions in order, so the resume replays what matches the rules the
   * connection has by then. `open` follows the Acks of the re-subscribes and the resume.
   */
  #helloAcknowledged(): void {
    const ws = this.#ws;
    clearTimer(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#helloAcked = true;
    const reconnected = this.#everOpened;
    this.#everOpened = true;

    const rules = [...this.#rules];
    const last = this.#lastSequence;
    let outstanding = rules.length + (last === undefined ? 0 : 1);
    const settled = () => {
      outstanding -= 1;
      if (outstanding === 0 && this.#ws === ws) this.#opened(reconnected);
    };
    for (const [rule, pattern] of rules) {
      const request: Request = {
        id: randomUUID(),
        action: "Subscribe",
        fields: { Rule: rule, Pattern: pattern },
        internal: true,
        ok: settled,
        fail: (error) => {
          if (error instanceof AckError && this.#rules.get(rule) === pattern) this.#rules.delete(rule);
          this.#emit("error", new AckError(`re-subscribe of rule "${rule}" failed: ${error.message}`, "Subscribe", rule));
          settled();
        },
      };
      this.#startTimer(request);
      this.#send(request);
    }
    const queued = this.#queue;
    this.#queue = [];
    for (const request of queued) this.#send(request);
    if (last !== undefined) this.#sendResume(last, settled);
    this.#armHelloTimer();
    if (outstanding === 0) this.#opened(reconnected);
  }

  /**
   * Sends `Resume` from `last`. Events received until its Ack are held back; the Ack says what
   * becomes of them: Ok, they are delivered in sequence order, none up to `last` (the server
   * replayed exactly what was missed); "Resume impossible" (or a refusal of any other kind but
   * "Resume failed"), `resumefailed` is emitted and the client carries on afresh; "Resume
   * failed" (the server could not read its stream now) or no Ack in time, the connection is
   * dropped and the next one resumes from `last` again.
   */
  #sendResume(last: number, settled: () => void): void {
    const ws = this.#ws;
    this.#resuming = { last, buffer: [] };
    const request: Request = {
      id: randomUUID(),
      action: "Resume",
      fields: { LastSequence: last },
      internal: true,
      ok: () => {
        if (this.#ws !== ws) return;
        this.#endResume(undefined);
        settled();
      },
      fail: (error) => {
        if (this.#ws !== ws) return;
        if (error instanceof TimeoutError || error.message.startsWith("Resume failed")) {
          // Tell why (the server's message may not fit in a close frame's 123 bytes), then retry.
          this.#emit("error", error);
          if (this.#ws !== ws) return;
          this.#abort(
            ClientCloseCode.ResumeFailed,
            error instanceof TimeoutError ? "Resume not acknowledged in time" : "Resume failed on the server",
          );
          return;
        }
        this.#endResume(error.message);
        settled();
      },
    };
    this.#startTimer(request);
    this.#send(request);
  }

  /** The resume's Ack came: deliver what was held back (after `resumefailed` if `failure`). */
  #endResume(failure: string | undefined): void {
    const resuming = this.#resuming;
    this.#resuming = null;
    if (!resuming) return;
    if (failure !== undefined) {
      this.#lastSequence = undefined;
      this.#emit("resumefailed", { message: failure, lastSequence: resuming.last });
    }
    const held = resuming.buffer;
    // Live events that came before the replay have later sequences than the replayed ones.
    if (held.every((event) => event.sequence !== undefined)) held.sort((a, b) => a.sequence! - b.sequence!);
    for (const event of held) {
      if (this.#closed) return;
      this.#deliver(event);
    }
  }

  #opened(reconnected: boolean): void {
    this.#state = "open";
    this.#attempt = 0;
    this.#emit("open", { reconnected });
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  // --- actions ------------------------------------------------------------------------------

  #request(action: string, fields: Request["fields"], onOk: () => void): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError("EventBusClient is closed"));
    return new Promise<void>((resolve, reject) => {
      const request: Request = {
        id: randomUUID(),
        action,
        fields,
        internal: false,
        ok: () => {
          onOk();
          resolve();
        },
        fail: reject,
      };
      this.#startTimer(request);
      if (this.#helloAcked) this.#send(request);
      else this.#queue.push(request);
    });
  }

  #startTimer(request: Request): void {
    if (this.#requestTimeoutMs <= 0) return;
    request.timer = setTimer(() => {
      this.#inflight.delete(request.id);
      const index = this.#queue.indexOf(request);
      if (index >= 0) this.#queue.splice(index, 1);
      const what = request.fields.Rule === undefined ? request.action : `${request.action} of rule "${request.fields.Rule}"`;
      request.fail(new TimeoutError(`${what}: no Ack within ${this.#requestTimeoutMs} ms`));
    }, this.#requestTimeoutMs);
  }

  #send(request: Request): void {
    const ws = this.#ws;
    if (!ws) {
      if (!request.internal) this.#queue.push(request);
      return;
    }
    this.#inflight.set(request.id, request);
    try {
      ws.send(JSON.stringify({ Action: request.action, RequestId: request.id, ...request.fields }));
    } catch {
      // The socket is closing: its close event re-queues the request.
      return;
    }
    this.#armHelloTimer();
  }

  #failAll(error: Error): void {
    const requests = [...this.#inflight.values(), ...this.#queue];
    this.#inflight.clear();
    this.#queue = [];
    for (const request of requests) {
      clearTimer(request.timer);
      if (!request.internal) request.fail(error);
    }
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  // --- notifications ------------------------------------------------------------------------

  #receive(data: unknown): void {
    if (typeof data !== "string") {
      this.#emit("error", new Error("the server sent a binary message; the protocol has only text ones"));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      this.#emit("error", new Error(`the server sent a message that is not JSON: ${data.slice(0, 200)}`));
      return;
    }
    if (!isObject(message)) {
      this.#emit("error", new Error(`the server sent a message that is not a JSON object: ${data.slice(0, 200)}`));
      return;
    }
    // Fields other than those read here are ignored: the protocol may grow.
    switch (message.Action) {
      case "Ack":
        this.#ack(message);
        break;
      case "Event":
        this.#event(message);
        break;
      default:
        // KeepAlive (it has done its work: the watchdog was re-armed), or an action of a later protocol.
        break;
    }
  }

  #ack(message: Record<string, unknown>): void {
    const id = message.RequestId;
    if (typeof id !== "string") return;
    const request = this.#inflight.get(id);
    if (!request) return; // timed out, or not ours
    this.#inflight.delete(id);
    clearTimer(request.timer);
    if (message.Status === "Ok") {
      request.ok();
    } else {
      const text =
        typeof message.Message === "string" ? message.Message : `${request.action} failed (Status ${JSON.stringify(message.Status)})`;
      request.fail(new AckError(text, request.action, request.fields.Rule));
    }
  }

  #event(message: Record<string, unknown>): void {
    const payload = message.Event;
    const raw = typeof payload === "string" ? payload : isObject(payload) ? JSON.stringify(payload) : undefined;
    let event: unknown;
    try {
      event = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      event = undefined;
    }
    if (raw === undefined || !isObject(event)) {
      this.#emit("error", new Error("the server sent an Event notification whose Event is not a JSON object"));
      return;
    }
    const parsed = event as EventBridgeEvent;
    const busEvent: BusEvent = {
      rules: Array.isArray(message.Rules) ? message.Rules.filter((rule): rule is string => typeof rule === "string") : [],
      source: typeof message.Source === "string" ? message.Source : String(parsed.source ?? ""),
      type: typeof message.Type === "string" ? message.Type : String(parsed["detail-type"] ?? ""),
      event: parsed,
      raw,
      requestId: typeof message.RequestId === "string" ? message.RequestId : "",
    };
    const sequence = message.Sequence;
    if (typeof sequence === "number" && Number.isInteger(sequence) && sequence >= 0) busEvent.sequence = sequence;
    if (this.#resuming) this.#resuming.buffer.push(busEvent);
    else this.#deliver(busEvent);
  }

  /**
   * Keeps and emits an event, unless its sequence is not after the last delivered one (it was
   * delivered already: a node that lags behind the one the client left may send it again).
   */
  #deliver(busEvent: BusEvent): void {
    const sequence = busEvent.sequence;
    if (sequence !== undefined) {
      if (this.#lastSequence !== undefined && sequence <= this.#lastSequence) return;
      this.#lastSequence = sequence;
    }
    const kept = this.#historyLimit > 0;
    if (kept) {
      this.#history.push(busEvent);
      if (this.#history.length > this.#historyLimit) {
        const evicted = this.#history.shift()!;
        this.#views?.evict(evicted);
      }
    }
    this.#views?.add(busEvent, kept);
    this.#emit("event", busEvent);
  }

  // --- listeners ----------------------------------------------------------------------------

  #emit<K extends keyof EventBusClientEventMap>(type: K, value: EventBusClientEventMap[K]): void {
    const set = this.#listeners[type] as Set<Listener<K>>;
    for (const listener of [...set]) {
      try {
        listener(value);
      } catch (error) {
        if (type === "error") reportError(error);
        else this.#listenerError(error);
      }
    }
  }

  /** A listener threw: tell the `error` listeners, or (if there are none) rethrow it asynchronously. */
  #listenerError(error: unknown): void {
    if (this.#listeners.error.size > 0) this.#emit("error", error instanceof Error ? error : new Error(String(error)));
    else reportError(error);
  }
}
