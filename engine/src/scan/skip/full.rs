//! Full mode: a state machine checking everything `json::parse` checks, with the same error
//! offsets and reasons.

use super::{
    byte_at, bytes_below, bytes_equal, error, first_byte, load8, skip_whitespace, validate, vector,
    ScanError, END_OF_INPUT, HIGHS, MAX_DEPTH, ONES, UNTERMINATED_STRING,
};

/// Words in the stack of open container kinds (bit set: object).
const KIND_WORDS: usize = MAX_DEPTH.div_ceil(64);

pub(super) fn skip_value_full(bytes: &[u8], pos: usize, depth: usize) -> Result<usize, ScanError> {
    match bytes.get(pos) {
        Some(b'{' | b'[') => skip_container_full(bytes, pos, depth),
        Some(_) => skip_scalar_full(bytes, pos),
        None => Err(error(pos.min(bytes.len()), END_OF_INPUT)),
    }
}

/// `bytes[i]` starts a value that is not a container (or is not a value at all).
#[inline(always)]
fn skip_scalar_full(bytes: &[u8], i: usize) -> Result<usize, ScanError> {
    match bytes.get(i) {
        Some(b'-' | b'0'..=b'9') => scan_number_full(bytes, i),
        Some(b'"') => Ok(string_full(bytes, i + 1)?.0 + 1),
        Some(b't') => literal(bytes, i, b"true"),
        Some(b'f') => literal(bytes, i, b"false"),
        Some(b'n') => literal(bytes, i, b"null"),
        Some(_) => Err(error(i, "expected a JSON value")),
        None => Err(error(i.min(bytes.len()), END_OF_INPUT)),
    }
}

/// The kinds of the containers open inside a skipped value, innermost last.
struct OpenContainers {
    /// Bit n set: the container at relative level n (0 = the skipped one) is an object.
    objects: [u64; KIND_WORDS],
    /// How many are open.
    nest: usize,
}

impl OpenContainers {
    #[inline(always)]
    fn push(&mut self, object: bool) {
        let word = &mut self.objects[self.nest / 64];
        let bit = 1u64 << (self.nest % 64);
        if object {
            *word |= bit;
        } else {
            *word &= !bit;
        }
        self.nest += 1;
    }

    /// Closes the innermost container; whether the one around it (if any) is an object.
    #[inline(always)]
    fn pop(&mut self) -> bool {
        self.nest -= 1;
        let outer = self.nest.wrapping_sub(1);
        self.nest > 0 && self.objects[outer / 64] & (1 << (outer % 64)) != 0
    }
}

/// `bytes[pos]` is `{` or `[`.
fn skip_container_full(bytes: &[u8], pos: usize, depth: usize) -> Result<usize, ScanError> {
    // How many containers may be open inside the value, counting the value itself.
    let room = MAX_DEPTH.saturating_sub(depth);
    // A block at a time when the container is valid; byte by byte, from its start, for the
    // exact error (or when the block validator leaves it here).
    if let Some(end) = validate::validate_container(bytes, pos, room) {
        return Ok(end);
    }
    skip_container_bytewise(bytes, pos, room)
}

/// [`skip_container_full`] byte by byte: the reference for the block validator, and where every
/// error is found.
pub(super) fn skip_container_bytewise(
    bytes: &[u8],
    pos: usize,
    room: usize,
) -> Result<usize, ScanError> {
    let mut open = OpenContainers {
        objects: [0; KIND_WORDS],
        nest: 0,
    };
    // Whether the innermost open container is an object (kept out of `open` for speed: it is
    // asked after every value).
    let mut in_object = false;
    let mut i = pos;
    loop {
        // A value starts at `i`. `[` and `{` differ only in bit 0x20, and no other byte folds
        // onto them.
        let first = byte_at(bytes, i);
        if first | 0x20 == b'{' {
            if open.nest >= room {
                return Err(ScanError::TooDeep);
            }
            in_object = first == b'{';
            open.push(in_object);
            let next = next_token(bytes, i + 1);
            // `]` and `}` are `[` and `{` plus 2.
            if byte_at(bytes, next) != first + 2 {
                i = if in_object {
                    member_value(bytes, next)?
                } else {
                    next
                };
                continue;
            }
            in_object = open.pop();
            i = next + 1;
        } else {
            i = skip_scalar_full(bytes, i)?;
        }
        // A value ended just before `i`: close containers until one has another member.
        loop {
            if open.nest == 0 {
                return Ok(i);
            }
            i = next_token(bytes, i);
            let found = byte_at(bytes, i);
            if found == b',' {
                i = next_token(bytes, i + 1);
                if in_object {
                    i = member_value(bytes, i)?;
                }
                break;
            }
            if found == if in_object { b'}' } else { b']' } {
                in_object = open.pop();
                i += 1;
                continue;
            }
            return Err(if in_object {
                error(i, "expected ',' or '}' in an object")
            } else {
                error(i, "expected ',' or ']' in an array")
            });
        }
    }
}

