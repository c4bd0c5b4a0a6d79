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
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ALIGN(x, a)	(((x) + (a) - 1) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define U64_MAX		UINT64_MAX
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define min(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a < _b ? _a : _b; })
#define max(a, b) ({ typeof(a) _a = (a); typeof(b) _b = (b); _a > _b ? _a : _b; })
#define min_t(t, a, b) min((t)(a), (t)(b))
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

#endif /* _RESMEM_USER_H */
