// SPDX-License-Identifier: GPL-2.0
/*
 * khofs_nsmodel - model-checked random operations on the namespace and the
 * data of a filesystem, across kexec, optionally next to an oracle (tmpfs).
 *
 *   khofs_nsmodel run DIR SEED SECONDS [ORACLE_DIR]
 *   khofs_nsmodel hold DIR
 *   khofs_nsmodel verify DIR
 *   khofs_nsmodel resume DIR SEED SECONDS [ORACLE_DIR]
 *
 * run creates DIR (absent or empty) and applies random operations to it for
 * SECONDS: create, mkdir, rmdir, unlink, symlink, mkfifo, link, rename and
 * renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE), O_TMPFILE files (linked
 * later with linkat(AT_EMPTY_PATH), or not), files held open and unlinked or
 * renamed over, pwrite and pread at unaligned offsets in and around holes,
 * copy_file_range, fallocate (0, KEEP_SIZE, PUNCH_HOLE), truncate and
 * ftruncate (also under a MAP_SHARED mapping), stores and loads through
 * MAP_SHARED mappings, msync, chmod, chown and utimensat. Every result (return
 * value or errno, bytes read, stat fields) is checked against an in-memory
 * model of the tree: up to 64 directories and 256 other inodes named from a
 * 12-name alphabet (so that names collide), with modes, owners, link counts,
 * symbolic link targets and sparse contents (64 MiB in all). Every 64
 * operations the whole tree is walked (readdir, lstat, readlink, read) and
 * compared with the model; times are only checked for sanity. With
 * ORACLE_DIR (e.g. on tmpfs) every operation is also applied there: both
 * results must agree, and both trees must match the model (inode numbers,
 * times, directory sizes and st_blocks are not compared between them).
 *
 * Layout: the tree under test is DIR; at the end of run and resume the model
 * of what must survive a kexec is saved in the file DIR.state, next to DIR on
 * the same filesystem (DIR is given without a trailing "/"): every name
 * reachable from DIR with its type, mode, owner, size, link count, contents,
 * symbolic link target, inode number and the nanosecond times that lstat(2)
 * reported last (after the final reads).
 *
 * hold, the last thing before a kexec, checks DIR against DIR.state, then
 * forks a child that holds files open, unlinks some of them and keeps writing
 * to them, creates an O_TMPFILE file, renames a file over one it holds open,
 * writes a MAP_SHARED mapping once (msync) and keeps it, then saves DIR.state
 * again without the files that must vanish at kexec. hold returns (printing
 * "holding") once that is done; the child then keeps writing to its files
 * without a name, every 10 ms, until it is killed or the system kexecs.
 *
 * verify, after the kexec, checks DIR against DIR.state: the same names,
 * types, modes, owners, sizes, link counts, inode numbers, times and contents,
 * and nothing else. The parent of DIR must hold nothing but DIR and
 * DIR.state; if it is the root of a khofs or tmpfs mount, statfs(2) must
 * count no more inodes and blocks than those need.
 *
 * resume is verify, then (with ORACLE_DIR) a copy of the model into
 * ORACLE_DIR, then run's operations starting from the saved model.
 *
 * All random choices derive from SEED (xorshift), so a failure is reproducible
 * from the seed and the operation number. Prints TAP lines; on a mismatch
 * prints the path, field, expected and actual values, the operation number
 * and the operations before it, and exits 1 (2 on a usage error).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/khofs.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		2
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC		0x01021994
#endif

#define MAX_DIRS	64		/* the root of the tree included */
#define MAX_FILES	256		/* other inodes, unlinked open ones included */
#define MAX_INODES	(MAX_DIRS + MAX_FILES)
#define HOLD_INODES	16		/* of which left for "hold" */
#define NNAMES		12
#define NSHORT		10		/* names[0..9] are short, 10 and 11 long */
#define PG		4096UL
#define MAX_SIZE	(10UL << 20)	/* end of any write, allocation or size */
#define MAX_PAGES	(MAX_SIZE / PG)
#define MAX_TOTAL	(64UL << 20)	/* sum over files of max(size, allocated) */
#define HOLD_BYTES	(8UL << 20)	/* of which left for "hold" */
#define MAX_IO		((2UL << 20) + PG)	/* longest single write or copy */
#define MAX_HELD	16
#define MAX_MAPS	4
#define CHECK_EVERY	64		/* operations between full checks */
#define ALL_EVERY	16		/* full checks between reads of every file */
#define PATHLEN		4000		/* longest path passed to a system call */
#define WPATH		65536		/* longest path in a diagnostic */
#define SLACK_NS	20000000LL	/* allowed lag of a timestamp behind the clock */
#define ANY		LONG_MIN	/* a result the model does not predict */
#define STATE_MAGIC	"KHONSM1\n"
#define STATE_VERSION	1
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct node {
	unsigned int type;		/* S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO; 0: free */
	unsigned int mode;		/* permission bits (07777) */
	unsigned int uid, gid;
	unsigned int nlink;		/* names; directories: 2 + subdirectories */
	int ent[NNAMES];		/* directories: the inode of each name, or -1 */
	int parent, pname;		/* directories: where their one name is */
	uint64_t size;
	uint64_t alloc_hi;		/* end of the furthest allocation (budget) */
	unsigned char **pages;		/* MAX_PAGES pointers, NULL: zeros */
	int alloc;			/* may have blocks (st_blocks > 0) */
	int dirty;			/* contents changed since the last full check */
	int linkable;			/* O_TMPFILE never linked */
	char *target;			/* symbolic links */
	int fd[2];			/* held open on each side, or -1 */
	unsigned char *map[2];		/* MAP_SHARED mapping on each side */
	size_t maplen;
	uint64_t ino[2];		/* st_ino on each side */
	int64_t tch, tmod;		/* ctime and mtime are at least this (ns) */
	struct timespec at, mt, ct;	/* saved: what lstat reported last */
	int64_t dsize;			/* saved: st_size of a directory */
	uint64_t blocks;		/* verify: st_blocks */
};

static struct node in[MAX_INODES];
static char names[NNAMES][256];
static int nsides = 1;
static int rootfd[2] = { -1, -1 };
static const char *root_path[2];
static const char * const side_name[2] = { "DIR", "oracle" };
static const char *cmd = "run";
static uint64_t rng, seed;
static unsigned long ops, checks, prior_ops;
static int ndirs, nfiles, nheld, nmaps, holding, in_op;
static int64_t op_t0;
static int tap_n;
static char tap_desc[512];
static char failmsg[WPATH + 1024];
static char oplog[16][3 * PATHLEN + 512];
static unsigned long oplog_op[16];
static unsigned char zeros[PG];
static unsigned char wbuf[MAX_IO], rbuf[MAX_IO], cbuf[MAX_IO];
static char wpath[WPATH];

/* Outcome counts per operation, printed at the end of a run. */
static struct {
	const char *what;
	unsigned long ok, err;
	uint64_t errs[2];		/* bit e: -e was returned */
} opstats[48];

static void fail_exit(void)
{
	unsigned long k, first = ops > 15 ? ops - 15 : 0;

	printf("# khofs_nsmodel %s: MISMATCH (seed %llu, %s op %lu): %s\n", cmd,
	       (unsigned long long)seed, in_op ? "at" : "after", in_op ? ops + 1 : ops,
	       failmsg);
	for (k = first; k <= ops; k++)
		if (oplog_op[k % 16] == k + 1 && (k < ops || in_op))
			printf("#   %s\n", oplog[k % 16]);
	printf("not ok %d %s\n", ++tap_n, tap_desc);
	fflush(stdout);
}

/* Reports a mismatch and exits 1; printf-style arguments. */
#define fail(...) do {							\
	snprintf(failmsg, sizeof(failmsg), __VA_ARGS__);		\
	fail_exit();							\
	exit(1);							\
} while (0)

/* Names the summary item that a failure from now on belongs to. */
#define phase(...) snprintf(tap_desc, sizeof(tap_desc), __VA_ARGS__)

#define tap_ok(...) do {						\
	printf("ok %d ", ++tap_n);					\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
	fflush(stdout);							\
} while (0)

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME_COARSE, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A timestamp in ns, saturated far outside the years 1685..2255. */
static int64_t ts_ns(const struct timespec *t)
{
	if (t->tv_sec > 9000000000LL)
		return INT64_MAX;
	if (t->tv_sec < -9000000000LL)
		return INT64_MIN;
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Describes the current operation (for diagnostics) and starts its clock. */
#define note(...) do {							\
	oplog_op[ops % 16] = ops + 1;					\
	snprintf(oplog[ops % 16], sizeof(oplog[0]), __VA_ARGS__);	\
	in_op = 1;							\
	op_t0 = now_ns();						\
} while (0)

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void seed_rng(uint64_t s, uint64_t salt)
{
	int k;

	rng = ((s + 1) * 0x9e3779b97f4a7c15ULL) ^ salt;
	if (!rng)
		rng = 1;
	for (k = 0; k < 16; k++)
		rnd();
}

static void fill(unsigned char *b, size_t len)
{
	uint64_t x;
	size_t k;

	for (k = 0; k < len; k += 8) {
		x = rnd();
		memcpy(b + k, &x, len - k < 8 ? len - k : 8);
	}
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* A result as text: a number, or -ENAME for -errno. */
static const char *res(long r)
{
	static char buf[4][32];
	static int k;
	const char *n;

	k = (k + 1) % 4;
	if (r == ANY) {
		snprintf(buf[k], sizeof(buf[k]), "(any)");
	} else if (r >= 0) {
		snprintf(buf[k], sizeof(buf[k]), "%ld", r);
	} else {
		n = strerrorname_np(-r);
		if (n)
			snprintf(buf[k], sizeof(buf[k]), "-%s", n);
		else
			snprintf(buf[k], sizeof(buf[k]), "-errno%ld", -r);
	}
	return buf[k];
}

static void count(const char *what, long r)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(opstats) && opstats[k].what; k++)
		if (!strcmp(opstats[k].what, what))
			break;
	if (k == ARRAY_SIZE(opstats))
		return;
	opstats[k].what = what;
	if (r >= 0) {
		opstats[k].ok++;
	} else {
		opstats[k].err++;
		if (-r < 128)
			opstats[k].errs[-r / 64] |= 1ULL << (-r % 64);
	}
}

static void print_counts(void)
{
	size_t k;
	int e;

	for (k = 0; k < ARRAY_SIZE(opstats) && opstats[k].what; k++) {
		printf("#   %-16s %8lu ok %7lu failed", opstats[k].what, opstats[k].ok,
		       opstats[k].err);
		for (e = 1; e < 128; e++)
			if (opstats[k].errs[e / 64] & (1ULL << (e % 64)))
				printf(" %s", res(-e));
		putchar('\n');
	}
}

/*
 * Checks the results of one operation on each side: DIR and the oracle must
 * agree, and both must return what the model predicts (unless ANY).
 */
static long expect(const char *what, long pred, const long *r)
{
	if (nsides > 1 && r[0] != r[1])
		fail("%s: DIR returned %s, the oracle %s (the model predicts %s)", what,
		     res(r[0]), res(r[1]), res(pred));
	if (pred != ANY && r[0] != pred)
		fail("%s: %s returned %s, the model predicts %s", what,
		     nsides > 1 ? "DIR and the oracle" : "DIR", res(r[0]), res(pred));
	count(what, r[0]);
	return r[0];
}

/* ---- the model's namespace ---- */

static void init_names(void)
{
	static const char * const short_names[NSHORT] = {
		"a", "b", "c", "d", "e", "f", "g", "h", "dot.ted", "Mix_9-Z"
	};
	size_t k;

	for (k = 0; k < NSHORT; k++)
		snprintf(names[k], sizeof(names[k]), "%s", short_names[k]);
	for (k = 0; k < 100; k++)
		names[10][k] = 'a' + k % 26;
	for (k = 0; k < 255; k++)	/* NAME_MAX */
		names[11][k] = 'A' + k % 26;
}

static int name_index(const char *s)
{
	int n;

	for (n = 0; n < NNAMES; n++)
		if (!strcmp(names[n], s))
			return n;
	return -1;
}

static int pick_name(void)
{
	return rn(100) < 92 ? (int)rn(NSHORT) : NSHORT + (int)rn(NNAMES - NSHORT);
}

static int is_dir(int i)
{
	return i >= 0 && in[i].type == S_IFDIR;
}

static int nonempty(int d)
{
	int n;

	for (n = 0; n < NNAMES; n++)
		if (in[d].ent[n] >= 0)
			return 1;
	return 0;
}

