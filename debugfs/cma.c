// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: debugfs cma/
 *
 * /sys/kernel/debug/resmem/cma/<name>/: one directory per CMA region, as
 * mm/cma_debug.c has for the kernel's.  Read-only files:
 *
 *	count, used, maxchunk, lent: pages (rm_cma_usage()); for a region
 *		lent to the system, lent is the pages the system holds
 *	base_pfn, node: where it is
 *	bitmap: the buffer bitmap, one hexadecimal word per line group
 *	stats: the counters and the latency histogram
 *	lent_to_system: yes or no
 *	system: for a region lent to the system: its memory blocks and their
 *		zones, the pages the system holds, where its struct pages are
 *		and what they cost, the node's ZONE_MOVABLE counters, and the
 *		take-back counters and latency (src/lend.c)
 *
 * and two write-only files for quick tests: "echo N > alloc" takes a
 * buffer of N pages, "echo N > free" releases N pages' worth of buffers so
 * taken, newest first (splitting none: a buffer larger than what is left to
 * free stays).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/vmstat.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <resmem/cma.h>
#include <resmem/resmem.h>

static struct dentry *cma_dir;

/* Buffers taken through the alloc files. */
static LIST_HEAD(dbg_bufs);
static DEFINE_MUTEX(dbg_lock);

struct dbg_buf {
	struct list_head node;
	struct resmem_cma *r;
	u64 pfn;
	u64 count;
};

static int usage_get(void *data, u64 *val, unsigned int what)
{
	struct resmem_cma *r = data;
	struct rm_cma_usage u;

	rm_cma_usage(&r->c, &u);
	switch (what) {
	case 0:
		*val = r->c.count;
		break;
	case 1:
		*val = u.used;
		break;
	case 2:
		*val = u.maxchunk;
		break;
	case 3:
		*val = u.lent;
		if (r->c.system) {
			struct resmem_lend_usage lu;

			resmem_lend_usage(r, &lu);
			*val = lu.held;
		}
		break;
	default:
		*val = u.free;
		break;
	}
	return 0;
}

static int count_get(void *data, u64 *val)
{
	return usage_get(data, val, 0);
}
DEFINE_DEBUGFS_ATTRIBUTE(count_fops, count_get, NULL, "%llu\n");

static int used_get(void *data, u64 *val)
{
	return usage_get(data, val, 1);
}
DEFINE_DEBUGFS_ATTRIBUTE(used_fops, used_get, NULL, "%llu\n");

static int maxchunk_get(void *data, u64 *val)
{
	return usage_get(data, val, 2);
}
DEFINE_DEBUGFS_ATTRIBUTE(maxchunk_fops, maxchunk_get, NULL, "%llu\n");

static int lent_get(void *data, u64 *val)
{
	return usage_get(data, val, 3);
}
DEFINE_DEBUGFS_ATTRIBUTE(lent_fops, lent_get, NULL, "%llu\n");

