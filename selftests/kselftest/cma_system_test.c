// SPDX-License-Identifier: GPL-2.0
/*
 * CMA regions lent to the whole system (RESMEM_CMA_SYSTEM): a region is
 * hot-added as System RAM (resmem) in ZONE_MOVABLE of its node, the system
 * fills it with anonymous memory and tmpfs pages, buffers covering most of
 * it are taken back again and again with every byte of the system's data
 * intact, a long-term pinned page is skipped (never a hang, never a loss)
 * and keeps the region from being destroyed, bad arguments change nothing,
 * and destroying the region removes the memory again.
 *
 * Every test SKIPs when GET_INFO lacks RESMEM_FEAT_CMA_SYSTEM or the kernel
 * has no /sys/devices/system/memory.  Run as root with resmem loaded on the
 * test VM's ranges and no region (cma_system_test.sh does this).
 * --cycles N: take-back cycles of fill_take_back (default 100).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/resmem.h>
#include "kselftest_harness.h"
#include "resmem_test.h"

#define TIMEOUT		900
#define MEMSYS		"/sys/devices/system/memory/"
#define NAME		"lend"
#define MIB		(1ULL << 20)
#define K		0x9e3779b97f4a7c15ULL

static unsigned int cycles = 100;

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static __u64 block_size(void)
{
	char buf[64] = "";
	FILE *f = fopen(MEMSYS "block_size_bytes", "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoull(buf, NULL, 16);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* Whether the module can lend and the kernel has memory blocks. */
static int can_lend(int fd)
{
	struct resmem_info i;

	memset(&i, 0, sizeof(i));
	if (ioc(fd, RESMEM_IOC_GET_INFO, &i))
		return 0;
	return (i.features & RESMEM_FEAT_CMA_SYSTEM) && block_size() &&
	       !access(MEMSYS "auto_online_blocks", W_OK);
}

/*
 * lend() - the one lending helper: create region @name lent to the system
 * (CMA_CREATE with @flags) with auto_online_blocks "offline" around the
 * ioctl, then online every block of it to ZONE_MOVABLE.  0 or -errno of
 * the ioctl; *@id and *@base are set on success.
 */
static int lend(int fd, const char *name, __u64 base, __u64 size, int node,
		__u32 flags, __u32 *id, __u64 *basep)
{
	struct resmem_cma_create c;
	struct resmem_cma_region_info e[8];
	struct resmem_cma_list l = {
		.nr_regions = 8, .region_size = sizeof(e[0]),
		.regions_ptr = (uintptr_t)e,
	};
	char old[64] = "online", path[128];
	__u64 bs = block_size(), b;
	unsigned int i;
	int ret;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.base = base;
	c.size = size;
	/* a node goes with base 0 only (RESMEM_IOC_CMA_CREATE) */
	c.node = base ? RESMEM_NODE_ANY : node;
	c.flags = flags;
	read_str(MEMSYS "auto_online_blocks", old, sizeof(old));
	write_str(MEMSYS "auto_online_blocks", "offline");
	ret = ioc(fd, RESMEM_IOC_CMA_CREATE, &c);
	write_str(MEMSYS "auto_online_blocks", old);
	if (ret)
		return ret;
	if (id)
		*id = c.id;
	/* the base resmem picked */
	b = base;
	if (!ioc(fd, RESMEM_IOC_CMA_LIST, &l))
		for (i = 0; i < l.nr_regions && i < 8; i++)
			if (e[i].id == c.id)
				b = e[i].base;
	if (basep)
		*basep = b;
	for (i = 0; bs && i < size / bs; i++) {
		snprintf(path, sizeof(path), MEMSYS "memory%llu/state",
			 (unsigned long long)(b / bs + i));
		write_str(path, "online_movable");
	}
	return 0;
}

static int destroy(int fd, __u32 id)
{
	struct resmem_cma_destroy d = { .id = id };

	return ioc(fd, RESMEM_IOC_CMA_DESTROY, &d);
}

/* Region @id's CMA_LIST v2 entry; -ENOENT when it does not exist. */
static int entry(int fd, __u32 id, struct resmem_cma_region_info *out)
{
	struct resmem_cma_region_info e[16];
	struct resmem_cma_list l = {
		.nr_regions = 16, .region_size = sizeof(e[0]),
		.regions_ptr = (uintptr_t)e,
	};
	unsigned int i;
	int ret = ioc(fd, RESMEM_IOC_CMA_LIST, &l);

	if (ret)
		return ret;
	for (i = 0; i < l.nr_regions && i < 16; i++)
		if (e[i].id == id) {
			*out = e[i];
			return 0;
		}
	return -ENOENT;
}

