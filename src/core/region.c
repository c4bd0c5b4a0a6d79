// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The region layer
 *
 * The region layer: every page resmem manages, as blocks on nodes.
 *
 * After bootmem2 (Johannes Weiner, 2008): memory is a set of contiguous
 * blocks, each certain to lie on one node, and every pfn belongs to exactly
 * one block, so no page is ever seen twice and a request bound to a node is
 * served from a block of that node.  A ranges= entry that crosses a node
 * boundary becomes one block per node piece.
 *
 * Setup has two steps, as in bootmem2:
 *
 *  1. register: rm_region_add() / rm_region_add_range() record blocks.  They
 *     only do arithmetic, so the glue can register and check everything
 *     before it claims or maps any memory.
 *  2. enable: once the glue has mapped every block and set block->vaddr
 *     and has proved each block's metadata pages hold what is written
 *     (rm_block_meta_probe_fill(), a cache flush, then
 *     rm_block_meta_probe_check(): the pages may not be memory at all),
 *     rm_region_enable() carves each block's metadata out of the block's own
 *     first pages (self-hosting: resmem needs no memory from the kernel in
 *     proportion to the range) and marks those pages in use.
 *
 * struct rm_block fields:
 *
 *	base_pfn, nr_pages: the pages [base_pfn, base_pfn + nr_pages)
 *	nid: the node of every one of those pages
 *	range: the ranges= entry the block came from
 *	vaddr: where the kernel (or the unit test) mapped base_pfn
 *	bitmap: one bit per page, set when the page is not free; the one
 *		source of truth for "is this page free" that the allocators
 *		above keep in step with their own structures (memarea searches
 *		it a word at a time)
 *	state: one u16 per page (RM_PS_*): who owns it and, on the first
 *		page of a block, its order
 *	pb_mt: one byte per pageblock: its migratetype
 *	meta_pages: pages at the start of the block holding the arrays
 *	free_pages: number of clear bits in bitmap after enable; the
 *		allocators keep their own counts from then on
 *
 * Metadata costs 1 bit + 2 bytes per page plus a byte per pageblock: 2.13
 * bytes in 4096, 0.052%, against the 0.2% budget and the 1.56% of a 64-byte
 * struct page.  Free lists cost nothing: like the kernel's, they are linked
 * through the free memory itself.  The metadata is laid out as
 *
 *	vaddr: | bitmap (BITS_TO_LONGS(n) longs) | state (n u16) | pb_mt | pad |
 *
 * One bitmap, one state array and one pageblock array cover all of a block;
 * together the blocks' slices form the single pfn-indexed map bootmem2 asks
 * for (rm_region_find() names the slice of a pfn), and each slice lives on
 * its block's own node, so the allocator touches node-local metadata.
 *
 * and rounded up to whole pages, so a block must hold more than
 * rm_meta_pages(n) pages to have any left to hand out.
 *
 * Locking: the block table is written only during setup, which the glue runs
 * single-threaded at module load; after rm_region_enable() it never changes,
 * so lookups (rm_region_find()) take no lock.  The bitmaps and state bytes
 * belong to the allocators, which serialise them with their own locks.
 */
#include <resmem/core.h>

static void mark_dirty(struct rm_block *b, u64 idx, u64 nr)
{
	u64 c = idx >> RM_CHUNK_SHIFT, last = (idx + nr - 1) >> RM_CHUNK_SHIFT;

	if (c == last) {	/* the common case: one chunk */
		b->chunk_dirty[c / BITS_PER_LONG] |= BIT(c % BITS_PER_LONG);
		c >>= RM_SUPER_SHIFT;
		b->super_dirty[c / BITS_PER_LONG] |= BIT(c % BITS_PER_LONG);
		return;
	}
	rm_bitmap_set(b->chunk_dirty, c, last - c + 1);
	rm_bitmap_set(b->super_dirty, c >> RM_SUPER_SHIFT,
		      (last >> RM_SUPER_SHIFT) - (c >> RM_SUPER_SHIFT) + 1);
}

/**
 * rm_region_init - start an empty region
 * @rg: the region
 */
void rm_region_init(struct rm_region *rg)
{
	memset(rg, 0, sizeof(*rg));
}

/* Where each array starts, in bytes from the block's first page. */
struct meta_layout {
	u64 state, pb_mt, chunk_md, super_md, chunk_dirty, super_dirty, end;
};

