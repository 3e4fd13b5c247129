// Type-checked (never run) by types.test.mjs: `tsc --noEmit -p wasm/tsconfig.json`, against the
// generated .d.ts files, resolved through the package's `exports` map as a user's code would be.
import { Matcher, type MatcherOptions } from "evmatch";
import init, { initSync, Matcher as WebMatcher } from "evmatch/web";

const matcher: Matcher = new Matcher();
matcher.addRule("stopped-ec2", { source: ["aws.ec2"], detail: { state: [{ "anything-but": "running" }] } });
matcher.addRule("big-objects", '{"detail": {"object": {"size": [{"numeric": [">", 1048576]}]}}}');
const names: string[] = matcher.matches('{"source": "aws.ec2", "detail": {"state": "stopped"}}');
const sameNames: string[] = matcher.matches({ source: "aws.ec2", detail: { state: "stopped" } });
const deleted: boolean = matcher.deleteRule("big-objects");
const count: number = matcher.len;
const reason: string | null = Matcher.validate({ source: "aws.ec2" });
if (reason !== null) console.log(reason.toUpperCase());
console.log(names.join(), sameNames.length, deleted, count);
matcher.free();

const options: MatcherOptions = { validation: "structural" };
const trusting = new Matcher(options);
const fromBytes: string[] = trusting.matches(new TextEncoder().encode('{"source": "aws.ec2"}'));
console.log(fromBytes.length, new Matcher({}).len, new Matcher({ validation: "full" }).len);

// @ts-expect-error a number is neither JSON text nor an object
matcher.addRule("r", 5);
// @ts-expect-error rule names are strings
matcher.deleteRule(1);
// @ts-expect-error matches gives names, not booleans
const wrong: boolean = matcher.matches("{}");
// @ts-expect-error len is read-only
matcher.len = 3;
// @ts-expect-error only "full" and "structural"
new Matcher({ validation: "none" });
// @ts-expect-error validate may return null
const notNull: string = Matcher.validate("{}");

async function inBrowser(bytes: ArrayBuffer): Promise<string[]> {
  await init();
  initSync({ module: bytes });
  const web = new WebMatcher();
  web.addRule("r", { a: ["x"] });
  return web.matches({ a: "x" });
}
console.log(wrong, notNull, inBrowser);
