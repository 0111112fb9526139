// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_limits_test - mount options and limits, tmpfs-style.
 *
 * Every test runs twice, on tmpfs and on khofs (fixture variants), with the
 * same assertions: tmpfs is the oracle. Covers size=/nr_blocks=/nr_inodes=/
 * mode=/uid=/gid=, ENOSPC on blocks and inodes with nothing corrupted,
 * statfs(2), st_blocks, holes that stay holes when read, remount, options in
 * /proc/mounts, bad options, and permissions for non-root users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "khofs_util.h"

#define KIB 1024L
#define MIB (1024L * 1024)

FIXTURE(fs) {
	char dir[64];
	char name[32];
	char path[128];
	int mounted;
};

FIXTURE_VARIANT(fs) {
	const char *type;
};

FIXTURE_VARIANT_ADD(fs, tmpfs) {
	.type = "tmpfs",
};

FIXTURE_VARIANT_ADD(fs, khofs) {
	.type = KHOFS_FS_NAME,
};

FIXTURE_SETUP(fs)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/limits-%d", getpid());
	snprintf(self->name, sizeof(self->name), "limits-%d", getpid());
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	self->mounted = 0;
}

FIXTURE_TEARDOWN(fs)
{
	if (self->mounted)
		umount2(self->dir, MNT_DETACH);
	if (!strcmp(variant->type, KHOFS_FS_NAME))
		khofs_discard(self->name);
	rmdir(self->dir);
}

/* Mounts the variant's filesystem with options @opts; returns 0 or an errno. */
static int mount_type(struct _test_data_fs *self, const char *type, const char *opts)
{
	if (mount(self->name, self->dir, type, 0, opts))
		return errno;
	self->mounted = 1;
	return 0;
}

static int remount_type(struct _test_data_fs *self, const char *type, const char *opts)
{
	return mount(self->name, self->dir, type, MS_REMOUNT, opts) ? errno : 0;
}

#define mount_fs(self, variant, opts) mount_type(self, (variant)->type, opts)
#define remount_fs(self, variant, opts) remount_type(self, (variant)->type, opts)

/* Writes @len bytes of a pattern at @off in chunks; returns bytes written. */
static long fill(int fd, long off, long len)
{
	char buf[64 * KIB];
	long done = 0;

	while (done < len) {
		long n = len - done < (long)sizeof(buf) ? len - done : (long)sizeof(buf);
		long i;
		ssize_t w;

		for (i = 0; i < n; i++)
			buf[i] = (char)((off + done + i) * 7 + 3);
		w = pwrite(fd, buf, n, off + done);
		if (w <= 0)
			break;
		done += w;
	}
	return done;
}

/* Checks the pattern of fill() over @len bytes at @off. */
static int check(int fd, long off, long len)
{
	char buf[64 * KIB];
	long done = 0;

	while (done < len) {
		long n = len - done < (long)sizeof(buf) ? len - done : (long)sizeof(buf);
		long i;

		if (pread(fd, buf, n, off + done) != n)
			return -1;
		for (i = 0; i < n; i++)
			if (buf[i] != (char)((off + done + i) * 7 + 3))
				return -1;
		done += n;
	}
	return 0;
}

struct fsinfo {
	long f_blocks, f_bfree, f_bsize, f_files, f_ffree;
};

static struct fsinfo sfs(const char *dir)
{
	struct fsinfo r = { -1, -1, -1, -1, -1 };
	struct statfs s;

	if (!statfs(dir, &s)) {
		r.f_blocks = s.f_blocks;
		r.f_bfree = s.f_bfree;
		r.f_bsize = s.f_bsize;
		r.f_files = s.f_files;
		r.f_ffree = s.f_ffree;
	}
	return r;
}

/* The options field of the /proc/mounts line for @dir, or "" if none. */
static const char *mount_opts(const char *dir)
{
	static char line[1024], opts[1024];
	FILE *f = fopen("/proc/mounts", "r");
	char mp[256];

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %255s %*s %1023s", mp, opts) == 2 && !strcmp(mp, dir)) {
			fclose(f);
			return opts;
		}
	}
	if (f)
		fclose(f);
	return "";
}

