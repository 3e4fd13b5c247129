// Test support: the real evmatch-bus binary (target/debug/evmatch-bus), started per test file on
// a free port, and bounded waits. Every wait here ends within its timeout.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { EventBusClient, apiKeyFor } from "../dist/index.js";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const serverBinary = process.env.EVMATCH_BUS_BIN ?? join(repoRoot, "target", "debug", "evmatch-bus");
export const wasmNodeModule = join(repoRoot, "wasm", "pkg", "node", "evmatch.js");

export const PUBLISH_KEY = "K";
export const DEPLOYMENT_ID = "D";
export const APP_VERSION_ID = "V";
export const API_KEY = apiKeyFor(DEPLOYMENT_ID, APP_VERSION_ID); // base64("V:D")

/**
 * Every process a test file starts, killed (SIGKILL) when the file's process exits, whatever
 * happened: a hook that failed halfway must not leave a server running (or, with its pipes
 * open, keep the test file from ending; the test script passes --test-force-exit).
 */
const children = new Set();
process.on("exit", () => {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
});

/** `spawn`, with the child registered for the exit-time kill. */
function spawnTracked(command, args, options) {
  const child = spawn(command, args, options);
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Rejects after `ms` unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` (sync or async) every 25 ms until it is truthy; fails after `ms`. */
export async function waitFor(predicate, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** The next `type` event of `client` (optionally one satisfying `filter`), within `ms`. */
export function nextEvent(client, type, ms, filter = () => true) {
  let off;
  const promise = new Promise((resolve) => {
    off = client.on(type, (value) => {
      if (filter(value)) resolve(value);
    });
  });
  return withTimeout(promise, ms, `client event "${type}"`).finally(() => off());
}

/** Collects a client's (or view's) events into an array. */
export function collect(target) {
  const events = [];
  const off = target.onEvent((event) => events.push(event));
  return { events, off };
}

/**
 * Starts the server binary on 127.0.0.1:0 with `--keepalive 1` and the test keys, and resolves
 * with its base URL once it printed its listening line (`evmatch-bus listening on http://...`).
 */
export async function startServer(extraArgs = []) {
  if (!existsSync(serverBinary)) {
    throw new Error(`${serverBinary} does not exist: build it with \`cargo build -p evmatch-bus\``);
  }
  const defaults = {
    "--listen": "127.0.0.1:0",
    "--publish-key": PUBLISH_KEY,
    "--deployment-id": DEPLOYMENT_ID,
    "--app-version-id": APP_VERSION_ID,
    "--keepalive": "1",
  };
  const args = [];
  for (const [option, value] of Object.entries(defaults)) {
    if (!extraArgs.includes(option)) args.push(option, value);
  }
  args.push(...extraArgs);
  const child = spawnTracked(serverBinary, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" } });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const base = await withTimeout(
    new Promise((resolve, reject) => {
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        // The first line is `evmatch-bus listening on http://127.0.0.1:PORT`; take any
        // http://HOST:PORT a line of the first ones prints, should the wording change.
        const match = /listening on (https?:\/\/[^\s/]+)/.exec(stdout) ?? /(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1]);
      });
      child.on("exit", (code, signal) =>
        reject(new Error(`evmatch-bus exited (${code ?? signal}) before listening.\nstdout:\n${stdout}\nstderr:\n${stderr}`)),
      );
      child.on("error", reject);
    }),
    20_000,
    `evmatch-bus to print its listening line (stdout so far: ${JSON.stringify(stdout)})`,
  ).catch((error) => {
    child.kill("SIGKILL");
    throw error;
  });
  const wsUrl = base.replace(/^http/, "ws") + "/ws";
  const server = {
    child,
    base,
    wsUrl,
    get stderr() {
      return stderr;
    },
    /** The clients made by `client()`, closed by `stop()`. */
    clients: new Set(),
    /** A client of this server, with short test timeouts unless `options` say otherwise. */
    client(options = {}) {
      const client = new EventBusClient({
        url: wsUrl,
        apiKey: API_KEY,
        id: crypto.randomUUID(),
        reconnectBaseDelayMs: 50,
        reconnectMaxDelayMs: 400,
        requestTimeoutMs: 5_000,
        connectTimeoutMs: 5_000,
        keepAliveTimeoutMs: 5_000,
        ...options,
      });
      this.clients.add(client);
      return client;
    },
    async fetch(path, init = {}) {
      const response = await withTimeout(
        fetch(base + path, {
          ...init,
          headers: { authorization: `Bearer ${PUBLISH_KEY}`, ...(init.headers ?? {}) },
        }),
        10_000,
        `${init.method ?? "GET"} ${path}`,
      );
      return response;
    },
    /** PutEvents; returns the response body (and fails unless every entry went out). */
    async publish(entries) {
      const response = await this.fetch("/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ Entries: entries }),
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`POST /events: ${response.status} ${body}`);
      const parsed = JSON.parse(body);
      if (parsed.FailedEntryCount !== 0) throw new Error(`POST /events: ${body}`);
      return parsed;
    },
    /** POST /events/raw with one event per line (strings are sent as they are). */
    async publishRaw(events) {
      const lines = events.map((event) => (typeof event === "string" ? event : JSON.stringify(event)));
      const response = await this.fetch("/events/raw", {
        method: "POST",
        headers: { "content-type": "application/x-ndjson" },
        body: lines.join("\n") + "\n",
      });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`POST /events/raw: ${response.status} ${body}`);
      const parsed = JSON.parse(body);
      if (parsed.Accepted !== lines.length) throw new Error(`POST /events/raw: ${body}`);
      return parsed;
    },
    /** GET /@connections: [{ConnectionId, Id, ConnectedAt}]. */
    async connections() {
      const response = await this.fetch("/@connections");
      const body = await response.text();
      if (response.status !== 200) throw new Error(`GET /@connections: ${response.status} ${body}`);
      return JSON.parse(body).Connections;
    },
    /** The server's connection ids of the client whose header Id is `id`. */
    async connectionIdsOf(id) {
      return (await this.connections()).filter((connection) => connection.Id === id).map((c) => c.ConnectionId);
    },
    /** DELETE /@connections/{connectionId}. */
    async drop(connectionId) {
      const response = await this.fetch(`/@connections/${encodeURIComponent(connectionId)}`, { method: "DELETE" });
      await response.arrayBuffer();
      return response.status;
    },
    /** A counter or gauge of `GET /metrics` (`evmatch_bus_<name>`, `_total` or not). */
    async metric(name) {
      const response = await this.fetch("/metrics");
      const body = await response.text();
      const match = new RegExp(`^evmatch_bus_${name}(?:_total)? (\\d+(?:\\.\\d+)?)$`, "m").exec(body);
      if (!match) throw new Error(`GET /metrics has no evmatch_bus_${name}:\n${body}`);
      return Number(match[1]);
    },
    /** SIGKILL: no close frames, no goodbye; resolves once the process is gone. */
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await withTimeout(exited, 5_000, "evmatch-bus to exit after SIGKILL");
    },
    /** Closes every client, then stops the server (SIGTERM, then SIGKILL after 5 s). */
    async stop() {
      for (const client of this.clients) client.close();
      this.clients.clear();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGCONT"); // in case a test left it stopped
      child.kill("SIGTERM");
      try {
        await withTimeout(exited, 5_000, "evmatch-bus to exit after SIGTERM");
      } catch {
        child.kill("SIGKILL");
        await withTimeout(exited, 5_000, "evmatch-bus to exit after SIGKILL");
      }
    },
  };
  return server;
}

/** A PutEvents entry. */
export function entry(source, detailType, detail) {
  return { Source: source, DetailType: detailType, Detail: JSON.stringify(detail) };
}

/** A free TCP port on 127.0.0.1 (bound and released: good enough on a quiet machine). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function portOpen(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Whether nats-server is on PATH (`scripts/install-nats.sh` installs Debian's). */
export function natsInstalled() {
  return spawnSync("nats-server", ["--version"], { stdio: "ignore", timeout: 10_000 }).status === 0;
}

/**
 * `nats-server -js` on 127.0.0.1 and a free port, storing in a fresh temporary directory;
 * resolves once it accepts connections. `stop()` kills it and removes the directory.
 */
export async function startNats() {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), "evmatch-bus-client-nats-"));
  const child = spawnTracked("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", store], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await withTimeout(exited, 5_000, "nats-server to exit after SIGKILL");
    }
    rmSync(store, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`nats-server exited (${child.exitCode ?? child.signalCode}):\n${stderr}`);
        }
        return portOpen(port);
      },
      15_000,
      `nats-server to accept connections on 127.0.0.1:${port}`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    child,
    get stderr() {
      return stderr;
    },
    stop,
  };
}
