/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: The glue's shared state
 *
 * resmem kernel glue: what the files under src/ and debugfs/ share.
 *
 * There is one resmem instance per module load (struct resmem_dev resmem),
 * built by resmem_ranges_setup() at init and torn down at exit.  Its range
 * table and region are written only while the module loads and unloads, when
 * no file is open and no debugfs file exists, so readers take no lock.
 */

/**
 * DOC: Lock order
 *
 * Every lock of the module, outermost first; a lock is only ever taken
 * while holding locks above it in this list, never below.  Each file's
 * locking paragraph says which of them it takes and why; lockdep checks
 * the order on the debug kernel (make check runs the whole suite there).
 *
 *  1. resmem_cma_table_lock (mutex, src/cma.c): the table of CMA regions
 *  2. struct resmem_cma.lock (mutex, include/resmem/cma.h): one region's
 *     allocations, take-backs and destroy
 *  3. struct resmem_file.lock (mutex, src/file.c): one open file's handles
 *  4. struct resmem_ualloc.sem (rw_semaphore, src/file.c): one userspace
 *     allocation; faults take it for reading under the mm's mmap lock
 *  5. a kernel movable block's mutex (src/migrate.c): its moves, pins
 *     and free
 *  6. dbg_lock (mutex, debugfs/cma.c): the debugfs allocation list
 *  -- spinlocks below: interrupts off, nothing sleeps --
 *  7. resmem_mv_map's xarray lock (src/migrate.c): the reverse map of
 *     movable blocks
 *  8. vc_lock (src/vcompound.c): vcompound's tree of fallback mappings;
 *     vc_heads' xarray lock (process context only) beside it
 *  9. resmem_offsets_lock (src/file.c): the mmap offset tree; nests
 *     inside nothing, held only to walk or change the tree
 * 10. xcf, in src/core/xcf.c's order: a CPU heap lock, then the class
 *     lock, then the pool's meta lock
 * 11. struct rm_cma.lock (src/core/cma.c): a region's bitmaps; never held
 *     with a zone lock
 * 12. struct rm_memarea.lock (src/core/memarea.c): memarea's statistics,
 *     after the zone lock is dropped
 * 13. struct rm_pcp.lock (src/core/buddy.c): one CPU's page cache; never
 *     two at once
 * 14. struct rm_zone.lock (src/core/buddy.c): one block's free lists;
 *     never two at once
 *
 * No lock is held across a migration callback (src/core/cma.c calls it
 * with none of the core's locks held), so callbacks may sleep and take
 * locks 4 and 5.
 */
#ifndef _RESMEM_RESMEM_H
#define _RESMEM_RESMEM_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/miscdevice.h>
#include <linux/rbtree.h>
#include <linux/types.h>
#include <resmem/core.h>

#define RESMEM_VERSION	"0.1.0"

/**
 * struct resmem_range - one ranges= entry as claimed from the kernel
 * @spec:	base, size and requested node as parsed
 * @res:	our "resmem" entry in /proc/iomem, or NULL before the claim
 * @vaddr:	write-back kernel mapping of the whole range, or NULL
 */
struct resmem_range {
	struct rm_range_spec spec;
	struct resource *res;
	void *vaddr;
};

/**
 * struct resmem_dev - the module's state
 * @region:	the blocks and their metadata (src/core/region.c)
 * @buddy:	the page allocator over @region (src/core/buddy.c)
 * @memarea:	contiguous areas of any size from @buddy's free memory
 * @range:	the ranges= entries
 * @nr_ranges:	entries in @range
 * @debugfs:	/sys/kernel/debug/resmem, or NULL when debugfs is unavailable
 */
struct resmem_dev {
	struct rm_region region;
	struct rm_buddy buddy;
	struct rm_memarea memarea;
	struct resmem_range range[RM_MAX_RANGES];
	unsigned int nr_ranges;
	struct dentry *debugfs;
};

extern struct resmem_dev resmem;

