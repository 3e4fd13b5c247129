//! Unicode case folding, the one notion of "ignoring case" used everywhere.
//!
//! Both the pattern and the event value are folded (Unicode full case folding, CaseFolding.txt
//! status C+F), then compared byte for byte. Folding is applied per character, so
//! `fold(a + b) == fold(a) + fold(b)`, which is what lets prefix and suffix forms work on folded
//! text. event-ruler folds the pattern side only, one UTF-16 unit at a time; SEMANTICS.md lists
//! where that goes wrong and why we do not follow it.

use caseless::Caseless;

/// The case fold of `text`.
pub(crate) fn fold(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    fold_into(text, &mut out);
    String::from_utf8(out).expect("case folding keeps UTF-8 valid")
}

/// Append the case fold of `text`, as UTF-8, to `out` (lets hot paths reuse one buffer).
#[inline]
pub(crate) fn fold_into(text: &str, out: &mut Vec<u8>) {
    if text.is_ascii() {
        fold_ascii_into(text.as_bytes(), out);
    } else {
        let mut utf8 = [0; 4];
        for c in text.chars().default_case_fold() {
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
}

/// [`fold_into`] for text known to be ASCII, where folding is lowercasing: eight bytes at a
/// time, always whole words (a short or ragged end is read in pieces or as the last eight bytes
/// again, and written whole before the length is trimmed), so no byte-sized loop or copy runs.
#[inline]
pub(crate) fn fold_ascii_into(ascii: &[u8], out: &mut Vec<u8>) {
    debug_assert!(ascii.is_ascii());
    let end = out.len() + ascii.len();
    out.reserve(ascii.len() + 8);
    let mut words = ascii.chunks_exact(8);
    for word in &mut words {
        let w = lowercase_word(u64::from_le_bytes(word.try_into().unwrap()));
        out.extend_from_slice(&w.to_le_bytes());
    }
    let tail = words.remainder();
    if tail.is_empty() {
        return;
    }
    let last = match ascii.len().checked_sub(8) {
        // The last eight bytes, overlapping what was written: rewrite them whole.
        Some(from) => {
            out.truncate(end - 8);
            u64::from_le_bytes(ascii[from..].try_into().unwrap())
        }
        None => short_word(tail),
    };
    out.extend_from_slice(&lowercase_word(last).to_le_bytes());
    out.truncate(end);
}

/// The longest text [`fold_short_ascii`] folds.
pub(crate) const SHORT: usize = 64;

/// The buffer [`fold_short_ascii`] folds into: room for a last whole word past [`SHORT`].
pub(crate) type ShortBuffer = [u8; SHORT + 8];

/// [`fold_ascii_into`] for at most [`SHORT`] bytes, into a fixed buffer (on the stack): whole
/// words, no capacity checks, nothing to call.
#[inline(always)]
pub(crate) fn fold_short_ascii<'b>(ascii: &[u8], buffer: &'b mut ShortBuffer) -> &'b [u8] {
    debug_assert!(ascii.len() <= SHORT && ascii.is_ascii());
    let len = ascii.len().min(SHORT);
    let mut at = 0;
    while at + 8 <= len {
        let word = u64::from_le_bytes(ascii[at..at + 8].try_into().unwrap());
        buffer[at..at + 8].copy_from_slice(&lowercase_word(word).to_le_bytes());
        at += 8;
    }
    if at < len {
        // The last eight bytes again (overlapping), or all of a short text, zero-padded.
        let (to, word) = match len.checked_sub(8) {
            Some(from) => (
                from,
                u64::from_le_bytes(ascii[from..len].try_into().unwrap()),
            ),
            None => (0, short_word(&ascii[..len])),
        };
        buffer[to..to + 8].copy_from_slice(&lowercase_word(word).to_le_bytes());
    }
    &buffer[..len]
}

/// Fewer than eight bytes as a word, zero-padded (zero bytes stay zero when lowercased), with
/// overlapping loads rather than a branch per length bit: value lengths vary from one event to
/// the next, and mispredicted branches would cost more than the loads.
#[inline(always)]
fn short_word(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    if len >= 4 {
        let head = u32::from_le_bytes(bytes[..4].try_into().unwrap());
        let tail = u32::from_le_bytes(bytes[len - 4..].try_into().unwrap());
        // The two halves overlap where `len < 8`; overlapping bytes are equal, so OR is exact.
        u64::from(head) | u64::from(tail) << (8 * (len - 4))
    } else if len > 0 {
        // First, middle and last byte: for lengths 1 to 3 they cover every byte.
        u64::from(bytes[0])
            | u64::from(bytes[len / 2]) << (8 * (len / 2))
            | u64::from(bytes[len - 1]) << (8 * (len - 1))
    } else {
        0
    }
}

/// Eight ASCII bytes lowercased.
#[inline(always)]
fn lowercase_word(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Every byte is below 0x80, so the sums stay within each byte: the high bit says
    // `>= b'A'` in the first and `> b'Z'` in the second.
    let upper = (w + ONES * (0x80 - u64::from(b'A'))) & !(w + ONES * (0x7f - u64::from(b'Z')));
    w | (upper & (ONES * 0x80)) >> 2
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_variants_together() {
        assert_eq!(fold("EvB"), "evb");
        assert_eq!(fold("ß"), fold("SS"));
        assert_eq!(fold("ß"), fold("ss"));
        assert_eq!(fold("σ"), fold("ς"));
        assert_eq!(fold("Σ"), fold("ς"));
        assert_eq!(fold("ÉCOLE"), fold("école"));
        assert_eq!(fold("😀"), "😀");
        assert_ne!(fold("a"), fold("b"));
    }

    #[test]
    fn ascii_folds_like_bytes_at_every_length() {
        // Every ASCII byte in every position of a word, cut at every length, after text
        // already in the buffer.
        let all: Vec<u8> = (0..128u8)
            .chain(0..128)
            .chain(b"AZaz@[`{".iter().copied())
            .collect();
        for len in 0..all.len() {
            let mut out = b"Kept".to_vec();
            super::fold_ascii_into(&all[..len], &mut out);
            assert_eq!(out[..4], *b"Kept");
            assert_eq!(out[4..], all[..len].to_ascii_lowercase(), "length {len}");
        }
    }

    #[test]
    fn short_ascii_folds_like_bytes_at_every_length() {
        let all: Vec<u8> = (0..128u8)
            .rev()
            .chain(b"AZaz@[`{".iter().copied())
            .collect();
        for start in [0, 5, 64] {
            for len in 0..=super::SHORT {
                let text = &all[start..start + len];
                let mut buffer = [0xAA; super::SHORT + 8];
                let folded = super::fold_short_ascii(text, &mut buffer);
                assert_eq!(folded, text.to_ascii_lowercase(), "length {len}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fold_is_idempotent_and_per_char(a in "\\PC{0,8}", b in "\\PC{0,8}") {
            proptest::prop_assert_eq!(fold(&fold(&a)), fold(&a));
            proptest::prop_assert_eq!(fold(&format!("{a}{b}")), format!("{}{}", fold(&a), fold(&b)));
        }
    }
}