/// [`skip_whitespace`] with the compact-JSON case (no whitespace at all) in one compare.
#[inline(always)]
fn next_token(bytes: &[u8], i: usize) -> usize {
    if byte_at(bytes, i) > b' ' {
        i
    } else {
        skip_whitespace(bytes, i)
    }
}

/// `i` is where an object member's key should start. Checks `"key" :` and returns where the
/// member's value starts.
#[inline(always)]
fn member_value(bytes: &[u8], i: usize) -> Result<usize, ScanError> {
    if byte_at(bytes, i) != b'"' {
        return Err(error(i, "expected a string key"));
    }
    let (close, _) = string_full(bytes, i + 1)?;
    let colon = next_token(bytes, close + 1);
    if byte_at(bytes, colon) != b':' {
        return Err(error(colon, "expected ':' after an object key"));
    }
    Ok(next_token(bytes, colon + 1))
}

#[inline(always)]
fn literal(bytes: &[u8], i: usize, text: &'static [u8]) -> Result<usize, ScanError> {
    match bytes.get(i..) {
        Some(rest) if rest.starts_with(text) => Ok(i + text.len()),
        _ => Err(error(i, "invalid literal")),
    }
}

/// `bytes[pos]` starts a number: checks the number grammar and returns the index just past it.
#[inline(always)]
pub(super) fn scan_number_full(bytes: &[u8], pos: usize) -> Result<usize, ScanError> {
    match number_in_window(bytes, pos) {
        Some(end) => Ok(end),
        None => scan_number_bytewise(bytes, pos),
    }
}

/// [`scan_number_full`] for a well-formed number that ends within the 32 bytes at `pos`, read
/// from a mask of where the digits are: a handful of bit operations instead of a test per byte.
/// `None` when fewer than 32 bytes remain, when the number runs on past them, and for every
/// malformed number (the byte-by-byte scan then says where and why).
#[inline(always)]
pub(super) fn number_in_window(bytes: &[u8], pos: usize) -> Option<usize> {
    // Where the non-digits are; every byte past the window counts as one, so that a run of
    // digits reaching the window's end ends at 32 (refused at the end).
    let stops = !u64::from(vector::digit_mask32(bytes, pos)?);
    // The end of the run of digits from `k` (at most 34); empty if `bytes[k]` is no digit.
    let digits_end = |k: u32| k + (stops >> k).trailing_zeros();
    let at = |k: u32| byte_at(bytes, pos + k as usize);
    let sign = u32::from(at(0) == b'-');
    let mut end = digits_end(sign);
    // No integer digits, or a leading zero followed by more digits.
    if end == sign || (at(sign) == b'0' && end > sign + 1) {
        return None;
    }
    if at(end) == b'.' {
        let fraction_end = digits_end(end + 1);
        if fraction_end == end + 1 {
            return None;
        }
        end = fraction_end;
    }
    // `E` and `e` differ only in bit 0x20, and no other byte folds onto them.
    if at(end) | 0x20 == b'e' {
        let exponent = end + 1 + u32::from(matches!(at(end + 1), b'+' | b'-'));
        let exponent_end = digits_end(exponent);
        if exponent_end == exponent {
            return None;
        }
        end = exponent_end;
    }
    (end < 32).then_some(pos + end as usize)
}

/// [`scan_number_full`] a byte (or a run of digits) at a time.
#[inline(always)]
pub(super) fn scan_number_bytewise(bytes: &[u8], pos: usize) -> Result<usize, ScanError> {
    let mut i = pos;
    if byte_at(bytes, i) == b'-' {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = skip_digits(bytes, i + 1),
        _ => return Err(error(i.min(bytes.len()), "invalid number")),
    }
    if byte_at(bytes, i) == b'.' {
        let end = skip_digits(bytes, i + 1);
        if end == i + 1 {
            return Err(error(end, "invalid number: no digits after '.'"));
        }
        i = end;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = bytes.get(i) {
            i += 1;
        }
        let end = skip_digits(bytes, i);
        if end == i {
            return Err(error(end, "invalid number: no digits in exponent"));
        }
        i = end;
    }
    Ok(i)
}

