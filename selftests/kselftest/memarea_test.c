// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/resmem memarea allocations: odd-sized areas mapped and checked,
 * alignment and offset, node binding, an area found in a fragmented range
 * where the buddy alone cannot serve it, and one test per rejected
 * argument with every counter unchanged.  Run as root with resmem freshly
 * loaded on the test VM's two ranges.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

static int area(int fd, __u64 count, __u64 align, __u64 offset, int node,
		__u32 flags, __u32 policy, struct resmem_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = RESMEM_KIND_MEMAREA;
	a->count = count;
	a->align = align;
	a->offset = offset;
	a->node = node;
	a->flags = flags;
	a->policy = policy;
	return ioctl(fd, RESMEM_IOC_ALLOC, a) ? -errno : 0;
}

FIXTURE(ma) {
	int fd;
	struct resmem_info info;
	struct resmem_block_info blk[8];
	long long free0;
};

FIXTURE_SETUP(ma)
{
	self->fd = open(DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, DEV " missing: resmem not loaded");
	memset(&self->info, 0, sizeof(self->info));
	self->info.nr_blocks = 8;
	self->info.block_size = sizeof(self->blk[0]);
	self->info.blocks_ptr = (uintptr_t)self->blk;
	ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_GET_INFO, &self->info));
	ASSERT_TRUE(self->info.features & RESMEM_FEAT_MEMAREA);
	self->free0 = free_pages();
	ASSERT_EQ(self->info.total_pages - self->info.meta_pages, self->free0);
}

FIXTURE_TEARDOWN(ma)
{
	if (self->fd < 0)
		return;
	close(self->fd);
	EXPECT_EQ(self->free0, free_pages());
}

/* Odd sizes, the last nearly the whole 512 MiB block, written and read. */
TEST_F(ma, odd_sizes_mapped)
{
	__u64 sizes[] = { 1, 3, 777, 65535,
			  self->blk[0].size / getpagesize() -
			  self->blk[0].meta_pages - 4097 };
	struct resmem_alloc a;
	struct resmem_query q;
	unsigned int i;
	__u64 *p, w;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ASSERT_EQ(0, area(self->fd, sizes[i], 0, 0, 0,
				  RESMEM_ALLOC_STRICT_NODE, 0, &a))
			TH_LOG("%llu pages", (unsigned long long)sizes[i]);
		EXPECT_EQ(sizes[i] * getpagesize(), a.size);
		ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
		EXPECT_EQ(RESMEM_KIND_MEMAREA, q.kind);
		EXPECT_EQ(0, q.node);
		p = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, a.mmap_offset);
		ASSERT_NE(MAP_FAILED, p);
		for (w = 0; w < a.size / 8; w += 509)
			ASSERT_EQ(0, p[w]);
		for (w = 0; w < a.size / 8; w++)
			p[w] = w * 0x9e3779b97f4a7c15ULL + i;
		for (w = 0; w < a.size / 8; w++)
			ASSERT_EQ(w * 0x9e3779b97f4a7c15ULL + i, p[w]);
		munmap(p, a.size);
		ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_FREE,
				   &(struct resmem_free){ .handle = a.handle }));
	}
}

TEST_F(ma, alignment_and_offset)
{
	static const __u64 cases[][3] = {
		/* count, align, offset */
		{ 5, 512, 0 }, { 5, 512, 511 }, { 1000, 1024, 3 },
		{ 3, 2, 1 }, { 7, 4096, 4095 },
	};
	struct resmem_alloc a;
	struct resmem_query q;
	unsigned int i, ps = getpagesize();

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, area(self->fd, cases[i][0], cases[i][1],
				  cases[i][2], -1, 0, 0, &a));
		ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
		EXPECT_EQ(cases[i][2], (q.phys / ps) % cases[i][1])
			TH_LOG("case %u", i);
	}
}

TEST_F(ma, every_policy_and_node)
{
	struct resmem_alloc a;
	struct resmem_query q;
	__u32 pol;

	for (pol = 0; pol <= RESMEM_POLICY_MAX; pol++) {
		ASSERT_EQ(0, area(self->fd, 100 + pol, 0, 0, 1,
				  RESMEM_ALLOC_STRICT_NODE, pol, &a));
		ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
		EXPECT_EQ(1, q.node);
	}
	/* more than node 1 holds: strict fails, a preference falls back */
	EXPECT_EQ(-ENOMEM, area(self->fd, self->blk[1].size / getpagesize(),
				0, 0, 1, RESMEM_ALLOC_STRICT_NODE, 0, &a));
	ASSERT_EQ(0, area(self->fd, self->blk[1].size / getpagesize(), 0, 0,
			  1, 0, 0, &a));
	ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
	EXPECT_EQ(0, q.node);
}

/*
 * Fragment node 1: order-0 buddy pages everywhere, then free a 5-page hole
 * that no buddy order-3 block fits (aligned to 1 page, not 8) plus single
 * pages.  memarea finds the hole; fragmentation failures are counted.
 */
