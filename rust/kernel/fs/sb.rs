// SPDX-License-Identifier: GPL-2.0

//! File system types and superblocks for in-memory file systems.
//!
//! A [`FileSystem`] is registered with [`Registration`]. Its superblocks are built the way
//! `ramfs` builds them, on top of libfs: dentries are pinned in the dcache (which is the whole
//! namespace), regular files and symbolic links keep their data in the page cache (`ram_aops`),
//! and the directory operations are ramfs's: `create`, `mkdir`, `mknod`, `symlink` here, and
//! libfs's `simple_lookup`, `simple_link`, `simple_unlink`, `simple_rmdir`, `simple_rename`.
//!
//! A mount names its instance through [`FileSystem::instance`] (for example from the mount
//! source); all mounts of one instance share one superblock (`get_tree_keyed`).
//!
//! Page-cache folios of these files are allocated with `GFP_HIGHUSER` (never movable), the
//! mappings are unevictable, and the address-space operations refuse folio migration, so file
//! data stays at its physical address, as kexec handover requires.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h).

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    fs::{
        dentry::Dentry,
        inode::{new_decode_dev, types, Attrs, Inode, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG},
    },
    prelude::*,
    sync::aref::ARef,
    types::{ForeignOwnable, Opaque},
};
use core::marker::PhantomData;

