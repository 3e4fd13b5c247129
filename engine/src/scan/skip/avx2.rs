//! The x86_64 structural container skipper: 64 bytes at a time with AVX2, PCLMULQDQ and POPCNT,
//! detected at run time. A simdjson-style kernel: bitmasks of quotes, backslashes and brackets;
//! escapes by the odd-backslash-run trick; strings by a carry-less-multiply prefix XOR; depth by
//! popcounts, walking bits only when the container may close or get too deep in the block.

use super::validate::{validate_blocks, Classify, Masks};
use super::{error, ScanError, END_OF_INPUT, UNTERMINATED_STRING};
use std::arch::x86_64::{
    __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_max_epu8, _mm256_min_epu8,
    _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm256_sub_epi8, _mm_clmulepi64_si128,
    _mm_cvtsi128_si64, _mm_set1_epi8, _mm_set_epi64x,
};
use std::sync::atomic::{AtomicU8, Ordering};

pub(super) use super::validate::escaped_bytes;

/// State of the block-at-a-time container skipper between 64-byte blocks.
struct BlockState {
    /// Open containers, the skipped one included.
    nest: usize,
    /// All ones when the previous block ended inside a string.
    in_string: u64,
    /// 1 when the previous block ended with an escaping backslash.
    escape_carry: u64,
}

impl BlockState {
    /// The quotes of a block that delimit strings (not escaped), and the escaped bytes.
    #[inline(always)]
    fn real_quotes(&mut self, quote: u64, backslash: u64) -> (u64, u64) {
        let escaped = escaped_bytes(backslash, &mut self.escape_carry);
        (quote & !escaped, escaped)
    }

    /// Follows the brackets of a block. `quotes_prefix_xor` has bit i set when an odd number of
    /// the block's real quotes are at or before byte i. Returns the index in the block just past
    /// the container's closing bracket, if it is in this block.
    #[inline(always)]
    fn brackets(
        &mut self,
        quotes_prefix_xor: u64,
        escaped: u64,
        open: u64,
        close: u64,
        room: usize,
    ) -> Result<Option<usize>, ScanError> {
        // Bit i set: byte i is inside a string (opening quote included, closing one not).
        let in_string = quotes_prefix_xor ^ self.in_string;
        self.in_string = ((in_string as i64) >> 63) as u64;
        let live = !(in_string | escaped);
        let open = open & live;
        let close = close & live;
        let opens = open.count_ones() as usize;
        let closes = close.count_ones() as usize;
        if closes < self.nest && self.nest + opens <= room {
            // Neither closing nor too deep anywhere in this block.
            self.nest = self.nest + opens - closes;
            return Ok(None);
        }
        let mut brackets = open | close;
        while brackets != 0 {
            let bit = brackets & brackets.wrapping_neg();
            if open & bit != 0 {
                self.nest += 1;
                if self.nest > room {
                    return Err(ScanError::TooDeep);
                }
            } else {
                self.nest -= 1;
                if self.nest == 0 {
                    return Ok(Some(bit.trailing_zeros() as usize + 1));
                }
            }
            brackets ^= bit;
        }
        Ok(None)
    }

    /// The error for input that ends before the container does.
    fn end_of_input(&self, len: usize) -> ScanError {
        if self.in_string != 0 {
            error(len, UNTERMINATED_STRING)
        } else {
            error(len, END_OF_INPUT)
        }
    }
}

/// The answer of a CPU feature probe, found once and then remembered.
pub(super) struct Detected(AtomicU8);

impl Detected {
    pub(super) const fn new() -> Self {
        Detected(AtomicU8::new(0))
    }

    /// `probe`'s answer, running it only the first time (0: not probed yet, 1: no, 2: yes).
    #[inline]
    pub(super) fn get(&self, probe: impl FnOnce() -> bool) -> bool {
        match self.0.load(Ordering::Relaxed) {
            2 => true,
            1 => false,
            _ => {
                let yes = probe();
                self.0.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
                yes
            }
        }
    }
}

/// AVX2, PCLMULQDQ and POPCNT.
static AVAILABLE: Detected = Detected::new();

#[inline]
fn available() -> bool {
    AVAILABLE.get(|| {
        // Every AVX2 CPU has POPCNT, but it is a feature of its own: without it enabled the
        // depth counts compile to a dozen-instruction bit-twiddling sequence each.
        std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("pclmulqdq")
            && std::is_x86_feature_detected!("popcnt")
    })
}

