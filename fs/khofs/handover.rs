// SPDX-License-Identifier: GPL-2.0

//! The handover format: a [`Manifest`] of the whole tree encoded as an FDT, and its strict
//! decoder.
//!
//! This module is pure: it touches neither the VFS nor KHO, so it is fully testable in KUnit.
//! The layout is documented in `include/linux/kho/abi/khofs.h`; the constants below must match
//! it. Everything decoded comes from the previous kernel and is validated here before any of
//! it is used.

use kernel::{
    fdt::{Fdt, FdtWriter},
    folio::max_pagecache_order,
    fs::dentry::is_valid_name,
    fs::inode::{types::*, Timespec, S_IFMT},
    prelude::*,
    sort::{sort_unstable, sort_unstable_by_key},
};

/// Why a handover is refused: the errno for the caller and a reason for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) err: Error,
    pub(crate) why: &'static str,
}

impl Refusal {
    /// A malformed, inconsistent or unsafe handover (`EINVAL`).
    const fn invalid(why: &'static str) -> Self {
        Self { err: EINVAL, why }
    }

    /// Memory for the checks could not be allocated: the handover may be retried (`ENOMEM`).
    const NOMEM: Self = Self {
        err: ENOMEM,
        why: "out of memory",
    };
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        r.err
    }
}

impl From<kernel::alloc::AllocError> for Refusal {
    fn from(_: kernel::alloc::AllocError) -> Self {
        Self::NOMEM
    }
}

/// The result of decoding or validating a handover.
pub(crate) type Checked<T> = core::result::Result<T, Refusal>;

/// Compatible string with ABI version (`KHOFS_FDT_COMPATIBLE`).
pub(crate) const COMPATIBLE: &CStr = c"khofs-v2";

const P_COMPATIBLE: &CStr = c"compatible";
const P_PAGE_SHIFT: &CStr = c"page-shift";
const P_ROOT: &CStr = c"root-ino";
const P_NEXT_INO: &CStr = c"next-ino";
const P_INODE_COUNT: &CStr = c"inode-count";
const P_FOLIO_COUNT: &CStr = c"folio-count";
const P_DIRENT_COUNT: &CStr = c"dirent-count";
const P_NAMES_SIZE: &CStr = c"names-size";
const P_TABLES: &CStr = c"tables";

/// Largest piece of the tables: one `kho_alloc_preserve()` allocation (`KHOFS_MAX_CHUNK`).
pub(crate) const MAX_CHUNK: u64 = 4 << 20;
const PAGE_SIZE: u64 = kernel::page::PAGE_SIZE as u64;

