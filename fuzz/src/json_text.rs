//! Writing JSON string literals in several escape styles.

use std::fmt::Write;

/// How a string literal is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Only what JSON requires is escaped.
    Plain,
    /// Every non-ASCII character as `\uXXXX` (surrogate pairs beyond the BMP).
    NonAscii,
    /// Every character as `\uXXXX`.
    All,
    /// The short escapes where they exist (`\/`, `\t`, ...), the rest plain.
    Short,
}

impl Style {
    pub(crate) fn from_byte(b: u8) -> Style {
        match b % 8 {
            0..=3 => Style::Plain,
            4 | 5 => Style::NonAscii,
            6 => Style::All,
            _ => Style::Short,
        }
    }
}

/// `s` as a JSON string literal in `style`, appended to `out`.
pub(crate) fn push_string(out: &mut String, s: &str, style: Style) {
    out.push('"');
    for c in s.chars() {
        let escape = match style {
            Style::All => true,
            Style::NonAscii => !c.is_ascii(),
            Style::Plain | Style::Short => false,
        };
        match c {
            _ if escape => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style == Style::Short => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a plain JSON string literal.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::new();
    push_string(&mut out, s, Style::Plain);
    out
}
