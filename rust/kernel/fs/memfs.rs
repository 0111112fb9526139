// SPDX-License-Identifier: GPL-2.0

//! Files and directories that live in memory: ready-made inode, file and address-space
//! operations for ramfs-like file systems, with tmpfs's behaviour for holes and large folios.
//!
//! [`DirOps`], [`FileInodeOps`], [`FileOps`] and [`Aops`] implement the per-table traits
//! ([`InodeOperations`], [`FileOperations`], [`AddressSpaceOperations`]) for a file system
//! `T`; a file system names them (or its own implementations, which may call these) in its
//! [`FileSystem`] and [`super::sb::NewSuperBlock::new_inode`] and the directory operations
//! install them on the inodes they create.
//!
//! The namespace is the dcache (dentries are pinned, as in ramfs), with libfs's
//! `simple_lookup`, `simple_rmdir` and `simple_setattr`/`simple_getattr`; creation, links,
//! unlinks and renames are charged to the file system's [`Accounting`]. Regular files and
//! symbolic links keep their data in the page cache, unevictable (there is no backing store):
//! reading a hole does not allocate, writes get folios as large as the write, page faults on
//! holes are charged, `fallocate` allocates and punches holes, and `SEEK_DATA`/`SEEK_HOLE`
//! follow the page cache. Folios are movable and migrate (`filemap_migrate_folio`) unless the
//! file system is [`FileSystem::PINNED`]: then they come from memory that is not movable
//! (`GFP_HIGHUSER`, as ramfs's), and its address-space operations decide about migration.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h).

use crate::{
    bindings,
    error::to_result,
    folio::{Folio, FolioPacker},
    fs::{
        accounting::Accounting,
        aops::{
            AddressSpaceOperations, AopsVtable, DirtyFolio, LockedFolio, Mapping, Migrate,
            Readahead,
        },
        fops::{
            Fallocate, FileOperations, FopsVtable, Fsync, Io, Llseek, MmapPrepare, Open,
            SpliceRead, SpliceWrite, UnmappedArea,
        },
        inode::{Inode, InodeRef, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG},
        iops::{
            Getattr, InodeOperations, IopsVtable, Link, Lookup, NewEntry, Rename, Rmdir, Setattr,
            Tmpfile, Unlink,
        },
        sb::FileSystem,
    },
    iov::{IovIterDest, IovIterSource},
    prelude::*,
    types::ForeignOwnable,
};
use core::{marker::PhantomData, ptr::NonNull};

/// Returns the number of pages of a folio of at most `len` bytes, as `fgf_set_order` asks.
fn pages_for(len: usize) -> u64 {
    let shift = crate::page::PAGE_SHIFT;
    if len >> shift <= 1 {
        1
    } else {
        1u64 << (len.ilog2() as usize - shift)
    }
}

/// Allocates a new inode of `sb` (`new_inode`), or `None` if out of memory.
///
/// # Safety
///
/// `sb` must be a valid superblock that lives at least for `'a`.
unsafe fn alloc_inode<'a>(sb: *mut bindings::super_block) -> Option<InodeRef<'a>> {
    // SAFETY: Per the safety requirements `sb` is valid.
    let inode = NonNull::new(unsafe { bindings::new_inode(sb) })?;
    // SAFETY: `new_inode` returned an inode with one reference that we now own; per the
    // safety requirements its superblock lives for `'a`.
    Some(unsafe { InodeRef::from_raw(inode) })
}

