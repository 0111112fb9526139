// SPDX-License-Identifier: GPL-2.0

//! Directory entries.
//!
//! C header: [`include/linux/dcache.h`](srctree/include/linux/dcache.h).

use crate::{
    bindings,
    fs::{
        inode::InodeRef,
        sbref::{SbRef, SbRefCounted},
    },
    prelude::*,
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
/// the root of a live superblock); its superblock lives at least as long as the borrow.
///
/// # Examples
///
/// ```
/// use kernel::{fs::dentry::Dentry, prelude::*};
///
/// /// Returns the name of `d` if it is a positive entry.
/// fn positive_name(d: &Dentry) -> Result<Option<KVec<u8>>> {
///     if d.inode().is_none() {
///         return Ok(None);
///     }
///     Ok(Some(d.name()?))
/// }
/// ```
#[repr(transparent)]
pub struct Dentry(Opaque<bindings::dentry>);

// SAFETY: Dentry reference counting and the accessors used here are thread safe.
unsafe impl Send for Dentry {}
// SAFETY: `&self` methods take the dentry's lock or use snapshots where needed.
unsafe impl Sync for Dentry {}

/// An owned reference to a [`Dentry`] that cannot outlive `'a`: the borrow of the dentry or
/// superblock it was obtained from, which keeps the superblock alive (see [`SbRef`]).
///
/// # Examples
///
/// ```
/// use kernel::{fs::dentry::Dentry, prelude::*};
///
/// /// Counts the entries of `dir` and of its subdirectories, one level down.
/// fn count(dir: &Dentry) -> Result<usize> {
///     let mut n = 0;
///     for child in dir.children()? {
///         n += 1 + child.children()?.len();
///     }
///     Ok(n)
/// }
/// ```
pub type DentryRef<'a> = SbRef<'a, Dentry>;

// SAFETY: `dget` and `dput` take and release a reference; a referenced dentry is valid.
unsafe impl SbRefCounted for Dentry {
    type Raw = bindings::dentry;

    unsafe fn inc_ref(ptr: NonNull<bindings::dentry>) {
        // SAFETY: Per the safety requirements the caller holds a reference.
        unsafe { bindings::dget(ptr.as_ptr()) };
    }

    unsafe fn dec_ref(ptr: NonNull<bindings::dentry>) {
        // SAFETY: Per the safety requirements we give up a reference of a live superblock.
        unsafe { bindings::dput(ptr.as_ptr()) };
    }

    unsafe fn from_raw<'a>(ptr: NonNull<bindings::dentry>) -> &'a Dentry {
        // SAFETY: Per the safety requirements.
        unsafe { Dentry::from_raw(ptr.as_ptr()) }
    }
}

impl<'a> SbRef<'a, Dentry> {
    /// Like [`Dentry::children`], with references that live as long as this one's (the
    /// superblock is the same).
    pub fn children(&self) -> Result<KVVec<DentryRef<'a>>> {
        // SAFETY: Children of our dentry are of the same superblock, which lives for `'a`.
        unsafe { self.children_for() }
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
            core::slice::from_raw_parts(q.name, bindings::qstr_len(q) as usize)
        };
        let mut out = KVec::new();
        let res = out.extend_from_slice(name, GFP_KERNEL);
        // SAFETY: Releases what `take_dentry_name_snapshot` took.
        unsafe { bindings::release_dentry_name_snapshot(snap.as_mut_ptr()) };
        res?;
        Ok(out)
    }

    /// Returns the inode this entry refers to, with a reference of its own, if it is
    /// positive. (A borrowed inode could go away: an unlink makes an entry that nobody else
    /// holds negative.)
    pub fn inode(&self) -> Option<InodeRef<'_>> {
        // SAFETY: By the type invariant the dentry is valid; `d_inode_get` returns its inode
        // with a new reference, taken under `d_lock`, or NULL.
        let ptr = NonNull::new(unsafe { bindings::d_inode_get(self.as_ptr()) })?;
        // SAFETY: We own that reference; the inode's superblock is the dentry's, which lives
        // at least as long as the borrow of `self`.
        Some(unsafe { InodeRef::from_raw(ptr) })
    }

    /// Returns referenced snapshots of this directory's children that are names in the
    /// namespace: positive and hashed (`simple_positive`).
    ///
    /// Entries that stay allocated only because they are in use after their name was removed
    /// (a file unlinked or renamed over while open) and the unnamed entries of `O_TMPFILE`
    /// files are not included. Children added or removed concurrently may or may not be
    /// included.
    pub fn children(&self) -> Result<KVVec<DentryRef<'_>>> {
        // SAFETY: Children of `self` are of the same superblock, which outlives the borrow.
        unsafe { self.children_for() }
    }

    /// Returns a new reference to this dentry, valid as long as the borrow.
    pub fn to_ref(&self) -> DentryRef<'_> {
        // SAFETY: By the type invariant the dentry is alive, so its count can be raised.
        unsafe { bindings::dget(self.as_ptr()) };
        // SAFETY: We own the reference just taken; the superblock outlives the borrow.
        unsafe { DentryRef::from_raw(NonNull::from(self).cast()) }
    }

    /// Implements [`Dentry::children`] for references of any lifetime `'a`.
    ///
    /// # Safety
    ///
    /// The superblock of this dentry must live at least for `'a`.
    unsafe fn children_for<'a>(&self) -> Result<KVVec<DentryRef<'a>>> {
        let mut want = 16usize;
        loop {
            let mut out: KVVec<DentryRef<'a>> = KVVec::with_capacity(want, GFP_KERNEL)?;
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
                            // Cannot fail: capacity is available. The child is of our
                            // superblock, which lives for `'a`.
                            let r = DentryRef::from_raw(NonNull::new_unchecked(c));
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
}

/// Returns whether `name` is a valid single path component.
pub fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name != b"."
        && name != b".."
        && !name.iter().any(|&c| c == b'/' || c == 0)
}
