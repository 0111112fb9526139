// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_posix_test - POSIX behaviour of khofs, with tmpfs as the oracle.
 *
 * Every check runs three times (fixture variants), on a fresh tmpfs, on a
 * fresh khofs instance and on rust_memfs (the Rust sample file system built on
 * the same abstractions as khofs), each mounted for the test, with the same
 * assertions: what tmpfs does. A check returns "ok" or a description of what went differently.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "khofs_util.h"

static char out[256];

#define FAIL(...) do { snprintf(out, sizeof(out), __VA_ARGS__); return out; } while (0)
#define CHECK(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static int put(const char *p, const char *s)
{
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	ssize_t n = fd < 0 ? -1 : write(fd, s, strlen(s));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static int get(const char *p, char *buf, size_t len)
{
	int fd = open(p, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n < 0 ? -1 : 0;
}

static const char *t_rmdir(void)
{
	CHECK(!mkdir("d", 0755) && !put("d/f", "x"), "setup: %m");
	CHECK(rmdir("d") && errno == ENOTEMPTY, "rmdir of a non-empty dir: %m");
	CHECK(!unlink("d/f") && !rmdir("d"), "rmdir of an empty dir: %m");
	return "ok";
}

static const char *t_rename(void)
{
	char b[64];

	CHECK(!put("a", "A") && !put("b", "B") && !mkdir("sub", 0755), "setup: %m");
	CHECK(!rename("a", "b") && !get("b", b, sizeof(b)) && !strcmp(b, "A"), "rename over: %m");
	CHECK(!rename("b", "sub/c") && !access("sub/c", F_OK), "rename across dirs: %m");
	CHECK(!put("x", "X") && !put("y", "Y"), "setup2: %m");
	CHECK(renameat2(AT_FDCWD, "x", AT_FDCWD, "y", RENAME_NOREPLACE) && errno == EEXIST,
	      "RENAME_NOREPLACE: %m");
	CHECK(!renameat2(AT_FDCWD, "x", AT_FDCWD, "y", RENAME_EXCHANGE), "RENAME_EXCHANGE: %m");
	CHECK(!get("x", b, sizeof(b)) && !strcmp(b, "Y"), "exchange result %s", b);
	return "ok";
}

static const char *t_links(void)
{
	struct stat st;
	char b[64];

	CHECK(!put("f", "data") && !link("f", "g") && !stat("f", &st) && st.st_nlink == 2,
	      "link: nlink %lu", (unsigned long)st.st_nlink);
	CHECK(!unlink("g") && !stat("f", &st) && st.st_nlink == 1, "unlink: nlink");
	CHECK(!symlink("f", "s") && readlink("s", b, sizeof(b)) == 1 && b[0] == 'f', "symlink");
	CHECK(!mkdir("dd", 0755) && !stat(".", &st), "mkdir");
	return "ok";
}

static const char *t_special(void)
{
	struct stat st;

	CHECK(!mkfifo("fifo", 0600) && !stat("fifo", &st) && S_ISFIFO(st.st_mode), "mkfifo: %m");
	CHECK(!mknod("null", S_IFCHR | 0666, makedev(1, 3)) && !stat("null", &st) &&
	      st.st_rdev == makedev(1, 3), "mknod chr: %m");
	return "ok";
}

static const char *t_tmpfile(void)
{
	char path[64];
	int fd = open(".", O_TMPFILE | O_RDWR, 0600);

	CHECK(fd >= 0, "O_TMPFILE: %m");
	CHECK(write(fd, "tmp", 3) == 3, "write");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK(!linkat(AT_FDCWD, path, AT_FDCWD, "linked", AT_SYMLINK_FOLLOW), "linkat: %m");
	close(fd);
	CHECK(!access("linked", F_OK), "linked file missing");
	return "ok";
}

static const char *t_unlink_open(void)
{
	char b[8] = { 0 };
	int fd;

	CHECK(!put("u", "keep"), "setup");
	fd = open("u", O_RDONLY);
	CHECK(fd >= 0 && !unlink("u"), "unlink: %m");
	CHECK(read(fd, b, 4) == 4 && !memcmp(b, "keep", 4), "data after unlink");
	close(fd);
	return "ok";
}

static const char *t_io(void)
{
	char b[64] = { 0 };
	struct iovec iov[2] = { { b, 2 }, { b + 2, 3 } };
	int fd = open("io", O_CREAT | O_RDWR | O_APPEND, 0644);

	CHECK(fd >= 0 && write(fd, "hello", 5) == 5 && pwrite(fd, "X", 1, 0) == 1,
	      "append/pwrite: %m");
	CHECK(pread(fd, b, 6, 0) == 6 && !memcmp(b, "helloX", 6),
	      "O_APPEND pwrite lands at end: %s", b);
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && readv(fd, iov, 2) == 5 && !memcmp(b, "hello", 5),
	      "readv");
	CHECK(!fsync(fd) && !fdatasync(fd), "fsync: %m");
	close(fd);
	return "ok";
}

static const char *t_truncate(void)
{
	char b[16];
	int fd;

	CHECK(!put("t", "abcdef") && !truncate("t", 3) && !get("t", b, sizeof(b)) &&
	      !strcmp(b, "abc"), "truncate down");
	CHECK(!truncate("t", 8), "truncate up: %m");
	fd = open("t", O_RDONLY);
	CHECK(fd >= 0 && read(fd, b, 16) == 8 && !memcmp(b, "abc\0\0\0\0\0", 8),
	      "zeros after truncate up");
	close(fd);
	return "ok";
}

static const char *t_seek_hole(void)
{
	int fd = open("sparse", O_CREAT | O_RDWR, 0644);
	off_t d, h;

	CHECK(fd >= 0 && pwrite(fd, "a", 1, 0) == 1 && pwrite(fd, "b", 1, 1 << 20) == 1, "setup");
	h = lseek(fd, 0, SEEK_HOLE);
	d = lseek(fd, 4096, SEEK_DATA);
	close(fd);
	CHECK(h == 4096 && d == 1 << 20, "SEEK_HOLE %lld, SEEK_DATA %lld", (long long)h,
	      (long long)d);
	return "ok";
}

static sigjmp_buf jb;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static const char *t_mmap(void)
{
	int fd = open("m", O_CREAT | O_RDWR, 0644);
	char *p, *q, b[8] = { 0 };
	int bus;

	CHECK(fd >= 0 && !ftruncate(fd, 4096), "setup");
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED && q != MAP_FAILED, "mmap: %m");
	memcpy(p, "shared", 6);
	CHECK(pread(fd, b, 6, 0) == 6 && !memcmp(b, "shared", 6), "MAP_SHARED store not seen");
	CHECK(pwrite(fd, "WRITE", 5, 0) == 5 && !memcmp(p, "WRITE", 5), "write not seen in map");
	q[0] = 'P';
	CHECK(pread(fd, b, 1, 0) == 1 && b[0] == 'W', "MAP_PRIVATE store leaked");
	signal(SIGBUS, on_bus);
	bus = sigsetjmp(jb, 1);
	if (!bus)
		p[4096] = 1;
	CHECK(bus, "no SIGBUS past EOF");
	CHECK(!msync(p, 4096, MS_SYNC), "msync: %m");
	munmap(p, 8192);
	munmap(q, 4096);
	close(fd);
	return "ok";
}

