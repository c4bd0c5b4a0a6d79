// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Taking over the ranges= memory
 *
 * Taking over the ranges= memory: check every range against the running
 * kernel, then claim, map and hand it to the region layer.
 *
 * Nothing is claimed until every range has passed every check, and any
 * failure after the first claim releases all of them, so a refused load
 * leaves /proc/iomem as it was.  Each refusal prints one line naming the
 * range and the reason.
 *
 * A range must be reserved memory that nobody uses: memmap=SIZE$BASE makes
 * an e820 "reserved" entry that is not busy, so request_mem_region() nests a
 * busy "resmem" entry inside it.  System RAM, gaps between iomem entries,
 * MMIO windows and anything another driver has claimed are refused.
 *
 * memmap= reserves whatever it is told to, RAM or not, so the current map
 * is not enough: on x86 every byte must also be RAM in the firmware's own
 * map, the one before memmap= (src/core/fwmap.c says how that is proved
 * from e820__mapped_raw_any()).  A hole, a PCI window or a firmware
 * reservation is refused, naming its first byte and what the firmware says
 * it is.  Other architectures have no such map (resmem_fw_map_known()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <resmem/kcompat.h>
#include <resmem/resmem.h>

/* Where a walk of iomem got to, for the coverage and busy checks. */
struct iomem_walk {
	u64 next;	/* first address not yet covered */
	u64 gap;	/* first address not covered, or U64_MAX */
	u64 busy_start;	/* first busy entry seen, or U64_MAX */
	u64 busy_end;
};

static int reserved_piece(struct resource *res, void *arg)
{
	struct iomem_walk *w = arg;

	if (res->start > w->next) {
		w->gap = w->next;
		return 1;
	}
	w->next = max_t(u64, w->next, res->end + 1);
	return 0;
}

static int busy_piece(struct resource *res, void *arg)
{
	struct iomem_walk *w = arg;

	w->busy_start = res->start;
	w->busy_end = res->end;
	return 1;
}

/* The node resmem uses for a pfn: firmware's, else the first online one. */
static int pfn_nid(u64 pfn, void *arg)
{
	int nid = resmem_phys_nid(PFN_PHYS(pfn));

	if (nid == NUMA_NO_NODE || !node_online(nid))
		nid = first_online_node;
	return nid;
}

/* e820__mapped_raw_any() as src/core/fwmap.c asks it; *arg counts calls */
static bool fw_any(u64 start, u64 end, u32 type, void *arg)
{
	unsigned long *calls = arg;

	if (!(++*calls % 4096))
		cond_resched();
	return resmem_fw_mapped_any(start, end, type);
}

static int fixed_nid(u64 pfn, void *arg)
{
	return *(int *)arg;
}

/* The one line a refused load prints: which range, and why. */
static __printf(3, 4) void range_err(unsigned int i,
				     const struct rm_range_spec *r,
				     const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("range %u (0x%llx@0x%llx): %pV; not loading\n", i, r->size,
	       r->base, &vaf);
	va_end(args);
}

/*
 * The checks that need the running kernel, in the order a user is most
 * helped by: what the memory is (not System RAM now, reserved now, RAM in
 * the firmware's map), whether it is free, which node.
 */
static int check_range(unsigned int i, const struct rm_range_spec *r)
{
	u64 end = r->base + r->size - 1;
	struct iomem_walk w = {
		.next = r->base, .gap = U64_MAX, .busy_start = U64_MAX,
	};

	if (region_intersects(r->base, r->size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		range_err(i, r, "overlaps System RAM");
		return -EINVAL;
	}

	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, r->base, end,
			    &w, reserved_piece);
	if (w.gap == U64_MAX && w.next <= end)
		w.gap = w.next;
	if (w.gap != U64_MAX) {
		range_err(i, r,
			  "is not entirely inside a reserved region of /proc/iomem (0x%llx is not reserved; boot with memmap=SIZE$BASE)",
			  w.gap);
		return -EINVAL;
	}

	if (resmem_fw_map_known()) {
		unsigned long calls = 0;
		u64 bad = rm_fw_first_not_ram(r->base, r->size, fw_any, &calls);

		if (bad <= end) {
			range_err(i, r,
				  "not RAM in the firmware memory map (0x%llx is %s)",
				  bad,
				  rm_fw_type_name(rm_fw_type_of(bad, fw_any,
								&calls)));
			return -EINVAL;
		}
	}

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM | IORESOURCE_BUSY,
			    r->base, end, &w, busy_piece);
	if (w.busy_start != U64_MAX) {
		range_err(i, r, "[mem 0x%llx-0x%llx] is held by another driver",
			  w.busy_start, w.busy_end);
		return -EBUSY;
	}

	if (r->nid != NUMA_NO_NODE && !node_online(r->nid)) {
		range_err(i, r, "node %d is not online", r->nid);
		return -EINVAL;
	}
	return 0;
}

