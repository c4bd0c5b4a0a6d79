// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/cma.c against the oracle: a region is lent to movable
 * allocations and taken back by migration; unmovable allocations and
 * memarea never land in it; isolated pageblocks are never handed out; every
 * movable block keeps its data through every migration; a pinned block is
 * skipped, not moved.  The full checker (free lists, bitmap, summaries,
 * special pageblocks) runs after every step.
 *
 * The walk: with pins at the start, middle and end and any alignment, a
 * request lands at the first position a brute-force search finds free of
 * buffers and pins, or fails only when there is none.  Frees racing with
 * isolation (a hook between rm_buddy_free()'s checks and its lock, and
 * two threads) never leave a block on a list of the wrong type or cached
 * in an isolated pageblock.
 *
 * The table of regions: random creates, two-step destructions and lookups
 * by id, name and pfn against an array model.
 *
 * A region lent to the system: a lend refused (a movable page at the
 * region's first page, its last, its middle; a buffer; a second lend)
 * leaves the whole buddy as it was; an unlend leaves it as before the
 * lend; rm_cma_place_aligned() at 8 pageblocks and its bad alignments;
 * rm_cma_reserve()'s checks and rm_cma_usage(); and a model of 100,000
 * random takes (a fake callback refusing pinned pages), releases,
 * reservations and bad releases against a brute-force first fit.
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
	if (rm_stats_enabled())
		EXPECT_EQ(migrations - moved0, cma.st.migrated);
	for (i = 0; i < nlive; i++)
		ASSERT_TRUE(intact(i)) TH_LOG("block %u", i);
	check_summaries(_metadata);
	/* release: the memory is lent again */
	ASSERT_EQ(0, rm_cma_release(&cma, pfn, CMA_COUNT - 512));
	ASSERT_NE(~0U, alloc_movable(0, tag));
	check(_metadata);
}

/*
 * A release is of exactly one buffer: part of one, one and a page more,
 * two adjacent ones or one that is not there warn and change nothing.
 */
TEST(release_only_whole_buffers)
{
	u64 a, c, used;
	unsigned long w0;
	int err = 0;

	setup_cma(_metadata);
	a = rm_cma_alloc(&cma, 64, 0, migrate, NULL, &err);
	ASSERT_NE(RM_NO_PFN, a) TH_LOG("err %d", err);
	c = rm_cma_alloc(&cma, 64, 0, migrate, NULL, &err);
	ASSERT_EQ(a + 64, c) TH_LOG("err %d", err);
	used = cma.st.used;
	w0 = rm_user_warnings;
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, a, 63));	/* its head */
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, a + 1, 63));	/* its tail */
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, a, 128));	/* both */
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, a + 32, 64));	/* across */
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, c, 65));	/* and more */
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, c + 64, 64));	/* none */
	EXPECT_EQ(w0 + 6, rm_user_warnings);
	rm_user_warnings = w0;		/* expected: check() wants none */
	EXPECT_EQ(used, cma.st.used);
	check(_metadata);
	EXPECT_EQ(0, rm_cma_release(&cma, c, 64));
	EXPECT_EQ(0, rm_cma_release(&cma, a, 64));
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, a, 64));	/* twice */
	EXPECT_EQ(w0 + 1, rm_user_warnings);
	rm_user_warnings = w0;
	EXPECT_EQ(0, cma.st.used);
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

