/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the kselftests share: resmem's debugfs counters, the ioctls
 * every test makes, and dropping CAP_SYS_ADMIN.
 */
#ifndef _RESMEM_TEST_H
#define _RESMEM_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <uapi/resmem.h>

#define DEV	"/dev/resmem"
#define DBG	"/sys/kernel/debug/resmem/"

/* The value of "key: value" in debugfs file @file, or -1. */
static inline long long stat_in(const char *file, const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			v = atoll(line + len + 1);
	fclose(f);
	return v;
}

/* Pages free in the buddy or its per-CPU caches. */
static inline long long free_pages(void)
{
	return stat_in(DBG "stats", "free_pages") +
	       stat_in(DBG "stats", "pcp_pages");
}

static inline int do_free(int fd, __u64 handle)
{
	struct resmem_free f = { .handle = handle };

	return ioctl(fd, RESMEM_IOC_FREE, &f) ? -errno : 0;
}

static inline int do_query(int fd, __u64 handle, struct resmem_query *q)
{
	memset(q, 0, sizeof(*q));
	q->handle = handle;
	return ioctl(fd, RESMEM_IOC_QUERY, q) ? -errno : 0;
}

/* The whole allocation, read-write, at its mmap offset. */
static inline void *map(int fd, const struct resmem_alloc *a)
{
	return mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    a->mmap_offset);
}

/* Drop CAP_SYS_ADMIN from the effective set, keep the open file. */
static inline int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d);
}

#endif /* _RESMEM_TEST_H */