static void meta_layout(u64 nr_pages, struct meta_layout *l)
{
	/* a block not aligned to a pageblock touches one more */
	u64 pageblocks = DIV_ROUND_UP(nr_pages, RM_PAGEBLOCK_NR) + 1;
	u64 chunks = DIV_ROUND_UP(nr_pages, RM_CHUNK_PAGES);
	u64 supers = DIV_ROUND_UP(chunks, RM_SUPER_CHUNKS);

	l->state = BITS_TO_LONGS(nr_pages) * sizeof(long);
	l->pb_mt = l->state + nr_pages * sizeof(u16);
	l->chunk_md = ALIGN(l->pb_mt + pageblocks, 8);
	l->super_md = l->chunk_md + chunks * sizeof(struct rm_chunk_md);
	l->chunk_dirty = l->super_md + supers * sizeof(struct rm_super_md);
	l->super_dirty = l->chunk_dirty + BITS_TO_LONGS(chunks) * sizeof(long);
	l->end = l->super_dirty + BITS_TO_LONGS(supers) * sizeof(long);
}

/**
 * rm_meta_bytes - metadata bytes a block of @nr_pages needs
 * @nr_pages: pages in the block
 *
 * Return: bytes of bitmap, state, pageblock, summary and dirty arrays.
 */
u64 rm_meta_bytes(u64 nr_pages)
{
	struct meta_layout l;

	meta_layout(nr_pages, &l);
	return l.end;
}

/**
 * rm_meta_pages - whole pages a block of @nr_pages gives to its metadata
 * @nr_pages: pages in the block
 *
 * Return: rm_meta_bytes() rounded up to pages.
 */
u64 rm_meta_pages(u64 nr_pages)
{
	return DIV_ROUND_UP(rm_meta_bytes(nr_pages), PAGE_SIZE);
}

static bool overlaps_any(const struct rm_region *rg, u64 pfn, u64 nr)
{
	unsigned int i;

	for (i = 0; i < rg->nr_blocks; i++) {
		const struct rm_block *b = &rg->block[i];

		if (pfn < b->base_pfn + b->nr_pages && b->base_pfn < pfn + nr)
			return true;
	}
	return false;
}

/**
 * rm_region_add - register one block (setup step 1)
 * @rg: the region, not yet enabled
 * @base_pfn: first page frame
 * @nr_pages: pages in the block
 * @nid: node of every page in the block
 * @range: index of the ranges= entry it comes from
 *
 * Return: 0; -EINVAL when @nr_pages is 0, the block wraps around or the
 * region is already enabled; -EEXIST when it overlaps a registered block;
 * -ENOSPC when RM_MAX_BLOCKS are registered already or the block is too
 * small to hold its own metadata and one more page.
 */
int rm_region_add(struct rm_region *rg, u64 base_pfn, u64 nr_pages, int nid,
		  unsigned int range)
{
	struct rm_block *b;
	unsigned int i;

	if (rg->enabled || !nr_pages || base_pfn + nr_pages < base_pfn)
		return -EINVAL;
	if (overlaps_any(rg, base_pfn, nr_pages))
		return -EEXIST;
	if (rg->nr_blocks == RM_MAX_BLOCKS || nr_pages <= rm_meta_pages(nr_pages))
		return -ENOSPC;

	/* keep the table sorted by pfn for rm_region_find() */
	for (i = rg->nr_blocks; i > 0 && rg->block[i - 1].base_pfn > base_pfn;
	     i--)
		rg->block[i] = rg->block[i - 1];
	b = &rg->block[i];
	memset(b, 0, sizeof(*b));
	b->base_pfn = base_pfn;
	b->nr_pages = nr_pages;
	b->nid = nid;
	b->range = range;
	rg->nr_blocks++;
	return 0;
}

/*
 * First pfn after @start, up to @end, whose node differs from @nid (which is
 * @start's), or @end.  Samples every RM_NODE_PROBE_PAGES and bisects where
 * the node changes, so a 16 GiB range costs 8192 lookups; an island of
 * another node shorter than the step and ending before the next sample is
 * not seen, which firmware NUMA tables do not describe.
 */
