//! The `wildcard` operator: parse a pattern exactly as event-ruler does (including the positions
//! its errors report) and match values against it. The check that refuses the pattern sets AWS
//! refuses as too complex is in the sibling `complexity` module.

use crate::error::PatternError;

/// event-ruler parses a wildcard value with the JSON string's quotes around it (`"` + text + `"`),
/// so the positions it reports are byte offsets into that quoted string: one past the offset into
/// the text.
const QUOTE_OFFSET: usize = 1;

/// A parsed `wildcard` pattern: literal pieces separated by unescaped stars.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Wildcard {
    source: String,
    /// The literal text between unescaped stars, escapes resolved: one more piece than there are
    /// stars. The first piece is empty exactly when the pattern starts with a star, the last when
    /// it ends with one; the others are never empty, because `**` is refused.
    pieces: Vec<String>,
}

impl Wildcard {
    /// Parses a wildcard pattern's text (already JSON-unescaped): `*` matches any run of
    /// characters, including none; `\*` is a literal star and `\\` a literal backslash. Any other
    /// escape, a trailing lone backslash and `**` are refused, at the position event-ruler reports.
    pub(crate) fn parse(text: &str) -> Result<Wildcard, PatternError> {
        let mut pieces = Vec::new();
        let mut piece = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '*' => {
                    if matches!(chars.peek(), Some((_, '*'))) {
                        return Err(PatternError::WildcardConsecutive(at + QUOTE_OFFSET));
                    }
                    pieces.push(std::mem::take(&mut piece));
                }
                '\\' => match chars.next() {
                    Some((_, escaped @ ('*' | '\\'))) => piece.push(escaped),
                    // A lone backslash at the end is refused too: event-ruler sees it escape the
                    // closing quote.
                    _ => return Err(PatternError::WildcardInvalidEscape(at + QUOTE_OFFSET)),
                },
                literal => piece.push(literal),
            }
        }
        pieces.push(piece);
        Ok(Wildcard {
            source: text.to_owned(),
            pieces,
        })
    }

    /// Does `value` match? Linear in the value for each piece (no backtracking): the first piece
    /// must be a prefix and the last a suffix, and matching each middle piece at its leftmost
    /// occurrence never loses a match, because a star can absorb whatever an earlier choice skips.
    pub(crate) fn matches(&self, value: &str) -> bool {
        let (first, middle, last) = match self.pieces.as_slice() {
            [first, middle @ .., last] => (first, middle, last),
            [only] => return value == only,
            [] => return value.is_empty(),
        };
        let bytes = value.as_bytes();
        if bytes.len() < first.len() + last.len()
            || !same(&bytes[..first.len()], first.as_bytes())
            || !same(&bytes[bytes.len() - last.len()..], last.as_bytes())
        {
            return false;
        }
        // Pieces are whole UTF-8 strings, so every cut below falls on a character boundary.
        let mut unmatched = &value[first.len()..value.len() - last.len()];
        for piece in middle {
            match find(unmatched.as_bytes(), piece.as_bytes()) {
                Some(at) => unmatched = &unmatched[at + piece.len()..],
                None => return false,
            }
        }
        true
    }

    /// The pattern text as given.
    pub(crate) fn source(&self) -> &str {
        &self.source
    }
}

/// Leftmost occurrence of `needle` (not empty) in `haystack`. Event values are mostly short, where
/// setting up a two-way search costs more than a plain scan; long ones get the two-way search,
/// which keeps the worst case linear.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [byte] => haystack.iter().position(|b| b == byte),
        [first, rest @ ..] if haystack.len() <= 64 => {
            let last_start = haystack.len().checked_sub(needle.len())?;
            (0..=last_start)
                .find(|&i| haystack[i] == *first && same(&haystack[i + 1..i + needle.len()], rest))
        }
        _ => {
            // Both are whole UTF-8 strings (pieces and values are `str`s).
            let haystack = std::str::from_utf8(haystack).ok()?;
            let needle = std::str::from_utf8(needle).ok()?;
            haystack.find(needle)
        }
    }
}

/// Byte equality of two short slices of equal length, without a call into `memcmp` (which costs
/// more than the comparison for the few bytes a wildcard piece usually has).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() > 16 {
        return a == b;
    }
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The pattern's shape, for compiling it into a byte automaton.
impl Wildcard {
    /// The literal pieces between unescaped stars, escapes resolved: one more than there are
    /// stars. The first is empty exactly when the pattern starts with a star, the last when it
    /// ends with one; the others are never empty.
    pub(crate) fn pieces(&self) -> &[String] {
        &self.pieces
    }

    /// How many unescaped stars the pattern holds.
    #[cfg(test)]
    pub(crate) fn star_count(&self) -> usize {
        self.pieces.len() - 1
    }

    /// Does the pattern begin with an unescaped star?
    #[cfg(test)]
    pub(crate) fn starts_with_star(&self) -> bool {
        self.star_count() > 0 && self.pieces[0].is_empty()
    }

