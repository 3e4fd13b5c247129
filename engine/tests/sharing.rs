//! Shared conditions and anchors against the reference interpreter.
//!
//! Rules are built from a small set of field conditions, as on an event bus where every
//! subscriber of an app tests its `source` and many test the same `detail-type` prefix: most
//! conditions are shared by several sub-rules, and a sub-rule's anchor (its least used condition)
//! moves as rules come and go. Random sequences of adds, replacements (the bus's subscribe) and
//! deletes run on a [`Matcher`] and a [`SharedMatcher`]; after every change both must answer a
//! fixed pool of events exactly as the reference interpreter does for the live rules. The events
//! hold arrays of objects (array consistency over shared conditions), scalar arrays, missing
//! fields (`exists: false`, `anything-but`) and values that satisfy several conditions at once.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use evmatch::{Matcher, Pattern, SharedMatcher};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Field conditions by path; a pattern takes at most one per path.
const FIELDS: &[(&str, &[&str])] = &[
    (
        "source",
        &[
            r#"["app"]"#,
            r#"["app"]"#,
            r#"["app", "web"]"#,
            r#"["web", "app", "web"]"#,
            r#"["web"]"#,
            r#"[{"prefix": "ap"}]"#,
            r#"[{"anything-but": "web"}]"#,
            r#"[{"exists": true}]"#,
        ],
    ),
    (
        "detail.user",
        &[
            r#"["u1"]"#,
            r#"["u2"]"#,
            r#"["u3"]"#,
            r#"["u1", "u2"]"#,
            r#"[{"prefix": "u"}]"#,
            r#"[{"anything-but": ["u1", "u2"]}]"#,
            r#"[{"exists": false}]"#,
            r#"[{"equals-ignore-case": "U1"}]"#,
            r#"[{"wildcard": "u*"}]"#,
            r#"[{"wildcard": "u1"}]"#,
        ],
    ),
    (
        "detail-type",
        &[
            r#"[{"prefix": "Order"}]"#,
            r#"[{"prefix": "Order"}]"#,
            r#"["OrderPlaced"]"#,
            r#"[{"suffix": "Placed"}]"#,
            r#"[{"wildcard": "Order*ed"}]"#,
            r#"[{"anything-but": {"prefix": "Sess"}}]"#,
            r#"[{"prefix": {"equals-ignore-case": "order"}}]"#,
        ],
    ),
    (
        "detail.items.sku",
        &[
            r#"["a"]"#,
            r#"["b"]"#,
            r#"[{"prefix": "a"}]"#,
            r#"[{"exists": false}]"#,
            r#"[{"anything-but": "a"}]"#,
        ],
    ),
    (
        "detail.items.qty",
        &[
            "[1]",
            "[2]",
            "[1.0]",
            r#"[{"numeric": [">", 1]}]"#,
            r#"[{"numeric": [">", 1]}]"#,
            r#"[{"anything-but": [1]}]"#,
        ],
    ),
    (
        "detail.tags",
        &[r#"["x"]"#, r#"["y"]"#, r#"[{"exists": true}]"#, "[null]"],
    ),
];

const EVENTS: &[&str] = &[
    r#"{}"#,
    r#"{"source": "app"}"#,
    r#"{"source": "web"}"#,
    r#"{"source": "app", "detail": {"user": "u1"}}"#,
    r#"{"source": "app", "detail": {"user": "U1"}}"#,
    r#"{"source": "app", "detail": {"user": "u2"}, "detail-type": "OrderPlaced"}"#,
    r#"{"source": "app", "detail": {"user": "u3"}, "detail-type": "OrderShipped"}"#,
    r#"{"source": "web", "detail": {"user": "u1"}, "detail-type": "SessionStarted"}"#,
    r#"{"source": ["app", "web"], "detail": {"user": ["u1", "u3"]}}"#,
    r#"{"source": "app", "detail-type": "orderplaced", "detail": {"tags": ["x", "y"]}}"#,
    r#"{"source": "app", "detail": {"user": "u1", "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]}}"#,
    r#"{"source": "app", "detail": {"user": "u2", "items": [{"sku": "a", "qty": 1}, {"sku": "ab", "qty": 3}]}}"#,
    r#"{"source": "app", "detail": {"items": [{"sku": "b"}, {"qty": 1}]}}"#,
    r#"{"source": "app", "detail": {"items": [{"qty": 2}, {"qty": 1.0}], "tags": [null]}}"#,
    r#"{"source": "app", "detail": {"items": [], "tags": []}}"#,
    r#"{"source": "app", "detail-type": "OrderPlaced", "detail": {"user": "u1", "items": [{"sku": "a", "qty": 1}], "tags": "x"}}"#,
    r#"{"source": null, "detail": {"user": null}}"#,
    r#"{"source": "apple", "detail": {"user": "u12", "items": {"sku": "a", "qty": 2}}}"#,
    r#"{"source": 1, "detail-type": "Order", "detail": {"items": [{"sku": ["a", "b"], "qty": [1, 2]}]}}"#,
];

const NAMES: usize = 48;

/// A pattern of one to four field conditions on distinct paths, or a `$or` of two.
fn pattern() -> impl Strategy<Value = String> {
    let fields = || {
        proptest::sample::subsequence((0..FIELDS.len()).collect::<Vec<_>>(), 1..=4)
            .prop_flat_map(|paths| {
                paths
                    .into_iter()
                    .map(|p| {
                        select(FIELDS[p].1).prop_map(move |c| format!("\"{}\": {c}", FIELDS[p].0))
                    })
                    .collect::<Vec<_>>()
            })
            .prop_map(|fields| format!("{{{}}}", fields.join(", ")))
    };
    prop_oneof![
        6 => fields(),
        1 => (fields(), fields()).prop_map(|(a, b)| format!(r#"{{"$or": [{a}, {b}]}}"#)),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Add(usize, String),
    /// `SharedMatcher::replace_rule`; on the `Matcher`, delete then add.
    Replace(usize, String),
    Delete(usize),
    /// `SharedMatcher::delete_rules` of several names at once.
    DeleteMany(Vec<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    // A few popular patterns: many names subscribe to the very same thing.
    let popular = prop_oneof![
        Just(r#"{"source": ["app"], "detail": {"user": ["u1"]}}"#.to_owned()),
        Just(r#"{"source": ["app"], "detail-type": [{"prefix": "Order"}]}"#.to_owned()),
        Just(r#"{"source": ["app"]}"#.to_owned()),
    ];
    prop_oneof![
        6 => (0..NAMES, pattern()).prop_map(|(n, p)| Op::Add(n, p)),
        2 => (0..NAMES, popular).prop_map(|(n, p)| Op::Add(n, p)),
        3 => (0..NAMES, pattern()).prop_map(|(n, p)| Op::Replace(n, p)),
        3 => (0..NAMES).prop_map(Op::Delete),
        1 => vec(0..NAMES, 1..6).prop_map(Op::DeleteMany),
    ]
}

thread_local! {
    static ANSWERS: RefCell<HashMap<(String, usize), bool>> = RefCell::new(HashMap::new());
}

fn reference(pattern: &str, event: usize) -> bool {
    ANSWERS.with(|answers| {
        *answers
            .borrow_mut()
            .entry((pattern.to_owned(), event))
            .or_insert_with(|| {
                Pattern::parse(pattern)
                    .expect("generated patterns are valid")
                    .matches(EVENTS[event].as_bytes())
                    .expect("pool events are valid")
            })
    })
}

/// The live rules: name → its patterns.
type Model = Vec<(usize, String)>;

fn expected(model: &Model, event: usize) -> BTreeSet<String> {
    model
        .iter()
        .filter(|(_, p)| reference(p, event))
        .map(|(n, _)| format!("n{n}"))
        .collect()
}

fn check<S: AsRef<str>>(
    what: &str,
    model: &Model,
    answer: impl Fn(&str) -> Vec<S>,
) -> Result<(), String> {
    for (i, event) in EVENTS.iter().enumerate() {
        let names = answer(event);
        let got: BTreeSet<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
        if got.len() != names.len() {
            return Err(format!("{what}: event {event}: a name came back twice"));
        }
        let want = expected(model, i);
        if got != want {
            return Err(format!(
                "{what}: event {event}: got {got:?}, reference {want:?}; live rules {model:?}"
            ));
        }
    }
    Ok(())
}

fn run(ops: &[Op]) -> Result<(), String> {
    let mut matcher = Matcher::new();
    let shared = SharedMatcher::new();
    let mut model: Model = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Add(n, p) => {
                matcher.add_rule(&format!("n{n}"), p).unwrap();
                shared.add_rule(&format!("n{n}"), p).unwrap();
                model.push((*n, p.clone()));
            }
            Op::Replace(n, p) => {
                let name = format!("n{n}");
                let existed = model.iter().any(|(m, _)| m == n);
                if matcher.delete_rule(&name) != existed {
                    return Err(format!("step {step}: delete_rule({name}) disagrees"));
                }
                matcher.add_rule(&name, p).unwrap();
                if shared.replace_rule(&name, &Pattern::parse(p).unwrap()) != existed {
                    return Err(format!("step {step}: replace_rule({name}) disagrees"));
                }
                model.retain(|(m, _)| m != n);
                model.push((*n, p.clone()));
            }
            Op::Delete(n) => {
                let name = format!("n{n}");
                let existed = model.iter().any(|(m, _)| m == n);
                if matcher.delete_rule(&name) != existed || shared.delete_rule(&name) != existed {
                    return Err(format!("step {step}: delete_rule({name}) disagrees"));
                }
                model.retain(|(m, _)| m != n);
            }
            Op::DeleteMany(ns) => {
                let names: Vec<String> = ns.iter().map(|n| format!("n{n}")).collect();
                let distinct: BTreeSet<&usize> = ns.iter().collect();
                let live = distinct
                    .iter()
                    .filter(|n| model.iter().any(|(m, _)| m == **n))
                    .count();
                for name in &names {
                    matcher.delete_rule(name);
                }
                if shared.delete_rules(&names) != live {
                    return Err(format!("step {step}: delete_rules({names:?}) disagrees"));
                }
                model.retain(|(m, _)| !ns.contains(m));
            }
        }
        let what = format!("after step {step} {op:?}");
        check(&format!("Matcher {what}"), &model, |e| {
            matcher.matches(e.as_bytes()).unwrap()
        })?;
        check(&format!("SharedMatcher {what}"), &model, |e| {
            shared.matches(e.as_bytes()).unwrap()
        })?;
    }
    Ok(())
}

proptest! {
    // 300 cases unless `PROPTEST_CASES` asks for another number.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(300),
        ..ProptestConfig::default()
    })]

    #[test]
    fn shared_conditions_answer_as_the_reference(ops in vec(op(), 1..120)) {
        run(&ops).map_err(TestCaseError::fail)?;
    }
}

/// Thousands of subscribers on one popular condition each with a condition of its own, added,
/// half deleted, added again: every anchor moves off the popular condition, and answers stay
/// right throughout.
#[test]
fn many_subscribers_share_a_source() {
    let mut matcher = Matcher::new();
    let mut live = BTreeSet::new();
    let pattern = |i: usize| {
        format!(
            r#"{{"source": ["app"], "detail": {{"user": ["u{}"]}}, "detail-type": [{{"prefix": "Order"}}]}}"#,
            i % 7
        )
    };
    for round in 0..3 {
        for i in 0..3000 {
            if round == 1 && i % 2 == 0 {
                assert!(matcher.delete_rule(&format!("s{i}")));
                live.remove(&i);
            } else if round != 1 {
                matcher.add_rule(&format!("s{i}"), &pattern(i)).unwrap();
                live.insert(i);
            }
        }
        let event = br#"{"source": "app", "detail-type": "OrderPlaced", "detail": {"user": "u3"}}"#;
        let got: BTreeSet<String> = matcher
            .matches(event)
            .unwrap()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let want: BTreeSet<String> = live
            .iter()
            .filter(|i| *i % 7 == 3)
            .map(|i| format!("s{i}"))
            .collect();
        assert_eq!(got, want, "round {round}");
    }
}
