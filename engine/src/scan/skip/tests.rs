//! The skipper against `json::parse` (Full mode) and between its scalar and vector paths.

use super::full::{
    number_in_window, scan_number_bytewise, skip_digits, skip_digits_swar, string_full,
};
use super::structural::skip_container_scalar;
use super::*;
use crate::json::{self, JsonError};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

const FULL: SkipMode = SkipMode::Full;
const STRUCTURAL: SkipMode = SkipMode::Structural;

/// A whole document read with the skipper the way `json::parse` reads it: optional
/// whitespace, one value, optional whitespace, end.
fn whole_document(bytes: &[u8]) -> Result<(), ScanError> {
    let start = skip_whitespace(bytes, 0);
    let end = skip_value(bytes, start, 0, FULL)?;
    let rest = skip_whitespace(bytes, end);
    if rest == bytes.len() {
        Ok(())
    } else {
        Err(error(rest, "trailing characters after the JSON value"))
    }
}

fn parse_verdict(bytes: &[u8]) -> Result<(), ScanError> {
    match json::parse(bytes) {
        Ok(_) => Ok(()),
        Err(JsonError::Syntax { offset, reason }) => Err(error(offset, reason)),
        Err(JsonError::TooDeep) => Err(ScanError::TooDeep),
    }
}

/// The scalar container skipper, and the SIMD one when this CPU has it; checks they agree.
fn container_both(bytes: &[u8], start: usize, room: usize) -> Result<usize, ScanError> {
    let scalar = skip_container_scalar(bytes, start, room);
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = avx2::skip_container(bytes, start, room) {
        assert_eq!(
            simd,
            scalar,
            "SIMD and scalar disagree on {:?} from {start} (room {room})",
            String::from_utf8_lossy(bytes)
        );
    }
    scalar
}

/// Structural `skip_value`, through both container skippers.
fn structural_both(bytes: &[u8], pos: usize, depth: usize) -> Result<usize, ScanError> {
    let result = skip_value(bytes, pos, depth, STRUCTURAL);
    if let Some(b'{' | b'[') = bytes.get(pos) {
        let room = MAX_DEPTH.saturating_sub(depth);
        if room > 0 {
            assert_eq!(container_both(bytes, pos + 1, room), result);
        }
    }
    result
}

/// `levels` containers one inside the other; the innermost holds `0` if it is an object.
fn nested(levels: usize, open: &str, close: &str) -> Vec<u8> {
    let middle = if open.starts_with('{') { "0" } else { "" };
    (open.repeat(levels) + middle + &close.repeat(levels)).into_bytes()
}

// --- Generators -----------------------------------------------------------------------

pub(super) fn ws() -> impl Strategy<Value = String> {
    "[ \t\n\r]{0,2}"
}

pub(super) fn number() -> impl Strategy<Value = String> {
    "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?"
}

/// A piece of string content as written in JSON: plain text (any Unicode, brackets and
/// commas included), escapes, surrogate pairs, long runs of escaped backslashes.
fn string_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[^\"\\\\\\x00-\\x1f]{1,6}",
        2 => select(vec![
            "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\uD83D\\uDE00",
            "\\ud83d\\ude00", "\\u0041", "{", "}", "[", "]", "\\\"}]", "é", "😀", "\u{7f}",
        ])
        .prop_map(String::from),
        1 => (0u32..0xD800).prop_map(|c| format!("\\u{c:04x}")),
        1 => (0xE000u32..0x1_0000).prop_map(|c| format!("\\u{c:04X}")),
        1 => (1usize..70).prop_map(|n| "\\\\".repeat(n)),
        1 => (1usize..100).prop_map(|n| "x".repeat(n)),
    ]
}

pub(super) fn string() -> impl Strategy<Value = String> {
    vec(string_piece(), 0..8).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
}

/// A valid JSON value without surrounding whitespace.
pub(super) fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        number(),
        string(),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            (ws(), vec((ws(), inner.clone(), ws()), 0..6)).prop_map(|(empty, items)| {
                let items: Vec<String> = items.into_iter().map(|(a, v, b)| a + &v + &b).collect();
                if items.is_empty() {
                    format!("[{empty}]")
                } else {
                    format!("[{}]", items.join(","))
                }
            }),
            (ws(), vec((ws(), string(), ws(), ws(), inner, ws()), 0..6)).prop_map(
                |(empty, members)| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(a, k, b, c, v, d)| format!("{a}{k}{b}:{c}{v}{d}"))
                        .collect();
                    if members.is_empty() {
                        format!("{{{empty}}}")
                    } else {
                        format!("{{{}}}", members.join(","))
                    }
                }
            ),
        ]
    })
}

