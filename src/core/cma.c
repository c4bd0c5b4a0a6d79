// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: CMA regions
 *
 * CMA regions: memory kept for large contiguous buffers and lent, while
 * idle, to movable allocations.
 *
 * After the Contiguous Memory Allocator (Michal Nazarewicz, 2010) with Mel
 * Gorman's suggestion: a region's pageblocks carry the CMA migratetype, so
 * the buddy hands its free pages to movable allocations only (buddy.c
 * prefers them for movable requests when more than half of a zone's free
 * memory is CMA).  When a contiguous buffer is wanted, the pageblocks that
 * cover it are isolated (RM_MT_ISOLATE: nothing new is allocated there,
 * frees land on the isolate lists), every CPU's cache is drained, every
 * movable block in the way is migrated out by the caller's callback, and
 * the then-free pages are carved.  No data is lost: a block is only ever
 * freed by its owner's migration, after the copy.
 *
 * struct rm_cma fields:
 *
 *	name: shown in debugfs and by resmemctl
 *	b, z: the buddy allocator and the zone (block) the region lies in
 *	base_pfn, count: the region, whole pageblocks
 *	bitmap: one bit per page, set when rm_cma_alloc() handed it out;
 *		lent pages are not in it (they belong to the buddy's movable
 *		allocations)
 *	heads: one bit per page, set at the first page of each buffer, so
 *		that a release is of exactly one buffer (same allocation as
 *		bitmap, after it)
 *	was_mt: each pageblock's migratetype before the region was made, so
 *		that destroying it leaves the memory as it found it (same
 *		allocation, after heads)
 *	lock: protects bitmap, heads and st
 *	st: counters
 *
 * Allocation: the bitmap gives candidate positions (the first aligned run
 * of count clear bits at or after a starting index, first 0).  A position
 * fails when a block in it cannot move (pinned, unmovable, no destination)
 * or a page in it is still not free after the migrations; the walk then
 * resumes past the block that refused (or the last page still in use):
 * every position before that holds it too.  So it goes on to the end of
 * the region, as cma_alloc() does, but skips a pinned block in one step
 * where cma_alloc() steps by the alignment.  Each try starts strictly past
 * the one before: at most the region's pages / align tries.
 *
 * The table of regions (struct rm_cma_table, at the end of this file):
 * up to RM_CMA_MAX regions by id, the slot a new one takes, lookups by id,
 * name and pfn, and the mark of a region being destroyed; the glue
 * (src/cma.c) keeps the kernel half of each region beside it.
 *
 * Locking (the module's lock order: include/resmem/resmem.h): the zone lock for
 * every free-list change (isolation, carve, release), the region lock for the
 * bitmap.  Neither is held for work that grows with the region: pageblocks
 * change type RM_SET_MT_PAGEBLOCKS at a time (rm_zone_retype()), and walks over
 * the bitmap (rm_cma_usage(), rm_cma_destroy()) take the region lock
 * USAGE_WORDS words at a time.  So rm_cma_init() checks and converts a few
 * pageblocks per hold: a page allocated meanwhile in the part not yet converted
 * stays with its owner, as any allocated page does in rm_zone_set_mt().  The
 * migration callback runs with no resmem lock held, so it may sleep.  Callers
 * serialise rm_cma_alloc() and rm_cma_destroy() of one region (a mutex in the
 * glue): two allocations must not isolate the same pageblocks.  They serialise
 * the table's functions too, all but rm_cma_table_of_pfn().
 */
#include <resmem/core.h>

/* Bitmap words read per hold of the region lock by a walk over it all. */
#define USAGE_WORDS	64

static u64 pb_down(u64 pfn)
{
	return pfn & ~(RM_PAGEBLOCK_NR - 1);
}

static u64 pb_up(u64 pfn)
{
	return (pfn + RM_PAGEBLOCK_NR - 1) & ~(RM_PAGEBLOCK_NR - 1);
}

/* Are the pages of [pfn, pfn + count) free and in no region?  A hint. */
static bool place_ok(struct rm_block *blk, u64 pfn, u64 count)
{
	u64 i = pfn - blk->base_pfn, p;

	if (rm_bitmap_next_set(blk->bitmap, i + count, i) < i + count)
		return false;
	for (p = pfn; p < pfn + count; p += RM_PAGEBLOCK_NR)
		if (READ_ONCE(blk->pb_mt[rm_block_pb(blk, p)]) >= RM_MT_CMA)
			return false;
	return true;
}

/**
 * rm_cma_place - make a region of @count pages wherever it fits
 * @c: the region to set up
 * @b: the buddy allocator
 * @name: its name, as for rm_cma_init()
 * @count: pages, a multiple of a pageblock
 * @nid: the node that must hold it, or NUMA_NO_NODE for any
 * @near: with NUMA_NO_NODE, the node tried first (the caller's)
 *
 * The highest free pageblock-aligned run of @count pages in a block of
 * @nid (of @near first, then of the other nodes, for NUMA_NO_NODE), so the
 * low memory the buddy hands out first stays ordinary.  A run is judged
 * free from the bitmap and the pageblock types without the zone lock (a
 * hint); rm_cma_init() checks it under the lock, and a run taken meanwhile
 * (-EBUSY) only sends the search on to the next one.
 *
 * Context: may sleep (rm_cma_init() allocates the region's bitmaps).
 * Return: 0; -ENOMEM when no block of the node(s) has such a run, or the
 * bitmaps cannot be allocated; -EINVAL as rm_cma_init().
 */
int rm_cma_place(struct rm_cma *c, struct rm_buddy *b, const char *name,
		 u64 count, int nid, int near)
{
	return rm_cma_place_aligned(c, b, name, count, RM_PAGEBLOCK_NR, nid,
				    near);
}

/**
 * rm_cma_place_aligned - rm_cma_place() with the region's pfn aligned
 * @c: the region to set up
 * @b: the buddy allocator
 * @name: its name, as for rm_cma_init()
 * @count: pages, a multiple of @align
 * @align: the first pfn is a multiple of it: a power of two, at least a
 *	   pageblock (a memory block, for a region lent to the system)
 * @nid: the node that must hold it, or NUMA_NO_NODE for any
 * @near: with NUMA_NO_NODE, the node tried first
 *
 * Context: may sleep.
 * Return: as rm_cma_place(); -EINVAL for a bad @align or a @count that is
 * not a multiple of it.
 */
int rm_cma_place_aligned(struct rm_cma *c, struct rm_buddy *b,
			 const char *name, u64 count, u64 align, int nid,
			 int near)
{
	struct rm_region *rg = b->rg;
	int want = nid == NUMA_NO_NODE ? near : nid;
	unsigned int pass, i;
	u64 lo, pfn;
	int ret;

	if (align < RM_PAGEBLOCK_NR || align & (align - 1) || !count ||
	    count & (align - 1))
		return -EINVAL;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < rg->nr_blocks; i++) {
			struct rm_block *blk = &rg->block[i];
			bool local = blk->nid == want;

			if (pass ? local : !local)
				continue;
			lo = ALIGN(blk->base_pfn, align);
			pfn = (blk->base_pfn + blk->nr_pages) & ~(align - 1);
			for (; pfn >= lo + count; pfn -= align) {
				if (!place_ok(blk, pfn - count, count))
					continue;
				ret = rm_cma_init(c, b, name, pfn - count,
						  count);
				/* -EBUSY: taken since place_ok() looked */
				if (ret != -EBUSY)
					return ret;
			}
		}
		if (nid != NUMA_NO_NODE)
			break;
	}
	return -ENOMEM;
}

