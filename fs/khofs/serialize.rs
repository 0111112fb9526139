// SPDX-License-Identifier: GPL-2.0

//! The outgoing side of the handover, run from the reboot notifier during `kexec -e`.

use crate::{
    dir::Instance,
    handover::{FileRec, FolioRec, Manifest, KHO_NODE},
    STATE,
};
use kernel::{
    folio::Folio,
    kho::{self, PreservedBuf, Subtree},
    prelude::*,
    sync::aref::ARef,
};

/// Preserves the mounted instance's folios and publishes its manifest for the next kernel.
///
/// The kexec cannot be stopped from here, so a failure is reported and the files are lost.
pub(crate) fn handover_at_kexec() {
    let mut state = STATE.lock();
    // Withdraw anything published earlier before publishing again under the same name.
    state.published = None;
    let Some(inst) = state.live.clone() else {
        return;
    };
    match publish(&inst) {
        Ok((sub, files, folios)) => {
            pr_info!(
                "handing over {files} files ({folios} folios, {} bytes of metadata)\n",
                sub.as_slice().len()
            );
            state.published = Some(sub);
        }
        Err(e) => pr_err!("handover failed ({e:?}): files will not survive this kexec\n"),
    }
}

fn publish(inst: &Instance) -> Result<(Subtree, usize, usize)> {
    let files = inst.files.lock();
    let mut preserved: KVec<ARef<Folio>> = KVec::new();
    let res = build(&files, &mut preserved);
    if res.is_err() {
        for f in preserved.iter() {
            kho::unpreserve_folio(f);
        }
    }
    let (m, folios) = res?;
    let bound = m.encoded_size_bound();
    if bound > PreservedBuf::MAX_LEN {
        for f in preserved.iter() {
            kho::unpreserve_folio(f);
        }
        return Err(E2BIG);
    }
    let publish = || -> Result<Subtree> {
        let mut buf = PreservedBuf::new(bound)?;
        let len = m.encode(buf.as_mut_slice())?;
        Subtree::add(KHO_NODE, buf, len)
    };
    match publish() {
        Ok(sub) => Ok((sub, m.files.len(), folios)),
        Err(e) => {
            for f in preserved.iter() {
                kho::unpreserve_folio(f);
            }
            Err(e)
        }
    }
}

fn build(
    files: &[crate::dir::Entry],
    preserved: &mut KVec<ARef<Folio>>,
) -> Result<(Manifest, usize)> {
    let mut m = Manifest::default();
    m.files.reserve(files.len(), GFP_KERNEL)?;
    let mut count = 0;
    for e in files {
        let a = e.inode.attrs();
        let mut rec = FileRec {
            name: KVec::new(),
            ino: e.inode.ino(),
            mode: a.mode,
            uid: a.uid,
            gid: a.gid,
            size: a.size as u64,
            folios: KVec::new(),
        };
        rec.name.extend_from_slice(&e.name, GFP_KERNEL)?;
        e.inode.for_each_folio(|folio| {
            preserved.reserve(1, GFP_KERNEL)?;
            rec.folios.reserve(1, GFP_KERNEL)?;
            kho::preserve_folio(folio)?;
            preserved.push(folio.into(), GFP_KERNEL)?;
            rec.folios.push(
                FolioRec {
                    phys: folio.phys(),
                    index: folio.index(),
                    order: folio.order(),
                },
                GFP_KERNEL,
            )?;
            count += 1;
            Ok(())
        })?;
        m.files.push(rec, GFP_KERNEL)?;
    }
    Ok((m, count))
}
