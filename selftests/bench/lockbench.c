// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: how long the core holds a lock, per operation and range size,
 * counted in instructions with callgrind.  See README.md.
 *
 *	lockbench SIZE OP [PATTERN]
 *
 * SIZE	   one block of 256M, 1G, 4G, 16G (any multiple of 4 MiB, M or G)
 * OP	   first, best, least: memarea's search, RM_POLICY_FIRST_FIT,
 *		   BEST_FIT, LEAST_FRAG, on PATTERN (empty, alt, random; as in
 *		   mabench), after a first search that refreshed every summary
 *	   cold:   the first search (first fit) after PATTERN was written,
 *		   with every summary stale, as after churn
 *	   setmt-free: rm_cma_init() of a region over the whole free block
 *		   (rm_zone_set_mt() over it)
 *	   setmt-used: rm_cma_destroy() of that region while all of it is
 *		   lent to movable order-10 blocks (the page-by-page walk)
 *	   usage:  rm_cma_usage() of that region
 *	   fast:   1024 rm_buddy_alloc() + rm_buddy_free() pairs, order 0
 *		   (per-CPU lists) and order 4 (the zone)
 *
 * The shim calls rm_user_hold_hook() when a thread takes its first lock
 * and drops its last.  While OP runs, the hook switches callgrind's
 * collection on at the start of each hold and off at its end, then dumps:
 * run under
 *
 *	valgrind --tool=callgrind --collect-atstart=no \
 *		--callgrind-out-file=DIR/cg lockbench 16G least random
 *
 * and each DIR/cg.N holds the instructions of one hold (its "totals:"
 * line).  Natively (no valgrind) the requests cost nothing and the program
 * prints the number of holds.
 *
 * The searches run on a block whose bitmap is written directly, as in
 * mabench (only the metadata is allocated), through the zone-locked path
 * of rm_memarea_alloc(): rm_memarea_zone_search() when the core has it,
 * else (the old core) rm_memarea_search() under the zone lock, which is
 * what the old rm_memarea_alloc() did.  The carve is left out: it does not
 * depend on the range size.  The CMA operations and the fast path run on a
 * real buddy over an anonymous mapping of SIZE (MAP_NORESERVE): only the
 * free blocks' first bytes are ever written.
 *
 * Exit status: 0, 1 when an operation failed, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <valgrind/callgrind.h>
#include <resmem/core.h>

#define LB_BASE_PFN	(1ULL << 20)
#define LB_MAX_ORDER	RM_DEFAULT_MAX_ORDER
#define LB_COUNT	5
#define LB_SIZE_UNIT	(4ULL << 20)
#define LB_MAX_SIZE	(64ULL << 30)

static struct rm_region rg;
static struct rm_buddy bd;
static bool tracing;
static u64 holds;

static void hold_hook(bool begin)
{
	if (!tracing)
		return;
	if (begin) {
		holds++;
		CALLGRIND_TOGGLE_COLLECT;
	} else {
		CALLGRIND_TOGGLE_COLLECT;
		CALLGRIND_DUMP_STATS;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: lockbench SIZE first|best|least|cold [empty|alt|random]\n"
		"       lockbench SIZE setmt-free|setmt-used|usage|fast\n");
	exit(2);
}

