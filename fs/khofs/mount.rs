// SPDX-License-Identifier: GPL-2.0

//! The khofs file system type and its superblock lifecycle.

use crate::{dir::Instance, restore, STATE};
use kernel::{
    fs::{
        dentry::Dentry,
        inode::{Attrs, Inode, S_IFDIR},
        sb::{FileSystem, NewSuperBlock, SuperBlock},
    },
    prelude::*,
    sync::Arc,
};

/// `KHOFS_MAGIC` from `include/uapi/linux/khofs.h`.
pub(crate) const KHOFS_MAGIC: u32 = 0x6b686f66;

/// Mode of the root directory.
const ROOT_MODE: u32 = S_IFDIR | 0o755;

pub(crate) struct KhoFs;

#[vtable]
impl FileSystem for KhoFs {
    type Data = Arc<Instance>;
    const NAME: &'static CStr = c"khofs";
    const MAGIC: u32 = KHOFS_MAGIC;

    fn fill_super(sb: &NewSuperBlock<Self>) -> Result<Arc<Instance>> {
        let root_attrs = Attrs {
            mode: ROOT_MODE,
            ..Default::default()
        };
        let root = sb.set_root(sb.new_inode(&root_attrs, None)?)?;
        let mut state = STATE.lock();
        // The first mount after a KHO boot takes over what the previous kernel handed over.
        let files = if state.incoming_checked {
            KVec::new()
        } else {
            state.incoming_checked = true;
            restore::take_over(sb, root)?
        };
        let inst = Instance::new(files)?;
        state.live = Some(inst.clone());
        Ok(inst)
    }

    fn kill_super(data: Arc<Instance>) {
        let mut state = STATE.lock();
        if state.live.as_ref().is_some_and(|l| Arc::ptr_eq(l, &data)) {
            state.live = None;
        }
        drop(state);
        // Drop our inode references before the VFS tears the superblock down.
        data.files.lock().clear();
    }

    fn create(sb: &SuperBlock<Self>, _dir: &Inode, dentry: &Dentry, inode: &Inode) -> Result {
        sb.data().create(dentry, inode)
    }

    fn unlink(sb: &SuperBlock<Self>, _dir: &Inode, dentry: &Dentry) -> Result {
        sb.data().unlink(dentry)
    }
}
