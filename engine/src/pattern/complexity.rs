//! The complexity check on `wildcard` patterns: refuse the pattern sets that AWS refuses as too
//! complex.
//!
//! When a rule is put, AWS runs event-ruler's `MachineComplexityEvaluator` over the byte automaton
//! that holds a field's values. The measure is the largest number of automaton states that one
//! input value can keep alive at the same time, where a state counts once for every distinct
//! wildcard (or anything-but wildcard) pattern it can still lead to. The evaluator finds it with a
//! breadth-first walk over the sets of states reachable together (a subset construction).
//!
//! We compute the same number on our own model of that automaton ([`Automaton`]):
//!
//! * each pattern value is the token string event-ruler builds: the JSON quotes around the text
//!   (`"` + text + `"`), one token per UTF-8 byte, and a star token for each unescaped `*`;
//! * a state is a prefix of that token string; after an input, the live states are the prefixes
//!   that match the input in full (a star may match nothing, so the state just after a star is live
//!   as soon as the one before it is);
//! * states are shared the way event-ruler shares them, which only matters inside one
//!   anything-but wildcard list (its values form one pattern, so a shared state counts once while
//!   separate states count once each): prefixes without a star are always shared, star states are
//!   shared, and a byte after a star is shared only when event-ruler can prove no other path leads
//!   to it (its `canReuseNextByteState`); all values of one pattern end in one shared match;
//! * across different patterns sharing changes nothing (a shared state counts once per pattern it
//!   leads to), so every pattern gets its own states.
//!
//! The search for the maximum is exact but bounded: it stops as soon as the count passes the limit
//! (as event-ruler's does), explores the fullest state sets first so that hostile patterns reach
//! the limit early, and refuses a pattern set whose search would exceed a fixed budget.

use std::collections::{BinaryHeap, HashSet};

use super::cased::has_case_variants;
use super::wildcard::Wildcard;
use crate::error::PatternError;

/// The most wildcard-rule prefixes AWS lets one value keep live at the same time; a higher count
/// is refused. event-ruler leaves the limit to its caller. Its own corpus
/// (`MachineComplexityEvaluatorCorpus`) models a consumer as its README advises, with a maximum of
/// 10 and refusal above it, and AWS's observed answers agree: it refuses `*:*:*:*:*:event-bus/*`
/// (count 11) and four `*:stack/<name>/*` patterns on one field (12), and accepts three (9).
const MAX_COMPLEXITY: usize = 10;

/// Upper bound on the work of one complexity search, in state visits. Realistic pattern sets need
/// a few thousand; a search that would go past this is refused instead of finished.
const MAX_SEARCH_STEPS: usize = 4_000_000;

/// Upper bound on the distinct state sets one complexity search remembers (memory, as
/// [`MAX_SEARCH_STEPS`] bounds time).
const MAX_SEARCH_SETS: usize = 100_000;

/// One event-ruler pattern object on a field, as the complexity check sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ComplexityPattern<'a> {
    /// `{"wildcard": "..."}`: one value, one pattern.
    Wildcard(&'a Wildcard),
    /// `{"anything-but": {"wildcard": [...]}}`: all its values form a single pattern, so a state
    /// they share counts once.
    AnythingButWildcard(&'a [Wildcard]),
}

/// event-ruler's `MachineComplexityEvaluator` check as AWS applies it when a rule is put: refuses
/// ([`PatternError::TooComplex`]) when the automaton built from these wildcard values, all on one
/// field of one pattern, would be too complex. Each value counts as a pattern of its own; an
/// anything-but wildcard list is more exactly described by [`check_patterns_complexity`].
#[cfg(test)]
fn check_complexity(wildcards: &[&Wildcard]) -> Result<(), PatternError> {
    let patterns: Vec<ComplexityPattern<'_>> = wildcards
        .iter()
        .map(|wildcard| ComplexityPattern::Wildcard(wildcard))
        .collect();
    check_patterns_complexity(&patterns)
}

/// The complexity check over the wildcard patterns of one field, with anything-but wildcard lists
/// kept whole (event-ruler counts such a list as one pattern).
pub(crate) fn check_patterns_complexity(
    patterns: &[ComplexityPattern<'_>],
) -> Result<(), PatternError> {
    // As with event-ruler's evaluator, the search can stop once the count is known to be too high.
    match complexity(
        &distinct_patterns(patterns),
        Quoting::Json,
        MAX_COMPLEXITY + 1,
    ) {
        Some(count) if count <= MAX_COMPLEXITY => Ok(()),
        _ => Err(PatternError::TooComplex),
    }
}

/// The patterns as lists of values, each listed once: event-ruler's patterns are equal when their
/// kind and values are (and an anything-but list is a set), and an equal pattern adds nothing.
fn distinct_patterns<'a>(patterns: &[ComplexityPattern<'a>]) -> Vec<Vec<&'a Wildcard>> {
    let mut seen: HashSet<(bool, Vec<&'a str>)> = HashSet::new();
    let mut distinct = Vec::new();
    for pattern in patterns {
        let (is_anything_but, mut values): (bool, Vec<&'a Wildcard>) = match *pattern {
            ComplexityPattern::Wildcard(wildcard) => (false, vec![wildcard]),
            ComplexityPattern::AnythingButWildcard(list) => (true, list.iter().collect()),
        };
        crate::sort::sort_unstable_by(&mut values, |a, b| a.source().cmp(b.source()));
        values.dedup_by(|a, b| a.source() == b.source());
        let key = (
            is_anything_but,
            values.iter().map(|value| value.source()).collect(),
        );
        if seen.insert(key) {
            distinct.push(values);
        }
    }
    distinct
}

