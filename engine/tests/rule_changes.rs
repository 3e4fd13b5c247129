//! Adding and deleting rules: random sequences of changes against a model.
//!
//! The model is the list of live `(name, pattern)` rules, evaluated with the reference interpreter
//! ([`Pattern::matches`]). After every operation the [`Matcher`] — and a [`SharedMatcher`] fed the
//! same operations, whose two copies take turns being published — must answer every event of a
//! fixed pool exactly as the model does, `len()` must count the live names, and `delete_rule` must
//! say whether the name was live. Patterns come from a pool built to share structure (identical
//! patterns, overlapping prefixes and wildcards, anything-but, `$or`, `exists: false`) so that a
//! delete that removes a shared piece, or leaves one behind, shows.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use evmatch::{Matcher, Pattern, Scratch, SharedMatcher};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const NAMES: &[&str] = &["n0", "n1", "n2", "n3", "n4", "n5"];

/// Patterns that share branches with each other.
const POOL: &[&str] = &[
    r#"{"a": ["x"]}"#,
    r#"{"a": ["x", "y"]}"#,
    r#"{"a": [{"prefix": "x"}]}"#,
    r#"{"a": [{"prefix": "xy"}]}"#,
    r#"{"a": [{"wildcard": "x*"}]}"#,
    r#"{"a": [{"wildcard": "*y"}]}"#,
    r#"{"a": [{"wildcard": "x*y"}]}"#,
    r#"{"a": [{"anything-but": "x"}]}"#,
    r#"{"a": [{"anything-but": ["x", "y"]}]}"#,
    r#"{"a": [{"anything-but": {"prefix": "x"}}]}"#,
    r#"{"a": [{"anything-but": {"wildcard": "*y"}}]}"#,
    r#"{"a": [{"equals-ignore-case": "X"}]}"#,
    r#"{"a": [{"suffix": "y"}]}"#,
    r#"{"a": [{"suffix": {"equals-ignore-case": "Y"}}]}"#,
    r#"{"a": [{"exists": false}]}"#,
    r#"{"a": [{"exists": true}]}"#,
    r#"{"a": [null]}"#,
    r#"{"a": [{"cidr": "10.0.0.0/24"}]}"#,
    r#"{"a": ["10.0.0.1"]}"#,
    r#"{"b": [{"exists": false}], "a": ["x"]}"#,
    r#"{"b": [{"exists": false}]}"#,
    r#"{"a": [{"exists": false}], "b": [{"exists": false}]}"#,
    r#"{"b": [{"numeric": [">", 0]}]}"#,
    r#"{"b": [{"numeric": [">", 0, "<=", 300]}]}"#,
    r#"{"b": [300]}"#,
    r#"{"b": [3e2]}"#,
    r#"{"b": [{"anything-but": 300}]}"#,
    r#"{"$or": [{"a": ["x"]}, {"b": [300]}]}"#,
    r#"{"$or": [{"a": [{"prefix": "x"}]}, {"b": [{"exists": false}]}]}"#,
    r#"{"$or": [{"a": ["x"]}, {"a": [{"wildcard": "x*"}]}]}"#,
    r#"{"a": ["x"], "$or": [{"b": [300]}, {"c": [{"exists": true}]}]}"#,
    r#"{"c": {"d": ["x"]}}"#,
    r#"{"c.d": ["x"]}"#,
    r#"{"c": {"d": ["x"], "e": [{"exists": false}]}}"#,
    r#"{"c": {"d": [{"anything-but": "x"}], "e": ["y"]}}"#,
    r#"{"c": {"d": ["x"], "e": ["y"]}}"#,
];

/// Events every state is checked against.
const EVENTS: &[&str] = &[
    r#"{}"#,
    r#"{"a": "x"}"#,
    r#"{"a": "xy"}"#,
    r#"{"a": "X"}"#,
    r#"{"a": "y"}"#,
    r#"{"a": "z"}"#,
    r#"{"a": ["x", "z"]}"#,
    r#"{"a": null}"#,
    r#"{"a": "10.0.0.1"}"#,
    r#"{"a": "10.0.0.9"}"#,
    r#"{"b": 300}"#,
    r#"{"b": 3e2, "a": "x"}"#,
    r#"{"b": 0}"#,
    r#"{"b": -5}"#,
    r#"{"b": "300"}"#,
    r#"{"a": "x", "b": 301}"#,
    r#"{"c": {"d": "x"}}"#,
    r#"{"c": [{"d": "x"}, {"e": "y"}]}"#,
    r#"{"c": [{"d": "z", "e": "y"}]}"#,
    r#"{"c": [{"d": "x", "e": "y"}]}"#,
    r#"{"c.d": "x", "c": {"e": "y"}}"#,
    r#"{"a": "x", "c": 1}"#,
    r#"{"a": "xyy", "b": 300, "c": {"d": "x"}}"#,
    r#"{"a": "x", "b": "#,
];

