/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deliberate bug for "make fuzz-selftest", which proves the fuzzer can
 * fail: this header is force-included (after resmem/core.h) into
 * src/core/buddy.c only, when the target is built with
 * -DRM_FUZZ_INJECT_BUG=1.  It is never part of the module or of the
 * ordinary fuzz target.
 *
 * Bug 1, a missing bitmap update: when the buddy gives 16 pages of a node 1
 * block back to the free lists at once (an order-4 free, or a 16-page
 * memarea area), the last page's bitmap bit stays set.  Nothing crashes;
 * only the oracle notices that a page in a free list reads as used.
 */
#ifndef _RESMEM_FUZZ_INJECT_H
#define _RESMEM_FUZZ_INJECT_H

#if RM_FUZZ_INJECT_BUG == 1
static inline void rm_fuzz_mark_free(struct rm_block *b, u64 pfn, u64 nr)
{
	rm_block_mark_free(b, pfn, nr == 16 && b->nid == 1 ? nr - 1 : nr);
}

#define rm_block_mark_free(b, pfn, nr)	rm_fuzz_mark_free(b, pfn, nr)
#else
#error "unknown RM_FUZZ_INJECT_BUG"
#endif

#endif /* _RESMEM_FUZZ_INJECT_H */
