// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: vcompound in the kernel
 *
 * vcompound in the kernel: 2^order pages that are physically contiguous when
 * the buddy has such a block and otherwise mapped virtually contiguous from
 * several blocks, after Christoph Lameter's virtual compound pages (2007).
 * The piece selection is src/core/vcompound.c; this file maps, tracks and
 * frees, and holds the in-kernel API (include/resmem/api.h).
 *
 * Two kinds of address come out of resmem_vc_alloc_unchecked():
 *
 *  - contiguous: one buddy block marked RM_PK_VCOMPOUND, at its address in
 *    resmem's own write-back mapping of the ranges (resmem_pfn_to_virt()).
 *    Nothing is tracked: the block's page state says what it is, so this
 *    path costs little more than resmem_alloc_pages() (a few counters, and
 *    on free the checks below), and works in any context.
 *  - fallback: pieces from rm_vc_take() (the largest free blocks first),
 *    mapped by vmap_pfn(), or by vmap() when the pages have a struct page
 *    (the kernel makes one for every page of a memory section that also
 *    holds RAM, and vmap_pfn() refuses those; one mapping cannot mix the
 *    two, so a mixed set of pieces is taken again of one kind).  Mapping
 *    may sleep, so only callers that may sleep get a fallback.
 *
 * struct resmem_vc describes a fallback mapping (vcompound.h):
 *
 *	addr, order:	where it is mapped and how large it is
 *	pieces, nr:	the blocks, in mapping order; piece i maps at page
 *			pieces[i].first, so the page of any address is a
 *			binary search away (rm_vc_pfn_of())
 *	node:		in vc_root, an rbtree of the live mappings keyed by
 *			addr, so an address anywhere inside one finds it
 *	free:		on vc_free_list while its unmap waits
 *
 * vc_heads, an xarray, maps the first pfn of every piece of a live mapping
 * to its mapping, so that freeing a piece's own address as if it were a
 * contiguous allocation is recognised and refused.
 *
 * Freeing.  vunmap() may sleep, and the pieces must not be reused before
 * their mapping is gone, so resmem_vcompound_free() takes a fallback mapping
 * out of vc_root (it cannot be freed twice or looked up any more), puts it
 * on vc_free_list (an llist: no lock) and schedules vc_free_work, which
 * unmaps it and only then frees the pieces -- what vfree_atomic() does for
 * vmalloc.  Freeing is therefore safe in any context that may take a
 * spinlock.  An allocation that finds too little memory while unmaps are
 * pending waits for them (flush_work()) and tries once more; so does
 * resmem_vcompound_flush().  Allocations made through /dev/resmem are freed
 * in process context and unmap at once (resmem_vc_release()), so the memory
 * is free when RESMEM_IOC_FREE returns.
 *
 * Locking (the module's lock order: include/resmem/resmem.h).  vc_lock
 * (a spinlock taken with interrupts off) protects vc_root;
 * lookups hold it while they read a mapping's pieces, which are freed only
 * after the mapping left the tree.  The buddy's locks nest inside nothing of
 * ours.  vc_heads uses its own lock (process context only); readers use RCU.
 * Counters are per CPU (rm_stat_this_cpu_inc(), include/resmem/stats.h),
 * summed when debugfs reads them; latencies are sampled (VC_TIME_ONE_IN,
 * below).
 *
 * vfallback_always (module parameter, and debugfs vcompound/vfallback_always,
 * the same variable) makes every request that may sleep take the fallback,
 * as CONFIG_VFALLBACK_ALWAYS did in 2007; RESMEM_VC_FALLBACK asks for it in
 * one call.  Requests that may not sleep (RESMEM_VC_ATOMIC) never fall back,
 * forced or not: they get a contiguous block or NULL.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/export.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/rbtree.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <resmem/api.h>
#include <resmem/resmem.h>
#include <resmem/vcompound.h>

bool resmem_vfallback_always;
module_param_named(vfallback_always, resmem_vfallback_always, bool, 0644);
MODULE_PARM_DESC(vfallback_always,
		 "vcompound: map every allocation that may sleep from pieces, even when a contiguous block is free (for testing; default N)");

/*
 * Whether a page has a struct page is decided per memory subsection (2 MiB)
 * at the finest; pieces are checked at that step.
 */
#ifdef CONFIG_SPARSEMEM
#define VC_VALID_STEP	PAGES_PER_SUBSECTION
#else
#define VC_VALID_STEP	1UL
#endif

static DEFINE_SPINLOCK(vc_lock);
static struct rb_root vc_root = RB_ROOT;
static DEFINE_XARRAY(vc_heads);
static LLIST_HEAD(vc_free_list);
static atomic_t vc_deferred = ATOMIC_INIT(0);
static atomic_long_t vc_mappings = ATOMIC_LONG_INIT(0);
static atomic_long_t vc_mapped_pages = ATOMIC_LONG_INIT(0);
static unsigned int vc_max_order;
static DEFINE_PER_CPU(struct resmem_vc_stats, vc_stats);

/*
 * Latency.  One contiguous allocation in VC_TIME_ONE_IN per CPU (the first,
 * the 17th, ...) is timed with local_clock(): two clock reads cost as much
 * as the contiguous path itself in a VM (rdtsc, which QEMU's TCG emulates
 * with a call to the host's clock), and a sample of one in 16 draws the
 * same histogram.  Every fallback is timed from its start (after the
 * contiguous attempt), with ktime_get_ns(): it may sleep and move to
 * another CPU, whose local_clock() need not agree, and it costs thousands
 * of times more than the clock.
 */
#define VC_TIME_ONE_IN	16
static DEFINE_PER_CPU(unsigned int, vc_tick);

static void vc_free_fn(struct work_struct *work);
static DECLARE_WORK(vc_free_work, vc_free_fn);

static u64 vc_since(u64 t0)
{
	s64 d = local_clock() - t0;

	return d > 0 ? d : 0;
}

/* --- the tree of fallback mappings (vc_lock held) --- */

static struct resmem_vc *vc_find(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	struct rb_node *n = vc_root.rb_node;

	while (n) {
		struct resmem_vc *vc = rb_entry(n, struct resmem_vc, node);
		unsigned long s = (unsigned long)vc->addr;

		if (a < s)
			n = n->rb_left;
		else if (a - s >= PAGE_SIZE << vc->order)
			n = n->rb_right;
		else
			return vc;
	}
	return NULL;
}

static void vc_insert(struct resmem_vc *vc)
{
	struct rb_node **p = &vc_root.rb_node, *parent = NULL;

	while (*p) {
		parent = *p;
		if (vc->addr < rb_entry(parent, struct resmem_vc, node)->addr)
			p = &parent->rb_left;
		else
			p = &parent->rb_right;
	}
	rb_link_node(&vc->node, parent, p);
	rb_insert_color(&vc->node, &vc_root);
}

/* --- mapping --- */

/* 1: every page of the block has a struct page; 0: none has; -1: a mix. */
static int vc_class(u64 pfn, unsigned int order)
{
	u64 p, end = pfn + (1ULL << order);
	int valid = !!pfn_valid(pfn);

	for (p = ALIGN(pfn + 1, VC_VALID_STEP); p < end; p += VC_VALID_STEP)
		if (!!pfn_valid(p) != valid)
			return -1;
	return valid;
}

static bool vc_accept(u64 pfn, unsigned int order, void *arg)
{
	return vc_class(pfn, order) == *(int *)arg;
}

/* The class every piece shares, or -1. */
static int vc_pieces_class(const struct rm_vc_piece *p, u32 nr)
{
	int cls = vc_class(p[0].pfn, p[0].order);
	u32 i;

	for (i = 1; i < nr && cls >= 0; i++)
		if (vc_class(p[i].pfn, p[i].order) != cls)
			cls = -1;
	return cls;
}

/* Map the pieces in order; @cls says which of vmap()/vmap_pfn() may. */
static void *vc_map(const struct rm_vc_piece *p, u32 nr, unsigned int order,
		    int cls)
{
	unsigned int n = 1U << order, k = 0;
	struct page **pages = NULL;
	unsigned long *pfns = NULL;
	void *addr = NULL;
	u64 i;
	u32 j;

	if (cls)
		pages = kvmalloc_array(n, sizeof(*pages),
				       GFP_KERNEL | __GFP_NOWARN);
	else
		pfns = kvmalloc_array(n, sizeof(*pfns),
				      GFP_KERNEL | __GFP_NOWARN);
	if (!pages && !pfns)
		return NULL;
	for (j = 0; j < nr; j++) {
		for (i = 0; i < 1ULL << p[j].order; i++, k++) {
			if (cls)
				pages[k] = pfn_to_page(p[j].pfn + i);
			else
				pfns[k] = p[j].pfn + i;
		}
	}
	if (cls)
		addr = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	else
		addr = vmap_pfn(pfns, n, PAGE_KERNEL);
	kvfree(pages);
	kvfree(pfns);
	return addr;
}

/* Take pieces of one class and map them; *vcp is the new mapping. */
static void *vc_fallback(unsigned int order, int nid, unsigned int rmflags,
			 struct resmem_vc **vcp)
{
	struct rm_vc_req r = {
		.order = order, .max_piece = order ? order - 1 : 0,
		.nid = nid, .flags = rmflags,
	};
	struct rm_buddy *b = &resmem.buddy;
	struct resmem_vc *vc;
	int cls, want, first, ret, k;
	u32 i;

	vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	if (!vc)
		return NULL;
	vc->order = order;
	ret = rm_vc_take(b, &r, &vc->pieces, &vc->nr);
	if (ret)
		goto err_free;
	cls = vc_pieces_class(vc->pieces, vc->nr);
	if (cls < 0) {
		rm_stat_this_cpu_inc(vc_stats.mixed);
		first = vc_class(vc->pieces[0].pfn, vc->pieces[0].order) > 0;
		rm_vc_put(b, vc->pieces, vc->nr);
		r.accept = vc_accept;
		r.arg = &want;
		for (k = 0; k < 2; k++) {
			want = k ? !first : first;
			ret = rm_vc_take(b, &r, &vc->pieces, &vc->nr);
			if (!ret)
				break;
		}
		if (ret)
			goto err_free;
		cls = want;
	}

	vc->addr = vc_map(vc->pieces, vc->nr, order, cls);
	if (!vc->addr)
		goto err_put;
	for (i = 0; i < vc->nr; i++) {
		ret = xa_err(xa_store(&vc_heads, vc->pieces[i].pfn, vc,
				      GFP_KERNEL));
		if (ret)
			goto err_heads;
	}
	spin_lock_irq(&vc_lock);
	vc_insert(vc);
	spin_unlock_irq(&vc_lock);
	atomic_long_inc(&vc_mappings);
	atomic_long_add(1L << order, &vc_mapped_pages);
	*vcp = vc;
	return vc->addr;

err_heads:
	while (i--)
		xa_erase(&vc_heads, vc->pieces[i].pfn);
	vunmap(vc->addr);
err_put:
	rm_vc_put(b, vc->pieces, vc->nr);
err_free:
	kfree(vc);
	return NULL;
}

/* Unmap a mapping that left the tree, then give its pieces back. */
static void vc_destroy(struct resmem_vc *vc)
{
	u32 i;

	vunmap(vc->addr);
	for (i = 0; i < vc->nr; i++)
		xa_erase(&vc_heads, vc->pieces[i].pfn);
	atomic_long_dec(&vc_mappings);
	atomic_long_sub(1L << vc->order, &vc_mapped_pages);
	rm_vc_put(&resmem.buddy, vc->pieces, vc->nr);
	kfree(vc);
	rm_stat_this_cpu_inc(vc_stats.frees_fallback);
}

static void vc_free_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&vc_free_list);
	struct resmem_vc *vc, *tmp;

	llist_for_each_entry_safe(vc, tmp, list, free) {
		vc_destroy(vc);
		atomic_dec(&vc_deferred);
		cond_resched();
	}
}