/* Whether directory a is directory b or one of its ancestors. */
static int is_ancestor(int a, int b)
{
	int k;

	for (k = 0; k <= MAX_DIRS; k++) {
		if (b == a)
			return 1;
		if (b == 0)
			return 0;
		b = in[b].parent;
	}
	fail("model: directory loop above #%d", b);
}

/* Path of directory d relative to the root ("." for the root); -1 if too long. */
static int dir_path(int d, char *buf, size_t sz)
{
	int chain[MAX_DIRS + 1], k = 0;
	size_t len = 0, l;

	if (d == 0)
		return snprintf(buf, sz, ".");
	while (d != 0) {
		if (k > MAX_DIRS)
			fail("model: directory loop");
		chain[k++] = d;
		d = in[d].parent;
	}
	while (k--) {
		l = strlen(names[in[chain[k]].pname]);
		if (len + l + 2 > sz)
			return -1;
		if (len)
			buf[len++] = '/';
		memcpy(buf + len, names[in[chain[k]].pname], l + 1);
		len += l;
	}
	return len;
}

/* Path of name n in directory d relative to the root; -1 if too long. */
static int ent_path(int d, int n, char *buf)
{
	int len = 0;
	size_t l = strlen(names[n]);

	if (d) {
		len = dir_path(d, buf, PATHLEN);
		if (len < 0)
			return -1;
		buf[len++] = '/';
	}
	if (len + l + 1 > PATHLEN)
		return -1;
	memcpy(buf + len, names[n], l + 1);
	return len + l;
}

/* A path of inode i (a directory, or any of its names); -1 if none fits. */
static int node_path(int i, char *buf)
{
	int d, n;

	if (is_dir(i))
		return dir_path(i, buf, PATHLEN) < 0 ? -1 : 0;
	for (d = 0; d < MAX_INODES; d++) {
		if (in[d].type != S_IFDIR)
			continue;
		for (n = 0; n < NNAMES; n++)
			if (in[d].ent[n] == i && ent_path(d, n, buf) >= 0)
				return 0;
	}
	return -1;
}

/* Inode i for a diagnostic: a path, or how it is held. */
static const char *desc(int i)
{
	static char buf[4][PATHLEN + 32];
	static int k;

	k = (k + 1) % 4;
	if (node_path(i, buf[k]) < 0)
		snprintf(buf[k], sizeof(buf[k]), "<%s>", in[i].nlink ? "deep" : "unlinked");
	snprintf(buf[k] + strlen(buf[k]), 32, " (#%d)", i);
	return buf[k];
}

static int usable(int i)
{
	char p[PATHLEN];

	return in[i].fd[0] >= 0 || node_path(i, p) == 0;
}

static void free_node(int i)
{
	struct node *m = &in[i];
	size_t k;

	if (m->pages) {
		for (k = 0; k <= MAX_PAGES; k++)
			free(m->pages[k]);
		free(m->pages);
	}
	free(m->target);
	if (m->type == S_IFDIR)
		ndirs--;
	else
		nfiles--;
	memset(m, 0, sizeof(*m));
}

static void init_node(int i, unsigned int type)
{
	struct node *m = &in[i];
	int n;

	memset(m, 0, sizeof(*m));
	m->type = type;
	for (n = 0; n < NNAMES; n++)
		m->ent[n] = -1;
	m->parent = -1;
	m->fd[0] = -1;
	m->fd[1] = -1;
	if (type == S_IFDIR)
		ndirs++;
	else
		nfiles++;
}

/* A new inode as created in directory d by root (S_ISGID directories pass on their group). */
static int new_node(unsigned int type, unsigned int mode, int d)
{
	int i;

	for (i = 1; i < MAX_INODES; i++)
		if (!in[i].type)
			break;
	if (i == MAX_INODES)
		fail("model: no free inode slot");
	init_node(i, type);
	in[i].mode = mode & 07777;
	if (in[d].mode & S_ISGID) {
		in[i].gid = in[d].gid;
		if (type == S_IFDIR)
			in[i].mode |= S_ISGID;
	}
	if (type == S_IFDIR)
		in[i].nlink = 2;
	in[i].tch = op_t0;
	in[i].tmod = op_t0;
	in[i].dirty = 1;
	return i;
}

static void touch(int i)
{
	in[i].tch = op_t0;
	in[i].tmod = op_t0;
}

static void add_ent(int d, int n, int i)
{
	in[d].ent[n] = i;
	touch(d);
	if (is_dir(i)) {
		in[i].parent = d;
		in[i].pname = n;
		in[d].nlink++;
	} else {
		in[i].nlink++;
		in[i].tch = op_t0;
	}
}

/* Removes name n of directory d: an empty directory goes, a file loses a link. */
static void del_ent(int d, int n)
{
	int i = in[d].ent[n];

	in[d].ent[n] = -1;
	touch(d);
	if (is_dir(i)) {
		in[d].nlink--;
		free_node(i);
		return;
	}
	in[i].nlink--;
	in[i].tch = op_t0;
	if (!in[i].nlink && in[i].fd[0] < 0)
		free_node(i);
}

/* ---- the model's file contents: sparse pages ---- */

static unsigned char *page_w(struct node *m, uint64_t pg)
{
	if (pg > MAX_PAGES)
		fail("model: page %llu beyond the size limit", (unsigned long long)pg);
	if (!m->pages) {
		m->pages = calloc(MAX_PAGES + 1, sizeof(*m->pages));
		if (!m->pages)
			fail("out of memory");
	}
	if (!m->pages[pg]) {
		m->pages[pg] = calloc(1, PG);
		if (!m->pages[pg])
			fail("out of memory");
	}
	return m->pages[pg];
}

static const unsigned char *page_r(const struct node *m, uint64_t pg)
{
	return m->pages && pg <= MAX_PAGES && m->pages[pg] ? m->pages[pg] : zeros;
}

static void mwrite(struct node *m, uint64_t off, const unsigned char *b, size_t len)
{
	size_t o, k;

	while (len) {
		o = off % PG;
		k = min64(PG - o, len);
		memcpy(page_w(m, off / PG) + o, b, k);
		off += k;
		b += k;
		len -= k;
	}
}

static void mread(const struct node *m, uint64_t off, unsigned char *b, size_t len)
{
	size_t o, k;

	while (len) {
		o = off % PG;
		k = min64(PG - o, len);
		memcpy(b, page_r(m, off / PG) + o, k);
		off += k;
		b += k;
		len -= k;
	}
}

static void mzero(struct node *m, uint64_t off, uint64_t len)
{
	uint64_t pg;
	size_t o, k;

	while (len) {
		pg = off / PG;
		o = off % PG;
		k = min64(PG - o, len);
		if (m->pages && m->pages[pg]) {
			if (k == PG) {
				free(m->pages[pg]);
				m->pages[pg] = NULL;
			} else {
				memset(m->pages[pg] + o, 0, k);
			}
		}
		off += k;
		len -= k;
	}
}

/* Sets the size; what is cut off reads as zeros if the file grows again. */
static void msetsize(struct node *m, uint64_t size)
{
	uint64_t pg;

	if (size < m->size) {
		mzero(m, size, m->size - size);
		for (pg = (size + PG - 1) / PG; m->pages && pg <= MAX_PAGES; pg++) {
			free(m->pages[pg]);
			m->pages[pg] = NULL;
		}
	}
	m->size = size;
}

static int has_data(const struct node *m)
{
	uint64_t pg;

	if (!m->pages)
		return 0;
	for (pg = 0; pg * PG < m->size; pg++)
		if (m->pages[pg] && memcmp(m->pages[pg], zeros, PG))
			return 1;
	return 0;
}

static uint64_t foot(const struct node *m)
{
	return m->type == S_IFREG ? max64(m->size, m->alloc_hi) : 0;
}

/* Whether inode i may grow to new_foot bytes within the budget. */
static int fits(int i, uint64_t new_foot)
{
	uint64_t total = 0, limit = MAX_TOTAL - (holding ? 0 : HOLD_BYTES);
	int k;

	if (new_foot > MAX_SIZE)
		return 0;
	for (k = 0; k < MAX_INODES; k++)
		total += foot(&in[k]);
	return total - foot(&in[i]) + new_foot <= limit;
}

/* ---- checks ---- */

static void check_num(int s, const char *where, const char *field, int octal,
		      unsigned long long want, unsigned long long got)
{
	if (want == got)
		return;
	if (octal)
		fail("%s %s: %s: expected 0%llo, got 0%llo", side_name[s], where, field, want, got);
	fail("%s %s: %s: expected %llu, got %llu", side_name[s], where, field, want, got);
}

static void check_ts(int s, const char *where, const char *field, const struct timespec *want,
		     const struct timespec *got)
{
	if (want->tv_sec != got->tv_sec || want->tv_nsec != got->tv_nsec)
		fail("%s %s: %s: expected %lld.%09ld, got %lld.%09ld", side_name[s], where, field,
		     (long long)want->tv_sec, want->tv_nsec, (long long)got->tv_sec, got->tv_nsec);
}

/*
 * Compares what lstat/fstat reported for inode i on side s with the model.
 * exact: also the inode number, the times and directory sizes as saved.
 */
