// SPDX-License-Identifier: GPL-2.0
/*
 * khofsctl - control khofs instances through /dev/khofs.
 *
 *   khofsctl discard NAME   discard instance NAME (see KHOFS_IOC_DISCARD)
 */
#include "khofs_util.h"

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "discard")) {
		fprintf(stderr, "usage: %s discard NAME\n", argv[0]);
		return 2;
	}
	if (strlen(argv[2]) >= sizeof(((struct khofs_ioc_instance *)0)->name)) {
		fprintf(stderr, "%s: name too long\n", argv[0]);
		return 2;
	}
	if (khofs_discard(argv[2])) {
		fprintf(stderr, "%s: discard %s: %s\n", argv[0], argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
