// SPDX-License-Identifier: GPL-2.0

//! Inodes and their page cache.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h).

use crate::{
    bindings,
    folio::Folio,
    fs::sbref::{SbRef, SbRefCounted},
    prelude::*,
    types::Opaque,
};
use core::{mem::MaybeUninit, ops::ControlFlow, ptr::NonNull};

/// The file type bits of a mode (`S_IFMT`).
pub const S_IFMT: u32 = bindings::S_IFMT;
pub use types::{S_IFDIR, S_IFLNK, S_IFREG};

/// Encodes a kernel `dev_t` in the stable 32-bit format of `new_encode_dev`.
pub fn new_encode_dev(dev: u32) -> u32 {
    let (major, minor) = (dev >> 20, dev & 0xfffff);
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// Decodes a device number made by [`new_encode_dev`] into a kernel `dev_t`.
pub fn new_decode_dev(dev: u32) -> u32 {
    let major = (dev & 0xfff00) >> 8;
    let minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    (major << 20) | minor
}

/// A reference-counted VFS inode.
///
/// # Invariants
///
/// A reference to an [`Inode`] always points to a valid `struct inode` with a non-zero
/// reference count (`i_count`), or to an inode whose lifetime is otherwise guaranteed by the
/// VFS for the duration of the borrow (e.g. a callback argument); its superblock lives at least
/// as long as the borrow.
///
/// # Examples
///
/// ```
/// use kernel::{fs::inode::{Inode, S_IFMT, S_IFREG}, prelude::*};
///
/// /// Returns how many bytes of data folios a regular file holds.
/// fn data_bytes(inode: &Inode) -> Result<u64> {
///     if inode.mode() & S_IFMT != S_IFREG {
///         return Ok(0);
///     }
///     let mut n = 0u64;
///     inode.for_each_folio(|f| {
///         n += f.size() as u64;
///         Ok(())
///     })?;
///     Ok(n)
/// }
/// ```
#[repr(transparent)]
pub struct Inode(Opaque<bindings::inode>);

// SAFETY: Inode reference counting and the accessors used here are thread safe.
unsafe impl Send for Inode {}
// SAFETY: `&self` methods use atomic reads or take the proper locks.
unsafe impl Sync for Inode {}

/// An owned reference to an [`Inode`] that cannot outlive `'a`: the borrow of the superblock
/// (or of a dentry of it) that it was obtained from (see [`SbRef`]).
///
/// # Examples
///
/// ```
/// use kernel::fs::inode::{InodeRef, S_IFMT, S_IFREG};
///
/// fn is_file(inode: &InodeRef<'_>) -> bool {
///     inode.mode() & S_IFMT == S_IFREG
/// }
/// ```
pub type InodeRef<'a> = SbRef<'a, Inode>;

// SAFETY: `ihold` and `iput` take and release a reference (`i_count`); a referenced inode is
// valid.
unsafe impl SbRefCounted for Inode {
    type Raw = bindings::inode;

    unsafe fn inc_ref(ptr: NonNull<bindings::inode>) {
        // SAFETY: Per the safety requirements the caller holds a reference, as `ihold` needs.
        unsafe { bindings::ihold(ptr.as_ptr()) };
    }

    unsafe fn dec_ref(ptr: NonNull<bindings::inode>) {
        // SAFETY: Per the safety requirements we give up a reference of a live superblock.
        unsafe { bindings::iput(ptr.as_ptr()) };
    }

    unsafe fn from_raw<'a>(ptr: NonNull<bindings::inode>) -> &'a Inode {
        // SAFETY: Per the safety requirements.
        unsafe { Inode::from_raw(ptr.as_ptr()) }
    }
}

/// A timestamp: seconds and nanoseconds since the epoch.
///
/// # Examples
///
/// ```
/// use kernel::fs::inode::Timespec;
///
/// let t = Timespec { sec: 1, nsec: 500_000_000 };
/// assert!(t.nsec < 1_000_000_000);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    /// Seconds.
    pub sec: i64,
    /// Nanoseconds, `0..1_000_000_000`.
    pub nsec: u32,
}

