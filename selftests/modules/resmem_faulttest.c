// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_faulttest: the in-kernel migration path under fault injection,
 * run at load.  Loads only when every check passes (else -EIO, with one
 * "FAIL:" line per finding); -EOPNOTSUPP on a kernel without
 * CONFIG_FAULT_INJECTION.
 *
 * The module sets its own task's fail_nth (what /proc/thread-self/fail-nth
 * writes) around one call, for n = 1, 2, ... until the fault is no longer
 * consumed, so that the n-th fault-injection point of that call fails;
 * then again with make_it_fail set too, so that every point from the n-th
 * on fails (an allocation that retries, as xa_store() does, fails only
 * so).  failslab and fail_page_alloc must not ignore GFP_KERNEL
 * allocations and must fail every point of a make_it_fail task:
 * fault_load_test.sh sets them up.  After each call:
 *
 *  - resmem_alloc_movable(): an ERR_PTR or a block; after an error the
 *    next call succeeds.
 *  - resmem_cma_alloc() of count pages from region= (default "ft", of
 *    region_pages pages) while every page of the region holds a lent
 *    movable block with a pattern and all other memory is free, so each
 *    block in the way is migrated to where the reverse map has no entry
 *    near it (its xarray must allocate: a fault-injection point inside
 *    the move): every block must be where the migrate callback last put
 *    the client (resmem_pin() returns that address: a client left on
 *    pages resmem freed is the kmov_move() use-after-free), with its
 *    pattern; the buffer is zeroed and inside the region; after a failure
 *    (-ENOMEM or -EBUSY) the next call succeeds.
 *
 * Run with resmem loaded on one range and the region, e.g.
 * ranges=64M@0x60000000 cma=ft:8M (fault_load_test.sh does this).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <resmem/api.h>

#define ORDER		4
#define BLOCK_BYTES	(PAGE_SIZE << ORDER)
#define MAX_BLOCKS	4096
#define MAX_N		1000
#define K		0x9e3779b97f4a7c15ULL

static char *region = "ft";
module_param(region, charp, 0444);
MODULE_PARM_DESC(region, "the region to take buffers from");
static ulong region_pages = 2048;
module_param(region_pages, ulong, 0444);
MODULE_PARM_DESC(region_pages, "the region's size in pages");
static ulong count = 256;
module_param(count, ulong, 0444);
MODULE_PARM_DESC(count, "pages per buffer");

struct blk {
	struct resmem_movable *m;
	u64 *addr;	/* where the migrate callback last put it */
	u64 tag;
	bool lost;	/* resmem has it elsewhere: not checked again */
};

static struct blk *blks;
static unsigned long base_pfn;
static unsigned int migrations, bad_copies, fails;
static u64 next_tag = 1;

