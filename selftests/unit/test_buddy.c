// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/buddy.c against a brute-force oracle.
 *
 * The oracle knows every live allocation.  After every step the checker
 * walks every free list and per-CPU list of every zone and proves: each
 * page is exactly one of metadata, free (in one list, once), cached, or in
 * one live allocation; list entries are aligned, in their zone, and their
 * state says the order and list they are on; the bitmap bit is clear exactly
 * for pages in free lists; counters match the lists.  Placement is checked
 * against the node asked for, failures against the free lists.  At the end
 * everything is freed and must merge back into the blocks the zones started
 * with.
 */
#include "kselftest_harness.h"

#include "oracle.h"

TEST(random_against_oracle)
{
	static u64 before[4096], after[4096];
	unsigned int step, nb, na;

	setup(10);
	check(_metadata);
	nb = snapshot(before);
	srandom(3);
	for (step = 0; step < 4000; step++) {
		unsigned int r = random() % 100;

		rm_user_cpu = random() % RM_USER_NR_CPUS;
		rm_user_node = random() % 2;
		if (r < 55 || !nlive) {
			unsigned int order = random() % 100 < 70 ?
					     random() % 4 : random() % 11;
			int nid = random() % 3 - 1;	/* -1, 0, 1 */
			unsigned int flags = random() & 3;
			int want = nid < 0 ? rm_user_node : nid;
			bool strict = flags & RM_ALLOC_STRICT_NODE;
			bool local = listed_on(want, order);
			u64 pfn = rm_buddy_alloc(&b, order, nid, flags,
						 RM_PK_BUDDY);

			if (pfn == RM_NO_PFN) {
				/* nothing left even after the drain */
				ASSERT_FALSE(listed(want, strict, order));
			} else {
				struct rm_block *blk = rm_region_find(&rg, pfn);

				if (strict || local)
					ASSERT_EQ(want, blk->nid)
						TH_LOG("order %u", order);
				live[nlive++] = (struct alloc){ pfn, order, want,
								flags };
			}
		} else {
			free_at(random() % nlive);
		}
		check(_metadata);
	}
	while (nlive)
		free_at(0);
	rm_buddy_drain(&b);
	check(_metadata);
	na = snapshot(after);
	ASSERT_EQ(nb, na);
	ASSERT_EQ(0, memcmp(before, after, nb * sizeof(u64)));
}

TEST(exhaust_and_recover)
{
	static u64 before[4096], after[4096];
	unsigned int order, nb;
	u64 pfn, total = 0;

	setup(10);
	nb = snapshot(before);
	for (order = 10; order-- > 0;) {
		while ((pfn = rm_buddy_alloc(&b, order, NUMA_NO_NODE, 0,
					     RM_PK_BUDDY)) != RM_NO_PFN) {
			live[nlive++] = (struct alloc){ pfn, order, 0, 0 };
			total += 1ULL << order;
		}
	}
	check(_metadata);
	/* every free page was handed out */
	ASSERT_EQ(total, rm_region_total_pages(&rg) - rm_region_meta_pages(&rg));
	ASSERT_EQ(RM_NO_PFN, rm_buddy_alloc(&b, 0, 1, RM_ALLOC_STRICT_NODE,
					    RM_PK_BUDDY));
	while (nlive)
		free_at(nlive - 1);
	rm_buddy_drain(&b);
	check(_metadata);
	ASSERT_EQ(nb, snapshot(after));
	ASSERT_EQ(0, memcmp(before, after, nb * sizeof(u64)));
}

TEST(strict_node_and_preference)
{
	u64 pfn;
	int i;

	setup(10);
	for (i = 0; i < 50; i++) {
		pfn = rm_buddy_alloc(&b, 2, 1, RM_ALLOC_STRICT_NODE,
				     RM_PK_BUDDY);
		ASSERT_NE(RM_NO_PFN, pfn);
		ASSERT_EQ(1, rm_region_find(&rg, pfn)->nid);
		live[nlive++] = (struct alloc){ pfn, 2, 1, RM_ALLOC_STRICT_NODE };
	}
	rm_user_node = 1;
	pfn = rm_buddy_alloc(&b, 0, NUMA_NO_NODE, 0, RM_PK_BUDDY);
	ASSERT_EQ(1, rm_region_find(&rg, pfn)->nid);
	live[nlive++] = (struct alloc){ pfn, 0, 1, 0 };
	/* take node 1's order-10 blocks (its block holds at most 4) */
	for (i = 0; i < 5; i++) {
		pfn = rm_buddy_alloc(&b, 10, 1, RM_ALLOC_STRICT_NODE,
				     RM_PK_BUDDY);
		if (pfn == RM_NO_PFN)
			break;
		ASSERT_EQ(1, rm_region_find(&rg, pfn)->nid);
		live[nlive++] = (struct alloc){ pfn, 10, 1, RM_ALLOC_STRICT_NODE };
	}
	ASSERT_GE(i, 1);
	ASSERT_LE(i, 4);
	/* without strict, the next one falls back to node 0 */
	pfn = rm_buddy_alloc(&b, 10, 1, 0, RM_PK_BUDDY);
	ASSERT_NE(RM_NO_PFN, pfn);
	ASSERT_EQ(0, rm_region_find(&rg, pfn)->nid);
	live[nlive++] = (struct alloc){ pfn, 10, 1, 0 };
	check(_metadata);
}

