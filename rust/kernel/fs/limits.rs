// SPDX-License-Identifier: GPL-2.0

//! Mount options and space limits of in-memory file systems, as tmpfs has them.
//!
//! The options are parsed with the kernel's `fs_parser`: `size=` (bytes with an optional
//! `k`/`m`/`g`/`t`/`p`/`e` suffix, or a percentage of RAM with `%`), `nr_blocks=` (pages),
//! `nr_inodes=`, `mode=` (octal), `uid=` and `gid=`. A limit of 0 means unlimited. Without
//! `size=` a superblock may use half of RAM, and without `nr_inodes=` as many inodes as half
//! of RAM has pages, like tmpfs on 64-bit machines.
//!
//! [`Limits`] keeps the count of used blocks (pages) and inodes of a superblock. Blocks are
//! accounted per inode in `i_blocks`, which follows the page cache (`nrpages`): before the
//! page cache grows, space is reserved; after it changed, the inode is settled, turning the
//! reservation into the difference between `nrpages` and what the inode was charged before.
//!
//! C header: [`include/linux/fs_parser.h`](srctree/include/linux/fs_parser.h).

use crate::{
    bindings,
    ffi::{c_char, c_long, c_void},
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::atomic::{Atomic, Relaxed},
};

/// The error log of a mount context: messages go to the `fsconfig(2)` caller, or to the
/// kernel log (`<fstype>: message`) for `mount(2)`.
///
/// # Invariants
///
/// `0` points to a valid `fs_context` that the current thread operates on.
pub(crate) struct FcLog(*mut bindings::fs_context);

impl FcLog {
    /// Returns the log of `fc`.
    ///
    /// # Safety
    ///
    /// `fc` must be a valid `fs_context` used by the current thread for the lifetime of the
    /// returned object.
    pub(crate) unsafe fn new(fc: *mut bindings::fs_context) -> Self {
        Self(fc)
    }

    /// Logs an error, like `errorfc`.
    pub(crate) fn err(&self, args: crate::fmt::Arguments<'_>) {
        // SAFETY: By the type invariant the context is valid; `%pA` formats `args`, which
        // outlives the call.
        unsafe {
            let log = &raw mut (*self.0).log;
            bindings::logfc(
                (*log).log,
                (*log).prefix,
                b'e' as c_char,
                c"%pA".as_char_ptr(),
                core::ptr::from_ref(&args).cast::<c_void>(),
            );
        }
    }
}

/// Mount options given to one mount or remount; `None` for an option not given.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct MountOptions {
    /// Maximum number of blocks (pages), from `size=` or `nr_blocks=`; 0 is unlimited.
    pub blocks: Option<u64>,
    /// Maximum number of inodes (`nr_inodes=`); 0 is unlimited.
    pub inodes: Option<u64>,
    /// Permission bits of the root directory (`mode=`).
    pub mode: Option<u32>,
    /// Owner of the root directory (`uid=`), in the initial user namespace.
    pub uid: Option<u32>,
    /// Group of the root directory (`gid=`), in the initial user namespace.
    pub gid: Option<u32>,
}

/// Permission bits of a root directory created without `mode=`.
pub const DEFAULT_ROOT_MODE: u32 = 0o755;

const OPT_SIZE: u8 = 0;
const OPT_NR_BLOCKS: u8 = 1;
const OPT_NR_INODES: u8 = 2;
const OPT_MODE: u8 = 3;
const OPT_UID: u8 = 4;
const OPT_GID: u8 = 5;

/// The `fs_parameter_spec` table, terminated by an all-zero entry.
struct Specs([bindings::fs_parameter_spec; 7]);

// SAFETY: The table is immutable; its pointers are to static strings and functions.
unsafe impl Sync for Specs {}

const fn spec(
    name: &'static CStr,
    ty: bindings::fs_param_type,
    opt: u8,
    data: *const c_void,
) -> bindings::fs_parameter_spec {
    bindings::fs_parameter_spec {
        name: name.to_bytes_with_nul().as_ptr(),
        type_: ty,
        opt,
        flags: 0,
        data,
    }
}

