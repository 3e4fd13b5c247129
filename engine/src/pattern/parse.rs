//! Pattern text → [`Pattern`], with AWS's validation and reason strings.
//!
//! event-ruler validates while streaming tokens, so the first problem in document order is the
//! one reported. We walk the parsed tree in the same order and make the same checks in the same
//! sequence, so the same reason comes out. Duplicate keys are kept by our JSON reader, which lets
//! us merge them as event-ruler does: repeated objects merge, a repeated leaf keeps the last value.

use std::collections::BTreeMap;

use super::cidr::{parse_cidr, parse_ip};
use super::complexity::{check_patterns_complexity, ComplexityPattern};
use super::wildcard::Wildcard;
use super::{
    AnythingBut, Bound, FieldCondition, IpRange, Literal, NumericRange, Pattern, SubRule,
    ValueMatcher,
};
use crate::casefold::fold;
use crate::json::{self, Json, JsonError, Number};
use crate::limits::{MAX_DEPTH, MAX_FIELDS_PER_RULE, MAX_PATTERN_BYTES, MAX_SUB_RULES};
use crate::PatternError as E;

const OR: &str = "$or";

/// Names that may not be fields inside a `$or` branch (event-ruler's reserved words).
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

pub(super) fn parse_pattern(text: &[u8]) -> Result<Pattern, E> {
    if text.len() > MAX_PATTERN_BYTES {
        return Err(E::PatternTooLarge {
            len: text.len(),
            max: MAX_PATTERN_BYTES,
        });
    }
    let json = json::parse(text).map_err(|e| match e {
        JsonError::Syntax { offset, reason } => {
            E::Syntax(format!("Invalid JSON at byte {offset}: {reason}"))
        }
        JsonError::TooDeep => E::TooDeep { max: MAX_DEPTH },
    })?;
    let Json::Object(members) = json else {
        return Err(E::NotAnObject);
    };
    let mut compiler = Compiler::default();
    compiler.object(&members, &mut Vec::new(), false)?;
    compiler.finish()
}

/// One sub-rule under construction: path → matchers.
type Draft = BTreeMap<String, Vec<ValueMatcher>>;

#[derive(Default)]
struct Compiler {
    drafts: Vec<Draft>,
}

impl Compiler {
    fn finish(self) -> Result<Pattern, E> {
        check_wildcard_complexity(&self.drafts)?;
        let mut sub_rules = Vec::with_capacity(self.drafts.len());
        for draft in self.drafts {
            if draft.len() > MAX_FIELDS_PER_RULE {
                return Err(E::TooManyFields {
                    max: MAX_FIELDS_PER_RULE,
                });
            }
            let fields = draft
                .into_iter()
                .map(|(path, matchers)| FieldCondition { path, matchers })
                .collect();
            let sub_rule = SubRule { fields };
            // Distinct `$or` branches can flatten to the same conditions; keep one.
            if !sub_rules.contains(&sub_rule) {
                sub_rules.push(sub_rule);
            }
        }
        Ok(Pattern { sub_rules })
    }

    fn object(
        &mut self,
        members: &[(String, Json)],
        path: &mut Vec<String>,
        in_or: bool,
    ) -> Result<(), E> {
        if members.is_empty() {
            return Err(E::EmptyObject);
        }
        for (key, value) in members {
            if key == OR {
                self.or(value, path)?;
                continue;
            }
            if in_or && RESERVED_IN_OR.contains(&key.as_str()) {
                return Err(E::ReservedFieldInOr(key.clone()));
            }
            match value {
                Json::Object(inner) => {
                    path.push(key.clone());
                    self.object(inner, path, in_or)?;
                    path.pop();
                }
                Json::Array(elements) => {
                    let mut full = path.join(".");
                    if !full.is_empty() {
                        full.push('.');
                    }
                    full.push_str(key);
                    self.field(full, elements)?;
                }
                _ => return Err(E::NotObjectOrArray(key.clone())),
            }
        }
        Ok(())
    }

    /// `"$or": [ {..}, {..}, .. ]`: every draft so far forks once per branch.
    fn or(&mut self, value: &Json, path: &mut Vec<String>) -> Result<(), E> {
        let before = std::mem::take(&mut self.drafts);
        let Json::Array(branches) = value else {
            return Err(E::OrNotArray);
        };
        let mut after = Vec::new();
        for branch in branches {
            let Json::Object(members) = branch else {
                return Err(E::OrElementNotObject);
            };
            self.drafts = if before.is_empty() {
                vec![Draft::new()]
            } else {
                before.clone()
            };
            self.object(members, path, true)?;
            after.append(&mut self.drafts);
            if after.len() > MAX_SUB_RULES {
                return Err(E::TooManySubRules { max: MAX_SUB_RULES });
            }
        }
        if branches.len() < 2 {
            return Err(E::OrTooFewObjects);
        }
        self.drafts = after;
        Ok(())
    }

