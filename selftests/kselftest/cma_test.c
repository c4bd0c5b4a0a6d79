// SPDX-License-Identifier: GPL-2.0
/*
 * CMA regions: a region filled with movable allocations holding patterned
 * data is taken back, again and again, by contiguous buffers covering most
 * of it, while a thread writes to the movable allocations; afterwards every
 * word still holds what was last written, through the mappings.
 * Unmovable allocations never land in a region; a pinned allocation is
 * skipped, not moved; a strict-node one keeps its node; racing destroyers
 * and creates destroy only what they checked; one test per rejected
 * argument.
 *
 * Run as root with resmem loaded on one range and one region, e.g.
 * ranges=64M@0x60000000 cma=t:32M (run_all.sh does this).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uapi/resmem.h>
#include "kselftest_harness.h"
#include "resmem_test.h"

/*
 * Each test's limit: take-backs migrate thousands of blocks, which on the
 * debug kernel under TCG (KASAN, lockdep) with the machine loaded took
 * more than the harness's default 30 s; a limit only catches hangs.
 */
#define CMA_TEST_TIMEOUT	300
#define MAX_MOV		20000
#define K		0x9e3779b97f4a7c15ULL
#define CMADBG		DBG "cma/t/"

struct mov {
	__u64 handle;
	__u64 size;
	__u64 phys;
	volatile __u64 *p;
	__u64 seq;		/* last value the writer stored in p[0] */
};

static struct mov mov[MAX_MOV];
static unsigned int nmov;
static volatile int stop;
static unsigned int nwrite;

/* The number in a one-number debugfs file, or -1. */
static long long num_in(const char *file)
{
	long long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int list(int fd, struct resmem_cma_region_info *e, __u32 room)
{
	struct resmem_cma_list l = {
		.nr_regions = room, .region_size = e ? sizeof(*e) : 0,
		.regions_ptr = (uintptr_t)e,
	};
	int ret = ioc(fd, RESMEM_IOC_CMA_LIST, &l);

	return ret ? ret : (int)l.nr_regions;
}

static __u64 phys_of(int fd, __u64 handle)
{
	struct resmem_query q = { .handle = handle };

	return ioc(fd, RESMEM_IOC_QUERY, &q) ? ~0ULL : q.phys;
}

static int cma_buf(int fd, __u32 region, __u64 count, __u64 align,
		   struct resmem_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = RESMEM_KIND_CMA;
	a->node = RESMEM_NODE_ANY;
	a->region = region;
	a->count = count;
	a->align = align;
	return ioc(fd, RESMEM_IOC_ALLOC, a);
}

static int free_handle(int fd, __u64 handle)
{
	struct resmem_free f = { .handle = handle };

	return ioc(fd, RESMEM_IOC_FREE, &f);
}

static __u64 word(const struct mov *m, __u64 w)
{
	return (m->handle * 0x100000001b3ULL) ^ (w * K);
}

/* Movable allocations of @order until the memory is full. */
static void fill_order(int fd, unsigned int order)
{
	struct resmem_alloc a;
	struct mov *m;
	__u64 w;

	while (nmov < MAX_MOV) {
		memset(&a, 0, sizeof(a));
		a.kind = RESMEM_KIND_BUDDY;
		a.flags = RESMEM_ALLOC_MOVABLE;
		a.order = order;
		a.node = RESMEM_NODE_ANY;
		if (ioc(fd, RESMEM_IOC_ALLOC, &a))
			return;
		m = &mov[nmov++];
		m->handle = a.handle;
		m->size = a.size;
		m->phys = phys_of(fd, a.handle);
		m->seq = 0;
		m->p = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd, a.mmap_offset);
		if (m->p == MAP_FAILED) {
			m->p = NULL;
			return;
		}
		for (w = 0; w < a.size / 8; w++)
			m->p[w] = word(m, w);
	}
}

static void fill(int fd)
{
	fill_order(fd, 4);
	fill_order(fd, 0);
}

static bool in(const struct resmem_cma_region_info *r, __u64 phys)
{
	return phys >= r->base && phys < r->base + r->size;
}

static void drop(int fd, unsigned int i)
{
	munmap((void *)mov[i].p, mov[i].size);
	free_handle(fd, mov[i].handle);
	mov[i] = mov[--nmov];
}

