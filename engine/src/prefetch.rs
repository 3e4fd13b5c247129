//! Cache hints for the memory an event is read from.
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
    for offset in (0..event.len().min(EVENT_START)).step_by(64) {
        line(event.as_ptr().wrapping_add(offset));
    }
}

/// Start loading the bytes that follow `event` in memory: the next event's, when events sit
/// back to back in one buffer.
#[inline(always)]
pub(crate) fn bytes_after(event: &[u8]) {
    let end = event.as_ptr().wrapping_add(event.len());
    for offset in (0..BYTES_AFTER).step_by(64) {
        line(end.wrapping_add(offset));
    }
}

/// Start loading the cache line holding `address`, which need not be readable memory.
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
