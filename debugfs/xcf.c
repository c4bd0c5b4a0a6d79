// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: debugfs xcf/
 *
 * debugfs xcf/: the pools of src/xcf.c.
 *
 *	xcf/stats		every live pool (pages held, of which object
 *				and table pages, live handles, vpages,
 *				compaction runs that moved an object, objects
 *				moved, vpages per-CPU heaps gave back), then
 *				counters of all pools since load and the log2
 *				histogram of nanoseconds per malloc
 *	xcf/<pool>/classes	per class, in the columns of zsmalloc's
 *				debugfs "classes" (mm/zsmalloc.c), its
 *				fullness groups left out and pages_per_zspage
 *				named pages_per_vpage; then a Total line
 *	xcf/<pool>/compact	write anything: resmem_xcf_compact()
 *
 * Every number comes from rm_xcf_stats(), which reads each heap under its
 * lock: the sums are not of one instant while the pool is in use.  The
 * per-pool files are removed (debugfs_remove_recursive(), which waits for
 * their readers and writers) before the pool is freed, so their pool
 * pointer stays valid while a file operation runs; xcf/stats walks the
 * pools under xcf_lock, which a destroy takes to unlist its pool before
 * removing its files.  debugfs/README.md documents the formats.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <resmem/api.h>
#include <resmem/resmem.h>
#include <resmem/xcf.h>
#include <resmem/xcf_glue.h>

static struct dentry *xcf_dir;

/**
 * struct xcf_classes_scratch - one read of xcf/<pool>/classes
 * @pool:	the pool
 * @ps:		its totals
 * @cs:		one entry per class
 */
struct xcf_classes_scratch {
	struct resmem_xcf_pool *pool;
	struct rm_xcf_pool_stats ps;
	struct rm_xcf_class_stats cs[];
};

static int xcf_classes_show(struct seq_file *m, void *v)
{
	struct xcf_classes_scratch *sc = m->private;
	u64 objs = 0, used = 0, pages = 0, freeable = 0;
	unsigned int k, n = sc->pool->core->nr_classes;

	rm_xcf_stats(sc->pool->core, &sc->ps, sc->cs);
	seq_printf(m, " %5s %5s %13s %10s %10s %15s %8s\n", "class", "size",
		   "obj_allocated", "obj_used", "pages_used", "pages_per_vpage",
		   "freeable");
	for (k = 0; k < n; k++) {
		const struct rm_xcf_class_stats *c = &sc->cs[k];

		seq_printf(m, " %5u %5u %13llu %10llu %10llu %15u %8llu\n", k,
			   c->size, c->objects, c->used, c->pages,
			   c->pages_per_vpage, c->freeable);
		objs += c->objects;
		used += c->used;
		pages += c->pages;
		freeable += c->freeable;
	}
	seq_puts(m, "\n");
	seq_printf(m, " %5s %5s %13llu %10llu %10llu %15s %8llu\n", "Total", "",
		   objs, used, pages, "", freeable);
	return 0;
}

static int xcf_classes_open(struct inode *inode, struct file *file)
{
	struct resmem_xcf_pool *pool = inode->i_private;
	struct xcf_classes_scratch *sc;
	int ret;

	sc = kzalloc(struct_size(sc, cs, pool->core->nr_classes), GFP_KERNEL);
	if (!sc)
		return -ENOMEM;
	sc->pool = pool;
	ret = single_open(file, xcf_classes_show, sc);
	if (ret)
		kfree(sc);
	return ret;
}

static const struct file_operations xcf_classes_fops = {
	.owner = THIS_MODULE,
	.open = xcf_classes_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = resmem_debugfs_release_scratch,
};

static ssize_t xcf_compact_write(struct file *file, const char __user *buf,
				 size_t len, loff_t *ppos)
{
	resmem_xcf_compact(file_inode(file)->i_private);
	return len;
}

static const struct file_operations xcf_compact_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = xcf_compact_write,
	.llseek = noop_llseek,
};

static void xcf_stats_pool(struct resmem_xcf_pool *pool, void *arg)
{
	struct seq_file *m = arg;
	struct rm_xcf_pool_stats ps;

	rm_xcf_stats(pool->core, &ps, NULL);
	seq_printf(m, "%-16s %10llu %10llu %10llu %10llu %10llu %11llu %10llu %10llu\n",
		   pool->name, ps.pages, ps.data_pages, ps.meta_pages,
		   ps.handles, ps.vpages, ps.compactions, ps.moved,
		   ps.returns);
}

static void xcf_count_pool(struct resmem_xcf_pool *pool, void *arg)
{
	(*(unsigned int *)arg)++;
}

static int xcf_stats_show(struct seq_file *m, void *v)
{
	struct resmem_xcf_stats *st = m->private;
	const struct resmem_debugfs_hist h[] = {
		{ "malloc_latency_ns_hist", st->malloc_ns_hist },
	};
	unsigned int pools = 0;

	resmem_debugfs_stats_note(m);
	resmem_xcf_walk_pools(xcf_count_pool, &pools);
	seq_printf(m, "pools: %u\n", pools);
	seq_printf(m, "zpool_registered: %d\n", resmem_xcf_zpool_registered());
	seq_printf(m, "%-16s %10s %10s %10s %10s %10s %11s %10s %10s\n",
		   "pool", "pages", "data_pages", "meta_pages", "handles",
		   "vpages", "compactions", "moved", "returns");
	resmem_xcf_walk_pools(xcf_stats_pool, m);
	resmem_xcf_stats(st);
	seq_printf(m, "mallocs: %llu\n", st->mallocs);
	seq_printf(m, "malloc_failures: %llu\n", st->malloc_failures);
	seq_printf(m, "maps: %llu\n", st->maps);
	seq_printf(m, "map_copies: %llu\n", st->map_copies);
	seq_printf(m, "compact_calls: %llu\n", st->compact_calls);
	seq_printf(m, "compact_freed: %llu\n", st->compact_freed);
	resmem_debugfs_hists(m, h, ARRAY_SIZE(h));
	return 0;
}
DEFINE_RESMEM_SCRATCH_ATTRIBUTE(xcf_stats, sizeof(struct resmem_xcf_stats));

/**
 * resmem_debugfs_xcf_init - xcf/ and xcf/stats in @dir
 * @dir: /sys/kernel/debug/resmem
 *
 * Context: module init, process context.
 */
void resmem_debugfs_xcf_init(struct dentry *dir)
{
	xcf_dir = debugfs_create_dir("xcf", dir);
	debugfs_create_file("stats", 0400, xcf_dir, NULL, &xcf_stats_fops);
}

/**
 * resmem_debugfs_xcf_pool_add - xcf/<name>/ of a new pool
 * @pool: the pool, its @dir set here (NULL without debugfs)
 *
 * Context: process context, under xcf_lock (names are unique there).
 */
void resmem_debugfs_xcf_pool_add(struct resmem_xcf_pool *pool)
{
	struct dentry *d;

	if (IS_ERR_OR_NULL(xcf_dir))
		return;
	d = debugfs_create_dir(pool->name, xcf_dir);
	if (IS_ERR(d))
		return;
	pool->dir = d;
	debugfs_create_file("classes", 0400, d, pool, &xcf_classes_fops);
	debugfs_create_file("compact", 0200, d, pool, &xcf_compact_fops);
}