pub(super) fn document() -> impl Strategy<Value = String> {
    (ws(), value(), ws()).prop_map(|(a, v, b)| a + &v + &b)
}

/// Bytes that matter to a JSON reader, and some that break UTF-8.
pub(super) const ALPHABET: &[u8] =
    b"{}[]\",:\\ \t\n0123456789-+.eEtrufalsnx/bu\x00\x1f\x7f\xff\xc3\xa9\xed\xa0\x80\xf0\x9f";

#[derive(Debug, Clone)]
pub(super) enum Edit {
    Delete(Index),
    Insert(Index, u8),
    Replace(Index, u8),
    Truncate(Index),
}

pub(super) fn edit() -> impl Strategy<Value = Edit> {
    let byte = select(ALPHABET.to_vec());
    prop_oneof![
        3 => any::<Index>().prop_map(Edit::Delete),
        3 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| Edit::Insert(i, b)),
        3 => (any::<Index>(), byte).prop_map(|(i, b)| Edit::Replace(i, b)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

pub(super) fn mutated(doc: String, edits: Vec<Edit>) -> Vec<u8> {
    let mut bytes = doc.into_bytes();
    for edit in edits {
        match edit {
            Edit::Delete(i) if !bytes.is_empty() => {
                bytes.remove(i.index(bytes.len()));
            }
            Edit::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), b),
            Edit::Replace(i, b) if !bytes.is_empty() => {
                let at = i.index(bytes.len());
                bytes[at] = b;
            }
            Edit::Truncate(i) => bytes.truncate(i.index(bytes.len() + 1)),
            _ => {}
        }
    }
    bytes
}

/// Inputs for the container skippers: mostly the bytes that steer them, backslashes and
/// quotes heavily represented.
pub(super) fn structural_noise() -> impl Strategy<Value = Vec<u8>> {
    const WEIGHTED: &[u8] = b"\\\\\\\\\"\"\"{}[]ax ,:0\xff";
    vec(select(WEIGHTED.to_vec()), 0..300)
}

