// SPDX-License-Identifier: GPL-2.0

//! The handover format: a [`Manifest`] of files encoded as an FDT, and its strict decoder.
//!
//! This module is pure: it neither touches the VFS nor KHO, so it is fully testable in KUnit.
//! The layout is documented in `include/linux/kho/abi/khofs.h`; the constants below must match
//! it. Everything decoded comes from the previous kernel and is validated here before any of
//! it is used.

use kernel::{
    fdt::{Fdt, FdtWriter, Node},
    fs::dentry::is_valid_name,
    fs::inode::{S_IFMT, S_IFREG},
    prelude::*,
    str::CString,
};

/// Name of the KHO subtree (`KHOFS_KHO_NODE`).
pub(crate) const KHO_NODE: &CStr = c"khofs";
/// Compatible string with ABI version (`KHOFS_FDT_COMPATIBLE`).
pub(crate) const COMPATIBLE: &CStr = c"khofs-v1";

const P_COMPATIBLE: &CStr = c"compatible";
const P_FILE_COUNT: &CStr = c"file-count";
const N_FILES: &CStr = c"files";
const P_NAME: &CStr = c"name";
const P_INO: &CStr = c"ino";
const P_MODE: &CStr = c"mode";
const P_UID: &CStr = c"uid";
const P_GID: &CStr = c"gid";
const P_SIZE: &CStr = c"size";
const P_FOLIOS: &CStr = c"folios";

/// Bytes per folio record: big-endian `phys`, `index`, `order`, each 64 bits.
pub(crate) const FOLIO_REC_SIZE: usize = 24;
/// Largest folio order accepted (`MAX_PAGE_ORDER` on x86-64).
pub(crate) const MAX_ORDER: u32 = 10;
/// Most files one handover may carry.
pub(crate) const MAX_FILES: usize = 1 << 20;
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

/// One regular file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FileRec {
    pub(crate) name: KVec<u8>,
    pub(crate) ino: u64,
    pub(crate) mode: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) size: u64,
    /// Folios in strictly increasing, non-overlapping index order.
    pub(crate) folios: KVec<FolioRec>,
}

/// Everything handed over for one khofs instance.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub(crate) files: KVec<FileRec>,
}

impl Manifest {
    /// Returns an upper bound of the encoded size in bytes.
    pub(crate) fn encoded_size_bound(&self) -> usize {
        // Header, reserve map, strings block and root properties.
        let mut n: usize = 1024;
        for f in self.files.iter() {
            // Node tags and name, seven property headers, values, padding.
            n = n.saturating_add(256 + f.name.len() + f.folios.len() * FOLIO_REC_SIZE);
        }
        n
    }

    /// Encodes the manifest into `buf` and returns the encoded size.
    ///
    /// Fails with `ENOSPC` if `buf` is too small.
    pub(crate) fn encode(&self, buf: &mut [u8]) -> Result<usize> {
        let mut w = FdtWriter::new(buf)?;
        w.begin_node(c"")?;
        w.prop_str(P_COMPATIBLE, COMPATIBLE)?;
        w.prop_u32(
            P_FILE_COUNT,
            u32::try_from(self.files.len()).map_err(|_| E2BIG)?,
        )?;
        w.begin_node(N_FILES)?;
        let mut folios = KVec::new();
        for (i, f) in self.files.iter().enumerate() {
            let node = CString::try_from_fmt(fmt!("{i}"))?;
            w.begin_node(&node)?;
            let mut name = KVec::with_capacity(f.name.len() + 1, GFP_KERNEL)?;
            name.extend_from_slice(&f.name, GFP_KERNEL)?;
            name.push(0, GFP_KERNEL)?;
            w.prop(P_NAME, &name)?;
            w.prop_u64(P_INO, f.ino)?;
            w.prop_u32(P_MODE, f.mode)?;
            w.prop_u32(P_UID, f.uid)?;
            w.prop_u32(P_GID, f.gid)?;
            w.prop_u64(P_SIZE, f.size)?;
            folios.clear();
            folios.reserve(f.folios.len() * FOLIO_REC_SIZE, GFP_KERNEL)?;
            for r in f.folios.iter() {
                folios.extend_from_slice(&r.phys.to_be_bytes(), GFP_KERNEL)?;
                folios.extend_from_slice(&r.index.to_be_bytes(), GFP_KERNEL)?;
                folios.extend_from_slice(&u64::from(r.order).to_be_bytes(), GFP_KERNEL)?;
            }
            w.prop(P_FOLIOS, &folios)?;
            w.end_node()?;
        }
        w.end_node()?;
        w.end_node()?;
        w.finish()
    }

