// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_fill FILE SIZE TAG [hold] - create FILE of SIZE bytes, written only
 * through a MAP_SHARED mapping, with numbered text lines "TAG line NNNNNNNN\n".
 * With FILE "-", write the same bytes to standard output instead. With
 * "hold", keep the mapping (and the file open) forever after writing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void pattern(char *buf, size_t size, const char *tag)
{
	char line[128];
	size_t off = 0;

	for (unsigned long n = 0; off < size; n++) {
		int len = snprintf(line, sizeof(line), "%s line %08lu\n", tag, n);
		size_t c = (size_t)len < size - off ? (size_t)len : size - off;

		memcpy(buf + off, line, c);
		off += c;
	}
}

int main(int argc, char **argv)
{
	size_t size;
	char *buf;
	int fd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s FILE|- SIZE TAG [hold]\n", argv[0]);
		return 2;
	}
	size = strtoul(argv[2], NULL, 0);
	if (!strcmp(argv[1], "-")) {
		buf = malloc(size);
		if (!buf)
			return 1;
		pattern(buf, size, argv[3]);
		return fwrite(buf, 1, size, stdout) == size ? 0 : 1;
	}
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, size)) {
		perror(argv[1]);
		return 1;
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	pattern(buf, size, argv[3]);
	if (msync(buf, size, MS_SYNC)) {
		perror("msync");
		return 1;
	}
	if (argc == 5) {
		printf("holding %s\n", argv[1]);
		fflush(stdout);
		for (;;)
			pause();
	}
	return munmap(buf, size) || close(fd);
}
