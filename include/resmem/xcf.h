/* SPDX-License-Identifier: GPL-2.0 */
/*
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
 * A slot is an object's place in a vpage: XCF_HDR_SIZE bytes of back
 * reference, then the object.
 */
#define XCF_MAX_SIZE		PAGE_SIZE
#define XCF_HDR_SIZE		4
#define XCF_MIN_SLOT		32
#define XCF_CLASS_STEP		16
#define XCF_VPAGE_MAX		16
#define XCF_MAX_OBJS		512
#define XCF_OBJ_WORDS		BITS_TO_LONGS(XCF_MAX_OBJS)
/* At most this many slot sizes, before equal geometries merge. */
#define XCF_MAX_CLASSES		((PAGE_SIZE - XCF_MIN_SLOT) / XCF_CLASS_STEP + 1)

/* Hoard's bound on every per-CPU heap: see src/core/xcf.c. */
#define XCF_HOARD_K		1	/* vpages a heap may keep idle */
#define XCF_HOARD_F_NUM		1	/* f = 1/4: the empty fraction */
#define XCF_HOARD_F_DEN		4
/* Automatic compaction of a class's global heap: see src/core/xcf.c. */
#define XCF_COMPACT_NUM		1
#define XCF_COMPACT_DEN		4

/* xcf_malloc() flags */
#define XCF_ZERO		BIT(0)	/* the object reads as zeroes */
#define XCF_MALLOC_VALID	XCF_ZERO

/* xcf_map() modes */
#define XCF_MAP_RO		BIT(0)	/* the caller reads */
#define XCF_MAP_WO		BIT(1)	/* the caller writes all of it */
#define XCF_MAP_RW		(XCF_MAP_RO | XCF_MAP_WO)
#define XCF_MAP_VALID		XCF_MAP_RW

/* A CPU number that names the global heap of a class (vpage owner). */
#define XCF_GLOBAL		U32_MAX
/* Fullness groups of vpages: 0 full, 1 at least 3/4 used ... 4 below 1/4. */
#define XCF_NR_GROUPS		5

/**
 * struct xcf_seg - one piece of an object: bytes [@off, @off + @len) of @pfn
 * @pfn:	the page frame
 * @off:	offset in the page
 * @len:	bytes
 * @addr:	kernel address of the piece's first byte
 */
struct xcf_seg {
	u64 pfn;
	u32 off;
	u32 len;
	void *addr;
};

/**
 * struct xcf_loc - where an object's bytes are (xcf_map(), xcf_unmap())
 * @seg:	one or two pieces, in the object's byte order
 * @nr:		1 or 2
 * @contig:	@nr is 2 and the second page follows the first in the same
 *		block: the object is contiguous at @seg[0].addr
 * @len:	bytes in all: the class size, which holds the object
 * @mode:	the XCF_MAP_* mode of the mapping
 */
struct xcf_loc {
	struct xcf_seg seg[2];
	u32 nr;
	bool contig;
	u32 len;
	unsigned int mode;
};

/**
 * struct xcf_heap - vpages of one class held by one CPU, or the global heap
 * @lock:	protects everything here and the vpages it owns
 * @head:	first vpage id of each fullness group (0: none)
 * @vpages:	vpages owned
 * @capacity:	their slots: @vpages * objects per vpage
 * @used:	live objects in them
 * @pages:	pages present in them
 */
struct xcf_heap {
	rm_spinlock_t lock;
	u32 head[XCF_NR_GROUPS];
	u32 vpages;
	u64 capacity;
	u64 used;
	u64 pages;
};

/**
 * struct xcf_class - one size class
 * @size:	largest object, bytes
 * @slot:	bytes an object takes in a vpage
 * @hdr:	back-reference bytes at the slot's start (0: in the vpage)
 * @pages:	pages per vpage
 * @objs:	slots per vpage
 * @global:	the global heap; its lock is the class lock
 * @seq:	compaction runs, to mark the vpages a run has visited
 * @compactions: compaction runs that moved an object
 * @moved:	objects moved by compaction
 * @returns:	vpages per-CPU heaps gave back to @global
 */
