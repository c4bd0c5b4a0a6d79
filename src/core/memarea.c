// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: memarea: areas of any number of pages
 *
 * memarea: physically contiguous areas of any number of pages.
 *
 * After Ingo Molnar's memarea (2001): find a free contiguous area of any
 * page count whenever one exists, sharing the buddy allocator's free memory
 * and costing its fast path nothing.  What the seed wished for and this
 * does: a page-granularity free bitmap searched a word at a time, with
 * summaries so mostly-full memory is not scanned page by page, plus
 * alignment, offset, node binding and a choice of placement.
 *
 * Pool.  An area is carved out of the buddy's free lists (rm_zone_carve():
 * the free blocks it covers are taken, the parts that stick out go back)
 * and given back on free (rm_zone_release(): as the largest aligned blocks,
 * merged), so buddy and memarea share one pool.  Pages in per-CPU caches
 * count as used; when no area is found they are drained and the search
 * repeated once.
 *
 * Search.  The block's bitmap has a bit set for every page not in a free
 * list.  Above it, each chunk (RM_CHUNK_PAGES = 512 pages, 8 words) and
 * super chunk (64 chunks, 32768 pages) has a summary: the free run at its
 * start (left), at its end (right) and its longest (contig), as the
 * kernel's percpu allocator keeps per block.  The buddy only sets a dirty
 * bit when it changes the bitmap (one store); dirty summaries are
 * recomputed here before a search, under the zone lock, one super chunk
 * per step (see Locking).  A search walks the
 * super chunks and skips any whose contig is shorter than the request and
 * whose right part is empty, then the chunks likewise, and reads bitmap
 * words only where a long enough run may start.  An empty or mostly full
 * 16 GiB block is searched in a few hundred summary reads, not 4 million
 * bit tests; a free run is measured by whole free chunks at a time.
 *
 * Fit.  A free run [a, e) fits when its first page p >= a with
 * p % align == offset has p + count <= e.  Every free run at least count
 * long is a candidate, so a fitting area is found whenever one exists (the
 * unit tests check this against brute force).
 *
 * Placement policies, among the fitting runs of the first zone (in node
 * order) that has any:
 *  - first fit: the lowest address.  Cheapest: stops at the first fit, and
 *    measures a run only as far as count + align - 1 pages, which always
 *    fit.
 *  - best fit: the shortest run, so long runs stay for long requests.  It
 *    visits every candidate run, unless one fits exactly.
 *  - least fragmentation: the run and end (leftmost or rightmost aligned
 *    position) whose use raises the zone's unusable free space index,
 *    summed over all orders, the least: it keeps large buddy blocks whole.
 *    The costliest; for callers that allocate rarely and hold long.
 *
 * CMA: pages in CMA pageblocks are lent to movable allocations only, and
 * isolated pageblocks are being taken back, so a free run is cut to its
 * pieces in ordinary pageblocks before it is fitted (only when the block
 * has such pageblocks: rm_block.special_pb).
 *
 * Locking (the module's lock order: include/resmem/resmem.h): a search and its
 * carve run under the zone lock, interrupts off, like any buddy allocation of
 * the zone, but no hold does more than RM_HOLD_WORK work units (a bitmap word
 * or a summary read is one, a least-fragmentation score RM_HOLD_SCORE): past
 * that, the search lets go of the lock and takes it again
 * (rm_memarea_zone_search()), between two super chunks of the refresh or at the
 * head of the walk, where it can go on from the position it had.  Meanwhile the
 * buddy may change anything: summaries go stale behind the walk (a stale
 * summary can only hide a run or report a wrong one; the walk still moves
 * forward every step), so what the search found is checked against the bitmap
 * under the lock before it is carved.  Taken meanwhile: the search starts over,
 * at most RM_MEMAREA_TRIES times, then the zone counts as having no fit.  So
 * the promise above holds at a quiescent point: a fitting area is found
 * whenever one exists and nothing changes during the search; with concurrent
 * churn, what is found fits and is free, first fit is the lowest fit the walk
 * saw, best fit the shortest.  Carving and zeroing cost what the area is long;
 * zeroing yields the CPU when the caller may sleep (RM_ALLOC_MAY_SLEEP).  The
 * statistics have their own lock. memarea pages never enter the per-CPU lists.
 */
#include <resmem/core.h>

#define SUPER_PAGES	(RM_CHUNK_PAGES << RM_SUPER_SHIFT)

/* Bitmap words [start, end) are read: count them. */
static void count_words(struct rm_memarea_cost *c, u64 start, u64 end)
{
	if (end > start)
		c->words += (end - 1) / BITS_PER_LONG - start / BITS_PER_LONG +
			    1;
}

/* Work done so far: what a hold of the zone lock is bounded by. */
static u64 work(const struct rm_memarea_cost *c)
{
	return c->words + c->summaries + c->scores * RM_HOLD_SCORE;
}

/*
 * A search's hold of its zone's lock, or none (@z NULL: the caller keeps
 * the block from changing).  @mark is work() when the hold began.
 */
struct hold {
	struct rm_zone *z;
	unsigned long *flags;
	struct rm_memarea_cost *cost;
	u64 mark;
};

static void hold_note(struct hold *h)
{
	h->cost->hold_max = max(h->cost->hold_max, work(h->cost) - h->mark);
}

/*
 * Make room for @more work in this hold: past RM_HOLD_WORK, let go of the
 * zone lock (interrupts on again) and take it again.  Anything read before
 * may have changed then: the caller only goes on from a position it can
 * resume at, and what it finds is checked again before it is carved.
 */
static void hold_break(struct hold *h)
{
	hold_note(h);
	rm_spin_unlock_irqrestore(&h->z->lock, *h->flags);
	rm_spin_lock_irqsave(&h->z->lock, *h->flags);
	h->cost->holds++;
	h->mark = work(h->cost);
}

static inline void hold_room(struct hold *h, u64 more)
{
	if (h->z && work(h->cost) - h->mark + more > RM_HOLD_WORK)
		hold_break(h);
}

static u64 chunk_end(const struct rm_block *b, u64 c)
{
	return min((c + 1) << RM_CHUNK_SHIFT, b->nr_pages);
}

/* Longest run of set bits in a word. */
static unsigned int longest_ones(unsigned long x)
{
	unsigned int n = 0;

	for (; x; n++)
		x &= x << 1;
	return n;
}

/*
 * Summarise chunk @c a word at a time: a chunk starts on a word boundary
 * (512 pages, 8 words); bits past the block's end are not pages.  A word
 * costs a few instructions plus one per page of its longest inner free
 * run, however many runs it holds.
 */
static void chunk_summary(struct rm_block *b, u64 c,
			  struct rm_memarea_cost *cost)
{
	u64 start = c << RM_CHUNK_SHIFT, end = chunk_end(b, c);
	struct rm_chunk_md *md = &b->chunk_md[c];
	u64 w, first = start / BITS_PER_LONG, last = (end - 1) / BITS_PER_LONG;
	u64 cur = 0, best = 0, left = 0;
	unsigned int lo, hi, len;
	bool in_left = true;
	unsigned long m;

	for (w = first; w <= last; w++) {
		/* the block's last word may hold fewer than a word of pages */
		len = w == last && end % BITS_PER_LONG ? end % BITS_PER_LONG :
							 BITS_PER_LONG;
		m = b->bitmap[w];
		if (len < BITS_PER_LONG)
			m &= (1UL << len) - 1;
		if (!m) {			/* all free */
			cur += len;
			if (in_left)
				left += len;
			continue;
		}
		lo = rm_ffs_word(m);
		hi = rm_fls_word(m);
		cur += lo;			/* free bits below the lowest used */
		if (in_left)
			left = cur;
		in_left = false;
		best = max(best, cur);
		if (hi > lo + 1)		/* free bits between used ones */
			best = max_t(u64, best,
				     longest_ones(~m & ((1UL << hi) - 1) &
						  ~((2UL << lo) - 1)));
		cur = len - 1 - hi;		/* free bits above the highest */
	}
	best = max(best, cur);
	md->left = left;
	md->right = cur;
	md->contig = best;
	count_words(cost, start, end);
}

static void super_summary(struct rm_block *b, u64 s,
			  struct rm_memarea_cost *cost)
{
	u64 first = s << RM_SUPER_SHIFT;
	u64 last = min(first + RM_SUPER_CHUNKS, b->nr_chunks);
	struct rm_super_md *md = &b->super_md[s];
	u64 c, size, carry = 0, best = 0;
	bool left_open = true;

	md->left = 0;
	for (c = first; c < last; c++) {
		const struct rm_chunk_md *cm = &b->chunk_md[c];

		size = chunk_end(b, c) - (c << RM_CHUNK_SHIFT);
		cost->summaries++;
		if (cm->left == size) {		/* all free */
			carry += size;
			if (left_open)
				md->left += size;
			continue;
		}
		if (left_open)
			md->left += cm->left;
		left_open = false;
		best = max3(best, carry + cm->left, (u64)cm->contig);
		carry = cm->right;
	}
	md->contig = max(best, carry);
	md->right = carry;
}

/* Most work one super chunk's refresh does: its chunks' words, summaries. */
#define SUPER_WORK	(RM_SUPER_CHUNKS * (RM_CHUNK_PAGES / BITS_PER_LONG + 1))

/*
 * Recompute every stale summary of @b, one super chunk (its stale chunks,
 * then itself) at a time, each within one hold.  A super chunk's dirty bit
 * is cleared before its chunks are read, so a write during a later lock
 * break marks it stale again.  One pass: what goes stale behind it waits
 * for the next search.
 */
static void refresh(struct rm_block *b, struct rm_memarea_cost *cost,
		    struct hold *h)
{
	u64 s, c, first, last;

	for (s = rm_bitmap_next_set(b->super_dirty, b->nr_supers, 0);
	     s < b->nr_supers;
	     s = rm_bitmap_next_set(b->super_dirty, b->nr_supers, s + 1)) {
		hold_room(h, SUPER_WORK);
		if (!rm_bitmap_test(b->super_dirty, s))
			continue;	/* refreshed during the break */
		rm_bitmap_clear(b->super_dirty, s, 1);
		first = s << RM_SUPER_SHIFT;
		last = min(first + RM_SUPER_CHUNKS, b->nr_chunks);
		for (c = rm_bitmap_next_set(b->chunk_dirty, last, first);
		     c < last;
		     c = rm_bitmap_next_set(b->chunk_dirty, last, c + 1))
			chunk_summary(b, c, cost);
		rm_bitmap_clear(b->chunk_dirty, first, last - first);
		super_summary(b, s, cost);
	}
}

/*
 * End of the free run that starts at free page @p, or any index >= @stop
 * inside the run once it is known to reach that far.
 */
static u64 run_end(const struct rm_block *b, u64 p, u64 stop,
		   struct rm_memarea_cost *cost)
{
	u64 n = b->nr_pages, e, ce;

	while (p < n && p < stop) {
		if (!(p & (SUPER_PAGES - 1)) &&
		    b->super_md[p / SUPER_PAGES].left ==
		    min(p + SUPER_PAGES, n) - p) {
			cost->summaries++;
			p = min(p + SUPER_PAGES, n);
			continue;
		}
		if (!(p & (RM_CHUNK_PAGES - 1))) {
			const struct rm_chunk_md *md =
				&b->chunk_md[p >> RM_CHUNK_SHIFT];

			cost->summaries++;
			ce = chunk_end(b, p >> RM_CHUNK_SHIFT);
			if (md->left == ce - p) {
				p = ce;
				continue;
			}
			return p + md->left;
		}
		ce = chunk_end(b, p >> RM_CHUNK_SHIFT);
		e = rm_bitmap_next_set(b->bitmap, ce, p);
		count_words(cost, p, e + 1 > ce ? ce : e + 1);
		if (e < ce)
			return e;
		p = ce;
	}
	return min(p, n);
}

enum skip { SCAN, PAST, RUN };

/*
 * At the start of a chunk or super chunk ending at @end whose longest free
 * run is @contig and last one @right: if no run of @min can start inside,
 * move *@pos past it (PAST) or to its right run, which may go on into the
 * next one (RUN); else leave *@pos to be scanned (SCAN).
 */
static enum skip skip(u64 contig, u64 right, u64 min, u64 end, u64 n,
		      u64 *pos)
{
	if (contig >= min)
		return SCAN;
	if (!right || end == n) {
		*pos = end;
		return PAST;
	}
	*pos = end - right;
	return RUN;
}

/*
 * The next maximal free run [*a, *e) at least @min pages long that starts
 * at or after @pos, where no free run crosses @pos from the left.  A run
 * longer than @cap may be reported as [*a, *a + @cap) or longer: enough for
 * first fit, which needs no more than count + align - 1 pages to fit.
 */
static bool next_run(const struct rm_block *b, u64 pos, u64 min, u64 cap,
		     u64 *a, u64 *e, struct rm_memarea_cost *cost,
		     struct hold *h)
{
	u64 n = b->nr_pages, end, z;

	while (pos < n) {
		enum skip sk = SCAN;

		hold_room(h, 1);

		if (!(pos & (SUPER_PAGES - 1))) {
			const struct rm_super_md *md =
				&b->super_md[pos / SUPER_PAGES];

			cost->summaries++;
			sk = skip(md->contig, md->right, min,
				  min(pos + SUPER_PAGES, n), n, &pos);
		}
		if (sk == SCAN && !(pos & (RM_CHUNK_PAGES - 1))) {
			const struct rm_chunk_md *md =
				&b->chunk_md[pos >> RM_CHUNK_SHIFT];

			cost->summaries++;
			sk = skip(md->contig, md->right, min,
				  chunk_end(b, pos >> RM_CHUNK_SHIFT), n, &pos);
		}
		if (sk == PAST)
			continue;
		if (sk == RUN)
			goto start;
		end = chunk_end(b, pos >> RM_CHUNK_SHIFT);
		z = rm_bitmap_next_zero(b->bitmap, end, pos);
		count_words(cost, pos, z + 1 > end ? end : z + 1);
		if (z == end) {
			pos = end;
			continue;
		}
		pos = z;
start:
		*e = run_end(b, pos, cap > U64_MAX - pos ? U64_MAX : pos + cap,
			     cost);
		if (*e - pos >= min) {
			*a = pos;
			return true;
		}
		/*
		 * A free page starts a run of at least one, unless a lock
		 * break left a summary stale: go on all the same.
		 */
		pos = max(*e, pos + 1);
	}
	return false;
}

/* Lowest and highest page of [a, e) where the area may start, if any. */
static bool fit(const struct rm_block *b, u64 a, u64 e,
		const struct rm_memarea_req *r, u64 *lo, u64 *hi)
{
	u64 base = b->base_pfn, m = r->align - 1, last;

	*lo = a + ((r->offset - (base + a)) & m);
	if (*lo + r->count > e || *lo + r->count < *lo)
		return false;
	last = e - r->count;
	*hi = last - ((base + last - r->offset) & m);
	return true;
}

/* Add the free blocks [a, e) splits into (largest aligned) to @nr. */
static void decompose(u64 base, u64 a, u64 e, unsigned int max_order,
		      s64 *nr, int sign)
{
	u64 p = base + a, end = base + e, top = 1ULL << max_order, k;
	unsigned int o;

	while (p < end) {
		if (!(p & (top - 1)) && end - p >= top) {
			/* the blocks of max_order in the middle, counted */
			k = (end - p) >> max_order;
			nr[max_order] += sign * (s64)k;
			p += k << max_order;
			continue;
		}
		o = min_t(unsigned int, max_order, ilog2(end - p));
		if (p)
			o = min_t(unsigned int, o, __builtin_ctzll(p));
		nr[o] += sign;
		p += 1ULL << o;
	}
}

static u64 unusable_sum(const s64 *nr, unsigned int max_order)
{
	u64 u[RM_MAX_ORDER_LIMIT + 1];
	unsigned int o;
	u64 sum = 0;

	for (o = 0; o <= max_order; o++)
		u[o] = nr[o] > 0 ? nr[o] : 0;
	for (o = 0; o <= max_order; o++)
		sum += rm_unusable_index(u, max_order + 1, o);
	return sum;
}

/* Unusable index sum after placing the area at @p in free run [a, e). */
static u64 frag_score(const struct rm_block *b, unsigned int max_order,
		      const s64 *nr_free, u64 a, u64 e, u64 p, u64 count,
		      struct rm_memarea_cost *cost)
{
	s64 nr[RM_MAX_ORDER_LIMIT + 1];

	cost->scores++;

	memcpy(nr, nr_free, sizeof(nr));
	decompose(b->base_pfn, a, e, max_order, nr, -1);
	decompose(b->base_pfn, a, p, max_order, nr, 1);
	decompose(b->base_pfn, p + count, e, max_order, nr, 1);
	return unusable_sum(nr, max_order);
}

/* Is block index @i in a CMA or isolated pageblock? */
static bool special(const struct rm_block *b, u64 i)
{
	return b->pb_mt[rm_block_pb(b, b->base_pfn + i)] >= RM_MT_CMA;
}

/* Block index of the first page of the pageblock after the one of @i. */
static u64 next_pb(const struct rm_block *b, u64 i)
{
	return ((b->base_pfn + i) | (RM_PAGEBLOCK_NR - 1)) + 1 - b->base_pfn;
}

/*
 * CMA and isolated pageblocks are not memarea's: cut free run [*a, *e)
 * down to its first piece of ordinary pageblocks at least @min long, and
 * leave *@pos where the search must go on (after that piece).  A run with
 * no such piece comes back empty.
 */
static void ordinary_part(const struct rm_block *b, u64 *a, u64 *e, u64 min,
			  u64 *pos)
{
	u64 s = *a, t;

	while (s < *e) {
		while (s < *e && special(b, s))
			s = next_pb(b, s);
		for (t = s; t < *e && !special(b, t);)
			t = min(next_pb(b, t), *e);
		if (t - s >= min) {
			*a = s;
			*pos = t;
			*e = t;
			return;
		}
		s = t;
	}
	*a = *e;
}

/* rm_memarea_search(), with lock breaks when @h names a zone. */
static u64 search(struct rm_block *b, unsigned int max_order,
		  const s64 *nr_free, const struct rm_memarea_req *r,
		  struct rm_memarea_cost *cost, struct hold *h)
{
	u64 pos = 0, a, e, lo, hi, best = U64_MAX, best_key = U64_MAX, key;
	u64 cap = U64_MAX;

	/* first fit stops at the first run long enough for any alignment */
	if (r->policy == RM_POLICY_FIRST_FIT && !b->special_pb)
		cap = r->count + r->align - 1;
	refresh(b, cost, h);
	while (next_run(b, pos, r->count, cap, &a, &e, cost, h)) {
		pos = e;
		if (b->special_pb)
			ordinary_part(b, &a, &e, r->count, &pos);
		if (!fit(b, a, e, r, &lo, &hi))
			continue;
		switch (r->policy) {
		case RM_POLICY_FIRST_FIT:
			return lo;
		case RM_POLICY_BEST_FIT:
			if (e - a == r->count)	/* nothing fits tighter */
				return lo;
			if (e - a < best_key) {
				best_key = e - a;
				best = lo;
			}
			break;
		default:
			key = frag_score(b, max_order, nr_free, a, e, lo,
					 r->count, cost);
			if (key < best_key) {
				best_key = key;
				best = lo;
			}
			key = frag_score(b, max_order, nr_free, a, e, hi,
					 r->count, cost);
			if (key < best_key) {
				best_key = key;
				best = hi;
			}
		}
	}
	return best;
}

/**
 * rm_memarea_search - where in a block an area would go
 * @b: the block; its zone locked, or otherwise unchanging
 * @max_order: the zone's max_order (for RM_POLICY_LEAST_FRAG)
 * @nr_free: the zone's free blocks per order, RM_MAX_ORDER_LIMIT + 1 of
 *	     them (read for RM_POLICY_LEAST_FRAG only; may be NULL otherwise)
 * @r: the request, checked
 * @cost: bitmap words, summaries and scores read are added here
 *
 * Refreshes stale summaries, then searches per @r->policy, all in one go:
 * the lock, if any, is never let go of.  Changes nothing else:
 * rm_memarea_zone_search() is the locked path, with lock breaks;
 * benchmarks and tests call this one alone.
 *
 * Context: any; takes no lock.
 * Return: the block-relative index of the first page, or U64_MAX when no
 * fitting area exists.
 */
u64 rm_memarea_search(struct rm_block *b, unsigned int max_order,
		      const s64 *nr_free, const struct rm_memarea_req *r,
		      struct rm_memarea_cost *cost)
{
	struct hold h = { .cost = cost };

	return search(b, max_order, nr_free, r, cost, &h);
}

/* Are pages [idx, idx + count) of @b free, in ordinary pageblocks? */
static bool still_fits(struct rm_block *b, u64 idx, u64 count,
		       struct rm_memarea_cost *cost)
{
	u64 p;

	count_words(cost, idx, idx + count);
	if (rm_bitmap_next_set(b->bitmap, idx + count, idx) < idx + count)
		return false;
	if (b->special_pb)
		for (p = idx; p < idx + count; p = next_pb(b, p))
			if (special(b, p))
				return false;
	return true;
}

/**
 * rm_memarea_zone_search - where in a zone an area can be carved now
 * @z: the zone, locked with rm_spin_lock_irqsave(&z->lock, *@flags)
 * @r: the request, checked
 * @cost: what the search read, its lock holds and the most work (see
 *	  RM_HOLD_WORK) in one of them are added here
 * @flags: the saved interrupt state of the zone lock
 *
 * rm_memarea_search() over the zone's block, letting go of the zone lock
 * whenever a hold has done RM_HOLD_WORK work and taking it again.  What it
 * finds is checked again at the end, under the lock: if a page of it was
 * taken meanwhile, the search starts over, at most RM_MEMAREA_TRIES times.
 * So with the zone quiescent it finds what rm_memarea_search() finds; with
 * concurrent churn it finds an area that fits and is free, or gives up.
 *
 * Context: the zone lock held, as above; it is held again on return.
 * Return: the block-relative index of the first page of a free area in
 * ordinary pageblocks that fits @r, or U64_MAX when none was found.
 */
u64 rm_memarea_zone_search(struct rm_zone *z, const struct rm_memarea_req *r,
			   struct rm_memarea_cost *cost, unsigned long *flags)
{
	struct hold h = { .z = z, .flags = flags, .cost = cost };
	s64 nr_free[RM_MAX_ORDER_LIMIT + 1];
	unsigned int o, mt, tries;
	u64 idx = U64_MAX;

	cost->holds++;
	h.mark = work(cost);
	for (tries = 0; tries < RM_MEMAREA_TRIES; tries++) {
		memset(nr_free, 0, sizeof(nr_free));
		if (r->policy == RM_POLICY_LEAST_FRAG)
			for (o = 0; o <= z->max_order; o++)
				for (mt = 0; mt < RM_MT_TYPES; mt++)
					nr_free[o] += z->area[o].nr_free[mt];
		idx = search(z->blk, z->max_order, nr_free, r, cost, &h);
		if (idx == U64_MAX || still_fits(z->blk, idx, r->count, cost))
			break;
		idx = U64_MAX;
		cost->retries++;
	}
	hold_note(&h);
	return idx;
}

/**
 * rm_memarea_init - start memarea over a buddy allocator
 * @ma: the memarea state
 * @b: the buddy allocator, initialised, with nothing allocated yet (the
 *     bitmap summaries are computed here)
 */
void rm_memarea_init(struct rm_memarea *ma, struct rm_buddy *b)
{
	struct rm_memarea_cost cost = { 0 };
	struct hold h = { .cost = &cost };
	unsigned int i;

	memset(ma, 0, sizeof(*ma));
	ma->b = b;
	rm_spin_lock_init(&ma->lock);
	/*
	 * Every summary starts stale: compute them now, before anyone
	 * allocates, rather than in the first search under a zone lock.
	 */
	for (i = 0; i < b->nr_zones; i++)
		refresh(b->zone[i].blk, &cost, &h);
}

/**
 * rm_memarea_check - is the request well formed?
 * @b: the buddy allocator (for the block sizes)
 * @r: the request; align 0 is taken as 1
 *
 * Return: 0, or -EINVAL for count 0, count larger than every block, align
 * not a power of two, offset >= align, an unknown policy or flag, or a
 * count whose byte size overflows.
 */
int rm_memarea_check(struct rm_buddy *b, struct rm_memarea_req *r)
{
	u64 most = 0;
	unsigned int i;

	if (!r->align)
		r->align = 1;
	for (i = 0; i < b->nr_zones; i++)
		most = max(most, b->zone[i].blk->nr_pages -
				 b->zone[i].blk->meta_pages);
	if (!r->count || r->count > most || r->count > (U64_MAX >> PAGE_SHIFT))
		return -EINVAL;
	if (r->align & (r->align - 1) || r->offset >= r->align)
		return -EINVAL;
	if (r->policy > RM_POLICY_LEAST_FRAG ||
	    r->flags & ~(RM_ALLOC_MOVABLE | RM_ALLOC_STRICT_NODE |
			 RM_ALLOC_ZERO | RM_ALLOC_MAY_SLEEP))
		return -EINVAL;
	return 0;
}

static u64 try_zones(struct rm_memarea *ma, const struct rm_memarea_req *r,
		     int nid, struct rm_memarea_cost *cost, u64 *free_total)
{
	struct rm_buddy *b = ma->b;
	bool strict = r->flags & RM_ALLOC_STRICT_NODE;
	unsigned int i, n, zi;
	unsigned long flags;
	u8 far[RM_MAX_BLOCKS];
	const u8 *zl;
	u64 idx;

	if (nid >= 0 && nid < RM_ZL_NODES) {
		zl = b->zonelist[nid];
		n = strict ? b->nr_local[nid] : b->nr_zones;
	} else {
		for (n = 0, zi = 0; zi < b->nr_zones; zi++)
			if (!strict || b->zone[zi].blk->nid == nid)
				far[n++] = zi;
		zl = far;
	}
	*free_total = 0;
	for (i = 0; i < n; i++) {
		struct rm_zone *z = &b->zone[zl[i]];

		rm_spin_lock_irqsave(&z->lock, flags);
		*free_total += z->free_pages;
		idx = rm_memarea_zone_search(z, r, cost, &flags);
		if (idx != U64_MAX &&
		    rm_zone_carve(z, z->blk->base_pfn + idx, r->count,
				  RM_PK_MEMAREA))
			idx = U64_MAX;
		rm_spin_unlock_irqrestore(&z->lock, flags);
		if (idx != U64_MAX)
			return z->blk->base_pfn + idx;
	}
	return RM_NO_PFN;
}

/**
 * rm_memarea_alloc - allocate a contiguous area
 * @ma: the memarea state
 * @r: the request, checked by rm_memarea_check()
 *
 * Context: any context that may take a spinlock.
 * Return: the first pfn, or RM_NO_PFN when no allowed block has a fitting
 * free area even after the per-CPU caches were drained.
 */
u64 rm_memarea_alloc(struct rm_memarea *ma, const struct rm_memarea_req *r)
{
	struct rm_memarea_cost cost = { 0 };
	int nid = r->nid == NUMA_NO_NODE ? rm_numa_node_id() : r->nid;
	unsigned long flags;
	u64 pfn, free_total;

	pfn = try_zones(ma, r, nid, &cost, &free_total);
	if (pfn == RM_NO_PFN) {
		rm_buddy_drain(ma->b);
		pfn = try_zones(ma, r, nid, &cost, &free_total);
	}
	if (pfn != RM_NO_PFN && (r->flags & RM_ALLOC_ZERO))
		rm_zero_pages(rm_block_pfn_to_virt(rm_region_find(ma->b->rg,
								  pfn), pfn),
			      r->count, r->flags);

	rm_spin_lock_irqsave(&ma->lock, flags);
	rm_stat_inc(ma->st.requests);
	if (pfn != RM_NO_PFN) {
		rm_stat_inc(ma->st.successes);
		ma->st.pages += r->count;
	} else {
		rm_stat_inc(ma->st.failures);
		if (free_total >= r->count)
			rm_stat_inc(ma->st.frag_failures);
	}
	rm_hist_add(ma->st.words_hist, cost.words);
	rm_hist_add(ma->st.summaries_hist, cost.summaries);
	rm_stat_add(ma->st.words, cost.words);
	rm_stat_add(ma->st.summaries, cost.summaries);
	rm_spin_unlock_irqrestore(&ma->lock, flags);
	return pfn;
}

/**
 * rm_memarea_free - give an area back
 * @ma: the memarea state
 * @pfn: its first pfn
 * @count: its page count, as allocated
 *
 * Anything that is not exactly an area from rm_memarea_alloc() warns once
 * and changes nothing.
 *
 * Context: any context that may take a spinlock.
 */
void rm_memarea_free(struct rm_memarea *ma, u64 pfn, u64 count)
{
	struct rm_block *blk = rm_region_find(ma->b->rg, pfn);
	u16 head = rm_ps_make(RM_PK_MEMAREA, 0, 0, true);
	u16 tail = rm_ps_make(RM_PK_MEMAREA, 0, 0, false);
	struct rm_zone *z;
	unsigned long flags;
	u64 i, idx;

	if (WARN_ON_ONCE(!blk || !count ||
			 pfn + count > blk->base_pfn + blk->nr_pages))
		return;
	idx = pfn - blk->base_pfn;
	for (i = 0; i < count; i++)
		if (WARN_ON_ONCE(blk->state[idx + i] != (i ? tail : head)))
			return;
	if (WARN_ON_ONCE(idx + count < blk->nr_pages &&
			 blk->state[idx + count] == tail))
		return;
	z = &ma->b->zone[blk - ma->b->rg->block];
	rm_spin_lock_irqsave(&z->lock, flags);
	rm_zone_release(z, pfn, count);
	rm_spin_unlock_irqrestore(&z->lock, flags);
	rm_spin_lock_irqsave(&ma->lock, flags);
	rm_stat_inc(ma->st.frees);
	ma->st.pages -= count;
	rm_spin_unlock_irqrestore(&ma->lock, flags);
}

/**
 * rm_memarea_stats - a copy of the counters
 * @ma: the memarea state
 * @st: filled in
 */
void rm_memarea_stats(struct rm_memarea *ma, struct rm_memarea_stats *st)
{
	unsigned long flags;

	rm_spin_lock_irqsave(&ma->lock, flags);
	*st = ma->st;
	rm_spin_unlock_irqrestore(&ma->lock, flags);
}

/**
 * rm_memarea_add_latency - record how long an allocation took
 * @ma: the memarea state
 * @ns: nanoseconds, measured by the caller (the core has no clock)
 */
void rm_memarea_add_latency(struct rm_memarea *ma, u64 ns)
{
	unsigned long flags;

	if (!rm_stats_enabled())
		return;
	rm_spin_lock_irqsave(&ma->lock, flags);
	rm_hist_add(ma->st.latency_hist, ns);
	rm_spin_unlock_irqrestore(&ma->lock, flags);
}
