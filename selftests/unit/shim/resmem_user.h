/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the kernel names src/core/ uses, so the core
 * builds and runs under ASan/UBSan and valgrind.  Only what the core uses is
 * here; add a name when the core starts to use it.
 */
#ifndef _RESMEM_USER_H
#define _RESMEM_USER_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define NUMA_NO_NODE	(-1)
#define MAX_NUMNODES	64

#define BITS_PER_LONG	(sizeof(long) * CHAR_BIT)
#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ALIGN(x, a)	(((x) + (a) - 1) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define U64_MAX		UINT64_MAX
#define U32_MAX		UINT32_MAX
#define BUILD_BUG_ON(c)	_Static_assert(!(c), #c)
#define __printf(a, b)	__attribute__((format(printf, a, b)))
/* sparse's lock context annotations: nothing in userspace */
#define __acquires(x)
#define __acquire(x)	((void)0)
#define __release(x)	((void)0)

#define min(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max3(a, b, c)	max(max(a, b), c)
#define min3(a, b, c)	min(min(a, b), c)
#define READ_ONCE(x)	(*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile typeof(x) *)&(x) = (v))
#define clamp_t(t, v, lo, hi) min_t(t, max_t(t, v, lo), hi)
#define ilog2(n)	((unsigned int)(63 - __builtin_clzll((unsigned long long)(n))))
#define rm_zalloc(size)	calloc(1, size)
#define rm_free(p)	free(p)
#define rm_div64(a, b)	((a) / (b))
#define max_t(t, a, b) max((t)(a), (t)(b))

/*
 * A broken invariant is a test failure: count it so the unit tests can
 * assert that none happened (and that the deliberate ones did).
 */
extern unsigned long rm_user_warnings;
#define WARN_ON_ONCE(cond) ({						\
	int __c = !!(cond);						\
	if (__c) {							\
		rm_user_warnings++;					\
		fprintf(stderr, "WARNING: %s:%d: %s\n",			\
			__FILE__, __LINE__, #cond);			\
	}								\
	__c;								\
})
#define WARN_ON(cond) WARN_ON_ONCE(cond)

/*
 * Locks: a pthread spinlock; "interrupts off" is a no-op.  Per-CPU data:
 * an array of RM_USER_NR_CPUS, and the current CPU is whatever the test
 * set rm_user_cpu to, so tests can play several CPUs from one thread.
 */
#include <pthread.h>
#include <stdlib.h>

typedef pthread_spinlock_t rm_spinlock_t;

/*
 * Lock holds: from a thread's first lock to its last unlock (the kernel
 * build has interrupts off all that time).  rm_user_hold_hook, when set,
 * is called right after the outermost lock is taken (true) and right after
 * it is dropped (false): the lock benchmark (selftests/bench/lockbench.c)
 * counts instructions between the two, tests play other CPUs in the gap.
 * RM_USER_NO_HOOKS (the instruction-count benchmarks of the allocators,
 * ubench and mabench) leaves these hooks out, as the module has none.
 */
extern __thread int rm_user_hold_depth;
extern void (*rm_user_hold_hook)(bool begin);

static inline void rm_user_lock(rm_spinlock_t *l)
{
	pthread_spin_lock(l);
#ifndef RM_USER_NO_HOOKS
	if (!rm_user_hold_depth++ && rm_user_hold_hook)
		rm_user_hold_hook(true);
#endif
}

static inline void rm_user_unlock(rm_spinlock_t *l)
{
	pthread_spin_unlock(l);
#ifndef RM_USER_NO_HOOKS
	if (!--rm_user_hold_depth && rm_user_hold_hook)
		rm_user_hold_hook(false);
#endif
}

#define rm_spin_lock_init(l)	pthread_spin_init(l, PTHREAD_PROCESS_PRIVATE)
#define rm_spin_lock_irqsave(l, f) do { (f) = 0; rm_user_lock(l); } while (0)
#define rm_spin_unlock_irqrestore(l, f) do { (void)(f); rm_user_unlock(l); } while (0)
#define rm_spin_lock(l)		rm_user_lock(l)
#define rm_spin_unlock(l)	rm_user_unlock(l)

/* cond_resched(): counted, so tests can see where the core would yield. */
extern unsigned long rm_user_resched;
#define rm_cond_resched()	((void)rm_user_resched++)
#define rm_local_irq_save(f)	((f) = 0)
#define rm_local_irq_restore(f)	((void)(f))

#define RM_USER_NR_CPUS	4
extern __thread int rm_user_cpu;
#define __percpu
#define rm_alloc_percpu(type)	((type *)calloc(RM_USER_NR_CPUS, sizeof(type)))
#define rm_free_percpu(p)	free(p)
#define rm_this_cpu_ptr(p)	(&(p)[rm_user_cpu])
#define rm_per_cpu_ptr(p, cpu)	(&(p)[cpu])
#define rm_for_each_cpu(cpu)	for ((cpu) = 0; (cpu) < RM_USER_NR_CPUS; (cpu)++)

/* NUMA: the test picks the current node; distance 10 local, 20 remote. */
extern int rm_user_node;
#define rm_numa_node_id()	(rm_user_node)
#define rm_node_distance(a, b)	((a) == (b) ? 10 : 20 + abs((a) - (b)))

/*
 * A test hook: rm_buddy_free() calls rm_user_free_hook, when set, after it
 * has checked the block and before it takes a lock, so that a test can
 * change pageblock types there as another CPU would.  The module has no
 * such call (src/core/buddy.c).
 */
extern void (*rm_user_free_hook)(u64 pfn, unsigned int order);
#ifndef RM_USER_NO_HOOKS
#define rm_test_free_hook(pfn, order) do {				\
	if (rm_user_free_hook)						\
		rm_user_free_hook(pfn, order);				\
} while (0)
#endif

#endif /* _RESMEM_USER_H */
