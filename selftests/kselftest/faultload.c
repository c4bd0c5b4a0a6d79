// SPDX-License-Identifier: GPL-2.0
/*
 * faultload: load or unload a module with the N-th fault-injection point
 * of that one system call failing (fail-nth, see
 * Documentation/fault-injection/fault-injection.rst), for
 * fault_load_test.sh.
 *
 *	faultload load N FILE [PARAM...]	finit_module() armed with N
 *	faultload unload N NAME			delete_module() armed with N
 *
 * N 0 arms nothing.  Prints one line, "rc=ERRNO consumed=0|1 left=L":
 * the call's errno (0 on success), whether the armed fault was injected,
 * and the fail-nth count left (so N - L points were passed when it was
 * not).  The fail-nth file is opened before arming: an open is a
 * fault-injection point itself.  Exit status 0 unless the usage is wrong
 * or fail-nth cannot be used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char params[4096] = "", s[16] = "";
	int nth, fd = -1, i, rc, len;
	size_t plen = 0;
	unsigned long n;
	bool load;

	if (argc < 4 || (strcmp(argv[1], "load") && strcmp(argv[1], "unload")) ||
	    (!strcmp(argv[1], "unload") && argc != 4)) {
		fprintf(stderr, "usage: faultload load N FILE [PARAM...] | unload N NAME\n");
		return 2;
	}
	load = !strcmp(argv[1], "load");
	n = strtoul(argv[2], NULL, 0);
	for (i = 4; i < argc; i++) {
		len = snprintf(params + plen, sizeof(params) - plen, "%s%s",
			       plen ? " " : "", argv[i]);
		if (len < 0 || (size_t)len >= sizeof(params) - plen) {
			fprintf(stderr, "faultload: parameters too long\n");
			return 2;
		}
		plen += len;
	}
	if (load) {
		fd = open(argv[3], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[3]);
			return 2;
		}
	}
	nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth < 0) {
		perror("/proc/thread-self/fail-nth");
		return 2;
	}
	len = snprintf(s, sizeof(s), "%lu", n);
	if (pwrite(nth, s, len, 0) != len) {
		perror("fail-nth");
		return 2;
	}
	if (load)
		rc = syscall(SYS_finit_module, fd, params, 0) ? errno : 0;
	else
		rc = syscall(SYS_delete_module, argv[3], O_NONBLOCK) ? errno : 0;
	memset(s, 0, sizeof(s));
	if (pread(nth, s, sizeof(s) - 1, 0) <= 0 || pwrite(nth, "0", 1, 0) != 1) {
		perror("fail-nth");
		return 2;
	}
	printf("rc=%d consumed=%d left=%lu\n", rc, n && !strtoul(s, NULL, 0),
	       strtoul(s, NULL, 0));
	return 0;
}
