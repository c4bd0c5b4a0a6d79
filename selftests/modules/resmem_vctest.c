// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_vctest: vcompound's in-kernel API (src/vcompound.c) tested from a
 * kernel module.  Everything runs from module init, which returns -EAGAIN
 * when the test passed, so that the module never stays loaded (a failure
 * returns another error and prints "resmem_vctest: error ...").  Load it
 * with one finit_module() (/resmem/selftests/modload in the test VM).
 * mode= selects:
 *
 * selftest (default): the in-kernel API on both paths and both nodes:
 *   is_virtual, to_pfn for every page (against vmalloc_to_pfn() and the
 *   piece list), data written through the mapping read back through
 *   resmem's own mapping of each piece, atomic allocations contiguous or
 *   NULL, orders and nodes out of range refused.  Prints "selftest ok".
 *   vcompound_test's kernel_api_selftest.
 *
 * atomic: for seconds= seconds one kthread per online CPU allocates (half
 *   the time forced fallbacks) and queues the allocations to an hrtimer on
 *   its CPU, which frees them in hard interrupt context and makes atomic
 *   allocations of its own; a full queue is freed with interrupts off.
 *   Prints "atomic ok" and the counts.  vcompound_test's
 *   frees_from_hard_irq_under_load.
 *
 * badinput: what resmem_vcompound_free() must refuse -- addresses it never
 *   returned, a wrong order, a piece of a fallback, a second free -- and
 *   unknown flags.  These WARN (once per call site), so this mode is not
 *   part of run_all.sh: selftests/check runs it on its own and expects the
 *   warning, "badinput ok" and nothing else.
 *
 * The benchmark of the same API is resmem_vcbench (selftests/bench).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <resmem/api.h>

/* atomic mode: queue per CPU, timer period, frees per timer run */
#define VT_QUEUE	64
#define VT_PERIOD_NS	(200 * NSEC_PER_USEC)
#define VT_TIMER_FREES	8
#define VT_ATOMIC_ORDER	2

static char *mode = "selftest";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "selftest (default), atomic or badinput");

static unsigned int seconds = 3;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "atomic: how long the stress runs (3)");

/* --- selftest --- */

/* Log a selftest failure; returns -EINVAL for the caller to return. */
static __printf(1, 2) int vt_fail(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("error: %pV\n", &vaf);
	va_end(args);
	return -EINVAL;
}

/*
 * Check a live allocation of 2^@order pages at @p: what the helpers say
 * about every page and some bytes inside, against the piece list and (for
 * a fallback) the page tables; data written through @p is read back through
 * resmem's own mapping of each piece.
 */
