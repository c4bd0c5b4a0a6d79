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
#include <stdlib.h>
#include <resmem/core.h>
#include "kselftest_harness.h"

#define NBLK 3

struct alloc {
	u64 pfn;
	unsigned int order;
	int nid;
	unsigned int flags;
};

static struct rm_region rg;
static struct rm_buddy b;
static void *mem[NBLK];
static u8 *seen[NBLK];
static struct alloc *live;
static unsigned int nlive;

/* 3 blocks: node 0 aligned, node 1 unaligned and odd-sized, node 0 small */
static const struct {
	u64 pfn, nr;
	int nid;
} layout[NBLK] = {
	{ 0x10000, 8192, 0 },
	{ 0x20123, 5001, 1 },
	{ 0x30000, 700, 0 },
};

static void setup(unsigned int max_order)
{
	unsigned int i;

	rm_region_init(&rg);
	for (i = 0; i < NBLK; i++) {
		mem[i] = aligned_alloc(PAGE_SIZE, layout[i].nr * PAGE_SIZE);
		memset(mem[i], 0x5a, layout[i].nr * PAGE_SIZE);
		seen[i] = calloc(layout[i].nr, 1);
		if (rm_region_add(&rg, layout[i].pfn, layout[i].nr,
				  layout[i].nid, i))
			abort();
	}
	for (i = 0; i < NBLK; i++)
		rg.block[i].vaddr = mem[i];
	if (rm_region_enable(&rg) || rm_buddy_init(&b, &rg, max_order))
		abort();
	live = calloc(1 << 16, sizeof(*live));
	nlive = 0;
	rm_user_cpu = 0;
	rm_user_node = 0;
	rm_user_warnings = 0;
}

enum { S_NONE, S_META, S_FREE, S_PCP, S_ALLOC };

static int mark(struct __test_metadata *_metadata, unsigned int zi, u64 pfn,
		unsigned int order, int what)
{
	struct rm_block *blk = &rg.block[zi];
	u64 i;

	ASSERT_GE(pfn, blk->base_pfn);
	ASSERT_LE(pfn + (1ULL << order), blk->base_pfn + blk->nr_pages);
	ASSERT_EQ(0, pfn & ((1ULL << order) - 1));
	for (i = 0; i < (1ULL << order); i++) {
		ASSERT_EQ(S_NONE, seen[zi][pfn - blk->base_pfn + i])
			TH_LOG("pfn %llx seen twice",
			       (unsigned long long)(pfn + i));
		seen[zi][pfn - blk->base_pfn + i] = what;
	}
	return 0;
}

static u64 lpfn(unsigned int zi, struct rm_list *n)
{
	return rg.block[zi].base_pfn +
	       (((char *)n - (char *)mem[zi]) >> PAGE_SHIFT);
}

