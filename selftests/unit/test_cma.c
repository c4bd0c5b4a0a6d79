// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/cma.c against the oracle: a region is lent to movable
 * allocations and taken back by migration; unmovable allocations and
 * memarea never land in it; isolated pageblocks are never handed out; every
 * movable block keeps its data through every migration; a pinned block is
 * skipped, not moved.  The full checker (free lists, bitmap, summaries,
 * special pageblocks) runs after every step.
 */
#include "kselftest_harness.h"
#include "oracle.h"

/* 2048 pages (4 pageblocks) at 4 MiB into block 0, which starts aligned. */
#define CMA_BASE	(0x10000 + 1024)
#define CMA_COUNT	2048

static struct rm_cma cma;
static bool pinned[1 << 16];
static u64 migrations, isolated_handed_out;

/* Tag in flags bits 16+: the block is filled with its low byte. */
static unsigned int tag_of(unsigned int i)
{
	return live[i].flags >> 16;
}

static u8 *virt(u64 pfn)
{
	return rm_block_pfn_to_virt(rm_region_find(&rg, pfn), pfn);
}

static void fill(unsigned int i)
{
	memset(virt(live[i].pfn), tag_of(i) & 0xff,
	       PAGE_SIZE << live[i].order);
}

static bool intact(unsigned int i)
{
	u8 *p = virt(live[i].pfn);
	u64 n;

	for (n = 0; n < PAGE_SIZE << live[i].order; n += 509)
		if (p[n] != (tag_of(i) & 0xff))
			return false;
	return true;
}

static bool in_region(u64 pfn, u64 nr)
{
	return pfn < CMA_BASE + CMA_COUNT && CMA_BASE < pfn + nr;
}

static bool any_isolated(u64 pfn, unsigned int order)
{
	struct rm_block *blk = rm_region_find(&rg, pfn);
	u64 q;

	for (q = pfn; q < pfn + (1ULL << order); q += RM_PAGEBLOCK_NR)
		if (blk->pb_mt[rm_block_pb(blk, q)] == RM_MT_ISOLATE)
			return true;
	return false;
}

/* The owner's side of migration: copy to a new block, free the old. */
static int migrate(void *arg, u64 pfn, unsigned int order)
{
	unsigned int i;
	u64 to;

	for (i = 0; i < nlive; i++)
		if (!live[i].count && live[i].pfn == pfn)
			break;
	if (i == nlive || live[i].order != order)
		return -EINVAL;
	if (pinned[i])
		return -EBUSY;
	to = rm_buddy_alloc(&b, order, NUMA_NO_NODE, RM_ALLOC_MOVABLE,
			    RM_PK_BUDDY);
	if (to == RM_NO_PFN)
		return -ENOMEM;
	if (any_isolated(to, order))
		isolated_handed_out++;
	memcpy(virt(to), virt(pfn), PAGE_SIZE << order);
	rm_buddy_free(&b, pfn, order);
	live[i].pfn = to;
	migrations++;
	return 0;
}

static void setup_cma(struct __test_metadata *_metadata)
{
	setup(10);
	memset(pinned, 0, sizeof(pinned));
	migrations = 0;
	isolated_handed_out = 0;
	ASSERT_EQ(0, rm_cma_init(&cma, &b, "test", CMA_BASE, CMA_COUNT));
	oracle_cma = &cma;
	check(_metadata);
}

static unsigned int alloc_movable(unsigned int order, unsigned int tag)
{
	u64 pfn = rm_buddy_alloc(&b, order, 0, RM_ALLOC_MOVABLE,
				 RM_PK_BUDDY);

	if (pfn == RM_NO_PFN)
		return ~0U;
	live[nlive] = (struct alloc){ pfn, order, 0,
				      RM_ALLOC_MOVABLE | tag << 16, 0 };
	pinned[nlive] = false;
	fill(nlive);
	return nlive++;
}

/* Keep pinned[] in step with free_at()'s swap. */
static void free_live(unsigned int i)
{
	pinned[i] = pinned[nlive - 1];
	free_at(i);
}