static u64 rng(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A size such as 256M or 1G (src/core/parse.c's syntax), checked. */
static u64 parse_size(const char *s)
{
	const char *end;
	u64 v;

	if (rm_parse_size(s, &end, &v) || *end || !v || v % LB_SIZE_UNIT ||
	    v > LB_MAX_SIZE)
		usage();
	return v;
}

/* A block of @n pages; @pages: back it with a mapping, else metadata only. */
static struct rm_block *make_block(u64 n, bool pages)
{
	struct rm_block *b;
	void *mem;

	rm_region_init(&rg);
	if (rm_region_add(&rg, LB_BASE_PFN, n, 0, 0))
		return NULL;
	b = &rg.block[0];
	if (pages) {
		mem = mmap(NULL, n << PAGE_SHIFT, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mem == MAP_FAILED)
			return NULL;
	} else {
		mem = aligned_alloc(PAGE_SIZE, rm_meta_pages(n) * PAGE_SIZE);
		if (!mem)
			return NULL;
	}
	b->vaddr = mem;
	if (rm_region_enable(&rg))
		return NULL;
	return b;
}

/* mabench's patterns; every summary is stale afterwards. */
static int write_pattern(struct rm_block *b, const char *pat)
{
	u64 words = BITS_TO_LONGS(b->nr_pages), w, s = 1;

	for (w = 0; w < words; w++) {
		if (!strcmp(pat, "empty"))
			b->bitmap[w] = 0;
		else if (!strcmp(pat, "alt"))
			b->bitmap[w] = 0xaaaaaaaaaaaaaaaaUL;
		else if (!strcmp(pat, "random"))
			b->bitmap[w] = rng(&s);
		else
			return -1;
	}
	rm_bitmap_set(b->bitmap, 0, b->meta_pages);
	if (!strcmp(pat, "alt")) {
		rm_bitmap_clear(b->bitmap, b->nr_pages - LB_COUNT, LB_COUNT);
		rm_bitmap_set(b->bitmap, b->nr_pages - LB_COUNT - 1, 1);
	}
	rm_bitmap_set(b->chunk_dirty, 0, b->nr_chunks);
	rm_bitmap_set(b->super_dirty, 0, b->nr_supers);
	return 0;
}

/* One search as rm_memarea_alloc() runs it, the zone locked. */
static u64 search(struct rm_zone *z, struct rm_memarea_req *r)
{
	struct rm_memarea_cost cost = { 0 };
	s64 nr_free[RM_MAX_ORDER_LIMIT + 1] = { 0 };
	unsigned long flags;
	u64 idx;

	(void)nr_free;
	rm_spin_lock_irqsave(&z->lock, flags);
#ifdef RM_HOLD_WORK
	idx = rm_memarea_zone_search(z, r, &cost, &flags);
#else
	idx = rm_memarea_search(z->blk, z->max_order, nr_free, r, &cost);
#endif
	rm_spin_unlock_irqrestore(&z->lock, flags);
	return idx;
}

static int op_search(u64 n, const char *op, const char *pat)
{
	struct rm_memarea_req r = { .count = LB_COUNT, .align = 1,
				    .nid = NUMA_NO_NODE };
	struct rm_block *b = make_block(n, false);
	static struct rm_zone z;
	unsigned int i, k;
	u64 idx;

	if (!b || write_pattern(b, pat))
		return -1;
	z.blk = b;
	z.max_order = LB_MAX_ORDER;
	rm_spin_lock_init(&z.lock);
	if (!strcmp(op, "best"))
		r.policy = RM_POLICY_BEST_FIT;
	else if (!strcmp(op, "least"))
		r.policy = RM_POLICY_LEAST_FRAG;
	else if (strcmp(op, "first") && strcmp(op, "cold"))
		usage();
	k = !strcmp(op, "cold") ? 1 : 3;
	for (i = 0; i <= k; i++) {
		/* the first search (cold) refreshes every summary */
		tracing = !strcmp(op, "cold") ? i == 0 : i > 0;
		idx = search(&z, &r);
		tracing = false;
		if (idx == U64_MAX)
			return -1;
		rm_block_mark_used(b, b->base_pfn + idx, LB_COUNT);
		if (!strcmp(pat, "alt"))
			rm_block_mark_free(b, b->base_pfn + idx, LB_COUNT);
	}
	return 0;
}

static int never_moves(void *arg, u64 pfn, unsigned int order)
{
	return -EBUSY;
}

static int op_cma(u64 n, const char *op)
{
	struct rm_block *b = make_block(n, true);
	struct rm_cma_usage u;
	static struct rm_cma c;
	u64 base, count, pfn;
	int ret, err;

	if (!b || rm_buddy_init(&bd, &rg, LB_MAX_ORDER))
		return -1;
	base = (b->base_pfn + b->meta_pages + RM_PAGEBLOCK_NR * 2 - 1) &
	       ~(u64)(RM_PAGEBLOCK_NR * 2 - 1);
	count = (b->base_pfn + n - base) & ~(u64)(RM_PAGEBLOCK_NR - 1);
	if (!strcmp(op, "setmt-free"))
		tracing = true;
	ret = rm_cma_init(&c, &bd, "lb", base, count);
	tracing = false;
	if (ret)
		return -1;
	if (!strcmp(op, "usage")) {
		tracing = true;
		rm_cma_usage(&c, &u);
		tracing = false;
		return u.free == count ? 0 : -1;
	}
	if (!strcmp(op, "setmt-used")) {
		/* lend all of it: movable order-10 blocks, CMA first */
		while ((pfn = rm_buddy_alloc(&bd, LB_MAX_ORDER, 0,
					     RM_ALLOC_MOVABLE,
					     RM_PK_BUDDY)) != RM_NO_PFN)
			;
		/* one failed take-back isolates and restores a range too */
		rm_cma_alloc(&c, 1, 1, never_moves, NULL, &err);
		tracing = true;
		ret = rm_cma_destroy(&c);
		tracing = false;
		return ret;
	}
	if (strcmp(op, "setmt-free"))
		usage();
	return 0;
}

static int op_fast(u64 n)
{
	static const unsigned int orders[] = { 0, 4 };
	u64 pfn[32];
	unsigned int i, j, o;

	if (!make_block(n, true) || rm_buddy_init(&bd, &rg, LB_MAX_ORDER))
		return -1;
	tracing = true;
	for (o = 0; o < ARRAY_SIZE(orders); o++)
		for (i = 0; i < 32; i++) {
			for (j = 0; j < 32; j++) {
				pfn[j] = rm_buddy_alloc(&bd, orders[o], 0, 0,
							RM_PK_BUDDY);
				if (pfn[j] == RM_NO_PFN)
					return -1;
			}
			for (j = 32; j--;)
				rm_buddy_free(&bd, pfn[j], orders[o]);
		}
	tracing = false;
	return 0;
}

int main(int argc, char **argv)
{
	u64 n;
	int ret;

	if (argc < 3)
		usage();
	n = parse_size(argv[1]) >> PAGE_SHIFT;
	rm_user_hold_hook = hold_hook;
	if (!strcmp(argv[2], "fast"))
		ret = op_fast(n);
	else if (!strncmp(argv[2], "setmt", 5) || !strcmp(argv[2], "usage"))
		ret = op_cma(n, argv[2]);
	else if (argc == 4)
		ret = op_search(n, argv[2], argv[3]);
	else
		usage();
	if (ret) {
		fprintf(stderr, "lockbench: %s %s failed\n", argv[1], argv[2]);
		return 1;
	}
	printf("lockbench: size_mib=%llu op=%s pattern=%s holds=%llu\n",
	       (unsigned long long)(n >> (20 - PAGE_SHIFT)), argv[2],
	       argc == 4 ? argv[3] : "-", (unsigned long long)holds);
	return 0;
}
