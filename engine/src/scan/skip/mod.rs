//! Skipping JSON values without building them.
//!
//! The matcher reads only the fields some rule needs; everything else is skipped here, without
//! allocating and without recursion. Two levels of checking:
//!
//! * [`SkipMode::Full`] checks every byte against RFC 8259, exactly as [`crate::json::parse`]
//!   does (same grammar, same string rules, same depth bound, and the same error offsets and
//!   reasons), so an event that is skipped is still an event that would parse.
//! * [`SkipMode::Structural`] only finds where a value ends: strings are delimited by unescaped
//!   quotes, brackets nest (kinds are not matched), scalars run to the next delimiter. On x86_64
//!   with AVX2 containers are skipped 64 bytes at a time by a simdjson-style kernel (bitmasks of
//!   quotes, backslashes and brackets; escapes by the odd-backslash-run trick; strings by a
//!   carry-less-multiply prefix XOR; depth by popcounts, walking bits only when the container may
//!   close or get too deep in the block). Everywhere else a portable word-at-a-time loop does the
//!   same job with the same results.
//!
//! # Depth
//!
//! `depth` is the number of containers already open around the value. A container starting at
//! `pos` is at depth `depth + 1`, its children at `depth + 2`, and so on; a container whose depth
//! would exceed [`MAX_DEPTH`] is [`ScanError::TooDeep`], in both modes. This is what
//! [`crate::json::parse`] counts (its top-level value is read at depth 0 and a top-level container
//! is level 1), so `skip_value(bytes, 0, 0, Full)` accepts 1,000 nested arrays and refuses 1,001,
//! exactly like `json::parse`.

use crate::limits::MAX_DEPTH;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod full;
mod members;
mod structural;
#[cfg(test)]
mod tests;
mod validate;
#[cfg(test)]
mod validate_tests;
mod vector;

use full::{scan_number_full, scan_string_full, skip_value_full};
pub(crate) use members::{skip_unneeded_members, MemberStop, Window};
pub(crate) use structural::skip_rest_structural;
use structural::{scalar_end, scan_string_structural, skip_value_structural};
pub(crate) use validate::check_against_json_parse;

/// How much of a skipped region is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SkipMode {
    /// Every byte is checked: RFC 8259 grammar (literals, numbers, commas and colons, string
    /// keys, matching bracket kinds); strings hold no raw control characters, only valid escapes
    /// (a `\u` escape of a lone surrogate is an error) and valid UTF-8. Same verdicts, offsets and
    /// reasons as [`crate::json::parse`].
    Full,
    /// Only what is needed to find the end: strings are delimited by unescaped quotes (a
    /// backslash escapes the next byte, inside or outside strings), brackets `{[` / `}]` nest
    /// (kinds are not matched), scalars end at the next `,` `}` `]` or whitespace. Nothing else is
    /// checked.
    Structural,
}

/// Why a value could not be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    /// Malformed input; `offset` is the byte where the problem was seen.
    Syntax { offset: usize, reason: &'static str },
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
}

#[cold]
fn error(offset: usize, reason: &'static str) -> ScanError {
    ScanError::Syntax { offset, reason }
}

const END_OF_INPUT: &str = "unexpected end of input";
const UNTERMINATED_STRING: &str = "unterminated string";

/// `bytes[pos]` is the first byte of a JSON value (no leading whitespace). Returns the index just
/// past the value.
///
/// `depth` is the number of containers already open around `pos` (0 for a document's top-level
/// value); a container here is at depth `depth + 1`, and one whose depth would exceed
/// [`MAX_DEPTH`] is [`ScanError::TooDeep`] in both modes (see the module docs).
///
/// In [`SkipMode::Structural`] a scalar that is not a string ends at the next `,` `}` `]` or
/// whitespace (or the end of input); an empty one (`bytes[pos]` is one of those, or `pos` is at
/// the end) is a syntax error, so a returned index is always past `pos`. Running out of input
/// inside a container or string is a syntax error in both modes. Never panics (also for `pos`
/// past the end), never recurses, linear time.
#[inline]
pub(crate) fn skip_value(
    bytes: &[u8],
    pos: usize,
    depth: usize,
    mode: SkipMode,
) -> Result<usize, ScanError> {
    // The common case inlined: a short scalar in structural mode.
    if mode == SkipMode::Structural {
        if let Some(end) = vector::scalar(bytes, pos) {
            return Ok(end);
        }
    }
    skip_value_general(bytes, pos, depth, mode)
}

/// [`skip_value`] without the inlined fast path.
#[inline(never)]
fn skip_value_general(
    bytes: &[u8],
    pos: usize,
    depth: usize,
    mode: SkipMode,
) -> Result<usize, ScanError> {
    match mode {
        SkipMode::Full => skip_value_full(bytes, pos, depth),
        SkipMode::Structural => skip_value_structural(bytes, pos, depth),
    }
}

