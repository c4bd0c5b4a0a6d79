/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: xcf's glue: pools and the zpool driver
 *
 * xcf in the kernel (src/xcf.c, whose design comment says how it works;
 * debugfs/xcf.c): the pools of the in-kernel API, their counters and the
 * zpool driver, as src/main.c, src/dev.c and debugfs see them.  The
 * allocator's own types are in include/resmem/xcf.h, which also builds in
 * userspace; clients use resmem_xcf_*() of include/resmem/api.h.
 */
#ifndef _RESMEM_XCF_GLUE_H
#define _RESMEM_XCF_GLUE_H

#include <linux/list.h>
#include <linux/types.h>
#include <resmem/core.h>

struct dentry;

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

#endif /* _RESMEM_XCF_GLUE_H */
