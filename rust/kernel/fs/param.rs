// SPDX-License-Identifier: GPL-2.0

//! Mount parameters, parsed with the kernel's `fs_parser`.
//!
//! A file system describes its parameters with a [`Params`] table of [`Spec`]s; the VFS glue
//! (see [`super::sb::FileSystem::PARAMS`]) has `fs_parse` check each parameter against it and
//! hands the file system a typed [`Param`]. Errors are reported through the mount context's
//! [`FcLog`].
//!
//! C header: [`include/linux/fs_parser.h`](srctree/include/linux/fs_parser.h).

use crate::{
    bindings,
    ffi::{c_char, c_void},
    prelude::*,
};

/// The error log of a mount context: messages go to the `fsconfig(2)` caller, or to the
/// kernel log (`<fstype>: message`) for `mount(2)`.
///
/// # Invariants
///
/// `0` points to a valid `fs_context` that the current thread operates on for the lifetime of
/// this object.
///
/// # Examples
///
/// ```
/// use kernel::{fs::param::FcLog, prelude::*};
///
/// fn refuse(log: &FcLog) -> Result {
///     log.err(fmt!("this option cannot change on remount"));
///     Err(EINVAL)
/// }
/// ```
pub struct FcLog(*mut bindings::fs_context);

impl FcLog {
    /// Returns the log of `fc`.
    ///
    /// # Safety
    ///
    /// `fc` must be a valid `fs_context` used by the current thread for the lifetime of the
    /// returned object.
    pub(crate) unsafe fn new(fc: *mut bindings::fs_context) -> Self {
        // INVARIANT: Per the safety requirements.
        Self(fc)
    }

    /// Logs an error, like `errorfc`.
    pub fn err(&self, args: crate::fmt::Arguments<'_>) {
        // SAFETY: By the type invariant the context is valid; `%pA` formats `args`, which
        // outlives the call.
        unsafe {
            let log = &raw mut (*self.0).log;
            bindings::logfc(
                (*log).log,
                (*log).prefix,
                b'e' as c_char,
                c"%pA".as_char_ptr(),
                core::ptr::from_ref(&args).cast::<c_void>(),
            );
        }
    }
}

/// The type of a parameter's value, as `fs_parse` checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `fsparam_string`.
    String,
    /// `fsparam_u32` with a number base (`fsparam_u32oct`: 8).
    U32,
    /// `fsparam_uid`.
    Uid,
    /// `fsparam_gid`.
    Gid,
}

/// One mount parameter of a file system: its name, the kind of value and the number the file
/// system knows it by ([`Param::opt`]).
///
/// # Invariants
///
/// `0` is a valid `fs_parameter_spec`: `name` is a static C string and `type_` one of the
/// functions of [`Kind`], or both are NULL for the entry that ends a table; `data` is NULL or
/// the number base of a `u32`.
///
/// # Examples
///
/// See [`Params`].
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct Spec(bindings::fs_parameter_spec);

// SAFETY: A spec is immutable; its pointers are to static strings and functions.
unsafe impl Sync for Spec {}
// SAFETY: As above.
unsafe impl Send for Spec {}

impl Spec {
    const fn new(name: &'static CStr, kind: Kind, opt: u8, data: usize) -> Self {
        let type_: bindings::fs_param_type = match kind {
            Kind::String => Some(bindings::fs_param_is_string),
            Kind::U32 => Some(bindings::fs_param_is_u32),
            Kind::Uid => Some(bindings::fs_param_is_uid),
            Kind::Gid => Some(bindings::fs_param_is_gid),
        };
        // INVARIANT: `name` is static and NUL-terminated; `type_` is the function of `kind`.
        Self(bindings::fs_parameter_spec {
            name: name.to_bytes_with_nul().as_ptr(),
            type_,
            opt,
            flags: 0,
            data: core::ptr::without_provenance(data),
        })
    }

