//! Target `rule_changes`: a sequence of rule additions, deletions and matches on one matcher,
//! against a model of the live rules evaluated with the reference interpreter.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use evmatch::{Matcher, Pattern, Scratch, Validation};

use crate::check::{agree, reference};

/// The six rule names.
const NAMES: &[&str] = &["n0", "n1", "n2", "n3", "n4", "n5"];

/// Patterns that share structure (equal patterns, overlapping prefixes, wildcards and ranges,
/// exclusions, `$or`, `exists: false`, nested and dotted paths, arrays of objects), so a delete
/// that removes a shared piece, or leaves one behind, shows. The last few are refused.
const POOL: &[&str] = &[
    r#"{"a": ["x"]}"#,
    r#"{"a": ["x"]}"#,
    r#"{"a": ["x", "y"]}"#,
    r#"{"a": [{"prefix": "x"}]}"#,
    r#"{"a": [{"prefix": "xy"}]}"#,
    r#"{"a": [{"prefix": {"equals-ignore-case": "X"}}]}"#,
    r#"{"a": [{"suffix": "y"}]}"#,
    r#"{"a": [{"suffix": {"equals-ignore-case": "Y"}}]}"#,
    r#"{"a": [{"equals-ignore-case": "XY"}]}"#,
    r#"{"a": [{"wildcard": "x*"}]}"#,
    r#"{"a": [{"wildcard": "*y"}]}"#,
    r#"{"a": [{"wildcard": "x*y"}]}"#,
    r#"{"a": [{"anything-but": "x"}]}"#,
    r#"{"a": [{"anything-but": ["x", "y"]}]}"#,
    r#"{"a": [{"anything-but": {"prefix": "x"}}]}"#,
    r#"{"a": [{"anything-but": {"suffix": "y"}}]}"#,
    r#"{"a": [{"anything-but": {"equals-ignore-case": "X"}}]}"#,
    r#"{"a": [{"anything-but": {"wildcard": "*y"}}]}"#,
    r#"{"a": [{"anything-but": "x"}], "b": [300]}"#,
    r#"{"a": [{"exists": false}]}"#,
    r#"{"a": [{"exists": true}]}"#,
    r#"{"a": [null]}"#,
    r#"{"a": [{"cidr": "10.0.0.0/24"}]}"#,
    r#"{"a": [{"cidr": "10.0.0.0/8"}]}"#,
    r#"{"a": ["10.0.0.1"]}"#,
    r#"{"b": [{"exists": false}], "a": ["x"]}"#,
    r#"{"b": [{"exists": false}]}"#,
    r#"{"a": [{"exists": false}], "b": [{"exists": false}]}"#,
    r#"{"b": [{"numeric": [">", 0]}]}"#,
    r#"{"b": [{"numeric": [">", 0, "<=", 300]}]}"#,
    r#"{"b": [{"numeric": [">=", 300]}]}"#,
    r#"{"b": [300]}"#,
    r#"{"b": [3e2]}"#,
    r#"{"b": [{"anything-but": 300}]}"#,
    r#"{"b": [{"anything-but": [0, 300]}]}"#,
    r#"{"$or": [{"a": ["x"]}, {"b": [300]}]}"#,
    r#"{"$or": [{"a": [{"prefix": "x"}]}, {"b": [{"exists": false}]}]}"#,
    r#"{"$or": [{"a": ["x"]}, {"a": [{"wildcard": "x*"}]}]}"#,
    r#"{"a": ["x"], "$or": [{"b": [300]}, {"c": [{"exists": true}]}]}"#,
    r#"{"c": {"d": ["x"]}}"#,
    r#"{"c.d": ["x"]}"#,
    r#"{"c": {"d": ["x"], "e": [{"exists": false}]}}"#,
    r#"{"c": {"d": [{"anything-but": "x"}], "e": ["y"]}}"#,
    r#"{"c": {"d": ["x"], "e": ["y"]}}"#,
    r#"{"c": {"d": [{"prefix": "x"}], "e": [{"numeric": [">", 0]}]}}"#,
    r#"{"a": "x"}"#,
    r#"{"a": []}"#,
    r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#,
    r#"{"$or": [{"a": ["x"]}]}"#,
    r#"not json"#,
];

