//! The binary64 value of an event number, bit for bit what `str::parse::<f64>` gives, without
//! its general machinery in the common case: at most 19 significant digits and a small power of
//! ten, which covers the coordinates and amounts events carry.
//!
//! The digits are read as an integer `m` and a power of ten `e` (the value is `m * 10^e`):
//! - `m <= 2^53` and `|e| <= 22`: Clinger's fast path. `m` and `10^|e|` are exact doubles, so
//!   one IEEE multiplication or division, a single correct rounding, gives the correctly rounded
//!   value, which is what the standard library computes.
//! - larger `m`, `0 <= e <= 19`: `m * 10^e` is an exact integer below 2^128, and converting an
//!   integer to a float rounds correctly.
//! - larger `m`, `-22 <= e < 0`: `m / 10^-e = (m / 5^-e) * 2^e`. The integer quotient
//!   `q = (m * 2^64) / 5^-e` has more than 65 bits, so every bit of the 53-bit result, and the
//!   rounding bit, is in its top 64 bits; whatever lies below them (the rest of `q`, a non-zero
//!   remainder) is recorded in their lowest bit (a sticky bit, far below the rounding bit), so
//!   that converting them rounds as the exact quotient would. Scaling by a power of two is exact
//!   (the result stays far from the subnormals).
//!
//! Anything else goes to the standard library.

/// Mantissas up to this are exact doubles.
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// The powers of ten that are exact doubles (5^22 < 2^53).
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 10^0 ..= 10^19, the powers of ten below 2^64.
const POWERS_OF_TEN: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 5^0 ..= 5^22 (all below 2^52).
const POWERS_OF_FIVE: [u64; 23] = {
    let mut table = [1u64; 23];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 5;
        i += 1;
    }
    table
};

