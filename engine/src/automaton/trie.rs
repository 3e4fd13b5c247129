//! A byte trie whose nodes carry outputs: the prefix (and suffix, reversed) part of a field's
//! value automaton.
//!
//! Walking a value's bytes from the root visits exactly the nodes of the value's prefixes that
//! some entry uses, so the work per value is bounded by its length, not by the number of entries.
//!
//! The trie is path-compressed (a radix trie): every node but the root holds the label of the
//! edge into it, one or more bytes, whose first byte is the one its parent dispatches on. Keys
//! share few prefixes, so most of a key is a chain of single-child nodes; as one label, that chain
//! costs a walk a run of byte comparisons instead of a child lookup per byte. The trie is kept
//! canonical: every node but the root has outputs or at least two children.
//!
//! Nodes are kept in an [`Arena`]; removing outputs frees the nodes left with nothing to do and
//! merges the ones left as mere links, so deleting rules leaves no stranded states.

use smallvec::SmallVec;

use super::arena::Arena;
use super::Out;

#[derive(Debug, Clone, Default)]
struct Node {
    /// The bytes of the edge into this node; empty only at the root (and in freed slots).
    /// Sixteen bytes fit inline at no cost in size over fewer, and cover most labels.
    label: SmallVec<[u8; 16]>,
    /// The first byte of each child's label, with the child; sorted by byte.
    children: SmallVec<[(u8, u32); 2]>,
    outputs: SmallVec<[Out; 1]>,
}

impl Node {
    #[inline(always)]
    fn child(&self, byte: u8) -> Option<u32> {
        let children = self.children.as_slice();
        if children.len() <= 8 {
            children.iter().find(|(b, _)| *b == byte).map(|&(_, n)| n)
        } else {
            children
                .binary_search_by_key(&byte, |&(b, _)| b)
                .ok()
                .map(|i| children[i].1)
        }
    }