static void check_stat(int s, int i, const struct stat *st, const char *where, int exact)
{
	const struct node *m = &in[i];
	unsigned long long size = m->size;
	int64_t now = now_ns();
	const struct timespec *t[3] = { &st->st_atim, &st->st_mtim, &st->st_ctim };
	int k;

	check_num(s, where, "file type", 1, m->type, st->st_mode & S_IFMT);
	check_num(s, where, "mode", 1, m->mode, st->st_mode & 07777);
	check_num(s, where, "uid", 0, m->uid, st->st_uid);
	check_num(s, where, "gid", 0, m->gid, st->st_gid);
	check_num(s, where, "nlink", 0, m->nlink, st->st_nlink);
	check_num(s, where, "inode number", 0, m->ino[s], st->st_ino);
	if (m->type == S_IFLNK)
		size = strlen(m->target);
	if (m->type == S_IFIFO)
		size = 0;
	if (m->type != S_IFDIR)
		check_num(s, where, "size", 0, size, st->st_size);
	else if (exact)
		check_num(s, where, "directory size", 0, m->dsize, st->st_size);
	if (m->type == S_IFREG && st->st_blocks && !m->alloc)
		fail("%s %s: st_blocks is %lld, but nothing was written or allocated",
		     side_name[s], where, (long long)st->st_blocks);
	if (m->type == S_IFREG && !st->st_blocks && has_data(m))
		fail("%s %s: st_blocks is 0 but the file has data", side_name[s], where);
	for (k = 0; k < 3; k++)
		if (t[k]->tv_nsec < 0 || t[k]->tv_nsec >= 1000000000L)
			fail("%s %s: timestamp %d has tv_nsec %ld", side_name[s], where, k,
			     t[k]->tv_nsec);
	/* (only for changes made by this process: the clock may differ after a kexec) */
	if (m->tch && ts_ns(&st->st_ctim) > now + 2000000000LL)
		fail("%s %s: ctime %lld.%09ld is in the future", side_name[s], where,
		     (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	if (m->tch && ts_ns(&st->st_ctim) < m->tch - SLACK_NS)
		fail("%s %s: ctime %lld.%09ld is older than the last change (%lld ns)",
		     side_name[s], where, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
		     (long long)m->tch);
	if (m->tmod && ts_ns(&st->st_mtim) < m->tmod - SLACK_NS)
		fail("%s %s: mtime %lld.%09ld is older than the last modification (%lld ns)",
		     side_name[s], where, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		     (long long)m->tmod);
	if (exact) {
		check_ts(s, where, "atime", &m->at, &st->st_atim);
		check_ts(s, where, "mtime", &m->mt, &st->st_mtim);
		check_ts(s, where, "ctime", &m->ct, &st->st_ctim);
	}
}

/* Stat of inode i on side s: by its held descriptor or a path. 1: no usable path. */
static int stat_node(int s, int i, struct stat *st, char *where)
{
	char p[PATHLEN];

	if (in[i].fd[s] >= 0) {
		snprintf(where, PATHLEN + 64, "%s (held open)", desc(i));
		return fstat(in[i].fd[s], st) ? -errno : 0;
	}
	if (node_path(i, p) < 0)
		return 1;
	snprintf(where, PATHLEN + 64, "%s/%s", root_path[s], p);
	return fstatat(rootfd[s], p, st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

/* Checks the attributes of inode i on every side right after an operation. */
static void check_now(int i)
{
	char where[PATHLEN + 64];
	struct stat st;
	int s, r;

	if (i < 0 || !in[i].type)
		return;
	for (s = 0; s < nsides; s++) {
		r = stat_node(s, i, &st, where);
		if (r == 1)
			continue;
		if (r)
			fail("%s %s: stat: %s", side_name[s], where, res(r));
		check_stat(s, i, &st, where, 0);
	}
}

/* Compares bytes read at offset off of inode i with the model. */
static void compare(int s, const char *where, int i, uint64_t off, const unsigned char *got,
		    size_t len, const char *how)
{
	const unsigned char *want;
	size_t k = 0, o, c, j;

	while (k < len) {
		o = (off + k) % PG;
		c = min64(PG - o, len - k);
		want = page_r(&in[i], (off + k) / PG) + o;
		if (memcmp(want, got + k, c)) {
			for (j = 0; want[j] == got[k + j]; j++)
				;
			fail("%s %s: %s: byte at %llu: expected 0x%02x, got 0x%02x (size %llu)",
			     side_name[s], where, how, (unsigned long long)(off + k + j), want[j],
			     got[k + j], (unsigned long long)in[i].size);
		}
		k += c;
	}
}

/* Reads all of inode i through fd and compares it with the model. */
static void check_data(int s, int i, int fd, const char *where)
{
	uint64_t off, size = in[i].size;
	size_t len;
	ssize_t r;

	for (off = 0; off < size; off += len) {
		len = min64(1 << 20, size - off);
		r = pread(fd, rbuf, len, off);
		if (r != (ssize_t)len)
			fail("%s %s: read of %zu bytes at %llu returned %s", side_name[s], where,
			     len, (unsigned long long)off, res(r < 0 ? -errno : r));
		compare(s, where, i, off, rbuf, len, "contents");
	}
	r = pread(fd, rbuf, 1, size);
	if (r != 0)
		fail("%s %s: read at the end (%llu) returned %s, expected 0", side_name[s], where,
		     (unsigned long long)size, res(r < 0 ? -errno : r));
}

static void check_target(int s, int i, int dfd, const char *name, const char *where)
{
	static char t[PATH_MAX + 1];
	ssize_t r = readlinkat(dfd, name, t, sizeof(t));

	if (r < 0)
		fail("%s %s: readlink: %s", side_name[s], where, strerror(errno));
	if ((size_t)r != strlen(in[i].target) || memcmp(t, in[i].target, r))
		fail("%s %s: symlink target: expected \"%.80s\" (%zu bytes), got \"%.80s\" (%zd)",
		     side_name[s], where, in[i].target, strlen(in[i].target), t, r);
}

/*
 * Walks directory d of side s (open as dfd, path in wpath[0..len)): exactly
 * the model's names, each with its attributes; contents of the files not seen
 * yet that changed since the last full check (all: every file), symlink
 * targets.
 */
static void walk_dir(int s, int dfd, int d, size_t len, int all, unsigned char *seen)
{
	int found[NNAMES] = { 0 };
	struct dirent *de;
	struct stat st;
	int n, i, fd;
	DIR *dir;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir)
		fail("%s %s: opendir: %s", side_name[s], wpath, strerror(errno));
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno)
				fail("%s %s: readdir: %s", side_name[s], wpath, strerror(errno));
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n = name_index(de->d_name);
		if (n < 0 || in[d].ent[n] < 0)
			fail("%s %s: unexpected entry \"%s\"", side_name[s], wpath, de->d_name);
		if (found[n]++)
			fail("%s %s: entry \"%s\" listed twice", side_name[s], wpath, de->d_name);
		i = in[d].ent[n];
		if (de->d_type != DT_UNKNOWN && (unsigned int)DTTOIF(de->d_type) != in[i].type)
			fail("%s %s/%s: d_type %d, expected file type 0%o", side_name[s], wpath,
			     de->d_name, de->d_type, in[i].type);
	}
	closedir(dir);
	for (n = 0; n < NNAMES; n++)
		if (in[d].ent[n] >= 0 && !found[n])
			fail("%s %s: entry \"%s\" (%s) is missing", side_name[s], wpath, names[n],
			     desc(in[d].ent[n]));
	for (n = 0; n < NNAMES; n++) {
		i = in[d].ent[n];
		if (i < 0)
			continue;
		snprintf(wpath + len, WPATH - len, "/%s", names[n]);
		if (fstatat(dfd, names[n], &st, AT_SYMLINK_NOFOLLOW))
			fail("%s %s: lstat: %s", side_name[s], wpath, strerror(errno));
		check_stat(s, i, &st, wpath, 0);
		if (in[i].type == S_IFDIR) {
			fd = openat(dfd, names[n], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				fail("%s %s: open: %s", side_name[s], wpath, strerror(errno));
			walk_dir(s, fd, i, strlen(wpath), all, seen);
			close(fd);
		} else if (in[i].type == S_IFREG && !seen[i] && (all || in[i].dirty)) {
			fd = openat(dfd, names[n], O_RDONLY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);
			if (fd < 0)
				fail("%s %s: open: %s", side_name[s], wpath, strerror(errno));
			check_data(s, i, fd, wpath);
			close(fd);
		} else if (in[i].type == S_IFLNK && !seen[i]) {
			check_target(s, i, dfd, names[n], wpath);
		}
		seen[i] = 1;
		wpath[len] = 0;
	}
}

/* Compares the whole tree of every side (and the files held open) with the model. */
static void check_tree(int all)
{
	static unsigned char seen[MAX_INODES];
	char where[64];
	struct stat st;
	int s, i;

	for (s = 0; s < nsides; s++) {
		memset(seen, 0, sizeof(seen));
		snprintf(wpath, sizeof(wpath), "%s", root_path[s]);
		if (fstat(rootfd[s], &st))
			fail("%s %s: fstat: %s", side_name[s], wpath, strerror(errno));
		check_stat(s, 0, &st, wpath, 0);
		walk_dir(s, rootfd[s], 0, strlen(wpath), all, seen);
		for (i = 0; i < MAX_INODES; i++) {
			if (!in[i].type || in[i].fd[s] < 0)
				continue;
			snprintf(where, sizeof(where), "inode #%d (held open)", i);
			if (fstat(in[i].fd[s], &st))
				fail("%s %s: fstat: %s", side_name[s], where, strerror(errno));
			check_stat(s, i, &st, where, 0);
			if (!seen[i] && (all || in[i].dirty))
				check_data(s, i, in[i].fd[s], where);
		}
	}
	for (i = 0; i < MAX_INODES; i++)
		in[i].dirty = 0;
	checks++;
}

/*
 * Walks the model's tree on side 0 with lstat only (no readdir, no read, so
 * no atime moves): capture saves the times of every inode, otherwise every
 * name is compared with the saved state, times and inode numbers included.
 */
static void stat_walk(int dfd, int d, size_t len, int capture)
{
	struct stat st;
	int n, i, fd;

	for (n = 0; n < NNAMES; n++) {
		i = in[d].ent[n];
		if (i < 0)
			continue;
		snprintf(wpath + len, WPATH - len, "/%s", names[n]);
		if (fstatat(dfd, names[n], &st, AT_SYMLINK_NOFOLLOW))
			fail("DIR %s: lstat: %s", wpath, strerror(errno));
		if (capture) {
			check_stat(0, i, &st, wpath, 0);
			in[i].at = st.st_atim;
			in[i].mt = st.st_mtim;
			in[i].ct = st.st_ctim;
			in[i].dsize = st.st_size;
		} else {
			check_stat(0, i, &st, wpath, 1);
			in[i].blocks = st.st_blocks;
		}
		if (in[i].type == S_IFDIR) {
			fd = openat(dfd, names[n], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				fail("DIR %s: open: %s", wpath, strerror(errno));
			stat_walk(fd, i, strlen(wpath), capture);
			close(fd);
		}
		wpath[len] = 0;
	}
}

static void stat_tree(int capture)
{
	struct stat st;

	snprintf(wpath, sizeof(wpath), "%s", root_path[0]);
	if (fstat(rootfd[0], &st))
		fail("DIR %s: fstat: %s", wpath, strerror(errno));
	if (capture) {
		check_stat(0, 0, &st, wpath, 0);
		in[0].at = st.st_atim;
		in[0].mt = st.st_mtim;
		in[0].ct = st.st_ctim;
		in[0].dsize = st.st_size;
	} else {
		check_stat(0, 0, &st, wpath, 1);
	}
	stat_walk(rootfd[0], 0, strlen(wpath), capture);
}

/* Records the inode number of new inode i on side s; no other live inode may have it. */
static void record_ino(int s, int i, const struct stat *st)
{
	int j;

	in[i].ino[s] = st->st_ino;
	for (j = 0; j < MAX_INODES; j++)
		if (j != i && in[j].type && in[j].ino[s] == in[i].ino[s])
			fail("%s: new inode %s has inode number %llu, as %s has", side_name[s],
			     desc(i), (unsigned long long)st->st_ino, desc(j));
}

static void record_ino_at(int i, const char *p)
{
	struct stat st;
	int s;

	for (s = 0; s < nsides; s++) {
		if (fstatat(rootfd[s], p, &st, AT_SYMLINK_NOFOLLOW))
			fail("%s %s: lstat after creation: %s", side_name[s], p, strerror(errno));
		record_ino(s, i, &st);
	}
}

/* ---- operations: each applies to every side and the model ---- */

static int pick_dir(void)
{
	int list[MAX_DIRS], k = 0, i;

	for (i = 0; i < MAX_INODES && k < MAX_DIRS; i++)
		if (in[i].type == S_IFDIR)
			list[k++] = i;
	return list[rn(k)];
}

#define ANY_TYPE	0
#define NON_DIR		1

/* A random existing name of the given type; returns its inode or -1. */
static int pick_ent(int *dp, int *np, unsigned int type)
{
	static int ld[MAX_DIRS * NNAMES], ln[MAX_DIRS * NNAMES];
	int k = 0, d, n, i, j;

	for (d = 0; d < MAX_INODES; d++) {
		if (in[d].type != S_IFDIR)
			continue;
		for (n = 0; n < NNAMES && k < MAX_DIRS * NNAMES; n++) {
			i = in[d].ent[n];
			if (i < 0 || (type == NON_DIR && is_dir(i)) ||
			    (type > NON_DIR && in[i].type != type))
				continue;
			ld[k] = d;
			ln[k++] = n;
		}
	}
	if (!k)
		return -1;
	j = rn(k);
	*dp = ld[j];
	*np = ln[j];
	return in[*dp].ent[*np];
}

/* A name of inode i, the nth found (wrapping); -1 if it has none. */
static int name_of(int i, int nth, int *dp, int *np)
{
	static int ld[MAX_DIRS * NNAMES], ln[MAX_DIRS * NNAMES];
	int d, n, k = 0;

	for (d = 0; d < MAX_INODES; d++)
		for (n = 0; in[d].type == S_IFDIR && n < NNAMES; n++)
			if (in[d].ent[n] == i && k < MAX_DIRS * NNAMES) {
				ld[k] = d;
				ln[k++] = n;
			}
	if (!k)
		return -1;
	*dp = ld[nth % k];
	*np = ln[nth % k];
	return 0;
}

/* A regular file (held, or named with a usable path); -1 if none. */
static int pick_reg(int held)
{
	int list[MAX_INODES], k = 0, i;

	for (i = 0; i < MAX_INODES; i++)
		if (in[i].type == S_IFREG && (in[i].fd[0] >= 0 || (!held && in[i].nlink)))
			list[k++] = i;
	while (k) {
		int j = rn(k);

		i = list[j];
		if (usable(i))
			return i;
		list[j] = list[--k];
	}
	return -1;
}

static int held_one(void)
{
	int list[MAX_INODES], k = 0, i;

	for (i = 0; i < MAX_INODES; i++)
		if (in[i].type && in[i].fd[0] >= 0)
			list[k++] = i;
	return k ? list[rn(k)] : -1;
}

/* A descriptor of regular file i on side s; *tmp says whether to close it. */
static int node_fd(int s, int i, int *tmp)
{
	char p[PATHLEN];
	int fd;

	*tmp = 0;
	if (in[i].fd[s] >= 0)
		return in[i].fd[s];
	if (node_path(i, p) < 0)
		fail("model: no usable path for %s", desc(i));
	fd = openat(rootfd[s], p, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fail("%s %s/%s: open O_RDWR: %s", side_name[s], root_path[s], p, strerror(errno));
	*tmp = 1;
	return fd;
}

static void put_fd(int fd, int tmp)
{
	if (tmp)
		close(fd);
}

static int can_create(void)
{
	return nfiles < MAX_FILES - (holding ? 0 : HOLD_INODES);
}

static void hold_fds(int i, const int *fds)
{
	int s;

	for (s = 0; s < nsides; s++)
		in[i].fd[s] = fds[s];
	nheld++;
}

/* Returns the new inode, -2 if the operation failed as predicted, -1 if skipped. */
static int do_create(int d, int n, unsigned int mode, int keep)
{
	int fds[2] = { -1, -1 }, i, s;
	char p[PATHLEN];
	struct stat st;
	long r[2];

	if (ent_path(d, n, p) < 0 || !can_create() || (keep && nheld >= MAX_HELD))
		return -1;
	note("create %s mode 0%o%s", p, mode, keep ? ", kept open" : "");
	for (s = 0; s < nsides; s++) {
		fds[s] = openat(rootfd[s], p, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC,
				mode);
		r[s] = fds[s] < 0 ? -errno : 0;
	}
	if (expect("create", in[d].ent[n] >= 0 ? -EEXIST : 0, r))
		return -2;
	i = new_node(S_IFREG, mode, d);
	add_ent(d, n, i);
	for (s = 0; s < nsides; s++) {
		if (fstat(fds[s], &st))
			fail("%s %s: fstat: %s", side_name[s], p, strerror(errno));
		record_ino(s, i, &st);
		if (!keep)
			close(fds[s]);
	}
	if (keep)
		hold_fds(i, fds);
	check_now(i);
	check_now(d);
	return i;
}

static int op_create(void)
{
	return do_create(pick_dir(), pick_name(), rn(01000), nheld < MAX_HELD && !rn(4));
}

static int do_mkdir(int d, int n, unsigned int mode)
{
	char p[PATHLEN];
	long r[2];
	int s, i;

	if (ent_path(d, n, p) < 0 || ndirs >= MAX_DIRS)
		return -1;
	note("mkdir %s mode 0%o", p, mode);
	for (s = 0; s < nsides; s++)
		r[s] = mkdirat(rootfd[s], p, mode) ? -errno : 0;
	if (expect("mkdir", in[d].ent[n] >= 0 ? -EEXIST : 0, r))
		return -2;
	i = new_node(S_IFDIR, mode & 01777, d);
	add_ent(d, n, i);
	record_ino_at(i, p);
	check_now(i);
	check_now(d);
	return i;
}

static int op_mkdir(void)
{
	return do_mkdir(pick_dir(), pick_name(), rn(4) ? 0755 : rn(02000));
}

static int op_rmdir(void)
{
	int d, n, i, s;
	char p[PATHLEN];
	long r[2], pred;

	if (rn(2)) {
		/* an empty directory, if any */
		for (i = 1, s = 0; i < MAX_INODES; i++)
			s += is_dir(i) && !nonempty(i);
		if (!s)
			return -1;
		s = rn(s);
		for (i = 1; !is_dir(i) || nonempty(i) || s--; i++)
			;
		d = in[i].parent;
		n = in[i].pname;
	} else if (rn(3)) {
		if (pick_ent(&d, &n, S_IFDIR) < 0)
			return -1;
	} else {
		d = pick_dir();
		n = pick_name();
	}
	if (ent_path(d, n, p) < 0)
		return -1;
	i = in[d].ent[n];
	pred = i < 0 ? -ENOENT : !is_dir(i) ? -ENOTDIR : nonempty(i) ? -ENOTEMPTY : 0;
	note("rmdir %s", p);
	for (s = 0; s < nsides; s++)
		r[s] = unlinkat(rootfd[s], p, AT_REMOVEDIR) ? -errno : 0;
	if (expect("rmdir", pred, r))
		return 0;
	del_ent(d, n);
	check_now(d);
	return 0;
}

static int do_unlink(int d, int n)
{
	char p[PATHLEN];
	int i, s;
	long r[2];

	if (ent_path(d, n, p) < 0)
		return -1;
	i = in[d].ent[n];
	note("unlink %s", p);
	for (s = 0; s < nsides; s++)
		r[s] = unlinkat(rootfd[s], p, 0) ? -errno : 0;
	if (expect("unlink", i < 0 ? -ENOENT : is_dir(i) ? -EISDIR : 0, r))
		return -2;
	del_ent(d, n);
	check_now(i);
	check_now(d);
	return 0;
}

static int op_unlink(void)
{
	int d, n, i;

	i = held_one();
	if (i >= 0 && !rn(3) && name_of(i, rn(4), &d, &n) == 0)
		return do_unlink(d, n);
	if (rn(5)) {
		if (pick_ent(&d, &n, NON_DIR) < 0)
			return -1;
	} else {
		d = pick_dir();
		n = pick_name();
	}
	return do_unlink(d, n);
}

static int op_symlink(void)
{
	static char t[PATH_MAX + 2];
	static const size_t lens[] = { 1, 2, 30, 255, 256, 1000, 4094, 4095, 4096 };
	int d = pick_dir(), n = pick_name(), s, i;
	char p[PATHLEN];
	size_t len, k;
	long r[2], pred;

	if (ent_path(d, n, p) < 0 || !can_create())
		return -1;
	len = rn(3) ? 1 + rn(40) : lens[rn(ARRAY_SIZE(lens))];
	if (!rn(100))
		len = 0;
	for (k = 0; k < len; k++)
		t[k] = rn(8) ? (char)('a' + rn(26)) : "/._-. "[rn(6)];
	t[len] = 0;
	pred = len >= PATH_MAX ? -ENAMETOOLONG : !len ? -ENOENT : in[d].ent[n] >= 0 ? -EEXIST : 0;
	note("symlink %s -> \"%.40s\" (%zu bytes)", p, t, len);
	for (s = 0; s < nsides; s++)
		r[s] = symlinkat(t, rootfd[s], p) ? -errno : 0;
	if (expect("symlink", pred, r))
		return 0;
	i = new_node(S_IFLNK, 0777, d);
	in[i].target = strdup(t);
	if (!in[i].target)
		fail("out of memory");
	add_ent(d, n, i);
	record_ino_at(i, p);
	check_now(i);
	check_now(d);
	return 0;
}

static int op_mkfifo(void)
{
	int d = pick_dir(), n = pick_name(), s, i;
	unsigned int mode = rn(01000);
	char p[PATHLEN];
	long r[2];

	if (ent_path(d, n, p) < 0 || !can_create())
		return -1;
	note("mkfifo %s mode 0%o", p, mode);
	for (s = 0; s < nsides; s++)
		r[s] = mknodat(rootfd[s], p, S_IFIFO | mode, 0) ? -errno : 0;
	if (expect("mkfifo", in[d].ent[n] >= 0 ? -EEXIST : 0, r))
		return 0;
	i = new_node(S_IFIFO, mode, d);
	add_ent(d, n, i);
	record_ino_at(i, p);
	check_now(i);
	check_now(d);
	return 0;
}

static int op_link(void)
{
	int sd, sn, d, n, si, s, list[MAX_INODES], k = 0;
	char sp[PATHLEN], p[PATHLEN];
	long r[2], pred;

	for (si = 0; si < MAX_INODES; si++)
		if (in[si].type && !is_dir(si) && in[si].nlink >= 2)
			list[k++] = si;
	if (k && !rn(3)) {
		if (name_of(list[rn(k)], rn(8), &sd, &sn))
			return -1;
	} else if (rn(8)) {
		if (pick_ent(&sd, &sn, ANY_TYPE) < 0)
			return -1;
	} else {
		sd = pick_dir();
		sn = pick_name();
	}
	d = pick_dir();
	n = pick_name();
	if (ent_path(sd, sn, sp) < 0 || ent_path(d, n, p) < 0)
		return -1;
	si = in[sd].ent[sn];
	pred = si < 0 ? -ENOENT : in[d].ent[n] >= 0 ? -EEXIST : is_dir(si) ? -EPERM : 0;
	note("link %s -> %s", sp, p);
	for (s = 0; s < nsides; s++)
		r[s] = linkat(rootfd[s], sp, rootfd[s], p, 0) ? -errno : 0;
	if (expect("link", pred, r))
		return 0;
	add_ent(d, n, si);
	check_now(si);
	check_now(d);
	return 0;
}

static long rename_pred(int sd, int si, int dd, int di, unsigned int flags)
{
	int sdir = is_dir(si), ddir = is_dir(di);

	if (si < 0)
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) && di >= 0)
		return -EEXIST;
	if ((flags & RENAME_EXCHANGE) && di < 0)
		return -ENOENT;
	if (sd != dd) {
		/* the source is an ancestor of the new parent */
		if (sdir && is_ancestor(si, dd))
			return -EINVAL;
		/* the target is an ancestor of the old parent */
		if (ddir && is_ancestor(di, sd))
			return flags & RENAME_EXCHANGE ? -EINVAL : -ENOTEMPTY;
	}
	if (si == di)
		return 0;
	if (!(flags & RENAME_EXCHANGE) && di >= 0) {
		if (sdir && !ddir)
			return -ENOTDIR;
		if (!sdir && ddir)
			return -EISDIR;
		if (ddir && nonempty(di))
			return -ENOTEMPTY;
	}
	return 0;
}

static int do_rename(int sd, int sn, int dd, int dn, unsigned int flags)
{
	int si = in[sd].ent[sn], di = in[dd].ent[dn], sdir = is_dir(si), ddir = is_dir(di), s;
	int plain = !flags && rn(2);
	char sp[PATHLEN], dp[PATHLEN];
	long r[2], pred;

	if (ent_path(sd, sn, sp) < 0 || ent_path(dd, dn, dp) < 0)
		return -1;
	pred = rename_pred(sd, si, dd, di, flags);
	note("%s %s -> %s", plain ? "rename" : flags == RENAME_EXCHANGE ? "renameat2 EXCHANGE" :
	     flags ? "renameat2 NOREPLACE" : "renameat2", sp, dp);
	for (s = 0; s < nsides; s++) {
		if (plain)
			r[s] = renameat(rootfd[s], sp, rootfd[s], dp) ? -errno : 0;
		else
			r[s] = syscall(SYS_renameat2, rootfd[s], sp, rootfd[s], dp, flags) ?
			       -errno : 0;
	}
	if (expect(flags == RENAME_EXCHANGE ? "rename-exchange" :
		   flags ? "rename-noreplace" : "rename", pred, r) || si == di)
		return 0;
	if (sdir && sd != dd)
		count("(dir moved)", 0);
	if (di >= 0 && in[di].fd[0] >= 0 && !(flags & RENAME_EXCHANGE))
		count("(over open file)", 0);
	if (ddir && !(flags & RENAME_EXCHANGE))
		count("(over empty dir)", 0);
	if (flags & RENAME_EXCHANGE) {
		in[sd].ent[sn] = di;
		in[dd].ent[dn] = si;
		if (ddir) {
			in[di].parent = sd;
			in[di].pname = sn;
		}
		in[di].tch = op_t0;
	} else {
		if (di >= 0)
			del_ent(dd, dn);
		in[sd].ent[sn] = -1;
		in[dd].ent[dn] = si;
	}
	if (sdir) {
		in[si].parent = dd;
		in[si].pname = dn;
	}
	if (sd != dd && sdir != (ddir && (flags & RENAME_EXCHANGE))) {
		/* a directory moved from sd to dd, or (exchange) the other way */
		if (sdir) {
			in[sd].nlink--;
			in[dd].nlink++;
		} else {
			in[dd].nlink--;
			in[sd].nlink++;
		}
	}
	touch(sd);
	touch(dd);
	in[si].tch = op_t0;
	check_now(si);
	if (flags & RENAME_EXCHANGE)
		check_now(di);
	check_now(sd);
	check_now(dd);
	return 0;
}

static int op_rename(void)
{
	static const unsigned int fl[] = { 0, 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE };
	int sd, sn, dd, dn, i, j, k;

	if (rn(8)) {
		if (pick_ent(&sd, &sn, rn(3) ? ANY_TYPE : S_IFDIR) < 0)
			return -1;
	} else {
		sd = pick_dir();
		sn = pick_name();
	}
	i = held_one();
	if (i >= 0 && !rn(4) && in[i].nlink && name_of(i, rn(4), &dd, &dn) == 0)
		return do_rename(sd, sn, dd, dn, fl[rn(ARRAY_SIZE(fl))]);
	if (is_dir(in[sd].ent[sn]) && !rn(4)) {
		/* a directory over an empty directory, if any */
		for (k = 0, j = rn(MAX_INODES); k < MAX_INODES; k++, j = (j + 1) % MAX_INODES)
			if (j && is_dir(j) && !nonempty(j) && j != in[sd].ent[sn])
				return do_rename(sd, sn, in[j].parent, in[j].pname, fl[rn(3)]);
	}
	dd = pick_dir();
	dn = pick_name();
	return do_rename(sd, sn, dd, dn, fl[rn(ARRAY_SIZE(fl))]);
}

static int do_tmpfile(int d, unsigned int mode)
{
	int fds[2] = { -1, -1 }, i, s;
	char p[PATHLEN];
	struct stat st;
	long r[2];

	if (nheld >= MAX_HELD || !can_create() || dir_path(d, p, PATHLEN) < 0)
		return -1;
	note("open %s O_TMPFILE mode 0%o", p, mode);
	for (s = 0; s < nsides; s++) {
		fds[s] = openat(rootfd[s], p, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
		r[s] = fds[s] < 0 ? -errno : 0;
	}
	if (expect("open-tmpfile", 0, r))
		return -2;
	i = new_node(S_IFREG, mode, d);
	in[i].linkable = 1;
	for (s = 0; s < nsides; s++) {
		if (fstat(fds[s], &st))
			fail("%s: fstat of an O_TMPFILE: %s", side_name[s], strerror(errno));
		record_ino(s, i, &st);
	}
	hold_fds(i, fds);
	check_now(i);
	return i;
}

static int op_tmpfile(void)
{
	return do_tmpfile(pick_dir(), rn(01000));
}

/* linkat(fd, "", ..., AT_EMPTY_PATH) of a held file: an O_TMPFILE, unlinked or linked. */
static int op_linkfd(void)
{
	int i = held_one(), d = pick_dir(), n = pick_name(), s;
	char p[PATHLEN];
	long r[2], pred;

	if (i < 0 || ent_path(d, n, p) < 0)
		return -1;
	pred = in[d].ent[n] >= 0 ? -EEXIST : !in[i].nlink && !in[i].linkable ? -ENOENT : 0;
	note("linkat AT_EMPTY_PATH %s -> %s", desc(i), p);
	for (s = 0; s < nsides; s++)
		r[s] = linkat(in[i].fd[s], "", rootfd[s], p, AT_EMPTY_PATH) ? -errno : 0;
	if (expect("linkat-fd", pred, r))
		return 0;
	if (in[i].linkable)
		count("(tmpfile linked)", 0);
	in[i].linkable = 0;
	add_ent(d, n, i);
	check_now(i);
	check_now(d);
	return 0;
}

static int do_open(int i, int trunc)
{
	int fds[2] = { -1, -1 }, s;
	char p[PATHLEN];
	long r[2];

	if (i < 0 || in[i].fd[0] >= 0 || nheld >= MAX_HELD || node_path(i, p) < 0)
		return -1;
	note("open %s O_RDWR%s, kept open", p, trunc ? "|O_TRUNC" : "");
	for (s = 0; s < nsides; s++) {
		fds[s] = openat(rootfd[s], p, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
				(trunc ? O_TRUNC : 0));
		r[s] = fds[s] < 0 ? -errno : 0;
	}
	expect("open", 0, r);
	hold_fds(i, fds);
	if (trunc && in[i].size) {
		msetsize(&in[i], 0);
		in[i].alloc_hi = 0;
		in[i].alloc = 0;
		touch(i);
	}
	check_now(i);
	return i;
}

static int op_open(void)
{
	int i = pick_reg(0);

	return do_open(i, !rn(8));
}

static void unmap(int i)
{
	int s;

	if (!in[i].map[0])
		return;
	for (s = 0; s < nsides; s++) {
		if (munmap(in[i].map[s], in[i].maplen))
			fail("%s: munmap: %s", side_name[s], strerror(errno));
		in[i].map[s] = NULL;
	}
	nmaps--;
}

static void do_close(int i)
{
	int s;

	note("close %s", desc(i));
	unmap(i);
	for (s = 0; s < nsides; s++) {
		if (close(in[i].fd[s]))
			fail("%s: close: %s", side_name[s], strerror(errno));
		in[i].fd[s] = -1;
	}
	nheld--;
	if (!in[i].nlink)
		free_node(i);
}

static int op_close(void)
{
	int i = held_one();

	if (i < 0)
		return -1;
	do_close(i);
	return 0;
}

/* Offset and length for I/O: often k * N + d for N in 4 KiB, 64 KiB, 2 MiB. */
static void pick_io(uint64_t size, uint64_t *off, size_t *len)
{
	static const uint64_t gran[] = { PG, 65536, 2UL << 20 };
	static const uint64_t kmax[] = { 256, 48, 4 };
	static const uint64_t dl[] = { 0, 1, 0x100, 4095, 4096 + 1 };
	uint64_t n, r = rn(10);
	int g = r < 5 ? 0 : r < 8 ? 1 : 2;

	n = gran[g];
	switch (rn(6)) {
	case 0:
		*off = rn(size + 1);
		break;
	case 1:
		*off = size;
		break;
	default:
		*off = rn(kmax[g]) * n + (rn(4) ? dl[rn(ARRAY_SIZE(dl))] : rn(n));
		break;
	}
	switch (rn(7)) {
	case 0:
		*len = 1;
		break;
	case 1:
		*len = 100;
		break;
	case 2:
		*len = PG;
		break;
	case 3:
		*len = n;
		break;
	case 4:
		*len = n + 1;
		break;
	default:
		*len = 1 + rn(3 * PG);
		break;
	}
}

static int do_pwrite(int i, uint64_t off, size_t len)
{
	int s, fd, tmp;
	long r[2];

	if (i < 0 || !usable(i) || !fits(i, max64(foot(&in[i]), off + len)))
		return -1;
	fill(wbuf, len);
	note("pwrite %s at %llu, %zu bytes", desc(i), (unsigned long long)off, len);
	for (s = 0; s < nsides; s++) {
		fd = node_fd(s, i, &tmp);
		r[s] = pwrite(fd, wbuf, len, off);
		if (r[s] < 0)
			r[s] = -errno;
		put_fd(fd, tmp);
	}
	expect("pwrite", len, r);
	mwrite(&in[i], off, wbuf, len);
	in[i].size = max64(in[i].size, off + len);
	in[i].alloc = 1;
	in[i].dirty = 1;
	touch(i);
	check_now(i);
	return 0;
}

static int op_pwrite(void)
{
	int i = pick_reg(0);
	uint64_t off;
	size_t len;

	if (i < 0)
		return -1;
	pick_io(in[i].size, &off, &len);
	return do_pwrite(i, off, len);
}

static int op_pread(void)
{
	int i = pick_reg(0), s, fd, tmp;
	uint64_t off;
	size_t len;
	long r[2];

	if (i < 0 || !usable(i))
		return -1;
	pick_io(in[i].size, &off, &len);
	note("pread %s at %llu, %zu bytes", desc(i), (unsigned long long)off, len);
	for (s = 0; s < nsides; s++) {
		fd = node_fd(s, i, &tmp);
		r[s] = pread(fd, rbuf, len, off);
		if (r[s] < 0)
			r[s] = -errno;
		else
			compare(s, desc(i), i, off, rbuf, r[s], "pread");
		put_fd(fd, tmp);
	}
	expect("pread", off >= in[i].size ? 0 : min64(len, in[i].size - off), r);
	return 0;
}

static int op_copy(void)
{
	int i = pick_reg(0), j = rn(4) ? pick_reg(0) : i, s, fi, fo, ti, to;
	uint64_t oin, oout, count;
	size_t len, l2;
	loff_t a, b;
	long r[2], pred;

	if (i < 0 || j < 0 || !usable(i) || !usable(j))
		return -1;
	pick_io(in[i].size, &oin, &len);
	pick_io(in[j].size, &oout, &l2);
	if (rn(2))
		oin = rn(in[i].size + 1);
	count = oin >= in[i].size ? 0 : min64(len, in[i].size - oin);
	if (i == j && count && oout + count > oin && oout < oin + count)
		pred = -EINVAL;
	else
		pred = count;
	if (oout + len > MAX_SIZE || (pred > 0 && !fits(j, max64(foot(&in[j]), oout + count))))
		return -1;
	note("copy_file_range %s at %llu -> %s at %llu, %zu bytes", desc(i),
	     (unsigned long long)oin, desc(j), (unsigned long long)oout, len);
	for (s = 0; s < nsides; s++) {
		fi = node_fd(s, i, &ti);
		fo = node_fd(s, j, &to);
		a = oin;
		b = oout;
		r[s] = copy_file_range(fi, &a, fo, &b, len, 0);
		if (r[s] < 0)
			r[s] = -errno;
		put_fd(fi, ti);
		put_fd(fo, to);
	}
	if (expect("copy_file_range", pred, r) <= 0)
		return 0;
	mread(&in[i], oin, cbuf, count);
	mwrite(&in[j], oout, cbuf, count);
	in[j].size = max64(in[j].size, oout + count);
	in[j].alloc = 1;
	in[j].dirty = 1;
	touch(j);
	check_now(j);
	return 0;
}

static int do_fallocate(int i, int mode, uint64_t off, uint64_t len)
{
	int s, fd, tmp;
	long r[2], pred;

	if (i < 0 || !usable(i) || off + len > MAX_SIZE)
		return -1;
	pred = !len ? -EINVAL : mode == FALLOC_FL_PUNCH_HOLE ? -EOPNOTSUPP : 0;
	if (!pred && !(mode & FALLOC_FL_PUNCH_HOLE) && !fits(i, max64(foot(&in[i]), off + len)))
		return -1;
	note("fallocate %s mode %s at %llu, %llu bytes", desc(i),
	     mode == 0 ? "0" : mode == FALLOC_FL_KEEP_SIZE ? "KEEP_SIZE" :
	     mode == FALLOC_FL_PUNCH_HOLE ? "PUNCH_HOLE" : "PUNCH_HOLE|KEEP_SIZE",
	     (unsigned long long)off, (unsigned long long)len);
	for (s = 0; s < nsides; s++) {
		fd = node_fd(s, i, &tmp);
		r[s] = fallocate(fd, mode, off, len) ? -errno : 0;
		put_fd(fd, tmp);
	}
	if (expect("fallocate", pred, r))
		return 0;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (off < in[i].size)
			mzero(&in[i], off, min64(off + len, in[i].size) - off);
	} else {
		in[i].alloc_hi = max64(in[i].alloc_hi, off + len);
		in[i].alloc = 1;
		if (!mode)
			in[i].size = max64(in[i].size, off + len);
	}
	in[i].dirty = 1;
	check_now(i);
	return 0;
}

static int op_fallocate(void)
{
	static const int modes[] = {
		0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	};
	int i = pick_reg(0), mode;
	uint64_t off;
	size_t len;

	if (i < 0)
		return -1;
	pick_io(in[i].size, &off, &len);
	mode = modes[rn(ARRAY_SIZE(modes))];
	if (!rn(40))
		len = 0;
	if (!rn(40))
		mode = FALLOC_FL_PUNCH_HOLE;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && rn(2) && in[i].size)
		off = rn(in[i].size);
	return do_fallocate(i, mode, off, len);
}

static int do_truncate(int i, uint64_t size, int by_fd)
{
	char p[PATHLEN], abs[PATH_MAX + PATHLEN];
	int s, fd, tmp;
	uint64_t old;
	long r[2];

	if (i < 0 || !usable(i))
		return -1;
	if (!in[i].nlink || node_path(i, p) < 0)
		by_fd = 1;
	if (!by_fd) {
		for (s = 0; s < nsides; s++)
			if (snprintf(abs, sizeof(abs), "%s/%s", root_path[s], p) >= PATH_MAX)
				by_fd = 1;
	}
	if (!fits(i, max64(size, size < in[i].size ? size : in[i].alloc_hi)))
		return -1;
	note("%s %s to %llu (from %llu)%s", by_fd ? "ftruncate" : "truncate", desc(i),
	     (unsigned long long)size, (unsigned long long)in[i].size,
	     in[i].map[0] ? ", mapped" : "");
	for (s = 0; s < nsides; s++) {
		if (by_fd) {
			fd = node_fd(s, i, &tmp);
			r[s] = ftruncate(fd, size) ? -errno : 0;
			put_fd(fd, tmp);
		} else {
			snprintf(abs, sizeof(abs), "%s/%s", root_path[s], p);
			r[s] = truncate(abs, size) ? -errno : 0;
		}
	}
	expect(by_fd ? "ftruncate" : "truncate", 0, r);
	if (in[i].map[0])
		count("(truncate mapped)", 0);
	old = in[i].size;
	msetsize(&in[i], size);
	if (size != old) {
		if (size < old)
			in[i].alloc_hi = min64(in[i].alloc_hi, size);
		if (!size)
			in[i].alloc = 0;
		touch(i);
	}
	in[i].dirty = 1;
	check_now(i);
	return 0;
}

static int op_truncate(void)
{
	int i = rn(3) ? pick_reg(0) : held_one();
	uint64_t size, off;
	size_t len;

	if (i < 0 || in[i].type != S_IFREG)
		return -1;
	size = in[i].size;
	switch (rn(6)) {
	case 0:
		size = 0;
		break;
	case 1:
		size = rn(size + 1);
		break;
	case 2:
		size += 1 + rn(3 * PG);
		break;
	case 3:
		pick_io(size, &off, &len);
		size = off;
		break;
	case 4:
		size = size > PG ? size - 1 - rn(PG) : rn(PG);
		break;
	default:
		size = (size / PG + rn(3)) * PG + rn(3) - 1;
		break;
	}
	if (size > MAX_SIZE)
		size = rn(MAX_SIZE);
	return do_truncate(i, size, rn(2));
}

static int do_map(int i, size_t len)
{
	int s;

	if (i < 0 || in[i].fd[0] < 0 || in[i].map[0] || nmaps >= MAX_MAPS || !len)
		return -1;
	note("mmap MAP_SHARED %s, %zu bytes (size %llu)", desc(i), len,
	     (unsigned long long)in[i].size);
	for (s = 0; s < nsides; s++) {
		in[i].map[s] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, in[i].fd[s], 0);
		if (in[i].map[s] == MAP_FAILED)
			fail("%s: mmap of %s: %s", side_name[s], desc(i), strerror(errno));
	}
	count("mmap", 0);
	in[i].maplen = len;
	nmaps++;
	return 0;
}

