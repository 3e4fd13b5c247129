//! The field-level trie: the paths some rule tests, split into their `.`-separated segments.
//!
//! The event reader walks it key by key: a key with no node is skipped unread, a node with a
//! field id is a field whose values go to that field's value automaton. `{"a": {"b": 1}}` and
//! `{"a.b": 1}` reach the same node because event keys are split on dots too.

use super::arena::Arena;
use super::{same_bytes, FastMap};

#[derive(Debug, Clone, Default)]
struct Node {
    children: Children,
    /// Which bytes start some child's segment (a 256-bit set): most keys an event holds are
    /// turned away by one bit test, before any comparison.
    first_bytes: [u64; 4],
    /// The field at exactly this path, if some rule tests it.
    field: Option<u32>,
    /// Uses of paths at this node and below; the node is freed when it drops to zero.
    uses: u32,
    /// Uses of the path ending exactly here; the field is dropped when it drops to zero.
    field_uses: u32,
    parent: u32,
}

/// Few children are searched in a list (cheaper than hashing short keys); many, in a map.
#[derive(Debug, Clone)]
enum Children {
    Few(Vec<(Box<[u8]>, u32)>),
    Many(FastMap<Box<[u8]>, u32>),
}

impl Default for Children {
    fn default() -> Self {
        Children::Few(Vec::new())
    }
}

const MANY: usize = 12;

impl Children {
    #[inline(always)]
    fn get(&self, segment: &[u8]) -> Option<u32> {
        match self {
            Children::Few(list) => list
                .iter()
                .find(|(s, _)| same_bytes(s, segment))
                .map(|&(_, id)| id),
            Children::Many(map) => map.get(segment).copied(),
        }
    }

