/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * khofs: an in-memory filesystem whose files survive kexec.
 *
 * User-visible constants. See Documentation/filesystems/khofs.rst.
 */
#ifndef _UAPI_LINUX_KHOFS_H
#define _UAPI_LINUX_KHOFS_H

/* statfs(2) f_type of a khofs mount ("khof"). */
#define KHOFS_MAGIC		0x6b686f66

/* Filesystem type name for mount(2). */
#define KHOFS_FS_NAME		"khofs"

#endif /* _UAPI_LINUX_KHOFS_H */
