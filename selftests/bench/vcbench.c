// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_vcbench: vcompound (src/vcompound.c) measured from a kernel module,
 * in the style of resmem_bench.c: everything runs from module init, which
 * returns -EAGAIN when it is done, so that the module never stays loaded (a
 * failure returns another error).  Ratios measured in the same boot, one
 * line each:
 *   - "contig": resmem_vcompound_alloc() served contiguous against
 *     alloc_pages(GFP_KERNEL) at each order of contig_orders= (4, 9), and
 *     against resmem_alloc_pages(), the buddy alone, for what vcompound's
 *     layer (checks, counters, latency clock) costs;
 *   - "fallback": resmem_vcompound_alloc(RESMEM_VC_FALLBACK), pieces mapped
 *     with vmap_pfn(), against vmalloc() and kvmalloc() of the same size at
 *     each order of fallback_orders= (4, 9); the resmem side waits for its
 *     deferred unmaps (resmem_vcompound_flush()) at the end of every batch,
 *     so that it pays for them as vfree() pays for its own;
 *   - "read": sequential reads of a buffer of 2^order pages for each order
 *     of read_orders= (10, 14), and reads of one word per page (the TLB's
 *     worst case), through a fallback mapping against a contiguous buffer
 *     in resmem's own mapping (a vcompound block up to max_order, a memarea
 *     area beyond); done first, before the other parts leave lazy unmaps
 *     (TLB flushes) behind.
 *   Allocators are timed in batches of batch= allocations freed newest
 *   first, rounds= rounds each, the order of the allocators rotating from
 *   round to round; a round lasts about 20 ms (iters batches, from the
 *   fastest of a few untimed ones).  Medians are printed, and ratios
 *   resmem / kernel (below 1: resmem faster).  When the kernel zeroes what it
 *   allocates (init_on_alloc=1, Debian's default), resmem is asked to zero
 *   too (RESMEM_GFP_ZERO); the mode is on every line.
 *
 * vcompound's in-kernel tests are resmem_vctest (selftests/modules).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#ifdef CONFIG_X86
#include <asm/pgtable_types.h>
#endif

#include <resmem/api.h>

#include "bench.h"

#define VB_MAX_LIST	8
#define VB_MAX_BATCH	256
#define VB_MAX_ROUNDS	1000
/* a timed round lasts about 20 ms, judged from 2 ms of untimed batches */
#define VB_TARGET_NS	(20 * NSEC_PER_MSEC)
#define VB_PROBE_NS	(2 * NSEC_PER_MSEC)
#define VB_PROBE_MIN	4
#define VB_MAX_ITERS	100000
/* bench: reads of up to 1 GiB */
#define VB_READ_MAX_ORDER	18

/* The largest order alloc_pages() serves; the name changed in 6.8. */
#ifdef MAX_PAGE_ORDER
#define VB_KERNEL_MAX_ORDER	MAX_PAGE_ORDER
#else
#define VB_KERNEL_MAX_ORDER	(MAX_ORDER - 1)
#endif

static unsigned int contig_orders[VB_MAX_LIST] = { 4, 9 };
static unsigned int nr_contig_orders = 2;
module_param_array(contig_orders, uint, &nr_contig_orders, 0444);
MODULE_PARM_DESC(contig_orders, "bench: orders of the contiguous path (4,9)");

static unsigned int fallback_orders[VB_MAX_LIST] = { 4, 9 };
static unsigned int nr_fallback_orders = 2;
module_param_array(fallback_orders, uint, &nr_fallback_orders, 0444);
MODULE_PARM_DESC(fallback_orders, "bench: orders of the fallback path (4,9)");

static unsigned int read_orders[VB_MAX_LIST] = { 10, 14 };
static unsigned int nr_read_orders = 2;
module_param_array(read_orders, uint, &nr_read_orders, 0444);
MODULE_PARM_DESC(read_orders,
		 "bench: log2 of the pages read (10,14: 4 and 64 MiB)");

static unsigned int batch = 16;
module_param(batch, uint, 0444);
MODULE_PARM_DESC(batch, "bench: allocations per batch (16)");

static unsigned int rounds = 15;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "bench: timed rounds per allocator (15)");

