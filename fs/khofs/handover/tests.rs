// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the handover format (suite `khofs_handover`): round trips through the
//! encoder and the decoder, and refusals of inconsistent trees and hostile blobs. They may
//! use everything in the handover module.

use kernel::prelude::*;

#[kunit_tests(khofs_handover)]
mod suite {
    use crate::handover::{
        abi::PAGE_SHIFT,
        model::{FolioRec, InodeRec, Manifest},
    };
    use kernel::{
        folio::max_pagecache_order,
        fs::inode::{types::*, Timespec},
        prelude::*,
    };

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

    /// Table pieces that overlap are refused before any of them is taken back.
    #[test]
    fn refuses_overlapping_pieces() {
        let m = sample();
        let total = m.tables_size() as u64;
        let pieces = [(FAKE_PHYS, total / 2), (FAKE_PHYS, total - total / 2)];
        let mut buf = KVVec::from_elem(0u8, Manifest::fdt_size_bound(2), GFP_KERNEL).unwrap();
        let n = m.encode_fdt(&mut buf, &pieces).unwrap();
        let mut fetched = false;
        let res = Manifest::decode(&buf[..n], |_: &[(u64, u64)], _: &mut KVVec<u8>| {
            fetched = true;
            Ok(())
        });
        assert_eq!(res.map(|_| ()).map_err(Error::from), Err(EINVAL));
        assert!(!fetched);
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
