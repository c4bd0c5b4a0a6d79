// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_bench: resmem's page allocator against the kernel's, in the style of
 * lib/test_vmalloc.c.  Everything runs from module init, which then returns
 * -EAGAIN so that the module never stays loaded.
 *
 * For each order in orders= and each thread count in nr_threads=, that many
 * kthreads, each bound to its own online CPU, run rounds= rounds.  A round
 * times iters= iterations of "allocate batch= blocks of the order, then free
 * them newest first" once with resmem_alloc_pages()/resmem_free_pages() and
 * once with alloc_pages(GFP_KERNEL)/__free_pages(): resmem first in even
 * rounds, the kernel first in odd ones, so that neither always inherits the
 * other's cache and TLB state.  The threads meet at a barrier before each
 * half of a round, so both allocators see the same machine state and the
 * same contention; each thread runs one untimed batch of each first.
 * iters=0 (the default) picks, for each order and thread count, as many
 * batches as take the kernel about 20 ms (judged from at least 2 ms of
 * batches before the threads start), so that a half round is long against
 * the timer tick yet a run of orders 0,3,9 with 1 and 2 threads takes
 * seconds even under QEMU's TCG.  iters is printed on every result line.
 *
 * When the kernel zeroes every page it hands out (init_on_alloc=1, Debian's
 * default), resmem is asked to zero too (RESMEM_GFP_ZERO), so that the two do
 * the same work.  The mode is printed on every result line.
 *
 * One line per order and thread count, to the kernel log:
 *
 *   resmem_bench: order=0 threads=1 init_on_alloc=1 batch=32 iters=512
 *     rounds=20 resmem_ns=123 resmem_min_ns=110 kernel_ns=456
 *     kernel_min_ns=430 ratio=0.270
 *
 * (on one line).  *_ns is the median over rounds (and threads) of the time of
 * one alloc+free pair, *_min_ns the fastest round, ratio the two medians
 * divided, resmem over kernel: below 1 means resmem is faster.  The run
 * starts with a "resmem_bench: start ..." line and ends with
 * "resmem_bench: done"; a failure prints "resmem_bench: error ..." and init
 * returns that error instead of -EAGAIN.  Load it with one finit_module()
 * call (kmod's insmod, or the selftests' modload): busybox's insmod retries
 * a failed finit_module() with init_module() and so runs everything twice.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include <resmem/api.h>

#include "bench.h"

#define BENCH_MAX_LIST		16	/* entries in orders= and nr_threads= */
#define BENCH_MAX_BATCH		1024
#define BENCH_MAX_ROUNDS	1000
/* iters=0: half rounds of about 20 ms, judged from 2 ms and 4+ batches */
#define BENCH_TARGET_NS		(20 * NSEC_PER_MSEC)
#define BENCH_PROBE_NS		(2 * NSEC_PER_MSEC)
#define BENCH_PROBE_MIN		4
#define BENCH_MAX_ITERS		1000000

/* The largest order alloc_pages() serves; the name changed in 6.8. */
#ifdef MAX_PAGE_ORDER
#define BENCH_KERNEL_MAX_ORDER	MAX_PAGE_ORDER
#else
#define BENCH_KERNEL_MAX_ORDER	(MAX_ORDER - 1)
#endif

static unsigned int orders[BENCH_MAX_LIST] = { 0, 3, 9 };
static unsigned int nr_orders = 3;
module_param_array(orders, uint, &nr_orders, 0444);
MODULE_PARM_DESC(orders, "orders to measure (default 0,3,9)");

static unsigned int nr_threads[BENCH_MAX_LIST] = { 1, 2 };
static unsigned int nr_nr_threads = 2;
module_param_array(nr_threads, uint, &nr_nr_threads, 0444);
MODULE_PARM_DESC(nr_threads,
		 "thread counts to run, each at most the online CPUs (default 1,2)");

static unsigned int batch = 32;
module_param(batch, uint, 0444);
MODULE_PARM_DESC(batch, "blocks allocated before they are freed (default 32)");

static unsigned int rounds = 20;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "timed rounds per allocator (default 20)");

static unsigned int iters;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters,
		 "batches per half round; 0 (default): about 20 ms' worth");

static bool calibrate;
module_param(calibrate, bool, 0444);
MODULE_PARM_DESC(calibrate,
		 "A/A run: time alloc_pages() on the resmem side too (default N)");

