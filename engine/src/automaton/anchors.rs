//! Anchors: each sub-rule with a required condition is registered on exactly one of them, its
//! anchor, and is looked at in an event only when its anchor is satisfied there.
//!
//! An event marks every condition its values satisfy, once per condition however many sub-rules
//! share it (see [`super::identity`]). A condition's first mark nominates the sub-rules anchored
//! on it, and a nominated sub-rule holds when each of its other required conditions is marked
//! too (then array consistency and `exists: false` are checked as before). So the work per event
//! grows with the sub-rules nominated, not with the sub-rules that share a popular condition.
//!
//! The anchor is the required condition the fewest sub-rules use — a condition shared by
//! thousands of sub-rules (every subscriber's `source`) is a poor anchor, one of a subscriber's
//! own values a good one. Uses change as rules come and go, so anchors are judged again: when a
//! condition with sub-rules anchored on it gains users, once they have doubled since it was last
//! judged (for a condition anchoring a single sub-rule, whenever its users reach a power of two),
//! each sub-rule anchored on it moves to its least used condition if that has fewer users. A
//! judgement costs its anchored sub-rules' conditions, and comes after the users it is judged for
//! have doubled, so adding a rule costs O(1) amortized per condition. (Users lost by deleting
//! do not move anchors: an anchor stays what it was when judged.)

use super::Automaton;

/// A condition no sub-rule is anchored on.
pub(crate) const NO_ANCHORED: u32 = u32::MAX;

/// The flag of [`super::Cond::anchored`] for the index of a list in [`AnchorLists`]; otherwise
/// it is one sub-rule id (sub-rule ids stay below 2^31: each costs far more than 2 bytes).
const LIST: u32 = 1 << 31;

/// The sub-rules anchored on conditions that anchor more than one.
#[derive(Debug, Clone, Default)]
pub(crate) struct AnchorLists {
    lists: Vec<AnchorList>,
    free: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
struct AnchorList {
    sub_rules: Vec<u32>,
    /// The condition's users when its sub-rules were last judged (or fewer, if it lost some).
    judged_at: u32,
}

impl AnchorLists {
    /// The sub-rules anchored on a condition whose [`super::Cond::anchored`] is `anchored`.
    #[inline(always)]
    pub(crate) fn of<'a>(&'a self, anchored: &'a u32) -> &'a [u32] {
        match *anchored {
            NO_ANCHORED => &[],
            list if list & LIST != 0 => &self.lists[(list & !LIST) as usize].sub_rules,
            _ => std::slice::from_ref(anchored),
        }
    }

