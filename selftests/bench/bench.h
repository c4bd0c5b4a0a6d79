/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the benchmark modules (resmem_bench, resmem_mabench,
 * resmem_vcbench): the median of a set of timings, a ratio in
 * thousandths, and the wait that keeps a finished thread until
 * kthread_stop().
 */
#ifndef _RESMEM_BENCH_H
#define _RESMEM_BENCH_H

#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <linux/types.h>

static inline int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n values, sorting them in place; their minimum in @min. */
static inline u64 bench_median(u64 *v, unsigned int n, u64 *min)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	if (min)
		*min = v[0];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* @a / @b in thousandths, rounded; 0 when @b is 0. */
static inline u64 bench_ratio_milli(u64 a, u64 b)
{
	return b ? div64_u64(a * 1000 + b / 2, b) : 0;
}

/* Stay until kthread_stop(), so that no thread outlives the module. */
static inline void bench_park(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

#endif /* _RESMEM_BENCH_H */
