// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The migration of one movable block
 *
 * The migration of one movable buddy block, for every owner of movable
 * blocks alike (userspace RESMEM_ALLOC_MOVABLE allocations, kernel
 * resmem_alloc_movable() blocks; src/migrate.c adds the reverse map).
 *
 * The owner holds its own lock, so nobody writes the block meanwhile.
 * The steps, in an order where nothing can fail once the client has
 * switched to the new block:
 *
 *	1. allocate the destination, by the allocation's node rule: with
 *	   RM_ALLOC_STRICT_NODE only from its node (fail rather than cross);
 *	2. reserve the new block's slot in the reverse map (may fail);
 *	3. copy the data;
 *	4. call the client (may refuse);
 *	5. commit: the reverse map names the new block (into the reserved
 *	   slot: cannot fail) and no longer the old one;
 *	6. free the old block.
 *
 * A failure at 1, 2 or 4 undoes what was done (cancel the reservation,
 * free the destination) and leaves the block, the client and the map as
 * they were.
 */
#include <resmem/migrate.h>

/**
 * rm_mv_move - move a movable block elsewhere
 * @b: the buddy allocator it came from
 * @from: its head pfn
 * @order: it is 2^@order pages
 * @nid: the node to put it on first, or NUMA_NO_NODE
 * @flags: the allocation's flags: with RM_ALLOC_STRICT_NODE only @nid
 * @ops: the reverse map and the client
 * @arg: passed to @ops
 * @err: set to the reason when it fails
 *
 * Context: as @ops and rm_buddy_alloc(); the caller holds the owner's
 * lock.
 * Return: the new head pfn (the block at @from is freed), or RM_NO_PFN
 * with *@err set: -ENOMEM without room (where @flags allow), or what
 * @ops->reserve or @ops->migrate returned.
 */
u64 rm_mv_move(struct rm_buddy *b, u64 from, unsigned int order, int nid,
	       unsigned int flags, const struct rm_mv_ops *ops, void *arg,
	       int *err)
{
	u64 to = rm_buddy_alloc(b, order, nid,
				RM_ALLOC_MOVABLE | (flags & RM_ALLOC_STRICT_NODE),
				RM_PK_BUDDY);
	int ret;

	if (to == RM_NO_PFN) {
		*err = -ENOMEM;
		return RM_NO_PFN;
	}
	ret = ops->reserve(arg, to);
	if (ret)
		goto err_free;
	memcpy(rm_block_pfn_to_virt(rm_region_find(b->rg, to), to),
	       rm_block_pfn_to_virt(rm_region_find(b->rg, from), from),
	       PAGE_SIZE << order);
	ret = ops->migrate ? ops->migrate(arg, from, to) : 0;
	if (ret)
		goto err_cancel;
	/* the client uses the new block now: nothing below may fail */
	ops->commit(arg, from, to);
	rm_buddy_free(b, from, order);
	return to;

err_cancel:
	ops->cancel(arg, to);
err_free:
	rm_buddy_free(b, to, order);
	*err = ret;
	return RM_NO_PFN;
}

/**
 * rm_pin_add - count one more pin
 * @pinned: the block's pin count
 *
 * Return: 0, or -EOVERFLOW (unchanged) at RM_PIN_MAX.
 */
int rm_pin_add(unsigned int *pinned)
{
	if (*pinned == RM_PIN_MAX)
		return -EOVERFLOW;
	(*pinned)++;
	return 0;
}

/**
 * rm_pin_sub - undo one rm_pin_add()
 * @pinned: the block's pin count
 *
 * Return: 0, or -EINVAL (unchanged) when it is not pinned.
 */
int rm_pin_sub(unsigned int *pinned)
{
	if (!*pinned)
		return -EINVAL;
	(*pinned)--;
	return 0;
}
