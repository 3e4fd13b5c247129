//! Array consistency and `exists: false` without search: can each condition of a sub-rule be
//! given one of its values (or, for an `exists: false` condition, no value at all) so that no
//! two chosen values come from different elements of one array, and no value of an absent field
//! is consistent with the choice?
//!
//! A value's membership is its path of `(array, index)` steps through arrays of containers. The
//! memberships form a tree, and a choice is consistent exactly when it uses at most one element
//! of every array. A value of an absent field is consistent with the choice unless the choice
//! uses, in some array on that value's path, another element than the value's.
//!
//! So, bottom up: at an array element, each way of choosing gives a pair (conditions satisfied
//! inside, absent-field conditions that a value inside still contradicts). Values directly at
//! the element give one pair; each array nested in it is either not used at all (every value of
//! an absent field inside stays consistent with the choice) or used through exactly one of its
//! elements that satisfies something (values in the other elements are excluded). More
//! satisfied and fewer contradicted is better, so only the pairs no other pair beats are kept;
//! they stay few in practice. Leaf ids are handed out in document order, so after one sort of
//! the values by leaf id the values of every array, and of every element, lie side by side; the
//! work is then linear in the number of values, where a search over combinations can be
//! quadratic or worse on events with long arrays.

use smallvec::SmallVec;

use crate::limits::MAX_FIELDS_PER_RULE;

/// A value that satisfies condition number `slot`, or, if `absent`, a value of the field that
/// `exists: false` condition `slot` wants absent. Its membership is `arena[from..to]` in the
/// arena passed to [`satisfiable`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub(crate) leaf: u32,
    pub(crate) from: u32,
    pub(crate) to: u32,
    pub(crate) slot: u8,
    pub(crate) absent: bool,
}

impl Item {
    /// `leaf`'s item for condition `slot`, its membership stored at `arena[from..to]`.
    pub(crate) fn new(leaf: u32, (from, to): (u32, u32), slot: u8, absent: bool) -> Item {
        Item {
            leaf,
            from,
            to,
            slot,
            absent,
        }
    }
}

/// A set of a sub-rule's conditions. `u64` serves sub-rules of up to 64 conditions (nearly all);
/// [`Wide`] holds as many as a sub-rule may have.
pub(crate) trait Mask: Copy + Default + PartialEq {
    fn insert(&mut self, slot: u8);
    fn union(self, other: Self) -> Self;
    fn is_empty(self) -> bool;
    fn contains_all(self, other: Self) -> bool;
    /// Is some member of `self` in `contradicted` and not in `satisfied`?
    fn any_unmet(self, satisfied: Self, contradicted: Self) -> bool;
}

impl Mask for u64 {
    fn insert(&mut self, slot: u8) {
        *self |= 1 << slot;
    }
    fn union(self, other: u64) -> u64 {
        self | other
    }
    fn is_empty(self) -> bool {
        self == 0
    }
    fn contains_all(self, other: u64) -> bool {
        self & other == other
    }
    fn any_unmet(self, satisfied: u64, contradicted: u64) -> bool {
        self & !satisfied & contradicted != 0
    }
}

/// As many condition bits as a sub-rule may have fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Wide([u64; MAX_FIELDS_PER_RULE / 64]);