/* Free the movable allocations outside the region: room to move to. */
static void free_outside(int fd, const struct resmem_cma_region_info *r)
{
	unsigned int i;

	for (i = 0; i < nmov; i++)
		if (!in(r, phys_of(fd, mov[i].handle)))
			drop(fd, i--);
}

/* Every word as written (word 0: the writer's last value, if it wrote). */
static unsigned int bad_words(void)
{
	unsigned int i, bad = 0;
	__u64 w;

	for (i = 0; i < nmov; i++) {
		const struct mov *m = &mov[i];

		if (m->p[0] != (m->seq ? m->seq : word(m, 0)))
			bad++;
		for (w = 1; w < m->size / 8; w++)
			if (m->p[w] != word(m, w))
				bad++;
	}
	return bad;
}

static void *writer(void *arg)
{
	unsigned int i;
	__u64 v = 1;

	while (!stop) {
		for (i = 0; i < nwrite && !stop; i++) {
			mov[i].p[0] = ++v;
			mov[i].seq = v;
		}
	}
	return NULL;
}

FIXTURE(cma) {
	int fd;
	struct resmem_cma_region_info r;
};

FIXTURE_SETUP(cma)
{
	struct resmem_info info = { 0 };
	struct resmem_cma_region_info e[4];

	nmov = 0;
	self->fd = open(DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, DEV " missing: resmem not loaded");
	ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_GET_INFO, &info));
	ASSERT_TRUE(info.features & RESMEM_FEAT_CMA);
	ASSERT_EQ(1, list(self->fd, e, 4));
	if (strcmp(e[0].name, "t"))
		SKIP(return, "resmem not loaded with region 't'");
	self->r = e[0];
}

FIXTURE_TEARDOWN(cma)
{
	struct resmem_cma_region_info e[4];

	if (self->fd < 0)
		return;
	while (nmov)
		drop(self->fd, nmov - 1);
	close(self->fd);
	self->fd = open(DEV, O_RDWR);
	EXPECT_EQ(1, list(self->fd, e, 4));
	EXPECT_EQ(0, e[0].used);
	close(self->fd);
}

TEST_F_TIMEOUT(cma, region_listed, CMA_TEST_TIMEOUT)
{
	EXPECT_EQ(1, list(self->fd, NULL, 0));
	EXPECT_EQ(-EINVAL, list(self->fd, NULL, 2));
	EXPECT_EQ(0, self->r.id);
	EXPECT_EQ(32 << 20, self->r.size);
	EXPECT_NE(0, self->r.base);
	EXPECT_EQ(0, self->r.base % (2 << 20));
	EXPECT_EQ(0, self->r.used);
	EXPECT_EQ(self->r.size / getpagesize(), self->r.maxchunk);
	EXPECT_EQ(self->r.size / getpagesize(), num_in(CMADBG "count"));
}

/* Fill, take most of the region back, check, release; with a writer. */
TEST_F_TIMEOUT(cma, taken_back_no_data_lost, CMA_TEST_TIMEOUT)
{
	__u64 count = self->r.size / getpagesize() * 7 / 8, w;
	long long migrated0 = stat_in(CMADBG "stats", "migrated");
	struct resmem_cma_region_info e[1];
	struct resmem_alloc a;
	unsigned int iter, i, moved = 0;
	pthread_t th;
	__u64 *p;

	for (iter = 0; iter < 4; iter++) {
		fill(self->fd);
		ASSERT_EQ(1, list(self->fd, e, 1));
		EXPECT_EQ(self->r.size / getpagesize(), e[0].lent)
			TH_LOG("iteration %u: region not full", iter);
		free_outside(self->fd, &self->r);
		ASSERT_GT(nmov, 0);
		nwrite = nmov / 4;
		stop = 0;
		ASSERT_EQ(0, pthread_create(&th, NULL, writer, NULL));
		ASSERT_EQ(0, cma_buf(self->fd, self->r.id, count, 0, &a))
			TH_LOG("iteration %u", iter);
		stop = 1;
		pthread_join(th, NULL);
		EXPECT_EQ(0, bad_words()) TH_LOG("iteration %u", iter);
		for (i = 0; i < nmov; i++)
			moved += phys_of(self->fd, mov[i].handle) !=
				 mov[i].phys;
		p = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, a.mmap_offset);
		ASSERT_NE(MAP_FAILED, p);
		for (w = 0; w < a.size / 8; w += 61)
			ASSERT_EQ(0, p[w]);
		memset(p, 0x5a, a.size);
		munmap(p, a.size);
		ASSERT_EQ(1, list(self->fd, e, 1));
		EXPECT_EQ(count, e[0].used);
		ASSERT_EQ(0, free_handle(self->fd, a.handle));
		/* the moved ones are outside now: checked, let them go */
		EXPECT_EQ(0, bad_words());
		for (i = 0; i < nmov; i++)
			mov[i].phys = phys_of(self->fd, mov[i].handle);
	}
	EXPECT_GT(moved, 0);
	EXPECT_LT(migrated0, stat_in(CMADBG "stats", "migrated"));
}