    /// Does the pattern end with an unescaped star?
    #[cfg(test)]
    pub(crate) fn ends_with_star(&self) -> bool {
        self.star_count() > 0 && self.pieces.last().is_some_and(String::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Wildcard {
        Wildcard::parse(text).unwrap_or_else(|err| panic!("{text:?} should parse: {err}"))
    }

    // ---- parsing ---------------------------------------------------------------------------

    #[test]
    fn pieces_split_at_unescaped_stars() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[""]),
            ("abc", &["abc"]),
            ("*", &["", ""]),
            ("*.png", &["", ".png"]),
            ("arn:*", &["arn:", ""]),
            ("a*b*c", &["a", "b", "c"]),
            ("*a*", &["", "a", ""]),
            (r"a\*b", &["a*b"]),
            (r"a\\b", &[r"a\b"]),
            (r"a\\*b", &[r"a\", "b"]),
            (r"\**", &["*", ""]),
            (r"*\*", &["", "*"]),
            (r"\\\*", &[r"\*"]),
            ("é*ü", &["é", "ü"]),
        ];
        for &(text, pieces) in cases {
            let wildcard = parse(text);
            assert_eq!(wildcard.pieces(), pieces, "{text:?}");
            assert_eq!(wildcard.source(), text);
            assert_eq!(wildcard.star_count(), pieces.len() - 1, "{text:?}");
        }
    }

    #[test]
    fn reports_where_stars_are() {
        let star_ends = |text: &str| {
            let wildcard = parse(text);
            (wildcard.starts_with_star(), wildcard.ends_with_star())
        };
        assert_eq!(star_ends(""), (false, false));
        assert_eq!(star_ends("a"), (false, false));
        assert_eq!(star_ends("*"), (true, true));
        assert_eq!(star_ends("*a"), (true, false));
        assert_eq!(star_ends("a*"), (false, true));
        assert_eq!(star_ends("a*b"), (false, false));
        assert_eq!(star_ends(r"\*a\*"), (false, false));
    }

    #[test]
    fn errors_report_event_ruler_positions() {
        // event-ruler counts UTF-8 bytes of `"` + text + `"`: the text's byte offset plus one.
        let cases: &[(&str, PatternError)] = &[
            // JsonRuleCompilerTest: "abc**def" → "Consecutive wildcard characters at pos 4".
            ("abc**def", PatternError::WildcardConsecutive(4)),
            ("**", PatternError::WildcardConsecutive(1)),
            ("a**", PatternError::WildcardConsecutive(2)),
            ("a***", PatternError::WildcardConsecutive(2)),
            ("é**", PatternError::WildcardConsecutive(3)),
            // An escaped star does not start a run of wildcards; the star after it does.
            (r"\***", PatternError::WildcardConsecutive(3)),
            (r"\d", PatternError::WildcardInvalidEscape(1)),
            (r"a*c\def", PatternError::WildcardInvalidEscape(4)),
            (r"a\", PatternError::WildcardInvalidEscape(2)),
            (r"\", PatternError::WildcardInvalidEscape(1)),
            (r"\\\", PatternError::WildcardInvalidEscape(3)),
            (r"日本\n", PatternError::WildcardInvalidEscape(7)),
            (r"\é", PatternError::WildcardInvalidEscape(1)),
            // The first problem from the left wins.
            (r"\x**", PatternError::WildcardInvalidEscape(1)),
            (r"**\x", PatternError::WildcardConsecutive(1)),
        ];
        for (text, expected) in cases {
            assert_eq!(Wildcard::parse(text).as_ref(), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn error_messages_are_aws_strings() {
        assert_eq!(
            Wildcard::parse("abc**def").unwrap_err().to_string(),
            "Consecutive wildcard characters at pos 4"
        );
        assert_eq!(
            Wildcard::parse(r"a\b").unwrap_err().to_string(),
            "Invalid escape character at pos 2"
        );
    }

    // ---- matching --------------------------------------------------------------------------

    #[test]
    fn empty_pattern_matches_only_empty() {
        let wildcard = parse("");
        assert!(wildcard.matches(""));
        assert!(!wildcard.matches("a"));
        assert!(!wildcard.matches("*"));
    }

    #[test]
    fn lone_star_matches_everything() {
        let wildcard = parse("*");
        for value in ["", "a", "*", "\\", "日本語", "a long value with spaces"] {
            assert!(wildcard.matches(value), "{value:?}");
        }
    }

    #[test]
    fn stars_at_the_ends() {
        let suffix = parse("*.png");
        assert!(suffix.matches(".png"));
        assert!(suffix.matches("cat.png"));
        assert!(!suffix.matches("cat.png.txt"));
        assert!(!suffix.matches("png"));

        let prefix = parse("arn:aws:s3:::bucket/*");
        assert!(prefix.matches("arn:aws:s3:::bucket/"));
        assert!(prefix.matches("arn:aws:s3:::bucket/key/deeper"));
        assert!(!prefix.matches("arn:aws:s3:::bucket"));

        let both = parse("*Title*");
        assert!(both.matches("Title"));
        assert!(both.matches("My Title here"));
        assert!(!both.matches("title"));
    }

    #[test]
    fn middle_stars() {
        let wildcard = parse("a*b*c");
        assert!(wildcard.matches("abc"));
        assert!(wildcard.matches("aXbYc"));
        assert!(wildcard.matches("abbbc"));
        assert!(wildcard.matches("acbc"));
        assert!(!wildcard.matches("ac"));
        assert!(!wildcard.matches("abcx"));
        assert!(!wildcard.matches("xabc"));
        // The prefix and the suffix may not overlap.
        let overlapping = parse("ab*ba");
        assert!(!overlapping.matches("aba"));
        assert!(overlapping.matches("abba"));
        // A middle piece found early must not steal what the suffix needs.
        let greedy = parse("*a*ab");
        assert!(greedy.matches("aab"));
        assert!(!greedy.matches("ab"));
    }

    #[test]
    fn escapes_match_literally() {
        let star = parse(r"a\*b");
        assert!(star.matches("a*b"));
        assert!(!star.matches("axb"));
        let backslash = parse(r"a\\*");
        assert!(backslash.matches(r"a\"));
        assert!(backslash.matches(r"a\anything"));
        assert!(!backslash.matches("a"));
    }

    #[test]
    fn multi_byte_utf8() {
        let wildcard = parse("é*ü");
        assert!(wildcard.matches("éü"));
        assert!(wildcard.matches("é日本ü"));
        assert!(!wildcard.matches("eü"));
        let emoji = parse("*🎉*");
        assert!(emoji.matches("party 🎉 time"));
        assert!(!emoji.matches("party time"));
        let exact = parse("日本");
        assert!(exact.matches("日本"));
        assert!(!exact.matches("日本語"));
    }

    #[test]
    fn long_values_match_quickly() {
        // A backtracking matcher takes exponential time here; ours is linear per piece.
        let wildcard = parse(&"*a".repeat(200));
        let value = "a".repeat(199) + "b";
        assert!(!wildcard.matches(&value));
        assert!(wildcard.matches(&"a".repeat(10_000)));
    }

    /// The obviously correct matcher: dynamic programming over pattern tokens and value chars.
    fn reference_matches(wildcard: &Wildcard, value: &str) -> bool {
        #[derive(PartialEq)]
        enum Item {
            Star,
            Char(char),
        }
        let mut items = Vec::new();
        for (index, piece) in wildcard.pieces().iter().enumerate() {
            if index > 0 {
                items.push(Item::Star);
            }
            items.extend(piece.chars().map(Item::Char));
        }
        let value: Vec<char> = value.chars().collect();
        // matched[j]: the items seen so far match value[..j].
        let mut matched = vec![false; value.len() + 1];
        matched[0] = true;
        for item in &items {
            let mut next = vec![false; value.len() + 1];
            for j in 0..=value.len() {
                next[j] = match item {
                    Item::Star => matched[j] || (j > 0 && next[j - 1]),
                    Item::Char(c) => j > 0 && matched[j - 1] && value[j - 1] == *c,
                };
            }
            matched = next;
        }
        matched[value.len()]
    }

    fn pattern_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("a".to_owned()),
                Just("b".to_owned()),
                Just("é".to_owned()),
                Just("*".to_owned()),
                Just(r"\*".to_owned()),
                Just(r"\\".to_owned()),
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn matches_agrees_with_reference(text in pattern_text(), value in "[ab*\\\\é]{0,10}") {
            if let Ok(wildcard) = Wildcard::parse(&text) {
                prop_assert_eq!(wildcard.matches(&value), reference_matches(&wildcard, &value));
            }
        }

        #[test]
        fn a_pattern_matches_its_own_literal_reading(text in pattern_text()) {
            if let Ok(wildcard) = Wildcard::parse(&text) {
                let literal = wildcard.pieces().concat();
                prop_assert!(wildcard.matches(&literal));
            }
        }

        #[test]
        fn errors_point_at_the_offending_character(text in "[ab*\\\\é]{0,12}") {
            match Wildcard::parse(&text) {
                Ok(_) => {}
                Err(PatternError::WildcardConsecutive(pos)) => {
                    let at = pos - QUOTE_OFFSET;
                    prop_assert_eq!(&text.as_bytes()[at..at + 2], b"**");
                }
                Err(PatternError::WildcardInvalidEscape(pos)) => {
                    prop_assert_eq!(text.as_bytes()[pos - QUOTE_OFFSET], b'\\');
                }
                Err(other) => prop_assert!(false, "unexpected error {other}"),
            }
        }
    }
}
