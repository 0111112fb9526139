// SPDX-License-Identifier: GPL-2.0

//! The incoming side of the handover: recreate the previous kernel's files at first mount.

use crate::{
    dir::Entry,
    handover::{FileRec, Manifest, KHO_NODE},
    mount::KhoFs,
};
use kernel::{
    fs::{
        dentry::Dentry,
        inode::{Attrs, Inode},
        sb::NewSuperBlock,
    },
    kho,
    prelude::*,
    sync::aref::ARef,
};

/// Looks for a handover from the previous kernel and, if there is one, recreates its files
/// under `root`, putting the preserved folios back into their page caches.
///
/// Returns the recreated files (none if there was no handover). A handover that fails
/// validation is refused as a whole with one `pr_err` and an errno, before any of its memory
/// is touched.
pub(crate) fn take_over(sb: &NewSuperBlock<KhoFs>, root: &Dentry) -> Result<KVec<Entry>> {
    let incoming = match kho::Incoming::retrieve(KHO_NODE) {
        Ok(i) => i,
        Err(e) if e == ENOENT => return Ok(KVec::new()),
        Err(e) => {
            pr_err!("refusing handover from previous kernel: bad KHO subtree ({e:?})\n");
            return Err(e);
        }
    };
    let mut why = "";
    let decoded = Manifest::decode(incoming.as_slice(), &mut why);
    // The manifest is a copy; the blob is no longer needed either way.
    incoming.free();
    let m = decoded.inspect_err(|e| {
        pr_err!("refusing handover from previous kernel: {why} ({e:?})\n");
    })?;

    let mut entries = KVec::with_capacity(m.files.len(), GFP_KERNEL)?;
    let mut folios: usize = 0;
    let mut bytes: u64 = 0;
    for (i, f) in m.files.iter().enumerate() {
        if let Err(e) = restore_file(sb, root, f, &mut entries) {
            pr_err!(
                "handover: cannot restore file {} of {}: {e:?}; mount refused\n",
                i + 1,
                m.files.len()
            );
            // Free the memory of the files we did not get to: their folios were validated and
            // are released back to the allocator (KHO refuses any it did not preserve).
            for rest in m.files.iter().skip(i + 1) {
                discard(rest, 0);
            }
            return Err(e);
        }
        folios += f.folios.len();
        bytes += f.size;
    }
    pr_info!(
        "took over {} files ({} folios, {} bytes) from the previous kernel\n",
        entries.len(),
        folios,
        bytes
    );
    Ok(entries)
}

fn restore_file(
    sb: &NewSuperBlock<KhoFs>,
    root: &Dentry,
    f: &FileRec,
    entries: &mut KVec<Entry>,
) -> Result {
    let attrs = Attrs {
        mode: f.mode,
        uid: f.uid,
        gid: f.gid,
        size: f.size as i64,
    };
    let inode = match sb.new_inode(&attrs, None) {
        Ok(i) => i,
        Err(e) => {
            discard(f, 0);
            return Err(e);
        }
    };
    for (n, r) in f.folios.iter().enumerate() {
        if let Err(e) = restore_folio(&inode, r.phys, r.index, r.order) {
            // Folios already added go away with the inode; free the ones not reached.
            discard(f, n + 1);
            return Err(e);
        }
    }
    let mut name = KVec::new();
    name.extend_from_slice(&f.name, GFP_KERNEL)?;
    entries.reserve(1, GFP_KERNEL)?;
    root.add_persistent_child(&f.name, inode.clone())?;
    entries.push(Entry { name, inode }, GFP_KERNEL)?;
    Ok(())
}

fn restore_folio(inode: &ARef<Inode>, phys: u64, index: u64, order: u32) -> Result {
    let folio = kho::restore_folio(phys).ok_or(EINVAL)?;
    if folio.order() != order {
        // Dropping the folio frees it: it is ours now, just not what was described.
        return Err(EINVAL);
    }
    inode.add_folio(folio, index)
}

/// Restores and frees the folios of `f` from the `from`-th on.
fn discard(f: &FileRec, from: usize) {
    for r in f.folios.iter().skip(from) {
        drop(kho::restore_folio(r.phys));
    }
}