TEST(region_setup_and_bad_regions)
{
	struct rm_cma other;

	setup_cma(_metadata);
	EXPECT_EQ(4, rg.block[0].special_pb);
	/* overlapping, misaligned, outside a block, busy, bad names */
	EXPECT_EQ(-EBUSY, rm_cma_init(&other, &b, "x", CMA_BASE, 512));
	EXPECT_EQ(-EINVAL, rm_cma_init(&other, &b, "x", CMA_BASE + 1, 512));
	EXPECT_EQ(-EINVAL, rm_cma_init(&other, &b, "x", 0x10000, 100));
	EXPECT_EQ(-EINVAL, rm_cma_init(&other, &b, "x", 0x11e00, 1024));
	EXPECT_EQ(-EINVAL, rm_cma_init(&other, &b, "", 0x11000, 512));
	EXPECT_EQ(-EINVAL, rm_cma_init(&other, &b, "sixteen_chars_xx",
				       0x11000, 512));
	/* metadata pages are in use: a region over them is busy */
	EXPECT_EQ(-EBUSY, rm_cma_init(&other, &b, "x", 0x10000, 512));
	check(_metadata);
	EXPECT_EQ(0, rm_cma_destroy(&cma));
	EXPECT_EQ(0, rg.block[0].special_pb);
	check(_metadata);
}

TEST(unmovable_and_memarea_never_in_region)
{
	struct rm_memarea_req q = { .count = 3, .nid = 0,
				    .flags = RM_ALLOC_STRICT_NODE };
	u64 pfn;

	setup_cma(_metadata);
	while ((pfn = rm_buddy_alloc(&b, 0, 0, RM_ALLOC_STRICT_NODE,
				     RM_PK_BUDDY)) != RM_NO_PFN) {
		ASSERT_FALSE(in_region(pfn, 1));
		live[nlive++] = (struct alloc){ pfn, 0, 0, 0, 0 };
	}
	while (nlive)
		free_at(nlive - 1);
	rm_buddy_drain(&b);
	while (rm_memarea_check(&b, &q) == 0 &&
	       (pfn = rm_memarea_alloc(&ma, &q)) != RM_NO_PFN) {
		ASSERT_FALSE(in_region(pfn, 3));
		live[nlive++] = (struct alloc){ pfn, 0, 0, 0, 3 };
	}
	/* what is left on node 0 is the region, lent to movable only */
	ASSERT_NE(~0U, alloc_movable(0, 1));
	ASSERT_TRUE(in_region(live[nlive - 1].pfn, 1));
	check(_metadata);
}

TEST(lent_then_taken_back)
{
	u64 pfn, moved0;
	unsigned int i, tag = 1;
	int err = 0;

	setup_cma(_metadata);
	/* fill node 0 with movable data, then free every other block */
	while (alloc_movable(1, tag) != ~0U)
		tag++;
	for (i = 0; i < nlive; i++)
		if (live[i].pfn % 4 == 2 && !in_region(live[i].pfn, 2))
			free_live(i--);
	rm_buddy_drain(&b);
	check(_metadata);
	for (i = 0; i < nlive; i++)
		if (in_region(live[i].pfn, 2))
			break;
	ASSERT_LT(i, nlive);		/* the region is lent */

	/* a buffer over most of the region: its tenants move out */
	moved0 = migrations;
	pfn = rm_cma_alloc(&cma, CMA_COUNT - 512, 0, migrate, NULL, &err);
	ASSERT_NE(RM_NO_PFN, pfn) TH_LOG("err %d", err);
	ASSERT_TRUE(in_region(pfn, CMA_COUNT - 512));
	EXPECT_GT(migrations, moved0);
	EXPECT_EQ(0, isolated_handed_out);
	EXPECT_EQ(migrations - moved0, cma.st.migrated);
	for (i = 0; i < nlive; i++)
		ASSERT_TRUE(intact(i)) TH_LOG("block %u", i);
	check_summaries(_metadata);
	/* release: the memory is lent again */
	ASSERT_EQ(0, rm_cma_release(&cma, pfn, CMA_COUNT - 512));
	ASSERT_NE(~0U, alloc_movable(0, tag));
	check(_metadata);
}

TEST(lent_excludes_per_cpu_caches)
{
	struct rm_cma_usage u;
	struct rm_buddy_stats st;
	unsigned int i, tag = 1;

	setup_cma(_metadata);
	/* movable order-0 blocks until node 0 is full: the region is lent */
	while (alloc_movable(0, tag) != ~0U)
		tag++;
	rm_cma_usage(&cma, &u);
	EXPECT_EQ(CMA_COUNT, u.lent);
	EXPECT_EQ(0, u.free);
	/* free the rest first, then the region's: those stay in the caches */
	for (i = 0; i < nlive; i++)
		if (!in_region(live[i].pfn, 1))
			free_live(i--);
	rm_buddy_drain(&b);
	while (nlive)
		free_live(nlive - 1);
	rm_buddy_stats(&b, &st);
	ASSERT_GT(st.pcp_pages, 0);
	check(_metadata);
	/* every allocation is freed: nothing is lent, all of it is free */
	rm_cma_usage(&cma, &u);
	EXPECT_EQ(0, u.used);
	EXPECT_EQ(0, u.lent);
	EXPECT_EQ(CMA_COUNT, u.free);
	EXPECT_EQ(CMA_COUNT, u.maxchunk);
	rm_buddy_drain(&b);
	rm_cma_usage(&cma, &u);
	EXPECT_EQ(0, u.lent);
	EXPECT_EQ(CMA_COUNT, u.free);
}

