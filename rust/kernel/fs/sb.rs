// SPDX-License-Identifier: GPL-2.0

//! File system types and superblocks for in-memory file systems.
//!
//! A [`FileSystem`] is registered with [`Registration`]. Its superblocks are built the way
//! `ramfs` builds them, on top of libfs: dentries are pinned in the dcache, regular files keep
//! their data in the page cache (`ram_aops`), and directory operations are `simple_*` helpers
//! to which the file system adds its own bookkeeping through the optional [`FileSystem::create`]
//! and [`FileSystem::unlink`] hooks.
//!
//! All instances share one superblock (`get_tree_single`): every mount of the type shows the
//! same tree.
//!
//! Page-cache folios of these files are allocated with `GFP_HIGHUSER` (never movable) and the
//! mappings are unevictable, so file data stays in place, as kexec handover requires.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h).

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    fs::{
        dentry::Dentry,
        inode::{Attrs, Inode, S_IFDIR, S_IFMT, S_IFREG},
    },
    prelude::*,
    sync::aref::ARef,
    types::{ForeignOwnable, Opaque},
};
use core::marker::PhantomData;

/// An in-memory file system type.
#[vtable]
pub trait FileSystem: Sized + Send + Sync + 'static {
    /// Per-superblock data (`s_fs_info`), created by [`FileSystem::fill_super`].
    type Data: ForeignOwnable + Send + Sync;

    /// The file system type name, as given to `mount -t`.
    const NAME: &'static CStr;

    /// The magic number reported by `statfs`.
    const MAGIC: u32;

    /// Sets up a new superblock: must create the root with [`NewSuperBlock::set_root`].
    fn fill_super(sb: &NewSuperBlock<Self>) -> Result<Self::Data>;

    /// Called with the superblock's data when it is torn down (last unmount), before the
    /// dentries and inodes are released.
    fn kill_super(data: Self::Data) {
        drop(data);
    }

    /// Called when a regular file `dentry` is created in `dir`, with its new `inode`, before
    /// the entry becomes visible. An error aborts the creation.
    fn create(_sb: &SuperBlock<Self>, _dir: &Inode, _dentry: &Dentry, _inode: &Inode) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when `dentry` is about to be unlinked from `dir`. An error aborts the unlink.
    fn unlink(_sb: &SuperBlock<Self>, _dir: &Inode, _dentry: &Dentry) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A superblock of file system type `T` that finished its setup.
///
/// # Invariants
///
/// Points to a valid `struct super_block` of type `T` whose `s_fs_info` holds a `T::Data`
/// produced by `into_foreign`, for the duration of the borrow.
#[repr(transparent)]
pub struct SuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

/// A superblock of file system type `T` being set up in [`FileSystem::fill_super`].
///
/// # Invariants
///
/// Points to a valid `struct super_block` of type `T` that is being filled; `s_fs_info` is
/// not set yet.
#[repr(transparent)]
pub struct NewSuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> SuperBlock<T> {
    /// # Safety
    ///
    /// `ptr` must be a live superblock of type `T` that finished `fill_super`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: Transparent wrapper; validity per the safety requirements.
        unsafe { &*ptr.cast() }
    }

    /// Returns the file system's per-superblock data.
    pub fn data(&self) -> <T::Data as ForeignOwnable>::Borrowed<'_> {
        // SAFETY: By the type invariant `s_fs_info` came from `into_foreign` and is only
        // reclaimed in `kill_sb`, after which no callback can see this superblock.
        unsafe { T::Data::borrow((*self.0.get()).s_fs_info) }
    }
}

