//! The compiled automaton: every rule's conditions merged into one structure that reads an event
//! once.
//!
//! Compilation (`add`): a pattern's sub-rules (its `$or` expansion) each get an id; each of a
//! sub-rule's field conditions is a condition id, shared with every other sub-rule that tests
//! the field the same way ([`identity`]). A new condition's value matchers are registered under
//! its id in the value automaton of the field's path ([`values::FieldMachine`]), found through
//! the field-level trie ([`paths::PathTrie`]). Each sub-rule is anchored on one of its counted
//! conditions, the one the fewest sub-rules use ([`anchors`]).
//!
//! Matching: the event reader (`crate::scan`) walks the event along the path trie and runs each
//! needed value through its field's automaton, which names the conditions the value satisfies;
//! [`evaluate`] marks them, nominates the sub-rules anchored on them, and decides those by the
//! marks of their other conditions, checking array consistency and `exists: false` where the
//! event calls for it.

mod anchors;
mod arena;
mod consistency;
pub(crate) mod evaluate;
mod identity;
pub(crate) mod intervals;
mod outs;
pub(crate) mod paths;
pub(crate) mod trie;
pub(crate) mod values;

use std::sync::Arc;

use smallvec::SmallVec;

use crate::pattern::{FieldCondition, Pattern, ValueMatcher};
use anchors::{AnchorLists, CondLists, NO_ANCHORED};
use paths::PathTrie;
use values::FieldMachine;

/// Hash maps keyed by pattern text, hashed with aHash under keys drawn once per process, so a
/// subscriber cannot precompute colliding pattern values.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, SeededState>;

/// aHash with per-process random keys, taken from the standard library's randomly keyed hasher
/// (on targets without a randomness source, such as `wasm32-unknown-unknown`, the keys are fixed).
#[derive(Debug, Clone)]
pub(crate) struct SeededState(ahash::RandomState);

impl Default for SeededState {
    fn default() -> Self {
        use std::hash::BuildHasher;
        static SEEDS: std::sync::OnceLock<[u64; 4]> = std::sync::OnceLock::new();
        let seeds = SEEDS.get_or_init(|| {
            let random = std::collections::hash_map::RandomState::new();
            [0u64, 1, 2, 3].map(|i| random.hash_one(i))
        });
        SeededState(ahash::RandomState::with_seeds(
            seeds[0], seeds[1], seeds[2], seeds[3],
        ))
    }
}

impl std::hash::BuildHasher for SeededState {
    type Hasher = ahash::AHasher;

    #[inline]
    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }
}

/// Byte equality without a call into `memcmp`, which costs more than the comparison for the
/// short keys events have.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    // Up to 16 bytes: compare as two (possibly overlapping) 8-byte words, or smaller pieces.
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap());
    match a.len() {
        8..=16 => word(a, 0) == word(b, 0) && word(a, a.len() - 8) == word(b, b.len() - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, a.len() - 4) == half(b, b.len() - 4),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// What a value automaton's state emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    /// The value satisfies this condition.
    Cond(u32),
    /// The value hits an exclusion of this `anything-but`.
    Exclude(u32),
    /// Try this wildcard (of the same field) on the value.
    Wildcard(u32),
}

/// One field condition, shared by every sub-rule that tests its field the same way, in 12 bytes
/// (one condition per rule is the common case, so every byte here is a byte per rule).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cond {
    /// The field id in the low 28 bits ([`MAX_FIELDS`]), the flags above it.
    field_and_flags: u32,
    /// How many sub-rules use it; 0 once dead (its entries go in the next sweep of its field).
    pub(crate) users: u32,
    /// The sub-rules anchored on it: [`NO_ANCHORED`], one sub-rule id, or a list (see
    /// [`anchors`]).
    pub(crate) anchored: u32,
}

/// Field ids are below this (more distinct paths than memory could hold anyway).
const MAX_FIELDS: u32 = 1 << 28;
/// The condition lists `exists: false`: it also holds when the field is absent, so it is not
/// counted.
const ABSENCE_OK: u32 = 1 << 31;
/// Only `anything-but`s, in a sub-rule with another condition that is counted: it is not
/// counted either, but checked once that sub-rule is a candidate. An `anything-but` holds for
/// almost every value, so counting it would touch every such sub-rule on every event.
const DEFERRED: u32 = 1 << 30;
/// Its field condition has one matcher, found through that matcher's entry
/// ([`values::FieldMachine::find_single`]).
const SINGLE: u32 = 1 << 29;
/// Some matcher is not an equality (a prefix, a range, an `anything-but`...): between two
/// conditions with as many users, the other makes the better anchor.
const BROAD: u32 = 1 << 28;