    /// `"path": [ .. ]`: the field's matchers, set (last one wins) in every draft.
    fn field(&mut self, path: String, elements: &[Json]) -> Result<(), E> {
        let mut matchers = Vec::with_capacity(elements.len());
        for element in elements {
            matchers.push(match element {
                Json::Object(members) => match_expression(members)?,
                Json::String(s) => match parse_ip(s) {
                    Some(ip) => ValueMatcher::IpAddress {
                        range: IpRange::single(ip),
                        text: s.clone(),
                    },
                    None => ValueMatcher::Literal(Literal::String(s.clone())),
                },
                Json::Number(n) => ValueMatcher::Literal(Literal::Number(pattern_number(n))),
                Json::Bool(b) => ValueMatcher::Literal(Literal::Bool(*b)),
                Json::Null => ValueMatcher::Literal(Literal::Null),
                Json::Array(_) => return Err(E::BadMatchValue),
            });
        }
        if matchers.is_empty() {
            return Err(E::EmptyArray);
        }
        if self.drafts.is_empty() {
            self.drafts.push(Draft::new());
        }
        for draft in &mut self.drafts {
            draft.insert(path.clone(), matchers.clone());
        }
        Ok(())
    }
}

/// AWS refuses a rule whose wildcards would blow up the automaton. event-ruler judges the whole
/// rule's machine, where every sub-rule's patterns on one path share one value automaton, so the
/// wildcard patterns of a path are gathered across all sub-rules (each distinct one once).
fn check_wildcard_complexity(drafts: &[Draft]) -> Result<(), E> {
    let mut by_path: BTreeMap<&str, Vec<ComplexityPattern<'_>>> = BTreeMap::new();
    for draft in drafts {
        for (path, matchers) in draft {
            for matcher in matchers {
                let pattern = match matcher {
                    ValueMatcher::Wildcard(w) => ComplexityPattern::Wildcard(w),
                    ValueMatcher::AnythingBut(AnythingBut::Wildcards(list)) => {
                        ComplexityPattern::AnythingButWildcard(list)
                    }
                    _ => continue,
                };
                by_path.entry(path).or_default().push(pattern);
            }
        }
    }
    by_path
        .values()
        .try_for_each(|patterns| check_patterns_complexity(patterns))
}

/// What event-ruler's parser reports as "the current text" of a token.
fn token_text(value: Option<&Json>) -> String {
    match value {
        None => "]".into(),
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.text().into(),
        Some(Json::Bool(b)) => b.to_string(),
        Some(Json::Null) => "null".into(),
        Some(Json::Array(_)) => "[".into(),
        Some(Json::Object(_)) => "{".into(),
    }
}

/// Refuse a second key after a complete match expression.
fn only_one_key(members: &[(String, Json)], error: E) -> Result<(), E> {
    if members.len() > 1 {
        Err(error)
    } else {
        Ok(())
    }
}

fn string_arg<'a>(value: &'a Json, op: &'static str) -> Result<&'a str, E> {
    match value {
        Json::String(s) => Ok(s),
        _ => Err(E::MustBeString(op)),
    }
}

/// A pattern number as it is compared: by value only when binary64 holds it as written.
fn pattern_number(n: &Number) -> Number {
    n.clone().comparable_only()
}

/// A binary64 value for a numeric context; numbers binary64 cannot hold as written are refused.
fn finite(n: &Number) -> Result<f64, E> {
    pattern_number(n)
        .value()
        .ok_or_else(|| E::NotComparable(n.text().into()))
}