static int vt_check_one(u8 *p, unsigned int order, bool virt)
{
	unsigned long n = 1UL << order, i, at = 0, pfn, want, off;
	struct resmem_vcompound_piece *pc;
	int nr, k = 0, ret = 0;
	u64 *kv;

	if (resmem_vcompound_is_virtual(p) != virt)
		return vt_fail("order %u: is_virtual says %d", order, !virt);
	if (resmem_vcompound_is_virtual(p + (n << PAGE_SHIFT) - 1) != virt)
		return vt_fail("order %u: is_virtual of the last byte", order);
	nr = resmem_vcompound_pieces(p, order, NULL, 0);
	if (nr < 1 || nr > n)
		return vt_fail("order %u: %d pieces", order, nr);
	if (!virt && nr != 1)
		return vt_fail("order %u: contiguous but %d pieces", order, nr);
	pc = kcalloc(nr, sizeof(*pc), GFP_KERNEL);
	if (!pc)
		return -ENOMEM;
	if (resmem_vcompound_pieces(p, order, pc, nr) != nr) {
		pr_err("error: selftest: order %u: pieces changed\n", order);
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* page i is in piece k, which starts at page at */
		if (i == at + (1UL << pc[k].order)) {
			at = i;
			if (++k == nr)
				break;
		}
		want = pc[k].pfn + (i - at);
		off = (i << PAGE_SHIFT) + (i * 8 + 8) % PAGE_SIZE;
		pfn = resmem_vcompound_to_pfn(p + (i << PAGE_SHIFT));
		if (pfn != want || resmem_vcompound_to_pfn(p + off) != want ||
		    (virt && vmalloc_to_pfn(p + off) != want)) {
			pr_err("error: selftest: order %u page %lu: pfn %lx, want %lx (vmalloc_to_pfn %lx)\n",
			       order, i, pfn, want,
			       virt ? vmalloc_to_pfn(p + off) : 0UL);
			ret = -EINVAL;
			goto out;
		}
		/* written through @p, read through resmem's own mapping */
		*(u64 *)(p + off) = 0x5eed0000ULL + i;
		kv = (u64 *)((u8 *)resmem_pfn_to_virt(want) + off % PAGE_SIZE);
		if (READ_ONCE(*kv) != 0x5eed0000ULL + i) {
			pr_err("error: selftest: order %u page %lu: the write did not reach pfn %lx\n",
			       order, i, want);
			ret = -EINVAL;
			goto out;
		}
	}
	if (k != nr - 1 || at + (1UL << pc[k].order) != n) {
		pr_err("error: selftest: order %u: the pieces cover %lu pages\n",
		       order, k < nr ? at + (1UL << pc[k].order) : at);
		ret = -EINVAL;
	}
out:
	kfree(pc);
	return ret;
}

/* Allocate, check, free (and wait for the unmap); zeroed content too. */
static int vt_selftest_one(unsigned int order, int nid, unsigned int flags,
			   bool virt)
{
	unsigned long i, n = PAGE_SIZE << order;
	u8 *p = resmem_vcompound_alloc_node(order, nid, flags);
	int ret;

	if (!p)
		return vt_fail("order %u node %d flags %#x: no memory", order,
			       nid, flags);
	for (i = 0; i < n; i += 64)
		if (p[i]) {
			resmem_vcompound_free(p, order);
			return vt_fail("order %u: byte %lu not zeroed", order,
				       i);
		}
	ret = vt_check_one(p, order, virt);
	resmem_vcompound_free(p, order);
	resmem_vcompound_flush();
	if (ret)
		return ret;
	if (resmem_vcompound_pieces(p, order, NULL, 0) != -EINVAL)
		return vt_fail("order %u: still there after the free", order);
	if (resmem_vcompound_is_virtual(p))
		return vt_fail("order %u: still virtual after the free", order);
	return 0;
}

static DEFINE_SPINLOCK(vt_lock);