/**
 * rm_cma_init - make [@base_pfn, @base_pfn + @count) a CMA region
 * @c: the region to set up
 * @b: the buddy allocator
 * @name: a name, at most RM_CMA_NAME_LEN - 1 characters
 * @base_pfn: first pfn, pageblock aligned
 * @count: pages, a multiple of a pageblock
 *
 * Every page of the range must be free (per-CPU caches are drained first).
 *
 * Return: 0; -EINVAL for a misaligned or empty range, one outside a block
 * or a bad name; -EBUSY when a page is in use or a pageblock is already a
 * region's or isolated; -ENOMEM.
 */
int rm_cma_init(struct rm_cma *c, struct rm_buddy *b, const char *name,
		u64 base_pfn, u64 count)
{
	struct rm_block *blk = rm_region_find(b->rg, base_pfn);
	unsigned long flags;
	struct rm_zone *z;
	u64 p, q, end, idx;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	if (!name[0] || strlen(name) >= RM_CMA_NAME_LEN || !count ||
	    base_pfn & (RM_PAGEBLOCK_NR - 1) || count & (RM_PAGEBLOCK_NR - 1) ||
	    !blk || base_pfn + count > blk->base_pfn + blk->nr_pages)
		return -EINVAL;
	z = &b->zone[blk - b->rg->block];
	c->bitmap = rm_zalloc(2 * BITS_TO_LONGS(count) * sizeof(long) +
			      count / RM_PAGEBLOCK_NR);
	if (!c->bitmap)
		return -ENOMEM;
	c->heads = c->bitmap + BITS_TO_LONGS(count);
	c->was_mt = (u8 *)(c->heads + BITS_TO_LONGS(count));
	strcpy(c->name, name);
	c->b = b;
	c->z = z;
	c->base_pfn = base_pfn;
	c->count = count;
	rm_spin_lock_init(&c->lock);

	rm_buddy_drain(b);
	/* checked, then converted, a few pageblocks per hold of the lock */
	for (p = base_pfn; !ret && p < base_pfn + count; p = end) {
		end = min(p + RM_SET_MT_PAGEBLOCKS * RM_PAGEBLOCK_NR,
			  base_pfn + count);
		idx = p - blk->base_pfn;
		rm_spin_lock_irqsave(&z->lock, flags);
		if (rm_bitmap_next_set(blk->bitmap, idx + (end - p), idx) <
		    idx + (end - p))
			ret = -EBUSY;
		for (q = p; !ret && q < end; q += RM_PAGEBLOCK_NR) {
			c->was_mt[(q - base_pfn) / RM_PAGEBLOCK_NR] =
				blk->pb_mt[rm_block_pb(blk, q)];
			if (blk->pb_mt[rm_block_pb(blk, q)] >= RM_MT_CMA)
				ret = -EBUSY;
		}
		rm_spin_unlock_irqrestore(&z->lock, flags);
	}
	if (!ret)
		rm_zone_retype(z, base_pfn, base_pfn + count, RM_MT_CMA);
	if (ret) {
		rm_free(c->bitmap);
		c->bitmap = NULL;
	}
	return ret;
}

/* Give [pfn, end) back to the zone, one pageblock per hold of its lock. */
static void release_span(struct rm_cma *c, u64 pfn, u64 end)
{
	unsigned long flags;
	u64 e;

	for (; pfn < end; pfn = e) {
		e = min(pb_down(pfn) + RM_PAGEBLOCK_NR, end);
		rm_spin_lock_irqsave(&c->z->lock, flags);
		rm_zone_release(c->z, pfn, e - pfn);
		rm_spin_unlock_irqrestore(&c->z->lock, flags);
	}
}

/* Give [pfn, end) the kind @kind, one pageblock per hold of the zone lock. */
static void set_kind_span(struct rm_cma *c, u64 pfn, u64 end,
			  unsigned int kind)
{
	unsigned long flags;
	u64 e;

	for (; pfn < end; pfn = e) {
		e = min(pb_down(pfn) + RM_PAGEBLOCK_NR, end);
		rm_spin_lock_irqsave(&c->z->lock, flags);
		rm_zone_set_kind(c->z, pfn, e - pfn, kind);
		rm_spin_unlock_irqrestore(&c->z->lock, flags);
	}
}

static bool no_buffers(struct rm_cma *c)
{
	unsigned long flags;
	bool busy = false;
	u64 i, end;

	/* with allocations serialised, bits can only be cleared meanwhile */
	for (i = 0; !busy && i < c->count; i = end) {
		end = min(i + USAGE_WORDS * BITS_PER_LONG, c->count);
		rm_spin_lock_irqsave(&c->lock, flags);
		busy = rm_bitmap_next_set(c->bitmap, end, i) < end;
		rm_spin_unlock_irqrestore(&c->lock, flags);
	}
	return !busy;
}