TEST_F(fs, size_enospc_keeps_data)
{
	struct fsinfo s;
	int fd;

	ASSERT_EQ(0, mount_fs(self, variant, "size=1m"));
	s = sfs(self->dir);
	EXPECT_EQ(256, s.f_blocks);
	EXPECT_EQ(256, s.f_bfree);
	EXPECT_EQ(4096, s.f_bsize);
	fd = open(self->path, O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	/* Twice the size: stops at 1 MiB with ENOSPC. */
	EXPECT_EQ(MIB, fill(fd, 0, 2 * MIB));
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, "x", 1, MIB));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, sfs(self->dir).f_bfree);
	/* Nothing written before is damaged; overwriting in place still works. */
	EXPECT_EQ(0, check(fd, 0, MIB));
	EXPECT_EQ(4 * KIB, fill(fd, 8 * KIB, 4 * KIB));
	EXPECT_EQ(0, check(fd, 0, MIB));
	/* Space comes back when the file goes. */
	close(fd);
	ASSERT_EQ(0, unlink(self->path));
	EXPECT_EQ(256, sfs(self->dir).f_bfree);
	fd = open(self->path, O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(512 * KIB, fill(fd, 0, 512 * KIB));
	EXPECT_EQ(128, sfs(self->dir).f_bfree);
	close(fd);
}

TEST_F(fs, size_units)
{
	static const struct { const char *opt; long blocks; } cases[] = {
		{ "size=3m", 768 }, { "size=1g", 262144 }, { "size=40k", 10 },
		{ "size=4097", 2 }, { "nr_blocks=100", 100 }, { "size=0", 0 },
	};
	struct sysinfo si;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, mount_fs(self, variant, cases[i].opt));
		EXPECT_EQ(cases[i].blocks, sfs(self->dir).f_blocks) TH_LOG("%s", cases[i].opt);
		ASSERT_EQ(0, umount(self->dir));
		self->mounted = 0;
		if (!strcmp(variant->type, KHOFS_FS_NAME))
			khofs_discard(self->name);
	}
	/* A percentage of RAM. */
	ASSERT_EQ(0, sysinfo(&si));
	ASSERT_EQ(0, mount_fs(self, variant, "size=10%"));
	/* tmpfs rounds 10% of RAM, in bytes, up to pages. */
	EXPECT_EQ((long)(((unsigned long long)si.totalram * si.mem_unit / 4096 * 4096 * 10 / 100 +
			  4095) / 4096),
		  sfs(self->dir).f_blocks);
}

TEST_F(fs, bad_options)
{
	static const char *const bad[] = {
		"size=12q", "size=", "size=1%%", "nr_inodes=x", "nr_blocks=1k2",
		"mode=999", "uid=abc", "gid=-5", "bogus=1",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(EINVAL, mount_fs(self, variant, bad[i])) TH_LOG("option %u", i);
	self->mounted = 0;
}

TEST_F(fs, nr_inodes_enospc)
{
	char p[160];
	int n, fd;

	ASSERT_EQ(0, mount_fs(self, variant, "nr_inodes=8"));
	EXPECT_EQ(8, sfs(self->dir).f_files);
	for (n = 0; n < 20; n++) {
		snprintf(p, sizeof(p), "%s/f%d", self->dir, n);
		fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			break;
		close(fd);
	}
	EXPECT_EQ(ENOSPC, errno);
	/* The root is an inode too. */
	EXPECT_EQ(7, n);
	EXPECT_EQ(0, sfs(self->dir).f_ffree);
	snprintf(p, sizeof(p), "%s/d", self->dir);
	EXPECT_EQ(-1, mkdir(p, 0755));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, symlink("f0", p));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, mknod(p, S_IFIFO | 0644, 0));
	EXPECT_EQ(ENOSPC, errno);
	snprintf(p, sizeof(p), "%s/f0", self->dir);
	ASSERT_EQ(0, unlink(p));
	EXPECT_EQ(1, sfs(self->dir).f_ffree);
	snprintf(p, sizeof(p), "%s/d", self->dir);
	EXPECT_EQ(0, mkdir(p, 0755));
}

