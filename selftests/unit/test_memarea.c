// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/memarea.c against brute force.
 *
 * The oracle knows which pages are free (neither metadata nor in a live
 * allocation; per-CPU cached pages count as free, since memarea drains them
 * before it gives up).  For every request it computes by brute force
 * whether a fitting area exists in the zones the request may use, and for
 * first fit exactly where; for best fit the length of the shortest fitting
 * run.  memarea must agree, and the full buddy checker runs after every
 * step, mixing buddy and memarea allocations in one pool.
 */
#include "kselftest_harness.h"
#include "oracle.h"

/* Brute-force free map of block @zi: 1 = free (cached pages count). */
static void free_map(unsigned int zi, u8 *fm)
{
	struct rm_block *blk = &rg.block[zi];
	unsigned int i;
	u64 p;

	memset(fm, 1, blk->nr_pages);
	memset(fm, 0, blk->meta_pages);
	for (i = 0; i < nlive; i++) {
		u64 n = live[i].count ? live[i].count : 1ULL << live[i].order;

		if (rm_region_find(&rg, live[i].pfn) != blk)
			continue;
		for (p = 0; p < n; p++)
			fm[live[i].pfn - blk->base_pfn + p] = 0;
	}
}

struct answer {
	unsigned int zone;	/* first zone in order with a fit */
	u64 first;		/* its lowest fitting pfn */
	u64 best_run;		/* its shortest fitting free run */
};

/* Zone order for @nid, as the allocator walks it. */
static unsigned int zone_order(int nid, bool strict, unsigned int *zl)
{
	unsigned int i, n = strict ? b.nr_local[nid] : b.nr_zones;

	for (i = 0; i < n; i++)
		zl[i] = b.zonelist[nid][i];
	return n;
}

static bool brute(const struct rm_memarea_req *r, int nid,
		  struct answer *ans)
{
	static u8 fm[16384];
	unsigned int zl[NBLK], nz = zone_order(nid, r->flags &
					      RM_ALLOC_STRICT_NODE, zl), k;
	u64 i, a, e, p;

	for (k = 0; k < nz; k++) {
		struct rm_block *blk = &rg.block[zl[k]];
		bool found = false;

		free_map(zl[k], fm);
		ans->best_run = U64_MAX;
		for (a = 0; a < blk->nr_pages; a = e) {
			if (!fm[a]) {
				e = a + 1;
				continue;
			}
			for (e = a; e < blk->nr_pages && fm[e]; e++)
				;
			for (p = a; p + r->count <= e; p++) {
				if ((blk->base_pfn + p) % r->align != r->offset)
					continue;
				if (!found)
					ans->first = blk->base_pfn + p;
				found = true;
				ans->best_run = min(ans->best_run, e - a);
				break;
			}
		}
		if (found) {
			ans->zone = zl[k];
			return true;
		}
	}
	(void)i;
	return false;
}

/* Length of the free run (before the allocation) holding [pfn, +count). */
static u64 run_len(u64 pfn, u64 count)
{
	static u8 fm[16384];
	struct rm_block *blk = rm_region_find(&rg, pfn);
	u64 a = pfn - blk->base_pfn, e = a + count;

	free_map(blk - rg.block, fm);
	/* the new area is not in live[] yet: its pages read as free */
	while (a > 0 && fm[a - 1])
		a--;
	while (e < blk->nr_pages && fm[e])
		e++;
	return e - a;
}

static void one_request(struct __test_metadata *_metadata,
			struct rm_memarea_req *r)
{
	int nid = r->nid == NUMA_NO_NODE ? rm_user_node : r->nid;
	struct rm_block *blk;
	struct answer ans;
	bool exists;
	u64 pfn;

	ASSERT_EQ(0, rm_memarea_check(&b, r));
	exists = brute(r, nid, &ans);
	pfn = rm_memarea_alloc(&ma, r);
	ASSERT_EQ(exists, pfn != RM_NO_PFN)
		TH_LOG("count %llu align %llu offset %llu policy %u",
		       (unsigned long long)r->count,
		       (unsigned long long)r->align,
		       (unsigned long long)r->offset, r->policy);
	if (pfn == RM_NO_PFN)
		return;
	blk = rm_region_find(&rg, pfn);
	ASSERT_EQ(ans.zone, blk - rg.block);
	ASSERT_EQ(r->offset, pfn % r->align);
	ASSERT_LE(pfn + r->count, blk->base_pfn + blk->nr_pages);
	if (r->policy == RM_POLICY_FIRST_FIT)
		ASSERT_EQ(ans.first, pfn);
	if (r->policy == RM_POLICY_BEST_FIT)
		ASSERT_EQ(ans.best_run, run_len(pfn, r->count));
	live[nlive++] = (struct alloc){ pfn, 0, nid, r->flags, r->count };
}