    /// The label past its first byte, which the parent has already matched.
    #[inline(always)]
    fn label_rest(&self) -> &[u8] {
        &self.label[1..]
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ByteTrie {
    nodes: Arena<Node>,
}

const ROOT: u32 = 0;

impl Default for ByteTrie {
    fn default() -> Self {
        ByteTrie {
            nodes: Arena::with_root(),
        }
    }
}

impl ByteTrie {
    /// Attach `out` to the node for `key`, creating the path (and splitting the edge where `key`
    /// diverges from a label or ends inside one): after the node's outputs or, if `first`,
    /// before them.
    pub(crate) fn insert(&mut self, key: impl IntoIterator<Item = u8>, out: Out, first: bool) {
        let key: SmallVec<[u8; 32]> = key.into_iter().collect();
        self.insert_bytes(&key, out, first);
    }

    /// [`ByteTrie::insert`] past the key's collection: one copy for every kind of key.
    fn insert_bytes(&mut self, key: &[u8], out: Out, first: bool) {
        let mut rest = key;
        let mut at = ROOT;
        while let Some(&first) = rest.first() {
            let Some(child) = self.nodes[at].child(first) else {
                at = self.add_child(at, rest);
                break;
            };
            let label = &self.nodes[child].label;
            let common = label.iter().zip(rest).take_while(|(l, k)| l == k).count();
            if common < label.len() {
                self.split(child, common);
            }
            rest = &rest[common..];
            at = child;
        }
        let outputs = &mut self.nodes[at].outputs;
        outputs.insert(if first { 0 } else { outputs.len() }, out);
    }

    /// Keep only the outputs `keep` accepts, freeing every node left with nothing to do and
    /// merging every node left as a mere link into its only child.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Out) -> bool) {
        let mut dropped_any = false;
        for (_, node) in self.nodes.iter_mut() {
            let before = node.outputs.len();
            node.outputs.retain(|out| keep(out));
            dropped_any |= node.outputs.len() != before;
        }
        if dropped_any {
            self.restore_canonical_form();
        }
    }

    /// Calls `visit` with each output of every node on `key`'s path from the root (the root's
    /// first), as far as the trie goes: a node counts when `key` runs through all of its label.
    #[inline(always)]
    pub(crate) fn walk(&self, key: impl IntoIterator<Item = u8>, visit: &mut impl FnMut(&Out)) {
        let mut node = &self.nodes[ROOT];
        let mut key = key.into_iter();
        loop {
            if !node.outputs.is_empty() {
                node.outputs.iter().for_each(&mut *visit);
            }
            let Some(byte) = key.next() else { return };
            let Some(next) = node.child(byte) else { return };
            node = &self.nodes[next];
            for &expected in node.label_rest() {
                if key.next() != Some(expected) {
                    return;
                }
            }
        }
    }

    /// How many outputs the node for `key` holds (0 when there is no such node, `key` ending
    /// inside a label included).
    pub(crate) fn outputs_at(&self, key: impl IntoIterator<Item = u8>) -> usize {
        self.outputs_of(key).len()
    }

    /// The outputs of the node for `key` (none when there is no such node, `key` ending inside
    /// a label included).
    pub(crate) fn outputs_of(&self, key: impl IntoIterator<Item = u8>) -> &[Out] {
        let key: SmallVec<[u8; 32]> = key.into_iter().collect();
        self.outputs_of_bytes(&key)
    }

    /// [`ByteTrie::outputs_of`] past the key's collection: one copy for every kind of key.
    fn outputs_of_bytes(&self, key: &[u8]) -> &[Out] {
        let mut node = &self.nodes[ROOT];
        let mut rest = key;
        while let Some(&byte) = rest.first() {
            let Some(next) = node.child(byte) else {
                return &[];
            };
            node = &self.nodes[next];
            let Some(after) = rest.strip_prefix(&node.label[..]) else {
                return &[];
            };
            rest = after;
        }
        &node.outputs
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

    /// Add a child of `at` with edge `label` (non-empty, and not starting with the first byte of
    /// another child's label).
    fn add_child(&mut self, at: u32, label: &[u8]) -> u32 {
        let node = Node {
            label: SmallVec::from_slice(label),
            ..Node::default()
        };
        let id = self.nodes.add(node);
        let byte = label[0];
        let children = &mut self.nodes[at].children;
        let i = children.partition_point(|&(b, _)| b < byte);
        children.insert(i, (byte, id));
        id
    }

    /// Cut the edge into `at` after its first `len` bytes (0 < `len` < label length): `at`
    /// keeps the upper part, so its parent's entry stays valid, and hands its outputs and
    /// children to a new node below on the rest of the label.
    fn split(&mut self, at: u32, len: usize) {
        let node = &mut self.nodes[at];
        let lower = Node {
            label: SmallVec::from_slice(&node.label[len..]),
            children: std::mem::take(&mut node.children),
            outputs: std::mem::take(&mut node.outputs),
        };
        node.label.truncate(len);
        let byte = lower.label[0];
        let id = self.nodes.add(lower);
        self.nodes[at].children.push((byte, id));
    }

    /// After outputs were dropped: free every node with no outputs and no children, and merge
    /// every other non-root node without outputs that has a single child with that child.
    fn restore_canonical_form(&mut self) {
        // Parents come before their children here, so going through it backwards settles
        // every subtree before the node above it looks at it.
        let mut preorder = vec![ROOT];
        let mut i = 0;
        while let Some(&at) = preorder.get(i) {
            preorder.extend(self.nodes[at].children.iter().map(|&(_, child)| child));
            i += 1;
        }
        for &at in preorder.iter().rev() {
            // A settled child is idle only when it has neither outputs nor children left.
            let mut children = std::mem::take(&mut self.nodes[at].children);
            children.retain(|&mut (_, child)| {
                let node = &self.nodes[child];
                let idle = node.outputs.is_empty() && node.children.is_empty();
                if idle {
                    self.nodes.free(child, Node::default());
                }
                !idle
            });
            self.nodes[at].children = children;
            let node = &self.nodes[at];
            if at != ROOT && node.outputs.is_empty() && node.children.len() == 1 {
                self.merge_with_only_child(at);
            }
        }
    }

    /// Append the label of `at`'s only child to `at`'s and take over its outputs and children,
    /// freeing the child; `at` keeps its id so its parent's entry stays valid.
    fn merge_with_only_child(&mut self, at: u32) {
        let child_id = self.nodes[at].children[0].1;
        let child = std::mem::take(&mut self.nodes[child_id]);
        self.nodes.free(child_id, Node::default());
        let node = &mut self.nodes[at];
        node.label.extend_from_slice(&child.label);
        node.children = child.children;
        node.outputs = child.outputs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect(trie: &ByteTrie, key: &str) -> Vec<Out> {
        let mut seen = Vec::new();
        trie.walk(key.bytes(), &mut |out: &Out| seen.push(*out));
        seen
    }

    #[test]
    fn walk_visits_every_prefix_entry() {
        let mut trie = ByteTrie::default();
        trie.insert("".bytes(), Out::Cond(0), false);
        trie.insert("ab".bytes(), Out::Cond(1), false);
        trie.insert("abc".bytes(), Out::Cond(2), false);
        trie.insert("b".bytes(), Out::Cond(3), false);
        assert_eq!(
            collect(&trie, "abcd"),
            [Out::Cond(0), Out::Cond(1), Out::Cond(2)]
        );
        assert_eq!(collect(&trie, "a"), [Out::Cond(0)]);
        assert_eq!(collect(&trie, "ba"), [Out::Cond(0), Out::Cond(3)]);
    }

    #[test]
    fn labels_split_where_keys_diverge_or_end() {
        let mut trie = ByteTrie::default();
        trie.insert("Polygon".bytes(), Out::Cond(0), false);
        assert_eq!(trie.live_nodes(), 2, "one node for the whole key");
        trie.insert("Poly".bytes(), Out::Cond(1), false);
        trie.insert("Polka".bytes(), Out::Cond(2), false);
        // root, "Pol", "y", "gon", "ka"
        assert_eq!(trie.live_nodes(), 5);
        assert_eq!(collect(&trie, "Polygons"), [Out::Cond(1), Out::Cond(0)]);
        assert_eq!(collect(&trie, "Polygo"), [Out::Cond(1)]);
        assert_eq!(collect(&trie, "Polka"), [Out::Cond(2)]);
        assert_eq!(collect(&trie, "Pol"), []);
        assert_eq!(trie.outputs_at("Pol".bytes()), 0);
        assert_eq!(trie.outputs_at("Po".bytes()), 0);
        assert_eq!(trie.outputs_at("Poly".bytes()), 1);
    }

    #[test]
    fn retaining_nothing_frees_every_node() {
        let mut trie = ByteTrie::default();
        let keys = ["abc", "abd", "x", "", "abc", "a"];
        for (i, k) in keys.iter().enumerate() {
            trie.insert(k.bytes(), Out::Cond(i as u32), false);
        }
        // root, "a", "b", "c", "d", "x": every node but the root branches or has outputs.
        let live_before = trie.live_nodes();
        assert_eq!(live_before, 6);
        trie.retain(|out| *out != Out::Cond(1));
        // abd's own node goes, and "b", left as a mere link, merges with "c" into "bc".
        assert_eq!(trie.live_nodes(), live_before - 2);
        assert_eq!(collect(&trie, "abd"), [Out::Cond(3), Out::Cond(5)]);
        assert_eq!(
            collect(&trie, "abc"),
            [Out::Cond(3), Out::Cond(5), Out::Cond(0), Out::Cond(4)]
        );
        trie.retain(|_| false);
        assert_eq!(trie.live_nodes(), 1);
        assert!(trie.is_empty());
        // Freed nodes are reused; "zz" is a single node.
        trie.insert("zz".bytes(), Out::Cond(9), false);
        assert_eq!(trie.nodes.slots(), 6);
        assert_eq!(trie.live_nodes(), 2);
    }

    /// Checks the trie is canonical and holds no unreachable live node.
    fn check_shape(trie: &ByteTrie) -> Result<(), TestCaseError> {
        let mut reachable = 0;
        let mut stack = vec![ROOT];
        while let Some(at) = stack.pop() {
            reachable += 1;
            let node = &trie.nodes[at];
            if at == ROOT {
                prop_assert!(node.label.is_empty());
            } else {
                prop_assert!(!node.label.is_empty());
                prop_assert!(
                    !node.outputs.is_empty() || node.children.len() >= 2,
                    "non-canonical node {:?}",
                    node
                );
            }
            prop_assert!(node.children.windows(2).all(|w| w[0].0 < w[1].0));
            for &(byte, child) in &node.children {
                prop_assert_eq!(trie.nodes[child].label.first(), Some(&byte));
                stack.push(child);
            }
        }
        prop_assert_eq!(reachable, trie.live_nodes());
        Ok(())
    }

    const ALPHABET: &[u8] = b"abc";

    fn key() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(proptest::sample::select(ALPHABET), 0..=4)
    }

    fn out() -> impl Strategy<Value = Out> {
        (0..3u8, 0..4u32).prop_map(|(kind, n)| match kind {
            0 => Out::Cond(n),
            1 => Out::Exclude(n),
            _ => Out::Wildcard(n),
        })
    }

    /// Which bit of a retain mask keeps `out`.
    fn bit(out: Out) -> u32 {
        match out {
            Out::Cond(n) => n,
            Out::Exclude(n) => n + 2,
            Out::Wildcard(n) => n + 4,
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(Vec<u8>, Out),
        Retain(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (key(), out()).prop_map(|(k, o)| Op::Insert(k, o)),
            1 => any::<u8>().prop_map(Op::Retain),
        ]
    }

    /// Every string over the alphabet (and one byte outside it) up to one byte longer than keys.
    fn queries() -> Vec<Vec<u8>> {
        let mut all = vec![Vec::new()];
        let mut i = 0;
        while i < all.len() {
            if all[i].len() < 5 {
                for &byte in ALPHABET.iter().chain(b"z") {
                    let mut longer = all[i].clone();
                    longer.push(byte);
                    all.push(longer);
                }
            }
            i += 1;
        }
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn agrees_with_a_scan(ops in proptest::collection::vec(op(), 0..48)) {
            let queries = queries();
            let mut trie = ByteTrie::default();
            let mut model: Vec<(Vec<u8>, Out)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(key, out) => {
                        trie.insert(key.iter().copied(), out, false);
                        model.push((key, out));
                    }
                    Op::Retain(mask) => {
                        let keep = |out: &Out| mask >> (bit(*out) % 8) & 1 == 1;
                        trie.retain(keep);
                        model.retain(|(_, out)| keep(out));
                    }
                }
                check_shape(&trie)?;
                prop_assert_eq!(trie.is_empty(), model.is_empty());
                for query in &queries {
                    // Shorter keys first; a key's outputs in the order they were added.
                    let mut expected: Vec<(usize, Out)> = model
                        .iter()
                        .filter(|(key, _)| query.starts_with(key))
                        .map(|(key, out)| (key.len(), *out))
                        .collect();
                    expected.sort_by_key(|&(len, _)| len);
                    let expected: Vec<Out> = expected.into_iter().map(|(_, out)| out).collect();
                    let mut seen = Vec::new();
                    trie.walk(query.iter().copied(), &mut |out: &Out| seen.push(*out));
                    prop_assert_eq!(seen, expected, "walk {:?}", query);
                    let exact = model.iter().filter(|(key, _)| key == query).count();
                    prop_assert_eq!(trie.outputs_at(query.iter().copied()), exact);
                }
            }
            trie.retain(|_| false);
            prop_assert_eq!(trie.live_nodes(), 1);
            prop_assert!(trie.is_empty());
            check_shape(&trie)?;
        }
    }
}