static int op_map(void)
{
	int i = held_one();
	size_t len;

	if (i < 0 || in[i].type != S_IFREG)
		return -1;
	if (in[i].map[0]) {
		note("munmap %s", desc(i));
		unmap(i);
		count("munmap", 0);
		return 0;
	}
	len = max64(in[i].size, 1) + (rn(2) ? rn(1 << 20) : 0);
	len = min64((len + PG - 1) / PG * PG, MAX_SIZE);
	return do_map(i, len);
}

static int mapped_one(void)
{
	int list[MAX_MAPS], k = 0, i;

	for (i = 0; i < MAX_INODES; i++)
		if (in[i].type && in[i].map[0] && k < MAX_MAPS)
			list[k++] = i;
	return k ? list[rn(k)] : -1;
}

/* Stores to (write) or loads from [off, off + len) below the size through the mappings. */
static int do_mapio(int i, uint64_t off, size_t len, int write)
{
	uint64_t lim;
	int s;

	if (i < 0)
		return -1;
	lim = min64(in[i].size, in[i].maplen);
	if (off >= lim)
		return -1;
	len = min64(len, lim - off);
	note("%s %s at %llu, %zu bytes", write ? "mmap store" : "mmap load", desc(i),
	     (unsigned long long)off, len);
	if (write) {
		fill(wbuf, len);
		for (s = 0; s < nsides; s++)
			memcpy(in[i].map[s] + off, wbuf, len);
		mwrite(&in[i], off, wbuf, len);
		in[i].dirty = 1;
	} else {
		for (s = 0; s < nsides; s++)
			compare(s, desc(i), i, off, in[i].map[s] + off, len, "mmap load");
	}
	in[i].alloc = 1;
	count(write ? "mmap-store" : "mmap-load", 0);
	return 0;
}