/// The AVX2 container skipper, or `None` when the CPU lacks AVX2, PCLMULQDQ or POPCNT.
#[inline]
pub(super) fn skip_container(
    bytes: &[u8],
    start: usize,
    room: usize,
) -> Option<Result<usize, ScanError>> {
    if !available() {
        return None;
    }
    // SAFETY: the CPU supports AVX2, PCLMULQDQ and POPCNT (checked just above), the only
    // requirement of calling a function compiled with those features.
    Some(unsafe { skip_container_avx2(bytes, start, room) })
}

/// Bitmasks of one 64-byte block (bit i is byte i): quotes, backslashes, `{[`, `}]`.
#[target_feature(enable = "avx2")]
#[inline]
fn classify(block: &[u8; 64]) -> (u64, u64, u64, u64) {
    // SAFETY: both 32-byte unaligned loads are inside `block` (offsets 0 and 32 of 64).
    let (lo, hi) = unsafe {
        (
            _mm256_loadu_si256(block.as_ptr().cast::<__m256i>()),
            _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>()),
        )
    };
    let mask = |lo: __m256i, hi: __m256i| {
        let lo = _mm256_movemask_epi8(lo) as u32 as u64;
        let hi = _mm256_movemask_epi8(hi) as u32 as u64;
        lo | (hi << 32)
    };
    let quote = _mm256_set1_epi8(b'"' as i8);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    // `[` / `{` and `]` / `}` differ only in bit 0x20, and no other byte folds onto them.
    let fold = _mm256_set1_epi8(0x20);
    let open = _mm256_set1_epi8(b'{' as i8);
    let close = _mm256_set1_epi8(b'}' as i8);
    let (lo_folded, hi_folded) = (_mm256_or_si256(lo, fold), _mm256_or_si256(hi, fold));
    (
        mask(_mm256_cmpeq_epi8(lo, quote), _mm256_cmpeq_epi8(hi, quote)),
        mask(
            _mm256_cmpeq_epi8(lo, backslash),
            _mm256_cmpeq_epi8(hi, backslash),
        ),
        mask(
            _mm256_cmpeq_epi8(lo_folded, open),
            _mm256_cmpeq_epi8(hi_folded, open),
        ),
        mask(
            _mm256_cmpeq_epi8(lo_folded, close),
            _mm256_cmpeq_epi8(hi_folded, close),
        ),
    )
}

/// Bit i of the result is the XOR of bits 0..=i of `x`: a carry-less multiply by all ones.
#[target_feature(enable = "pclmulqdq")]
#[inline]
pub(super) fn prefix_xor(x: u64) -> u64 {
    let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
    _mm_cvtsi128_si64(product) as u64
}

#[target_feature(enable = "avx2,pclmulqdq,popcnt")]
fn skip_container_avx2(bytes: &[u8], start: usize, room: usize) -> Result<usize, ScanError> {
    let mut state = BlockState {
        nest: 1,
        in_string: 0,
        escape_carry: 0,
    };
    let mut i = start;
    let mut padded: [u8; 64];
    loop {
        let rest = bytes.get(i..).unwrap_or_default();
        let block: &[u8; 64] = match rest.first_chunk() {
            Some(block) => block,
            None => {
                // The last, partial block: zero padding holds no quote, backslash or bracket.
                if rest.is_empty() {
                    break;
                }
                padded = [0u8; 64];
                padded[..rest.len()].copy_from_slice(rest);
                &padded
            }
        };
        let (quote, backslash, open, close) = classify(block);
        let (quotes, escaped) = state.real_quotes(quote, backslash);
        let in_string = prefix_xor(quotes);
        if let Some(end) = state.brackets(in_string, escaped, open, close, room)? {
            return Ok(i + end);
        }
        i += 64;
    }
    Err(state.end_of_input(bytes.len()))
}

/// AVX2, PCLMULQDQ, POPCNT and BMI1.
static VALIDATOR_AVAILABLE: Detected = Detected::new();

#[inline]
fn validator_available() -> bool {
    VALIDATOR_AVAILABLE.get(|| available() && std::is_x86_feature_detected!("bmi1"))
}

