//! The reference interpreter: what "match" means, written to be obviously correct.
//!
//! It is the oracle that the compiled automaton, the property tests and the fuzzers are checked
//! against, so it favours clarity over speed: the event is flattened into leaves, and each
//! sub-rule is decided by a plain backtracking search over them.
//!
//! Definitions:
//! - A *leaf* is a scalar (string, number, true, false, null) in the event, with its *path* (the
//!   object keys from the root joined by `.`; array levels add nothing) and its *membership*: for
//!   every array on the way down, which array and which index.
//! - Two memberships are *consistent* when they agree on the index of every array both go through.
//!   Array consistency (event-ruler's `rulesForJSONEvent`): the leaves one sub-rule picks must be
//!   pairwise consistent, so fields taken from inside one array of objects come from one element.
//! - A field condition holds by a leaf at its path that some matcher accepts, or — when it lists
//!   `{"exists": false}` — by there being no leaf at its path consistent with the leaves picked for
//!   the other fields. (event-ruler checks absence in field-name order against the leaves picked
//!   so far, which makes the answer depend on how fields are named; we judge it against the whole
//!   pick.)
//! - A sub-rule holds when all its field conditions hold together; a pattern, when a sub-rule does.

use std::collections::BTreeMap;

use crate::json::{self, Json, JsonError};
use crate::limits::{MAX_DEPTH, MAX_EVENT_BYTES};
use crate::pattern::{FieldCondition, Pattern, Scalar, SubRule, ValueMatcher};
use crate::EventError;

/// Which array (numbered in document order) and which index in it.
type Membership = Vec<(usize, usize)>;

struct Leaf {
    value: Json,
    membership: Membership,
}

/// An event, flattened into leaves grouped by path.
pub(crate) struct Event {
    leaves: BTreeMap<String, Vec<Leaf>>,
}

impl Event {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Event, EventError> {
        if bytes.len() > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge {
                len: bytes.len(),
                max: MAX_EVENT_BYTES,
            });
        }
        let json = json::parse(bytes).map_err(|e| match e {
            JsonError::Syntax { offset, reason } => EventError::Syntax { offset, reason },
            JsonError::TooDeep => EventError::TooDeep { max: MAX_DEPTH },
        })?;
        if !matches!(json, Json::Object(_)) {
            return Err(EventError::NotAnObject);
        }
        let mut event = Event {
            leaves: BTreeMap::new(),
        };
        let mut arrays = 0;
        event.flatten(
            json,
            &mut String::new(),
            false,
            &mut Vec::new(),
            &mut arrays,
        );
        Ok(event)
    }

    /// `keyed`: some key lies on the path so far. Keys are joined by dots even when empty, so
    /// `{"": {"a": 1}}` is path `.a` (event-ruler names event fields this way), while the root
    /// adds no dot.
    fn flatten(
        &mut self,
        value: Json,
        path: &mut String,
        keyed: bool,
        membership: &mut Membership,
        arrays: &mut usize,
    ) {
        match value {
            Json::Object(members) => {
                for (key, value) in members {
                    let len = path.len();
                    if keyed {
                        path.push('.');
                    }
                    path.push_str(&key);
                    self.flatten(value, path, true, membership, arrays);
                    path.truncate(len);
                }
            }
            Json::Array(elements) => {
                let array = *arrays;
                *arrays += 1;
                for (index, element) in elements.into_iter().enumerate() {
                    // Only containers are tied to their index: a scalar element carries no
                    // array-consistency constraint (event-ruler gives membership to objects and
                    // arrays in an array, not to scalars).
                    let tied = matches!(element, Json::Object(_) | Json::Array(_));
                    if tied {
                        membership.push((array, index));
                    }
                    self.flatten(element, path, keyed, membership, arrays);
                    if tied {
                        membership.pop();
                    }
                }
            }
            scalar => self.leaves.entry(path.clone()).or_default().push(Leaf {
                value: scalar,
                membership: membership.clone(),
            }),
        }
    }

    pub(crate) fn matches(&self, pattern: &Pattern) -> bool {
        pattern
            .sub_rules
            .iter()
            .any(|rule| self.matches_sub_rule(rule))
    }

    fn matches_sub_rule(&self, rule: &SubRule) -> bool {
        self.search(&rule.fields, &Vec::new(), &mut Vec::new())
    }

    /// Can `fields` all hold, given the leaves picked so far (`picked`) and the paths that must
    /// end up absent (`absent`)?
    fn search<'a>(
        &self,
        fields: &'a [FieldCondition],
        picked: &Membership,
        absent: &mut Vec<&'a str>,
    ) -> bool {
        let Some((field, rest)) = fields.split_first() else {
            return absent.iter().all(|path| self.absent(path, picked));
        };
        for leaf in self.leaves_at(&field.path) {
            if consistent(picked, &leaf.membership)
                && field
                    .matchers
                    .iter()
                    .any(|m| m.accepts(scalar(&leaf.value)))
                && self.search(rest, &merge(picked, &leaf.membership), absent)
            {
                return true;
            }
        }
        if field.matchers.contains(&ValueMatcher::Exists(false)) {
            absent.push(&field.path);
            let found = self.search(rest, picked, absent);
            absent.pop();
            return found;
        }
        false
    }

    fn leaves_at(&self, path: &str) -> &[Leaf] {
        self.leaves.get(path).map_or(&[], Vec::as_slice)
    }

    fn absent(&self, path: &str, picked: &Membership) -> bool {
        !self
            .leaves_at(path)
            .iter()
            .any(|leaf| consistent(picked, &leaf.membership))
    }
}

