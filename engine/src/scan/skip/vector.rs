//! 16-byte vector fast paths: SSE2 on x86_64 (part of its baseline) and `simd128` on wasm32
//! when the module is built with it (`scripts/build-wasm.sh` does). Each one answers only the
//! common case and returns `None` for everything else, which the portable code then handles
//! from the start; they never disagree with it when they do answer. Targets without either get
//! stand-ins that never answer.

#[cfg(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
mod paths {
    use super::super::structural::{scalar_end, SCALAR_END};
    use super::super::validate::Masks;
    use super::lanes::Block;
    use std::num::NonZeroU32;

    /// `pos` is just after an opening quote. The index of the closing quote when it is among
    /// the 16 bytes at `pos` and no backslash comes before it (nor, when `full`, a byte below
    /// 0x20 or above 0x7f, so there is nothing to validate); `None` otherwise.
    #[inline(always)]
    pub(in super::super) fn plain_string(bytes: &[u8], pos: usize, full: bool) -> Option<usize> {
        let v = Block::load(bytes, pos)?;
        let quote = v.eq(b'"');
        let mut stop = quote.or(v.eq(b'\\'));
        if full {
            stop = stop.or(v.below_or_high(0x20));
        }
        let (quote, stop) = (quote.mask(), stop.mask());
        // Bits up to and including the first stop (all of them if there is none): the first
        // stop is a quote iff a quote is among them, as quotes are stops.
        let upto = stop ^ stop.wrapping_sub(1);
        // The first quote, if it is the first stop.
        let first_quote = NonZeroU32::new(quote & upto)?;
        Some(pos + first_quote.trailing_zeros() as usize)
    }

    /// The first index at or after `i` that is not an ASCII digit, if it is found in 16-byte
    /// blocks that fit in the input; otherwise `Err` with where the blocks stopped (everything
    /// before is digits).
    #[inline(always)]
    pub(in super::super) fn digits(bytes: &[u8], mut i: usize) -> Result<usize, usize> {
        while let Some(v) = Block::load(bytes, i) {
            let not_digit = !v.between(b'0', b'9').mask() & 0xFFFF;
            if not_digit != 0 {
                return Ok(i + not_digit.trailing_zeros() as usize);
            }
            i += 16;
        }
        Err(i)
    }

    /// Bit k set when `bytes[pos + k]` is an ASCII digit, for the 32 bytes at `pos`; `None`
    /// when fewer remain.
    #[inline(always)]
    pub(in super::super) fn digit_mask32(bytes: &[u8], pos: usize) -> Option<u32> {
        let low = Block::load(bytes, pos)?;
        let high = Block::load(bytes, pos + 16)?;
        Some(low.between(b'0', b'9').mask() | high.between(b'0', b'9').mask() << 16)
    }

    /// Structural mode: `bytes[pos]` starts a value. When it is a scalar other than a string,
    /// the index just past it (as `scalar_end` finds it); `None` for strings, containers, empty
    /// scalars, or a control character other than whitespace met in a 16-byte block.
    #[inline(always)]
    pub(in super::super) fn scalar(bytes: &[u8], pos: usize) -> Option<usize> {
        // `[` / `{` and `]` / `}` differ only in bit 0x20, and no other byte folds onto them.
        let first = *bytes.get(pos)?;
        if first == b'"' || first | 0x20 == b'{' {
            return None;
        }
        let mut i = pos;
        while let Some(v) = Block::load(bytes, i) {
            // Candidates: `,` `]` `}` and every byte <= 0x20 (JSON whitespace among them).
            let candidates = v
                .eq(b',')
                .or(v.or(Block::splat(0x20)).eq(b'}'))
                .or(v.at_most(0x20))
                .mask();
            if candidates != 0 {
                let end = i + candidates.trailing_zeros() as usize;
                return (end > pos && SCALAR_END[bytes[end] as usize]).then_some(end);
            }
            i += 16;
        }
        // Fewer than 16 bytes left (the last numbers of an event, before its closing brackets):
        // byte by byte, exactly as the portable code goes on.
        let end = scalar_end(bytes, i);
        (end > pos).then_some(end)
    }

