// The protocol against the real server: Hello, subscribe (ok and refused), events and their rule
// lists, unsubscribe, request timeouts, a refused API key, close().
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";

import { AckError, ClosedError, EventBusClient, TimeoutError, connectionUrl, encodeHeader } from "../dist/index.js";
import { API_KEY, collect, entry, nextEvent, sleep, startServer, waitFor, withTimeout, wasmNodeModule } from "./helpers.mjs";

const T = { timeout: 30_000 };

/** A port on which nothing listens. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function decodeHeader(url) {
  return JSON.parse(Buffer.from(new URL(url).searchParams.get("header"), "base64").toString("utf8"));
}

describe("header", () => {
  test("encodeHeader is base64 of the JSON header document", () => {
    const header = { Host: "acme.example.com", ApiKey: "a2V5", Id: "4a114560-fa5b-4f94-a462-69fbaf432b86" };
    assert.deepEqual(JSON.parse(Buffer.from(encodeHeader(header), "base64").toString("utf8")), header);
    const unicode = { Host: "h\u00e9te-\u{1F600}", ApiKey: "k", Id: "i" };
    assert.deepEqual(JSON.parse(Buffer.from(encodeHeader(unicode), "base64").toString("utf8")), unicode);
  });

  test("connectionUrl: Host defaults to the URL's hostname; http(s) becomes ws(s)", () => {
    const id = "4a114560-fa5b-4f94-a462-69fbaf432b86";
    const plain = connectionUrl({ url: "ws://127.0.0.1:9/ws", apiKey: "k", id });
    assert.match(plain, /^ws:\/\/127\.0\.0\.1:9\/ws\?header=/);
    assert.deepEqual(decodeHeader(plain), { Host: "127.0.0.1", ApiKey: "k", Id: id });
    const secure = connectionUrl({ url: "https://bus.example.com/LATEST/?x=1", apiKey: "k", id, host: "other.example.com" });
    assert.match(secure, /^wss:\/\/bus\.example\.com\/LATEST\/\?x=1&header=/);
    assert.equal(decodeHeader(secure).Host, "other.example.com");
  });

  test("a client without a WebSocket constructor is refused at once", () => {
    const saved = globalThis.WebSocket;
    try {
      delete globalThis.WebSocket;
      assert.throws(() => new EventBusClient({ url: "ws://127.0.0.1:9/ws", apiKey: "k", id: "i" }), /no global WebSocket/);
    } finally {
      globalThis.WebSocket = saved;
    }
  });
});

describe("against evmatch-bus", () => {
  let server;
  let Matcher;
  before(async () => {
    server = await startServer();
    ({ Matcher } = await import(wasmNodeModule));
  });
  after(async () => {
    await server?.stop();
  });

  test("connects, says Hello, and is listed by @connections with its Id", T, async () => {
    const client = server.client();
    assert.equal(client.state, "connecting");
    const opened = nextEvent(client, "open", 10_000);
    await withTimeout(client.ready(), 10_000, "ready()");
    assert.equal(client.state, "open");
    assert.deepEqual(await opened, { reconnected: false });
    assert.equal((await server.connectionIdsOf(client.id)).length, 1);
  });

  test("actions called before the Hello is acknowledged wait for it", T, async () => {
    const client = server.client();
    assert.equal(client.state, "connecting");
    // The server refuses any action before Hello ("Hello must be the first action"): these would fail.
    await Promise.all([client.subscribe("early", { source: ["app.early"] }), client.subscribe("early2", '{"source": ["x"]}')]);
    assert.deepEqual([...client.rules.keys()].sort(), ["early", "early2"]);
  });

  test("subscribe resolves on Ack Ok, with a string or an object pattern", T, async () => {
    const client = server.client();
    await client.subscribe("as-string", '{"source": ["app.orders"]}');
    await client.subscribe("as-object", { "detail-type": ["Order Placed"] });
    assert.deepEqual(
      client.rules,
      new Map([
        ["as-string", '{"source": ["app.orders"]}'],
        ["as-object", '{"detail-type":["Order Placed"]}'],
      ]),
    );
  });

  test("subscribe with an invalid pattern rejects with the server's message and AWS's reason", T, async () => {
    const client = server.client();
    const pattern = { source: "aws.ec2" };
    const reason = Matcher.validate(pattern);
    assert.equal(typeof reason, "string");
    await assert.rejects(client.subscribe("bad", pattern), (error) => {
      assert.ok(error instanceof AckError, `${error}`);
      assert.equal(error.message, `Event pattern is not valid. Reason: ${reason}`);
      assert.equal(error.action, "Subscribe");
      assert.equal(error.rule, "bad");
      return true;
    });
    const numeric = { detail: { n: [{ numeric: [">", "x"] }] } };
    await assert.rejects(client.subscribe("bad2", numeric), {
      name: "AckError",
      message: `Event pattern is not valid. Reason: ${Matcher.validate(numeric)}`,
    });
    await assert.rejects(client.subscribe("bad3", "{not json"), { name: "AckError" });
    assert.equal(client.rules.size, 0);
    // the connection is still good
    await client.subscribe("good", { source: ["a"] });
    assert.deepEqual([...client.rules.keys()], ["good"]);
  });

  test("subscribe with an unserialisable pattern or a bad rule name is refused locally", T, async () => {
    const client = server.client();
    await assert.rejects(client.subscribe("x", undefined), TypeError);
    await assert.rejects(client.subscribe(7, {}), TypeError);
    await assert.rejects(client.subscribe("", { source: ["a"] }), { name: "AckError" }); // the server's call
  });

  test("events arrive with every matching rule, parsed and raw; others do not arrive", T, async () => {
    const client = server.client();
    await client.subscribe("orders", { source: ["app.orders"] });
    await client.subscribe("big", { detail: { amount: [{ numeric: [">", 100] }] } });
    await client.subscribe("never", { source: ["app.never"] });
    const { events } = collect(client);
    await server.publish([
      entry("app.orders", "Order Placed", { id: 1, amount: 500 }),
      entry("app.orders", "Order Placed", { id: 2, amount: 5 }),
      entry("app.other", "Other", { id: 3, amount: 5 }), // matches no rule
      entry("app.other", "Big", { id: 4, amount: 1000 }),
    ]);
    await waitFor(() => events.length >= 3, 10_000, "3 events");
    await sleep(200);
    assert.equal(events.length, 3);
    const byId = new Map(events.map((event) => [event.event.detail.id, event]));
    assert.deepEqual([...byId.keys()].sort(), [1, 2, 4]);
    assert.deepEqual([...byId.get(1).rules].sort(), ["big", "orders"]);
    assert.deepEqual(byId.get(2).rules, ["orders"]);
    assert.deepEqual(byId.get(4).rules, ["big"]);
    const first = byId.get(1);
    assert.equal(first.source, "app.orders");
    assert.equal(first.type, "Order Placed");
    assert.equal(first.event.source, "app.orders");
    assert.equal(first.event["detail-type"], "Order Placed");
    assert.deepEqual(first.event.detail, { id: 1, amount: 500 });
    for (const field of ["version", "id", "account", "time", "region", "resources"]) {
      assert.ok(field in first.event, `the event has ${field}`);
    }
    assert.equal(typeof first.raw, "string");
    assert.deepEqual(JSON.parse(first.raw), first.event);
    assert.match(first.requestId, /^[0-9a-f-]{36}$/i);
  });

  test("events published raw arrive byte for byte", T, async () => {
    const client = server.client();
    await client.subscribe("raw", { source: ["app.raw"] });
    const { events } = collect(client);
    const line = '{"source":"app.raw",  "detail-type":"T", "detail": {"n": 1.50, "s": "caf\\u00e9"}}';
    await server.publishRaw([line, { source: "app.unmatched", "detail-type": "T" }]);
    await waitFor(() => events.length >= 1, 10_000, "the raw event");
    await sleep(200);
    assert.equal(events.length, 1);
    assert.equal(events[0].raw, line);
    assert.deepEqual(events[0].rules, ["raw"]);
    assert.equal(events[0].type, "T");
    assert.equal(events[0].event.detail.s, "caf\u00e9");
  });

  test("subscribe replaces a rule's pattern", T, async () => {
    const client = server.client();
    await client.subscribe("r", { source: ["app.first"] });
    await client.subscribe("r", { source: ["app.second"] });
    assert.equal(client.rules.get("r"), '{"source":["app.second"]}');
    const { events } = collect(client);
    await server.publish([entry("app.first", "T", { n: 1 }), entry("app.second", "T", { n: 2 })]);
    await waitFor(() => events.length >= 1, 10_000, "an event");
    await sleep(200);
    assert.deepEqual(
      events.map((event) => event.source),
      ["app.second"],
    );
  });

  test("unsubscribe resolves on Ack Ok and the rule stops matching; an unknown rule is refused", T, async () => {
    const client = server.client();
    await client.subscribe("a", { source: ["app.u"] });
    await client.subscribe("b", { source: ["app.u"] });
    const { events } = collect(client);
    await server.publish([entry("app.u", "T", { n: 1 })]);
    await waitFor(() => events.length >= 1, 10_000, "the first event");
    assert.deepEqual([...events[0].rules].sort(), ["a", "b"]);

    await client.unsubscribe("b");
    assert.deepEqual([...client.rules.keys()], ["a"]);
    await server.publish([entry("app.u", "T", { n: 2 })]);
    await waitFor(() => events.length >= 2, 10_000, "the second event");
    assert.deepEqual(events[1].rules, ["a"]);

    await client.unsubscribe("a");
    assert.equal(client.rules.size, 0);
    await assert.rejects(client.unsubscribe("a"), (error) => {
      assert.ok(error instanceof AckError);
      assert.equal(error.action, "Unsubscribe");
      assert.ok(error.message.length > 0);
      return true;
    });
    await server.publish([entry("app.u", "T", { n: 3 })]);
    await sleep(300);
    assert.equal(events.length, 2);
  });

  test("many concurrent actions are each correlated with their own Ack", T, async () => {
    const client = server.client();
    const names = Array.from({ length: 40 }, (_, i) => `rule-${i}`);
    const results = await Promise.allSettled(
      names.map((name, i) => client.subscribe(name, i % 4 === 3 ? { source: `bad-${i}` } : { source: [`s-${i}`] })),
    );
    results.forEach((result, i) => {
      if (i % 4 === 3) {
        assert.equal(result.status, "rejected", names[i]);
        assert.equal(result.reason.rule, names[i]);
      } else {
        assert.equal(result.status, "fulfilled", names[i]);
      }
    });
    assert.equal(client.rules.size, 30);
  });

  test("a request with no Ack rejects after requestTimeoutMs", T, async () => {
    const port = await closedPort();
    const client = new EventBusClient({
      url: `ws://127.0.0.1:${port}/ws`,
      apiKey: API_KEY,
      id: crypto.randomUUID(),
      requestTimeoutMs: 300,
      reconnectBaseDelayMs: 50,
      reconnectMaxDelayMs: 200,
    });
    server.clients.add(client);
    const started = Date.now();
    await assert.rejects(client.subscribe("r", { source: ["a"] }), (error) => {
      assert.ok(error instanceof TimeoutError, `${error}`);
      assert.match(error.message, /Subscribe of rule "r": no Ack within 300 ms/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 3_000, `rejected after ${elapsed} ms`);
    assert.notEqual(client.state, "open");
    client.close();
  });

  test("a refused API key never opens; the client keeps retrying with backoff until close()", T, async () => {
    const client = server.client({ apiKey: "wrong" });
    const closes = [];
    const reconnects = [];
    let opened = false;
    client.on("close", (info) => closes.push(info));
    client.on("reconnecting", (info) => reconnects.push(info));
    client.on("open", () => {
      opened = true;
    });
    await waitFor(() => reconnects.length >= 3, 10_000, "3 reconnect attempts");
    assert.equal(opened, false);
    assert.ok(closes.every((info) => info.willReconnect && !info.wasClean), JSON.stringify(closes));
    assert.deepEqual(
      reconnects.slice(0, 3).map((info) => info.attempt),
      [1, 2, 3],
    );
    for (const { attempt, delayMs } of reconnects) {
      const cap = Math.min(400, 50 * 2 ** (attempt - 1));
      assert.ok(delayMs >= cap / 2 - 1 && delayMs <= cap + 1, `attempt ${attempt}: delay ${delayMs} within [${cap / 2}, ${cap}]`);
    }
    client.close();
    assert.equal(client.state, "closed");
    const count = reconnects.length;
    await sleep(600);
    assert.equal(reconnects.length, count, "no reconnect after close()");
  });

  test("close() rejects pending and queued actions, stops for good, and says so", T, async () => {
    const client = server.client();
    const closes = [];
    client.on("close", (info) => closes.push(info));
    const queued = client.subscribe("q", { source: ["a"] }); // before the Hello's Ack
    const ready = client.ready();
    client.close();
    await assert.rejects(queued, ClosedError);
    await assert.rejects(ready, ClosedError);
    assert.equal(client.state, "closed");
    assert.deepEqual(closes, [{ code: 1000, reason: "closed by the client", wasClean: true, willReconnect: false }]);
    await assert.rejects(client.subscribe("later", { source: ["a"] }), ClosedError);
    await assert.rejects(client.unsubscribe("later"), ClosedError);
    await assert.rejects(client.ready(), ClosedError);
    client.close(); // twice is fine
    assert.equal(closes.length, 1);

    // an open client: its connection goes away from the server's list
    const open = server.client();
    await open.subscribe("r", { source: ["a"] });
    assert.equal((await server.connectionIdsOf(open.id)).length, 1);
    const inFlight = open.subscribe("r2", { source: ["b"] });
    open.close();
    await assert.rejects(inFlight, ClosedError);
    await waitFor(async () => (await server.connectionIdsOf(open.id)).length === 0, 5_000, "the server to forget the connection");
    await sleep(300);
    assert.equal((await server.connectionIdsOf(open.id)).length, 0, "no reconnect");
  });

  test("messages are read tolerantly: extra fields, unknown actions, stray Acks (sent via POST /@connections)", T, async () => {
    const client = server.client();
    await client.subscribe("x", { source: ["app.x"] });
    const errors = [];
    client.on("error", (error) => errors.push(error));
    const { events } = collect(client);
    const [connectionId] = await server.connectionIdsOf(client.id);
    const post = async (body) => {
      const response = await server.fetch(`/@connections/${encodeURIComponent(connectionId)}`, { method: "POST", body });
      await response.arrayBuffer();
      assert.equal(response.status, 200, `POST /@connections: ${body}`);
    };
    // (No Sequence on the injected event: a made-up one past the bus's would make the client
    // drop the real events after it as already delivered; test/resume.test.mjs tests that.)
    const raw = '{"source":"app.x","detail-type":"T","detail":{"injected":true}}';
    await post(JSON.stringify({ Action: "Event", Rules: ["x"], Source: "app.x", Type: "T", Event: raw, RequestId: "r-1", Future: { a: 1 } }));
    await post(JSON.stringify({ Action: "SomethingNew", RequestId: "r-2", Data: [1, 2] }));
    await post(JSON.stringify({ Action: "Ack", RequestId: "not-a-request-of-ours", Status: "Ok" }));
    await post(JSON.stringify({ Action: "KeepAlive", RequestId: "r-3", Sequence: 43 }));
    await post("this is not JSON");
    await waitFor(() => events.length === 1 && errors.length === 1, 5_000, "the injected event and one error");
    assert.deepEqual(events[0].rules, ["x"]);
    assert.equal(events[0].raw, raw);
    assert.deepEqual(events[0].event.detail, { injected: true });
    assert.match(errors[0].message, /not JSON/);
    // still in business
    assert.equal(client.state, "open");
    await client.subscribe("y", { source: ["app.y"] });
    await server.publish([entry("app.y", "T", {})]);
    await waitFor(() => events.length === 2, 10_000, "a published event");
    assert.deepEqual(events[1].rules, ["y"]);
  });

  test("a throwing listener does not stop the others, and goes to the error listeners", T, async () => {
    const client = server.client();
    await client.subscribe("t", { source: ["app.throw"] });
    const errors = [];
    client.on("error", (error) => errors.push(error));
    client.onEvent(() => {
      throw new Error("listener failure");
    });
    const { events } = collect(client);
    await server.publish([entry("app.throw", "T", {})]);
    await waitFor(() => events.length === 1, 10_000, "the event");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, "listener failure");
  });
});
