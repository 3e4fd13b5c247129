//! Runs every conformance case in `corpus/` through the engine: the reference interpreter, and
//! the compiled automaton under each validation mode.

use evmatch::{Matcher, Pattern, Validation};
use evmatch_corpus::{Case, Expect};

#[derive(Debug, Clone, Copy)]
enum Engine {
    Reference,
    Automaton(Validation),
}

/// What `engine` says about a case, in the corpus's terms.
fn verdict(case: &Case, engine: Engine) -> Result<Expect, String> {
    let pattern = match Pattern::parse(&case.pattern) {
        Ok(pattern) => pattern,
        Err(evmatch::PatternError::Syntax(_)) => return Ok(Expect::Invalid { reason: None }),
        Err(e) => {
            return Ok(Expect::Invalid {
                reason: Some(e.to_string()),
            })
        }
    };
    let event = case
        .event
        .as_deref()
        .ok_or("the pattern is valid but the case has no event")?;
    let matched = match engine {
        Engine::Reference => pattern.matches(event.as_bytes()),
        Engine::Automaton(validation) => {
            let mut matcher = Matcher::builder().validation(validation).build();
            matcher.add_pattern("case", &pattern);
            matcher
                .matches(event.as_bytes())
                .map(|names| names == ["case"])
        }
    };
    Ok(match matched {
        Ok(true) => Expect::Match,
        Ok(false) => Expect::NoMatch,
        Err(_) => Expect::EventError,
    })
}

fn run(engine: Engine, skip: impl Fn(&Case) -> bool) {
    let cases = evmatch_corpus::load();
    assert!(
        cases.len() >= 300,
        "the corpus has only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in cases.iter().filter(|c| !skip(c)) {
        match verdict(case, engine) {
            Ok(got) if got == case.expect => {}
            Ok(got) => failures.push(format!("{case}: expected {:?}, got {got:?}", case.expect)),
            Err(e) => failures.push(format!("{case}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{engine:?}: {} of {} corpus cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_holds_on_the_reference_matcher() {
    run(Engine::Reference, |_| false);
}

#[test]
fn every_case_holds_on_the_automaton() {
    run(Engine::Automaton(Validation::Full), |_| false);
}

/// Structural validation promises nothing about malformed events or events that spell one path
/// twice (a repeated key, or `"a.b"` beside `"a": {"b": ..}`), so those cases are left out.
#[test]
fn every_well_formed_case_holds_on_the_automaton_with_structural_validation() {
    run(Engine::Automaton(Validation::Structural), |case| {
        case.expect == Expect::EventError || case.name.contains("event-keys-both-count")
    });
}

/// `matches_batch` over every corpus event (malformed ones included), with every valid corpus
/// pattern loaded, answers event by event what `matches_with` does, in both validation modes.
#[test]
fn batches_answer_like_single_events() {
    let cases = evmatch_corpus::load();
    let events: Vec<&[u8]> = cases
        .iter()
        .filter_map(|case| case.event.as_deref().map(str::as_bytes))
        .collect();
    for validation in [Validation::Full, Validation::Structural] {
        let mut matcher = Matcher::builder().validation(validation).build();
        for (i, case) in cases.iter().enumerate() {
            if let Ok(pattern) = Pattern::parse(&case.pattern) {
                matcher.add_pattern(&format!("case-{i}"), &pattern);
            }
        }
        let (mut scratch, mut names) = (evmatch::Scratch::new(), Vec::new());
        let mut batch = Vec::new();
        matcher.matches_batch(&events, &mut scratch, &mut names, |i, result| {
            batch.push((i, result.map(<[&str]>::to_vec)));
        });
        let (mut scratch, mut names) = (evmatch::Scratch::new(), Vec::new());
        let single: Vec<_> = (events.iter().enumerate())
            .map(|(i, event)| {
                let result = matcher.matches_with(event, &mut scratch, &mut names);
                (i, result.map(|()| names.clone()))
            })
            .collect();
        assert_eq!(batch, single, "{validation:?}");
        let matched = single
            .iter()
            .filter(|(_, r)| r.as_ref().is_ok_and(|n| !n.is_empty()));
        assert!(
            matched.count() > events.len() / 4,
            "the corpus events match something"
        );
    }
}
