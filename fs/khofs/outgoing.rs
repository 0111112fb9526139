// SPDX-License-Identifier: GPL-2.0

//! The outgoing side of the handover: record a frozen instance's tree, preserve its folios
//! and publish the manifest for the next kernel. Uses `handover` and `instance` only.

use crate::{
    handover::{Checked, FolioRec, InodeRec, Manifest, Refusal},
    instance::Instance,
};
use kernel::{
    folio::{max_pagecache_order, Folio},
    fs::{
        dentry::{Dentry, DentryRef},
        inode::{Inode, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG},
    },
    kho::{PreservedBuf, PreservedFolio, PreservedPages, Subtree},
    prelude::*,
    rbtree::RBTree,
    sync::{aref::ARef, atomic::Relaxed},
    time::{Delta, Instant, Monotonic},
};

/// File data kept for the next kernel, one guard per record of the folio table.
#[derive(Default)]
pub(crate) struct Kept {
    /// Folios of the page cache.
    folios: KVVec<PreservedFolio>,
    /// Blocks of adjacent single-page folios (see [`Run`]).
    blocks: KVVec<PreservedPages>,
}

impl Kept {
    /// Returns the number of records.
    fn len(&self) -> usize {
        self.folios.len() + self.blocks.len()
    }
}

/// A handover prepared for the next kernel: the published blob and the preserved folios.
///
/// Dropping it withdraws the blob and unpreserves the folios.
pub(crate) struct Published {
    sub: Subtree,
    /// The pieces of the tables, referenced from the FDT.
    tables: KVVec<PreservedBuf>,
    /// The data of the files, preserved until this is dropped.
    preserved: Kept,
    inodes: usize,
    dirents: usize,
    pages: u64,
}

impl Published {
    /// Returns the numbers of inodes, entries, pages of data and folio records handed over,
    /// and the bytes of metadata (FDT and tables).
    pub(crate) fn counts(&self) -> (usize, usize, u64, usize, usize) {
        (
            self.inodes,
            self.dirents,
            self.pages,
            self.preserved.len(),
            self.sub.as_slice().len() + self.tables.iter().map(|t| t.len()).sum::<usize>(),
        )
    }
}

/// Prepares the handover of `inst` from its tree at `root`: preserves every folio and
/// publishes the manifest. Reports the result (one `pr_info` or one `pr_err`).
///
/// The caller keeps the tree from changing meanwhile (the instance is frozen; stores through
/// existing shared mappings still land in the preserved folios), and has withdrawn any earlier
/// handover of `inst` (a folio preserved twice is preserved once). Errors are returned to
/// whoever froze the file system, before any point of no return.
pub(crate) fn prepare(inst: &Instance, root: &Dentry) -> Result<Published> {
    let mut preserved = Kept::default();
    let mut t = Times::default();
    match publish(inst, root, &mut preserved, &mut t) {
        Ok((sub, tables, m)) => {
            let pages = m.pages();
            pr_info!(
                "{}: prepared handover: {} inodes, {} entries, {} pages in {} records, {} bytes \
                 of metadata in {} us (record and preserve {} us, encode {} us, check {} us)\n",
                inst.node.to_str().unwrap_or("?"),
                m.inodes.len(),
                m.dirents.len(),
                pages,
                m.folios.len(),
                sub.as_slice().len() + m.tables_size(),
                t.start.elapsed().as_micros_ceil(),
                t.recorded.as_micros_ceil(),
                (t.encoded - t.recorded).as_micros_ceil(),
                (t.checked - t.encoded).as_micros_ceil()
            );
            Ok(Published {
                sub,
                tables,
                preserved,
                inodes: m.inodes.len(),
                dirents: m.dirents.len(),
                pages,
            })
        }
        Err(r) => {
            drop(preserved);
            pr_err!(
                "{}: cannot prepare handover: {} ({:?})\n",
                inst.node.to_str().unwrap_or("?"),
                r.why(),
                r.errno()
            );
            Err(r.errno())
        }
    }
}

