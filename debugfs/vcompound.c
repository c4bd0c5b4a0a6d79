// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: debugfs vcompound/
 *
 * debugfs vcompound/: stats (counters, requests per order, pieces per
 * fallback and latency of each path) and vfallback_always (the switch that
 * forces the fallback, the same variable as the module parameter).
 * debugfs/README.md documents both.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <resmem/api.h>
#include <resmem/resmem.h>
#include <resmem/vcompound.h>

static int vc_stats_show(struct seq_file *m, void *v)
{
	struct resmem_vc_stats *st = m->private;
	const struct resmem_debugfs_hist h[] = {
		{ "pieces_hist", st->pieces_hist },
		{ "contiguous_latency_ns_hist", st->contig_ns_hist },
		{ "fallback_latency_ns_hist", st->fallback_ns_hist },
	};
	unsigned int o;
	u64 requests = 0;

	resmem_vc_stats(st);
	resmem_debugfs_stats_note(m);
	for (o = 0; o <= RM_VC_ORDER_LIMIT; o++)
		requests += st->requests[o];
	seq_printf(m, "max_order: %u\n", resmem_vcompound_max_order());
	seq_printf(m, "vfallback_always: %d\n",
		   READ_ONCE(resmem_vfallback_always));
	seq_printf(m, "requests: %llu\n", requests);
	seq_printf(m, "contiguous: %llu\n", st->contiguous);
	seq_printf(m, "fallback: %llu\n", st->fallback);
	seq_printf(m, "fallback_forced: %llu\n", st->forced);
	seq_printf(m, "fallback_above_max_order: %llu\n", st->above_max);
	seq_printf(m, "failures: %llu\n", st->failures);
	seq_printf(m, "atomic_failures: %llu\n", st->atomic_failures);
	seq_printf(m, "mixed_retries: %llu\n", st->mixed);
	seq_printf(m, "frees_contiguous: %llu\n", st->frees_contiguous);
	seq_printf(m, "frees_fallback: %llu\n", st->frees_fallback);
	seq_printf(m, "pieces: %llu\n", st->pieces);
	seq_printf(m, "mappings: %llu\n", st->mappings);
	seq_printf(m, "mapped_pages: %llu\n", st->mapped_pages);
	seq_printf(m, "deferred_frees: %llu\n", st->deferred);
	seq_puts(m, "# requests_by_order: count for order 0, 1, 2, ...\n");
	resmem_debugfs_counts(m, "requests_by_order", st->requests,
			      RM_VC_ORDER_LIMIT + 1);
	resmem_debugfs_hists(m, h, ARRAY_SIZE(h));
	return 0;
}
DEFINE_RESMEM_SCRATCH_ATTRIBUTE(vc_stats, sizeof(struct resmem_vc_stats));

/**
 * resmem_debugfs_vcompound_init - vcompound/ in @dir
 * @dir: /sys/kernel/debug/resmem
 */
void resmem_debugfs_vcompound_init(struct dentry *dir)
{
	struct dentry *d = debugfs_create_dir("vcompound", dir);

	debugfs_create_file("stats", 0400, d, NULL, &vc_stats_fops);
	debugfs_create_bool("vfallback_always", 0600, d,
			    &resmem_vfallback_always);
}