TEST(random_mixed_with_buddy)
{
	static const u64 aligns[] = { 0, 1, 2, 8, 64, 512, 1024 };
	struct rm_memarea_stats st;
	unsigned int step;

	setup(10);
	srandom(5);
	for (step = 0; step < 1500; step++) {
		unsigned int r = random() % 100;

		rm_user_cpu = random() % RM_USER_NR_CPUS;
		rm_user_node = random() % 2;
		if (r < 30) {
			unsigned int order = random() % 6, fl = random() & 1;
			u64 pfn = rm_buddy_alloc(&b, order, NUMA_NO_NODE, fl,
						 RM_PK_BUDDY);

			if (pfn != RM_NO_PFN)
				live[nlive++] = (struct alloc){ pfn, order,
								0, fl, 0 };
		} else if (r < 65 || !nlive) {
			struct rm_memarea_req q = {
				.count = 1 + random() % (random() % 8 ? 300 :
							 3000),
				.align = aligns[random() % ARRAY_SIZE(aligns)],
				.nid = random() % 3 - 1,
				.policy = random() % 3,
			};

			if (q.nid >= 0 && random() % 2)
				q.flags |= RM_ALLOC_STRICT_NODE;
			q.offset = q.align ? random() % q.align : 0;
			/*
			 * memarea sees cached pages as used until it fails;
			 * drained, its view and the oracle's agree exactly
			 */
			if (random() % 4)
				rm_buddy_drain(&b);
			else
				q.policy = RM_POLICY_LEAST_FRAG;
			one_request(_metadata, &q);
		} else {
			free_at(random() % nlive);
		}
		check(_metadata);
	}
	rm_memarea_stats(&ma, &st);
	TH_LOG("%llu requests: %llu served, %llu failed (%llu fragmentation)",
	       (unsigned long long)st.requests,
	       (unsigned long long)st.successes,
	       (unsigned long long)st.failures,
	       (unsigned long long)st.frag_failures);
	/* the sequence must exercise both answers */
	if (rm_stats_enabled()) {
		EXPECT_GT(st.successes, 100);
		EXPECT_GT(st.frag_failures, 10);
	}
	while (nlive)
		free_at(0);
	rm_buddy_drain(&b);
	check(_metadata);
}

TEST(one_hole_at_the_very_end)
{
	struct rm_block *blk;
	struct rm_memarea_stats st;
	struct rm_memarea_req q = { .count = 777, .nid = 1,
				    .flags = RM_ALLOC_STRICT_NODE };
	u64 pfn, end, i;

	setup(10);
	blk = &rg.block[1];
	end = blk->base_pfn + blk->nr_pages;
	/* node 1, page by page, until nothing is left */
	while ((pfn = rm_buddy_alloc(&b, 0, 1, RM_ALLOC_STRICT_NODE,
				     RM_PK_BUDDY)) != RM_NO_PFN)
		live[nlive++] = (struct alloc){ pfn, 0, 1, 0, 0 };
	/* a hole of 777 at the very end, and every third page elsewhere */
	for (i = 0; i < nlive;) {
		if (live[i].pfn >= end - 777 || live[i].pfn % 3 == 0)
			free_at(i);
		else
			i++;
	}
	rm_buddy_drain(&b);
	check(_metadata);
	ASSERT_EQ(0, rm_memarea_check(&b, &q));
	pfn = rm_memarea_alloc(&ma, &q);
	ASSERT_EQ(end - 777, pfn);
	live[nlive++] = (struct alloc){ pfn, 0, 1, 0, 777 };
	check(_metadata);
	/* no second one: a fragmentation failure, memory is there */
	q.count = 2;
	ASSERT_EQ(RM_NO_PFN, rm_memarea_alloc(&ma, &q));
	rm_memarea_stats(&ma, &st);
	if (rm_stats_enabled()) {
		EXPECT_EQ(2, st.requests);
		EXPECT_EQ(1, st.successes);
		EXPECT_EQ(1, st.frag_failures);
		EXPECT_GT(st.summaries, 0);
	}
	q.count = 1;
	ASSERT_NE(RM_NO_PFN, pfn = rm_memarea_alloc(&ma, &q));
	live[nlive++] = (struct alloc){ pfn, 0, 1, 0, 1 };
	check(_metadata);
}

