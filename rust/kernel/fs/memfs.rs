// SPDX-License-Identifier: GPL-2.0

//! Files and directories that live in memory: the inode, file and address-space operations of
//! ramfs-like file systems, with tmpfs's behaviour for holes and large folios.
//!
//! The namespace is the dcache (dentries are pinned, as in ramfs), with libfs's
//! `simple_lookup`, `simple_rmdir` and `simple_setattr`/`simple_getattr`; creation, links,
//! unlinks and renames are charged to the file system's [`Accounting`]. Regular files and
//! symbolic links keep their data in the page cache, unevictable (there is no backing store):
//! reading a hole does not allocate, writes get folios as large as the write, page faults on
//! holes are charged, `fallocate` allocates and punches holes, and `SEEK_DATA`/`SEEK_HOLE`
//! follow the page cache. Folios are movable and migrate (`filemap_migrate_folio`), unless the
//! file system is [`FileSystem::PINNED`]: then they come from memory that is not movable
//! (`GFP_HIGHUSER`, as ramfs's) and refuse migration, so they never change their physical
//! address.
//!
//! These tables are installed on the inodes that [`super::sb::NewSuperBlock::new_inode`] and
//! the directory operations create.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h).

use crate::{
    bindings,
    error::{from_result, to_result},
    fs::{
        accounting::Accounting,
        inode::{Inode, InodeRef, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG},
        sb::FileSystem,
    },
    prelude::*,
    types::ForeignOwnable,
};
use core::{marker::PhantomData, ptr::NonNull};

/// # Safety
///
/// Called by the migration code as `address_space_operations::migrate_folio`.
unsafe extern "C" fn refuse_migration(
    _mapping: *mut bindings::address_space,
    _dst: *mut bindings::folio,
    _src: *mut bindings::folio,
    _mode: bindings::migrate_mode,
) -> c_int {
    // Folios stay at their physical address for their whole life, so a preserved address can
    // never go stale.
    EBUSY.to_errno()
}

/// Like `simple_write_end`: completes a write into a folio from `write_begin`.
///
/// # Safety
///
/// Called by the page cache as `address_space_operations::write_end`, with the arguments
/// that callback receives (the folio locked and referenced by `write_begin`, `i_rwsem`
/// held exclusively).
unsafe extern "C" fn write_end(
    _iocb: *const bindings::kiocb,
    mapping: *mut bindings::address_space,
    pos: bindings::loff_t,
    len: c_uint,
    copied: c_uint,
    folio: *mut bindings::folio,
    _fsdata: *mut c_void,
) -> c_int {
    // SAFETY: Per the safety requirements; we own the folio lock and one reference, which we
    // give up here.
    unsafe {
        let inode = (*mapping).host;
        if !bindings::folio_test_uptodate(folio) {
            // Zero the stale part of the folio after a short copy.
            if copied < len {
                let size = bindings::folio_size(folio);
                let from = (pos - bindings::folio_pos(folio)) as usize;
                let start = (from + copied as usize).min(size);
                let end = (from + len as usize).min(size);
                bindings::folio_zero_segments(folio, start, end, 0, 0);
            }
            bindings::folio_mark_uptodate(folio);
        }
        let last = pos + bindings::loff_t::from(copied);
        if last > bindings::i_size_read(inode) {
            bindings::i_size_write(inode, last);
        }
        bindings::folio_mark_dirty(folio);
        bindings::folio_unlock(folio);
        bindings::folio_put(folio);
    }
    copied as c_int
}

/// Reads nothing ahead: the page cache removes the folios readahead allocated, so only the
/// faulting page of a hole is filled in (by `read_folio`), as on tmpfs.
///
/// # Safety
///
/// Called by the page cache as `address_space_operations::readahead`.
unsafe extern "C" fn no_readahead(_rac: *mut bindings::readahead_control) {}

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