static int vt_selftest(void)
{
	unsigned int max = resmem_max_order(), vmax;
	unsigned int z = RESMEM_GFP_ZERO, f = RESMEM_VC_FALLBACK | z;
	unsigned long flags;
	void *p, *q;
	int nid, ret;
	bool virt;

	vmax = resmem_vcompound_max_order();
	pr_info("start mode=selftest resmem_max_order=%u vcompound_max_order=%u\n",
		max, vmax);
	if (vmax <= max)
		return vt_fail("vcompound_max_order %u not above %u", vmax,
			       max);
	ret = vt_selftest_one(4, NUMA_NO_NODE, z, false);
	ret = ret ?: vt_selftest_one(max, NUMA_NO_NODE, z, false);
	ret = ret ?: vt_selftest_one(0, NUMA_NO_NODE, f, true);
	ret = ret ?: vt_selftest_one(6, NUMA_NO_NODE, f, true);
	for_each_online_node(nid) {
		ret = ret ?: vt_selftest_one(5, nid,
					     f | RESMEM_GFP_STRICT_NODE, true);
		ret = ret ?: vt_selftest_one(3, nid, z |
					     RESMEM_GFP_STRICT_NODE, false);
	}
	ret = ret ?: vt_selftest_one(max + 1, NUMA_NO_NODE, z, true);
	if (ret)
		return ret;

	/* atomic: contiguous, forced or not, never a fallback */
	spin_lock_irqsave(&vt_lock, flags);
	p = resmem_vcompound_alloc(4, RESMEM_VC_ATOMIC | RESMEM_VC_FALLBACK);
	q = resmem_vcompound_alloc(max + 1, RESMEM_VC_ATOMIC);
	spin_unlock_irqrestore(&vt_lock, flags);
	if (q) {
		resmem_vcompound_free(q, max + 1);
		if (p)
			resmem_vcompound_free(p, 4);
		return vt_fail("an atomic order-%u allocation succeeded",
			       max + 1);
	}
	if (!p)
		return vt_fail("an atomic order-4 allocation failed");
	virt = resmem_vcompound_is_virtual(p);
	spin_lock_irqsave(&vt_lock, flags);
	resmem_vcompound_free(p, 4);
	spin_unlock_irqrestore(&vt_lock, flags);
	if (virt)
		return vt_fail("an atomic allocation is a fallback mapping");

	/* out of range: NULL, no warning */
	if (resmem_vcompound_alloc(vmax + 1, 0))
		return vt_fail("order %u served", vmax + 1);
	if (resmem_vcompound_alloc(~0U, 0))
		return vt_fail("order ~0 served");
	if (resmem_vcompound_alloc_node(0, MAX_NUMNODES, 0))
		return vt_fail("node %d served", MAX_NUMNODES);
	if (resmem_vcompound_alloc_node(0, -5, 0))
		return vt_fail("node -5 served");
	/* helpers on what is not vcompound's */
	p = resmem_alloc_pages(2, NUMA_NO_NODE, 0);
	if (!p)
		return vt_fail("resmem_alloc_pages failed");
	ret = resmem_vcompound_pieces(p, 2, NULL, 0);
	resmem_free_pages(p, 2);
	if (ret != -EINVAL)
		return vt_fail("pieces of a buddy block: %d", ret);
	if (resmem_vcompound_to_pfn(&ret))
		return vt_fail("to_pfn of the stack");
	if (resmem_vcompound_is_virtual(&ret))
		return vt_fail("the stack is virtual");
	pr_info("selftest ok\n");
	return 0;
}

/* --- atomic: frees from hard interrupt context, under load --- */

struct vt_item {
	void *p;
	unsigned int order;
};

struct vt_cpu {
	struct task_struct *task;
	unsigned int cpu;
	spinlock_t lock;		/* protects q, head, n */
	struct vt_item q[VT_QUEUE];
	unsigned int head;
	unsigned int n;
	struct hrtimer timer;
	/* counters */
	u64 allocs;
	u64 fallbacks;
	u64 failures;
	u64 timer_frees;
	u64 irqoff_frees;
	u64 atomic_allocs;
	u64 atomic_null;
	u64 atomic_virtual;
	int error;
};

static enum hrtimer_restart vt_timer_fn(struct hrtimer *t)
{
	struct vt_cpu *c = container_of(t, struct vt_cpu, timer);
	unsigned int i;
	void *p;

	spin_lock(&c->lock);
	for (i = 0; i < VT_TIMER_FREES && c->n; i++) {
		struct vt_item *it = &c->q[c->head];

		resmem_vcompound_free(it->p, it->order);
		c->head = (c->head + 1) % VT_QUEUE;
		c->n--;
		c->timer_frees++;
	}
	spin_unlock(&c->lock);
	p = resmem_vcompound_alloc(VT_ATOMIC_ORDER, RESMEM_VC_ATOMIC);
	if (p) {
		c->atomic_allocs++;
		if (resmem_vcompound_is_virtual(p))
			c->atomic_virtual++;
		resmem_vcompound_free(p, VT_ATOMIC_ORDER);
	} else {
		c->atomic_null++;
	}
	hrtimer_forward_now(t, ns_to_ktime(VT_PERIOD_NS));
	return HRTIMER_RESTART;
}

