// SPDX-License-Identifier: GPL-2.0

//! Address-space operations: how a file system fills, writes and moves the folios of its page
//! cache (`struct address_space_operations`).
//!
//! A file system implements [`AddressSpaceOperations`] for a type of its own and names it as
//! its [`super::sb::FileSystem::Aops`]; [`AopsVtable`] turns the implementation into the C
//! table. The callbacks get typed arguments that carry the C contract: a [`LockedFolio`] is a
//! folio whose lock and one reference the callback owns (dropping it unlocks and releases it);
//! `migrate_folio` answers with a [`Migrate`] decision that the table carries out, so that a
//! folio is reported as moved only if it was.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h).

use crate::{
    bindings,
    error::{from_result, VTABLE_DEFAULT_ERROR},
    folio::Folio,
    fs::{
        inode::Inode,
        sb::{slot, FileSystem},
    },
    prelude::*,
    types::Opaque,
};
use core::{marker::PhantomData, ptr::NonNull};

/// The page cache (`struct address_space`) of an inode of a superblock of file system `T`.
///
/// # Invariants
///
/// A reference to a [`Mapping`] points to a valid mapping whose host inode, of a `T`
/// superblock, lives at least as long as the borrow.
#[repr(transparent)]
pub struct Mapping<T: FileSystem>(Opaque<bindings::address_space>, PhantomData<fn() -> T>);

impl<T: FileSystem> Mapping<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid mapping whose host, an inode of a `T` superblock, lives for
    /// `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::address_space) -> &'a Self {
        // SAFETY: `Mapping` is transparent over `struct address_space`; validity per the
        // safety requirements.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw `struct address_space` pointer.
    pub fn as_ptr(&self) -> *mut bindings::address_space {
        self.0.get()
    }

    /// Returns the inode that owns the page cache.
    pub fn host(&self) -> &Inode {
        // SAFETY: By the type invariant the mapping and its host are valid for the borrow.
        unsafe { Inode::from_raw((*self.as_ptr()).host) }
    }
}

/// A folio of the page cache of an inode of file system `T` whose lock and one reference are
/// owned by this object: dropping it unlocks the folio and releases the reference.
///
/// Only the page cache hands these out (to [`AddressSpaceOperations::read_folio`] and
/// [`AddressSpaceOperations::write_end`]), or [`LockedFolio::from_raw`] for a folio its caller
/// locked.
///
/// # Invariants
///
/// `folio` points to a folio on which this object owns one reference and whose lock
/// (`PG_locked`) it holds; the folio is in (or was just removed from) the page cache of an
/// inode of a `T` superblock that lives at least for `'a`.
///
/// # Examples
///
/// ```
/// use kernel::fs::{aops::LockedFolio, sb::FileSystem};
///
/// /// Fills `folio` with zeros unless it holds data; dropping it unlocks it.
/// fn zero_fill<T: FileSystem>(folio: LockedFolio<'_, T>) {
///     if !folio.is_uptodate() {
///         folio.zero_fill();
///     }
/// }
/// ```
pub struct LockedFolio<'a, T: FileSystem> {
    folio: NonNull<bindings::folio>,
    _mapping: PhantomData<&'a Mapping<T>>,
}

