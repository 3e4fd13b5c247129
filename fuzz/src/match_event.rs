//! Target `match_event`: arbitrary bytes as an event, against a fixed rule set.

use std::sync::OnceLock;

use evmatch::{Matcher, Pattern, Validation};
use serde_json::Value;

use crate::check::{agree, reference, show, skip_known};

/// The fixed rule set (name, pattern): every operator and form, `$or` (nested, beside fields),
/// nested objects and dotted paths, fields from inside arrays of objects, `exists: false`, and
/// a name carrying two patterns. The keys are the ones corpus and example events use. The
/// bundled `examples/rules.json` rules are added to these.
pub const RULES: &[(&str, &str)] = &[
    ("exact-string", r#"{"a": ["x"]}"#),
    ("exact-mixed", r#"{"a": ["abc", "y", 300, true, null, ""]}"#),
    ("exact-number-spelling", r#"{"a": [3.0e2, 0.1, -0]}"#),
    (
        "exact-big-number",
        r#"{"a": [1e400, 12345678901234567890]}"#,
    ),
    ("exact-false", r#"{"b": [false]}"#),
    (
        "exact-ip",
        r#"{"a": ["10.0.0.1", "2001:db8::1"], "b": [{"exists": true}]}"#,
    ),
    ("exactly-ip-text", r#"{"ip": [{"exactly": "10.0.0.1"}]}"#),
    ("prefix", r#"{"a": [{"prefix": "ab"}]}"#),
    ("prefix-empty", r#"{"b": [{"prefix": ""}]}"#),
    ("suffix", r#"{"a": [{"suffix": ".png"}, {"suffix": "y"}]}"#),
    (
        "prefix-ignore-case",
        r#"{"a": [{"prefix": {"equals-ignore-case": "Straß"}}]}"#,
    ),
    (
        "suffix-ignore-case",
        r#"{"a": [{"suffix": {"equals-ignore-case": "ΣΑΣ"}}]}"#,
    ),
    (
        "equals-ignore-case",
        r#"{"a": [{"equals-ignore-case": "ABC"}, {"equals-ignore-case": "é😀"}]}"#,
    ),
    ("wildcard", r#"{"a": [{"wildcard": "a*c"}]}"#),
    (
        "wildcard-escapes",
        r#"{"a": [{"wildcard": "*\\**"}, {"wildcard": "x\\\\*"}]}"#,
    ),
    (
        "wildcard-arn",
        r#"{"resources": [{"wildcard": "arn:aws:*:bucket/*"}]}"#,
    ),
    ("anything-but-string", r#"{"a": [{"anything-but": "abc"}]}"#),
    (
        "anything-but-strings",
        r#"{"a": [{"anything-but": ["x", "y", "10.0.0.1"]}]}"#,
    ),
    ("anything-but-number", r#"{"b": [{"anything-but": 300}]}"#),
    (
        "anything-but-numbers",
        r#"{"b": [{"anything-but": [0, 1.5, -0.0, 3e2]}]}"#,
    ),
    (
        "anything-but-prefix",
        r#"{"a": [{"anything-but": {"prefix": "a"}}]}"#,
    ),
    (
        "anything-but-suffixes",
        r#"{"a": [{"anything-but": {"suffix": ["c", "z"]}}]}"#,
    ),
    (
        "anything-but-ignore-case",
        r#"{"a": [{"anything-but": {"equals-ignore-case": ["X", "σ"]}}]}"#,
    ),
    (
        "anything-but-wildcard",
        r#"{"a": [{"anything-but": {"wildcard": ["*b*", "x*"]}}]}"#,
    ),
    (
        "anything-but-beside-exact",
        r#"{"a": [{"anything-but": "abc"}, "abc"], "b": [300]}"#,
    ),
    (
        "numeric-range",
        r#"{"b": [{"numeric": [">", 0, "<=", 300]}]}"#,
    ),
    (
        "numeric-equals",
        r#"{"b": [{"numeric": ["=", 0.1]}, {"numeric": ["=", -0]}]}"#,
    ),
    (
        "numeric-extremes",
        r#"{"b": [{"numeric": [">=", 1.7976931348623157e308]}, {"numeric": ["<", -1e308]}]}"#,
    ),
    (
        "numeric-tiny",
        r#"{"a": [{"numeric": [">", 0, "<", 5e-324]}, {"numeric": ["=", 5e-324]}]}"#,
    ),
    ("exists", r#"{"a": [{"exists": true}]}"#),
    ("not-exists", r#"{"c": [{"exists": false}]}"#),
    (
        "not-exists-beside",
        r#"{"a": ["x"], "b": [{"exists": false}]}"#,
    ),
    ("cidr-v4", r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#),
    ("cidr-v4-offset", r#"{"a": [{"cidr": "10.0.0.5/8"}]}"#),
    (
        "ip-leading-zeros",
        r#"{"ip": ["010.000.000.001", {"cidr": "172.016.005.009/12"}]}"#,
    ),
    (
        "cidr-v6",
        r#"{"ip": [{"cidr": "2001:db8::/32"}, {"cidr": "::/0"}]}"#,
    ),
    ("nested", r#"{"a": {"b": ["x", {"prefix": "y"}]}}"#),
    ("dotted", r#"{"a.b": [{"exists": true}], "c": [null]}"#),
    ("array-objects", r#"{"a": {"b": ["x"], "c": [1]}}"#),
    (
        "array-objects-not-exists",
        r#"{"a": {"b": ["x"], "d": [{"exists": false}]}}"#,
    ),
    (
        "deep",
        r#"{"a": {"b": {"c": [{"numeric": [">", 0]}, "x"]}}}"#,
    ),
    (
        "employees",
        r#"{"employees": {"first": ["Anna"], "last": [{"prefix": "Sm"}]}}"#,
    ),
    (
        "objects-o",
        r#"{"o": {"a": ["x"], "b": [{"anything-but": "y"}]}}"#,
    ),
    (
        "or",
        r#"{"$or": [{"a": ["x"]}, {"b": [{"numeric": [">", 10]}]}]}"#,
    ),
    (
        "or-nested",
        r#"{"c": [{"exists": false}], "$or": [{"a": [{"prefix": "a"}]}, {"$or": [{"b": [null]}, {"a": {"b": [{"exists": true}]}}]}]}"#,
    ),
    (
        "or-inside-object",
        r#"{"a": {"$or": [{"b": ["x"]}, {"c": [{"suffix": "z"}]}]}}"#,
    ),
    ("empty-key", r#"{"": ["x"]}"#),
    (
        "unicode-key",
        r#"{"é": [{"exists": true}], "a": [{"anything-but": "x"}]}"#,
    ),
    (
        "detail-state",
        r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}}"#,
    ),
    ("two-patterns", r#"{"a": ["y"]}"#),
    ("two-patterns", r#"{"b": [{"numeric": ["<", 0]}]}"#),
];

/// The bundled example rules (one JSON object of `"name": pattern`).
const EXAMPLE_RULES: &str = include_str!("../../examples/rules.json");

struct Setup {
    full: Matcher,
    structural: Matcher,
    rules: Vec<(String, Pattern)>,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mut texts: Vec<(String, String)> = RULES
            .iter()
            .map(|&(name, text)| (name.to_owned(), text.to_owned()))
            .collect();
        let examples: serde_json::Map<String, Value> =
            serde_json::from_str(EXAMPLE_RULES).expect("examples/rules.json is a JSON object");
        for (name, pattern) in examples {
            texts.push((format!("examples/{name}"), pattern.to_string()));
        }
        let mut full = Matcher::new();
        let mut structural = Matcher::builder()
            .validation(Validation::Structural)
            .build();
        let mut rules = Vec::new();
        for (name, text) in texts {
            let pattern =
                Pattern::parse(&text).unwrap_or_else(|e| panic!("rule {name} ({text}): {e}"));
            full.add_rule(&name, &text).expect("parses");
            structural.add_pattern(&name, &pattern);
            rules.push((name, pattern));
        }
        Setup {
            full,
            structural,
            rules,
        }
    })
}

/// Bytes as an event, against the fixed rule set. Must never panic. `Validation::Full` gives
/// exactly the reference's answer (names and their order, or a refusal). `Validation::Structural`
/// is compared where it promises the reference's answer: on the event as serde_json writes it
/// back (no duplicate keys, valid JSON), when no key holds a dot. `matches_value` agrees too.
pub fn match_event(data: &[u8]) {
    let setup = setup();
    if skip_known(&[data]) {
        return;
    }
    let want = reference(&setup.rules, data);
    let got = setup.full.matches(data);
    if let Err(e) = agree(&got, &want) {
        panic!("Validation::Full: {e}\n event: {}", show(data));
    }
    // Structural mode may answer anything for broken events, but must not panic.
    let _ = setup.structural.matches(data);

    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let clean = serde_json::to_vec(&value).expect("a Value serialises");
    let want = reference(&setup.rules, &clean);
    for (mode, got) in [
        ("Validation::Full", setup.full.matches(&clean)),
        ("matches_value", setup.full.matches_value(&value)),
    ] {
        if let Err(e) = agree(&got, &want) {
            panic!(
                "{mode}, on the event as serde_json writes it: {e}\n event: {}\n as written: {}",
                show(data),
                show(&clean)
            );
        }
    }
    if !has_dotted_key(&value) {
        let got = setup.structural.matches(&clean);
        if let Err(e) = agree(&got, &want) {
            panic!(
                "Validation::Structural, on a clean event: {e}\n event: {}\n as written: {}",
                show(data),
                show(&clean)
            );
        }
    }
}

fn has_dotted_key(value: &Value) -> bool {
    match value {
        Value::Object(members) => members
            .iter()
            .any(|(key, value)| key.contains('.') || has_dotted_key(value)),
        Value::Array(elements) => elements.iter().any(has_dotted_key),
        _ => false,
    }
}
