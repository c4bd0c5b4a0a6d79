// SPDX-License-Identifier: GPL-2.0
/*
 * CMA regions in the kernel: the table of regions, the cma= parameter, the
 * reverse map that lets a contiguous allocation migrate the movable blocks
 * in its way, and the in-kernel API (include/resmem/api.h).
 *
 * The logic of a region is in src/core/cma.c.  This file adds:
 *
 *  - the table: at most RM_CMA_MAX regions, each with an id (its slot),
 *    made at load from cma=NAME:SIZE[@BASE][,...] or at run time by
 *    RESMEM_IOC_CMA_CREATE, destroyed by RESMEM_IOC_CMA_DESTROY or at
 *    unload.  resmem_cma_table_lock protects the table; each region's
 *    mutex serialises its allocations and its destruction, as
 *    rm_cma_alloc() requires.
 *
 *  - the reverse map: an xarray keyed by the head pfn of every movable
 *    buddy block that can be moved (userspace RESMEM_ALLOC_MOVABLE
 *    allocations of the buddy kind, kernel resmem_alloc_movable() blocks),
 *    holding the owner's struct resmem_mv.  rm_cma_alloc() calls
 *    cma_migrate() for each movable block in the way; it looks the owner
 *    up under the xarray's lock, takes a reference and calls its move op,
 *    which takes the owner's lock, copies the block to a new one
 *    (resmem_mv_copy()), switches the owner and the map over
 *    (resmem_mv_switch()), and frees the old block.  Every movable block
 *    is in the map (resmem_alloc_pages() refuses RESMEM_GFP_MOVABLE); one
 *    that is not, because it was freed meanwhile, is skipped.
 *
 * Lock order: the table lock, a region's mutex, an owner's lock (a
 * userspace allocation's sem, a kernel block's mutex), the allocator's
 * locks.  Releasing a buffer takes no region mutex (a buffer's ualloc sem
 * is held then); nr_allocs keeps the region alive until it is released.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/topology.h>
#include <linux/xarray.h>
#include <uapi/resmem.h>
#include <resmem/api.h>
#include <resmem/cma.h>
#include <resmem/kcompat.h>
#include <resmem/resmem.h>

static DEFINE_MUTEX(resmem_cma_table_lock);
static struct resmem_cma resmem_cma_table[RM_CMA_MAX];
static DEFINE_XARRAY(resmem_mv_map);

/* --- the reverse map --- */

/**
 * resmem_mv_add - enter a movable block into the reverse map
 * @mv: its owner's entry
 * @pfn: its head pfn
 *
 * Context: may sleep.
 * Return: 0 or -ENOMEM.
 */
int resmem_mv_add(struct resmem_mv *mv, u64 pfn)
{
	return xa_err(xa_store(&resmem_mv_map, pfn, mv, GFP_KERNEL));
}

/**
 * resmem_mv_del - take a block out of the reverse map before it is freed
 * @pfn: its head pfn
 */
void resmem_mv_del(u64 pfn)
{
	xa_erase(&resmem_mv_map, pfn);
}

/**
 * resmem_mv_copy - a new block holding a copy of a movable block
 * @mv: the block's entry (order, node)
 * @pfn: its head pfn
 *
 * The new block is movable, from the block's node first; isolated
 * pageblocks are never handed out, so it lies outside the range being
 * taken.  The caller holds the owner's lock, so nobody writes the block.
 *
 * Return: the new block's head pfn, or RM_NO_PFN when there is no room.
 */
u64 resmem_mv_copy(struct resmem_mv *mv, u64 pfn)
{
	u64 to = rm_buddy_alloc(&resmem.buddy, mv->order, mv->nid,
				RM_ALLOC_MOVABLE, RM_PK_BUDDY);

	if (to == RM_NO_PFN)
		return RM_NO_PFN;
	memcpy(resmem_pfn_to_virt(to), resmem_pfn_to_virt(pfn),
	       PAGE_SIZE << mv->order);
	return to;
}

/**
 * resmem_mv_switch - point the reverse map at a block's new place
 * @mv: the block's entry
 * @old_pfn: where it was
 * @new_pfn: where it is now
 *
 * Context: may sleep.
 * Return: 0, or -ENOMEM (the map is unchanged).
 */
