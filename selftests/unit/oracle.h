/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The brute-force oracle shared by the buddy and memarea unit tests: a
 * three-block region on two nodes, the list of live allocations, and a
 * checker that walks every free list and per-CPU list after each step.
 * Include after kselftest_harness.h.
 */
#ifndef _RESMEM_UNIT_ORACLE_H
#define _RESMEM_UNIT_ORACLE_H

#include <stdlib.h>
#include <resmem/core.h>

#define NBLK 3

/*
 * A live allocation: a buddy block, or a memarea area when count != 0.
 * kind is the rm_page_kind of a buddy block; 0 means RM_PK_BUDDY.
 */
struct alloc {
	u64 pfn;
	unsigned int order;
	int nid;
	unsigned int flags;
	u64 count;
	unsigned int kind;
};

static struct rm_region rg;
static struct rm_buddy b;
static struct rm_memarea ma;
static struct rm_cma *oracle_cma;	/* a CMA region's buffers, if set */
/*
 * Set by a user with xcf pools: order-0 RM_PK_XCF pages that no live[]
 * entry covers are the pools' (vpage and table pages); check() counts them
 * in oracle_xcf_pages for the user to compare with rm_xcf_total_pages().
 */
static bool oracle_xcf;
static u64 oracle_xcf_pages;
static void *mem[NBLK];
static u8 *seen[NBLK];
static struct alloc *live;
static unsigned int nlive;

/*
 * 3 blocks: node 0 aligned, node 1 unaligned and odd-sized, node 0 small.
 * A user that defines ORACLE_LAYOUT gives its own layout[] of the same
 * shapes before including this (the fuzzer's is smaller, for speed).
 */
#ifndef ORACLE_LAYOUT
static const struct {
	u64 pfn, nr;
	int nid;
} layout[NBLK] = {
	{ 0x10000, 8192, 0 },
	{ 0x20123, 5001, 1 },
	{ 0x30000, 700, 0 },
};
#endif

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
	rm_memarea_init(&ma, &b);
	live = calloc(1 << 16, sizeof(*live));
	nlive = 0;
	rm_user_cpu = 0;
	rm_user_node = 0;
	rm_user_warnings = 0;
	rm_user_free_hook = NULL;
}

enum { S_NONE, S_META, S_FREE, S_PCP, S_ALLOC };

static int mark(struct __test_metadata *_metadata, unsigned int zi, u64 pfn,
		u64 nr, int what)
{
	struct rm_block *blk = &rg.block[zi];
	u64 i;

	ASSERT_GE(pfn, blk->base_pfn);
	ASSERT_LE(pfn + nr, blk->base_pfn + blk->nr_pages);
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(S_NONE, seen[zi][pfn - blk->base_pfn + i])
			TH_LOG("pfn %llx seen twice",
			       (unsigned long long)(pfn + i));
		seen[zi][pfn - blk->base_pfn + i] = what;
	}
	return 0;
}

/* A buddy block: naturally aligned. */
static int mark_block(struct __test_metadata *_metadata, unsigned int zi,
		      u64 pfn, unsigned int order, int what)
{
	ASSERT_EQ(0, pfn & ((1ULL << order) - 1));
	return mark(_metadata, zi, pfn, 1ULL << order, what);
}

static u64 lpfn(unsigned int zi, struct rm_list *n)
{
	return rg.block[zi].base_pfn +
	       (((char *)n - (char *)mem[zi]) >> PAGE_SHIFT);
}

/* Brute-force left/right/contig free runs of bitmap pages [s, e). */
static void runs_of(struct rm_block *blk, u64 s, u64 e, u64 *left, u64 *right,
		    u64 *contig)
{
	u64 p, run = 0;

	*left = *right = *contig = 0;
	for (p = s; p < e && !rm_bitmap_test(blk->bitmap, p); p++)
		(*left)++;
	for (p = s; p < e; p++) {
		run = rm_bitmap_test(blk->bitmap, p) ? 0 : run + 1;
		*contig = max(*contig, run);
	}
	*right = run;
}

/* Every summary not marked stale matches the bitmap. */
static void check_summaries(struct __test_metadata *_metadata)
{
	unsigned int zi;
	u64 c, l, r, m;

	for (zi = 0; zi < NBLK; zi++) {
		struct rm_block *blk = &rg.block[zi];

		for (c = 0; c < blk->nr_chunks; c++) {
			if (rm_bitmap_test(blk->chunk_dirty, c))
				continue;
			runs_of(blk, c * RM_CHUNK_PAGES,
				min((c + 1) * RM_CHUNK_PAGES, blk->nr_pages),
				&l, &r, &m);
			ASSERT_EQ(l, blk->chunk_md[c].left)
				TH_LOG("chunk %llu", (unsigned long long)c);
			ASSERT_EQ(r, blk->chunk_md[c].right);
			ASSERT_EQ(m, blk->chunk_md[c].contig);
		}
		for (c = 0; c < blk->nr_supers; c++) {
			u64 s = c * RM_CHUNK_PAGES * RM_SUPER_CHUNKS;

			if (rm_bitmap_test(blk->super_dirty, c))
				continue;
			runs_of(blk, s, min(s + RM_CHUNK_PAGES *
					    RM_SUPER_CHUNKS, blk->nr_pages),
				&l, &r, &m);
			ASSERT_EQ(l, blk->super_md[c].left);
			ASSERT_EQ(r, blk->super_md[c].right);
			ASSERT_EQ(m, blk->super_md[c].contig);
		}
	}
}

