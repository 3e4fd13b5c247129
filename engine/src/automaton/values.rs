//! One field's value automaton: every value matcher of every rule on one path, merged, so that a
//! value is looked at once whatever the number of rules.
//!
//! - Exact strings (literals, `anything-but` strings, star-free wildcards) are one hash probe on
//!   the value's bytes; `equals-ignore-case` the same on the case-folded value.
//! - Prefixes walk a byte trie from the value's start, suffixes a trie of reversed bytes from its
//!   end (and the folded forms on the folded value). A wildcard hangs off the trie node of its
//!   leading (or else trailing) literal piece and is only tried on values that reach that node.
//! - Numbers are probed by the order-preserving code of their binary64 value (numbers binary64
//!   cannot hold are probed by text); `numeric` ranges and IP/CIDR ranges are interval indexes.
//! - `anything-but` entries fire for every value that none of their exclusions hit.
//!
//! Outputs are [`Out`]s: a condition satisfied, an `anything-but` excluded, or a wildcard to try.

use smallvec::SmallVec;

use super::intervals::{number_key, Edge, IntervalIndex};
use super::trie::ByteTrie;
use super::{FastMap, Out};
use crate::casefold::fold_into;
use crate::pattern::cidr::parse_ip;
use crate::pattern::{AnythingBut, Bound, IpRange, Literal, ValueMatcher, Wildcard};

type Outs = SmallVec<[Out; 1]>;

/// A scalar value of an event, as read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// The string's bytes, escapes resolved; valid UTF-8 (the reader checked it).
    String(&'a [u8]),
    Number {
        text: &'a str,
        value: Option<f64>,
    },
    Bool(bool),
    Null,
}

/// Per-event working memory of the value automata.
#[derive(Debug, Default)]
pub(crate) struct ValueScratch {
    folded: String,
    /// Per `anything-but` id, the run in which one of its exclusions was hit.
    excluded: Vec<u32>,
    run: u32,
}

impl ValueScratch {
    /// Start a value: forget every exclusion marked so far.
    fn next_run(&mut self) {
        if self.run == u32::MAX {
            self.excluded.iter_mut().for_each(|m| *m = 0);
            self.run = 0;
        }
        self.run += 1;
    }
}

/// The `anything-but` ids whose exclusions the current value hit.
struct Exclusions<'a> {
    marks: &'a mut Vec<u32>,
    run: u32,
}