static int op_mapio(void)
{
	int i = mapped_one();
	uint64_t off;
	size_t len;

	if (i < 0)
		return -1;
	pick_io(in[i].size, &off, &len);
	if (rn(2))
		off = rn(min64(in[i].size, in[i].maplen) + 1);
	return do_mapio(i, off, len, rn(2));
}

static int do_msync(int i)
{
	long r[2];
	int s;

	if (i < 0)
		return -1;
	note("msync %s", desc(i));
	for (s = 0; s < nsides; s++)
		r[s] = msync(in[i].map[s], in[i].maplen, MS_SYNC) ? -errno : 0;
	expect("msync", 0, r);
	return 0;
}

static int op_msync(void)
{
	return do_msync(mapped_one());
}

/* Picks the target of an attribute change: a name, the root or a held file. */
static int pick_attr(char *p, int nolink)
{
	unsigned int r = rn(10);
	int d, n, i;

	if (r == 0) {
		snprintf(p, PATHLEN, ".");
		return 0;
	}
	i = held_one();
	if (r < 3 && i >= 0) {
		p[0] = 0;
		return i;
	}
	i = pick_ent(&d, &n, nolink && rn(4) ? NON_DIR : ANY_TYPE);
	if (i < 0 || (nolink && in[i].type == S_IFLNK) || ent_path(d, n, p) < 0)
		return -1;
	return i;
}

