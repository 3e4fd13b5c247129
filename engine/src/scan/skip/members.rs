//! Fast-forwarding over the members of an object that no rule needs.
//!
//! Most members an event holds are unneeded, and in compact JSON most of them look alike:
//! `"key":"text",` or `"key":123,`. Read one at a time, each costs a vector scan per string and
//! a dozen byte checks. Here one classification of 64 bytes (where the quotes and backslashes
//! are) serves every member that fits in it: a member costs a few bit operations and its key's
//! lookup. Anything else (whitespace, escapes, containers, malformed input, a member that fits
//! in no window) is handed back to the ordinary reader at the member's key, which decides it as
//! it always did: this path only skips what that reader would skip, to the same place.
//!
//! Under full validation the same walk also vouches for everything it passes: the window then
//! also flags control characters and non-ASCII bytes, which (like backslashes) end what it
//! takes, so every key and string it passes is plain ASCII; numbers are checked against the
//! grammar, literals spelled out, and `:` `,` `}` are where the walk expects them. What it
//! cannot vouch for goes back to the reader, which checks it byte by byte.

use super::full::number_in_window;
use super::vector::{quotes64, scalar};

/// Where [`skip_unneeded_members`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberStop<T> {
    /// At the opening quote of a key this path did not take: the reader goes on from there.
    Key(usize),
    /// A key `lookup` knows: its closing quote is at `close`, and `found` is the lookup's answer.
    Needed { close: usize, found: T },
    /// The object ended: the index just past its `}`.
    Closed(usize),
}

/// The classified 64 bytes last loaded, kept across calls on one event: after a needed value
/// has been read, the next members are often still inside them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    start: usize,
    quotes: u64,
    /// Backslashes and, under full validation, control characters and non-ASCII bytes: the
    /// walk stops before the first one.
    stops: u64,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            start: usize::MAX,
            quotes: 0,
            stops: 0,
        }
    }
}

/// A window is reused while at least this many of its bytes lie at or after the key.
const REUSE_AT_LEAST: usize = 32;