static int base_pfn_get(void *data, u64 *val)
{
	*val = ((struct resmem_cma *)data)->c.base_pfn;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(base_pfn_fops, base_pfn_get, NULL, "%llu\n");

static int node_get(void *data, u64 *val)
{
	*val = ((struct resmem_cma *)data)->nid;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(node_fops, node_get, NULL, "%llu\n");

static int bitmap_show(struct seq_file *m, void *v)
{
	struct resmem_cma *r = m->private;
	u64 i, n = BITS_TO_LONGS(r->c.count);

	for (i = 0; i < n; i++)
		seq_printf(m, "%0*lx%c", (int)(BITS_PER_LONG / 4),
			   READ_ONCE(r->c.bitmap[i]), (i % 4 == 3 || i == n - 1) ?
			   '\n' : ' ');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bitmap);

static int stats_show(struct seq_file *m, void *v)
{
	struct resmem_cma *r = m->private;
	const struct rm_cma_stats *st = &r->c.st;
	const struct resmem_debugfs_hist h[] = {
		{ "latency_ns_hist", r->st.latency_hist },
	};

	resmem_debugfs_stats_note(m);
	seq_printf(m, "attempts: %llu\n", READ_ONCE(st->attempts));
	seq_printf(m, "successes: %llu\n", READ_ONCE(st->successes));
	seq_printf(m, "failures: %llu\n", READ_ONCE(st->failures));
	seq_printf(m, "migrated: %llu\n", READ_ONCE(st->migrated));
	seq_printf(m, "migrate_failures: %llu\n",
		   READ_ONCE(st->migrate_failures));
	seq_printf(m, "retries: %llu\n", READ_ONCE(st->retries));
	seq_printf(m, "move_busy: %llu\n", READ_ONCE(r->st.move_busy));
	seq_printf(m, "move_enomem: %llu\n", READ_ONCE(r->st.move_enomem));
	seq_printf(m, "move_gone: %llu\n", READ_ONCE(r->st.move_gone));
	seq_printf(m, "buffers: %d\n", atomic_read(&r->nr_allocs));
	resmem_debugfs_hists(m, h, ARRAY_SIZE(h));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int lent_to_system_show(struct seq_file *m, void *v)
{
	struct resmem_cma *r = m->private;

	seq_printf(m, "%s\n", r->c.system ? "yes" : "no");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lent_to_system);

static void system_memmap(struct seq_file *m, struct resmem_cma *r)
{
	u64 pages = r->c.memmap;

	if (pages) {
		seq_printf(m, "memmap: in the region, %llu pages (%llu.%02llu%%), at the start of each memory block\n",
			   pages, pages * 100 / r->c.count,
			   pages * 10000 / r->c.count % 100);
		return;
	}
	pages = DIV_ROUND_UP(r->c.count * sizeof(struct page), PAGE_SIZE);
	seq_printf(m, "memmap: in other memory (memory_hotplug.memmap_on_memory off or not possible), %llu pages (%llu.%02llu%% of the region)\n",
		   pages, pages * 100 / r->c.count,
		   pages * 10000 / r->c.count % 100);
}

static int system_show(struct seq_file *m, void *v)
{
	struct resmem_cma *r = m->private;
	const struct resmem_lend_stats *st = &r->lst;
	const struct resmem_debugfs_hist h[] = {
		{ "take_back_latency_ns_hist", r->lst.latency_hist },
	};
	struct resmem_lend_usage u;
	struct zone *z;

	if (!r->c.system) {
		seq_puts(m, "lent_to_system: no\n");
		return 0;
	}
	resmem_lend_usage(r, &u);
	seq_puts(m, "lent_to_system: yes\n");
	seq_printf(m, "memory_block_bytes: %lu\n", memory_block_size_bytes());
	seq_printf(m, "first_block: %llu\nblocks: %llu\n",
		   PFN_PHYS(r->c.base_pfn) / memory_block_size_bytes(),
		   PFN_PHYS(r->c.count) / memory_block_size_bytes());
	seq_printf(m, "pages_offline: %llu\npages_movable: %llu\npages_kernel_zone: %llu\n",
		   u.offline, u.movable, u.kernel);
	seq_printf(m, "pages_system_holds: %llu\npages_taken_back: %llu\n",
		   u.held, READ_ONCE(r->c.st.used));
	system_memmap(m, r);
	z = &NODE_DATA(r->nid)->node_zones[ZONE_MOVABLE];
	seq_printf(m, "node_movable_managed: %lu\nnode_movable_free: %lu\n",
		   zone_managed_pages(z), zone_page_state(z, NR_FREE_PAGES));
	resmem_debugfs_stats_note(m);
	seq_printf(m, "take_back_attempts: %llu\n", READ_ONCE(st->attempts));
	seq_printf(m, "take_back_successes: %llu\n", READ_ONCE(st->taken));
	seq_printf(m, "take_back_failures: %llu\n", READ_ONCE(st->busy));
	seq_printf(m, "migrated_pages: %llu\n", READ_ONCE(st->migrated));
	seq_printf(m, "take_back_rewalks: %llu\n", READ_ONCE(st->rewalks));
	seq_printf(m, "take_back_rewalk_successes: %llu\n",
		   READ_ONCE(st->rewalk_successes));
	seq_printf(m, "unlend_failures: %llu\n",
		   READ_ONCE(st->unlend_failures));
	seq_printf(m, "keep_ms: %u\n", resmem_lend_keep_ms());
	seq_printf(m, "pages_kept: %llu\n",
		   READ_ONCE(r->c.nr_kept) + READ_ONCE(r->c.nr_giving));
	seq_printf(m, "kept_releases: %llu\n", READ_ONCE(r->c.st.keeps));
	seq_printf(m, "kept_takes: %llu\n", READ_ONCE(st->kept_takes));
	seq_printf(m, "kept_pages_given_back: %llu\n",
		   READ_ONCE(r->c.st.gave_back));
	seq_printf(m, "kept_given_back_before_walk: %llu\n",
		   READ_ONCE(st->gave_back_walk));
	seq_printf(m, "kept_given_back_shrinker: %llu\n",
		   READ_ONCE(st->gave_back_shrinker));
	seq_printf(m, "kept_given_back_idle: %llu\n",
		   READ_ONCE(st->gave_back_idle));
	resmem_debugfs_hists(m, h, ARRAY_SIZE(h));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(system);

static ssize_t alloc_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	struct resmem_cma *r = file_inode(file)->i_private;
	struct dbg_buf *d;
	int err = 0;
	u64 count;
	int ret;

	ret = kstrtou64_from_user(ubuf, len, 0, &count);
	if (ret)
		return ret;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->pfn = resmem_cma_alloc_id(r->id, count, 0, &d->r, &err);
	if (d->pfn == RM_NO_PFN) {
		kfree(d);
		return err;
	}
	d->count = count;
	mutex_lock(&dbg_lock);
	list_add(&d->node, &dbg_bufs);
	mutex_unlock(&dbg_lock);
	return len;
}

static const struct file_operations alloc_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = alloc_write,
};

/* Release up to @count pages of @r's debugfs buffers (all: U64_MAX). */
static void dbg_free(struct resmem_cma *r, u64 count)
{
	struct dbg_buf *d, *tmp;

	mutex_lock(&dbg_lock);
	list_for_each_entry_safe(d, tmp, &dbg_bufs, node) {
		if (d->r != r || d->count > count)
			continue;
		count -= d->count;
		resmem_cma_release_pfn(r, d->pfn, d->count);
		list_del(&d->node);
		kfree(d);
	}
	mutex_unlock(&dbg_lock);
}

static ssize_t free_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	struct resmem_cma *r = file_inode(file)->i_private;
	u64 count;
	int ret;

	ret = kstrtou64_from_user(ubuf, len, 0, &count);
	if (ret)
		return ret;
	dbg_free(r, count);
	return len;
}

static const struct file_operations free_write_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = free_write,
};

