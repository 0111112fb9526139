// SPDX-License-Identifier: GPL-2.0

//! khofs: an in-memory file system whose files survive kexec.
//!
//! Files live in the page cache in unmovable, unevictable folios (like ramfs). When the system
//! kexecs, a reboot notifier preserves every folio with Kexec HandOver (KHO) and publishes an
//! FDT describing the files (see `include/linux/kho/abi/khofs.h`). The first mount in the next
//! kernel validates that description and puts the same folios back into the page cache of
//! recreated inodes, without copying data.
//!
//! Layout of the driver:
//! - [`mount`]: the file system type and superblock lifecycle;
//! - [`handover`]: the handover format (encode, strict decode);
//! - [`serialize`]: the outgoing side, run at kexec;
//! - [`restore`]: the incoming side, run at first mount;
//! - [`control`]: `/dev/khofs`, to discard instances.
//!
//! The namespace (the dcache, as in ramfs), file data and `mmap` need no code of their own:
//! they are libfs's and the page cache's generic operations, set up by `kernel::fs::sb`.

use kernel::{
    fs::sb,
    kho,
    miscdevice::{MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
    reboot,
    sync::Arc,
};

mod control;
mod handover;
mod mount;
mod restore;
mod serialize;

module! {
    type: Khofs,
    name: "khofs",
    authors: ["The khofs developers"],
    description: "In-memory file system whose files survive kexec (KHO)",
    license: "GPL",
}

/// One instance known to this kernel, mounted or not.
pub(crate) struct Named {
    pub(crate) inst: Arc<mount::Instance>,
    /// Keeps the instance (and its files) alive after `umount`, until kexec.
    pub(crate) pin: Option<Arc<sb::SuperPin>>,
    /// What is prepared for the next kernel (from freezing the instance).
    pub(crate) published: Option<serialize::Published>,
}

/// State shared by the mount path and the kexec path.
///
/// Lock order: a superblock's `s_umount`, then `STATE`.
pub(crate) struct State {
    /// The instances, by name.
    pub(crate) instances: KVVec<Named>,
    /// Names whose handover from the previous kernel was already looked at.
    pub(crate) checked: KVVec<Name>,
    /// Handovers waiting for a mount: they did not fit the limits of their first mount, or
    /// could not be decoded, checked or restored for lack of memory. By name.
    pub(crate) held: KVVec<(Name, Held)>,
}

/// A handover from the previous kernel that is kept for a later mount.
pub(crate) enum Held {
    /// Retrieved from KHO (its blob is ours now), not yet decoded.
    Blob(kho::Incoming),
    /// Decoded, not yet validated or restored.
    Decoded(handover::Manifest),
}

/// An instance name, stored without allocation (so that holding a handover cannot fail).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Name {
    bytes: [u8; mount::NAME_MAX],
    len: usize,
}

impl Name {
    /// Returns the name `name` (a valid instance name, see `mount::is_valid_instance_name`).
    pub(crate) fn new(name: &[u8]) -> Result<Self> {
        let mut bytes = [0u8; mount::NAME_MAX];
        bytes
            .get_mut(..name.len())
            .ok_or(EINVAL)?
            .copy_from_slice(name);
        Ok(Self {
            bytes,
            len: name.len(),
        })
    }

    /// Returns the name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl State {
    /// Returns the entry of `inst`.
    pub(crate) fn find(&mut self, inst: &mount::Instance) -> Option<&mut Named> {
        self.instances
            .iter_mut()
            .find(|n| core::ptr::eq(&*n.inst, inst))
    }

    /// Takes the held handover of instance `name`, if any.
    fn take_held(&mut self, name: &[u8]) -> Option<Held> {
        let pos = self.held.iter().position(|h| h.0.as_bytes() == name)?;
        let (_, h) = self.held.remove(pos).ok()?;
        Some(h)
    }

