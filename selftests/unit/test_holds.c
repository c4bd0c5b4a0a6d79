// SPDX-License-Identifier: GPL-2.0
/*
 * Lock holds: memarea's zone search lets go of the zone lock every
 * RM_HOLD_WORK work units, and finds what the search in one go finds when
 * nothing changes meanwhile; what it finds is checked again and the search
 * starts over, at most RM_MEMAREA_TRIES times, when another CPU took it
 * during a lock break; two threads racing on one zone never share a page.
 * Zeroing yields the CPU only when the caller may sleep.
 *
 * The searches run on 1 GiB and 4 GiB blocks of which only the metadata is
 * allocated, the bitmap written directly (as selftests/bench/mabench.c
 * does), through a zone that has nothing but its lock and block.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include "kselftest_harness.h"
#include <resmem/core.h>

#define BASE_PFN	(1ULL << 20)

static struct rm_region hrg;
static struct rm_zone hz;

/* A block of @n pages, metadata only, in hz. */
static struct rm_block *meta_block(u64 n)
{
	struct rm_block *b;

	rm_region_init(&hrg);
	if (rm_region_add(&hrg, BASE_PFN, n, 0, 0))
		abort();
	b = &hrg.block[0];
	b->vaddr = aligned_alloc(PAGE_SIZE, rm_meta_pages(n) * PAGE_SIZE);
	if (!b->vaddr || rm_region_enable(&hrg))
		abort();
	memset(&hz, 0, sizeof(hz));
	hz.blk = b;
	hz.max_order = RM_DEFAULT_MAX_ORDER;
	rm_spin_lock_init(&hz.lock);
	rm_user_warnings = 0;
	return b;
}

