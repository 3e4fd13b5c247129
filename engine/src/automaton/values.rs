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

mod find;

pub(crate) use find::is_found_in_place;

use smallvec::SmallVec;

use super::intervals::{number_key, Edge, IntervalIndex};
use super::outs::{OutLists, Outs};
use super::trie::ByteTrie;
use super::{FastMap, Out};
use crate::casefold;
use crate::pattern::cidr::parse_ip;
use crate::pattern::{AnythingBut, Bound, IpRange, Literal, ValueMatcher, Wildcard};

/// A string value as a hash key, short ones stored in the table itself: a probe of a large table
/// then costs one cache miss, not a second one to compare the key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ByteKey(SmallVec<[u8; 16]>);

/// The borrowed form of [`ByteKey`], for probing: it hashes as the byte slice does, but compares
/// without a call into `memcmp` (which costs more than the comparison for short values).
#[derive(Debug)]
#[repr(transparent)]
struct Bytes([u8]);

impl std::hash::Hash for Bytes {
    // As the slice hashes, which is how `ByteKey`'s derived hash hashes its bytes too.
    #[inline(always)]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Bytes {
    #[inline(always)]
    fn new(bytes: &[u8]) -> &Bytes {
        // SAFETY: `Bytes` is a `repr(transparent)` wrapper of `[u8]`, so the two references
        // have the same layout and metadata.
        unsafe { &*(bytes as *const [u8] as *const Bytes) }
    }
}

impl PartialEq for Bytes {
    #[inline(always)]
    fn eq(&self, other: &Bytes) -> bool {
        crate::automaton::same_bytes(&self.0, &other.0)
    }
}

impl Eq for Bytes {}

impl std::borrow::Borrow<Bytes> for ByteKey {
    #[inline(always)]
    fn borrow(&self) -> &Bytes {
        Bytes::new(&self.0)
    }
}

/// A scalar value of an event, as read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    String {
        /// Escapes resolved; valid UTF-8 (the reader checked it).
        bytes: &'a [u8],
        /// Known to be ASCII (`false` when not known).
        ascii: bool,
    },
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
    folded: Vec<u8>,
    /// Per `anything-but` id, the run (value) in which one of its exclusions was hit.
    excluded: Vec<u32>,
    run: u32,
    /// Per `anything-but` id, how many values outside arrays of containers it excluded in this
    /// event, stamped with the event: the deferred check (see [`ValueScratch::excludes_all`]).
    untied_exclusions: Vec<(u32, u32)>,
    event: u32,
}

impl ValueScratch {
    /// Start an event.
    pub(crate) fn begin_event(&mut self) {
        if self.event == u32::MAX {
            self.untied_exclusions.iter_mut().for_each(|m| *m = (0, 0));
            self.event = 0;
        }
        self.event += 1;
    }

    /// Start a value: forget every exclusion marked so far.
    fn next_run(&mut self) {
        if self.run == u32::MAX {
            self.excluded.iter_mut().for_each(|m| *m = 0);
            self.run = 0;
        }
        self.run += 1;
    }

    /// Did `anything-but` `ab` exclude every one of the `values` values outside arrays of
    /// containers that its field had in this event?
    pub(crate) fn excludes_all(&self, ab: u32, values: u32) -> bool {
        match self.untied_exclusions.get(ab as usize) {
            Some(&(event, count)) if event == self.event => count >= values,
            _ => values == 0,
        }
    }
}

/// The `anything-but` ids whose exclusions the current value hit.
struct Exclusions<'a> {
    marks: &'a mut Vec<u32>,
    run: u32,
    counts: &'a mut Vec<(u32, u32)>,
    event: u32,
    /// Count exclusions per event in `counts` too (the value lies outside arrays of
    /// containers, and the field has deferred `anything-but`s).
    count: bool,
}

