// SPDX-License-Identifier: GPL-2.0

//! Mount options and space limits, as tmpfs has them. Uses only `kernel`.
//!
//! The options: `size=` (bytes with an optional `k`/`m`/`g`/`t`/`p`/`e` suffix, or a
//! percentage of RAM with `%`), `nr_blocks=` (pages), `nr_inodes=`, `mode=` (octal), `uid=`
//! and `gid=`. A limit of 0 means unlimited. Without `size=` an instance may use half of RAM,
//! and without `nr_inodes=` as many inodes as half of RAM has pages, like tmpfs on 64-bit
//! machines.
//!
//! [`Limits`] is the [`Accounting`] of an instance: it keeps the count of used blocks (pages)
//! and inodes against the limits.

use kernel::{
    fs::{
        accounting::{total_ram_pages, Accounting, Statfs},
        param::{memparse, FcLog, Param, Params, Spec, Value},
    },
    page::PAGE_SIZE,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::atomic::{Atomic, Relaxed},
};

/// Mount options given to one mount or remount; `None` for an option not given.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct MountOptions {
    /// Maximum number of blocks (pages), from `size=` or `nr_blocks=`; 0 is unlimited.
    pub(crate) blocks: Option<u64>,
    /// Maximum number of inodes (`nr_inodes=`); 0 is unlimited.
    pub(crate) inodes: Option<u64>,
    /// Permission bits of the root directory (`mode=`).
    pub(crate) mode: Option<u32>,
    /// Owner of the root directory (`uid=`), in the initial user namespace.
    pub(crate) uid: Option<u32>,
    /// Group of the root directory (`gid=`), in the initial user namespace.
    pub(crate) gid: Option<u32>,
}

/// Permission bits of a root directory created without `mode=`.
pub(crate) const DEFAULT_ROOT_MODE: u32 = 0o755;

const OPT_SIZE: u8 = 0;
const OPT_NR_BLOCKS: u8 = 1;
const OPT_NR_INODES: u8 = 2;
const OPT_MODE: u8 = 3;
const OPT_UID: u8 = 4;
const OPT_GID: u8 = 5;

/// The mount parameters.
pub(crate) const PARAMS: Params = Params::new(&[
    Spec::string(c"size", OPT_SIZE),
    Spec::string(c"nr_blocks", OPT_NR_BLOCKS),
    Spec::string(c"nr_inodes", OPT_NR_INODES),
    Spec::u32(c"mode", OPT_MODE, 8),
    Spec::uid(c"uid", OPT_UID),
    Spec::gid(c"gid", OPT_GID),
    Spec::END,
]);

/// Parses a `memparse` number (with optional suffix) that must use all of `s`, or a
/// percentage of RAM in pages if `percent` and `s` ends in `%`; returns bytes.
fn parse_size(s: &CStr, percent: bool) -> Result<u64> {
    let (mut n, rest) = memparse(s);
    let rest = match rest {
        [b'%'] if percent => {
            n = n
                .checked_mul(total_ram_pages() << kernel::page::PAGE_SHIFT)
                .ok_or(EINVAL)?
                / 100;
            &[][..]
        }
        r => r,
    };
    if !rest.is_empty() {
        return Err(EINVAL);
    }
    Ok(n)
}

