//! Target `parse_pattern`: arbitrary bytes as pattern text.

use evmatch::limits::MAX_PATTERN_BYTES;
use evmatch::{Matcher, Pattern, PatternError};

use crate::check::{agree, reference, show};

/// A few events a mutated corpus pattern may well match (the corpus's favourite keys), to check
/// the compiled form of every pattern that parses against the reference.
const EVENTS: &[&str] = &[
    r#"{"a": "abc", "b": 300, "c": null, "ip": "10.0.0.1"}"#,
    r#"{"a": ["x", 5, true, "ABC", "2001:db8::1"], "b": {"c": "d", "e": [1.5, -0]}}"#,
    r#"{"a": [{"b": "x", "c": 1}, {"b": "y", "d": "Straße"}], "a.b": "z"}"#,
    r#"{"source": "aws.ec2", "detail": {"state": "stopped", "size": 1e400, "tags": []}}"#,
    r#"{}"#,
];

/// Bytes as pattern text (ignored unless UTF-8). Must never panic; `Pattern::parse` and
/// `Matcher::add_rule` agree (same error, or both accept); a parsed pattern's `Display` parses
/// back into an equal pattern with the same `Display`, except where `Display` documents that it
/// cannot (an operator-named field inside several sub-rules); every parsed pattern, compiled,
/// agrees with the reference on a few events.
pub fn parse_pattern(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = Pattern::parse(text);
    let mut matcher = Matcher::new();
    let added = matcher.add_rule("r", text);
    match (&parsed, &added) {
        (Ok(_), Ok(())) => assert_eq!(matcher.len(), 1, "pattern {}", show(data)),
        (Err(want), Err(got)) => {
            assert_eq!(got, want, "add_rule and parse disagree on {}", show(data));
            assert_eq!(matcher.len(), 0, "a refused pattern changed len()");
        }
        _ => panic!(
            "parse said {parsed:?}, add_rule said {added:?}, for {}",
            show(data)
        ),
    }
    let pattern = match parsed {
        Ok(pattern) => pattern,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };

    let canonical = pattern.to_string();
    match Pattern::parse(&canonical) {
        Ok(again) => {
            assert_eq!(
                again,
                pattern,
                "the canonical text parses into another pattern\n pattern:   {}\n canonical: {}",
                show(data),
                show(canonical.as_bytes())
            );
            assert_eq!(
                again.to_string(),
                canonical,
                "the canonical text is not canonical; pattern {}",
                show(data)
            );
            let mut other = Matcher::new();
            if let Err(e) = other.add_rule("c", &canonical) {
                panic!(
                    "add_rule refused the canonical text {} ({e}) of {}",
                    show(canonical.as_bytes()),
                    show(data)
                );
            }
        }
        // Documented on `Display`: `$or` branches may not test an operator-named field.
        Err(PatternError::ReservedFieldInOr(_)) if canonical.starts_with("{\"$or\":[") => {}
        // Written in normal form, `$or` multiplies out: the text may outgrow the size limit.
        Err(PatternError::PatternTooLarge { .. }) if canonical.len() > MAX_PATTERN_BYTES => {}
        Err(e) => panic!(
            "the canonical text does not parse back ({e})\n pattern:   {}\n canonical: {}",
            show(data),
            show(canonical.as_bytes())
        ),
    }

    // The compiled pattern against the reference, and a delete that leaves an empty matcher.
    matcher.add_pattern("p", &pattern);
    assert_eq!(matcher.len(), 2);
    let rules = vec![("r".to_owned(), pattern.clone()), ("p".to_owned(), pattern)];
    for event in EVENTS {
        let want = reference(&rules, event.as_bytes());
        if let Err(e) = agree(&matcher.matches(event.as_bytes()), &want) {
            panic!("{e}\n pattern: {}\n event: {event}", show(data));
        }
    }
    assert!(matcher.delete_rule("r"));
    assert!(matcher.delete_rule("p"));
    assert!(matcher.is_empty());
    for event in EVENTS {
        assert_eq!(matcher.matches(event.as_bytes()), Ok(Vec::new()));
    }
}
