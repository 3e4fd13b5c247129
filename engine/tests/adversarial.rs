//! Adversarial inputs, through the public API only: nesting far past the limit, sizes at and past
//! the limits, number spellings at the edges of binary64, broken text (invalid UTF-8, lone
//! surrogates, NUL), duplicate keys, wildcards built to explode an automaton, many rules, huge
//! arrays, and `exists: false` inside long arrays of objects.
//!
//! Every case asserts the answer, in both validation modes where they differ, and where the
//! reference interpreter (`Pattern::matches`) can judge, that it agrees. Nothing asserts a time;
//! the slow-path tests print theirs (`cargo test --release -p evmatch --test adversarial --
//! --nocapture`), and a test that finishes is the bound. Sizes shrink in debug builds except for
//! the 100,000-level nesting, which runs at full size in a thread with the default 2 MiB stack.

use std::time::{Duration, Instant};

use evmatch::limits::{MAX_DEPTH, MAX_EVENT_BYTES, MAX_FIELDS_PER_RULE, MAX_PATTERN_BYTES};
use evmatch::{EventError, Matcher, Pattern, PatternError, Validation};

const BOTH: [Validation; 2] = [Validation::Full, Validation::Structural];

/// A matcher in `validation` mode with `rules` named `r0`, `r1`, ...
fn matcher(validation: Validation, rules: &[&str]) -> Matcher {
    let mut matcher = Matcher::builder().validation(validation).build();
    for (i, rule) in rules.iter().enumerate() {
        matcher
            .add_rule(&format!("r{i}"), rule)
            .unwrap_or_else(|e| panic!("{rule}: {e}"));
    }
    matcher
}

/// Runs `f` in a fresh thread with the default 2 MiB stack (not the test harness's thread, whose
/// stack size `RUST_MIN_STACK` may change), and fails if it panics or overflows.
fn on_default_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

