/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection aimed at the calling thread's own kernel calls, for the
 * kselftests that fail every fallible call of a path in turn (fault_test.c,
 * cma_system_test.c): failslab and fail_page_alloc with fail-nth
 * (Documentation/fault-injection/fault-injection.rst).  Writing N to
 * /proc/thread-self/fail-nth makes the N-th fault-injection point the
 * thread reaches fail; it reads back 0 once that happened.
 *
 * fi_setup() sets the knobs (saving the old values) and opens fail-nth and
 * make-it-fail once, so that arming and disarming allocate nothing (an
 * open is a fault-injection point itself); fi_teardown() undoes it.
 * Include it after kselftest_harness.h (ARRAY_SIZE).
 */
#ifndef _RESMEM_FAULTINJECT_H
#define _RESMEM_FAULTINJECT_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAKE_IT_FAIL	"/proc/thread-self/make-it-fail"
#define FI_SLAB		"/sys/kernel/debug/failslab/"
#define FI_PAGE		"/sys/kernel/debug/fail_page_alloc/"

static const struct fi_knob {
	const char *file, *value;
} fi_knobs[] = {
	/* GFP_KERNEL allocations (every one resmem makes) may fail */
	{ FI_SLAB "ignore-gfp-wait", "N" },
	{ FI_PAGE "ignore-gfp-wait", "N" },
	{ FI_PAGE "ignore-gfp-highmem", "N" },
	{ FI_PAGE "min-order", "0" },
	/* no "FAULT_INJECTION: forcing a failure" lines */
	{ FI_SLAB "verbose", "0" },
	{ FI_PAGE "verbose", "0" },
	/* a task with make-it-fail set fails every point once fail-nth is 0 */
	{ FI_SLAB "task-filter", "Y" },
	{ FI_PAGE "task-filter", "Y" },
	{ FI_SLAB "probability", "100" },
	{ FI_PAGE "probability", "100" },
	{ FI_SLAB "interval", "1" },
	{ FI_PAGE "interval", "1" },
	{ FI_SLAB "times", "-1" },
	{ FI_PAGE "times", "-1" },
	{ FI_SLAB "space", "0" },
	{ FI_PAGE "space", "0" },
};

static char fi_saved[ARRAY_SIZE(fi_knobs)][32];
static int fi_nth_fd = -1, fi_mif_fd = -1;

/* @s into @file; 0 or -errno. */
static inline int fi_write(const char *file, const char *s)
{
	int fd = open(file, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* @file into @buf (NUL-terminated); the length, or -errno. */
static inline int fi_read(const char *file, char *buf, size_t len)
{
	int fd = open(file, O_RDONLY);
	ssize_t n, got = 0;

	if (fd < 0)
		return -errno;
	while (got < (ssize_t)len - 1 &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	close(fd);
	return got;
}

/* Undo fi_setup(): close the files, put the knobs back. */
static inline void fi_teardown(void)
{
	unsigned int i;

	if (fi_nth_fd >= 0)
		close(fi_nth_fd);
	if (fi_mif_fd >= 0)
		close(fi_mif_fd);
	fi_nth_fd = -1;
	fi_mif_fd = -1;
	for (i = 0; i < ARRAY_SIZE(fi_knobs); i++)
		if (fi_saved[i][0])
			fi_write(fi_knobs[i].file, fi_saved[i]);
}

/* NULL when fault injection is set up, else why not (a reason to SKIP). */
static inline const char *fi_setup(void)
{
	unsigned int i;

	if (access(FAIL_NTH, W_OK))
		return "no " FAIL_NTH " (kernel without CONFIG_FAULT_INJECTION)";
	if (access(FI_SLAB, F_OK) || access(FI_PAGE, F_OK))
		return "no failslab or fail_page_alloc in debugfs (CONFIG_FAILSLAB, "
		       "CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)";
	for (i = 0; i < ARRAY_SIZE(fi_knobs); i++) {
		if (fi_read(fi_knobs[i].file, fi_saved[i],
			    sizeof(fi_saved[i])) < 0 ||
		    fi_write(fi_knobs[i].file, fi_knobs[i].value))
			return "cannot set the fault-injection knobs";
	}
	fi_nth_fd = open(FAIL_NTH, O_RDWR);
	fi_mif_fd = open(MAKE_IT_FAIL, O_RDWR);
	if (fi_nth_fd < 0 || fi_mif_fd < 0)
		return "cannot open " FAIL_NTH " and " MAKE_IT_FAIL;
	return NULL;
}

/*
 * Arm: the @n-th point fails; with @on every one after it too
 * (make-it-fail, with the task filter and probability 100), so retries
 * and fallbacks inside the call fail as well.
 */
static inline void fi_arm(unsigned int n, bool on)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	if (pwrite(fi_nth_fd, s, len, 0) != len ||
	    (on && pwrite(fi_mif_fd, "1", 1, 0) != 1))
		abort();
}

/* Disarm; true when the armed fault was injected. */
static inline bool fi_disarm(void)
{
	char s[16] = "";

	if (pwrite(fi_mif_fd, "0", 1, 0) != 1 ||
	    pread(fi_nth_fd, s, sizeof(s) - 1, 0) <= 0 ||
	    pwrite(fi_nth_fd, "0", 1, 0) != 1)
		abort();
	return atoi(s) == 0;
}

#endif