static bool vb_zeroing;
static unsigned int vb_zero;	/* RESMEM_GFP_ZERO when the kernel zeroes */

/* --- allocators, as the bench times them --- */

struct vb_alloc {
	const char *name;	/* in error messages */
	void *(*alloc)(unsigned int order);
	void (*free)(void *p, unsigned int order);
	void (*sync)(void);
};

static void *vb_contig_alloc(unsigned int order)
{
	return resmem_vcompound_alloc(order, vb_zero);
}

static void *vb_fallback_alloc(unsigned int order)
{
	return resmem_vcompound_alloc(order, RESMEM_VC_FALLBACK | vb_zero);
}

static void vb_vc_free(void *p, unsigned int order)
{
	resmem_vcompound_free(p, order);
}

static void *vb_buddy_alloc(unsigned int order)
{
	return resmem_alloc_pages(order, NUMA_NO_NODE, vb_zero);
}

static void vb_buddy_free(void *p, unsigned int order)
{
	resmem_free_pages(p, order);
}

static void *vb_pages_alloc(unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	return page ? page_address(page) : NULL;
}

static void vb_pages_free(void *p, unsigned int order)
{
	__free_pages(virt_to_page(p), order);
}

static void *vb_vmalloc(unsigned int order)
{
	return vmalloc(PAGE_SIZE << order);
}

static void vb_vfree(void *p, unsigned int order)
{
	vfree(p);
}

static void *vb_kvmalloc(unsigned int order)
{
	return kvmalloc(PAGE_SIZE << order, GFP_KERNEL);
}

static void vb_kvfree(void *p, unsigned int order)
{
	kvfree(p);
}

static const struct vb_alloc vb_contig = {
	"resmem", vb_contig_alloc, vb_vc_free, NULL,
};

static const struct vb_alloc vb_fallback = {
	"resmem", vb_fallback_alloc, vb_vc_free, resmem_vcompound_flush,
};

static const struct vb_alloc vb_buddy = {
	"buddy", vb_buddy_alloc, vb_buddy_free, NULL,
};

static const struct vb_alloc vb_pages = {
	"kernel", vb_pages_alloc, vb_pages_free, NULL,
};

static const struct vb_alloc vb_vm = {
	"vmalloc", vb_vmalloc, vb_vfree, NULL,
};

static const struct vb_alloc vb_kvm = {
	"kvmalloc", vb_kvmalloc, vb_kvfree, NULL,
};

static void *vb_blocks[VB_MAX_BATCH];

/* One batch: allocate, free newest first, sync.  False if one failed. */
static bool vb_batch(const struct vb_alloc *a, unsigned int order)
{
	unsigned int got, j;

	for (got = 0; got < batch; got++) {
		vb_blocks[got] = a->alloc(order);
		if (!vb_blocks[got])
			break;
	}
	j = got;
	while (j--)
		a->free(vb_blocks[j], order);
	if (a->sync)
		a->sync();
	return got == batch;
}

/* ns for @iters batches, or 0 when an allocation failed. */
static u64 vb_time(const struct vb_alloc *a, unsigned int order,
		   unsigned int iters)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++)
		if (!vb_batch(a, order))
			return 0;
	return max_t(u64, ktime_get_ns() - t0, 1);
}

/* Batches of @a that take about VB_TARGET_NS, or 0 on failure. */
static unsigned int vb_iters(const struct vb_alloc *a, unsigned int order)
{
	u64 start = ktime_get_ns(), now = start, fastest = U64_MAX, t0;
	unsigned int n = 0;

	do {
		t0 = now;
		if (!vb_batch(a, order))
			return 0;
		now = ktime_get_ns();
		fastest = min(fastest, now - t0);
		cond_resched();
	} while (++n < VB_PROBE_MIN || now - start < VB_PROBE_NS);
	return clamp_t(u64, div64_u64(VB_TARGET_NS, max(fastest, 1ULL)), 1,
		       VB_MAX_ITERS);
}

/* @a / @b as "1.234", in @buf (VB_RATIO_LEN bytes). */
#define VB_RATIO_LEN	24
static const char *vb_ratio(char *buf, u64 a, u64 b)
{
	u64 r = bench_ratio_milli(a, b);

	snprintf(buf, VB_RATIO_LEN, "%llu.%03llu", div64_u64(r, 1000),
		 r % 1000);
	return buf;
}

