//! Deciding sub-rules from the conditions an event's values satisfied.
//!
//! The common case is marking: each condition a value satisfies is marked once per event, and its
//! first mark nominates the sub-rules anchored on it (see `anchors`). A nominated sub-rule
//! matches once each of its required conditions is marked, and each `exists: false` condition
//! by a value or by its field having no value at all. That is exact as long as no value the
//! rules read sits inside an array of objects or arrays. When one does, array consistency may
//! forbid combining values from different elements, so nominated sub-rules that use such values
//! are re-checked over the values they could use, bottom-up over the tree of array elements (see
//! `consistency`), with the reference interpreter's meaning.

use super::consistency::{self, Item, Mask, Wide};
use super::values::ValueScratch;
use super::{Automaton, SubRule};

/// The leaf id given to values outside any array of containers: they are not listed in
/// [`EventState::leaves`] or [`EventState::hits`], only marked and counted.
pub(crate) const UNTIED: u32 = u32::MAX;

/// The end of a condition's chain of hits.
const NO_HIT: u32 = u32::MAX;

/// How many candidates ahead of the one being decided its sub-rule is prefetched.
const CANDIDATES_AHEAD: usize = 8;

/// One value read from the event inside an array of containers: its field and its array
/// membership, `(array, index)` pairs stored in [`EventState::arena`].
#[derive(Debug, Clone, Copy)]
struct Leaf {
    field: u32,
    from: u32,
    to: u32,
}

/// What one event recorded about a condition.
#[derive(Debug, Clone, Copy, Default)]
struct CondMarks {
    /// The epoch in which some value satisfied it.
    hit: u32,
    /// The epoch in which a value outside any array of containers satisfied it. Such a value is
    /// consistent with every pick, so it needs no entry in [`EventState::hits`].
    untied: u32,
    /// The epoch of `last_hit`.
    last_hit_epoch: u32,
    /// The index in [`EventState::hits`] of its latest hit in `last_hit_epoch`.
    last_hit: u32,
}

/// What one event recorded about a field.
#[derive(Debug, Clone, Copy, Default)]
struct FieldMarks {
    /// The epoch in which the field had a value.
    seen: u32,
    /// Values outside arrays of containers seen in it, in epoch `seen`.
    untied_values: u32,
}

/// Per-event bookkeeping, kept between events so that matching allocates nothing once warm.
/// Tables indexed by id hold the epoch (event number) in which the id was last marked, so a new
/// event starts by bumping the epoch instead of clearing them. Each id has one table entry with
/// all its marks, so marking costs one bounds check.
#[derive(Debug, Default)]
pub(crate) struct EventState {
    epoch: u32,
    /// The automaton bounds (see [`Automaton::bounds`]) the tables were last sized for: while
    /// they stay the same, starting an event checks no table.
    sized_for: (usize, usize, usize),
    cond_marks: Vec<CondMarks>,
    field_marks: Vec<FieldMarks>,
    rule_mark: Vec<u32>,
    candidates: Vec<u32>,
    matched: Vec<u32>,
    /// `added << 32 | rule` of the matched rules: one integer sort puts them in order.
    ordered: Vec<u64>,
    leaves: Vec<Leaf>,
    /// Values inside arrays of containers that satisfied a condition: `(leaf, previous)`, where
    /// `previous` is the index of the condition's hit before this one ([`NO_HIT`] for its
    /// first). Each condition's hits form a chain from [`CondMarks::last_hit`], so the
    /// consistency check finds them without sorting or searching.
    hits: Vec<(u32, u32)>,
    arena: Vec<(u32, u32)>,
    /// Some value read lies inside an array of objects or arrays.
    tied: bool,
    /// The `(array, index)` path of the value being read; maintained by the event reader
    /// through [`EventState::enter_element`] and [`EventState::leave_element`].
    membership: Vec<(u32, u32)>,
    /// Where in `arena` `membership` was stored for an earlier value, while it has not changed
    /// since: the values of one array element share one copy.
    stored_membership: Option<(u32, u32)>,
    /// Arrays seen so far in the event: the next array's id.
    pub(crate) arrays: u32,
    // Buffers of the consistency check.
    options: Vec<u32>,
    option_ends: Vec<usize>,
    items: Vec<Item>,
}

