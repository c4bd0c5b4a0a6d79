// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The buddy allocator
 *
 * The buddy allocator: blocks of 2^order pages from the region's blocks.
 *
 * It follows mm/page_alloc.c closely, on memory that has no struct page.
 *
 * Zones.  Each region block is a zone (struct rm_zone) with its own lock,
 * free lists and per-CPU caches, as each kernel zone is.  A request names a
 * node; the zones of that node are tried first, then the others in order of
 * node distance (b->zonelist, built once), unless RM_ALLOC_STRICT_NODE asks
 * for the node alone.  Free blocks never cross zones.
 *
 * Free lists.  Per zone, per order 0..max_order, per migratetype; each list
 * is linked through the first bytes of its free blocks (struct rm_list at
 * the block's kernel address), as the kernel links struct pages, so the lists
 * cost no metadata.  The first page of a free block carries RM_PS_HEAD, its
 * order and the migratetype of the list it is on in its state; every other
 * page of a free block has state 0 (RM_PK_FREE, no head).  A block of order
 * k starts at a pfn aligned to 2^k, so its buddy is pfn ^ 2^k.
 *
 * Bitmap.  The block's bitmap has a bit set for every page that is not in
 * a free list: allocated, metadata, or cached in a per-CPU list.  Memarea
 * searches it; the buddy itself looks only at the state.
 *
 * Allocation (rmqueue): take the smallest free block of at least the order
 * from the request's migratetype and split it, putting the upper halves back
 * (expand).  Movable requests take CMA pageblocks first when more than half
 * of the zone's free memory is CMA (the kernel's balance in __rmqueue()), so
 * that lent memory is used rather than hoarded, and after their own type
 * otherwise.  Unmovable requests never take CMA or isolated pageblocks.
 *
 * Fallback and stealing (rmqueue_fallback): when a type has nothing, take
 * the LARGEST free block of the other per-CPU type (unmovable <-> movable),
 * to mix types in as few pageblocks as possible.  If that block is a whole
 * pageblock or more, every pageblock in it changes to the requested type.
 * If it is smaller, its pageblock is claimed (changed, and all its free
 * blocks moved to the requested type) when the request is unmovable or of
 * at least half a pageblock, and at least half the pageblock is free -- the
 * kernel's steal_suitable_fallback() rule; otherwise the block is used and
 * the rest of its pageblock keeps its type.
 *
 * Free: merge with the buddy while it is a free head of the same order, up
 * to max_order; at pageblock order and above, blocks of different types
 * merge only when both are unmovable or movable, so CMA and isolated
 * pageblocks stay whole (the kernel's migratetype_is_mergeable()).  The
 * merged block goes on the list of the freed block's pageblock type, read
 * under the zone lock, as free_one_page() does: CMA isolation changes it
 * under that lock, so a type read before could be stale.  A free to a
 * per-CPU cache reads it under the pcp lock and sends an isolated block
 * to the zone: isolation drains every cache after the change.
 *
 * Per-CPU caches (struct rm_pcp): for orders 0..RM_PCP_MAX_ORDER and the
 * unmovable and movable types.  An empty list is refilled with @batch pages
 * under one zone lock; a free that takes @count past @high sends @batch
 * pages back.  batch = zone pages / 1024 clamped to 1..RM_PCP_BATCH_MAX
 * (the kernel's zone_batchsize() starts from managed pages / 1024 too; 63
 * from 256 MiB up, 16 for a 64 MiB zone), and high = 6 * batch, between
 * the kernel's 4x and 8x: at most 0.6% of a zone per CPU sits in caches.  Cached pages carry
 * RM_PK_PCP.  An allocation that finds nothing anywhere drains every CPU's
 * cache that holds pages, in every zone, and tries once more if one did,
 * before it fails.  It reads the counts without the caches' locks, as the
 * kernel's drain_all_pages() does: on a full allocator whose caches are
 * empty (xcf's every malloc, with its meta lock held, when resmem is full)
 * a failure then costs one read per CPU and zone, not a lock of each.
 *
 * Locking (the module's lock order: include/resmem/resmem.h): interrupts
 * are off while any lock is held (spin_lock_irqsave or
 * local_irq_save first), so every entry point works from any context that
 * may take a spinlock.  Order: a pcp lock, then its zone lock; never two
 * zone locks, never two pcp locks.  The pcp lock is per CPU and uncontended
 * on the fast path; draining takes other CPUs' pcp locks, which is why they
 * are spinlocks rather than bare interrupt disabling.
 */
#include <resmem/core.h>

/* --- lists --- */

static inline void rl_init(struct rm_list *l)
{
	l->next = l;
	l->prev = l;
}

static inline bool rl_empty(const struct rm_list *l)
{
	return l->next == l;
}

static inline void rl_add(struct rm_list *n, struct rm_list *head)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

static inline void rl_add_tail(struct rm_list *n, struct rm_list *head)
{
	rl_add(n, head->prev);
}

static inline void rl_del(struct rm_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

/* --- pages --- */

static inline struct rm_list *pfn_node(struct rm_zone *z, u64 pfn)
{
	return rm_block_pfn_to_virt(z->blk, pfn);
}

static inline u64 node_pfn(struct rm_zone *z, struct rm_list *n)
{
	return z->blk->base_pfn +
	       (((char *)n - (char *)z->blk->vaddr) >> PAGE_SHIFT);
}

static inline u16 *pstate(struct rm_zone *z, u64 pfn)
{
	return &z->blk->state[pfn - z->blk->base_pfn];
}

static inline unsigned int pb_mt(struct rm_zone *z, u64 pfn)
{
	return z->blk->pb_mt[rm_block_pb(z->blk, pfn)];
}

static inline void set_pb_mt(struct rm_zone *z, u64 pfn, unsigned int mt)
{
	z->blk->pb_mt[rm_block_pb(z->blk, pfn)] = mt;
}

/*
 * Set s[1..nr) to @tail: four at a time once 8-byte aligned (the state
 * array starts 8-byte aligned), so an order-9 block costs about 128 stores.
 */
static void fill_tails(u16 *s, u64 nr, u16 tail)
{
	u64 four = tail * 0x0001000100010001ULL, i = 1;

	for (; i < nr && ((unsigned long)(s + i) & 7); i++)
		s[i] = tail;
	for (; i + 4 <= nr; i += 4)
		*(u64 *)(s + i) = four;
	for (; i < nr; i++)
		s[i] = tail;
}

/*
 * Set every page of [pfn, pfn + 2^order) to @kind, the head with @order,
 * each marked movable when @movable.  Inline, and a single store for the
 * order-0 fast path.
 */
static inline void set_block_state(struct rm_zone *z, u64 pfn,
				   unsigned int order, unsigned int kind,
				   bool movable)
{
	u16 *s = pstate(z, pfn);

	s[0] = rm_ps_mark_movable(rm_ps_make(kind, order, 0, true), movable);
	if (order)
		fill_tails(s, 1ULL << order,
			   rm_ps_mark_movable(rm_ps_make(kind, 0, 0, false),
					      movable));
}

/* State 0 (free, not a head) for every page of [pfn, pfn + 2^order). */
static inline void clear_block_state(struct rm_zone *z, u64 pfn,
				     unsigned int order)
{
	memset(pstate(z, pfn), 0, sizeof(u16) << order);
}

/* --- free lists (zone lock held) --- */

static void add_free(struct rm_zone *z, u64 pfn, unsigned int order,
		     unsigned int mt)
{
	struct rm_free_area *a = &z->area[order];

	*pstate(z, pfn) = rm_ps_make(RM_PK_FREE, order, mt, true);
	rl_add(pfn_node(z, pfn), &a->list[mt]);
	a->nr_free[mt]++;
	z->free_pages += 1ULL << order;
	if (mt == RM_MT_CMA)
		z->free_cma += 1ULL << order;
}

static void del_free(struct rm_zone *z, u64 pfn, unsigned int order,
		     unsigned int mt)
{
	struct rm_free_area *a = &z->area[order];

	rl_del(pfn_node(z, pfn));
	*pstate(z, pfn) = 0;
	a->nr_free[mt]--;
	z->free_pages -= 1ULL << order;
	if (mt == RM_MT_CMA)
		z->free_cma -= 1ULL << order;
}

static bool mergeable(unsigned int mt)
{
	return mt < RM_MT_PCPTYPES;
}

/*
 * Put [pfn, pfn + 2^order), whose pages all have state 0, into the free
 * lists, merging with free buddies.
 */
static void free_one(struct rm_zone *z, u64 pfn, unsigned int order,
		     unsigned int mt)
{
	u64 base = z->blk->base_pfn, end = base + z->blk->nr_pages, buddy;
	u16 want, bs;

	while (order < z->max_order) {
		buddy = pfn ^ (1ULL << order);
		if (buddy < base || buddy + (1ULL << order) > end)
			break;
		bs = *pstate(z, buddy);
		want = rm_ps_make(RM_PK_FREE, order, 0, true);
		if (rm_ps_without_mt(bs) != want)
			break;
		if (order >= RM_PAGEBLOCK_ORDER) {
			unsigned int bmt = pb_mt(z, buddy);

			if (bmt != mt && (!mergeable(mt) || !mergeable(bmt)))
				break;
		}
		del_free(z, buddy, order, rm_ps_mt(bs));
		pfn &= buddy;
		order++;
	}
	add_free(z, pfn, order, mt);
}

/* Split the free block of order @high at @pfn down to @low. */
static void expand(struct rm_zone *z, u64 pfn, unsigned int low,
		   unsigned int high, unsigned int mt)
{
	while (high > low) {
		high--;
		add_free(z, pfn + (1ULL << high), high, mt);
	}
}

static u64 rmqueue_smallest(struct rm_zone *z, unsigned int order,
			    unsigned int mt)
{
	struct rm_list *head;
	unsigned int o;
	u64 pfn;

	for (o = order; o <= z->max_order; o++) {
		head = &z->area[o].list[mt];
		if (rl_empty(head))
			continue;
		pfn = node_pfn(z, head->next);
		del_free(z, pfn, o, mt);
		expand(z, pfn, order, o, mt);
		return pfn;
	}
	return RM_NO_PFN;
}

/* The pages of @pfn's pageblock that lie in the zone: [*start, *end). */
static void pageblock_span(struct rm_zone *z, u64 pfn, u64 *start, u64 *end)
{
	*start = max(pfn & ~(RM_PAGEBLOCK_NR - 1), z->blk->base_pfn);
	*end = min((pfn | (RM_PAGEBLOCK_NR - 1)) + 1,
		   z->blk->base_pfn + z->blk->nr_pages);
}

/* Free pages in the pageblock of @pfn (free heads, by their order). */
static u64 pageblock_free_pages(struct rm_zone *z, u64 pfn)
{
	u64 p, end, n = 0;
	u16 s;

	pageblock_span(z, pfn, &p, &end);
	while (p < end) {
		s = *pstate(z, p);
		if (rm_ps_is_free_head(s)) {
			n += 1ULL << rm_ps_order(s);
			p += 1ULL << rm_ps_order(s);
		} else {
			p++;
		}
	}
	return n;
}

/* Change the pageblock of @pfn to @mt and move its free blocks over. */
static void claim_pageblock(struct rm_zone *z, u64 pfn, unsigned int mt)
{
	unsigned int o;
	u64 p, end;
	u16 s;

	pageblock_span(z, pfn, &p, &end);
	set_pb_mt(z, pfn, mt);
	while (p < end) {
		s = *pstate(z, p);
		if (!rm_ps_is_free_head(s)) {
			p++;
			continue;
		}
		o = rm_ps_order(s);
		if (rm_ps_mt(s) != mt) {
			del_free(z, p, o, rm_ps_mt(s));
			add_free(z, p, o, mt);
		}
		p += 1ULL << o;
	}
	rm_stat_inc(z->stolen);
}

static u64 rmqueue_fallback(struct rm_zone *z, unsigned int order,
			    unsigned int mt)
{
	unsigned int from = mt == RM_MT_UNMOVABLE ? RM_MT_MOVABLE :
						   RM_MT_UNMOVABLE;
	unsigned int o, use = from;
	struct rm_list *head = NULL;
	u64 pfn, p;

	/* the largest block: mix types in as few pageblocks as possible */
	for (o = z->max_order + 1; o-- > order;) {
		head = &z->area[o].list[from];
		if (!rl_empty(head))
			break;
		head = NULL;
	}
	if (!head)
		return RM_NO_PFN;
	pfn = node_pfn(z, head->next);
	if (o >= RM_PAGEBLOCK_ORDER) {
		for (p = pfn; p < pfn + (1ULL << o); p += RM_PAGEBLOCK_NR)
			set_pb_mt(z, p, mt);
		rm_stat_add(z->stolen, 1ULL << (o - RM_PAGEBLOCK_ORDER));
		use = mt;
	} else if ((mt == RM_MT_UNMOVABLE ||
		    o >= RM_PAGEBLOCK_ORDER / 2) &&
		   pageblock_free_pages(z, pfn) >= RM_PAGEBLOCK_NR / 2) {
		claim_pageblock(z, pfn, mt);
		from = mt;
		use = mt;
	}
	del_free(z, pfn, o, from);
	expand(z, pfn, order, o, use);
	return pfn;
}

static u64 rmqueue(struct rm_zone *z, unsigned int order, unsigned int mt)
{
	u64 pfn = RM_NO_PFN;

	if (mt == RM_MT_MOVABLE && z->free_cma > z->free_pages / 2)
		pfn = rmqueue_smallest(z, order, RM_MT_CMA);
	if (pfn == RM_NO_PFN)
		pfn = rmqueue_smallest(z, order, mt);
	if (pfn == RM_NO_PFN && mt == RM_MT_MOVABLE)
		pfn = rmqueue_smallest(z, order, RM_MT_CMA);
	if (pfn == RM_NO_PFN)
		pfn = rmqueue_fallback(z, order, mt);
	return pfn;
}

/* --- ranges of pages, for memarea (zone lock held) --- */

/* The head of the free block holding free page @pfn, or RM_NO_PFN. */
static u64 free_head_of(struct rm_zone *z, u64 pfn)
{
	unsigned int o;
	u64 h;
	u16 s;

	for (o = 0; o <= z->max_order; o++) {
		h = pfn & ~((1ULL << o) - 1);
		if (h < z->blk->base_pfn)
			break;
		s = *pstate(z, h);
		if (rm_ps_is_free_head(s) &&
		    h + (1ULL << rm_ps_order(s)) > pfn)
			return h;
	}
	return RM_NO_PFN;
}

/* Free [pfn, end) as the largest aligned blocks, merging with buddies. */
static void free_span(struct rm_zone *z, u64 pfn, u64 end, int mt)
{
	unsigned int o;

	while (pfn < end) {
		o = min_t(unsigned int, z->max_order, ilog2(end - pfn));
		if (pfn)
			o = min_t(unsigned int, o, __builtin_ctzll(pfn));
		/*
		 * Typed by their pageblocks: no piece crosses one, and
		 * free_one() merges them back where the types allow.
		 */
		if (mt < 0)
			o = min_t(unsigned int, o, RM_PAGEBLOCK_ORDER);
		free_one(z, pfn, o, mt < 0 ? pb_mt(z, pfn) : mt);
		pfn += 1ULL << o;
	}
}

/**
 * rm_zone_set_mt - give whole pageblocks a migratetype
 * @z: the zone, locked
 * @start: first pfn, pageblock aligned, in the zone
 * @end: pfn after the last, pageblock aligned or the zone's end
 * @mt: the new migratetype (RM_MT_CMA, RM_MT_ISOLATE, or back)
 *
 * Free blocks in the range move to @mt's lists; a free block that sticks
 * out of the range is split at its edge, each side on its own type's list.
 * Allocated pages keep their state: frees of them later land on @mt's
 * lists.  This is the kernel's set_pageblock_migratetype() plus
 * move_freepages_block().  Pages not in a free list are skipped a bitmap
 * word at a time; the work grows with the range and with the free blocks
 * in it, so callers with large ranges use rm_zone_retype().
 *
 * Context: the zone lock held.
 */
void rm_zone_set_mt(struct rm_zone *z, u64 start, u64 end, unsigned int mt)
{
	u64 base = z->blk->base_pfn, blk_end = base + z->blk->nr_pages;
	u64 p, h, bend;
	unsigned int o;
	u16 s;

	for (p = start; p < end; p = (p | (RM_PAGEBLOCK_NR - 1)) + 1) {
		bool was = pb_mt(z, p) >= RM_MT_CMA, is = mt >= RM_MT_CMA;

		z->blk->special_pb += (u64)is - (u64)was;
		set_pb_mt(z, p, mt);
	}
	/* the free block holding @start may begin before it */
	p = start;
	h = free_head_of(z, start);
	if (h != RM_NO_PFN)
		p = h;
	end = min(end, blk_end);
	while (p < end) {
		s = *pstate(z, p);
		if (!rm_ps_is_free_head(s)) {
			/*
			 * Not in a free list: the next free page heads a
			 * free block, a word of the bitmap at a time.  A
			 * free page that heads nothing was merged into the
			 * block before it: skip that block.
			 */
			if (rm_bitmap_test(z->blk->bitmap, p - base)) {
				p = base + rm_bitmap_next_zero(z->blk->bitmap,
							       end - base,
							       p - base);
				continue;
			}
			h = free_head_of(z, p);
			p = h == RM_NO_PFN ? p + 1 :
			    h + (1ULL << rm_ps_order(*pstate(z, h)));
			continue;
		}
		o = rm_ps_order(s);
		bend = p + (1ULL << o);
		del_free(z, p, o, rm_ps_mt(s));
		free_span(z, p, bend, -1);
		p = bend;
	}
}

/**
 * rm_zone_retype - rm_zone_set_mt() a few pageblocks per hold of the lock
 * @z: the zone, not locked
 * @start: first pfn, pageblock aligned, in the zone
 * @end: pfn after the last, pageblock aligned or the zone's end
 * @mt: the new migratetype
 *
 * Takes the zone lock for RM_SET_MT_PAGEBLOCKS pageblocks at a time (4096
 * pages: at most 2048 free blocks and 64 bitmap words per hold).  Between
 * two holds the range is partly of the old type, partly of @mt, and the
 * buddy goes on allocating and freeing in both parts.
 *
 * Context: any context that may take a spinlock.
 */
void rm_zone_retype(struct rm_zone *z, u64 start, u64 end, unsigned int mt)
{
	unsigned long flags;
	u64 next;

	while (start < end) {
		next = min((start & ~(RM_PAGEBLOCK_NR - 1)) +
			   RM_SET_MT_PAGEBLOCKS * RM_PAGEBLOCK_NR, end);
		rm_spin_lock_irqsave(&z->lock, flags);
		rm_zone_set_mt(z, start, next, mt);
		rm_spin_unlock_irqrestore(&z->lock, flags);
		start = next;
	}
}

/**
 * rm_zone_carve - take free pages [@pfn, @pfn + @nr) out of the free lists
 * @z: the zone, locked
 * @pfn: first page; every page of the range must be free
 * @nr: pages
 * @kind: enum rm_page_kind the pages get; the first is marked RM_PS_HEAD
 *
 * Free blocks that stick out of the range are split; what sticks out goes
 * back to its list.
 *
 * Return: 0, or -EINVAL (with a warning) when a page of the range is not
 * free, and then nothing changed.
 */
int rm_zone_carve(struct rm_zone *z, u64 pfn, u64 nr, unsigned int kind)
{
	u64 end = pfn + nr, p, h, bend;
	unsigned int o, mt;
	u16 s;

	h = free_head_of(z, pfn);
	if (WARN_ON_ONCE(h == RM_NO_PFN))
		return -EINVAL;
	/* check it all before changing anything */
	for (p = h; p < end; p += 1ULL << rm_ps_order(s)) {
		s = *pstate(z, p);
		if (WARN_ON_ONCE(!rm_ps_is_head(s) ||
				 rm_ps_kind(s) != RM_PK_FREE))
			return -EINVAL;
	}
	for (p = h; p < end; p = bend) {
		s = *pstate(z, p);
		o = rm_ps_order(s);
		mt = rm_ps_mt(s);
		bend = p + (1ULL << o);
		del_free(z, p, o, mt);
		free_span(z, p, max(p, pfn), mt);
		free_span(z, min(bend, end), bend, mt);
	}
	set_block_state(z, pfn, 0, kind, false);
	for (p = pfn + 1; p < end; p++)
		*pstate(z, p) = rm_ps_make(kind, 0, 0, false);
	rm_block_mark_used(z->blk, pfn, nr);
	return 0;
}

/**
 * rm_zone_release - give pages taken by rm_zone_carve() back
 * @z: the zone, locked
 * @pfn: first page
 * @nr: pages
 *
 * The pages go back as the largest aligned blocks and merge with their
 * free buddies, each on the list of its pageblock's type.
 */
void rm_zone_release(struct rm_zone *z, u64 pfn, u64 nr)
{
	memset(pstate(z, pfn), 0, nr * sizeof(u16));
	rm_block_mark_free(z->blk, pfn, nr);
	free_span(z, pfn, pfn + nr, -1);
	rm_stat_inc(z->nr_free);
}

/**
 * rm_zone_set_kind - change the owner of pages rm_zone_carve() took
 * @z: the zone, locked
 * @pfn: first page
 * @nr: pages
 * @kind: the new enum rm_page_kind, not RM_PK_FREE or RM_PK_PCP
 *
 * Only the kind changes (a lent CMA region's pages pass between the
 * system and its buffers); heads and orders stay.  Pages that are free
 * are left alone, with a warning.
 *
 * Context: zone lock held.
 */
void rm_zone_set_kind(struct rm_zone *z, u64 pfn, u64 nr, unsigned int kind)
{
	u64 p;
	u16 *s;

	if (WARN_ON_ONCE(kind <= RM_PK_PCP || kind >= RM_PK_NR))
		return;
	for (p = pfn; p < pfn + nr; p++) {
		s = pstate(z, p);
		if (WARN_ON_ONCE(rm_ps_kind(*s) == RM_PK_FREE ||
				 rm_ps_kind(*s) == RM_PK_PCP))
			continue;
		*s = (*s & ~RM_PS_KIND) | (kind << RM_PS_KIND_SHIFT);
	}
}

/* --- per-CPU caches --- */

/*
 * Give at least @pages pages of @pcp back to the zone (or all it has),
 * taking the oldest block of each list in turn.
 */
static void pcp_spill(struct rm_zone *z, struct rm_pcp *pcp, u64 pages)
{
	unsigned int o, mt;
	struct rm_list *l;
	u64 pfn, freed = 0;

	rm_spin_lock(&z->lock);
	while (freed < pages && pcp->count) {
		for (o = 0; o <= RM_PCP_MAX_ORDER; o++) {
			for (mt = 0; mt < RM_MT_PCPTYPES; mt++) {
				l = &pcp->list[o][mt];
				if (rl_empty(l))
					continue;
				pfn = node_pfn(z, l->prev);
				rl_del(l->prev);
				pcp->count -= 1U << o;
				freed += 1ULL << o;
				clear_block_state(z, pfn, o);
				rm_block_mark_free(z->blk, pfn, 1ULL << o);
				free_one(z, pfn, o, pb_mt(z, pfn));
			}
		}
	}
	rm_spin_unlock(&z->lock);
}

static u64 pcp_alloc(struct rm_zone *z, unsigned int order, unsigned int mt)
{
	struct rm_list *l;
	struct rm_pcp *pcp;
	unsigned long flags;
	unsigned int i, n;
	u64 pfn;

	rm_local_irq_save(flags);
	pcp = rm_this_cpu_ptr(z->pcp);
	rm_spin_lock(&pcp->lock);
	l = &pcp->list[order][mt];
	if (rl_empty(l)) {
		n = max(pcp->batch >> order, 1U);
		rm_spin_lock(&z->lock);
		for (i = 0; i < n; i++) {
			pfn = rmqueue(z, order, mt);
			if (pfn == RM_NO_PFN)
				break;
			set_block_state(z, pfn, order, RM_PK_PCP, false);
			rm_block_mark_used(z->blk, pfn, 1ULL << order);
			rl_add_tail(pfn_node(z, pfn), l);
			pcp->count += 1U << order;
		}
		rm_spin_unlock(&z->lock);
		rm_stat_inc(pcp->refills);
		if (rl_empty(l)) {
			rm_spin_unlock(&pcp->lock);
			rm_local_irq_restore(flags);
			return RM_NO_PFN;
		}
	} else {
		rm_stat_inc(pcp->hits);
	}
	pfn = node_pfn(z, l->next);
	rl_del(l->next);
	pcp->count -= 1U << order;
	rm_stat_inc(pcp->allocs);
	rm_spin_unlock(&pcp->lock);
	rm_local_irq_restore(flags);
	return pfn;
}

/*
 * Cache a freed block, unless its pageblock is isolated: then return false
 * and cache nothing.  The type is read under the pcp lock: isolation sets
 * it under the zone lock and then takes every pcp lock to drain, so either
 * that drain comes after us and sends the block on, or we see ISOLATE.
 */
static bool pcp_free(struct rm_zone *z, u64 pfn, unsigned int order)
{
	struct rm_pcp *pcp;
	unsigned long flags;
	unsigned int mt;

	rm_local_irq_save(flags);
	pcp = rm_this_cpu_ptr(z->pcp);
	rm_spin_lock(&pcp->lock);
	mt = READ_ONCE(z->blk->pb_mt[rm_block_pb(z->blk, pfn)]);
	if (mt == RM_MT_ISOLATE) {
		rm_spin_unlock(&pcp->lock);
		rm_local_irq_restore(flags);
		return false;
	}
	/* CMA pages wait on the movable list, as in the kernel */
	if (mt == RM_MT_CMA)
		mt = RM_MT_MOVABLE;
	set_block_state(z, pfn, order, RM_PK_PCP, false);
	rl_add(pfn_node(z, pfn), &pcp->list[order][mt]);
	pcp->count += 1U << order;
	rm_stat_inc(pcp->frees);
	if (pcp->count > pcp->high) {
		rm_stat_inc(pcp->spills);
		pcp_spill(z, pcp, max(pcp->batch, pcp->count - pcp->high));
	}
	rm_spin_unlock(&pcp->lock);
	rm_local_irq_restore(flags);
	return true;
}

static void pcp_drain(struct rm_zone *z, int cpu)
{
	struct rm_pcp *pcp = rm_per_cpu_ptr(z->pcp, cpu);
	unsigned long flags;

	rm_spin_lock_irqsave(&pcp->lock, flags);
	rm_stat_inc(pcp->drain_locks);
	if (pcp->count) {
		pcp_spill(z, pcp, pcp->count);
		rm_stat_inc(pcp->drains);
	}
	rm_spin_unlock_irqrestore(&pcp->lock, flags);
}

/*
 * Before an allocation fails: drain the caches that hold pages, as the
 * kernel's drain_all_pages() drains only the CPUs its has_pcps test picks.
 * The counts are read without the locks: a cache that another CPU fills
 * meanwhile is missed, as it would be if the free came after the drain.
 * Only here: rm_buddy_drain() takes every lock, for isolation (which needs
 * every pcp_free() that read the old pageblock type to be over).  Return:
 * whether it drained one.
 */
static bool drain_for_alloc(struct rm_buddy *b)
{
	bool any = false;
	unsigned int i;
	int cpu;

	for (i = 0; i < b->nr_zones; i++) {
		rm_for_each_cpu(cpu) {
			if (!READ_ONCE(rm_per_cpu_ptr(b->zone[i].pcp,
						      cpu)->count))
				continue;
			pcp_drain(&b->zone[i], cpu);
			any = true;
		}
	}
	return any;
}

/* --- zones --- */

static u64 zone_alloc(struct rm_zone *z, unsigned int order, unsigned int mt)
{
	unsigned long flags;
	u64 pfn;

	if (order <= RM_PCP_MAX_ORDER && mt < RM_MT_PCPTYPES)
		return pcp_alloc(z, order, mt);
	rm_spin_lock_irqsave(&z->lock, flags);
	pfn = rmqueue(z, order, mt);
	if (pfn != RM_NO_PFN) {
		rm_block_mark_used(z->blk, pfn, 1ULL << order);
		rm_stat_inc(z->nr_alloc);
	}
	rm_spin_unlock_irqrestore(&z->lock, flags);
	return pfn;
}

static void zone_init(struct rm_zone *z, struct rm_block *blk,
		      unsigned int max_order)
{
	u64 pfn = blk->base_pfn + blk->meta_pages;
	u64 end = blk->base_pfn + blk->nr_pages, p;
	unsigned int o, mt, cpu;
	u32 batch;

	rm_spin_lock_init(&z->lock);
	z->blk = blk;
	z->max_order = min_t(unsigned int, max_order, ilog2(blk->nr_pages));
	for (o = 0; o <= RM_MAX_ORDER_LIMIT; o++)
		for (mt = 0; mt < RM_MT_TYPES; mt++)
			rl_init(&z->area[o].list[mt]);
	for (p = blk->base_pfn; p < end; p += RM_PAGEBLOCK_NR)
		set_pb_mt(z, p, RM_MT_MOVABLE);
	set_pb_mt(z, end - 1, RM_MT_MOVABLE);

	/* the largest aligned blocks that fit, as memblock hands pages over */
	free_span(z, pfn, end, RM_MT_MOVABLE);

	batch = clamp_t(u64, blk->nr_pages / 1024, 1, RM_PCP_BATCH_MAX);
	rm_for_each_cpu(cpu) {
		struct rm_pcp *pcp = rm_per_cpu_ptr(z->pcp, cpu);

		rm_spin_lock_init(&pcp->lock);
		pcp->batch = batch;
		pcp->high = 6 * batch;
		for (o = 0; o <= RM_PCP_MAX_ORDER; o++)
			for (mt = 0; mt < RM_MT_PCPTYPES; mt++)
				rl_init(&pcp->list[o][mt]);
	}
}

/* Zones ordered for node @nid: its own first, then by distance. */
static unsigned int build_zonelist(struct rm_buddy *b, int nid, u8 *zl)
{
	unsigned int i, j, n = b->nr_zones, local = 0;
	int di, dj;
	u8 t;

	for (i = 0; i < n; i++)
		zl[i] = i;
	/* insertion sort: stable, so address order within a distance */
	for (i = 1; i < n; i++) {
		for (j = i; j > 0; j--) {
			di = rm_node_distance(nid, b->zone[zl[j]].blk->nid);
			dj = rm_node_distance(nid, b->zone[zl[j - 1]].blk->nid);
			if (dj <= di)
				break;
			t = zl[j];
			zl[j] = zl[j - 1];
			zl[j - 1] = t;
		}
	}
	while (local < n && b->zone[zl[local]].blk->nid == nid)
		local++;
	return local;
}

/**
 * rm_buddy_order_limit - the largest max_order the region allows
 * @rg: the region, with blocks registered
 *
 * Return: log2 of the largest power of two that fits in a block, capped at
 * RM_MAX_ORDER_LIMIT.
 */
unsigned int rm_buddy_order_limit(const struct rm_region *rg)
{
	u64 most = 0;
	unsigned int i;

	for (i = 0; i < rg->nr_blocks; i++)
		most = max(most, rg->block[i].nr_pages);
	return most ? min_t(unsigned int, ilog2(most), RM_MAX_ORDER_LIMIT) :
		      0;
}

/**
 * rm_buddy_init - hand every free page of an enabled region to the buddy
 * @b: the allocator to set up
 * @rg: the region, enabled
 * @max_order: largest order to serve, at most rm_buddy_order_limit()
 *
 * Return: 0, -EINVAL for a region not enabled or a @max_order too large,
 * -ENOMEM when the zones or per-CPU caches cannot be allocated.
 */
int rm_buddy_init(struct rm_buddy *b, struct rm_region *rg,
		  unsigned int max_order)
{
	unsigned int i;
	int nid;

	memset(b, 0, sizeof(*b));
	if (!rg->enabled || !rg->nr_blocks ||
	    max_order > rm_buddy_order_limit(rg))
		return -EINVAL;
	b->rg = rg;
	b->max_order = max_order;
	b->nr_zones = rg->nr_blocks;
	b->zone = rm_zalloc(b->nr_zones * sizeof(*b->zone));
	if (!b->zone)
		return -ENOMEM;
	for (i = 0; i < b->nr_zones; i++) {
		b->zone[i].pcp = rm_alloc_percpu(struct rm_pcp);
		if (!b->zone[i].pcp) {
			rm_buddy_destroy(b);
			return -ENOMEM;
		}
		zone_init(&b->zone[i], &rg->block[i], max_order);
	}
	for (nid = 0; nid < RM_ZL_NODES; nid++)
		b->nr_local[nid] = build_zonelist(b, nid, b->zonelist[nid]);
	return 0;
}

/**
 * rm_buddy_destroy - free what rm_buddy_init() allocated
 * @b: the allocator; its memory must no longer be in use
 */
void rm_buddy_destroy(struct rm_buddy *b)
{
	unsigned int i;

	if (!b->zone)
		return;
	for (i = 0; i < b->nr_zones; i++)
		rm_free_percpu(b->zone[i].pcp);
	rm_free(b->zone);
	b->zone = NULL;
}

static u64 try_zones(struct rm_buddy *b, unsigned int order, int nid,
		     unsigned int flags, unsigned int mt, struct rm_zone **zp)
{
	bool strict = flags & RM_ALLOC_STRICT_NODE;
	u8 far[RM_MAX_BLOCKS];
	unsigned int i, n;
	const u8 *zl;
	u64 pfn;

	if (nid >= 0 && nid < RM_ZL_NODES) {
		zl = b->zonelist[nid];
		n = strict ? b->nr_local[nid] : b->nr_zones;
	} else {
		n = build_zonelist(b, nid, far);
		zl = far;
		if (!strict)
			n = b->nr_zones;
	}
	for (i = 0; i < n; i++) {
		struct rm_zone *z = &b->zone[zl[i]];

		if (order > z->max_order)
			continue;
		pfn = zone_alloc(z, order, mt);
		if (pfn != RM_NO_PFN) {
			*zp = z;
			return pfn;
		}
	}
	return RM_NO_PFN;
}

/**
 * rm_buddy_alloc - allocate 2^@order pages
 * @b: the allocator
 * @order: at most @b->max_order
 * @nid: preferred node; NUMA_NO_NODE for the current CPU's node
 * @flags: RM_ALLOC_MOVABLE, RM_ALLOC_STRICT_NODE (only @nid), RM_ALLOC_ZERO,
 *	   RM_ALLOC_MAY_SLEEP (zeroing may reschedule: rm_zero_pages())
 * @kind: the enum rm_page_kind the pages are marked with
 *
 * Context: any context that may take a spinlock; may sleep only with
 * RM_ALLOC_MAY_SLEEP.
 * Return: the first pfn, or RM_NO_PFN when no zone allowed has a free block
 * of @order even after every per-CPU cache that held pages was drained.
 */
u64 rm_buddy_alloc(struct rm_buddy *b, unsigned int order, int nid,
		   unsigned int flags, unsigned int kind)
{
	unsigned int mt = flags & RM_ALLOC_MOVABLE ? RM_MT_MOVABLE :
						     RM_MT_UNMOVABLE;
	struct rm_zone *z = NULL;
	unsigned long irq;
	u64 pfn;

	if (order > b->max_order || kind <= RM_PK_PCP || kind >= RM_PK_NR)
		return RM_NO_PFN;
	if (nid == NUMA_NO_NODE)
		nid = rm_numa_node_id();
	pfn = try_zones(b, order, nid, flags, mt, &z);
	if (pfn == RM_NO_PFN && drain_for_alloc(b))
		pfn = try_zones(b, order, nid, flags, mt, &z);
	if (pfn == RM_NO_PFN) {
		rm_spin_lock_irqsave(&b->zone[0].lock, irq);
		rm_stat_inc(b->failures);
		rm_spin_unlock_irqrestore(&b->zone[0].lock, irq);
		return pfn;
	}
	/*
	 * The block is ours now: its state needs no lock, since no one looks
	 * at a non-free page's state but its owner and lock-free readers
	 * (maps) that tolerate a torn view.
	 */
	set_block_state(z, pfn, order, kind, flags & RM_ALLOC_MOVABLE);
	if (flags & RM_ALLOC_ZERO)
		rm_zero_pages(rm_block_pfn_to_virt(z->blk, pfn), 1ULL << order,
			      flags);
	return pfn;
}

/*
 * Where a unit test plays another CPU: after rm_buddy_free() has checked
 * the block and before it takes a lock (selftests/unit/shim).  The module
 * has none.
 */
#ifndef rm_test_free_hook
#define rm_test_free_hook(pfn, order)	do { } while (0)
#endif

/**
 * rm_zero_pages - zero pages, giving the CPU away between pieces if allowed
 * @addr: kernel address of the first page
 * @nr: pages
 * @flags: with RM_ALLOC_MAY_SLEEP, cond_resched() after every RM_ZERO_STEP
 *	   pages (256 KiB); without it, one memset()
 *
 * The core is called from atomic contexts too (api.h): only the glue,
 * which knows its caller may sleep, sets RM_ALLOC_MAY_SLEEP.
 *
 * Context: any; may sleep only with RM_ALLOC_MAY_SLEEP.
 */
void rm_zero_pages(void *addr, u64 nr, unsigned int flags)
{
	u64 step = flags & RM_ALLOC_MAY_SLEEP ? RM_ZERO_STEP : nr, n;
	char *p = addr;

	while (nr) {
		n = min(nr, step);
		memset(p, 0, n << PAGE_SHIFT);
		p += n << PAGE_SHIFT;
		nr -= n;
		if (nr)
			rm_cond_resched();
	}
}

/* Kinds whose blocks come from rm_buddy_alloc() and go back through here. */
#define BUDDY_KINDS	(BIT(RM_PK_BUDDY) | BIT(RM_PK_VCOMPOUND) | BIT(RM_PK_XCF))

/**
 * rm_buddy_free - give back a block from rm_buddy_alloc()
 * @b: the allocator
 * @pfn: the first pfn, as returned
 * @order: the order it was allocated with
 *
 * A pfn that does not head a block of @order allocated from @b (never
 * allocated, freed twice, wrong order) is refused with a warning and
 * nothing changes.
 *
 * Context: any context that may take a spinlock.
 */
void rm_buddy_free(struct rm_buddy *b, u64 pfn, unsigned int order)
{
	struct rm_block *blk = rm_region_find(b->rg, pfn);
	struct rm_zone *z;
	unsigned long flags;
	unsigned int mt;
	u16 s;

	if (WARN_ON_ONCE(!blk || order > b->max_order ||
			 pfn & ((1ULL << order) - 1) ||
			 pfn + (1ULL << order) > blk->base_pfn + blk->nr_pages))
		return;
	z = &b->zone[blk - b->rg->block];
	s = *pstate(z, pfn);
	if (WARN_ON_ONCE(!rm_ps_is_head(s) || rm_ps_order(s) != order ||
			 !(BUDDY_KINDS & BIT(rm_ps_kind(s)))))
		return;

	rm_test_free_hook(pfn, order);
	if (order <= RM_PCP_MAX_ORDER && pcp_free(z, pfn, order))
		return;
	rm_spin_lock_irqsave(&z->lock, flags);
	/* under the lock: isolation may have changed it since (6.12 too) */
	mt = pb_mt(z, pfn);
	clear_block_state(z, pfn, order);
	rm_block_mark_free(blk, pfn, 1ULL << order);
	free_one(z, pfn, order, mt);
	rm_stat_inc(z->nr_free);
	rm_spin_unlock_irqrestore(&z->lock, flags);
}

/**
 * rm_buddy_drain - return every per-CPU cached page to its zone
 * @b: the allocator
 *
 * Context: any context that may take a spinlock.
 */
void rm_buddy_drain(struct rm_buddy *b)
{
	unsigned int i;
	int cpu;

	for (i = 0; i < b->nr_zones; i++)
		rm_for_each_cpu(cpu)
			pcp_drain(&b->zone[i], cpu);
}

/**
 * rm_buddy_stats - counters summed over all zones and CPUs
 * @b: the allocator
 * @st: filled in
 *
 * Each zone and cache is read under its lock; the sum is not one instant.
 */
void rm_buddy_stats(struct rm_buddy *b, struct rm_buddy_stats *st)
{
	unsigned long flags;
	unsigned int i;
	int cpu;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < b->nr_zones; i++) {
		struct rm_zone *z = &b->zone[i];

		rm_spin_lock_irqsave(&z->lock, flags);
		st->allocations += z->nr_alloc;
		st->pageblocks_stolen += z->stolen;
		st->free_pages += z->free_pages;
		if (!i)
			st->failures = b->failures;
		rm_spin_unlock_irqrestore(&z->lock, flags);
		st->frees += z->nr_free;
		rm_for_each_cpu(cpu) {
			struct rm_pcp *pcp = rm_per_cpu_ptr(z->pcp, cpu);

			rm_spin_lock_irqsave(&pcp->lock, flags);
			st->allocations += pcp->allocs;
			st->frees += pcp->frees;
			st->pcp_hits += pcp->hits;
			st->pcp_refills += pcp->refills;
			st->pcp_spills += pcp->spills;
			st->pcp_drains += pcp->drains;
			st->pcp_drain_locks += pcp->drain_locks;
			st->pcp_pages += pcp->count;
			rm_spin_unlock_irqrestore(&pcp->lock, flags);
		}
	}
}

/**
 * rm_zone_snapshot - free block counts and pageblock types of a zone
 * @z: the zone
 * @c: filled in, under the zone lock
 */
void rm_zone_snapshot(struct rm_zone *z, struct rm_zone_counts *c)
{
	u64 first = z->blk->base_pfn, last = first + z->blk->nr_pages - 1, p;
	unsigned long flags;
	unsigned int o, mt;

	memset(c, 0, sizeof(*c));
	rm_spin_lock_irqsave(&z->lock, flags);
	for (o = 0; o <= z->max_order; o++)
		for (mt = 0; mt < RM_MT_TYPES; mt++)
			c->nr_free[o][mt] = z->area[o].nr_free[mt];
	for (p = rm_block_pb(z->blk, first); p <= rm_block_pb(z->blk, last); p++)
		c->pageblocks[z->blk->pb_mt[p]]++;
	rm_spin_unlock_irqrestore(&z->lock, flags);
}