/// The full-mode block validator ([`super::validate`]) with AVX2 classification and a
/// carry-less-multiply prefix XOR, or `None` when the CPU lacks AVX2, PCLMULQDQ, POPCNT or BMI1.
#[inline]
pub(super) fn validate_container(bytes: &[u8], start: usize, room: usize) -> Option<Option<usize>> {
    if !validator_available() {
        return None;
    }
    // SAFETY: the CPU supports AVX2, PCLMULQDQ, POPCNT and BMI1 (checked just above), the only
    // requirement of calling a function compiled with those features.
    Some(unsafe { validate_avx2(bytes, start, room) })
}

#[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
fn validate_avx2(bytes: &[u8], start: usize, room: usize) -> Option<usize> {
    validate_blocks::<Avx2>(bytes, start, room)
}

/// Two 32-bit movemasks as one 64-bit mask.
#[inline(always)]
fn join(lo: i32, hi: i32) -> u64 {
    lo as u32 as u64 | (hi as u32 as u64) << 32
}

/// The classes of 32 bytes as 32-bit masks (see [`Masks`]; `control` is complemented).
#[inline(always)]
unsafe fn classes(v: __m256i) -> [i32; 16] {
    let eq = |b: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8));
    // `[` / `{`, `]` / `}` and `E` / `e` differ only in bit 0x20, and no other byte folds onto
    // them.
    let folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
    let folded_eq = |b: u8| _mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b as i8));
    // max(v, 0x20) == v iff v >= 0x20.
    let printable = _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8(0x20)), v);
    // v - '0' <= 9 (unsigned) iff v is a digit: min(v - '0', 9) == v - '0'.
    let shifted = _mm256_sub_epi8(v, _mm256_set1_epi8(b'0' as i8));
    let digit = _mm256_cmpeq_epi8(_mm256_min_epu8(shifted, _mm256_set1_epi8(9)), shifted);
    [
        _mm256_movemask_epi8(eq(b'"')),
        _mm256_movemask_epi8(eq(b'\\')),
        _mm256_movemask_epi8(folded_eq(b'{')),
        _mm256_movemask_epi8(folded_eq(b'}')),
        _mm256_movemask_epi8(_mm256_or_si256(eq(b'{'), eq(b'}'))),
        _mm256_movemask_epi8(eq(b':')),
        _mm256_movemask_epi8(eq(b',')),
        _mm256_movemask_epi8(eq(b' ')),
        _mm256_movemask_epi8(printable),
        _mm256_movemask_epi8(v),
        _mm256_movemask_epi8(digit),
        _mm256_movemask_epi8(eq(b'0')),
        _mm256_movemask_epi8(eq(b'-')),
        _mm256_movemask_epi8(eq(b'+')),
        _mm256_movemask_epi8(eq(b'.')),
        _mm256_movemask_epi8(folded_eq(b'e')),
    ]
}

/// AVX2 classification: 32 bytes per instruction. Only ever inlined into [`validate_avx2`],
/// which is compiled with AVX2 and PCLMULQDQ.
struct Avx2;

impl Classify for Avx2 {
    #[inline(always)]
    fn classify(block: &[u8; 64]) -> Option<Masks> {
        // SAFETY: only called from `validate_avx2`, compiled with AVX2 (and run only when the
        // CPU has it); both 32-byte unaligned loads are inside `block`.
        unsafe {
            let lo = _mm256_loadu_si256(block.as_ptr().cast::<__m256i>());
            let hi = _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>());
            let (l, h) = (classes(lo), classes(hi));
            Some(Masks {
                quote: join(l[0], h[0]),
                backslash: join(l[1], h[1]),
                open: join(l[2], h[2]),
                close: join(l[3], h[3]),
                curly: join(l[4], h[4]),
                colon: join(l[5], h[5]),
                comma: join(l[6], h[6]),
                space: join(l[7], h[7]),
                control: !join(l[8], h[8]),
                high: join(l[9], h[9]),
                digit: join(l[10], h[10]),
                zero: join(l[11], h[11]),
                minus: join(l[12], h[12]),
                plus: join(l[13], h[13]),
                dot: join(l[14], h[14]),
                exponent: join(l[15], h[15]),
            })
        }
    }

    #[inline(always)]
    fn prefix_xor(x: u64) -> u64 {
        // SAFETY: only called from `validate_avx2`, compiled with PCLMULQDQ.
        unsafe { prefix_xor(x) }
    }
}
