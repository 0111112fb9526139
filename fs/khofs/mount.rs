// SPDX-License-Identifier: GPL-2.0

//! The khofs file system type, its named instances and their superblock lifecycle.
//!
//! The mount source names the instance: `mount -t khofs db /mnt/db` mounts instance `db`,
//! creating it if needed; every mount of `db` shows the same tree, and after a kexec the first
//! mount of `db` takes over what the previous kernel handed over for `db`.

use crate::{
    incoming,
    instance::{is_valid_instance_name, Instance, NAME_MAX},
    limits::{self, Limits, MountOptions, DEFAULT_ROOT_MODE},
    registry::{self, Held, Named, STATE},
};
use kernel::{
    folio::FolioPacker,
    fs::{
        inode::{Attrs, S_IFDIR},
        memfs,
        param::{FcLog, Param, Params},
        sb::{FileSystem, NewSuperBlock, SuperBlock, SuperOperations, SuperPin},
    },
    prelude::*,
    str::CString,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, ArcBorrow,
    },
    time::{Delta, Instant, Monotonic},
};

/// `KHOFS_MAGIC` from `include/uapi/linux/khofs.h`.
pub(crate) const KHOFS_MAGIC: u32 = 0x6b686f66;

/// Name of the instance mounted without a source.
const DEFAULT_NAME: &[u8] = b"none";

/// Inode number of the root of a fresh instance.
const ROOT_INO: u64 = 1;

pub(crate) struct KhoFs;

#[vtable]
impl FileSystem for KhoFs {
    type Data = Arc<Instance>;
    type Accounting = Limits;
    type SuperOps = KhofsSuper;
    type Options = MountOptions;
    type DirOps = memfs::DirOps<Self>;
    type FileInodeOps = memfs::FileInodeOps<Self>;
    type FileOps = memfs::FileOps<Self>;
    // With `PINNED`, its folios refuse migration: their addresses go to the next kernel.
    type Aops = memfs::Aops<Self>;
    const NAME: &'static CStr = c"khofs";
    const MAGIC: u32 = KHOFS_MAGIC;
    const PARAMS: Params = limits::PARAMS;
    // The addresses of the folios are handed to the next kernel: not from movable memory.
    const PINNED: bool = true;

    fn instance(source: Option<&CStr>) -> Result<Arc<Instance>> {
        let name = source.map_or(DEFAULT_NAME, |s| s.to_bytes());
        if !is_valid_instance_name(name) {
            pr_err!(
                "invalid instance name (mount source): use 1 to {NAME_MAX} of [A-Za-z0-9._-]\n"
            );
            return Err(EINVAL);
        }
        let mut state = STATE.lock();
        if let Some(n) = state
            .instances
            .iter()
            .find(|n| n.inst.name.as_slice() == name)
        {
            return Ok(n.inst.clone());
        }
        let mut owned = KVec::new();
        owned.extend_from_slice(name, GFP_KERNEL)?;
        let text = core::str::from_utf8(name).map_err(|_| EINVAL)?;
        let node = CString::try_from_fmt(fmt!("khofs-{text}"))?;
        let inst = Arc::pin_init(
            try_pin_init!(Instance {
                name: owned,
                node,
                next_ino: Atomic::new(ROOT_INO + 1),
                limits: Limits::new(),
                packer <- FolioPacker::new(),
            }? Error),
            GFP_KERNEL,
        )?;
        state.instances.push(
            Named {
                inst: inst.clone(),
                pin: None,
                published: None,
            },
            GFP_KERNEL,
        )?;
        Ok(inst)
    }

    fn accounting<'a>(inst: &'a ArcBorrow<'_, Instance>) -> &'a Limits {
        &inst.limits
    }

    fn packer<'a>(inst: &'a ArcBorrow<'_, Instance>) -> Option<&'a FolioPacker> {
        Some(&inst.packer)
    }

    fn parse_param(opts: &mut MountOptions, param: &Param<'_>) -> Result {
        opts.parse(param)
    }

    fn reconfigure(inst: ArcBorrow<'_, Instance>, opts: &MountOptions, log: &FcLog) -> Result {
        inst.limits.reconfigure(opts, log)
    }

    fn fill_super(
        sb: &NewSuperBlock<Self>,
        inst: ArcBorrow<'_, Instance>,
        opts: &MountOptions,
    ) -> Result {
        inst.limits.configure(opts);
        build(sb, &inst)?;
        // `mode=`, `uid=` and `gid=` apply to the root, new or taken over.
        let root = sb.root().and_then(|r| r.inode()).ok_or(EINVAL)?;
        sb.set_attrs(&root, opts.mode, opts.uid, opts.gid)
    }

