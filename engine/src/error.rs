//! Errors: why a pattern is refused, and why an event cannot be read.
//!
//! [`PatternError`]'s `Display` is exactly the reason AWS EventBridge gives (event-ruler's
//! `JsonRuleCompiler` strings), so a caller can print
//! `Event pattern is not valid. Reason: {err}` and match AWS byte for byte.

use thiserror::Error;

/// Why a pattern is not valid. `Display` is AWS's reason string.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The text is not JSON (the wording is ours; AWS reports its parser's message).
    #[error("{0}")]
    Syntax(String),
    #[error("Filter is not an object")]
    NotAnObject,
    #[error("\"{0}\" must be an object or an array")]
    NotObjectOrArray(String),
    #[error("Empty objects are not allowed")]
    EmptyObject,
    #[error("Empty arrays are not allowed")]
    EmptyArray,
    #[error("Match value must be String, number, true, false, or null")]
    BadMatchValue,
    #[error("Match expression name not found")]
    MatchExpressionNameNotFound,
    #[error("Only one key allowed in match expression")]
    OnlyOneKey,
    #[error("Unrecognized match type {0}")]
    UnrecognizedMatchType(String),
    /// `{op} match pattern must be a string`, for exact, prefix, suffix, equals-ignore-case and
    /// wildcard (and, as an AWS quirk, cidr reports the prefix form).
    #[error("{0} match pattern must be a string")]
    MustBeString(&'static str),
    #[error("prefix/suffix match pattern must be a string")]
    PrefixSuffixMustBeString,
    #[error("Prefix expression name not found")]
    PrefixExpressionNameNotFound,
    #[error("Suffix expression name not found")]
    SuffixExpressionNameNotFound,
    #[error("Unsupported prefix pattern: {0}")]
    UnsupportedPrefixPattern(String),
    #[error("Unsupported suffix pattern: {0}")]
    UnsupportedSuffixPattern(String),
    #[error("Value of numeric must be an array.")]
    NumericNotArray,
    #[error("Invalid member in numeric match: {0}")]
    InvalidNumericMember(String),
    /// `Value of {op} must be numeric`; the `=` operator reports `equals`.
    #[error("Value of {0} must be numeric")]
    NumericValueNotNumeric(String),
    #[error("Unrecognized numeric range operator: {0}")]
    UnrecognizedNumericOperator(String),
    #[error("Bad value in numeric range: {0}")]
    BadNumericRangeValue(String),
    #[error("Bad numeric range operator: {0}")]
    BadNumericRangeOperator(String),
    #[error("Too many terms in numeric range expression")]
    TooManyTermsInNumericRange,
    #[error("Too many elements in numeric expression")]
    TooManyElementsInNumeric,
    #[error("Bottom must be less than top")]
    BottomNotBelowTop,
    /// A number where a comparable value is needed that binary64 cannot hold as written (`1e400`,
    /// `12345678901234567890`).
    #[error("Cannot compare number : {0}")]
    NotComparable(String),
    #[error("Anything-But expression name not found")]
    AnythingButExpressionNameNotFound,
    #[error("Unsupported anything-but pattern: {0}")]
    UnsupportedAnythingBut(String),
    #[error("Value of anything-but must be an array or single string/number value.")]
    AnythingButValue,
    #[error("Inside anything but list, start|null|boolean is not supported.")]
    AnythingButListType,
    #[error(
        "Inside anything but list, either all values are number or string, mixed type is not supported"
    )]
    AnythingButMixedTypes,
    #[error(
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
    )]
    AnythingButIgnoreCaseType,
    #[error("Null prefix/suffix not allowed")]
    NullPrefixSuffix,
    #[error("exists match pattern must be either true or false.")]
    ExistsNotBoolean,
    #[error("Malformed CIDR, one '/' required")]
    CidrSlash,
    #[error("Malformed CIDR, mask bits must be an integer")]
    CidrMaskNotInteger,
    #[error("Malformed CIDR, mask bits must not be negative")]
    CidrMaskNegative,
    #[error("IPv4 mask bits must be < 32")]
    CidrIpv4Mask,
    #[error("IPv6 mask bits must be < 128")]
    CidrIpv6Mask,
    #[error("Nonstandard IP address: {0}")]
    NonstandardIp(String),
    #[error("Invalid IP address: {0}")]
    InvalidIp(String),
    #[error("It must be an Array followed with $or.")]
    OrNotArray,
    #[error("Only JSON object is allowed in array of $or relationship.")]
    OrElementNotObject,
    #[error("There must have at least 2 Objects in $or relationship.")]
    OrTooFewObjects,
    #[error("{0} is Ruler reserved fieldName which cannot be used inside $or.")]
    ReservedFieldInOr(String),
    /// `pos` counts as event-ruler does.
    #[error("Invalid escape character at pos {0}")]
    WildcardInvalidEscape(usize),
    #[error("Consecutive wildcard characters at pos {0}")]
    WildcardConsecutive(usize),
    #[error(
        "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character"
    )]
    TooComplex,
    /// One (sub-)rule names more fields than event-ruler allows.
    #[error("Too many fields in one rule: at most {max} are allowed")]
    TooManyFields { max: usize },
    /// `$or` branches multiply; past this many combinations the pattern is refused.
    #[error("Too many $or combinations: the pattern expands to more than {max} sub-rules")]
    TooManySubRules { max: usize },
    /// The pattern text is larger than [`crate::limits::MAX_PATTERN_BYTES`].
    #[error("Pattern is too large: {len} bytes, at most {max} are allowed")]
    PatternTooLarge { len: usize, max: usize },
    /// Nesting deeper than [`crate::limits::MAX_DEPTH`].
    #[error("Pattern is nested too deeply: at most {max} levels are allowed")]
    TooDeep { max: usize },
}

/// Why an event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EventError {
    /// Not well-formed JSON (or not UTF-8); `offset` is the byte where reading stopped.
    #[error("invalid JSON at byte {offset}: {reason}")]
    Syntax { offset: usize, reason: &'static str },
    /// Valid JSON, but not an object.
    #[error("event is not a JSON object")]
    NotAnObject,
    /// Nesting deeper than [`crate::limits::MAX_DEPTH`].
    #[error("event is nested too deeply: at most {max} levels are allowed")]
    TooDeep { max: usize },
    /// The event is larger than [`crate::limits::MAX_EVENT_BYTES`].
    #[error("event is too large: {len} bytes, at most {max} are allowed")]
    TooLarge { len: usize, max: usize },
}
