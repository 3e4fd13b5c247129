// Public types of evmatch-bus-client.

/**
 * An EventBridge event, as the bus delivers it (parsed from the notification's `Event` string).
 * Events published through `POST /events` have every field below; those published byte for
 * byte through `POST /events/raw` are only known to carry `source` and `detail-type`.
 */
export interface EventBridgeEvent {
  version?: string;
  id?: string;
  "detail-type": string;
  source: string;
  account?: string;
  time?: string;
  region?: string;
  resources?: string[];
  detail?: unknown;
  [field: string]: unknown;
}

/** One event received on the connection (an `Event` notification). */
export interface BusEvent {
  /** The names of this connection's rules that matched (the notification's `Rules`). */
  rules: string[];
  /** The event's `source` (the notification's `Source`). */
  source: string;
  /** The event's `detail-type` (the notification's `Type`). */
  type: string;
  /** The event, parsed. */
  event: EventBridgeEvent;
  /** The event as the server sent it: a JSON text, byte for byte what was published. */
  raw: string;
  /** The notification's `RequestId` (a fresh GUID per notification). */
  requestId: string;
  /**
   * The event's position in the bus's event stream (the notification's `Sequence`, an extension
   * of the protocol; the same numbering on every node of a many-node bus). Absent when the
   * server does not number its events (an older one).
   */
  sequence?: number;
}

/**
 * An EventBridge event pattern: JSON text (sent as it is) or a value (sent as
 * `JSON.stringify(value)`).
 */
export type Pattern = string | object;

/** The client's connection state. */
export type ConnectionState =
  /** Opening the first connection, or waiting for its Hello to be acknowledged. */
  | "connecting"
  /** Hello acknowledged and every kept rule re-subscribed: actions go out at once. */
  | "open"
  /** The connection was lost; waiting out the backoff delay or opening the next one. */
  | "reconnecting"
  /** `close()` was called: the client stays closed. */
  | "closed";

/** `open`: the connection is usable (its Hello was acknowledged, the kept rules re-subscribed). */
export interface OpenInfo {
  /** False for the client's first usable connection, true for every later one (after a reconnect). */
  reconnected: boolean;
}

/** `close`: a connection ended. */
export interface CloseInfo {
  /**
   * The WebSocket close code: the server's (1000 `DELETE /@connections/{id}`, 1001 shutdown,
   * 4000-4003 timeouts and slow consumer, see the bus README), 1006 for a connection lost or
   * refused without a close frame, or one of {@link ClientCloseCode} when the client itself
   * gave up on the connection.
   */
  code: number;
  reason: string;
  wasClean: boolean;
  /** Whether the client will reconnect (false after `close()` or with `reconnect: false`). */
  willReconnect: boolean;
}

/** `reconnecting`: a reconnect is scheduled. */
export interface ReconnectInfo {
  /** 1 for the first reconnect after a connection was usable, then 2, 3, ... */
  attempt: number;
  /** The (jittered) delay before the next connection is opened. */
  delayMs: number;
  /** The URL (one of the `url` option's) the next connection opens: each reconnect takes the next one in turn. */
  url: string;
}

/** `resumefailed`: the bus could not replay what the client missed; it carries on afresh. */
export interface ResumeFailedInfo {
  /**
   * The server's `Message`: `Resume impossible: ...` when the position is no longer kept (too
   * old) or ahead of the bus (its history was reset), or why else the Resume was refused.
   */
  message: string;
  /** The sequence the client tried to resume from (its last delivered event's). */
  lastSequence: number;
}

/** The client's events and what their listeners receive. */
export interface EventBusClientEventMap {
  /** An event matching one or more of this connection's rules. */
  event: BusEvent;
  /** The connection is usable: Hello acknowledged, kept rules re-subscribed. */
  open: OpenInfo;
  /** A connection ended (and whether another follows). */
  close: CloseInfo;
  /** A reconnect is scheduled. */
  reconnecting: ReconnectInfo;
  /**
   * A `Resume` was refused (`Resume impossible: ...`: the events after the client's last one
   * are no longer kept, or the bus's history was reset): events published while the client was
   * away may be missing. The client carries on afresh: live events follow (emitted after this),
   * and `lastSequence` restarts at the next event.
   */
  resumefailed: ResumeFailedInfo;
  /**
   * Something went wrong outside of any promise: a kept rule the server refused on re-subscribe,
   * a notification that could not be read, or an exception thrown by a listener (when there is an
   * `error` listener; otherwise such exceptions are rethrown asynchronously).
   */
  error: Error;
}