impl EventState {
    /// Start an event.
    #[inline]
    pub(crate) fn begin(&mut self, automaton: &Automaton) {
        let bounds = automaton.bounds();
        if bounds != self.sized_for {
            self.size_for(bounds);
        }
        if self.epoch == u32::MAX {
            self.restart_epochs();
        }
        self.epoch += 1;
        self.candidates.clear();
        self.leaves.clear();
        self.hits.clear();
        self.arena.clear();
        self.membership.clear();
        self.stored_membership = None;
        self.arrays = 0;
        self.tied = false;
    }

    /// Grow the tables to fit ids below `bounds`: once per change of the automaton's shape.
    #[cold]
    #[inline(never)]
    fn size_for(&mut self, bounds: (usize, usize, usize)) {
        let (conds, fields, rules) = bounds;
        grow(&mut self.cond_marks, conds);
        grow(&mut self.field_marks, fields);
        grow(&mut self.rule_mark, rules);
        self.sized_for = bounds;
    }

    /// Once per 2^32 events: clear every mark, so epoch 1 can be used again.
    #[cold]
    #[inline(never)]
    fn restart_epochs(&mut self) {
        self.cond_marks.fill(CondMarks::default());
        self.field_marks.fill(FieldMarks::default());
        self.rule_mark.fill(0);
        self.epoch = 0;
    }

    /// The reader enters element `index` of array `array`, a container: the values inside are
    /// tied to it.
    #[inline]
    pub(crate) fn enter_element(&mut self, array: u32, index: u32) {
        self.membership.push((array, index));
        self.stored_membership = None;
    }

    /// The reader leaves the element it last entered.
    #[inline]
    pub(crate) fn leave_element(&mut self) {
        self.membership.pop();
        self.stored_membership = None;
    }

    /// Record a value of `field` at the current membership; returns its leaf id, or `UNTIED`
    /// when no array of containers holds it.
    #[inline]
    pub(crate) fn leaf(&mut self, field: u32) -> u32 {
        let marks = &mut self.field_marks[field as usize];
        if marks.seen != self.epoch {
            *marks = FieldMarks {
                seen: self.epoch,
                untied_values: 0,
            };
        }
        if self.membership.is_empty() {
            // Counted, not listed: such a value is consistent with every pick, so the
            // consistency check needs only to know that there is one.
            marks.untied_values += 1;
            return UNTIED;
        }
        self.tied = true;
        let (from, to) = match self.stored_membership {
            Some(stored) => stored,
            None => {
                let from = self.arena.len() as u32;
                self.arena.extend_from_slice(&self.membership);
                let stored = (from, self.arena.len() as u32);
                self.stored_membership = Some(stored);
                stored
            }
        };
        self.leaves.push(Leaf { field, from, to });
        (self.leaves.len() - 1) as u32
    }

    /// The value `leaf` satisfies condition `cond`. Only a branch, so that the value automaton's
    /// callback is inlined wherever the automaton calls it.
    #[inline(always)]
    pub(crate) fn hit(&mut self, automaton: &Automaton, cond: u32, leaf: u32) {
        if leaf == UNTIED {
            self.untied_hit(automaton, cond);
        } else {
            self.tied_hit(automaton, cond, leaf);
        }
    }

    /// [`EventState::hit`] for a value outside arrays of containers. Out of line, but with
    /// little to save on entry.
    #[inline(never)]
    fn untied_hit(&mut self, automaton: &Automaton, cond: u32) {
        let epoch = self.epoch;
        let marks = &mut self.cond_marks[cond as usize];
        marks.untied = epoch;
        if marks.hit == epoch {
            return;
        }
        marks.hit = epoch;
        self.first_hit(automaton, cond);
    }

    /// [`EventState::hit`] for a value inside an array of containers: the hit also joins the
    /// condition's chain of hits.
    #[inline(never)]
    fn tied_hit(&mut self, automaton: &Automaton, cond: u32, leaf: u32) {
        let epoch = self.epoch;
        let index = self.hits.len() as u32;
        let marks = &mut self.cond_marks[cond as usize];
        let previous = if marks.last_hit_epoch == epoch {
            marks.last_hit
        } else {
            NO_HIT
        };
        marks.last_hit_epoch = epoch;
        marks.last_hit = index;
        let first = marks.hit != epoch;
        marks.hit = epoch;
        self.hits.push((leaf, previous));
        if first {
            self.first_hit(automaton, cond);
        }
    }

    /// `cond`'s first hit in this event: the sub-rules anchored on it are candidates.
    #[inline(always)]
    fn first_hit(&mut self, automaton: &Automaton, cond: u32) {
        let anchored = &automaton.conds[cond as usize].anchored;
        match automaton.anchors.of(anchored) {
            [] => {}
            [one] => {
                // Decided once the event is read: its sub-rule is loaded meanwhile.
                crate::prefetch::entry(&automaton.sub_rules, *one as usize);
                self.candidates.push(*one);
            }
            many => self.candidates.extend_from_slice(many),
        }
    }

