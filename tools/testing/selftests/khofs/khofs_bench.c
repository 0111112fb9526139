// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_bench - timed building blocks for "make bench".
 *
 *   khofs_bench mount FSTYPE DIR         mount, print the time it took
 *   khofs_bench fill-big FILE MIB        write MIB MiB in 2 MiB writes
 *   khofs_bench fill-big-4k FILE MIB     the same bytes in 4 KiB writes
 *   khofs_bench verify-big FILE MIB      read back and check every word
 *   khofs_bench fill-small DIR N         create N files of 100 bytes (1000 per dir)
 *   khofs_bench verify-small DIR N       read back and check them
 *   khofs_bench io DIR MIB               I/O on a MIB MiB file in DIR: sequential
 *                                        write and read in 4 KiB and in 1 MiB
 *                                        calls, read a hole of that size, random
 *                                        4 KiB writes and reads, mmap read and
 *                                        write of it and mmap write of a new
 *                                        file; create, ls -l and unlink 10,000
 *                                        files
 *   khofs_bench freeze DIR 0             freeze the file system (khofs: prepare)
 *   khofs_bench luo-preserve NAME MIB    write MIB MiB into a memfd, preserve it in
 *                                        LUO session NAME, keep the session open
 *                                        (a child holds it until the kexec)
 *   khofs_bench luo-retrieve NAME MIB    after the kexec: retrieve it, read it back
 *
 * Each prints "RESULT <what> <milliseconds>" and exits non-zero on a mismatch.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/liveupdate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (2 << 20)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "khofs_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fill_chunk(uint64_t *buf, uint64_t off)
{
	for (size_t i = 0; i < CHUNK / 8; i++)
		buf[i] = (off + i * 8) ^ 0x6b686f66deadbeefull;
}

/* A small deterministic generator for random offsets (xorshift64). */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * The rest of "io": random 4 KiB reads and writes over a file of MIB MiB,
 * mmap reads and writes of that file and mmap writes of a new one, and
 * create, "ls -l" (readdir and stat) and unlink of 10,000 empty files.
 * Returns the number of mismatches.
 */
static long io_more(const char *dir, long mib, uint64_t *buf, uint64_t *want)
{
	const long size = mib << 20, pages = size / 4096, files = 10000;
	char path[4200], name[4400];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	long bad = 0, sum = 0;
	unsigned char *map;
	double t0;
	int fd;

	snprintf(path, sizeof(path), "%s/io", dir);
	fill_chunk(buf, 0);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0)
		die(path);
	for (long i = 0; i < size / CHUNK; i++)
		if (write(fd, buf, CHUNK) != CHUNK)
			die("write");
	t0 = now_ms();
	for (long i = 0; i < pages; i++)
		if (pwrite(fd, buf, 4096, (next_rand(&x) % pages) * 4096) != 4096)
			die("pwrite");
	printf("RESULT io-randwrite-4k %.1f\n", now_ms() - t0);
	t0 = now_ms();
	for (long i = 0; i < pages; i++)
		if (pread(fd, want, 4096, (next_rand(&x) % pages) * 4096) != 4096)
			bad++;
	printf("RESULT io-randread-4k %.1f\n", now_ms() - t0);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	t0 = now_ms();
	for (long i = 0; i < size; i += 4096)
		sum += map[i] ^ map[i + 4095];
	printf("RESULT io-mmap-read %.1f\n", now_ms() - t0);
	/* The file holds fill_chunk() data: a checksum the compiler cannot know. */
	printf("# mmap checksum %ld\n", sum);
	t0 = now_ms();
	memset(map, 0x5a, size);
	printf("RESULT io-mmap-write %.1f\n", now_ms() - t0);
	munmap(map, size);
	close(fd);
	unlink(path);

	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, size))
		die(path);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	t0 = now_ms();
	memset(map, 0xa5, size);
	printf("RESULT io-mmap-write-new %.1f\n", now_ms() - t0);
	for (long i = 0; i < size; i += 4096)
		if (map[i] != 0xa5 || map[i + 4095] != 0xa5)
			bad++;
	munmap(map, size);
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "%s/files", dir);
	if (mkdir(path, 0755))
		die(path);
	t0 = now_ms();
	for (long i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "%s/f%05ld", path, i);
		fd = open(name, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0)
			die(name);
		close(fd);
	}
	printf("RESULT files-create-10k %.1f\n", now_ms() - t0);
	t0 = now_ms();
	{
		DIR *d = opendir(path);
		struct dirent *e;
		struct stat st;
		long seen = 0;

		if (!d)
			die(path);
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' &&
			    !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
				seen++;
		closedir(d);
		if (seen != files)
			bad++;
	}
	printf("RESULT files-ls-l-10k %.1f\n", now_ms() - t0);
	t0 = now_ms();
	for (long i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "%s/f%05ld", path, i);
		if (unlink(name))
			die(name);
	}
	printf("RESULT files-unlink-10k %.1f\n", now_ms() - t0);
	if (rmdir(path))
		die(path);
	return bad;
}

