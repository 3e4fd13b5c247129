//! When two field conditions are one condition.
//!
//! Sub-rules that test a field the same way (the same path, the same matchers, and the same role:
//! counted, deferred or satisfied by absence) share one condition id, so a value that satisfies
//! it is recorded once, however many sub-rules use it. A condition of one matcher is found through
//! that matcher's own entry in the field's automaton ([`super::values::FieldMachine::find_single`]),
//! at no cost in memory; every other one but a lone range through its canonical byte form
//! ([`condition_key`]), in a map of its field. Two conditions with the same key behave alike on every value, so sharing
//! never changes an answer; conditions that behave alike but are written differently (`300` and
//! `3e2` among other matchers, a range written two ways) may stay apart, which costs only speed.

use crate::pattern::{AnythingBut, Literal, ValueMatcher};

/// The canonical byte form of a field condition: a byte for its role, then its matchers' forms
/// in the pattern's order, each with its length; `None` for a condition with a range (numeric,
/// IP or CIDR), which is not shared. (The same matchers in another order, or numbers written
/// otherwise, make another form: such conditions stay apart, which costs only speed; sorting
/// would cost the WebAssembly build a sort of its own.)
pub(crate) fn condition_key(matchers: &[ValueMatcher], deferred: bool) -> Option<Vec<u8>> {
    let mut key = vec![u8::from(deferred)];
    let mut piece = Vec::new();
    for m in matchers {
        piece.clear();
        matcher_bytes(m, &mut piece)?;
        key.extend_from_slice(&(piece.len() as u32).to_le_bytes());
        key.extend_from_slice(&piece);
    }
    Some(key)
}

/// One matcher's form: a tag byte, then its argument; an `anything-but`'s is a tag byte per
/// exclusion, each with its length and text.
fn matcher_bytes(matcher: &ValueMatcher, out: &mut Vec<u8>) -> Option<()> {
    let (tag, text) = match matcher {
        ValueMatcher::Literal(Literal::String(s)) => (1, s.as_str()),
        ValueMatcher::Literal(Literal::Number(n)) => (2, n.text()),
        ValueMatcher::Literal(Literal::Bool(b)) => (3 + u8::from(*b), ""),
        ValueMatcher::Literal(Literal::Null) => (5, ""),
        ValueMatcher::Prefix(p) => (6, p.as_str()),
        ValueMatcher::Suffix(p) => (7, p.as_str()),
        ValueMatcher::PrefixIgnoreCase(p) => (8, p.as_str()),
        ValueMatcher::SuffixIgnoreCase(p) => (9, p.as_str()),
        ValueMatcher::EqualsIgnoreCase(p) => (10, p.as_str()),
        ValueMatcher::Wildcard(w) => (11, w.source()),
        ValueMatcher::Exists(b) => (12 + u8::from(*b), ""),
        ValueMatcher::AnythingBut(exclusions) => {
            let mut item = |kind: u8, item: &str| {
                out.push(kind);
                out.extend_from_slice(&(item.len() as u32).to_le_bytes());
                out.extend_from_slice(item.as_bytes());
            };
            match exclusions {
                AnythingBut::Strings(l) => l.iter().for_each(|s| item(14, s)),
                AnythingBut::Numbers(l) => l.iter().for_each(|n| item(15, n.text())),
                AnythingBut::Prefixes(l) => l.iter().for_each(|s| item(16, s)),
                AnythingBut::Suffixes(l) => l.iter().for_each(|s| item(17, s)),
                AnythingBut::IgnoreCase(l) => l.iter().for_each(|s| item(18, s)),
                AnythingBut::Wildcards(l) => l.iter().for_each(|w| item(19, w.source())),
            }
            return Some(());
        }
        ValueMatcher::Numeric(_) | ValueMatcher::IpAddress { .. } | ValueMatcher::Cidr { .. } => {
            return None
        }
    };
    out.push(tag);
    out.extend_from_slice(text.as_bytes());
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Pattern;

    fn key(pattern: &str) -> Vec<u8> {
        let p = Pattern::parse(pattern).unwrap();
        condition_key(&p.sub_rules[0].fields[0].matchers, false).unwrap()
    }

    #[test]
    fn same_condition_same_key_and_different_ones_differ() {
        assert_eq!(key(r#"{"a": ["x", "y"]}"#), key(r#"{"a": [ "x","y" ]}"#));
        // Another order is another form (not shared; still correct).
        assert_ne!(key(r#"{"a": ["x", "y"]}"#), key(r#"{"a": ["y", "x"]}"#));
        for ranged in [
            r#"{"a": [{"numeric": [">", 1]}, "x"]}"#,
            r#"{"a": ["10.0.0.1", "x"]}"#,
            r#"{"a": [{"cidr": "10.0.0.0/8"}, "x"]}"#,
        ] {
            let p = Pattern::parse(ranged).unwrap();
            assert_eq!(
                condition_key(&p.sub_rules[0].fields[0].matchers, false),
                None
            );
        }
        let distinct = [
            r#"{"a": ["x", "y"]}"#,
            r#"{"a": ["xy"]}"#,
            r#"{"a": ["x", {"prefix": "y"}]}"#,
            r#"{"a": [{"prefix": "x"}, {"suffix": "y"}]}"#,
            r#"{"a": [{"anything-but": ["x", "y"]}]}"#,
            r#"{"a": [{"anything-but": ["xy"]}]}"#,
            r#"{"a": [{"anything-but": [1, 2]}]}"#,
            r#"{"a": [{"anything-but": {"prefix": "x"}}]}"#,
            r#"{"a": [{"anything-but": {"suffix": "x"}}]}"#,
            r#"{"a": [1, 2]}"#,
            r#"{"a": [true, null]}"#,
            r#"{"a": [false, null]}"#,
            r#"{"a": [{"exists": false}]}"#,
            r#"{"a": [{"exists": true}]}"#,
            r#"{"a": [{"wildcard": "x*"}, "y"]}"#,
        ];
        let keys: std::collections::BTreeSet<Vec<u8>> = distinct.iter().map(|p| key(p)).collect();
        assert_eq!(keys.len(), distinct.len());
        let p = Pattern::parse(r#"{"a": [{"anything-but": "x"}]}"#).unwrap();
        let matchers = &p.sub_rules[0].fields[0].matchers;
        assert_ne!(
            condition_key(matchers, false),
            condition_key(matchers, true)
        );
    }
}
