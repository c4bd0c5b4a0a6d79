// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/vcompound.c against brute force.
 *
 * Before each request the per-CPU caches are drained and the oracle counts
 * the free blocks per order in the zones the request may use.  An
 * exhaustive search (every number of pieces of every order, each free block
 * able to hold any set of power-of-two pieces that fits in it) gives the
 * fewest pieces that cover the request; rm_vc_take() must succeed exactly
 * when the free pages suffice, use that many pieces, cover exactly 2^order
 * pages with naturally aligned pieces no larger than asked, list them in
 * mapping order, and leave the buddy consistent (the full checker of
 * oracle.h runs after every step).  At the end everything is freed and must
 * merge back into the blocks the zones started with.
 */
#include "kselftest_harness.h"
#include "oracle.h"

/* A live vcompound allocation: its pieces, also listed in live[]. */
struct vcl {
	struct rm_vc_piece *p;
	u32 nr;
	unsigned int order;
};

static struct vcl vcs[4096];
static unsigned int nvcs;

/* Free blocks per order in the zones a request for @nid may use. */
static void free_counts(int nid, bool strict, u64 *c)
{
	unsigned int zi, o, mt;

	memset(c, 0, (RM_MAX_ORDER_LIMIT + 1) * sizeof(*c));
	for (zi = 0; zi < NBLK; zi++) {
		if (strict && rg.block[zi].nid != nid)
			continue;
		for (o = 0; o <= b.zone[zi].max_order; o++)
			for (mt = 0; mt < RM_MT_TYPES; mt++)
				c[o] += b.zone[zi].area[o].nr_free[mt];
	}
}

/*
 * Exhaustive search.  best(o, need, slots): the fewest pieces of order <= o
 * that cover @need pages (a multiple of 2^o) given @slots free slots of
 * 2^o pages (whole free blocks of order o, or parts of larger ones not used
 * above); a slot not used whole splits into two of the next order.  Every
 * count of order-o pieces is tried; results are memoised.
 */
#define INF	(1 << 30)

static const u64 *cnt;
static int *memo[RM_MAX_ORDER_LIMIT + 1];
static u64 memo_units[RM_MAX_ORDER_LIMIT + 1];

static int best(unsigned int o, u64 need, u64 slots)
{
	u64 units = need >> o, x;
	int r, most = INF, *m;

	if (!need)
		return 0;
	slots = min(slots, units);
	if (!o)
		return need <= slots ? (int)need : INF;
	m = &memo[o][units * (memo_units[o] + 1) + slots];
	if (*m >= 0)
		return *m;
	for (x = 0; x <= slots; x++) {
		r = best(o - 1, need - (x << o),
			 cnt[o - 1] + 2 * (slots - x));
		if (r < INF && r + (int)x < most)
			most = r + (int)x;
	}
	*m = most;
	return most;
}

/* Fewest pieces of order <= @top covering 2^@order pages, or INF. */
static int brute_min(const u64 *c, unsigned int order, unsigned int top)
{
	u64 need = 1ULL << order, slots = 0;
	unsigned int o, k;
	int r;

	cnt = c;
	for (o = 1; o <= top; o++) {
		memo_units[o] = need >> o;
		memo[o] = malloc((memo_units[o] + 1) * (memo_units[o] + 1) *
				 sizeof(int));
		memset(memo[o], 0xff, (memo_units[o] + 1) *
		       (memo_units[o] + 1) * sizeof(int));
	}
	for (k = top; k <= RM_MAX_ORDER_LIMIT; k++)
		slots += c[k] << (k - top);
	r = best(top, need, slots);
	for (o = 1; o <= top; o++)
		free(memo[o]);
	return r;
}

/* Pieces cover exactly the request, in mapping order, as the state says. */
static void check_pieces(struct __test_metadata *_metadata,
			 const struct rm_vc_piece *p, u32 nr,
			 unsigned int order, unsigned int top)
{
	u64 covered = 0, idx;
	u32 i;

	for (i = 0; i < nr; i++) {
		struct rm_block *blk = rm_region_find(&rg, p[i].pfn);

		ASSERT_NE(NULL, blk);
		ASSERT_LE(p[i].order, top);
		if (i)
			ASSERT_LE(p[i].order, p[i - 1].order);
		ASSERT_EQ(0, p[i].pfn & ((1ULL << p[i].order) - 1));
		ASSERT_EQ(covered, p[i].first);
		/* each piece sits at a multiple of its size in the mapping */
		ASSERT_EQ(0, p[i].first & ((1ULL << p[i].order) - 1));
		ASSERT_TRUE(rm_vc_owns(&b, p[i].pfn, p[i].order));
		covered += 1ULL << p[i].order;
	}
	ASSERT_EQ(1ULL << order, covered);
	for (idx = 0; idx < covered; idx++) {
		i = rm_vc_piece_of(p, nr, idx);
		ASSERT_LE(p[i].first, idx);
		ASSERT_GT(p[i].first + (1ULL << p[i].order), idx);
		ASSERT_EQ(p[i].pfn + idx - p[i].first,
			  rm_vc_pfn_of(p, nr, idx));
	}
}