/// Helpers shared by the tables of file system `T`.
pub(crate) struct Ops<T>(PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    /// Calls `f` with the instance data of superblock `sb`, unless it is being torn down.
    ///
    /// # Safety
    ///
    /// `sb` must be a valid superblock of type `T` whose `s_fs_info` is null or the data of a
    /// live instance (from `fill_super` until `kill_sb`).
    unsafe fn with_data<R>(
        sb: *mut bindings::super_block,
        f: impl FnOnce(&<T::Data as ForeignOwnable>::Borrowed<'_>) -> R,
    ) -> Option<R> {
        // SAFETY: Per the safety requirements.
        let info = unsafe { (*sb).s_fs_info };
        if info.is_null() {
            return None;
        }
        // SAFETY: Per the safety requirements `info` is the live instance data.
        let data = unsafe { T::Data::borrow(info) };
        Some(f(&data))
    }

    /// Calls `f` with the accounting of superblock `sb`, unless it is being torn down.
    ///
    /// # Safety
    ///
    /// As for [`Self::with_data`].
    pub(crate) unsafe fn with_accounting<R>(
        sb: *mut bindings::super_block,
        f: impl FnOnce(&T::Accounting) -> R,
    ) -> Option<R> {
        // SAFETY: Per the safety requirements.
        unsafe { Self::with_data(sb, |data| f(T::accounting(data))) }
    }

    /// Charges one inode to the limits of `sb` and allocates it; fails with `ENOSPC` at the
    /// inode limit and with `nomem` without memory.
    ///
    /// # Safety
    ///
    /// As for [`Self::with_accounting`], and `sb` must live at least for `'a`.
    pub(crate) unsafe fn charged_inode<'a>(
        sb: *mut bindings::super_block,
        nomem: Error,
    ) -> Result<InodeRef<'a>> {
        // SAFETY: Per the safety requirements.
        unsafe { Self::with_accounting(sb, |l| l.charge_inode()) }.unwrap_or(Ok(()))?;
        // SAFETY: `sb` is valid. Once allocated, `evict_inode` releases the charge.
        let inode = unsafe { alloc_inode(sb) };
        if inode.is_none() {
            // SAFETY: As above.
            unsafe { Self::with_accounting(sb, |l| l.uncharge_inode()) };
        }
        inode.ok_or(nomem)
    }

    /// Brings the charge of `inode` (its `i_blocks`) in line with its page cache, using
    /// `reserved` blocks reserved beforehand.
    ///
    /// # Safety
    ///
    /// `inode` must be a valid inode of a `T` superblock.
    pub(crate) unsafe fn settle(inode: *mut bindings::inode, reserved: u64) {
        let to_blocks = crate::page::PAGE_SHIFT - 9;
        // SAFETY: Per the safety requirements; `i_lock` serialises changes of `i_blocks`,
        // `nrpages` is read once.
        let (pages, was) = unsafe {
            let lock = &raw mut (*inode).i_lock;
            bindings::spin_lock(lock);
            let pages = core::ptr::read_volatile(&raw const (*(*inode).i_mapping).nrpages) as u64;
            let was = (*inode).i_blocks >> to_blocks;
            (*inode).i_blocks = pages << to_blocks;
            bindings::spin_unlock(lock);
            (pages, was)
        };
        // SAFETY: Per the safety requirements.
        unsafe {
            Self::with_accounting((*inode).i_sb, |l| {
                l.settle_blocks(pages as i64 - was as i64, reserved)
            })
        };
    }

    /// Returns the folio at `index` of `mapping` for a write of `len` bytes, locked and
    /// referenced, creating it (as large as the write) if needed. Space is reserved before
    /// the page cache grows; when a large folio does not fit, one page is tried.
    ///
    /// # Safety
    ///
    /// `mapping` must be the mapping of a regular file or symlink of a `T` superblock, with
    /// `i_rwsem` held.
    unsafe fn write_folio(
        mapping: *mut bindings::address_space,
        index: usize,
        len: usize,
    ) -> Result<*mut bindings::folio> {
        let mut len = len;
        // SAFETY: Per the safety requirements the mapping and its host are valid; a folio
        // returned by `__filemap_get_folio` is locked and referenced.
        unsafe {
            let gfp = bindings::mapping_gfp_mask(mapping);
            // An existing folio, locked for the write as `FGP_WRITEBEGIN` does: no space.
            let found = bindings::__filemap_get_folio(
                mapping,
                index,
                bindings::FGP_WRITEBEGIN & !bindings::FGP_CREAT,
                gfp,
            );
            if let Ok(f) = crate::error::from_err_ptr(found) {
                return Ok(f);
            }
            let inode = (*mapping).host;
            let res = Self::with_accounting((*inode).i_sb, |l| {
                let want = pages_for(len);
                l.reserve_blocks(want).map(|()| want).or_else(|_| {
                    len = crate::page::PAGE_SIZE;
                    l.reserve_blocks(1).map(|()| 1)
                })
            });
            let reserved = res.unwrap_or(Ok(0))?;
            // Regular files only: symbolic links are not in high memory (`inode_nohighmem`),
            // packed pages may be.
            let regular = u32::from((*inode).i_mode) & bindings::S_IFMT == bindings::S_IFREG;
            let packed = if T::PINNED && regular && len <= crate::page::PAGE_SIZE {
                Self::add_packed(mapping, index, gfp)
            } else {
                None
            };
            let folio = packed.unwrap_or_else(|| {
                crate::error::from_err_ptr(bindings::__filemap_get_folio(
                    mapping,
                    index,
                    bindings::FGP_WRITEBEGIN | bindings::fgf_set_order(len),
                    gfp,
                ))
            });
            // Turns the reservation into the charge of what the page cache gained (nothing
            // on error, or if a concurrent fault added the folio first).
            Self::settle(inode, reserved);
            folio
        }
    }

    /// Adds a page from the file system's [`crate::folio::FolioPacker`] at `index` of
    /// `mapping` and returns it locked and referenced, as `__filemap_get_folio` with
    /// `FGP_WRITEBEGIN` would; `None` if the file system has no packer or the page cache
    /// gained a folio at `index` meanwhile (the caller then takes that one).
    ///
    /// # Safety
    ///
    /// As for [`Self::write_folio`].
    unsafe fn add_packed(
        mapping: *mut bindings::address_space,
        index: usize,
        gfp: bindings::gfp_t,
    ) -> Option<Result<*mut bindings::folio>> {
        // SAFETY: Per the safety requirements the mapping, its host and the host's superblock
        // are valid, and the superblock is live.
        let new = unsafe {
            let sb = (*(*mapping).host).i_sb;
            Self::with_data(sb, |data| T::packer(data).map(FolioPacker::alloc))
        }??;
        let folio = match new {
            Ok(new) => new.into_raw().as_ptr(),
            Err(e) => return Some(Err(e)),
        };
        // SAFETY: `folio` is fresh and ours alone, as `filemap_add_folio` requires; on success
        // it is in the page cache, locked, and our reference is returned; on failure it is
        // unlocked again and dropping our reference frees it.
        let ret = unsafe { bindings::filemap_add_folio(mapping, folio, index, gfp) };
        if ret == 0 {
            return Some(Ok(folio));
        }
        // SAFETY: As above.
        unsafe { bindings::folio_put(folio) };
        if ret == -(bindings::EEXIST as i32) {
            return None;
        }
        Some(Err(Error::from_errno(ret)))
    }

    /// Installs operations on a new inode according to its type.
    ///
    /// # Safety
    ///
    /// `p` must be a new, not yet visible inode of a `T` superblock with `i_mode` set.
    pub(crate) unsafe fn init_ops(p: *mut bindings::inode, rdev: bindings::dev_t) {
        // SAFETY: Per the safety requirements we own the inode exclusively.
        unsafe {
            let mapping = (*p).i_mapping;
            (*mapping).a_ops = &AopsVtable::<T::Aops>::VTABLE;
            // Pinned data comes from memory that is not movable (as ramfs's); other data may be
            // moved, like tmpfs's.
            let gfp = if T::PINNED {
                bindings::GFP_HIGHUSER
            } else {
                bindings::GFP_HIGHUSER | (1 << bindings::___GFP_MOVABLE_BIT)
            };
            bindings::mapping_set_gfp_mask(mapping, gfp);
            bindings::mapping_set_unevictable(mapping);
            bindings::simple_inode_init_ts(p);
            match u32::from((*p).i_mode) & S_IFMT {
                S_IFDIR => {
                    (*p).i_op = &IopsVtable::<T::DirOps>::VTABLE;
                    bindings::inode_set_fop(p, &raw const bindings::simple_dir_operations);
                    // Directories start with two links ("." and the entry in the parent).
                    bindings::inc_nlink(p);
                }
                S_IFREG => {
                    bindings::mapping_set_large_folios(mapping);
                    (*p).i_op = &IopsVtable::<T::FileInodeOps>::VTABLE;
                    bindings::inode_set_fop(p, &FopsVtable::<T::FileOps>::VTABLE);
                }
                S_IFLNK => {
                    (*p).i_op = &raw const bindings::page_symlink_inode_operations;
                    bindings::inode_nohighmem(p);
                }
                _ => {
                    (*p).i_op = &IopsVtable::<T::FileInodeOps>::VTABLE;
                    bindings::init_special_inode(p, (*p).i_mode, rdev);
                }
            }
        }
    }

    /// Allocates and sets up the inode for a new entry in `dir` (like `ramfs_get_inode`).
    ///
    /// # Safety
    ///
    /// `dir` must be a locked directory inode of a `T` superblock that lives at least for
    /// `'a`.
    unsafe fn new_child_inode<'a>(
        dir: *mut bindings::inode,
        mode: bindings::umode_t,
        dev: bindings::dev_t,
    ) -> Result<InodeRef<'a>> {
        // SAFETY: `dir` is valid, so is its superblock, which lives for `'a` per the safety
        // requirements. Like ramfs, report `ENOSPC`.
        let inode = unsafe { Self::charged_inode((*dir).i_sb, ENOSPC) }?;
        let p = inode.as_ptr();
        // SAFETY: The superblock finished `fill_super` (the VFS calls directory operations
        // only then), so `s_fs_info` holds our data until `kill_sb`.
        let ino = T::new_ino(unsafe { T::Data::borrow((*(*dir).i_sb).s_fs_info) });
        // SAFETY: The inode is new and private to us; `dir` is valid and locked.
        unsafe {
            (*p).i_ino = ino;
            bindings::inode_init_owner(&raw mut bindings::nop_mnt_idmap, p, dir, mode);
            Self::init_ops(p, dev);
        }
        Ok(inode)
    }

    /// Lets the security modules label the new `inode` for `dentry` in `dir`, as ramfs does
    /// (without extended attributes to keep the labels in).
    ///
    /// # Safety
    ///
    /// `dir` must be the locked parent of `dentry`, and `inode` a new inode of ours.
    unsafe fn init_security(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        inode: &Inode,
    ) -> Result {
        // SAFETY: Per the safety requirements; the name is stable while `dir` is locked.
        to_result(unsafe {
            bindings::security_inode_init_security(
                inode.as_ptr(),
                dir,
                bindings::dentry_name(dentry),
                None,
                core::ptr::null_mut(),
            )
        })
    }

    /// Makes `inode` visible as `dentry` in `dir`.
    ///
    /// # Safety
    ///
    /// `dir` must be the locked parent of the negative `dentry`.
    unsafe fn instantiate(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        inode: InodeRef<'_>,
    ) {
        // SAFETY: Per the safety requirements; `d_make_persistent` consumes our inode reference
        // and pins the dentry like ramfs does.
        unsafe {
            bindings::d_make_persistent(dentry, inode.into_raw().as_ptr());
            let now = bindings::inode_set_ctime_current(dir);
            bindings::inode_set_mtime_to_ts(dir, now);
        }
    }

    /// Makes sure the page cache holds zeroed folios for `offset..end`, and extends the size
    /// to `end` unless `keep_size`. Out of space, folios added past the end of the file are
    /// removed again, as tmpfs does, and `ENOSPC` is returned.
    ///
    /// # Safety
    ///
    /// `inode` must be a locked regular file of ours.
    unsafe fn allocate(
        inode: *mut bindings::inode,
        offset: bindings::loff_t,
        end: bindings::loff_t,
        keep_size: bool,
    ) -> Result {
        let shift = crate::page::PAGE_SHIFT;
        let mut index = (offset >> shift) as usize;
        let last = ((end - 1) >> shift) as usize;
        while index <= last {
            let want = ((last - index + 1) << shift).min(1 << 21);
            // SAFETY: Per the safety requirements the inode and its mapping are valid and the
            // inode is locked; the returned folio is locked and referenced.
            let res = unsafe {
                Self::write_folio((*inode).i_mapping, index, want).map(|folio| {
                    let size = bindings::folio_size(folio);
                    if !bindings::folio_test_uptodate(folio) {
                        bindings::folio_zero_segments(folio, 0, size, size, size);
                        bindings::folio_mark_uptodate(folio);
                    }
                    bindings::folio_mark_dirty(folio);
                    let next =
                        ((bindings::folio_pos(folio) as usize + size) >> shift).max(index + 1);
                    bindings::folio_unlock(folio);
                    bindings::folio_put(folio);
                    next
                })
            };
            match res {
                Ok(next) => index = next,
                Err(e) => {
                    // SAFETY: As above.
                    unsafe {
                        let eof = bindings::i_size_read(inode) as u64;
                        let from = eof.next_multiple_of(1 << shift).min(i64::MAX as u64) as i64;
                        if from < end {
                            bindings::truncate_pagecache_range(inode, from.max(offset), end - 1);
                            Self::settle(inode, 0);
                        }
                    }
                    return Err(e);
                }
            }
        }
        // SAFETY: As above; the inode is locked.
        unsafe {
            if !keep_size && end > bindings::i_size_read(inode) {
                bindings::i_size_write(inode, end);
            }
        }
        Ok(())
    }
    /// Reads at `iocb`'s position into `to`, from the page cache; holes read as zeros.
    ///
    /// # Safety
    ///
    /// `iocb` must be a valid kiocb of an open regular file of a `T` superblock and `to` a
    /// valid iterator, as `read_iter` gets them.
    unsafe fn read(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> Result<usize> {
        let page = crate::page::PAGE_SIZE;
        let mut done = 0usize;
        let mut err = Ok(());
        // SAFETY: Per the safety requirements. Folios returned by `__filemap_get_folio` are
        // referenced until `folio_put`.
        unsafe {
            (*iocb).ki_flags &= !(bindings::IOCB_DIRECT as c_int);
            let file = (*iocb).ki_filp;
            let inode = (*file).f_inode;
            let mapping = (*inode).i_mapping;
            let mut pos = (*iocb).ki_pos;
            let count = || bindings::iov_iter_count(to);
            while count() > 0 {
                if done > 0 && bindings::fatal_signal_pending(bindings::get_current()) {
                    break;
                }
                let index = (pos as u64 >> crate::page::PAGE_SHIFT) as usize;
                let found =
                    crate::error::from_err_ptr(bindings::__filemap_get_folio(mapping, index, 0, 0))
                        .ok();
                let mut data = false;
                if let Some(folio) = found {
                    data = bindings::folio_test_uptodate(folio);
                    if !data {
                        // Being filled by `read_folio`: wait for it. A folio that is still not
                        // up to date holds no data (every writer makes its folio up to date
                        // under the lock): it reads as a hole.
                        bindings::folio_lock(folio);
                        data = bindings::folio_test_uptodate(folio);
                        bindings::folio_unlock(folio);
                    }
                }
                // The size after the lookup: reads do not hold `i_rwsem`, so a truncation
                // that raced with it shortens the read.
                let size = bindings::i_size_read(inode);
                if pos >= size {
                    if let Some(folio) = found {
                        bindings::folio_put(folio);
                    }
                    break;
                }
                let left = ((size - pos) as u64).min(count() as u64) as usize;
                let (want, got) = match found {
                    // A hole: zeros up to the end of the page.
                    None => {
                        let want = left.min(page - (pos as usize & (page - 1)));
                        (want, bindings::iov_iter_zero(want, to))
                    }
                    Some(folio) => {
                        let off = (pos - bindings::folio_pos(folio)) as usize;
                        let want = left.min(bindings::folio_size(folio) - off);
                        let got = if !data {
                            bindings::iov_iter_zero(want, to)
                        } else {
                            if bindings::mapping_writably_mapped(mapping) {
                                bindings::flush_dcache_folio(folio);
                            }
                            bindings::copy_folio_to_iter(folio, off, want, to)
                        };
                        bindings::folio_put(folio);
                        (want, got)
                    }
                };
                pos += got as bindings::loff_t;
                done += got;
                if got < want {
                    if done == 0 {
                        err = Err(EFAULT);
                    }
                    break;
                }
            }
            (*iocb).ki_pos = pos;
            bindings::file_accessed(file);
        }
        err.map(|()| done)
    }

    /// Allocates (`FALLOC_FL_KEEP_SIZE` or not) or punches holes (`FALLOC_FL_PUNCH_HOLE`)
    /// in `offset..offset + len` of `inode`.
    ///
    /// # Safety
    ///
    /// `inode` must be a regular file of a `T` superblock with an open file, as `fallocate`
    /// gets it (the VFS checked the range and holds write access to the superblock).
    unsafe fn fallocate(inode: *mut bindings::inode, mode: c_int, offset: i64, len: i64) -> Result {
        let keep = bindings::FALLOC_FL_KEEP_SIZE as c_int;
        let punch = bindings::FALLOC_FL_PUNCH_HOLE as c_int;
        if mode & !(keep | punch) != 0 {
            return Err(Error::from_errno(-(bindings::EOPNOTSUPP as c_int)));
        }
        let Some(end) = offset.checked_add(len).filter(|_| offset >= 0 && len > 0) else {
            return Err(EINVAL);
        };
        // SAFETY: Per the safety requirements; we hold the inode's lock while changing its
        // page cache and size.
        unsafe {
            bindings::inode_lock(inode);
            let res = if mode & punch != 0 {
                // Holes read as zeros; partial folios at the edges are zeroed. Page faults
                // that would fill the range again wait (`filemap_fault` takes the invalidate
                // lock shared to add a folio), as `shmem_fallocate` arranges.
                let lock = &raw mut (*(*inode).i_mapping).invalidate_lock;
                bindings::down_write(lock);
                bindings::truncate_pagecache_range(inode, offset, end - 1);
                bindings::up_write(lock);
                Self::settle(inode, 0);
                Ok(())
            } else if mode & keep == 0 && end > bindings::i_size_read(inode) {
                // The new size must be allowed (`RLIMIT_FSIZE`, `s_maxbytes`).
                to_result(bindings::inode_newsize_ok(inode, end))
                    .and_then(|()| Self::allocate(inode, offset, end, false))
            } else {
                Self::allocate(inode, offset, end, mode & keep != 0)
            };
            if res.is_ok() {
                let now = bindings::inode_set_ctime_current(inode);
                bindings::inode_set_mtime_to_ts(inode, now);
            }
            bindings::inode_unlock(inode);
            res
        }
    }

    /// Creates an inode of type and mode `mode` for the new name of `op` (like ramfs's
    /// `ramfs_mknod`).
    fn make(op: &NewEntry<'_, T>, mode: u32, dev: bindings::dev_t) -> Result {
        // SAFETY: By the invariant of `NewEntry`, `dir` is a locked directory of ours (the
        // VFS calls our directory operations only on our inodes) and `dentry` a negative
        // child of it; the inode is new.
        unsafe {
            let (dir, dentry) = (op.dir().as_ptr(), op.dentry().as_ptr());
            let inode = Self::new_child_inode(dir, mode as bindings::umode_t, dev)?;
            Self::init_security(dir, dentry, &inode)?;
            Self::instantiate(dir, dentry, inode);
        }
        Ok(())
    }
}