/// `pos` is the opening quote of a key in an object. Skips the members whose key `lookup`
/// answers `None` for, while they are compact and plain (see the module docs), and says where it
/// stopped; `full` (full validation) also checks what it skips. `window` is the reader's, kept
/// across calls on one event (always with the same `full`).
#[inline]
pub(crate) fn skip_unneeded_members<T>(
    bytes: &[u8],
    mut pos: usize,
    window: &mut Window,
    full: bool,
    lookup: impl Fn(&[u8]) -> Option<T>,
) -> MemberStop<T> {
    let mut fresh = false;
    let reusable = pos
        .checked_sub(window.start)
        .is_some_and(|offset| offset <= 64 - REUSE_AT_LEAST);
    if !reusable {
        if !window.load(bytes, pos, full) {
            return MemberStop::Key(pos);
        }
        fresh = true;
    }
    loop {
        // The window holds 64 bytes of input (checked when it was loaded).
        let base = window.start;
        let block: &[u8; 64] = bytes[base..base + 64].try_into().unwrap();
        let at = |i: u32| block[(i & 63) as usize];
        let first_key = (pos - base) as u32;
        // The opening quote of the member's key, in the window.
        let mut key = first_key;
        // Bytes at and after the first backslash may be escaped (and, under full validation,
        // the first control or non-ASCII byte needs checking): nothing there is taken. The
        // last byte is left out too, so that the byte after a delimiter is always in the window.
        let limit = (window.stops & (u64::MAX << key)).trailing_zeros().min(63);
        // The quotes from the key's on, before `limit`, taken lowest first: finding the next
        // one is a single bit operation, so members' positions do not wait on one another.
        let mut rest = window.quotes & (u64::MAX << key) & !(u64::MAX << limit);
        // Each member is skipped, ends the search, or does not fit in what is left of the
        // window (`break`). The lowest quote left is the key's opening one.
        while rest != 0 {
            debug_assert_eq!(rest.trailing_zeros(), key);
            rest &= rest - 1;
            let close = rest.trailing_zeros();
            if rest == 0 {
                break;
            }
            rest &= rest - 1;
            let key_at = base + key as usize;
            if let Some(found) = lookup(&block[key as usize + 1..close as usize]) {
                return MemberStop::Needed {
                    close: base + close as usize,
                    found,
                };
            }
            // `:` right after the key, then the value and the byte after it.
            let value = close + 2;
            if value >= limit {
                break;
            }
            if at(close + 1) != b':' {
                return MemberStop::Key(key_at);
            }
            let after = match at(value) {
                // The value's quotes are the next two.
                b'"' => {
                    rest &= rest - 1;
                    let quote = rest.trailing_zeros();
                    if rest == 0 {
                        break;
                    }
                    rest &= rest - 1;
                    quote + 1
                }
                b'{' | b'[' => return MemberStop::Key(key_at),
                // A scalar ends where the reader's scalar scan ends it (under full validation,
                // where a well-formed one ends); `None` covers the cases it leaves to the general
                // code. Quotes inside it are passed over.
                _ => match if full {
                    checked_scalar(bytes, base + value as usize)
                } else {
                    scalar(bytes, base + value as usize)
                } {
                    Some(end) if end - base < limit as usize => {
                        let after = (end - base) as u32;
                        rest &= u64::MAX << after;
                        after
                    }
                    Some(_) => break,
                    None => return MemberStop::Key(key_at),
                },
            };
            if after >= limit {
                break;
            }
            match (at(after), at(after + 1)) {
                (b',', b'"') => key = after + 1,
                (b'}', _) => return MemberStop::Closed(base + after as usize + 1),
                // Whitespace, `]`, or an error: the reader's.
                _ => return MemberStop::Key(key_at),
            }
        }
        // The member at `key` goes on in a window loaded there, unless this one was: then it
        // fits in none, and the reader takes it.
        let key_at = base + key as usize;
        if fresh && key == first_key {
            return MemberStop::Key(key_at);
        }
        if !window.load(bytes, key_at, full) {
            return MemberStop::Key(key_at);
        }
        (pos, fresh) = (key_at, true);
    }
}

/// Full validation: `bytes[pos]` starts a value that is neither a string nor a container. The
/// index just past it when it is a well-formed number ending within the 32 bytes at `pos`, or a
/// literal; `None` otherwise (the reader then checks it). Whether the byte after it may follow a
/// value is the caller's check.
#[inline(always)]
fn checked_scalar(bytes: &[u8], pos: usize) -> Option<usize> {
    let word: &[u8] = match bytes.get(pos)? {
        b'-' | b'0'..=b'9' => return number_in_window(bytes, pos),
        b't' => b"true",
        b'f' => b"false",
        b'n' => b"null",
        _ => return None,
    };
    bytes[pos..].starts_with(word).then_some(pos + word.len())
}