int resmem_mv_switch(struct resmem_mv *mv, u64 old_pfn, u64 new_pfn)
{
	int ret = resmem_mv_add(mv, new_pfn);

	if (!ret)
		resmem_mv_del(old_pfn);
	return ret;
}

/* rm_cma_alloc()'s callback: move the movable block at @pfn. */
static int cma_migrate(void *arg, u64 pfn, unsigned int order)
{
	struct resmem_cma *r = arg;
	struct resmem_mv *mv;
	int ret;

	xa_lock(&resmem_mv_map);
	mv = xa_load(&resmem_mv_map, pfn);
	if (mv && (mv->order != order || !mv->ops->get(mv)))
		mv = NULL;
	xa_unlock(&resmem_mv_map);
	if (!mv) {
		/* freed meanwhile (the core looks again) or not movable */
		r->st.move_gone++;
		return -EAGAIN;
	}
	ret = mv->ops->move(mv, pfn);
	mv->ops->put(mv);
	if (ret == -EBUSY)
		r->st.move_busy++;
	else if (ret == -ENOMEM)
		r->st.move_enomem++;
	cond_resched();
	return ret;
}

/* --- kernel movable blocks --- */

/**
 * struct resmem_kmov - a block from resmem_alloc_movable()
 * @mv:		its reverse map entry
 * @ref:	held by the allocation and by a migration in progress
 * @lock:	serialises moves, pins and the free
 * @pfn:	where it is now
 * @pinned:	resmem_pin() calls not yet undone
 * @dead:	freed: a migration that gets here finds nothing to do
 * @ops:	the client's callbacks
 * @priv:	passed to them
 */
struct resmem_kmov {
	struct resmem_mv mv;
	struct kref ref;
	struct mutex lock;	/* moves, pins, the free */
	u64 pfn;
	unsigned int pinned;
	bool dead;
	const struct resmem_movable_ops *ops;
	void *priv;
};

static void kmov_release(struct kref *ref)
{
	kfree(container_of(ref, struct resmem_kmov, ref));
}

static bool kmov_get(struct resmem_mv *mv)
{
	return kref_get_unless_zero(&container_of(mv, struct resmem_kmov,
						  mv)->ref);
}

static void kmov_put(struct resmem_mv *mv)
{
	kref_put(&container_of(mv, struct resmem_kmov, mv)->ref,
		 kmov_release);
}

static int kmov_move(struct resmem_mv *mv, u64 pfn)
{
	struct resmem_kmov *k = container_of(mv, struct resmem_kmov, mv);
	int ret = 0;
	u64 to;

	mutex_lock(&k->lock);
	if (k->dead || k->pfn != pfn)
		goto out;
	ret = -EBUSY;
	if (k->pinned)
		goto out;
	ret = -ENOMEM;
	to = resmem_mv_copy(mv, pfn);
	if (to == RM_NO_PFN)
		goto out;
	ret = k->ops->migrate(k->priv, resmem_pfn_to_virt(pfn),
			      resmem_pfn_to_virt(to));
	if (!ret)
		ret = resmem_mv_switch(mv, pfn, to);
	if (ret) {
		rm_buddy_free(&resmem.buddy, to, mv->order);
		goto out;
	}
	k->pfn = to;
	rm_buddy_free(&resmem.buddy, pfn, mv->order);
out:
	mutex_unlock(&k->lock);
	return ret;
}

static const struct resmem_mv_ops kmov_ops = {
	.get = kmov_get,
	.put = kmov_put,
	.move = kmov_move,
};

/**
 * resmem_alloc_movable - 2^@order pages that resmem may move
 * @order: at most resmem_max_order()
 * @nid: preferred node, or NUMA_NO_NODE
 * @ops: @ops->migrate(@priv, old, new) is called when resmem wants the
 *	 pages elsewhere (a CMA region takes them back): the data has been
 *	 copied to @new; the client switches every pointer from @old to @new
 *	 and returns 0 (the old pages are then freed), or an error such as
 *	 -EBUSY to keep the block where it is.  It may sleep, and must not
 *	 call into resmem for this block.
 * @priv: passed to @ops->migrate
 *
 * The pages come from movable pageblocks, CMA regions included: they are
 * lent memory.  The client must not write them while its migrate callback
 * could run, unless it serialises against it (or pins them).
 *
 * Context: process context; may sleep.
 * Return: the kernel address of the first page, or NULL.
 */