static const char *t_attrs(void)
{
	struct timespec ts[2] = { { 1, 123456789 }, { 2, 987654321 } };
	struct stat st;

	CHECK(!put("at", "x") && !chmod("at", 06755) && !chown("at", 10, 20), "setup: %m");
	CHECK(!stat("at", &st) && !(st.st_mode & S_ISUID), "chown keeps setuid (mode %o)",
	      st.st_mode);
	CHECK(!utimensat(AT_FDCWD, "at", ts, 0) && !stat("at", &st) &&
	      st.st_mtim.tv_nsec == 987654321 && st.st_atim.tv_sec == 1, "utimensat ns");
	return "ok";
}

static const char *t_perm(void)
{
	pid_t pid;
	int status;

	CHECK(!put("rootfile", "r") && !chmod("rootfile", 0644) && !mkdir("sticky", 0755) &&
	      !chmod("sticky", 01777) && !put("sticky/other", "o") && !chmod(".", 0777),
	      "setup: %m");
	pid = fork();
	if (!pid) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(10);
		if (open("rootfile", O_WRONLY) >= 0 || errno != EACCES)
			_exit(11);
		if (!unlink("sticky/other") || errno != EPERM)
			_exit(12);
		if (put("mine", "m") || chmod("mine", 0600))
			_exit(13);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "non-root checks failed at step %d",
	      WEXITSTATUS(status));
	return "ok";
}