    /// The classes of the 64 bytes of `block`, for the full-mode block validator.
    #[inline(always)]
    pub(in super::super) fn classify64(block: &[u8; 64]) -> Option<Masks> {
        let mut m = Masks::default();
        for lane in 0..4 {
            let v = Block::load(block, 16 * lane)?;
            let shift = 16 * lane;
            // `[` / `{` and `]` / `}` differ only in bit 0x20, and no other byte folds onto them.
            let folded = v.or(Block::splat(0x20));
            m.quote |= u64::from(v.eq(b'"').mask()) << shift;
            m.backslash |= u64::from(v.eq(b'\\').mask()) << shift;
            m.open |= u64::from(folded.eq(b'{').mask()) << shift;
            m.close |= u64::from(folded.eq(b'}').mask()) << shift;
            m.curly |= u64::from(v.eq(b'{').or(v.eq(b'}')).mask()) << shift;
            m.colon |= u64::from(v.eq(b':').mask()) << shift;
            m.comma |= u64::from(v.eq(b',').mask()) << shift;
            m.space |= u64::from(v.eq(b' ').mask()) << shift;
            m.control |= u64::from(v.at_most(0x1f).mask()) << shift;
            m.high |= u64::from(v.mask()) << shift;
            m.digit |= u64::from(v.between(b'0', b'9').mask()) << shift;
            m.zero |= u64::from(v.eq(b'0').mask()) << shift;
            m.minus |= u64::from(v.eq(b'-').mask()) << shift;
            m.plus |= u64::from(v.eq(b'+').mask()) << shift;
            m.dot |= u64::from(v.eq(b'.').mask()) << shift;
            m.exponent |= u64::from(folded.eq(b'e').mask()) << shift;
        }
        Some(m)
    }

    /// Bit masks of the quotes and of the stops among the 64 bytes of `block` (bit i for byte
    /// i): backslashes, and when `full` also bytes below 0x20 or above 0x7f.
    #[inline(always)]
    pub(in super::super) fn quotes64(block: &[u8; 64], full: bool) -> Option<(u64, u64)> {
        let (mut quotes, mut stops) = (0, 0);
        for lane in 0..4 {
            let v = Block::load(block, 16 * lane)?;
            let mut stop = v.eq(b'\\');
            if full {
                stop = stop.or(v.below_or_high(0x20));
            }
            quotes |= u64::from(v.eq(b'"').mask()) << (16 * lane);
            stops |= u64::from(stop.mask()) << (16 * lane);
        }
        Some((quotes, stops))
    }
}

/// No 16-byte vectors on this target: the callers' word-at-a-time loops do all the work.
#[cfg(not(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
mod paths {
    #[inline(always)]
    pub(in super::super) fn plain_string(_: &[u8], _: usize, _: bool) -> Option<usize> {
        None
    }

    #[inline(always)]
    pub(in super::super) fn digits(_: &[u8], i: usize) -> Result<usize, usize> {
        Err(i)
    }

    #[inline(always)]
    pub(in super::super) fn digit_mask32(_: &[u8], _: usize) -> Option<u32> {
        None
    }

    #[inline(always)]
    pub(in super::super) fn scalar(_: &[u8], _: usize) -> Option<usize> {
        None
    }

    #[inline(always)]
    pub(in super::super) fn quotes64(_: &[u8; 64], _: bool) -> Option<(u64, u64)> {
        None
    }

    #[inline(always)]
    pub(in super::super) fn classify64(_: &[u8; 64]) -> Option<super::super::validate::Masks> {
        None
    }
}

pub(super) use paths::{classify64, digit_mask32, digits, plain_string, quotes64, scalar};

