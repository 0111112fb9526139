// SPDX-License-Identifier: GPL-2.0

//! Inode operations: names, links and attributes (`struct inode_operations`).
//!
//! A file system implements [`InodeOperations`] once per kind of inode that needs its own
//! table (directories, regular files, ...) and names the types in its
//! [`super::sb::FileSystem`]; [`IopsVtable`] turns an implementation into the C table.
//!
//! Each callback gets one argument object per call ([`NewEntry`], [`Unlink`], [`Rename`],
//! ...). Only the VFS creates them, so holding one proves what the C contract of that
//! operation promises: which inodes are locked, whether the dentry is negative or positive.
//! Their methods call libfs's `simple_*` implementation of the operation, and are therefore
//! sound to call from safe code.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h).

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    fs::{
        dentry::Dentry,
        inode::Inode,
        sb::{slot, FileSystem},
    },
    prelude::*,
};
use core::marker::PhantomData;

/// Ties an argument object to the call it came from (`'a`) and to the file system `T` whose
/// inode the call is on.
type Marker<'a, T> = PhantomData<(&'a Inode, fn() -> T)>;

/// A `lookup` of a name in a directory: `dir` is locked (at least shared), `dentry` is a new
/// negative dentry in it.
///
/// # Invariants
///
/// The pointers are the valid arguments, on inodes of a `T` superblock, of one `lookup` call, for
/// `'a`.
pub struct Lookup<'a, T: FileSystem> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    pub(crate) flags: c_uint,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Lookup<'_, T> {
    /// Looks the name up in the dcache only (`simple_lookup`): names that are not there do not
    /// exist. Fails with `ENAMETOOLONG` for names longer than the file system allows.
    pub fn simple_lookup(self) -> Result {
        // SAFETY: By the type invariant these are the arguments of a `lookup` call.
        let d = unsafe { bindings::simple_lookup(self.dir, self.dentry, self.flags) };
        // `simple_lookup` returns NULL (use `dentry`) or an error.
        crate::error::from_err_ptr(d).map(|_| ())
    }
}

/// A new name for a new inode: `dir` is a directory whose `i_rwsem` is held exclusively,
/// `dentry` a negative dentry in it (`create`, `mknod`, `mkdir`, `symlink`).
///
/// # Invariants
///
/// The pointers are the valid arguments, on inodes of a `T` superblock, of one such call, for `'a`.
pub struct NewEntry<'a, T: FileSystem> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    _p: Marker<'a, T>,
}

impl<'a, T: FileSystem> NewEntry<'a, T> {
    /// Returns the directory.
    pub fn dir(&self) -> &'a Inode {
        // SAFETY: By the type invariant `dir` is valid for `'a`.
        unsafe { Inode::from_raw(self.dir) }
    }

    /// Returns the (negative) dentry.
    pub fn dentry(&self) -> &'a Dentry {
        // SAFETY: By the type invariant `dentry` is valid for `'a`.
        unsafe { Dentry::from_raw(self.dentry) }
    }
}

/// A new hard link (`link`): `old` is a positive dentry whose inode is locked, `dir` a locked
/// directory and `dentry` a negative dentry in it.
///
/// # Invariants
///
/// The pointers are the valid arguments, on inodes of a `T` superblock, of one `link` call, for
/// `'a`.
pub struct Link<'a, T: FileSystem> {
    pub(crate) old: *mut bindings::dentry,
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Link<'_, T> {
    /// Returns the inode being linked.
    pub fn inode(&self) -> &Inode {
        // SAFETY: By the type invariant `old` is positive and valid for the borrow.
        unsafe { Inode::from_raw(bindings::d_inode(self.old)) }
    }

    /// Adds the name as libfs does (`simple_link`), pinning the new dentry.
    pub fn simple_link(self) -> Result {
        // SAFETY: By the type invariant these are the arguments of a `link` call.
        to_result(unsafe { bindings::simple_link(self.old, self.dir, self.dentry) })
    }
}