static SPECS: Specs = Specs([
    spec(
        c"size",
        Some(bindings::fs_param_is_string),
        OPT_SIZE,
        core::ptr::null(),
    ),
    spec(
        c"nr_blocks",
        Some(bindings::fs_param_is_string),
        OPT_NR_BLOCKS,
        core::ptr::null(),
    ),
    spec(
        c"nr_inodes",
        Some(bindings::fs_param_is_string),
        OPT_NR_INODES,
        core::ptr::null(),
    ),
    // `fsparam_u32oct`: the data is the number base.
    spec(
        c"mode",
        Some(bindings::fs_param_is_u32),
        OPT_MODE,
        core::ptr::without_provenance(8),
    ),
    spec(
        c"uid",
        Some(bindings::fs_param_is_uid),
        OPT_UID,
        core::ptr::null(),
    ),
    spec(
        c"gid",
        Some(bindings::fs_param_is_gid),
        OPT_GID,
        core::ptr::null(),
    ),
    // SAFETY: An all-zero entry terminates the table.
    unsafe { core::mem::zeroed() },
]);

/// Returns the number of pages of RAM.
fn total_ram_pages() -> u64 {
    // SAFETY: No preconditions.
    unsafe { bindings::totalram_pages() as u64 }
}

/// Parses a `memparse` number (with optional suffix) that must use all of `s`, or a
/// percentage of RAM in pages if `percent` and `s` ends in `%`; returns bytes.
///
/// # Safety
///
/// `s` must be a valid C string.
unsafe fn parse_size(s: *const c_char, percent: bool) -> Result<u64> {
    let mut rest: *mut c_char = core::ptr::null_mut();
    // SAFETY: `s` is a valid C string; `memparse` stops at its end or earlier.
    let mut n = unsafe { bindings::memparse(s, &mut rest) };
    // SAFETY: `rest` points into `s`, at most at its NUL.
    unsafe {
        if percent && *rest == b'%' as c_char {
            n = n
                .checked_mul(total_ram_pages() << crate::page::PAGE_SHIFT)
                .ok_or(EINVAL)?
                / 100;
            rest = rest.add(1);
        }
        if *rest != 0 {
            return Err(EINVAL);
        }
    }
    Ok(n)
}