/* maxchunk against brute force, on a region longer than one hold's words */
TEST(maxchunk_across_holds)
{
	struct rm_cma big;
	struct rm_cma_usage u;
	u64 i, run, best, n = 7680, seed = 7;
	unsigned int round;

	setup(10);
	ASSERT_EQ(0, rm_cma_init(&big, &b, "big", 0x10000 + 512, n));
	for (round = 0; round < 200; round++) {
		/* runs of handed-out bits, written behind the region's back */
		memset(big.bitmap, 0, BITS_TO_LONGS(n) * sizeof(long));
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			if ((seed >> 33) % 1000 < (round % 10) * 100)
				rm_bitmap_set(big.bitmap, i,
					      min(1 + (seed >> 50) % 300,
						  n - i));
			i += (seed >> 40) % (round % 7 == 0 ? 5000 : 100);
		}
		for (i = 0, run = 0, best = 0; i < n; i++) {
			run = rm_bitmap_test(big.bitmap, i) ? 0 : run + 1;
			best = max(best, run);
		}
		rm_cma_usage(&big, &u);
		ASSERT_EQ(best, u.maxchunk) TH_LOG("round %u", round);
	}
	memset(big.bitmap, 0, BITS_TO_LONGS(n) * sizeof(long));
	ASSERT_EQ(0, rm_cma_destroy(&big));
}

/* A region of 15 pageblocks: retyped in pieces, checked after each step */
TEST(big_region_retyped_in_pieces)
{
	struct rm_cma big;
	unsigned int i, tag = 1;
	u64 seed = 3, pfn;
	int err = 0;

	setup(10);
	memset(pinned, 0, sizeof(pinned));
	ASSERT_EQ(0, rm_cma_init(&big, &b, "big", 0x10000 + 512, 7680));
	oracle_cma = &big;
	EXPECT_EQ(15, rg.block[0].special_pb);
	check(_metadata);
	/* lend it to movable blocks of mixed orders, free some again */
	while (alloc_movable(seed % 6, tag) != ~0U) {
		seed = seed * 6364136223846793005ULL + 1;
		tag++;
	}
	for (i = 0; i < nlive; i++) {
		seed = seed * 6364136223846793005ULL + 1;
		if ((seed >> 33) & 1)
			free_live(i--);
	}
	check(_metadata);
	/* a take-back that fails isolates and restores its range */
	pinned[0] = true;
	pfn = rm_cma_alloc(&big, 7680, 0, migrate, NULL, &err);
	EXPECT_EQ(RM_NO_PFN, pfn);
	check(_metadata);
	/* back to movable, with lent pages and free blocks mixed */
	ASSERT_EQ(0, rm_cma_destroy(&big));
	EXPECT_EQ(0, rg.block[0].special_pb);
	check(_metadata);
	/* busy while lent pages remain; free once they are gone */
	EXPECT_EQ(-EBUSY, rm_cma_init(&big, &b, "big", 0x10000 + 512, 7680));
	EXPECT_EQ(0, rg.block[0].special_pb);
	while (nlive)
		free_live(nlive - 1);
	rm_buddy_drain(&b);
	check(_metadata);
	ASSERT_EQ(0, rm_cma_init(&big, &b, "big", 0x10000 + 512, 7680));
	check(_metadata);
	pfn = rm_cma_alloc(&big, 4096, 0, migrate, NULL, &err);
	ASSERT_NE(RM_NO_PFN, pfn);
	check(_metadata);
	ASSERT_EQ(0, rm_cma_release(&big, pfn, 4096));
	ASSERT_EQ(0, rm_cma_destroy(&big));
	oracle_cma = NULL;
	check(_metadata);
}

