// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: xcf, the core half
 *
 * xcf, the core half: a size-class allocator of objects of 1 to PAGE_SIZE
 * bytes (compressed pages, for zswap), after Nitin Gupta's xcfmalloc design
 * of 2011 (linux-mm, "frontswap/zcache: xvmalloc discussion").  The kernel
 * glue maps objects and registers the zpool; nothing here knows about
 * mappings, so it builds in userspace for the unit tests
 * (selftests/unit/test_xcf.c).
 *
 * Vpages.  A class stores its objects in vpages: arrays of @pages order-0
 * pages taken one by one from the resmem buddy (rm_buddy_alloc(), kind
 * RM_PK_XCF, unmovable), not necessarily contiguous.  Slots lie end to end
 * in the vpage's logical bytes [0, pages * PAGE_SIZE): slot i at i * slot.
 * A slot is at most PAGE_SIZE bytes, so an object crosses at most one page
 * boundary.  A page of a vpage is present only while a live object touches
 * it: the last object out gives it back to the buddy on its own (partial
 * free), and an allocation into one of its slots takes a page again.  A
 * vpage exists only while it holds a live object.
 *
 * Slot and header.  A slot is RM_XCF_HDR_SIZE bytes of back reference (the
 * index of the object's handle entry, for compaction to update) and then
 * the object.  Slot sizes are multiples of 8 and so is PAGE_SIZE, so the
 * 4-byte header never crosses a page.  The one class whose slot is
 * PAGE_SIZE has no header (it holds objects of up to PAGE_SIZE bytes, one
 * per single-page vpage) and keeps the back reference in the descriptor.
 *
 * Handles.  rm_xcf_malloc() returns index << 16 | generation of an entry of
 * the handle table; index 0 and 1 are a table page header, so 0 is never a
 * handle.  An entry (u64) holds:
 *
 *	bit  0		live
 *	bit  1		mapped
 *	bits 2-3	RM_XCF_MAP_* mode of the mapping
 *	bits 4-19	generation: bumped when the handle is freed
 *	bits 20-29	slot in the vpage
 *	bits 30-61	vpage id (a record of the vpage table)
 *
 * A free entry keeps its generation and links the page's free entries in
 * bits 48-63.  A handle whose entry is not live or whose generation differs
 * is refused with a warning before anything is touched but the table,
 * whose pages the pool holds: no freed memory is read.
 *
 * Tables.  The handle table (8-byte records) and the vpage table
 * (256-byte descriptors, struct rm_xcf_vpage) are struct rm_xcf_tab:
 * record pages from the buddy, found through directory pages from the
 * buddy, found through a root array allocated at create (10 bytes per
 * directory page, that is per 512 record pages, for as many records as the
 * region could need).  Root and directory entries hold the kernel address
 * of the page below, so that finding a record costs two loads and no
 * search of the region's blocks (which a pfn would: a third of a
 * malloc-map-free cycle's instructions went there, measured with callgrind);
 * the pfn is looked up only to give a page back.  A record page starts with a 16-byte header (free
 * list, partial-page links, used count) and goes back to the buddy when
 * its last record is freed; a directory page when its last record page
 * is.  So the malloc path allocates nothing but non-sleeping order-0
 * buddy pages, and xcf's metadata costs no kernel RAM beyond the pool, its
 * classes, its per-CPU heaps and the root.  Per object: 8 bytes of handle
 * entry and RM_XCF_HDR_SIZE (4) bytes in the slot, 12 bytes, plus 256
 * bytes per vpage (the test checks rm_xcf_pool_stats.meta_pages against
 * this).
 *
 * Classes.  Slots from RM_XCF_MIN_SLOT (32) to PAGE_SIZE in RM_XCF_CLASS_STEP
 * (16) steps; each slot size gets the pages per vpage, 1 to RM_XCF_VPAGE_MAX
 * (16), that waste the smallest fraction of the vpage at its end
 * (zsmalloc's get_pages_per_zspage() rule, with up to 16 pages instead of
 * 4, the fewest among equals) and at most RM_XCF_MAX_OBJS (512) slots, the
 * size of a descriptor's slot bitmap (64 bytes; 32-byte slots fill it in
 * 4 pages).  Slot sizes whose vpages have the same pages and slots merge
 * into the largest, as in zsmalloc: 192 classes.
 *
 * Why 16 and 16: measured by selftests/bench/xcfsizes.c (make -C
 * selftests/bench xcfsizes XCFSIZES_ARGS="-n 100000 -s 1") on the page
 * stream of selftests/kselftest/pagestream.h, seed 1, 100000 pages (10%
 * zero, 35% text, 20% repeated patterns, 25% random then zero, 10%
 * random), compressed with LZO1X-1 (liblzo2 2.10).  Left out as zswap 6.1
 * leaves them out of its allocator: 9972 same-filled pages (zswap keeps
 * those itself) and 9928 that do not compress below 4096 bytes.  Of the
 * 80100 stored, mean 1622 bytes: 0.3% below 256 bytes, 16.4% 256-511,
 * 12.3% 512-767, 1.9 to 2.7% in each 256-byte band from 768 to 1791,
 * 45.2% 1792-2047 (the text pages), 1.4 to 2.8% in each band above.
 * Pages per 100 stored pages, metadata included (zsmalloc: its 8-byte
 * handles, not its slab and zspage overhead; xcf: 8-byte entries and
 * 256-byte descriptors):
 *
 *	all bytes end to end			39.62
 *	zsmalloc 6.1, 16-byte steps, <= 4 pages	43.35	(69 classes)
 *	xcf, 16-byte steps, <= 4 pages		45.58	(69)
 *	xcf, 16-byte steps, <= 8 pages		41.46	(119)
 *	xcf, 16-byte steps, <= 16 pages		40.83	(192)
 *	xcf, 8-byte steps, <= 16 pages		40.74	(301)
 *	xcf, 32-byte steps, <= 16 pages		41.09	(113)
 *
 * and this file, as built, storing the same objects: 40.83.  Long vpages
 * win (partial free makes them cost only the pages their objects touch,
 * and the tail waste shrinks); 8-byte steps save a further 0.2% for 109
 * more classes, each with a per-CPU heap that may hold a vpage idle, so
 * the step is 16.  With 4 pages a descriptor per few pages costs more
 * than zsmalloc's struct page based metadata.
 *
 * Heaps (Hoard).  Each class has a global heap and one heap per CPU
 * (struct rm_xcf_heap), each owning vpages (rm_xcf_vpage.owner) in five
 * fullness groups.  rm_xcf_malloc() on CPU c allocates from c's heap, from
 * the vpage of its fullest group; when the heap has no free slot it takes
 * the fullest vpage of the global heap that has one, else a new vpage.
 * rm_xcf_free() frees into the heap that owns the vpage.  Hoard's invariant
 * bounds what per-CPU heaps hold idle: for every class and CPU heap with u
 * live objects in a slots,
 *
 *	a - u <= RM_XCF_HOARD_K * objs   or   u >= (1 - f) * a,  f = 1/4
 *
 * so a CPU heap's empty slots are at most max(objs, a / 4).  A free that
 * breaks it gives the heap's sparsest vpages to the global heap until it
 * holds again; an allocation cannot break it (a heap only takes a vpage
 * when all of its own are full).  f = 1/4 is Hoard's value; K = 1 lets a CPU
 * keep the vpage it is filling.  The test checks the invariant after every
 * operation.
 *
 * Compaction.  Within a class's global heap: move each object that is not
 * mapped out of a sparse source vpage into a free slot, in a page already
 * present, of another vpage that holds at least as many objects as the
 * source then does, rewrite its handle entry (under the meta lock: the
 * handle stays valid), and free the source when it empties.  Moving an
 * object from a vpage of a objects to one of b >= a raises the sum of the
 * squares of the vpages' object counts by 2 (b - a) + 2, so any sequence of
 * moves ends; moving only into present pages means compaction allocates
 * nothing, cannot fail and never uses more pages than before; a mapped
 * object never moves.  Two callers choose sources and destinations.
 *
 * rm_xcf_compact(), on demand, first gives every CPU heap's non-full vpages
 * to the global heaps, then compacts each class until no source is left:
 * the sparsest vpage with an object that is not mapped and that this run
 * (rm_xcf_class.seq) has not visited, each object into the fullest other
 * vpage that qualifies, both found by scanning the whole global heap.  It
 * keeps a destination while it has a free present slot (the scan would
 * choose it again: it only grows, the source only shrinks, nothing else
 * changes) and lets go of the class lock between sources.  A source it
 * cannot empty (no vpage at least as full has room in present pages, or
 * the class has no other vpage) is then packed into itself: from its
 * highest slot down, each object that is not mapped moves into the lowest
 * free slot in present pages while that slot lies lower, so its last pages
 * empty and go back (each move lowers a slot, so packing ends).  Without
 * it, the vpages left after a free of half the objects at random kept
 * nearly all their pages: on zswapbench's stream compaction then left 4.3
 * to 5.4% more pages than zs_compact() did.  So each hold of the class lock
 * scans the class's vpages once for the source and once per destination
 * (and packs at most one vpage): linear in the vpages, which only the
 * on-demand call may do.
 *
 * Automatically, a free or a return into a global heap does one bounded
 * step when the heap's freeable pages (present minus the fewest that hold
 * its objects) are at least one vpage's and more than RM_XCF_COMPACT_NUM /
 * RM_XCF_COMPACT_DEN (1/4) of its pages.  A step's searches look at no more
 * than RM_XCF_SCAN (8) vpages from the head of each group they search and
 * move each to the tail of its group, so the next step looks at the next
 * ones and steps go round the whole group.  The source: the sparsest with
 * an object that is not mapped among those looked at in groups 4, 3, 2 and
 * 1, stopping at the first group with one.  A destination: the fullest that
 * qualifies among those looked at in groups 1 up to the source's, stopping
 * the same way; it is kept while it has a free present slot, and a step
 * searches for at most RM_XCF_DESTS (4).  So one step looks at no more than
 * RM_XCF_STEP_VISITS = (1 + 4) * 4 * 8 = 160 descriptors (40 KiB of them)
 * whatever the number of vpages, and moves at most the source's objects:
 * fewer than RM_XCF_MAX_OBJS (512), and RM_XCF_VPAGE_MAX (16) pages of bytes.
 * On top of that, each source object costs one handle entry read, and each
 * destination looked at and each move one walk of a slot bitmap
 * (slot_pick(), at most 512 bits).  rm_xcf_pool_stats.step_visits and
 * .step_moves record the largest step; the unit test checks the bound on a
 * heap of 3000 vpages, where the former whole-heap scan looked at 3004
 * descriptors in one step.  A step that finds no source or destination
 * among those it looks at moves nothing and the next one looks further, so
 * 1/4 is where compaction starts, not a bound: mapped objects and room only
 * in absent pages can leave a heap sparser.  Steps do not start runs of
 * rm_xcf_compact(), so they do not make one revisit its sources; their
 * rotations change the order in which it breaks ties between equal
 * vpages, nothing else.
 *
 * Why 8 and 4: measured with a userspace driver over src/core (4 CPUs, not
 * kept in the tree), against the whole-heap scan: 60000 objects of 700, 1500
 * or 3000 bytes, 70% freed at random (one class, thousands of vpages); and
 * 30000 objects of zswap-like sizes (45% 1792-2047 bytes) churned, then
 * freed at random down to 5000.  Wherever RM_XCF_SCAN lies from 2 to 32,
 * automatic compaction holds the one-class heaps at the 4/3 of the fewest
 * pages where it starts, as the scan did (whose largest step looked at
 * 10090 to 19714 descriptors; with 8 and 4, 56 at most), and the pages
 * after a full rm_xcf_compact() differ from the scan's by 0.3% at most; 8
 * leaves a search room to pass over mapped vpages (zswap maps an object
 * while it copies it) at a small bound.  After the shrink, with 4
 * destinations a step left 0.2 to 0.5% more pages than the scan, with one
 * 0.8 to 1.3%: a source from group 4 holds under a quarter of a vpage, and
 * a few vpages from group 1 have room for it unless their free slots lie
 * in absent pages.
 *
 * Map.  rm_xcf_map() marks the entry mapped (compaction skips it, a second
 * map is refused with -EBUSY, a free warns and does nothing) and fills a
 * struct rm_xcf_loc with the one or two pieces of the object's bytes and
 * whether they are contiguous in the kernel's mapping; rm_xcf_unmap() clears
 * the mark and gives the pieces and the mode back, for the glue to copy a
 * split object back after a write.
 *
 * Locking (the module's lock order: include/resmem/resmem.h, item 11).
 * Three kinds of spinlocks, taken with interrupts off:
 *
 *	heap lock	(struct rm_xcf_heap.lock of a CPU heap) its lists and
 *			counters, and the vpages it owns: their descriptors,
 *			slots and bytes
 *	class lock	(the global heap's lock) the same for the global heap
 *	meta lock	(rm_xcf_pool.meta_lock) the two tables, every handle
 *			entry, the pool's page counters
 *
 * Order: CPU heap lock, then class lock, then meta lock, then the buddy's
 * (pcp, zone).  Never two CPU heap locks at once, never two class locks.
 * A vpage's owner changes only under both the old and the new owner's
 * locks; an object moves and its entry changes only under the owner's
 * lock, and the entry is written under the meta lock as well.  So a caller
 * with a handle reads the entry and the vpage's owner under the meta lock,
 * takes the owner's lock, and checks under the meta lock that neither
 * changed (else it starts again): then the object stays where the entry
 * says.  Nothing sleeps; rm_xcf_malloc(), rm_xcf_free(), rm_xcf_map(),
 * rm_xcf_unmap(), rm_xcf_drain() and rm_xcf_total_pages() work in any
 * context that may take a spinlock.
 */
#include <resmem/xcf.h>

#define HE_LIVE		BIT_ULL(0)
#define HE_MAPPED	BIT_ULL(1)
#define HE_MODE_SHIFT	2
#define HE_MODE_MASK	3ULL
#define HE_GEN_SHIFT	4
#define HE_GEN_MASK	0xffffULL
#define HE_SLOT_SHIFT	20
#define HE_SLOT_MASK	0x3ffULL
#define HE_VP_SHIFT	30
#define HE_VP_MASK	0xffffffffULL
/* Free records link to the next free record of their page here. */
#define TAB_LINK_SHIFT	48
#define TAB_KEEP	(BIT_ULL(TAB_LINK_SHIFT) - 1)

#define HANDLE_GEN_BITS	16

/**
 * struct rm_xcf_tab_hdr - the first 16 bytes of a record page
 * @next:	next page number with a free record, or RM_XCF_NIL
 * @prev:	previous one, or RM_XCF_NIL
 * @used:	records handed out
 * @free:	first free record, 0 when none
 * @pad:	to 16 bytes, so records after the header stay aligned
 */
struct rm_xcf_tab_hdr {
	u32 next;
	u32 prev;
	u16 used;
	u16 free;
	u32 pad;
};

/**
 * struct rm_xcf_vpage - a vpage descriptor, a record of the vpage table
 * @pfn:	each page, RM_NO_PFN while not present
 * @used:	one bit per slot, set when live
 * @live:	live objects touching each page
 * @next:	next vpage id in the owner's fullness group (0: none)
 * @prev:	previous one (0: none)
 * @owner:	CPU number of the heap that owns it, or RM_XCF_GLOBAL
 * @backref:	handle index of the object, in the class without header
 * @inuse:	live objects
 * @mapped:	of those, mapped
 * @cls:	class index
 * @group:	fullness group it is listed in
 * @present:	pages present
 * @seq:	the rm_xcf_compact() run that last visited it as a source
 */
struct rm_xcf_vpage {
	u64 pfn[RM_XCF_VPAGE_MAX];
	unsigned long used[RM_XCF_OBJ_WORDS];
	u16 live[RM_XCF_VPAGE_MAX];
	u32 next;
	u32 prev;
	u32 owner;
	u32 backref;
	u16 inuse;
	u16 mapped;
	u16 cls;
	u8 group;
	u8 present;
	u16 seq;
};

#define VP_SHIFT	8

/* --- pages --- */

static void *pfn_virt(struct rm_xcf_pool *pool, u64 pfn)
{
	struct rm_block *blk = rm_region_find(pool->b->rg, pfn);

	return rm_block_pfn_to_virt(blk, pfn);
}

/* One page from the buddy, counted; meta lock held. */
static u64 page_get(struct rm_xcf_pool *pool, unsigned int flags)
{
	u64 pfn = rm_buddy_alloc(pool->b, 0, pool->nid, flags, RM_PK_XCF);

	if (pfn != RM_NO_PFN)
		pool->pages++;
	return pfn;
}

static void page_put(struct rm_xcf_pool *pool, u64 pfn)
{
	rm_buddy_free(pool->b, pfn, 0);
	pool->pages--;
}

/*
 * A table's root and directory entries hold the kernel address of the
 * page below (0: none), not its pfn: every handle and descriptor access
 * goes through two of them, and a pfn would cost a block search each.
 */
static u64 tab_ref(void *page)
{
	return (u64)(uintptr_t)page;
}

static void *tab_deref(u64 ref)
{
	return (void *)(uintptr_t)ref;
}

/* Give back the table page whose entry is @ref. */
static void tab_page_put(struct rm_xcf_pool *pool, u64 ref)
{
	page_put(pool, rm_region_virt_to_pfn(pool->b->rg, tab_deref(ref)));
}

/* --- tables: records in pages from the buddy (meta lock held) --- */

static int tab_init(struct rm_xcf_tab *t, unsigned int shift, u64 max_records)
{
	u64 per_page, pages;

	t->shift = shift;
	t->first = DIV_ROUND_UP(sizeof(struct rm_xcf_tab_hdr), 1U << shift);
	per_page = (PAGE_SIZE >> shift) - t->first;
	pages = DIV_ROUND_UP(max_records, per_page);
	t->nr_root = max_t(u64, 1, DIV_ROUND_UP(pages, RM_XCF_DIR_ENTRIES));
	t->partial = RM_XCF_NIL;
	t->root = rm_zalloc(t->nr_root * sizeof(*t->root));
	t->dir_used = rm_zalloc(t->nr_root * sizeof(*t->dir_used));
	if (!t->root || !t->dir_used)
		return -ENOMEM;
	return 0;
}

static u64 *tab_dir(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u32 d)
{
	return tab_deref(t->root[d]);
}

/* Kernel address of record page @pn, or NULL when it is not present. */
static void *tab_page(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u32 pn)
{
	u32 d = pn / RM_XCF_DIR_ENTRIES;
	u64 *dir;

	if (d >= t->nr_root)
		return NULL;
	dir = tab_dir(pool, t, d);
	return dir ? tab_deref(dir[pn % RM_XCF_DIR_ENTRIES]) : NULL;
}

/* Record @idx, or NULL when its page is not present or it is a header. */
static void *tab_rec(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u64 idx)
{
	u32 per = PAGE_SIZE >> t->shift;
	char *page;

	if (idx % per < t->first || idx / per >= (u64)t->nr_root *
	    RM_XCF_DIR_ENTRIES)
		return NULL;
	page = tab_page(pool, t, idx / per);
	return page ? page + ((idx % per) << t->shift) : NULL;
}

static struct rm_xcf_tab_hdr *tab_hdr(struct rm_xcf_pool *pool,
				      struct rm_xcf_tab *t, u32 pn)
{
	return tab_page(pool, t, pn);
}

static void tab_list_del(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u32 pn,
			 struct rm_xcf_tab_hdr *h)
{
	if (h->prev != RM_XCF_NIL)
		tab_hdr(pool, t, h->prev)->next = h->next;
	else
		t->partial = h->next;
	if (h->next != RM_XCF_NIL)
		tab_hdr(pool, t, h->next)->prev = h->prev;
}

static void tab_list_add(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u32 pn,
			 struct rm_xcf_tab_hdr *h)
{
	h->prev = RM_XCF_NIL;
	h->next = t->partial;
	if (t->partial != RM_XCF_NIL)
		tab_hdr(pool, t, t->partial)->prev = pn;
	t->partial = pn;
}

/*
 * A new record page: the lowest page number not in use, its directory
 * page taken first if need be.  Every record is free, linked in order, its
 * first word @init below the link.  Return: its page number, or RM_XCF_NIL.
 */
static u32 tab_grow(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u64 init)
{
	u32 per = PAGE_SIZE >> t->shift, d, i, pn = RM_XCF_NIL;
	struct rm_xcf_tab_hdr *h;
	u64 *dir, pfn;
	char *page;

	for (d = 0; d < t->nr_root; d++)
		if (t->dir_used[d] < RM_XCF_DIR_ENTRIES)
			break;
	if (d == t->nr_root)
		return RM_XCF_NIL;
	if (!t->root[d]) {
		pfn = page_get(pool, RM_ALLOC_ZERO);
		if (pfn == RM_NO_PFN)
			return RM_XCF_NIL;
		t->root[d] = tab_ref(pfn_virt(pool, pfn));
		t->pages++;
	}
	dir = tab_dir(pool, t, d);
	for (i = 0; i < RM_XCF_DIR_ENTRIES; i++)
		if (!dir[i])
			break;
	pfn = page_get(pool, 0);
	if (pfn == RM_NO_PFN)
		goto out_dir;
	page = pfn_virt(pool, pfn);
	dir[i] = tab_ref(page);
	t->dir_used[d]++;
	t->pages++;
	pn = d * RM_XCF_DIR_ENTRIES + i;
	for (i = t->first; i < per; i++)
		*(u64 *)(page + (i << t->shift)) = (init & TAB_KEEP) |
			(u64)(i + 1 < per ? i + 1 : 0) << TAB_LINK_SHIFT;
	h = (struct rm_xcf_tab_hdr *)page;
	h->used = 0;
	h->free = t->first;
	tab_list_add(pool, t, pn, h);
	return pn;

out_dir:
	if (!t->dir_used[d]) {
		tab_page_put(pool, t->root[d]);
		t->root[d] = 0;
		t->pages--;
	}
	return RM_XCF_NIL;
}

/*
 * Take a record; a new page's records start with @init in their first
 * word.  Return: its index, or 0 when no page could be had.
 */
static u64 tab_alloc(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u64 init)
{
	u32 per = PAGE_SIZE >> t->shift, pn = t->partial;
	struct rm_xcf_tab_hdr *h;
	u64 *rec;
	u16 r;

	if (pn == RM_XCF_NIL)
		pn = tab_grow(pool, t, init);
	if (pn == RM_XCF_NIL)
		return 0;
	h = tab_hdr(pool, t, pn);
	r = h->free;
	rec = (u64 *)((char *)h + ((u32)r << t->shift));
	h->free = *rec >> TAB_LINK_SHIFT;
	h->used++;
	if (!h->free)
		tab_list_del(pool, t, pn, h);
	t->used++;
	return (u64)pn * per + r;
}

/*
 * Give back record @idx, whose first word's low 48 bits the caller has
 * set; the page goes back to the buddy when it was the last one used.
 */
static void tab_free(struct rm_xcf_pool *pool, struct rm_xcf_tab *t, u64 idx)
{
	u32 per = PAGE_SIZE >> t->shift, pn = idx / per, d;
	struct rm_xcf_tab_hdr *h = tab_hdr(pool, t, pn);
	u64 *rec = (u64 *)((char *)h + ((idx % per) << t->shift)), *dir;

	*rec = (*rec & TAB_KEEP) | (u64)h->free << TAB_LINK_SHIFT;
	if (!h->free)
		tab_list_add(pool, t, pn, h);
	h->free = idx % per;
	h->used--;
	t->used--;
	if (h->used)
		return;
	tab_list_del(pool, t, pn, h);
	d = pn / RM_XCF_DIR_ENTRIES;
	dir = tab_dir(pool, t, d);
	tab_page_put(pool, dir[pn % RM_XCF_DIR_ENTRIES]);
	dir[pn % RM_XCF_DIR_ENTRIES] = 0;
	t->pages--;
	if (--t->dir_used[d])
		return;
	tab_page_put(pool, t->root[d]);
	t->root[d] = 0;
	t->pages--;
}

/* Every page of the table back to the buddy, and the root. */
static void tab_destroy(struct rm_xcf_pool *pool, struct rm_xcf_tab *t)
{
	u32 d, i;
	u64 *dir;

	for (d = 0; t->root && d < t->nr_root; d++) {
		dir = tab_dir(pool, t, d);
		if (!dir)
			continue;
		for (i = 0; i < RM_XCF_DIR_ENTRIES; i++)
			if (dir[i])
				tab_page_put(pool, dir[i]);
		tab_page_put(pool, t->root[d]);
	}
	rm_free(t->root);
	rm_free(t->dir_used);
}

/* --- vpages --- */

static struct rm_xcf_vpage *vp_of(struct rm_xcf_pool *pool, u32 id)
{
	return tab_rec(pool, &pool->vpages, id);
}

static struct rm_xcf_heap *heap_of(struct rm_xcf_pool *pool, unsigned int cls,
				   u32 owner)
{
	if (owner == RM_XCF_GLOBAL)
		return &pool->cls[cls].global;
	return &rm_per_cpu_ptr(pool->pcpu, owner)->heap[cls];
}

static unsigned int group_of(const struct rm_xcf_class *c, unsigned int inuse)
{
	return inuse == c->objs ? 0 : 4 - 4 * inuse / c->objs;
}

/* Pages [*p0, *p1] that slot @s touches. */
static void slot_pages(const struct rm_xcf_class *c, u32 s, u32 *p0, u32 *p1)
{
	u32 start = s * c->slot;

	*p0 = start >> PAGE_SHIFT;
	*p1 = (start + c->slot - 1) >> PAGE_SHIFT;
}

/* Kernel address of byte @off of @vp, whose page is present. */
static void *vp_addr(struct rm_xcf_pool *pool, struct rm_xcf_vpage *vp, u32 off)
{
	return (char *)pfn_virt(pool, vp->pfn[off >> PAGE_SHIFT]) +
	       (off & (PAGE_SIZE - 1));
}

/* Heap list operations; the heap's lock held. */
static void vp_link(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		    struct rm_xcf_vpage *vp, u32 id)
{
	struct rm_xcf_class *c = &pool->cls[vp->cls];
	unsigned int g = group_of(c, vp->inuse);

	vp->group = g;
	vp->prev = 0;
	vp->next = h->head[g];
	if (vp->next)
		vp_of(pool, vp->next)->prev = id;
	else
		h->tail[g] = id;
	h->head[g] = id;
}

static void vp_unlink(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		      struct rm_xcf_vpage *vp)
{
	if (vp->prev)
		vp_of(pool, vp->prev)->next = vp->next;
	else
		h->head[vp->group] = vp->next;
	if (vp->next)
		vp_of(pool, vp->next)->prev = vp->prev;
	else
		h->tail[vp->group] = vp->prev;
}

/* Move @vp to the tail of its group, for a search to look further on. */
static void vp_rotate(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		      struct rm_xcf_vpage *vp, u32 id)
{
	u32 last = h->tail[vp->group];

	if (!vp->next)
		return;
	vp_unlink(pool, h, vp);
	vp->prev = last;
	vp->next = 0;
	vp_of(pool, last)->next = id;
	h->tail[vp->group] = id;
}

static void vp_regroup(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		       struct rm_xcf_vpage *vp, u32 id)
{
	if (group_of(&pool->cls[vp->cls], vp->inuse) == vp->group)
		return;
	vp_unlink(pool, h, vp);
	vp_link(pool, h, vp, id);
}

/* Add @vp to @h, or take it out, with its counts. */
static void heap_add(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		     struct rm_xcf_vpage *vp, u32 id, u32 owner)
{
	vp->owner = owner;
	vp_link(pool, h, vp, id);
	h->vpages++;
	h->capacity += pool->cls[vp->cls].objs;
	h->used += vp->inuse;
	h->pages += vp->present;
}

static void heap_del(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		     struct rm_xcf_vpage *vp)
{
	vp_unlink(pool, h, vp);
	h->vpages--;
	h->capacity -= pool->cls[vp->cls].objs;
	h->used -= vp->inuse;
	h->pages -= vp->present;
}

/*
 * The first vpage of the fullest group from @from to @to that is not
 * full, or 0.
 */
static u32 heap_first(struct rm_xcf_heap *h, unsigned int from, unsigned int to)
{
	unsigned int g;

	for (g = from; g <= to; g++)
		if (h->head[g])
			return h->head[g];
	return 0;
}

/* A new empty descriptor for class @cls, or 0; meta lock taken here. */
static u32 vp_new(struct rm_xcf_pool *pool, unsigned int cls)
{
	struct rm_xcf_vpage *vp;
	unsigned long irq;
	u32 id, i;

	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	id = tab_alloc(pool, &pool->vpages, 0);
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	if (!id)
		return 0;
	vp = vp_of(pool, id);
	memset(vp, 0, sizeof(*vp));
	for (i = 0; i < RM_XCF_VPAGE_MAX; i++)
		vp->pfn[i] = RM_NO_PFN;
	vp->cls = cls;
	return id;
}

static void vp_release(struct rm_xcf_pool *pool, u32 id)
{
	unsigned long irq;

	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	tab_free(pool, &pool->vpages, id);
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
}

/*
 * First free slot of @vp whose pages are present, or, unless
 * @present_only, the first free slot; c->objs when there is none.
 */
static u32 slot_pick(const struct rm_xcf_class *c, struct rm_xcf_vpage *vp,
		     bool present_only)
{
	u32 s, p0, p1, any = c->objs;

	for (s = rm_bitmap_next_zero(vp->used, c->objs, 0); s < c->objs;
	     s = rm_bitmap_next_zero(vp->used, c->objs, s + 1)) {
		slot_pages(c, s, &p0, &p1);
		if (vp->pfn[p0] != RM_NO_PFN && vp->pfn[p1] != RM_NO_PFN)
			return s;
		if (any == c->objs)
			any = s;
	}
	return present_only ? c->objs : any;
}

/*
 * Mark slot @s of @vp (in heap @h) live, taking the pages it needs that
 * are not present.  Return: 0, or -ENOMEM with nothing changed.
 */
static int slot_take(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		     struct rm_xcf_vpage *vp, u32 s)
{
	struct rm_xcf_class *c = &pool->cls[vp->cls];
	u32 p0, p1, p, got = 0;
	unsigned long irq;

	slot_pages(c, s, &p0, &p1);
	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	for (p = p0; p <= p1; p++) {
		if (vp->pfn[p] != RM_NO_PFN)
			continue;
		vp->pfn[p] = page_get(pool, 0);
		if (vp->pfn[p] == RM_NO_PFN)
			goto undo;
		got |= BIT(p - p0);
		pool->data_pages++;
	}
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	for (p = p0; p <= p1; p++)
		vp->live[p]++;
	vp->present += rm_popcount_word(got);
	h->pages += rm_popcount_word(got);
	rm_bitmap_set(vp->used, s, 1);
	vp->inuse++;
	h->used++;
	return 0;

undo:
	for (p = p0; p <= p1; p++) {
		if (!(got & BIT(p - p0)))
			continue;
		page_put(pool, vp->pfn[p]);
		vp->pfn[p] = RM_NO_PFN;
		pool->data_pages--;
	}
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	return -ENOMEM;
}

/* Mark slot @s of @vp free; pages no live object touches go back. */
static void slot_drop(struct rm_xcf_pool *pool, struct rm_xcf_heap *h,
		      struct rm_xcf_vpage *vp, u32 s)
{
	struct rm_xcf_class *c = &pool->cls[vp->cls];
	unsigned long irq;
	u32 p0, p1, p;

	slot_pages(c, s, &p0, &p1);
	rm_bitmap_clear(vp->used, s, 1);
	vp->inuse--;
	h->used--;
	for (p = p0; p <= p1; p++) {
		if (--vp->live[p])
			continue;
		rm_spin_lock_irqsave(&pool->meta_lock, irq);
		page_put(pool, vp->pfn[p]);
		pool->data_pages--;
		rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
		vp->pfn[p] = RM_NO_PFN;
		vp->present--;
		h->pages--;
	}
}

/* The handle index kept for slot @s of @vp. */
static u32 slot_backref(struct rm_xcf_pool *pool, struct rm_xcf_vpage *vp,
			u32 s)
{
	struct rm_xcf_class *c = &pool->cls[vp->cls];
	u32 ref;

	if (!c->hdr)
		return vp->backref;
	memcpy(&ref, vp_addr(pool, vp, s * c->slot), sizeof(ref));
	return ref;
}

static void slot_set_backref(struct rm_xcf_pool *pool, struct rm_xcf_vpage *vp,
			     u32 s, u32 ref)
{
	struct rm_xcf_class *c = &pool->cls[vp->cls];

	if (!c->hdr)
		vp->backref = ref;
	else
		memcpy(vp_addr(pool, vp, s * c->slot), &ref, sizeof(ref));
}

/* The pieces of slot @s's object. */
static void slot_loc(struct rm_xcf_pool *pool, struct rm_xcf_vpage *vp, u32 s,
		     struct rm_xcf_loc *loc)
{
	struct rm_xcf_class *c = &pool->cls[vp->cls];
	u32 off = s * c->slot + c->hdr, end = (s + 1) * c->slot, i;
	struct rm_block *b0, *b1;

	memset(loc, 0, sizeof(*loc));
	loc->len = c->size;
	loc->nr = 1;
	loc->seg[0].pfn = vp->pfn[off >> PAGE_SHIFT];
	loc->seg[0].off = off & (PAGE_SIZE - 1);
	loc->seg[0].len = min_t(u32, end - off, PAGE_SIZE - loc->seg[0].off);
	if (loc->seg[0].len < c->size) {
		loc->nr = 2;
		loc->seg[1].pfn = vp->pfn[(off >> PAGE_SHIFT) + 1];
		loc->seg[1].off = 0;
		loc->seg[1].len = c->size - loc->seg[0].len;
	}
	for (i = 0; i < loc->nr; i++)
		loc->seg[i].addr = (char *)pfn_virt(pool, loc->seg[i].pfn) +
				   loc->seg[i].off;
	if (loc->nr == 2 && loc->seg[1].pfn == loc->seg[0].pfn + 1) {
		b0 = rm_region_find(pool->b->rg, loc->seg[0].pfn);
		b1 = rm_region_find(pool->b->rg, loc->seg[1].pfn);
		loc->contig = b0 == b1;
	}
}

/* --- handles --- */

static u64 *entry_of(struct rm_xcf_pool *pool, u64 idx)
{
	return tab_rec(pool, &pool->handles, idx);
}

static u64 entry_make(u32 vp, u32 slot, u64 gen)
{
	return HE_LIVE | gen << HE_GEN_SHIFT | (u64)slot << HE_SLOT_SHIFT |
	       (u64)vp << HE_VP_SHIFT;
}

static u32 entry_vp(u64 e)
{
	return (e >> HE_VP_SHIFT) & HE_VP_MASK;
}

static u32 entry_slot(u64 e)
{
	return (e >> HE_SLOT_SHIFT) & HE_SLOT_MASK;
}

/*
 * The live entry of @handle, or NULL; meta lock held.  Reads only the
 * handle table, whose pages the pool holds.
 */
static u64 *entry_check(struct rm_xcf_pool *pool, unsigned long handle)
{
	u64 idx = handle >> HANDLE_GEN_BITS, *e;

	if (!handle)
		return NULL;
	e = entry_of(pool, idx);
	if (!e || !(*e & HE_LIVE) ||
	    ((*e >> HE_GEN_SHIFT) & HE_GEN_MASK) !=
	    (handle & (BIT(HANDLE_GEN_BITS) - 1)))
		return NULL;
	return e;
}

/* What a locked handle is: its entry, vpage and the owner's heap. */
struct rm_xcf_held {
	u64 *e;
	u32 id;
	u32 slot;
	struct rm_xcf_vpage *vp;
	struct rm_xcf_heap *h;
	unsigned long irq;
};

/*
 * Lock the heap that owns @handle's vpage (see Locking above).
 * Return: true with it locked, false for a handle that is not live.  For
 * sparse's lock context the lock counts as taken either way: a caller
 * that gets false says __release(k->h->lock), which does nothing else.
 */
static bool handle_lock(struct rm_xcf_pool *pool, unsigned long handle,
			struct rm_xcf_held *k)
	__acquires(k->h->lock)
{
	unsigned long irq;
	struct rm_xcf_vpage *vp;
	u32 owner, cls;
	u64 val, *e;
	bool same;

	for (;;) {
		rm_spin_lock_irqsave(&pool->meta_lock, irq);
		e = entry_check(pool, handle);
		if (!e) {
			rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
			__acquire(k->h->lock);
			return false;
		}
		val = *e;
		vp = vp_of(pool, entry_vp(val));
		owner = READ_ONCE(vp->owner);
		cls = vp->cls;
		rm_spin_unlock_irqrestore(&pool->meta_lock, irq);

		k->h = heap_of(pool, cls, owner);
		rm_spin_lock_irqsave(&k->h->lock, k->irq);
		rm_spin_lock_irqsave(&pool->meta_lock, irq);
		e = entry_check(pool, handle);
		same = e && *e == val && vp->owner == owner;
		rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
		if (same)
			break;
		rm_spin_unlock_irqrestore(&k->h->lock, k->irq);
	}
	k->e = e;
	k->id = entry_vp(val);
	k->slot = entry_slot(val);
	k->vp = vp;
	return true;
}

static void entry_write(struct rm_xcf_pool *pool, u64 *e, u64 val)
{
	unsigned long irq;

	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	WRITE_ONCE(*e, val);
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
}

/* --- Hoard and compaction --- */

/* Fewest pages that hold @used objects of class @c. */
static u64 min_pages(const struct rm_xcf_class *c, u64 used)
{
	u64 full = used / c->objs, r = used % c->objs;
	u64 last = r ? ((r * c->slot - 1) >> PAGE_SHIFT) + 1 : 0;

	return full * c->pages + last;
}

static u64 heap_freeable(const struct rm_xcf_class *c,
			 const struct rm_xcf_heap *h)
{
	u64 need = min_pages(c, h->used);

	return h->pages > need ? h->pages - need : 0;
}

/* Does CPU heap @h break Hoard's invariant? */
static bool hoard_broken(const struct rm_xcf_class *c,
			 const struct rm_xcf_heap *h)
{
	return h->capacity - h->used > (u64)RM_XCF_HOARD_K * c->objs &&
	       h->used * RM_XCF_HOARD_F_DEN <
	       h->capacity * (RM_XCF_HOARD_F_DEN - RM_XCF_HOARD_F_NUM);
}

/* Move @vp from CPU heap @h to the global heap; both locks held. */
static void give_back(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
		      struct rm_xcf_heap *h, struct rm_xcf_vpage *vp, u32 id)
{
	heap_del(pool, h, vp);
	heap_add(pool, &c->global, vp, id, RM_XCF_GLOBAL);
	c->returns++;
}

/*
 * Restore Hoard's invariant on CPU heap @h (its lock held) by giving its
 * sparsest vpages to the global heap.  Return: vpages given.
 */
static u32 hoard_restore(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
			 struct rm_xcf_heap *h)
{
	unsigned long irq;
	u32 id, n = 0;
	int g;

	while (hoard_broken(c, h)) {
		/* broken means some vpage is not full */
		for (id = 0, g = RM_XCF_NR_GROUPS - 1; g > 0 && !id; g--)
			id = h->head[g];
		if (WARN_ON_ONCE(!id))
			break;
		rm_spin_lock_irqsave(&c->global.lock, irq);
		give_back(pool, c, h, vp_of(pool, id), id);
		rm_spin_unlock_irqrestore(&c->global.lock, irq);
		n++;
	}
	return n;
}

/*
 * The sparsest vpage of the global heap not yet visited by run @c->seq
 * and holding an object that is not mapped, or 0.
 */
static u32 compact_source(struct rm_xcf_pool *pool, struct rm_xcf_class *c)
{
	u32 id, best = 0, most = U32_MAX;
	struct rm_xcf_vpage *vp;
	int g;

	for (g = RM_XCF_NR_GROUPS - 1; g > 0; g--) {
		for (id = c->global.head[g]; id; id = vp->next) {
			vp = vp_of(pool, id);
			c->visits++;
			if (vp->seq != c->seq && vp->inuse > vp->mapped &&
			    vp->inuse < most) {
				best = id;
				most = vp->inuse;
			}
		}
		if (best)
			return best;
	}
	return 0;
}

/*
 * The fullest other vpage of the global heap with at least @inuse objects
 * and a free slot in a present page, or 0.
 */
static u32 compact_dest(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
			u32 src, u16 inuse)
{
	u32 id, best = 0, most = 0;
	struct rm_xcf_vpage *vp;
	unsigned int g;

	for (g = 1; g < RM_XCF_NR_GROUPS; g++) {
		for (id = c->global.head[g]; id; id = vp->next) {
			vp = vp_of(pool, id);
			c->visits++;
			if (id == src || vp->inuse < inuse ||
			    (best && vp->inuse <= most))
				continue;
			if (slot_pick(c, vp, true) < c->objs) {
				best = id;
				most = vp->inuse;
			}
		}
		if (best)
			return best;
	}
	return 0;
}

/*
 * The automatic step's searches look at most RM_XCF_SCAN vpages from the
 * head of each group they search, and move each to the tail of its group,
 * so that the next step looks at others: over steps a search goes round
 * the whole group.  A search stops early when it comes back to the first
 * vpage it moved (a group shorter than RM_XCF_SCAN).
 *
 * step_source: the sparsest vpage holding an object that is not mapped,
 * among those looked at in the sparsest group that has one, or 0.
 */
static u32 step_source(struct rm_xcf_pool *pool, struct rm_xcf_class *c)
{
	struct rm_xcf_heap *h = &c->global;
	u32 id, next, first, n, best = 0, most = U32_MAX;
	struct rm_xcf_vpage *vp;
	int g;

	for (g = RM_XCF_NR_GROUPS - 1; g > 0 && !best; g--) {
		first = h->head[g];
		for (id = first, n = 0; id && n < RM_XCF_SCAN; id = next, n++) {
			vp = vp_of(pool, id);
			next = vp->next == first ? 0 : vp->next;
			c->visits++;
			if (vp->inuse > vp->mapped && vp->inuse < most) {
				best = id;
				most = vp->inuse;
			}
			vp_rotate(pool, h, vp, id);
		}
	}
	return best;
}

/*
 * step_dest: the fullest vpage other than @src, with at least @inuse
 * objects and a free slot in a present page, among those looked at in the
 * fullest group that has one, or 0.  Only groups up to @src's can hold
 * @inuse objects.
 */
static u32 step_dest(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
		     u32 src, u16 inuse)
{
	struct rm_xcf_heap *h = &c->global;
	u32 id, next, first, n, best = 0, most = 0;
	unsigned int g, last = vp_of(pool, src)->group;
	struct rm_xcf_vpage *vp;

	for (g = 1; g <= last && !best; g++) {
		first = h->head[g];
		for (id = first, n = 0; id && n < RM_XCF_SCAN; id = next, n++) {
			vp = vp_of(pool, id);
			next = vp->next == first ? 0 : vp->next;
			c->visits++;
			if (id != src && vp->inuse >= inuse &&
			    (!best || vp->inuse > most) &&
			    slot_pick(c, vp, true) < c->objs) {
				best = id;
				most = vp->inuse;
			}
			vp_rotate(pool, h, vp, id);
		}
	}
	return best;
}

/*
 * The handle entry of the object in slot @s of vpage @id, checked to point
 * back there (a mismatch WARNs: the tables disagree), or NULL; the owner's
 * lock held.
 */
static u64 *slot_entry(struct rm_xcf_pool *pool, struct rm_xcf_vpage *vp,
		       u32 id, u32 s)
{
	unsigned long irq;
	u64 *e;

	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	e = entry_of(pool, slot_backref(pool, vp, s));
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	if (WARN_ON_ONCE(!e || entry_vp(*e) != id || entry_slot(*e) != s))
		return NULL;
	return e;
}

/*
 * Move the object of slot @s of @src to free slot @d, in present pages, of
 * @dst and point its handle there; class lock held.
 */
static void compact_move(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
			 struct rm_xcf_vpage *src, u32 s,
			 struct rm_xcf_vpage *dst, u32 did, u32 d, u64 *e)
{
	u32 done, n, so, doff;

	slot_take(pool, &c->global, dst, d);	/* present: cannot fail */
	for (done = 0; done < c->slot; done += n) {
		so = s * c->slot + done;
		doff = d * c->slot + done;
		n = min3(c->slot - done,
			 (u32)(PAGE_SIZE - (so & (PAGE_SIZE - 1))),
			 (u32)(PAGE_SIZE - (doff & (PAGE_SIZE - 1))));
		memcpy(vp_addr(pool, dst, doff), vp_addr(pool, src, so), n);
	}
	entry_write(pool, e, (*e & ~((HE_SLOT_MASK << HE_SLOT_SHIFT) |
				     (HE_VP_MASK << HE_VP_SHIFT))) |
		    (u64)d << HE_SLOT_SHIFT | (u64)did << HE_VP_SHIFT);
	slot_drop(pool, &c->global, src, s);
	c->moved++;
}

/*
 * Move the objects of source @sid of @c's global heap that are not mapped
 * into fuller vpages, as far as they have room in present pages, and free
 * the source if it empties; class lock held.  The destination is kept
 * while it has such a slot: it only grows, so it stays at least as full as
 * the source.  When it has none, @autostep asks step_dest() for another, at
 * most RM_XCF_DESTS times; otherwise compact_dest() scans the heap, which
 * would have chosen the kept one again (see Compaction above).
 * Return: true when the source still holds objects (and is still @sid).
 */
static bool compact_src(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
			u32 sid, bool autostep, bool *moved)
{
	struct rm_xcf_vpage *src = vp_of(pool, sid), *dst = NULL;
	u32 did = 0, s, d = c->objs, dests = 0;
	u64 *e;

	for (s = rm_bitmap_next_set(src->used, c->objs, 0); s < c->objs;
	     s = rm_bitmap_next_set(src->used, c->objs, s + 1)) {
		e = slot_entry(pool, src, sid, s);
		if (!e)
			break;
		if (*e & HE_MAPPED)
			continue;
		if (dst)
			d = slot_pick(c, dst, true);
		if (!dst || d == c->objs) {
			if (autostep && dests++ == RM_XCF_DESTS)
				break;
			did = autostep ? step_dest(pool, c, sid, src->inuse) :
					 compact_dest(pool, c, sid, src->inuse);
			if (!did)
				break;
			dst = vp_of(pool, did);
			d = slot_pick(c, dst, true);
		}
		compact_move(pool, c, src, s, dst, did, d, e);
		vp_regroup(pool, &c->global, dst, did);
		*moved = true;
	}
	if (!src->inuse) {
		heap_del(pool, &c->global, src);
		vp_release(pool, sid);
		return false;
	}
	vp_regroup(pool, &c->global, src, sid);
	return true;
}

/*
 * Pack vpage @id of @c's global heap into itself: from its highest slot
 * down, move each object that is not mapped into the lowest free slot in
 * present pages, while that slot lies below it, so that its last pages
 * empty and go back.  Each move lowers the object's slot, so it ends after
 * at most a vpage's objects; class lock held.
 */
static void compact_pack(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
			 u32 id, bool *moved)
{
	struct rm_xcf_vpage *vp = vp_of(pool, id);
	u32 s, d;
	u64 *e;

	for (s = c->objs; s-- > 0;) {
		if (!rm_bitmap_test(vp->used, s))
			continue;
		d = slot_pick(c, vp, true);
		if (d >= s)
			break;
		e = slot_entry(pool, vp, id, s);
		if (!e)
			break;
		if (*e & HE_MAPPED)
			continue;
		compact_move(pool, c, vp, s, vp, id, d, e);
		*moved = true;
	}
}

/*
 * Empty the sparsest source vpage of @c's global heap not yet visited in
 * run @c->seq into fuller ones, as far as they have room, and pack what
 * stays; class lock held.  Return: false when there was no source left for
 * this run.
 */
static bool compact_one(struct rm_xcf_pool *pool, struct rm_xcf_class *c,
			bool *moved)
{
	u32 sid = compact_source(pool, c);

	if (!sid)
		return false;
	vp_of(pool, sid)->seq = c->seq;
	if (compact_src(pool, c, sid, false, moved))
		compact_pack(pool, c, sid, moved);
	return true;
}

/* Should a free or return into @c's global heap compact it? */
static bool compact_wanted(const struct rm_xcf_class *c)
{
	u64 f = heap_freeable(c, &c->global);

	return c->objs > 1 && f >= c->pages &&
	       f * RM_XCF_COMPACT_DEN > c->global.pages * RM_XCF_COMPACT_NUM;
}

/*
 * The automatic compaction step: one source from step_source(), emptied
 * into at most RM_XCF_DESTS destinations from step_dest(); class lock
 * held.  At most RM_XCF_STEP_VISITS descriptors are looked at.
 */
static void compact_auto(struct rm_xcf_pool *pool, struct rm_xcf_class *c)
{
	u64 before = c->moved;
	bool moved = false;
	u32 sid;

	if (!compact_wanted(c))
		return;
	c->visits = 0;
	sid = step_source(pool, c);
	if (sid)
		compact_src(pool, c, sid, true, &moved);
	c->compactions += moved;
	c->step_visits = max(c->step_visits, c->visits);
	c->step_moves = max_t(u32, c->step_moves, c->moved - before);
}

/* --- the pool --- */

/**
 * rm_xcf_geometry - pages per vpage and slots for a slot size
 * @slot: bytes per slot, at most PAGE_SIZE
 * @max_pages: most pages a vpage may have
 * @max_objs: most slots a vpage may have
 * @pages: out: the pages that waste the smallest fraction of the vpage
 *	   (the fewest among equals)
 * @objs: out: the slots such a vpage holds
 *
 * zsmalloc's get_pages_per_zspage() rule, exactly, but for the bounds.
 * The size-class measurement (selftests/bench/xcfsizes.c) calls it too.
 *
 * Context: any.
 */
void rm_xcf_geometry(u32 slot, u32 max_pages, u32 max_objs, u32 *pages,
		     u32 *objs)
{
	u64 best_waste = 1, best_size = 0, waste, size;
	u32 i, n;

	*pages = 1;
	*objs = 1;
	for (i = 1; i <= max_pages; i++) {
		size = (u64)i * PAGE_SIZE;
		n = min_t(u64, size / slot, max_objs);
		if (!n)
			continue;
		waste = size - (u64)n * slot;
		/* waste / size < best_waste / best_size */
		if (!best_size || waste * best_size < best_waste * size) {
			best_waste = waste;
			best_size = size;
			*pages = i;
			*objs = n;
		}
	}
}

static int classes_init(struct rm_xcf_pool *pool)
{
	u32 slot, pages, objs, n = 0, k, idx;
	struct rm_xcf_class *c;

	pool->cls = rm_zalloc(RM_XCF_MAX_CLASSES * sizeof(*pool->cls));
	pool->size_class = rm_zalloc((PAGE_SIZE / RM_XCF_CLASS_STEP + 2) *
				     sizeof(*pool->size_class));
	if (!pool->cls || !pool->size_class)
		return -ENOMEM;
	/* largest first, as zsmalloc, so a merged class keeps its largest */
	for (slot = PAGE_SIZE; slot >= RM_XCF_MIN_SLOT;
	     slot -= RM_XCF_CLASS_STEP) {
		rm_xcf_geometry(slot, RM_XCF_VPAGE_MAX, RM_XCF_MAX_OBJS,
				&pages, &objs);
		if (n && pool->cls[n - 1].pages == pages &&
		    pool->cls[n - 1].objs == objs)
			continue;
		c = &pool->cls[n++];
		c->slot = slot;
		c->hdr = slot == PAGE_SIZE ? 0 : RM_XCF_HDR_SIZE;
		c->size = slot - c->hdr;
		c->pages = pages;
		c->objs = objs;
	}
	/* smallest first */
	for (k = 0; k < n / 2; k++) {
		struct rm_xcf_class t = pool->cls[k];

		pool->cls[k] = pool->cls[n - 1 - k];
		pool->cls[n - 1 - k] = t;
	}
	pool->nr_classes = n;
	/* size_class[i]: the class of the sizes with i steps of slot */
	for (idx = 0, k = 0; idx <= PAGE_SIZE / RM_XCF_CLASS_STEP + 1; idx++) {
		while (k < n - 1 && pool->cls[k].slot < idx * RM_XCF_CLASS_STEP)
			k++;
		pool->size_class[idx] = k;
	}
	for (k = 0; k < n; k++)
		rm_spin_lock_init(&pool->cls[k].global.lock);
	return 0;
}

/**
 * rm_xcf_class_of - the class an object of @size bytes goes to
 * @pool: the pool
 * @size: bytes
 *
 * Context: any.
 * Return: the class index, -EINVAL for 0 bytes, -E2BIG above RM_XCF_MAX_SIZE.
 */
int rm_xcf_class_of(struct rm_xcf_pool *pool, size_t size)
{
	if (!size)
		return -EINVAL;
	if (size > RM_XCF_MAX_SIZE)
		return -E2BIG;
	if (size + RM_XCF_HDR_SIZE > PAGE_SIZE)
		return pool->nr_classes - 1;
	return pool->size_class[DIV_ROUND_UP(size + RM_XCF_HDR_SIZE,
					     RM_XCF_CLASS_STEP)];
}

/**
 * rm_xcf_create - a new pool over a buddy allocator
 * @b: the buddy allocator its pages come from
 * @nid: the node to ask the buddy for, or NUMA_NO_NODE
 *
 * Allocates the pool, its classes, per-CPU heaps and table roots (sized
 * for as many objects as the region could hold); takes no page.
 *
 * Context: may sleep (rm_zalloc(), rm_alloc_percpu()).
 * Return: the pool, or NULL when memory ran out.
 */
struct rm_xcf_pool *rm_xcf_create(struct rm_buddy *b, int nid)
{
	u64 total = rm_region_total_pages(b->rg);
	struct rm_xcf_pool *pool;
	unsigned int k;
	int cpu;

	BUILD_BUG_ON(sizeof(struct rm_xcf_vpage) > (1U << VP_SHIFT));
	BUILD_BUG_ON(RM_XCF_MAX_OBJS - 1 > HE_SLOT_MASK);
	BUILD_BUG_ON(RM_XCF_VPAGE_MAX > BITS_PER_LONG);
	pool = rm_zalloc(sizeof(*pool));
	if (!pool)
		return NULL;
	pool->b = b;
	pool->nid = nid;
	rm_spin_lock_init(&pool->meta_lock);
	if (classes_init(pool) ||
	    tab_init(&pool->handles, 3,
		     total * (PAGE_SIZE / RM_XCF_MIN_SLOT)) ||
	    tab_init(&pool->vpages, VP_SHIFT, total))
		goto fail;
	pool->pcpu = rm_alloc_percpu(struct rm_xcf_pcpu);
	if (!pool->pcpu)
		goto fail;
	rm_for_each_cpu(cpu) {
		struct rm_xcf_pcpu *p = rm_per_cpu_ptr(pool->pcpu, cpu);

		p->heap = rm_zalloc(pool->nr_classes * sizeof(*p->heap));
		if (!p->heap)
			goto fail;
		for (k = 0; k < pool->nr_classes; k++)
			rm_spin_lock_init(&p->heap[k].lock);
		pool->nr_cpus = max_t(u32, pool->nr_cpus, cpu + 1);
	}
	return pool;

fail:
	rm_xcf_destroy(pool);
	return NULL;
}

/* Every page of every vpage of @h back to the buddy, and the vpages. */
static void heap_empty(struct rm_xcf_pool *pool, struct rm_xcf_heap *h)
{
	struct rm_xcf_vpage *vp;
	unsigned int g, i;
	u32 id;

	for (g = 0; g < RM_XCF_NR_GROUPS; g++) {
		while ((id = h->head[g])) {
			vp = vp_of(pool, id);
			h->head[g] = vp->next;
			for (i = 0; i < RM_XCF_VPAGE_MAX; i++)
				if (vp->pfn[i] != RM_NO_PFN)
					page_put(pool, vp->pfn[i]);
		}
	}
}

/**
 * rm_xcf_destroy - free a pool and every object still in it
 * @pool: the pool (NULL is allowed)
 *
 * Every page goes back to the buddy.  No other call on the pool may run.
 *
 * Context: may sleep (rm_free()).
 */
void rm_xcf_destroy(struct rm_xcf_pool *pool)
{
	unsigned int k;
	int cpu;

	if (!pool)
		return;
	if (pool->pcpu) {
		rm_for_each_cpu(cpu) {
			struct rm_xcf_pcpu *p = rm_per_cpu_ptr(pool->pcpu, cpu);

			for (k = 0; p->heap && k < pool->nr_classes; k++)
				heap_empty(pool, &p->heap[k]);
			rm_free(p->heap);
		}
		rm_free_percpu(pool->pcpu);
	}
	for (k = 0; pool->cls && k < pool->nr_classes; k++)
		heap_empty(pool, &pool->cls[k].global);
	tab_destroy(pool, &pool->handles);
	tab_destroy(pool, &pool->vpages);
	WARN_ON_ONCE(pool->pages);
	rm_free(pool->cls);
	rm_free(pool->size_class);
	rm_free(pool);
}

/* A vpage of @c for CPU heap @h with a free slot: its id, or 0. */
static u32 heap_find(struct rm_xcf_pool *pool, unsigned int k,
		     struct rm_xcf_heap *h, unsigned int cpu, bool *from_global)
{
	struct rm_xcf_class *c = &pool->cls[k];
	unsigned long irq;
	u32 id;

	*from_global = false;
	id = heap_first(h, 1, RM_XCF_NR_GROUPS - 1);
	if (id)
		return id;
	rm_spin_lock_irqsave(&c->global.lock, irq);
	id = heap_first(&c->global, 1, RM_XCF_NR_GROUPS - 1);
	if (id) {
		struct rm_xcf_vpage *vp = vp_of(pool, id);

		heap_del(pool, &c->global, vp);
		heap_add(pool, h, vp, id, cpu);
		*from_global = true;
	}
	rm_spin_unlock_irqrestore(&c->global.lock, irq);
	return id;
}

/**
 * rm_xcf_malloc - allocate an object
 * @pool: the pool
 * @size: bytes, 1 to RM_XCF_MAX_SIZE
 * @flags: RM_XCF_ZERO or 0
 * @cpu: the heap to allocate from: the caller's CPU number
 * @handle: out: the object's handle, never 0
 *
 * Takes only non-sleeping buddy pages: a handle table page, a descriptor
 * page, the pages the slot touches, as needed.
 *
 * Context: any context that may take a spinlock.
 * Return: 0; -EINVAL for 0 bytes, unknown flags or a CPU without a heap;
 * -E2BIG above RM_XCF_MAX_SIZE; -ENOMEM when the buddy had no page, and then
 * the pool is as it was.
 */
int rm_xcf_malloc(struct rm_xcf_pool *pool, size_t size, unsigned int flags,
		  unsigned int cpu, unsigned long *handle)
{
	int k = rm_xcf_class_of(pool, size), ret = -ENOMEM;
	unsigned long irq, hirq;
	struct rm_xcf_vpage *vp;
	struct rm_xcf_class *c;
	struct rm_xcf_heap *h;
	bool from_global;
	struct rm_xcf_loc loc;
	u64 idx, *e, gen;
	u32 id, s, i;

	if (k < 0)
		return k;
	if (flags & ~RM_XCF_MALLOC_VALID || cpu >= pool->nr_cpus)
		return -EINVAL;
	c = &pool->cls[k];
	h = heap_of(pool, k, cpu);

	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	idx = tab_alloc(pool, &pool->handles,
			(u64)(pool->gen_seed++ & HE_GEN_MASK) << HE_GEN_SHIFT);
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	if (!idx)
		return -ENOMEM;

	rm_spin_lock_irqsave(&h->lock, hirq);
	id = heap_find(pool, k, h, cpu, &from_global);
	if (id) {
		vp = vp_of(pool, id);
	} else {
		id = vp_new(pool, k);
		if (!id)
			goto out_handle;
		vp = vp_of(pool, id);
		heap_add(pool, h, vp, id, cpu);
	}
	s = slot_pick(c, vp, false);
	if (slot_take(pool, h, vp, s))
		goto out_vpage;
	vp_regroup(pool, h, vp, id);
	slot_set_backref(pool, vp, s, idx);
	e = entry_of(pool, idx);
	gen = (*e >> HE_GEN_SHIFT) & HE_GEN_MASK;
	entry_write(pool, e, entry_make(id, s, gen));
	if (flags & RM_XCF_ZERO) {
		slot_loc(pool, vp, s, &loc);
		for (i = 0; i < loc.nr; i++)
			memset(loc.seg[i].addr, 0, loc.seg[i].len);
	}
	rm_spin_unlock_irqrestore(&h->lock, hirq);
	*handle = idx << HANDLE_GEN_BITS | gen;
	return 0;

out_vpage:
	if (!vp->inuse) {
		heap_del(pool, h, vp);
		vp_release(pool, id);
	} else if (from_global) {
		rm_spin_lock_irqsave(&c->global.lock, irq);
		heap_del(pool, h, vp);
		heap_add(pool, &c->global, vp, id, RM_XCF_GLOBAL);
		rm_spin_unlock_irqrestore(&c->global.lock, irq);
	}
out_handle:
	rm_spin_unlock_irqrestore(&h->lock, hirq);
	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	tab_free(pool, &pool->handles, idx);
	pool->gen_seed--;
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	return ret;
}

/**
 * rm_xcf_free - free an object
 * @pool: the pool
 * @handle: its handle
 *
 * A handle that is not live (never given, freed already, its generation
 * stale) or whose object is mapped is refused with a warning, and nothing
 * changes.  May give vpages of the CPU heap to the global heap (Hoard) and
 * compact one vpage of the global heap.
 *
 * Context: any context that may take a spinlock.
 */
void rm_xcf_free(struct rm_xcf_pool *pool, unsigned long handle)
{
	struct rm_xcf_class *c;
	struct rm_xcf_held k;
	unsigned long irq;
	u64 idx, val;
	u32 owner;

	if (WARN_ON_ONCE(!handle_lock(pool, handle, &k))) {
		__release(k.h->lock);
		return;
	}
	if (WARN_ON_ONCE(*k.e & HE_MAPPED)) {
		rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
		return;
	}
	c = &pool->cls[k.vp->cls];
	owner = k.vp->owner;
	idx = handle >> HANDLE_GEN_BITS;
	slot_drop(pool, k.h, k.vp, k.slot);
	/* the generation moves on, so the handle is stale from now */
	val = (((*k.e >> HE_GEN_SHIFT) + 1) & HE_GEN_MASK) << HE_GEN_SHIFT;
	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	*k.e = val;
	tab_free(pool, &pool->handles, idx);
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	if (!k.vp->inuse) {
		heap_del(pool, k.h, k.vp);
		vp_release(pool, k.id);
	} else {
		vp_regroup(pool, k.h, k.vp, k.id);
	}
	if (owner != RM_XCF_GLOBAL && !hoard_restore(pool, c, k.h)) {
		rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
		return;
	}
	if (owner == RM_XCF_GLOBAL) {
		compact_auto(pool, c);
		rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
		return;
	}
	rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
	rm_spin_lock_irqsave(&c->global.lock, irq);
	compact_auto(pool, c);
	rm_spin_unlock_irqrestore(&c->global.lock, irq);
}

/**
 * rm_xcf_map - mark an object mapped and say where its bytes are
 * @pool: the pool
 * @handle: its handle
 * @mode: RM_XCF_MAP_RO, RM_XCF_MAP_WO or RM_XCF_MAP_RW
 * @loc: out: its pieces; the glue reads or writes them (copying a split
 *	 object through a buffer when !@loc->contig)
 *
 * A mapped object does not move until rm_xcf_unmap().
 *
 * Context: any context that may take a spinlock.
 * Return: 0; -EINVAL for a bad mode, or, with a warning, a handle that is
 * not live; -EBUSY when it is mapped already.
 */
int rm_xcf_map(struct rm_xcf_pool *pool, unsigned long handle,
	       unsigned int mode, struct rm_xcf_loc *loc)
{
	struct rm_xcf_held k;

	if (!mode || mode & ~RM_XCF_MAP_VALID)
		return -EINVAL;
	if (WARN_ON_ONCE(!handle_lock(pool, handle, &k))) {
		__release(k.h->lock);
		return -EINVAL;
	}
	if (*k.e & HE_MAPPED) {
		rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
		return -EBUSY;
	}
	entry_write(pool, k.e, *k.e | HE_MAPPED |
		    (u64)mode << HE_MODE_SHIFT);
	k.vp->mapped++;
	slot_loc(pool, k.vp, k.slot, loc);
	loc->mode = mode;
	rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
	return 0;
}

/**
 * rm_xcf_unmap - end the mapping rm_xcf_map() began
 * @pool: the pool
 * @handle: the object's handle
 * @loc: out: its pieces and the mode it was mapped with, as rm_xcf_map()
 *	 gave them: with RM_XCF_MAP_WO, the glue copies a split object back
 *	 before it calls here
 *
 * Context: any context that may take a spinlock.
 * Return: 0; -EINVAL, with a warning, for a handle that is not live or
 * not mapped.
 */
int rm_xcf_unmap(struct rm_xcf_pool *pool, unsigned long handle,
		 struct rm_xcf_loc *loc)
{
	struct rm_xcf_held k;
	unsigned int mode;

	if (WARN_ON_ONCE(!handle_lock(pool, handle, &k))) {
		__release(k.h->lock);
		return -EINVAL;
	}
	if (WARN_ON_ONCE(!(*k.e & HE_MAPPED))) {
		rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
		return -EINVAL;
	}
	mode = (*k.e >> HE_MODE_SHIFT) & HE_MODE_MASK;
	slot_loc(pool, k.vp, k.slot, loc);
	loc->mode = mode;
	entry_write(pool, k.e, *k.e & ~(HE_MAPPED |
					(HE_MODE_MASK << HE_MODE_SHIFT)));
	k.vp->mapped--;
	rm_spin_unlock_irqrestore(&k.h->lock, k.irq);
	return 0;
}

/*
 * Give @cpu's vpages of class @k to the global heap: all of them, or only
 * those not full; then, with @compact, compact the global heap as a return
 * into it does (rm_xcf_compact() compacts after its own drain, and counts
 * what that frees).  Return: vpages given.
 */
static u32 drain_class(struct rm_xcf_pool *pool, unsigned int k,
		       unsigned int cpu, bool all, bool compact)
{
	struct rm_xcf_heap *h = heap_of(pool, k, cpu);
	struct rm_xcf_class *c = &pool->cls[k];
	unsigned long irq, girq;
	u32 id, n = 0;

	rm_spin_lock_irqsave(&h->lock, irq);
	rm_spin_lock_irqsave(&c->global.lock, girq);
	while ((id = heap_first(h, all ? 0 : 1, RM_XCF_NR_GROUPS - 1))) {
		give_back(pool, c, h, vp_of(pool, id), id);
		n++;
	}
	if (n && compact)
		compact_auto(pool, c);
	rm_spin_unlock_irqrestore(&c->global.lock, girq);
	rm_spin_unlock_irqrestore(&h->lock, irq);
	return n;
}

/**
 * rm_xcf_drain - give every vpage of a CPU's heaps to the global heaps
 * @pool: the pool
 * @cpu: the CPU (one going offline, say)
 *
 * Context: any context that may take a spinlock.
 */
void rm_xcf_drain(struct rm_xcf_pool *pool, unsigned int cpu)
{
	unsigned int k;

	if (cpu >= pool->nr_cpus)
		return;
	for (k = 0; k < pool->nr_classes; k++)
		drain_class(pool, k, cpu, true, true);
}

/**
 * rm_xcf_compact - compact every class
 * @pool: the pool
 *
 * Gives the per-CPU heaps' vpages that are not full to the global heaps,
 * then compacts each class's global heap until no source is left, letting
 * go of the class lock after each source vpage.
 *
 * Context: any context that may take a spinlock.
 * Return: the vpage pages it freed (as zs_compact() counts zspage pages;
 * a table page it empties goes back to the buddy too, uncounted).
 */
u64 rm_xcf_compact(struct rm_xcf_pool *pool)
{
	unsigned long irq;
	unsigned int k;
	u64 freed = 0;
	bool more, moved;
	u64 before;
	int cpu;

	for (k = 0; k < pool->nr_classes; k++) {
		struct rm_xcf_class *c = &pool->cls[k];

		if (c->objs == 1)
			continue;
		/* no automatic compaction here: what it frees, we count */
		rm_for_each_cpu(cpu)
			drain_class(pool, k, cpu, false, false);
		rm_spin_lock_irqsave(&c->global.lock, irq);
		c->seq++;
		moved = false;
		do {
			before = c->global.pages;
			more = compact_one(pool, c, &moved);
			freed += before - c->global.pages;
			rm_spin_unlock_irqrestore(&c->global.lock, irq);
			rm_spin_lock_irqsave(&c->global.lock, irq);
		} while (more);
		c->compactions += moved;
		rm_spin_unlock_irqrestore(&c->global.lock, irq);
	}
	return freed;
}

/**
 * rm_xcf_total_pages - pages the pool holds from the buddy
 * @pool: the pool
 *
 * Context: any context that may take a spinlock.
 * Return: vpage pages and table pages.
 */
u64 rm_xcf_total_pages(struct rm_xcf_pool *pool)
{
	unsigned long irq;
	u64 n;

	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	n = pool->pages;
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
	return n;
}

static void stats_add(struct rm_xcf_class_stats *s, const struct rm_xcf_heap *h)
{
	s->objects += h->capacity;
	s->used += h->used;
	s->pages += h->pages;
	s->vpages += h->vpages;
}

/**
 * rm_xcf_stats - counters of the pool and of each class
 * @pool: the pool
 * @ps: filled in
 * @cs: NULL, or filled in: @pool->nr_classes entries
 *
 * Each heap is read under its lock; the sums are not one instant.
 *
 * Context: any context that may take a spinlock.
 */
void rm_xcf_stats(struct rm_xcf_pool *pool, struct rm_xcf_pool_stats *ps,
		  struct rm_xcf_class_stats *cs)
{
	struct rm_xcf_class_stats one;
	unsigned long irq;
	unsigned int k;
	int cpu;

	memset(ps, 0, sizeof(*ps));
	for (k = 0; k < pool->nr_classes; k++) {
		struct rm_xcf_class *c = &pool->cls[k];
		u64 freeable;

		memset(&one, 0, sizeof(one));
		rm_for_each_cpu(cpu) {
			struct rm_xcf_heap *h = heap_of(pool, k, cpu);

			rm_spin_lock_irqsave(&h->lock, irq);
			stats_add(&one, h);
			rm_spin_unlock_irqrestore(&h->lock, irq);
		}
		rm_spin_lock_irqsave(&c->global.lock, irq);
		stats_add(&one, &c->global);
		ps->compactions += c->compactions;
		ps->moved += c->moved;
		ps->returns += c->returns;
		ps->step_visits = max(ps->step_visits, c->step_visits);
		ps->step_moves = max(ps->step_moves, c->step_moves);
		rm_spin_unlock_irqrestore(&c->global.lock, irq);
		one.size = c->size;
		one.pages_per_vpage = c->pages;
		one.objs_per_vpage = c->objs;
		freeable = min_pages(c, one.used);
		one.freeable = one.pages > freeable ? one.pages - freeable : 0;
		ps->vpages += one.vpages;
		if (cs)
			cs[k] = one;
	}
	rm_spin_lock_irqsave(&pool->meta_lock, irq);
	ps->pages = pool->pages;
	ps->data_pages = pool->data_pages;
	ps->meta_pages = pool->handles.pages + pool->vpages.pages;
	ps->handles = pool->handles.used;
	rm_spin_unlock_irqrestore(&pool->meta_lock, irq);
}
