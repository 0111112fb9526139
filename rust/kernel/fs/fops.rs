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
    fs::{
        inode::Inode,
        sb::{slot, FileSystem},
        File, Kiocb,
    },
    iov::{IovIterDest, IovIterSource},
    prelude::*,
};
use core::marker::PhantomData;

/// Ties an argument object to the call it came from (`'a`) and to the file system `T` whose
/// file the call is on.
type Marker<'a, T> = PhantomData<(&'a File, fn() -> T)>;

/// A file being opened (`open`): not yet visible to anyone else.
///
/// # Invariants
///
/// The pointers are the valid arguments, on a file of a `T` superblock, of one `open` call,
/// for `'a`.
pub struct Open<'a, T: FileSystem> {
    pub(crate) inode: *mut bindings::inode,
    pub(crate) file: *mut bindings::file,
    _p: Marker<'a, T>,
}

impl<'a, T: FileSystem> Open<'a, T> {
    /// Returns the inode being opened.
    pub fn inode(&self) -> &'a Inode {
        // SAFETY: By the type invariant `inode` is valid for `'a`.
        unsafe { Inode::from_raw(self.inode) }
    }
}

/// A read or write of a file (`read_iter`, `write_iter`) at the position of its
/// [`Kiocb`].
///
/// # Invariants
///
/// `iocb` is the kiocb of one `read_iter` or `write_iter` call on a file of a `T` superblock.
pub struct Io<'a, T: FileSystem> {
    iocb: Kiocb<'a, ()>,
    _p: Marker<'a, T>,
}

impl<'a, T: FileSystem> Io<'a, T> {
    /// Returns the request: file and position.
    pub fn kiocb(&mut self) -> &mut Kiocb<'a, ()> {
        &mut self.iocb
    }
}

/// A change of the file position (`llseek`).
///
/// # Invariants
///
/// `file` is the valid argument, on a file of a `T` superblock, of one `llseek` call, for
/// `'a`.
pub struct Llseek<'a, T: FileSystem> {
    pub(crate) file: *mut bindings::file,
    pub(crate) offset: i64,
    pub(crate) whence: u32,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> Llseek<'_, T> {
    /// Returns the offset `lseek(2)` was given.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Returns how the offset is to be read (`SEEK_SET`, `SEEK_CUR`, `SEEK_END`,
    /// `SEEK_DATA`, `SEEK_HOLE`).
    pub fn whence(&self) -> u32 {
        self.whence
    }

    /// Moves the position as `generic_file_llseek` does (up to `s_maxbytes`).
    pub fn generic_file_llseek(self) -> Result<i64> {
        // SAFETY: By the type invariant `file` is an open file of the call.
        let pos =
            unsafe { bindings::generic_file_llseek(self.file, self.offset, self.whence as c_int) };
        to_result(pos.min(0) as c_int).map(|()| pos)
    }
}

/// An allocation or deallocation of space (`fallocate`): the VFS checked the range and holds
/// write access to the superblock.
///
/// # Invariants
///
/// `file` is the valid argument, on a file of a `T` superblock, of one `fallocate` call, for
/// `'a`.
pub struct Fallocate<'a, T: FileSystem> {
    pub(crate) file: *mut bindings::file,
    pub(crate) mode: i32,
    pub(crate) offset: i64,
    pub(crate) len: i64,
    _p: Marker<'a, T>,
}

/// A request to make the data of a file of file system `T` durable (`fsync`).
///
/// # Invariants
///
/// Created only for one `fsync` call on a file of a `T` superblock, for `'a`.
pub struct Fsync<'a, T: FileSystem> {
    _p: Marker<'a, T>,
}