/**
 * rm_cma_destroy - give a region's pageblocks back to ordinary use
 * @c: the region
 *
 * Pages lent to movable allocations stay with them; each pageblock gets
 * back the migratetype it had before rm_cma_init().
 *
 * Return: 0, or -EBUSY while the region has allocations or is lent to
 * the system.
 */
int rm_cma_destroy(struct rm_cma *c)
{
	u64 i;

	if (c->system || !no_buffers(c))
		return -EBUSY;
	rm_buddy_drain(c->b);
	/* each pageblock gets back the type it had: one lock hold each */
	for (i = 0; i < c->count; i += RM_PAGEBLOCK_NR)
		rm_zone_retype(c->z, c->base_pfn + i,
			       c->base_pfn + i + RM_PAGEBLOCK_NR,
			       c->was_mt[i / RM_PAGEBLOCK_NR]);
	rm_free(c->bitmap);
	c->bitmap = NULL;
	c->heads = NULL;
	c->was_mt = NULL;
	return 0;
}

/* Next candidate: aligned run of @count clear bits at or after @from. */
static u64 candidate(struct rm_cma *c, u64 from, u64 count, u64 align)
{
	unsigned long flags;
	u64 s, e, m = align - 1;

	rm_spin_lock_irqsave(&c->lock, flags);
	for (s = from; s + count <= c->count; s = e + 1) {
		s = rm_bitmap_next_zero(c->bitmap, c->count, s);
		/* align the pfn, not the index */
		s += (-(c->base_pfn + s)) & m;
		if (s + count > c->count)
			break;
		e = rm_bitmap_next_set(c->bitmap, s + count, s);
		if (e == s + count) {
			rm_spin_unlock_irqrestore(&c->lock, flags);
			return s;
		}
	}
	rm_spin_unlock_irqrestore(&c->lock, flags);
	return U64_MAX;
}

static void set_range_mt(struct rm_cma *c, u64 start, u64 end,
			 unsigned int mt)
{
	u64 blk_end = c->z->blk->base_pfn + c->z->blk->nr_pages;

	rm_zone_retype(c->z, pb_down(start), min(pb_up(end), blk_end), mt);
}

/*
 * Move every movable block overlapping [start, end) out.  Returns 0 when
 * nothing but free pages and movable blocks was found and each move
 * worked, else the first error, with *@stop set past the block that
 * refused.
 */
static int evacuate(struct rm_cma *c, u64 start, u64 end,
		    int (*migrate)(void *arg, u64 pfn, unsigned int order),
		    void *arg, u64 *moved, u64 *stop)
{
	struct rm_block *blk = c->z->blk;
	u64 p = pb_down(start), n;
	unsigned int o;
	int ret;
	u16 s;

	while (p < end) {
		s = READ_ONCE(blk->state[p - blk->base_pfn]);
		if (!rm_ps_is_head(s)) {
			p++;
			continue;
		}
		o = rm_ps_order(s);
		n = rm_ps_kind(s) == RM_PK_MEMAREA ||
		    rm_ps_kind(s) == RM_PK_CMA ? 1 : 1ULL << o;
		if (p + n <= start || rm_ps_kind(s) == RM_PK_FREE) {
			p += n;
			continue;
		}
		ret = -EBUSY;
		if (rm_ps_kind(s) == RM_PK_BUDDY && rm_ps_is_movable(s))
			ret = migrate(arg, p, o);
		if (ret) {
			*stop = p + n;
			return ret;
		}
		(*moved)++;
		p += n;
	}
	return 0;
}

/*
 * Are all pages of [start, end) free?  If not, *@stop is set past the last
 * one in use.  Zone locked.
 */
static bool all_free(struct rm_block *blk, u64 start, u64 end, u64 *stop)
{
	u64 i = start - blk->base_pfn, e = end - blk->base_pfn, used;

	used = rm_bitmap_next_set(blk->bitmap, e, i);
	if (used == e)
		return true;
	/* the end of each run of used pages, to the last */
	while (used < e) {
		i = rm_bitmap_next_zero(blk->bitmap, e, used);
		used = rm_bitmap_next_set(blk->bitmap, e, i);
	}
	*stop = blk->base_pfn + i;
	return false;
}

/*
 * One position's attempt: 0 when [pfn, pfn + count) is the caller's now,
 * else an error with *@stop past what refused (every position up to it
 * holds that too).  @ctx is the caller's.
 */
typedef int (*try_fn)(struct rm_cma *c, u64 pfn, u64 count, void *ctx,
		      u64 *stop);

/**
 * rm_cma_args_ok - are these a buffer's arguments for @c?
 * @c: the region
 * @count: pages
 * @align: the first pfn a multiple of it; 0 for 1
 *
 * What every allocation from @c checks first; callers ask before they
 * change anything for an allocation that would then fail on its
 * arguments (a lent region's kept pages go back before a walk).
 *
 * Context: any.
 * Return: true for a @count of 1 to the region's size and an @align that
 * is 0 or a power of two.
 */
bool rm_cma_args_ok(const struct rm_cma *c, u64 count, u64 align)
{
	return count && count <= c->count && !(align & (align - 1));
}

/*
 * The walk over candidate positions that rm_cma_alloc() and rm_cma_take()
 * share: each position free of other buffers, in order, skipping those
 * before the *stop of the last failure.
 */