    fn add(&mut self, list: AnchorList) -> u32 {
        match self.free.pop() {
            Some(index) => {
                self.lists[index as usize] = list;
                index
            }
            None => {
                self.lists.push(list);
                (self.lists.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, index: u32) {
        self.lists[index as usize] = AnchorList::default();
        self.free.push(index);
        if self.free.len() == self.lists.len() {
            self.lists.clear();
            self.free.clear();
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

/// The condition lists of sub-rules with more than one condition, in slots reused once freed.
#[derive(Debug, Clone, Default)]
pub(crate) struct CondLists {
    lists: Vec<Box<[u32]>>,
    free: Vec<u32>,
}

impl CondLists {
    pub(crate) fn add(&mut self, conds: &[u32]) -> u32 {
        let list = conds.into();
        match self.free.pop() {
            Some(index) => {
                self.lists[index as usize] = list;
                index
            }
            None => {
                self.lists.push(list);
                (self.lists.len() - 1) as u32
            }
        }
    }

    #[inline(always)]
    pub(crate) fn get(&self, index: u32) -> &[u32] {
        &self.lists[index as usize]
    }

    pub(crate) fn remove(&mut self, index: u32) {
        self.lists[index as usize] = Box::default();
        self.free.push(index);
        if self.free.len() == self.lists.len() {
            self.lists.clear();
            self.free.clear();
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }
}

impl Automaton {
    /// The index among its conditions of sub-rule `s`'s best anchor: its least used required
    /// condition, an equality before a broader one among those tied, the first of those still
    /// tied.
    pub(super) fn least_used(&self, s: u32) -> u8 {
        let sub_rule = &self.sub_rules[s as usize];
        let required = &self.conds_of(sub_rule)[..sub_rule.required()];
        let rank = |i: usize| self.conds[required[i] as usize].anchor_rank();
        let mut best = 0;
        for i in 1..required.len() {
            if rank(i) < rank(best) {
                best = i;
            }
        }
        // At most MAX_FIELDS_PER_RULE (256) conditions.
        best as u8
    }

    /// Anchor sub-rule `s` on its condition at index `at`.
    pub(super) fn anchor(&mut self, s: u32, at: u8) {
        let sub_rule = &self.sub_rules[s as usize];
        let cond = self.conds_of(sub_rule)[usize::from(at)];
        let entry = &mut self.conds[cond as usize];
        let slot = match entry.anchored {
            NO_ANCHORED => {
                entry.anchored = s;
                0
            }
            list if list & LIST != 0 => {
                let sub_rules = &mut self.anchors.lists[(list & !LIST) as usize].sub_rules;
                sub_rules.push(s);
                sub_rules.len() - 1
            }
            one => {
                // The one already there keeps slot 0. It was judged when the users last reached
                // a power of two, or later.
                let index = self.anchors.add(AnchorList {
                    sub_rules: vec![one, s],
                    judged_at: 1 << (31 - entry.users.leading_zeros()),
                });
                entry.anchored = LIST | index;
                1
            }
        };
        let sub_rule = &mut self.sub_rules[s as usize];
        sub_rule.set_anchor(at);
        sub_rule.anchor_slot = slot as u32;
    }

    /// Take sub-rule `s` off its anchor's list, in O(1).
    pub(super) fn unanchor(&mut self, s: u32) {
        let sub_rule = &self.sub_rules[s as usize];
        let slot = sub_rule.anchor_slot as usize;
        let cond = self.conds_of(sub_rule)[sub_rule.anchor()];
        let entry = &mut self.conds[cond as usize];
        if entry.anchored & LIST == 0 {
            debug_assert_eq!(entry.anchored, s);
            entry.anchored = NO_ANCHORED;
            return;
        }
        let index = entry.anchored & !LIST;
        let sub_rules = &mut self.anchors.lists[index as usize].sub_rules;
        debug_assert_eq!(sub_rules[slot], s);
        sub_rules.swap_remove(slot);
        if let Some(&moved) = sub_rules.get(slot) {
            self.sub_rules[moved as usize].anchor_slot = slot as u32;
        }
        if let [last] = **sub_rules {
            // One left, at slot 0: kept in place.
            entry.anchored = last;
            self.anchors.release(index);
        }
    }

    /// `cond` has one more user: judge its anchored sub-rules again if its users have doubled
    /// since they were judged.
    pub(super) fn rejudge_if_grown(&mut self, cond: u32) {
        let entry = self.conds[cond as usize];
        let due = match entry.anchored {
            NO_ANCHORED => false,
            list if list & LIST != 0 => {
                entry.users >= 2 * self.anchors.lists[(list & !LIST) as usize].judged_at
            }
            _ => entry.users.is_power_of_two(),
        };
        if !due {
            return;
        }
        let (users, rank) = (entry.users, entry.anchor_rank());
        let anchored = self.anchors.of(&entry.anchored).to_vec();
        for s in anchored {
            let at = self.least_used(s);
            let best = self.conds_of(&self.sub_rules[s as usize])[usize::from(at)];
            if self.conds[best as usize].anchor_rank() < rank {
                self.unanchor(s);
                self.anchor(s, at);
            }
        }
        let anchored = self.conds[cond as usize].anchored;
        if anchored != NO_ANCHORED && anchored & LIST != 0 {
            self.anchors.lists[(anchored & !LIST) as usize].judged_at = users;
        }
    }

    /// `cond` loses a user; returns whether that was its last (it is dead).
    pub(super) fn used_once_less(&mut self, cond: u32) -> bool {
        let entry = &mut self.conds[cond as usize];
        entry.users -= 1;
        if entry.anchored != NO_ANCHORED && entry.anchored & LIST != 0 {
            let list = &mut self.anchors.lists[(entry.anchored & !LIST) as usize];
            list.judged_at = list.judged_at.min(entry.users);
        }
        entry.users == 0
    }
}

#[cfg(test)]
impl Automaton {
    /// Every live sub-rule with a required condition sits in its anchor's list at its slot, and
    /// nothing else does; every condition's users are the live sub-rules that use it; a sub-rule
    /// is `alone` when its rule has no other. With
    /// `adds_only`, also the bound judging keeps: no anchor has twice the users of the sub-rule's
    /// least used condition, or more.
    pub(crate) fn check_anchors(&self, adds_only: bool) -> Result<(), String> {
        let mut users = vec![0u32; self.conds.len()];
        let mut anchored = 0;
        for rule in self.rules.iter().flatten() {
            let mut s = rule.last_sub_rule;
            let alone = self.sub_rules[s as usize].previous_in_rule == super::NONE;
            while s != super::NONE {
                let sub_rule = &self.sub_rules[s as usize];
                if sub_rule.alone() != alone {
                    return Err(format!("sub-rule {s}: alone is {}", sub_rule.alone()));
                }
                let conds = self.conds_of(sub_rule);
                for &c in conds {
                    users[c as usize] += 1;
                }
                if sub_rule.required() > 0 {
                    anchored += 1;
                    let anchor = conds[sub_rule.anchor()];
                    if sub_rule.anchor() >= sub_rule.required() {
                        return Err(format!("sub-rule {s} anchored on an unrequired condition"));
                    }
                    let list = self.anchors.of(&self.conds[anchor as usize].anchored);
                    if list.get(sub_rule.anchor_slot as usize) != Some(&s) {
                        return Err(format!(
                            "sub-rule {s} not at its slot of {anchor}: {list:?}"
                        ));
                    }
                    let least = (conds[..sub_rule.required()].iter())
                        .map(|&c| self.conds[c as usize].users)
                        .min()
                        .unwrap_or(0);
                    let at = self.conds[anchor as usize].users;
                    if adds_only && at > 1 && at >= 2 * least {
                        return Err(format!(
                            "sub-rule {s}: anchor {anchor} has {at} users, the least used {least}"
                        ));
                    }
                }
                s = sub_rule.previous_in_rule;
            }
        }
        let mut listed = 0;
        for (c, cond) in self.conds.iter().enumerate() {
            if cond.users != users[c] {
                return Err(format!(
                    "condition {c}: {} users counted, {} live",
                    cond.users, users[c]
                ));
            }
            listed += self.anchors.of(&cond.anchored).len();
            if cond.anchored != NO_ANCHORED && cond.anchored & LIST != 0 {
                let list = &self.anchors.lists[(cond.anchored & !LIST) as usize];
                if list.sub_rules.len() < 2 || list.judged_at > cond.users {
                    return Err(format!(
                        "condition {c}: list {:?}, {} users",
                        list, cond.users
                    ));
                }
            }
        }
        if listed != anchored {
            return Err(format!("{listed} sub-rules listed, {anchored} anchored"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::automaton::Automaton;
    use crate::Pattern;

    /// Patterns that share conditions in many ways (and a few that share none).
    const POOL: &[&str] = &[
        r#"{"s": ["app"], "u": ["1"]}"#,
        r#"{"s": ["app"], "u": ["2"]}"#,
        r#"{"s": ["app"], "u": ["3"], "t": [{"prefix": "Order"}]}"#,
        r#"{"s": ["app"], "t": [{"prefix": "Order"}]}"#,
        r#"{"s": ["app"]}"#,
        r#"{"s": ["app", "web"], "u": ["1"]}"#,
        r#"{"s": ["web", "app"], "u": ["2"]}"#,
        r#"{"s": ["app"], "u": [{"anything-but": "1"}]}"#,
        r#"{"u": [{"anything-but": "1"}]}"#,
        r#"{"u": [{"exists": false}], "s": ["app"]}"#,
        r#"{"$or": [{"s": ["app"]}, {"u": ["1"]}]}"#,
        r#"{"m": {"n": ["a"]}, "s": ["app"]}"#,
        r#"{"m": {"n": ["a"], "d": [{"prefix": "x"}]}}"#,
        r#"{"c": [{"wildcard": "o*:a"}], "s": ["app"]}"#,
        r#"{"c": [{"wildcard": "o*:a"}]}"#,
        r#"{"c": [{"numeric": [">", 1]}], "s": ["app"]}"#,
    ];

    proptest! {
        // 256 cases unless `PROPTEST_CASES` asks for another number.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
        ))]

        /// Anchors stay consistent through random adds and deletes, keep the judging bound while
        /// only adds happen, and leave nothing behind.
        #[test]
        fn anchors_stay_consistent(
            adds in proptest::collection::vec((0..40usize, 0..POOL.len()), 1..200),
            deletes in proptest::collection::vec(0..40usize, 0..80),
        ) {
            let mut automaton = Automaton::default();
            let pool: Vec<Pattern> = POOL.iter().map(|p| Pattern::parse(p).unwrap()).collect();
            for &(name, p) in &adds {
                automaton.add(&format!("n{name}"), &pool[p]);
            }
            automaton.check_anchors(true).map_err(TestCaseError::fail)?;
            for &name in &deletes {
                automaton.delete(&format!("n{name}"));
                automaton.check_anchors(false).map_err(TestCaseError::fail)?;
            }
            for &(name, p) in adds.iter().take(50) {
                automaton.add(&format!("m{name}"), &pool[p]);
                automaton.check_anchors(false).map_err(TestCaseError::fail)?;
            }
            for name in 0..40 {
                automaton.delete(&format!("n{name}"));
                automaton.delete(&format!("m{name}"));
            }
            automaton.check_anchors(false).map_err(TestCaseError::fail)?;
            prop_assert!(automaton.is_pristine());
        }
    }
}
