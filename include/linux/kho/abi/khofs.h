/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khofs kexec handover ABI.
 */
#ifndef _LINUX_KHO_ABI_KHOFS_H
#define _LINUX_KHO_ABI_KHOFS_H

/**
 * DOC: khofs Kexec HandOver ABI
 *
 * khofs hands its files to the next kernel through KHO. Each named instance
 * (the mount source: ``mount -t khofs NAME DIR``) is handed over on its own,
 * as the KHO subtree ``khofs-NAME``. When an instance is frozen (``fsfreeze
 * -f``, or by khofs itself from a reboot notifier during ``kexec -e``), khofs
 * preserves the page cache of its files: each folio with kho_preserve_folio(),
 * except that single-page folios adjacent both in memory and in the file go in
 * blocks of 2^order pages, aligned to their size in both, each preserved with
 * kho_preserve_pages(). Either way a record of the folio table below describes
 * one range KHO preserved, which the next kernel restores as one folio. khofs
 * then writes the tables into pieces of memory from kho_alloc_preserve(), and
 * publishes a small FDT (also from kho_alloc_preserve()) that describes them.
 * The first mount of instance NAME in the next kernel retrieves ``khofs-NAME``
 * with kho_retrieve_subtree(), takes the table pieces back (each must be a
 * folio KHO preserved), validates all of it, restores the folios with
 * kho_restore_folio() into the page cache of recreated inodes, and frees the
 * FDT and the pieces. Thawing an instance withdraws its handover.
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
 * FDT layout (subtree ``khofs-NAME``)::
 *
 *   / {
 *       compatible = "khofs-v2";
 *       page-shift = <u64>;      // PAGE_SHIFT of the kernel that wrote it
 *       root-ino = <u64>;        // inode number of the root directory
 *       next-ino = <u64>;        // next inode number to hand out (> every ino)
 *       inode-count = <u64>;     // records in the inode table
 *       folio-count = <u64>;     // records in the folio table
 *       dirent-count = <u64>;    // records in the directory entry table
 *       names-size = <u64>;      // bytes of entry names
 *       tables = <phys len ...>; // u64 pairs: the pieces holding the tables
 *   };
 *
 * The tables, concatenated from the pieces in order (each piece at most
 * ``KHOFS_MAX_CHUNK`` bytes, a kho_alloc_preserve() allocation), are::
 *
 *   struct khofs_inode_ser  inodes[inode-count];
 *   struct khofs_folio_ser  folios[folio-count];
 *   struct khofs_dirent_ser dirents[dirent-count];
 *   u8                      names[names-size];  // not NUL-terminated
 *
 * Every inode of the instance that is reachable from the root appears once in
 * ``inodes``; a hard link is one more entry in ``dirents`` for the same inode.
 * The folios of inode N are ``folios[folio_first .. folio_first + folio_count)``;
 * inodes take their folio ranges in table order, and together they use every
 * record exactly once. Regular files and symbolic links (whose target is
 * their data, as in ramfs) have folios; holes are simply absent.
 *
 * Every name of the namespace (a positive, hashed dentry) is an entry; files
 * without a name (unlinked while open, unlinked ``O_TMPFILE`` files) are not
 * handed over. Folios past the end of a regular file (preallocated with
 * ``FALLOC_FL_KEEP_SIZE``) are.
 *
 * Validation by the receiving kernel, before it puts any preserved data folio
 * into a page cache (the sending kernel runs the same validation on what it
 * wrote before it offers the handover): the FDT header and offsets (libfdt);
 * the compatible string; the page size; counts (at most ``KHOFS_MAX_INODES``
 * inodes and ``KHOFS_MAX_FOLIOS`` folios, at most ``KHOFS_MAX_TABLES`` bytes of
 * tables, at most 255 bytes of names per entry); the piece list (page-aligned,
 * non-empty, at most ``KHOFS_MAX_CHUNK`` each, summing to the table size, each
 * a folio KHO preserved);
 * unique, non-zero inode numbers below ``next-ino``; known file types and mode
 * bits; owners other than (u32)-1; nanoseconds below 10^9; sizes (<=
 * LLONG_MAX, zero for inodes without data, 1..4095 for symlinks); device
 * numbers only on devices; folio ranges; folio alignment (address aligned to
 * the folio size, index to its page count), order (at most the receiving
 * kernel's ``MAX_PAGECACHE_ORDER``), order of indexes (strictly increasing,
 * non-overlapping, within ``MAX_LFS_FILESIZE``); symlink data (one order-0
 * folio at index 0); no physical
 * memory described twice; entry names (1..255 bytes, no '/' or NUL, not "."
 * or ".."), parents that are directories, no entry for the root, unique names
 * per directory, exactly one entry per directory, link counts that match the
 * entries, every inode reachable from the root, depth at most
 * ``KHOFS_MAX_DEPTH``; and, at restore, that KHO preserved a folio of that
 * order at that address.
 */

