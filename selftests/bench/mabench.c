// SPDX-License-Identifier: GPL-2.0
/*
 * mabench: memarea's search (src/core/memarea.c) in userspace against a
 * naive page-by-page scan, for counting instructions with callgrind.  See
 * README.md.
 *
 *	mabench [--seed N] SIZE PATTERN ALGO K
 *
 * SIZE	  the block: 256M, 1G, 4G, 16G (any multiple of 2 MiB, M or G)
 * PATTERN empty:  every page free but the block's metadata
 *	  alt:    every odd page used, so no free run is longer than one
 *		  page, except one hole of exactly MB_COUNT pages at the very
 *		  end of the block: the worst case for a search from the start
 *	  random: each page used with probability 1/2 (a seeded PRNG)
 * ALGO	  first: rm_memarea_search(), RM_POLICY_FIRST_FIT
 *	  best:  rm_memarea_search(), RM_POLICY_BEST_FIT
 *	  naive: one bit at a time from the start of the bitmap
 *		 (rm_bitmap_test()) to the first MB_COUNT free pages in a
 *		 row, as the memarea patch of 2001 scanned its page map
 * K	  measured allocations
 *
 * Only the block's metadata is allocated (rm_meta_pages() pages, as
 * rm_region_enable() writes nothing else), so a 16 GiB block costs 8.5 MiB;
 * rm_buddy_init() is never called, as its free lists would be linked
 * through the pages themselves.  The pattern is written straight into the
 * bitmap after rm_region_enable() and every summary is then marked stale.
 *
 * One allocation is the search for MB_COUNT pages (5: not a power of two),
 * align 1, and rm_block_mark_used() on the pages found: search and the
 * bitmap half of a carve.  The other half, rm_zone_carve()'s free-list work,
 * is a small constant that does not depend on the range size, and is left
 * out.  For alt, the hole is freed again (rm_block_mark_free(), not
 * measured) after each allocation, so every search is the worst case.
 *
 * The first allocation, right after the pattern, is mabench_cold(): for
 * memarea it recomputes every summary of the block.  The K that follow are
 * mabench_alloc(), the steady state: each search recomputes only what the
 * last allocation (and, for alt, the free) made stale.  Run it under
 *
 *	valgrind --tool=callgrind --collect-atstart=no \
 *		--toggle-collect=mabench_alloc mabench ...
 *
 * and the instruction total divided by K is the cost of one allocation
 * (--toggle-collect=mabench_cold: of the cold one).  The result line gives
 * memarea's bitmap words and summaries read (rm_memarea_cost) and a hash
 * of the pages picked, so that first and naive, which must pick the same
 * pages, can be compared.
 *
 * Exit status: 0, 1 when an allocation failed or picked a page that was
 * not free, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <resmem/core.h>

#define MB_COUNT	5			/* pages per allocation */
#define MB_BASE_PFN	(1ULL << 20)		/* 4 GiB */
#define MB_MAX_ORDER	RM_DEFAULT_MAX_ORDER
#define MB_SIZE_UNIT	(2ULL << 20)		/* sizes: multiples of 2 MiB */
#define MB_MAX_SIZE	(1ULL << 40)

enum mb_pattern { MB_EMPTY, MB_ALT, MB_RANDOM };
enum mb_algo { MB_FIRST, MB_BEST, MB_NAIVE };

static const char * const pattern_names[] = { "empty", "alt", "random" };
static const char * const algo_names[] = { "first", "best", "naive" };

static struct rm_region rg;
static struct rm_memarea_cost cost;
static struct rm_memarea_req req = { .count = MB_COUNT, .align = 1,
				     .nid = NUMA_NO_NODE };

static void usage(void)
{
	fprintf(stderr,
		"usage: mabench [--seed N] SIZE empty|alt|random first|best|naive K\n");
	exit(2);
}

