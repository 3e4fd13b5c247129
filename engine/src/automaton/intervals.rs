//! Ranges over an ordered key: `numeric` conditions over the order-preserving encoding of a
//! binary64 value, and `cidr` blocks over addresses.
//!
//! # Structure
//!
//! A *level* is a static index over a fixed set of ranges. It cuts the key space at every bound
//! of its ranges into elementary regions (each bound point is a region of its own, and so is each
//! gap between points) and keeps a bottom-up segment tree over the regions, so a range is stored
//! in O(log m) nodes and a lookup is one binary search plus one leaf-to-root walk:
//! O(log m + matches), whatever the overlap between ranges. The node lists are flattened
//! (CSR-style: one offsets array, one array of range ids), so a level costs a few dozen bytes per
//! range.
//!
//! A static level cannot take a new range without being rebuilt, and rebuilding one big level on
//! every change made adding n ranges O(n² log n). So the index is a short list of levels kept in
//! the manner of a binary counter (the Bentley–Saxe logarithmic method):
//!
//! - **Insert** builds a one-range level and, while the last level holds fewer than twice as many
//!   live ranges as the new one, merges that level into it first. Every level is thus at least
//!   twice the size of the next one when built, so there are O(log n) levels, and a range is
//!   rebuilt O(log n) times over its life (each merge at least about doubles its level):
//!   amortized O(log² n) per insert.
//! - **Remove** finds the range by binary search in each level (a level's ranges are sorted by
//!   (out, low, high)) and marks it dead in that level's tombstone bitset; lookups skip dead ids.
//!   A tombstone hides one entry of one level only, so an `Out` removed and inserted again (into a
//!   newer level) is not hidden. When more than half of a level is dead, that level and every
//!   smaller one after it are rebuilt from their live ranges (merges drop dead ranges too), which
//!   keeps lookups free of long dead runs and the level sizes geometric: amortized O(log² n).
//! - **Lookup** asks every level: O(log² n + matches).
//!
//! Identical (low, high, out) triples may be inserted more than once; each insert is an entry and
//! each remove kills one. Within a level such copies are adjacent in the sort order and always
//! killed first-live-first, so the dead copies form a prefix of the run and the first live one is
//! found by binary search too.

use std::cmp::Ordering;

use super::Out;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Edge<K> {
    Unbounded,
    Inclusive(K),
    Exclusive(K),
}

#[derive(Debug, Clone)]
pub(crate) struct IntervalIndex<K> {
    /// Levels from the biggest (oldest) to the smallest (newest); never empty ones.
    levels: Vec<Level<K>>,
    /// Live ranges over all levels.
    live: usize,
}

impl<K> Default for IntervalIndex<K> {
    fn default() -> Self {
        IntervalIndex {
            levels: Vec::new(),
            live: 0,
        }
    }
}

impl<K: Ord + Copy> IntervalIndex<K> {
    pub(crate) fn insert(&mut self, low: Edge<K>, high: Edge<K>, out: Out) {
        self.live += 1;
        self.settle(vec![Range { low, high, out }]);
    }

    pub(crate) fn remove(&mut self, low: Edge<K>, high: Edge<K>, out: Out) -> bool
    where
        K: PartialEq,
    {
        let target = Range { low, high, out };
        for i in 0..self.levels.len() {
            let level = &mut self.levels[i];
            let Some(id) = level.find_live(&target) else {
                continue;
            };
            level.kill(id);
            self.live -= 1;
            if 2 * level.dead_count > level.ranges.len() {
                // Rebuild this level and the smaller ones after it from their live ranges, so the
                // sizes stay geometric (each level was built after the ones before it).
                let mut pending = Vec::new();
                for level in self.levels.split_off(i) {
                    level.drain_live_into(&mut pending);
                }
                self.settle(pending);
            }
            return true;
        }
        false
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Calls `visit` with the outputs of every range holding `key`.
    #[inline]
    pub(crate) fn lookup(&self, key: K, mut visit: impl FnMut(&[Out])) {
        for level in &self.levels {
            level.lookup(key, &mut visit);
        }
    }

    /// Adds a level of the (live) `pending` ranges at the end, first merging into it every last
    /// level that holds fewer than twice as many live ranges.
    fn settle(&mut self, mut pending: Vec<Range<K>>) {
        while let Some(last) = self.levels.last() {
            if last.live() >= 2 * pending.len() {
                break;
            }
            let last = self.levels.pop().expect("a last level");
            last.drain_live_into(&mut pending);
        }
        if !pending.is_empty() {
            self.levels.push(Level::build(pending));
        }
    }
}

/// One range as inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range<K> {
    low: Edge<K>,
    high: Edge<K>,
    out: Out,
}

