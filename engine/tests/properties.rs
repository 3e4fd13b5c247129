//! Property tests of the pattern parser: it never panics, and its canonical output parses back
//! into the same pattern.

use evmatch::Pattern;
use proptest::prelude::*;

/// A JSON string literal.
fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn short_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[abAB]{1,3}",
        Just("10.0.0.1".to_owned()),
        Just("010.000.000.001".to_owned()),
        Just("10.0.0.0001".to_owned()),
        Just("::1".to_owned()),
        Just("Straße".to_owned()),
        Just("ΣΑΣ".to_owned()),
        Just("😀x".to_owned()),
    ]
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("300".to_owned()),
        Just("3.0e2".to_owned()),
        Just("1e400".to_owned()),
        Just("5e-324".to_owned()),
        Just("-1.7976931348623157e308".to_owned()),
        Just("12345678901234567890".to_owned()),
        (-1000i64..1000).prop_map(|n| n.to_string()),
        (-1.0e6f64..1.0e6).prop_map(|x| format!("{x:?}")),
    ]
}

fn wildcard_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("*"),
            Just("\\\\*"),
            Just("\\\\\\\\"),
            Just("\\\\x")
        ],
        0..5,
    )
    .prop_map(|parts| parts.concat())
}

fn string_list() -> impl Strategy<Value = String> {
    prop_oneof![
        short_string().prop_map(|s| quoted(&s)),
        proptest::collection::vec(short_string(), 0..3).prop_map(|v| {
            format!(
                "[{}]",
                v.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(",")
            )
        }),
    ]
}

/// One element of a field's array: a literal or an operator object (valid or not).
fn matcher() -> impl Strategy<Value = String> {
    prop_oneof![
        short_string().prop_map(|s| quoted(&s)),
        number_text(),
        Just("true".to_owned()),
        Just("null".to_owned()),
        short_string().prop_map(|s| format!("{{\"prefix\":{}}}", quoted(&s))),
        short_string()
            .prop_map(|s| format!("{{\"suffix\":{{\"equals-ignore-case\":{}}}}}", quoted(&s))),
        short_string().prop_map(|s| format!("{{\"equals-ignore-case\":{}}}", quoted(&s))),
        short_string().prop_map(|s| format!("{{\"exactly\":{}}}", quoted(&s))),
        wildcard_text().prop_map(|s| format!("{{\"wildcard\":\"{s}\"}}")),
        string_list().prop_map(|s| format!("{{\"anything-but\":{s}}}")),
        number_text().prop_map(|n| format!("{{\"anything-but\":[{n}]}}")),
        (
            prop_oneof![Just("prefix"), Just("suffix"), Just("equals-ignore-case")],
            string_list()
        )
            .prop_map(|(op, s)| format!("{{\"anything-but\":{{\"{op}\":{s}}}}}")),
        wildcard_text().prop_map(|s| format!("{{\"anything-but\":{{\"wildcard\":\"{s}\"}}}}")),
        (
            prop_oneof![Just("="), Just("<"), Just(">="), Just(">")],
            number_text()
        )
            .prop_map(|(op, n)| format!("{{\"numeric\":[\"{op}\",{n}]}}")),
        (number_text(), number_text())
            .prop_map(|(a, b)| format!("{{\"numeric\":[\">\",{a},\"<=\",{b}]}}")),
        any::<bool>().prop_map(|b| format!("{{\"exists\":{b}}}")),
        (
            prop_oneof![
                Just("10.0.0.0"),
                Just("10.1.2.3"),
                Just("010.001.002.003"),
                Just("0010.0.0.0"),
                Just("10.0.0.256"),
                Just("2001:db8::"),
                Just("2001:db8:abcd:1234::99"),
                Just("x")
            ],
            0u32..140
        )
            .prop_map(|(ip, mask)| format!("{{\"cidr\":\"{ip}/{mask}\"}}")),
    ]
}

fn field_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just("c"), Just("a.b"), Just("x-y")]
}

/// Pattern text: nested objects, leaf arrays and `$or`.
fn pattern_text() -> impl Strategy<Value = String> {
    let leaf = (field_name(), proptest::collection::vec(matcher(), 1..4))
        .prop_map(|(name, ms)| format!("\"{name}\":[{}]", ms.join(",")));
    let member = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (field_name(), proptest::collection::vec(inner.clone(), 1..3))
                .prop_map(|(name, ms)| format!("\"{name}\":{{{}}}", ms.join(","))),
            proptest::collection::vec(proptest::collection::vec(inner, 1..3), 2..4).prop_map(
                |branches| {
                    let objects: Vec<String> = branches
                        .iter()
                        .map(|b| format!("{{{}}}", b.join(",")))
                        .collect();
                    format!("\"$or\":[{}]", objects.join(","))
                }
            ),
        ]
    });
    proptest::collection::vec(member, 1..4).prop_map(|ms| format!("{{{}}}", ms.join(",")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn canonical_text_parses_back_to_the_same_pattern(text in pattern_text()) {
        if let Ok(pattern) = Pattern::parse(&text) {
            let canonical = pattern.to_string();
            let again = Pattern::parse(&canonical);
            prop_assert!(again.is_ok(), "{} → {} → {:?}", text, canonical, again);
            let again = again.unwrap();
            prop_assert_eq!(&again, &pattern, "{} → {}", text, canonical);
            prop_assert_eq!(again.to_string(), canonical);
        }
    }

    #[test]
    fn parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Pattern::parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parser_never_panics_on_near_patterns(text in pattern_text(), cut in 0usize..200, junk in "[\\[\\]{}\",:0-9a-z*\\\\-]{0,4}") {
        // Truncate and splice to reach every error path, not only valid input.
        let mut cut_at = cut.min(text.len());
        while !text.is_char_boundary(cut_at) {
            cut_at -= 1;
        }
        let spliced = format!("{}{}{}", &text[..cut_at], junk, &text[cut_at..]);
        let _ = Pattern::parse(&spliced);
    }
}
