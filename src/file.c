// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Allocations made through /dev/resmem
 *
 * Allocations made through /dev/resmem: handles, ownership, mmap offsets.
 *
 * struct resmem_ualloc is one allocation.  Its fields:
 *
 *	ref: the owner's handle table holds one reference, every vma that
 *	     maps it one more, lookups one while they use it
 *	sem: read by faults while they map pages, written by whoever frees
 *	     (or, later, migrates) the pages, so no fault maps a page that is
 *	     being freed: a fault that finds @dead set gets SIGBUS
 *	handle: the name userspace uses, in the owner's handle table
 *	owner: the open file that made it; only that file may free, query
 *	       or map it (a forked child shares the file, and so the handle)
 *	pgoff, onode, gap, max_gap: its mmap offset range, in pages, in the
 *	       device's offset tree
 *	pfn, nr_pages, order, node, kind, flags: what was allocated
 *	priv: the kind's own data (vcompound: its pieces)
 *
 * Handles are per open file: each file has its own xarray, allocated
 * cyclically from 1 so a freed handle is not reused soon, and holds at
 * most max_allocs_per_file allocations (-EMFILE beyond), so one file
 * cannot use up anything another file needs.  Everything an allocation
 * costs the kernel is charged to the caller's memory cgroup.
 *
 * mmap offsets follow drm_vma_manager: each allocation owns a range of
 * page offsets, nr_pages long, from one allocator for the whole device
 * (so unmap_mapping_range() on the shared mapping of the misc device
 * tears down exactly that allocation's PTEs in every process), first fit
 * from the lowest page offset RESMEM_PGOFF_FIRST.  Every range ends at or
 * below RESMEM_PGOFF_END, 2^32 - 1 pages: a 32-bit process reaches every
 * allocation through mmap2 (mmap64, _FILE_OFFSET_BITS=64).  The tree is an
 * rbtree by offset, augmented with the largest free gap of each subtree,
 * so both the fit and the lookup take O(log n).
 *
 * A range is given back only when the allocation's last reference goes:
 * each vma holds one (vm_ops open/close count the copies fork, split and
 * mremap make), so while any vma maps a freed allocation its offsets stay
 * taken, no other allocation can get them, and a touch through the old
 * vma finds the dead allocation and gets SIGBUS, forever.
 *
 * Lock order (the module's whole list: include/resmem/resmem.h): the
 * file's mutex, then an allocation's sem, then the
 * allocator's locks.  Faults take only sem (under the mm's mmap lock).
 * The offset tree's spinlock nests inside nothing and is held only to walk
 * or change the tree.
 *
 * fork: the child inherits the open file and its mappings, so parent and
 * child see the same pages; allocations live until the file's last
 * reference is gone (every process closed it or exited), then all of them
 * are freed.  MAP_PRIVATE is refused: copy-on-write of memory without
 * struct pages cannot work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/nospec.h>
#include <linux/timekeeping.h>
#include <linux/rbtree_augmented.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/resmem.h>
#include <resmem/api.h>
#include <resmem/cma.h>
#include <resmem/kcompat.h>
#include <resmem/migrate.h>
#include <resmem/resmem.h>
#include <resmem/vcompound.h>

/*
 * mmap offsets handed out, in pages: [RESMEM_PGOFF_FIRST, RESMEM_PGOFF_END).
 * Offset 0 is never an allocation's; the end fits a 32-bit mmap2 pgoff
 * (and an unsigned long, without wrapping, on 32-bit kernels).
 */
#define RESMEM_PGOFF_FIRST	1UL
#define RESMEM_PGOFF_END	0xffffffffUL

/* Handles of one file: cyclic in [1, U32_MAX]. */
#define RESMEM_HANDLE_MAX	U32_MAX

/*
 * Pages mapped per fault: the faulting one and the ones after it, as TTM
 * prefaults, so sequential access takes one fault per 64 KiB, not per page.
 */
#define RESMEM_FAULT_AROUND	16

/**
 * struct resmem_file - what one open of /dev/resmem owns
 * @lock:	serialises changes to @handles and @nr_allocs
 * @handles:	its allocations, by handle (lookups under RCU)
 * @next_handle: where the cyclic handle search starts
 * @nr_allocs:	allocations in @handles or being made
 * @mapping:	the address space its mmaps live in (the device's, shared
 *		by every open file: offsets are unique across the device)
 */
struct resmem_file {
	struct mutex lock;		/* protects handles, nr_allocs */
	struct xarray handles;
	u32 next_handle;
	unsigned int nr_allocs;
	struct address_space *mapping;
};

struct resmem_ualloc {
	struct kref ref;
	struct rw_semaphore sem;
	bool dead;
	u32 handle;
	struct resmem_file *owner;
	struct rb_node onode;
	unsigned long pgoff;
	unsigned long gap;
	unsigned long max_gap;
	u32 kind;
	u32 flags;
	u32 order;
	int nid;
	u64 pfn;
	u64 nr_pages;
	void *priv;
	struct resmem_mv mv;
	unsigned int pinned;
	struct rcu_head rcu;
};

/*
 * The offset tree: allocations by pgoff, non-overlapping.  @gap of a node
 * is the free pages between the end of the previous node (or
 * RESMEM_PGOFF_FIRST) and its pgoff; @max_gap the largest @gap in its
 * subtree.  The free pages after the last node are the tail.
 */
static DEFINE_SPINLOCK(resmem_offsets_lock);
static struct rb_root resmem_offsets = RB_ROOT;

static inline unsigned long ua_gap(struct resmem_ualloc *ua)
{
	return ua->gap;
}

RB_DECLARE_CALLBACKS_MAX(static, ua_gap_cb, struct resmem_ualloc, onode,
			 unsigned long, max_gap, ua_gap)

static struct resmem_ualloc *onode_ua(struct rb_node *n)
{
	return n ? rb_entry(n, struct resmem_ualloc, onode) : NULL;
}

/* The leftmost allocation with at least @pages free pages before it. */
static struct resmem_ualloc *offset_gap_before(unsigned long pages)
{
	struct rb_node *n = resmem_offsets.rb_node;
	struct resmem_ualloc *ua;

	while (n) {
		ua = onode_ua(n);
		if (n->rb_left && onode_ua(n->rb_left)->max_gap >= pages)
			n = n->rb_left;
		else if (ua->gap >= pages)
			return ua;
		else if (n->rb_right && onode_ua(n->rb_right)->max_gap >= pages)
			n = n->rb_right;
		else
			break;
	}
	return NULL;
}

/*
 * Give @ua the lowest free range of ua->nr_pages page offsets.
 * Return: 0, or -ENOSPC when no such range is left.
 */
static int offset_reserve(struct resmem_ualloc *ua)
{
	struct rb_node **link = &resmem_offsets.rb_node, *parent = NULL;
	unsigned long pages = ua->nr_pages, start;
	struct resmem_ualloc *next, *last;

	if (!ua->nr_pages ||
	    ua->nr_pages > RESMEM_PGOFF_END - RESMEM_PGOFF_FIRST)
		return -ENOSPC;
	spin_lock(&resmem_offsets_lock);
	next = offset_gap_before(pages);
	if (next) {
		start = next->pgoff - next->gap;
	} else {
		last = onode_ua(rb_last(&resmem_offsets));
		start = last ? last->pgoff + last->nr_pages :
			RESMEM_PGOFF_FIRST;
		if (pages > RESMEM_PGOFF_END - start) {
			spin_unlock(&resmem_offsets_lock);
			return -ENOSPC;
		}
	}
	ua->pgoff = start;
	ua->gap = 0;		/* first fit: at the start of its hole */
	ua->max_gap = 0;
	while (*link) {
		parent = *link;
		link = start < onode_ua(parent)->pgoff ? &parent->rb_left :
			&parent->rb_right;
	}
	rb_link_node(&ua->onode, parent, link);
	rb_insert_augmented(&ua->onode, &resmem_offsets, &ua_gap_cb);
	if (next) {
		next->gap -= pages;
		ua_gap_cb_propagate(&next->onode, NULL);
	}
	spin_unlock(&resmem_offsets_lock);
	return 0;
}

/* Give @ua's range back: it joins the gap before the next allocation. */
static void offset_release(struct resmem_ualloc *ua)
{
	struct resmem_ualloc *next;

	spin_lock(&resmem_offsets_lock);
	next = onode_ua(rb_next(&ua->onode));
	if (next)
		next->gap += ua->gap + ua->nr_pages;
	rb_erase_augmented(&ua->onode, &resmem_offsets, &ua_gap_cb);
	if (next)
		ua_gap_cb_propagate(&next->onode, NULL);
	spin_unlock(&resmem_offsets_lock);
}

/* The allocation whose range holds page offset @pgoff, referenced, or NULL. */
static struct resmem_ualloc *offset_lookup(unsigned long pgoff)
{
	struct rb_node *n;
	struct resmem_ualloc *ua = NULL;

	spin_lock(&resmem_offsets_lock);
	for (n = resmem_offsets.rb_node; n; ) {
		ua = onode_ua(n);
		if (pgoff < ua->pgoff)
			n = n->rb_left;
		else if (pgoff - ua->pgoff >= ua->nr_pages)
			n = n->rb_right;
		else
			break;
	}
	if (!n || !kref_get_unless_zero(&ua->ref))
		ua = NULL;
	spin_unlock(&resmem_offsets_lock);
	return ua;
}

/* The last reference: no handle, vma or lookup has it any more. */
static void ualloc_release(struct kref *ref)
{
	struct resmem_ualloc *ua = container_of(ref, struct resmem_ualloc, ref);

	if (ua->pgoff)
		offset_release(ua);
	kfree_rcu(ua, rcu);
}

static void ualloc_put(struct resmem_ualloc *ua)
{
	kref_put(&ua->ref, ualloc_release);
}

/* The byte offset userspace passes to mmap(2) for @ua. */
static u64 ualloc_offset(const struct resmem_ualloc *ua)
{
	return (u64)ua->pgoff << PAGE_SHIFT;
}

/*
 * Each kind checks its own fields, allocates and frees.  alloc() sets
 * ua->pfn and ua->nr_pages (and ua->priv if it needs it), or returns an
 * error having changed nothing.  pfn_of() gives the pfn of page @idx of the
 * allocation; NULL means the allocation is one contiguous run from ua->pfn.
 */
struct resmem_kind {
	int (*check)(const struct resmem_alloc *a);
	int (*alloc)(struct resmem_ualloc *ua, const struct resmem_alloc *a,
		     int nid, unsigned int rmflags);
	void (*free)(struct resmem_ualloc *ua);
	u64 (*pfn_of)(struct resmem_ualloc *ua, u64 idx);
};

static int buddy_check(const struct resmem_alloc *a)
{
	if (a->count || a->align || a->offset || a->policy)
		return -EINVAL;
	return a->order > resmem.buddy.max_order ? -EINVAL : 0;
}

static const struct resmem_mv_ops ualloc_mv_ops;

static int buddy_alloc(struct resmem_ualloc *ua, const struct resmem_alloc *a,
		       int nid, unsigned int rmflags)
{
	u64 pfn = rm_buddy_alloc(&resmem.buddy, a->order, nid, rmflags,
				 RM_PK_BUDDY);

	if (pfn == RM_NO_PFN)
		return -ENOMEM;
	ua->pfn = pfn;
	ua->nr_pages = 1ULL << a->order;
	if (a->flags & RESMEM_ALLOC_MOVABLE) {
		/*
		 * In the reverse map, filled in first: a CMA allocation may
		 * move it at once, with the allocation's node rule.
		 */
		ua->mv.ops = &ualloc_mv_ops;
		ua->mv.order = a->order;
		ua->mv.nid = nid;
		ua->mv.flags = rmflags & RM_ALLOC_STRICT_NODE;
		if (resmem_mv_add(&ua->mv, pfn)) {
			rm_buddy_free(&resmem.buddy, pfn, a->order);
			memset(&ua->mv, 0, sizeof(ua->mv));
			ua->pfn = 0;
			ua->nr_pages = 0;
			return -ENOMEM;
		}
	}
	return 0;
}

static void buddy_free(struct resmem_ualloc *ua)
{
	if (ua->mv.ops)
		resmem_mv_del(ua->pfn);
	rm_buddy_free(&resmem.buddy, ua->pfn, ua->order);
}

/*
 * CMA (src/cma.c): count pages from the region a->region; ua->priv is the
 * region.  The pages are zeroed here: the core hands them out as they are.
 */
static int cmabuf_check(const struct resmem_alloc *a)
{
	if (a->order || a->offset || a->policy || a->node != RESMEM_NODE_ANY ||
	    a->flags)
		return -EINVAL;
	return 0;
}

static int cmabuf_alloc(struct resmem_ualloc *ua,
			const struct resmem_alloc *a, int nid,
			unsigned int rmflags)
{
	struct resmem_cma *r;
	int err = 0;
	u64 pfn;

	pfn = resmem_cma_alloc_id(a->region, a->count, a->align, &r, &err);
	if (pfn == RM_NO_PFN)
		return err;
	/* a region may be gigabytes: zeroed with breaks to reschedule */
	rm_zero_pages(resmem_pfn_to_virt(pfn), a->count, RM_ALLOC_MAY_SLEEP);
	ua->pfn = pfn;
	ua->nr_pages = a->count;
	ua->priv = r;
	return 0;
}

static void cmabuf_free(struct resmem_ualloc *ua)
{
	resmem_cma_release_pfn(ua->priv, ua->pfn, ua->nr_pages);
}

static int memarea_check(const struct resmem_alloc *a)
{
	struct rm_memarea_req r = {
		.count = a->count, .align = a->align, .offset = a->offset,
		.policy = a->policy,
	};

	if (a->order || a->flags & RESMEM_ALLOC_MOVABLE)
		return -EINVAL;
	return rm_memarea_check(&resmem.buddy, &r);
}

static int memarea_alloc(struct resmem_ualloc *ua, const struct resmem_alloc *a,
			 int nid, unsigned int rmflags)
{
	struct rm_memarea_req r = {
		.count = a->count, .align = a->align, .offset = a->offset,
		.policy = a->policy, .nid = nid, .flags = rmflags,
	};
	u64 pfn, t0;
	int ret;

	ret = rm_memarea_check(&resmem.buddy, &r);
	if (ret)
		return ret;
	t0 = rm_stat_time(ktime_get_ns());
	pfn = rm_memarea_alloc(&resmem.memarea, &r);
	rm_memarea_add_latency(&resmem.memarea,
			       rm_stat_time(ktime_get_ns()) - t0);
	if (pfn == RM_NO_PFN)
		return -ENOMEM;
	ua->pfn = pfn;
	ua->nr_pages = a->count;
	return 0;
}

static void memarea_free(struct resmem_ualloc *ua)
{
	rm_memarea_free(&resmem.memarea, ua->pfn, ua->nr_pages);
}

/*
 * vcompound (src/vcompound.c): ua->priv is the fallback mapping, or NULL
 * when the allocation is one contiguous block at ua->pfn.  The pages are
 * pinned by the kernel's mapping, so RESMEM_ALLOC_MOVABLE is refused.
 */
static int vcompound_check(const struct resmem_alloc *a)
{
	if (a->count || a->align || a->offset || a->policy ||
	    a->flags & RESMEM_ALLOC_MOVABLE)
		return -EINVAL;
	return a->order > resmem_vcompound_max_order() ? -EINVAL : 0;
}

static int vcompound_alloc(struct resmem_ualloc *ua,
			   const struct resmem_alloc *a, int nid,
			   unsigned int rmflags)
{
	struct resmem_vc *vc;
	void *addr = resmem_vc_alloc_unchecked(a->order, nid, rmflags,
					       &vc);

	if (!addr)
		return -ENOMEM;
	ua->pfn = vc ? vc->pieces[0].pfn : resmem_virt_to_pfn(addr);
	ua->nr_pages = 1ULL << a->order;
	ua->priv = vc;
	return 0;
}

static void vcompound_free(struct resmem_ualloc *ua)
{
	resmem_vc_release(ua->priv, ua->pfn, ua->order);
}

static u64 vcompound_pfn_of(struct resmem_ualloc *ua, u64 idx)
{
	return ua->priv ? resmem_vc_pfn(ua->priv, idx) : ua->pfn + idx;
}

static const struct resmem_kind kinds[RESMEM_KIND_MAX + 1] = {
	[RESMEM_KIND_BUDDY] = { buddy_check, buddy_alloc, buddy_free, NULL },
	[RESMEM_KIND_MEMAREA] = {
		memarea_check, memarea_alloc, memarea_free, NULL,
	},
	[RESMEM_KIND_VCOMPOUND] = {
		vcompound_check, vcompound_alloc, vcompound_free,
		vcompound_pfn_of,
	},
	[RESMEM_KIND_CMA] = { cmabuf_check, cmabuf_alloc, cmabuf_free, NULL },
};

/*
 * Migration of a movable buddy allocation (the reverse map's move op, see
 * src/migrate.c): with the sem held for writing no fault maps a page; the
 * user PTEs are zapped before the copy, so a write racing with the move
 * either reached the old page before the zap (and is copied) or faults
 * and waits for the sem, then maps the new page.  The allocation's node
 * is the new block's (QUERY reports it); a strict-node allocation never
 * leaves its node.
 */
static bool ualloc_mv_get(struct resmem_mv *mv)
{
	return kref_get_unless_zero(&container_of(mv, struct resmem_ualloc,
						  mv)->ref);
}

static void ualloc_mv_put(struct resmem_mv *mv)
{
	ualloc_put(container_of(mv, struct resmem_ualloc, mv));
}

static int ualloc_move(struct resmem_mv *mv, u64 pfn)
{
	struct resmem_ualloc *ua = container_of(mv, struct resmem_ualloc, mv);
	int ret = 0;
	u64 to;

	down_write(&ua->sem);
	if (ua->dead || ua->pfn != pfn)
		goto out;
	ret = -EBUSY;
	if (ua->pinned)
		goto out;
	unmap_mapping_range(ua->owner->mapping, ualloc_offset(ua),
			    PFN_PHYS(ua->nr_pages), 1);
	/* no client callback: the switch below cannot fail */
	to = resmem_mv_move(mv, pfn, NULL, &ret);
	if (to != RM_NO_PFN) {
		ua->pfn = to;
		ua->nid = rm_region_find(&resmem.region, to)->nid;
		ret = 0;
	}
out:
	up_write(&ua->sem);
	return ret;
}

static const struct resmem_mv_ops ualloc_mv_ops = {
	.get = ualloc_mv_get,
	.put = ualloc_mv_put,
	.move = ualloc_move,
};

/* Unpublished already: tear down mappings, give the pages back. */
static void ualloc_destroy(struct resmem_ualloc *ua)
{
	down_write(&ua->sem);
	ua->dead = true;
	unmap_mapping_range(ua->owner->mapping, ualloc_offset(ua),
			    PFN_PHYS(ua->nr_pages), 1);
	kinds[ua->kind].free(ua);
	up_write(&ua->sem);
	ualloc_put(ua);
}

/**
 * resmem_file_open - set up what an open file owns
 * @file: the file
 *
 * Context: process context; sleeps.
 * Return: 0 or -ENOMEM.
 */
int resmem_file_open(struct file *file)
{
	struct resmem_file *rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);

	if (!rf)
		return -ENOMEM;
	mutex_init(&rf->lock);
	xa_init_flags(&rf->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	rf->mapping = file->f_mapping;
	file->private_data = rf;
	return 0;
}

/**
 * resmem_file_release - free everything the file still owns
 * @file: the file, at its last reference (no mapping of it is left)
 *
 * Context: process context; sleeps.
 */
void resmem_file_release(struct file *file)
{
	struct resmem_file *rf = file->private_data;
	struct resmem_ualloc *ua;
	unsigned long handle;

	xa_for_each(&rf->handles, handle, ua) {
		xa_erase(&rf->handles, handle);
		ualloc_destroy(ua);
	}
	xa_destroy(&rf->handles);
	kfree(rf);
}

/* Count one more allocation of @rf, or -EMFILE at max_allocs_per_file. */
static int file_charge(struct resmem_file *rf)
{
	int ret = 0;

	mutex_lock(&rf->lock);
	if (rf->nr_allocs >= READ_ONCE(resmem_max_allocs_per_file))
		ret = -EMFILE;
	else
		rf->nr_allocs++;
	mutex_unlock(&rf->lock);
	return ret;
}

static void file_uncharge(struct resmem_file *rf)
{
	mutex_lock(&rf->lock);
	rf->nr_allocs--;
	mutex_unlock(&rf->lock);
}

/**
 * resmem_ioc_alloc - RESMEM_IOC_ALLOC
 * @file: the owner to be
 * @arg: struct resmem_alloc, copied in
 *
 * The allocation gets the lowest free mmap offset range of its size and
 * the next free handle of @file.
 *
 * Context: process context; sleeps.
 * Return: 0; -EINVAL for an unknown kind, flag or policy, a non-zero
 * reserved, padding or output field or a field the kind does not use, an
 * order above max_order, a count of 0 or above the largest block, an
 * alignment that is not a power of two, an offset not below it, a node that
 * is not online, a strict request without a node, or RESMEM_ALLOC_MOVABLE
 * on a kind other than RESMEM_KIND_BUDDY; -EMFILE when @file already holds
 * max_allocs_per_file allocations (or no handle is left); -ENOMEM when no
 * memory fits where allowed; -ENOSPC when no mmap offset range of that
 * size is left; RESMEM_KIND_CMA: -ENOENT for an unknown region, -EINVAL
 * for a count of 0 or above the region's size, -EBUSY when the pages in the
 * way would not move.
 */
int resmem_ioc_alloc(struct file *file, void *arg)
{
	struct resmem_file *rf = file->private_data;
	struct resmem_alloc *a = arg;
	const struct resmem_kind *k;
	struct resmem_ualloc *ua;
	/* an ioctl may sleep: long zeroing yields (RM_ALLOC_MAY_SLEEP) */
	unsigned int rmflags = RM_ALLOC_ZERO | RM_ALLOC_MAY_SLEEP;
	u32 handle;
	int nid, ret;

	if (a->kind > RESMEM_KIND_MAX ||
	    a->flags & ~RESMEM_ALLOC_VALID_FLAGS || a->pad || a->pad2 ||
	    (a->region && a->kind != RESMEM_KIND_CMA) ||
	    memchr_inv(a->reserved, 0, sizeof(a->reserved)) ||
	    a->handle || a->size || a->mmap_offset)
		return -EINVAL;
	k = &kinds[array_index_nospec(a->kind, RESMEM_KIND_MAX + 1)];
	ret = k->check(a);
	if (ret)
		return ret;
	if (a->node == RESMEM_NODE_ANY) {
		if (a->flags & RESMEM_ALLOC_STRICT_NODE)
			return -EINVAL;
	} else if (a->node < 0 || a->node >= MAX_NUMNODES ||
		   !node_online(a->node)) {
		return -EINVAL;
	}
	nid = a->node == RESMEM_NODE_ANY ? NUMA_NO_NODE : a->node;
	if (a->flags & RESMEM_ALLOC_MOVABLE)
		rmflags |= RM_ALLOC_MOVABLE;
	if (a->flags & RESMEM_ALLOC_STRICT_NODE)
		rmflags |= RM_ALLOC_STRICT_NODE;

	ret = file_charge(rf);
	if (ret)
		return ret;
	ret = -ENOMEM;
	ua = kzalloc(sizeof(*ua), GFP_KERNEL_ACCOUNT);
	if (!ua)
		goto err_uncharge;
	kref_init(&ua->ref);
	init_rwsem(&ua->sem);
	ua->owner = rf;
	ua->kind = a->kind;
	ua->flags = a->flags;
	ua->order = a->order;
	/* the kinds checked: count is 0 with an order, order 0 with a count */
	ua->nr_pages = a->count ?: 1ULL << a->order;
	ret = offset_reserve(ua);
	if (ret)
		goto err_free;
	ret = k->alloc(ua, a, nid, rmflags);
	if (ret)
		goto err_free;
	/* a movable block is in the reverse map: it may have moved already */
	down_write(&ua->sem);
	ua->nid = rm_region_find(&resmem.region, ua->pfn)->nid;
	up_write(&ua->sem);

	mutex_lock(&rf->lock);
	ret = xa_alloc_cyclic(&rf->handles, &handle, ua,
			      XA_LIMIT(1, RESMEM_HANDLE_MAX), &rf->next_handle,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		mutex_unlock(&rf->lock);
		ret = ret == -EBUSY ? -EMFILE : ret;
		goto err_pages;
	}
	WRITE_ONCE(ua->handle, handle);
	mutex_unlock(&rf->lock);

	a->handle = handle;
	a->size = PFN_PHYS(ua->nr_pages);
	a->mmap_offset = ualloc_offset(ua);
	return 0;

err_pages:
	/* the reverse map may have handed it to a migration meanwhile */
	ualloc_destroy(ua);
	goto err_uncharge;
err_free:
	ualloc_put(ua);
err_uncharge:
	file_uncharge(rf);
	return ret;
}

/* The caller's allocation @handle, referenced, or NULL. */
static struct resmem_ualloc *owned(struct resmem_file *rf, u64 handle)
{
	struct resmem_ualloc *ua;

	if (!handle || handle > RESMEM_HANDLE_MAX)
		return NULL;
	rcu_read_lock();
	ua = xa_load(&rf->handles, handle);
	if (ua && !kref_get_unless_zero(&ua->ref))
		ua = NULL;
	rcu_read_unlock();
	return ua;
}

/* Whether @ua is in @rf's handle table now: made and not freed by it. */
static bool published(struct resmem_file *rf, struct resmem_ualloc *ua)
{
	u32 handle = READ_ONCE(ua->handle);
	bool ret;

	if (!handle)
		return false;
	rcu_read_lock();
	ret = xa_load(&rf->handles, handle) == ua;
	rcu_read_unlock();
	return ret;
}

/**
 * resmem_ioc_free - RESMEM_IOC_FREE
 * @file: the owner
 * @arg: struct resmem_free, copied in
 *
 * Context: process context; sleeps.
 * Return: 0; -EINVAL for non-zero flags or padding; -ENOENT for a handle
 * this file does not own.
 */
int resmem_ioc_free(struct file *file, void *arg)
{
	struct resmem_file *rf = file->private_data;
	struct resmem_free *f = arg;
	struct resmem_ualloc *ua = NULL;

	if (f->flags || f->pad)
		return -EINVAL;
	mutex_lock(&rf->lock);
	if (f->handle && f->handle <= RESMEM_HANDLE_MAX)
		ua = xa_erase(&rf->handles, f->handle);
	if (ua)
		rf->nr_allocs--;
	mutex_unlock(&rf->lock);
	if (!ua)
		return -ENOENT;
	ualloc_destroy(ua);	/* drops the handle's reference */
	return 0;
}

/**
 * resmem_ioc_query - RESMEM_IOC_QUERY
 * @file: the owner
 * @arg: struct resmem_query, copied in
 *
 * Context: process context; sleeps.
 * Return: 0; -EINVAL for non-zero flags or reserved fields; -ENOENT for a
 * handle this file does not own.
 */
int resmem_ioc_query(struct file *file, void *arg)
{
	struct resmem_file *rf = file->private_data;
	struct resmem_query *q = arg;
	bool phys = capable(CAP_SYS_ADMIN);
	struct resmem_ualloc *ua;
	int ret = 0;

	if (q->flags || q->kind || q->alloc_flags || q->order || q->node ||
	    q->pad || q->size || q->phys || q->mmap_offset ||
	    memchr_inv(q->reserved, 0, sizeof(q->reserved)))
		return -EINVAL;
	ua = owned(rf, q->handle);
	if (!ua)
		return -ENOENT;
	/* a migration changes pfn and node under the sem; a free sets dead */
	down_read(&ua->sem);
	if (ua->dead) {
		ret = -ENOENT;
	} else {
		q->kind = ua->kind;
		q->alloc_flags = ua->flags;
		q->order = ua->order;
		q->node = ua->nid;
		q->size = PFN_PHYS(ua->nr_pages);
		q->phys = phys ? PFN_PHYS(ua->pfn) : 0;
		q->mmap_offset = ualloc_offset(ua);
	}
	up_read(&ua->sem);
	ualloc_put(ua);
	return ret;
}

static int pin(struct file *file, void *arg, int delta)
{
	struct resmem_pin *p = arg;
	struct resmem_ualloc *ua;
	int ret = 0;

	if (p->flags || p->pad)
		return -EINVAL;
	ua = owned(file->private_data, p->handle);
	if (!ua)
		return -ENOENT;
	down_write(&ua->sem);
	if (ua->dead)
		ret = -ENOENT;
	else if (!ua->mv.ops)
		ret = -EINVAL;
	else
		ret = delta > 0 ? rm_pin_add(&ua->pinned) :
				  rm_pin_sub(&ua->pinned);
	up_write(&ua->sem);
	ualloc_put(ua);
	return ret;
}

/**
 * resmem_ioc_pin - RESMEM_IOC_PIN: keep a movable allocation in place
 * @file: the owner
 * @arg: struct resmem_pin, copied in
 *
 * Context: process context; sleeps.
 * Return: 0; -EINVAL for non-zero flags or padding or an allocation that is
 * not a movable buddy one; -ENOENT for a handle this file does not own;
 * -EOVERFLOW when it is already pinned RESMEM_PIN_MAX times.
 */
int resmem_ioc_pin(struct file *file, void *arg)
{
	return pin(file, arg, 1);
}

/**
 * resmem_ioc_unpin - RESMEM_IOC_UNPIN: undo one RESMEM_IOC_PIN
 * @file: the owner
 * @arg: struct resmem_pin, copied in
 *
 * Context: process context; sleeps.
 * Return: 0; -EINVAL for non-zero flags or padding or an allocation that is
 * not pinned; -ENOENT for a handle this file does not own.
 */
int resmem_ioc_unpin(struct file *file, void *arg)
{
	return pin(file, arg, -1);
}

/* Piece @i of @ua (one piece unless it is a vcompound fallback). */
static void piece_of(struct resmem_ualloc *ua, u32 i, bool phys,
		     struct resmem_piece_info *e)
{
	struct resmem_vc *vc = ua->kind == RESMEM_KIND_VCOMPOUND ? ua->priv :
				NULL;
	u64 pfn = vc ? vc->pieces[i].pfn : ua->pfn;

	memset(e, 0, sizeof(*e));
	e->phys = phys ? PFN_PHYS(pfn) : 0;
	if (vc) {
		e->offset = PFN_PHYS((u64)vc->pieces[i].first);
		e->size = PAGE_SIZE << vc->pieces[i].order;
		e->order = vc->pieces[i].order;
	} else {
		e->size = PFN_PHYS(ua->nr_pages);
		e->order = ua->kind == RESMEM_KIND_MEMAREA ||
			   ua->kind == RESMEM_KIND_CMA ?
			   RESMEM_PIECE_NO_ORDER : ua->order;
	}
	e->node = rm_region_find(&resmem.region, pfn)->nid;
}

/**
 * resmem_ioc_pieces - RESMEM_IOC_PIECES
 * @file: the owner
 * @arg: struct resmem_pieces, copied in
 *
 * Return: 0; -EINVAL for non-zero flags, padding or reserved fields, room
 * without a pointer, or an entry size below RESMEM_PIECE_INFO_SIZE_V1 or
 * above RM_UARRAY_ENTRY_MAX; -ENOENT for a handle this file does not
 * own; -ENOMEM; -EFAULT.
 */
int resmem_ioc_pieces(struct file *file, void *arg)
{
	struct resmem_pieces *p = arg;
	u8 __user *ubuf = u64_to_user_ptr(p->pieces_ptr);
	u32 room = p->nr_pieces, es = p->piece_size, n, i;
	bool phys = capable(CAP_SYS_ADMIN);
	struct resmem_piece_info *e = NULL;
	struct resmem_ualloc *ua;
	int ret = 0;

	if (p->flags || p->pad ||
	    memchr_inv(p->reserved, 0, sizeof(p->reserved)))
		return -EINVAL;
	if (rm_uarray_check(!!ubuf, room, es,
			    RESMEM_PIECE_INFO_SIZE_V1))
		return -EINVAL;
	ua = owned(file->private_data, p->handle);
	if (!ua)
		return -ENOENT;
	/* copied out after the sem is dropped: the buffer may fault */
	down_read(&ua->sem);
	n = ua->kind == RESMEM_KIND_VCOMPOUND && ua->priv ?
	    ((struct resmem_vc *)ua->priv)->nr : 1;
	room = min(room, n);
	if (ua->dead) {
		ret = -ENOENT;
	} else if (room) {
		e = kvcalloc(room, sizeof(*e), GFP_KERNEL);
		if (!e)
			ret = -ENOMEM;
		for (i = 0; e && i < room; i++)
			piece_of(ua, i, phys, &e[i]);
	}
	up_read(&ua->sem);
	ualloc_put(ua);
	for (i = 0; !ret && i < room; i++)
		ret = resmem_uarray_put(ubuf, i, es, &e[i], sizeof(*e));
	kvfree(e);
	if (!ret)
		p->nr_pieces = n;
	return ret;
}

/* Write or compare the RESMEM_KFILL_WORD pattern through @base. */
static void kfill(u8 *base, struct resmem_kfill *k)
{
	u64 off, end = k->offset + k->length, w;

	k->mismatches = 0;
	k->first_mismatch = ~0ULL;
	for (off = k->offset; off < end; off += 8) {
		u64 *p = (u64 *)(base + off);

		w = RESMEM_KFILL_WORD(k->seed, off);
		if (!(k->flags & RESMEM_KFILL_CHECK)) {
			*p = w;
		} else if (*p != w) {
			if (!k->mismatches++)
				k->first_mismatch = off;
		}
		if (!((off + 8) % PAGE_SIZE))
			cond_resched();
	}
	if (!(k->flags & RESMEM_KFILL_CHECK))
		k->first_mismatch = 0;
}

/**
 * resmem_ioc_kfill - RESMEM_IOC_KFILL, a test-only ioctl
 * @file: the owner
 * @arg: struct resmem_kfill, copied in
 *
 * The kernel writes or checks the pattern through its own mapping of the
 * allocation: a vcompound fallback's virtually contiguous one, else
 * resmem's mapping of its ranges.  A test oracle, not an interface for
 * programs: the dispatcher (src/dev.c) calls it only when the module was
 * loaded with test_ioctls=1 and answers -ENOTTY otherwise.
 *
 * Context: process context; sleeps.
 * Return: 0; -EINVAL for unknown flags, non-zero padding, reserved or
 * output fields, an offset or length that is not a multiple of 8 or ends
 * past the allocation; -ENOENT for a handle this file does not own.
 */
int resmem_ioc_kfill(struct file *file, void *arg)
{
	struct resmem_kfill *k = arg;
	struct resmem_ualloc *ua;
	struct resmem_vc *vc;
	int ret = 0;

	if (k->flags & ~RESMEM_KFILL_VALID_FLAGS || k->pad ||
	    k->mismatches || k->first_mismatch ||
	    memchr_inv(k->reserved, 0, sizeof(k->reserved)) ||
	    k->offset % 8 || k->length % 8)
		return -EINVAL;
	ua = owned(file->private_data, k->handle);
	if (!ua)
		return -ENOENT;
	down_read(&ua->sem);
	vc = ua->kind == RESMEM_KIND_VCOMPOUND ? ua->priv : NULL;
	if (ua->dead)
		ret = -ENOENT;
	else if (k->offset > PFN_PHYS(ua->nr_pages) ||
		 k->length > PFN_PHYS(ua->nr_pages) - k->offset)
		ret = -EINVAL;
	else
		kfill(vc ? vc->addr : resmem_pfn_to_virt(ua->pfn), k);
	up_read(&ua->sem);
	ualloc_put(ua);
	return ret;
}

/* The pfn of page @idx of an allocation, whatever its kind. */
static u64 ualloc_pfn(struct resmem_ualloc *ua, u64 idx)
{
	const struct resmem_kind *k = &kinds[ua->kind];

	return k->pfn_of ? k->pfn_of(ua, idx) : ua->pfn + idx;
}

/*
 * A vma maps one allocation (vm_private_data) and holds a reference on
 * it, so its offsets stay taken until the vma is gone.
 */
static vm_fault_t resmem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct resmem_ualloc *ua = vma->vm_private_data;
	unsigned long addr;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	u64 idx = vmf->pgoff - ua->pgoff, i;

	down_read(&ua->sem);
	if (ua->dead || idx >= ua->nr_pages)
		goto out;
	for (i = 0; i < RESMEM_FAULT_AROUND && idx + i < ua->nr_pages; i++) {
		addr = vmf->address + i * PAGE_SIZE;
		if (addr >= vma->vm_end)
			break;
		if (!i)
			ret = vmf_insert_pfn(vma, addr, ualloc_pfn(ua, idx));
		else if (vmf_insert_pfn(vma, addr, ualloc_pfn(ua, idx + i)) !=
			 VM_FAULT_NOPAGE)
			break;
	}
out:
	up_read(&ua->sem);
	return ret;
}