impl<K: Ord> Range<K> {
    /// The order of a level's ranges: by output first, then by bounds.
    fn order(&self, other: &Self) -> Ordering {
        out_rank(self.out)
            .cmp(&out_rank(other.out))
            .then_with(|| self.low.cmp(&other.low))
            .then_with(|| self.high.cmp(&other.high))
    }
}

/// A total order on outputs (`Out` has none of its own).
fn out_rank(out: Out) -> (u8, u32) {
    match out {
        Out::Cond(i) => (0, i),
        Out::Exclude(i) => (1, i),
        Out::Wildcard(i) => (2, i),
    }
}

/// A static segment tree over a fixed set of ranges, with tombstones.
#[derive(Debug, Clone)]
struct Level<K> {
    /// The ranges, sorted by [`Range::order`]; a range's id is its position here.
    ranges: Vec<Range<K>>,
    /// Tombstones: bit `id` is set when range `id` was removed.
    dead: Vec<u64>,
    dead_count: usize,
    /// Distinct bound points, sorted. Region `2i+1` is `points[i]` itself; region `2i` is the gap
    /// below it; region `2 * points.len()` is everything above the last point.
    points: Vec<K>,
    /// The bottom-up segment tree has one leaf per region (`n = 2 * points.len() + 1`, leaf of
    /// region `r` is node `n + r`, parent of node `i` is `i / 2`). Ids of the ranges stored at
    /// node `i`: `ids[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<u32>,
    ids: Vec<u32>,
}