/*
 * Median ns per alloc+free pair of each of @n allocators at @order, into
 * @ns; the first allocator sets the number of batches per round.
 */
static int vb_compare(const struct vb_alloc *const *a, unsigned int n,
		      unsigned int order, u64 *ns, unsigned int *iters)
{
	unsigned int r, k, i;
	u64 *t;

	for (i = 0; i < n; i++) {
		if (!vb_batch(a[i], order)) {	/* warm up */
			pr_err("error: %s order=%u: allocation failed\n",
			       a[i]->name, order);
			return -ENOMEM;
		}
	}
	*iters = vb_iters(a[0], order);
	t = kcalloc(n * rounds, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < n; k++) {
			i = (r + k) % n;
			t[i * rounds + r] = vb_time(a[i], order, *iters);
			if (!t[i * rounds + r]) {
				pr_err("error: %s order=%u: allocation failed\n",
				       a[i]->name, order);
				kfree(t);
				return -ENOMEM;
			}
			cond_resched();
		}
	}
	for (i = 0; i < n; i++)
		ns[i] = div64_u64(bench_median(t + i * rounds, rounds, NULL),
				  (u64)*iters * batch);
	kfree(t);
	return 0;
}

static int vb_bench_contig(unsigned int order)
{
	const struct vb_alloc *a[] = { &vb_contig, &vb_pages, &vb_buddy };
	char r1[VB_RATIO_LEN], r2[VB_RATIO_LEN];
	unsigned int iters;
	u64 ns[3];
	void *p;
	int ret;

	/* the pool is whole: this path must be the contiguous one */
	p = resmem_vcompound_alloc(order, 0);
	if (!p || resmem_vcompound_is_virtual(p)) {
		pr_err("error: contig order=%u: not served contiguous\n",
		       order);
		if (p)
			resmem_vcompound_free(p, order);
		return -EIO;
	}
	resmem_vcompound_free(p, order);
	ret = vb_compare(a, 3, order, ns, &iters);
	if (ret)
		return ret;
	pr_info("contig order=%u init_on_alloc=%d batch=%u iters=%u rounds=%u resmem_ns=%llu kernel_ns=%llu ratio=%s buddy_ns=%llu ratio_buddy=%s\n",
		order, vb_zeroing, batch, iters, rounds, ns[0], ns[1],
		vb_ratio(r1, ns[0], ns[1]), ns[2], vb_ratio(r2, ns[0], ns[2]));
	return 0;
}

static int vb_bench_fallback(unsigned int order)
{
	const struct vb_alloc *a[] = { &vb_fallback, &vb_vm, &vb_kvm };
	char r1[VB_RATIO_LEN], r2[VB_RATIO_LEN];
	struct resmem_vcompound_piece pc;
	unsigned int iters;
	u64 ns[3];
	int pieces;
	void *p;
	int ret;

	p = resmem_vcompound_alloc(order, RESMEM_VC_FALLBACK);
	if (!p || !resmem_vcompound_is_virtual(p)) {
		pr_err("error: fallback order=%u: no fallback mapping\n",
		       order);
		if (p)
			resmem_vcompound_free(p, order);
		return -EIO;
	}
	pieces = resmem_vcompound_pieces(p, order, &pc, 1);
	resmem_vcompound_free(p, order);
	resmem_vcompound_flush();
	ret = vb_compare(a, 3, order, ns, &iters);
	if (ret)
		return ret;
	pr_info("fallback order=%u init_on_alloc=%d batch=%u iters=%u rounds=%u pieces=%d resmem_ns=%llu vmalloc_ns=%llu kvmalloc_ns=%llu ratio_vmalloc=%s ratio_kvmalloc=%s\n",
		order, vb_zeroing, batch, iters, rounds, pieces, ns[0], ns[1],
		ns[2], vb_ratio(r1, ns[0], ns[1]), vb_ratio(r2, ns[0], ns[2]));
	return 0;
}