static void check(struct __test_metadata *_metadata)
{
	unsigned int zi, o, mt, i, cpu;

	for (zi = 0; zi < NBLK; zi++)
		memset(seen[zi], 0, layout[zi].nr);
	for (i = 0; i < nlive; i++) {
		struct rm_block *blk = rm_region_find(&rg, live[i].pfn);
		u64 p, n = 1ULL << live[i].order;
		u16 s;

		ASSERT_NE(NULL, blk);
		zi = blk - rg.block;
		mark(_metadata, zi, live[i].pfn, live[i].order, S_ALLOC);
		s = blk->state[live[i].pfn - blk->base_pfn];
		ASSERT_EQ(rm_ps_make(RM_PK_BUDDY, live[i].order, 0, true) |
			  (live[i].flags & RM_ALLOC_MOVABLE ? RM_PS_MOVABLE : 0),
			  s);
		for (p = 1; p < n; p++)
			ASSERT_EQ(RM_PK_BUDDY, rm_ps_kind(blk->state[live[i].pfn -
							blk->base_pfn + p]));
	}
	for (zi = 0; zi < NBLK; zi++) {
		struct rm_zone *z = &b.zone[zi];
		struct rm_block *blk = &rg.block[zi];
		u64 free_pages = 0, p;

		for (p = 0; p < blk->meta_pages; p++)
			seen[zi][p] = S_META;
		for (o = 0; o <= z->max_order; o++) {
			for (mt = 0; mt < RM_MT_TYPES; mt++) {
				struct rm_list *h = &z->area[o].list[mt], *n;
				u64 cnt = 0;

				for (n = h->next; n != h; n = n->next) {
					u64 pfn = lpfn(zi, n);

					ASSERT_EQ(n->next->prev, n);
					mark(_metadata, zi, pfn, o, S_FREE);
					ASSERT_EQ(rm_ps_make(RM_PK_FREE, o, mt, true),
						  blk->state[pfn - blk->base_pfn]);
					cnt++;
				}
				ASSERT_EQ(cnt, z->area[o].nr_free[mt]);
				free_pages += cnt << o;
			}
		}
		ASSERT_EQ(free_pages, z->free_pages);
		rm_for_each_cpu(cpu) {
			struct rm_pcp *pcp = rm_per_cpu_ptr(z->pcp, cpu);
			u64 cached = 0;

			for (o = 0; o <= RM_PCP_MAX_ORDER; o++) {
				for (mt = 0; mt < RM_MT_PCPTYPES; mt++) {
					struct rm_list *h = &pcp->list[o][mt], *n;

					for (n = h->next; n != h; n = n->next) {
						u64 pfn = lpfn(zi, n);

						mark(_metadata, zi, pfn, o, S_PCP);
						ASSERT_EQ(RM_PK_PCP, rm_ps_kind(blk->state[pfn - blk->base_pfn]));
						cached += 1ULL << o;
					}
				}
			}
			ASSERT_EQ(cached, pcp->count);
			/*
			 * high bounds it after a free; refills of the other
			 * lists since then may each add a batch
			 */
			ASSERT_LE(pcp->count, pcp->high +
				  (RM_PCP_MAX_ORDER + 1) * RM_MT_PCPTYPES *
				  max(pcp->batch, 1U << RM_PCP_MAX_ORDER));
		}
		for (p = 0; p < blk->nr_pages; p++) {
			ASSERT_NE(S_NONE, seen[zi][p])
				TH_LOG("pfn %llx is lost",
				       (unsigned long long)(blk->base_pfn + p));
			ASSERT_EQ(seen[zi][p] != S_FREE,
				  rm_bitmap_test(blk->bitmap, p));
			if (seen[zi][p] == S_FREE &&
			    !(blk->state[p] & RM_PS_HEAD))
				ASSERT_EQ(0, blk->state[p]);
		}
	}
	ASSERT_EQ(0, rm_user_warnings);
}

/* Does any zone in @nid's reach have a listed free block of >= @order? */
static bool listed(int nid, bool strict, unsigned int order)
{
	unsigned int zi, o, mt;

	for (zi = 0; zi < NBLK; zi++) {
		if (strict && rg.block[zi].nid != nid)
			continue;
		for (o = order; o <= b.zone[zi].max_order; o++)
			for (mt = 0; mt < RM_MT_CMA; mt++)
				if (b.zone[zi].area[o].nr_free[mt])
					return true;
	}
	return false;
}

static bool listed_on(int nid, unsigned int order)
{
	unsigned int zi, o, mt;

	for (zi = 0; zi < NBLK; zi++) {
		if (rg.block[zi].nid != nid)
			continue;
		for (o = order; o <= b.zone[zi].max_order; o++)
			for (mt = 0; mt < RM_MT_CMA; mt++)
				if (b.zone[zi].area[o].nr_free[mt])
					return true;
	}
	return false;
}

static void free_at(unsigned int i)
{
	rm_buddy_free(&b, live[i].pfn, live[i].order);
	live[i] = live[--nlive];
}

/* Free lists as (pfn, order) pairs, ignoring type, sorted. */
static unsigned int snapshot(u64 *out)
{
	unsigned int zi, o, mt, n = 0, i, j;

	for (zi = 0; zi < NBLK; zi++)
		for (o = 0; o <= b.zone[zi].max_order; o++)
			for (mt = 0; mt < RM_MT_TYPES; mt++) {
				struct rm_list *h = &b.zone[zi].area[o].list[mt];
				struct rm_list *l;

				for (l = h->next; l != h; l = l->next)
					out[n++] = lpfn(zi, l) << 6 | o;
			}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
			u64 t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

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
	ASSERT_EQ(200, st.allocations);
	ASSERT_EQ(200, st.frees);
	/* every allocation was a hit or brought a batch (2 pages here) */
	ASSERT_EQ(200, st.pcp_hits + st.pcp_refills);
	ASSERT_GE(st.pcp_hits, 99);
	ASSERT_GT(st.pcp_spills, 0);
	ASSERT_GT(st.pcp_pages, 0);
	check(_metadata);
	rm_buddy_drain(&b);
	rm_buddy_stats(&b, &st);
	ASSERT_EQ(0, st.pcp_pages);
	ASSERT_EQ(rm_region_total_pages(&rg) - rm_region_meta_pages(&rg),
		  st.free_pages);
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