/* A free block on list @mt: special pageblocks only on their own list. */
static bool typed_right(struct rm_block *blk, u64 pfn, unsigned int o,
			unsigned int mt)
{
	unsigned int t;
	u64 q;

	for (q = pfn; q < pfn + (1ULL << o); q += RM_PAGEBLOCK_NR) {
		t = blk->pb_mt[rm_block_pb(blk, q)];
		if ((t >= RM_MT_CMA || mt >= RM_MT_CMA) && t != mt)
			return false;
	}
	return true;
}

/*
 * Free blocks in CMA or isolated pageblocks sit on that type's list and
 * never share a free block with another type; special_pb counts them.
 */
static void check_special(struct __test_metadata *_metadata)
{
	unsigned int zi, o, mt;

	for (zi = 0; zi < NBLK; zi++) {
		struct rm_block *blk = &rg.block[zi];
		u64 p, n = 0;

		for (p = rm_block_pb(blk, blk->base_pfn);
		     p <= rm_block_pb(blk, blk->base_pfn + blk->nr_pages - 1);
		     p++)
			n += blk->pb_mt[p] >= RM_MT_CMA;
		ASSERT_EQ(n, blk->special_pb);
		for (o = 0; o <= b.zone[zi].max_order; o++) {
			for (mt = 0; mt < RM_MT_TYPES; mt++) {
				struct rm_list *h = &b.zone[zi].area[o].list[mt];
				struct rm_list *l;

				for (l = h->next; l != h; l = l->next)
					ASSERT_TRUE(typed_right(blk, lpfn(zi, l),
								o, mt));
			}
		}
	}
}