/// An in-memory file system type.
#[vtable]
pub trait FileSystem: Sized + Send + Sync + 'static {
    /// Per-instance data (`s_fs_info`), returned by [`FileSystem::instance`].
    type Data: ForeignOwnable + Send + Sync;

    /// The file system type name, as given to `mount -t`.
    const NAME: &'static CStr;

    /// The magic number reported by `statfs`.
    const MAGIC: u32;

    /// Returns the instance a mount of `source` (the mount's device argument, if any) refers
    /// to. Mounts whose data has the same address share a superblock: return the same object
    /// (e.g. a clone of the same `Arc`) for the same instance.
    fn instance(source: Option<&CStr>) -> Result<Self::Data>;

    /// Sets up a new superblock for instance `data`: must create the root with
    /// [`NewSuperBlock::set_root`].
    fn fill_super(
        sb: &NewSuperBlock<Self>,
        data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
    ) -> Result;

    /// Called with the superblock's data when it is torn down (last unmount, or failed
    /// setup), before the dentries and inodes are released.
    fn kill_super(data: Self::Data) {
        drop(data);
    }

    /// Returns the inode number for an inode created through a directory operation.
    ///
    /// The default is `get_next_ino()`; file systems that create inodes with chosen numbers
    /// (see [`NewSuperBlock::new_inode`]) must hand out numbers that do not collide.
    fn new_ino(_data: <Self::Data as ForeignOwnable>::Borrowed<'_>) -> u64 {
        // SAFETY: No preconditions.
        unsafe { bindings::get_next_ino() }.into()
    }

    /// Called after every successful mount with a [`SuperPin`] (or the error that prevented
    /// creating one) that keeps the superblock alive, contents included, after its last mount
    /// is gone. Dropping the pin does not keep it.
    fn mounted(_data: <Self::Data as ForeignOwnable>::Borrowed<'_>, _pin: Result<SuperPin>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when the file system is frozen (`fsfreeze -f`, or [`SuperPin::freeze`]), once
    /// writers are stopped. An error fails the freeze and is reported to its caller.
    fn freeze(_data: <Self::Data as ForeignOwnable>::Borrowed<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when the file system is thawed.
    fn unfreeze(_data: <Self::Data as ForeignOwnable>::Borrowed<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// An internal mount that keeps a superblock active (see [`FileSystem::mounted`]).
///
/// # Invariants
///
/// `mnt` is a mount created by `vfs_create_mount`, owned by this object, holding an active
/// reference to its superblock.
pub struct SuperPin {
    mnt: core::ptr::NonNull<bindings::vfsmount>,
}

// SAFETY: Mount references may be dropped from any thread.
unsafe impl Send for SuperPin {}
// SAFETY: `&self` methods only call thread-safe VFS functions.
unsafe impl Sync for SuperPin {}

impl SuperPin {
    fn sb(&self) -> *mut bindings::super_block {
        // SAFETY: By the type invariant the mount is valid.
        unsafe { (*self.mnt.as_ptr()).mnt_sb }
    }

    /// Freezes the pinned file system on behalf of the kernel: waits for writers to finish
    /// and blocks new ones, then calls [`FileSystem::freeze`]. `EBUSY` if already frozen.
    pub fn freeze(&self) -> Result {
        // SAFETY: By the type invariant we hold an active reference to the superblock, as
        // `freeze_super` requires.
        to_result(unsafe {
            bindings::freeze_super(
                self.sb(),
                bindings::freeze_holder_FREEZE_HOLDER_KERNEL,
                core::ptr::null(),
            )
        })
    }

    /// Undoes [`SuperPin::freeze`].
    pub fn thaw(&self) -> Result {
        // SAFETY: As in `freeze`.
        to_result(unsafe {
            bindings::thaw_super(
                self.sb(),
                bindings::freeze_holder_FREEZE_HOLDER_KERNEL,
                core::ptr::null(),
            )
        })
    }
}

impl Drop for SuperPin {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own this mount reference.
        unsafe { bindings::mntput(self.mnt.as_ptr()) };
    }
}

/// A superblock of file system type `T` being set up in [`FileSystem::fill_super`].
///
/// # Invariants
///
/// Points to a valid `struct super_block` of type `T` that is being filled; `s_fs_info` is
/// not set yet.
#[repr(transparent)]
pub struct NewSuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> NewSuperBlock<T> {
    /// Creates a new inode with attributes `attrs` and inode number `ino` (a fresh one if
    /// `None`). Regular files and symbolic links get `attrs.size` as size and start without
    /// data (see [`Inode::add_folio`]); device nodes get `attrs.rdev`. Timestamps are taken
    /// from `attrs` if `keep_times`, otherwise set to the current time.
    pub fn new_inode(
        &self,
        attrs: &Attrs,
        ino: Option<u64>,
        keep_times: bool,
    ) -> Result<ARef<Inode>> {
        if !types::is_valid_mode(attrs.mode) || attrs.size < 0 {
            return Err(EINVAL);
        }
        let t = attrs.mode & S_IFMT;
        if t != S_IFREG && t != S_IFLNK && attrs.size != 0 {
            return Err(EINVAL);
        }
        if [attrs.atime, attrs.mtime, attrs.ctime]
            .iter()
            .any(|t| t.nsec >= 1_000_000_000)
        {
            return Err(EINVAL);
        }
        // SAFETY: By the type invariant the superblock is valid.
        let inode = unsafe { alloc_inode(self.0.get()) }.ok_or(ENOMEM)?;
        let p = inode.as_ptr();
        // SAFETY: The inode is new and not yet visible to anyone else.
        unsafe {
            (*p).i_ino = match ino {
                Some(i) => i,
                None => bindings::get_next_ino().into(),
            };
            (*p).i_mode = attrs.mode as bindings::umode_t;
            bindings::i_uid_write(p, attrs.uid);
            bindings::i_gid_write(p, attrs.gid);
            Tables::<T>::init_ops(p, new_decode_dev(attrs.rdev));
            if t == S_IFREG || t == S_IFLNK {
                bindings::i_size_write(p, attrs.size);
            }
            if !keep_times {
                return Ok(inode);
            }
            (*p).i_atime_sec = attrs.atime.sec;
            (*p).i_atime_nsec = attrs.atime.nsec;
            (*p).i_mtime_sec = attrs.mtime.sec;
            (*p).i_mtime_nsec = attrs.mtime.nsec;
            (*p).i_ctime_sec = attrs.ctime.sec;
            (*p).i_ctime_nsec = attrs.ctime.nsec;
        }
        Ok(inode)
    }

    /// Makes `inode` (a directory) the root of the superblock and returns the root entry.
    pub fn set_root(&self, inode: ARef<Inode>) -> Result<&Dentry> {
        if inode.mode() & S_IFMT != S_IFDIR {
            return Err(EINVAL);
        }
        let sb = self.0.get();
        // SAFETY: The superblock is being set up by us; `d_make_root` consumes the inode
        // reference (also on failure).
        unsafe {
            if !(*sb).s_root.is_null() {
                return Err(EEXIST);
            }
            let root = bindings::d_make_root(ARef::into_raw(inode).as_ptr().cast());
            if root.is_null() {
                return Err(ENOMEM);
            }
            (*sb).s_root = root;
            Ok(Dentry::from_raw(root))
        }
    }
}

/// `ram_aops` with large folios for writes and a `migrate_folio` that refuses: folios stay at
/// their physical address for their whole life, so a preserved address can never go stale.
struct PinnedAops(bindings::address_space_operations);

// SAFETY: The table is immutable once published and only holds function pointers.
unsafe impl Send for PinnedAops {}
// SAFETY: As above.
unsafe impl Sync for PinnedAops {}

static PINNED_AOPS: crate::sync::SetOnce<PinnedAops> = crate::sync::SetOnce::new();

/// # Safety
///
/// Called by the migration code as `address_space_operations::migrate_folio`.
unsafe extern "C" fn refuse_migration(
    _mapping: *mut bindings::address_space,
    _dst: *mut bindings::folio,
    _src: *mut bindings::folio,
    _mode: bindings::migrate_mode,
) -> c_int {
    EBUSY.to_errno()
}

/// `simple_write_begin` with large folios: asks the page cache for a folio as large as the
/// write (up to the mapping's maximum), so 2 MiB-aligned writes of 2 MiB get 2 MiB folios.
/// # Safety
///
/// Called by the page cache as `address_space_operations::write_begin`, with the
/// arguments that callback receives.
unsafe extern "C" fn large_write_begin(
    _iocb: *const bindings::kiocb,
    mapping: *mut bindings::address_space,
    pos: bindings::loff_t,
    len: c_uint,
    foliop: *mut *mut bindings::folio,
    _fsdata: *mut *mut c_void,
) -> c_int {
    // SAFETY: The VFS passes a valid mapping of ours, a position and length within limits,
    // and a valid out pointer. The returned folio is locked and referenced; on error it is
    // an `ERR_PTR`.
    unsafe {
        let flags = bindings::FGP_WRITEBEGIN | bindings::fgf_set_order(len as usize);
        let folio = bindings::__filemap_get_folio(
            mapping,
            (pos >> crate::page::PAGE_SHIFT) as usize,
            flags,
            bindings::mapping_gfp_mask(mapping),
        );
        let folio = match crate::error::from_err_ptr(folio) {
            Ok(f) => f,
            Err(e) => return e.to_errno(),
        };
        *foliop = folio;
        let size = bindings::folio_size(folio);
        if !bindings::folio_test_uptodate(folio) && len as usize != size {
            // Zero what the write will not cover, as `simple_write_begin` does.
            let from = (pos as usize) & (size - 1);
            bindings::folio_zero_segments(folio, 0, from, from + len as usize, size);
        }
    }
    0
}

fn pinned_aops() -> *const bindings::address_space_operations {
    if PINNED_AOPS.as_ref().is_none() {
        // SAFETY: `ram_aops` is an initialised, immutable table.
        let mut aops = unsafe { core::ptr::read(&raw const bindings::ram_aops) };
        aops.migrate_folio = Some(refuse_migration);
        aops.write_begin = Some(large_write_begin);
        // A concurrent caller may win; both tables are identical.
        PINNED_AOPS.populate(PinnedAops(aops));
    }
    match PINNED_AOPS.as_ref() {
        Some(a) => &a.0,
        None => &raw const bindings::ram_aops,
    }
}

/// Allocates a new inode of `sb` (`new_inode`), or `None` if out of memory.
///
/// # Safety
///
/// `sb` must be a valid superblock.
unsafe fn alloc_inode(sb: *mut bindings::super_block) -> Option<ARef<Inode>> {
    // SAFETY: Per the safety requirements `sb` is valid.
    let inode = core::ptr::NonNull::new(unsafe { bindings::new_inode(sb) })?;
    // SAFETY: `new_inode` returned an inode with one reference that we now own.
    Some(unsafe { ARef::from_raw(inode.cast()) })
}

struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const CONTEXT_OPS: bindings::fs_context_operations = bindings::fs_context_operations {
        get_tree: Some(Self::get_tree),
        ..pin_init::zeroed()
    };

    const SUPER_OPS: bindings::super_operations = bindings::super_operations {
        statfs: Some(bindings::simple_statfs),
        drop_inode: Some(bindings::inode_just_drop),
        freeze_fs: if T::HAS_FREEZE {
            Some(Self::freeze_fs)
        } else {
            None
        },
        unfreeze_fs: if T::HAS_UNFREEZE {
            Some(Self::unfreeze_fs)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    const DIR_IOPS: bindings::inode_operations = bindings::inode_operations {
        lookup: Some(bindings::simple_lookup),
        create: Some(Self::create),
        mkdir: Some(Self::mkdir),
        mknod: Some(Self::mknod),
        symlink: Some(Self::symlink),
        link: Some(bindings::simple_link),
        unlink: Some(bindings::simple_unlink),
        rmdir: Some(bindings::simple_rmdir),
        rename: Some(bindings::simple_rename),
        tmpfile: Some(Self::tmpfile),
        setattr: Some(bindings::simple_setattr),
        getattr: Some(bindings::simple_getattr),
        ..pin_init::zeroed()
    };

    const REG_IOPS: bindings::inode_operations = bindings::inode_operations {
        setattr: Some(bindings::simple_setattr),
        getattr: Some(bindings::simple_getattr),
        ..pin_init::zeroed()
    };

    const REG_FOPS: bindings::file_operations = bindings::file_operations {
        open: Some(Self::open),
        read_iter: Some(Self::read_iter),
        write_iter: Some(Self::write_iter),
        mmap_prepare: Some(bindings::generic_file_mmap_prepare),
        fsync: Some(bindings::noop_fsync),
        splice_read: Some(bindings::filemap_splice_read),
        splice_write: Some(bindings::iter_file_splice_write),
        llseek: Some(Self::llseek),
        get_unmapped_area: Some(bindings::thp_get_unmapped_area),
        fallocate: Some(Self::fallocate),
        ..pin_init::zeroed()
    };

    /// Installs operations on a new inode according to its type.
    ///
    /// # Safety
    ///
    /// `p` must be a new, not yet visible inode of a `T` superblock with `i_mode` set.
    unsafe fn init_ops(p: *mut bindings::inode, rdev: bindings::dev_t) {
        // SAFETY: Per the safety requirements we own the inode exclusively.
        unsafe {
            let mapping = (*p).i_mapping;
            (*mapping).a_ops = pinned_aops();
            // Never movable: KHO scratch areas are CMA, and handed-over folios must stay put.
            bindings::mapping_set_gfp_mask(mapping, bindings::GFP_HIGHUSER);
            bindings::mapping_set_unevictable(mapping);
            bindings::simple_inode_init_ts(p);
            match u32::from((*p).i_mode) & S_IFMT {
                S_IFDIR => {
                    (*p).i_op = &Self::DIR_IOPS;
                    (*p).__bindgen_anon_3.i_fop = &raw const bindings::simple_dir_operations;
                    // Directories start with two links ("." and the entry in the parent).
                    bindings::inc_nlink(p);
                }
                S_IFREG => {
                    bindings::mapping_set_large_folios(mapping);
                    (*p).i_op = &Self::REG_IOPS;
                    (*p).__bindgen_anon_3.i_fop = &Self::REG_FOPS;
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
    /// `dir` must be a locked directory inode of a `T` superblock.
    unsafe fn new_child_inode(
        dir: *mut bindings::inode,
        mode: bindings::umode_t,
        dev: bindings::dev_t,
    ) -> Result<ARef<Inode>> {
        // SAFETY: `dir` is valid, so is its superblock. Like ramfs, report `ENOSPC`.
        let inode = unsafe { alloc_inode((*dir).i_sb) }.ok_or(ENOSPC)?;
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

    /// Makes `inode` visible as `dentry` in `dir`.
    ///
    /// # Safety
    ///
    /// `dir` must be the locked parent of the negative `dentry`.
    unsafe fn instantiate(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        inode: ARef<Inode>,
    ) {
        // SAFETY: Per the safety requirements; `d_make_persistent` consumes our inode reference
        // and pins the dentry like ramfs does.
        unsafe {
            bindings::d_make_persistent(dentry, ARef::into_raw(inode).as_ptr().cast());
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
            // SAFETY: The VFS passes a locked directory of our type.
            let inode = unsafe { Self::new_child_inode(dir, mode, dev)? };
            // SAFETY: `dentry` is a negative child of the locked `dir`.
            unsafe { Self::instantiate(dir, dentry, inode) };
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

    /// # Safety
    ///
    /// Only called by the VFS as `file_operations::read_iter`, with the arguments it
    /// documents.
    unsafe extern "C" fn read_iter(
        iocb: *mut bindings::kiocb,
        to: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: The VFS passes a valid kiocb and iterator; `O_DIRECT` reads are served from
        // the page cache (there is no `direct_IO`).
        unsafe {
            (*iocb).ki_flags &= !(bindings::IOCB_DIRECT as c_int);
            bindings::generic_file_read_iter(iocb, to)
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
                // Holes read as zeros; partial folios at the edges are zeroed.
                bindings::truncate_pagecache_range(inode, offset, end - 1);
                Ok(())
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
    /// to `end` unless `keep_size`.
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
            // SAFETY: Per the safety requirements the inode and its mapping are valid; the
            // returned folio is locked and referenced, or an `ERR_PTR`.
            unsafe {
                let mapping = (*inode).i_mapping;
                let folio = crate::error::from_err_ptr(bindings::__filemap_get_folio(
                    mapping,
                    index,
                    bindings::FGP_WRITEBEGIN | bindings::fgf_set_order(want),
                    bindings::mapping_gfp_mask(mapping),
                ))?;
                let size = bindings::folio_size(folio);
                if !bindings::folio_test_uptodate(folio) {
                    bindings::folio_zero_segments(folio, 0, size, size, size);
                    bindings::folio_mark_uptodate(folio);
                }
                bindings::folio_mark_dirty(folio);
                let next = ((bindings::folio_pos(folio) as usize + size) >> shift).max(index + 1);
                bindings::folio_unlock(folio);
                bindings::folio_put(folio);
                index = next;
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
                // Consumes our inode reference; the inode has no name and no links.
                bindings::d_tmpfile(file, ARef::into_raw(inode).as_ptr().cast());
                to_result(bindings::finish_open(
                    file,
                    (*file).__bindgen_anon_1.f_path.dentry,
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
            // SAFETY: The VFS passes a locked directory of our type.
            let inode = unsafe { Self::new_child_inode(dir, mode, 0)? };
            // SAFETY: The inode is a new symlink; `page_symlink` stores the target in its
            // page cache, like ramfs.
            to_result(unsafe { bindings::page_symlink(inode.as_ptr(), target, len as c_int) })?;
            // SAFETY: `dentry` is a negative child of the locked `dir`.
            unsafe { Self::instantiate(dir, dentry, inode) };
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS as `file_system_type::init_fs_context`, with the arguments it
    /// documents.
    unsafe extern "C" fn init_fs_context(fc: *mut bindings::fs_context) -> c_int {
        // SAFETY: The VFS passes a valid context being initialised.
        unsafe { (*fc).ops = &Self::CONTEXT_OPS };
        0
    }

    /// # Safety
    ///
    /// Only called by the VFS as `fs_context_operations::get_tree`, with the arguments it
    /// documents.
    unsafe extern "C" fn get_tree(fc: *mut bindings::fs_context) -> c_int {
        // SAFETY: The VFS passes a valid context; `source` is NULL or a C string.
        let source = unsafe {
            let src = (*fc).source;
            (!src.is_null()).then(|| CStr::from_char_ptr(src))
        };
        let data = match T::instance(source) {
            Ok(d) => d,
            Err(e) => return e.to_errno(),
        };
        let key = data.into_foreign();
        // SAFETY: `fc` is valid. `fs_private` (unused otherwise) records whether a new
        // superblock took ownership of `key` in `fill_super`. An existing superblock whose
        // `s_fs_info` is `key` is reused, as it owns the same instance.
        let ret = unsafe {
            (*fc).fs_private = core::ptr::null_mut();
            let ret = bindings::get_tree_keyed(fc, Some(Self::fill_super), key);
            if (*fc).fs_private.is_null() {
                // No new superblock owns `key`: give back our reference.
                (*fc).s_fs_info = core::ptr::null_mut();
                drop(T::Data::from_foreign(key));
            }
            (*fc).fs_private = core::ptr::null_mut();
            ret
        };
        if ret != 0 || !T::HAS_MOUNTED {
            return ret;
        }
        // SAFETY: On success `fc->root` is the root of a live superblock of ours whose
        // `fill_super` succeeded; `vfs_create_mount` takes its own references.
        unsafe {
            let pin = crate::error::from_err_ptr(bindings::vfs_create_mount(fc))
                .and_then(|m| core::ptr::NonNull::new(m).ok_or(ENOMEM))
                .map(|mnt| SuperPin { mnt });
            let data = T::Data::borrow((*(*(*fc).root).d_sb).s_fs_info);
            T::mounted(data, pin);
        }
        0
    }

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::freeze_fs`, with the arguments it documents.
    unsafe extern "C" fn freeze_fs(sb: *mut bindings::super_block) -> c_int {
        // SAFETY: Only called on live superblocks whose `fill_super` succeeded.
        let data = unsafe { T::Data::borrow((*sb).s_fs_info) };
        from_result(|| T::freeze(data).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::unfreeze_fs`, with the arguments it documents.
    unsafe extern "C" fn unfreeze_fs(sb: *mut bindings::super_block) -> c_int {
        // SAFETY: Only called on live superblocks whose `fill_super` succeeded.
        let data = unsafe { T::Data::borrow((*sb).s_fs_info) };
        from_result(|| T::unfreeze(data).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS as the `fill_super` callback of `get_tree_keyed`, with the
    /// arguments it documents.
    unsafe extern "C" fn fill_super(
        sb: *mut bindings::super_block,
        fc: *mut bindings::fs_context,
    ) -> c_int {
        // SAFETY: The new superblock owns `s_fs_info` (the key from `get_tree`) from now on,
        // and releases it in `kill_sb`; mark that for `get_tree`.
        unsafe { (*fc).fs_private = sb.cast() };
        from_result(|| {
            // SAFETY: The VFS passes a new superblock that we set up exclusively.
            unsafe {
                (*sb).s_maxbytes = i64::MAX;
                (*sb).s_blocksize = crate::page::PAGE_SIZE as c_ulong;
                (*sb).s_blocksize_bits = crate::page::PAGE_SHIFT as u8;
                (*sb).s_magic = T::MAGIC as c_ulong;
                (*sb).s_op = &Self::SUPER_OPS;
                (*sb).s_d_flags = bindings::dentry_flags_DCACHE_DONTCACHE;
                (*sb).s_time_gran = 1;
            }
            // SAFETY: `sb` is a valid superblock being filled by us; `s_fs_info` came from
            // `into_foreign` in `get_tree` and lives until `kill_sb`.
            let (new, data) = unsafe {
                (
                    &*sb.cast::<NewSuperBlock<T>>(),
                    T::Data::borrow((*sb).s_fs_info),
                )
            };
            T::fill_super(new, data)?;
            // SAFETY: As above.
            if unsafe { (*sb).s_root.is_null() } {
                return Err(EINVAL);
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Only called by the VFS as `file_system_type::kill_sb`, with the arguments it documents.
    unsafe extern "C" fn kill_sb(sb: *mut bindings::super_block) {
        // SAFETY: The VFS passes the superblock being killed; nobody else uses `s_fs_info`
        // any more. It is either null or the key from `into_foreign` in `get_tree`.
        unsafe {
            let info = core::mem::take(&mut (*sb).s_fs_info);
            if !info.is_null() {
                T::kill_super(T::Data::from_foreign(info));
            }
            bindings::kill_anon_super(sb);
        }
    }
}

/// Registration of a file system type.
///
/// # Invariants
///
/// `fs` is registered with `register_filesystem` from successful initialisation until drop.
#[pin_data(PinnedDrop)]
pub struct Registration<T: FileSystem> {
    #[pin]
    fs: Opaque<bindings::file_system_type>,
    _p: PhantomData<T>,
}

// SAFETY: Registration and unregistration may happen on any thread.
unsafe impl<T: FileSystem> Send for Registration<T> {}
// SAFETY: `&self` exposes nothing.
unsafe impl<T: FileSystem> Sync for Registration<T> {}

impl<T: FileSystem> Registration<T> {
    /// Registers file system type `T`, owned by `module`.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _p: PhantomData,
            fs <- Opaque::try_ffi_init(move |slot: *mut bindings::file_system_type| {
                // SAFETY: `slot` is valid for writes; an all-zero `file_system_type` is valid.
                unsafe {
                    slot.write(pin_init::zeroed());
                    (*slot).name = T::NAME.as_char_ptr();
                    (*slot).owner = module.as_ptr();
                    (*slot).init_fs_context = Some(Tables::<T>::init_fs_context);
                    (*slot).kill_sb = Some(Tables::<T>::kill_sb);
                }
                // SAFETY: `slot` is pinned and initialised and stays registered until drop.
                to_result(unsafe { bindings::register_filesystem(slot) })
            }),
        })
    }
}

#[pinned_drop]
impl<T: FileSystem> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the type is registered.
        unsafe { bindings::unregister_filesystem(self.fs.get()) };
    }
}
