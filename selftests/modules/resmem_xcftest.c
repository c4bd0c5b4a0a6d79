// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_xcftest: xcf's in-kernel API (include/resmem/api.h) from another
 * module, at load; the load fails (-EINVAL) when a check fails.
 *
 *	mode=basic	(default) objects of every size from 1 to PAGE_SIZE,
 *			each filled with its own pattern through a _WO
 *			mapping and checked through a _RO one, half of them
 *			freed, a compaction, the rest checked again through
 *			_RW mappings, each given a new pattern through that
 *			_RW mapping and checked again through a _RO one (the
 *			copy back of split objects: at least one of them
 *			must have been one), all freed: then the pool holds
 *			no page.  Sizes above PAGE_SIZE get -ENOSPC, 0 gets
 *			-EINVAL.  No warning may appear.
 *	mode=badinput	a free of a handle that is not live and a map with
 *			an unknown mode: each WARNs once (make check counts
 *			the warnings), changes nothing (the pool's pages and
 *			a live object's bytes stay), and a second time warns
 *			no more.  Then a map nested in another on the same
 *			CPU at the worst moment: a kretprobe on rm_xcf_map()
 *			stands in for an interrupt that arrives when the
 *			core has said where the outer object is and maps
 *			another object.  The nested map must be refused (a
 *			third warning) and the outer mapping must still
 *			show its own object's bytes.
 *	mode=hold	the pool keeps three objects (100, 2000 and
 *			PAGE_SIZE bytes) until the module is unloaded, for
 *			tests that read debugfs xcf/ (resmemctl_test.sh).
 *
 * Prints "resmem_xcftest: <mode> ok" on success.  Never loaded outside the
 * test VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <resmem/api.h>

static char *mode = "basic";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "basic, badinput or hold");

/* Object @i has @i + 1 bytes, each (i * 31 + byte) & 0xff. */
static u8 xt_byte(unsigned long i, unsigned long b)
{
	return (i * 31 + b) & 0xff;
}

/* The pattern object @i gets through its _RW mapping. */
static u8 xt_byte2(unsigned long i, unsigned long b)
{
	return ~xt_byte(i, b) ^ 0x5a;
}

static int xt_fill(struct resmem_xcf_pool *pool, unsigned long h,
		   unsigned long i)
{
	u8 *p = resmem_xcf_map(pool, h, RESMEM_XCF_MAP_WO);
	unsigned long b;

	if (!p)
		return -EINVAL;
	for (b = 0; b <= i; b++)
		p[b] = xt_byte(i, b);
	resmem_xcf_unmap(pool, h);
	return 0;
}

static int xt_check(struct resmem_xcf_pool *pool, unsigned long h,
		    unsigned long i, unsigned int mmode)
{
	u8 *p = resmem_xcf_map(pool, h, mmode);
	unsigned long b;
	int ret = 0;

	if (!p)
		return -EINVAL;
	for (b = 0; b <= i && !ret; b++)
		if (p[b] != xt_byte(i, b))
			ret = -EINVAL;
	resmem_xcf_unmap(pool, h);
	if (ret)
		pr_err("object %lu: byte %lu differs\n", i, b - 1);
	return ret;
}

/*
 * Check object @i through a _RW mapping, write xt_byte2() through it and
 * check that through a _RO one.  Return 1 when the _RW mapping was this
 * CPU's copy of a split object (its address is in the kernel's linear
 * map, resmem's memory is not), 0 when it was the object, or -EINVAL.
 */
static int xt_rewrite(struct resmem_xcf_pool *pool, unsigned long h,
		      unsigned long i)
{
	u8 *p = resmem_xcf_map(pool, h, RESMEM_XCF_MAP_RW);
	unsigned long b;
	int copied, ret = 0;

	if (!p)
		return -EINVAL;
	copied = virt_addr_valid(p);
	for (b = 0; b <= i; b++) {
		if (p[b] != xt_byte(i, b))
			ret = -EINVAL;
		p[b] = xt_byte2(i, b);
	}
	resmem_xcf_unmap(pool, h);
	if (ret) {
		pr_err("object %lu: differs in its _RW mapping\n", i);
		return ret;
	}
	p = resmem_xcf_map(pool, h, RESMEM_XCF_MAP_RO);
	if (!p)
		return -EINVAL;
	for (b = 0; b <= i && !ret; b++)
		if (p[b] != xt_byte2(i, b))
			ret = -EINVAL;
	resmem_xcf_unmap(pool, h);
	if (ret) {
		pr_err("object %lu (%s): byte %lu written through _RW is lost\n",
		       i, copied ? "split, copied" : "in place", b - 1);
		return ret;
	}
	return copied;
}