static u64 alloc_walk(struct rm_cma *c, u64 count, u64 align, try_fn try,
		      void *ctx, int *err)
{
	u64 from = 0, s, pfn, stop;
	unsigned long flags;
	int ret = -ENOMEM;

	if (!rm_cma_args_ok(c, count, align)) {
		*err = -EINVAL;
		return RM_NO_PFN;
	}
	if (!align)
		align = 1;
	rm_spin_lock_irqsave(&c->lock, flags);
	rm_stat_inc(c->st.attempts);
	rm_spin_unlock_irqrestore(&c->lock, flags);

	/* from grows every time round: at most c->count / align tries */
	while ((s = candidate(c, from, count, align)) != U64_MAX) {
		pfn = c->base_pfn + s;
		stop = pfn + 1;
		ret = try(c, pfn, count, ctx, &stop);
		rm_spin_lock_irqsave(&c->lock, flags);
		if (!ret) {
			rm_bitmap_set(c->bitmap, s, count);
			rm_bitmap_set(c->heads, s, 1);
			rm_stat_inc(c->st.successes);
			c->st.used += count;
			rm_spin_unlock_irqrestore(&c->lock, flags);
			return pfn;
		}
		rm_stat_inc(c->st.migrate_failures);
		rm_stat_inc(c->st.retries);
		rm_spin_unlock_irqrestore(&c->lock, flags);
		if (ret == -EINTR)	/* a fatal signal: no more tries */
			break;
		from = max(s + 1, stop - c->base_pfn);
	}
	rm_spin_lock_irqsave(&c->lock, flags);
	rm_stat_inc(c->st.failures);
	rm_spin_unlock_irqrestore(&c->lock, flags);
	*err = ret == -EAGAIN ? -EBUSY : ret;
	return RM_NO_PFN;
}

struct migrate_ctx {
	int (*migrate)(void *arg, u64 pfn, unsigned int order);
	void *arg;
};

/* rm_cma_alloc()'s attempt: isolate, migrate what is in the way, carve. */
static int try_migrate(struct rm_cma *c, u64 pfn, u64 count, void *ctx,
		       u64 *stop)
{
	struct migrate_ctx *m = ctx;
	struct rm_block *blk = c->z->blk;
	unsigned long flags;
	unsigned int pass;
	u64 moved = 0;
	int ret;

	set_range_mt(c, pfn, pfn + count, RM_MT_ISOLATE);
	rm_buddy_drain(c->b);
	/* blocks freed while we migrate land isolated: go again */
	for (pass = 0, ret = -EAGAIN; pass < 3 && ret; pass++) {
		ret = evacuate(c, pfn, pfn + count, m->migrate, m->arg,
			       &moved, stop);
		if (ret && ret != -EAGAIN)
			break;
		rm_spin_lock_irqsave(&c->z->lock, flags);
		if (all_free(blk, pfn, pfn + count, stop))
			ret = rm_zone_carve(c->z, pfn, count, RM_PK_CMA);
		else
			ret = -EAGAIN;
		rm_spin_unlock_irqrestore(&c->z->lock, flags);
	}
	set_range_mt(c, pfn, pfn + count, RM_MT_CMA);
	rm_spin_lock_irqsave(&c->lock, flags);
	rm_stat_add(c->st.migrated, moved);
	rm_spin_unlock_irqrestore(&c->lock, flags);
	return ret;
}

/**
 * rm_cma_alloc - a contiguous buffer from a region, migrating lent pages
 * @c: the region, not lent to the system
 * @count: pages, 1 to the region's size
 * @align: the first pfn is a multiple of it; a power of two, 0 for 1
 * @migrate: moves the movable block at a pfn elsewhere and frees it (0),
 *	     or says why not (-EBUSY pinned, -ENOMEM no room, ...)
 * @arg: passed to @migrate
 * @err: set to the reason when it fails
 *
 * Every aligned position free of other buffers is tried, in order, up to
 * the end of the region, except those that hold a block that refused at
 * an earlier position: the buffer is at the first position whose blocks
 * all moved.
 *
 * Context: may sleep if @migrate does; callers serialise allocations of
 * one region.
 * Return: the first pfn, or RM_NO_PFN with *@err set: -EINVAL for bad
 * arguments or a region lent to the system, -ENOMEM when no position is
 * free of other CMA buffers, -EBUSY when every such position had a block
 * that would not move (or the error @migrate gave at the last position
 * tried).
 */
u64 rm_cma_alloc(struct rm_cma *c, u64 count, u64 align,
		 int (*migrate)(void *arg, u64 pfn, unsigned int order),
		 void *arg, int *err)
{
	struct migrate_ctx m = { .migrate = migrate, .arg = arg };

	if (c->system) {
		*err = -EINVAL;
		return RM_NO_PFN;
	}
	return alloc_walk(c, count, align, try_migrate, &m, err);
}

struct take_ctx {
	int (*take)(void *arg, u64 pfn, u64 count, u64 *stop);
	void *arg;
};

/* rm_cma_take()'s attempt: the caller takes the pages from the system. */
static int try_take(struct rm_cma *c, u64 pfn, u64 count, void *ctx,
		    u64 *stop)
{
	struct take_ctx *t = ctx;
	int ret;

	ret = t->take(t->arg, pfn, count, stop);
	if (ret)
		return ret;
	/* the pages are the buffer's now: 'C' in the map, not 'S' */
	set_kind_span(c, pfn, pfn + count, RM_PK_CMA);
	return 0;
}

/**
 * rm_cma_take - a contiguous buffer from a region lent to the system
 * @c: the region, lent (rm_cma_lend())
 * @count: pages, 1 to the region's size
 * @align: the first pfn is a multiple of it; a power of two, 0 for 1
 * @take: takes [pfn, pfn + count) back from the system (0), or fails
 *	  with *stop set past the last page still in use there, so that
 *	  the positions before it are not tried again
 * @arg: passed to @take
 * @err: set to the reason when it fails
 *
 * The positions are tried as rm_cma_alloc() tries them; pages holding the
 * system's struct pages (rm_cma_reserve()) are never in one.
 *
 * Context: may sleep if @take does; callers serialise allocations of one
 * region.
 * Return: the first pfn, or RM_NO_PFN with *@err set: -EINVAL for bad
 * arguments or a region not lent, -ENOMEM when no position is free of
 * other buffers, -EINTR as soon as @take gives it (a fatal signal), else
 * the error @take gave at the last position tried (-EBUSY for -EAGAIN).
 */
