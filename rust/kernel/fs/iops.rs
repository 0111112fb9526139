// SPDX-License-Identifier: GPL-2.0

//! Inode operations: names, links and attributes (`struct inode_operations`).
//!
//! A file system implements [`InodeOperations`] once per kind of inode that needs its own
//! table (directories, regular files, ...) and names the types in its
//! [`super::sb::FileSystem`]; [`IopsVtable`] turns an implementation into the C table.
//!
//! Each callback gets one argument object per call ([`NewEntry`], [`Remove`], [`Rename`],
//! ...). Only the VFS creates them, so holding one proves what the C contract of that
//! operation promises: which inodes are locked, whether the dentry is negative or positive.
//! Their methods call libfs's `simple_*` implementation of the operation, and are therefore
//! sound to call from safe code.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h).

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    fs::{dentry::Dentry, inode::Inode, File},
    prelude::*,
};
use core::marker::PhantomData;

/// A `lookup` of a name in a directory: `dir` is locked (at least shared), `dentry` is a new
/// negative dentry in it.
///
/// # Invariants
///
/// The pointers are the valid arguments of one `lookup` call, for `'a`.
pub struct Lookup<'a> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    pub(crate) flags: c_uint,
    _p: PhantomData<&'a Inode>,
}

impl Lookup<'_> {
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
/// The pointers are the valid arguments of one such call, for `'a`.
pub struct NewEntry<'a> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    _p: PhantomData<&'a Inode>,
}

impl<'a> NewEntry<'a> {
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
/// The pointers are the valid arguments of one `link` call, for `'a`.
pub struct Link<'a> {
    pub(crate) old: *mut bindings::dentry,
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    _p: PhantomData<&'a Inode>,
}

impl Link<'_> {
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

/// The removal of a name (`unlink`, `rmdir`): `dir` is a locked directory, `dentry` a positive
/// dentry in it whose inode is locked too.
///
/// # Invariants
///
/// The pointers are the valid arguments of one `unlink` or `rmdir` call, for `'a`.
pub struct Remove<'a> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) dentry: *mut bindings::dentry,
    _p: PhantomData<&'a Inode>,
}

impl Remove<'_> {
    /// Returns the inode losing a name.
    pub fn inode(&self) -> &Inode {
        // SAFETY: By the type invariant `dentry` is positive and valid for the borrow.
        unsafe { Inode::from_raw(bindings::d_inode(self.dentry)) }
    }

    /// Removes the name as libfs does (`simple_unlink`).
    pub fn simple_unlink(self) {
        // SAFETY: By the type invariant these are the arguments of an `unlink` or `rmdir`
        // call; `simple_unlink` cannot fail.
        unsafe { bindings::simple_unlink(self.dir, self.dentry) };
    }

    /// Removes an empty directory as libfs does (`simple_rmdir`): `ENOTEMPTY` otherwise.
    pub fn simple_rmdir(self) -> Result {
        // SAFETY: By the type invariant these are the arguments of an `unlink` or `rmdir`
        // call.
        to_result(unsafe { bindings::simple_rmdir(self.dir, self.dentry) })
    }
}

/// A rename (`rename`): both directories (and the target, if positive) are locked.
///
/// # Invariants
///
/// The pointers and flags are the valid arguments of one `rename` call, for `'a`.
pub struct Rename<'a> {
    pub(crate) idmap: *mut bindings::mnt_idmap,
    pub(crate) old_dir: *mut bindings::inode,
    pub(crate) old_dentry: *mut bindings::dentry,
    pub(crate) new_dir: *mut bindings::inode,
    pub(crate) new_dentry: *mut bindings::dentry,
    pub(crate) flags: c_uint,
    _p: PhantomData<&'a Inode>,
}

impl Rename<'_> {
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
    /// `RENAME_EXCHANGE`).
    pub fn simple_rename(self) -> Result {
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
/// The pointers and mode are the valid arguments of one `tmpfile` call, for `'a`.
pub struct Tmpfile<'a> {
    pub(crate) dir: *mut bindings::inode,
    pub(crate) file: *mut bindings::file,
    pub(crate) mode: bindings::umode_t,
    _p: PhantomData<&'a Inode>,
}

impl<'a> Tmpfile<'a> {
    /// Returns the file being opened.
    pub fn file(&self) -> &'a File {
        // SAFETY: By the type invariant `file` is valid for `'a`.
        unsafe { File::from_raw_file(self.file) }
    }
}

