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
//! Mount options are tmpfs's (`size=`, `nr_blocks=`, `nr_inodes=`, `mode=`, `uid=`, `gid=`,
//! see [`super::limits`]): the first mount of a superblock sets them, a remount or another
//! mount of a live superblock changes the limits, and `statfs` and `/proc/mounts` show them.
//! Reading a hole does not allocate; the page cache of each inode is charged to the limits.
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
    folio::UniqueFolio,
    fs::{
        dentry::{is_valid_name, Dentry},
        inode::{new_decode_dev, types, Attrs, Inode, InodeRef, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG},
        limits::{FcLog, Limits, MountOptions},
    },
    prelude::*,
    types::{ForeignOwnable, Opaque},
};
use core::{marker::PhantomData, ptr::NonNull};

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

    /// Returns the block and inode limits of instance `data`, set from its mount options.
    fn limits<'a>(data: &'a <Self::Data as ForeignOwnable>::Borrowed<'_>) -> &'a Limits;

    /// Sets up a new superblock for instance `data`: must create the root with
    /// [`NewSuperBlock::set_root`]. The limits are already set from the mount options, and
    /// `mode=`, `uid=` and `gid=` are applied to the root afterwards.
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
    /// writers are stopped, with the root of the tree (valid for the call). An error fails
    /// the freeze and is reported to its caller.
    fn freeze(_data: <Self::Data as ForeignOwnable>::Borrowed<'_>, _root: &Dentry) -> Result {
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

    /// Returns whether the pinned superblock is read-only (`SB_RDONLY`). Freezing a read-only
    /// superblock succeeds without calling [`FileSystem::freeze`]: there are no writers.
    pub fn is_read_only(&self) -> bool {
        // SAFETY: By the type invariant the superblock is valid.
        unsafe { bindings::sb_rdonly(self.sb()) }
    }

    /// Returns the root of the pinned superblock's tree, valid as long as the pin.
    pub fn root(&self) -> &Dentry {
        // SAFETY: By the type invariant the mount is valid and holds a reference to its root
        // dentry (`mnt_root`) until it is released in `drop`.
        unsafe { Dentry::from_raw((*self.mnt.as_ptr()).mnt_root) }
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
/// While it is set up, nobody else can reach the superblock, its inodes or its dentries: the
/// VFS publishes a superblock only after `fill_super` returned (other mounts of it wait on
/// `s_umount`). The type is neither `Send` nor `Sync`, so all setup happens on the thread that
/// runs `fill_super`; that is what makes the non-atomic link-count and page-cache updates of
/// the methods below sound. Every inode, dentry and folio they take is checked to belong to
/// this superblock (`EINVAL` otherwise).
///
/// # Invariants
///
/// Points to a valid `struct super_block` of type `T` that is being filled by the current
/// thread in `fill_super`; its `s_fs_info` holds the instance data.
///
/// # Examples
///
/// ```
/// use kernel::{
///     fs::{inode::{Attrs, S_IFDIR, S_IFREG}, sb::{FileSystem, NewSuperBlock}},
///     prelude::*,
/// };
///
/// /// Creates a root directory with one empty file, `hello`.
/// fn fill<T: FileSystem>(sb: &NewSuperBlock<T>) -> Result {
///     let dir = Attrs { mode: S_IFDIR | 0o755, ..Default::default() };
///     let root = sb.set_root(sb.new_inode(&dir, None, false)?)?;
///     let file = Attrs { mode: S_IFREG | 0o644, ..Default::default() };
///     sb.add_child(root, b"hello", sb.new_inode(&file, None, false)?)?;
///     Ok(())
/// }
/// ```
#[repr(transparent)]
pub struct NewSuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> NewSuperBlock<T> {
    /// Creates a new inode with attributes `attrs` and inode number `ino` (a fresh one if
    /// `None`). Regular files and symbolic links get `attrs.size` as size and start without
    /// data (see [`NewSuperBlock::add_folio`]); device nodes get `attrs.rdev`. Timestamps are
    /// taken from `attrs` if `keep_times`, otherwise set to the current time. The inode counts
    /// against the limits (`ENOMEM` when they are reached).
    pub fn new_inode(
        &self,
        attrs: &Attrs,
        ino: Option<u64>,
        keep_times: bool,
    ) -> Result<InodeRef<'_>> {
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
        let sb = self.0.get();
        // SAFETY: By the type invariant the superblock is valid and outlives `&self`.
        let inode = unsafe { Tables::<T>::charged_inode(sb, ENOMEM) }?;
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

    /// Returns whether `blocks` more blocks and `inodes` more inodes fit the limits of the
    /// mount options.
    pub fn fits(&self, blocks: u64, inodes: u64) -> bool {
        // SAFETY: By the type invariant `s_fs_info` holds the instance data.
        let data = unsafe { T::Data::borrow((*self.0.get()).s_fs_info) };
        T::limits(&data).fits(blocks, inodes)
    }

    /// Grows the block and inode limits that the mount options did not set by `blocks` and
    /// `inodes`, for a superblock set up with data that already exists (see
    /// [`Limits::grow_defaults`]).
    pub fn grow_default_limits(&self, blocks: u64, inodes: u64) {
        // SAFETY: By the type invariant `s_fs_info` holds the instance data.
        let data = unsafe { T::Data::borrow((*self.0.get()).s_fs_info) };
        T::limits(&data).grow_defaults(blocks, inodes);
    }

    /// Returns `Ok` if `inode` belongs to this superblock.
    fn own_inode(&self, inode: &Inode) -> Result {
        // SAFETY: `inode` is valid; `i_sb` never changes.
        if unsafe { (*inode.as_ptr()).i_sb } != self.0.get() {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Returns the inode of `dir` if it is a directory entry of this superblock.
    fn own_dir<'d>(&self, dir: &'d Dentry) -> Result<&'d Inode> {
        // SAFETY: `dir` is valid; `d_sb` never changes.
        if unsafe { (*dir.as_ptr()).d_sb } != self.0.get() {
            return Err(EINVAL);
        }
        dir.inode()
            .filter(|i| i.mode() & S_IFMT == S_IFDIR)
            .ok_or(ENOTDIR)
    }

    /// Returns whether `inode` has a directory entry (an alias).
    fn has_alias(inode: &Inode) -> bool {
        // SAFETY: `inode` is valid; `d_find_any_alias` returns a referenced alias or NULL.
        let alias = unsafe { bindings::d_find_any_alias(inode.as_ptr()) };
        if alias.is_null() {
            return false;
        }
        // SAFETY: We own the reference `d_find_any_alias` took.
        unsafe { bindings::dput(alias) };
        true
    }

    /// Allocates a negative entry `name` in the directory `dir`.
    fn alloc_child(dir: &Dentry, name: &[u8]) -> Result<NonNull<bindings::dentry>> {
        if !is_valid_name(name) {
            return Err(EINVAL);
        }
        let mut cname = KVec::with_capacity(name.len() + 1, GFP_KERNEL)?;
        cname.extend_from_slice(name, GFP_KERNEL)?;
        cname.push(0, GFP_KERNEL)?;
        // SAFETY: `dir` is a valid directory dentry; `cname` is NUL-terminated.
        let child = unsafe { bindings::d_alloc_name(dir.as_ptr(), cname.as_ptr().cast()) };
        NonNull::new(child).ok_or(ENOMEM)
    }

    /// Adds the entry `name` for the new `inode` (of this superblock, without a name yet) to
    /// the directory `dir` of this superblock, and returns the entry. For a directory, the
    /// parent's link count grows by one (its `..`).
    ///
    /// `EINVAL` for an invalid name or an inode or directory of another superblock, `ENOTDIR`
    /// if `dir` is not a directory, `EEXIST` if `inode` already has a name (use
    /// [`NewSuperBlock::add_hard_link`]). Names are not checked for duplicates.
    pub fn add_child<'a>(
        &'a self,
        dir: &Dentry,
        name: &[u8],
        inode: InodeRef<'a>,
    ) -> Result<&'a Dentry> {
        let parent = self.own_dir(dir)?;
        self.own_inode(&inode)?;
        if Self::has_alias(&inode) {
            return Err(EEXIST);
        }
        let is_dir = inode.mode() & S_IFMT == S_IFDIR;
        let child = Self::alloc_child(dir, name)?;
        // SAFETY: `child` is a new negative dentry of ours; `d_make_persistent` consumes our
        // inode reference and pins the dentry with a reference of its own, so it lives until
        // the superblock is killed; then we drop the reference `d_alloc_name` gave us. By the
        // type invariant the superblock is ours alone, so updating the parent's link count
        // without its lock cannot race.
        unsafe {
            bindings::d_make_persistent(child.as_ptr(), inode.into_raw().as_ptr());
            bindings::dput(child.as_ptr());
            if is_dir {
                bindings::inc_nlink(parent.as_ptr());
            }
            Ok(Dentry::from_raw(child.as_ptr()))
        }
    }

    /// Adds another name `name` in directory `dir` for the non-directory `inode`, both of
    /// this superblock, which already has a name (see [`NewSuperBlock::add_child`]). Like
    /// `link(2)`, the extra name counts as an inode against the limits.
    pub fn add_hard_link(&self, dir: &Dentry, name: &[u8], inode: &Inode) -> Result {
        self.own_dir(dir)?;
        self.own_inode(inode)?;
        if inode.mode() & S_IFMT == S_IFDIR {
            return Err(EISDIR);
        }
        if !Self::has_alias(inode) {
            return Err(EINVAL);
        }
        let sb = self.0.get();
        // SAFETY: By the type invariant `sb` is a valid superblock of type `T` being set up.
        unsafe { Tables::<T>::with_limits(sb, |l| l.charge_inode()) }.unwrap_or(Ok(()))?;
        let child = match Self::alloc_child(dir, name) {
            Ok(c) => c,
            Err(e) => {
                // SAFETY: As above.
                unsafe { Tables::<T>::with_limits(sb, |l| l.uncharge_inode()) };
                return Err(e);
            }
        };
        // SAFETY: As in `add_child`, with a new inode reference (`ihold`, the inode is
        // referenced by its first name) for the new alias and one more link, which nobody
        // else can update concurrently (type invariant).
        unsafe {
            bindings::ihold(inode.as_ptr());
            bindings::inc_nlink(inode.as_ptr());
            bindings::d_make_persistent(child.as_ptr(), inode.as_ptr());
            bindings::dput(child.as_ptr());
        }
        Ok(())
    }

    /// Puts `folio` into the page cache of `inode` (a regular file or symbolic link of this
    /// superblock) at page `index`, marked up to date and dirty (it holds data that exists
    /// nowhere else), and charges it to the limits.
    ///
    /// `EINVAL` for an inode of another superblock or of another type, or an index past what
    /// the page cache can address; `EEXIST` if the range is taken; `ENOMEM`.
    pub fn add_folio(&self, inode: &Inode, folio: UniqueFolio, index: u64) -> Result {
        self.own_inode(inode)?;
        let t = inode.mode() & S_IFMT;
        if t != S_IFREG && t != S_IFLNK {
            return Err(EINVAL);
        }
        let pages = 1u64 << folio.order();
        let index = usize::try_from(index)
            .ok()
            .filter(|&i| i as u64 % pages == 0 && (i as u64).checked_add(pages).is_some())
            .ok_or(EINVAL)?;
        let ptr = folio.into_raw().as_ptr();
        // SAFETY: `inode` is a valid file of ours with a page cache. The folio is ours alone
        // (`UniqueFolio`), as `filemap_add_folio` requires (it sets the lock bit
        // non-atomically); it takes its own references on success. We then give up ours.
        unsafe {
            let ret = bindings::filemap_add_folio(
                (*inode.as_ptr()).i_mapping,
                ptr,
                index,
                bindings::GFP_KERNEL,
            );
            if ret != 0 {
                // Unlocked again by `filemap_add_folio`; this frees it.
                bindings::folio_put(ptr);
                return to_result(ret);
            }
            bindings::folio_mark_uptodate(ptr);
            bindings::folio_mark_dirty(ptr);
            bindings::folio_unlock(ptr);
            bindings::folio_put(ptr);
            Tables::<T>::settle(inode.as_ptr(), 0);
        }
        Ok(())
    }

    /// Makes `inode` (a new directory of this superblock) the root of the superblock and
    /// returns the root entry. `EEXIST` if there is a root already.
    pub fn set_root<'a>(&'a self, inode: InodeRef<'a>) -> Result<&'a Dentry> {
        self.own_inode(&inode)?;
        if inode.mode() & S_IFMT != S_IFDIR || Self::has_alias(&inode) {
            return Err(EINVAL);
        }
        let sb = self.0.get();
        // SAFETY: The superblock is being set up by us (type invariant); `d_make_root`
        // consumes the inode reference (also on failure). The root lives until `kill_sb`.
        unsafe {
            if !(*sb).s_root.is_null() {
                return Err(EEXIST);
            }
            let root = bindings::d_make_root(inode.into_raw().as_ptr());
            if root.is_null() {
                return Err(ENOMEM);
            }
            (*sb).s_root = root;
            Ok(Dentry::from_raw(root))
        }
    }
}

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