    /// Push the name of every rule with a matching sub-rule onto `names`, each once, in the
    /// order the names were first added.
    #[inline]
    pub(crate) fn finish<'m>(
        &mut self,
        automaton: &'m Automaton,
        values: &ValueScratch,
        names: &mut Vec<&'m str>,
    ) {
        if self.candidates.is_empty() && automaton.unconditional.is_empty() {
            return;
        }
        self.decide_candidates(automaton, values);
        match *self.matched {
            [] => {}
            [rule] => names.push(automaton.name(rule)),
            [a, b] => {
                let (first, second) = if automaton.added(a) < automaton.added(b) {
                    (a, b)
                } else {
                    (b, a)
                };
                names.extend([automaton.name(first), automaton.name(second)]);
            }
            _ => self.push_in_order(automaton, names),
        }
    }

    /// Fill `matched` with the rules of the candidate sub-rules (and the unconditional ones)
    /// that hold, each once.
    #[inline]
    fn decide_candidates(&mut self, automaton: &Automaton, values: &ValueScratch) {
        self.matched.clear();
        for i in 0..self.candidates.len() {
            // A fan-out nominates many sub-rules at places all over their table: each is loaded
            // while earlier ones are decided.
            if let Some(&ahead) = self.candidates.get(i + CANDIDATES_AHEAD) {
                crate::prefetch::entry(&automaton.sub_rules, ahead as usize);
            }
            self.consider(automaton, values, self.candidates[i]);
        }
        for &s in &automaton.unconditional {
            self.consider(automaton, values, s);
        }
    }

    /// Add the rule of sub-rule `s` to `matched` if it holds and is not there yet. A candidate
    /// whose anchor is its only required condition holds by that alone, unless it has
    /// conditions checked at the end or the event has values in arrays of containers: only
    /// the others are checked, out of line.
    #[inline(always)]
    fn consider(&mut self, automaton: &Automaton, values: &ValueScratch, s: u32) {
        let sub_rule = &automaton.sub_rules[s as usize];
        let rule = sub_rule.rule;
        if !sub_rule.alone() && self.rule_mark[rule as usize] == self.epoch {
            return;
        }
        if sub_rule.required() > 1 && !self.all_required_hit(automaton, sub_rule) {
            return;
        }
        if (self.tied || sub_rule.checked_at_end()) && !self.holds(automaton, values, sub_rule) {
            return;
        }
        if !sub_rule.alone() {
            self.rule_mark[rule as usize] = self.epoch;
        }
        self.matched.push(rule);
    }

    /// Is each required condition of `sub_rule` marked in this event?
    #[inline(never)]
    fn all_required_hit(&self, automaton: &Automaton, sub_rule: &SubRule) -> bool {
        let required = &automaton.conds_of(sub_rule)[..sub_rule.required()];
        required
            .iter()
            .all(|&c| self.cond_marks[c as usize].hit == self.epoch)
    }

    /// Push the names of the several `matched` rules in the order they were first added.
    #[inline(never)]
    fn push_in_order<'m>(&mut self, automaton: &'m Automaton, names: &mut Vec<&'m str>) {
        self.ordered.clear();
        self.ordered.extend(
            self.matched
                .iter()
                .map(|&rule| automaton.added(rule) << 32 | u64::from(rule)),
        );
        crate::sort::sort_unstable(&mut self.ordered);
        names.extend(self.ordered.iter().map(|&key| automaton.name(key as u32)));
    }

    /// Did a value outside arrays of containers satisfy the deferred condition `c`: some value
    /// of its field that one of its `anything-but`s does not exclude?
    fn deferred_holds_untied(&self, automaton: &Automaton, values: &ValueScratch, c: u32) -> bool {
        let cond = automaton.conds[c as usize];
        let marks = self.field_marks[cond.field() as usize];
        let seen = marks.untied_values;
        if marks.seen != self.epoch || seen == 0 {
            return false;
        }
        automaton.deferred_anything_buts[&c]
            .iter()
            .any(|&ab| !values.excludes_all(ab, seen))
    }

    /// Does candidate `sub_rule`, whose required conditions are all marked, hold? Asked only
    /// when the marks alone cannot tell: some value lies in an array of containers, or the
    /// sub-rule has conditions checked at the end.
    #[inline(never)]
    fn holds(&mut self, automaton: &Automaton, values: &ValueScratch, sub_rule: &SubRule) -> bool {
        let conds = automaton.conds_of(sub_rule);
        if self.tied {
            // Values outside arrays of containers fit any pick, and one condition alone cannot
            // be inconsistent: with at most one required condition marked only from inside
            // arrays, and nothing checked at the end, a consistent pick exists.
            let required = &conds[..sub_rule.required()];
            let only_tied = required
                .iter()
                .filter(|&&c| self.cond_marks[c as usize].untied != self.epoch)
                .count();
            if only_tied <= 1 && !sub_rule.checked_at_end() {
                return true;
            }
            return self.consistent_pick_exists(automaton, values, sub_rule);
        }
        // The required conditions are marked; those checked at the end follow them.
        conds[sub_rule.required()..].iter().all(|&c| {
            let cond = automaton.conds[c as usize];
            if cond.absence_ok() {
                self.cond_marks[c as usize].hit == self.epoch
                    || self.field_marks[cond.field() as usize].seen != self.epoch
            } else {
                self.deferred_holds_untied(automaton, values, c)
            }
        })
    }

    /// The reference interpreter's answer for a sub-rule, from the values this event's automaton
    /// run found: can each condition get a value (or, for `exists: false`, none) consistently?
    fn consistent_pick_exists(
        &mut self,
        automaton: &Automaton,
        values: &ValueScratch,
        sub_rule: &SubRule,
    ) -> bool {
        self.options.clear();
        self.option_ends.clear();
        for &c in automaton.conds_of(sub_rule) {
            // A value outside arrays of containers fits any pick: tried first.
            let untied = if automaton.conds[c as usize].deferred() {
                self.deferred_holds_untied(automaton, values, c)
            } else {
                self.cond_marks[c as usize].untied == self.epoch
            };
            if untied {
                self.options.push(UNTIED);
            }
            let marks = self.cond_marks[c as usize];
            if marks.last_hit_epoch == self.epoch {
                let mut at = marks.last_hit;
                while at != NO_HIT {
                    let (leaf, previous) = self.hits[at as usize];
                    self.options.push(leaf);
                    at = previous;
                }
            }
            self.option_ends.push(self.options.len());
        }
        if sub_rule.len() <= 64 {
            self.decide::<u64>(automaton, sub_rule)
        } else {
            self.decide::<Wide>(automaton, sub_rule)
        }
    }

    /// Gather each condition's values (and, for `exists: false`, every value of its field) and
    /// decide with masks of type `M`.
    fn decide<M: Mask>(&mut self, automaton: &Automaton, sub_rule: &SubRule) -> bool {
        let conds = automaton.conds_of(sub_rule);
        self.items.clear();
        let (mut required, mut absence) = (M::default(), M::default());
        let mut from = 0;
        for (slot, (&to, &c)) in self.option_ends.iter().zip(conds.iter()).enumerate() {
            // At most MAX_FIELDS_PER_RULE (256) conditions: a slot number fits a byte.
            let slot = slot as u8;
            let cond = automaton.conds[c as usize];
            let leaves = &self.leaves;
            if cond.absence_ok() {
                absence.insert(slot);
                // Every value of the field counts against its absence: one outside arrays of
                // containers (if any) stands for all such values, then those inside.
                let marks = self.field_marks[cond.field() as usize];
                if marks.seen == self.epoch && marks.untied_values > 0 {
                    self.items.push(item(leaves, UNTIED, slot, true));
                }
                self.items.extend(
                    (0..leaves.len() as u32)
                        .filter(|&leaf| leaves[leaf as usize].field == cond.field())
                        .map(|leaf| item(leaves, leaf, slot, true)),
                );
            } else {
                required.insert(slot);
            }
            self.items.extend(
                self.options[from..to]
                    .iter()
                    .map(|&leaf| item(leaves, leaf, slot, false)),
            );
            from = to;
        }
        consistency::satisfiable(&mut self.items, required, absence, &self.arena)
    }
}

/// The consistency check's item for `leaf` ([`UNTIED`] has no membership).
fn item(leaves: &[Leaf], leaf: u32, slot: u8, absent: bool) -> Item {
    let membership = leaves.get(leaf as usize).map_or((0, 0), |l| (l.from, l.to));
    Item::new(leaf, membership, slot, absent)
}

fn grow<T: Copy + Default>(table: &mut Vec<T>, len: usize) {
    if table.len() < len {
        table.resize(len, T::default());
    }
}