TEST(pinned_block_is_skipped)
{
	unsigned int i, tag = 1, pin = ~0U;
	u64 pfn;
	int err = 0;

	setup_cma(_metadata);
	while (alloc_movable(0, tag) != ~0U)
		tag++;
	for (i = 0; i < nlive; i++)
		if (tag_of(i) % 3)
			free_live(i--);
	rm_buddy_drain(&b);
	/* pin one tenant in the first pageblock of the region */
	for (i = 0; i < nlive; i++)
		if (live[i].pfn >= CMA_BASE && live[i].pfn < CMA_BASE + 512)
			pin = i;
	ASSERT_NE(~0U, pin);
	pinned[pin] = true;
	pfn = rm_cma_alloc(&cma, 512, 512, migrate, NULL, &err);
	ASSERT_NE(RM_NO_PFN, pfn);
	/* it went around the pinned block, which did not move */
	EXPECT_FALSE(pfn <= live[pin].pfn && live[pin].pfn < pfn + 512);
	EXPECT_GE(cma.st.retries, 1);
	for (i = 0; i < nlive; i++)
		ASSERT_TRUE(intact(i));
	/* the whole region cannot be had while the pin holds */
	ASSERT_EQ(0, rm_cma_release(&cma, pfn, 512));
	EXPECT_EQ(RM_NO_PFN, rm_cma_alloc(&cma, CMA_COUNT, 0, migrate, NULL,
					  &err));
	EXPECT_EQ(-EBUSY, err);
	EXPECT_EQ(0, isolated_handed_out);
	check(_metadata);
	pinned[pin] = false;
	pfn = rm_cma_alloc(&cma, CMA_COUNT, 0, migrate, NULL, &err);
	ASSERT_EQ(CMA_BASE, pfn);
	EXPECT_EQ(-EBUSY, rm_cma_destroy(&cma));
	for (i = 0; i < nlive; i++)
		ASSERT_TRUE(intact(i));
	check(_metadata);
}

TEST(random_workload)
{
	struct {
		u64 pfn, count;
	} bufs[64];
	unsigned int nb = 0, step, i, tag = 1, ok = 0, fail = 0;
	int err;

	setup_cma(_metadata);
	srandom(11);
	/* memory tight: the region is lent out from the start */
	while (alloc_movable(random() % 3, tag) != ~0U)
		tag++;
	for (i = 0; i < nlive; i++)
		if (random() % 2)
			free_live(i--);
	for (step = 0; step < 1500; step++) {
		unsigned int r = random() % 100;

		rm_user_cpu = random() % RM_USER_NR_CPUS;
		if (r < 45) {
			alloc_movable(random() % 4, tag++);
		} else if (r < 55) {
			unsigned int order = random() % 3;
			u64 pfn = rm_buddy_alloc(&b, order, 0, 0, RM_PK_BUDDY);

			if (pfn != RM_NO_PFN) {
				ASSERT_FALSE(in_region(pfn, 1 << order));
				live[nlive] = (struct alloc){ pfn, order, 0, 0,
							      0 };
				pinned[nlive++] = false;
			}
		} else if (r < 65 && nb < 64) {
			u64 count = 1 + random() % 700, pfn;

			err = 0;
			pfn = rm_cma_alloc(&cma, count, 1ULL << (random() % 4),
					   migrate, NULL, &err);
			if (pfn != RM_NO_PFN) {
				ASSERT_TRUE(in_region(pfn, count));
				bufs[nb].pfn = pfn;
				bufs[nb++].count = count;
				ok++;
			} else {
				ASSERT_TRUE(err == -ENOMEM || err == -EBUSY);
				fail++;
			}
		} else if (r < 72 && nb) {
			i = random() % nb;
			ASSERT_EQ(0, rm_cma_release(&cma, bufs[i].pfn,
						    bufs[i].count));
			bufs[i] = bufs[--nb];
		} else if (nlive) {
			free_live(random() % nlive);
		}
		if (step % 10 == 0 || r >= 55)
			check(_metadata);
		ASSERT_EQ(0, isolated_handed_out);
	}
	for (i = 0; i < nlive; i++)
		if (!live[i].count && (live[i].flags & RM_ALLOC_MOVABLE))
			ASSERT_TRUE(intact(i));
	TH_LOG("%u buffers, %u failed, %llu blocks migrated", ok, fail,
	       (unsigned long long)migrations);
	EXPECT_GT(ok, 50);
	EXPECT_GT(migrations, 50);
	while (nb) {
		nb--;
		ASSERT_EQ(0, rm_cma_release(&cma, bufs[nb].pfn,
					    bufs[nb].count));
	}
	while (nlive)
		free_live(0);
	rm_buddy_drain(&b);
	check(_metadata);
	EXPECT_EQ(0, rm_cma_destroy(&cma));
	check(_metadata);
}

TEST_HARNESS_MAIN
