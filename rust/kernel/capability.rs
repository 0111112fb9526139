// SPDX-License-Identifier: GPL-2.0

//! POSIX capabilities of the current task.
//!
//! C header: [`include/linux/capability.h`](srctree/include/linux/capability.h).

use crate::{bindings, prelude::*};

/// A POSIX capability (`CAP_*`).
///
/// # Examples
///
/// ```
/// use kernel::{
///     capability::{capable, Capability, CAP_SYS_ADMIN},
///     prelude::*,
/// };
///
/// /// Fails with `EPERM` unless the current task has `cap`.
/// fn require(cap: Capability) -> Result {
///     if capable(cap) {
///         Ok(())
///     } else {
///         Err(EPERM)
///     }
/// }
///
/// fn reset() -> Result {
///     require(CAP_SYS_ADMIN)?;
///     Ok(())
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability(c_int);

/// `CAP_SYS_ADMIN`: system administration.
pub const CAP_SYS_ADMIN: Capability = Capability(bindings::CAP_SYS_ADMIN as c_int);

/// Returns whether the current task has capability `cap` in the initial user namespace, as
/// `capable()` does (which also marks the task as having used a privilege).
///
/// # Examples
///
/// ```
/// use kernel::capability::{capable, CAP_SYS_ADMIN};
///
/// fn reset() -> Result {
///     if !capable(CAP_SYS_ADMIN) {
///         return Err(EPERM);
///     }
///     Ok(())
/// }
/// ```
pub fn capable(cap: Capability) -> bool {
    // SAFETY: `capable` may be called from any process context with any capability number;
    // `Capability` values are valid capability numbers.
    unsafe { bindings::capable(cap.0) }
}