/* Sum of every word, @passes times: ns. */
static u64 vb_read_seq(const u64 *p, size_t bytes, unsigned int passes,
		       u64 *sum)
{
	u64 t0 = ktime_get_ns(), s = 0;
	size_t i, n = bytes / sizeof(u64);
	unsigned int k;

	for (k = 0; k < passes; k++)
		for (i = 0; i < n; i += 8)
			s += READ_ONCE(p[i]) + READ_ONCE(p[i + 1]) +
			     READ_ONCE(p[i + 2]) + READ_ONCE(p[i + 3]) +
			     READ_ONCE(p[i + 4]) + READ_ONCE(p[i + 5]) +
			     READ_ONCE(p[i + 6]) + READ_ONCE(p[i + 7]);
	*sum += s;
	return ktime_get_ns() - t0;
}

/* One word per page, @passes times (each load a new page): ns. */
static u64 vb_read_stride(const u64 *p, size_t bytes, unsigned int passes,
			  u64 *sum)
{
	size_t i, n = bytes / sizeof(u64), step = PAGE_SIZE / sizeof(u64);
	u64 t0 = ktime_get_ns(), s = 0;
	unsigned int k;

	for (k = 0; k < passes; k++)
		for (i = (k * 8) % step; i < n; i += step)
			s += READ_ONCE(p[i]);
	*sum += s;
	return ktime_get_ns() - t0;
}

/*
 * The contiguous buffer to read against a fallback of 2^@order pages: a
 * vcompound block up to max_order, beyond it a memarea area.  Both sit in
 * resmem's own mapping of its ranges, which memremap() maps with the
 * largest pages it can.
 */
static u64 *vb_contig_buf(unsigned int order, bool *area)
{
	u64 *p;

	*area = order > resmem_max_order();
	if (*area)
		return resmem_alloc_area(1UL << order, 0, 0, NUMA_NO_NODE,
					 RESMEM_GFP_ZERO,
					 RESMEM_AREA_FIRST_FIT);
	p = resmem_vcompound_alloc(order, RESMEM_GFP_ZERO);
	if (p && resmem_vcompound_is_virtual(p)) {
		resmem_vcompound_free(p, order);
		p = NULL;
	}
	return p;
}

/* The size of the page table entry that maps @p: "4K", "2M", "1G". */
static const char *vb_pte_size(const void *p)
{
#ifdef CONFIG_X86
	unsigned int level = PG_LEVEL_NONE;

	if (lookup_address((unsigned long)p, &level)) {
		switch (level) {
		case PG_LEVEL_4K:
			return "4K";
		case PG_LEVEL_2M:
			return "2M";
		case PG_LEVEL_1G:
			return "1G";
		}
	}
#endif
	return "?";
}

static int vb_bench_read(unsigned int order)
{
	size_t bytes = PAGE_SIZE << order;
	unsigned int r, stride_passes = 64;
	u64 *seq_c, *seq_f, *st_c, *st_f, sum = 0, med[4];
	char r1[VB_RATIO_LEN], r2[VB_RATIO_LEN];
	u64 *contig, *fallback;
	int pieces, ret = 0;
	bool area;

	contig = vb_contig_buf(order, &area);
	fallback = resmem_vcompound_alloc(order, RESMEM_VC_FALLBACK |
					  RESMEM_GFP_ZERO);
	seq_c = kcalloc(4 * rounds, sizeof(*seq_c), GFP_KERNEL);
	if (!contig || !fallback || !seq_c ||
	    !resmem_vcompound_is_virtual(fallback)) {
		pr_err("error: read order=%u: no contiguous and fallback buffers\n",
		       order);
		ret = -ENOMEM;
		goto out;
	}
	seq_f = seq_c + rounds;
	st_c = seq_f + rounds;
	st_f = st_c + rounds;
	pieces = resmem_vcompound_pieces(fallback, order, NULL, 0);
	memset(contig, 1, bytes);
	memset(fallback, 1, bytes);
	/* no lazy vunmap purge (a TLB flush on every CPU) while we read */
	vm_unmap_aliases();
	for (r = 0; r < rounds; r++) {
		if (r % 2) {
			seq_f[r] = vb_read_seq(fallback, bytes, 1, &sum);
			seq_c[r] = vb_read_seq(contig, bytes, 1, &sum);
		} else {
			seq_c[r] = vb_read_seq(contig, bytes, 1, &sum);
			seq_f[r] = vb_read_seq(fallback, bytes, 1, &sum);
		}
		st_c[r] = vb_read_stride(contig, bytes, stride_passes, &sum);
		st_f[r] = vb_read_stride(fallback, bytes, stride_passes, &sum);
		cond_resched();
	}
	med[0] = bench_median(seq_c, rounds, NULL);
	med[1] = bench_median(seq_f, rounds, NULL);
	med[2] = bench_median(st_c, rounds, NULL);
	med[3] = bench_median(st_f, rounds, NULL);
	pr_info("read order=%u bytes=%zu init_on_alloc=%d rounds=%u contig=%s contig_pte=%s fallback_pte=%s pieces=%d seq_contig_ns=%llu seq_fallback_ns=%llu seq_ratio=%s stride_passes=%u stride_contig_ns=%llu stride_fallback_ns=%llu stride_ratio=%s sum=%llu\n",
		order, bytes, vb_zeroing, rounds, area ? "area" : "vcompound",
		vb_pte_size(contig), vb_pte_size(fallback),
		pieces, med[0], med[1], vb_ratio(r1, med[1], med[0]),
		stride_passes, med[2], med[3], vb_ratio(r2, med[3], med[2]),
		sum);
out:
	kfree(seq_c);
	if (contig && area)
		resmem_free_area(contig, 1UL << order);
	else if (contig)
		resmem_vcompound_free(contig, order);
	if (fallback)
		resmem_vcompound_free(fallback, order);
	resmem_vcompound_flush();
	return ret;
}