impl Window {
    /// Classify the 64 bytes at `pos` (with `full`, flagging control characters and non-ASCII
    /// bytes too); `false` (and the window emptied) when fewer remain or the target has no
    /// vector instructions for it.
    #[inline]
    fn load(&mut self, bytes: &[u8], pos: usize, full: bool) -> bool {
        let masks = bytes
            .get(pos..pos.saturating_add(64))
            .and_then(|block| quotes64(block.try_into().ok()?, full));
        match masks {
            Some((quotes, stops)) => {
                *self = Window {
                    start: pos,
                    quotes,
                    stops,
                };
                true
            }
            None => {
                *self = Window::default();
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{scan_string, skip_value, skip_whitespace, SkipMode};
    use super::*;
    use proptest::prelude::*;

    /// What reading member by member, as the reader does in `mode`, finds from the key at
    /// `pos`: the members' key quotes in order, and how the object goes on after them (`None`:
    /// an error or the end of input, where the fast path must have handed over by then).
    fn member_by_member(
        bytes: &[u8],
        mut pos: usize,
        mode: SkipMode,
        needed: &impl Fn(&[u8]) -> Option<usize>,
    ) -> (Vec<usize>, Option<MemberStop<usize>>) {
        let mut keys = Vec::new();
        loop {
            if bytes.get(pos) != Some(&b'"') {
                return (keys, None);
            }
            keys.push(pos);
            let Ok((close, escaped)) = scan_string(bytes, pos + 1, mode) else {
                return (keys, None);
            };
            if escaped {
                return (keys, None);
            }
            if let Some(found) = needed(&bytes[pos + 1..close]) {
                return (keys, Some(MemberStop::Needed { close, found }));
            }
            let colon = skip_whitespace(bytes, close + 1);
            if bytes.get(colon) != Some(&b':') {
                return (keys, None);
            }
            let value = skip_whitespace(bytes, colon + 1);
            let Ok(end) = skip_value(bytes, value, 1, mode) else {
                return (keys, None);
            };
            let after = skip_whitespace(bytes, end);
            match bytes.get(after) {
                Some(b',') => pos = skip_whitespace(bytes, after + 1),
                Some(b'}') => return (keys, Some(MemberStop::Closed(after + 1))),
                _ => return (keys, None),
            }
        }
    }

    fn member() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("a"),
            Just("needed"),
            Just("needed.x"),
            Just("ne\\\"ded"),
            Just(""),
            Just("a long key that spans a good part of a window"),
        ];
        let value = prop_oneof![
            Just("\"text\""),
            Just("\"\""),
            Just("\"q\\\"uote\""),
            Just("12.5e3"),
            Just("-1"),
            Just("true"),
            Just("null"),
            Just("{\"in\":[1,{\"x\":\"}\"}]}"),
            Just("[]"),
            Just("tru\"e"),
            Just(""),
            Just("\"a rather long string value, to straddle windows now and then\""),
            // Wrong under full validation only.
            Just("01"),
            Just("1."),
            Just("-"),
            Just("1e"),
            Just("nul"),
            Just("truex"),
            Just("\"\u{1}\""),
            Just("\"caf\u{e9}\""),
            Just("\"\\x\""),
            Just("1.5e+3"),
        ];
        let space = prop_oneof![Just(""), Just(""), Just(""), Just(" "), Just("\n")];
        (space.clone(), key, space.clone(), value, space)
            .prop_map(|(s0, k, s1, v, s2)| format!("{s0}\"{k}\"{s1}:{v}{s2}"))
    }

    proptest::proptest! {
        /// The fast path stops at a member the reader reaches, or where the reader's walk ends
        /// (a needed key, the object's end), never anywhere else; under full validation it
        /// never passes what the reader would refuse.
        #[test]
        fn stops_where_the_reader_would(
            lead in 0usize..70,
            members in proptest::collection::vec(member(), 1..12),
            close in prop_oneof![Just("}"), Just("]"), Just(" }"), Just("")],
            tail in 0usize..80,
            preload in proptest::option::of(0usize..40),
            full in proptest::bool::ANY,
        ) {
            let mode = if full { SkipMode::Full } else { SkipMode::Structural };
            let text = format!("{}{}{}{}", " ".repeat(lead), members.join(","), close, "x".repeat(tail));
            let bytes = text.as_bytes();
            let needed = |key: &[u8]| key.starts_with(b"needed").then_some(key.len());
            // The reader starts at a key.
            let lead = skip_whitespace(bytes, lead);
            let (keys, end) = member_by_member(bytes, lead, mode, &needed);
            let mut window = Window::default();
            if let Some(back) = preload {
                // A window kept from an earlier call, loaded before the key.
                window.load(bytes, lead.saturating_sub(back), full);
            }
            match skip_unneeded_members(bytes, lead, &mut window, full, needed) {
                MemberStop::Key(at) => prop_assert!(keys.contains(&at), "{at} in {keys:?}"),
                stop => prop_assert_eq!(Some(stop), end),
            }
        }
    }
}