/**
 * resmem_debugfs_cma_add - the directory of a new region
 * @r: the region
 */
void resmem_debugfs_cma_add(struct resmem_cma *r)
{
	struct dentry *d;

	if (!cma_dir)
		return;
	d = debugfs_create_dir(r->c.name, cma_dir);
	if (IS_ERR_OR_NULL(d))
		return;
	r->dir = d;
	debugfs_create_file("count", 0400, d, r, &count_fops);
	debugfs_create_file("used", 0400, d, r, &used_fops);
	debugfs_create_file("maxchunk", 0400, d, r, &maxchunk_fops);
	debugfs_create_file("lent", 0400, d, r, &lent_fops);
	debugfs_create_file("base_pfn", 0400, d, r, &base_pfn_fops);
	debugfs_create_file("node", 0400, d, r, &node_fops);
	debugfs_create_file("bitmap", 0400, d, r, &bitmap_fops);
	debugfs_create_file("stats", 0400, d, r, &stats_fops);
	debugfs_create_file("alloc", 0200, d, r, &alloc_fops);
	debugfs_create_file("free", 0200, d, r, &free_write_fops);
	debugfs_create_file("lent_to_system", 0400, d, r,
			    &lent_to_system_fops);
	debugfs_create_file("system", 0400, d, r, &system_fops);
}

/**
 * resmem_debugfs_cma_remove - remove a region's directory
 * @dir: the directory (the region's dir, taken out of it), or NULL
 *
 * Waits for its files' readers and writers: call it with no lock held
 * that the alloc file takes.
 */
void resmem_debugfs_cma_remove(struct dentry *dir)
{
	debugfs_remove_recursive(dir);
}

/**
 * resmem_debugfs_cma_drop - release the buffers the alloc file took
 * @r: the region
 */
void resmem_debugfs_cma_drop(struct resmem_cma *r)
{
	dbg_free(r, U64_MAX);
}

static void add_one(struct resmem_cma *r, void *arg)
{
	resmem_debugfs_cma_add(r);
}

/**
 * resmem_debugfs_cma_init - cma/ in @dir, with the regions made so far
 * @dir: /sys/kernel/debug/resmem
 */
void resmem_debugfs_cma_init(struct dentry *dir)
{
	struct dentry *d = debugfs_create_dir("cma", dir);

	if (IS_ERR_OR_NULL(d))
		return;
	cma_dir = d;
	resmem_cma_for_each(add_one, NULL);
}

static void forget_one(struct resmem_cma *r, void *arg)
{
	r->dir = NULL;
}

/**
 * resmem_debugfs_cma_exit - forget the directories before debugfs goes
 */
void resmem_debugfs_cma_exit(void)
{
	resmem_cma_for_each(forget_one, NULL);
	cma_dir = NULL;
}