/* xorshift64*: the same pattern for the same seed on every machine. */
static u64 rng(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static int pick(const char *s, const char * const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	usage();
	return -1;
}

static u64 parse_u64(const char *s)
{
	char *end;
	u64 v = strtoull(s, &end, 0);

	if (!*s || *end)
		usage();
	return v;
}

/* A size such as 256M or 1G (src/core/parse.c's syntax), checked. */
static u64 parse_size(const char *s)
{
	const char *end;
	u64 v;

	if (rm_parse_size(s, &end, &v) || *end || !v || v % MB_SIZE_UNIT ||
	    v > MB_MAX_SIZE)
		usage();
	return v;
}

/* Pages [meta, n) of @b: PATTERN, written word by word. */
static void write_pattern(struct rm_block *b, enum mb_pattern pat, u64 seed)
{
	u64 words = BITS_TO_LONGS(b->nr_pages), w, s = seed ? seed : 1;

	for (w = 0; w < words; w++) {
		switch (pat) {
		case MB_EMPTY:
			b->bitmap[w] = 0;
			break;
		case MB_ALT:
			b->bitmap[w] = 0xaaaaaaaaaaaaaaaaUL;	/* odd pages */
			break;
		case MB_RANDOM:
			b->bitmap[w] = rng(&s);
			break;
		}
	}
	rm_bitmap_set(b->bitmap, 0, b->meta_pages);
	if (pat == MB_ALT) {
		/* exactly MB_COUNT free pages at the end, used before them */
		rm_bitmap_clear(b->bitmap, b->nr_pages - MB_COUNT, MB_COUNT);
		rm_bitmap_set(b->bitmap, b->nr_pages - MB_COUNT - 1, 1);
	}
	/* words written behind the summaries' back: all are stale */
	rm_bitmap_set(b->chunk_dirty, 0, b->nr_chunks);
	rm_bitmap_set(b->super_dirty, 0, b->nr_supers);
}

/* The first MB_COUNT free pages in a row, one bit at a time; U64_MAX. */
static u64 naive_search(const struct rm_block *b)
{
	u64 i, run = 0;

	for (i = 0; i < b->nr_pages; i++) {
		if (rm_bitmap_test(b->bitmap, i))
			run = 0;
		else if (++run == MB_COUNT)
			return i + 1 - MB_COUNT;
	}
	return U64_MAX;
}

/* One allocation: search, then the bitmap half of the carve. */
static inline u64 alloc_one(struct rm_block *b, enum mb_algo algo)
{
	u64 idx;

	if (algo == MB_NAIVE)
		idx = naive_search(b);
	else
		idx = rm_memarea_search(b, MB_MAX_ORDER, NULL, &req, &cost);
	if (idx != U64_MAX)
		rm_block_mark_used(b, b->base_pfn + idx, MB_COUNT);
	return idx;
}

/* callgrind --toggle-collect targets: never inlined, cloned or merged. */
__attribute__((noipa)) u64 mabench_cold(struct rm_block *b, enum mb_algo algo);
__attribute__((noipa)) u64 mabench_alloc(struct rm_block *b,
					 enum mb_algo algo);

u64 mabench_cold(struct rm_block *b, enum mb_algo algo)
{
	return alloc_one(b, algo);
}

u64 mabench_alloc(struct rm_block *b, enum mb_algo algo)
{
	return alloc_one(b, algo);
}

/*
 * Is @idx a possible pick: inside the block and, for alt, the hole?  That
 * the pages were free is checked at the end, by counting used pages.
 */
static bool check_pick(const struct rm_block *b, enum mb_pattern pat,
		       u64 idx, u64 i)
{
	if (idx == U64_MAX || idx < b->meta_pages ||
	    idx + MB_COUNT > b->nr_pages ||
	    (pat == MB_ALT && idx != b->nr_pages - MB_COUNT)) {
		fprintf(stderr, "mabench: allocation %llu failed (%llu)\n",
			(unsigned long long)i, (unsigned long long)idx);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct rm_memarea_cost cold;
	enum mb_pattern pat;
	enum mb_algo algo;
	u64 seed = 1, size, n, k, i, idx, hash = 0, used;
	struct rm_block *b;
	void *meta;

	if (argc > 2 && !strcmp(argv[1], "--seed")) {
		seed = parse_u64(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc != 5)
		usage();
	size = parse_size(argv[1]);
	pat = pick(argv[2], pattern_names, ARRAY_SIZE(pattern_names));
	algo = pick(argv[3], algo_names, ARRAY_SIZE(algo_names));
	k = parse_u64(argv[4]);
	n = size >> PAGE_SHIFT;
	req.policy = algo == MB_BEST ? RM_POLICY_BEST_FIT : RM_POLICY_FIRST_FIT;

	rm_region_init(&rg);
	if (rm_region_add(&rg, MB_BASE_PFN, n, 0, 0)) {
		fprintf(stderr, "mabench: rm_region_add failed\n");
		return 1;
	}
	b = &rg.block[0];
	/* the metadata only: the pages themselves are never touched */
	meta = aligned_alloc(PAGE_SIZE, rm_meta_pages(n) * PAGE_SIZE);
	if (!meta) {
		perror("mabench: aligned_alloc");
		return 1;
	}
	b->vaddr = meta;
	if (rm_region_enable(&rg)) {
		fprintf(stderr, "mabench: rm_region_enable failed\n");
		return 1;
	}
	write_pattern(b, pat, seed);
	used = rm_bitmap_weight(b->bitmap, 0, n);

	idx = mabench_cold(b, algo);
	if (!check_pick(b, pat, idx, 0))
		return 1;
	hash = hash * 1000003 + idx;
	cold = cost;
	memset(&cost, 0, sizeof(cost));
	if (pat == MB_ALT)
		rm_block_mark_free(b, b->base_pfn + idx, MB_COUNT);

	for (i = 1; i <= k; i++) {
		idx = mabench_alloc(b, algo);
		if (!check_pick(b, pat, idx, i))
			return 1;
		hash = hash * 1000003 + idx;
		if (pat == MB_ALT)
			rm_block_mark_free(b, b->base_pfn + idx, MB_COUNT);
	}

	/* every allocation took MB_COUNT pages that were free */
	if (rm_bitmap_weight(b->bitmap, 0, n) !=
	    used + (pat == MB_ALT ? 0 : (k + 1) * MB_COUNT)) {
		fprintf(stderr, "mabench: an allocation took a used page\n");
		return 1;
	}
	printf("mabench: size_mib=%llu pages=%llu pattern=%s algo=%s count=%d k=%llu seed=%llu",
	       (unsigned long long)(size >> 20), (unsigned long long)n,
	       pattern_names[pat], algo_names[algo], MB_COUNT,
	       (unsigned long long)k, (unsigned long long)seed);
	printf(" used=%llu meta_pages=%llu cold_words=%llu cold_summaries=%llu",
	       (unsigned long long)used, (unsigned long long)b->meta_pages,
	       (unsigned long long)cold.words,
	       (unsigned long long)cold.summaries);
	printf(" words=%.1f summaries=%.1f last=%llu hash=%016llx\n",
	       k ? (double)cost.words / k : 0.0,
	       k ? (double)cost.summaries / k : 0.0,
	       (unsigned long long)idx, (unsigned long long)hash);
	free(meta);
	return 0;
}
