//! `evmatch filter`: a stream of JSON Lines events through a file of named rules.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::{pattern_error, Failure};

const READ_BUFFER: usize = 64 * 1024;
const WRITE_BUFFER: usize = 64 * 1024;

pub fn run(rules_path: &str, events: Option<&str>) -> Result<(), Failure> {
    let mut rules = RuleSet::load(rules_path)?;
    let (source, input): (&str, Box<dyn Read>) = match events {
        None | Some("-") => ("<stdin>", Box::new(io::stdin())),
        Some(path) => {
            let file = File::open(path)
                .map_err(|e| Failure::Io(format!("evmatch filter: cannot read {path}: {e}")))?;
            (path, Box::new(file))
        }
    };
    let mut input = BufReader::with_capacity(READ_BUFFER, input);
    let mut out = io::BufWriter::with_capacity(WRITE_BUFFER, io::stdout().lock());
    let stats = rules.stream(&mut input, source, &mut out)?;
    out.flush().map_err(Failure::output)?;
    rules.summarize(&stats);
    Ok(())
}

/// The rules file's rules, compiled, with what the output needs of each.
struct RuleSet {
    matcher: evmatch::Matcher,
    /// Position of each rule by name.
    index: HashMap<String, usize>,
    /// Each rule's name as a JSON string, for the records and the summary.
    quoted: Vec<String>,
    /// Events each rule matched.
    counts: Vec<u64>,
}

#[derive(Default)]
struct Stats {
    events: u64,
    matched: u64,
    bad: u64,
}

impl RuleSet {
    fn load(path: &str) -> Result<RuleSet, Failure> {
        let text = std::fs::read(path).map_err(|e| {
            Failure::Io(format!(
                "evmatch filter: cannot read rules file {path}: {e}"
            ))
        })?;
        let Rules(rules) = serde_json::from_slice(&text).map_err(|e| {
            Failure::Invalid(format!(
                "evmatch filter: rules file {path} is not valid: {e}"
            ))
        })?;
        let mut set = RuleSet {
            matcher: evmatch::Matcher::new(),
            index: HashMap::with_capacity(rules.len()),
            quoted: Vec::with_capacity(rules.len()),
            counts: vec![0; rules.len()],
        };
        for (name, pattern) in rules {
            let quoted = json_string(&name);
            set.matcher
                .add_rule(&name, pattern.get())
                .map_err(|e| Failure::Invalid(format!("rule {quoted}: {}", pattern_error(e))))?;
            set.index.insert(name, set.quoted.len());
            set.quoted.push(quoted);
        }
        Ok(set)
    }

    /// Match every line of `input`, writing a record per matching event to `out`.
    fn stream(
        &mut self,
        input: &mut BufReader<Box<dyn Read>>,
        source: &str,
        out: &mut impl Write,
    ) -> Result<Stats, Failure> {
        let mut stats = Stats::default();
        let mut line = Vec::new();
        let mut number: u64 = 0;
        loop {
            // About to wait for more input: let what is matched so far through (`tail -f`).
            if input.buffer().is_empty() {
                out.flush().map_err(Failure::output)?;
            }
            line.clear();
            let read = input
                .read_until(b'\n', &mut line)
                .map_err(|e| Failure::Io(format!("evmatch filter: cannot read {source}: {e}")))?;
            if read == 0 {
                return Ok(stats);
            }
            number += 1;
            let event = line.strip_suffix(b"\n").unwrap_or(&line);
            let event = event.strip_suffix(b"\r").unwrap_or(event);
            if event.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            match self.matcher.matches(event) {
                Ok(names) => {
                    stats.events += 1;
                    if names.is_empty() {
                        continue;
                    }
                    stats.matched += 1;
                    write!(out, "{{\"line\": {number}, \"rules\": [").map_err(Failure::output)?;
                    for (k, name) in names.iter().enumerate() {
                        let i = self.index[*name];
                        self.counts[i] += 1;
                        if k > 0 {
                            out.write_all(b", ").map_err(Failure::output)?;
                        }
                        out.write_all(self.quoted[i].as_bytes())
                            .map_err(Failure::output)?;
                    }
                    out.write_all(b"]}\n").map_err(Failure::output)?;
                }
                Err(err) => {
                    stats.bad += 1;
                    let _ = writeln!(io::stderr().lock(), "{source}:{number}: skipped: {err}");
                }
            }
        }
    }

    fn summarize(&self, stats: &Stats) {
        let mut summary = format!(
            "events read: {}\nevents matched: {}\nbad lines: {}\n",
            stats.events, stats.matched, stats.bad
        );
        for (name, count) in self.quoted.iter().zip(&self.counts) {
            summary += &format!("rule {name}: {count}\n");
        }
        let _ = io::stderr().lock().write_all(summary.as_bytes());
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

/// The rules file: a JSON object of rule names and patterns, in file order. Each pattern is
/// kept as its exact text, so number spellings and duplicate keys reach the engine untouched.
struct Rules(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Rules {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rules, D::Error> {
        struct RulesVisitor;

        impl<'de> Visitor<'de> for RulesVisitor {
            type Value = Rules;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object mapping rule names to event patterns")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rules, A::Error> {
                let mut rules = Vec::new();
                let mut seen = HashSet::new();
                while let Some((name, pattern)) = map.next_entry::<String, Box<RawValue>>()? {
                    if !seen.insert(name.clone()) {
                        let name = json_string(&name);
                        return Err(A::Error::custom(format_args!("duplicate rule name {name}")));
                    }
                    rules.push((name, pattern));
                }
                Ok(Rules(rules))
            }
        }

        deserializer.deserialize_map(RulesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<Vec<(String, String)>, String> {
        serde_json::from_str::<Rules>(text)
            .map(|Rules(r)| {
                r.into_iter()
                    .map(|(n, p)| (n, p.get().to_owned()))
                    .collect()
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn rules_keep_file_order_and_raw_text() {
        let got = rules(r#"{"z": {"a": [1.50E+2], "a": [2]}, "a\n": {"b": ["x"]}}"#).unwrap();
        assert_eq!(
            got,
            [
                ("z".to_owned(), r#"{"a": [1.50E+2], "a": [2]}"#.to_owned()),
                ("a\n".to_owned(), r#"{"b": ["x"]}"#.to_owned()),
            ]
        );
    }

    #[test]
    fn rules_file_must_be_an_object_of_unique_names() {
        let e = rules(r#"{"a": {}, "a": {}}"#).unwrap_err();
        assert!(e.starts_with(r#"duplicate rule name "a""#), "{e}");
        let e = rules("[]").unwrap_err();
        assert!(
            e.contains("a JSON object mapping rule names to event patterns"),
            "{e}"
        );
        assert!(rules("{").is_err());
        assert!(rules("{} {}").is_err());
        assert_eq!(rules("{}").unwrap(), []);
    }
}