/// Bytes per inode record (`struct khofs_inode_ser`).
pub(crate) const INODE_REC_SIZE: usize = 96;
/// Bytes per folio record (`struct khofs_folio_ser`).
pub(crate) const FOLIO_REC_SIZE: usize = 24;
/// Bytes per directory entry record (`struct khofs_dirent_ser`).
pub(crate) const DIRENT_REC_SIZE: usize = 24;
/// Most inodes one handover may carry (`KHOFS_MAX_INODES`).
pub(crate) const MAX_INODES: usize = 1 << 22;
/// Deepest directory nesting accepted (`KHOFS_MAX_DEPTH`).
pub(crate) const MAX_DEPTH: usize = 4096;
/// Most folios one handover may carry (`KHOFS_MAX_FOLIOS`): 64 GiB in 4 KiB folios.
pub(crate) const MAX_FOLIOS: usize = 1 << 24;
/// Largest size of the tables (`KHOFS_MAX_TABLES`): one allocation in the next kernel.
pub(crate) const MAX_TABLES: usize = 1 << 30;
/// Longest entry name (`NAME_MAX`).
const NAME_MAX: usize = kernel::fs::dentry::NAME_MAX;
/// Pages in a file of the largest size (`MAX_LFS_FILESIZE`, `LLONG_MAX` bytes).
const MAX_FILE_PAGES: u64 = (i64::MAX as u64 >> PAGE_SHIFT) + 1;
/// Longest symbolic link target, without its NUL (`PATH_MAX - 1`).
pub(crate) const MAX_SYMLINK: u64 = 4095;
const PAGE_SHIFT: u32 = kernel::page::PAGE_SHIFT as u32;

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
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub(crate) root: u64,
    /// The next inode number the instance would have handed out.
    pub(crate) next_ino: u64,
    pub(crate) inodes: KVVec<InodeRec>,
    pub(crate) folios: KVVec<FolioRec>,
    pub(crate) dirents: KVVec<DirentRec>,
    pub(crate) names: KVVec<u8>,
}

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

    /// Returns the size in bytes of the tables (inodes, folios, entries, names).
    pub(crate) fn tables_size(&self) -> usize {
        self.inodes.len() * INODE_REC_SIZE
            + self.folios.len() * FOLIO_REC_SIZE
            + self.dirents.len() * DIRENT_REC_SIZE
            + self.names.len()
    }

    /// Returns an upper bound of the FDT size when the tables are split in `chunks` pieces.
    pub(crate) fn fdt_size_bound(chunks: usize) -> usize {
        1024 + chunks * 16
    }

    /// Writes the tables into `out`, which must be [`Manifest::tables_size`] bytes long.
    pub(crate) fn encode_tables(&self, out: &mut [u8]) -> Result {
        if out.len() != self.tables_size() {
            return Err(EINVAL);
        }
        let mut w = Writer(out);
        for i in self.inodes.iter() {
            w.u64(i.ino);
            for v in [i.mode, i.uid, i.gid, i.rdev, i.nlink, 0] {
                w.u32(v);
            }
            for v in [
                i.size,
                i.atime.sec as u64,
                i.mtime.sec as u64,
                i.ctime.sec as u64,
            ] {
                w.u64(v);
            }
            for v in [i.atime.nsec, i.mtime.nsec, i.ctime.nsec, 0] {
                w.u32(v);
            }
            w.u64(i.folio_first);
            w.u64(i.folio_count);
        }
        for r in self.folios.iter() {
            for v in [r.phys, r.index, u64::from(r.order)] {
                w.u64(v);
            }
        }
        for d in self.dirents.iter() {
            w.u64(d.parent);
            w.u64(d.ino);
            w.u32(d.name_off);
            w.u32(d.name_len);
        }
        w.bytes(&self.names);
        Ok(())
    }

    /// Encodes the FDT into `buf`, with `chunks` the (physical address, length) of the
    /// preserved pieces that hold the tables, in order. Returns the FDT size.
    pub(crate) fn encode_fdt(&self, buf: &mut [u8], chunks: &[(u64, u64)]) -> Result<usize> {
        let mut w = FdtWriter::new(buf)?;
        w.begin_node(c"")?;
        w.prop_str(P_COMPATIBLE, COMPATIBLE)?;
        w.prop_u64(P_PAGE_SHIFT, u64::from(PAGE_SHIFT))?;
        w.prop_u64(P_ROOT, self.root)?;
        w.prop_u64(P_NEXT_INO, self.next_ino)?;
        w.prop_u64(P_INODE_COUNT, self.inodes.len() as u64)?;
        w.prop_u64(P_FOLIO_COUNT, self.folios.len() as u64)?;
        w.prop_u64(P_DIRENT_COUNT, self.dirents.len() as u64)?;
        w.prop_u64(P_NAMES_SIZE, self.names.len() as u64)?;
        let mut t = KVVec::with_capacity(chunks.len() * 16, GFP_KERNEL)?;
        for &(phys, len) in chunks {
            t.extend_from_slice(&phys.to_be_bytes(), GFP_KERNEL)?;
            t.extend_from_slice(&len.to_be_bytes(), GFP_KERNEL)?;
        }
        w.prop(P_TABLES, &t)?;
        w.end_node()?;
        w.finish()
    }

    /// Decodes a handover: `blob` is the FDT, and `fetch` appends the tables to the buffer it
    /// is given, from the (physical address, length) chunks that hold them.
    ///
    /// Only the structure is checked here (FDT, version, page size, counts, chunk list, table
    /// size); [`Manifest::validate`] checks the contents. Everything the manifest needs is
    /// allocated before `fetch` is called, so `ENOMEM` means that nothing was consumed and the
    /// decode can be retried. `EPROTONOSUPPORT` is a different ABI version, `EINVAL` anything
    /// else malformed.
    pub(crate) fn decode(
        blob: &[u8],
        fetch: impl FnOnce(&[(u64, u64)], &mut KVVec<u8>) -> Result,
    ) -> Checked<Self> {
        let bad = Refusal::invalid;
        let fdt = Fdt::new(blob).map_err(|_| bad("bad FDT header"))?;
        let root = fdt.root();
        let compat = root
            .prop_str(P_COMPATIBLE)
            .map_err(|_| bad("no compatible"))?;
        if compat != COMPATIBLE.to_bytes() {
            return Err(Refusal {
                err: EPROTONOSUPPORT,
                why: "unsupported ABI version",
            });
        }
        if root.prop_u64(P_PAGE_SHIFT) != Ok(u64::from(PAGE_SHIFT)) {
            return Err(bad("different page size"));
        }
        let mut m = Manifest {
            root: root.prop_u64(P_ROOT).map_err(|_| bad("no root-ino"))?,
            next_ino: root.prop_u64(P_NEXT_INO).map_err(|_| bad("no next-ino"))?,
            ..Default::default()
        };
        let count = |name: &CStr, max: usize| -> Checked<usize> {
            let v = root.prop_u64(name).map_err(|_| bad("missing count"))?;
            usize::try_from(v)
                .ok()
                .filter(|&v| v <= max)
                .ok_or(bad("count too large"))
        };
        let n_inodes = count(P_INODE_COUNT, MAX_INODES)?;
        let n_folios = count(P_FOLIO_COUNT, MAX_FOLIOS)?;
        let n_dirents = count(P_DIRENT_COUNT, MAX_INODES * 4)?;
        let n_names = count(P_NAMES_SIZE, MAX_INODES * 4 * 256)?;
        if n_names > n_dirents * NAME_MAX {
            return Err(bad("names too large"));
        }
        let total = n_inodes * INODE_REC_SIZE
            + n_folios * FOLIO_REC_SIZE
            + n_dirents * DIRENT_REC_SIZE
            + n_names;
        if total > MAX_TABLES {
            return Err(bad("tables too large"));
        }

        // The chunk list: each piece non-empty and at most one KHO allocation, summing up.
        let raw = root.prop(P_TABLES).ok_or(bad("no tables"))?;
        if raw.len() % 16 != 0 {
            return Err(bad("bad tables list"));
        }
        let mut chunks: KVVec<(u64, u64)> = KVVec::with_capacity(raw.len() / 16, GFP_KERNEL)?;
        let mut sum: u64 = 0;
        for c in raw.chunks_exact(16) {
            let mut r = Cursor(c);
            let (phys, len) = (r.u64(), r.u64());
            if phys == 0 || phys % PAGE_SIZE != 0 || len == 0 || len > MAX_CHUNK {
                return Err(bad("bad tables chunk"));
            }
            sum += len;
            let _ = chunks.push_within_capacity((phys, len));
        }
        if sum != total as u64 {
            return Err(bad("tables size mismatch"));
        }
        // Everything allocated up front: from `fetch` on, the handover is consumed.
        let mut tables = KVVec::with_capacity(total, GFP_KERNEL)?;
        m.inodes.reserve(n_inodes, GFP_KERNEL)?;
        m.folios.reserve(n_folios, GFP_KERNEL)?;
        m.dirents.reserve(n_dirents, GFP_KERNEL)?;
        m.names.reserve(n_names, GFP_KERNEL)?;
        fetch(&chunks, &mut tables).map_err(|e| Refusal {
            err: if e == ENOMEM { EINVAL } else { e },
            why: "cannot restore the tables",
        })?;
        if tables.len() != total {
            return Err(bad("tables size mismatch"));
        }

        let (inodes, rest) = tables.split_at(n_inodes * INODE_REC_SIZE);
        let (folios, rest) = rest.split_at(n_folios * FOLIO_REC_SIZE);
        let (dirents, names) = rest.split_at(n_dirents * DIRENT_REC_SIZE);
        for r in inodes.chunks_exact(INODE_REC_SIZE) {
            let mut c = Cursor(r);
            let ino = c.u64();
            let (mode, uid, gid, rdev, nlink, _) =
                (c.u32(), c.u32(), c.u32(), c.u32(), c.u32(), c.u32());
            let (size, asec, msec, csec) = (c.u64(), c.u64(), c.u64(), c.u64());
            let (ansec, mnsec, cnsec, _) = (c.u32(), c.u32(), c.u32(), c.u32());
            let (folio_first, folio_count) = (c.u64(), c.u64());
            let ts = |sec: u64, nsec: u32| Timespec {
                sec: sec as i64,
                nsec,
            };
            let _ = m.inodes.push_within_capacity(InodeRec {
                ino,
                mode,
                uid,
                gid,
                rdev,
                nlink,
                size,
                atime: ts(asec, ansec),
                mtime: ts(msec, mnsec),
                ctime: ts(csec, cnsec),
                folio_first,
                folio_count,
            });
        }
        for r in folios.chunks_exact(FOLIO_REC_SIZE) {
            let mut c = Cursor(r);
            let (phys, index, order) = (c.u64(), c.u64(), c.u64());
            let _ = m.folios.push_within_capacity(FolioRec {
                phys,
                index,
                // Out of range orders stay out of range for `validate`.
                order: u32::try_from(order).unwrap_or(u32::MAX),
            });
        }
        for r in dirents.chunks_exact(DIRENT_REC_SIZE) {
            let mut c = Cursor(r);
            let (parent, ino, name_off, name_len) = (c.u64(), c.u64(), c.u32(), c.u32());
            let _ = m.dirents.push_within_capacity(DirentRec {
                parent,
                ino,
                name_off,
                name_len,
            });
        }
        m.names.extend_from_slice(names, GFP_KERNEL)?;
        Ok(m)
    }

    /// Checks every record and the consistency of the whole tree; returns the index built
    /// for it. The same checks run on the outgoing side before a handover is offered, so a
    /// handover the next kernel would refuse is refused at freeze.
    ///
    /// `ENOMEM` leaves the manifest as it was, to be validated again later.
    pub(crate) fn validate(&self) -> Checked<Index> {
        let bad = Refusal::invalid;
        // Inode numbers: unique, non-zero, below `next_ino`; root is a directory.
        let index = Index::new(self)?;
        if index.by_ino.windows(2).any(|w| w[0].0 == w[1].0) {
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
        sort_unstable(&mut ranges);
        if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(bad("folio memory used twice"));
        }

        // Directory entries: valid names, existing parent directory and child, unique
        // (parent, name); count the links each inode gets.
        let mut links: KVVec<u32> = KVVec::from_elem(0u32, self.inodes.len(), GFP_KERNEL)?;
        let mut entries: KVVec<u32> = KVVec::from_elem(0u32, self.inodes.len(), GFP_KERNEL)?;
        let mut keys: KVVec<(u64, &[u8])> = KVVec::with_capacity(self.dirents.len(), GFP_KERNEL)?;
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
            links[c] += 1;
            entries[c] = entries[c].saturating_add(1);
            if self.inodes[c].mode & S_IFMT == S_IFDIR {
                links[p] += 1;
            }
            let _ = keys.push_within_capacity((d.parent, name));
        }
        sort_unstable(&mut keys);
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return Err(bad("duplicate name in a directory"));
        }
        for (n, i) in self.inodes.iter().enumerate() {
            let is_dir = i.mode & S_IFMT == S_IFDIR;
            if n == root {
                // "." and ".." of the root, plus ".." of each subdirectory.
                if links[n].checked_add(2) != Some(i.nlink) {
                    return Err(bad("link count mismatch"));
                }
            } else if is_dir {
                // Directories have exactly one entry (no directory hard links).
                if entries[n] != 1 || links[n].checked_add(1) != Some(i.nlink) {
                    return Err(bad("directory link count mismatch"));
                }
            } else if links[n] == 0 || links[n] != i.nlink {
                return Err(bad("link count mismatch"));
            }
        }
        self.check_tree(root, &index)?;
        Ok(index)
    }

    /// Every directory but the root has exactly one entry (checked via link counts); walk
    /// from the root to prove all inodes are reachable (no cycles) within `MAX_DEPTH`.
    fn check_tree(&self, root: usize, index: &Index) -> Checked<()> {
        let bad = Refusal::invalid;
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
    fn new(m: &Manifest) -> Checked<Self> {
        let mut by_ino = KVVec::with_capacity(m.inodes.len(), GFP_KERNEL)?;
        for (n, i) in m.inodes.iter().enumerate() {
            by_ino.push((i.ino, n), GFP_KERNEL)?;
        }
        sort_unstable(&mut by_ino);
        let mut by_parent = KVVec::with_capacity(m.dirents.len(), GFP_KERNEL)?;
        for k in 0..m.dirents.len() {
            by_parent.push(k, GFP_KERNEL)?;
        }
        sort_unstable_by_key(&mut by_parent, |&k| m.dirents[k].parent);
        Ok(Self { by_ino, by_parent })
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

/// Writes big-endian integers into a buffer whose length was checked by the caller.
struct Writer<'a>(&'a mut [u8]);

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        let buf = core::mem::take(&mut self.0);
        let (head, rest) = buf.split_at_mut(b.len().min(buf.len()));
        head.copy_from_slice(&b[..head.len()]);
        self.0 = rest;
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }
}