// --- Differential against json::parse ---------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn full_agrees_with_json_parse_on_valid_documents(doc in document()) {
        prop_assert_eq!(parse_verdict(doc.as_bytes()), Ok(()));
        prop_assert_eq!(whole_document(doc.as_bytes()), Ok(()));
    }

    #[test]
    fn full_agrees_with_json_parse_on_mutated_documents(
        doc in document(),
        edits in vec(edit(), 1..4),
    ) {
        let bytes = mutated(doc, edits);
        prop_assert_eq!(
            whole_document(&bytes),
            parse_verdict(&bytes),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }

    #[test]
    fn full_agrees_with_json_parse_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(whole_document(&bytes), parse_verdict(&bytes));
    }

    #[test]
    fn full_agrees_with_json_parse_on_json_alphabet(
        bytes in vec(select(ALPHABET.to_vec()), 0..40),
    ) {
        prop_assert_eq!(
            whole_document(&bytes),
            parse_verdict(&bytes),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

/// Compact arrays and objects of numbers (the full skipper's number fast path) and of short
/// strings (its plain-string fast path), as in GeoJSON coordinates.
fn number_heavy_value() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        4 => number(),
        1 => select(vec!["-0", "0", "0.0", "-0.5e-7", "1E+2", "01", "1.", "-", "1e", "+1", "1.2.3"])
            .prop_map(String::from),
    ];
    let leaf = prop_oneof![3 => number, 1 => "\"[a-z0-9 ]{0,20}\"".prop_map(String::from)];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(|items| format!("[{}]", items.join(","))),
            vec(("[a-z]{0,3}", inner), 0..5).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// Objects of string members, long and short, plain and not.
fn string_heavy_value() -> impl Strategy<Value = String> {
    let member = (string(), prop_oneof![string(), number()]);
    vec(vec(member, 0..6), 1..6).prop_map(|objects| {
        let objects: Vec<String> = objects
            .into_iter()
            .map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("{k}:{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            })
            .collect();
        format!("[{}]", objects.join(","))
    })
}

/// The skipper and `json::parse` on `doc`, on `doc` with one byte replaced at every position
/// (each replacement in `replacements` in turn), and on every prefix of `doc`.
fn agree_on_edits_and_prefixes(doc: &[u8], replacements: &[u8]) {
    let check = |bytes: &[u8]| {
        assert_eq!(
            whole_document(bytes),
            parse_verdict(bytes),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    };
    check(doc);
    for at in 0..doc.len() {
        check(&doc[..at]);
        for &b in replacements {
            let mut bytes = doc.to_vec();
            bytes[at] = b;
            check(&bytes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn full_agrees_with_json_parse_on_number_heavy_documents(
        doc in number_heavy_value(),
        replacement in select(b"0-.eE+x,]} \"".to_vec()),
    ) {
        agree_on_edits_and_prefixes(doc.as_bytes(), &[replacement]);
    }

    #[test]
    fn full_agrees_with_json_parse_on_string_heavy_documents(
        doc in string_heavy_value(),
        replacement in select(b"\"\\\x00\x1f\x80\xff:,a".to_vec()),
    ) {
        agree_on_edits_and_prefixes(doc.as_bytes(), &[replacement]);
    }
}

/// The 32-byte number fast path gives the byte-by-byte scan's answer whenever it answers:
/// numbers of every shape, ending anywhere near the window's edge and the input's end.
#[test]
fn number_fast_path_agrees_everywhere() {
    let shapes = [
        "0",
        "-0",
        "7",
        "-122.351147270279038",
        "37.82926271994987",
        "0.0",
        "1e5",
        "-2E-07",
        "3.25e+10",
        "01",
        "-01.5",
        "1.",
        "1.e3",
        "1e",
        "1e+",
        "-",
        "--1",
        "1.2.3",
        "1e5e5",
        "-.5",
        "0x10",
        "1/2",
    ];
    let mut answered = 0;
    for shape in shapes {
        for lead in 0..34 {
            for stop in [
                &b","[..],
                b"]",
                b"}",
                b" ",
                b"",
                b"x",
                b"0",
                b".",
                b"e",
                b"-",
            ] {
                for tail in [0, 1, 15, 16, 40] {
                    // The number starts at `lead`, after digits that must not be read as its own.
                    let mut bytes: Vec<u8> = (0..lead).map(|k| b'1' + (k % 9) as u8).collect();
                    bytes.extend_from_slice(shape.as_bytes());
                    bytes.extend_from_slice(stop);
                    bytes.extend((0..tail).map(|k| b"9,.e]"[k % 5]));
                    let expected = scan_number_bytewise(&bytes, lead);
                    if let Some(end) = number_in_window(&bytes, lead) {
                        assert_eq!(Ok(end), expected, "{shape}{stop:?} at {lead}");
                        answered += 1;
                    }
                    assert_eq!(scan_number(&bytes, lead, FULL), expected);
                }
            }
        }
    }
    // The fast path is exercised, not just always declining.
    if cfg!(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )) {
        assert!(answered > 1000, "{answered}");
    }
}

// --- Structural mode ------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// On valid JSON both modes end at the same place, wherever the value sits and whatever
    /// follows a delimiter after it.
    #[test]
    fn structural_ends_where_full_ends(
        prefix in vec(any::<u8>(), 0..70),
        value in value(),
        delimiter in select(b" \t\n\r,]}".to_vec()),
        suffix in vec(any::<u8>(), 0..70),
        with_suffix in any::<bool>(),
        depth in 0usize..990,
    ) {
        let mut bytes = prefix.clone();
        bytes.extend_from_slice(value.as_bytes());
        if with_suffix {
            bytes.push(delimiter);
            bytes.extend_from_slice(&suffix);
        }
        let pos = prefix.len();
        let end = pos + value.len();
        prop_assert_eq!(skip_value(&bytes, pos, depth, FULL), Ok(end));
        prop_assert_eq!(structural_both(&bytes, pos, depth), Ok(end));
    }

    /// Every strict prefix of a container is an error in both modes, never a panic.
    #[test]
    fn truncated_containers_are_syntax_errors(value in value(), cut in any::<Index>()) {
        prop_assume!(value.starts_with(['[', '{']));
        let cut = cut.index(value.len());
        let bytes = &value.as_bytes()[..cut];
        for mode in [FULL, STRUCTURAL] {
            let result = skip_value(bytes, 0, 0, mode);
            prop_assert!(
                matches!(result, Err(ScanError::Syntax { .. })),
                "{:?} on {:?}: {:?}", mode, String::from_utf8_lossy(bytes), result
            );
        }
        prop_assert!(structural_both(bytes, 0, 0).is_err());
    }

    #[test]
    fn simd_agrees_with_scalar_on_noise(
        bytes in structural_noise(),
        start in 0usize..4,
        room in prop_oneof![1usize..6, Just(MAX_DEPTH)],
    ) {
        let start = start.min(bytes.len());
        let _ = container_both(&bytes, start, room);
    }

    #[test]
    fn simd_agrees_with_scalar_on_mutated_json(
        doc in value(),
        edits in vec(edit(), 0..3),
        room in prop_oneof![1usize..6, Just(MAX_DEPTH)],
    ) {
        let bytes = mutated(doc, edits);
        let _ = container_both(&bytes, 1, room);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn escapes_agree_with_a_byte_by_byte_scan(backslash in any::<u64>(), carry in 0u64..2, runs in any::<bool>()) {
        // Runs of backslashes are what matters; widen random bits into runs half the time.
        let backslash = if runs { backslash | (backslash << 1) | (backslash << 2) } else { backslash };
        let mut expected = 0u64;
        let mut escaping = carry == 1;
        for i in 0..64 {
            if escaping {
                expected |= 1 << i;
                escaping = false;
            } else if backslash & (1 << i) != 0 {
                escaping = true;
            }
        }
        let mut state = carry;
        prop_assert_eq!(avx2::escaped_bytes(backslash, &mut state), expected);
        prop_assert_eq!(state, u64::from(escaping));
    }

    /// Arbitrary bytes, positions and depths: an answer, never a panic, in every entry point.
    #[test]
    fn never_panics(
        bytes in vec(any::<u8>(), 0..200),
        pos in 0usize..210,
        depth in prop_oneof![0usize..5, 995usize..1005],
    ) {
        for mode in [FULL, STRUCTURAL] {
            if let Ok(end) = skip_value(&bytes, pos, depth, mode) {
                prop_assert!(end > pos && end <= bytes.len());
            }
            if let Ok((close, _)) = scan_string(&bytes, pos, mode) {
                prop_assert!(close >= pos && bytes[close] == b'"');
            }
            if let Ok(end) = scan_number(&bytes, pos, mode) {
                prop_assert!(end > pos && end <= bytes.len());
            }
        }
        let _ = structural_both(&bytes, pos, depth);
        prop_assert!(skip_whitespace(&bytes, pos) >= pos);
    }
}

/// Strings straddling every position of a 64-byte block, with backslash runs of every
/// length crossing block edges, and brackets inside strings.
#[test]
fn block_edges() {
    for lead in 0..140 {
        for run in 0..7 {
            for tail in ["", "]", "}", "[", "\"", "x\"]"] {
                let mut text = String::from("[");
                text.push_str(&" ".repeat(lead));
                text.push_str("\"[{");
                text.push_str(&"\\".repeat(run));
                text.push_str("\"]");
                text.push_str(tail);
                let bytes = text.as_bytes();
                let structural = structural_both(bytes, 0, 0);
                if let Ok(end) = skip_value(bytes, 0, 0, FULL) {
                    assert_eq!(structural, Ok(end), "{text:?}");
                }
                for start in 0..bytes.len() {
                    let _ = container_both(bytes, start, 3);
                }
            }
        }
    }
}

#[test]
fn sizes_up_to_300() {
    for size in 0usize..300 {
        // An array of exactly `size` bytes, then junk: the last block is partial or full.
        let inner = size.saturating_sub(2);
        let body: String = (0..inner)
            .map(|i| if i % 2 == 0 { '1' } else { ',' })
            .collect();
        let body = body.trim_end_matches(',');
        let text = format!("[{body}]");
        let mut bytes = text.clone().into_bytes();
        assert_eq!(structural_both(&bytes, 0, 0), Ok(text.len()), "{text}");
        assert_eq!(skip_value(&bytes, 0, 0, FULL), Ok(text.len()));
        bytes.truncate(text.len() - 1);
        assert!(structural_both(&bytes, 0, 0).is_err());
        // A string of `size` bytes holding escaped quotes and brackets.
        let content: String = (0..size)
            .map(|i| ["\\\"", "]", "\\\\", "a"][i % 4])
            .collect();
        let text = format!("[\"{content}\"]");
        assert_eq!(structural_both(text.as_bytes(), 0, 0), Ok(text.len()));
        assert_eq!(skip_value(text.as_bytes(), 0, 0, FULL), Ok(text.len()));
    }
}

// --- Depth ----------------------------------------------------------------------------

#[test]
fn depth_is_bounded_like_json_parse() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let ok = nested(MAX_DEPTH, open, close);
        let deep = nested(MAX_DEPTH + 1, open, close);
        let hostile = open.repeat(100_000).into_bytes();
        let hostile_closed = nested(100_000, open, close);
        assert_eq!(parse_verdict(&ok), Ok(()));
        assert_eq!(parse_verdict(&deep), Err(ScanError::TooDeep));
        for mode in [FULL, STRUCTURAL] {
            assert_eq!(skip_value(&ok, 0, 0, mode), Ok(ok.len()), "{mode:?}");
            assert_eq!(skip_value(&deep, 0, 0, mode), Err(ScanError::TooDeep));
            assert_eq!(skip_value(&hostile, 0, 0, mode), Err(ScanError::TooDeep));
            assert_eq!(
                skip_value(&hostile_closed, 0, 0, mode),
                Err(ScanError::TooDeep)
            );
            // Inside five open containers, 995 more levels fit and 996 do not.
            let fits = nested(MAX_DEPTH - 5, open, close);
            let too_many = nested(MAX_DEPTH - 4, open, close);
            assert_eq!(skip_value(&fits, 0, 5, mode), Ok(fits.len()));
            assert_eq!(skip_value(&too_many, 0, 5, mode), Err(ScanError::TooDeep));
            // At the bound, only scalars are left; past it too.
            assert_eq!(
                skip_value(b"[]", 0, MAX_DEPTH, mode),
                Err(ScanError::TooDeep)
            );
            assert_eq!(skip_value(b"[]", 0, MAX_DEPTH - 1, mode), Ok(2));
            assert_eq!(skip_value(b"1", 0, MAX_DEPTH + 7, mode), Ok(1));
        }
        assert_eq!(structural_both(&ok, 0, 0), Ok(ok.len()));
        assert_eq!(structural_both(&deep, 0, 0), Err(ScanError::TooDeep));
        assert_eq!(structural_both(&hostile, 0, 0), Err(ScanError::TooDeep));
    }
    // Depth counts open containers, not brackets seen: long flat input is fine.
    let flat = "[".to_owned() + &"[],".repeat(5000) + "[]]";
    assert_eq!(structural_both(flat.as_bytes(), 0, 0), Ok(flat.len()));
    assert_eq!(skip_value(flat.as_bytes(), 0, 0, FULL), Ok(flat.len()));
}

// --- Strings --------------------------------------------------------------------------

#[test]
fn surrogates_and_utf8() {
    for bad in [
        &b"\"\\ud800\""[..],
        b"\"\\udc00\"",
        b"\"\\ud800\\u0041\"",
        b"\"\\ud800\\ud800\"",
        b"\"\\udbff\"",
        b"\"\\ud800\\",
        b"\"\\ud800\\u12\"",
        b"\"\xff\"",
        b"\"\xc0\xaf\"",         // overlong '/'
        b"\"\xe0\x80\xaf\"",     // overlong '/'
        b"\"\xed\xa0\x80\"",     // UTF-8-encoded surrogate
        b"\"\xc3\"",             // truncated sequence
        b"\"\xe2\x82\"",         // truncated sequence
        b"\"\xf0\x9f\x98\"",     // truncated sequence
        b"\"\xf4\x90\x80\x80\"", // beyond U+10FFFF
        b"\"\x80\"",             // lone continuation byte
        b"\"\xc3",               // truncated at end of input
        b"\"a\x01\"",
        b"\"\\x\"",
        b"\"\\u12G4\"",
        b"\"\\",
        b"\"abc",
    ] {
        let result = scan_string(bad, 1, FULL);
        assert!(
            result.is_err(),
            "accepted {:?}",
            String::from_utf8_lossy(bad)
        );
        assert_eq!(
            whole_document(bad),
            parse_verdict(bad),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    for (good, escaped) in [
        (&b"\"\\ud83d\\ude00\""[..], true),
        (b"\"\\uD83D\\uDE00\"", true),
        (b"\"\\u00e9\\n\\/\\\"\\\\\\b\\f\\r\\t\"", true),
        ("\"é😀 \u{7f} 中文\"".as_bytes(), false),
        (b"\"\"", false),
        (b"\"plain ascii that is longer than eight bytes\"", false),
    ] {
        let close = good.len() - 1;
        assert_eq!(scan_string(good, 1, FULL), Ok((close, escaped)));
        assert_eq!(scan_string(good, 1, STRUCTURAL), Ok((close, escaped)));
        assert_eq!(whole_document(good), Ok(()));
    }
    // Structural mode only finds the end.
    assert_eq!(
        scan_string(b"\"\\ud800\xff\x01\"", 1, STRUCTURAL),
        Ok((9, true))
    );
    assert_eq!(scan_string(b"\"a\\\\\"b\"", 1, STRUCTURAL), Ok((4, true)));
    assert_eq!(scan_string(b"\"a\\\"b\"", 1, STRUCTURAL), Ok((5, true)));
    assert!(scan_string(b"\"a\\\"", 1, STRUCTURAL).is_err());
    assert!(scan_string(b"\"", 5, STRUCTURAL).is_err());
}

// --- Fast paths against the general code ---------------------------------------------

/// `scan_string` (with its fast path) and the general code agree, in both modes.
fn string_paths_agree(bytes: &[u8], pos: usize) {
    for mode in [FULL, STRUCTURAL] {
        assert_eq!(
            scan_string(bytes, pos, mode),
            scan_string_general(bytes, pos, mode),
            "{mode:?} from {pos} in {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_eq!(
        string_full(bytes, pos),
        scan_string_general(bytes, pos, FULL)
    );
}

/// `skip_value` (with its fast path) and the general code agree, in both modes.
fn value_paths_agree(bytes: &[u8], pos: usize) {
    for mode in [FULL, STRUCTURAL] {
        assert_eq!(
            skip_value(bytes, pos, 3, mode),
            skip_value_general(bytes, pos, 3, mode),
            "{mode:?} from {pos} in {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// Bytes that stop (or could wrongly stop, or wrongly not stop) a string scan.
const STRING_SPECIALS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\\"",
    b"\\\\",
    b"\\u00e9",
    b"\\ud800",
    b"\x00",
    b"\x01",
    b"\x1f",
    b" ",
    b"\x7f",
    b"\x80",
    b"\xbf",
    b"\xff",
    b"\xc3\xa9",
    b"\xc3",
    b"\xf0\x9f\x98\x80",
    b"!",
    b"#",
    b"[",
    b"\\x",
];

#[test]
fn string_fast_path_agrees_everywhere() {
    for len in 0..40 {
        for special in STRING_SPECIALS {
            for at in 0..=len {
                for tail in 0..20 {
                    // Content of `len` bytes with `special` at `at`, a closing quote, then
                    // `tail` bytes (none: the input ends right after the string).
                    let mut bytes = b"\"".to_vec();
                    bytes.extend((0..at).map(|k| b'a' + (k % 26) as u8));
                    bytes.extend_from_slice(special);
                    bytes.extend((at..len).map(|k| b'A' + (k % 26) as u8));
                    bytes.push(b'"');
                    bytes.extend((0..tail).map(|k| [b',', b'"', b'}', b'\\'][k % 4]));
                    string_paths_agree(&bytes, 1);
                    value_paths_agree(&bytes, 0);
                    if tail == 0 {
                        // Unterminated: cut anywhere.
                        for cut in 0..bytes.len() {
                            string_paths_agree(&bytes[..cut], 1);
                        }
                    }
                }
            }
        }
    }
    for pos in 0..5 {
        string_paths_agree(b"\"ab", pos);
        string_paths_agree(b"", pos);
    }
}

/// Bytes that end (or could wrongly end, or wrongly not end) a structural scalar.
const SCALAR_STOPS: &[u8] =
    b",]} \t\n\r\x00\x01\x08\x0b\x0c\x0e\x1f!\x7f\x80\xdd\xfd\xff\\\"[{:=}]";

#[test]
fn scalar_fast_path_agrees_everywhere() {
    for len in 0..40 {
        for &stop in SCALAR_STOPS {
            for first in [b'-', b'1', b't', b'x', b'"', b'{', b'['] {
                for tail in 0..20 {
                    let mut bytes = vec![first];
                    bytes.extend((1..len).map(|k| b"0123456789.eE+-"[k % 15]));
                    bytes.truncate(len);
                    bytes.push(stop);
                    bytes.extend((0..tail).map(|k| [b'1', b',', b' ', b'}'][k % 4]));
                    value_paths_agree(&bytes, 0);
                    assert_eq!(
                        skip_value(&bytes, 0, 0, STRUCTURAL),
                        skip_value_structural(&bytes, 0, 0)
                    );
                    if tail == 0 {
                        for cut in 0..bytes.len() {
                            value_paths_agree(&bytes[..cut], 0);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn digit_fast_path_agrees_everywhere() {
    let reference = |bytes: &[u8], i: usize| {
        let mut j = i;
        while let Some(b'0'..=b'9') = bytes.get(j) {
            j += 1;
        }
        j.max(i)
    };
    for len in 0..40 {
        for stop in [
            b'.', b'/', b':', b'e', b'E', b',', b'\x00', b'\xb0', b'\xb9', b'\xff',
        ] {
            for tail in 0..20 {
                let mut bytes: Vec<u8> = (0..len).map(|k| b'0' + (k % 10) as u8).collect();
                bytes.push(stop);
                bytes.extend((0..tail).map(|k| b'0' + (k % 10) as u8));
                for i in 0..=bytes.len() + 1 {
                    for cut in [bytes.len(), len, len.saturating_sub(1)] {
                        let input = &bytes[..cut];
                        let expected = reference(input, i);
                        assert_eq!(skip_digits(input, i), expected, "{input:?} from {i}");
                        assert_eq!(skip_digits_swar(input, i), expected);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn fast_paths_agree_on_noise(
        bytes in vec(select(b"\"\\\\aZ09,]} \t\x01\x1f\x7f\x80\xc3\xa9\xff{[-.eu".to_vec()), 0..60),
        pos in 0usize..64,
    ) {
        string_paths_agree(&bytes, pos);
        value_paths_agree(&bytes, pos);
        prop_assert_eq!(
            skip_value(&bytes, pos, 0, STRUCTURAL),
            skip_value_structural(&bytes, pos, 0)
        );
    }
}

// --- Numbers, literals, whitespace ------------------------------------------------------

#[test]
fn numbers_and_scalars() {
    for (text, end) in [
        ("0", 1),
        ("-0", 2),
        ("-122.351147270279038,", 20),
        ("37.82926271994987}", 17),
        ("1e400 ", 5),
        ("1.5E+3]", 6),
        ("2e-0", 4),
        ("01", 1),
        ("123456789012345678901234567890x", 30),
    ] {
        assert_eq!(scan_number(text.as_bytes(), 0, FULL), Ok(end), "{text}");
    }
    for bad in ["-", "1.", "1.e5", "1e", "1e+", "+1", ".5", "-a", ""] {
        assert!(scan_number(bad.as_bytes(), 0, FULL).is_err(), "{bad}");
    }
    assert_eq!(scan_number(b"-12.5e3,1", 0, STRUCTURAL), Ok(7));
    assert_eq!(scan_number(b"1.2.3 ", 0, STRUCTURAL), Ok(5));
    assert_eq!(scan_number(b"12", 0, STRUCTURAL), Ok(2));
    assert!(scan_number(b",", 0, STRUCTURAL).is_err());
    assert!(scan_number(b"", 0, STRUCTURAL).is_err());

    for mode in [FULL, STRUCTURAL] {
        assert_eq!(skip_value(b"true,", 0, 0, mode), Ok(4));
        assert_eq!(skip_value(b"false]", 0, 0, mode), Ok(5));
        assert_eq!(skip_value(b"null", 0, 0, mode), Ok(4));
        assert_eq!(skip_value(b"\"a\\\"b\" ", 0, 0, mode), Ok(6));
        for bad in [&b""[..], b"]", b",", b" 1", b"}"] {
            assert!(skip_value(bad, 0, 0, mode).is_err(), "{mode:?} {bad:?}");
        }
    }
    // Structural mode checks nothing in scalars or containers but their extent.
    assert_eq!(skip_value(b"tru,", 0, 0, STRUCTURAL), Ok(3));
    assert_eq!(skip_value(b"[1,,}x", 0, 0, STRUCTURAL), Ok(5));
    assert_eq!(skip_value(b"{\"a\"]", 0, 0, STRUCTURAL), Ok(5));
    assert!(skip_value(b"tru,", 0, 0, FULL).is_err());
    assert!(skip_value(b"[1,,]", 0, 0, FULL).is_err());
    assert!(skip_value(b"{\"a\":1]", 0, 0, FULL).is_err());
    assert!(skip_value(b"[1}", 0, 0, FULL).is_err());
    assert!(skip_value(b"{1:2}", 0, 0, FULL).is_err());

    assert_eq!(skip_whitespace(b" \t\r\n x", 0), 5);
    assert_eq!(skip_whitespace(b"  ", 0), 2);
    assert_eq!(skip_whitespace(b"x ", 0), 0);
    assert_eq!(skip_whitespace(b"", 0), 0);
    assert_eq!(skip_whitespace(b"ab", 5), 5);
}

#[test]
fn citylots_event() {
    let event = CITYLOTS_EVENT.as_bytes();
    for mode in [FULL, STRUCTURAL] {
        assert_eq!(skip_value(event, 0, 0, mode), Ok(event.len()));
    }
    let at = CITYLOTS_EVENT.find("[[").unwrap();
    let end = skip_value(event, at, 2, FULL).unwrap();
    assert_eq!(&CITYLOTS_EVENT[end - 2..end + 1], "]],");
    assert_eq!(structural_both(event, at, 2), Ok(end));
}

const CITYLOTS_EVENT: &str = r#"{"type":"Feature","properties":{"MAPBLKLOT":"0001001","BLKLOT":"0001001","BLOCK_NUM":"0001","LOT_NUM":"001","FROM_ST":"1502","TO_ST":"1502","STREET":"TEHAMA","ST_TYPE":"ST","ODD_EVEN":"E"},"geometry":{"type":"Polygon","coordinates":[[{"x":-122.351147270279038,"y":37.82926271994987,"z":0.0},{"x":-122.350984870217421,"y":37.829046594906356,"z":0.0},{"x":-122.350992938281064,"y":37.828729011793766,"z":0.0},{"x":-122.351143096392483,"y":37.828919092062133,"z":0.0},{"x":-122.351147270279038,"y":37.82926271994987,"z":0.0}]],"firstCoordinates":{"x":-122.351147270279038,"y":37.82926271994987,"z":0.0}}}"#;

/// Throughput by hand:
/// `cargo test --release -p evmatch --lib scan::skip::tests::throughput -- --ignored --nocapture`
#[test]
#[ignore = "timing, run by hand"]
fn throughput() {
    use std::hint::black_box;
    use std::time::Instant;

    // ~850-byte events from the bench data when present, else the built-in sample.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/data");
    let mut events: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .flat_map(|data| {
            data.split(|&b| b == b'\n')
                .filter(|l| (800..=900).contains(&l.len()))
                .take(2000)
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect();
    if events.is_empty() {
        events.push(CITYLOTS_EVENT.as_bytes().to_vec());
    }
    let coordinates: Vec<(Vec<u8>, usize)> = events
        .iter()
        .map(|e| {
            let at = e.windows(2).position(|w| w == b"[[").unwrap();
            let end = skip_value(e, at, 2, FULL).unwrap();
            // Keep what follows so the SIMD kernel sees a realistic tail.
            (e[at..].to_vec(), end - at)
        })
        .collect();
    let big = {
        let one = r#"{"x":-122.351147270279038,"y":37.82926271994987,"z":0.0}"#;
        format!("[[{}]]", vec![one; 20_000].join(","))
    };
    let avg = events.iter().map(Vec::len).sum::<usize>() / events.len();
    println!("{} events, average {avg} bytes", events.len());

    // Best of several timed rounds, so a busy machine disturbs the figure less.
    let run = |name: &str, inputs: &[(&[u8], usize)], mode: SkipMode| {
        let bytes: usize = inputs.iter().map(|(_, n)| n).sum();
        let mut rounds = 1;
        let mut best = f64::INFINITY;
        let mut trials = 0;
        while trials < 7 {
            let t = Instant::now();
            for _ in 0..rounds {
                for &(input, len) in inputs {
                    let end = skip_value(black_box(input), 0, 0, mode);
                    assert_eq!(end, Ok(len));
                }
            }
            let secs = t.elapsed().as_secs_f64();
            if secs < 0.1 {
                rounds *= 2;
                continue;
            }
            best = best.min(secs / (rounds * inputs.len()) as f64);
            trials += 1;
        }
        let per_input_bytes = bytes as f64 / inputs.len() as f64;
        println!(
            "{name:>28} {mode:>10?}: {:8.0} MB/s {:8.2} M values/s",
            per_input_bytes / best / 1e6,
            1e-6 / best
        );
    };
    let whole: Vec<(&[u8], usize)> = events.iter().map(|e| (&e[..], e.len())).collect();
    let coords: Vec<(&[u8], usize)> = coordinates.iter().map(|(c, n)| (&c[..], *n)).collect();
    let sample = [(CITYLOTS_EVENT.as_bytes(), CITYLOTS_EVENT.len())];
    let large = [(big.as_bytes(), big.len())];
    for mode in [STRUCTURAL, FULL] {
        run("events", &whole, mode);
        run("coordinates arrays", &coords, mode);
        run("602-byte sample event", &sample, mode);
        run("1.1 MB coordinates array", &large, mode);
    }
    let scalar = |inputs: &[(&[u8], usize)]| {
        let bytes: usize = inputs.iter().map(|(_, n)| n).sum();
        let rounds = 200;
        let t = Instant::now();
        for _ in 0..rounds {
            for &(input, len) in inputs {
                assert_eq!(
                    skip_container_scalar(black_box(input), 1, MAX_DEPTH),
                    Ok(len)
                );
            }
        }
        (rounds * bytes) as f64 / t.elapsed().as_secs_f64() / 1e6
    };
    println!(
        "scalar structural fallback: events {:.0} MB/s, coordinates {:.0} MB/s, large {:.0} MB/s",
        scalar(&whole),
        scalar(&coords),
        scalar(&large)
    );
}
