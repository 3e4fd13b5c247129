//! Nodes in a vector, addressed by `u32` index, with freed slots reused: the storage of both
//! tries. A freed slot is reset to its default value, so it holds nothing until reused.

use std::ops::{Index, IndexMut};

#[derive(Debug, Clone)]
pub(crate) struct Arena<T> {
    items: Vec<T>,
    free: Vec<u32>,
}

impl<T: Default> Arena<T> {
    /// An arena holding one item, the root, at index 0.
    pub(crate) fn with_root() -> Self {
        Arena {
            items: vec![T::default()],
            free: Vec::new(),
        }
    }

    /// Store `item`, in a freed slot if there is one; returns its index.
    pub(crate) fn add(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.items[id as usize] = item;
                id
            }
            None => {
                self.items.push(item);
                (self.items.len() - 1) as u32
            }
        }
    }

    /// Free slot `id`, resetting it to `empty`.
    pub(crate) fn free(&mut self, id: u32, empty: T) {
        self.items[id as usize] = empty;
        self.free.push(id);
    }

    /// Slots in use.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.items.len() - self.free.len()
    }

    /// Slots ever used (in use or free).
    #[cfg(test)]
    pub(crate) fn slots(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> {
        self.items
            .iter_mut()
            .enumerate()
            .map(|(id, item)| (id as u32, item))
    }
}

impl<T> Index<u32> for Arena<T> {
    type Output = T;

    #[inline]
    fn index(&self, id: u32) -> &T {
        &self.items[id as usize]
    }
}

impl<T> IndexMut<u32> for Arena<T> {
    #[inline]
    fn index_mut(&mut self, id: u32) -> &mut T {
        &mut self.items[id as usize]
    }
}
