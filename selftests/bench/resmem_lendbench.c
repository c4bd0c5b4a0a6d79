// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_lendbench: a resmem region lent to the system against the
 * kernel's CMA, through cma_alloc() itself, in one boot, under one workload
 * (selftests/bench/lendbench.sh).  Everything runs from module init, which
 * then returns -EAGAIN so that the module never stays loaded.
 *
 * Two ranges of the same size, kept full by a process ("lendbench fill"):
 *
 *  - resmem: the region region= (default "bench"), lent to the system
 *    (resmemctl cma lend), hot-added memory onlined to ZONE_MOVABLE;
 *    a buffer is resmem_cma_alloc(region, count, align), which migrates
 *    the system's pages out with alloc_contig_range() and zeroes the
 *    buffer, and resmem_cma_release();
 *  - kernel: the kernel's default CMA area (cma= on the kernel's command
 *    line; its first pfn and its pages in cma_pfn= and cma_pages=, from
 *    debugfs cma/reserved/base_pfn and count), reached the way a driver
 *    reaches it: dma_alloc_coherent() on a platform device of this module
 *    with a 64-bit DMA mask and no IOMMU, that is dma-direct, which calls
 *    cma_alloc(default area, count, min(get_order(size),
 *    CONFIG_CMA_ALIGNMENT)) (kernel/dma/contiguous.c, 6.1) and zeroes the
 *    buffer (one memset()); dma_free_coherent(), which calls
 *    cma_release().  6.1 exports neither cma_alloc() nor cma_release().
 *    When cma_alloc() fails, dma-direct falls back to the buddy allocator
 *    (alloc_pages_node(), which can serve up to 4 MiB): a buffer outside
 *    the area is counted as a failure of cma_alloc() (fallback=) and freed.
 *    GFP_KERNEL | __GFP_NOWARN: no warning for the buddy's refusal of an
 *    order above MAX_ORDER, and none from cma_alloc() when it fails.
 *
 * Both sides use the same alignment, align = 1 << min(get_order(size),
 * CONFIG_CMA_ALIGNMENT) pages (256 pages, 1 MiB, for every size from
 * 1 MiB up with the default CONFIG_CMA_ALIGNMENT of 8), and both zero.
 *
 * For each size of mib= (default 4,64,248) and its cycle count of cycles=
 * (default 1000,20,8), each cycle times (ktime_get_ns()) one take of
 * each side, resmem first in even cycles and the kernel first in odd ones,
 * each followed by its release (not timed).  Before each take the module
 * waits, up to wait_ms= ms (default 30000), until both ranges are as full
 * as the workload keeps them ("full", the rule lendbench fill follows,
 * with slack_mib= MiB of slack, default 4):
 *
 *  - the region: its zone (ZONE_MOVABLE of node 0, which holds only the
 *    region) has at most its high watermark + slack free;
 *  - the CMA area: its zone has at most slack more free CMA pages than
 *    free pages of its own (NR_FREE_CMA_PAGES against NR_FREE_PAGES).
 *    Beyond that point the page allocator gives movable requests CMA
 *    pages first (__rmqueue(), 6.1: when more than half of the zone's
 *    free pages are CMA), so that is as full as the kernel fills it.
 *
 * It then counts the pages in use in the range the side's last successful
 * take got (the pages that take would have to migrate again), and the
 * share of the whole range in use (region: the zone's managed pages less
 * its free ones; CMA: the area's pages less NR_FREE_CMA_PAGES).  After a
 * kernel take, a memset() of the buffer is timed on its own, outside the
 * take: what zeroing costs of each side's time.
 *
 * Lines, to the kernel log:
 *
 *   resmem_lendbench: start region=bench resmem_zone=Movable nid=0
 *     resmem_managed=... cma_pfn=0x... cma_mib=256 cma_zone=DMA32
 *     cma_nid=0 cma_zone_present=... wait_ms=... slack_mib=...
 *   resmem_lendbench: mib=4 side=resmem cycles=1000 ok=1000 median_us=...
 *     p99_us=... max_us=... inuse_pct=... area_pct=... ns_per_inuse_page=...
 *     not_full=... fallback=... zero_median_us=... align=256
 *   resmem_lendbench: mib=4 side=kernel ...
 *   resmem_lendbench: mib=4 ratio_median=0.950 ratio_p99=0.990
 *   resmem_lendbench: done
 *
 * (each on one line).  ok: takes that returned a buffer (for the kernel,
 * in the CMA area); median, p99 (the ceil(0.99 n)-th smallest) and max
 * over the successful takes; inuse_pct: the mean share of the last take's
 * range in use before the take (from the second cycle on); area_pct: the
 * mean share of the whole range in use before the takes; ns_per_inuse_page:
 * the time of the takes that found pages in use over those pages (what
 * migrating one page cost, zeroing included); not_full: waits that ran
 * out; fallback: kernel takes that dma-direct served from the buddy
 * allocator (0 for resmem); zero_median_us: the memset() of a kernel
 * buffer (0 for resmem).  ratio = resmem / kernel (below 1: resmem faster).
 * A failure to set up prints "resmem_lendbench: error ..." and init
 * returns that error.  Load it with one finit_module() call (the selftests'
 * modload), not busybox's insmod.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/platform_device.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <resmem/api.h>
#include "bench.h"

#define MAX_SIZES	8

/* kernel/dma/contiguous.c caps the alignment of a DMA buffer at this order */
#ifdef CONFIG_CMA_ALIGNMENT
#define LB_CMA_ALIGNMENT	CONFIG_CMA_ALIGNMENT
#else
#define LB_CMA_ALIGNMENT	8
#endif

static char *region = "bench";
module_param(region, charp, 0444);
MODULE_PARM_DESC(region, "the resmem region lent to the system");

static uint mib[MAX_SIZES] = { 4, 64, 248 };
static int nr_mib = 3;
module_param_array(mib, uint, &nr_mib, 0444);
MODULE_PARM_DESC(mib, "request sizes in MiB");

static uint cycles[MAX_SIZES] = { 1000, 20, 8 };
static int nr_cycles = 3;
module_param_array(cycles, uint, &nr_cycles, 0444);
MODULE_PARM_DESC(cycles, "cycles per size of mib=");

static ulong cma_pfn;
module_param(cma_pfn, ulong, 0444);
MODULE_PARM_DESC(cma_pfn, "first pfn of the kernel's default CMA area");

static ulong cma_pages;
module_param(cma_pages, ulong, 0444);
MODULE_PARM_DESC(cma_pages, "pages of the kernel's default CMA area");

static uint wait_ms = 30000;
module_param(wait_ms, uint, 0444);
MODULE_PARM_DESC(wait_ms, "most ms to wait for the ranges to fill again");

static uint slack_mib = 4;
module_param(slack_mib, uint, 0444);
MODULE_PARM_DESC(slack_mib, "slack of the full rule, MiB");

enum { RESMEM, KERNEL, SIDES };
static const char * const side_name[SIDES] = { "resmem", "kernel" };

struct side {
	u64 *ns;		/* times of the successful takes */
	unsigned int ok;
	u64 inuse, counted;	/* pages in use before the takes, pages seen */
	u64 moved, moved_ns;	/* the same for the good takes, their time */
	u64 area_inuse, area_seen;	/* the whole range, before each take */
	unsigned int not_full, fallback;
	unsigned long last;	/* first pfn of the last good take, or 0 */
};

static struct platform_device *pdev;
static struct zone *rzone, *czone;	/* the region's zone, the area's */
static u64 *zero_ns;
static unsigned int nr_zero, zero_room;

static bool in_use(unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);

	return !page || page_count(page);
}