/// The inode operations of the directories of file system `T`: ramfs's namespace in the
/// dcache, with inodes and extra links charged to `T`'s accounting as tmpfs charges them.
pub struct DirOps<T>(PhantomData<T>);

#[vtable]
impl<T: FileSystem> InodeOperations for DirOps<T> {
    type FileSystem = T;

    fn lookup(op: Lookup<'_, T>) -> Result {
        op.simple_lookup()
    }

    fn create(op: NewEntry<'_, T>, mode: u16, _excl: bool) -> Result {
        Ops::<T>::make(&op, (u32::from(mode) & !S_IFMT) | S_IFREG, 0)
    }

    fn mkdir(op: NewEntry<'_, T>, mode: u16) -> Result {
        Ops::<T>::make(&op, (u32::from(mode) & !S_IFMT) | S_IFDIR, 0)?;
        // SAFETY: By the invariant of `NewEntry` the directory is locked; the new
        // subdirectory's ".." links to it.
        unsafe { bindings::inc_nlink(op.dir().as_ptr()) };
        Ok(())
    }

    fn mknod(op: NewEntry<'_, T>, mode: u16, dev: u32) -> Result {
        Ops::<T>::make(&op, mode.into(), dev)
    }

    fn symlink(op: NewEntry<'_, T>, target: &CStr) -> Result {
        let len = target.to_bytes_with_nul().len();
        let mode = (S_IFLNK | 0o777) as bindings::umode_t;
        let (dir, dentry) = (op.dir().as_ptr(), op.dentry().as_ptr());
        // SAFETY: As in `make`.
        let inode = unsafe {
            let inode = Ops::<T>::new_child_inode(dir, mode, 0)?;
            Ops::<T>::init_security(dir, dentry, &inode)?;
            inode
        };
        // SAFETY: The inode is a new symlink; `page_symlink` stores the target (at most
        // `PATH_MAX` bytes, as the VFS checked) in its page cache, like ramfs.
        to_result(unsafe {
            bindings::page_symlink(inode.as_ptr(), target.as_char_ptr(), len as c_int)
        })?;
        // SAFETY: As in `make`.
        unsafe { Ops::<T>::instantiate(dir, dentry, inode) };
        Ok(())
    }

