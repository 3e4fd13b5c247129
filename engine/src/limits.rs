//! Bounds on what evmatch reads. Each is checked and reported with a typed error.

/// Deepest nesting of objects and arrays accepted in an event or a pattern (Jackson's default,
/// which AWS runs on).
pub const MAX_DEPTH: usize = 1000;

/// Largest pattern text accepted, in bytes.
pub const MAX_PATTERN_BYTES: usize = 64 * 1024;

/// Largest event accepted, in bytes (AWS caps PutEvents entries at 256 KiB; we allow more).
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// Most fields one sub-rule may test (event-ruler's limit).
pub const MAX_FIELDS_PER_RULE: usize = 256;

/// Most sub-rules one pattern may expand to through `$or`.
pub const MAX_SUB_RULES: usize = 1024;
