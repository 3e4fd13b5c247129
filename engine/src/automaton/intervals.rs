//! Ranges over an ordered key: `numeric` conditions over the order-preserving encoding of a
//! binary64 value, and `cidr` blocks over addresses.
//!
//! The index cuts the key space at every bound into elementary regions (each bound point is a
//! region of its own, and so is each gap between points) and keeps a segment tree over the
//! regions, so a range is stored in O(log n) nodes and a lookup is one binary search plus one
//! leaf-to-root walk: cost O(log n + matches), whatever the overlap between ranges.

use super::Out;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Edge<K> {
    Unbounded,
    Inclusive(K),
    Exclusive(K),
}

#[derive(Debug, Clone)]
pub(crate) struct IntervalIndex<K> {
    entries: Vec<(Edge<K>, Edge<K>, Out)>,
    /// Distinct bound points, sorted. Region `2i+1` is `points[i]` itself; region `2i` is the gap
    /// below it; region `2 * points.len()` is everything above the last point.
    points: Vec<K>,
    /// Leaves in the bottom-up segment tree (a power of two, at least the number of regions).
    leaves: usize,
    /// Outputs stored at tree node `i`: `outs[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<u32>,
    outs: Vec<Out>,
}

impl<K> Default for IntervalIndex<K> {
    fn default() -> Self {
        IntervalIndex {
            entries: Vec::new(),
            points: Vec::new(),
            leaves: 0,
            offsets: Vec::new(),
            outs: Vec::new(),
        }
    }
}

impl<K: Ord + Copy> IntervalIndex<K> {
    pub(crate) fn insert(&mut self, low: Edge<K>, high: Edge<K>, out: Out) {
        self.entries.push((low, high, out));
        self.rebuild();
    }

    pub(crate) fn remove(&mut self, low: Edge<K>, high: Edge<K>, out: Out) -> bool
    where
        K: PartialEq,
    {
        let Some(i) = self
            .entries
            .iter()
            .position(|e| e.0 == low && e.1 == high && e.2 == out)
        else {
            return false;
        };
        self.entries.swap_remove(i);
        self.rebuild();
        true
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Calls `visit` with the outputs of every range holding `key`.
    #[inline]
    pub(crate) fn lookup(&self, key: K, mut visit: impl FnMut(&[Out])) {
        if self.entries.is_empty() {
            return;
        }
        let i = self.points.partition_point(|p| *p < key);
        let region = if self.points.get(i) == Some(&key) {
            2 * i + 1
        } else {
            2 * i
        };
        let mut node = self.leaves + region;
        while node > 0 {
            let (from, to) = (self.offsets[node], self.offsets[node + 1]);
            if from != to {
                visit(&self.outs[from as usize..to as usize]);
            }
            node /= 2;
        }
    }

    fn region_of_low(&self, edge: Edge<K>) -> usize {
        match edge {
            Edge::Unbounded => 0,
            Edge::Inclusive(k) => 2 * self.point(k) + 1,
            Edge::Exclusive(k) => 2 * self.point(k) + 2,
        }
    }

    fn region_of_high(&self, edge: Edge<K>) -> usize {
        match edge {
            Edge::Unbounded => 2 * self.points.len(),
            Edge::Inclusive(k) => 2 * self.point(k) + 1,
            Edge::Exclusive(k) => 2 * self.point(k),
        }
    }

    fn point(&self, k: K) -> usize {
        self.points.partition_point(|p| *p < k)
    }

    fn rebuild(&mut self) {
        let mut points: Vec<K> = Vec::with_capacity(self.entries.len() * 2);
        for (low, high, _) in &self.entries {
            for edge in [low, high] {
                if let Edge::Inclusive(k) | Edge::Exclusive(k) = edge {
                    points.push(*k);
                }
            }
        }
        points.sort_unstable();
        points.dedup();
        self.points = points;
        let regions = 2 * self.points.len() + 1;
        self.leaves = regions.next_power_of_two();

        // Node lists, filled by the classic bottom-up range decomposition.
        let mut lists: Vec<Vec<Out>> = vec![Vec::new(); 2 * self.leaves];
        for &(low, high, out) in &self.entries {
            let (from, to) = (self.region_of_low(low), self.region_of_high(high));
            if from > to {
                continue; // empty range, e.g. (5, 5]
            }
            let (mut l, mut r) = (from + self.leaves, to + self.leaves + 1);
            while l < r {
                if l & 1 == 1 {
                    lists[l].push(out);
                    l += 1;
                }
                if r & 1 == 1 {
                    r -= 1;
                    lists[r].push(out);
                }
                l /= 2;
                r /= 2;
            }
        }
        self.offsets.clear();
        self.outs.clear();
        self.offsets.push(0);
        for list in &lists {
            self.outs.extend_from_slice(list);
            self.offsets.push(self.outs.len() as u32);
        }
    }
}

/// The order-preserving encoding of a binary64 value: unsigned comparison of the codes is the
/// numeric order of the values (`-0` is encoded as `0`). NaN never reaches here.
pub(crate) fn number_key(value: f64) -> u64 {
    let value = if value == 0.0 { 0.0 } else { value };
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hits(index: &IntervalIndex<i32>, key: i32) -> Vec<u32> {
        let mut seen = Vec::new();
        index.lookup(key, |outs| {
            seen.extend(outs.iter().map(|o| match o {
                Out::Cond(c) => *c,
                _ => unreachable!(),
            }))
        });
        seen.sort_unstable();
        seen
    }

    fn contains(low: Edge<i32>, high: Edge<i32>, k: i32) -> bool {
        let above = match low {
            Edge::Unbounded => true,
            Edge::Inclusive(l) => k >= l,
            Edge::Exclusive(l) => k > l,
        };
        let below = match high {
            Edge::Unbounded => true,
            Edge::Inclusive(h) => k <= h,
            Edge::Exclusive(h) => k < h,
        };
        above && below
    }

    fn edge() -> impl Strategy<Value = Edge<i32>> {
        prop_oneof![
            Just(Edge::Unbounded),
            (-10..10).prop_map(Edge::Inclusive),
            (-10..10).prop_map(Edge::Exclusive),
        ]
    }

    proptest! {
        #[test]
        fn lookup_agrees_with_a_scan(
            ranges in proptest::collection::vec((edge(), edge()), 0..12),
            removed in proptest::collection::vec(any::<bool>(), 12),
        ) {
            let mut index = IntervalIndex::default();
            for (i, (low, high)) in ranges.iter().enumerate() {
                index.insert(*low, *high, Out::Cond(i as u32));
            }
            for (i, (low, high)) in ranges.iter().enumerate() {
                if removed[i] {
                    prop_assert!(index.remove(*low, *high, Out::Cond(i as u32)));
                }
            }
            for k in -12..12 {
                let expected: Vec<u32> = ranges
                    .iter()
                    .enumerate()
                    .filter(|(i, (l, h))| !removed[*i] && contains(*l, *h, k))
                    .map(|(i, _)| i as u32)
                    .collect();
                prop_assert_eq!(hits(&index, k), expected);
            }
        }

        #[test]
        fn number_key_preserves_order(a in any::<f64>(), b in any::<f64>()) {
            prop_assume!(!a.is_nan() && !b.is_nan());
            prop_assert_eq!(a.partial_cmp(&b), Some(number_key(a).cmp(&number_key(b))));
        }
    }

    #[test]
    fn zero_has_one_key() {
        assert_eq!(number_key(-0.0), number_key(0.0));
        assert!(number_key(-5e-324) < number_key(0.0));
        assert!(number_key(0.0) < number_key(5e-324));
    }
}
