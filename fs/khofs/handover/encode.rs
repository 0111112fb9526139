// SPDX-License-Identifier: GPL-2.0

//! The encoder: the sizes of, and the bytes in, the tables and the FDT of a [`Manifest`].
//! Uses the model and [`super::abi`]; errors are plain errnos (it refuses nothing).

use super::{
    abi::{
        COMPATIBLE, DIRENT_REC_SIZE, FOLIO_REC_SIZE, INODE_REC_SIZE, PAGE_SHIFT, P_COMPATIBLE,
        P_DIRENT_COUNT, P_FOLIO_COUNT, P_INODE_COUNT, P_NAMES_SIZE, P_NEXT_INO, P_PAGE_SHIFT,
        P_ROOT, P_TABLES,
    },
    model::Manifest,
};
use kernel::{fdt::FdtWriter, prelude::*};

impl Manifest {
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