u64 rm_cma_take(struct rm_cma *c, u64 count, u64 align,
		int (*take)(void *arg, u64 pfn, u64 count, u64 *stop),
		void *arg, int *err)
{
	struct take_ctx t = { .take = take, .arg = arg };

	if (!c->system) {
		*err = -EINVAL;
		return RM_NO_PFN;
	}
	return alloc_walk(c, count, align, try_take, &t, err);
}

/*
 * Free the bitmaps of a lent region (rm_cma_lend()), gone under the region
 * lock first: a release of pages that are no buffer may be reading them
 * in is_buffer() (it finds no buffer, and warns).
 */
static void drop_lend_bitmaps(struct rm_cma *c)
{
	unsigned long flags, *bitmaps;

	rm_spin_lock_irqsave(&c->lock, flags);
	bitmaps = c->reserved;
	c->reserved = NULL;
	c->kept = NULL;
	c->releasing = NULL;
	rm_spin_unlock_irqrestore(&c->lock, flags);
	rm_free(bitmaps);
}

/**
 * rm_cma_lend - take every page of a region for the system
 * @c: the region, with no buffer
 *
 * The region's pages leave the buddy: they are carved as RM_PK_SYSTEM,
 * a pageblock per hold of the zone lock, with the region isolated
 * meanwhile so that no movable allocation lands in it.  The caller then
 * gives the memory to the kernel (memory hot-add) and takes buffers back
 * with rm_cma_take().  Nothing is migrated: a page lent to a movable
 * allocation of resmem's makes it fail, and the region is as before.
 *
 * Context: may sleep (drains the per-CPU caches); callers serialise it
 * with the region's allocations.
 * Return: 0; -EINVAL when already lent; -EBUSY when the region has a
 * buffer or a page of it is in use; -ENOMEM.
 */
int rm_cma_lend(struct rm_cma *c)
{
	u64 end = c->base_pfn + c->count, p, e = c->base_pfn, stop;
	unsigned long flags;
	int ret = 0;

	if (c->system)
		return -EINVAL;
	if (!no_buffers(c))
		return -EBUSY;
	c->reserved = rm_zalloc(3 * BITS_TO_LONGS(c->count) * sizeof(long));
	if (!c->reserved)
		return -ENOMEM;
	c->kept = c->reserved + BITS_TO_LONGS(c->count);
	c->releasing = c->kept + BITS_TO_LONGS(c->count);
	c->nr_kept = 0;
	c->nr_giving = 0;
	set_range_mt(c, c->base_pfn, end, RM_MT_ISOLATE);
	rm_buddy_drain(c->b);
	for (p = c->base_pfn; !ret && p < end; p = e) {
		e = p + RM_PAGEBLOCK_NR;
		rm_spin_lock_irqsave(&c->z->lock, flags);
		if (all_free(c->z->blk, p, e, &stop))
			ret = rm_zone_carve(c->z, p, e - p, RM_PK_SYSTEM);
		else
			ret = -EBUSY;
		rm_spin_unlock_irqrestore(&c->z->lock, flags);
		if (ret)
			e = p;
	}
	if (ret)
		release_span(c, c->base_pfn, e);
	set_range_mt(c, c->base_pfn, end, RM_MT_CMA);
	if (!ret)
		c->system = true;
	else
		drop_lend_bitmaps(c);
	return ret;
}

/**
 * rm_cma_unlend - give a lent region's pages back to the buddy
 * @c: the region, lent, with no buffer; the system gave its memory back
 *
 * The memmap reservations (rm_cma_reserve()) are dropped; the pages go
 * back to the CMA free lists, lent to resmem's movable allocations again.
 *
 * Context: any context that may take a spinlock; callers serialise it
 * with the region's allocations.
 * Return: 0; -EINVAL when not lent; -EBUSY while it has buffers or kept
 * pages (rm_cma_keep()), or pages on their way back to the system.
 */
int rm_cma_unlend(struct rm_cma *c)
{
	unsigned long flags;
	u64 i;

	if (!c->system)
		return -EINVAL;
	rm_spin_lock_irqsave(&c->lock, flags);
	if (c->st.used || c->nr_kept || c->nr_giving) {
		rm_spin_unlock_irqrestore(&c->lock, flags);
		return -EBUSY;
	}
	for (i = 0; i < BITS_TO_LONGS(c->count); i++) {
		c->bitmap[i] = 0;
		c->heads[i] = 0;
	}
	c->memmap = 0;
	c->system = false;
	rm_spin_unlock_irqrestore(&c->lock, flags);
	drop_lend_bitmaps(c);
	release_span(c, c->base_pfn, c->base_pfn + c->count);
	return 0;
}

/**
 * rm_cma_reserve - keep pages of a lent region out of every buffer
 * @c: the region, lent
 * @pfn: first page
 * @count: pages
 *
 * For the pages that hold the system's struct pages for the region
 * (memory_hotplug.memmap_on_memory): they are marked like a buffer of
 * their own, counted in @c->memmap and not in st.used, until
 * rm_cma_unlend().
 *
 * Context: any context that may take a spinlock.
 * Return: 0; -EINVAL when the region is not lent or the pages are not
 * inside it; -EBUSY when one is in a buffer already.
 */
int rm_cma_reserve(struct rm_cma *c, u64 pfn, u64 count)
{
	u64 s = pfn - c->base_pfn;
	unsigned long flags;
	int ret = 0;

	if (!c->system || pfn < c->base_pfn || !count || s + count > c->count)
		return -EINVAL;
	rm_spin_lock_irqsave(&c->lock, flags);
	if (rm_bitmap_next_set(c->bitmap, s + count, s) < s + count) {
		ret = -EBUSY;
	} else {
		rm_bitmap_set(c->bitmap, s, count);
		rm_bitmap_set(c->heads, s, 1);
		rm_bitmap_set(c->reserved, s, 1);
		c->memmap += count;
	}
	rm_spin_unlock_irqrestore(&c->lock, flags);
	return ret;
}

