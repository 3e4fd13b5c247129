//! Differential tests: the [`Matcher`] (whatever its internals) against the reference interpreter
//! ([`Pattern::matches`]), which defines what "match" means.
//!
//! Patterns and events come from one small shared vocabulary (keys `a`, `b`, `c`, `a.b`; a few
//! dozen strings and number spellings carrying the language's case-folding, Unicode, number and
//! IP-spelling traps). Most events are *planted*: built from the patterns under test, with a value
//! that should satisfy some matcher (or a near miss) at each field the pattern tests, then
//! reshaped — fields spread over arrays of objects, dotted keys, mixed arrays, noise — so pairs
//! match often and fail narrowly. `generated_pairs_are_not_vacuous` checks that on a fixed seed.
//!
//! Generation is plain code driven by one seed per case (proptest's combinators are too slow in
//! a debug build for thousands of cases of this size); [`Minimise`] gives proptest a shrinker
//! that deletes rules, events, pattern members, matchers and event members, so a failure is
//! reported small.
//!
//! Each property runs 3,000 cases (`PROPTEST_CASES=30000` for a longer soak); a failure prints
//! the shrunk case and writes no regression file.
//!
//! Every property compares name sets (the order of `matches` is unspecified) and fails if a name
//! comes back twice. Event errors compare as "both refuse" (offsets and reasons are not compared).
//!
//! IP addresses get one more property, against a model written here rather than the engine's
//! own parser: CIDR blocks with host bits written in, addresses near their edges, and IPv4
//! octets spelled with leading zeros (or with four digits, then no address at all).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use evmatch::{EventError, Matcher, Pattern, Scratch, Validation};
use proptest::prelude::*;
use proptest::strategy::{NewTree, ValueTree};
use proptest::test_runner::TestRunner;

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

/// Keys a pattern tests (repeats weight the choice); `a.b` is a dotted key, the same path as
/// `{"a": {"b": ..}}`.
const PATTERN_KEYS: &[&str] = &["a", "a", "b", "b", "c", "a.b"];

/// Keys of noise members in events.
const EVENT_KEYS: &[&str] = &["a", "a", "b", "b", "c", "a.b", "d"];

/// Strings both sides use (JSON-unescaped).
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
];

/// Further strings only events hold: case variants and near misses.
const EVENT_ONLY_WORDS: &[&str] = &[
    "xyz", "XYZ", "xyy", "x😀y", "😀😀", "Éx", "sß", "ΣΑΣ", "i̇", "yé", "Xé",
];

/// IP addresses in events, in several spellings (an IP literal in a pattern matches the address
/// however it is written), and strings that look like addresses but are not.
const EVENT_IPS: &[&str] = &[
    "10.0.0.1",
    "10.0.0.4",
    "10.0.0.5",
    "10.0.0.7",
    "10.0.0.255",
    "10.0.1.0",
    "10.255.255.255",
    "11.0.0.0",
    "9.255.255.255",
    "010.0.0.1",
    "10.0.0.01",
    "010.000.000.001",
    "10.0.0.001",
    "010.000.000.004",
    "172.016.005.009",
    "192.168.004.001",
    "0010.0.0.1",
    "10.0.0.0001",
    "10.0.0.256",
    "10.0.0.1 ",
    "2001:db8::1",
    "2001:DB8::1",
    "2001:db8:0:0:0:0:0:1",
    "2001:0db8::0001",
    "2001:db8:ffff::",
    "2001:db9::",
    "2001:db8:ab12::1",
    "2001:db8:ac00::",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::ffff:10.0.0.1",
    "::",
];

/// Affixes for prefix / suffix (and their ignore-case forms).
const AFFIXES: &[&str] = &[
    "", "x", "X", "xy", "y", "Y", "é", "É", "ß", "s", "S", "ss", "σ", "ς", "😀", "i", "İ", "10.0.",
    "2001:", ":1", ".1",
];

/// Non-empty affixes (anything-but refuses an empty prefix or suffix).
const EXCLUDED_AFFIXES: &[&str] = &["x", "X", "é", "ß", "s", "10.0.", "y", "😀", "İ"];

/// Wildcard texts (JSON-unescaped: `\*` is a literal star, `\\` a literal backslash).
const WILDCARDS: &[&str] = &[
    "*", "x*", "*y", "x*y", "X*", "*x*", "x\\*y", "*\\**", "x\\\\y", "é*", "*😀", "", "x",
    "10.0.0.*", "*:*", "*ß*", "*a.b",
];

/// Number spellings in events.
const EVENT_NUMBERS: &[&str] = &[
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
];

/// Groups of number spellings (planted values pick another spelling of the same number).
const SAME_NUMBER: &[&[&str]] = &[
    &[
        "300",
        "3e2",
        "300.0",
        "3.0E2",
        "3E+2",
        "30000e-2",
        "299.99999999999999999",
    ],
    &["0", "-0", "0.0", "-0.0", "0e5"],
    &["0.1", "0.10", "1e-1"],
    &["5e-324", "4.9e-324"],
    &["1e400"],
    &["12345678901234567890"],
];

/// Number literals in patterns.
const PATTERN_NUMBERS: &[&str] = &[
    "300",
    "3e2",
    "300.0",
    "0",
    "-0",
    "0.1",
    "-122.42",
    "5e-324",
    "1",
    "10",
    "12345678901234567890",
    "1e400",
    "1.7976931348623157e308",
];

/// `numeric` bounds for single comparisons (all comparable).
const BOUNDS: &[&str] = &[
    "0",
    "-0",
    "1",
    "10",
    "300",
    "3e2",
    "299.5",
    "0.1",
    "-122.42",
    "5e-324",
    "-5e-324",
    "1e308",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
];

/// `numeric` range bounds, strictly increasing, so any `i < j` gives a valid range.
const RANGE_BOUNDS: &[&str] = &[
    "-1.7976931348623157e308",
    "-122.42",
    "-1",
    "-5e-324",
    "0",
    "5e-324",
    "0.1",
    "1",
    "10",
    "299.5",
    "300",
    "1e308",
    "1.7976931348623157e308",
];

/// CIDR blocks, several with host bits written in (the block is still the whole network) or with
/// leading zeros in the address's octets.
const CIDRS: &[&str] = &[
    "10.0.0.0/24",
    "10.0.0.5/24",
    "10.0.0.0/8",
    "10.0.0.1/31",
    "0.0.0.0/0",
    "10.0.0.77/0",
    "010.000.000.005/24",
    "192.168.7.77/22",
    "172.16.5.9/12",
    "2001:db8:abcd:1234::99/40",
    "2001:db8::/32",
    "2001:DB8::/64",
    "::/0",
    "::1/127",
    "::/1",
];

/// IP literals in patterns, each with spellings of the same address.
const IP_LITERALS: &[&[&str]] = &[
    &["10.0.0.1", "010.000.000.001", "10.0.0.01", "10.00.0.001"],
    &["10.0.0.255", "010.0.0.255"],
    &["172.016.005.009", "172.16.5.9", "172.16.05.9"],
    &[
        "2001:db8::1",
        "2001:DB8::1",
        "2001:db8:0:0:0:0:0:1",
        "2001:0db8::0001",
    ],
    &["2001:DB8:0::1", "2001:db8::1"],
    &["::1", "0:0:0:0:0:0:0:1"],
];

/// Names given to rules: some share patterns, two are unusual strings.
const NAMES: &[&str] = &["r0", "r1", "r2", "r3", "naïve-名前", ""];

// ---------------------------------------------------------------------------------------------
// Randomness and shrinking
// ---------------------------------------------------------------------------------------------

/// splitmix64: the generators' only source of randomness, seeded by proptest per case.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A string-escape style for [`json_string`], mostly plain.
    fn style(&mut self) -> u8 {
        self.pick(&[0, 0, 0, 0, 0, 1, 1, 2])
    }
}

/// Values that know their smaller variants.
trait Shrink: Clone + fmt::Debug {
    fn candidates(&self) -> Vec<Self>;
}

impl<T: Shrink> Shrink for Vec<T> {
    fn candidates(&self) -> Vec<Self> {
        let mut out = Vec::new();
        if self.len() > 1 {
            for i in 0..self.len() {
                let mut fewer = self.clone();
                fewer.remove(i);
                out.push(fewer);
            }
        }
        for (i, element) in self.iter().enumerate() {
            for smaller in element.candidates() {
                let mut v = self.clone();
                v[i] = smaller;
                out.push(v);
            }
        }
        out
    }
}

