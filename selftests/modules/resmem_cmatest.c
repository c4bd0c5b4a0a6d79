// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_cmatest: the kernel side of CMA regions, run at load.  Loads only
 * when every check passes (else -EIO, with a line naming the check).
 *
 * With resmem loaded on one range and a region (region=, default "t",
 * at least count= pages, default 4096): movable blocks from
 * resmem_alloc_movable() fill the memory, each with a pattern; every other
 * one is freed.  All pinned, resmem_cma_alloc() must fail with -EBUSY and
 * move nothing; unpinned, it must succeed, having migrated blocks through
 * the migrate callback, with every pattern intact and a zeroed buffer.
 * Bad arguments give -ENOENT and -EINVAL.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <resmem/api.h>

#define ORDER		4
#define BLOCK_BYTES	(PAGE_SIZE << ORDER)
#define MAX_BLOCKS	8192

static char *region = "t";
module_param(region, charp, 0444);
MODULE_PARM_DESC(region, "the region to take buffers from");
static ulong count = 4096;
module_param(count, ulong, 0444);
MODULE_PARM_DESC(count, "pages per buffer");

struct blk {
	u64 *addr;
	u64 tag;
};

static struct blk *blks;
static unsigned int nblks, migrations, bad_copies, refuse;

static int migrate(void *priv, void *old_addr, void *new_addr)
{
	struct blk *b = priv;

	if (refuse)
		return -EBUSY;
	if (b->addr != old_addr || memcmp(old_addr, new_addr, BLOCK_BYTES))
		bad_copies++;
	b->addr = new_addr;
	migrations++;
	return 0;
}

static const struct resmem_movable_ops ops = { .migrate = migrate };

static void fill_pattern(struct blk *b)
{
	unsigned int i;

	for (i = 0; i < BLOCK_BYTES / 8; i++)
		b->addr[i] = b->tag ^ (i * 0x9e3779b97f4a7c15ULL);
}

static unsigned int bad_patterns(void)
{
	unsigned int i, j, bad = 0;

	for (j = 0; j < nblks; j++)
		for (i = 0; blks[j].addr && i < BLOCK_BYTES / 8; i++)
			bad += blks[j].addr[i] !=
			       (blks[j].tag ^ (i * 0x9e3779b97f4a7c15ULL));
	return bad;
}

static int check(bool ok, const char *what)
{
	if (!ok)
		pr_err("FAIL: %s (migrations %u, bad copies %u)\n", what,
		       migrations, bad_copies);
	return ok ? 0 : -EIO;
}

static int run(void)
{
	unsigned int i, moved;
	void *buf;
	int ret;

	while (nblks < MAX_BLOCKS) {
		struct blk *b = &blks[nblks];

		b->tag = 0x1000 + nblks;
		b->addr = resmem_alloc_movable(ORDER, NUMA_NO_NODE, &ops, b);
		if (!b->addr)
			break;
		fill_pattern(b);
		nblks++;
	}
	ret = check(nblks > 8, "movable blocks allocated");
	/* free every other one: room to move the rest to (priv stays) */
	for (i = 1; !ret && i < nblks; i += 2) {
		resmem_free_movable(blks[i].addr, ORDER);
		blks[i].addr = NULL;
	}
	for (i = 0; !ret && i < nblks; i += 2)
		ret = check(!resmem_pin(blks[i].addr), "resmem_pin");
	if (ret)
		return ret;

	buf = resmem_cma_alloc(region, count, 0);
	ret = check(PTR_ERR_OR_ZERO(buf) == -EBUSY && !migrations,
		    "every block pinned: -EBUSY, nothing moved");
	if (!IS_ERR(buf))
		resmem_cma_release(buf, count);
	for (i = 0; i < nblks; i += 2)
		ret |= check(!resmem_unpin(blks[i].addr), "resmem_unpin");
	ret |= check(resmem_unpin(blks[0].addr) == -EINVAL,
		     "unpin of an unpinned block: -EINVAL");
	if (ret)
		return ret;

	/* the callback refuses: -EBUSY too, nothing lost */
	refuse = 1;
	buf = resmem_cma_alloc(region, count, 0);
	ret = check(PTR_ERR_OR_ZERO(buf) == -EBUSY && !bad_patterns(),
		    "callback refusing: -EBUSY, patterns intact");
	if (!IS_ERR(buf))
		resmem_cma_release(buf, count);
	refuse = 0;
	if (ret)
		return ret;

	buf = resmem_cma_alloc(region, count, 512);
	ret = check(!IS_ERR(buf), "resmem_cma_alloc");
	if (ret)
		return ret;
	moved = migrations;
	ret |= check(moved > 0, "blocks migrated");
	ret |= check(!bad_copies, "migrate callback saw the data copied");
	ret |= check(!bad_patterns(), "patterns intact after migration");
	ret |= check(!memchr_inv(buf, 0, count * PAGE_SIZE), "buffer zeroed");
	ret |= check(!(resmem_virt_to_pfn(buf) % 512), "buffer aligned");
	resmem_cma_release(buf, count);

	ret |= check(PTR_ERR_OR_ZERO(resmem_cma_alloc("no-such", 1, 0)) ==
		     -ENOENT, "unknown region: -ENOENT");
	ret |= check(PTR_ERR_OR_ZERO(resmem_cma_alloc(region, 0, 0)) ==
		     -EINVAL, "count 0: -EINVAL");
	ret |= check(PTR_ERR_OR_ZERO(resmem_cma_alloc(region, 1, 3)) ==
		     -EINVAL, "alignment 3: -EINVAL");
	ret |= check(resmem_pin(blks) == -EINVAL,
		     "pin of no movable block: -EINVAL");
	if (!ret)
		pr_info("ok: %u blocks, %u migrated\n", nblks / 2, moved);
	return ret;
}

static int __init cmatest_init(void)
{
	unsigned int i;
	int ret;

	blks = kcalloc(MAX_BLOCKS, sizeof(*blks), GFP_KERNEL);
	if (!blks)
		return -ENOMEM;
	ret = run();
	for (i = 0; i < nblks; i++)
		if (blks[i].addr)
			resmem_free_movable(blks[i].addr, ORDER);
	kfree(blks);
	return ret;
}

static void __exit cmatest_exit(void)
{
}

module_init(cmatest_init);
module_exit(cmatest_exit);

MODULE_DESCRIPTION("resmem selftest: CMA regions and movable blocks in the kernel");
MODULE_LICENSE("GPL");
