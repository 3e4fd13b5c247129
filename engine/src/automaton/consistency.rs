//! Array consistency without backtracking: can each condition of a sub-rule be given one of its
//! values so that no two chosen values come from different elements of one array?
//!
//! A value's membership is its path of `(array, index)` steps through arrays of containers. The
//! memberships of the candidate values form a tree, and a choice is consistent exactly when it
//! uses at most one element of every array. So, bottom up: at an array element, the sets of
//! conditions that can be satisfied inside it are the sets its direct values give, combined
//! with one choice per array nested in it. These families of sets are closed under taking
//! subsets, so each is kept as its maximal sets only, which stay few in practice. After one sort
//! of the values by membership, the work is linear in the number of values (times the size of
//! those families), where a search over combinations can be quadratic or worse on events with
//! long arrays.

use smallvec::SmallVec;

/// A value that satisfies condition number `slot` (at most [`MAX_SLOTS`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub(crate) leaf: u32,
    pub(crate) slot: u8,
}

/// Conditions one family mask can hold.
pub(crate) const MAX_SLOTS: usize = 64;

/// Does some consistent choice satisfy all `slots` conditions? `membership` gives a leaf's
/// `(array, index)` path. Sorts `items`.
pub(crate) fn all_satisfiable<'a>(
    items: &mut [Item],
    slots: usize,
    membership: impl Fn(u32) -> &'a [(u32, u32)] + Copy,
) -> bool {
    debug_assert!(slots <= MAX_SLOTS);
    let full = if slots == MAX_SLOTS {
        u64::MAX
    } else {
        (1u64 << slots) - 1
    };
    items.sort_unstable_by(|a, b| membership(a.leaf).cmp(membership(b.leaf)));
    family(items, 0, membership, full).contains(full)
}

/// The maximal sets of a family closed under subsets.
#[derive(Debug, Clone)]
struct Family(SmallVec<[u64; 2]>);

impl Family {
    fn of(set: u64) -> Family {
        Family(SmallVec::from_elem(set, 1))
    }

    fn contains(&self, set: u64) -> bool {
        self.0.iter().any(|&m| m & set == set)
    }

    /// Add `set`, keeping only maximal sets.
    fn add(&mut self, set: u64) {
        if self.contains(set) {
            return;
        }
        self.0.retain(|m| *m & set != *m);
        self.0.push(set);
    }

    fn union(&mut self, other: &Family) {
        for &set in &other.0 {
            self.add(set);
        }
    }

    /// Every union of a set of `self` with a set of `other`.
    fn product(&self, other: &Family) -> Family {
        let mut out = Family(SmallVec::new());
        for &a in &self.0 {
            for &b in &other.0 {
                out.add(a | b);
            }
        }
        out
    }
}

/// The family achievable with `items`, which all share their first `depth` membership steps and
/// are sorted by membership.
fn family<'a>(
    items: &[Item],
    depth: usize,
    membership: impl Fn(u32) -> &'a [(u32, u32)] + Copy,
    full: u64,
) -> Family {
    // Values at this element itself sort first (their membership is the shortest).
    let mut i = 0;
    let mut direct = 0u64;
    while i < items.len() && membership(items[i].leaf).len() == depth {
        direct |= 1 << items[i].slot;
        i += 1;
    }
    let mut result = Family::of(direct);
    while i < items.len() && !result.contains(full) {
        // One nested array: at most one of its elements may be used.
        let array = membership(items[i].leaf)[depth].0;
        let mut choices = Family::of(0);
        while i < items.len() && membership(items[i].leaf)[depth].0 == array {
            let step = membership(items[i].leaf)[depth];
            let start = i;
            while i < items.len() && membership(items[i].leaf)[depth] == step {
                i += 1;
            }
            choices.union(&family(&items[start..i], depth + 1, membership, full));
        }
        result = result.product(&choices);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaves given by their memberships.
    fn check(leaves: &[&[(u32, u32)]], items: &[(u32, u8)], slots: usize) -> bool {
        let mut items: Vec<Item> = items
            .iter()
            .map(|&(leaf, slot)| Item { leaf, slot })
            .collect();
        all_satisfiable(&mut items, slots, |leaf| leaves[leaf as usize])
    }

    #[test]
    fn one_element_per_array() {
        // Array 0 with elements 0 and 1: x in element 0, y in element 1.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0)], &[(0, 1)], &[(0, 1)]];
        assert!(!check(leaves, &[(0, 0), (1, 1)], 2));
        assert!(check(leaves, &[(0, 0), (1, 1), (2, 0)], 2));
    }

    #[test]
    fn different_arrays_combine() {
        // Element 0 of array 0 holds arrays 1 and 2; values in each combine freely.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0), (1, 3)], &[(0, 0), (2, 5)], &[(0, 1), (3, 0)]];
        assert!(check(leaves, &[(0, 0), (1, 1)], 2));
        assert!(!check(leaves, &[(0, 0), (2, 1)], 2));
        // An untied value (no membership) fits anything.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0)], &[]];
        assert!(check(leaves, &[(0, 0), (1, 1)], 2));
    }

    #[test]
    fn families_keep_alternatives() {
        // Element 0 gives {a, b}, element 1 gives {c}; with an untied c... needs both.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0)], &[(0, 0)], &[(0, 1)], &[(0, 1)]];
        // a, b in element 0; c, a in element 1: {a,b,c} impossible, {a,c} possible.
        assert!(!check(leaves, &[(0, 0), (1, 1), (2, 2), (3, 0)], 3));
        assert!(check(leaves, &[(0, 0), (2, 1), (3, 0)], 2));
    }
}
