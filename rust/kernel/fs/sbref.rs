// SPDX-License-Identifier: GPL-2.0

//! Owned references to objects of a superblock (inodes, dentries) that cannot outlive it.
//!
//! An `ARef` could be kept past the teardown of the superblock, where releasing it (`iput`,
//! `dput`) would use freed memory. An [`SbRef<'a, T>`] carries the lifetime of the borrow it
//! was obtained from (of the superblock, or of another object of it), which keeps the
//! superblock alive.

use core::{marker::PhantomData, ptr::NonNull};

/// An object of a superblock with a reference count.
///
/// # Safety
///
/// `inc_ref` must take one reference and `dec_ref` release one; an object with a reference
/// must stay valid. `from_raw` must return a reference to the object at `ptr`.
pub unsafe trait SbRefCounted: Send + Sync {
    /// The C type of the object.
    type Raw;

    /// Takes a new reference.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid object on which the caller holds a reference.
    unsafe fn inc_ref(ptr: NonNull<Self::Raw>);

    /// Releases a reference.
    ///
    /// # Safety
    ///
    /// The caller must own a reference on `ptr`, which it gives up, and the object's superblock
    /// must be alive.
    unsafe fn dec_ref(ptr: NonNull<Self::Raw>);

    /// Returns the object at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid object that stays valid for `'a`.
    unsafe fn from_raw<'a>(ptr: NonNull<Self::Raw>) -> &'a Self;
}

/// An owned reference to a `T` of a superblock that lives at least for `'a`.
///
/// See [`super::inode::InodeRef`] and [`super::dentry::DentryRef`].
///
/// # Invariants
///
/// `ptr` points to a valid object on which this object owns one reference; its superblock
/// lives at least for `'a`.
pub struct SbRef<'a, T: SbRefCounted> {
    ptr: NonNull<T::Raw>,
    _p: PhantomData<&'a T>,
}

// SAFETY: The reference may be released on any thread (`T: Send`).
unsafe impl<T: SbRefCounted> Send for SbRef<'_, T> {}
// SAFETY: `&SbRef` only gives out `&T`, and `T: Sync`.
unsafe impl<T: SbRefCounted> Sync for SbRef<'_, T> {}

impl<T: SbRefCounted> SbRef<'_, T> {
    /// Takes ownership of one reference on `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid object on which the caller owns a reference that it
    /// transfers, and whose superblock lives at least for `'a`.
    pub unsafe fn from_raw(ptr: NonNull<T::Raw>) -> Self {
        // INVARIANT: Per the safety requirements.
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    /// Gives up the reference and returns the object.
    pub fn into_raw(self) -> NonNull<T::Raw> {
        core::mem::ManuallyDrop::new(self).ptr
    }
}

impl<T: SbRefCounted> Clone for SbRef<'_, T> {
    fn clone(&self) -> Self {
        // SAFETY: By the type invariant we hold a reference.
        unsafe { T::inc_ref(self.ptr) };
        // INVARIANT: We took a new reference; same superblock.
        Self {
            ptr: self.ptr,
            _p: PhantomData,
        }
    }
}

impl<T: SbRefCounted> core::ops::Deref for SbRef<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: By the type invariant the object is valid while we hold our reference.
        unsafe { T::from_raw(self.ptr) }
    }
}

impl<T: SbRefCounted> Drop for SbRef<'_, T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own a reference, and the superblock is alive.
        unsafe { T::dec_ref(self.ptr) };
    }
}