    /// The child whose segment is followed by a dot at the start of `key`, and what follows
    /// the dot.
    #[inline]
    fn split_first_segment<'k>(&self, key: &'k [u8]) -> Option<(u32, &'k [u8])> {
        match self {
            Children::Few(list) => list.iter().find_map(|(segment, id)| {
                let n = segment.len();
                (key.len() > n && key[n] == b'.' && same_bytes(&key[..n], segment))
                    .then(|| (*id, &key[n + 1..]))
            }),
            Children::Many(map) => {
                let dot = key.iter().position(|&b| b == b'.')?;
                map.get(&key[..dot]).map(|&id| (id, &key[dot + 1..]))
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Children::Few(list) => list.len(),
            Children::Many(map) => map.len(),
        }
    }

    fn insert(&mut self, segment: &[u8], id: u32) {
        match self {
            Children::Few(list) if list.len() < MANY => list.push((segment.into(), id)),
            Children::Few(list) => {
                let mut map: FastMap<Box<[u8]>, u32> = list.drain(..).collect();
                map.insert(segment.into(), id);
                *self = Children::Many(map);
            }
            Children::Many(map) => {
                map.insert(segment.into(), id);
            }
        }
    }

    fn first_bytes(&self) -> [u64; 4] {
        let mut set = [0u64; 4];
        let mut add = |segment: &[u8]| {
            let first = segment.first().copied().unwrap_or(b'.');
            set[usize::from(first >> 6)] |= 1 << (first & 63);
        };
        match self {
            Children::Few(list) => list.iter().for_each(|(s, _)| add(s)),
            Children::Many(map) => map.keys().for_each(|s| add(s)),
        }
        set
    }

    fn remove(&mut self, id: u32) {
        match self {
            Children::Few(list) => list.retain(|&(_, c)| c != id),
            Children::Many(map) => map.retain(|_, c| *c != id),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PathTrie {
    nodes: Arena<Node>,
}

pub(crate) const ROOT: u32 = 0;

/// A node of the trie, for stepping from it by the keys of one event object.
#[derive(Clone, Copy)]
pub(crate) struct Level<'a> {
    trie: &'a PathTrie,
    node: &'a Node,
}

impl Level<'_> {
    /// The node reached by `key`, which may hold dots (several segments), and whether it is a
    /// direct child (a key without dots).
    #[inline(always)]
    pub(crate) fn step(&self, key: &[u8]) -> Option<(u32, bool)> {
        let node = self.node;
        // The first segment starts with the key's first byte; an empty key or segment is
        // recorded as byte `.`, which no non-empty segment starts with.
        let first = key.first().copied().unwrap_or(b'.');
        if node.first_bytes[usize::from(first >> 6)] & (1 << (first & 63)) == 0 {
            return None;
        }
        // The commonest case, a key that is a child's whole segment among a few children, is
        // decided here: a call would cost more than the comparisons.
        if let Children::Few(list) = &node.children {
            if let Some(&(_, id)) = list.iter().find(|(segment, _)| same_bytes(segment, key)) {
                return Some((id, true));
            }
            // Only a dotted key can still lead somewhere: a child's segment, then a dot.
            if !list
                .iter()
                .any(|(segment, _)| key.get(segment.len()) == Some(&b'.'))
            {
                return None;
            }
        }
        self.trie.step_slow(&node.children, key)
    }

    /// How many distinct keys lead from here to a field.
    #[inline]
    pub(crate) fn child_count(&self) -> usize {
        self.node.children.len()
    }
}

impl Default for PathTrie {
    fn default() -> Self {
        PathTrie {
            nodes: Arena::with_root(),
        }
    }
}

impl PathTrie {
    /// The node `node`, looked up once for all the keys of an event object read at it.
    #[inline]
    pub(crate) fn level(&self, node: u32) -> Level<'_> {
        Level {
            trie: self,
            node: &self.nodes[node],
        }
    }

    /// [`Level::step`] past the bit test and, for a few children, past the direct match.
    #[inline(never)]
    fn step_slow(&self, children: &Children, key: &[u8]) -> Option<(u32, bool)> {
        if let Children::Many(map) = children {
            if let Some(&id) = map.get(key) {
                return Some((id, true));
            }
        }
        // A dotted key: find the child whose segment starts it, then walk the rest.
        let (mut at, mut rest) = children.split_first_segment(key)?;
        loop {
            let children = &self.nodes[at].children;
            if let Some(id) = children.get(rest) {
                return Some((id, false));
            }
            (at, rest) = children.split_first_segment(rest)?;
        }
    }

    /// The field id at `node`, if any.
    #[inline]
    pub(crate) fn field(&self, node: u32) -> Option<u32> {
        self.nodes[node].field
    }

    /// Does any field lie below `node`?
    #[inline]
    pub(crate) fn has_children(&self, node: u32) -> bool {
        self.nodes[node].children.len() > 0
    }

    /// The node for `path`, created if needed, and its field id (`field_if_new` is called for
    /// one when the path has none yet). Counts one more use of every node on the way.
    pub(crate) fn add(&mut self, path: &str, field_if_new: impl FnOnce() -> u32) -> (u32, u32) {
        let mut at = ROOT;
        self.nodes[ROOT].uses += 1;
        for segment in path.split('.') {
            let next = match self.nodes[at].children.get(segment.as_bytes()) {
                Some(next) => next,
                None => {
                    let node = Node {
                        parent: at,
                        ..Node::default()
                    };
                    let id = self.nodes.add(node);
                    let parent = &mut self.nodes[at];
                    parent.children.insert(segment.as_bytes(), id);
                    let first = segment.bytes().next().unwrap_or(b'.');
                    parent.first_bytes[usize::from(first >> 6)] |= 1 << (first & 63);
                    id
                }
            };
            self.nodes[next].uses += 1;
            at = next;
        }
        let node = &mut self.nodes[at];
        node.field_uses += 1;
        (at, *node.field.get_or_insert_with(field_if_new))
    }

    /// Undo one [`PathTrie::add`] that returned `node`. Returns the field id when this was its
    /// last use, so the caller can drop the field.
    #[inline(never)]
    pub(crate) fn release(&mut self, node: u32) -> Option<u32> {
        let leaf = &mut self.nodes[node];
        leaf.field_uses -= 1;
        let dropped = if leaf.field_uses == 0 {
            leaf.field.take()
        } else {
            None
        };
        let mut at = node;
        loop {
            let current = &mut self.nodes[at];
            current.uses -= 1;
            let parent = current.parent;
            if at == ROOT {
                break;
            }
            if current.uses == 0 {
                self.nodes.free(at, Node::default());
                let parent_node = &mut self.nodes[parent];
                parent_node.children.remove(at);
                parent_node.first_bytes = parent_node.children.first_bytes();
            }
            at = parent;
        }
        dropped
    }

    /// Nodes in use, the root included.
    #[cfg(test)]
    pub(crate) fn live_nodes(&self) -> usize {
        self.nodes.live()
    }
}