/// Events every state is checked against, and whether each is clean (valid, no key spelled twice,
/// no dotted key), so `Validation::Structural` owes the reference's answer on it.
const EVENTS: &[(&str, bool)] = &[
    (r#"{}"#, true),
    (r#"{"a": "x"}"#, true),
    (r#"{"a": "xy"}"#, true),
    (r#"{"a": "X"}"#, true),
    (r#"{"a": "xY"}"#, true),
    (r#"{"a": "y"}"#, true),
    (r#"{"a": "z"}"#, true),
    (r#"{"a": ["x", "z"]}"#, true),
    (r#"{"a": null}"#, true),
    (r#"{"a": "10.0.0.1"}"#, true),
    (r#"{"a": "10.0.0.9"}"#, true),
    (r#"{"a": "10.1.0.9"}"#, true),
    (r#"{"b": 300}"#, true),
    (r#"{"b": 3e2, "a": "x"}"#, true),
    (r#"{"b": 0}"#, true),
    (r#"{"b": -5}"#, true),
    (r#"{"b": 1e400}"#, true),
    (r#"{"b": "300"}"#, true),
    (r#"{"a": "x", "b": 301}"#, true),
    (r#"{"a": "xzy", "b": [0, 300]}"#, true),
    (r#"{"c": {"d": "x"}}"#, true),
    (r#"{"c": [{"d": "x"}, {"e": "y"}]}"#, true),
    (r#"{"c": [{"d": "z", "e": "y"}]}"#, true),
    (r#"{"c": [{"d": "x", "e": "y"}]}"#, true),
    (r#"{"c": [{"d": "xa", "e": 5}, {"d": "y", "e": -1}]}"#, true),
    (r#"{"c.d": "x", "c": {"e": "y"}}"#, false),
    (r#"{"a": "x", "c": 1}"#, true),
    (r#"{"a": "xyy", "b": 300, "c": {"d": "x"}}"#, true),
    (r#"{"a": "x", "a": "z"}"#, false),
    (r#"{"a": "x", "b": "#, false),
];

/// Pieces of generated patterns.
const PATHS: &[&str] = &["a", "a", "b", "c.d", "c.e"];
const MATCHERS: &[&str] = &[
    r#""x""#,
    r#""y""#,
    "300",
    "null",
    r#"{"prefix": "x"}"#,
    r#"{"suffix": "y"}"#,
    r#"{"wildcard": "*y"}"#,
    r#"{"wildcard": "x*"}"#,
    r#"{"anything-but": "x"}"#,
    r#"{"anything-but": {"prefix": "x"}}"#,
    r#"{"exists": false}"#,
    r#"{"exists": true}"#,
    r#"{"numeric": [">", 0]}"#,
    r#"{"equals-ignore-case": "X"}"#,
    r#"{"cidr": "10.0.0.0/24"}"#,
];

/// A pattern: from the pool, or one or two generated fields (two may be the branches of a `$or`).
#[derive(Arbitrary, Debug)]
enum PatternChoice {
    Pool(u8),
    Fields(Vec<(u8, Vec<u8>)>, bool),
}

impl PatternChoice {
    fn text(&self) -> String {
        match self {
            PatternChoice::Pool(i) => POOL[usize::from(*i) % POOL.len()].to_owned(),
            PatternChoice::Fields(fields, or) => {
                let fields: Vec<String> = fields
                    .iter()
                    .take(2)
                    .map(|(path, matchers)| {
                        let matchers: Vec<&str> = matchers
                            .iter()
                            .take(3)
                            .map(|&m| MATCHERS[usize::from(m) % MATCHERS.len()])
                            .collect();
                        format!(
                            "\"{}\": [{}]",
                            PATHS[usize::from(*path) % PATHS.len()],
                            matchers.join(", ")
                        )
                    })
                    .collect();
                if *or && fields.len() == 2 {
                    format!("{{\"$or\": [{{{}}}, {{{}}}]}}", fields[0], fields[1])
                } else {
                    format!("{{{}}}", fields.join(", "))
                }
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// `add_rule(name, text)`.
    Add(u8, PatternChoice),
    /// `add_pattern(name, &Pattern::parse(text))` (skipped if it does not parse).
    AddParsed(u8, PatternChoice),
    /// `delete_rule(name)`.
    Delete(u8),
    /// Match one event of the pool.
    Match(u8),
    /// Match every event of the pool.
    MatchAll,
    /// Carry on with a clone of the matchers.
    Clone,
}

/// The pool's patterns, parsed once.
fn parsed(text: &str) -> Result<Pattern, evmatch::PatternError> {
    static POOL_PARSED: OnceLock<Vec<Result<Pattern, evmatch::PatternError>>> = OnceLock::new();
    let pool = POOL_PARSED.get_or_init(|| POOL.iter().map(|t| Pattern::parse(t)).collect());
    match POOL.iter().position(|&t| t == text) {
        Some(i) => pool[i].clone(),
        None => Pattern::parse(text),
    }
}

/// Structured bytes → up to 64 operations, applied to a `Validation::Full` and a
/// `Validation::Structural` matcher and to the model (the live `(name, pattern)` list, in the
/// order added). After every change `len()` counts the live names, `delete_rule` says whether
/// the name was live, and a refused pattern changes nothing; on every match the Full matcher
/// (through `matches` and through `matches_with` with one long-lived `Scratch`) gives exactly the
/// model's answer, and the Structural one too on clean events.
pub fn rule_changes(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut ops: Vec<Op> = Vec::new();
    for op in u.arbitrary_iter::<Op>().into_iter().flatten().take(64) {
        match op {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    let mut full = Matcher::new();
    let mut structural = Matcher::builder()
        .validation(Validation::Structural)
        .build();
    let mut model: Vec<(String, Pattern)> = Vec::new();
    let mut scratch = Scratch::new();
    let mut log: Vec<String> = Vec::new();

    for op in &ops {
        match op {
            Op::Add(name, choice) | Op::AddParsed(name, choice) => {
                let name = NAMES[usize::from(*name) % NAMES.len()];
                let text = choice.text();
                log.push(format!("add {name} {text}"));
                let by_text = matches!(op, Op::Add(..));
                match parsed(&text) {
                    Ok(pattern) => {
                        if by_text {
                            if let Err(e) = full.add_rule(name, &text) {
                                fail(&log, &format!("add_rule refused a valid pattern: {e}"));
                            }
                        } else {
                            full.add_pattern(name, &pattern);
                        }
                        structural.add_pattern(name, &pattern);
                        model.push((name.to_owned(), pattern));
                    }
                    Err(want) => {
                        if by_text {
                            let got = full.add_rule(name, &text);
                            if got != Err(want.clone()) {
                                fail(&log, &format!("add_rule said {got:?}, parse {want:?}"));
                            }
                        }
                    }
                }
            }
            Op::Delete(name) => {
                let name = NAMES[usize::from(*name) % NAMES.len()];
                log.push(format!("delete {name}"));
                let live = model.iter().any(|(n, _)| n == name);
                model.retain(|(n, _)| n != name);
                let got = (full.delete_rule(name), structural.delete_rule(name));
                if got != (live, live) {
                    fail(
                        &log,
                        &format!("delete_rule said {got:?} (Full, Structural), live: {live}"),
                    );
                }
            }
            Op::Match(i) => {
                let (event, clean) = EVENTS[usize::from(*i) % EVENTS.len()];
                log.push(format!("match {event}"));
                check_event(&full, &structural, &model, &mut scratch, event, clean, &log);
            }
            Op::MatchAll => {
                log.push("match every event".into());
                for &(event, clean) in EVENTS {
                    check_event(&full, &structural, &model, &mut scratch, event, clean, &log);
                }
            }
            Op::Clone => {
                log.push("clone".into());
                full = full.clone();
                structural = structural.clone();
            }
        }
        let mut live: Vec<&str> = model.iter().map(|(n, _)| n.as_str()).collect();
        live.sort_unstable();
        live.dedup();
        if (full.len(), structural.len()) != (live.len(), live.len()) {
            fail(
                &log,
                &format!(
                    "len() is {} (Full), {} (Structural); live names: {live:?}",
                    full.len(),
                    structural.len()
                ),
            );
        }
    }
}

fn check_event(
    full: &Matcher,
    structural: &Matcher,
    model: &[(String, Pattern)],
    scratch: &mut Scratch,
    event: &str,
    clean: bool,
    log: &[String],
) {
    let want = reference(model, event.as_bytes());
    let got = full.matches(event.as_bytes());
    if let Err(e) = agree(&got, &want) {
        fail(log, &format!("Validation::Full, matches: {e}"));
    }
    let mut names = vec!["stale"];
    let got = full
        .matches_with(event.as_bytes(), scratch, &mut names)
        .map(|()| names);
    if let Err(e) = agree(&got, &want) {
        fail(log, &format!("Validation::Full, matches_with: {e}"));
    }
    let got = structural.matches(event.as_bytes());
    if clean {
        if let Err(e) = agree(&got, &want) {
            fail(log, &format!("Validation::Structural: {e}"));
        }
    }
}

fn fail(log: &[String], what: &str) -> ! {
    panic!("{what}\n after:\n  {}", log.join("\n  "));
}
