//! Target `differential`: structured input (via `arbitrary`) → small patterns and events as JSON
//! text → the matcher against the reference interpreter.
//!
//! Leaves (operators, strings, numbers, addresses) are `arbitrary`-derived types; the recursive
//! shapes (pattern objects, `$or`, event objects and arrays) are drawn by hand from the same
//! `Unstructured` with a depth bound, so no input nests deeply or grows large. Strings and
//! numbers come mostly from a shared vocabulary carrying the language's traps (case folding,
//! Unicode, number spellings, IP spellings), so patterns and events meet often; free strings and
//! freely spelled numbers let the fuzzer go beyond it.

use arbitrary::{Arbitrary, Result, Unstructured};
use evmatch::{Matcher, Pattern, Validation};

use crate::check::{agree, reference, skip_known};
use crate::json_text::{push_string, quoted, Style};

/// Keys a pattern tests. `a.b` is the same path as `{"a": {"b": ..}}`; `prefix` is a legal field
/// name except inside `$or`.
const PATTERN_KEYS: &[&str] = &["a", "a", "b", "b", "c", "a.b", "d", "é", "prefix", ""];

/// Keys of event members: the pattern keys and a few near misses.
const EVENT_KEYS: &[&str] = &[
    "a", "a", "b", "b", "c", "a.b", "d", "é", "prefix", "", "A", "e", "b.c",
];

/// Strings both sides use (unescaped).
const WORDS: &[&str] = &[
    "x",
    "X",
    "xy",
    "Xy",
    "XY",
    "yx",
    "",
    "x*y",
    "x\\y",
    "é",
    "É",
    "ß",
    "SS",
    "ss",
    "ßx",
    "SSX",
    "σ",
    "ς",
    "Σ",
    "😀",
    "x😀",
    "İ",
    "ı",
    "i",
    "I",
    "straße",
    "STRASSE",
    "10.0.0.1",
    "2001:db8::1",
    "::1",
    "a.b",
    "ǅ",
    "ǆ",
    "Ǆ",
    "ﬀ",
    "FF",
    "ΐ",
    "\u{0}",
    "\"",
    "\n",
];

/// Strings only events hold (after [`WORDS`] in the event vocabulary): case variants, near
/// misses, and addresses in several spellings.
const EVENT_WORDS: &[&str] = &[
    "xyz",
    "XYZ",
    "xyy",
    "x😀y",
    "😀😀",
    "Éx",
    "sß",
    "ΣΑΣ",
    "i̇",
    "yé",
    "Xé",
    "10.0.0.5",
    "10.0.0.255",
    "10.0.1.0",
    "11.0.0.0",
    "010.0.0.1",
    "10.0.0.01",
    "10.0.0.1 ",
    "2001:DB8::1",
    "2001:db8:0:0:0:0:0:1",
    "2001:0db8::0001",
    "2001:db8:ffff::",
    "2001:db9::",
    "0:0:0:0:0:0:0:1",
    "::ffff:10.0.0.1",
    "::",
    "255.255.255.255",
    "0.0.0.0",
];

/// Affixes for prefix / suffix (ignore-case forms too) and anything-but lists.
const AFFIXES: &[&str] = &[
    "", "x", "X", "xy", "y", "Y", "é", "É", "ß", "s", "S", "ss", "σ", "ς", "😀", "i", "İ", "10.0.",
    "2001:", ":1", ".1", "ǅ", "ﬀ",
];

/// Wildcards (unescaped: `\*` is a literal star, `\\` a backslash; `\x` is refused).
const WILDCARDS: &[&str] = &[
    "*", "x*", "*y", "x*y", "X*", "*x*", "x\\*y", "*\\**", "x\\\\y", "é*", "*😀", "", "x",
    "10.0.0.*", "*:*", "*ß*", "*a.b", "x**", "\\x", "*x*y*", "x*x*x",
];

/// Number spellings (patterns and events).
const NUMBERS: &[&str] = &[
    "300",
    "3e2",
    "300.0",
    "3.0E2",
    "3E+2",
    "30000e-2",
    "-0",
    "0",
    "0.0",
    "-0.0",
    "0e5",
    "1e400",
    "-1e400",
    "5e-324",
    "4.9e-324",
    "2e-324",
    "12345678901234567890",
    "12345678901234567891",
    "0.1",
    "0.10",
    "1e-1",
    "-122.42",
    "1",
    "-1",
    "10",
    "299.99999999999999999",
    "1e308",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "1.7976931348623158e308",
    "9007199254740993",
    "9007199254740992",
    "0.30000000000000004",
];