TEST_F_TIMEOUT(cma, unmovable_never_in_region, CMA_TEST_TIMEOUT)
{
	struct resmem_alloc a;
	unsigned int n = 0, inside = 0;
	__u64 order;

	for (order = 4; order != ~0ULL; order--) {
		for (;;) {
			memset(&a, 0, sizeof(a));
			a.kind = RESMEM_KIND_BUDDY;
			a.order = order;
			a.node = RESMEM_NODE_ANY;
			if (ioc(self->fd, RESMEM_IOC_ALLOC, &a))
				break;
			n++;
			inside += in(&self->r, phys_of(self->fd, a.handle));
		}
	}
	EXPECT_GT(n, 0);
	EXPECT_EQ(0, inside);
}

TEST_F_TIMEOUT(cma, pinned_is_skipped, CMA_TEST_TIMEOUT)
{
	struct resmem_pin pin = { 0 };
	struct resmem_alloc a;
	unsigned int i, half = 0, pinned = ~0U;
	__u64 count = self->r.size / getpagesize();

	fill(self->fd);
	free_outside(self->fd, &self->r);
	/* free every other one: room to move the rest */
	for (i = 0; i < nmov; i++) {
		if (i % 2) {
			drop(self->fd, i);
			half++;
		}
	}
	ASSERT_GT(half, 0);
	for (i = 0; i < nmov; i++) {
		if (in(&self->r, phys_of(self->fd, mov[i].handle)) &&
		    phys_of(self->fd, mov[i].handle) >=
		    self->r.base + self->r.size / 2) {
			pinned = i;
			break;
		}
	}
	ASSERT_NE(~0U, pinned);
	pin.handle = mov[pinned].handle;
	ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_PIN, &pin));
	mov[pinned].phys = phys_of(self->fd, pin.handle);
	/* the whole region: one position, the pinned block is in it */
	EXPECT_EQ(-EBUSY, cma_buf(self->fd, self->r.id, count, 0, &a));
	EXPECT_EQ(mov[pinned].phys, phys_of(self->fd, pin.handle));
	EXPECT_EQ(0, bad_words());
	EXPECT_LT(0, stat_in(CMADBG "stats", "move_busy"));
	/* the lower half does not hold it */
	ASSERT_EQ(0, cma_buf(self->fd, self->r.id, count / 2, count / 2, &a));
	EXPECT_EQ(mov[pinned].phys, phys_of(self->fd, pin.handle));
	EXPECT_EQ(0, bad_words());
	ASSERT_EQ(0, free_handle(self->fd, a.handle));
	ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_UNPIN, &pin));
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_UNPIN, &pin));
}

TEST_F_TIMEOUT(cma, create_list_destroy, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "rt", .size = 4 << 20,
				       .node = RESMEM_NODE_ANY };
	struct resmem_cma_destroy d = { 0 };
	struct resmem_cma_region_info e[4];
	struct resmem_alloc a;

	ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
	ASSERT_EQ(2, list(self->fd, e, 4));
	EXPECT_STREQ("rt", e[0].id == c.id ? e[0].name : e[1].name);
	ASSERT_EQ(0, cma_buf(self->fd, c.id, 512, 512, &a));
	d.id = c.id;
	EXPECT_EQ(-EBUSY, ioc(self->fd, RESMEM_IOC_CMA_DESTROY, &d));
	ASSERT_EQ(0, free_handle(self->fd, a.handle));
	EXPECT_EQ(0, ioc(self->fd, RESMEM_IOC_CMA_DESTROY, &d));
	EXPECT_EQ(1, list(self->fd, e, 4));
	EXPECT_EQ(-ENOENT, ioc(self->fd, RESMEM_IOC_CMA_DESTROY, &d));
}

