// Reconnects against the real server: a connection closed through DELETE /@connections/{id}, and
// a server that stops and comes back on the same port. The client says Hello again, re-subscribes
// every rule it holds, and events flow again.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { collect, entry, nextEvent, sleep, startServer, waitFor } from "./helpers.mjs";

const T = { timeout: 40_000 };

describe("reconnect", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  /** Drops the client's server-side connection and waits until it is usable again. */
  async function dropAndReopen(client) {
    const [connectionId] = await server.connectionIdsOf(client.id);
    assert.ok(connectionId, "the client has a connection");
    const closed = nextEvent(client, "close", 10_000);
    const reconnecting = nextEvent(client, "reconnecting", 10_000);
    const reopened = nextEvent(client, "open", 10_000);
    assert.equal(await server.drop(connectionId), 204);
    const closeInfo = await closed;
    assert.equal(closeInfo.code, 1000);
    assert.equal(closeInfo.willReconnect, true);
    const reconnectInfo = await reconnecting;
    assert.equal(reconnectInfo.attempt, 1);
    assert.deepEqual(await reopened, { reconnected: true });
    assert.equal(client.state, "open");
    const now = await server.connectionIdsOf(client.id);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], connectionId, "a new connection");
    return closeInfo;
  }

  test("after DELETE /@connections/{id}: Hello again, every rule re-subscribed, events flow", T, async () => {
    const client = server.client();
    await client.subscribe("a", { source: ["app.r"] });
    await client.subscribe("b", { detail: { n: [{ numeric: [">=", 2] }] } });
    await client.subscribe("c", { source: ["app.c"] });
    await client.subscribe("gone", { source: ["app.gone"] });
    await client.unsubscribe("gone");
    const { events } = collect(client);
    const states = [];
    client.on("close", () => states.push(client.state));
    client.on("reconnecting", () => states.push(client.state));

    await dropAndReopen(client);
    assert.deepEqual(states, ["reconnecting", "reconnecting"]);
    assert.deepEqual([...client.rules.keys()], ["a", "b", "c"]);

    await server.publish([
      entry("app.r", "T", { n: 1 }),
      entry("app.r", "T", { n: 2 }),
      entry("app.c", "T", { n: 0 }),
      entry("app.gone", "T", { n: 0 }),
    ]);
    await waitFor(() => events.length >= 3, 10_000, "3 events after the reconnect");
    await sleep(200);
    assert.deepEqual(
      events.map((event) => [event.event.detail.n, [...event.rules].sort()]),
      [
        [1, ["a"]],
        [2, ["a", "b"]],
        [0, ["c"]],
      ],
    );
  });

  test("reconnects again and again; the backoff starts over after each good connection", T, async () => {
    const client = server.client();
    await client.subscribe("x", { source: ["app.x"] });
    for (let round = 0; round < 3; round++) await dropAndReopen(client);
    const { events } = collect(client);
    await server.publish([entry("app.x", "T", { round: 3 })]);
    await waitFor(() => events.length === 1, 10_000, "the event");
    assert.deepEqual(events[0].rules, ["x"]);
  });

  test("actions called while disconnected are sent after the next Hello", T, async () => {
    const client = server.client();
    await client.subscribe("before", { source: ["app.w"] });
    const [connectionId] = await server.connectionIdsOf(client.id);
    const closed = nextEvent(client, "close", 10_000);
    assert.equal(await server.drop(connectionId), 204);
    await closed;
    assert.equal(client.state, "reconnecting");
    await Promise.all([client.subscribe("during", { source: ["app.w"] }), client.unsubscribe("before")]);
    assert.deepEqual([...client.rules.keys()], ["during"]);
    const { events } = collect(client);
    await server.publish([entry("app.w", "T", {})]);
    await waitFor(() => events.length === 1, 10_000, "the event");
    assert.deepEqual(events[0].rules, ["during"]);
  });

  test("with reconnect: false, a lost connection closes the client", T, async () => {
    const client = server.client({ reconnect: false });
    await client.subscribe("r", { source: ["app.r"] });
    const [connectionId] = await server.connectionIdsOf(client.id);
    const closed = nextEvent(client, "close", 10_000);
    let reconnecting = false;
    client.on("reconnecting", () => {
      reconnecting = true;
    });
    assert.equal(await server.drop(connectionId), 204);
    const info = await closed;
    assert.equal(info.code, 1000);
    assert.equal(info.willReconnect, false);
    assert.equal(client.state, "closed");
    await assert.rejects(client.subscribe("s", { source: ["a"] }), { name: "ClosedError" });
    await sleep(300);
    assert.equal(reconnecting, false);
    assert.equal((await server.connectionIdsOf(client.id)).length, 0);
  });

  test("a server that goes away (1001) and comes back on the same port", T, async () => {
    const own = await startServer();
    const port = new URL(own.base).port;
    let replacement;
    let client;
    try {
      client = own.client({ reconnectBaseDelayMs: 100, reconnectMaxDelayMs: 300 });
      await client.subscribe("back", { source: ["app.back"] });
      const closes = [];
      client.on("close", (info) => closes.push(info));
      const firstClose = nextEvent(client, "close", 10_000);
      own.clients.delete(client); // stop() would close it
      await own.stop();
      const info = await firstClose;
      assert.equal(info.code, 1001, JSON.stringify(info));
      assert.equal(info.willReconnect, true);
      await waitFor(() => closes.length >= 2, 10_000, "a failed reconnect attempt");
      assert.equal(closes[1].code, 1006);

      const reopened = nextEvent(client, "open", 15_000);
      replacement = await startServer(["--listen", `127.0.0.1:${port}`]);
      replacement.clients.add(client);
      assert.deepEqual(await reopened, { reconnected: true });
      const { events } = collect(client);
      await replacement.publish([entry("app.back", "T", {})]);
      await waitFor(() => events.length === 1, 10_000, "the event from the new server");
      assert.deepEqual(events[0].rules, ["back"]);
    } finally {
      client?.close();
      await own.stop();
      await replacement?.stop();
    }
  });
});