static int op_chmod(void)
{
	char p[PATHLEN];
	unsigned int mode = rn(3) ? rn(01000) : rn(010000);
	int i = pick_attr(p, 1), s;
	long r[2];

	if (i < 0)
		return -1;
	note("chmod %s 0%o", p[0] ? p : desc(i), mode);
	for (s = 0; s < nsides; s++) {
		if (p[0])
			r[s] = fchmodat(rootfd[s], p, mode, 0) ? -errno : 0;
		else
			r[s] = fchmod(in[i].fd[s], mode) ? -errno : 0;
	}
	expect("chmod", 0, r);
	in[i].mode = mode;
	in[i].tch = op_t0;
	check_now(i);
	return 0;
}

static int op_chown(void)
{
	static const unsigned int ids[] = { 0, 1, 2, 1000, 65534, -1 };
	unsigned int uid = ids[rn(ARRAY_SIZE(ids))], gid = ids[rn(ARRAY_SIZE(ids))];
	char p[PATHLEN];
	int i = pick_attr(p, 0), s;
	long r[2];

	if (i < 0)
		return -1;
	note("chown %s %d:%d", p[0] ? p : desc(i), (int)uid, (int)gid);
	for (s = 0; s < nsides; s++) {
		if (p[0])
			r[s] = fchownat(rootfd[s], p, uid, gid, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
		else
			r[s] = fchown(in[i].fd[s], uid, gid) ? -errno : 0;
	}
	expect("chown", 0, r);
	if (uid != -1U)
		in[i].uid = uid;
	if (gid != -1U)
		in[i].gid = gid;
	if (!is_dir(i)) {
		/* chown(2) clears S_ISUID, and S_ISGID if group-executable (02010) */
		in[i].mode &= ~S_ISUID;
		if ((in[i].mode & 02010) == 02010)
			in[i].mode &= ~S_ISGID;
	}
	in[i].tch = op_t0;
	check_now(i);
	return 0;
}

static void rand_time(struct timespec *t)
{
	static const long long secs[] = {
		0, -1, 1, 1000000000LL, 2147483647LL, 2147483648LL, -2147483648LL,
		4102444800LL, 17179869184LL,
	};

	switch (rn(8)) {
	case 0:
		t->tv_nsec = UTIME_OMIT;
		return;
	case 1:
		t->tv_nsec = UTIME_NOW;
		return;
	case 2:
	case 3:
		t->tv_sec = secs[rn(ARRAY_SIZE(secs))];
		break;
	default:
		t->tv_sec = rn(1ULL << 32);
		break;
	}
	t->tv_nsec = rn(4) ? rn(1000000000) : rn(2) ? 0 : 999999999;
}

static int op_utimens(void)
{
	char p[PATHLEN], where[PATHLEN + 64];
	struct timespec ts[2];
	int i = pick_attr(p, 0), s;
	struct stat st;
	long r[2];

	if (i < 0)
		return -1;
	rand_time(&ts[0]);
	rand_time(&ts[1]);
	if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
		ts[1].tv_nsec = UTIME_NOW;
	note("utimensat %s atime %lld.%ld mtime %lld.%ld", p[0] ? p : desc(i),
	     (long long)ts[0].tv_sec, ts[0].tv_nsec, (long long)ts[1].tv_sec, ts[1].tv_nsec);
	for (s = 0; s < nsides; s++) {
		if (p[0])
			r[s] = utimensat(rootfd[s], p, ts, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
		else
			r[s] = futimens(in[i].fd[s], ts) ? -errno : 0;
	}
	expect("utimensat", 0, r);
	in[i].tch = op_t0;
	if (ts[1].tv_nsec == UTIME_NOW)
		in[i].tmod = op_t0;
	else if (ts[1].tv_nsec != UTIME_OMIT)
		in[i].tmod = 0;
	for (s = 0; s < nsides; s++) {
		if (stat_node(s, i, &st, where))
			continue;
		if (ts[0].tv_nsec != UTIME_OMIT && ts[0].tv_nsec != UTIME_NOW)
			check_ts(s, where, "atime after utimensat", &ts[0], &st.st_atim);
		if (ts[1].tv_nsec != UTIME_OMIT && ts[1].tv_nsec != UTIME_NOW)
			check_ts(s, where, "mtime after utimensat", &ts[1], &st.st_mtim);
	}
	check_now(i);
	return 0;
}

static int op_fsync(void)
{
	int i = held_one(), s;
	long r[2];

	if (i < 0)
		return -1;
	note("fsync %s", desc(i));
	for (s = 0; s < nsides; s++)
		r[s] = fsync(in[i].fd[s]) ? -errno : 0;
	expect("fsync", 0, r);
	return 0;
}

static int op_look(void)
{
	char where[PATHLEN + 64];
	int d, n, i, s;

	i = pick_ent(&d, &n, rn(2) ? S_IFLNK : ANY_TYPE);
	if (i < 0)
		return -1;
	note("lstat/readlink %s", desc(i));
	for (s = 0; s < nsides; s++) {
		char p[PATHLEN];
		struct stat st;

		if (ent_path(d, n, p) < 0)
			return -1;
		snprintf(where, sizeof(where), "%s/%s", root_path[s], p);
		if (fstatat(rootfd[s], p, &st, AT_SYMLINK_NOFOLLOW))
			fail("%s %s: lstat: %s", side_name[s], where, strerror(errno));
		check_stat(s, i, &st, where, 0);
		if (in[i].type == S_IFLNK)
			check_target(s, i, rootfd[s], p, where);
	}
	count("lstat", 0);
	return 0;
}

static const struct {
	int weight;
	int (*fn)(void);
} optab[] = {
	{ 7, op_create }, { 4, op_mkdir }, { 3, op_rmdir }, { 5, op_unlink },
	{ 3, op_symlink }, { 2, op_mkfifo }, { 5, op_link }, { 12, op_rename },
	{ 2, op_tmpfile }, { 2, op_linkfd }, { 3, op_open }, { 3, op_close },
	{ 12, op_pwrite }, { 4, op_pread }, { 4, op_copy }, { 5, op_fallocate },
	{ 5, op_truncate }, { 2, op_map }, { 7, op_mapio }, { 1, op_msync },
	{ 3, op_chmod }, { 3, op_chown }, { 2, op_utimens }, { 1, op_fsync },
	{ 2, op_look },
};

static void one_op(void)
{
	int tries, k, w, total = 0;

	for (k = 0; k < (int)ARRAY_SIZE(optab); k++)
		total += optab[k].weight;
	for (tries = 0; tries < 20; tries++) {
		w = rn(total);
		for (k = 0; w >= optab[k].weight; k++)
			w -= optab[k].weight;
		in_op = 0;
		if (optab[k].fn() != -1) {
			ops++;
			in_op = 0;
			return;
		}
	}
	in_op = 0;
}

static void close_all(void)
{
	int i;

	for (i = 0; i < MAX_INODES; i++) {
		if (in[i].type && in[i].fd[0] >= 0) {
			do_close(i);
			ops++;
			in_op = 0;
		}
	}
}

/* ---- the state file ---- */

static FILE *sf;
static uint64_t sum;
static unsigned char *lb;
static size_t lpos, llen;

static void put(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t k;

	for (k = 0; k < n; k++)
		sum = (sum ^ b[k]) * 0x100000001b3ULL;
	if (fwrite(p, 1, n, sf) != n)
		fail("cannot write the state file: %s", strerror(errno));
}

static void put32(uint32_t v)
{
	put(&v, sizeof(v));
}

static void put64(uint64_t v)
{
	put(&v, sizeof(v));
}

static void get(void *p, size_t n)
{
	if (lpos + n > llen)
		fail("state file: truncated at byte %zu", lpos);
	memcpy(p, lb + lpos, n);
	lpos += n;
}

static uint32_t get32(void)
{
	uint32_t v;

	get(&v, sizeof(v));
	return v;
}

static uint64_t get64(void)
{
	uint64_t v;

	get(&v, sizeof(v));
	return v;
}

static int saved(int i)
{
	return in[i].type && (in[i].type == S_IFDIR || in[i].nlink);
}

static void put_time(const struct timespec *t)
{
	put64(t->tv_sec);
	put64(t->tv_nsec);
}

static void get_time(struct timespec *t)
{
	t->tv_sec = (int64_t)get64();
	t->tv_nsec = get64();
	if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
		fail("state file: bad timestamp");
}

/*
 * Saves what must survive a kexec to DIR.state (via DIR.state.tmp and
 * rename): the linked inodes with their saved stat fields and contents, and
 * the names. The last 8 bytes are an FNV-1a hash of the others.
 */
static void save_state(const char *dir, unsigned long *bytes, int *nnames, int *ninodes)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	uint32_t n, k = 0, ne = 0, np;
	uint64_t pg;
	int i, d;

	snprintf(path, sizeof(path), "%s.state", dir);
	snprintf(tmp, sizeof(tmp), "%s.state.tmp", dir);
	sf = fopen(tmp, "w");
	if (!sf)
		fail("cannot create %s: %s", tmp, strerror(errno));
	sum = 0xcbf29ce484222325ULL;
	*bytes = 0;
	put(STATE_MAGIC, 8);
	put32(STATE_VERSION);
	put32(NNAMES);
	for (n = 0; n < NNAMES; n++) {
		put32(strlen(names[n]));
		put(names[n], strlen(names[n]));
	}
	put64(seed);
	put64(prior_ops + ops);
	for (i = 0; i < MAX_INODES; i++)
		k += saved(i);
	put32(k);
	for (i = 0; i < MAX_INODES; i++) {
		if (!saved(i))
			continue;
		put32(i);
		put32(in[i].type);
		put32(in[i].mode);
		put32(in[i].uid);
		put32(in[i].gid);
		put32(in[i].alloc);
		put32(in[i].parent);
		put32(in[i].pname);
		put64(in[i].size);
		put64(in[i].alloc_hi);
		put64(in[i].ino[0]);
		put64(in[i].dsize);
		put_time(&in[i].at);
		put_time(&in[i].mt);
		put_time(&in[i].ct);
		put32(in[i].target ? strlen(in[i].target) : 0);
		if (in[i].target)
			put(in[i].target, strlen(in[i].target));
		np = 0;
		for (pg = 0; in[i].pages && pg <= MAX_PAGES; pg++)
			np += !!in[i].pages[pg];
		put32(np);
		for (pg = 0; in[i].pages && pg <= MAX_PAGES; pg++) {
			if (!in[i].pages[pg])
				continue;
			put32(pg);
			put(in[i].pages[pg], PG);
			*bytes += PG;
		}
	}
	for (d = 0; d < MAX_INODES; d++)
		for (n = 0; in[d].type == S_IFDIR && n < NNAMES; n++)
			ne += in[d].ent[n] >= 0;
	put32(ne);
	for (d = 0; d < MAX_INODES; d++) {
		for (n = 0; in[d].type == S_IFDIR && n < NNAMES; n++) {
			if (in[d].ent[n] < 0)
				continue;
			put32(d);
			put32(n);
			put32(in[d].ent[n]);
		}
	}
	if (fwrite(&sum, sizeof(sum), 1, sf) != 1 || fflush(sf) || fsync(fileno(sf)) ||
	    fclose(sf))
		fail("cannot write %s: %s", tmp, strerror(errno));
	if (rename(tmp, path))
		fail("cannot rename %s to %s: %s", tmp, path, strerror(errno));
	*nnames = ne;
	*ninodes = k;
}

static void load_state(const char *dir, unsigned long *bytes, int *nnames, int *ninodes)
{
	uint32_t n, k, ni, ne, np, len, pg, d;
	char path[PATH_MAX], name[256];
	uint64_t h = 0xcbf29ce484222325ULL, stored;
	struct stat st;
	int fd, i;
	ssize_t r;

	snprintf(path, sizeof(path), "%s.state", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		fail("cannot open %s: %s", path, strerror(errno));
	llen = st.st_size;
	lb = malloc(llen + 1);
	if (!lb)
		fail("out of memory");
	for (lpos = 0; lpos < llen; lpos += r) {
		r = read(fd, lb + lpos, llen - lpos);
		if (r <= 0)
			fail("cannot read %s: %s", path, r ? strerror(errno) : "short read");
	}
	close(fd);
	if (llen < 16)
		fail("state file %s: too short (%zu bytes)", path, llen);
	for (lpos = 0; lpos < llen - 8; lpos++)
		h = (h ^ lb[lpos]) * 0x100000001b3ULL;
	memcpy(&stored, lb + llen - 8, 8);
	if (h != stored)
		fail("state file %s: checksum mismatch (file damaged?)", path);
	llen -= 8;
	lpos = 0;
	get(name, 8);
	if (memcmp(name, STATE_MAGIC, 8) || get32() != STATE_VERSION || get32() != NNAMES)
		fail("state file %s: not a khofs_nsmodel state of this version", path);
	for (n = 0; n < NNAMES; n++) {
		len = get32();
		if (len > 255)
			fail("state file: bad name length");
		get(name, len);
		name[len] = 0;
		if (strcmp(name, names[n]))
			fail("state file: name %u differs", n);
	}
	seed = get64();
	prior_ops = get64();
	ni = get32();
	*bytes = 0;
	for (k = 0; k < ni; k++) {
		i = get32();
		if (i >= MAX_INODES || in[i].type)
			fail("state file: bad inode index %d", i);
		init_node(i, get32());
		if (in[i].type != S_IFDIR && in[i].type != S_IFREG && in[i].type != S_IFLNK &&
		    in[i].type != S_IFIFO)
			fail("state file: inode %d has bad type 0%o", i, in[i].type);
		in[i].mode = get32();
		in[i].uid = get32();
		in[i].gid = get32();
		in[i].alloc = get32();
		in[i].parent = get32();
		in[i].pname = get32();
		in[i].size = get64();
		in[i].alloc_hi = get64();
		in[i].ino[0] = get64();
		in[i].dsize = get64();
		get_time(&in[i].at);
		get_time(&in[i].mt);
		get_time(&in[i].ct);
		in[i].dirty = 1;
		len = get32();
		if (len > PATH_MAX || (len && in[i].type != S_IFLNK) ||
		    (!len && in[i].type == S_IFLNK) || in[i].size > MAX_SIZE)
			fail("state file: inode %d: bad target length or size", i);
		if (in[i].type == S_IFLNK) {
			in[i].target = calloc(1, len + 1);
			if (!in[i].target)
				fail("out of memory");
			get(in[i].target, len);
			if (strlen(in[i].target) != len)
				fail("state file: inode %d: bad target", i);
		}
		np = get32();
		while (np--) {
			pg = get32();
			if (pg > MAX_PAGES || in[i].type != S_IFREG ||
			    (uint64_t)pg * PG >= in[i].size)
				fail("state file: inode %d: bad page %u", i, pg);
			get(page_w(&in[i], pg), PG);
			*bytes += PG;
		}
	}
	if (in[0].type != S_IFDIR)
		fail("state file: no root directory");
	ne = get32();
	for (k = 0; k < ne; k++) {
		d = get32();
		n = get32();
		i = get32();
		if (d >= MAX_INODES || in[d].type != S_IFDIR || n >= NNAMES || in[d].ent[n] >= 0 ||
		    i <= 0 || i >= MAX_INODES || !in[i].type ||
		    (is_dir(i) && (in[i].parent != (int)d || in[i].pname != (int)n)))
			fail("state file: bad entry %u/%u -> %d", d, n, i);
		in[d].ent[n] = i;
		if (is_dir(i))
			in[d].nlink++;
		else
			in[i].nlink++;
	}
	if (lpos != llen)
		fail("state file: %zu bytes of garbage at the end", llen - lpos);
	for (i = 0; i < MAX_INODES; i++) {
		if (is_dir(i))
			in[i].nlink += 2;
		if (in[i].type && !saved(i))
			fail("state file: inode %d has no name", i);
	}
	for (i = 1; i < MAX_INODES; i++)
		if (is_dir(i) && (in[i].parent < 0 || in[i].parent >= MAX_INODES ||
				  in[in[i].parent].ent[in[i].pname] != i))
			fail("state file: directory %d is not in its parent", i);
	free(lb);
	*nnames = ne;
	*ninodes = ni;
}

/* ---- setting up, materialising, verifying ---- */

static void open_root(int s, const char *path, int create)
{
	DIR *dir;
	int fd;

	root_path[s] = path;
	if (create && mkdir(path, 0755) && errno != EEXIST)
		fail("cannot create %s: %s", path, strerror(errno));
	rootfd[s] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd[s] < 0)
		fail("cannot open %s: %s", path, strerror(errno));
	if (!create)
		return;
	fd = openat(rootfd[s], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir)
		fail("cannot read %s: %s", path, strerror(errno));
	for (;;) {
		struct dirent *de = readdir(dir);

		if (!de)
			break;
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fail("%s is not empty (\"%s\")", path, de->d_name);
	}
	closedir(dir);
}

/* Recreates directory d of the model in dfd on side 1 (the oracle). */
static void mat_dir(int dfd, int d, int *pfd)
{
	const char *nm;
	struct stat st;
	int n, i, fd;
	uint64_t pg;

	for (n = 0; n < NNAMES; n++) {
		i = in[d].ent[n];
		nm = names[n];
		if (i < 0)
			continue;
		if (pfd[i] >= 0) {
			if (linkat(pfd[i], "", dfd, nm, AT_EMPTY_PATH))
				fail("oracle copy: link to %s: %s", desc(i), strerror(errno));
			continue;
		}
		switch (in[i].type) {
		case S_IFDIR:
			if (mkdirat(dfd, nm, 0700))
				fail("oracle copy: mkdir %s: %s", desc(i), strerror(errno));
			fd = openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0 || fchown(fd, in[i].uid, in[i].gid) || fchmod(fd, in[i].mode))
				fail("oracle copy: %s: %s", desc(i), strerror(errno));
			mat_dir(fd, i, pfd);
			close(fd);
			break;
		case S_IFREG:
			fd = openat(dfd, nm, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
			if (fd < 0)
				fail("oracle copy: create %s: %s", desc(i), strerror(errno));
			for (pg = 0; in[i].pages && pg <= MAX_PAGES; pg++)
				if (in[i].pages[pg] &&
				    pwrite(fd, in[i].pages[pg], PG, pg * PG) != (ssize_t)PG)
					fail("oracle copy: write %s: %s", desc(i), strerror(errno));
			if (ftruncate(fd, in[i].size) || fchown(fd, in[i].uid, in[i].gid) ||
			    fchmod(fd, in[i].mode))
				fail("oracle copy: %s: %s", desc(i), strerror(errno));
			close(fd);
			break;
		case S_IFLNK:
			if (symlinkat(in[i].target, dfd, nm) ||
			    fchownat(dfd, nm, in[i].uid, in[i].gid, AT_SYMLINK_NOFOLLOW))
				fail("oracle copy: symlink %s: %s", desc(i), strerror(errno));
			break;
		default:
			if (mknodat(dfd, nm, S_IFIFO | 0600, 0) ||
			    fchownat(dfd, nm, in[i].uid, in[i].gid, AT_SYMLINK_NOFOLLOW) ||
			    fchmodat(dfd, nm, in[i].mode, 0))
				fail("oracle copy: mkfifo %s: %s", desc(i), strerror(errno));
			break;
		}
		if (fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW))
			fail("oracle copy: lstat %s: %s", desc(i), strerror(errno));
		in[i].ino[1] = st.st_ino;
		if (!is_dir(i) && in[i].nlink > 1) {
			pfd[i] = openat(dfd, nm, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (pfd[i] < 0)
				fail("oracle copy: open O_PATH %s: %s", desc(i), strerror(errno));
		}
	}
}

static void materialize(void)
{
	int pfd[MAX_INODES], i;
	struct stat st;

	for (i = 0; i < MAX_INODES; i++)
		pfd[i] = -1;
	if (fchown(rootfd[1], in[0].uid, in[0].gid) || fchmod(rootfd[1], in[0].mode) ||
	    fstat(rootfd[1], &st))
		fail("oracle copy: root: %s", strerror(errno));
	in[0].ino[1] = st.st_ino;
	mat_dir(rootfd[1], 0, pfd);
	for (i = 0; i < MAX_INODES; i++)
		if (pfd[i] >= 0)
			close(pfd[i]);
}

static void split_path(const char *dir, char *parent, char *base)
{
	const char *sl = strrchr(dir, '/');

	if (!sl) {
		snprintf(parent, PATH_MAX, ".");
		snprintf(base, NAME_MAX + 1, "%s", dir);
	} else {
		snprintf(parent, PATH_MAX, "%.*s", (int)(sl - dir), dir);
		if (!parent[0])
			snprintf(parent, PATH_MAX, "/");
		snprintf(base, NAME_MAX + 1, "%s", sl + 1);
	}
}

/*
 * Nothing but DIR and DIR.state beside the tree; at the root of a khofs or
 * tmpfs mount, statfs counts no inode or block that those do not need.
 */
static void check_beside(const char *dir)
{
	char parent[PATH_MAX], base[NAME_MAX + 1], sname[NAME_MAX + 8], up[PATH_MAX + 4];
	char state[PATH_MAX + 8];
	unsigned long long inodes = 3, blocks = 0, used;
	struct stat pst, ust, sst;
	struct dirent *de;
	struct statfs sfs;
	DIR *d;
	int i, n;

	split_path(dir, parent, base);
	snprintf(sname, sizeof(sname), "%s.state", base);
	phase("%s: nothing but %s and %s.state beside the tree", cmd, dir, dir);
	d = opendir(parent);
	if (!d)
		fail("cannot open %s: %s", parent, strerror(errno));
	for (;;) {
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, base) && strcmp(de->d_name, sname))
			fail("%s: unexpected entry \"%s\" beside the tree", parent, de->d_name);
	}
	closedir(d);
	snprintf(up, sizeof(up), "%s/..", parent);
	snprintf(state, sizeof(state), "%s.state", dir);
	if (statfs(parent, &sfs) || stat(parent, &pst) || stat(up, &ust) || stat(state, &sst))
		fail("cannot stat %s: %s", parent, strerror(errno));
	if ((sfs.f_type != KHOFS_MAGIC && sfs.f_type != TMPFS_MAGIC) ||
	    (pst.st_dev == ust.st_dev && pst.st_ino != ust.st_ino) || !sfs.f_files ||
	    !sfs.f_blocks) {
		tap_ok("%s: nothing beside the tree and its state file", cmd);
		return;
	}
	/* the mount root, DIR.state and DIR, every name in the tree (extra links count) */
	for (i = 0; i < MAX_INODES; i++)
		for (n = 0; is_dir(i) && n < NNAMES; n++)
			inodes += in[i].ent[n] >= 0;
	/* at most: pages of regular files (st_blocks) and symlinks, and the state file */
	for (i = 0; i < MAX_INODES; i++) {
		if (in[i].type == S_IFREG)
			blocks += in[i].blocks / (PG / 512);
		if (in[i].type == S_IFLNK)
			blocks += strlen(in[i].target) / PG + 1;
	}
	blocks += sst.st_blocks / (PG / 512);
	used = sfs.f_files - sfs.f_ffree;
	if (sfs.f_type == KHOFS_MAGIC && used != inodes)
		fail("statfs of %s: %llu inodes in use, the tree and its state need %llu", parent,
		     used, inodes);
	if (sfs.f_type == TMPFS_MAGIC && used > inodes)
		fail("statfs of %s: %llu inodes in use, the tree and its state need %llu", parent,
		     used, inodes);
	if (sfs.f_blocks - sfs.f_bfree > blocks)
		fail("statfs of %s: %llu blocks in use, the tree and its state need at most %llu",
		     parent, (unsigned long long)(sfs.f_blocks - sfs.f_bfree), blocks);
	tap_ok("%s: nothing beside the tree; statfs: %llu inodes, %llu of at most %llu blocks",
	       cmd, used, (unsigned long long)(sfs.f_blocks - sfs.f_bfree), blocks);
}