/// The attributes of an inode that users see in `stat`.
///
/// # Examples
///
/// ```
/// use kernel::fs::inode::{Attrs, S_IFREG};
///
/// // An empty regular file owned by root, mode 0644.
/// let a = Attrs { mode: S_IFREG | 0o644, ..Default::default() };
/// assert_eq!(a.size, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attrs {
    /// Full mode: file type and permission bits (including setuid, setgid, sticky).
    pub mode: u32,
    /// Owner user id (in the initial user namespace).
    pub uid: u32,
    /// Owner group id (in the initial user namespace).
    pub gid: u32,
    /// Device number of a character or block device (`new_encode_dev` format).
    pub rdev: u32,
    /// Size in bytes.
    pub size: i64,
    /// Last access time.
    pub atime: Timespec,
    /// Last modification time.
    pub mtime: Timespec,
    /// Last status change time.
    pub ctime: Timespec,
}

/// File type bits for the types an in-memory file system supports.
pub mod types {
    use crate::bindings;
    /// Socket.
    pub const S_IFSOCK: u32 = bindings::S_IFSOCK;
    /// Symbolic link.
    pub const S_IFLNK: u32 = bindings::S_IFLNK;
    /// Regular file.
    pub const S_IFREG: u32 = bindings::S_IFREG;
    /// Block device.
    pub const S_IFBLK: u32 = bindings::S_IFBLK;
    /// Directory.
    pub const S_IFDIR: u32 = bindings::S_IFDIR;
    /// Character device.
    pub const S_IFCHR: u32 = bindings::S_IFCHR;
    /// FIFO.
    pub const S_IFIFO: u32 = bindings::S_IFIFO;

    /// Returns whether `mode` has one of the file types above and no unknown bits.
    pub fn is_valid_mode(mode: u32) -> bool {
        let t = mode & bindings::S_IFMT;
        mode & !(bindings::S_IFMT | 0o7777) == 0
            && matches!(
                t,
                S_IFSOCK | S_IFLNK | S_IFREG | S_IFBLK | S_IFDIR | S_IFCHR | S_IFIFO
            )
    }
}

impl Inode {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid inode that stays alive for `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: `Inode` is transparent over `struct inode`; validity per the safety
        // requirements.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct inode` pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// Returns the inode number.
    pub fn ino(&self) -> u64 {
        // SAFETY: By the type invariant the inode is valid; `i_ino` is set at creation.
        unsafe { (*self.as_ptr()).i_ino }
    }

    /// Returns the full mode (type and permission bits).
    pub fn mode(&self) -> u32 {
        // SAFETY: By the type invariant the inode is valid; a racy read of a `u16` is benign.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).i_mode) }.into()
    }

    /// Returns the owner user id in the initial user namespace.
    pub fn uid(&self) -> u32 {
        // SAFETY: By the type invariant the inode is valid.
        unsafe { bindings::i_uid_read(self.as_ptr()) }
    }

    /// Returns the owner group id in the initial user namespace.
    pub fn gid(&self) -> u32 {
        // SAFETY: By the type invariant the inode is valid.
        unsafe { bindings::i_gid_read(self.as_ptr()) }
    }

    /// Returns the file size in bytes.
    pub fn size(&self) -> i64 {
        // SAFETY: By the type invariant the inode is valid.
        unsafe { bindings::i_size_read(self.as_ptr()) }
    }

    /// Returns the current attributes.
    ///
    /// Fields are read one by one: the result is consistent only while the inode is not being
    /// changed (e.g. the file system is frozen or quiescent).
    pub fn attrs(&self) -> Attrs {
        let p = self.as_ptr();
        // SAFETY: By the type invariant the inode is valid; the reads of plain integers race
        // benignly with updates, as in `generic_fillattr`.
        let (rdev, atime, mtime, ctime) = unsafe {
            let rd = |f: *const bindings::time64_t, n: *const u32| Timespec {
                sec: core::ptr::read_volatile(f),
                nsec: core::ptr::read_volatile(n),
            };
            (
                core::ptr::read_volatile(&raw const (*p).i_rdev),
                rd(&raw const (*p).i_atime_sec, &raw const (*p).i_atime_nsec),
                rd(&raw const (*p).i_mtime_sec, &raw const (*p).i_mtime_nsec),
                rd(&raw const (*p).i_ctime_sec, &raw const (*p).i_ctime_nsec),
            )
        };
        Attrs {
            mode: self.mode(),
            uid: self.uid(),
            gid: self.gid(),
            rdev: new_encode_dev(rdev),
            size: self.size(),
            atime,
            mtime,
            ctime,
        }
    }

