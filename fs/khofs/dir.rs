// SPDX-License-Identifier: GPL-2.0

//! The namespace index of an instance and the directory operations that maintain it.
//!
//! The VFS dcache is the authority for lookups; the index mirrors it so that the kexec path
//! can enumerate files without walking the dcache under its spinlocks.

use kernel::{
    fs::{dentry::Dentry, inode::Inode},
    prelude::*,
    sync::{aref::ARef, new_mutex, Arc, Mutex},
};

/// A file in the root directory.
pub(crate) struct Entry {
    pub(crate) name: KVec<u8>,
    pub(crate) inode: ARef<Inode>,
}

/// One mounted khofs instance.
#[pin_data]
pub(crate) struct Instance {
    #[pin]
    pub(crate) files: Mutex<KVec<Entry>>,
}

impl Instance {
    pub(crate) fn new(files: KVec<Entry>) -> Result<Arc<Self>> {
        Arc::pin_init(pin_init!(Self { files <- new_mutex!(files) }), GFP_KERNEL)
    }

    /// Records a new file; called before the entry becomes visible.
    pub(crate) fn create(&self, dentry: &Dentry, inode: &Inode) -> Result {
        let mut name = KVec::new();
        name.extend_from_slice(dentry.name(), GFP_KERNEL)?;
        self.files.lock().push(
            Entry {
                name,
                inode: inode.into(),
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// Forgets a file that is being unlinked.
    pub(crate) fn unlink(&self, dentry: &Dentry) -> Result {
        let mut files = self.files.lock();
        let name = dentry.name();
        match files.iter().position(|e| e.name.as_slice() == name) {
            Some(i) => {
                files.remove(i).map_err(|_| EINVAL)?;
                Ok(())
            }
            None => {
                pr_err!("index out of sync with dcache on unlink\n");
                Err(EIO)
            }
        }
    }
}
