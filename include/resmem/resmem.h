/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: The glue's shared state
 *
 * resmem kernel glue: what the files under src/ and debugfs/ share.  Each
 * allocator's glue keeps its own types in a header beside it: cma.h (CMA
 * regions and movable blocks), vcompound.h and xcf_glue.h.  Clients (other
 * modules) see none of these, only api.h.
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
 *  7. xcf_lock (mutex, src/xcf.c): the list of xcf pools; taken with no
 *     other lock of the module held, above xcf's own locks (11)
 *  -- spinlocks below: interrupts off, nothing sleeps --
 *  8. resmem_mv_map's xarray lock (src/migrate.c): the reverse map of
 *     movable blocks
 *  9. vc_lock (src/vcompound.c): vcompound's tree of fallback mappings;
 *     vc_heads' xarray lock (process context only) beside it
 * 10. resmem_offsets_lock (src/file.c): the mmap offset tree; nests
 *     inside nothing, held only to walk or change the tree
 * 11. xcf, in src/core/xcf.c's order: a CPU heap lock, then the class
 *     lock, then the pool's meta lock
 * 12. struct rm_cma.lock (src/core/cma.c): a region's bitmaps; never held
 *     with a zone lock
 * 13. struct rm_memarea.lock (src/core/memarea.c): memarea's statistics,
 *     after the zone lock is dropped
 * 14. struct rm_pcp.lock (src/core/buddy.c): one CPU's page cache; never
 *     two at once
 * 15. struct rm_zone.lock (src/core/buddy.c): one block's free lists;
 *     never two at once
 *
 * No lock is held across a migration callback (src/core/cma.c calls it
 * with none of the core's locks held), so callbacks may sleep and take
 * locks 4 and 5.
 *
 * The kernel's locks: lending a region to the system and taking it back
 * (src/lend.c) call the kernel's memory hotplug (device_hotplug_lock,
 * mem_hotplug_lock) under locks 1 and 2, and alloc_contig_range() under
 * lock 2 (with up to two 100 ms pauses between walks, so a destroy that
 * waits for lock 2 under lock 1 can wait that long too).  The kernel calls
 * resmem from those paths only through a lent region's shrinker (direct
 * reclaim while it migrates or offlines), which takes lock 2 with
 * mutex_trylock() and gives up when it is held: it never waits there.
 * The iomem claim's pieces (src/range.c) change only under lock 1.
 */
#ifndef _RESMEM_RESMEM_H
#define _RESMEM_RESMEM_H

#include <linux/miscdevice.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/types.h>
#include <resmem/core.h>

#define RESMEM_VERSION	"0.1.0"

/* NUMA_NO_NODE or an online node: the rule for every node argument. */
static inline bool resmem_nid_ok(int nid)
{
	return nid == NUMA_NO_NODE ||
	       (nid >= 0 && nid < MAX_NUMNODES && node_online(nid));
}

/* "resmem" iomem entries of a range: one, plus one per lent region */
#define RESMEM_RANGE_PIECES	(RM_CMA_MAX + 1)

/**
 * struct resmem_range - one ranges= entry as claimed from the kernel
 * @spec:	base, size and requested node as parsed
 * @res:	our "resmem" entries in /proc/iomem, NULL where unused: one
 *		over the whole range from the claim, split around every part
 *		lent to the system (src/range.c, resmem_range_unclaim())
 * @vaddr:	write-back kernel mapping of the whole range, or NULL
 */
struct resmem_range {
	struct rm_range_spec spec;
	struct resource *res[RESMEM_RANGE_PIECES];
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
int resmem_range_unclaim(u64 base, u64 size);
int resmem_range_reclaim(u64 base, u64 size);
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
int resmem_uarray_put(u8 __user *ubuf, u32 i, u32 es, const void *e,
		      size_t size);

#endif /* _RESMEM_RESMEM_H */
