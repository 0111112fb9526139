// SPDX-License-Identifier: GPL-2.0

//! Flattened Device Tree (FDT) blobs: building them and reading untrusted ones.
//!
//! [`FdtWriter`] builds a blob sequentially in a caller-provided buffer (libfdt's "sw"
//! interface). [`Fdt`] reads a blob whose header was checked and whose declared size fits the
//! buffer; every accessor goes through libfdt, which bounds-checks offsets against the header,
//! and every returned slice is checked again to lie within the buffer.
//!
//! Properties written with [`FdtWriter::prop_u32`] and [`FdtWriter::prop_u64`] are big-endian,
//! as the device-tree specification requires, so `dtc -I dtb` shows them correctly.
//!
//! C header: [`include/linux/libfdt.h`](srctree/include/linux/libfdt.h).

use crate::{bindings, prelude::*};

fn fdt_err(ret: c_int) -> Error {
    if ret == -(bindings::FDT_ERR_NOSPACE as c_int) {
        ENOSPC
    } else {
        EINVAL
    }
}

fn check(ret: c_int) -> Result<c_int> {
    if ret < 0 {
        Err(fdt_err(ret))
    } else {
        Ok(ret)
    }
}

/// Builds an FDT blob in a buffer.
///
/// # Invariants
///
/// `buf` was initialised with `fdt_create` and `fdt_finish_reservemap`; it is only modified
/// through libfdt's sequential-write functions.
///
/// # Examples
///
/// ```
/// use kernel::{fdt::FdtWriter, prelude::*};
///
/// /// Writes a blob with a root node and a `data` child into `buf` and returns its size.
/// fn encode(buf: &mut [u8], size: u64) -> Result<usize> {
///     let mut w = FdtWriter::new(buf)?;
///     w.begin_node(c"")?;
///     w.prop_str(c"compatible", c"example,v1")?;
///     w.prop_u32(c"version", 1)?;
///     w.begin_node(c"data")?;
///     w.prop_u64(c"size", size)?;
///     w.end_node()?;
///     w.end_node()?;
///     w.finish()
/// }
/// ```
pub struct FdtWriter<'a> {
    buf: &'a mut [u8],
}

impl<'a> FdtWriter<'a> {
    /// Starts a new blob in `buf`; fails with `ENOSPC` if `buf` is too small.
    pub fn new(buf: &'a mut [u8]) -> Result<Self> {
        let len = c_int::try_from(buf.len()).map_err(|_| EINVAL)?;
        // SAFETY: `buf` is valid for writes of `len` bytes.
        check(unsafe { bindings::fdt_create(buf.as_mut_ptr().cast(), len) })?;
        // SAFETY: `buf` holds a blob started by `fdt_create`.
        check(unsafe { bindings::fdt_finish_reservemap(buf.as_mut_ptr().cast()) })?;
        // INVARIANT: `buf` was just initialised with `fdt_create` and `fdt_finish_reservemap`.
        Ok(Self { buf })
    }

    /// Opens a node named `name`.
    pub fn begin_node(&mut self, name: &CStr) -> Result {
        // SAFETY: By the type invariant `buf` is a blob in construction; `name` is a C string.
        check(unsafe {
            bindings::fdt_begin_node(self.buf.as_mut_ptr().cast(), name.as_char_ptr())
        })?;
        Ok(())
    }

    /// Closes the innermost open node.
    pub fn end_node(&mut self) -> Result {
        // SAFETY: By the type invariant `buf` is a blob in construction.
        check(unsafe { bindings::fdt_end_node(self.buf.as_mut_ptr().cast()) })?;
        Ok(())
    }

    /// Adds a property with raw bytes as its value.
    pub fn prop(&mut self, name: &CStr, val: &[u8]) -> Result {
        let len = c_int::try_from(val.len()).map_err(|_| EINVAL)?;
        // SAFETY: By the type invariant `buf` is a blob in construction; `val` is valid for
        // `len` bytes and copied by libfdt.
        check(unsafe {
            bindings::fdt_property(
                self.buf.as_mut_ptr().cast(),
                name.as_char_ptr(),
                val.as_ptr().cast(),
                len,
            )
        })?;
        Ok(())
    }