    /// `simple_link`; like tmpfs, each extra link counts against the inode limit (it pins a
    /// dentry), except the first link of an `O_TMPFILE` file.
    fn link(op: Link<'_, T>) -> Result {
        // SAFETY: The inode of `op` is valid and locked.
        let charge = unsafe { bindings::inode_nlink(op.inode().as_ptr()) } > 0;
        // SAFETY: The inode is valid.
        let sb = unsafe { (*op.inode().as_ptr()).i_sb };
        if charge {
            // SAFETY: The VFS calls directory operations on superblocks of ours that
            // finished `fill_super`.
            unsafe { Ops::<T>::with_accounting(sb, |l| l.charge_link()) }.unwrap_or(Ok(()))?;
        }
        let ret = op.simple_link();
        if ret.is_err() && charge {
            // SAFETY: As above.
            unsafe { Ops::<T>::with_accounting(sb, |l| l.uncharge_link()) };
        }
        ret
    }

    fn unlink(op: Unlink<'_, T>) -> Result {
        let release = extra_link(op.inode());
        // SAFETY: The inode is valid.
        let sb = unsafe { (*op.inode().as_ptr()).i_sb };
        op.simple_unlink()?;
        if release {
            // SAFETY: As in `link`.
            unsafe { Ops::<T>::with_accounting(sb, |l| l.uncharge_link()) };
        }
        Ok(())
    }

