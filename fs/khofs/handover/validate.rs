// SPDX-License-Identifier: GPL-2.0

//! The validator: every record and the consistency of the whole tree of a decoded (or
//! just built) [`Manifest`], before any of it is used. Uses the model, the [`Index`],
//! [`super::abi`] and [`Refusal`].

use super::{
    abi::{MAX_DEPTH, MAX_FILE_PAGES, MAX_SYMLINK, PAGE_SHIFT},
    index::Index,
    model::{InodeRec, Manifest},
    Checked, Refusal,
};
use kernel::{
    folio::max_pagecache_order,
    fs::dentry::is_valid_name,
    fs::inode::{types::*, S_IFMT},
    prelude::*,
    sort::{radix_sort_by_key, sort_unstable_by},
};

impl Manifest {
    /// Checks every record and the consistency of the whole tree; returns the index built
    /// for it. The same checks run on the outgoing side before a handover is offered, so a
    /// handover the next kernel would refuse is refused at freeze.
    ///
    /// `ENOMEM` leaves the manifest as it was, to be validated again later.
    pub(crate) fn validate(&self) -> Checked<Index> {
        let bad = Refusal::Invalid;
        // Inode numbers: unique, non-zero, below `next_ino`; root is a directory.
        let index = Index::new(self)?;
        if index.has_duplicates() {
            return Err(bad("duplicate inode number"));
        }
        let find = |ino: u64| index.find(ino);
        let root = find(self.root).ok_or(bad("root inode missing"))?;
        if self.inodes[root].mode & S_IFMT != S_IFDIR {
            return Err(bad("root is not a directory"));
        }

        // Each inode on its own; folio ranges consumed in order, exactly once.
        let mut next_folio: u64 = 0;
        for i in self.inodes.iter() {
            self.check_inode(i).map_err(bad)?;
            if i.ino == 0 || i.ino >= self.next_ino {
                return Err(bad("inode number out of range"));
            }
            if i.folio_first != next_folio || i.folio_count > self.folios.len() as u64 - next_folio
            {
                return Err(bad("bad folio range"));
            }
            next_folio += i.folio_count;
        }
        if next_folio != self.folios.len() as u64 {
            return Err(bad("unreferenced folios"));
        }

        // No physical memory described twice.
        let mut ranges: KVVec<(u64, u64)> = KVVec::with_capacity(self.folios.len(), GFP_KERNEL)?;
        for r in self.folios.iter() {
            let _ =
                ranges.push_within_capacity((r.phys, r.phys + ((1u64 << r.order) << PAGE_SHIFT)));
        }
        radix_sort_by_key(&mut ranges, |r| r.0 >> PAGE_SHIFT, GFP_KERNEL)?;
        if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(bad("folio memory used twice"));
        }
        // Nor where the handover's own tables were: that memory is this kernel's again.
        for &(start, end) in self.taken.iter() {
            // The first folio that ends after `start` must begin at or after `end`.
            let k = ranges.partition_point(|r| r.1 <= start);
            if ranges.get(k).is_some_and(|r| r.0 < end) {
                return Err(bad("folio memory overlaps the handover's tables"));
            }
        }