impl MountOptions {
    /// Parses one mount parameter into `self`.
    pub(crate) fn parse(&mut self, p: &Param<'_>) -> Result {
        let log = p.log();
        match (p.opt(), p.value()) {
            (opt @ (OPT_SIZE | OPT_NR_BLOCKS), Value::String(string)) => {
                let is_size = opt == OPT_SIZE;
                let n = parse_size(string, is_size).inspect_err(|_| {
                    let what = if is_size { "size" } else { "nr_blocks" };
                    log.err(fmt!("bad {what} value"));
                })?;
                let page = PAGE_SIZE as u64;
                let blocks = if is_size { n.div_ceil(page) } else { n };
                if blocks > i64::MAX as u64 {
                    log.err(fmt!("bad nr_blocks value"));
                    return Err(EINVAL);
                }
                self.blocks = Some(blocks);
            }
            (OPT_NR_INODES, Value::String(string)) => {
                let n = parse_size(string, false)
                    .and_then(|n| {
                        if n > u64::MAX / 1024 {
                            Err(EINVAL)
                        } else {
                            Ok(n)
                        }
                    })
                    .inspect_err(|_| log.err(fmt!("bad nr_inodes value")))?;
                self.inodes = Some(n);
            }
            (OPT_MODE, Value::U32(mode)) => self.mode = Some(mode & 0o7777),
            (OPT_UID, Value::Uid(uid)) => self.uid = Some(uid),
            (OPT_GID, Value::Gid(gid)) => self.gid = Some(gid),
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

/// Block and inode limits and usage of one superblock, and the root attributes it was
/// created with (shown in `/proc/mounts`).
pub(crate) struct Limits {
    /// The defaults when the superblock was set up (RAM changes, e.g. as KHO memory is
    /// restored or freed): options equal to them are not shown.
    default_blocks: Atomic<u64>,
    default_inodes: Atomic<u64>,
    max_blocks: Atomic<u64>,
    max_inodes: Atomic<u64>,
    used_blocks: Atomic<u64>,
    used_inodes: Atomic<u64>,
    /// Whether `max_blocks` and `max_inodes` came from mount options (1) or defaults (0).
    explicit_blocks: Atomic<u32>,
    explicit_inodes: Atomic<u32>,
    mode: Atomic<u32>,
    uid: Atomic<u32>,
    gid: Atomic<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

impl Limits {
    /// Returns limits with the defaults (half of RAM) and no usage.
    pub(crate) fn new() -> Self {
        Self {
            default_blocks: Atomic::new(Self::default_blocks()),
            default_inodes: Atomic::new(Self::default_inodes()),
            max_blocks: Atomic::new(Self::default_blocks()),
            max_inodes: Atomic::new(Self::default_inodes()),
            used_blocks: Atomic::new(0),
            used_inodes: Atomic::new(0),
            explicit_blocks: Atomic::new(0),
            explicit_inodes: Atomic::new(0),
            mode: Atomic::new(DEFAULT_ROOT_MODE),
            uid: Atomic::new(0),
            gid: Atomic::new(0),
        }
    }

    fn default_blocks() -> u64 {
        total_ram_pages() / 2
    }

    fn default_inodes() -> u64 {
        total_ram_pages() / 2
    }

    /// Applies the options of the mount that creates the superblock.
    pub(crate) fn configure(&self, opts: &MountOptions) {
        let (def_blocks, def_inodes) = (Self::default_blocks(), Self::default_inodes());
        self.default_blocks.store(def_blocks, Relaxed);
        self.default_inodes.store(def_inodes, Relaxed);
        let blocks = opts.blocks.unwrap_or(def_blocks);
        let inodes = opts.inodes.unwrap_or(def_inodes);
        self.max_blocks.store(blocks, Relaxed);
        self.max_inodes.store(inodes, Relaxed);
        self.explicit_blocks
            .store(u32::from(opts.blocks.is_some()), Relaxed);
        self.explicit_inodes
            .store(u32::from(opts.inodes.is_some()), Relaxed);
        self.mode
            .store(opts.mode.unwrap_or(DEFAULT_ROOT_MODE), Relaxed);
        self.uid.store(opts.uid.unwrap_or(0), Relaxed);
        self.gid.store(opts.gid.unwrap_or(0), Relaxed);
    }

    /// Applies the limits of a remount (or of a mount of a live superblock), as tmpfs does:
    /// an unlimited size or inode count cannot be limited afterwards, and a limit below the
    /// current use is refused. `mode`, `uid` and `gid` only apply when the root is created.
    pub(crate) fn reconfigure(&self, opts: &MountOptions, log: &FcLog) -> Result {
        let check = |want: Option<u64>, max: &Atomic<u64>, used: &Atomic<u64>, what| match want {
            Some(n) if n != 0 => {
                if max.load(Relaxed) == 0 {
                    log.err(fmt!("cannot retroactively limit {what}"));
                    return Err(EINVAL);
                }
                if used.load(Relaxed) > n {
                    log.err(fmt!("too small a {what} limit for current use"));
                    return Err(EINVAL);
                }
                Ok(())
            }
            _ => Ok(()),
        };
        check(opts.blocks, &self.max_blocks, &self.used_blocks, "size")?;
        check(
            opts.inodes,
            &self.max_inodes,
            &self.used_inodes,
            "nr_inodes",
        )?;
        if let Some(n) = opts.blocks {
            self.max_blocks.store(n, Relaxed);
            self.explicit_blocks.store(1, Relaxed);
        }
        if let Some(n) = opts.inodes {
            self.max_inodes.store(n, Relaxed);
            self.explicit_inodes.store(1, Relaxed);
        }
        Ok(())
    }

    /// Makes room for `blocks` and `inodes` that already exist in memory (e.g. handed over
    /// from the previous kernel, which also made the RAM the default is computed from
    /// smaller): each limit that no mount option set (a default, half of RAM) grows by that
    /// amount, so the data fits and the default room is left on top. Limits set by options,
    /// and unlimited ones, are left alone.
    pub(crate) fn grow_defaults(&self, blocks: u64, inodes: u64) {
        // The grown value is the default from now on (`/proc/mounts` shows no option for it).
        let grow = |explicit: &Atomic<u32>, max: &Atomic<u64>, default: &Atomic<u64>, by| {
            let m = max.load(Relaxed);
            if explicit.load(Relaxed) == 0 && m != 0 {
                max.store(m.saturating_add(by), Relaxed);
                default.store(m.saturating_add(by), Relaxed);
            }
        };
        grow(
            &self.explicit_blocks,
            &self.max_blocks,
            &self.default_blocks,
            blocks,
        );
        grow(
            &self.explicit_inodes,
            &self.max_inodes,
            &self.default_inodes,
            inodes,
        );
    }

    /// Returns whether `blocks` more blocks and `inodes` more inodes fit the limits.
    pub(crate) fn fits(&self, blocks: u64, inodes: u64) -> bool {
        let fit = |max: &Atomic<u64>, used: &Atomic<u64>, n: u64| {
            let max = max.load(Relaxed);
            max == 0 || used.load(Relaxed).saturating_add(n) <= max
        };
        fit(&self.max_blocks, &self.used_blocks, blocks)
            && fit(&self.max_inodes, &self.used_inodes, inodes)
    }

    /// Adds `n` to `used` unless that exceeds `max` (0 is unlimited).
    fn charge(max: &Atomic<u64>, used: &Atomic<u64>, n: u64) -> Result {
        let mut cur = used.load(Relaxed);
        loop {
            let max = max.load(Relaxed);
            let new = cur.checked_add(n).ok_or(ENOSPC)?;
            if max != 0 && new > max {
                return Err(ENOSPC);
            }
            match used.cmpxchg(cur, new, Relaxed) {
                Ok(_) => return Ok(()),
                Err(now) => cur = now,
            }
        }
    }

    /// Returns `(max_blocks, used_blocks, max_inodes, used_inodes)`.
    pub(crate) fn usage(&self) -> (u64, u64, u64, u64) {
        (
            self.max_blocks.load(Relaxed),
            self.used_blocks.load(Relaxed),
            self.max_inodes.load(Relaxed),
            self.used_inodes.load(Relaxed),
        )
    }
}

impl Accounting for Limits {
    fn charge_inode(&self) -> Result {
        Self::charge(&self.max_inodes, &self.used_inodes, 1)
    }

    fn uncharge_inode(&self) {
        self.used_inodes.fetch_sub(1, Relaxed);
    }

    fn reserve_blocks(&self, n: u64) -> Result {
        Self::charge(&self.max_blocks, &self.used_blocks, n)
    }

    fn settle_blocks(&self, delta: i64, reserved: u64) {
        let change = delta.wrapping_sub(reserved as i64);
        self.used_blocks.fetch_add(change as u64, Relaxed);
    }

    /// As tmpfs does: block and inode totals only when limited.
    fn statfs(&self, st: &mut Statfs) {
        let (mb, ub, mi, ui) = self.usage();
        if mb != 0 {
            st.blocks = mb;
            st.bfree = mb.saturating_sub(ub);
            st.bavail = st.bfree;
        }
        if mi != 0 {
            st.files = mi;
            st.ffree = mi.saturating_sub(ui);
        }
    }

    /// The options that differ from the defaults.
    fn show_options(&self, m: &SeqFile) {
        let blocks = self.max_blocks.load(Relaxed);
        if blocks != self.default_blocks.load(Relaxed) {
            seq_print!(m, ",size={}k", blocks * (PAGE_SIZE as u64 / 1024));
        }
        let inodes = self.max_inodes.load(Relaxed);
        if inodes != self.default_inodes.load(Relaxed) {
            seq_print!(m, ",nr_inodes={inodes}");
        }
        let mode = self.mode.load(Relaxed);
        if mode != DEFAULT_ROOT_MODE {
            seq_print!(m, ",mode={mode:03o}");
        }
        let uid = self.uid.load(Relaxed);
        if uid != 0 {
            seq_print!(m, ",uid={uid}");
        }
        let gid = self.gid.load(Relaxed);
        if gid != 0 {
            seq_print!(m, ",gid={gid}");
        }
    }
}
