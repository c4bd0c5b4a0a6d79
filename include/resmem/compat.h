/* SPDX-License-Identifier: GPL-2.0 */
/*
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
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/stdarg.h>
#include <linux/numa.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/page.h>
#else
#include "resmem_user.h"
#endif

/* Index of the lowest set bit of a non-zero word. */
static inline unsigned int rm_ffs_word(unsigned long w)
{
	return __builtin_ctzl(w);
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