/* Destroying a region gives each pageblock back the type it had. */
TEST(destroy_restores_pageblock_types)
{
	struct rm_cma r;
	struct rm_block *blk;
	u64 base = 0x10000 + 512, n = 8 * RM_PAGEBLOCK_NR, p;
	unsigned int before[8], i;

	setup(10);
	blk = rm_region_find(&rg, base);
	ASSERT_NE(NULL, blk);
	/* a mix, as stealing leaves it */
	for (i = 0; i < 8; i++) {
		p = base + i * RM_PAGEBLOCK_NR;
		rm_zone_set_mt(&b.zone[blk - rg.block], p, p + RM_PAGEBLOCK_NR,
			       i % 3 ? RM_MT_MOVABLE : RM_MT_UNMOVABLE);
		before[i] = blk->pb_mt[rm_block_pb(blk, p)];
	}
	check(_metadata);
	ASSERT_EQ(0, rm_cma_init(&r, &b, "mix", base, n));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(RM_MT_CMA,
			  blk->pb_mt[rm_block_pb(blk, base + i * RM_PAGEBLOCK_NR)]);
	ASSERT_EQ(0, rm_cma_destroy(&r));
	for (i = 0; i < 8; i++)
		EXPECT_EQ(before[i],
			  blk->pb_mt[rm_block_pb(blk, base + i * RM_PAGEBLOCK_NR)])
			TH_LOG("pageblock %u", i);
	check(_metadata);
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
	if (rm_stats_enabled())
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

/* --- the walk over the region (issue 9.2) --- */

/*
 * An almost empty region with movable tenants of @order at region indexes
 * @at[0..n): node 0 is filled with blocks of @order, then every other block
 * is freed.  Returns the live index of each tenant in @idx.
 */
static void tenants_at(struct __test_metadata *_metadata, unsigned int order,
		       const u64 *at, unsigned int n, unsigned int *idx)
{
	unsigned int i, j, tag = 1;

	while (alloc_movable(order, tag) != ~0U)
		tag++;
	for (i = 0; i < nlive; i++) {
		for (j = 0; j < n; j++)
			if (live[i].pfn == CMA_BASE + at[j])
				break;
		if (j == n)
			free_live(i--);
	}
	rm_buddy_drain(&b);
	ASSERT_EQ(n, nlive);
	for (j = 0; j < n; j++)
		for (i = 0; i < nlive; i++)
			if (live[i].pfn == CMA_BASE + at[j])
				idx[j] = i;
	check(_metadata);
}

/*
 * One request, against the oracle: the first aligned position free of
 * buffers and of pinned blocks, or the oracle's error.  Returns the pfn.
 */
static u64 like_oracle(struct __test_metadata *_metadata, u64 count,
		       u64 align)
{
	u64 stuck[64][2], want, got;
	unsigned int i, n = 0;
	int err = 0, werr = 0;

	for (i = 0; i < nlive && n < 64; i++) {
		if (!pinned[i])
			continue;
		stuck[n][0] = live[i].pfn;
		stuck[n++][1] = 1ULL << live[i].order;
	}
	want = oracle_cma_first(&cma, count, align, stuck, n, &werr);
	got = rm_cma_alloc(&cma, count, align, migrate, NULL, &err);
	if (want == U64_MAX) {
		EXPECT_EQ(RM_NO_PFN, got)
			TH_LOG("count %llu align %llu: no position, got %llx",
			       (unsigned long long)count,
			       (unsigned long long)align,
			       (unsigned long long)got);
		EXPECT_EQ(werr, err);
	} else {
		EXPECT_EQ(CMA_BASE + want, got)
			TH_LOG("count %llu align %llu: want index %llu, err %d",
			       (unsigned long long)count,
			       (unsigned long long)align,
			       (unsigned long long)want, err);
	}
	EXPECT_EQ(0, isolated_handed_out);
	for (i = 0; i < nlive; i++)
		EXPECT_TRUE(intact(i)) TH_LOG("block %u", i);
	check(_metadata);
	return got;
}

/* Every count and alignment against the oracle; each buffer released. */
static void sweep(struct __test_metadata *_metadata, const u64 *counts,
		  unsigned int nc)
{
	static const u64 aligns[] = { 0, 1, 2, 512 };
	unsigned int i, j, k;
	u64 pfn, pin_pfn[8];

	for (k = 0; k < nlive && k < 8; k++)
		pin_pfn[k] = live[k].pfn;
	for (i = 0; i < nc; i++) {
		for (j = 0; j < ARRAY_SIZE(aligns); j++) {
			pfn = like_oracle(_metadata, counts[i], aligns[j]);
			if (pfn != RM_NO_PFN)
				ASSERT_EQ(0, rm_cma_release(&cma, pfn,
							    counts[i]));
		}
	}
	/* pinned tenants never moved */
	for (k = 0; k < nlive && k < 8; k++)
		if (pinned[k])
			EXPECT_EQ(pin_pfn[k], live[k].pfn);
}

TEST(walk_pin_at_start)
{
	static const u64 at[] = { 0 }, counts[] = {
		1, 8, 9, 500, 1000, 1536, 2039, 2040, 2041, 2048 };
	unsigned int idx[1];

	setup_cma(_metadata);
	tenants_at(_metadata, 3, at, 1, idx);
	pinned[idx[0]] = true;
	sweep(_metadata, counts, ARRAY_SIZE(counts));
	/* the region past the pin, for align 0 and 1 */
	EXPECT_EQ(CMA_BASE + 8, like_oracle(_metadata, 2040, 0));
	EXPECT_EQ(CMA_BASE, live[idx[0]].pfn);
}

TEST(walk_pin_in_middle)
{
	static const u64 at[] = { 1008 }, counts[] = {
		1, 8, 500, 1007, 1008, 1009, 1024, 1025, 2048 };
	unsigned int idx[1];
	u64 pfn;

	setup_cma(_metadata);
	tenants_at(_metadata, 4, at, 1, idx);	/* 16 pages at 1008..1023 */
	pinned[idx[0]] = true;
	sweep(_metadata, counts, ARRAY_SIZE(counts));
	/* a buffer below the pin: what is left fits only past it */
	pfn = like_oracle(_metadata, 1008, 1);
	ASSERT_EQ(CMA_BASE, pfn);
	EXPECT_EQ(CMA_BASE + 1024, like_oracle(_metadata, 1024, 0));
	EXPECT_EQ(RM_NO_PFN, like_oracle(_metadata, 1, 0));
	EXPECT_EQ(CMA_BASE + 1008, live[idx[0]].pfn);
}

TEST(walk_pin_at_end)
{
	static const u64 at[] = { 2040 }, counts[] = {
		1, 8, 1024, 2040, 2041, 2048 };
	unsigned int idx[1];

	setup_cma(_metadata);
	tenants_at(_metadata, 3, at, 1, idx);
	pinned[idx[0]] = true;
	sweep(_metadata, counts, ARRAY_SIZE(counts));
}

TEST(walk_pins_at_start_middle_and_end)
{
	static const u64 at[] = { 0, 1024, 2040, 16, 600 }, counts[] = {
		1, 8, 16, 584, 585, 1000, 1008, 1009, 2048 };
	unsigned int idx[5];

	setup_cma(_metadata);
	tenants_at(_metadata, 3, at, 5, idx);
	/* three pinned; two movable tenants in the way, which move */
	pinned[idx[0]] = pinned[idx[1]] = pinned[idx[2]] = true;
	sweep(_metadata, counts, ARRAY_SIZE(counts));
	EXPECT_GT(migrations, 0);
}

/* Many pins, buffers left in place, any count and alignment. */
TEST(walk_random_against_oracle)
{
	static u64 at[24];
	struct {
		u64 pfn, count;
	} bufs[8];
	unsigned int idx[24], i, nb = 0, round, ok = 0, busy = 0;
	u64 pfn, count, align;

	setup_cma(_metadata);
	srandom(29);
	for (i = 0; i < 24; i++) {
		u64 a;
		unsigned int j;

		do {
			a = (random() % (CMA_COUNT / 8)) * 8;
			for (j = 0; j < i && at[j] != a; j++)
				;
		} while (j < i);
		at[i] = a;
	}
	tenants_at(_metadata, 3, at, 24, idx);
	for (i = 0; i < 24; i++)
		pinned[idx[i]] = i % 3 != 0;
	for (round = 0; round < 300; round++) {
		count = random() % 4 ? 1 + random() % 200 :
				       1 + random() % CMA_COUNT;
		align = random() % 3 ? random() % 2 : 1ULL << (random() % 10);
		pfn = like_oracle(_metadata, count, align);
		if (pfn == RM_NO_PFN) {
			busy++;
			continue;
		}
		ok++;
		if (nb < 8 && random() % 4 == 0) {
			bufs[nb].pfn = pfn;
			bufs[nb++].count = count;
		} else {
			ASSERT_EQ(0, rm_cma_release(&cma, pfn, count));
		}
		if (nb && random() % 8 == 0) {
			nb--;
			ASSERT_EQ(0, rm_cma_release(&cma, bufs[nb].pfn,
						    bufs[nb].count));
		}
	}
	TH_LOG("%u served, %u refused", ok, busy);
	EXPECT_GT(ok, 100);
	EXPECT_GT(busy, 5);
	while (nb--)
		ASSERT_EQ(0, rm_cma_release(&cma, bufs[nb].pfn,
					    bufs[nb].count));
	check(_metadata);
}

/* --- frees racing with isolation (issue 9.3) --- */

/*
 * Another CPU changes the pageblock of @pfn to @mt, as rm_cma_alloc()
 * does: under the zone lock, then (isolating) every cache drained.
 */
static void set_pageblock(u64 pfn, unsigned int mt)
{
	struct rm_block *blk = rm_region_find(&rg, pfn);
	struct rm_zone *z = &b.zone[blk - rg.block];
	u64 start = pfn & ~(RM_PAGEBLOCK_NR - 1);
	unsigned long flags;

	rm_spin_lock_irqsave(&z->lock, flags);
	rm_zone_set_mt(z, start, start + RM_PAGEBLOCK_NR, mt);
	rm_spin_unlock_irqrestore(&z->lock, flags);
	if (mt == RM_MT_ISOLATE)
		rm_buddy_drain(&b);
}

static unsigned int race_mt;
static u64 race_pfn;

/* rm_buddy_free() of race_pfn: the other CPU changes its pageblock. */
static void race(u64 pfn, unsigned int order)
{
	if (pfn != race_pfn)
		return;
	rm_user_free_hook = NULL;
	set_pageblock(pfn, race_mt);
}

/* The free list type of the free block holding @pfn, or -1 for none. */
static int listed_as(u64 pfn)
{
	struct rm_block *blk = rm_region_find(&rg, pfn);
	struct rm_zone *z = &b.zone[blk - rg.block];
	unsigned int o, mt;

	for (o = 0; o <= z->max_order; o++) {
		for (mt = 0; mt < RM_MT_TYPES; mt++) {
			struct rm_list *h = &z->area[o].list[mt], *l;

			for (l = h->next; l != h; l = l->next) {
				u64 p = lpfn(blk - rg.block, l);

				if (p <= pfn && pfn < p + (1ULL << o))
					return mt;
			}
		}
	}
	return -1;
}

/*
 * Free the region's only tenant, of @order at its start, in pageblock
 * type @before, while another CPU changes the type to @after between
 * rm_buddy_free()'s checks and its lock.  Returns the tenant's pfn.
 */
static u64 free_racing(struct __test_metadata *_metadata, unsigned int order,
		       unsigned int before, unsigned int after)
{
	static const u64 at[] = { 0 };
	unsigned int idx[1];

	setup_cma(_metadata);
	tenants_at(_metadata, order, at, 1, idx);
	if (before != RM_MT_CMA)
		set_pageblock(CMA_BASE, before);
	race_pfn = CMA_BASE;
	race_mt = after;
	rm_user_free_hook = race;
	free_live(idx[0]);
	EXPECT_EQ(NULL, rm_user_free_hook);	/* the race was run */
	return CMA_BASE;
}

/* Isolation undone meanwhile: not stranded on an isolate list. */
TEST(free_order0_while_isolation_is_undone)
{
	u64 pfn = free_racing(_metadata, 0, RM_MT_ISOLATE, RM_MT_CMA);

	EXPECT_NE(RM_MT_ISOLATE, listed_as(pfn));
	check(_metadata);
	rm_buddy_drain(&b);
	EXPECT_EQ(RM_MT_CMA, listed_as(pfn));
	check(_metadata);
}

TEST(free_order4_while_isolation_is_undone)
{
	u64 pfn = free_racing(_metadata, 4, RM_MT_ISOLATE, RM_MT_CMA);

	EXPECT_EQ(RM_MT_CMA, listed_as(pfn));
	check(_metadata);
}

/* Isolated meanwhile: not cached, not handed out again. */
TEST(free_order0_while_isolated)
{
	u64 pfn = free_racing(_metadata, 0, RM_MT_CMA, RM_MT_ISOLATE), got;

	EXPECT_EQ(RM_MT_ISOLATE, listed_as(pfn));
	check(_metadata);
	/* the same CPU asks again: nothing isolated comes back */
	got = rm_buddy_alloc(&b, 0, 0, RM_ALLOC_MOVABLE, RM_PK_BUDDY);
	ASSERT_NE(RM_NO_PFN, got);
	EXPECT_FALSE(any_isolated(got, 0))
		TH_LOG("pfn %llx handed out isolated",
		       (unsigned long long)got);
	live[nlive] = (struct alloc){ got, 0, 0, RM_ALLOC_MOVABLE, 0 };
	pinned[nlive++] = false;
	check(_metadata);
	set_pageblock(pfn, RM_MT_CMA);
	check(_metadata);
}

TEST(free_order4_while_isolated)
{
	u64 pfn = free_racing(_metadata, 4, RM_MT_CMA, RM_MT_ISOLATE);

	EXPECT_EQ(RM_MT_ISOLATE, listed_as(pfn));
	check(_metadata);
	set_pageblock(pfn, RM_MT_CMA);
	EXPECT_EQ(RM_MT_CMA, listed_as(pfn));
	check(_metadata);
}

/*
 * Two racers at once, on two threads playing two CPUs: one isolates the
 * whole region and undoes it, again and again, checking under the zone
 * lock that no free block sits on a list of the wrong type; the other
 * allocates and frees movable blocks, which can only come from the region.
 */
static volatile int racing;
static u64 race_bad;

/* Widen the window between rm_buddy_free()'s checks and its lock. */
static void dawdle(u64 pfn, unsigned int order)
{
	volatile unsigned int i;

	for (i = 0; i < 2000; i++)
		;
}

static void *isolator(void *arg)
{
	struct rm_zone *z = &b.zone[0];
	unsigned int i, o, mt;
	unsigned long flags;

	rm_user_cpu = 1;
	for (i = 0; i < 20000; i++) {
		mt = i % 2 ? RM_MT_CMA : RM_MT_ISOLATE;
		rm_spin_lock_irqsave(&z->lock, flags);
		rm_zone_set_mt(z, CMA_BASE, CMA_BASE + CMA_COUNT, mt);
		rm_spin_unlock_irqrestore(&z->lock, flags);
		if (mt == RM_MT_ISOLATE)
			rm_buddy_drain(&b);
		/* let frees that read the old type land, then look */
		dawdle(0, 0);
		dawdle(0, 0);
		rm_spin_lock_irqsave(&z->lock, flags);
		/* the other type's list, in the region, is empty */
		for (o = 0; o <= z->max_order; o++)
			race_bad += z->area[o].nr_free[mt == RM_MT_CMA ?
						      RM_MT_ISOLATE :
						      RM_MT_CMA];
		rm_spin_unlock_irqrestore(&z->lock, flags);
	}
	racing = 0;
	return arg;
}

TEST(free_racing_isolation_two_threads)
{
	u64 pfn, held[64] = { 0 };
	unsigned int i, order, n = 0;
	pthread_t th;

	setup_cma(_metadata);
	/* everything but the region held by unmovable blocks */
	while ((pfn = rm_buddy_alloc(&b, 0, 0, 0, RM_PK_BUDDY)) != RM_NO_PFN)
		live[nlive++] = (struct alloc){ pfn, 0, 0, 0, 0 };
	rm_buddy_drain(&b);
	check(_metadata);
	racing = 1;
	race_bad = 0;
	rm_user_cpu = 0;
	rm_user_free_hook = dawdle;
	ASSERT_EQ(0, pthread_create(&th, NULL, isolator, NULL));
	for (i = 0; racing; i++) {
		order = i % 3 ? 0 : 4;
		if (held[i % 64]) {
			rm_buddy_free(&b, held[i % 64] >> 8, held[i % 64] & 0xff);
			held[i % 64] = 0;
		}
		pfn = rm_buddy_alloc(&b, order, 0, RM_ALLOC_MOVABLE,
				     RM_PK_BUDDY);
		if (pfn != RM_NO_PFN) {
			ASSERT_TRUE(in_region(pfn, 1ULL << order));
			held[i % 64] = pfn << 8 | order;
			n++;
		}
	}
	pthread_join(th, NULL);
	rm_user_free_hook = NULL;
	TH_LOG("%u blocks allocated and freed while isolating", n);
	EXPECT_GT(n, 1000);
	EXPECT_EQ(0, race_bad);
	for (i = 0; i < 64; i++)
		if (held[i])
			rm_buddy_free(&b, held[i] >> 8, held[i] & 0xff);
	rm_buddy_drain(&b);
	check(_metadata);
}

/*
 * rm_cma_place() against brute force: the highest pageblock-aligned run
 * of free pages outside every region, in the blocks of the wanted node
 * (the near one first for NUMA_NO_NODE), with allocations and a region
 * strewn over the blocks.  Per-CPU caches are drained first: the search
 * judges a cached page busy (its bitmap bit is set), a hint that
 * rm_cma_init() would have corrected.
 */
static u64 place_oracle(u64 count, int nid, int near)
{
	int want = nid == NUMA_NO_NODE ? near : nid;
	unsigned int pass, i;
	u64 end, p, q;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < rg.nr_blocks; i++) {
			struct rm_block *blk = &rg.block[i];

			bool local = blk->nid == want;

			if (local == !!pass)
				continue;
			end = (blk->base_pfn + blk->nr_pages) &
			      ~(u64)(RM_PAGEBLOCK_NR - 1);
			/* p = end - count is aligned: p >= base suffices */
			for (; end >= blk->base_pfn + count;
			     end -= RM_PAGEBLOCK_NR) {
				p = end - count;
				for (q = p; q < end; q++) {
					u16 st = blk->state[q - blk->base_pfn];

					if (rm_ps_kind(st) != RM_PK_FREE ||
					    blk->pb_mt[rm_block_pb(blk, q)] >=
					    RM_MT_CMA)
						break;
				}
				if (q == end)
					return p;
			}
		}
		if (nid != NUMA_NO_NODE)
			break;
	}
	return RM_NO_PFN;
}

