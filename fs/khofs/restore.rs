// SPDX-License-Identifier: GPL-2.0

//! The incoming side of the handover: recreate the previous kernel's tree at first mount.

use crate::{
    handover::{Index, InodeRec, Manifest},
    mount::KhoFs,
};
use kernel::{
    fs::{
        dentry::Dentry,
        inode::{Attrs, Inode, S_IFDIR, S_IFMT},
        sb::NewSuperBlock,
    },
    kho,
    prelude::*,
    sync::aref::ARef,
};

/// Looks for the handover `node` (`khofs-<instance>`) from the previous kernel and validates
/// it.
///
/// Returns `None` if there is none. A handover that fails validation is refused as a whole
/// with one `pr_err` and an errno, before any of its memory is touched.
pub(crate) fn fetch(node: &CStr) -> Result<Option<(Manifest, Index)>> {
    let incoming = match kho::Incoming::retrieve(node) {
        Ok(i) => i,
        Err(e) if e == ENOENT => return Ok(None),
        Err(e) => {
            pr_err!("refusing handover from previous kernel: bad KHO subtree ({e:?})\n");
            return Err(e);
        }
    };
    let mut why = "";
    // The tables: each piece is taken back (KHO checks it was preserved) and freed.
    let fetch = |chunks: &[(u64, u64)]| -> Result<KVVec<u8>> {
        let mut out = KVVec::new();
        for (k, &(phys, len)) in chunks.iter().enumerate() {
            if let Err(e) = kho::take_preserved(phys, len as usize, &mut out) {
                for &(rest, _) in &chunks[k + 1..] {
                    drop(kho::restore_folio(rest));
                }
                return Err(e);
            }
        }
        Ok(out)
    };
    let decoded = Manifest::decode(incoming.as_slice(), fetch, &mut why);
    // The manifest is a copy; the blob is no longer needed either way.
    incoming.free();
    let decoded = decoded.inspect_err(|e| {
        pr_err!("refusing handover from previous kernel: {why} ({e:?})\n");
    })?;
    Ok(Some(decoded))
}

/// Recreates the tree described by the validated manifest `m` (with its `index`) in `sb`,
/// putting the preserved folios back into the page caches, and returns the root and the
/// next inode number.
pub(crate) fn build_tree<'a>(
    sb: &'a NewSuperBlock<KhoFs>,
    m: &Manifest,
    index: &Index,
) -> Result<(&'a Dentry, u64)> {
    // First every inode with its data; on failure, free the folios not yet restored.
    let mut inodes: KVVec<ARef<Inode>> = KVVec::with_capacity(m.inodes.len(), GFP_KERNEL)?;
    let mut folios = 0usize;
    for (n, rec) in m.inodes.iter().enumerate() {
        match restore_inode(sb, m, rec) {
            Ok(inode) => inodes.push(inode, GFP_KERNEL)?,
            Err((e, done)) => {
                pr_err!(
                    "handover: cannot restore inode {} ({} of {}): {e:?}; mount refused\n",
                    rec.ino,
                    n + 1,
                    m.inodes.len()
                );
                discard(m, &m.inodes[n..], done);
                return Err(e);
            }
        }
        folios += rec.folio_count as usize;
    }

    let find = |ino: u64| index.find(ino).ok_or(EINVAL);

    // Then the namespace, directory by directory from the root. `inodes` keeps a
    // reference to each inode until the end, for its hard links.
    let mut linked = KVVec::from_elem(false, m.inodes.len(), GFP_KERNEL)?;
    let r = find(m.root)?;
    let root = sb.set_root(inodes[r].clone())?;
    linked[r] = true;
    let mut dirs: KVVec<(&Dentry, u64)> = KVVec::new();
    dirs.push((root, m.root), GFP_KERNEL)?;
    while let Some((dir, dir_ino)) = dirs.pop() {
        for d in index.children(m, dir_ino) {
            let c = find(d.ino)?;
            let inode = &inodes[c];
            if linked[c] {
                dir.add_hard_link(m.name(d), inode)?;
                continue;
            }
            linked[c] = true;
            let child = dir.add_child(m.name(d), inode.clone())?;
            if inode.mode() & S_IFMT == S_IFDIR {
                dirs.push((child, d.ino), GFP_KERNEL)?;
            }
        }
    }
    pr_info!(
        "took over {} inodes, {} entries, {} folios from the previous kernel\n",
        m.inodes.len(),
        m.dirents.len(),
        folios
    );
    Ok((root, m.next_ino))
}

/// Creates the inode for `rec` and restores its folios. On error, also returns how many of
/// its folios were restored (they go away with the inode).
fn restore_inode(
    sb: &NewSuperBlock<KhoFs>,
    m: &Manifest,
    rec: &InodeRec,
) -> core::result::Result<ARef<Inode>, (Error, usize)> {
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
    let inode = sb
        .new_inode(&attrs, Some(rec.ino), true)
        .map_err(|e| (e, 0))?;
    for (n, r) in m.folios_of(rec).iter().enumerate() {
        // KHO refuses addresses it did not preserve, and each address at most once.
        let folio = kho::restore_folio(r.phys).ok_or((EINVAL, n))?;
        if folio.order() != r.order {
            // Dropping the folio frees it: it is ours now, just not what was described.
            return Err((EINVAL, n + 1));
        }
        sb.add_folio(&inode, folio, r.index)
            .map_err(|e| (e, n + 1))?;
    }
    Ok(inode)
}

/// Restores and frees the folios of `rest` (the first inode's from its `skip`-th on).
fn discard(m: &Manifest, rest: &[InodeRec], skip: usize) {
    for (n, rec) in rest.iter().enumerate() {
        let from = if n == 0 { skip } else { 0 };
        for r in m.folios_of(rec).iter().skip(from) {
            drop(kho::restore_folio(r.phys));
        }
    }
}

/// Frees every data folio of a validated manifest that will not be restored.
pub(crate) fn discard_all(m: &Manifest) {
    discard(m, &m.inodes, 0);
}