impl Cond {
    fn new(field: u32, absence_ok: bool, deferred: bool, single: bool, broad: bool) -> Cond {
        debug_assert!(field < MAX_FIELDS);
        let mut field_and_flags = field;
        let flags = [
            (absence_ok, ABSENCE_OK),
            (deferred, DEFERRED),
            (single, SINGLE),
            (broad, BROAD),
        ];
        for (set, flag) in flags {
            if set {
                field_and_flags |= flag;
            }
        }
        Cond {
            field_and_flags,
            users: 1,
            anchored: NO_ANCHORED,
        }
    }

    #[inline(always)]
    pub(crate) fn field(self) -> u32 {
        self.field_and_flags & (MAX_FIELDS - 1)
    }

    #[inline(always)]
    pub(crate) fn absence_ok(self) -> bool {
        self.field_and_flags & ABSENCE_OK != 0
    }

    #[inline(always)]
    pub(crate) fn deferred(self) -> bool {
        self.field_and_flags & DEFERRED != 0
    }

    fn single(self) -> bool {
        self.field_and_flags & SINGLE != 0
    }

    /// How good an anchor it is, the lower the better: its users, then whether it is broad.
    fn anchor_rank(self) -> u64 {
        u64::from(self.users) << 1 | u64::from(self.field_and_flags & BROAD != 0)
    }
}

/// One sub-rule, in 24 bytes: a rule with one exact value costs one of these.
#[derive(Debug, Clone)]
pub(crate) struct SubRule {
    pub(crate) rule: u32,
    /// The rule's previous sub-rule ([`NONE`] for its first): a rule's sub-rules are a chain
    /// from [`Rule::last_sub_rule`], which saves the rule a vector.
    previous_in_rule: u32,
    /// Its conditions when it has one or two (the commonest sub-rules, whose conditions are
    /// then read without a further memory access); otherwise the first is the index of its
    /// list in [`Automaton::cond_lists`].
    conds: [u32; 2],
    /// Its place in the list of its anchor (0 when the anchor has no list).
    anchor_slot: u32,
    /// How many conditions it has (bits 0-8), how many of them are required (9-17), the index
    /// of its anchor among them (18-25), and two flags ([`CHECKED_AT_END`], [`ALONE`]). The
    /// required conditions come first: those that need a value, less the deferred ones, all of
    /// which must be marked for the sub-rule to hold. At most MAX_FIELDS_PER_RULE (256)
    /// conditions, so each count fits 9 bits and an index 8.
    shape: u32,
}

/// Some condition of the sub-rule is checked only when it is a candidate (absence or deferred).
const CHECKED_AT_END: u32 = 1 << 26;
/// The sub-rule is its rule's only one: a match needs no check that the rule matched already
/// (a sub-rule is nominated at most once per event).
const ALONE: u32 = 1 << 27;

impl SubRule {
    /// How many conditions it has.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        (self.shape & 0x1ff) as usize
    }

    /// How many of its conditions (the first ones) must be marked.
    #[inline(always)]
    pub(crate) fn required(&self) -> usize {
        (self.shape >> 9 & 0x1ff) as usize
    }

    /// The index of its anchor among its conditions (one of the required ones).
    #[inline(always)]
    fn anchor(&self) -> usize {
        (self.shape >> 18 & 0xff) as usize
    }

    fn set_anchor(&mut self, at: u8) {
        self.shape = self.shape & !(0xff << 18) | u32::from(at) << 18;
    }

    #[inline(always)]
    pub(crate) fn checked_at_end(&self) -> bool {
        self.shape & CHECKED_AT_END != 0
    }

    #[inline(always)]
    pub(crate) fn alone(&self) -> bool {
        self.shape & ALONE != 0
    }
}

/// No sub-rule.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Rule {
    name: Arc<str>,
    /// When the name was first added: matches are reported in this order. 32 bits, renumbered
    /// in place should 2^32 names ever be added (see [`Automaton::renumber_added`]).
    added: u32,
    /// The newest of its sub-rules, which chain back through [`SubRule::previous_in_rule`].
    last_sub_rule: u32,
}