/// Patterns `add_rule` must refuse, changing nothing.
const INVALID: &[&str] = &[
    r#"{"a": "x"}"#,
    r#"{"a": []}"#,
    r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#,
    r#"{"$or": [{"a": ["x"]}]}"#,
    r#"not json"#,
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
];

fn field() -> impl Strategy<Value = String> {
    (select(PATHS), vec(select(MATCHERS), 1..3))
        .prop_map(|(path, ms)| format!("\"{path}\": [{}]", ms.join(", ")))
}

/// A pattern from the pool, or 1–2 generated fields (possibly as the two branches of a `$or`).
fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(POOL).prop_map(str::to_owned),
        2 => (vec(field(), 1..3), any::<bool>()).prop_map(|(fields, or)| {
            if or && fields.len() == 2 {
                format!("{{\"$or\": [{{{}}}, {{{}}}]}}", fields[0], fields[1])
            } else {
                format!("{{{}}}", fields.join(", "))
            }
        }),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    /// `add_rule(name, text)`.
    Add(usize, String),
    /// `add_pattern(name, &Pattern::parse(text))`.
    AddParsed(usize, String),
    /// `add_rule` of an invalid pattern.
    AddInvalid(usize, usize),
    Delete(usize),
    /// `matches_with` on one event, with the sequence's one `Scratch`.
    Match(usize),
    /// Keep a clone of the matcher: later changes must not reach it.
    Clone,
}

fn op() -> impl Strategy<Value = Op> {
    let name = 0..NAMES.len();
    prop_oneof![
        5 => (name.clone(), pattern()).prop_map(|(n, p)| Op::Add(n, p)),
        2 => (name.clone(), pattern()).prop_map(|(n, p)| Op::AddParsed(n, p)),
        1 => (name.clone(), 0..INVALID.len()).prop_map(|(n, i)| Op::AddInvalid(n, i)),
        4 => name.prop_map(Op::Delete),
        2 => (0..EVENTS.len()).prop_map(Op::Match),
        1 => Just(Op::Clone),
    ]
}

thread_local! {
    /// Reference answers, (pattern text, event index) → matches (`None`: the event is refused).
    static ANSWERS: RefCell<HashMap<(String, usize), Option<bool>>> = RefCell::new(HashMap::new());
}

fn reference(pattern: &str, event: usize) -> Option<bool> {
    ANSWERS.with(|answers| {
        *answers
            .borrow_mut()
            .entry((pattern.to_owned(), event))
            .or_insert_with(|| {
                Pattern::parse(pattern)
                    .expect("model patterns are valid")
                    .matches(EVENTS[event].as_bytes())
                    .ok()
            })
    })
}

/// The live rules, as (name, pattern text).
#[derive(Debug, Clone, Default)]
struct Model {
    rules: Vec<(&'static str, String)>,
}

impl Model {
    /// The names that match `event`, or `None` if the event is refused.
    fn answer(&self, event: usize) -> Option<BTreeSet<String>> {
        reference("{\"zz\": [{\"exists\": false}]}", event)?;
        Some(
            self.rules
                .iter()
                .filter(|(_, text)| reference(text, event) == Some(true))
                .map(|(name, _)| (*name).to_owned())
                .collect(),
        )
    }

    fn len(&self) -> usize {
        self.rules
            .iter()
            .map(|(name, _)| *name)
            .collect::<BTreeSet<_>>()
            .len()
    }

    fn delete(&mut self, name: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|(n, _)| *n != name);
        self.rules.len() != before
    }
}

/// An answer as a set; `None` for an error. Fails if a name comes back twice.
fn answer_set<S: AsRef<str>>(
    answer: Result<Vec<S>, evmatch::EventError>,
) -> Result<Option<BTreeSet<String>>, String> {
    match answer {
        Err(_) => Ok(None),
        Ok(names) => {
            let set: BTreeSet<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
            if set.len() != names.len() {
                let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
                return Err(format!("a name came back twice: {names:?}"));
            }
            Ok(Some(set))
        }
    }
}