/* The state of one order and thread count, shared by its threads. */
struct bench_run {
	unsigned int order;
	unsigned int threads;
	unsigned int iters;
	unsigned int rm_flags;
	/* the barrier */
	atomic_t arrived;
	atomic_t generation;
	bool stop;
	/* first error any thread hit, and where */
	int error;
	const char *error_what;
	atomic_t running;
	struct completion done;
};

/* One thread: its blocks and the time of each of its rounds. */
struct bench_thread {
	struct bench_run *run;
	struct task_struct *task;
	unsigned int cpu;
	void **rm_blocks;
	struct page **k_blocks;
	u64 *rm_ns;
	u64 *k_ns;
};

static void bench_fail(struct bench_run *run, int error, const char *what)
{
	if (!cmpxchg(&run->error, 0, error))
		WRITE_ONCE(run->error_what, what);
}

/*
 * All threads of @run meet here.  The last to arrive decides, for everyone,
 * whether to go on: a thread that failed has set run->error before it
 * arrived.  Returns true when the threads must stop.
 */
static bool bench_barrier(struct bench_run *run)
{
	int gen = atomic_read(&run->generation);

	if (atomic_inc_return(&run->arrived) == run->threads) {
		atomic_set(&run->arrived, 0);
		WRITE_ONCE(run->stop, READ_ONCE(run->error) != 0);
		atomic_inc_return_release(&run->generation);
	} else {
		while (atomic_read_acquire(&run->generation) == gen) {
			cpu_relax();
			cond_resched();
		}
	}
	return READ_ONCE(run->stop);
}

/*
 * The resmem side's allocator: resmem, or with calibrate=1 the kernel's, so
 * that an A/A run shows how far from 1.000 the method puts equal allocators.
 */
static void *bench_rm_alloc(struct bench_run *run)
{
	struct page *page;

	if (!calibrate)
		return resmem_alloc_pages(run->order, NUMA_NO_NODE,
					  run->rm_flags);
	page = alloc_pages(GFP_KERNEL, run->order);
	return page ? page_address(page) : NULL;
}

static void bench_rm_free(void *addr, unsigned int order)
{
	if (!calibrate)
		resmem_free_pages(addr, order);
	else
		__free_pages(virt_to_page(addr), order);
}

/* One batch with resmem: allocate, then free newest first. */
static bool bench_rm_batch(struct bench_thread *t)
{
	unsigned int order = t->run->order, got, j;

	for (got = 0; got < batch; got++) {
		t->rm_blocks[got] = bench_rm_alloc(t->run);
		if (!t->rm_blocks[got])
			break;
	}
	j = got;
	while (j--)
		bench_rm_free(t->rm_blocks[j], order);
	return got == batch;
}

/* The same with the kernel's allocator. */
static bool bench_k_batch(struct bench_thread *t)
{
	unsigned int order = t->run->order, got, j;

	for (got = 0; got < batch; got++) {
		t->k_blocks[got] = alloc_pages(GFP_KERNEL, order);
		if (!t->k_blocks[got])
			break;
	}
	j = got;
	while (j--)
		__free_pages(t->k_blocks[j], order);
	return got == batch;
}

/* One timed half round with resmem: ns taken, or 0 on failure. */
static u64 bench_resmem(struct bench_thread *t)
{
	u64 start = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < t->run->iters; i++) {
		if (!bench_rm_batch(t)) {
			bench_fail(t->run, -ENOMEM, "resmem_alloc_pages");
			return 0;
		}
	}
	return ktime_get_ns() - start;
}

/* The same with the kernel's allocator. */
static u64 bench_kernel(struct bench_thread *t)
{
	u64 start = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < t->run->iters; i++) {
		if (!bench_k_batch(t)) {
			bench_fail(t->run, -ENOMEM, "alloc_pages");
			return 0;
		}
	}
	return ktime_get_ns() - start;
}

/*
 * iters=0: as many batches as take the kernel BENCH_TARGET_NS, judged by the
 * fastest of the batches run on the calling CPU for BENCH_PROBE_NS and at
 * least BENCH_PROBE_MIN times (the fastest, so that a batch that was
 * interrupted or touched memory for the first time does not shrink the
 * rounds).  0 when an allocation failed.
 */
