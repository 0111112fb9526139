// SPDX-License-Identifier: GPL-2.0

//! The instance registry: every instance known to this kernel, what is prepared for the next
//! kernel, and what the previous kernel handed over. Uses `instance`, `incoming`, `outgoing`
//! and `handover`.

use crate::{
    handover::Manifest,
    incoming,
    instance::{Instance, Name},
    outgoing::{self, Published},
};
use kernel::{
    fs::{dentry::Dentry, sb::SuperPin},
    kho,
    prelude::*,
    sync::Arc,
};

/// One instance known to this kernel, mounted or not.
pub(crate) struct Named {
    pub(crate) inst: Arc<Instance>,
    /// Keeps the instance (and its files) alive after `umount`, until kexec.
    pub(crate) pin: Option<Arc<SuperPin>>,
    /// What is prepared for the next kernel (from freezing the instance).
    pub(crate) published: Option<Published>,
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
    Decoded(Manifest),
}

impl State {
    /// Returns the entry of `inst`.
    pub(crate) fn find(&mut self, inst: &Instance) -> Option<&mut Named> {
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
    pub(crate) fn incoming(&mut self, name: &[u8], node: &CStr) -> Result<Option<Manifest>> {
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
                match incoming::retrieve(unsafe { kho::Incoming::retrieve(node) })? {
                    Some(b) => b,
                    None => return Ok(None),
                }
            }
        };
        match incoming::decode(&blob) {
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
            Held::Decoded(m) => incoming::discard_all(&m),
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
            pr_err!("out of memory: handover dropped, {freed} pages freed\n");
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

/// Prepares the handover of `inst` (frozen, tree at `root`) and records it, replacing any
/// earlier one.
pub(crate) fn prepare(inst: &Instance, root: &Dentry) -> Result {
    let mut state = STATE.lock();
    let named = state.find(inst).ok_or(EINVAL)?;
    // A folio preserved twice is preserved once: withdraw any earlier handover first.
    named.published = None;
    named.published = Some(outgoing::prepare(inst, root)?);
    Ok(())
}

/// Withdraws a prepared handover (the instance was thawed and may change again).
pub(crate) fn withdraw(inst: &Instance) {
    let mut state = STATE.lock();
    if let Some(n) = state.find(inst) {
        if n.published.take().is_some() {
            pr_info!(
                "{}: handover withdrawn (thawed)\n",
                inst.node.to_str().unwrap_or("?")
            );
        }
    }
}
