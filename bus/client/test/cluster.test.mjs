// Two nodes sharing events through NATS JetStream (a real nats-server, `-js`, on 127.0.0.1): the
// client knows both URLs; events are published through node A while it is connected to node B;
// B is killed (SIGKILL) mid-stream; the client reconnects to A, resumes from the last Sequence it
// delivered (the same numbering on every node), and ends with every matching event exactly once,
// in order. Needs nats-server (scripts/install-nats.sh; scripts/test-bus-client.sh runs it).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { collect, entry, natsInstalled, sleep, startNats, startServer, waitFor } from "./helpers.mjs";

const T = { timeout: 120_000 };

const skip = natsInstalled() ? false : "nats-server is not installed (scripts/install-nats.sh)";

describe("two nodes on NATS", { skip }, () => {
  let nats;
  let nodeA;
  let nodeB;
  before(async () => {
    nats = await startNats();
    const args = (id) => ["--nats", nats.url, "--node-id", id];
    // One after the other: A creates the JetStream stream, B finds it. (Started at the same
    // moment on a fresh nats-server, both may try to create it, and the loser exits with
    // "subjects overlap with an existing stream".)
    nodeA = await startServer(args("nA"));
    nodeB = await startServer(args("nB"));
  });
  after(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    await nats?.stop();
  });

  test("node B killed mid-stream: the client resumes on node A, every event once, in order", T, async () => {
    const TOTAL = 400; // events of n = 0..399, published through A; the even ones match
    const rule = { source: ["app.cluster"], detail: { n: [{ numeric: [">=", 0] }] } };
    const client = nodeB.client({
      url: [nodeB.wsUrl, nodeA.wsUrl],
      // The reconnect takes a while, so that events published meanwhile have to be replayed.
      reconnectBaseDelayMs: 600,
      reconnectMaxDelayMs: 1_200,
    });
    nodeB.clients.delete(client); // closed at the end of the test, not by nodeB.stop()
    let stopped = false; // ends the publisher, should the test fail
    try {
      await client.subscribe("evens", rule);
      assert.equal(client.url, nodeB.wsUrl);
      const { events } = collect(client);
      const closes = [];
      client.on("close", (info) => closes.push(info));
      const failures = [];
      client.on("resumefailed", (info) => failures.push(info));

      // The stream: 2 events per PutEvents (the even n matches, the odd one has another source), paced.
      // Past half of it, the publisher waits for B to be killed: the kill is mid-stream.
      let published = 0;
      let killed = false;
      const publisher = (async () => {
        while (published < TOTAL && !stopped) {
          if (published >= TOTAL / 2 && !killed) {
            await sleep(10);
            continue;
          }
          await nodeA.publish([entry("app.cluster", "T", { n: published }), entry("app.other", "T", { n: published + 1 })]);
          published += 2;
          await sleep(5);
        }
      })();
      const matches = (n) => n % 2 === 0;

      // Mid-stream, once B has delivered a good part of it: kill B.
      await waitFor(() => events.length >= 60, 60_000, "node B to deliver 60 events");
      const replayedBefore = await nodeA.metric("events_replayed");
      const killedAt = { delivered: events.length, lastSequence: client.lastSequence, published };
      await nodeB.kill();
      killed = true;
      await publisher;
      assert.ok(killedAt.published <= TOTAL / 2, `killed mid-stream (${JSON.stringify(killedAt)})`);

      const expected = [];
      for (let n = 0; n < TOTAL; n++) if (matches(n)) expected.push(n);
      await waitFor(() => events.length >= expected.length, 60_000, `all ${expected.length} matching events (have ${events.length})`);
      await sleep(500);
      assert.equal(client.url, nodeA.wsUrl, "reconnected to node A");
      assert.equal(client.state, "open");
      assert.ok(closes.length >= 1 && closes[0].code === 1006, `B's connection was lost: ${JSON.stringify(closes)}`);
      assert.deepEqual(failures, []);

      const ns = events.map((event) => event.event.detail.n);
      assert.deepEqual(ns, expected, "every matching event exactly once, in order");
      const sequences = events.map((event) => event.sequence);
      for (let i = 1; i < sequences.length; i++) assert.ok(sequences[i] > sequences[i - 1], `sequence order at ${i}`);
      // Sequences are the stream's: 2 per PutEvents, the same on both nodes.
      assert.equal(sequences.at(-1) - sequences[0], TOTAL - 2);
      assert.ok(events[killedAt.delivered].sequence > killedAt.lastSequence);
      const replayed = (await nodeA.metric("events_replayed")) - replayedBefore;
      assert.ok(replayed > 0, "node A replayed what the client missed");
    } finally {
      stopped = true;
      client.close();
    }
  });
});