    /// Decodes and validates a blob from the previous kernel.
    ///
    /// Returns `EINVAL` for anything malformed, inconsistent or unsafe to use, and
    /// `EPROTONOSUPPORT` for a different ABI version. On error, `why` names the problem.
    pub(crate) fn decode(blob: &[u8], why: &mut &'static str) -> Result<Self> {
        let fdt = Fdt::new(blob).inspect_err(|_| *why = "bad FDT header")?;
        let root = fdt.root();
        let compat = root
            .prop_str(P_COMPATIBLE)
            .inspect_err(|_| *why = "no compatible")?;
        if compat != COMPATIBLE.to_bytes() {
            *why = "unsupported ABI version";
            return Err(EPROTONOSUPPORT);
        }
        let count = root
            .prop_u32(P_FILE_COUNT)
            .inspect_err(|_| *why = "no file-count")? as usize;
        if count > MAX_FILES {
            *why = "too many files";
            return Err(EINVAL);
        }
        let files_node = root
            .subnode(N_FILES)
            .ok_or(EINVAL)
            .inspect_err(|_| *why = "no files node")?;
        let mut m = Manifest {
            files: KVec::with_capacity(count, GFP_KERNEL)?,
        };
        for node in files_node.children() {
            if m.files.len() == count {
                *why = "more files than file-count";
                return Err(EINVAL);
            }
            m.files.push(decode_file(&node, why)?, GFP_KERNEL)?;
        }
        if m.files.len() != count {
            *why = "fewer files than file-count";
            return Err(EINVAL);
        }
        m.check_global(why)?;
        Ok(m)
    }

    /// Cross-file checks: unique names, no physical memory used twice.
    fn check_global(&self, why: &mut &'static str) -> Result {
        let mut names: KVec<&[u8]> = KVec::with_capacity(self.files.len(), GFP_KERNEL)?;
        let mut ranges: KVec<(u64, u64)> = KVec::new();
        for f in self.files.iter() {
            names.push(&f.name, GFP_KERNEL)?;
            for r in f.folios.iter() {
                ranges.push(
                    (r.phys, r.phys + ((1u64 << r.order) << PAGE_SHIFT)),
                    GFP_KERNEL,
                )?;
            }
        }
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            *why = "duplicate file name";
            return Err(EINVAL);
        }
        ranges.sort_unstable();
        if ranges.windows(2).any(|w| w[1].0 < w[0].1) {
            *why = "folio memory used twice";
            return Err(EINVAL);
        }
        Ok(())
    }
}

fn decode_file(node: &Node<'_>, why: &mut &'static str) -> Result<FileRec> {
    let name = node
        .prop_str(P_NAME)
        .inspect_err(|_| *why = "file without name")?;
    if !is_valid_name(name) {
        *why = "invalid file name";
        return Err(EINVAL);
    }
    let mut f = FileRec {
        name: KVec::new(),
        ino: node.prop_u64(P_INO).inspect_err(|_| *why = "bad ino")?,
        mode: node.prop_u32(P_MODE).inspect_err(|_| *why = "bad mode")?,
        uid: node.prop_u32(P_UID).inspect_err(|_| *why = "bad uid")?,
        gid: node.prop_u32(P_GID).inspect_err(|_| *why = "bad gid")?,
        size: node.prop_u64(P_SIZE).inspect_err(|_| *why = "bad size")?,
        folios: KVec::new(),
    };
    f.name.extend_from_slice(name, GFP_KERNEL)?;
    if f.mode & S_IFMT != S_IFREG || f.mode & !(S_IFMT | 0o7777) != 0 {
        *why = "bad file mode";
        return Err(EINVAL);
    }
    if f.size > i64::MAX as u64 {
        *why = "file size too large";
        return Err(EINVAL);
    }
    // Uid/gid (u32)-1 is "invalid id" in the kernel: refuse it.
    if f.uid == u32::MAX || f.gid == u32::MAX {
        *why = "invalid owner";
        return Err(EINVAL);
    }
    let raw = node
        .prop(P_FOLIOS)
        .ok_or(EINVAL)
        .inspect_err(|_| *why = "no folios")?;
    if raw.len() % FOLIO_REC_SIZE != 0 {
        *why = "truncated folio array";
        return Err(EINVAL);
    }
    // Pages covered by the file size (rounded up).
    let pages = f.size.div_ceil(1u64 << PAGE_SHIFT);
    let mut next_free: u64 = 0;
    f.folios.reserve(raw.len() / FOLIO_REC_SIZE, GFP_KERNEL)?;
    for rec in raw.chunks_exact(FOLIO_REC_SIZE) {
        let be = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&rec[i * 8..i * 8 + 8]);
            u64::from_be_bytes(b)
        };
        let (phys, index, order) = (be(0), be(1), be(2));
        if order > u64::from(MAX_ORDER) {
            *why = "folio order too large";
            return Err(EINVAL);
        }
        let order = order as u32;
        let span = 1u64 << order;
        let bytes = span << PAGE_SHIFT;
        if phys == 0 || phys % bytes != 0 || phys.checked_add(bytes).is_none() {
            *why = "misaligned folio address";
            return Err(EINVAL);
        }
        if index % span != 0 {
            *why = "misaligned folio index";
            return Err(EINVAL);
        }
        if index < next_free {
            *why = "folios out of order or overlapping";
            return Err(EINVAL);
        }
        if index >= pages {
            *why = "folio beyond end of file";
            return Err(EINVAL);
        }
        next_free = index + span;
        f.folios.push(FolioRec { phys, index, order }, GFP_KERNEL)?;
    }
    Ok(f)
}