/// The removal of a name of a non-directory (`unlink`): `dir` is a locked directory,
/// `dentry` a positive dentry in it whose inode is locked too.
///
/// # Invariants
///
/// The pointers are the valid arguments, on inodes of a `T` superblock, of one `unlink` call,
/// for `'a`.
pub struct Unlink<'a, T: FileSystem> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Unlink<'_, T> {
    /// Returns the inode losing a name.
    pub fn inode(&self) -> &Inode {
        // SAFETY: By the type invariant `dentry` is positive and valid for the borrow.
        unsafe { Inode::from_raw(bindings::d_inode(self.dentry)) }
    }

    /// Removes the name as libfs does (`simple_unlink`): the entry must have been made by
    /// `d_make_persistent` (as every entry that safe code can make is), else `EIO`.
    pub fn simple_unlink(self) -> Result {
        // SAFETY: By the type invariant these are the arguments of an `unlink` call; the
        // check is what `simple_unlink`'s `d_make_discardable` relies on.
        unsafe {
            if !bindings::d_is_persistent(self.dentry) {
                return Err(EIO);
            }
            bindings::simple_unlink(self.dir, self.dentry);
        }
        Ok(())
    }
}

/// The removal of a directory (`rmdir`): `dir` is a locked directory, `dentry` a positive
/// dentry of a directory in it whose inode is locked too.
///
/// # Invariants
///
/// The pointers are the valid arguments, on inodes of a `T` superblock, of one `rmdir` call,
/// for `'a`.
pub struct Rmdir<'a, T: FileSystem> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Rmdir<'_, T> {
    /// Removes an empty directory as libfs does (`simple_rmdir`): `ENOTEMPTY` otherwise; the
    /// entry must have been made by `d_make_persistent`, else `EIO`.
    pub fn simple_rmdir(self) -> Result {
        // SAFETY: By the type invariant these are the arguments of an `rmdir` call; the
        // check is what `simple_rmdir`'s `d_make_discardable` relies on.
        unsafe {
            if !bindings::d_is_persistent(self.dentry) {
                return Err(EIO);
            }
            to_result(bindings::simple_rmdir(self.dir, self.dentry))
        }
    }
}

/// A rename (`rename`): both directories (and the target, if positive) are locked.
///
/// # Invariants
///
/// The pointers and flags are the valid arguments, on inodes of a `T` superblock, of one `rename`
/// call, for `'a`.
pub struct Rename<'a, T: FileSystem> {
    pub(crate) idmap: *mut bindings::mnt_idmap,
    pub(crate) old_dir: *mut bindings::inode,
    pub(crate) old_dentry: *mut bindings::dentry,
    pub(crate) new_dir: *mut bindings::inode,
    pub(crate) new_dentry: *mut bindings::dentry,
    pub(crate) flags: c_uint,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Rename<'_, T> {
    /// Returns the inode an overwriting rename takes the name from (the target is positive
    /// and `RENAME_EXCHANGE` not given), if any.
    pub fn overwritten(&self) -> Option<&Inode> {
        if self.flags & bindings::RENAME_EXCHANGE != 0 {
            return None;
        }
        // SAFETY: By the type invariant `new_dentry` is valid for the borrow; a positive one
        // has a valid inode, which is locked.
        unsafe {
            let inode = bindings::d_inode(self.new_dentry);
            (!inode.is_null()).then(|| Inode::from_raw(inode))
        }
    }

    /// Renames as libfs does (`simple_rename`, with `RENAME_NOREPLACE` and
    /// `RENAME_EXCHANGE`); an overwritten target must have been made by `d_make_persistent`,
    /// else `EIO`.
    pub fn simple_rename(self) -> Result {
        // SAFETY: By the type invariant `new_dentry` is valid. An overwritten target loses
        // its name through `simple_unlink`, which relies on `d_make_persistent`.
        unsafe {
            if bindings::d_really_is_positive(self.new_dentry)
                && !bindings::d_is_persistent(self.new_dentry)
            {
                return Err(EIO);
            }
        }
        // SAFETY: By the type invariant these are the arguments of a `rename` call.
        to_result(unsafe {
            bindings::simple_rename(
                self.idmap,
                self.old_dir,
                self.old_dentry,
                self.new_dir,
                self.new_dentry,
                self.flags,
            )
        })
    }
}