TEST(place_against_brute_force)
{
	static const int nids[][2] = {
		{ NUMA_NO_NODE, 0 }, { NUMA_NO_NODE, 1 }, { 0, 1 }, { 1, 0 },
	};
	unsigned int round, k, j, n;
	struct rm_cma other, r;
	bool have_other;

	srand(11);
	for (round = 0; round < 60; round++) {
		setup(10);
		n = rand() % 40;
		for (j = 0; j < n; j++) {
			unsigned int o = rand() % 8;
			unsigned int fl = rand() % 2 ? RM_ALLOC_MOVABLE : 0;
			int node = rand() % 2;
			u64 pfn = rm_buddy_alloc(&b, o, node, fl, RM_PK_BUDDY);

			if (pfn != RM_NO_PFN)
				live[nlive++] = (struct alloc){ pfn, o, node,
								fl };
		}
		rm_buddy_drain(&b);
		have_other = rand() % 2 &&
			     !rm_cma_place(&other, &b, "other",
					   RM_PAGEBLOCK_NR * (1 + rand() % 4),
					   rand() % 2, 0);
		rm_buddy_drain(&b);
		for (k = 0; k < ARRAY_SIZE(nids); k++) {
			u64 count = RM_PAGEBLOCK_NR * (1 + rand() % 10);
			u64 want = place_oracle(count, nids[k][0], nids[k][1]);
			int ret = rm_cma_place(&r, &b, "r", count, nids[k][0],
					       nids[k][1]);

			ASSERT_EQ(want == RM_NO_PFN ? -ENOMEM : 0, ret)
				TH_LOG("round %u: %llu pages, node %d near %d",
				       round, (unsigned long long)count,
				       nids[k][0], nids[k][1]);
			if (ret)
				continue;
			EXPECT_EQ(want, r.base_pfn);
			EXPECT_EQ(count, r.count);
			check(_metadata);
			ASSERT_EQ(0, rm_cma_destroy(&r));
			rm_buddy_drain(&b);
		}
		if (have_other)
			ASSERT_EQ(0, rm_cma_destroy(&other));
		check(_metadata);
	}
	EXPECT_EQ(-EINVAL, rm_cma_place(&r, &b, "r", 0, NUMA_NO_NODE, 0));
	EXPECT_EQ(-EINVAL, rm_cma_place(&r, &b, "r", RM_PAGEBLOCK_NR + 1,
					NUMA_NO_NODE, 0));
	EXPECT_EQ(-ENOMEM, rm_cma_place(&r, &b, "r", 1ULL << 40,
					NUMA_NO_NODE, 0));
}

/*
 * The table of regions (rm_cma_table_*) against an array model: random
 * creates (some failing after the slot was chosen, as rm_cma_init() may),
 * destructions in two steps (marked dying, then gone or given back), and
 * lookups by id, name and pfn, with every slot walked after each step.
 * The model answers by brute force: the lowest free slot, the first live
 * region with the name or the pfn, nothing for a dying region but its
 * slot, its name and its pfns.
 */
struct tab_model {
	bool live, dying;
	char name[RM_CMA_NAME_LEN];
	u64 base, count;
};

static void tab_walk_check(struct __test_metadata *_metadata,
			   const struct rm_cma_table *t,
			   const struct tab_model *m, const struct rm_cma *store)
{
	struct rm_cma *c;
	u32 i, want = 0, n = 0;

	for (i = 0; (c = rm_cma_table_next(t, &i)); i++, want++, n++) {
		while (want < RM_CMA_MAX && !m[want].live)
			want++;
		ASSERT_EQ(want, i);
		ASSERT_EQ(&store[i], c);
	}
	ASSERT_EQ(RM_CMA_MAX, i);
	for (i = 0; i < RM_CMA_MAX; i++)
		n -= m[i].live;
	ASSERT_EQ(0, n);
}

TEST(table_against_array_model)
{
	static struct rm_cma store[RM_CMA_MAX];
	struct tab_model m[RM_CMA_MAX] = { 0 };
	struct rm_cma_table t = { 0 };
	unsigned int step, i, nr_ok = 0, nr_dying = 0, nr_pfn = 0;
	char name[RM_CMA_NAME_LEN];
	struct rm_cma *c;
	int want, got;
	u64 pfn;
	u32 id;

	srand(13);
	for (step = 0; step < 200000; step++) {
		unsigned int op = rand() % 8;

		/* 24 names for 16 slots: EEXIST and ENOSPC both happen */
		snprintf(name, sizeof(name), "r%u", rand() % 24);
		id = rand() % (RM_CMA_MAX + 4);
		pfn = rand() % 5000;
		switch (op) {
		case 0:
		case 1:		/* create; one in 4 fails in rm_cma_init() */
			want = -ENOSPC;
			for (i = RM_CMA_MAX; i-- > 0;)
				if (!m[i].live)
					want = i;
			for (i = 0; i < RM_CMA_MAX; i++)
				if (m[i].live && !strcmp(m[i].name, name))
					want = -EEXIST;
			got = rm_cma_table_reserve(&t, name);
			ASSERT_EQ(want, got) TH_LOG("step %u: %s", step, name);
			if (got < 0 || !(rand() % 4))
				break;
			memset(&store[got], 0, sizeof(store[got]));
			strcpy(store[got].name, name);
			store[got].base_pfn = rand() % 4096;
			store[got].count = 1 + rand() % 512;
			rm_cma_table_set(&t, got, &store[got]);
			m[got] = (struct tab_model){
				.live = true, .base = store[got].base_pfn,
				.count = store[got].count,
			};
			strcpy(m[got].name, name);
			nr_ok++;
			break;
		case 2:		/* a destroyer checks and marks */
			c = rm_cma_table_get(&t, id);
			if (id >= RM_CMA_MAX || !m[id].live || m[id].dying) {
				ASSERT_EQ(NULL, c);
				break;
			}
			ASSERT_EQ(&store[id], c);
			rm_cma_table_set_dying(&t, id, true);
			m[id].dying = true;
			nr_dying++;
			break;
		case 3:		/* a dying region goes, or was busy after all */
			if (id >= RM_CMA_MAX || !m[id].dying)
				break;
			if (rand() % 2) {
				rm_cma_table_set(&t, id, NULL);
				m[id].live = false;
			} else {
				rm_cma_table_set_dying(&t, id, false);
			}
			m[id].dying = false;
			break;
		case 4:
			c = rm_cma_table_get(&t, id);
			ASSERT_EQ(id < RM_CMA_MAX && m[id].live &&
				  !m[id].dying ? &store[id] : NULL, c);
			break;
		case 5:
			want = -1;
			for (i = 0; i < RM_CMA_MAX && want < 0; i++)
				if (m[i].live && !strcmp(m[i].name, name))
					want = m[i].dying ? RM_CMA_MAX : i;
			c = rm_cma_table_find(&t, name);
			ASSERT_EQ(want >= 0 && want < RM_CMA_MAX ?
				  &store[want] : NULL, c)
				TH_LOG("step %u: %s", step, name);
			break;
		default:
			want = -1;
			for (i = 0; i < RM_CMA_MAX && want < 0; i++)
				if (m[i].live && pfn >= m[i].base &&
				    pfn < m[i].base + m[i].count)
					want = i;
			c = rm_cma_table_of_pfn(&t, pfn);
			ASSERT_EQ(want >= 0 ? &store[want] : NULL, c)
				TH_LOG("step %u: pfn %llu", step,
				       (unsigned long long)pfn);
			nr_pfn += want >= 0;
			break;
		}
		tab_walk_check(_metadata, &t, m, store);
	}
	/* the sequence reached what it is meant to test */
	EXPECT_LT(1000, nr_ok);
	EXPECT_LT(1000, nr_dying);
	EXPECT_LT(1000, nr_pfn);
}