/// Size of the pieces the tables are preserved in (order-8 allocations).
const CHUNK: usize = 1 << 20;

/// When the steps of [`publish`] ended, from its start.
struct Times {
    start: Instant<Monotonic>,
    recorded: Delta,
    encoded: Delta,
    checked: Delta,
}

impl Default for Times {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            recorded: Delta::ZERO,
            encoded: Delta::ZERO,
            checked: Delta::ZERO,
        }
    }
}

/// Builds, encodes and publishes the handover of `inst`, after checking that the next kernel
/// will accept it: the published FDT and tables are decoded and validated exactly as the next
/// kernel does.
fn publish(
    inst: &Instance,
    root: &Dentry,
    preserved: &mut Kept,
    t: &mut Times,
) -> Checked<(Subtree, KVVec<PreservedBuf>, Manifest)> {
    let fail = |why: &'static str| move |err: Error| Refusal::Failed { why, err };
    let m = build(root, inst.next_ino.load(Relaxed), preserved)
        .map_err(fail("cannot record the tree"))?;
    t.recorded = t.start.elapsed();
    let mut tables = KVVec::with_capacity(m.tables_size(), GFP_KERNEL)?;
    tables.resize(m.tables_size(), 0, GFP_KERNEL)?;
    m.encode_tables(&mut tables)
        .map_err(fail("cannot encode the tables"))?;
    let mut pieces = KVVec::with_capacity(tables.len().div_ceil(CHUNK), GFP_KERNEL)?;
    let mut list = KVVec::with_capacity(pieces.capacity(), GFP_KERNEL)?;
    for piece in tables.chunks(CHUNK) {
        let mut buf = PreservedBuf::new(piece.len()).map_err(fail("cannot preserve the tables"))?;
        buf.as_mut_slice()[..piece.len()].copy_from_slice(piece);
        list.push((buf.phys(), piece.len() as u64), GFP_KERNEL)?;
        pieces.push(buf, GFP_KERNEL)?;
    }
    drop(tables);
    let mut fdt = PreservedBuf::new(Manifest::fdt_size_bound(list.len()))
        .map_err(fail("cannot preserve the FDT"))?;
    let len = m
        .encode_fdt(fdt.as_mut_slice(), &list)
        .map_err(fail("cannot encode the FDT"))?;

    // What the next kernel will do with it: decode from the published bytes, then validate.
    t.encoded = t.start.elapsed();
    let read = |chunks: &[(u64, u64)], out: &mut KVVec<u8>| -> Result {
        if chunks.len() != pieces.len() {
            return Err(EINVAL);
        }
        for (&(phys, len), piece) in chunks.iter().zip(pieces.iter()) {
            if phys != piece.phys() || len as usize > piece.len() {
                return Err(EINVAL);
            }
            piece.append_to(len as usize, out)?;
        }
        Ok(())
    };
    match Manifest::decode(&fdt.as_slice()[..len], read).and_then(|d| d.validate().map(|_| d)) {
        Ok(decoded) if decoded == m => (),
        Ok(_) => {
            return Err(Refusal::Invalid(
                "the handover does not decode to what was recorded",
            ))
        }
        // The check needs about as much memory again as the handover's metadata: without it
        // (at kexec, say), the handover, built by the same code, is offered unchecked.
        Err(r) if r.errno() == ENOMEM => pr_warn!(
            "{}: not enough memory to check the handover; offered unchecked\n",
            inst.node.to_str().unwrap_or("?")
        ),
        Err(r) => return Err(r),
    }
    t.checked = t.start.elapsed();
    let sub = Subtree::add(&inst.node, fdt, len).map_err(fail("cannot publish the FDT"))?;
    Ok((sub, pieces, m))
}