static int xt_basic(struct resmem_xcf_pool *pool)
{
	unsigned long *h, i, n = PAGE_SIZE, bad, copied = 0;
	int ret = -EINVAL;

	if (resmem_xcf_malloc(pool, PAGE_SIZE + 1, GFP_KERNEL, &bad) !=
	    -ENOSPC || resmem_xcf_malloc(pool, 0, GFP_KERNEL, &bad) != -EINVAL) {
		pr_err("oversized or empty object not refused\n");
		return -EINVAL;
	}
	h = kcalloc(n, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (resmem_xcf_malloc(pool, i + 1, GFP_KERNEL, &h[i]) ||
		    xt_fill(pool, h[i], i)) {
			pr_err("object %lu: malloc or map failed\n", i);
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		if (xt_check(pool, h[i], i, RESMEM_XCF_MAP_RO))
			goto out;
	for (i = 0; i < n; i += 2) {
		resmem_xcf_free(pool, h[i]);
		h[i] = 0;
	}
	pr_info("basic: %llu pages before compaction, %llu freed\n",
		resmem_xcf_total_pages(pool), resmem_xcf_compact(pool));
	for (i = 1; i < n; i += 2) {
		int r = xt_rewrite(pool, h[i], i);

		if (r < 0)
			goto out;
		copied += r;
	}
	pr_info("basic: %lu _RW mappings, %lu of split objects copied back\n",
		n / 2, copied);
	if (!copied) {
		pr_err("no _RW mapping was of a split object\n");
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		if (h[i])
			resmem_xcf_free(pool, h[i]);
	kfree(h);
	if (!ret && resmem_xcf_total_pages(pool)) {
		pr_err("%llu pages left after every free\n",
		       resmem_xcf_total_pages(pool));
		ret = -EINVAL;
	}
	return ret;
}

/*
 * The nested map: xt_nest_h is mapped from the return of the rm_xcf_map()
 * that the task xt_nest_task makes, once.
 */
static struct resmem_xcf_pool *xt_nest_pool;
static unsigned long xt_nest_h;
static struct task_struct *xt_nest_task;
static void *xt_nest_got;
static bool xt_nest_ran;

static int xt_nest_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	if (current != READ_ONCE(xt_nest_task) || xt_nest_ran)
		return 0;
	xt_nest_ran = true;
	xt_nest_got = resmem_xcf_map(xt_nest_pool, xt_nest_h,
				     RESMEM_XCF_MAP_RO);
	if (xt_nest_got)
		resmem_xcf_unmap(xt_nest_pool, xt_nest_h);
	return 0;
}

static struct kretprobe xt_nest_probe = {
	.kp.symbol_name = "rm_xcf_map",
	.handler = xt_nest_ret,
};

static int xt_nested(struct resmem_xcf_pool *pool)
{
	unsigned long outer, inner, i = 200, j = 300, b;
	int ret;
	u8 *p;

	if (resmem_xcf_malloc(pool, i + 1, GFP_KERNEL, &outer) ||
	    xt_fill(pool, outer, i))
		return -EINVAL;
	if (resmem_xcf_malloc(pool, j + 1, GFP_KERNEL, &inner) ||
	    xt_fill(pool, inner, j)) {
		resmem_xcf_free(pool, outer);
		return -EINVAL;
	}
	xt_nest_pool = pool;
	xt_nest_h = inner;
	ret = register_kretprobe(&xt_nest_probe);
	if (ret) {
		pr_err("kretprobe on rm_xcf_map: %d\n", ret);
		goto out;
	}
	WRITE_ONCE(xt_nest_task, current);
	p = resmem_xcf_map(pool, outer, RESMEM_XCF_MAP_RO);
	WRITE_ONCE(xt_nest_task, NULL);
	ret = -EINVAL;
	if (!p) {
		pr_err("the outer map failed\n");
	} else {
		for (b = 0; b <= i; b++)
			if (p[b] != xt_byte(i, b))
				break;
		resmem_xcf_unmap(pool, outer);
		ret = 0;
		if (!xt_nest_ran) {
			pr_err("the nested map did not run\n");
			ret = -EINVAL;
		}
		if (xt_nest_got) {
			pr_err("the nested map was not refused\n");
			ret = -EINVAL;
		}
		if (b <= i) {
			pr_err("the outer mapping shows other bytes (byte %lu)\n",
			       b);
			ret = -EINVAL;
		}
	}
	unregister_kretprobe(&xt_nest_probe);
	if (!ret && (xt_check(pool, outer, i, RESMEM_XCF_MAP_RO) ||
		     xt_check(pool, inner, j, RESMEM_XCF_MAP_RO)))
		ret = -EINVAL;
out:
	resmem_xcf_free(pool, outer);
	resmem_xcf_free(pool, inner);
	return ret;
}

static int xt_badinput(struct resmem_xcf_pool *pool)
{
	unsigned long h, i = 99;
	u64 pages;
	int k;

	if (resmem_xcf_malloc(pool, i + 1, __GFP_ZERO, &h) ||
	    xt_fill(pool, h, i))
		return -EINVAL;
	pages = resmem_xcf_total_pages(pool);
	for (k = 0; k < 2; k++) {
		/* another generation of the same entry: not live */
		resmem_xcf_free(pool, h ^ 1);
		if (resmem_xcf_map(pool, h, 4)) {
			pr_err("map mode 4 accepted\n");
			return -EINVAL;
		}
		if (resmem_xcf_total_pages(pool) != pages ||
		    xt_check(pool, h, i, RESMEM_XCF_MAP_RO)) {
			pr_err("a refused call changed the pool\n");
			return -EINVAL;
		}
	}
	resmem_xcf_free(pool, h);
	/* the debug kernel's small config has no kprobes */
	if (!IS_ENABLED(CONFIG_KRETPROBES))
		pr_info("badinput: no kretprobes in this kernel, the nested map is not tried\n");
	else if (xt_nested(pool))
		return -EINVAL;
	return resmem_xcf_total_pages(pool) ? -EINVAL : 0;
}

/* mode=hold: the pool and its objects, until unload */
static struct resmem_xcf_pool *xt_held_pool;
static unsigned long xt_held[3];

static int xt_hold(struct resmem_xcf_pool *pool)
{
	const size_t sizes[] = { 100, 2000, PAGE_SIZE };
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(xt_held); k++)
		if (resmem_xcf_malloc(pool, sizes[k], __GFP_ZERO, &xt_held[k]))
			return -ENOMEM;
	xt_held_pool = pool;
	return 0;
}

static void xt_unhold(struct resmem_xcf_pool *pool)
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(xt_held); k++) {
		if (xt_held[k])
			resmem_xcf_free(pool, xt_held[k]);
		xt_held[k] = 0;
	}
	resmem_xcf_destroy(pool);
}

static int __init xt_init(void)
{
	struct resmem_xcf_pool *pool = resmem_xcf_create("xcftest");
	int ret;

	if (!pool)
		return -ENOMEM;
	if (!strcmp(mode, "basic"))
		ret = xt_basic(pool);
	else if (!strcmp(mode, "badinput"))
		ret = xt_badinput(pool);
	else if (!strcmp(mode, "hold"))
		ret = xt_hold(pool);
	else
		ret = -EINVAL;
	if (!xt_held_pool)
		xt_unhold(pool);
	if (!ret)
		pr_info("%s ok\n", mode);
	return ret;
}

static void __exit xt_exit(void)
{
	if (xt_held_pool)
		xt_unhold(xt_held_pool);
}

module_init(xt_init);
module_exit(xt_exit);

MODULE_DESCRIPTION("resmem selftest: xcf's in-kernel API");
MODULE_LICENSE("GPL");
