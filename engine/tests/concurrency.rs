//! A [`SharedMatcher`] under concurrent reads and writes.
//!
//! A writer thread changes the rules following a fixed script of atomic operations (`add_rules`
//! batches, `add_rule`, `delete_rule`); the rule set after each operation is a *state*, and the
//! model knows every state's answer for every probe event. Three readers match the probe events
//! meanwhile and check that what they see is exactly some state's answer:
//!
//! - every batch adds a marker rule `version-{k}` that matches every probe event (and the next
//!   operation deletes `version-{k-1}`), so an answer shows which version it came from;
//! - the writer publishes how many operations have returned; a reader reads that counter before
//!   and after its match, and the state it saw must lie in that window, at or after the earliest
//!   state it could have seen last time (snapshots never go back in time);
//! - all probe events matched on one `snapshot()` must come from one state, and must still give
//!   the same answers after the writer has moved on while the snapshot was held.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use evmatch::{Matcher, Pattern, Scratch, SharedMatcher};

/// Compile-time: a matcher can be shared between threads; working memory can move between them.
#[test]
fn matchers_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<SharedMatcher>();
    send_sync::<Matcher>();
    send::<Scratch>();
}

const MARKER: &str = r#"{"id": [{"exists": true}]}"#;

/// Every probe event has an `id`, so every marker matches every probe event.
const EVENTS: &[&str] = &[
    r#"{"id": 0, "kind": "order", "tags": ["t1"]}"#,
    r#"{"id": 3, "kind": "x"}"#,
    r#"{"id": 7, "kind": "ordinal", "missing": 1}"#,
    r#"{"id": 11, "tags": ["u", "tz"]}"#,
    r#"{"id": 100, "kind": "other"}"#,
    r#"{"id": [5, 9], "kind": "x", "missing": null}"#,
];

const CONTENT_NAMES: usize = 12;

/// The patterns rule `c{i}` may carry: its own id, and one that shares branches with others.
fn content_patterns(i: usize) -> [String; 2] {
    let shared = match i % 4 {
        0 => r#"{"kind": [{"prefix": "ord"}]}"#,
        1 => r#"{"kind": [{"anything-but": "order"}]}"#,
        2 => {
            r#"{"$or": [{"id": [{"numeric": [">", 5]}]}, {"missing": [{"exists": false}], "kind": ["x"]}]}"#
        }
        _ => r#"{"tags": [{"wildcard": "t*"}]}"#,
    };
    [format!(r#"{{"id": [{i}]}}"#), shared.to_owned()]
}

/// One atomic change to the rules.
#[derive(Debug, Clone)]
enum Op {
    AddRules(Vec<(String, String)>),
    Add(String, String),
    Delete(String),
}

/// splitmix64, to write the script.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

fn content_op(dice: &mut Dice) -> (String, String) {
    let i = dice.below(CONTENT_NAMES);
    let pattern = content_patterns(i)[dice.below(2)].clone();
    (format!("c{i}"), pattern)
}

/// The script: per version `k`, a batch adding `version-{k}` (and maybe content rules), the
/// deletion of `version-{k-1}`, then up to two single changes.
fn script(versions: usize) -> Vec<Op> {
    let mut dice = Dice(2024);
    let mut ops = Vec::new();
    for k in 1..=versions {
        let mut batch = vec![(format!("version-{k}"), MARKER.to_owned())];
        for _ in 0..dice.below(3) {
            batch.push(content_op(&mut dice));
        }
        ops.push(Op::AddRules(batch));
        ops.push(Op::Delete(format!("version-{}", k - 1)));
        for _ in 0..dice.below(3) {
            ops.push(match dice.below(3) {
                0 => {
                    let (name, pattern) = content_op(&mut dice);
                    Op::Add(name, pattern)
                }
                _ => Op::Delete(format!("c{}", dice.below(CONTENT_NAMES))),
            });
        }
    }
    ops
}

/// The initial rules (state 0).
fn initial_rules() -> Vec<(String, String)> {
    let mut rules = vec![("version-0".to_owned(), MARKER.to_owned())];
    for i in 0..CONTENT_NAMES {
        rules.push((format!("c{i}"), content_patterns(i)[0].clone()));
    }
    rules
}

/// Each state's answer (sorted names) for each probe event, and what each `delete_rule` of the
/// script returns.
struct Model {
    answers: Vec<Vec<Vec<String>>>,
    deleted: Vec<Option<bool>>,
}

fn model(ops: &[Op]) -> Model {
    let mut live = initial_rules();
    let mut answers = Vec::new();
    let mut deleted = Vec::new();
    let mut cache = std::collections::HashMap::new();
    let mut answer = |live: &[(String, String)]| -> Vec<Vec<String>> {
        EVENTS
            .iter()
            .map(|event| {
                let names: BTreeSet<String> = live
                    .iter()
                    .filter(|(_, text)| {
                        *cache.entry((text.clone(), *event)).or_insert_with(|| {
                            Pattern::parse(text)
                                .unwrap()
                                .matches(event.as_bytes())
                                .unwrap()
                        })
                    })
                    .map(|(name, _)| name.clone())
                    .collect();
                names.into_iter().collect()
            })
            .collect()
    };
    answers.push(answer(&live));
    for op in ops {
        match op {
            Op::AddRules(batch) => {
                live.extend(batch.iter().cloned());
                deleted.push(None);
            }
            Op::Add(name, text) => {
                live.push((name.clone(), text.clone()));
                deleted.push(None);
            }
            Op::Delete(name) => {
                let before = live.len();
                live.retain(|(n, _)| n != name);
                deleted.push(Some(live.len() != before));
            }
        }
        answers.push(answer(&live));
    }
    Model { answers, deleted }
}

/// The versions whose markers are in an answer (for messages).
fn versions(answer: &[String]) -> Vec<&str> {
    answer
        .iter()
        .filter_map(|n| n.strip_prefix("version-"))
        .collect()
}

fn sorted<S: AsRef<str>>(names: Vec<S>) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.as_ref().to_owned()).collect();
    names.sort();
    names
}