    fn kill_super(data: Arc<Instance>) {
        // The instance goes away with its superblock (it was not pinned, or its setup
        // failed): forget it, withdrawing anything prepared for it.
        let mut state = STATE.lock();
        let gone = state
            .instances
            .iter()
            .position(|n| Arc::ptr_eq(&n.inst, &data))
            .map(|i| state.instances.remove(i));
        drop(state);
        // Dropped without the lock: what it holds (a pin, a prepared handover) may take it.
        drop(gone);
    }

    fn new_ino(data: ArcBorrow<'_, Instance>) -> u64 {
        data.next_ino.fetch_add(1, Relaxed)
    }

    fn mounted(inst: ArcBorrow<'_, Instance>, pin: Result<SuperPin>) {
        let pin = match pin.and_then(|p| Arc::new(p, GFP_KERNEL).map_err(Into::into)) {
            Ok(p) => p,
            Err(e) => {
                pr_err!("cannot pin the instance ({e:?}): its files will not survive umount\n");
                return;
            }
        };
        let mut state = STATE.lock();
        if let Some(n) = state.find(&inst) {
            if n.pin.is_none() {
                n.pin = Some(pin);
                return;
            }
        }
        drop(state);
        // Already pinned by an earlier mount; `pin` is dropped here, without the lock.
    }
}

/// The superblock operations of khofs: freezing an instance prepares its handover, thawing it
/// withdraws the handover.
pub(crate) struct KhofsSuper;

#[vtable]
impl SuperOperations for KhofsSuper {
    type FileSystem = KhoFs;

    fn freeze_fs(sb: &SuperBlock<KhoFs>) -> Result {
        registry::prepare(&sb.data(), sb.root())
    }

    fn unfreeze_fs(sb: &SuperBlock<KhoFs>) -> Result {
        registry::withdraw(&sb.data());
        Ok(())
    }
}

/// Sets up the tree of a new superblock of `inst`: takes over what the previous kernel handed
/// over for it, or creates an empty root.
fn build(sb: &NewSuperBlock<KhoFs>, inst: &Instance) -> Result {
    let mut state = STATE.lock();
    // A mount racing with the teardown of the instance's last superblock may get the
    // dying instance: it is no longer registered, so it would be neither kept nor handed
    // over. Let that mount fail; the next one creates the instance anew.
    if state.find(inst).is_none() {
        return Err(EBUSY);
    }
    // The first mount of an instance after a KHO boot takes over what the previous kernel
    // handed over for it. A handover that does not fit the mount's limits, or that could
    // not be checked for lack of memory, waits for the next mount.
    let start = Instant::<Monotonic>::now();
    let Some(m) = state.incoming(&inst.name, &inst.node)? else {
        drop(state);
        let attrs = Attrs {
            mode: S_IFDIR | DEFAULT_ROOT_MODE,
            ..Default::default()
        };
        sb.set_root(sb.new_inode(&attrs, Some(ROOT_INO), false)?)?;
        inst.next_ino.store(ROOT_INO + 1, Relaxed);
        return Ok(());
    };
    let name = inst.name_str();
    let decoded = start.elapsed();
    let index = match incoming::validate(name, &m) {
        Ok(i) => i,
        Err(e) if e == ENOMEM => {
            state.hold(&inst.name, Held::Decoded(m))?;
            return Err(e);
        }
        // Refused, its folios freed.
        Err(e) => return Err(e),
    };
    // Limits not given as options grow by what was handed over.
    let (blocks, inodes) = m.usage();
    inst.limits.grow_defaults(blocks, inodes);
    if !inst.limits.fits(blocks, inodes) {
        pr_err!(
            "{name}: the handover holds {} KiB in {} inodes, more than size=/nr_inodes= \
             allow; mount with larger limits\n",
            blocks * (kernel::page::PAGE_SIZE as u64 / 1024),
            inodes
        );
        state.hold(&inst.name, Held::Decoded(m))?;
        return Err(ENOSPC);
    }
    drop(state);
    let validated = start.elapsed();
    match incoming::build_tree(sb, &m, &index) {
        Ok(next_ino) => {
            inst.next_ino.store(next_ino, Relaxed);
            let total = start.elapsed();
            let us = |d: Delta| d.as_micros_ceil();
            pr_info!(
                "{name}: taken over in {} us: decode {} us, validate {} us, rebuild {} us\n",
                us(total),
                us(decoded),
                us(validated - decoded),
                us(total - validated)
            );
            Ok(())
        }
        // Nothing restored yet: keep the handover for the next mount.
        Err((e, true)) => {
            STATE.lock().hold(&inst.name, Held::Decoded(m))?;
            Err(e)
        }
        Err((e, false)) => Err(e),
    }
}
