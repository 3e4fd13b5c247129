// Resume on one node (the server keeps a history in memory: --history-events, --history-age):
// every event carries a Sequence; a client that loses its connection says Hello, subscribes its
// rules again and resumes from the last event it delivered, so it misses nothing and shows
// nothing twice. A history too short for the gap is `resumefailed`, then live events go on.
// Also: resumeFrom (a reloaded page), duplicates dropped, several URLs taken in turn.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { API_KEY, collect, entry, freePort, nextEvent, sleep, startServer, waitFor } from "./helpers.mjs";
import { EventBusClient } from "../dist/index.js";

const T = { timeout: 60_000 };

const RULE = { source: ["app.resume"], detail: { n: [{ numeric: [">=", 0] }] } };

/** Entries for n in [from, to): each matching event is followed by one that does not match. */
function entries(from, to) {
  const out = [];
  for (let n = from; n < to; n++) {
    out.push(entry("app.resume", "T", { n }));
    out.push(entry("app.other", "T", { n }));
  }
  return out;
}

/** Publishes the events of n in [from, to), at most 10 entries per PutEvents. */
async function publishRange(server, from, to) {
  const all = entries(from, to);
  for (let i = 0; i < all.length; i += 10) await server.publish(all.slice(i, i + 10));
}

/** The events' `n`s and sequences; checks that sequences strictly increase. */
function checkOrder(events) {
  const ns = events.map((event) => event.event.detail.n);
  const sequences = events.map((event) => event.sequence);
  for (let i = 0; i < sequences.length; i++) {
    assert.equal(typeof sequences[i], "number", `event ${i} has a sequence`);
    if (i > 0) assert.ok(sequences[i] > sequences[i - 1], `sequences increase: ${sequences.join(",")}`);
  }
  return ns;
}

const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Drops the client's connection and publishes `publish()` while it waits out its reconnect
 * delay; checks that the client was away all along; resolves after the next `open`.
 */
async function awayWhile(server, client, publish) {
  const [connectionId] = await server.connectionIdsOf(client.id);
  assert.ok(connectionId, "the client has a connection");
  const reconnecting = nextEvent(client, "reconnecting", 10_000);
  const reopened = nextEvent(client, "open", 20_000);
  assert.equal(await server.drop(connectionId), 204);
  const { delayMs } = await reconnecting;
  const started = Date.now();
  await publish();
  assert.equal(client.state, "reconnecting", `published within the ${delayMs} ms reconnect delay (took ${Date.now() - started} ms)`);
  assert.equal((await server.connectionIdsOf(client.id)).length, 0, "no connection while publishing");
  assert.deepEqual(await reopened, { reconnected: true });
}