TEST_F(ma, area_where_buddy_cannot)
{
	static __u64 h[20000];
	struct resmem_alloc a, b;
	struct resmem_query q;
	long long fails;
	int n = 0, i, hole = -1;
	__u64 ps = getpagesize(), hole_phys = 0;

	for (;;) {
		memset(&b, 0, sizeof(b));
		b.node = 1;
		b.flags = RESMEM_ALLOC_STRICT_NODE;
		if (ioctl(self->fd, RESMEM_IOC_ALLOC, &b))
			break;
		ASSERT_LT(n, 20000);
		h[n++] = b.handle;
	}
	ASSERT_GT(n, 1000);
	/* find 5 consecutive pages starting at an odd page: the hole */
	for (i = 0; i + 4 < n && hole < 0; i++) {
		struct resmem_query q0, q4;

		do_query(self->fd, h[i], &q0);
		do_query(self->fd, h[i + 4], &q4);
		if ((q0.phys / ps) % 8 == 3 && q4.phys == q0.phys + 4 * ps) {
			hole = i;
			hole_phys = q0.phys;
		}
	}
	ASSERT_GE(hole, 0);
	for (i = 0; i < n; i++) {
		struct resmem_free f = { .handle = h[i] };

		if ((i >= hole && i < hole + 5) ||
		    (i % 7 == 0 && (i < hole - 1 || i > hole + 5)))
			ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_FREE, &f));
	}
	/* no order-3 block is free on node 1 ... */
	memset(&b, 0, sizeof(b));
	b.order = 3;
	b.node = 1;
	b.flags = RESMEM_ALLOC_STRICT_NODE;
	EXPECT_EQ(-1, ioctl(self->fd, RESMEM_IOC_ALLOC, &b));
	EXPECT_EQ(ENOMEM, errno);
	/* ... but the 5-page area is */
	ASSERT_EQ(0, area(self->fd, 5, 0, 0, 1, RESMEM_ALLOC_STRICT_NODE,
			  RESMEM_POLICY_BEST_FIT, &a));
	ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
	EXPECT_EQ(hole_phys, q.phys);	/* best fit: the 5-page hole */
	/* a second one does not fit anywhere: a fragmentation failure */
	fails = stat_in(DBG "memarea/stats", "fragmentation_failures");
	EXPECT_EQ(-ENOMEM, area(self->fd, 5, 0, 0, 1,
				RESMEM_ALLOC_STRICT_NODE, 0, &a));
	EXPECT_EQ(fails + 1,
		  stat_in(DBG "memarea/stats", "fragmentation_failures"));
}

/* --- one test per rejected argument; no counter moves --- */

static void expect_einval(struct __test_metadata *_metadata, int fd,
			  struct resmem_alloc *a)
{
	long long req = stat_in(DBG "memarea/stats", "requests");
	long long allocs = stat_in(DBG "stats", "allocations");
	long long pages = free_pages();

	a->kind = RESMEM_KIND_MEMAREA;
	EXPECT_EQ(-1, ioctl(fd, RESMEM_IOC_ALLOC, a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(req, stat_in(DBG "memarea/stats", "requests"));
	EXPECT_EQ(allocs, stat_in(DBG "stats", "allocations"));
	EXPECT_EQ(pages, free_pages());
}

TEST_F(ma, count_zero)
{
	struct resmem_alloc a = { .node = -1 };

	expect_einval(_metadata, self->fd, &a);
}

TEST_F(ma, count_above_any_block)
{
	struct resmem_alloc a = { .node = -1,
				  .count = self->blk[0].size / getpagesize() };

	expect_einval(_metadata, self->fd, &a);
}

TEST_F(ma, count_overflows_bytes)
{
	struct resmem_alloc a = { .node = -1, .count = 1ULL << 60 };

	expect_einval(_metadata, self->fd, &a);
	a.count = ~0ULL;
	expect_einval(_metadata, self->fd, &a);
}

TEST_F(ma, align_not_power_of_two)
{
	struct resmem_alloc a = { .node = -1, .count = 1, .align = 3 };

	expect_einval(_metadata, self->fd, &a);
	a.align = 1ULL << 63 | 1;
	expect_einval(_metadata, self->fd, &a);
}

TEST_F(ma, offset_not_below_align)
{
	struct resmem_alloc a = { .node = -1, .count = 1, .align = 8,
				  .offset = 8 };

	expect_einval(_metadata, self->fd, &a);
	a.align = 0;
	a.offset = 1;
	expect_einval(_metadata, self->fd, &a);
}

/* memarea pages are never migrated: RESMEM_ALLOC_MOVABLE is refused */
TEST_F(ma, movable_refused)
{
	struct resmem_alloc a = { .node = -1, .count = 1,
				  .flags = RESMEM_ALLOC_MOVABLE };

	expect_einval(_metadata, self->fd, &a);
	a.count = 512;
	a.align = 512;
	expect_einval(_metadata, self->fd, &a);
}

TEST_F(ma, unknown_policy)
{
	struct resmem_alloc a = { .node = -1, .count = 1,
				  .policy = RESMEM_POLICY_MAX + 1 };

	expect_einval(_metadata, self->fd, &a);
}

TEST_F(ma, unknown_flags)
{
	struct resmem_alloc a = { .node = -1, .count = 1, .flags = 1U << 8 };

	expect_einval(_metadata, self->fd, &a);
}

TEST_F(ma, order_set)
{
	struct resmem_alloc a = { .node = -1, .count = 1, .order = 1 };

	expect_einval(_metadata, self->fd, &a);
}

TEST_HARNESS_MAIN