/* Detach from the caller's terminal and pipes. */
static void fd_silence(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		exit(1);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void small_name(char *buf, size_t len, const char *dir, long i)
{
	snprintf(buf, len, "%s/d%03ld/f%06ld", dir, i / 1000, i);
}

static int open_luo(void)
{
	int fd = open("/dev/liveupdate", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("/dev/liveupdate (boot with liveupdate=on)");
	return fd;
}

/*
 * Write MIB MiB into a memfd (its folio size follows shmem_enabled), preserve
 * it in LUO session NAME (timed: the memfd counterpart of freezing khofs), and
 * leave a child holding the session open, so that it is handed over at kexec.
 */
static int luo_preserve(const char *name, long mib)
{
	static uint64_t chunk[CHUNK / 8];
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf) };
	int luo, mfd;
	pid_t pid;
	double t0;

	mfd = memfd_create("khofs_bench", MFD_CLOEXEC);
	if (mfd < 0)
		die("memfd_create");
	t0 = now_ms();
	for (uint64_t off = 0; off < (uint64_t)mib << 20; off += CHUNK) {
		fill_chunk(chunk, off);
		if (pwrite(mfd, chunk, CHUNK, off) != CHUNK)
			die("pwrite memfd");
	}
	printf("RESULT luo-fill-%ldMiB %.1f\n", mib, now_ms() - t0);
	luo = open_luo();
	snprintf((char *)cs.name, sizeof(cs.name), "%s", name);
	if (ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs))
		die("LIVEUPDATE_IOCTL_CREATE_SESSION");
	pf.fd = mfd;
	pf.token = 1;
	t0 = now_ms();
	if (ioctl(cs.fd, LIVEUPDATE_SESSION_PRESERVE_FD, &pf))
		die("LIVEUPDATE_SESSION_PRESERVE_FD");
	printf("RESULT luo-preserve %.1f\n", now_ms() - t0);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* The holder: keeps the session until the kexec. */
		setsid();
		fd_silence();
		for (;;)
			pause();
	}
	return 0;
}