/// `pos` is just after an opening quote. Returns (index of the closing quote, whether the string
/// contains any backslash escape). [`SkipMode::Full`] validates the content (escapes, surrogate
/// pairs, control characters, UTF-8) like [`crate::json::parse`]; [`SkipMode::Structural`] only
/// finds the closing quote.
#[inline]
pub(crate) fn scan_string(
    bytes: &[u8],
    pos: usize,
    mode: SkipMode,
) -> Result<(usize, bool), ScanError> {
    // The common case inlined: a short string without escapes (and, in full mode, without
    // control characters or non-ASCII bytes) whose closing quote is in the next 16 bytes.
    if let Some(close) = vector::plain_string(bytes, pos, mode == SkipMode::Full) {
        return Ok((close, false));
    }
    scan_string_general(bytes, pos, mode)
}

/// [`scan_string`] in full mode, for a string value about to be matched: also says whether the
/// string is known to be plain ASCII (no escapes, nothing below 0x20 or above 0x7f), which the
/// inlined fast path finds out for free; `false` means "not known", not "not ASCII".
#[inline]
pub(crate) fn scan_string_value(
    bytes: &[u8],
    pos: usize,
) -> Result<(usize, bool, bool), ScanError> {
    if let Some(close) = vector::plain_string(bytes, pos, true) {
        return Ok((close, false, true));
    }
    let (close, escaped) = scan_string_general(bytes, pos, SkipMode::Full)?;
    Ok((close, escaped, false))
}

/// [`scan_string`] without the inlined fast path: long strings, escapes, non-ASCII, errors,
/// and strings near the end of the input.
#[cold]
#[inline(never)]
fn scan_string_general(
    bytes: &[u8],
    pos: usize,
    mode: SkipMode,
) -> Result<(usize, bool), ScanError> {
    if pos > bytes.len() {
        return Err(error(bytes.len(), UNTERMINATED_STRING));
    }
    match mode {
        SkipMode::Full => scan_string_full(bytes, pos),
        SkipMode::Structural => scan_string_structural(bytes, pos),
    }
}

/// `pos` is the first byte of a number. [`SkipMode::Full`] checks the JSON number grammar
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`) and returns the index just past it;
/// [`SkipMode::Structural`] returns the index of the first byte that is one of `,` `}` `]` or
/// JSON whitespace (or the end of input). In both modes an empty number (`bytes[pos]` is such a
/// delimiter, or `pos` is at the end) is a syntax error ("invalid number").
pub(crate) fn scan_number(bytes: &[u8], pos: usize, mode: SkipMode) -> Result<usize, ScanError> {
    match mode {
        SkipMode::Full => scan_number_full(bytes, pos),
        SkipMode::Structural => {
            let end = scalar_end(bytes, pos);
            if end > pos {
                Ok(end)
            } else {
                Err(error(pos.min(bytes.len()), "invalid number"))
            }
        }
    }
}

/// `bytes[i]`, or NUL past the end. NUL is never JSON structure, so comparing the result with a
/// structural byte fails past the end just as it does on a wrong byte; and, unlike comparing
/// `Option`s, it stays a plain compare in size-optimised (WASM) builds.
#[inline(always)]
fn byte_at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// Index of the first byte at or after `pos` that is not JSON whitespace (space, `\t`, `\n`,
/// `\r`); `bytes.len()` if there is none (`pos` itself if it is already past the end).
#[inline(always)]
pub(crate) fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&b) = bytes.get(pos) {
        if !is_whitespace(b) {
            break;
        }
        pos += 1;
    }
    pos
}

#[inline(always)]
fn is_whitespace(b: u8) -> bool {
    // Everything above a space is not whitespace: one compare for the common case.
    b <= b' ' && matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

// ---------------------------------------------------------------------------------------------
// Word-at-a-time helpers (portable SIMD within a u64, little-endian byte order).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Eight bytes at `i`, byte `i` in the low bits; `None` when fewer than eight remain.
#[inline(always)]
fn load8(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// High bit of each byte of `v` equal to `b`. Exact up to and including the lowest match (bytes
/// above it may be flagged spuriously by the borrow), which is all the callers look at.
#[inline(always)]
fn bytes_equal(v: u64, b: u8) -> u64 {
    let x = v ^ (ONES * b as u64);
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// High bit of each byte of `v` below `n` (`n` <= 128). Exact up to the lowest match, like
/// [`bytes_equal`].
#[inline(always)]
fn bytes_below(v: u64, n: u8) -> u64 {
    v.wrapping_sub(ONES * n as u64) & !v & HIGHS
}

/// Byte index of the lowest flagged byte of a nonzero mask.
#[inline(always)]
fn first_byte(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}
