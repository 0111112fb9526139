// SPDX-License-Identifier: GPL-2.0

//! Kexec HandOver (KHO): preserving memory across a kexec reboot.
//!
//! The outgoing kernel marks folios as preserved ([`PreservedFolio`], or blocks of pages with
//! [`PreservedPages`]) and publishes named blobs ([`Subtree`]); the next kernel retrieves the
//! blobs by name ([`Incoming`]) and restores the preserved folios ([`restore_folio`]).
//!
//! Trust: KHO's own FDT (the subtree names, and the address and size of each subtree) is
//! checked by KHO at boot and trusted like the boot memory map. The *contents* of a blob are
//! not: a user must validate every byte it reads from one. In particular an address read from
//! a blob may only be restored once the user has proven that the previous kernel preserved a
//! folio there, which is why [`restore_folio`] is `unsafe`.
//!
//! C header: [`include/linux/kexec_handover.h`](srctree/include/linux/kexec_handover.h).

use crate::{
    bindings,
    error::{from_err_ptr, to_result},
    folio::{Folio, UniqueFolio},
    prelude::*,
    sync::aref::ARef,
};
use core::ptr::NonNull;

/// A folio preserved for the next kernel, kept allocated for as long as it is preserved.
///
/// Dropping it unpreserves the folio and gives up the reference. Because the guard holds a
/// reference, preserved memory cannot be freed and reused in this kernel while the next kernel
/// is told to keep it.
///
/// KHO keeps one mark per folio: preserving a folio twice marks it once, and dropping either
/// guard unpreserves it. Keep one guard per folio (the next kernel would not find the folio
/// otherwise; that is a lost handover, not a memory-safety problem). Folios in a KHO scratch
/// area (movable memory) are refused with `EINVAL` and a warning: preserve only memory that is
/// not movable.
///
/// # Invariants
///
/// `folio` was preserved with `kho_preserve_folio` by this object and stays preserved until
/// it is dropped.
///
/// # Examples
///
/// ```
/// use kernel::{folio::Folio, kho::PreservedFolio, prelude::*};
///
/// /// Preserves `folio` and returns its physical address for the handover record.
/// fn keep(folio: &Folio, kept: &mut KVec<PreservedFolio>) -> Result<u64> {
///     kept.reserve(1, GFP_KERNEL)?;
///     let p = PreservedFolio::new(folio.into())?;
///     let phys = p.folio().phys();
///     let _ = kept.push_within_capacity(p);
///     Ok(phys)
/// }
/// ```
pub struct PreservedFolio {
    folio: ARef<Folio>,
}

impl PreservedFolio {
    /// Marks `folio` (all of its pages, with its order) as preserved for the next kernel.
    ///
    /// KHO refuses (`EINVAL`) folios in a KHO scratch area: memory that is handed over must
    /// not be movable.
    pub fn new(folio: ARef<Folio>) -> Result<Self> {
        // SAFETY: `folio` is a valid folio, kept allocated by our reference.
        to_result(unsafe { bindings::kho_preserve_folio(folio.as_ptr()) })?;
        // INVARIANT: The folio was just preserved.
        Ok(Self { folio })
    }

    /// Returns the preserved folio.
    pub fn folio(&self) -> &Folio {
        &self.folio
    }
}

impl Drop for PreservedFolio {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the folio is preserved, with its order, by us.
        unsafe { bindings::kho_unpreserve_folio(self.folio.as_ptr()) };
    }
}

/// A block of order-0 folios at consecutive physical addresses, preserved for the next kernel
/// as one range of pages (`kho_preserve_pages`), each kept allocated by a reference.
///
/// A block is `1 << order` pages starting at a physical address aligned to that size: KHO
/// records it like a folio of that order, so the next kernel can restore it as one folio
/// ([`restore_folio`]) of `order`, or as `1 << order` pages. This is how data that lives in
/// single pages (written a page at a time, say) but lies contiguously in memory is handed over
/// with one record per block instead of one per page.
///
/// Dropping it unpreserves the block and gives up the references. As for [`PreservedFolio`],
/// memory in a KHO scratch area is refused with `EINVAL` and a warning, and pages must not be
/// preserved twice.
///
/// # Invariants
///
/// `folios` holds `1 << order` order-0 folios at consecutive page frame numbers, the first
/// aligned to `1 << order`; they were preserved with `kho_preserve_pages` by this object and
/// stay preserved until it is dropped.
///
/// # Examples
///
/// ```
/// use kernel::{folio::Folio, kho::PreservedPages, prelude::*, sync::aref::ARef};
///
/// /// Preserves two adjacent pages as one block, if they form one.
/// fn keep_pair(a: &Folio, b: &Folio) -> Result<PreservedPages> {
///     let mut pair = KVVec::with_capacity(2, GFP_KERNEL)?;
///     pair.push(ARef::from(a), GFP_KERNEL)?;
///     pair.push(ARef::from(b), GFP_KERNEL)?;
///     PreservedPages::new(pair)
/// }
/// ```
pub struct PreservedPages {
    folios: KVVec<ARef<Folio>>,
    order: u32,
}

