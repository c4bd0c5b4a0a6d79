// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: CMA regions in the kernel
 *
 * CMA regions in the kernel: the table of regions, the cma= parameter,
 * the migration callback a region's allocations use, and the in-kernel
 * API for buffers (include/resmem/api.h).
 *
 * The logic of a region is in src/core/cma.c.  This file adds:
 *
 *  - the table: at most RM_CMA_MAX regions, each with an id (its slot),
 *    made at load from cma=NAME:SIZE[@BASE][,...] or at run time by
 *    RESMEM_IOC_CMA_CREATE, destroyed by RESMEM_IOC_CMA_DESTROY or at
 *    unload.  The table's operations (a free slot, lookups by id, name and
 *    pfn, the dying mark) are struct rm_cma_table's in src/core/cma.c;
 *    resmem_cma_slots[i] holds the kernel half of the region in slot i.
 *    resmem_cma_table_lock protects the table (every slot, every dying
 *    mark, and the choice of a slot); only resmem_cma_release() reads it
 *    without the lock.  Each region's mutex serialises its allocations
 *    and its destruction, as rm_cma_alloc() requires.
 *
 *  - destruction in two steps: under the table lock a destroyer checks
 *    the region, marks it dying and takes its debugfs directory; it
 *    removes the directory with no lock held (debugfs_remove_recursive()
 *    waits for the files' readers and writers, and the alloc file takes
 *    the table lock); then, under the table lock again, destroys it or,
 *    when a buffer was taken meanwhile, clears the mark and puts the
 *    directory back.  A dying region takes no new buffer and cannot be
 *    destroyed a second time, and its slot stays live, so no create can
 *    reuse it until it is gone: a destroyer always destroys the region it
 *    checked, and no debugfs file outlives its region's bitmap.
 *
 *  - migration: rm_cma_alloc() calls cma_migrate() for each movable block
 *    in the way; it looks the owner up in the reverse map (src/migrate.c),
 *    which takes a reference, and calls its move op, which moves the block
 *    with resmem_mv_move() under the owner's lock.  Every movable block is
 *    in the map (resmem_alloc_pages() refuses RESMEM_GFP_MOVABLE); one
 *    that is not, because it was freed meanwhile, is skipped.
 *
 *  - lending to the system: a region made with @system (cma=...:system,
 *    RESMEM_CMA_SYSTEM) is lent by resmem_lend() before it enters the
 *    table, takes buffers with resmem_lend_take() instead of migrating
 *    resmem's blocks, and is un-lent by resmem_unlend() in destroy()
 *    (src/lend.c).
 *
 * Lock order (the module's whole list: include/resmem/resmem.h): the
 * table lock, a region's mutex, an owner's lock (a
 * userspace allocation's sem, a kernel block's mutex), the reverse map's
 * and the allocator's locks.  Releasing a buffer takes no region mutex (a
 * buffer's ualloc sem is held then); nr_allocs keeps the region alive
 * until it is released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/topology.h>
#include <uapi/resmem.h>
#include <resmem/api.h>
#include <resmem/cma.h>
#include <resmem/kcompat.h>
#include <resmem/resmem.h>

static DEFINE_MUTEX(resmem_cma_table_lock);
static struct rm_cma_table resmem_cma_table;
static struct resmem_cma resmem_cma_slots[RM_CMA_MAX];

static struct resmem_cma *to_r(struct rm_cma *c)
{
	return c ? container_of(c, struct resmem_cma, c) : NULL;
}

/* rm_cma_alloc()'s callback: move the movable block at @pfn. */
static int cma_migrate(void *arg, u64 pfn, unsigned int order)
{
	struct resmem_cma *r = arg;
	struct resmem_mv *mv;
	int ret;

	mv = resmem_mv_get(pfn, order);
	if (!mv) {
		/* freed meanwhile (the core looks again) or not movable */
		rm_stat_inc(r->st.move_gone);
		return -EAGAIN;
	}
	ret = mv->ops->move(mv, pfn);
	mv->ops->put(mv);
	if (ret == -EBUSY)
		rm_stat_inc(r->st.move_busy);
	else if (ret == -ENOMEM)
		rm_stat_inc(r->st.move_enomem);
	cond_resched();
	return ret;
}

/* --- the table of regions --- */

/**
 * resmem_cma_create - make a CMA region
 * @name: its name, unique, 1 to RM_CMA_NAME_LEN - 1 characters
 * @base: physical address of its first byte, inside a block resmem
 *	  manages, or RM_CMA_AUTO to let resmem place it
 * @size: its size in bytes, a multiple of a pageblock
 * @nid: with RM_CMA_AUTO, the node to place it on, or NUMA_NO_NODE
 * @system: lend it to the whole system (src/lend.c)
 * @id: set to the region's id
 *
 * Every page of the region must be free; it must lie in one block.  A
 * region lent to the system is placed at, or must have, a base and size
 * that are multiples of the memory block size.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a bad name, size or node, a base that is not
 * pageblock aligned or in no block, or a region that is not inside one
 * block; -EEXIST for a name in use; -EBUSY when a page of
 * it is in use or in another region; -ENOSPC when the table is full;
 * -ENOMEM when no free place is found; for @system, -EOPNOTSUPP when
 * the kernel cannot lend and otherwise as resmem_lend().
 */
int resmem_cma_create(const char *name, u64 base, u64 size, int nid,
		      bool system, u32 *id)
{
	const u64 pb = PFN_PHYS(RM_PAGEBLOCK_NR);
	u64 align = RM_PAGEBLOCK_NR;
	struct resmem_cma *r;
	int ret;
	u32 i;

	might_sleep();
	if (!name[0] || strnlen(name, RM_CMA_NAME_LEN) >= RM_CMA_NAME_LEN ||
	    !size || size % pb ||
	    !resmem_nid_ok(nid))
		return -EINVAL;
	/* a real base: pageblock aligned, its first page in a block */
	if (base != RM_CMA_AUTO &&
	    (base % pb || !rm_region_find(&resmem.region, PHYS_PFN(base))))
		return -EINVAL;
	if (system) {
		if (!resmem_lend_supported())
			return -EOPNOTSUPP;
		align = max_t(u64, align, PHYS_PFN(memory_block_size_bytes()));
		if ((base != RM_CMA_AUTO && PHYS_PFN(base) % align) ||
		    PHYS_PFN(size) % align)
			return -EINVAL;
	}
	mutex_lock(&resmem_cma_table_lock);
	ret = rm_cma_table_reserve(&resmem_cma_table, name);
	if (ret < 0)
		goto out;
	i = ret;
	r = &resmem_cma_slots[i];
	memset(r, 0, sizeof(*r));
	if (base == RM_CMA_AUTO)
		ret = rm_cma_place_aligned(&r->c, &resmem.buddy, name,
					   PHYS_PFN(size), align, nid,
					   numa_node_id());
	else
		ret = rm_cma_init(&r->c, &resmem.buddy, name, PHYS_PFN(base),
				  PHYS_PFN(size));
	if (ret)
		goto out;
	mutex_init(&r->lock);
	r->id = i;
	r->nid = r->c.z->blk->nid;
	if (system) {
		mutex_lock(&r->lock);
		ret = resmem_lend(r);
		mutex_unlock(&r->lock);
		if (ret) {
			WARN_ON(rm_cma_destroy(&r->c));
			mutex_destroy(&r->lock);
			goto out;
		}
	}
	atomic_set(&r->nr_allocs, 0);
	rm_cma_table_set(&resmem_cma_table, i, &r->c);
	*id = i;
	resmem_debugfs_cma_add(r);
out:
	mutex_unlock(&resmem_cma_table_lock);
	return ret;
}

/*
 * Destroy @r (table lock held) and empty its slot; its debugfs directory
 * is gone already.
 */
static int destroy(struct resmem_cma *r)
{
	int ret;

	mutex_lock(&r->lock);
	ret = atomic_read(&r->nr_allocs) ? -EBUSY : 0;
	if (!ret && r->c.system)
		ret = resmem_unlend(r);
	if (!ret)
		ret = rm_cma_destroy(&r->c);
	if (!ret)
		rm_cma_table_set(&resmem_cma_table, r->id, NULL);
	mutex_unlock(&r->lock);
	if (!ret)
		mutex_destroy(&r->lock);
	return ret;
}

/**
 * resmem_cma_destroy_id - give a region's memory back to ordinary use
 * @id: the region's id
 *
 * Pages it lends stay with their owners.  The region is marked dying
 * under the table lock, so a second destroyer gets -ENOENT and no create
 * reuses its slot meanwhile; its debugfs directory is removed with no lock
 * held (its alloc file takes the table lock), and put back when the region
 * turns out to be busy.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT for no such region (or one being destroyed); -EBUSY
 * while it has buffers.
 */
int resmem_cma_destroy_id(u32 id)
{
	struct resmem_cma *r;
	struct dentry *dir;
	int ret = -ENOENT;

	might_sleep();
	mutex_lock(&resmem_cma_table_lock);
	r = to_r(rm_cma_table_get(&resmem_cma_table, id));
	if (!r)
		goto out;
	ret = -EBUSY;
	if (atomic_read(&r->nr_allocs))
		goto out;
	rm_cma_table_set_dying(&resmem_cma_table, id, true);
	dir = r->dir;
	r->dir = NULL;
	mutex_unlock(&resmem_cma_table_lock);
	resmem_debugfs_cma_remove(dir);

	mutex_lock(&resmem_cma_table_lock);
	/* still ours: dying kept other destroyers and creators off it */
	ret = destroy(r);
	if (ret) {
		rm_cma_table_set_dying(&resmem_cma_table, id, false);
		resmem_debugfs_cma_add(r);
	}
out:
	mutex_unlock(&resmem_cma_table_lock);
	return ret;
}

/* Allocate from @r, whose mutex is held. */
static u64 alloc_locked(struct resmem_cma *r, u64 count, u64 align, int *err)
{
	u64 t0 = rm_stat_time(ktime_get_ns()), pfn;

	if (r->c.system)
		pfn = resmem_lend_take(r, count, align, err);
	else
		pfn = rm_cma_alloc(&r->c, count, align, cma_migrate, r, err);
	rm_hist_add(r->st.latency_hist, rm_stat_time(ktime_get_ns()) - t0);
	if (pfn != RM_NO_PFN)
		atomic_inc(&r->nr_allocs);
	return pfn;
}

/*
 * Allocate from @c, which the caller looked up under the table lock, or
 * fail with -ENOENT for NULL.  Called with the table lock held; returns
 * with it released: the region's mutex is taken before the table lock is
 * dropped, so the region cannot be destroyed in between.  *@rp is set to
 * the region.
 */
static u64 alloc_from(struct rm_cma *c, u64 count, u64 align,
		      struct resmem_cma **rp, int *err)
{
	struct resmem_cma *r = to_r(c);
	u64 pfn;

	if (!r) {
		mutex_unlock(&resmem_cma_table_lock);
		*err = -ENOENT;
		return RM_NO_PFN;
	}
	mutex_lock(&r->lock);
	mutex_unlock(&resmem_cma_table_lock);
	pfn = alloc_locked(r, count, align, err);
	mutex_unlock(&r->lock);
	*rp = r;
	return pfn;
}

/**
 * resmem_cma_alloc_id - a contiguous buffer from the region @id
 * @id: the region's id
 * @count: pages, 1 to the region's size
 * @align: the first pfn is a multiple of it, a power of two; 0 for 1
 * @rp: set to the region, for resmem_cma_release_pfn()
 * @err: set to the reason when it fails
 *
 * Context: process context; may sleep (migration).
 * Return: the first pfn, or RM_NO_PFN with *@err: -ENOENT for no such
 * region, -EINVAL for a bad count or alignment, -ENOMEM, -EBUSY; -EINTR
 * for a fatal signal during a take-back from a region lent to the system.
 */
u64 resmem_cma_alloc_id(u32 id, u64 count, u64 align,
			struct resmem_cma **rp, int *err)
{
	might_sleep();
	mutex_lock(&resmem_cma_table_lock);
	return alloc_from(rm_cma_table_get(&resmem_cma_table, id), count,
			  align, rp, err);
}

/**
 * resmem_cma_release_pfn - give a buffer back to its region
 * @r: the region
 * @pfn: the buffer's first pfn
 * @count: its pages
 *
 * Context: any context that may take a spinlock.
 */
void resmem_cma_release_pfn(struct resmem_cma *r, u64 pfn, u64 count)
{
	int ret;

	/* a region stays lent while it has buffers: c.system is stable */
	if (r->c.system)
		ret = resmem_lend_release(r, pfn, count);
	else
		ret = rm_cma_release(&r->c, pfn, count);
	if (!ret)
		atomic_dec(&r->nr_allocs);
}

/**
 * resmem_cma_for_each - call @fn for every region, under the table lock
 * @fn: the function; it must not create or destroy regions
 * @arg: passed to @fn
 *
 * Context: process context; may sleep (the table lock).
 */
void resmem_cma_for_each(void (*fn)(struct resmem_cma *r, void *arg),
			 void *arg)
{
	struct rm_cma *c;
	u32 i;

	mutex_lock(&resmem_cma_table_lock);
	for (i = 0; (c = rm_cma_table_next(&resmem_cma_table, &i)); i++)
		fn(to_r(c), arg);
	mutex_unlock(&resmem_cma_table_lock);
}

/* --- the in-kernel API for drivers --- */

/**
 * resmem_cma_alloc - a physically contiguous buffer from a named region
 * @region: the region's name (cma= or RESMEM_IOC_CMA_CREATE)
 * @count: pages, 1 to the region's size
 * @align: the buffer's first pfn is a multiple of it (a power of two; 0
 *	   for no alignment)
 *
 * Pages lent to movable allocations are migrated out of the way first.
 * The buffer is zeroed.  For DMA, resmem_virt_to_pfn() gives its first
 * page frame; the memory is mapped write-back.
 *
 * Context: process context; may sleep.
 * Return: the kernel address of the first page, or an ERR_PTR: -ENOENT for
 * no such region, -EINVAL for a bad count or alignment, -ENOMEM when every
 * position holds other buffers, -EBUSY when the blocks in the way would
 * not move (pinned) at every position tried (for a region lent to the
 * system, in each of its walks: src/lend.c); -EINTR for a fatal signal
 * during a take-back from a region lent to the system.
 */
void *resmem_cma_alloc(const char *region, unsigned long count,
		       unsigned long align)
{
	struct resmem_cma *r;
	int err = 0;
	void *addr;
	u64 pfn;

	might_sleep();
	mutex_lock(&resmem_cma_table_lock);
	pfn = alloc_from(rm_cma_table_find(&resmem_cma_table, region), count,
			 align, &r, &err);
	if (pfn == RM_NO_PFN)
		return ERR_PTR(err);
	addr = resmem_pfn_to_virt(pfn);
	rm_zero_pages(addr, count, RM_ALLOC_MAY_SLEEP);
	return addr;
}
EXPORT_SYMBOL_GPL(resmem_cma_alloc);

/**
 * resmem_cma_release - free a buffer from resmem_cma_alloc()
 * @addr: its address
 * @count: its page count
 *
 * Its pages are lent to movable allocations again.
 *
 * Context: any context that may take a spinlock.
 */
void resmem_cma_release(void *addr, unsigned long count)
{
	u64 pfn = resmem_virt_to_pfn(addr);
	struct resmem_cma *r;

	/* a buffer's region lives until the buffer is released */
	r = to_r(rm_cma_table_of_pfn(&resmem_cma_table, pfn));
	if (WARN_ONCE(!r, "%s: %p is in no region\n", __func__, addr))
		return;
	resmem_cma_release_pfn(r, pfn, count);
}
EXPORT_SYMBOL_GPL(resmem_cma_release);

/* --- load and unload --- */

/* Why resmem_cma_create() failed with @ret, in the words of cma=. */
static const char *setup_why(int ret, bool system)
{
	if (ret == -ENOMEM)
		return system ? "no free place at memory block alignment" :
			"no free place for it";
	if (ret == -EBUSY)
		return "overlaps memory in use (metadata or another region)";
	if (!system)
		return "not inside one block of one node";
	if (ret == -EOPNOTSUPP)
		return "this kernel has no memory hot-remove or CONTIG_ALLOC";
	if (ret == -EINVAL)
		return "not memory-block aligned, not in one block, or onlined to a kernel zone";
	return "the kernel refused to hot-add it (see the line before)";
}

/**
 * resmem_cma_setup - make the regions cma= asks for
 * @param: the cma= text, or NULL
 *
 * Context: module load; may sleep.
 * Return: 0, or an error with one line saying which region and why.
 */
int resmem_cma_setup(const char *param)
{
	struct rm_range_spec rs[RM_MAX_RANGES];
	struct rm_cma_spec *cs;
	unsigned int nr, i;
	char err[RM_ERR_LEN];
	u32 id;
	int ret;

	if (!param || !*param)
		return 0;
	cs = kcalloc(RM_CMA_MAX, sizeof(*cs), GFP_KERNEL);
	if (!cs)
		return -ENOMEM;
	for (i = 0; i < resmem.nr_ranges; i++)
		rs[i] = resmem.range[i].spec;
	ret = rm_parse_cma(param, cs, RM_CMA_MAX, &nr, err, sizeof(err));
	if (!ret)
		ret = rm_check_cma(cs, nr, rs, resmem.nr_ranges, err,
				   sizeof(err));
	if (ret) {
		pr_err("%s; not loading\n", err);
		goto out;
	}
	for (i = 0; i < nr; i++) {
		ret = resmem_cma_create(cs[i].name, cs[i].base, cs[i].size,
					NUMA_NO_NODE, cs[i].system, &id);
		if (ret) {
			if (cs[i].base == RM_CMA_AUTO)
				snprintf(err, sizeof(err), "0x%llx",
					 cs[i].size);
			else
				snprintf(err, sizeof(err), "0x%llx@0x%llx",
					 cs[i].size, cs[i].base);
			pr_err("cma region '%s' (%s%s): %s; not loading\n",
			       cs[i].name, err, cs[i].system ? ":system" : "",
			       setup_why(ret, cs[i].system));
			resmem_cma_teardown();
			goto out;
		}
		pr_info("cma region '%s': %llu MiB at 0x%llx, node %d%s\n",
			cs[i].name, cs[i].size >> 20,
			PFN_PHYS(resmem_cma_slots[id].c.base_pfn),
			resmem_cma_slots[id].nid,
			cs[i].system ? ", lent to the system" : "");
	}
out:
	kfree(cs);
	return ret;
}

/**
 * resmem_cma_teardown - destroy every region
 *
 * Description: At unload, when no file is open and no module uses the API,
 * so no region has buffers.
 *
 * Context: module unload; may sleep.
 */
void resmem_cma_teardown(void)
{
	struct resmem_cma *r;
	struct rm_cma *c;
	u32 i;

	mutex_lock(&resmem_cma_table_lock);
	for (i = 0; (c = rm_cma_table_next(&resmem_cma_table, &i)); i++) {
		r = to_r(c);
		/* no debugfs file is open: resmem is unloading */
		resmem_debugfs_cma_drop(r);
		resmem_debugfs_cma_remove(r->dir);
		r->dir = NULL;
		WARN_ON(destroy(r));
	}
	mutex_unlock(&resmem_cma_table_lock);
}

/* --- the ioctls --- */

/**
 * resmem_ioc_cma_create - RESMEM_IOC_CMA_CREATE
 * @file: the open device
 * @arg: struct resmem_cma_create, copied in
 *
 * A base of 0 lets resmem place the region (on @node, or any node);
 * any other base is the physical address of its first byte, which must
 * be pageblock aligned and inside a range resmem manages.
 *
 * Context: process context; may sleep.
 * Return: 0; -EPERM without CAP_SYS_ADMIN; -EINVAL for unknown flags,
 * non-zero padding, reserved or output fields, a bad name, size, base or
 * node; otherwise as resmem_cma_create().
 */
int resmem_ioc_cma_create(struct file *file, void *arg)
{
	struct resmem_cma_create *a = arg;
	size_t len = strnlen(a->name, sizeof(a->name));
	int nid = a->node == RESMEM_NODE_ANY ? NUMA_NO_NODE : a->node;
	unsigned int i;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if ((a->flags & ~RESMEM_CMA_VALID_FLAGS) || a->pad || a->id ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)) ||
	    !len || len == sizeof(a->name) ||
	    memchr_inv(a->name + len, 0, sizeof(a->name) - len) ||
	    (a->base && a->node != RESMEM_NODE_ANY) ||
	    a->base == RM_CMA_AUTO)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!rm_cma_name_char(a->name[i]))
			return -EINVAL;
	/* base 0 asks resmem to place it; any other is a real address */
	return resmem_cma_create(a->name, a->base ? a->base : RM_CMA_AUTO,
				 a->size, nid, a->flags & RESMEM_CMA_SYSTEM,
				 &a->id);
}

