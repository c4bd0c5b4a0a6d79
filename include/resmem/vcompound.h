/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: vcompound's glue
 *
 * vcompound in the kernel (src/vcompound.c, whose design comment says how
 * it works; debugfs/vcompound.c): the fallback mappings and counters that
 * src/file.c, src/main.c and debugfs share with it.  The piece selection's
 * types are the core's (include/resmem/core.h); clients use
 * resmem_vcompound_*() of include/resmem/api.h, never these.
 */
#ifndef _RESMEM_VCOMPOUND_H
#define _RESMEM_VCOMPOUND_H

#include <linux/llist.h>
#include <linux/rbtree.h>
#include <linux/types.h>
#include <resmem/core.h>

struct dentry;

/**
 * struct resmem_vc - a vcompound fallback mapping
 * @addr:	kernel address of its first page, from vmap() or vmap_pfn()
 * @order:	it maps 2^order pages
 * @nr:		pieces in @pieces
 * @pieces:	the buddy blocks it maps, in mapping order
 * @node:	in the tree of mappings, keyed by @addr
 * @free:	on the list of mappings whose unmap is deferred
 */
struct resmem_vc {
	void *addr;
	unsigned int order;
	u32 nr;
	struct rm_vc_piece *pieces;
	struct rb_node node;
	struct llist_node free;
};

/**
 * struct resmem_vc_stats - vcompound counters since load (debugfs)
 * @requests:	well-formed allocation requests, per order
 * @contiguous:	served by one physically contiguous block
 * @fallback:	served by a fallback mapping
 * @forced:	of those, because vfallback_always or RESMEM_VC_FALLBACK
 *		asked for it
 * @above_max:	of those, for orders above the buddy's max_order
 * @failures:	requests not served
 * @atomic_failures: of those, RESMEM_VC_ATOMIC requests, which cannot
 *		fall back
 * @mixed:	fallbacks whose first pieces mixed pages with and without a
 *		struct page, taken again from one kind
 * @frees_contiguous: contiguous blocks freed
 * @frees_fallback: fallback mappings freed
 * @pieces:	pieces of all fallback mappings made
 * @pieces_hist: pieces per fallback mapping (log2 histogram)
 * @contig_ns_hist: nanoseconds per contiguous allocation (log2 histogram)
 * @fallback_ns_hist: nanoseconds per fallback allocation (log2 histogram)
 * @mappings:	fallback mappings that exist now
 * @mapped_pages: pages in them
 * @deferred:	freed mappings whose unmap has not run yet
 */
struct resmem_vc_stats {
	u64 requests[RM_VC_ORDER_LIMIT + 1];
	u64 contiguous;
	u64 fallback;
	u64 forced;
	u64 above_max;
	u64 failures;
	u64 atomic_failures;
	u64 mixed;
	u64 frees_contiguous;
	u64 frees_fallback;
	u64 pieces;
	u64 pieces_hist[RM_HIST_BUCKETS];
	u64 contig_ns_hist[RM_HIST_BUCKETS];
	u64 fallback_ns_hist[RM_HIST_BUCKETS];
	u64 mappings;
	u64 mapped_pages;
	u64 deferred;
};

extern bool resmem_vfallback_always;
void resmem_vc_init(void);
void resmem_vc_exit(void);
void *resmem_vc_alloc_unchecked(unsigned int order, int nid,
				unsigned int flags, struct resmem_vc **vcp);
void resmem_vc_release(struct resmem_vc *vc, u64 pfn, unsigned int order);
u64 resmem_vc_pfn(const struct resmem_vc *vc, u64 idx);
void resmem_vc_stats(struct resmem_vc_stats *st);
void resmem_debugfs_vcompound_init(struct dentry *dir);

#endif /* _RESMEM_VCOMPOUND_H */
