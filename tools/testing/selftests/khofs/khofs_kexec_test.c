// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_kexec_test - files written to khofs before a kexec are there after it.
 *
 *   khofs_kexec_test before MOUNTPOINT   # fresh kernel: create the files
 *   khofs_kexec_test after MOUNTPOINT    # after kexec: check them
 *
 * "before" also checks that a fresh khofs is empty (no stale data) and that
 * write(2), mmap(2) and read(2) agree. "after" checks names, bytes (through
 * read(2) and mmap(2)), sizes, modes and owners, that an unlinked file stayed
 * gone, and that restored files can still be written and removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/khofs.h>
#include "kselftest.h"

#define HELLO		"hello.txt"
#define HELLO_DATA	"hello from the previous kernel\n"
#define PATTERN		"pattern.bin"
#define PATTERN_SIZE	(3 * 1024 * 1024 + 123)
#define MAPPED		"mapped.bin"
#define MAPPED_SIZE	(1024 * 1024 + 4096 * 3)
#define GONE		"gone.txt"

static const char *mnt;

static void fill(unsigned char *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x >> 24;
	}
}

static char *path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", mnt, name);
	return buf;
}

static int write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	int fd = open(path(name), O_CREAT | O_EXCL | O_WRONLY, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* Compare a file's contents with @want through read(2) and through mmap(2). */
static int check_contents(const char *name, const unsigned char *want, size_t len)
{
	unsigned char *got = malloc(len + 1), *map;
	int fd = open(path(name), O_RDONLY), ok = 1;
	ssize_t n;

	if (fd < 0 || !got) {
		ksft_print_msg("open %s: %s\n", name, strerror(errno));
		return 0;
	}
	n = pread(fd, got, len + 1, 0);
	if (n != (ssize_t)len || memcmp(got, want, len)) {
		ksft_print_msg("%s: read %zd bytes, want %zu, contents %s\n", name, n,
			       len, n == (ssize_t)len ? "differ" : "n/a");
		ok = 0;
	}
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED || memcmp(map, want, len)) {
		ksft_print_msg("%s: mmap view differs\n", name);
		ok = 0;
	}
	if (map != MAP_FAILED)
		munmap(map, len);
	close(fd);
	free(got);
	return ok;
}

static int check_stat(const char *name, mode_t mode, uid_t uid, gid_t gid, off_t size)
{
	struct stat st;

	if (stat(path(name), &st)) {
		ksft_print_msg("stat %s: %s\n", name, strerror(errno));
		return 0;
	}
	if (st.st_mode != (S_IFREG | mode) || st.st_uid != uid || st.st_gid != gid ||
	    st.st_size != size) {
		ksft_print_msg("%s: mode %o uid %u gid %u size %lld; want %o %u %u %lld\n",
			       name, st.st_mode, st.st_uid, st.st_gid, (long long)st.st_size,
			       S_IFREG | mode, uid, gid, (long long)size);
		return 0;
	}
	return 1;
}

static int list_names(char *out, size_t len)
{
	DIR *d = opendir(mnt);
	struct dirent *e;
	int n = 0;

	out[0] = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		strncat(out, " ", len - strlen(out) - 1);
		strncat(out, e->d_name, len - strlen(out) - 1);
		n++;
	}
	closedir(d);
	return n;
}

static void stage_before(unsigned char *pattern, unsigned char *mapped)
{
	struct statfs sfs;
	char names[1024];
	unsigned char *map;
	int fd, ok;

	ksft_set_plan(7);
	ksft_test_result(list_names(names, sizeof(names)) == 0,
			 "fresh khofs is empty (no stale data)%s\n", names);
	ksft_test_result(!statfs(mnt, &sfs) && sfs.f_type == KHOFS_MAGIC,
			 "statfs reports KHOFS_MAGIC\n");

	ok = !write_file(HELLO, HELLO_DATA, strlen(HELLO_DATA), 0600) &&
	     !chmod(path(HELLO), 0640) && !chown(path(HELLO), 1234, 5678);
	ksft_test_result(ok && check_stat(HELLO, 0640, 1234, 5678, strlen(HELLO_DATA)),
			 "create, chmod and chown a small file\n");

	ksft_test_result(!write_file(PATTERN, pattern, PATTERN_SIZE, 0604) &&
			 check_contents(PATTERN, pattern, PATTERN_SIZE),
			 "write 3 MiB with write(2), read back through read and mmap\n");

	/* Data written only through a shared writable mapping. */
	ok = 0;
	fd = open(path(MAPPED), O_CREAT | O_EXCL | O_RDWR, 0666);
	if (fd >= 0 && !ftruncate(fd, MAPPED_SIZE)) {
		map = mmap(NULL, MAPPED_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map != MAP_FAILED) {
			memcpy(map, mapped, MAPPED_SIZE);
			ok = !msync(map, MAPPED_SIZE, MS_SYNC);
			munmap(map, MAPPED_SIZE);
		}
	}
	if (fd >= 0)
		close(fd);
	ksft_test_result(ok && check_contents(MAPPED, mapped, MAPPED_SIZE) &&
			 check_stat(MAPPED, 0644, 0, 0, MAPPED_SIZE),
			 "write 1 MiB through MAP_SHARED, read back through read(2)\n");

	ksft_test_result(!write_file(GONE, "x", 1, 0644) && !unlink(path(GONE)) &&
			 access(path(GONE), F_OK) && errno == ENOENT,
			 "unlink removes a file\n");

	ksft_test_result(list_names(names, sizeof(names)) == 3,
			 "three files before kexec:%s\n", names);
}