impl PreservedPages {
    /// Preserves `folios` as one block.
    ///
    /// Fails with `EINVAL` unless they are `1 << order` order-0 folios (`order` at most
    /// `MAX_PAGE_ORDER`) at consecutive page frame numbers, the first a multiple of
    /// `1 << order`, the first and last on one NUMA node (KHO would split the range
    /// otherwise, as `kho_preserve_pages` decides by those two), and if KHO
    /// refuses them (memory in a scratch area).
    pub fn new(folios: KVVec<ARef<Folio>>) -> Result<Self> {
        let n = folios.len();
        let first = folios.first().ok_or(EINVAL)?.pfn();
        let order = n.trailing_zeros();
        if !n.is_power_of_two()
            || order > bindings::MAX_PAGE_ORDER
            || first % n != 0
            || folios[0].nid() != folios[n - 1].nid()
            || folios
                .iter()
                .enumerate()
                .any(|(i, f)| f.order() != 0 || f.pfn() != first + i)
        {
            return Err(EINVAL);
        }
        // SAFETY: The folios are valid, kept allocated by our references, and are `n`
        // consecutive pages (checked above); a folio's first member is its first page.
        to_result(unsafe { bindings::kho_preserve_pages(folios[0].as_ptr().cast(), n) })?;
        // INVARIANT: Checked and preserved just above.
        Ok(Self { folios, order })
    }

    /// Returns the physical address of the block.
    pub fn phys(&self) -> u64 {
        self.folios[0].phys()
    }

    /// Returns the order of the block: it spans `1 << order` pages.
    pub fn order(&self) -> u32 {
        self.order
    }
}

impl Drop for PreservedPages {
    fn drop(&mut self) {
        // SAFETY: By the type invariant these pages are preserved, as one range, by us.
        unsafe {
            bindings::kho_unpreserve_pages(self.folios[0].as_ptr().cast(), self.folios.len())
        };
    }
}

/// Restores the folio that the previous kernel preserved at physical address `phys`, or
/// returns `None` if KHO has no preserved folio starting there.
///
/// The restored folio is this kernel's memory from now on, owned by the caller: dropping it
/// frees it.
///
/// # Safety
///
/// The previous kernel must have preserved a folio (with `kho_preserve_folio`) or a block of
/// pages ([`PreservedPages`], `kho_preserve_pages`) at `phys`, and no memory of that folio or
/// block may have been restored in this boot (not even as part of another range). This is
/// what a user proves about the addresses in a blob before restoring them (for example: each
/// address was written by an encoder that only records preserved folios, the blob passed
/// validation, and no two records overlap). KHO checks a mark in the page's `struct page`,
/// which rejects most other addresses, but it cannot tell a page of this kernel that happens
/// to carry the same bits.
///
/// # Examples
///
/// ```
/// use kernel::{folio::UniqueFolio, kho};
///
/// /// Frees the folios listed in a validated handover that nobody will use.
/// fn discard(validated: &[u64]) -> usize {
///     validated
///         .iter()
///         // SAFETY: The caller checked that each address was preserved by the previous
///         // kernel and is listed once.
///         .filter_map(|&phys| unsafe { kho::restore_folio(phys) })
///         .map(drop)
///         .count()
/// }
/// ```
pub unsafe fn restore_folio(phys: u64) -> Option<UniqueFolio> {
    // SAFETY: Per the safety requirements; `kho_restore_folio` returns the folio with one
    // reference, or NULL.
    let ptr = NonNull::new(unsafe { bindings::kho_restore_folio(phys) })?;
    // A large folio from the page allocator is rmappable (`page_rmappable_folio`); KHO only
    // makes it compound (for orders above 1 with its deferred-split list initialised; order-1
    // folios have none and are skipped by deferred splitting). Make it like one, so it can
    // go into a page cache.
    // SAFETY: The folio is ours alone.
    unsafe {
        if bindings::folio_order(ptr.as_ptr()) > 0 {
            bindings::folio_set_large_rmappable(ptr.as_ptr());
        }
    }
    // SAFETY: A folio restored by KHO is new to this kernel: one reference, ours; its struct
    // pages were never used by this kernel (zeroed, then initialised by `kho_init_folio`), so
    // it is in no page cache, LRU or memory cgroup, not
    // mapped, locked or swap-backed.
    Some(unsafe { UniqueFolio::from_raw(ptr) })
}