static u64 count_in_use(unsigned long pfn, unsigned long count)
{
	unsigned long p;
	u64 n = 0;

	for (p = pfn; p < pfn + count; p++) {
		n += in_use(p);
		if (!(p % 4096))
			cond_resched();
	}
	return n;
}

/* Pages of the side's whole range in use now, and the range's pages. */
static u64 area_in_use(int which, u64 *seen)
{
	unsigned long free;

	if (which == RESMEM) {
		*seen = zone_managed_pages(rzone);
		free = zone_page_state(rzone, NR_FREE_PAGES);
	} else {
		*seen = cma_pages;
		free = zone_page_state(czone, NR_FREE_CMA_PAGES);
	}
	return free < *seen ? *seen - free : 0;
}

/* Is each range as full as the workload keeps it?  See the top comment. */
static bool full(void)
{
	unsigned long slack = (unsigned long)slack_mib << (20 - PAGE_SHIFT);
	unsigned long rfree = zone_page_state(rzone, NR_FREE_PAGES);
	unsigned long cfree = zone_page_state(czone, NR_FREE_CMA_PAGES);
	unsigned long zfree = zone_page_state(czone, NR_FREE_PAGES);

	if (rfree > high_wmark_pages(rzone) + slack)
		return false;
	return cfree <= (zfree > cfree ? zfree - cfree : 0) + slack;
}

