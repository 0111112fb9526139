// SPDX-License-Identifier: GPL-2.0

//! The control device `/dev/khofs`: discarding instances (`KHOFS_IOC_DISCARD`).

use crate::{incoming, instance::is_valid_instance_name, registry::STATE};
use kernel::{
    capability::{capable, CAP_SYS_ADMIN},
    fs::File,
    ioctl::_IOW,
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    prelude::*,
    str::CString,
    uaccess::{UserPtr, UserSlice},
};

/// `KHOFS_IOC_MAGIC` from `include/uapi/linux/khofs.h`.
const IOC_MAGIC: u32 = 0xE9;
/// `KHOFS_IOC_DISCARD`: `_IOW(KHOFS_IOC_MAGIC, 1, struct khofs_ioc_instance)`.
const IOC_DISCARD: u32 = _IOW::<[u8; 32]>(IOC_MAGIC, 1);

pub(crate) struct Control;

#[vtable]
impl MiscDevice for Control {
    type Ptr = ();

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result {
        Ok(())
    }

    fn ioctl(_dev: (), _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            IOC_DISCARD => {
                // Discarding frees what another user may have kept: administrators only.
                if !capable(CAP_SYS_ADMIN) {
                    return Err(EPERM);
                }
                let mut buf = [0u8; 32];
                UserSlice::new(UserPtr::from_addr(arg), buf.len())
                    .reader()
                    .read_slice(&mut buf)?;
                let len = buf.iter().position(|&c| c == 0).ok_or(EINVAL)?;
                let name = &buf[..len];
                if !is_valid_instance_name(name) {
                    return Err(EINVAL);
                }
                discard(name)?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}

/// Discards instance `name`: frees a pending or held handover of that name (whether or not
/// it is valid), and stops keeping the live instance after its last umount.
fn discard(name: &[u8]) -> Result {
    let text = core::str::from_utf8(name).map_err(|_| EINVAL)?;
    let node = CString::try_from_fmt(fmt!("khofs-{text}"))?;
    let (pin, published) = {
        let mut state = STATE.lock();
        // First what can fail for lack of memory, so that a failed discard changes nothing.
        let held = state.held.iter().any(|h| h.0.as_bytes() == name);
        match state.incoming(name, &node) {
            Ok(Some(m)) => {
                let freed = incoming::discard_all(&m);
                let which = if held {
                    "the held handover"
                } else {
                    "the handover from the previous kernel"
                };
                pr_info!("{text}: discarded {which} ({freed} pages freed)\n");
            }
            Ok(None) => (),
            Err(e) if e == ENOMEM => return Err(e),
            // Refused (reported by `fetch`) before its folios could be located: they stay
            // reserved until the next kexec.
            Err(_) => pr_err!(
                "{text}: the handover from the previous kernel is unreadable; its memory stays \
                 reserved until the next kexec\n"
            ),
        }
        match state
            .instances
            .iter_mut()
            .find(|n| n.inst.name.as_slice() == name)
        {
            Some(n) => (n.pin.take(), n.published.take()),
            None => (None, None),
        }
    };
    drop(published);
    // Without the lock: if nothing else keeps the superblock, this tears it down.
    drop(pin);
    pr_info!("{text}: discarded\n");
    Ok(())
}
