// The keep-alive watchdog and the idle Hello, against the real server. A server frozen with
// SIGSTOP sends nothing while its sockets stay open: exactly the silent connection the watchdog
// is there for.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { TimeoutError } from "../dist/index.js";
import { collect, entry, nextEvent, sleep, startServer, waitFor } from "./helpers.mjs";

const T = { timeout: 40_000 };

describe("keep-alive watchdog (server --keepalive 1)", () => {
  let server;
  before(async () => {
    server = await startServer(["--keepalive", "1"]);
  });
  after(async () => {
    await server?.stop();
  });

  test("KeepAlives keep a quiet connection up", T, async () => {
    const client = server.client({ keepAliveTimeoutMs: 2_500 });
    await client.ready();
    const closes = [];
    client.on("close", (info) => closes.push(info));
    await sleep(4_500);
    assert.deepEqual(closes, []);
    assert.equal(client.state, "open");
  });

  test("nothing for keepAliveTimeoutMs: the client closes, reconnects and re-subscribes", T, async () => {
    const client = server.client({
      keepAliveTimeoutMs: 2_000,
      connectTimeoutMs: 1_000,
      requestTimeoutMs: 1_500,
      reconnectBaseDelayMs: 50,
      reconnectMaxDelayMs: 200,
    });
    await client.subscribe("k", { source: ["app.k"] });
    const closes = [];
    client.on("close", (info) => closes.push({ ...info, at: Date.now() }));
    const { events } = collect(client);

    const stoppedAt = Date.now();
    server.child.kill("SIGSTOP");
    try {
      await waitFor(() => closes.length >= 1, 6_000, "the watchdog to close the silent connection");
      const first = closes[0];
      assert.equal(first.code, 4900, JSON.stringify(first));
      assert.match(first.reason, /nothing received for 2000 ms/);
      assert.equal(first.willReconnect, true);
      const elapsed = first.at - stoppedAt;
      // the last KeepAlive came at most 1 s before the stop
      assert.ok(elapsed >= 900 && elapsed < 4_000, `closed ${elapsed} ms after the server stopped`);

      // while the server is frozen: reconnects time out, and so does an action
      await assert.rejects(client.subscribe("during", { source: ["app.during"] }), TimeoutError);
      await waitFor(() => closes.some((info) => info.code === 4901), 6_000, "a connect attempt to time out");
    } finally {
      server.child.kill("SIGCONT");
    }
    await waitFor(() => client.state === "open", 15_000, "the client to reconnect after SIGCONT");
    assert.deepEqual([...client.rules.keys()], ["k"]);
    await server.publish([entry("app.k", "T", { after: "watchdog" })]);
    await waitFor(() => events.length === 1, 10_000, "the event after the reconnect");
    assert.deepEqual(events[0].rules, ["k"]);
  });
});

describe("idle timeout (server --idle-timeout 1)", () => {
  let server;
  before(async () => {
    server = await startServer(["--idle-timeout", "1"]);
  });
  after(async () => {
    await server?.stop();
  });

  test("without the idle Hello a quiet client is closed with 4002, and comes back", T, async () => {
    const client = server.client({ helloIntervalMs: 0 });
    await client.subscribe("i", { source: ["app.i"] });
    const info = await nextEvent(client, "close", 6_000);
    assert.equal(info.code, 4002, JSON.stringify(info));
    assert.equal(info.willReconnect, true);
    assert.deepEqual(await nextEvent(client, "open", 6_000), { reconnected: true });
  });

  test("helloIntervalMs keeps a quiet client's connection up", T, async () => {
    const client = server.client({ helloIntervalMs: 300 });
    await client.subscribe("i", { source: ["app.i"] });
    const closes = [];
    client.on("close", (info) => closes.push(info));
    await sleep(3_500);
    assert.deepEqual(closes, []);
    const { events } = collect(client);
    await server.publish([entry("app.i", "T", {})]);
    await waitFor(() => events.length === 1, 10_000, "the event");
  });
});