/* Wait until both ranges are full again; false when wait_ms ran out. */
static bool wait_full(void)
{
	unsigned long end = jiffies + msecs_to_jiffies(wait_ms);

	while (!full()) {
		if (time_after(jiffies, end))
			return false;
		msleep(20);
	}
	return true;
}

static unsigned long align_pages(unsigned long count)
{
	unsigned int order = get_order(count << PAGE_SHIFT);

	return 1UL << min_t(unsigned int, order, LB_CMA_ALIGNMENT);
}

/*
 * dma_alloc_coherent() on the kernel's CMA: 0 and *@pfnp, -ENOMEM when it
 * failed, -ERANGE when dma-direct's buddy fallback served it (freed).
 */
static int kernel_take(unsigned long count, unsigned long *pfnp, void **vp,
		       dma_addr_t *hp)
{
	size_t size = count << PAGE_SHIFT;
	void *vaddr;
	unsigned long pfn;

	vaddr = dma_alloc_coherent(&pdev->dev, size, hp,
				   GFP_KERNEL | __GFP_NOWARN);
	if (!vaddr)
		return -ENOMEM;
	pfn = PHYS_PFN(virt_to_phys(vaddr));
	if (pfn < cma_pfn || pfn + count > cma_pfn + cma_pages) {
		dma_free_coherent(&pdev->dev, size, vaddr, *hp);
		return -ERANGE;
	}
	*pfnp = pfn;
	*vp = vaddr;
	return 0;
}

/* One timed take and its release; @s records it. */
static void one(int which, unsigned long count, struct side *s)
{
	unsigned long pfn = 0;
	void *addr = NULL;
	dma_addr_t handle = 0;
	u64 t0, ns, held = 0, seen;
	int ret;

	if (!wait_full())
		s->not_full++;
	s->area_inuse += area_in_use(which, &seen);
	s->area_seen += seen;
	if (s->last) {
		held = count_in_use(s->last, count);
		s->inuse += held;
		s->counted += count;
	}
	t0 = ktime_get_ns();
	if (which == RESMEM) {
		addr = resmem_cma_alloc(region, count, align_pages(count));
		ret = IS_ERR(addr) ? PTR_ERR(addr) : 0;
	} else {
		ret = kernel_take(count, &pfn, &addr, &handle);
	}
	ns = ktime_get_ns() - t0;
	if (ret == -ERANGE)
		s->fallback++;
	if (ret)
		return;
	s->ns[s->ok++] = ns;
	if (held) {
		s->moved += held;
		s->moved_ns += ns;
	}
	if (which == RESMEM) {
		s->last = resmem_virt_to_pfn(addr);
		resmem_cma_release(addr, count);
	} else {
		s->last = pfn;
		t0 = ktime_get_ns();
		memset(addr, 0, count << PAGE_SHIFT);
		if (nr_zero < zero_room)
			zero_ns[nr_zero++] = ktime_get_ns() - t0;
		dma_free_coherent(&pdev->dev, count << PAGE_SHIFT, addr,
				  handle);
	}
}

static u64 p99(u64 *v, unsigned int n)
{
	unsigned int i = (n * 99 + 99) / 100;

	return n ? v[(i ? i : 1) - 1] : 0;
}

