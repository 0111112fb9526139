// SPDX-License-Identifier: GPL-2.0

//! File operations of the files of a file system (`struct file_operations`).
//!
//! A file system implements [`FileOperations`] for the files of one kind of inode (e.g. its
//! regular files) and names the type in its [`super::sb::FileSystem`]; [`FopsVtable`] turns
//! the implementation into the C table. I/O uses the kernel's [`Kiocb`] and
//! [`IovIterDest`]/[`IovIterSource`]; calls whose C contract involves more than a file
//! ([`SpliceRead`], [`SpliceWrite`], [`MmapPrepare`], [`UnmappedArea`]) get an argument object
//! that only the VFS creates, whose methods call the generic implementation.
//!
//! Files of a file system that uses these tables have no private data (`private_data` is
//! NULL): the I/O callbacks get a `Kiocb<'_, ()>`.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h).

use crate::{
    bindings,
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    fs::{inode::Inode, File, Kiocb},
    iov::{IovIterDest, IovIterSource},
    prelude::*,
};
use core::marker::PhantomData;

/// A `splice_read` call: move up to `len` bytes at `*ppos` of `file` into a locked pipe.
///
/// # Invariants
///
/// The fields are the valid arguments of one `splice_read` call, for `'a`.
pub struct SpliceRead<'a> {
    file: *mut bindings::file,
    ppos: *mut bindings::loff_t,
    pipe: *mut bindings::pipe_inode_info,
    len: usize,
    flags: c_uint,
    _p: PhantomData<&'a File>,
}

impl SpliceRead<'_> {
    /// Splices by reading through the file's `read_iter` into pipe buffers
    /// (`copy_splice_read`).
    pub fn copy_splice_read(self) -> Result<usize> {
        // SAFETY: By the type invariant these are the arguments of a `splice_read` call.
        let n = unsafe {
            bindings::copy_splice_read(self.file, self.ppos, self.pipe, self.len, self.flags)
        };
        to_result(n.min(0) as c_int).map(|()| n as usize)
    }
}

/// A `splice_write` call: move up to `len` bytes from a pipe to `*ppos` of `file`.
///
/// # Invariants
///
/// The fields are the valid arguments of one `splice_write` call, for `'a`.
pub struct SpliceWrite<'a> {
    pipe: *mut bindings::pipe_inode_info,
    file: *mut bindings::file,
    ppos: *mut bindings::loff_t,
    len: usize,
    flags: c_uint,
    _p: PhantomData<&'a File>,
}

impl SpliceWrite<'_> {
    /// Splices by writing the pipe buffers through the file's `write_iter`
    /// (`iter_file_splice_write`).
    pub fn iter_file_splice_write(self) -> Result<usize> {
        // SAFETY: By the type invariant these are the arguments of a `splice_write` call.
        let n = unsafe {
            bindings::iter_file_splice_write(self.pipe, self.file, self.ppos, self.len, self.flags)
        };
        to_result(n.min(0) as c_int).map(|()| n as usize)
    }
}

/// An `mmap_prepare` call: a mapping of the file is being set up (`struct vm_area_desc`).
///
/// # Invariants
///
/// `desc` is the valid argument of one `mmap_prepare` call, for `'a`.
pub struct MmapPrepare<'a> {
    desc: *mut bindings::vm_area_desc,
    _p: PhantomData<&'a File>,
}

impl MmapPrepare<'_> {
    /// Maps the page cache (`generic_file_mmap_prepare`): faults go through `filemap_fault`.
    pub fn generic_file_mmap_prepare(self) -> Result {
        // SAFETY: By the type invariant `desc` is the argument of an `mmap_prepare` call.
        to_result(unsafe { bindings::generic_file_mmap_prepare(self.desc) })
    }
}

/// A `get_unmapped_area` call: choose the address of a new mapping of the file, with the
/// process's mmap lock held.
///
/// # Invariants
///
/// The fields are the valid arguments of one `get_unmapped_area` call, for `'a`.
pub struct UnmappedArea<'a> {
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
    _p: PhantomData<&'a File>,
}