static u64 node_piece_end(u64 start, u64 end, int nid,
			  rm_pfn_nid_fn pfn_nid, void *arg)
{
	u64 lo = start, hi, mid;

	for (;;) {
		hi = min(lo + RM_NODE_PROBE_PAGES, end - 1);
		if (hi == lo)
			return end;
		if (pfn_nid(hi, arg) != nid)
			break;
		lo = hi;
	}
	/* pfn_nid(lo) == nid and pfn_nid(hi) != nid */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (pfn_nid(mid, arg) == nid)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/**
 * rm_region_add_range - register a range, one block per node it spans
 * @rg: the region, not yet enabled
 * @base_pfn: first page frame of the range
 * @nr_pages: pages in the range
 * @range: index of the ranges= entry
 * @pfn_nid: returns the node of a pfn
 * @arg: passed to @pfn_nid
 *
 * Either every piece is registered or, on error, none is.
 *
 * Return: 0, or the first error rm_region_add() would give for a piece.
 */
int rm_region_add_range(struct rm_region *rg, u64 base_pfn, u64 nr_pages,
			unsigned int range, rm_pfn_nid_fn pfn_nid, void *arg)
{
	u64 end = base_pfn + nr_pages, pfn, next;
	unsigned int pieces = 0;
	int pass, nid, ret;

	if (rg->enabled || !nr_pages || end < base_pfn)
		return -EINVAL;
	if (overlaps_any(rg, base_pfn, nr_pages))
		return -EEXIST;
	/* pass 0 checks every piece, pass 1 registers them */
	for (pass = 0; pass < 2; pass++) {
		for (pfn = base_pfn; pfn < end; pfn = next) {
			nid = pfn_nid(pfn, arg);
			next = node_piece_end(pfn, end, nid, pfn_nid, arg);
			if (pass) {
				ret = rm_region_add(rg, pfn, next - pfn, nid,
						    range);
				if (WARN_ON_ONCE(ret))
					return ret;
				continue;
			}
			if (next - pfn <= rm_meta_pages(next - pfn) ||
			    rg->nr_blocks + ++pieces > RM_MAX_BLOCKS)
				return -ENOSPC;
		}
	}
	return 0;
}

/* Word @i of the probe, at physical address @phys: never 0 nor all ones. */
static u64 probe_word(u64 phys, u64 i)
{
	return (phys + i * sizeof(u64)) ^ 0xa5a5a5a5a5a5a5a5ULL;
}

/**
 * rm_block_meta_probe_fill - write the probe over a block's metadata pages
 * @b: a registered block whose vaddr is set
 *
 * Every word of every page rm_region_enable() will carve gets a value of
 * its own (its address, scrambled), so memory that reads back all zeroes
 * or all ones, or one address that aliases another, shows.  The glue then
 * pushes the writes out of the cache and calls rm_block_meta_probe_check().
 */
void rm_block_meta_probe_fill(struct rm_block *b)
{
	u64 *w = b->vaddr, phys = b->base_pfn << PAGE_SHIFT, i;
	u64 n = rm_meta_pages(b->nr_pages) * (PAGE_SIZE / sizeof(u64));

	for (i = 0; i < n; i++)
		WRITE_ONCE(w[i], probe_word(phys, i));
}

/**
 * rm_block_meta_probe_check - did the metadata pages keep the probe?
 * @b: the block, after rm_block_meta_probe_fill()
 * @wrote: set to the word written where it did not
 * @read: set to what was read back there
 *
 * Return: the byte offset in the block of the first word that did not keep
 * what was written, or U64_MAX when all did.
 */
u64 rm_block_meta_probe_check(const struct rm_block *b, u64 *wrote, u64 *read)
{
	const u64 *w = b->vaddr;
	u64 phys = b->base_pfn << PAGE_SHIFT, i, v;
	u64 n = rm_meta_pages(b->nr_pages) * (PAGE_SIZE / sizeof(u64));

	for (i = 0; i < n; i++) {
		v = READ_ONCE(w[i]);
		if (v != probe_word(phys, i)) {
			*wrote = probe_word(phys, i);
			*read = v;
			return i * sizeof(u64);
		}
	}
	return U64_MAX;
}

/**
 * rm_region_enable - carve metadata from the blocks (setup step 2)
 * @rg: the region; every block's vaddr must be set
 *
 * Zeroes each block's metadata, marks the metadata pages in use and the
 * rest free.  After this the block table is fixed.
 *
 * Return: 0, or -EINVAL when a block has no vaddr or @rg is enabled already.
 */
int rm_region_enable(struct rm_region *rg)
{
	struct meta_layout l;
	unsigned int i;
	u8 *base;
	u64 n, p;

	if (rg->enabled)
		return -EINVAL;
	for (i = 0; i < rg->nr_blocks; i++)
		if (WARN_ON_ONCE(!rg->block[i].vaddr))
			return -EINVAL;

	for (i = 0; i < rg->nr_blocks; i++) {
		struct rm_block *b = &rg->block[i];

		n = b->nr_pages;
		meta_layout(n, &l);
		base = b->vaddr;
		b->bitmap = b->vaddr;
		b->state = (u16 *)(base + l.state);
		b->pb_mt = base + l.pb_mt;
		b->nr_chunks = DIV_ROUND_UP(n, RM_CHUNK_PAGES);
		b->nr_supers = DIV_ROUND_UP(b->nr_chunks, RM_SUPER_CHUNKS);
		b->chunk_md = (struct rm_chunk_md *)(base + l.chunk_md);
		b->super_md = (struct rm_super_md *)(base + l.super_md);
		b->chunk_dirty = (unsigned long *)(base + l.chunk_dirty);
		b->super_dirty = (unsigned long *)(base + l.super_dirty);
		b->meta_pages = rm_meta_pages(n);
		memset(b->vaddr, 0, l.end);
		/* every summary starts stale: memarea computes it first */
		rm_bitmap_set(b->chunk_dirty, 0, b->nr_chunks);
		rm_bitmap_set(b->super_dirty, 0, b->nr_supers);
		rm_bitmap_set(b->bitmap, 0, b->meta_pages);
		for (p = 0; p < b->meta_pages; p++)
			b->state[p] = rm_ps_make(RM_PK_META, 0, 0, false);
		b->free_pages = n - b->meta_pages;
	}
	rg->enabled = true;
	return 0;
}

/**
 * rm_block_mark_used - pages leave the free lists
 * @b: the block
 * @pfn: first page
 * @nr: pages
 *
 * Sets their bitmap bits and marks the chunks' summaries stale.
 */
void rm_block_mark_used(struct rm_block *b, u64 pfn, u64 nr)
{
	rm_bitmap_set(b->bitmap, pfn - b->base_pfn, nr);
	mark_dirty(b, pfn - b->base_pfn, nr);
}

/**
 * rm_block_mark_free - pages join the free lists
 * @b: the block
 * @pfn: first page
 * @nr: pages
 *
 * Clears their bitmap bits and marks the chunks' summaries stale.
 */
void rm_block_mark_free(struct rm_block *b, u64 pfn, u64 nr)
{
	rm_bitmap_clear(b->bitmap, pfn - b->base_pfn, nr);
	mark_dirty(b, pfn - b->base_pfn, nr);
}

/**
 * rm_region_find - the block holding @pfn
 * @rg: the region
 * @pfn: a page frame number
 *
 * Return: the block, or NULL when no block holds @pfn.
 */
struct rm_block *rm_region_find(struct rm_region *rg, u64 pfn)
{
	unsigned int lo = 0, hi = rg->nr_blocks, mid;
	struct rm_block *b;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		b = &rg->block[mid];
		if (pfn < b->base_pfn)
			hi = mid;
		else if (pfn >= b->base_pfn + b->nr_pages)
			lo = mid + 1;
		else
			return b;
	}
	return NULL;
}

