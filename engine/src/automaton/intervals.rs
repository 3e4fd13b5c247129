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
//! (CSR-style: one offsets array, one array of outputs), so lookups hand out slices.
//!
//! A static level cannot take a new range without a rebuild, and rebuilding one big level on
//! every change made adding n ranges one by one O(n² log n). So the index is a short list of
//! levels, kept like a counter in base [`GROWTH`] (the Bentley–Saxe logarithmic method):
//!
//! - **Insert** builds a one-range level and, while the last level holds fewer than `GROWTH`
//!   times as many live ranges as the new one, merges that level into it first. Each level is
//!   thus at least `GROWTH` times the size of the next one, so there are O(log n) levels, and a
//!   range is rebuilt O(log n) times over its life: amortized O(log² n) per insert.
//! - **Remove** (the matcher removes through `retain`, which visits every range once; the single
//!   removal by value is kept for the tests) finds the range by binary search in each level (a
//!   level's ranges are sorted by (out, low, high)) and marks it dead there: one bit for the range, and one bit per node of
//!   its decomposition for one item of its output in that node (a node's outputs are sorted, so
//!   that is a binary search too; equal outputs in one node are interchangeable, so which one is
//!   marked does not matter). Tombstones are per level: an `Out` removed and inserted again (into
//!   a newer level) is not hidden. When more than half of a level is dead, that level and all the
//!   smaller ones after it are rebuilt from their live ranges (merges drop dead ranges too), which
//!   keeps the level sizes geometric: amortized O(log² n).
//! - **Lookup** asks every level: O(log² n + matches). A level without removals hands out its
//!   node lists whole; one with removals hands out the runs between dead items.
//!
//! Identical (low, high, out) triples may be inserted more than once; each insert is an entry and
//! each remove kills one. Such copies are adjacent in a level's sort order (and so are equal
//! outputs in a node), and are always killed first-live-first, so the dead ones form a prefix of
//! the run and the first live one is found by binary search as well.

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

    /// Removes one copy of the range, if present. The matcher drops ranges with `retain`; this
    /// single removal is what the tests check the levels' tombstones with.
    #[cfg(test)]
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
                self.rebuild_from(i);
            }
            return true;
        }
        false
    }

    /// Keeps only the ranges whose output satisfies `keep`: O(n) calls of `keep`, plus what
    /// removing the others one by one would cost.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Out) -> bool) {
        let mut rebuild_from = None;
        for (i, level) in self.levels.iter_mut().enumerate() {
            // Ascending ids, and all copies of a triple share their output: the dead copies stay
            // a prefix of their run.
            let doomed: Vec<usize> = (0..level.ranges.len())
                .filter(|&id| !is_set(&level.dead_ranges, id) && !keep(&level.ranges[id].out))
                .collect();
            self.live -= doomed.len();
            for id in doomed {
                level.kill(id);
            }
            if 2 * level.dead_count > level.ranges.len() {
                rebuild_from.get_or_insert(i);
            }
        }
        if let Some(i) = rebuild_from {
            self.rebuild_from(i);
        }
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

    /// Rebuilds level `i` and the smaller ones after it from their live ranges (rebuilding just
    /// level `i` could leave it smaller than the next ones).
    fn rebuild_from(&mut self, i: usize) {
        let mut pending = Vec::new();
        for level in self.levels.split_off(i) {
            level.drain_live_into(&mut pending);
        }
        self.settle(pending);
    }

    /// Adds a level of the (live) `pending` ranges at the end, first merging into it every last
    /// level that holds fewer than `GROWTH` times as many live ranges.
    fn settle(&mut self, mut pending: Vec<Range<K>>) {
        while let Some(last) = self.levels.last() {
            if last.live() >= GROWTH * pending.len() {
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

/// The least size ratio between a level and the next (newer, smaller) one. Larger means fewer
/// levels, so faster lookups, but more rebuilding per insert. With 100,000 ranges, 2 gives about
/// 1.2 µs per insert and lookups 1.5 to 2 times as slow as one static tree; 4 gives about 2.5 µs
/// and 1.15 to 1.45 times; 8 gives about 4 µs and 1.2 to 1.3 times.
const GROWTH: usize = 4;

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
    /// Distinct bound points, sorted. Region `2i+1` is `points[i]` itself; region `2i` is the gap
    /// below it; region `2 * points.len()` is everything above the last point.
    points: Vec<K>,
    /// The bottom-up segment tree has one leaf per region (`n = 2 * points.len() + 1`, leaf of
    /// region `r` is node `n + r`, parent of node `i` is `i / 2`). Outputs stored at node `i`:
    /// `outs[offsets[i]..offsets[i + 1]]`, sorted by [`out_rank`] (filled in range order).
    offsets: Vec<u32>,
    outs: Vec<Out>,
    /// Removed ranges: their count, and bitsets over range ids and over `outs` items (both empty
    /// until the first removal). A removal marks one item of its output in each node of its
    /// decomposition; equal outputs in a node are interchangeable, so which one does not matter.
    dead_count: usize,
    dead_ranges: Vec<u64>,
    dead_outs: Vec<u64>,
    /// Per region, the outputs of every node on its leaf-to-root path, in lookup order:
    /// `flat_outs[flat_offsets[r]..flat_offsets[r + 1]]`. A lookup then hands out one slice
    /// instead of walking the tree. Kept only for small levels (see [`FLAT_MAX_REGIONS`]) and
    /// while nothing in the level is dead; both empty otherwise.
    flat_offsets: Vec<u32>,
    flat_outs: Vec<Out>,
}

/// Levels of at most this many regions keep their regions' outputs flattened, if those number
/// at most [`FLAT_GROWTH`] times the tree's (plus the regions; a range adds at most one output
/// per path). Small levels are the ones a few rules on a field make, where walking the tree
/// costs most relative to the matches; big levels would pay memory for little.
const FLAT_MAX_REGIONS: usize = 128;
const FLAT_GROWTH: usize = 2;

impl<K: Ord + Copy> Level<K> {
    fn build(mut ranges: Vec<Range<K>>) -> Self {
        crate::sort::sort_unstable_by(&mut ranges, Range::order);
        ranges.shrink_to_fit();
        let mut points: Vec<K> = Vec::with_capacity(ranges.len() * 2);
        for range in &ranges {
            for edge in [range.low, range.high] {
                if let Edge::Inclusive(k) | Edge::Exclusive(k) = edge {
                    points.push(k);
                }
            }
        }
        crate::sort::sort_unstable(&mut points);
        points.dedup();
        points.shrink_to_fit();
        let mut level = Level {
            ranges,
            points,
            offsets: Vec::new(),
            outs: Vec::new(),
            dead_count: 0,
            dead_ranges: Vec::new(),
            dead_outs: Vec::new(),
            flat_offsets: Vec::new(),
            flat_outs: Vec::new(),
        };

        let spans: Vec<(usize, usize)> = level.ranges.iter().map(|r| level.span(r)).collect();
        // Two passes of the classic bottom-up decomposition: count per node, then fill.
        let nodes = 2 * level.leaves();
        let mut offsets = vec![0u32; nodes + 1];
        for &(from, to) in &spans {
            decompose(from, to, |node| offsets[node + 1] += 1);
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut outs = vec![Out::Cond(0); offsets[nodes] as usize];
        let mut next = offsets.clone();
        for (range, &(from, to)) in level.ranges.iter().zip(&spans) {
            decompose(from, to, |node| {
                outs[next[node] as usize] = range.out;
                next[node] += 1;
            });
        }
        level.offsets = offsets;
        level.outs = outs;
        level.flatten();
        level
    }

    /// Fills `flat_offsets` and `flat_outs` if they stay small.
    fn flatten(&mut self) {
        let leaves = self.leaves();
        if leaves > FLAT_MAX_REGIONS {
            return;
        }
        let path_len = |region: usize| {
            let mut node = leaves + region;
            let mut len = 0;
            while node > 0 {
                len += (self.offsets[node + 1] - self.offsets[node]) as usize;
                node /= 2;
            }
            len
        };
        let total: usize = (0..leaves).map(path_len).sum();
        if total > FLAT_GROWTH * self.outs.len() + leaves {
            return;
        }
        let mut flat_offsets = Vec::with_capacity(leaves + 1);
        let mut flat_outs = Vec::with_capacity(total);
        flat_offsets.push(0);
        for region in 0..leaves {
            let mut node = leaves + region;
            while node > 0 {
                let (from, to) = (self.offsets[node] as usize, self.offsets[node + 1] as usize);
                flat_outs.extend_from_slice(&self.outs[from..to]);
                node /= 2;
            }
            flat_offsets.push(flat_outs.len() as u32);
        }
        self.flat_offsets = flat_offsets;
        self.flat_outs = flat_outs;
    }

    fn leaves(&self) -> usize {
        2 * self.points.len() + 1
    }

    /// The leaf nodes `[from, to)` of `range`; empty for empty ranges such as (5, 5].
    fn span(&self, range: &Range<K>) -> (usize, usize) {
        let (from, to) = (
            self.region_of_low(range.low),
            self.region_of_high(range.high),
        );
        if from > to {
            (0, 0)
        } else {
            (from + self.leaves(), to + self.leaves() + 1)
        }
    }

    fn live(&self) -> usize {
        self.ranges.len() - self.dead_count
    }

    /// The id of the first live copy of `target`, if any.
    #[cfg(test)]
    fn find_live(&self, target: &Range<K>) -> Option<usize> {
        let from = self
            .ranges
            .partition_point(|r| r.order(target) == Ordering::Less);
        let to =
            from + self.ranges[from..].partition_point(|r| r.order(target) != Ordering::Greater);
        // Copies are killed first-live-first, so the dead ones are a prefix of the run.
        let first = first_clear(&self.dead_ranges, from, to);
        (first < to).then_some(first)
    }

    /// Removes live range `id`.
    fn kill(&mut self, id: usize) {
        if self.dead_count == 0 {
            // Lookups walk the tree from now on, skipping dead items.
            self.flat_offsets = Vec::new();
            self.flat_outs = Vec::new();
            self.dead_ranges = vec![0; self.ranges.len().div_ceil(64)];
            self.dead_outs = vec![0; self.outs.len().div_ceil(64)];
        }
        self.dead_count += 1;
        set(&mut self.dead_ranges, id);
        let (from, to) = self.span(&self.ranges[id]);
        let rank = out_rank(self.ranges[id].out);
        let (offsets, outs, dead_outs) = (&self.offsets, &self.outs, &mut self.dead_outs);
        decompose(from, to, |node| {
            let (start, end) = (offsets[node] as usize, offsets[node + 1] as usize);
            let list = &outs[start..end];
            let run_from = start + list.partition_point(|o| out_rank(*o) < rank);
            let run_to = start + list.partition_point(|o| out_rank(*o) <= rank);
            // As for ranges, the dead items of a run of equal outputs are a prefix of it.
            let item = first_clear(dead_outs, run_from, run_to);
            debug_assert!(item < run_to, "a live item for every live range");
            set(dead_outs, item);
        });
    }

    fn drain_live_into(self, pending: &mut Vec<Range<K>>) {
        if self.dead_count == 0 {
            pending.extend_from_slice(&self.ranges);
        } else {
            pending.extend(
                self.ranges
                    .iter()
                    .enumerate()
                    .filter(|(id, _)| !is_set(&self.dead_ranges, *id))
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
        if let Some(&[from, to]) = self.flat_offsets.get(region..region + 2) {
            if from != to {
                visit(&self.flat_outs[from as usize..to as usize]);
            }
            return;
        }
        let mut node = self.leaves() + region;
        while node > 0 {
            let (from, to) = (self.offsets[node] as usize, self.offsets[node + 1] as usize);
            if from != to {
                if self.dead_count == 0 {
                    visit(&self.outs[from..to]);
                } else {
                    self.visit_live(from, to, visit);
                }
            }
            node /= 2;
        }
    }

    /// Calls `visit` with the runs of live items in `outs[from..to]`.
    fn visit_live(&self, from: usize, to: usize, visit: &mut impl FnMut(&[Out])) {
        let mut start = from;
        let mut i = from;
        while i < to {
            let bits = self.dead_outs[i / 64] >> (i % 64);
            if bits == 0 {
                i = (i / 64 + 1) * 64;
                continue;
            }
            let dead = i + bits.trailing_zeros() as usize;
            if dead >= to {
                break;
            }
            if start < dead {
                visit(&self.outs[start..dead]);
            }
            start = dead + 1;
            i = dead + 1;
        }
        if start < to {
            visit(&self.outs[start..to]);
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

fn is_set(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

fn set(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

/// The first clear bit in `from..to` (or `to`), given that the set bits there are a prefix.
fn first_clear(bits: &[u64], from: usize, to: usize) -> usize {
    let (mut lo, mut hi) = (from, to);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if is_set(bits, mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
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
            let dead: Vec<usize> = (0..level.ranges.len())
                .filter(|&id| is_set(&level.dead_ranges, id))
                .collect();
            assert_eq!(level.dead_count, dead.len());
            // One dead item per node of each dead range's decomposition.
            let mut dead_items = 0;
            for &id in &dead {
                let (from, to) = level.span(&level.ranges[id]);
                decompose(from, to, |_| dead_items += 1);
            }
            let set_bits: u32 = level.dead_outs.iter().map(|w| w.count_ones()).sum();
            assert_eq!(set_bits as usize, dead_items);
            assert!(level.ranges.windows(2).all(|w| w[0].order(&w[1]).is_le()));
            if let Some(next) = index.levels.get(i + 1) {
                assert!(level.ranges.len() >= GROWTH * next.ranges.len());
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
        /// Keeps the outputs whose bit is set in the mask (by output id, modulo 8).
        Retain(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (edge(), edge(), out()).prop_map(|(l, h, o)| Op::Insert(l, h, o)),
            3 => any::<usize>().prop_map(Op::RemoveLive),
            1 => (edge(), edge(), out()).prop_map(|(l, h, o)| Op::RemoveAny(l, h, o)),
            1 => any::<u8>().prop_map(Op::Retain),
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
                    Op::Retain(mask) => {
                        let keep = |out: &Out| mask >> (out_rank(*out).1 % 8) & 1 == 1;
                        index.retain(keep);
                        model.retain(|(_, _, out)| keep(out));
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
        // Remove every odd id one by one, drop the multiples of 4 in bulk, then remove the rest.
        for i in (1..N).step_by(2) {
            let (low, high) = ranges[i as usize];
            assert!(index.remove(low, high, Out::Cond(i)));
        }
        for k in [0, 12_345, 500_000, 999_999] {
            expected(&index, &|i| i % 2 == 0, k);
        }
        index.retain(|out| !matches!(out, Out::Cond(i) if i % 4 == 0));
        for k in [0, 12_345, 500_000, 999_999] {
            expected(&index, &|i| i % 4 == 2, k);
        }
        for i in (2..N).step_by(4) {
            let (low, high) = ranges[i as usize];
            assert!(index.remove(low, high, Out::Cond(i)));
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