    /// Calls `f` on every folio in the inode's page cache, in index order.
    ///
    /// Each folio is referenced while `f` runs. Stops at the first error from `f`.
    pub fn for_each_folio(&self, mut f: impl FnMut(&Folio) -> Result) -> Result {
        self.walk_folios(0, |folio| {
            f(folio).map(|()| ControlFlow::<()>::Continue(()))
        })?;
        Ok(())
    }

    /// Calls `f` on the folios of the page cache from page index `start` on, in index order,
    /// until it breaks with a value (returned) or fails. Each folio is referenced while `f`
    /// runs.
    fn walk_folios<T>(
        &self,
        start: usize,
        mut f: impl FnMut(&Folio) -> Result<ControlFlow<T>>,
    ) -> Result<Option<T>> {
        let mut batch = MaybeUninit::<bindings::folio_batch>::uninit();
        // SAFETY: `batch` is valid for writes; `folio_batch_init` initialises it.
        unsafe { bindings::folio_batch_init(batch.as_mut_ptr()) };
        let batch = batch.as_mut_ptr();
        let mut start = start;
        loop {
            // SAFETY: The inode is valid (type invariant) and so is its mapping; `batch` is an
            // initialised, empty batch. The function takes a reference on each folio returned.
            let n = unsafe {
                bindings::filemap_get_folios(
                    (*self.as_ptr()).i_mapping,
                    &mut start,
                    usize::MAX,
                    batch,
                )
            };
            if n == 0 {
                return Ok(None);
            }
            let mut res = Ok(ControlFlow::Continue(()));
            for i in 0..n as usize {
                // SAFETY: The first `n` entries of the batch are referenced folios.
                let folio = unsafe { Folio::from_raw((*batch).folios[i]) };
                res = f(folio);
                if !matches!(res, Ok(ControlFlow::Continue(()))) {
                    break;
                }
            }
            // SAFETY: Releases the references taken by `filemap_get_folios` and empties the
            // batch for the next round.
            unsafe { bindings::folio_batch_release(batch) };
            if let ControlFlow::Break(v) = res? {
                return Ok(Some(v));
            }
            if start == 0 {
                // The index wrapped around: we reached the end of the address space.
                return Ok(None);
            }
        }
    }

    /// Implements `SEEK_DATA` (`data == true`) and `SEEK_HOLE` from byte `offset`: data is
    /// wherever the page cache holds a folio. Returns the new position, or `ENXIO` if
    /// `offset` is at or past the end of the file or (for `SEEK_DATA`) no data follows.
    pub fn seek_data_hole(&self, offset: i64, data: bool) -> Result<i64> {
        let size = self.size();
        if offset < 0 || offset >= size {
            return Err(ENXIO);
        }
        let shift = crate::page::PAGE_SHIFT;
        let mut pos = offset;
        let found = self.walk_folios((offset >> shift) as usize, |folio| {
            let fstart = (folio.index() << shift) as i64;
            let fend = fstart + folio.size() as i64;
            if data {
                return Ok(ControlFlow::Break(pos.max(fstart)));
            }
            if fstart > pos {
                return Ok(ControlFlow::Break(pos));
            }
            pos = pos.max(fend);
            Ok(ControlFlow::Continue(()))
        })?;
        match found {
            Some(p) if p < size => Ok(p),
            Some(_) if !data => Ok(size),
            // No more folios: everything from `pos` on is a hole.
            None if !data => Ok(pos.min(size)),
            _ => Err(ENXIO),
        }
    }
}
