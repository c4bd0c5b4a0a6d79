// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The buddy allocator in the kernel
 *
 * The buddy allocator in the kernel: its setup over the region and the
 * in-kernel API other modules use (include/resmem/api.h).
 *
 * The logic is in src/core/buddy.c; this file only turns pfns into kernel
 * addresses and back, and checks what kernel callers pass.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/export.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/timekeeping.h>
#include <resmem/api.h>
#include <resmem/resmem.h>

static unsigned int max_order = RM_DEFAULT_MAX_ORDER;
module_param(max_order, uint, 0444);
MODULE_PARM_DESC(max_order,
		 "largest buddy order (default 10); at most log2 of the largest block's pages");

/**
 * resmem_pages_setup - start the buddy allocator on the enabled region
 *
 * Return: 0, or -EINVAL (with one line saying why) for a max_order the
 * blocks cannot hold, -ENOMEM.
 */
int resmem_pages_setup(void)
{
	unsigned int limit = rm_buddy_order_limit(&resmem.region);
	int ret;

	if (max_order > limit) {
		pr_err("max_order=%u: the largest block holds order %u at most; not loading\n",
		       max_order, limit);
		return -EINVAL;
	}
	ret = rm_buddy_init(&resmem.buddy, &resmem.region, max_order);
	if (ret) {
		pr_err("cannot start the buddy allocator: %d\n", ret);
		return ret;
	}
	rm_memarea_init(&resmem.memarea, &resmem.buddy);
	return 0;
}

/**
 * resmem_pages_teardown - stop the buddy allocator
 *
 * Every allocation must have been freed: files are closed and modules using
 * the API are gone before resmem can unload.
 */
void resmem_pages_teardown(void)
{
	rm_buddy_destroy(&resmem.buddy);
}

/**
 * resmem_virt_to_pfn - page frame of a kernel address in resmem memory
 * @addr: any byte of a page resmem manages
 *
 * Context: any context; does not sleep.
 *
 * Return: the pfn, or 0 when @addr is not in resmem's ranges (pfn 0 never
 * is: the first MiB is refused at load).
 */
unsigned long resmem_virt_to_pfn(const void *addr)
{
	u64 pfn = rm_region_virt_to_pfn(&resmem.region, addr);

	return pfn == RM_NO_PFN ? 0 : pfn;
}
EXPORT_SYMBOL_GPL(resmem_virt_to_pfn);

/**
 * resmem_pfn_to_virt - kernel address of a page resmem manages
 * @pfn: the page frame
 *
 * Context: any context; does not sleep.
 *
 * Return: the address, or NULL when @pfn is not in resmem's ranges.
 */
void *resmem_pfn_to_virt(unsigned long pfn)
{
	struct rm_block *b = rm_region_find(&resmem.region, pfn);

	return b ? rm_block_pfn_to_virt(b, pfn) : NULL;
}
EXPORT_SYMBOL_GPL(resmem_pfn_to_virt);

/**
 * resmem_alloc_pages - allocate 2^@order physically contiguous pages
 * @order: at most resmem_max_order()
 * @nid: preferred node, or NUMA_NO_NODE for the current CPU's node
 * @flags: RESMEM_GFP_STRICT_NODE, RESMEM_GFP_ZERO (others warn and fail;
 *	   movable blocks come from resmem_alloc_movable(), which can move
 *	   them when a CMA region wants its memory back)
 *
 * Without RESMEM_GFP_STRICT_NODE, other nodes are tried nearest first.
 * Before it fails, every CPU's cache is drained and the search repeated.
 *
 * Context: any context that may take a spinlock; does not sleep.
 * Return: the kernel address of the first page, or NULL.
 */
void *resmem_alloc_pages(unsigned int order, int nid, unsigned int flags)
{
	u64 pfn;

	if (WARN_ON_ONCE(flags & ~RESMEM_GFP_VALID))
		return NULL;
	/* nothing could move such a block: resmem_alloc_movable() can */
	if (WARN_ON_ONCE(flags & RESMEM_GFP_MOVABLE))
		return NULL;
	if (order > resmem.buddy.max_order || !resmem_nid_ok(nid))
		return NULL;
	pfn = rm_buddy_alloc(&resmem.buddy, order, nid, flags, RM_PK_BUDDY);
	return pfn == RM_NO_PFN ? NULL : resmem_pfn_to_virt(pfn);
}
EXPORT_SYMBOL_GPL(resmem_alloc_pages);

