// SPDX-License-Identifier: GPL-2.0

//! The in-memory model of a handover: [`Manifest`] and its records, and what needs no codec:
//! lookups, accounting, appending entries and the link count rule. Uses only `kernel` and
//! [`Refusal`].

use super::{Checked, Refusal};
use kernel::{
    fs::inode::{types::S_IFDIR, Timespec, S_IFMT},
    prelude::*,
};

/// One folio of a file: where it is in memory and where in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FolioRec {
    /// Physical address of the folio's first byte.
    pub(crate) phys: u64,
    /// Page index of the folio's first page within the file.
    pub(crate) index: u64,
    /// Folio order: it spans `1 << order` pages.
    pub(crate) order: u32,
}

/// One inode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct InodeRec {
    pub(crate) ino: u64,
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) rdev: u32,
    pub(crate) nlink: u32,
    pub(crate) size: u64,
    pub(crate) atime: Timespec,
    pub(crate) mtime: Timespec,
    pub(crate) ctime: Timespec,
    /// Its folios are `Manifest::folios[folio_first..folio_first + folio_count]`.
    pub(crate) folio_first: u64,
    pub(crate) folio_count: u64,
}

/// One directory entry: `name` in directory `parent` refers to inode `ino`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DirentRec {
    pub(crate) parent: u64,
    pub(crate) ino: u64,
    /// The name is `Manifest::names[name_off..name_off + name_len]`.
    pub(crate) name_off: u32,
    pub(crate) name_len: u32,
}

/// Everything handed over for one khofs instance.
#[derive(Debug, Default)]
pub(crate) struct Manifest {
    pub(crate) root: u64,
    /// The next inode number the instance would have handed out.
    pub(crate) next_ino: u64,
    pub(crate) inodes: KVVec<InodeRec>,
    pub(crate) folios: KVVec<FolioRec>,
    pub(crate) dirents: KVVec<DirentRec>,
    pub(crate) names: KVVec<u8>,
    /// Memory of the handover itself (its blob and table pieces, as `start..end`), which
    /// decoding took back: not part of the ABI, and no data folio may lie there.
    pub(crate) taken: KVVec<(u64, u64)>,
}

/// Manifests are equal if they describe the same handover (`taken` is not part of it).
impl PartialEq for Manifest {
    fn eq(&self, o: &Self) -> bool {
        self.root == o.root
            && self.next_ino == o.next_ino
            && self.inodes == o.inodes
            && self.folios == o.folios
            && self.dirents == o.dirents
            && self.names == o.names
    }
}

impl Eq for Manifest {}

impl Manifest {
    /// Returns the blocks (pages of data) and inodes the manifest describes, counted as the
    /// limits count them: each extra name of a non-directory counts as an inode, as on tmpfs.
    pub(crate) fn usage(&self) -> (u64, u64) {
        let blocks = self.folios.iter().map(|f| 1u64 << f.order).sum();
        let links: u64 = self
            .inodes
            .iter()
            .filter(|i| i.mode & S_IFMT != S_IFDIR)
            .map(|i| u64::from(i.nlink.saturating_sub(1)))
            .sum();
        (blocks, self.inodes.len() as u64 + links)
    }

    /// Returns the name of a directory entry (valid after [`Manifest::decode`]).
    pub(crate) fn name(&self, d: &DirentRec) -> &[u8] {
        let off = d.name_off as usize;
        self.names
            .get(off..off + d.name_len as usize)
            .unwrap_or(&[])
    }

    /// Returns the number of pages the folio records describe.
    pub(crate) fn pages(&self) -> u64 {
        self.folios.iter().map(|f| 1u64 << f.order).sum()
    }

    /// Returns the folios of an inode (valid after [`Manifest::decode`]).
    pub(crate) fn folios_of(&self, i: &InodeRec) -> &[FolioRec] {
        let first = i.folio_first as usize;
        self.folios
            .get(first..first + i.folio_count as usize)
            .unwrap_or(&[])
    }

    /// Appends a directory entry.
    pub(crate) fn push_dirent(&mut self, parent: u64, ino: u64, name: &[u8]) -> Result {
        let name_off = u32::try_from(self.names.len()).map_err(|_| E2BIG)?;
        self.names.extend_from_slice(name, GFP_KERNEL)?;
        self.dirents.push(
            DirentRec {
                parent,
                ino,
                name_off,
                name_len: name.len() as u32,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// The link count rule, by which the outgoing side sets link counts and
    /// [`Manifest::validate`] checks them: a directory has two links (its `.`, and its entry
    /// or, for the root, its own `..`) and one more for each subdirectory (that one's `..`);
    /// anything else has one link per entry that names it.
    ///
    /// Sets `links[n]`, for the inode at each position `n` (`links` holds one count per
    /// inode), to the link count the entries give it; `find` returns the position of an inode
    /// number. An entry for an inode that `find` does not know, or for a directory in a
    /// directory it does not know, is refused (`EINVAL`).
    pub(crate) fn count_links(
        &self,
        find: impl Fn(u64) -> Option<usize>,
        links: &mut [u32],
    ) -> Checked<()> {
        for (l, i) in links.iter_mut().zip(self.inodes.iter()) {
            *l = if i.mode & S_IFMT == S_IFDIR { 2 } else { 0 };
        }
        for d in self.dirents.iter() {
            let c = find(d.ino).ok_or(Refusal::Invalid("entry for unknown inode"))?;
            if self.inodes[c].mode & S_IFMT == S_IFDIR {
                let p = find(d.parent).ok_or(Refusal::Invalid("entry in unknown directory"))?;
                links[p] += 1;
            } else {
                links[c] += 1;
            }
        }
        Ok(())
    }
}
