//! A strict JSON reader that keeps what generic JSON libraries throw away.
//!
//! Patterns and events need three things `serde_json::Value` does not give: object members in
//! document order with duplicates kept (event-ruler merges duplicate pattern keys), the exact text
//! of every number (a number outside binary64 is compared as text), and numbers of any size
//! (`1e400` is valid JSON). Depth is bounded by [`MAX_DEPTH`] so hostile nesting is an error, not a
//! stack overflow.

use crate::limits::MAX_DEPTH;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    /// Members in document order, duplicates kept.
    Object(Vec<(String, Json)>),
}

/// A JSON number: its text as written, and its binary64 value when finite.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Number {
    text: Box<str>,
    value: Option<f64>,
}

impl Number {
    /// `text` must be a valid JSON number.
    pub(crate) fn from_json_text(text: &str) -> Number {
        // Rust's float parser rounds correctly (nearest, ties to even); overflow gives ±inf.
        let value = text.parse::<f64>().ok().filter(|v| v.is_finite());
        Number {
            text: text.into(),
            value,
        }
    }

    /// The same number, keeping its value only if binary64 holds it as written: the value's
    /// shortest round-trip text is the same decimal number (`0.1`, `3.0e2`, `5e-324` yes;
    /// `12345678901234567890`, `1e400` no). Patterns compare other numbers as text.
    pub(crate) fn comparable_only(mut self) -> Number {
        if let Some(v) = self.value {
            if decimal_digits(&shortest_text(v)) != decimal_digits(&self.text) {
                self.value = None;
            }
        }
        self
    }

    /// The number as written.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The nearest binary64 value, or `None` when the number overflows binary64.
    pub(crate) fn value(&self) -> Option<f64> {
        self.value
    }

    /// EventBridge number equality: by value when both fit binary64, else by text.
    pub(crate) fn same_as(&self, other: &Number) -> bool {
        match (self.value, other.value) {
            (Some(a), Some(b)) => a == b,
            _ => self.text == other.text,
        }
    }
}

/// The shortest decimal text that reads back as `v` (finite), by serde_json's writer (Ryū):
/// its code is there anyway, where `{:e}` would add the standard library's float formatting,
/// some 15 KB of WebAssembly. Where two texts are equally short and equally near `v`, Ryū takes
/// the one with an even last digit, as Java's `Double.toString` does since JDK 19 (the standard
/// library rounds the tie up).
fn shortest_text(v: f64) -> String {
    serde_json::Value::from(v).to_string()
}

/// A decimal number's value as (significant digits, exponent of the last digit), with zeros
/// normalised away, so equal decimal values compare equal whatever their spelling. The sign of
/// zero is dropped (`-0` equals `0`).
fn decimal_digits(text: &str) -> (bool, String, i64) {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            &unsigned[..at],
            unsigned[at + 1..].parse::<i64>().unwrap_or(0),
        ),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int_part}{frac_part}");
    let mut exponent = exponent - frac_part.len() as i64;
    let trimmed_end = digits.trim_end_matches('0');
    exponent += (digits.len() - trimmed_end.len()) as i64;
    let significant = trimmed_end.trim_start_matches('0');
    if significant.is_empty() {
        return (false, String::new(), 0);
    }
    (negative, significant.to_owned(), exponent)
}

/// Why JSON could not be read, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    Syntax { offset: usize, reason: &'static str },
    TooDeep,
}

impl JsonError {
    fn at(offset: usize, reason: &'static str) -> JsonError {
        JsonError::Syntax { offset, reason }
    }
}

/// Is `value` nested deeper than [`MAX_DEPTH`] (the outermost container is level 1)? Measured
/// without recursion, because serialising a `serde_json::Value` recurses once per level and a
/// caller can build one deep enough to overflow the stack.
pub(crate) fn too_deep(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    let mut pending: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(members) => Box::new(members.values()),
            _ => continue,
        };
        if depth + 1 > MAX_DEPTH {
            return true;
        }
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