/// Reads big-endian integers from a record whose length was checked by the caller.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        if let Some((head, rest)) = self.0.split_at_checked(N) {
            b.copy_from_slice(head);
            self.0 = rest;
        }
        b
    }

    fn u64(&mut self) -> u64 {
        u64::from_be_bytes(self.take())
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take())
    }
}

#[kunit_tests(khofs_handover)]
mod tests {
    use super::*;

    const DIR: u32 = S_IFDIR | 0o755;

    fn ino(ino: u64, mode: u32, nlink: u32, size: u64, folios: u64) -> InodeRec {
        InodeRec {
            ino,
            mode,
            uid: 1000,
            gid: 100,
            nlink,
            size,
            mtime: Timespec {
                sec: 1_700_000_000,
                nsec: 123_456_789,
            },
            folio_count: folios,
            ..Default::default()
        }
    }

    /// A small tree:
    /// `/a.txt` (2 folios), `/d/` with `/d/e/` (empty), `/d/link` (hard link to a.txt),
    /// `/d/sym` -> "a.txt", `/fifo`, `/big` (one 2 MiB folio), `/null` (char 1:3).
    pub(super) fn sample() -> Manifest {
        let mut m = Manifest {
            root: 1,
            next_ino: 100,
            ..Default::default()
        };
        let mut add = |i: InodeRec, f: &[(u64, u64, u32)]| {
            let mut i = i;
            i.folio_first = m.folios.len() as u64;
            for &(phys, index, order) in f {
                m.folios
                    .push(FolioRec { phys, index, order }, GFP_KERNEL)
                    .unwrap();
            }
            m.inodes.push(i, GFP_KERNEL).unwrap();
        };
        add(ino(1, DIR, 3, 0, 0), &[]);
        add(
            ino(2, S_IFREG | 0o640, 2, 5000, 2),
            &[(0x10_0000, 0, 0), (0x20_0000, 1, 0)],
        );
        add(ino(3, DIR, 3, 0, 0), &[]);
        add(ino(4, DIR, 2, 0, 0), &[]);
        add(ino(5, S_IFLNK | 0o777, 1, 5, 1), &[(0x30_0000, 0, 0)]);
        add(ino(6, S_IFIFO | 0o600, 1, 0, 0), &[]);
        add(
            ino(7, S_IFREG | 0o4755, 1, 4 << 20, 1),
            &[(0x4000_0000, 512, 9)],
        );
        let mut null = ino(8, S_IFCHR | 0o666, 1, 0, 0);
        null.rdev = (1 << 8) | 3;
        add(null, &[]);
        m.push_dirent(1, 2, b"a.txt").unwrap();
        m.push_dirent(1, 3, b"d").unwrap();
        m.push_dirent(3, 4, b"e").unwrap();
        m.push_dirent(3, 2, b"link").unwrap();
        m.push_dirent(3, 5, b"sym").unwrap();
        m.push_dirent(1, 6, b"fifo").unwrap();
        m.push_dirent(1, 7, b"big").unwrap();
        m.push_dirent(1, 8, b"null").unwrap();
        m
    }