/// `{ "op": arg }` inside a field's array.
fn match_expression(members: &[(String, Json)]) -> Result<ValueMatcher, E> {
    let Some((op, arg)) = members.first() else {
        return Err(E::MatchExpressionNameNotFound);
    };
    let matcher = match op.as_str() {
        "exactly" => ValueMatcher::Literal(Literal::String(string_arg(arg, "exact")?.into())),
        "prefix" | "suffix" => return affix(op == "prefix", arg, members),
        "numeric" => {
            let Json::Array(terms) = arg else {
                return Err(E::NumericNotArray);
            };
            let range = numeric(terms)?;
            only_one_key(members, E::TooManyElementsInNumeric)?;
            return Ok(ValueMatcher::Numeric(range));
        }
        "anything-but" => return anything_but(arg, members),
        "exists" => match arg {
            Json::Bool(b) => ValueMatcher::Exists(*b),
            _ => return Err(E::ExistsNotBoolean),
        },
        // An AWS quirk: a non-string cidr argument reports the prefix message.
        "cidr" => {
            let text = string_arg(arg, "prefix")?;
            ValueMatcher::Cidr {
                range: parse_cidr(text)?,
                text: text.into(),
            }
        }
        "equals-ignore-case" => {
            ValueMatcher::EqualsIgnoreCase(fold(string_arg(arg, "equals-ignore-case")?))
        }
        "wildcard" => ValueMatcher::Wildcard(Wildcard::parse(string_arg(arg, "wildcard")?)?),
        _ => return Err(E::UnrecognizedMatchType(op.clone())),
    };
    only_one_key(members, E::OnlyOneKey)?;
    Ok(matcher)
}

/// `{"prefix": "x"}`, `{"prefix": {"equals-ignore-case": "x"}}`, and the suffix forms.
fn affix(is_prefix: bool, arg: &Json, members: &[(String, Json)]) -> Result<ValueMatcher, E> {
    let matcher = match arg {
        Json::Object(inner) => {
            let Some((inner_op, inner_arg)) = inner.first() else {
                return Err(if is_prefix {
                    E::PrefixExpressionNameNotFound
                } else {
                    E::SuffixExpressionNameNotFound
                });
            };
            if inner_op != "equals-ignore-case" {
                return Err(if is_prefix {
                    E::UnsupportedPrefixPattern(inner_op.clone())
                } else {
                    E::UnsupportedSuffixPattern(inner_op.clone())
                });
            }
            let folded = fold(string_arg(inner_arg, "equals-ignore-case")?);
            only_one_key(inner, E::OnlyOneKey)?;
            if is_prefix {
                ValueMatcher::PrefixIgnoreCase(folded)
            } else {
                ValueMatcher::SuffixIgnoreCase(folded)
            }
        }
        Json::String(s) if is_prefix => ValueMatcher::Prefix(s.clone()),
        Json::String(s) => ValueMatcher::Suffix(s.clone()),
        _ => return Err(E::MustBeString(if is_prefix { "prefix" } else { "suffix" })),
    };
    only_one_key(members, E::OnlyOneKey)?;
    Ok(matcher)
}

/// The terms of `{"numeric": [ .. ]}`.
fn numeric(terms: &[Json]) -> Result<NumericRange, E> {
    let Some(Json::String(op)) = terms.first() else {
        return Err(E::InvalidNumericMember(token_text(terms.first())));
    };
    let value = terms.get(1);
    let number = |name: &str| match value {
        Some(Json::Number(n)) => finite(n),
        _ => Err(E::NumericValueNotNumeric(name.into())),
    };
    let (low, high) = match op.as_str() {
        "=" => {
            let v = number("equals")?;
            only_up_to(terms, 2, E::TooManyElementsInNumeric)?;
            (Bound::Inclusive(v), Bound::Inclusive(v))
        }
        ">=" | ">" => {
            let v = number(op)?;
            let low = if op == ">" {
                Bound::Exclusive(v)
            } else {
                Bound::Inclusive(v)
            };
            if terms.len() == 2 {
                (low, Bound::Unbounded)
            } else {
                (low, numeric_top(v, &terms[2..])?)
            }
        }
        "<=" | "<" => {
            let v = number(op)?;
            only_up_to(terms, 2, E::TooManyElementsInNumeric)?;
            let high = if op == "<" {
                Bound::Exclusive(v)
            } else {
                Bound::Inclusive(v)
            };
            (Bound::Unbounded, high)
        }
        _ => return Err(E::UnrecognizedNumericOperator(op.clone())),
    };
    Ok(NumericRange { low, high })
}