static int nregions(int fd)
{
	struct resmem_cma_list l = { 0 };

	return ioc(fd, RESMEM_IOC_CMA_LIST, &l) ? -1 : (int)l.nr_regions;
}

/* A whole file into a malloc'd string. */
static char *slurp(const char *path)
{
	size_t len = 0, room = 65536;
	char *s = malloc(room);
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f || !s) {
		if (f)
			fclose(f);
		free(s);
		return NULL;
	}
	while ((n = fread(s + len, 1, room - len - 1, f)) > 0) {
		len += n;
		if (room - len < 4096) {
			room *= 2;
			s = realloc(s, room);
		}
	}
	s[len] = 0;
	fclose(f);
	return s;
}

/*
 * /proc/iomem at [@base, @base + @size): 1 when "System RAM (resmem)"
 * covers it and no "resmem" entry overlaps it, 0 otherwise.
 */
static int iomem_lent(__u64 base, __u64 size)
{
	char line[256], *name;
	unsigned long long s, e;
	int covered = 0, bad = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %llx-%llx", &s, &e) != 2)
			continue;
		name = strstr(line, " : ");
		if (!name)
			continue;
		name += 3;
		name[strcspn(name, "\n")] = 0;
		if (!strcmp(name, "System RAM (resmem)") && s <= base &&
		    e >= base + size - 1)
			covered = 1;
		else if (!strcmp(name, "resmem") && s < base + size &&
			 e >= base)
			bad = 1;
	}
	fclose(f);
	return covered && !bad;
}

/* "present" or "free" pages of node @nid's Movable zone, or -1. */
static long long movable(int nid, const char *key)
{
	char line[256], want[64];
	int in = 0;
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "Node %d, zone  Movable", nid);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			in = !strncmp(line, want, strlen(want));
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(key, "free")) {
			if (!strncmp(line, "  pages free", 12)) {
				v = atoll(line + 12);
				in = 0;
			}
		} else {
			char *p = line + strspn(line, " ");

			if (!strncmp(p, key, kl) && p[kl] == ' ') {
				v = atoll(p + kl);
				in = 0;
			}
		}
	}
	fclose(f);
	return v;
}

static int block_exists(__u64 phys)
{
	char path[128];

	snprintf(path, sizeof(path), MEMSYS "memory%llu",
		 (unsigned long long)(phys / block_size()));
	return !access(path, F_OK);
}

static int dbg_yes(const char *name)
{
	char path[128], buf[16] = "";

	snprintf(path, sizeof(path), DBG "cma/%s/lent_to_system", name);
	if (read_str(path, buf, sizeof(buf)))
		return -1;
	return !strcmp(buf, "yes");
}

static int take(int fd, __u32 region, __u64 count, struct resmem_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = RESMEM_KIND_CMA;
	a->node = RESMEM_NODE_ANY;
	a->region = region;
	a->count = count;
	a->align = 1;
	return ioc(fd, RESMEM_IOC_ALLOC, a);
}

/* Physical address of the page at @p (root), or 0. */
static __u64 phys_of(const void *p)
{
	__u64 e = 0;
	long ps = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / ps * 8) != 8)
		e = 0;
	close(fd);
	if (!(e & (1ULL << 63)))
		return 0;
	return (e & ((1ULL << 55) - 1)) * ps;
}

/* Write @len bytes of the pattern of @seed to @p, 8 at a time. */
static void pattern(void *p, size_t len, __u64 seed)
{
	__u64 *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = (seed + i) * K;
}

/* Bytes of @p that differ from the pattern of @seed. */
static size_t bad_bytes(const void *p, size_t len, __u64 seed)
{
	const __u64 *w = p;
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++)
		if (w[i] != (seed + i) * K)
			bad += 8;
	return bad;
}