/// A field's value automaton and what deleting from it lazily needs.
///
/// Deleting a rule marks its conditions dead at once (they stop counting in the same call), and
/// their entries are swept out of the field's automaton when dead conditions outnumber live ones,
/// so deleting costs O(1) amortized per condition and the automaton never holds more dead
/// entries than live ones. A dead condition's id is reused only after the sweep.
#[derive(Debug, Clone, Default)]
pub(crate) struct Field {
    pub(crate) machine: FieldMachine,
    /// The field's node in the path trie.
    node: u32,
    live: u32,
    dead: Vec<u32>,
}

/// Ids handed out and taken back.
#[derive(Debug, Clone, Default)]
struct Ids {
    next: u32,
    free: Vec<u32>,
}

impl Ids {
    fn take(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        })
    }

    fn give_back(&mut self, id: u32) {
        self.free.push(id);
    }

    /// One more than the highest id ever handed out: the size of a table indexed by id.
    fn bound(&self) -> usize {
        self.next as usize
    }
}

/// Memory: a rule with one exact value costs about 185 heap bytes at 100,000 rules on a field
/// (`evmatch-bench scaling`): its slot in `rules` (24 bytes), its name (16 bytes of counts and
/// the text), its `by_name` entry (24), its sub-rule (24), its condition (12), and its entry in
/// the field's exact map (32: a key of up to 16 bytes in place, and one output, see [`outs`]);
/// tables run 1-2 times full between doublings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Automaton {
    pub(crate) paths: PathTrie,
    pub(crate) fields: Vec<Field>,
    field_ids: Ids,
    pub(crate) conds: Vec<Cond>,
    cond_ids: Ids,
    pub(crate) sub_rules: Vec<SubRule>,
    sub_rule_ids: Ids,
    /// The conditions of sub-rules with more than one.
    cond_lists: CondLists,
    /// The sub-rules anchored on conditions that anchor more than one.
    pub(crate) anchors: AnchorLists,
    /// Sub-rules with no required condition: decided for every event.
    pub(crate) unconditional: Vec<u32>,
    anything_but_ids: Ids,
    /// The `anything-but` ids of each deferred condition.
    pub(crate) deferred_anything_buts: FastMap<u32, SmallVec<[u32; 1]>>,
    rules: Vec<Option<Rule>>,
    rule_ids: Ids,
    by_name: FastMap<Arc<str>, u32>,
    names_added: u32,
}

impl Automaton {
    /// Add `pattern` under `name`.
    pub(crate) fn add(&mut self, name: &str, pattern: &Pattern) {
        let rule = match self.by_name.get(name) {
            Some(&id) => id,
            None => {
                if self.names_added == u32::MAX {
                    self.renumber_added();
                }
                let id = self.rule_ids.take();
                let name: Arc<str> = name.into();
                put(
                    &mut self.rules,
                    id,
                    Some(Rule {
                        name: Arc::clone(&name),
                        added: self.names_added,
                        last_sub_rule: NONE,
                    }),
                );
                self.names_added += 1;
                self.by_name.insert(name, id);
                id
            }
        };
        for sub_rule in &pattern.sub_rules {
            let id = self.sub_rule_ids.take();
            let only_anything_buts = |field: &FieldCondition| {
                field
                    .matchers
                    .iter()
                    .all(|m| matches!(m, ValueMatcher::AnythingBut(_)))
            };
            let can_defer = sub_rule.fields.iter().any(|f| {
                !f.matchers.contains(&ValueMatcher::Exists(false)) && !only_anything_buts(f)
            });
            // Required conditions first, then those checked at the end.
            let mut conds = Vec::with_capacity(sub_rule.fields.len());
            let mut at_end = Vec::new();
            let mut shared = Vec::new();
            for field in &sub_rule.fields {
                let absence_ok = field.matchers.contains(&ValueMatcher::Exists(false));
                let deferred = !absence_ok && can_defer && only_anything_buts(field);
                let (cond, new) = self.cond_for(field, absence_ok, deferred);
                if !new {
                    shared.push(cond);
                }
                if absence_ok || deferred {
                    at_end.push(cond);
                } else {
                    conds.push(cond);
                }
            }
            let required = conds.len();
            conds.extend_from_slice(&at_end);
            let previous_in_rule = self.rule(rule).last_sub_rule;
            let inline = match *conds {
                [one] => [one, 0],
                [one, two] => [one, two],
                _ => [self.cond_lists.add(&conds), 0],
            };
            // At most MAX_FIELDS_PER_RULE (256) conditions.
            let mut shape = conds.len() as u32 | (required as u32) << 9;
            if !at_end.is_empty() {
                shape |= CHECKED_AT_END;
            }
            if previous_in_rule == NONE {
                shape |= ALONE;
            }
            put(
                &mut self.sub_rules,
                id,
                SubRule {
                    rule,
                    previous_in_rule,
                    conds: inline,
                    anchor_slot: 0,
                    shape,
                },
            );
            // The shared conditions' anchored sub-rules are judged again first, at their new
            // number of users.
            for cond in shared {
                self.rejudge_if_grown(cond);
            }
            if required == 0 {
                self.unconditional.push(id);
            } else {
                let at = self.least_used(id);
                self.anchor(id, at);
            }
            self.rules[rule as usize]
                .as_mut()
                .expect("rule just found or made")
                .last_sub_rule = id;
            // The rule's first sub-rule, if it was alone, is alone no more (only a first one is).
            if previous_in_rule != NONE {
                self.sub_rules[previous_in_rule as usize].shape &= !ALONE;
            }
        }
    }