void *resmem_alloc_movable(unsigned int order, int nid,
			   const struct resmem_movable_ops *ops, void *priv)
{
	struct resmem_kmov *k;
	u64 pfn;

	if (WARN_ON_ONCE(!ops || !ops->migrate) ||
	    order > resmem.buddy.max_order ||
	    (nid != NUMA_NO_NODE &&
	     (nid < 0 || nid >= MAX_NUMNODES || !node_online(nid))))
		return NULL;
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return NULL;
	pfn = rm_buddy_alloc(&resmem.buddy, order, nid,
			     RM_ALLOC_MOVABLE | RM_ALLOC_ZERO |
			     RM_ALLOC_MAY_SLEEP, RM_PK_BUDDY);
	if (pfn == RM_NO_PFN)
		goto err_free;
	kref_init(&k->ref);
	mutex_init(&k->lock);
	k->mv.ops = &kmov_ops;
	k->mv.order = order;
	k->mv.nid = nid;
	k->pfn = pfn;
	k->ops = ops;
	k->priv = priv;
	if (resmem_mv_add(&k->mv, pfn))
		goto err_pages;
	return resmem_pfn_to_virt(pfn);

err_pages:
	rm_buddy_free(&resmem.buddy, pfn, order);
err_free:
	kfree(k);
	return NULL;
}
EXPORT_SYMBOL_GPL(resmem_alloc_movable);

/* The kernel movable block at @addr, referenced, or NULL. */
static struct resmem_kmov *kmov_lookup(const void *addr)
{
	u64 pfn = resmem_virt_to_pfn(addr);
	struct resmem_mv *mv;

	xa_lock(&resmem_mv_map);
	mv = pfn ? xa_load(&resmem_mv_map, pfn) : NULL;
	if (mv && (mv->ops != &kmov_ops || !mv->ops->get(mv)))
		mv = NULL;
	xa_unlock(&resmem_mv_map);
	return mv ? container_of(mv, struct resmem_kmov, mv) : NULL;
}

/**
 * resmem_free_movable - free a block from resmem_alloc_movable()
 * @addr: its current address (the new one after a migration)
 * @order: its order
 *
 * Context: process context; may sleep (waits for a migration of the block
 * in progress).
 */
void resmem_free_movable(void *addr, unsigned int order)
{
	struct resmem_kmov *k = kmov_lookup(addr);

	if (WARN_ON_ONCE(!k))
		return;
	mutex_lock(&k->lock);
	if (WARN_ON_ONCE(k->dead || k->mv.order != order ||
			 resmem_pfn_to_virt(k->pfn) != addr)) {
		mutex_unlock(&k->lock);
		kmov_put(&k->mv);
		return;
	}
	k->dead = true;
	resmem_mv_del(k->pfn);
	rm_buddy_free(&resmem.buddy, k->pfn, order);
	mutex_unlock(&k->lock);
	kmov_put(&k->mv);	/* the lookup's */
	kmov_put(&k->mv);	/* the allocation's */
}
EXPORT_SYMBOL_GPL(resmem_free_movable);

/**
 * resmem_pin - keep a movable block where it is
 * @addr: its address, from resmem_alloc_movable()
 *
 * While pinned (e.g. while a device DMAs into it) the block is never
 * migrated: a CMA allocation tries another position.  Pins nest.
 *
 * Context: process context; may sleep.
 * Return: 0, or -EINVAL when @addr is no movable block.
 */
int resmem_pin(void *addr)
{
	struct resmem_kmov *k = kmov_lookup(addr);

	if (!k)
		return -EINVAL;
	mutex_lock(&k->lock);
	k->pinned++;
	mutex_unlock(&k->lock);
	kmov_put(&k->mv);
	return 0;
}
EXPORT_SYMBOL_GPL(resmem_pin);