TEST(unmovable_steals_pageblocks)
{
	struct rm_block *blk;
	struct rm_buddy_stats st;
	u64 u, m;

	setup(10);
	/* every pageblock starts movable: the first unmovable one steals */
	u = rm_buddy_alloc(&b, 0, 0, RM_ALLOC_STRICT_NODE, RM_PK_BUDDY);
	ASSERT_NE(RM_NO_PFN, u);
	blk = rm_region_find(&rg, u);
	ASSERT_EQ(RM_MT_UNMOVABLE, blk->pb_mt[rm_block_pb(blk, u)]);
	rm_buddy_stats(&b, &st);
	if (rm_stats_enabled())
		ASSERT_GT(st.pageblocks_stolen, 0);
	m = rm_buddy_alloc(&b, 0, 0, RM_ALLOC_STRICT_NODE | RM_ALLOC_MOVABLE,
			   RM_PK_BUDDY);
	ASSERT_NE(RM_NO_PFN, m);
	blk = rm_region_find(&rg, m);
	ASSERT_EQ(RM_MT_MOVABLE, blk->pb_mt[rm_block_pb(blk, m)]);
	ASSERT_NE(rm_block_pb(blk, u), rm_block_pb(blk, m));
	live[nlive++] = (struct alloc){ u, 0, 0, 0 };
	live[nlive++] = (struct alloc){ m, 0, 0, RM_ALLOC_MOVABLE };
	check(_metadata);
}

TEST(pcp_batches_and_drain)
{
	struct rm_buddy_stats st;
	struct rm_pcp *pcp;
	u64 pfn[200];
	unsigned int i;

	setup(10);
	pcp = rm_per_cpu_ptr(b.zone[0].pcp, 0);
	pfn[0] = rm_buddy_alloc(&b, 0, 0, RM_ALLOC_STRICT_NODE, RM_PK_BUDDY);
	/* one refill brought a batch; the rest stay cached */
	ASSERT_EQ(pcp->batch - 1, pcp->count);
	for (i = 1; i < 200; i++)
		pfn[i] = rm_buddy_alloc(&b, 0, 0, RM_ALLOC_STRICT_NODE,
					RM_PK_BUDDY);
	rm_user_cpu = 1;	/* frees land in another CPU's cache */
	for (i = 0; i < 200; i++)
		rm_buddy_free(&b, pfn[i], 0);
	pcp = rm_per_cpu_ptr(b.zone[0].pcp, 1);
	ASSERT_LE(pcp->count, pcp->high);
	rm_buddy_stats(&b, &st);
	if (rm_stats_enabled()) {
		ASSERT_EQ(200, st.allocations);
		ASSERT_EQ(200, st.frees);
		/* every allocation was a hit or brought a batch (8 pages) */
		ASSERT_EQ(200, st.pcp_hits + st.pcp_refills);
		ASSERT_GE(st.pcp_hits, 174);
		ASSERT_GT(st.pcp_spills, 0);
	}
	ASSERT_GT(st.pcp_pages, 0);
	check(_metadata);
	rm_buddy_drain(&b);
	rm_buddy_stats(&b, &st);
	ASSERT_EQ(0, st.pcp_pages);
	ASSERT_EQ(rm_region_total_pages(&rg) - rm_region_meta_pages(&rg),
		  st.free_pages);
	check(_metadata);
}

/*
 * An allocation that finds nothing drains only the caches that hold pages:
 * with all of them empty it takes no cache's lock (it used to take every
 * CPU's in every zone), and a page cached by another CPU is still found.
 */
