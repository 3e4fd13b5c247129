//! Full mode a block at a time: a skipped container checked from one classification of each
//! 64 bytes, as simdjson's stage 1 and 2 do it, instead of a byte-by-byte state machine.
//!
//! Each block is classified once (quotes, backslashes, structural characters `{}[]:,`, spaces,
//! control characters, non-ASCII bytes, and the bytes of numbers: [`Masks`]; AVX-512 BW, AVX2 or
//! 16-byte lanes). From the masks, with a few bit operations:
//!
//! - escaped bytes (the odd-backslash-run trick) and so the real quotes, and by a prefix XOR of
//!   those which bytes are inside strings;
//! - the bytes that are wrong wherever they are: control characters inside strings, control
//!   characters other than `\t` `\n` `\r` outside, backslashes and non-ASCII bytes outside;
//! - the tokens: structural characters outside strings, opening quotes, and the first byte of
//!   each run of other bytes outside strings (a number or a literal);
//! - the number grammar, for every number of the block at once ([`numbers`]);
//! - the token order: what may follow each kind of token, past whitespace.
//!
//! Bracket kinds are followed by a walk over the brackets alone; literals, and a number running
//! into the next block, go to the scanner; escapes are checked one by one (they are rare), and
//! non-ASCII text by `simdutf8` over the container once it has closed.
//!
//! This path only ever says "valid, and the container ends here": for anything else (an error,
//! deep nesting, the end of the input, a target without vectors) it answers `None` and the
//! byte-by-byte validator ([`super::full`]) decides from the container's start, with its exact
//! offsets and reasons. So it may give up whenever it likes, but it must never accept what that
//! validator refuses, nor end a container elsewhere; the tests compare the two on valid and
//! corrupted documents.

use super::full::{escape, number_in_window, scan_number_bytewise};
use super::{byte_at, vector};

/// One 64-byte block, classified: bit i is byte i.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Masks {
    /// `"`
    pub(super) quote: u64,
    /// `\`
    pub(super) backslash: u64,
    /// `{` `[`
    pub(super) open: u64,
    /// `}` `]`
    pub(super) close: u64,
    /// `{` `}`
    pub(super) curly: u64,
    /// `:`
    pub(super) colon: u64,
    /// `,`
    pub(super) comma: u64,
    /// ` `
    pub(super) space: u64,
    /// Bytes below 0x20.
    pub(super) control: u64,
    /// Bytes from 0x80.
    pub(super) high: u64,
    /// `0`-`9`
    pub(super) digit: u64,
    /// `0`
    pub(super) zero: u64,
    /// `-`
    pub(super) minus: u64,
    /// `+`
    pub(super) plus: u64,
    /// `.`
    pub(super) dot: u64,
    /// `e` `E`
    pub(super) exponent: u64,
}

/// How blocks are classified and prefix-XORed on one target.
pub(super) trait Classify {
    /// `None` when this target has no vector instructions for it.
    fn classify(block: &[u8; 64]) -> Option<Masks>;
    /// Bit i of the result is the XOR of bits 0..=i of `x`.
    fn prefix_xor(x: u64) -> u64;
}

/// The portable classifier: 16-byte vectors (SSE2 on x86_64, simd128 on wasm32), a shift-XOR
/// ladder for the prefix XOR.
pub(super) struct Lanes;

impl Classify for Lanes {
    #[inline(always)]
    fn classify(block: &[u8; 64]) -> Option<Masks> {
        vector::classify64(block)
    }

    #[inline(always)]
    fn prefix_xor(mut x: u64) -> u64 {
        x ^= x << 1;
        x ^= x << 2;
        x ^= x << 4;
        x ^= x << 8;
        x ^= x << 16;
        x ^= x << 32;
        x
    }
}