static void vc_add(const struct vcl *v)
{
	u32 i;

	for (i = 0; i < v->nr; i++)
		live[nlive++] = (struct alloc){ .pfn = v->p[i].pfn,
						.order = v->p[i].order,
						.kind = RM_PK_VCOMPOUND };
	vcs[nvcs++] = *v;
}

static void vc_free_at(unsigned int k)
{
	struct vcl v = vcs[k];
	unsigned int i;
	u32 j;

	for (j = 0; j < v.nr; j++)
		for (i = 0; i < nlive; i++)
			if (live[i].pfn == v.p[j].pfn) {
				live[i] = live[--nlive];
				break;
			}
	rm_vc_put(&b, v.p, v.nr);
	vcs[k] = vcs[--nvcs];
}

/* A buddy block (not a vcompound piece) at random, or -1. */
static int random_buddy(void)
{
	unsigned int i, tries;

	for (tries = 0; tries < 8 && nlive; tries++) {
		i = random() % nlive;
		if (!live[i].kind)
			return i;
	}
	return -1;
}

/*
 * One request against the oracle.  Returns 1 when it was served (and is
 * now live), 0 when it failed as the oracle said it must.
 */
static int one_request(struct __test_metadata *_metadata, unsigned int order,
		       unsigned int top, int nid, unsigned int flags)
{
	int want = nid == NUMA_NO_NODE ? rm_user_node : nid;
	bool strict = flags & RM_ALLOC_STRICT_NODE;
	struct rm_vc_req r = { .order = order, .max_piece = top, .nid = nid,
			       .flags = flags };
	u64 c[RM_MAX_ORDER_LIMIT + 1], free = 0;
	struct vcl v = { .order = order };
	unsigned int o;
	int m, ret;

	rm_buddy_drain(&b);
	free_counts(want, strict, c);
	for (o = 0; o <= RM_MAX_ORDER_LIMIT; o++)
		free += c[o] << o;
	top = min(top, min(order, b.max_order));
	m = brute_min(c, order, top);
	ret = rm_vc_take(&b, &r, &v.p, &v.nr);
	if (free < 1ULL << order) {
		EXPECT_EQ(INF, m);
		EXPECT_EQ(-ENOMEM, ret);
		return 0;
	}
	EXPECT_NE(INF, m);
	EXPECT_EQ(0, ret) TH_LOG("order %u top %u: %llu pages free", order,
				 top, (unsigned long long)free);
	if (ret)
		return 0;
	EXPECT_EQ((u32)m, v.nr) TH_LOG("order %u top %u nid %d strict %d",
				       order, top, nid, strict);
	check_pieces(_metadata, v.p, v.nr, order, top);
	vc_add(&v);
	return 1;
}

/*
 * Fill node 1 and the small block of node 0 with blocks of orders 0 to 2,
 * so that what is freed later leaves holes of every small order there.
 */
static void fill_small(void)
{
	unsigned int order;
	u64 pfn;
	int nid;

	for (nid = 1; nid >= 0; nid--) {
		for (;;) {
			order = random() % 3;
			pfn = rm_buddy_alloc(&b, order, nid,
					     RM_ALLOC_STRICT_NODE, RM_PK_BUDDY);
			if (pfn == RM_NO_PFN)
				pfn = rm_buddy_alloc(&b, order = 0, nid,
						     RM_ALLOC_STRICT_NODE,
						     RM_PK_BUDDY);
			if (pfn == RM_NO_PFN)
				break;
			live[nlive++] = (struct alloc){ pfn, order, nid, 0 };
			/* node 0: only as much as its small block holds */
			if (!nid && nlive > 5001 / 2 + 700 / 2)
				break;
		}
	}
}