/* Take memfd NAME back after the kexec: retrieve (timed), then read it all. */
static int luo_retrieve(const char *name, long mib)
{
	static uint64_t chunk[CHUNK / 8], want[CHUNK / 8];
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	struct liveupdate_session_retrieve_fd rf = { .size = sizeof(rf) };
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	long bad = 0;
	int luo;
	double t0;

	luo = open_luo();
	snprintf((char *)rs.name, sizeof(rs.name), "%s", name);
	t0 = now_ms();
	if (ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs))
		die("LIVEUPDATE_IOCTL_RETRIEVE_SESSION");
	rf.token = 1;
	if (ioctl(rs.fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf))
		die("LIVEUPDATE_SESSION_RETRIEVE_FD");
	printf("RESULT luo-retrieve %.1f\n", now_ms() - t0);
	t0 = now_ms();
	for (uint64_t off = 0; off < (uint64_t)mib << 20; off += CHUNK) {
		fill_chunk(want, off);
		if (pread(rf.fd, chunk, CHUNK, off) != CHUNK ||
		    memcmp(chunk, want, CHUNK))
			bad++;
	}
	printf("RESULT luo-verify-big-%ldMiB %.1f\n", mib, now_ms() - t0);
	if (ioctl(rs.fd, LIVEUPDATE_SESSION_FINISH, &fin))
		die("LIVEUPDATE_SESSION_FINISH");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static uint64_t buf[CHUNK / 8], want[CHUNK / 8];
	char path[4096], data[100];
	double t0 = now_ms();
	long n, bad = 0;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: see the source\n");
		return 2;
	}
	n = atol(argv[3]);
	if (!strcmp(argv[1], "mount")) {
		mkdir(argv[3], 0755);
		t0 = now_ms();
		if (mount("none", argv[3], argv[2], 0, NULL))
			die("mount");
		printf("RESULT mount-%s %.1f\n", argv[2], now_ms() - t0);
		return 0;
	}
	if (!strcmp(argv[1], "freeze")) {
		/* Freezing khofs prepares its handover. */
		fd = open(argv[2], O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			die(argv[2]);
		t0 = now_ms();
		if (ioctl(fd, FIFREEZE, 0))
			die("FIFREEZE");
		printf("RESULT freeze %.1f\n", now_ms() - t0);
		return 0;
	}
	if (!strcmp(argv[1], "luo-preserve"))
		return luo_preserve(argv[2], n);
	if (!strcmp(argv[1], "luo-retrieve"))
		return luo_retrieve(argv[2], n);
	if (!strcmp(argv[1], "io")) {
		static const long sizes[] = { 4096, 1 << 20 };

		snprintf(path, sizeof(path), "%s/io", argv[2]);
		for (int s = 0; s < 2; s++) {
			long bs = sizes[s], calls = (n << 20) / bs;
			const char *unit = bs == 4096 ? "4k" : "1m";

			fill_chunk(buf, 0);
			fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
			if (fd < 0)
				die(path);
			t0 = now_ms();
			for (long i = 0; i < calls; i++)
				if (write(fd, buf, bs) != bs)
					die("write");
			printf("RESULT io-write-%s %.1f\n", unit, now_ms() - t0);
			lseek(fd, 0, SEEK_SET);
			t0 = now_ms();
			for (long i = 0; i < calls; i++)
				if (read(fd, want, bs) != bs)
					bad++;
			printf("RESULT io-read-%s %.1f\n", unit, now_ms() - t0);
			/* Checked once, untimed. */
			for (long i = 0; i < calls; i++)
				if (pread(fd, want, bs, i * bs) != bs || memcmp(want, buf, bs))
					bad++;
			close(fd);
			unlink(path);
		}
		fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
		if (fd < 0 || ftruncate(fd, n << 20))
			die(path);
		t0 = now_ms();
		for (long i = 0; i < n; i++)
			if (read(fd, want, 1 << 20) != 1 << 20 || want[0] || want[(1 << 17) - 1])
				bad++;
		printf("RESULT io-read-hole-1m %.1f\n", now_ms() - t0);
		close(fd);
		unlink(path);
		bad += io_more(argv[2], n, buf, want);
		return bad != 0;
	}
	if (!strcmp(argv[1], "fill-big") || !strcmp(argv[1], "verify-big") ||
	    !strcmp(argv[1], "fill-big-4k")) {
		int fill = argv[1][0] == 'f';
		/* fill-big-4k: the same bytes in 4 KiB writes (4 KiB folios). */
		size_t step = strcmp(argv[1], "fill-big-4k") ? CHUNK : 4096;

		fd = open(argv[2], fill ? O_CREAT | O_WRONLY | O_TRUNC : O_RDONLY, 0644);
		if (fd < 0)
			die(argv[2]);
		for (uint64_t off = 0; off < (uint64_t)n << 20; off += CHUNK) {
			fill_chunk(want, off);
			if (fill) {
				char *p = (char *)want;

				for (size_t o = 0; o < CHUNK; o += step)
					if (pwrite(fd, p + o, step, off + o) != (ssize_t)step)
						die("pwrite");
			} else if (pread(fd, buf, CHUNK, off) != CHUNK ||
				   memcmp(buf, want, CHUNK)) {
				bad++;
			}
		}
		close(fd);
		printf("RESULT %s-%ldMiB %.1f\n", argv[1], n, now_ms() - t0);
		return bad ? 1 : 0;
	}
	if (!strcmp(argv[1], "fill-small") || !strcmp(argv[1], "verify-small")) {
		int fill = argv[1][0] == 'f';

		if (fill && mkdir(argv[2], 0755))
			die(argv[2]);
		for (long i = 0; i < n; i++) {
			if (fill && i % 1000 == 0) {
				snprintf(path, sizeof(path), "%s/d%03ld", argv[2], i / 1000);
				if (mkdir(path, 0755))
					die(path);
			}
			small_name(path, sizeof(path), argv[2], i);
			memset(data, 'a' + i % 26, sizeof(data));
			snprintf(data, sizeof(data), "%ld", i);
			fd = open(path, fill ? O_CREAT | O_WRONLY | O_EXCL : O_RDONLY, 0644);
			if (fd < 0)
				die(path);
			if (fill) {
				if (write(fd, data, sizeof(data)) != sizeof(data))
					die("write");
			} else {
				char got[sizeof(data) + 1];

				if (read(fd, got, sizeof(got)) != sizeof(data) ||
				    memcmp(got, data, sizeof(data)))
					bad++;
			}
			close(fd);
		}
		printf("RESULT %s-%ld %.1f\n", argv[1], n, now_ms() - t0);
		return bad ? 1 : 0;
	}
	fprintf(stderr, "unknown command %s\n", argv[1]);
	return 2;
}
