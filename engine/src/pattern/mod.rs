//! The pattern language: a validated, typed form of an EventBridge event pattern.
//!
//! A [`Pattern`] is in disjunctive normal form, as event-ruler compiles it: a list of sub-rules
//! (one per combination of `$or` branches), each a set of field conditions that must all hold;
//! a field condition is a list of value matchers of which one must hold.

mod cased;
pub(crate) mod cidr;
mod complexity;
mod parse;
pub(crate) mod wildcard;
mod write;

use crate::casefold::fold;
use crate::json::Number;
use crate::{EventError, PatternError};

pub(crate) use cidr::IpRange;
pub(crate) use wildcard::Wildcard;

/// A parsed, validated EventBridge event pattern.
///
/// ```
/// use evmatch::Pattern;
///
/// let pattern = Pattern::parse(r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}}"#)?;
/// assert!(pattern.matches(br#"{"source": "aws.ec2", "detail": {"state": "stopped"}}"#)?);
/// assert!(!pattern.matches(br#"{"source": "aws.ec2", "detail": {"state": "running"}}"#)?);
///
/// let err = Pattern::parse(r#"{"source": "aws.ec2"}"#).unwrap_err();
/// assert_eq!(err.to_string(), r#""source" must be an object or an array"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub(crate) sub_rules: Vec<SubRule>,
}

/// Conditions that must all hold. Fields are sorted by path, each path once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SubRule {
    pub(crate) fields: Vec<FieldCondition>,
}

/// The condition on one field path: any of `matchers` may hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldCondition {
    /// Keys from the event root joined by `.` (`{"a":{"b":..}}` and `{"a.b":..}` are one path).
    pub(crate) path: String,
    pub(crate) matchers: Vec<ValueMatcher>,
}

/// One entry of a field's array in the pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueMatcher {
    /// A literal string, number, true, false or null, matched exactly (numbers by value).
    Literal(Literal),
    /// A string literal that is an IP address: matches the same address in any spelling.
    IpAddress {
        range: IpRange,
        text: String,
    },
    Prefix(String),
    Suffix(String),
    /// The argument is stored case-folded.
    PrefixIgnoreCase(String),
    /// The argument is stored case-folded.
    SuffixIgnoreCase(String),
    /// The argument is stored case-folded.
    EqualsIgnoreCase(String),
    Wildcard(Wildcard),
    AnythingBut(AnythingBut),
    Numeric(NumericRange),
    Exists(bool),
    /// `text` is the argument as written.
    Cidr {
        range: IpRange,
        text: String,
    },
}

/// A literal value in a pattern.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    String(String),
    Number(Number),
    Bool(bool),
    Null,
}

/// The exclusions of an `anything-but`: the field must be present and hit none of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AnythingBut {
    Strings(Vec<String>),
    Numbers(Vec<Number>),
    Prefixes(Vec<String>),
    Suffixes(Vec<String>),
    /// Stored case-folded.
    IgnoreCase(Vec<String>),
    Wildcards(Vec<Wildcard>),
}

/// A `numeric` condition: an interval over binary64, either end possibly open or absent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NumericRange {
    pub(crate) low: Bound,
    pub(crate) high: Bound,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bound {
    Unbounded,
    Inclusive(f64),
    Exclusive(f64),
}

/// A scalar value of an event, as the matchers see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    String(&'a str),
    Number(&'a Number),
    Bool(bool),
    Null,
}