/* A copy of a vma: fork, split, mremap. */
static void resmem_vm_open(struct vm_area_struct *vma)
{
	struct resmem_ualloc *ua = vma->vm_private_data;

	kref_get(&ua->ref);
}

static void resmem_vm_close(struct vm_area_struct *vma)
{
	ualloc_put(vma->vm_private_data);
}

static const struct vm_operations_struct resmem_vm_ops = {
	.open = resmem_vm_open,
	.close = resmem_vm_close,
	.fault = resmem_fault,
};

/**
 * resmem_file_mmap - map an allocation at its mmap offset
 * @file: the owner
 * @vma: MAP_SHARED, within one allocation
 *
 * Pages are mapped write-back on first touch, by resmem_fault().  On a file
 * opened O_RDONLY the kernel clears VM_SHARED of a MAP_SHARED mapping but
 * keeps VM_MAYSHARE: such a read-only mapping is allowed.
 *
 * Context: process context, mmap lock held for writing.
 * Return: 0; -EINVAL for MAP_PRIVATE, an offset that is no live allocation
 * of this file, or a length past the allocation's end.
 */
int resmem_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct resmem_ualloc *ua;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	ua = offset_lookup(vma->vm_pgoff);
	if (!ua)
		return -EINVAL;
	if (!published(file->private_data, ua) ||
	    vma_pages(vma) > ua->nr_pages - (vma->vm_pgoff - ua->pgoff)) {
		ualloc_put(ua);
		return -EINVAL;
	}
	resmem_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
				 VM_DONTDUMP);
	vma->vm_ops = &resmem_vm_ops;
	/* the lookup's reference is now the vma's */
	vma->vm_private_data = ua;
	return 0;
}