    /// Returns what the previous kernel handed over for instance `name` (KHO subtree
    /// `node`, which is `khofs-<name>`), decoded but not validated: a held handover, or the one
    /// from KHO the first time the name is looked at. After `ENOMEM` the handover is held for
    /// another try.
    pub(crate) fn incoming(
        &mut self,
        name: &[u8],
        node: &CStr,
    ) -> Result<Option<handover::Manifest>> {
        let blob = match self.take_held(name) {
            Some(Held::Decoded(m)) => return Ok(Some(m)),
            Some(Held::Blob(b)) => b,
            None => {
                if self.checked.iter().any(|n| n.as_bytes() == name) {
                    return Ok(None);
                }
                // Room first, so that a retrieved handover is always recorded, and can be
                // held.
                let owned = Name::new(name)?;
                self.checked.reserve(1, GFP_KERNEL)?;
                self.held.reserve(1, GFP_KERNEL)?;
                let _ = self.checked.push_within_capacity(owned);
                // SAFETY: `checked` records every name whose subtree was retrieved, and this
                // is the first time for `name`; subtree names are `khofs-<name>`, one per
                // instance name.
                match restore::retrieve(unsafe { kho::Incoming::retrieve(node) })? {
                    Some(b) => b,
                    None => return Ok(None),
                }
            }
        };
        match restore::decode(&blob) {
            // Nothing is lost: the blob is ours, keep it for another try.
            Err(e) if e == ENOMEM => {
                self.hold(name, Held::Blob(blob))?;
                Err(ENOMEM)
            }
            // Decoded or refused: the blob is no longer needed and is freed.
            res => res.map(Some),
        }
    }

    /// Holds the handover `h` of instance `name` for a later mount. Room for it was reserved
    /// when it was retrieved (or is left by `take_held`); only if a concurrent mount took
    /// that room and memory is short is the handover dropped, the folios of a decoded one
    /// freed.
    pub(crate) fn hold(&mut self, name: &[u8], h: Held) -> Result {
        let drop_it = |h: Held| match h {
            Held::Decoded(m) => restore::discard_all(&m),
            Held::Blob(_) => 0,
        };
        let name = match Name::new(name) {
            Ok(n) => n,
            Err(e) => {
                drop_it(h);
                return Err(e);
            }
        };
        if self.held.len() == self.held.capacity() && self.held.reserve(1, GFP_KERNEL).is_err() {
            let freed = drop_it(h);
            pr_err!("out of memory: handover dropped, {freed} folios freed\n");
            return Err(ENOMEM);
        }
        let _ = self.held.push_within_capacity((name, h));
        Ok(())
    }
}

kernel::sync::global_lock! {
    // SAFETY: Initialised in the module initialiser before anything else uses it.
    pub(crate) unsafe(uninit) static STATE: Mutex<State> = State {
        instances: KVVec::new(),
        checked: KVVec::new(),
        held: KVVec::new(),
    };
}

struct KexecHandler;

impl reboot::Handler for KexecHandler {
    fn notify(&self, action: reboot::Action) {
        if action == reboot::Action::Restart && reboot::kexec_in_progress() {
            serialize::handover_at_kexec();
        }
    }
}

#[pin_data]
struct Khofs {
    #[pin]
    fs: sb::Registration<mount::KhoFs>,
    #[pin]
    kexec: reboot::Registration<KexecHandler>,
    #[pin]
    control: MiscDeviceRegistration<control::Control>,
}

impl kernel::InPlaceModule for Khofs {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: The module initialiser runs exactly once, before any use of `STATE`.
        unsafe { STATE.init() };
        try_pin_init!(Self {
            fs <- sb::Registration::new(module),
            // Run late, after other subsystems had their say; we cannot stop the kexec anyway.
            kexec <- reboot::Registration::new(KexecHandler, 0),
            control <- MiscDeviceRegistration::register(MiscDeviceOptions { name: c"khofs" }),
        })
    }
}
