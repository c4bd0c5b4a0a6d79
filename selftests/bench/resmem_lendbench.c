// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_lendbench: a resmem region lent to the system against the
 * kernel's own contiguous allocation, in one boot, under one workload
 * (selftests/bench/lendbench.sh).  Everything runs from module init, which
 * then returns -EAGAIN so that the module never stays loaded.
 *
 * Two areas of the same size lie in the same ZONE_MOVABLE, which a process
 * keeps full ("lendbench fill"):
 *
 *  - resmem: the region region= (default "bench"), lent to the system
 *    (resmemctl cma lend), hot-added memory onlined to ZONE_MOVABLE;
 *    a buffer is resmem_cma_alloc(region, count, align=), which migrates
 *    the system's pages out with alloc_contig_range() and zeroes the
 *    buffer, and resmem_cma_release();
 *  - kernel: area_mib= MiB (default 256) of the kernel's own ZONE_MOVABLE
 *    from movablecore= (boot memory, the lowest run of the zone aligned to
 *    MAX_ORDER_NR_PAGES with no reserved page), taken with cma_alloc()'s
 *    loop of mm/cma.c (6.1): a bitmap of the area, the first free aligned
 *    position (bitmap_find_next_zero_area_off()),
 *    alloc_contig_range(MIGRATE_MOVABLE, GFP_KERNEL | __GFP_NOWARN) there,
 *    on -EBUSY the next position (bitmap_no + mask + 1), and then the
 *    buffer zeroed as resmem zeroes (memset of 64 pages at a time);
 *    released with free_contig_range().
 *    cma_alloc() itself is not exported and the debug kernel has no CMA
 *    area (no CONFIG_DMA_CMA, so no cma= boot parameter), so this is its
 *    algorithm, with MIGRATE_MOVABLE since the pageblocks are ZONE_MOVABLE's
 *    and not MIGRATE_CMA.
 *
 * For each size of mib= (default 4,64,248) and its cycle count of cycles=
 * (default 1000,20,8), each cycle times (ktime_get_ns()) one take of
 * each side, resmem first in even cycles and the kernel first in odd ones,
 * each followed by its release (not timed).  Before each take the module
 * waits, up to wait_ms= ms (default 30000), until the zone's free pages
 * are at most its high watermark plus slack_mib= MiB (default 4): the
 * filler has refilled what the last release gave back.  It then counts
 * the pages in use in the range the side's last successful take got (the
 * pages that take would have to migrate again).  align= (pages, a power
 * of two, default 256: 1 MiB, the default CONFIG_CMA_ALIGNMENT of a DMA
 * buffer) applies to both sides.
 *
 * Lines, to the kernel log:
 *
 *   resmem_lendbench: start nid=0 region=bench area_pfn=0x... area_mib=256
 *     zone_present=... zone_free=... high_wmark=... align=256 ...
 *   resmem_lendbench: mib=4 side=resmem cycles=1000 ok=1000 median_us=...
 *     p99_us=... max_us=... inuse_pct=... ns_per_inuse_page=...
 *     not_full=... tries=... zero_median_us=...
 *   resmem_lendbench: mib=4 side=kernel ...
 *   resmem_lendbench: mib=4 ratio_median=0.950 ratio_p99=0.990
 *   resmem_lendbench: done
 *
 * (each on one line).  ok: takes that returned a buffer; median, p99 (the
 * ceil(0.99 n)-th smallest) and max over the successful takes; inuse_pct:
 * the mean share of the range in use before the take (from the second
 * cycle on); ns_per_inuse_page: the time of those takes over the pages
 * in use they found (what migrating one page cost, zeroing included);
 * not_full: waits that ran out; tries: positions the kernel side
 * tried in all (1 per take when the first one works; 0 for resmem, whose
 * tries are in its debugfs cma/NAME/system); zero_median_us: the kernel
 * side's zeroing alone.  ratio = resmem / kernel (below 1: resmem faster).
 * A failure to set up prints "resmem_lendbench: error ..." and init
 * returns that error.  Load it with one finit_module() call (the selftests'
 * modload), not busybox's insmod.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <resmem/api.h>
#include "bench.h"

#define MAX_SIZES	8

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

static uint area_mib = 256;
module_param(area_mib, uint, 0444);
MODULE_PARM_DESC(area_mib, "MiB of the kernel's ZONE_MOVABLE to take from");

static uint align = 256;
module_param(align, uint, 0444);
MODULE_PARM_DESC(align, "alignment of both sides' buffers in pages");

