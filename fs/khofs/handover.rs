// SPDX-License-Identifier: GPL-2.0

//! The handover format: a [`Manifest`] of the whole tree encoded as an FDT, and its strict
//! decoder.
//!
//! This module is pure: it touches neither the VFS nor KHO, so it is fully testable in KUnit.
//! The layout is documented in `include/linux/kho/abi/khofs.h`; the constants in [`abi`] must
//! match it. Everything decoded comes from the previous kernel and is validated here before
//! any of it is used.
//!
//! One file per concern:
//! - [`abi`]: property names, record sizes and limits;
//! - [`model`]: [`Manifest`] and its records, and the link count rule;
//! - [`encode`]: the tables and the FDT of a manifest;
//! - [`decode`]: a manifest from the previous kernel, structure checked;
//! - [`validate`]: every record and the whole tree checked;
//! - [`index`]: lookups over a validated manifest, kept for the restore;
//! - `tests`: the KUnit suite `khofs_handover`.
//!
//! Why a handover is refused is a [`Refusal`], defined here.

use kernel::prelude::*;

mod abi;
mod decode;
mod encode;
mod index;
mod model;
#[cfg(CONFIG_KHOFS_KUNIT_TEST)]
mod tests;
mod validate;

pub(crate) use index::Index;
pub(crate) use model::{FolioRec, InodeRec, Manifest};

/// Why a handover is refused: the errno for the caller ([`Refusal::errno`]) and a reason for
/// the log ([`Refusal::why`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Memory for the checks could not be allocated: the handover may be retried (`ENOMEM`).
    NoMemory,
    /// A malformed, inconsistent or unsafe handover (`EINVAL`), and why.
    Invalid(&'static str),
    /// A different ABI version (`EPROTONOSUPPORT`).
    Unsupported,
    /// A step that failed with an errno of its own: recording, encoding, preserving or
    /// publishing the handover, or taking its tables back.
    Failed {
        /// What failed.
        why: &'static str,
        /// The errno it failed with.
        err: Error,
    },
}

impl Refusal {
    /// Returns the errno for the caller.
    pub(crate) fn errno(self) -> Error {
        match self {
            Self::NoMemory => ENOMEM,
            Self::Invalid(_) => EINVAL,
            Self::Unsupported => EPROTONOSUPPORT,
            Self::Failed { err, .. } => err,
        }
    }

    /// Returns the reason for the log.
    pub(crate) fn why(self) -> &'static str {
        match self {
            Self::NoMemory => "out of memory",
            Self::Invalid(why) | Self::Failed { why, .. } => why,
            Self::Unsupported => "unsupported ABI version",
        }
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        r.errno()
    }
}

impl From<kernel::alloc::AllocError> for Refusal {
    fn from(_: kernel::alloc::AllocError) -> Self {
        Self::NoMemory
    }
}

/// The result of decoding or validating a handover.
pub(crate) type Checked<T> = core::result::Result<T, Refusal>;