/**
 * resmem_unpin - undo one resmem_pin()
 * @addr: the block's address
 *
 * Context: process context; may sleep.
 * Return: 0, or -EINVAL when @addr is no movable block or is not pinned.
 */
int resmem_unpin(void *addr)
{
	struct resmem_kmov *k = kmov_lookup(addr);
	int ret = 0;

	if (!k)
		return -EINVAL;
	mutex_lock(&k->lock);
	if (k->pinned)
		k->pinned--;
	else
		ret = -EINVAL;
	mutex_unlock(&k->lock);
	kmov_put(&k->mv);
	return ret;
}
EXPORT_SYMBOL_GPL(resmem_unpin);

/* --- the table of regions --- */

static struct resmem_cma *find_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < RM_CMA_MAX; i++)
		if (resmem_cma_table[i].live &&
		    !strcmp(resmem_cma_table[i].c.name, name))
			return &resmem_cma_table[i];
	return NULL;
}

/* Are the pages of [pfn, pfn + count) free and in no region?  A hint. */
static bool place_ok(struct rm_block *blk, u64 pfn, u64 count)
{
	u64 i = pfn - blk->base_pfn, p;

	if (rm_bitmap_next_set(blk->bitmap, i + count, i) < i + count)
		return false;
	for (p = pfn; p < pfn + count; p += RM_PAGEBLOCK_NR)
		if (READ_ONCE(blk->pb_mt[rm_block_pb(blk, p)]) >= RM_MT_CMA)
			return false;
	return true;
}

/*
 * Place a region of @count pages: the highest free pageblock-aligned run
 * in a block of @nid (any node, the local one first, when NUMA_NO_NODE),
 * so the low memory the buddy hands out first stays ordinary.
 */
static int place(struct rm_cma *c, const char *name, u64 count, int nid)
{
	struct rm_region *rg = &resmem.region;
	int want = nid == NUMA_NO_NODE ? numa_node_id() : nid;
	unsigned int pass, i;
	u64 lo, pfn;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < rg->nr_blocks; i++) {
			struct rm_block *blk = &rg->block[i];
			bool local = blk->nid == want;

			if (pass ? local : !local)
				continue;
			lo = (blk->base_pfn + RM_PAGEBLOCK_NR - 1) &
			     ~(u64)(RM_PAGEBLOCK_NR - 1);
			pfn = (blk->base_pfn + blk->nr_pages) &
			      ~(u64)(RM_PAGEBLOCK_NR - 1);
			for (; pfn >= lo + count; pfn -= RM_PAGEBLOCK_NR) {
				if (!place_ok(blk, pfn - count, count))
					continue;
				if (!rm_cma_init(c, &resmem.buddy, name,
						 pfn - count, count))
					return 0;
			}
		}
		if (nid != NUMA_NO_NODE)
			break;
	}
	return -ENOMEM;
}

/**
 * resmem_cma_create - make a CMA region
 * @name: its name, unique, 1 to RM_CMA_NAME_LEN - 1 characters
 * @base: physical address of its first byte, or RM_CMA_AUTO to let resmem
 *	  place it
 * @size: its size in bytes, a multiple of a pageblock
 * @nid: with RM_CMA_AUTO, the node to place it on, or NUMA_NO_NODE
 * @id: set to the region's id
 *
 * Every page of the region must be free; it must lie in one block.
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a bad name, size, base or node or a region that is
 * not inside one block; -EEXIST for a name in use; -EBUSY when a page of
 * it is in use or in another region; -ENOSPC when the table is full;
 * -ENOMEM when no free place is found.
 */
