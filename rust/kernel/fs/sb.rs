// SPDX-License-Identifier: GPL-2.0

//! File system types and superblocks for in-memory file systems.
//!
//! A [`FileSystem`] is registered with [`Registration`]. A mount names its instance through
//! [`FileSystem::instance`] (for example from the mount source); all mounts of one instance
//! share one superblock (`get_tree_keyed`), unless [`FileSystem::KEYED`] is false. Mount
//! parameters are parsed with `fs_parser`
//! against the file system's [`FileSystem::PARAMS`] into its [`FileSystem::Options`]; the
//! first mount of a superblock passes them to [`FileSystem::fill_super`], a remount or another
//! mount of a live superblock to [`FileSystem::reconfigure`].
//!
//! The operation tables follow C's, one trait per table: [`SuperOperations`] for the
//! superblock hooks the file system provides (a live [`SuperBlock`] is passed to them), the
//! inode, file and address-space tables of [`super::memfs`] for its files.
//!
//! [`FileSystem::fill_super`] builds the tree with [`NewSuperBlock`]. Inodes get the
//! operations of [`super::memfs`] (ramfs's namespace, files in the page cache), charged to the
//! file system's [`Accounting`], which also answers `statfs` and `/proc/mounts`.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h).

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    folio::{FolioPacker, UniqueFolio},
    fs::{
        accounting::{Accounting, Statfs},
        aops::AddressSpaceOperations,
        dentry::{is_valid_name, Dentry},
        fops::FileOperations,
        inode::{new_decode_dev, types, Attrs, Inode, InodeRef, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG},
        iops::InodeOperations,
        memfs::Ops,
        param::{FcLog, Param, Params},
    },
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    types::{ForeignOwnable, NotThreadSafe, Opaque},
};
use core::{marker::PhantomData, ptr::NonNull};

/// Returns `Some(f)` if `has`: the slot of a C operations table for a `#[vtable]` method
/// (`has` is its `HAS_*` constant).
pub(crate) const fn slot<F: Copy>(has: bool, f: F) -> Option<F> {
    if has {
        Some(f)
    } else {
        None
    }
}

