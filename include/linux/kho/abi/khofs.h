/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khofs kexec handover ABI.
 */
#ifndef _LINUX_KHO_ABI_KHOFS_H
#define _LINUX_KHO_ABI_KHOFS_H

/**
 * DOC: khofs Kexec HandOver ABI
 *
 * khofs hands its files to the next kernel through KHO. At kexec (from a
 * reboot notifier, once ``kexec_in_progress`` is set) it preserves every
 * page-cache folio of the mounted instance with kho_preserve_folio() and
 * publishes one FDT blob, allocated with kho_alloc_preserve(), as the KHO
 * subtree named ``KHOFS_KHO_NODE``. The first mount of khofs in the next
 * kernel retrieves the blob with kho_retrieve_subtree(), validates all of it,
 * restores the folios with kho_restore_folio() into the page cache of
 * recreated inodes, and frees the blob.
 *
 * This interface is a contract between kernels. Any change to the node
 * layout, property names, property encodings or their meaning is a breaking
 * change and requires a new version in ``KHOFS_FDT_COMPATIBLE``. A kernel
 * refuses (fails the mount with ``EPROTONOSUPPORT``) any version other than
 * its own.
 *
 * All integers are big-endian, as the device-tree specification requires, so
 * ``dtc -I dtb -O dts /sys/kernel/debug/kho/out/sub_fdts/khofs`` shows them
 * correctly. Strings are NUL-terminated.
 *
 * FDT layout::
 *
 *   / {
 *       compatible = "khofs-v1";
 *       file-count = <u32>;          // number of nodes under /files
 *
 *       files {
 *           0 {                      // node names are decimal indexes
 *               name = "file name";  // one path component: 1..255 bytes,
 *                                    // no '/' or NUL, not "." or ".."
 *               ino = <u64>;         // inode number in the old kernel
 *               mode = <u32>;        // S_IFREG | permission bits (07777)
 *               uid = <u32>;         // owner in the initial user namespace
 *               gid = <u32>;
 *               size = <u64>;        // i_size in bytes, <= LLONG_MAX
 *               folios = [records];  // struct khofs_folio_ser, repeated
 *           };
 *           1 { ... };
 *       };
 *   };
 *
 * In version 1 every file lives in the root directory of the single khofs
 * instance, and the whole blob must fit one kho_alloc_preserve() allocation
 * (4 MiB on x86-64: about 170,000 folios).
 *
 * Validation by the receiving kernel: the header and every offset (libfdt);
 * the compatible string; file-count against the nodes present; every name;
 * the mode's type and bits; the size; each folio record's alignment (address
 * aligned to the folio size, index aligned to the folio's page count), order
 * (<= MAX_PAGE_ORDER), position (strictly increasing, non-overlapping
 * indexes, first page before EOF); unique names; no physical memory described
 * twice across all files; and, at restore, that KHO really preserved a folio
 * of that order at that address.
 */

#include <linux/types.h>

/* Name of the KHO subtree that carries khofs state. */
#define KHOFS_KHO_NODE		"khofs"

/* Compatible string, with the ABI version. */
#define KHOFS_FDT_COMPATIBLE	"khofs-v1"

/**
 * struct khofs_folio_ser - one folio of a file, as stored in ``folios``.
 * @phys:  physical address of the folio (aligned to its size).
 * @index: page index of the folio's first page within the file.
 * @order: folio order; the folio spans 1 << @order pages.
 *
 * All fields are big-endian 64-bit values.
 */
struct khofs_folio_ser {
	__be64 phys;
	__be64 index;
	__be64 order;
} __packed;

#endif /* _LINUX_KHO_ABI_KHOFS_H */
