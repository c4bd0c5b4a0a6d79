// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: vcompound, the core half
 *
 * vcompound, the core half: which buddy blocks ("pieces") stand in for a
 * block of 2^order pages that the buddy cannot, or may not, hand out whole.
 * The kernel glue (src/vcompound.c) maps the pieces virtually contiguous;
 * nothing here knows about mappings, so it builds in userspace for the unit
 * tests (selftests/unit/test_vcompound.c).
 *
 * Pieces.  A piece is an ordinary buddy block taken with rm_buddy_alloc()
 * and marked RM_PK_VCOMPOUND: the buddy's migratetypes, node preference and
 * per-CPU caches apply to it as to any block, and rm_buddy_free() gives it
 * back.  struct rm_vc_piece records one:
 *
 *	pfn:	its first page frame (naturally aligned to 2^order)
 *	order:	its order, at most rm_vc_req.max_piece
 *	first:	the index, within the 2^order pages of the request, of its
 *		first page; pieces are listed in mapping order, so piece i
 *		covers pages [first, first + 2^order) of the mapping
 *
 * Selection (rm_vc_take()).  Greedy, largest first: for each order o from
 * max_piece down to 0, take order-o pieces while the request still needs
 * pages and the buddy still has a block of order o or more; stop when the
 * request is covered.  Pieces come out in non-increasing order, so each
 * piece's offset in the mapping is a multiple of its own size.  With the
 * per-CPU caches drained, this uses the fewest pieces the free lists allow:
 * a free block of order k can hold any set of power-of-two pieces whose
 * sizes add up to at most 2^k, and a piece of the largest order that still
 * fits replaces two or more smaller ones, so an order-o piece is never worth
 * leaving while one is free and the remaining need is at least 2^o (the unit
 * test checks this against an exhaustive search).  When the free memory
 * cannot cover the request, every piece taken is freed and the call fails;
 * the free pages of the zones the request may use are counted first, so a
 * request larger than all of them fails without taking anything and leaves
 * every counter as it was.
 *
 * Accepting pieces.  A caller may refuse some pieces (rm_vc_req.accept):
 * the kernel glue maps pages that have a struct page with vmap() and pages
 * that have none with vmap_pfn(), and one mapping cannot mix the two.  A
 * refused piece is held, not freed, so the buddy does not hand it out again
 * during the same call; held pieces are freed before rm_vc_take() returns.
 *
 * The piece array is allocated here (rm_zalloc(), which sleeps in the
 * kernel: only the glue's fallback path, which may sleep, calls in), starting
 * at RM_VC_FIRST_PIECES entries and doubling, so a request served by few
 * large pieces costs a small array and one served page by page still works.
 *
 * Locking: none of its own.  Every buddy call takes the buddy's locks; the
 * array belongs to the caller until rm_vc_put().
 */
#include <resmem/core.h>

/*
 * First size of a piece array: a fresh pool serves any fallback with two
 * pieces and a moderately fragmented one with a handful; 16 entries are
 * 256 bytes, one small allocation.
 */
#define RM_VC_FIRST_PIECES	16

/**
 * rm_vc_max_order - the largest order vcompound serves
 * @b: the buddy allocator
 *
 * The buddy's max_order plus RM_VC_EXTRA_ORDERS, but no more than the
 * largest power of two of pages the ranges hold outside their metadata, and
 * at most RM_VC_ORDER_LIMIT.
 *
 * Return: the order.
 */
unsigned int rm_vc_max_order(const struct rm_buddy *b)
{
	u64 pages = rm_region_total_pages(b->rg) - rm_region_meta_pages(b->rg);
	unsigned int most = pages ? ilog2(pages) : 0;

	most = min(most, b->max_order + RM_VC_EXTRA_ORDERS);
	return min_t(unsigned int, most, RM_VC_ORDER_LIMIT);
}

/*
 * Pages free in the zones a request may use, per-CPU cached ones included
 * (the buddy drains them before it gives up), CMA ones only for movable
 * requests: an upper bound of what rm_buddy_alloc() can hand out.
 */
static u64 vc_free_pages(struct rm_buddy *b, int nid, unsigned int flags)
{
	bool strict = flags & RM_ALLOC_STRICT_NODE;
	unsigned long irq;
	unsigned int i;
	u64 n = 0;
	int cpu;

	if (nid == NUMA_NO_NODE)
		nid = rm_numa_node_id();
	for (i = 0; i < b->nr_zones; i++) {
		struct rm_zone *z = &b->zone[i];

		if (strict && z->blk->nid != nid)
			continue;
		rm_spin_lock_irqsave(&z->lock, irq);
		n += z->free_pages;
		if (!(flags & RM_ALLOC_MOVABLE))
			n -= z->free_cma;
		rm_spin_unlock_irqrestore(&z->lock, irq);
		rm_for_each_cpu(cpu) {
			struct rm_pcp *pcp = rm_per_cpu_ptr(z->pcp, cpu);

			rm_spin_lock_irqsave(&pcp->lock, irq);
			n += pcp->count;
			rm_spin_unlock_irqrestore(&pcp->lock, irq);
		}
	}
	return n;
}

/* A piece array: @a holds @n entries and has room for @room. */
struct vc_array {
	struct rm_vc_piece *a;
	u32 n;
	u32 room;
};

static int vc_push(struct vc_array *v, u64 pfn, unsigned int order, u32 first)
{
	struct rm_vc_piece *na;
	u32 room;

	if (v->n == v->room) {
		room = v->room ? 2 * v->room : RM_VC_FIRST_PIECES;
		na = rm_zalloc((size_t)room * sizeof(*na));
		if (!na)
			return -ENOMEM;
		if (v->n)
			memcpy(na, v->a, (size_t)v->n * sizeof(*na));
		rm_free(v->a);
		v->a = na;
		v->room = room;
	}
	v->a[v->n].pfn = pfn;
	v->a[v->n].order = order;
	v->a[v->n].first = first;
	v->n++;
	return 0;
}

/* Free the pieces of @v, newest first, and the array. */
static void vc_drop(struct rm_buddy *b, struct vc_array *v)
{
	while (v->n) {
		v->n--;
		rm_buddy_free(b, v->a[v->n].pfn, v->a[v->n].order);
	}
	rm_free(v->a);
	v->a = NULL;
	v->room = 0;
}

/**
 * rm_vc_take - take pieces covering exactly 2^@r->order pages
 * @b: the buddy allocator
 * @r: the request; r->max_piece is clamped to r->order and b->max_order
 * @pieces: out: the pieces in mapping order, an array to give back with
 *	    rm_vc_put()
 * @nr: out: how many
 *
 * Context: may sleep in the kernel (the array is allocated with
 * rm_zalloc()).
 * Return: 0; -EINVAL for an order above rm_vc_max_order(); -ENOMEM when the
 * free memory the request may use cannot cover it, or the array cannot be
 * allocated, and then every piece taken was given back.
 */
int rm_vc_take(struct rm_buddy *b, const struct rm_vc_req *r,
	       struct rm_vc_piece **pieces, u32 *nr)
{
	u64 need = 1ULL << r->order, pfn;
	struct vc_array got = { 0 }, held = { 0 };
	unsigned int o;
	int ret = 0;

	if (r->order > rm_vc_max_order(b))
		return -EINVAL;
	if (vc_free_pages(b, r->nid, r->flags) < need)
		return -ENOMEM;

	o = min(r->max_piece, min(r->order, b->max_order));
	for (;;) {
		pfn = rm_buddy_alloc(b, o, r->nid, r->flags, RM_PK_VCOMPOUND);
		if (pfn == RM_NO_PFN) {
			if (!o)
				break;
			o--;
			continue;
		}
		if (r->accept && !r->accept(pfn, o, r->arg)) {
			ret = vc_push(&held, pfn, o, 0);
		} else {
			ret = vc_push(&got, pfn, o, (1ULL << r->order) - need);
			if (!ret)
				need -= 1ULL << o;
		}
		if (ret) {
			rm_buddy_free(b, pfn, o);
			break;
		}
		if (!need)
			break;
	}
	vc_drop(b, &held);
	if (need) {
		vc_drop(b, &got);
		return ret ? ret : -ENOMEM;
	}
	*pieces = got.a;
	*nr = got.n;
	return 0;
}

/**
 * rm_vc_put - give back the pieces rm_vc_take() took, and their array
 * @b: the buddy allocator
 * @pieces: the array
 * @nr: its length
 */
void rm_vc_put(struct rm_buddy *b, struct rm_vc_piece *pieces, u32 nr)
{
	struct vc_array v = { .a = pieces, .n = nr, .room = nr };

	vc_drop(b, &v);
}

/**
 * rm_vc_piece_of - the piece holding a page of a vcompound mapping
 * @p: the pieces, as rm_vc_take() returned them
 * @nr: how many
 * @idx: page index within the mapping, below the sum of the pieces' sizes
 *
 * Return: the index in @p of the piece holding page @idx (binary search).
 */
u32 rm_vc_piece_of(const struct rm_vc_piece *p, u32 nr, u64 idx)
{
	u32 lo = 0, hi = nr;

	/* the last piece whose first page is at or before @idx */
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (p[mid].first <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/**
 * rm_vc_owns - does @pfn head a vcompound block of @order from @b?
 * @b: the buddy allocator
 * @pfn: the page frame
 * @order: the order the caller says it has
 *
 * Reads the page's state without a lock: an allocated block's state changes
 * only when its owner frees it.
 *
 * Return: true when @pfn is in a block of @b and its state is the head of
 * an allocated RM_PK_VCOMPOUND block of exactly @order.
 */
bool rm_vc_owns(struct rm_buddy *b, u64 pfn, unsigned int order)
{
	struct rm_block *blk = rm_region_find(b->rg, pfn);
	u16 s;

	if (!blk || order > b->max_order)
		return false;
	s = blk->state[pfn - blk->base_pfn];
	return rm_ps_is_head(s) && rm_ps_order(s) == order &&
	       rm_ps_kind(s) == RM_PK_VCOMPOUND;
}
