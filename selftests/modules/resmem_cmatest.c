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
 * the migrate callback (with this module referenced while it runs), with
 * every pattern intact and a zeroed buffer.  After the moves, resmem_pin()
 * of each handle returns the block's new address, and the moved blocks
 * free through their handles with no warning and no leak (the memory
 * holds as many blocks again as at first).  One block is pinned
 * RM_PIN_MAX (65535) times and one more pin must fail with -EOVERFLOW,
 * the count unchanged.  Bad arguments
 * give -ENOENT and -EINVAL.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/sched.h>
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
/* RM_PIN_MAX (include/resmem/migrate.h), which clients do not see */
#define PIN_MAX		65535

struct blk {
	struct resmem_movable *m;
	u64 *addr;		/* the client's pointer, switched by migrate */
	u64 *first;		/* where it was allocated */
	u64 tag;
};

static struct blk *blks;
static unsigned int nblks, fill_count, migrations, bad_copies, refuse;
static unsigned int unreferenced;

static int migrate(void *priv, void *old_addr, void *new_addr)
{
	struct blk *b = priv;

	/* resmem holds this module while the callback runs */
	if (!module_refcount(THIS_MODULE))
		unreferenced++;
	if (refuse)
		return -EBUSY;
	if (b->addr != old_addr || memcmp(old_addr, new_addr, BLOCK_BYTES))
		bad_copies++;
	b->addr = new_addr;
	migrations++;
	return 0;
}

static const struct resmem_movable_ops ops = {
	.owner = THIS_MODULE,
	.migrate = migrate,
};

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

/* Fill the memory with movable blocks; how many there were. */
static unsigned int fill_all(void)
{
	unsigned int n = 0;

	while (n < MAX_BLOCKS) {
		struct blk *b = &blks[n];

		b->tag = 0x1000 + n;
		b->m = resmem_alloc_movable(ORDER, NUMA_NO_NODE, &ops, b);
		if (IS_ERR(b->m)) {
			b->m = NULL;
			break;
		}
		b->addr = resmem_movable_addr(b->m);
		b->first = b->addr;
		fill_pattern(b);
		n++;
	}
	return n;
}

static void free_all(void)
{
	unsigned int i;

	for (i = 0; i < nblks; i++)
		if (blks[i].m)
			resmem_free_movable(blks[i].m);
	memset(blks, 0, MAX_BLOCKS * sizeof(*blks));
	nblks = 0;
}

/* One block pinned to the limit: the next pin is refused, not wrapped. */
static int pin_limit(struct blk *b)
{
	unsigned int i;
	void *p;
	int ret;

	for (i = 0; i < PIN_MAX; i++) {
		p = resmem_pin(b->m);
		if (IS_ERR(p))
			return check(false, "pins up to the limit");
	}
	ret = check(PTR_ERR(resmem_pin(b->m)) == -EOVERFLOW,
		    "one pin more than the limit: -EOVERFLOW");
	/* not wrapped: one unpin leaves it pinned */
	ret |= check(!resmem_unpin(b->m), "unpin after overflow");
	ret |= check(resmem_pin(b->m) == b->addr, "pin again at the limit");
	ret |= check(PTR_ERR(resmem_pin(b->m)) == -EOVERFLOW,
		     "still at the limit: -EOVERFLOW");
	for (i = 0; i < PIN_MAX; i++)
		if (resmem_unpin(b->m))
			return check(false, "unpin down to zero");
	ret |= check(resmem_unpin(b->m) == -EINVAL,
		     "unpin of an unpinned block: -EINVAL");
	return ret;
}

