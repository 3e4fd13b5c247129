//! AVX-512 classification for the full-mode block validator ([`super::validate`]): a 64-byte
//! block is one register, and each class of its bytes one compare straight into a mask, where
//! AVX2 needs two compares, two movemasks and a join per class. Detected at run time; the AVX2
//! and portable classifiers answer on CPUs without it.

use super::avx2::Detected;
use super::validate::{validate_blocks, Classify, Masks};
use std::arch::x86_64::{
    __m512i, _mm512_cmpeq_epi8_mask, _mm512_cmplt_epu8_mask, _mm512_loadu_si512,
    _mm512_movepi8_mask, _mm512_or_si512, _mm512_set1_epi8, _mm512_sub_epi8,
};

/// AVX-512 F and BW, PCLMULQDQ, POPCNT and BMI1.
static AVAILABLE: Detected = Detected::new();

#[inline]
fn available() -> bool {
    AVAILABLE.get(|| {
        std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("pclmulqdq")
            && std::is_x86_feature_detected!("popcnt")
            && std::is_x86_feature_detected!("bmi1")
    })
}

/// The block validator with AVX-512 classification, or `None` when the CPU lacks AVX-512 BW,
/// PCLMULQDQ, POPCNT or BMI1.
#[inline]
pub(super) fn validate_container(bytes: &[u8], start: usize, room: usize) -> Option<Option<usize>> {
    if !available() {
        return None;
    }
    // SAFETY: the CPU supports every feature `validate_avx512` is compiled with (checked just
    // above), the only requirement of calling it.
    Some(unsafe { validate_avx512(bytes, start, room) })
}

#[target_feature(enable = "avx512f,avx512bw,pclmulqdq,popcnt,bmi1")]
fn validate_avx512(bytes: &[u8], start: usize, room: usize) -> Option<usize> {
    validate_blocks::<Avx512>(bytes, start, room)
}

/// Only ever inlined into [`validate_avx512`], which is compiled with AVX-512 BW and PCLMULQDQ.
struct Avx512;

impl Classify for Avx512 {
    #[inline(always)]
    fn classify(block: &[u8; 64]) -> Option<Masks> {
        // SAFETY: only called from `validate_avx512` (see above); the 64-byte unaligned load is
        // exactly `block`.
        unsafe {
            let v = _mm512_loadu_si512(block.as_ptr().cast::<__m512i>());
            let splat = |b: u8| _mm512_set1_epi8(b as i8);
            let eq = |b: u8| _mm512_cmpeq_epi8_mask(v, splat(b));
            // `[` / `{`, `]` / `}` and `E` / `e` differ only in bit 0x20, and no other byte
            // folds onto them.
            let folded = _mm512_or_si512(v, splat(0x20));
            let folded_eq = |b: u8| _mm512_cmpeq_epi8_mask(folded, splat(b));
            Some(Masks {
                quote: eq(b'"'),
                backslash: eq(b'\\'),
                open: folded_eq(b'{'),
                close: folded_eq(b'}'),
                curly: eq(b'{') | eq(b'}'),
                colon: eq(b':'),
                comma: eq(b','),
                space: eq(b' '),
                control: _mm512_cmplt_epu8_mask(v, splat(0x20)),
                high: _mm512_movepi8_mask(v),
                digit: _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, splat(b'0')), splat(10)),
                zero: eq(b'0'),
                minus: eq(b'-'),
                plus: eq(b'+'),
                dot: eq(b'.'),
                exponent: folded_eq(b'e'),
            })
        }
    }

    #[inline(always)]
    fn prefix_xor(x: u64) -> u64 {
        // SAFETY: only called from `validate_avx512`, compiled with PCLMULQDQ.
        unsafe { super::avx2::prefix_xor(x) }
    }
}