/// The `fs_private` of our `fs_context`s.
struct Context {
    /// The options parsed so far.
    opts: MountOptions,
    /// Set when `fill_super` ran: the new superblock took ownership of the instance data.
    filled: bool,
}

struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const CONTEXT_OPS: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(Self::free_fc),
        parse_param: Some(Self::parse_param),
        get_tree: Some(Self::get_tree),
        reconfigure: Some(Self::reconfigure),
        ..pin_init::zeroed()
    };

    /// `ram_aops` with limits, large folios for writes, no readahead and no migration.
    const AOPS: bindings::address_space_operations = bindings::address_space_operations {
        read_folio: Some(Self::read_folio),
        readahead: Some(no_readahead),
        write_begin: Some(Self::write_begin),
        write_end: Some(write_end),
        dirty_folio: Some(bindings::noop_dirty_folio),
        migrate_folio: Some(refuse_migration),
        ..pin_init::zeroed()
    };

    const SUPER_OPS: bindings::super_operations = bindings::super_operations {
        statfs: Some(Self::statfs),
        show_options: Some(Self::show_options),
        evict_inode: Some(Self::evict_inode),
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

    /// Calls `f` with the limits of superblock `sb`, unless it is being torn down.
    ///
    /// # Safety
    ///
    /// `sb` must be a valid superblock of type `T` whose `s_fs_info` is null or the data of a
    /// live instance (from `fill_super` until `kill_sb`).
    unsafe fn with_limits<R>(
        sb: *mut bindings::super_block,
        f: impl FnOnce(&Limits) -> R,
    ) -> Option<R> {
        // SAFETY: Per the safety requirements.
        let info = unsafe { (*sb).s_fs_info };
        if info.is_null() {
            return None;
        }
        // SAFETY: Per the safety requirements `info` is the live instance data.
        let data = unsafe { T::Data::borrow(info) };
        Some(f(T::limits(&data)))
    }

    /// Charges one inode to the limits of `sb` and allocates it; fails with `ENOSPC` at the
    /// inode limit and with `nomem` without memory.
    ///
    /// # Safety
    ///
    /// As for [`Self::with_limits`], and `sb` must live at least for `'a`.
    unsafe fn charged_inode<'a>(
        sb: *mut bindings::super_block,
        nomem: Error,
    ) -> Result<InodeRef<'a>> {
        // SAFETY: Per the safety requirements.
        unsafe { Self::with_limits(sb, |l| l.charge_inode()) }.unwrap_or(Ok(()))?;
        // SAFETY: `sb` is valid. Once allocated, `evict_inode` releases the charge.
        let inode = unsafe { alloc_inode(sb) };
        if inode.is_none() {
            // SAFETY: As above.
            unsafe { Self::with_limits(sb, |l| l.uncharge_inode()) };
        }
        inode.ok_or(nomem)
    }

    /// Brings the charge of `inode` (its `i_blocks`) in line with its page cache, using
    /// `reserved` blocks reserved beforehand.
    ///
    /// # Safety
    ///
    /// `inode` must be a valid inode of a `T` superblock.
    unsafe fn settle(inode: *mut bindings::inode, reserved: u64) {
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
            Self::with_limits((*inode).i_sb, |l| {
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
            let res = Self::with_limits((*inode).i_sb, |l| {
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
            let mapping = (*folio).__bindgen_anon_1.__bindgen_anon_1.mapping;
            let inode = (*mapping).host;
            let size = bindings::folio_size(folio);
            let pages = (size >> crate::page::PAGE_SHIFT) as u64;
            if let Some(Err(e)) = Self::with_limits((*inode).i_sb, |l| l.reserve_blocks(pages)) {
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

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::evict_inode`, with the arguments it
    /// documents.
    unsafe extern "C" fn evict_inode(inode: *mut bindings::inode) {
        // SAFETY: The VFS passes an inode being evicted, which nobody else uses.
        unsafe {
            bindings::truncate_inode_pages_final(&raw mut (*inode).i_data);
            bindings::clear_inode(inode);
            Self::settle(inode, 0);
            Self::with_limits((*inode).i_sb, |l| l.uncharge_inode());
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::statfs`, with the arguments it documents.
    unsafe extern "C" fn statfs(
        dentry: *mut bindings::dentry,
        buf: *mut bindings::kstatfs,
    ) -> c_int {
        // SAFETY: The VFS passes a dentry of a live superblock and a buffer to fill.
        unsafe {
            (*buf).f_type = T::MAGIC as c_long;
            Self::with_limits((*dentry).d_sb, |l| l.statfs(&mut *buf));
        }
        0
    }

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::show_options`, with the arguments it
    /// documents.
    unsafe extern "C" fn show_options(
        m: *mut bindings::seq_file,
        root: *mut bindings::dentry,
    ) -> c_int {
        // SAFETY: The VFS passes the seq file being written by this thread and the root of a
        // live superblock.
        unsafe {
            let m = crate::seq_file::SeqFile::from_raw(m);
            Self::with_limits((*root).d_sb, |l| l.show(m));
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
                if let Some(Err(e)) = Self::with_limits((*dir).i_sb, |l| l.charge_inode()) {
                    return e.to_errno();
                }
            }
            let ret = bindings::simple_link(old, dir, dentry);
            if ret != 0 && charge {
                Self::with_limits((*dir).i_sb, |l| l.uncharge_inode());
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
                Self::with_limits((*dir).i_sb, |l| l.uncharge_inode());
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
                Self::with_limits((*new_dir).i_sb, |l| l.uncharge_inode());
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
    unsafe fn init_ops(p: *mut bindings::inode, rdev: bindings::dev_t) {
        // SAFETY: Per the safety requirements we own the inode exclusively.
        unsafe {
            let mapping = (*p).i_mapping;
            (*mapping).a_ops = &Self::AOPS;
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
                &raw const (*dentry).__bindgen_anon_1.d_name,
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
            let count = || (*to).__bindgen_anon_1.__bindgen_anon_1.as_ref().count;
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
                Self::init_security(dir, (*file).__bindgen_anon_1.f_path.dentry, &inode)?;
                // Consumes our inode reference; the inode has no name and no links.
                bindings::d_tmpfile(file, inode.into_raw().as_ptr());
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

    /// # Safety
    ///
    /// Only called by the VFS as `file_system_type::init_fs_context`, with the arguments it
    /// documents.
    unsafe extern "C" fn init_fs_context(fc: *mut bindings::fs_context) -> c_int {
        let ctx = Context {
            opts: MountOptions::default(),
            filled: false,
        };
        let ctx = match KBox::new(ctx, GFP_KERNEL) {
            Ok(c) => c,
            Err(e) => return Error::from(e).to_errno(),
        };
        // SAFETY: The VFS passes a valid context being initialised; `free_fc` releases
        // `fs_private`.
        unsafe {
            (*fc).fs_private = KBox::into_raw(ctx).cast();
            (*fc).ops = &Self::CONTEXT_OPS;
        }
        0
    }

    /// Returns the `Context` of `fc`.
    ///
    /// # Safety
    ///
    /// `fc` must be a valid context set up by `init_fs_context`, not used concurrently (the
    /// VFS serialises the operations on one context).
    unsafe fn context<'a>(fc: *mut bindings::fs_context) -> &'a mut Context {
        // SAFETY: Per the safety requirements `fs_private` is our `Context`.
        unsafe { &mut *(*fc).fs_private.cast::<Context>() }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `fs_context_operations::free`, with the arguments it
    /// documents.
    unsafe extern "C" fn free_fc(fc: *mut bindings::fs_context) {
        // SAFETY: `fs_private` is null or the `Context` from `init_fs_context`, released once.
        unsafe {
            let ctx = core::mem::take(&mut (*fc).fs_private);
            if !ctx.is_null() {
                drop(KBox::from_raw(ctx.cast::<Context>()));
            }
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `fs_context_operations::parse_param`, with the arguments it
    /// documents.
    unsafe extern "C" fn parse_param(
        fc: *mut bindings::fs_context,
        param: *mut bindings::fs_parameter,
    ) -> c_int {
        // SAFETY: The VFS passes our context and a parameter.
        let res = unsafe { Self::context(fc).opts.parse(fc, param) };
        match res {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `fs_context_operations::reconfigure` (remount), with the
    /// arguments it documents.
    unsafe extern "C" fn reconfigure(fc: *mut bindings::fs_context) -> c_int {
        // SAFETY: The VFS passes our context, whose `root` is the root of a live superblock.
        let res = unsafe {
            let opts = Self::context(fc).opts;
            Self::with_limits((*(*fc).root).d_sb, |l| {
                l.reconfigure(&opts, &FcLog::new(fc))
            })
        };
        match res {
            Some(Err(e)) => e.to_errno(),
            _ => 0,
        }
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
        // SAFETY: `fc` is our valid context. `filled` records whether a new superblock took
        // ownership of `key` in `fill_super`. An existing superblock whose `s_fs_info` is
        // `key` is reused, as it owns the same instance.
        let (ret, filled) = unsafe {
            Self::context(fc).filled = false;
            let ret = bindings::get_tree_keyed(fc, Some(Self::fill_super), key);
            let filled = Self::context(fc).filled;
            if !filled {
                // No new superblock owns `key`: give back our reference.
                (*fc).s_fs_info = core::ptr::null_mut();
                drop(T::Data::from_foreign(key));
            }
            (ret, filled)
        };
        if ret != 0 {
            return ret;
        }
        if !filled {
            // Another mount of a live superblock: its limits change as on remount.
            // SAFETY: On success `fc->root` is the root of a live superblock of ours, whose
            // `s_umount` we hold (`sget_fc` took it) with an active reference.
            unsafe {
                let sb = (*(*fc).root).d_sb;
                let opts = Self::context(fc).opts;
                let log = FcLog::new(fc);
                if let Some(Err(e)) = Self::with_limits(sb, |l| l.reconfigure(&opts, &log)) {
                    // Undo as `fc_drop_locked` does: the VFS only unlocks a tree it got.
                    bindings::dput((*fc).root);
                    (*fc).root = core::ptr::null_mut();
                    bindings::deactivate_locked_super(sb);
                    return e.to_errno();
                }
            }
        }
        if !T::HAS_MOUNTED {
            return 0;
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
        // SAFETY: Only called on live superblocks whose `fill_super` succeeded, so
        // `s_fs_info` is our data and `s_root` a valid root dentry; the superblock is active
        // (the VFS freezes only active superblocks) for the duration of the call.
        let (data, root) = unsafe {
            (
                T::Data::borrow((*sb).s_fs_info),
                Dentry::from_raw((*sb).s_root),
            )
        };
        from_result(|| T::freeze(data, root).map(|()| 0))
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
        let ctx = unsafe { Self::context(fc) };
        ctx.filled = true;
        let opts = ctx.opts;
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
            T::limits(&data).configure(&opts);
            T::fill_super(new, data)?;
            // SAFETY: As above; the root inode is not in use by anyone else yet.
            unsafe {
                let root = (*sb).s_root;
                if root.is_null() {
                    return Err(EINVAL);
                }
                let inode = bindings::d_inode(root);
                if let Some(mode) = opts.mode {
                    (*inode).i_mode = (S_IFDIR | mode) as bindings::umode_t;
                }
                if let Some(uid) = opts.uid {
                    bindings::i_uid_write(inode, uid);
                }
                if let Some(gid) = opts.gid {
                    bindings::i_gid_write(inode, gid);
                }
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
