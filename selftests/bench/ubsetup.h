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

#endif /* _UBSETUP_H */