#[kunit_tests(khofs_handover)]
mod tests {
    use super::*;

    fn file(name: &[u8], size: u64, folios: &[(u64, u64, u32)]) -> FileRec {
        let mut f = FileRec {
            name: KVec::new(),
            ino: 42,
            mode: S_IFREG | 0o640,
            uid: 1000,
            gid: 100,
            size,
            folios: KVec::new(),
        };
        f.name.extend_from_slice(name, GFP_KERNEL).unwrap();
        for &(phys, index, order) in folios {
            f.folios
                .push(FolioRec { phys, index, order }, GFP_KERNEL)
                .unwrap();
        }
        f
    }

    fn sample() -> Manifest {
        let mut m = Manifest::default();
        m.files
            .push(
                file(b"a.txt", 5000, &[(0x10_0000, 0, 0), (0x20_0000, 1, 0)]),
                GFP_KERNEL,
            )
            .unwrap();
        m.files.push(file(b"empty", 0, &[]), GFP_KERNEL).unwrap();
        m.files
            .push(file(b"big", 4 << 20, &[(0x4000_0000, 512, 9)]), GFP_KERNEL)
            .unwrap();
        m
    }

    fn encode(m: &Manifest) -> KVec<u8> {
        let mut buf = KVec::from_elem(0u8, m.encoded_size_bound(), GFP_KERNEL).unwrap();
        let n = m.encode(&mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    fn decode(blob: &[u8]) -> Result<Manifest> {
        let mut why = "";
        Manifest::decode(blob, &mut why)
    }

    #[test]
    fn roundtrip() {
        let m = sample();
        let blob = encode(&m);
        assert!(blob.len() <= m.encoded_size_bound());
        assert_eq!(decode(&blob).unwrap(), m);
    }

    #[test]
    fn roundtrip_empty() {
        let m = Manifest::default();
        assert_eq!(decode(&encode(&m)).unwrap(), m);
    }

    #[test]
    fn encode_reports_nospc() {
        let m = sample();
        let mut small = KVec::from_elem(0u8, 128, GFP_KERNEL).unwrap();
        assert_eq!(m.encode(&mut small), Err(ENOSPC));
    }

    #[test]
    fn rejects_truncated_blobs() {
        let blob = encode(&sample());
        for len in [0, 1, 39, 40, blob.len() / 2, blob.len() - 1] {
            assert!(decode(&blob[..len]).is_err());
        }
    }

    #[test]
    fn rejects_bad_records() {
        let bad: [FileRec; 9] = [
            file(b"..", 10, &[]),
            file(b"a/b", 10, &[]),
            file(b"x", 10, &[(0x10_0800, 0, 0)]), // misaligned phys
            file(b"x", 10, &[(0x10_0000, 0, 11)]), // order too big
            file(b"x", 4 << 20, &[(0x20_0000, 1, 9)]), // misaligned index
            file(b"x", 4096, &[(0x10_0000, 1, 0)]), // beyond EOF
            file(b"x", 9000, &[(0x10_0000, 1, 0), (0x20_0000, 0, 0)]), // out of order
            file(b"x", 9000, &[(0x10_0000, 0, 0), (0x10_0000, 1, 0)]), // same pfn twice
            file(b"x", 10, &[(0, 0, 0)]),         // null address
        ];
        for f in bad {
            let mut m = Manifest::default();
            m.files.push(f, GFP_KERNEL).unwrap();
            assert_eq!(decode(&encode(&m)), Err(EINVAL));
        }
    }

    #[test]
    fn rejects_duplicates_and_foreign_versions() {
        let mut m = Manifest::default();
        m.files.push(file(b"same", 0, &[]), GFP_KERNEL).unwrap();
        m.files.push(file(b"same", 0, &[]), GFP_KERNEL).unwrap();
        assert_eq!(decode(&encode(&m)), Err(EINVAL));

        let mut blob = encode(&sample());
        let pos = blob.windows(8).position(|w| w == b"khofs-v1").unwrap();
        blob[pos + 7] = b'9';
        assert_eq!(decode(&blob), Err(EPROTONOSUPPORT));
    }
}