/// An unnamed file being created and opened (`O_TMPFILE`): `dir` is the directory it is
/// created in, `file` the file being opened.
///
/// # Invariants
///
/// The pointers and mode are the valid arguments, on inodes of a `T` superblock, of one `tmpfile`
/// call, for `'a`.
pub struct Tmpfile<'a, T: FileSystem> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) file: *mut bindings::file,
    pub(crate) mode: bindings::umode_t,
    _p: Marker<'a, T>,
}

/// A change of attributes (`setattr`): the inode of the positive `dentry` is locked.
///
/// # Invariants
///
/// The pointers are the valid arguments, on inodes of a `T` superblock, of one `setattr` call, for
/// `'a`.
pub struct Setattr<'a, T: FileSystem> {
    pub(crate) idmap: *mut bindings::mnt_idmap,
    pub(crate) dentry: *mut bindings::dentry,
    pub(crate) attr: *mut bindings::iattr,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Setattr<'_, T> {
    /// Checks and applies the change as libfs does (`simple_setattr`): sizes through
    /// `truncate_setsize`, the rest through `setattr_copy`.
    pub fn simple_setattr(self) -> Result {
        // SAFETY: By the type invariant these are the arguments of a `setattr` call.
        to_result(unsafe { bindings::simple_setattr(self.idmap, self.dentry, self.attr) })
    }
}

/// A `stat` (`getattr`) of the inode of `path`.
///
/// # Invariants
///
/// The pointers and flags are the valid arguments, on inodes of a `T` superblock, of one `getattr`
/// call, for `'a`.
pub struct Getattr<'a, T: FileSystem> {
    pub(crate) idmap: *mut bindings::mnt_idmap,
    pub(crate) path: *const bindings::path,
    pub(crate) stat: *mut bindings::kstat,
    pub(crate) mask: u32,
    pub(crate) flags: c_uint,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Getattr<'_, T> {
    /// Fills the attributes in from the inode as libfs does (`simple_getattr`).
    pub fn simple_getattr(self) -> Result {
        // SAFETY: By the type invariant these are the arguments of a `getattr` call.
        to_result(unsafe {
            bindings::simple_getattr(self.idmap, self.path, self.stat, self.mask, self.flags)
        })
    }
}