impl Exclusions<'_> {
    #[inline]
    fn add(&mut self, ab: u32) {
        let i = ab as usize;
        if i >= self.marks.len() {
            self.marks.resize(i + 1, 0);
        }
        if self.marks[i] == self.run {
            return;
        }
        self.marks[i] = self.run;
        if self.count {
            if i >= self.counts.len() {
                self.counts.resize(i + 1, (0, 0));
            }
            let entry = &mut self.counts[i];
            if entry.0 != self.event {
                *entry = (self.event, 0);
            }
            entry.1 += 1;
        }
    }

    #[inline]
    fn contains(&self, ab: u32) -> bool {
        self.marks.get(ab as usize) == Some(&self.run)
    }
}

/// Which parts of a [`FieldMachine`] hold entries, one bit each: a value is looked up only in
/// those, and a field's common shape (one or two parts) costs a test per part it lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Parts(u32);

impl Parts {
    const EXACT: u32 = 1;
    const PREFIXES: u32 = 1 << 1;
    const SUFFIXES: u32 = 1 << 2;
    const FOLDED_EXACT: u32 = 1 << 3;
    const IPS: u32 = 1 << 4;
    /// Some wildcard is live (anchored in a trie or floating).
    const WILDCARDS: u32 = 1 << 5;
    const FLOATING: u32 = 1 << 6;
    const NUMBERS: u32 = 1 << 7;
    const RANGES: u32 = 1 << 8;
    const NUMBER_TEXTS: u32 = 1 << 9;
    const LITERALS: u32 = 1 << 10;
    const ANY_VALUE: u32 = 1 << 11;
    const ANYTHING_BUT: u32 = 1 << 12;
    const DEFERRED_ANYTHING_BUT: u32 = 1 << 13;
    const FOLDED_PREFIXES: u32 = 1 << 14;
    const FOLDED_SUFFIXES: u32 = 1 << 15;
    /// Some entry ignores case: values are case-folded.
    const FOLDS: u32 = Parts::FOLDED_EXACT | Parts::FOLDED_PREFIXES | Parts::FOLDED_SUFFIXES;
    /// String values are needed as `str` (folding, IP addresses and wildcards work on text).
    const TEXT: u32 = Parts::FOLDS | Parts::IPS | Parts::WILDCARDS;

