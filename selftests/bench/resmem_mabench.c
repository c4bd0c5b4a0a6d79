// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_mabench: resmem's memarea against the kernel's alloc_contig_range()
 * on a free range of ZONE_MOVABLE, in the style of lib/test_vmalloc.c.
 * Everything runs from module init, which then returns -EAGAIN so that the
 * module never stays loaded.  The kernel must have a ZONE_MOVABLE: boot it
 * with movablecore= (selftests/bench/run passes movablecore=256M).
 *
 * For each page count in counts=, one kthread, bound to the first CPU of
 * the node whose ZONE_MOVABLE is used, runs rounds= rounds.  A round times
 * iters= pairs of
 *
 *	resmem_alloc_area(count, 0, 0, NUMA_NO_NODE, flags, policy=) +
 *	resmem_free_area()
 *
 * and iters= pairs of
 *
 *	alloc_contig_range(pfn, pfn + count, MIGRATE_MOVABLE, GFP_KERNEL) +
 *	free_contig_range(pfn, count)
 *
 * resmem first in even rounds and the kernel first in odd ones.  pfn is the
 * lowest pfn of ZONE_MOVABLE, aligned to MAX_ORDER_NR_PAGES, from which
 * count pages rounded up to MAX_ORDER_NR_PAGES are all free (in the buddy's
 * free lists), so that alloc_contig_range() isolates and takes free pages
 * and migrates nothing; the same range every time.  NUMA_NO_NODE is the
 * kthread's node, the same node.  One untimed pair of each comes first.
 * iters=0 (the default) picks as many pairs as take the kernel about 20 ms,
 * judged from at least 2 ms of them.
 *
 * When the kernel zeroes every page it hands out (init_on_alloc=1, Debian's
 * default; alloc_contig_range() does too, in post_alloc_hook()), resmem is
 * asked to zero as well (RESMEM_GFP_ZERO).  Before the rounds, the module
 * checks that alloc_contig_range() did hand out zeroed pages in that mode
 * (kernel_zeroes= on the start line).
 *
 * One line per count, to the kernel log:
 *
 *   resmem_mabench: count=5 init_on_alloc=1 policy=0 nid=1 pfn=0x70400
 *     iters=40 rounds=15 resmem_ns=12 resmem_min_ns=11 kernel_ns=1234
 *     kernel_min_ns=1200 ratio=0.010
 *
 * (on one line): *_ns the median over rounds of one alloc+free pair,
 * *_min_ns the fastest round, ratio resmem median over kernel median (below
 * 1: resmem faster).  The run starts with "resmem_mabench: start ..." and
 * ends with "resmem_mabench: done"; a failure prints "resmem_mabench: error
 * ..." and init returns that error instead of -EAGAIN.  Load it with one
 * finit_module() call (kmod's insmod, the selftests' modload), not with
 * busybox's insmod, which would run everything twice.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/page-flags.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>

#include <resmem/api.h>

#include "bench.h"

#define MA_MAX_COUNTS		16
#define MA_MAX_COUNT		65536	/* pages: 256 MiB */
#define MA_MAX_ROUNDS		1000
/* iters=0: half rounds of about 20 ms, judged from 2 ms and 4+ pairs */
#define MA_TARGET_NS		(20 * NSEC_PER_MSEC)
#define MA_PROBE_NS		(2 * NSEC_PER_MSEC)
#define MA_PROBE_MIN		4
#define MA_MAX_ITERS		100000
#define MA_FILL			0xa5

static unsigned int counts[MA_MAX_COUNTS] = { 1, 5, 100, 777, 4096 };
static unsigned int nr_counts = 5;
module_param_array(counts, uint, &nr_counts, 0444);
MODULE_PARM_DESC(counts, "page counts to measure (default 1,5,100,777,4096)");

static unsigned int rounds = 15;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "timed rounds per allocator (default 15)");

static unsigned int iters;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "pairs per half round; 0 (default): about 20 ms' worth");

static unsigned int policy = RESMEM_AREA_FIRST_FIT;
module_param(policy, uint, 0444);
MODULE_PARM_DESC(policy,
		 "resmem_alloc_area() policy: 0 first fit (default), 1 best fit, 2 least fragmentation");

/* One count: what the kthread needs and what it found. */
struct ma_run {
	unsigned int count;
	unsigned int iters;
	unsigned int rm_flags;
	struct zone *zone;
	unsigned long pfn;
	u64 *rm_ns;
	u64 *k_ns;
	int error;
	const char *error_what;
	struct completion done;
};

/*
 * Are [start, end) all free in @z's free lists?  @start must be aligned to
 * MAX_ORDER_NR_PAGES, so that every free block in the range starts in it.
 * A racy look (no zone lock): alloc_contig_range() has the last word.
 */
static bool ma_range_free(struct zone *z, unsigned long start,
			  unsigned long end)
{
	unsigned long pfn = start, order;
	struct page *page;

	while (pfn < end) {
		page = pfn_to_online_page(pfn);
		if (!page || page_zone(page) != z || !PageBuddy(page))
			return false;
		order = page_private(page);
		if (order > ilog2(MAX_ORDER_NR_PAGES))
			return false;
		pfn += 1UL << order;
	}
	return true;
}