/*
 * Is [s, s + count) (indices) exactly one buffer?  It starts at s, has no
 * other start inside and ends at s + count; it is no memmap reservation,
 * no buffer whose release has begun (@releasing), and no kept pages
 * (rm_cma_keep()) or pages on their way back to the system, which look
 * like a buffer in @bitmap and @heads.  Pages on their way back have left
 * @kept (rm_cma_unkeep()) and change kind, from kept to the system's,
 * before rm_cma_unkept() clears them: only a taken buffer's first page is
 * of kind RM_PK_CMA, so that is what is asked, not "not kept".  Region
 * lock held.
 */
static bool is_buffer(struct rm_cma *c, u64 s, u64 count)
{
	struct rm_block *blk = c->z->blk;
	u16 st;

	if (!rm_bitmap_test(c->heads, s) ||
	    (c->reserved && rm_bitmap_test(c->reserved, s)) ||
	    rm_bitmap_next_set(c->heads, s + count, s + 1) != s + count ||
	    rm_bitmap_weight(c->bitmap, s, count) != count ||
	    (s + count < c->count && rm_bitmap_test(c->bitmap, s + count) &&
	     !rm_bitmap_test(c->heads, s + count)))
		return false;
	if (!c->kept)
		return true;
	st = READ_ONCE(blk->state[c->base_pfn + s - blk->base_pfn]);
	return !rm_bitmap_test(c->releasing, s) &&
	       rm_bitmap_next_set(c->kept, s + count, s) == s + count &&
	       rm_ps_kind(st) == RM_PK_CMA;
}

/*
 * The release of a lent region's buffer, in two holds of the region lock:
 * release_begin() checks that [s, s + count) is one buffer and marks it
 * @releasing, so that no other release of it passes the check; the caller
 * then sets the pages' kind, and release_end() publishes them (kept, or
 * the system's).  In that order, because a take or a give-back may come
 * the moment they are published, and sets the kind its own way: a kind
 * set after the publishing would overwrite it.
 */
static bool release_begin(struct rm_cma *c, u64 s, u64 count)
{
	unsigned long flags;
	bool ok;

	rm_spin_lock_irqsave(&c->lock, flags);
	ok = is_buffer(c, s, count);
	if (ok)
		rm_bitmap_set(c->releasing, s, 1);
	rm_spin_unlock_irqrestore(&c->lock, flags);
	return ok;
}

static void release_end(struct rm_cma *c, u64 s, u64 count, bool keep)
{
	unsigned long flags;

	rm_spin_lock_irqsave(&c->lock, flags);
	rm_bitmap_clear(c->releasing, s, 1);
	c->st.used -= count;
	if (keep) {
		rm_bitmap_set(c->kept, s, count);
		c->nr_kept += count;
		rm_stat_inc(c->st.keeps);
	} else {
		rm_bitmap_clear(c->bitmap, s, count);
		rm_bitmap_clear(c->heads, s, 1);
	}
	rm_spin_unlock_irqrestore(&c->lock, flags);
}

/**
 * rm_cma_give - give a buffer of a lent region back to the system
 * @c: the region, lent
 * @pfn: the buffer's first pfn
 * @count: its page count
 * @give: hands the pages to the system (the kernel's free_contig_range()),
 *        or NULL where there is no system to hand them to (the userspace
 *        build's tests)
 * @arg: passed to @give
 *
 * @give is called once the pages are checked to be exactly a buffer of @c,
 * and before the pages are the system's again in the region (RM_PK_SYSTEM,
 * walks may take them): a bad release hands nothing to the system, which
 * would otherwise free pages that are not the caller's, or free them twice.
 *
 * Context: any context that may take a spinlock, and that @give may run
 * in.
 * Return: 0, or -EINVAL (with a warning) when the pages are not exactly a
 * buffer of @c or @c is not lent; @give is then not called.
 */
int rm_cma_give(struct rm_cma *c, u64 pfn, u64 count,
		void (*give)(void *arg, u64 pfn, u64 count), void *arg)
{
	u64 s = pfn - c->base_pfn;

	if (WARN_ON_ONCE(!c->system || pfn < c->base_pfn || !count ||
			 s + count > c->count))
		return -EINVAL;
	if (WARN_ON_ONCE(!release_begin(c, s, count)))
		return -EINVAL;
	if (give)
		give(arg, pfn, count);
	set_kind_span(c, pfn, pfn + count, RM_PK_SYSTEM);
	release_end(c, s, count, false);
	return 0;
}

/**
 * rm_cma_release - give a buffer from rm_cma_alloc() back to the region
 * @c: the region
 * @pfn: its first pfn
 * @count: its page count
 *
 * The pages go back to the buddy as CMA memory: lending starts again.  A
 * lent region's buffer is rm_cma_give()n with no @give (the userspace
 * build's tests; the kernel gives it with free_contig_range()).
 *
 * Return: 0, or -EINVAL (with a warning) when the pages are not exactly a
 * buffer of this region.
 */
int rm_cma_release(struct rm_cma *c, u64 pfn, u64 count)
{
	u64 s = pfn - c->base_pfn;
	unsigned long flags;
	bool ok;

	if (c->system)
		return rm_cma_give(c, pfn, count, NULL, NULL);
	if (WARN_ON_ONCE(pfn < c->base_pfn || !count ||
			 s + count > c->count))
		return -EINVAL;
	rm_spin_lock_irqsave(&c->lock, flags);
	ok = is_buffer(c, s, count);
	if (ok) {
		rm_bitmap_clear(c->bitmap, s, count);
		rm_bitmap_clear(c->heads, s, 1);
		c->st.used -= count;
	}
	rm_spin_unlock_irqrestore(&c->lock, flags);
	if (WARN_ON_ONCE(!ok))
		return -EINVAL;
	rm_spin_lock_irqsave(&c->z->lock, flags);
	rm_zone_release(c->z, pfn, count);
	rm_spin_unlock_irqrestore(&c->z->lock, flags);
	return 0;
}

