// SPDX-License-Identifier: GPL-2.0

//! The kexec hook: at `kexec -e`, hand every instance over that was not prepared yet. Uses
//! `registry`.

use crate::registry::{self, Held, STATE};
use kernel::{prelude::*, reboot};

/// Runs [`handover_at_kexec`] when the system kexecs.
pub(crate) struct KexecHandler;

impl reboot::Handler for KexecHandler {
    fn notify(&self, action: reboot::Action) {
        if action == reboot::Action::Restart && reboot::kexec_in_progress() {
            handover_at_kexec();
        }
    }
}

/// Hands every instance over at `kexec -e`: freezes each, which prepares its handover,
/// unless it was frozen and prepared already (for example with `fsfreeze -f`, which reports
/// errors before the point of no return).
///
/// The kexec cannot be stopped from here, so a failure is reported and those files are lost.
fn handover_at_kexec() {
    let mut todo = KVVec::new();
    {
        let state = STATE.lock();
        for (name, h) in state.held.iter() {
            let name = core::str::from_utf8(name.as_bytes()).unwrap_or("?");
            match h {
                Held::Decoded(m) => pr_err!(
                    "{name}: the handover from the previous kernel ({} folios) was never taken \
                     over: lost at this kexec\n",
                    m.folios.len()
                ),
                Held::Blob(_) => pr_err!(
                    "{name}: the handover from the previous kernel was never taken over: lost \
                     at this kexec\n"
                ),
            }
        }
        for n in state.instances.iter() {
            if todo
                .push((n.inst.clone(), n.pin.clone()), GFP_KERNEL)
                .is_err()
            {
                pr_err!("out of memory: not every instance is handed over\n");
                break;
            }
        }
    }
    for (inst, pin) in todo.iter() {
        // Never thawed: the kexec follows. Without a pin (pinning failed at mount, which was
        // reported), the instance cannot be frozen here.
        if let Some(pin) = pin {
            if let Err(e) = pin.freeze() {
                if e != EBUSY {
                    pr_err!("cannot freeze for handover: {e:?}\n");
                }
            }
            // Freezing a read-only instance does not prepare it (nothing to stop); nothing
            // can change it either, so prepare it now.
            let prepared = STATE
                .lock()
                .find(inst)
                .is_some_and(|n| n.published.is_some());
            if !prepared && pin.is_read_only() {
                let _ = registry::prepare(inst, pin.root());
            }
        }
        let mut state = STATE.lock();
        let name = inst.node.to_str().unwrap_or("?");
        match state.find(inst).and_then(|n| n.published.as_ref()) {
            Some(p) => {
                let (inodes, dirents, pages, records, bytes) = p.counts();
                pr_info!(
                    "{name}: handing over {inodes} inodes, {dirents} entries, {pages} pages in \
                     {records} records ({bytes} bytes of metadata)\n"
                );
            }
            None => pr_err!("{name}: handover failed: files will not survive this kexec\n"),
        }
    }
}
