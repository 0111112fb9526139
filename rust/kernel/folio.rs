// SPDX-License-Identifier: GPL-2.0

//! Folios: physically contiguous, power-of-two sized groups of pages.
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h),
//! [`include/linux/mm_types.h`](srctree/include/linux/mm_types.h).

use crate::{
    bindings, new_mutex,
    page::PAGE_SHIFT,
    prelude::*,
    sync::{aref::AlwaysRefCounted, Mutex},
    types::Opaque,
};
use core::{mem::ManuallyDrop, ptr::NonNull};

/// Returns the largest folio order the page cache uses for a mapping with large folios:
/// `MAX_PAGECACHE_ORDER` with `CONFIG_TRANSPARENT_HUGEPAGE`, else 0 (no large folios).
///
/// # Examples
///
/// ```
/// assert!(kernel::folio::max_pagecache_order() <= kernel::bindings::MAX_PAGE_ORDER);
/// ```
pub fn max_pagecache_order() -> u32 {
    // SAFETY: No preconditions.
    unsafe { bindings::max_pagecache_order() }
}

/// A reference-counted folio.
///
/// # Invariants
///
/// The pointer to a [`Folio`] always points to a valid `struct folio` whose reference count is
/// non-zero for as long as the reference exists.
///
/// # Examples
///
/// ```
/// use kernel::folio::Folio;
///
/// /// Returns the physical memory a folio spans.
/// fn span(f: &Folio) -> (u64, u64) {
///     (f.phys(), f.phys() + f.size() as u64)
/// }
/// ```
#[repr(transparent)]
pub struct Folio(Opaque<bindings::folio>);

// SAFETY: The folio reference count is atomic and folios may be used and released from any
// thread.
unsafe impl Send for Folio {}
// SAFETY: All `&self` methods only read immutable properties (pfn, order) or use atomic/locked C
// helpers, so shared references may be used from any thread.
unsafe impl Sync for Folio {}

// SAFETY: `folio_get` and `folio_put` implement the folio reference count; `ARef<Folio>` owns
// exactly one reference.
unsafe impl AlwaysRefCounted for Folio {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the reference count is non-zero.
        unsafe { bindings::folio_get(self.as_ptr()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller passes us ownership of one reference.
        unsafe { bindings::folio_put(obj.cast().as_ptr()) };
    }
}

impl Folio {
    /// Creates a reference to a [`Folio`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid folio with a non-zero reference count that stays valid for
    /// the lifetime `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::folio) -> &'a Self {
        // SAFETY: `Folio` is `repr(transparent)` over `struct folio`; validity per the safety
        // requirements.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct folio` pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::folio {
        self.0.get()
    }

    /// Returns the NUMA node of the folio's memory.
    pub fn nid(&self) -> i32 {
        // SAFETY: By the type invariant the folio is valid; its first member is its first
        // page.
        unsafe { bindings::page_to_nid(self.as_ptr().cast()) }
    }

    /// Returns the page frame number of the first page of the folio.
    #[inline]
    pub fn pfn(&self) -> usize {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_pfn(self.as_ptr()) }
    }

    /// Returns the physical address of the folio.
    #[inline]
    pub fn phys(&self) -> u64 {
        (self.pfn() as u64) << PAGE_SHIFT
    }

    /// Returns the allocation order of the folio (it spans `1 << order` pages).
    #[inline]
    pub fn order(&self) -> u32 {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_order(self.as_ptr()) }
    }

    /// Returns the size of the folio in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_size(self.as_ptr()) }
    }

    /// Returns the page-cache index of the first page of the folio.
    ///
    /// Only meaningful while the folio is in a page cache, as it is for folios handed out by
    /// [`crate::fs::inode::Inode::for_each_folio`].
    #[inline]
    pub fn index(&self) -> u64 {
        // SAFETY: By the type invariant the folio is valid.
        let pos = unsafe { bindings::folio_pos(self.as_ptr()) };
        (pos as u64) >> PAGE_SHIFT
    }

    /// Returns the byte offset of the folio in its file (`folio_pos`).
    ///
    /// Only meaningful while the folio is in a page cache.
    #[inline]
    pub fn pos(&self) -> i64 {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_pos(self.as_ptr()) }
    }

    /// Returns whether the folio is dirty (holds data written since it was created).
    #[inline]
    pub fn is_dirty(&self) -> bool {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_test_dirty(self.as_ptr()) }
    }
}