/** Close codes the client sends (and reports in `close`) when it gives up on a connection. */
export const ClientCloseCode = {
  /** Nothing (no KeepAlive, no Event, no Ack) arrived within `keepAliveTimeoutMs`. */
  KeepAliveTimeout: 4900,
  /** The socket did not open, or its Hello was not acknowledged, within `connectTimeoutMs`. */
  ConnectTimeout: 4901,
  /** The server answered Hello with an error. */
  HelloRefused: 4902,
  /**
   * The server could not serve a `Resume` now (`Ack Error` "Resume failed: ...", say its event
   * stream was unreadable), or did not answer it within `requestTimeoutMs`: the client
   * reconnects and resumes again.
   */
  ResumeFailed: 4903,
  /** `close()`. */
  Closed: 1000,
} as const;

/**
 * The part of a WebSocket the client uses: the WHATWG `WebSocket` of browsers, Node.js (22, or
 * 20 with `--experimental-websocket`), Deno and Bun, or the `ws` package's.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onopen: ((event: any) => unknown) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onmessage: ((event: any) => unknown) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onclose: ((event: any) => unknown) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onerror: ((event: any) => unknown) | null;
}

/** A WebSocket constructor (`WebSocket`, or `ws`'s default export). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * What the client needs of the evmatch engine's `Matcher` class (the `evmatch` WebAssembly
 * package): it is handed the class, so that browsers can `await init()` the web build first and
 * `view()` stays synchronous.
 */
export interface MatcherInstance {
  addRule(name: string, pattern: string): void;
  deleteRule(name: string): boolean;
  matches(event: string): string[];
  free?(): void;
}

/** The `Matcher` class of the `evmatch` package. */
export interface MatcherClass {
  new (): MatcherInstance;
  /** `null`, or AWS's reason why EventBridge refuses `pattern`. */
  validate(pattern: string): string | null | undefined;
}

/** The engine for `view()`: `{ Matcher }` from the `evmatch` package. */
export interface Engine {
  Matcher: MatcherClass;
}

export interface EventBusClientOptions {
  /**
   * The bus's WebSocket URL, e.g. `ws://127.0.0.1:8787/ws` or `wss://bus.example.com/ws`
   * (`http:`/`https:` are turned into `ws:`/`wss:`), or several (the nodes of a many-node bus
   * with no load balancer in front): the first connection opens the first URL, each reconnect
   * the next one in turn. The client adds the `header` query parameter.
   */
  url: string | readonly string[];
  /** The `ApiKey` of the header: base64 of `<app version id>:<deployment id>` (dev mode: of the deployment id). */
  apiKey: string;
  /** The `Id` of the header: this app instance's or session's GUID. */
  id: string;
  /** The `Host` of the header; default: the URL's hostname. */
  host?: string;
  /** The WebSocket constructor; default: the global `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** The evmatch engine, `{ Matcher }`, needed by `view()`. */
  engine?: Engine;
  /** How long `subscribe`/`unsubscribe` wait for their Ack, counted from the call (queued time included). Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** How long a connection may take to open and have its Hello acknowledged before it is dropped and retried. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Drop and reconnect a connection on which nothing (KeepAlive, Event, Ack) arrived for this
   * long. Set it to a multiple of the server's `--keepalive` interval (2-3 times). Default
   * 150 000 ms (2.5 times the server's default 60 s); 0 disables the watchdog.
   */
  keepAliveTimeoutMs?: number;
  /**
   * While connected, send a Hello (the server acknowledges a second Hello with Ok) once the
   * client has sent nothing for this long, so that the server's idle timeout (`--idle-timeout`,
   * default 600 s, API Gateway's 10 minutes) does not close a quiet connection. Default 300 000
   * ms; 0 disables it.
   */
  helloIntervalMs?: number;
  /** Reconnect after a lost connection. Default true. */
  reconnect?: boolean;
  /** The backoff's first delay. Default 500 ms. */
  reconnectBaseDelayMs?: number;
  /** The backoff's largest delay. Default 30 000 ms. */
  reconnectMaxDelayMs?: number;
  /** How many received events the client keeps for views (newest last). Default 1000. */
  history?: number;
  /**
   * The `Sequence` of the last event the application already has (say, `lastSequence` saved
   * by a page before it was reloaded): the first connection resumes from it, after the
   * subscribes called before its Hello was acknowledged. Default: none (the first connection
   * starts afresh; later ones resume from the last event delivered).
   */
  resumeFrom?: number;
}

export interface ViewOptions {
  /** Keep at most this many matching events (the newest). Default: no limit but the client's `history`. */
  limit?: number;
}