int resmem_cma_create(const char *name, u64 base, u64 size, int nid,
		      u32 *id)
{
	const u64 pb = PFN_PHYS(RM_PAGEBLOCK_NR);
	struct resmem_cma *r = NULL;
	unsigned int i;
	int ret;

	if (!name[0] || strnlen(name, RM_CMA_NAME_LEN) >= RM_CMA_NAME_LEN ||
	    !size || size % pb || (base != RM_CMA_AUTO && base % pb) ||
	    (nid != NUMA_NO_NODE &&
	     (nid < 0 || nid >= MAX_NUMNODES || !node_online(nid))))
		return -EINVAL;
	mutex_lock(&resmem_cma_table_lock);
	ret = -EEXIST;
	if (find_name(name))
		goto out;
	ret = -ENOSPC;
	for (i = 0; i < RM_CMA_MAX; i++) {
		if (!resmem_cma_table[i].live) {
			r = &resmem_cma_table[i];
			break;
		}
	}
	if (!r)
		goto out;
	memset(r, 0, sizeof(*r));
	if (base == RM_CMA_AUTO)
		ret = place(&r->c, name, PHYS_PFN(size), nid);
	else
		ret = rm_cma_init(&r->c, &resmem.buddy, name, PHYS_PFN(base),
				  PHYS_PFN(size));
	if (ret)
		goto out;
	mutex_init(&r->lock);
	r->id = i;
	r->nid = r->c.z->blk->nid;
	atomic_set(&r->nr_allocs, 0);
	r->live = true;
	*id = i;
	resmem_debugfs_cma_add(r);
out:
	mutex_unlock(&resmem_cma_table_lock);
	return ret;
}

/* Destroy @r (table lock held); its debugfs directory is gone already. */
static int destroy(struct resmem_cma *r)
{
	int ret;

	mutex_lock(&r->lock);
	ret = atomic_read(&r->nr_allocs) ? -EBUSY : rm_cma_destroy(&r->c);
	if (!ret)
		r->live = false;
	mutex_unlock(&r->lock);
	if (!ret)
		mutex_destroy(&r->lock);
	return ret;
}

/**
 * resmem_cma_destroy_id - give a region's memory back to ordinary use
 * @id: the region's id
 *
 * Pages it lends stay with their owners.  Its debugfs directory is removed
 * first, with no lock held (its alloc file takes the table lock), and put
 * back when the region turns out to be busy.
 *
 * Context: process context; may sleep.
 * Return: 0; -ENOENT for no such region; -EBUSY while it has buffers.
 */
int resmem_cma_destroy_id(u32 id)
{
	struct resmem_cma *r;
	struct dentry *dir;
	int ret = -ENOENT;

	mutex_lock(&resmem_cma_table_lock);
	if (id >= RM_CMA_MAX || !resmem_cma_table[id].live)
		goto out;
	r = &resmem_cma_table[id];
	ret = -EBUSY;
	if (atomic_read(&r->nr_allocs))
		goto out;
	dir = r->dir;
	r->dir = NULL;
	mutex_unlock(&resmem_cma_table_lock);
	resmem_debugfs_cma_remove(dir);

	mutex_lock(&resmem_cma_table_lock);
	ret = -ENOENT;
	if (!r->live)
		goto out;
	ret = destroy(r);
	if (ret && !r->dir)
		resmem_debugfs_cma_add(r);
out:
	mutex_unlock(&resmem_cma_table_lock);
	return ret;
}