TEST(table_dying_region_keeps_slot_and_name)
{
	static struct rm_cma a = { .name = "a", .base_pfn = 100, .count = 8 };
	struct rm_cma_table t = { 0 };
	u32 i;

	ASSERT_EQ(0, rm_cma_table_reserve(&t, "a"));
	rm_cma_table_set(&t, 0, &a);
	rm_cma_table_set_dying(&t, 0, true);
	EXPECT_EQ(NULL, rm_cma_table_get(&t, 0));
	EXPECT_EQ(NULL, rm_cma_table_find(&t, "a"));
	EXPECT_EQ(-EEXIST, rm_cma_table_reserve(&t, "a"));
	EXPECT_EQ(1, rm_cma_table_reserve(&t, "b"));
	EXPECT_EQ(&a, rm_cma_table_of_pfn(&t, 107));
	EXPECT_EQ(NULL, rm_cma_table_of_pfn(&t, 108));
	EXPECT_EQ(NULL, rm_cma_table_of_pfn(&t, 99));
	i = 0;
	EXPECT_EQ(&a, rm_cma_table_next(&t, &i));
	EXPECT_EQ(0, i);
	rm_cma_table_set(&t, 0, NULL);
	EXPECT_EQ(0, rm_cma_table_reserve(&t, "a"));
	i = 0;
	EXPECT_EQ(NULL, rm_cma_table_next(&t, &i));
	EXPECT_EQ(RM_CMA_MAX, i);
	EXPECT_EQ(NULL, rm_cma_table_get(&t, RM_CMA_MAX));
	EXPECT_EQ(NULL, rm_cma_table_get(&t, U32_MAX));
}

/* --- a region lent to the system (rm_cma_lend() and rm_cma_take()) --- */

/* Everything the buddy holds, to compare before and after. */
struct snap {
	u16 *state[NBLK];
	u8 *pb_mt[NBLK];
	unsigned long *bitmap[NBLK];
	u64 free_pages[NBLK];
	u64 special[NBLK];
	u64 nr_free[NBLK][RM_ORDERS_LIMIT][RM_MT_TYPES];
	u64 lists[1 << 14];
	unsigned int nlists;
};

static struct snap snap_a, snap_b;

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void snap_take(struct snap *sn)
{
	unsigned int zi, o, mt, npb;

	sn->nlists = 0;
	for (zi = 0; zi < NBLK; zi++) {
		struct rm_block *blk = &rg.block[zi];
		struct rm_zone *z = &b.zone[zi];

		npb = rm_block_pb(blk, blk->base_pfn + blk->nr_pages - 1) + 1;
		free(sn->state[zi]);
		free(sn->pb_mt[zi]);
		free(sn->bitmap[zi]);
		sn->state[zi] = malloc(blk->nr_pages * sizeof(u16));
		memcpy(sn->state[zi], blk->state, blk->nr_pages * sizeof(u16));
		sn->pb_mt[zi] = malloc(npb);
		memcpy(sn->pb_mt[zi], blk->pb_mt, npb);
		sn->bitmap[zi] = calloc(BITS_TO_LONGS(blk->nr_pages),
					sizeof(long));
		memcpy(sn->bitmap[zi], blk->bitmap,
		       BITS_TO_LONGS(blk->nr_pages) * sizeof(long));
		sn->free_pages[zi] = z->free_pages;
		sn->special[zi] = blk->special_pb;
		memset(sn->nr_free[zi], 0, sizeof(sn->nr_free[zi]));
		for (o = 0; o <= z->max_order; o++)
			for (mt = 0; mt < RM_MT_TYPES; mt++) {
				struct rm_list *h = &z->area[o].list[mt], *l;

				sn->nr_free[zi][o][mt] = z->area[o].nr_free[mt];
				for (l = h->next; l != h; l = l->next)
					sn->lists[sn->nlists++] =
						lpfn(zi, l) << 10 | o << 4 | mt;
			}
	}
	qsort(sn->lists, sn->nlists, sizeof(u64), cmp_u64);
}

static void snap_eq(struct __test_metadata *_metadata, const struct snap *x,
		    const struct snap *y)
{
	unsigned int zi, i, npb;

	for (zi = 0; zi < NBLK; zi++) {
		struct rm_block *blk = &rg.block[zi];
		u64 p;

		npb = rm_block_pb(blk, blk->base_pfn + blk->nr_pages - 1) + 1;
		for (p = 0; p < blk->nr_pages; p++)
			ASSERT_EQ(x->state[zi][p], y->state[zi][p])
				TH_LOG("state of pfn %llx",
				       (unsigned long long)(blk->base_pfn + p));
		for (i = 0; i < npb; i++)
			ASSERT_EQ(x->pb_mt[zi][i], y->pb_mt[zi][i])
				TH_LOG("block %u pageblock %u", zi, i);
		ASSERT_EQ(0, memcmp(x->bitmap[zi], y->bitmap[zi],
				    BITS_TO_LONGS(blk->nr_pages) *
				    sizeof(long)));
		ASSERT_EQ(x->free_pages[zi], y->free_pages[zi]);
		ASSERT_EQ(x->special[zi], y->special[zi]);
		ASSERT_EQ(0, memcmp(x->nr_free[zi], y->nr_free[zi],
				    sizeof(x->nr_free[zi])));
	}
	ASSERT_EQ(x->nlists, y->nlists);
	for (i = 0; i < x->nlists; i++)
		ASSERT_EQ(x->lists[i], y->lists[i]) TH_LOG("free block %u", i);
}

/* A take callback for which every page comes back. */
static int take_ok(void *arg, u64 pfn, u64 count, u64 *stop)
{
	return 0;
}

static char page_class(u64 pfn)
{
	struct rm_block *blk = rm_region_find(&rg, pfn);

	return rm_page_class(blk, pfn - blk->base_pfn);
}

/*
 * A movable block of one page at @pfn in the region, and none elsewhere
 * in it: fill the memory with single pages, then free all but that one.
 */
static void movable_at(struct __test_metadata *_metadata, u64 pfn)
{
	unsigned int i;

	while (alloc_movable(0, 1) != ~0U)
		;
	for (i = 0; i < nlive; i++)
		if (live[i].pfn != pfn)
			free_live(i--);
	ASSERT_EQ(1, nlive);
	rm_buddy_drain(&b);
	check(_metadata);
}

/* A refused lend changes nothing at all. */
static void lend_refused(struct __test_metadata *_metadata, int want)
{
	rm_buddy_drain(&b);
	snap_take(&snap_a);
	ASSERT_EQ(want, rm_cma_lend(&cma));
	ASSERT_FALSE(cma.system);
	rm_buddy_drain(&b);
	snap_take(&snap_b);
	snap_eq(_metadata, &snap_a, &snap_b);
	check(_metadata);
}

static void lend_refused_by_page(struct __test_metadata *_metadata, u64 pfn)
{
	setup_cma(_metadata);
	movable_at(_metadata, pfn);
	lend_refused(_metadata, -EBUSY);
	/* once the page is gone it lends */
	free_live(0);
	ASSERT_EQ(0, rm_cma_lend(&cma));
	ASSERT_TRUE(cma.system);
	check(_metadata);
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	check(_metadata);
}

TEST(lend_refused_by_movable_at_first_page)
{
	lend_refused_by_page(_metadata, CMA_BASE);
}

TEST(lend_refused_by_movable_at_last_page)
{
	lend_refused_by_page(_metadata, CMA_BASE + CMA_COUNT - 1);
}

TEST(lend_refused_by_movable_in_middle)
{
	lend_refused_by_page(_metadata, CMA_BASE + CMA_COUNT / 2 + 3);
}

