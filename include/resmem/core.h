/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: The core's API
 *
 * resmem core: the allocator logic that builds both in the kernel and in
 * userspace.  Nothing here knows about iomem, memremap or files; the kernel
 * glue in src/ feeds it plain numbers and kernel addresses.
 */
#ifndef _RESMEM_CORE_H
#define _RESMEM_CORE_H

#include "compat.h"
#include "stats.h"

/* --- bitmap.c: word-at-a-time bitmaps indexed by u64 --- */

void rm_bitmap_set(unsigned long *map, u64 start, u64 nr);
void rm_bitmap_clear(unsigned long *map, u64 start, u64 nr);
u64 rm_bitmap_next_set(const unsigned long *map, u64 size, u64 start);
u64 rm_bitmap_next_zero(const unsigned long *map, u64 size, u64 start);
u64 rm_bitmap_weight(const unsigned long *map, u64 start, u64 nr);

static inline bool rm_bitmap_test(const unsigned long *map, u64 bit)
{
	return (map[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1;
}

/* --- fwmap.c: is a range RAM in the firmware memory map? --- */

/*
 * The e820 types (asm/e820/types.h: a firmware ABI, fixed), and two of the
 * check's own.
 */
#define RM_FW_HOLE		0	/* no entry at all */
#define RM_FW_RAM		1
#define RM_FW_RESERVED		2
#define RM_FW_ACPI		3
#define RM_FW_NVS		4
#define RM_FW_UNUSABLE		5
#define RM_FW_PMEM		7
#define RM_FW_PRAM		12
#define RM_FW_SOFT_RESERVED	0xefffffff
#define RM_FW_OTHER		0xffffffff	/* an entry of a type not known */

/*
 * Does an entry of @type (0: of any type) meet [start, end), start < end?
 * e820__mapped_raw_any() in the kernel.
 */
typedef bool (*rm_fw_any_fn)(u64 start, u64 end, u32 type, void *arg);

u64 rm_fw_first_not_ram(u64 base, u64 size, rm_fw_any_fn any, void *arg);
u32 rm_fw_type_of(u64 addr, rm_fw_any_fn any, void *arg);
const char *rm_fw_type_name(u32 type);

/* --- parse.c: the ranges= module parameter --- */

/* At most this many ranges= entries; each is claimed and mapped on its own. */
#define RM_MAX_RANGES	16
/* Room for one error message naming a range and what is wrong with it. */
#define RM_ERR_LEN	160

/**
 * struct rm_range_spec - one ranges= entry, SIZE@BASE[:NODE]
 * @base:	physical address of the first byte
 * @size:	length in bytes
 * @nid:	node given after ':', or NUMA_NO_NODE to ask the kernel
 */
struct rm_range_spec {
	u64 base;
	u64 size;
	int nid;
};

int rm_parse_size(const char *s, const char **endp, u64 *val);
int rm_parse_ranges(const char *s, struct rm_range_spec *out,
		    unsigned int max, unsigned int *nr,
		    char *err, size_t errlen);
int rm_check_ranges(const struct rm_range_spec *r, unsigned int nr,
		    u64 phys_limit, char *err, size_t errlen);

/* --- region.c: blocks of reserved memory (bootmem2) --- */

/*
 * A range split at node boundaries gives one block per node piece, so 16
 * ranges each crossing a few node boundaries still fit.
 */
#define RM_MAX_BLOCKS	64

/*
 * Step, in pages, at which rm_region_add_range() samples a range's node
 * before it bisects to the exact boundary: 2 MiB, the x86 huge page and the
 * finest granularity firmware describes NUMA memory in practice.
 */
#define RM_NODE_PROBE_PAGES	512

/*
 * Pageblocks: 2^RM_PAGEBLOCK_ORDER pages (2 MiB with 4 KiB pages, the
 * kernel's pageblock_order on x86 with THP) carry a migratetype, so that
 * unmovable and movable allocations keep to different pageblocks and large
 * blocks stay possible.  Aligned to the pfn, like the kernel's.
 */
#define RM_PAGEBLOCK_ORDER	9
#define RM_PAGEBLOCK_NR		BIT(RM_PAGEBLOCK_ORDER)

/*
 * Per-page state, one u16 per page (struct rm_block.state):
 *
 *	bits 0-5	order of the block the page heads (RM_PS_HEAD only)
 *	bit  6		RM_PS_HEAD: first page of a free or allocated block
 *	bit  7		RM_PS_MOVABLE: part of a movable allocation
 *	bits 8-11	enum rm_page_kind: who owns the page
 *	bits 12-13	migratetype of the free list a FREE or PCP head is on
 *
 * Every page of a block carries its kind, so a map of the range needs no
 * other structure; only the head carries the order.  rm_ps_make() and
 * rm_ps_mark_movable() encode and the rm_ps_*() accessors below decode it;
 * nothing else looks at the bits (as zsmalloc keeps
 * obj_to_location()/location_to_obj()).
 */
#define RM_PS_ORDER		0x003f
#define RM_PS_HEAD		0x0040
#define RM_PS_MOVABLE		0x0080
#define RM_PS_KIND_SHIFT	8
#define RM_PS_KIND		0x0f00
#define RM_PS_MT_SHIFT		12
#define RM_PS_MT		0x3000

enum rm_page_kind {
	RM_PK_FREE = 0,		/* in the buddy's free lists */
	RM_PK_META,		/* holds the block's own metadata */
	RM_PK_PCP,		/* free, cached in a per-CPU list */
	RM_PK_BUDDY,		/* allocated from the buddy */
	RM_PK_MEMAREA,		/* allocated by memarea */
	RM_PK_CMA,		/* allocated from a CMA region */
	RM_PK_VCOMPOUND,	/* allocated by vcompound */
	RM_PK_XCF,		/* allocated by xcf */
	RM_PK_SYSTEM,		/* lent to the system (a CMA region's) */
	RM_PK_KEPT,		/* taken back, kept for the next take */
	RM_PK_NR
};

static inline u16 rm_ps_make(unsigned int kind, unsigned int order,
			     unsigned int mt, bool head)
{
	return (kind << RM_PS_KIND_SHIFT) | (mt << RM_PS_MT_SHIFT) |
	       (head ? RM_PS_HEAD | order : 0);
}

static inline unsigned int rm_ps_kind(u16 s)
{
	return (s & RM_PS_KIND) >> RM_PS_KIND_SHIFT;
}

static inline unsigned int rm_ps_mt(u16 s)
{
	return (s & RM_PS_MT) >> RM_PS_MT_SHIFT;
}

/* the first page of a free or allocated block */
static inline bool rm_ps_is_head(u16 s)
{
	return s & RM_PS_HEAD;
}

/* the order of the block @s heads; 0 for a page that heads none */
static inline unsigned int rm_ps_order(u16 s)
{
	return rm_ps_is_head(s) ? s & RM_PS_ORDER : 0;
}

/* the first page of a block in the buddy's free lists */
static inline bool rm_ps_is_free_head(u16 s)
{
	return rm_ps_is_head(s) && rm_ps_kind(s) == RM_PK_FREE;
}

/* @s marked as a page of a movable allocation when @movable */
static inline u16 rm_ps_mark_movable(u16 s, bool movable)
{
	return movable ? s | RM_PS_MOVABLE : s;
}

/* a page of a movable allocation */
static inline bool rm_ps_is_movable(u16 s)
{
	return s & RM_PS_MOVABLE;
}

/* @s with its migratetype bits cleared (a free head compared by shape) */
static inline u16 rm_ps_without_mt(u16 s)
{
	return s & ~RM_PS_MT;
}

/*
 * Summaries of the bitmap for memarea's search (src/core/memarea.c): a
 * chunk is RM_CHUNK_PAGES pages of a block (from its first page), a super
 * chunk RM_SUPER_CHUNKS chunks.  For each, the free run at its start
 * (left), at its end (right) and the longest inside (contig).  Writers of
 * the bitmap only set the chunk's dirty bit; memarea recomputes dirty
 * summaries before it searches, so the buddy's paths pay one store.
 */
#define RM_CHUNK_SHIFT		9
#define RM_CHUNK_PAGES		BIT(RM_CHUNK_SHIFT)
#define RM_SUPER_SHIFT		6
#define RM_SUPER_CHUNKS		BIT(RM_SUPER_SHIFT)

struct rm_chunk_md {
	u16 left;
	u16 right;
	u16 contig;
	u16 pad;
};

struct rm_super_md {
	u32 left;
	u32 right;
	u32 contig;
	u32 pad;
};

/**
 * struct rm_block - a physically contiguous piece of one range on one node
 * @base_pfn:	first page frame
 * @nr_pages:	pages in the block, metadata included
 * @nid:	node all of the block lies on
 * @range:	index of the ranges= entry it came from
 * @vaddr:	kernel address of @base_pfn (set by the glue before enable)
 * @bitmap:	one bit per page, set = not free; lives at @vaddr
 * @state:	one u16 per page, RM_PS_*; follows @bitmap
 * @pb_mt:	one migratetype byte per pageblock the block touches;
 *		follows @state
 * @nr_chunks:	chunks of RM_CHUNK_PAGES (the last may be short)
 * @nr_supers:	super chunks
 * @chunk_md:	bitmap summary per chunk
 * @super_md:	bitmap summary per super chunk
 * @chunk_dirty: one bit per chunk whose summary is stale
 * @super_dirty: one bit per super chunk whose summary is stale
 * @special_pb:	pageblocks of type CMA or ISOLATE, which memarea avoids
 * @meta_pages:	pages at the start of the block holding these arrays
 * @free_pages:	pages whose bit is clear
 */
struct rm_block {
	u64 base_pfn;
	u64 nr_pages;
	int nid;
	unsigned int range;
	void *vaddr;
	unsigned long *bitmap;
	u16 *state;
	u8 *pb_mt;
	u64 nr_chunks;
	u64 nr_supers;
	struct rm_chunk_md *chunk_md;
	struct rm_super_md *super_md;
	unsigned long *chunk_dirty;
	unsigned long *super_dirty;
	u64 special_pb;
	u64 meta_pages;
	u64 free_pages;
};

/**
 * struct rm_region - every block resmem manages, sorted by pfn
 * @block:	the blocks; no two overlap, so a pfn names one page only
 * @nr_blocks:	blocks in use
 * @enabled:	metadata carved; no more blocks may be added
 */
struct rm_region {
	struct rm_block block[RM_MAX_BLOCKS];
	unsigned int nr_blocks;
	bool enabled;
};

typedef int (*rm_pfn_nid_fn)(u64 pfn, void *arg);

void rm_region_init(struct rm_region *rg);
u64 rm_meta_bytes(u64 nr_pages);
u64 rm_meta_pages(u64 nr_pages);
int rm_region_add(struct rm_region *rg, u64 base_pfn, u64 nr_pages, int nid,
		  unsigned int range);
int rm_region_add_range(struct rm_region *rg, u64 base_pfn, u64 nr_pages,
			unsigned int range, rm_pfn_nid_fn pfn_nid, void *arg);
void rm_block_meta_probe_fill(struct rm_block *b);
u64 rm_block_meta_probe_check(const struct rm_block *b, u64 *wrote, u64 *read);
int rm_region_enable(struct rm_region *rg);
struct rm_block *rm_region_find(struct rm_region *rg, u64 pfn);
u64 rm_region_virt_to_pfn(const struct rm_region *rg, const void *addr);

/*
 * Set or clear the bitmap bits of [pfn, pfn + nr) of @b and mark their
 * summaries stale.  Callers hold the lock of the block's zone.
 */
void rm_block_mark_used(struct rm_block *b, u64 pfn, u64 nr);
void rm_block_mark_free(struct rm_block *b, u64 pfn, u64 nr);

/* Kernel-style address of a page of a block. */
static inline void *rm_block_pfn_to_virt(const struct rm_block *b, u64 pfn)
{
	return (char *)b->vaddr + ((pfn - b->base_pfn) << PAGE_SHIFT);
}

/* Index in @b->pb_mt of the pageblock holding @pfn. */
static inline u64 rm_block_pb(const struct rm_block *b, u64 pfn)
{
	return (pfn >> RM_PAGEBLOCK_ORDER) -
	       (b->base_pfn >> RM_PAGEBLOCK_ORDER);
}

u64 rm_region_total_pages(const struct rm_region *rg);
u64 rm_region_meta_pages(const struct rm_region *rg);
u64 rm_region_meta_bytes(const struct rm_region *rg);

/* --- buddy.c: the page allocator (see the design comment there) --- */

enum rm_migratetype {
	RM_MT_UNMOVABLE = 0,
	RM_MT_MOVABLE,
	RM_MT_PCPTYPES,			/* types with per-CPU lists */
	RM_MT_CMA = RM_MT_PCPTYPES,	/* movable only, lent out by CMA */
	RM_MT_ISOLATE,			/* never allocated from */
	RM_MT_TYPES
};

/* Largest max_order: the order field of a page's state has 6 bits. */
#define RM_MAX_ORDER_LIMIT	32
/* Orders 0..RM_MAX_ORDER_LIMIT: kernel-doc cannot parse "[A + 1][B]". */
#define RM_ORDERS_LIMIT		(RM_MAX_ORDER_LIMIT + 1)
#define RM_DEFAULT_MAX_ORDER	10
/* Orders with per-CPU lists, as the kernel's PAGE_ALLOC_COSTLY_ORDER. */
#define RM_PCP_MAX_ORDER	3
#define RM_PCP_ORDERS		(RM_PCP_MAX_ORDER + 1)
/* Most pages one per-CPU batch moves; the kernel's typical batch is 63. */
#define RM_PCP_BATCH_MAX	63

/* rm_buddy_alloc() flags; the same values as RESMEM_GFP_* (api.h). */
#define RM_ALLOC_MOVABLE	BIT(0)
#define RM_ALLOC_STRICT_NODE	BIT(1)
#define RM_ALLOC_ZERO		BIT(2)
/*
 * Core only (the glue sets it, never a caller of the API): the caller may
 * sleep, so long zeroing may cond_resched() between pieces.
 */
#define RM_ALLOC_MAY_SLEEP	BIT(3)
/* Pages rm_zero_pages() clears between two chances to reschedule. */
#define RM_ZERO_STEP		64

#define RM_NO_PFN		U64_MAX

/* Nodes below this get a precomputed zone list; others are walked. */
#define RM_ZL_NODES		64

struct rm_list {
	struct rm_list *next, *prev;
};

/**
 * struct rm_free_area - free blocks of one order in one zone
 * @list:	one list per migratetype, linked through the free pages
 * @nr_free:	blocks on each list
 */
struct rm_free_area {
	struct rm_list list[RM_MT_TYPES];
	u64 nr_free[RM_MT_TYPES];
};

/**
 * struct rm_pcp - one CPU's cache of small free blocks of one zone
 * @lock:	protects everything here; taken before the zone lock
 * @count:	pages on all lists
 * @high:	when @count passes it, @batch pages go back to the zone
 * @batch:	pages moved between the zone and the lists at once
 * @list:	per order and per-CPU migratetype, newest first
 * @allocs:	allocations served from the lists
 * @frees:	frees taken into the lists
 * @hits:	allocations served from a list without a refill
 * @refills:	times a list was refilled from the zone
 * @spills:	times @high was passed and a batch went back
 * @drains:	times the cache was emptied on demand
 * @drain_locks: times a drain took @lock, emptying the cache or finding
 *		it empty
 *
 * @allocs to @drain_locks are statistics (stats.h: rm_stat_inc() under
 * @lock, zero with RESMEM_STATS=n); @count is state.
 */
struct rm_pcp {
	rm_spinlock_t lock;
	u32 count;
	u32 high;
	u32 batch;
	struct rm_list list[RM_PCP_ORDERS][RM_MT_PCPTYPES];
	u64 allocs;
	u64 frees;
	u64 hits;
	u64 refills;
	u64 spills;
	u64 drains;
	u64 drain_locks;
};

/**
 * struct rm_zone - the buddy allocator of one block
 * @lock:	protects the free areas, counters and the block's bitmap,
 *		state and pageblock bytes of free pages
 * @blk:	the block
 * @max_order:	largest order in this zone
 * @free_pages:	pages in the free lists (ISOLATE lists included)
 * @free_cma:	of those, pages on CMA lists
 * @nr_alloc:	allocations served by the zone directly (no per-CPU list)
 * @nr_free:	blocks freed to the zone directly
 * @stolen:	pageblocks whose migratetype a fallback claimed
 * @pcp:	per-CPU caches
 * @area:	free lists by order
 *
 * @nr_alloc, @nr_free and @stolen are statistics (stats.h), under @lock.
 */
struct rm_zone {
	rm_spinlock_t lock;
	struct rm_block *blk;
	unsigned int max_order;
	u64 free_pages;
	u64 free_cma;
	u64 nr_alloc;
	u64 nr_free;
	u64 stolen;
	struct rm_pcp __percpu *pcp;
	struct rm_free_area area[RM_MAX_ORDER_LIMIT + 1];
};

/**
 * struct rm_buddy - the buddy allocator over every block of a region
 * @rg:		the region
 * @zone:	one zone per block, same index
 * @nr_zones:	zones in @zone
 * @max_order:	largest order any zone serves
 * @zonelist:	for each node below RM_ZL_NODES, zone indexes nearest first
 * @nr_local:	how many leading @zonelist entries lie on the node itself
 * @failures:	allocations that found nothing, even after draining (a
 *		statistic, under zone 0's lock)
 */
struct rm_buddy {
	struct rm_region *rg;
	struct rm_zone *zone;
	unsigned int nr_zones;
	unsigned int max_order;
	u8 zonelist[RM_ZL_NODES][RM_MAX_BLOCKS];
	u8 nr_local[RM_ZL_NODES];
	u64 failures;
};

/**
 * struct rm_buddy_stats - counters summed over zones and CPUs
 *
 * All statistics (stats.h: zero with RESMEM_STATS=n) but for @free_pages
 * and @pcp_pages, which are state.
 */
struct rm_buddy_stats {
	/** @allocations: blocks handed out, by the zones and the caches */
	u64 allocations;
	/** @frees: blocks freed, to the zones and the caches */
	u64 frees;
	/** @failures: allocations that found nothing, even after draining */
	u64 failures;
	/** @pcp_hits: allocations served from a cache without a refill */
	u64 pcp_hits;
	/** @pcp_refills: times a cache list was refilled from its zone */
	u64 pcp_refills;
	/** @pcp_spills: times a cache passed its high mark */
	u64 pcp_spills;
	/** @pcp_drains: times a cache was emptied on demand */
	u64 pcp_drains;
	/** @pcp_drain_locks: times a drain took a cache's lock */
	u64 pcp_drain_locks;
	/** @pageblocks_stolen: pageblocks a fallback took over */
	u64 pageblocks_stolen;
	/** @free_pages: pages in the zones' free lists */
	u64 free_pages;
	/** @pcp_pages: pages in the per-CPU caches */
	u64 pcp_pages;
};

unsigned int rm_buddy_order_limit(const struct rm_region *rg);
int rm_buddy_init(struct rm_buddy *b, struct rm_region *rg,
		  unsigned int max_order);
void rm_buddy_destroy(struct rm_buddy *b);
u64 rm_buddy_alloc(struct rm_buddy *b, unsigned int order, int nid,
		   unsigned int flags, unsigned int kind);
void rm_buddy_free(struct rm_buddy *b, u64 pfn, unsigned int order);
void rm_buddy_drain(struct rm_buddy *b);
void rm_buddy_stats(struct rm_buddy *b, struct rm_buddy_stats *st);
void rm_zero_pages(void *addr, u64 nr, unsigned int flags);
/**
 * struct rm_zone_counts - a zone's free blocks and pageblocks at one instant
 * @nr_free:	free blocks per order and migratetype
 * @pageblocks:	pageblocks per migratetype
 */
struct rm_zone_counts {
	u64 nr_free[RM_ORDERS_LIMIT][RM_MT_TYPES];
	u64 pageblocks[RM_MT_TYPES];
};

void rm_zone_snapshot(struct rm_zone *z, struct rm_zone_counts *c);
int rm_zone_carve(struct rm_zone *z, u64 pfn, u64 nr, unsigned int kind);
void rm_zone_release(struct rm_zone *z, u64 pfn, u64 nr);
void rm_zone_set_kind(struct rm_zone *z, u64 pfn, u64 nr, unsigned int kind);
void rm_zone_set_mt(struct rm_zone *z, u64 start, u64 end, unsigned int mt);
/* Pageblocks rm_zone_retype() converts per hold of the zone lock. */
#define RM_SET_MT_PAGEBLOCKS	8
void rm_zone_retype(struct rm_zone *z, u64 start, u64 end, unsigned int mt);

/* --- memarea.c: contiguous areas of any page count --- */

enum rm_policy {
	RM_POLICY_FIRST_FIT = 0,
	RM_POLICY_BEST_FIT,
	RM_POLICY_LEAST_FRAG,
};

/**
 * struct rm_memarea_req - what to allocate
 * @count:	pages
 * @align:	the first pfn is a multiple of @align plus @offset; a power of
 *		two (0 is taken as 1)
 * @offset:	below @align
 * @nid:	preferred node, or NUMA_NO_NODE for the current CPU's
 * @flags:	RM_ALLOC_STRICT_NODE, RM_ALLOC_ZERO, RM_ALLOC_MOVABLE
 * @policy:	enum rm_policy
 */
struct rm_memarea_req {
	u64 count;
	u64 align;
	u64 offset;
	int nid;
	unsigned int flags;
	unsigned int policy;
};

/**
 * struct rm_memarea_stats - memarea counters since start
 * @requests:	allocation attempts that passed rm_memarea_check()
 * @successes:	of those, served
 * @failures:	of those, not served
 * @frag_failures: failures while the zones tried had at least @count pages
 *		free in all: fragmentation, not lack of memory
 * @frees:	areas given back
 * @pages:	pages in areas now
 * @words:	bitmap words read by all searches
 * @summaries:	chunk and super chunk summaries read by all searches
 * @words_hist:	per search, bitmap words read (log2 histogram)
 * @summaries_hist: per search, summaries read (log2 histogram)
 * @latency_hist: per allocation, nanoseconds (log2 histogram)
 *
 * All statistics (stats.h: zero with RESMEM_STATS=n) but for @pages, which
 * is state.
 */
struct rm_memarea_stats {
	u64 requests;
	u64 successes;
	u64 failures;
	u64 frag_failures;
	u64 frees;
	u64 pages;
	u64 words;
	u64 summaries;
	u64 words_hist[RM_HIST_BUCKETS];
	u64 summaries_hist[RM_HIST_BUCKETS];
	u64 latency_hist[RM_HIST_BUCKETS];
};

/**
 * struct rm_memarea - memarea over a buddy allocator
 * @b:		the buddy allocator whose free memory it shares
 * @lock:	protects @st
 * @st:		counters
 */
struct rm_memarea {
	struct rm_buddy *b;
	rm_spinlock_t lock;
	struct rm_memarea_stats st;
};

/*
 * Lock holds of memarea's search (src/core/memarea.c), in work units: a
 * bitmap word or a summary read is one, a placement score (least
 * fragmentation) RM_HOLD_SCORE.  A hold of the zone lock lets go once it
 * has done RM_HOLD_WORK, at the next point the search can resume from; a
 * search found stale when it is checked starts over, at most
 * RM_MEMAREA_TRIES times.
 */
#define RM_HOLD_WORK		1024
#define RM_HOLD_SCORE		64
#define RM_MEMAREA_TRIES	4

/**
 * struct rm_memarea_cost - what one search read, and how it held the lock
 * @words:	bitmap words
 * @summaries:	chunk and super chunk summaries
 * @scores:	placement scores computed (RM_POLICY_LEAST_FRAG)
 * @holds:	holds of the zone lock (rm_memarea_zone_search() only)
 * @hold_max:	most work units done in one of them
 * @retries:	searches started over: what was found was taken meanwhile
 */
struct rm_memarea_cost {
	u64 words;
	u64 summaries;
	u64 scores;
	u64 holds;
	u64 hold_max;
	u64 retries;
};

void rm_memarea_init(struct rm_memarea *ma, struct rm_buddy *b);
u64 rm_memarea_search(struct rm_block *b, unsigned int max_order,
		      const s64 *nr_free, const struct rm_memarea_req *r,
		      struct rm_memarea_cost *cost);
u64 rm_memarea_zone_search(struct rm_zone *z, const struct rm_memarea_req *r,
			   struct rm_memarea_cost *cost, unsigned long *flags);
int rm_memarea_check(struct rm_buddy *b, struct rm_memarea_req *r);
u64 rm_memarea_alloc(struct rm_memarea *ma, const struct rm_memarea_req *r);
void rm_memarea_free(struct rm_memarea *ma, u64 pfn, u64 count);
void rm_memarea_stats(struct rm_memarea *ma, struct rm_memarea_stats *st);
void rm_memarea_add_latency(struct rm_memarea *ma, u64 ns);

/* --- cma.c: regions lent to movable allocations --- */

#define RM_CMA_NAME_LEN		16

/**
 * struct rm_cma_stats - a region's counters since it was made
 * @attempts:	rm_cma_alloc() calls with good arguments
 * @successes:	buffers handed out
 * @failures:	calls that found no position
 * @migrated:	movable blocks moved out of the way
 * @migrate_failures: positions given up because a block would not move
 * @retries:	positions tried after the first
 * @used:	pages handed out now
 * @keeps:	buffers of a lent region kept at their release (rm_cma_keep())
 * @kept_takes:	buffers made of kept pages (rm_cma_take_kept())
 * @gave_back:	kept pages given back to the system (rm_cma_unkept())
 *
 * All statistics (stats.h: zero with RESMEM_STATS=n) but for @used, which
 * is state.
 */
struct rm_cma_stats {
	u64 attempts;
	u64 successes;
	u64 failures;
	u64 migrated;
	u64 migrate_failures;
	u64 retries;
	u64 used;
	u64 keeps;
	u64 kept_takes;
	u64 gave_back;
};

/**
 * struct rm_cma - a CMA region (see src/core/cma.c)
 * @name:	its name
 * @b:		the buddy allocator
 * @z:		the zone it lies in
 * @base_pfn:	first pfn, pageblock aligned
 * @count:	pages, whole pageblocks
 * @bitmap:	one bit per page handed out by rm_cma_alloc()
 * @heads:	one bit per page, set at the first page of each buffer
 *		(same allocation as @bitmap, after it)
 * @was_mt:	each pageblock's migratetype before the region was made
 *		(same allocation, after @heads)
 * @lock:	protects @bitmap, @heads and @st
 * @st:		counters
 * @system:	lent to the system (rm_cma_lend()): its pages are carved as
 *		RM_PK_SYSTEM, buffers come from rm_cma_take()
 * @memmap:	pages of a lent region that hold the system's struct pages
 *		(rm_cma_reserve()), in @bitmap and @heads like a buffer
 * @reserved:	while lent, one bit per page, set at the first page of each
 *		reservation, so that rm_cma_release() refuses one
 * @kept:	while lent, one bit per page taken back from the system and
 *		kept for the next take (rm_cma_keep()); same allocation as
 *		@reserved, after it
 * @releasing:	while lent, one bit per page, set at the first page of a
 *		buffer between the check of its release and the pages'
 *		publishing as kept or the system's (release_begin() in
 *		src/core/cma.c); same allocation, after @kept
 * @nr_kept:	the pages set in @kept
 * @nr_giving:	pages rm_cma_unkeep() took out of @kept whose
 *		rm_cma_unkept() has not come yet
 */
struct rm_cma {
	char name[RM_CMA_NAME_LEN];
	struct rm_buddy *b;
	struct rm_zone *z;
	u64 base_pfn;
	u64 count;
	unsigned long *bitmap;
	unsigned long *heads;
	u8 *was_mt;
	rm_spinlock_t lock;
	struct rm_cma_stats st;
	bool system;
	u64 memmap;
	unsigned long *reserved;
	unsigned long *kept;
	unsigned long *releasing;
	u64 nr_kept;
	u64 nr_giving;
};

/**
 * struct rm_cma_usage - a region's pages by use
 * @used:	handed out as buffers
 * @lent:	held by movable allocations
 * @free:	free
 * @maxchunk:	longest run of pages not handed out
 * @system:	pages lent to the system (RM_PK_SYSTEM), memmap included
 * @memmap:	pages holding the system's struct pages (struct rm_cma)
 * @kept:	pages taken back and kept for the next take, or on their
 *		way back to the system (RM_PK_KEPT)
 */
struct rm_cma_usage {
	u64 used;
	u64 lent;
	u64 free;
	u64 maxchunk;
	u64 system;
	u64 memmap;
	u64 kept;
};

int rm_cma_init(struct rm_cma *c, struct rm_buddy *b, const char *name,
		u64 base_pfn, u64 count);
int rm_cma_place(struct rm_cma *c, struct rm_buddy *b, const char *name,
		 u64 count, int nid, int near);
int rm_cma_place_aligned(struct rm_cma *c, struct rm_buddy *b,
			 const char *name, u64 count, u64 align, int nid,
			 int near);
int rm_cma_destroy(struct rm_cma *c);
bool rm_cma_args_ok(const struct rm_cma *c, u64 count, u64 align);
u64 rm_cma_alloc(struct rm_cma *c, u64 count, u64 align,
		 int (*migrate)(void *arg, u64 pfn, unsigned int order),
		 void *arg, int *err);
int rm_cma_release(struct rm_cma *c, u64 pfn, u64 count);
int rm_cma_give(struct rm_cma *c, u64 pfn, u64 count,
		void (*give)(void *arg, u64 pfn, u64 count), void *arg);
void rm_cma_usage(struct rm_cma *c, struct rm_cma_usage *u);
int rm_cma_lend(struct rm_cma *c);
int rm_cma_unlend(struct rm_cma *c);
int rm_cma_reserve(struct rm_cma *c, u64 pfn, u64 count);
int rm_cma_keep(struct rm_cma *c, u64 pfn, u64 count);
u64 rm_cma_take_kept(struct rm_cma *c, u64 count, u64 align);
u64 rm_cma_unkeep(struct rm_cma *c, u64 max, u64 *pfn);
void rm_cma_unkept(struct rm_cma *c, u64 pfn, u64 count);
u64 rm_cma_take(struct rm_cma *c, u64 count, u64 align,
		int (*take)(void *arg, u64 pfn, u64 count, u64 *stop),
		void *arg, int *err);

/* At most this many regions, from cma= and the ioctls together. */
#define RM_CMA_MAX		16
/* rm_cma_spec.base of a region resmem places itself. */
#define RM_CMA_AUTO		U64_MAX

/**
 * struct rm_cma_table - the regions by id (src/core/cma.c, the table)
 * @slot:	the region with id i, or NULL when slot i is free
 * @dying:	true while region i is being destroyed: it takes no new
 *		buffer, cannot be destroyed a second time, and keeps its
 *		slot and its name until it is gone
 */
struct rm_cma_table {
	struct rm_cma *slot[RM_CMA_MAX];
	bool dying[RM_CMA_MAX];
};

int rm_cma_table_reserve(const struct rm_cma_table *t, const char *name);
void rm_cma_table_set(struct rm_cma_table *t, u32 id, struct rm_cma *c);
void rm_cma_table_set_dying(struct rm_cma_table *t, u32 id, bool dying);
struct rm_cma *rm_cma_table_get(const struct rm_cma_table *t, u32 id);
struct rm_cma *rm_cma_table_find(const struct rm_cma_table *t,
				 const char *name);
struct rm_cma *rm_cma_table_next(const struct rm_cma_table *t, u32 *id);
struct rm_cma *rm_cma_table_of_pfn(const struct rm_cma_table *t, u64 pfn);

/**
 * struct rm_cma_spec - one cma= entry, NAME:SIZE[@BASE][:system]
 *	(src/core/parse.c)
 * @name:	the region's name
 * @base:	physical address of its first byte, or RM_CMA_AUTO
 * @size:	length in bytes
 * @system:	the suffix :system: lend it to the whole system
 */
struct rm_cma_spec {
	char name[RM_CMA_NAME_LEN];
	u64 base;
	u64 size;
	bool system;
};

bool rm_cma_name_char(char c);
int rm_parse_cma(const char *s, struct rm_cma_spec *out, unsigned int max,
		 unsigned int *nr, char *err, size_t errlen);
int rm_check_cma(const struct rm_cma_spec *c, unsigned int nr,
		 const struct rm_range_spec *r, unsigned int nr_ranges,
		 char *err, size_t errlen);

/*
 * An ioctl's output array (GET_INFO's blocks, PIECES, CMA_LIST): a user
 * pointer, room for a number of entries, and the caller's entry size,
 * which may be larger than ours (a newer ABI) up to RM_UARRAY_ENTRY_MAX.
 */
#define RM_UARRAY_ENTRY_MAX	256

int rm_uarray_check(bool has_ptr, u32 room, u32 es, u32 v1_size);

/* --- frag.c: fragmentation metrics of mm/vmstat.c --- */

int rm_extfrag_index(const u64 *nr_free, unsigned int nr_orders,
		     unsigned int order);
int rm_unusable_index(const u64 *nr_free, unsigned int nr_orders,
		      unsigned int order);
void rm_free_by_order(const struct rm_zone_counts *c, u64 *by_order);
void rm_index_text(char *buf, size_t len, int v);
u64 rm_fragmap_scale(u64 pages, u64 chars);
char rm_page_class(const struct rm_block *b, u64 idx);
bool rm_class_is_free(char c);
char rm_group_class(const struct rm_block *b, u64 idx, u64 n);

/* --- vcompound.c: 2^order pages from pieces (see the design comment) --- */

/*
 * vcompound serves orders up to the buddy's max_order plus this many, by
 * fallback only above max_order: at the default max_order 10, order 18 is
 * 1 GiB from at least 256 pieces, and the page-frame array the kernel's
 * vmap needs for it is 2 MiB.  The same value is RESMEM_VC_EXTRA_ORDERS in
 * the uapi header, where userspace computes the limit from GET_INFO.
 */
#define RM_VC_EXTRA_ORDERS	8
/* Never more than this: page indexes within a mapping fit in a u32. */
#define RM_VC_ORDER_LIMIT	30

/**
 * struct rm_vc_piece - one buddy block of a vcompound mapping
 * @pfn:	first page frame
 * @order:	the block's order
 * @first:	index of the block's first page within the mapping
 */
struct rm_vc_piece {
	u64 pfn;
	u32 order;
	u32 first;
};

typedef bool (*rm_vc_accept_fn)(u64 pfn, unsigned int order, void *arg);

/**
 * struct rm_vc_req - what rm_vc_take() covers, and with what
 * @order:	2^order pages in all, at most rm_vc_max_order()
 * @max_piece:	largest piece order (clamped to @order and max_order)
 * @nid:	preferred node, or NUMA_NO_NODE for the current CPU's
 * @flags:	RM_ALLOC_STRICT_NODE, RM_ALLOC_ZERO, RM_ALLOC_MOVABLE
 * @accept:	NULL, or says whether a piece may be used (a refused piece is
 *		held until the call returns, so it is not offered again)
 * @arg:	passed to @accept
 */
struct rm_vc_req {
	unsigned int order;
	unsigned int max_piece;
	int nid;
	unsigned int flags;
	rm_vc_accept_fn accept;
	void *arg;
};

unsigned int rm_vc_max_order(const struct rm_buddy *b);
int rm_vc_take(struct rm_buddy *b, const struct rm_vc_req *r,
	       struct rm_vc_piece **pieces, u32 *nr);
void rm_vc_put(struct rm_buddy *b, struct rm_vc_piece *pieces, u32 nr);
u32 rm_vc_piece_of(const struct rm_vc_piece *p, u32 nr, u64 idx);
bool rm_vc_owns(struct rm_buddy *b, u64 pfn, unsigned int order);

/* Page frame of page @idx of a mapping made of @p. */
static inline u64 rm_vc_pfn_of(const struct rm_vc_piece *p, u32 nr, u64 idx)
{
	const struct rm_vc_piece *q = &p[rm_vc_piece_of(p, nr, idx)];

	return q->pfn + (idx - q->first);
}

#endif /* _RESMEM_CORE_H */
