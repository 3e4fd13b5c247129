/**
 * The whole conformance corpus (corpus/*.jsonl) through the WASM package, on both builds (Node and
 * web), each case checked against its expectation exactly as engine/tests/corpus.rs checks the
 * native engine: `invalid` with a reason → addRule throws a PatternError whose message is that
 * reason; `invalid` without one (malformed JSON) → a PatternSyntaxError; `match` / `no-match` →
 * matches gives ["case"] / []; `event-error` → matches throws an EventError.
 *
 * Native verdicts are not recomputed here (the CLI per case would be slow, and nothing is added to
 * it for this): the native engine and CLI are held to these same expectations by
 * engine/tests/corpus.rs and cli/tests/corpus.rs, so zero disagreements here means the WASM build
 * agrees with the native one case by case.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isDeepStrictEqual } from "node:util";

import { loadBuilds } from "../test-support/builds.mjs";
import { loadCorpus } from "../test-support/corpus.mjs";

const builds = await loadBuilds();
const cases = loadCorpus();

/** What a build says about a case, in the corpus's terms. */
function verdict({ Matcher }, c) {
  const matcher = new Matcher();
  try {
    matcher.addRule("case", c.pattern);
  } catch (error) {
    if (error.name === "PatternSyntaxError") return { expect: "invalid", reason: null };
    if (error.name === "PatternError") return { expect: "invalid", reason: error.message };
    return { unexpected: `addRule threw ${error}` };
  }
  if (c.event === undefined) return { unexpected: "the pattern is valid but the case has no event" };
  try {
    const names = matcher.matches(c.event);
    if (names.length === 0) return { expect: "no-match" };
    if (names.length === 1 && names[0] === "case") return { expect: "match" };
    return { unexpected: `matches gave ${JSON.stringify(names)}` };
  } catch (error) {
    if (error.name === "EventError") return { expect: "event-error" };
    return { unexpected: `matches threw ${error}` };
  } finally {
    matcher.free();
  }
}

const expected = (c) => (c.expect === "invalid" ? { expect: "invalid", reason: c.reason } : { expect: c.expect });

test("the corpus loads", (t) => {
  assert.ok(cases.length >= 300, `the corpus has only ${cases.length} cases`);
  const counts = {};
  for (const c of cases) counts[c.expect] = (counts[c.expect] ?? 0) + 1;
  t.diagnostic(`${cases.length} cases: ${JSON.stringify(counts)}`);
});

for (const [label, build] of Object.entries(builds)) {
  test(`every corpus case holds on the ${label} build`, () => {
    const failures = [];
    for (const c of cases) {
      const got = verdict(build, c);
      if (!isDeepStrictEqual(got, expected(c))) {
        failures.push(`${c.name} (${c.location}): expected ${JSON.stringify(expected(c))}, got ${JSON.stringify(got)}`);
      }
    }
    assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases failed:\n${failures.join("\n")}`);
  });

  test(`Matcher.validate agrees with addRule on every corpus pattern (${label} build)`, () => {
    const failures = [];
    for (const c of cases) {
      const reason = build.Matcher.validate(c.pattern);
      const wanted = c.expect === "invalid" ? c.reason : null;
      // Malformed JSON: any message will do, but there must be one.
      const ok = c.expect === "invalid" && c.reason === null ? typeof reason === "string" : reason === wanted;
      if (!ok) failures.push(`${c.name} (${c.location}): validate gave ${JSON.stringify(reason)}`);
    }
    assert.equal(failures.length, 0, failures.join("\n"));
  });

  test(`one matcher holding every valid corpus pattern gives each case's verdict (${label} build)`, () => {
    const matcher = new build.Matcher();
    const live = cases.filter((c) => c.expect !== "invalid");
    for (const c of live) matcher.addRule(c.name, c.pattern);
    assert.equal(matcher.len, live.length);
    const failures = [];
    for (const c of live) {
      let got;
      try {
        got = matcher.matches(c.event).includes(c.name) ? "match" : "no-match";
      } catch (error) {
        got = error.name === "EventError" ? "event-error" : String(error);
      }
      if (got !== c.expect) failures.push(`${c.name} (${c.location}): expected ${c.expect}, got ${got}`);
    }
    matcher.free();
    assert.equal(failures.length, 0, failures.join("\n"));
  });
}