TEST(lend_refused_with_buffer_and_twice)
{
	u64 pfn;
	int err = 0;

	setup_cma(_metadata);
	pfn = rm_cma_alloc(&cma, 100, 0, migrate, NULL, &err);
	ASSERT_NE(RM_NO_PFN, pfn) TH_LOG("err %d", err);
	lend_refused(_metadata, -EBUSY);
	ASSERT_EQ(0, rm_cma_release(&cma, pfn, 100));
	ASSERT_EQ(0, rm_cma_lend(&cma));
	check(_metadata);
	rm_buddy_drain(&b);
	snap_take(&snap_a);
	ASSERT_EQ(-EINVAL, rm_cma_lend(&cma));
	ASSERT_TRUE(cma.system);
	snap_take(&snap_b);
	snap_eq(_metadata, &snap_a, &snap_b);
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	check(_metadata);
}

/*
 * Lend, take, unlend: the zone's free count drops by the region while it
 * is lent, every page is 'S' but the buffers' ('C'); afterwards the buddy
 * is exactly as before the lend, and rm_cma_alloc() works again.
 */
TEST(unlend_restores_everything)
{
	struct rm_cma_usage u;
	u64 pfn, free0, q;
	int err = 0;

	setup_cma(_metadata);
	/* some movable pages around the region, none in it */
	while (alloc_movable(0, 2) != ~0U)
		;
	for (q = 0; q < nlive; q++)
		if (in_region(live[q].pfn, 1) || live[q].pfn % 3)
			free_live(q--);
	rm_buddy_drain(&b);
	check(_metadata);
	snap_take(&snap_a);
	free0 = b.zone[0].free_pages;

	/* not lent: take and reserve refuse */
	ASSERT_EQ(RM_NO_PFN, rm_cma_take(&cma, 1, 0, NULL, NULL, &err));
	ASSERT_EQ(-EINVAL, err);
	ASSERT_EQ(-EINVAL, rm_cma_reserve(&cma, CMA_BASE, 1));
	ASSERT_EQ(-EINVAL, rm_cma_unlend(&cma));

	ASSERT_EQ(0, rm_cma_lend(&cma));
	ASSERT_EQ(free0 - CMA_COUNT, b.zone[0].free_pages);
	check(_metadata);
	for (q = 0; q < CMA_COUNT; q++)
		ASSERT_EQ('S', page_class(CMA_BASE + q));
	rm_cma_usage(&cma, &u);
	EXPECT_EQ(CMA_COUNT, u.system);
	EXPECT_EQ(0, u.used + u.lent + u.free + u.memmap);
	EXPECT_EQ(CMA_COUNT, u.maxchunk);

	err = 0;
	ASSERT_EQ(RM_NO_PFN, rm_cma_alloc(&cma, 1, 0, migrate, NULL, &err));
	ASSERT_EQ(-EINVAL, err);
	ASSERT_EQ(-EBUSY, rm_cma_destroy(&cma));
	ASSERT_TRUE(cma.system);
	ASSERT_NE(NULL, cma.bitmap);

	ASSERT_EQ(0, rm_cma_reserve(&cma, CMA_BASE + 512, 32));
	pfn = rm_cma_take(&cma, 64, 0, take_ok, NULL, &err);
	ASSERT_EQ(CMA_BASE, pfn) TH_LOG("err %d", err);
	check(_metadata);
	ASSERT_EQ(-EBUSY, rm_cma_unlend(&cma));
	ASSERT_TRUE(cma.system);
	ASSERT_EQ(-EBUSY, rm_cma_destroy(&cma));
	ASSERT_EQ(0, rm_cma_release(&cma, pfn, 64));
	ASSERT_EQ('S', page_class(pfn));
	check(_metadata);
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	ASSERT_FALSE(cma.system);
	EXPECT_EQ(0, cma.memmap);
	check(_metadata);
	rm_buddy_drain(&b);
	snap_take(&snap_b);
	snap_eq(_metadata, &snap_a, &snap_b);
	ASSERT_EQ(free0, b.zone[0].free_pages);

	/* an ordinary region again: alloc works, over the reservation too */
	pfn = rm_cma_alloc(&cma, CMA_COUNT, 0, migrate, NULL, &err);
	ASSERT_EQ(CMA_BASE, pfn) TH_LOG("err %d", err);
	check(_metadata);
	ASSERT_EQ(0, rm_cma_release(&cma, pfn, CMA_COUNT));
	ASSERT_EQ(0, rm_cma_destroy(&cma));
	oracle_cma = NULL;
	check(_metadata);
}

TEST(reserve_checks_and_usage)
{
	struct rm_cma_usage u;
	u64 a;
	int err = 0;

	setup_cma(_metadata);
	ASSERT_EQ(0, rm_cma_lend(&cma));
	a = rm_cma_take(&cma, 100, 0, take_ok, NULL, &err);
	ASSERT_EQ(CMA_BASE, a) TH_LOG("err %d", err);
	/* outside the region, empty, across its ends */
	EXPECT_EQ(-EINVAL, rm_cma_reserve(&cma, CMA_BASE - 1, 2));
	EXPECT_EQ(-EINVAL, rm_cma_reserve(&cma, CMA_BASE + CMA_COUNT, 1));
	EXPECT_EQ(-EINVAL, rm_cma_reserve(&cma, CMA_BASE + CMA_COUNT - 1, 2));
	EXPECT_EQ(-EINVAL, rm_cma_reserve(&cma, CMA_BASE + 200, 0));
	EXPECT_EQ(-EINVAL, rm_cma_reserve(&cma, 0, 1));
	/* over the buffer: its first page, its last, across its end */
	EXPECT_EQ(-EBUSY, rm_cma_reserve(&cma, CMA_BASE, 1));
	EXPECT_EQ(-EBUSY, rm_cma_reserve(&cma, CMA_BASE + 99, 1));
	EXPECT_EQ(-EBUSY, rm_cma_reserve(&cma, CMA_BASE + 50, 100));
	EXPECT_EQ(0, cma.memmap);
	ASSERT_EQ(0, rm_cma_reserve(&cma, CMA_BASE + 100, 28));
	ASSERT_EQ(0, rm_cma_reserve(&cma, CMA_BASE + CMA_COUNT - 4, 4));
	/* over a reservation */
	EXPECT_EQ(-EBUSY, rm_cma_reserve(&cma, CMA_BASE + 127, 2));
	check(_metadata);
	rm_cma_usage(&cma, &u);
	EXPECT_EQ(100, u.used);
	EXPECT_EQ(32, u.memmap);
	EXPECT_EQ(CMA_COUNT - 100, u.system);
	EXPECT_EQ(0, u.lent + u.free);
	EXPECT_EQ(CMA_COUNT - 132, u.maxchunk);
	EXPECT_EQ('S', page_class(CMA_BASE + 100));
	EXPECT_EQ('C', page_class(CMA_BASE + 99));
	/* the next take avoids both */
	a = rm_cma_take(&cma, 8, 0, take_ok, NULL, &err);
	EXPECT_EQ(CMA_BASE + 128, a);
	EXPECT_EQ(0, rm_cma_release(&cma, a, 8));
	EXPECT_EQ(0, rm_cma_release(&cma, CMA_BASE, 100));
	EXPECT_EQ(-EBUSY, rm_cma_reserve(&cma, CMA_BASE + 120, 10));
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	EXPECT_EQ(-EINVAL, rm_cma_reserve(&cma, CMA_BASE, 1));
	check(_metadata);
}

/* A release of a memmap reservation is of no buffer: a warning. */
TEST(release_of_reservation_refused)
{
	unsigned long w0;
	int err = 0;
	u64 a;

	setup_cma(_metadata);
	ASSERT_EQ(0, rm_cma_lend(&cma));
	ASSERT_EQ(0, rm_cma_reserve(&cma, CMA_BASE, 16));
	a = rm_cma_take(&cma, 16, 0, take_ok, NULL, &err);
	ASSERT_EQ(CMA_BASE + 16, a);
	w0 = rm_user_warnings;
	EXPECT_EQ(-EINVAL, rm_cma_release(&cma, CMA_BASE, 16));
	EXPECT_EQ(w0 + 1, rm_user_warnings);
	rm_user_warnings = w0;
	EXPECT_EQ(16, cma.st.used);
	EXPECT_EQ(16, cma.memmap);
	EXPECT_EQ(0, rm_cma_release(&cma, a, 16));
	check(_metadata);
}

static int place(struct rm_cma *c, const char *name, u64 count, u64 align)
{
	return rm_cma_place_aligned(c, &b, name, count, align, NUMA_NO_NODE,
				    0);
}

TEST(place_aligned_big_alignment)
{
	struct rm_cma c2;
	u64 align = 8 * RM_PAGEBLOCK_NR, pfn;
	int err = 0;

	setup(10);
	EXPECT_EQ(-EINVAL, place(&c2, "a", align, 0));
	EXPECT_EQ(-EINVAL, place(&c2, "a", align, 3 * RM_PAGEBLOCK_NR));
	EXPECT_EQ(-EINVAL, place(&c2, "a", align, RM_PAGEBLOCK_NR + 1));
	EXPECT_EQ(-EINVAL, place(&c2, "a", align, RM_PAGEBLOCK_NR / 2));
	EXPECT_EQ(-EINVAL, place(&c2, "a", 1, 1));
	/* a count that is not a multiple of the alignment */
	EXPECT_EQ(-EINVAL, place(&c2, "a", align + RM_PAGEBLOCK_NR, align));
	check(_metadata);
	/* block 0 (0x10000, 8192 pages): only its top half fits */
	ASSERT_EQ(0, place(&c2, "a", align, align));
	EXPECT_EQ(0, c2.base_pfn % align);
	EXPECT_EQ(0x10000 + align, c2.base_pfn);
	EXPECT_EQ(align, c2.count);
	oracle_cma = &c2;
	check(_metadata);
	/* no second one of that alignment anywhere */
	EXPECT_EQ(-ENOMEM, place(&cma, "b", align, align));
	ASSERT_EQ(0, rm_cma_lend(&c2));
	check(_metadata);
	pfn = rm_cma_take(&c2, 1000, 512, take_ok, NULL, &err);
	EXPECT_EQ(c2.base_pfn, pfn);
	EXPECT_EQ('C', page_class(pfn + 999));
	EXPECT_EQ('S', page_class(pfn + 1000));
	check(_metadata);
	EXPECT_EQ(0, rm_cma_release(&c2, pfn, 1000));
	ASSERT_EQ(0, rm_cma_unlend(&c2));
	ASSERT_EQ(0, rm_cma_destroy(&c2));
	oracle_cma = NULL;
	check(_metadata);
}