/* One test per rejected argument. */
TEST_F_TIMEOUT(cma, alloc_unknown_region, CMA_TEST_TIMEOUT)
{
	struct resmem_alloc a;

	EXPECT_EQ(-ENOENT, cma_buf(self->fd, self->r.id + 1, 1, 0, &a));
	EXPECT_EQ(-ENOENT, cma_buf(self->fd, 1000, 1, 0, &a));
}

TEST_F_TIMEOUT(cma, alloc_count_zero, CMA_TEST_TIMEOUT)
{
	struct resmem_alloc a;

	EXPECT_EQ(-EINVAL, cma_buf(self->fd, self->r.id, 0, 0, &a));
}

TEST_F_TIMEOUT(cma, alloc_count_above_region, CMA_TEST_TIMEOUT)
{
	struct resmem_alloc a;

	EXPECT_EQ(-EINVAL, cma_buf(self->fd, self->r.id,
				   self->r.size / getpagesize() + 1, 0, &a));
}

TEST_F_TIMEOUT(cma, alloc_bad_alignment, CMA_TEST_TIMEOUT)
{
	struct resmem_alloc a;

	EXPECT_EQ(-EINVAL, cma_buf(self->fd, self->r.id, 1, 3, &a));
}

TEST_F_TIMEOUT(cma, alloc_cma_fields, CMA_TEST_TIMEOUT)
{
	struct resmem_alloc a;

	memset(&a, 0, sizeof(a));
	a.kind = RESMEM_KIND_CMA;
	a.node = 0;
	a.count = 1;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_ALLOC, &a));
	a.node = RESMEM_NODE_ANY;
	a.flags = RESMEM_ALLOC_MOVABLE;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_ALLOC, &a));
	a.flags = 0;
	a.order = 1;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_ALLOC, &a));
	a.order = 0;
	a.pad2 = 1;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_ALLOC, &a));
}

TEST_F_TIMEOUT(cma, alloc_region_on_buddy, CMA_TEST_TIMEOUT)
{
	struct resmem_alloc a;

	memset(&a, 0, sizeof(a));
	a.kind = RESMEM_KIND_BUDDY;
	a.node = RESMEM_NODE_ANY;
	a.region = 1;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_ALLOC, &a));
}

TEST_F_TIMEOUT(cma, destroy_with_buffer, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_destroy d = { .id = self->r.id };
	struct resmem_alloc a;

	ASSERT_EQ(0, cma_buf(self->fd, self->r.id, 1, 0, &a));
	EXPECT_EQ(-EBUSY, ioc(self->fd, RESMEM_IOC_CMA_DESTROY, &d));
	ASSERT_EQ(0, free_handle(self->fd, a.handle));
}

TEST_F_TIMEOUT(cma, destroy_flags, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_destroy d = { .id = self->r.id, .flags = 1 };

	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_DESTROY, &d));
}

TEST_F_TIMEOUT(cma, create_duplicate_name, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "t", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };

	EXPECT_EQ(-EEXIST, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
}

TEST_F_TIMEOUT(cma, create_overlapping, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "o", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };

	c.base = self->r.base;
	EXPECT_EQ(-EBUSY, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
}

TEST_F_TIMEOUT(cma, create_misaligned, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "o", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };

	c.base = self->r.base - (1 << 20);
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
	c.base = 0;
	c.size = 3 << 20;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
	c.size = 0;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
}

TEST_F_TIMEOUT(cma, create_outside_ranges, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "o", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };

	c.base = 0x200000;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
}

TEST_F_TIMEOUT(cma, create_bad_name, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "Bad", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };

	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
	memset(c.name, 'a', sizeof(c.name));
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
	memset(c.name, 0, sizeof(c.name));
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
}

