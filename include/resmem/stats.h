/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Statistics
 *
 * One style for every statistic resmem keeps, in the core and in the glue,
 * and one build knob that compiles them out, as CONFIG_ZSMALLOC_STAT and
 * CONFIG_CMA_SYSFS do in the kernel.
 *
 * A statistic is an event counter (allocations, hits, failures, ...) or a
 * log2 histogram: it says what happened, and no code decides anything on
 * it.  A gauge that says what is held now (free pages, pages in areas, a
 * CMA region's used pages, a pool's pages) is state, not a statistic: it is
 * kept whatever the knob, like the kernel's NR_FREE_PAGES.
 *
 * Counters are plain u64 fields, changed with rm_stat_inc() and
 * rm_stat_add() under the lock that already protects the structure they
 * sit in (the core has no per-CPU counters of its own: its per-CPU caches
 * count under their own locks).  Where the glue's path is hot and takes no
 * lock, counters are per CPU, changed with rm_stat_this_cpu_inc() and
 * rm_stat_this_cpu_add() (this_cpu_inc()/this_cpu_add(), kernel only) and
 * summed when debugfs reads them.
 *
 * A histogram is RM_HIST_BUCKETS u64 counters: bucket 0 counts 0, bucket i
 * counts [2^(i-1), 2^i), the last bucket everything above; rm_hist_add()
 * counts a value, rm_hist_this_cpu_add() counts it in a per-CPU histogram.
 * A latency is measured with rm_stat_time(clock()), which reads no clock
 * when statistics are off.
 *
 * The knob: RESMEM_STATS is 1 unless the build defines it 0
 * ("make RESMEM_STATS=n": Kbuild and selftests/unit/Makefile add
 * -DRESMEM_STATS=0).  Off, every macro here compiles to nothing, while its
 * arguments are still type checked (if (RM_STATS) ...); the fields stay, so
 * readers (debugfs) need no #ifdef and print zeros, and rm_stats_enabled()
 * tells them and the unit tests whether the numbers mean anything.
 */
#ifndef _RESMEM_STATS_H
#define _RESMEM_STATS_H

#include "compat.h"

#ifndef RESMEM_STATS
#define RESMEM_STATS		1
#endif
#define RM_STATS		(RESMEM_STATS != 0)

/* log2 histograms: bucket 0 is 0, bucket i is [2^(i-1), 2^i) */
#define RM_HIST_BUCKETS		32

static inline bool rm_stats_enabled(void)
{
	return RM_STATS;
}

#define rm_stat_inc(c)		do { if (RM_STATS) (c)++; } while (0)
#define rm_stat_add(c, v)	do { if (RM_STATS) (c) += (v); } while (0)

/* Per-CPU counters of the glue (kernel only: this_cpu_*). */
#define rm_stat_this_cpu_inc(pcp) \
	do { if (RM_STATS) this_cpu_inc(pcp); } while (0)
#define rm_stat_this_cpu_add(pcp, v) \
	do { if (RM_STATS) this_cpu_add(pcp, v); } while (0)

#define rm_hist_this_cpu_add(hist, v) \
	rm_stat_this_cpu_inc((hist)[rm_hist_bucket(v)])

/* @t read from a clock, or 0 without reading it when statistics are off. */
#define rm_stat_time(t)		(RM_STATS ? (t) : 0)

static inline unsigned int rm_hist_bucket(u64 v)
{
	return v ? min_t(unsigned int, ilog2(v) + 1, RM_HIST_BUCKETS - 1) : 0;
}

/* Count @v in the histogram @h (RM_HIST_BUCKETS counters). */
static inline void rm_hist_add(u64 *h, u64 v)
{
	if (RM_STATS)
		h[rm_hist_bucket(v)]++;
}

#endif /* _RESMEM_STATS_H */
