// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_op - single file operations that busybox has no applet for.
 *
 *   khofs_op tmpfile DIR TEXT           create an O_TMPFILE file in DIR holding
 *                                       TEXT, print "holding", keep it open
 *                                       (unnamed) until killed
 *   khofs_op falloc FILE OFF LEN MODE   fallocate(2) with MODE "alloc", "keep"
 *                                       (FALLOC_FL_KEEP_SIZE) or "punch"
 *   khofs_op discard-unprivileged NAME  open /dev/khofs as root, drop to uid
 *                                       65534, then KHOFS_IOC_DISCARD: prints
 *                                       "EPERM" if refused, "done" if not
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "khofs_util.h"

static int hold_tmpfile(const char *dir, const char *text)
{
	int fd = open(dir, O_TMPFILE | O_RDWR, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("O_TMPFILE");
		return 1;
	}
	printf("holding\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int falloc(const char *file, const char *off, const char *len, const char *mode)
{
	int fd = open(file, O_RDWR | O_CREAT, 0644), m;

	if (!strcmp(mode, "alloc"))
		m = 0;
	else if (!strcmp(mode, "keep"))
		m = FALLOC_FL_KEEP_SIZE;
	else if (!strcmp(mode, "punch"))
		m = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	else
		return 2;
	if (fd < 0 || fallocate(fd, m, strtoll(off, NULL, 0), strtoll(len, NULL, 0))) {
		perror("fallocate");
		return 1;
	}
	return 0;
}

static int discard_unprivileged(const char *name)
{
	struct khofs_ioc_instance arg = { 0 };
	int fd = open("/dev/khofs", O_RDWR | O_CLOEXEC);

	snprintf(arg.name, sizeof(arg.name), "%s", name);
	if (fd < 0 || setgid(65534) || setuid(65534)) {
		perror("setup");
		return 1;
	}
	if (ioctl(fd, KHOFS_IOC_DISCARD, &arg) == 0)
		printf("done\n");
	else
		printf("%s\n", errno == EPERM ? "EPERM" : strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tmpfile"))
		return hold_tmpfile(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "falloc"))
		return falloc(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 3 && !strcmp(argv[1], "discard-unprivileged"))
		return discard_unprivileged(argv[2]);
	fprintf(stderr, "usage: %s tmpfile DIR TEXT | falloc FILE OFF LEN alloc|keep|punch | %s\n",
		argv[0], "discard-unprivileged NAME");
	return 2;
}