TEST_F_TIMEOUT(cma, create_flags, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "o", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };
	unsigned int bit;

	/* every bit but RESMEM_CMA_SYSTEM (cma_system_test's) is unknown */
	for (bit = 0; bit < 32; bit++) {
		if ((1U << bit) & RESMEM_CMA_VALID_FLAGS)
			continue;
		c.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
	}
	c.flags = ~RESMEM_CMA_VALID_FLAGS;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
}

TEST_F_TIMEOUT(cma, pin_not_movable, CMA_TEST_TIMEOUT)
{
	struct resmem_pin pin = { 0 };
	struct resmem_alloc a;

	memset(&a, 0, sizeof(a));
	a.kind = RESMEM_KIND_BUDDY;
	a.node = RESMEM_NODE_ANY;
	ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_ALLOC, &a));
	pin.handle = a.handle;
	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_PIN, &pin));
	pin.handle = a.handle + 1000;
	EXPECT_EQ(-ENOENT, ioc(self->fd, RESMEM_IOC_PIN, &pin));
	ASSERT_EQ(0, free_handle(self->fd, a.handle));
}

TEST_F_TIMEOUT(cma, pin_flags, CMA_TEST_TIMEOUT)
{
	struct resmem_pin pin = { .flags = 1 };

	EXPECT_EQ(-EINVAL, ioc(self->fd, RESMEM_IOC_PIN, &pin));
}

/* --- migration, the region table and CREATE's base (resmem issue 9) --- */

/*
 * A strict-node movable allocation of the region's node, taken back by a
 * buffer over the whole region: the data is intact and QUERY reports the
 * node it is on, which is still the region's (never crossed), or the
 * buffer fails at that position because the block could not move.
 */
/* fills the memory word by word: minutes on the debug kernel under TCG */
TEST_F_TIMEOUT(cma, strict_node_taken_back_keeps_node, CMA_TEST_TIMEOUT)
{
	__u64 count = self->r.size / getpagesize() * 7 / 8;
	struct resmem_alloc a, buf;
	struct resmem_query q;
	unsigned int n = 0, in_region = 0, i;
	__u64 *p, w;
	int ret;

	/* strict allocations on the region's node fill the memory */
	while (nmov < MAX_MOV) {
		memset(&a, 0, sizeof(a));
		a.kind = RESMEM_KIND_BUDDY;
		a.flags = RESMEM_ALLOC_MOVABLE | RESMEM_ALLOC_STRICT_NODE;
		a.order = 2;
		a.node = self->r.node;
		if (ioc(self->fd, RESMEM_IOC_ALLOC, &a))
			break;
		p = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, a.mmap_offset);
		ASSERT_NE(MAP_FAILED, p);
		mov[nmov].handle = a.handle;
		mov[nmov].size = a.size;
		mov[nmov].p = p;
		mov[nmov].seq = 0;
		mov[nmov].phys = phys_of(self->fd, a.handle);
		for (w = 0; w < a.size / 8; w++)
			p[w] = word(&mov[nmov], w);
		nmov++;
		n++;
	}
	ASSERT_GT(n, 0);
	free_outside(self->fd, &self->r);
	in_region = nmov;
	ASSERT_GT(in_region, 0);
	ret = cma_buf(self->fd, self->r.id, count, 0, &buf);
	EXPECT_TRUE(!ret || ret == -EBUSY || ret == -ENOMEM) TH_LOG("%d", ret);
	EXPECT_EQ(0, bad_words());
	for (i = 0; i < nmov; i++) {
		ASSERT_EQ(0, do_query(self->fd, mov[i].handle, &q));
		EXPECT_EQ(self->r.node, q.node);
		EXPECT_EQ(RESMEM_ALLOC_MOVABLE | RESMEM_ALLOC_STRICT_NODE,
			  q.alloc_flags);
	}
	if (!ret)
		ASSERT_EQ(0, free_handle(self->fd, buf.handle));
}

struct race {
	int fd;
	__u32 id;
	volatile int go;
	int ret;
};

static void *destroyer(void *arg)
{
	struct race *r = arg;
	struct resmem_cma_destroy d = { .id = r->id };

	while (!r->go)
		;
	r->ret = ioc(r->fd, RESMEM_IOC_CMA_DESTROY, &d);
	return NULL;
}