static u64 rng(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

enum { EMPTY, ALT, RANDOM, NPAT };

/* Write a pattern behind the summaries' back: all of them go stale. */
static void pattern(struct rm_block *b, int pat, u64 seed)
{
	u64 w, words = BITS_TO_LONGS(b->nr_pages);

	for (w = 0; w < words; w++)
		b->bitmap[w] = pat == EMPTY ? 0 : pat == ALT ?
			       0xaaaaaaaaaaaaaaaaUL : rng(&seed);
	rm_bitmap_set(b->bitmap, 0, b->meta_pages);
	rm_bitmap_set(b->chunk_dirty, 0, b->nr_chunks);
	rm_bitmap_set(b->super_dirty, 0, b->nr_supers);
}

static u64 zone_search(const struct rm_memarea_req *r,
		       struct rm_memarea_cost *cost)
{
	unsigned long flags;
	u64 idx;

	rm_spin_lock_irqsave(&hz.lock, flags);
	idx = rm_memarea_zone_search(&hz, r, cost, &flags);
	rm_spin_unlock_irqrestore(&hz.lock, flags);
	return idx;
}

/*
 * Most work one hold may do: the budget, then one step of the search (two
 * scores, a chunk's words, a run measured across every super chunk) and
 * the final check of @count pages.
 */
static u64 hold_bound(const struct rm_block *b, u64 count)
{
	return RM_HOLD_WORK + 2 * RM_HOLD_SCORE + 4 * RM_SUPER_CHUNKS +
	       b->nr_supers + count / BITS_PER_LONG + 2;
}

/* One request on @b, every summary stale: broken into holds and in one go. */
static void one_case(struct __test_metadata *_metadata, struct rm_block *b,
		     unsigned int pat, struct rm_memarea_req *r, u64 *most)
{
	s64 nr_free[RM_MAX_ORDER_LIMIT + 1] = { 0 };
	struct rm_memarea_cost c = { 0 }, c1 = { 0 };
	u64 broken, whole;

	/* every summary stale: the refresh takes holds too */
	pattern(b, pat, 1 + pat);
	broken = zone_search(r, &c);
	whole = rm_memarea_search(b, hz.max_order, nr_free, r, &c1);
	ASSERT_EQ(whole, broken)
		TH_LOG("pattern %u policy %u count %llu align %llu", pat,
		       r->policy, (unsigned long long)r->count,
		       (unsigned long long)r->align);
	ASSERT_EQ(0, c.retries);
	ASSERT_LE(c.hold_max, hold_bound(b, r->count))
		TH_LOG("pattern %u policy %u: %llu in one hold", pat,
		       r->policy, (unsigned long long)c.hold_max);
	/* 1 GiB, all stale: more than one hold's work */
	ASSERT_GT(c.holds, 1);
	*most = max(*most, c.hold_max);
}

TEST(quiescent_search_finds_what_one_go_finds)
{
	static const u64 counts[] = { 1, 5, 777 };
	static const u64 aligns[][2] = { { 0, 0 }, { 1, 0 }, { 512, 0 },
					 { 512, 511 }, { 8, 3 } };
	struct rm_block *b = meta_block(1ULL << 18);	/* 1 GiB */
	unsigned int pat, pol, ci, ai;
	struct rm_memarea_req r;
	u64 most = 0;

	for (pat = 0; pat < NPAT; pat++) {
		for (pol = 0; pol <= RM_POLICY_LEAST_FRAG; pol++) {
			for (ci = 0; ci < ARRAY_SIZE(counts); ci++) {
				/* 30 M instructions each: one is enough */
				if (pol == RM_POLICY_LEAST_FRAG &&
				    pat == RANDOM && ci)
					continue;
				for (ai = 0; ai < ARRAY_SIZE(aligns); ai++) {
					r = (struct rm_memarea_req){
						.count = counts[ci],
						/* 0 is 1: rm_memarea_check() */
						.align = aligns[ai][0] ?: 1,
						.offset = aligns[ai][1],
						.policy = pol };
					one_case(_metadata, b, pat, &r, &most);
				}
			}
		}
	}
	TH_LOG("most work in one hold: %llu (budget %u)",
	       (unsigned long long)most, RM_HOLD_WORK);
	ASSERT_EQ(0, rm_user_warnings);
}

/*
 * Another CPU during lock breaks: takes the lowest of the free runs at
 * xs[] (RUNS of them), once or at every break.
 */
#define RUNS	256
#define RUN_LEN	6
static u64 xs[RUNS];
static int takes_left;
static bool searching;
static struct rm_block *hb;

static int taken(void)
{
	int i, n = 0;

	for (i = 0; i < RUNS; i++)
		n += rm_bitmap_test(hb->bitmap, xs[i]);
	return n;
}

static void other_cpu(bool begin)
{
	unsigned long flags;
	int i;

	if (begin || !searching || !takes_left)
		return;
	searching = false;	/* our own lock below is not a break */
	rm_spin_lock_irqsave(&hz.lock, flags);
	for (i = 0; i < RUNS; i++)
		if (!rm_bitmap_test(hb->bitmap, xs[i])) {
			rm_block_mark_used(hb, hb->base_pfn + xs[i], RUN_LEN);
			takes_left--;
			break;
		}
	rm_spin_unlock_irqrestore(&hz.lock, flags);
	searching = true;
}

/*
 * 4 GiB of every other page used, RUNS runs of RUN_LEN from page 4096 on,
 * and a longer run in one chunk of every super chunk, so a best-fit search for
 * RUN_LEN - 1 pages finds xs[0] first, then reads on through many holds.
 */
static void runs_block(void)
{
	u64 c;
	int i;

	hb = meta_block(1ULL << 20);
	pattern(hb, ALT, 0);
	for (i = 0; i < RUNS; i++) {
		xs[i] = 4096 + 16 * i;	/* even: odd neighbours are used */
		rm_bitmap_clear(hb->bitmap, xs[i], RUN_LEN);
	}
	for (c = 16; c < hb->nr_chunks; c += RM_SUPER_CHUNKS)
		rm_bitmap_clear(hb->bitmap, c * RM_CHUNK_PAGES + 100,
				RUN_LEN + 2);
}

static u64 search_with_other_cpu(int takes, struct rm_memarea_cost *c)
{
	struct rm_memarea_req r = { .count = 5, .align = 1,
				    .policy = RM_POLICY_BEST_FIT };
	u64 idx;

	/* summaries fresh: the first hold finds xs[0] at once */
	idx = rm_memarea_search(hb, hz.max_order, NULL, &r,
				&(struct rm_memarea_cost){ 0 });
	if (idx != xs[0])
		return ~1ULL;
	takes_left = takes;
	rm_user_hold_hook = other_cpu;
	searching = true;
	idx = zone_search(&r, c);
	searching = false;
	rm_user_hold_hook = NULL;
	return idx;
}

TEST(area_taken_during_a_break_is_searched_again)
{
	struct rm_memarea_cost c = { 0 };
	u64 idx;

	runs_block();
	idx = search_with_other_cpu(1, &c);
	/* xs[0] was taken after it was found: found stale, then xs[1] */
	EXPECT_EQ(xs[1], idx);
	EXPECT_EQ(1, c.retries);
	EXPECT_EQ(1, taken());
	EXPECT_GT(c.holds, 2);
	EXPECT_LE(c.hold_max, hold_bound(hb, 5));
	EXPECT_EQ(0, rm_user_warnings);
}

TEST(retries_are_bounded)
{
	struct rm_memarea_cost c = { 0 };
	u64 idx;

	runs_block();
	/* every break takes the best run: each search finds a stale one */
	idx = search_with_other_cpu(RUNS, &c);
	EXPECT_EQ(U64_MAX, idx);
	EXPECT_EQ(RM_MEMAREA_TRIES, c.retries);
	TH_LOG("%llu holds, %d runs taken", (unsigned long long)c.holds,
	       taken());
	/* it gave up with fitting runs left: not quiescent */
	EXPECT_LT(taken(), RUNS);
	EXPECT_GT(taken(), RM_MEMAREA_TRIES - 1);
	EXPECT_EQ(0, rm_user_warnings);
}

/* --- two racers on one real zone --- */

#define RZ_PAGES	16384		/* 64 MiB */
#define RZ_OPS		4000
static struct rm_region rrg;
static struct rm_buddy rb;
static struct rm_memarea rma;
static _Atomic unsigned char owner[RZ_PAGES];
static atomic_int overlaps;

static void own(u64 pfn, u64 n, unsigned char who)
{
	u64 i;
	unsigned char want;

	for (i = 0; i < n; i++) {
		want = 0;
		if (!atomic_compare_exchange_strong(&owner[pfn - BASE_PFN + i],
						    &want, who))
			atomic_fetch_add(&overlaps, 1);
	}
}

static void disown(u64 pfn, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++)
		atomic_store(&owner[pfn - BASE_PFN + i], 0);
}

