// The conformance corpus (corpus/*.jsonl), read by the same rules as corpus/src/lib.rs: files in
// name order, blank lines skipped, names unique; `pattern` and `event` are the raw text of the
// value as written in the line, except that a JSON string stands for its content. As in the Rust
// loader (serde_json refuses lone surrogates in a `String`), a string whose content is not
// well-formed Unicode stays raw text.
import { readdirSync, readFileSync } from "node:fs";

export const corpusDir = new URL("../../corpus/", import.meta.url);

/** Every case: {name, location, pattern, event?, expect, reason?}. Throws on a malformed line. */
export function loadCorpus() {
  const files = readdirSync(corpusDir)
    .filter((name) => name.endsWith(".jsonl") && name !== ".jsonl")
    .sort();
  const cases = [];
  for (const file of files) {
    const lines = readFileSync(new URL(file, corpusDir), "utf8").split("\n");
    lines.forEach((line, index) => {
      line = line.replace(/\r$/, "");
      if (line.trim() === "") return;
      const location = `${file}:${index + 1}`;
      try {
        cases.push({ ...parseCase(line), location });
      } catch (error) {
        throw new Error(`${location}: ${error.message}`);
      }
    });
  }
  const seen = new Set();
  for (const { name } of cases) {
    if (seen.has(name)) throw new Error(`corpus case name used twice: ${name}`);
    seen.add(name);
  }
  return cases;
}

function parseCase(line) {
  const fields = rawFields(line);
  const stringOf = (key) => {
    const raw = fields.get(key);
    if (raw === undefined || !raw.startsWith('"')) return undefined;
    const value = JSON.parse(raw);
    return value.isWellFormed() ? value : undefined;
  };
  const textOf = (key) => {
    const raw = fields.get(key);
    return raw === undefined ? undefined : (stringOf(key) ?? raw);
  };
  const name = stringOf("name");
  if (name === undefined) throw new Error('case has no "name" string');
  const pattern = textOf("pattern");
  if (pattern === undefined) throw new Error('case has no "pattern"');
  const event = textOf("event");
  const expect = stringOf("expect");
  if (!["match", "no-match", "invalid", "event-error"].includes(expect)) {
    throw new Error(`${name}: unknown "expect": ${expect}`);
  }
  if (event === undefined && expect !== "invalid") throw new Error(`${name}: case has no "event"`);
  const reason = expect === "invalid" ? (stringOf("reason") ?? null) : undefined;
  return { name, pattern, event, expect, reason };
}

/** The top-level members of a one-line JSON object, as raw value text (the last of a repeated key). */
function rawFields(line) {
  let i = 0;
  const space = () => {
    while (" \t\n\r".includes(line[i]) && i < line.length) i++;
  };
  const take = (char) => {
    space();
    if (line[i] !== char) throw new Error(`expected '${char}' at column ${i + 1}`);
    i++;
  };
  const string = () => {
    const start = i++;
    while (i < line.length && line[i] !== '"') i += line[i] === "\\" ? 2 : 1;
    if (i >= line.length) throw new Error("unterminated string");
    return line.slice(start, ++i);
  };
  const value = () => {
    space();
    const start = i;
    if (line[i] === '"') {
      string();
    } else if (line[i] === "{" || line[i] === "[") {
      let depth = 0;
      do {
        if (line[i] === '"') {
          string();
          continue;
        }
        if (line[i] === "{" || line[i] === "[") depth++;
        if (line[i] === "}" || line[i] === "]") depth--;
        i++;
      } while (depth > 0 && i < line.length);
      if (depth !== 0) throw new Error("unbalanced brackets");
    } else {
      while (i < line.length && !",}] \t\n\r".includes(line[i])) i++;
    }
    const raw = line.slice(start, i);
    JSON.parse(raw); // well-formed (JSON.parse, like serde's RawValue, takes 1e400)
    return raw;
  };
  const fields = new Map();
  take("{");
  space();
  if (line[i] === "}") {
    i++;
  } else {
    for (;;) {
      space();
      if (line[i] !== '"') throw new Error(`expected a key at column ${i + 1}`);
      const key = JSON.parse(string());
      take(":");
      fields.set(key, value());
      space();
      if (line[i] === ",") {
        i++;
        continue;
      }
      take("}");
      break;
    }
  }
  space();
  if (i !== line.length) throw new Error(`text after the case at column ${i + 1}`);
  return fields;
}