struct xcf_class {
	u32 size;
	u32 slot;
	u32 hdr;
	u32 pages;
	u32 objs;
	struct xcf_heap global;
	u16 seq;
	u64 compactions;
	u64 moved;
	u64 returns;
};

/**
 * struct xcf_tab - records of a fixed size in pages from the buddy
 * @root:	pfn + 1 of each directory page (0: none); a directory page
 *		holds pfn + 1 of XCF_DIR_ENTRIES record pages
 * @dir_used:	record pages listed in each directory page
 * @nr_root:	entries in @root and @dir_used
 * @shift:	log2 of the record size
 * @first:	records at a page's start that hold the page header
 * @partial:	page number of the first page with a free record, or
 *		XCF_NIL; pages with free records are linked in their headers
 * @pages:	record and directory pages held
 * @used:	records handed out
 */
struct xcf_tab {
	u64 *root;
	u16 *dir_used;
	u32 nr_root;
	u32 shift;
	u32 first;
	u32 partial;
	u64 pages;
	u64 used;
};

#define XCF_DIR_ENTRIES		(PAGE_SIZE / sizeof(u64))
#define XCF_NIL			U32_MAX

/* Per-CPU heaps of a pool: one per class. */
struct xcf_pcpu {
	struct xcf_heap *heap;
};

/**
 * struct xcf_pool - an xcf pool
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
 * @size_class:	class index of each size, in XCF_CLASS_STEP steps
 * @pcpu:	the per-CPU heaps
 */
struct xcf_pool {
	struct rm_buddy *b;
	int nid;
	rm_spinlock_t meta_lock;
	struct xcf_tab handles;
	struct xcf_tab vpages;
	u64 pages;
	u64 data_pages;
	u32 gen_seed;
	u32 nr_cpus;
	u32 nr_classes;
	struct xcf_class *cls;
	u16 *size_class;
	struct xcf_pcpu __percpu *pcpu;
};

/**
 * struct xcf_class_stats - one class, as zsmalloc's debugfs "classes"
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
struct xcf_class_stats {
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
 * struct xcf_pool_stats - pool totals
 * @pages:	pages held from the buddy (xcf_total_pages())
 * @data_pages:	of those, in vpages
 * @meta_pages:	of those, in the handle and vpage tables
 * @handles:	live handles
 * @vpages:	vpages
 * @compactions: compaction runs that moved an object
 * @moved:	objects compaction moved
 * @returns:	vpages per-CPU heaps gave back to global heaps
 */
struct xcf_pool_stats {
	u64 pages;
	u64 data_pages;
	u64 meta_pages;
	u64 handles;
	u64 vpages;
	u64 compactions;
	u64 moved;
	u64 returns;
};

void xcf_geometry(u32 slot, u32 max_pages, u32 max_objs, u32 *pages,
		  u32 *objs);
struct xcf_pool *xcf_create(struct rm_buddy *b, int nid);
void xcf_destroy(struct xcf_pool *pool);
int xcf_malloc(struct xcf_pool *pool, size_t size, unsigned int flags,
	       unsigned int cpu, unsigned long *handle);
void xcf_free(struct xcf_pool *pool, unsigned long handle);
int xcf_map(struct xcf_pool *pool, unsigned long handle, unsigned int mode,
	    struct xcf_loc *loc);
int xcf_unmap(struct xcf_pool *pool, unsigned long handle,
	      struct xcf_loc *loc);
u64 xcf_compact(struct xcf_pool *pool);
void xcf_drain(struct xcf_pool *pool, unsigned int cpu);
u64 xcf_total_pages(struct xcf_pool *pool);
int xcf_class_of(struct xcf_pool *pool, size_t size);
void xcf_stats(struct xcf_pool *pool, struct xcf_pool_stats *ps,
	       struct xcf_class_stats *cs);

#endif /* _RESMEM_XCF_H */