TEST(whole_block)
{
	struct rm_block *blk;
	struct rm_memarea_req q = { .nid = 0, .flags = RM_ALLOC_STRICT_NODE };
	u64 pfn, most;

	setup(10);
	blk = &rg.block[0];
	most = blk->nr_pages - blk->meta_pages;
	q.count = most;
	ASSERT_EQ(0, rm_memarea_check(&b, &q));
	pfn = rm_memarea_alloc(&ma, &q);
	ASSERT_EQ(blk->base_pfn + blk->meta_pages, pfn);
	live[nlive++] = (struct alloc){ pfn, 0, 0, 0, most };
	check(_metadata);
	free_at(0);
	check(_metadata);
	q.count = most + 1;
	ASSERT_EQ(-EINVAL, rm_memarea_check(&b, &q));
}

TEST(alignment_and_offset)
{
	struct rm_memarea_req q = { .count = 3, .align = 1024, .offset = 1021 };
	u64 pfn;

	setup(10);
	ASSERT_EQ(0, rm_memarea_check(&b, &q));
	pfn = rm_memarea_alloc(&ma, &q);
	ASSERT_NE(RM_NO_PFN, pfn);
	ASSERT_EQ(1021, pfn % 1024);
	live[nlive++] = (struct alloc){ pfn, 0, 0, 0, 3 };
	/* the area ends on the 1024 boundary: a 1024-aligned area follows */
	q = (struct rm_memarea_req){ .count = 1024, .align = 1024 };
	ASSERT_EQ(0, rm_memarea_check(&b, &q));
	ASSERT_EQ(pfn + 3, rm_memarea_alloc(&ma, &q));
	live[nlive++] = (struct alloc){ pfn + 3, 0, 0, 0, 1024 };
	check(_metadata);
}

TEST(least_frag_keeps_big_blocks)
{
	struct rm_memarea_req q = { .count = 5, .nid = 0,
				    .flags = RM_ALLOC_STRICT_NODE,
				    .policy = RM_POLICY_LEAST_FRAG };
	struct rm_zone_counts before, after;
	u64 pfn;

	setup(10);
	/* a small hole among big free blocks: least-frag takes the hole */
	pfn = rm_buddy_alloc(&b, 3, 0, RM_ALLOC_STRICT_NODE, RM_PK_BUDDY);
	live[nlive++] = (struct alloc){ pfn, 3, 0, 0, 0 };
	rm_buddy_drain(&b);
	rm_zone_snapshot(&b.zone[0], &before);
	ASSERT_EQ(0, rm_memarea_check(&b, &q));
	pfn = rm_memarea_alloc(&ma, &q);
	ASSERT_NE(RM_NO_PFN, pfn);
	live[nlive++] = (struct alloc){ pfn, 0, 0, 0, 5 };
	rm_zone_snapshot(&b.zone[0], &after);
	/* no top-order block was broken for 5 pages */
	ASSERT_EQ(before.nr_free[10][RM_MT_MOVABLE],
		  after.nr_free[10][RM_MT_MOVABLE]);
	check(_metadata);
}

TEST(bad_requests)
{
	struct rm_memarea_req q;

	setup(10);
	q = (struct rm_memarea_req){ .count = 0 };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	q = (struct rm_memarea_req){ .count = 1, .align = 3 };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	q = (struct rm_memarea_req){ .count = 1, .align = 4, .offset = 4 };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	q = (struct rm_memarea_req){ .count = 1, .offset = 1 };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	q = (struct rm_memarea_req){ .count = 1, .policy = 3 };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	q = (struct rm_memarea_req){ .count = 1, .flags = 1 << 9 };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	/* the first bit past RM_ALLOC_MAY_SLEEP, which is allowed */
	q = (struct rm_memarea_req){ .count = 1, .flags = 1 << 4 };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	q = (struct rm_memarea_req){ .count = 1, .flags = RM_ALLOC_MAY_SLEEP };
	EXPECT_EQ(0, rm_memarea_check(&b, &q));
	q = (struct rm_memarea_req){ .count = U64_MAX };
	EXPECT_EQ(-EINVAL, rm_memarea_check(&b, &q));
	/* freeing what is not an area warns and changes nothing */
	rm_memarea_free(&ma, rg.block[0].base_pfn + 100, 3);
	EXPECT_EQ(1, rm_user_warnings);
	rm_user_warnings = 0;
	check(_metadata);
}

TEST_HARNESS_MAIN
