// Views: local filtering with the evmatch WebAssembly engine (wasm/pkg/node, built by
// ./scripts/build-wasm.sh) of the events the client receives from the real server.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";

import { PatternError } from "../dist/index.js";
import { collect, nextEvent, sleep, startServer, waitFor, wasmNodeModule } from "./helpers.mjs";

const T = { timeout: 30_000 };
const EVERYTHING = { source: [{ prefix: "" }] };

describe("views", () => {
  let server;
  let Matcher;
  before(async () => {
    if (!existsSync(wasmNodeModule)) {
      throw new Error(`${wasmNodeModule} does not exist: build the WASM package with ./scripts/build-wasm.sh`);
    }
    ({ Matcher } = await import(wasmNodeModule));
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  /** A client with the engine that receives every event, and `publish(events)` waiting for their arrival. */
  async function everything(options = {}) {
    const client = server.client({ engine: { Matcher }, ...options });
    await client.subscribe("everything", EVERYTHING);
    let received = 0;
    client.onEvent(() => received++);
    const publish = async (events) => {
      const target = received + events.length;
      await server.publishRaw(events);
      await waitFor(() => received >= target, 10_000, `${events.length} events`);
    };
    return { client, publish };
  }

  const order = (n, amount, source = "app.orders") => ({ source, "detail-type": "Order", detail: { n, amount } });
  const ns = (events) => events.map((event) => event.event.detail.n);

  test("view() without an engine throws a clear error", T, () => {
    const client = server.client();
    assert.throws(() => client.view({ source: ["a"] }), /view\(\) needs the evmatch engine: pass `engine: \{ Matcher \}`/);
  });

  test("a view filters what was received, then new events; setPattern re-filters at once", T, async () => {
    const { client, publish } = await everything();
    await publish([order(1, 5), order(2, 50), order(3, 500, "app.refunds"), order(4, 7)]);

    const view = client.view({ detail: { amount: [{ numeric: [">", 10] }] } });
    assert.equal(view.pattern, '{"detail":{"amount":[{"numeric":[">",10]}]}}');
    assert.deepEqual(ns(view.events), [2, 3]);
    const { events: fresh } = collect(view);

    await publish([order(5, 1000), order(6, 1)]);
    assert.deepEqual(ns(fresh), [5]);
    assert.deepEqual(ns(view.events), [2, 3, 5]);

    view.setPattern('{"source": ["app.orders"], "detail": {"amount": [{"numeric": ["<", 10]}]}}');
    assert.deepEqual(ns(view.events), [1, 4, 6]);
    view.setPattern({ source: ["app.refunds"] });
    assert.deepEqual(ns(view.events), [3]);
    await publish([order(7, 0, "app.refunds"), order(8, 0)]);
    assert.deepEqual(ns(fresh), [5, 7], "onEvent follows the new pattern");
    assert.deepEqual(ns(view.events), [3, 7]);

    // the view's events are the client's own objects, newest last
    assert.equal(view.events.at(-1), client.history.at(-2));
    assert.equal(view.events.at(-1).rules[0], "everything");
  });

  test("an invalid pattern throws AWS's reason; setPattern then keeps the previous one", T, async () => {
    const { client, publish } = await everything();
    await publish([order(1, 1), order(2, 2)]);
    const bad = { source: "app.orders" };
    const reason = Matcher.validate(bad);
    assert.equal(typeof reason, "string");
    assert.throws(
      () => client.view(bad),
      (error) => {
        assert.ok(error instanceof PatternError, `${error}`);
        assert.equal(error.reason, reason);
        assert.equal(error.message, `Event pattern is not valid. Reason: ${reason}`);
        return true;
      },
    );

    const view = client.view({ detail: { n: [2] } });
    assert.deepEqual(ns(view.events), [2]);
    const numeric = { detail: { n: [{ numeric: ["=", "two"] }] } };
    assert.throws(() => view.setPattern(numeric), { name: "PatternError", reason: Matcher.validate(numeric) });
    assert.throws(() => view.setPattern("{not json"), PatternError);
    assert.throws(() => view.setPattern(undefined), TypeError);
    assert.equal(view.pattern, '{"detail":{"n":[2]}}');
    assert.deepEqual(ns(view.events), [2]);
    await publish([order(2, 9), order(3, 3)]);
    assert.deepEqual(ns(view.events), [2, 2]);
  });

  test("the view agrees with the server's matching of the same patterns", T, async () => {
    const client = server.client({ engine: { Matcher } });
    const patterns = {
      big: { detail: { amount: [{ numeric: [">=", 100] }] } },
      refunds: { source: ["app.refunds"], "detail-type": [{ "anything-but": "Ignored" }] },
      wild: { detail: { tag: [{ wildcard: "a*z" }] } },
      exists: { detail: { amount: [{ exists: false }] } },
    };
    for (const [rule, pattern] of Object.entries(patterns)) await client.subscribe(rule, pattern);
    const views = Object.fromEntries(Object.entries(patterns).map(([rule, pattern]) => [rule, client.view(pattern)]));
    const received = collect(client).events;
    const published = [];
    for (let i = 0; i < 60; i++) {
      const detail = { n: i, tag: ["az", "abz", "ba", "a-z!"][i % 4] };
      if (i % 5 !== 0) detail.amount = (i * 37) % 250;
      published.push({ source: i % 3 === 0 ? "app.refunds" : "app.orders", "detail-type": i % 7 === 0 ? "Ignored" : "Kept", detail });
    }
    published.push({ source: "app.orders", "detail-type": "Kept", detail: { n: 999, amount: 1 } }); // matches nothing: no notification
    await server.publishRaw(published);
    await waitFor(() => received.some((event) => event.event.detail.n === 59), 10_000, "the events");
    await sleep(200);
    for (const [rule, view] of Object.entries(views)) {
      const expected = received.filter((event) => event.rules.includes(rule)).map((event) => event.event.detail.n);
      assert.ok(expected.length > 0, `rule ${rule} matched something`);
      assert.deepEqual(ns(view.events), expected, `view ${rule}`);
    }
  });

  test("limit keeps the newest matching events", T, async () => {
    const { client, publish } = await everything();
    await publish([order(1, 1), order(2, 1), order(3, 1), order(4, 1)]);
    const view = client.view({ source: ["app.orders"] }, { limit: 2 });
    assert.deepEqual(ns(view.events), [3, 4]);
    await publish([order(5, 1)]);
    assert.deepEqual(ns(view.events), [4, 5]);
    view.setPattern({ detail: { n: [1, 2, 3] } });
    assert.deepEqual(ns(view.events), [2, 3]);
  });

  test("the client keeps `history` events; views see only those", T, async () => {
    const { client, publish } = await everything({ history: 3 });
    await publish([order(1, 1), order(2, 2), order(3, 1), order(4, 2)]);
    assert.deepEqual(ns(client.history), [2, 3, 4]);
    const odd = client.view({ detail: { amount: [1] } });
    const all = client.view({ source: ["app.orders"] });
    assert.deepEqual(ns(odd.events), [3]);
    await publish([order(5, 2)]);
    assert.deepEqual(ns(client.history), [3, 4, 5]);
    assert.deepEqual(ns(odd.events), [3]);
    assert.deepEqual(ns(all.events), [3, 4, 5]);
    await publish([order(6, 2)]);
    assert.deepEqual(ns(odd.events), [], "event 3 left the history, and so the view");
    assert.deepEqual(ns(all.events), [4, 5, 6]);
  });

  test("close() stops a view; the others go on", T, async () => {
    const { client, publish } = await everything();
    const first = client.view({ source: ["app.orders"] });
    const second = client.view({ source: ["app.orders"] });
    const firstSeen = collect(first).events;
    const secondSeen = collect(second).events;
    await publish([order(1, 1)]);
    first.close();
    first.close();
    assert.equal(first.closed, true);
    assert.deepEqual(first.events, []);
    assert.throws(() => first.setPattern({ source: ["x"] }), /closed/);
    await publish([order(2, 1)]);
    assert.deepEqual(ns(firstSeen), [1]);
    assert.deepEqual(ns(secondSeen), [1, 2]);
    second.close();
    // a view made after every other one closed gets a new matcher
    const third = client.view({ detail: { n: [2] } });
    assert.deepEqual(ns(third.events), [2]);
  });

  test("views survive a reconnect and a closed client", T, async () => {
    const { client, publish } = await everything();
    const view = client.view({ detail: { n: [{ numeric: [">", 1] }] } });
    await publish([order(1, 1), order(2, 1)]);
    const [connectionId] = await server.connectionIdsOf(client.id);
    const reopened = nextEvent(client, "open", 10_000);
    assert.equal(await server.drop(connectionId), 204);
    await reopened;
    await publish([order(3, 1)]);
    assert.deepEqual(ns(view.events), [2, 3]);
    client.close();
    assert.deepEqual(ns(view.events), [2, 3]);
    view.setPattern({ detail: { n: [1] } });
    assert.deepEqual(ns(view.events), [1]);
  });
});
