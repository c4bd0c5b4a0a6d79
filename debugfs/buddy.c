// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: debugfs views of the buddy allocator
 *
 * debugfs views of the buddy allocator: buddyinfo, pagetypeinfo,
 * extfrag_index, unusable_index, fragmap and stats.  Formats follow the
 * kernel's files of the same names (mm/vmstat.c) with one row per block,
 * that is per range and node: "Node N, zone rangeR".  debugfs/README.md
 * documents each.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <resmem/resmem.h>

static const char * const mt_names[RM_MT_TYPES] = {
	[RM_MT_UNMOVABLE] = "Unmovable",
	[RM_MT_MOVABLE] = "Movable",
	[RM_MT_CMA] = "CMA",
	[RM_MT_ISOLATE] = "Isolate",
};

/* "range0": the zone name of block @i in every table. */
static void zone_name(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "range%u", resmem.region.block[i].range);
}

/* Free blocks per order of zone @i, all migratetypes summed. */
static void zone_free_by_order(unsigned int i, struct rm_zone_counts *c,
			       u64 *by_order)
{
	rm_zone_snapshot(&resmem.buddy.zone[i], c);
	rm_free_by_order(c, by_order);
}

/*
 * Each show function snapshots one zone at a time into this, allocated per
 * open, as the counts are too large for the stack.
 */
struct zone_scratch {
	struct rm_zone_counts c;
	u64 by_order[RM_MAX_ORDER_LIMIT + 1];
};

#define DEFINE_SCRATCH_ATTRIBUTE(__name)				\
	DEFINE_RESMEM_SCRATCH_ATTRIBUTE(__name, sizeof(struct zone_scratch))