static void *vc_contig(unsigned int order, int nid, unsigned int rmflags)
{
	u64 pfn = rm_buddy_alloc(&resmem.buddy, order, nid, rmflags,
				 RM_PK_VCOMPOUND);

	return pfn == RM_NO_PFN ? NULL : resmem_pfn_to_virt(pfn);
}

/* @pfn heads a contiguous vcompound block of @order, not a piece. */
static bool vc_owns_block(unsigned long pfn, unsigned int order)
{
	return rm_vc_owns(&resmem.buddy, pfn, order) &&
	       !xa_load(&vc_heads, pfn);
}

/**
 * resmem_vc_alloc_unchecked - allocate 2^@order pages, contiguous or mapped
 * @order: at most resmem_vcompound_max_order(), checked by the caller
 * @nid: preferred node, or NUMA_NO_NODE; checked by the caller
 * @flags: RESMEM_VC_VALID bits (RESMEM_GFP_* have the RM_ALLOC_* values)
 * @vcp: out: the fallback mapping, or NULL for a contiguous block
 *
 * The allocation behind resmem_vcompound_alloc_node(), which checks the
 * arguments first, and behind /dev/resmem (src/file.c), which checks its
 * own and keeps *@vcp to map and free the allocation: this checks nothing
 * and hands the fallback mapping out.
 *
 * Context: may sleep unless @flags has RESMEM_VC_ATOMIC.
 * Return: the kernel address of the first page, or NULL.
 */