describe("resume on one node", () => {
  let server;
  before(async () => {
    server = await startServer(["--history-events", "10000", "--history-age", "600"]);
  });
  after(async () => {
    await server?.stop();
  });

  test("events carry their sequence; lastSequence follows the last delivered", T, async () => {
    const client = server.client();
    assert.equal(client.lastSequence, undefined);
    await client.subscribe("r", RULE);
    const { events } = collect(client);
    const seen = [];
    client.onEvent(() => seen.push(client.lastSequence));
    await publishRange(server, 0, 3);
    await waitFor(() => events.length === 3, 10_000, "3 events");
    assert.deepEqual(checkOrder(events), [0, 1, 2]);
    // Every published event has a number, matching or not: the non-matching ones leave gaps.
    assert.equal(events[1].sequence - events[0].sequence, 2);
    assert.deepEqual(seen, events.map((event) => event.sequence), "lastSequence is set before listeners run");
    assert.equal(client.lastSequence, events[2].sequence);
    client.close();
  });

  test("after a lost connection: resumes, every event published while away exactly once, in order", T, async () => {
    const client = server.client({ reconnectBaseDelayMs: 3_000, reconnectMaxDelayMs: 3_000 });
    await client.subscribe("r", RULE);
    await client.subscribe("r2", { detail: { n: [{ numeric: [">=", 10] }] }, source: ["app.resume"] });
    const { events } = collect(client);
    const failures = [];
    client.on("resumefailed", (info) => failures.push(info));
    await publishRange(server, 0, 5);
    await waitFor(() => events.length === 5, 10_000, "the first 5 events");
    const last = client.lastSequence;
    assert.equal(last, events[4].sequence);
    const replayedBefore = await server.metric("events_replayed");

    await awayWhile(server, client, () => publishRange(server, 5, 15));
    // `open` comes after the resume's Ack: the missed events are delivered by then.
    assert.equal(events.length, 15, `missed events delivered before open: ${events.map((e) => e.event.detail.n)}`);
    assert.equal(await server.metric("events_replayed"), replayedBefore + 10, "10 events replayed");
    await publishRange(server, 15, 20);
    await waitFor(() => events.length >= 20, 10_000, "20 events");
    await sleep(300);
    assert.deepEqual(checkOrder(events), range(0, 20));
    assert.ok(events[5].sequence > last);
    assert.deepEqual(events[12].rules.slice().sort(), ["r", "r2"], "replayed events name the matching rules");
    assert.deepEqual(events[3].rules, ["r"]);
    assert.deepEqual(failures, []);
    assert.equal(client.lastSequence, events[19].sequence);
    client.close();
  });

  test("a steady stream across several reconnects: every event once, in order", T, async () => {
    const client = server.client({ reconnectBaseDelayMs: 100, reconnectMaxDelayMs: 200 });
    await client.subscribe("r", RULE);
    const { events } = collect(client);
    const opens = [];
    client.on("open", (info) => opens.push(info));
    let publishing = true;
    let published = 0;
    const publisher = (async () => {
      while (publishing) {
        await publishRange(server, published, published + 3);
        published += 3;
      }
    })();
    try {
      for (let round = 0; round < 3; round++) {
        const before = events.length;
        await waitFor(() => events.length >= before + 3 && client.state === "open", 15_000, "events flowing");
        const [connectionId] = await server.connectionIdsOf(client.id);
        await server.drop(connectionId);
        await waitFor(() => opens.length === round + 1, 15_000, `reopened (round ${round})`);
      }
      await sleep(200);
    } finally {
      publishing = false;
      await publisher;
    }
    await waitFor(() => events.length >= published, 15_000, `all ${published} events`);
    await sleep(300);
    assert.deepEqual(checkOrder(events), range(0, published));
    client.close();
  });

  test("resumeFrom: a reloaded page resumes from the sequence it saved", T, async () => {
    const first = server.client();
    await first.subscribe("r", RULE);
    const { events: before } = collect(first);
    await publishRange(server, 0, 4);
    await waitFor(() => before.length === 4, 10_000, "4 events");
    const saved = first.lastSequence;
    first.close();

    await publishRange(server, 4, 9); // while no page is open
    const page = server.client({ resumeFrom: saved });
    assert.equal(page.lastSequence, saved);
    const { events } = collect(page);
    await page.subscribe("r", RULE); // called before the Hello's Ack: the resume follows it
    await page.ready(); // open: the resume was acknowledged
    assert.equal(events.length, 5);
    await publishRange(server, 9, 11);
    await waitFor(() => events.length >= 7, 10_000, "7 events");
    await sleep(200);
    assert.deepEqual(checkOrder(events), range(4, 11));
    assert.ok(events[0].sequence > saved);
  });

  test("resumeFrom ahead of the bus (its history was reset): resumefailed, then fresh events", T, async () => {
    const client = server.client({ resumeFrom: 1e12 });
    const failed = nextEvent(client, "resumefailed", 10_000);
    const order = [];
    client.on("resumefailed", () => order.push("resumefailed"));
    client.on("open", () => order.push("open"));
    const { events } = collect(client);
    await client.subscribe("r", RULE);
    const info = await failed;
    assert.equal(info.lastSequence, 1e12);
    assert.match(info.message, /^Resume impossible: .*ahead/);
    await client.ready();
    assert.deepEqual(order, ["resumefailed", "open"]);
    assert.equal(client.lastSequence, undefined, "starts afresh");
    await publishRange(server, 0, 2);
    await waitFor(() => events.length === 2, 10_000, "2 fresh events (numbered far below resumeFrom)");
    assert.deepEqual(checkOrder(events), [0, 1]);
    assert.equal(client.lastSequence, events[1].sequence);
    client.close();
  });

  test("a notification whose Sequence is not after the last delivered one is dropped", T, async () => {
    const client = server.client();
    await client.subscribe("r", RULE);
    const { events } = collect(client);
    await publishRange(server, 0, 2);
    await waitFor(() => events.length === 2, 10_000, "2 events");
    const [connectionId] = await server.connectionIdsOf(client.id);
    const inject = async (message) => {
      const response = await server.fetch(`/@connections/${encodeURIComponent(connectionId)}`, {
        method: "POST",
        body: JSON.stringify({ Action: "Event", Rules: ["r"], Source: "app.resume", Type: "T", RequestId: "x", ...message }),
      });
      await response.arrayBuffer();
      assert.equal(response.status, 200);
    };
    const event = (n) => JSON.stringify({ source: "app.resume", "detail-type": "T", detail: { n } });
    await inject({ Event: event(100), Sequence: events[1].sequence }); // the last one again
    await inject({ Event: event(101), Sequence: events[0].sequence }); // an older one
    await inject({ Event: event(102) }); // no Sequence (an older server): delivered as it is
    await publishRange(server, 2, 3);
    await waitFor(() => events.length >= 4, 10_000, "4 events");
    await sleep(200);
    assert.deepEqual(
      events.map((e) => [e.event.detail.n, e.sequence]),
      [
        [0, events[0].sequence],
        [1, events[1].sequence],
        [102, undefined],
        [2, events[3].sequence],
      ],
    );
    client.close();
  });

  test("no event delivered yet: a reconnect does not resume", T, async () => {
    const client = server.client();
    await client.subscribe("r", RULE);
    const replayedBefore = await server.metric("events_replayed");
    const [connectionId] = await server.connectionIdsOf(client.id);
    const reopened = nextEvent(client, "open", 10_000);
    await server.drop(connectionId);
    await reopened;
    assert.equal(client.lastSequence, undefined);
    const { events } = collect(client);
    await publishRange(server, 0, 1);
    await waitFor(() => events.length === 1, 10_000, "the event");
    assert.equal(await server.metric("events_replayed"), replayedBefore);
    client.close();
  });

  test("several URLs: a refused one is passed over, and each reconnect takes the next", T, async () => {
    const dead = `ws://127.0.0.1:${await freePort()}/ws`; // nothing listens there
    const other = server.wsUrl.replace("ws://", "http://"); // the same node, another spelling
    const client = server.client({ url: [dead, server.wsUrl, other] });
    assert.equal(client.url, dead);
    const reconnects = [];
    client.on("reconnecting", (info) => reconnects.push(info.url));
    await client.subscribe("r", RULE);
    assert.equal(client.url, server.wsUrl);
    assert.match(client.connectionUrl, /^ws:\/\/127\.0\.0\.1:\d+\/ws\?header=/);
    assert.deepEqual(reconnects, [server.wsUrl]);
    const { events } = collect(client);
    await publishRange(server, 0, 1);
    await waitFor(() => events.length === 1, 10_000, "an event");

    const reopened = nextEvent(client, "open", 10_000);
    await server.drop((await server.connectionIdsOf(client.id))[0]);
    await reopened;
    assert.equal(client.url, other);
    assert.deepEqual(reconnects, [server.wsUrl, other]);
    await publishRange(server, 1, 2);
    await waitFor(() => events.length === 2, 10_000, "another event");
    assert.deepEqual(checkOrder(events), [0, 1]);
    client.close();
  });

  test("option checks: url and resumeFrom", () => {
    const base = { apiKey: API_KEY, id: crypto.randomUUID(), WebSocket: class {} };
    assert.throws(() => new EventBusClient({ ...base, url: [] }), TypeError);
    assert.throws(() => new EventBusClient({ ...base, url: ["ws://127.0.0.1:1/ws", 7] }), TypeError);
    assert.throws(() => new EventBusClient({ ...base, url: "ws://127.0.0.1:1/ws", resumeFrom: -1 }), TypeError);
    assert.throws(() => new EventBusClient({ ...base, url: "ws://127.0.0.1:1/ws", resumeFrom: 1.5 }), TypeError);
  });
});

