//! Unstable sorting with little code, for the WebAssembly build.
//!
//! The standard library's `sort_unstable` (ipnsort: quicksort, sorting networks, a heapsort
//! fallback) is fast but compiles to 3–12 KB of WebAssembly for each element type and comparator
//! it is instantiated with. The crate sorts a dozen kinds of things (ranges and bound points over
//! three key types, matched rules, wildcard states, ...): that was 56 KB of the 392 KB module,
//! 19.6 KB of its 150 KB gzipped. On wasm32 these functions sort with insertion sort for short
//! slices and heapsort otherwise: a few hundred bytes per instantiation, still O(n log n) in the
//! worst case, and matching (which sorts only short lists: the matched rules, the values of a
//! tied sub-rule) runs as fast as before. Adding rules is up to ~10% slower there for large
//! `numeric` rule sets. Elsewhere they are the standard library's sorts.

use std::cmp::Ordering;

/// `v.sort_unstable()`.
#[inline]
pub(crate) fn sort_unstable<T: Ord>(v: &mut [T]) {
    if cfg!(target_arch = "wasm32") {
        compact_sort(v, &mut T::lt);
    } else {
        v.sort_unstable();
    }
}

/// `v.sort_unstable_by_key(key)`.
#[inline]
pub(crate) fn sort_unstable_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    if cfg!(target_arch = "wasm32") {
        compact_sort(v, &mut |a, b| key(a) < key(b));
    } else {
        v.sort_unstable_by_key(key);
    }
}

/// `v.sort_unstable_by(compare)`.
#[inline]
pub(crate) fn sort_unstable_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    if cfg!(target_arch = "wasm32") {
        compact_sort(v, &mut |a, b| compare(a, b) == Ordering::Less);
    } else {
        v.sort_unstable_by(compare);
    }
}

/// Slices up to this long are insertion-sorted (the standard library's threshold too).
const INSERTION_MAX: usize = 20;

/// Insertion sort for short slices, heapsort otherwise.
fn compact_sort<T>(v: &mut [T], is_less: &mut impl FnMut(&T, &T) -> bool) {
    let len = v.len();
    if len <= INSERTION_MAX {
        for i in 1..len {
            let mut j = i;
            while j > 0 && is_less(&v[j], &v[j - 1]) {
                v.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    // Heapify (the first `len / 2` steps, from the last parent up), then move the maximum to the
    // end and sift the new root down, `len` times.
    for i in (0..len + len / 2).rev() {
        let (mut node, end) = if i >= len {
            (i - len, len)
        } else {
            v.swap(0, i);
            (0, i)
        };
        loop {
            let mut child = 2 * node + 1;
            if child >= end {
                break;
            }
            if child + 1 < end && is_less(&v[child], &v[child + 1]) {
                child += 1;
            }
            if !is_less(&v[node], &v[child]) {
                break;
            }
            v.swap(node, child);
            node = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The compact sort (the one wasm32 uses) sorts like the standard library, on both sides
        /// of the insertion-sort threshold, with many equal keys.
        #[test]
        fn compact_sort_agrees_with_std(mut v in prop::collection::vec((0u8..8, any::<u16>()), 0..80)) {
            let mut expected = v.clone();
            expected.sort_by_key(|&(k, _)| k);
            compact_sort(&mut v, &mut |a, b| a.0 < b.0);
            prop_assert_eq!(
                v.iter().map(|&(k, _)| k).collect::<Vec<_>>(),
                expected.iter().map(|&(k, _)| k).collect::<Vec<_>>()
            );
            // A permutation of the input.
            v.sort();
            expected.sort();
            prop_assert_eq!(v, expected);
        }
    }

    #[test]
    fn wrappers_sort() {
        let mut v = vec![3u64, 1, 2];
        sort_unstable(&mut v);
        assert_eq!(v, [1, 2, 3]);
        let mut v = vec![(1, 'b'), (0, 'a'), (2, 'c')];
        sort_unstable_by_key(&mut v, |&(_, c)| std::cmp::Reverse(c));
        assert_eq!(v, [(2, 'c'), (1, 'b'), (0, 'a')]);
    }
}