/// The bytes that continue a number or a literal outside strings: printable ASCII other than
/// space, `"`, `\` and the structural characters. A number or literal must not be followed by
/// one.
static SCALAR_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b < 0x80 {
        table[b] = !matches!(
            b as u8,
            b'"' | b'\\' | b'{' | b'}' | b'[' | b']' | b':' | b','
        );
        b += 1;
    }
    table
};

/// `bytes[start]` is `{` or `[`; `room` (>= 1 for any use) is how many containers may be open,
/// this one included. The index just past the container when it is valid JSON (exactly as
/// [`super::full`] checks it) and ends in the input; `None` when it is not, or when this path
/// leaves the decision to the byte-by-byte validator.
///
/// Not on wasm32: there the 64-bit mask algebra costs about what the byte-by-byte check does,
/// and turning it on measured 6 % slower over the citylots categories in Node (3 % in
/// Chromium) for 2.2 KB more gzipped. The portable classifier builds and is tested there
/// (`scripts/test-wasi.sh`) all the same.
#[inline]
pub(super) fn validate_container(bytes: &[u8], start: usize, room: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(result) = super::avx512::validate_container(bytes, start, room)
        .or_else(|| super::avx2::validate_container(bytes, start, room))
    {
        return result;
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (bytes, start, room);
        None
    }
    #[cfg(not(target_arch = "wasm32"))]
    validate_blocks::<Lanes>(bytes, start, room)
}

/// A number or literal starts at `at` (a scalar byte outside strings): it must be well formed
/// and followed by something that is not a scalar byte.
#[inline(always)]
fn scalar(bytes: &[u8], at: usize) -> Result<(), ()> {
    let end = match byte_at(bytes, at) {
        b'-' | b'0'..=b'9' => match number_in_window(bytes, at) {
            Some(end) => end,
            None => scan_number_bytewise(bytes, at).map_err(|_| ())?,
        },
        b't' => literal(bytes, at, b"true")?,
        b'f' => literal(bytes, at, b"false")?,
        b'n' => literal(bytes, at, b"null")?,
        _ => return Err(()),
    };
    if SCALAR_BYTE[byte_at(bytes, end) as usize] {
        return Err(());
    }
    Ok(())
}

#[inline(always)]
fn literal(bytes: &[u8], at: usize, word: &[u8]) -> Result<usize, ()> {
    match bytes.get(at..at + word.len()) {
        Some(found) if found == word => Ok(at + word.len()),
        _ => Err(()),
    }
}

/// simdjson's escape scanner. `backslash` flags the backslashes of a 64-byte block; `carry` is 1
/// when the previous block's last byte was an escaping backslash. Returns the bytes that are
/// escaped (preceded by an odd run of backslashes) and updates the carry.
#[inline(always)]
pub(super) fn escaped_bytes(backslash: u64, carry: &mut u64) -> u64 {
    const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    if backslash == 0 {
        return std::mem::take(carry);
    }
    // Backslashes that start an escape unless escaped themselves: the first of the block is
    // escaped if the carry says so.
    let potential_escape = backslash & !*carry;
    // Subtracting each run's start from (run shifted left | odd bits) carries through runs that
    // start on an even bit; xor-ing the odd bits back leaves, for every run, alternating escape
    // bits and, after an odd-length run, the escaped byte.
    let maybe_escaped = potential_escape << 1;
    let escape_and_terminal_code =
        (maybe_escaped | ODD_BITS).wrapping_sub(potential_escape) ^ ODD_BITS;
    let escaped = escape_and_terminal_code ^ (backslash | *carry);
    let escape = escape_and_terminal_code & backslash;
    *carry = escape >> 63;
    escaped
}