static const char *t_copy(void)
{
	char b[16] = { 0 };
	int in, o;
	loff_t off = 0;

	CHECK(!put("src", "0123456789"), "setup");
	in = open("src", O_RDONLY);
	o = open("dst", O_CREAT | O_RDWR, 0644);
	CHECK(in >= 0 && o >= 0 && copy_file_range(in, &off, o, NULL, 10, 0) == 10,
	      "copy_file_range: %m");
	CHECK(lseek(in, 0, SEEK_SET) == 0 && sendfile(o, in, NULL, 10) == 10, "sendfile: %m");
	close(in);
	close(o);
	CHECK(!get("dst", b, sizeof(b)) && !strncmp(b, "012345678901234", 15), "copied data %s", b);
	return "ok";
}

static const char *t_direct(void)
{
	int fd = open("direct", O_CREAT | O_RDWR | O_DIRECT, 0644);
	char *buf;

	if (fd < 0)
		FAIL("O_DIRECT refused (%s)", strerror(errno));
	CHECK(!posix_memalign((void **)&buf, 4096, 4096), "posix_memalign");
	memset(buf, 'd', 4096);
	CHECK(pwrite(fd, buf, 4096, 0) == 4096, "O_DIRECT write: %m");
	memset(buf, 0, 4096);
	CHECK(pread(fd, buf, 4096, 0) == 4096 && buf[4095] == 'd', "O_DIRECT read: %m");
	free(buf);
	close(fd);
	return "ok";
}

static const char *t_fallocate(void)
{
	int fd = open("fa", O_CREAT | O_RDWR, 0644);
	char b[4096], ones[4096];
	struct stat st;

	CHECK(fd >= 0, "open");
	if (fallocate(fd, 0, 0, 65536))
		FAIL("fallocate: %s", strerror(errno));
	CHECK(!fstat(fd, &st) && st.st_size == 65536, "size after fallocate");
	CHECK(pread(fd, b, 4096, 8192) == 4096 && !b[0] && !b[4095], "allocated range not zero");
	memset(ones, 1, sizeof(ones));
	CHECK(pwrite(fd, ones, 4096, 4096) == 4096 && pwrite(fd, ones, 4096, 8192) == 4096,
	      "write");
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 6000))
		FAIL("punch hole: %s", strerror(errno));
	CHECK(pread(fd, b, 4096, 4096) == 4096 && !b[0] && !b[4095], "punched page not zero");
	CHECK(pread(fd, b, 4096, 8192) == 4096 && !b[1903] && b[1904] == 1,
	      "partial punch: %d %d", b[1903], b[1904]);
	CHECK(!fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 4096) && !fstat(fd, &st) &&
	      st.st_size == 65536, "KEEP_SIZE beyond EOF changed the size");
	CHECK(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096) &&
	      (errno == EOPNOTSUPP || errno == EINVAL), "collapse range: %m");
	close(fd);
	return "ok";
}

