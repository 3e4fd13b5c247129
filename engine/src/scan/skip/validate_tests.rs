//! The block validator against the byte-by-byte one and `json::parse`: it may leave a container
//! to the byte-by-byte validator, but never accepts what they refuse, never ends a container
//! elsewhere, and on valid documents (of modest nesting) always answers.

use super::full::skip_container_bytewise;
use super::tests::{
    document, edit, mutated, number, string, structural_noise, value, ws, ALPHABET,
};
#[cfg(not(target_arch = "wasm32"))]
use super::validate::validate_container;
use super::validate::{validate_blocks, Lanes};
use super::MAX_DEPTH;
use crate::json;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Every block validator this CPU runs: the portable one, and the AVX2 and AVX-512 ones when
/// available.
fn validators(bytes: &[u8], start: usize, room: usize) -> Vec<Option<usize>> {
    let mut answers = vec![validate_blocks::<Lanes>(bytes, start, room)];
    #[cfg(target_arch = "x86_64")]
    answers.extend(super::avx2::validate_container(bytes, start, room));
    #[cfg(target_arch = "x86_64")]
    answers.extend(super::avx512::validate_container(bytes, start, room));
    // On wasm32 the entry point leaves everything to the byte-by-byte validator (size budget).
    #[cfg(not(target_arch = "wasm32"))]
    answers.push(validate_container(bytes, start, room));
    answers
}

/// Checks the block validators on the container at `start`; returns their common answer.
fn check(bytes: &[u8], start: usize, room: usize) -> Result<Option<usize>, TestCaseError> {
    let answers = validators(bytes, start, room);
    let first = answers[0];
    for answer in &answers {
        prop_assert_eq!(
            *answer,
            first,
            "validators disagree on {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    if let Some(end) = first {
        prop_assert_eq!(
            skip_container_bytewise(bytes, start, room),
            Ok(end),
            "accepted {:?}",
            String::from_utf8_lossy(bytes)
        );
        if start == 0 && room == MAX_DEPTH {
            prop_assert!(json::parse(&bytes[..end]).is_ok());
        }
    }
    Ok(first)
}

/// The container at the start of `bytes` (after whitespace), if there is one.
fn container_at(bytes: &[u8]) -> Option<usize> {
    let start = super::skip_whitespace(bytes, 0);
    matches!(bytes.get(start), Some(b'{' | b'[')).then_some(start)
}

/// A compact document: no whitespace outside strings (the common case on the wire).
fn compact() -> impl Strategy<Value = String> {
    value()
        .prop_filter("container", |v| v.starts_with(['{', '[']))
        .prop_map(|v| without_whitespace(&v))
}

/// `text` without its whitespace outside strings.
fn without_whitespace(text: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        out.push(c);
    }
    out
}