/// CIDR blocks (some refused: non-canonical masks, bad addresses).
const CIDRS: &[&str] = &[
    "10.0.0.0/24",
    "10.0.0.5/24",
    "10.0.0.0/8",
    "10.0.0.1/31",
    "0.0.0.0/0",
    "2001:db8::/32",
    "2001:DB8::/64",
    "::/0",
    "::1/127",
    "::/1",
    "10.0.0.0/32",
    "10.0.0.0/08",
    "10.0.0.0/",
    "::ffff:10.0.0.0/120",
    "255.255.255.255/32",
];

/// IP literals in patterns.
const IPS: &[&str] = &[
    "10.0.0.1",
    "10.0.0.255",
    "2001:db8::1",
    "2001:DB8::1",
    "2001:db8:0:0:0:0:0:1",
    "2001:0db8::0001",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::",
];

/// Rule names: several patterns may share one.
const NAMES: &[&str] = &["r0", "r1", "r2", "naïve-名前", ""];

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

/// A string: from a vocabulary, or free (cut to 12 characters).
#[derive(Arbitrary, Debug)]
enum Word {
    Vocab(u8),
    Free(String),
}

impl Word {
    fn text(&self, vocabulary: &[&str]) -> String {
        match self {
            Word::Vocab(i) => pick(vocabulary, *i).to_owned(),
            Word::Free(s) => s.chars().take(12).collect(),
        }
    }
}

/// A JSON number: from the vocabulary, or spelled from parts (always valid JSON).
#[derive(Arbitrary, Debug)]
enum Num {
    Vocab(u8),
    Spelled {
        negative: bool,
        int: u64,
        /// Leading zeros (0–3) and digits of a fraction.
        fraction: Option<(u8, u32)>,
        /// `E` or `e`, sign (none, `+`, `-`), magnitude (below 400).
        exponent: Option<(bool, u8, u16)>,
    },
}

impl Num {
    fn text(&self) -> String {
        match self {
            Num::Vocab(i) => pick(NUMBERS, *i).to_owned(),
            Num::Spelled {
                negative,
                int,
                fraction,
                exponent,
            } => {
                let mut out = String::new();
                if *negative {
                    out.push('-');
                }
                out.push_str(&int.to_string());
                if let Some((zeros, digits)) = fraction {
                    out.push('.');
                    out.push_str(&"0".repeat(usize::from(zeros % 4)));
                    out.push_str(&digits.to_string());
                }
                if let Some((upper, sign, magnitude)) = exponent {
                    out.push(if *upper { 'E' } else { 'e' });
                    out.push_str(["", "+", "-"][usize::from(sign % 3)]);
                    out.push_str(&(magnitude % 400).to_string());
                }
                out
            }
        }
    }
}

/// An IP address (v4 or v6) as text.
#[derive(Arbitrary, Debug)]
enum Ip {
    Vocab(u8),
    V4([u8; 4]),
    /// Groups, compress the middle zeros with `::`, uppercase.
    V6([u16; 8], bool, bool),
}

impl Ip {
    fn text(&self, vocabulary: &[&str]) -> String {
        match self {
            Ip::Vocab(i) => pick(vocabulary, *i).to_owned(),
            Ip::V4([a, b, c, d]) => format!("{a}.{b}.{c}.{d}"),
            Ip::V6(groups, compress, upper) => {
                let hex: Vec<String> = groups.iter().map(|g| format!("{g:x}")).collect();
                let text = if *compress {
                    format!("{}:{}::{}", hex[0], hex[1], hex[7])
                } else {
                    hex.join(":")
                };
                if *upper {
                    text.to_uppercase()
                } else {
                    text
                }
            }
        }
    }
}

/// One string or a list of them (anything-but arguments).
#[derive(Arbitrary, Debug)]
enum OneOrList {
    One(Word),
    List(Vec<Word>),
}

#[derive(Arbitrary, Debug)]
enum AnythingBut {
    String(Word),
    Strings(Vec<Word>),
    Number(Num),
    Numbers(Vec<Num>),
    Prefix(OneOrList),
    Suffix(OneOrList),
    IgnoreCase(OneOrList),
    Wildcard(OneOrList),
    /// Refused forms: `true`, `null`, a mixed list.
    Odd(u8),
}

#[derive(Arbitrary, Debug)]
enum Numeric {
    /// `=`, `<`, `<=`, `>`, `>=`, and one operator that does not exist.
    One(u8, Num),
    Range(bool, Num, bool, Num),
}