void *resmem_vc_alloc_unchecked(unsigned int order, int nid,
				unsigned int flags, struct resmem_vc **vcp)
{
	bool atomic = flags & RESMEM_VC_ATOMIC;
	bool forced = !atomic && (flags & RESMEM_VC_FALLBACK ||
				  READ_ONCE(resmem_vfallback_always));
	unsigned int rmflags = (flags & (RM_ALLOC_STRICT_NODE | RM_ALLOC_ZERO)) |
			       (atomic ? 0 : RM_ALLOC_MAY_SLEEP);
	bool timed = rm_stats_enabled() &&
		     this_cpu_inc_return(vc_tick) % VC_TIME_ONE_IN == 1;
	u64 t0 = timed ? local_clock() : 0;
	void *addr = NULL;

	*vcp = NULL;
	rm_stat_this_cpu_inc(vc_stats.requests[order]);
	if (order <= resmem.buddy.max_order && !forced) {
		addr = vc_contig(order, nid, rmflags);
		if (!addr && !atomic && atomic_read(&vc_deferred)) {
			flush_work(&vc_free_work);
			addr = vc_contig(order, nid, rmflags);
		}
		if (addr) {
			rm_stat_this_cpu_inc(vc_stats.contiguous);
			if (timed)
				rm_hist_this_cpu_add(vc_stats.contig_ns_hist,
						     vc_since(t0));
			return addr;
		}
	}
	if (atomic) {
		rm_stat_this_cpu_inc(vc_stats.failures);
		rm_stat_this_cpu_inc(vc_stats.atomic_failures);
		return NULL;
	}
	t0 = rm_stat_time(ktime_get_ns());
	addr = vc_fallback(order, nid, rmflags, vcp);
	if (!addr && atomic_read(&vc_deferred)) {
		flush_work(&vc_free_work);
		addr = vc_fallback(order, nid, rmflags, vcp);
	}
	if (!addr) {
		rm_stat_this_cpu_inc(vc_stats.failures);
		return NULL;
	}
	rm_stat_this_cpu_inc(vc_stats.fallback);
	if (forced)
		rm_stat_this_cpu_inc(vc_stats.forced);
	if (order > resmem.buddy.max_order)
		rm_stat_this_cpu_inc(vc_stats.above_max);
	rm_stat_this_cpu_add(vc_stats.pieces, (*vcp)->nr);
	rm_hist_this_cpu_add(vc_stats.pieces_hist, (*vcp)->nr);
	rm_hist_this_cpu_add(vc_stats.fallback_ns_hist,
			     rm_stat_time(ktime_get_ns()) - t0);
	return addr;
}

