// SPDX-License-Identifier: GPL-2.0

//! khofs: an in-memory file system whose files survive kexec.
//!
//! Files live in the page cache in unmovable, unevictable folios (like ramfs). When the system
//! kexecs, a reboot notifier preserves every folio with Kexec HandOver (KHO) and publishes an
//! FDT describing the files (see `include/linux/kho/abi/khofs.h`). The first mount in the next
//! kernel validates that description and puts the same folios back into the page cache of
//! recreated inodes, without copying data.
//!
//! Layout of the driver (each file uses only those listed after it, so there are no import
//! circles):
//! - [`control`]: `/dev/khofs`, to discard instances (uses `registry`, `incoming`, `instance`);
//! - [`mount`]: the file system type and superblock lifecycle (uses `registry`, `incoming`,
//!   `instance`);
//! - [`kexec`]: the reboot notifier that hands everything over at `kexec -e` (uses
//!   `registry`);
//! - [`registry`]: the instances, prepared and held handovers (uses `outgoing`, `incoming`,
//!   `instance`, `handover`);
//! - [`outgoing`]: record a frozen tree, preserve its folios, publish (uses `handover`,
//!   `instance`);
//! - [`incoming`]: retrieve, decode, validate, rebuild or free (uses `handover`);
//! - [`instance`]: instances and their names (uses `limits`);
//! - [`limits`]: tmpfs's mount options and limits, the instances' accounting;
//! - [`handover`]: the handover ABI: model, encoder, decoder, validator.

use kernel::{
    fs::sb,
    miscdevice::{MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
    reboot,
};

mod control;
mod handover;
mod incoming;
mod instance;
mod kexec;
mod limits;
mod mount;
mod outgoing;
mod registry;

module! {
    type: Khofs,
    name: "khofs",
    authors: ["The khofs developers"],
    description: "In-memory file system whose files survive kexec (KHO)",
    license: "GPL",
}

#[pin_data]
struct Khofs {
    #[pin]
    fs: sb::Registration<mount::KhoFs>,
    #[pin]
    kexec: reboot::Registration<kexec::KexecHandler>,
    #[pin]
    control: MiscDeviceRegistration<control::Control>,
}

impl kernel::InPlaceModule for Khofs {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: The module initialiser runs exactly once, before any use of `STATE`.
        unsafe { registry::STATE.init() };
        try_pin_init!(Self {
            fs <- sb::Registration::new(module),
            // Run late, after other subsystems had their say; we cannot stop the kexec anyway.
            kexec <- reboot::Registration::new(kexec::KexecHandler, 0),
            control <- MiscDeviceRegistration::register(MiscDeviceOptions { name: c"khofs" }),
        })
    }
}