/// How values are turned into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// Inside the JSON quotes, as event-ruler's rule compiler (hence AWS) adds every value.
    Json,
    /// Bare, as event-ruler's own `ByteMachine` unit tests add values; kept so that their
    /// published results can check this model.
    #[cfg(test)]
    Bare,
}

/// The largest number of live states one value can produce, capped at `cap` (like event-ruler's
/// evaluator, which stops there); `None` when the search exceeded its budget.
fn complexity(patterns: &[Vec<&Wildcard>], quoting: Quoting, cap: usize) -> Option<usize> {
    Automaton::build(patterns, quoting).max_live(cap)
}

/// One step of a value's token string.
#[derive(Debug, Clone, Copy)]
enum Token {
    Byte {
        byte: u8,
        /// The byte starts a character with distinct upper and lower case forms (event-ruler
        /// then never shares the state it leads to once a star precedes it).
        starts_cased_char: bool,
    },
    Star,
}

const QUOTE: Token = Token::Byte {
    byte: b'"',
    starts_cased_char: false,
};

fn tokens(wildcard: &Wildcard, quoting: Quoting) -> Vec<Token> {
    let mut tokens = Vec::new();
    if quoting == Quoting::Json {
        tokens.push(QUOTE);
    }
    for (index, piece) in wildcard.pieces().iter().enumerate() {
        if index > 0 {
            tokens.push(Token::Star);
        }
        for c in piece.chars() {
            let mut utf8 = [0; 4];
            for (offset, &byte) in c.encode_utf8(&mut utf8).as_bytes().iter().enumerate() {
                tokens.push(Token::Byte {
                    byte,
                    starts_cased_char: offset == 0 && has_case_variants(c),
                });
            }
        }
    }
    if quoting == Quoting::Json {
        tokens.push(QUOTE);
    }
    tokens
}

/// A state of the model automaton: a prefix of one or more values' token strings.
#[derive(Debug)]
struct State {
    /// Byte transitions.
    bytes: Vec<(u8, usize)>,
    /// States just after a star that follows this prefix: live whenever this one is.
    stars: Vec<usize>,
    /// The prefix ends with a star, so the state stays live on every further byte.
    is_star: bool,
    /// No star on the path from the root (event-ruler shares these states freely).
    determinate: bool,
    /// A value of the pattern ends here.
    terminal: bool,
    /// Which pattern the state belongs to.
    pattern: usize,
    /// What the count counts; equal for the final states of one pattern (set by `assign_units`).
    unit: usize,
}

#[derive(Debug, Default)]
struct Automaton {
    states: Vec<State>,
    /// One root (the empty prefix, never counted) per pattern.
    roots: Vec<usize>,
}

impl Automaton {
    fn build(patterns: &[Vec<&Wildcard>], quoting: Quoting) -> Automaton {
        let mut automaton = Automaton::default();
        for (pattern, values) in patterns.iter().enumerate() {
            let root = automaton.add_state(pattern, false, true);
            automaton.roots.push(root);
            for value in values {
                automaton.insert(root, &tokens(value, quoting));
            }
        }
        automaton.assign_units();
        automaton
    }