/// First index at or after `i` that is not an ASCII digit (or the end of input).
#[inline(always)]
pub(super) fn skip_digits(bytes: &[u8], i: usize) -> usize {
    let i = match vector::digits(bytes, i) {
        Ok(end) => return end,
        Err(rest) => rest,
    };
    skip_digits_swar(bytes, i)
}

/// [`skip_digits`], eight bytes at a time.
#[inline(always)]
pub(super) fn skip_digits_swar(bytes: &[u8], mut i: usize) -> usize {
    while let Some(v) = load8(bytes, i) {
        // A byte is a digit iff its high nibble is 3 and its low nibble is below 10.
        let not_digit = ((v & 0xF0F0_F0F0_F0F0_F0F0) ^ (ONES * 0x30))
            | (((v & (ONES * 0x0F)) + ONES * 6) & (ONES * 0x10));
        // Exact "byte is nonzero" (no carries between bytes).
        let flagged = (((not_digit & !HIGHS) + !HIGHS) | not_digit) & HIGHS;
        if flagged != 0 {
            return i + first_byte(flagged);
        }
        i += 8;
    }
    while let Some(b'0'..=b'9') = bytes.get(i) {
        i += 1;
    }
    i
}

/// From `i`, the first `"`, `\` or control character (or the end of input), and whether a
/// byte >= 0x80 comes before it.
#[inline(always)]
fn find_string_special(bytes: &[u8], mut i: usize) -> (usize, bool) {
    let mut non_ascii = 0u64;
    while let Some(v) = load8(bytes, i) {
        let special = bytes_equal(v, b'"') | bytes_equal(v, b'\\') | bytes_below(v, 0x20);
        if special != 0 {
            let lowest = special & special.wrapping_neg();
            non_ascii |= v & HIGHS & (lowest - 1);
            return (i + first_byte(special), non_ascii != 0);
        }
        non_ascii |= v & HIGHS;
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        non_ascii |= (b & 0x80) as u64;
        i += 1;
    }
    (i, non_ascii != 0)
}

/// [`scan_string_full`] behind the SSE2 fast path for short plain strings.
#[inline(always)]
pub(super) fn string_full(bytes: &[u8], i: usize) -> Result<(usize, bool), ScanError> {
    if let Some(close) = vector::plain_string(bytes, i, true) {
        return Ok((close, false));
    }
    scan_string_full(bytes, i)
}

#[inline(always)]
pub(super) fn scan_string_full(bytes: &[u8], mut i: usize) -> Result<(usize, bool), ScanError> {
    let mut escaped = false;
    loop {
        let run_start = i;
        let (stop, non_ascii) = find_string_special(bytes, i);
        let stop = stop.min(bytes.len());
        if non_ascii {
            if let Err(e) = std::str::from_utf8(bytes.get(run_start..stop).unwrap_or_default()) {
                return Err(error(
                    run_start + e.valid_up_to(),
                    "invalid UTF-8 in a string",
                ));
            }
        }
        match bytes.get(stop) {
            None => return Err(error(stop, UNTERMINATED_STRING)),
            Some(b'"') => return Ok((stop, escaped)),
            Some(b'\\') => {
                escaped = true;
                i = escape(bytes, stop + 1)?;
            }
            Some(_) => return Err(error(stop, "control character in a string")),
        }
    }
}

/// `at` is just after a backslash. Checks one escape (a surrogate pair counts as one) and
/// returns the index after it. Lone surrogates are refused, as in `json::parse`.
#[inline(always)]
pub(super) fn escape(bytes: &[u8], at: usize) -> Result<usize, ScanError> {
    match bytes.get(at) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 1),
        Some(b'u') => {
            let first = hex4(bytes, at + 1)?;
            match first {
                0xD800..=0xDBFF => {
                    let next = at + 5;
                    if bytes.get(next..next + 2) == Some(b"\\u") {
                        let second = hex4(bytes, next + 2)?;
                        if (0xDC00..=0xDFFF).contains(&second) {
                            return Ok(next + 6);
                        }
                    }
                    Err(error(at, "lone surrogate in a \\u escape"))
                }
                0xDC00..=0xDFFF => Err(error(at, "lone surrogate in a \\u escape")),
                _ => Ok(at + 5),
            }
        }
        _ => Err(error(at.min(bytes.len()), "invalid escape in a string")),
    }
}

fn hex4(bytes: &[u8], at: usize) -> Result<u32, ScanError> {
    let Some(digits) = bytes.get(at..at + 4) else {
        return Err(error(at.min(bytes.len()), "truncated \\u escape"));
    };
    let mut value = 0;
    for &d in digits {
        let nibble = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return Err(error(at, "invalid hex digit in a \\u escape")),
        };
        value = value * 16 + nibble as u32;
    }
    Ok(value)
}
