// SPDX-License-Identifier: GPL-2.0

//! The incoming side of the handover: retrieve, decode and validate what the previous kernel
//! handed over, and recreate its tree at first mount (or free it). Uses `handover` only.

use crate::handover::{FolioRec, Index, InodeRec, Manifest};
use kernel::{
    folio::max_pagecache_order,
    fs::{
        dentry::Dentry,
        inode::{Attrs, Inode, InodeRef, S_IFDIR, S_IFMT},
        sb::{FileSystem, NewSuperBlock},
    },
    kho,
    page::PAGE_SIZE,
    prelude::*,
    sort::sort_unstable,
};

/// Checks the result of retrieving a handover from the previous kernel: `None` if there is
/// none, the blob (restored, ours) if there is one. A subtree KHO cannot give back is refused
/// with one `pr_err`.
pub(crate) fn retrieve(res: Result<kho::Incoming>) -> Result<Option<kho::Incoming>> {
    match res {
        Ok(i) => Ok(Some(i)),
        Err(e) if e == ENOENT => Ok(None),
        Err(e) => {
            pr_err!("refusing handover from previous kernel: bad KHO subtree ({e:?})\n");
            Err(e)
        }
    }
}

/// Decodes the handover `blob` from the previous kernel; [`Manifest::validate`] checks its
/// contents.
///
/// `ENOMEM` consumed nothing: the blob can be decoded again. On any other error the handover
/// is consumed and refused as a whole, with one `pr_err`; its data folios cannot be located
/// and stay reserved only if its tables are unreadable (for example a different ABI version).
pub(crate) fn decode(blob: &kho::Incoming) -> Result<Manifest> {
    // The tables: each piece is taken back (KHO checks it was preserved) and freed.
    let fetch = |chunks: &[(u64, u64)], out: &mut KVVec<u8>| -> Result {
        for (k, &(phys, len)) in chunks.iter().enumerate() {
            // SAFETY: The pieces are listed by the previous kernel's khofs, which publishes
            // only buffers it preserved with `PreservedBuf` (the blob's ABI version was
            // checked by `decode`); `decode` checked that they do not overlap before calling
            // us, and the blob is decoded only until this point is reached once (the blob is
            // then dropped), so none was restored before.
            if let Err(e) = unsafe { kho::take_preserved(phys, len as usize, out) } {
                for &(rest, _) in &chunks[k + 1..] {
                    // SAFETY: As above: the rest of the pieces were not restored yet.
                    drop(unsafe { kho::restore_folio(rest) });
                }
                return Err(e);
            }
        }
        Ok(())
    };
    let mut m = Manifest::decode(blob.as_slice(), fetch).map_err(|r| {
        if r.errno() != ENOMEM {
            pr_err!(
                "refusing handover from previous kernel: {} ({:?})\n",
                r.why(),
                r.errno()
            );
        }
        r.errno()
    })?;
    // Room was reserved by `decode`.
    let _ = m.taken.push_within_capacity(blob.span());
    Ok(m)
}

/// Validates the decoded handover `m` of instance `name`. A handover that fails validation is
/// refused with one `pr_err`, and its data folios are freed: the caller then drops `m`.
///
/// `ENOMEM` leaves `m` as it was, to be held for another try.
pub(crate) fn validate(name: &str, m: &Manifest) -> Result<Index> {
    m.validate().map_err(|r| {
        if r.errno() != ENOMEM {
            let freed = discard_all(m);
            pr_err!(
                "{name}: refusing handover from previous kernel: {}; {freed} pages freed\n",
                r.why()
            );
        }
        r.errno()
    })
}