    fn rmdir(op: Rmdir<'_, T>) -> Result {
        op.simple_rmdir()
    }

    fn rename(op: Rename<'_, T>) -> Result {
        // An overwritten target loses a name as in `unlink`; decided before the rename drops
        // its link count.
        let release = op.overwritten().is_some_and(extra_link);
        // SAFETY: The directory is valid for the call.
        let sb = unsafe { (*op.new_dir).i_sb };
        op.simple_rename()?;
        if release {
            // SAFETY: As in `link`.
            unsafe { Ops::<T>::with_accounting(sb, |l| l.uncharge_link()) };
        }
        Ok(())
    }

    fn tmpfile(op: Tmpfile<'_, T>) -> Result {
        // SAFETY: By the invariant of `Tmpfile`, `dir` is a locked directory of ours and
        // `file` a file being opened on a dentry in it; the inode is new.
        unsafe {
            let file = op.file;
            let inode = Ops::<T>::new_child_inode(op.dir, op.mode, 0)?;
            let dentry = bindings::file_path_dentry(file);
            Ops::<T>::init_security(op.dir, dentry, &inode)?;
            // Consumes our inode reference; the inode has no name and no links.
            bindings::d_tmpfile(file, inode.into_raw().as_ptr());
            to_result(bindings::finish_open(file, dentry, None))
        }
    }