static int migrate(void *priv, void *old_addr, void *new_addr)
{
	struct blk *b = priv;

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

static bool in_region(const void *addr)
{
	unsigned long pfn = resmem_virt_to_pfn(addr);

	return pfn >= base_pfn && pfn < base_pfn + region_pages;
}

static void fill_pattern(struct blk *b)
{
	unsigned int i;

	for (i = 0; i < BLOCK_BYTES / 8; i++)
		b->addr[i] = b->tag ^ (i * K);
}

static bool pattern_ok(const struct blk *b)
{
	unsigned int i;

	for (i = 0; i < BLOCK_BYTES / 8; i++)
		if (b->addr[i] != (b->tag ^ (i * K)))
			return false;
	return true;
}

/*
 * Armed: the n-th fault-injection point of this task fails and, with @on,
 * every one after it (make_it_fail, with the task filter at probability
 * 100): a retry inside the call fails too.
 */
static void arm(unsigned int n, bool on)
{
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = on;
	WRITE_ONCE(current->fail_nth, n);
#endif
}

/* Disarm; true when the armed fault was injected. */
static bool disarm(void)
{
#ifdef CONFIG_FAULT_INJECTION
	unsigned int left;

	current->make_it_fail = 0;
	left = READ_ONCE(current->fail_nth);
	WRITE_ONCE(current->fail_nth, 0);
	return !left;
#else
	return false;
#endif
}

static const char *mode(bool on)
{
	return on ? "from the n-th on" : "the n-th";
}

static void fail(const char *what, unsigned int n, long v)
{
	fails++;
	pr_err("FAIL: n=%u: %s (%ld)\n", n, what, v);
}

static void free_block(struct blk *b)
{
	if (b->m)
		resmem_free_movable(b->m);
	b->m = NULL;
	b->addr = NULL;
}

static bool new_block(struct blk *b)
{
	struct resmem_movable *m = resmem_alloc_movable(ORDER, NUMA_NO_NODE,
							&ops, b);

	if (IS_ERR(m))
		return false;
	b->m = m;
	b->addr = resmem_movable_addr(m);
	b->tag = next_tag++ * 0x100000001b3ULL;
	return true;
}

/* Every block of the region lent, all other memory free. */
static unsigned int refill(void)
{
	unsigned int i, kept = 0;

	for (i = 0; i < MAX_BLOCKS; i++)
		if (blks[i].addr && !blks[i].lost && !in_region(blks[i].addr))
			free_block(&blks[i]);
	for (i = 0; i < MAX_BLOCKS; i++) {
		if (blks[i].addr)
			continue;
		if (!new_block(&blks[i]))
			break;
		if (in_region(blks[i].addr))
			fill_pattern(&blks[i]);
	}
	for (i = 0; i < MAX_BLOCKS; i++) {
		if (blks[i].addr && !blks[i].lost && !in_region(blks[i].addr))
			free_block(&blks[i]);
		kept += blks[i].addr && !blks[i].lost;
	}
	return kept;
}

/* Every block where resmem says it is, with its pattern. */
static void check_blocks(unsigned int n)
{
	unsigned int i;
	void *p;

	for (i = 0; i < MAX_BLOCKS; i++) {
		struct blk *b = &blks[i];

		if (!b->m || b->lost)
			continue;
		p = resmem_pin(b->m);
		if (IS_ERR(p)) {
			fail("resmem_pin", n, PTR_ERR(p));
			continue;
		}
		resmem_unpin(b->m);
		if (p != b->addr) {
			b->lost = true;
			fail("resmem has the block elsewhere than its client (pfn of the client's)",
			     n, resmem_virt_to_pfn(b->addr));
			continue;
		}
		if (!pattern_ok(b))
			fail("a block's data changed", n, i);
	}
	if (bad_copies)
		fail("the migrate callback saw a wrong copy", n, bad_copies);
	bad_copies = 0;
}

static void check_buffer(void *buf, unsigned int n)
{
	if (!in_region(buf) || !in_region(buf + PFN_PHYS(count) - 1))
		fail("the buffer is outside the region", n,
		     resmem_virt_to_pfn(buf));
	else if (memchr_inv(buf, 0, PFN_PHYS(count)))
		fail("the buffer is not zeroed", n, 0);
}

static void drive_alloc_movable(bool on)
{
	unsigned int n, failed = 0;
	struct blk tmp = { 0 };
	bool consumed, got;

	for (n = 1; n <= MAX_N && !fails; n++) {
		arm(n, on);
		got = new_block(&tmp);
		consumed = disarm();
		if (!got) {
			failed++;
			if (!consumed)
				fail("resmem_alloc_movable failed without a fault",
				     n, 0);
			if (!new_block(&tmp)) {
				fail("resmem_alloc_movable: the next call fails",
				     n, 0);
				break;
			}
		}
		free_block(&tmp);
		if (!consumed)
			break;
	}
	if (!failed)
		fail("resmem_alloc_movable never failed: failslab/ignore-gfp-wait not N?",
		     n, 0);
	pr_info("resmem_alloc_movable, %s failing: %u fault points, %u failed the call\n",
		mode(on), n - 1, failed);
}

static void drive_takeback(bool on)
{
	unsigned int n, failed = 0, moved = 0, kept;
	bool consumed;
	void *buf;

	for (n = 1; n <= MAX_N && !fails; n++) {
		kept = refill();
		if (!kept) {
			fail("nothing lent in the region", n, 0);
			break;
		}
		migrations = 0;
		arm(n, on);
		buf = resmem_cma_alloc(region, count, 0);
		consumed = disarm();
		moved += migrations;
		check_blocks(n);
		if (IS_ERR(buf)) {
			failed++;
			if (!consumed)
				fail("resmem_cma_alloc failed without a fault", n,
				     PTR_ERR(buf));
			if (PTR_ERR(buf) != -ENOMEM && PTR_ERR(buf) != -EBUSY)
				fail("resmem_cma_alloc: not -ENOMEM or -EBUSY", n,
				     PTR_ERR(buf));
			buf = resmem_cma_alloc(region, count, 0);
			check_blocks(n);
			if (IS_ERR(buf)) {
				fail("resmem_cma_alloc: the next call fails", n,
				     PTR_ERR(buf));
				break;
			}
		}
		check_buffer(buf, n);
		resmem_cma_release(buf, count);
		if (!consumed)
			break;
	}
	if (!moved)
		fail("nothing was migrated", n, 0);
	pr_info("resmem_cma_alloc taking back %lu pages, %s failing: %u fault points, %u failed the call, %u blocks migrated\n",
		count, mode(on), n - 1, failed, moved);
}

static int __init faulttest_init(void)
{
	unsigned int i, lost = 0;
	void *buf;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION)) {
		pr_info("this kernel has no fault injection (CONFIG_FAULT_INJECTION)\n");
		return -EOPNOTSUPP;
	}
	if (!count || count > region_pages) {
		pr_err("count must be 1 to region_pages\n");
		return -EINVAL;
	}
	blks = kcalloc(MAX_BLOCKS, sizeof(*blks), GFP_KERNEL);
	if (!blks)
		return -ENOMEM;
	/* the whole region, while it is free, says where it is */
	buf = resmem_cma_alloc(region, region_pages, 0);
	if (IS_ERR(buf)) {
		pr_err("region '%s' of %lu free pages: %ld\n", region,
		       region_pages, PTR_ERR(buf));
		kfree(blks);
		return PTR_ERR(buf);
	}
	base_pfn = resmem_virt_to_pfn(buf);
	resmem_cma_release(buf, region_pages);

	drive_alloc_movable(false);
	drive_alloc_movable(true);
	drive_takeback(false);
	drive_takeback(true);

	for (i = 0; i < MAX_BLOCKS; i++) {
		lost += blks[i].lost;
		free_block(&blks[i]);
	}
	if (lost)
		pr_err("%u blocks were not where their client was\n", lost);
	kfree(blks);
	return fails ? -EIO : 0;
}

static void __exit faulttest_exit(void)
{
}

module_init(faulttest_init);
module_exit(faulttest_exit);

MODULE_DESCRIPTION("resmem selftest: the migration path under fault injection");
MODULE_LICENSE("GPL");