TEST(failed_alloc_drains_only_caches_with_pages)
{
	struct rm_buddy_stats s0, s1;
	unsigned int i;
	u64 pfn;

	setup(10);
	rm_user_cpu = 0;
	while ((pfn = rm_buddy_alloc(&b, 0, NUMA_NO_NODE, 0, RM_PK_BUDDY)) !=
	       RM_NO_PFN)
		live[nlive++] = (struct alloc){ pfn, 0, 0, 0 };
	rm_buddy_stats(&b, &s0);
	ASSERT_EQ(0, s0.pcp_pages);
	for (i = 0; i < 100; i++)
		ASSERT_EQ(RM_NO_PFN, rm_buddy_alloc(&b, 0, NUMA_NO_NODE, 0,
						    RM_PK_BUDDY));
	rm_buddy_stats(&b, &s1);
	if (rm_stats_enabled()) {
		ASSERT_EQ(s0.pcp_drain_locks, s1.pcp_drain_locks);
		ASSERT_EQ(s0.pcp_drains, s1.pcp_drains);
		ASSERT_EQ(s0.failures + 100, s1.failures);
	}
	check(_metadata);
	/* one page in CPU 2's cache: CPU 0 gets it, draining that cache */
	pfn = live[nlive - 1].pfn;
	rm_user_cpu = 2;
	free_at(nlive - 1);
	rm_user_cpu = 0;
	rm_buddy_stats(&b, &s0);
	ASSERT_EQ(1, s0.pcp_pages);
	ASSERT_EQ(pfn, rm_buddy_alloc(&b, 0, NUMA_NO_NODE, 0, RM_PK_BUDDY));
	live[nlive++] = (struct alloc){ pfn, 0, 0, 0 };
	rm_buddy_stats(&b, &s1);
	if (rm_stats_enabled()) {
		ASSERT_EQ(s0.pcp_drain_locks + 1, s1.pcp_drain_locks);
		ASSERT_EQ(s0.pcp_drains + 1, s1.pcp_drains);
		ASSERT_EQ(s0.failures, s1.failures);
	}
	check(_metadata);
	while (nlive)
		free_at(nlive - 1);
	rm_buddy_drain(&b);
	check(_metadata);
}

TEST(bad_frees_warn_and_change_nothing)
{
	u64 pfn, before[4096], after[4096];
	unsigned int n;

	setup(10);
	pfn = rm_buddy_alloc(&b, 4, 0, 0, RM_PK_BUDDY);
	live[nlive++] = (struct alloc){ pfn, 4, 0, 0 };
	n = snapshot(before);
	rm_buddy_free(&b, pfn, 3);		/* wrong order */
	rm_buddy_free(&b, pfn + 1, 0);		/* not a head */
	rm_buddy_free(&b, 0x5000, 0);		/* not ours */
	rm_buddy_free(&b, rg.block[0].base_pfn, 0);	/* metadata */
	ASSERT_EQ(4, rm_user_warnings);
	ASSERT_EQ(n, snapshot(after));
	ASSERT_EQ(0, memcmp(before, after, n * sizeof(u64)));
	rm_user_warnings = 0;
	free_at(0);
	rm_buddy_free(&b, pfn, 4);		/* double free */
	ASSERT_EQ(1, rm_user_warnings);
	rm_user_warnings = 0;
	check(_metadata);
}

TEST(zero_flag_and_max_order)
{
	u64 pfn;
	u8 *p;
	u64 i;

	setup(10);
	pfn = rm_buddy_alloc(&b, 3, 0, RM_ALLOC_ZERO, RM_PK_BUDDY);
	p = rm_block_pfn_to_virt(rm_region_find(&rg, pfn), pfn);
	for (i = 0; i < 8 * PAGE_SIZE; i++)
		ASSERT_EQ(0, p[i]);
	live[nlive++] = (struct alloc){ pfn, 3, 0, RM_ALLOC_ZERO };
	ASSERT_EQ(RM_NO_PFN, rm_buddy_alloc(&b, 11, 0, 0, RM_PK_BUDDY));
	ASSERT_EQ(RM_NO_PFN, rm_buddy_alloc(&b, 0, 0, 0, RM_PK_FREE));
	ASSERT_EQ(13, rm_buddy_order_limit(&rg));
	check(_metadata);
	{
		struct rm_buddy other;

		ASSERT_EQ(-EINVAL, rm_buddy_init(&other, &rg, 14));
	}
}

TEST(fragmentation_indexes)
{
	/* 8 free order-0 pages and one order-2 block: 12 pages, 9 blocks */
	u64 nr_free[4] = { 8, 0, 1, 0 };
	u64 none[4] = { 0 };

	ASSERT_EQ(-1000, rm_extfrag_index(nr_free, 4, 2));
	/* order 3: 1000 - (1000 + 12000 / 8) / 9 = 1000 - 277 = 723 */
	ASSERT_EQ(723, rm_extfrag_index(nr_free, 4, 3));
	ASSERT_EQ(0, rm_extfrag_index(none, 4, 3));
	/* order 2: (12 - 1 * 4) * 1000 / 12 = 666 */
	ASSERT_EQ(666, rm_unusable_index(nr_free, 4, 2));
	ASSERT_EQ(0, rm_unusable_index(nr_free, 4, 0));
	ASSERT_EQ(1000, rm_unusable_index(nr_free, 4, 3));
	ASSERT_EQ(1000, rm_unusable_index(none, 4, 0));
}

TEST_HARNESS_MAIN