    fn setattr(op: Setattr<'_, T>) -> Result {
        op.simple_setattr()
    }

    fn getattr(op: Getattr<'_, T>) -> Result {
        op.simple_getattr()
    }
}

/// Returns whether removing a name of `inode` releases an inode charge: as on tmpfs, the
/// name of a non-directory that has other names (see [`DirOps`]'s `link`).
fn extra_link(inode: &Inode) -> bool {
    // SAFETY: The inode is valid.
    inode.mode() & S_IFMT != S_IFDIR && unsafe { bindings::inode_nlink(inode.as_ptr()) } > 1
}

/// The inode operations of the regular and special files of file system `T`: libfs's
/// attributes, with the charge following size changes.
pub struct FileInodeOps<T>(PhantomData<T>);

#[vtable]
impl<T: FileSystem> InodeOperations for FileInodeOps<T> {
    type FileSystem = T;

    /// `simple_setattr`, except that growing keeps the folios past the old end (as tmpfs
    /// does), and the charge follows a size change.
    fn setattr(op: Setattr<'_, T>) -> Result {
        let (idmap, dentry, attr) = (op.idmap, op.dentry, op.attr);
        // SAFETY: By the invariant of `Setattr` the dentry is positive, its inode locked, and
        // `attr` valid.
        let (inode, old_size, size) = unsafe {
            let inode = bindings::d_inode(dentry);
            let old_size = bindings::i_size_read(inode);
            let size = (*attr).ia_valid & bindings::ATTR_SIZE != 0;
            if size && (*attr).ia_size > old_size {
                // Growing keeps the folios past the old end (`FALLOC_FL_KEEP_SIZE`);
                // `simple_setattr` would drop those past the new end.
                to_result(bindings::setattr_prepare(idmap, dentry, attr))?;
                bindings::i_size_write(inode, (*attr).ia_size);
                bindings::pagecache_isize_extended(inode, old_size, (*attr).ia_size);
                (*attr).ia_valid &= !bindings::ATTR_SIZE;
            }
            (inode, old_size, size)
        };
        op.simple_setattr()?;
        if size {
            // SAFETY: The inode is valid, locked and ours.
            unsafe {
                Ops::<T>::settle(inode, 0);
                // `truncate(2)` passes no time flags; a size change updates both, as on tmpfs.
                if bindings::i_size_read(inode) != old_size {
                    let now = bindings::inode_set_ctime_current(inode);
                    bindings::inode_set_mtime_to_ts(inode, now);
                }
            }
        }
        Ok(())
    }

