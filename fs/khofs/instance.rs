// SPDX-License-Identifier: GPL-2.0

//! Instances and their names. Uses `limits`.

use crate::limits::Limits;
use kernel::{folio::FolioPacker, prelude::*, str::CString, sync::atomic::Atomic};

/// Longest instance name (`KHOFS_NAME_MAX`): "khofs-" + name fits a 32-byte KHO node name.
pub(crate) const NAME_MAX: usize = 26;

/// One khofs instance (one superblock).
#[pin_data]
pub(crate) struct Instance {
    /// The instance name (the mount source).
    pub(crate) name: KVec<u8>,
    /// Name of its KHO subtree: `khofs-<name>`.
    pub(crate) node: CString,
    /// Next inode number to hand out; numbers survive kexec, so they never repeat.
    pub(crate) next_ino: Atomic<u64>,
    /// Space and inode limits from the mount options, and the usage.
    pub(crate) limits: Limits,
    /// Where new single pages of file data come from: chunks of adjacent pages, so that the
    /// data is compact in memory and its handover has few ranges.
    #[pin]
    pub(crate) packer: FolioPacker,
}

impl Instance {
    /// Returns the name, for messages.
    pub(crate) fn name_str(&self) -> &str {
        // Valid names are ASCII (see `is_valid_instance_name`).
        core::str::from_utf8(&self.name).unwrap_or("?")
    }
}

/// Returns whether `name` is a valid instance name: 1 to [`NAME_MAX`] bytes of letters,
/// digits, `.`, `_` and `-`.
pub(crate) fn is_valid_instance_name(name: &[u8]) -> bool {
    (1..=NAME_MAX).contains(&name.len())
        && name
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
}

/// An instance name, stored without allocation (so that holding a handover cannot fail).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Name {
    bytes: [u8; NAME_MAX],
    len: usize,
}

impl Name {
    /// Returns the name `name` (a valid instance name, see `is_valid_instance_name`).
    pub(crate) fn new(name: &[u8]) -> Result<Self> {
        let mut bytes = [0u8; NAME_MAX];
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