describe("resume with a history too short", () => {
  let server;
  before(async () => {
    server = await startServer(["--history-events", "2", "--history-age", "600"]);
  });
  after(async () => {
    await server?.stop();
  });

  test("more missed than kept: resumefailed, then live events go on", T, async () => {
    const client = server.client({ reconnectBaseDelayMs: 3_000, reconnectMaxDelayMs: 3_000 });
    await client.subscribe("r", RULE);
    const { events } = collect(client);
    const failures = [];
    client.on("resumefailed", (info) => failures.push({ ...info, eventsSoFar: events.length }));
    await publishRange(server, 0, 2);
    await waitFor(() => events.length === 2, 10_000, "2 events");
    const last = client.lastSequence;

    await awayWhile(server, client, () => publishRange(server, 2, 5)); // 6 events, 2 kept
    assert.equal(failures.length, 1);
    assert.equal(failures[0].lastSequence, last);
    assert.match(failures[0].message, /^Resume impossible: events after sequence \d+ are no longer kept/);
    assert.equal(failures[0].eventsSoFar, 2);
    assert.equal(client.lastSequence, undefined, "starts afresh");
    assert.equal(client.state, "open");

    await publishRange(server, 5, 8);
    await waitFor(() => events.length >= 5, 10_000, "live events after the failed resume");
    await sleep(200);
    assert.deepEqual(checkOrder(events), [0, 1, 5, 6, 7]);
    assert.equal(client.lastSequence, events[4].sequence);
    client.close();
  });
});
