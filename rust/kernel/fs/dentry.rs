// SPDX-License-Identifier: GPL-2.0

//! Directory entries.
//!
//! C header: [`include/linux/dcache.h`](srctree/include/linux/dcache.h).

use crate::{bindings, fs::inode::Inode, prelude::*, sync::aref::ARef, types::Opaque};

/// Maximum length of a file name (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// A VFS directory entry.
///
/// # Invariants
///
/// A reference to a [`Dentry`] points to a valid `struct dentry` kept alive by the VFS for
/// the duration of the borrow (a callback argument, or the root of a live superblock).
#[repr(transparent)]
pub struct Dentry(Opaque<bindings::dentry>);

impl Dentry {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid dentry that stays alive for `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: `Dentry` is transparent over `struct dentry`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// Returns the entry's name.
    ///
    /// The name is stable while the parent directory is locked, which the VFS guarantees in
    /// directory-operation callbacks, the only place where dentries are handed out.
    pub fn name(&self) -> &[u8] {
        // SAFETY: By the type invariant the dentry is valid; the parent's lock keeps `d_name`
        // stable (see above), and `name`/`len` describe a valid byte string.
        unsafe {
            let q = &(*self.as_ptr()).__bindgen_anon_1.d_name;
            let len = q.__bindgen_anon_1.__bindgen_anon_1.len as usize;
            core::slice::from_raw_parts(q.name, len)
        }
    }

    /// Returns the inode this entry refers to, if it is positive.
    pub fn inode(&self) -> Option<&Inode> {
        // SAFETY: By the type invariant the dentry is valid.
        let ptr = unsafe { bindings::d_inode(self.as_ptr()) };
        // SAFETY: A positive dentry holds a reference on its inode.
        (!ptr.is_null()).then(|| unsafe { Inode::from_raw(ptr) })
    }

    /// Creates a child entry `name` of this directory entry referring to `inode`, pinned in
    /// the dcache for the life of the superblock (like `ramfs` entries).
    ///
    /// `name` must be a valid single path component: non-empty, at most [`NAME_MAX`] bytes,
    /// without `/` or NUL, and not `.` or `..`; otherwise `EINVAL`.
    ///
    /// This must only be used while the superblock is being set up (no concurrent lookups).
    pub fn add_persistent_child(&self, name: &[u8], inode: ARef<Inode>) -> Result {
        if !is_valid_name(name) {
            return Err(EINVAL);
        }
        let mut cname = KVec::with_capacity(name.len() + 1, GFP_KERNEL)?;
        cname.extend_from_slice(name, GFP_KERNEL)?;
        cname.push(0, GFP_KERNEL)?;
        // SAFETY: `self` is a valid directory dentry; `cname` is NUL-terminated.
        let child = unsafe { bindings::d_alloc_name(self.as_ptr(), cname.as_ptr().cast()) };
        if child.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `child` is a fresh negative dentry; `d_make_persistent` consumes our inode
        // reference and takes a dentry reference that pins it; we then drop our own.
        unsafe {
            bindings::d_make_persistent(child, ARef::into_raw(inode).as_ptr().cast());
            bindings::dput(child);
        }
        Ok(())
    }
}

/// Returns whether `name` is a valid single path component.
pub fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name != b"."
        && name != b".."
        && !name.iter().any(|&c| c == b'/' || c == 0)
}
