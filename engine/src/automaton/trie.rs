//! A byte trie whose nodes carry outputs: the prefix (and suffix, reversed) part of a field's
//! value automaton.
//!
//! Walking a value's bytes from the root visits exactly the nodes of the value's prefixes that
//! some entry uses, so the work per value is bounded by its length, not by the number of entries.
//! Nodes are kept in an [`Arena`]; removing the last output of a branch frees the
//! branch, so deleting rules leaves no stranded states.

use smallvec::SmallVec;

use super::arena::Arena;
use super::Out;

#[derive(Debug, Clone, Default)]
struct Node {
    /// Sorted by byte.
    children: SmallVec<[(u8, u32); 2]>,
    outputs: SmallVec<[Out; 1]>,
    parent: u32,
    byte: u8,
}

#[derive(Debug, Clone)]
pub(crate) struct ByteTrie {
    nodes: Arena<Node>,
}

const ROOT: u32 = 0;
/// The parent of a node on the free list.
const FREED: u32 = u32::MAX;

impl Default for ByteTrie {
    fn default() -> Self {
        ByteTrie {
            nodes: Arena::with_root(),
        }
    }
}

impl ByteTrie {
    /// Attach `out` to the node for `key`, creating the path.
    pub(crate) fn insert(&mut self, key: impl IntoIterator<Item = u8>, out: Out) {
        let mut at = ROOT;
        for byte in key {
            at = match self.child(at, byte) {
                Some(next) => next,
                None => self.add_child(at, byte),
            };
        }
        self.nodes[at].outputs.push(out);
    }

    /// Keep only the outputs `keep` accepts, freeing every node left with nothing to do.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Out) -> bool) {
        let mut emptied = Vec::new();
        for (id, node) in self.nodes.iter_mut() {
            let before = node.outputs.len();
            node.outputs.retain(|out| keep(out));
            if node.outputs.len() != before && node.outputs.is_empty() {
                emptied.push(id);
            }
        }
        for id in emptied {
            self.prune(id);
        }
    }

    /// Calls `visit` with the outputs of every node on `key`'s path from the root (the root's
    /// first), as far as the trie goes.
    #[inline]
    pub(crate) fn walk(&self, key: impl IntoIterator<Item = u8>, mut visit: impl FnMut(&[Out])) {
        let mut at = ROOT;
        visit(&self.nodes[ROOT].outputs);
        for byte in key {
            match self.child(at, byte) {
                Some(next) => at = next,
                None => return,
            }
            visit(&self.nodes[at].outputs);
        }
    }

    /// How many outputs the node for `key` holds (0 when there is no such node).
    pub(crate) fn outputs_at(&self, key: impl IntoIterator<Item = u8>) -> usize {
        let mut at = ROOT;
        for byte in key {
            match self.child(at, byte) {
                Some(next) => at = next,
                None => return 0,
            }
        }
        self.nodes[at].outputs.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        let root = &self.nodes[ROOT];
        root.children.is_empty() && root.outputs.is_empty()
    }

    /// Nodes in use, the root included.
    #[cfg(test)]
    pub(crate) fn live_nodes(&self) -> usize {
        self.nodes.live()
    }

    #[inline]
    fn child(&self, at: u32, byte: u8) -> Option<u32> {
        let children = &self.nodes[at].children;
        if children.len() <= 8 {
            children.iter().find(|(b, _)| *b == byte).map(|&(_, n)| n)
        } else {
            children
                .binary_search_by_key(&byte, |&(b, _)| b)
                .ok()
                .map(|i| children[i].1)
        }
    }

    fn add_child(&mut self, at: u32, byte: u8) -> u32 {
        let node = Node {
            parent: at,
            byte,
            ..Node::default()
        };
        let id = self.nodes.add(node);
        let children = &mut self.nodes[at].children;
        let i = children.partition_point(|&(b, _)| b < byte);
        children.insert(i, (byte, id));
        id
    }

    /// Free `at` and its ancestors while they have no outputs and no children.
    fn prune(&mut self, mut at: u32) {
        while at != ROOT {
            let node = &self.nodes[at];
            if !node.outputs.is_empty() || !node.children.is_empty() || node.parent == FREED {
                return;
            }
            let (parent, byte) = (node.parent, node.byte);
            self.nodes.free(
                at,
                Node {
                    parent: FREED,
                    ..Node::default()
                },
            );
            let siblings = &mut self.nodes[parent].children;
            if let Some(i) = siblings.iter().position(|&(b, _)| b == byte) {
                siblings.remove(i);
            }
            at = parent;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(trie: &ByteTrie, key: &str) -> Vec<Out> {
        let mut seen = Vec::new();
        trie.walk(key.bytes(), |outs| seen.extend_from_slice(outs));
        seen
    }

    #[test]
    fn walk_visits_every_prefix_entry() {
        let mut trie = ByteTrie::default();
        trie.insert("".bytes(), Out::Cond(0));
        trie.insert("ab".bytes(), Out::Cond(1));
        trie.insert("abc".bytes(), Out::Cond(2));
        trie.insert("b".bytes(), Out::Cond(3));
        assert_eq!(
            collect(&trie, "abcd"),
            [Out::Cond(0), Out::Cond(1), Out::Cond(2)]
        );
        assert_eq!(collect(&trie, "a"), [Out::Cond(0)]);
        assert_eq!(collect(&trie, "ba"), [Out::Cond(0), Out::Cond(3)]);
    }

    #[test]
    fn retaining_nothing_frees_every_node() {
        let mut trie = ByteTrie::default();
        let keys = ["abc", "abd", "x", "", "abc", "a"];
        for (i, k) in keys.iter().enumerate() {
            trie.insert(k.bytes(), Out::Cond(i as u32));
        }
        let live_before = trie.live_nodes();
        trie.retain(|out| *out != Out::Cond(1));
        assert_eq!(
            trie.live_nodes(),
            live_before - 1,
            "only abd's own node goes"
        );
        assert_eq!(collect(&trie, "abd"), [Out::Cond(3), Out::Cond(5)]);
        trie.retain(|_| false);
        assert_eq!(trie.live_nodes(), 1);
        assert!(trie.is_empty());
        // Freed nodes are reused.
        trie.insert("zz".bytes(), Out::Cond(9));
        assert_eq!(trie.nodes.slots(), 6);
        assert_eq!(trie.live_nodes(), 3);
    }
}