    /// A parameter with a string value (`fsparam_string`).
    pub const fn string(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, Kind::String, opt, 0)
    }

    /// A parameter with an unsigned 32-bit value in base `base` (`fsparam_u32`, or
    /// `fsparam_u32oct` for base 8).
    pub const fn u32(name: &'static CStr, opt: u8, base: u8) -> Self {
        Self::new(name, Kind::U32, opt, base as usize)
    }

    /// A user ID (`fsparam_uid`), mapped through the mounter's user namespace.
    pub const fn uid(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, Kind::Uid, opt, 0)
    }

    /// A group ID (`fsparam_gid`), mapped through the mounter's user namespace.
    pub const fn gid(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, Kind::Gid, opt, 0)
    }

    /// The entry that ends a table.
    pub const END: Self = Self(bindings::fs_parameter_spec {
        name: core::ptr::null(),
        type_: None,
        opt: 0,
        flags: 0,
        data: core::ptr::null(),
    });

    /// Returns whether this is [`Spec::END`].
    const fn is_end(&self) -> bool {
        self.0.name.is_null()
    }

    /// Returns the kind of value of this parameter.
    fn kind(&self) -> Option<Kind> {
        let is = |f: bindings::fs_param_type| match (self.0.type_, f) {
            (Some(a), Some(b)) => core::ptr::fn_addr_eq(a, b),
            _ => false,
        };
        let kinds: [(Kind, bindings::fs_param_type); 4] = [
            (Kind::String, Some(bindings::fs_param_is_string)),
            (Kind::U32, Some(bindings::fs_param_is_u32)),
            (Kind::Uid, Some(bindings::fs_param_is_uid)),
            (Kind::Gid, Some(bindings::fs_param_is_gid)),
        ];
        kinds.into_iter().find(|&(_, f)| is(f)).map(|(k, _)| k)
    }
}

/// A table of mount parameters, ended by [`Spec::END`].
///
/// # Invariants
///
/// The last entry of `0`, and only that one, is [`Spec::END`]; options are unique.
///
/// # Examples
///
/// ```
/// use kernel::fs::param::{Params, Spec};
///
/// const OPT_SIZE: u8 = 0;
/// const OPT_MODE: u8 = 1;
/// static PARAMS: Params = Params::new(&[
///     Spec::string(c"size", OPT_SIZE),
///     Spec::u32(c"mode", OPT_MODE, 8),
///     Spec::END,
/// ]);
/// ```
#[derive(Clone, Copy)]
pub struct Params(&'static [Spec]);

impl Params {
    /// A table without parameters.
    pub const EMPTY: Self = Self(&[Spec::END]);

    /// Makes a table of `specs`, which must end with [`Spec::END`] (and have no other) and use
    /// each option number once; panics otherwise (at compile time in a `const` or `static`).
    pub const fn new(specs: &'static [Spec]) -> Self {
        let n = specs.len();
        assert!(
            n > 0 && specs[n - 1].is_end(),
            "a table must end with Spec::END"
        );
        let mut i = 0;
        while i + 1 < n {
            assert!(!specs[i].is_end(), "Spec::END must be last");
            let mut j = i + 1;
            while j + 1 < n {
                assert!(
                    specs[i].0.opt != specs[j].0.opt,
                    "option numbers must be unique"
                );
                j += 1;
            }
            i += 1;
        }
        // INVARIANT: Checked above.
        Self(specs)
    }

    /// Returns the kind of option `opt`.
    fn kind(&self, opt: u8) -> Option<Kind> {
        self.0
            .iter()
            .find(|s| !s.is_end() && s.0.opt == opt)?
            .kind()
    }
}

/// The value of a parsed parameter.
///
/// # Examples
///
/// See [`Param`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A string.
    String(&'a CStr),
    /// An unsigned number.
    U32(u32),
    /// A user ID in the initial user namespace, representable in the mounter's.
    Uid(u32),
    /// A group ID in the initial user namespace, representable in the mounter's.
    Gid(u32),
}

/// A mount parameter that `fs_parse` matched against a [`Params`] table.
///
/// # Examples
///
/// ```
/// use kernel::{fs::param::{Param, Value}, prelude::*};
///
/// fn mode(p: &Param<'_>) -> Result<u32> {
///     match p.value() {
///         Value::U32(m) if m <= 0o7777 => Ok(m),
///         _ => {
///             p.log().err(fmt!("bad mode"));
///             Err(EINVAL)
///         }
///     }
/// }
/// ```
pub struct Param<'a> {
    opt: u8,
    value: Value<'a>,
    log: FcLog,
}

