/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Glue for CMA regions and movable blocks
 *
 * resmem kernel glue for CMA regions (src/cma.c, debugfs/cma.c) and
 * movable blocks (src/migrate.c): what src/file.c, src/dev.c and debugfs
 * share with them.
 */
#ifndef _RESMEM_CMA_H
#define _RESMEM_CMA_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <resmem/core.h>

struct dentry;
struct resmem_mv;

/**
 * struct resmem_mv_ops - how the owner of a movable block moves it
 * @get:	take a reference on the owner; false when it is going away
 * @put:	drop that reference
 * @move:	move the block now at @pfn elsewhere with resmem_mv_move(),
 *		under the owner's lock; 0 when moved or no longer there,
 *		-EBUSY when pinned or refused, -ENOMEM without room
 */
struct resmem_mv_ops {
	bool (*get)(struct resmem_mv *mv);
	void (*put)(struct resmem_mv *mv);
	int (*move)(struct resmem_mv *mv, u64 pfn);
};

/**
 * struct resmem_mv - a movable buddy block in the reverse map
 * @ops:	its owner's operations
 * @order:	the block is 2^order pages
 * @nid:	node to move it to first (the allocation's), or NUMA_NO_NODE
 * @flags:	the allocation's RM_ALLOC_STRICT_NODE: only to @nid
 */
struct resmem_mv {
	const struct resmem_mv_ops *ops;
	unsigned int order;
	int nid;
	unsigned int flags;
};

int resmem_mv_add(struct resmem_mv *mv, u64 pfn);
void resmem_mv_del(u64 pfn);
struct resmem_mv *resmem_mv_get(u64 pfn, unsigned int order);
u64 resmem_mv_move(struct resmem_mv *mv, u64 from,
		   int (*client)(struct resmem_mv *mv, u64 from, u64 to),
		   int *err);

/**
 * struct resmem_cma_stats - a region's glue counters (debugfs)
 * @latency_hist: nanoseconds per rm_cma_alloc() call (log2 histogram)
 * @move_enomem: moves that found no destination
 * @move_busy:	moves refused because the block was pinned
 * @move_gone:	blocks freed by their owner before they could be moved
 */
struct resmem_cma_stats {
	u64 latency_hist[RM_HIST_BUCKETS];
	u64 move_enomem;
	u64 move_busy;
	u64 move_gone;
};

/**
 * struct resmem_lend_stats - a lent region's take-back counters (debugfs)
 * @latency_hist: nanoseconds per take-back (resmem_lend_take() call, all
 *		its walks and pauses), log2
 * @attempts:	alloc_contig_range() calls
 * @taken:	of them, those that succeeded
 * @busy:	those that failed (pages that would not migrate)
 * @migrated:	pages the system held in ranges that were taken back
 * @rewalks:	walks begun again after a walk found every position busy
 *		(src/lend.c, LEND_TAKE_WALKS)
 * @rewalk_successes: take-backs that succeeded on such a later walk
 * @unlend_failures: destroys refused because the kernel could not
 *		offline the memory
 * @kept_takes:	take-backs served from kept pages, with no migration
 * @gave_back_walk: kept pages given back before a walk (the take wanted
 *		more, or other, than was kept)
 * @gave_back_shrinker: kept pages given back to the kernel's shrinker
 * @gave_back_idle: kept pages given back lend_keep_ms after the last
 *		release
 */
struct resmem_lend_stats {
	u64 latency_hist[RM_HIST_BUCKETS];
	u64 attempts;
	u64 taken;
	u64 busy;
	u64 migrated;
	u64 rewalks;
	u64 rewalk_successes;
	u64 unlend_failures;
	u64 kept_takes;
	u64 gave_back_walk;
	u64 gave_back_shrinker;
	u64 gave_back_idle;
};

/**
 * struct resmem_cma - a CMA region in the kernel
 * @c:		the core region (src/core/cma.c); in the table (struct
 *		rm_cma_table, src/cma.c) from its creation to its destruction
 * @lock:	serialises allocations and the region's destruction
 * @id:		its number in the table, stable while it exists
 * @nid:	its node
 * @nr_allocs:	buffers handed out and not yet released
 * @st:		counters, under @lock
 * @lst:	take-back counters of a region lent to the system, under
 *		@lock
 * @dir:	its debugfs directory, or NULL
 * @keep_work:	gives kept pages back lend_keep_ms after the last release
 *		(src/lend.c)
 * @shrinker:	gives kept pages back when the kernel needs memory, from
 *		the lend to the un-lend
 *
 * A region lent to the system (src/lend.c) has @c.system set.
 */
struct resmem_cma {
	struct rm_cma c;
	struct mutex lock;	/* serialises alloc and destroy */
	u32 id;
	int nid;
	atomic_t nr_allocs;
	struct resmem_cma_stats st;
	struct resmem_lend_stats lst;
	struct dentry *dir;
	struct delayed_work keep_work;
	struct resmem_shrinker *shrinker;
};

struct resmem_shrinker;

bool resmem_lend_supported(void);
unsigned int resmem_lend_keep_ms(void);
int resmem_lend(struct resmem_cma *r);
int resmem_unlend(struct resmem_cma *r);
u64 resmem_lend_take(struct resmem_cma *r, u64 count, u64 align, int *err);
int resmem_lend_release(struct resmem_cma *r, u64 pfn, u64 count);

/**
 * struct resmem_lend_usage - what the system does with a lent region
 * @held:	the region's pages the system holds now (in use, not free
 *		in the kernel's buddy), taken-back buffers not counted
 * @offline:	pages in memory blocks that are not online
 * @movable:	pages online in ZONE_MOVABLE
 * @kernel:	pages online in another zone
 */
struct resmem_lend_usage {
	u64 held;
	u64 offline;
	u64 movable;
	u64 kernel;
};

void resmem_lend_usage(struct resmem_cma *r, struct resmem_lend_usage *u);

int resmem_cma_setup(const char *param);
void resmem_cma_teardown(void);
int resmem_cma_create(const char *name, u64 base, u64 size, int nid,
		      bool system, u32 *id);
int resmem_cma_destroy_id(u32 id);
u64 resmem_cma_alloc_id(u32 id, u64 count, u64 align,
			struct resmem_cma **rp, int *err);
void resmem_cma_release_pfn(struct resmem_cma *r, u64 pfn, u64 count);
void resmem_cma_for_each(void (*fn)(struct resmem_cma *r, void *arg),
			 void *arg);

struct file;
int resmem_ioc_pin(struct file *file, void *arg);
int resmem_ioc_unpin(struct file *file, void *arg);
int resmem_ioc_cma_create(struct file *file, void *arg);
int resmem_ioc_cma_destroy(struct file *file, void *arg);
int resmem_ioc_cma_list(struct file *file, void *arg);

void resmem_debugfs_cma_init(struct dentry *dir);
void resmem_debugfs_cma_add(struct resmem_cma *r);
void resmem_debugfs_cma_remove(struct dentry *dir);
void resmem_debugfs_cma_drop(struct resmem_cma *r);
void resmem_debugfs_cma_exit(void);

#endif /* _RESMEM_CMA_H */