impl<T: FileSystem> LockedFolio<'_, T> {
    /// Takes over a locked folio and one reference to it.
    ///
    /// # Safety
    ///
    /// `folio` must be locked by the caller, who passes that lock and one reference to the
    /// new object; it must be in the page cache of an inode of a `T` superblock that lives
    /// for the lifetime of the result.
    pub unsafe fn from_raw(folio: NonNull<bindings::folio>) -> Self {
        // INVARIANT: Per the safety requirements.
        Self {
            folio,
            _mapping: PhantomData,
        }
    }

    /// Gives up the lock and the reference to the caller.
    pub fn into_raw(self) -> NonNull<bindings::folio> {
        core::mem::ManuallyDrop::new(self).folio
    }

    /// Returns whether the folio holds valid data (`folio_test_uptodate`).
    pub fn is_uptodate(&self) -> bool {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::folio_test_uptodate(self.folio.as_ptr()) }
    }

    /// Marks the folio as holding valid data (allowed because we hold its lock).
    ///
    /// # Safety
    ///
    /// Every byte of the folio must have been written (with file data or zeros): readers and
    /// mappings then see it, and page-cache memory is not zeroed when allocated.
    pub unsafe fn mark_uptodate(&self) {
        // SAFETY: By the type invariant the folio is valid and locked.
        unsafe { bindings::folio_mark_uptodate(self.folio.as_ptr()) }
    }

    /// Fills the whole folio with zeros and marks it as holding valid data.
    pub fn zero_fill(&self) {
        self.zero_range(0, self.size());
        self.flush_dcache();
        // SAFETY: Every byte was just zeroed.
        unsafe { self.mark_uptodate() };
    }

    /// Marks the folio dirty (`folio_mark_dirty`), through its mapping's `dirty_folio`.
    pub fn mark_dirty(&self) {
        // SAFETY: By the type invariant the folio is valid and locked, which keeps its
        // mapping stable as `folio_mark_dirty` requires.
        unsafe { bindings::folio_mark_dirty(self.folio.as_ptr()) };
    }

    /// Zeroes bytes `start..end` of the folio (clamped to its size) and flushes the data
    /// cache for them.
    pub fn zero_range(&self, start: usize, end: usize) {
        let size = self.size();
        let end = end.min(size);
        if start < end {
            // SAFETY: By the type invariant the folio is valid and locked; the range is
            // within the folio, as `folio_zero_segments` requires.
            unsafe { bindings::folio_zero_segments(self.folio.as_ptr(), start, end, 0, 0) };
        }
    }

    /// Flushes the data cache for the folio (`flush_dcache_folio`), after writing it through
    /// the kernel mapping.
    pub fn flush_dcache(&self) {
        // SAFETY: By the type invariant the folio is valid.
        unsafe { bindings::flush_dcache_folio(self.folio.as_ptr()) };
    }

    /// Removes the folio from its page cache (`generic_error_remove_folio`), e.g. when it
    /// could not be filled.
    pub fn remove_from_mapping(&self) {
        // SAFETY: By the type invariant the folio is valid and locked, as
        // `generic_error_remove_folio` requires; it ignores a folio without a mapping.
        unsafe {
            let mapping = bindings::folio_mapping(self.folio.as_ptr());
            if !mapping.is_null() {
                bindings::generic_error_remove_folio(mapping, self.folio.as_ptr());
            }
        }
    }
}

impl<T: FileSystem> core::ops::Deref for LockedFolio<'_, T> {
    type Target = Folio;

    fn deref(&self) -> &Folio {
        // SAFETY: By the type invariant we own a reference, so the folio is valid while we
        // exist.
        unsafe { Folio::from_raw(self.folio.as_ptr()) }
    }
}

impl<T: FileSystem> Drop for LockedFolio<'_, T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we hold the lock and one reference, given up here.
        unsafe {
            bindings::folio_unlock(self.folio.as_ptr());
            bindings::folio_put(self.folio.as_ptr());
        }
    }
}

/// What `migrate_folio` does with a folio that the kernel wants to move (compaction, memory
/// offlining, NUMA balancing).
pub enum Migrate {
    /// Move it as `filemap_migrate_folio` does: for page caches whose folios are plain memory
    /// (no private data to move besides the folio itself).
    Filemap,
    /// Keep it where it is; the migration fails with this error (e.g. `EBUSY`).
    Refuse(Error),
}

/// A read-ahead request (`struct readahead_control`).
#[repr(transparent)]
pub struct Readahead(Opaque<bindings::readahead_control>);

/// A `dirty_folio` call: a folio of the page cache of an inode of file system `T` is being
/// dirtied.
///
/// # Invariants
///
/// The pointers are the valid arguments of one `dirty_folio` call, for `'a`.
pub struct DirtyFolio<'a, T: FileSystem> {
    mapping: *mut bindings::address_space,
    folio: *mut bindings::folio,
    _p: PhantomData<&'a Mapping<T>>,
}

