// SPDX-License-Identifier: GPL-2.0
/*
 * ubench: the core buddy allocator (src/core/buddy.c) in userspace, for
 * counting instructions with callgrind.  See README.md.
 *
 *	ubench ORDER PAIRS [BATCH]
 *
 * sets up a region of one 128 MiB block (aligned_alloc'd), a buddy over it,
 * and runs PAIRS alloc+free pairs of ORDER: BATCH blocks allocated, then
 * freed newest first, PAIRS / BATCH times (BATCH defaults to 1: every block
 * is freed right after it was allocated).  Nothing is zeroed.
 *
 * Run it under "valgrind --tool=callgrind" with two values of PAIRS: the
 * difference of the two instruction totals divided by the difference of
 * PAIRS is the cost of one pair, with the setup and exit costs cancelled.
 *
 * Exit status: 0, 1 when an allocation failed or the buddy did not come
 * back whole, 2 on bad usage.
 */
#include "ubsetup.h"

#define UB_MAX_BATCH	1024

static struct rm_region rg;
static struct rm_buddy buddy;
static u64 pfns[UB_MAX_BATCH];

static unsigned long arg(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "ubench: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long order, pairs, batch = 1, i, j;
	struct rm_buddy_stats st;
	u64 free_before;
	void *mem;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: ubench ORDER PAIRS [BATCH]\n");
		return 2;
	}
	order = arg(argv[1], "ORDER");
	pairs = arg(argv[2], "PAIRS");
	if (argc == 4)
		batch = arg(argv[3], "BATCH");
	if (order > RM_DEFAULT_MAX_ORDER || !batch || batch > UB_MAX_BATCH ||
	    pairs % batch) {
		fprintf(stderr,
			"ubench: ORDER must be 0..%d, BATCH 1..%d and divide PAIRS\n",
			RM_DEFAULT_MAX_ORDER, UB_MAX_BATCH);
		return 2;
	}

	mem = ub_setup(&rg, &buddy, "ubench");
	if (!mem)
		return 1;
	free_before = ub_free_pages(&buddy);

	for (i = 0; i < pairs / batch; i++) {
		for (j = 0; j < batch; j++) {
			pfns[j] = rm_buddy_alloc(&buddy, order, NUMA_NO_NODE,
						 0, RM_PK_BUDDY);
			if (pfns[j] == RM_NO_PFN) {
				fprintf(stderr,
					"ubench: order %lu allocation %lu failed\n",
					order, i * batch + j);
				return 1;
			}
		}
		while (j--)
			rm_buddy_free(&buddy, pfns[j], order);
	}

	if (!ub_whole(&buddy, free_before, "ubench"))
		return 1;
	rm_buddy_stats(&buddy, &st);
	printf("order=%lu pairs=%lu batch=%lu allocations=%llu\n", order, pairs,
	       batch, (unsigned long long)st.allocations);
	rm_buddy_destroy(&buddy);
	free(mem);
	return 0;
}