    /// Where the tests pretend the tables were preserved.
    const FAKE_PHYS: u64 = 0x7777_7000;

    /// Encodes `m` as one test blob: the FDT followed by the tables.
    pub(super) fn encode(m: &Manifest) -> KVVec<u8> {
        let mut tables = KVVec::from_elem(0u8, m.tables_size(), GFP_KERNEL).unwrap();
        m.encode_tables(&mut tables).unwrap();
        let chunk = [(FAKE_PHYS, tables.len() as u64)];
        let mut buf = KVVec::from_elem(0u8, Manifest::fdt_size_bound(1), GFP_KERNEL).unwrap();
        let n = m.encode_fdt(&mut buf, &chunk).unwrap();
        buf.truncate(n);
        buf.extend_from_slice(&tables, GFP_KERNEL).unwrap();
        buf
    }

    fn dup(blob: &[u8]) -> KVVec<u8> {
        let mut b = KVVec::new();
        b.extend_from_slice(blob, GFP_KERNEL).unwrap();
        b
    }

    /// Decodes a test blob from [`encode`]: the tables are whatever follows the FDT.
    pub(super) fn decode(blob: &[u8]) -> Result<Manifest> {
        let fdt_len = blob
            .get(4..8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .unwrap_or(blob.len())
            .min(blob.len());
        let (fdt, tables) = blob.split_at(fdt_len);
        let fetch = |chunks: &[(u64, u64)], out: &mut KVVec<u8>| -> Result {
            if chunks.len() != 1 || chunks[0] != (FAKE_PHYS, tables.len() as u64) {
                return Err(EINVAL);
            }
            out.extend_from_slice(tables, GFP_KERNEL)?;
            Ok(())
        };
        let m = Manifest::decode(fdt, fetch)?;
        m.validate()?;
        Ok(m)
    }

    #[test]
    fn roundtrip() {
        let m = sample();
        assert_eq!(decode(&encode(&m)), Ok(m));
    }

    #[test]
    fn roundtrip_empty_root() {
        let mut m = Manifest {
            root: 1,
            next_ino: 2,
            ..Default::default()
        };
        m.inodes.push(ino(1, DIR, 2, 0, 0), GFP_KERNEL).unwrap();
        assert_eq!(decode(&encode(&m)), Ok(m));
    }

    /// Folios past the end of a file (`fallocate` with `FALLOC_FL_KEEP_SIZE`) are handed
    /// over.
    #[test]
    fn accepts_folios_past_eof() {
        let mut m = sample();
        m.inodes[1].size = 100;
        assert_eq!(decode(&encode(&m)), Ok(m));
    }

    /// A large handover is validated without deep recursion (the kernel stack is 16 KiB):
    /// 300,000 folios and 100,000 entries, in an order that sorting has to work on.
    #[test]
    fn validates_large_manifests() {
        let mut m = Manifest {
            root: 1,
            next_ino: 200_000,
            ..Default::default()
        };
        m.inodes.push(ino(1, DIR, 2, 0, 0), GFP_KERNEL).unwrap();
        let files = 100_000u64;
        for n in 0..files {
            // Inode numbers in reverse order, folios at descending addresses.
            let i = 150_000 - n;
            let mut rec = ino(i, S_IFREG | 0o600, 1, 3 * 4096, 3);
            rec.folio_first = m.folios.len() as u64;
            for k in 0..3u64 {
                let phys = (1u64 << 40) - ((n * 3 + k + 1) << PAGE_SHIFT);
                m.folios
                    .push(
                        FolioRec {
                            phys,
                            index: k,
                            order: 0,
                        },
                        GFP_KERNEL,
                    )
                    .unwrap();
            }
            m.inodes.push(rec, GFP_KERNEL).unwrap();
            let name = kernel::str::CString::try_from_fmt(fmt!("f{i}")).unwrap();
            m.push_dirent(1, i, name.to_bytes()).unwrap();
        }
        m.inodes[0].nlink = 2;
        assert_eq!(m.validate().map(|_| ()), Ok(()));
    }

    #[test]
    fn encode_reports_nospc() {
        let m = sample();
        let mut small = KVVec::from_elem(0u8, 128, GFP_KERNEL).unwrap();
        assert_eq!(m.encode_fdt(&mut small, &[(FAKE_PHYS, 1)]), Err(ENOSPC));
        let mut wrong = KVVec::from_elem(0u8, m.tables_size() - 1, GFP_KERNEL).unwrap();
        assert_eq!(m.encode_tables(&mut wrong), Err(EINVAL));
    }

    #[test]
    fn rejects_foreign_version() {
        let mut blob = encode(&sample());
        let pos = blob.windows(8).position(|w| w == b"khofs-v2").unwrap();
        blob[pos + 7] = b'9';
        assert_eq!(decode(&blob), Err(EPROTONOSUPPORT));
    }

    /// Targeted corruptions of an otherwise valid tree: each must be refused.
    #[test]
    fn rejects_inconsistent_trees() {
        type Corrupt = fn(&mut Manifest);
        let cases: [Corrupt; 38] = [
            |m| m.root = 99,                                             // root missing
            |m| m.root = 2,                                              // root not a directory
            |m| m.next_ino = 5,                                          // ino beyond next-ino
            |m| m.inodes[1].ino = 3,                                     // duplicate ino
            |m| m.inodes[1].ino = 0,                                     // ino 0
            |m| m.inodes[1].mode = 0o170644,                             // bad file type
            |m| m.inodes[1].mode |= 0o10000,                             // unknown mode bit
            |m| m.inodes[1].uid = u32::MAX,                              // invalid owner
            |m| m.inodes[1].mtime.nsec = 1_000_000_000,                  // bad timestamp
            |m| m.inodes[1].size = u64::MAX,                             // size too large
            |m| m.folios[1].index = u64::MAX,                            // beyond any file size
            |m| m.inodes[1].nlink = 1,                                   // link count
            |m| m.inodes[0].nlink = 4,                                   // root link count
            |m| m.inodes[2].nlink = 2,                                   // dir link count
            |m| m.inodes[5].rdev = 7,                                    // rdev on a FIFO
            |m| m.inodes[5].size = 1,                                    // data on a FIFO
            |m| m.inodes[4].size = 0,                                    // empty symlink
            |m| m.inodes[4].size = 5000,                                 // symlink too long
            |m| m.inodes[1].folio_count = 3, // folio range overlaps next
            |m| m.inodes[1].folio_first = 1, // folio range out of order
            |m| m.folios[0].phys = 0x10_0800, // misaligned phys
            |m| m.folios[0].phys = 0,        // null phys
            |m| m.folios[1].phys = 0x10_0000, // same memory twice
            |m| m.folios[3].phys = 0x4010_0000, // misaligned large folio
            |m| m.folios[3].index = 513,     // misaligned index
            |m| m.folios[1].index = 0,       // out of order
            |m| m.dirents[0].name_len = 300, // name out of bounds
            |m| m.dirents[0].name_off = u32::MAX, // name offset overflow
            |m| m.names[0] = b'/',           // '/' in a name
            |m| m.dirents[1].parent = 2,     // entry in a non-directory
            |m| m.dirents[1].ino = 1,        // entry for the root
            |m| m.dirents[2].ino = 3,        // directory cycle d/e -> d
            |m| m.dirents[4].parent = 99,    // entry in unknown directory
            |m| (m.dirents[7].name_off, m.dirents[7].name_len) = (0, 5), // duplicate "a.txt"
            |m| m.folios[2].order = 1,       // large folio for a symlink
            |m| m.folios[2].index = 1,       // symlink data not at index 0
            |m| m.inodes[4].folio_count = 0, // symlink without data
            |m| m.folios[3].order = max_pagecache_order() + 1, // above the page cache's
        ];
        for (n, corrupt) in cases.iter().enumerate() {
            let mut m = sample();
            corrupt(&mut m);
            let res = decode(&encode(&m));
            if res.is_ok() {
                pr_err!("corruption {n} was accepted\n");
            }
            assert!(res.is_err());
        }
    }

    /// At least 200 truncated, bit-flipped and randomly mutated blobs: none may crash the
    /// decoder; the truncated ones and those with a broken header must be refused, and a
    /// mutated blob that is accepted must still describe a consistent tree.
    #[test]
    fn refuses_hostile_blobs() {
        let blob = encode(&sample());
        let mut refused = 0usize;
        let mut total = 0usize;
        // Every truncation.
        for len in 0..blob.len() {
            total += 1;
            if decode(&blob[..len]).is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, blob.len());
        // Header fields: magic, sizes, offsets, versions.
        for off in 0..40 {
            let mut b = dup(&blob);
            b[off] ^= 0x80;
            total += 1;
            if decode(&b).is_err() {
                refused += 1;
            }
        }
        // Seeded random mutations of 1 to 8 bytes anywhere.
        let mut x: u64 = 0x6b68_6f66_2026_1125;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut random_refused = 0usize;
        for _ in 0..1000 {
            let mut b = dup(&blob);
            for _ in 0..1 + rnd() % 8 {
                let pos = (rnd() % b.len() as u64) as usize;
                b[pos] = rnd() as u8;
            }
            total += 1;
            match decode(&b) {
                Err(_) => random_refused += 1,
                // Whatever is accepted must re-encode and decode to itself.
                Ok(m) => assert_eq!(decode(&encode(&m)), Ok(m)),
            }
        }
        refused += random_refused;
        pr_info!("hostile blobs: {refused} of {total} refused ({random_refused} of 1000 random)\n");
        assert!(refused >= 200);
        assert!(random_refused >= 200);
    }
}
