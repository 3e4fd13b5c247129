//! [`Pattern`] → canonical JSON text, parseable back into an equal pattern.
//!
//! The canonical form is the normal form evmatch works on: one object per sub-rule (fields sorted,
//! dotted paths), joined by a top-level `$or` when there are several. Case-insensitive arguments
//! come out folded.

use std::fmt::{self, Display, Formatter, Write};

use super::cidr::parse_ip;
use super::{AnythingBut, Bound, Literal, NumericRange, Pattern, SubRule, ValueMatcher};

impl Display for Pattern {
    /// Writes the canonical JSON form. One limit: `$or` branches may not test a field named like
    /// an operator (`prefix`, `numeric`, ...), so such a pattern with several sub-rules writes out
    /// text that does not parse back.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.sub_rules.as_slice() {
            [only] => write_sub_rule(f, only),
            rules => {
                f.write_str("{\"$or\":[")?;
                for (i, rule) in rules.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_sub_rule(f, rule)?;
                }
                f.write_str("]}")
            }
        }
    }
}

fn write_sub_rule(f: &mut Formatter<'_>, rule: &SubRule) -> fmt::Result {
    f.write_char('{')?;
    for (i, field) in rule.fields.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write_string(f, &field.path)?;
        f.write_str(":[")?;
        for (j, matcher) in field.matchers.iter().enumerate() {
            if j > 0 {
                f.write_char(',')?;
            }
            write_matcher(f, matcher)?;
        }
        f.write_char(']')?;
    }
    f.write_char('}')
}

fn write_matcher(f: &mut Formatter<'_>, matcher: &ValueMatcher) -> fmt::Result {
    match matcher {
        ValueMatcher::Literal(Literal::String(s)) if parse_ip(s).is_some() => {
            // Written plainly it would read back as an IP address match.
            operator(f, "exactly", |f| write_string(f, s))
        }
        ValueMatcher::Literal(Literal::String(s)) => write_string(f, s),
        ValueMatcher::Literal(Literal::Number(n)) => f.write_str(n.text()),
        ValueMatcher::Literal(Literal::Bool(b)) => write!(f, "{b}"),
        ValueMatcher::Literal(Literal::Null) => f.write_str("null"),
        ValueMatcher::IpAddress { text, .. } => write_string(f, text),
        ValueMatcher::Prefix(s) => operator(f, "prefix", |f| write_string(f, s)),
        ValueMatcher::Suffix(s) => operator(f, "suffix", |f| write_string(f, s)),
        ValueMatcher::PrefixIgnoreCase(s) => operator(f, "prefix", |f| ignore_case(f, s)),
        ValueMatcher::SuffixIgnoreCase(s) => operator(f, "suffix", |f| ignore_case(f, s)),
        ValueMatcher::EqualsIgnoreCase(s) => {
            operator(f, "equals-ignore-case", |f| write_string(f, s))
        }
        ValueMatcher::Wildcard(w) => operator(f, "wildcard", |f| write_string(f, w.source())),
        ValueMatcher::AnythingBut(exclusions) => {
            operator(f, "anything-but", |f| write_exclusions(f, exclusions))
        }
        ValueMatcher::Numeric(range) => operator(f, "numeric", |f| write_range(f, range)),
        ValueMatcher::Exists(b) => operator(f, "exists", |f| write!(f, "{b}")),
        ValueMatcher::Cidr { text, .. } => operator(f, "cidr", |f| write_string(f, text)),
    }
}

fn operator(
    f: &mut Formatter<'_>,
    name: &str,
    arg: impl FnOnce(&mut Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    write!(f, "{{\"{name}\":")?;
    arg(f)?;
    f.write_char('}')
}

fn ignore_case(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    operator(f, "equals-ignore-case", |f| write_string(f, s))
}

fn write_exclusions(f: &mut Formatter<'_>, exclusions: &AnythingBut) -> fmt::Result {
    let strings = |f: &mut Formatter<'_>, list: &mut dyn Iterator<Item = &str>| {
        f.write_char('[')?;
        for (i, s) in list.enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            write_string(f, s)?;
        }
        f.write_char(']')
    };
    match exclusions {
        AnythingBut::Strings(list) => strings(f, &mut list.iter().map(String::as_str)),
        AnythingBut::Numbers(list) => {
            f.write_char('[')?;
            for (i, n) in list.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                f.write_str(n.text())?;
            }
            f.write_char(']')
        }
        AnythingBut::Prefixes(list) => operator(f, "prefix", |f| {
            strings(f, &mut list.iter().map(String::as_str))
        }),
        AnythingBut::Suffixes(list) => operator(f, "suffix", |f| {
            strings(f, &mut list.iter().map(String::as_str))
        }),
        AnythingBut::IgnoreCase(list) => operator(f, "equals-ignore-case", |f| {
            strings(f, &mut list.iter().map(String::as_str))
        }),
        AnythingBut::Wildcards(list) => operator(f, "wildcard", |f| {
            strings(f, &mut list.iter().map(|w| w.source()))
        }),
    }
}

fn write_range(f: &mut Formatter<'_>, range: &NumericRange) -> fmt::Result {
    // `{:?}` prints the shortest text that reads back as the same binary64 value.
    match (range.low, range.high) {
        (Bound::Inclusive(a), Bound::Inclusive(b)) if a == b => write!(f, "[\"=\",{a:?}]"),
        (low, high) => {
            f.write_char('[')?;
            let mut first = true;
            for (op, value) in [bound_term(low, ">=", ">"), bound_term(high, "<=", "<")]
                .into_iter()
                .flatten()
            {
                if !first {
                    f.write_char(',')?;
                }
                first = false;
                write!(f, "\"{op}\",{value:?}")?;
            }
            f.write_char(']')
        }
    }
}

fn bound_term(
    bound: Bound,
    inclusive: &'static str,
    exclusive: &'static str,
) -> Option<(&'static str, f64)> {
    match bound {
        Bound::Unbounded => None,
        Bound::Inclusive(v) => Some((inclusive, v)),
        Bound::Exclusive(v) => Some((exclusive, v)),
    }
}

/// A JSON string literal; serde_json does the escaping.
fn write_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str(&serde_json::Value::from(s).to_string())
}