/// An in-memory file system type.
///
/// Superblocks of the type are set up by [`FileSystem::fill_super`] and operated on through
/// the per-table traits it names: [`SuperOperations`], [`InodeOperations`] (directories, and
/// other inodes), [`FileOperations`] and [`AddressSpaceOperations`]. [`super::memfs`] has
/// ready-made implementations of the last three.
///
/// # Examples
///
/// A complete file system is `samples/rust/rust_memfs.rs`. In short:
///
/// ```
/// use kernel::{
///     fs::{
///         accounting::Unlimited,
///         inode::{Attrs, S_IFDIR},
///         memfs,
///         sb::{DefaultSuperOps, FileSystem, NewSuperBlock},
///     },
///     prelude::*,
/// };
///
/// struct Fs;
/// struct Tree;
/// static UNLIMITED: Unlimited = Unlimited;
///
/// #[vtable]
/// impl FileSystem for Fs {
///     type Data = KBox<Tree>;
///     type Accounting = Unlimited;
///     type SuperOps = DefaultSuperOps<Self>;
///     type Options = ();
///     type DirOps = memfs::DirOps<Self>;
///     type FileInodeOps = memfs::FileInodeOps<Self>;
///     type FileOps = memfs::FileOps<Self>;
///     type Aops = memfs::Aops<Self>;
///     const NAME: &'static CStr = c"examplefs";
///     const MAGIC: u32 = 0x1234_5678;
///     const KEYED: bool = false;
///
///     fn instance(_source: Option<&CStr>) -> Result<KBox<Tree>> {
///         Ok(KBox::new(Tree, GFP_KERNEL)?)
///     }
///
///     fn accounting<'a>(_data: &'a &Tree) -> &'a Unlimited {
///         &UNLIMITED
///     }
///
///     fn fill_super(sb: &NewSuperBlock<Self>, _data: &Tree, _opts: &()) -> Result {
///         let root = Attrs { mode: S_IFDIR | 0o755, ..Default::default() };
///         sb.set_root(sb.new_inode(&root, None, false)?)?;
///         Ok(())
///     }
/// }
/// ```
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

    /// The space and inode accounting of a superblock (see [`super::accounting`]).
    type Accounting: Accounting;

    /// The superblock operations the file system provides ([`DefaultSuperOps`] for none).
    type SuperOps: SuperOperations<FileSystem = Self>;

    /// The mount options of one mount or remount, parsed from [`FileSystem::PARAMS`].
    type Options: Default + Send;

    /// The mount parameters the file system accepts; others are refused.
    const PARAMS: Params = Params::EMPTY;

    /// Whether mounts share superblocks: mounts whose instances (see [`FileSystem::instance`])
    /// have the same address share one (`get_tree_keyed`). Otherwise every mount gets a new
    /// superblock with its own instance (`get_tree_nodev`).
    const KEYED: bool = true;

    /// Whether file data is allocated from memory that is not movable (`GFP_HIGHUSER`, as
    /// ramfs's) rather than from movable memory (as tmpfs's). For file systems whose data must
    /// stay at its physical address; their [`FileSystem::Aops`] must refuse migration (as
    /// [`super::memfs::Aops`] then does).
    const PINNED: bool = false;

    /// The inode operations of directories (e.g. [`super::memfs::DirOps`]).
    type DirOps: InodeOperations<FileSystem = Self>;

    /// The inode operations of regular and special files (e.g.
    /// [`super::memfs::FileInodeOps`]).
    type FileInodeOps: InodeOperations<FileSystem = Self>;

    /// The file operations of regular files (e.g. [`super::memfs::FileOps`]).
    type FileOps: FileOperations<FileSystem = Self>;

    /// The address-space operations of regular files and symbolic links (e.g.
    /// [`super::memfs::Aops`]).
    type Aops: AddressSpaceOperations<FileSystem = Self>;

    /// Returns the accounting of instance `data`.
    fn accounting<'a>(
        data: &'a <Self::Data as ForeignOwnable>::Borrowed<'_>,
    ) -> &'a Self::Accounting;

    /// Returns the packer new single pages of file data of instance `data` come from, so
    /// that they lie next to each other (see [`FolioPacker`]), or `None` (the default) to let
    /// the page cache allocate them. Only used when [`FileSystem::PINNED`] is set: packed
    /// pages are not movable. Larger folios always come from the page cache.
    fn packer<'a>(
        _data: &'a <Self::Data as ForeignOwnable>::Borrowed<'_>,
    ) -> Option<&'a FolioPacker> {
        None
    }

    /// Parses one mount parameter (one of [`FileSystem::PARAMS`]) into `opts`.
    fn parse_param(_opts: &mut Self::Options, _param: &Param<'_>) -> Result {
        Err(EINVAL)
    }

    /// Applies the options of a remount, or of another mount of the live superblock of
    /// instance `data`. Errors are logged to `log` and fail the mount.
    fn reconfigure(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _opts: &Self::Options,
        _log: &FcLog,
    ) -> Result {
        Ok(())
    }

    /// Sets up a new superblock for instance `data`, mounted with `opts`: must create the root
    /// with [`NewSuperBlock::set_root`].
    fn fill_super(
        sb: &NewSuperBlock<Self>,
        data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        opts: &Self::Options,
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

    /// Called when `get_tree` succeeded, with a [`SuperPin`] (or the error that prevented
    /// creating one) that keeps the superblock alive, contents included, after its last mount
    /// is gone. Dropping the pin does not keep it.
    ///
    /// Runs with the superblock's `s_umount` held (so it must not freeze or thaw it), and
    /// before the mount is final: a later step of the mount (an LSM, the mount namespace) can
    /// still fail it, and the pin then keeps a superblock that was never mounted.
    fn mounted(_data: <Self::Data as ForeignOwnable>::Borrowed<'_>, _pin: Result<SuperPin>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A live superblock of file system `T`, as the VFS passes it to [`SuperOperations`].
///
/// # Invariants
///
/// Points to a valid, active `struct super_block` of type `T` whose `fill_super` succeeded:
/// `s_fs_info` is the instance data and `s_root` the root, both valid for the borrow.
///
/// # Examples
///
/// ```
/// use kernel::{fs::sb::{FileSystem, SuperBlock}, prelude::*};
///
/// fn root_ino<T: FileSystem>(sb: &SuperBlock<T>) -> Option<u64> {
///     sb.root().inode().map(|i| i.ino())
/// }
/// ```
#[repr(transparent)]
pub struct SuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> SuperBlock<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `sb` must be a live superblock of type `T` as the type invariant describes, for `'a`.
    unsafe fn from_raw<'a>(sb: *mut bindings::super_block) -> &'a Self {
        // SAFETY: `SuperBlock` is transparent over `struct super_block`; per the safety
        // requirements the invariant holds for `'a`.
        unsafe { &*sb.cast() }
    }

    /// Returns the instance data.
    pub fn data(&self) -> <T::Data as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: By the type invariant `s_fs_info` is the instance data, which lives as long
        // as the superblock.
        unsafe { T::Data::borrow((*self.0.get()).s_fs_info) }
    }

    /// Returns the root of the tree.
    pub fn root(&self) -> &Dentry {
        // SAFETY: By the type invariant `s_root` is the valid root, and the superblock lives
        // for the borrow.
        unsafe { Dentry::from_raw((*self.0.get()).s_root) }
    }
}