static const char *t_readdir(void)
{
	char name[64];
	pid_t pid;
	int bad = 0;

	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "stable%03d", i);
		CHECK(!put(name, "s"), "setup: %m");
	}
	pid = fork();
	if (!pid) {		/* churn: create and remove other entries */
		for (int i = 0;; i++) {
			snprintf(name, sizeof(name), "churn%d", i % 50);
			if (put(name, "c") || unlink(name))
				_exit(1);
		}
	}
	for (int pass = 0; pass < 50 && !bad; pass++) {
		char seen[200] = { 0 };
		struct dirent *e;
		DIR *d = opendir(".");

		while (d && (e = readdir(d))) {
			int n;

			if (sscanf(e->d_name, "stable%d", &n) == 1 && n >= 0 && n < 200)
				bad |= seen[n]++;
		}
		if (d)
			closedir(d);
		for (int i = 0; i < 200; i++)
			bad |= !seen[i];
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	CHECK(!bad, "a stable entry was missed or seen twice during concurrent changes");
	return "ok";
}

static const char *t_mremap(void)
{
	int fd = open("mr", O_CREAT | O_RDWR, 0644);
	char *p, b[8] = { 0 };

	CHECK(fd >= 0 && !ftruncate(fd, 3 * 4096), "setup");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap: %m");
	p[0] = 'a';
	p = mremap(p, 4096, 3 * 4096, MREMAP_MAYMOVE);
	CHECK(p != MAP_FAILED, "mremap: %m");
	p[2 * 4096] = 'c';
	CHECK(p[0] == 'a' && pread(fd, b, 1, 2 * 4096) == 1 && b[0] == 'c',
	      "grown mapping not coherent");
	p = mremap(p, 3 * 4096, 4096, 0);
	CHECK(p != MAP_FAILED && p[0] == 'a', "shrink: %m");
	munmap(p, 4096);
	close(fd);
	return "ok";
}

static const char *t_splice(void)
{
	static const char want[9] = { 0, 0, 0, 0, '2', '3', '4', '5', '6' };
	char b[16] = { 0 };
	loff_t in_off = 2, out_off = 4;
	int pfd[2], in, o;

	CHECK(!put("sp-in", "0123456789") && !pipe(pfd), "setup: %m");
	in = open("sp-in", O_RDONLY);
	o = open("sp-out", O_CREAT | O_RDWR, 0644);
	CHECK(in >= 0 && o >= 0, "open: %m");
	CHECK(splice(in, &in_off, pfd[1], NULL, 5, 0) == 5, "splice file->pipe: %m");
	CHECK(splice(pfd[0], NULL, o, &out_off, 5, 0) == 5, "splice pipe->file: %m");
	/* A hole spliced from a sparse file reads as zeros. */
	in_off = 0;
	close(in);
	in = open("sp-hole", O_CREAT | O_RDWR, 0644);
	CHECK(in >= 0 && !ftruncate(in, 8192), "sparse: %m");
	CHECK(splice(in, &in_off, pfd[1], NULL, 8, 0) == 8 && read(pfd[0], b, 8) == 8 &&
	      !memcmp(b, "\0\0\0\0\0\0\0\0", 8), "hole spliced: %m");
	close(in);
	close(o);
	close(pfd[0]);
	close(pfd[1]);
	CHECK(!get("sp-out", b, sizeof(b)) && !memcmp(b, want, sizeof(want)), "spliced data");
	return "ok";
}

