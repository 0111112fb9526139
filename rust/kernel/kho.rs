// SPDX-License-Identifier: GPL-2.0

//! Kexec HandOver (KHO): preserving memory across a kexec reboot.
//!
//! The outgoing kernel marks folios as preserved and publishes named blobs (subtrees); the
//! next kernel retrieves the blobs by name and restores the preserved folios. Nothing read from
//! the previous kernel is validated here beyond what KHO itself checks: users must validate
//! every byte of a retrieved blob.
//!
//! C header: [`include/linux/kexec_handover.h`](srctree/include/linux/kexec_handover.h).

use crate::{
    bindings,
    error::{from_err_ptr, to_result},
    folio::Folio,
    prelude::*,
    sync::aref::ARef,
};
use core::ptr::NonNull;

/// Returns whether KHO is enabled for the next kexec.
pub fn is_enabled() -> bool {
    // SAFETY: No preconditions.
    unsafe { bindings::kho_is_enabled() }
}

/// Returns whether this kernel was booted by a kexec that carried KHO data.
pub fn is_kho_boot() -> bool {
    // SAFETY: No preconditions.
    unsafe { bindings::is_kho_boot() }
}

/// Marks `folio` (all of its pages, with its order) as preserved for the next kernel.
///
/// The folio must not be in a KHO scratch area (page-cache memory must not be movable); KHO
/// refuses such folios with `EINVAL`.
pub fn preserve_folio(folio: &Folio) -> Result {
    // SAFETY: `folio` is a valid folio by its type invariant.
    to_result(unsafe { bindings::kho_preserve_folio(folio.as_ptr()) })
}

/// Undoes [`preserve_folio`].
///
/// The folio must have been preserved with [`preserve_folio`] with the same order.
pub fn unpreserve_folio(folio: &Folio) {
    // SAFETY: `folio` is a valid folio by its type invariant; KHO ignores folios it does not
    // track.
    unsafe { bindings::kho_unpreserve_folio(folio.as_ptr()) }
}

/// Restores a folio that the previous kernel preserved at physical address `phys`.
///
/// Returns `None` if no folio was preserved there, or if it was already restored. KHO marks
/// each preserved head page and clears the mark on restore, so an address can be restored at
/// most once and addresses that were never preserved are refused.
pub fn restore_folio(phys: u64) -> Option<ARef<Folio>> {
    // SAFETY: `kho_restore_folio` accepts any physical address and checks it against the
    // preserved-memory metadata before touching the page.
    let ptr = unsafe { bindings::kho_restore_folio(phys) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: A restored folio has a reference count of one, which we take ownership of.
    Some(unsafe { Folio::from_raw_owned(ptr) })
}

/// A physically contiguous, zeroed buffer that is preserved across kexec.
///
/// # Invariants
///
/// `ptr` was returned by `kho_alloc_preserve(len)` and is owned by this object; it stays
/// preserved until dropped.
pub struct PreservedBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: The buffer is exclusively owned and plain memory.
unsafe impl Send for PreservedBuf {}
// SAFETY: Shared access only gives `&[u8]`.
unsafe impl Sync for PreservedBuf {}

impl PreservedBuf {
    /// The largest buffer KHO can allocate in one piece (4 MiB on x86-64).
    pub const MAX_LEN: usize = (1usize << bindings::MAX_PAGE_ORDER) << crate::page::PAGE_SHIFT;

    /// Allocates a zeroed buffer of at least `len` bytes and marks it preserved.
    pub fn new(len: usize) -> Result<Self> {
        if len == 0 || len > Self::MAX_LEN {
            return Err(EINVAL);
        }
        // SAFETY: `len` is non-zero; the function returns a valid pointer or an `ERR_PTR`.
        let ptr = from_err_ptr(unsafe { bindings::kho_alloc_preserve(len) })?;
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(ENOMEM)?;
        Ok(Self { ptr, len })
    }

    /// Returns the buffer length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether the buffer is empty (never true).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the buffer contents.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: By the type invariant `ptr` is valid for `len` bytes and owned by us.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Returns the buffer contents for writing.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: By the type invariant `ptr` is valid for `len` bytes and exclusively owned.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for PreservedBuf {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `ptr` came from `kho_alloc_preserve`.
        unsafe { bindings::kho_unpreserve_free(self.ptr.as_ptr().cast()) };
    }
}