TEST(random_against_oracle)
{
	static u64 before[4096], after[4096];
	unsigned int step, nb, na, served = 0, failed = 0, many = 0, i;

	setup(10);
	rm_buddy_drain(&b);
	nb = snapshot(before);
	srandom(11);
	fill_small();
	for (step = 0; step < 2500; step++) {
		unsigned int r = random() % 100;
		int k;

		rm_user_cpu = random() % RM_USER_NR_CPUS;
		rm_user_node = random() % 2;
		if (r < 15) {
			unsigned int order = random() % 3;
			int nid = random() % 4 ? 1 : 0;
			u64 pfn = rm_buddy_alloc(&b, order, nid,
						 RM_ALLOC_STRICT_NODE,
						 RM_PK_BUDDY);

			if (pfn != RM_NO_PFN)
				live[nlive++] = (struct alloc){ pfn, order,
								nid, 0 };
		} else if (r < 55) {
			k = random_buddy();
			if (k >= 0)
				free_at(k);
		} else if (r < 85 || !nvcs) {
			unsigned int order = 1 + random() % 8;
			int nid = random() % 4 ? 1 : random() % 3 - 1;
			unsigned int fl = 0;

			if (nid >= 0 && random() % 4)
				fl |= RM_ALLOC_STRICT_NODE;
			if (one_request(_metadata, order, order - 1, nid, fl)) {
				served++;
				many += vcs[nvcs - 1].nr > 2;
			} else {
				failed++;
			}
		} else {
			vc_free_at(random() % nvcs);
		}
		check(_metadata);
		if (!_metadata->passed)
			return;
	}
	TH_LOG("%u requests served (%u with more than 2 pieces), %u failed",
	       served, many, failed);
	EXPECT_GT(served, 200);
	EXPECT_GT(many, 100);
	EXPECT_GT(failed, 5);
	while (nvcs)
		vc_free_at(0);
	for (i = 0; i < nlive;)
		free_at(i);
	rm_buddy_drain(&b);
	check(_metadata);
	na = snapshot(after);
	ASSERT_EQ(nb, na);
	ASSERT_EQ(0, memcmp(before, after, nb * sizeof(u64)));
}

/* Node 1 with only order-1 holes: the pieces are all order 1. */
static void fragment_node1(void)
{
	unsigned int i;
	u64 pfn;

	while ((pfn = rm_buddy_alloc(&b, 0, 1, RM_ALLOC_STRICT_NODE,
				     RM_PK_BUDDY)) != RM_NO_PFN)
		live[nlive++] = (struct alloc){ pfn, 0, 1, 0 };
	for (i = 0; i < nlive;) {
		if (live[i].pfn % 4 < 2)
			free_at(i);
		else
			i++;
	}
	rm_buddy_drain(&b);
}

TEST(largest_free_blocks_first)
{
	struct vcl v = { .order = 11 };
	struct rm_vc_req r = { .order = 11, .max_piece = 10, .nid = 1,
			       .flags = RM_ALLOC_STRICT_NODE };
	u32 i;

	setup(10);
	fragment_node1();
	check(_metadata);
	/* 2048 pages from order-1 holes: 1024 pieces, none smaller */
	ASSERT_EQ(0, rm_vc_take(&b, &r, &v.p, &v.nr));
	ASSERT_EQ(1024, v.nr);
	for (i = 0; i < v.nr; i++)
		ASSERT_EQ(1, v.p[i].order);
	check_pieces(_metadata, v.p, v.nr, 11, 10);
	vc_add(&v);
	check(_metadata);
	/* node 0 is whole: order 12 from order-10 blocks, four pieces */
	r = (struct rm_vc_req){ .order = 12, .max_piece = 10, .nid = 0,
				.flags = RM_ALLOC_STRICT_NODE };
	v.order = 12;
	ASSERT_EQ(0, rm_vc_take(&b, &r, &v.p, &v.nr));
	ASSERT_EQ(4, v.nr);
	check_pieces(_metadata, v.p, v.nr, 12, 10);
	vc_add(&v);
	check(_metadata);
	while (nvcs)
		vc_free_at(0);
	check(_metadata);
}

TEST(too_large_changes_nothing)
{
	static u64 before[4096], after[4096];
	struct rm_buddy_stats s0, s1;
	struct rm_vc_req r = { .order = 13, .max_piece = 10, .nid = 1,
			       .flags = RM_ALLOC_STRICT_NODE };
	struct vcl v;
	unsigned int nb;

	setup(10);
	rm_buddy_drain(&b);
	nb = snapshot(before);
	rm_buddy_stats(&b, &s0);
	/* 8192 pages on node 1, which holds 5001 */
	EXPECT_EQ(-ENOMEM, rm_vc_take(&b, &r, &v.p, &v.nr));
	/* all of it: more than the whole pool can give */
	r = (struct rm_vc_req){ .order = rm_vc_max_order(&b) + 1,
				.max_piece = 10, .nid = NUMA_NO_NODE };
	EXPECT_EQ(-EINVAL, rm_vc_take(&b, &r, &v.p, &v.nr));
	rm_buddy_stats(&b, &s1);
	EXPECT_EQ(0, memcmp(&s0, &s1, sizeof(s0)));
	ASSERT_EQ(nb, snapshot(after));
	ASSERT_EQ(0, memcmp(before, after, nb * sizeof(u64)));
	check(_metadata);
}