int resmem_ranges_setup(const char *param);
void resmem_ranges_report(void);
void resmem_ranges_teardown(void);
int resmem_pages_setup(void);
void resmem_pages_teardown(void);
int resmem_dev_register(void);
void resmem_dev_unregister(void);
void resmem_debugfs_init(void);
void resmem_debugfs_exit(void);
struct dentry;
struct seq_file;
void resmem_debugfs_counts(struct seq_file *m, const char *name,
			   const u64 *h, unsigned int n);
int resmem_debugfs_open_scratch(struct file *file,
				int (*show)(struct seq_file *, void *),
				size_t size);
int resmem_debugfs_release_scratch(struct inode *inode, struct file *file);

/**
 * DEFINE_RESMEM_SCRATCH_ATTRIBUTE - open and file_operations for a show
 * function that snapshots into zeroed scratch memory
 * @__name: makes __name_open() and __name_fops; __name_show() must exist
 * @__size: bytes of scratch, as resmem_debugfs_open_scratch() takes
 */
#define DEFINE_RESMEM_SCRATCH_ATTRIBUTE(__name, __size)			\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	return resmem_debugfs_open_scratch(file, __name ## _show, __size);\
}									\
static const struct file_operations __name ## _fops = {		\
	.owner = THIS_MODULE,						\
	.open = __name ## _open,					\
	.read = seq_read,						\
	.llseek = seq_lseek,						\
	.release = resmem_debugfs_release_scratch,			\
}

/**
 * struct resmem_debugfs_hist - one histogram for resmem_debugfs_hists()
 * @name:	its key
 * @counts:	RM_HIST_BUCKETS counts (include/resmem/stats.h)
 */
struct resmem_debugfs_hist {
	const char *name;
	const u64 *counts;
};

void resmem_debugfs_hists(struct seq_file *m,
			  const struct resmem_debugfs_hist *h, unsigned int n);
void resmem_debugfs_stats_note(struct seq_file *m);
void resmem_debugfs_buddy_init(struct dentry *dir);
void resmem_debugfs_memarea_init(struct dentry *dir);

/* src/file.c: allocations made through /dev/resmem */
extern unsigned int resmem_max_allocs_per_file;
struct file;
struct vm_area_struct;
int resmem_file_open(struct file *file);
void resmem_file_release(struct file *file);
int resmem_file_mmap(struct file *file, struct vm_area_struct *vma);
int resmem_ioc_alloc(struct file *file, void *arg);
int resmem_ioc_free(struct file *file, void *arg);
int resmem_ioc_query(struct file *file, void *arg);
int resmem_ioc_pieces(struct file *file, void *arg);
int resmem_ioc_kfill(struct file *file, void *arg);

/* src/vcompound.c: vcompound in the kernel (design comment there) */

/**
 * struct resmem_vc - a vcompound fallback mapping
 * @addr:	kernel address of its first page, from vmap() or vmap_pfn()
 * @order:	it maps 2^order pages
 * @nr:		pieces in @pieces
 * @pieces:	the buddy blocks it maps, in mapping order
 * @node:	in the tree of mappings, keyed by @addr
 * @free:	on the list of mappings whose unmap is deferred
 */
struct resmem_vc {
	void *addr;
	unsigned int order;
	u32 nr;
	struct rm_vc_piece *pieces;
	struct rb_node node;
	struct llist_node free;
};

/**
 * struct resmem_vc_stats - vcompound counters since load (debugfs)
 * @requests:	well-formed allocation requests, per order
 * @contiguous:	served by one physically contiguous block
 * @fallback:	served by a fallback mapping
 * @forced:	of those, because vfallback_always or RESMEM_VC_FALLBACK
 *		asked for it
 * @above_max:	of those, for orders above the buddy's max_order
 * @failures:	requests not served
 * @atomic_failures: of those, RESMEM_VC_ATOMIC requests, which cannot
 *		fall back
 * @mixed:	fallbacks whose first pieces mixed pages with and without a
 *		struct page, taken again from one kind
 * @frees_contiguous: contiguous blocks freed
 * @frees_fallback: fallback mappings freed
 * @pieces:	pieces of all fallback mappings made
 * @pieces_hist: pieces per fallback mapping (log2 histogram)
 * @contig_ns_hist: nanoseconds per contiguous allocation (log2 histogram)
 * @fallback_ns_hist: nanoseconds per fallback allocation (log2 histogram)
 * @mappings:	fallback mappings that exist now
 * @mapped_pages: pages in them
 * @deferred:	freed mappings whose unmap has not run yet
 */
