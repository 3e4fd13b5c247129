//! Deciding sub-rules from the conditions an event's values satisfied.
//!
//! The common case is counting: a sub-rule matches once each of its required conditions has been
//! satisfied by some value, and each `exists: false` condition by a value or by its field having
//! no value at all. That is exact as long as no value the rules read sits inside an array of
//! objects or arrays. When one does, array consistency may forbid combining values from
//! different elements, so the sub-rules that counting nominates are re-checked over the values
//! they could use, bottom-up over the tree of array elements (see `consistency`), with the
//! reference interpreter's meaning.

use super::consistency::{self, Item, Mask, Wide};
use super::values::ValueScratch;
use super::{Automaton, SubRule};

/// The leaf id given to values outside any array of containers: they are not listed in
/// [`EventState::hits`], only marked.
pub(crate) const UNTIED: u32 = u32::MAX;

/// The end of a condition's chain of hits.
const NO_HIT: u32 = u32::MAX;

/// One value read from the event: its field and its array membership, `(array, index)` pairs
/// stored in [`EventState::arena`].
#[derive(Debug, Clone, Copy)]
struct Leaf {
    field: u32,
    from: u32,
    to: u32,
}

/// Per-event bookkeeping, kept between events so that matching allocates nothing once warm.
/// Tables indexed by id hold the epoch (event number) in which the id was last marked, so a new
/// event starts by bumping the epoch instead of clearing them.
#[derive(Debug, Default)]
pub(crate) struct EventState {
    epoch: u32,
    cond_mark: Vec<u32>,
    /// Per condition, the epoch in which a value outside any array of containers satisfied it.
    /// Such a value is consistent with every pick, so it needs no entry in `hits`.
    untied_mark: Vec<u32>,
    sub_rule_mark: Vec<u32>,
    sub_rule_count: Vec<u32>,
    field_mark: Vec<u32>,
    /// Per field: (epoch, values outside arrays of containers seen in it).
    untied_values: Vec<(u32, u32)>,
    rule_mark: Vec<u32>,
    candidates: Vec<u32>,
    matched: Vec<u32>,
    ordered: Vec<(u64, u32)>,
    leaves: Vec<Leaf>,
    /// Values inside arrays of containers that satisfied a condition: `(leaf, previous)`, where
    /// `previous` is the index of the condition's hit before this one ([`NO_HIT`] for its
    /// first). Each condition's hits form a chain from [`EventState::last_hit`], so the
    /// consistency check finds them without sorting or searching.
    hits: Vec<(u32, u32)>,
    /// Per condition: (epoch, index in `hits` of its latest hit in that epoch).
    last_hit: Vec<(u32, u32)>,
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
    pub(crate) fn begin(&mut self, automaton: &Automaton) {
        let (conds, sub_rules, fields, rules) = automaton.bounds();
        grow(&mut self.cond_mark, conds);
        grow(&mut self.untied_mark, conds);
        if self.last_hit.len() < conds {
            self.last_hit.resize(conds, (0, NO_HIT));
        }
        grow(&mut self.sub_rule_mark, sub_rules);
        grow(&mut self.sub_rule_count, sub_rules);
        grow(&mut self.field_mark, fields);
        if self.untied_values.len() < fields {
            self.untied_values.resize(fields, (0, 0));
        }
        grow(&mut self.rule_mark, rules);
        if self.epoch == u32::MAX {
            for table in [
                &mut self.cond_mark,
                &mut self.untied_mark,
                &mut self.sub_rule_mark,
                &mut self.field_mark,
                &mut self.rule_mark,
            ] {
                table.iter_mut().for_each(|m| *m = 0);
            }
            self.untied_values.iter_mut().for_each(|m| *m = (0, 0));
            self.last_hit.iter_mut().for_each(|m| *m = (0, NO_HIT));
            self.epoch = 0;
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
        self.field_mark[field as usize] = self.epoch;
        if self.membership.is_empty() {
            let count = &mut self.untied_values[field as usize];
            if count.0 != self.epoch {
                *count = (self.epoch, 0);
            }
            count.1 += 1;
            self.leaves.push(Leaf {
                field,
                from: 0,
                to: 0,
            });
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

    /// The value `leaf` satisfies condition `cond`.
    #[inline]
    pub(crate) fn hit(&mut self, automaton: &Automaton, cond: u32, leaf: u32) {
        if leaf == UNTIED {
            self.untied_mark[cond as usize] = self.epoch;
        } else {
            let last = &mut self.last_hit[cond as usize];
            let previous = if last.0 == self.epoch { last.1 } else { NO_HIT };
            *last = (self.epoch, self.hits.len() as u32);
            self.hits.push((leaf, previous));
        }
        let mark = &mut self.cond_mark[cond as usize];
        if *mark == self.epoch {
            return;
        }
        *mark = self.epoch;
        let cond = automaton.conds[cond as usize];
        if cond.completes() {
            self.candidates.push(cond.sub_rule);
            return;
        }
        if cond.uncounted() || cond.sub_rule == super::DEAD {
            return;
        }
        let s = cond.sub_rule as usize;
        if self.sub_rule_mark[s] != self.epoch {
            self.sub_rule_mark[s] = self.epoch;
            self.sub_rule_count[s] = 0;
        }
        self.sub_rule_count[s] += 1;
        if self.sub_rule_count[s] == automaton.sub_rules[s].required {
            self.candidates.push(cond.sub_rule);
        }
    }

    /// Push the name of every rule with a matching sub-rule onto `names`, each once, in the
    /// order the names were first added.
    pub(crate) fn finish<'m>(
        &mut self,
        automaton: &'m Automaton,
        values: &ValueScratch,
        names: &mut Vec<&'m str>,
    ) {
        let candidates = std::mem::take(&mut self.candidates);
        self.matched.clear();
        for &s in candidates.iter().chain(&automaton.unconditional) {
            let sub_rule = &automaton.sub_rules[s as usize];
            if self.rule_mark[sub_rule.rule as usize] == self.epoch {
                continue;
            }
            if self.holds(automaton, values, sub_rule) {
                self.rule_mark[sub_rule.rule as usize] = self.epoch;
                self.matched.push(sub_rule.rule);
            }
        }
        self.candidates = candidates;
        if self.matched.len() > 1 {
            self.ordered.clear();
            self.ordered.extend(
                self.matched
                    .iter()
                    .map(|&rule| (automaton.added(rule), rule)),
            );
            self.ordered.sort_unstable();
            names.extend(self.ordered.iter().map(|&(_, rule)| automaton.name(rule)));
        } else {
            names.extend(self.matched.iter().map(|&rule| automaton.name(rule)));
        }
    }

    /// Did a value outside arrays of containers satisfy the deferred condition `c`: some value
    /// of its field that one of its `anything-but`s does not exclude?
    fn deferred_holds_untied(&self, automaton: &Automaton, values: &ValueScratch, c: u32) -> bool {
        let cond = automaton.conds[c as usize];
        let (epoch, seen) = self.untied_values[cond.field() as usize];
        if epoch != self.epoch || seen == 0 {
            return false;
        }
        automaton.deferred_anything_buts[&c]
            .iter()
            .any(|&ab| !values.excludes_all(ab, seen))
    }

    fn holds(&mut self, automaton: &Automaton, values: &ValueScratch, sub_rule: &SubRule) -> bool {
        if self.tied {
            return self.consistent_pick_exists(automaton, values, sub_rule);
        }
        !sub_rule.checked_at_end
            || sub_rule.conds.iter().all(|&c| {
                let cond = automaton.conds[c as usize];
                let hit = self.cond_mark[c as usize] == self.epoch;
                if cond.absence_ok() {
                    hit || self.field_mark[cond.field() as usize] != self.epoch
                } else {
                    !cond.deferred() || self.deferred_holds_untied(automaton, values, c)
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
        for &c in sub_rule.conds.iter() {
            // A value outside arrays of containers fits any pick: tried first.
            let untied = if automaton.conds[c as usize].deferred() {
                self.deferred_holds_untied(automaton, values, c)
            } else {
                self.untied_mark[c as usize] == self.epoch
            };
            if untied {
                self.options.push(UNTIED);
            }
            let (epoch, mut at) = self.last_hit[c as usize];
            if epoch == self.epoch {
                while at != NO_HIT {
                    let (leaf, previous) = self.hits[at as usize];
                    self.options.push(leaf);
                    at = previous;
                }
            }
            self.option_ends.push(self.options.len());
        }
        if sub_rule.conds.len() <= 64 {
            self.decide::<u64>(automaton, sub_rule)
        } else {
            self.decide::<Wide>(automaton, sub_rule)
        }
    }

    /// Gather each condition's values (and, for `exists: false`, every value of its field) and
    /// decide with masks of type `M`.
    fn decide<M: Mask>(&mut self, automaton: &Automaton, sub_rule: &SubRule) -> bool {
        let conds = &sub_rule.conds;
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
                // Every value of the field counts against its absence.
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
    let (from, to) = match leaves.get(leaf as usize) {
        Some(leaf) if leaf.from < leaf.to => (leaf.from, leaf.to),
        _ => (0, 0),
    };
    Item {
        leaf,
        from,
        to,
        slot,
        absent,
    }
}

fn grow(table: &mut Vec<u32>, len: usize) {
    if table.len() < len {
        table.resize(len, 0);
    }
}