    /// The condition for `field` in the role `absence_ok`/`deferred`: a live identical one, one
    /// more use of it counted (`false`), or a new one (`true`).
    fn cond_for(
        &mut self,
        field: &FieldCondition,
        absence_ok: bool,
        deferred: bool,
    ) -> (u32, bool) {
        let field_id = self.field_for(&field.path);
        let entry = &mut self.fields[field_id as usize];
        let conds = &self.conds;
        // Found through its one matcher's entry, through its canonical form, or (with a range)
        // not looked for.
        let (single, key) = match &*field.matchers {
            [only] if values::is_found_in_place(only) => (Some(only), None),
            matchers => (None, identity::condition_key(matchers, deferred)),
        };
        let existing = match (single, &key) {
            (Some(matcher), _) => entry.machine.find_single(matcher, |c| {
                let cond = conds[c as usize];
                cond.single() && cond.users > 0
            }),
            (None, Some(key)) => entry
                .machine
                .find_keyed(key, |c| conds[c as usize].users > 0),
            (None, None) => None,
        };
        if let Some(cond) = existing {
            // One use of the path for the condition, not one per sub-rule.
            let node = entry.node;
            self.paths.release(node);
            self.conds[cond as usize].users += 1;
            return (cond, false);
        }
        let cond = self.cond_ids.take();
        entry.live += 1;
        let mut anything_buts = SmallVec::<[u32; 1]>::new();
        for matcher in &field.matchers {
            let ab = match matcher {
                ValueMatcher::AnythingBut(_) => self.anything_but_ids.take(),
                _ => u32::MAX,
            };
            anything_buts.push(ab);
            entry
                .machine
                .insert(matcher, cond, ab, deferred, single.is_some());
        }
        if let Some(key) = key {
            entry.machine.insert_keyed(&key, cond);
        }
        if deferred {
            self.deferred_anything_buts.insert(cond, anything_buts);
        }
        let broad = !field.matchers.iter().all(|m| {
            matches!(
                m,
                ValueMatcher::Literal(_)
                    | ValueMatcher::IpAddress { .. }
                    | ValueMatcher::EqualsIgnoreCase(_)
            )
        });
        put(
            &mut self.conds,
            cond,
            Cond::new(field_id, absence_ok, deferred, single.is_some(), broad),
        );
        (cond, true)
    }

    /// The conditions of `sub_rule`: the required ones first.
    #[inline]
    pub(crate) fn conds_of<'a>(&'a self, sub_rule: &'a SubRule) -> &'a [u32] {
        match sub_rule.len() {
            len @ 0..=2 => &sub_rule.conds[..len],
            _ => self.cond_lists.get(sub_rule.conds[0]),
        }
    }

    /// The field id for `path`, made (with its path-trie node) if new; counts one more use.
    fn field_for(&mut self, path: &str) -> u32 {
        let fields = &mut self.fields;
        let field_ids = &mut self.field_ids;
        let (node, field) = self.paths.add(path, || {
            let id = field_ids.take();
            // Each field holds a value automaton of several hundred bytes: memory runs out
            // long before this.
            assert!(id < MAX_FIELDS - 1, "more than 2^28 distinct field paths");
            put(fields, id, Field::default());
            id
        });
        self.fields[field as usize].node = node;
        field
    }