TEST_F(fs, nr_inodes_counts_links)
{
	char p[160], q[160];
	int fd;

	ASSERT_EQ(0, mount_fs(self, variant, "nr_inodes=5"));
	ASSERT_EQ(0, chdir(self->dir));
	fd = open("f", O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	close(fd);
	/* Each extra name of a file counts, as on tmpfs. */
	EXPECT_EQ(0, link("f", "l1"));
	EXPECT_EQ(0, link("f", "l2"));
	fd = open("g", O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, sfs(".").f_ffree);
	EXPECT_EQ(-1, link("f", "l3"));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, unlink("l1"));
	EXPECT_EQ(1, sfs(".").f_ffree);
	/* Renaming over a name of a file with several links frees that name. */
	EXPECT_EQ(0, rename("g", "l2"));
	EXPECT_EQ(2, sfs(".").f_ffree);
	/* An O_TMPFILE file counts once, also after it is linked in. */
	fd = open(".", O_TMPFILE | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, sfs(".").f_ffree);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	snprintf(q, sizeof(q), "%s/t", self->dir);
	EXPECT_EQ(0, linkat(AT_FDCWD, p, AT_FDCWD, q, AT_SYMLINK_FOLLOW));
	EXPECT_EQ(1, sfs(".").f_ffree);
	close(fd);
	ASSERT_EQ(0, chdir("/"));
}

TEST_F(fs, root_mode_owner_and_proc_mounts)
{
	struct stat st;
	const char *o;

	ASSERT_EQ(0, mount_fs(self, variant,
			      "size=2m,nr_inodes=100,mode=0710,uid=1234,gid=5678"));
	ASSERT_EQ(0, stat(self->dir, &st));
	EXPECT_EQ(S_IFDIR | 0710, (int)st.st_mode);
	EXPECT_EQ(1234, (int)st.st_uid);
	EXPECT_EQ(5678, (int)st.st_gid);
	o = mount_opts(self->dir);
	EXPECT_NE(NULL, strstr(o, ",size=2048k")) TH_LOG("%s", o);
	EXPECT_NE(NULL, strstr(o, ",nr_inodes=100")) TH_LOG("%s", o);
	EXPECT_NE(NULL, strstr(o, ",mode=710")) TH_LOG("%s", o);
	EXPECT_NE(NULL, strstr(o, ",uid=1234")) TH_LOG("%s", o);
	EXPECT_NE(NULL, strstr(o, ",gid=5678")) TH_LOG("%s", o);
}