struct resmem_vc_stats {
	u64 requests[RM_VC_ORDER_LIMIT + 1];
	u64 contiguous;
	u64 fallback;
	u64 forced;
	u64 above_max;
	u64 failures;
	u64 atomic_failures;
	u64 mixed;
	u64 frees_contiguous;
	u64 frees_fallback;
	u64 pieces;
	u64 pieces_hist[RM_HIST_BUCKETS];
	u64 contig_ns_hist[RM_HIST_BUCKETS];
	u64 fallback_ns_hist[RM_HIST_BUCKETS];
	u64 mappings;
	u64 mapped_pages;
	u64 deferred;
};

extern bool resmem_vfallback_always;
void resmem_vc_init(void);
void resmem_vc_exit(void);
void *resmem_vc_alloc(unsigned int order, int nid, unsigned int flags,
		      struct resmem_vc **vcp);
void resmem_vc_release(struct resmem_vc *vc, u64 pfn, unsigned int order);
u64 resmem_vc_pfn(const struct resmem_vc *vc, u64 idx);
void resmem_vc_stats(struct resmem_vc_stats *st);
void resmem_debugfs_vcompound_init(struct dentry *dir);

/* src/xcf.c: xcf in the kernel and its zpool driver (design comment there) */

#define RESMEM_XCF_NAME_MAX	64

struct rm_xcf_pool;

/**
 * struct resmem_xcf_pool - an xcf pool of the in-kernel API
 * @core:	the allocator (src/core/xcf.c)
 * @name:	its name, unique among live pools: debugfs xcf/@name/
 * @list:	on the list of pools (xcf_pools, under xcf_lock)
 * @dir:	its debugfs directory, or NULL
 */
struct resmem_xcf_pool {
	struct rm_xcf_pool *core;
	char name[RESMEM_XCF_NAME_MAX];
	struct list_head list;
	struct dentry *dir;
};

/**
 * struct resmem_xcf_stats - xcf counters of all pools since load (debugfs)
 * @mallocs:	objects allocated
 * @malloc_failures: allocations refused (no memory, bad size)
 * @maps:	mappings made
 * @map_copies:	of those, of objects split over two pages that are not
 *		adjacent, copied through the per-CPU buffer
 * @compact_calls: resmem_xcf_compact() calls
 * @compact_freed: pages they freed
 * @malloc_ns_hist: nanoseconds per allocation (log2 histogram)
 */
struct resmem_xcf_stats {
	u64 mallocs;
	u64 malloc_failures;
	u64 maps;
	u64 map_copies;
	u64 compact_calls;
	u64 compact_freed;
	u64 malloc_ns_hist[RM_HIST_BUCKETS];
};

int resmem_xcf_init(void);
void resmem_xcf_exit(void);
void resmem_xcf_zpool_register(void);
void resmem_xcf_zpool_unregister(void);
bool resmem_xcf_zpool_registered(void);
void resmem_xcf_stats(struct resmem_xcf_stats *st);
typedef void (*resmem_xcf_pool_fn)(struct resmem_xcf_pool *pool, void *arg);
void resmem_xcf_walk_pools(resmem_xcf_pool_fn fn, void *arg);
void resmem_debugfs_xcf_init(struct dentry *dir);
void resmem_debugfs_xcf_pool_add(struct resmem_xcf_pool *pool);

#endif /* _RESMEM_RESMEM_H */
