/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the kselftests share: resmem's debugfs counters.
 */
#ifndef _RESMEM_TEST_H
#define _RESMEM_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif /* _RESMEM_TEST_H */
