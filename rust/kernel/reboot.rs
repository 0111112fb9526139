// SPDX-License-Identifier: GPL-2.0

//! Reboot notifiers.
//!
//! Reboot notifiers run in process context when the system restarts, halts or powers off,
//! including during `kexec -e` (after which the new kernel starts). They cannot stop the
//! reboot: any fallible preparation must happen earlier.
//!
//! C header: [`include/linux/reboot.h`](srctree/include/linux/reboot.h).

use crate::{bindings, error::to_result, prelude::*, types::Opaque};

/// Why the system is going down.
///
/// # Examples
///
/// ```
/// use kernel::reboot::{self, Action};
///
/// fn describe(action: Action) -> &'static str {
///     match action {
///         Action::Restart if reboot::kexec_in_progress() => "kexec",
///         Action::Restart => "restart",
///         Action::Halt => "halt",
///         Action::PowerOff => "power off",
///         Action::Other(_) => "other",
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Restart, including a kexec (see [`kexec_in_progress`]).
    Restart,
    /// Halt.
    Halt,
    /// Power off.
    PowerOff,
    /// Any other code.
    Other(u64),
}

/// Returns whether the reboot in progress is a kexec into a new kernel.
pub fn kexec_in_progress() -> bool {
    #[cfg(not(CONFIG_KEXEC_CORE))]
    return false;
    #[cfg(CONFIG_KEXEC_CORE)]
    // SAFETY: `kexec_in_progress` is a plain boolean written once before the reboot notifiers
    // run; reading it from a notifier is race-free.
    unsafe {
        core::ptr::read_volatile(&raw const bindings::kexec_in_progress)
    }
}

/// The callback of a reboot notifier.
///
/// # Examples
///
/// ```
/// use kernel::{
///     prelude::*,
///     reboot::{self, Action, Handler},
/// };
///
/// struct KexecNotice;
///
/// impl Handler for KexecNotice {
///     fn notify(&self, action: Action) {
///         if action == Action::Restart && reboot::kexec_in_progress() {
///             pr_info!("kexec: handing over to the next kernel\n");
///         }
///     }
/// }
/// ```
pub trait Handler: Send + Sync {
    /// Called once when the system goes down.
    fn notify(&self, action: Action);
}

/// A registered reboot notifier.
///
/// # Invariants
///
/// `nb` is registered with `register_reboot_notifier` from successful initialisation until
/// drop, and its callback is `notifier_call::<T>`.
///
/// # Examples
///
/// ```
/// use kernel::{
///     prelude::*,
///     reboot::{Action, Handler, Registration},
/// };
///
/// struct PowerOffNotice;
///
/// impl Handler for PowerOffNotice {
///     fn notify(&self, action: Action) {
///         if action == Action::PowerOff {
///             pr_info!("powering off\n");
///         }
///     }
/// }
///
/// #[pin_data]
/// struct Driver {
///     #[pin]
///     reboot: Registration<PowerOffNotice>,
/// }
///
/// fn example() -> Result<Pin<KBox<Driver>>> {
///     KBox::pin_init(
///         try_pin_init!(Driver {
///             // Priority 0 is the default; notifiers with a higher one run first.
///             reboot <- Registration::new(PowerOffNotice, 0),
///         }),
///         GFP_KERNEL,
///     )
/// }
/// ```
#[pin_data(PinnedDrop)]
pub struct Registration<T: Handler> {
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    handler: T,
}

// SAFETY: The notifier block is only touched by the notifier chain under its own lock.
unsafe impl<T: Handler> Send for Registration<T> {}
// SAFETY: `&self` gives access to `handler` only, which is `Sync`.
unsafe impl<T: Handler> Sync for Registration<T> {}

impl<T: Handler> Registration<T> {
    /// Registers `handler` to be called on reboot, with `priority` (higher runs earlier).
    pub fn new(handler: T, priority: i32) -> impl PinInit<Self, Error> {
        // INVARIANT: `nb` is registered below with `notifier_call::<T>` as its callback; if
        // registration fails, so does the initialiser, and no `Registration` exists to drop.
        try_pin_init!(Self {
            handler,
            nb <- Opaque::try_ffi_init(move |slot: *mut bindings::notifier_block| {
                // SAFETY: `slot` is valid for writes; a zeroed notifier block is valid.
                unsafe {
                    slot.write(bindings::notifier_block {
                        notifier_call: Some(Self::notifier_call),
                        next: core::ptr::null_mut(),
                        priority,
                    });
                }
                // SAFETY: `slot` is pinned and initialised; it stays registered until drop.
                to_result(unsafe { bindings::register_reboot_notifier(slot) })
            }),
        })
    }

    /// # Safety
    ///
    /// Only called by the reboot notifier chain for the block registered in [`Self::new`].
    unsafe extern "C" fn notifier_call(
        nb: *mut bindings::notifier_block,
        action: c_ulong,
        _data: *mut c_void,
    ) -> c_int {
        // SAFETY: `nb` is the `nb` field of a `Registration<T>` (by the type invariant, only
        // such blocks use this callback), so `container_of` yields a valid registration.
        let this = unsafe { &*crate::container_of!(Opaque::cast_from(nb).cast_mut(), Self, nb) };
        let action = match action as u32 {
            bindings::SYS_RESTART => Action::Restart,
            bindings::SYS_HALT => Action::Halt,
            bindings::SYS_POWER_OFF => Action::PowerOff,
            a => Action::Other(a.into()),
        };
        this.handler.notify(action);
        bindings::NOTIFY_DONE as c_int
    }

    /// Returns the handler.
    pub fn handler(&self) -> &T {
        &self.handler
    }
}

#[pinned_drop]
impl<T: Handler> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant `nb` is registered.
        unsafe { bindings::unregister_reboot_notifier(self.nb.get()) };
    }
}
