// SPDX-License-Identifier: GPL-2.0

//! Space and inode accounting of in-memory file systems.
//!
//! A file system whose data lives only in the page cache decides how much of it may exist: the
//! page-cache operations of [`super::memfs`] call its [`Accounting`] before the page cache or
//! the number of inodes grows and after they shrink, and `statfs` and `/proc/mounts` ask it
//! what to show. [`Unlimited`] accounts nothing.
//!
//! Blocks are pages. The page cache of each inode is charged in its `i_blocks`, which follows
//! `nrpages`: before the page cache grows, space is reserved ([`Accounting::reserve_blocks`]);
//! after it changed, the inode is settled ([`Accounting::settle_blocks`]), turning the
//! reservation into the difference between `nrpages` and what the inode was charged before.
//!
//! Nothing is released when a superblock is torn down: its accounting goes away with it (the
//! instance data is dropped before the inodes are evicted). An accounting that outlives its
//! superblock must reset itself then.

use crate::{bindings, prelude::*, seq_file::SeqFile};

/// What `statfs` reports about blocks (pages) and inodes; zero totals mean unlimited.
///
/// # Examples
///
/// ```
/// use kernel::fs::accounting::Statfs;
///
/// /// 1000 blocks, 10 in use; inodes unlimited.
/// fn report(st: &mut Statfs) {
///     st.blocks = 1000;
///     st.bfree = 990;
///     st.bavail = 990;
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statfs {
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Blocks available to unprivileged users.
    pub bavail: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
}

/// The accounting of one superblock of an in-memory file system.
///
/// Called concurrently from any context that may sleep; implementations use atomics or locks.
///
/// # Examples
///
/// ```
/// use kernel::{
///     fs::accounting::Accounting,
///     prelude::*,
///     sync::atomic::{Atomic, Relaxed},
/// };
///
/// /// At most 1000 inodes, any amount of data.
/// struct InodeCap(Atomic<u64>);
///
/// impl Accounting for InodeCap {
///     fn charge_inode(&self) -> Result {
///         if self.0.fetch_add(1, Relaxed) >= 1000 {
///             self.0.fetch_sub(1, Relaxed);
///             return Err(ENOSPC);
///         }
///         Ok(())
///     }
///     fn uncharge_inode(&self) {
///         self.0.fetch_sub(1, Relaxed);
///     }
///     fn reserve_blocks(&self, _pages: u64) -> Result {
///         Ok(())
///     }
///     fn settle_blocks(&self, _delta: i64, _reserved: u64) {}
/// }
/// ```
pub trait Accounting: Send + Sync {
    /// Charges one inode (a new inode, or an extra name); `ENOSPC` if none is left.
    fn charge_inode(&self) -> Result;

    /// Releases what [`Accounting::charge_inode`] charged.
    fn uncharge_inode(&self);

    /// Charges an extra name of an inode (`link(2)`, or a hard link built at setup). The
    /// default charges it like an inode, as tmpfs does (each name pins a dentry).
    fn charge_link(&self) -> Result {
        self.charge_inode()
    }

    /// Releases what [`Accounting::charge_link`] charged.
    fn uncharge_link(&self) {
        self.uncharge_inode()
    }

    /// Reserves `pages` blocks before the page cache grows; `ENOSPC` if they do not fit.
    fn reserve_blocks(&self, pages: u64) -> Result;

    /// Accounts a change of `delta` pages in an inode's page cache that used `reserved` blocks
    /// reserved beforehand (the reservation is released whatever `delta` is).
    fn settle_blocks(&self, delta: i64, reserved: u64);

    /// Fills in what `statfs` reports. The default reports no limits.
    fn statfs(&self, _st: &mut Statfs) {}

    /// Writes the mount options to show in `/proc/mounts`, each as `,name=value`. The default
    /// shows none.
    fn show_options(&self, _m: &SeqFile) {}
}

/// No limits: every charge succeeds.
///
/// # Examples
///
/// ```
/// use kernel::fs::accounting::{Accounting, Unlimited};
///
/// assert!(Unlimited.reserve_blocks(u64::MAX).is_ok());
/// ```
pub struct Unlimited;

impl Accounting for Unlimited {
    fn charge_inode(&self) -> Result {
        Ok(())
    }

    fn uncharge_inode(&self) {}

    fn reserve_blocks(&self, _pages: u64) -> Result {
        Ok(())
    }

    fn settle_blocks(&self, _delta: i64, _reserved: u64) {}
}

/// Returns the number of pages of RAM (`totalram_pages()`), which limits relative to memory
/// are computed from.
///
/// # Examples
///
/// ```
/// assert!(kernel::fs::accounting::total_ram_pages() > 0);
/// ```
pub fn total_ram_pages() -> u64 {
    // SAFETY: No preconditions.
    unsafe { bindings::totalram_pages() as u64 }
}