/**
 * rm_cma_keep - keep a released buffer of a lent region for the next take
 * @c: the region, lent
 * @pfn: the buffer's first pfn
 * @count: its page count
 *
 * Instead of going back to the system, the buffer's pages stay resmem's,
 * marked kept (RM_PK_KEPT, 'K' in the map), until rm_cma_take_kept()
 * makes a buffer of them again or rm_cma_unkeep() gives them back.  They
 * stay set in @bitmap, so walks pass them by, and the buffer's head
 * stays, so that a buffer before them still ends there.
 *
 * Context: any context that may take a spinlock.
 * Return: 0; -EINVAL (with a warning) when the pages are not exactly a
 * buffer of this region, or the region is not lent.
 */
int rm_cma_keep(struct rm_cma *c, u64 pfn, u64 count)
{
	u64 s = pfn - c->base_pfn;

	if (WARN_ON_ONCE(!c->system || pfn < c->base_pfn || !count ||
			 s + count > c->count))
		return -EINVAL;
	if (WARN_ON_ONCE(!release_begin(c, s, count)))
		return -EINVAL;
	set_kind_span(c, pfn, pfn + count, RM_PK_KEPT);
	release_end(c, s, count, true);
	return 0;
}

/**
 * rm_cma_take_kept - a buffer of kept pages, with no migration
 * @c: the region, lent
 * @count: pages, at least 1
 * @align: the first pfn is a multiple of it; a power of two, 0 for 1
 *
 * The first aligned run of @count kept pages (rm_cma_keep()) becomes a
 * buffer, as rm_cma_take() would have made it; kept pages after it stay
 * kept and get a head of their own.
 *
 * Context: any context that may take a spinlock; callers serialise it
 * with the region's other allocations.
 * Return: the first pfn, or RM_NO_PFN when no such run is kept (or the
 * arguments are bad, or the region is not lent).
 */
u64 rm_cma_take_kept(struct rm_cma *c, u64 count, u64 align)
{
	u64 s, e, m, from = 0;
	unsigned long flags;

	if (!c->system || !rm_cma_args_ok(c, count, align))
		return RM_NO_PFN;
	m = (align ?: 1) - 1;
	rm_spin_lock_irqsave(&c->lock, flags);
	/* from grows every time round, as in candidate() */
	for (s = U64_MAX; c->nr_kept >= count; from = e + 1) {
		s = rm_bitmap_next_set(c->kept, c->count, from);
		s += (-(c->base_pfn + s)) & m;
		if (s + count > c->count) {
			s = U64_MAX;
			break;
		}
		e = rm_bitmap_next_zero(c->kept, s + count, s);
		if (e == s + count)
			break;
		s = U64_MAX;
	}
	if (s != U64_MAX) {
		rm_bitmap_clear(c->kept, s, count);
		rm_bitmap_clear(c->heads, s, count);
		rm_bitmap_set(c->heads, s, 1);
		if (s + count < c->count && rm_bitmap_test(c->kept, s + count))
			rm_bitmap_set(c->heads, s + count, 1);
		c->nr_kept -= count;
		c->st.used += count;
		rm_stat_inc(c->st.attempts);
		rm_stat_inc(c->st.successes);
		rm_stat_inc(c->st.kept_takes);
	}
	rm_spin_unlock_irqrestore(&c->lock, flags);
	if (s == U64_MAX)
		return RM_NO_PFN;
	set_kind_span(c, c->base_pfn + s, c->base_pfn + s + count, RM_PK_CMA);
	return c->base_pfn + s;
}

/**
 * rm_cma_unkeep - take kept pages out, to give them back to the system
 * @c: the region
 * @max: at most this many pages
 * @pfn: set to the first
 *
 * The first run of kept pages, cut at @max, is no longer kept; its pages
 * stay in @bitmap (walks still pass them by) until the caller has given
 * them to the system and calls rm_cma_unkept() for exactly them.
 *
 * Context: any context that may take a spinlock.
 * Return: the pages taken out, 0 when none is kept (or the region is not
 * lent, or @max is 0).
 */
u64 rm_cma_unkeep(struct rm_cma *c, u64 max, u64 *pfn)
{
	unsigned long flags;
	u64 s, n = 0;

	if (!c->system || !max)
		return 0;
	rm_spin_lock_irqsave(&c->lock, flags);
	if (c->nr_kept) {
		s = rm_bitmap_next_set(c->kept, c->count, 0);
		/* not s + max, which wraps for the glue's U64_MAX */
		n = rm_bitmap_next_zero(c->kept, s + min(max, c->count - s),
					s) - s;
		rm_bitmap_clear(c->kept, s, n);
		/* what stays kept of the run starts with a head */
		if (s + n < c->count && rm_bitmap_test(c->kept, s + n))
			rm_bitmap_set(c->heads, s + n, 1);
		c->nr_kept -= n;
		c->nr_giving += n;
		*pfn = c->base_pfn + s;
	}
	rm_spin_unlock_irqrestore(&c->lock, flags);
	return n;
}

/**
 * rm_cma_unkept - kept pages are the system's again
 * @c: the region
 * @pfn: the first pfn rm_cma_unkeep() gave
 * @count: the pages it gave
 *
 * Context: any context that may take a spinlock.
 */
void rm_cma_unkept(struct rm_cma *c, u64 pfn, u64 count)
{
	u64 s = pfn - c->base_pfn;
	unsigned long flags;

	if (WARN_ON_ONCE(pfn < c->base_pfn || !count || s + count > c->count))
		return;
	set_kind_span(c, pfn, pfn + count, RM_PK_SYSTEM);
	rm_spin_lock_irqsave(&c->lock, flags);
	if (!WARN_ON_ONCE(c->nr_giving < count)) {
		rm_bitmap_clear(c->bitmap, s, count);
		rm_bitmap_clear(c->heads, s, count);
		c->nr_giving -= count;
		rm_stat_add(c->st.gave_back, count);
	}
	rm_spin_unlock_irqrestore(&c->lock, flags);
}

/**
 * rm_cma_usage - what a region holds now
 * @c: the region
 * @u: filled in: pages handed out, lent to movable allocations, free, and
 *     the longest run of pages not handed out (mm/cma_debug.c's maxchunk)
 *
 * Pages cached in per-CPU lists are free, not lent.  The region lock is
 * taken for USAGE_WORDS bitmap words at a time, and page states are read
 * without the zone lock: a moving picture.
 *
 * Context: any context that may take a spinlock.
 */
