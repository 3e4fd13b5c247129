//! Target `validate`: arbitrary bytes as a JSON document, through the full-mode validators
//! alone (no rules). The skipper gives exactly `json::parse`'s verdict (offset and reason
//! included), and the block validator (AVX-512, AVX2 and portable) accepts a container only
//! when the byte-by-byte validator and `json::parse` do, ending it at the same place.

/// Panics on a disagreement.
pub fn validate(data: &[u8]) {
    if let Err(disagreement) = evmatch::__fuzz_validate(data) {
        panic!(
            "{disagreement} on {:?}",
            String::from_utf8_lossy(&data[..data.len().min(2000)])
        );
    }
}