struct racer {
	int cpu;
	u64 seed;
	u64 done, failed;
};

static void *memarea_racer(void *arg)
{
	struct racer *rc = arg;
	static u64 pfn[64], cnt[64];
	struct rm_memarea_req r = { .nid = 0 };
	unsigned int i, k;
	u64 p;

	rm_user_cpu = rc->cpu;
	for (i = 0; i < RZ_OPS; i++) {
		k = rng(&rc->seed) % 64;
		if (pfn[k]) {
			disown(pfn[k], cnt[k]);
			rm_memarea_free(&rma, pfn[k], cnt[k]);
			pfn[k] = 0;
			continue;
		}
		r.count = 1 + rng(&rc->seed) % 40;
		r.align = 1ULL << (rng(&rc->seed) % 4);
		r.policy = rng(&rc->seed) % 3;
		p = rm_memarea_alloc(&rma, &r);

		if (p == RM_NO_PFN) {
			rc->failed++;
			continue;
		}
		own(p, r.count, 1);
		pfn[k] = p;
		cnt[k] = r.count;
		rc->done++;
	}
	for (k = 0; k < 64; k++)
		if (pfn[k]) {
			disown(pfn[k], cnt[k]);
			rm_memarea_free(&rma, pfn[k], cnt[k]);
		}
	return NULL;
}

static void *buddy_racer(void *arg)
{
	struct racer *rc = arg;
	static u64 pfn[512];
	static unsigned int ord[512];
	unsigned int i, k;

	rm_user_cpu = rc->cpu;
	for (i = 0; i < RZ_OPS * 4; i++) {
		k = rng(&rc->seed) % 512;
		if (pfn[k]) {
			disown(pfn[k], 1ULL << ord[k]);
			rm_buddy_free(&rb, pfn[k], ord[k]);
			pfn[k] = 0;
			continue;
		}
		ord[k] = rng(&rc->seed) % 5;
		pfn[k] = rm_buddy_alloc(&rb, ord[k], 0,
					rng(&rc->seed) & 1 ? RM_ALLOC_MOVABLE : 0,
					RM_PK_BUDDY);
		if (pfn[k] == RM_NO_PFN) {
			pfn[k] = 0;
			rc->failed++;
			continue;
		}
		own(pfn[k], 1ULL << ord[k], 2);
		rc->done++;
	}
	for (k = 0; k < 512; k++)
		if (pfn[k]) {
			disown(pfn[k], 1ULL << ord[k]);
			rm_buddy_free(&rb, pfn[k], ord[k]);
		}
	return NULL;
}

TEST(two_racers_on_one_zone)
{
	struct racer m = { .cpu = 0, .seed = 11 }, d = { .cpu = 1, .seed = 12 };
	struct rm_memarea_stats st;
	struct rm_block *blk;
	pthread_t t1, t2;
	u64 free0;
	void *mem;

	rm_region_init(&rrg);
	ASSERT_EQ(0, rm_region_add(&rrg, BASE_PFN, RZ_PAGES, 0, 0));
	mem = aligned_alloc(PAGE_SIZE, RZ_PAGES * PAGE_SIZE);
	ASSERT_NE(NULL, mem);
	rrg.block[0].vaddr = mem;
	ASSERT_EQ(0, rm_region_enable(&rrg));
	ASSERT_EQ(0, rm_buddy_init(&rb, &rrg, RM_DEFAULT_MAX_ORDER));
	rm_memarea_init(&rma, &rb);
	blk = &rrg.block[0];
	free0 = rb.zone[0].free_pages;
	rm_user_warnings = 0;

	ASSERT_EQ(0, pthread_create(&t1, NULL, memarea_racer, &m));
	ASSERT_EQ(0, pthread_create(&t2, NULL, buddy_racer, &d));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);

	rm_memarea_stats(&rma, &st);
	TH_LOG("memarea %llu areas (%llu failed), buddy %llu blocks",
	       (unsigned long long)m.done, (unsigned long long)m.failed,
	       (unsigned long long)d.done);
	EXPECT_EQ(0, atomic_load(&overlaps));
	EXPECT_EQ(0, rm_user_warnings);
	EXPECT_GT(m.done, RZ_OPS / 4);
	rm_buddy_drain(&rb);
	/* everything came back */
	EXPECT_EQ(free0, rb.zone[0].free_pages);
	EXPECT_EQ(free0, blk->nr_pages - blk->meta_pages);
	EXPECT_EQ(blk->meta_pages, rm_bitmap_weight(blk->bitmap, 0,
						    blk->nr_pages));
	rm_buddy_destroy(&rb);
	free(mem);
}