static void pin_cpu0(void)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(0, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

FIXTURE(lend) {
	int fd;
	int can;
	__u64 bs;
	char *iomem;
	int nreg;
};

FIXTURE_SETUP(lend)
{
	self->iomem = NULL;
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	/* each test also SKIPs itself: older harnesses run it after this */
	self->can = can_lend(self->fd);
	if (!self->can)
		SKIP(return, "no RESMEM_FEAT_CMA_SYSTEM or no %s", MEMSYS);
	self->bs = block_size();
	self->iomem = slurp("/proc/iomem");
	ASSERT_NE(NULL, self->iomem);
	self->nreg = nregions(self->fd);
}

FIXTURE_TEARDOWN(lend)
{
	free(self->iomem);
	close(self->fd);
}

/* State unchanged: the same number of regions and the same /proc/iomem. */
/* FIXTURE_DATA(lend), spelt out: checkpatch reads the macro as a product */
static int unchanged(struct _test_data_lend *self)
{
	char *now = slurp("/proc/iomem");
	int same = now && !strcmp(now, self->iomem);

	free(now);
	return same && nregions(self->fd) == self->nreg;
}

static void check_lent(struct __test_metadata *_metadata,
		       struct _test_data_lend *self, __u32 id, __u64 base,
		       __u64 size)
{
	struct resmem_cma_region_info e;

	ASSERT_EQ(0, entry(self->fd, id, &e));
	EXPECT_EQ(RESMEM_CMA_SYSTEM, e.flags & RESMEM_CMA_SYSTEM);
	EXPECT_EQ(size, e.size);
	EXPECT_EQ(0, e.base % self->bs);
	EXPECT_EQ(base, e.base);
	EXPECT_EQ(1, iomem_lent(base, size));
	EXPECT_LE((long long)(size / 4096), movable(0, "present"));
	EXPECT_EQ(1, dbg_yes(e.name));
	EXPECT_EQ(1, block_exists(base));
}

static void check_unlent(struct __test_metadata *_metadata,
			 struct _test_data_lend *self, __u64 base)
{
	EXPECT_EQ(1, unchanged(self));
	EXPECT_EQ(0, block_exists(base));
	EXPECT_GE(0, movable(0, "present"));
}

TEST_F_TIMEOUT(lend, auto_base, TIMEOUT)
{
	__u32 id;
	__u64 base;

	if (!self->can)
		SKIP(return, "cannot lend");
	ASSERT_EQ(0, lend(self->fd, NAME, 0, self->bs, 0, RESMEM_CMA_SYSTEM,
			  &id, &base));
	check_lent(_metadata, self, id, base, self->bs);
	ASSERT_EQ(0, destroy(self->fd, id));
	check_unlent(_metadata, self, base);
}

/* The first aligned block of the 512 MiB range at 0x20000000 */
#define EXPLICIT	0x20000000ULL

TEST_F_TIMEOUT(lend, explicit_base, TIMEOUT)
{
	__u32 id;
	__u64 base;

	if (!self->can)
		SKIP(return, "cannot lend");
	ASSERT_EQ(0, lend(self->fd, NAME, EXPLICIT + self->bs, self->bs, 0,
			  RESMEM_CMA_SYSTEM, &id, &base));
	check_lent(_metadata, self, id, EXPLICIT + self->bs, self->bs);
	ASSERT_EQ(0, destroy(self->fd, id));
	check_unlent(_metadata, self, EXPLICIT + self->bs);
}

#define FILES	"/dev/shm/resmem-lend"
#define CHUNK	(4 * MIB)
#define MAXCH	1024

/*
 * The child: pinned to CPU 0, fill anonymous chunks and tmpfs files with
 * patterns until the Movable zone of node 0 is nearly full, tell the
 * parent (one byte on @ready), then on each byte from @go verify
 * everything and answer the bytes lost (8-byte count on @ready).
 */
static void filler(int ready, int go, long long low)
{
	void *anon[MAXCH];
	unsigned int na = 0, nf = 0, i;
	char path[128], c;
	__u64 lost;
	void *buf = malloc(CHUNK);

	pin_cpu0();
	while (movable(0, "free") > low && na + nf < MAXCH) {
		if ((na + nf) % 2 == 0) {
			anon[na] = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (anon[na] == MAP_FAILED)
				break;
			pattern(anon[na], CHUNK, na * 0x100000ULL);
			na++;
		} else {
			int fd;

			snprintf(path, sizeof(path), FILES "-%u", nf);
			fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
			if (fd < 0)
				break;
			pattern(buf, CHUNK, 0x80000000ULL + nf * 0x100000ULL);
			if (write(fd, buf, CHUNK) != CHUNK) {
				close(fd);
				unlink(path);
				break;
			}
			close(fd);
			nf++;
		}
	}
	c = 1;
	if (write(ready, &c, 1) != 1)
		_exit(1);
	while (read(go, &c, 1) == 1) {
		lost = 0;
		for (i = 0; i < na; i++)
			lost += bad_bytes(anon[i], CHUNK, i * 0x100000ULL);
		for (i = 0; i < nf; i++) {
			int fd;

			snprintf(path, sizeof(path), FILES "-%u", i);
			fd = open(path, O_RDONLY);
			if (fd < 0 || read(fd, buf, CHUNK) != CHUNK)
				lost += CHUNK;
			else
				lost += bad_bytes(buf, CHUNK,
						  0x80000000ULL + i * 0x100000ULL);
			if (fd >= 0)
				close(fd);
		}
		if (write(ready, &lost, 8) != 8)
			break;
	}
	for (i = 0; i < nf; i++) {
		snprintf(path, sizeof(path), FILES "-%u", i);
		unlink(path);
	}
	_exit(0);
}

TEST_F_TIMEOUT(lend, fill_take_back, TIMEOUT)
{
	int up[2], down[2];
	__u32 id, ok = 0, n;
	__u64 base, lost = 0, l, size = self->bs;
	struct resmem_cma_region_info e;
	struct resmem_alloc a;
	pid_t pid;
	char c = 0;
	void *p;

	if (!self->can)
		SKIP(return, "cannot lend");
	ASSERT_EQ(0, lend(self->fd, NAME, 0, size, 0, RESMEM_CMA_SYSTEM,
			  &id, &base));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(up[0]);
		close(down[1]);
		filler(up[1], down[0], (long long)(size / 4096 / 16));
	}
	close(up[1]);
	close(down[0]);
	ASSERT_EQ(1, read(up[0], &c, 1));
	ASSERT_EQ(0, entry(self->fd, id, &e));
	TH_LOG("region of %llu pages: %llu lent to the system",
	       (unsigned long long)(size / 4096),
	       (unsigned long long)e.lent);
	EXPECT_LE(size / 4096 / 2, e.lent);
	for (n = 0; n < cycles; n++) {
		__u64 count = (size - 8 * MIB) / 4096 - e.memmap;

		if (!take(self->fd, id, count, &a)) {
			p = map(self->fd, &a);
			if (p != MAP_FAILED) {
				pattern(p, a.size, n);
				if (!bad_bytes(p, a.size, n))
					ok++;
				munmap(p, a.size);
			}
			EXPECT_EQ(0, do_free(self->fd, a.handle));
		}
		c = 1;
		ASSERT_EQ(1, write(down[1], &c, 1));
		ASSERT_EQ(8, read(up[0], &l, 8));
		lost += l;
	}
	close(down[1]);
	close(up[0]);
	waitpid(pid, NULL, 0);
	TH_LOG("%u of %u take-backs of %llu MiB succeeded, %llu bytes lost",
	       ok, cycles, (unsigned long long)((size - 8 * MIB) / MIB),
	       (unsigned long long)lost);
	EXPECT_EQ(0, lost);
	EXPECT_EQ(cycles, ok);
	ASSERT_EQ(0, destroy(self->fd, id));
	check_unlent(_metadata, self, base);
}

