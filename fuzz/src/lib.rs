//! The logic of evmatch's fuzz targets, as plain functions of the fuzzer's bytes.
//!
//! Each cargo-fuzz target in `fuzz_targets/` is one line calling one of these functions, so a
//! crashing input replays on stable with an ordinary test (`tests/regressions.rs`), without
//! libFuzzer or nightly flags. Every function panics on a finding and returns quietly otherwise.
//!
//! - [`parse_pattern`]: bytes as pattern text. Parsing and `add_rule` never panic and agree; a
//!   parsed pattern's canonical text (`Display`) parses back into an equal pattern.
//! - [`match_event`]: bytes as an event, against a fixed rule set using every operator. The
//!   [`Matcher`](evmatch::Matcher) agrees with the reference interpreter, exactly, under
//!   `Validation::Full`; under `Validation::Structural` on events known to be clean.
//! - [`differential`]: bytes → (small pattern ASTs, small event ASTs) via `arbitrary`, rendered to
//!   JSON text; matcher vs reference.
//! - [`rule_changes`]: bytes → a sequence of add / delete / match operations on one matcher
//!   against a model of the live rules.
//! - [`validate`]: bytes as a JSON document through the full-mode validators alone: the
//!   skipper and the block validator against the strict reader.

mod check;
mod differential;
mod json_text;
mod match_event;
mod parse_pattern;
mod rule_changes;
pub mod seeds;
mod validate;

pub use differential::differential;
pub use match_event::{match_event, RULES as MATCH_EVENT_RULES};
pub use parse_pattern::parse_pattern;
pub use rule_changes::rule_changes;
pub use validate::validate;

/// A target's function: the fuzzer's bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// Every target: its name (the directory name under `fuzz/seeds/`, `fuzz/regressions/`,
/// `fuzz/corpus/`) and its function.
pub const TARGETS: &[(&str, Target)] = &[
    ("parse_pattern", parse_pattern),
    ("match_event", match_event),
    ("differential", differential),
    ("rule_changes", rule_changes),
    ("validate", validate),
];
