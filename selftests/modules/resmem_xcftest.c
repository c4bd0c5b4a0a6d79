// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_xcftest: xcf's in-kernel API (include/resmem/api.h) from another
 * module, at load; the load fails (-EINVAL) when a check fails.
 *
 *	mode=basic	(default) objects of every size from 1 to PAGE_SIZE,
 *			each filled with its own pattern through a _WO
 *			mapping and checked through a _RO one, half of them
 *			freed, a compaction, the rest checked again through
 *			_RW mappings, all freed: then the pool holds no page.
 *			Sizes above PAGE_SIZE get -ENOSPC, 0 gets -EINVAL.
 *			No warning may appear.
 *	mode=badinput	a free of a handle that is not live and a map with
 *			an unknown mode: each WARNs once (make check counts
 *			the warnings), changes nothing (the pool's pages and
 *			a live object's bytes stay), and a second time warns
 *			no more.
 *
 * Prints "resmem_xcftest: <mode> ok" on success.  Never loaded outside the
 * test VM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <resmem/api.h>

static char *mode = "basic";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "basic or badinput");

/* Object @i has @i + 1 bytes, each (i * 31 + byte) & 0xff. */
static u8 xt_byte(unsigned long i, unsigned long b)
{
	return (i * 31 + b) & 0xff;
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

static int xt_basic(struct resmem_xcf_pool *pool)
{
	unsigned long *h, i, n = PAGE_SIZE, bad;
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
	for (i = 1; i < n; i += 2)
		if (xt_check(pool, h[i], i, RESMEM_XCF_MAP_RW))
			goto out;
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
	return resmem_xcf_total_pages(pool) ? -EINVAL : 0;
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
	else
		ret = -EINVAL;
	resmem_xcf_destroy(pool);
	if (!ret)
		pr_info("%s ok\n", mode);
	return ret;
}

static void __exit xt_exit(void)
{
}

module_init(xt_init);
module_exit(xt_exit);

MODULE_DESCRIPTION("resmem selftest: xcf's in-kernel API");
MODULE_LICENSE("GPL");