/*
 * The pinner: pinned to CPU 0, fill anonymous memory until a page lands in
 * [@base, @base + @size), vmsplice that page into a pipe it never reads
 * (pinned long term), answer its physical address on @ready, wait for @go
 * to close, then check the page still holds its pattern (exit status).
 */
static void pinner(int ready, int go, __u64 base, __u64 size)
{
	long ps = sysconf(_SC_PAGESIZE);
	__u64 phys = 0;
	char *p = NULL, c;
	int pp[2], i, tries, idx = 0;
	struct iovec v;

	pin_cpu0();
	if (pipe(pp))
		_exit(2);
	for (tries = 0; tries < 64 && !phys; tries++) {
		p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(2);
		for (i = 0; i < CHUNK / ps; i++) {
			__u64 ph;

			pattern(p + i * ps, ps, i);
			ph = phys_of(p + i * ps);
			if (ph >= base && ph < base + size) {
				p += i * ps;
				phys = ph;
				idx = i;
				break;
			}
		}
	}
	if (phys) {
		v.iov_base = p;
		v.iov_len = ps;
		if (vmsplice(pp[1], &v, 1, 0) != ps)
			phys = 0;
	}
	if (write(ready, &phys, 8) != 8)
		_exit(2);
	while (read(go, &c, 1) == 1)
		;
	/* the page's pattern is by its index in its chunk, not its address */
	_exit(bad_bytes(p, ps, idx) ? 1 : 0);
}