/// The superblock operations of file system `FileSystem` (`struct super_operations`) that it
/// provides itself. `statfs`, `show_options` and `evict_inode` come from [`super::memfs`] and
/// the file system's [`Accounting`]; a slot without an implementation here is left empty.
///
/// # Examples
///
/// ```
/// use kernel::{fs::sb::{FileSystem, SuperBlock, SuperOperations}, prelude::*};
///
/// struct Noisy<T>(core::marker::PhantomData<T>);
///
/// #[vtable]
/// impl<T: FileSystem> SuperOperations for Noisy<T> {
///     type FileSystem = T;
///
///     fn freeze_fs(_sb: &SuperBlock<T>) -> Result {
///         pr_info!("frozen\n");
///         Ok(())
///     }
/// }
/// ```
#[vtable]
pub trait SuperOperations: Sized + 'static {
    /// The file system whose superblocks these operations serve.
    type FileSystem: FileSystem;

    /// `freeze_fs`: the file system is being frozen (`fsfreeze -f`, or
    /// [`SuperPin::freeze`]), writers are stopped. An error fails the freeze and is reported
    /// to its caller.
    fn freeze_fs(_sb: &SuperBlock<Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `unfreeze_fs`: the file system is being thawed.
    fn unfreeze_fs(_sb: &SuperBlock<Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Superblock operations that add nothing: every slot is left to the defaults.
pub struct DefaultSuperOps<T>(PhantomData<T>);

#[vtable]
impl<T: FileSystem> SuperOperations for DefaultSuperOps<T> {
    type FileSystem = T;
}

/// An internal mount that keeps a superblock active (see [`FileSystem::mounted`]).
///
/// # Invariants
///
/// `mnt` is a mount created by `vfs_create_mount`, owned by this object, holding an active
/// reference to its superblock.
///
/// # Examples
///
/// ```
/// use kernel::{fs::sb::SuperPin, prelude::*};
///
/// /// Freezes the pinned file system for a moment, e.g. to take a consistent snapshot.
/// fn quiesce(pin: &SuperPin) -> Result {
///     pin.freeze()?;
///     // ... the tree cannot change here ...
///     pin.thaw()
/// }
/// ```
pub struct SuperPin {
    mnt: core::ptr::NonNull<bindings::vfsmount>,
    /// Whether [`SuperPin::freeze`] froze the superblock and [`SuperPin::thaw`] did not thaw
    /// it yet.
    frozen: Atomic<bool>,
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
    /// and blocks new ones, then calls [`SuperOperations::freeze_fs`] (unless frozen already,
    /// e.g. by `fsfreeze -f`: the pin then only joins that freeze). The freeze is this pin's:
    /// only [`SuperPin::thaw`] undoes it, or dropping the pin. `EBUSY` if this pin (or another
    /// exclusive holder) froze it already.
    pub fn freeze(&self) -> Result {
        // SAFETY: By the type invariant we hold an active reference to the superblock, as
        // `freeze_super` requires.
        // The freeze is exclusive to this pin (its mount is the owner), so nobody else can
        // thaw it, as `filesystems_freeze` does.
        to_result(unsafe {
            bindings::freeze_super(
                self.sb(),
                bindings::freeze_holder_FREEZE_HOLDER_KERNEL | bindings::freeze_holder_FREEZE_EXCL,
                self.mnt.as_ptr().cast_const().cast(),
            )
        })?;
        self.frozen.store(true, Relaxed);
        Ok(())
    }

    /// Returns whether the pinned superblock is read-only (`SB_RDONLY`). Freezing a read-only
    /// superblock succeeds without calling [`SuperOperations::freeze_fs`]: there are no
    /// writers.
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

    /// Undoes [`SuperPin::freeze`]. `EINVAL` if this pin did not freeze the superblock.
    pub fn thaw(&self) -> Result {
        // SAFETY: As in `freeze`. `thaw_super` thaws only a freeze of this owner.
        to_result(unsafe {
            bindings::thaw_super(
                self.sb(),
                bindings::freeze_holder_FREEZE_HOLDER_KERNEL | bindings::freeze_holder_FREEZE_EXCL,
                self.mnt.as_ptr().cast_const().cast(),
            )
        })?;
        self.frozen.store(false, Relaxed);
        Ok(())
    }
}

impl Drop for SuperPin {
    fn drop(&mut self) {
        // Nobody else can thaw a freeze of this pin: undo it before the owner goes away. Only
        // a pin that froze takes `s_umount` (and runs `unfreeze_fs`) here, so dropping a fresh
        // pin in `FileSystem::mounted` (which holds `s_umount`) is fine; a frozen pin must not
        // be dropped in superblock callbacks or under locks that `unfreeze_fs` takes.
        if self.frozen.load(Relaxed) {
            if let Err(e) = self.thaw() {
                pr_warn!("cannot thaw a superblock frozen by a dropped pin: {e:?}\n");
            }
        }
        // SAFETY: By the type invariant we own this mount reference.
        unsafe { bindings::mntput(self.mnt.as_ptr()) };
    }
}

/// A superblock of file system type `T` being set up in [`FileSystem::fill_super`].
///
/// While it is set up, nobody else can use the superblock, its inodes or its dentries: it is on
/// the superblock lists already, but without `SB_BORN` and with `s_umount` held by the mounting
/// thread, so other mounts of it (`grab_super`), `super_lock` users and its shrinker (a
/// trylock) wait or back off until `fill_super` returned. The type is neither `Send` nor `Sync`
/// ([`NotThreadSafe`]), so all setup happens on the thread that runs `fill_super`; that is what
/// makes the non-atomic link-count, mode and page-cache updates of the methods below sound.
/// Every inode, dentry and folio they take is checked to belong to this superblock (`EINVAL`
/// otherwise).
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
pub struct NewSuperBlock<T: FileSystem>(
    Opaque<bindings::super_block>,
    PhantomData<T>,
    // The setup is single-threaded: the methods update link counts and modes without locks.
    NotThreadSafe,
);

impl<T: FileSystem> NewSuperBlock<T> {
    /// Creates a new inode with attributes `attrs` and inode number `ino` (a fresh one if
    /// `None`). Regular files and symbolic links get `attrs.size` as size and start without
    /// data (see [`NewSuperBlock::add_folio`]); device nodes get `attrs.rdev`. Timestamps are
    /// taken from `attrs` if `keep_times`, otherwise set to the current time. The inode counts
    /// against the accounting (its error, such as `ENOSPC`, when it refuses).
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
        let inode = unsafe { Ops::<T>::charged_inode(sb, ENOMEM) }?;
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
            Ops::<T>::init_ops(p, new_decode_dev(attrs.rdev));
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

    /// Returns `Ok` if `inode` belongs to this superblock.
    fn own_inode(&self, inode: &Inode) -> Result {
        // SAFETY: `inode` is valid; `i_sb` never changes.
        if unsafe { (*inode.as_ptr()).i_sb } != self.0.get() {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Returns the inode of `dir` if it is a directory entry of this superblock.
    fn own_dir<'d>(&self, dir: &'d Dentry) -> Result<InodeRef<'d>> {
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
        let child = NonNull::new(child).ok_or(ENOMEM)?;
        // A name must be unique in its directory. The new entry is not hashed yet, so a
        // hashed entry of that name is another one.
        // SAFETY: `dir` and `child` are valid; `d_lookup` returns a referenced dentry or NULL.
        let other =
            unsafe { bindings::d_lookup(dir.as_ptr(), bindings::dentry_name(child.as_ptr())) };
        if !other.is_null() {
            // SAFETY: We own both references.
            unsafe {
                bindings::dput(other);
                bindings::dput(child.as_ptr());
            }
            return Err(EEXIST);
        }
        Ok(child)
    }

    /// Adds the entry `name` for the new `inode` (of this superblock, without a name yet) to
    /// the directory `dir` of this superblock, and returns the entry. For a directory, the
    /// parent's link count grows by one (its `..`).
    ///
    /// `EINVAL` for an invalid name or an inode or directory of another superblock, `ENOTDIR`
    /// if `dir` is not a directory, `EEXIST` if `inode` already has a name (use
    /// [`NewSuperBlock::add_hard_link`]) or `dir` has an entry `name` already.
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
    /// `link(2)`, the extra name is charged as an inode to the accounting.
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
        unsafe { Ops::<T>::with_accounting(sb, |l| l.charge_link()) }.unwrap_or(Ok(()))?;
        let child = match Self::alloc_child(dir, name) {
            Ok(c) => c,
            Err(e) => {
                // SAFETY: As above.
                unsafe { Ops::<T>::with_accounting(sb, |l| l.uncharge_link()) };
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
    /// nowhere else), and charges it to the accounting.
    ///
    /// `EINVAL` for an inode of another superblock or of another type, or an index past what
    /// the page cache can address; `EEXIST` if the range is taken; `ENOMEM`.
    pub fn add_folio(&self, inode: &Inode, folio: UniqueFolio, index: u64) -> Result {
        self.own_inode(inode)?;
        let t = inode.mode() & S_IFMT;
        if t != S_IFREG && t != S_IFLNK {
            return Err(EINVAL);
        }
        // SAFETY: `inode` is valid; its mapping is its own page cache.
        let mapping = unsafe { (*inode.as_ptr()).i_mapping };
        // SAFETY: As above.
        if folio.order() > unsafe { bindings::mapping_max_folio_order(mapping) } {
            return Err(EINVAL);
        }
        // The folio must lie within the largest file (`MAX_LFS_FILESIZE`) and be aligned to
        // its size in the file, as the page cache keeps it. Counted in pages.
        let pages = 1u64 << folio.order();
        // SAFETY: No preconditions.
        let max_pages =
            (unsafe { bindings::max_lfs_filesize() } as u64 >> crate::page::PAGE_SHIFT) + 1;
        let index = usize::try_from(index)
            .ok()
            .filter(|&i| {
                (i as u64) % pages == 0
                    && (i as u64)
                        .checked_add(pages)
                        .is_some_and(|end| end <= max_pages)
            })
            .ok_or(EINVAL)?;
        let ptr = folio.into_raw().as_ptr();
        // SAFETY: `mapping` is the page cache of a valid file of ours, of an order it takes.
        // The folio is ours alone and fresh (`UniqueFolio`), as `filemap_add_folio` requires
        // (it sets the lock bit non-atomically and charges the folio to the memory cgroup);
        // it takes its own references on success. We then give up ours.
        unsafe {
            let ret = bindings::filemap_add_folio(mapping, ptr, index, bindings::GFP_KERNEL);
            if ret != 0 {
                // Unlocked again by `filemap_add_folio`; this frees it.
                bindings::folio_put(ptr);
                return to_result(ret);
            }
            bindings::folio_mark_uptodate(ptr);
            bindings::folio_mark_dirty(ptr);
            bindings::folio_unlock(ptr);
            bindings::folio_put(ptr);
            Ops::<T>::settle(inode.as_ptr(), 0);
        }
        Ok(())
    }

    /// Changes the permission bits (`perm`, at most `0o7777`), owner and group of `inode`, of
    /// this superblock; `None` keeps the current value.
    pub fn set_attrs(
        &self,
        inode: &Inode,
        perm: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result {
        self.own_inode(inode)?;
        let p = inode.as_ptr();
        // SAFETY: The inode is ours and, by the type invariant, nobody else can use it while
        // the superblock is set up.
        unsafe {
            if let Some(perm) = perm {
                if perm > 0o7777 {
                    return Err(EINVAL);
                }
                (*p).i_mode = ((u32::from((*p).i_mode) & S_IFMT) | perm) as bindings::umode_t;
            }
            if let Some(uid) = uid {
                bindings::i_uid_write(p, uid);
            }
            if let Some(gid) = gid {
                bindings::i_gid_write(p, gid);
            }
        }
        Ok(())
    }

    /// Returns the root entry, once [`NewSuperBlock::set_root`] made it.
    pub fn root(&self) -> Option<&Dentry> {
        // SAFETY: By the type invariant the superblock is valid; a root set by `set_root`
        // lives until the superblock is killed.
        let root = unsafe { (*self.0.get()).s_root };
        // SAFETY: As above.
        (!root.is_null()).then(|| unsafe { Dentry::from_raw(root) })
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

/// The `fs_private` of our `fs_context`s.
struct Context<T: FileSystem> {
    /// The options parsed so far.
    opts: T::Options,
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

    const SUPER_OPS: bindings::super_operations = bindings::super_operations {
        statfs: Some(Self::statfs),
        show_options: Some(Self::show_options),
        evict_inode: Some(Self::evict_inode),
        drop_inode: Some(bindings::inode_just_drop),
        freeze_fs: slot(T::SuperOps::HAS_FREEZE_FS, Self::freeze_fs),
        unfreeze_fs: slot(T::SuperOps::HAS_UNFREEZE_FS, Self::unfreeze_fs),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::evict_inode`, with the arguments it
    /// documents.
    unsafe extern "C" fn evict_inode(inode: *mut bindings::inode) {
        // SAFETY: The VFS passes an inode being evicted, which nobody else uses.
        unsafe {
            bindings::truncate_inode_pages_final(&raw mut (*inode).i_data);
            bindings::clear_inode(inode);
            Ops::<T>::settle(inode, 0);
            Ops::<T>::with_accounting((*inode).i_sb, |l| l.uncharge_inode());
        }
    }

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::statfs`, with the arguments it documents.
    unsafe extern "C" fn statfs(
        dentry: *mut bindings::dentry,
        buf: *mut bindings::kstatfs,
    ) -> c_int {
        let mut st = Statfs::default();
        // SAFETY: The VFS passes a dentry of a live superblock and a zeroed buffer to fill.
        unsafe {
            Ops::<T>::with_accounting((*dentry).d_sb, |a| a.statfs(&mut st));
            (*buf).f_type = T::MAGIC as c_long;
            (*buf).f_bsize = crate::page::PAGE_SIZE as c_long;
            (*buf).f_namelen = bindings::NAME_MAX as c_long;
            (*buf).f_blocks = st.blocks;
            (*buf).f_bfree = st.bfree;
            (*buf).f_bavail = st.bavail;
            (*buf).f_files = st.files;
            (*buf).f_ffree = st.ffree;
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
            Ops::<T>::with_accounting((*root).d_sb, |a| a.show_options(m));
        }
        0
    }

    /// # Safety
    ///
    /// Only called by the VFS as `file_system_type::init_fs_context`, with the arguments it
    /// documents.
    unsafe extern "C" fn init_fs_context(fc: *mut bindings::fs_context) -> c_int {
        let ctx = Context::<T> {
            opts: T::Options::default(),
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
    unsafe fn context<'a>(fc: *mut bindings::fs_context) -> &'a mut Context<T> {
        // SAFETY: Per the safety requirements `fs_private` is our `Context`.
        unsafe { &mut *(*fc).fs_private.cast::<Context<T>>() }
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
                drop(KBox::from_raw(ctx.cast::<Context<T>>()));
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
        // SAFETY: The VFS passes our context and a parameter, valid for the call.
        let res = unsafe { Param::parse(fc, param, &T::PARAMS) }
            // SAFETY: As above; the VFS serialises the operations on one context.
            .and_then(|p| T::parse_param(unsafe { &mut Self::context(fc).opts }, &p));
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
        // SAFETY: The VFS passes our context, whose `root` is the root of a live superblock
        // (its `fill_super` succeeded, so `s_fs_info` is our data until `kill_sb`).
        let res = unsafe {
            let data = T::Data::borrow((*(*(*fc).root).d_sb).s_fs_info);
            T::reconfigure(data, &Self::context(fc).opts, &FcLog::new(fc))
        };
        match res {
            Err(e) => e.to_errno(),
            Ok(()) => 0,
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
            let ret = if T::KEYED {
                bindings::get_tree_keyed(fc, Some(Self::fill_super), key)
            } else {
                // A new superblock for this mount, which owns `key`.
                (*fc).s_fs_info = key;
                bindings::get_tree_nodev(fc, Some(Self::fill_super))
            };
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
                let log = FcLog::new(fc);
                let data = T::Data::borrow((*sb).s_fs_info);
                if let Err(e) = T::reconfigure(data, &Self::context(fc).opts, &log) {
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
                .map(|mnt| SuperPin {
                    mnt,
                    frozen: Atomic::new(false),
                });
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
        let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
        from_result(|| T::SuperOps::freeze_fs(sb).map(|()| 0))
    }

    /// # Safety
    ///
    /// Only called by the VFS as `super_operations::unfreeze_fs`, with the arguments it documents.
    unsafe extern "C" fn unfreeze_fs(sb: *mut bindings::super_block) -> c_int {
        // SAFETY: Only called on live, active superblocks whose `fill_super` succeeded.
        let sb = unsafe { SuperBlock::<T>::from_raw(sb) };
        from_result(|| T::SuperOps::unfreeze_fs(sb).map(|()| 0))
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
        let opts = &ctx.opts;
        from_result(|| {
            // SAFETY: The VFS passes a new superblock that we set up exclusively.
            unsafe {
                (*sb).s_maxbytes = bindings::max_lfs_filesize();
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
            T::fill_super(new, data, opts)?;
            // SAFETY: As above.
            if unsafe { (*sb).s_root }.is_null() {
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
            // `test_keyed_super` may read `s_fs_info` concurrently under `sb_lock` (a mere
            // comparison): write it once.
            let info = (*sb).s_fs_info;
            core::ptr::write_volatile(&raw mut (*sb).s_fs_info, core::ptr::null_mut());
            if !info.is_null() {
                T::kill_super(T::Data::from_foreign(info));
            }
            bindings::kill_anon_super(sb);
        }
    }
}

/// Registration of a file system type.
///
/// Superblocks of the type point at its `struct file_system_type` until their last unmount,
/// which can be after the registration is dropped (unregistering only stops new mounts). So
/// the `file_system_type` is allocated once and never freed: dropping the registration
/// unregisters the type and leaks those few bytes, rather than leaving superblocks pointing at
/// freed memory. (A module's own registration is dropped at module exit, when the module
/// reference that every superblock holds guarantees there are none left.)
///
/// # Invariants
///
/// `fs` points to a `file_system_type` for `T` that is registered with `register_filesystem`
/// from initialisation until drop, and is never freed.
///
/// # Examples
///
/// See `samples/rust/rust_memfs.rs`: a module that registers a file system type.
pub struct Registration<T: FileSystem> {
    fs: NonNull<bindings::file_system_type>,
    _p: PhantomData<T>,
}

// SAFETY: Registration and unregistration may happen on any thread.
unsafe impl<T: FileSystem> Send for Registration<T> {}
// SAFETY: `&self` exposes nothing.
unsafe impl<T: FileSystem> Sync for Registration<T> {}

impl<T: FileSystem> Registration<T> {
    /// Registers file system type `T`, owned by `module`.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // INVARIANT: `register` registers the type and never frees it.
        try_init!(Self {
            fs: Self::register(module)?,
            _p: PhantomData,
        })
    }

    /// Allocates, fills in and registers the `file_system_type` of `T`.
    fn register(module: &'static ThisModule) -> Result<NonNull<bindings::file_system_type>> {
        // SAFETY: An all-zero `file_system_type` is valid.
        let fs = KBox::new(
            unsafe { core::mem::zeroed::<bindings::file_system_type>() },
            GFP_KERNEL,
        )?;
        let fs = NonNull::from(KBox::leak(fs));
        let p = fs.as_ptr();
        // SAFETY: `p` is ours; the name is static; the functions live as long as the module,
        // which every superblock of the type keeps loaded. The lock class keys in it are not
        // static: they are registered with lockdep (and, like the type, never unregistered).
        unsafe {
            bindings::file_system_type_register_keys(p);
            (*p).name = T::NAME.as_char_ptr();
            (*p).owner = module.as_ptr();
            (*p).init_fs_context = Some(Tables::<T>::init_fs_context);
            (*p).kill_sb = Some(Tables::<T>::kill_sb);
        }
        // SAFETY: `p` is initialised and never freed (also not on failure: it is a few bytes).
        to_result(unsafe { bindings::register_filesystem(p) })?;
        Ok(fs)
    }
}

impl<T: FileSystem> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the type is registered. Its memory is not freed:
        // superblocks may still point at it.
        unsafe { bindings::unregister_filesystem(self.fs.as_ptr()) };
    }
}