    fn getattr(op: Getattr<'_, T>) -> Result {
        op.simple_getattr()
    }
}

/// The file operations of the regular files of file system `T`: reads that do not fill
/// holes, buffered writes into large folios, `fallocate`, `SEEK_DATA`/`SEEK_HOLE`, and maps of
/// the page cache.
pub struct FileOps<T>(PhantomData<T>);

#[vtable]
impl<T: FileSystem> FileOperations for FileOps<T> {
    type FileSystem = T;

    fn open(op: Open<'_, T>) -> Result {
        // SAFETY: By the invariant of `Open` the file is being opened and not yet shared.
        // Like tmpfs, accept `O_DIRECT`: the page cache is the storage, so direct I/O is the
        // same as buffered I/O.
        unsafe {
            (*op.file).f_mode |= bindings::FMODE_CAN_ODIRECT;
            to_result(bindings::generic_file_open(op.inode().as_ptr(), op.file))
        }
    }

    /// Reads from the page cache like `shmem_file_read_iter`: holes read as zeros without
    /// allocating folios. `O_DIRECT` reads are served from the page cache as well.
    fn read_iter(io: &mut Io<'_, T>, to: &mut IovIterDest<'_>) -> Result<usize> {
        // SAFETY: By the invariant of `Io` this is the kiocb of a `read_iter` on a file of
        // ours; the iterator is valid.
        unsafe { Ops::<T>::read(io.kiocb().as_raw(), to.as_raw()) }
    }

    fn write_iter(io: &mut Io<'_, T>, from: &mut IovIterSource<'_>) -> Result<usize> {
        let iocb = io.kiocb().as_raw();
        // SAFETY: By the invariant of `Io` this is the kiocb of a `write_iter` on a file of
        // ours; the iterator is valid. Writes through the page cache also serve `O_DIRECT`.
        let n = unsafe {
            (*iocb).ki_flags &= !(bindings::IOCB_DIRECT as c_int);
            bindings::generic_file_write_iter(iocb, from.as_raw())
        };
        to_result(n.min(0) as c_int).map(|()| n as usize)
    }

    fn llseek(op: Llseek<'_, T>) -> Result<i64> {
        let data = match op.whence() {
            bindings::SEEK_DATA => true,
            bindings::SEEK_HOLE => false,
            _ => return op.generic_file_llseek(),
        };
        let file = op.file;
        // SAFETY: An open file of ours has a valid inode, which lives as long as the file.
        let inode = unsafe { Inode::from_raw((*file).f_inode) };
        let pos = inode.seek_data_hole(op.offset(), data)?;
        // SAFETY: `file` is valid; `vfs_setpos` checks the position against the limit.
        let pos = unsafe { bindings::vfs_setpos(file, pos, i64::MAX) };
        to_result(pos.min(0) as c_int).map(|()| pos)
    }

    /// Allocates (`FALLOC_FL_KEEP_SIZE` or not) or punches holes (`FALLOC_FL_PUNCH_HOLE`).
    fn fallocate(op: Fallocate<'_, T>) -> Result {
        // SAFETY: By the invariant of `Fallocate` the file is ours; the VFS checked the range
        // and holds write access to the superblock.
        unsafe { Ops::<T>::fallocate((*op.file).f_inode, op.mode, op.offset, op.len) }
    }