static int vb_bench(void)
{
	unsigned int i;
	int ret;

	if (!batch || batch > VB_MAX_BATCH || !rounds ||
	    rounds > VB_MAX_ROUNDS) {
		pr_err("error: batch must be 1..%u and rounds 1..%u\n",
		       VB_MAX_BATCH, VB_MAX_ROUNDS);
		return -EINVAL;
	}
	for (i = 0; i < nr_contig_orders; i++) {
		if (contig_orders[i] > VB_KERNEL_MAX_ORDER ||
		    contig_orders[i] > resmem_max_order()) {
			pr_err("error: contig order %u above the largest (kernel %u, resmem %u)\n",
			       contig_orders[i], VB_KERNEL_MAX_ORDER,
			       resmem_max_order());
			return -EINVAL;
		}
	}
	for (i = 0; i < nr_fallback_orders; i++) {
		if (!fallback_orders[i] ||
		    fallback_orders[i] > resmem_max_order()) {
			pr_err("error: fallback order %u is not 1..%u\n",
			       fallback_orders[i], resmem_max_order());
			return -EINVAL;
		}
	}
	for (i = 0; i < nr_read_orders; i++) {
		if (!read_orders[i] || read_orders[i] > VB_READ_MAX_ORDER) {
			pr_err("error: read order %u is not 1..%u\n",
			       read_orders[i], VB_READ_MAX_ORDER);
			return -EINVAL;
		}
	}
	pr_info("start init_on_alloc=%d batch=%u rounds=%u cpu=%d resmem_max_order=%u vcompound_max_order=%u\n",
		vb_zeroing, batch, rounds, raw_smp_processor_id(),
		resmem_max_order(), resmem_vcompound_max_order());
	/* reads first: the allocators' benchmarks leave lazy unmaps */
	for (i = 0; i < nr_read_orders; i++) {
		ret = vb_bench_read(read_orders[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < nr_contig_orders; i++) {
		ret = vb_bench_contig(contig_orders[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < nr_fallback_orders; i++) {
		ret = vb_bench_fallback(fallback_orders[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int __init vb_init(void)
{
	int ret;

	vb_zeroing = want_init_on_alloc(GFP_KERNEL);
	vb_zero = vb_zeroing ? RESMEM_GFP_ZERO : 0;
	ret = vb_bench();
	if (ret) {
		pr_err("error: failed (%d)\n", ret);
		return ret;
	}
	pr_info("done\n");
	/* The work is done: fail the load so that the module goes away. */
	return -EAGAIN;
}

static void __exit vb_exit(void)
{
}

module_init(vb_init);
module_exit(vb_exit);

MODULE_DESCRIPTION("resmem vcompound: benchmark against alloc_pages, vmalloc and kvmalloc");
MODULE_LICENSE("GPL");