/* Creates "e" until it exists; its id in ->id, -1 when it never did. */
static void *creator(void *arg)
{
	struct race *r = arg;
	struct resmem_cma_create c = { .name = "e", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };
	unsigned int tries;

	while (!r->go)
		;
	for (tries = 0; tries < 100000; tries++) {
		c.id = 0;
		r->ret = ioc(r->fd, RESMEM_IOC_CMA_CREATE, &c);
		if (!r->ret) {
			r->id = c.id;
			return NULL;
		}
	}
	r->id = ~0U;
	return NULL;
}

static volatile int readers_stop;

/* Reads every debugfs file of regions "d" and "e" meanwhile. */
static void *dbg_reader(void *arg)
{
	static const char *const files[] = {
		"bitmap", "stats", "count", "used", "lent", "maxchunk",
	};
	char path[128], buf[4096];
	unsigned int i = 0;
	int f;

	while (!readers_stop) {
		snprintf(path, sizeof(path), DBG "cma/%s/%s", i & 1 ? "e" : "d",
			 files[i / 2 % 6]);
		i++;
		f = open(path, O_RDONLY);
		if (f < 0)
			continue;
		while (read(f, buf, sizeof(buf)) > 0)
			;
		close(f);
	}
	return NULL;
}

static bool listed_as(int fd, const char *name, __u32 id)
{
	struct resmem_cma_region_info e[8];
	int n = list(fd, e, 8), i;

	for (i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return e[i].id == id;
	return false;
}

/*
 * Two destroyers of one region at once, and a create racing them, many
 * rounds, with debugfs read meanwhile.  Ids are slots, so the create may
 * reuse the slot and the later destroyer may then destroy the new region:
 * both destroyers succeed only then, and that region's debugfs directory
 * must be gone with it.  Otherwise exactly one destroyer succeeds, the
 * other gets -ENOENT, and the created region is listed under its id with
 * debugfs files that read its size.  A destroyer that checked one region
 * and destroyed another would leave a directory over a freed bitmap.
 */
TEST_F_TIMEOUT(cma, destroy_races_destroy_and_create, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "d", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };
	struct resmem_cma_destroy d;
	struct race r[3];
	pthread_t th[3], rd;
	unsigned int round, i, wrong = 0, reused = 0;
	int sum;

	readers_stop = 0;
	ASSERT_EQ(0, pthread_create(&rd, NULL, dbg_reader, NULL));
	for (round = 0; round < 300 && wrong < 4; round++) {
		c.id = 0;
		ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
		for (i = 0; i < 3; i++) {
			r[i].fd = self->fd;
			r[i].id = c.id;
			r[i].go = 0;
			r[i].ret = 1;
			ASSERT_EQ(0, pthread_create(&th[i], NULL,
						    i < 2 ? destroyer : creator,
						    &r[i]));
		}
		for (i = 0; i < 3; i++)
			r[i].go = 1;
		for (i = 0; i < 3; i++)
			pthread_join(th[i], NULL);
		ASSERT_NE(~0U, r[2].id);
		EXPECT_FALSE(listed_as(self->fd, "d", c.id));
		EXPECT_NE(0, access(DBG "cma/d", F_OK));
		sum = r[0].ret + r[1].ret;
		if (sum == 0 && r[0].ret == 0 && r[2].id == c.id) {
			/* the late destroyer took e, in e's slot */
			reused++;
			if (listed_as(self->fd, "e", r[2].id) ||
			    !access(DBG "cma/e", F_OK)) {
				wrong++;
				TH_LOG("round %u: e destroyed, yet %s", round,
				       listed_as(self->fd, "e", r[2].id) ?
				       "listed" : "its debugfs directory is left");
			}
			continue;
		}
		EXPECT_EQ(-ENOENT, sum)
			TH_LOG("round %u: destroyers got %d and %d", round,
			       r[0].ret, r[1].ret);
		if (!listed_as(self->fd, "e", r[2].id)) {
			wrong++;
			TH_LOG("round %u: region e (id %u) is gone", round,
			       r[2].id);
			continue;
		}
		EXPECT_EQ(512, num_in(DBG "cma/e/count"));
		d.id = r[2].id;
		d.flags = 0;
		ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_CMA_DESTROY, &d));
	}
	readers_stop = 1;
	pthread_join(rd, NULL);
	TH_LOG("%u rounds, %u with e's slot reused", round, reused);
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(1, list(self->fd, NULL, 0));
}