/*
 * The take model: a lent region, random takes, releases, reservations,
 * kept buffers (released with rm_cma_keep(), taken with
 * rm_cma_take_kept(), given back with rm_cma_unkeep() and, later,
 * rm_cma_unkept()) and pins against a model of its buffers.  The fake take callback refuses a
 * range holding a pinned page, setting *stop past the last one (or, at
 * random, leaving it as it came: a position further on); every position
 * it skips so holds that page, so a take lands at the very first aligned
 * position free of buffers, reservations and pins.
 */
#define TM_STEPS	100000
#define TM_MAXBUF	300

/* 0 free, 1 buffer, 2 reservation, 3 kept, 4 on its way to the system */
static u8 tm_used[CMA_COUNT];
static bool tm_pin[CMA_COUNT];
static struct { u64 s, n; bool res; } tm_buf[CMA_COUNT];
static struct { u64 s, n; } tm_giving[CMA_COUNT];
static unsigned int tm_nbuf, tm_calls, tm_ngiving;
static int tm_last, tm_bad;
static u64 tm_last_pos;

static int take_fake(void *arg, u64 pfn, u64 count, u64 *stop)
{
	static const int errs[] = { -EBUSY, -EAGAIN, -ENOMEM };
	u64 i, s = pfn - CMA_BASE, last = U64_MAX;

	tm_calls++;
	if (pfn < CMA_BASE || s + count > CMA_COUNT ||
	    (tm_calls > 1 && pfn <= tm_last_pos))
		tm_bad++;
	tm_last_pos = pfn;
	for (i = s; i < s + count && i < CMA_COUNT; i++) {
		if (tm_used[i])
			tm_bad++;
		if (tm_pin[i])
			last = i;
	}
	if (last == U64_MAX)
		return 0;
	if (rand() % 4)
		*stop = CMA_BASE + last + 1;
	tm_last = errs[rand() % 3];
	return tm_last;
}

/* The brute force: first aligned position free of buffers and pins. */
static u64 tm_first(u64 count, u64 align, bool *buffer_free)
{
	u64 s, q;

	*buffer_free = false;
	for (s = 0; s + count <= CMA_COUNT; s++) {
		if ((CMA_BASE + s) % align)
			continue;
		for (q = s; q < s + count && !tm_used[q]; q++)
			;
		if (q < s + count) {
			s = q;		/* every position to q holds it */
			continue;
		}
		*buffer_free = true;
		for (q = s; q < s + count && !tm_pin[q]; q++)
			;
		if (q == s + count)
			return s;
	}
	return U64_MAX;
}

/* The brute force for rm_cma_take_kept(): the first aligned kept run. */
static u64 tm_first_kept(u64 count, u64 align)
{
	u64 s, q;

	for (s = 0; s + count <= CMA_COUNT; s++) {
		if ((CMA_BASE + s) % align)
			continue;
		for (q = s; q < s + count && tm_used[q] == 3; q++)
			;
		if (q == s + count)
			return s;
	}
	return U64_MAX;
}

static void tm_check(struct __test_metadata *_metadata)
{
	struct rm_cma_usage u;
	u64 q, used = 0, res = 0, kept = 0, giving = 0;
	char want;

	for (q = 0; q < CMA_COUNT; q++) {
		want = tm_used[q] == 1 ? 'C' : tm_used[q] >= 3 ? 'K' : 'S';
		ASSERT_EQ(want, page_class(CMA_BASE + q))
			TH_LOG("page %llu", (unsigned long long)q);
		ASSERT_EQ(!!tm_used[q], rm_bitmap_test(cma.bitmap, q));
		ASSERT_EQ(tm_used[q] == 3, rm_bitmap_test(cma.kept, q));
		ASSERT_FALSE(rm_bitmap_test(cma.releasing, q));
		used += tm_used[q] == 1;
		res += tm_used[q] == 2;
		kept += tm_used[q] == 3;
		giving += tm_used[q] == 4;
	}
	rm_cma_usage(&cma, &u);
	ASSERT_EQ(used, u.used);
	ASSERT_EQ(res, u.memmap);
	ASSERT_EQ(kept + giving, u.kept);
	ASSERT_EQ(CMA_COUNT - used - kept - giving, u.system);
	ASSERT_EQ(0, u.lent + u.free);
	ASSERT_EQ(used, cma.st.used);
	ASSERT_EQ(kept, cma.nr_kept);
	ASSERT_EQ(giving, cma.nr_giving);
}

/*
 * rm_cma_unkeep() with at most @max pages: the first kept run, cut at
 * @max, on its way back to the system.
 */
static void tm_unkeep(struct __test_metadata *_metadata, u64 max)
{
	u64 q, n, pfn = 0;

	for (q = 0; q < CMA_COUNT && tm_used[q] != 3; q++)
		;
	for (n = 0; q + n < CMA_COUNT && n < max && tm_used[q + n] == 3; n++)
		;
	ASSERT_EQ(n, rm_cma_unkeep(&cma, max, &pfn));
	if (!n)
		return;
	ASSERT_EQ(CMA_BASE + q, pfn);
	/* what stays kept of a run cut at max starts with a head */
	if (q + n < CMA_COUNT && tm_used[q + n] == 3)
		ASSERT_TRUE(rm_bitmap_test(cma.heads, q + n));
	memset(tm_used + q, 4, n);
	tm_giving[tm_ngiving].s = q;
	tm_giving[tm_ngiving++].n = n;
}

/* The caller gave back tm_giving[i]: rm_cma_unkept(). */
static void tm_unkept(unsigned int i)
{
	rm_cma_unkept(&cma, CMA_BASE + tm_giving[i].s, tm_giving[i].n);
	memset(tm_used + tm_giving[i].s, 0, tm_giving[i].n);
	tm_giving[i] = tm_giving[--tm_ngiving];
}

static void tm_add(u64 s, u64 n, bool res)
{
	memset(tm_used + s, res ? 2 : 1, n);
	tm_buf[tm_nbuf].s = s;
	tm_buf[tm_nbuf].n = n;
	tm_buf[tm_nbuf++].res = res;
}

/* Is [s, s + n) exactly a buffer or a reservation of the model's? */
static bool tm_is_entry(u64 s, u64 n)
{
	unsigned int i;

	for (i = 0; i < tm_nbuf; i++)
		if (tm_buf[i].s == s && tm_buf[i].n == n)
			return true;
	return false;
}