static void stage_after(unsigned char *pattern, unsigned char *mapped)
{
	char names[1024];
	int fd, ok;

	ksft_set_plan(8);
	ksft_test_result(list_names(names, sizeof(names)) == 3 &&
			 strstr(names, " " HELLO) && strstr(names, " " PATTERN) &&
			 strstr(names, " " MAPPED),
			 "exactly the three files survived kexec:%s\n", names);
	ksft_test_result(check_stat(HELLO, 0640, 1234, 5678, strlen(HELLO_DATA)) &&
			 check_contents(HELLO, (const unsigned char *)HELLO_DATA,
					strlen(HELLO_DATA)),
			 "small file: bytes, mode 0640, owner 1234:5678\n");
	ksft_test_result(check_stat(PATTERN, 0604, 0, 0, PATTERN_SIZE) &&
			 check_contents(PATTERN, pattern, PATTERN_SIZE),
			 "3 MiB file: bytes (read and mmap), mode, size\n");
	ksft_test_result(check_stat(MAPPED, 0644, 0, 0, MAPPED_SIZE) &&
			 check_contents(MAPPED, mapped, MAPPED_SIZE),
			 "file written through mmap: bytes, mode, size\n");
	ksft_test_result(access(path(GONE), F_OK) && errno == ENOENT,
			 "unlinked file stayed gone\n");

	/* Restored files are ordinary files: overwrite through mmap, append. */
	ok = 0;
	fd = open(path(PATTERN), O_RDWR);
	if (fd >= 0) {
		unsigned char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (map != MAP_FAILED) {
			memset(map, 0xab, 100);
			memset(pattern, 0xab, 100);
			munmap(map, 4096);
			ok = pwrite(fd, "tail", 4, PATTERN_SIZE) == 4;
			memcpy(pattern + PATTERN_SIZE, "tail", 4);
		}
		close(fd);
	}
	ksft_test_result(ok && check_contents(PATTERN, pattern, PATTERN_SIZE + 4),
			 "restored file can be modified through mmap and write\n");
	ksft_test_result(!truncate(path(MAPPED), 4096) &&
			 check_contents(MAPPED, mapped, 4096),
			 "restored file can be truncated\n");
	ksft_test_result(!unlink(path(HELLO)) && list_names(names, sizeof(names)) == 2,
			 "restored file can be unlinked\n");
}

int main(int argc, char **argv)
{
	unsigned char *pattern, *mapped;

	ksft_print_header();
	if (argc != 3 || (strcmp(argv[1], "before") && strcmp(argv[1], "after")))
		ksft_exit_fail_msg("usage: %s before|after MOUNTPOINT\n", argv[0]);
	mnt = argv[2];
	pattern = malloc(PATTERN_SIZE + 4);
	mapped = malloc(MAPPED_SIZE);
	if (!pattern || !mapped)
		ksft_exit_fail_msg("out of memory\n");
	fill(pattern, PATTERN_SIZE, 1);
	fill(mapped, MAPPED_SIZE, 2);

	if (mkdir(mnt, 0755) && errno != EEXIST)
		ksft_exit_fail_msg("mkdir %s: %s\n", mnt, strerror(errno));
	if (mount("none", mnt, KHOFS_FS_NAME, 0, NULL))
		ksft_exit_fail_msg("mount -t khofs: %s\n", strerror(errno));

	if (!strcmp(argv[1], "before"))
		stage_before(pattern, mapped);
	else
		stage_after(pattern, mapped);
	ksft_finished();
}