/// The value of the number `event[start..end]`, whose JSON grammar was checked (so the byte
/// after it, if any, is not a digit), if it is finite: the same as
/// `text.parse::<f64>().ok().filter(|v| v.is_finite())` on its text.
#[inline]
pub(crate) fn number_value(event: &[u8], start: usize, end: usize, text: &str) -> Option<f64> {
    short_number(event, start, end)
        .or_else(|| text.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// The exact paths above on the number `event[start..end]`; `None` when none applies.
#[inline]
fn short_number(event: &[u8], start: usize, end: usize) -> Option<f64> {
    let negative = event.get(start) == Some(&b'-');
    let mut mantissa = 0u64;
    let (mut i, mut count) = digits(event, start + usize::from(negative), end, &mut mantissa);
    // The power of ten the mantissa is scaled by.
    let mut scale = 0i32;
    if i < end && event[i] == b'.' {
        let fraction;
        (i, fraction) = digits(event, i + 1, end, &mut mantissa);
        count += fraction;
        scale = -(fraction as i32);
    }
    // More than 19 digits may not fit in 64 bits: left to the standard library.
    if count > 19 {
        return None;
    }
    if i < end {
        debug_assert!(
            matches!(event[i], b'e' | b'E'),
            "the grammar allows only an exponent"
        );
        scale += exponent(&event[i + 1..end])?;
    }
    let magnitude = if mantissa <= MAX_EXACT_MANTISSA {
        let power = EXACT_POWERS_OF_TEN.get(scale.unsigned_abs() as usize)?;
        if scale >= 0 {
            mantissa as f64 * power
        } else {
            mantissa as f64 / power
        }
    } else if scale >= 0 {
        let power = POWERS_OF_TEN.get(scale as usize)?;
        // Below 2^64 * 2^64: no overflow; the conversion rounds to nearest, ties to even.
        (u128::from(mantissa) * u128::from(*power)) as f64
    } else {
        let k = scale.unsigned_abs() as usize;
        let divisor = u128::from(*POWERS_OF_FIVE.get(k)?);
        let dividend = u128::from(mantissa) << 64;
        let quotient = dividend / divisor;
        // quotient >= 2^53 * 2^64 / 5^22 > 2^65. Its top 64 bits, with a sticky lowest bit for
        // everything below them and for the remainder, far below the 53 kept bits and the
        // rounding bit, round as the exact quotient does (a 64-bit conversion is cheaper than
        // a 128-bit one).
        let shift = 128 - quotient.leading_zeros() - 64;
        let inexact = dividend != quotient * divisor || quotient & ((1 << shift) - 1) != 0;
        let top = (quotient >> shift) as u64 | u64::from(inexact);
        // 2^(shift - 64 - k), a normal double.
        let scaling = f64::from_bits(((1023 + shift as i64 - 64 - k as i64) as u64) << 52);
        top as f64 * scaling
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Appends the run of digits at `event[i..]` (ending by `end`) to `mantissa`; returns where the
/// run ends and its length. Past 19 digits `mantissa` wraps and means nothing.
#[inline(always)]
fn digits(event: &[u8], mut i: usize, end: usize, mantissa: &mut u64) -> (usize, usize) {
    let start = i;
    // Eight bytes at a time, while eight remain in the event (they may run past the number:
    // the run stops at its first non-digit all the same).
    while let Some(word) = event.get(i..i + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let values = word ^ 0x3030_3030_3030_3030;
        // High bit of each byte that is not a digit (its value is not below 10); a carry out
        // of such a byte can only disturb later bytes, which do not count.
        let not_digit =
            (values.wrapping_add(0x7676_7676_7676_7676) | values) & 0x8080_8080_8080_8080;
        let run = ((not_digit.trailing_zeros() / 8) as usize).min(end - i);
        if run == 0 {
            break;
        }
        // The run's digits into the top bytes, leading zeros below: an eight-digit number.
        let digits = eight_digits(values << (8 * (8 - run)));
        *mantissa = mantissa
            .wrapping_mul(POWERS_OF_TEN[run])
            .wrapping_add(digits);
        i += run;
        if run < 8 {
            return (i, i - start);
        }
    }
    while i < end && event[i].is_ascii_digit() {
        *mantissa = mantissa
            .wrapping_mul(10)
            .wrapping_add(u64::from(event[i] - b'0'));
        i += 1;
    }
    (i, i - start)
}

/// The number written by eight digit values, one per byte, the first in the lowest byte.
#[inline(always)]
fn eight_digits(values: u64) -> u64 {
    // Neighbouring digits, then pairs, then quadruples, combined in place; the top lanes'
    // overflow is masked off.
    let pairs = (values.wrapping_mul(10) + (values >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100) + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (quads.wrapping_mul(10_000) + (quads >> 32)) & 0xFFFF_FFFF
}

/// The exponent after `e`: an optional sign and digits. `None` when it is too large for the
/// fast path to matter (or malformed).
#[inline]
fn exponent(text: &[u8]) -> Option<i32> {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    let mut value = 0i32;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i32::from(d - b'0');
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn std_value(text: &str) -> Option<f64> {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// The number's text alone, and inside an event with more bytes after it.
    fn ours(text: &str) -> [Option<u64>; 2] {
        let event = format!("[{text},1234567890,\"0123456789\"]");
        [
            number_value(text.as_bytes(), 0, text.len(), text),
            number_value(event.as_bytes(), 1, text.len() + 1, text),
        ]
        .map(|v| v.map(f64::to_bits))
    }

    fn agrees(text: &str) -> Result<(), TestCaseError> {
        let std = std_value(text).map(f64::to_bits);
        prop_assert_eq!(ours(text), [std; 2], "{}", text);
        Ok(())
    }

    /// A JSON number: sign, integer digits (no leading zero unless just `0`), optional fraction
    /// and exponent. Digit runs are often long, so both sides of the 2^53 and 10^22 limits show.
    fn json_number() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            prop_oneof!["0", "[1-9][0-9]{0,20}"],
            proptest::option::of("[0-9]{1,24}"),
            proptest::option::of(("[eE]", "[+-]?", "[0-9]{1,3}")),
        )
            .prop_map(|(negative, int, fraction, exponent)| {
                let mut s = String::new();
                if negative {
                    s.push('-');
                }
                s.push_str(&int);
                if let Some(f) = fraction {
                    s.push('.');
                    s.push_str(&f);
                }
                if let Some((e, sign, digits)) = exponent {
                    s.push_str(&e);
                    s.push_str(&sign);
                    s.push_str(&digits);
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn agrees_with_std_on_json_numbers(text in json_number()) {
            agrees(&text)?;
        }

        #[test]
        fn agrees_with_std_on_printed_doubles(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            if v.is_finite() {
                agrees(&format!("{v}"))?;
                agrees(&format!("{v:e}"))?;
                agrees(&format!("{v:.3}"))?;
            }
        }

        #[test]
        fn agrees_with_std_near_the_limits(
            mantissa in (1u64 << 53) - 64..(1u64 << 53) + 64,
            scale in -24i32..=24,
        ) {
            agrees(&format!("{mantissa}e{scale}"))?;
            let digits = mantissa.to_string();
            let point = digits.len() / 2;
            agrees(&format!("-{}.{}e{scale}", &digits[..point], &digits[point..]))?;
        }

        /// 17 to 19 significant digits, the long mantissas of the integer paths.
        #[test]
        fn agrees_with_std_on_long_mantissas(
            digits in "[1-9][0-9]{16,18}",
            point in 0usize..20,
            scale in proptest::option::of(-25i32..=22),
        ) {
            let point = point.min(digits.len());
            let mut text = format!("{}.{}", &digits[..point], &digits[point..]);
            if point == 0 {
                text.insert(0, '0');
            }
            if point == digits.len() {
                text.pop();
            }
            if let Some(scale) = scale {
                text.push_str(&format!("e{scale}"));
            }
            agrees(&text)?;
        }

        /// Values exactly halfway between two doubles, and just beside: an odd `t` in
        /// [2^53, 2^54) is halfway between two neighbours, and so is `t / 2^j`, whose decimal
        /// digits are those of `t * 5^j`.
        #[test]
        fn agrees_with_std_on_ties(
            half in (1u64 << 52)..(1u64 << 53),
            j in 0u32..=2,
            nudge in -1i64..=1,
            scale in -3i32..=3,
        ) {
            let tie = (2 * half + 1) * 5u64.pow(j);
            let digits = tie.checked_add_signed(nudge).unwrap().to_string();
            let point = digits.len() - j as usize;
            agrees(&format!("{}.{}", &digits[..point], &digits[point..]))?;
            agrees(&format!("{digits}e{}", scale - j as i32))?;
        }
    }

    #[test]
    fn known_values() {
        for text in [
            "0",
            "-0",
            "0.0",
            "-0.0",
            "1",
            "-1",
            "0.1",
            "0.3",
            "1e22",
            "1e23",
            "9007199254740992",
            "9007199254740993",
            "123456789012345678",
            "1.7976931348623157e308",
            "1e309",
            "5e-324",
            "2.2250738585072014e-308",
            "37.82926271994987",
            "-122.351147270279038",
            "1E+2",
            "1e-0",
            "0e999999",
            "12345678901234567890",
            "18446744073709551615",
            "1e-22",
            "1e-23",
            "4.9e-324",
            "1e0000",
        ] {
            let std = std_value(text).map(f64::to_bits);
            assert_eq!(ours(text), [std; 2], "{text}");
        }
        let short = |text: &str| short_number(text.as_bytes(), 0, text.len());
        assert_eq!(short("37.82926271994987"), Some(37.82926271994987));
        // 18 digits: the 128-bit division.
        assert_eq!(
            short("-122.351147270279038"),
            std_value("-122.351147270279038")
        );
        assert_eq!(short("18446744073709551616"), None, "20 digits");
        assert_eq!(short("-0").map(f64::is_sign_negative), Some(true));
    }
}