        // Directory entries: valid names, existing parent directory and child, unique
        // (parent, name); count the entries each inode gets, then its links.
        let mut links: KVVec<u32> = KVVec::from_elem(0u32, self.inodes.len(), GFP_KERNEL)?;
        let mut entries: KVVec<u32> = KVVec::from_elem(0u32, self.inodes.len(), GFP_KERNEL)?;
        let mut keys: KVVec<(u64, u64, &[u8])> =
            KVVec::with_capacity(self.dirents.len(), GFP_KERNEL)?;
        for d in self.dirents.iter() {
            let end = (d.name_off as usize)
                .checked_add(d.name_len as usize)
                .ok_or(bad("bad name"))?;
            let name = self
                .names
                .get(d.name_off as usize..end)
                .ok_or(bad("name out of bounds"))?;
            if !is_valid_name(name) {
                return Err(bad("invalid name"));
            }
            let p = find(d.parent).ok_or(bad("entry in unknown directory"))?;
            if self.inodes[p].mode & S_IFMT != S_IFDIR {
                return Err(bad("entry in a non-directory"));
            }
            let c = find(d.ino).ok_or(bad("entry for unknown inode"))?;
            if c == root {
                return Err(bad("entry for the root"));
            }
            entries[c] = entries[c].saturating_add(1);
            let _ = keys.push_within_capacity((d.parent, name_hash(name), name));
        }
        if has_duplicate_names(&mut keys)? {
            return Err(bad("duplicate name in a directory"));
        }
        self.count_links(find, &mut links)?;
        for (n, i) in self.inodes.iter().enumerate() {
            let is_dir = i.mode & S_IFMT == S_IFDIR;
            if n == root {
                // "." and ".." of the root, plus ".." of each subdirectory.
                if links[n] != i.nlink {
                    return Err(bad("link count mismatch"));
                }
            } else if is_dir {
                // Directories have exactly one entry (no directory hard links).
                if entries[n] != 1 || links[n] != i.nlink {
                    return Err(bad("directory link count mismatch"));
                }
            } else if entries[n] == 0 || links[n] != i.nlink {
                return Err(bad("link count mismatch"));
            }
        }
        self.check_tree(root, &index)?;
        Ok(index)
    }

    /// Every directory but the root has exactly one entry (checked via link counts); walk
    /// from the root to prove all inodes are reachable (no cycles) within `MAX_DEPTH`.
    fn check_tree(&self, root: usize, index: &Index) -> Checked<()> {
        let bad = Refusal::Invalid;
        let mut seen = KVVec::from_elem(false, self.inodes.len(), GFP_KERNEL)?;
        // Breadth-first, level by level.
        let mut level: KVVec<usize> = KVVec::new();
        level.push(root, GFP_KERNEL)?;
        seen[root] = true;
        let mut visited = 1usize;
        let mut depth = 0usize;
        while !level.is_empty() {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(bad("tree too deep"));
            }
            let mut next = KVVec::new();
            for &dir in level.iter() {
                for d in index.children(self, self.inodes[dir].ino) {
                    let c = index.find(d.ino).ok_or(bad("entry for unknown inode"))?;
                    if seen[c] {
                        continue;
                    }
                    seen[c] = true;
                    visited += 1;
                    if self.inodes[c].mode & S_IFMT == S_IFDIR {
                        next.push(c, GFP_KERNEL)?;
                    }
                }
            }
            level = next;
        }
        if visited != self.inodes.len() {
            return Err(bad("inodes not reachable from the root"));
        }
        Ok(())
    }

    fn check_inode(&self, i: &InodeRec) -> Result<(), &'static str> {
        if !is_valid_mode(i.mode) {
            return Err("bad mode");
        }
        if i.uid == u32::MAX || i.gid == u32::MAX {
            return Err("invalid owner");
        }
        if [i.atime, i.mtime, i.ctime]
            .iter()
            .any(|t| t.nsec >= 1_000_000_000)
        {
            return Err("bad timestamp");
        }
        if i.size > i64::MAX as u64 {
            return Err("size too large");
        }
        let t = i.mode & S_IFMT;
        if t != S_IFCHR && t != S_IFBLK && i.rdev != 0 {
            return Err("device number on a non-device");
        }
        if t != S_IFREG && t != S_IFLNK && (i.size != 0 || i.folio_count != 0) {
            return Err("data on an inode without data");
        }
        if t == S_IFLNK && (i.size == 0 || i.size > MAX_SYMLINK) {
            return Err("bad symlink size");
        }
        let first = usize::try_from(i.folio_first).map_err(|_| "bad folio range")?;
        let count = usize::try_from(i.folio_count).map_err(|_| "bad folio range")?;
        let end = first.checked_add(count).ok_or("bad folio range")?;
        let folios = self.folios.get(first..end).ok_or("bad folio range")?;
        // A symbolic link's target is one page at index 0 (`page_symlink`).
        if t == S_IFLNK && (folios.len() != 1 || folios[0].order != 0 || folios[0].index != 0) {
            return Err("bad symlink data");
        }
        let mut next_free: u64 = 0;
        for r in folios {
            // The largest folio the page cache takes (`MAX_PAGECACHE_ORDER`).
            if r.order > max_pagecache_order() {
                return Err("folio order too large");
            }
            let span = 1u64 << r.order;
            let bytes = span << PAGE_SHIFT;
            if r.phys == 0 || r.phys % bytes != 0 || r.phys.checked_add(bytes).is_none() {
                return Err("misaligned folio address");
            }
            if r.index % span != 0 {
                return Err("misaligned folio index");
            }
            if r.index < next_free {
                return Err("folios out of order or overlapping");
            }
            // Folios past the end of the file (`fallocate` with `FALLOC_FL_KEEP_SIZE`) are
            // kept, within the largest file size.
            if r.index
                .checked_add(span)
                .is_none_or(|end| end > MAX_FILE_PAGES)
            {
                return Err("folio beyond the largest file size");
            }
            next_free = r.index + span;
        }
        Ok(())
    }
}

/// FNV-1a: a 64-bit hash of an entry name, to group equal names without comparing them.
fn name_hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Returns whether two of the `(parent, hash of name, name)` entries have the same parent and
/// name. Radix-sorts by parent and hash (linear), then compares names only within groups of
/// equal hashes (collisions sorted by name, so even crafted ones stay `O(n log n)`).
fn has_duplicate_names(keys: &mut [(u64, u64, &[u8])]) -> Checked<bool> {
    // Least significant key first: the sort is stable.
    radix_sort_by_key(keys, |k| k.1, GFP_KERNEL)?;
    radix_sort_by_key(keys, |k| k.0, GFP_KERNEL)?;
    let mut i = 0;
    while i < keys.len() {
        let (parent, hash) = (keys[i].0, keys[i].1);
        let run = keys[i..]
            .iter()
            .take_while(|k| k.0 == parent && k.1 == hash)
            .count();
        if run > 1 {
            let group = &mut keys[i..i + run];
            sort_unstable_by(group, |a, b| a.2.cmp(b.2));
            if group.windows(2).any(|w| w[0].2 == w[1].2) {
                return Ok(true);
            }
        }
        i += run;
    }
    Ok(false)
}
