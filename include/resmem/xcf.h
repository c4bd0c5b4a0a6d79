/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: xcf's types
 *
 * xcf: a size-class allocator of small objects in vpages (arrays of order-0
 * buddy pages), with handles, map/unmap, partial free of vpages, compaction
 * and per-CPU heaps.  The design comment is in src/core/xcf.c.  Only xcf's
 * users (its kernel glue and its tests) include this header.
 */
#ifndef _RESMEM_XCF_H
#define _RESMEM_XCF_H

#include "core.h"

/*
 * Geometry of the classes (src/core/xcf.c says why each has its value).
 * A slot is an object's place in a vpage: RM_XCF_HDR_SIZE bytes of back
 * reference, then the object.
 */
#define RM_XCF_MAX_SIZE		PAGE_SIZE
#define RM_XCF_HDR_SIZE		4
#define RM_XCF_MIN_SLOT		32
#define RM_XCF_CLASS_STEP		16
#define RM_XCF_VPAGE_MAX		16
#define RM_XCF_MAX_OBJS		512
#define RM_XCF_OBJ_WORDS		BITS_TO_LONGS(RM_XCF_MAX_OBJS)
/* At most this many slot sizes, before equal geometries merge. */
#define RM_XCF_MAX_CLASSES \
	((PAGE_SIZE - RM_XCF_MIN_SLOT) / RM_XCF_CLASS_STEP + 1)

/* Hoard's bound on every per-CPU heap: see src/core/xcf.c. */
#define RM_XCF_HOARD_K		1	/* vpages a heap may keep idle */
/* f = 1/4: the empty fraction */
#define RM_XCF_HOARD_F_NUM		1
#define RM_XCF_HOARD_F_DEN		4
/* Automatic compaction of a class's global heap: see src/core/xcf.c. */
#define RM_XCF_COMPACT_NUM		1
#define RM_XCF_COMPACT_DEN		4
/* descriptors one search looks at in one fullness group */
#define RM_XCF_SCAN			8
/* destination searches in one automatic step */
#define RM_XCF_DESTS			4

/* rm_xcf_malloc() flags */
#define RM_XCF_ZERO		BIT(0)	/* the object reads as zeroes */
#define RM_XCF_MALLOC_VALID	RM_XCF_ZERO

/* rm_xcf_map() modes */
#define RM_XCF_MAP_RO		BIT(0)	/* the caller reads */
#define RM_XCF_MAP_WO		BIT(1)	/* the caller writes all of it */
#define RM_XCF_MAP_RW		(RM_XCF_MAP_RO | RM_XCF_MAP_WO)
#define RM_XCF_MAP_VALID		RM_XCF_MAP_RW

/* A CPU number that names the global heap of a class (vpage owner). */
#define RM_XCF_GLOBAL		U32_MAX
/* Fullness groups of vpages: 0 full, 1 at least 3/4 used ... 4 below 1/4. */
#define RM_XCF_NR_GROUPS		5
/*
 * The most descriptors one automatic compaction step looks at: a source
 * search and RM_XCF_DESTS destination searches, each RM_XCF_SCAN in each
 * group but the full one.
 */
#define RM_XCF_STEP_VISITS \
	((1 + RM_XCF_DESTS) * (RM_XCF_NR_GROUPS - 1) * RM_XCF_SCAN)

/**
 * struct rm_xcf_seg - one piece of an object: bytes [@off, @off + @len) of @pfn
 * @pfn:	the page frame
 * @off:	offset in the page
 * @len:	bytes
 * @addr:	kernel address of the piece's first byte
 */
struct rm_xcf_seg {
	u64 pfn;
	u32 off;
	u32 len;
	void *addr;
};

/**
 * struct rm_xcf_loc - where an object's bytes are (rm_xcf_map(),
 * rm_xcf_unmap())
 * @seg:	one or two pieces, in the object's byte order
 * @nr:		1 or 2
 * @contig:	@nr is 2 and the second page follows the first in the same
 *		block: the object is contiguous at @seg[0].addr
 * @len:	bytes in all: the class size, which holds the object
 * @mode:	the RM_XCF_MAP_* mode of the mapping
 */
struct rm_xcf_loc {
	struct rm_xcf_seg seg[2];
	u32 nr;
	bool contig;
	u32 len;
	unsigned int mode;
};

/**
 * struct rm_xcf_heap - vpages of one class held by one CPU, or the global heap
 * @lock:	protects everything here and the vpages it owns
 * @head:	first vpage id of each fullness group (0: none)
 * @tail:	last vpage id of each fullness group (0: none)
 * @vpages:	vpages owned
 * @capacity:	their slots: @vpages * objects per vpage
 * @used:	live objects in them
 * @pages:	pages present in them
 */
struct rm_xcf_heap {
	rm_spinlock_t lock;
	u32 head[RM_XCF_NR_GROUPS];
	u32 tail[RM_XCF_NR_GROUPS];
	u32 vpages;
	u64 capacity;
	u64 used;
	u64 pages;
};

/**
 * struct rm_xcf_class - one size class
 * @size:	largest object, bytes
 * @slot:	bytes an object takes in a vpage
 * @hdr:	back-reference bytes at the slot's start (0: in the vpage)
 * @pages:	pages per vpage
 * @objs:	slots per vpage
 * @global:	the global heap; its lock is the class lock
 * @seq:	rm_xcf_compact() runs, to mark the vpages a run has visited
 * @compactions: compaction runs that moved an object
 * @moved:	objects moved by compaction
 * @returns:	vpages per-CPU heaps gave back to @global
 * @visits:	descriptors the compaction under way has looked at
 * @step_visits: the most descriptors one automatic compaction step looked at
 * @step_moves:	the most objects one automatic compaction step moved
 */