/// 16 bytes in an SSE2 register. The intrinsics are `unsafe` only because they need SSE2, which
/// this module is compiled with (it is in the x86_64 baseline).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod lanes {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_min_epu8,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    #[derive(Clone, Copy)]
    pub(super) struct Block(__m128i);

    impl Block {
        /// The 16 bytes at `pos`, or `None` when fewer than 16 remain.
        #[inline(always)]
        pub(super) fn load(bytes: &[u8], pos: usize) -> Option<Block> {
            if pos > bytes.len().checked_sub(16)? {
                return None;
            }
            // SAFETY: `pos + 16 <= bytes.len()` (checked just above), so the 16 bytes the
            // unaligned load reads are inside `bytes`; SSE2 is enabled at compile time.
            Some(Block(unsafe {
                _mm_loadu_si128(bytes.as_ptr().add(pos).cast::<__m128i>())
            }))
        }

        #[inline(always)]
        pub(super) fn splat(b: u8) -> Block {
            // SAFETY: SSE2 is enabled at compile time.
            Block(unsafe { _mm_set1_epi8(b as i8) })
        }

        /// All ones in the bytes equal to `b`.
        #[inline(always)]
        pub(super) fn eq(self, b: u8) -> Block {
            // SAFETY: SSE2 is enabled at compile time.
            Block(unsafe { _mm_cmpeq_epi8(self.0, Block::splat(b).0) })
        }

        /// All ones in the bytes that are below `n` as signed bytes: bytes >= 0x80 and bytes
        /// below `n` (for `n` < 0x80).
        #[inline(always)]
        pub(super) fn below_or_high(self, n: u8) -> Block {
            // SAFETY: SSE2 is enabled at compile time.
            Block(unsafe { _mm_cmplt_epi8(self.0, Block::splat(n).0) })
        }

        /// All ones in the bytes that are at most `n`.
        #[inline(always)]
        pub(super) fn at_most(self, n: u8) -> Block {
            // SAFETY: SSE2 is enabled at compile time.
            Block(unsafe { _mm_cmpeq_epi8(_mm_min_epu8(self.0, Block::splat(n).0), self.0) })
        }

        /// All ones in the bytes from `low` to `high`, both included.
        #[inline(always)]
        pub(super) fn between(self, low: u8, high: u8) -> Block {
            // SAFETY: SSE2 is enabled at compile time.
            Block(unsafe {
                let clamped = _mm_max_epu8(
                    _mm_min_epu8(self.0, Block::splat(high).0),
                    Block::splat(low).0,
                );
                _mm_cmpeq_epi8(clamped, self.0)
            })
        }

        #[inline(always)]
        pub(super) fn or(self, other: Block) -> Block {
            // SAFETY: SSE2 is enabled at compile time.
            Block(unsafe { _mm_or_si128(self.0, other.0) })
        }

        /// Bit i set when byte i has its high bit set.
        #[inline(always)]
        pub(super) fn mask(self) -> u32 {
            // SAFETY: SSE2 is enabled at compile time.
            unsafe { _mm_movemask_epi8(self.0) as u32 }
        }
    }
}

/// 16 bytes in a wasm `v128`, the same operations as the SSE2 `Block` (and tested against the
/// same portable code: `cargo test` cannot run them natively, the WASM corpus run exercises
/// them).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use std::arch::wasm32::{
        i8x16_bitmask, i8x16_eq, i8x16_lt, u8x16_ge, u8x16_le, u8x16_splat, v128, v128_and,
        v128_load, v128_or,
    };

    #[derive(Clone, Copy)]
    pub(super) struct Block(v128);

    impl Block {
        /// The 16 bytes at `pos`, or `None` when fewer than 16 remain.
        #[inline(always)]
        pub(super) fn load(bytes: &[u8], pos: usize) -> Option<Block> {
            if pos > bytes.len().checked_sub(16)? {
                return None;
            }
            // SAFETY: `pos + 16 <= bytes.len()` (checked just above), so the 16 bytes the
            // load reads are inside `bytes`; `v128_load` has no alignment requirement.
            Some(Block(unsafe {
                v128_load(bytes.as_ptr().add(pos).cast::<v128>())
            }))
        }

        #[inline(always)]
        pub(super) fn splat(b: u8) -> Block {
            Block(u8x16_splat(b))
        }

        /// All ones in the bytes equal to `b`.
        #[inline(always)]
        pub(super) fn eq(self, b: u8) -> Block {
            Block(i8x16_eq(self.0, Block::splat(b).0))
        }

        /// All ones in the bytes that are below `n` as signed bytes: bytes >= 0x80 and bytes
        /// below `n` (for `n` < 0x80).
        #[inline(always)]
        pub(super) fn below_or_high(self, n: u8) -> Block {
            Block(i8x16_lt(self.0, Block::splat(n).0))
        }

        /// All ones in the bytes that are at most `n`.
        #[inline(always)]
        pub(super) fn at_most(self, n: u8) -> Block {
            Block(u8x16_le(self.0, Block::splat(n).0))
        }

        /// All ones in the bytes from `low` to `high`, both included.
        #[inline(always)]
        pub(super) fn between(self, low: u8, high: u8) -> Block {
            Block(v128_and(
                u8x16_ge(self.0, Block::splat(low).0),
                u8x16_le(self.0, Block::splat(high).0),
            ))
        }

        #[inline(always)]
        pub(super) fn or(self, other: Block) -> Block {
            Block(v128_or(self.0, other.0))
        }

        /// Bit i set when byte i has its high bit set.
        #[inline(always)]
        pub(super) fn mask(self) -> u32 {
            u32::from(i8x16_bitmask(self.0))
        }
    }
}