/// Every pool event on `matcher` against the model, and `len()`.
fn check_matcher(matcher: &Matcher, model: &Model, what: &str) -> Result<(), String> {
    if matcher.len() != model.len() || matcher.is_empty() != (model.len() == 0) {
        return Err(format!(
            "{what}: len() {} / is_empty() {}, the model has {} names: {:?}",
            matcher.len(),
            matcher.is_empty(),
            model.len(),
            model.rules
        ));
    }
    for (i, event) in EVENTS.iter().enumerate() {
        let got = answer_set(matcher.matches(event.as_bytes()))?;
        let want = model.answer(i);
        if got != want {
            return Err(format!(
                "{what}: event {event}: matcher {got:?}, model {want:?}; live rules {:?}",
                model.rules
            ));
        }
    }
    Ok(())
}

fn check_shared(shared: &SharedMatcher, model: &Model) -> Result<(), String> {
    if shared.snapshot().len() != model.len() {
        return Err(format!(
            "SharedMatcher: len() {}, the model has {} names",
            shared.snapshot().len(),
            model.len()
        ));
    }
    for (i, event) in EVENTS.iter().enumerate() {
        let got = answer_set(shared.matches(event.as_bytes()))?;
        let want = model.answer(i);
        if got != want {
            return Err(format!(
                "SharedMatcher: event {event}: {got:?}, model {want:?}; live rules {:?}",
                model.rules
            ));
        }
    }
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), String> {
    let mut matcher = Matcher::new();
    let shared = SharedMatcher::new();
    let mut model = Model::default();
    let mut scratch = Scratch::new();
    let mut clones: Vec<(Matcher, Model)> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let what = format!("after op {step} {op:?}");
        match op {
            Op::Add(name, text) | Op::AddParsed(name, text) => {
                let name = NAMES[*name];
                if let Op::Add(..) = op {
                    matcher
                        .add_rule(name, text)
                        .map_err(|e| format!("{what}: {e}"))?;
                } else {
                    let pattern = Pattern::parse(text).map_err(|e| format!("{what}: {e}"))?;
                    matcher.add_pattern(name, &pattern);
                }
                shared
                    .add_rule(name, text)
                    .map_err(|e| format!("{what}: {e}"))?;
                model.rules.push((name, text.clone()));
            }
            Op::AddInvalid(name, which) => {
                let name = NAMES[*name];
                if matcher.add_rule(name, INVALID[*which]).is_ok()
                    || shared.add_rule(name, INVALID[*which]).is_ok()
                {
                    return Err(format!("{what}: an invalid pattern was accepted"));
                }
            }
            Op::Delete(name) => {
                let name = NAMES[*name];
                let want = model.delete(name);
                let got = matcher.delete_rule(name);
                let got_shared = shared.delete_rule(name);
                if got != want || got_shared != want {
                    return Err(format!(
                        "{what}: delete_rule said {got} (shared {got_shared}), the model {want}"
                    ));
                }
            }
            Op::Match(event) => {
                let mut names = vec!["stale"];
                let got = matcher
                    .matches_with(EVENTS[*event].as_bytes(), &mut scratch, &mut names)
                    .map(|()| names);
                let got = answer_set(got)?;
                let want = model.answer(*event);
                if got != want {
                    return Err(format!(
                        "{what}: matches_with {got:?}, model {want:?}; live rules {:?}",
                        model.rules
                    ));
                }
            }
            Op::Clone => clones.push((matcher.clone(), model.clone())),
        }
        check_matcher(&matcher, &model, &what)?;
        check_shared(&shared, &model).map_err(|e| format!("{what}: {e}"))?;
    }
    for (i, (clone, model)) in clones.iter().enumerate() {
        check_matcher(clone, model, &format!("clone {i}, at the end"))?;
    }
    Ok(())
}

proptest! {
    // 400 cases unless `PROPTEST_CASES` asks for more; a failure prints the shrunk sequence and
    // writes no regression file into the source tree.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_changes_agree_with_the_model(ops in vec(op(), 1..40)) {
        run(&ops).map_err(TestCaseError::fail)?;
    }
}

/// The model is not trivially empty: the sequences above do reach states where rules match.
#[test]
fn the_pool_is_decisive() {
    for (i, event) in EVENTS.iter().enumerate().take(EVENTS.len() - 1) {
        let matching = POOL
            .iter()
            .filter(|p| reference(p, i) == Some(true))
            .count();
        assert!(
            matching > 0 && matching < POOL.len(),
            "{event}: {matching} of {} pool patterns match",
            POOL.len()
        );
    }
    assert_eq!(reference(POOL[0], EVENTS.len() - 1), None);
}