static uint wait_ms = 30000;
module_param(wait_ms, uint, 0444);
MODULE_PARM_DESC(wait_ms, "most ms to wait for the zone to fill again");

static uint slack_mib = 4;
module_param(slack_mib, uint, 0444);
MODULE_PARM_DESC(slack_mib, "full = free pages at most high watermark + this");

enum { RESMEM, KERNEL, SIDES };
static const char * const side_name[SIDES] = { "resmem", "kernel" };

struct side {
	u64 *ns;		/* times of the successful takes */
	unsigned int ok;
	u64 inuse, counted;	/* pages in use before the takes, pages seen */
	u64 moved, moved_ns;	/* the same for the good takes, their time */
	unsigned int not_full;
	u64 tries;
	unsigned long last;	/* first pfn of the last good take, or 0 */
};

/* The kernel's area: cma_alloc()'s state, order_per_bit 0. */
static struct zone *zone;
static unsigned long area_pfn, area_pages;
static unsigned long *bitmap;
static u64 *zero_ns;
static unsigned int nr_zero, zero_room;

/*
 * Are the @n pages from @pfn online and not reserved?  Memory the kernel
 * took at boot (memblock: KASAN's shadow, struct pages) lies at the top of
 * RAM, inside movablecore='s ZONE_MOVABLE, and never moves.
 */
static bool usable(unsigned long pfn, unsigned long n)
{
	struct page *page;
	unsigned long p;

	for (p = pfn; p < pfn + n; p++) {
		page = pfn_to_online_page(p);
		if (!page || PageReserved(page))
			return false;
	}
	return true;
}

/*
 * The lowest run of area_pages pfns of ZONE_MOVABLE of some node that is
 * boot memory (not hot-added: not resmem's region), online and not
 * reserved, from a MAX_ORDER_NR_PAGES boundary.  Sets zone and area_pfn;
 * false if none.
 */
static bool find_area(void)
{
	unsigned long pfn, start = 0, run = 0, step = pageblock_nr_pages;
	struct page *page;
	struct zone *z;
	int nid;

	for_each_online_node(nid) {
		z = &NODE_DATA(nid)->node_zones[ZONE_MOVABLE];
		if (!populated_zone(z))
			continue;
		run = 0;
		for (pfn = ALIGN(z->zone_start_pfn, MAX_ORDER_NR_PAGES);
		     pfn + step <= zone_end_pfn(z); pfn += step) {
			page = pfn_to_online_page(pfn);
			if (!page || page_zone(page) != z ||
			    !early_section(__pfn_to_section(pfn)) ||
			    !usable(pfn, step)) {
				run = 0;
				continue;
			}
			if (!run) {
				if (pfn % MAX_ORDER_NR_PAGES)
					continue;
				start = pfn;
			}
			run += step;
			if (run >= area_pages) {
				zone = z;
				area_pfn = start;
				return true;
			}
		}
	}
	return false;
}

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

static void zero_range(unsigned long pfn, unsigned long count)
{
	unsigned long n;
	char *p = page_address(pfn_to_page(pfn));

	while (count) {
		n = min(count, 64UL);
		memset(p, 0, n << PAGE_SHIFT);
		p += n << PAGE_SHIFT;
		count -= n;
		if (count)
			cond_resched();
	}
}

/*
 * cma_alloc()'s loop (mm/cma.c, 6.1) on the kernel's area, then the
 * zeroing; 0 and *@pfnp, or -EBUSY / -ENOMEM.  *@tries counts positions.
 */
static int kernel_take(unsigned long count, unsigned long *pfnp, u64 *tries)
{
	unsigned long mask = align - 1, offset, start = 0, bitmap_no, pfn;
	int ret = -ENOMEM;
	u64 t0;

	offset = area_pfn & mask;
	for (;;) {
		bitmap_no = bitmap_find_next_zero_area_off(bitmap, area_pages,
							   start, count, mask,
							   offset);
		if (bitmap_no >= area_pages)
			break;
		bitmap_set(bitmap, bitmap_no, count);
		pfn = area_pfn + bitmap_no;
		(*tries)++;
		ret = alloc_contig_range(pfn, pfn + count, MIGRATE_MOVABLE,
					 GFP_KERNEL | __GFP_NOWARN);
		if (!ret) {
			t0 = ktime_get_ns();
			zero_range(pfn, count);
			if (nr_zero < zero_room)
				zero_ns[nr_zero++] = ktime_get_ns() - t0;
			*pfnp = pfn;
			return 0;
		}
		bitmap_clear(bitmap, bitmap_no, count);
		if (ret != -EBUSY)
			break;
		start = bitmap_no + mask + 1;
	}
	return ret;
}

