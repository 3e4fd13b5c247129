// What the client needs from its host (a browser, Node.js, Deno, Bun), typed here rather than
// through the DOM library or @types/node, so the published .d.ts depends on neither.

/** A timer handle, as returned by `setTimeout` (a number in browsers, an object in Node.js). */
export type TimerHandle = unknown;

interface HostGlobals {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  crypto?: {
    randomUUID?: () => string;
    getRandomValues?: <T extends Uint8Array>(array: T) => T;
  };
  WebSocket?: unknown;
  URL: new (url: string) => HostURL;
  console?: { error(...args: unknown[]): void };
}

/** The part of the WHATWG URL class the client uses. */
export interface HostURL {
  protocol: string;
  hostname: string;
  searchParams: { set(name: string, value: string): void };
  toString(): string;
}

const host = globalThis as unknown as HostGlobals;

export function setTimer(callback: () => void, ms: number): TimerHandle {
  return host.setTimeout(callback, ms);
}

export function clearTimer(handle: TimerHandle | undefined): void {
  if (handle !== undefined) host.clearTimeout(handle);
}

/** Parses an absolute URL (throws a TypeError for an invalid one). */
export function parseUrl(url: string): HostURL {
  return new host.URL(url);
}

/** The host's global `WebSocket` constructor, if it has one. */
export function globalWebSocket(): unknown {
  return host.WebSocket;
}

/** Reports an exception thrown by a listener without interrupting the client. */
export function reportError(error: unknown): void {
  // As EventTarget does: the exception surfaces as an uncaught one, later, on its own.
  host.setTimeout(() => {
    throw error;
  }, 0);
}

/**
 * A random (version 4) UUID: `crypto.randomUUID()` where there is one (it needs a secure context
 * in browsers), else built from `crypto.getRandomValues`, else from `Math.random`.
 */
export function randomUUID(): string {
  const crypto = host.crypto;
  if (typeof crypto?.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof crypto?.getRandomValues === "function") {
    crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Standard base64 (with padding) of the UTF-8 encoding of `text`. */
export function base64Utf8(text: string): string {
  const bytes: number[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += BASE64[(n >> 18) & 63]! + BASE64[(n >> 12) & 63]!;
    out += b1 === undefined ? "=" : BASE64[(n >> 6) & 63]!;
    out += b2 === undefined ? "=" : BASE64[n & 63]!;
  }
  return out;
}