    /// Adds a string property (the value is stored NUL-terminated).
    pub fn prop_str(&mut self, name: &CStr, val: &CStr) -> Result {
        self.prop(name, val.to_bytes_with_nul())
    }

    /// Adds a big-endian 32-bit property.
    pub fn prop_u32(&mut self, name: &CStr, val: u32) -> Result {
        self.prop(name, &val.to_be_bytes())
    }

    /// Adds a big-endian 64-bit property.
    pub fn prop_u64(&mut self, name: &CStr, val: u64) -> Result {
        self.prop(name, &val.to_be_bytes())
    }

    /// Completes the blob and returns its total size in bytes.
    pub fn finish(self) -> Result<usize> {
        // SAFETY: By the type invariant `buf` is a blob in construction.
        check(unsafe { bindings::fdt_finish(self.buf.as_mut_ptr().cast()) })?;
        total_size(self.buf).ok_or(EINVAL)
    }
}

fn total_size(blob: &[u8]) -> Option<usize> {
    let b = blob.get(4..8)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// A read-only view of an FDT blob that passed header validation.
///
/// # Invariants
///
/// `blob` starts with an FDT header accepted by `fdt_check_header` whose total size is at most
/// `blob.len()`.
///
/// # Examples
///
/// ```
/// use kernel::{fdt::Fdt, prelude::*};
///
/// /// Returns the format version of a blob and how many of its bytes the FDT uses.
/// fn version(blob: &[u8]) -> Result<(u32, usize)> {
///     let fdt = Fdt::new(blob)?;
///     Ok((fdt.root().prop_u32(c"version")?, fdt.total_size()))
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Fdt<'a> {
    blob: &'a [u8],
}

/// A node of an [`Fdt`].
///
/// # Examples
///
/// ```
/// use kernel::{fdt::{Fdt, Node}, prelude::*};
///
/// /// Returns the `size` of the `data` child of `root`, or 0 if there is no such child.
/// fn data_size(root: Node<'_>) -> Result<u64> {
///     if root.prop_str(c"compatible")? != b"example,v1" {
///         return Err(EINVAL);
///     }
///     match root.subnode(c"data") {
///         Some(data) => data.prop_u64(c"size"),
///         None => Ok(0),
///     }
/// }
///
/// fn decode(blob: &[u8]) -> Result<u64> {
///     data_size(Fdt::new(blob)?.root())
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Node<'a> {
    fdt: Fdt<'a>,
    offset: c_int,
}

impl<'a> Fdt<'a> {
    /// Validates the header of `blob` and returns a view of it.
    ///
    /// Fails with `EINVAL` if the header is malformed or the blob claims to be larger than
    /// `blob`.
    pub fn new(blob: &'a [u8]) -> Result<Self> {
        // `fdt_check_header` reads the fixed header fields.
        if blob.len() < 40 || blob.len() > i32::MAX as usize {
            return Err(EINVAL);
        }
        let total = total_size(blob).ok_or(EINVAL)?;
        if total > blob.len() {
            return Err(EINVAL);
        }
        // SAFETY: `blob` is valid for at least the header size; libfdt checks every header
        // field against `totalsize`, which we checked against the buffer.
        check(unsafe { bindings::fdt_check_header(blob.as_ptr().cast()) })?;
        // INVARIANT: `fdt_check_header` accepted the header, and its total size was checked
        // above to be at most `blob.len()`.
        Ok(Self { blob })
    }

    /// Returns the total size of the blob as declared by its header.
    pub fn total_size(&self) -> usize {
        total_size(self.blob).unwrap_or(0)
    }

    /// Returns the root node.
    pub fn root(self) -> Node<'a> {
        Node {
            fdt: self,
            offset: 0,
        }
    }

    /// Turns a libfdt pointer/length pair into a slice, checking it lies within the blob.
    fn slice(&self, ptr: *const u8, len: c_int) -> Option<&'a [u8]> {
        if ptr.is_null() || len < 0 {
            return None;
        }
        let start = (ptr as usize).checked_sub(self.blob.as_ptr() as usize)?;
        let end = start.checked_add(len as usize)?;
        self.blob.get(start..end)
    }
}