impl<A: Shrink, B: Shrink> Shrink for (A, B) {
    fn candidates(&self) -> Vec<Self> {
        let mut out: Vec<Self> = self
            .0
            .candidates()
            .into_iter()
            .map(|a| (a, self.1.clone()))
            .collect();
        out.extend(self.1.candidates().into_iter().map(|b| (self.0.clone(), b)));
        out
    }
}

impl<A: Shrink, B: Shrink, C: Shrink> Shrink for (A, B, C) {
    fn candidates(&self) -> Vec<Self> {
        ((self.0.clone(), self.1.clone()), self.2.clone())
            .candidates()
            .into_iter()
            .map(|((a, b), c)| (a, b, c))
            .collect()
    }
}

impl Shrink for usize {
    fn candidates(&self) -> Vec<Self> {
        if *self > 0 {
            vec![0]
        } else {
            Vec::new()
        }
    }
}

/// A proptest strategy running a plain generator on a seed drawn from proptest's RNG.
struct Generated<T>(fn(&mut Dice) -> T);

impl<T> fmt::Debug for Generated<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Generated")
    }
}

impl<T: Shrink> Strategy for Generated<T> {
    type Tree = Minimise<T>;
    type Value = T;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let mut dice = Dice(runner.rng().next_u64());
        let value = (self.0)(&mut dice);
        Ok(Minimise {
            base: value.clone(),
            current: value,
            candidates: None,
            next: 0,
            trying: false,
        })
    }
}

/// Shrinks by trying each candidate of the last failing value in turn; a candidate that still
/// fails becomes the new base.
struct Minimise<T> {
    /// The smallest value known to fail.
    base: T,
    current: T,
    candidates: Option<Vec<T>>,
    next: usize,
    /// `current` is a candidate under test (not `base`).
    trying: bool,
}

impl<T: Shrink> Minimise<T> {
    fn advance(&mut self) -> bool {
        let candidates = self
            .candidates
            .get_or_insert_with(|| self.base.candidates());
        if let Some(candidate) = candidates.get(self.next) {
            self.current = candidate.clone();
            self.next += 1;
            self.trying = true;
            true
        } else {
            self.current = self.base.clone();
            self.trying = false;
            false
        }
    }
}

impl<T: Shrink> ValueTree for Minimise<T> {
    type Value = T;

    fn current(&self) -> T {
        self.current.clone()
    }

    /// `current` failed.
    fn simplify(&mut self) -> bool {
        if self.trying {
            self.base = self.current.clone();
            self.candidates = None;
            self.next = 0;
        }
        self.advance()
    }

    /// `current` passed.
    fn complicate(&mut self) -> bool {
        self.trying && self.advance()
    }
}

// ---------------------------------------------------------------------------------------------
// JSON text
// ---------------------------------------------------------------------------------------------

/// A JSON string literal for `s`. `style` 0 writes it plainly, 1 escapes every non-ASCII
/// character as `\uXXXX` (surrogate pairs beyond the BMP), 2 escapes every character.
fn json_string(s: &str, style: u8) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || style == 2 || (style == 1 && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn quoted(s: &str) -> String {
    json_string(s, 0)
}

fn show(event: &[u8]) -> String {
    String::from_utf8_lossy(event).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

/// What a planted event puts at a matcher's field.
#[derive(Clone, Debug)]
enum Witness {
    /// A value that (probably) satisfies the matcher, or (for anything-but) hits its exclusion.
    Value(Ev),
    /// Nothing: `{"exists": false}`.
    Absent,
    /// Any value of the vocabulary.
    Any,
}

/// One element of a field's array: its text, and what a planted event puts there.
#[derive(Clone, Debug)]
struct Element {
    text: String,
    witness: Witness,
}

#[derive(Clone, Debug)]
enum Member {
    Leaf(&'static str, Vec<Element>),
    Nested(&'static str, Vec<Member>),
    Or(Vec<Vec<Member>>),
}

/// A generated pattern (possibly one the parser refuses: a `$or` that shrinking left with one
/// branch, a duplicated key mixing a leaf and an object, ...).
#[derive(Clone)]
struct Pat {
    members: Vec<Member>,
    spaced: bool,
}

impl fmt::Debug for Pat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pattern {}", self.text())
    }
}

fn members_text(members: &[Member], out: &mut String, spaced: bool) {
    out.push('{');
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(if spaced { ",\n " } else { "," });
        }
        match member {
            Member::Leaf(key, elements) => {
                out.push_str(&quoted(key));
                out.push(':');
                let texts: Vec<&str> = elements.iter().map(|e| e.text.as_str()).collect();
                out.push_str(&format!("[{}]", texts.join(",")));
            }
            Member::Nested(key, inner) => {
                out.push_str(&quoted(key));
                out.push(':');
                members_text(inner, out, spaced);
            }
            Member::Or(branches) => {
                out.push_str("\"$or\":[");
                for (j, branch) in branches.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    members_text(branch, out, spaced);
                }
                out.push(']');
            }
        }
    }
    out.push('}');
}

impl Pat {
    fn text(&self) -> String {
        let mut out = String::new();
        members_text(&self.members, &mut out, self.spaced);
        out
    }
}

fn members_candidates(members: &[Member]) -> Vec<Vec<Member>> {
    let mut out = Vec::new();
    if members.len() > 1 {
        for i in 0..members.len() {
            let mut fewer = members.to_vec();
            fewer.remove(i);
            out.push(fewer);
        }
    }
    for (i, member) in members.iter().enumerate() {
        for replacement in member_candidates(member) {
            let mut v = members[..i].to_vec();
            v.extend(replacement);
            v.extend_from_slice(&members[i + 1..]);
            out.push(v);
        }
    }
    out
}

/// Smaller forms of one member (each a list of members that replaces it).
fn member_candidates(member: &Member) -> Vec<Vec<Member>> {
    let mut out = Vec::new();
    match member {
        Member::Leaf(key, elements) => {
            if elements.len() > 1 {
                for i in 0..elements.len() {
                    let mut fewer = elements.clone();
                    fewer.remove(i);
                    out.push(vec![Member::Leaf(key, fewer)]);
                }
            }
        }
        Member::Nested(key, inner) => {
            if let [Member::Leaf(_, elements)] = inner.as_slice() {
                out.push(vec![Member::Leaf(key, elements.clone())]);
            }
            for smaller in members_candidates(inner) {
                out.push(vec![Member::Nested(key, smaller)]);
            }
        }
        Member::Or(branches) => {
            for branch in branches {
                out.push(branch.clone());
            }
            if branches.len() > 2 {
                for i in 0..branches.len() {
                    let mut fewer = branches.clone();
                    fewer.remove(i);
                    out.push(vec![Member::Or(fewer)]);
                }
            }
            for (i, branch) in branches.iter().enumerate() {
                for smaller in members_candidates(branch) {
                    let mut v = branches.clone();
                    v[i] = smaller;
                    out.push(vec![Member::Or(v)]);
                }
            }
        }
    }
    out
}

impl Shrink for Pat {
    fn candidates(&self) -> Vec<Self> {
        let mut out: Vec<Pat> = members_candidates(&self.members)
            .into_iter()
            .map(|members| Pat {
                members,
                spaced: self.spaced,
            })
            .collect();
        if self.spaced {
            out.push(Pat {
                members: self.members.clone(),
                spaced: false,
            });
        }
        out
    }
}

fn case_variant(dice: &mut Dice, s: &str) -> String {
    match dice.below(3) {
        0 => s.to_uppercase(),
        1 => s.to_lowercase(),
        _ => s.to_owned(),
    }
}

