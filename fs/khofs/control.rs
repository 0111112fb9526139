// SPDX-License-Identifier: GPL-2.0

//! The control device `/dev/khofs`: discarding instances (`KHOFS_IOC_DISCARD`).

use crate::{mount::is_valid_instance_name, restore, STATE};
use kernel::{
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

/// Discards instance `name`: frees a pending handover of that name, and stops keeping the
/// live instance after its last umount.
fn discard(name: &[u8]) -> Result {
    let text = core::str::from_utf8(name).map_err(|_| EINVAL)?;
    let node = CString::try_from_fmt(fmt!("khofs-{text}"))?;
    let (pin, published, pending) = {
        let mut state = STATE.lock();
        let (pin, published) = match state
            .instances
            .iter_mut()
            .find(|n| n.inst.name.as_slice() == name)
        {
            Some(n) => (n.pin.take(), n.published.take()),
            None => (None, None),
        };
        if let Some((m, _)) = state.take_held(name) {
            restore::discard_all(&m);
            pr_info!(
                "{text}: discarded the held handover ({} folios freed)\n",
                m.folios.len()
            );
        }
        let pending = !state.checked.iter().any(|n| n.as_slice() == name);
        if pending {
            let mut owned = KVec::new();
            owned.extend_from_slice(name, GFP_KERNEL)?;
            state.checked.push(owned, GFP_KERNEL)?;
        }
        (pin, published, pending)
    };
    drop(published);
    // Without the lock: if nothing else keeps the superblock, this tears it down.
    drop(pin);
    if pending {
        if let Some((m, _)) = restore::fetch(&node)? {
            restore::discard_all(&m);
            pr_info!(
                "{text}: discarded the handover from the previous kernel ({} folios freed)\n",
                m.folios.len()
            );
        }
    }
    pr_info!("{text}: discarded\n");
    Ok(())
}