static const char *t_statx(void)
{
	struct statx sx;
	struct stat st;
	int fd = open("sx", O_CREAT | O_RDWR, 0640);

	CHECK(fd >= 0 && pwrite(fd, "x", 1, 65536) == 1 && !fstat(fd, &st), "setup: %m");
	close(fd);
	CHECK(!statx(AT_FDCWD, "sx", 0, STATX_BASIC_STATS, &sx), "statx: %m");
	CHECK((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, "mask %x", sx.stx_mask);
	CHECK(sx.stx_size == 65537 && sx.stx_blocks == 8 && sx.stx_blksize == 4096 &&
	      sx.stx_nlink == 1 && sx.stx_mode == (S_IFREG | 0640) && sx.stx_ino == st.st_ino,
	      "size %llu blocks %llu blksize %u nlink %u mode %o",
	      (unsigned long long)sx.stx_size, (unsigned long long)sx.stx_blocks,
	      sx.stx_blksize, sx.stx_nlink, sx.stx_mode);
	CHECK(sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
	      sx.stx_mtime.tv_nsec == (unsigned int)st.st_mtim.tv_nsec, "mtime");
	return "ok";
}

static const char *t_unlink_mapped(void)
{
	int fd = open("um", O_CREAT | O_RDWR, 0644);
	char *p;

	CHECK(fd >= 0 && !ftruncate(fd, 4096), "setup");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap: %m");
	close(fd);
	CHECK(!unlink("um"), "unlink: %m");
	memcpy(p, "still here", 10);
	CHECK(!memcmp(p, "still here", 10), "data of an unlinked mapped file");
	munmap(p, 4096);
	return "ok";
}

/*
 * A write of N bytes at an offset past an N-aligned position in a hole, with
 * pwrite(2) and with copy_file_range(2): the rest of the new folio reads as
 * zeros, never as the data of a file freed just before (its pages are the
 * first the allocator hands out again).
 */
#define HOLE_MAX (8 << 20)

static const char *hole_write(size_t n, size_t at, int cfr, char *buf, const char *src)
{
	loff_t o_in = 0, o_out = at;
	int fd, in;
	size_t z;

	/* Prime: free a file full of a known byte. */
	memset(buf, 'P', HOLE_MAX);
	fd = open("prime", O_CREAT | O_RDWR, 0600);
	CHECK(fd >= 0 && write(fd, buf, HOLE_MAX) == HOLE_MAX, "prime: %m");
	close(fd);
	CHECK(!unlink("prime"), "unlink prime: %m");
	fd = open("hole", O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd >= 0, "open: %m");
	if (cfr) {
		in = open("src", O_CREAT | O_RDWR | O_TRUNC, 0600);
		CHECK(in >= 0 && pwrite(in, src, n, 0) == (ssize_t)n, "src: %m");
		CHECK(copy_file_range(in, &o_in, fd, &o_out, n, 0) == (ssize_t)n,
		      "copy_file_range %zu at %#zx: %m", n, at);
		close(in);
	} else {
		CHECK(pwrite(fd, src, n, at) == (ssize_t)n, "pwrite: %m");
	}
	CHECK(pread(fd, buf, at + n, 0) == (ssize_t)(at + n), "pread: %m");
	close(fd);
	for (z = 0; z < at && !buf[z]; z++)
		;
	CHECK(z == at, "%s of %zu at %#zx: byte %#zx before it reads %#x",
	      cfr ? "copy_file_range" : "pwrite", n, at, z, buf[z]);
	CHECK(!memcmp(buf + at, src, n), "data written at %#zx", at);
	CHECK(!unlink("hole"), "unlink: %m");
	return "ok";
}

static const char *t_unaligned_hole_write(void)
{
	static const size_t sizes[] = { 4096, 65536, 2 << 20 };
	static const size_t offs[] = { 1, 0x100, 4095, 4096 + 0x100 };
	char *buf = malloc(HOLE_MAX), *src = malloc(HOLE_MAX);
	const char *res = "ok";

	CHECK(buf && src, "malloc");
	memset(src, 'S', HOLE_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(sizes) && !strcmp(res, "ok"); i++)
		for (size_t k = 0; k < ARRAY_SIZE(offs) && !strcmp(res, "ok"); k++)
			for (int cfr = 0; cfr < 2 && !strcmp(res, "ok"); cfr++)
				res = hole_write(sizes[i], 2 * sizes[i] + offs[k], cfr, buf, src);
	free(buf);
	free(src);
	return res;
}

FIXTURE(behaviour) {
	char dir[64];
	char name[32];
};

FIXTURE_VARIANT(behaviour) {
	const char *type;
};

FIXTURE_VARIANT_ADD(behaviour, tmpfs) {
	.type = "tmpfs",
};

FIXTURE_VARIANT_ADD(behaviour, khofs) {
	.type = KHOFS_FS_NAME,
};

/* The Rust sample file system: the same abstractions without khofs's choices. */
FIXTURE_VARIANT_ADD(behaviour, rust_memfs) {
	.type = "rust_memfs",
};

FIXTURE_SETUP(behaviour)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/posix-%d", getpid());
	snprintf(self->name, sizeof(self->name), "posix-%d", getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	ASSERT_EQ(0, mount(self->name, self->dir, variant->type, 0, NULL));
	ASSERT_EQ(0, chmod(self->dir, 0777));
	ASSERT_EQ(0, chdir(self->dir));
	umask(022);
}

FIXTURE_TEARDOWN(behaviour)
{
	if (chdir("/") || umount2(self->dir, MNT_DETACH))
		TH_LOG("cleanup of %s: %s", self->dir, strerror(errno));
	rmdir(self->dir);
	/* khofs keeps an instance after umount: drop it. */
	if (!strcmp(variant->type, KHOFS_FS_NAME))
		khofs_discard(self->name);
}

TEST_F(behaviour, rmdir)
{
	ASSERT_STREQ("ok", t_rmdir());
}

TEST_F(behaviour, rename)
{
	ASSERT_STREQ("ok", t_rename());
}

TEST_F(behaviour, links)
{
	ASSERT_STREQ("ok", t_links());
}

TEST_F(behaviour, special)
{
	ASSERT_STREQ("ok", t_special());
}

TEST_F(behaviour, tmpfile)
{
	ASSERT_STREQ("ok", t_tmpfile());
}

TEST_F(behaviour, unlink_open)
{
	ASSERT_STREQ("ok", t_unlink_open());
}

TEST_F(behaviour, io)
{
	ASSERT_STREQ("ok", t_io());
}

TEST_F(behaviour, truncate)
{
	ASSERT_STREQ("ok", t_truncate());
}

TEST_F(behaviour, seek_hole)
{
	ASSERT_STREQ("ok", t_seek_hole());
}

TEST_F(behaviour, mmap)
{
	ASSERT_STREQ("ok", t_mmap());
}

TEST_F(behaviour, attrs)
{
	ASSERT_STREQ("ok", t_attrs());
}

TEST_F(behaviour, perm)
{
	ASSERT_STREQ("ok", t_perm());
}

TEST_F(behaviour, copy)
{
	ASSERT_STREQ("ok", t_copy());
}

TEST_F(behaviour, direct)
{
	ASSERT_STREQ("ok", t_direct());
}

TEST_F(behaviour, fallocate)
{
	ASSERT_STREQ("ok", t_fallocate());
}

TEST_F(behaviour, readdir)
{
	ASSERT_STREQ("ok", t_readdir());
}

TEST_F(behaviour, mremap)
{
	ASSERT_STREQ("ok", t_mremap());
}

TEST_F(behaviour, splice)
{
	ASSERT_STREQ("ok", t_splice());
}

TEST_F(behaviour, statx)
{
	ASSERT_STREQ("ok", t_statx());
}

TEST_F(behaviour, unlink_mapped)
{
	ASSERT_STREQ("ok", t_unlink_mapped());
}

TEST_F(behaviour, unaligned_hole_write)
{
	ASSERT_STREQ("ok", t_unaligned_hole_write());
}

TEST_HARNESS_MAIN