static int buddyinfo_show(struct seq_file *m, void *v)
{
	struct zone_scratch *z = m->private;
	unsigned int i, o;
	char name[16];

	for (i = 0; i < resmem.buddy.nr_zones; i++) {
		zone_free_by_order(i, &z->c, z->by_order);
		zone_name(name, sizeof(name), i);
		seq_printf(m, "Node %d, zone %8s ", resmem.region.block[i].nid,
			   name);
		for (o = 0; o <= resmem.buddy.max_order; o++)
			seq_printf(m, "%6llu ", z->by_order[o]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SCRATCH_ATTRIBUTE(buddyinfo);

static int pagetypeinfo_show(struct seq_file *m, void *v)
{
	struct zone_scratch *z = m->private;
	unsigned int i, o, mt, max = resmem.buddy.max_order;
	char name[16];

	seq_printf(m, "Page block order: %d\n", RM_PAGEBLOCK_ORDER);
	seq_printf(m, "Pages per block:  %lu\n\n", RM_PAGEBLOCK_NR);
	seq_printf(m, "%-43s ", "Free pages count per migrate type at order");
	for (o = 0; o <= max; o++)
		seq_printf(m, "%6u ", o);
	seq_putc(m, '\n');
	for (i = 0; i < resmem.buddy.nr_zones; i++) {
		rm_zone_snapshot(&resmem.buddy.zone[i], &z->c);
		zone_name(name, sizeof(name), i);
		for (mt = 0; mt < RM_MT_TYPES; mt++) {
			seq_printf(m, "Node %4d, zone %8s, type %12s ",
				   resmem.region.block[i].nid, name,
				   mt_names[mt]);
			for (o = 0; o <= max; o++)
				seq_printf(m, "%6llu ", z->c.nr_free[o][mt]);
			seq_putc(m, '\n');
		}
	}
	seq_printf(m, "\n%-23s", "Number of blocks type ");
	for (mt = 0; mt < RM_MT_TYPES; mt++)
		seq_printf(m, "%12s ", mt_names[mt]);
	seq_putc(m, '\n');
	for (i = 0; i < resmem.buddy.nr_zones; i++) {
		rm_zone_snapshot(&resmem.buddy.zone[i], &z->c);
		zone_name(name, sizeof(name), i);
		seq_printf(m, "Node %d, zone %8s ", resmem.region.block[i].nid,
			   name);
		for (mt = 0; mt < RM_MT_TYPES; mt++)
			seq_printf(m, "%12llu ", z->c.pageblocks[mt]);
		seq_putc(m, '\n');
	}
	return 0;
}
DEFINE_SCRATCH_ATTRIBUTE(pagetypeinfo);

/* One row per zone of an index in thousandths, as "-1.000" or "0.917". */
static void index_rows(struct seq_file *m, struct zone_scratch *z,
		       int (*index)(const u64 *, unsigned int, unsigned int))
{
	unsigned int i, o, max = resmem.buddy.max_order;
	char name[16], text[16];

	for (i = 0; i < resmem.buddy.nr_zones; i++) {
		zone_free_by_order(i, &z->c, z->by_order);
		zone_name(name, sizeof(name), i);
		seq_printf(m, "Node %d, zone %8s ", resmem.region.block[i].nid,
			   name);
		for (o = 0; o <= max; o++) {
			rm_index_text(text, sizeof(text),
				      index(z->by_order, max + 1, o));
			seq_printf(m, "%s ", text);
		}
		seq_putc(m, '\n');
	}
}

static int extfrag_index_show(struct seq_file *m, void *v)
{
	index_rows(m, m->private, rm_extfrag_index);
	return 0;
}
DEFINE_SCRATCH_ATTRIBUTE(extfrag_index);

static int unusable_index_show(struct seq_file *m, void *v)
{
	index_rows(m, m->private, rm_unusable_index);
	return 0;
}
DEFINE_SCRATCH_ATTRIBUTE(unusable_index);

/*
 * fragmap: at most FRAGMAP_CHARS characters for all blocks together, so a
 * 16 GiB range still fits on about two screens (one char per pageblock),
 * FRAGMAP_LINE per line.
 */
#define FRAGMAP_CHARS	8192
#define FRAGMAP_LINE	64

static int fragmap_show(struct seq_file *m, void *v)
{
	const struct rm_region *rg = &resmem.region;
	u64 scale = rm_fragmap_scale(rm_region_total_pages(rg), FRAGMAP_CHARS);
	unsigned int i, col;
	u64 idx, n;

	seq_puts(m, "# resmem fragmap\n");
	seq_printf(m, "# scale: 1 char = %llu pages (%llu KiB), %u chars per line\n",
		   scale, scale * PAGE_SIZE / 1024, FRAGMAP_LINE);
	seq_puts(m, "# legend: . free  , free in a CMA pageblock  I free in an isolated pageblock\n");
	seq_puts(m, "# legend: M metadata  p per-CPU cache  U unmovable  m movable  A memarea\n");
	seq_puts(m, "# legend: C cma  l lent (movable in a CMA pageblock)  V vcompound  X xcf  S lent to the system\n");
	seq_puts(m, "# legend: 1-9 mixed, that many tenths free  # mixed, none free\n");
	for (i = 0; i < rg->nr_blocks; i++) {
		const struct rm_block *b = &rg->block[i];

		seq_printf(m, "block %u range %u node %d [mem 0x%016llx-0x%016llx] %llu pages\n",
			   i, b->range, b->nid, PFN_PHYS(b->base_pfn),
			   PFN_PHYS(b->base_pfn + b->nr_pages) - 1, b->nr_pages);
		for (idx = 0, col = 0; idx < b->nr_pages; idx += n, col++) {
			n = min(scale, b->nr_pages - idx);
			if (col == FRAGMAP_LINE) {
				seq_putc(m, '\n');
				col = 0;
			}
			if (!col)
				seq_printf(m, "0x%016llx ",
					   PFN_PHYS(b->base_pfn + idx));
			seq_putc(m, rm_group_class(b, idx, n));
		}
		seq_putc(m, '\n');
		cond_resched();
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fragmap);

static int stats_show(struct seq_file *m, void *v)
{
	struct rm_buddy_stats st;

	rm_buddy_stats(&resmem.buddy, &st);
	resmem_debugfs_stats_note(m);
	seq_printf(m, "allocations: %llu\n", st.allocations);
	seq_printf(m, "frees: %llu\n", st.frees);
	seq_printf(m, "failures: %llu\n", st.failures);
	seq_printf(m, "pcp_hits: %llu\n", st.pcp_hits);
	seq_printf(m, "pcp_refills: %llu\n", st.pcp_refills);
	seq_printf(m, "pcp_spills: %llu\n", st.pcp_spills);
	seq_printf(m, "pcp_drains: %llu\n", st.pcp_drains);
	seq_printf(m, "pageblocks_stolen: %llu\n", st.pageblocks_stolen);
	seq_printf(m, "free_pages: %llu\n", st.free_pages);
	seq_printf(m, "pcp_pages: %llu\n", st.pcp_pages);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/**
 * resmem_debugfs_buddy_init - the buddy's files in @dir
 * @dir: /sys/kernel/debug/resmem
 */
void resmem_debugfs_buddy_init(struct dentry *dir)
{
	debugfs_create_file("buddyinfo", 0400, dir, NULL, &buddyinfo_fops);
	debugfs_create_file("pagetypeinfo", 0400, dir, NULL,
			    &pagetypeinfo_fops);
	debugfs_create_file("extfrag_index", 0400, dir, NULL,
			    &extfrag_index_fops);
	debugfs_create_file("unusable_index", 0400, dir, NULL,
			    &unusable_index_fops);
	debugfs_create_file("fragmap", 0400, dir, NULL, &fragmap_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &stats_fops);
}

static int memarea_stats_show(struct seq_file *m, void *v)
{
	struct rm_memarea_stats *st = m->private;
	const struct resmem_debugfs_hist h[] = {
		{ "words_hist", st->words_hist },
		{ "summaries_hist", st->summaries_hist },
		{ "latency_ns_hist", st->latency_hist },
	};

	rm_memarea_stats(&resmem.memarea, st);
	resmem_debugfs_stats_note(m);
	seq_printf(m, "requests: %llu\n", st->requests);
	seq_printf(m, "successes: %llu\n", st->successes);
	seq_printf(m, "failures: %llu\n", st->failures);
	seq_printf(m, "fragmentation_failures: %llu\n", st->frag_failures);
	seq_printf(m, "frees: %llu\n", st->frees);
	seq_printf(m, "pages: %llu\n", st->pages);
	seq_printf(m, "words_visited: %llu\n", st->words);
	seq_printf(m, "summaries_visited: %llu\n", st->summaries);
	resmem_debugfs_hists(m, h, ARRAY_SIZE(h));
	return 0;
}
DEFINE_RESMEM_SCRATCH_ATTRIBUTE(memarea_stats,
				sizeof(struct rm_memarea_stats));

/**
 * resmem_debugfs_memarea_init - memarea/ in @dir
 * @dir: /sys/kernel/debug/resmem
 */
void resmem_debugfs_memarea_init(struct dentry *dir)
{
	struct dentry *d = debugfs_create_dir("memarea", dir);

	debugfs_create_file("stats", 0400, d, NULL, &memarea_stats_fops);
}