/// One element of a field's array in a pattern.
#[derive(Arbitrary, Debug)]
enum Element {
    String(Word, u8),
    Ip(Ip, u8),
    Exactly(Word),
    Number(Num),
    Bool(bool),
    Null,
    Prefix(Word, bool),
    Suffix(Word, bool),
    EqualsIgnoreCase(Word),
    Wildcard(Word),
    AnythingBut(AnythingBut),
    Numeric(Numeric),
    Exists(bool),
    Cidr(Word),
    CidrFree(Ip, u8),
}

/// Text of a string argument in escape style `style`.
fn string(s: &str, style: u8) -> String {
    let mut out = String::new();
    push_string(&mut out, s, Style::from_byte(style));
    out
}

fn strings(words: &[Word], vocabulary: &[&str]) -> String {
    let items: Vec<String> = words
        .iter()
        .take(3)
        .map(|w| quoted(&w.text(vocabulary)))
        .collect();
    format!("[{}]", items.join(","))
}

fn one_or_list(arg: &OneOrList, vocabulary: &[&str]) -> String {
    match arg {
        OneOrList::One(w) => quoted(&w.text(vocabulary)),
        OneOrList::List(words) => strings(words, vocabulary),
    }
}

impl Element {
    fn text(&self) -> String {
        match self {
            Element::String(w, style) => string(&w.text(WORDS), *style),
            Element::Ip(ip, style) => string(&ip.text(IPS), *style),
            Element::Exactly(w) => format!("{{\"exactly\":{}}}", quoted(&w.text(WORDS))),
            Element::Number(n) => n.text(),
            Element::Bool(b) => b.to_string(),
            Element::Null => "null".into(),
            Element::Prefix(w, ignore_case) | Element::Suffix(w, ignore_case) => {
                let op = if matches!(self, Element::Prefix(..)) {
                    "prefix"
                } else {
                    "suffix"
                };
                let arg = quoted(&w.text(AFFIXES));
                if *ignore_case {
                    format!("{{\"{op}\":{{\"equals-ignore-case\":{arg}}}}}")
                } else {
                    format!("{{\"{op}\":{arg}}}")
                }
            }
            Element::EqualsIgnoreCase(w) => {
                format!("{{\"equals-ignore-case\":{}}}", quoted(&w.text(WORDS)))
            }
            Element::Wildcard(w) => format!("{{\"wildcard\":{}}}", quoted(&w.text(WILDCARDS))),
            Element::AnythingBut(ab) => {
                let arg = match ab {
                    AnythingBut::String(w) => quoted(&w.text(WORDS)),
                    AnythingBut::Strings(words) => strings(words, WORDS),
                    AnythingBut::Number(n) => n.text(),
                    AnythingBut::Numbers(numbers) => {
                        let items: Vec<String> = numbers.iter().take(3).map(Num::text).collect();
                        format!("[{}]", items.join(","))
                    }
                    AnythingBut::Prefix(arg) => {
                        format!("{{\"prefix\":{}}}", one_or_list(arg, AFFIXES))
                    }
                    AnythingBut::Suffix(arg) => {
                        format!("{{\"suffix\":{}}}", one_or_list(arg, AFFIXES))
                    }
                    AnythingBut::IgnoreCase(arg) => {
                        format!("{{\"equals-ignore-case\":{}}}", one_or_list(arg, WORDS))
                    }
                    AnythingBut::Wildcard(arg) => {
                        format!("{{\"wildcard\":{}}}", one_or_list(arg, WILDCARDS))
                    }
                    AnythingBut::Odd(i) => pick(
                        &["true", "null", "[\"x\",1]", "[]", "{\"prefix\":[]}", "{}"],
                        *i,
                    )
                    .to_owned(),
                };
                format!("{{\"anything-but\":{arg}}}")
            }
            Element::Numeric(Numeric::One(op, n)) => {
                let op = pick(&["=", "<", "<=", ">", ">=", "=="], *op);
                format!("{{\"numeric\":[\"{op}\",{}]}}", n.text())
            }
            Element::Numeric(Numeric::Range(low_inclusive, low, high_inclusive, high)) => {
                format!(
                    "{{\"numeric\":[\"{}\",{},\"{}\",{}]}}",
                    if *low_inclusive { ">=" } else { ">" },
                    low.text(),
                    if *high_inclusive { "<=" } else { "<" },
                    high.text()
                )
            }
            Element::Exists(b) => format!("{{\"exists\":{b}}}"),
            Element::Cidr(w) => format!("{{\"cidr\":{}}}", quoted(&w.text(CIDRS))),
            Element::CidrFree(ip, mask) => {
                format!(
                    "{{\"cidr\":{}}}",
                    quoted(&format!("{}/{mask}", ip.text(IPS)))
                )
            }
        }
    }
}