/**
 * resmem_vc_release - free what resmem_vc_alloc_unchecked() gave, at once
 * @vc: its fallback mapping, or NULL for a contiguous block
 * @pfn: the block's first pfn when @vc is NULL
 * @order: its order
 *
 * For /dev/resmem, whose allocations are freed in process context: the
 * mapping is gone and the pages are free when this returns.
 *
 * Context: process context; may sleep.
 */
void resmem_vc_release(struct resmem_vc *vc, u64 pfn, unsigned int order)
{
	if (!vc) {
		rm_buddy_free(&resmem.buddy, pfn, order);
		rm_stat_this_cpu_inc(vc_stats.frees_contiguous);
		return;
	}
	spin_lock_irq(&vc_lock);
	rb_erase(&vc->node, &vc_root);
	spin_unlock_irq(&vc_lock);
	vc_destroy(vc);
}

/**
 * resmem_vc_pfn - page frame of a page of a fallback mapping
 * @vc: the mapping, live
 * @idx: page index, below 2^order
 *
 * Return: the pfn.
 */
u64 resmem_vc_pfn(const struct resmem_vc *vc, u64 idx)
{
	return rm_vc_pfn_of(vc->pieces, vc->nr, idx);
}

/**
 * resmem_vc_stats - vcompound's counters, summed over CPUs
 * @st: filled in; the sum is not one instant
 */