impl MountOptions {
    /// Parses one mount parameter into `self`.
    ///
    /// Returns `ENOPARAM` (as an error) for a parameter that is not one of ours, so the VFS
    /// can handle it (e.g. `source`).
    ///
    /// # Safety
    ///
    /// `fc` and `param` must be the valid arguments of `fs_context_operations::parse_param`.
    pub(crate) unsafe fn parse(
        &mut self,
        fc: *mut bindings::fs_context,
        param: *mut bindings::fs_parameter,
    ) -> Result {
        let mut result = bindings::fs_parse_result::default();
        // SAFETY: Per the safety requirements `fc` and `param` are valid; the table is
        // terminated and static.
        let opt = unsafe {
            bindings::__fs_parse(&raw mut (*fc).log, SPECS.0.as_ptr(), param, &mut result)
        };
        let opt = u8::try_from(opt).map_err(|_| Error::from_errno(opt))?;
        // SAFETY: `fc` is valid and ours for this call.
        let log = unsafe { FcLog::new(fc) };
        // SAFETY: `fs_parse` checked the parameter has the type of its spec, so the union
        // member read below is the one it filled (a string parameter has `string` set).
        let string = unsafe { (*param).__bindgen_anon_1.string };
        match opt {
            OPT_SIZE | OPT_NR_BLOCKS => {
                let is_size = opt == OPT_SIZE;
                // SAFETY: A string parameter has a valid string.
                let n = unsafe { parse_size(string, is_size) }.inspect_err(|_| {
                    let what = if is_size { "size" } else { "nr_blocks" };
                    log.err(fmt!("bad {what} value"));
                })?;
                let page = crate::page::PAGE_SIZE as u64;
                let blocks = if is_size { n.div_ceil(page) } else { n };
                if blocks > i64::MAX as u64 {
                    log.err(fmt!("bad nr_blocks value"));
                    return Err(EINVAL);
                }
                self.blocks = Some(blocks);
            }
            OPT_NR_INODES => {
                // SAFETY: As above.
                let n = unsafe { parse_size(string, false) }
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
            // SAFETY: A `u32` parameter set `uint_32`.
            OPT_MODE => self.mode = Some(unsafe { result.__bindgen_anon_1.uint_32 } & 0o7777),
            OPT_UID | OPT_GID => {
                // SAFETY: `fc` is valid. `fs_param_is_uid`/`_gid` set `uid`/`gid`, mapped
                // through the context's user namespace; both are `u32` wrappers.
                let (local, global) = unsafe {
                    let ns = (*fc).user_ns;
                    let init = &raw mut bindings::init_user_ns;
                    if opt == OPT_UID {
                        let k = result.__bindgen_anon_1.uid;
                        (bindings::from_kuid(ns, k), bindings::from_kuid(init, k))
                    } else {
                        let k = result.__bindgen_anon_1.gid;
                        (bindings::from_kgid(ns, k), bindings::from_kgid(init, k))
                    }
                };
                // The id must be representable in the file system's idmapping.
                if local == u32::MAX || global == u32::MAX {
                    let what = if opt == OPT_UID { "uid" } else { "gid" };
                    log.err(fmt!("{what} not mapped"));
                    return Err(EINVAL);
                }
                if opt == OPT_UID {
                    self.uid = Some(global);
                } else {
                    self.gid = Some(global);
                }
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }
}

/// Block and inode limits and usage of one superblock, and the root attributes it was
/// created with (shown in `/proc/mounts`).
pub struct Limits {
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
    pub fn new() -> Self {
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
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::fs::limits::Limits;
    ///
    /// let l = Limits::new();
    /// let (max_blocks, _, _, _) = l.usage();
    /// l.grow_defaults(10, 1);
    /// assert!(l.fits(max_blocks + 10, 1));
    /// ```
    pub fn grow_defaults(&self, blocks: u64, inodes: u64) {
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
    pub fn fits(&self, blocks: u64, inodes: u64) -> bool {
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

    /// Reserves `n` blocks before the page cache grows; fails with `ENOSPC` if full.
    pub(crate) fn reserve_blocks(&self, n: u64) -> Result {
        Self::charge(&self.max_blocks, &self.used_blocks, n)
    }

    /// Accounts a change of `delta` pages in an inode's page cache that used `reserved`
    /// blocks reserved by [`Limits::reserve_blocks`].
    pub(crate) fn settle_blocks(&self, delta: i64, reserved: u64) {
        let change = delta.wrapping_sub(reserved as i64);
        self.used_blocks.fetch_add(change as u64, Relaxed);
    }

    /// Charges one inode; fails with `ENOSPC` if the inode limit is reached.
    pub(crate) fn charge_inode(&self) -> Result {
        Self::charge(&self.max_inodes, &self.used_inodes, 1)
    }

    /// Releases one inode.
    pub(crate) fn uncharge_inode(&self) {
        self.used_inodes.fetch_sub(1, Relaxed);
    }

    /// Returns `(max_blocks, used_blocks, max_inodes, used_inodes)`.
    pub fn usage(&self) -> (u64, u64, u64, u64) {
        (
            self.max_blocks.load(Relaxed),
            self.used_blocks.load(Relaxed),
            self.max_inodes.load(Relaxed),
            self.used_inodes.load(Relaxed),
        )
    }

    /// Fills `buf` for `statfs`, as tmpfs does: block and inode totals only when limited.
    pub(crate) fn statfs(&self, buf: &mut bindings::kstatfs) {
        let (mb, ub, mi, ui) = self.usage();
        buf.f_bsize = crate::page::PAGE_SIZE as c_long;
        buf.f_namelen = bindings::NAME_MAX as c_long;
        if mb != 0 {
            buf.f_blocks = mb;
            buf.f_bfree = mb.saturating_sub(ub);
            buf.f_bavail = buf.f_bfree;
        }
        if mi != 0 {
            buf.f_files = mi;
            buf.f_ffree = mi.saturating_sub(ui);
        }
    }

    /// Writes the options that differ from the defaults, as `,name=value` (`/proc/mounts`).
    pub(crate) fn show(&self, m: &SeqFile) {
        let blocks = self.max_blocks.load(Relaxed);
        if blocks != self.default_blocks.load(Relaxed) {
            seq_print!(
                m,
                ",size={}k",
                blocks * (crate::page::PAGE_SIZE as u64 / 1024)
            );
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