    /// Nothing to write back (`noop_fsync`).
    fn fsync(_op: Fsync<'_, T>) -> Result {
        Ok(())
    }

    fn mmap_prepare(op: MmapPrepare<'_, T>) -> Result {
        op.generic_file_mmap_prepare()
    }

    /// Through `read_iter`, so holes are not filled in.
    fn splice_read(op: SpliceRead<'_, T>) -> Result<usize> {
        // SAFETY: `read_iter` is `Self::read_iter`, which reports only bytes it copied or
        // zeroed into the iterator.
        unsafe { op.copy_splice_read() }
    }

    fn splice_write(op: SpliceWrite<'_, T>) -> Result<usize> {
        op.iter_file_splice_write()
    }

    fn get_unmapped_area(op: UnmappedArea<'_, T>) -> Result<usize> {
        op.thp_get_unmapped_area()
    }
}

/// The address-space operations of file system `T`: `ram_aops` with accounting, large
/// folios for writes and no readahead; folios migrate with `filemap_migrate_folio`.
pub struct Aops<T>(PhantomData<T>);

#[vtable]
impl<T: FileSystem> AddressSpaceOperations for Aops<T> {
    type FileSystem = T;

    /// Fills a folio for a hole with zeros (a page fault on a hole), charging it first. The
    /// folio is allocated space like any other: it is marked dirty, so it stays (and is handed
    /// over) like a written one, as tmpfs keeps a page faulted in on a hole. Out of space, the
    /// folio leaves the page cache again and the fault gets `SIGBUS`.
    fn read_folio(folio: LockedFolio<'_, T>) -> Result {
        // SAFETY: The folio is locked, so it stays in its page cache, whose host is ours.
        let inode = unsafe { (*bindings::folio_mapping(folio.as_ptr())).host };
        let pages = (folio.size() >> crate::page::PAGE_SHIFT) as u64;
        // SAFETY: The inode is valid; page faults happen on superblocks that finished
        // `fill_super`.
        let reserved =
            unsafe { Ops::<T>::with_accounting((*inode).i_sb, |l| l.reserve_blocks(pages)) };
        if let Some(Err(e)) = reserved {
            folio.remove_from_mapping();
            return Err(e);
        }
        folio.zero_fill();
        folio.mark_dirty();
        drop(folio);
        // SAFETY: As above.
        unsafe { Ops::<T>::settle(inode, pages) };
        Ok(())
    }

    /// Reads nothing ahead: the page cache removes the folios readahead allocated, so only
    /// the faulting page of a hole is filled in (by `read_folio`), as on tmpfs.
    fn readahead(_rac: &Readahead) {}

    /// Asks the page cache for a folio as large as the write (up to the mapping's maximum),
    /// so 2 MiB-aligned writes of 2 MiB get 2 MiB folios. A new folio is zeroed around the
    /// copy in `write_end`.
    fn write_begin<'a>(mapping: &'a Mapping<T>, pos: i64, len: u32) -> Result<LockedFolio<'a, T>> {
        let index = (pos >> crate::page::PAGE_SHIFT) as usize;
        // SAFETY: `write_begin` gets a mapping of ours with `i_rwsem` held; the folio comes
        // back locked and referenced, for the lifetime of the mapping.
        let folio = unsafe {
            let f = Ops::<T>::write_folio(mapping.as_ptr(), index, len as usize)?;
            LockedFolio::from_raw(NonNull::new_unchecked(f))
        };
        Ok(folio)
    }

    /// Like `simple_write_end`: completes a write into a folio from `write_begin`.
    fn write_end(
        mapping: &Mapping<T>,
        pos: i64,
        _len: u32,
        copied: u32,
        folio: LockedFolio<'_, T>,
    ) -> u32 {
        if !folio.is_uptodate() {
            // A new folio: zero all but what was copied. `write_begin` does not zero (this is
            // the only place), so this must stay, also for short and zero-byte copies.
            let from = (pos - folio.pos()) as usize;
            folio.zero_range(0, from);
            folio.zero_range(from + copied as usize, folio.size());
            // SAFETY: The copy wrote `from..from + copied`; everything else was just zeroed.
            unsafe { folio.mark_uptodate() };
        }
        let inode = mapping.host().as_ptr();
        let last = pos + i64::from(copied);
        // SAFETY: `write_end` runs with `i_rwsem` of the host held, which serialises size
        // changes.
        unsafe {
            if last > bindings::i_size_read(inode) {
                bindings::i_size_write(inode, last);
            }
        }
        folio.mark_dirty();
        copied
    }

    fn dirty_folio(op: DirtyFolio<'_, T>) -> bool {
        op.noop_dirty_folio()
    }

    /// Folios of a [`FileSystem::PINNED`] file system stay where they are.
    fn migrate_folio(_mapping: &Mapping<T>, _src: &Folio) -> Migrate {
        if T::PINNED {
            Migrate::Refuse(EBUSY)
        } else {
            Migrate::Filemap
        }
    }
}