impl<'a> Node<'a> {
    /// Returns the node's name (without a unit address separator check).
    pub fn name(&self) -> Option<&'a [u8]> {
        let mut len: c_int = 0;
        // SAFETY: By the `Fdt` invariant the blob is valid; libfdt validates `offset`.
        let ptr =
            unsafe { bindings::fdt_get_name(self.fdt.blob.as_ptr().cast(), self.offset, &mut len) };
        self.fdt.slice(ptr.cast(), len)
    }

    /// Returns the raw value of property `name`, if present.
    pub fn prop(&self, name: &CStr) -> Option<&'a [u8]> {
        let mut len: c_int = 0;
        // SAFETY: By the `Fdt` invariant the blob is valid; libfdt validates `offset`.
        let ptr = unsafe {
            bindings::fdt_getprop(
                self.fdt.blob.as_ptr().cast(),
                self.offset,
                name.as_char_ptr(),
                &mut len,
            )
        };
        self.fdt.slice(ptr.cast(), len)
    }

    /// Returns big-endian 32-bit property `name`; `EINVAL` if missing or of the wrong size.
    pub fn prop_u32(&self, name: &CStr) -> Result<u32> {
        let v = self.prop(name).ok_or(EINVAL)?;
        let v: [u8; 4] = v.try_into().map_err(|_| EINVAL)?;
        Ok(u32::from_be_bytes(v))
    }

    /// Returns big-endian 64-bit property `name`; `EINVAL` if missing or of the wrong size.
    pub fn prop_u64(&self, name: &CStr) -> Result<u64> {
        let v = self.prop(name).ok_or(EINVAL)?;
        let v: [u8; 8] = v.try_into().map_err(|_| EINVAL)?;
        Ok(u64::from_be_bytes(v))
    }

    /// Returns the string property `name` without its NUL terminator; `EINVAL` if missing, not
    /// NUL-terminated, or containing an embedded NUL.
    pub fn prop_str(&self, name: &CStr) -> Result<&'a [u8]> {
        let v = self.prop(name).ok_or(EINVAL)?;
        let (last, s) = v.split_last().ok_or(EINVAL)?;
        if *last != 0 || s.contains(&0) {
            return Err(EINVAL);
        }
        Ok(s)
    }

    /// Returns the direct child named `name`, if any.
    pub fn subnode(&self, name: &CStr) -> Option<Node<'a>> {
        // SAFETY: By the `Fdt` invariant the blob is valid; libfdt validates `offset`.
        let off = unsafe {
            bindings::fdt_subnode_offset(
                self.fdt.blob.as_ptr().cast(),
                self.offset,
                name.as_char_ptr(),
            )
        };
        (off >= 0).then_some(Node {
            fdt: self.fdt,
            offset: off,
        })
    }

    /// Returns an iterator over the direct children of this node.
    pub fn children(&self) -> Children<'a> {
        // SAFETY: By the `Fdt` invariant the blob is valid; libfdt validates `offset`.
        let off =
            unsafe { bindings::fdt_first_subnode(self.fdt.blob.as_ptr().cast(), self.offset) };
        Children {
            fdt: self.fdt,
            next: off,
        }
    }
}

/// Iterator over the children of a [`Node`].
///
/// # Examples
///
/// ```
/// use kernel::{fdt::Fdt, prelude::*};
///
/// /// Sums the `size` properties of the `file@N` children of the root node.
/// fn total_size(blob: &[u8]) -> Result<u64> {
///     let mut sum: u64 = 0;
///     for child in Fdt::new(blob)?.root().children() {
///         if !child.name().is_some_and(|n| n.starts_with(b"file@")) {
///             continue;
///         }
///         sum = sum.checked_add(child.prop_u64(c"size")?).ok_or(EOVERFLOW)?;
///     }
///     Ok(sum)
/// }
/// ```
pub struct Children<'a> {
    fdt: Fdt<'a>,
    next: c_int,
}

impl<'a> Iterator for Children<'a> {
    type Item = Node<'a>;

    fn next(&mut self) -> Option<Node<'a>> {
        if self.next < 0 {
            return None;
        }
        let cur = Node {
            fdt: self.fdt,
            offset: self.next,
        };
        // SAFETY: By the `Fdt` invariant the blob is valid; libfdt validates the offset and
        // always makes progress or returns an error, so iteration terminates.
        self.next = unsafe { bindings::fdt_next_subnode(self.fdt.blob.as_ptr().cast(), self.next) };
        Some(cur)
    }
}