void resmem_vc_stats(struct resmem_vc_stats *st)
{
	size_t n = offsetof(struct resmem_vc_stats, mappings) / sizeof(u64);
	u64 *dst = (u64 *)st;
	size_t i;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const u64 *src = (const u64 *)per_cpu_ptr(&vc_stats, cpu);

		for (i = 0; i < n; i++)
			dst[i] += READ_ONCE(src[i]);
	}
	st->mappings = atomic_long_read(&vc_mappings);
	st->mapped_pages = atomic_long_read(&vc_mapped_pages);
	st->deferred = atomic_read(&vc_deferred);
}

/**
 * resmem_vc_init - start vcompound, after the buddy allocator
 */
void resmem_vc_init(void)
{
	/* the flag values: resmem_constants_agree() in src/dev.c */
	BUILD_BUG_ON(offsetof(struct resmem_vc_stats, mappings) %
		     sizeof(u64));
	vc_max_order = rm_vc_max_order(&resmem.buddy);
}

/**
 * resmem_vc_exit - wait for deferred unmaps, before the buddy stops
 *
 * Mappings a module leaked (it can unload before resmem) are unmapped and
 * freed here, with a warning in the log.
 */
void resmem_vc_exit(void)
{
	struct resmem_vc *vc;
	struct rb_node *n;

	flush_work(&vc_free_work);
	while ((n = rb_first(&vc_root))) {
		vc = rb_entry(n, struct resmem_vc, node);
		pr_warn("vcompound: order-%u mapping at %p was never freed; freeing it\n",
			vc->order, vc->addr);
		rb_erase(n, &vc_root);
		vc_destroy(vc);
	}
	xa_destroy(&vc_heads);
}

/* --- the in-kernel API --- */