impl<T: FileSystem> DirtyFolio<'_, T> {
    /// Sets the dirty flag without tagging the folio in the page cache
    /// (`noop_dirty_folio`), for page caches that are never written back; returns whether
    /// it was clean.
    pub fn noop_dirty_folio(self) -> bool {
        // SAFETY: By the type invariant these are the arguments of a `dirty_folio` call.
        unsafe { bindings::noop_dirty_folio(self.mapping, self.folio) }
    }
}

/// The address-space operations of a file system (`struct address_space_operations`).
///
/// A slot without an implementation is left empty, with the page cache's default behaviour.
///
/// # Examples
///
/// ```
/// use core::marker::PhantomData;
/// use kernel::{
///     folio::Folio,
///     fs::{aops::{AddressSpaceOperations, Mapping, Migrate}, sb::FileSystem},
///     prelude::*,
/// };
///
/// /// Folios of file system `T` that never move: their physical address is given away.
/// struct Pinned<T>(PhantomData<T>);
///
/// #[vtable]
/// impl<T: FileSystem> AddressSpaceOperations for Pinned<T> {
///     type FileSystem = T;
///
///     fn migrate_folio(_mapping: &Mapping<T>, _src: &Folio) -> Migrate {
///         Migrate::Refuse(EBUSY)
///     }
/// }
/// ```
#[vtable]
pub trait AddressSpaceOperations: Sized + 'static {
    /// The file system whose page caches these operations serve.
    type FileSystem: FileSystem;

    /// `read_folio`: fills `folio` (locked, not up to date), e.g. on a page fault. The folio
    /// is unlocked when `folio` is dropped; mark it up to date first on success.
    fn read_folio(_folio: LockedFolio<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `readahead`: starts reading the folios of `rac`. The page cache removes those it did
    /// not fill.
    fn readahead(_rac: &Readahead) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write_begin`: returns the folio that a write of `len` bytes at `pos` goes to, locked.
    /// The caller holds the host's `i_rwsem`.
    fn write_begin<'a>(
        _mapping: &'a Mapping<Self::FileSystem>,
        _pos: i64,
        _len: u32,
    ) -> Result<LockedFolio<'a, Self::FileSystem>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write_end`: `copied` of the `len` bytes at `pos` were copied into `folio` (from
    /// `write_begin`); returns how many of them count as written (at most `copied`).
    fn write_end(
        _mapping: &Mapping<Self::FileSystem>,
        _pos: i64,
        _len: u32,
        _copied: u32,
        _folio: LockedFolio<'_, Self::FileSystem>,
    ) -> u32 {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `dirty_folio`: marks a folio dirty; returns whether it was clean.
    fn dirty_folio(_op: DirtyFolio<'_, Self::FileSystem>) -> bool {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `migrate_folio`: says whether `src` (locked) may move to another physical place.
    fn migrate_folio(_mapping: &Mapping<Self::FileSystem>, _src: &Folio) -> Migrate {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The C table of address-space operations `T`.
///
/// The table may only be installed on mappings of inodes of `T::FileSystem` superblocks: its
/// callbacks hand out objects that say so. [`super::memfs`] installs the table a
/// [`FileSystem`] names on its inodes.
pub struct AopsVtable<T>(PhantomData<T>);

impl<T: AddressSpaceOperations> AopsVtable<T> {
    /// The table, with the slots `T` implements.
    pub const VTABLE: bindings::address_space_operations = bindings::address_space_operations {
        read_folio: slot(T::HAS_READ_FOLIO, Self::read_folio),
        readahead: slot(T::HAS_READAHEAD, Self::readahead),
        write_begin: slot(T::HAS_WRITE_BEGIN, Self::write_begin),
        write_end: slot(T::HAS_WRITE_END, Self::write_end),
        dirty_folio: slot(T::HAS_DIRTY_FOLIO, Self::dirty_folio),
        migrate_folio: slot(T::HAS_MIGRATE_FOLIO, Self::migrate_folio),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// Called by the page cache as `read_folio`, with a locked folio of a live mapping.
    unsafe extern "C" fn read_folio(
        _file: *mut bindings::file,
        folio: *mut bindings::folio,
    ) -> c_int {
        // SAFETY: The page cache passes a valid, locked folio of a mapping of ours (where the
        // table is installed); a locked folio in a page cache is referenced by it, so we may
        // take a reference for the `LockedFolio`, which gives up the lock as `read_folio`
        // must.
        let folio = unsafe {
            bindings::folio_get(folio);
            LockedFolio::from_raw(NonNull::new_unchecked(folio))
        };
        from_result(|| T::read_folio(folio).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the page cache as `readahead`.
    unsafe extern "C" fn readahead(rac: *mut bindings::readahead_control) {
        // SAFETY: The page cache passes a valid request for the duration of the call.
        T::readahead(unsafe { &*rac.cast() })
    }

    /// # Safety
    ///
    /// Called by the page cache as `write_begin`, with `i_rwsem` of the host held.
    unsafe extern "C" fn write_begin(
        _iocb: *const bindings::kiocb,
        mapping: *mut bindings::address_space,
        pos: bindings::loff_t,
        len: c_uint,
        foliop: *mut *mut bindings::folio,
        _fsdata: *mut *mut c_void,
    ) -> c_int {
        // SAFETY: The mapping is valid for the call, and of an inode of ours (where the table
        // is installed).
        let mapping = unsafe { Mapping::<T::FileSystem>::from_raw(mapping) };
        from_result(|| {
            let folio = T::write_begin(mapping, pos, len)?;
            // SAFETY: `foliop` is valid for writes; the lock and reference go to the caller,
            // who gives them to `write_end`.
            unsafe { *foliop = folio.into_raw().as_ptr() };
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the page cache as `write_end`, with the folio from `write_begin`.
    unsafe extern "C" fn write_end(
        _iocb: *const bindings::kiocb,
        mapping: *mut bindings::address_space,
        pos: bindings::loff_t,
        len: c_uint,
        copied: c_uint,
        folio: *mut bindings::folio,
        _fsdata: *mut c_void,
    ) -> c_int {
        // SAFETY: The mapping is valid for the call, and ours; the folio is the locked and
        // referenced one `write_begin` returned, whose lock and reference `write_end`
        // consumes.
        let (mapping, folio) = unsafe {
            (
                Mapping::<T::FileSystem>::from_raw(mapping),
                LockedFolio::from_raw(NonNull::new_unchecked(folio)),
            )
        };
        // More than was copied would make the caller account for data that is not there.
        T::write_end(mapping, pos, len, copied, folio).min(copied) as c_int
    }

    /// # Safety
    ///
    /// Called by the page cache as `dirty_folio`.
    unsafe extern "C" fn dirty_folio(
        mapping: *mut bindings::address_space,
        folio: *mut bindings::folio,
    ) -> bool {
        // INVARIANT: The arguments of this `dirty_folio` call, on a mapping of ours.
        let op = DirtyFolio {
            mapping,
            folio,
            _p: PhantomData,
        };
        T::dirty_folio(op)
    }

    /// # Safety
    ///
    /// Called by the migration code as `migrate_folio`, with both folios locked.
    unsafe extern "C" fn migrate_folio(
        mapping: *mut bindings::address_space,
        dst: *mut bindings::folio,
        src: *mut bindings::folio,
        mode: bindings::migrate_mode,
    ) -> c_int {
        // SAFETY: The migration code passes a valid mapping of ours and a locked, referenced
        // source folio.
        let decision = unsafe {
            T::migrate_folio(
                Mapping::<T::FileSystem>::from_raw(mapping),
                Folio::from_raw(src),
            )
        };
        match decision {
            // SAFETY: These are the arguments of this `migrate_folio` call. The migration
            // code handles the result: success only if the folio really moved.
            #[cfg(CONFIG_MIGRATION)]
            Migrate::Filemap => unsafe { bindings::filemap_migrate_folio(mapping, dst, src, mode) },
            // Never called without migration.
            #[cfg(not(CONFIG_MIGRATION))]
            Migrate::Filemap => {
                let _ = (dst, mode);
                EINVAL.to_errno()
            }
            Migrate::Refuse(e) => e.to_errno(),
        }
    }
}
