//! Runs every conformance case in `corpus/` through the engine.

use evmatch::Pattern;
use evmatch_corpus::{Case, Expect};

/// What the engine says about a case, in the corpus's terms.
fn verdict(case: &Case) -> Result<Expect, String> {
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
    Ok(match pattern.matches(event.as_bytes()) {
        Ok(true) => Expect::Match,
        Ok(false) => Expect::NoMatch,
        Err(_) => Expect::EventError,
    })
}

#[test]
fn every_case_holds_on_the_reference_matcher() {
    let cases = evmatch_corpus::load();
    assert!(
        cases.len() >= 300,
        "the corpus has only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        match verdict(case) {
            Ok(got) if got == case.expect => {}
            Ok(got) => failures.push(format!("{case}: expected {:?}, got {got:?}", case.expect)),
            Err(e) => failures.push(format!("{case}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