TEST(strict_node_falls_short_and_gives_back)
{
	static u64 before[4096], after[4096];
	struct rm_vc_req r = { .order = 12, .max_piece = 10, .nid = 1,
			       .flags = RM_ALLOC_STRICT_NODE };
	struct vcl v;
	unsigned int nb;

	setup(10);
	fragment_node1();
	nb = snapshot(before);
	/* ~2500 pages free on node 1, 8000 on node 0: not enough strictly */
	EXPECT_EQ(-ENOMEM, rm_vc_take(&b, &r, &v.p, &v.nr));
	rm_buddy_drain(&b);
	ASSERT_EQ(nb, snapshot(after));
	ASSERT_EQ(0, memcmp(before, after, nb * sizeof(u64)));
	check(_metadata);
	/* preferring node 1 without strict: node 1 first, then node 0 */
	r.flags = 0;
	ASSERT_EQ(0, rm_vc_take(&b, &r, &v.p, &v.nr));
	v.order = 12;
	check_pieces(_metadata, v.p, v.nr, 12, 10);
	vc_add(&v);
	check(_metadata);
}

/* Refuse pieces outside @arg's block, as the glue refuses another class. */
static bool only_block(u64 pfn, unsigned int order, void *arg)
{
	return rm_region_find(&rg, pfn) == arg;
}

TEST(refused_pieces_are_held_then_freed)
{
	static u64 before[4096], after[4096];
	struct rm_vc_req r = { .order = 9, .max_piece = 8, .nid = 0,
			       .accept = only_block };
	struct vcl v = { .order = 9 };
	unsigned int nb;
	u32 i;

	setup(10);
	rm_buddy_drain(&b);
	nb = snapshot(before);
	/* node 0's zones are block 0, then block 2: accept block 2 only */
	r.arg = &rg.block[2];
	ASSERT_EQ(0, rm_vc_take(&b, &r, &v.p, &v.nr));
	for (i = 0; i < v.nr; i++)
		ASSERT_EQ(&rg.block[2], rm_region_find(&rg, v.p[i].pfn));
	check_pieces(_metadata, v.p, v.nr, 9, 8);
	vc_add(&v);
	check(_metadata);
	/* block 2 holds 700 pages: 1024 more cannot come from it alone */
	r.order = 10;
	r.max_piece = 9;
	EXPECT_EQ(-ENOMEM, rm_vc_take(&b, &r, &v.p, &v.nr));
	check(_metadata);
	while (nvcs)
		vc_free_at(0);
	rm_buddy_drain(&b);
	check(_metadata);
	ASSERT_EQ(nb, snapshot(after));
	ASSERT_EQ(0, memcmp(before, after, nb * sizeof(u64)));
}

TEST(owns_only_vcompound_heads)
{
	u64 vc, bd;

	setup(10);
	vc = rm_buddy_alloc(&b, 4, 0, 0, RM_PK_VCOMPOUND);
	bd = rm_buddy_alloc(&b, 4, 0, 0, RM_PK_BUDDY);
	ASSERT_NE(RM_NO_PFN, vc);
	ASSERT_NE(RM_NO_PFN, bd);
	EXPECT_TRUE(rm_vc_owns(&b, vc, 4));
	EXPECT_FALSE(rm_vc_owns(&b, vc, 3));		/* wrong order */
	EXPECT_FALSE(rm_vc_owns(&b, vc + 1, 4));	/* not the head */
	EXPECT_FALSE(rm_vc_owns(&b, vc, 40));		/* beyond max */
	EXPECT_FALSE(rm_vc_owns(&b, bd, 4));		/* buddy's */
	EXPECT_FALSE(rm_vc_owns(&b, 0x5, 0));		/* no block */
	EXPECT_FALSE(rm_vc_owns(&b, rg.block[0].base_pfn, 0));	/* meta */
	rm_buddy_free(&b, vc, 4);
	EXPECT_FALSE(rm_vc_owns(&b, vc, 4));		/* freed */
	rm_buddy_free(&b, bd, 4);
	rm_buddy_drain(&b);
	check(_metadata);
}

TEST(max_order_rule)
{
	u64 pages;

	setup(10);
	pages = rm_region_total_pages(&rg) - rm_region_meta_pages(&rg);
	/* 13893 pages outside metadata: 2^13 is the largest power of two */
	ASSERT_EQ(13, ilog2(pages));
	EXPECT_EQ(13, rm_vc_max_order(&b));
	setup(3);
	EXPECT_EQ(3 + RM_VC_EXTRA_ORDERS, rm_vc_max_order(&b));
}

TEST_HARNESS_MAIN