static int register_range(unsigned int i, const struct rm_range_spec *r)
{
	u64 pfn = PHYS_PFN(r->base), nr = r->size >> PAGE_SHIFT;
	int nid = r->nid, ret;

	if (nid == NUMA_NO_NODE)
		ret = rm_region_add_range(&resmem.region, pfn, nr, i, pfn_nid,
					  NULL);
	else
		ret = rm_region_add_range(&resmem.region, pfn, nr, i,
					  fixed_nid, &nid);
	if (ret == -ENOSPC && resmem.region.nr_blocks < RM_MAX_BLOCKS)
		range_err(i, r,
			  "too small to hold its own metadata (%llu pages, %llu of them needed for metadata)",
			  nr, rm_meta_pages(nr));
	else if (ret == -ENOSPC)
		range_err(i, r, "more than %u blocks in all", RM_MAX_BLOCKS);
	else if (ret)
		range_err(i, r, "cannot be registered (error %d)", ret);
	return ret;
}

static int claim_range(unsigned int i, struct resmem_range *rr)
{
	const struct rm_range_spec *r = &rr->spec;

	rr->res[0] = request_mem_region(r->base, r->size, KBUILD_MODNAME);
	if (!rr->res[0]) {
		range_err(i, r, "request_mem_region failed: held by another driver");
		return -EBUSY;
	}
	rr->vaddr = memremap(r->base, r->size, MEMREMAP_WB);
	if (!rr->vaddr) {
		range_err(i, r, "memremap failed");
		release_mem_region(r->base, r->size);
		rr->res[0] = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * The second line of defence: each block's metadata pages must hold what
 * is written to them before rm_region_enable() trusts them.
 */
static int probe_blocks(void)
{
	unsigned int i;

	for (i = 0; i < resmem.region.nr_blocks; i++) {
		struct rm_block *b = &resmem.region.block[i];
		u64 off, wrote = 0, read = 0;

		rm_block_meta_probe_fill(b);
		resmem_flush_cache(b->vaddr,
				   rm_meta_pages(b->nr_pages) * PAGE_SIZE);
		off = rm_block_meta_probe_check(b, &wrote, &read);
		if (off == U64_MAX)
			continue;
		range_err(b->range, &resmem.range[b->range].spec,
			  "0x%llx does not hold what was written (0x%llx read back as 0x%llx): not memory",
			  PFN_PHYS(b->base_pfn) + off, wrote, read);
		return -EIO;
	}
	return 0;
}

static void release_range(struct resmem_range *rr)
{
	unsigned int i;

	if (rr->vaddr)
		memunmap(rr->vaddr);
	for (i = 0; i < RESMEM_RANGE_PIECES; i++) {
		if (rr->res[i])
			release_mem_region(rr->res[i]->start,
					   resource_size(rr->res[i]));
		rr->res[i] = NULL;
	}
	rr->vaddr = NULL;
}

/* The range that holds [base, base + size), or NULL. */
static struct resmem_range *range_of(u64 base, u64 size)
{
	struct resmem_range *rr;
	unsigned int i;

	for (i = 0; i < resmem.nr_ranges; i++) {
		rr = &resmem.range[i];
		if (base >= rr->spec.base &&
		    base + size <= rr->spec.base + rr->spec.size)
			return rr;
	}
	return NULL;
}

/* A free slot of @rr's pieces, or -1. */
static int free_piece(struct resmem_range *rr)
{
	unsigned int i;

	for (i = 0; i < RESMEM_RANGE_PIECES; i++)
		if (!rr->res[i])
			return i;
	return -1;
}

/**
 * resmem_range_unclaim - take [@base, @base + @size) out of our claim
 * @base: first byte, inside one range
 * @size: bytes
 *
 * For a region lent to the system: memory hot-add claims its part as
 * "System RAM (resmem)", which cannot nest in our busy entry.  The entry
 * that holds the part is shrunk (adjust_resource()) to what lies before
 * it, and what lies after gets an entry of its own; the part after is
 * unclaimed for a moment in between, and resmem, being its owner, is the
 * only one told where it is.  Callers serialise this with
 * resmem_range_reclaim() (the CMA table lock).
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL when the part is in no range or not inside one entry
 * (already unclaimed); -EBUSY when the part after could not be claimed
 * again (the entry is then as before).
 */
int resmem_range_unclaim(u64 base, u64 size)
{
	struct resmem_range *rr = range_of(base, size);
	u64 end = base + size, old_end;
	struct resource *res = NULL;
	unsigned int i;
	int slot;

	if (!rr || !size)
		return -EINVAL;
	for (i = 0; i < RESMEM_RANGE_PIECES; i++) {
		res = rr->res[i];
		if (res && res->start <= base && res->end >= end - 1)
			break;
	}
	if (i == RESMEM_RANGE_PIECES)
		return -EINVAL;
	if (res->start == base && res->end == end - 1) {
		release_mem_region(base, size);
		rr->res[i] = NULL;
		return 0;
	}
	if (res->start == base)
		return adjust_resource(res, end, res->end + 1 - end);
	if (res->end == end - 1)
		return adjust_resource(res, res->start, base - res->start);
	/* a part in the middle: split */
	slot = free_piece(rr);
	if (WARN_ON_ONCE(slot < 0))
		return -EBUSY;
	old_end = res->end;
	if (adjust_resource(res, res->start, base - res->start))
		return -EBUSY;
	rr->res[slot] = request_mem_region(end, old_end + 1 - end,
					   KBUILD_MODNAME);
	if (!rr->res[slot]) {
		pr_warn("[mem %#llx-%#llx]: cannot be claimed again while lent memory is split off (another driver holds it, or no memory)\n",
			end, old_end);
		WARN_ON(adjust_resource(res, res->start,
					old_end + 1 - res->start));
		return -EBUSY;
	}
	return 0;
}

/* The piece of @rr that ends at @end - 1 (@left) or starts at @end. */
static int neighbour(struct resmem_range *rr, u64 at, bool left)
{
	unsigned int i;

	for (i = 0; i < RESMEM_RANGE_PIECES; i++)
		if (rr->res[i] &&
		    (left ? rr->res[i]->end + 1 : rr->res[i]->start) == at)
			return i;
	return -1;
}

/**
 * resmem_range_reclaim - claim [@base, @base + @size) again
 * @base: first byte of a part resmem_range_unclaim() took out
 * @size: bytes
 *
 * After the system gave the memory back.  The entry before the part grows
 * over it (or the one after it, or a new entry takes it), and when entries
 * then touch they become one again: the one after is released and the
 * one before grows over it, so that the entries after any number of lends
 * are at most one per lent region plus one.  The space of the one after is
 * unclaimed for a moment in between: a driver that claims it then keeps
 * it (a warning says so), and the part is claimed all the same.  Callers
 * serialise this with resmem_range_unclaim() (the CMA table lock).
 *
 * Context: process context; may sleep.
 * Return: 0; -EINVAL for a part in no range; -EBUSY when another driver
 * claimed the part meanwhile, or when the part needs an entry of its own
 * and there was no memory for one (a warning says so: resmem must not
 * use it then).
 */
int resmem_range_reclaim(u64 base, u64 size)
{
	struct resmem_range *rr = range_of(base, size);
	u64 end = base + size, rend;
	struct resource *l, *r;
	int li, ri, slot;

	if (!rr || !size)
		return -EINVAL;
	li = neighbour(rr, base, true);
	ri = neighbour(rr, end, false);
	if (li < 0 && ri < 0) {
		slot = free_piece(rr);
		if (WARN_ON_ONCE(slot < 0))
			return -EBUSY;
		rr->res[slot] = request_mem_region(base, size, KBUILD_MODNAME);
		if (rr->res[slot])
			return 0;
		pr_warn("[mem %#llx-%#llx]: cannot be claimed again after it was lent (another driver holds it, or no memory)\n",
			base, end - 1);
		return -EBUSY;
	}
	if (li < 0) {
		r = rr->res[ri];
		return adjust_resource(r, base, r->end + 1 - base);
	}
	l = rr->res[li];
	if (adjust_resource(l, l->start, end - l->start))
		return -EBUSY;
	if (ri < 0)
		return 0;
	r = rr->res[ri];
	rend = r->end;
	release_mem_region(r->start, resource_size(r));
	rr->res[ri] = NULL;
	if (!adjust_resource(l, l->start, rend + 1 - l->start))
		return 0;
	/*
	 * Another driver claimed the space of the one after in the moment
	 * it was released.  The part itself is claimed (by the one before):
	 * that is what the caller asked for.  The space after stays the
	 * other driver's in /proc/iomem, with resmem's buffers still in it.
	 */
	pr_warn("[mem %#llx-%#llx]: claimed by another driver while resmem merged its entries; it stays out of resmem's claim\n",
		end, rend);
	return 0;
}

/**
 * resmem_ranges_setup - parse, check, claim and map the ranges= memory
 * @param: the ranges= text
 *
 * On success every range is claimed in /proc/iomem, mapped write-back and
 * enabled in resmem.region.  On failure one line says why and nothing stays
 * claimed.  Called once, from module init.
 *
 * Return: 0 or a negative errno.
 */
int resmem_ranges_setup(const char *param)
{
	struct rm_range_spec *spec;
	char *err;
	unsigned int i, nr;
	int ret;

	err = kmalloc(RM_ERR_LEN, GFP_KERNEL);
	spec = kcalloc(RM_MAX_RANGES, sizeof(*spec), GFP_KERNEL);
	if (!err || !spec) {
		ret = -ENOMEM;
		goto out_free;
	}
	rm_region_init(&resmem.region);
	resmem.nr_ranges = 0;

	ret = rm_parse_ranges(param, spec, RM_MAX_RANGES, &nr, err, RM_ERR_LEN);
	if (!ret)
		ret = rm_check_ranges(spec, nr, resmem_phys_limit(), err,
				      RM_ERR_LEN);
	if (ret) {
		pr_err("%s; not loading\n", err);
		goto out_free;
	}
	for (i = 0; i < nr; i++) {
		ret = check_range(i, &spec[i]);
		if (ret)
			goto out_free;
	}
	for (i = 0; i < nr; i++) {
		ret = register_range(i, &spec[i]);
		if (ret)
			goto out_free;
	}

	for (i = 0; i < nr; i++) {
		resmem.range[i].spec = spec[i];
		ret = claim_range(i, &resmem.range[i]);
		if (ret)
			goto out_release;
		resmem.nr_ranges = i + 1;
	}
	for (i = 0; i < resmem.region.nr_blocks; i++) {
		struct rm_block *b = &resmem.region.block[i];
		struct resmem_range *rr = &resmem.range[b->range];

		b->vaddr = rr->vaddr + (PFN_PHYS(b->base_pfn) - rr->spec.base);
	}
	ret = probe_blocks();
	if (!ret)
		ret = rm_region_enable(&resmem.region);
	if (ret)
		goto out_release;
	goto out_free;

out_release:
	resmem_ranges_teardown();
out_free:
	kfree(spec);
	kfree(err);
	return ret;
}

/**
 * resmem_ranges_report - one line per block, once the module is up
 */
void resmem_ranges_report(void)
{
	unsigned int i;

	for (i = 0; i < resmem.region.nr_blocks; i++) {
		struct rm_block *b = &resmem.region.block[i];

		pr_info("range %u block %u: [mem 0x%llx-0x%llx] node %d, %llu pages, %llu for metadata\n",
			b->range, i, PFN_PHYS(b->base_pfn),
			PFN_PHYS(b->base_pfn + b->nr_pages) - 1, b->nid,
			b->nr_pages, b->meta_pages);
	}
}

/**
 * resmem_ranges_teardown - unmap and release every claimed range
 *
 * Safe on a partly set up state; leaves the region empty.
 */
void resmem_ranges_teardown(void)
{
	unsigned int i;

	for (i = 0; i < resmem.nr_ranges; i++)
		release_range(&resmem.range[i]);
	resmem.nr_ranges = 0;
	rm_region_init(&resmem.region);
}
