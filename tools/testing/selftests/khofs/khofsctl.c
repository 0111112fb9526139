// SPDX-License-Identifier: GPL-2.0
/*
 * khofsctl - control khofs instances through /dev/khofs.
 *
 *   khofsctl discard NAME   discard instance NAME (see KHOFS_IOC_DISCARD)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/khofs.h>

int main(int argc, char **argv)
{
	struct khofs_ioc_instance arg = { 0 };
	int fd;

	if (argc != 3 || strcmp(argv[1], "discard")) {
		fprintf(stderr, "usage: %s discard NAME\n", argv[0]);
		return 2;
	}
	if (strlen(argv[2]) >= sizeof(arg.name)) {
		fprintf(stderr, "%s: name too long\n", argv[0]);
		return 2;
	}
	snprintf(arg.name, sizeof(arg.name), "%s", argv[2]);
	fd = open("/dev/khofs", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, KHOFS_IOC_DISCARD, &arg)) {
		fprintf(stderr, "%s: discard %s: %s\n", argv[0], argv[2], strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}