/* --- zeroing --- */

/*
 * Allocate (order @n, or an area of @n pages when @n > 10) without
 * zeroing, dirty it, free it, allocate it again with RM_ALLOC_ZERO and
 * @flags: it must come back zeroed.  Return: the cond_resched() calls of
 * the second allocation.
 */
static long dirty_then_zeroed(struct rm_block *blk, u64 n, unsigned int flags)
{
	struct rm_memarea_req r = { .count = n, .align = 1, .nid = 0 };
	u64 pfn, pages = n > 10 ? n : 1ULL << n, i;
	unsigned long before;
	u8 *p;

	pfn = n > 10 ? rm_memarea_alloc(&rma, &r) :
	      rm_buddy_alloc(&rb, n, 0, 0, RM_PK_BUDDY);
	if (pfn == RM_NO_PFN)
		return -1;
	memset(rm_block_pfn_to_virt(blk, pfn), 0x5a, pages * PAGE_SIZE);
	if (n > 10)
		rm_memarea_free(&rma, pfn, n);
	else
		rm_buddy_free(&rb, pfn, n);
	r.flags = RM_ALLOC_ZERO | flags;
	if (rm_memarea_check(&rb, &r))
		return -2;
	before = rm_user_resched;
	pfn = n > 10 ? rm_memarea_alloc(&rma, &r) :
	      rm_buddy_alloc(&rb, n, 0, r.flags, RM_PK_BUDDY);
	before = rm_user_resched - before;
	if (pfn == RM_NO_PFN)
		return -3;
	p = rm_block_pfn_to_virt(blk, pfn);
	for (i = 0; i < pages * PAGE_SIZE; i++)
		if (p[i])
			return -4;
	if (n > 10)
		rm_memarea_free(&rma, pfn, n);
	else
		rm_buddy_free(&rb, pfn, n);
	return before;
}

TEST(zeroing_yields_only_when_the_caller_may_sleep)
{
	struct rm_block *blk;
	void *mem;

	rm_region_init(&rrg);
	ASSERT_EQ(0, rm_region_add(&rrg, BASE_PFN, RZ_PAGES, 0, 0));
	mem = aligned_alloc(PAGE_SIZE, RZ_PAGES * PAGE_SIZE);
	ASSERT_NE(NULL, mem);
	memset(mem, 0x5a, RZ_PAGES * PAGE_SIZE);
	rrg.block[0].vaddr = mem;
	ASSERT_EQ(0, rm_region_enable(&rrg));
	ASSERT_EQ(0, rm_buddy_init(&rb, &rrg, RM_DEFAULT_MAX_ORDER));
	rm_memarea_init(&rma, &rb);
	blk = &rrg.block[0];

	/* an order-10 block: 1024 pages, a chance to yield every 64 */
	EXPECT_EQ(1024 / RM_ZERO_STEP - 1,
		  dirty_then_zeroed(blk, 10, RM_ALLOC_MAY_SLEEP));
	/* atomic callers: one memset, no yield */
	EXPECT_EQ(0, dirty_then_zeroed(blk, 10, 0));
	/* a 777-page area: 13 pieces, a chance to yield between them */
	EXPECT_EQ((777 + RM_ZERO_STEP - 1) / RM_ZERO_STEP - 1,
		  dirty_then_zeroed(blk, 777, RM_ALLOC_MAY_SLEEP));
	EXPECT_EQ(0, dirty_then_zeroed(blk, 777, 0));
	/* order 3 comes from the per-CPU lists: zeroed there too */
	EXPECT_EQ(0, dirty_then_zeroed(blk, 3, RM_ALLOC_MAY_SLEEP));
	EXPECT_EQ(0, rm_user_warnings);
	rm_buddy_destroy(&rb);
	free(mem);
}

TEST_HARNESS_MAIN