static unsigned int bench_auto_iters(struct bench_thread *t)
{
	u64 start = ktime_get_ns(), now = start, fastest = U64_MAX, t0;
	unsigned int n = 0;

	do {
		t0 = now;
		if (!bench_k_batch(t)) {
			bench_fail(t->run, -ENOMEM, "alloc_pages");
			return 0;
		}
		now = ktime_get_ns();
		fastest = min(fastest, now - t0);
	} while (++n < BENCH_PROBE_MIN || now - start < BENCH_PROBE_NS);
	return clamp_t(u64, div64_u64(BENCH_TARGET_NS, max(fastest, 1ULL)), 1,
		       BENCH_MAX_ITERS);
}

/* Half @half (0 or 1) of round @r: even rounds start with resmem. */
static void bench_half(struct bench_thread *t, unsigned int r,
		       unsigned int half)
{
	if ((r + half) % 2 == 0)
		t->rm_ns[r] = bench_resmem(t);
	else
		t->k_ns[r] = bench_kernel(t);
}

static int bench_thread_fn(void *arg)
{
	struct bench_thread *t = arg;
	struct bench_run *run = t->run;
	unsigned int r;

	/*
	 * One untimed batch each first: a VM's memory costs a host page fault
	 * the first time it is touched, and the per-CPU lists start empty.
	 */
	if (!bench_rm_batch(t))
		bench_fail(run, -ENOMEM, "resmem_alloc_pages");
	else if (!bench_k_batch(t))
		bench_fail(run, -ENOMEM, "alloc_pages");

	/* the first barrier starts every thread together */
	for (r = 0; r < rounds; r++) {
		if (bench_barrier(run))
			break;
		bench_half(t, r, 0);
		if (bench_barrier(run))
			break;
		bench_half(t, r, 1);
		cond_resched();
	}

	if (atomic_dec_and_test(&run->running))
		complete(&run->done);

	bench_park();
	return 0;
}

static void bench_free_threads(struct bench_thread *t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		kfree(t[i].rm_blocks);
		kfree(t[i].k_blocks);
		kfree(t[i].rm_ns);
	}
	kfree(t);
}

/* Print the result line of @run from the times its threads took. */
static int bench_report(struct bench_run *run, struct bench_thread *t,
			bool zeroing)
{
	unsigned int n = run->threads * rounds, i;
	u64 pairs = (u64)run->iters * batch;
	u64 rm_med, rm_min, k_med, k_min, ratio;
	u64 *rm_all, *k_all;

	rm_all = kcalloc(2 * n, sizeof(*rm_all), GFP_KERNEL);
	if (!rm_all)
		return -ENOMEM;
	k_all = rm_all + n;
	for (i = 0; i < run->threads; i++) {
		memcpy(rm_all + i * rounds, t[i].rm_ns,
		       rounds * sizeof(*rm_all));
		memcpy(k_all + i * rounds, t[i].k_ns, rounds * sizeof(*k_all));
	}
	rm_med = bench_median(rm_all, n, &rm_min);
	k_med = bench_median(k_all, n, &k_min);
	kfree(rm_all);

	ratio = bench_ratio_milli(rm_med, k_med);
	pr_info("order=%u threads=%u init_on_alloc=%d batch=%u iters=%u rounds=%u resmem_ns=%llu resmem_min_ns=%llu kernel_ns=%llu kernel_min_ns=%llu ratio=%llu.%03llu%s\n",
		run->order, run->threads, zeroing, batch, run->iters, rounds,
		div64_u64(rm_med + pairs / 2, pairs),
		div64_u64(rm_min + pairs / 2, pairs),
		div64_u64(k_med + pairs / 2, pairs),
		div64_u64(k_min + pairs / 2, pairs),
		div64_u64(ratio, 1000), ratio % 1000,
		calibrate ? " calibrate=1" : "");
	return 0;
}

static int bench_error(struct bench_run *run, bool zeroing)
{
	pr_err("error order=%u threads=%u init_on_alloc=%d: %s failed (%d)\n",
	       run->order, run->threads, zeroing, run->error_what, run->error);
	return run->error;
}

