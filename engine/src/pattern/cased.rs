//! Which characters event-ruler's ignore-case matching treats as having case.
//!
//! event-ruler folds one UTF-16 unit at a time, so a character counts when it is in the BMP and
//! its lower and upper case forms differ (`c.to_lowercase() != c.to_uppercase()`). The answer is
//! a table of ranges rather than those two calls because the calls pull the whole of core's
//! case-mapping tables (about 24 KB) into the WebAssembly module; `the_table_is_what_core_says`
//! checks every BMP character against them, and prints the table to paste when a new Rust
//! brings a new Unicode version.

use std::cmp::Ordering;

/// Inclusive ranges of BMP code points with distinct lower and upper case forms, sorted.
#[rustfmt::skip]
const CASED: &[(u16, u16)] = &[
    (0x0041, 0x005A), (0x0061, 0x007A), (0x00B5, 0x00B5), (0x00C0, 0x00D6), (0x00D8, 0x00F6),
    (0x00F8, 0x0137), (0x0139, 0x018C), (0x018E, 0x01A9), (0x01AC, 0x01B9), (0x01BC, 0x01BD),
    (0x01BF, 0x01BF), (0x01C4, 0x0220), (0x0222, 0x0233), (0x023A, 0x0254), (0x0256, 0x0257),
    (0x0259, 0x0259), (0x025B, 0x025C), (0x0260, 0x0261), (0x0263, 0x0266), (0x0268, 0x026C),
    (0x026F, 0x026F), (0x0271, 0x0272), (0x0275, 0x0275), (0x027D, 0x027D), (0x0280, 0x0280),
    (0x0282, 0x0283), (0x0287, 0x028C), (0x0292, 0x0292), (0x029D, 0x029E), (0x0345, 0x0345),
    (0x0370, 0x0373), (0x0376, 0x0377), (0x037B, 0x037D), (0x037F, 0x037F), (0x0386, 0x0386),
    (0x0388, 0x038A), (0x038C, 0x038C), (0x038E, 0x03A1), (0x03A3, 0x03D1), (0x03D5, 0x03F5),
    (0x03F7, 0x03FB), (0x03FD, 0x0481), (0x048A, 0x052F), (0x0531, 0x0556), (0x0561, 0x0587),
    (0x10A0, 0x10C5), (0x10C7, 0x10C7), (0x10CD, 0x10CD), (0x10D0, 0x10FA), (0x10FD, 0x10FF),
    (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1C80, 0x1C8A), (0x1C90, 0x1CBA), (0x1CBD, 0x1CBF),
    (0x1D79, 0x1D79), (0x1D7D, 0x1D7D), (0x1D8E, 0x1D8E), (0x1E00, 0x1E9B), (0x1E9E, 0x1E9E),
    (0x1EA0, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D), (0x1F50, 0x1F57),
    (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D), (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4),
    (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE), (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3),
    (0x1FD6, 0x1FDB), (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2126, 0x2126),
    (0x212A, 0x212B), (0x2132, 0x2132), (0x214E, 0x214E), (0x2160, 0x217F), (0x2183, 0x2184),
    (0x24B6, 0x24E9), (0x2C00, 0x2C70), (0x2C72, 0x2C73), (0x2C75, 0x2C76), (0x2C7E, 0x2CE3),
    (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF3), (0x2D00, 0x2D25), (0x2D27, 0x2D27), (0x2D2D, 0x2D2D),
    (0xA640, 0xA66D), (0xA680, 0xA69B), (0xA722, 0xA72F), (0xA732, 0xA76F), (0xA779, 0xA787),
    (0xA78B, 0xA78D), (0xA790, 0xA794), (0xA796, 0xA7AE), (0xA7B0, 0xA7DC), (0xA7F5, 0xA7F6),
    (0xAB53, 0xAB53), (0xAB70, 0xABBF), (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A),
    (0xFF41, 0xFF5A),
];

/// Whether event-ruler's case folding gives `c` distinct lower and upper case forms.
pub(crate) fn has_case_variants(c: char) -> bool {
    // A character beyond the BMP reaches Java as two surrogates, which have no case.
    let Ok(unit) = u16::try_from(u32::from(c)) else {
        return false;
    };
    CASED
        .binary_search_by(|&(low, high)| {
            if high < unit {
                Ordering::Less
            } else if low > unit {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranges `char::to_lowercase` and `char::to_uppercase` give, formatted like `CASED`.
    fn ranges_from_core() -> Vec<(u16, u16)> {
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        for unit in 0..=u16::MAX {
            let Some(c) = char::from_u32(unit.into()) else {
                continue;
            };
            if c.to_lowercase().eq(c.to_uppercase()) {
                continue;
            }
            match ranges.last_mut() {
                Some((_, high)) if *high + 1 == unit => *high = unit,
                _ => ranges.push((unit, unit)),
            }
        }
        ranges
    }

    #[test]
    fn the_table_is_what_core_says() {
        let expected = ranges_from_core();
        let text: Vec<String> = expected
            .iter()
            .map(|(low, high)| format!("(0x{low:04X}, 0x{high:04X}),"))
            .collect();
        assert_eq!(CASED, expected, "new table:\n{}", text.join(" "));
        for unit in 0..=u16::MAX {
            if let Some(c) = char::from_u32(unit.into()) {
                assert_eq!(has_case_variants(c), !c.to_lowercase().eq(c.to_uppercase()));
            }
        }
        assert!(!has_case_variants('😀'));
        assert!(!has_case_variants('𐐀'), "cased, but beyond the BMP");
    }
}