/// A `splice_read` call: move up to `len` bytes at `*ppos` of `file` into a locked pipe.
///
/// # Invariants
///
/// The fields are the valid arguments, on a file of a `T` superblock, of one `splice_read` call,
/// for `'a`.
pub struct SpliceRead<'a, T: FileSystem> {
    file: *mut bindings::file,
    ppos: *mut bindings::loff_t,
    pipe: *mut bindings::pipe_inode_info,
    len: usize,
    flags: c_uint,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> SpliceRead<'_, T> {
    /// Splices by reading through the file's `read_iter` into pipe buffers
    /// (`copy_splice_read`).
    ///
    /// # Safety
    ///
    /// The file's `read_iter` must report only bytes it wrote into the iterator:
    /// `copy_splice_read` puts that many bytes of pages it did not initialise into the pipe.
    /// (A safe `read_iter` can advance the iterator without writing.)
    pub unsafe fn copy_splice_read(self) -> Result<usize> {
        // SAFETY: By the type invariant these are the arguments of a `splice_read` call; the
        // count is trusted per the safety requirements.
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
/// The fields are the valid arguments, on a file of a `T` superblock, of one `splice_write` call,
/// for `'a`.
pub struct SpliceWrite<'a, T: FileSystem> {
    pipe: *mut bindings::pipe_inode_info,
    file: *mut bindings::file,
    ppos: *mut bindings::loff_t,
    len: usize,
    flags: c_uint,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> SpliceWrite<'_, T> {
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
/// `desc` is the valid argument, for a file of a `T` superblock, of one `mmap_prepare` call, for
/// `'a`.
pub struct MmapPrepare<'a, T: FileSystem> {
    desc: *mut bindings::vm_area_desc,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> MmapPrepare<'_, T> {
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
/// The fields are the valid arguments, on a file of a `T` superblock, of one `get_unmapped_area`
/// call, for `'a`.
pub struct UnmappedArea<'a, T: FileSystem> {
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
    _p: Marker<'a, T>,
}

impl<T: FileSystem> UnmappedArea<'_, T> {
    /// Chooses an address aligned for the largest folios when the mapping is large enough
    /// (`thp_get_unmapped_area`), so they can be mapped with huge page table entries.
    /// Without `CONFIG_TRANSPARENT_HUGEPAGE`, the default placement (`mm_get_unmapped_area`).
    pub fn thp_get_unmapped_area(self) -> Result<usize> {
        // SAFETY: By the type invariant these are the arguments of a `get_unmapped_area`
        // call. The result is an address or a negative error.
        #[cfg(CONFIG_TRANSPARENT_HUGEPAGE)]
        let addr = unsafe {
            bindings::thp_get_unmapped_area(self.file, self.addr, self.len, self.pgoff, self.flags)
        };
        // SAFETY: As above.
        #[cfg(not(CONFIG_TRANSPARENT_HUGEPAGE))]
        let addr = unsafe {
            bindings::mm_get_unmapped_area(self.file, self.addr, self.len, self.pgoff, self.flags)
        };
        let err = addr as isize;
        if (-(bindings::MAX_ERRNO as isize)..0).contains(&err) {
            return Err(Error::from_errno(err as c_int));
        }
        Ok(addr as usize)
    }
}