static void check(struct __test_metadata *_metadata)
{
	unsigned int zi, o, mt, i, cpu;

	for (zi = 0; zi < NBLK; zi++)
		memset(seen[zi], 0, layout[zi].nr);
	for (i = 0; i < nlive; i++) {
		struct rm_block *blk = rm_region_find(&rg, live[i].pfn);
		u64 p, n = 1ULL << live[i].order;
		unsigned int kind;
		u16 s;

		ASSERT_NE(NULL, blk);
		zi = blk - rg.block;
		s = blk->state[live[i].pfn - blk->base_pfn];
		if (live[i].count) {
			mark(_metadata, zi, live[i].pfn, live[i].count,
			     S_ALLOC);
			ASSERT_EQ(rm_ps_make(RM_PK_MEMAREA, 0, 0, true), s);
			for (p = 1; p < live[i].count; p++)
				ASSERT_EQ(rm_ps_make(RM_PK_MEMAREA, 0, 0, false),
					  blk->state[live[i].pfn -
						     blk->base_pfn + p]);
			continue;
		}
		kind = live[i].kind ? live[i].kind : RM_PK_BUDDY;
		mark_block(_metadata, zi, live[i].pfn, live[i].order, S_ALLOC);
		ASSERT_EQ(rm_ps_mark_movable(rm_ps_make(kind, live[i].order,
							0, true),
					     live[i].flags & RM_ALLOC_MOVABLE),
			  s);
		for (p = 1; p < n; p++)
			ASSERT_EQ(kind, rm_ps_kind(blk->state[live[i].pfn -
							blk->base_pfn + p]));
	}
	/*
	 * buffers of the CMA region under test, if any; a region lent to
	 * the system is all RM_PK_SYSTEM but its buffers (RM_PK_CMA) and
	 * kept pages (RM_PK_KEPT), and a page of its bitmap is a buffer's,
	 * a memmap reservation's (RM_PK_SYSTEM) or kept, or on its way back
	 * to the system (RM_PK_KEPT, or RM_PK_SYSTEM once there): the test
	 * checks which with rm_page_class()
	 */
	if (oracle_cma && oracle_cma->bitmap) {
		struct rm_block *blk = rm_region_find(&rg,
						      oracle_cma->base_pfn);
		u64 q;

		for (q = 0; q < oracle_cma->count; q++) {
			u64 pfn = oracle_cma->base_pfn + q;
			unsigned int k = rm_ps_kind(blk->state[pfn -
							       blk->base_pfn]);

			if (!oracle_cma->system &&
			    !rm_bitmap_test(oracle_cma->bitmap, q))
				continue;
			mark(_metadata, blk - rg.block, pfn, 1, S_ALLOC);
			if (!oracle_cma->system) {
				ASSERT_EQ(RM_PK_CMA, k);
			} else if (!rm_bitmap_test(oracle_cma->bitmap, q)) {
				ASSERT_EQ(RM_PK_SYSTEM, k)
					TH_LOG("pfn %llx",
					       (unsigned long long)pfn);
			} else if (rm_bitmap_test(oracle_cma->kept, q)) {
				ASSERT_EQ(RM_PK_KEPT, k)
					TH_LOG("pfn %llx",
					       (unsigned long long)pfn);
			} else {
				ASSERT_TRUE(k == RM_PK_CMA ||
					    k == RM_PK_SYSTEM ||
					    k == RM_PK_KEPT);
			}
		}
		/* kept pages are in the bitmap, each run of them headed */
		if (oracle_cma->system) {
			const unsigned long *kept = oracle_cma->kept;
			const unsigned long *heads = oracle_cma->heads;
			u64 nk = 0;
			bool first;

			for (q = 0; q < oracle_cma->count; q++) {
				if (!rm_bitmap_test(kept, q))
					continue;
				nk++;
				ASSERT_TRUE(rm_bitmap_test(oracle_cma->bitmap,
							   q));
				first = !q || !rm_bitmap_test(kept, q - 1);
				if (first)
					ASSERT_TRUE(rm_bitmap_test(heads, q))
						TH_LOG("kept run at %llu",
						       (unsigned long long)q);
			}
			ASSERT_EQ(oracle_cma->nr_kept, nk);
		}
	}
	oracle_xcf_pages = 0;
	for (zi = 0; oracle_xcf && zi < NBLK; zi++) {
		struct rm_block *blk = &rg.block[zi];
		u64 p;

		for (p = 0; p < blk->nr_pages; p++) {
			u16 st = blk->state[p];

			if (seen[zi][p] != S_NONE || rm_ps_kind(st) != RM_PK_XCF)
				continue;
			ASSERT_EQ(rm_ps_make(RM_PK_XCF, 0, 0, true), st)
				TH_LOG("xcf page %llx",
				       (unsigned long long)(blk->base_pfn + p));
			seen[zi][p] = S_ALLOC;
			oracle_xcf_pages++;
		}
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
					mark_block(_metadata, zi, pfn, o, S_FREE);
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

						u16 st = blk->state[pfn -
								    blk->base_pfn];

						mark_block(_metadata, zi, pfn, o, S_PCP);
						ASSERT_EQ(RM_PK_PCP, rm_ps_kind(st));
						/* isolation drains the caches */
						ASSERT_NE(RM_MT_ISOLATE,
							  blk->pb_mt[rm_block_pb(blk, pfn)])
							TH_LOG("pfn %llx cached, isolated",
							       (unsigned long long)pfn);
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
			    !rm_ps_is_head(blk->state[p]))
				ASSERT_EQ(0, blk->state[p]);
		}
	}
	ASSERT_EQ(0, rm_user_warnings);
	check_summaries(_metadata);
	check_special(_metadata);
}

/* Does any zone in @nid's reach have a listed free block of >= @order? */
static __attribute__((unused)) bool listed(int nid, bool strict,
					  unsigned int order)
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

static __attribute__((unused)) bool listed_on(int nid, unsigned int order)
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

static __attribute__((unused)) void free_at(unsigned int i)
{
	if (live[i].count)
		rm_memarea_free(&ma, live[i].pfn, live[i].count);
	else
		rm_buddy_free(&b, live[i].pfn, live[i].order);
	live[i] = live[--nlive];
}

/* Free lists as (pfn, order) pairs, ignoring type, sorted. */
static __attribute__((unused)) unsigned int snapshot(u64 *out)
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

/*
 * Brute force for a CMA request of @count pages aligned to @align (0 for
 * 1): the first position (index in @c) that holds no page of a buffer and
 * no page of a block in @stuck (pfn and page count pairs: pinned or
 * unmovable), or U64_MAX.  Then *@err is what rm_cma_alloc() must say:
 * -EBUSY when some aligned position held no buffer page (blocks were in
 * the way), -ENOMEM when none did.
 */
static __attribute__((unused)) u64 oracle_cma_first(const struct rm_cma *c,
		u64 count, u64 align, const u64 (*stuck)[2],
		unsigned int nstuck, int *err)
{
	bool buffer_free = false;
	unsigned int i;
	u64 s, q;

	if (!align)
		align = 1;
	for (s = 0; s + count <= c->count; s++) {
		if ((c->base_pfn + s) % align)
			continue;
		for (q = s; q < s + count; q++)
			if (rm_bitmap_test(c->bitmap, q))
				break;
		if (q < s + count)
			continue;
		buffer_free = true;
		for (i = 0; i < nstuck; i++)
			if (stuck[i][0] < c->base_pfn + s + count &&
			    c->base_pfn + s < stuck[i][0] + stuck[i][1])
				break;
		if (i == nstuck)
			return s;
	}
	*err = buffer_free ? -EBUSY : -ENOMEM;
	return U64_MAX;
}

#endif /* _RESMEM_UNIT_ORACLE_H */
