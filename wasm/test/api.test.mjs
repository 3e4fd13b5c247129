/**
 * The JS API's edge cases, on both builds (Node and web): errors and their names and messages,
 * deleting rules, several patterns under one name, Unicode, object and string inputs, validate,
 * limits through the boundary.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { loadBuilds } from "../test-support/builds.mjs";

const builds = await loadBuilds();

/** Asserts `f` throws an Error with this `name` and a message equal to (string) or matching (RegExp) `message`. */
function throwsNamed(f, name, message) {
  assert.throws(f, (error) => {
    assert.ok(error instanceof Error, `not an Error: ${error}`);
    assert.equal(error.name, name);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

for (const [label, { Matcher }] of Object.entries(builds)) {
  describe(`${label} build`, () => {
    test("a pattern that is not JSON is a PatternSyntaxError, and adds nothing", () => {
      const m = new Matcher();
      throwsNamed(() => m.addRule("r", '{"a": ['), "PatternSyntaxError", /^Invalid JSON at byte \d+/);
      throwsNamed(() => m.addRule("r", ""), "PatternSyntaxError", /JSON/);
      throwsNamed(() => m.addRule("r", '{"a": ["x"]} trailing'), "PatternSyntaxError", /JSON/);
      assert.equal(m.len, 0);
      assert.deepEqual(m.matches({ a: "x" }), []);
    });

    test("a pattern EventBridge refuses is a PatternError with AWS's reason", () => {
      const m = new Matcher();
      for (const pattern of ['{"source": "aws.ec2"}', { source: "aws.ec2" }]) {
        throwsNamed(() => m.addRule("r", pattern), "PatternError", '"source" must be an object or an array');
      }
      throwsNamed(() => m.addRule("r", { a: [{ numeric: [">", 5, "<", 1] }] }), "PatternError", "Bottom must be less than top");
      throwsNamed(() => m.addRule("r", { a: [] }), "PatternError", "Empty arrays are not allowed");
      throwsNamed(() => m.addRule("r", ["x"]), "PatternError", "Filter is not an object");
      throwsNamed(() => m.addRule("r", "[1]"), "PatternError", "Filter is not an object");
      throwsNamed(() => m.addRule("r", { a: [{ wildcard: "a**" }] }), "PatternError", "Consecutive wildcard characters at pos 2");
      assert.equal(m.len, 0);
    });

    test("an event that is not JSON is an EventError", () => {
      const m = new Matcher();
      m.addRule("r", { a: ["x"] });
      throwsNamed(() => m.matches('{"a": "x"'), "EventError", /^invalid JSON at byte \d+/);
      throwsNamed(() => m.matches('{"a": "x"} {'), "EventError", /^invalid JSON at byte \d+/);
      throwsNamed(() => m.matches(""), "EventError", /^invalid JSON/);
      throwsNamed(() => m.matches('{"a": "x", "b": "\\ud800"}'), "EventError", /^invalid JSON/);
    });

    test("an event that is JSON but not an object is an EventError", () => {
      const m = new Matcher();
      m.addRule("r", { a: ["x"] });
      for (const event of ['[{"a": "x"}]', '"x"', "1", "null", [{ a: "x" }], null, 42, true, "x"]) {
        throwsNamed(() => m.matches(event), "EventError", /event is not a JSON object|invalid JSON/);
      }
      throwsNamed(() => m.matches([{ a: "x" }]), "EventError", "event is not a JSON object");
    });

    test("values JSON.stringify cannot serialise are TypeErrors", () => {
      const m = new Matcher();
      const cycle = {};
      cycle.self = cycle;
      for (const input of [undefined, () => 1, Symbol("s"), 1n, cycle]) {
        assert.throws(() => m.matches(input), TypeError);
        assert.throws(() => m.addRule("r", input), TypeError);
        assert.throws(() => Matcher.validate(input), TypeError);
      }
      assert.equal(m.len, 0);
    });

    test("deleteRule removes a name completely and says whether it was there", () => {
      const m = new Matcher();
      m.addRule("r1", { a: ["x"] });
      m.addRule("r2", { a: [{ prefix: "x" }] });
      assert.deepEqual(m.matches({ a: "x" }), ["r1", "r2"]);
      assert.equal(m.deleteRule("r1"), true);
      assert.equal(m.deleteRule("r1"), false);
      assert.equal(m.deleteRule("never-added"), false);
      assert.equal(m.len, 1);
      assert.deepEqual(m.matches({ a: "x" }), ["r2"]);
      // Re-added with another pattern: no ghost of the old one.
      m.addRule("r1", { b: ["y"] });
      assert.deepEqual(m.matches({ a: "x" }), ["r2"]);
      assert.deepEqual(m.matches({ a: "x", b: "y" }), ["r2", "r1"]);
      assert.equal(m.deleteRule("r2"), true);
      assert.equal(m.deleteRule("r1"), true);
      assert.equal(m.len, 0);
      assert.deepEqual(m.matches({ a: "x", b: "y" }), []);
      // Many adds and deletes leave nothing behind.
      for (let i = 0; i < 500; i++) m.addRule(`n${i}`, { a: [{ numeric: [">=", i] }] });
      for (let i = 0; i < 500; i += 2) assert.equal(m.deleteRule(`n${i}`), true);
      assert.equal(m.len, 250);
      assert.deepEqual(m.matches({ a: 3 }), ["n1", "n3"]);
    });

    test("a name with several patterns matches once when any of them does", () => {
      const m = new Matcher();
      m.addRule("first", { z: ["z"] });
      m.addRule("multi", { a: ["x"] });
      m.addRule("multi", '{"b": [{"numeric": [">", 10]}]}');
      m.addRule("multi", { c: [{ exists: true }] });
      assert.equal(m.len, 2);
      assert.deepEqual(m.matches({ a: "x" }), ["multi"]);
      assert.deepEqual(m.matches({ b: 11 }), ["multi"]);
      assert.deepEqual(m.matches({ a: "x", b: 11, c: null, z: "z" }), ["first", "multi"]);
      assert.deepEqual(m.matches({ a: "y", b: 10 }), []);
      assert.equal(m.deleteRule("multi"), true);
      assert.deepEqual(m.matches({ a: "x", b: 11, c: 1 }), []);
    });

    test("Unicode rule names and values", () => {
      const m = new Matcher();
      const names = ["règle-zürich", "🚀 launch", "名前", "", "a\u0000b"];
      m.addRule(names[0], { city: ["Zürich"] });
      m.addRule(names[1], { emoji: [{ prefix: "😀" }] });
      m.addRule(names[2], { street: [{ "equals-ignore-case": "straße" }] });
      m.addRule(names[3], { "ключ": ["значение"] });
      m.addRule(names[4], { s: [{ suffix: "Σ" }] });
      assert.equal(m.len, 5);
      assert.deepEqual(
        m.matches({ city: "Zürich", emoji: "😀🎉", street: "STRASSE", "ключ": "значение", s: "ΑΣ" }),
        names,
      );
      assert.deepEqual(m.matches('{"city": "Z\\u00fcrich", "emoji": "\\ud83d\\ude00"}'), names.slice(0, 2));
      assert.deepEqual(m.matches({ city: "Zurich", emoji: "😁", street: "strasse ", s: "σ" }), []);
    });

    test("object and string inputs give the same answers", () => {
      const patterns = [
        { source: ["aws.ec2"], detail: { state: [{ "anything-but": "running" }] } },
        { detail: { size: [{ numeric: [">", 0, "<=", 1048576] }] } },
        { $or: [{ a: [{ cidr: "10.0.0.0/24" }] }, { b: [{ wildcard: "arn:*:bucket/*" }] }] },
        { "detail.tags": [{ exists: false }], source: [{ prefix: { "equals-ignore-case": "AWS." } }] },
      ];
      const events = [
        { source: "aws.ec2", detail: { state: "stopped", size: 10 } },
        { source: "AWS.s3", detail: { state: "running", size: 0 }, a: "10.0.0.200" },
        { source: "x", b: "arn:aws:bucket/k", detail: { tags: ["t"], size: 1048576 } },
        { source: "aws.ec2", detail: [{ state: "running" }, { state: "pending" }] },
      ];
      const byObject = new Matcher();
      const byString = new Matcher();
      patterns.forEach((p, i) => {
        byObject.addRule(`p${i}`, p);
        byString.addRule(`p${i}`, JSON.stringify(p));
        assert.equal(Matcher.validate(p), null);
        assert.equal(Matcher.validate(JSON.stringify(p)), null);
      });
      for (const event of events) {
        const expected = byString.matches(JSON.stringify(event));
        assert.deepEqual(byObject.matches(event), expected);
        assert.deepEqual(byString.matches(event), expected);
        assert.deepEqual(byObject.matches(JSON.stringify(event)), expected);
      }
      assert.deepEqual(byObject.matches(events[0]), ["p0", "p1", "p3"]);
    });

    test("structural validation: the same answers on well-formed events, less checking", () => {
      const patterns = {
        stopped: { source: ["aws.ec2"], detail: { state: [{ "anything-but": "running" }] } },
        big: { detail: { size: [{ numeric: [">", 1000] }] } },
        untagged: { detail: { tags: [{ exists: false }] } },
      };
      const full = new Matcher();
      const structural = new Matcher({ validation: "structural" });
      for (const [name, pattern] of Object.entries(patterns)) {
        full.addRule(name, pattern);
        structural.addRule(name, pattern);
      }
      const events = [
        { source: "aws.ec2", detail: { state: "stopped", size: 5000, tags: [] } },
        { detail: { size: 10, other: { deep: [1, 2, { x: "y" }] } }, source: "aws.s3" },
        { source: "aws.ec2", detail: [{ state: "running" }, { state: "pending", size: 2000 }] },
      ];
      for (const event of events) {
        assert.deepEqual(structural.matches(event), full.matches(event));
        assert.deepEqual(structural.matches(new TextEncoder().encode(JSON.stringify(event))), full.matches(event));
      }
      // What no rule reads, structural mode only delimits: a bad literal inside a skipped
      // object or a raw tab inside a skipped string is not noticed, where full validation
      // refuses the event.
      const only = new Matcher({ validation: "structural" });
      only.addRule("a", { a: ["x"] });
      const strict = new Matcher({ validation: "full" });
      strict.addRule("a", { a: ["x"] });
      for (const event of ['{"b": {"c": nul}, "a": "x"}', '{"b": "a\tb", "a": "x"}']) {
        assert.deepEqual(only.matches(event), ["a"]);
        throwsNamed(() => strict.matches(event), "EventError", /^invalid JSON/);
      }
      // Malformed structure before it is still an error.
      throwsNamed(() => only.matches('{"b" "y", "a": "x"}'), "EventError", /^invalid JSON/);
      throwsNamed(() => only.matches('{"b": , "a": "x"}'), "EventError", /^invalid JSON/);
      const defaults = new Matcher({});
      defaults.addRule("a", { a: ["x"] });
      throwsNamed(() => defaults.matches('{"b": {"c": nul}, "a": "x"}'), "EventError", /^invalid JSON/);
      assert.throws(() => new Matcher({ validation: "none" }), TypeError);
      assert.throws(() => new Matcher({ validation: 1 }), TypeError);
    });

    test("an event may be UTF-8 bytes: a Uint8Array or a Buffer", () => {
      const m = new Matcher();
      m.addRule("zurich", { city: ["Zürich"] });
      m.addRule("any-city", { city: [{ exists: true }] });
      const text = '{"city": "Zürich"}';
      const bytes = new TextEncoder().encode(text);
      assert.deepEqual(m.matches(bytes), ["zurich", "any-city"]);
      assert.deepEqual(m.matches(Buffer.from(text)), ["zurich", "any-city"]);
      // A view into a larger buffer: only its own bytes are the event.
      const padded = new Uint8Array(bytes.length + 8).fill(0x20);
      padded.set(bytes, 4);
      assert.deepEqual(m.matches(padded.subarray(4, 4 + bytes.length)), ["zurich", "any-city"]);
      throwsNamed(() => m.matches(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), "EventError", /^invalid JSON/);
      throwsNamed(() => m.matches(new Uint8Array(0)), "EventError", /^invalid JSON/);
    });

    test("events of every size and script reach the engine whole", () => {
      const m = new Matcher();
      m.addRule("tail", { tail: ["end"] });
      // Growing sizes, ASCII then 2-, 3- and 4-byte UTF-8: each overflows the buffer the last
      // one left, and the rule's field comes last so a truncated copy would not match.
      for (const filler of ["a", "é", "€", "😀"]) {
        for (const size of [10, 1000, 100_000, 1_500_000]) {
          const event = `{"pad": "${filler.repeat(size)}", "tail": "end"}`;
          assert.deepEqual(m.matches(event), ["tail"], `${size} × ${filler}`);
          assert.deepEqual(m.matches('{"tail": "end"}'), ["tail"]);
        }
      }
    });

    test("an event over the size limit is refused with its UTF-8 length", () => {
      const m = new Matcher();
      m.addRule("r", { a: [{ exists: true }] });
      const limit = 16 * 1024 * 1024;
      const ascii = `{"a": "${"x".repeat(limit)}"}`;
      throwsNamed(() => m.matches(ascii), "EventError", `event is too large: ${limit + 9} bytes, at most ${limit} are allowed`);
      const wide = `{"a": "${"€".repeat(limit / 2)}"}`;
      throwsNamed(() => m.matches(wide), "EventError", `event is too large: ${(limit / 2) * 3 + 9} bytes, at most ${limit} are allowed`);
      throwsNamed(() => m.matches(new Uint8Array(limit + 1)), "EventError", `event is too large: ${limit + 1} bytes, at most ${limit} are allowed`);
      assert.deepEqual(m.matches({ a: 1 }), ["r"]);
    });

    test("JSON text keeps what objects cannot: number spellings, 1e400, duplicate keys", () => {
      const m = new Matcher();
      m.addRule("three-hundred", '{"n": [3.0e2]}');
      m.addRule("huge", '{"h": [{"anything-but": 1}]}');
      assert.deepEqual(m.matches('{"n": 300}'), ["three-hundred"]);
      assert.deepEqual(m.matches('{"h": 1e400}'), ["huge"]);
      // Duplicate event keys: every occurrence is a value of the path.
      assert.deepEqual(m.matches('{"n": 1, "n": 300}'), ["three-hundred"]);
    });

    test("matches returns a fresh array of strings, in the order names were first added", () => {
      const m = new Matcher();
      for (const name of ["c", "a", "b"]) m.addRule(name, { k: [{ exists: true }] });
      const names = m.matches({ k: 1 });
      assert.ok(Array.isArray(names));
      assert.deepEqual(names, ["c", "a", "b"]);
      names.push("mutated");
      assert.deepEqual(m.matches({ k: 1 }), ["c", "a", "b"]);
    });

    test("Matcher.validate: null, AWS's reason, or a parser message", () => {
      assert.equal(Matcher.validate('{"a": ["x"]}'), null);
      assert.equal(Matcher.validate({ a: [{ cidr: "10.0.0.0/24" }] }), null);
      assert.equal(Matcher.validate({ source: "aws.ec2" }), '"source" must be an object or an array');
      assert.equal(Matcher.validate('{"a": [{"numeric": [">", 5, "<", 1]}]}'), "Bottom must be less than top");
      assert.equal(Matcher.validate({ a: [{ foo: 1 }] }), "Unrecognized match type foo");
      assert.equal(Matcher.validate({}), "Empty objects are not allowed");
      assert.match(Matcher.validate("{"), /^Invalid JSON at byte/);
    });

    test("limits are errors, not crashes", () => {
      const m = new Matcher();
      const deepEvent = '{"a": ' + "[".repeat(5000) + "]".repeat(5000) + "}";
      throwsNamed(() => m.matches(deepEvent), "EventError", /nested too deeply/);
      const deepPattern = '{"a": '.repeat(2000) + '["x"]' + "}".repeat(2000);
      assert.throws(() => m.addRule("deep", deepPattern), (e) => /Pattern/.test(e.name));
      const bigPattern = JSON.stringify({ a: Array.from({ length: 20000 }, (_, i) => `value-${i}`) });
      throwsNamed(() => m.addRule("big", bigPattern), "PatternError", /^Pattern is too large/);
      throwsNamed(() => m.addRule("or", { $or: [{ a: ["1"] }] }), "PatternError", "There must have at least 2 Objects in $or relationship.");
      // The module still works after all of that.
      m.addRule("ok", { a: ["x"] });
      assert.deepEqual(m.matches({ a: "x" }), ["ok"]);
    });

    test("free() releases a matcher; using it afterwards throws instead of crashing", () => {
      const m = new Matcher();
      m.addRule("r", { a: ["x"] });
      m.free();
      assert.throws(() => m.matches({ a: "x" }));
    });
  });
}

test("both builds are the same engine", () => {
  const { node, web } = builds;
  assert.notEqual(node.Matcher, web.Matcher);
  assert.equal(node.Matcher.validate({ a: 1 }), web.Matcher.validate({ a: 1 }));
});