/// The `"<", hi` half of a range whose bottom is `low`.
fn numeric_top(low: f64, terms: &[Json]) -> Result<Bound, E> {
    let Some(Json::String(op)) = terms.first() else {
        return Err(E::BadNumericRangeValue(token_text(terms.first())));
    };
    if op != "<" && op != "<=" {
        return Err(E::BadNumericRangeOperator(op.clone()));
    }
    let high = match terms.get(1) {
        Some(Json::Number(n)) => finite(n)?,
        _ => return Err(E::NumericValueNotNumeric(op.clone())),
    };
    only_up_to(terms, 2, E::TooManyTermsInNumericRange)?;
    if low >= high {
        return Err(E::BottomNotBelowTop);
    }
    Ok(if op == "<" {
        Bound::Exclusive(high)
    } else {
        Bound::Inclusive(high)
    })
}

fn only_up_to(terms: &[Json], n: usize, error: E) -> Result<(), E> {
    if terms.len() > n {
        Err(error)
    } else {
        Ok(())
    }
}

/// Which set an `anything-but` object form excludes.
#[derive(Clone, Copy, PartialEq)]
enum SetKind {
    IgnoreCase,
    Prefix,
    Suffix,
    Wildcard,
}

fn anything_but(arg: &Json, members: &[(String, Json)]) -> Result<ValueMatcher, E> {
    let (kind, value, inner) = match arg {
        Json::Object(inner) => {
            let Some((op, value)) = inner.first() else {
                return Err(E::AnythingButExpressionNameNotFound);
            };
            let kind = match op.as_str() {
                "equals-ignore-case" => SetKind::IgnoreCase,
                "prefix" => SetKind::Prefix,
                "suffix" => SetKind::Suffix,
                "wildcard" => SetKind::Wildcard,
                _ => return Err(E::UnsupportedAnythingBut(op.clone())),
            };
            (Some(kind), value, inner.as_slice())
        }
        _ => (None, arg, &[][..]),
    };
    if !matches!(value, Json::Array(_) | Json::String(_) | Json::Number(_)) {
        return Err(E::AnythingButValue);
    }
    let values = match value {
        Json::Array(list) => list.as_slice(),
        _ => std::slice::from_ref(value),
    };
    let exclusions = match kind {
        None => plain_exclusions(values)?,
        Some(kind) => set_exclusions(kind, values)?,
    };
    only_one_key(inner, E::TooManyElementsInNumeric)?;
    only_one_key(members, E::TooManyElementsInNumeric)?;
    Ok(ValueMatcher::AnythingBut(exclusions))
}

/// `{"anything-but": "x" | 5 | ["x", "y"] | [1, 2]}`.
fn plain_exclusions(values: &[Json]) -> Result<AnythingBut, E> {
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    for value in values {
        match value {
            Json::String(s) => strings.push(s.clone()),
            Json::Number(n) => {
                finite(n)?;
                numbers.push(pattern_number(n));
            }
            _ => return Err(E::AnythingButListType),
        }
    }
    match (strings.is_empty(), numbers.is_empty()) {
        (false, true) => Ok(AnythingBut::Strings(strings)),
        (true, false) => Ok(AnythingBut::Numbers(numbers)),
        _ => Err(E::AnythingButMixedTypes),
    }
}

/// `{"anything-but": {"prefix"|"suffix"|"equals-ignore-case"|"wildcard": "x" | ["x", ..]}}`.
fn set_exclusions(kind: SetKind, values: &[Json]) -> Result<AnythingBut, E> {
    let mut texts = Vec::with_capacity(values.len());
    for value in values {
        let Json::String(s) = value else {
            return Err(match kind {
                SetKind::IgnoreCase => E::AnythingButIgnoreCaseType,
                SetKind::Wildcard => E::MustBeString("wildcard"),
                SetKind::Prefix | SetKind::Suffix => E::PrefixSuffixMustBeString,
            });
        };
        if s.is_empty() && matches!(kind, SetKind::Prefix | SetKind::Suffix) {
            return Err(E::NullPrefixSuffix);
        }
        texts.push(s.as_str());
    }
    // event-ruler crashes on an empty set; we refuse it clearly.
    if texts.is_empty() {
        return Err(E::EmptyArray);
    }
    let owned = || texts.iter().map(|s| s.to_string()).collect();
    Ok(match kind {
        SetKind::IgnoreCase => AnythingBut::IgnoreCase(texts.iter().map(|s| fold(s)).collect()),
        SetKind::Prefix => AnythingBut::Prefixes(owned()),
        SetKind::Suffix => AnythingBut::Suffixes(owned()),
        SetKind::Wildcard => AnythingBut::Wildcards(
            texts
                .iter()
                .map(|s| Wildcard::parse(s))
                .collect::<Result<_, _>>()?,
        ),
    })
}