/// A folio fresh from the page allocator (or from a kexec handover) that its holder owns
/// exclusively: it holds the only reference (PFN walkers may take speculative ones, which they
/// drop without touching the folio), and the folio is in no page cache, mapped nowhere, not
/// locked, on no LRU list, not charged to a memory cgroup and not swap-backed.
///
/// Only such a folio may be inserted into a page cache (see
/// [`crate::fs::sb::NewSuperBlock::add_folio`]): insertion sets the lock bit non-atomically,
/// which is only sound while nobody else can see the folio. A [`UniqueFolio`] gives no access
/// to a shared [`Folio`] (which could be turned into a second reference).
///
/// Freshly allocated folios and folios restored from a kexec handover are unique; see
/// [`crate::kho::restore_folio`].
///
/// # Invariants
///
/// `ptr` points to a valid folio whose only reference is owned by this object; the folio is
/// fresh: not in a page cache, not mapped, not locked, on no LRU list, not charged to a memory
/// cgroup, not swap-backed, and not a hugetlb or slab folio; all its bytes are initialised.
///
/// # Examples
///
/// ```
/// use kernel::{folio::UniqueFolio, prelude::*};
///
/// /// Returns the first byte of a folio restored from a handover.
/// fn first_byte(folio: &UniqueFolio) -> u8 {
///     folio.as_slice()[0]
/// }
/// ```
pub struct UniqueFolio {
    ptr: NonNull<bindings::folio>,
}

// SAFETY: The folio is owned exclusively; it may be used and freed from any thread.
unsafe impl Send for UniqueFolio {}
// SAFETY: `&self` methods only read the folio's immutable properties.
unsafe impl Sync for UniqueFolio {}

impl UniqueFolio {
    /// Takes ownership of the only reference to a folio.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid folio whose only reference is owned by the caller and
    /// transferred to the returned object, and the folio must be fresh as the type invariant
    /// describes (for example just returned by `folio_alloc` without `__GFP_ACCOUNT`, or by
    /// `kho_restore_folio`). Every byte of it must be initialised (e.g. `__GFP_ZERO`, or data
    /// written before a kexec): it can be read, and put into a page cache as up to date.
    pub unsafe fn from_raw(ptr: NonNull<bindings::folio>) -> Self {
        // INVARIANT: Per the safety requirements.
        Self { ptr }
    }

    /// Gives up ownership of the folio and returns it, still referenced once.
    pub fn into_raw(self) -> NonNull<bindings::folio> {
        ManuallyDrop::new(self).ptr
    }

    /// Returns the allocation order of the folio (it spans `1 << order` pages).
    pub fn order(&self) -> u32 {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_order(self.ptr.as_ptr()) }
    }

    /// Returns the size of the folio in bytes.
    pub fn size(&self) -> usize {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_size(self.ptr.as_ptr()) }
    }

    /// Returns the contents of the folio.
    ///
    /// Only for folios in the kernel's linear map (not `HIGHMEM`): the memory behind
    /// [`crate::kho`], which is only built for 64-bit architectures.
    #[cfg(CONFIG_64BIT)]
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: By the type invariant the folio is valid and ours; without `HIGHMEM` every
        // folio is in the linear map, where `folio_address` returns its address, valid for
        // `folio_size` bytes as long as we hold the folio. Nobody else writes to it.
        unsafe {
            core::slice::from_raw_parts(
                bindings::folio_address(self.ptr.as_ptr()).cast::<u8>(),
                self.size(),
            )
        }
    }
}