/// The file operations of the files of one kind of inode (`struct file_operations`).
///
/// A slot without an implementation is left empty, with the VFS's default behaviour.
///
/// # Examples
///
/// ```
/// use core::marker::PhantomData;
/// use kernel::{
///     fs::{fops::{FileOperations, Io}, sb::FileSystem},
///     iov::IovIterDest,
///     prelude::*,
/// };
///
/// /// Files of file system `T` that read as a fixed text.
/// struct Hello<T>(PhantomData<T>);
///
/// #[vtable]
/// impl<T: FileSystem> FileOperations for Hello<T> {
///     type FileSystem = T;
///
///     fn read_iter(io: &mut Io<'_, T>, to: &mut IovIterDest<'_>) -> Result<usize> {
///         to.simple_read_from_buffer(io.kiocb().ki_pos_mut(), b"hello\n")
///     }
/// }
/// ```
#[vtable]
pub trait FileOperations: Sized + 'static {
    /// The file system whose files these operations serve.
    type FileSystem: FileSystem;

    /// `open`: the file is being opened.
    fn open(_op: Open<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `read_iter`: reads at the position of `io` into `to`, advancing the position; returns
    /// the number of bytes read (at most what was copied into `to`).
    fn read_iter(_io: &mut Io<'_, Self::FileSystem>, _to: &mut IovIterDest<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write_iter`: writes `from` at the position of `io`, advancing the position; returns
    /// the number of bytes written (at most what was taken from `from`).
    fn write_iter(
        _io: &mut Io<'_, Self::FileSystem>,
        _from: &mut IovIterSource<'_>,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `llseek`: returns the new position for `lseek(offset, whence)`.
    fn llseek(_op: Llseek<'_, Self::FileSystem>) -> Result<i64> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fallocate`: allocates or frees space.
    fn fallocate(_op: Fallocate<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `fsync`: makes the file's data durable.
    fn fsync(_op: Fsync<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mmap_prepare`: a mapping of the file is being set up.
    fn mmap_prepare(_op: MmapPrepare<'_, Self::FileSystem>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `splice_read`: moves data from the file to a pipe.
    fn splice_read(_op: SpliceRead<'_, Self::FileSystem>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `splice_write`: moves data from a pipe to the file.
    fn splice_write(_op: SpliceWrite<'_, Self::FileSystem>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `get_unmapped_area`: returns the address for a new mapping.
    fn get_unmapped_area(_op: UnmappedArea<'_, Self::FileSystem>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The C table of file operations `T`.
///
/// The table may only be installed on inodes of `T::FileSystem` superblocks: its callbacks
/// hand out argument objects that say so. [`super::memfs`] installs the tables a
/// [`FileSystem`] names on its inodes.
pub struct FopsVtable<T>(PhantomData<T>);

/// Converts the result of an I/O callback into the C return value, with a count of at most
/// `max` bytes (what the callback really moved), so that callers that trust the count (the
/// splice code) stay within their buffers.
fn io_result(r: Result<usize>, max: usize) -> isize {
    match r {
        Ok(n) => n.min(max) as isize,
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
        // INVARIANT: The arguments of this `open` call, on a file of `T::FileSystem` (where
        // the table is installed).
        let op = Open {
            inode,
            file,
            _p: PhantomData,
        };
        from_result(|| T::open(op).map(|()| 0))
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
        let (iocb, to) = unsafe { (Kiocb::<()>::from_raw(iocb), IovIterDest::from_raw(to)) };
        // INVARIANT: The kiocb of this `read_iter` call, on a file of `T::FileSystem`.
        let mut io = Io {
            iocb,
            _p: PhantomData,
        };
        let before = to.len();
        let r = T::read_iter(&mut io, to);
        io_result(r, before.saturating_sub(to.len()))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::write_iter`, with the arguments it documents.
    unsafe extern "C" fn write_iter(
        iocb: *mut bindings::kiocb,
        from: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: As in `read_iter`, with a source iterator.
        let (iocb, from) = unsafe { (Kiocb::<()>::from_raw(iocb), IovIterSource::from_raw(from)) };
        // INVARIANT: The kiocb of this `write_iter` call, on a file of `T::FileSystem`.
        let mut io = Io {
            iocb,
            _p: PhantomData,
        };
        let before = from.len();
        let r = T::write_iter(&mut io, from);
        io_result(r, before.saturating_sub(from.len()))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::llseek`, with the arguments it documents.
    unsafe extern "C" fn llseek(
        file: *mut bindings::file,
        offset: bindings::loff_t,
        whence: c_int,
    ) -> bindings::loff_t {
        // INVARIANT: The arguments of this `llseek` call, on a file of `T::FileSystem`.
        let op = Llseek {
            file,
            offset,
            whence: whence as u32,
            _p: PhantomData,
        };
        match T::llseek(op) {
            Ok(pos) if pos >= 0 => pos,
            Ok(_) => EINVAL.to_errno().into(),
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
        // INVARIANT: The arguments of this `fallocate` call, on a file of `T::FileSystem`.
        let op = Fallocate {
            file,
            mode,
            offset,
            len,
            _p: PhantomData,
        };
        match T::fallocate(op) {
            Ok(()) => 0,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::fsync`, with the arguments it documents.
    unsafe extern "C" fn fsync(
        _file: *mut bindings::file,
        _start: bindings::loff_t,
        _end: bindings::loff_t,
        _datasync: c_int,
    ) -> c_int {
        // INVARIANT: For this `fsync` call, on a file of `T::FileSystem`.
        let op = Fsync { _p: PhantomData };
        from_result(|| T::fsync(op).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called by the VFS as `file_operations::mmap_prepare`, with the arguments it documents.
    unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
        // INVARIANT: The argument of this `mmap_prepare` call, for a file of `T::FileSystem`.
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
        // INVARIANT: The arguments of this `splice_read` call, on a file of `T::FileSystem`.
        let op = SpliceRead {
            file,
            ppos,
            pipe,
            len,
            flags,
            _p: PhantomData,
        };
        io_result(T::splice_read(op), len)
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
        // INVARIANT: The arguments of this `splice_write` call, on a file of `T::FileSystem`.
        let op = SpliceWrite {
            pipe,
            file,
            ppos,
            len,
            flags,
            _p: PhantomData,
        };
        io_result(T::splice_write(op), len)
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
        // INVARIANT: The arguments of this `get_unmapped_area` call, on a file of
        // `T::FileSystem`.
        let op = UnmappedArea {
            file,
            addr,
            len,
            pgoff,
            flags,
            _p: PhantomData,
        };
        match T::get_unmapped_area(op) {
            Ok(addr) => addr as c_ulong,
            Err(e) => e.to_errno() as c_long as c_ulong,
        }
    }
}