/// Optional whitespace between tokens.
fn gap(out: &mut String, spaced: bool) {
    if spaced {
        out.push(' ');
    }
}

/// A pattern object: 1–3 members (0 rarely), each a leaf, a nested object, or a `$or`.
fn pattern_object(
    u: &mut Unstructured,
    out: &mut String,
    depth: usize,
    spaced: bool,
) -> Result<()> {
    let members = if u.ratio(1, 40)? {
        0
    } else {
        u.int_in_range(1..=3)?
    };
    out.push('{');
    for i in 0..members {
        if i > 0 {
            out.push(',');
            gap(out, spaced);
        }
        let kind = if depth >= 3 {
            0
        } else {
            u.int_in_range(0..=9)?
        };
        match kind {
            0..=6 => {
                out.push_str(&quoted(pick(PATTERN_KEYS, u.arbitrary()?)));
                out.push(':');
                gap(out, spaced);
                out.push('[');
                let elements = if u.ratio(1, 50)? {
                    0
                } else {
                    u.int_in_range(1..=3)?
                };
                for j in 0..elements {
                    if j > 0 {
                        out.push(',');
                        gap(out, spaced);
                    }
                    out.push_str(&u.arbitrary::<Element>()?.text());
                }
                out.push(']');
            }
            7 | 8 => {
                out.push_str(&quoted(pick(PATTERN_KEYS, u.arbitrary()?)));
                out.push(':');
                gap(out, spaced);
                pattern_object(u, out, depth + 1, spaced)?;
            }
            _ => {
                out.push_str("\"$or\":");
                gap(out, spaced);
                out.push('[');
                let branches = if u.ratio(1, 30)? {
                    1
                } else {
                    u.int_in_range(2..=3)?
                };
                for j in 0..branches {
                    if j > 0 {
                        out.push(',');
                        gap(out, spaced);
                    }
                    pattern_object(u, out, depth + 1, spaced)?;
                }
                out.push(']');
            }
        }
    }
    out.push('}');
    Ok(())
}

/// An event scalar.
#[derive(Arbitrary, Debug)]
enum Scalar {
    String(Word, u8),
    Ip(Ip, u8),
    Number(Num),
    Bool(bool),
    Null,
}

/// The event vocabulary: every pattern word, then the event-only words.
fn event_word(i: u8) -> &'static str {
    let i = usize::from(i) % (WORDS.len() + EVENT_WORDS.len());
    if i < WORDS.len() {
        WORDS[i]
    } else {
        EVENT_WORDS[i - WORDS.len()]
    }
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::String(Word::Vocab(i), style) => string(event_word(*i), *style),
            Scalar::String(w, style) => string(&w.text(WORDS), *style),
            Scalar::Ip(ip, style) => string(&ip.text(EVENT_WORDS), *style),
            Scalar::Number(n) => n.text(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Null => "null".into(),
        }
    }
}

/// What the event writer learns about an event: can `Validation::Structural` be held to the
/// reference's answer on it (no key spelled twice in one object, no dotted key)?
struct Clean(bool);

fn event_value(
    u: &mut Unstructured,
    out: &mut String,
    depth: usize,
    spaced: bool,
    clean: &mut Clean,
) -> Result<()> {
    let kind = if depth >= 4 {
        0
    } else {
        u.int_in_range(0..=9)?
    };
    match kind {
        0..=5 => out.push_str(&u.arbitrary::<Scalar>()?.text()),
        6 | 7 => event_object(u, out, depth + 1, spaced, clean)?,
        _ => {
            out.push('[');
            let elements = u.int_in_range(0..=3)?;
            for j in 0..elements {
                if j > 0 {
                    out.push(',');
                    gap(out, spaced);
                }
                event_value(u, out, depth + 1, spaced, clean)?;
            }
            out.push(']');
        }
    }
    Ok(())
}

fn event_object(
    u: &mut Unstructured,
    out: &mut String,
    depth: usize,
    spaced: bool,
    clean: &mut Clean,
) -> Result<()> {
    let members = u.int_in_range(0..=4)?;
    let mut keys: Vec<&str> = Vec::new();
    out.push('{');
    for i in 0..members {
        if i > 0 {
            out.push(',');
            gap(out, spaced);
        }
        let key = pick(EVENT_KEYS, u.arbitrary()?);
        if key.contains('.') || keys.contains(&key) {
            clean.0 = false;
        }
        keys.push(key);
        out.push_str(&string(key, u.arbitrary()?));
        out.push(':');
        gap(out, spaced);
        event_value(u, out, depth, spaced, clean)?;
    }
    out.push('}');
    Ok(())
}