TEST_F_TIMEOUT(lend, pinned_page, TIMEOUT)
{
	int up[2], down[2], st = -1, ret;
	__u32 id;
	__u64 base, phys = 0, size = self->bs;
	struct resmem_cma_region_info e;
	struct resmem_alloc a;
	pid_t pid;

	if (!self->can)
		SKIP(return, "cannot lend");
	ASSERT_EQ(0, lend(self->fd, NAME, 0, size, 0, RESMEM_CMA_SYSTEM,
			  &id, &base));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(up[0]);
		close(down[1]);
		pinner(up[1], down[0], base, size);
	}
	close(up[1]);
	close(down[0]);
	ASSERT_EQ(8, read(up[0], &phys, 8));
	if (!phys) {
		close(down[1]);
		waitpid(pid, NULL, 0);
		destroy(self->fd, id);
		SKIP(return, "no page of the child landed in the region");
	}
	TH_LOG("pinned page at 0x%llx", (unsigned long long)phys);
	/* the whole region: covers the pinned page, must fail, not hang */
	ASSERT_EQ(0, entry(self->fd, id, &e));
	ret = take(self->fd, id, size / 4096 - e.memmap, &a);
	EXPECT_EQ(-EBUSY, ret);
	if (!ret)
		do_free(self->fd, a.handle);
	/* half of it: lands where the pinned page is not */
	ret = take(self->fd, id, size / 4096 / 2 - e.memmap, &a);
	EXPECT_EQ(0, ret);
	if (!ret) {
		struct resmem_query q;

		ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
		EXPECT_TRUE(phys < q.phys || phys >= q.phys + a.size);
		EXPECT_EQ(0, do_free(self->fd, a.handle));
	}
	/* a small buffer elsewhere */
	EXPECT_EQ(0, take(self->fd, id, 512, &a));
	EXPECT_EQ(0, do_free(self->fd, a.handle));
	/* destroy while pinned: EBUSY, still lent */
	EXPECT_EQ(-EBUSY, destroy(self->fd, id));
	ASSERT_EQ(0, entry(self->fd, id, &e));
	EXPECT_EQ(RESMEM_CMA_SYSTEM, e.flags & RESMEM_CMA_SYSTEM);
	EXPECT_EQ(1, iomem_lent(base, size));
	/* released: the data is intact, destroy works */
	close(down[1]);
	close(up[0]);
	waitpid(pid, &st, 0);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(0, destroy(self->fd, id));
	check_unlent(_metadata, self, base);
}

TEST_F(lend, size_not_block_multiple)
{
	if (!self->can)
		SKIP(return, "cannot lend");
	EXPECT_EQ(-EINVAL, lend(self->fd, NAME, 0, self->bs + 2 * MIB, 0,
				RESMEM_CMA_SYSTEM, NULL, NULL));
	EXPECT_EQ(1, unchanged(self));
}

TEST_F(lend, base_not_aligned)
{
	if (!self->can)
		SKIP(return, "cannot lend");
	EXPECT_EQ(-EINVAL, lend(self->fd, NAME, EXPLICIT + self->bs + 2 * MIB,
				self->bs, 0, RESMEM_CMA_SYSTEM, NULL, NULL));
	EXPECT_EQ(1, unchanged(self));
}

TEST_F(lend, unknown_flags)
{
	if (!self->can)
		SKIP(return, "cannot lend");
	EXPECT_EQ(-EINVAL, lend(self->fd, NAME, 0, self->bs, 0,
				RESMEM_CMA_SYSTEM | 2, NULL, NULL));
	EXPECT_EQ(-EINVAL, lend(self->fd, NAME, 0, self->bs, 0,
				RESMEM_CMA_SYSTEM | (1U << 31), NULL, NULL));
	EXPECT_EQ(1, unchanged(self));
}

