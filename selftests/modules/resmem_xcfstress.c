// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_xcfstress: xcf under concurrent load, at module load; the load
 * fails (-EINVAL) when an object's bytes or the pool's pages are wrong.
 *
 * One worker thread per online CPU, bound to it, and one compactor thread
 * share one pool for @seconds.  A worker owns @objs records (handle, size,
 * pattern seed) and does seeded random operations on them: malloc (1 to
 * PAGE_SIZE bytes, GFP_NOWAIT as zswap stores) and fill through a _WO
 * mapping; check through _RO; check and rewrite through _RW; check and
 * free; and trade a record for one in a shared mailbox (atomic_xchg), so
 * that objects are freed and mapped on other CPUs than the one that
 * allocated them, as zswap does.  The compactor calls resmem_xcf_compact()
 * (every CPU heap drained into the global heaps, objects moved) in a loop
 * meanwhile.  An object moved while mapped, a write lost by a move or a
 * copy-back, or a split object copied wrongly shows as a pattern that
 * differs.  At the end every object is checked and freed, and the pool
 * must hold no page.
 *
 * Prints the seed ("seed=" replays a run) and "resmem_xcfstress: ok" with
 * the counts on success.  Never loaded outside the test VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <resmem/api.h>

static unsigned int seconds = 10;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "how long the threads run (default 10)");
static unsigned int objs = 512;
module_param(objs, uint, 0444);
MODULE_PARM_DESC(objs, "records per worker (default 512)");
static unsigned int seed;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the operations (default: random)");

#define XS_BOX		64	/* mailbox slots shared by the workers */

/**
 * struct xs_rec - one object, owned by one worker (or the mailbox) at a time
 * @handle:	0 while there is no object
 * @size:	its bytes
 * @pat:	the pattern seed of its bytes
 */
struct xs_rec {
	unsigned long handle;
	u32 size;
	u32 pat;
};

/**
 * struct xs_worker - a worker thread
 * @task:	the thread
 * @own:	indices of the records it owns
 * @rnd:	its random state
 * @ops:	operations done
 * @nomem:	mallocs that found no page
 */
struct xs_worker {
	struct task_struct *task;
	u32 *own;
	u64 rnd;
	unsigned long ops, nomem;
};

static struct resmem_xcf_pool *xs_pool;
static struct xs_rec *xs_recs;
static atomic_t xs_box[XS_BOX];
static atomic_t xs_errors;
static atomic_long_t xs_compactions, xs_compact_freed;

static u32 xs_next(u64 *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 32;
}

static u8 xs_byte(u32 pat, u32 b)
{
	return (pat * 2654435761U + b * 40503U) >> 24;
}

/* Check @r through a mapping of @mmode; with @rewrite, give it pattern @new. */
static bool xs_check(struct xs_rec *r, unsigned int mmode, bool rewrite,
		     u32 new)
{
	u8 *p = resmem_xcf_map(xs_pool, r->handle, mmode);
	u32 b, bad = U32_MAX;

	if (!p) {
		pr_err("map of handle %#lx (%u bytes) failed\n", r->handle,
		       r->size);
		atomic_inc(&xs_errors);
		return false;
	}
	for (b = 0; b < r->size && bad == U32_MAX; b++)
		if (p[b] != xs_byte(r->pat, b))
			bad = b;
	if (rewrite && bad == U32_MAX) {
		for (b = 0; b < r->size; b++)
			p[b] = xs_byte(new, b);
		r->pat = new;
	}
	resmem_xcf_unmap(xs_pool, r->handle);
	if (bad != U32_MAX) {
		pr_err("handle %#lx (%u bytes): byte %u differs\n", r->handle,
		       r->size, bad);
		atomic_inc(&xs_errors);
		return false;
	}
	return true;
}

static void xs_malloc(struct xs_worker *w, struct xs_rec *r)
{
	u32 k = xs_next(&w->rnd), b;
	u8 *p;

	/* half small (up to 1 KiB), half up to a page: both split and not */
	r->size = 1 + (k & 1 ? k % 1024 : k % PAGE_SIZE);
	r->pat = xs_next(&w->rnd);
	if (resmem_xcf_malloc(xs_pool, r->size, GFP_NOWAIT, &r->handle)) {
		r->handle = 0;
		w->nomem++;
		return;
	}
	p = resmem_xcf_map(xs_pool, r->handle, RESMEM_XCF_MAP_WO);
	if (!p) {
		pr_err("map _WO of a new handle %#lx failed\n", r->handle);
		atomic_inc(&xs_errors);
		return;
	}
	for (b = 0; b < r->size; b++)
		p[b] = xs_byte(r->pat, b);
	resmem_xcf_unmap(xs_pool, r->handle);
}