impl Exclusions<'_> {
    #[inline]
    fn add(&mut self, ab: u32) {
        let i = ab as usize;
        if i >= self.marks.len() {
            self.marks.resize(i + 1, 0);
        }
        self.marks[i] = self.run;
    }

    #[inline]
    fn contains(&self, ab: u32) -> bool {
        self.marks.get(ab as usize) == Some(&self.run)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct FieldMachine {
    exact: FastMap<Box<[u8]>, Outs>,
    prefixes: ByteTrie,
    suffixes: ByteTrie,
    folded_exact: FastMap<Box<[u8]>, Outs>,
    folded_prefixes: ByteTrie,
    folded_suffixes: ByteTrie,
    /// Entries that need the folded value; when zero, values are not folded.
    folded_entries: usize,
    numbers: FastMap<u64, Outs>,
    number_texts: FastMap<Box<str>, Outs>,
    ranges: IntervalIndex<u64>,
    ipv4: IntervalIndex<u32>,
    ipv6: IntervalIndex<u128>,
    trues: Vec<Out>,
    falses: Vec<Out>,
    nulls: Vec<Out>,
    /// `exists: true`.
    any_value: Vec<Out>,
    /// Wildcards by id (`None` once removed); the trie entries and `floating` refer to them.
    wildcards: Vec<Option<(Wildcard, Out)>>,
    free_wildcards: Vec<u32>,
    /// Wildcards with a star at both ends: no literal end to hang them on.
    floating: Vec<u32>,
    /// `anything-but` entries: (id, condition); they fire unless an exclusion hit their id.
    anything_but: Vec<(u32, u32)>,
    /// How many matchers are registered, to know when the field is unused.
    entries: usize,
}

impl FieldMachine {
    pub(crate) fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Register `matcher` as satisfying condition `cond`; `ab` is the id reserved for it if it
    /// is an `anything-but`.
    pub(crate) fn insert(&mut self, matcher: &ValueMatcher, cond: u32, ab: u32) {
        self.entries += 1;
        self.edit(matcher, cond, ab, true);
    }

    /// Undo [`FieldMachine::insert`] with the same arguments.
    pub(crate) fn remove(&mut self, matcher: &ValueMatcher, cond: u32, ab: u32) {
        self.entries -= 1;
        self.edit(matcher, cond, ab, false);
    }

    /// Insert or remove, through one description of where each matcher lives, so the two can
    /// never disagree.
    fn edit(&mut self, matcher: &ValueMatcher, cond: u32, ab: u32, insert: bool) {
        let out = Out::Cond(cond);
        match matcher {
            ValueMatcher::Literal(Literal::String(s)) => {
                edit_map(&mut self.exact, s.as_bytes(), out, insert)
            }
            ValueMatcher::Literal(Literal::Number(n)) => self.edit_number(n, out, insert),
            ValueMatcher::Literal(Literal::Bool(true)) => edit_list(&mut self.trues, out, insert),
            ValueMatcher::Literal(Literal::Bool(false)) => edit_list(&mut self.falses, out, insert),
            ValueMatcher::Literal(Literal::Null) => edit_list(&mut self.nulls, out, insert),
            ValueMatcher::IpAddress { range, .. } | ValueMatcher::Cidr { range, .. } => {
                self.edit_ip(*range, out, insert)
            }
            ValueMatcher::Prefix(p) => edit_trie(&mut self.prefixes, p.bytes(), out, insert),
            ValueMatcher::Suffix(p) => edit_trie(&mut self.suffixes, p.bytes().rev(), out, insert),
            ValueMatcher::PrefixIgnoreCase(p) => {
                self.count_folded(insert);
                edit_trie(&mut self.folded_prefixes, p.bytes(), out, insert)
            }
            ValueMatcher::SuffixIgnoreCase(p) => {
                self.count_folded(insert);
                edit_trie(&mut self.folded_suffixes, p.bytes().rev(), out, insert)
            }
            ValueMatcher::EqualsIgnoreCase(p) => {
                self.count_folded(insert);
                edit_map(&mut self.folded_exact, p.as_bytes(), out, insert)
            }
            ValueMatcher::Wildcard(w) => self.edit_wildcard(w, out, insert),
            ValueMatcher::Numeric(range) => {
                let (low, high) = (edge(range.low), edge(range.high));
                if insert {
                    self.ranges.insert(low, high, out);
                } else {
                    self.ranges.remove(low, high, out);
                }
            }
            ValueMatcher::Exists(true) => edit_list(&mut self.any_value, out, insert),
            // Satisfied by absence, which the evaluation judges; no value satisfies it.
            ValueMatcher::Exists(false) => {}
            ValueMatcher::AnythingBut(exclusions) => {
                edit_list_of(&mut self.anything_but, (ab, cond), insert);
                self.edit_exclusions(exclusions, Out::Exclude(ab), insert);
            }
        }
    }

    fn edit_exclusions(&mut self, exclusions: &AnythingBut, out: Out, insert: bool) {
        match exclusions {
            AnythingBut::Strings(list) => {
                for s in list {
                    edit_map(&mut self.exact, s.as_bytes(), out, insert);
                }
            }
            AnythingBut::Numbers(list) => {
                for n in list {
                    self.edit_number(n, out, insert);
                }
            }
            AnythingBut::Prefixes(list) => {
                for p in list {
                    edit_trie(&mut self.prefixes, p.bytes(), out, insert);
                }
            }
            AnythingBut::Suffixes(list) => {
                for p in list {
                    edit_trie(&mut self.suffixes, p.bytes().rev(), out, insert);
                }
            }
            AnythingBut::IgnoreCase(list) => {
                for p in list {
                    self.count_folded(insert);
                    edit_map(&mut self.folded_exact, p.as_bytes(), out, insert);
                }
            }
            AnythingBut::Wildcards(list) => {
                for w in list {
                    self.edit_wildcard(w, out, insert);
                }
            }
        }
    }

    fn count_folded(&mut self, insert: bool) {
        if insert {
            self.folded_entries += 1;
        } else {
            self.folded_entries -= 1;
        }
    }

    fn edit_number(&mut self, n: &crate::json::Number, out: Out, insert: bool) {
        // Pattern numbers keep a value only when binary64 holds them as written; the others
        // compare as text (see `Number::same_as`).
        match n.value() {
            Some(v) => {
                let key = number_key(v);
                if insert {
                    self.numbers.entry(key).or_default().push(out);
                } else if let Some(outs) = self.numbers.get_mut(&key) {
                    remove_one(outs, out);
                    if outs.is_empty() {
                        self.numbers.remove(&key);
                    }
                }
            }
            None => edit_map(&mut self.number_texts, n.text(), out, insert),
        }
    }

    fn edit_ip(&mut self, range: IpRange, out: Out, insert: bool) {
        match range {
            IpRange::V4 { low, high } => {
                let (low, high) = (Edge::Inclusive(low), Edge::Inclusive(high));
                if insert {
                    self.ipv4.insert(low, high, out);
                } else {
                    self.ipv4.remove(low, high, out);
                }
            }
            IpRange::V6 { low, high } => {
                let (low, high) = (Edge::Inclusive(low), Edge::Inclusive(high));
                if insert {
                    self.ipv6.insert(low, high, out);
                } else {
                    self.ipv6.remove(low, high, out);
                }
            }
        }
    }

    fn edit_wildcard(&mut self, w: &Wildcard, out: Out, insert: bool) {
        let pieces = w.pieces();
        if pieces.len() == 1 {
            // No star: an exact string.
            return edit_map(&mut self.exact, pieces[0].as_bytes(), out, insert);
        }
        let (first, last) = (&pieces[0], &pieces[pieces.len() - 1]);
        if insert {
            let entry = Some((w.clone(), out));
            let id = match self.free_wildcards.pop() {
                Some(id) => {
                    self.wildcards[id as usize] = entry;
                    id
                }
                None => {
                    self.wildcards.push(entry);
                    (self.wildcards.len() - 1) as u32
                }
            };
            let anchor = Out::Wildcard(id);
            if !first.is_empty() {
                self.prefixes.insert(first.bytes(), anchor);
            } else if !last.is_empty() {
                self.suffixes.insert(last.bytes().rev(), anchor);
            } else {
                self.floating.push(id);
            }
        } else {
            let Some(id) = self
                .wildcards
                .iter()
                .position(|e| e.as_ref().is_some_and(|(x, o)| x == w && *o == out))
            else {
                return;
            };
            let anchor = Out::Wildcard(id as u32);
            if !first.is_empty() {
                self.prefixes.remove(first.bytes(), anchor);
            } else if !last.is_empty() {
                self.suffixes.remove(last.bytes().rev(), anchor);
            } else {
                remove_one(&mut self.floating, id as u32);
            }
            self.wildcards[id] = None;
            self.free_wildcards.push(id as u32);
        }
    }

    /// Calls `hit` with every condition `value` satisfies (a condition may come more than once).
    pub(crate) fn run(
        &self,
        value: Value<'_>,
        scratch: &mut ValueScratch,
        hit: &mut impl FnMut(u32),
    ) {
        scratch.next_run();
        let excluded = &mut Exclusions {
            marks: &mut scratch.excluded,
            run: scratch.run,
        };
        match value {
            Value::String(bytes) => {
                // Byte-wise matching needs no `str`; folding, IPs and wildcards do, and only
                // then is the UTF-8 looked at again.
                let needs_text = self.folded_entries > 0
                    || !(self.ipv4.is_empty() && self.ipv6.is_empty())
                    || self.wildcards.len() > self.free_wildcards.len();
                let s = if needs_text {
                    match std::str::from_utf8(bytes) {
                        Ok(s) => s,
                        Err(_) => {
                            debug_assert!(false, "the reader passes only valid UTF-8");
                            return;
                        }
                    }
                } else {
                    ""
                };
                let mut emit = |out: &Out| self.emit(*out, s, excluded, hit);
                if !self.exact.is_empty() {
                    if let Some(outs) = self.exact.get(bytes) {
                        outs.iter().for_each(&mut emit);
                    }
                }
                if !self.prefixes.is_empty() {
                    self.prefixes.walk(bytes.iter().copied(), |outs| {
                        outs.iter().for_each(&mut emit)
                    });
                }
                if !self.suffixes.is_empty() {
                    self.suffixes.walk(bytes.iter().rev().copied(), |outs| {
                        outs.iter().for_each(&mut emit)
                    });
                }
                if self.folded_entries > 0 {
                    let folded = &mut scratch.folded;
                    folded.clear();
                    fold_into(s, folded);
                    if let Some(outs) = self.folded_exact.get(folded.as_bytes()) {
                        outs.iter().for_each(&mut emit);
                    }
                    self.folded_prefixes
                        .walk(folded.bytes(), |outs| outs.iter().for_each(&mut emit));
                    self.folded_suffixes
                        .walk(folded.bytes().rev(), |outs| outs.iter().for_each(&mut emit));
                }
                if !(self.ipv4.is_empty() && self.ipv6.is_empty()) {
                    match parse_ip(s) {
                        Some(std::net::IpAddr::V4(ip)) => self
                            .ipv4
                            .lookup(ip.into(), |outs| outs.iter().for_each(&mut emit)),
                        Some(std::net::IpAddr::V6(ip)) => self
                            .ipv6
                            .lookup(ip.into(), |outs| outs.iter().for_each(&mut emit)),
                        None => {}
                    }
                }
                for &id in &self.floating {
                    emit(&Out::Wildcard(id));
                }
            }
            Value::Number { text, value } => {
                let mut emit = |out: &Out| self.emit(*out, "", excluded, hit);
                if let Some(v) = value {
                    let key = number_key(v);
                    if let Some(outs) = self.numbers.get(&key) {
                        outs.iter().for_each(&mut emit);
                    }
                    self.ranges
                        .lookup(key, |outs| outs.iter().for_each(&mut emit));
                }
                if !self.number_texts.is_empty() {
                    if let Some(outs) = self.number_texts.get(text) {
                        outs.iter().for_each(&mut emit);
                    }
                }
            }
            Value::Bool(true) => self
                .trues
                .iter()
                .for_each(|o| self.emit(*o, "", excluded, hit)),
            Value::Bool(false) => self
                .falses
                .iter()
                .for_each(|o| self.emit(*o, "", excluded, hit)),
            Value::Null => self
                .nulls
                .iter()
                .for_each(|o| self.emit(*o, "", excluded, hit)),
        }
        for out in &self.any_value {
            self.emit(*out, "", excluded, hit);
        }
        for &(ab, cond) in &self.anything_but {
            if !excluded.contains(ab) {
                hit(cond);
            }
        }
    }

    #[inline]
    fn emit(&self, out: Out, value: &str, excluded: &mut Exclusions, hit: &mut impl FnMut(u32)) {
        match out {
            Out::Cond(cond) => hit(cond),
            Out::Exclude(ab) => excluded.add(ab),
            Out::Wildcard(id) => {
                if let Some((w, then)) = &self.wildcards[id as usize] {
                    if w.matches(value) {
                        // A wildcard's own output is a condition or an exclusion, never a wildcard.
                        self.emit(*then, value, excluded, hit);
                    }
                }
            }
        }
    }
}

fn edge(bound: Bound) -> Edge<u64> {
    match bound {
        Bound::Unbounded => Edge::Unbounded,
        Bound::Inclusive(v) => Edge::Inclusive(number_key(v)),
        Bound::Exclusive(v) => Edge::Exclusive(number_key(v)),
    }
}

fn edit_map<K>(map: &mut FastMap<Box<K>, Outs>, key: &K, out: Out, insert: bool)
where
    K: ?Sized + Eq + std::hash::Hash,
    Box<K>: for<'a> From<&'a K>,
{
    if insert {
        match map.get_mut(key) {
            Some(outs) => outs.push(out),
            None => {
                map.insert(Box::from(key), SmallVec::from_elem(out, 1));
            }
        }
    } else if let Some(outs) = map.get_mut(key) {
        remove_one(outs, out);
        if outs.is_empty() {
            map.remove(key);
        }
    }
}

fn edit_trie(trie: &mut ByteTrie, key: impl Iterator<Item = u8>, out: Out, insert: bool) {
    if insert {
        trie.insert(key, out);
    } else {
        trie.remove(key, out);
    }
}

fn edit_list(list: &mut Vec<Out>, out: Out, insert: bool) {
    edit_list_of(list, out, insert)
}

fn edit_list_of<T: PartialEq>(list: &mut Vec<T>, item: T, insert: bool) {
    if insert {
        list.push(item);
    } else {
        remove_one(list, item);
    }
}

/// Remove one occurrence of `item`.
fn remove_one<T: PartialEq>(list: &mut impl Removable<T>, item: T) {
    list.remove_first(&item);
}

/// Removing one occurrence, for the two list types the machine uses.
trait Removable<T> {
    fn remove_first(&mut self, item: &T);
}

impl<T: PartialEq> Removable<T> for Vec<T> {
    fn remove_first(&mut self, item: &T) {
        if let Some(i) = self.iter().position(|x| x == item) {
            self.remove(i);
        }
    }
}

impl Removable<Out> for Outs {
    fn remove_first(&mut self, item: &Out) {
        if let Some(i) = self.iter().position(|x| x == item) {
            self.remove(i);
        }
    }
}