impl UnmappedArea<'_> {
    /// Chooses an address aligned for the largest folios when the mapping is large enough
    /// (`thp_get_unmapped_area`), so they can be mapped with huge page table entries.
    pub fn thp_get_unmapped_area(self) -> usize {
        // SAFETY: By the type invariant these are the arguments of a `get_unmapped_area`
        // call. The result is an address or a negative error, returned to the VFS as is.
        unsafe {
            bindings::thp_get_unmapped_area(self.file, self.addr, self.len, self.pgoff, self.flags)
                as usize
        }
    }
}

/// The file operations of the files of one kind of inode (`struct file_operations`).
///
/// A slot without an implementation is left empty, with the VFS's default behaviour.
///
/// # Examples
///
/// ```
/// use kernel::{
///     fs::{fops::FileOperations, Kiocb},
///     iov::IovIterDest,
///     prelude::*,
/// };
///
/// /// Files that read as a fixed text.
/// struct Hello;
///
/// #[vtable]
/// impl FileOperations for Hello {
///     fn read_iter(iocb: &mut Kiocb<'_, ()>, to: &mut IovIterDest<'_>) -> Result<usize> {
///         to.simple_read_from_buffer(iocb.ki_pos_mut(), b"hello\n")
///     }
/// }
/// ```
#[vtable]
pub trait FileOperations: Sized + 'static {
    /// `open`: the file of `inode` is being opened.
    fn open(_inode: &Inode, _file: &File) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `read_iter`: reads at `iocb`'s position into `to`, advancing the position.
    fn read_iter(_iocb: &mut Kiocb<'_, ()>, _to: &mut IovIterDest<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write_iter`: writes `from` at `iocb`'s position, advancing the position.
    fn write_iter(_iocb: &mut Kiocb<'_, ()>, _from: &mut IovIterSource<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `llseek`: returns the new position for `lseek(offset, whence)`.
    fn llseek(_file: &File, _offset: i64, _whence: u32) -> Result<i64> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fallocate`: allocates or frees space (`FALLOC_FL_*` in `mode`).
    fn fallocate(_file: &File, _mode: i32, _offset: i64, _len: i64) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fsync`: makes `start..=end` durable.
    fn fsync(_file: &File, _start: i64, _end: i64, _datasync: bool) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mmap_prepare`: a mapping of the file is being set up.
    fn mmap_prepare(_op: MmapPrepare<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `splice_read`: moves data from the file to a pipe.
    fn splice_read(_op: SpliceRead<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `splice_write`: moves data from a pipe to the file.
    fn splice_write(_op: SpliceWrite<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `get_unmapped_area`: returns the address for a new mapping (or a negative error).
    fn get_unmapped_area(_op: UnmappedArea<'_>) -> usize {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The C table of file operations `T`.
pub struct FopsVtable<T>(PhantomData<T>);

/// Returns `Some(f)` if `has`, for the slots of a C table.
const fn slot<F: Copy>(has: bool, f: F) -> Option<F> {
    if has {
        Some(f)
    } else {
        None
    }
}

/// Converts the result of an I/O callback into the C return value.
fn io_result(r: Result<usize>) -> isize {
    match r {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

impl<T: FileOperations> FopsVtable<T> {
    /// The table, with the slots `T` implements.
    pub const VTABLE: bindings::file_operations = bindings::file_operations {
        open: slot(T::HAS_OPEN, Self::open),
        read_iter: slot(T::HAS_READ_ITER, Self::read_iter),
        write_iter: slot(T::HAS_WRITE_ITER, Self::write_iter),
        llseek: slot(T::HAS_LLSEEK, Self::llseek),
        fallocate: slot(T::HAS_FALLOCATE, Self::fallocate),
        fsync: slot(T::HAS_FSYNC, Self::fsync),
        mmap_prepare: slot(T::HAS_MMAP_PREPARE, Self::mmap_prepare),
        splice_read: slot(T::HAS_SPLICE_READ, Self::splice_read),
        splice_write: slot(T::HAS_SPLICE_WRITE, Self::splice_write),
        get_unmapped_area: slot(T::HAS_GET_UNMAPPED_AREA, Self::get_unmapped_area),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::open`, with the arguments it documents.
    unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: The VFS passes a valid inode and the file being opened, for the call.
        let (inode, file) = unsafe { (Inode::from_raw(inode), File::from_raw_file(file)) };
        from_result(|| T::open(inode, file).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::read_iter`, with the arguments it documents.
    unsafe extern "C" fn read_iter(
        iocb: *mut bindings::kiocb,
        to: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: The VFS passes a valid kiocb of a file of ours, which has no private data
        // (read as `()`), and a valid destination iterator, both for the call.
        let (mut iocb, to) = unsafe { (Kiocb::<()>::from_raw(iocb), IovIterDest::from_raw(to)) };
        io_result(T::read_iter(&mut iocb, to))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::write_iter`, with the arguments it documents.
    unsafe extern "C" fn write_iter(
        iocb: *mut bindings::kiocb,
        from: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: As in `read_iter`, with a source iterator.
        let (mut iocb, from) =
            unsafe { (Kiocb::<()>::from_raw(iocb), IovIterSource::from_raw(from)) };
        io_result(T::write_iter(&mut iocb, from))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::llseek`, with the arguments it documents.
    unsafe extern "C" fn llseek(
        file: *mut bindings::file,
        offset: bindings::loff_t,
        whence: c_int,
    ) -> bindings::loff_t {
        // SAFETY: The VFS passes an open file, valid for the call.
        let file = unsafe { File::from_raw_file(file) };
        match T::llseek(file, offset, whence as u32) {
            Ok(pos) => pos,
            Err(e) => e.to_errno().into(),
        }
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::fallocate`, with the arguments it documents.
    unsafe extern "C" fn fallocate(
        file: *mut bindings::file,
        mode: c_int,
        offset: bindings::loff_t,
        len: bindings::loff_t,
    ) -> c_long {
        // SAFETY: The VFS passes an open file, valid for the call.
        let file = unsafe { File::from_raw_file(file) };
        match T::fallocate(file, mode, offset, len) {
            Ok(()) => 0,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::fsync`, with the arguments it documents.
    unsafe extern "C" fn fsync(
        file: *mut bindings::file,
        start: bindings::loff_t,
        end: bindings::loff_t,
        datasync: c_int,
    ) -> c_int {
        // SAFETY: The VFS passes an open file, valid for the call.
        let file = unsafe { File::from_raw_file(file) };
        from_result(|| T::fsync(file, start, end, datasync != 0).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::mmap_prepare`, with the arguments it documents.
    unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
        // INVARIANT: The argument of this `mmap_prepare` call.
        let op = MmapPrepare {
            desc,
            _p: PhantomData,
        };
        from_result(|| T::mmap_prepare(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::splice_read`, with the arguments it documents.
    unsafe extern "C" fn splice_read(
        file: *mut bindings::file,
        ppos: *mut bindings::loff_t,
        pipe: *mut bindings::pipe_inode_info,
        len: usize,
        flags: c_uint,
    ) -> isize {
        // INVARIANT: The arguments of this `splice_read` call.
        let op = SpliceRead {
            file,
            ppos,
            pipe,
            len,
            flags,
            _p: PhantomData,
        };
        io_result(T::splice_read(op))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::splice_write`, with the arguments it documents.
    unsafe extern "C" fn splice_write(
        pipe: *mut bindings::pipe_inode_info,
        file: *mut bindings::file,
        ppos: *mut bindings::loff_t,
        len: usize,
        flags: c_uint,
    ) -> isize {
        // INVARIANT: The arguments of this `splice_write` call.
        let op = SpliceWrite {
            pipe,
            file,
            ppos,
            len,
            flags,
            _p: PhantomData,
        };
        io_result(T::splice_write(op))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::get_unmapped_area`, with the arguments it
    /// documents.
    unsafe extern "C" fn get_unmapped_area(
        file: *mut bindings::file,
        addr: c_ulong,
        len: c_ulong,
        pgoff: c_ulong,
        flags: c_ulong,
    ) -> c_ulong {
        // INVARIANT: The arguments of this `get_unmapped_area` call.
        let op = UnmappedArea {
            file,
            addr,
            len,
            pgoff,
            flags,
            _p: PhantomData,
        };
        T::get_unmapped_area(op) as c_ulong
    }
}
