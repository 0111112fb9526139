// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_tree - build a tree that exercises everything khofs hands over, and
 * compare trees across kexec.
 *
 *   khofs_tree populate DIR          create the tree under DIR (must not exist)
 *   khofs_tree manifest DIR > FILE   print one line per entry, sorted
 *   khofs_tree check DIR FILE        compare DIR with a saved manifest (TAP)
 *
 * A manifest line holds the path, inode number, type and mode (with setuid,
 * setgid and sticky bits), owner, link count, size, device number, the three
 * timestamps with nanoseconds, the symlink target and a 64-bit FNV-1a hash of
 * the contents. Mount with -o noatime so reading contents does not move atime.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest.h"

static char **lines;
static size_t nlines, caplines;
static size_t root_len;

static void die(const char *what)
{
	fprintf(stderr, "khofs_tree: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t fnv(const char *path, off_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned char buf[65536];
	int fd = open(path, O_RDONLY | O_NOATIME);
	ssize_t n;

	if (fd < 0)
		fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 0x100000001b3ull;
		}
		size -= n;
	}
	close(fd);
	return size ? 1 : h;
}

static const char fmt_id[] = "/%s ino=%llu mode=%o uid=%u gid=%u nlink=%lu size=%lld";
static const char fmt_times[] = "atime=%lld.%09ld mtime=%lld.%09ld ctime=%lld.%09ld";

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char target[4096] = "-", id[4096 + 256], times[128], *line;
	uint64_t hash = 0;
	ssize_t n;

	(void)flag;
	(void)ftw;
	if (S_ISLNK(st->st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
	} else if (S_ISREG(st->st_mode)) {
		hash = fnv(path, st->st_size);
	}

	snprintf(id, sizeof(id), fmt_id, path + root_len + (path[root_len] == '/'),
		 (unsigned long long)st->st_ino, st->st_mode, st->st_uid, st->st_gid,
		 (unsigned long)st->st_nlink, (long long)st->st_size);
	snprintf(times, sizeof(times), fmt_times,
		 (long long)st->st_atim.tv_sec, st->st_atim.tv_nsec,
		 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		 (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	if (asprintf(&line, "%s rdev=%u:%u %s target=%s hash=%016llx", id,
		     major(st->st_rdev), minor(st->st_rdev), times, target,
		     (unsigned long long)hash) < 0)
		die("asprintf");
	if (nlines == caplines) {
		caplines = caplines ? 2 * caplines : 256;
		lines = realloc(lines, caplines * sizeof(*lines));
		if (!lines)
			die("realloc");
	}
	lines[nlines++] = line;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(const char *dir)
{
	root_len = strlen(dir);
	nlines = 0;
	if (nftw(dir, visit, 64, FTW_PHYS))
		die(dir);
	qsort(lines, nlines, sizeof(*lines), cmp);
}

static void put(const char *path, const void *data, size_t len, off_t off)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0644);

	if (fd < 0 || pwrite(fd, data, len, off) != (ssize_t)len || close(fd))
		die(path);
}

static void stamp(const char *path, long long a, long an, long long m, long mn)
{
	struct timespec ts[2] = { { a, an }, { m, mn } };

	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW))
		die(path);
}

static void populate(const char *dir)
{
	static char big[3 << 20];
	char buf[256];

	if (mkdir(dir, 0755) || chdir(dir))
		die(dir);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 4096);
	/* Nested and empty directories, with modes and owners. */
	if (mkdir("a", 0750) || mkdir("a/b", 0700) || mkdir("a/b/c", 0755) ||
	    mkdir("a/b/c/d", 0755) || mkdir("empty", 0555) || mkdir("sticky", 01777) ||
	    mkdir("setgid", 02775))
		die("mkdir");
	for (int i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "a/b/c/d/f%02d", i);
		put(buf, buf, strlen(buf), 0);
	}
	/* Data: small, multi-MiB, sparse (data 64 MiB in, a hole before it). */
	put("a/small.txt", "hello, kexec\n", 13, 0);
	put("a/b/big.bin", big, sizeof(big), 0);
	put("sparse.bin", "start", 5, 0);
	put("sparse.bin", "end", 3, 64 << 20);
	put("empty.txt", "", 0, 0);
	if (truncate("a/b/big.bin", sizeof(big) - 1000))
		die("truncate");
	/* Hard links, across directories. */
	if (link("a/small.txt", "a/b/hard1") || link("a/small.txt", "hard2"))
		die("link");
	/* Symlinks: relative, absolute, dangling, long. */
	memset(buf, 'x', 200);
	buf[200] = 0;
	if (symlink("a/small.txt", "rel") || symlink("/mnt/elsewhere", "abs") ||
	    symlink("does-not-exist", "a/dangling") || symlink(buf, "long"))
		die("symlink");
	/* Special files. */
	if (mkfifo("fifo", 0620) || mknod("null", S_IFCHR | 0666, makedev(1, 3)) ||
	    mknod("sda", S_IFBLK | 0660, makedev(8, 0)) || mknod("sock", S_IFSOCK | 0755, 0))
		die("mknod");
	/* Modes with setuid/setgid, owners. */
	put("suid", "#!/bin/sh\n", 10, 0);
	if (chmod("suid", 04755) || chown("a/small.txt", 1000, 1000) ||
	    chown("a/b", 2000, 3000) || lchown("rel", 42, 43) || chown("fifo", 7, 8) ||
	    chmod("setgid", 02770))
		die("chmod/chown");
	/* Timestamps with nanoseconds (ctime is whatever the kernel set). */
	stamp("a/small.txt", 1000000000, 123456789, 1200000000, 987654321);
	stamp("a/b/big.bin", 1, 1, 2, 999999999);
	stamp("rel", 1700000000, 5, 1700000001, 6);
	stamp("a/b/c/d", 1600000000, 0, 1600000000, 1);
	stamp("empty", 0, 0, 0, 0);
}

static void print_manifest(const char *dir)
{
	collect(dir);
	for (size_t i = 0; i < nlines; i++)
		puts(lines[i]);
}

static int check(const char *dir, const char *file)
{
	FILE *f = fopen(file, "r");
	char *want = NULL;
	size_t cap = 0, n = 0, bad = 0;
	ssize_t len;

	ksft_print_header();
	ksft_set_plan(1);
	if (!f)
		ksft_exit_fail_msg("%s: %s\n", file, strerror(errno));
	collect(dir);
	while ((len = getline(&want, &cap, f)) > 0) {
		want[strcspn(want, "\n")] = 0;
		if (n >= nlines || strcmp(want, lines[n])) {
			if (bad++ < 10) {
				ksft_print_msg("want %s\n", want);
				ksft_print_msg("got  %s\n", n < nlines ? lines[n] : "(nothing)");
			}
		}
		n++;
	}
	if (n != nlines) {
		ksft_print_msg("%zu entries in manifest, %zu in tree\n", n, nlines);
		bad++;
	}
	ksft_test_result(!bad && n > 30,
			 "tree identical to manifest: %zu entries (names, inode numbers, modes, owners, links, sizes, devices, ns timestamps, targets, contents)\n",
			 n);
	ksft_finished();
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "check"))
		return check(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "populate")) {
		populate(argv[2]);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "manifest")) {
		print_manifest(argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: %s populate DIR | manifest DIR | check DIR FILE\n", argv[0]);
	return 2;
}
