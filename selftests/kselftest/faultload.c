// SPDX-License-Identifier: GPL-2.0
/*
 * faultload: load or unload a module with the N-th fault-injection point
 * of that one system call failing (fail-nth, see
 * Documentation/fault-injection/fault-injection.rst), for
 * fault_load_test.sh.
 *
 *	faultload load N FILE [PARAM...]	finit_module() armed with N
 *	faultload unload N NAME			delete_module() armed with N
 *	faultload sweep-load N FILE [PARAM...]	loads armed with N, N+1, ...
 *	faultload sweep-unload FILE [PARAM...]	unloads armed with 1, 2, ...
 *
 * N 0 arms nothing.  load and unload print one line, "rc=ERRNO
 * consumed=0|1 left=L": the call's errno (0 on success), whether the
 * armed fault was injected, and the fail-nth count left (so N - L points
 * were passed when it was not).  The fail-nth file is opened before
 * arming: an open is a fault-injection point itself.
 *
 * The sweeps run fault_load_test.sh's loops in one process, as a shell
 * loop forks a dozen times per point, which the debug kernel makes cost
 * more than the load itself.  Each step ends when a load or unload no
 * longer consumes its fault, and compares the system's state with the
 * one before the sweep: /proc/iomem, the resmem* lines of /proc/modules,
 * /dev/resmem* and the debugfs directory resmem.
 *  - sweep-load: a load that fails must have consumed the fault and left
 *    the state as it was, and the next unarmed load must succeed; a load
 *    that succeeds must answer RESMEM_IOC_GET_INFO and unload to the state.
 *  - sweep-unload: every armed unload must succeed and leave the state.
 * A line "# n=K: ..." names each point that broke a rule; the last line
 * is "from=N to=K failed=F bad=B", F the loads that failed (sweep-load)
 * and B the broken rules.  The module is not loaded when a sweep ends.
 *
 * Exit status 0 unless the usage is wrong or fail-nth cannot be used.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uapi/resmem.h>

#define STATE_LEN	65536
/* A sweep's bound: a load passes about 550 points on the debug kernel */
#define SWEEP_MAX	10000

static char params[4096];
static int nth = -1;

/* The call's errno, 0 on success; *@consumed: the armed fault fired. */
static int armed(unsigned long n, int fd, const char *name, bool *consumed,
		 unsigned long *left)
{
	char s[32] = "";
	int len, rc;

	len = snprintf(s, sizeof(s), "%lu", n);
	if (pwrite(nth, s, len, 0) != len) {
		perror("fail-nth");
		exit(2);
	}
	if (fd >= 0)
		rc = syscall(SYS_finit_module, fd, params, 0) ? errno : 0;
	else
		rc = syscall(SYS_delete_module, name, O_NONBLOCK) ? errno : 0;
	memset(s, 0, sizeof(s));
	if (pread(nth, s, sizeof(s) - 1, 0) <= 0 ||
	    pwrite(nth, "0", 1, 0) != 1) {
		perror("fail-nth");
		exit(2);
	}
	*left = strtoul(s, NULL, 0);
	*consumed = n && !*left;
	return rc;
}

/* Append @path's contents to @buf (of STATE_LEN), at *@len. */
static void add_file(char *buf, size_t *len, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return;
	while (*len < STATE_LEN - 1 &&
	       (r = read(fd, buf + *len, STATE_LEN - 1 - *len)) > 0)
		*len += r;
	close(fd);
	buf[*len] = 0;
}

/* What a load must leave as it found it (fault_load_test.sh's state()). */
static void state(char *buf)
{
	char mods[STATE_LEN] = "", *line, *save;
	size_t len = 0, mlen = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;

	buf[0] = 0;
	add_file(buf, &len, "/proc/iomem");
	add_file(mods, &mlen, "/proc/modules");
	for (line = strtok_r(mods, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "resmem", 6))
			len += snprintf(buf + len, STATE_LEN - len, "%.*s\n",
					(int)strcspn(line, " "), line);
	d = opendir("/dev");
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "resmem", 6))
			len += snprintf(buf + len, STATE_LEN - len,
					"/dev/%s\n", e->d_name);
	if (d)
		closedir(d);
	if (!stat("/sys/kernel/debug/resmem", &st))
		snprintf(buf + len, STATE_LEN - len, "debugfs resmem\n");
}

static bool info_works(void)
{
	struct resmem_info info = { 0 };
	int fd = open("/dev/resmem", O_RDWR | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = !ioctl(fd, RESMEM_IOC_GET_INFO, &info);
	close(fd);
	return ok;
}

static int load_file(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		perror(file);
		exit(2);
	}
	return fd;
}