/* verify (and the start of hold and resume): DIR against DIR.state. */
static void verify(const char *dir)
{
	unsigned long bytes;
	int nn, ni;

	phase("%s: state file %s.state is intact", cmd, dir);
	load_state(dir, &bytes, &nn, &ni);
	tap_ok("%s: state file %s.state loaded: %d names, %d inodes, %lu data bytes, %llu ops",
	       cmd, dir, nn, ni, bytes, (unsigned long long)prior_ops);
	open_root(0, dir, 0);
	phase("%s: tree matches the model%s", cmd, strcmp(cmd, "hold") ? " after kexec" : "");
	/* lstat only first: reading moves atimes */
	stat_tree(0);
	check_tree(1);
	tap_ok("%s: tree matches the model%s (names, stat fields, ns times, contents)",
	       cmd, strcmp(cmd, "hold") ? " after kexec" : "");
	check_beside(dir);
}

static void finish(const char *dir, int seconds)
{
	unsigned long bytes;
	int nn, ni;

	phase("%s: ops applied and checked against the model", cmd);
	close_all();
	check_tree(1);
	tap_ok("%s: ops applied and checked against the model: %lu (seed %llu, %d s)", cmd, ops,
	       (unsigned long long)seed, seconds);
	if (nsides > 1)
		tap_ok("%s: tree matches tmpfs oracle %s at each of %lu full checks", cmd,
		       root_path[1], checks);
	print_counts();
	phase("%s: model saved to %s.state", cmd, dir);
	stat_tree(1);
	save_state(dir, &bytes, &nn, &ni);
	tap_ok("%s: model saved to %s.state: %d names, %d inodes, %lu bytes of data", cmd, dir, nn,
	       ni, bytes);
}