fn depth(bytes: &[u8]) -> usize {
    // Upper bound on nesting (brackets in strings counted too): enough to decide whether the
    // block validator must answer.
    let (mut nest, mut max) = (0usize, 0usize);
    for &b in bytes {
        match b {
            b'{' | b'[' => {
                nest += 1;
                max = max.max(nest);
            }
            b'}' | b']' => nest = nest.saturating_sub(1),
            _ => {}
        }
    }
    max
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Valid documents: the block validator answers, with the byte-by-byte validator's end.
    #[test]
    fn answers_on_valid_documents(doc in document()) {
        let bytes = doc.as_bytes();
        if let Some(start) = container_at(bytes) {
            let answer = check(bytes, start, MAX_DEPTH)?;
            if depth(bytes) <= 64 {
                prop_assert!(answer.is_some(), "no answer on {:?}", doc);
            }
        }
    }

    #[test]
    fn answers_on_compact_documents(doc in compact(), tail in "[,}\\]x \"]{0,3}") {
        let text = doc.clone() + &tail;
        let answer = check(text.as_bytes(), 0, MAX_DEPTH)?;
        if depth(doc.as_bytes()) <= 64 {
            prop_assert_eq!(answer, Some(doc.len()));
        }
    }

    #[test]
    fn never_accepts_corrupted_documents(doc in document(), edits in vec(edit(), 1..4)) {
        let bytes = mutated(doc, edits);
        if let Some(start) = container_at(&bytes) {
            check(&bytes, start, MAX_DEPTH)?;
        }
    }

    #[test]
    fn never_accepts_corrupted_compact_documents(doc in compact(), edits in vec(edit(), 1..3)) {
        let bytes = mutated(doc, edits);
        if let Some(start) = container_at(&bytes) {
            check(&bytes, start, MAX_DEPTH)?;
        }
    }

    #[test]
    fn never_accepts_json_alphabet_soup(
        body in vec(select(ALPHABET.to_vec()), 0..200),
        open in prop_oneof![Just(b'{'), Just(b'[')],
        room in prop_oneof![1usize..4, Just(MAX_DEPTH)],
    ) {
        let mut bytes = vec![open];
        bytes.extend(body);
        check(&bytes, 0, room)?;
    }

    #[test]
    fn never_accepts_structural_noise(noise in structural_noise(), open in prop_oneof![Just(b'{'), Just(b'[')]) {
        let mut bytes = vec![open];
        bytes.extend(noise);
        check(&bytes, 0, MAX_DEPTH)?;
    }

    /// Arrays and objects of numbers and strings, the shapes events are made of, at every
    /// alignment against the 64-byte blocks.
    #[test]
    fn numbers_and_strings_at_every_alignment(
        lead in 0usize..64,
        items in vec(prop_oneof![number(), string(), Just("true".to_owned()), Just("null".to_owned())], 0..20),
        object in any::<bool>(),
        space in ws(),
    ) {
        let body = if object {
            let members: Vec<String> = items.iter().enumerate().map(|(i, v)| format!("\"k{i}\":{space}{v}")).collect();
            format!("{{{}}}", members.join(","))
        } else {
            format!("[{}]", items.join(&format!(",{space}")))
        };
        let text = " ".repeat(lead) + &body + ",\"next\":1";
        prop_assert_eq!(check(text.as_bytes(), lead, MAX_DEPTH)?, Some(lead + body.len()));
    }

    /// Runs of number bytes, well formed or not (`1.2.3`, `-01`, `1e+`, `--1`, `.5`, `1e5.0`,
    /// `0x1`, ...), at every alignment: the block validator's number masks must refuse exactly
    /// what the number grammar refuses (`check` compares with the byte-by-byte validator and
    /// `json::parse`), and accept every well-formed one.
    #[test]
    fn number_shaped_runs_at_every_alignment(
        lead in 0usize..64,
        items in vec(prop_oneof![
            3 => number(),
            2 => "[-+.eE0-9]{1,8}",
            1 => "-?[0-9]{1,3}[.eE+-]{0,2}[0-9]{0,3}[.eE+-]{0,2}[0-9]{0,2}",
            1 => "[0-9tfnrulsaex.-]{1,6}",
        ], 1..12),
        object in any::<bool>(),
    ) {
        let body = if object {
            let members: Vec<String> = items.iter().enumerate().map(|(i, v)| format!("\"k{i}\":{v}")).collect();
            format!("{{{}}}", members.join(","))
        } else {
            format!("[{}]", items.join(","))
        };
        let text = " ".repeat(lead) + &body;
        let valid = json::parse(body.as_bytes()).is_ok();
        let answer = check(text.as_bytes(), lead, MAX_DEPTH)?;
        if valid {
            prop_assert_eq!(answer, Some(lead + body.len()), "refused {:?}", body);
        } else {
            prop_assert_eq!(answer, None, "accepted {:?}", body);
        }
    }
}

#[test]
fn hand_picked() {
    let valid: &[&str] = &[
        "{}",
        "[]",
        "[[]]",
        "{\"a\":{}}",
        "[1,-0.5e+3,true,false,null,\"x\"]",
        "{\"\":\"\"}",
        "{ \"a\" : [ 1 , { } ] }",
        "[\"\\u00e9\\uD83D\\uDE00\\\\\\\"\"]",
        "[\"é😀\"]",
        "{\"a\":1,\"b\":[{\"c\":\"}\"}]}",
        "[\n\t1\r\n]",
    ];
    for text in valid {
        let answers = validators(text.as_bytes(), 0, MAX_DEPTH);
        assert!(
            answers.iter().all(|a| *a == Some(text.len())),
            "{text}: {answers:?}"
        );
    }
    let invalid: &[&str] = &[
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "[\"a\":1]",
        "{\"a\":1:2}",
        "[}",
        "{]",
        "[01]",
        "[1.]",
        "[-]",
        "[tru]",
        "[truex]",
        "[1\"a\"]",
        "[\"a\"1]",
        "[\"\\x\"]",
        "[\"\\uD800\"]",
        "[\"\u{1}\"]",
        "[\u{1}]",
        "[\"\\uD800\\u0041\"]",
        "{1:2}",
        "{\"a\" 1}",
        "[\"\\\"]",
        "[\"a\"\"b\"]",
        "{\"a\":1,2}",
        "{,}",
        "[[1]2]",
        "{\"a\":{}\"b\":1}",
    ];
    for text in invalid {
        let answers = validators(text.as_bytes(), 0, MAX_DEPTH);
        assert!(
            skip_container_bytewise(text.as_bytes(), 0, MAX_DEPTH).is_err(),
            "{text}"
        );
        assert!(answers.iter().all(|a| a.is_none()), "{text}: {answers:?}");
    }
    let bad_utf8 = b"[\"\xff\"]";
    assert!(validators(bad_utf8, 0, MAX_DEPTH)
        .iter()
        .all(|a| a.is_none()));
}