/* In a child with @uid/@gid: creates a file in @dir; returns 0 or the errno. */
static int create_as(const char *dir, uid_t uid, gid_t gid)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		char p[160];
		int fd;

		snprintf(p, sizeof(p), "%s/by-%u", dir, uid);
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(100);
		fd = open(p, O_CREAT | O_WRONLY, 0600);
		_exit(fd < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(fs, root_owner_permissions_non_root)
{
	ASSERT_EQ(0, mount_fs(self, variant, "mode=0700,uid=1234,gid=1234"));
	EXPECT_EQ(0, create_as(self->dir, 1234, 1234));
	EXPECT_EQ(EACCES, create_as(self->dir, 4321, 4321));
	EXPECT_EQ(EACCES, create_as(self->dir, 4321, 1234));
}

TEST_F(fs, remount_changes_limits)
{
	int fd;

	ASSERT_EQ(0, mount_fs(self, variant, "size=1m,nr_inodes=10"));
	fd = open(self->path, O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(MIB, fill(fd, 0, 2 * MIB));
	/* Larger: the write goes on. */
	EXPECT_EQ(0, remount_fs(self, variant, "size=2m"));
	EXPECT_EQ(512, sfs(self->dir).f_blocks);
	EXPECT_EQ(MIB, fill(fd, MIB, MIB));
	/* Below current use: refused, nothing changes. */
	EXPECT_EQ(EINVAL, remount_fs(self, variant, "size=1m"));
	EXPECT_EQ(512, sfs(self->dir).f_blocks);
	EXPECT_EQ(EINVAL, remount_fs(self, variant, "nr_inodes=1"));
	EXPECT_EQ(10, sfs(self->dir).f_files);
	EXPECT_EQ(0, remount_fs(self, variant, "nr_inodes=20"));
	EXPECT_EQ(20, sfs(self->dir).f_files);
	/* Unlimited, and then it cannot be limited again. */
	EXPECT_EQ(0, remount_fs(self, variant, "size=0"));
	EXPECT_EQ(0, sfs(self->dir).f_blocks);
	EXPECT_EQ(EINVAL, remount_fs(self, variant, "size=8m"));
	EXPECT_EQ(0, check(fd, 0, 2 * MIB));
	close(fd);
}

static sigjmp_buf jb;
static char *fault_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	siglongjmp(jb, 1);
}

TEST_F(fs, mmap_write_past_limit_sigbus)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	char *p, b[4096];
	long i;
	int fd;

	ASSERT_EQ(0, mount_fs(self, variant, "size=64k"));
	fd = open(self->path, O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, MIB));
	p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	fault_addr = NULL;
	if (!sigsetjmp(jb, 1))
		for (i = 0; i < 256; i++)
			p[i * 4096] = 1;
	signal(SIGBUS, SIG_DFL);
	/* The 17th page does not fit. */
	EXPECT_EQ(p + 16 * 4096, fault_addr);
	EXPECT_EQ(0, sfs(self->dir).f_bfree);
	/* The page that did not fit is still a hole: it reads as zeros, not an error. */
	memset(b, 1, sizeof(b));
	EXPECT_EQ(4096, pread(fd, b, 4096, 16 * 4096));
	EXPECT_EQ(0, b[0]);
	EXPECT_EQ(0, b[4095]);
	EXPECT_EQ(16 * 4096, lseek(fd, 16 * 4096, SEEK_HOLE));
	munmap(p, MIB);
	close(fd);
}

TEST_F(fs, fallocate_enospc_and_blocks)
{
	struct stat st;
	int fd;

	ASSERT_EQ(0, mount_fs(self, variant, "size=1m"));
	fd = open(self->path, O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, fallocate(fd, 0, 0, 2 * MIB));
	EXPECT_EQ(ENOSPC, errno);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(256, sfs(self->dir).f_bfree);
	EXPECT_EQ(0, fallocate(fd, 0, 0, 512 * KIB));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1024, st.st_blocks);
	EXPECT_EQ(512 * KIB, st.st_size);
	EXPECT_EQ(128, sfs(self->dir).f_bfree);
	EXPECT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 256 * KIB));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(512, st.st_blocks);
	EXPECT_EQ(192, sfs(self->dir).f_bfree);
	close(fd);
}

TEST_F(fs, holes_stay_holes_and_truncate_frees)
{
	char buf[64 * KIB];
	struct stat st;
	long total = 0;
	ssize_t n;
	int fd, i;

	ASSERT_EQ(0, mount_fs(self, variant, "size=4m"));
	fd = open(self->path, O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, "z", 1, MIB));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(8, st.st_blocks);
	/* Reading the hole gives zeros and allocates nothing. */
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] && total + i != MIB)
				break;
		ASSERT_EQ(n, i);
		total += n;
	}
	EXPECT_EQ(MIB + 1, total);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(8, st.st_blocks);
	EXPECT_EQ(1023, sfs(self->dir).f_bfree);
	/* Data then truncate: blocks follow. */
	EXPECT_EQ(MIB, fill(fd, 0, MIB));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(2056, st.st_blocks);
	ASSERT_EQ(0, ftruncate(fd, 4 * KIB));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(8, st.st_blocks);
	EXPECT_EQ(1023, sfs(self->dir).f_bfree);
	close(fd);
}

TEST_HARNESS_MAIN