/// The escapes starting in a block (`starts`, the unescaped backslashes inside strings), checked
/// one by one; `until` is where the last checked escape ended (a surrogate pair's second half is
/// part of it). Returns the bit of the first bad one, or 0.
#[cold]
fn escape_errors(bytes: &[u8], base: usize, mut starts: u64, until: &mut usize) -> u64 {
    while starts != 0 {
        let k = starts.trailing_zeros();
        let at = base + k as usize;
        if at >= *until {
            match escape(bytes, at + 1) {
                Ok(end) => *until = end,
                Err(_) => return 1 << k,
            }
        }
        starts &= starts - 1;
    }
    0
}

/// Whether `text` is valid UTF-8: simdutf8 (AVX2 / SSE4.2 detected at run time) natively; on
/// wasm32 the standard library's check, already in the module (the block validator is off
/// there; see [`validate_container`]).
#[inline]
fn utf8(text: &[u8]) -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    return simdutf8::basic::from_utf8(text).is_ok();
    #[cfg(target_arch = "wasm32")]
    return std::str::from_utf8(text).is_ok();
}

/// Deeper nesting inside one validated container is left to the byte-by-byte validator.
const MAX_NEST: usize = 64;

/// The bits below `n` (all of them from 64 on).
#[inline(always)]
fn below(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// The positions whose previous byte other than whitespace (`w`) is in `x`; `carry` says the
/// previous block's last such byte was in `x`, and is updated for the next block. A run of
/// whitespace after a byte of `x` is crossed by the carry of one addition.
#[inline(always)]
fn follow(x: u64, w: u64, carry: &mut u64) -> u64 {
    let (sum, overflow) = ((x << 1) | *carry).overflowing_add(w);
    *carry = (x >> 63) | u64::from(overflow);
    sum & !w
}

/// What the follow sets carry from one block to the next (see [`follow`]).
#[derive(Default)]
struct Follows {
    after_open_object: u64,
    after_open_array: u64,
    after_value_separator: u64,
    after_member_separator: u64,
    after_key: u64,
    after_value: u64,
}

/// The open containers' kinds.
struct Nesting {
    /// Open containers (the validated one included), at most [`MAX_NEST`].
    nest: usize,
    /// A stack of kinds, innermost at bit 0: bit n set when the container n levels out from
    /// the innermost is an object.
    kinds: u64,
}

impl Nesting {
    /// Whether the innermost open container is an object: all ones or all zeros.
    #[inline(always)]
    fn in_object(&self) -> u64 {
        (self.kinds & 1).wrapping_neg()
    }

    /// Follows the brackets of a block (`open`, `close`, `curly`: outside strings). Returns
    /// where the innermost container's kind changes (bit k set: byte k's innermost container is
    /// of the other kind than byte k - 1's, a bracket belonging to the container it opens or
    /// closes) and, if the validated container closes in this block, the index just past it.
    /// `Err(())`: a bracket of the wrong kind closes, or nesting too deep for this path.
    #[inline(always)]
    fn brackets(
        &mut self,
        open: u64,
        close: u64,
        curly: u64,
        room: usize,
    ) -> Result<(u64, Option<usize>), ()> {
        let limit = room.min(MAX_NEST);
        let mut changes = 0u64;
        let mut brackets = open | close;
        while brackets != 0 {
            let k = brackets.trailing_zeros();
            brackets &= brackets - 1;
            let object = (curly >> k) & 1;
            if (open >> k) & 1 != 0 {
                if self.nest >= limit {
                    return Err(());
                }
                changes |= ((self.kinds ^ object) & 1) << k;
                self.kinds = (self.kinds << 1) | object;
                self.nest += 1;
            } else {
                if (self.kinds ^ object) & 1 != 0 {
                    return Err(());
                }
                self.kinds >>= 1;
                self.nest -= 1;
                if self.nest == 0 {
                    return Ok((changes, Some(k as usize + 1)));
                }
                // The next byte is in the container around (past the block when k is 63).
                changes |= (((self.kinds ^ object) & 1) << k) << 1;
            }
        }
        Ok((changes, None))
    }
}

/// The numbers of a block checked from its masks, all at once: `scalars` are the bytes of
/// numbers and literals (outside strings), `starts` the first bytes of their runs that start in
/// this block. Returns the bytes that break the number grammar
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`) and the run starts left to [`scalar`]:
/// literals (and anything else not starting like a number), and the run reaching the block's
/// last byte, which may go on in the next block ([`scalar`] reads past the block; a run carried
/// in from the previous block was checked there the same way).
///
/// A run is a number when it starts with a digit or `-` and each of its bytes is allowed where
/// it is: `-` first or after the exponent's `e`, `+` only there, and a sign before a digit; `.`
/// after an integer part's digit and before a digit; `e` after an integer or fraction digit and
/// before a digit or sign; the run ends in a digit; an integer part's leading `0` is not followed
/// by a digit. Which part a digit is in follows from what comes before its run of digits (the
/// number's start or its `-`: integer part; `.`: fraction), spread over the run by one addition.
/// These local rules admit exactly the grammar: after the integer part only `.` or `e` may come,
/// after a fraction only `e`, after an exponent nothing.
#[inline(always)]
fn numbers(m: &Masks, scalars: u64, starts: u64) -> (u64, u64) {
    // The class masks are not narrowed to the numbers: a number's neighbours are outside
    // strings and not scalar bytes, so nothing from elsewhere runs into it; `bad` is narrowed at
    // the end instead.
    let Masks {
        digit,
        zero,
        minus,
        plus,
        dot,
        exponent,
        ..
    } = *m;
    // The run reaching bit 63 (the leading ones of `scalars`).
    let ones = (!scalars).leading_zeros();
    let last_run = if ones == 0 {
        0
    } else {
        u64::MAX << (64 - ones)
    };
    let number_starts = starts & (digit | minus) & !last_run;
    let unchecked = starts & !number_starts;
    // The bytes of the runs that start at `number_starts`: adding a run's lowest bit clears it.
    // None reaches bit 63, so nothing carries out.
    let number = scalars & !scalars.wrapping_add(number_starts);
    let digit_starts = digit & !(digit << 1);
    let integer_starts = digit_starts & (number_starts | ((minus & number_starts) << 1));
    let fraction_starts = digit_starts & (dot << 1);
    let integer = digit & !digit.wrapping_add(integer_starts);
    let fraction = digit & !digit.wrapping_add(fraction_starts);
    let before_digit = digit >> 1;
    // Every byte that is not a digit is followed by a digit, or a sign after `e`: so the run
    // also ends in a digit.
    let mut bad = !(digit | minus | plus | dot | exponent);
    bad |= (minus | plus | dot) & !before_digit;
    bad |= exponent & !((digit | minus | plus) >> 1);
    bad |= minus & !(number_starts | (exponent << 1));
    bad |= plus & !(exponent << 1);
    bad |= dot & !(integer << 1);
    bad |= exponent & !((integer | fraction) << 1);
    bad |= integer_starts & zero & before_digit;
    (bad & number, unchecked)
}

/// The control characters of a block: those that are errors (all of them inside strings, all
/// but `\t` `\n` `\r` outside), and the whitespace among them.
#[cold]
fn controls(block: &[u8; 64], control: u64, inside: u64) -> (u64, u64) {
    let mut bad = control & inside;
    let mut whitespace = 0;
    let mut outside = control & !inside;
    while outside != 0 {
        let k = outside.trailing_zeros();
        if matches!(block[k as usize], b'\t' | b'\n' | b'\r') {
            whitespace |= 1 << k;
        } else {
            bad |= 1 << k;
        }
        outside &= outside - 1;
    }
    (bad, whitespace)
}

/// [`validate_container`] with the classifier `C`.
///
/// The grammar is checked on whole blocks: every token (a structural character outside
/// strings, an opening quote, the first byte of a number or literal) must follow, past any
/// whitespace, something it may follow: after `{` a key or `}`; after `[` a value or `]`; after
/// `:` and after `,` in an array a value; after `,` in an object a key; after a key `:`; after a
/// value `,` or a closing bracket. Which `,` are in objects and which brackets match comes from
/// a walk over the brackets alone; which strings are keys from where they start (after `{`, or
/// `,` in an object), carried to their closing quotes by one addition.
#[inline(always)]
pub(super) fn validate_blocks<C: Classify>(
    bytes: &[u8],
    start: usize,
    room: usize,
) -> Option<usize> {
    debug_assert!(matches!(bytes.get(start), Some(b'{' | b'[')));
    let mut nesting = Nesting { nest: 0, kinds: 0 };
    let mut follows = Follows::default();
    // All ones when the previous block ended inside a string.
    let mut in_string = 0u64;
    // 1 when the previous block ended with an escaping backslash.
    let mut escape_carry = 0u64;
    // 1 when the previous block ended inside a number or literal.
    let mut scalar_carry = 0u64;
    // 1 when the previous block ended inside a key.
    let mut key_carry = 0u64;
    // Where the last checked escape ended.
    let mut escapes_until = 0usize;
    // Whether a string holds a non-ASCII byte: then the text is checked as UTF-8 at the end.
    let mut non_ascii = false;
    let mut base = start;
    let mut padded: [u8; 64];
    loop {
        let rest = bytes.get(base..)?;
        let block: &[u8; 64] = match rest.first_chunk() {
            Some(block) => block,
            None => {
                if rest.is_empty() {
                    return None;
                }
                // The last, partial block: spaces are neither tokens nor errors, and the
                // container cannot close among them.
                padded = [b' '; 64];
                padded[..rest.len()].copy_from_slice(rest);
                &padded
            }
        };
        let m = C::classify(block)?;
        let escaped = escaped_bytes(m.backslash, &mut escape_carry);
        let quotes = m.quote & !escaped;
        // Bit i set: byte i is inside a string (its opening quote included, its closing one not).
        let inside = C::prefix_xor(quotes) ^ in_string;
        in_string = ((inside as i64) >> 63) as u64;
        let outside = !inside;
        let opening = quotes & inside;
        let closing = quotes & outside;
        let mut errors = (m.high | m.backslash) & outside;
        let mut whitespace = m.space & outside;
        if m.control != 0 {
            let (bad, controls) = controls(block, m.control, inside);
            errors |= bad;
            whitespace |= controls;
        }
        non_ascii |= m.high & inside != 0;
        let escape_starts = m.backslash & !escaped & inside;
        if escape_starts != 0 {
            errors |= escape_errors(bytes, base, escape_starts, &mut escapes_until);
        }
        let scalars = outside
            & !(m.open | m.close | m.colon | m.comma | m.quote | m.backslash)
            & !(m.space | m.control | m.high);
        let scalar_starts = scalars & !((scalars << 1) | scalar_carry);
        scalar_carry = scalars >> 63;
        let (bad_numbers, unchecked) = numbers(&m, scalars, scalar_starts);
        errors |= bad_numbers;

        let open = m.open & outside;
        let close = m.close & outside;
        // Bit i set: byte i's innermost container is an object.
        let in_object = nesting.in_object();
        let (changes, end) = nesting.brackets(open, close, m.curly, room).ok()?;
        let objects = C::prefix_xor(changes) ^ in_object;
        let in_block = end.map_or(u64::MAX, below);
        if errors & in_block != 0 {
            return None;
        }
        let colon = m.colon & outside;
        let comma = m.comma & outside;
        let value_starts = open | opening | scalar_starts;
        let tokens = value_starts | close | colon | comma;
        let f = &mut follows;
        let after_open_object = follow(open & m.curly, whitespace, &mut f.after_open_object);
        let after_open_array = follow(open & !m.curly, whitespace, &mut f.after_open_array);
        let after_value_separator = follow(
            colon | (comma & !objects),
            whitespace,
            &mut f.after_value_separator,
        );
        let after_member_separator =
            follow(comma & objects, whitespace, &mut f.after_member_separator);
        // Keys: the strings opening after `{` or a member's `,`, carried to their closing quotes.
        let key_openings = opening & (after_open_object | after_member_separator);
        let (sum, overflow) = inside.overflowing_add(key_openings | key_carry);
        key_carry = u64::from(overflow);
        let key_closings = sum & closing;
        let after_key = follow(key_closings, whitespace, &mut f.after_key);
        let value_ends = (closing & !key_closings) | scalars | close;
        let after_value = follow(value_ends, whitespace, &mut f.after_value);
        let wrong = (after_open_object & !(opening | close))
            | (after_open_array & !(value_starts | close))
            | (after_value_separator & !value_starts)
            | (after_member_separator & !opening)
            | (after_key & !colon)
            | (after_value & !(comma | close));
        if wrong & tokens & in_block != 0 {
            return None;
        }
        let mut unchecked = unchecked & in_block;
        while unchecked != 0 {
            let k = unchecked.trailing_zeros() as usize;
            unchecked &= unchecked - 1;
            scalar(bytes, base + k).ok()?;
        }
        if let Some(end) = end {
            let end = base + end;
            if non_ascii && !utf8(&bytes[start..end]) {
                return None;
            }
            return Some(end);
        }
        base += 64;
    }
}

/// The fuzz target `validate`'s check (see `fuzz/src/validate.rs`): on `bytes` as a document,
/// the full-mode skipper gives `json::parse`'s verdict (offset and reason included), and the
/// block validator, on the container the document starts with, accepts only what the
/// byte-by-byte validator and `json::parse` accept, ending it at the same place. `Err` describes
/// a disagreement.
pub(crate) fn check_against_json_parse(bytes: &[u8]) -> Result<(), String> {
    use super::{skip_value, skip_whitespace, ScanError, SkipMode};
    use crate::json::{self, JsonError};
    use crate::limits::MAX_DEPTH;
    let start = skip_whitespace(bytes, 0);
    let skipped = skip_value(bytes, start, 0, SkipMode::Full).and_then(|end| {
        let rest = skip_whitespace(bytes, end);
        if rest == bytes.len() {
            Ok(())
        } else {
            Err(super::error(
                rest,
                "trailing characters after the JSON value",
            ))
        }
    });
    let parsed = match json::parse(bytes) {
        Ok(_) => Ok(()),
        Err(JsonError::Syntax { offset, reason }) => Err(ScanError::Syntax { offset, reason }),
        Err(JsonError::TooDeep) => Err(ScanError::TooDeep),
    };
    if skipped != parsed {
        return Err(format!("skipper {skipped:?}, json::parse {parsed:?}"));
    }
    if matches!(bytes.get(start), Some(b'{' | b'[')) {
        #[cfg(target_arch = "x86_64")]
        let native = [
            super::avx512::validate_container(bytes, start, MAX_DEPTH),
            super::avx2::validate_container(bytes, start, MAX_DEPTH),
        ];
        #[cfg(not(target_arch = "x86_64"))]
        let native: [Option<Option<usize>>; 0] = [];
        let portable = validate_blocks::<Lanes>(bytes, start, MAX_DEPTH);
        for answer in std::iter::once(portable).chain(native.into_iter().flatten()) {
            let Some(end) = answer else { continue };
            let bytewise = super::full::skip_container_bytewise(bytes, start, MAX_DEPTH);
            if bytewise != Ok(end) {
                return Err(format!(
                    "block validator ends at {end}, byte by byte {bytewise:?}"
                ));
            }
            if let Err(e) = json::parse(&bytes[start..end]) {
                return Err(format!(
                    "block validator accepts {start}..{end}, json::parse {e:?}"
                ));
            }
        }
    }
    Ok(())
}