/* CREATE's base: 0 places it (auto); any other must be a real address. */
TEST_F_TIMEOUT(cma, create_base_zero_is_auto, CMA_TEST_TIMEOUT)
{
	struct resmem_cma_create c = { .name = "z", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };
	struct resmem_cma_destroy d = { 0 };
	struct resmem_cma_region_info e[4];
	int n, i;

	ASSERT_EQ(0, ioc(self->fd, RESMEM_IOC_CMA_CREATE, &c));
	n = list(self->fd, e, 4);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++)
		if (!strcmp(e[i].name, "z"))
			EXPECT_NE(0, e[i].base);
	d.id = c.id;
	EXPECT_EQ(0, ioc(self->fd, RESMEM_IOC_CMA_DESTROY, &d));
}

static int create_at(int fd, __u64 base, __u64 size)
{
	struct resmem_cma_create c = { .name = "b", .size = size,
				       .node = RESMEM_NODE_ANY };
	struct resmem_cma_destroy d = { 0 };
	int ret;

	c.base = base;
	ret = ioc(fd, RESMEM_IOC_CMA_CREATE, &c);
	if (!ret) {
		d.id = c.id;
		ioc(fd, RESMEM_IOC_CMA_DESTROY, &d);
	}
	return ret;
}

TEST_F_TIMEOUT(cma, create_base_all_ones, CMA_TEST_TIMEOUT)
{
	EXPECT_EQ(-EINVAL, create_at(self->fd, ~0ULL, 2 << 20));
	EXPECT_EQ(1, list(self->fd, NULL, 0));
}

TEST_F_TIMEOUT(cma, create_base_in_no_range, CMA_TEST_TIMEOUT)
{
	/* pageblock aligned, far above any memory */
	EXPECT_EQ(-EINVAL, create_at(self->fd, 1ULL << 46, 2 << 20));
	EXPECT_EQ(-EINVAL, create_at(self->fd, ~0ULL << 21, 2 << 20));
}

/* t lies at the top of its block: 4 MiB from 2 MiB below its end */
TEST_F_TIMEOUT(cma, create_base_runs_past_its_block, CMA_TEST_TIMEOUT)
{
	EXPECT_EQ(-EINVAL, create_at(self->fd, self->r.base + self->r.size -
				     (2 << 20), 4 << 20));
}

/*
 * The walk over the region (issue 9.2): a pinned block at the start, in
 * the middle or at the end of an almost empty region, and buffers with
 * align 0 and 1 that fit only around it.
 */

/* Page offset in the region of movable allocation @i. */
static __u64 off_of(int fd, const struct resmem_cma_region_info *r,
		    unsigned int i)
{
	return (phys_of(fd, mov[i].handle) - r->base) / getpagesize();
}

/*
 * Fill the memory with order-4 movable allocations, then keep only those
 * in the region nearest to page offsets @at[0..n), pinned; their handles
 * go to @pinned.  The region holds nothing else.
 */
static void pins_at(struct __test_metadata *_metadata, int fd,
		    const struct resmem_cma_region_info *r, const __u64 *at,
		    unsigned int n, __u64 *pinned)
{
	struct resmem_pin pin = { 0 };
	unsigned int i, j, k, best;
	__u64 d, bd;

	fill_order(fd, 4);
	for (j = 0; j < n; j++) {
		best = ~0U;
		bd = ~0ULL;
		for (i = 0; i < nmov; i++) {
			if (!in(r, phys_of(fd, mov[i].handle)) ||
			    mov[i].size != 16ULL * getpagesize())
				continue;
			d = off_of(fd, r, i) > at[j] ? off_of(fd, r, i) - at[j] :
						       at[j] - off_of(fd, r, i);
			for (k = 0; k < j && mov[i].handle != pinned[k]; k++)
				;
			if (d < bd && k == j) {
				bd = d;
				best = i;
			}
		}
		ASSERT_NE(~0U, best)
			TH_LOG("no block near page %llu",
			       (unsigned long long)at[j]);
		pinned[j] = mov[best].handle;
	}
	for (i = 0; i < nmov; i++) {
		for (j = 0; j < n && mov[i].handle != pinned[j]; j++)
			;
		if (j == n)
			drop(fd, i--);
	}
	ASSERT_EQ(n, nmov);
	for (i = 0; i < nmov; i++) {
		mov[i].phys = phys_of(fd, mov[i].handle);
		pin.handle = mov[i].handle;
		ASSERT_EQ(0, ioc(fd, RESMEM_IOC_PIN, &pin));
	}
}