/// Ways to spoil an event's text (usually none).
#[derive(Arbitrary, Debug)]
enum Spoil {
    Truncate(u16),
    InsertByte(u16, u8),
    Trailing(u8),
    TopLevelArray,
    LoneSurrogate,
}

fn event(u: &mut Unstructured) -> Result<(Vec<u8>, bool)> {
    let spaced = u.ratio(1, 4)?;
    let mut clean = Clean(true);
    let mut text = String::new();
    event_object(u, &mut text, 0, spaced, &mut clean)?;
    let mut bytes = text.into_bytes();
    if u.ratio(1, 6)? {
        clean.0 = false;
        match u.arbitrary::<Spoil>()? {
            Spoil::Truncate(at) => bytes.truncate(usize::from(at) % (bytes.len() + 1)),
            Spoil::InsertByte(at, b) => bytes.insert(usize::from(at) % (bytes.len() + 1), b),
            Spoil::Trailing(b) => bytes.push(b),
            Spoil::TopLevelArray => {
                bytes.insert(0, b'[');
                bytes.push(b']');
            }
            Spoil::LoneSurrogate => {
                bytes = br#"{"a": "\ud800", "b": 1}"#.to_vec();
            }
        }
    }
    Ok((bytes, clean.0))
}

/// Structured bytes → 1–4 patterns under a few names and 1–3 events. Every pattern the parser
/// accepts goes into a `Validation::Full` matcher (by text) and a `Validation::Structural` one
/// (parsed); a refused pattern must be refused by `add_rule` with the same error. On every event
/// the Full matcher gives exactly the reference's answer, and the Structural one too when the
/// event is clean (valid, no key twice in an object, no dotted key). Panics with both texts on
/// any disagreement.
pub fn differential(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((patterns, events)) = draw(&mut u) else {
        return;
    };
    let texts: Vec<&[u8]> = patterns
        .iter()
        .map(|(_, text)| text.as_bytes())
        .chain(events.iter().map(|(event, _)| event.as_slice()))
        .collect();
    if skip_known(&texts) {
        return;
    }
    let mut full = Matcher::new();
    let mut structural = Matcher::builder()
        .validation(Validation::Structural)
        .build();
    let mut rules: Vec<(String, Pattern)> = Vec::new();
    for (name, text) in &patterns {
        match Pattern::parse(text) {
            Ok(pattern) => {
                if let Err(e) = full.add_rule(name, text) {
                    panic!("add_rule refused a pattern that parses ({e}): {text}");
                }
                structural.add_pattern(name, &pattern);
                rules.push(((*name).to_owned(), pattern));
            }
            Err(want) => {
                let got = full.add_rule(name, text);
                assert_eq!(got, Err(want), "add_rule and parse disagree on {text}");
            }
        }
    }
    for (event, clean) in &events {
        let want = reference(&rules, event);
        let mut modes = vec![("Validation::Full", full.matches(event))];
        if *clean {
            modes.push(("Validation::Structural", structural.matches(event)));
        } else {
            let _ = structural.matches(event);
        }
        for (mode, got) in &modes {
            if let Err(e) = agree(got, &want) {
                let rules: Vec<String> = patterns
                    .iter()
                    .map(|(name, text)| format!("  {name:?}: {text}"))
                    .collect();
                panic!(
                    "{mode}: {e}\n rules:\n{}\n event: {}",
                    rules.join("\n"),
                    String::from_utf8_lossy(event)
                );
            }
        }
    }
}

type Drawn = (Vec<(&'static str, String)>, Vec<(Vec<u8>, bool)>);

fn draw(u: &mut Unstructured) -> Result<Drawn> {
    let mut patterns = Vec::new();
    for _ in 0..u.int_in_range(1..=4)? {
        let name = pick(NAMES, u.arbitrary()?);
        let spaced = u.ratio(1, 4)?;
        let mut text = String::new();
        pattern_object(u, &mut text, 0, spaced)?;
        patterns.push((name, text));
    }
    let mut events = Vec::new();
    for _ in 0..u.int_in_range(1..=3)? {
        events.push(event(u)?);
    }
    Ok((patterns, events))
}