/* Allocate from @r, whose mutex is held. */
static u64 alloc_locked(struct resmem_cma *r, u64 count, u64 align, int *err)
{
	u64 t0 = ktime_get_ns(), pfn;

	pfn = rm_cma_alloc(&r->c, count, align, cma_migrate, r, err);
	rm_memarea_hist_add(r->st.latency_hist, ktime_get_ns() - t0);
	if (pfn != RM_NO_PFN)
		atomic_inc(&r->nr_allocs);
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
 * region, -EINVAL for a bad count or alignment, -ENOMEM, -EBUSY.
 */
u64 resmem_cma_alloc_id(u32 id, u64 count, u64 align,
			struct resmem_cma **rp, int *err)
{
	struct resmem_cma *r;
	u64 pfn;

	mutex_lock(&resmem_cma_table_lock);
	if (id >= RM_CMA_MAX || !resmem_cma_table[id].live) {
		mutex_unlock(&resmem_cma_table_lock);
		*err = -ENOENT;
		return RM_NO_PFN;
	}
	r = &resmem_cma_table[id];
	mutex_lock(&r->lock);
	mutex_unlock(&resmem_cma_table_lock);
	pfn = alloc_locked(r, count, align, err);
	mutex_unlock(&r->lock);
	*rp = r;
	return pfn;
}

/**
 * resmem_cma_release_pfn - give a buffer back to its region
 * @r: the region
 * @pfn: the buffer's first pfn
 * @count: its pages
 */
void resmem_cma_release_pfn(struct resmem_cma *r, u64 pfn, u64 count)
{
	if (!rm_cma_release(&r->c, pfn, count))
		atomic_dec(&r->nr_allocs);
}

/**
 * resmem_cma_for_each - call @fn for every region, under the table lock
 * @fn: the function; it must not create or destroy regions
 * @arg: passed to @fn
 */
void resmem_cma_for_each(void (*fn)(struct resmem_cma *r, void *arg),
			 void *arg)
{
	unsigned int i;

	mutex_lock(&resmem_cma_table_lock);
	for (i = 0; i < RM_CMA_MAX; i++)
		if (resmem_cma_table[i].live)
			fn(&resmem_cma_table[i], arg);
	mutex_unlock(&resmem_cma_table_lock);
}

/**
 * resmem_cma_contains - is a pfn in a region?
 * @pfn: the page
 *
 * Return: true when @pfn lies in a region (a racy answer, for display).
 */
bool resmem_cma_contains(u64 pfn)
{
	unsigned int i;

	for (i = 0; i < RM_CMA_MAX; i++) {
		struct resmem_cma *r = &resmem_cma_table[i];

		if (READ_ONCE(r->live) && pfn >= r->c.base_pfn &&
		    pfn < r->c.base_pfn + r->c.count)
			return true;
	}
	return false;
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
 * not move (pinned) at every position tried.
 */
void *resmem_cma_alloc(const char *region, unsigned long count,
		       unsigned long align)
{
	struct resmem_cma *r;
	int err = 0;
	void *addr;
	u64 pfn;

	mutex_lock(&resmem_cma_table_lock);
	r = find_name(region);
	if (!r) {
		mutex_unlock(&resmem_cma_table_lock);
		return ERR_PTR(-ENOENT);
	}
	mutex_lock(&r->lock);
	mutex_unlock(&resmem_cma_table_lock);
	pfn = alloc_locked(r, count, align, &err);
	mutex_unlock(&r->lock);
	if (pfn == RM_NO_PFN)
		return ERR_PTR(err);
	addr = resmem_pfn_to_virt(pfn);
	memset(addr, 0, PFN_PHYS(count));
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
	unsigned int i;

	for (i = 0; i < RM_CMA_MAX; i++) {
		struct resmem_cma *r = &resmem_cma_table[i];

		if (READ_ONCE(r->live) && pfn >= r->c.base_pfn &&
		    pfn < r->c.base_pfn + r->c.count) {
			resmem_cma_release_pfn(r, pfn, count);
			return;
		}
	}
	WARN_ONCE(1, "%s: %p is in no region\n", __func__, addr);
}
EXPORT_SYMBOL_GPL(resmem_cma_release);

/* --- load and unload --- */

/**
 * resmem_cma_setup - make the regions cma= asks for
 * @param: the cma= text, or NULL
 *
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
					NUMA_NO_NODE, &id);
		if (ret) {
			if (cs[i].base == RM_CMA_AUTO)
				snprintf(err, sizeof(err), "0x%llx",
					 cs[i].size);
			else
				snprintf(err, sizeof(err), "0x%llx@0x%llx",
					 cs[i].size, cs[i].base);
			pr_err("cma region '%s' (%s): %s; not loading\n",
			       cs[i].name, err,
			       ret == -ENOMEM ? "no free place for it" :
			       ret == -EBUSY ?
			       "overlaps memory in use (metadata or another region)" :
			       "not inside one block of one node");
			resmem_cma_teardown();
			goto out;
		}
		pr_info("cma region '%s': %llu MiB at 0x%llx, node %d\n",
			cs[i].name, cs[i].size >> 20,
			PFN_PHYS(resmem_cma_table[id].c.base_pfn),
			resmem_cma_table[id].nid);
	}
out:
	kfree(cs);
	return ret;
}

/**
 * resmem_cma_teardown - destroy every region
 *
 * At unload, when no file is open and no module uses the API, so no
 * region has buffers.
 */
void resmem_cma_teardown(void)
{
	unsigned int i;

	mutex_lock(&resmem_cma_table_lock);
	for (i = 0; i < RM_CMA_MAX; i++)
		if (resmem_cma_table[i].live) {
			/* no debugfs file is open: resmem is unloading */
			resmem_debugfs_cma_drop(&resmem_cma_table[i]);
			resmem_debugfs_cma_remove(resmem_cma_table[i].dir);
			resmem_cma_table[i].dir = NULL;
			WARN_ON(destroy(&resmem_cma_table[i]));
		}
	mutex_unlock(&resmem_cma_table_lock);
}

/* --- the ioctls --- */

/**
 * resmem_ioc_cma_create - RESMEM_IOC_CMA_CREATE
 * @file: the open device
 * @arg: struct resmem_cma_create, copied in
 *
 * Return: 0; -EPERM without CAP_SYS_ADMIN; -EINVAL for non-zero flags,
 * padding, reserved or output fields, a bad name, size, base or node;
 * otherwise as resmem_cma_create().
 */
int resmem_ioc_cma_create(struct file *file, void *arg)
{
	struct resmem_cma_create *a = arg;
	size_t len = strnlen(a->name, sizeof(a->name));
	int nid = a->node == RESMEM_NODE_ANY ? NUMA_NO_NODE : a->node;
	unsigned int i;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (a->flags || a->pad || a->id ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)) ||
	    !len || len == sizeof(a->name) ||
	    memchr_inv(a->name + len, 0, sizeof(a->name) - len) ||
	    (a->base && a->node != RESMEM_NODE_ANY))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!((a->name[i] >= 'a' && a->name[i] <= 'z') ||
		      (a->name[i] >= '0' && a->name[i] <= '9') ||
		      a->name[i] == '_' || a->name[i] == '-'))
			return -EINVAL;
	return resmem_cma_create(a->name, a->base ? a->base : RM_CMA_AUTO,
				 a->size, nid, &a->id);
}