    /// Remove every pattern under `name`. A condition its last user leaves dies at once; its
    /// entries go in the next sweep of its field.
    pub(crate) fn delete(&mut self, name: &str) -> bool {
        let Some(rule_id) = self.by_name.remove(name) else {
            return false;
        };
        let rule = self.rules[rule_id as usize]
            .take()
            .expect("named rules exist");
        self.rule_ids.give_back(rule_id);
        let mut next = rule.last_sub_rule;
        while next != NONE {
            let id = next;
            let sub_rule = &self.sub_rules[id as usize];
            next = sub_rule.previous_in_rule;
            if sub_rule.required() > 0 {
                self.unanchor(id);
            } else {
                self.unconditional.retain(|&s| s != id);
            }
            let sub_rule = std::mem::take(&mut self.sub_rules[id as usize]);
            let conds = self.conds_of(&sub_rule).to_vec();
            if sub_rule.len() > 2 {
                self.cond_lists.remove(sub_rule.conds[0]);
            }
            for cond in conds {
                if !self.used_once_less(cond) {
                    continue;
                }
                let field = self.conds[cond as usize].field();
                let f = &mut self.fields[field as usize];
                f.live -= 1;
                f.dead.push(cond);
                if f.dead.len() > f.live as usize {
                    self.sweep(field);
                }
            }
            self.sub_rule_ids.give_back(id);
        }
        true
    }

    /// Drop the entries of `field`'s dead conditions; free their ids, and the field itself when
    /// no condition uses it any more.
    fn sweep(&mut self, field: u32) {
        let conds = &self.conds;
        let f = &mut self.fields[field as usize];
        let freed = f.machine.retain(|cond| conds[cond as usize].users > 0);
        for ab in freed {
            self.anything_but_ids.give_back(ab);
        }
        let dead = std::mem::take(&mut f.dead);
        let node = f.node;
        for cond in dead {
            self.deferred_anything_buts.remove(&cond);
            self.conds[cond as usize] = Cond::default();
            self.cond_ids.give_back(cond);
            if let Some(dropped) = self.paths.release(node) {
                debug_assert!(self.fields[dropped as usize].machine.is_empty());
                self.fields[dropped as usize] = Field::default();
                self.field_ids.give_back(dropped);
            }
        }
    }

    pub(crate) fn name(&self, rule: u32) -> &str {
        &self.rule(rule).name
    }

    /// Sort key putting rules in the order their names were first added.
    pub(crate) fn added(&self, rule: u32) -> u64 {
        self.rule(rule).added.into()
    }

    /// Numbers the live rules' `added` 0, 1, ... in the same order, so the counter has room
    /// again: once per 2^32 names added over the automaton's life, deleted ones included.
    fn renumber_added(&mut self) {
        // (added, id) packed in a u64, so the sort is one the crate already has (matching's, in
        // `push_in_order`): a new instantiation would cost code for a once-in-2^32 event.
        let mut order: Vec<u64> = (self.rules.iter().enumerate())
            .filter_map(|(id, rule)| Some(u64::from(rule.as_ref()?.added) << 32 | id as u64))
            .collect();
        crate::sort::sort_unstable(&mut order);
        for (rank, &packed) in order.iter().enumerate() {
            if let Some(rule) = &mut self.rules[packed as u32 as usize] {
                rule.added = rank as u32;
            }
        }
        // Fewer live rules than u32 ids can name.
        self.names_added = order.len() as u32;
    }

    fn rule(&self, rule: u32) -> &Rule {
        self.rules[rule as usize]
            .as_ref()
            .expect("matched rules exist")
    }

    /// Number of rule names.
    pub(crate) fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Table sizes a per-event scratch needs: (conditions, fields, rules).
    pub(crate) fn bounds(&self) -> (usize, usize, usize) {
        (
            self.cond_ids.bound(),
            self.field_ids.bound(),
            self.rule_ids.bound(),
        )
    }

    /// Nothing left but empty tables: every state of every deleted rule is gone.
    #[cfg(test)]
    pub(crate) fn is_pristine(&self) -> bool {
        self.by_name.is_empty()
            && self.paths.live_nodes() == 1
            && self
                .fields
                .iter()
                .all(|f| f.machine.is_empty() && f.dead.is_empty())
            && self.unconditional.is_empty()
            && self.cond_lists.is_empty()
            && self.anchors.is_empty()
            && self.deferred_anything_buts.is_empty()
            && self.cond_ids.free.len() == self.cond_ids.bound()
            && self.sub_rule_ids.free.len() == self.sub_rule_ids.bound()
            && self.anything_but_ids.free.len() == self.anything_but_ids.bound()
    }
}

