//! Structural mode: where a value ends, and nothing more. Strings are delimited by unescaped
//! quotes, brackets nest (kinds are not matched), scalars run to the next delimiter.

use super::{
    bytes_equal, error, first_byte, load8, ScanError, END_OF_INPUT, MAX_DEPTH, ONES,
    UNTERMINATED_STRING,
};

pub(super) fn skip_value_structural(
    bytes: &[u8],
    pos: usize,
    depth: usize,
) -> Result<usize, ScanError> {
    let Some(&first) = bytes.get(pos) else {
        return Err(error(pos.min(bytes.len()), END_OF_INPUT));
    };
    match first {
        b'"' => scan_string_structural(bytes, pos + 1).map(|(close, _)| close + 1),
        b'{' | b'[' => {
            // How many levels may be open inside the value, counting the value itself.
            let room = MAX_DEPTH.saturating_sub(depth);
            if room == 0 {
                return Err(ScanError::TooDeep);
            }
            skip_container_structural(bytes, pos + 1, room)
        }
        _ => {
            let end = scalar_end(bytes, pos);
            if end > pos {
                Ok(end)
            } else {
                Err(error(pos, "expected a JSON value"))
            }
        }
    }
}

/// The bytes that end a scalar in structural mode.
pub(super) static SCALAR_END: [bool; 256] = {
    let mut table = [false; 256];
    table[b',' as usize] = true;
    table[b'}' as usize] = true;
    table[b']' as usize] = true;
    table[b' ' as usize] = true;
    table[b'\t' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table
};

/// First index at or after `pos` holding a scalar delimiter, or the end of input.
#[inline]
pub(super) fn scalar_end(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&b) = bytes.get(pos) {
        if SCALAR_END[b as usize] {
            break;
        }
        pos += 1;
    }
    pos.min(bytes.len())
}

/// First `"` or `\` at or after `i`, or some index >= `bytes.len()`.
#[inline(always)]
fn find_quote_or_backslash(bytes: &[u8], mut i: usize) -> usize {
    while let Some(v) = load8(bytes, i) {
        let hits = bytes_equal(v, b'"') | bytes_equal(v, b'\\');
        if hits != 0 {
            return i + first_byte(hits);
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' {
            return i;
        }
        i += 1;
    }
    i
}

#[inline]
pub(super) fn scan_string_structural(
    bytes: &[u8],
    mut i: usize,
) -> Result<(usize, bool), ScanError> {
    let mut escaped = false;
    loop {
        i = find_quote_or_backslash(bytes, i);
        match bytes.get(i) {
            None => return Err(error(bytes.len(), UNTERMINATED_STRING)),
            Some(b'"') => return Ok((i, escaped)),
            Some(_) => {
                // A backslash: it and the byte after it are content.
                escaped = true;
                i += 2;
            }
        }
    }
}

/// [`SkipMode::Structural`] only: `pos` is between the members of a container at nesting level
/// `level` (the container's own level, outside any string). Returns the index just past that
/// container's closing bracket, without looking at the members in between.
#[inline]
pub(crate) fn skip_rest_structural(
    bytes: &[u8],
    pos: usize,
    level: usize,
) -> Result<usize, ScanError> {
    // `room` counts the container itself, as when it has just been opened.
    let room = (MAX_DEPTH + 1).saturating_sub(level);
    if room == 0 {
        return Err(ScanError::TooDeep);
    }
    skip_container_structural(bytes, pos, room)
}

/// `start` is just past an opening bracket; `room` (>= 1) is how many levels may be open, the
/// one just opened included. Returns the index just past the matching closing bracket.
#[inline]
fn skip_container_structural(bytes: &[u8], start: usize, room: usize) -> Result<usize, ScanError> {
    #[cfg(target_arch = "x86_64")]
    if let Some(result) = super::avx2::skip_container(bytes, start, room) {
        return result;
    }
    skip_container_scalar(bytes, start, room)
}

/// The portable structural container skipper (and the reference the SIMD kernel is tested
/// against): same semantics, same results, errors included. A backslash escapes the next byte
/// inside and outside strings (as in the SIMD kernel, where escapes are found before strings).
pub(super) fn skip_container_scalar(
    bytes: &[u8],
    start: usize,
    room: usize,
) -> Result<usize, ScanError> {
    let mut nest = 1usize;
    let mut i = start;
    loop {
        // Jump to the next byte that matters: `"` `\` `{` `[` `}` `]`. `[`/`{` and `]`/`}` differ
        // only in bit 0x20.
        while let Some(v) = load8(bytes, i) {
            let folded = v | (ONES * 0x20);
            let hits = bytes_equal(v, b'"')
                | bytes_equal(v, b'\\')
                | bytes_equal(folded, b'{')
                | bytes_equal(folded, b'}');
            if hits != 0 {
                i += first_byte(hits);
                break;
            }
            i += 8;
        }
        let Some(&b) = bytes.get(i) else {
            return Err(error(bytes.len(), END_OF_INPUT));
        };
        match b {
            b'"' => i = scan_string_structural(bytes, i + 1)?.0 + 1,
            b'\\' => i += 2,
            b'{' | b'[' => {
                nest += 1;
                if nest > room {
                    return Err(ScanError::TooDeep);
                }
                i += 1;
            }
            b'}' | b']' => {
                nest -= 1;
                if nest == 0 {
                    return Ok(i + 1);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}