static int run_size(unsigned int size, unsigned int n)
{
	unsigned long count = (unsigned long)size << (20 - PAGE_SHIFT);
	struct side s[SIDES];
	u64 med[SIDES], q[SIDES], zmed = 0;
	unsigned int c, i;
	int ret = -ENOMEM;

	memset(s, 0, sizeof(s));
	for (i = 0; i < SIDES; i++) {
		s[i].ns = vmalloc(array_size(n, sizeof(u64)));
		if (!s[i].ns)
			goto out;
	}
	nr_zero = 0;
	for (c = 0; c < n; c++) {
		one(c % 2 ? KERNEL : RESMEM, count, &s[c % 2 ? KERNEL : RESMEM]);
		one(c % 2 ? RESMEM : KERNEL, count, &s[c % 2 ? RESMEM : KERNEL]);
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out;
		}
	}
	if (nr_zero)
		zmed = bench_median(zero_ns, nr_zero, NULL);
	for (i = 0; i < SIDES; i++) {
		med[i] = s[i].ok ? bench_median(s[i].ns, s[i].ok, NULL) : 0;
		q[i] = p99(s[i].ns, s[i].ok);
		pr_info("mib=%u side=%s cycles=%u ok=%u median_us=%llu p99_us=%llu max_us=%llu inuse_pct=%llu area_pct=%llu ns_per_inuse_page=%llu not_full=%u fallback=%u zero_median_us=%llu align=%lu\n",
			size, side_name[i], n, s[i].ok, med[i] / 1000,
			q[i] / 1000, s[i].ok ? s[i].ns[s[i].ok - 1] / 1000 : 0,
			s[i].counted ? div64_u64(s[i].inuse * 100,
						 s[i].counted) : 0,
			s[i].area_seen ? div64_u64(s[i].area_inuse * 100,
						   s[i].area_seen) : 0,
			s[i].moved ? div64_u64(s[i].moved_ns, s[i].moved) : 0,
			s[i].not_full, s[i].fallback,
			i == KERNEL ? zmed / 1000 : 0, align_pages(count));
	}
	c = bench_ratio_milli(med[RESMEM], med[KERNEL]);
	i = bench_ratio_milli(q[RESMEM], q[KERNEL]);
	pr_info("mib=%u ratio_median=%u.%03u ratio_p99=%u.%03u\n", size,
		c / 1000, c % 1000, i / 1000, i % 1000);
	ret = 0;
out:
	for (i = 0; i < SIDES; i++)
		vfree(s[i].ns);
	return ret;
}

/* The zones of both ranges; -ENODEV with a line when one is missing. */
static int find_zones(void)
{
	struct page *page;

	rzone = &NODE_DATA(first_online_node)->node_zones[ZONE_MOVABLE];
	if (!populated_zone(rzone)) {
		pr_err("error: no ZONE_MOVABLE: lend the region first\n");
		return -ENODEV;
	}
	page = cma_pages ? pfn_to_online_page(cma_pfn) : NULL;
	if (!page) {
		pr_err("error: cma_pfn=0x%lx cma_pages=%lu: no CMA area there (boot with cma=)\n",
		       cma_pfn, cma_pages);
		return -ENODEV;
	}
	czone = page_zone(page);
	return 0;
}

static int __init lendbench_init(void)
{
	unsigned int i, most = 0;
	int ret;

	if (nr_mib != nr_cycles) {
		pr_err("error: mib= and cycles= need as many entries\n");
		return -EINVAL;
	}
	for (i = 0; i < nr_mib; i++) {
		if (!mib[i] || !cycles[i] ||
		    ((unsigned long)mib[i] << (20 - PAGE_SHIFT)) > cma_pages) {
			pr_err("error: mib=%u cycles=%u: 1 MiB to the CMA area's %lu pages, 1 cycle or more\n",
			       mib[i], cycles[i], cma_pages);
			return -EINVAL;
		}
		most = max(most, cycles[i]);
	}
	ret = find_zones();
	if (ret)
		return ret;
	zero_room = most;
	zero_ns = vmalloc(array_size(most, sizeof(u64)));
	if (!zero_ns)
		return -ENOMEM;
	pdev = platform_device_register_simple(KBUILD_MODNAME, -1, NULL, 0);
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		pr_err("error: platform device: %d\n", ret);
		goto out_free;
	}
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret) {
		pr_err("error: 64-bit DMA mask: %d\n", ret);
		goto out_dev;
	}
	pr_info("start region=%s resmem_zone=%s nid=%d resmem_managed=%lu cma_pfn=0x%lx cma_mib=%lu cma_zone=%s cma_nid=%d cma_zone_present=%lu wait_ms=%u slack_mib=%u\n",
		region, rzone->name, zone_to_nid(rzone),
		zone_managed_pages(rzone), cma_pfn,
		cma_pages >> (20 - PAGE_SHIFT), czone->name,
		zone_to_nid(czone), czone->present_pages, wait_ms, slack_mib);
	for (i = 0; i < nr_mib; i++) {
		ret = run_size(mib[i], cycles[i]);
		if (ret) {
			pr_err("error: mib=%u: %d\n", mib[i], ret);
			goto out_dev;
		}
	}
	pr_info("done\n");
	ret = -EAGAIN;
out_dev:
	platform_device_unregister(pdev);
out_free:
	vfree(zero_ns);
	return ret;
}

module_init(lendbench_init);

MODULE_DESCRIPTION("resmem benchmark: a region lent to the system against the kernel's CMA through dma_alloc_coherent()");
MODULE_LICENSE("GPL");