void rm_cma_usage(struct rm_cma *c, struct rm_cma_usage *u)
{
	struct rm_block *blk = c->z->blk;
	unsigned long flags;
	u64 i, e, end, run = 0;
	unsigned int kind;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < c->count;) {
		end = min(i + USAGE_WORDS * BITS_PER_LONG, c->count);
		rm_spin_lock_irqsave(&c->lock, flags);
		if (!i) {
			u->used = c->st.used;
			u->memmap = c->memmap;
		}
		while (i < end) {
			/* a run of pages not handed out, then handed out ones */
			e = rm_bitmap_next_set(c->bitmap, end, i);
			run += e - i;
			u->maxchunk = max(u->maxchunk, run);
			if (e == end) {
				i = end;
				break;
			}
			run = 0;
			i = rm_bitmap_next_zero(c->bitmap, end, e);
		}
		rm_spin_unlock_irqrestore(&c->lock, flags);
	}
	for (i = 0; i < c->count; i++) {
		kind = rm_ps_kind(READ_ONCE(blk->state[c->base_pfn -
						       blk->base_pfn + i]));
		if (kind == RM_PK_FREE || kind == RM_PK_PCP)
			u->free++;
		else if (kind == RM_PK_SYSTEM)
			u->system++;
		else if (kind == RM_PK_KEPT)
			u->kept++;
		else if (kind != RM_PK_CMA)
			u->lent++;
	}
}

/*
 * The table of regions: at most RM_CMA_MAX, each known by its slot (its
 * id).  A slot holds a region from rm_cma_table_set() to
 * rm_cma_table_set(NULL); a region marked dying keeps its slot and its
 * name but is not found by id or name.  The caller serialises every
 * function here except rm_cma_table_of_pfn(), which reads without a lock.
 */

/**
 * rm_cma_table_reserve - a slot for a new region named @name
 * @t: the table
 * @name: the new region's name
 *
 * Nothing is taken: the caller sets up the region and then publishes it
 * with rm_cma_table_set(), under the same lock.
 *
 * Context: any; the caller's table lock held.
 * Return: the lowest free slot; -EEXIST when a region (dying or not) has
 * @name; -ENOSPC when every slot is taken.
 */
int rm_cma_table_reserve(const struct rm_cma_table *t, const char *name)
{
	int i, free = -ENOSPC;

	for (i = RM_CMA_MAX - 1; i >= 0; i--) {
		if (!t->slot[i])
			free = i;
		else if (!strcmp(t->slot[i]->name, name))
			return -EEXIST;
	}
	return free;
}

/**
 * rm_cma_table_set - put a region in slot @id, or empty the slot
 * @t: the table
 * @id: the slot, below RM_CMA_MAX
 * @c: the region, set up already, or NULL
 *
 * The slot is not dying afterwards.
 *
 * Context: any; the caller's table lock held.
 */
void rm_cma_table_set(struct rm_cma_table *t, u32 id, struct rm_cma *c)
{
	t->dying[id] = false;
	/* rm_cma_table_of_pfn() reads the slot without the lock */
	WRITE_ONCE(t->slot[id], c);
}

/**
 * rm_cma_table_set_dying - mark a region as being destroyed, or not
 * @t: the table
 * @id: a slot that holds a region
 * @dying: true from the first check of a destruction until it ends
 *
 * Context: any; the caller's table lock held.
 */
void rm_cma_table_set_dying(struct rm_cma_table *t, u32 id, bool dying)
{
	t->dying[id] = dying;
}

/**
 * rm_cma_table_get - the region with id @id
 * @t: the table
 * @id: any number
 *
 * Context: any; the caller's table lock held.
 * Return: the region, or NULL when @id is out of range, its slot empty or
 * its region dying.
 */
struct rm_cma *rm_cma_table_get(const struct rm_cma_table *t, u32 id)
{
	if (id >= RM_CMA_MAX || t->dying[id])
		return NULL;
	return t->slot[id];
}

/**
 * rm_cma_table_find - the region named @name
 * @t: the table
 * @name: the name
 *
 * Context: any; the caller's table lock held.
 * Return: the region, or NULL when none has @name or it is dying.
 */
struct rm_cma *rm_cma_table_find(const struct rm_cma_table *t,
				 const char *name)
{
	u32 i;

	for (i = 0; i < RM_CMA_MAX; i++)
		if (t->slot[i] && !strcmp(t->slot[i]->name, name))
			return t->dying[i] ? NULL : t->slot[i];
	return NULL;
}

/**
 * rm_cma_table_next - the next region at or after slot *@id
 * @t: the table
 * @id: where to start; set to the slot of the region returned
 *
 * For walks: for (i = 0; (c = rm_cma_table_next(t, &i)); i++).  Dying
 * regions are included.
 *
 * Context: any; the caller's table lock held.
 * Return: the region, or NULL when no slot from *@id on holds one.
 */
struct rm_cma *rm_cma_table_next(const struct rm_cma_table *t, u32 *id)
{
	for (; *id < RM_CMA_MAX; (*id)++)
		if (t->slot[*id])
			return t->slot[*id];
	return NULL;
}

/**
 * rm_cma_table_of_pfn - the region that holds a page
 * @t: the table
 * @pfn: the page
 *
 * Reads without the table lock: for a page of a buffer, whose region
 * cannot be destroyed while the buffer lives, the answer is exact; for any
 * other page it is a hint.  Dying regions are included.
 *
 * Context: any.
 * Return: the region, or NULL when @pfn is in none.
 */
struct rm_cma *rm_cma_table_of_pfn(const struct rm_cma_table *t, u64 pfn)
{
	struct rm_cma *c;
	u32 i;

	for (i = 0; i < RM_CMA_MAX; i++) {
		c = READ_ONCE(t->slot[i]);
		if (c && pfn >= c->base_pfn && pfn - c->base_pfn < c->count)
			return c;
	}
	return NULL;
}