/// A string the wildcard matches: stars filled in, escapes resolved.
fn wildcard_witness(dice: &mut Dice, wildcard: &str) -> String {
    let mut out = String::new();
    let mut chars = wildcard.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(dice.pick(&["", "x", "é*", "yy"])),
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

fn same_number(dice: &mut Dice, n: &'static str) -> &'static str {
    match SAME_NUMBER.iter().find(|group| group.contains(&n)) {
        Some(group) => dice.pick(group),
        None => n,
    }
}

fn string_value(dice: &mut Dice, s: String) -> Witness {
    let style = dice.style();
    Witness::Value(Ev::Str(s, style))
}

/// A string of the vocabulary, written in a random escape style.
fn styled(dice: &mut Dice, words: &[&'static str]) -> (String, &'static str) {
    let word = dice.pick(words);
    let style = dice.style();
    (json_string(word, style), word)
}

/// `"x"` or `["x", "y"]`; returns the text and one of the strings.
fn one_or_list(dice: &mut Dice, words: &[&'static str]) -> (String, &'static str) {
    if dice.chance(60) {
        styled(dice, words)
    } else {
        let items: Vec<(String, &str)> =
            (0..dice.range(1, 3)).map(|_| styled(dice, words)).collect();
        let texts: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        let one = items[dice.below(items.len())].1;
        (format!("[{}]", texts.join(",")), one)
    }
}

fn anything_but(dice: &mut Dice) -> Element {
    let hit = dice.chance(40);
    let (text, witness) = match dice.below(14) {
        0..=2 => {
            let (s, word) = styled(dice, WORDS);
            (s, string_value(dice, word.to_owned()))
        }
        3..=4 => {
            let n = dice.pick(PATTERN_NUMBERS);
            (n.to_owned(), Witness::Value(Ev::Num(same_number(dice, n))))
        }
        5..=6 => {
            let items: Vec<(String, &str)> =
                (0..dice.range(1, 3)).map(|_| styled(dice, WORDS)).collect();
            let texts: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
            let one = items[dice.below(items.len())].1;
            (
                format!("[{}]", texts.join(",")),
                string_value(dice, one.to_owned()),
            )
        }
        7 => {
            let items: Vec<&str> = (0..dice.range(1, 3))
                .map(|_| dice.pick(PATTERN_NUMBERS))
                .collect();
            let one = dice.pick(&items);
            (
                format!("[{}]", items.join(",")),
                Witness::Value(Ev::Num(same_number(dice, one))),
            )
        }
        8..=9 => {
            let op = dice.pick(&["prefix", "suffix"]);
            let (arg, one) = one_or_list(dice, EXCLUDED_AFFIXES);
            let value = if op == "prefix" {
                format!("{one}x")
            } else {
                format!("x{one}")
            };
            (format!("{{\"{op}\":{arg}}}"), string_value(dice, value))
        }
        10..=11 => {
            let (arg, one) = one_or_list(dice, WORDS);
            let value = case_variant(dice, one);
            (
                format!("{{\"equals-ignore-case\":{arg}}}"),
                string_value(dice, value),
            )
        }
        _ => {
            let (arg, one) = one_or_list(dice, WILDCARDS);
            let value = wildcard_witness(dice, one);
            (format!("{{\"wildcard\":{arg}}}"), string_value(dice, value))
        }
    };
    Element {
        text: format!("{{\"anything-but\":{text}}}"),
        witness: if hit { witness } else { Witness::Any },
    }
}

fn numeric(dice: &mut Dice) -> Element {
    let (text, bounds) = if dice.chance(50) {
        let op = dice.pick(&["=", "<", "<=", ">", ">="]);
        let n = dice.pick(BOUNDS);
        (format!("{{\"numeric\":[\"{op}\",{n}]}}"), vec![n])
    } else {
        let lo = dice.below(RANGE_BOUNDS.len() - 1);
        let hi = dice.range(lo + 1, RANGE_BOUNDS.len() - 1);
        let (lo, hi) = (RANGE_BOUNDS[lo], RANGE_BOUNDS[hi]);
        let lo_op = dice.pick(&[">", ">="]);
        let hi_op = dice.pick(&["<", "<="]);
        (
            format!("{{\"numeric\":[\"{lo_op}\",{lo},\"{hi_op}\",{hi}]}}"),
            vec![lo, hi],
        )
    };
    let witness = if dice.chance(50) {
        let bound = dice.pick(&bounds);
        Witness::Value(Ev::Num(same_number(dice, bound)))
    } else {
        Witness::Value(Ev::Num(dice.pick(EVENT_NUMBERS)))
    };
    Element { text, witness }
}

// ---------------------------------------------------------------------------------------------
// IP addresses
// ---------------------------------------------------------------------------------------------

/// IPv4 addresses blocks are built around: the README's examples, the vocabulary's 10.0.0.x, and
/// the ends and middle of the space.
const V4_BASES: &[u32] = &[
    0x0A00_0005, // 10.0.0.5
    0x0A00_0007, // 10.0.0.7
    0x0A00_0001, // 10.0.0.1
    0xC0A8_074D, // 192.168.7.77
    0xAC10_0509, // 172.16.5.9
    0,
    u32::MAX,
    0x7FFF_FFFF,
    0x8000_0000,
];

/// IPv6 addresses blocks are built around.
const V6_BASES: &[u128] = &[
    0x2001_0db8_abcd_1234_0000_0000_0000_0099,
    0x2001_0db8_0000_0000_0000_0000_0000_0001,
    0x2001_0db8_0000_0000_0000_0000_0000_0007,
    0,
    1,
    u128::MAX,
    1 << 127,
];

/// A CIDR block as generated: its family, the address as written (host bits and all) and the
/// mask (up to the family's width, which the parser refuses).
#[derive(Clone, Copy, Debug)]
struct Block {
    v6: bool,
    address: u128,
    mask: u32,
}

impl Block {
    fn random(dice: &mut Dice) -> Block {
        if dice.chance(65) {
            let address = if dice.chance(70) {
                dice.pick(V4_BASES)
            } else {
                dice.next() as u32
            };
            let mask = if dice.chance(60) {
                dice.pick(&[0, 1, 8, 12, 22, 24, 30, 31])
            } else {
                dice.range(0, 32) as u32
            };
            Block {
                v6: false,
                address: address.into(),
                mask,
            }
        } else {
            let address = if dice.chance(70) {
                dice.pick(V6_BASES)
            } else {
                u128::from(dice.next()) << 64 | u128::from(dice.next())
            };
            let mask = if dice.chance(60) {
                dice.pick(&[0, 1, 32, 40, 64, 120, 126, 127])
            } else {
                dice.range(0, 128) as u32
            };
            Block {
                v6: true,
                address,
                mask,
            }
        }
    }

    /// Every address of the family.
    fn all(&self) -> u128 {
        if self.v6 {
            u128::MAX
        } else {
            u32::MAX.into()
        }
    }

    /// The host bits: the low `width - mask` bits (none for a mask of the whole width).
    fn host(&self) -> u128 {
        let width = if self.v6 { 128 } else { 32 };
        if self.mask >= width {
            0
        } else {
            self.all() >> self.mask
        }
    }

    /// The block as a pattern writes it, the address in some spelling.
    fn text(&self, dice: &mut Dice) -> String {
        format!(
            "{}/{}",
            address_text(dice, self.v6, self.address),
            self.mask
        )
    }

    /// An address of the family at or near an edge of the block's network: its bottom or top, one
    /// past either, the address as written, or anything inside.
    fn near(&self, dice: &mut Dice) -> u128 {
        let (low, high) = (self.address & !self.host(), self.address | self.host());
        let address = match dice.below(6) {
            0 => low,
            1 => high,
            2 => low.wrapping_sub(1),
            3 => high.wrapping_add(1),
            4 => self.address,
            _ => low | (u128::from(dice.next()) << 64 | u128::from(dice.next())) & self.host(),
        };
        address & self.all()
    }
}

/// An IPv4 address as text: octets in decimal, some zero-padded to two or three digits (the same
/// address); now and then one padded to four digits, which makes the text no address at all.
fn ipv4_text(dice: &mut Dice, address: u32) -> String {
    let long = dice.chance(8).then(|| dice.below(4));
    let octets: Vec<String> = address
        .to_be_bytes()
        .iter()
        .enumerate()
        .map(|(i, octet)| {
            let width = if long == Some(i) {
                4
            } else if dice.chance(30) {
                dice.range(2, 3)
            } else {
                0
            };
            format!("{octet:0width$}")
        })
        .collect();
    octets.join(".")
}

/// An IPv6 address as text: compressed, full with zero-padded groups, or full with bare groups;
/// sometimes in upper case.
fn ipv6_text(dice: &mut Dice, address: u128) -> String {
    let ip = std::net::Ipv6Addr::from(address);
    let groups = |padded: bool| -> String {
        let groups: Vec<String> = ip
            .segments()
            .iter()
            .map(|g| {
                if padded {
                    format!("{g:04x}")
                } else {
                    format!("{g:x}")
                }
            })
            .collect();
        groups.join(":")
    };
    let text = match dice.below(3) {
        0 => ip.to_string(),
        1 => groups(true),
        _ => groups(false),
    };
    if dice.chance(25) {
        text.to_uppercase()
    } else {
        text
    }
}

fn address_text(dice: &mut Dice, v6: bool, address: u128) -> String {
    if v6 {
        ipv6_text(dice, address)
    } else {
        ipv4_text(dice, address as u32)
    }
}

/// A block with host bits (maybe) written in, and an address at or near one of its edges.
fn masked_block(dice: &mut Dice) -> (String, String) {
    let block = Block::random(dice);
    let value = block.near(dice);
    (block.text(dice), address_text(dice, block.v6, value))
}

/// An IP literal for a pattern and a value: the same address in another spelling, or a
/// neighbour.
fn ip_literal(dice: &mut Dice) -> (String, String) {
    let block = Block::random(dice);
    let value = if dice.chance(60) {
        block.address
    } else {
        block.near(dice)
    };
    (
        address_text(dice, block.v6, block.address),
        address_text(dice, block.v6, value),
    )
}

/// A string shaped like an IP address (or nearly: a four-digit octet, another family).
fn ip_shaped(dice: &mut Dice) -> String {
    let block = Block::random(dice);
    let value = block.near(dice);
    address_text(dice, block.v6, value)
}

/// One element of a field's array: a literal or an operator, with its witness.
fn element(dice: &mut Dice) -> Element {
    let (text, witness) = match dice.below(46) {
        0..=3 => {
            let (text, word) = styled(dice, WORDS);
            (text, string_value(dice, word.to_owned()))
        }
        4..=5 => {
            let n = dice.pick(PATTERN_NUMBERS);
            (n.to_owned(), Witness::Value(Ev::Num(same_number(dice, n))))
        }
        6 => match dice.below(3) {
            0 => ("true".to_owned(), Witness::Value(Ev::Bool(true))),
            1 => ("false".to_owned(), Witness::Value(Ev::Bool(false))),
            _ => ("null".to_owned(), Witness::Value(Ev::Null)),
        },
        7..=8 => {
            let (text, affix) = styled(dice, AFFIXES);
            let value = format!("{affix}{}", dice.pick(&["", "x", "yz", "é"]));
            (format!("{{\"prefix\":{text}}}"), string_value(dice, value))
        }
        9..=10 => {
            let (text, affix) = styled(dice, AFFIXES);
            let value = format!("{}{affix}", dice.pick(&["", "x", "yz", "é"]));
            (format!("{{\"suffix\":{text}}}"), string_value(dice, value))
        }
        11..=13 => {
            let op = dice.pick(&["prefix", "suffix"]);
            let (text, affix) = styled(dice, AFFIXES);
            let variant = case_variant(dice, affix);
            let value = if op == "prefix" {
                format!("{variant}y")
            } else {
                format!("y{variant}")
            };
            (
                format!("{{\"{op}\":{{\"equals-ignore-case\":{text}}}}}"),
                string_value(dice, value),
            )
        }
        14..=16 => {
            let (text, word) = styled(dice, WORDS);
            let value = case_variant(dice, word);
            (
                format!("{{\"equals-ignore-case\":{text}}}"),
                string_value(dice, value),
            )
        }
        17..=19 => {
            let (text, wildcard) = styled(dice, WILDCARDS);
            let value = wildcard_witness(dice, wildcard);
            (
                format!("{{\"wildcard\":{text}}}"),
                string_value(dice, value),
            )
        }
        20..=25 => return anything_but(dice),
        26..=30 => return numeric(dice),
        31..=34 => {
            let exists = dice.chance(50);
            let witness = if exists {
                Witness::Any
            } else {
                Witness::Absent
            };
            (format!("{{\"exists\":{exists}}}"), witness)
        }
        35..=37 => {
            let (cidr, value) = if dice.chance(50) {
                masked_block(dice)
            } else {
                let cidr = dice.pick(CIDRS);
                let value = if dice.chance(40) {
                    cidr.split('/').next().unwrap_or_default()
                } else {
                    dice.pick(EVENT_IPS)
                };
                (cidr.to_owned(), value.to_owned())
            };
            (
                format!("{{\"cidr\":{}}}", quoted(&cidr)),
                string_value(dice, value),
            )
        }
        38..=39 => {
            let (literal, value) = if dice.chance(40) {
                ip_literal(dice)
            } else {
                let spellings = dice.pick(IP_LITERALS);
                (
                    dice.pick(spellings).to_owned(),
                    dice.pick(spellings).to_owned(),
                )
            };
            (quoted(&literal), string_value(dice, value))
        }
        _ => {
            // A literal from the event side's own vocabulary, so that equal values are planted.
            let (text, word) = styled(dice, WORDS);
            let value = if dice.chance(50) {
                word.to_owned()
            } else {
                dice.pick(WORDS).to_owned()
            };
            (text, string_value(dice, value))
        }
    };
    Element { text, witness }
}

fn member(dice: &mut Dice, depth: usize) -> Member {
    if depth < 2 && dice.chance(30) {
        if dice.chance(65) {
            let inner = (0..dice.range(1, 2))
                .map(|_| member(dice, depth + 1))
                .collect();
            Member::Nested(dice.pick(PATTERN_KEYS), inner)
        } else {
            let branches = (0..dice.range(2, 3))
                .map(|_| {
                    (0..dice.range(1, 2))
                        .map(|_| member(dice, depth + 1))
                        .collect()
                })
                .collect();
            Member::Or(branches)
        }
    } else {
        let elements = (0..dice.pick(&[1, 1, 1, 2, 2, 3]))
            .map(|_| element(dice))
            .collect();
        Member::Leaf(dice.pick(PATTERN_KEYS), elements)
    }
}

/// A pattern of 1–3 members: leaves of 1–3 elements, nested objects, `$or`; paths up to three
/// keys deep (more through dotted keys).
fn pattern(dice: &mut Dice) -> Pat {
    Pat {
        members: (0..dice.pick(&[1, 1, 2, 2, 3]))
            .map(|_| member(dice, 0))
            .collect(),
        spaced: dice.chance(20),
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// An event as a tree, rendered to text later (so duplicate keys can be removed on demand).
#[derive(Clone, Debug)]
enum Ev {
    /// The string and its escape style (see [`json_string`]).
    Str(String, u8),
    Num(&'static str),
    Bool(bool),
    Null,
    Arr(Vec<Ev>),
    Obj(Vec<(String, Ev)>),
}

impl Ev {
    fn render(&self, spaced: bool, out: &mut String) {
        let sep = if spaced { ", " } else { "," };
        match self {
            Ev::Str(s, style) => out.push_str(&json_string(s, *style)),
            Ev::Num(n) => out.push_str(n),
            Ev::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Ev::Null => out.push_str("null"),
            Ev::Arr(elements) => {
                out.push('[');
                for (i, e) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    e.render(spaced, out);
                }
                out.push(']');
            }
            Ev::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    out.push_str(&quoted(k));
                    out.push_str(if spaced { ": " } else { ":" });
                    v.render(spaced, out);
                }
                out.push('}');
            }
        }
    }

    fn text(&self, spaced: bool) -> String {
        let mut out = String::new();
        self.render(spaced, &mut out);
        out
    }

    /// The same tree with only the first occurrence of each key in every object, where keys
    /// are compared by their first dot-separated segment (`"a"` and `"a.b"` are duplicates):
    /// what [`Validation::Structural`] assumes.
    fn without_duplicate_keys(&self) -> Ev {
        match self {
            Ev::Arr(elements) => Ev::Arr(elements.iter().map(Ev::without_duplicate_keys).collect()),
            Ev::Obj(members) => {
                let mut seen = BTreeSet::new();
                Ev::Obj(
                    members
                        .iter()
                        .filter(|(k, _)| seen.insert(k.split('.').next().map(str::to_owned)))
                        .map(|(k, v)| (k.clone(), v.without_duplicate_keys()))
                        .collect(),
                )
            }
            scalar => scalar.clone(),
        }
    }
}

impl Shrink for Ev {
    fn candidates(&self) -> Vec<Self> {
        let mut out = Vec::new();
        match self {
            Ev::Obj(members) => {
                for i in 0..members.len() {
                    let mut fewer = members.clone();
                    fewer.remove(i);
                    out.push(Ev::Obj(fewer));
                }
                for (i, (key, value)) in members.iter().enumerate() {
                    for smaller in value.candidates() {
                        let mut v = members.clone();
                        v[i] = (key.clone(), smaller);
                        out.push(Ev::Obj(v));
                    }
                }
            }
            Ev::Arr(elements) => {
                out.extend(elements.iter().cloned());
                for i in 0..elements.len() {
                    let mut fewer = elements.clone();
                    fewer.remove(i);
                    out.push(Ev::Arr(fewer));
                }
                for (i, element) in elements.iter().enumerate() {
                    for smaller in element.candidates() {
                        let mut v = elements.clone();
                        v[i] = smaller;
                        out.push(Ev::Arr(v));
                    }
                }
            }
            Ev::Str(s, style) if *style != 0 => out.push(Ev::Str(s.clone(), 0)),
            _ => {}
        }
        out
    }
}

fn scalar(dice: &mut Dice) -> Ev {
    match dice.below(12) {
        0..=3 => Ev::Str(dice.pick(WORDS).to_owned(), dice.style()),
        4 => Ev::Str(dice.pick(EVENT_ONLY_WORDS).to_owned(), dice.style()),
        5 if dice.chance(50) => Ev::Str(ip_shaped(dice), 0),
        5 => Ev::Str(dice.pick(EVENT_IPS).to_owned(), 0),
        6..=9 => Ev::Num(dice.pick(EVENT_NUMBERS)),
        10 => Ev::Bool(dice.chance(50)),
        _ => Ev::Null,
    }
}

fn value(dice: &mut Dice, depth: usize) -> Ev {
    if depth == 0 || dice.chance(55) {
        scalar(dice)
    } else if dice.chance(55) {
        Ev::Obj(
            (0..dice.range(0, 3))
                .map(|_| (dice.pick(EVENT_KEYS).to_owned(), value(dice, depth - 1)))
                .collect(),
        )
    } else {
        Ev::Arr(
            (0..dice.range(0, 3))
                .map(|_| value(dice, depth - 1))
                .collect(),
        )
    }
}

/// An event owing nothing to any pattern: an object of 1–4 members, three levels deep at most.
fn random_event(dice: &mut Dice) -> Ev {
    Ev::Obj(
        (0..dice.range(1, 4))
            .map(|_| (dice.pick(EVENT_KEYS).to_owned(), value(dice, 3)))
            .collect(),
    )
}

/// Values planted at paths, before they are shaped into an object.
#[derive(Default)]
struct Trie {
    scalars: Vec<Ev>,
    children: Vec<(String, Trie)>,
}

impl Trie {
    fn insert(&mut self, path: &[String], value: Ev) {
        match path.split_first() {
            None => self.scalars.push(value),
            Some((key, rest)) => {
                let at = match self.children.iter().position(|(k, _)| k == key) {
                    Some(at) => at,
                    None => {
                        self.children.push((key.clone(), Trie::default()));
                        self.children.len() - 1
                    }
                };
                self.children[at].1.insert(rest, value);
            }
        }
    }

    /// The members of the object at this node, shaped at random: values at a path and below it
    /// become a mixed array or two members under one key; a single-child object may become a
    /// dotted key; an object may be split over an array of objects; noise is added.
    fn into_members(self, dice: &mut Dice) -> Vec<(String, Ev)> {
        let mut members = Vec::new();
        for (key, child) in self.children {
            let mut scalars = child.scalars.clone();
            let object = if child.children.is_empty() {
                None
            } else {
                Some(child.object(dice))
            };
            match (scalars.len(), object) {
                (0, Some(object)) => members.push((key, object)),
                (1, None) => members.push((key, scalars.remove(0))),
                (_, None) => members.push((key, Ev::Arr(scalars))),
                (_, Some(object)) => {
                    if dice.chance(30) {
                        members.push((key.clone(), Ev::Arr(scalars)));
                        members.push((key, object));
                    } else {
                        scalars.insert(dice.below(scalars.len() + 1), object);
                        members.push((key, Ev::Arr(scalars)));
                    }
                }
            }
        }
        // Dotted keys: {"a": {"b": v}} → {"a.b": v}.
        for (key, value) in &mut members {
            if let Ev::Obj(inner) = value {
                if inner.len() == 1 && dice.chance(25) {
                    let (inner_key, inner_value) = inner.remove(0);
                    *key = format!("{key}.{inner_key}");
                    *value = inner_value;
                }
            }
        }
        if dice.chance(35) {
            let noise = (dice.pick(EVENT_KEYS).to_owned(), value(dice, 2));
            members.insert(dice.below(members.len() + 1), noise);
        }
        members
    }

    /// This node as an object, or as an array of objects sharing its members out.
    fn object(self, dice: &mut Dice) -> Ev {
        let members = self.into_members(dice);
        if members.len() < 2 || !dice.chance(35) {
            return if dice.chance(10) {
                Ev::Arr(vec![Ev::Obj(members)])
            } else {
                Ev::Obj(members)
            };
        }
        let mut elements = vec![Vec::new(), Vec::new()];
        for member in members {
            let which = dice.below(2);
            elements[which].push(member);
        }
        if dice.chance(30) {
            elements.push(vec![(dice.pick(EVENT_KEYS).to_owned(), scalar(dice))]);
        }
        Ev::Arr(elements.into_iter().map(Ev::Obj).collect())
    }
}

fn plant(dice: &mut Dice, members: &[Member], prefix: &[String], trie: &mut Trie) {
    for member in members {
        match member {
            Member::Leaf(key, elements) => {
                if !dice.chance(85) {
                    continue;
                }
                let mut path = prefix.to_vec();
                path.extend(key.split('.').map(str::to_owned));
                let witness = if dice.chance(75) {
                    elements[dice.below(elements.len())].witness.clone()
                } else {
                    Witness::Any
                };
                let planted = match witness {
                    Witness::Value(v) => v,
                    Witness::Any => scalar(dice),
                    Witness::Absent => continue,
                };
                let planted = if dice.chance(15) {
                    let mut values = vec![planted, scalar(dice)];
                    if dice.chance(50) {
                        values.reverse();
                    }
                    Ev::Arr(values)
                } else {
                    planted
                };
                trie.insert(&path, planted);
            }
            Member::Nested(key, inner) => {
                let mut path = prefix.to_vec();
                path.extend(key.split('.').map(str::to_owned));
                plant(dice, inner, &path, trie);
            }
            Member::Or(branches) => {
                let chosen = dice.below(branches.len());
                for (i, branch) in branches.iter().enumerate() {
                    if i == chosen || dice.chance(30) {
                        plant(dice, branch, prefix, trie);
                    }
                }
            }
        }
    }
}

/// An event built to (nearly) satisfy the given patterns.
fn planted_event(dice: &mut Dice, patterns: &[&Pat]) -> Ev {
    let mut trie = Trie::default();
    for pattern in patterns {
        plant(dice, &pattern.members, &[], &mut trie);
    }
    Ev::Obj(trie.into_members(dice))
}

/// Mostly planted for the given patterns, sometimes unrelated.
fn event_tree(dice: &mut Dice, patterns: &[&Pat]) -> Ev {
    if patterns.is_empty() || dice.chance(25) {
        random_event(dice)
    } else {
        let count = dice.range(1, patterns.len().min(2));
        let chosen: Vec<&Pat> = (0..count).map(|_| dice.pick(patterns)).collect();
        planted_event(dice, &chosen)
    }
}

/// Ways to break an event's text (see [`corrupt`]).
const CORRUPTIONS: usize = 13;

/// `text` made into something that is not a readable event.
fn corrupt(text: &str, how: usize, at: u64) -> Vec<u8> {
    let bytes = text.as_bytes();
    match how {
        // Reduced in 64 bits, so one seed cuts at the same place on 32-bit targets.
        0 => bytes[..(at % bytes.len() as u64) as usize].to_vec(),
        1 => format!("{text} x").into_bytes(),
        2 => format!("{text}}}").into_bytes(),
        3 => format!("[{text}]").into_bytes(),
        4 => text.replacen('"', "\"\\ud800", 1).into_bytes(),
        5 => text.replacen('"', "\"\u{1}", 1).into_bytes(),
        6 => {
            // Invalid UTF-8 inside the first key.
            let first_quote = text.find('"').map_or(0, |at| at + 1);
            let mut out = bytes[..first_quote].to_vec();
            out.push(0xff);
            out.extend_from_slice(&bytes[first_quote..]);
            out
        }
        7 => text.replacen(':', " ", 1).into_bytes(),
        8 => text.replacen('{', "{\"z\":01,", 1).into_bytes(),
        9 => {
            let mut out = text.to_owned();
            out.insert(out.len() - 1, ',');
            out.into_bytes()
        }
        10 => [&b"5"[..], b"null", b"\"s\"", b"[]", b"", b"  ", b"{", b"}"][(at % 8) as usize]
            .to_vec(),
        11 => {
            // Deeper than the nesting limit.
            let depth = evmatch::limits::MAX_DEPTH + 1;
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes()
        }
        _ => text.replacen('"', "\"\\x", 1).into_bytes(),
    }
}

/// An event: a tree, how it is spaced, and (one time in ten) how its text is broken.
#[derive(Clone)]
struct EventCase {
    tree: Ev,
    spaced: bool,
    corruption: Option<(usize, u64)>,
}

impl EventCase {
    fn generate(dice: &mut Dice, patterns: &[&Pat]) -> EventCase {
        EventCase {
            tree: event_tree(dice, patterns),
            spaced: dice.chance(30),
            corruption: if dice.chance(10) {
                Some((dice.below(CORRUPTIONS), dice.next()))
            } else {
                None
            },
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let text = self.tree.text(self.spaced);
        match self.corruption {
            None => text.into_bytes(),
            Some((how, at)) => corrupt(&text, how, at),
        }
    }
}

impl fmt::Debug for EventCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {}", show(&self.bytes()))
    }
}

impl Shrink for EventCase {
    fn candidates(&self) -> Vec<Self> {
        let mut out = Vec::new();
        if self.corruption.is_some() {
            out.push(EventCase {
                corruption: None,
                ..self.clone()
            });
        }
        if self.spaced {
            out.push(EventCase {
                spaced: false,
                ..self.clone()
            });
        }
        out.extend(self.tree.candidates().into_iter().map(|tree| EventCase {
            tree,
            ..self.clone()
        }));
        out
    }
}

/// A valid event without duplicate keys (what [`Validation::Structural`] promises to handle).
#[derive(Clone)]
struct CleanEvent(Ev, bool);

impl CleanEvent {
    fn bytes(&self) -> Vec<u8> {
        self.0.text(self.1).into_bytes()
    }
}

impl fmt::Debug for CleanEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {}", show(&self.bytes()))
    }
}

impl Shrink for CleanEvent {
    fn candidates(&self) -> Vec<Self> {
        self.0
            .candidates()
            .into_iter()
            .map(|tree| CleanEvent(tree, self.1))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Generated cases
// ---------------------------------------------------------------------------------------------

/// Rules: (index into [`NAMES`], pattern).
type Rules = Vec<(usize, Pat)>;

fn rules(dice: &mut Dice, lo: usize, hi: usize) -> Rules {
    (0..dice.range(lo, hi))
        .map(|_| (dice.below(NAMES.len()), pattern(dice)))
        .collect()
}

fn events_for(dice: &mut Dice, rules: &Rules, lo: usize, hi: usize) -> Vec<EventCase> {
    let patterns: Vec<&Pat> = rules.iter().map(|(_, p)| p).collect();
    (0..dice.range(lo, hi))
        .map(|_| EventCase::generate(dice, &patterns))
        .collect()
}

fn one_pair(dice: &mut Dice) -> (Pat, EventCase) {
    let pattern = pattern(dice);
    let event = EventCase::generate(dice, &[&pattern]);
    (pattern, event)
}

fn rule_set_case(dice: &mut Dice) -> (Rules, Vec<EventCase>) {
    let rules = rules(dice, 3, 8);
    let events = events_for(dice, &rules, 1, 3);
    (rules, events)
}

fn structural_case(dice: &mut Dice) -> (Rules, Vec<CleanEvent>) {
    let rules = rules(dice, 1, 8);
    let patterns: Vec<&Pat> = rules.iter().map(|(_, p)| p).collect();
    let events = (0..dice.range(1, 3))
        .map(|_| {
            let tree = event_tree(dice, &patterns).without_duplicate_keys();
            CleanEvent(tree, dice.chance(30))
        })
        .collect();
    (rules, events)
}

fn value_case(dice: &mut Dice) -> (Rules, Vec<CleanEvent>) {
    let rules = rules(dice, 1, 5);
    let patterns: Vec<&Pat> = rules.iter().map(|(_, p)| p).collect();
    let events = (0..dice.range(1, 3))
        .map(|_| CleanEvent(event_tree(dice, &patterns).without_duplicate_keys(), false))
        .collect();
    (rules, events)
}

/// Several rule sets (some empty), events for them, and an interleaving: (rule set, event).
fn reuse_case(dice: &mut Dice) -> (Vec<Rules>, Vec<EventCase>, Vec<(usize, usize)>) {
    let rule_sets: Vec<Rules> = (0..dice.range(2, 4)).map(|_| rules(dice, 0, 6)).collect();
    let all: Rules = rule_sets.iter().flatten().cloned().collect();
    let events = events_for(dice, &all, 2, 7);
    let order = (0..dice.range(4, 15))
        .map(|_| (dice.below(rule_sets.len()), dice.below(events.len())))
        .collect();
    (rule_sets, events, order)
}

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

/// Does the reference refuse this event? Asked of a pattern that needs nothing, so the answer
/// does not depend on which rules exist.
fn reference_event_error(event: &[u8]) -> Option<EventError> {
    Pattern::parse(r#"{"zz-no-such-field": [{"exists": false}]}"#)
        .expect("probe pattern")
        .matches(event)
        .err()
}

/// The reference answer for a rule set: the names with at least one matching pattern, or why the
/// event is refused.
fn reference_names(rules: &[(&str, Pattern)], event: &[u8]) -> Result<BTreeSet<String>, String> {
    if let Some(e) = reference_event_error(event) {
        return Err(e.to_string());
    }
    let mut names = BTreeSet::new();
    for (name, pattern) in rules {
        match pattern.matches(event) {
            Ok(true) => {
                names.insert((*name).to_owned());
            }
            Ok(false) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(names)
}

/// A matcher's answer as a set, failing if a name comes back twice.
fn as_set(names: &[&str]) -> Result<BTreeSet<String>, String> {
    let set: BTreeSet<String> = names.iter().map(|s| (*s).to_owned()).collect();
    if set.len() != names.len() {
        return Err(format!("a name came back twice: {names:?}"));
    }
    Ok(set)
}

/// Compare a matcher's answer with the reference's.
fn agree(
    got: Result<Vec<&str>, EventError>,
    want: &Result<BTreeSet<String>, String>,
) -> Result<(), String> {
    match (got, want) {
        (Ok(names), Ok(want)) => {
            let got = as_set(&names)?;
            if &got == want {
                Ok(())
            } else {
                Err(format!("matcher said {got:?}, reference said {want:?}"))
            }
        }
        (Err(_), Err(_)) => Ok(()),
        (Ok(names), Err(e)) => Err(format!(
            "matcher answered {names:?}, the reference refused the event: {e}"
        )),
        (Err(e), Ok(want)) => Err(format!(
            "matcher refused the event ({e}), the reference answered {want:?}"
        )),
    }
}

/// Add `rules` to `matcher`. A pattern the parser refuses must be refused by `add_rule` too, with
/// the same error, leaving `len()` unchanged. Returns the parsed rules for the reference.
fn build(
    matcher: &mut Matcher,
    rules: &[(usize, Pat)],
) -> Result<Vec<(&'static str, Pattern)>, String> {
    let mut parsed = Vec::new();
    for (name, pattern) in rules {
        let name = NAMES[*name % NAMES.len()];
        let text = pattern.text();
        match Pattern::parse(&text) {
            Ok(pattern) => {
                if let Err(e) = matcher.add_rule(name, &text) {
                    return Err(format!("add_rule refused a valid pattern ({e}): {text}"));
                }
                parsed.push((name, pattern));
            }
            Err(want) => {
                let before = matcher.len();
                let got = matcher.add_rule(name, &text);
                if got != Err(want.clone()) {
                    return Err(format!("add_rule of {text}: {got:?}, parse said {want:?}"));
                }
                if matcher.len() != before {
                    return Err(format!("a refused pattern changed len(): {text}"));
                }
            }
        }
    }
    let distinct: BTreeSet<&str> = parsed.iter().map(|(n, _)| *n).collect();
    if matcher.len() != distinct.len() {
        return Err(format!(
            "len() is {}, {} names were added",
            matcher.len(),
            distinct.len()
        ));
    }
    Ok(parsed)
}

/// `cases` per property, unless `PROPTEST_CASES` asks for another number (for a longer soak).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // A failure prints the shrunk case; no regression file is written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn check(result: Result<(), String>) -> Result<(), TestCaseError> {
    result.map_err(TestCaseError::fail)
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(3000))]

    /// (a) One pattern, one event.
    #[test]
    fn one_rule_agrees_with_reference(case in Generated(one_pair)) {
        let (pattern, event) = case;
        let mut matcher = Matcher::new();
        let rules = build(&mut matcher, &[(0, pattern)]).map_err(TestCaseError::fail)?;
        let event = event.bytes();
        check(agree(matcher.matches(&event), &reference_names(&rules, &event)))?;
    }

    /// (b) 3–8 rules under a few names (a name may hold several patterns), 1–3 events.
    #[test]
    fn rule_sets_agree_with_reference(case in Generated(rule_set_case)) {
        let (rules, events) = case;
        let mut matcher = Matcher::new();
        let parsed = build(&mut matcher, &rules).map_err(TestCaseError::fail)?;
        for event in &events {
            let event = event.bytes();
            check(agree(matcher.matches(&event), &reference_names(&parsed, &event)))?;
        }
    }

    /// (c) The same with `Validation::Structural`, on valid events without duplicate keys.
    #[test]
    fn structural_validation_agrees_on_clean_events(case in Generated(structural_case)) {
        let (rules, events) = case;
        let mut matcher = Matcher::builder().validation(Validation::Structural).build();
        let parsed = build(&mut matcher, &rules).map_err(TestCaseError::fail)?;
        for event in &events {
            let event = event.bytes();
            let want = reference_names(&parsed, &event);
            prop_assert!(want.is_ok(), "the generator made a broken clean event");
            check(agree(matcher.matches(&event), &want))?;
        }
    }

    /// (d) `matches_value` agrees with `matches` on the value's text, and both with the
    /// reference.
    #[test]
    fn matches_value_agrees(case in Generated(value_case)) {
        let (rules, events) = case;
        let mut matcher = Matcher::new();
        let parsed = build(&mut matcher, &rules).map_err(TestCaseError::fail)?;
        for event in &events {
            // `1e400` is beyond a `serde_json::Value`: such events are skipped.
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(&event.bytes()) else {
                continue;
            };
            let text = serde_json::to_vec(&value).expect("a Value serialises");
            let want = reference_names(&parsed, &text);
            prop_assert!(want.is_ok(), "{}", show(&text));
            check(agree(matcher.matches_value(&value), &want).map_err(|e| {
                format!("matches_value: {e}\n value as text: {}", show(&text))
            }))?;
            check(agree(matcher.matches(&text), &want))?;
        }
    }

    /// (e) `matches_with` with one `Scratch` for the whole run and one `Vec` per case, over
    /// several rule sets of different sizes (some empty) and valid and broken events, in a
    /// random interleaving.
    #[test]
    fn matches_with_reused_buffers_agrees(case in Generated(reuse_case)) {
        let (rule_sets, events, order) = case;
        let mut matchers = Vec::new();
        let mut references = Vec::new();
        for rules in &rule_sets {
            let mut matcher = Matcher::new();
            references.push(build(&mut matcher, rules).map_err(TestCaseError::fail)?);
            matchers.push(matcher);
        }
        let events: Vec<Vec<u8>> = events.iter().map(EventCase::bytes).collect();
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            let mut names: Vec<&str> = vec!["stale-name", "r0"];
            for &(m, e) in &order {
                let (m, event) = (m % matchers.len(), &events[e % events.len()]);
                let result = matchers[m].matches_with(event, scratch, &mut names);
                let want = reference_names(&references[m], event);
                check(agree(result.map(|()| names.clone()), &want).map_err(|err| {
                    format!("rule set {m}, event {}: {err}", show(event))
                }))?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}

// ---------------------------------------------------------------------------------------------
// IP addresses against a model
// ---------------------------------------------------------------------------------------------

/// The IP element of a pattern: a `cidr` block or a string literal.
#[derive(Clone, Debug)]
enum IpPattern {
    Cidr(String),
    Literal(String),
}

impl Shrink for IpPattern {
    fn candidates(&self) -> Vec<Self> {
        Vec::new()
    }
}

/// A string value of an event.
#[derive(Clone, Debug)]
struct Text(String);

impl Shrink for Text {
    fn candidates(&self) -> Vec<Self> {
        Vec::new()
    }
}

/// One block or literal, and 1–6 values near its edges, of the other family, or from the
/// vocabulary.
fn ip_case(dice: &mut Dice) -> (IpPattern, Vec<Text>) {
    let block = Block::random(dice);
    let literal = dice.chance(35);
    let pattern = if literal {
        IpPattern::Literal(address_text(dice, block.v6, block.address))
    } else {
        IpPattern::Cidr(block.text(dice))
    };
    let values = (0..dice.range(1, 6))
        .map(|_| {
            Text(match dice.below(10) {
                0 => ip_shaped(dice),
                1 => dice.pick(EVENT_IPS).to_owned(),
                2..=4 if literal => address_text(dice, block.v6, block.address),
                _ => {
                    let value = block.near(dice);
                    address_text(dice, block.v6, value)
                }
            })
        })
        .collect();
    (pattern, values)
}

/// The model's reading of a string as an address (`(is IPv6, address)`): four dot-separated
/// octets of one to three ASCII digits, each at most 255 (leading zeros are decimal); or hex
/// digits and colons the standard library reads as IPv6.
fn model_ip(text: &str) -> Option<(bool, u128)> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() == 4 {
        let mut address = 0u128;
        for part in parts {
            if !(1..=3).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let octet: u128 = part.parse().ok()?;
            if octet > 255 {
                return None;
            }
            address = address << 8 | octet;
        }
        return Some((false, address));
    }
    if text.contains(':') && text.bytes().all(|b| b == b':' || b.is_ascii_hexdigit()) {
        let ip: std::net::Ipv6Addr = text.parse().ok()?;
        return Some((true, ip.into()));
    }
    None
}

/// A test on string values.
type ValueTest = Box<dyn Fn(&str) -> bool>;

/// What the model makes of a pattern element: `None` if it is refused, else a test on values.
fn model_rule(pattern: &IpPattern) -> Option<ValueTest> {
    match pattern {
        IpPattern::Literal(literal) => Some(match model_ip(literal) {
            Some(address) => Box::new(move |value| model_ip(value) == Some(address)),
            None => {
                let literal = literal.clone();
                Box::new(move |value| value == literal)
            }
        }),
        IpPattern::Cidr(block) => {
            let (address, mask) = block.split_once('/')?;
            let canonical = !mask.is_empty()
                && mask.bytes().all(|b| b.is_ascii_digit())
                && (mask == "0" || !mask.starts_with('0'));
            let mask: u32 = if canonical {
                mask.parse().ok()?
            } else {
                return None;
            };
            let (v6, address) = model_ip(address)?;
            let width = if v6 { 128 } else { 32 };
            if mask >= width {
                return None;
            }
            // The network: every address sharing the first `mask` bits, whatever the host bits
            // of the address as written.
            let shift = width - mask;
            Some(Box::new(move |value| match model_ip(value) {
                Some((family, a)) => {
                    family == v6
                        && a.checked_shr(shift).unwrap_or(0)
                            == address.checked_shr(shift).unwrap_or(0)
                }
                None => false,
            }))
        }
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// (f) `cidr` blocks and IP literals, on the reference, a Full and a Structural matcher,
    /// against the model: blocks mask their host bits, octets with leading zeros are decimal,
    /// four-digit octets and 256 are no address.
    #[test]
    fn ip_matching_agrees_with_a_model(case in Generated(ip_case)) {
        let (pattern, values) = case;
        let element = match &pattern {
            IpPattern::Cidr(block) => format!("{{\"cidr\":{}}}", quoted(block)),
            IpPattern::Literal(literal) => quoted(literal),
        };
        let text = format!("{{\"a\":[{element}]}}");
        let model = model_rule(&pattern);
        let parsed = Pattern::parse(&text);
        let mut full = Matcher::new();
        let mut structural = Matcher::builder().validation(Validation::Structural).build();
        let added = (full.add_rule("r", &text), structural.add_rule("r", &text));
        let Some(model) = model else {
            prop_assert!(parsed.is_err(), "{text}: the model refuses it, the parser accepts it");
            prop_assert!(added.0.is_err() && added.1.is_err(), "{text}: add_rule accepted it");
            return Ok(());
        };
        let parsed = parsed.map_err(|e| TestCaseError::fail(format!("{text}: refused: {e}")))?;
        prop_assert!(added.0.is_ok() && added.1.is_ok(), "{text}: add_rule refused it");
        for Text(value) in &values {
            let event = format!("{{\"a\":{}}}", quoted(value));
            let want = model(value);
            prop_assert_eq!(parsed.matches(event.as_bytes()).ok(), Some(want), "reference: {} on {}", text, event);
            let names = if want { vec!["r"] } else { Vec::new() };
            prop_assert_eq!(full.matches(event.as_bytes()).ok(), Some(names.clone()), "full: {} on {}", text, event);
            prop_assert_eq!(structural.matches(event.as_bytes()).ok(), Some(names), "structural: {} on {}", text, event);
        }
    }
}

/// On a fixed seed, the model property sees blocks and literals match and miss, values with
/// leading zeros and four-digit octets, and blocks whose host bits put a match below the address
/// as written.
#[test]
fn ip_cases_are_not_vacuous() {
    let mut dice = Dice(11);
    let (mut matched, mut missed, mut refused) = (0, 0, 0);
    let (mut padded, mut long, mut below_written) = (0, 0, 0);
    for _ in 0..2000 {
        let (pattern, values) = ip_case(&mut dice);
        let Some(rule) = model_rule(&pattern) else {
            refused += 1;
            continue;
        };
        for Text(value) in &values {
            let hit = rule(value);
            if hit {
                matched += 1;
            } else {
                missed += 1;
            }
            let octets: Vec<&str> = value.split('.').collect();
            if hit && octets.iter().any(|o| o.len() > 1 && o.starts_with('0')) {
                padded += 1;
            }
            if octets.len() == 4 && octets.iter().any(|o| o.len() == 4) {
                long += 1;
            }
            if let (IpPattern::Cidr(block), true) = (&pattern, hit) {
                let written = block.split('/').next().and_then(model_ip);
                if matches!((written, model_ip(value)), (Some((_, w)), Some((_, v))) if v < w) {
                    below_written += 1;
                }
            }
        }
    }
    let report = format!(
        "{matched} matched, {missed} missed, {refused} patterns refused; {padded} matches with \
         zero-padded octets, {long} values with a four-digit octet, {below_written} matches \
         below the block's written address"
    );
    println!("{report}");
    for count in [matched, missed, refused, padded, long, below_written] {
        assert!(count >= 40, "{report}");
    }
}

thread_local! {
    /// Working memory shared by every case of `matches_with_reused_buffers_agrees`.
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::new());
}

// ---------------------------------------------------------------------------------------------
// The generators are not vacuous
// ---------------------------------------------------------------------------------------------

/// On a fixed seed: most generated patterns parse, and generated (pattern, event) pairs both match
/// and fail to match often — overall, and for every operator — so the properties above compare
/// real answers.
#[test]
fn generated_pairs_are_not_vacuous() {
    const PAIRS: usize = 4000;
    let mut dice = Dice(7);
    let operators = [
        "\"prefix\":\"",
        "\"suffix\":\"",
        "{\"prefix\":{\"equals-ignore-case\"",
        "{\"suffix\":{\"equals-ignore-case\"",
        "[{\"equals-ignore-case\"",
        "\"wildcard\"",
        "\"anything-but\"",
        "\"numeric\"",
        "\"exists\":true",
        "\"exists\":false",
        "\"cidr\"",
        "\"$or\"",
        "\"a.b\"",
    ];
    let mut per_operator = vec![(0usize, 0usize); operators.len()];
    let (mut parsed, mut matched, mut unmatched, mut event_errors) = (0, 0, 0, 0);
    for _ in 0..PAIRS {
        let (pattern, event) = one_pair(&mut dice);
        let text = pattern.text();
        let Ok(parsed_pattern) = Pattern::parse(&text) else {
            continue;
        };
        parsed += 1;
        let Ok(answer) = parsed_pattern.matches(&event.bytes()) else {
            event_errors += 1;
            continue;
        };
        if answer {
            matched += 1;
        } else {
            unmatched += 1;
        }
        for (op, counts) in operators.iter().zip(per_operator.iter_mut()) {
            if text.contains(op) {
                if answer {
                    counts.0 += 1;
                } else {
                    counts.1 += 1;
                }
            }
        }
    }
    let report = format!(
        "{PAIRS} pairs: {parsed} patterns parse, {matched} match, {unmatched} do not, \
         {event_errors} events refused; per operator (match, no match): {:?}",
        operators.iter().zip(&per_operator).collect::<Vec<_>>()
    );
    println!("{report}");
    assert!(
        parsed * 100 >= PAIRS * 80,
        "too few patterns parse: {report}"
    );
    assert!(matched * 100 >= PAIRS * 15, "too few pairs match: {report}");
    assert!(
        unmatched * 100 >= PAIRS * 15,
        "too few pairs fail to match: {report}"
    );
    assert!(
        event_errors * 100 >= PAIRS * 3,
        "too few broken events: {report}"
    );
    for (op, (yes, no)) in operators.iter().zip(&per_operator) {
        assert!(
            *yes >= 40 && *no >= 40,
            "{op} is rarely decisive ({yes} matches, {no} non-matches): {report}"
        );
    }
}

/// The event generator reaches the shapes the matcher must get right.
#[test]
fn generated_events_cover_the_tricky_shapes() {
    let mut dice = Dice(11);
    type Shape = (&'static str, fn(&str) -> bool);
    let shapes: [Shape; 7] = [
        ("array of objects", |t| t.contains("[{")),
        ("nested array", |t| t.contains("[[")),
        ("empty container", |t| t.contains("[]") || t.contains("{}")),
        ("dotted key", |t| t.contains(".b\":")),
        ("unicode escape", |t| t.contains("\\u")),
        ("mixed array", |t| t.contains(",{") && t.contains("\":[\"")),
        ("big number", |t| t.contains("1e400")),
    ];
    let mut counts = vec![0; shapes.len()];
    let mut duplicates = 0;
    for _ in 0..2000 {
        let (pattern, event) = one_pair(&mut dice);
        let _ = pattern;
        let text = event.tree.text(false);
        for ((_, test), count) in shapes.iter().zip(counts.iter_mut()) {
            *count += usize::from(test(&text));
        }
        duplicates += usize::from(event.tree.without_duplicate_keys().text(false) != text);
    }
    let report: Vec<_> = shapes.iter().map(|(name, _)| name).zip(&counts).collect();
    assert!(counts.iter().all(|&c| c >= 50), "{report:?}");
    assert!(duplicates >= 50, "{duplicates} events with duplicate keys");
}

// ---------------------------------------------------------------------------------------------
// The conformance corpus, all at once
// ---------------------------------------------------------------------------------------------

/// Every valid corpus pattern in ONE matcher, each under its case's name. For every event of the
/// corpus the whole answer must be the reference's (no rule's presence changes another's answer),
/// and in particular each case's own expectation must hold for its own name.
#[test]
fn corpus_in_one_matcher() {
    use evmatch_corpus::Expect;

    let cases = evmatch_corpus::load();
    let mut matcher = Matcher::new();
    let mut rules: Vec<(&str, Pattern)> = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        match Pattern::parse(&case.pattern) {
            Ok(pattern) => {
                if let Err(e) = matcher.add_rule(&case.name, &case.pattern) {
                    failures.push(format!("{case}: add_rule refused a valid pattern: {e}"));
                }
                rules.push((&case.name, pattern));
            }
            Err(want) => {
                if matcher.add_rule(&case.name, &case.pattern) != Err(want) {
                    failures.push(format!("{case}: add_rule did not refuse as parse does"));
                }
            }
        }
    }
    assert_eq!(matcher.len(), rules.len(), "{}", failures.join("\n"));
    assert!(
        rules.len() >= 300,
        "only {} valid corpus patterns",
        rules.len()
    );

    let mut events: Vec<&str> = cases.iter().filter_map(|c| c.event.as_deref()).collect();
    events.sort_unstable();
    events.dedup();
    let mut answers = BTreeMap::new();
    for event in &events {
        let got = matcher.matches(event.as_bytes());
        let want = reference_names(&rules, event.as_bytes());
        if let Err(e) = agree(got.clone(), &want) {
            failures.push(format!("event {event}: {e}"));
        }
        let got = got.map(|names| {
            names
                .into_iter()
                .map(str::to_owned)
                .collect::<BTreeSet<_>>()
        });
        answers.insert(*event, got);
    }

    for case in &cases {
        let Some(event) = case.event.as_deref() else {
            continue;
        };
        let answer = &answers[event];
        let ok = match (&case.expect, answer) {
            (Expect::Match, Ok(names)) => names.contains(&case.name),
            (Expect::NoMatch, Ok(names)) => !names.contains(&case.name),
            (Expect::EventError, Err(_)) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{case}: expected {:?}, the matcher answered {}",
                case.expect,
                match answer {
                    Ok(names) if names.contains(&case.name) => "match".to_owned(),
                    Ok(_) => "no match".to_owned(),
                    Err(e) => format!("error {e}"),
                }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures with all {} corpus patterns in one matcher:\n{}",
        failures.len(),
        rules.len(),
        failures.join("\n")
    );
}