impl Drop for UniqueFolio {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the only reference; this frees the folio.
        unsafe { bindings::folio_put(self.ptr.as_ptr()) };
    }
}

/// A folio fresh from the page allocator whose holder owns it exclusively and whose bytes are
/// not initialised.
///
/// It is what a page cache wants for a new folio that a write will fill: nothing reads it
/// through this type, and [`NewFolio::into_raw`] hands it on, e.g. to `filemap_add_folio`.
///
/// # Invariants
///
/// `ptr` points to a valid order-0 folio whose only reference is owned by this object; the
/// folio is fresh as for [`UniqueFolio`], but its contents may be uninitialised.
///
/// # Examples
///
/// ```
/// use kernel::{folio::FolioPacker, prelude::*};
///
/// /// Returns the physical address of a new page from `packer`, and frees it.
/// fn where_next(packer: &FolioPacker) -> Result<u64> {
///     Ok(packer.alloc()?.phys())
/// }
/// ```
pub struct NewFolio {
    ptr: NonNull<bindings::folio>,
}

// SAFETY: The folio is owned exclusively; it may be handed on and freed from any thread.
unsafe impl Send for NewFolio {}

impl NewFolio {
    /// Returns the physical address of the folio.
    pub fn phys(&self) -> u64 {
        // SAFETY: By the type invariant the folio is valid.
        (unsafe { bindings::folio_pfn(self.ptr.as_ptr()) } as u64) << PAGE_SHIFT
    }

    /// Gives up ownership of the folio and returns it, still referenced once; its contents are
    /// not initialised.
    pub fn into_raw(self) -> NonNull<bindings::folio> {
        ManuallyDrop::new(self).ptr
    }
}

impl Drop for NewFolio {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the only reference; this frees the folio.
        unsafe { bindings::folio_put(self.ptr.as_ptr()) };
    }
}

/// Order of the chunks a [`FolioPacker`] splits into pages (2 MiB with 4 KiB pages).
const PACK_ORDER: u32 = 9;

/// The pages of a split chunk not yet handed out.
///
/// # Invariants
///
/// `next` points to the first of `left` consecutive order-0 pages, each referenced once by
/// the owner of this object and otherwise fresh; `next` is only meaningful if `left > 0`.
struct Chunk {
    next: *mut bindings::page,
    left: usize,
    /// Allocations to serve with single pages before trying to get a chunk again.
    skip: usize,
}

// SAFETY: The pages are owned by the chunk; they may be handed out and freed from any thread.
unsafe impl Send for Chunk {}

/// Hands out order-0 folios that lie next to each other in physical memory.
///
/// The page allocator gives single pages from wherever it has them, interleaved with every
/// other allocation of the system. Memory that can never move (data of a file system whose
/// pages must keep their physical address, see [`crate::fs::sb::FileSystem::PINNED`]) then
/// ends up scattered over all of memory, where it blocks compaction and makes anything that
/// describes it by address ranges (such as a kexec handover) as long as it has pages.
///
/// A packer allocates chunks of `1 << 9` pages (2 MiB with 4 KiB pages) with `alloc_pages`,
/// splits each into single pages with `split_page` and hands them out in ascending address
/// order, so that consecutive allocations are adjacent. Pages handed out are ordinary order-0
/// pages: each is freed on its own when its last reference goes. A chunk is only taken if one
/// is free without reclaim or compaction; otherwise the packer hands out single pages from the
/// page allocator (with reclaim) for a chunk's worth of allocations before it tries again.
///
/// The pages of the current chunk not handed out yet belong to the packer: at most
/// `(1 << 9) - 1` of them, charged to no memory cgroup until handed out (the user charges each
/// page it uses, as `filemap_add_folio` does), and freed when the packer is dropped. The task
/// that gets a chunk decides its NUMA node for everything packed from it.
///
/// # Examples
///
/// ```
/// use kernel::{folio::FolioPacker, prelude::*};
///
/// /// Two new pages from one packer are usually adjacent.
/// fn adjacent(packer: &FolioPacker) -> Result<bool> {
///     let a = packer.alloc()?;
///     let b = packer.alloc()?;
///     Ok(b.phys() == a.phys() + kernel::page::PAGE_SIZE as u64)
/// }
///
/// fn example() -> Result<bool> {
///     let packer = KBox::pin_init(FolioPacker::new(), GFP_KERNEL)?;
///     adjacent(&packer)
/// }
/// ```
#[pin_data(PinnedDrop)]
pub struct FolioPacker {
    #[pin]
    chunk: Mutex<Chunk>,
}