    #[inline(always)]
    fn has(self, parts: u32) -> bool {
        self.0 & parts != 0
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct FieldMachine {
    parts: Parts,
    exact: FastMap<ByteKey, Outs>,
    prefixes: ByteTrie,
    suffixes: ByteTrie,
    folded_exact: FastMap<ByteKey, Outs>,
    folded_prefixes: ByteTrie,
    folded_suffixes: ByteTrie,
    numbers: FastMap<u64, Outs>,
    number_texts: FastMap<Box<str>, Outs>,
    /// Conditions not found through one matcher's entry (see [`FieldMachine::find_single`]), by
    /// canonical form (`identity::condition_key`): the newest first.
    keyed: FastMap<ByteKey, Outs>,
    /// The output lists of the keys above that several conditions share.
    out_lists: OutLists,
    ranges: IntervalIndex<u64>,
    ipv4: IntervalIndex<u32>,
    ipv6: IntervalIndex<u128>,
    trues: Vec<Out>,
    falses: Vec<Out>,
    nulls: Vec<Out>,
    /// `exists: true`.
    any_value: Vec<Out>,
    /// Wildcards by id (`None` once dropped); the trie entries and `floating` refer to them.
    wildcards: Vec<Option<(Wildcard, Out)>>,
    free_wildcards: Vec<u32>,
    /// Wildcards with a star at both ends: no literal end to hang them on.
    floating: Vec<u32>,
    /// `anything-but` entries: (id, condition); they fire unless an exclusion hit their id.
    anything_but: Vec<(u32, u32)>,
    /// The same for deferred conditions (see `Cond::deferred`): they fire only for values
    /// inside arrays of containers; for the others, the evaluation asks
    /// [`ValueScratch::excludes_all`].
    deferred_anything_but: Vec<(u32, u32)>,
}

impl FieldMachine {
    pub(crate) fn is_empty(&self) -> bool {
        self.parts == Parts::default() && self.keyed.is_empty()
    }

    /// Recompute [`FieldMachine::parts`] after entries came or went.
    fn refresh_parts(&mut self) {
        let flags = [
            (!self.exact.is_empty(), Parts::EXACT),
            (!self.prefixes.is_empty(), Parts::PREFIXES),
            (!self.suffixes.is_empty(), Parts::SUFFIXES),
            (!self.folded_exact.is_empty(), Parts::FOLDED_EXACT),
            (!self.folded_prefixes.is_empty(), Parts::FOLDED_PREFIXES),
            (!self.folded_suffixes.is_empty(), Parts::FOLDED_SUFFIXES),
            (!(self.ipv4.is_empty() && self.ipv6.is_empty()), Parts::IPS),
            (
                self.wildcards.len() > self.free_wildcards.len(),
                Parts::WILDCARDS,
            ),
            (!self.floating.is_empty(), Parts::FLOATING),
            (!self.numbers.is_empty(), Parts::NUMBERS),
            (!self.ranges.is_empty(), Parts::RANGES),
            (!self.number_texts.is_empty(), Parts::NUMBER_TEXTS),
            (
                !(self.trues.is_empty() && self.falses.is_empty() && self.nulls.is_empty()),
                Parts::LITERALS,
            ),
            (!self.any_value.is_empty(), Parts::ANY_VALUE),
            (!self.anything_but.is_empty(), Parts::ANYTHING_BUT),
            (
                !self.deferred_anything_but.is_empty(),
                Parts::DEFERRED_ANYTHING_BUT,
            ),
        ];
        self.parts = Parts(
            flags
                .into_iter()
                .filter(|&(present, _)| present)
                .fold(0, |all, (_, bit)| all | bit),
        );
    }

    /// Register `matcher` as satisfying condition `cond`; `ab` is the id reserved for it if it
    /// is an `anything-but`, and `deferred` says whether its condition is deferred. `single`:
    /// `matcher` is its condition's only one, so its output goes first in its entry, where
    /// [`FieldMachine::find_single`] looks.
    pub(crate) fn insert(
        &mut self,
        matcher: &ValueMatcher,
        cond: u32,
        ab: u32,
        deferred: bool,
        single: bool,
    ) {
        self.insert_entry(matcher, cond, ab, deferred, single);
        self.refresh_parts();
    }

    fn insert_entry(
        &mut self,
        matcher: &ValueMatcher,
        cond: u32,
        ab: u32,
        deferred: bool,
        first: bool,
    ) {
        let out = Out::Cond(cond);
        match matcher {
            ValueMatcher::Literal(Literal::String(s)) => add_bytes(
                &mut self.exact,
                &mut self.out_lists,
                s.as_bytes(),
                out,
                first,
            ),
            ValueMatcher::Literal(Literal::Number(n)) => self.insert_number(n, out),
            ValueMatcher::Literal(Literal::Bool(true)) => self.trues.push(out),
            ValueMatcher::Literal(Literal::Bool(false)) => self.falses.push(out),
            ValueMatcher::Literal(Literal::Null) => self.nulls.push(out),
            ValueMatcher::IpAddress { range, .. } | ValueMatcher::Cidr { range, .. } => {
                match *range {
                    IpRange::V4 { low, high } => {
                        self.ipv4
                            .insert(Edge::Inclusive(low), Edge::Inclusive(high), out)
                    }
                    IpRange::V6 { low, high } => {
                        self.ipv6
                            .insert(Edge::Inclusive(low), Edge::Inclusive(high), out)
                    }
                }
            }
            ValueMatcher::Prefix(p) => self.prefixes.insert(p.bytes(), out, first),
            ValueMatcher::Suffix(p) => self.suffixes.insert(p.bytes().rev(), out, first),
            ValueMatcher::PrefixIgnoreCase(p) => self.folded_prefixes.insert(p.bytes(), out, first),
            ValueMatcher::SuffixIgnoreCase(p) => {
                self.folded_suffixes.insert(p.bytes().rev(), out, first)
            }
            ValueMatcher::EqualsIgnoreCase(p) => add_bytes(
                &mut self.folded_exact,
                &mut self.out_lists,
                p.as_bytes(),
                out,
                first,
            ),
            ValueMatcher::Wildcard(w) => self.insert_wildcard(w, out, first),
            ValueMatcher::Numeric(range) => {
                self.ranges.insert(edge(range.low), edge(range.high), out)
            }
            ValueMatcher::Exists(true) => self.any_value.push(out),
            // Satisfied by absence, which the evaluation judges; no value satisfies it.
            ValueMatcher::Exists(false) => {}
            ValueMatcher::AnythingBut(exclusions) => {
                if deferred {
                    self.deferred_anything_but.push((ab, cond));
                } else {
                    self.anything_but.push((ab, cond));
                }
                self.insert_exclusions(exclusions, Out::Exclude(ab));
            }
        }
    }

    fn insert_exclusions(&mut self, exclusions: &AnythingBut, out: Out) {
        match exclusions {
            AnythingBut::Strings(list) => {
                for s in list {
                    add_bytes(
                        &mut self.exact,
                        &mut self.out_lists,
                        s.as_bytes(),
                        out,
                        false,
                    );
                }
            }
            AnythingBut::Numbers(list) => {
                for n in list {
                    self.insert_number(n, out);
                }
            }
            AnythingBut::Prefixes(list) => {
                for p in list {
                    self.prefixes.insert(p.bytes(), out, false);
                }
            }
            AnythingBut::Suffixes(list) => {
                for p in list {
                    self.suffixes.insert(p.bytes().rev(), out, false);
                }
            }
            AnythingBut::IgnoreCase(list) => {
                for p in list {
                    add_bytes(
                        &mut self.folded_exact,
                        &mut self.out_lists,
                        p.as_bytes(),
                        out,
                        false,
                    );
                }
            }
            AnythingBut::Wildcards(list) => {
                for w in list {
                    self.insert_wildcard(w, out, false);
                }
            }
        }
    }

    fn insert_number(&mut self, n: &crate::json::Number, out: Out) {
        // Pattern numbers keep a value only when binary64 holds them as written; the others
        // compare as text (see `Number::same_as`).
        match n.value() {
            Some(v) => match self.numbers.get_mut(&number_key(v)) {
                Some(outs) => outs.push(out, &mut self.out_lists, false),
                None => {
                    self.numbers.insert(number_key(v), Outs::one(out));
                }
            },
            None => add(&mut self.number_texts, &mut self.out_lists, n.text(), out),
        }
    }

    fn insert_wildcard(&mut self, w: &Wildcard, out: Out, first: bool) {
        let pieces = w.pieces();
        if pieces.len() == 1 {
            // No star: an exact string.
            return add_bytes(
                &mut self.exact,
                &mut self.out_lists,
                pieces[0].as_bytes(),
                out,
                first,
            );
        }
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
        let (first, last) = (&pieces[0], &pieces[pieces.len() - 1]);
        let anchor = Out::Wildcard(id);
        // With literals at both ends, hang it where fewer wildcards already wait: rules like
        // `user-*-<n>` share their start, and would all be tried on every `user-` value.
        let at_start = !first.is_empty()
            && (last.is_empty()
                || self.prefixes.outputs_at(first.bytes())
                    <= self.suffixes.outputs_at(last.bytes().rev()));
        if at_start {
            self.prefixes.insert(first.bytes(), anchor, false);
        } else if !last.is_empty() {
            self.suffixes.insert(last.bytes().rev(), anchor, false);
        } else {
            self.floating.push(id);
        }
    }

    /// Drop every entry of the conditions `live` refuses, and every state only they used.
    /// Returns the `anything-but` ids that were dropped, for reuse.
    pub(crate) fn retain(&mut self, live: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut dropped = Vec::new();
        for list in [&mut self.anything_but, &mut self.deferred_anything_but] {
            list.retain(|&(ab, cond)| {
                live(cond) || {
                    dropped.push(ab);
                    false
                }
            });
        }
        crate::sort::sort_unstable(&mut dropped);
        let alive = |out: &Out| match *out {
            Out::Cond(cond) => live(cond),
            Out::Exclude(ab) => dropped.binary_search(&ab).is_err(),
            Out::Wildcard(_) => true,
        };
        for (id, slot) in self.wildcards.iter_mut().enumerate() {
            if slot.as_ref().is_some_and(|(_, then)| !alive(then)) {
                *slot = None;
                self.free_wildcards.push(id as u32);
            }
        }
        let wildcards = &self.wildcards;
        let keep = |out: &Out| match *out {
            Out::Wildcard(id) => wildcards[id as usize].is_some(),
            _ => alive(out),
        };
        self.floating.retain(|&id| keep(&Out::Wildcard(id)));
        let lists = &mut self.out_lists;
        for map in [&mut self.exact, &mut self.folded_exact, &mut self.keyed] {
            retain_map(map, lists, keep);
        }
        retain_map(&mut self.numbers, lists, keep);
        retain_map(&mut self.number_texts, lists, keep);
        lists.clear_if_unused();
        for trie in [
            &mut self.prefixes,
            &mut self.suffixes,
            &mut self.folded_prefixes,
            &mut self.folded_suffixes,
        ] {
            trie.retain(keep);
        }
        self.ranges.retain(keep);
        self.ipv4.retain(keep);
        self.ipv6.retain(keep);
        for list in [
            &mut self.trues,
            &mut self.falses,
            &mut self.nulls,
            &mut self.any_value,
        ] {
            list.retain(keep);
        }
        if self.wildcards.iter().all(Option::is_none) {
            self.wildcards.clear();
            self.free_wildcards.clear();
        }
        self.refresh_parts();
        dropped
    }

    /// Calls `hit` with every condition `value` satisfies (a condition may come more than once);
    /// `tied` says whether the value lies inside an array of containers.
    pub(crate) fn run(
        &self,
        value: Value<'_>,
        tied: bool,
        scratch: &mut ValueScratch,
        hit: &mut impl FnMut(u32),
    ) {
        let parts = self.parts;
        // Exclusions exist only where some `anything-but` does.
        let excludes = parts.has(Parts::ANYTHING_BUT | Parts::DEFERRED_ANYTHING_BUT);
        if excludes {
            scratch.next_run();
        }
        let excluded = &mut Exclusions {
            marks: &mut scratch.excluded,
            run: scratch.run,
            counts: &mut scratch.untied_exclusions,
            event: scratch.event,
            count: !tied && parts.has(Parts::DEFERRED_ANYTHING_BUT),
        };
        match value {
            Value::String { bytes, ascii } => {
                // Byte-wise matching needs no `str`; folding, IPs and wildcards do, and only
                // then is the UTF-8 looked at again (unless the reader saw it was ASCII).
                let ascii = ascii || (parts.has(Parts::TEXT) && bytes.is_ascii());
                let s = if ascii {
                    // SAFETY: ASCII bytes are valid UTF-8.
                    unsafe { std::str::from_utf8_unchecked(bytes) }
                } else if parts.has(Parts::TEXT) {
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
                if parts.has(Parts::EXACT) {
                    if let Some(outs) = self.exact.get(Bytes::new(bytes)) {
                        outs.for_each(&self.out_lists, &mut emit);
                    }
                }
                if parts.has(Parts::PREFIXES) {
                    self.prefixes.walk(bytes.iter().copied(), &mut emit);
                }
                if parts.has(Parts::SUFFIXES) {
                    self.suffixes.walk(bytes.iter().rev().copied(), &mut emit);
                }
                if parts.has(Parts::FOLDS) {
                    let mut short: casefold::ShortBuffer = [0; casefold::SHORT + 8];
                    let folded = if ascii && bytes.len() <= casefold::SHORT {
                        casefold::fold_short_ascii(bytes, &mut short)
                    } else {
                        let folded = &mut scratch.folded;
                        folded.clear();
                        if ascii {
                            casefold::fold_ascii_into(bytes, folded);
                        } else {
                            casefold::fold_into(s, folded);
                        }
                        folded.as_slice()
                    };
                    if parts.has(Parts::FOLDED_EXACT) {
                        if let Some(outs) = self.folded_exact.get(Bytes::new(folded)) {
                            outs.for_each(&self.out_lists, &mut emit);
                        }
                    }
                    if parts.has(Parts::FOLDED_PREFIXES) {
                        self.folded_prefixes.walk(folded.iter().copied(), &mut emit);
                    }
                    if parts.has(Parts::FOLDED_SUFFIXES) {
                        self.folded_suffixes
                            .walk(folded.iter().rev().copied(), &mut emit);
                    }
                }
                if parts.has(Parts::IPS) {
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
                if parts.has(Parts::FLOATING) {
                    for &id in &self.floating {
                        emit(&Out::Wildcard(id));
                    }
                }
            }
            Value::Number { text, value } => {
                // Numbers' entries are conditions and exclusions, no wildcards: the common
                // case, a condition, needs no call.
                let mut emit = |out: &Out| match *out {
                    Out::Cond(cond) => hit(cond),
                    _ => self.emit(*out, "", excluded, hit),
                };
                if let Some(v) = value {
                    let key = number_key(v);
                    if parts.has(Parts::NUMBERS) {
                        if let Some(outs) = self.numbers.get(&key) {
                            outs.for_each(&self.out_lists, &mut emit);
                        }
                    }
                    if parts.has(Parts::RANGES) {
                        self.ranges
                            .lookup(key, |outs| outs.iter().for_each(&mut emit));
                    }
                }
                if parts.has(Parts::NUMBER_TEXTS) {
                    if let Some(outs) = self.number_texts.get(text) {
                        outs.for_each(&self.out_lists, &mut emit);
                    }
                }
            }
            Value::Bool(_) | Value::Null if parts.has(Parts::LITERALS) => {
                let outs = match value {
                    Value::Bool(true) => &self.trues,
                    Value::Bool(false) => &self.falses,
                    _ => &self.nulls,
                };
                outs.iter().for_each(|o| self.emit(*o, "", excluded, hit));
            }
            Value::Bool(_) | Value::Null => {}
        }
        if parts.has(Parts::ANY_VALUE) {
            for out in &self.any_value {
                self.emit(*out, "", excluded, hit);
            }
        }
        if excludes {
            for &(ab, cond) in &self.anything_but {
                if !excluded.contains(ab) {
                    hit(cond);
                }
            }
            if tied {
                for &(ab, cond) in &self.deferred_anything_but {
                    if !excluded.contains(ab) {
                        hit(cond);
                    }
                }
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

fn add_bytes(
    map: &mut FastMap<ByteKey, Outs>,
    lists: &mut OutLists,
    key: &[u8],
    out: Out,
    first: bool,
) {
    match map.get_mut(Bytes::new(key)) {
        Some(outs) => outs.push(out, lists, first),
        None => {
            map.insert(ByteKey(SmallVec::from_slice(key)), Outs::one(out));
        }
    }
}

fn add<K>(map: &mut FastMap<Box<K>, Outs>, lists: &mut OutLists, key: &K, out: Out)
where
    K: ?Sized + Eq + std::hash::Hash,
    Box<K>: for<'a> From<&'a K>,
{
    match map.get_mut(key) {
        Some(outs) => outs.push(out, lists, false),
        None => {
            map.insert(Box::from(key), Outs::one(out));
        }
    }
}

fn retain_map<K: Eq + std::hash::Hash>(
    map: &mut FastMap<K, Outs>,
    lists: &mut OutLists,
    keep: impl Fn(&Out) -> bool,
) {
    map.retain(|_, outs| outs.retain(lists, &keep));
}