/**
 * resmem_ioc_cma_destroy - RESMEM_IOC_CMA_DESTROY
 * @file: the open device
 * @arg: struct resmem_cma_destroy, copied in
 *
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

/* Largest region_size CMA_LIST accepts: room for many revisions. */
#define RESMEM_REGION_SIZE_MAX	256

/**
 * resmem_ioc_cma_list - RESMEM_IOC_CMA_LIST
 * @file: the open device
 * @arg: struct resmem_cma_list, copied in
 *
 * Physical bases are shown only to callers with CAP_SYS_ADMIN.
 *
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
	int ret = 0;

	if (l->flags || l->pad || memchr_inv(l->reserved, 0,
					     sizeof(l->reserved)))
		return -EINVAL;
	if (!ubuf && (room || es))
		return -EINVAL;
	if (ubuf && (es < RESMEM_CMA_REGION_INFO_SIZE_V1 ||
		     es > RESMEM_REGION_SIZE_MAX))
		return -EINVAL;
	e = kcalloc(RM_CMA_MAX, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	mutex_lock(&resmem_cma_table_lock);
	for (i = 0; i < RM_CMA_MAX; i++) {
		struct resmem_cma *r = &resmem_cma_table[i];

		if (!r->live)
			continue;
		rm_cma_usage(&r->c, &u);
		strscpy(e[n].name, r->c.name, sizeof(e[n].name));
		e[n].base = phys ? PFN_PHYS(r->c.base_pfn) : 0;
		e[n].size = PFN_PHYS(r->c.count);
		e[n].used = u.used;
		e[n].lent = u.lent;
		e[n].maxchunk = u.maxchunk;
		e[n].id = r->id;
		e[n].node = r->nid;
		n++;
	}
	mutex_unlock(&resmem_cma_table_lock);
	for (i = 0; i < min(room, n); i++) {
		u8 __user *dst = ubuf + (size_t)i * es;

		if (copy_to_user(dst, &e[i], min_t(u32, es, sizeof(*e))) ||
		    (es > sizeof(*e) && clear_user(dst + sizeof(*e),
						   es - sizeof(*e)))) {
			ret = -EFAULT;
			break;
		}
	}
	kfree(e);
	if (!ret)
		l->nr_regions = n;
	return ret;
}
