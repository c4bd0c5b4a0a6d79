// SPDX-License-Identifier: GPL-2.0
/*
 * statbench: the fast paths of src/core in userspace, for counting with
 * callgrind what the statistics cost (include/resmem/stats.h).  See
 * README.md, section 6.
 *
 *	statbench buddy|memarea|xcf PAIRS
 *
 * sets up ubench's region and buddy (ubsetup.h: one 128 MiB block), then
 * runs PAIRS pairs of one path:
 *
 *	buddy	rm_buddy_alloc() + rm_buddy_free() of order 0: the per-CPU cache
 *	memarea	rm_memarea_alloc() + rm_memarea_free() of 5 pages, align 1
 *	xcf	rm_xcf_malloc() + rm_xcf_free() of 1000 bytes on CPU 0, with
 *		one object of the class kept live so its vpage stays
 *
 * Built twice by the Makefile: statbench (statistics on) and
 * statbench-nostats (-DRESMEM_STATS=0).  Run each under
 * "valgrind --tool=callgrind" with two values of PAIRS: the difference of
 * the instruction totals divided by the difference of PAIRS is one pair.
 *
 * Exit status: 0, 1 when an allocation failed or pages did not come back,
 * 2 on bad usage.
 */
#include <string.h>
#include <resmem/xcf.h>
#include "ubsetup.h"

#define SB_XCF_SIZE	1000

static struct rm_region rg;
static struct rm_buddy buddy;
static struct rm_memarea ma;

static int run_buddy(unsigned long pairs)
{
	unsigned long i;
	u64 pfn;

	for (i = 0; i < pairs; i++) {
		pfn = rm_buddy_alloc(&buddy, 0, NUMA_NO_NODE, 0, RM_PK_BUDDY);
		if (pfn == RM_NO_PFN)
			return 1;
		rm_buddy_free(&buddy, pfn, 0);
	}
	return 0;
}

static int run_memarea(unsigned long pairs)
{
	struct rm_memarea_req r = {
		.count = 5, .align = 1, .nid = NUMA_NO_NODE,
		.policy = RM_POLICY_FIRST_FIT,
	};
	unsigned long i;
	u64 pfn;

	rm_memarea_init(&ma, &buddy);
	if (rm_memarea_check(&buddy, &r))
		return 1;
	for (i = 0; i < pairs; i++) {
		pfn = rm_memarea_alloc(&ma, &r);
		if (pfn == RM_NO_PFN)
			return 1;
		rm_memarea_free(&ma, pfn, r.count);
	}
	return 0;
}

static int run_xcf(unsigned long pairs)
{
	struct rm_xcf_pool *pool = rm_xcf_create(&buddy, 0);
	unsigned long i, keep, h;

	if (!pool || rm_xcf_malloc(pool, SB_XCF_SIZE, 0, 0, &keep))
		return 1;
	for (i = 0; i < pairs; i++) {
		if (rm_xcf_malloc(pool, SB_XCF_SIZE, 0, 0, &h))
			return 1;
		rm_xcf_free(pool, h);
	}
	rm_xcf_free(pool, keep);
	rm_xcf_destroy(pool);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long pairs;
	u64 free_before;
	char *end;
	void *mem;
	int ret;

	if (argc != 3 || !*argv[2]) {
		fprintf(stderr, "usage: statbench buddy|memarea|xcf PAIRS\n");
		return 2;
	}
	pairs = strtoul(argv[2], &end, 0);
	if (*end) {
		fprintf(stderr, "statbench: bad PAIRS: %s\n", argv[2]);
		return 2;
	}
	mem = ub_setup(&rg, &buddy, "statbench");
	if (!mem)
		return 1;
	free_before = ub_free_pages(&buddy);

	if (!strcmp(argv[1], "buddy")) {
		ret = run_buddy(pairs);
	} else if (!strcmp(argv[1], "memarea")) {
		ret = run_memarea(pairs);
	} else if (!strcmp(argv[1], "xcf")) {
		ret = run_xcf(pairs);
	} else {
		fprintf(stderr, "statbench: no path %s\n", argv[1]);
		return 2;
	}
	if (ret) {
		fprintf(stderr, "statbench: %s: an allocation failed\n",
			argv[1]);
		return 1;
	}
	rm_buddy_drain(&buddy);
	if (!ub_whole(&buddy, free_before, "statbench"))
		return 1;
	printf("path=%s pairs=%lu statistics=%s\n", argv[1], pairs,
	       rm_stats_enabled() ? "on" : "off");
	rm_buddy_destroy(&buddy);
	free(mem);
	return 0;
}
