//! Cache hints for the memory an event is read from, and for table entries about to be read.
//!
//! The fastest rule sets read a few hundred bytes of an event in well under the time one memory
//! access takes; on a stream larger than the caches, waiting for each event's first bytes would
//! dominate. These hints start the loads early. They are only hints: a prefetch neither faults
//! nor changes what the program reads, so results never depend on them. Where there is no
//! stable prefetch instruction they do nothing.

/// How much of an event is prefetched: the reader often stops within the first few hundred
/// bytes, and the hardware prefetcher follows on when it does not.
const EVENT_START: usize = 384;

/// How much of what follows an event is prefetched (measured on the citylots2 benchmark: four
/// cache lines do as well as six).
const BYTES_AFTER: usize = 256;

/// Start loading the first bytes of `event`.
#[inline(always)]
pub(crate) fn event_start(event: &[u8]) {
    lines::<{ EVENT_START / 64 }>(event.as_ptr());
}

/// Start loading the bytes that follow `event` in memory: the next event's, when events sit
/// back to back in one buffer; and those one event length further on, where the event after
/// next starts when sizes are alike. The next event alone is too close to cover a memory access
/// (as [`crate::Matcher::matches_batch`] found too); where sizes differ, the second hint lands
/// elsewhere in the stream, or on bytes that are not wanted, at the cost of a few cache lines.
#[inline(always)]
pub(crate) fn bytes_after(event: &[u8]) {
    let end = event.as_ptr().wrapping_add(event.len());
    lines::<{ BYTES_AFTER / 64 }>(end);
    lines::<{ BYTES_AFTER / 64 }>(end.wrapping_add(event.len()));
}

/// Start loading the cache line that holds `table[index]` (an entry of a large table about to be
/// read). No bounds check: an index past the end only loads a line that is not wanted.
#[inline(always)]
pub(crate) fn entry<T>(table: &[T], index: usize) {
    line(table.as_ptr().wrapping_add(index).cast());
}

/// Start loading `N` cache lines from `start` on: a fixed count, unrolled, with no check of
/// where the bytes end (a prefetch past them is harmless, and cheaper than the check).
#[inline(always)]
fn lines<const N: usize>(start: *const u8) {
    for i in 0..N {
        line(start.wrapping_add(64 * i));
    }
}

/// Start loading the cache line holding `address`, which need not be readable memory, into
/// every cache level (measured: the outer levels only are slower on the citylots2 stream).
#[inline(always)]
fn line(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch reads nothing into the program and never faults, whatever the
        // address (the pointer is not dereferenced); SSE, which has PREFETCHT0, is part of the
        // x86_64 baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