/// A physically contiguous, zeroed buffer that is preserved across kexec.
///
/// # Invariants
///
/// `ptr` was returned by `kho_alloc_preserve(len)` and is owned by this object; it stays
/// preserved until dropped.
///
/// # Examples
///
/// ```
/// use kernel::{kho::PreservedBuf, prelude::*};
///
/// fn table(bytes: &[u8]) -> Result<PreservedBuf> {
///     let mut buf = PreservedBuf::new(bytes.len())?;
///     buf.as_mut_slice()[..bytes.len()].copy_from_slice(bytes);
///     Ok(buf)
/// }
/// ```
pub struct PreservedBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: The buffer is owned by this object; it may be used and freed from any thread.
unsafe impl Send for PreservedBuf {}
// SAFETY: `&self` methods only read the buffer.
unsafe impl Sync for PreservedBuf {}

impl PreservedBuf {
    /// The largest buffer KHO can allocate in one piece (4 MiB on x86-64).
    pub const MAX_LEN: usize = (1usize << bindings::MAX_PAGE_ORDER) << crate::page::PAGE_SHIFT;

    /// Allocates a zeroed buffer of at least `len` bytes and marks it preserved.
    pub fn new(len: usize) -> Result<Self> {
        if len == 0 || len > Self::MAX_LEN {
            return Err(EINVAL);
        }
        // SAFETY: No preconditions; returns a preserved buffer or an error pointer.
        let ptr = from_err_ptr(unsafe { bindings::kho_alloc_preserve(len) })?;
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: `ptr` was just returned by `kho_alloc_preserve(len)`.
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
        // SAFETY: By the type invariant the buffer is valid for `len` bytes, zeroed at
        // allocation, and owned by us.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Returns the buffer contents for writing.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: As in `as_slice`; `&mut self` makes the access exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Appends the first `len` bytes of the buffer to `out`, as [`take_preserved`] does in the
    /// next kernel (to check what it will read). Fails with `EINVAL` if `len` exceeds the
    /// buffer and with `ENOMEM` if `out` cannot grow.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::{kho::PreservedBuf, prelude::*};
    ///
    /// fn read_back(buf: &PreservedBuf) -> Result<KVVec<u8>> {
    ///     let mut out = KVVec::new();
    ///     buf.append_to(buf.len(), &mut out)?;
    ///     Ok(out)
    /// }
    /// ```
    pub fn append_to(&self, len: usize, out: &mut KVVec<u8>) -> Result {
        append(self.as_slice().get(..len).ok_or(EINVAL)?, out)
    }

    /// Returns the physical address of the buffer, which the next kernel passes to
    /// [`take_preserved`].
    pub fn phys(&self) -> u64 {
        // SAFETY: The buffer is in the linear map (allocated by `kho_alloc_preserve`).
        unsafe { bindings::virt_to_phys(self.ptr.as_ptr().cast()) }
    }
}

impl Drop for PreservedBuf {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the buffer from `kho_alloc_preserve`.
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
///
/// # Examples
///
/// ```
/// use kernel::{kho::{PreservedBuf, Subtree}, prelude::*};
///
/// fn publish(fdt: PreservedBuf, len: usize) -> Result<Subtree> {
///     Subtree::add(c"example", fdt, len)
/// }
/// ```
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
        // SAFETY: `name` is a C string (KHO copies it); `buf` is preserved memory of at least
        // `size` bytes that stays allocated while registered (until our `drop`).
        to_result(unsafe {
            bindings::kho_add_subtree(name.as_char_ptr(), buf.ptr.as_ptr().cast(), size)
        })?;
        // INVARIANT: Registered just above.
        Ok(Self { buf })
    }

    /// Returns the published bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.as_slice()
    }
}

impl Drop for Subtree {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the buffer is registered; `buf` is freed after this.
        unsafe { bindings::kho_remove_subtree(self.buf.ptr.as_ptr().cast()) };
    }
}