impl<T: FileSystem> NewSuperBlock<T> {
    /// Creates a new inode with attributes `attrs` (a directory or a regular file) and inode
    /// number `ino` (a fresh one if `None`). Timestamps are set to the current time.
    pub fn new_inode(&self, attrs: &Attrs, ino: Option<u64>) -> Result<ARef<Inode>> {
        let t = attrs.mode & S_IFMT;
        if (t != S_IFDIR && t != S_IFREG) || attrs.mode & !(S_IFMT | 0o7777) != 0 {
            return Err(EINVAL);
        }
        if attrs.size < 0 || (t == S_IFDIR && attrs.size != 0) {
            return Err(EINVAL);
        }
        // SAFETY: By the type invariant the superblock is valid.
        let inode = unsafe { bindings::new_inode(self.0.get()) };
        if inode.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `new_inode` returned an inode with one reference that we now own.
        let inode: ARef<Inode> =
            unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(inode.cast())) };
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
            bindings::simple_inode_init_ts(p);
            Tables::<T>::init_ops(p);
            if t == S_IFREG {
                bindings::i_size_write(p, attrs.size);
            }
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

struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const CONTEXT_OPS: bindings::fs_context_operations = bindings::fs_context_operations {
        get_tree: Some(Self::get_tree),
        ..pin_init::zeroed()
    };

    const SUPER_OPS: bindings::super_operations = bindings::super_operations {
        statfs: Some(bindings::simple_statfs),
        drop_inode: Some(bindings::inode_just_drop),
        ..pin_init::zeroed()
    };

    const DIR_IOPS: bindings::inode_operations = bindings::inode_operations {
        lookup: Some(bindings::simple_lookup),
        create: if T::HAS_CREATE {
            Some(Self::create)
        } else {
            None
        },
        unlink: if T::HAS_UNLINK {
            Some(Self::unlink)
        } else {
            None
        },
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
        read_iter: Some(bindings::generic_file_read_iter),
        write_iter: Some(bindings::generic_file_write_iter),
        mmap_prepare: Some(bindings::generic_file_mmap_prepare),
        fsync: Some(bindings::noop_fsync),
        splice_read: Some(bindings::filemap_splice_read),
        splice_write: Some(bindings::iter_file_splice_write),
        llseek: Some(bindings::generic_file_llseek),
        get_unmapped_area: Some(bindings::thp_get_unmapped_area),
        ..pin_init::zeroed()
    };

    /// Installs operations on a new inode according to its type.
    ///
    /// # Safety
    ///
    /// `p` must be a new, not yet visible inode of a `T` superblock with `i_mode` set.
    unsafe fn init_ops(p: *mut bindings::inode) {
        // SAFETY: Per the safety requirements we own the inode exclusively.
        unsafe {
            let mapping = (*p).i_mapping;
            (*mapping).a_ops = &raw const bindings::ram_aops;
            // Never movable: KHO scratch areas are CMA, and handed-over folios must stay put.
            bindings::mapping_set_gfp_mask(mapping, bindings::GFP_HIGHUSER);
            bindings::mapping_set_unevictable(mapping);
            if u32::from((*p).i_mode) & S_IFMT == S_IFDIR {
                (*p).i_op = &Self::DIR_IOPS;
                (*p).__bindgen_anon_3.i_fop = &raw const bindings::simple_dir_operations;
                // Directories start with two links ("." and the entry in the parent).
                bindings::inc_nlink(p);
            } else {
                (*p).i_op = &Self::REG_IOPS;
                (*p).__bindgen_anon_3.i_fop = &Self::REG_FOPS;
            }
        }
    }

    unsafe extern "C" fn init_fs_context(fc: *mut bindings::fs_context) -> c_int {
        // SAFETY: The VFS passes a valid context being initialised.
        unsafe { (*fc).ops = &Self::CONTEXT_OPS };
        0
    }

    unsafe extern "C" fn get_tree(fc: *mut bindings::fs_context) -> c_int {
        // SAFETY: The VFS passes a valid context.
        unsafe { bindings::get_tree_single(fc, Some(Self::fill_super)) }
    }

    unsafe extern "C" fn fill_super(
        sb: *mut bindings::super_block,
        _fc: *mut bindings::fs_context,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The VFS passes a new superblock that we set up exclusively.
            unsafe {
                (*sb).s_maxbytes = i64::MAX;
                (*sb).s_blocksize = crate::page::PAGE_SIZE as _;
                (*sb).s_blocksize_bits = crate::page::PAGE_SHIFT as _;
                (*sb).s_magic = T::MAGIC as _;
                (*sb).s_op = &Self::SUPER_OPS;
                (*sb).s_d_flags = bindings::dentry_flags_DCACHE_DONTCACHE as _;
                (*sb).s_time_gran = 1;
            }
            // SAFETY: `sb` is a valid superblock being filled; `s_fs_info` is not set yet.
            let new = unsafe { &*sb.cast::<NewSuperBlock<T>>() };
            let data = T::fill_super(new)?;
            // SAFETY: As above.
            unsafe {
                if (*sb).s_root.is_null() {
                    drop(data);
                    return Err(EINVAL);
                }
                (*sb).s_fs_info = data.into_foreign();
            }
            Ok(0)
        })
    }

    unsafe extern "C" fn kill_sb(sb: *mut bindings::super_block) {
        // SAFETY: The VFS passes the superblock being killed; nobody else uses `s_fs_info`
        // any more. It is either null or set by `fill_super` from `into_foreign`.
        unsafe {
            let info = core::mem::replace(&mut (*sb).s_fs_info, core::ptr::null_mut());
            if !info.is_null() {
                T::kill_super(T::Data::from_foreign(info));
            }
            bindings::kill_anon_super(sb);
        }
    }

    unsafe extern "C" fn create(
        _idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        _excl: bool,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The VFS passes a locked directory of our type and a negative dentry.
            let (sb, dir_ref, dentry_ref) = unsafe {
                (
                    SuperBlock::<T>::from_raw((*dir).i_sb),
                    Inode::from_raw(dir),
                    Dentry::from_raw(dentry),
                )
            };
            let mode = u32::from(mode);
            if mode & S_IFMT != S_IFREG {
                return Err(EINVAL);
            }
            // SAFETY: `dir` is valid, so is its superblock.
            let inode = unsafe { bindings::new_inode((*dir).i_sb) };
            if inode.is_null() {
                return Err(ENOSPC);
            }
            // SAFETY: We own the only reference to the new inode.
            let inode: ARef<Inode> =
                unsafe { ARef::from_raw(core::ptr::NonNull::new_unchecked(inode.cast())) };
            let p = inode.as_ptr();
            // SAFETY: The inode is new and private to us; `dir` is locked by the VFS.
            unsafe {
                (*p).i_ino = bindings::get_next_ino().into();
                bindings::inode_init_owner(&raw mut bindings::nop_mnt_idmap, p, dir, mode as _);
                bindings::simple_inode_init_ts(p);
                Self::init_ops(p);
            }
            T::create(sb, dir_ref, dentry_ref, &inode)?;
            // SAFETY: `dentry` is negative; `d_make_persistent` consumes our inode reference.
            // `dir` is locked, so updating its times is safe.
            unsafe {
                bindings::d_make_persistent(dentry, ARef::into_raw(inode).as_ptr().cast());
                let now = bindings::inode_set_ctime_current(dir);
                bindings::inode_set_mtime_to_ts(dir, now);
            }
            Ok(0)
        })
    }

    unsafe extern "C" fn unlink(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
        from_result(|| {
            // SAFETY: The VFS passes a locked directory of our type and a positive dentry.
            let (sb, dir_ref, dentry_ref) = unsafe {
                (
                    SuperBlock::<T>::from_raw((*dir).i_sb),
                    Inode::from_raw(dir),
                    Dentry::from_raw(dentry),
                )
            };
            T::unlink(sb, dir_ref, dentry_ref)?;
            // SAFETY: Same as above.
            to_result(unsafe { bindings::simple_unlink(dir, dentry) })?;
            Ok(0)
        })
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
