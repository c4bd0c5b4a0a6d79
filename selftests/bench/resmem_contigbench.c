// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_contigbench: the kernel's side of the CMA take-back benchmark
 * (selftests/bench/cmabench.c).  At load it times alloc_contig_range()
 * taking mib= MiB (default 64) out of ZONE_MOVABLE (boot with
 * movablecore=), which a process has filled with anonymous pages
 * beforehand ("cmabench fill"), then frees them again.  Prints one line:
 *
 *   contig: 64 MiB from ZONE_MOVABLE at pfn 0x...: N ms, P pages in use
 *   before (M MiB moved), try T, N' ms with the failed tries
 *
 * (alloc_contig_range() fails with -EBUSY when a page is pinned for a
 * moment; it is tried up to 5 times, as cma_alloc() retries.)
 *
 * and refuses to stay loaded (-EAGAIN after a good run), so it can be
 * run again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/page-flags.h>
#include <linux/timekeeping.h>

static uint mib = 64;
module_param(mib, uint, 0444);
MODULE_PARM_DESC(mib, "MiB to take");

static struct zone *find_zone(void)
{
	struct zone *best = NULL, *z;
	int nid;

	for_each_online_node(nid) {
		z = &NODE_DATA(nid)->node_zones[ZONE_MOVABLE];
		if (!populated_zone(z))
			continue;
		if (!best || zone_managed_pages(z) > zone_managed_pages(best))
			best = z;
	}
	return best;
}

static int __init contigbench_init(void)
{
	unsigned long pages = (unsigned long)mib << (20 - PAGE_SHIFT);
	unsigned long start, pfn, used = 0;
	struct zone *z = find_zone();
	u64 t0, ns, total = 0;
	unsigned int tries;
	int ret;

	if (!z) {
		pr_err("error: no populated ZONE_MOVABLE: boot with movablecore=\n");
		return -ENODEV;
	}
	start = ALIGN(z->zone_start_pfn, pageblock_nr_pages);
	if (start + pages > zone_end_pfn(z)) {
		pr_err("error: ZONE_MOVABLE holds less than %u MiB\n", mib);
		return -ENOSPC;
	}
	for (pfn = start; pfn < start + pages; pfn++) {
		struct page *page = pfn_to_page(pfn);

		if (!PageBuddy(page) && page_count(page))
			used++;
	}
	/* -EBUSY for a page pinned for a moment: try again, as cma_alloc() */
	for (tries = 1; tries <= 5; tries++) {
		t0 = ktime_get_ns();
		ret = alloc_contig_range(start, start + pages, MIGRATE_MOVABLE,
					 GFP_KERNEL);
		ns = ktime_get_ns() - t0;
		total += ns;
		if (ret != -EBUSY)
			break;
	}
	if (ret) {
		pr_err("error: alloc_contig_range: %d after %u tries\n", ret,
		       tries);
		return ret;
	}
	free_contig_range(start, pages);
	pr_info("contig: %u MiB from ZONE_MOVABLE at pfn 0x%lx: %llu.%llu ms, %lu pages in use before (%lu MiB moved), try %u, %llu.%llu ms with the failed tries\n",
		mib, start, ns / 1000000, (ns / 100000) % 10, used,
		used >> (20 - PAGE_SHIFT), tries, total / 1000000,
		(total / 100000) % 10);
	return -EAGAIN;
}

module_init(contigbench_init);

MODULE_DESCRIPTION("resmem benchmark helper: alloc_contig_range() on a full ZONE_MOVABLE");
MODULE_LICENSE("GPL");