/* The first free range of @count pages in @z (see the top), or 0. */
static unsigned long ma_find_range(struct zone *z, unsigned int count)
{
	unsigned long span = ALIGN(count, MAX_ORDER_NR_PAGES);
	unsigned long pfn = ALIGN(z->zone_start_pfn, MAX_ORDER_NR_PAGES);

	for (; pfn + span <= zone_end_pfn(z); pfn += MAX_ORDER_NR_PAGES)
		if (ma_range_free(z, pfn, pfn + span))
			return pfn;
	return 0;
}

/* The ZONE_MOVABLE with the most free pages, or NULL. */
static struct zone *ma_find_zone(void)
{
	struct zone *best = NULL, *z;
	int nid;

	for_each_online_node(nid) {
		z = &NODE_DATA(nid)->node_zones[ZONE_MOVABLE];
		if (!populated_zone(z) || !cpumask_weight(cpumask_of_node(nid)))
			continue;
		if (!best || zone_page_state(z, NR_FREE_PAGES) >
			     zone_page_state(best, NR_FREE_PAGES))
			best = z;
	}
	return best;
}

static void ma_fail(struct ma_run *run, int error, const char *what)
{
	if (!run->error) {
		run->error = error;
		run->error_what = what;
	}
}

static bool ma_rm_pair(struct ma_run *run)
{
	void *p = resmem_alloc_area(run->count, 0, 0, NUMA_NO_NODE,
				    run->rm_flags, policy);

	if (!p) {
		ma_fail(run, -ENOMEM, "resmem_alloc_area");
		return false;
	}
	resmem_free_area(p, run->count);
	return true;
}

static bool ma_k_pair(struct ma_run *run)
{
	int ret = alloc_contig_range(run->pfn, run->pfn + run->count,
				     MIGRATE_MOVABLE, GFP_KERNEL);

	if (ret) {
		ma_fail(run, ret, "alloc_contig_range");
		return false;
	}
	free_contig_range(run->pfn, run->count);
	return true;
}

/* One timed half round: ns taken, or 0 on failure. */
static u64 ma_half(struct ma_run *run, bool (*pair)(struct ma_run *))
{
	u64 start = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < run->iters; i++)
		if (!pair(run))
			return 0;
	return ktime_get_ns() - start;
}

/* iters=0: as many pairs as take the kernel MA_TARGET_NS (see the top). */
static unsigned int ma_auto_iters(struct ma_run *run)
{
	u64 start = ktime_get_ns(), now = start, fastest = U64_MAX, t0;
	unsigned int n = 0;

	do {
		t0 = now;
		if (!ma_k_pair(run))
			return 0;
		now = ktime_get_ns();
		fastest = min(fastest, now - t0);
		cond_resched();
	} while (++n < MA_PROBE_MIN || now - start < MA_PROBE_NS);
	return clamp_t(u64, div64_u64(MA_TARGET_NS, max(fastest, 1ULL)), 1,
		       MA_MAX_ITERS);
}

static int ma_thread_fn(void *arg)
{
	struct ma_run *run = arg;
	unsigned int r;

	/* untimed: a VM's memory costs a host fault when first touched */
	if (ma_rm_pair(run) && ma_k_pair(run) && !run->iters)
		run->iters = ma_auto_iters(run);
	for (r = 0; r < rounds && !run->error; r++) {
		if (r % 2 == 0) {
			run->rm_ns[r] = ma_half(run, ma_rm_pair);
			if (!run->error)
				run->k_ns[r] = ma_half(run, ma_k_pair);
		} else {
			run->k_ns[r] = ma_half(run, ma_k_pair);
			if (!run->error)
				run->rm_ns[r] = ma_half(run, ma_rm_pair);
		}
		cond_resched();
	}
	complete(&run->done);

	bench_park();
	return 0;
}