impl FolioPacker {
    /// Creates a packer without pages; the first allocation gets a chunk.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // INVARIANT: No pages.
            chunk <- new_mutex!(Chunk {
                next: core::ptr::null_mut(),
                left: 0,
                skip: 0,
            }),
        })
    }

    /// Returns a new page (an order-0 folio) for data that must not move, after the last
    /// one handed out if possible. May sleep.
    pub fn alloc(&self) -> Result<NewFolio> {
        // Not movable, as pinned file data (`GFP_HIGHUSER`).
        let gfp = bindings::GFP_HIGHUSER;
        let mut c = self.chunk.lock();
        if c.left == 0 && c.skip == 0 {
            // A chunk only if one is free now: no direct reclaim or compaction (and no
            // waking of kswapd), no warning, no reserves.
            let reclaim = (1 << bindings::___GFP_DIRECT_RECLAIM_BIT)
                | (1 << bindings::___GFP_KSWAPD_RECLAIM_BIT);
            let quiet = bindings::__GFP_NOWARN
                | (1 << bindings::___GFP_NORETRY_BIT)
                | (1 << bindings::___GFP_NOMEMALLOC_BIT);
            // SAFETY: No preconditions; a non-null result is a non-compound block of
            // `1 << PACK_ORDER` pages referenced once, which `split_page` turns into as many
            // order-0 pages referenced once each.
            let page = unsafe {
                let page = bindings::alloc_pages((gfp & !reclaim) | quiet, PACK_ORDER);
                if !page.is_null() {
                    bindings::split_page(page, PACK_ORDER);
                }
                page
            };
            if page.is_null() {
                // Memory is fragmented or short: single pages for a chunk's worth of
                // allocations before the next attempt.
                c.skip = 1 << PACK_ORDER;
            } else {
                // INVARIANT: The chunk's pages, each referenced once by us.
                c.next = page;
                c.left = 1 << PACK_ORDER;
            }
        }
        if c.left > 0 {
            let page = c.next;
            c.left -= 1;
            // INVARIANT: `page` leaves the chunk; the next page is the chunk's next (or one
            // past its end when none is left, then not used).
            c.next = page.wrapping_add(1);
            return Self::folio(page);
        }
        c.skip -= 1;
        drop(c);
        // SAFETY: No preconditions.
        Self::folio(unsafe { bindings::alloc_pages(gfp, 0) })
    }

    /// Turns a fresh order-0 page referenced once by us (or null) into a [`NewFolio`].
    fn folio(page: *mut bindings::page) -> Result<NewFolio> {
        let page = NonNull::new(page).ok_or(ENOMEM)?;
        // INVARIANT: An order-0 page that is not part of a compound page is its own folio
        // (`page_folio` returns it); it is fresh and its only reference is ours.
        Ok(NewFolio { ptr: page.cast() })
    }
}

#[pinned_drop]
impl PinnedDrop for FolioPacker {
    fn drop(self: Pin<&mut Self>) {
        let c = self.chunk.lock();
        for i in 0..c.left {
            // SAFETY: By the type invariant of `Chunk` these pages are ours, referenced once.
            unsafe { bindings::__free_pages(c.next.add(i), 0) };
        }
    }
}