/// Recreates the tree described by the validated manifest `m` (with its `index`) in `sb`,
/// putting the preserved folios back into the page caches, and returns the next inode number.
///
/// Inodes and names come first: until they all exist, nothing of the handover is consumed,
/// and an error (such as `ENOMEM`) is returned with `true`: the handover can be tried again.
/// Then the folios are restored; an error there frees the rest of them (`false`).
pub(crate) fn build_tree<T: FileSystem>(
    sb: &NewSuperBlock<T>,
    m: &Manifest,
    index: &Index,
) -> core::result::Result<u64, (Error, bool)> {
    // `inodes` keeps a reference to each inode until the end, for its hard links and its
    // folios; on error, dropping them frees everything restored.
    let mut inodes: KVVec<InodeRef<'_>> = KVVec::new();
    let mut skeleton = || -> Result {
        inodes.reserve(m.inodes.len(), GFP_KERNEL)?;
        let mut linked = KVVec::from_elem(false, m.inodes.len(), GFP_KERNEL)?;
        let mut dirs: KVVec<(&Dentry, u64)> = KVVec::with_capacity(16, GFP_KERNEL)?;
        for rec in m.inodes.iter() {
            let attrs = Attrs {
                mode: rec.mode,
                uid: rec.uid,
                gid: rec.gid,
                rdev: rec.rdev,
                size: rec.size as i64,
                atime: rec.atime,
                mtime: rec.mtime,
                ctime: rec.ctime,
            };
            let _ = inodes.push_within_capacity(sb.new_inode(&attrs, Some(rec.ino), true)?);
        }
        // The namespace, directory by directory from the root.
        let find = |ino: u64| index.find(ino).ok_or(EINVAL);
        let r = find(m.root)?;
        let root = sb.set_root(inodes[r].clone())?;
        linked[r] = true;
        dirs.push((root, m.root), GFP_KERNEL)?;
        while let Some((dir, dir_ino)) = dirs.pop() {
            for d in index.children(m, dir_ino) {
                let c = find(d.ino)?;
                let inode = &inodes[c];
                if linked[c] {
                    sb.add_hard_link(dir, m.name(d), inode)?;
                    continue;
                }
                linked[c] = true;
                let child = sb.add_child(dir, m.name(d), inode.clone())?;
                if inode.mode() & S_IFMT == S_IFDIR {
                    dirs.push((child, d.ino), GFP_KERNEL)?;
                }
            }
        }
        Ok(())
    };
    if let Err(e) = skeleton() {
        pr_err!("handover: cannot recreate the tree: {e:?}; mount failed, can be retried\n");
        return Err((e, true));
    }

    // Then the data; on failure, free the folios not yet restored.
    for (n, (rec, inode)) in m.inodes.iter().zip(inodes.iter()).enumerate() {
        if let Err((e, done)) = restore_folios(sb, m, rec, inode) {
            pr_err!(
                "handover: cannot restore the data of inode {} ({} of {}): {e:?}; mount refused\n",
                rec.ino,
                n + 1,
                m.inodes.len()
            );
            discard(m, &m.inodes[n..], done);
            return Err((e, false));
        }
    }
    pr_info!(
        "took over {} inodes, {} entries, {} pages from the previous kernel\n",
        m.inodes.len(),
        m.dirents.len(),
        m.pages()
    );
    Ok(m.next_ino)
}

/// Restores the folios of `rec` into the page cache of its `inode`. On error, also returns
/// how many of its folios were restored (they go away with the inode).
fn restore_folios<T: FileSystem>(
    sb: &NewSuperBlock<T>,
    m: &Manifest,
    rec: &InodeRec,
    inode: &Inode,
) -> core::result::Result<(), (Error, usize)> {
    for (n, r) in m.folios_of(rec).iter().enumerate() {
        // SAFETY: `m` passed `Manifest::validate`: its folio records are aligned to their
        // size and do not overlap, so each address is restored once. They were written by the
        // previous kernel's khofs, which records only folios it preserved.
        let folio = unsafe { kho::restore_folio(r.phys) }.ok_or((EINVAL, n))?;
        if folio.order() != r.order {
            // Dropping the folio frees it: it is ours now, just not what was described.
            return Err((EINVAL, n + 1));
        }
        sb.add_folio(inode, folio, r.index)
            .map_err(|e| (e, n + 1))?;
    }
    Ok(())
}

/// Restores and frees the folios of `rest` (the first inode's from its `skip`-th on).
fn discard(m: &Manifest, rest: &[InodeRec], skip: usize) {
    for (n, rec) in rest.iter().enumerate() {
        let from = if n == 0 { skip } else { 0 };
        for r in m.folios_of(rec).iter().skip(from) {
            // SAFETY: As in `restore_folios`: the rest of the validated records, not
            // restored yet.
            drop(unsafe { kho::restore_folio(r.phys) });
        }
    }
}

/// Frees every data folio that the (possibly invalid) manifest `m` lists and the previous
/// kernel preserved, and returns how many pages were freed.
///
/// Only records that describe a plausible folio are used: an address aligned to the folio
/// size, an order the page cache uses, no memory described twice (the first of overlapping
/// records wins). KHO then restores only addresses it preserved, each once.
pub(crate) fn discard_all(m: &Manifest) -> usize {
    let max = max_pagecache_order();
    // The memory range of a plausible record.
    let range = |r: &FolioRec| {
        let size = (PAGE_SIZE as u64) << r.order.min(max);
        let end = r.phys.checked_add(size)?;
        (r.order <= max && r.phys != 0 && r.phys % size == 0).then_some((r.phys, end))
    };
    let mut ranges: KVVec<(u64, u64)> = KVVec::new();
    if ranges.reserve(m.folios.len(), GFP_KERNEL).is_err() {
        // Without memory for the checks, nothing is freed; the handover stays reserved.
        pr_err!("out of memory: a discarded handover stays reserved until the next kexec\n");
        return 0;
    }
    for r in m.folios.iter().filter_map(range) {
        let _ = ranges.push_within_capacity(r);
    }
    sort_unstable(&mut ranges);
    let mut freed = 0usize;
    let mut end = 0u64;
    for &(start, stop) in ranges.iter() {
        if start >= end {
            // SAFETY: The records come from the previous kernel's khofs, which lists only
            // folios and blocks it preserved; the ranges are sorted and a range that overlaps
            // an earlier one is skipped, so no memory is restored twice. A handover is
            // discarded once (its manifest is consumed).
            if let Some(folio) = unsafe { kho::restore_folio(start) } {
                freed += folio.size() / PAGE_SIZE;
            }
        }
        end = end.max(stop);
    }
    freed
}