#include <linux/sizes.h>
#include <linux/types.h>

/*
 * Limits enforced on incoming handovers; tables come in at most KHOFS_MAX_PIECES pieces
 * of at most 4 MiB each. Plain numbers, so that bindgen sees them.
 */
#define KHOFS_MAX_CHUNK		SZ_4M
#define KHOFS_MAX_PIECES	1024
#define KHOFS_MAX_INODES	0x400000	/* 1 << 22 */
#define KHOFS_MAX_FOLIOS	0x1000000	/* 1 << 24 */
#define KHOFS_MAX_TABLES	SZ_1G
#define KHOFS_MAX_DEPTH		4096

/* Prefix of the KHO subtree of each instance: "khofs-" followed by its name. */
#define KHOFS_KHO_NODE_PREFIX	"khofs-"

/* Compatible string, with the ABI version. */
#define KHOFS_FDT_COMPATIBLE	"khofs-v2"

/**
 * struct khofs_folio_ser - one folio of a file, as stored in ``folios``: a folio
 * of the sending kernel, or a block of its single-page folios (see above); the
 * receiving kernel restores it as one folio of @order.
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

/**
 * struct khofs_inode_ser - one inode, as stored in ``inodes``.
 * @ino:         inode number (stable across kexec).
 * @mode:        file type and permission bits, including S_ISUID/S_ISGID/S_ISVTX.
 * @uid:         owner in the initial user namespace.
 * @gid:         group in the initial user namespace.
 * @rdev:        device number (new_encode_dev() format) of a device node, else 0.
 * @nlink:       link count: entries for non-directories, 2 + subdirectories
 *               for directories.
 * @reserved0:   must be ignored.
 * @size:        i_size in bytes.
 * @atime_sec:   access time, seconds (signed).
 * @mtime_sec:   modification time, seconds (signed).
 * @ctime_sec:   status change time, seconds (signed).
 * @atime_nsec:  access time, nanoseconds.
 * @mtime_nsec:  modification time, nanoseconds.
 * @ctime_nsec:  status change time, nanoseconds.
 * @reserved1:   must be ignored.
 * @folio_first: index of the inode's first record in ``folios``.
 * @folio_count: number of folio records of the inode.
 *
 * All fields are big-endian.
 */
struct khofs_inode_ser {
	__be64 ino;
	__be32 mode;
	__be32 uid;
	__be32 gid;
	__be32 rdev;
	__be32 nlink;
	__be32 reserved0;
	__be64 size;
	__be64 atime_sec;
	__be64 mtime_sec;
	__be64 ctime_sec;
	__be32 atime_nsec;
	__be32 mtime_nsec;
	__be32 ctime_nsec;
	__be32 reserved1;
	__be64 folio_first;
	__be64 folio_count;
} __packed;

/**
 * struct khofs_dirent_ser - one directory entry, as stored in ``dirents``.
 * @parent:   inode number of the directory.
 * @ino:      inode number the entry refers to.
 * @name_off: offset of the name in ``names``.
 * @name_len: length of the name in bytes.
 *
 * All fields are big-endian.
 */
struct khofs_dirent_ser {
	__be64 parent;
	__be64 ino;
	__be32 name_off;
	__be32 name_len;
} __packed;

#endif /* _LINUX_KHO_ABI_KHOFS_H */