/* Measure one count on @cpu. */
static int ma_one(struct zone *z, unsigned int cpu, unsigned int count,
		  bool zeroing)
{
	struct ma_run run = {
		.count = count,
		.iters = iters,
		.rm_flags = zeroing ? RESMEM_GFP_ZERO : 0,
		.zone = z,
	};
	u64 rm_med, rm_min, k_med, k_min, ratio;
	struct task_struct *task;
	int ret = 0;

	init_completion(&run.done);
	run.pfn = ma_find_range(z, count);
	if (!run.pfn) {
		pr_err("error count=%u init_on_alloc=%d: no free range of %lu pages in ZONE_MOVABLE of node %d\n",
		       count, zeroing,
		       (unsigned long)ALIGN(count, MAX_ORDER_NR_PAGES),
		       zone_to_nid(z));
		return -ENOSPC;
	}
	run.rm_ns = kcalloc(2 * rounds, sizeof(*run.rm_ns), GFP_KERNEL);
	if (!run.rm_ns)
		return -ENOMEM;
	run.k_ns = run.rm_ns + rounds;

	task = kthread_create_on_cpu(ma_thread_fn, &run, cpu,
				     "resmem_mabench/%u");
	if (IS_ERR(task)) {
		kfree(run.rm_ns);
		return PTR_ERR(task);
	}
	wake_up_process(task);
	/* Wake up every second: this may take longer than hung_task allows. */
	while (!wait_for_completion_timeout(&run.done, HZ))
		;
	kthread_stop(task);

	if (run.error) {
		pr_err("error count=%u init_on_alloc=%d pfn=0x%lx: %s failed (%d)\n",
		       count, zeroing, run.pfn, run.error_what, run.error);
		ret = run.error;
		goto out;
	}
	rm_med = bench_median(run.rm_ns, rounds, &rm_min);
	k_med = bench_median(run.k_ns, rounds, &k_min);
	ratio = bench_ratio_milli(rm_med, k_med);
	pr_info("count=%u init_on_alloc=%d policy=%u nid=%d pfn=0x%lx iters=%u rounds=%u resmem_ns=%llu resmem_min_ns=%llu kernel_ns=%llu kernel_min_ns=%llu ratio=%llu.%03llu\n",
		count, zeroing, policy, zone_to_nid(z), run.pfn, run.iters,
		rounds, div64_u64(rm_med + run.iters / 2, run.iters),
		div64_u64(rm_min + run.iters / 2, run.iters),
		div64_u64(k_med + run.iters / 2, run.iters),
		div64_u64(k_min + run.iters / 2, run.iters),
		div64_u64(ratio, 1000), ratio % 1000);
out:
	kfree(run.rm_ns);
	return ret;
}

/*
 * Does alloc_contig_range() hand out zeroed pages?  Dirty a free page of
 * @z, free it and take it again.  1 yes, 0 no, negative errno.
 */
static int ma_kernel_zeroes(struct zone *z)
{
	unsigned long pfn = ma_find_range(z, 1);
	u8 *p;
	int ret;

	if (!pfn)
		return -ENOSPC;
	ret = alloc_contig_range(pfn, pfn + 1, MIGRATE_MOVABLE, GFP_KERNEL);
	if (ret)
		return ret;
	p = page_address(pfn_to_page(pfn));
	memset(p, MA_FILL, PAGE_SIZE);
	free_contig_range(pfn, 1);
	ret = alloc_contig_range(pfn, pfn + 1, MIGRATE_MOVABLE, GFP_KERNEL);
	if (ret)
		return ret;
	ret = !memchr_inv(p, 0, PAGE_SIZE);
	free_contig_range(pfn, 1);
	return ret;
}

static int ma_check_params(void)
{
	unsigned int i;

	if (!rounds || rounds > MA_MAX_ROUNDS || policy > RESMEM_AREA_LEAST_FRAG ||
	    iters > MA_MAX_ITERS) {
		pr_err("error: rounds must be 1..%u, iters 0..%u and policy 0..2\n",
		       MA_MAX_ROUNDS, MA_MAX_ITERS);
		return -EINVAL;
	}
	for (i = 0; i < nr_counts; i++) {
		if (!counts[i] || counts[i] > MA_MAX_COUNT) {
			pr_err("error: count %u is not 1..%u\n", counts[i],
			       MA_MAX_COUNT);
			return -EINVAL;
		}
	}
	return 0;
}

static int __init resmem_mabench_init(void)
{
	bool zeroing = want_init_on_alloc(GFP_KERNEL);
	unsigned int i, cpu;
	struct zone *z;
	int ret, kz;

	ret = ma_check_params();
	if (ret)
		return ret;
	z = ma_find_zone();
	if (!z) {
		pr_err("error: no populated ZONE_MOVABLE on a node with CPUs: boot with movablecore=\n");
		return -ENODEV;
	}
	cpu = cpumask_first(cpumask_of_node(zone_to_nid(z)));
	kz = ma_kernel_zeroes(z);
	if (kz < 0) {
		pr_err("error: alloc_contig_range of one page failed (%d)\n",
		       kz);
		return kz;
	}
	pr_info("start init_on_alloc=%d kernel_zeroes=%d nid=%d cpu=%u movable_start_pfn=0x%lx movable_pages=%lu movable_free=%lu rounds=%u iters=%u policy=%u\n",
		zeroing, kz, zone_to_nid(z), cpu, z->zone_start_pfn,
		z->spanned_pages, zone_page_state(z, NR_FREE_PAGES), rounds,
		iters, policy);
	if (kz != zeroing) {
		pr_err("error: init_on_alloc=%d but alloc_contig_range %s zero\n",
		       zeroing, kz ? "does" : "does not");
		return -EINVAL;
	}
	for (i = 0; i < nr_counts; i++) {
		ret = ma_one(z, cpu, counts[i], zeroing);
		if (ret)
			return ret;
	}
	pr_info("done\n");

	/* The work is done: fail the load so that the module goes away. */
	return -EAGAIN;
}

static void __exit resmem_mabench_exit(void)
{
}

module_init(resmem_mabench_init);
module_exit(resmem_mabench_exit);

MODULE_DESCRIPTION("resmem benchmark: memarea against alloc_contig_range()");
MODULE_LICENSE("GPL");