/* Measure one order with @threads threads on the first online CPUs. */
static int bench_one(unsigned int order, unsigned int threads, bool zeroing)
{
	struct bench_run run = {
		.order = order,
		.threads = threads,
		.rm_flags = zeroing ? RESMEM_GFP_ZERO : 0,
		.arrived = ATOMIC_INIT(0),
		.generation = ATOMIC_INIT(0),
		.running = ATOMIC_INIT(threads),
	};
	struct bench_thread *t;
	unsigned int i, cpu;
	int ret = 0;

	run.iters = iters;
	init_completion(&run.done);

	t = kcalloc(threads, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	i = 0;
	for_each_online_cpu(cpu) {
		if (i == threads)
			break;
		t[i].run = &run;
		t[i].cpu = cpu;
		t[i].rm_blocks = kcalloc(batch, sizeof(*t[i].rm_blocks),
					 GFP_KERNEL);
		t[i].k_blocks = kcalloc(batch, sizeof(*t[i].k_blocks),
					GFP_KERNEL);
		t[i].rm_ns = kcalloc(2 * rounds, sizeof(*t[i].rm_ns),
				     GFP_KERNEL);
		if (!t[i].rm_blocks || !t[i].k_blocks || !t[i].rm_ns) {
			bench_free_threads(t, i + 1);
			return -ENOMEM;
		}
		t[i].k_ns = t[i].rm_ns + rounds;
		i++;
	}
	if (i < threads) {	/* a CPU went offline since the check */
		bench_free_threads(t, i);
		return -ENODEV;
	}
	if (!run.iters)
		run.iters = bench_auto_iters(&t[0]);
	if (!run.iters) {
		ret = bench_error(&run, zeroing);
		bench_free_threads(t, threads);
		return ret;
	}

	for (i = 0; i < threads; i++) {
		t[i].task = kthread_create_on_cpu(bench_thread_fn, &t[i],
						  t[i].cpu, "resmem_bench/%u");
		if (IS_ERR(t[i].task)) {
			ret = PTR_ERR(t[i].task);
			while (i--)
				kthread_stop(t[i].task);	/* never woken */
			bench_free_threads(t, threads);
			return ret;
		}
	}
	for (i = 0; i < threads; i++)
		wake_up_process(t[i].task);

	/* Wake up every second: this may take longer than hung_task allows. */
	while (!wait_for_completion_timeout(&run.done, HZ))
		;
	for (i = 0; i < threads; i++)
		kthread_stop(t[i].task);

	if (run.error)
		ret = bench_error(&run, zeroing);
	else
		ret = bench_report(&run, t, zeroing);
	bench_free_threads(t, threads);
	return ret;
}

static int bench_check_params(void)
{
	unsigned int i;

	if (!batch || batch > BENCH_MAX_BATCH || !rounds ||
	    rounds > BENCH_MAX_ROUNDS) {
		pr_err("error: batch must be 1..%u and rounds 1..%u\n",
		       BENCH_MAX_BATCH, BENCH_MAX_ROUNDS);
		return -EINVAL;
	}
	for (i = 0; i < nr_orders; i++) {
		if (orders[i] > BENCH_KERNEL_MAX_ORDER ||
		    orders[i] > resmem_max_order()) {
			pr_err("error: order %u is above the largest order (kernel %u, resmem %u)\n",
			       orders[i], BENCH_KERNEL_MAX_ORDER,
			       resmem_max_order());
			return -EINVAL;
		}
	}
	for (i = 0; i < nr_nr_threads; i++) {
		if (!nr_threads[i] || nr_threads[i] > num_online_cpus()) {
			pr_err("error: nr_threads %u is not 1..%u (online CPUs)\n",
			       nr_threads[i], num_online_cpus());
			return -EINVAL;
		}
	}
	return 0;
}

static int __init resmem_bench_init(void)
{
	bool zeroing = want_init_on_alloc(GFP_KERNEL);
	unsigned int o, n;
	int ret;

	ret = bench_check_params();
	if (ret)
		return ret;

	pr_info("start init_on_alloc=%d init_on_free=%d batch=%u rounds=%u iters=%u cpus=%u resmem_max_order=%u calibrate=%d\n",
		zeroing, want_init_on_free(), batch, rounds, iters,
		num_online_cpus(), resmem_max_order(), calibrate);
	for (o = 0; o < nr_orders; o++) {
		for (n = 0; n < nr_nr_threads; n++) {
			ret = bench_one(orders[o], nr_threads[n], zeroing);
			if (ret)
				return ret;
		}
	}
	pr_info("done\n");

	/* The work is done: fail the load so that the module goes away. */
	return -EAGAIN;
}

static void __exit resmem_bench_exit(void)
{
}

module_init(resmem_bench_init);
module_exit(resmem_bench_exit);

MODULE_DESCRIPTION("resmem benchmark: resmem_alloc_pages() against alloc_pages()");
MODULE_LICENSE("GPL");