/// `table[id] = value`, growing the table as ids are handed out.
fn put<T: Default>(table: &mut Vec<T>, id: u32, value: T) {
    let id = id as usize;
    if table.len() <= id {
        table.resize_with(id + 1, T::default);
    }
    table[id] = value;
}

impl Default for Cond {
    /// A free slot: no field, no user, nothing anchored.
    fn default() -> Self {
        Cond {
            field_and_flags: MAX_FIELDS - 1,
            users: 0,
            anchored: NO_ANCHORED,
        }
    }
}

impl Default for SubRule {
    fn default() -> Self {
        SubRule {
            rule: u32::MAX,
            previous_in_rule: NONE,
            conds: [0; 2],
            anchor_slot: 0,
            shape: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATTERNS: &[&str] = &[
        r#"{"a": ["x", 1, true, false, null, "10.0.0.1"]}"#,
        r#"{"a": [{"prefix": "x"}, {"suffix": "y"}, {"equals-ignore-case": "Zé"}]}"#,
        r#"{"a": [{"prefix": {"equals-ignore-case": "P"}}, {"suffix": {"equals-ignore-case": "S"}}]}"#,
        r#"{"a": [{"wildcard": "x*y"}, {"wildcard": "*y"}, {"wildcard": "*x*"}, {"wildcard": "xy"}]}"#,
        r#"{"a": [{"anything-but": ["x", "y"]}, {"anything-but": [1, 2]}]}"#,
        r#"{"a": [{"anything-but": {"prefix": "x"}}, {"anything-but": {"suffix": "x"}}]}"#,
        r#"{"a": [{"anything-but": {"equals-ignore-case": "x"}}, {"anything-but": {"wildcard": "*x*"}}]}"#,
        r#"{"a": [{"numeric": [">", 0, "<=", 5]}, {"numeric": ["=", 3]}, 12345678901234567890]}"#,
        r#"{"a": [{"cidr": "10.0.0.0/8"}, {"cidr": "2001:db8::/32"}, {"exists": true}]}"#,
        r#"{"b.c": [{"exists": false}], "$or": [{"d": ["1"]}, {"e": {"f": ["2"]}}]}"#,
    ];

    #[test]
    fn a_rule_of_one_condition_costs_a_sub_rule_of_24_bytes_and_a_condition_of_12() {
        assert_eq!(std::mem::size_of::<SubRule>(), 24);
        assert_eq!(std::mem::size_of::<Cond>(), 12);
    }

    #[test]
    fn deleting_every_rule_leaves_no_state_behind() {
        let mut automaton = Automaton::default();
        // Every pattern under two names and once more under a shared name, in two rounds.
        for round in 0..2 {
            for (i, text) in PATTERNS.iter().enumerate() {
                let pattern = Pattern::parse(text).unwrap();
                automaton.add(&format!("r{i}"), &pattern);
                automaton.add(&format!("copy{i}"), &pattern);
                automaton.add("shared", &pattern);
            }
            assert!(!automaton.is_pristine());
            assert_eq!(automaton.len(), 2 * PATTERNS.len() + 1);
            for i in 0..PATTERNS.len() {
                assert!(automaton.delete(&format!("r{i}")));
                assert!(automaton.delete(&format!("copy{i}")));
            }
            assert!(automaton.delete("shared"));
            assert!(!automaton.delete("shared"));
            assert!(automaton.is_pristine(), "round {round}");
        }
    }

    #[test]
    fn the_order_names_were_added_survives_renumbering() {
        let mut automaton = Automaton::default();
        let pattern = Pattern::parse(r#"{"a": ["x"]}"#).unwrap();
        automaton.names_added = u32::MAX - 3;
        for name in ["first", "second", "gone"] {
            automaton.add(name, &pattern);
        }
        assert!(automaton.delete("gone"));
        assert_eq!(automaton.names_added, u32::MAX);
        // The counter is full: this name renumbers the others first.
        automaton.add("third", &pattern);
        assert_eq!(automaton.names_added, 3);
        automaton.add("fourth", &pattern);
        let mut by_order: Vec<(u64, &str)> = automaton
            .by_name
            .values()
            .map(|&id| (automaton.added(id), automaton.name(id)))
            .collect();
        by_order.sort_unstable();
        assert_eq!(
            by_order,
            [(0, "first"), (1, "second"), (2, "third"), (3, "fourth")]
        );
    }
}
