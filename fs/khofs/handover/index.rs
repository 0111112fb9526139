// SPDX-License-Identifier: GPL-2.0

//! The [`Index`] of a [`Manifest`], built by [`Manifest::validate`] and used again by the
//! restore. Uses the model; the only refusal it makes is `ENOMEM`.

use super::{
    model::{DirentRec, Manifest},
    Checked,
};
use kernel::{prelude::*, sort::radix_sort_by_key};

/// Lookups over a [`Manifest`]: inode numbers to positions in `inodes`, and directory
/// entries grouped by parent. Built once, when the manifest is validated, and used again to
/// restore it.
pub(crate) struct Index {
    /// `(ino, position)`, sorted.
    by_ino: KVVec<(u64, usize)>,
    /// Positions in `dirents`, sorted by parent.
    by_parent: KVVec<usize>,
}

impl Index {
    /// Builds the index of `m`.
    pub(super) fn new(m: &Manifest) -> Checked<Self> {
        let mut by_ino = KVVec::with_capacity(m.inodes.len(), GFP_KERNEL)?;
        for (n, i) in m.inodes.iter().enumerate() {
            by_ino.push((i.ino, n), GFP_KERNEL)?;
        }
        radix_sort_by_key(&mut by_ino, |e| e.0, GFP_KERNEL)?;
        let mut by_parent = KVVec::with_capacity(m.dirents.len(), GFP_KERNEL)?;
        for k in 0..m.dirents.len() {
            by_parent.push(k, GFP_KERNEL)?;
        }
        radix_sort_by_key(&mut by_parent, |&k| m.dirents[k].parent, GFP_KERNEL)?;
        Ok(Self { by_ino, by_parent })
    }

    /// Returns whether two inodes have the same number.
    pub(super) fn has_duplicates(&self) -> bool {
        self.by_ino.windows(2).any(|w| w[0].0 == w[1].0)
    }

    /// Returns the position in `inodes` of inode number `ino`.
    pub(crate) fn find(&self, ino: u64) -> Option<usize> {
        let k = self.by_ino.binary_search_by_key(&ino, |e| e.0).ok()?;
        Some(self.by_ino[k].1)
    }

    /// Returns the entries of directory `dir` (an inode number) in `m`.
    pub(crate) fn children<'a>(
        &'a self,
        m: &'a Manifest,
        dir: u64,
    ) -> impl Iterator<Item = &'a DirentRec> + 'a {
        let start = self
            .by_parent
            .partition_point(|&k| m.dirents[k].parent < dir);
        self.by_parent[start..]
            .iter()
            .map(|&k| &m.dirents[k])
            .take_while(move |d| d.parent == dir)
    }
}
