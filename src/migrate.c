// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Movable blocks and the migration flow
 *
 * Movable blocks: the reverse map, the one migration flow every owner of a
 * movable block uses, and the in-kernel movable API (include/resmem/api.h).
 *
 *  - The reverse map: an xarray keyed by the head pfn of every movable
 *    buddy block that can be moved (userspace RESMEM_ALLOC_MOVABLE
 *    allocations of the buddy kind, src/file.c; kernel
 *    resmem_alloc_movable() blocks, below), holding the owner's struct
 *    resmem_mv.  A CMA allocation (src/cma.c) looks the owner of a block
 *    in its way up with resmem_mv_get(), which takes a reference under the
 *    xarray's lock, and calls its move op.
 *
 *  - The move op takes the owner's lock, checks the block is still there
 *    and not pinned, and calls resmem_mv_move(): the steps of
 *    rm_mv_move() (src/core/migrate.c, unit-tested with each fallible
 *    step failed in turn) with the reverse map filled in.  The new
 *    block's slot is reserved (xa_reserve(), GFP_KERNEL) before the data
 *    is copied and before the client is told; the commit stores into that
 *    slot and erases the old one, and cannot fail, so nothing fails after
 *    the client has switched to the new block.  The destination keeps the
 *    allocation's node rule (struct resmem_mv's @flags).
 *
 *  - Kernel movable blocks: struct resmem_movable, an opaque object that
 *    stays the client's handle across moves.  Its mutex serialises moves,
 *    pins and the free; its kref keeps it alive for a migration that found
 *    it in the map.  While the client's migrate callback runs, resmem holds
 *    a reference on the client's module (ops->owner), taken per migration:
 *    one held for the object's life would keep the client from ever
 *    unloading, since its exit, which frees its blocks, is not called
 *    while a reference is held.  A module being unloaded refuses every
 *    migration (try_module_get() fails), so no callback runs into it; it
 *    must free its blocks before its exit returns.
 *
 * Lock order (the module's whole list: include/resmem/resmem.h): a CMA
 * region's mutex, an owner's lock (a userspace
 * allocation's sem, a kernel block's mutex), the xarray's lock and the
 * allocator's locks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/export.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <resmem/api.h>
#include <resmem/cma.h>
#include <resmem/migrate.h>
#include <resmem/resmem.h>

static DEFINE_XARRAY(resmem_mv_map);

/* --- the reverse map --- */

/**
 * resmem_mv_add - enter a movable block into the reverse map
 * @mv: its owner's entry, filled in (a migration may find it at once)
 * @pfn: its head pfn
 *
 * Context: process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int resmem_mv_add(struct resmem_mv *mv, u64 pfn)
{
	might_sleep();
	return xa_err(xa_store(&resmem_mv_map, pfn, mv, GFP_KERNEL));
}

/**
 * resmem_mv_del - take a block out of the reverse map before it is freed
 * @pfn: its head pfn
 *
 * Context: any context that may take a spinlock.
 */
void resmem_mv_del(u64 pfn)
{
	xa_erase(&resmem_mv_map, pfn);
}

/**
 * resmem_mv_get - the owner of the movable block at @pfn, referenced
 * @pfn: a head pfn
 * @order: the block's order, as the allocator's state says
 *
 * Context: any context that may take a spinlock.
 * Return: the entry, with a reference (drop it with @mv->ops->put), or
 * NULL when no block of that order is in the map at @pfn (freed meanwhile,
 * or still being set up) or its owner is going away.
 */
struct resmem_mv *resmem_mv_get(u64 pfn, unsigned int order)
{
	struct resmem_mv *mv;

	xa_lock(&resmem_mv_map);
	mv = xa_load(&resmem_mv_map, pfn);
	if (mv && (mv->order != order || !mv->ops->get(mv)))
		mv = NULL;
	xa_unlock(&resmem_mv_map);
	return mv;
}

struct mv_move {
	struct resmem_mv *mv;
	int (*client)(struct resmem_mv *mv, u64 from, u64 to);
};

static int mv_reserve(void *arg, u64 to)
{
	return xa_reserve(&resmem_mv_map, to, GFP_KERNEL);
}

static void mv_cancel(void *arg, u64 to)
{
	xa_release(&resmem_mv_map, to);
}

static int mv_client(void *arg, u64 from, u64 to)
{
	struct mv_move *m = arg;

	return m->client(m->mv, from, to);
}

static void mv_commit(void *arg, u64 from, u64 to)
{
	struct mv_move *m = arg;
	void *old;

	/*
	 * Into the slot mv_reserve() made: every node on the path to it
	 * exists and the slot holds XA_ZERO_ENTRY, so xas_create() finds it
	 * without allocating and xa_store() cannot fail (lib/xarray.c of
	 * 6.1 and 6.12 alike).  GFP_NOWAIT says so; the WARN would catch a
	 * change of that rule.
	 */
	old = xa_store(&resmem_mv_map, to, m->mv, GFP_NOWAIT);
	WARN_ON_ONCE(xa_is_err(old));
	xa_erase(&resmem_mv_map, from);
}

static const struct rm_mv_ops mv_ops = {
	.reserve = mv_reserve,
	.cancel = mv_cancel,
	.commit = mv_commit,
};

static const struct rm_mv_ops mv_client_ops = {
	.reserve = mv_reserve,
	.cancel = mv_cancel,
	.migrate = mv_client,
	.commit = mv_commit,
};

/**
 * resmem_mv_move - move a movable block; the one migration flow
 * @mv: the block's entry (order, preferred node, node rule)
 * @from: its head pfn
 * @client: called once the data is copied, to switch the owner's pointers
 *	    (0) or refuse (an error: the block stays); NULL when the owner
 *	    switches by itself after a success, under its lock
 * @err: set to the reason when it fails
 *
 * The caller holds the owner's lock, so nobody writes the block.  The
 * destination is movable, from @mv->nid first (only there with
 * RM_ALLOC_STRICT_NODE in @mv->flags); isolated pageblocks are never
 * handed out, so it lies outside the range being taken.
 *
 * Context: process context; may sleep.
 * Return: the new head pfn (the old block is freed and out of the map), or
 * RM_NO_PFN with *@err: -ENOMEM for no room or no memory for the map, or
 * what @client returned; the block, the map and the owner are unchanged.
 */
u64 resmem_mv_move(struct resmem_mv *mv, u64 from,
		   int (*client)(struct resmem_mv *mv, u64 from, u64 to),
		   int *err)
{
	struct mv_move m = { .mv = mv, .client = client };

	might_sleep();
	return rm_mv_move(&resmem.buddy, from, mv->order, mv->nid, mv->flags,
			  client ? &mv_client_ops : &mv_ops, &m, err);
}

/* --- kernel movable blocks --- */

/**
 * struct resmem_movable - a block from resmem_alloc_movable()
 * @mv:		its reverse map entry
 * @ref:	held by the allocation and by a migration in progress
 * @lock:	serialises moves, pins and the free
 * @pfn:	where it is now
 * @pinned:	resmem_pin() calls not yet undone
 * @dead:	freed: a migration that gets here finds nothing to do
 * @ops:	the client's callbacks
 * @priv:	passed to them
 */
struct resmem_movable {
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
	kfree(container_of(ref, struct resmem_movable, ref));
}

static bool kmov_get(struct resmem_mv *mv)
{
	return kref_get_unless_zero(&container_of(mv, struct resmem_movable,
						  mv)->ref);
}

static void kmov_put(struct resmem_mv *mv)
{
	kref_put(&container_of(mv, struct resmem_movable, mv)->ref,
		 kmov_release);
}

static int kmov_client(struct resmem_mv *mv, u64 from, u64 to)
{
	struct resmem_movable *k = container_of(mv, struct resmem_movable, mv);

	return k->ops->migrate(k->priv, resmem_pfn_to_virt(from),
			       resmem_pfn_to_virt(to));
}

static int kmov_move(struct resmem_mv *mv, u64 pfn)
{
	struct resmem_movable *k = container_of(mv, struct resmem_movable, mv);
	int ret = 0;
	u64 to;

	mutex_lock(&k->lock);
	if (k->dead || k->pfn != pfn)
		goto out;
	ret = -EBUSY;
	if (k->pinned || !try_module_get(k->ops->owner))
		goto out;
	to = resmem_mv_move(mv, pfn, kmov_client, &ret);
	module_put(k->ops->owner);
	if (to != RM_NO_PFN) {
		WRITE_ONCE(k->pfn, to);
		ret = 0;
	}
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
 *	 call into resmem for this block.  @ops->owner (THIS_MODULE) is held
 *	 while it runs.
 * @priv: passed to @ops->migrate
 *
 * The pages come from movable pageblocks, CMA regions included: they are
 * lent memory, zeroed.  The client must not write them while its migrate
 * callback could run, unless it serialises against it (or pins them).
 *
 * Context: process context; may sleep.
 * Return: the block's handle, stable across moves (its current address:
 * resmem_movable_addr() or resmem_pin()), or an ERR_PTR: -EINVAL for a bad
 * order, node or @ops, -ENOMEM.
 */
struct resmem_movable *resmem_alloc_movable(unsigned int order, int nid,
					    const struct resmem_movable_ops *ops,
					    void *priv)
{
	struct resmem_movable *k;
	u64 pfn;

	might_sleep();
	if (WARN_ON_ONCE(!ops || !ops->migrate) ||
	    order > resmem.buddy.max_order ||
	    !resmem_nid_ok(nid))
		return ERR_PTR(-EINVAL);
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return ERR_PTR(-ENOMEM);
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
	return k;

err_pages:
	rm_buddy_free(&resmem.buddy, pfn, order);
err_free:
	kfree(k);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(resmem_alloc_movable);

/**
 * resmem_movable_addr - where a movable block is now
 * @m: the block
 *
 * The answer stays true only while the block is pinned, or while the
 * client serialises against its own migrate callback.
 *
 * Context: any context.
 * Return: the kernel address of its first page.
 */
void *resmem_movable_addr(struct resmem_movable *m)
{
	return resmem_pfn_to_virt(READ_ONCE(m->pfn));
}
EXPORT_SYMBOL_GPL(resmem_movable_addr);

/**
 * resmem_free_movable - free a block from resmem_alloc_movable()
 * @m: the block (wherever it has moved)
 *
 * Context: process context; may sleep (waits for a migration of the block
 * in progress).
 */
void resmem_free_movable(struct resmem_movable *m)
{
	might_sleep();
	if (IS_ERR_OR_NULL(m))
		return;
	mutex_lock(&m->lock);
	if (WARN_ON_ONCE(m->dead)) {
		mutex_unlock(&m->lock);
		return;
	}
	m->dead = true;
	resmem_mv_del(m->pfn);
	rm_buddy_free(&resmem.buddy, m->pfn, m->mv.order);
	mutex_unlock(&m->lock);
	kmov_put(&m->mv);	/* the allocation's */
}
EXPORT_SYMBOL_GPL(resmem_free_movable);

/**
 * resmem_pin - keep a movable block where it is
 * @m: the block
 *
 * While pinned (e.g. while a device DMAs into it) the block is never
 * migrated: a CMA allocation tries another position.  Pins nest, up to
 * RM_PIN_MAX (65535) deep; one more is refused, never wrapped.  A migration in progress
 * is waited for, so the address returned is where the block is now.
 *
 * Context: process context; may sleep.
 * Return: the block's current kernel address, or an ERR_PTR: -EINVAL for
 * no block, -EOVERFLOW when it is pinned RM_PIN_MAX times already.
 */
void *resmem_pin(struct resmem_movable *m)
{
	void *addr;
	int ret;

	might_sleep();
	if (IS_ERR_OR_NULL(m))
		return ERR_PTR(-EINVAL);
	mutex_lock(&m->lock);
	ret = m->dead ? -EINVAL : rm_pin_add(&m->pinned);
	addr = ret ? ERR_PTR(ret) : resmem_pfn_to_virt(m->pfn);
	mutex_unlock(&m->lock);
	return addr;
}
EXPORT_SYMBOL_GPL(resmem_pin);

/**
 * resmem_unpin - undo one resmem_pin()
 * @m: the block
 *
 * Context: process context; may sleep.
 * Return: 0, or -EINVAL when @m is no block or is not pinned.
 */
int resmem_unpin(struct resmem_movable *m)
{
	int ret;

	might_sleep();
	if (IS_ERR_OR_NULL(m))
		return -EINVAL;
	mutex_lock(&m->lock);
	ret = m->dead ? -EINVAL : rm_pin_sub(&m->pinned);
	mutex_unlock(&m->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(resmem_unpin);