impl<'a> Param<'a> {
    /// Parses `param` of context `fc` against `table`. Returns `ENOPARAM` (as an error) for a
    /// parameter not in the table, which the VFS then handles (for example `source`).
    ///
    /// # Safety
    ///
    /// `fc` and `param` must be the valid arguments of `fs_context_operations::parse_param`,
    /// valid for `'a`.
    pub(crate) unsafe fn parse(
        fc: *mut bindings::fs_context,
        param: *mut bindings::fs_parameter,
        table: &Params,
    ) -> Result<Self> {
        let mut result = bindings::fs_parse_result::default();
        // SAFETY: Per the safety requirements `fc` and `param` are valid; by the type
        // invariant of `Params` the table is terminated and static, and `Spec` is transparent
        // over `fs_parameter_spec`.
        let opt = unsafe {
            bindings::__fs_parse(
                &raw mut (*fc).log,
                table.0.as_ptr().cast(),
                param,
                &mut result,
            )
        };
        let opt = u8::try_from(opt).map_err(|_| Error::from_errno(opt))?;
        // SAFETY: `fc` is valid and used by this thread for `'a`.
        let log = unsafe { FcLog::new(fc) };
        let value = match table.kind(opt).ok_or(EINVAL)? {
            Kind::String => {
                // SAFETY: `fs_parse` checked the parameter against its spec: a string
                // parameter has a valid `string`, which lives as long as the parameter.
                Value::String(unsafe { CStr::from_char_ptr(bindings::fs_param_string(param)) })
            }
            // SAFETY: `fs_param_is_u32` filled `uint_32`.
            Kind::U32 => Value::U32(unsafe { bindings::fs_parse_result_u32(&result) }),
            Kind::Uid | Kind::Gid => {
                let uid = table.kind(opt) == Some(Kind::Uid);
                // SAFETY: `fc` is valid. `fs_param_is_uid`/`_gid` filled `uid`/`gid`, mapped
                // through the caller's user namespace; the id must also be representable in
                // the context's (checked below).
                let (local, global) = unsafe {
                    let ns = (*fc).user_ns;
                    let init = &raw mut bindings::init_user_ns;
                    if uid {
                        let k = bindings::fs_parse_result_uid(&result);
                        (bindings::from_kuid(ns, k), bindings::from_kuid(init, k))
                    } else {
                        let k = bindings::fs_parse_result_gid(&result);
                        (bindings::from_kgid(ns, k), bindings::from_kgid(init, k))
                    }
                };
                // The id must be representable in the mounter's idmapping.
                if local == u32::MAX || global == u32::MAX {
                    let what = if uid { "uid" } else { "gid" };
                    log.err(fmt!("{what} not mapped"));
                    return Err(EINVAL);
                }
                if uid {
                    Value::Uid(global)
                } else {
                    Value::Gid(global)
                }
            }
        };
        Ok(Self { opt, value, log })
    }

    /// Returns the option number of the matched [`Spec`].
    pub fn opt(&self) -> u8 {
        self.opt
    }

    /// Returns the value.
    pub fn value(&self) -> Value<'a> {
        self.value
    }

    /// Returns the mount context's error log.
    pub fn log(&self) -> &FcLog {
        &self.log
    }
}

/// Parses a number with an optional `k`/`m`/`g`/`t`/`p`/`e` suffix (`memparse`) at the start
/// of `s`; returns it and the rest of `s`.
///
/// # Examples
///
/// ```
/// use kernel::fs::param::memparse;
///
/// assert_eq!(memparse(c"4k%"), (4096, &b"%"[..]));
/// ```
pub fn memparse(s: &CStr) -> (u64, &[u8]) {
    let mut rest: *mut c_char = core::ptr::null_mut();
    // SAFETY: `s` is a valid C string; `memparse` stops at its end or earlier and points
    // `rest` at the first byte not parsed.
    let n = unsafe { bindings::memparse(s.as_char_ptr(), &mut rest) };
    let bytes = s.to_bytes();
    // SAFETY: `rest` points into `s`, at most at its NUL.
    let used = unsafe { rest.cast_const().offset_from(s.as_char_ptr()) } as usize;
    (n, &bytes[used.min(bytes.len())..])
}