/**
 * resmem_free_pages - free pages from resmem_alloc_pages()
 * @addr: the address resmem_alloc_pages() returned
 * @order: the order it was called with
 *
 * An address resmem did not hand out, or a wrong order, warns once and
 * changes nothing.
 *
 * Context: any context that may take a spinlock; does not sleep.
 */
void resmem_free_pages(void *addr, unsigned int order)
{
	unsigned long pfn = resmem_virt_to_pfn(addr);

	if (WARN_ON_ONCE(!pfn || offset_in_page(addr)))
		return;
	rm_buddy_free(&resmem.buddy, pfn, order);
}
EXPORT_SYMBOL_GPL(resmem_free_pages);

/**
 * resmem_alloc_area - allocate @count physically contiguous pages
 * @count: pages, any number from 1 to the largest block
 * @align: the first pfn is a multiple of @align plus @offset; a power of
 *	   two in pages, 0 or 1 for none
 * @offset: below @align
 * @nid: preferred node, or NUMA_NO_NODE for the current CPU's node
 * @flags: RESMEM_GFP_STRICT_NODE, RESMEM_GFP_ZERO
 * @policy: RESMEM_AREA_FIRST_FIT, RESMEM_AREA_BEST_FIT or
 *	    RESMEM_AREA_LEAST_FRAG
 *
 * Finds a fitting free area whenever one exists in the nodes allowed.
 *
 * Context: any context that may take a spinlock; does not sleep.  The
 * search holds a zone lock for time that grows with the range size.
 * Return: the kernel address of the first page, or NULL (also for a
 * request resmem_alloc_area() cannot ever serve: bad count, alignment,
 * offset, policy or flags).
 */
void *resmem_alloc_area(unsigned long count, unsigned long align,
			unsigned long offset, int nid, unsigned int flags,
			unsigned int policy)
{
	struct rm_memarea_req r = {
		.count = count, .align = align, .offset = offset, .nid = nid,
		.flags = flags, .policy = policy,
	};
	u64 pfn, t0;

	if (flags & RESMEM_GFP_MOVABLE || !resmem_nid_ok(nid) ||
	    rm_memarea_check(&resmem.buddy, &r))
		return NULL;
	t0 = rm_stat_time(ktime_get_ns());
	pfn = rm_memarea_alloc(&resmem.memarea, &r);
	rm_memarea_add_latency(&resmem.memarea,
			       rm_stat_time(ktime_get_ns()) - t0);
	return pfn == RM_NO_PFN ? NULL : resmem_pfn_to_virt(pfn);
}
EXPORT_SYMBOL_GPL(resmem_alloc_area);

/**
 * resmem_free_area - free an area from resmem_alloc_area()
 * @addr: the address resmem_alloc_area() returned
 * @count: the count it was called with
 *
 * Anything else warns once and changes nothing.
 *
 * Context: any context that may take a spinlock; does not sleep.
 */
void resmem_free_area(void *addr, unsigned long count)
{
	unsigned long pfn = resmem_virt_to_pfn(addr);

	if (WARN_ON_ONCE(!pfn || offset_in_page(addr)))
		return;
	rm_memarea_free(&resmem.memarea, pfn, count);
}
EXPORT_SYMBOL_GPL(resmem_free_area);

/**
 * resmem_max_order - the largest order resmem_alloc_pages() serves
 *
 * Context: any context; does not sleep.
 *
 * Return: the max_order module parameter.
 */
unsigned int resmem_max_order(void)
{
	return resmem.buddy.max_order;
}
EXPORT_SYMBOL_GPL(resmem_max_order);

/**
 * resmem_drain_pcp - return every CPU's cached pages to the free lists
 *
 * Context: any context that may take a spinlock.
 */
void resmem_drain_pcp(void)
{
	rm_buddy_drain(&resmem.buddy);
}
EXPORT_SYMBOL_GPL(resmem_drain_pcp);
