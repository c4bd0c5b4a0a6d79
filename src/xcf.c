// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: xcf in the kernel
 *
 * xcf in the kernel: the in-kernel API of include/resmem/api.h over the
 * allocator of src/core/xcf.c (its design comment says how objects, vpages,
 * handles, heaps and compaction work), and the zpool driver "xcf", so that
 * zswap stores compressed pages in resmem's memory.  This file adds only
 * what needs the kernel: mapping, the CPU number, pool bookkeeping,
 * counters, CPU hotplug and the zpool glue.
 *
 * Pools.  struct resmem_xcf_pool (xcf_glue.h) wraps one core pool:
 *
 *	core:	the rm_xcf_pool, over resmem.buddy (every range), node
 *		NUMA_NO_NODE: zswap's objects may live on any node
 *	name:	unique among live pools; the debugfs directory xcf/<name>/
 *	list:	on xcf_pools
 *	dir:	that directory (debugfs/xcf.c), or NULL
 *
 * xcf_lock (a mutex) protects xcf_pools.  Pools are created and destroyed
 * in process context; creating one allocates with GFP_KERNEL (the core's
 * classes, per-CPU heaps and table roots), whatever gfp zpool passes, as
 * zsmalloc's create does.  The mutex is held only to add a pool to the
 * list or take it off, while debugfs reads the list (xcf/stats) and while
 * a CPU that went offline is drained: never while a pool is made or freed,
 * and never while a debugfs file is removed, since removal waits for the
 * file's readers and xcf/stats takes the mutex.
 *
 * Map.  rm_xcf_map() says where an object's bytes are: one piece, or two
 * that are adjacent in resmem's mapping of the ranges (loc.contig), or two
 * in pages that are not.  In the first two cases the caller gets the
 * object's own address.  In the third the object goes through xcf_area, a
 * per-CPU PAGE_SIZE buffer (an object is at most PAGE_SIZE bytes): copied
 * in for RESMEM_XCF_MAP_RO and _RW, copied back at unmap for _WO and _RW.
 * Like zs_map_object(), resmem_xcf_map() returns with preemption disabled
 * and resmem_xcf_unmap() enables it again, so the buffer stays this CPU's;
 * one object per CPU may be mapped at a time.  zs_map_object() may leave
 * interrupts on because it refuses interrupt context (BUG_ON); ours may be
 * called from an interrupt, so the area is claimed, with preemption off,
 * by a this_cpu_cmpxchg() of xcf_area.pool from NULL (atomic against an
 * interrupt on this CPU) before anything writes it: before rm_xcf_map()
 * fills in .loc, before the copy into .buf.  A second map on the same CPU
 * while the area is claimed (a nested one, or one from an interrupt that
 * arrives anywhere between the claim and the unmap's release) is refused:
 * it WARNs once and returns NULL, and the area stays the first mapping's.
 * The unmap releases the area last, after the copy back.  So a nested map
 * cannot corrupt a mapping; an interrupt handler that maps must cope with
 * NULL when it lands over one (zswap never maps from an interrupt).
 *
 * A mapped object does not move (the core skips it when compacting) and
 * cannot be freed.  The core refuses a second mapping of an object mapped
 * on another CPU (-EBUSY, NULL here): zswap never maps one entry twice at
 * once (a load and a writeback of an entry are serialised by the swap
 * cache folio).  resmem's memory is not in the kernel's linear map, so
 * the zpool driver says sleep_mapped = false: 6.1's zswap then copies an
 * object out before it decompresses, and 6.12's does since
 * virt_addr_valid() fails on these addresses.
 *
 * Context.  Everything but create and destroy works in any context that
 * may take a spinlock (the core's locks are spinlocks taken with
 * interrupts off, its pages non-sleeping buddy pages).  The gfp of
 * resmem_xcf_malloc() matters only for __GFP_ZERO (RM_XCF_ZERO): nothing
 * sleeps whatever it says, and nothing is allocated from the kernel, so
 * zswap may call it inside reclaim.  The core takes the caller's CPU
 * number to choose a per-CPU heap; malloc reads smp_processor_id() with
 * preemption disabled around the core call.
 *
 * Lock order (the module's whole list: include/resmem/resmem.h): xcf_lock,
 * then (draining a CPU, reading stats) the core's CPU heap lock, class
 * lock, meta lock, buddy locks.  The map path takes
 * none of ours: preemption is off, then the core's locks for the moment
 * rm_xcf_map() and rm_xcf_unmap() run.
 *
 * Compaction runs in the core on its own (a free into a global heap that
 * holds more than 1/4 freeable pages compacts one vpage), on demand through
 * resmem_xcf_compact() and debugfs xcf/<name>/compact.  There is no
 * shrinker: the automatic compaction already bounds a global heap at 4/3
 * of what its objects need plus a vpage, a per-CPU heap holds at most one
 * idle vpage or a quarter of its slots (Hoard), and the pages go back to
 * resmem's buddy, not to the kernel, so the kernel's memory pressure has
 * nothing to gain from a shrinker.
 *
 * CPU hotplug.  The per-CPU heaps of an offline CPU may still hold vpages
 * (frees into them work from any CPU, but no one allocates from them any
 * more), so a CPUHP_BP_PREPARE_DYN teardown callback, which runs after the
 * CPU is dead, gives every vpage of its heaps to the global heaps
 * (rm_xcf_drain()) in every pool.  The map buffers exist for every
 * possible CPU from load to unload.
 *
 * zpool.  The driver "xcf" (module alias zpool-xcf) is registered last in
 * resmem's init and unregistered first at exit.  zpool takes a reference
 * on resmem (.owner) per pool, so resmem cannot be unloaded while zswap
 * has an xcf pool; README.md says how to switch zswap away.  It has no
 * shrink (6.1): zswap 6.1's pool-full path then counts a reclaim failure
 * and sends the page to the swap device.  An object above PAGE_SIZE (6.1's
 * zswap offers up to twice that for a page that does not compress) gets
 * -ENOSPC, which both kernels' zswap count as a poorly compressed page.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <resmem/api.h>
#include <resmem/kcompat.h>
#include <resmem/resmem.h>
#include <resmem/xcf.h>
#include <resmem/xcf_glue.h>

/**
 * struct xcf_area - one CPU's mapping
 * @buf:	PAGE_SIZE bytes for an object split over pages that are not
 *		adjacent
 * @pool:	the pool of the object mapped now, or NULL
 * @handle:	its handle
 * @loc:	where its bytes are, as rm_xcf_map() said
 * @copied:	it is in @buf
 */
struct xcf_area {
	void *buf;
	struct resmem_xcf_pool *pool;
	unsigned long handle;
	struct rm_xcf_loc loc;
	bool copied;
};

static DEFINE_PER_CPU(struct xcf_area, xcf_area);
static DEFINE_PER_CPU(struct resmem_xcf_stats, xcf_stats);
static DEFINE_MUTEX(xcf_lock);
static LIST_HEAD(xcf_pools);
static int xcf_cpuhp_state;

static void xcf_copy_in(struct xcf_area *a)
{
	memcpy(a->buf, a->loc.seg[0].addr, a->loc.seg[0].len);
	memcpy(a->buf + a->loc.seg[0].len, a->loc.seg[1].addr,
	       a->loc.seg[1].len);
}

static void xcf_copy_out(struct xcf_area *a)
{
	memcpy(a->loc.seg[0].addr, a->buf, a->loc.seg[0].len);
	memcpy(a->loc.seg[1].addr, a->buf + a->loc.seg[0].len,
	       a->loc.seg[1].len);
}

/* Under xcf_lock. */
static struct resmem_xcf_pool *xcf_find(const char *name)
{
	struct resmem_xcf_pool *p;

	list_for_each_entry(p, &xcf_pools, list)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/**
 * resmem_xcf_create - make an xcf pool
 * @name: its name, 1 to RESMEM_XCF_NAME_MAX - 1 bytes, unique among live
 *	  pools (its debugfs directory xcf/@name/)
 *
 * The pool takes pages from all of resmem's ranges, any node, as objects
 * need them; it holds none yet.
 *
 * Context: process context, may sleep.
 * Return: the pool, or NULL when @name is empty, too long or taken, or
 * memory ran out.
 */
struct resmem_xcf_pool *resmem_xcf_create(const char *name)
{
	struct resmem_xcf_pool *pool;
	size_t len = name ? strlen(name) : 0;

	might_sleep();
	if (!len || len >= RESMEM_XCF_NAME_MAX)
		return NULL;
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return NULL;
	memcpy(pool->name, name, len);
	INIT_LIST_HEAD(&pool->list);
	pool->core = rm_xcf_create(&resmem.buddy, NUMA_NO_NODE);
	if (!pool->core)
		goto err_free;
	mutex_lock(&xcf_lock);
	if (xcf_find(name)) {
		mutex_unlock(&xcf_lock);
		pr_notice("xcf pool %s exists already\n", name);
		goto err_core;
	}
	list_add_tail(&pool->list, &xcf_pools);
	resmem_debugfs_xcf_pool_add(pool);
	mutex_unlock(&xcf_lock);
	return pool;

err_core:
	rm_xcf_destroy(pool->core);
err_free:
	kfree(pool);
	return NULL;
}
EXPORT_SYMBOL_GPL(resmem_xcf_create);

/**
 * resmem_xcf_destroy - free a pool and every object still in it
 * @pool: the pool, or NULL
 *
 * No other call on @pool may run or follow.
 *
 * Context: process context, may sleep.
 */
void resmem_xcf_destroy(struct resmem_xcf_pool *pool)
{
	might_sleep();
	if (!pool)
		return;
	mutex_lock(&xcf_lock);
	list_del(&pool->list);
	mutex_unlock(&xcf_lock);
	/* waits for the files' readers; they do not take xcf_lock */
	debugfs_remove_recursive(pool->dir);
	rm_xcf_destroy(pool->core);
	kfree(pool);
}
EXPORT_SYMBOL_GPL(resmem_xcf_destroy);

/* Count a malloc and its time in this CPU's statistics (preemption off). */
static void xcf_count_malloc(int ret, u64 ns)
{
	struct resmem_xcf_stats *st = this_cpu_ptr(&xcf_stats);
	unsigned long irq;

	if (!rm_stats_enabled())
		return;
	/* an interrupt's malloc on this CPU must not lose our count */
	local_irq_save(irq);
	if (ret) {
		rm_stat_inc(st->malloc_failures);
	} else {
		rm_stat_inc(st->mallocs);
		rm_hist_add(st->malloc_ns_hist, ns);
	}
	local_irq_restore(irq);
}

/**
 * resmem_xcf_malloc - allocate an object
 * @pool: the pool
 * @size: bytes, 1 to PAGE_SIZE
 * @gfp: __GFP_ZERO zeroes the object; other bits change nothing, since
 *	 nothing here sleeps or allocates from the kernel
 * @handle: out: the object's handle, never 0
 *
 * Context: any context that may take a spinlock.
 * Return: 0; -EINVAL for 0 bytes; -ENOSPC above PAGE_SIZE (what zswap
 * counts as a page that compressed poorly); -ENOMEM when resmem has no
 * free page, and then nothing changed.
 */
int resmem_xcf_malloc(struct resmem_xcf_pool *pool, size_t size, gfp_t gfp,
		      unsigned long *handle)
{
	unsigned int flags = gfp & __GFP_ZERO ? RM_XCF_ZERO : 0;
	u64 t0;
	int ret;

	preempt_disable();
	t0 = rm_stat_time(local_clock());
	ret = rm_xcf_malloc(pool->core, size, flags, smp_processor_id(),
			    handle);
	xcf_count_malloc(ret, rm_stat_time(local_clock()) - t0);
	preempt_enable();
	return ret == -E2BIG ? -ENOSPC : ret;
}
EXPORT_SYMBOL_GPL(resmem_xcf_malloc);

/**
 * resmem_xcf_free - free an object
 * @pool: the pool
 * @handle: its handle
 *
 * A handle that is not live (never given, freed already) or whose object is
 * mapped WARNs once and nothing changes.
 *
 * Context: any context that may take a spinlock.
 */
void resmem_xcf_free(struct resmem_xcf_pool *pool, unsigned long handle)
{
	rm_xcf_free(pool->core, handle);
}
EXPORT_SYMBOL_GPL(resmem_xcf_free);

/**
 * resmem_xcf_map - reach an object's bytes
 * @pool: the pool
 * @handle: its handle
 * @mode: RESMEM_XCF_MAP_RO, _WO (the caller writes every byte it will
 *	  read later, and reads none now) or _RW
 *
 * On success preemption stays disabled until resmem_xcf_unmap(): the
 * caller must not sleep, and maps nothing else on this CPU meanwhile.  A
 * map on this CPU in that time, an interrupt's included, is refused; the
 * refusal cannot touch this mapping (this CPU's area is claimed before
 * anything is written to it).
 * The address holds the object's class size, at least @size bytes of
 * resmem_xcf_malloc().
 *
 * Context: any context that may take a spinlock.
 * Return: the object's address (in resmem's mapping, or this CPU's copy of
 * an object split over two pages that are not adjacent); NULL, with a
 * warning, for a bad @mode, a handle that is not live or a second mapping
 * on this CPU; NULL when the object is mapped on another CPU.
 */
void *resmem_xcf_map(struct resmem_xcf_pool *pool, unsigned long handle,
		     unsigned int mode)
{
	struct xcf_area *a;

	/* the API's modes are the core's: src/dev.c asserts it */
	if (WARN_ON_ONCE(!mode || mode & ~RESMEM_XCF_MAP_VALID))
		return NULL;
	preempt_disable();
	/*
	 * Claim this CPU's area before writing any of it: an interrupt here
	 * that maps finds it taken, instead of filling in a->loc under us.
	 */
	if (WARN_ON_ONCE(this_cpu_cmpxchg(xcf_area.pool, NULL, pool)))
		goto out;
	a = this_cpu_ptr(&xcf_area);
	if (rm_xcf_map(pool->core, handle, mode, &a->loc))
		goto release;
	a->handle = handle;
	a->copied = a->loc.nr == 2 && !a->loc.contig;
	rm_stat_this_cpu_inc(xcf_stats.maps);
	if (!a->copied)
		return a->loc.seg[0].addr;
	rm_stat_this_cpu_inc(xcf_stats.map_copies);
	if (mode & RESMEM_XCF_MAP_RO)
		xcf_copy_in(a);
	return a->buf;

release:
	this_cpu_write(xcf_area.pool, NULL);
out:
	preempt_enable();
	return NULL;
}
EXPORT_SYMBOL_GPL(resmem_xcf_map);

/**
 * resmem_xcf_unmap - end this CPU's mapping of an object
 * @pool: the pool
 * @handle: the handle resmem_xcf_map() mapped on this CPU
 *
 * Copies a split object back for the write modes, lets it move again and
 * enables preemption.  A handle that is not this CPU's mapping WARNs once
 * and changes nothing.
 *
 * Context: the context of the resmem_xcf_map() it ends.
 */
void resmem_xcf_unmap(struct resmem_xcf_pool *pool, unsigned long handle)
{
	struct xcf_area *a = this_cpu_ptr(&xcf_area);
	struct rm_xcf_loc loc;

	if (WARN_ON_ONCE(a->pool != pool || a->handle != handle))
		return;
	if (a->copied && a->loc.mode & RESMEM_XCF_MAP_WO)
		xcf_copy_out(a);
	rm_xcf_unmap(pool->core, handle, &loc);
	/* last: from here an interrupt on this CPU may map */
	this_cpu_write(xcf_area.pool, NULL);
	preempt_enable();
}
EXPORT_SYMBOL_GPL(resmem_xcf_unmap);

/**
 * resmem_xcf_compact - compact every class of a pool
 * @pool: the pool
 *
 * Mapped objects stay where they are.
 *
 * Context: any context that may take a spinlock.
 * Return: pages given back to resmem.
 */
u64 resmem_xcf_compact(struct resmem_xcf_pool *pool)
{
	u64 freed = rm_xcf_compact(pool->core);

	rm_stat_this_cpu_inc(xcf_stats.compact_calls);
	rm_stat_this_cpu_add(xcf_stats.compact_freed, freed);
	return freed;
}
EXPORT_SYMBOL_GPL(resmem_xcf_compact);

/**
 * resmem_xcf_total_pages - pages a pool holds
 * @pool: the pool
 *
 * Context: any context that may take a spinlock.
 * Return: pages of objects and of the pool's tables.
 */
u64 resmem_xcf_total_pages(struct resmem_xcf_pool *pool)
{
	return rm_xcf_total_pages(pool->core);
}
EXPORT_SYMBOL_GPL(resmem_xcf_total_pages);

/**
 * resmem_xcf_stats - sum the counters of every CPU
 * @st: filled in
 *
 * Context: any context.
 */
void resmem_xcf_stats(struct resmem_xcf_stats *st)
{
	unsigned int i;
	int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		const struct resmem_xcf_stats *c = per_cpu_ptr(&xcf_stats, cpu);

		st->mallocs += READ_ONCE(c->mallocs);
		st->malloc_failures += READ_ONCE(c->malloc_failures);
		st->maps += READ_ONCE(c->maps);
		st->map_copies += READ_ONCE(c->map_copies);
		st->compact_calls += READ_ONCE(c->compact_calls);
		st->compact_freed += READ_ONCE(c->compact_freed);
		for (i = 0; i < RM_HIST_BUCKETS; i++)
			st->malloc_ns_hist[i] += READ_ONCE(c->malloc_ns_hist[i]);
	}
}

/**
 * resmem_xcf_walk_pools - call @fn on every live pool, under xcf_lock
 * @fn: the function; it must not create or destroy a pool
 * @arg: its second argument
 *
 * Context: process context, may sleep.
 */
void resmem_xcf_walk_pools(resmem_xcf_pool_fn fn, void *arg)
{
	struct resmem_xcf_pool *p;

	mutex_lock(&xcf_lock);
	list_for_each_entry(p, &xcf_pools, list)
		fn(p, arg);
	mutex_unlock(&xcf_lock);
}

/* CPU @cpu is dead: its heaps' vpages go to the global heaps. */
static int xcf_cpu_dead(unsigned int cpu)
{
	struct resmem_xcf_pool *p;

	mutex_lock(&xcf_lock);
	list_for_each_entry(p, &xcf_pools, list)
		rm_xcf_drain(p->core, cpu);
	mutex_unlock(&xcf_lock);
	return 0;
}

static void xcf_free_buffers(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct xcf_area *a = per_cpu_ptr(&xcf_area, cpu);

		kfree(a->buf);
		a->buf = NULL;
	}
}

/**
 * resmem_xcf_init - map buffers and the CPU hotplug callback
 *
 * Context: module init.
 * Return: 0 or a negative errno.
 */
int resmem_xcf_init(void)
{
	int cpu, ret;

	for_each_possible_cpu(cpu) {
		struct xcf_area *a = per_cpu_ptr(&xcf_area, cpu);

		a->buf = kmalloc_node(PAGE_SIZE, GFP_KERNEL, cpu_to_node(cpu));
		if (!a->buf) {
			ret = -ENOMEM;
			goto err_free;
		}
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "resmem/xcf:dead",
					NULL, xcf_cpu_dead);
	if (ret < 0)
		goto err_free;
	xcf_cpuhp_state = ret;
	return 0;

err_free:
	xcf_free_buffers();
	return ret;
}

/**
 * resmem_xcf_exit - undo resmem_xcf_init()
 *
 * Description: Every pool is gone by now (zpool and API users hold a
 * reference on the module); one that is not WARNs and is destroyed.
 *
 * Context: module exit.
 */
void resmem_xcf_exit(void)
{
	struct resmem_xcf_pool *p, *tmp;

	cpuhp_remove_state_nocalls(xcf_cpuhp_state);
	WARN_ON_ONCE(!list_empty(&xcf_pools));
	list_for_each_entry_safe(p, tmp, &xcf_pools, list)
		resmem_xcf_destroy(p);
	xcf_free_buffers();
}

/* --- the zpool driver --- */

#if IS_ENABLED(CONFIG_ZPOOL)

static bool xcf_zpool_ok;

static void xcf_zpool_destroy(void *pool)
{
	resmem_xcf_destroy(pool);
}

static int xcf_zpool_malloc(void *pool, size_t size, gfp_t gfp,
			    unsigned long *handle)
{
	return resmem_xcf_malloc(pool, size, gfp, handle);
}

static void xcf_zpool_free(void *pool, unsigned long handle)
{
	resmem_xcf_free(pool, handle);
}

static void *xcf_zpool_map(void *pool, unsigned long handle,
			   enum zpool_mapmode mm)
{
	unsigned int mode;

	switch (mm) {
	case ZPOOL_MM_RO:
		mode = RESMEM_XCF_MAP_RO;
		break;
	case ZPOOL_MM_WO:
		mode = RESMEM_XCF_MAP_WO;
		break;
	default:
		mode = RESMEM_XCF_MAP_RW;
		break;
	}
	return resmem_xcf_map(pool, handle, mode);
}

static void xcf_zpool_unmap(void *pool, unsigned long handle)
{
	resmem_xcf_unmap(pool, handle);
}

static u64 xcf_zpool_total_pages(void *pool)
{
	return resmem_xcf_total_pages(pool);
}

static u64 xcf_zpool_total_bytes(void *pool)
{
	return resmem_xcf_total_pages(pool) << PAGE_SHIFT;
}

static struct zpool_driver xcf_zpool_driver = {
	.type = "xcf",
	.owner = THIS_MODULE,
	.create = resmem_zpool_create,
	.destroy = xcf_zpool_destroy,
	.malloc = xcf_zpool_malloc,
	.free = xcf_zpool_free,
	.sleep_mapped = false,
	.map = xcf_zpool_map,
	.unmap = xcf_zpool_unmap,
};

MODULE_ALIAS("zpool-xcf");

/**
 * resmem_xcf_zpool_register - offer xcf to zpool users (zswap)
 *
 * Context: module init, last.
 */
void resmem_xcf_zpool_register(void)
{
	resmem_zpool_set_size(&xcf_zpool_driver, xcf_zpool_total_pages,
			      xcf_zpool_total_bytes);
	zpool_register_driver(&xcf_zpool_driver);
	WRITE_ONCE(xcf_zpool_ok, true);
}

/**
 * resmem_xcf_zpool_unregister - withdraw the driver
 *
 * Description: zpool refuses while a pool exists, which cannot happen
 * here: every pool holds a reference on the module.  So a refusal WARNs.
 *
 * Context: module exit, first.
 */
void resmem_xcf_zpool_unregister(void)
{
	if (!READ_ONCE(xcf_zpool_ok))
		return;
	WRITE_ONCE(xcf_zpool_ok, false);
	WARN_ON_ONCE(zpool_unregister_driver(&xcf_zpool_driver));
}

/**
 * resmem_xcf_zpool_registered - is the zpool driver registered
 *
 * Context: any context.
 * Return: true between resmem_xcf_zpool_register() and _unregister().
 */
bool resmem_xcf_zpool_registered(void)
{
	return READ_ONCE(xcf_zpool_ok);
}

#else /* !CONFIG_ZPOOL */

/**
 * resmem_xcf_zpool_register - no zpool in this kernel: nothing to offer
 *
 * Context: module init.
 */
void resmem_xcf_zpool_register(void)
{
}

/**
 * resmem_xcf_zpool_unregister - nothing to withdraw
 *
 * Context: module exit.
 */
void resmem_xcf_zpool_unregister(void)
{
}

/**
 * resmem_xcf_zpool_registered - is the zpool driver registered
 *
 * Context: any context.
 * Return: false: this kernel has no zpool.
 */
bool resmem_xcf_zpool_registered(void)
{
	return false;
}

#endif /* CONFIG_ZPOOL */