impl Pattern {
    /// Parse and validate a pattern. The error's `Display` is AWS's reason string.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        parse::parse_pattern(text.as_bytes())
    }

    /// Parse a pattern given as a `serde_json::Value`.
    ///
    /// A `Value` has already lost what its text said twice (duplicate keys) and numbers beyond
    /// binary64; use [`Pattern::parse`] on the original text where it matters.
    pub fn from_value(value: &serde_json::Value) -> Result<Pattern, PatternError> {
        if crate::json::too_deep(value) {
            return Err(PatternError::TooDeep {
                max: crate::limits::MAX_DEPTH,
            });
        }
        parse::parse_pattern(value.to_string().as_bytes())
    }

    /// Does this pattern match `event` (a JSON object)? Evaluated by the reference interpreter.
    pub fn matches(&self, event: &[u8]) -> Result<bool, EventError> {
        Ok(crate::reference::Event::parse(event)?.matches(self))
    }
}

impl ValueMatcher {
    /// Does this matcher accept the scalar `value` on its own? `Exists(false)` never does: it is
    /// satisfied by the absence of a value, which only the caller can judge.
    pub(crate) fn accepts(&self, value: Scalar<'_>) -> bool {
        match (self, value) {
            (ValueMatcher::Exists(exists), _) => *exists,
            (ValueMatcher::Literal(literal), value) => literal.equals(value),
            (ValueMatcher::AnythingBut(exclusions), value) => !exclusions.excludes(value),
            (ValueMatcher::Numeric(range), Scalar::Number(n)) => {
                n.value().is_some_and(|v| range.contains(v))
            }
            (_, Scalar::String(s)) => self.accepts_string(s),
            _ => false,
        }
    }

    fn accepts_string(&self, s: &str) -> bool {
        match self {
            ValueMatcher::IpAddress { range, .. } | ValueMatcher::Cidr { range, .. } => {
                range.contains_text(s)
            }
            ValueMatcher::Prefix(p) => s.starts_with(p.as_str()),
            ValueMatcher::Suffix(p) => s.ends_with(p.as_str()),
            ValueMatcher::PrefixIgnoreCase(p) => fold(s).starts_with(p.as_str()),
            ValueMatcher::SuffixIgnoreCase(p) => fold(s).ends_with(p.as_str()),
            ValueMatcher::EqualsIgnoreCase(p) => fold(s) == *p,
            ValueMatcher::Wildcard(w) => w.matches(s),
            _ => false,
        }
    }
}

impl Literal {
    fn equals(&self, value: Scalar<'_>) -> bool {
        match (self, value) {
            (Literal::String(a), Scalar::String(b)) => a == b,
            (Literal::Number(a), Scalar::Number(b)) => a.same_as(b),
            (Literal::Bool(a), Scalar::Bool(b)) => *a == b,
            (Literal::Null, Scalar::Null) => true,
            _ => false,
        }
    }
}

impl AnythingBut {
    /// Is `value` one of the excluded values? Values of another type are never excluded.
    fn excludes(&self, value: Scalar<'_>) -> bool {
        match (self, value) {
            (AnythingBut::Numbers(list), Scalar::Number(n)) => list.iter().any(|x| x.same_as(n)),
            (AnythingBut::Strings(list), Scalar::String(s)) => list.iter().any(|x| x == s),
            (AnythingBut::Prefixes(list), Scalar::String(s)) => {
                list.iter().any(|p| s.starts_with(p.as_str()))
            }
            (AnythingBut::Suffixes(list), Scalar::String(s)) => {
                list.iter().any(|p| s.ends_with(p.as_str()))
            }
            (AnythingBut::IgnoreCase(list), Scalar::String(s)) => list.contains(&fold(s)),
            (AnythingBut::Wildcards(list), Scalar::String(s)) => list.iter().any(|w| w.matches(s)),
            _ => false,
        }
    }
}

impl NumericRange {
    pub(crate) fn contains(&self, v: f64) -> bool {
        let above_low = match self.low {
            Bound::Unbounded => true,
            Bound::Inclusive(low) => v >= low,
            Bound::Exclusive(low) => v > low,
        };
        let below_high = match self.high {
            Bound::Unbounded => true,
            Bound::Inclusive(high) => v <= high,
            Bound::Exclusive(high) => v < high,
        };
        above_low && below_high
    }
}