static int run(void)
{
	unsigned int i, moved = 0, again;
	bool warned = test_taint(TAINT_WARN);
	void *buf, *p;
	int ret;

	nblks = fill_all();
	fill_count = nblks;
	ret = check(nblks > 8, "movable blocks allocated");
	/* free every other one: room to move the rest to (priv stays) */
	for (i = 1; !ret && i < nblks; i += 2) {
		resmem_free_movable(blks[i].m);
		blks[i].m = NULL;
		blks[i].addr = NULL;
	}
	for (i = 0; !ret && i < nblks; i += 2)
		ret = check(resmem_pin(blks[i].m) == blks[i].addr,
			    "resmem_pin gives the address");
	if (ret)
		return ret;

	buf = resmem_cma_alloc(region, count, 0);
	ret = check(PTR_ERR_OR_ZERO(buf) == -EBUSY && !migrations,
		    "every block pinned: -EBUSY, nothing moved");
	if (!IS_ERR(buf))
		resmem_cma_release(buf, count);
	for (i = 0; i < nblks; i += 2)
		ret |= check(!resmem_unpin(blks[i].m), "resmem_unpin");
	ret |= check(resmem_unpin(blks[0].m) == -EINVAL,
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
	ret |= check(migrations > 0, "blocks migrated");
	ret |= check(!bad_copies, "migrate callback saw the data copied");
	ret |= check(!unreferenced, "module referenced during migrate");
	ret |= check(!bad_patterns(), "patterns intact after migration");
	ret |= check(!memchr_inv(buf, 0, count * PAGE_SIZE), "buffer zeroed");
	ret |= check(!(resmem_virt_to_pfn(buf) % 512), "buffer aligned");
	resmem_cma_release(buf, count);

	/* the handle follows the block: pin gives the new address */
	for (i = 0; i < nblks; i += 2) {
		p = resmem_pin(blks[i].m);
		ret |= check(p == blks[i].addr &&
			     p == resmem_movable_addr(blks[i].m),
			     "pin after a move gives the new address");
		ret |= check(!resmem_unpin(blks[i].m), "unpin after a move");
		moved += blks[i].addr != blks[i].first;
	}
	ret |= check(moved > 0, "some handles moved");
	if (ret)
		return ret;
	ret = pin_limit(&blks[0]);
	ret |= check(PTR_ERR(resmem_pin(NULL)) == -EINVAL,
		     "pin of no block: -EINVAL");
	ret |= check(resmem_unpin(NULL) == -EINVAL,
		     "unpin of no block: -EINVAL");
	ret |= check(PTR_ERR(resmem_alloc_movable(resmem_max_order() + 1,
						  NUMA_NO_NODE, &ops, NULL)) ==
		     -EINVAL, "order above max: -EINVAL");

	/* free the moved blocks first, through their handles */
	for (i = 0; i < nblks; i += 2)
		if (blks[i].addr != blks[i].first) {
			resmem_free_movable(blks[i].m);
			blks[i].m = NULL;
		}
	free_all();
	ret |= check(warned || !test_taint(TAINT_WARN),
		     "free after a move: no warning");
	again = fill_all();
	nblks = again;
	ret |= check(again == fill_count, "no block leaked: as many again");
	if (ret)
		pr_err("blocks at first %u, again %u\n", fill_count, again);
	free_all();

	ret |= check(PTR_ERR_OR_ZERO(resmem_cma_alloc("no-such", 1, 0)) ==
		     -ENOENT, "unknown region: -ENOENT");
	ret |= check(PTR_ERR_OR_ZERO(resmem_cma_alloc(region, 0, 0)) ==
		     -EINVAL, "count 0: -EINVAL");
	ret |= check(PTR_ERR_OR_ZERO(resmem_cma_alloc(region, 1, 3)) ==
		     -EINVAL, "alignment 3: -EINVAL");
	if (!ret)
		pr_info("ok: %u blocks, %u migrated, %u handles moved\n",
			fill_count / 2, migrations, moved);
	return ret;
}

static int __init cmatest_init(void)
{
	int ret;

	blks = kcalloc(MAX_BLOCKS, sizeof(*blks), GFP_KERNEL);
	if (!blks)
		return -ENOMEM;
	ret = run();
	free_all();
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