static void xs_op(struct xs_worker *w)
{
	u32 k = xs_next(&w->rnd) % 100, i = xs_next(&w->rnd) % objs;
	struct xs_rec *r = &xs_recs[w->own[i]];

	if (k < 5) {	/* trade: the mailbox's record for this one */
		w->own[i] = atomic_xchg(&xs_box[xs_next(&w->rnd) % XS_BOX],
					w->own[i]);
	} else if (!r->handle) {
		xs_malloc(w, r);
	} else if (k < 45) {
		xs_check(r, RESMEM_XCF_MAP_RO, false, 0);
	} else if (k < 60) {
		xs_check(r, RESMEM_XCF_MAP_RW, true, xs_next(&w->rnd));
	} else if (k < 80) {
		xs_check(r, RESMEM_XCF_MAP_RO, false, 0);
		resmem_xcf_free(xs_pool, r->handle);
		r->handle = 0;
	} else {
		/* rewrite without reading: a whole-object _WO mapping */
		u8 *p = resmem_xcf_map(xs_pool, r->handle, RESMEM_XCF_MAP_WO);
		u32 b;

		if (!p) {
			atomic_inc(&xs_errors);
			return;
		}
		r->pat = xs_next(&w->rnd);
		for (b = 0; b < r->size; b++)
			p[b] = xs_byte(r->pat, b);
		resmem_xcf_unmap(xs_pool, r->handle);
	}
	w->ops++;
}

static int xs_work(void *arg)
{
	struct xs_worker *w = arg;

	while (!kthread_should_stop()) {
		xs_op(w);
		if (!(w->ops & 63))
			cond_resched();
	}
	return 0;
}

static int xs_compact(void *arg)
{
	while (!kthread_should_stop()) {
		atomic_long_add(resmem_xcf_compact(xs_pool), &xs_compact_freed);
		atomic_long_inc(&xs_compactions);
		usleep_range(1000, 2000);
	}
	return 0;
}

static int __init xs_init(void)
{
	unsigned int n = num_online_cpus(), t = 0, i, nrec;
	unsigned long ops = 0, nomem = 0, live = 0;
	struct task_struct *compactor;
	struct xs_worker *w;
	int cpu, ret = -ENOMEM;

	if (!seed)
		seed = get_random_u32() | 1;
	if (!objs || !seconds)
		return -EINVAL;
	pr_info("seed=%u: %u workers, %u records each, %u s\n", seed, n, objs,
		seconds);
	nrec = n * objs + XS_BOX;
	xs_recs = kvcalloc(nrec, sizeof(*xs_recs), GFP_KERNEL);
	w = kcalloc(n, sizeof(*w), GFP_KERNEL);
	xs_pool = resmem_xcf_create("xcfstress");
	if (!xs_recs || !w || !xs_pool)
		goto out_free;
	for (i = 0; i < XS_BOX; i++)
		atomic_set(&xs_box[i], n * objs + i);
	atomic_set(&xs_errors, 0);
	for_each_online_cpu(cpu) {
		if (t == n)
			break;
		w[t].own = kcalloc(objs, sizeof(*w[t].own), GFP_KERNEL);
		if (!w[t].own)
			goto out_stop;
		for (i = 0; i < objs; i++)
			w[t].own[i] = t * objs + i;
		w[t].rnd = (u64)seed << 32 | cpu;
		w[t].task = kthread_create(xs_work, &w[t], "xcfstress/%d", cpu);
		if (IS_ERR(w[t].task)) {
			ret = PTR_ERR(w[t].task);
			w[t].task = NULL;
			kfree(w[t].own);
			goto out_stop;
		}
		kthread_bind(w[t].task, cpu);
		t++;
	}
	compactor = kthread_run(xs_compact, NULL, "xcfstress/compact");
	if (IS_ERR(compactor)) {
		ret = PTR_ERR(compactor);
		goto out_stop;
	}
	for (i = 0; i < t; i++)
		wake_up_process(w[i].task);
	msleep(seconds * 1000);
	kthread_stop(compactor);
	ret = 0;
out_stop:
	/* a thread never woken stops without running xs_work() */
	for (i = 0; i < t; i++) {
		kthread_stop(w[i].task);
		ops += w[i].ops;
		nomem += w[i].nomem;
		kfree(w[i].own);
	}
	/* every record is back with us: check and free what is live */
	for (i = 0; xs_recs && i < nrec; i++) {
		if (!xs_recs[i].handle)
			continue;
		live++;
		xs_check(&xs_recs[i], RESMEM_XCF_MAP_RO, false, 0);
		resmem_xcf_free(xs_pool, xs_recs[i].handle);
	}
	if (!ret && resmem_xcf_total_pages(xs_pool)) {
		pr_err("%llu pages left after every free\n",
		       resmem_xcf_total_pages(xs_pool));
		ret = -EINVAL;
	}
	if (!ret && atomic_read(&xs_errors))
		ret = -EINVAL;
	if (!ret)
		pr_info("ok: %lu operations (%lu mallocs without a page), %lu live at the end, %ld compactions freed %ld pages, seed=%u\n",
			ops, nomem, live, atomic_long_read(&xs_compactions),
			atomic_long_read(&xs_compact_freed), seed);
	else
		pr_err("failed: %d errors, seed=%u\n",
		       atomic_read(&xs_errors), seed);
out_free:
	resmem_xcf_destroy(xs_pool);
	kfree(w);
	kvfree(xs_recs);
	return ret;
}

static void __exit xs_exit(void)
{
}

module_init(xs_init);
module_exit(xs_exit);

MODULE_DESCRIPTION("resmem selftest: xcf under concurrent load");
MODULE_LICENSE("GPL");
