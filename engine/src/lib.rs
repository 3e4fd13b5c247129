//! evmatch matches JSON events against [AWS EventBridge event patterns], with EventBridge's exact
//! semantics.
//!
//! ```
//! use evmatch::Matcher;
//!
//! let mut matcher = Matcher::new();
//! matcher.add_rule("stopped-ec2", r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}}"#)?;
//! matcher.add_rule("big-objects", r#"{"detail": {"object": {"size": [{"numeric": [">", 1048576]}]}}}"#)?;
//!
//! let event = br#"{"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification",
//!                  "detail": {"instance-id": "i-0123", "state": "stopped"}}"#;
//! assert_eq!(matcher.matches(event)?, ["stopped-ec2"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A pattern that EventBridge would refuse is refused with EventBridge's own reason:
//!
//! ```
//! let err = evmatch::Pattern::parse(r#"{"detail": {"state": [{"numeric": [">", 5, "<", 1]}]}}"#).unwrap_err();
//! assert_eq!(err.to_string(), "Bottom must be less than top");
//! ```
//!
//! # The pipeline
//!
//! parse → compile → read → decide:
//!
//! - **parse** (`pattern`): text → [`Pattern`], validated with AWS's reasons, `$or` expanded into
//!   sub-rules.
//! - **compile** (`automaton`): every rule of a [`Matcher`] is merged into one automaton: a trie
//!   of the field paths rules test, and per path one value automaton shared by all rules on it
//!   (hash probe for exact values, byte tries for prefixes and suffixes, the same on case-folded
//!   text, wildcards hung off their literal ends, numbers and IP addresses as interval indexes
//!   over order-preserving codes, `anything-but` as exclusions).
//! - **read** (`scan`): the event's bytes are read once, guided by the path trie; a key no rule
//!   uses is skipped with its value, unread (SIMD where available).
//! - **decide** (`automaton::evaluate`): conditions are counted per sub-rule; array consistency
//!   (`automaton::consistency`, bottom-up over the tree of array elements) and `exists: false`
//!   are checked where the event calls for it.
//!
//! [`Pattern::matches`] runs the reference interpreter instead (module `reference`): plain,
//! slow and obviously correct, it defines what "match" means, and the automaton is tested
//! against it.
//!
//! # Matching many events
//!
//! [`Matcher::matches`] allocates only its result. On a hot path, keep a [`Scratch`] and a
//! result vector and use [`Matcher::matches_with`]: once warm, it allocates nothing, and it
//! prefetches the bytes after the event, which are the next events' when a stream is matched
//! from one buffer. [`Matcher::matches_batch`] does the same over a batch of events wherever
//! they are in memory and prefetches upcoming ones, which pays when the batch is bigger than the
//! caches. A
//! [`SharedMatcher`] is matched from many threads while rules change; see its docs for the
//! concurrency model. [`Validation`] chooses between checking every byte of every event (the
//! default) and reading only what the rules need.
//!
//! # Semantics in brief
//!
//! Fields AND, array elements OR; event arrays match if any element does, and fields taken from
//! inside one array of objects must come from the same element. Strings match strings, numbers
//! match numbers by binary64 value (`300` = `3.0e2`), `null` matches only null. Operators:
//! `prefix`, `suffix` (and their `equals-ignore-case` forms), `equals-ignore-case` (Unicode case
//! folding on both sides), `wildcard`, `anything-but` (value, list, prefix, suffix,
//! equals-ignore-case, wildcard), `numeric`, `exists`, `cidr`, `$or`. A string literal that is an
//! IP address matches that address in any spelling; a `cidr` block is a network, so host bits
//! written into its address are ignored (`10.0.0.5/24` covers 10.0.0.0–10.0.0.255); IPv4 octets
//! are one to three decimal digits, leading zeros allowed (`010.000.000.001` is 10.0.0.1), in
//! events and patterns alike. Where event-ruler (the engine inside EventBridge) is inconsistent we
//! do the consistent thing; the README lists each case.
//!
//! # Limits
//!
//! Inputs are bounded (see [`limits`]): nesting depth, pattern and event size, fields per rule,
//! `$or` expansion. Exceeding one is a typed error, never a panic.
//!
//! [AWS EventBridge event patterns]: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html

mod automaton;
mod casefold;
mod error;
mod json;
pub mod limits;
mod matcher;
mod pattern;
mod prefetch;
mod reference;
mod scan;
mod shared;
mod sort;

pub use error::{EventError, PatternError};
pub use matcher::{Matcher, MatcherBuilder, Scratch, Validation};
pub use pattern::Pattern;
pub use shared::{SharedMatcher, Snapshot};

/// For the fuzz target `validate` (`fuzz/`), not part of the API: the full-mode validators
/// against the strict reader on `bytes` as a JSON document; `Err` describes a disagreement.
#[doc(hidden)]
pub fn __fuzz_validate(bytes: &[u8]) -> Result<(), String> {
    scan::check_against_json_parse(bytes)
}
