// SPDX-License-Identifier: GPL-2.0

//! The khofs file system type and its superblock lifecycle.

use crate::{restore, serialize, STATE};
use kernel::{
    fs::{
        dentry::Dentry,
        inode::{Attrs, S_IFDIR},
        sb::{FileSystem, NewSuperBlock, SuperPin},
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{Atomic, Relaxed},
        Arc, ArcBorrow,
    },
};

/// `KHOFS_MAGIC` from `include/uapi/linux/khofs.h`.
pub(crate) const KHOFS_MAGIC: u32 = 0x6b686f66;

/// Inode number of the root of a fresh instance.
const ROOT_INO: u64 = 1;

/// One khofs instance (superblock).
pub(crate) struct Instance {
    /// The root of the tree; the dcache holds the whole namespace.
    pub(crate) root: ARef<Dentry>,
    /// Next inode number to hand out; numbers survive kexec, so they never repeat.
    pub(crate) next_ino: Atomic<u64>,
}

pub(crate) struct KhoFs;

#[vtable]
impl FileSystem for KhoFs {
    type Data = Arc<Instance>;
    const NAME: &'static CStr = c"khofs";
    const MAGIC: u32 = KHOFS_MAGIC;

    fn fill_super(sb: &NewSuperBlock<Self>) -> Result<Arc<Instance>> {
        let mut state = STATE.lock();
        // The first mount after a KHO boot takes over what the previous kernel handed over.
        let incoming = if state.incoming_checked {
            None
        } else {
            state.incoming_checked = true;
            restore::fetch()?
        };
        let (root, next_ino) = match incoming {
            Some(m) => restore::build_tree(sb, &m)?,
            None => {
                let attrs = Attrs {
                    mode: S_IFDIR | 0o755,
                    ..Default::default()
                };
                (
                    sb.set_root(sb.new_inode(&attrs, Some(ROOT_INO), false)?)?,
                    ROOT_INO + 1,
                )
            }
        };
        let inst = Arc::new(
            Instance {
                root: root.into(),
                next_ino: Atomic::new(next_ino),
            },
            GFP_KERNEL,
        )?;
        state.live = Some(inst.clone());
        Ok(inst)
    }

    fn kill_super(data: Arc<Instance>) {
        let mut state = STATE.lock();
        if state.live.as_ref().is_some_and(|l| Arc::ptr_eq(l, &data)) {
            state.live = None;
        }
        // `data` (and its root reference) goes away before the VFS tears the tree down.
    }

    fn new_ino(data: ArcBorrow<'_, Instance>) -> u64 {
        data.next_ino.fetch_add(1, Relaxed)
    }

    fn mounted(_data: ArcBorrow<'_, Instance>, pin: Result<SuperPin>) {
        let pin = match pin.and_then(|p| Arc::new(p, GFP_KERNEL).map_err(Into::into)) {
            Ok(p) => p,
            Err(e) => {
                pr_err!("cannot pin the instance ({e:?}): its files will not survive umount\n");
                return;
            }
        };
        let mut state = STATE.lock();
        if state.pin.is_none() {
            state.pin = Some(pin);
            return;
        }
        drop(state);
        // Already pinned by an earlier mount; `pin` is dropped here, without the lock.
    }

    fn freeze(data: ArcBorrow<'_, Instance>) -> Result {
        serialize::prepare(&data)
    }

    fn unfreeze(_data: ArcBorrow<'_, Instance>) -> Result {
        serialize::withdraw();
        Ok(())
    }
}
