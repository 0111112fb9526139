// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_stress DIR SECONDS SEED [resume]
 *
 * Random mixed pwrite/pread/truncate/mmap-write/mmap-read/fsync on a few
 * files, each checked against an in-memory model after every read and in
 * full every 64 operations. Writes are sometimes 2 MiB-aligned and 2 MiB long
 * (large folios), truncations cut through them. At the end, the model of each
 * file is saved next to it as FILE.model; with "resume", the run starts by
 * loading FILE.model and checking FILE against it (for use across kexec).
 * Prints the operation count; exits 1 on the first mismatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NFILES 4
#define MAXSIZE (12 << 20)

static unsigned char *model[NFILES];
static size_t size[NFILES];
static int fds[NFILES];
static uint64_t rng;
static unsigned long ops;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fail(int f, const char *what, size_t off)
{
	fprintf(stderr, "khofs_stress: file %d: %s mismatch near offset %zu after %lu ops\n",
		f, what, off, ops);
	printf("not ok 1 stress: mismatch after %lu ops\n", ops);
	exit(1);
}

static void check_range(int f, const unsigned char *got, size_t off, size_t len,
			const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (got[i] != model[f][off + i])
			fail(f, what, off + i);
}

static void check_file(int f)
{
	static unsigned char buf[MAXSIZE];
	struct stat st;

	if (fstat(fds[f], &st) || (size_t)st.st_size != size[f])
		fail(f, "size", st.st_size);
	if (pread(fds[f], buf, size[f], 0) != (ssize_t)size[f])
		fail(f, "full read", 0);
	check_range(f, buf, 0, size[f], "full read");
}

static void one_op(int f)
{
	static unsigned char buf[MAXSIZE];
	size_t off = rnd() % MAXSIZE, len = 1 + rnd() % (256 << 10);
	unsigned char *map;

	if (rnd() % 8 == 0) {		/* 2 MiB aligned, 2 MiB long */
		off = (rnd() % 5) << 21;
		len = 2 << 20;
	}
	if (off + len > MAXSIZE)
		len = MAXSIZE - off;
	switch (rnd() % 7) {
	case 0: case 1:			/* pwrite */
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)(rnd() >> 32);
		if (pwrite(fds[f], buf, len, off) != (ssize_t)len)
			fail(f, "pwrite", off);
		memcpy(model[f] + off, buf, len);
		if (off + len > size[f])
			size[f] = off + len;
		break;
	case 2:				/* pread */
		if (off >= size[f])
			break;
		if (off + len > size[f])
			len = size[f] - off;
		if (pread(fds[f], buf, len, off) != (ssize_t)len)
			fail(f, "pread", off);
		check_range(f, buf, off, len, "pread");
		break;
	case 3:				/* truncate up or down */
		if (ftruncate(fds[f], off))
			fail(f, "ftruncate", off);
		if (off > size[f])
			memset(model[f] + size[f], 0, off - size[f]);
		else
			memset(model[f] + off, 0, size[f] - off);
		size[f] = off;
		break;
	case 4: case 5:			/* mmap store or load inside the file */
		if (off >= size[f])
			break;
		if (off + len > size[f])
			len = size[f] - off;
		map = mmap(NULL, size[f], PROT_READ | PROT_WRITE, MAP_SHARED, fds[f], 0);
		if (map == MAP_FAILED)
			fail(f, "mmap", 0);
		if (rnd() % 2) {
			unsigned char v = (unsigned char)rnd();

			memset(map + off, v, len);
			memset(model[f] + off, v, len);
		} else {
			check_range(f, map + off, off, len, "mmap load");
		}
		munmap(map, size[f]);
		break;
	case 6:
		if (fsync(fds[f]))
			fail(f, "fsync", 0);
		break;
	}
	ops++;
}

int main(int argc, char **argv)
{
	char path[4096];
	time_t end;
	int resume;

	if (argc < 4) {
		fprintf(stderr, "usage: %s DIR SECONDS SEED [resume]\n", argv[0]);
		return 2;
	}
	end = time(NULL) + atoi(argv[2]);
	rng = strtoull(argv[3], NULL, 0) | 1;
	resume = argc > 4;
	for (int f = 0; f < NFILES; f++) {
		model[f] = calloc(1, MAXSIZE);
		snprintf(path, sizeof(path), "%s/f%d", argv[1], f);
		fds[f] = open(path, O_CREAT | O_RDWR, 0644);
		if (!model[f] || fds[f] < 0)
			return 2;
		if (resume) {
			snprintf(path, sizeof(path), "%s/f%d.model", argv[1], f);
			int m = open(path, O_RDONLY);
			ssize_t n = m < 0 ? -1 : read(m, model[f], MAXSIZE);

			if (n < 0)
				fail(f, "model load", 0);
			size[f] = n;
			close(m);
			check_file(f);
		} else if (ftruncate(fds[f], 0)) {
			return 2;
		}
	}
	if (resume)
		printf("ok 1 stress: %d files identical to their models after kexec\n", NFILES);
	while (time(NULL) < end) {
		for (int i = 0; i < 64; i++)
			one_op(rnd() % NFILES);
		check_file(rnd() % NFILES);
	}
	for (int f = 0; f < NFILES; f++) {
		check_file(f);
		snprintf(path, sizeof(path), "%s/f%d.model", argv[1], f);
		int m = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

		if (m < 0 || write(m, model[f], size[f]) != (ssize_t)size[f] || close(m))
			return 2;
	}
	printf("ok %d stress: %lu random operations, no mismatch\n", resume ? 2 : 1, ops);
	return 0;
}