static void run_ops(int seconds)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	phase("%s: ops applied and checked against the model", cmd);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= seconds)
			break;
		for (int k = 0; k < CHECK_EVERY; k++)
			one_op();
		check_tree(checks % ALL_EVERY == 0);
	}
}

/* A new file with a free name somewhere; kept open if keep. */
static int new_file(int keep)
{
	int k, d, n, i;

	for (k = 0; k < 1000; k++) {
		d = pick_dir();
		n = rn(NSHORT);
		if (in[d].ent[n] < 0) {
			i = do_create(d, n, 0644, keep);
			ops++;
			in_op = 0;
			if (i >= 0)
				return i;
		}
	}
	fail("hold: no free name for a new file");
}

/* One operation of hold: counts it and passes its result on. */
static int step(int r)
{
	ops++;
	in_op = 0;
	return r;
}

/* An existing file with one usable name, opened and kept, or a new one. */
static int hold_file(void)
{
	char p[PATHLEN];
	int i = pick_reg(0);

	if (i >= 0 && in[i].fd[0] < 0 && in[i].nlink == 1 && node_path(i, p) == 0 &&
	    step(do_open(i, 0)) == i)
		return i;
	return new_file(1);
}

/*
 * The files in motion at kexec (side 0 only): held open and unlinked, an
 * O_TMPFILE, one renamed over while held, one mapped, one that loses one of
 * its names while held. Writes a summary.
 */
static void hold_ops(char *summary, size_t sz)
{
	int held[3], k, i, d, n, yd, yn, x, y, z, t, extra = 0;

	for (k = 0; k < 3; k++) {
		held[k] = hold_file();
		step(do_pwrite(held[k], rn(1 << 20), 65536 + rn(PG)));
	}
	for (k = 0; k < 2; k++) {
		if (name_of(held[k], 0, &d, &n) || step(do_unlink(d, n)))
			fail("hold: cannot unlink %s", desc(held[k]));
		step(do_pwrite(held[k], rn(2 << 20), (1 << 20) + rn(PG)));
	}
	t = step(do_tmpfile(pick_dir(), 0640));
	if (t < 0)
		fail("hold: cannot create an O_TMPFILE");
	step(do_pwrite(t, 0x10001, 1 << 20));
	x = new_file(1);
	step(do_pwrite(x, 0, 256 << 10));
	y = new_file(0);
	step(do_pwrite(y, 1, 100));
	if (name_of(x, 0, &d, &n) || name_of(y, 0, &yd, &yn) || step(do_rename(yd, yn, d, n, 0)))
		fail("hold: cannot rename over %s", desc(x));
	z = new_file(1);
	step(do_truncate(z, 200000 + rn(PG), 1));
	if (step(do_map(z, (in[z].size + PG - 1) / PG * PG)))
		fail("hold: cannot map %s", desc(z));
	step(do_mapio(z, 0, in[z].size, 1));
	step(do_msync(z));
	for (i = 0; i < MAX_INODES; i++) {
		if (in[i].type == S_IFREG && in[i].nlink >= 2 && in[i].fd[0] < 0 &&
		    nheld < MAX_HELD && step(do_open(i, 0)) == i) {
			if (name_of(i, 0, &d, &n) == 0 && step(do_unlink(d, n)) == 0)
				extra = 1;
			break;
		}
	}
	snprintf(summary, sz,
		 "%d files held open, 2 of them unlinked, 1 O_TMPFILE, 1 renamed over while open, 1 mapped and written%s",
		 nheld, extra ? ", 1 with one of its names unlinked while open" : "");
}

static void on_sigbus(int sig)
{
	char msg[160];
	int len;

	len = snprintf(msg, sizeof(msg),
		       "# khofs_nsmodel: signal %d at op %lu (seed %llu)\nnot ok %d %s\n",
		       sig, ops + 1, (unsigned long long)seed, tap_n + 1, "signal");
	if (write(1, msg, len) < 0)
		_exit(1);
	_exit(1);
}

/*
 * Keeps writing to the files without a name (they vanish at kexec, so their
 * contents do not matter), until killed or the kexec.
 */
static void hold_forever(void)
{
	struct timespec t = { 0, 10000000 };
	unsigned long k, errors = 0;
	int i;

	for (k = 0; errors < 100; k++) {
		for (i = 0; i < MAX_INODES; i++)
			if (in[i].type == S_IFREG && !in[i].nlink && in[i].fd[0] >= 0 &&
			    pwrite(in[i].fd[0], wbuf, PG, (k % 256) * PG) < 0)
				errors++;
		nanosleep(&t, NULL);
	}
	/* writes keep failing: just hold */
	for (;;)
		pause();
}

static int hold_cmd(const char *dir)
{
	char summary[256], msg[512];
	int p[2], status;
	ssize_t r;
	pid_t pid;

	verify(dir);
	if (pipe(p))
		fail("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		unsigned long bytes;
		int nn, ni, fd;

		close(p[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		holding = 1;
		seed_rng(seed, 0x686f6c64);
		phase("hold: files in motion applied and checked against the model");
		hold_ops(summary, sizeof(summary));
		check_tree(1);
		phase("hold: model saved to %s.state", dir);
		stat_tree(1);
		save_state(dir, &bytes, &nn, &ni);
		snprintf(msg, sizeof(msg),
			 "%s; state saved: %d names, %d inodes, %lu bytes of data",
			 summary, nn, ni, bytes);
		fflush(stdout);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (write(p[1], msg, strlen(msg)) < 0)
			_exit(1);
		close(p[1]);
		hold_forever();
	}
	close(p[1]);
	r = read(p[0], msg, sizeof(msg) - 1);
	if (r <= 0) {
		waitpid(pid, &status, 0);
		printf("not ok %d hold: the holder failed (status 0x%x)\n", ++tap_n, status);
		return 1;
	}
	msg[r] = 0;
	tap_ok("hold: %s", msg);
	printf("holding (pid %d)\n", pid);
	return 0;
}

static void bad_args(const char *prog)
{
	fprintf(stderr, "usage: %s run DIR SEED SECONDS [ORACLE_DIR]\n"
		"       %s hold DIR\n"
		"       %s verify DIR\n"
		"       %s resume DIR SEED SECONDS [ORACLE_DIR]\n", prog, prog, prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	int seconds = 0, resume;
	struct stat st;
	char *dir;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGBUS, on_sigbus);
	signal(SIGSEGV, on_sigbus);
	umask(0);
	init_names();
	if (argc < 3)
		bad_args(argv[0]);
	cmd = argv[1];
	dir = argv[2];
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = 0;
	if (geteuid() != 0) {
		printf("not ok 1 %s: needs root\n", cmd);
		return 2;
	}
	resume = !strcmp(cmd, "resume");
	if (!strcmp(cmd, "verify") || !strcmp(cmd, "hold")) {
		if (argc != 3)
			bad_args(argv[0]);
		if (!strcmp(cmd, "hold"))
			return hold_cmd(dir);
		verify(dir);
		return 0;
	}
	if ((strcmp(cmd, "run") && !resume) || argc < 5 || argc > 6)
		bad_args(argv[0]);
	seconds = atoi(argv[4]);
	if (resume)
		verify(dir);
	seed = strtoull(argv[3], NULL, 0);
	seed_rng(seed, 0);
	if (argc == 6) {
		nsides = 2;
		phase("%s: oracle %s set up", cmd, argv[5]);
		open_root(1, argv[5], 1);
	}
	if (resume) {
		if (nsides > 1) {
			phase("%s: oracle %s is a copy of the model", cmd, argv[5]);
			materialize();
			check_tree(1);
			tap_ok("%s: oracle %s is a copy of the model", cmd, argv[5]);
		}
	} else {
		phase("%s: %s set up", cmd, dir);
		open_root(0, dir, 1);
		init_node(0, S_IFDIR);
		in[0].nlink = 2;
		in[0].mode = 0755;
		for (int s = 0; s < nsides; s++) {
			if (fchown(rootfd[s], 0, 0) || fchmod(rootfd[s], 0755) ||
			    fstat(rootfd[s], &st))
				fail("cannot set up %s: %s", root_path[s], strerror(errno));
			in[0].ino[s] = st.st_ino;
		}
	}
	run_ops(seconds);
	finish(dir, seconds);
	return 0;
}
