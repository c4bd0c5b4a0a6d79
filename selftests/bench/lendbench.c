// SPDX-License-Identifier: GPL-2.0
/*
 * lendbench: the userspace half of the lent-region benchmark, in the test
 * VM (root; selftests/bench/lendbench.sh, resmem_lendbench.c).
 *
 *   lendbench mem LABEL
 *	one line: MemTotal and MemFree (/proc/meminfo, kB) and node 0's
 *	Movable zone present, managed and free pages (/proc/zoneinfo)
 *   lendbench fill CAP_MIB READY_FILE
 *	the workload: pinned to CPU 0, write 1 MiB chunks of patterned
 *	anonymous memory and tmpfs files (/dev/shm, every other chunk) until
 *	node 0's Movable zone has at most its high watermark + 2 MiB free;
 *	create READY_FILE then and keep topping up every 10 ms what the
 *	take-backs give back.  At CAP_MIB MiB in all a random chunk is freed
 *	before each new one, so that what a take-back moved out of the zone
 *	goes back into it.  On SIGTERM check every byte of every chunk and
 *	print "fill: ... lost B bytes", then exit (1 when bytes were lost).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB	(1ULL << 20)
#define CHUNK	MIB
#define MAXCH	8192
#define FILES	"/dev/shm/resmem-lendbench"
#define K	0x9e3779b97f4a7c15ULL

/* One chunk: anonymous (@p) or a tmpfs file (@p NULL); its pattern seed. */
struct chunk {
	uint64_t *p;
	uint64_t seed;
	int live;
};

static struct chunk ch[MAXCH];
static unsigned int nch, nlive;
static uint64_t next_seed = 1, rng = 88172645463325252ULL;
static volatile sig_atomic_t stop;
static uint64_t buf[CHUNK / 8];

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Field @key of node 0's Movable zone in /proc/zoneinfo, or -1. */
static long long movable(const char *key)
{
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	int in = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " ");

		if (!strncmp(line, "Node ", 5)) {
			in = !strncmp(line, "Node 0, zone  Movable", 21);
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(key, "free") && !strncmp(p, "pages free", 10)) {
			v = atoll(p + 10);
			break;
		}
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			v = atoll(p + kl);
			break;
		}
	}
	fclose(f);
	return v;
}

static long long meminfo(const char *key)
{
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atoll(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static void fill_pattern(uint64_t *w, uint64_t seed)
{
	size_t i;

	for (i = 0; i < CHUNK / 8; i++)
		w[i] = (seed + i) * K;
}

static uint64_t bad_bytes(const uint64_t *w, uint64_t seed)
{
	uint64_t bad = 0;
	size_t i;

	for (i = 0; i < CHUNK / 8; i++)
		if (w[i] != (seed + i) * K)
			bad += 8;
	return bad;
}

static void path_of(unsigned int i, char *path, size_t len)
{
	snprintf(path, len, FILES "-%u", i);
}

/* A new chunk in slot @i; 0 or -1. */
static int add(unsigned int i)
{
	struct chunk *c = &ch[i];
	char path[128];
	int fd, ok;

	c->seed = next_seed++ << 20;
	if (i % 2 == 0) {
		c->p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c->p == MAP_FAILED)
			return -1;
		fill_pattern(c->p, c->seed);
	} else {
		c->p = NULL;
		path_of(i, path, sizeof(path));
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return -1;
		fill_pattern(buf, c->seed);
		ok = write(fd, buf, CHUNK) == CHUNK;
		close(fd);
		if (!ok) {
			unlink(path);
			return -1;
		}
	}
	c->live = 1;
	nlive++;
	return 0;
}

static void drop(unsigned int i)
{
	char path[128];

	if (ch[i].p) {
		munmap(ch[i].p, CHUNK);
	} else {
		path_of(i, path, sizeof(path));
		unlink(path);
	}
	ch[i].live = 0;
	nlive--;
}

static uint64_t check(unsigned int i)
{
	char path[128];
	uint64_t lost;
	int fd;

	if (ch[i].p)
		return bad_bytes(ch[i].p, ch[i].seed);
	path_of(i, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return CHUNK;
	lost = read(fd, buf, CHUNK) == CHUNK ? bad_bytes(buf, ch[i].seed) :
					       CHUNK;
	close(fd);
	return lost;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int fill(unsigned long long cap_mib, const char *ready)
{
	unsigned long long cap = cap_mib * MIB / CHUNK, tops = 0, drops = 0;
	long long low = movable("high") + (long long)(2 * MIB / 4096);
	uint64_t lost = 0;
	unsigned int i, nfree = 0;
	int is_ready = 0;
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(0, &s);
	sched_setaffinity(0, sizeof(s), &s);
	signal(SIGTERM, on_term);
	if (cap > MAXCH)
		cap = MAXCH;
	while (!stop) {
		long long f = movable("free");

		if (f >= 0 && f <= low) {
			if (!is_ready) {
				int fd = open(ready, O_WRONLY | O_CREAT, 0644);

				if (fd >= 0)
					close(fd);
				is_ready = 1;
				printf("fill: ready, %u MiB, Movable free %lld pages ",
				       nlive, f);
				printf("(high watermark + 2 MiB: %lld)\n", low);
				fflush(stdout);
			}
			usleep(10000);
			continue;
		}
		/* a slot: a free one, or a new one, or a random live one */
		if (nlive >= cap) {
			do
				i = rnd() % nch;
			while (!ch[i].live);
			drop(i);
			drops++;
		}
		for (i = nfree; i < nch && ch[i].live; i++)
			;
		nfree = i;
		if (i == nch) {
			if (nch == MAXCH) {
				usleep(10000);
				continue;
			}
			nch++;
		}
		if (add(i)) {
			printf("fill: a chunk failed at %u MiB\n", nlive);
			usleep(100000);
			continue;
		}
		nfree = 0;
		tops++;
	}
	for (i = 0; i < nch; i++)
		if (ch[i].live) {
			lost += check(i);
			drop(i);
		}
	printf("fill: %llu chunks of 1 MiB written, ", tops);
	printf("%llu dropped at the cap of %llu MiB, lost %llu bytes\n",
	       drops, cap, (unsigned long long)lost);
	return lost ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "mem")) {
		printf("mem %s: MemTotal=%lld kB MemFree=%lld kB ", argv[2],
		       meminfo("MemTotal"), meminfo("MemFree"));
		printf("movable_present=%lld movable_managed=%lld ",
		       movable("present"), movable("managed"));
		printf("movable_free=%lld pages\n", movable("free"));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return fill(strtoull(argv[2], NULL, 0), argv[3]);
	fprintf(stderr, "usage: lendbench mem LABEL | fill CAP_MIB READY_FILE\n");
	return 2;
}