/// The type of `address_space_operations::migrate_folio`.
type MigrateFolio = Option<
    unsafe extern "C" fn(
        *mut bindings::address_space,
        *mut bindings::folio,
        *mut bindings::folio,
        bindings::migrate_mode,
    ) -> c_int,
>;

/// The operation tables of file system `T`.
pub(crate) struct Ops<T>(PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    /// Migration of movable folios (none without `CONFIG_MIGRATION`).
    #[cfg(CONFIG_MIGRATION)]
    const MIGRATE: MigrateFolio = Some(bindings::filemap_migrate_folio);
    #[cfg(not(CONFIG_MIGRATION))]
    const MIGRATE: MigrateFolio = None;

    /// `ram_aops` with accounting, large folios for writes and no readahead; folios of
    /// [`FileSystem::PINNED`] file systems refuse migration.
    const AOPS: bindings::address_space_operations = bindings::address_space_operations {
        read_folio: Some(Self::read_folio),
        readahead: Some(no_readahead),
        write_begin: Some(Self::write_begin),
        write_end: Some(write_end),
        dirty_folio: Some(bindings::noop_dirty_folio),
        migrate_folio: if T::PINNED {
            Some(refuse_migration)
        } else {
            Self::MIGRATE
        },
        ..pin_init::zeroed()
    };

    const DIR_IOPS: bindings::inode_operations = bindings::inode_operations {
        lookup: Some(bindings::simple_lookup),
        create: Some(Self::create),
        mkdir: Some(Self::mkdir),
        mknod: Some(Self::mknod),
        symlink: Some(Self::symlink),
        link: Some(Self::link),
        unlink: Some(Self::unlink),
        rmdir: Some(bindings::simple_rmdir),
        rename: Some(Self::rename),
        tmpfile: Some(Self::tmpfile),
        setattr: Some(bindings::simple_setattr),
        getattr: Some(bindings::simple_getattr),
        ..pin_init::zeroed()
    };

    const REG_IOPS: bindings::inode_operations = bindings::inode_operations {
        setattr: Some(Self::setattr),
        getattr: Some(bindings::simple_getattr),
        ..pin_init::zeroed()
    };

    const REG_FOPS: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
        read_iter: Some(Self::read_iter),
        write_iter: Some(Self::write_iter),
        mmap_prepare: Some(bindings::generic_file_mmap_prepare),
        fsync: Some(bindings::noop_fsync),
        // Through `read_iter`, so holes are not filled in.
        splice_read: Some(bindings::copy_splice_read),
        splice_write: Some(bindings::iter_file_splice_write),
        llseek: Some(Self::llseek),
        get_unmapped_area: Some(bindings::thp_get_unmapped_area),
        fallocate: Some(Self::fallocate),
        ..pin_init::zeroed()
    };

    /// Calls `f` with the accounting of superblock `sb`, unless it is being torn down.
    ///
    /// # Safety
    ///
    /// `sb` must be a valid superblock of type `T` whose `s_fs_info` is null or the data of a
    /// live instance (from `fill_super` until `kill_sb`).
    pub(crate) unsafe fn with_accounting<R>(
        sb: *mut bindings::super_block,
        f: impl FnOnce(&T::Accounting) -> R,
    ) -> Option<R> {
        // SAFETY: Per the safety requirements.
        let info = unsafe { (*sb).s_fs_info };
        if info.is_null() {
            return None;
        }
        // SAFETY: Per the safety requirements `info` is the live instance data.
        let data = unsafe { T::Data::borrow(info) };
        Some(f(T::accounting(&data)))
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
            let folio = crate::error::from_err_ptr(bindings::__filemap_get_folio(
                mapping,
                index,
                bindings::FGP_WRITEBEGIN | bindings::fgf_set_order(len),
                gfp,
            ));
            // Turns the reservation into the charge of what the page cache gained (nothing
            // on error, or if a concurrent fault added the folio first).
            Self::settle(inode, reserved);
            folio
        }
    }

    /// `write_begin` with large folios: asks the page cache for a folio as large as the write
    /// (up to the mapping's maximum), so 2 MiB-aligned writes of 2 MiB get 2 MiB folios.
    ///
    /// # Safety
    ///
    /// Called by the page cache as `address_space_operations::write_begin`, with the
    /// arguments that callback receives.
    unsafe extern "C" fn write_begin(
        _iocb: *const bindings::kiocb,
        mapping: *mut bindings::address_space,
        pos: bindings::loff_t,
        len: c_uint,
        foliop: *mut *mut bindings::folio,
        _fsdata: *mut *mut c_void,
    ) -> c_int {
        let index = (pos >> crate::page::PAGE_SHIFT) as usize;
        // SAFETY: The VFS passes a valid mapping of ours with `i_rwsem` held.
        let folio = match unsafe { Self::write_folio(mapping, index, len as usize) } {
            Ok(f) => f,
            Err(e) => return e.to_errno(),
        };
        // SAFETY: `foliop` is a valid out pointer; the folio is locked and referenced.
        unsafe {
            *foliop = folio;
            let size = bindings::folio_size(folio);
            if !bindings::folio_test_uptodate(folio) {
                // Zero what the write will not cover, as `simple_write_begin` does. The folio
                // may start before `pos` (it is aligned to its size) and end before
                // `pos + len` (the caller then copies less): only `from..to` is written.
                let from = (pos - bindings::folio_pos(folio)) as usize;
                let to = (from + len as usize).min(size);
                if from != 0 || to != size {
                    bindings::folio_zero_segments(folio, 0, from, to, size);
                }
            }
        }
        0
    }

    /// Fills a folio for a hole with zeros (a page fault on a hole), charging it first. The
    /// folio is allocated space like any other: it is marked dirty, so it stays (and is handed
    /// over) like a written one, as tmpfs keeps a page faulted in on a hole. Out of space, the
    /// folio leaves the page cache again and the fault gets `SIGBUS`.
    ///
    /// # Safety
    ///
    /// Called by the page cache as `address_space_operations::read_folio`, with the
    /// arguments that callback receives (a locked folio of our page cache).
    unsafe extern "C" fn read_folio(
        _file: *mut bindings::file,
        folio: *mut bindings::folio,
    ) -> c_int {
        // SAFETY: Per the safety requirements; we own the folio lock and release it.
        unsafe {
            let mapping = bindings::folio_mapping(folio);
            let inode = (*mapping).host;
            let size = bindings::folio_size(folio);
            let pages = (size >> crate::page::PAGE_SHIFT) as u64;
            if let Some(Err(e)) = Self::with_accounting((*inode).i_sb, |l| l.reserve_blocks(pages))
            {
                // Our own reference: the caller's may be the page cache's only other one.
                bindings::folio_get(folio);
                bindings::generic_error_remove_folio(mapping, folio);
                bindings::folio_unlock(folio);
                bindings::folio_put(folio);
                return e.to_errno();
            }
            bindings::folio_zero_segments(folio, 0, size, 0, 0);
            bindings::flush_dcache_folio(folio);
            bindings::folio_mark_uptodate(folio);
            bindings::folio_mark_dirty(folio);
            bindings::folio_unlock(folio);
            Self::settle(inode, pages);
        }
        0
    }

    /// `simple_link`; like tmpfs, each extra link counts against the inode limit (it pins a
    /// dentry), except the first link of an `O_TMPFILE` file.
    ///
    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::link`, with the arguments it documents.
    unsafe extern "C" fn link(
        old: *mut bindings::dentry,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> c_int {
        // SAFETY: The VFS passes a positive `old` of ours and a locked `dir`.
        unsafe {
            let inode = bindings::d_inode(old);
            let charge = bindings::inode_nlink(inode) > 0;
            if charge {
                if let Some(Err(e)) = Self::with_accounting((*dir).i_sb, |l| l.charge_link()) {
                    return e.to_errno();
                }
            }
            let ret = bindings::simple_link(old, dir, dentry);
            if ret != 0 && charge {
                Self::with_accounting((*dir).i_sb, |l| l.uncharge_link());
            }
            ret
        }
    }

    /// Returns whether removing a name of `inode` releases an inode charge: as on tmpfs, the
    /// name of a non-directory that has other names (see `link`).
    ///
    /// # Safety
    ///
    /// `inode` must be a valid inode.
    unsafe fn extra_link(inode: *mut bindings::inode) -> bool {
        // SAFETY: Per the safety requirements.
        unsafe {
            u32::from((*inode).i_mode) & S_IFMT != S_IFDIR && bindings::inode_nlink(inode) > 1
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::unlink`, with the arguments it documents.
    unsafe extern "C" fn unlink(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
        // SAFETY: The VFS passes a positive `dentry` in the locked `dir`; `simple_unlink`
        // cannot fail.
        unsafe {
            if Self::extra_link(bindings::d_inode(dentry)) {
                Self::with_accounting((*dir).i_sb, |l| l.uncharge_link());
            }
            bindings::simple_unlink(dir, dentry)
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::rename`, with the arguments it documents.
    unsafe extern "C" fn rename(
        idmap: *mut bindings::mnt_idmap,
        old_dir: *mut bindings::inode,
        old_dentry: *mut bindings::dentry,
        new_dir: *mut bindings::inode,
        new_dentry: *mut bindings::dentry,
        flags: c_uint,
    ) -> c_int {
        // SAFETY: The VFS passes the arguments `simple_rename` takes, with the directories
        // (and the target, if any) locked.
        unsafe {
            // An overwritten target loses a name as in `unlink`; decided before the rename
            // drops its link count.
            let release = flags & bindings::RENAME_EXCHANGE == 0
                && bindings::d_really_is_positive(new_dentry)
                && Self::extra_link(bindings::d_inode(new_dentry));
            let ret =
                bindings::simple_rename(idmap, old_dir, old_dentry, new_dir, new_dentry, flags);
            if ret == 0 && release {
                Self::with_accounting((*new_dir).i_sb, |l| l.uncharge_link());
            }
            ret
        }
    }

    /// `simple_setattr`, then the charge follows a size change.
    ///
    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::setattr`, with the arguments it documents.
    unsafe extern "C" fn setattr(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> c_int {
        // SAFETY: Same arguments; the dentry of a file of ours is positive and its inode
        // locked by the VFS.
        unsafe {
            let inode = bindings::d_inode(dentry);
            let old_size = bindings::i_size_read(inode);
            let size = (*attr).ia_valid & bindings::ATTR_SIZE != 0;
            if size && (*attr).ia_size > old_size {
                // Growing keeps the folios past the old end (`FALLOC_FL_KEEP_SIZE`), as tmpfs
                // does; `simple_setattr` would drop those past the new end.
                let ret = bindings::setattr_prepare(idmap, dentry, attr);
                if ret != 0 {
                    return ret;
                }
                bindings::i_size_write(inode, (*attr).ia_size);
                bindings::pagecache_isize_extended(inode, old_size, (*attr).ia_size);
                (*attr).ia_valid &= !bindings::ATTR_SIZE;
            }
            let ret = bindings::simple_setattr(idmap, dentry, attr);
            if ret == 0 && size {
                Self::settle(inode, 0);
                // `truncate(2)` passes no time flags; a size change updates both, as on tmpfs.
                if bindings::i_size_read(inode) != old_size {
                    let now = bindings::inode_set_ctime_current(inode);
                    bindings::inode_set_mtime_to_ts(inode, now);
                }
            }
            ret
        }
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
            (*mapping).a_ops = &Self::AOPS;
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
                    (*p).i_op = &Self::DIR_IOPS;
                    bindings::inode_set_fop(p, &raw const bindings::simple_dir_operations);
                    // Directories start with two links ("." and the entry in the parent).
                    bindings::inc_nlink(p);
                }
                S_IFREG => {
                    bindings::mapping_set_large_folios(mapping);
                    (*p).i_op = &Self::REG_IOPS;
                    bindings::inode_set_fop(p, &Self::REG_FOPS);
                }
                S_IFLNK => {
                    (*p).i_op = &raw const bindings::page_symlink_inode_operations;
                    bindings::inode_nohighmem(p);
                }
                _ => {
                    (*p).i_op = &Self::REG_IOPS;
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

    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::mknod`, with the arguments it documents.
    unsafe extern "C" fn mknod(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        dev: bindings::dev_t,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The VFS passes a locked directory of our type and a negative child;
            // the inode is new.
            unsafe {
                let inode = Self::new_child_inode(dir, mode, dev)?;
                Self::init_security(dir, dentry, &inode)?;
                Self::instantiate(dir, dentry, inode);
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::create`, with the arguments it documents.
    unsafe extern "C" fn create(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        _excl: bool,
    ) -> c_int {
        let mode = (u32::from(mode) & !S_IFMT) | S_IFREG;
        // SAFETY: Same arguments as `create`, which `mknod` accepts.
        unsafe { Self::mknod(idmap, dir, dentry, mode as bindings::umode_t, 0) }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::mkdir`, with the arguments it documents.
    unsafe extern "C" fn mkdir(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
    ) -> *mut bindings::dentry {
        let mode = (u32::from(mode) & !S_IFMT) | S_IFDIR;
        // SAFETY: Same arguments as `mkdir`, which `mknod` accepts.
        let ret = unsafe { Self::mknod(idmap, dir, dentry, mode as bindings::umode_t, 0) };
        if ret == 0 {
            // SAFETY: `dir` is locked; the new subdirectory's ".." links to it.
            unsafe { bindings::inc_nlink(dir) };
        }
        // A NULL return means success with `dentry` used as is.
        crate::error::to_result(ret)
            .map(|()| core::ptr::null_mut())
            .unwrap_or_else(|e| e.to_ptr())
    }

    /// # Safety
    ///
    /// Only called by the VFS as `file_operations::open`, with the arguments it documents.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: The VFS passes a file being opened. Like tmpfs, accept `O_DIRECT`: the page
        // cache is the storage, so direct I/O is the same as buffered I/O.
        unsafe {
            (*file).f_mode |= bindings::FMODE_CAN_ODIRECT;
            bindings::generic_file_open(inode, file)
        }
    }

    /// Reads from the page cache like `shmem_file_read_iter`: holes read as zeros without
    /// allocating folios. `O_DIRECT` reads are served from the page cache as well.
    ///
    /// # Safety
    ///
    /// Only called by the VFS as `file_operations::read_iter`, with the arguments it
    /// documents.
    unsafe extern "C" fn read_iter(
        iocb: *mut bindings::kiocb,
        to: *mut bindings::iov_iter,
    ) -> isize {
        let page = crate::page::PAGE_SIZE;
        let mut done = 0usize;
        let mut err = 0isize;
        // SAFETY: The VFS passes a valid kiocb of an open file of ours and a valid iterator.
        // Folios returned by `__filemap_get_folio` are referenced until `folio_put`.
        unsafe {
            (*iocb).ki_flags &= !(bindings::IOCB_DIRECT as c_int);
            let file = (*iocb).ki_filp;
            let inode = (*file).f_inode;
            let mapping = (*inode).i_mapping;
            let mut pos = (*iocb).ki_pos;
            // `iov_iter_count`, without a call.
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
                        err = EFAULT.to_errno() as isize;
                    }
                    break;
                }
            }
            (*iocb).ki_pos = pos;
            bindings::file_accessed(file);
        }
        if done > 0 {
            done as isize
        } else {
            err
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `file_operations::write_iter`, with the arguments it
    /// documents.
    unsafe extern "C" fn write_iter(
        iocb: *mut bindings::kiocb,
        from: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: As in `read_iter`.
        unsafe {
            (*iocb).ki_flags &= !(bindings::IOCB_DIRECT as c_int);
            bindings::generic_file_write_iter(iocb, from)
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `file_operations::llseek`, with the arguments it documents.
    unsafe extern "C" fn llseek(
        file: *mut bindings::file,
        offset: bindings::loff_t,
        whence: c_int,
    ) -> bindings::loff_t {
        let data = match whence as u32 {
            bindings::SEEK_DATA => true,
            bindings::SEEK_HOLE => false,
            // SAFETY: Same arguments as ours.
            _ => return unsafe { bindings::generic_file_llseek(file, offset, whence) },
        };
        // SAFETY: An open file of ours has a valid inode.
        let inode = unsafe { Inode::from_raw((*file).f_inode) };
        match inode.seek_data_hole(offset, data) {
            // SAFETY: `file` is valid; `vfs_setpos` checks the position against the limit.
            Ok(pos) => unsafe { bindings::vfs_setpos(file, pos, i64::MAX) },
            Err(e) => e.to_errno().into(),
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `file_operations::fallocate`, with the arguments it
    /// documents (the VFS checked the range and holds write access to the superblock).
    unsafe extern "C" fn fallocate(
        file: *mut bindings::file,
        mode: c_int,
        offset: bindings::loff_t,
        len: bindings::loff_t,
    ) -> c_long {
        let keep = bindings::FALLOC_FL_KEEP_SIZE as c_int;
        let punch = bindings::FALLOC_FL_PUNCH_HOLE as c_int;
        if mode & !(keep | punch) != 0 {
            return -(bindings::EOPNOTSUPP as c_long);
        }
        let Some(end) = offset.checked_add(len).filter(|_| offset >= 0 && len > 0) else {
            return EINVAL.to_errno() as c_long;
        };
        // SAFETY: An open file of ours has a valid inode; we hold its lock while changing
        // its page cache and size.
        let res = unsafe {
            let inode = (*file).f_inode;
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
        };
        match res {
            Ok(()) => 0,
            Err(e) => e.to_errno() as c_long,
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

    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::tmpfile`, with the arguments it
    /// documents.
    unsafe extern "C" fn tmpfile(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        file: *mut bindings::file,
        mode: bindings::umode_t,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The VFS passes a locked directory of ours and a file being opened.
            unsafe {
                let inode = Self::new_child_inode(dir, mode, 0)?;
                Self::init_security(dir, bindings::file_path_dentry(file), &inode)?;
                // Consumes our inode reference; the inode has no name and no links.
                bindings::d_tmpfile(file, inode.into_raw().as_ptr());
                to_result(bindings::finish_open(
                    file,
                    bindings::file_path_dentry(file),
                    None,
                ))?;
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS as `inode_operations::symlink`, with the arguments it documents.
    unsafe extern "C" fn symlink(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        target: *const c_char,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The VFS passes a NUL-terminated target of at most `PATH_MAX` bytes.
            let len = unsafe { CStr::from_char_ptr(target) }
                .to_bytes_with_nul()
                .len();
            let mode = (S_IFLNK | 0o777) as bindings::umode_t;
            // SAFETY: The VFS passes a locked directory of our type and a negative child;
            // the inode is new.
            let inode = unsafe {
                let inode = Self::new_child_inode(dir, mode, 0)?;
                Self::init_security(dir, dentry, &inode)?;
                inode
            };
            // SAFETY: The inode is a new symlink; `page_symlink` stores the target in its
            // page cache, like ramfs.
            to_result(unsafe { bindings::page_symlink(inode.as_ptr(), target, len as c_int) })?;
            // SAFETY: `dentry` is a negative child of the locked `dir`.
            unsafe { Self::instantiate(dir, dentry, inode) };
            Ok(0)
        })
    }
}