/// What one reader saw.
#[derive(Default)]
struct Seen {
    reads: usize,
    states: BTreeSet<usize>,
    failures: Vec<String>,
}

/// The states in `lo..=hi` whose answers for `events` are `got`.
fn states_with(
    model: &Model,
    lo: usize,
    hi: usize,
    events: &[usize],
    got: &[Vec<String>],
) -> Vec<usize> {
    let hi = hi.min(model.answers.len() - 1);
    (lo..=hi)
        .filter(|&s| {
            events
                .iter()
                .zip(got)
                .all(|(&e, g)| model.answers[s][e] == *g)
        })
        .collect()
}

#[test]
fn readers_see_whole_states_in_order_while_a_writer_changes_rules() {
    const READERS: usize = 3;
    const TIME_LIMIT: Duration = Duration::from_millis(1500);
    let ops = script(2000);
    let model = Arc::new(model(&ops));
    let shared = Arc::new(SharedMatcher::new());
    let initial = initial_rules();
    shared
        .add_rules(initial.iter().map(|(n, p)| (n.as_str(), p.as_str())))
        .unwrap();

    let progress = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(READERS + 1));

    let readers: Vec<_> = (0..READERS)
        .map(|reader| {
            let (shared, model, progress, done, start) = (
                Arc::clone(&shared),
                Arc::clone(&model),
                Arc::clone(&progress),
                Arc::clone(&done),
                Arc::clone(&start),
            );
            thread::spawn(move || {
                let mut seen = Seen::default();
                let mut earliest = 0;
                let mut scratch = Scratch::new();
                let all: Vec<usize> = (0..EVENTS.len()).collect();
                start.wait();
                while !done.load(Ordering::SeqCst) && seen.failures.is_empty() {
                    seen.reads += 1;
                    let before = progress.load(Ordering::SeqCst);
                    let (events, got, held_again) = match (reader, seen.reads % 3) {
                        // One event through `SharedMatcher::matches`.
                        (_, 0) => {
                            let e = seen.reads / 3 % EVENTS.len();
                            let got = shared.matches(EVENTS[e].as_bytes()).unwrap();
                            (vec![e], vec![sorted(got)], None)
                        }
                        // Every event on one snapshot (reader 2 holds it a while and asks
                        // again; reader 1 uses `matches_with`).
                        _ => {
                            let snapshot = shared.snapshot();
                            let mut answer = |matcher: &Matcher| -> Vec<Vec<String>> {
                                EVENTS
                                    .iter()
                                    .map(|event| {
                                        if reader == 1 {
                                            let mut names = vec!["stale"];
                                            matcher
                                                .matches_with(
                                                    event.as_bytes(),
                                                    &mut scratch,
                                                    &mut names,
                                                )
                                                .unwrap();
                                            sorted(names)
                                        } else {
                                            sorted(matcher.matches(event.as_bytes()).unwrap())
                                        }
                                    })
                                    .collect()
                            };
                            let got = answer(&snapshot);
                            let again = (reader == 2).then(|| {
                                thread::sleep(Duration::from_micros(300));
                                answer(&snapshot)
                            });
                            (all.clone(), got, again)
                        }
                    };
                    let after = progress.load(Ordering::SeqCst);
                    let lo = before.max(earliest);
                    let candidates = states_with(&model, lo, after + 1, &events, &got);
                    let Some(&first) = candidates.first() else {
                        let near = states_with(&model, 0, usize::MAX, &events, &got);
                        seen.failures.push(format!(
                            "reader {reader}: events {events:?} answered {got:?} (versions \
                             {:?}), which no state in {lo}..={} gives (states giving it: \
                             {near:?}; progress window {before}..={after}, earliest possible \
                             {earliest})",
                            got.iter().map(|g| versions(g)).collect::<Vec<_>>(),
                            after + 1
                        ));
                        break;
                    };
                    if let Some(again) = held_again {
                        if again != got {
                            seen.failures.push(format!(
                                "reader {reader}: a held snapshot changed: {got:?} then {again:?}"
                            ));
                        }
                    }
                    earliest = first;
                    seen.states.insert(first);
                }
                seen
            })
        })
        .collect();

    // The writer.
    start.wait();
    let began = Instant::now();
    let mut writer_failures = Vec::new();
    let mut applied = 0;
    for (i, op) in ops.iter().enumerate() {
        if began.elapsed() > TIME_LIMIT {
            break;
        }
        match op {
            Op::AddRules(batch) => shared
                .add_rules(batch.iter().map(|(n, p)| (n.as_str(), p.as_str())))
                .unwrap(),
            Op::Add(name, pattern) => shared.add_rule(name, pattern).unwrap(),
            Op::Delete(name) => {
                let got = shared.delete_rule(name);
                if Some(got) != model.deleted[i] {
                    writer_failures.push(format!("op {i} {op:?}: delete_rule said {got}"));
                }
            }
        }
        applied = i + 1;
        progress.store(applied, Ordering::SeqCst);
        if i % 8 == 0 {
            thread::yield_now();
        }
    }
    // Let the readers see the final state for a moment, then stop them.
    thread::sleep(Duration::from_millis(20));
    done.store(true, Ordering::SeqCst);
    let seen: Vec<Seen> = readers.into_iter().map(|r| r.join().unwrap()).collect();

    let mut failures = writer_failures;
    for s in &seen {
        failures.extend(s.failures.iter().cloned());
    }
    for (e, event) in EVENTS.iter().enumerate() {
        let got = sorted(shared.matches(event.as_bytes()).unwrap());
        if got != model.answers[applied][e] {
            failures.push(format!(
                "final state {applied}: {event} answered {got:?}, the model {:?}",
                model.answers[applied][e]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Not vacuous: the writer got through many changes and the readers saw many of the states.
    let distinct: BTreeSet<usize> = seen.iter().flat_map(|s| s.states.iter().copied()).collect();
    let reads: usize = seen.iter().map(|s| s.reads).sum();
    println!(
        "{applied} changes applied; {reads} reads saw {} distinct states",
        distinct.len()
    );
    assert!(applied >= 50, "the writer applied only {applied} changes");
    assert!(
        distinct.len() >= 10,
        "the readers saw only {} distinct states in {reads} reads",
        distinct.len()
    );
}

/// The model is decisive: consecutive versions differ in what the probe events get, and the
/// content rules give different events different answers.
#[test]
fn the_script_changes_answers() {
    let ops = script(200);
    let model = model(&ops);
    let changed = model.answers.windows(2).filter(|w| w[0] != w[1]).count();
    // Deleting a content name that is not live changes nothing; everything else does.
    assert!(
        changed * 4 >= ops.len() * 3,
        "{changed} of {} ops change an answer",
        ops.len()
    );
    let first = &model.answers[0];
    let distinct: BTreeSet<&Vec<String>> = first.iter().collect();
    assert!(distinct.len() >= 4, "{first:?}");
}
