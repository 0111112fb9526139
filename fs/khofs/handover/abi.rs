// SPDX-License-Identifier: GPL-2.0

//! The handover ABI: property names, and the record sizes, limits and compatible string
//! taken from `include/linux/kho/abi/khofs.h` through bindgen (so they cannot drift from the
//! C contract), plus the page size and file limits of this kernel. Constants only; uses
//! nothing but `kernel`.

use kernel::{bindings, prelude::*};

/// Compatible string with ABI version (`KHOFS_FDT_COMPATIBLE`).
pub(super) const COMPATIBLE: &CStr = match CStr::from_bytes_with_nul(bindings::KHOFS_FDT_COMPATIBLE)
{
    Ok(c) => c,
    Err(_) => panic!("KHOFS_FDT_COMPATIBLE is not a C string"),
};

pub(super) const P_COMPATIBLE: &CStr = c"compatible";
pub(super) const P_PAGE_SHIFT: &CStr = c"page-shift";
pub(super) const P_ROOT: &CStr = c"root-ino";
pub(super) const P_NEXT_INO: &CStr = c"next-ino";
pub(super) const P_INODE_COUNT: &CStr = c"inode-count";
pub(super) const P_FOLIO_COUNT: &CStr = c"folio-count";
pub(super) const P_DIRENT_COUNT: &CStr = c"dirent-count";
pub(super) const P_NAMES_SIZE: &CStr = c"names-size";
pub(super) const P_TABLES: &CStr = c"tables";

/// Largest piece of the tables: one `kho_alloc_preserve()` allocation (`KHOFS_MAX_CHUNK`).
pub(super) const MAX_CHUNK: u64 = bindings::KHOFS_MAX_CHUNK as u64;
pub(super) const PAGE_SIZE: u64 = kernel::page::PAGE_SIZE as u64;

/// Bytes per inode record (`struct khofs_inode_ser`).
pub(super) const INODE_REC_SIZE: usize = core::mem::size_of::<bindings::khofs_inode_ser>();
/// Bytes per folio record (`struct khofs_folio_ser`).
pub(super) const FOLIO_REC_SIZE: usize = core::mem::size_of::<bindings::khofs_folio_ser>();
/// Bytes per directory entry record (`struct khofs_dirent_ser`).
pub(super) const DIRENT_REC_SIZE: usize = core::mem::size_of::<bindings::khofs_dirent_ser>();
/// Most inodes one handover may carry (`KHOFS_MAX_INODES`).
pub(super) const MAX_INODES: usize = bindings::KHOFS_MAX_INODES as usize;
/// Deepest directory nesting accepted (`KHOFS_MAX_DEPTH`).
pub(super) const MAX_DEPTH: usize = bindings::KHOFS_MAX_DEPTH as usize;
/// Most folios one handover may carry (`KHOFS_MAX_FOLIOS`): 64 GiB in 4 KiB folios.
pub(super) const MAX_FOLIOS: usize = bindings::KHOFS_MAX_FOLIOS as usize;
/// Largest size of the tables (`KHOFS_MAX_TABLES`): one allocation in the next kernel.
pub(super) const MAX_TABLES: usize = bindings::KHOFS_MAX_TABLES as usize;
/// Most pieces the tables may come in (`KHOFS_MAX_PIECES`).
pub(super) const MAX_PIECES: usize = bindings::KHOFS_MAX_PIECES as usize;
/// Longest entry name (`NAME_MAX`).
pub(super) const NAME_MAX: usize = kernel::fs::dentry::NAME_MAX;
/// Pages in a file of the largest size (`MAX_LFS_FILESIZE`, `LLONG_MAX` bytes).
pub(super) const MAX_FILE_PAGES: u64 = (i64::MAX as u64 >> PAGE_SHIFT) + 1;
/// Longest symbolic link target, without its NUL (`PATH_MAX - 1`).
pub(super) const MAX_SYMLINK: u64 = 4095;
pub(super) const PAGE_SHIFT: u32 = kernel::page::PAGE_SHIFT as u32;

// The record layouts the codec reads and writes field by field.
const _: () = assert!(INODE_REC_SIZE == 96 && FOLIO_REC_SIZE == 24 && DIRENT_REC_SIZE == 24);