/**
 * resmem_ioc_cma_destroy - RESMEM_IOC_CMA_DESTROY
 * @file: the open device
 * @arg: struct resmem_cma_destroy, copied in
 *
 * Context: process context; may sleep.
 * Return: 0; -EPERM without CAP_SYS_ADMIN; -EINVAL for non-zero flags;
 * -ENOENT for no such region; -EBUSY while it has buffers.
 */
int resmem_ioc_cma_destroy(struct file *file, void *arg)
{
	struct resmem_cma_destroy *d = arg;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (d->flags)
		return -EINVAL;
	return resmem_cma_destroy_id(d->id);
}

/**
 * resmem_ioc_cma_list - RESMEM_IOC_CMA_LIST
 * @file: the open device
 * @arg: struct resmem_cma_list, copied in
 *
 * Physical bases are shown only to callers with CAP_SYS_ADMIN.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for non-zero flags, padding or reserved fields, room
 * without a pointer or a bad entry size; -ENOMEM; -EFAULT.
 */
int resmem_ioc_cma_list(struct file *file, void *arg)
{
	struct resmem_cma_list *l = arg;
	u8 __user *ubuf = u64_to_user_ptr(l->regions_ptr);
	u32 room = l->nr_regions, es = l->region_size, n = 0, i;
	bool phys = capable(CAP_SYS_ADMIN);
	struct resmem_cma_region_info *e;
	struct rm_cma_usage u;
	struct resmem_cma *r;
	struct rm_cma *c;
	int ret = 0;

	if (l->flags || l->pad || memchr_inv(l->reserved, 0,
					     sizeof(l->reserved)))
		return -EINVAL;
	if (rm_uarray_check(!!ubuf, room, es,
			    RESMEM_CMA_REGION_INFO_SIZE_V1))
		return -EINVAL;
	e = kcalloc(RM_CMA_MAX, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	mutex_lock(&resmem_cma_table_lock);
	for (i = 0; (c = rm_cma_table_next(&resmem_cma_table, &i)); i++) {
		r = to_r(c);
		rm_cma_usage(&r->c, &u);
		strscpy(e[n].name, r->c.name, sizeof(e[n].name));
		e[n].base = phys ? PFN_PHYS(r->c.base_pfn) : 0;
		e[n].size = PFN_PHYS(r->c.count);
		e[n].used = u.used;
		e[n].lent = u.lent;
		e[n].maxchunk = u.maxchunk;
		e[n].id = r->id;
		e[n].node = r->nid;
		e[n].memmap = u.memmap;
		if (r->c.system) {
			struct resmem_lend_usage lu;

			resmem_lend_usage(r, &lu);
			e[n].flags = RESMEM_CMA_SYSTEM;
			e[n].lent = lu.held;
		}
		n++;
	}
	mutex_unlock(&resmem_cma_table_lock);
	for (i = 0; !ret && i < min(room, n); i++)
		ret = resmem_uarray_put(ubuf, i, es, &e[i], sizeof(*e));
	kfree(e);
	if (!ret)
		l->nr_regions = n;
	return ret;
}