    fn add_state(&mut self, pattern: usize, is_star: bool, determinate: bool) -> usize {
        self.states.push(State {
            bytes: Vec::new(),
            stars: Vec::new(),
            is_star,
            determinate,
            terminal: false,
            pattern,
            unit: 0,
        });
        self.states.len() - 1
    }

    /// Adds one value below `root`, reusing existing states as long as event-ruler would
    /// (`ByteMachine.addMatchValue`): once it creates a state, everything after it is new too.
    fn insert(&mut self, root: usize, tokens: &[Token]) {
        let mut at = root;
        let mut sharing = true;
        for (index, &token) in tokens.iter().enumerate() {
            let is_last = index + 1 == tokens.len();
            let shared = if sharing {
                self.shareable_child(at, token, is_last)
            } else {
                None
            };
            at = match shared {
                Some(child) => child,
                None => {
                    sharing = false;
                    self.add_child(at, token)
                }
            };
            if is_last {
                self.states[at].terminal = true;
            }
        }
    }

    fn shareable_child(&self, at: usize, token: Token, is_last: bool) -> Option<usize> {
        let state = &self.states[at];
        let (byte, starts_cased_char) = match token {
            Token::Star => return state.stars.first().copied(),
            Token::Byte {
                byte,
                starts_cased_char,
            } => (byte, starts_cased_char),
        };
        let mut children = state
            .bytes
            .iter()
            .filter(|&&(b, _)| b == byte)
            .map(|&(_, child)| child);
        if is_last {
            // The final byte reuses only an existing match of this pattern (`insertMatch`).
            return children.find(|&child| self.states[child].terminal);
        }
        // Behind a star, event-ruler reuses a state only when no other path can lead there on the
        // same byte: not when this state also has a star of its own, and not on the first byte of
        // a character with case variants (its `doMultipleTransitionsConvergeForInputByte`).
        if !state.determinate && (!state.stars.is_empty() || starts_cased_char) {
            return None;
        }
        children.next()
    }

    fn add_child(&mut self, at: usize, token: Token) -> usize {
        let pattern = self.states[at].pattern;
        match token {
            Token::Star => {
                let child = self.add_state(pattern, true, false);
                self.states[at].stars.push(child);
                child
            }
            Token::Byte { byte, .. } => {
                let child = self.add_state(pattern, false, self.states[at].determinate);
                self.states[at].bytes.push((byte, child));
                child
            }
        }
    }

    /// Every state counts on its own, except that a pattern's final states count once together:
    /// in event-ruler all values of one pattern end in the same match.
    fn assign_units(&mut self) {
        let first_shared_unit = self.states.len();
        for (index, state) in self.states.iter_mut().enumerate() {
            let is_final = state.terminal && state.bytes.is_empty() && state.stars.is_empty();
            state.unit = if is_final {
                first_shared_unit + state.pattern
            } else {
                index
            };
        }
    }

    /// The states live together after some input: `live` plus the states after the stars that
    /// follow them (a star can match nothing). Sorted, so equal sets compare equal.
    fn with_stars(&self, mut live: Vec<usize>) -> Vec<usize> {
        let direct = live.len();
        for index in 0..direct {
            live.extend_from_slice(&self.states[live[index]].stars);
        }
        crate::sort::sort_unstable(&mut live);
        live.dedup();
        live
    }

    fn count(&self, live: &[usize]) -> usize {
        let mut units: Vec<usize> = live.iter().map(|&state| self.states[state].unit).collect();
        crate::sort::sort_unstable(&mut units);
        units.dedup();
        units.len()
    }

    /// The sets of states one more byte can lead to from `live`: one per byte with a transition,
    /// and one for all other bytes when a star state keeps something alive.
    fn successors(&self, live: &[usize], steps: &mut usize) -> Vec<Vec<usize>> {
        let looping: Vec<usize> = live
            .iter()
            .copied()
            .filter(|&state| self.states[state].is_star)
            .collect();
        let mut edges: Vec<(u8, usize)> = live
            .iter()
            .flat_map(|&state| self.states[state].bytes.iter().copied())
            .collect();
        crate::sort::sort_unstable(&mut edges);
        let mut successors = Vec::new();
        for same_byte in edges.chunk_by(|a, b| a.0 == b.0) {
            let next = looping
                .iter()
                .copied()
                .chain(same_byte.iter().map(|&(_, state)| state))
                .collect();
            successors.push(self.with_stars(next));
        }
        if !looping.is_empty() && successors.len() < 256 {
            successors.push(looping);
        }
        *steps += live.len() + edges.len() + successors.iter().map(Vec::len).sum::<usize>();
        successors
    }