/**
 * resmem_vcompound_alloc_node - 2^@order pages, virtually contiguous at least
 * @order: at most resmem_vcompound_max_order()
 * @nid: preferred node, or NUMA_NO_NODE for the current CPU's node
 * @flags: RESMEM_GFP_STRICT_NODE, RESMEM_GFP_ZERO, RESMEM_VC_ATOMIC,
 *	   RESMEM_VC_FALLBACK (unknown bits warn and fail)
 *
 * Returns one physically contiguous block when the buddy has one of @order
 * (orders up to resmem_max_order()), else -- when the caller may sleep -- the
 * largest free blocks mapped virtually contiguous with vmap_pfn() (or vmap()
 * for pages that have a struct page).  resmem_vcompound_is_virtual() tells
 * which; resmem_vcompound_to_pfn() and resmem_vcompound_pieces() work for
 * both.  Never use virt_to_page() or __pa() on the address.
 *
 * Context: may sleep, unless @flags has RESMEM_VC_ATOMIC: then it takes only
 * spinlocks and returns a contiguous block or NULL.
 * Return: the kernel address of the first page, or NULL when the memory
 * allowed cannot cover the request (or for a bad order, node or flag).
 */
void *resmem_vcompound_alloc_node(unsigned int order, int nid,
				  unsigned int flags)
{
	struct resmem_vc *vc;

	if (WARN_ON_ONCE(flags & ~RESMEM_VC_VALID))
		return NULL;
	might_sleep_if(!(flags & RESMEM_VC_ATOMIC));
	if (order > vc_max_order)
		return NULL;
	if (!resmem_nid_ok(nid))
		return NULL;
	return resmem_vc_alloc_unchecked(order, nid, flags, &vc);
}
EXPORT_SYMBOL_GPL(resmem_vcompound_alloc_node);

/**
 * resmem_vcompound_alloc - 2^@order pages on the current CPU's node first
 * @order: at most resmem_vcompound_max_order()
 * @flags: as for resmem_vcompound_alloc_node()
 *
 * Context: may sleep, unless @flags has RESMEM_VC_ATOMIC.
 * Return: the kernel address of the first page, or NULL.
 */
void *resmem_vcompound_alloc(unsigned int order, unsigned int flags)
{
	return resmem_vcompound_alloc_node(order, NUMA_NO_NODE, flags);
}
EXPORT_SYMBOL_GPL(resmem_vcompound_alloc);

/**
 * resmem_vcompound_free - free what resmem_vcompound_alloc() returned
 * @addr: the address it returned
 * @order: the order it was called with
 *
 * A contiguous block goes back to the buddy at once.  A fallback mapping is
 * unmapped by a work item, and its pieces are freed after that, as
 * vfree_atomic() does; resmem_vcompound_flush() waits for it.  Anything else
 * (an address resmem_vcompound_alloc() did not return, a wrong order, a
 * second free) warns once and changes nothing.
 *
 * Context: any context that may take a spinlock; does not sleep.
 */
void resmem_vcompound_free(const void *addr, unsigned int order)
{
	unsigned long pfn = resmem_virt_to_pfn(addr), flags;
	struct resmem_vc *vc = NULL;

	if (pfn) {
		if (!offset_in_page(addr) && vc_owns_block(pfn, order)) {
			rm_buddy_free(&resmem.buddy, pfn, order);
			rm_stat_this_cpu_inc(vc_stats.frees_contiguous);
			return;
		}
	} else {
		spin_lock_irqsave(&vc_lock, flags);
		vc = vc_find(addr);
		if (vc && vc->addr == addr && vc->order == order)
			rb_erase(&vc->node, &vc_root);
		else
			vc = NULL;
		spin_unlock_irqrestore(&vc_lock, flags);
		if (vc) {
			atomic_inc(&vc_deferred);
			llist_add(&vc->free, &vc_free_list);
			schedule_work(&vc_free_work);
			return;
		}
	}
	WARN_ONCE(1, "resmem: vcompound: %p (order %u) is not an allocation of resmem_vcompound_alloc(); not freed\n",
		  addr, order);
}
EXPORT_SYMBOL_GPL(resmem_vcompound_free);

/**
 * resmem_vcompound_is_virtual - is @addr inside a fallback mapping?
 * @addr: any address
 *
 * Context: any context that may take a spinlock.
 * Return: true when @addr is any byte of a live vcompound fallback mapping
 * (made of pieces and virtually contiguous only); false for a contiguous
 * allocation and for anything else.
 */