fn scalar(value: &Json) -> Scalar<'_> {
    match value {
        Json::String(s) => Scalar::String(s),
        Json::Number(n) => Scalar::Number(n),
        Json::Bool(b) => Scalar::Bool(*b),
        // Leaves are scalars by construction.
        _ => Scalar::Null,
    }
}

fn consistent(a: &Membership, b: &Membership) -> bool {
    a.iter()
        .all(|(array, index)| b.iter().all(|(other, i)| other != array || i == index))
}

fn merge(a: &Membership, b: &Membership) -> Membership {
    let mut merged = a.clone();
    merged.extend(b.iter().filter(|entry| !a.contains(entry)));
    merged
}

#[cfg(test)]
mod tests {
    use crate::Pattern;

    fn matches(pattern: &str, event: &str) -> bool {
        Pattern::parse(pattern)
            .unwrap()
            .matches(event.as_bytes())
            .unwrap()
    }

    #[test]
    fn array_consistency() {
        let rule = r#"{"employees":{"first":["Anna"],"last":["Jones"]}}"#;
        let split =
            r#"{"employees":[{"first":"Anna","last":"Smith"},{"first":"Bob","last":"Jones"}]}"#;
        let together =
            r#"{"employees":[{"first":"Bob","last":"Smith"},{"first":"Anna","last":"Jones"}]}"#;
        assert!(!matches(rule, split));
        assert!(matches(rule, together));
    }

    #[test]
    fn absence_is_judged_against_the_whole_pick() {
        // Element 1 has y=1 and no x, whatever the field names' order.
        let event = r#"{"a":[{"x":5},{"y":1}]}"#;
        assert!(matches(r#"{"a":{"x":[{"exists":false}],"y":[1]}}"#, event));
        assert!(matches(r#"{"a":{"z":[{"exists":false}],"y":[1]}}"#, event));
        assert!(!matches(
            r#"{"a":{"x":[{"exists":false}],"y":[5]}}"#,
            r#"{"a":[{"x":5,"y":5}]}"#
        ));
        // With no other field to anchor it, any x anywhere is presence.
        assert!(!matches(r#"{"a":{"x":[{"exists":false}]}}"#, event));
    }

    #[test]
    fn exists_needs_a_leaf() {
        assert!(matches(r#"{"a":[{"exists":true}]}"#, r#"{"a":null}"#));
        assert!(!matches(r#"{"a":[{"exists":true}]}"#, r#"{"a":{"b":1}}"#));
        assert!(!matches(r#"{"a":[{"exists":true}]}"#, r#"{"a":[]}"#));
        assert!(matches(r#"{"a":[{"exists":false}]}"#, r#"{"a":[]}"#));
        assert!(matches(r#"{"a":[{"exists":false}]}"#, r#"{"b":1}"#));
    }

    #[test]
    fn dotted_keys_are_paths() {
        assert!(matches(r#"{"a.b":["x"]}"#, r#"{"a":{"b":"x"}}"#));
        assert!(matches(r#"{"a":{"b":["x"]}}"#, r#"{"a.b":"x"}"#));
    }
}
