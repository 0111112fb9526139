/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * khofs: an in-memory filesystem whose files survive kexec.
 *
 * User-visible constants. See Documentation/filesystems/khofs.rst.
 */
#ifndef _UAPI_LINUX_KHOFS_H
#define _UAPI_LINUX_KHOFS_H

#include <linux/ioctl.h>

/* statfs(2) f_type of a khofs mount ("khof"). */
#define KHOFS_MAGIC		0x6b686f66

/* Filesystem type name for mount(2). */
#define KHOFS_FS_NAME		"khofs"

/*
 * The mount source names the instance: 1 to KHOFS_NAME_MAX characters from
 * [A-Za-z0-9._-]. All mounts of one name share one tree; each instance is
 * handed over across kexec on its own.
 */
#define KHOFS_NAME_MAX		26

/*
 * Control device /dev/khofs (root only).
 *
 * KHOFS_IOC_DISCARD: discard instance @name. A handover of that name from the
 * previous kernel that was not taken over yet is freed at once (its files are
 * never restored); a live instance stops being kept after umount, so it and
 * its files are freed when its last mount goes (at once if it is not
 * mounted). A later mount of the name starts empty.
 */
#define KHOFS_IOC_MAGIC		0xE9

struct khofs_ioc_instance {
	char name[32];		/* NUL-terminated instance name */
};

#define KHOFS_IOC_DISCARD	_IOW(KHOFS_IOC_MAGIC, 1, struct khofs_ioc_instance)

#endif /* _UAPI_LINUX_KHOFS_H */
