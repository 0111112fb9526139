// SPDX-License-Identifier: GPL-2.0

//! Rust in-memory file system sample: a ramfs written against `kernel::fs`.
//!
//! `mount -t rust_memfs none /mnt` gives an empty tree whose files live in the page cache.
//! Every mount is a new instance, the whole tree goes away at `umount`, nothing is limited and
//! no mount option is accepted. It uses the same abstractions as khofs with none of its
//! choices: no named instances, no limits, data free to move, no freeze hooks.

use kernel::{
    fs::{
        accounting::Unlimited,
        inode::{Attrs, S_IFDIR},
        memfs,
        sb::{DefaultSuperOps, FileSystem, NewSuperBlock, Registration},
    },
    prelude::*,
};

module! {
    type: MemFsModule,
    name: "rust_memfs",
    authors: ["The khofs developers"],
    description: "Rust in-memory file system sample",
    license: "GPL",
}

struct MemFs;

/// One mounted tree (nothing to remember: the tree is the dcache).
struct Instance;

/// Nothing is limited.
static UNLIMITED: Unlimited = Unlimited;

#[vtable]
impl FileSystem for MemFs {
    type Data = KBox<Instance>;
    type Accounting = Unlimited;
    type SuperOps = DefaultSuperOps<Self>;
    type Options = ();
    type DirOps = memfs::DirOps<Self>;
    type FileInodeOps = memfs::FileInodeOps<Self>;
    type FileOps = memfs::FileOps<Self>;
    type Aops = memfs::Aops<Self>;
    const NAME: &'static CStr = c"rust_memfs";
    const MAGIC: u32 = 0x72757374;
    // One superblock per mount: nothing is shared between mounts.
    const KEYED: bool = false;

    fn instance(_source: Option<&CStr>) -> Result<KBox<Instance>> {
        Ok(KBox::new(Instance, GFP_KERNEL)?)
    }

    fn accounting<'a>(_data: &'a &Instance) -> &'a Unlimited {
        &UNLIMITED
    }

    fn fill_super(sb: &NewSuperBlock<Self>, _data: &Instance, _opts: &()) -> Result {
        let root = Attrs {
            mode: S_IFDIR | 0o755,
            ..Default::default()
        };
        sb.set_root(sb.new_inode(&root, None, false)?)?;
        Ok(())
    }
}

#[pin_data]
struct MemFsModule {
    #[pin]
    fs: Registration<MemFs>,
}

impl kernel::InPlaceModule for MemFsModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        pr_info!("registering rust_memfs\n");
        try_pin_init!(Self {
            fs <- Registration::new(module),
        })
    }
}
