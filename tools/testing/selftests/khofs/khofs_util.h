/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the khofs selftest programs. */
#ifndef KHOFS_SELFTEST_UTIL_H
#define KHOFS_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/khofs.h>

/* Discards khofs instance @name (KHOFS_IOC_DISCARD); 0, or -1 with errno set. */
static inline int khofs_discard(const char *name)
{
	struct khofs_ioc_instance arg = { 0 };
	int fd, ret, err;

	if (strlen(name) >= sizeof(arg.name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(arg.name, sizeof(arg.name), "%s", name);
	fd = open("/dev/khofs", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, KHOFS_IOC_DISCARD, &arg);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

#endif