/// A blob published to the next kernel under a name in the KHO root FDT.
///
/// Dropping it withdraws the blob and frees its memory.
///
/// # Invariants
///
/// `buf` is registered with `kho_add_subtree` for the lifetime of this object.
pub struct Subtree {
    buf: PreservedBuf,
}

impl Subtree {
    /// Publishes `buf` (its first `size` bytes) as subtree `name`.
    ///
    /// Fails with `EEXIST` if the name is taken.
    pub fn add(name: &CStr, buf: PreservedBuf, size: usize) -> Result<Self> {
        if size > buf.len() {
            return Err(EINVAL);
        }
        // SAFETY: `name` is NUL-terminated; `buf` is preserved, physically contiguous memory of
        // at least `size` bytes that we keep alive until `kho_remove_subtree` in `drop`.
        to_result(unsafe {
            bindings::kho_add_subtree(name.as_char_ptr(), buf.ptr.as_ptr().cast(), size)
        })?;
        Ok(Self { buf })
    }

    /// Returns the published bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.as_slice()
    }
}

impl Drop for Subtree {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the blob is registered.
        unsafe { bindings::kho_remove_subtree(self.buf.ptr.as_ptr().cast()) };
    }
}

/// A blob handed over by the previous kernel, found by name.
///
/// # Invariants
///
/// `ptr`/`len` describe memory the previous kernel preserved with `kho_alloc_preserve` and
/// registered as a subtree; it stays reserved until [`Incoming::free`] is called.
pub struct Incoming {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: The blob is plain memory owned by this object.
unsafe impl Send for Incoming {}
// SAFETY: Shared access only gives `&[u8]`.
unsafe impl Sync for Incoming {}

impl Incoming {
    /// Looks up the subtree `name` handed over by the previous kernel.
    ///
    /// Returns `ENOENT` when this is not a KHO boot or the previous kernel published no such
    /// subtree, and `EINVAL` if its recorded size is implausible.
    pub fn retrieve(name: &CStr) -> Result<Self> {
        let mut phys: bindings::phys_addr_t = 0;
        let mut len: usize = 0;
        // SAFETY: `name` is NUL-terminated, the out pointers are valid.
        to_result(unsafe {
            bindings::kho_retrieve_subtree(name.as_char_ptr(), &mut phys, &mut len)
        })?;
        if phys == 0
            || len == 0
            || len > PreservedBuf::MAX_LEN
            || phys % crate::page::PAGE_SIZE as u64 != 0
        {
            return Err(EINVAL);
        }
        // SAFETY: `phys` is page aligned, non-zero; KHO reserved this memory for us, and it is
        // in the direct map.
        let ptr = unsafe { bindings::phys_to_virt(phys) };
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(EINVAL)?;
        Ok(Self { ptr, len })
    }

    /// Returns the blob's bytes. They come from the previous kernel and must be validated.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: By the type invariant the memory is valid and reserved for `len` bytes.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Returns the blob's memory to the page allocator.
    pub fn free(self) {
        // SAFETY: By the type invariant the memory came from `kho_alloc_preserve` in the
        // previous kernel; `kho_restore_free` restores it (refusing anything else) and frees it.
        unsafe { bindings::kho_restore_free(self.ptr.as_ptr().cast()) };
    }
}

impl PreservedBuf {
    /// Returns the physical address of the buffer (what [`take_preserved`] needs).
    pub fn phys(&self) -> u64 {
        // SAFETY: The buffer is in the direct map (it came from the page allocator).
        unsafe { bindings::virt_to_phys(self.ptr.as_ptr().cast()) }
    }
}

/// Takes back a buffer the previous kernel preserved with [`PreservedBuf`] at `phys`: appends
/// its first `len` bytes to `out` and frees it.
///
/// KHO refuses addresses it did not preserve and restores each at most once (`EINVAL`);
/// `len` must fit the restored buffer (`EINVAL`).
pub fn take_preserved(phys: u64, len: usize, out: &mut KVVec<u8>) -> Result {
    let folio = restore_folio(phys).ok_or(EINVAL)?;
    if len > folio.size() {
        return Err(EINVAL);
    }
    // SAFETY: The folio is ours, lowmem (KHO buffers are direct-mapped), and `len` bytes long
    // at least.
    let bytes = unsafe {
        core::slice::from_raw_parts(bindings::folio_address(folio.as_ptr()).cast::<u8>(), len)
    };
    out.extend_from_slice(bytes, GFP_KERNEL)?;
    Ok(())
}
