// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: debugfs: statistics and maps
 *
 * /sys/kernel/debug/resmem/: statistics and maps for people and scripts.
 * The formats are documented in debugfs/README.md; keep the two in step.
 *
 * debugfs is optional: when it is missing or fails, resmem works without it
 * and GET_INFO does not report RESMEM_FEAT_DEBUGFS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <uapi/resmem.h>
#include <resmem/cma.h>
#include <resmem/resmem.h>
#include <resmem/vcompound.h>
#include <resmem/xcf_glue.h>

static int info_show(struct seq_file *m, void *v)
{
	const struct rm_region *rg = &resmem.region;
	u64 total = rm_region_total_pages(rg);
	u64 meta = rm_region_meta_pages(rg);
	/* percentage of managed memory, 4 decimals, in integer arithmetic */
	u64 pct = total ? div64_u64(meta * 1000000, total) : 0;
	unsigned int i, j;

	seq_printf(m, "version: %s\n", RESMEM_VERSION);
	seq_printf(m, "abi_version: %u\n", RESMEM_ABI_VERSION);
	seq_printf(m, "page_size: %lu\n", PAGE_SIZE);
	seq_printf(m, "nr_ranges: %u\n", resmem.nr_ranges);
	seq_printf(m, "nr_blocks: %u\n", rg->nr_blocks);
	seq_printf(m, "total_pages: %llu\n", total);
	seq_printf(m, "meta_pages: %llu\n", meta);
	seq_printf(m, "meta_bytes: %llu\n", rm_region_meta_bytes(rg));
	seq_printf(m, "meta_percent: %llu.%04llu\n", pct / 10000, pct % 10000);
	seq_printf(m, "max_order: %u\n", resmem.buddy.max_order);
	seq_printf(m, "pageblock_order: %u\n", RM_PAGEBLOCK_ORDER);

	seq_puts(m, "\nrange base               size               nodes\n");
	for (i = 0; i < resmem.nr_ranges; i++) {
		const struct rm_range_spec *r = &resmem.range[i].spec;
		const char *sep = "";

		seq_printf(m, "%-5u 0x%016llx 0x%016llx ", i, r->base,
			   r->size);
		for (j = 0; j < rg->nr_blocks; j++) {
			if (rg->block[j].range != i)
				continue;
			seq_printf(m, "%s%d", sep, rg->block[j].nid);
			sep = ",";
		}
		seq_putc(m, '\n');
	}

	seq_puts(m, "\nblock range base               size               node pages      meta_pages free_pages\n");
	for (j = 0; j < rg->nr_blocks; j++) {
		const struct rm_block *b = &rg->block[j];

		seq_printf(m, "%-5u %-5u 0x%016llx 0x%016llx %-4d %-10llu %-10llu %llu\n",
			   j, b->range, PFN_PHYS(b->base_pfn),
			   PFN_PHYS(b->nr_pages), b->nid, b->nr_pages,
			   b->meta_pages, b->free_pages);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(info);

/**
 * resmem_debugfs_counts - print "name: c0 c1 ..." up to the last non-zero
 * @m: the seq_file
 * @name: the key
 * @h: counts (a log2 histogram, or one count per order)
 * @n: entries in @h; at least the first is printed
 */
void resmem_debugfs_counts(struct seq_file *m, const char *name,
			   const u64 *h, unsigned int n)
{
	unsigned int i, last = 0;

	for (i = 0; i < n; i++)
		if (h[i])
			last = i;
	seq_printf(m, "%s:", name);
	for (i = 0; i <= last; i++)
		seq_printf(m, " %llu", h[i]);
	seq_putc(m, '\n');
}

/**
 * resmem_debugfs_hists - print log2 histograms, one line each
 * @m: the seq_file
 * @h: the histograms (RM_HIST_BUCKETS counts each) and their keys
 * @n: entries in @h
 *
 * A comment line says what the buckets hold, then each histogram is
 * printed as resmem_debugfs_counts() prints counts.
 *
 * Context: process context (a seq_file show function).
 */
void resmem_debugfs_hists(struct seq_file *m,
			  const struct resmem_debugfs_hist *h, unsigned int n)
{
	unsigned int i;

	seq_puts(m, "# histograms: bucket 0 counts 0, bucket i counts [2^(i-1), 2^i)\n");
	for (i = 0; i < n; i++)
		resmem_debugfs_counts(m, h[i].name, h[i].counts,
				      RM_HIST_BUCKETS);
}

/**
 * resmem_debugfs_stats_note - the first line of every statistics file
 * @m: the seq_file
 *
 * Prints nothing in the default build.  Built with RESMEM_STATS=n, says in
 * one comment line that the counters and histograms that follow read 0
 * (the state lines, such as free_pages, still hold).
 *
 * Context: process context (a seq_file show function).
 */
void resmem_debugfs_stats_note(struct seq_file *m)
{
	if (!rm_stats_enabled())
		seq_puts(m, "# statistics compiled out (RESMEM_STATS=n): counters and histograms read 0\n");
}

/**
 * resmem_debugfs_open_scratch - single_open() with zeroed scratch memory
 * @file: the file being opened
 * @show: the show function; m->private is the scratch
 * @size: bytes of scratch (for snapshots too large for the stack)
 *
 * Pair with resmem_debugfs_release_scratch().
 *
 * Return: 0 or a negative errno.
 */
int resmem_debugfs_open_scratch(struct file *file,
				int (*show)(struct seq_file *, void *),
				size_t size)
{
	void *scratch = kzalloc(size, GFP_KERNEL);
	int ret;

	if (!scratch)
		return -ENOMEM;
	ret = single_open(file, show, scratch);
	if (ret)
		kfree(scratch);
	return ret;
}

/**
 * resmem_debugfs_release_scratch - release a resmem_debugfs_open_scratch()
 * @inode: the inode
 * @file: the file
 *
 * Return: 0.
 */
int resmem_debugfs_release_scratch(struct inode *inode, struct file *file)
{
	kfree(((struct seq_file *)file->private_data)->private);
	return single_release(inode, file);
}

/**
 * resmem_debugfs_init - create /sys/kernel/debug/resmem and its files
 *
 * Failure is not fatal: resmem.debugfs stays NULL.
 */
void resmem_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);

	if (IS_ERR_OR_NULL(dir)) {
		pr_notice("debugfs unavailable, statistics not exported\n");
		return;
	}
	resmem.debugfs = dir;
	debugfs_create_file("info", 0400, dir, NULL, &info_fops);
	resmem_debugfs_buddy_init(dir);
	resmem_debugfs_memarea_init(dir);
	resmem_debugfs_vcompound_init(dir);
	resmem_debugfs_cma_init(dir);
	resmem_debugfs_xcf_init(dir);
}

/**
 * resmem_debugfs_exit - remove /sys/kernel/debug/resmem
 */
void resmem_debugfs_exit(void)
{
	resmem_debugfs_cma_exit();
	debugfs_remove_recursive(resmem.debugfs);
	resmem.debugfs = NULL;
}