static int vt_atomic_fn(void *arg)
{
	struct vt_cpu *c = arg;
	unsigned long flags;
	unsigned int order;
	struct vt_item it;
	bool fb;

	hrtimer_start(&c->timer, ns_to_ktime(VT_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED);
	/* vt_atomic() stops us after seconds= seconds */
	while (!kthread_should_stop()) {
		order = get_random_u32() % 7;
		fb = get_random_u32() % 2;
		it.order = order;
		it.p = resmem_vcompound_alloc(order, RESMEM_GFP_ZERO |
					      (fb ? RESMEM_VC_FALLBACK : 0));
		if (!it.p) {
			c->failures++;
			cond_resched();
			continue;
		}
		c->allocs++;
		if (resmem_vcompound_is_virtual(it.p))
			c->fallbacks++;
		else if (fb)
			c->error = -EINVAL;	/* forced, yet contiguous */
		/* the whole allocation is ours: touch both ends */
		memset(it.p, 0xa5, 64);
		memset((u8 *)it.p + (PAGE_SIZE << order) - 64, 0x5a, 64);
		spin_lock_irqsave(&c->lock, flags);
		if (c->n < VT_QUEUE) {
			c->q[(c->head + c->n) % VT_QUEUE] = it;
			c->n++;
		} else {
			/* queue full: free it here, interrupts off */
			resmem_vcompound_free(it.p, it.order);
			c->irqoff_frees++;
		}
		spin_unlock_irqrestore(&c->lock, flags);
		cond_resched();
	}
	hrtimer_cancel(&c->timer);
	while (c->n) {
		resmem_vcompound_free(c->q[c->head].p, c->q[c->head].order);
		c->head = (c->head + 1) % VT_QUEUE;
		c->n--;
	}
	return 0;
}

static int vt_atomic(void)
{
	unsigned int n = num_online_cpus(), i = 0, cpu;
	u64 sum[8] = { 0 };
	struct vt_cpu *c;
	int ret = 0;

	if (!seconds || seconds > 600) {
		pr_err("error: seconds must be 1..600\n");
		return -EINVAL;
	}
	c = kcalloc(n, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	pr_info("start mode=atomic seconds=%u cpus=%u\n", seconds, n);
	for_each_online_cpu(cpu) {
		if (i == n)
			break;
		c[i].cpu = cpu;
		spin_lock_init(&c[i].lock);
		hrtimer_init(&c[i].timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED);
		c[i].timer.function = vt_timer_fn;
		c[i].task = kthread_create_on_cpu(vt_atomic_fn, &c[i], cpu,
						  "resmem_vctest/%u");
		if (IS_ERR(c[i].task)) {
			ret = PTR_ERR(c[i].task);
			while (i--)
				kthread_stop(c[i].task);
			kfree(c);
			return ret;
		}
		i++;
	}
	n = i;
	for (i = 0; i < n; i++)
		wake_up_process(c[i].task);
	msleep(seconds * MSEC_PER_SEC);
	for (i = 0; i < n; i++) {
		kthread_stop(c[i].task);
		sum[0] += c[i].allocs;
		sum[1] += c[i].fallbacks;
		sum[2] += c[i].timer_frees;
		sum[3] += c[i].irqoff_frees;
		sum[4] += c[i].atomic_allocs;
		sum[5] += c[i].atomic_null;
		sum[6] += c[i].atomic_virtual;
		sum[7] += c[i].failures;
		if (c[i].error)
			ret = c[i].error;
	}
	kfree(c);
	resmem_vcompound_flush();
	if (!ret && (sum[6] || !sum[2] || !sum[1] || !sum[4] || sum[7]))
		ret = -EIO;
	pr_info("atomic %s allocs=%llu fallbacks=%llu timer_frees=%llu irqoff_frees=%llu atomic_allocs=%llu atomic_null=%llu atomic_virtual=%llu failures=%llu\n",
		ret ? "failed" : "ok", sum[0], sum[1], sum[2], sum[3], sum[4],
		sum[5], sum[6], sum[7]);
	return ret;
}

/* --- badinput: every refused free warns at most once, changes nothing --- */

static int vt_badinput(void)
{
	struct resmem_vcompound_piece pc[2];
	u8 *c, *f, *b, *k;
	int nf;

	pr_info("start mode=badinput\n");
	if (resmem_vcompound_alloc(0, BIT(20)))
		return vt_fail("unknown flag served");
	c = resmem_vcompound_alloc(4, RESMEM_GFP_ZERO);
	f = resmem_vcompound_alloc(4, RESMEM_VC_FALLBACK | RESMEM_GFP_ZERO);
	b = resmem_alloc_pages(4, NUMA_NO_NODE, 0);
	k = kmalloc(64, GFP_KERNEL);
	if (!c || !f || !b || !k)
		return vt_fail("setup allocations failed");
	if (!resmem_vcompound_is_virtual(f))
		return vt_fail("no fallback");
	nf = resmem_vcompound_pieces(f, 4, pc, 2);
	if (nf < 2)
		return vt_fail("fallback with %d pieces", nf);

	resmem_vcompound_free(k, 0);			/* kmalloc'd */
	resmem_vcompound_free(b, 4);			/* the buddy's */
	resmem_vcompound_free(c + PAGE_SIZE, 4);	/* inside */
	resmem_vcompound_free(c, 3);			/* wrong order */
	resmem_vcompound_free(f + PAGE_SIZE, 4);	/* inside */
	resmem_vcompound_free(f, 5);			/* wrong order */
	/* a piece of the fallback, by resmem's own address of it */
	resmem_vcompound_free(resmem_pfn_to_virt(pc[0].pfn), pc[0].order);
	resmem_vcompound_free(NULL, 0);

	/* nothing changed: both still whole and usable */
	if (resmem_vcompound_pieces(c, 4, NULL, 0) != 1)
		return vt_fail("contiguous allocation damaged");
	if (resmem_vcompound_pieces(f, 4, NULL, 0) != nf)
		return vt_fail("fallback damaged");
	memset(c, 1, PAGE_SIZE << 4);
	memset(f, 2, PAGE_SIZE << 4);
	if (c[(PAGE_SIZE << 4) - 1] != 1 || f[PAGE_SIZE] != 2)
		return vt_fail("data lost");

	resmem_vcompound_free(c, 4);
	resmem_vcompound_free(f, 4);
	resmem_vcompound_flush();
	resmem_vcompound_free(c, 4);			/* second free */
	resmem_vcompound_free(f, 4);			/* second free */
	resmem_free_pages(b, 4);
	kfree(k);
	if (resmem_vcompound_alloc(~0U, 0))
		return vt_fail("order ~0 served");
	pr_info("badinput ok\n");
	return 0;
}

static int __init vt_init(void)
{
	int ret;

	if (!strcmp(mode, "selftest"))
		ret = vt_selftest();
	else if (!strcmp(mode, "atomic"))
		ret = vt_atomic();
	else if (!strcmp(mode, "badinput"))
		ret = vt_badinput();
	else
		ret = -EINVAL;
	if (ret) {
		pr_err("error: mode=%s failed (%d)\n", mode, ret);
		return ret;
	}
	pr_info("done mode=%s\n", mode);
	/* The work is done: fail the load so that the module goes away. */
	return -EAGAIN;
}

static void __exit vt_exit(void)
{
}

module_init(vt_init);
module_exit(vt_exit);

MODULE_DESCRIPTION("resmem vcompound: in-kernel tests of the API, from interrupts and against bad input");
MODULE_LICENSE("GPL");