/// A change of attributes (`setattr`): the inode of the positive `dentry` is locked.
///
/// # Invariants
///
/// The pointers are the valid arguments of one `setattr` call, for `'a`.
pub struct Setattr<'a> {
    pub(crate) idmap: *mut bindings::mnt_idmap,
    pub(crate) dentry: *mut bindings::dentry,
    pub(crate) attr: *mut bindings::iattr,
    _p: PhantomData<&'a Inode>,
}

impl Setattr<'_> {
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
/// The pointers and flags are the valid arguments of one `getattr` call, for `'a`.
pub struct Getattr<'a> {
    pub(crate) idmap: *mut bindings::mnt_idmap,
    pub(crate) path: *const bindings::path,
    pub(crate) stat: *mut bindings::kstat,
    pub(crate) mask: u32,
    pub(crate) flags: c_uint,
    _p: PhantomData<&'a Inode>,
}

impl Getattr<'_> {
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
/// use kernel::{fs::iops::{Getattr, InodeOperations, Setattr}, prelude::*};
///
/// /// Regular files whose attributes libfs keeps.
/// struct Files;
///
/// #[vtable]
/// impl InodeOperations for Files {
///     fn setattr(op: Setattr<'_>) -> Result {
///         op.simple_setattr()
///     }
///
///     fn getattr(op: Getattr<'_>) -> Result {
///         op.simple_getattr()
///     }
/// }
/// ```
#[vtable]
pub trait InodeOperations: Sized + 'static {
    /// `lookup`: finds a name that is not in the dcache.
    fn lookup(_op: Lookup<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `create`: creates a regular file with permission bits `mode`.
    fn create(_op: NewEntry<'_>, _mode: u16, _excl: bool) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mkdir`: creates a directory with permission bits `mode`.
    fn mkdir(_op: NewEntry<'_>, _mode: u16) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mknod`: creates an inode of type and mode `mode` (device number `dev`).
    fn mknod(_op: NewEntry<'_>, _mode: u16, _dev: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `symlink`: creates a symbolic link to `target`.
    fn symlink(_op: NewEntry<'_>, _target: &CStr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `link`: adds a hard link.
    fn link(_op: Link<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `unlink`: removes a name of a non-directory.
    fn unlink(_op: Remove<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `rmdir`: removes a directory.
    fn rmdir(_op: Remove<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `rename`: renames, exchanges or refuses to replace, per the flags.
    fn rename(_op: Rename<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `tmpfile`: creates an unnamed regular file and opens it.
    fn tmpfile(_op: Tmpfile<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `setattr`: changes attributes (`chmod`, `chown`, `truncate`, `utimes`, ...).
    fn setattr(_op: Setattr<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `getattr`: reports attributes (`stat`).
    fn getattr(_op: Getattr<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The C table of inode operations `T`.
pub struct IopsVtable<T>(PhantomData<T>);

/// Returns `Some(f)` if `has`, for the slots of a C table.
const fn slot<F: Copy>(has: bool, f: F) -> Option<F> {
    if has {
        Some(f)
    } else {
        None
    }
}

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
        // INVARIANT: The arguments of this `lookup` call.
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

    /// Builds the argument of a `create`-like call.
    ///
    /// # Safety
    ///
    /// The arguments must be those of a `create`, `mknod`, `mkdir` or `symlink` call.
    unsafe fn new_entry<'a>(
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> NewEntry<'a> {
        // INVARIANT: Per the safety requirements.
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
        from_result(|| T::create(op, mode, excl).map(|()| 0))
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
        match T::mkdir(op, mode) {
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
        from_result(|| T::mknod(op, mode, dev).map(|()| 0))
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
        from_result(|| T::symlink(op, target).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::link`, with the arguments it documents.
    unsafe extern "C" fn link(
        old: *mut bindings::dentry,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
    ) -> c_int {
        // INVARIANT: The arguments of this `link` call.
        let op = Link {
            old,
            dir,
            dentry,
            _p: PhantomData,
        };
        from_result(|| T::link(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::unlink`, with the arguments it documents.
    unsafe extern "C" fn unlink(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
        // INVARIANT: The arguments of this `unlink` call.
        let op = Remove {
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
        // INVARIANT: The arguments of this `rmdir` call.
        let op = Remove {
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
        // INVARIANT: The arguments of this `rename` call.
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
        // INVARIANT: The arguments of this `tmpfile` call.
        let op = Tmpfile {
            dir,
            file,
            mode,
            _p: PhantomData,
        };
        from_result(|| T::tmpfile(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `inode_operations::setattr`, with the arguments it documents.
    unsafe extern "C" fn setattr(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> c_int {
        // INVARIANT: The arguments of this `setattr` call.
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
        // INVARIANT: The arguments of this `getattr` call.
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