// ---------------------------------------------------------------------------------------------
// Deterministic cases
// ---------------------------------------------------------------------------------------------

fn names(matcher: &Matcher, event: &str) -> Vec<String> {
    let mut names: Vec<String> = matcher
        .matches(event.as_bytes())
        .expect("valid event")
        .into_iter()
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[test]
fn deleting_a_name_removes_all_its_patterns_and_nothing_else() {
    let mut m = Matcher::new();
    m.add_rule("multi", r#"{"a": ["x"]}"#).unwrap();
    m.add_rule("multi", r#"{"b": [{"prefix": "p"}]}"#).unwrap();
    m.add_rule("multi", r#"{"c": [{"exists": false}], "d": [1]}"#)
        .unwrap();
    m.add_rule("other", r#"{"a": ["x"]}"#).unwrap();
    m.add_rule("other", r#"{"d": [1]}"#).unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(names(&m, r#"{"a": "x"}"#), ["multi", "other"]);
    assert_eq!(names(&m, r#"{"b": "pq"}"#), ["multi"]);
    assert_eq!(names(&m, r#"{"d": 1}"#), ["multi", "other"]);

    assert!(m.delete_rule("multi"));
    assert_eq!(m.len(), 1);
    assert_eq!(names(&m, r#"{"a": "x"}"#), ["other"]);
    assert!(names(&m, r#"{"b": "pq"}"#).is_empty());
    assert_eq!(names(&m, r#"{"d": 1}"#), ["other"]);
    assert!(!m.delete_rule("multi"));
    assert!(!m.delete_rule("never-added"));
    assert_eq!(m.len(), 1);
}

#[test]
fn identical_patterns_under_different_names() {
    let shapes = [
        (r#"{"a": ["x"]}"#, r#"{"a": "x"}"#, r#"{"a": "y"}"#),
        (
            r#"{"a": [{"wildcard": "x*y"}]}"#,
            r#"{"a": "x-y"}"#,
            r#"{"a": "y-x"}"#,
        ),
        (
            r#"{"a": [{"anything-but": {"prefix": "x"}}]}"#,
            r#"{"a": "y"}"#,
            r#"{"a": "xy"}"#,
        ),
        (
            r#"{"$or": [{"a": ["x"]}, {"b": [{"numeric": [">", 5]}]}]}"#,
            r#"{"b": 6}"#,
            r#"{"b": 5}"#,
        ),
        (
            r#"{"a": [{"exists": false}], "b": ["y"]}"#,
            r#"{"b": "y"}"#,
            r#"{"a": 1, "b": "y"}"#,
        ),
        (
            r#"{"a": {"b": ["x"], "c": [{"exists": false}]}}"#,
            r#"{"a": [{"b": "x", "c": 1}, {"b": "x"}]}"#,
            r#"{"a": [{"b": "x", "c": 1}, {"b": "y"}]}"#,
        ),
    ];
    for (pattern, yes, no) in shapes {
        let mut m = Matcher::new();
        m.add_rule("first", pattern).unwrap();
        m.add_rule("second", pattern).unwrap();
        m.add_rule("unrelated", r#"{"zz": [1]}"#).unwrap();
        assert_eq!(names(&m, yes), ["first", "second"], "{pattern}");
        assert!(names(&m, no).is_empty(), "{pattern}");

        assert!(m.delete_rule("first"));
        assert_eq!(names(&m, yes), ["second"], "{pattern} after deleting first");
        assert!(names(&m, no).is_empty(), "{pattern} after deleting first");

        m.add_rule("first", pattern).unwrap();
        assert_eq!(names(&m, yes), ["first", "second"], "{pattern} re-added");

        assert!(m.delete_rule("second"));
        assert!(m.delete_rule("first"));
        assert!(names(&m, yes).is_empty(), "{pattern} after deleting both");
        assert_eq!(names(&m, r#"{"zz": 1}"#), ["unrelated"], "{pattern}");
        assert_eq!(m.len(), 1);
    }
}

#[test]
fn re_adding_a_name_takes_only_the_new_pattern() {
    let mut m = Matcher::new();
    m.add_rule("r", r#"{"a": [{"prefix": "x"}]}"#).unwrap();
    assert_eq!(names(&m, r#"{"a": "xy"}"#), ["r"]);
    assert!(m.delete_rule("r"));
    m.add_rule("r", r#"{"a": [{"anything-but": "xy"}]}"#)
        .unwrap();
    assert!(names(&m, r#"{"a": "xy"}"#).is_empty());
    assert_eq!(names(&m, r#"{"a": "z"}"#), ["r"]);
    assert_eq!(m.len(), 1);
}

#[test]
fn a_refused_pattern_changes_nothing() {
    let mut m = Matcher::new();
    m.add_rule("r", r#"{"a": ["x"]}"#).unwrap();
    for invalid in INVALID {
        assert!(m.add_rule("r", invalid).is_err(), "{invalid}");
        assert!(m.add_rule("new", invalid).is_err(), "{invalid}");
    }
    assert_eq!(m.len(), 1);
    assert!(!m.delete_rule("new"));
    assert_eq!(names(&m, r#"{"a": "x"}"#), ["r"]);
    assert!(names(&m, r#"{"a": "y"}"#).is_empty());
}

/// Rule `i` of the thousand: several operators, all tied to `i`.
fn thousand_rule(i: usize) -> String {
    match i % 6 {
        0 => format!(r#"{{"id": [{i}]}}"#),
        1 => format!(r#"{{"s": [{{"prefix": "v{i}-"}}]}}"#),
        2 => format!(r#"{{"s": [{{"anything-but": "v{i}"}}], "id": [{i}]}}"#),
        3 => format!(r#"{{"gone": [{{"exists": false}}], "id": [{i}]}}"#),
        4 => format!(r#"{{"$or": [{{"id": [{i}]}}, {{"s": [{{"wildcard": "*-{i}"}}]}}]}}"#),
        _ => format!(r#"{{"n": [{{"numeric": [">", {i}, "<=", {}]}}]}}"#, i + 10),
    }
}

#[test]
fn a_thousand_rules_added_then_deleted() {
    let events: Vec<String> = [0usize, 1, 4, 7, 500, 999]
        .iter()
        .flat_map(|&i| {
            [
                format!(r#"{{"id": {i}, "s": "v{i}-x", "n": {}}}"#, i + 5),
                format!(r#"{{"id": [{i}, {}], "s": "w-{i}"}}"#, i + 1),
                format!(r#"{{"s": "v{i}", "gone": null, "n": {i}}}"#),
            ]
        })
        .chain([r#"{}"#.to_owned(), r#"{"id": "5"}"#.to_owned()])
        .collect();
    let rules: Vec<(String, String, Pattern)> = (0..1000)
        .map(|i| {
            let text = thousand_rule(i);
            let pattern = Pattern::parse(&text).unwrap();
            (format!("rule-{i}"), text, pattern)
        })
        .collect();
    let reference = |live: &[&(String, String, Pattern)], event: &str| -> Vec<String> {
        let mut names: Vec<String> = live
            .iter()
            .filter(|(_, _, p)| p.matches(event.as_bytes()).unwrap())
            .map(|(n, _, _)| n.clone())
            .collect();
        names.sort();
        names
    };

    let mut m = Matcher::new();
    for (name, text, _) in &rules {
        m.add_rule(name, text).unwrap();
    }
    assert_eq!(m.len(), 1000);
    let all: Vec<&(String, String, Pattern)> = rules.iter().collect();
    let mut matched_any = false;
    for event in &events {
        let want = reference(&all, event);
        matched_any |= !want.is_empty();
        assert_eq!(names(&m, event), want, "{event}");
    }
    assert!(matched_any);

    // Delete the odd rules, from the top: the even ones must be untouched.
    for (i, (name, _, _)) in rules.iter().enumerate().rev() {
        if i % 2 == 1 {
            assert!(m.delete_rule(name), "{name}");
        }
    }
    assert_eq!(m.len(), 500);
    let even: Vec<&(String, String, Pattern)> = rules.iter().step_by(2).collect();
    for event in &events {
        assert_eq!(names(&m, event), reference(&even, event), "{event}");
    }

    // Then the rest, from the bottom.
    for (name, _, _) in rules.iter().step_by(2) {
        assert!(m.delete_rule(name), "{name}");
        assert!(!m.delete_rule(name), "{name} twice");
    }
    assert_eq!(m.len(), 0);
    assert!(m.is_empty());
    for event in &events {
        assert!(names(&m, event).is_empty(), "{event}");
    }
    assert!(m.matches(b"{\"id\": ").is_err());

    // And the emptied matcher still works.
    m.add_rule("again", &thousand_rule(7)).unwrap();
    assert_eq!(names(&m, r#"{"s": "v7-"}"#), ["again"]);
    assert_eq!(m.len(), 1);
}
