//! Conformance: every case of the corpus (`corpus/*.jsonl`, read by `evmatch-corpus`) through
//! the `evmatch` binary.
//!
//! How each kind of case is run (the format is in `corpus/README.md`):
//! - `{"name", "pattern", "event", "expect": "match" | "no-match"}`: `evmatch filter` with the
//!   pattern as rule "case" and the event as line 1 must (not) report line 1 for "case"; when the
//!   event has AWS's six envelope fields, `evmatch test-event-pattern` must print
//!   `{"Result": true|false}` too.
//! - `{"name", "pattern", "expect": "invalid", "reason"?}`: `evmatch validate` exits 2 and prints
//!   `Event pattern is not valid. Reason: <reason>` (any reason when the key is absent).
//! - `{"name", "pattern", "event", "expect": "event-error"}`: `evmatch filter` reports line 1 as a
//!   bad line.
//!
//! Cases run in a few threads; every failing case is listed, then the test fails.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use common::{run, test_event_pattern, Out};
use evmatch_corpus::{Case, Expect};
use serde_json::value::RawValue;

const ENVELOPE: [&str; 6] = ["id", "account", "source", "time", "region", "detail-type"];
/// Texts longer than this (or holding NUL) go through a file or stdin rather than argv.
const MAX_ARG: usize = 100_000;

#[test]
fn corpus() {
    let cases = evmatch_corpus::load();
    let dir = evmatch_corpus::dir();
    assert!(
        !cases.is_empty(),
        "no corpus cases found in {}/*.jsonl",
        dir.display()
    );

    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus");
    std::fs::create_dir_all(&tmp).unwrap();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get().min(8));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                if let Err(why) = check(case, &tmp.join(i.to_string())) {
                    let line = format!("{case}: {why}");
                    failures.lock().unwrap().push((i, line));
                }
            });
        }
    });

    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let count = |f: fn(&Expect) -> bool| cases.iter().filter(|c| f(&c.expect)).count();
    println!(
        "corpus: {} cases ({} match/no-match, {} invalid, {} event-error), {} failed",
        cases.len(),
        count(|e| matches!(e, Expect::Match | Expect::NoMatch)),
        count(|e| matches!(e, Expect::Invalid { .. })),
        count(|e| matches!(e, Expect::EventError)),
        failures.len()
    );
    if !failures.is_empty() {
        for (_, line) in &failures {
            eprintln!("FAIL {line}");
        }
        panic!(
            "{} of {} corpus cases failed (listed above)",
            failures.len(),
            cases.len()
        );
    }
}

fn check(case: &Case, tmp: &Path) -> Result<(), String> {
    let event = case.event.as_deref().unwrap_or_default();
    match &case.expect {
        Expect::Invalid { reason } => {
            let out = if case.pattern.len() > MAX_ARG
                || case.pattern.contains('\0')
                || case.pattern.starts_with("file://")
                || case.pattern == "-"
            {
                run(&["validate", "-"], Some(case.pattern.as_bytes()), None)
            } else {
                run(&["validate", "--", &case.pattern], None, None)
            };
            let prefix = "Event pattern is not valid. Reason: ";
            let ok = out.code == 2
                && out.stdout.is_empty()
                && match reason {
                    Some(reason) => out.stderr == format!("{prefix}{reason}\n"),
                    None => out.stderr.starts_with(prefix) && out.stderr.ends_with('\n'),
                };
            if !ok {
                let want = reason.as_deref().unwrap_or("<any reason>");
                return Err(format!("expected invalid ({want}), got {out}"));
            }
        }
        Expect::Match | Expect::NoMatch => {
            let hit = case.expect == Expect::Match;
            let out = filter(case, tmp)?;
            let record = "{\"line\": 1, \"rules\": [\"case\"]}\n";
            let expected = if hit { record } else { "" };
            if out.code != 0 || out.stdout != expected {
                return Err(format!(
                    "expected filter to say {}, got {out}",
                    expectation(hit)
                ));
            }
            if has_envelope(event) {
                let pattern = param(&case.pattern, &tmp.with_extension("pattern.json"))?;
                let event = param(event, &tmp.with_extension("event.json"))?;
                let out = test_event_pattern(&pattern, &event);
                if out.code != 0 || out.stdout != format!("{{\"Result\": {hit}}}\n") {
                    return Err(format!(
                        "expected test-event-pattern to say {}, got {out}",
                        expectation(hit)
                    ));
                }
            }
        }
        Expect::EventError if one_line(event).trim().is_empty() => {
            // `filter` skips blank lines silently; test-event-pattern refuses them.
            let out = test_event_pattern(&case.pattern, event);
            if out.code != 2 || out.stderr != "Parameter Event is not valid.\n" {
                return Err(format!(
                    "expected test-event-pattern to refuse the event, got {out}"
                ));
            }
        }
        Expect::EventError => {
            let out = filter(case, tmp)?;
            let ok = out.code == 0
                && out.stdout.is_empty()
                && out.stderr.starts_with("<stdin>:1: skipped: ")
                && out.stderr.contains("\nbad lines: 1\n");
            if !ok {
                return Err(format!(
                    "expected filter to skip line 1 as a bad line, got {out}"
                ));
            }
        }
    }
    Ok(())
}

fn expectation(hit: bool) -> &'static str {
    if hit {
        "match"
    } else {
        "no-match"
    }
}

/// `evmatch filter --rules {"case": <pattern>} -` with the event on one line on stdin.
fn filter(case: &Case, tmp: &Path) -> Result<Out, String> {
    let rules = tmp.with_extension("rules.json");
    std::fs::write(&rules, format!("{{\"case\": {}}}", case.pattern))
        .map_err(|e| format!("cannot write {}: {e}", rules.display()))?;
    let mut stdin = one_line(case.event.as_deref().unwrap_or_default());
    stdin.push('\n');
    let args = ["filter", "--rules", rules.to_str().unwrap(), "-"];
    Ok(run(&args, Some(stdin.as_bytes()), None))
}

/// A test-event-pattern parameter: the text itself, or file:// and a file holding it.
fn param(text: &str, file: &Path) -> Result<String, String> {
    if text.len() <= MAX_ARG && !text.contains('\0') {
        return Ok(text.to_owned());
    }
    std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(format!("file://{}", file.display()))
}

/// The event on one line. Outside strings a line break is JSON whitespace and becomes a space;
/// inside a string a raw line break makes the JSON invalid, and a tab keeps it invalid.
fn one_line(text: &str) -> String {
    let (mut in_string, mut escaped) = (false, false);
    text.chars()
        .map(|c| {
            let out = match c {
                '\n' | '\r' if in_string => '\t',
                '\n' | '\r' => ' ',
                c => c,
            };
            if escaped {
                escaped = false;
            } else if in_string && c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = !in_string;
            }
            out
        })
        .collect()
}

fn has_envelope(event: &str) -> bool {
    serde_json::from_str::<HashMap<String, Box<RawValue>>>(event)
        .is_ok_and(|fields| ENVELOPE.iter().all(|f| fields.contains_key(*f)))
}

#[test]
fn one_line_keeps_validity() {
    assert_eq!(one_line("{\n\"a\":\r\n1}"), "{ \"a\":  1}");
    assert_eq!(one_line("{\"a\": \"x\ny\"}"), "{\"a\": \"x\ty\"}");
    assert_eq!(
        one_line("{\"a\\\"\n\": \"\\\\\"\n}"),
        "{\"a\\\"\t\": \"\\\\\" }"
    );
}
