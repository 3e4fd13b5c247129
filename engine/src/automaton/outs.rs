//! The outputs of one hash-map entry of a value automaton (an exact string, a number) in 8
//! bytes.
//!
//! Nearly every key belongs to one condition, so one output is kept in place; only a key that
//! several conditions share (a popular value in a fan-out) keeps a list, in its machine's
//! [`OutLists`]. At 100,000 exact rules on a field this is 16 bytes less per rule than a small
//! vector (24 bytes) in every table slot.

use super::Out;

/// One output, or the index of a list in an [`OutLists`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outs(u64);

/// The flag of a list index; otherwise bits 32-33 are the output's kind and bits 0-31 its id.
const LIST: u64 = 1 << 63;

/// The lists of keys with several outputs, and the free slots among them.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutLists {
    lists: Vec<Vec<Out>>,
    free: Vec<u32>,
}

impl Outs {
    pub(crate) fn one(out: Out) -> Outs {
        Outs(match out {
            Out::Cond(id) => u64::from(id),
            Out::Exclude(id) => 1 << 32 | u64::from(id),
            Out::Wildcard(id) => 2 << 32 | u64::from(id),
        })
    }

    /// The output kept in place, if it is one.
    #[inline]
    fn single(self) -> Option<Out> {
        if self.0 & LIST != 0 {
            return None;
        }
        let id = self.0 as u32;
        Some(match self.0 >> 32 {
            0 => Out::Cond(id),
            1 => Out::Exclude(id),
            _ => Out::Wildcard(id),
        })
    }

    fn list(self) -> usize {
        (self.0 & !LIST) as usize
    }

    /// Add `out`, after the others or, if `first`, before them.
    pub(crate) fn push(&mut self, out: Out, lists: &mut OutLists, first: bool) {
        match self.single() {
            Some(old) => {
                let list = if first {
                    vec![out, old]
                } else {
                    vec![old, out]
                };
                let index = match lists.free.pop() {
                    Some(index) => {
                        lists.lists[index as usize] = list;
                        index
                    }
                    None => {
                        lists.lists.push(list);
                        (lists.lists.len() - 1) as u32
                    }
                };
                *self = Outs(LIST | u64::from(index));
            }
            None => {
                let list = &mut lists.lists[self.list()];
                list.insert(if first { 0 } else { list.len() }, out);
            }
        }
    }

    #[inline]
    pub(crate) fn for_each(self, lists: &OutLists, mut f: impl FnMut(&Out)) {
        match self.single() {
            Some(out) => f(&out),
            None => lists.lists[self.list()].iter().for_each(f),
        }
    }

    /// The first output.
    pub(crate) fn first(self, lists: &OutLists) -> Out {
        match self.single() {
            Some(out) => out,
            None => lists.lists[self.list()][0],
        }
    }

    /// Keeps the outputs `keep` accepts; returns whether any is left (if not, the entry goes).
    pub(crate) fn retain(&mut self, lists: &mut OutLists, keep: impl Fn(&Out) -> bool) -> bool {
        if let Some(out) = self.single() {
            return keep(&out);
        }
        let index = self.list();
        let list = &mut lists.lists[index];
        list.retain(|out| keep(out));
        match list.as_slice() {
            [] | [_] => {
                let last = list.pop();
                lists.lists[index] = Vec::new();
                lists.free.push(index as u32);
                match last {
                    Some(out) => {
                        *self = Outs::one(out);
                        true
                    }
                    None => false,
                }
            }
            _ => true,
        }
    }
}

impl OutLists {
    /// No list is in use (after a sweep that dropped the last shared key).
    pub(crate) fn clear_if_unused(&mut self) {
        if self.free.len() == self.lists.len() {
            self.lists.clear();
            self.free.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(outs: Outs, lists: &OutLists) -> Vec<Out> {
        let mut seen = Vec::new();
        outs.for_each(lists, |out| seen.push(*out));
        seen
    }

    #[test]
    fn one_output_in_place_more_in_a_list() {
        let mut lists = OutLists::default();
        for out in [Out::Cond(0), Out::Exclude(u32::MAX), Out::Wildcard(7)] {
            assert_eq!(collect(Outs::one(out), &lists), [out]);
        }
        let mut outs = Outs::one(Out::Cond(1));
        outs.push(Out::Exclude(2), &mut lists, false);
        outs.push(Out::Wildcard(3), &mut lists, false);
        assert_eq!(
            collect(outs, &lists),
            [Out::Cond(1), Out::Exclude(2), Out::Wildcard(3)]
        );
        // Down to one output: back in place, and the list slot is free for the next key.
        assert!(outs.retain(&mut lists, |out| matches!(out, Out::Exclude(_))));
        assert_eq!(outs, Outs::one(Out::Exclude(2)));
        let mut other = Outs::one(Out::Cond(4));
        other.push(Out::Cond(5), &mut lists, true);
        assert_eq!(collect(other, &lists), [Out::Cond(5), Out::Cond(4)]);
        assert_eq!(lists.lists.len(), 1, "the freed slot was reused");
        assert!(!other.retain(&mut lists, |_| false));
        assert!(!outs.retain(&mut lists, |_| false));
        lists.clear_if_unused();
        assert!(lists.lists.is_empty() && lists.free.is_empty());
    }
}