TEST(take_against_model)
{
	static const u64 aligns[] = { 0, 1, 2, 8, 64, 512, 1024, 2048 };
	unsigned int seed = getenv("TM_SEED") ? atoi(getenv("TM_SEED")) :
			    12;
	unsigned long w0;
	unsigned int step, i, ntakes = 0, nfail = 0, nkept_takes = 0;
	u64 count, align, want, pfn, s, n;
	bool bf;
	int err;

	TH_LOG("seed %u (TM_SEED=%u to repeat)", seed, seed);
	srand(seed);
	setup_cma(_metadata);
	ASSERT_EQ(0, rm_cma_lend(&cma));
	memset(tm_used, 0, sizeof(tm_used));
	memset(tm_pin, 0, sizeof(tm_pin));
	tm_nbuf = 0;
	tm_ngiving = 0;
	tm_bad = 0;
	tm_pin[0] = true;
	tm_pin[CMA_COUNT - 1] = true;
	for (step = 0; step < TM_STEPS; step++) {
		int op = rand() % 18;

		if (op < 5) {
			count = rand() % 3 ? 1 + rand() % 32 :
				1 + rand() % TM_MAXBUF;
			if (!(rand() % 200))
				count = CMA_COUNT;
			align = aligns[rand() % ARRAY_SIZE(aligns)];
			/* kept pages first, as resmem_lend_take() takes */
			want = tm_first_kept(count, align ? align : 1);
			pfn = rm_cma_take_kept(&cma, count, align);
			if (want != U64_MAX) {
				ASSERT_EQ(CMA_BASE + want, pfn)
					TH_LOG("step %u", step);
				tm_add(want, count, false);
				ntakes++;
				nkept_takes++;
				continue;
			}
			ASSERT_EQ(RM_NO_PFN, pfn) TH_LOG("step %u", step);
			/* and, often, all of them given back before a walk */
			while (rand() % 2 && cma.nr_kept)
				tm_unkeep(_metadata, 1 + rand() % TM_MAXBUF);
			want = tm_first(count, align ? align : 1, &bf);
			tm_calls = 0;
			tm_last = 0;
			err = 0;
			pfn = rm_cma_take(&cma, count, align, take_fake, NULL,
					  &err);
			ASSERT_EQ(0, tm_bad) TH_LOG("step %u", step);
			if (want == U64_MAX) {
				ASSERT_EQ(RM_NO_PFN, pfn);
				if (!bf) {
					ASSERT_EQ(-ENOMEM, err);
					ASSERT_EQ(0, tm_calls);
				} else {
					ASSERT_NE(0, tm_calls);
					ASSERT_EQ(tm_last == -EAGAIN ? -EBUSY :
						  tm_last, err)
						TH_LOG("step %u", step);
				}
				nfail++;
				continue;
			}
			ASSERT_EQ(CMA_BASE + want, pfn)
				TH_LOG("step %u count %llu align %llu err %d",
				       step, (unsigned long long)count,
				       (unsigned long long)align, err);
			tm_add(want, count, false);
			ntakes++;
		} else if (op < 12 && tm_nbuf) {
			i = rand() % tm_nbuf;
			if (tm_buf[i].res)
				continue;
			if (rand() % 3) {
				ASSERT_EQ(0, rm_cma_release(&cma,
							    CMA_BASE + tm_buf[i].s,
							    tm_buf[i].n));
				memset(tm_used + tm_buf[i].s, 0, tm_buf[i].n);
			} else {
				ASSERT_EQ(0, rm_cma_keep(&cma, CMA_BASE + tm_buf[i].s,
							 tm_buf[i].n));
				memset(tm_used + tm_buf[i].s, 3, tm_buf[i].n);
			}
			tm_buf[i] = tm_buf[--tm_nbuf];
		} else if (op == 12) {
			/* a pin moves: random, or at the region's ends */
			s = rand() % 4 ? (u64)rand() % CMA_COUNT :
			    rand() % 2 ? 0 : CMA_COUNT - 1;
			tm_pin[s] = !tm_pin[s];
		} else if (op == 13) {
			s = rand() % CMA_COUNT;
			n = 1 + rand() % 16;
			pfn = CMA_BASE + s;
			if (s + n > CMA_COUNT) {
				ASSERT_EQ(-EINVAL, rm_cma_reserve(&cma, pfn, n));
				continue;
			}
			for (i = 0; i < n && !tm_used[s + i]; i++)
				;
			if (i < n) {
				ASSERT_EQ(-EBUSY, rm_cma_reserve(&cma, pfn, n));
				continue;
			}
			/* few reservations: they never go away */
			if (tm_nbuf > 40 || rand() % 8)
				continue;
			ASSERT_EQ(0, rm_cma_reserve(&cma, CMA_BASE + s, n));
			tm_add(s, n, true);
		} else if (op == 14 && tm_nbuf) {
			/* a release of no buffer: part, more, a reservation */
			i = rand() % tm_nbuf;
			s = tm_buf[i].s;
			n = tm_buf[i].n;
			switch (rand() % 3) {
			case 0:
				if (n == 1)
					continue;
				n--;
				break;
			case 1:
				if (tm_buf[i].res)
					continue;
				n++;
				if (s + n > CMA_COUNT)
					continue;
				break;
			default:
				/* a whole reservation: release_of_reservation_refused */
				s++;
				if (s + n > CMA_COUNT)
					continue;
			}
			if (tm_is_entry(s, n))
				continue;	/* a neighbour, shifted onto */
			w0 = rm_user_warnings;
			ASSERT_EQ(-EINVAL, rm_cma_release(&cma, CMA_BASE + s,
							  n));
			ASSERT_EQ(w0 + 1, rm_user_warnings);
			rm_user_warnings = w0;
		} else if (op == 15 && !(rand() % 64)) {
			tm_check(_metadata);
		} else if (op == 15) {
			/*
			 * kept pages, or ones on their way back (at random,
			 * exactly what rm_cma_unkeep() gave): no buffer
			 */
			s = rand() % CMA_COUNT;
			n = 1 + rand() % 8;
			if (tm_ngiving && rand() % 2) {
				i = rand() % tm_ngiving;
				s = tm_giving[i].s;
				n = tm_giving[i].n;
			}
			if (tm_used[s] < 3 || s + n > CMA_COUNT)
				continue;
			w0 = rm_user_warnings;
			if (rand() % 2) {
				ASSERT_EQ(-EINVAL, rm_cma_release(&cma,
								  CMA_BASE + s,
								  n));
			} else {
				ASSERT_EQ(-EINVAL, rm_cma_keep(&cma, CMA_BASE + s,
							       n));
			}
			ASSERT_EQ(w0 + 1, rm_user_warnings);
			rm_user_warnings = w0;
		} else if (op == 16) {
			/* the glue gives all back with U64_MAX */
			tm_unkeep(_metadata, rand() % 4 ? 1 + rand() % 64 :
					     rand() % 2 ? CMA_COUNT : U64_MAX);
		} else if (op == 17 && tm_ngiving) {
			tm_unkept(rand() % tm_ngiving);
		}
		if (!(step % 4096))
			check(_metadata);
	}
	tm_check(_metadata);
	check(_metadata);
	TH_LOG("%u takes (%u of kept pages), %u failed", ntakes, nkept_takes,
	       nfail);
	EXPECT_GT(ntakes, TM_STEPS / 25);
	EXPECT_GT(nkept_takes, TM_STEPS / 1000);
	EXPECT_GT(nfail, TM_STEPS / 100);
	/* everything back: unlend refuses while kept pages remain */
	while (tm_ngiving) {
		ASSERT_EQ(-EBUSY, rm_cma_unlend(&cma));
		tm_unkept(0);
	}
	while (cma.nr_kept) {
		ASSERT_EQ(-EBUSY, rm_cma_unlend(&cma));
		tm_unkeep(_metadata, U64_MAX);
		tm_check(_metadata);
		tm_unkept(0);
	}
	tm_check(_metadata);
	/* and while a buffer remains */
	for (i = 0; i < tm_nbuf; i++) {
		if (tm_buf[i].res)
			continue;
		ASSERT_EQ(-EBUSY, rm_cma_unlend(&cma));
		ASSERT_EQ(0, rm_cma_release(&cma, CMA_BASE + tm_buf[i].s,
					    tm_buf[i].n));
	}
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	check(_metadata);
}

/*
 * The other CPU, played in every gap between two lock holds of the
 * release under test (rm_user_hold_hook): a take from kept pages, a
 * give-back, or a walk that may take only @gap_want.  Each runs once it
 * succeeds; a release must have set its pages' kind before another CPU
 * can take them, or that CPU's kind is overwritten.
 */
enum { GAP_NONE, GAP_TAKE_KEPT, GAP_GIVE_BACK, GAP_WALK };
static int gap_op;
static bool gap_in;
static u64 gap_want, gap_count, gap_pfn, gap_n;

static int take_only_want(void *arg, u64 pfn, u64 count, u64 *stop)
{
	return pfn == gap_want ? 0 : -EBUSY;
}

static void gap_play(bool begin)
{
	int err;

	if (begin || gap_in || gap_op == GAP_NONE || gap_pfn != RM_NO_PFN)
		return;
	gap_in = true;
	if (gap_op == GAP_TAKE_KEPT) {
		gap_pfn = rm_cma_take_kept(&cma, gap_count, 0);
	} else if (gap_op == GAP_GIVE_BACK) {
		gap_n = rm_cma_unkeep(&cma, U64_MAX, &gap_pfn);
		if (gap_n)
			rm_cma_unkept(&cma, gap_pfn, gap_n);
		else
			gap_pfn = RM_NO_PFN;
	} else {
		gap_pfn = rm_cma_take(&cma, gap_count, 0, take_only_want, NULL,
				      &err);
	}
	gap_in = false;
}

/* Every page of [pfn, pfn + n) is of @class. */
static u64 not_of_class(u64 pfn, u64 n, char class)
{
	u64 bad = 0, p;

	for (p = pfn; p < pfn + n; p++)
		bad += page_class(p) != class;
	return bad;
}

static u64 take_at(struct __test_metadata *_metadata, u64 pfn, u64 count)
{
	int err;

	gap_want = pfn;
	return rm_cma_take(&cma, count, 0, take_only_want, NULL, &err);
}

/*
 * rm_cma_keep() and rm_cma_release() of a lent region against another CPU
 * that takes, or gives back, the pages the moment it can: the pages end
 * as that CPU left them ('C' taken again, 'S' given back), with no
 * warning, and a buffer taken so is released as any other.
 */
TEST(keep_and_release_against_the_other_cpu)
{
	u64 a = CMA_BASE + RM_PAGEBLOCK_NR + 5, n = 700;
	unsigned long w0 = rm_user_warnings;

	setup_cma(_metadata);
	ASSERT_EQ(0, rm_cma_lend(&cma));
	rm_user_hold_hook = gap_play;

	/* kept, and taken from kept pages in a gap of the keep */
	ASSERT_EQ(a, take_at(_metadata, a, n));
	gap_op = GAP_TAKE_KEPT;
	gap_count = n;
	gap_pfn = RM_NO_PFN;
	ASSERT_EQ(0, rm_cma_keep(&cma, a, n));
	gap_op = GAP_NONE;
	ASSERT_EQ(a, gap_pfn);
	EXPECT_EQ(0, not_of_class(a, n, 'C'));
	EXPECT_EQ(0, cma.nr_kept);
	EXPECT_EQ(0, rm_cma_release(&cma, a, n));
	EXPECT_EQ(0, not_of_class(a, n, 'S'));

	/* kept, and given back in a gap of the keep */
	ASSERT_EQ(a, take_at(_metadata, a, n));
	gap_op = GAP_GIVE_BACK;
	gap_pfn = RM_NO_PFN;
	ASSERT_EQ(0, rm_cma_keep(&cma, a, n));
	gap_op = GAP_NONE;
	ASSERT_EQ(a, gap_pfn);
	ASSERT_EQ(n, gap_n);
	EXPECT_EQ(0, not_of_class(a, n, 'S'));
	EXPECT_EQ(0, cma.nr_kept + cma.nr_giving);
	EXPECT_EQ(CMA_COUNT, rm_bitmap_next_set(cma.bitmap, CMA_COUNT, 0));

	/* released, and taken again by a walk in a gap of the release */
	ASSERT_EQ(a, take_at(_metadata, a, n));
	gap_op = GAP_WALK;
	gap_want = a;
	gap_count = n;
	gap_pfn = RM_NO_PFN;
	ASSERT_EQ(0, rm_cma_release(&cma, a, n));
	gap_op = GAP_NONE;
	ASSERT_EQ(a, gap_pfn);
	EXPECT_EQ(0, not_of_class(a, n, 'C'));
	EXPECT_EQ(n, cma.st.used);
	EXPECT_EQ(0, rm_cma_release(&cma, a, n));
	EXPECT_EQ(0, not_of_class(a, n, 'S'));

	rm_user_hold_hook = NULL;
	EXPECT_EQ(w0, rm_user_warnings);
	rm_user_warnings = w0;
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	check(_metadata);
}