/// Walks the tree from the root and records every inode once (hard links become several
/// entries for one inode), preserving the folios of files and symbolic links.
fn build(root_dentry: &Dentry, next_ino: u64, preserved: &mut Kept) -> Result<Manifest> {
    let root = root_dentry.inode().ok_or(EINVAL)?;
    let mut m = Manifest {
        root: root.ino(),
        next_ino,
        ..Default::default()
    };
    let mut seen: RBTree<u64, usize> = RBTree::new();
    let mut run = Run::new();
    record(&mut m, &root, preserved, &mut run)?;
    seen.try_create_and_insert(root.ino(), 0, GFP_KERNEL)?;
    let mut dirs: KVVec<(DentryRef<'_>, u64)> = KVVec::new();
    dirs.push((root_dentry.to_ref(), root.ino()), GFP_KERNEL)?;
    while let Some((dir, dir_ino)) = dirs.pop() {
        for child in dir.children()? {
            let Some(inode) = child.inode() else {
                continue;
            };
            let ino = inode.ino();
            m.push_dirent(dir_ino, ino, &child.name()?)?;
            if seen.get(&ino).is_some() {
                continue;
            }
            seen.try_create_and_insert(ino, m.inodes.len(), GFP_KERNEL)?;
            record(&mut m, &inode, preserved, &mut run)?;
            if inode.mode() & S_IFMT == S_IFDIR {
                dirs.push((child.clone(), ino), GFP_KERNEL)?;
            }
        }
    }
    // Link counts as seen by this walk, so the manifest is consistent even if the tree
    // changed while we walked it.
    let mut links = KVVec::from_elem(0u32, m.inodes.len(), GFP_KERNEL)?;
    m.count_links(|ino| seen.get(&ino).copied(), &mut links)?;
    for (i, &n) in m.inodes.iter_mut().zip(links.iter()) {
        i.nlink = n;
    }
    if m.next_ino <= m.inodes.iter().map(|i| i.ino).max().unwrap_or(0) {
        return Err(EINVAL);
    }
    Ok(m)
}

fn record(m: &mut Manifest, inode: &Inode, preserved: &mut Kept, run: &mut Run) -> Result {
    let a = inode.attrs();
    let t = a.mode & S_IFMT;
    let mut rec = InodeRec {
        ino: inode.ino(),
        mode: a.mode,
        uid: a.uid,
        gid: a.gid,
        rdev: a.rdev,
        nlink: 0,
        size: if t == S_IFREG || t == S_IFLNK {
            a.size as u64
        } else {
            0
        },
        atime: a.atime,
        mtime: a.mtime,
        ctime: a.ctime,
        folio_first: m.folios.len() as u64,
        folio_count: 0,
    };
    if t == S_IFREG || t == S_IFLNK {
        inode.for_each_folio(|folio| {
            // A clean folio was only read from a hole (zeros, never written): the hole
            // stays a hole.
            if !folio.is_dirty() {
                return Ok(());
            }
            if folio.order() == 0 && t == S_IFREG {
                return run.add(folio, m, preserved);
            }
            run.flush(m, preserved)?;
            keep(m, preserved, folio.into())
        })?;
        run.flush(m, preserved)?;
        rec.folio_count = m.folios.len() as u64 - rec.folio_first;
    }
    m.inodes.push(rec, GFP_KERNEL)?;
    Ok(())
}

/// Preserves one folio as a record of its own.
fn keep(m: &mut Manifest, preserved: &mut Kept, folio: ARef<Folio>) -> Result {
    preserved.folios.reserve(1, GFP_KERNEL)?;
    m.folios.reserve(1, GFP_KERNEL)?;
    let rec = FolioRec {
        phys: folio.phys(),
        index: folio.index(),
        order: folio.order(),
    };
    let _ = preserved
        .folios
        .push_within_capacity(PreservedFolio::new(folio)?);
    let _ = m.folios.push_within_capacity(rec);
    Ok(())
}

/// Preserves a block of single-page folios starting at file page `index` as one record.
fn keep_block(
    m: &mut Manifest,
    preserved: &mut Kept,
    block: KVVec<ARef<Folio>>,
    index: u64,
) -> Result {
    preserved.blocks.reserve(1, GFP_KERNEL)?;
    m.folios.reserve(1, GFP_KERNEL)?;
    let block = PreservedPages::new(block)?;
    let rec = FolioRec {
        phys: block.phys(),
        index,
        order: block.order(),
    };
    let _ = preserved.blocks.push_within_capacity(block);
    let _ = m.folios.push_within_capacity(rec);
    Ok(())
}

/// Returns whether the first and last of `folios` are on the same NUMA node: KHO splits a
/// range whose ends are not (`kho_preserve_pages`), which the next kernel would not find as
/// one block. Such a block goes a page at a time.
fn one_node(folios: &[ARef<Folio>]) -> bool {
    match (folios.first(), folios.last()) {
        (Some(a), Some(b)) => a.nid() == b.nid(),
        _ => true,
    }
}

/// Single-page folios of one file, adjacent in memory and in the file,
/// gathered into blocks: a block of `1 << k` of them, aligned to its size both in memory and
/// in the file, is one record, preserved as one range ([`PreservedPages`]) that the next
/// kernel restores as one folio of order `k`. Pages from [`kernel::folio::FolioPacker`]
/// (written a page at a time) are adjacent, so a large file written sequentially needs a
/// record per 2 MiB instead of one per page. Pages whose place in memory and in the file do
/// not line up (a file that starts inside a chunk, writers taking turns) go one record each.
struct Run {
    /// The folios, from page frame `pfn` and file page `index` on.
    folios: KVVec<ARef<Folio>>,
    pfn: usize,
    index: u64,
    /// The largest block order: [`max_pagecache_order`].
    max: u32,
}

impl Run {
    fn new() -> Self {
        Self {
            folios: KVVec::new(),
            pfn: 0,
            index: 0,
            max: max_pagecache_order(),
        }
    }

    /// Order of the largest block that can start at `pfn` and `index`: aligned in memory (for
    /// KHO) and in the file (for the page cache), at most the largest page-cache folio.
    fn order_at(pfn: usize, index: u64, max: u32) -> u32 {
        (pfn as u64 | index).trailing_zeros().min(max)
    }

    /// Adds the next single-page folio; records a block as soon as one is complete.
    fn add(&mut self, folio: &Folio, m: &mut Manifest, preserved: &mut Kept) -> Result {
        let n = self.folios.len();
        if n > 0 && (folio.pfn() != self.pfn + n || folio.index() != self.index + n as u64) {
            self.flush(m, preserved)?;
        }
        if self.folios.is_empty() {
            self.pfn = folio.pfn();
            self.index = folio.index();
        }
        self.folios.push(folio.into(), GFP_KERNEL)?;
        if self.folios.len() == 1 << Self::order_at(self.pfn, self.index, self.max) {
            self.flush(m, preserved)?;
        }
        Ok(())
    }

    /// Records what was gathered, as few blocks as alignment allows.
    fn flush(&mut self, m: &mut Manifest, preserved: &mut Kept) -> Result {
        let (mut pfn, mut index, max) = (self.pfn, self.index, self.max);
        let mut left = self.folios.len();
        if left > 1 && left == 1 << Self::order_at(pfn, index, max) && one_node(&self.folios) {
            // One block: hand over the buffer itself.
            let all = core::mem::take(&mut self.folios);
            return keep_block(m, preserved, all, index);
        }
        // Otherwise the buffer is emptied and kept (a file of one page allocates nothing).
        let mut folios = self.folios.drain_all();
        while left > 0 {
            let order = Self::order_at(pfn, index, max).min(left.ilog2());
            let n = 1usize << order;
            if order == 0 {
                keep(m, preserved, folios.next().ok_or(EINVAL)?)?;
            } else {
                let mut block = KVVec::with_capacity(n, GFP_KERNEL)?;
                for f in folios.by_ref().take(n) {
                    let _ = block.push_within_capacity(f);
                }
                if one_node(&block) {
                    keep_block(m, preserved, block, index)?;
                } else {
                    for f in block.drain_all() {
                        keep(m, preserved, f)?;
                    }
                }
            }
            pfn += n;
            index += n as u64;
            left -= n;
        }
        Ok(())
    }
}
