// SPDX-License-Identifier: GPL-2.0

//! The address-space operations of khofs: those of an in-memory file system
//! ([`memfs::Aops`]), except that folios never migrate.
//!
//! The next kernel finds each folio at the physical address the handover recorded, so a folio
//! must keep its address from its allocation (from memory that is not movable, see
//! [`FileSystem::PINNED`]) until the kexec. Compaction and memory offlining still try to move
//! unevictable page-cache folios; `migrate_folio` refuses.

use core::marker::PhantomData;
use kernel::{
    folio::Folio,
    fs::{
        aops::{AddressSpaceOperations, DirtyFolio, LockedFolio, Mapping, Migrate, Readahead},
        memfs,
        sb::FileSystem,
    },
    prelude::*,
};

/// The address-space operations of file system `T`: [`memfs::Aops`] with migration refused.
pub(crate) struct Pinned<T>(PhantomData<T>);

#[vtable]
impl<T: FileSystem> AddressSpaceOperations for Pinned<T> {
    type FileSystem = T;

    fn read_folio(folio: LockedFolio<'_, T>) -> Result {
        memfs::Aops::<T>::read_folio(folio)
    }

    fn readahead(rac: &Readahead) {
        memfs::Aops::<T>::readahead(rac)
    }

    fn write_begin<'a>(mapping: &'a Mapping<T>, pos: i64, len: u32) -> Result<LockedFolio<'a, T>> {
        memfs::Aops::<T>::write_begin(mapping, pos, len)
    }

    fn write_end(
        mapping: &Mapping<T>,
        pos: i64,
        len: u32,
        copied: u32,
        folio: LockedFolio<'_, T>,
    ) -> u32 {
        memfs::Aops::<T>::write_end(mapping, pos, len, copied, folio)
    }

    fn dirty_folio(op: DirtyFolio<'_, T>) -> bool {
        memfs::Aops::<T>::dirty_folio(op)
    }

    /// Folios stay at their physical address for their whole life, so a preserved address can
    /// never go stale.
    fn migrate_folio(_mapping: &Mapping<T>, _src: &Folio) -> Migrate {
        Migrate::Refuse(EBUSY)
    }
}