/*
 * rm_cma_give()'s callback: counts its calls, and checks that the pages
 * are still one taken buffer ('C', set in the bitmap: no walk can take
 * them) while the system gets them.
 */
static unsigned int gives;
static u64 give_pfn, give_count, give_unready;

static void give_count_calls(void *arg, u64 pfn, u64 count)
{
	u64 s = pfn - CMA_BASE;

	gives++;
	give_pfn = pfn;
	give_count = count;
	give_unready = not_of_class(pfn, count, 'C') +
		       (count - rm_bitmap_weight(cma.bitmap, s, count));
}

/*
 * A lent region hands a released buffer to the system only once it is
 * found to be exactly a buffer: part of one, one and a page more, two, a
 * kept one, free pages, pages outside the region and a buffer released
 * twice warn, change nothing and give nothing (in the kernel, give is
 * free_contig_range(): a bad release would free pages that are not the
 * caller's, or free them twice).
 */
TEST(give_hands_over_only_a_buffer)
{
	u64 a = CMA_BASE + RM_PAGEBLOCK_NR, c = a + 64, k = a + 128, used, pfn;
	unsigned long w0;

	setup_cma(_metadata);
	/* a region that is not lent has no system to give to */
	gives = 0;
	w0 = rm_user_warnings;
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, a, 1, give_count_calls, NULL));
	EXPECT_EQ(w0 + 1, rm_user_warnings);
	rm_user_warnings = w0;
	ASSERT_EQ(0, rm_cma_lend(&cma));
	ASSERT_EQ(a, take_at(_metadata, a, 64));
	ASSERT_EQ(c, take_at(_metadata, c, 64));
	ASSERT_EQ(k, take_at(_metadata, k, 64));
	ASSERT_EQ(0, rm_cma_keep(&cma, k, 64));
	used = cma.st.used;
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, a, 63, give_count_calls, NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, a + 1, 63, give_count_calls,
				       NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, a, 128, give_count_calls, NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, a + 32, 64, give_count_calls,
				       NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, c, 65, give_count_calls, NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, k, 64, give_count_calls, NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, k + 64, 64, give_count_calls,
				       NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, CMA_BASE - 1, 1,
				       give_count_calls, NULL));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, a, 0, give_count_calls, NULL));
	EXPECT_EQ(w0 + 9, rm_user_warnings);
	EXPECT_EQ(0, gives);
	EXPECT_EQ(used, cma.st.used);
	EXPECT_EQ(64, cma.nr_kept);

	EXPECT_EQ(0, rm_cma_give(&cma, c, 64, give_count_calls, NULL));
	EXPECT_EQ(1, gives);
	EXPECT_EQ(c, give_pfn);
	EXPECT_EQ(64, give_count);
	EXPECT_EQ(0, give_unready);
	EXPECT_EQ(0, not_of_class(c, 64, 'S'));
	EXPECT_EQ(-EINVAL, rm_cma_give(&cma, c, 64, give_count_calls, NULL));
	EXPECT_EQ(1, gives);				/* twice */
	EXPECT_EQ(0, rm_cma_give(&cma, a, 64, give_count_calls, NULL));
	EXPECT_EQ(2, gives);
	EXPECT_EQ(0, give_unready);
	EXPECT_EQ(w0 + 10, rm_user_warnings);
	rm_user_warnings = w0;		/* expected: check() wants none */
	EXPECT_EQ(0, cma.st.used);
	check(_metadata);

	ASSERT_EQ(64, rm_cma_unkeep(&cma, U64_MAX, &pfn));
	ASSERT_EQ(k, pfn);
	rm_cma_unkept(&cma, k, 64);
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	check(_metadata);
}

/*
 * A buffer released a second time while a give-back has its pages on
 * their way to the system: rm_cma_unkeep() has taken them out of the kept
 * ones and rm_cma_unkept() is between its lock holds, so that they are
 * still set in the bitmap and still have their head.  The second release,
 * made in that gap (rm_user_hold_hook) by rm_cma_give() or rm_cma_keep(),
 * is refused with a warning, gives the system nothing and changes no
 * count.  In the kernel it would free the pages twice, or keep pages the
 * system has.
 */
static int late_ret;
static bool late_keep;
static unsigned int late_runs;
static u64 late_pfn;

static void late_release(bool begin)
{
	if (begin || late_runs++)
		return;
	if (late_keep)
		late_ret = rm_cma_keep(&cma, late_pfn, 64);
	else
		late_ret = rm_cma_give(&cma, late_pfn, 64, give_count_calls,
				       NULL);
}

TEST(release_refused_while_given_back)
{
	u64 a = CMA_BASE + RM_PAGEBLOCK_NR, pfn;
	unsigned long w0 = rm_user_warnings;
	int i;

	setup_cma(_metadata);
	ASSERT_EQ(0, rm_cma_lend(&cma));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(a, take_at(_metadata, a, 64));
		ASSERT_EQ(0, rm_cma_keep(&cma, a, 64));
		ASSERT_EQ(64, rm_cma_unkeep(&cma, U64_MAX, &pfn));
		ASSERT_EQ(a, pfn);
		gives = 0;
		late_runs = 0;
		late_keep = i;
		late_pfn = a;
		late_ret = 0;
		rm_user_hold_hook = late_release;
		rm_cma_unkept(&cma, a, 64);
		rm_user_hold_hook = NULL;
		EXPECT_NE(0, late_runs);
		EXPECT_EQ(-EINVAL, late_ret);
		EXPECT_EQ(0, gives);
		EXPECT_EQ(w0 + 1, rm_user_warnings);
		rm_user_warnings = w0;
		EXPECT_EQ(0, cma.st.used);
		EXPECT_EQ(0, cma.nr_kept + cma.nr_giving);
		EXPECT_EQ(0, not_of_class(a, 64, 'S'));
		EXPECT_EQ(CMA_COUNT, rm_bitmap_next_set(cma.bitmap, CMA_COUNT,
							0));
	}
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	check(_metadata);
}

/*
 * rm_cma_args_ok() at its edges: a count of 1 to the region's size, an
 * alignment of 0 or a power of two (the highest too); and a lent region
 * whose take from kept pages is asked with bad arguments keeps them.
 */
TEST(args_ok_edges)
{
	u64 a = CMA_BASE + RM_PAGEBLOCK_NR, pfn;

	setup_cma(_metadata);
	EXPECT_FALSE(rm_cma_args_ok(&cma, 0, 0));
	EXPECT_TRUE(rm_cma_args_ok(&cma, 1, 0));
	EXPECT_TRUE(rm_cma_args_ok(&cma, CMA_COUNT, 0));
	EXPECT_FALSE(rm_cma_args_ok(&cma, CMA_COUNT + 1, 0));
	EXPECT_FALSE(rm_cma_args_ok(&cma, U64_MAX, 0));
	EXPECT_TRUE(rm_cma_args_ok(&cma, 1, 1));
	EXPECT_TRUE(rm_cma_args_ok(&cma, 1, 2));
	EXPECT_FALSE(rm_cma_args_ok(&cma, 1, 3));
	EXPECT_TRUE(rm_cma_args_ok(&cma, 1, 512));
	EXPECT_FALSE(rm_cma_args_ok(&cma, 1, 513));
	EXPECT_TRUE(rm_cma_args_ok(&cma, 1, 1ULL << 63));
	EXPECT_FALSE(rm_cma_args_ok(&cma, 1, U64_MAX));

	ASSERT_EQ(0, rm_cma_lend(&cma));
	ASSERT_EQ(a, take_at(_metadata, a, 64));
	ASSERT_EQ(0, rm_cma_keep(&cma, a, 64));
	EXPECT_EQ(RM_NO_PFN, rm_cma_take_kept(&cma, 0, 0));
	EXPECT_EQ(RM_NO_PFN, rm_cma_take_kept(&cma, 64, 3));
	EXPECT_EQ(RM_NO_PFN, rm_cma_take_kept(&cma, CMA_COUNT + 1, 0));
	EXPECT_EQ(64, cma.nr_kept);
	EXPECT_EQ(a, rm_cma_take_kept(&cma, 64, 0));
	EXPECT_EQ(0, rm_cma_release(&cma, a, 64));
	EXPECT_EQ(0, rm_cma_unkeep(&cma, U64_MAX, &pfn));
	ASSERT_EQ(0, rm_cma_unlend(&cma));
	check(_metadata);
}

TEST_HARNESS_MAIN