static void kernel_release(unsigned long pfn, unsigned long count)
{
	free_contig_range(pfn, count);
	bitmap_clear(bitmap, pfn - area_pfn, count);
}

/* Wait until the zone is full again; false when wait_ms ran out. */
static bool wait_full(void)
{
	unsigned long full = high_wmark_pages(zone) +
			     ((unsigned long)slack_mib << (20 - PAGE_SHIFT));
	unsigned long end = jiffies + msecs_to_jiffies(wait_ms);

	while (zone_page_state(zone, NR_FREE_PAGES) > full) {
		if (time_after(jiffies, end))
			return false;
		msleep(20);
	}
	return true;
}

/* One timed take and its release; @s records it. */
static void one(int which, unsigned long count, struct side *s)
{
	unsigned long pfn = 0;
	void *addr = NULL;
	u64 t0, ns, held = 0;
	int ret;

	if (!wait_full())
		s->not_full++;
	if (s->last) {
		held = count_in_use(s->last, count);
		s->inuse += held;
		s->counted += count;
	}
	t0 = ktime_get_ns();
	if (which == RESMEM) {
		addr = resmem_cma_alloc(region, count, align);
		ret = IS_ERR(addr) ? PTR_ERR(addr) : 0;
	} else {
		ret = kernel_take(count, &pfn, &s->tries);
	}
	ns = ktime_get_ns() - t0;
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
		kernel_release(pfn, count);
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
		pr_info("mib=%u side=%s cycles=%u ok=%u median_us=%llu p99_us=%llu max_us=%llu inuse_pct=%llu ns_per_inuse_page=%llu not_full=%u tries=%llu zero_median_us=%llu\n",
			size, side_name[i], n, s[i].ok, med[i] / 1000,
			q[i] / 1000, s[i].ok ? s[i].ns[s[i].ok - 1] / 1000 : 0,
			s[i].counted ? div64_u64(s[i].inuse * 100,
						 s[i].counted) : 0,
			s[i].moved ? div64_u64(s[i].moved_ns, s[i].moved) : 0,
			s[i].not_full, s[i].tries,
			i == KERNEL ? zmed / 1000 : 0);
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

static int __init lendbench_init(void)
{
	unsigned int i, most = 0;
	int ret;

	area_pages = (unsigned long)area_mib << (20 - PAGE_SHIFT);
	if (nr_mib != nr_cycles || !align || !is_power_of_2(align)) {
		pr_err("error: mib= and cycles= need as many entries, align= a power of two\n");
		return -EINVAL;
	}
	for (i = 0; i < nr_mib; i++) {
		if (!mib[i] || !cycles[i] || mib[i] > area_mib) {
			pr_err("error: mib=%u cycles=%u: 1 to area_mib=%u MiB, 1 cycle or more\n",
			       mib[i], cycles[i], area_mib);
			return -EINVAL;
		}
		most = max(most, cycles[i]);
	}
	zero_room = most;
	if (!find_area()) {
		pr_err("error: no %u MiB of boot memory in a ZONE_MOVABLE: boot with movablecore=\n",
		       area_mib);
		return -ENODEV;
	}
	bitmap = bitmap_zalloc(area_pages, GFP_KERNEL);
	zero_ns = vmalloc(array_size(most, sizeof(u64)));
	ret = -ENOMEM;
	if (!bitmap || !zero_ns)
		goto out;
	pr_info("start nid=%d region=%s area_pfn=0x%lx area_mib=%u zone_present=%lu zone_free=%lu high_wmark=%lu align=%u wait_ms=%u slack_mib=%u\n",
		zone_to_nid(zone), region, area_pfn, area_mib,
		zone->present_pages, zone_page_state(zone, NR_FREE_PAGES),
		high_wmark_pages(zone), align, wait_ms, slack_mib);
	for (i = 0; i < nr_mib; i++) {
		ret = run_size(mib[i], cycles[i]);
		if (ret) {
			pr_err("error: mib=%u: %d\n", mib[i], ret);
			goto out;
		}
	}
	pr_info("done\n");
	ret = -EAGAIN;
out:
	vfree(zero_ns);
	bitmap_free(bitmap);
	return ret;
}

module_init(lendbench_init);

MODULE_DESCRIPTION("resmem benchmark: a region lent to the system against cma_alloc()'s loop on ZONE_MOVABLE");
MODULE_LICENSE("GPL");