    /// The most states one input value can keep live at once (never counting the roots, which no
    /// input keeps live), or `cap` as soon as that many are found; `None` past the search budget.
    fn max_live(&self, cap: usize) -> Option<usize> {
        let mut seen: HashSet<Vec<usize>> = HashSet::new();
        // Fullest sets first: the counts that reach the cap are usually found within a few steps.
        let mut frontier = BinaryHeap::new();
        frontier.push((0, self.with_stars(self.roots.clone())));
        let mut steps = 0;
        let mut max = 0;
        while let Some((_, live)) = frontier.pop() {
            for next in self.successors(&live, &mut steps) {
                let count = self.count(&next);
                if count >= cap {
                    return Some(cap);
                }
                max = max.max(count);
                if !seen.contains(&next) {
                    if seen.len() == MAX_SEARCH_SETS {
                        return None;
                    }
                    seen.insert(next.clone());
                    frontier.push((count, next));
                }
            }
            if steps > MAX_SEARCH_STEPS {
                return None;
            }
        }
        Some(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Wildcard {
        Wildcard::parse(text).unwrap_or_else(|err| panic!("{text:?} should parse: {err}"))
    }

    /// The count for plain wildcard patterns, each its own pattern.
    fn count(quoting: Quoting, texts: &[&str]) -> usize {
        let wildcards: Vec<Wildcard> = texts.iter().map(|text| parse(text)).collect();
        let patterns: Vec<ComplexityPattern<'_>> =
            wildcards.iter().map(ComplexityPattern::Wildcard).collect();
        complexity(&distinct_patterns(&patterns), quoting, 100_000).expect("within budget")
    }

    fn bare(texts: &[&str]) -> usize {
        count(Quoting::Bare, texts)
    }

    fn json(texts: &[&str]) -> usize {
        count(Quoting::Json, texts)
    }

    fn check(texts: &[&str]) -> Result<(), PatternError> {
        let wildcards: Vec<Wildcard> = texts.iter().map(|text| parse(text)).collect();
        let refs: Vec<&Wildcard> = wildcards.iter().collect();
        check_complexity(&refs)
    }

    #[test]
    fn event_ruler_single_pattern_counts() {
        // MachineComplexityEvaluatorTest (values added bare to a ByteMachine).
        let cases: &[(&str, usize)] = &[
            ("*", 1),
            ("abc", 1),
            ("*ab", 2),
            ("*aa", 3),
            ("a*b", 2),
            ("aa*", 2),
            ("a*bc", 2),
            ("a*bb", 3),
            ("a*bcb", 3),
            ("a*bbb", 4),
            ("*ab*ad", 4),
            ("*ab*d", 3),
            ("*aba*", 4),
            ("a*b*bb", 5),
            ("a*b*cb", 4),
            ("a*b*cd", 3),
            ("a*b*b", 4),
            ("a*bb*", 4),
            ("ab*b*", 3),
            ("*ab*b*b*", 7),
            ("*a*a*a*a*a*a*a*a*", 17),
        ];
        for &(text, expected) in cases {
            assert_eq!(bare(&[text]), expected, "{text:?}");
        }
    }

    #[test]
    fn event_ruler_multi_pattern_counts() {
        // MachineComplexityEvaluatorTest (exact and prefix values never count: left out here).
        let cases: &[(&[&str], usize)] = &[
            (&["*", "ab*c"], 3),
            (&["ab*c", "x*xx"], 3),
            (&["*abc", "*abcde"], 4),
            (&["a*bcd", "ab*cd"], 4),
            (&["a*bc", "a*bcde"], 4),
            (&["a*aaa", "aa*aa"], 7),
            (&["a*bc", "abc*d"], 4),
            (&["a*aaa", "aaa*a"], 6),
            (&["a*aax", "aaa*x"], 5),
            (&["a*bc", "abc*"], 4),
            (&["a*aa", "aaa*"], 5),
            (&["abc*", "abcde*"], 3),
            (&["ab*cd", "ab*wx", "ab*yz"], 6),
            (&["*abc"], 2),
            (&["a*bc"], 2),
            (&["ab*c"], 2),
            (&["abc*"], 2),
            (&["ab*c", "ab*c"], 2),
            (
                &["F*eatureFeature", "Fe*atureFeature", "Fea*tureFeature"],
                10,
            ),
            // ByteMachineTest: the same pattern added ten times counts once.
            (&["1*2345"; 10], 2),
            (&["*123"; 10], 2),
            (&["1*2"; 10], 2),
            (&["1*"; 10], 2),
            (&["12*3*"; 10], 3),
        ];
        for &(texts, expected) in cases {
            assert_eq!(bare(texts), expected, "{texts:?}");
        }
    }

    const QUAMINA_EXPLODER: &[&str] = &[
        "aahed*", "aal*ii", "aargh*", "aarti*", "a*baca", "*abaci", "a*back", "ab*acs", "abaf*t",
        "*abaka", "ab*amp", "a*band", "*abase", "abash*", "abas*k", "ab*ate", "aba*ya", "abbas*",
        "abbed*", "ab*bes", "abbey*", "*abbot", "ab*cee", "abea*m", "abe*ar", "a*bele", "a*bers",
        "abet*s", "*abhor", "abi*de", "a*bies", "*abled",
    ];

    #[test]
    fn quamina_exploder() {
        // MachineComplexityEvaluatorTest (bare), MachineComplexityEvaluatorCorpus (through a rule).
        assert_eq!(bare(QUAMINA_EXPLODER), 45);
        assert_eq!(json(QUAMINA_EXPLODER), 45);
    }

    /// `*a` repeated, then `*` (MachineComplexityEvaluatorCorpus's multiStar).
    fn multi_star(repeats: usize) -> String {
        "*a".repeat(repeats) + "*"
    }

    /// `*<two letters>*` patterns (MachineComplexityEvaluatorCorpus's leadingStarSet).
    fn leading_star_set(patterns: u8) -> Vec<String> {
        (0..patterns)
            .map(|i| {
                format!(
                    "*{}{}*",
                    char::from(b'a' + i % 26),
                    char::from(b'a' + i / 26)
                )
            })
            .collect()
    }

    const LEADING_STAR_STRINGS: &[&str] = &[
        "*kiwi*",
        "*BASE_QuxB*",
        "*Delta*",
        "*a/example-lake-abc98765432*",
    ];

    #[test]
    fn event_ruler_counts_through_rules() {
        // Values compiled from JSON carry their quotes. Machine-level tests in
        // MachineComplexityEvaluatorTest, GenericMachineTest and MachineComplexityEvaluatorCorpus.
        assert_eq!(json(&["a*a*a*a*a*a*"]), 11);
        assert_eq!(json(&["*a*a*a*a*a*a*"]), 13);
        assert_eq!(json(&["*z*"]), 3);
        assert_eq!(json(&["abc*def"]), 2);
        assert_eq!(json(&["a*aa"]), 3);
        assert_eq!(json(&["a*bc"]), 2);
        assert_eq!(json(&["xyz*"]), 2);
        assert_eq!(json(&[&multi_star(50)]), 101);
        assert_eq!(json(&[&multi_star(100)]), 201);
        let set4 = leading_star_set(4);
        assert_eq!(
            json(&set4.iter().map(String::as_str).collect::<Vec<_>>()),
            12
        );
        let set8 = leading_star_set(8);
        assert_eq!(
            json(&set8.iter().map(String::as_str).collect::<Vec<_>>()),
            24
        );
        assert_eq!(json(LEADING_STAR_STRINGS), 12);
    }

    fn anything_but_count(quoting: Quoting, lists: &[&[&str]], plain: &[&str]) -> usize {
        let lists: Vec<Vec<Wildcard>> = lists
            .iter()
            .map(|list| list.iter().map(|text| parse(text)).collect())
            .collect();
        let plain: Vec<Wildcard> = plain.iter().map(|text| parse(text)).collect();
        let patterns: Vec<ComplexityPattern<'_>> = lists
            .iter()
            .map(|list| ComplexityPattern::AnythingButWildcard(list))
            .chain(plain.iter().map(ComplexityPattern::Wildcard))
            .collect();
        complexity(&distinct_patterns(&patterns), quoting, 100_000).expect("within budget")
    }

    #[test]
    fn anything_but_lists_count_as_one_pattern() {
        // MachineComplexityEvaluatorTest (bare).
        assert_eq!(anything_but_count(Quoting::Bare, &[&["a*b*b"]], &[]), 4);
        assert_eq!(
            anything_but_count(Quoting::Bare, &[&["a*aaa", "aa*aa"]], &[]),
            6
        );
        assert_eq!(
            anything_but_count(Quoting::Bare, &[&["a*aaa"], &["aa*aa"]], &[]),
            7
        );
        assert_eq!(
            anything_but_count(Quoting::Bare, &[&["a*aaa"]], &["aa*aa"]),
            7
        );
        assert_eq!(
            anything_but_count(Quoting::Bare, &[&["aa*aa"]], &["a*aaa"]),
            7
        );
        // MachineComplexityEvaluatorCorpus: four leading-star values as one list score 7; as four
        // wildcards, 12.
        assert_eq!(
            anything_but_count(Quoting::Json, &[LEADING_STAR_STRINGS], &[]),
            7
        );
        assert_eq!(
            anything_but_count(Quoting::Json, &[], LEADING_STAR_STRINGS),
            12
        );
        // The same value as a wildcard and in an anything-but list is two patterns.
        assert_eq!(anything_but_count(Quoting::Json, &[&["*z*"]], &["*z*"]), 6);
        // A list holding the same value twice is a set.
        assert_eq!(
            anything_but_count(Quoting::Json, &[&["*z*", "*z*"]], &[]),
            3
        );
    }

    #[test]
    fn the_cap_bounds_the_answer() {
        // MachineComplexityEvaluatorTest: 10,000 × "F*e*a*t*u*r*e*" is capped at 100, quickly.
        let huge = "F*e*a*t*u*r*e*".repeat(10_000);
        let wildcard = parse(&huge);
        assert_eq!(
            complexity(&[vec![&wildcard]], Quoting::Bare, 100),
            Some(100)
        );
        // GenericMachineTest: a cap of 2 reports 2.
        let wildcard = parse("a*aa");
        assert_eq!(complexity(&[vec![&wildcard]], Quoting::Json, 2), Some(2));
    }

    #[test]
    fn aws_refuses_what_aws_refuses() {
        // `":::::event-bus/:::::` keeps the ten prefixes up to the fifth colon live, and the star
        // after `event-bus/` as well.
        assert_eq!(json(&["*:*:*:*:*:event-bus/*"]), 11);
        assert_eq!(
            check(&["*:*:*:*:*:event-bus/*"]),
            Err(PatternError::TooComplex)
        );
        // Three `*:stack/<name>/*` patterns on one field are accepted by AWS, four refused.
        let three = ["*:stack/Shared/*", "*:stack/Data/*", "*:stack/Web/*"];
        assert_eq!(json(&three), 9);
        assert_eq!(check(&three), Ok(()));
        let four = [
            "*:stack/Shared/*",
            "*:stack/Data/*",
            "*:stack/Web/*",
            "*:stack/Monitoring/*",
        ];
        assert_eq!(check(&four), Err(PatternError::TooComplex));
    }

    #[test]
    fn aws_accepts_what_aws_accepts() {
        for text in [
            "*.png",
            "arn:aws:s3:::bucket/*",
            "a*b*c",
            "",
            "*",
            "*Title*",
            "abc",
        ] {
            assert_eq!(check(&[text]), Ok(()), "{text:?}");
        }
        assert_eq!(check(&[]), Ok(()));
        assert_eq!(check(&["*.png", "*.jpg", "*.gif"]), Ok(()));
    }

    #[test]
    fn the_limit_is_ten_live_prefixes() {
        // After `"aaaaa` every prefix from `"*` on is live: ten here, eleven with a last star.
        assert_eq!(json(&["*a*a*a*a*a"]), 10);
        assert_eq!(check(&["*a*a*a*a*a"]), Ok(()));
        assert_eq!(json(&["*a*a*a*a*a*"]), 11);
        assert_eq!(check(&["*a*a*a*a*a*"]), Err(PatternError::TooComplex));
        // MachineComplexityEvaluatorTest's WILDCARD_OF_COMPLEXITY_7, through a rule.
        assert_eq!(json(&["*a*a*a*"]), 7);
        // Wildcard patterns on one field all share the state after the opening quote, which counts
        // once per pattern: eleven patterns are refused even without a star (event-ruler's README:
        // avoid common prefixes).
        let eleven: Vec<String> = (0..11).map(|i| format!("v{i}")).collect();
        let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
        assert_eq!(check(&eleven[..10]), Ok(()));
        assert_eq!(check(&eleven), Err(PatternError::TooComplex));
    }

    #[test]
    fn grouped_check_keeps_anything_but_lists_whole() {
        let list: Vec<Wildcard> = LEADING_STAR_STRINGS
            .iter()
            .map(|text| parse(text))
            .collect();
        assert_eq!(
            check_patterns_complexity(&[ComplexityPattern::AnythingButWildcard(&list)]),
            Ok(())
        );
        let each: Vec<&Wildcard> = list.iter().collect();
        assert_eq!(check_complexity(&each), Err(PatternError::TooComplex));
    }

    #[test]
    fn case_variants_stop_sharing_behind_a_star() {
        // Behind a star event-ruler shares the state for ':' but not for a letter, so in one
        // anything-but list "*:x" and "*:y" share `"*:`, while "*ax" and "*ay" do not share `"*a`.
        // After `":` the live states are `"*` and one shared `"*:`; after `"a`, `"*` and two `"*a`.
        assert_eq!(
            anything_but_count(Quoting::Json, &[&["*:x", "*:y"]], &[]),
            2
        );
        assert_eq!(
            anything_but_count(Quoting::Json, &[&["*ax", "*ay"]], &[]),
            3
        );
    }

    #[test]
    fn hostile_patterns_are_refused_quickly() {
        // Thousands of stars: the limit is reached within a few bytes.
        let many_stars = "*a".repeat(5_000);
        assert_eq!(check(&[&many_stars]), Err(PatternError::TooComplex));
        let distinct_segments: String = (0..2_000).map(|i| format!("*{i:04}")).collect();
        assert_eq!(check(&[&distinct_segments]), Err(PatternError::TooComplex));
        // A long pattern with one star and no repeats is searched to the end and accepted.
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut long = String::from("*");
        let mut x: u32 = 12_345;
        for _ in 0..10_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            long.push(char::from(ALPHABET[(x >> 16) as usize % ALPHABET.len()]));
        }
        let started = std::time::Instant::now();
        let result = check(&[&long]);
        assert!(
            started.elapsed().as_secs() < 10,
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn the_search_is_bounded() {
        // Fifty values of one anything-but list, each ending in its own star: any subset of their
        // final stars can be live together. The check stops once eleven are...
        let values: Vec<Wildcard> = (0..50).map(|i| parse(&format!("x*{i:02}*"))).collect();
        let patterns = [ComplexityPattern::AnythingButWildcard(&values)];
        assert_eq!(
            check_patterns_complexity(&patterns),
            Err(PatternError::TooComplex)
        );
        // ...while a search without a cap would enumerate 2^50 sets: the budget ends it.
        let started = std::time::Instant::now();
        assert_eq!(
            complexity(&[values.iter().collect()], Quoting::Json, usize::MAX),
            None
        );
        assert!(
            started.elapsed().as_secs() < 30,
            "took {:?}",
            started.elapsed()
        );
    }

    /// The measure, defined directly for plain patterns: the number of prefixes of the quoted
    /// token strings that match `input` in full.
    fn live_prefixes(texts: &[&str], input: &[u8]) -> usize {
        let mut live = 0;
        for text in texts {
            let tokens = tokens(&parse(text), Quoting::Json);
            for end in 1..=tokens.len() {
                if prefix_matches(&tokens[..end], input) {
                    live += 1;
                }
            }
        }
        live
    }

    fn prefix_matches(tokens: &[Token], input: &[u8]) -> bool {
        let mut matched = vec![false; input.len() + 1];
        matched[0] = true;
        for token in tokens {
            let mut next = vec![false; input.len() + 1];
            for j in 0..=input.len() {
                next[j] = match *token {
                    Token::Star => matched[j] || (j > 0 && next[j - 1]),
                    Token::Byte { byte, .. } => j > 0 && matched[j - 1] && input[j - 1] == byte,
                };
            }
            matched = next;
        }
        matched[input.len()]
    }

    proptest! {
        #[test]
        fn the_search_finds_every_short_input(
            texts in prop::collection::vec("[ab]{0,2}(\\*[ab]{0,2}){0,2}", 1..3),
            input in "\"[ab\"x]{0,5}",
        ) {
            prop_assume!(texts.iter().all(|text| Wildcard::parse(text).is_ok()));
            let mut texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            // Equal patterns count once.
            texts.sort_unstable();
            texts.dedup();
            let found = json(&texts);
            prop_assert!(live_prefixes(&texts, input.as_bytes()) <= found);
        }
    }
}