/// The inode operations of one kind of inode of a file system (`struct inode_operations`).
///
/// A slot without an implementation is left empty, with the VFS's default behaviour (often
/// `EPERM` or `EOPNOTSUPP`).
///
/// # Examples
///
/// ```
/// use core::marker::PhantomData;
/// use kernel::{
///     fs::{iops::{Getattr, InodeOperations, Setattr}, sb::FileSystem},
///     prelude::*,
/// };
///
/// /// Regular files of file system `T` whose attributes libfs keeps.
/// struct Files<T>(PhantomData<T>);
///
/// #[vtable]
/// impl<T: FileSystem> InodeOperations for Files<T> {
///     type FileSystem = T;
///
///     fn setattr(op: Setattr<'_, T>) -> Result {
///         op.simple_setattr()
///     }
///
///     fn getattr(op: Getattr<'_, T>) -> Result {
///         op.simple_getattr()
///     }
/// }
/// ```
#[vtable]
pub trait InodeOperations: Sized + 'static {
    /// The file system whose inodes these operations serve.
    type FileSystem: FileSystem;

    /// `lookup`: finds a name that is not in the dcache.
    fn lookup(_op: Lookup<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `create`: creates a regular file with permission bits `mode`.
    fn create(_op: NewEntry<'_, Self::FileSystem>, _mode: u16, _excl: bool) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mkdir`: creates a directory with permission bits `mode`.
    fn mkdir(_op: NewEntry<'_, Self::FileSystem>, _mode: u16) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mknod`: creates an inode of type and mode `mode` (device number `dev`).
    fn mknod(_op: NewEntry<'_, Self::FileSystem>, _mode: u16, _dev: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `symlink`: creates a symbolic link to `target`.
    fn symlink(_op: NewEntry<'_, Self::FileSystem>, _target: &CStr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `link`: adds a hard link.
    fn link(_op: Link<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `unlink`: removes a name of a non-directory.
    fn unlink(_op: Unlink<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `rmdir`: removes a directory.
    fn rmdir(_op: Rmdir<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `rename`: renames, exchanges or refuses to replace, per the flags.
    fn rename(_op: Rename<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `tmpfile`: creates an unnamed regular file and opens it.
    fn tmpfile(_op: Tmpfile<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `setattr`: changes attributes (`chmod`, `chown`, `truncate`, `utimes`, ...).
    fn setattr(_op: Setattr<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `getattr`: reports attributes (`stat`).
    fn getattr(_op: Getattr<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The C table of inode operations `T`.
///
/// The table may only be installed on inodes of `T::FileSystem` superblocks: its callbacks
/// hand out argument objects that say so. [`super::sb`] and [`super::memfs`] install the
/// tables a [`FileSystem`] names on its inodes.
pub struct IopsVtable<T>(PhantomData<T>);

impl<T: InodeOperations> IopsVtable<T> {
    /// The table, with the slots `T` implements.
    pub const VTABLE: bindings::inode_operations = bindings::inode_operations {
        lookup: slot(T::HAS_LOOKUP, Self::lookup),
        create: slot(T::HAS_CREATE, Self::create),
        mkdir: slot(T::HAS_MKDIR, Self::mkdir),
        mknod: slot(T::HAS_MKNOD, Self::mknod),
        symlink: slot(T::HAS_SYMLINK, Self::symlink),
        link: slot(T::HAS_LINK, Self::link),
        unlink: slot(T::HAS_UNLINK, Self::unlink),
        rmdir: slot(T::HAS_RMDIR, Self::rmdir),
        rename: slot(T::HAS_RENAME, Self::rename),
        tmpfile: slot(T::HAS_TMPFILE, Self::tmpfile),
        setattr: slot(T::HAS_SETATTR, Self::setattr),
        getattr: slot(T::HAS_GETATTR, Self::getattr),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::lookup`, with the arguments it documents.
    unsafe extern "C" fn lookup(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        flags: c_uint,
    ) -> *mut bindings::dentry {
        // INVARIANT: The arguments of this `lookup` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Lookup {
            dir,
            dentry,
            flags,
            _p: PhantomData,
        };
        // NULL: `dentry` is the answer.
        match T::lookup(op) {
            Ok(()) => core::ptr::null_mut(),
            Err(e) => e.to_ptr(),
        }
    }

    /// Returns `r`, unless an operation that reported success did not make `dentry` positive:
    /// the VFS would then use an inode that does not exist.
    ///
    /// # Safety
    ///
    /// `dentry` must be valid.
    unsafe fn made(dentry: *mut bindings::dentry, r: Result) -> Result {
        r?;
        // SAFETY: Per the safety requirements.
        if unsafe { bindings::d_really_is_positive(dentry) } {
            Ok(())
        } else {
            pr_warn!("inode operation succeeded without making the new name\n");
            Err(EIO)
        }
    }

    /// Builds the argument of a `create`-like call.
    ///
    /// # Safety
    ///
    /// The arguments must be those of a `create`, `mknod`, `mkdir` or `symlink` call.
    unsafe fn new_entry<'a>(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> NewEntry<'a, T::FileSystem> {
        // INVARIANT: Per the safety requirements, on inodes of `T::FileSystem` (where the
        // table is installed).
        NewEntry {
            dir,
            dentry,
            _p: PhantomData,
        }
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::create`, with the arguments it documents.
    unsafe extern "C" fn create(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        excl: bool,
    ) -> c_int {
        // SAFETY: Per the safety requirements.
        let op = unsafe { Self::new_entry(dir, dentry) };
        // SAFETY: `dentry` is valid for the call.
        from_result(|| unsafe { Self::made(dentry, T::create(op, mode, excl)) }.map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::mkdir`, with the arguments it documents.
    unsafe extern "C" fn mkdir(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the safety requirements.
        let op = unsafe { Self::new_entry(dir, dentry) };
        // NULL: success, with `dentry` used as is.
        // SAFETY: `dentry` is valid for the call.
        match unsafe { Self::made(dentry, T::mkdir(op, mode)) } {
            Ok(()) => core::ptr::null_mut(),
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::mknod`, with the arguments it documents.
    unsafe extern "C" fn mknod(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        dev: bindings::dev_t,
    ) -> c_int {
        // SAFETY: Per the safety requirements.
        let op = unsafe { Self::new_entry(dir, dentry) };
        // SAFETY: `dentry` is valid for the call.
        from_result(|| unsafe { Self::made(dentry, T::mknod(op, mode, dev)) }.map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::symlink`, with the arguments it documents.
    unsafe extern "C" fn symlink(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        target: *const c_char,
    ) -> c_int {
        // SAFETY: Per the safety requirements; the target is a NUL-terminated string that
        // lives for the call.
        let (op, target) = unsafe { (Self::new_entry(dir, dentry), CStr::from_char_ptr(target)) };
        // SAFETY: `dentry` is valid for the call.
        from_result(|| unsafe { Self::made(dentry, T::symlink(op, target)) }.map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::link`, with the arguments it documents.
    unsafe extern "C" fn link(
        old: *mut bindings::dentry,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> c_int {
        // INVARIANT: The arguments of this `link` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Link {
            old,
            dir,
            dentry,
            _p: PhantomData,
        };
        // SAFETY: `dentry` is valid for the call.
        from_result(|| unsafe { Self::made(dentry, T::link(op)) }.map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::unlink`, with the arguments it documents.
    unsafe extern "C" fn unlink(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
        // INVARIANT: The arguments of this `unlink` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Unlink {
            dir,
            dentry,
            _p: PhantomData,
        };
        from_result(|| T::unlink(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::rmdir`, with the arguments it documents.
    unsafe extern "C" fn rmdir(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
        // INVARIANT: The arguments of this `rmdir` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Rmdir {
            dir,
            dentry,
            _p: PhantomData,
        };
        from_result(|| T::rmdir(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::rename`, with the arguments it documents.
    unsafe extern "C" fn rename(
        idmap: *mut bindings::mnt_idmap,
        old_dir: *mut bindings::inode,
        old_dentry: *mut bindings::dentry,
        new_dir: *mut bindings::inode,
        new_dentry: *mut bindings::dentry,
        flags: c_uint,
    ) -> c_int {
        // INVARIANT: The arguments of this `rename` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Rename {
            idmap,
            old_dir,
            old_dentry,
            new_dir,
            new_dentry,
            flags,
            _p: PhantomData,
        };
        from_result(|| T::rename(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::tmpfile`, with the arguments it documents.
    unsafe extern "C" fn tmpfile(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        file: *mut bindings::file,
        mode: bindings::umode_t,
    ) -> c_int {
        // INVARIANT: The arguments of this `tmpfile` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Tmpfile {
            dir,
            file,
            mode,
            _p: PhantomData,
        };
        from_result(|| {
            T::tmpfile(op)?;
            // The VFS uses the file as opened: it must be.
            // SAFETY: `file` is valid for the call.
            if unsafe { bindings::file_is_opened(file) } {
                Ok(0)
            } else {
                pr_warn!("tmpfile succeeded without opening the file\n");
                Err(EIO)
            }
        })
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::setattr`, with the arguments it documents.
    unsafe extern "C" fn setattr(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> c_int {
        // INVARIANT: The arguments of this `setattr` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Setattr {
            idmap,
            dentry,
            attr,
            _p: PhantomData,
        };
        from_result(|| T::setattr(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::getattr`, with the arguments it documents.
    unsafe extern "C" fn getattr(
        idmap: *mut bindings::mnt_idmap,
        path: *const bindings::path,
        stat: *mut bindings::kstat,
        mask: u32,
        flags: c_uint,
    ) -> c_int {
        // INVARIANT: The arguments of this `getattr` call, on inodes of `T::FileSystem` (where
        // the table is installed).
        let op = Getattr {
            idmap,
            path,
            stat,
            mask,
            flags,
            _p: PhantomData,
        };
        from_result(|| T::getattr(op).map(|()| 0))
    }
}