/* The 64 MiB range at 0x60000000 on node 1: smaller than a block */
TEST_F(lend, range_smaller_than_block)
{
	if (!self->can)
		SKIP(return, "cannot lend");
	int ret = lend(self->fd, NAME, 0x60000000ULL, self->bs, 1,
		       RESMEM_CMA_SYSTEM, NULL, NULL);

	EXPECT_TRUE(ret == -EINVAL || ret == -ENOMEM) TH_LOG("ret %d", ret);
	ret = lend(self->fd, NAME, 0, self->bs, 1, RESMEM_CMA_SYSTEM, NULL,
		   NULL);
	EXPECT_TRUE(ret == -EINVAL || ret == -ENOMEM) TH_LOG("ret %d", ret);
	EXPECT_EQ(1, unchanged(self));
}

TEST_F(lend, over_resmem_buffers)
{
	struct resmem_alloc a;
	struct resmem_query q;
	__u64 blk;

	if (!self->can)
		SKIP(return, "cannot lend");
	/* one page at the first block-aligned place memarea finds free */
	memset(&a, 0, sizeof(a));
	a.kind = RESMEM_KIND_MEMAREA;
	a.node = 0;
	a.count = 1;
	a.align = self->bs / 4096;
	ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_ALLOC, &a));
	ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
	blk = q.phys;
	ASSERT_EQ(0, blk % self->bs);
	EXPECT_EQ(-EBUSY, lend(self->fd, NAME, blk, self->bs, 0,
			       RESMEM_CMA_SYSTEM, NULL, NULL));
	EXPECT_EQ(0, do_free(self->fd, a.handle));
	EXPECT_EQ(1, unchanged(self));
}

TEST_F_TIMEOUT(lend, double_lend, TIMEOUT)
{
	__u32 id;
	__u64 base;
	int ret;

	if (!self->can)
		SKIP(return, "cannot lend");
	ASSERT_EQ(0, lend(self->fd, NAME, EXPLICIT + self->bs, self->bs, 0,
			  RESMEM_CMA_SYSTEM, &id, &base));
	ret = lend(self->fd, "lend2", EXPLICIT + self->bs, self->bs, 0,
		   RESMEM_CMA_SYSTEM, NULL, NULL);
	EXPECT_TRUE(ret == -EBUSY || ret == -EEXIST) TH_LOG("ret %d", ret);
	EXPECT_EQ(self->nreg + 1, nregions(self->fd));
	ASSERT_EQ(0, destroy(self->fd, id));
	check_unlent(_metadata, self, base);
}

TEST_F_TIMEOUT(lend, destroy_with_buffer, TIMEOUT)
{
	struct resmem_cma_region_info e;
	struct resmem_alloc a;
	__u32 id;
	__u64 base;

	if (!self->can)
		SKIP(return, "cannot lend");
	ASSERT_EQ(0, lend(self->fd, NAME, 0, self->bs, 0, RESMEM_CMA_SYSTEM,
			  &id, &base));
	ASSERT_EQ(0, take(self->fd, id, 512, &a));
	EXPECT_EQ(-EBUSY, destroy(self->fd, id));
	ASSERT_EQ(0, entry(self->fd, id, &e));
	EXPECT_EQ(512, e.used);
	EXPECT_EQ(RESMEM_CMA_SYSTEM, e.flags & RESMEM_CMA_SYSTEM);
	EXPECT_EQ(0, do_free(self->fd, a.handle));
	ASSERT_EQ(0, destroy(self->fd, id));
	check_unlent(_metadata, self, base);
}

/* Last: rmmod while a region is lent (no file open) must be refused. */
TEST_F_TIMEOUT(lend, rmmod_refused_while_lent, TIMEOUT)
{
	__u32 id;
	__u64 base;
	int ret;

	if (!self->can)
		SKIP(return, "cannot lend");
	ASSERT_EQ(0, lend(self->fd, NAME, 0, self->bs, 0, RESMEM_CMA_SYSTEM,
			  &id, &base));
	close(self->fd);
	ret = system("rmmod resmem 2> /dev/null");
	EXPECT_NE(0, ret);
	self->fd = open(DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, destroy(self->fd, id));
	check_unlent(_metadata, self, base);
}

int main(int argc, char **argv)
{
	int i, j;

	for (i = j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cycles") && i + 1 < argc)
			cycles = atoi(argv[++i]);
		else
			argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return test_harness_run(j, argv);
}
