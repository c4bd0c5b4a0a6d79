/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: The core's one door to the kernel
 *
 * The one header through which src/core/ reaches the kernel.
 *
 * In the kernel it pulls in the few kernel headers the core needs.  In the
 * userspace build (selftests/unit/) it pulls in resmem_user.h, a shim that
 * provides the same names on top of libc, the way tools/testing/memblock
 * builds mm/memblock.c.  Core files include nothing else from the kernel.
 */
#ifndef _RESMEM_COMPAT_H
#define _RESMEM_COMPAT_H

#ifdef __KERNEL__
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/minmax.h>
#include <linux/stdarg.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/types.h>
#include <asm/page.h>

/*
 * Locks and per-CPU data, as the core uses them.  Every lock is taken with
 * interrupts off, so the allocators can be called from any context that may
 * take a spinlock.
 */
#define rm_spinlock_t			spinlock_t
#define rm_spin_lock_init(l)		spin_lock_init(l)
#define rm_spin_lock_irqsave(l, f)	spin_lock_irqsave(l, f)
#define rm_spin_unlock_irqrestore(l, f)	spin_unlock_irqrestore(l, f)
#define rm_spin_lock(l)			spin_lock(l)
#define rm_spin_unlock(l)		spin_unlock(l)
#define rm_local_irq_save(f)		local_irq_save(f)
#define rm_local_irq_restore(f)		local_irq_restore(f)
#define rm_alloc_percpu(type)		alloc_percpu(type)
#define rm_free_percpu(p)		free_percpu(p)
#define rm_this_cpu_ptr(p)		this_cpu_ptr(p)
#define rm_per_cpu_ptr(p, cpu)		per_cpu_ptr(p, cpu)
#define rm_for_each_cpu(cpu)		for_each_possible_cpu(cpu)
#define rm_numa_node_id()		numa_node_id()
#define rm_node_distance(a, b)		node_distance(a, b)
#define rm_zalloc(size)			kvzalloc(size, GFP_KERNEL)
#define rm_free(p)			kvfree(p)
#define rm_div64(a, b)			div64_u64(a, b)
#define rm_cond_resched()		cond_resched()
#else
#include "resmem_user.h"
#endif

/* Index of the lowest set bit of a non-zero word. */
static inline unsigned int rm_ffs_word(unsigned long w)
{
	return __builtin_ctzl(w);
}

/* Index of the highest set bit of a non-zero word. */
static inline unsigned int rm_fls_word(unsigned long w)
{
	return BITS_PER_LONG - 1 - __builtin_clzl(w);
}

/* Number of set bits in a word. */
static inline unsigned int rm_popcount_word(unsigned long w)
{
#ifdef __KERNEL__
	return hweight_long(w);
#else
	return __builtin_popcountl(w);
#endif
}

#endif /* _RESMEM_COMPAT_H */