struct rm_xcf_class {
	u32 size;
	u32 slot;
	u32 hdr;
	u32 pages;
	u32 objs;
	struct rm_xcf_heap global;
	u16 seq;
	u64 compactions;
	u64 moved;
	u64 returns;
	u32 visits;
	u32 step_visits;
	u32 step_moves;
};

/**
 * struct rm_xcf_tab - records of a fixed size in pages from the buddy
 * @root:	kernel address of each directory page (0: none); a
 *		directory page holds the addresses of RM_XCF_DIR_ENTRIES
 *		record pages
 * @dir_used:	record pages listed in each directory page
 * @nr_root:	entries in @root and @dir_used
 * @shift:	log2 of the record size
 * @first:	records at a page's start that hold the page header
 * @partial:	page number of the first page with a free record, or
 *		RM_XCF_NIL; pages with free records are linked in their headers
 * @pages:	record and directory pages held
 * @used:	records handed out
 */
struct rm_xcf_tab {
	u64 *root;
	u16 *dir_used;
	u32 nr_root;
	u32 shift;
	u32 first;
	u32 partial;
	u64 pages;
	u64 used;
};

#define RM_XCF_DIR_ENTRIES		(PAGE_SIZE / sizeof(u64))
#define RM_XCF_NIL			U32_MAX

/* Per-CPU heaps of a pool: one per class. */
struct rm_xcf_pcpu {
	struct rm_xcf_heap *heap;
};

/**
 * struct rm_xcf_pool - an xcf pool
 * @b:		the buddy allocator every page comes from
 * @nid:	node asked of the buddy
 * @meta_lock:	protects @handles, @vpages, @pages, @data_pages, @gen_seed
 *		and every handle entry
 * @handles:	the handle table: one u64 entry per handle
 * @vpages:	the vpage descriptors, one record each
 * @pages:	pages held from the buddy, tables included
 * @data_pages:	of those, pages of vpages
 * @gen_seed:	generation the entries of the next new handle page start at
 * @nr_cpus:	per-CPU heaps exist for CPU numbers below this
 * @nr_classes:	classes in @cls
 * @cls:	the classes, by size
 * @size_class:	class index of each size, in RM_XCF_CLASS_STEP steps
 * @pcpu:	the per-CPU heaps
 */
struct rm_xcf_pool {
	struct rm_buddy *b;
	int nid;
	rm_spinlock_t meta_lock;
	struct rm_xcf_tab handles;
	struct rm_xcf_tab vpages;
	u64 pages;
	u64 data_pages;
	u32 gen_seed;
	u32 nr_cpus;
	u32 nr_classes;
	struct rm_xcf_class *cls;
	u16 *size_class;
	struct rm_xcf_pcpu __percpu *pcpu;
};

/**
 * struct rm_xcf_class_stats - one class, as zsmalloc's debugfs "classes"
 * @size:	largest object
 * @objects:	slots of its vpages (zsmalloc's obj_allocated)
 * @used:	live objects (obj_used)
 * @pages:	pages present in its vpages (pages_used)
 * @pages_per_vpage: pages of a vpage (pages_per_zspage)
 * @objs_per_vpage: slots of a vpage
 * @vpages:	vpages
 * @freeable:	pages present minus the fewest that hold @used objects:
 *		the most compaction could free
 */
struct rm_xcf_class_stats {
	u32 size;
	u64 objects;
	u64 used;
	u64 pages;
	u32 pages_per_vpage;
	u32 objs_per_vpage;
	u64 vpages;
	u64 freeable;
};

/**
 * struct rm_xcf_pool_stats - pool totals
 * @pages:	pages held from the buddy (rm_xcf_total_pages())
 * @data_pages:	of those, in vpages
 * @meta_pages:	of those, in the handle and vpage tables
 * @handles:	live handles
 * @vpages:	vpages
 * @compactions: compaction runs that moved an object
 * @moved:	objects compaction moved
 * @returns:	vpages per-CPU heaps gave back to global heaps
 * @step_visits: the most vpage descriptors one automatic compaction step
 *		(a free's or a return's) looked at, in any class
 * @step_moves:	the most objects one automatic compaction step moved
 */
struct rm_xcf_pool_stats {
	u64 pages;
	u64 data_pages;
	u64 meta_pages;
	u64 handles;
	u64 vpages;
	u64 compactions;
	u64 moved;
	u64 returns;
	u32 step_visits;
	u32 step_moves;
};

void rm_xcf_geometry(u32 slot, u32 max_pages, u32 max_objs, u32 *pages,
		     u32 *objs);
struct rm_xcf_pool *rm_xcf_create(struct rm_buddy *b, int nid);
void rm_xcf_destroy(struct rm_xcf_pool *pool);
int rm_xcf_malloc(struct rm_xcf_pool *pool, size_t size, unsigned int flags,
		  unsigned int cpu, unsigned long *handle);
void rm_xcf_free(struct rm_xcf_pool *pool, unsigned long handle);
int rm_xcf_map(struct rm_xcf_pool *pool, unsigned long handle,
	       unsigned int mode, struct rm_xcf_loc *loc);
int rm_xcf_unmap(struct rm_xcf_pool *pool, unsigned long handle,
		 struct rm_xcf_loc *loc);
u64 rm_xcf_compact(struct rm_xcf_pool *pool);
void rm_xcf_drain(struct rm_xcf_pool *pool, unsigned int cpu);
u64 rm_xcf_total_pages(struct rm_xcf_pool *pool);
int rm_xcf_class_of(struct rm_xcf_pool *pool, size_t size);
void rm_xcf_stats(struct rm_xcf_pool *pool, struct rm_xcf_pool_stats *ps,
		  struct rm_xcf_class_stats *cs);

#endif /* _RESMEM_XCF_H */