/* faultload sweep-load N FILE [PARAM...] (see the top). */
static int sweep_load(unsigned long from, const char *file, const char *name)
{
	static char base[STATE_LEN], now[STATE_LEN];
	unsigned long k, left, failed = 0, bad = 0;
	bool consumed, dummy;
	int fd = load_file(file), rc;

	state(base);
	for (k = from; ; k++) {
		rc = armed(k, fd, NULL, &consumed, &left);
		if (!rc) {
			if (!info_works()) {
				printf("# n=%lu: loaded, but RESMEM_IOC_GET_INFO fails\n",
				       k);
				bad++;
			}
			rc = armed(0, -1, name, &dummy, &left);
			state(now);
			if (rc || strcmp(now, base)) {
				printf("# n=%lu: loaded; unload %d, state %s\n",
				       k, rc, strcmp(now, base) ? "changed" : "kept");
				bad++;
			}
		} else {
			failed++;
			state(now);
			if (strcmp(now, base)) {
				printf("# n=%lu: the load failed (%d) and changed the state\n",
				       k, rc);
				bad++;
				armed(0, -1, name, &dummy, &left);
			}
			if (!consumed) {
				printf("# n=%lu: the load failed (%d) without a fault\n",
				       k, rc);
				bad++;
			}
			rc = armed(0, fd, NULL, &dummy, &left);
			if (rc) {
				printf("# n=%lu: the next load fails (%d)\n", k,
				       rc);
				bad++;
			} else {
				armed(0, -1, name, &dummy, &left);
			}
		}
		if (!consumed)
			break;
		if (k - from >= SWEEP_MAX) {
			printf("# n=%lu: still consuming faults, giving up\n", k);
			bad++;
			break;
		}
	}
	close(fd);
	printf("from=%lu to=%lu failed=%lu bad=%lu\n", from, k, failed, bad);
	return 0;
}

/* faultload sweep-unload FILE [PARAM...] (see the top). */
static int sweep_unload(const char *file, const char *name)
{
	static char base[STATE_LEN], now[STATE_LEN];
	unsigned long k, left, bad = 0;
	bool consumed, dummy;
	int fd = load_file(file), rc;

	state(base);
	for (k = 1; ; k++) {
		rc = armed(0, fd, NULL, &dummy, &left);
		if (rc) {
			printf("# n=%lu: cannot load (%d)\n", k, rc);
			bad++;
			break;
		}
		rc = armed(k, -1, name, &consumed, &left);
		if (rc) {
			printf("# n=%lu: the unload failed (%d)\n", k, rc);
			bad++;
			armed(0, -1, name, &dummy, &left);
		}
		state(now);
		if (strcmp(now, base)) {
			printf("# n=%lu: unloaded, the state changed\n", k);
			bad++;
		}
		if (!consumed)
			break;
		if (k >= SWEEP_MAX) {
			printf("# n=%lu: still consuming faults, giving up\n", k);
			bad++;
			break;
		}
	}
	close(fd);
	printf("from=1 to=%lu failed=0 bad=%lu\n", k, bad);
	return 0;
}

/* The module's name: FILE's base name without ".ko". */
static void module_name(const char *file, char *name, size_t size)
{
	const char *b = strrchr(file, '/');

	snprintf(name, size, "%s", b ? b + 1 : file);
	if (strlen(name) > 3 && !strcmp(name + strlen(name) - 3, ".ko"))
		name[strlen(name) - 3] = 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	bool sweep = !strncmp(cmd, "sweep-", 6);
	int i, len, first = 4, fd = -1, rc;
	unsigned long n = 0, left;
	char name[256];
	size_t plen = 0;
	bool consumed;

	if (!strcmp(cmd, "sweep-unload"))
		first = 3;
	if (argc < first ||
	    (strcmp(cmd, "load") && strcmp(cmd, "unload") &&
	     strcmp(cmd, "sweep-load") && strcmp(cmd, "sweep-unload")) ||
	    (!strcmp(cmd, "unload") && argc != 4)) {
		fprintf(stderr, "usage: faultload load|sweep-load N FILE [PARAM...]\n"
			"       faultload unload N NAME\n"
			"       faultload sweep-unload FILE [PARAM...]\n");
		return 2;
	}
	if (first == 4)
		n = strtoul(argv[2], NULL, 0);
	for (i = first; i < argc; i++) {
		len = snprintf(params + plen, sizeof(params) - plen, "%s%s",
			       plen ? " " : "", argv[i]);
		if (len < 0 || (size_t)len >= sizeof(params) - plen) {
			fprintf(stderr, "faultload: parameters too long\n");
			return 2;
		}
		plen += len;
	}
	if (!strcmp(cmd, "load"))
		fd = load_file(argv[3]);
	nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth < 0) {
		perror("/proc/thread-self/fail-nth");
		return 2;
	}
	if (sweep) {
		module_name(argv[first - 1], name, sizeof(name));
		if (!strcmp(cmd, "sweep-load"))
			return sweep_load(n ? n : 1, argv[3], name);
		return sweep_unload(argv[2], name);
	}
	rc = armed(n, fd, argv[3], &consumed, &left);
	printf("rc=%d consumed=%d left=%lu\n", rc, consumed, left);
	return 0;
}
