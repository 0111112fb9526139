// SPDX-License-Identifier: GPL-2.0

//! The strict decoder: a [`Manifest`] from the FDT and tables of the previous kernel,
//! checking their structure only ([`Manifest::validate`] checks the contents). Uses the
//! model, [`super::abi`] and [`Refusal`].

use super::{
    abi::{
        COMPATIBLE, DIRENT_REC_SIZE, FOLIO_REC_SIZE, INODE_REC_SIZE, MAX_CHUNK, MAX_FOLIOS,
        MAX_INODES, MAX_PIECES, MAX_TABLES, NAME_MAX, PAGE_SHIFT, PAGE_SIZE, P_COMPATIBLE,
        P_DIRENT_COUNT, P_FOLIO_COUNT, P_INODE_COUNT, P_NAMES_SIZE, P_NEXT_INO, P_PAGE_SHIFT,
        P_ROOT, P_TABLES,
    },
    model::{DirentRec, FolioRec, InodeRec, Manifest},
    Checked, Refusal,
};
use kernel::{fdt::Fdt, fs::inode::Timespec, prelude::*, sort::sort_unstable};

impl Manifest {
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
        let bad = Refusal::Invalid;
        let fdt = Fdt::new(blob).map_err(|_| bad("bad FDT header"))?;
        let root = fdt.root();
        let compat = root
            .prop_str(P_COMPATIBLE)
            .map_err(|_| bad("no compatible"))?;
        if compat != COMPATIBLE.to_bytes() {
            return Err(Refusal::Unsupported);
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
        if raw.len() % 16 != 0 || raw.len() / 16 > MAX_PIECES {
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
        // The pieces, and the blob the caller adds, become this kernel's memory again: no
        // data folio may be there. Each piece is one KHO allocation, a power-of-two number of
        // pages aligned to its size; pieces that overlap would be taken back twice.
        m.taken.reserve(chunks.len() + 1, GFP_KERNEL)?;
        for &(phys, len) in chunks.iter() {
            let size = len.next_power_of_two().max(PAGE_SIZE);
            let _ = m
                .taken
                .push_within_capacity((phys, phys.saturating_add(size)));
        }
        sort_unstable(&mut m.taken);
        if m.taken.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err(bad("table pieces overlap"));
        }
        fetch(&chunks, &mut tables).map_err(|e| Refusal::Failed {
            why: "cannot restore the tables",
            err: if e == ENOMEM { EINVAL } else { e },
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