/* Unpin what pins_at() pinned. */
static void unpin_all(struct __test_metadata *_metadata, int fd)
{
	struct resmem_pin pin = { 0 };
	unsigned int i;

	for (i = 0; i < nmov; i++) {
		pin.handle = mov[i].handle;
		EXPECT_EQ(0, ioc(fd, RESMEM_IOC_UNPIN, &pin));
	}
}

/*
 * A buffer of @count pages, align 0 and then 1: it must be served at page
 * offset @want, the pinned blocks unmoved and their data intact.
 */
static void around_pins(struct __test_metadata *_metadata, int fd,
			const struct resmem_cma_region_info *r, __u64 count,
			__u64 want)
{
	struct resmem_alloc a;
	unsigned int i;
	__u64 align;

	for (align = 0; align < 2; align++) {
		ASSERT_EQ(0, cma_buf(fd, r->id, count, align, &a))
			TH_LOG("count %llu align %llu",
			       (unsigned long long)count,
			       (unsigned long long)align);
		EXPECT_EQ(r->base + want * getpagesize(), phys_of(fd, a.handle))
			TH_LOG("align %llu", (unsigned long long)align);
		for (i = 0; i < nmov; i++)
			EXPECT_EQ(mov[i].phys, phys_of(fd, mov[i].handle));
		EXPECT_EQ(0, bad_words());
		ASSERT_EQ(0, free_handle(fd, a.handle));
	}
}

TEST_F_TIMEOUT(cma, walk_pin_at_start, CMA_TEST_TIMEOUT)
{
	static const __u64 at[] = { 0 };
	__u64 pages = self->r.size / getpagesize(), pinned[1];

	pins_at(_metadata, self->fd, &self->r, at, 1, pinned);
	ASSERT_EQ(0, off_of(self->fd, &self->r, 0));
	/* the whole region past the pin, and one page */
	around_pins(_metadata, self->fd, &self->r, pages - 16, 16);
	around_pins(_metadata, self->fd, &self->r, 1, 16);
	unpin_all(_metadata, self->fd);
}

TEST_F_TIMEOUT(cma, walk_pin_in_middle, CMA_TEST_TIMEOUT)
{
	__u64 pages = self->r.size / getpagesize(), pinned[1], off;
	const __u64 at[] = { pages / 2 - 64 };

	pins_at(_metadata, self->fd, &self->r, at, 1, pinned);
	off = off_of(self->fd, &self->r, 0);
	ASSERT_LT(off, pages / 2 - 16);
	/* one page more than fits below the pin: only above it */
	around_pins(_metadata, self->fd, &self->r, off + 1, off + 16);
	/* what fits below still goes there */
	around_pins(_metadata, self->fd, &self->r, off, 0);
	unpin_all(_metadata, self->fd);
}

TEST_F_TIMEOUT(cma, walk_pin_at_end, CMA_TEST_TIMEOUT)
{
	__u64 pages = self->r.size / getpagesize(), pinned[2];
	const __u64 at[] = { pages - 16, 0 };
	struct resmem_alloc a;

	pins_at(_metadata, self->fd, &self->r, at, 2, pinned);
	/* between the pins: the region less both */
	around_pins(_metadata, self->fd, &self->r, pages - 32, 16);
	/* one page more: no position, and nothing moved */
	EXPECT_EQ(-EBUSY, cma_buf(self->fd, self->r.id, pages - 31, 1, &a));
	EXPECT_EQ(0, bad_words());
	unpin_all(_metadata, self->fd);
}

TEST_HARNESS_MAIN
