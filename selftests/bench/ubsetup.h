/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ubsetup.h: the region and buddy that ubench and statbench measure over:
 * one block of UB_PAGES (128 MiB, aligned_alloc'd, pageblock aligned) at
 * UB_BASE_PFN, and a buddy of RM_DEFAULT_MAX_ORDER over it.
 */
#ifndef _UBSETUP_H
#define _UBSETUP_H

#include <stdio.h>
#include <stdlib.h>
#include <resmem/core.h>

#define UB_PAGES	(128UL << (20 - PAGE_SHIFT))	/* 128 MiB */
#define UB_BASE_PFN	(1UL << 20)			/* 4 GiB */

/*
 * Set up @rg and @b; return the block's memory, for free() after
 * rm_buddy_destroy(), or NULL after a message that starts with @prog.
 */
static inline void *ub_setup(struct rm_region *rg, struct rm_buddy *b,
			     const char *prog)
{
	void *mem = aligned_alloc(RM_PAGEBLOCK_NR * PAGE_SIZE,
				  UB_PAGES * PAGE_SIZE);

	if (!mem) {
		fprintf(stderr, "%s: aligned_alloc failed\n", prog);
		return NULL;
	}
	rm_region_init(rg);
	if (rm_region_add(rg, UB_BASE_PFN, UB_PAGES, 0, 0)) {
		fprintf(stderr, "%s: rm_region_add failed\n", prog);
		goto fail;
	}
	rg->block[0].vaddr = mem;
	if (rm_region_enable(rg) || rm_buddy_init(b, rg, RM_DEFAULT_MAX_ORDER)) {
		fprintf(stderr, "%s: rm_region_enable/rm_buddy_init failed\n",
			prog);
		goto fail;
	}
	return mem;
fail:
	free(mem);
	return NULL;
}

/* Pages free in @b's lists and caches. */
static inline u64 ub_free_pages(struct rm_buddy *b)
{
	struct rm_buddy_stats st;

	rm_buddy_stats(b, &st);
	return st.free_pages + st.pcp_pages;
}

/*
 * Whether @b has @before pages free again; else a message that starts with
 * @prog.
 */
static inline bool ub_whole(struct rm_buddy *b, u64 before, const char *prog)
{
	u64 now = ub_free_pages(b);

	if (now == before)
		return true;
	fprintf(stderr, "%s: %llu free pages before, %llu after\n", prog,
		(unsigned long long)before, (unsigned long long)now);
	return false;
}

#endif /* _UBSETUP_H */