bool resmem_vcompound_is_virtual(const void *addr)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&vc_lock, flags);
	ret = vc_find(addr);
	spin_unlock_irqrestore(&vc_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(resmem_vcompound_is_virtual);

/**
 * resmem_vcompound_to_pfn - page frame of any byte of a vcompound allocation
 * @addr: an address inside an allocation of either kind
 *
 * For a fallback mapping, the pfn of the piece page that backs @addr; for a
 * contiguous allocation (or any address in resmem's own mapping of its
 * ranges), as resmem_virt_to_pfn().
 *
 * Context: any context that may take a spinlock.
 * Return: the pfn, or 0 when @addr is neither.
 */
unsigned long resmem_vcompound_to_pfn(const void *addr)
{
	unsigned long pfn = resmem_virt_to_pfn(addr), flags, off;
	struct resmem_vc *vc;

	if (pfn)
		return pfn;
	spin_lock_irqsave(&vc_lock, flags);
	vc = vc_find(addr);
	if (vc) {
		off = (unsigned long)addr - (unsigned long)vc->addr;
		pfn = resmem_vc_pfn(vc, off >> PAGE_SHIFT);
	}
	spin_unlock_irqrestore(&vc_lock, flags);
	return pfn;
}
EXPORT_SYMBOL_GPL(resmem_vcompound_to_pfn);

/**
 * resmem_vcompound_pieces - the physical pieces of a vcompound allocation
 * @addr: the address resmem_vcompound_alloc() returned
 * @order: the order it was called with
 * @pieces: filled with up to @room pieces, in mapping order
 * @room: entries @pieces has room for (may be 0)
 *
 * A contiguous allocation is one piece of @order; a fallback mapping has
 * two or more (the pieces of a forced order-0 fallback: one), each a buddy
 * block, the larger ones first.
 *
 * Context: any context that may take a spinlock.
 * Return: the number of pieces (which may exceed @room), or -EINVAL when
 * @addr and @order are not a live allocation of resmem_vcompound_alloc().
 */
int resmem_vcompound_pieces(const void *addr, unsigned int order,
			    struct resmem_vcompound_piece *pieces,
			    unsigned int room)
{
	unsigned long pfn = resmem_virt_to_pfn(addr), flags;
	struct resmem_vc *vc;
	int ret = -EINVAL;
	u32 i;

	if (pfn) {
		if (offset_in_page(addr) || !vc_owns_block(pfn, order))
			return -EINVAL;
		if (room) {
			pieces[0].pfn = pfn;
			pieces[0].order = order;
		}
		return 1;
	}
	spin_lock_irqsave(&vc_lock, flags);
	vc = vc_find(addr);
	if (vc && vc->addr == addr && vc->order == order) {
		for (i = 0; i < vc->nr && i < room; i++) {
			pieces[i].pfn = vc->pieces[i].pfn;
			pieces[i].order = vc->pieces[i].order;
		}
		ret = vc->nr;
	}
	spin_unlock_irqrestore(&vc_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(resmem_vcompound_pieces);

/**
 * resmem_vcompound_max_order - the largest order vcompound serves
 *
 * Context: any context; does not sleep.
 *
 * Return: min(resmem_max_order() + RM_VC_EXTRA_ORDERS (8), log2 of the
 * pages resmem manages outside its metadata); orders above
 * resmem_max_order() are always fallback mappings.
 */
unsigned int resmem_vcompound_max_order(void)
{
	return vc_max_order;
}
EXPORT_SYMBOL_GPL(resmem_vcompound_max_order);

/**
 * resmem_vcompound_flush - wait until freed fallback mappings are unmapped
 *
 * Context: process context; may sleep.  When it returns, the pieces of
 * every mapping freed before the call are back in the buddy.
 */
void resmem_vcompound_flush(void)
{
	flush_work(&vc_free_work);
}
EXPORT_SYMBOL_GPL(resmem_vcompound_flush);