/// Parse one JSON document; only whitespace may follow it.
pub(crate) fn parse(bytes: &[u8]) -> Result<Json, JsonError> {
    let mut reader = Reader { bytes, pos: 0 };
    reader.skip_whitespace();
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.pos != bytes.len() {
        return Err(JsonError::at(
            reader.pos,
            "trailing characters after the JSON value",
        ));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &'static [u8], value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(JsonError::at(self.pos, "invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        match self.peek() {
            None => Err(JsonError::at(self.pos, "unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.expect_literal(b"true", Json::Bool(true)),
            Some(b'f') => self.expect_literal(b"false", Json::Bool(false)),
            Some(b'n') => self.expect_literal(b"null", Json::Null),
            Some(b'-' | b'0'..=b'9') => Ok(Json::Number(self.number()?)),
            Some(_) => Err(JsonError::at(self.pos, "expected a JSON value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(JsonError::at(self.pos, "expected a string key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(JsonError::at(self.pos, "expected ':' after an object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(JsonError::at(self.pos, "expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        self.pos += 1; // '['
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(elements));
        }
        loop {
            self.skip_whitespace();
            elements.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(elements));
                }
                _ => return Err(JsonError::at(self.pos, "expected ',' or ']' in an array")),
            }
        }
    }

    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let from = r.pos;
            while let Some(b'0'..=b'9') = r.peek() {
                r.pos += 1;
            }
            r.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(JsonError::at(self.pos, "invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(JsonError::at(
                    self.pos,
                    "invalid number: no digits after '.'",
                ));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(JsonError::at(
                    self.pos,
                    "invalid number: no digits in exponent",
                ));
            }
        }
        // The scanned bytes are ASCII by construction.
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
        Ok(Number::from_json_text(text))
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the longest run of plain bytes at once; validate it as UTF-8.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = std::str::from_utf8(&self.bytes[run_start..self.pos]).map_err(|e| {
                JsonError::at(run_start + e.valid_up_to(), "invalid UTF-8 in a string")
            })?;
            out.push_str(run);
            match self.peek() {
                None => return Err(JsonError::at(self.pos, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => {
                    return Err(JsonError::at(self.pos, "control character in a string"));
                }
            }
        }
    }

    /// After a backslash: one escape, as a char. Lone surrogates are refused (no Rust string can
    /// hold them, and silently replacing them would make two different events look alike).
    fn escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                return match first {
                    0xD800..=0xDBFF => {
                        if self.bytes[self.pos..].starts_with(b"\\u") {
                            self.pos += 2;
                            let second = self.hex4()?;
                            if (0xDC00..=0xDFFF).contains(&second) {
                                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                                char::from_u32(c).ok_or(JsonError::at(at, "invalid \\u escape"))
                            } else {
                                Err(JsonError::at(at, "lone surrogate in a \\u escape"))
                            }
                        } else {
                            Err(JsonError::at(at, "lone surrogate in a \\u escape"))
                        }
                    }
                    0xDC00..=0xDFFF => Err(JsonError::at(at, "lone surrogate in a \\u escape")),
                    _ => char::from_u32(first).ok_or(JsonError::at(at, "invalid \\u escape")),
                };
            }
            _ => return Err(JsonError::at(at, "invalid escape in a string")),
        };
        self.pos += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(JsonError::at(self.pos, "truncated \\u escape"))?;
        let mut value = 0;
        for &d in digits {
            let nibble = (d as char)
                .to_digit(16)
                .ok_or(JsonError::at(self.pos, "invalid hex digit in a \\u escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Number {
        Number::from_json_text(text)
    }

    #[test]
    fn keeps_duplicate_keys_in_order() {
        let json = parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        let Json::Object(members) = json else {
            panic!("not an object")
        };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "a"]);
    }

    #[test]
    fn numbers_keep_text_and_value() {
        assert_eq!(num("3.0e2").value(), Some(300.0));
        assert_eq!(num("3.0e2").text(), "3.0e2");
        assert_eq!(num("1e400").value(), None);
        assert!(num("300").same_as(&num("3.0e2")));
        assert!(num("-0").same_as(&num("0")));
        assert!(num("1e400").same_as(&num("1e400")));
        assert!(!num("1e400").same_as(&num("1E400")));
        assert!(!num("0.1").same_as(&num("0.10000000000000002")));
        // Patterns keep a value only when binary64 holds the number as written.
        for exact in [
            "0.1",
            "3.0e2",
            "300.000",
            "5e-324",
            "1e23",
            "-0",
            "0.0",
            "1.7976931348623157e308",
        ] {
            assert!(num(exact).comparable_only().value().is_some(), "{exact}");
        }
        // Halfway between two 17-digit texts: the even one is the value's text.
        assert!(num("1192372860567767.2")
            .comparable_only()
            .value()
            .is_some());
        for inexact in [
            "12345678901234567890",
            "1e400",
            "0.1000000000000000055511151231257827",
            "1192372860567767.3",
        ] {
            assert!(
                num(inexact).comparable_only().value().is_none(),
                "{inexact}"
            );
        }
    }

    #[test]
    fn rejects_what_json_forbids() {
        for bad in [
            &b"{"[..],
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"[1,]",
            b"01",
            b"1.",
            b"1e",
            b"-",
            b"+1",
            b"\"\\x\"",
            b"\"\x01\"",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"\\ud800\\u0041\"",
            b"\"\xff\"",
            b"{} x",
            b"tru",
            b"",
            b"NaN",
        ] {
            assert!(
                parse(bad).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let json = parse(br#""\u00e9\ud83d\ude00\n\/""#).unwrap();
        assert_eq!(json, Json::String("é😀\n/".into()));
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(deep.as_bytes()), Err(JsonError::TooDeep));
        // Far deeper than the bound: still an error, never a stack overflow.
        let hostile = "[".repeat(100_000);
        assert_eq!(parse(hostile.as_bytes()), Err(JsonError::TooDeep));
    }

    proptest::proptest! {
        /// Ryū's text is a shortest round-trip text, as the standard library's is; they differ
        /// only where two are equally short and equally near (Ryū takes the even last digit).
        #[test]
        fn shortest_text_agrees_with_std(bits in proptest::num::u64::ANY) {
            let v = f64::from_bits(bits);
            if v.is_finite() {
                let (ryu, std) = (super::shortest_text(v), format!("{v:e}"));
                proptest::prop_assert_eq!(ryu.parse::<f64>().unwrap(), v);
                let (ours, theirs) = (decimal_digits(&ryu), decimal_digits(&std));
                proptest::prop_assert_eq!(ours.1.len(), theirs.1.len(), "{} {}", ryu, std);
                if ours != theirs {
                    let last = |d: &(bool, String, i64)| d.1.as_bytes()[d.1.len() - 1] - b'0';
                    proptest::prop_assert_eq!(last(&ours) % 2, 0, "{} {}", ryu, std);
                    proptest::prop_assert_eq!(ours.2, theirs.2, "{} {}", ryu, std);
                }
            }
        }

        /// Whatever serde_json accepts we accept with the same content, and vice versa for
        /// documents without out-of-range numbers or duplicate keys.
        #[test]
        fn agrees_with_serde_json(text in "[\\[\\]{}\",:0-9a-z.eE+\\- \\\\]{0,24}") {
            let ours = parse(text.as_bytes());
            let theirs: Result<serde_json::Value, _> = serde_json::from_str(&text);
            // serde_json refuses numbers beyond binary64; we keep them (compared as text).
            let out_of_range = matches!(&theirs, Err(e) if e.to_string().contains("out of range"));
            if !out_of_range {
                proptest::prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", text);
            }
        }
    }
}