fn is_syntax(result: &Result<Vec<&str>, EventError>) -> bool {
    matches!(result, Err(EventError::Syntax { .. }))
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

// ---------------------------------------------------------------------------------------------
// Nesting

const HUGE_DEPTH: usize = 100_000;

/// 100,000 levels of arrays and objects, closed and unclosed, on needed and unneeded paths and at
/// the top level: always `TooDeep`, in both modes, and the reference interpreter too. Structural
/// mode may stop reading before deep garbage that nothing needed can follow; that is the one
/// `Ok`.
#[test]
fn events_nested_100k_levels_are_too_deep() {
    on_default_stack(|| {
        let n = HUGE_DEPTH;
        let open = |s: &str| s.repeat(n);
        let cases: Vec<(&str, String)> = vec![
            (
                "needed arrays",
                format!(r#"{{"a": {}1{}}}"#, open("["), open("]")),
            ),
            (
                "needed arrays, unclosed",
                format!(r#"{{"a": {}"#, open("[")),
            ),
            (
                "needed objects",
                format!(r#"{{"a": {}1{}}}"#, open(r#"{"a":"#), open("}")),
            ),
            (
                "unneeded arrays before",
                format!(r#"{{"b": {}1{}, "a": 1}}"#, open("["), open("]")),
            ),
            (
                "unneeded objects before",
                format!(r#"{{"b": {}1{}, "a": 1}}"#, open(r#"{"b":"#), open("}")),
            ),
            (
                "unneeded objects, unclosed",
                format!(r#"{{"b": {}"#, open(r#"{"":"#)),
            ),
            ("top-level arrays", open("[")),
            ("top-level objects", open(r#"{"a":"#)),
        ];
        for validation in BOTH {
            let m = matcher(validation, &[r#"{"a": [1]}"#, r#"{"a": {"a": [1]}}"#]);
            for (name, event) in &cases {
                assert_eq!(
                    m.matches(event.as_bytes()),
                    Err(EventError::TooDeep { max: MAX_DEPTH }),
                    "{validation:?}: {name}"
                );
            }
            // Deep garbage after the last needed field.
            let after = format!(r#"{{"a": 1, "b": {}1{}}}"#, open("["), open("]"));
            let result = m.matches(after.as_bytes());
            match validation {
                Validation::Full => {
                    assert_eq!(result, Err(EventError::TooDeep { max: MAX_DEPTH }))
                }
                // Reading stopped after `a`: documented.
                Validation::Structural => assert_eq!(result, Ok(vec!["r0"])),
            }
        }
        let reference = Pattern::parse(r#"{"a": [1]}"#).unwrap();
        for (name, event) in &cases {
            assert_eq!(
                reference.matches(event.as_bytes()),
                Err(EventError::TooDeep { max: MAX_DEPTH }),
                "reference: {name}"
            );
        }
    });
}

/// A pattern of 100,000 levels is larger than the size limit, so it is refused for its size
/// before it is read. The deepest patterns that fit the size limit (about 65,000 levels of
/// arrays, 13,000 of objects, closed or not) are refused as too deep, by `Pattern::parse` and
/// `add_rule` alike, without overflowing the stack.
#[test]
fn patterns_nested_past_the_limit_are_refused_cleanly() {
    on_default_stack(|| {
        let too_large = "[".repeat(HUGE_DEPTH);
        assert_eq!(
            Pattern::parse(&too_large),
            Err(PatternError::PatternTooLarge {
                len: HUGE_DEPTH,
                max: MAX_PATTERN_BYTES
            })
        );
        let closed_objects = 10_000;
        let deep_in_limit = [
            "[".repeat(MAX_PATTERN_BYTES),
            format!(r#"{{"a": {}"#, "[".repeat(MAX_PATTERN_BYTES - 6)),
            format!(
                r#"{{"a": {}"#,
                r#"{"a":"#.repeat((MAX_PATTERN_BYTES - 6) / 5)
            ),
            format!(
                r#"{}["x"]{}"#,
                r#"{"a":"#.repeat(closed_objects),
                "}".repeat(closed_objects)
            ),
            format!(r#"{{"a": [{}"#, r#"{"numeric":"#.repeat(5_000)),
        ];
        for pattern in &deep_in_limit {
            assert!(pattern.len() <= MAX_PATTERN_BYTES, "{}", pattern.len());
            let expected = Err(PatternError::TooDeep { max: MAX_DEPTH });
            assert_eq!(Pattern::parse(pattern).map(|_| ()), expected);
            let mut m = Matcher::new();
            assert_eq!(m.add_rule("deep", pattern), expected);
            assert!(m.is_empty());
        }
    });
}

/// `matches_value` and `Pattern::from_value` at the depth limit's edge. (See
/// `deep_serde_values_are_refused_before_serialising` for deeper values.)
#[test]
fn serde_values_one_level_too_deep_are_refused() {
    on_default_stack(|| {
        let mut m = Matcher::new();
        m.add_rule("r", r#"{"a": [1]}"#).unwrap();
        // The root object is one level, so `a` may hold `MAX_DEPTH - 1` arrays.
        for (arrays, ok) in [(MAX_DEPTH - 1, true), (MAX_DEPTH, false)] {
            let mut value = serde_json::Value::from(1);
            for _ in 0..arrays {
                value = serde_json::Value::Array(vec![value]);
            }
            let mut object = serde_json::Map::new();
            object.insert("a".into(), value);
            let event = serde_json::Value::Object(object);
            let result = m.matches_value(&event);
            if ok {
                assert_eq!(result, Ok(vec!["r"]));
            } else {
                assert_eq!(result, Err(EventError::TooDeep { max: MAX_DEPTH }));
                assert_eq!(
                    Pattern::from_value(&event).map(|_| ()),
                    Err(PatternError::TooDeep { max: MAX_DEPTH })
                );
            }
        }
    });
}

/// `Matcher::matches_value` and `Pattern::from_value` on values far deeper than the limit.
/// Before 86b4491 both serialised the caller's `serde_json::Value` first, and serde_json's
/// serialiser recurses without a bound: 2,000 levels overflowed a 2 MiB stack in a debug build
/// (the `Value` itself drops fine up to about 10,000 there). Now the depth is checked first. The
/// value is 5,000 levels deep, which the test can still build and drop on this stack.
#[test]
fn deep_serde_values_are_refused_before_serialising() {
    on_default_stack(|| {
        let mut m = Matcher::new();
        m.add_rule("r", r#"{"a": [1]}"#).unwrap();
        let mut value = serde_json::Value::from(1);
        for _ in 0..5_000 {
            value = serde_json::Value::Array(vec![value]);
        }
        let mut object = serde_json::Map::new();
        object.insert("a".into(), value);
        let event = serde_json::Value::Object(object);
        assert_eq!(
            m.matches_value(&event),
            Err(EventError::TooDeep { max: MAX_DEPTH })
        );
        assert_eq!(
            Pattern::from_value(&event).map(|_| ()),
            Err(PatternError::TooDeep { max: MAX_DEPTH })
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Sizes

/// An event of exactly `len` bytes: `{"a": 1, "pad": "xxx..."}`.
fn padded_event(len: usize) -> Vec<u8> {
    let head = br#"{"a": 1, "pad": ""#;
    let tail = br#""}"#;
    let mut event = Vec::with_capacity(len);
    event.extend_from_slice(head);
    event.resize(len - tail.len(), b'x');
    event.extend_from_slice(tail);
    assert_eq!(event.len(), len);
    event
}

/// One byte over `MAX_EVENT_BYTES` is `TooLarge` in both modes, even when the needed field comes
/// first (Structural mode would otherwise stop reading there); exactly the limit is read.
#[test]
fn events_over_the_size_limit_are_too_large() {
    let at_limit = padded_event(MAX_EVENT_BYTES);
    let over = padded_event(MAX_EVENT_BYTES + 1);
    for validation in BOTH {
        let m = matcher(validation, &[r#"{"a": [1]}"#]);
        assert_eq!(
            m.matches(&over),
            Err(EventError::TooLarge {
                len: MAX_EVENT_BYTES + 1,
                max: MAX_EVENT_BYTES
            }),
            "{validation:?}"
        );
        assert_eq!(m.matches(&at_limit), Ok(vec!["r0"]), "{validation:?}");
    }
    assert!(matches!(
        Pattern::parse(r#"{"a": [1]}"#).unwrap().matches(&over),
        Err(EventError::TooLarge { .. })
    ));
}

/// A pattern of exactly `len` bytes: `{"a": ["xxx..."]}` padded with `unit` (ASCII or not).
fn padded_pattern(len: usize, unit: &str) -> String {
    let head = r#"{"a": [""#;
    let tail = r#""]}"#;
    let room = len - head.len() - tail.len();
    assert_eq!(room % unit.len(), 0);
    format!("{head}{}{tail}", unit.repeat(room / unit.len()))
}

/// The pattern limit counts bytes: exactly `MAX_PATTERN_BYTES` is accepted, one more is refused
/// with its length, whether the bytes are text, multi-byte characters or whitespace, through
/// `Pattern::parse` and `add_rule`.
#[test]
fn patterns_over_the_size_limit_are_refused() {
    let accepted = padded_pattern(MAX_PATTERN_BYTES, "x");
    assert!(Pattern::parse(&accepted).is_ok());
    let mut m = Matcher::new();
    m.add_rule("big", &accepted).unwrap();
    let value = &accepted[8..accepted.len() - 3];
    let event = format!(r#"{{"a": "{value}"}}"#);
    assert_eq!(m.matches(event.as_bytes()).unwrap(), ["big"]);

    let too_large = [
        padded_pattern(MAX_PATTERN_BYTES + 1, "x"),
        // 2-byte characters: fewer characters than the limit, more bytes.
        padded_pattern(MAX_PATTERN_BYTES + 1, "é"),
        format!("{}{}", accepted, " "),
        format!("{}{}", " ", accepted),
    ];
    for pattern in &too_large {
        let len = pattern.len();
        assert!(len > MAX_PATTERN_BYTES, "{len}");
        let expected = Err(PatternError::PatternTooLarge {
            len,
            max: MAX_PATTERN_BYTES,
        });
        assert_eq!(Pattern::parse(pattern).map(|_| ()), expected);
        assert_eq!(m.add_rule("too-big", pattern), expected);
    }
    assert_eq!(m.len(), 1);
    assert!(too_large[1].chars().count() < MAX_PATTERN_BYTES);
}

/// 257 fields in one sub-rule are refused however they are spelled: flat through `add_rule`
/// (leaving the matcher unchanged), nested, dotted, and completed by a `$or` branch. 256 are
/// accepted and matched.
#[test]
fn more_than_256_fields_in_one_rule_are_refused() {
    let limit = Err(PatternError::TooManyFields {
        max: MAX_FIELDS_PER_RULE,
    });
    let fields = |n: usize, key: &dyn Fn(usize) -> String| -> String {
        (0..n)
            .map(|i| format!("{}: [1]", key(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let flat = |i: usize| format!("\"f{i}\"");
    let dotted = |i: usize| format!("\"g{}.f{i}\"", i % 7);

    let mut m = Matcher::new();
    for spelled in [
        format!("{{{}}}", fields(257, &flat)),
        format!("{{{}}}", fields(257, &dotted)),
        // Nested: 257 leaves under one object.
        format!("{{\"outer\": {{\"inner\": {{{}}}}}}}", fields(257, &flat)),
        // 200 fields, and a $or whose second branch brings 57 more.
        format!(
            "{{{}, \"$or\": [{{\"x\": [1]}}, {{{}}}]}}",
            fields(200, &flat),
            fields(57, &|i| format!("\"o{i}\"")),
        ),
    ] {
        assert_eq!(Pattern::parse(&spelled).map(|_| ()), limit);
        assert_eq!(m.add_rule("wide", &spelled), limit);
    }
    assert!(m.is_empty());

    // The limit itself, and a $or whose branches each stay within it.
    let at_limit = format!("{{{}}}", fields(MAX_FIELDS_PER_RULE, &flat));
    let or_within = format!(
        "{{{}, \"$or\": [{{\"x\": [1]}}, {{{}}}]}}",
        fields(200, &flat),
        fields(56, &|i| format!("\"o{i}\"")),
    );
    m.add_rule("at-limit", &at_limit).unwrap();
    m.add_rule("or-within", &or_within).unwrap();
    let mut event: serde_json::Map<String, serde_json::Value> = (0..MAX_FIELDS_PER_RULE)
        .map(|i| (format!("f{i}"), 1.into()))
        .collect();
    event.insert("x".into(), 1.into());
    let event = serde_json::Value::Object(event);
    assert_eq!(m.matches_value(&event).unwrap(), ["at-limit", "or-within"]);
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// Number spellings at the edges of binary64 against literal, numeric and anything-but patterns.
/// The semantics (README, corpus/exact.jsonl, corpus/numeric.jsonl): numbers match by binary64
/// value; an event number with more digits than binary64 holds is compared at its nearest
/// double; a number beyond binary64 (`1e400`) is compared as text, never numerically; a pattern
/// number binary64 does not hold as written is compared as text, and refused where a comparable
/// number is required. Checked in both modes, as the event's only field and inside an array,
/// and against the reference interpreter.
#[test]
fn number_edges_follow_the_documented_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        // Exponent spellings.
        (r#"[100]"#, "1E+2", true),
        (r#"[1E+2]"#, "100", true),
        (r#"[1e2]"#, "1E+2", true),
        (r#"[100.0]"#, "1E+2", true),
        (r#"[{"numeric": ["=", 100]}]"#, "1E+2", true),
        (r#"[{"numeric": [">", 99.99, "<", 100.01]}]"#, "1E+2", true),
        (r#"[{"numeric": ["<", 1E+2]}]"#, "100", false),
        (r#"[{"anything-but": 100}]"#, "1E+2", false),
        (r#"[{"anything-but": 1E+2}]"#, "101", true),
        // Zeros: -0 equals 0, whatever the spelling.
        (r#"[0]"#, "-0", true),
        (r#"[0]"#, "-0.0e-0", true),
        (r#"[-0.0e-0]"#, "0", true),
        (r#"[-0]"#, "-0.0e-0", true),
        (r#"[{"numeric": ["=", 0]}]"#, "-0.0e-0", true),
        (r#"[{"numeric": ["<", 0]}]"#, "-0.0e-0", false),
        (r#"[{"numeric": [">=", 0, "<", 1]}]"#, "-0.0e-0", true),
        (r#"[{"anything-but": 0}]"#, "-0.0e-0", false),
        (r#"[{"anything-but": [-0]}]"#, "0E+0", false),
        // Beyond binary64: text only.
        (r#"[1e400]"#, "1e400", true),
        (r#"[1e400]"#, "1E400", false),
        (r#"[1e400]"#, "1e+400", false),
        (r#"[1e400]"#, "10e399", false),
        (r#"[-1e400]"#, "-1e400", true),
        (r#"[{"numeric": [">", 0]}]"#, "1e400", false),
        (r#"[{"numeric": ["<", 0]}]"#, "-1e400", false),
        (
            r#"[{"numeric": [">", -1.7976931348623157e308]}]"#,
            "1e400",
            false,
        ),
        (r#"[{"exists": true}]"#, "1e400", true),
        (r#"[{"anything-but": 5}]"#, "1e400", true),
        // The smallest subnormal, and what rounds to it or to zero.
        (r#"[5e-324]"#, "5e-324", true),
        (r#"[5e-324]"#, "4.9406564584124654e-324", true),
        (r#"[5e-324]"#, "3e-324", true),
        (r#"[5e-324]"#, "2e-324", false),
        (r#"[0]"#, "2e-324", true),
        (r#"[{"numeric": [">", 0]}]"#, "5e-324", true),
        (r#"[{"numeric": [">", 0]}]"#, "2e-324", false),
        (r#"[{"numeric": ["<", 5e-324]}]"#, "0", true),
        (r#"[{"numeric": ["=", 5e-324]}]"#, "5E-324", true),
        // 20-digit integers: the event is compared at its nearest double, a pattern number
        // binary64 does not hold is compared as text.
        (r#"[12345678901234567890]"#, "12345678901234567890", true),
        (r#"[12345678901234567890]"#, "12345678901234567891", false),
        (
            r#"[12345678901234567890]"#,
            "1.234567890123456789e19",
            false,
        ),
        (r#"[1.2345678901234567e19]"#, "12345678901234567890", true),
        (r#"[1.2345678901234567e19]"#, "12345678901234567168", true),
        (r#"[99999999999999999999]"#, "1e20", false),
        (r#"[1e20]"#, "99999999999999999999", true),
        (
            r#"[{"numeric": [">", 1e19]}]"#,
            "12345678901234567890",
            true,
        ),
        (
            r#"[{"numeric": ["<", 1e19]}]"#,
            "12345678901234567890",
            false,
        ),
        (
            r#"[{"numeric": ["=", 1e20]}]"#,
            "99999999999999999999",
            true,
        ),
        (r#"[{"anything-but": 1e20}]"#, "99999999999999999999", false),
        // Numbers never match strings of their text.
        (r#"[1e400]"#, r#""1e400""#, false),
        (r#"["1E+2"]"#, "100", false),
        (r#"["-0"]"#, "-0", false),
    ];
    let mut wrong = Vec::new();
    for validation in BOTH {
        for &(values, number, expected) in cases {
            let pattern = format!(r#"{{"n": {values}}}"#);
            let m = matcher(validation, &[&pattern]);
            let reference = Pattern::parse(&pattern).unwrap();
            for event in [
                format!(r#"{{"n": {number}}}"#),
                // Inside an array (alone: other elements would pass an anything-but).
                format!(r#"{{"n": [{number}]}}"#),
                format!(r#"{{"n": [{number}, {number}]}}"#),
            ] {
                let got = !m.matches(event.as_bytes()).unwrap().is_empty();
                let oracle = reference.matches(event.as_bytes()).unwrap();
                if got != expected || oracle != expected {
                    wrong.push(format!(
                        "{validation:?}: {pattern} vs {event}: expected {expected}, matcher {got}, reference {oracle}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Where a comparable number is required, one binary64 does not hold is refused.
    for (pattern, number) in [
        (r#"{"n": [{"numeric": ["=", 1e400]}]}"#, "1e400"),
        (
            r#"{"n": [{"numeric": ["<", 12345678901234567890]}]}"#,
            "12345678901234567890",
        ),
        (
            r#"{"n": [{"anything-but": 99999999999999999999}]}"#,
            "99999999999999999999",
        ),
    ] {
        assert_eq!(
            Pattern::parse(pattern).map(|_| ()),
            Err(PatternError::NotComparable(number.into())),
            "{pattern}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Broken text

/// Byte sequences that are not UTF-8: a stray continuation byte, a lead byte without its
/// continuation, an overlong encoding, an encoded surrogate, a code point past U+10FFFF, bytes
/// that never appear in UTF-8.
const NOT_UTF8: &[&[u8]] = &[
    b"\x80",
    b"\xc3",
    b"\xe2\x82",
    b"\xc0\xaf",
    b"\xe0\x80\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xfe",
    b"\xff",
];

fn event_with(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Invalid UTF-8 anywhere is refused by Full mode. Structural mode refuses it in a value a rule
/// reads (whole-string and per-byte operators alike) and, as documented, does not look at values
/// no rule reads.
#[test]
fn invalid_utf8_is_refused_where_it_is_read() {
    let rules = [
        r#"{"a": ["x"]}"#,
        r#"{"a": [{"prefix": "x"}]}"#,
        r#"{"a": [{"suffix": "y"}]}"#,
        r#"{"a": [{"wildcard": "x*y"}]}"#,
        r#"{"a": [{"equals-ignore-case": "X"}]}"#,
        r#"{"a": [{"anything-but": "z"}]}"#,
        r#"{"a": [{"exists": true}]}"#,
        r#"{"a": [{"cidr": "10.0.0.0/8"}]}"#,
    ];
    for bad in NOT_UTF8 {
        let needed_value = event_with(&[br#"{"a": "x"#, bad, br#"y"}"#]);
        let needed_in_array = event_with(&[br#"{"a": ["q", "x"#, bad, br#"y"]}"#]);
        let unneeded_value = event_with(&[br#"{"b": "x"#, bad, br#"y", "a": "xy"}"#]);
        let unneeded_key = event_with(&[br#"{"b"#, bad, br#"": 1, "a": "xy"}"#]);
        let key_after = event_with(&[br#"{"a": "xy", "b"#, bad, br#"": 1}"#]);
        for rule in rules {
            for validation in BOTH {
                let m = matcher(validation, &[rule]);
                for event in [&needed_value, &needed_in_array] {
                    assert!(
                        is_syntax(&m.matches(event)),
                        "{validation:?} {rule} {:?}",
                        String::from_utf8_lossy(event)
                    );
                }
                for event in [&unneeded_value, &unneeded_key, &key_after] {
                    let result = m.matches(event);
                    match validation {
                        Validation::Full => assert!(is_syntax(&result), "{rule} {event:?}"),
                        // Not read, not checked (documented). The rules all match `"xy"`
                        // except the cidr one.
                        Validation::Structural => assert!(result.is_ok(), "{rule} {event:?}"),
                    }
                }
            }
            assert!(Pattern::parse(rule)
                .unwrap()
                .matches(&unneeded_value)
                .is_err());
        }
    }
}

/// Lone surrogates in `\u` escapes, in keys and values of events and patterns. Events: Full mode
/// refuses them anywhere; Structural mode refuses them in values a rule reads, and in keys (keys
/// are decoded to be compared), but not in values no rule reads. Patterns: always a syntax error.
/// A proper pair is fine on both sides, in keys too.
#[test]
fn lone_surrogates_are_refused() {
    let lone = [
        r"\ud800",
        r"\udbff",
        r"\udc00",
        r"\udfff",
        r"\ud800\u0041",
        r"\ude00\ud83d",
        r"\ud800\\",
    ];
    for escape in lone {
        for validation in BOTH {
            let m = matcher(validation, &[r#"{"a": [{"prefix": "x"}]}"#]);
            let read = format!(r#"{{"a": "x{escape}"}}"#);
            let read_in_array = format!(r#"{{"a": ["x", "x{escape}"]}}"#);
            let key = format!(r#"{{"k{escape}": 1, "a": "x"}}"#);
            let unread = format!(r#"{{"b": "{escape}", "a": "x"}}"#);
            for event in [&read, &read_in_array, &key] {
                assert!(
                    is_syntax(&m.matches(event.as_bytes())),
                    "{validation:?} {event}"
                );
            }
            let result = m.matches(unread.as_bytes());
            match validation {
                Validation::Full => assert!(is_syntax(&result), "{unread}"),
                Validation::Structural => assert_eq!(result, Ok(vec!["r0"]), "{unread}"),
            }
        }
        for pattern in [
            format!(r#"{{"a": ["{escape}"]}}"#),
            format!(r#"{{"a{escape}": ["x"]}}"#),
            format!(r#"{{"a": [{{"wildcard": "x{escape}*"}}]}}"#),
        ] {
            assert!(
                matches!(Pattern::parse(&pattern), Err(PatternError::Syntax(_))),
                "{pattern}"
            );
        }
    }
    for validation in BOTH {
        let m = matcher(validation, &[r#"{"\ud83d\ude00": ["\ud83d\ude00"]}"#]);
        assert_eq!(
            m.matches("{\"\\ud83d\\ude00\": \"😀\"}".as_bytes())
                .unwrap(),
            ["r0"]
        );
        assert_eq!(
            m.matches("{\"😀\": \"\\uD83D\\uDE00\"}".as_bytes())
                .unwrap(),
            ["r0"]
        );
    }
}

/// A raw NUL (or any control character) inside a string is not JSON: refused where it is read,
/// and by Full mode everywhere; a raw NUL in a pattern is a syntax error. The escape `\u0000` is
/// valid, is a character like any other, and matches a pattern holding `\u0000`, in values and
/// in keys.
#[test]
fn nul_bytes() {
    for validation in BOTH {
        let m = matcher(validation, &[r#"{"a": [{"prefix": "x"}]}"#]);
        for event in [
            &b"{\"a\": \"x\0\"}"[..],
            b"{\"a\": [\"x\0\"]}",
            b"{\"a\": \"x\x01\"}",
            b"{\"a\": \"x\x1f\"}",
            b"{\"a\": \"x\n\"}",
        ] {
            assert!(is_syntax(&m.matches(event)), "{validation:?} {event:?}");
        }
        for event in [
            &b"{\"b\": \"\0\", \"a\": \"x\"}"[..],
            b"{\"b\0\": 1, \"a\": \"x\"}",
        ] {
            let result = m.matches(event);
            match validation {
                Validation::Full => assert!(is_syntax(&result)),
                Validation::Structural => assert_eq!(result, Ok(vec!["r0"])),
            }
        }
        // A NUL outside strings is never JSON, even in Structural mode when it precedes the
        // needed field.
        assert!(m.matches(b"{\0\"a\": \"x\"}").is_err());
        assert!(m.matches(b"{\"a\"\0: \"x\"}").is_err());

        let m = matcher(
            validation,
            &[
                r#"{"a": ["x\u0000y"]}"#,
                r#"{"a": [{"prefix": "x\u0000"}]}"#,
                r#"{"a": [{"wildcard": "*\u0000*"}]}"#,
                r#"{"a": [{"equals-ignore-case": "X\u0000Y"}]}"#,
                r#"{"k\u0000": [1]}"#,
                r#"{"a": ["xy"]}"#,
            ],
        );
        assert_eq!(
            m.matches(br#"{"a": "x\u0000y"}"#).unwrap(),
            ["r0", "r1", "r2", "r3"]
        );
        assert_eq!(m.matches(br#"{"a": "xy"}"#).unwrap(), ["r5"]);
        assert_eq!(m.matches(br#"{"k\u0000": 1}"#).unwrap(), ["r4"]);
        assert!(m.matches(br#"{"k": 1}"#).unwrap().is_empty());
    }
    assert!(matches!(
        Pattern::parse("{\"a\": [\"x\0y\"]}"),
        Err(PatternError::Syntax(_))
    ));
    assert!(matches!(
        Pattern::parse("{\"a\0\": [\"x\"]}"),
        Err(PatternError::Syntax(_))
    ));
    let reference = Pattern::parse(r#"{"a": ["x\u0000y"]}"#).unwrap();
    assert!(reference.matches(br#"{"a": "x\u0000y"}"#).unwrap());
    assert!(!reference.matches(br#"{"a": "xy"}"#).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys

/// Full mode: every occurrence of a repeated key is a value of its path, for every operator,
/// `exists: false`, nested objects and arrays, and dotted spellings of the same path; the
/// reference interpreter agrees. Structural mode stops reading once nothing needed can follow,
/// so a repeat after that is not seen (documented).
#[test]
fn duplicate_event_keys_all_count_in_full_mode() {
    let cases: &[(&str, &str, bool)] = &[
        (r#"{"a": ["x"]}"#, r#"{"a": "x", "a": "y"}"#, true),
        (r#"{"a": ["y"]}"#, r#"{"a": "x", "a": "y"}"#, true),
        (r#"{"a": ["y"]}"#, r#"{"a": "y", "a": "x", "a": "z"}"#, true),
        (
            r#"{"a": ["x"], "b": [1]}"#,
            r#"{"a": "x", "b": 1, "a": "y"}"#,
            true,
        ),
        (
            r#"{"a": [{"anything-but": "x"}]}"#,
            r#"{"a": "x", "a": "y"}"#,
            true,
        ),
        (
            r#"{"a": [{"anything-but": ["x", "y"]}]}"#,
            r#"{"a": "x", "a": "y"}"#,
            false,
        ),
        (
            r#"{"a": [{"numeric": [">", 5]}]}"#,
            r#"{"a": 1, "a": 9}"#,
            true,
        ),
        (
            r#"{"a": [{"exists": false}]}"#,
            r#"{"b": 1, "a": null}"#,
            false,
        ),
        (
            r#"{"a": [{"exists": false}]}"#,
            r#"{"a": {}, "a": 1}"#,
            false,
        ),
        (
            r#"{"a": {"b": [1], "c": [2]}}"#,
            r#"{"a": {"b": 1}, "a": {"c": 2}}"#,
            true,
        ),
        (r#"{"a": {"b": [1]}}"#, r#"{"a": 5, "a": {"b": 1}}"#, true),
        (r#"{"a.b": [1]}"#, r#"{"a": {"b": 0}, "a.b": 1}"#, true),
        (r#"{"a": {"b": [1]}}"#, r#"{"a": {"b": 0, "b": 1}}"#, true),
        (
            r#"{"a": [1, 2], "a.c": [3]}"#,
            r#"{"a": [0], "a": {"c": 3}, "a": 2}"#,
            true,
        ),
        // Array consistency across repeats of the array's key: each occurrence is an array of
        // its own, and values from elements of different arrays never conflict (as in
        // event-ruler, where membership is per array).
        (
            r#"{"arr": {"x": [1], "y": [2]}}"#,
            r#"{"arr": [{"x": 1}], "arr": [{"y": 2}]}"#,
            true,
        ),
        (
            r#"{"arr": {"x": [1], "y": [2]}}"#,
            r#"{"arr": [{"x": 1}, {"y": 2}], "arr": [{"x": 0}]}"#,
            false,
        ),
        (
            r#"{"arr": {"x": [1], "y": [2]}}"#,
            r#"{"arr": [{"x": 1}], "arr": [{"x": 1, "y": 2}]}"#,
            true,
        ),
    ];
    let mut wrong = Vec::new();
    for &(pattern, event, expected) in cases {
        let m = matcher(Validation::Full, &[pattern]);
        let got = !m.matches(event.as_bytes()).unwrap().is_empty();
        let oracle = Pattern::parse(pattern)
            .unwrap()
            .matches(event.as_bytes())
            .unwrap();
        if got != expected || oracle != expected {
            wrong.push(format!(
                "{pattern} vs {event}: expected {expected}, matcher {got}, reference {oracle}"
            ));
        }
        // Structural mode reads these without error, whatever it sees.
        let structural = matcher(Validation::Structural, &[pattern]);
        assert!(structural.matches(event.as_bytes()).is_ok());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    let structural = matcher(Validation::Structural, &[r#"{"a": ["y"]}"#]);
    assert!(structural
        .matches(br#"{"a": "x", "a": "y"}"#)
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// Wildcards

fn wildcard_pattern(wildcard: &str) -> String {
    format!(r#"{{"a": [{{"wildcard": "{wildcard}"}}]}}"#)
}

/// Wildcards built to explode an automaton are refused with AWS's reason, and the refusal is
/// quick even for thousands of stars (the complexity search is bounded). Every accepted one is
/// matched against a 1 MB value in one pass (the matcher finds each piece at its leftmost
/// occurrence, with a linear search for long values), matching and not matching.
#[test]
fn wildcards_built_to_explode_are_refused_or_linear() {
    let too_complex = Err(PatternError::TooComplex);
    // `*a` repeated: accepted while few, refused from some count on, and for every count after.
    let mut most_accepted = 0;
    for stars in 1..=40 {
        let wildcard = "*a".repeat(stars);
        match Pattern::parse(&wildcard_pattern(&wildcard)) {
            Ok(_) => {
                assert_eq!(most_accepted, stars - 1, "accepted again after a refusal");
                most_accepted = stars;
            }
            Err(e) => assert_eq!(Err(e), too_complex, "{wildcard}"),
        }
    }
    eprintln!("`*a` repeated: accepted up to {most_accepted} stars");
    assert!((1..=10).contains(&most_accepted), "{most_accepted}");

    let long_star_runs = [
        "*a".repeat(4_000),
        "a*".repeat(4_000),
        (0..4_000)
            .map(|i| format!("{}*", (b'a' + (i % 26) as u8) as char))
            .collect(),
        (0..2_000).map(|i| format!("*x{i}")).collect(),
        "*:*:*:*:*:event-bus/*".to_owned(),
        "*ab*cd*ef*gh*ij*kl*mn*op*qr*st*uv*wx*yz".to_owned(),
    ];
    for wildcard in &long_star_runs {
        let pattern = wildcard_pattern(wildcard);
        assert!(pattern.len() <= MAX_PATTERN_BYTES);
        let (result, took) = timed(|| Pattern::parse(&pattern).map(|_| ()));
        eprintln!(
            "refusing {} stars took {took:?}",
            wildcard.matches('*').count()
        );
        assert_eq!(
            result,
            too_complex,
            "{}",
            &wildcard[..40.min(wildcard.len())]
        );
    }
    // In an anything-but list too.
    let list: Vec<String> = (0..12).map(|i| format!("\"*{i}*\"")).collect();
    let anything_but = format!(
        r#"{{"a": [{{"anything-but": {{"wildcard": [{}]}}}}]}}"#,
        list.join(", ")
    );
    assert_eq!(Pattern::parse(&anything_but).map(|_| ()), too_complex);

    // The most-starred accepted ones, against 1 MB values.
    let accepted = [
        "*a".repeat(most_accepted),
        "a*".repeat(most_accepted),
        "*abcdefghijklmnopqrstuvwxyz*".to_owned(),
        "x*ab*aab*aaab*b".to_owned(),
        "a*b*c*d*e*f".to_owned(),
    ];
    let megabyte = 1 << 20;
    let all_a = "a".repeat(megabyte);
    let almost = format!("{}b", "a".repeat(megabyte - 1));
    let all_b = "b".repeat(megabyte);
    // Near misses of the long piece everywhere: the worst case of a naive substring search.
    let near_misses = "abcdefghijklmnopqrstuvwxy".repeat(megabyte / 25);
    let x_near_misses_b = format!("x{near_misses}b");
    for validation in BOTH {
        for wildcard in &accepted {
            let pattern = wildcard_pattern(wildcard);
            let m = matcher(validation, &[&pattern]);
            let reference = Pattern::parse(&pattern).unwrap();
            for value in [&all_a, &almost, &all_b, &near_misses, &x_near_misses_b] {
                let event = format!(r#"{{"a": "{value}"}}"#);
                let (got, took) = timed(|| !m.matches(event.as_bytes()).unwrap().is_empty());
                eprintln!("{validation:?}: {wildcard} against 1 MB: {got} in {took:?}");
                // The reference checks the same answer (a different, simpler code path).
                assert_eq!(
                    got,
                    reference.matches(event.as_bytes()).unwrap(),
                    "{wildcard}"
                );
            }
        }
    }
}

/// 10,000 realistic wildcard rules on one field (each is its own pattern, so the complexity limit
/// applies to each alone): all accepted, and each event matches exactly the rules the reference
/// says it matches. The time per event is printed. Every one of these rules shares the literal
/// start `user-`; they used to be tried one by one on every `user-` value (120 µs per event for
/// 10,000), and now hang off their distinct ends (about 0.2 µs per event at 1,000 to 40,000).
#[test]
fn ten_thousand_wildcard_rules() {
    let n = if cfg!(debug_assertions) {
        2_000
    } else {
        10_000
    };
    let rule = |i: usize| format!(r#"{{"detail": {{"name": [{{"wildcard": "user-*-{i}"}}]}}}}"#);
    for validation in BOTH {
        let mut m = Matcher::builder().validation(validation).build();
        let ((), took) = timed(|| {
            for i in 0..n {
                m.add_rule(&format!("w{i}"), &rule(i)).unwrap();
            }
        });
        eprintln!("{validation:?}: adding {n} wildcard rules took {took:?}");
        assert_eq!(m.len(), n);
        let events = [
            (
                r#"{"detail": {"name": "user-alice-42"}}"#.to_owned(),
                vec!["w42".to_owned()],
            ),
            (
                format!(r#"{{"detail": {{"name": "user-x-{}"}}}}"#, n - 1),
                vec![format!("w{}", n - 1)],
            ),
            (
                r#"{"detail": {"name": "user--7"}}"#.to_owned(),
                vec!["w7".to_owned()],
            ),
            (r#"{"detail": {"name": "user-7"}}"#.to_owned(), vec![]),
            (
                r#"{"detail": {"name": "user-a-b-c-1-2-3"}}"#.to_owned(),
                vec!["w3".to_owned()],
            ),
            (
                r#"{"detail": {"name": ["user-a-1", "user-b-10", "nobody-2"]}}"#.to_owned(),
                vec!["w1".to_owned(), "w10".to_owned()],
            ),
            (
                format!(
                    r#"{{"detail": {{"name": "user-{}-5"}}}}"#,
                    "-".repeat(10_000)
                ),
                vec!["w5".to_owned()],
            ),
        ];
        let rounds = if cfg!(debug_assertions) { 10 } else { 1_000 };
        let mut total = Duration::ZERO;
        for (event, expected) in &events {
            let (got, took) = timed(|| {
                let mut got = Vec::new();
                for _ in 0..rounds {
                    got = m.matches(event.as_bytes()).unwrap();
                }
                got
            });
            total += took;
            assert_eq!(
                &got,
                expected,
                "{validation:?}: {}",
                &event[..event.len().min(60)]
            );
        }
        eprintln!(
            "{validation:?}: matching against {n} wildcard rules: {:?} per event",
            total / (rounds * events.len()) as u32
        );
    }
    // Spot-check against the reference.
    let event = br#"{"detail": {"name": ["user-a-1", "user-b-10", "nobody-2"]}}"#;
    for i in [0, 1, 2, 10, 100] {
        let expected = i == 1 || i == 10;
        assert_eq!(
            Pattern::parse(&rule(i)).unwrap().matches(event).unwrap(),
            expected
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Big events

/// One flat array of a million numbers (about 7 MB) against numeric rules, in both modes.
#[test]
fn a_million_numbers_in_one_array() {
    let n: usize = if cfg!(debug_assertions) {
        200_000
    } else {
        1_000_000
    };
    let mut event = String::with_capacity(8 * n);
    event.push_str(r#"{"source": "x", "values": ["#);
    for i in 0..n {
        if i > 0 {
            event.push(',');
        }
        event.push_str(&i.to_string());
    }
    event.push_str("]}");
    assert!(event.len() <= MAX_EVENT_BYTES);
    let last = (n - 1) as f64;
    let rules = [
        format!(r#"{{"values": [{{"numeric": [">", {}]}}]}}"#, last - 0.5),
        r#"{"values": [{"numeric": ["<", 0]}]}"#.to_owned(),
        r#"{"values": [{"numeric": [">", 1e300]}], "source": ["x"]}"#.to_owned(),
        format!(r#"{{"values": [{}]}}"#, n / 2),
        r#"{"values": [{"anything-but": [0, 1, 2]}]}"#.to_owned(),
        r#"{"values": [{"exists": false}]}"#.to_owned(),
    ];
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    for validation in BOTH {
        let m = matcher(validation, &rules);
        let (got, took) = timed(|| m.matches(event.as_bytes()).unwrap());
        eprintln!(
            "{validation:?}: {n} numbers ({} bytes) against {} numeric rules: {took:?}",
            event.len(),
            rules.len()
        );
        assert_eq!(got, ["r0", "r3", "r4"], "{validation:?}");
    }
}

/// `{"arr": [{"x": 1, "y": 1}, ... n]}`, every element with `y` (the first `with_y` of them).
fn array_of_xy(n: usize, with_y: usize, extra: &str) -> String {
    let mut event = String::from(r#"{"arr": ["#);
    for i in 0..n {
        if i > 0 {
            event.push(',');
        }
        event.push_str(if i < with_y {
            r#"{"x": 1, "y": 1}"#
        } else {
            r#"{"x": 1}"#
        });
    }
    event.push(']');
    event.push_str(extra);
    event.push('}');
    event
}

/// `exists: false` inside an array of objects, beside one positive condition and beside a second
/// array's condition. Since the bottom-up consistency pass handles `exists: false` (sub-rules of
/// at most 64 conditions), both grow linearly (release timings are printed; about 1.5 ms for
/// 8,000 elements here). The answers are asserted.
#[test]
fn exists_false_in_long_arrays_of_objects() {
    let sizes: &[usize] = if cfg!(debug_assertions) {
        &[250, 500, 1_000]
    } else {
        &[1_000, 2_000, 4_000, 8_000, 32_000]
    };
    let rule = r#"{"arr": {"x": [1], "y": [{"exists": false}]}}"#;
    for validation in BOTH {
        let m = matcher(validation, &[rule]);
        for &n in sizes {
            let none = array_of_xy(n, n, "");
            let (got, took) = timed(|| m.matches(none.as_bytes()).unwrap());
            assert!(got.is_empty());
            let last_lacks_y = array_of_xy(n, n - 1, "");
            let (got, took_match) = timed(|| m.matches(last_lacks_y.as_bytes()).unwrap());
            assert_eq!(got, ["r0"]);
            eprintln!(
                "{validation:?}: exists:false, {n} elements: no match in {took:?}, match (last element) in {took_match:?}"
            );
        }
    }
    // A second array of objects in the same rule.
    let sizes: &[usize] = if cfg!(debug_assertions) {
        &[50, 100]
    } else {
        &[100, 400, 1_600, 6_400]
    };
    let rule = r#"{"arr": {"x": [1], "y": [{"exists": false}]}, "b": {"z": [1]}}"#;
    let m = matcher(Validation::Full, &[rule]);
    let reference = Pattern::parse(rule).unwrap();
    for &n in sizes {
        let zs = vec![r#"{"z": 1}"#; n].join(",");
        let event = array_of_xy(n, n, &format!(r#", "b": [{zs}]"#));
        let (got, took) = timed(|| m.matches(event.as_bytes()).unwrap());
        assert!(got.is_empty());
        eprintln!("exists:false beside a second array, {n} x {n} elements: no match in {took:?}");
        if n <= 100 {
            assert!(!reference.matches(event.as_bytes()).unwrap());
        }
        let event = array_of_xy(n, n - 1, &format!(r#", "b": [{zs}]"#));
        assert_eq!(m.matches(event.as_bytes()).unwrap(), ["r0"]);
    }
}

/// Sub-rules of more than 64 conditions inside an array of objects. Before 86b4491 these went
/// through a backtracking search, and an event could make it branch at every condition whose
/// field also has a value outside the array (a dotted key, `"arr.f0": 1`, is the path `arr.f0`
/// too, so no duplicate key is needed) and fail only at the end (`g` and `h` in different
/// elements): about 2^k picks for k such fields (release: k = 16: 1.4 ms, 18: 5.9 ms, 20: 23 ms;
/// k = 40, a 1.3 KB event, would have taken hours). Now the bottom-up consistency pass covers
/// all 256 conditions a sub-rule may have. The answers are asserted, at every k up to all
/// conditions, for 66 and for 256 conditions; the times are printed.
#[test]
fn wide_rules_in_arrays_of_objects_are_decided_without_search() {
    for conds in [66, MAX_FIELDS_PER_RULE] {
        for k in [8, 12, 16, 20, 40, conds - 2] {
            let (rule, no_match, matching) = wide_rule_case(conds, k);
            let m = matcher(Validation::Full, &[&rule]);
            let (got, took) = timed(|| m.matches(no_match.as_bytes()).unwrap());
            assert!(got.is_empty());
            eprintln!(
                "{conds}-condition rule, {k} branching fields, {} byte event: no match in {took:?}",
                no_match.len()
            );
            assert_eq!(m.matches(matching.as_bytes()).unwrap(), ["r0"]);
            // The reference interpreter still searches: only small k.
            if k <= 8 {
                let reference = Pattern::parse(&rule).unwrap();
                assert!(!reference.matches(no_match.as_bytes()).unwrap());
                assert!(reference.matches(matching.as_bytes()).unwrap());
            }
        }
    }
}

/// A rule of `conds` conditions on `arr.*`, an event where `k` of them have a value both outside
/// the array (dotted key) and in element 0, the rest only outside, `g` in element 0 and `h` in
/// element 1 (no consistent pick), and the same event with `h` moved into element 0 (a match).
fn wide_rule_case(conds: usize, k: usize) -> (String, String, String) {
    let (mut rule, mut outside, mut element) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..conds - 2 {
        rule.push(format!(r#""f{i}": [1]"#));
        outside.push(format!(r#""arr.f{i}": 1"#));
        if i < k {
            element.push(format!(r#""f{i}": 1"#));
        }
    }
    rule.push(r#""g": [1], "h": [1]"#.to_owned());
    let rule = format!(r#"{{"arr": {{{}}}}}"#, rule.join(", "));
    let outside = outside.join(", ");
    let element = element.join(", ");
    let no_match = format!(r#"{{{outside}, "arr": [{{{element}, "g": 1}}, {{"h": 1}}]}}"#);
    let matching = format!(r#"{{{outside}, "arr": [{{{element}, "g": 1, "h": 1}}, {{"h": 1}}]}}"#);
    (rule, no_match, matching)
}

// ---------------------------------------------------------------------------------------------
// Concurrency, small enough for Miri

/// A reduced `concurrency.rs` for Miri (`cargo +nightly miri test -p evmatch --test adversarial
/// -- shared_matcher`): one writer adds and deletes rules while two readers match through the
/// `SharedMatcher` and through held snapshots. Each change keeps the rule set in one of a few
/// known states, so every answer must be one of those states' answers, and a held snapshot must
/// keep answering the same. Under Miri this checks the publish/replay protocol and arc-swap for
/// data races and use-after-free on every interleaving Miri's scheduler tries.
#[test]
fn shared_matcher_small_race_for_miri() {
    use evmatch::SharedMatcher;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    const EVENT: &[u8] = br#"{"kind": "order", "n": 7}"#;
    let shared = Arc::new(SharedMatcher::new());
    shared.add_rule("base", r#"{"kind": ["order"]}"#).unwrap();
    // The states: {base}, {base, big}, {base, big, prefix}; answers in name order.
    let allowed: [&[&str]; 3] = [&["base"], &["base", "big"], &["base", "big", "prefix"]];
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (shared, done) = (Arc::clone(&shared), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut reads = 0;
                while !done.load(Ordering::Acquire) || reads < 3 {
                    let got = shared.matches(EVENT).unwrap();
                    let got: Vec<&str> = got.iter().map(String::as_str).collect();
                    assert!(allowed.contains(&got.as_slice()), "{got:?}");
                    let snapshot = shared.snapshot();
                    let first = snapshot.matches(EVENT).unwrap();
                    std::thread::yield_now();
                    assert_eq!(snapshot.matches(EVENT).unwrap(), first);
                    reads += 1;
                }
            })
        })
        .collect();
    let rounds = if cfg!(miri) { 4 } else { 200 };
    for _ in 0..rounds {
        shared
            .add_rule("big", r#"{"n": [{"numeric": [">", 5]}]}"#)
            .unwrap();
        shared
            .add_rule("prefix", r#"{"kind": [{"prefix": "ord"}]}"#)
            .unwrap();
        assert!(shared.delete_rule("prefix"));
        assert!(shared.delete_rule("big"));
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        reader.join().unwrap();
    }
    assert_eq!(shared.matches(EVENT).unwrap(), ["base"]);
}