/**
 * rm_region_virt_to_pfn - the pfn of a page in resmem's mapping of a block
 * @rg: the region, enabled
 * @addr: an address inside some block's mapping (b->vaddr)
 *
 * A linear walk of the blocks, for callers that keep a page's address
 * instead of its pfn and need the pfn only to free it.
 *
 * Context: any; takes no lock (the block table is fixed once enabled).
 * Return: the pfn, or RM_NO_PFN when no block maps @addr.
 */
u64 rm_region_virt_to_pfn(const struct rm_region *rg, const void *addr)
{
	const char *a = addr;
	unsigned int i;

	for (i = 0; i < rg->nr_blocks; i++) {
		const struct rm_block *b = &rg->block[i];
		const char *v = b->vaddr;

		if (v && a >= v && a < v + (b->nr_pages << PAGE_SHIFT))
			return b->base_pfn + ((a - v) >> PAGE_SHIFT);
	}
	return RM_NO_PFN;
}

/* The sum over every block of @per_block(its page count). */
static u64 sum_blocks(const struct rm_region *rg, u64 (*per_block)(u64))
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < rg->nr_blocks; i++)
		n += per_block(rg->block[i].nr_pages);
	return n;
}

static u64 pages_of(u64 nr_pages)
{
	return nr_pages;
}

/**
 * rm_region_total_pages - pages in all blocks, metadata included
 * @rg: the region
 *
 * Return: the page count.
 */
u64 rm_region_total_pages(const struct rm_region *rg)
{
	return sum_blocks(rg, pages_of);
}

/**
 * rm_region_meta_pages - pages carved for metadata in all blocks
 * @rg: the region
 *
 * Return: the page count; valid before enable too.
 */
u64 rm_region_meta_pages(const struct rm_region *rg)
{
	return sum_blocks(rg, rm_meta_pages);
}

/**
 * rm_region_meta_bytes - bytes of metadata actually used in all blocks
 * @rg: the region
 *
 * Return: the byte count; valid before enable too.
 */
u64 rm_region_meta_bytes(const struct rm_region *rg)
{
	return sum_blocks(rg, rm_meta_bytes);
}
