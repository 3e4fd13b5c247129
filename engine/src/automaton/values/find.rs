//! Finding the condition an identical field condition shares (see `automaton::identity`):
//! through the entry of its one matcher, or by canonical form.

use super::{add_bytes, Bytes, FieldMachine, Outs};
use crate::automaton::Out;
use crate::pattern::{Literal, ValueMatcher};

impl FieldMachine {
    /// The condition registered here by a field condition of the one matcher `matcher`, if
    /// `candidate` accepts it (it checks that a condition has one matcher and is live): the
    /// condition an identical field condition shares. Found where `matcher` would be inserted,
    /// at no cost in memory: such a condition's output comes first in its entry (see
    /// [`FieldMachine::insert`]); a wildcard with a star is looked for among the first
    /// [`WILDCARDS_SEARCHED`] wildcards of each trie node it could hang on. Only the kinds
    /// [`is_found_in_place`] accepts.
    pub(crate) fn find_single(
        &self,
        matcher: &ValueMatcher,
        candidate: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let first = |outs: &[Out]| match outs.first() {
            Some(&Out::Cond(c)) if candidate(c) => Some(c),
            _ => None,
        };
        let entry =
            |outs: Option<&Outs>| outs.and_then(|outs| first(&[outs.first(&self.out_lists)]));
        match matcher {
            ValueMatcher::Literal(Literal::String(s)) => {
                entry(self.exact.get(Bytes::new(s.as_bytes())))
            }
            ValueMatcher::Prefix(p) => first(self.prefixes.outputs_of(p.bytes())),
            ValueMatcher::Suffix(p) => first(self.suffixes.outputs_of(p.bytes().rev())),
            ValueMatcher::EqualsIgnoreCase(p) => {
                entry(self.folded_exact.get(Bytes::new(p.as_bytes())))
            }
            ValueMatcher::Wildcard(w) => {
                let pieces = w.pieces();
                let (start, end) = (&pieces[0], &pieces[pieces.len() - 1]);
                if pieces.len() == 1 {
                    return entry(self.exact.get(Bytes::new(start.as_bytes())));
                }
                // Hung at the node of its literal start or of its literal end.
                let hung = |outs: &[Out]| {
                    (outs.iter())
                        .filter_map(|out| match *out {
                            Out::Wildcard(id) => self.wildcards[id as usize].as_ref(),
                            _ => None,
                        })
                        .take(WILDCARDS_SEARCHED)
                        .find_map(|(other, then)| match *then {
                            Out::Cond(c) if other.source() == w.source() && candidate(c) => Some(c),
                            _ => None,
                        })
                };
                hung(self.prefixes.outputs_of(start.bytes()))
                    .or_else(|| hung(self.suffixes.outputs_of(end.bytes().rev())))
            }
            _ => None,
        }
    }

    /// The condition registered under canonical form `key`, if `candidate` (live) accepts it.
    pub(crate) fn find_keyed(&self, key: &[u8], candidate: impl Fn(u32) -> bool) -> Option<u32> {
        match self.keyed.get(Bytes::new(key))?.first(&self.out_lists) {
            Out::Cond(c) if candidate(c) => Some(c),
            _ => None,
        }
    }

    /// Register `cond` under canonical form `key`.
    pub(crate) fn insert_keyed(&mut self, key: &[u8], cond: u32) {
        add_bytes(
            &mut self.keyed,
            &mut self.out_lists,
            key,
            Out::Cond(cond),
            true,
        );
    }
}

/// How many of the wildcards waiting at a trie node [`FieldMachine::find_single`] compares: a
/// bound on the cost of adding one, past which an identical wildcard may go unshared.
const WILDCARDS_SEARCHED: usize = 64;

/// Is an identical one-matcher field condition found through the entries of `matcher`
/// ([`FieldMachine::find_single`])? Strings, prefixes, suffixes, `equals-ignore-case` and
/// wildcards with a literal end: the kinds fan-outs share, found at no cost in memory. Others are
/// found by canonical form (`identity`), or, ranges, not shared (they are looked up by value,
/// not by bounds).
pub(crate) fn is_found_in_place(matcher: &ValueMatcher) -> bool {
    match matcher {
        ValueMatcher::Literal(Literal::String(_))
        | ValueMatcher::Prefix(_)
        | ValueMatcher::Suffix(_)
        | ValueMatcher::EqualsIgnoreCase(_) => true,
        ValueMatcher::Wildcard(w) => {
            let pieces = w.pieces();
            pieces.len() == 1 || !(pieces[0].is_empty() && pieces[pieces.len() - 1].is_empty())
        }
        _ => false,
    }
}
