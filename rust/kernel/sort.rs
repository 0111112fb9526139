// SPDX-License-Identifier: GPL-2.0

//! Sorting slices with the kernel's heapsort, or by integer keys with a radix sort.
//!
//! `core`'s slice sorts recurse (quicksort) and can use kilobytes of stack per level on large
//! inputs, which the kernel's 16 KiB stacks do not have. The kernel's `sort_r()` is a heapsort:
//! no recursion, no allocation, `O(n log n)` comparisons in the worst case, each an indirect
//! call. [`radix_sort_by_key`] makes no comparisons: a few linear passes over elements with
//! integer keys, at the price of a copy of the slice.
//!
//! C header: [`include/linux/sort.h`](srctree/include/linux/sort.h).

use crate::{
    alloc::{AllocError, Flags},
    bindings,
    prelude::*,
};
use core::{cmp::Ordering, ffi::c_void};

/// Calls the comparison closure `F` passed as `priv` on two elements of type `T`.
///
/// # Safety
///
/// `a` and `b` must point to valid, initialised elements of type `T` of the slice being
/// sorted, and `cmp` must point to an `F` that is not otherwise accessed during the call.
unsafe extern "C" fn compare<T, F: FnMut(&T, &T) -> Ordering>(
    a: *const c_void,
    b: *const c_void,
    cmp: *const c_void,
) -> c_int {
    // SAFETY: Per the safety requirements; `sort_r` passes pointers to two whole elements of
    // the array (it swaps whole elements between comparisons) and our `priv` unchanged.
    let (a, b, cmp) = unsafe {
        (
            &*a.cast::<T>(),
            &*b.cast::<T>(),
            &mut *cmp.cast_mut().cast::<F>(),
        )
    };
    match cmp(a, b) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// Sorts `v` with the comparison function `cmp`, without recursion or allocation.
///
/// The sort is not stable. It may sleep (it calls `cond_resched()` on large slices), so it must
/// not be called in atomic context.
///
/// # Examples
///
/// ```
/// use kernel::sort::sort_unstable_by;
///
/// let mut v = [(3u64, 'c'), (1, 'a'), (2, 'b')];
/// sort_unstable_by(&mut v, |x, y| x.0.cmp(&y.0));
/// assert_eq!(v, [(1, 'a'), (2, 'b'), (3, 'c')]);
/// ```
pub fn sort_unstable_by<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut cmp: F) {
    let size = core::mem::size_of::<T>();
    if v.len() < 2 || size == 0 {
        return;
    }
    // SAFETY: `v` is a valid, exclusively borrowed array of `v.len()` elements of `size` bytes.
    // With no swap function, `sort_r` swaps elements byte- or word-wise as their size and
    // alignment allow: a bitwise move, valid for any Rust type, and every element is whole
    // again before the next comparison. `compare::<T, F>` matches `cmp_r_func_t`; `cmp` lives
    // on our stack and is only used through `priv` until `sort_r_nonatomic` returns.
    unsafe {
        bindings::sort_r_nonatomic(
            v.as_mut_ptr().cast(),
            v.len(),
            size,
            Some(compare::<T, F>),
            None,
            (&raw mut cmp).cast_const().cast(),
        )
    };
}

/// Sorts `v` by the key that `key` extracts, without recursion or allocation (see
/// [`sort_unstable_by`]).
///
/// # Examples
///
/// ```
/// use kernel::sort::sort_unstable_by_key;
///
/// let mut v = [30u32, 10, 20];
/// sort_unstable_by_key(&mut v, |&x| core::cmp::Reverse(x));
/// assert_eq!(v, [30, 20, 10]);
/// ```
pub fn sort_unstable_by_key<T, K: Ord, F: FnMut(&T) -> K>(v: &mut [T], mut key: F) {
    sort_unstable_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in ascending order, without recursion or allocation (see [`sort_unstable_by`]).
///
/// # Examples
///
/// ```
/// use kernel::sort::sort_unstable;
///
/// let mut v = [5u64, 1, 4, 2, 3];
/// sort_unstable(&mut v);
/// assert_eq!(v, [1, 2, 3, 4, 5]);
/// ```
pub fn sort_unstable<T: Ord>(v: &mut [T]) {
    sort_unstable_by(v, T::cmp);
}

/// Sorts `v` by the `u64` key that `key` extracts, stably, with a least-significant-digit radix
/// sort: one linear pass per 8 significant bits of the keys, no comparisons, no recursion. It
/// allocates a copy of `v` and 256 counters with `flags`; on allocation failure `v` is left
/// unchanged.
///
/// For many elements with small keys (page frame numbers, inode numbers) it is much faster than
/// [`sort_unstable_by_key`].
///
/// # Examples
///
/// ```
/// use kernel::{alloc::AllocError, prelude::*, sort::radix_sort_by_key};
///
/// let mut v = [(0x30u64, 'c'), (0x1_0010, 'b'), (0x10, 'a'), (0x30, 'd')];
/// radix_sort_by_key(&mut v, |e| e.0, GFP_KERNEL)?;
/// assert_eq!(v, [(0x10, 'a'), (0x30, 'c'), (0x30, 'd'), (0x1_0010, 'b')]);
/// # Ok::<(), AllocError>(())
/// ```
pub fn radix_sort_by_key<T: Copy, F: Fn(&T) -> u64>(
    v: &mut [T],
    key: F,
    flags: Flags,
) -> Result<(), AllocError> {
    let n = v.len();
    // Bits that are set in some key: digits above them are zero everywhere.
    let bits = v.iter().fold(0u64, |acc, e| acc | key(e));
    if n < 2 || bits == 0 {
        return Ok(());
    }
    let mut tmp = KVVec::with_capacity(n, flags)?;
    tmp.extend_from_slice(v, flags)?;
    let mut counts = KVec::from_elem(0usize, 256, flags)?;
    // Where the elements are now: in `v` or in `tmp`.
    let mut in_v = true;
    let mut shift = 0u32;
    while shift < u64::BITS && bits >> shift != 0 {
        let (src, dst): (&[T], &mut [T]) = if in_v {
            (&*v, &mut tmp[..])
        } else {
            (&tmp[..], &mut *v)
        };
        let digit = |e: &T| ((key(e) >> shift) & 0xff) as usize;
        counts.fill(0);
        for e in src {
            counts[digit(e)] += 1;
        }
        // Turn the counts into the start of each digit's run in `dst`.
        let mut at = 0usize;
        for c in counts.iter_mut() {
            let len = *c;
            *c = at;
            at += len;
        }
        for e in src {
            let d = digit(e);
            dst[counts[d]] = *e;
            counts[d] += 1;
        }
        in_v = !in_v;
        shift += 8;
    }
    if !in_v {
        v.copy_from_slice(&tmp);
    }
    Ok(())
}