impl Mask for Wide {
    fn insert(&mut self, slot: u8) {
        self.0[usize::from(slot / 64)] |= 1 << (slot % 64);
    }
    fn union(self, other: Wide) -> Wide {
        Wide(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }
    fn is_empty(self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
    fn contains_all(self, other: Wide) -> bool {
        (0..self.0.len()).all(|i| self.0[i].contains_all(other.0[i]))
    }
    fn any_unmet(self, satisfied: Wide, contradicted: Wide) -> bool {
        (0..self.0.len()).any(|i| self.0[i].any_unmet(satisfied.0[i], contradicted.0[i]))
    }
}

/// Is there a consistent choice satisfying every condition in `required`, and every condition
/// in `absence` either by a value or by its field having no value consistent with the choice?
/// An item's membership is its `(array, index)` path in `arena`. Leaf ids must follow document
/// order (the leaves inside one array element have consecutive ids); a leaf without membership
/// may have any id. Sorts `items`.
pub(crate) fn satisfiable<M: Mask>(
    items: &mut [Item],
    required: M,
    absence: M,
    arena: &[(u32, u32)],
) -> bool {
    // A plain integer key: comparing memberships would cost a slice comparison per step.
    crate::sort::sort_unstable_by_key(items, |item| item.leaf);
    let accepts = |&(satisfied, contradicted): &(M, M)| {
        satisfied.contains_all(required) && !absence.any_unmet(satisfied, contradicted)
    };
    family(items, 0, arena).0.iter().any(accepts)
}

/// The pairs (satisfied, contradicted) that no other pair beats.
#[derive(Debug, Clone)]
struct Family<M>(SmallVec<[(M, M); 2]>);

/// `a` is at least as good as `b`: it satisfies all `b` does and contradicts no more.
fn beats<M: Mask>(a: (M, M), b: (M, M)) -> bool {
    a.0.contains_all(b.0) && b.1.contains_all(a.1)
}

impl<M: Mask> Family<M> {
    fn of(pair: (M, M)) -> Family<M> {
        Family(SmallVec::from_elem(pair, 1))
    }

    fn add(&mut self, pair: (M, M)) {
        if self.0.iter().any(|&p| beats(p, pair)) {
            return;
        }
        self.0.retain(|p| !beats(pair, *p));
        self.0.push(pair);
    }

    /// Every combination of a pair of `self` with a pair of `other`.
    fn product(&self, other: &Family<M>) -> Family<M> {
        let mut out = Family(SmallVec::new());
        for &(s1, c1) in &self.0 {
            for &(s2, c2) in &other.0 {
                out.add((s1.union(s2), c1.union(c2)));
            }
        }
        out
    }
}

/// The family achievable with `items`, which all share their first `depth` membership steps and
/// are in document order: the values of each nested array, and of each of its elements, lie
/// side by side, except for values at this element itself, which may come anywhere (a scalar
/// of a nested array is at the element that holds the array: it is tied to no array element).
fn family<M: Mask>(items: &[Item], depth: u32, arena: &[(u32, u32)]) -> Family<M> {
    // The next step of `item`: `None` for a value at this element itself.
    let step = |item: &Item| {
        let at = item.from + depth;
        (at < item.to).then(|| arena[at as usize])
    };
    // The values at this element itself.
    let (mut satisfied, mut contradicted) = (M::default(), M::default());
    let mut at_element = |item: &Item| {
        if item.absent {
            contradicted.insert(item.slot);
        } else {
            satisfied.insert(item.slot);
        }
    };
    let mut result = Family::of((M::default(), M::default()));
    let mut i = 0;
    while i < items.len() {
        let Some((array, _)) = step(&items[i]) else {
            at_element(&items[i]);
            i += 1;
            continue;
        };
        // One nested array: unused, or used through one element that satisfies something.
        let mut unused = M::default();
        let mut used = Family(SmallVec::new());
        while i < items.len() {
            let Some(element) = step(&items[i]) else {
                at_element(&items[i]);
                i += 1;
                continue;
            };
            if element.0 != array {
                break;
            }
            let start = i;
            // Whether some value lies deeper than the element itself.
            let mut deeper = false;
            // The element's own values, for when none lies deeper.
            let mut pair = (M::default(), M::default());
            while let Some(item) = items.get(i).filter(|item| step(item) == Some(element)) {
                if item.absent {
                    unused.insert(item.slot);
                    pair.1.insert(item.slot);
                } else {
                    pair.0.insert(item.slot);
                }
                deeper |= item.to - item.from > depth + 1;
                i += 1;
            }
            if !deeper {
                // What the recursion would find: the one pair of the element's values.
                if !pair.0.is_empty() {
                    used.add(pair);
                }
                continue;
            }
            for &pair in &family::<M>(&items[start..i], depth + 1, arena).0 {
                if !pair.0.is_empty() {
                    used.add(pair);
                }
            }
        }
        used.add((M::default(), unused));
        result = result.product(&used);
    }
    result.product(&Family::of((satisfied, contradicted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaves given by their memberships; items as (leaf, slot, absent).
    fn check(
        leaves: &[&[(u32, u32)]],
        items: &[(u32, u8, bool)],
        required: u64,
        absence: u64,
    ) -> bool {
        let mut arena = Vec::new();
        let paths: Vec<(u32, u32)> = leaves
            .iter()
            .map(|path| {
                let from = arena.len() as u32;
                arena.extend_from_slice(path);
                (from, arena.len() as u32)
            })
            .collect();
        let mut items: Vec<Item> = items
            .iter()
            .map(|&(leaf, slot, absent)| Item::new(leaf, paths[leaf as usize], slot, absent))
            .collect();
        let wide = |mask: u64| {
            let mut set = Wide::default();
            (0..64)
                .filter(|b| mask >> b & 1 == 1)
                .for_each(|b| set.insert(b));
            set
        };
        let narrow = satisfiable(&mut items.clone(), required, absence, &arena);
        let wide = satisfiable(&mut items, wide(required), wide(absence), &arena);
        assert_eq!(narrow, wide, "the two mask widths disagree");
        narrow
    }

    #[test]
    fn one_element_per_array() {
        // Array 0 with elements 0 and 1: x in element 0, y in element 1.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0)], &[(0, 1)], &[(0, 1)]];
        assert!(!check(leaves, &[(0, 0, false), (1, 1, false)], 0b11, 0));
        assert!(check(
            leaves,
            &[(0, 0, false), (1, 1, false), (2, 0, false)],
            0b11,
            0
        ));
        // A scalar of array 0 (leaf 1) between its elements 0 and 2 is tied to no element: it
        // does not split the array, so x in element 0 and y in element 2 still do not combine.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0)], &[], &[(0, 2)]];
        assert!(!check(leaves, &[(0, 0, false), (2, 1, false)], 0b11, 0));
        assert!(!check(
            leaves,
            &[(0, 0, false), (1, 1, true), (2, 1, true), (2, 1, false)],
            0b01,
            0b10
        ));
        assert!(check(
            leaves,
            &[(0, 0, false), (1, 2, false), (2, 1, false)],
            0b101,
            0
        ));
    }

    #[test]
    fn different_arrays_combine() {
        // Element 0 of array 0 holds arrays 1 and 2; values in each combine freely.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0), (1, 3)], &[(0, 0), (2, 5)], &[(0, 1), (3, 0)]];
        assert!(check(leaves, &[(0, 0, false), (1, 1, false)], 0b11, 0));
        assert!(!check(leaves, &[(0, 0, false), (2, 1, false)], 0b11, 0));
        // An untied value (no membership) fits anything.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0)], &[]];
        assert!(check(leaves, &[(0, 0, false), (1, 1, false)], 0b11, 0));
    }

    #[test]
    fn absence_is_judged_against_the_choice() {
        // x=1 wanted (slot 0), y absent (slot 1). Element 0 has x and y, element 1 has x only.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 0)], &[(0, 0)], &[(0, 1)]];
        let items = [(0, 0, false), (1, 1, true), (2, 0, false)];
        assert!(check(leaves, &items, 0b01, 0b10));
        // Without element 1's x, the only x sits beside a y.
        assert!(!check(leaves, &items[..2], 0b01, 0b10));
        // A y outside the array is consistent with every choice.
        let leaves: &[&[(u32, u32)]] = &[&[(0, 1)], &[]];
        assert!(!check(leaves, &[(0, 0, false), (1, 1, true)], 0b01, 0b10));
        // A y in an array no chosen value uses stays consistent too.
        let leaves: &[&[(u32, u32)]] = &[&[], &[(4, 0)]];
        assert!(!check(leaves, &[(0, 0, false), (1, 1, true)], 0b01, 0b10));
        // No y at all: absent.
        assert!(check(&[&[]], &[(0, 0, false)], 0b01, 0b10));
    }
}