/// A blob handed over by the previous kernel ([`Subtree`] there), restored: this kernel's
/// memory, owned by this object and freed when it is dropped.
///
/// # Invariants
///
/// `folio` is the restored buffer of the blob, at physical address `phys`, and
/// `len <= folio.size()`.
///
/// # Examples
///
/// ```
/// use kernel::{kho::Incoming, prelude::*};
///
/// fn first_byte() -> Result<u8> {
///     // SAFETY: Only this function retrieves `example`, and only once per boot.
///     let blob = unsafe { Incoming::retrieve(c"example") }?;
///     blob.as_slice().first().copied().ok_or(EINVAL)
/// }
/// ```
pub struct Incoming {
    folio: UniqueFolio,
    phys: u64,
    len: usize,
}

impl Incoming {
    /// Retrieves and restores the subtree `name` handed over by the previous kernel.
    ///
    /// Returns `ENOENT` when this is not a KHO boot or the previous kernel published no such
    /// subtree, and `EINVAL` if its recorded address or size is implausible or KHO did not
    /// preserve a buffer there.
    ///
    /// # Safety
    ///
    /// The previous kernel must have published `name` with [`Subtree::add`] (one folio from
    /// `kho_alloc_preserve`; `kho_add_subtree` also takes blobs preserved otherwise, which
    /// must not be retrieved this way), and no [`Incoming`] for `name` may have been retrieved
    /// before in this boot: the blob's memory belongs to the first one, which may have freed
    /// it. (With `CONFIG_KEXEC_HANDOVER_DEBUGFS`, `kho/in/sub_fdts/<name>` still shows that
    /// memory after it is freed.)
    pub unsafe fn retrieve(name: &CStr) -> Result<Self> {
        let mut phys: bindings::phys_addr_t = 0;
        let mut len: usize = 0;
        // SAFETY: `name` is a C string and the out pointers are valid.
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
        // SAFETY: KHO's FDT records the address of the blob of this subtree, which per the
        // safety requirements is a folio preserved by `kho_alloc_preserve` and not restored
        // before.
        let folio = unsafe { restore_folio(phys) }.ok_or(EINVAL)?;
        if len > folio.size() {
            return Err(EINVAL);
        }
        // INVARIANT: `folio` is the restored buffer and holds `len` bytes.
        Ok(Self { folio, phys, len })
    }

    /// Returns the blob's bytes. They come from the previous kernel and must be validated.
    pub fn as_slice(&self) -> &[u8] {
        &self.folio.as_slice()[..self.len]
    }

    /// Returns the physical memory of the blob, `start..end`, which is this kernel's from
    /// now on: a user checks that nothing else it restores lies there.
    pub fn span(&self) -> (u64, u64) {
        (self.phys, self.phys + self.folio.size() as u64)
    }
}

/// Takes back a buffer the previous kernel preserved with [`PreservedBuf`] at `phys`: appends
/// its first `len` bytes to `out` and frees it.
///
/// Fails with `EINVAL` if KHO did not preserve a buffer at `phys` or `len` does not fit it,
/// and with `ENOMEM` if `out` cannot grow (the buffer is freed all the same).
///
/// # Safety
///
/// As for [`restore_folio`]: the previous kernel must have preserved a buffer at `phys` with
/// [`PreservedBuf`], not restored before in this boot.
pub unsafe fn take_preserved(phys: u64, len: usize, out: &mut KVVec<u8>) -> Result {
    // SAFETY: Per the safety requirements.
    let folio = unsafe { restore_folio(phys) }.ok_or(EINVAL)?;
    append(folio.as_slice().get(..len).ok_or(EINVAL)?, out)
}

/// Appends `bytes` to `out` with one `memcpy`: `Vec::extend_from_slice` copies element by
/// element, which for bytes can be a byte loop, and megabytes of handover tables made that
/// loop a visible part of a mount.
fn append(bytes: &[u8], out: &mut KVVec<u8>) -> Result {
    out.reserve(bytes.len(), GFP_KERNEL)?;
    // SAFETY: After `reserve`, the spare capacity holds at least `bytes.len()` bytes, which
    // do not overlap `bytes` (`out` is borrowed mutably); once written they are initialised,
    // so the length may grow by that much within the capacity.
    unsafe {
        core::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            out.spare_capacity_mut().as_mut_ptr().cast::<u8>(),
            bytes.len(),
        );
        out.inc_len(bytes.len());
    }
    Ok(())
}
