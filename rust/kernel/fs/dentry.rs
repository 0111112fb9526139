// SPDX-License-Identifier: GPL-2.0

//! Directory entries.
//!
//! C header: [`include/linux/dcache.h`](srctree/include/linux/dcache.h).

use crate::{
    bindings,
    fs::inode::{Inode, S_IFDIR, S_IFMT},
    prelude::*,
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque,
};
use core::{mem::MaybeUninit, ptr::NonNull};

/// Maximum length of a file name (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// A VFS directory entry.
///
/// # Invariants
///
/// A reference to a [`Dentry`] points to a valid `struct dentry` with a non-zero reference
/// count, or one kept alive by the VFS for the duration of the borrow (a callback argument, or
/// the root of a live superblock).
#[repr(transparent)]
pub struct Dentry(Opaque<bindings::dentry>);

// SAFETY: Dentry reference counting and the accessors used here are thread safe.
unsafe impl Send for Dentry {}
// SAFETY: `&self` methods take the dentry's lock or use snapshots where needed.
unsafe impl Sync for Dentry {}

// SAFETY: `dget` and `dput` implement the dentry reference count.
unsafe impl AlwaysRefCounted for Dentry {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the count is non-zero.
        unsafe { bindings::dget(self.as_ptr()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller passes ownership of one reference.
        unsafe { bindings::dput(obj.cast().as_ptr()) };
    }
}

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

    /// Returns a copy of the entry's name, safe against concurrent renames.
    pub fn name(&self) -> Result<KVec<u8>> {
        let mut snap = MaybeUninit::<bindings::name_snapshot>::uninit();
        // SAFETY: The dentry is valid; `take_dentry_name_snapshot` initialises `snap` with a
        // stable copy (or a reference to an external name that it pins).
        unsafe { bindings::take_dentry_name_snapshot(snap.as_mut_ptr(), self.as_ptr()) };
        // SAFETY: `snap` was initialised above; `name`/`len` describe a valid byte string.
        let name = unsafe {
            let q = &(*snap.as_ptr()).name;
            core::slice::from_raw_parts(q.name, q.__bindgen_anon_1.__bindgen_anon_1.len as usize)
        };
        let mut out = KVec::new();
        let res = out.extend_from_slice(name, GFP_KERNEL);
        // SAFETY: Releases what `take_dentry_name_snapshot` took.
        unsafe { bindings::release_dentry_name_snapshot(snap.as_mut_ptr()) };
        res?;
        Ok(out)
    }

    /// Returns the inode this entry refers to, if it is positive.
    pub fn inode(&self) -> Option<&Inode> {
        // SAFETY: By the type invariant the dentry is valid.
        let ptr = unsafe { bindings::d_inode(self.as_ptr()) };
        // SAFETY: A positive dentry holds a reference on its inode for as long as it lives.
        (!ptr.is_null()).then(|| unsafe { Inode::from_raw(ptr) })
    }

    /// Returns referenced snapshots of this directory's children that are names in the
    /// namespace: positive and hashed (`simple_positive`).
    ///
    /// Entries that stay allocated only because they are in use after their name was removed
    /// (a file unlinked or renamed over while open) and the unnamed entries of `O_TMPFILE`
    /// files are not included. Children added or removed concurrently may or may not be
    /// included.
    pub fn children(&self) -> Result<KVVec<ARef<Dentry>>> {
        let mut want = 16usize;
        loop {
            let mut out: KVVec<ARef<Dentry>> = KVVec::with_capacity(want, GFP_KERNEL)?;
            let mut more = 0usize;
            // SAFETY: The dentry is valid; its `d_lock` protects the list of children, and
            // `dget_dlock` takes a reference on a child while the parent's lock pins it.
            unsafe {
                bindings::dentry_lock(self.as_ptr());
                let mut c = bindings::d_first_child(self.as_ptr());
                while !c.is_null() {
                    bindings::dentry_lock_nested(c);
                    if bindings::simple_positive(c) != 0 {
                        if out.len() < out.capacity() {
                            bindings::dget_dlock(c);
                            // Cannot fail: capacity is available.
                            let r = ARef::from_raw(NonNull::new_unchecked(c.cast::<Dentry>()));
                            let _ = out.push_within_capacity(r);
                        } else {
                            more += 1;
                        }
                    }
                    bindings::dentry_unlock(c);
                    c = bindings::d_next_sibling(c);
                }
                bindings::dentry_unlock(self.as_ptr());
            }
            if more == 0 {
                return Ok(out);
            }
            want = out.len() + more + 16;
        }
    }

    /// Creates the first entry `name` for the new `inode` in this directory, pinned in the
    /// dcache for the life of the superblock (like `ramfs` entries), and returns it.
    ///
    /// `name` must be a valid single path component (see [`is_valid_name`]); otherwise
    /// `EINVAL`. For a directory, the parent's link count grows by one.
    ///
    /// Only for use while the superblock is being set up (no concurrent lookups).
    pub fn add_child(&self, name: &[u8], inode: ARef<Inode>) -> Result<&Dentry> {
        let is_dir = inode.mode() & S_IFMT == S_IFDIR;
        let child = self.alloc_child(name)?;
        // SAFETY: `child` is a fresh negative dentry; `d_make_persistent` consumes our inode
        // reference and takes the dentry reference that pins it; we then drop our own. The
        // pinned child lives at least as long as `self` (its parent).
        unsafe {
            bindings::d_make_persistent(child, ARef::into_raw(inode).as_ptr().cast());
            bindings::dput(child);
            if is_dir {
                bindings::inc_nlink(bindings::d_inode(self.as_ptr()));
            }
            Ok(Dentry::from_raw(child))
        }
    }

    /// Adds another hard link `name` to the existing non-directory `inode` in this directory.
    ///
    /// Only for use while the superblock is being set up (no concurrent lookups).
    pub fn add_hard_link(&self, name: &[u8], inode: &Inode) -> Result {
        if inode.mode() & S_IFMT == S_IFDIR {
            return Err(EISDIR);
        }
        let child = self.alloc_child(name)?;
        // SAFETY: As in `add_child`, with a new inode reference (`ihold`) for the new alias
        // and one more link.
        unsafe {
            bindings::ihold(inode.as_ptr());
            bindings::inc_nlink(inode.as_ptr());
            bindings::d_make_persistent(child, inode.as_ptr());
            bindings::dput(child);
        }
        Ok(())
    }

    fn alloc_child(&self, name: &[u8]) -> Result<*mut bindings::dentry> {
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
        Ok(child)
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