impl<K: Ord + Copy> Level<K> {
    fn build(mut ranges: Vec<Range<K>>) -> Self {
        ranges.sort_unstable_by(Range::order);
        ranges.shrink_to_fit();
        let mut points: Vec<K> = Vec::with_capacity(ranges.len() * 2);
        for range in &ranges {
            for edge in [range.low, range.high] {
                if let Edge::Inclusive(k) | Edge::Exclusive(k) = edge {
                    points.push(k);
                }
            }
        }
        points.sort_unstable();
        points.dedup();
        points.shrink_to_fit();
        let mut level = Level {
            dead: vec![0; ranges.len().div_ceil(64)],
            dead_count: 0,
            points,
            offsets: Vec::new(),
            ids: Vec::new(),
            ranges,
        };

        // Leaf spans `[from, to)` of the ranges; empty ranges such as (5, 5] are in no node.
        let leaves = level.leaves();
        let spans: Vec<(usize, usize)> = level
            .ranges
            .iter()
            .map(|range| {
                let (from, to) = (
                    level.region_of_low(range.low),
                    level.region_of_high(range.high),
                );
                if from > to {
                    (0, 0)
                } else {
                    (from + leaves, to + leaves + 1)
                }
            })
            .collect();
        // Two passes of the classic bottom-up decomposition: count per node, then fill.
        let mut offsets = vec![0u32; 2 * leaves + 1];
        for &(from, to) in &spans {
            decompose(from, to, |node| offsets[node + 1] += 1);
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut ids = vec![0u32; offsets[2 * leaves] as usize];
        let mut next = offsets.clone();
        for (id, &(from, to)) in spans.iter().enumerate() {
            decompose(from, to, |node| {
                ids[next[node] as usize] = id as u32;
                next[node] += 1;
            });
        }
        level.offsets = offsets;
        level.ids = ids;
        level
    }

    fn leaves(&self) -> usize {
        2 * self.points.len() + 1
    }

    fn live(&self) -> usize {
        self.ranges.len() - self.dead_count
    }

    fn is_dead(&self, id: usize) -> bool {
        self.dead[id / 64] >> (id % 64) & 1 == 1
    }

    fn kill(&mut self, id: usize) {
        self.dead[id / 64] |= 1 << (id % 64);
        self.dead_count += 1;
    }

    /// The id of the first live copy of `target`, if any.
    fn find_live(&self, target: &Range<K>) -> Option<usize> {
        let from = self
            .ranges
            .partition_point(|r| r.order(target) == Ordering::Less);
        let to =
            from + self.ranges[from..].partition_point(|r| r.order(target) != Ordering::Greater);
        // Copies are killed first-live-first, so the dead ones are a prefix of the run: binary
        // search for its end.
        let (mut lo, mut hi) = (from, to);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.is_dead(mid) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (lo < to).then_some(lo)
    }

    fn drain_live_into(self, pending: &mut Vec<Range<K>>) {
        if self.dead_count == 0 {
            pending.extend_from_slice(&self.ranges);
        } else {
            pending.extend(
                self.ranges
                    .iter()
                    .enumerate()
                    .filter(|(id, _)| !self.is_dead(*id))
                    .map(|(_, range)| *range),
            );
        }
    }

    #[inline]
    fn lookup(&self, key: K, visit: &mut impl FnMut(&[Out])) {
        let i = self.points.partition_point(|p| *p < key);
        let region = if self.points.get(i) == Some(&key) {
            2 * i + 1
        } else {
            2 * i
        };
        let mut node = self.leaves() + region;
        while node > 0 {
            let (from, to) = (self.offsets[node], self.offsets[node + 1]);
            for &id in &self.ids[from as usize..to as usize] {
                let id = id as usize;
                if self.dead_count == 0 || !self.is_dead(id) {
                    visit(std::slice::from_ref(&self.ranges[id].out));
                }
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
}

/// Calls `node` with each node of the bottom-up segment tree covering leaves `[from, to)`
/// (given as node numbers). Works for any number of leaves when, as here, a point query visits
/// every ancestor of its leaf.
fn decompose(mut from: usize, mut to: usize, mut node: impl FnMut(usize)) {
    while from < to {
        if from & 1 == 1 {
            node(from);
            from += 1;
        }
        if to & 1 == 1 {
            to -= 1;
            node(to);
        }
        from /= 2;
        to /= 2;
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

    fn hits(index: &IntervalIndex<i32>, key: i32) -> Vec<Out> {
        let mut seen = Vec::new();
        index.lookup(key, |outs| seen.extend_from_slice(outs));
        seen.sort_unstable_by_key(|o| out_rank(*o));
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

    /// Structural invariants: level sizes geometric, no level mostly dead, counts consistent.
    fn check_invariants(index: &IntervalIndex<i32>) {
        let mut live = 0;
        for (i, level) in index.levels.iter().enumerate() {
            assert!(level.live() > 0);
            assert!(2 * level.dead_count <= level.ranges.len());
            assert_eq!(
                level.dead_count,
                (0..level.ranges.len())
                    .filter(|&id| level.is_dead(id))
                    .count()
            );
            assert!(level.ranges.windows(2).all(|w| w[0].order(&w[1]).is_le()));
            if let Some(next) = index.levels.get(i + 1) {
                assert!(level.ranges.len() >= 2 * next.ranges.len());
            }
            live += level.live();
        }
        assert_eq!(live, index.live);
    }

    fn edge() -> impl Strategy<Value = Edge<i32>> {
        prop_oneof![
            Just(Edge::Unbounded),
            (-10..10).prop_map(Edge::Inclusive),
            (-10..10).prop_map(Edge::Exclusive),
        ]
    }

    /// Few distinct outputs, so they are often reused after removal or duplicated.
    fn out() -> impl Strategy<Value = Out> {
        prop_oneof![
            (0..6u32).prop_map(Out::Cond),
            (0..2u32).prop_map(Out::Exclude),
            (0..2u32).prop_map(Out::Wildcard),
        ]
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(Edge<i32>, Edge<i32>, Out),
        /// Removes the live range at this position (modulo the count), or an absent one if none.
        RemoveLive(usize),
        /// Removes an arbitrary triple, which may or may not be live.
        RemoveAny(Edge<i32>, Edge<i32>, Out),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (edge(), edge(), out()).prop_map(|(l, h, o)| Op::Insert(l, h, o)),
            3 => any::<usize>().prop_map(Op::RemoveLive),
            1 => (edge(), edge(), out()).prop_map(|(l, h, o)| Op::RemoveAny(l, h, o)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn lookup_agrees_with_a_scan(ops in proptest::collection::vec(op(), 0..200)) {
            let mut index = IntervalIndex::default();
            let mut model: Vec<(Edge<i32>, Edge<i32>, Out)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(low, high, out) => {
                        index.insert(low, high, out);
                        model.push((low, high, out));
                    }
                    Op::RemoveLive(i) => {
                        if model.is_empty() {
                            let absent = (Edge::Unbounded, Edge::Unbounded, Out::Cond(99));
                            prop_assert!(!index.remove(absent.0, absent.1, absent.2));
                        } else {
                            let (low, high, out) = model.swap_remove(i % model.len());
                            prop_assert!(index.remove(low, high, out));
                        }
                    }
                    Op::RemoveAny(low, high, out) => {
                        let found = model.iter().position(|e| *e == (low, high, out));
                        prop_assert_eq!(index.remove(low, high, out), found.is_some());
                        if let Some(i) = found {
                            model.swap_remove(i);
                        }
                    }
                }
                check_invariants(&index);
                prop_assert_eq!(index.is_empty(), model.is_empty());
                for k in -12..12 {
                    let mut expected: Vec<Out> = model
                        .iter()
                        .filter(|(l, h, _)| contains(*l, *h, k))
                        .map(|(_, _, o)| *o)
                        .collect();
                    expected.sort_unstable_by_key(|o| out_rank(*o));
                    prop_assert_eq!(hits(&index, k), expected);
                }
            }
        }

        #[test]
        fn number_key_preserves_order(a in any::<f64>(), b in any::<f64>()) {
            prop_assume!(!a.is_nan() && !b.is_nan());
            prop_assert_eq!(a.partial_cmp(&b), Some(number_key(a).cmp(&number_key(b))));
        }
    }

    #[test]
    fn duplicates_are_removed_one_at_a_time() {
        let mut index = IntervalIndex::default();
        let (low, high) = (Edge::Inclusive(1), Edge::Exclusive(5));
        for _ in 0..100 {
            index.insert(low, high, Out::Cond(7));
        }
        for left in (0..100).rev() {
            assert!(index.remove(low, high, Out::Cond(7)));
            assert_eq!(hits(&index, 3).len(), left);
            check_invariants(&index);
        }
        assert!(!index.remove(low, high, Out::Cond(7)));
        assert!(index.is_empty());
    }

    /// Adding and removing many ranges one at a time stays fast (this took minutes when every
    /// change rebuilt the whole index).
    #[test]
    fn many_inserts_then_removes() {
        const N: u32 = 100_000;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let ranges: Vec<(Edge<i32>, Edge<i32>)> = (0..N)
            .map(|_| {
                let a = (next() % 1_000_000) as i32;
                let b = a + (next() % 1000) as i32;
                (Edge::Inclusive(a), Edge::Exclusive(b))
            })
            .collect();
        let mut index = IntervalIndex::default();
        for (i, (low, high)) in ranges.iter().enumerate() {
            index.insert(*low, *high, Out::Cond(i as u32));
        }
        assert!(index.levels.len() <= 18);
        let expected = |index: &IntervalIndex<i32>, present: &dyn Fn(usize) -> bool, k: i32| {
            let mut want: Vec<Out> = (0..ranges.len())
                .filter(|&i| present(i) && contains(ranges[i].0, ranges[i].1, k))
                .map(|i| Out::Cond(i as u32))
                .collect();
            want.sort_unstable_by_key(|o| out_rank(*o));
            assert_eq!(hits(index, k), want);
        };
        for k in [0, 12_345, 500_000, 999_999] {
            expected(&index, &|_| true, k);
        }
        // Remove in a scrambled order: every odd id first, then the even ones.
        let order = (0..N)
            .filter(|i| i % 2 == 1)
            .chain((0..N).filter(|i| i % 2 == 0));
        for (n, i) in order.enumerate() {
            let (low, high) = ranges[i as usize];
            assert!(index.remove(low, high, Out::Cond(i)));
            if n + 1 == N as usize / 2 {
                for k in [0, 12_345, 500_000, 999_999] {
                    expected(&index, &|i| i % 2 == 0, k);
                }
            }
        }
        assert!(index.is_empty());
        assert!(index.levels.is_empty());
    }

    #[test]
    fn zero_has_one_key() {
        assert_eq!(number_key(-0.0), number_key(0.0));
        assert!(number_key(-5e-324) < number_key(0.0));
        assert!(number_key(0.0) < number_key(5e-324));
    }
}
